/* fuzz_relay — a console's end of the relay socket (relay-wire.h) over a
 * hostile byte stream: frames cut off with relay_frame_next, each read by
 * the reader for its type. A frame is a frame, "not yet", or an error with
 * a message; a row that decodes encodes back to bytes that decode to the
 * same encoding (nothing of the input's padding or pointers survives the
 * round trip); every row is freed. */
#include "fuzz.h"

#include "relay/relay-wire.h"

static void row_round_trip(enum dc_table t, void *row)
{
	struct relay_buf a = { 0 }, b = { 0 };
	relay_put_row(&a, t, row);
	struct relay_frame f;
	size_t used;
	char err[256] = "";
	if (relay_frame_next(a.p, a.n, &f, &used, err, sizeof err) != 1 || used != a.n)
		fuzz_fail("a row's own frame does not split: %s", err);
	enum dc_table t2;
	void *again = NULL;
	if (relay_get_row(&f, &t2, &again, err, sizeof err) != 0 || t2 != t)
		fuzz_fail("a row's own encoding does not decode: %s", err);
	relay_put_row(&b, t2, again);
	if (a.n != b.n || memcmp(a.p, b.p, a.n) != 0)
		fuzz_fail("table %d: encode(decode(encode(row))) differs from encode(row)", (int)t);
	model_row_free(t2, again);
	relay_buf_free(&a);
	relay_buf_free(&b);
}

static void read_frame(const struct relay_frame *f)
{
	char err[256] = "";
	int rc = 0;
	switch (f->type) {
	case RF_HELLO:
		rc = relay_get_hello(f, err, sizeof err);
		break;
	case RF_STATUS: {
		struct relay_status st;
		rc = relay_get_status(f, &st, err, sizeof err);
		if (rc == 0 && (strnlen(st.error, sizeof st.error) == sizeof st.error ||
		                strnlen(st.server, sizeof st.server) == sizeof st.server))
			fuzz_fail("STATUS: a string without its NUL");
		break;
	}
	case RF_PUT: {
		enum dc_table t;
		void *row = NULL;
		rc = relay_get_row(f, &t, &row, err, sizeof err);
		if (rc == 0) {
			row_round_trip(t, row);
			model_row_free(t, row);
		} else if (row) {
			fuzz_fail("a failed PUT left a row behind");
		}
		break;
	}
	case RF_DEL: {
		enum dc_table t;
		int64_t id;
		rc = relay_get_del(f, &t, &id, err, sizeof err);
		break;
	}
	case RF_BATCH: {
		unsigned mask;
		rc = relay_get_batch(f, &mask, err, sizeof err);
		break;
	}
	default:
		return; /* SNAPSHOT, SNAPSHOT_END, RESET: no payload to read */
	}
	fuzz_check_msg(err, sizeof err, rc < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *in = (unsigned char *)fuzz_bytes(data, size);
	size_t off = 0;
	for (;;) {
		struct relay_frame f;
		size_t used = 0;
		char err[256] = "";
		int rc = relay_frame_next(in + off, size - off, &f, &used, err, sizeof err);
		fuzz_check_msg(err, sizeof err, rc < 0);
		if (rc <= 0)
			break;
		if (used == 0 || used > size - off)
			fuzz_fail("a frame of %zu bytes at offset %zu of %zu", used, off, size);
		read_frame(&f);
		off += used;
	}
	free(in);
	return 0;
}
