/* sql.h — the console's read queries as text and the decoders that turn
 * their PGresults into model rows (store.c sends them; nothing else should).
 *
 * Every table query selects the columns of one model row in a fixed order:
 * timestamps and dates as epoch seconds (`extract(epoch from ..)::bigint`),
 * numerics as float8, enums and jsonb as text. Delta queries take
 *   $1 = the last version read (bigint, as text)
 *   $2 = the snapshot xmin of the last read (xid8, as text)
 * and return `version > $1 OR txid >= $2` (see 002_feed.sql); the store
 * keeps that watermark per table and reads only the tables a change names
 * (sql_delta_tables). Full-load queries take no parameters. What a full
 * load keeps:
 *   job    pending and running jobs, and the newest SQL_JOB_ENDED_MAX
 *          of those that ended in the last SQL_JOB_KEEP_S (an hour: what
 *          on-call triages. A shift's history is `dcops report
 *          handover`'s, read from the database; a window in time alone
 *          grows with the fleet's job rate. model_prune keeps both limits
 *          as jobs end)
 *   audit  the newest SQL_AUDIT_LOAD rows; later ones arrive as deltas
 *   other  every row
 *
 * Ownership: query strings are static (built once, never freed). A decoded
 * row is one fresh allocation (model_row_pack) the caller hands to
 * model_put or frees with model_row_free. Text columns never decode to
 * NULL: SQL NULL becomes "". Decoders never keep the PGresult. */
#ifndef DCOPS_SQL_H
#define DCOPS_SQL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define SQL_AUDIT_LOAD 2000
#define SQL_JOB_KEEP_S 3600
#define SQL_JOB_ENDED_MAX 50000

/* The table's name in schema dcops ("node", "actions", ...). */
const char *sql_table_name(enum dc_table t);
/* A tombstone's tbl (or a NOTIFY payload) back to the model table; -1 for
 * tables not followed. */
int sql_table_parse(const char *name);
/* The tables a delta read must read when the tables in `changed` (a
 * DC_MASK set) changed: those, and any whose delta query also follows one
 * of them (an incident's, its timeline's new entries). */
unsigned sql_delta_tables(unsigned changed);

/* SELECT for one table (full load, or delta with $1 $2). The full load's
 * GPU rows come grouped by node: all of a node's rows one after another
 * (in node id order, from the node first by name, then from the lowest). */
const char *sql_read_query(enum dc_table t, bool full);
/* Decodes row i of a sql_read_query(t, ..) result into a packed model row
 * (model_row_pack: one allocation); *version gets its version. */
void *sql_decode_row(enum dc_table t, const PGresult *r, int i, int64_t *version);

/* Tombstones: columns (tbl text, row_id bigint, version bigint).
 * The full form returns one row (NULL, NULL, max(version)): a watermark.
 * The delta form takes $3, the tables' names as a text[] literal
 * ("{node,job}"), and returns only their tombstones. */
const char *sql_tombstone_query(bool full);
struct sql_tombstone {
	int table;       /* enum dc_table, or -1 for a table not followed / watermark row */
	int64_t id, version;
};
void sql_decode_tombstone(const PGresult *r, int i, struct sql_tombstone *out);

/* The read transaction around a pipelined read; the xmin query is the
 * transaction's first statement, so its snapshot is the one every table
 * query then reads (REPEATABLE READ); its fourth column is, on a
 * primary, the WAL insert position at that snapshot (a standby that has
 * replayed it holds everything the read saw: sql_caught_up_query), "" on
 * a standby. A full load's also sets its plan,
 * transaction-local: no sort and no parallel workers, so the GPU rows come
 * by the (node_id, idx) index as they are read. Under the simulator's
 * churn the planner otherwise sorted the 189,000 rows (parallel, on disk:
 * 390-410 ms before the first row, against 140-160 ms for the whole index
 * scan and 74 ms for the unordered scan, EXPLAIN ANALYZE), the workers
 * taking the cores from the console drawing the nodes. */
extern const char sql_begin[], sql_commit[], sql_xmin_query[], sql_listen[];
/* A delta read's first statement: the xmin, as sql_xmin_query, and the
 * plan settings, in one statement (a one-table read is five). Delta reads
 * run prepared statements (sql_read_query(t, false) and the tombstone
 * query, prepared once per connection): planning them afresh cost ~10 ms
 * a read, most of a quiet read's time. The settings make them use one
 * cached plan, built with sequential scans off, so it is the index plan a
 * delta wants (a generic plan cannot see how few rows `version > $1`
 * leaves); transaction-local, so a full load still scans. */
extern const char sql_delta_xmin_query[];
/* Has this standby replayed WAL position $1 (a primary's, from the
 * fourth column of the xmin queries)? One boolean; false while it cannot
 * say (nothing replayed yet). */
extern const char sql_caught_up_query[];

/* Session setup: $1 statement_timeout, $2 lock_timeout,
 * $3 idle_in_transaction_session_timeout, $4 default_transaction_read_only
 * ("on"/"off"); returns who we are. */
extern const char sql_session_query[];
struct sql_session {
	char user[64];
	bool superuser, admin, operator_, viewer;
	bool in_recovery;   /* a standby: no LISTEN, read-only */
	int64_t db_oid;     /* to tell a reconnect to the same database */
	char server_start[40]; /* pg_postmaster_start_time: to tell a server restart */
};
int sql_decode_session(const PGresult *r, struct sql_session *out);

/* Where a hot standby's replay stands: cheap (no table is read), so a
 * console on a standby can ask every 100 ms and read deltas only when the
 * position moved. Lag is 0 when everything received is replayed (an idle
 * primary is not a lagging standby), else the age of the last replayed
 * commit. On a primary: in_recovery false, lsn "". */
extern const char sql_replay_query[];
struct sql_replay {
	bool in_recovery;
	char lsn[32];       /* pg_last_wal_replay_lsn() as text; compared, never parsed */
	double lag_s;
};
int sql_decode_replay(const PGresult *r, struct sql_replay *out);

#endif
