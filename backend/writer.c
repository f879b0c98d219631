/* writer.c — the console's asynchronous write connection (see writer.h). */
#include "writer.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "db.h"
#include "text.h"

#define RETRY_MS 300
#define SETUP_READONLY "; SELECT set_config('default_transaction_read_only', 'on', false)"

struct writer {
	struct loop *loop;
	char *conninfo;
	char *conninfo_next;        /* the next connect's: conninfo less a server that hung */
	bool readonly;
	int deadline_ms;
	PGconn *conn;
	int sock;
	enum writer_state st;
	char setup_sql[512];

	bool have_call;
	enum writer_verb verb;
	struct actions_call call;
	writer_done_fn done;
	void *ud;
	int attempts, connects;
	uint64_t deadline_timer, retry_timer, kick_timer, connect_timer;
	int64_t heard_ms;           /* connecting: the server's last bytes */
	bool got;                   /* a result (or error) of the call is in */
	struct actions_result res;
	struct actions_error err;
	bool failed;
};

static const enum writer_refusal refusal_map[] = {
	[ACTIONS_E_FAILED] = WRITER_E_FAILED, [ACTIONS_E_LOST] = WRITER_E_LOST,
	[ACTIONS_E_FORBIDDEN] = WRITER_E_FORBIDDEN, [ACTIONS_E_CONFLICT] = WRITER_E_CONFLICT,
	[ACTIONS_E_UNKNOWN] = WRITER_E_UNKNOWN, [ACTIONS_E_STATE] = WRITER_E_STATE,
	[ACTIONS_E_INVALID] = WRITER_E_INVALID, [ACTIONS_E_KEY_REUSED] = WRITER_E_KEY_REUSED,
	[ACTIONS_E_BUSY] = WRITER_E_BUSY, [ACTIONS_E_TIMEOUT] = WRITER_E_TIMEOUT,
	[ACTIONS_E_READONLY] = WRITER_E_READONLY,
};

static const enum actions_verb verb_map[] = {
	[WRITER_DRAIN] = ACTIONS_DRAIN, [WRITER_RESUME] = ACTIONS_RESUME,
	[WRITER_QUOTA] = ACTIONS_QUOTA_SET, [WRITER_INC_OPEN] = ACTIONS_INCIDENT_OPEN,
	[WRITER_INC_ACK] = ACTIONS_INCIDENT_ACK, [WRITER_INC_ASSIGN] = ACTIONS_INCIDENT_ASSIGN,
	[WRITER_INC_SEV] = ACTIONS_INCIDENT_SEV, [WRITER_INC_NOTE] = ACTIONS_INCIDENT_NOTE,
	[WRITER_INC_LINK] = ACTIONS_INCIDENT_LINK, [WRITER_INC_RESOLVE] = ACTIONS_INCIDENT_RESOLVE,
	[WRITER_JOB_CANCEL] = ACTIONS_JOB_CANCEL, [WRITER_JOB_HOLD] = ACTIONS_JOB_HOLD,
	[WRITER_JOB_RELEASE] = ACTIONS_JOB_RELEASE,
};

const char *writer_refusal_name(enum writer_refusal r)
{
	static const char *const names[] = {
		[WRITER_OK] = "ok", [WRITER_E_FAILED] = "failed", [WRITER_E_LOST] = "connection lost",
		[WRITER_E_FORBIDDEN] = "not allowed", [WRITER_E_CONFLICT] = "changed meanwhile",
		[WRITER_E_UNKNOWN] = "unknown", [WRITER_E_STATE] = "wrong state",
		[WRITER_E_INVALID] = "bad input", [WRITER_E_KEY_REUSED] = "key reused",
		[WRITER_E_BUSY] = "busy", [WRITER_E_TIMEOUT] = "timed out",
		[WRITER_E_READONLY] = "read-only",
	};
	return r < DC_ARRAY_LEN(names) ? names[r] : "?";
}

int writer_duration_parse(const char *s, int64_t *secs, struct dc_err *err)
{
	return actions_duration_parse(s, secs, err);
}

/* ---- connection ---- */

