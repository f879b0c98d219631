/* report.c — the shift handover report: a table of sections, each one SQL
 * query returning its part of the JSON document (report.h), all run in one
 * REPEATABLE READ snapshot; text and Markdown are rendered from that
 * document by one generic walker over the sections' column tables. */
#include "report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "text.h"

/* ---------------------------------------------------------------- queries
 * Every section query starts with W, the window: t0 and t1 (timestamptz),
 * shift (bigint, NULL when the window is not a shift) and large (the GPU
 * count of a large job); it returns one jsonb value. */

#define W "WITH w(t0, t1, shift, large) AS (VALUES ($1::timestamptz, $2::timestamptz, $3::bigint, $4::int))"

static const char sql_on_call[] = W
	" SELECT coalesce("
	" (SELECT jsonb_agg(DISTINCT s.operator) FROM dcops.shift s, w"
	"   WHERE s.started_at < w.t1 AND coalesce(s.ended_at, 'infinity') > w.t0),"
	" (SELECT jsonb_agg(DISTINCT a.actor) FROM dcops.audit a, w WHERE a.ts >= w.t0 AND a.ts < w.t1),"
	" '[]')";

static const char sql_open_incidents[] = W
	" SELECT coalesce(jsonb_agg(x ORDER BY (x->>'unowned')::boolean DESC, (x->>'sev')::int, (x->>'id')::bigint), '[]')"
	" FROM (SELECT jsonb_build_object('id', i.id, 'sev', i.sev, 'state', i.state, 'title', i.title,"
	"   'owner', i.owner, 'unowned', i.owner IS NULL, 'opened_at', dcops.report_ts(i.opened_at),"
	"   'age_s', floor(extract(epoch FROM now() - i.opened_at))::bigint,"
	"   'last_note', ln.body, 'last_note_at', dcops.report_ts(ln.ts),"
	"   'next_update_at', dcops.report_ts(i.next_update_at),"
	"   'update_overdue', coalesce(i.next_update_at < now(), false), 'drill_id', i.drill_id) AS x"
	"  FROM dcops.incident i"
	"  LEFT JOIN LATERAL (SELECT e.body, e.ts FROM dcops.incident_event e WHERE e.incident_id = i.id"
	"                      ORDER BY e.kind = 'note' DESC, e.ts DESC, e.id DESC LIMIT 1) ln ON true"
	"  WHERE i.state <> 'resolved') q";

static const char sql_opened[] = W
	" SELECT coalesce(jsonb_agg(jsonb_build_object('id', i.id, 'sev', i.sev, 'state', i.state,"
	"   'title', i.title, 'opened_at', dcops.report_ts(i.opened_at), 'drill_id', i.drill_id) ORDER BY i.id), '[]')"
	" FROM dcops.incident i, w WHERE i.opened_at >= w.t0 AND i.opened_at < w.t1";

static const char sql_resolved[] = W
	" SELECT coalesce(jsonb_agg(jsonb_build_object('id', i.id, 'sev', i.sev, 'title', i.title,"
	"   'owner', i.owner, 'resolved_at', dcops.report_ts(i.resolved_at), 'summary', i.summary,"
	"   'drill_id', i.drill_id) ORDER BY i.id), '[]')"
	" FROM dcops.incident i, w WHERE i.resolved_at >= w.t0 AND i.resolved_at < w.t1";

static const char sql_nodes_out[] = W
	" SELECT coalesce(jsonb_agg(jsonb_build_object('node', n.name, 'partition', p.name,"
	"   'admin_state', n.admin_state, 'sched_state', n.sched_state, 'health', n.health,"
	"   'reason', coalesce(n.drain_reason, nullif(n.health_detail, '')),"
	"   'since', dcops.report_ts(coalesce(n.drained_at, n.admin_changed_at)),"
	"   'by', coalesce(n.drained_by, n.admin_changed_by), 'incident_id', li.id) ORDER BY n.name), '[]')"
	" FROM dcops.node n JOIN dcops.partition p ON p.id = n.partition_id"
	" LEFT JOIN LATERAL (SELECT i.id FROM dcops.incident_node l JOIN dcops.incident i ON i.id = l.incident_id"
	"                     WHERE l.node_id = n.id ORDER BY i.state = 'resolved', i.id DESC LIMIT 1) li ON true"
	" WHERE n.admin_state <> 'active' OR n.sched_state = 'down'";

