/* status.c — `dcops status [--json]`: the site's headline counts.
 *
 * The JSON shape is stable; scripts and tests rely on it. Keys are always
 * present (zeros on an empty database); new keys may be added, none renamed:
 *
 * {
 *   "site": "Gwangju National AI Data Center",    "" when unset
 *   "environment": "demo",                        "" when unset
 *   "as_of": "2026-01-05T09:00:00Z",              server time, UTC
 *   "nodes": {
 *     "total": 290,
 *     "idle": 12, "mixed": 40, "allocated": 230, "down": 3, "unknown": 5,
 *     "draining": 2, "drained": 1,
 *     "health_warn": 4, "health_fail": 1
 *   },
 *   "partitions": [                               sorted by name
 *     { "name": "a100", "gpu_model": "A100", "nodes": 100, "accelerators": 796 }
 *   ],
 *   "accelerators": { "total": 2188, "in_use": 1900,
 *                     "free": 47, "out_of_service": 241 },   free: not held, on
 *                                                 nodes the scheduler can place on
 *                                                 (dc_node_schedulable); the rest
 *                                                 not held is out_of_service
 *   "tenants": 200,
 *   "jobs": { "running": 412, "pending": 57,
 *             "gpus_running": 1900, "gpus_pending": 230 },
 *   "incidents": { "open": 3, "sev1": 0, "sev2": 1, "sev3": 2, "sev4": 0, "sev5": 0 },
 *   "newest_report_age_s": 4.2,                   null when no node exists
 *   "database": { "server": "db2:5432",           the server that answered:
 *                 "name": "dcops",                "host:port" or "socket DIR/.s.PGSQL.P"
 *                 "ssh": { "bastion": "kim@bastion:22",   only through --ssh; server
 *                          "db": "10.0.0.5:5432" },  is then the tunnel's local end
 *                 "standby": false, "replay_lag_s": 0 }
 * }
 */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "db.h"
#include "sql.h"
#include "text.h"

