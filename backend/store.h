/* store.h — the console's live link to PostgreSQL: asynchronous libpq on the
 * loop, LISTEN dcops_changes, delta reads, reconnect with backoff.
 *
 * One connection, one explicit state machine (see STYLE.md, pgbench):
 *   CONNECTING -> LOADING (full read of every table) -> IDLE
 *   (a first load applies each table as it arrives, the GPUs in whole
 *   node groups: model_loading, model_node_gpus_loading)
 *   IDLE --NOTIFY--> READING (one pipelined round trip: the tables the
 *        NOTIFY payloads named, each `version > $v OR txid >= $xmin`
 *        from its own last read, + their tombstones) -> IDLE
 *   any error -> BROKEN -> backoff (0.5 s doubling to 2 s) -> CONNECTING
 * The console never waits on the network: every libpq call is
 * non-blocking, and a read that exceeds its deadline is cancelled and the
 * link counted as down (the server may be SIGSTOPped, not just gone).
 * On a primary, as a safety net, a delta read of every table also runs
 * every `poll_ms` while idle, and the first read poll_ms after the last
 * such one reads every table too. A hot standby sends no NOTIFY: there the store asks for the
 * replay position every `watch_ms` (sql_replay_query, no table read) and
 * runs a delta read only when it moved, so an idle standby costs no
 * delta reads at all:
 *   IDLE --watch_ms--> WATCHING --moved--> READING -> IDLE
 *                               --same---> IDLE
 * Each read on a standby notes the replay position before its snapshot;
 * a promotion seen by the watch turns LISTEN on and reads what is new.
 *
 * Relay mode (opts.relay, a `dcops relay` socket, relay.h): the session
 * setup still runs here (role, user, read-only, server, session_standby
 * are this console's own), then, if the relay answers HELLO with this build's
 * layout, the connection is closed and the data comes from the relay:
 *   SETUP --relay socket--> RELAY_WAIT --HELLO--> RELAY (close PGconn)
 *         --no socket / refused-----------------> READING (direct)
 *   RELAY: SNAPSHOT (a first one applied table by table like a first
 *   load; a later one staged and swapped in whole), then deltas applied
 *   per BATCH; link, last_ok_wall, standby and lag are the relay's STATUS
 *   (the data's source: a relay on a standby makes a console STANDBY
 *   whatever its own --db is).
 *   RELAY --relay lost--> CONNECTING (direct, a full reload that keeps the
 *   rows on screen until it lands), with the relay retried every
 *   0.5 s doubling to 8 s (60 s after a refusal by another build):
 *   IDLE|BACKOFF --retry, HELLO--> RELAY.
 * The connection is closed rather than kept idle: an idle backend costs
 * the primary nothing per change, but fifty of them are fifty server
 * processes and connection slots held for nothing, and a direct fallback
 * connects afresh anyway. relay_error says why the relay is not in use.
 *
 * Ownership: store_new borrows the loop and the model for the store's
 * life; the store is the model's only writer. Callbacks are invoked from
 * the loop with the store's own status struct, valid during the call. */
#ifndef DCOPS_STORE_H
#define DCOPS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "model.h"

enum store_link { STORE_CONNECTING, STORE_UP, STORE_DOWN };

struct store_status {
	enum store_link link;
	int64_t last_ok_wall;      /* wall time (s) of the last successful read; 0 never */
	int64_t connected_wall;    /* when the current connection came up */
	int reconnects;            /* successful reconnects since start */
	char error[256];           /* the last error, one line ("" if none) */
	char role[64];             /* session_user's strongest dcops role: viewer/operator/admin/superuser */
	char user[64];             /* session_user */
	char server[128];          /* where the data comes from: "host:port, database D" or
	                            * "socket DIR/.s.PGSQL.P, database D" (the relay's, through one) */
	bool readonly;             /* session is read-only */
	bool standby;              /* the data comes from a hot standby (directly, or the relay's) */
	bool session_standby;      /* this console's own session is on a hot standby: a write
	                            * connection to the same conninfo would be refused */
	double replay_lag_s;       /* the standby's replay lag (sql_replay_query); 0 on a primary */
	uint64_t reads, rows_read; /* counters for benchmarks */
	uint64_t delta_reads;      /* reads that were not full loads */
	uint64_t delta_tables;     /* tables those read, summed (all: DC_T_COUNT a read) */
	unsigned last_tables;      /* DC_MASK of the tables the last read read */
	uint64_t watches;          /* replay-position checks on a standby */
	uint64_t delta_rows_max;   /* the largest delta read, in rows, */
	int64_t delta_ms_max;      /* and the longest one, send to applied */
	bool via_relay;            /* the data comes from a relay (opts.relay) */
	char relay_error[160];     /* why not, when a relay is configured ("" otherwise) */
	uint64_t relay_fallbacks;  /* times the relay was lost and the store went direct */
};

struct store_callbacks {
	/* Rows changed: mask of DC_MASK(table) bits. Views mark themselves dirty. */
	void (*on_change)(void *ud, unsigned table_mask);
	/* Link state, error or role changed. */
	void (*on_status)(void *ud, const struct store_status *st);
	void *ud;
};

struct store_opts {
	const char *conninfo;      /* resolved by db_resolve */
	bool readonly;             /* default_transaction_read_only=on for the session */
	int poll_ms;               /* idle safety-net delta read on a primary; default 5000 */
	int watch_ms;              /* replay-position check on a standby; default 100 */
	int deadline_ms;           /* a read or connect taking longer is cancelled; default 3000 */
	const char *relay;         /* a relay's socket path (relay.h); NULL: always direct */
	int load_chunk;            /* a first load puts GPU rows in groups of about this many,
	                            * cut where a node's rows end; default 4096 */
};

struct store;
struct store *store_new(struct loop *l, struct dc_model *m, const struct store_opts *o,
                        const struct store_callbacks *cb);
void store_free(struct store *s);
/* Starts connecting (non-blocking). */
void store_start(struct store *s);
/* While backing off after a failure: connect now, backoff reset (the SSH
 * link under the store came back). No effect in any other state. */
void store_retry(struct store *s);
const struct store_status *store_status(const struct store *s);

#endif