static const char sql_actions[] = W
	" SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'at', dcops.report_ts(a.requested_at),"
	"   'actor', a.requested_by, 'kind', a.kind, 'target', a.target, 'status', a.status, 'reason', a.reason,"
	"   'before', CASE WHEN a.kind IN ('quota_set', 'quota_revert')"
	"                  THEN (a.params->'previous') - 'expires_at' END,"
	"   'after', CASE WHEN a.kind IN ('quota_set', 'quota_revert')"
	"                 THEN a.params - 'previous' - 'tenant_id' - 'expires_at' END,"
	"   'expires_at', dcops.report_ts(coalesce(a.params->>'expires_at', a.params->>'resume_after')::timestamptz),"
	"   'incident_id', a.incident_id, 'drill_id', a.drill_id) ORDER BY a.id), '[]')"
	" FROM dcops.actions a, w WHERE a.requested_at >= w.t0 AND a.requested_at < w.t1";

/* At risk: the budget runs out within a week at the burn rate of the last
 * 24 h (quota.burn_gpu_h_day, 033_tenant_burn.sql) or is over 90% used, or
 * pending jobs wait on the tenant's GPU limit (running + the job's GPUs >
 * limit). A tenant merely at its limit with nothing waiting is not at risk. */
static const char sql_quota_risk[] = W
	" SELECT coalesce(jsonb_agg(jsonb_build_object('tenant', b.name, 'gpu_limit', b.gpu_limit,"
	"   'gpus_running', b.running, 'gpu_pct', b.gpu_pct, 'gpu_hours_used', b.gpu_hours_used,"
	"   'gpu_hours_budget', b.gpu_hours_budget, 'hours_pct', b.hours_pct, 'burn_gpu_hours_per_day', b.burn,"
	"   'burn_since', dcops.report_ts(b.burn_since), 'pending_blocked', b.blocked,"
	"   'pending_blocked_gpus', b.blocked_gpus, 'days_left', b.days_left, 'why', array_remove(ARRAY["
	"     CASE WHEN b.blocked > 0 THEN format('%s pending %s (%s GPUs) on the limit of %s GPUs (%s running)',"
	"                                        b.blocked, CASE WHEN b.blocked = 1 THEN 'job waits' ELSE 'jobs wait' END,"
	"                                        b.blocked_gpus, b.gpu_limit, b.running) END,"
	"     CASE WHEN b.hours_pct > 90 THEN format('used %s%% of the GPU-hour budget', b.hours_pct) END,"
	"     CASE WHEN b.days_left < 7 THEN format('budget runs out in %s days at %s GPU-hours a day (last 24 h)',"
	"                                           b.days_left, b.burn) END], NULL))"
	"   ORDER BY b.days_left NULLS LAST, b.hours_pct DESC NULLS LAST, b.blocked DESC, b.name), '[]')"
	" FROM (SELECT t.name, q.gpu_limit, coalesce(r.gpus, 0) AS running, q.gpu_hours_used, q.gpu_hours_budget,"
	"         q.burn_gpu_h_day AS burn, q.burn_since,"
	"         coalesce(p.n, 0) AS blocked, coalesce(p.gpus, 0) AS blocked_gpus,"
	"         CASE WHEN q.gpu_limit > 0 THEN round(coalesce(r.gpus, 0) * 100.0 / q.gpu_limit, 1) END AS gpu_pct,"
	"         CASE WHEN q.gpu_hours_budget > 0 THEN round(q.gpu_hours_used * 100 / q.gpu_hours_budget, 1) END AS hours_pct,"
	"         CASE WHEN q.burn_gpu_h_day > 0 AND q.gpu_hours_budget > 0" /* 0: no budget */
	"              THEN round(greatest(q.gpu_hours_budget - q.gpu_hours_used, 0) / q.burn_gpu_h_day, 1) END AS days_left"
	"       FROM dcops.quota q JOIN dcops.tenant t ON t.id = q.tenant_id"
	"       LEFT JOIN (SELECT j.tenant_id, sum(j.gpus) AS gpus FROM dcops.job j WHERE j.state = 'running'"
	"                  GROUP BY j.tenant_id) r ON r.tenant_id = q.tenant_id"
	"       LEFT JOIN LATERAL (SELECT count(*) AS n, sum(j.gpus) AS gpus FROM dcops.job j"
	"                  WHERE j.tenant_id = q.tenant_id AND j.state = 'pending'"
	"                    AND coalesce(r.gpus, 0) + j.gpus > q.gpu_limit) p ON true) b"
	" WHERE b.blocked > 0 OR b.hours_pct > 90 OR b.days_left < 7";

