/* store.c — one asynchronous libpq connection driven by the loop.
 *
 * States (see store.h):
 *   ST_CONNECTING  PQconnectPoll until OK
 *   ST_SETUP       session settings + who am I (one pipeline)
 *   ST_READING     a pipelined read: [LISTEN, sync,] BEGIN RR, xmin, every
 *                  table, tombstones, COMMIT, sync. `full` picks the load
 *                  form (after a first connect, or a different database);
 *                  a reconnect to the same database catches up with a delta.
 *                  A delta read after NOTIFYs reads only the tables their
 *                  payloads named (see struct mark).
 *   ST_IDLE        waiting for NOTIFY or the poll_ms safety net; on a
 *                  standby, for the watch_ms timer
 *   ST_WATCHING    a standby's replay position asked (sql_replay_query);
 *                  moved since the last read: a delta read, else IDLE
 *   ST_BACKOFF     connection dropped; a timer reconnects
 *   ST_RELAY_WAIT  set up, waiting for the relay's HELLO (store.h)
 *   ST_RELAY       the data comes from the relay; no PGconn
 * Results are decoded into a staging area and applied to the model only
 * when the whole read has committed, so the model always holds one
 * consistent snapshot and a failed read leaves the last data in place.
 * The exception is a first load (full_begin): nothing is on screen to
 * keep, so each table goes into the model as soon as its rows are in, all
 * from the read's one snapshot, parents first, and model_loading names
 * the tables still to come; the screen draws the view long before the
 * jobs have arrived. The GPU table, the bulk, comes in node order and goes
 * in by whole node groups as they arrive (gpus_stage), so the nodes on
 * screen fill in node by node. A failed first load is cleared and read again.
 * A full load takes each table in single-row mode: libpq would otherwise
 * hold a whole table's result (~70 MB of PGresult for 190,000 GPU rows in
 * text form) next to the decoded rows; row by row, the peak is the model.
 * About once a minute after a read, model_prune drops jobs that ended more
 * than SQL_JOB_KEEP_S ago or beyond the SQL_JOB_ENDED_MAX newest, and
 * surplus audit rows, so a console left open for a week is the size of a
 * fresh one.
 * Deadline: while a connect or read is in flight, no bytes from the server
 * for deadline_ms drops the connection (PQcancel would block); the next
 * connect leaves that server out of a multi-host string (on_deadline). */
#include "store.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "relay/relay-client.h"
#include "sql.h"
#include "util.h"

enum st { ST_STOPPED, ST_CONNECTING, ST_SETUP, ST_READING, ST_WATCHING, ST_IDLE, ST_BACKOFF,
	ST_RELAY_WAIT, ST_RELAY };

/* One expected result of the pipeline in flight. */
/* STEP_QUIET: a statement whose result carries nothing (PREPARE, SET). */
enum step_kind { STEP_SETUP, STEP_QUIET, STEP_LISTEN, STEP_SYNC, STEP_REPLAY, STEP_BEGIN, STEP_XMIN,
	STEP_TABLE, STEP_TOMB, STEP_COMMIT };
struct step {
	enum step_kind kind;
	enum dc_table table;
};
#define MAX_STEPS (DC_T_COUNT + 12)
#define TOMB_STMT DC_T_COUNT /* prepared statement number of the tombstone query */

struct staged {
	void **rows;
	size_t n, cap;
};
struct tomb {
	enum dc_table t;
	int64_t id;
};

#define ALL_TABLES (DC_MASK(DC_T_COUNT) - 1)

/* One table's delta watermark: the version and snapshot xmin of the last
 * read that read the table. Each read is still one REPEATABLE READ
 * snapshot S, applied whole; it reads the tables NOTIFY payloads named
 * (002_feed.sql: one per changing statement, payload the table's name,
 * sent by the trigger of every followed table and so also for rows other
 * triggers write) and gives only those the new mark.
 *
 * Why this is as safe as one mark for all tables: the query's
 * `txid >= $xmin` half alone finds every row version S could not see,
 * since pg_snapshot_xmin(S) is the oldest transaction S saw in progress
 * and any later or in-progress writer has a txid >= it (`version > $v`
 * only repeats part of that; a late commit is caught by the txid). So a
 * table read at S, and next at S' with S's mark, gets exactly what
 * changed between S and S', however many reads of other tables came
 * between: each table's rows are its state at the snapshot of its own
 * last read. A table a transaction changed is named by that transaction's
 * NOTIFY, which the server delivers only after it committed; a table not
 * named has not changed since its own last read, so the model is S as a
 * whole, except for a transaction that commits between our last NOTIFY
 * and the read's snapshot: its other tables' NOTIFYs arrive with the
 * read's end and the next read follows at once. Against a NOTIFY lost or
 * a table changed without one, every read not asked for by a payload (the
 * poll_ms safety net, a reconnect, a standby's replay watch, a payload
 * naming no table we follow) reads every table, and so does the first
 * read poll_ms after the last such one (under steady churn the idle
 * safety net would never fire). */
struct mark {
	int64_t version;
	char xmin[32];
};

#define STAGED_KEEP 4096 /* staging slots kept per table between reads */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 2000 /* a restarted server is seen within ~2 s (issue 7: 5 s) */
#define RELAY_RETRY_MIN_MS 500
#define RELAY_RETRY_MAX_MS 8000
#define RELAY_REFUSED_MS 60000 /* another build: each try costs the relay a snapshot */

/* Session settings sent on every connect ($1..$3 of sql_session_query). */
static const char *const session_timeouts[] = { "30s", "2s", "60s" };

struct store {
	struct loop *loop;
	struct dc_model *model;
	struct store_opts opts;
	struct store_callbacks cb;
	struct store_status st;

	enum st state;
	PGconn *conn;
	char *conninfo_next; /* the next connect's: opts.conninfo less servers that hung (on_deadline) */
	PGconn *probe;       /* on a primary through a prefer-standby string: is a standby back? */
	int probe_fd;
	bool probe_asking;    /* connected: has it replayed what the model shows (sql_caught_up_query)? */
	uint64_t probe_timer; /* the next probe, or the one in flight's deadline */
	int sock;
	unsigned sock_events;

	struct step steps[MAX_STEPS];
	int nsteps, step;
	bool step_got;       /* the current step has had its result */
	char step_err[256];  /* first error in the pipeline, "" if none */

	/* the read in flight */
	bool full;
	unsigned reading;    /* DC_MASK of the tables it reads */
	bool progressive;    /* a first load: each table applied as it arrives (full_begin) */
	bool listen_done;
	int64_t read_started_ms;
	char new_xmin[32];
	int64_t new_version;
	struct sql_replay replay;   /* the last answer to sql_replay_query */
	char new_lsn[32];           /* replay position before the read's snapshot */
	char new_wal[32];           /* a primary's WAL insert position at the read's snapshot */
	struct staged staged[DC_T_COUNT];
	/* a progressive load's GPU rows, grouped by node (gpus_stage) */
	bool gpu_groups;     /* still put in node groups as they come */
	int64_t gpu_node;    /* the node of the last staged GPU row */
	bool shown;          /* a progressive load's on_change: let the loop draw it */
	uint64_t drain_timer; /* then take the rest of what libpq holds (on_drain) */
	struct tomb *tombs;
	size_t ntombs, captombs;
	uint64_t staged_rows;

