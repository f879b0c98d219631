/* sql.c — read queries and row decoders, generated from one column table
 * per model row so the SELECT list and the decoder cannot drift apart. */
#include "sql.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum col_type {
	C_VERSION, /* the change feed's version: the store's watermark, and the row's if it keeps one */
	C_I64, C_INT, C_I16, C_DBL, C_BOOL, C_STR, C_TIME,
	C_SCHED, C_ADMIN, C_HEALTH, C_JOB, C_INC, C_ACT,
};

struct col {
	const char *name;
	enum col_type type;
	size_t off; /* NO_FIELD: decoded, not kept in the row */
};
#define NO_FIELD SIZE_MAX

/* Enum columns: parser and the value an unknown word decodes to. */
static const struct {
	int (*parse)(const char *);
	int fallback;
} enum_cols[] = {
	[C_SCHED] = { dc_sched_parse, DC_SCHED_UNKNOWN },
	[C_ADMIN] = { dc_admin_parse, DC_ADMIN_ACTIVE },
	[C_HEALTH] = { dc_health_parse, DC_HEALTH_OK },
	[C_JOB] = { dc_job_state_parse, DC_JOB_PENDING },
	[C_INC] = { dc_inc_state_parse, DC_INC_TRIGGERED },
	[C_ACT] = { dc_action_status_parse, DC_ACT_PENDING },
};

/* the largest model row a decoder builds on the stack */
#define SQL_MAX_ROW 512

#define SQL_STR(x) #x
#define SQL_XSTR(x) SQL_STR(x)
#define COL(type_, name_, ctype, field) { name_, ctype, offsetof(struct type_, field) }
#define COLS(...) (const struct col[]){ __VA_ARGS__ }, DC_ARRAY_LEN(((const struct col[]){ __VA_ARGS__ }))

struct table_sql {
	const char *name;      /* in schema dcops */
	size_t size;           /* of the model row */
	const struct col *cols;
	size_t ncols;
	const char *full_tail; /* WHERE/ORDER of the full load, "" for all rows */
	const char *delta_more; /* OR-ed onto the delta's WHERE, or NULL */
	unsigned follows;       /* DC_MASK of the other tables delta_more reads */
};

/* An incident's linked node or tenant names as a column, joined by sep:
 * nodes by ' ' (a node name has no space), tenants by ' · ' (a tenant name
 * cannot hold it: 042_handover_window.sql), since tenant names do have
 * spaces ("Acme Research", "(주)딥 비전"). */
#define INCIDENT_LINKS(tbl, what, sep) \
	"(SELECT coalesce(string_agg(x.name, '" sep "' ORDER BY x.name), '') FROM dcops.incident_" tbl \
	" l JOIN dcops." what " x ON x.id = l." what "_id WHERE l.incident_id = incident.id)"

/* A quota's limit before its time-boxed change (045_shift_window_from.sql),
 * -1 when not known. quota_before is a SQL function with its own
 * search_path, so never inlined: three calls a row were 590 of a 25,000-node
 * full load's ~1,200 ms on the server (17,260 quotas). With neither
 * prev_values nor expires_at it is NULL by its definition, so it is only
 * called for a quota with a time-boxed change. */
#define QUOTA_BEFORE(key, type) \
	"coalesce((CASE WHEN quota.prev_values IS NULL AND quota.expires_at IS NULL THEN NULL" \
	" ELSE dcops.quota_before(quota) END->>'" key "')::" type ", -1)"