/* Time-boxed quotas in effect: the limits before (dcops.quota_before,
 * 045: the one definition the console's Handover view reads too) and now,
 * until when. */
static const char sql_temp_quotas[] = W
	" SELECT coalesce(jsonb_agg(jsonb_build_object('tenant', t.name, 'expires_at', dcops.report_ts(q.expires_at),"
	"   'before', dcops.quota_before(q),"
	"   'after', jsonb_build_object('gpu_limit', q.gpu_limit, 'gpu_hours_budget', q.gpu_hours_budget,"
	"                               'storage_tb', q.storage_tb)) ORDER BY q.expires_at, t.name), '[]')"
	" FROM dcops.quota q JOIN dcops.tenant t ON t.id = q.tenant_id WHERE q.expires_at > now()";

/* Pending at T: submitted by T, neither started nor ended by T (report.h). */
static const char sql_queues[] = W
	", t(which, ts) AS (SELECT 'start', t0 FROM w UNION ALL SELECT 'end', t1 FROM w),"
	" q AS (SELECT j.partition_id, t.which, count(*) AS pending,"
	"              floor(extract(epoch FROM max(t.ts - j.submit_at)))::bigint AS oldest,"
	"              count(*) FILTER (WHERE j.gpus >= (SELECT large FROM w)) AS large"
	"         FROM t JOIN dcops.job j ON j.submit_at <= t.ts AND (j.start_at IS NULL OR j.start_at > t.ts)"
	"                                AND (j.end_at IS NULL OR j.end_at > t.ts)"
	"        GROUP BY j.partition_id, t.which)"
	" SELECT coalesce(jsonb_agg(jsonb_build_object('partition', p.name,"
	"   'pending', coalesce(e.pending, 0), 'pending_at_start', coalesce(s.pending, 0),"
	"   'oldest_wait_s', e.oldest, 'oldest_wait_s_at_start', s.oldest,"
	"   'blocked_large', coalesce(e.large, 0), 'blocked_large_at_start', coalesce(s.large, 0)) ORDER BY p.name), '[]')"
	" FROM dcops.partition p LEFT JOIN q e ON e.partition_id = p.id AND e.which = 'end'"
	" LEFT JOIN q s ON s.partition_id = p.id AND s.which = 'start'";

static const char sql_watch[] = W
	", xi AS (SELECT n.name AS node, count(DISTINCT i.id) AS incs,"
	"                array_agg(DISTINCT substring(i.title FROM 'Xid ([0-9]+)')::int) AS xids"
	"           FROM w, dcops.incident i JOIN dcops.incident_node l ON l.incident_id = i.id"
	"           JOIN dcops.node n ON n.id = l.node_id"
	"          WHERE i.opened_at >= w.t0 AND i.opened_at < w.t1 AND i.title ~ 'Xid [0-9]+'"
	"          GROUP BY n.name),"
	" ecc AS (SELECT n.name AS node, sum(greatest(g.ecc_sbe - coalesce(m.ecc_sbe, 0), 0)) AS sbe,"
	"                sum(greatest(g.ecc_dbe - coalesce(m.ecc_dbe, 0), 0)) AS dbe"
	"           FROM w, dcops.gpu g JOIN dcops.node n ON n.id = g.node_id"
	"           LEFT JOIN dcops.shift_ecc_mark m ON m.shift_id = (SELECT shift FROM w) AND m.gpu_id = g.id"
	"          WHERE w.shift IS NOT NULL"
	"            AND (g.ecc_sbe > coalesce(m.ecc_sbe, 0) OR g.ecc_dbe > coalesce(m.ecc_dbe, 0))"
	"          GROUP BY n.name)"
	" SELECT coalesce(jsonb_agg(jsonb_build_object('node', node, 'xid_incidents', coalesce(xi.incs, 0),"
	"   'xids', coalesce(to_jsonb(xi.xids), '[]'), 'ecc_sbe_delta', coalesce(ecc.sbe, 0),"
	"   'ecc_dbe_delta', coalesce(ecc.dbe, 0), 'why', concat_ws('; ',"
	"     CASE WHEN xi.incs >= 2 THEN format('%s Xid incidents this shift (Xid %s)', xi.incs,"
	"                                        array_to_string(xi.xids, ', ')) END,"
	"     CASE WHEN ecc.node IS NOT NULL THEN format('ECC rose this shift: +%s single-bit, +%s double-bit',"
	"                                                ecc.sbe, ecc.dbe) END)) ORDER BY node), '[]')"
	" FROM xi FULL JOIN ecc USING (node) WHERE coalesce(xi.incs, 0) >= 2 OR ecc.node IS NOT NULL";