	/* watermark of the last applied read */
	bool loaded;
	int64_t db_oid, version;
	char server_start[40];
	struct mark marks[DC_T_COUNT];
	int64_t all_read_ms;        /* when the last read of every table started */
	char lsn[32];               /* a standby's replay position the last read saw */
	char wal[32];               /* a primary's WAL position the model holds everything before ("" unknown) */

	int64_t pruned_wall; /* when model_prune last ran */
	bool standby;        /* a hot standby: no LISTEN, the watch timer does the work */
	bool read_pending;   /* a NOTIFY arrived while busy */
	unsigned pending;    /* tables NOTIFYs named since the last read started */
	bool was_up;         /* some connection has reached UP before */
	int backoff_ms;
	int64_t progress_ms;
	uint64_t deadline_timer, poll_timer, backoff_timer, watch_timer;

	/* relay mode (store.h) */
	struct relay_client *relay;
	bool need_full;      /* the model holds the relay's rows: the marks say nothing */
	bool relay_snap;     /* inside SNAPSHOT .. SNAPSHOT_END */
	bool relay_prog;     /* that snapshot is a first load, applied table by table */
	int relay_table;     /* a progressive snapshot's tables before this one are in */
	unsigned relay_loading; /* the relay's model_loading */
	int relay_retry_ms;
	uint64_t relay_timer;
};

static void store_connect(struct store *s);
static void read_start(struct store *s, bool full);
static bool relay_try(struct store *s);

/* ---- status ---- */

static void status_emit(struct store *s)
{
	if (s->cb.on_status)
		s->cb.on_status(s->cb.ud, &s->st);
}

/* libpq messages span lines ("FATAL: ...\nDETAIL: ..."): keep one line. */
static void error_set(struct store *s, const char *msg)
{
	char *o = s->st.error, *end = s->st.error + sizeof s->st.error - 1;
	bool space = false;
	for (const char *p = msg ? msg : ""; *p && o < end; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			space = true;
			continue;
		}
		if (space && o > s->st.error && o < end)
			*o++ = ' ';
		space = false;
		*o++ = *p;
	}
	*o = '\0';
}

/* ---- staging ---- */

static void staged_clear(struct store *s)
{
	for (int t = 0; t < DC_T_COUNT; t++) {
		struct staged *sg = &s->staged[t];
		for (size_t i = 0; i < sg->n; i++)
			model_row_free((enum dc_table)t, sg->rows[i]);
		sg->n = 0;
	}
	s->ntombs = 0;
	s->staged_rows = 0;
}

static void staged_free(struct store *s)
{
	staged_clear(s);
	for (int t = 0; t < DC_T_COUNT; t++)
		free(s->staged[t].rows);
	free(s->tombs);
}

/* Room for all of a first load's GPU rows in the model, once: the nodes
 * (in already) say how many. */
static void gpus_reserve(struct store *s)
{
	size_t want = 0, n = model_count(s->model, DC_T_NODE);
	for (size_t i = 0; i < n; i++) {
		const struct dc_node *nd = model_row(s->model, DC_T_NODE, i);
		want += nd->gpu_count > 0 ? (size_t)nd->gpu_count : 0;
	}
	model_reserve(s->model, DC_T_GPU, want);
}

/* A progressive load's staged GPU rows, whole node groups, into the model
 * now; the screen draws them (model_node_gpus_loading). */
static void gpus_put(struct store *s)
{
	struct staged *sg = &s->staged[DC_T_GPU];
	if (model_count(s->model, DC_T_GPU) == 0)
		gpus_reserve(s);
	for (size_t i = 0; i < sg->n; i++)
		model_put(s->model, DC_T_GPU, sg->rows[i]);
	sg->n = 0;
	if (s->cb.on_change)
		s->cb.on_change(s->cb.ud, DC_MASK(DC_T_GPU));
	s->shown = true;
}

/* A first load's GPU row g, about to be staged. The rows come grouped by
 * node (sql_read_query): the first row of another node shows the groups
 * staged so far whole, and once they are load_chunk rows they go into the
 * model. Should a node whose group is in come again (not the order asked
 * for), the rest of the table is staged whole instead, as before. */
static void gpus_stage(struct store *s, const struct dc_gpu *g)
{
	struct staged *sg = &s->staged[DC_T_GPU];
	if (!s->gpu_groups || g->node_id == s->gpu_node)
		return;
	if (sg->n) {
		const struct dc_node *nd = model_node(s->model, g->node_id);
		if (nd && nd->gpus_known) /* its group is in already */
			s->gpu_groups = false;
		else if (sg->n >= (size_t)s->opts.load_chunk)
			gpus_put(s);
	}
	s->gpu_node = g->node_id;
}

static void stage_table(struct store *s, enum dc_table t, const PGresult *r)
{
	struct staged *sg = &s->staged[t];
	int n = PQntuples(r);
	bool groups = s->progressive && t == DC_T_GPU;
	for (int i = 0; i < n; i++) {
		int64_t v = 0;
		void *row = sql_decode_row(t, r, i, &v);
		if (v > s->new_version)
			s->new_version = v;
		if (groups)
			gpus_stage(s, row);
		sg->rows = xgrow(sg->rows, &sg->cap, sg->n + 1, sizeof *sg->rows);
		sg->rows[sg->n++] = row;
	}
	s->staged_rows += (uint64_t)n;
}

static void stage_tombs(struct store *s, const PGresult *r)
{
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct sql_tombstone tb;
		sql_decode_tombstone(r, i, &tb);
		if (tb.version > s->new_version)
			s->new_version = tb.version;
		if (tb.table < 0)
			continue;
		s->tombs = xgrow(s->tombs, &s->captombs, s->ntombs + 1, sizeof *s->tombs);
		s->tombs[s->ntombs++] = (struct tomb){ (enum dc_table)tb.table, tb.id };
	}
	s->staged_rows += (uint64_t)n;
}

/* Table t's staged rows into the model (room made first in a full
 * load); true when any row changed it. */
static bool staged_put(struct store *s, enum dc_table t)
{
	struct staged *sg = &s->staged[t];
	if (s->full)
		model_reserve(s->model, t, model_count(s->model, t) + sg->n);
	bool changed = model_put_many(s->model, t, sg->rows, sg->n);
	sg->n = 0;
	if (sg->cap > STAGED_KEEP) { /* a full load's arrays: give them back */
		free(sg->rows);
		sg->rows = NULL;
		sg->cap = 0;
	}
	return changed;
}

