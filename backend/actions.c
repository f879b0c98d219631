/* actions.c — operator-action calls: SQL text and parameters for the
 * functions of 005_actions.sql, result decoding, refusal classification,
 * a synchronous runner with one same-key retry, and the duration parser.
 * Parameters are always sent separately from the SQL text; arrays travel
 * as array literals built here with every element quoted. */
#include "actions.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "text.h"

const char actions_session_sql[] =
	"SELECT set_config('statement_timeout', '10s', false),"
	"       set_config('lock_timeout', '2s', false), pg_is_in_recovery()";

#define RESULT_COLS "SELECT action_ids, incident_id, audit_id, replayed FROM "

/* One row per verb: the call's SQL text. Timestamps travel as unix
 * seconds; 0 is sent as NULL. */
static const char *const verb_sql[] = {
	[ACTIONS_DRAIN] = RESULT_COLS
		"dcops.drain($1::text[], $2, $3::bigint, to_timestamp($4::bigint), $5::bigint[], $6, $7::boolean)",
	[ACTIONS_RESUME] = RESULT_COLS
		"dcops.resume($1::text[], $2, $3::bigint[], $4)",
	[ACTIONS_QUOTA_SET] = RESULT_COLS
		"dcops.quota_set($1, $2::integer, $3::numeric, $4::numeric, $5, to_timestamp($6::bigint),"
		" $7::bigint, $8)",
	[ACTIONS_INCIDENT_OPEN] = RESULT_COLS
		"dcops.incident_open($1::integer, $2, $3, $4::text[], $5::text[], $6)",
	[ACTIONS_INCIDENT_ACK] = RESULT_COLS
		"dcops.incident_ack($1::bigint, $2::bigint, $3)",
	[ACTIONS_INCIDENT_ASSIGN] = RESULT_COLS
		"dcops.incident_assign($1::bigint, $2, $3::bigint, $4)",
	[ACTIONS_INCIDENT_SEV] = RESULT_COLS
		"dcops.incident_sev($1::bigint, $2::integer, $3, $4::bigint, $5)",
	[ACTIONS_INCIDENT_NOTE] = RESULT_COLS
		"dcops.incident_note($1::bigint, $2, $3)",
	[ACTIONS_INCIDENT_LINK] = RESULT_COLS
		"dcops.incident_link($1::bigint, $2::text[], $3::text[], $4)",
	[ACTIONS_INCIDENT_RESOLVE] = RESULT_COLS
		"dcops.incident_resolve($1::bigint, $2, $3::bigint, $4)",
	[ACTIONS_JOB_CANCEL] = RESULT_COLS "dcops.job_cancel($1::bigint, $2, $3)",
	[ACTIONS_JOB_HOLD] = RESULT_COLS "dcops.job_hold($1::bigint, $2, $3)",
	[ACTIONS_JOB_RELEASE] = RESULT_COLS "dcops.job_release($1::bigint, $2, $3)",
};

/* SQLSTATE -> refusal kind; a code ending in "*" matches its class. */
static const struct refusal_def {
	const char *state;
	enum actions_refusal kind;
} refusal_defs[] = {
	{ "42501", ACTIONS_E_FORBIDDEN },
	{ "40001", ACTIONS_E_CONFLICT },
	{ "42704", ACTIONS_E_UNKNOWN },
	{ "55000", ACTIONS_E_STATE },
	{ "23505", ACTIONS_E_KEY_REUSED },
	{ "55P03", ACTIONS_E_BUSY },
	{ "57014", ACTIONS_E_TIMEOUT },
	{ "25006", ACTIONS_E_READONLY },
	{ "22*", ACTIONS_E_INVALID },
};