static const char sql_note[] = W
	" SELECT coalesce((SELECT jsonb_build_object('shift_id', n.shift_id, 'author', n.author, 'body', n.body,"
	"   'updated_at', dcops.report_ts(n.updated_at), 'signed_off_by', n.signed_off_by,"
	"   'signed_off_at', dcops.report_ts(n.signed_off_at))"
	"  FROM w, dcops.handover_note n JOIN dcops.shift s ON s.id = n.shift_id"
	"  WHERE (w.shift IS NOT NULL AND n.shift_id = w.shift)"
	"     OR (w.shift IS NULL AND s.started_at < w.t1 AND coalesce(s.ended_at, 'infinity') > w.t0)"
	"  ORDER BY s.started_at DESC LIMIT 1), 'null')";
#undef W

/* ---------------------------------------------------------------- sections */

enum col_kind {
	C_STR,      /* text as is (escaped) */
	C_TAGGED,   /* text, "[DRILL] " first when the row has a drill_id */
	C_NUM,      /* a number */
	C_ID,       /* #14 */
	C_SEV,      /* SEV-2 */
	C_OWNER,    /* a role, or UNOWNED */
	C_TIME,     /* UTC text shown in the operator's zone, labelled (text.h) */
	C_AGE,      /* seconds as 3h10m */
	C_DUE,      /* a time, shown as "in 12m" or "OVERDUE 5m" */
	C_VS,       /* key and key_at_start: "12 (was 5)" */
	C_CHANGE,   /* "before" → "after" objects: gpu_limit 16→20 */
	C_LIST,     /* a list of strings, "; "-joined */
};

struct col {
	const char *key;
	const char *head;
	enum col_kind kind;
};

struct section {
	const char *key;
	const char *title;
	const char *sql;
	const struct col *cols;
	size_t ncols;
	const char *empty;   /* the line shown when it has no rows */
};

static const struct col cols_open[] = {
	{ "id", "id", C_ID }, { "sev", "sev", C_SEV }, { "state", "state", C_STR },
	{ "owner", "owner", C_OWNER }, { "age_s", "age", C_AGE }, { "next_update_at", "next update", C_DUE },
	{ "title", "title", C_TAGGED }, { "last_note", "last note", C_STR },
};
static const struct col cols_opened[] = {
	{ "id", "id", C_ID }, { "sev", "sev", C_SEV }, { "state", "state now", C_STR },
	{ "opened_at", "opened", C_TIME }, { "title", "title", C_TAGGED },
};
static const struct col cols_resolved[] = {
	{ "id", "id", C_ID }, { "sev", "sev", C_SEV }, { "owner", "owner", C_OWNER },
	{ "resolved_at", "resolved", C_TIME }, { "title", "title", C_TAGGED }, { "summary", "summary", C_STR },
};
static const struct col cols_nodes[] = {
	{ "node", "node", C_STR }, { "partition", "partition", C_STR }, { "admin_state", "admin", C_STR },
	{ "sched_state", "sched", C_STR }, { "since", "since", C_TIME }, { "by", "by", C_STR },
	{ "incident_id", "incident", C_ID }, { "reason", "reason", C_STR },
};
static const struct col cols_actions[] = {
	{ "at", "at", C_TIME }, { "actor", "by", C_STR }, { "kind", "action", C_TAGGED },
	{ "target", "target", C_STR }, { "after", "change", C_CHANGE }, { "status", "status", C_STR },
	{ "expires_at", "until", C_TIME }, { "reason", "reason", C_STR },
};
static const struct col cols_quota[] = {
	{ "tenant", "tenant", C_STR }, { "gpus_running", "GPUs running", C_NUM },
	{ "gpu_limit", "limit", C_NUM }, { "hours_pct", "budget used %", C_NUM },
	{ "burn_gpu_hours_per_day", "GPU-h/day (24 h)", C_NUM }, { "days_left", "days left", C_NUM },
	{ "why", "why", C_LIST },
};
static const struct col cols_temp[] = {
	{ "tenant", "tenant", C_STR }, { "after", "change", C_CHANGE }, { "expires_at", "expires", C_TIME },
};
static const struct col cols_queues[] = {
	{ "partition", "partition", C_STR }, { "pending", "pending", C_VS },
	{ "oldest_wait_s", "oldest wait", C_VS }, { "blocked_large", "blocked >=16 GPUs", C_VS },
};
static const struct col cols_watch[] = {
	{ "node", "node", C_STR }, { "why", "why", C_STR },
};