/* Applies the staged read in table order (parents first), then deletes.
 * A progressive load has applied its tables already (table_arrived). */
static unsigned staged_apply(struct store *s)
{
	unsigned mask = 0;
	if (s->full) {
		if (!s->progressive)
			model_clear(s->model);
		model_set_loading(s->model, 0);
		mask = ALL_TABLES;
	}
	for (int t = 0; t < DC_T_COUNT; t++)
		if (staged_put(s, (enum dc_table)t))
			mask |= DC_MASK(t);
	for (size_t i = 0; i < s->ntombs; i++) {
		if (!model_get(s->model, s->tombs[i].t, s->tombs[i].id))
			continue;
		model_delete(s->model, s->tombs[i].t, s->tombs[i].id);
		mask |= DC_MASK(s->tombs[i].t);
	}
	s->ntombs = 0;
	return mask;
}

/* ---- connection plumbing ---- */

static void sock_watch(struct store *s, unsigned events);
static void on_fd(struct loop *l, int fd, unsigned events, void *ud);

static void timers_cancel(struct store *s)
{
	loop_timer_cancel(s->loop, s->deadline_timer);
	loop_timer_cancel(s->loop, s->poll_timer);
	loop_timer_cancel(s->loop, s->backoff_timer);
	loop_timer_cancel(s->loop, s->watch_timer);
	loop_timer_cancel(s->loop, s->drain_timer);
	s->deadline_timer = s->poll_timer = s->backoff_timer = s->watch_timer = s->drain_timer = 0;
}

static void probe_end(struct store *s);

static void conn_drop(struct store *s)
{
	probe_end(s);
	if (s->sock >= 0)
		loop_fd_del(s->loop, s->sock);
	s->sock = -1;
	s->sock_events = 0;
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	timers_cancel(s);
	staged_clear(s);
	s->nsteps = s->step = 0;
}

static void on_backoff(struct loop *l, void *ud)
{
	(void)l;
	struct store *s = ud;
	s->backoff_timer = 0;
	store_connect(s);
}

/* Any failure: drop the connection, keep the model, retry after a backoff
 * (with every server of the conninfo again). */
static void store_broken(struct store *s, const char *why)
{
	error_set(s, why); /* why may live in the PGconn: copy it first */
	free(s->conninfo_next);
	s->conninfo_next = NULL;
	conn_drop(s);
	s->st.link = STORE_DOWN;
	s->state = ST_BACKOFF;
	s->backoff_timer = loop_timer_add(s->loop, s->backoff_ms, on_backoff, s);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
	status_emit(s);
}

/* ---- back to a standby (prefer-standby) ----
 * libpq picks a multi-host string's server only when it connects: a
 * session that fell back to the primary (its standby died or hung) would
 * stay there for good, and the standby's readers with it. So while such a
 * session is on a primary, every PREFER_PROBE_MS a second, asynchronous
 * connection asks the same string for a standby only; when one answers
 * and has replayed everything the model shows (probe_ask), the store
 * reconnects (a full reload, as after a failover). */
#define PREFER_PROBE_MS 10000

static void on_probe_due(struct loop *l, void *ud);

static void probe_end(struct store *s)
{
	if (s->probe_fd >= 0)
		loop_fd_del(s->loop, s->probe_fd);
	s->probe_fd = -1;
	if (s->probe)
		PQfinish(s->probe);
	s->probe = NULL;
	s->probe_asking = false;
	loop_timer_cancel(s->loop, s->probe_timer);
	s->probe_timer = 0;
}

/* Connected to a primary through a prefer-standby string: look again later. */
static void probe_arm(struct store *s)
{
	if (s->probe || s->probe_timer || !s->conn || s->standby || !db_conn_prefers_standby(s->conn))
		return;
	s->probe_timer = loop_timer_add(s->loop, PREFER_PROBE_MS, on_probe_due, s);
}

static void probe_watch(struct store *s, unsigned events);

/* The probe's question, once connected: has this standby replayed the
 * primary's WAL up to where the model's last read stood? Going to one
 * that has not would take the console back in time (a drain it showed
 * would vanish), so a standby still catching up is asked again later. */
static bool probe_ask(struct store *s)
{
	const char *p[1] = { s->wal[0] ? s->wal : "0/0" };
	if (PQsetnonblocking(s->probe, 1) != 0 ||
	    !PQsendQueryParams(s->probe, sql_caught_up_query, 1, NULL, p, NULL, NULL, 0))
		return false;
	s->probe_asking = true;
	return true;
}

/* The answer, when it is all in: 1 caught up, 0 not (or an error), -1 not yet. */
static int probe_answer(struct store *s)
{
	if (!PQconsumeInput(s->probe) || PQflush(s->probe) < 0)
		return 0;
	if (PQisBusy(s->probe))
		return -1;
	PGresult *r = PQgetResult(s->probe);
	int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return yes;
}

static void on_probe_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)fd;
	(void)events;
	struct store *s = ud;
	if (!s->probe_asking) {
		switch (PQconnectPoll(s->probe)) {
		case PGRES_POLLING_READING:
			probe_watch(s, LOOP_READ);
			return;
		case PGRES_POLLING_WRITING:
			probe_watch(s, LOOP_WRITE);
			return;
		case PGRES_POLLING_OK:
			if (probe_ask(s)) {
				probe_watch(s, LOOP_READ | LOOP_WRITE);
				return;
			}
			/* fall through */
		default: /* no standby yet */
			probe_end(s);
			probe_arm(s);
			return;
		}
	}
	int yes = probe_answer(s);
	if (yes < 0) {
		probe_watch(s, PQflush(s->probe) == 1 ? LOOP_READ | LOOP_WRITE : LOOP_READ);
		return;
	}
	probe_end(s);
	if (!yes) { /* a standby, still behind what the console shows */
		probe_arm(s);
		return;
	}
	/* a standby that holds everything shown answers: go to it, as the string prefers */
	conn_drop(s);
	s->st.link = STORE_CONNECTING;
	status_emit(s);
	store_connect(s);
}

/* libpq may change sockets between the string's servers. */
static void probe_watch(struct store *s, unsigned events)
{
	loop_fd_follow(s->loop, &s->probe_fd, PQsocket(s->probe), events, on_probe_fd, s);
}

static void on_probe_hung(struct loop *l, void *ud)
{
	(void)l;
	struct store *s = ud;
	s->probe_timer = 0;
	probe_end(s);
	probe_arm(s);
}