static void on_fd(struct loop *l, int fd, unsigned events, void *ud);
static void call_step(struct writer *w);

static void watch(struct writer *w, unsigned events)
{
	loop_fd_follow(w->loop, &w->sock, PQsocket(w->conn), events, on_fd, w);
}

static void conn_drop(struct writer *w)
{
	if (w->sock >= 0)
		loop_fd_del(w->loop, w->sock);
	w->sock = -1;
	if (w->conn)
		PQfinish(w->conn);
	w->conn = NULL;
	w->st = WRITER_CLOSED;
	loop_timer_cancel(w->loop, w->connect_timer);
	w->connect_timer = 0;
}

static void timers_cancel(struct writer *w)
{
	loop_timer_cancel(w->loop, w->deadline_timer);
	loop_timer_cancel(w->loop, w->retry_timer);
	loop_timer_cancel(w->loop, w->kick_timer);
	w->deadline_timer = w->retry_timer = w->kick_timer = 0;
}

/* Hands the outcome to the caller; the writer is free again before done runs. */
static void finish(struct writer *w, enum writer_refusal refusal, const char *msg)
{
	struct writer_result r = { .verb = w->verb, .refusal = refusal, .attempts = w->attempts };
	snprintf(r.key, sizeof r.key, "%s", w->call.key);
	if (refusal == WRITER_OK) {
		r.action_ids = w->res.action_ids;
		r.n_action_ids = w->res.n_action_ids;
		r.incident_id = w->res.incident_id;
		if (w->verb >= WRITER_SHIFT_START && w->verb <= WRITER_SIGN_OFF)
			r.shift_id = w->res.incident_id;
		else if (w->verb >= WRITER_DRILL_START)
			r.drill_id = w->res.incident_id;
		r.audit_id = w->res.audit_id;
		r.replayed = w->res.replayed;
	} else {
		snprintf(r.sqlstate, sizeof r.sqlstate, "%s", w->err.sqlstate);
		snprintf(r.guard, sizeof r.guard, "%s", w->err.guard);
		snprintf(r.msg, sizeof r.msg, "%s", msg ? msg : w->err.msg);
	}
	writer_done_fn done = w->done;
	void *ud = w->ud;
	struct actions_call call = w->call;
	struct actions_result res = w->res;
	memset(&w->call, 0, sizeof w->call);
	memset(&w->res, 0, sizeof w->res);
	w->have_call = false;
	w->got = false;
	timers_cancel(w);
	if (done)
		done(ud, &r);
	actions_call_free(&call);
	actions_result_free(&res);
}

static void retry_due(struct loop *l, void *ud)
{
	(void)l;
	struct writer *w = ud;
	w->retry_timer = 0;
	call_step(w);
}

/* The connection went away: resend the same call on a new one, or give up. */
static void lost(struct writer *w, const char *why)
{
	char msg[512];
	snprintf(msg, sizeof msg, "%s", why && *why ? why : "connection lost");
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	conn_drop(w);
	free(w->conninfo_next); /* a failure of its own: every server again */
	w->conninfo_next = NULL;
	if (!w->have_call)
		return;
	/* never sent: nothing to fear, give up soon; sent, the outcome is
	 * unknown: resend with the same key until the deadline (a failover) */
	if (w->attempts == 0 && w->connects > WRITER_RETRIES) {
		memset(&w->err, 0, sizeof w->err);
		w->err.kind = ACTIONS_E_LOST;
		finish(w, WRITER_E_LOST, msg);
		return;
	}
	if (!w->retry_timer)
		w->retry_timer = loop_timer_add(w->loop, RETRY_MS, retry_due, w);
}

static void deadline_due(struct loop *l, void *ud)
{
	(void)l;
	struct writer *w = ud;
	w->deadline_timer = 0;
	if (!w->have_call)
		return;
	char msg[160];
	snprintf(msg, sizeof msg, "no answer from the server in %d s (sent %d time%s with the same key)",
	         w->deadline_ms / 1000, w->attempts, w->attempts == 1 ? "" : "s");
	conn_drop(w);
	memset(&w->err, 0, sizeof w->err);
	finish(w, WRITER_E_LOST, msg);
}

