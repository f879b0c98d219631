/* relay.h — `dcops relay`: one console's store (store.h: LISTEN, delta
 * reads, the standby's replay watch, reconnects) on the loop, its changes
 * fanned out to many consoles over a Unix socket (relay-wire.h), so fifty
 * consoles cost the primary one reader instead of fifty (issue 15).
 *
 * Each store change is walked in the model's change log (model_log_since):
 * a (table, id) still present goes out as a PUT of the row, one gone as a
 * DEL, then a BATCH with the table mask. The relay holds its model's log
 * (model_log_hold), so a read of any size goes out as a batch: fifty
 * snapshots at once used to slow it into a read bigger than the ring,
 * whose RESET brought fifty snapshots again. A log that cannot reach back
 * (the model was reloaded, or one read brought over opts.log_max
 * changes) sends every client RESET and a fresh snapshot. A new
 * client gets HELLO, STATUS, and a SNAPSHOT of every row. Frames are built
 * once into immutable reference-counted buffers that every client's queue
 * points into (clients that connect in the same turn share one snapshot).
 * GPU telemetry is paced (opts.telemetry_ms): a batch's GPU rows, and
 * node rows where only the node's power or last report moved, go to
 * each client at its own turn, every telemetry_ms, the clients' turns
 * spread over that period, while every other change (a node's state,
 * drain or health included) goes to all at once.
 * Fifty consoles woken by every telemetry read at the same moment all
 * apply ~1,000 GPU rows on the same cores, and a drain or an incident
 * read just after waits behind them; paced, they apply a tenth of a
 * second's telemetry each at a different moment. A batch with a delete,
 * or one read while the relay's own first load runs, goes whole, after
 * what the clients hold (so a node is never gone before its GPUs' last
 * rows). Per client the order of each table's rows is kept, but for a
 * paced node row that comes after a newer one sent at once, which the
 * console drops by its version (store.c); across tables a GPU row may
 * show up to telemetry_ms after a job or node row of the same
 * transaction.
 * Writes are non-blocking; a client with more than opts.queue_max bytes
 * (64 MB) queued beyond its snapshot, or bytes waiting for over 30 s,
 * is dropped with the reason logged (it reconnects for a new snapshot).
 * The relay never blocks on a client, and never reads from one (a client
 * only closes). STATUS goes out on every store status change and once a
 * second (the clients' heartbeat).
 *
 * Socket: a stale socket at the path is removed only if it is a socket
 * nobody listens on; the new one is mode 0660. It gives read access to
 * everything a console shows: put it in a directory only the operators'
 * group can reach. The relay's database session is read-only.
 *
 * Ownership: relay_new borrows the loop; the relay owns its store, model,
 * socket (unlinked by relay_free) and clients. */
#ifndef DCOPS_RELAY_H
#define DCOPS_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "store.h"
#include "util.h"

#define RELAY_QUEUE_MAX (64u << 20)
#define RELAY_BEHIND_MS 30000
#define RELAY_HEARTBEAT_MS 1000
#define RELAY_FANOUT_S 60   /* the fan-out figures' window, logged when it ends */
#define RELAY_TELEMETRY_MS 100 /* telemetry to each client once per this */
#define RELAY_TELEMETRY_MAX_MS 10000

struct relay_opts {
	const char *conninfo;      /* the database, as db_resolve gives it */
	const char *socket_path;
	bool quiet;                /* no log lines on stderr */
	size_t queue_max;          /* bytes a client may have queued beyond its snapshot;
	                            * 0: RELAY_QUEUE_MAX */
	int fanout_s;              /* the fan-out window; 0: RELAY_FANOUT_S */
	int telemetry_ms;          /* telemetry's pace (GPU rows, nodes' reports); 0: RELAY_TELEMETRY_MS;
	                            * < 0: sent as it comes */
	size_t log_max;            /* changes one read may bring and still go out as a batch;
	                            * more: RESET and a snapshot; 0: DC_LOG_HOLD_MAX */
};

/* A change batch's fan-out: from the store's change callback to its
 * frames handed to every live client's socket (encoded once, then one
 * send each). Over a window, logged as one line when the window ends
 * (and at relay_free): how long consoles wait on the relay itself, apart
 * from the database read before and their own apply after. */
struct relay_fanout {
	uint64_t batches, rows;    /* in the window */
	size_t clients_max;
	int64_t p50_us, p99_us, max_us;
	/* paced telemetry: sends to a client in the window, and how long the
	 * oldest of each had been held (telemetry's own wait on the pace) */
	uint64_t held_sends;
	int64_t held_p50_us, held_p99_us, held_max_us;
};

struct relay_stats {
	size_t clients;            /* connected now */
	uint64_t accepted, dropped, snapshots, resets, batches;
	struct relay_fanout fanout;  /* the last window that ended (batches 0: none yet) */
};

struct relay;
/* Creates the socket and the store (not started); NULL with err. */
struct relay *relay_new(struct loop *l, const struct relay_opts *o, struct dc_err *err);
void relay_start(struct relay *r);
void relay_free(struct relay *r);
const struct relay_stats *relay_stats(const struct relay *r);
const struct store_status *relay_store_status(const struct relay *r);

#endif