#define SECTION(k, t, q, c, e) { .key = k, .title = t, .sql = q, .cols = c, .ncols = DC_ARRAY_LEN(c), .empty = e }
static const struct section sections[] = {
	SECTION("open_incidents", "Open incidents", sql_open_incidents, cols_open, "none"),
	SECTION("incidents_opened", "Incidents opened this shift", sql_opened, cols_opened, "none"),
	SECTION("incidents_resolved", "Incidents resolved this shift", sql_resolved, cols_resolved, "none"),
	SECTION("nodes_out", "Nodes drained or down", sql_nodes_out, cols_nodes, "none"),
	SECTION("actions", "Actions this shift", sql_actions, cols_actions, "none"),
	SECTION("quota_temp", "Temporary quotas in effect", sql_temp_quotas, cols_temp, "none"),
	SECTION("quota_risk", "Tenants at quota risk", sql_quota_risk, cols_quota, "none"),
	SECTION("queues", "Queue health (now vs shift start)", sql_queues, cols_queues, "no partitions"),
	SECTION("watch", "Watch list", sql_watch, cols_watch, "nothing to watch"),
};
#undef SECTION

/* ---------------------------------------------------------------- building */

static cJSON *query_json(PGconn *c, const char *sql, int n, const char *const *p, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, sql, n, p);
	if (!r)
		return NULL;
	cJSON *j = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? cJSON_Parse(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	if (!j)
		dc_err_set(err, "report: the database returned no JSON for a section");
	return j;
}

static const char sql_header[] =
	"SELECT jsonb_build_object('report', 'handover', 'version', 1, 'generated_at', dcops.report_ts(now()),"
	"  'timezone', z.tz, 'utc_offset_s',"
	"  floor(extract(epoch FROM (now() AT TIME ZONE z.tz) - (now() AT TIME ZONE 'UTC')))::int,"
	"  'window', jsonb_build_object('start', dcops.report_ts(w.started_at), 'end', dcops.report_ts(w.ended_at),"
	"                               'source', w.source, 'start_kind', w.start_kind,"
	"                               'prev_shift_id', w.prev_shift_id),"
	"  'shift', (SELECT jsonb_build_object('id', s.id, 'operator', s.operator,"
	"                 'started_at', dcops.report_ts(s.started_at), 'ended_at', dcops.report_ts(s.ended_at))"
	"            FROM dcops.shift s WHERE s.id = w.shift_id),"
	"  'ecc_baseline', w.shift_id IS NOT NULL,"
	"  '_start', w.started_at::text, '_end', w.ended_at::text, '_shift', w.shift_id)"
	" FROM dcops.handover_span($1::bigint, make_interval(secs => $2::bigint)) w,"
	"  (SELECT coalesce((SELECT s.value FROM dcops.setting s WHERE s.key = 'rota.timezone'),"
	"                   (SELECT x.timezone FROM dcops.site x ORDER BY x.id LIMIT 1), 'UTC') AS tz) z";

/* Moves the private window bounds out of the header into p[0..2]. */
static void take_bounds(cJSON *head, char *p[3])
{
	static const char *const keys[] = { "_start", "_end", "_shift" };
	for (int i = 0; i < 3; i++) {
		cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(head, keys[i]);
		p[i] = NULL;
		if (cJSON_IsString(v))
			p[i] = xstrdup(v->valuestring);
		else if (cJSON_IsNumber(v))
			p[i] = xasprintf("%.0f", v->valuedouble);
		cJSON_Delete(v);
	}
}