static const struct duration_unit {
	char unit;
	int64_t secs;
} duration_units[] = {
	{ 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};
#define DURATION_MAX (400LL * 86400)

/* ---------------------------------------------------------------- params */

static void query_reset(struct actions_query *q, const char *sql)
{
	actions_query_free(q);
	q->sql = sql;
}

static void param(struct actions_query *q, char *owned)
{
	q->params[q->nparams++] = owned;
}

static void param_str(struct actions_query *q, const char *s)
{
	param(q, s ? xstrdup(s) : NULL);
}

/* n (> 0) as text, or NULL when n is the "none" value. */
static void param_i64(struct actions_query *q, int64_t n, int64_t none)
{
	param(q, n == none ? NULL : xasprintf("%lld", (long long)n));
}

/* A text[] literal: every element double-quoted, " and \ escaped, so no
 * element can end the array or start another. NULL when v is NULL. */
static void param_text_array(struct actions_query *q, const char *const *v, size_t n)
{
	if (!v) {
		param(q, NULL);
		return;
	}
	struct sb sb = {0};
	sb_append(&sb, "{");
	for (size_t i = 0; i < n; i++) {
		sb_append(&sb, i ? ",\"" : "\"");
		for (const char *p = v[i] ? v[i] : ""; *p; p++) {
			if (*p == '"' || *p == '\\')
				sb_append(&sb, "\\");
			sb_appendn(&sb, p, 1);
		}
		sb_append(&sb, "\"");
	}
	sb_append(&sb, "}");
	param(q, sb_take(&sb));
}

static void param_version_array(struct actions_query *q, const int64_t *v, size_t n)
{
	if (!v) {
		param(q, NULL);
		return;
	}
	struct sb sb = {0};
	sb_append(&sb, "{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_append(&sb, ",");
		if (v[i] == ACTIONS_NO_VERSION)
			sb_append(&sb, "NULL");
		else
			sb_appendf(&sb, "%lld", (long long)v[i]);
	}
	sb_append(&sb, "}");
	param(q, sb_take(&sb));
}

static void param_amount(struct actions_query *q, double v)
{
	param(q, v < 0 ? NULL : xasprintf("%.2f", v));
}

/* ---------------------------------------------------------------- calls */

int actions_call_init(struct actions_call *c, struct dc_err *err)
{
	memset(c, 0, sizeof *c);
	unsigned char raw[ACTIONS_KEY_LEN / 2];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dc_err_set(err, "cannot open /dev/urandom for an idempotency key: %s", strerror(errno));
	ssize_t got = read(fd, raw, sizeof raw);
	close(fd);
	if (got != (ssize_t)sizeof raw)
		return dc_err_set(err, "cannot read /dev/urandom for an idempotency key");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(c->key + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static void call_start(struct actions_call *c, enum actions_verb verb)
{
	c->verb = verb;
	query_reset(&c->q, verb_sql[verb]);
}

void actions_call_drain(struct actions_call *c, const struct actions_nodes_req *r)
{
	call_start(c, ACTIONS_DRAIN);
	param_text_array(&c->q, r->nodes ? r->nodes : (const char *const[]){ NULL }, r->n_nodes);
	param_str(&c->q, r->reason);
	param_i64(&c->q, r->incident_id, 0);
	param_i64(&c->q, r->resume_after, 0);
	param_version_array(&c->q, r->expected, r->n_nodes);
	param_str(&c->q, c->key);
	param_str(&c->q, r->override ? "true" : "false");
}

void actions_call_resume(struct actions_call *c, const struct actions_nodes_req *r)
{
	call_start(c, ACTIONS_RESUME);
	param_text_array(&c->q, r->nodes ? r->nodes : (const char *const[]){ NULL }, r->n_nodes);
	param_str(&c->q, r->reason);
	param_version_array(&c->q, r->expected, r->n_nodes);
	param_str(&c->q, c->key);
}

void actions_call_quota(struct actions_call *c, const struct actions_quota_req *r)
{
	call_start(c, ACTIONS_QUOTA_SET);
	param_str(&c->q, r->tenant);
	param_i64(&c->q, r->gpu_limit, ACTIONS_UNCHANGED);
	param_amount(&c->q, r->gpu_hours);
	param_amount(&c->q, r->storage_tb);
	param_str(&c->q, r->reason);
	param_i64(&c->q, r->expires_at, 0);
	param_i64(&c->q, r->expected, ACTIONS_NO_VERSION);
	param_str(&c->q, c->key);
}

void actions_call_incident(struct actions_call *c, enum actions_verb verb,
                           const struct actions_incident_req *r)
{
	call_start(c, verb);
	struct actions_query *q = &c->q;
	if (verb == ACTIONS_INCIDENT_OPEN) {
		param_i64(q, r->sev, -1);
		param_str(q, r->text);
		param_str(q, r->impact ? r->impact : "");
		param_text_array(q, r->n_nodes ? r->nodes : NULL, r->n_nodes);
		param_text_array(q, r->n_tenants ? r->tenants : NULL, r->n_tenants);
		param_str(q, c->key);
		return;
	}
	param_i64(q, r->id, -1);
	switch (verb) {
	case ACTIONS_INCIDENT_ASSIGN:
		param_str(q, r->owner);
		break;
	case ACTIONS_INCIDENT_SEV:
		param_i64(q, r->sev, -1);
		param_str(q, r->text);
		break;
	case ACTIONS_INCIDENT_NOTE:
	case ACTIONS_INCIDENT_RESOLVE:
		param_str(q, r->text);
		break;
	case ACTIONS_INCIDENT_LINK:
		param_text_array(q, r->n_nodes ? r->nodes : NULL, r->n_nodes);
		param_text_array(q, r->n_tenants ? r->tenants : NULL, r->n_tenants);
		break;
	default:
		break;
	}
	if (verb != ACTIONS_INCIDENT_NOTE && verb != ACTIONS_INCIDENT_LINK)
		param_i64(q, r->expected, ACTIONS_NO_VERSION);
	param_str(q, c->key);
}

void actions_call_job(struct actions_call *c, enum actions_verb verb, const struct actions_job_req *r)
{
	call_start(c, verb);
	param_i64(&c->q, r->job, 0);
	param_str(&c->q, r->reason);
	param_str(&c->q, c->key);
}

void actions_query_free(struct actions_query *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i]);
	memset(q, 0, sizeof *q);
}

void actions_call_free(struct actions_call *c)
{
	actions_query_free(&c->q);
}

/* ---------------------------------------------------------------- results */

/* "{1,2,3}" -> ids; -1 on anything else. */
static int parse_id_array(const char *s, struct actions_result *out)
{
	size_t len = strlen(s);
	if (len < 2 || s[0] != '{' || s[len - 1] != '}')
		return -1;
	size_t cap = 0;
	const char *p = s + 1;
	while (*p != '}') {
		char *end;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (end == p || errno)
			return -1;
		out->action_ids = xgrow(out->action_ids, &cap, out->n_action_ids + 1, sizeof *out->action_ids);
		out->action_ids[out->n_action_ids++] = v;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

int actions_result_decode(const PGresult *r, struct actions_result *out, struct dc_err *err)
{
	memset(out, 0, sizeof *out);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 4)
		return dc_err_set(err, "unexpected reply to an action (%s, %d rows)",
		                  PQresStatus(PQresultStatus(r)), PQntuples(r));
	if (parse_id_array(PQgetvalue(r, 0, 0), out) != 0) {
		actions_result_free(out);
		return dc_err_set(err, "unexpected action ids '%.40s'", PQgetvalue(r, 0, 0));
	}
	out->incident_id = PQgetisnull(r, 0, 1) ? 0 : strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	out->audit_id = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	out->replayed = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
	return 0;
}

void actions_result_free(struct actions_result *res)
{
	free(res->action_ids);
	memset(res, 0, sizeof *res);
}

void actions_error_from(struct actions_error *e, const PGconn *c, const PGresult *r)
{
	memset(e, 0, sizeof *e);
	struct dc_err err = {{0}};
	db_err_result(&err, c, r, NULL);
	/* Server messages can quote operator input: one inert line. */
	text_escape_buf(err.msg, e->msg, sizeof e->msg);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	if (detail && strncmp(detail, "guard.", 6) == 0)
		snprintf(e->guard, sizeof e->guard, "%s", detail);
	e->kind = ACTIONS_E_FAILED;
	if (!c || PQstatus(c) == CONNECTION_BAD) {
		e->kind = ACTIONS_E_LOST;
		return;
	}
	if (!state)
		return;
	snprintf(e->sqlstate, sizeof e->sqlstate, "%s", state);
	for (size_t i = 0; i < DC_ARRAY_LEN(refusal_defs); i++) {
		const char *d = refusal_defs[i].state;
		const char *star = strchr(d, '*');
		size_t n = star ? (size_t)(star - d) : strlen(d) + 1;
		if (strncmp(state, d, n) == 0) {
			e->kind = refusal_defs[i].kind;
			return;
		}
	}
}

int actions_session_check(const PGconn *c, const PGresult *r, struct actions_error *e)
{
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		actions_error_from(e, c, r);
		return -1;
	}
	if (PQntuples(r) != 1 || PQnfields(r) < 3 || strcmp(PQgetvalue(r, 0, 2), "t") != 0)
		return 0;
	memset(e, 0, sizeof *e);
	e->kind = ACTIONS_E_READONLY;
	snprintf(e->sqlstate, sizeof e->sqlstate, "25006");
	const char *host = PQhost(c), *port = PQport(c);
	if (!host || !*host)
		host = "(default)";
	if (!port || !*port)
		port = "5432";
	char where[300];
	snprintf(where, sizeof where, host[0] == '/' ? "socket %s/.s.PGSQL.%s" : "%s:%s", host, port);
	char msg[512];
	/* what to do first: the path may not fit on the console's line */
	snprintf(msg, sizeof msg, "a hot standby takes no writes: name the primary with --write-db or the "
	         "profile's write_db, or list it in --db with target_session_attrs=read-write (%s)", where);
	text_escape_buf(msg, e->msg, sizeof e->msg);
	return -1;
}

PGconn *actions_connect(const struct dc_opts *o, const char *application_name, struct actions_error *e)
{
	struct dc_err err = {{0}};
	PGconn *c = db_connect_write(o, application_name, &err);
	if (!c) {
		memset(e, 0, sizeof *e);
		e->kind = ACTIONS_E_LOST;
		text_escape_buf(err.msg, e->msg, sizeof e->msg);
		return NULL;
	}
	PGresult *r = PQexec(c, actions_session_sql);
	int rc = actions_session_check(c, r, e);
	PQclear(r);
	if (rc == 0)
		return c;
	PQfinish(c);
	return NULL;
}

/* Waits before the next resend: 100 ms doubling to 1 s, never past end. */
static void resend_pause(int attempt, int64_t end)
{
	int64_t ms = 100LL << (attempt < 4 ? attempt : 4);
	if (ms > 1000)
		ms = 1000;
	int64_t left = end - dc_mono_ms();
	if (ms > left)
		ms = left > 0 ? left : 0;
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int actions_run(PGconn **conn, const struct dc_opts *o, const struct actions_call *c,
                struct actions_result *res, struct actions_error *e)
{
	memset(res, 0, sizeof *res);
	/* Once sent, the call's outcome is unknown until an answer comes: a
	 * primary that died in the COMMIT may have passed it to the standby
	 * that replaces it. The same key is sent again until some server
	 * answers (a failover takes seconds) or ACTIONS_RESEND_MS is over. */
	int64_t end = 0;
	for (int attempt = 0;; attempt++) {
		if (!*conn && !(*conn = actions_connect(o, "dcops-actions", e))) {
			if (!end || e->kind != ACTIONS_E_LOST || dc_mono_ms() >= end)
				return -1;
			resend_pause(attempt, end);
			continue;
		}
		if (!end)
			end = dc_mono_ms() + ACTIONS_RESEND_MS;
		PGresult *r = PQexecParams(*conn, c->q.sql, c->q.nparams, NULL,
		                           (const char *const *)c->q.params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			struct dc_err err = {{0}};
			int rc = actions_result_decode(r, res, &err);
			PQclear(r);
			if (rc != 0) {
				memset(e, 0, sizeof *e);
				text_escape_buf(err.msg, e->msg, sizeof e->msg);
			}
			return rc;
		}
		actions_error_from(e, *conn, r);
		PQclear(r);
		if (e->kind != ACTIONS_E_LOST || dc_mono_ms() >= end)
			return -1;
		/* The first send may have committed: the same key makes the
		 * resend return that outcome rather than act twice. */
		PQfinish(*conn);
		*conn = NULL;
		if (attempt > 0)
			resend_pause(attempt, end);
	}
}

/* ---------------------------------------------------------------- queries */

static const char list_sql[] =
	"SELECT a.id, to_char(a.requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
	"       a.requested_by, a.kind, a.target, a.status, a.reason, coalesce(a.error, '')"
	"  FROM dcops.actions a"
	" WHERE NOT $1::boolean OR a.status = 'pending'"
	" ORDER BY a.id DESC LIMIT $2::integer";

/* --node finds the node's drains, resumes and diagnostic runs (020), and
 * with --tenant the incident work on incidents linked to them; both find
 * the cancels, holds and releases of the jobs that ran there or were
 * theirs (040: the audit's before names the job's tenant and nodes). */
static const char audit_sql[] =
	"SELECT a.id, to_char(a.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), a.actor,"
	"       coalesce(a.client_addr, ''), a.action, a.target, a.reason,"
	"       coalesce(a.before::text, ''), coalesce(a.after::text, ''), coalesce(a.site, '')"
	"  FROM dcops.audit a"
	" WHERE ($1::text IS NULL OR a.actor = $1)"
	"   AND ($2::text IS NULL"
	"        OR (a.action IN ('drain', 'resume', 'diag') AND $2 = ANY (string_to_array(a.target, ',')))"
	"        OR (a.action IN ('job_cancel', 'job_hold', 'job_release')"
	"            AND $2 = ANY (string_to_array(a.before->>'node_list', ',')))"
	"        OR EXISTS (SELECT 1 FROM dcops.incident_node i JOIN dcops.node n ON n.id = i.node_id"
	"                    WHERE i.incident_id = a.incident_id AND n.name = $2))"
	"   AND ($3::text IS NULL"
	"        OR (a.action IN ('quota_set', 'quota_revert') AND a.target = $3)"
	"        OR (a.action IN ('job_cancel', 'job_hold', 'job_release')"
	"            AND a.before->>'tenant_id' = (SELECT t.id::text FROM dcops.tenant t WHERE t.name = $3))"
	"        OR EXISTS (SELECT 1 FROM dcops.incident_tenant i JOIN dcops.tenant t ON t.id = i.tenant_id"
	"                    WHERE i.incident_id = a.incident_id AND t.name = $3))"
	"   AND ($4::bigint IS NULL OR a.ts >= now() - make_interval(secs => $4::bigint))"
	" ORDER BY a.id DESC LIMIT $5::integer";

void actions_query_list(struct actions_query *q, bool pending_only, int limit)
{
	query_reset(q, list_sql);
	param_str(q, pending_only ? "true" : "false");
	param_i64(q, limit, -1);
}

void actions_query_audit(struct actions_query *q, const struct actions_audit_filter *f)
{
	query_reset(q, audit_sql);
	param_str(q, f->actor);
	param_str(q, f->node);
	param_str(q, f->tenant);
	param_i64(q, f->since_s, 0);
	param_i64(q, f->limit, -1);
}

/* ---------------------------------------------------------------- durations */

/* The input as it may be shown back: at most 32 bytes, inert. */
static void duration_show(char out[48], const char *s)
{
	char cut[40];
	size_t n = strlen(s);
	snprintf(cut, sizeof cut, "%.32s%s", s, n > 32 ? "..." : "");
	text_escape_buf(cut, out, 48);
}

int actions_duration_parse(const char *s, int64_t *secs, struct dc_err *err)
{
	char shown[48];
	if (!s || !*s)
		return dc_err_set(err, "empty duration (want e.g. 30m, 2h, 1d, 1h30m)");
	duration_show(shown, s);
	int64_t total = 0;
	size_t next = 0;
	for (const char *p = s; *p;) {
		if (*p < '0' || *p > '9')
			return dc_err_set(err, "bad duration '%s': expected a number at offset %d "
			                  "(want e.g. 30m, 2h, 1d, 1h30m)", shown, (int)(p - s));
		int64_t n = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > DURATION_MAX)
				return dc_err_set(err, "bad duration '%s': longer than 400 days", shown);
		}
		size_t u = 0;
		while (u < DC_ARRAY_LEN(duration_units) && duration_units[u].unit != *p)
			u++;
		if (u == DC_ARRAY_LEN(duration_units))
			return dc_err_set(err, "bad duration '%s': %s (units: w d h m s)", shown,
			                  *p ? "unknown unit" : "a number needs a unit");
		if (u < next)
			return dc_err_set(err, "bad duration '%s': units go largest first, each once", shown);
		total += n * duration_units[u].secs;
		if (total > DURATION_MAX)
			return dc_err_set(err, "bad duration '%s': longer than 400 days", shown);
		next = u + 1;
		p++;
	}
	if (total == 0)
		return dc_err_set(err, "bad duration '%s': must be longer than zero", shown);
	*secs = total;
	return 0;
}
