/* relay-wire.c — frames of the relay protocol. See relay-wire.h. */
#include "relay-wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util.h"

static const char *const type_names[RF_COUNT] = {
	[RF_HELLO] = "HELLO", [RF_STATUS] = "STATUS", [RF_SNAPSHOT] = "SNAPSHOT",
	[RF_SNAPSHOT_END] = "SNAPSHOT_END", [RF_PUT] = "PUT", [RF_DEL] = "DEL",
	[RF_BATCH] = "BATCH", [RF_RESET] = "RESET",
};

const char *relay_type_name(int type)
{
	return type > 0 && type < RF_COUNT ? type_names[type] : "unknown";
}

void relay_buf_free(struct relay_buf *b)
{
	free(b->p);
	*b = (struct relay_buf){ 0 };
}

static unsigned char *buf_room(struct relay_buf *b, size_t n)
{
	b->p = xgrow(b->p, &b->cap, b->n + n, 1);
	unsigned char *at = b->p + b->n;
	b->n += n;
	return at;
}

static void be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static void be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* A frame's header and room for its payload of n bytes. */
static unsigned char *frame_begin(struct relay_buf *b, enum relay_type type, size_t n)
{
	unsigned char *h = buf_room(b, RELAY_HEADER + n);
	be32(h, (uint32_t)n);
	h[4] = (unsigned char)type;
	return h + RELAY_HEADER;
}

void relay_put_hello(struct relay_buf *b, uint32_t proto, uint64_t fingerprint)
{
	unsigned char *p = frame_begin(b, RF_HELLO, 12);
	be32(p, proto);
	be64(p + 4, fingerprint);
}

static size_t str_put(unsigned char *p, const char *s)
{
	size_t n = strlen(s);
	be32(p, (uint32_t)n);
	memcpy(p + 4, s, n);
	return 4 + n;
}

void relay_put_status(struct relay_buf *b, const struct relay_status *st)
{
	size_t n = 1 + 1 + 8 + 8 + 4 + 4 + strlen(st->error) + 4 + strlen(st->server);
	unsigned char *p = frame_begin(b, RF_STATUS, n);
	uint64_t lag;
	memcpy(&lag, &st->replay_lag_s, sizeof lag);
	p[0] = (unsigned char)st->link;
	p[1] = st->standby;
	be64(p + 2, (uint64_t)st->last_ok_wall);
	be64(p + 10, lag);
	be32(p + 18, st->loading);
	p += 22;
	p += str_put(p, st->error);
	str_put(p, st->server);
}

void relay_put_mark(struct relay_buf *b, enum relay_type type)
{
	frame_begin(b, type, 0);
}

void relay_put_row(struct relay_buf *b, enum dc_table t, const void *row)
{
	size_t n = model_row_wire_size(t, row);
	unsigned char *p = frame_begin(b, RF_PUT, 1 + n);
	p[0] = (unsigned char)t;
	model_row_wire_encode(t, row, p + 1);
}

void relay_put_del(struct relay_buf *b, enum dc_table t, int64_t id)
{
	unsigned char *p = frame_begin(b, RF_DEL, 9);
	p[0] = (unsigned char)t;
	be64(p + 1, (uint64_t)id);
}

void relay_buf_cat(struct relay_buf *b, struct relay_buf *from)
{
	if (from->n)
		memcpy(buf_room(b, from->n), from->p, from->n);
	relay_buf_free(from);
}

void relay_put_batch(struct relay_buf *b, unsigned mask)
{
	be32(frame_begin(b, RF_BATCH, 4), mask);
}

int relay_frame_next(const unsigned char *in, size_t len, struct relay_frame *f, size_t *used,
                     char *err, size_t errlen)
{
	if (len < RELAY_HEADER)
		return 0;
	uint32_t n = rd32(in);
	int type = in[4];
	if (type <= 0 || type >= RF_COUNT) {
		snprintf(err, errlen, "frame of unknown type %d (payload %u bytes)", type, n);
		return -1;
	}
	if (n > RELAY_FRAME_MAX) {
		snprintf(err, errlen, "%s frame of %u bytes is over the %u-byte limit", relay_type_name(type), n,
		         RELAY_FRAME_MAX);
		return -1;
	}
	if (len - RELAY_HEADER < n)
		return 0;
	*f = (struct relay_frame){ type, in + RELAY_HEADER, n };
	*used = RELAY_HEADER + n;
	return 1;
}

/* The frame is of type and exactly (or, exact false, at least) n bytes. */
static int expect(const struct relay_frame *f, int type, size_t n, bool exact, char *err, size_t errlen)
{
	if (f->type != type) {
		snprintf(err, errlen, "expected a %s frame, got %s", relay_type_name(type),
		         relay_type_name(f->type));
		return -1;
	}
	if (f->n < n || (exact && f->n != n)) {
		snprintf(err, errlen, "%s frame of %zu bytes, expected %s%zu", relay_type_name(type), f->n,
		         exact ? "" : "at least ", n);
		return -1;
	}
	return 0;
}