static cJSON *build_in_snapshot(PGconn *c, const struct report_window *w, struct dc_err *err)
{
	char shift[24], since[24];
	snprintf(shift, sizeof shift, "%lld", (long long)w->shift_id);
	snprintf(since, sizeof since, "%lld", (long long)w->since_s);
	const char *hp[] = { w->shift_id > 0 ? shift : NULL, w->since_s > 0 ? since : NULL };
	cJSON *rep = query_json(c, sql_header, 2, hp, err);
	if (!rep)
		return NULL;
	char *p[3];
	take_bounds(rep, p);
	char large[16];
	snprintf(large, sizeof large, "%d", REPORT_LARGE_GPUS);
	const char *sp[] = { p[0], p[1], p[2], large };
	cJSON *v = query_json(c, sql_on_call, 4, sp, err);
	if (v)
		cJSON_AddItemToObject(rep, "on_call", v);
	for (size_t i = 0; v && i < DC_ARRAY_LEN(sections); i++) {
		v = query_json(c, sections[i].sql, 4, sp, err);
		if (v)
			cJSON_AddItemToObject(rep, sections[i].key, v);
	}
	if (v) {
		v = query_json(c, sql_note, 4, sp, err);
		if (v)
			cJSON_AddItemToObject(rep, "note", v);
	}
	for (int i = 0; i < 3; i++)
		free(p[i]);
	if (!v) {
		cJSON_Delete(rep);
		return NULL;
	}
	return rep;
}

cJSON *report_build(PGconn *c, const struct report_window *w, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
	if (!r)
		return NULL;
	PQclear(r);
	cJSON *rep = build_in_snapshot(c, w, err);
	r = db_exec(c, NULL, rep ? "COMMIT" : "ROLLBACK", 0, NULL);
	PQclear(r);
	return rep;
}

int report_format_parse(const char *s, enum report_format *fmt)
{
	static const char *const names[] = { [REPORT_TEXT] = "text", [REPORT_MD] = "md", [REPORT_JSON] = "json" };
	for (size_t i = 0; i < DC_ARRAY_LEN(names); i++)
		if (s && strcmp(s, names[i]) == 0) {
			*fmt = (enum report_format)i;
			return 0;
		}
	return -1;
}

/* ---------------------------------------------------------------- rendering */

struct out {
	FILE *f;
	enum report_format fmt;
	time_t now;
};

static time_t parse_utc(const char *s)
{
	struct tm tm = {0};
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	                 &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static void fmt_local(const char *utc, char *buf, size_t n)
{
	text_time(parse_utc(utc), "%m-%d %H:%M", buf, n);
}

static void fmt_span(long s, char *buf, size_t n)
{
	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(buf, n, "%ldd%ldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, n, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%ldm", s / 60);
}

static void put_str(const struct out *o, struct sb *sb, const char *s)
{
	if (o->fmt == REPORT_MD)
		text_escape_md(sb, s);
	else
		text_escape(sb, s);
}

static void put_num(struct sb *sb, const cJSON *v)
{
	if (!cJSON_IsNumber(v)) {
		sb_append(sb, "-");
		return;
	}
	if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 1e15)
		sb_appendf(sb, "%.0f", v->valuedouble);
	else
		sb_appendf(sb, "%.1f", v->valuedouble);
}

/* The limits that change only: "gpu_limit 16 -> 20". */
static void put_change(const struct out *o, struct sb *sb, const cJSON *row)
{
	const cJSON *before = cJSON_GetObjectItemCaseSensitive(row, "before");
	const cJSON *after = cJSON_GetObjectItemCaseSensitive(row, "after");
	const char *sep = "";
	const cJSON *a;
	cJSON_ArrayForEach(a, after) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(before, a->string);
		if (cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble == b->valuedouble)
			continue;
		sb_appendf(sb, "%s", sep);
		put_str(o, sb, a->string);
		sb_append(sb, " ");
		put_num(sb, b);
		sb_append(sb, o->fmt == REPORT_MD ? " → " : " -> ");
		put_num(sb, a);
		sep = ", ";
	}
	if (!*sep)
		sb_append(sb, "-");
}

