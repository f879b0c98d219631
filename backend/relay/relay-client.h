/* relay-client.h — a console's end of the relay socket (relay.h): connects,
 * checks HELLO, cuts the byte stream into frames and hands each decoded
 * frame to the store (store.c's relay mode), which applies them.
 *
 * Non-blocking on the loop; the relay is declared lost when it closes,
 * sends a frame that fails to decode, refuses (another build), or says
 * nothing for RELAY_SILENT_MS (it sends STATUS every second).
 *
 * Ownership: relay_client_new borrows the loop and copies the path.
 * Callbacks run from the loop; rows passed to `row` are the callee's.
 * `lost` is the client's last call: after it the client holds no fd and
 * does nothing until freed (the callee may free it inside `lost`).
 * No other callback may free the client. */
#ifndef DCOPS_RELAY_CLIENT_H
#define DCOPS_RELAY_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "model.h"
#include "relay-wire.h"
#include "util.h"

#define RELAY_SILENT_MS 5000

struct relay_client_ops {
	void (*hello)(void *ud);                            /* the same build: data follows */
	void (*status)(void *ud, const struct relay_status *st);
	void (*snapshot)(void *ud, bool begin);             /* SNAPSHOT, SNAPSHOT_END */
	void (*reset)(void *ud);
	void (*row)(void *ud, enum dc_table t, void *row);  /* a PUT: the row is the callee's */
	void (*del)(void *ud, enum dc_table t, int64_t id);
	void (*batch)(void *ud, unsigned mask);
	/* refused: the relay is another build (retrying soon is pointless) */
	void (*lost)(void *ud, const char *why, bool refused);
};

struct relay_client;
/* Connects now (a Unix socket answers at once): NULL with err when nothing
 * listens at path. */
struct relay_client *relay_client_new(struct loop *l, const char *path, const struct relay_client_ops *ops,
                                      void *ud, struct dc_err *err);
void relay_client_free(struct relay_client *c);

#endif