static const struct table_sql tables[DC_T_COUNT] = {
	[DC_T_SITE] = { "site", sizeof(struct dc_site), COLS(
		COL(dc_site, "id", C_I64, id), COL(dc_site, "version", C_VERSION, version),
		COL(dc_site, "code", C_STR, code), COL(dc_site, "name", C_STR, name),
		COL(dc_site, "timezone", C_STR, timezone)), "" },
	[DC_T_RACK] = { "rack", sizeof(struct dc_rack), COLS(
		COL(dc_rack, "id", C_I64, id), COL(dc_rack, "version", C_VERSION, version),
		COL(dc_rack, "name", C_STR, name), COL(dc_rack, "row_no", C_INT, row_no),
		COL(dc_rack, "position", C_INT, position),
		COL(dc_rack, "power_cap_kw", C_DBL, power_cap_kw)), "" },
	[DC_T_PARTITION] = { "partition", sizeof(struct dc_partition), COLS(
		COL(dc_partition, "id", C_I64, id), COL(dc_partition, "version", C_VERSION, version),
		COL(dc_partition, "name", C_STR, name),
		COL(dc_partition, "gpu_model", C_STR, gpu_model)), "" },
	[DC_T_NODE] = { "node", sizeof(struct dc_node), COLS(
		COL(dc_node, "id", C_I64, id), COL(dc_node, "version", C_VERSION, version),
		COL(dc_node, "name", C_STR, name), COL(dc_node, "model", C_STR, model),
		COL(dc_node, "drain_reason", C_STR, drain_reason),
		COL(dc_node, "drained_by", C_STR, drained_by),
		COL(dc_node, "health_detail", C_STR, health_detail),
		COL(dc_node, "rack_id", C_I64, rack_id),
		COL(dc_node, "partition_id", C_I64, partition_id),
		COL(dc_node, "slot", C_INT, slot), COL(dc_node, "gpu_count", C_INT, gpu_count),
		COL(dc_node, "power_w", C_INT, power_w),
		COL(dc_node, "sched_state", C_SCHED, sched),
		COL(dc_node, "admin_state", C_ADMIN, admin),
		COL(dc_node, "health", C_HEALTH, health),
		COL(dc_node, "drained_at", C_TIME, drained_at),
		COL(dc_node, "resume_after", C_TIME, resume_after),
		COL(dc_node, "last_seen", C_TIME, last_seen),
		COL(dc_node, "admin_version", C_I64, admin_version),
		COL(dc_node, "admin_changed_by", C_STR, admin_changed_by),
		COL(dc_node, "admin_changed_at", C_TIME, admin_changed_at)), "" },
	[DC_T_GPU] = { "gpu", sizeof(struct dc_gpu), COLS(
		COL(dc_gpu, "id", C_I64, id), { "version", C_VERSION, NO_FIELD },
		COL(dc_gpu, "node_id", C_I64, node_id), COL(dc_gpu, "job_id", C_I64, job_id),
		COL(dc_gpu, "idx", C_I16, idx), COL(dc_gpu, "util_pct", C_I16, util_pct),
		COL(dc_gpu, "mem_used_mib", C_INT, mem_used_mib),
		COL(dc_gpu, "mem_total_mib", C_INT, mem_total_mib),
		COL(dc_gpu, "temp_c", C_I16, temp_c), COL(dc_gpu, "power_w", C_INT, power_w),
		COL(dc_gpu, "ecc_sbe", C_INT, ecc_sbe), COL(dc_gpu, "ecc_dbe", C_INT, ecc_dbe),
		COL(dc_gpu, "last_xid_at", C_TIME, last_xid_at),
		COL(dc_gpu, "last_xid", C_INT, last_xid),
		COL(dc_gpu, "remap_pending", C_BOOL, remap_pending),
		COL(dc_gpu, "metrics_stale", C_BOOL, metrics_stale)), "" },
	[DC_T_TENANT] = { "tenant", sizeof(struct dc_tenant), COLS(
		COL(dc_tenant, "id", C_I64, id), COL(dc_tenant, "version", C_VERSION, version),
		COL(dc_tenant, "name", C_STR, name), COL(dc_tenant, "name_en", C_STR, name_en),
		COL(dc_tenant, "kind", C_STR, kind)), "" },
	[DC_T_PROJECT] = { "project", sizeof(struct dc_project), COLS(
		COL(dc_project, "id", C_I64, id), COL(dc_project, "version", C_VERSION, version),
		COL(dc_project, "tenant_id", C_I64, tenant_id),
		COL(dc_project, "name", C_STR, name), COL(dc_project, "programme", C_STR, programme),
		COL(dc_project, "term_start", C_TIME, term_start),
		COL(dc_project, "term_end", C_TIME, term_end)), "" },
	[DC_T_QUOTA] = { "quota", sizeof(struct dc_quota), COLS(
		COL(dc_quota, "id", C_I64, id), COL(dc_quota, "version", C_VERSION, version),
		COL(dc_quota, "tenant_id", C_I64, tenant_id),
		COL(dc_quota, "gpu_limit", C_INT, gpu_limit),
		COL(dc_quota, "gpu_hours_budget", C_DBL, gpu_hours_budget),
		COL(dc_quota, "gpu_hours_used", C_DBL, gpu_hours_used),
		COL(dc_quota, "storage_tb", C_DBL, storage_tb),
		COL(dc_quota, "storage_used_tb", C_DBL, storage_used_tb),
		COL(dc_quota, "term_start", C_TIME, term_start),
		COL(dc_quota, "term_end", C_TIME, term_end),
		COL(dc_quota, "expires_at", C_TIME, expires_at),
		COL(dc_quota, "limits_version", C_I64, limits_version),
		COL(dc_quota, "limits_changed_by", C_STR, limits_changed_by),
		COL(dc_quota, "limits_changed_at", C_TIME, limits_changed_at),
		COL(dc_quota, "burn_gpu_h_day", C_DBL, burn_gpu_h_day),
		COL(dc_quota, "burn_since", C_TIME, burn_since),
		COL(dc_quota, QUOTA_BEFORE("gpu_limit", "int"), C_INT, prev_gpu_limit),
		COL(dc_quota, QUOTA_BEFORE("gpu_hours_budget", "float8"), C_DBL, prev_gpu_hours_budget),
		COL(dc_quota, QUOTA_BEFORE("storage_tb", "float8"), C_DBL, prev_storage_tb)), "" },
	[DC_T_JOB] = { "job", sizeof(struct dc_job), COLS(
		COL(dc_job, "id", C_I64, id), COL(dc_job, "version", C_VERSION, version),
		COL(dc_job, "tenant_id", C_I64, tenant_id),
		COL(dc_job, "partition_id", C_I64, partition_id),
		COL(dc_job, "user_name", C_STR, user_name), COL(dc_job, "name", C_STR, name),
		COL(dc_job, "node_list", C_STR, node_list), COL(dc_job, "reason", C_STR, reason),
		COL(dc_job, "explain", C_STR, explain),
		COL(dc_job, "gpus", C_INT, gpus), COL(dc_job, "nodes", C_INT, nodes),
		COL(dc_job, "state", C_JOB, state), COL(dc_job, "submit_at", C_TIME, submit_at),
		COL(dc_job, "start_at", C_TIME, start_at), COL(dc_job, "end_at", C_TIME, end_at),
		COL(dc_job, "extract(epoch FROM time_limit)::bigint", C_I64, time_limit_s),
		COL(dc_job, "priority", C_I64, priority)),
		" WHERE state IN ('pending', 'running') OR id IN (SELECT id FROM dcops.job"
		" WHERE end_at > now() - make_interval(secs => " SQL_XSTR(SQL_JOB_KEEP_S) ")"
		" AND state NOT IN ('pending', 'running')"
		" ORDER BY end_at DESC, id DESC LIMIT " SQL_XSTR(SQL_JOB_ENDED_MAX) ")" },
	[DC_T_INCIDENT] = { "incident", sizeof(struct dc_incident), COLS(
		COL(dc_incident, "id", C_I64, id), COL(dc_incident, "version", C_VERSION, version),
		COL(dc_incident, "drill_id", C_I64, drill_id), COL(dc_incident, "sev", C_INT, sev),
		COL(dc_incident, "state", C_INC, state), COL(dc_incident, "title", C_STR, title),
		COL(dc_incident, "impact", C_STR, impact),
		COL(dc_incident, "jobs_killed", C_INT, jobs_killed),
		COL(dc_incident, "tenants_hit", C_INT, tenants_hit),
		COL(dc_incident, "gpus_killed", C_INT, gpus_killed),
		COL(dc_incident, "largest_job_gpus", C_INT, largest_job_gpus),
		COL(dc_incident, "gpus_out", C_INT, gpus_out),
		COL(dc_incident, "summary", C_STR, summary),
		COL(dc_incident, "source", C_STR, source), COL(dc_incident, "owner", C_STR, owner),
		COL(dc_incident, "opened_at", C_TIME, opened_at),
		COL(dc_incident, "acknowledged_at", C_TIME, acknowledged_at),
		COL(dc_incident, "resolved_at", C_TIME, resolved_at),
		COL(dc_incident, "next_update_at", C_TIME, next_update_at),
		COL(dc_incident, "op_version", C_I64, op_version),
		COL(dc_incident, "op_changed_by", C_STR, op_changed_by),
		COL(dc_incident, "op_changed_at", C_TIME, op_changed_at),
		COL(dc_incident, INCIDENT_LINKS("node", "node", " "), C_STR, nodes),
		COL(dc_incident, INCIDENT_LINKS("tenant", "tenant", " · "), C_STR, tenants),
		COL(dc_incident, "(SELECT coalesce(string_agg(format('%s:%s:%s', l.job_id, l.tenant_id, l.gpus), "
		    "' ' ORDER BY l.job_id), '') FROM dcops.incident_job l WHERE l.incident_id = incident.id)",
		    C_STR, jobs),
		COL(dc_incident, "array_to_string(proposed_drain, ' ')", C_STR, proposed_drain),
		COL(dc_incident, "proposed_reason", C_STR, proposed_reason),
		COL(dc_incident, "proposed_policy", C_STR, proposed_policy),
		COL(dc_incident, "remedy_note", C_STR, remedy_note)), "",
		/* links and timeline entries do not touch the incident row: follow
		 * them. = ANY (ARRAY(..)) rather than IN (..): an index condition,
		 * so the cached delta plan stays an index scan (IN made it a
		 * sequential scan running the subquery per incident) */
		" OR id = ANY (ARRAY(SELECT incident_id FROM dcops.incident_event"
		" WHERE version > $1::bigint OR txid >= $2::xid8))",
		DC_MASK(DC_T_INCIDENT_EVENT) },
	[DC_T_INCIDENT_EVENT] = { "incident_event", sizeof(struct dc_incident_event), COLS(
		COL(dc_incident_event, "id", C_I64, id),
		COL(dc_incident_event, "version", C_VERSION, version),
		COL(dc_incident_event, "incident_id", C_I64, incident_id),
		COL(dc_incident_event, "ts", C_TIME, ts),
		COL(dc_incident_event, "actor", C_STR, actor),
		COL(dc_incident_event, "kind", C_STR, kind),
		COL(dc_incident_event, "body", C_STR, body)), "" },
	[DC_T_ACTION] = { "actions", sizeof(struct dc_action), COLS(
		COL(dc_action, "id", C_I64, id), COL(dc_action, "version", C_VERSION, version),
		COL(dc_action, "incident_id", C_I64, incident_id),
		COL(dc_action, "kind", C_STR, kind), COL(dc_action, "target", C_STR, target),
		COL(dc_action, "params", C_STR, params), COL(dc_action, "reason", C_STR, reason),
		COL(dc_action, "requested_by", C_STR, requested_by),
		COL(dc_action, "error", C_STR, error), COL(dc_action, "status", C_ACT, status),
		COL(dc_action, "requested_at", C_TIME, requested_at),
		COL(dc_action, "applied_at", C_TIME, applied_at)), "" },
	[DC_T_AUDIT] = { "audit", sizeof(struct dc_audit), COLS(
		COL(dc_audit, "id", C_I64, id), COL(dc_audit, "version", C_VERSION, version),
		COL(dc_audit, "ts", C_TIME, ts), COL(dc_audit, "incident_id", C_I64, incident_id),
		COL(dc_audit, "actor", C_STR, actor), COL(dc_audit, "action", C_STR, action),
		COL(dc_audit, "target", C_STR, target), COL(dc_audit, "before", C_STR, before),
		COL(dc_audit, "after", C_STR, after), COL(dc_audit, "reason", C_STR, reason)),
		" ORDER BY id DESC LIMIT " SQL_XSTR(SQL_AUDIT_LOAD) },
	[DC_T_SETTING] = { "setting", sizeof(struct dc_setting), COLS(
		COL(dc_setting, "version", C_VERSION, version), COL(dc_setting, "key", C_STR, key),
		COL(dc_setting, "value", C_STR, value)), "" },
	[DC_T_SHIFT] = { "shift", sizeof(struct dc_shift), COLS(
		COL(dc_shift, "id", C_I64, id), COL(dc_shift, "version", C_VERSION, version),
		COL(dc_shift, "operator", C_STR, operator_),
		COL(dc_shift, "started_at", C_TIME, started_at),
		COL(dc_shift, "ended_at", C_TIME, ended_at),
		COL(dc_shift, "window_from", C_TIME, window_from)), "" },
	[DC_T_HANDOVER_NOTE] = { "handover_note", sizeof(struct dc_handover_note), COLS(
		COL(dc_handover_note, "id", C_I64, id), COL(dc_handover_note, "version", C_VERSION, version),
		COL(dc_handover_note, "shift_id", C_I64, shift_id),
		COL(dc_handover_note, "author", C_STR, author),
		COL(dc_handover_note, "body", C_STR, body),
		COL(dc_handover_note, "signed_off_by", C_STR, signed_off_by),
		COL(dc_handover_note, "created_at", C_TIME, created_at),
		COL(dc_handover_note, "updated_at", C_TIME, updated_at),
		COL(dc_handover_note, "signed_off_at", C_TIME, signed_off_at)), "" },
	[DC_T_DRILL_RUN] = { "drill_run", sizeof(struct dc_drill_run), COLS(
		COL(dc_drill_run, "id", C_I64, id), COL(dc_drill_run, "version", C_VERSION, version),
		COL(dc_drill_run, "seed", C_I64, seed),
		COL(dc_drill_run, "scenario", C_STR, scenario), COL(dc_drill_run, "title", C_STR, title),
		COL(dc_drill_run, "status", C_STR, status),
		COL(dc_drill_run, "started_by", C_STR, started_by),
		COL(dc_drill_run, "ended_by", C_STR, ended_by),
		COL(dc_drill_run, "spec", C_STR, spec),
		COL(dc_drill_run, "scorecard", C_STR, scorecard),
		COL(dc_drill_run, "speed", C_DBL, speed),
		COL(dc_drill_run, "started_at", C_TIME, started_at),
		COL(dc_drill_run, "ended_at", C_TIME, ended_at)), "" },
};
#undef COL
#undef COLS