static void put_cell(const struct out *o, struct sb *sb, const cJSON *row, const struct col *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, c->key);
	char buf[64];
	switch (c->kind) {
	case C_TAGGED:
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(row, "drill_id")))
			sb_append(sb, o->fmt == REPORT_MD ? "\\[DRILL\\] " : "[DRILL] ");
		/* fall through */
	case C_STR:
		if (cJSON_IsString(v))
			put_str(o, sb, v->valuestring);
		else
			sb_append(sb, "-");
		return;
	case C_NUM:
		put_num(sb, v);
		return;
	case C_ID:
		if (cJSON_IsNumber(v))
			sb_appendf(sb, "#%.0f", v->valuedouble);
		else
			sb_append(sb, "-");
		return;
	case C_SEV:
		sb_appendf(sb, "SEV-%.0f", cJSON_IsNumber(v) ? v->valuedouble : 0);
		return;
	case C_OWNER:
		if (cJSON_IsString(v))
			put_str(o, sb, v->valuestring);
		else
			sb_append(sb, o->fmt == REPORT_MD ? "**UNOWNED**" : "UNOWNED");
		return;
	case C_TIME:
		fmt_local(cJSON_IsString(v) ? v->valuestring : NULL, buf, sizeof buf);
		sb_append(sb, buf);
		return;
	case C_AGE:
		fmt_span(cJSON_IsNumber(v) ? (long)v->valuedouble : 0, buf, sizeof buf);
		sb_append(sb, buf);
		return;
	case C_DUE: {
		time_t t = parse_utc(cJSON_IsString(v) ? v->valuestring : NULL);
		if (!t) {
			sb_append(sb, "-");
			return;
		}
		fmt_span((long)(t - o->now), buf, sizeof buf);
		sb_appendf(sb, t < o->now ? (o->fmt == REPORT_MD ? "**OVERDUE %s**" : "OVERDUE %s") : "in %s", buf);
		return;
	}
	case C_VS: {
		char k[64];
		snprintf(k, sizeof k, "%s_at_start", c->key);
		const cJSON *was = cJSON_GetObjectItemCaseSensitive(row, k);
		bool secs = strstr(c->key, "_s") != NULL;
		for (int i = 0; i < 2; i++) {
			const cJSON *x = i ? was : v;
			if (i)
				sb_append(sb, " (was ");
			if (secs && cJSON_IsNumber(x)) {
				fmt_span((long)x->valuedouble, buf, sizeof buf);
				sb_append(sb, buf);
			} else {
				put_num(sb, x);
			}
		}
		sb_append(sb, ")");
		return;
	}
	case C_CHANGE:
		put_change(o, sb, row);
		return;
	case C_LIST: {
		const cJSON *e;
		const char *sep = "";
		cJSON_ArrayForEach(e, v) {
			sb_append(sb, sep);
			put_str(o, sb, cJSON_IsString(e) ? e->valuestring : "");
			sep = "; ";
		}
		return;
	}
	}
}

static void render_section(const struct out *o, const cJSON *rep, const struct section *s)
{
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(rep, s->key);
	int n = cJSON_GetArraySize(rows);
	struct sb sb = {0};
	if (o->fmt == REPORT_MD)
		sb_appendf(&sb, "\n### %s (%d)\n\n", s->title, n);
	else
		sb_appendf(&sb, "\n%s (%d)\n", s->title, n);
	if (n == 0) {
		sb_appendf(&sb, o->fmt == REPORT_MD ? "_%s_\n" : "  %s\n", s->empty);
	} else if (o->fmt == REPORT_MD) {
		for (size_t i = 0; i < s->ncols; i++)
			sb_appendf(&sb, "| %s ", s->cols[i].head);
		sb_append(&sb, "|\n");
		for (size_t i = 0; i < s->ncols; i++)
			sb_append(&sb, "|---");
		sb_append(&sb, "|\n");
	}
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		bool md = o->fmt == REPORT_MD;
		sb_append(&sb, md ? "|" : " ");
		for (size_t i = 0; i < s->ncols; i++) {
			sb_append(&sb, md || i == 0 ? " " : "  ");
			if (!md && s->ncols > 2 && i > 0)
				sb_appendf(&sb, "%s: ", s->cols[i].head);
			put_cell(o, &sb, row, &s->cols[i]);
			if (md)
				sb_append(&sb, " |");
		}
		sb_append(&sb, "\n");
	}
	fputs(sb.buf ? sb.buf : "", o->f);
	sb_free(&sb);
}

