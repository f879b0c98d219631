/* relay-wire.h — the frames `dcops relay` sends its consoles over a Unix
 * socket (relay.h, relay-client.h).
 *
 * A frame is a big-endian u32 payload length, a u8 type and the payload.
 * The relay speaks first and alone (a client never writes):
 *   HELLO        u32 protocol, u64 layout fingerprint (model.h): a client
 *                of another build refuses and reads the database directly
 *   STATUS       the relay's link to PostgreSQL (struct relay_status)
 *   SNAPSHOT     PUT rows of every table, in dc_table order, until
 *   SNAPSHOT_END
 *   PUT          u8 table, a row (model_row_wire_encode)
 *   DEL          u8 table, i64 id
 *   BATCH        u32 DC_MASK of the tables the PUTs/DELs before it changed:
 *                the client applies them as one change
 *   RESET        the relay could not list what changed (its model was
 *                reloaded): a SNAPSHOT follows
 * Every length, table id and string count read is checked against the
 * frame; errors name the frame type, the table and the offset.
 *
 * Ownership: struct relay_buf owns its bytes (relay_buf_free); decoded
 * rows are packed rows the caller owns (model_put or model_row_free). */
#ifndef DCOPS_RELAY_WIRE_H
#define DCOPS_RELAY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "util.h"

struct sockaddr_un;

#define RELAY_PROTO 1
#define RELAY_HEADER 5                 /* u32 length + u8 type */
#define RELAY_FRAME_MAX (16u << 20)    /* the largest payload a client accepts */

enum relay_type {
	RF_HELLO = 1, RF_STATUS, RF_SNAPSHOT, RF_SNAPSHOT_END, RF_PUT, RF_DEL, RF_BATCH, RF_RESET,
	RF_COUNT
};
const char *relay_type_name(int type);

/* The relay's store_status, as much of it as a console shows. */
struct relay_status {
	int link;                  /* enum store_link */
	bool standby;
	int64_t last_ok_wall;
	double replay_lag_s;
	unsigned loading;          /* model_loading of the relay's model */
	char error[256];
	char server[128];
};

struct relay_buf {
	unsigned char *p;
	size_t n, cap;
};
void relay_buf_free(struct relay_buf *b);
/* from's frames after b's; from is emptied (relay_buf_free). */
void relay_buf_cat(struct relay_buf *b, struct relay_buf *from);

/* Appenders: each adds one whole frame to b. */
void relay_put_hello(struct relay_buf *b, uint32_t proto, uint64_t fingerprint);
void relay_put_status(struct relay_buf *b, const struct relay_status *st);
void relay_put_mark(struct relay_buf *b, enum relay_type type); /* SNAPSHOT, SNAPSHOT_END, RESET */
void relay_put_row(struct relay_buf *b, enum dc_table t, const void *row);
void relay_put_del(struct relay_buf *b, enum dc_table t, int64_t id);
void relay_put_batch(struct relay_buf *b, unsigned mask);

/* One frame seen in a byte stream; p points into the caller's bytes. */
struct relay_frame {
	int type;
	const unsigned char *p;
	size_t n;
};
/* Splits the first frame off in[0..len): 1 (frame and *used set), 0 (not
 * all there yet), -1 with err (unknown type, payload over RELAY_FRAME_MAX). */
int relay_frame_next(const unsigned char *in, size_t len, struct relay_frame *f, size_t *used,
                     char *err, size_t errlen);

/* Readers: 0, or -1 with err naming the frame, table and offset. */
int relay_get_hello(const struct relay_frame *f, char *err, size_t errlen); /* refuses another build */
int relay_get_status(const struct relay_frame *f, struct relay_status *st, char *err, size_t errlen);
int relay_get_row(const struct relay_frame *f, enum dc_table *t, void **row, char *err, size_t errlen);
int relay_get_del(const struct relay_frame *f, enum dc_table *t, int64_t *id, char *err, size_t errlen);
int relay_get_batch(const struct relay_frame *f, unsigned *mask, char *err, size_t errlen);

/* The relay's socket address for path: 0, or -1 with err when the path
 * does not fit (both ends refuse it alike, never a truncated path). */
int relay_addr(const char *path, struct sockaddr_un *a, struct dc_err *err);

#endif