/* Enum columns are decoded through an int. */
_Static_assert(sizeof(enum dc_sched) == sizeof(int) && sizeof(enum dc_job_state) == sizeof(int),
               "enum columns are stored as int");

const char sql_begin[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
const char sql_commit[] = "COMMIT";
/* The fourth column of both: on a primary, its WAL insert position as the
 * read's snapshot is taken (every commit the read sees lies before it);
 * "" on a standby. */
#define SQL_WAL_AT_SNAPSHOT " CASE WHEN pg_is_in_recovery() THEN '' ELSE pg_current_wal_insert_lsn()::text END"
const char sql_xmin_query[] =
	"SELECT pg_snapshot_xmin(pg_current_snapshot())::text,"
	" set_config('enable_sort', 'off', true),"
	" set_config('max_parallel_workers_per_gather', '0', true),"
	SQL_WAL_AT_SNAPSHOT;
const char sql_listen[] = "LISTEN dcops_changes";
const char sql_delta_xmin_query[] =
	"SELECT pg_snapshot_xmin(pg_current_snapshot())::text,"
	" set_config('plan_cache_mode', 'force_generic_plan', true),"
	" set_config('enable_seqscan', 'off', true),"
	SQL_WAL_AT_SNAPSHOT;
#undef SQL_WAL_AT_SNAPSHOT

const char sql_session_query[] =
	"SELECT set_config('TimeZone', 'UTC', false),"
	" set_config('search_path', 'pg_catalog, dcops', false),"
	" set_config('statement_timeout', $1, false),"
	" set_config('lock_timeout', $2, false),"
	" set_config('idle_in_transaction_session_timeout', $3, false),"
	" set_config('default_transaction_read_only', $4, false),"
	" session_user::text,"
	" coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false),"
	" EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'dcops_admin'"
	"   AND pg_has_role(session_user, r.oid, 'MEMBER')),"
	" EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'dcops_operator'"
	"   AND pg_has_role(session_user, r.oid, 'MEMBER')),"
	" EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'dcops_viewer'"
	"   AND pg_has_role(session_user, r.oid, 'MEMBER')),"
	" pg_is_in_recovery(),"
	" (SELECT oid FROM pg_database WHERE datname = current_database())::bigint,"
	" pg_postmaster_start_time()::text";

const char sql_caught_up_query[] = "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)";

const char sql_replay_query[] =
	"SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, ''),"
	" CASE WHEN NOT pg_is_in_recovery()"
	"        OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0"
	"      ELSE greatest(0, coalesce(extract(epoch FROM clock_timestamp()"
	"                                        - pg_last_xact_replay_timestamp()), 0)) END::float8";

const char *sql_table_name(enum dc_table t)
{
	return tables[t].name;
}

unsigned sql_delta_tables(unsigned changed)
{
	unsigned read = changed;
	for (int t = 0; t < DC_T_COUNT; t++)
		if (tables[t].follows & changed)
			read |= DC_MASK(t);
	return read;
}

int sql_table_parse(const char *name)
{
	for (int t = 0; t < DC_T_COUNT; t++)
		if (name && strcmp(tables[t].name, name) == 0)
			return t;
	return -1;
}

static void col_expr(struct sb *sb, const struct col *c)
{
	switch (c->type) {
	case C_TIME:
		sb_appendf(sb, "extract(epoch from %s)::bigint", c->name);
		break;
	case C_DBL:
		sb_appendf(sb, "%s::float8", c->name);
		break;
	case C_VERSION:
	case C_I64:
	case C_INT:
	case C_BOOL:
		sb_append(sb, c->name);
		break;
	default:
		sb_appendf(sb, "%s::text", c->name);
		break;
	}
}

static void select_list(struct sb *sb, const struct table_sql *d)
{
	sb_append(sb, "SELECT ");
	for (size_t i = 0; i < d->ncols; i++) {
		if (i)
			sb_append(sb, ", ");
		col_expr(sb, &d->cols[i]);
	}
	sb_appendf(sb, " FROM dcops.%s", d->name);
}

/* The full load's GPU rows in node order, each node's rows together (what
 * a first load needs to apply them in whole node groups: sql.h), from the
 * node that sorts first by name: the nodes view sorts by name, and node
 * ids mostly follow names within a batch of nodes (in the seed's fleet
 * gj-a100-001 is id 9,494), so the top of the screen fills first. Two
 * range scans of the (node_id, idx) index, one after the other (UNION
 * ALL runs its branches in turn), no sort: 48 ms on the server for
 * 189,000 rows against 38 ms for the unordered scan, where ordering by
 * the node's name (a join) took 173 ms. The ORDER BY names the table's
 * columns: a bare "idx" is the select list's idx::text, and sorting by
 * that text added an incremental sort (~90 ms of server CPU a load). */
#define GPU_FROM_FIRST "(SELECT id FROM dcops.node ORDER BY name LIMIT 1)"

static void gpu_full(struct sb *sb, const struct table_sql *d)
{
	sb_append(sb, "(");
	select_list(sb, d);
	sb_append(sb, " WHERE node_id >= " GPU_FROM_FIRST " ORDER BY gpu.node_id, gpu.idx) UNION ALL (");
	select_list(sb, d);
	sb_append(sb, " WHERE node_id < " GPU_FROM_FIRST " ORDER BY gpu.node_id, gpu.idx)");
}

static char *query_build(enum dc_table t, bool full)
{
	const struct table_sql *d = &tables[t];
	struct sb sb = { 0 };
	if (full && t == DC_T_GPU) {
		gpu_full(&sb, d);
		return sb_take(&sb);
	}
	select_list(&sb, d);
	sb_append(&sb, full ? d->full_tail : " WHERE version > $1::bigint OR txid >= $2::xid8");
	if (!full && d->delta_more)
		sb_append(&sb, d->delta_more);
	return sb_take(&sb);
}

const char *sql_read_query(enum dc_table t, bool full)
{
	static char *cache[DC_T_COUNT][2];
	char **q = &cache[t][full];
	if (!*q)
		*q = query_build(t, full);
	return *q;
}

const char *sql_tombstone_query(bool full)
{
	return full ? "SELECT NULL::text, NULL::bigint, coalesce(max(version), 0) FROM dcops.tombstone"
	            : "SELECT tbl, row_id, version FROM dcops.tombstone"
	              " WHERE (version > $1::bigint OR txid >= $2::xid8) AND tbl = ANY ($3::text[])";
}

/* A decimal integer as the server writes one (optional '-', digits),
 * saturating; anything after the digits is ignored. strtoll's locale and
 * base handling cost a tenth of a delta read at 25,000 nodes. */
static int64_t dec_i64(const char *v)
{
	bool neg = *v == '-';
	v += neg;
	uint64_t x = 0;
	for (; *v >= '0' && *v <= '9'; v++) {
		unsigned d = (unsigned)(*v - '0');
		if (x > (UINT64_MAX - d) / 10) {
			x = UINT64_MAX;
			break;
		}
		x = x * 10 + d;
	}
	if (neg)
		return x > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)x;
	return x > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)x;
}