static void on_probe_due(struct loop *l, void *ud)
{
	struct store *s = ud;
	s->probe_timer = 0;
	if (!s->conn || s->standby || (s->state != ST_IDLE && s->state != ST_READING && s->state != ST_WATCHING))
		return; /* not on a primary now: the next setup arms it again */
	char *ci = db_conninfo_set(s->opts.conninfo, "target_session_attrs", "standby");
	s->probe = ci ? db_connect_start(ci, "dcops-probe", false) : NULL;
	free(ci);
	if (!s->probe || PQstatus(s->probe) == CONNECTION_BAD) {
		probe_end(s);
		probe_arm(s);
		return;
	}
	probe_watch(s, LOOP_WRITE);
	s->probe_timer = loop_timer_add(l, db_connect_wait_ms(s->probe), on_probe_hung, s);
}

static void on_deadline(struct loop *l, void *ud)
{
	struct store *s = ud;
	s->deadline_timer = 0;
	int64_t idle = dc_mono_ms() - s->progress_ms;
	if (idle < s->opts.deadline_ms) {
		s->deadline_timer = loop_timer_add(l, s->opts.deadline_ms - idle, on_deadline, s);
		return;
	}
	/* libpq moves to a multi-host string's next server when one refuses or
	 * fails, not when one hangs (a SIGSTOPped or frozen standby: a Unix
	 * socket accepts, TCP answers): the next try goes without it */
	char *next = db_conninfo_skip(s->conninfo_next ? s->conninfo_next : s->opts.conninfo, s->conn);
	char msg[128];
	snprintf(msg, sizeof msg, "no answer from the server in %d ms%s", s->opts.deadline_ms,
	         next ? " (trying the other hosts first)" : "");
	store_broken(s, msg);
	s->conninfo_next = next; /* the next try's; a failure of its own tries them all again */
}

static void deadline_arm(struct store *s)
{
	s->progress_ms = dc_mono_ms();
	if (!s->deadline_timer)
		s->deadline_timer = loop_timer_add(s->loop, s->opts.deadline_ms, on_deadline, s);
}

static void deadline_disarm(struct store *s)
{
	loop_timer_cancel(s->loop, s->deadline_timer);
	s->deadline_timer = 0;
}

static void sock_watch(struct store *s, unsigned events)
{
	int fd = PQsocket(s->conn);
	if (fd != s->sock || events != s->sock_events) {
		loop_fd_follow(s->loop, &s->sock, fd, events, on_fd, s);
		s->sock_events = events;
	}
}

/* Pushes queued output; watches for writability until it is all sent. */
static int conn_flush(struct store *s)
{
	int rc = PQflush(s->conn);
	if (rc < 0) {
		store_broken(s, PQerrorMessage(s->conn));
		return -1;
	}
	sock_watch(s, rc ? LOOP_READ | LOOP_WRITE : LOOP_READ);
	return 0;
}

/* ---- pipelines ---- */

static void step_add(struct store *s, enum step_kind k, enum dc_table t)
{
	s->steps[s->nsteps++] = (struct step){ k, t };
}

static int send_params(struct store *s, const char *sql, int n, const char *const *vals)
{
	return PQsendQueryParams(s->conn, sql, n, NULL, vals, NULL, NULL, 0) ? 0 : -1;
}

static void pipeline_begin(struct store *s)
{
	s->nsteps = s->step = 0;
	s->step_got = false;
	s->step_err[0] = '\0';
}

static void pipeline_send(struct store *s, int failed)
{
	if (failed || !PQpipelineSync(s->conn)) {
		store_broken(s, PQerrorMessage(s->conn));
		return;
	}
	deadline_arm(s);
	conn_flush(s);
}

/* The delta read's prepared statements: "dcops_d<table>", one per connection. */
static void stmt_name(int t, char *buf, size_t n)
{
	snprintf(buf, n, "dcops_d%d", t);
}

/* The query of table t, or of the tombstones (TOMB_STMT). */
static const char *read_sql(int t, bool full)
{
	return t == TOMB_STMT ? sql_tombstone_query(full) : sql_read_query((enum dc_table)t, full);
}

/* One table (or, TOMB_STMT, the tombstones) of a read: a full load as
 * text (rare, parameterless), a delta as its prepared statement from the
 * table's own mark. */
static int send_table(struct store *s, int t, bool full)
{
	/* A full load's table, then a flush request: the server sends the
	 * table's last rows when it is done with them rather than when its
	 * buffer next fills, so a first load draws each table as it arrives. */
	if (full)
		return send_params(s, read_sql(t, true), 0, NULL) || !PQsendFlushRequest(s->conn) ? -1 : 0;
	char name[24], ver[32];
	stmt_name(t, name, sizeof name);
	snprintf(ver, sizeof ver, "%lld", (long long)s->marks[t].version);
	const char *params[2] = { ver, s->marks[t].xmin };
	return PQsendQueryPrepared(s->conn, name, 2, params, NULL, NULL, 0) ? 0 : -1;
}

/* A delta read's tombstones: those of the tables it reads, from the oldest
 * of their marks (a tombstone already applied finds no row: harmless). */
static int send_tombs(struct store *s)
{
	int64_t ver = INT64_MAX;
	unsigned long long xmin = ULLONG_MAX;
	char tbls[DC_T_COUNT * 24] = "{";
	size_t len = 1;
	for (int t = 0; t < DC_T_COUNT; t++) {
		if (!(s->reading & DC_MASK(t)))
			continue;
		unsigned long long x = strtoull(s->marks[t].xmin, NULL, 10);
		if (s->marks[t].version < ver)
			ver = s->marks[t].version;
		if (x < xmin)
			xmin = x;
		len += (size_t)snprintf(tbls + len, sizeof tbls - len, "%s%s", len > 1 ? "," : "",
		                        sql_table_name((enum dc_table)t));
	}
	snprintf(tbls + len, sizeof tbls - len, "}");
	char name[24], vs[32], xs[32];
	stmt_name(TOMB_STMT, name, sizeof name);
	snprintf(vs, sizeof vs, "%lld", (long long)ver);
	snprintf(xs, sizeof xs, "%llu", xmin);
	const char *params[3] = { vs, xs, tbls };
	return PQsendQueryPrepared(s->conn, name, 3, params, NULL, NULL, 0) ? 0 : -1;
}

/* The tables a delta read reads: those the NOTIFYs named (and what follows
 * them), or every table when no payload asked or poll_ms has passed since
 * the last read of every table (struct mark says why). */
static unsigned delta_pick(const struct store *s)
{
	if (!s->pending || dc_mono_ms() - s->all_read_ms >= s->opts.poll_ms)
		return ALL_TABLES;
	return sql_delta_tables(s->pending);
}

static void setup_start(struct store *s)
{
	char st[32];
	snprintf(st, sizeof st, "%s", s->opts.readonly ? "on" : "off");
	const char *vals[4] = { session_timeouts[0], session_timeouts[1], session_timeouts[2], st };
	s->state = ST_SETUP;
	pipeline_begin(s);
	int failed = send_params(s, sql_session_query, 4, vals);
	step_add(s, STEP_SETUP, 0);
	for (int t = 0; t <= TOMB_STMT; t++) {
		char name[24];
		stmt_name(t, name, sizeof name);
		failed |= !PQsendPrepare(s->conn, name, read_sql(t, false), 2, NULL);
		step_add(s, STEP_QUIET, 0);
	}
	step_add(s, STEP_SYNC, 0);
	pipeline_send(s, failed);
}