/* Connecting, and the server has said nothing for db_connect_wait_ms: it
 * hangs (libpq moves on from a server that refuses, not from one that
 * hangs). The next try leaves it out of a multi-host string; with one
 * server, it is a lost connection as any other. */
static void connect_hung(struct loop *l, void *ud)
{
	struct writer *w = ud;
	w->connect_timer = 0;
	int wait_ms = db_connect_wait_ms(w->conn);
	int64_t idle = dc_mono_ms() - w->heard_ms;
	if (idle < wait_ms) {
		w->connect_timer = loop_timer_add(l, (int)(wait_ms - idle), connect_hung, w);
		return;
	}
	char *next = db_conninfo_skip(w->conninfo_next ? w->conninfo_next : w->conninfo, w->conn);
	char msg[128];
	snprintf(msg, sizeof msg, "no answer from the server in %d s%s", wait_ms / 1000,
	         next ? " (trying the other hosts)" : "");
	lost(w, msg);
	w->conninfo_next = next; /* after lost: the next connect's */
}

static void connect_start(struct writer *w)
{
	w->connects++;
	w->st = WRITER_CONNECTING;
	w->conn = db_connect_start(w->conninfo_next ? w->conninfo_next : w->conninfo, "dcops-writer", false);
	if (!w->conn || PQstatus(w->conn) == CONNECTION_BAD) {
		lost(w, w->conn ? PQerrorMessage(w->conn) : "out of memory");
		return;
	}
	w->heard_ms = dc_mono_ms();
	w->connect_timer = loop_timer_add(w->loop, db_connect_wait_ms(w->conn), connect_hung, w);
	watch(w, LOOP_WRITE);
}

static void flush(struct writer *w)
{
	int r = PQflush(w->conn);
	if (r < 0)
		lost(w, PQerrorMessage(w->conn));
	else
		watch(w, r == 1 ? LOOP_READ | LOOP_WRITE : LOOP_READ);
}

static void send_call(struct writer *w)
{
	const struct actions_query *q = &w->call.q;
	w->attempts++;
	w->got = false;
	w->failed = false;
	if (!PQsendQueryParams(w->conn, q->sql, q->nparams, NULL, (const char *const *)q->params,
	                       NULL, NULL, 0)) {
		lost(w, PQerrorMessage(w->conn));
		return;
	}
	w->st = WRITER_SENT;
	flush(w);
}

/* Moves the call on: connect, or send when the session is ready. */
static void call_step(struct writer *w)
{
	if (!w->have_call)
		return;
	if (w->st == WRITER_CLOSED)
		connect_start(w);
	else if (w->st == WRITER_READY)
		send_call(w);
}

static void connect_step(struct writer *w)
{
	w->heard_ms = dc_mono_ms();
	switch (PQconnectPoll(w->conn)) {
	case PGRES_POLLING_READING:
		watch(w, LOOP_READ);
		return;
	case PGRES_POLLING_WRITING:
		watch(w, LOOP_WRITE);
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		lost(w, PQerrorMessage(w->conn));
		return;
	}
	if (PQsetnonblocking(w->conn, 1) != 0 || !PQsendQuery(w->conn, w->setup_sql)) {
		lost(w, PQerrorMessage(w->conn));
		return;
	}
	loop_timer_cancel(w->loop, w->connect_timer);
	w->connect_timer = 0;
	w->st = WRITER_SETUP;
	w->failed = false;
	flush(w);
}

static void result_one(struct writer *w, PGresult *r)
{
	if (w->st == WRITER_SETUP) {
		/* the first result is actions_session_sql's: a standby is refused there */
		if (!w->failed && actions_session_check(w->conn, r, &w->err) < 0)
			w->failed = true;
		return;
	}
	/* Rows then an error: the statement ran, its COMMIT failed (a lock at
	 * commit, a deferred check): nothing was recorded, whatever the rows said. */
	if (w->got) {
		if (PQresultStatus(r) != PGRES_TUPLES_OK && !w->failed) {
			actions_error_from(&w->err, w->conn, r);
			w->failed = true;
		}
		return;
	}
	w->got = true;
	struct dc_err err;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (actions_result_decode(r, &w->res, &err) == -1) {
			memset(&w->err, 0, sizeof w->err);
			snprintf(w->err.msg, sizeof w->err.msg, "%s", err.msg);
			w->failed = true;
		}
	} else {
		actions_error_from(&w->err, w->conn, r);
		w->failed = true;
	}
}