int relay_get_hello(const struct relay_frame *f, char *err, size_t errlen)
{
	if (expect(f, RF_HELLO, 12, true, err, errlen) < 0)
		return -1;
	uint32_t proto = rd32(f->p);
	uint64_t fp = rd64(f->p + 4);
	if (proto != RELAY_PROTO || fp != model_layout_fingerprint()) {
		snprintf(err, errlen, "the relay is another build (protocol %u, layout %016llx; this console: "
		         "protocol %u, layout %016llx)", proto, (unsigned long long)fp, RELAY_PROTO,
		         (unsigned long long)model_layout_fingerprint());
		return -1;
	}
	return 0;
}

/* A u32-length string at *off into dst (cap bytes), cut to fit. */
static int str_get(const struct relay_frame *f, size_t *off, char *dst, size_t cap, const char *what,
                   char *err, size_t errlen)
{
	if (f->n - *off < 4) {
		snprintf(err, errlen, "STATUS frame: %s length cut off at offset %zu", what, *off);
		return -1;
	}
	uint32_t n = rd32(f->p + *off);
	*off += 4;
	if (n > f->n - *off) {
		snprintf(err, errlen, "STATUS frame: %s length %u at offset %zu runs past the frame's %zu bytes",
		         what, n, *off - 4, f->n);
		return -1;
	}
	size_t keep = n < cap - 1 ? n : cap - 1;
	memcpy(dst, f->p + *off, keep);
	dst[keep] = '\0';
	*off += n;
	return 0;
}

int relay_get_status(const struct relay_frame *f, struct relay_status *st, char *err, size_t errlen)
{
	if (expect(f, RF_STATUS, 22, false, err, errlen) < 0)
		return -1;
	memset(st, 0, sizeof *st);
	uint64_t lag = rd64(f->p + 10);
	st->link = f->p[0];
	st->standby = f->p[1] != 0;
	st->last_ok_wall = (int64_t)rd64(f->p + 2);
	memcpy(&st->replay_lag_s, &lag, sizeof lag);
	st->loading = rd32(f->p + 18);
	size_t off = 22;
	if (st->link > 2) {
		snprintf(err, errlen, "STATUS frame: link state %d at offset 0 is not one of 0..2", st->link);
		return -1;
	}
	if (str_get(f, &off, st->error, sizeof st->error, "error", err, errlen) < 0 ||
	    str_get(f, &off, st->server, sizeof st->server, "server", err, errlen) < 0)
		return -1;
	return 0;
}

static int table_get(const struct relay_frame *f, enum dc_table *t, char *err, size_t errlen)
{
	if (f->p[0] >= DC_T_COUNT) {
		snprintf(err, errlen, "%s frame: table id %d at offset 0 is not one of the %d tables",
		         relay_type_name(f->type), f->p[0], DC_T_COUNT);
		return -1;
	}
	*t = (enum dc_table)f->p[0];
	return 0;
}

int relay_get_row(const struct relay_frame *f, enum dc_table *t, void **row, char *err, size_t errlen)
{
	if (expect(f, RF_PUT, 1, false, err, errlen) < 0 || table_get(f, t, err, errlen) < 0)
		return -1;
	char why[200];
	size_t used = 0;
	*row = model_row_wire_decode(*t, f->p + 1, f->n - 1, &used, why, sizeof why);
	if (!*row) {
		snprintf(err, errlen, "PUT frame, table %d: %s (offsets from byte 1)", (int)*t, why);
		return -1;
	}
	if (used != f->n - 1) {
		model_row_free(*t, *row);
		*row = NULL;
		snprintf(err, errlen, "PUT frame, table %d: %zu bytes left over after the row at offset %zu",
		         (int)*t, f->n - 1 - used, 1 + used);
		return -1;
	}
	return 0;
}

int relay_get_del(const struct relay_frame *f, enum dc_table *t, int64_t *id, char *err, size_t errlen)
{
	if (expect(f, RF_DEL, 9, true, err, errlen) < 0 || table_get(f, t, err, errlen) < 0)
		return -1;
	*id = (int64_t)rd64(f->p + 1);
	return 0;
}

int relay_get_batch(const struct relay_frame *f, unsigned *mask, char *err, size_t errlen)
{
	if (expect(f, RF_BATCH, 4, true, err, errlen) < 0)
		return -1;
	*mask = rd32(f->p);
	if (*mask & ~(DC_MASK(DC_T_COUNT) - 1)) {
		snprintf(err, errlen, "BATCH frame: mask %#x at offset 0 names tables beyond the %d", *mask,
		         DC_T_COUNT);
		return -1;
	}
	return 0;
}

int relay_addr(const char *path, struct sockaddr_un *a, struct dc_err *err)
{
	*a = (struct sockaddr_un){ .sun_family = AF_UNIX };
	size_t n = strlen(path);
	if (n >= sizeof a->sun_path)
		return dc_err_set(err, "socket path %s is longer than %zu bytes", path, sizeof a->sun_path - 1);
	memcpy(a->sun_path, path, n + 1);
	return 0;
}