/* A full load into a model that has never held a whole read (the first
 * connect, or a retry after a first load failed part-way) is shown as it
 * arrives: the screen needs no consistency with earlier data, and every
 * table comes from the read's one REPEATABLE READ snapshot, parents first,
 * so what is applied is a consistent part of it. A reload over data
 * already shown stays all-at-once (staged_apply): the model never mixes
 * two snapshots. */
static void full_begin(struct store *s)
{
	s->progressive = !s->loaded;
	if (!s->progressive)
		return;
	model_clear(s->model); /* what a failed first attempt applied */
	model_set_loading(s->model, ALL_TABLES);
	s->gpu_groups = true;
	s->gpu_node = 0;
}

/* A progressive load's table t has all its rows: into the model now,
 * whole, so no view ever shows part of a table (rows put as they came
 * drew "8,709 nodes" mid-table; the staging array costs ~0.5 MB of peak).
 * The GPUs, the bulk of the load, have gone in by whole node groups as
 * they came (gpus_stage): each node's GPU columns show as soon as its
 * rows are in, all of them, from the same snapshot; this puts the last. */
static void table_arrived(struct store *s, enum dc_table t)
{
	staged_put(s, t);
	model_set_loading(s->model, model_loading(s->model) & ~DC_MASK(t));
	if (s->cb.on_change)
		s->cb.on_change(s->cb.ud, DC_MASK(t));
	s->shown = true;
}

static void read_start(struct store *s, bool full)
{
	loop_timer_cancel(s->loop, s->poll_timer);
	loop_timer_cancel(s->loop, s->watch_timer);
	s->poll_timer = s->watch_timer = 0;
	s->state = ST_READING;
	s->full = full;
	s->reading = full ? ALL_TABLES : delta_pick(s);
	s->pending = 0;
	s->progressive = false;
	if (full)
		full_begin(s);
	s->read_started_ms = dc_mono_ms();
	s->read_pending = false;
	s->new_version = full ? 0 : s->version;
	s->new_xmin[0] = '\0';
	s->new_lsn[0] = '\0';
	s->new_wal[0] = '\0';
	pipeline_begin(s);

	int failed = 0;
	if (!s->listen_done && !s->standby) {
		failed |= send_params(s, sql_listen, 0, NULL);
		step_add(s, STEP_LISTEN, 0);
		failed |= !PQpipelineSync(s->conn);
		step_add(s, STEP_SYNC, 0);
	}
	if (s->standby) { /* before the snapshot: what it shows is at least this */
		failed |= send_params(s, sql_replay_query, 0, NULL);
		step_add(s, STEP_REPLAY, 0);
		failed |= !PQpipelineSync(s->conn); /* its own transaction: BEGIN must come first in the read's */
		step_add(s, STEP_SYNC, 0);
	}
	failed |= send_params(s, sql_begin, 0, NULL);
	step_add(s, STEP_BEGIN, 0);
	failed |= send_params(s, full ? sql_xmin_query : sql_delta_xmin_query, 0, NULL);
	step_add(s, STEP_XMIN, 0);
	for (int t = 0; t < DC_T_COUNT; t++) {
		if (!(s->reading & DC_MASK(t)))
			continue;
		failed |= send_table(s, t, full);
		step_add(s, STEP_TABLE, (enum dc_table)t);
	}
	failed |= full ? send_table(s, TOMB_STMT, true) : send_tombs(s);
	step_add(s, STEP_TOMB, 0);
	failed |= send_params(s, sql_commit, 0, NULL);
	step_add(s, STEP_COMMIT, 0);
	step_add(s, STEP_SYNC, 0);
	pipeline_send(s, failed);
}

static void on_poll(struct loop *l, void *ud)
{
	(void)l;
	struct store *s = ud;
	s->poll_timer = 0;
	if (s->state == ST_IDLE)
		read_start(s, false);
}

static void watch_start(struct store *s)
{
	s->state = ST_WATCHING;
	pipeline_begin(s);
	int failed = send_params(s, sql_replay_query, 0, NULL);
	step_add(s, STEP_REPLAY, 0);
	step_add(s, STEP_SYNC, 0);
	pipeline_send(s, failed);
}

static void on_watch(struct loop *l, void *ud)
{
	(void)l;
	struct store *s = ud;
	s->watch_timer = 0;
	if (s->state == ST_IDLE)
		watch_start(s);
}

static void idle_enter(struct store *s)
{
	s->state = ST_IDLE;
	deadline_disarm(s);
	if (s->read_pending) {
		read_start(s, false);
		return;
	}
	if (s->standby)
		s->watch_timer = loop_timer_add(s->loop, s->opts.watch_ms, on_watch, s);
	else
		s->poll_timer = loop_timer_add(s->loop, s->opts.poll_ms, on_poll, s);
}

/* Lag and standby-ness for the header: a change of a whole second, or a
 * promotion, is news; the rest is not. */
static void replay_note(struct store *s, const struct sql_replay *rp)
{
	bool news = (int64_t)rp->lag_s != (int64_t)s->st.replay_lag_s || rp->in_recovery != s->st.standby;
	s->st.replay_lag_s = rp->in_recovery ? rp->lag_s : 0;
	s->st.standby = rp->in_recovery;
	s->st.session_standby = rp->in_recovery;
	if (!rp->in_recovery && s->standby) {
		/* promoted under us: the same history, now with NOTIFY */
		s->standby = false;
		s->listen_done = false;
		s->st.readonly = s->opts.readonly;
		probe_arm(s); /* a prefer-standby string: another standby may take over */
	}
	if (news)
		status_emit(s);
}

static void watch_done(struct store *s)
{
	s->st.watches++;
	replay_note(s, &s->replay);
	if (!s->standby || strcmp(s->replay.lsn, s->lsn) != 0)
		read_start(s, false);
	else
		idle_enter(s);
}

static void role_set(struct store *s, const struct sql_session *ss)
{
	const char *role = ss->superuser ? "superuser" : ss->admin ? "admin"
	                 : ss->operator_ ? "operator" : ss->viewer ? "viewer" : "none";
	snprintf(s->st.role, sizeof s->st.role, "%s", role);
	snprintf(s->st.user, sizeof s->st.user, "%s", ss->user);
	char where[96];
	db_server_name(s->conn, where, sizeof where);
	const char *db = PQdb(s->conn);
	snprintf(s->st.server, sizeof s->st.server, "%s, database %s", where, db ? db : "?");
	s->st.readonly = s->opts.readonly || ss->in_recovery;
	s->st.standby = ss->in_recovery;
	s->st.session_standby = ss->in_recovery;
	if (!ss->in_recovery)
		s->st.replay_lag_s = 0;
}