static const char status_summary_sql[] =
	"SELECT coalesce((SELECT value FROM dcops.setting WHERE key = 'site.name'),"
	"                (SELECT name FROM dcops.site ORDER BY id LIMIT 1), ''),"
	"       coalesce((SELECT value FROM dcops.setting"
	"                 WHERE key IN ('environment', 'site.environment') ORDER BY key LIMIT 1), ''),"
	"       n.total, n.idle, n.mixed, n.allocated, n.down, n.unknown,"
	"       n.draining, n.drained, n.warn, n.fail, n.accel,"
	"       (SELECT count(*) FROM dcops.gpu WHERE job_id IS NOT NULL), f.free, f.out,"
	"       (SELECT count(*) FROM dcops.tenant),"
	"       j.running, j.pending, j.gpus_running, j.gpus_pending,"
	"       i.open, i.s1, i.s2, i.s3, i.s4, i.s5,"
	"       CASE WHEN n.newest IS NOT NULL"
	"            THEN greatest(extract(epoch FROM now() - n.newest), 0) END,"
	"       to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	"  FROM (SELECT count(*) AS total,"
	"               count(*) FILTER (WHERE sched_state = 'idle') AS idle,"
	"               count(*) FILTER (WHERE sched_state = 'mixed') AS mixed,"
	"               count(*) FILTER (WHERE sched_state = 'allocated') AS allocated,"
	"               count(*) FILTER (WHERE sched_state = 'down') AS down,"
	"               count(*) FILTER (WHERE sched_state = 'unknown') AS unknown,"
	"               count(*) FILTER (WHERE admin_state = 'draining') AS draining,"
	"               count(*) FILTER (WHERE admin_state = 'drained') AS drained,"
	"               count(*) FILTER (WHERE health = 'warn') AS warn,"
	"               count(*) FILTER (WHERE health = 'fail') AS fail,"
	"               coalesce(sum(gpu_count), 0) AS accel,"
	"               max(last_seen) AS newest"
	"          FROM dcops.node) n,"
	"       (SELECT coalesce(sum(n.gpu_count - coalesce(u.used, 0)) FILTER (WHERE n.ok), 0) AS free,"
	"               coalesce(sum(n.gpu_count - coalesce(u.used, 0)) FILTER (WHERE NOT n.ok), 0) AS out"
	"          FROM (SELECT id, gpu_count, admin_state = 'active' AND health <> 'fail'"
	"                       AND sched_state IN ('idle', 'mixed', 'allocated') AS ok FROM dcops.node) n"
	"          LEFT JOIN (SELECT node_id, count(*) AS used FROM dcops.gpu WHERE job_id IS NOT NULL"
	"                      GROUP BY node_id) u ON u.node_id = n.id) f,"
	"       (SELECT count(*) FILTER (WHERE state = 'running') AS running,"
	"               count(*) FILTER (WHERE state = 'pending') AS pending,"
	"               coalesce(sum(gpus) FILTER (WHERE state = 'running'), 0) AS gpus_running,"
	"               coalesce(sum(gpus) FILTER (WHERE state = 'pending'), 0) AS gpus_pending"
	"          FROM dcops.job WHERE state IN ('pending', 'running')) j,"
	"       (SELECT count(*) AS open,"
	"               count(*) FILTER (WHERE sev = 1) AS s1, count(*) FILTER (WHERE sev = 2) AS s2,"
	"               count(*) FILTER (WHERE sev = 3) AS s3, count(*) FILTER (WHERE sev = 4) AS s4,"
	"               count(*) FILTER (WHERE sev = 5) AS s5"
	"          FROM dcops.incident WHERE state <> 'resolved') i";

static const char status_partitions_sql[] =
	"SELECT p.name, p.gpu_model, count(n.id), coalesce(sum(n.gpu_count), 0)"
	"  FROM dcops.partition p LEFT JOIN dcops.node n ON n.partition_id = p.id"
	" GROUP BY p.id ORDER BY p.name";

static long long col_ll(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void summary_decode(const PGresult *r, struct status *st)
{
	int k = 0;
	st->site = xstrdup(PQgetvalue(r, 0, k++));
	st->environment = xstrdup(PQgetvalue(r, 0, k++));
	long long *const counts[] = {
		&st->nodes, &st->idle, &st->mixed, &st->allocated, &st->down, &st->unknown,
		&st->draining, &st->drained, &st->health_warn, &st->health_fail, &st->accelerators,
		&st->accel_in_use, &st->accel_free, &st->accel_out, &st->tenants,
		&st->jobs_running, &st->jobs_pending, &st->gpus_running, &st->gpus_pending,
		&st->incidents_open, &st->incidents_by_sev[0], &st->incidents_by_sev[1],
		&st->incidents_by_sev[2], &st->incidents_by_sev[3], &st->incidents_by_sev[4],
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(counts); i++)
		*counts[i] = col_ll(r, 0, k++);
	st->has_report = !PQgetisnull(r, 0, k);
	st->report_age_s = st->has_report ? strtod(PQgetvalue(r, 0, k), NULL) : 0;
	k++;
	st->as_of = xstrdup(PQgetvalue(r, 0, k));
}

static void partitions_decode(const PGresult *r, struct status *st)
{
	st->npartitions = (size_t)PQntuples(r);
	st->partitions = xcalloc(st->npartitions, sizeof *st->partitions);
	for (size_t i = 0; i < st->npartitions; i++) {
		struct status_partition *p = &st->partitions[i];
		p->name = xstrdup(PQgetvalue(r, (int)i, 0));
		p->gpu_model = xstrdup(PQgetvalue(r, (int)i, 1));
		p->nodes = col_ll(r, (int)i, 2);
		p->accelerators = col_ll(r, (int)i, 3);
	}
}

int status_load(PGconn *c, struct status *st, struct dc_err *err)
{
	*st = (struct status){0};
	PGresult *r = db_exec(c, err, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
	if (!r)
		return -1;
	PQclear(r);
	r = db_exec(c, err, status_summary_sql, 0, NULL);
	if (r)
		summary_decode(r, st);
	PQclear(r);
	PGresult *p = r ? db_exec(c, err, status_partitions_sql, 0, NULL) : NULL;
	if (p)
		partitions_decode(p, st);
	PQclear(p);
	PQclear(PQexec(c, p ? "COMMIT" : "ROLLBACK"));
	struct sql_replay rp = {0};
	PGresult *q = p ? db_exec(c, err, sql_replay_query, 0, NULL) : NULL;
	bool ok = q && sql_decode_replay(q, &rp) == 0;
	if (q && !ok)
		dc_err_set(err, "unexpected answer to the replay query");
	PQclear(q);
	if (!ok) {
		status_free(st);
		return -1;
	}
	db_server_name(c, st->server, sizeof st->server);
	snprintf(st->database, sizeof st->database, "%s", PQdb(c) ? PQdb(c) : "");
	st->standby = rp.in_recovery;
	st->replay_lag_s = rp.lag_s;
	return 0;
}

void status_free(struct status *st)
{
	for (size_t i = 0; i < st->npartitions; i++) {
		free(st->partitions[i].name);
		free(st->partitions[i].gpu_model);
	}
	free(st->partitions);
	free(st->site);
	free(st->environment);
	free(st->as_of);
	*st = (struct status){0};
}

cJSON *status_json(const struct status *st)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "site", st->site ? st->site : "");
	cJSON_AddStringToObject(root, "environment", st->environment ? st->environment : "");
	cJSON_AddStringToObject(root, "as_of", st->as_of ? st->as_of : "");

	cJSON *n = cJSON_AddObjectToObject(root, "nodes");
	cJSON_AddNumberToObject(n, "total", (double)st->nodes);
	cJSON_AddNumberToObject(n, "idle", (double)st->idle);
	cJSON_AddNumberToObject(n, "mixed", (double)st->mixed);
	cJSON_AddNumberToObject(n, "allocated", (double)st->allocated);
	cJSON_AddNumberToObject(n, "down", (double)st->down);
	cJSON_AddNumberToObject(n, "unknown", (double)st->unknown);
	cJSON_AddNumberToObject(n, "draining", (double)st->draining);
	cJSON_AddNumberToObject(n, "drained", (double)st->drained);
	cJSON_AddNumberToObject(n, "health_warn", (double)st->health_warn);
	cJSON_AddNumberToObject(n, "health_fail", (double)st->health_fail);

	cJSON *parts = cJSON_AddArrayToObject(root, "partitions");
	for (size_t i = 0; i < st->npartitions; i++) {
		const struct status_partition *p = &st->partitions[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "gpu_model", p->gpu_model);
		cJSON_AddNumberToObject(o, "nodes", (double)p->nodes);
		cJSON_AddNumberToObject(o, "accelerators", (double)p->accelerators);
		cJSON_AddItemToArray(parts, o);
	}

	cJSON *a = cJSON_AddObjectToObject(root, "accelerators");
	cJSON_AddNumberToObject(a, "total", (double)st->accelerators);
	cJSON_AddNumberToObject(a, "in_use", (double)st->accel_in_use);
	cJSON_AddNumberToObject(a, "free", (double)st->accel_free);
	cJSON_AddNumberToObject(a, "out_of_service", (double)st->accel_out);
	cJSON_AddNumberToObject(root, "tenants", (double)st->tenants);

	cJSON *j = cJSON_AddObjectToObject(root, "jobs");
	cJSON_AddNumberToObject(j, "running", (double)st->jobs_running);
	cJSON_AddNumberToObject(j, "pending", (double)st->jobs_pending);
	cJSON_AddNumberToObject(j, "gpus_running", (double)st->gpus_running);
	cJSON_AddNumberToObject(j, "gpus_pending", (double)st->gpus_pending);

	cJSON *inc = cJSON_AddObjectToObject(root, "incidents");
	cJSON_AddNumberToObject(inc, "open", (double)st->incidents_open);
	static const char *const sev_keys[] = { "sev1", "sev2", "sev3", "sev4", "sev5" };
	for (size_t s = 0; s < DC_ARRAY_LEN(sev_keys); s++)
		cJSON_AddNumberToObject(inc, sev_keys[s], (double)st->incidents_by_sev[s]);

	if (st->has_report)
		cJSON_AddNumberToObject(root, "newest_report_age_s",
		                        (double)(long long)(st->report_age_s * 10.0 + 0.5) / 10.0);
	else
		cJSON_AddNullToObject(root, "newest_report_age_s");
	cJSON *db = cJSON_AddObjectToObject(root, "database");
	cJSON_AddStringToObject(db, "server", st->server);
	cJSON_AddStringToObject(db, "name", st->database);
	if (st->via_ssh[0]) {
		cJSON *ssh = cJSON_AddObjectToObject(db, "ssh");
		cJSON_AddStringToObject(ssh, "bastion", st->via_ssh);
		cJSON_AddStringToObject(ssh, "db", st->via_ssh_db);
	}
	cJSON_AddBoolToObject(db, "standby", st->standby);
	cJSON_AddNumberToObject(db, "replay_lag_s", (double)(long long)(st->replay_lag_s * 10.0 + 0.5) / 10.0);
	return root;
}

/* 2188 -> "2,188". buf must hold 32 bytes. */
static const char *num(char *buf, long long v)
{
	char digits[24];
	int n = snprintf(digits, sizeof digits, "%lld", v < 0 ? -v : v);
	size_t o = 0;
	if (v < 0)
		buf[o++] = '-';
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static void age_text(char *buf, size_t n, const struct status *st)
{
	double a = st->report_age_s;
	if (!st->has_report)
		snprintf(buf, n, "none (no nodes)");
	else if (a < 90)
		snprintf(buf, n, "%.0f s ago", a);
	else if (a < 5400)
		snprintf(buf, n, "%.0f min ago", a / 60);
	else if (a < 172800)
		snprintf(buf, n, "%.1f h ago", a / 3600);
	else
		snprintf(buf, n, "%.0f days ago", a / 86400);
}

/* s made inert (text.h) in one of the caller's buffers. */
static const char *shown(char *buf, size_t n, const char *s)
{
	text_escape_buf(s, buf, n);
	return buf;
}

static void status_print(FILE *f, const struct status *st)
{
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], age[48], t1[512], t2[512];
	fprintf(f, "site          %s", st->site[0] ? shown(t1, sizeof t1, st->site) : "(not set)");
	if (st->environment[0])
		fprintf(f, " [%s]", shown(t1, sizeof t1, st->environment));
	fprintf(f, ", as of %s\n", shown(t1, sizeof t1, st->as_of));
	fprintf(f, "nodes         %7s   idle %s, mixed %s, allocated %s, down %s, unknown %s\n",
	        num(b1, st->nodes), num(b2, st->idle), num(b3, st->mixed), num(b4, st->allocated),
	        num(b5, st->down), num(b6, st->unknown));
	fprintf(f, "                        draining %s, drained %s, health warn %s, fail %s\n",
	        num(b1, st->draining), num(b2, st->drained), num(b3, st->health_warn),
	        num(b4, st->health_fail));
	for (size_t i = 0; i < st->npartitions; i++) {
		const struct status_partition *p = &st->partitions[i];
		fprintf(f, "  %-12s%7s nodes, %s accelerators (%s)\n", shown(t1, sizeof t1, p->name),
		        num(b1, p->nodes), num(b2, p->accelerators), shown(t2, sizeof t2, p->gpu_model));
	}
	fprintf(f, "accelerators  %7s   %s in use, %s free, %s out of service\n",
	        num(b1, st->accelerators), num(b2, st->accel_in_use), num(b3, st->accel_free),
	        num(b4, st->accel_out));
	fprintf(f, "tenants       %7s\n", num(b1, st->tenants));
	fprintf(f, "jobs running  %7s   %s GPUs\n", num(b1, st->jobs_running),
	        num(b2, st->gpus_running));
	fprintf(f, "jobs pending  %7s   %s GPUs requested\n", num(b1, st->jobs_pending),
	        num(b2, st->gpus_pending));
	fprintf(f, "incidents     %7s   open: sev1 %lld, sev2 %lld, sev3 %lld, sev4 %lld, sev5 %lld\n",
	        num(b1, st->incidents_open), st->incidents_by_sev[0], st->incidents_by_sev[1],
	        st->incidents_by_sev[2], st->incidents_by_sev[3], st->incidents_by_sev[4]);
	age_text(age, sizeof age, st);
	fprintf(f, "newest report %s\n", age);
	fprintf(f, "server        %s, database %s", shown(t1, sizeof t1, st->server), shown(t2, sizeof t2, st->database));
	if (st->standby)
		fprintf(f, " (a hot standby, replay lag %.0f s)", st->replay_lag_s);
	else
		fprintf(f, " (the primary)");
	if (st->via_ssh[0])
		fprintf(f, ", through the tunnel: SSH %s to %s", shown(t1, sizeof t1, st->via_ssh),
		        shown(t2, sizeof t2, st->via_ssh_db));
	fputc('\n', f);
}

static int status_usage(void)
{
	fprintf(stderr, "dcops: usage: dcops status [--json]\n");
	return 2;
}

int status_cmd(const struct dc_opts *o, int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return status_usage();
	}
	struct dc_err err = {{0}};
	PGconn *c = db_connect(o, "dcops status", &err);
	if (!c) {
		text_putline(stderr, "dcops: status: %s", err.msg);
		return 1;
	}
	struct status st;
	int rc = status_load(c, &st, &err);
	PQfinish(c);
	if (rc == 0 && o->via_ssh) {
		snprintf(st.via_ssh, sizeof st.via_ssh, "%s", o->via_ssh);
		snprintf(st.via_ssh_db, sizeof st.via_ssh_db, "%s", o->via_ssh_db ? o->via_ssh_db : "");
	}
	if (rc != 0) {
		text_putline(stderr, "dcops: status: %s", err.msg);
		return 1;
	}
	if (json) {
		cJSON *root = status_json(&st);
		text_json_print(stdout, root);
		cJSON_Delete(root);
	} else {
		status_print(stdout, &st);
	}
	status_free(&st);
	return 0;
}