static int64_t val_i64(const PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? 0 : dec_i64(PQgetvalue(r, i, c));
}

/* An integer column into a narrower field: out-of-range values saturate. */
static long long clamp_ll(const char *v, long long lo, long long hi)
{
	long long x = v ? dec_i64(v) : 0;
	return x < lo ? lo : x > hi ? hi : x;
}

static void col_decode(const struct col *c, const PGresult *r, int i, int ci, char *row)
{
	const char *v = PQgetisnull(r, i, ci) ? NULL : PQgetvalue(r, i, ci);
	void *dst = row + c->off;
	switch (c->type) {
	case C_VERSION:
		break; /* sql_decode_row's */
	case C_I64:
	case C_TIME: {
		int64_t x = v ? dec_i64(v) : 0;
		memcpy(dst, &x, sizeof x);
		break;
	}
	case C_INT: {
		int x = (int)clamp_ll(v, INT_MIN, INT_MAX);
		memcpy(dst, &x, sizeof x);
		break;
	}
	case C_I16: {
		int16_t x = (int16_t)clamp_ll(v, INT16_MIN, INT16_MAX);
		memcpy(dst, &x, sizeof x);
		break;
	}
	case C_DBL: {
		double x = v ? strtod(v, NULL) : 0;
		memcpy(dst, &x, sizeof x);
		break;
	}
	case C_BOOL: {
		bool x = v && v[0] == 't';
		memcpy(dst, &x, sizeof x);
		break;
	}
	case C_STR: { /* borrowed from the result: model_row_pack copies it */
		const char *x = v ? v : "";
		memcpy(dst, &x, sizeof x);
		break;
	}
	default: {
		/* every enum in model.h has int size; the column type picks the parser */
		int x = v ? enum_cols[c->type].parse(v) : -1;
		if (x < 0)
			x = enum_cols[c->type].fallback;
		memcpy(dst, &x, sizeof x);
		break;
	}
	}
}