static const char *jstr(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Why the window starts where it does (dcops.handover_span). */
static void put_window_start(struct sb *sb, const cJSON *w)
{
	static const struct { const char *kind, *words; } starts[] = {
		{ "previous_shift", "from the previous handover (the end of shift %.0f)" },
		{ "rota_slot", "from the start of the rota slot" },
		{ "shift", "the shift, start to end" },
		{ "since", "the last --since" },
	};
	const char *kind = jstr(w, "start_kind");
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(w, "prev_shift_id");
	for (size_t i = 0; kind && i < DC_ARRAY_LEN(starts); i++)
		if (strcmp(kind, starts[i].kind) == 0) {
			sb_append(sb, ", ");
			sb_appendf(sb, starts[i].words, cJSON_IsNumber(prev) ? prev->valuedouble : 0.0);
		}
}

static void render_header(const struct out *o, const cJSON *rep)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(rep, "window");
	const cJSON *shift = cJSON_GetObjectItemCaseSensitive(rep, "shift");
	struct sb sb = {0};
	char from[32], to[32], len[32];
	fmt_local(jstr(w, "start"), from, sizeof from);
	fmt_local(jstr(w, "end"), to, sizeof to);
	fmt_span((long)(parse_utc(jstr(w, "end")) - parse_utc(jstr(w, "start"))), len, sizeof len);
	sb_append(&sb, o->fmt == REPORT_MD ? "## Shift handover" : "SHIFT HANDOVER");
	if (cJSON_IsObject(shift)) {
		sb_appendf(&sb, ": shift %.0f, ", cJSON_GetObjectItemCaseSensitive(shift, "id")->valuedouble);
		put_str(o, &sb, jstr(shift, "operator"));
	} else {
		sb_appendf(&sb, ": %s", strcmp(jstr(w, "source") ? jstr(w, "source") : "", "rota") == 0
		                           ? "no shift started (rota slot)" : "time window");
	}
	sb_appendf(&sb, "\n%sWindow: %s to %s (%s)", o->fmt == REPORT_MD ? "\n" : "", from, to, len);
	put_window_start(&sb, w);
	sb_appendf(&sb, "%s\nOn call: ", o->fmt == REPORT_MD ? "  " : "");
	const cJSON *e;
	const char *sep = "";
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(rep, "on_call")) {
		sb_append(&sb, sep);
		put_str(o, &sb, e->valuestring);
		sep = ", ";
	}
	if (!*sep)
		sb_append(&sb, "nobody recorded");
	sb_append(&sb, "\n");
	fputs(sb.buf, o->f);
	sb_free(&sb);
}

static void render_note(const struct out *o, const cJSON *rep)
{
	const cJSON *note = cJSON_GetObjectItemCaseSensitive(rep, "note");
	struct sb sb = {0};
	sb_append(&sb, o->fmt == REPORT_MD ? "\n### Handover note\n\n" : "\nHandover note\n");
	if (!cJSON_IsObject(note)) {
		sb_append(&sb, o->fmt == REPORT_MD ? "_no note written_\n" : "  no note written\n");
	} else {
		char when[32];
		fmt_local(jstr(note, "updated_at"), when, sizeof when);
		const char *body = jstr(note, "body");
		/* One escaped line per line of the body. */
		for (const char *p = body ? body : ""; ; ) {
			const char *nl = strchr(p, '\n');
			char *line = nl ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
			sb_append(&sb, o->fmt == REPORT_MD ? "> " : "  | ");
			put_str(o, &sb, line);
			sb_append(&sb, "\n");
			free(line);
			if (!nl)
				break;
			p = nl + 1;
		}
		sb_append(&sb, o->fmt == REPORT_MD ? "\n" : "  ");
		sb_append(&sb, "written by ");
		put_str(o, &sb, jstr(note, "author"));
		sb_appendf(&sb, " at %s; ", when);
		if (jstr(note, "signed_off_by")) {
			fmt_local(jstr(note, "signed_off_at"), when, sizeof when);
			sb_append(&sb, "signed off by ");
			put_str(o, &sb, jstr(note, "signed_off_by"));
			sb_appendf(&sb, " at %s\n", when);
		} else {
			sb_append(&sb, o->fmt == REPORT_MD ? "**not signed off yet**\n" : "NOT SIGNED OFF YET\n");
		}
	}
	fputs(sb.buf, o->f);
	sb_free(&sb);
}

void report_render(FILE *f, const cJSON *rep, enum report_format fmt)
{
	if (fmt == REPORT_JSON) {
		text_json_print(f, rep);
		return;
	}
	struct out o = { .f = f, .fmt = fmt, .now = parse_utc(jstr(rep, "generated_at")) };
	render_header(&o, rep);
	for (size_t i = 0; i < DC_ARRAY_LEN(sections); i++)
		render_section(&o, rep, &sections[i]);
	render_note(&o, rep);
}