/* The query's results are all in. */
static void query_done(struct writer *w)
{
	if (w->st == WRITER_SETUP) {
		if (w->failed) {
			conn_drop(w);
			if (w->have_call)
				finish(w, refusal_map[w->err.kind], NULL);
			return;
		}
		w->st = WRITER_READY;
		call_step(w);
		return;
	}
	w->st = WRITER_READY;
	if (!w->have_call)
		return;
	if (!w->got) {
		lost(w, "no reply to the action");
		return;
	}
	if (w->failed && w->err.kind == ACTIONS_E_LOST) {
		lost(w, w->err.msg);
		return;
	}
	finish(w, w->failed ? refusal_map[w->err.kind] : WRITER_OK, NULL);
}

static void on_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)fd;
	struct writer *w = ud;
	if (w->st == WRITER_CONNECTING) {
		connect_step(w);
		return;
	}
	if (events & LOOP_WRITE) {
		flush(w);
		if (!w->conn)
			return;
	}
	if (!(events & (LOOP_READ | LOOP_ERROR)))
		return;
	if (!PQconsumeInput(w->conn) || PQstatus(w->conn) == CONNECTION_BAD) {
		lost(w, PQerrorMessage(w->conn));
		return;
	}
	while (w->conn && !PQisBusy(w->conn)) {
		PGresult *r = PQgetResult(w->conn);
		if (!r) {
			if (w->st == WRITER_SETUP || w->st == WRITER_SENT)
				query_done(w);
			return;
		}
		result_one(w, r);
		PQclear(r);
	}
}

/* ---- API ---- */

struct writer *writer_new(struct loop *l, const struct writer_opts *o)
{
	struct writer *w = xcalloc(1, sizeof *w);
	w->loop = l;
	w->conninfo = xstrdup(o->conninfo ? o->conninfo : "");
	w->readonly = o->readonly;
	w->deadline_ms = o->deadline_ms > 0 ? o->deadline_ms : 12000;
	w->sock = -1;
	/* dcops.zone: refusals name times in the operator's zone (053); the
	 * zone is one of text.h's fixed names, never data. */
	snprintf(w->setup_sql, sizeof w->setup_sql, "%s; SELECT set_config('dcops.zone', '%s', false)%s",
	         actions_session_sql, text_zone_name(), w->readonly ? SETUP_READONLY : "");
	return w;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	timers_cancel(w);
	conn_drop(w);
	actions_call_free(&w->call);
	actions_result_free(&w->res);
	free(w->conninfo);
	free(w->conninfo_next);
	free(w);
}

/* Shift and drill calls (010_handover.sql, 011/012_drills.sql), in the
 * actions' four result columns: the shift or drill id rides in the second. */
#define OWN_RESULT "SELECT '{}'::bigint[], "
static const char *const own_sql[] = {
	[WRITER_SHIFT_START] = OWN_RESULT "shift_id, audit_id, replayed FROM dcops.shift_start($1)",
	[WRITER_SHIFT_END] = OWN_RESULT "shift_id, audit_id, replayed FROM dcops.shift_end($1)",
	[WRITER_NOTE_SET] = OWN_RESULT
		"shift_id, audit_id, replayed FROM dcops.handover_note_set($2::bigint, $3, $1)",
	[WRITER_SIGN_OFF] = OWN_RESULT
		"shift_id, audit_id, replayed FROM dcops.handover_sign_off($2::bigint, $1)",
	[WRITER_DRILL_START] = OWN_RESULT "drill_id, audit_id, replayed FROM"
		" dcops.drill_start($2, $3::jsonb, $4::bigint, $5::numeric, $1)",
	[WRITER_DRILL_STOP] = OWN_RESULT
		"drill_id, audit_id, replayed FROM dcops.drill_end($2::bigint, 'stopped', $1)",
};