void *sql_decode_row(enum dc_table t, const PGresult *r, int i, int64_t *version)
{
	const struct table_sql *d = &tables[t];
	/* a template on the stack whose strings point into r, then one block */
	_Alignas(max_align_t) char tmpl[SQL_MAX_ROW];
	if (d->size > sizeof tmpl)
		abort(); /* a model row outgrew SQL_MAX_ROW */
	memset(tmpl, 0, d->size);
	for (size_t c = 0; c < d->ncols; c++) {
		const struct col *col = &d->cols[c];
		if (col->type != C_VERSION) {
			col_decode(col, r, i, (int)c, tmpl);
			continue;
		}
		int64_t v = val_i64(r, i, (int)c);
		if (col->off != NO_FIELD)
			memcpy(tmpl + col->off, &v, sizeof v);
		if (version)
			*version = v;
	}
	return model_row_pack(t, tmpl);
}

void sql_decode_tombstone(const PGresult *r, int i, struct sql_tombstone *out)
{
	out->table = PQgetisnull(r, i, 0) ? -1 : sql_table_parse(PQgetvalue(r, i, 0));
	out->id = val_i64(r, i, 1);
	out->version = val_i64(r, i, 2);
}

static bool val_bool(const PGresult *r, int c)
{
	return !PQgetisnull(r, 0, c) && PQgetvalue(r, 0, c)[0] == 't';
}

int sql_decode_session(const PGresult *r, struct sql_session *out)
{
	if (PQntuples(r) != 1 || PQnfields(r) != 14)
		return -1;
	memset(out, 0, sizeof *out);
	snprintf(out->user, sizeof out->user, "%s", PQgetvalue(r, 0, 6));
	out->superuser = val_bool(r, 7);
	out->admin = val_bool(r, 8);
	out->operator_ = val_bool(r, 9);
	out->viewer = val_bool(r, 10);
	out->in_recovery = val_bool(r, 11);
	out->db_oid = val_i64(r, 0, 12);
	snprintf(out->server_start, sizeof out->server_start, "%s", PQgetvalue(r, 0, 13));
	return 0;
}

int sql_decode_replay(const PGresult *r, struct sql_replay *out)
{
	if (PQntuples(r) != 1 || PQnfields(r) != 3)
		return -1;
	memset(out, 0, sizeof *out);
	out->in_recovery = val_bool(r, 0);
	snprintf(out->lsn, sizeof out->lsn, "%s", PQgetvalue(r, 0, 1));
	out->lag_s = atof(PQgetvalue(r, 0, 2));
	return 0;
}