static void setup_done(struct store *s, const PGresult *r)
{
	struct sql_session ss;
	if (sql_decode_session(r, &ss) < 0) {
		snprintf(s->step_err, sizeof s->step_err, "unexpected answer to the session query");
		return;
	}
	role_set(s, &ss);
	s->standby = ss.in_recovery;
	probe_arm(s);
	/* A reconnect to the same running server catches up with a delta read.
	 * After a server restart (or a failover) the server may have lost commits
	 * we already showed (synchronous_commit=off, a lagging standby), so its
	 * versions and txids can be behind our watermark: reload in full. */
	s->full = !s->loaded || s->need_full || ss.db_oid != s->db_oid ||
	          strcmp(ss.server_start, s->server_start) != 0;
	s->db_oid = ss.db_oid;
	snprintf(s->server_start, sizeof s->server_start, "%s", ss.server_start);
	s->st.connected_wall = (int64_t)dc_wall();
}

/* Jobs and audit rows the full load would no longer read, about once a minute. */
static unsigned prune_due(struct store *s)
{
	int64_t now = (int64_t)dc_wall();
	if (now - s->pruned_wall < 60)
		return 0;
	s->pruned_wall = now;
	struct dc_keep keep = { now - SQL_JOB_KEEP_S, SQL_JOB_ENDED_MAX, SQL_AUDIT_LOAD };
	return model_prune(s->model, &keep);
}

/* The tables this read read now stand at its snapshot. */
static void marks_note(struct store *s)
{
	uint64_t n = 0;
	for (int t = 0; t < DC_T_COUNT; t++) {
		if (!(s->reading & DC_MASK(t)))
			continue;
		s->marks[t].version = s->new_version;
		snprintf(s->marks[t].xmin, sizeof s->marks[t].xmin, "%s", s->new_xmin);
		n++;
	}
	if (s->reading == ALL_TABLES)
		s->all_read_ms = s->read_started_ms;
	s->st.last_tables = s->reading;
	if (!s->full)
		s->st.delta_tables += n;
}

static void read_done(struct store *s)
{
	unsigned mask = staged_apply(s);
	if (s->full) {
		s->pruned_wall = (int64_t)dc_wall();
		s->need_full = false;
	}
	else
		mask |= prune_due(s);
	s->loaded = true;
	s->version = s->new_version;
	marks_note(s);
	snprintf(s->lsn, sizeof s->lsn, "%s", s->new_lsn);
	snprintf(s->wal, sizeof s->wal, "%s", s->new_wal);
	if (s->standby) /* the read asked where replay stood */
		replay_note(s, &s->replay);
	else
		s->listen_done = true;
	if (!s->standby && !s->listen_done) /* promoted during the read: LISTEN with the next one */
		s->read_pending = true;
	s->st.reads++;
	if (!s->full)
		s->st.delta_reads++;
	s->st.rows_read += s->staged_rows;
	if (!s->full) {
		int64_t ms = dc_mono_ms() - s->read_started_ms;
		if (ms > s->st.delta_ms_max)
			s->st.delta_ms_max = ms;
		if (s->staged_rows > s->st.delta_rows_max)
			s->st.delta_rows_max = s->staged_rows;
	}
	s->staged_rows = 0;
	s->st.last_ok_wall = (int64_t)dc_wall();
	bool came_up = s->st.link != STORE_UP;
	if (came_up) {
		if (s->was_up)
			s->st.reconnects++;
		s->was_up = true;
		s->st.link = STORE_UP;
		s->st.error[0] = '\0';
		s->backoff_ms = BACKOFF_MIN_MS;
	}
	idle_enter(s);
	if (mask && s->cb.on_change)
		s->cb.on_change(s->cb.ud, mask);
	if (came_up)
		status_emit(s);
}

/* One result of the current step. Errors are kept for the sync. */
static void step_result(struct store *s, PGresult *r)
{
	const struct step *st = &s->steps[s->step];
	ExecStatusType es = PQresultStatus(r);
	s->step_got = true;
	if (es == PGRES_PIPELINE_ABORTED)
		return;
	if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK && es != PGRES_SINGLE_TUPLE) {
		if (!s->step_err[0])
			snprintf(s->step_err, sizeof s->step_err, "%s", PQresultErrorMessage(r));
		return;
	}
	if (s->step_err[0])
		return;
	switch (st->kind) {
	case STEP_SETUP:
		setup_done(s, r);
		break;
	case STEP_REPLAY:
		if (sql_decode_replay(r, &s->replay) < 0)
			snprintf(s->step_err, sizeof s->step_err, "unexpected answer to the replay query");
		else if (s->state == ST_READING)
			snprintf(s->new_lsn, sizeof s->new_lsn, "%s", s->replay.lsn);
		break;
	case STEP_XMIN:
		snprintf(s->new_xmin, sizeof s->new_xmin, "%s",
		         PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "0");
		snprintf(s->new_wal, sizeof s->new_wal, "%s",
		         PQntuples(r) == 1 && PQnfields(r) > 3 ? PQgetvalue(r, 0, 3) : "");
		break;
	case STEP_TABLE: /* one row at a time in a full load (PGRES_SINGLE_TUPLE) */
		stage_table(s, st->table, r);
		break;
	case STEP_TOMB:
		stage_tombs(s, r);
		break;
	default:
		break;
	}
}

/* The pipeline's last sync arrived: act on what it carried. */
static void pipeline_done(struct store *s)
{
	if (s->step_err[0]) {
		store_broken(s, s->step_err);
		return;
	}
	if (s->state == ST_SETUP) {
		if (!relay_try(s))
			read_start(s, s->full);
		return;
	}
	if (s->state == ST_WATCHING) {
		watch_done(s);
		return;
	}
	read_done(s);
}

/* Something other than the end of the pipeline where it was due. An error
 * there is the server's: after an ERROR has aborted the pipeline, a FATAL
 * that ends the connection (a hot standby terminating a read that still
 * conflicts with recovery, after cancelling it) takes the sync's place.
 * The pipeline's first error says why. */
static void sync_missed(struct store *s, const PGresult *r)
{
	const char *why = "protocol out of step: expected the end of a pipeline";
	if (s->step_err[0])
		why = s->step_err;
	else if (PQresultStatus(r) == PGRES_FATAL_ERROR)
		why = PQresultErrorMessage(r);
	store_broken(s, why);
}

static void on_drain(struct loop *l, void *ud);

/* Takes every result libpq has without blocking, until the pipeline's
 * last sync (which hands over to pipeline_done). A progressive load stops
 * after what it has put into the model and takes the rest in the next
 * loop turn, once the screen has drawn it: when the server is ahead,
 * libpq holds megabytes of GPU rows, and taking them all first kept the
 * nodes off the screen. */