static char *id_param(int64_t id)
{
	return id > 0 ? xasprintf("%lld", (long long)id) : NULL;
}

static void build_own(struct actions_call *c, const struct writer_req *r)
{
	struct actions_query *q = &c->q;
	q->sql = own_sql[r->verb];
	q->params[0] = xstrdup(c->key);
	q->nparams = 1;
	switch (r->verb) {
	case WRITER_NOTE_SET:
		q->params[1] = id_param(r->id);
		q->params[2] = xstrdup(r->text ? r->text : "");
		q->nparams = 3;
		break;
	case WRITER_SIGN_OFF:
	case WRITER_DRILL_STOP:
		q->params[1] = id_param(r->id);
		q->nparams = 2;
		break;
	case WRITER_DRILL_START:
		q->params[1] = xstrdup(r->text ? r->text : "");
		q->params[2] = xstrdup(r->spec ? r->spec : "{}");
		q->params[3] = xasprintf("%lld", (long long)r->seed);
		q->params[4] = xasprintf("%.6g", r->speed);
		q->nparams = 5;
		break;
	default:
		break;
	}
}

static void build(struct actions_call *c, const struct writer_req *r)
{
	if (r->verb >= WRITER_SHIFT_START) {
		build_own(c, r);
		return;
	}
	if (r->verb == WRITER_DRAIN || r->verb == WRITER_RESUME) {
		struct actions_nodes_req q = { .nodes = r->nodes, .n_nodes = r->n_nodes,
			.expected = r->expected, .reason = r->reason, .incident_id = r->incident_id,
			.resume_after = r->resume_after, .override = r->override };
		if (r->verb == WRITER_DRAIN)
			actions_call_drain(c, &q);
		else
			actions_call_resume(c, &q);
		return;
	}
	if (r->verb == WRITER_QUOTA) {
		struct actions_quota_req q = { .tenant = r->tenant, .gpu_limit = r->gpu_limit,
			.gpu_hours = r->gpu_hours, .storage_tb = r->storage_tb, .reason = r->reason,
			.expires_at = r->expires_at, .expected = r->version };
		actions_call_quota(c, &q);
		return;
	}
	if (r->verb >= WRITER_JOB_CANCEL && r->verb <= WRITER_JOB_RELEASE) {
		struct actions_job_req q = { .job = r->id, .reason = r->reason };
		actions_call_job(c, verb_map[r->verb], &q);
		return;
	}
	struct actions_incident_req q = { .id = r->id, .sev = r->sev, .text = r->text,
		.impact = r->impact, .owner = r->owner, .nodes = r->nodes, .n_nodes = r->n_nodes,
		.tenants = r->tenants, .n_tenants = r->n_tenants, .expected = r->version };
	actions_call_incident(c, verb_map[r->verb], &q);
}

static void kick(struct loop *l, void *ud)
{
	(void)l;
	struct writer *w = ud;
	w->kick_timer = 0;
	call_step(w);
}

int writer_send(struct writer *w, const struct writer_req *r, writer_done_fn done, void *ud,
                struct dc_err *err)
{
	if (w->have_call)
		return dc_err_set(err, "another action is still in flight (key %.8s…); wait for it",
		                  w->call.key);
	if ((size_t)r->verb >= DC_ARRAY_LEN(own_sql))
		return dc_err_set(err, "unknown action");
	if (actions_call_init(&w->call, err) == -1)
		return -1;
	build(&w->call, r);
	w->verb = r->verb;
	w->have_call = true;
	w->done = done;
	w->ud = ud;
	w->attempts = w->connects = 0;
	w->deadline_timer = loop_timer_add(w->loop, w->deadline_ms, deadline_due, w);
	w->kick_timer = loop_timer_add(w->loop, 0, kick, w);
	return 0;
}

bool writer_busy(const struct writer *w)
{
	return w && w->have_call;
}

enum writer_state writer_state(const struct writer *w)
{
	return w->st;
}

const char *writer_key(const struct writer *w)
{
	return w->have_call ? w->call.key : "";
}