static void results_drain(struct store *s)
{
	int nulls = 0; /* two NULLs in a row: libpq has nothing more for now */
	s->shown = false;
	while (s->step < s->nsteps && !PQisBusy(s->conn)) {
		if (s->shown) {
			if (!s->drain_timer)
				s->drain_timer = loop_timer_add(s->loop, 0, on_drain, s);
			return;
		}
		PGresult *r = PQgetResult(s->conn);
		const struct step *st = &s->steps[s->step];
		if (!r) {
			if (s->step_got && st->kind != STEP_SYNC) {
				if (st->kind == STEP_TABLE && s->progressive && !s->step_err[0])
					table_arrived(s, st->table);
				s->step++;
				s->step_got = false;
				/* before libpq parses a byte of the next result; if it
				 * refuses, the table simply arrives in one result */
				if (s->steps[s->step].kind == STEP_TABLE)
					(void)PQsetSingleRowMode(s->conn);
			}
			if (++nulls > 1)
				return;
			continue;
		}
		nulls = 0;
		if (st->kind != STEP_SYNC) {
			step_result(s, r);
			PQclear(r);
			continue;
		}
		if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
			sync_missed(s, r);
			PQclear(r);
			return;
		}
		PQclear(r);
		if (++s->step == s->nsteps) {
			pipeline_done(s);
			return;
		}
	}
}

/* NOTIFYs that arrive during a read add to the next one's tables. */
static void want_tables(struct store *s, unsigned tables)
{
	s->pending |= tables;
	if (s->state == ST_IDLE)
		read_start(s, false);
	else
		s->read_pending = true;
}

/* A payload is one table's name (002_feed.sql); anything else, or a table
 * the console does not follow, asks for every table. */
static void notifies_drain(struct store *s)
{
	unsigned tables = 0;
	PGnotify *n;
	while ((n = PQnotifies(s->conn)) != NULL) {
		int t = sql_table_parse(n->extra);
		tables |= t < 0 ? ALL_TABLES : DC_MASK(t);
		PQfreemem(n);
	}
	if (tables)
		want_tables(s, tables);
}

/* The rest of a progressive load's results, after the loop drew (results_drain). */
static void on_drain(struct loop *l, void *ud)
{
	(void)l;
	struct store *s = ud;
	s->drain_timer = 0;
	if (!s->conn || s->state != ST_READING)
		return;
	results_drain(s);
	s->progress_ms = dc_mono_ms();
	if (s->conn)
		notifies_drain(s);
}

static void connect_step(struct store *s)
{
	switch (PQconnectPoll(s->conn)) {
	case PGRES_POLLING_READING:
		sock_watch(s, LOOP_READ);
		return;
	case PGRES_POLLING_WRITING:
		sock_watch(s, LOOP_WRITE);
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		store_broken(s, PQerrorMessage(s->conn));
		return;
	}
	if (PQsetnonblocking(s->conn, 1) != 0 || !PQenterPipelineMode(s->conn)) {
		store_broken(s, PQerrorMessage(s->conn));
		return;
	}
	setup_start(s);
}

static void on_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)fd;
	struct store *s = ud;
	s->progress_ms = dc_mono_ms();
	if (s->state == ST_CONNECTING) {
		connect_step(s);
		return;
	}
	if ((events & LOOP_WRITE) && conn_flush(s) < 0)
		return;
	if (!(events & (LOOP_READ | LOOP_ERROR)))
		return;
	/* Results already read wait for on_drain (a first load let the screen
	 * draw a table): take them first. Reading on could meet the end of
	 * the connection, and libpq then gives none of a pipeline's later
	 * results: the server's reason for the end (a standby's "conflict
	 * with recovery" ERROR) would be lost behind "server closed the
	 * connection unexpectedly". */
	if (s->drain_timer)
		return;
	if (!PQconsumeInput(s->conn) || PQstatus(s->conn) == CONNECTION_BAD) {
		store_broken(s, PQerrorMessage(s->conn));
		return;
	}
	if (s->state == ST_SETUP || s->state == ST_READING || s->state == ST_WATCHING)
		results_drain(s);
	/* decoding a large read is our time, not the server's silence */
	s->progress_ms = dc_mono_ms();
	/* a finished read may have started the next; notifications already
	 * buffered would otherwise wait for the next byte on the socket */
	if (s->conn)
		notifies_drain(s);
}

static void store_connect(struct store *s)
{
	s->state = ST_CONNECTING;
	s->listen_done = false;
	s->pending = 0; /* the first read after connecting reads every table */
	s->conn = db_connect_start(s->conninfo_next ? s->conninfo_next : s->opts.conninfo, "dcops", false);
	if (!s->conn || PQstatus(s->conn) == CONNECTION_BAD) {
		store_broken(s, s->conn ? PQerrorMessage(s->conn) : "out of memory");
		return;
	}
	deadline_arm(s);
	sock_watch(s, LOOP_WRITE);
}

/* ---- relay mode (store.h) ---- */

static const struct relay_client_ops relay_ops;

static void on_relay_retry(struct loop *l, void *ud);

/* The relay is not in use, and why; tried again after a backoff. */
static void relay_refused(struct store *s, const char *why, bool refused)
{
	snprintf(s->st.relay_error, sizeof s->st.relay_error, "relay %s: reading the database directly",
	         why);
	int ms = refused ? RELAY_REFUSED_MS : s->relay_retry_ms;
	s->relay_retry_ms = s->relay_retry_ms * 2 > RELAY_RETRY_MAX_MS ? RELAY_RETRY_MAX_MS : s->relay_retry_ms * 2;
	loop_timer_cancel(s->loop, s->relay_timer);
	s->relay_timer = loop_timer_add(s->loop, ms, on_relay_retry, s);
}

static bool relay_open(struct store *s)
{
	struct dc_err err = {{0}};
	s->relay = relay_client_new(s->loop, s->opts.relay, &relay_ops, s, &err);
	if (!s->relay) {
		relay_refused(s, err.msg, false);
		status_emit(s);
	}
	return s->relay != NULL;
}

/* Set up, with a relay configured and not backing off: wait for its HELLO
 * with the connection idle. False: read directly. */
static bool relay_try(struct store *s)
{
	if (!s->opts.relay || s->relay_timer || (!s->relay && !relay_open(s)))
		return false;
	deadline_disarm(s);
	s->state = ST_RELAY_WAIT;
	return true;
}

/* Reading directly: the relay may be back; its HELLO switches over. */
static void on_relay_retry(struct loop *l, void *ud)
{
	(void)l;
	struct store *s = ud;
	s->relay_timer = 0;
	if (!s->relay && s->state != ST_STOPPED)
		relay_open(s);
}

static void relay_hello(void *ud)
{
	struct store *s = ud;
	conn_drop(s);
	s->state = ST_RELAY;
	s->relay_retry_ms = RELAY_RETRY_MIN_MS;
	s->st.via_relay = true;
	s->st.relay_error[0] = '\0';
	status_emit(s);
}

/* A lost relay: the store reads directly, keeping the rows on screen
 * (a full reload swapped in whole, marked stale until it lands). */
static void relay_lost(void *ud, const char *why, bool refused)
{
	struct store *s = ud;
	enum st was = s->state;
	relay_client_free(s->relay);
	s->relay = NULL;
	relay_refused(s, why, refused);
	if (was == ST_RELAY) {
		staged_clear(s);
		s->relay_snap = false;
		s->st.via_relay = false;
		s->st.relay_fallbacks++;
		s->need_full = s->loaded;
		s->st.link = STORE_CONNECTING;
		store_connect(s);
	} else if (was == ST_RELAY_WAIT) {
		read_start(s, s->full);
	}
	status_emit(s);
}

static void relay_status(void *ud, const struct relay_status *rs)
{
	struct store *s = ud;
	if (s->state != ST_RELAY)
		return;
	bool news = (int)s->st.link != rs->link || s->st.standby != rs->standby ||
	            (int64_t)s->st.replay_lag_s != (int64_t)rs->replay_lag_s ||
	            strcmp(s->st.error, rs->error) != 0 || strcmp(s->st.server, rs->server) != 0;
	s->st.link = (enum store_link)rs->link;
	snprintf(s->st.server, sizeof s->st.server, "%s", rs->server);
	s->st.standby = rs->standby;
	s->st.replay_lag_s = rs->replay_lag_s;
	s->st.last_ok_wall = rs->last_ok_wall;
	snprintf(s->st.error, sizeof s->st.error, "%s", rs->error);
	s->relay_loading = rs->loading;
	unsigned was = model_loading(s->model);
	if (!s->relay_snap && was != rs->loading) {
		model_set_loading(s->model, rs->loading);
		if (s->cb.on_change)
			s->cb.on_change(s->cb.ud, was & ~rs->loading);
	}
	if (news)
		status_emit(s);
}

/* A progressive snapshot's tables before `upto` are whole: into the model. */
static void relay_tables_in(struct store *s, int upto)
{
	while (s->relay_table < upto)
		table_arrived(s, (enum dc_table)s->relay_table++);
}

static void relay_snapshot_begin(struct store *s)
{
	staged_clear(s);
	s->relay_snap = true;
	s->relay_prog = !s->loaded;
	s->relay_table = 0;
	s->full = true;
	s->progressive = false;
	if (s->relay_prog) {
		model_clear(s->model);
		model_set_loading(s->model, ALL_TABLES);
	}
}

static void relay_snapshot(void *ud, bool begin)
{
	struct store *s = ud;
	if (begin) {
		relay_snapshot_begin(s);
		return;
	}
	if (!s->relay_snap)
		return;
	s->relay_snap = false;
	if (s->relay_prog) {
		relay_tables_in(s, DC_T_COUNT);
		model_set_loading(s->model, s->relay_loading);
	} else {
		staged_apply(s); /* model_clear, then the snapshot whole */
		model_set_loading(s->model, s->relay_loading);
		if (s->cb.on_change)
			s->cb.on_change(s->cb.ud, ALL_TABLES);
	}
	s->full = false;
	s->loaded = true;
	s->need_full = true;
}

static void relay_reset(void *ud)
{
	staged_clear(ud); /* a SNAPSHOT follows */
}

static void relay_row(void *ud, enum dc_table t, void *row)
{
	struct store *s = ud;
	if (s->relay_snap && s->relay_prog)
		relay_tables_in(s, (int)t);
	struct staged *sg = &s->staged[t];
	sg->rows = xgrow(sg->rows, &sg->cap, sg->n + 1, sizeof *sg->rows);
	sg->rows[sg->n++] = row;
}

static void relay_del(void *ud, enum dc_table t, int64_t id)
{
	struct store *s = ud;
	s->tombs = xgrow(s->tombs, &s->captombs, s->ntombs + 1, sizeof *s->tombs);
	s->tombs[s->ntombs++] = (struct tomb){ t, id };
}

/* A node row the relay paced (relay.h: only its power or report moved)
 * can come after a newer row of the node that it sent at once: the
 * older one, by version, is dropped. */
static void relay_stale_nodes_drop(struct store *s)
{
	struct staged *sg = &s->staged[DC_T_NODE];
	size_t k = 0;
	for (size_t i = 0; i < sg->n; i++) {
		const struct dc_node *n = sg->rows[i], *have = model_node(s->model, n->id);
		if (have && have->version > n->version)
			model_row_free(DC_T_NODE, sg->rows[i]);
		else
			sg->rows[k++] = sg->rows[i];
	}
	sg->n = k;
}

static void relay_batch(void *ud, unsigned mask)
{
	(void)mask; /* what changed here may be less: rows already held */
	struct store *s = ud;
	if (s->relay_snap)
		return;
	s->full = false;
	relay_stale_nodes_drop(s);
	unsigned changed = staged_apply(s);
	if (changed && s->cb.on_change)
		s->cb.on_change(s->cb.ud, changed);
}

static const struct relay_client_ops relay_ops = {
	.hello = relay_hello, .status = relay_status, .snapshot = relay_snapshot, .reset = relay_reset,
	.row = relay_row, .del = relay_del, .batch = relay_batch, .lost = relay_lost,
};

/* ---- API ---- */

struct store *store_new(struct loop *l, struct dc_model *m, const struct store_opts *o,
                        const struct store_callbacks *cb)
{
	struct store *s = xcalloc(1, sizeof *s);
	s->loop = l;
	s->model = m;
	s->opts = *o;
	if (s->opts.poll_ms <= 0)
		s->opts.poll_ms = 5000;
	if (s->opts.watch_ms <= 0)
		s->opts.watch_ms = 100;
	if (s->opts.deadline_ms <= 0)
		s->opts.deadline_ms = 3000;
	if (s->opts.load_chunk <= 0)
		s->opts.load_chunk = 4096;
	if (cb)
		s->cb = *cb;
	s->sock = -1;
	s->probe_fd = -1;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->relay_retry_ms = RELAY_RETRY_MIN_MS;
	s->st.link = STORE_CONNECTING;
	s->st.readonly = o->readonly;
	return s;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	conn_drop(s);
	relay_client_free(s->relay);
	loop_timer_cancel(s->loop, s->relay_timer);
	staged_free(s);
	free(s->conninfo_next);
	free(s);
}

void store_start(struct store *s)
{
	if (s->state != ST_STOPPED)
		return;
	store_connect(s);
}

void store_retry(struct store *s)
{
	if (s->state != ST_BACKOFF)
		return;
	loop_timer_cancel(s->loop, s->backoff_timer);
	s->backoff_timer = 0;
	s->backoff_ms = BACKOFF_MIN_MS;
	store_connect(s);
}

const struct store_status *store_status(const struct store *s)
{
	return &s->st;
}
