/* sim-drill.c — a drill's injected events on the simulated fleet, inside
 * the tick's transaction. dcops.drill_sim_events() injects what is due
 * (the database opens each event's tagged incident) and hands every event
 * of the running drill over, fresh the first time. First, once per drill,
 * its premise (running_jobs) is set up: the jobs its story starts from run
 * on the nodes it names. Fresh events have their
 * one-time effect: an Xid or a leaf switch down goes through the fault
 * code of sim-faults.c; a storage degradation slows the running jobs; a
 * runaway tenant submits a burst. Cooling failures and power caps last
 * while the drill runs: their rows' GPUs are throttled after each
 * telemetry pass, and their nodes come back when the drill ends. What a
 * fresh event did is added to its incident's timeline (actor dcopsd). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "adapter/sim/sim-model.h"

/* A premise job has been running this long when the drill starts (simulated seconds). */
#define SIM_PREMISE_RAN (6 * 3600.0)
/* A burst holds its GPUs this long at this utilisation (simulated seconds, %). */
#define SIM_BURST_HOLD (24 * 3600.0)
#define SIM_BURST_UTIL_MAX 4

struct row_effect {
	int row;
	int throttle_pct;   /* cooling: GPUs run at most this share of their work; 0: none */
	int kw;             /* power cap of the row; 0: none */
};

struct sim_drill {
	long long id;              /* the drill whose effects hold; 0: none */
	struct row_effect *rows;
	int nrows;
	int *marked, nmarked;      /* nodes a lasting effect marked, restored when it ends */
};

static int param_int(const cJSON *p, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
	return cJSON_IsNumber(v) ? v->valueint : 0;
}

static const char *param_str(const cJSON *p, const char *key)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, key));
	return v ? v : "";
}

/* The event's nodes, a text[] in PostgreSQL's array syntax of plain node
 * names ({a,b}): indices into s->nodes, unknown names skipped. */
static int *event_nodes(const struct sim *s, const char *arr, int *n)
{
	char *list = xstrdup(arr + (*arr == '{'));
	size_t len = strlen(list);
	if (len && list[len - 1] == '}')
		list[len - 1] = '\0';
	int *idx = xcalloc(strlen(arr) / 2 + 2, sizeof *idx);
	*n = 0;
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int ix = sim_node_by_name(s, t);
		if (ix >= 0)
			idx[(*n)++] = ix;
	}
	free(list);
	return idx;
}

static void mark_node(struct sim *s, struct sim_node *n, const char *detail)
{
	struct sim_drill *d = s->drill;
	if (n->health < HEALTH_WARN)
		n->health = HEALTH_WARN;
	free(n->health_detail);
	n->health_detail = xstrdup(detail);
	n->dirty = true;
	d->marked = xrealloc(d->marked, (size_t)(d->nmarked + 1) * sizeof *d->marked);
	d->marked[d->nmarked++] = (int)(n - s->nodes);
}

/* The drill ended: nodes a lasting effect marked are well again. */
static void restore(struct sim *s)
{
	struct sim_drill *d = s->drill;
	for (int i = 0; i < d->nmarked; i++) {
		if (d->marked[i] >= s->nnodes)
			continue;
		struct sim_node *n = &s->nodes[d->marked[i]];
		if (n->health != HEALTH_WARN || strncmp(n->health_detail, "row ", 4) != 0)
			continue;
		n->health = HEALTH_OK;
		free(n->health_detail);
		n->health_detail = xstrdup("");
		n->dirty = true;
	}
	d->nmarked = 0;
	d->nrows = 0;
	d->id = 0;
}

static int tenant_by_name(const struct sim *s, const char *name)
{
	for (int k = 0; k < s->ntenants; k++)
		if (strcmp(s->tenants[k].name, name) == 0)
			return k;
	return -1;
}

/* A burst of whole-node jobs that hold their GPUs and barely use them. */
static void burst(struct sim *s, int ti, int gpus, struct sb *what)
{
	struct sim_tenant *t = &s->tenants[ti];
	int p = t->home >= 0 && t->home < s->nparts ? t->home : 0;
	int gpn = s->nparts && s->parts[p].gpn > 0 ? s->parts[p].gpn : 8;
	int jobs = 0;
	for (int left = gpus; left > 0; left -= gpn) {
		struct sim_job *j = xcalloc(1, sizeof *j);
		j->tenant = ti;
		j->part = p;
		j->gpus = left < gpn ? left : gpn;
		j->nnodes = 1;
		j->duration = SIM_BURST_HOLD;
		j->outcome = JOB_COMPLETED;
		j->state = JOB_PENDING;
		j->reason = "Priority";
		j->submit_wall = s->wall_now;
		j->util = dc_rng_range(&s->rng, 1, SIM_BURST_UTIL_MAX);
		j->held = xcalloc((size_t)j->gpus + 1, sizeof *j->held);
		j->is_new = true;
		t->pending++;
		sim_vec_push(&s->fresh, j);
		sim_vec_push(&s->pend, j);
		s->st.arrivals++;
		jobs++;
	}
	sb_appendf(what, "%s submitted %d job%s (%d GPUs) in partition %s", t->name, jobs, jobs == 1 ? "" : "s",
	           gpus, s->nparts ? s->parts[p].name : "?");
}

/* Jobs wait on the file system: they run slower and use their GPUs less. */
static void storage_slow(struct sim *s, int pct, struct sb *what)
{
	double stretch = pct >= 90 ? 10.0 : 100.0 / (100 - pct);
	for (size_t i = 0; i < s->run.n; i++) {
		struct sim_job *j = s->run.v[i];
		if (j->end_sim > s->sim_now)
			j->end_sim = s->sim_now + (j->end_sim - s->sim_now) * stretch;
		j->util = j->util * (100 - pct) / 100 > 1 ? j->util * (100 - pct) / 100 : 1;
	}
	sb_appendf(what, "%zu running jobs slowed by the file system (%d%% of throughput lost)", s->run.n, pct);
}

static void faults(struct sim *s, int xid, int gpu, const int *idx, int n, struct sim_fault_hit *hit,
                   struct sb *what)
{
	for (int i = 0; i < n; i++)
		sim_fault_named(s, xid, idx[i], gpu, hit);
	char *impact = sim_impact_text(hit, n, "hit");
	sb_append(what, impact);
	free(impact);
}

/* Records what a fresh event did on its incident: a timeline entry and the
 * tenants whose jobs it killed; for a fault (scope not NULL) its impact in
 * numbers and the severity they call for (dcops.incident_severity), never
 * below the one it has (a scenario's or an operator's). */
static int tell(struct sim *s, PGconn *c, const char *incident, const char *scope,
                const struct sim_fault_hit *hit, const char *what, struct dc_err *err)
{
	struct sb ids = {0};
	sb_append(&ids, "{");
	for (int i = 0; i < hit->ntenants; i++)
		sb_appendf(&ids, "%s%d", i ? "," : "", hit->tenants[i]);
	sb_append(&ids, "}");
	struct sb jobs = {0};
	sb_append(&jobs, "{");
	for (int i = 0; i < hit->njob_ids; i++)
		sb_appendf(&jobs, "%s%lld", i ? "," : "", hit->job_ids[i]);
	sb_append(&jobs, "}");
	char *body = xasprintf("dcopsd: %s", what);
	const char *p[] = { incident, ids.buf, body, jobs.buf };
	long rows = sim_write_cmd(c, err,
		"WITH t AS (INSERT INTO dcops.incident_tenant (incident_id, tenant_id) "
		"  SELECT $1::bigint, x FROM unnest($2::int[]) x ON CONFLICT DO NOTHING), "
		"j AS (SELECT dcops.incident_jobs_link($1::bigint, $4::bigint[])) "
		"INSERT INTO dcops.incident_event (incident_id, actor, kind, body) "
		"SELECT $1::bigint, 'dcopsd', 'signal', $3 FROM j", 4, p);
	sb_free(&ids);
	sb_free(&jobs);
	if (rows >= 0 && scope) {
		char n[6][24];
		snprintf(n[0], sizeof n[0], "%d", hit->jobs);
		snprintf(n[1], sizeof n[1], "%d", hit->gpus);
		snprintf(n[2], sizeof n[2], "%d", hit->largest);
		snprintf(n[3], sizeof n[3], "%d", hit->gpus_out);
		snprintf(n[4], sizeof n[4], "%.3f", sim_lost_pct(s));
		const char *q[] = { incident, scope, n[0], n[1], n[2], n[3], n[4], what };
		long up = sim_write_cmd(c, err,
			"UPDATE dcops.incident i SET jobs_killed = x.jobs, gpus_killed = x.gpus, "
			"largest_job_gpus = x.largest, gpus_out = x.gpus_out, tenants_hit = x.tenants, "
			"impact = $8, sev = least(i.sev, dcops.incident_severity($2, x.tenants, x.gpus, x.largest, "
			"$7::numeric)) "
			"FROM (SELECT i.jobs_killed + $3::int AS jobs, i.gpus_killed + $4::int AS gpus, "
			"  greatest(i.largest_job_gpus, $5::int) AS largest, i.gpus_out + $6::int AS gpus_out, "
			"  (SELECT count(*)::int FROM dcops.incident_tenant t WHERE t.incident_id = i.id) AS tenants "
			"  FROM dcops.incident i WHERE i.id = $1::bigint) x "
			"WHERE i.id = $1::bigint", 8, q);
		rows = up < 0 ? -1 : rows + up;
	}
	free(body);
	if (rows < 0)
		return -1;
	s->st.rows += rows;
	sim_log(s, "drill event applied: %s", what);
	return 0;
}

/* One event: its lasting effect is recorded; when fresh, its one-time effect. */
static int apply_event(struct sim *s, PGconn *c, PGresult *r, int i, struct dc_err *err)
{
	const char *kind = PQgetvalue(r, i, 2);
	bool fresh = PQgetvalue(r, i, 6)[0] == 't';
	cJSON *p = cJSON_Parse(PQgetvalue(r, i, 3));
	int n;
	int *idx = event_nodes(s, PQgetvalue(r, i, 4), &n);
	struct sim_drill *d = s->drill;
	bool lasting = strcmp(kind, "cooling") == 0 || strcmp(kind, "power_cap") == 0;
	if (lasting) {
		d->rows = xrealloc(d->rows, (size_t)(d->nrows + 1) * sizeof *d->rows);
		d->rows[d->nrows++] = (struct row_effect){
			.row = param_int(p, "row"),
			.throttle_pct = strcmp(kind, "cooling") == 0 ? param_int(p, "throttle_pct") : 0,
			.kw = strcmp(kind, "power_cap") == 0 ? param_int(p, "kw") : 0,
		};
	}
	int rc = 0;
	if (fresh) {
		struct sim_fault_hit hit = {0};
		struct sb what = {0};
		const char *scope = NULL;
		if (strcmp(kind, "xid") == 0) {
			scope = "node";
			faults(s, param_int(p, "xid"), param_int(p, "gpu"), idx, n, &hit, &what);
		} else if (strcmp(kind, "leaf_switch") == 0) {
			scope = "leaf";
			faults(s, 0, -1, idx, n, &hit, &what);
		} else if (strcmp(kind, "storage_degraded") == 0) {
			storage_slow(s, param_int(p, "pct"), &what);
		} else if (strcmp(kind, "runaway_tenant") == 0) {
			int ti = tenant_by_name(s, param_str(p, "tenant"));
			if (ti >= 0)
				burst(s, ti, param_int(p, "gpus"), &what);
			else
				sb_appendf(&what, "no tenant %s in the simulated fleet", param_str(p, "tenant"));
		} else {
			char detail[96];
			if (strcmp(kind, "cooling") == 0)
				snprintf(detail, sizeof detail, "row %d cooling failure: GPUs throttled to %d%%",
				         param_int(p, "row"), param_int(p, "throttle_pct"));
			else
				snprintf(detail, sizeof detail, "row %d power capped at %d kW", param_int(p, "row"),
				         param_int(p, "kw"));
			for (int k = 0; k < n; k++)
				mark_node(s, &s->nodes[idx[k]], detail);
			sb_appendf(&what, "%s (%d nodes)", detail, n);
		}
		if (!PQgetisnull(r, i, 5))
			rc = tell(s, c, PQgetvalue(r, i, 5), scope, &hit, what.buf ? what.buf : kind, err);
		s->st.faults++;
		free(hit.tenants);
		free(hit.job_ids);
		sb_free(&what);
	}
	free(idx);
	cJSON_Delete(p);
	return rc;
}

/* One premise job of the spec's running_jobs. */
static void premise_job(struct sim *s, const cJSON *job)
{
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(job, "nodes");
	int n = cJSON_GetArraySize(nodes), k = 0, ti = tenant_by_name(s, param_str(job, "tenant"));
	if (ti < 0 || n < 1) {
		sim_log(s, "drill premise: no tenant %s in the simulated fleet", param_str(job, "tenant"));
		return;
	}
	int *idx = xcalloc((size_t)n + 1, sizeof *idx);
	const cJSON *e;
	cJSON_ArrayForEach(e, nodes) {
		int ix = cJSON_IsString(e) ? sim_node_by_name(s, e->valuestring) : -1;
		if (ix >= 0)
			idx[k++] = ix;
	}
	const char *name = param_str(job, "name")[0] ? param_str(job, "name") : "drill-premise";
	int used = sim_jobs_premise(s, ti, idx, k, param_int(job, "gpus") / n, name, SIM_PREMISE_RAN);
	sim_log(s, "drill premise: %s runs %s on %d of %d nodes", s->tenants[ti].name, name, used, n);
	free(idx);
}

/* The running drill's premise, once: drill_run.premise_at marks it done
 * (for a restarted adapter too). Read before written: an UPDATE that
 * matched nothing would still wake every console. */
static int premise(struct sim *s, PGconn *c, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, "SELECT id, coalesce(spec->'running_jobs', '[]')::text FROM dcops.drill_run "
	                      "WHERE status = 'running' AND premise_at IS NULL", 0, NULL);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	cJSON *jobs = cJSON_Parse(PQgetvalue(r, 0, 1));
	const cJSON *job;
	cJSON_ArrayForEach(job, jobs)
		premise_job(s, job);
	cJSON_Delete(jobs);
	const char *p[] = { PQgetvalue(r, 0, 0) };
	long rows = sim_write_cmd(c, err, "UPDATE dcops.drill_run SET premise_at = now() WHERE id = $1::bigint", 1, p);
	PQclear(r);
	if (rows < 0)
		return -1;
	s->st.rows += rows;
	return 0;
}

int sim_drill_apply(struct sim *s, PGconn *c, struct dc_err *err)
{
	if (premise(s, c, err) < 0)
		return -1;
	if (!s->drill)
		s->drill = xcalloc(1, sizeof *s->drill);
	PGresult *r = db_exec(c, err, "SELECT drill_id, seq, kind, params::text, nodes::text, incident_id, fresh "
	                      "FROM dcops.drill_sim_events()", 0, NULL);
	if (!r)
		return -1;
	struct sim_drill *d = s->drill;
	long long id = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
	if (d->id && d->id != id)
		restore(s);
	d->id = id;
	d->nrows = 0;
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++)
		rc = apply_event(s, c, r, i, err);
	PQclear(r);
	return rc;
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Writes a GPU's throttled values when they differ from what was written. */
static void throttle_gpu(struct sim_gpu *g, int util, int temp, int power)
{
	if (g->w_util == util && g->w_temp == temp && g->w_power == power)
		return;
	g->util = g->w_util = util;
	g->temp = g->w_temp = temp;
	g->power = g->w_power = power;
	g->dirty = true;
}

static void throttle_row(struct sim *s, const struct row_effect *e)
{
	int nodes = 0;
	for (int i = 0; i < s->nnodes; i++)
		nodes += s->nodes[i].row == e->row;
	for (int i = 0; i < s->nnodes; i++) {
		const struct sim_node *n = &s->nodes[i];
		if (n->row != e->row || n->sched == SCHED_DOWN || n->ngpus == 0)
			continue;
		const struct sim_part *p = n->part >= 0 ? &s->parts[n->part] : NULL;
		int tdp = p ? p->tdp_w : 300, idle = p ? p->idle_w : 40, host = p ? p->host_w : SIM_HOST_W;
		/* a power cap shares the row's budget evenly; what is left after the host goes to the GPUs */
		int cap = e->kw ? clampi((e->kw * 1000 / nodes - host) / n->ngpus, idle, tdp) : tdp;
		for (int k = n->gpu0; k < n->gpu0 + n->ngpus; k++) {
			struct sim_gpu *g = &s->gpus[k];
			int util = g->job ? g->job->util : 0;
			if (e->throttle_pct)
				util = util * e->throttle_pct / 100;
			int power = idle + (tdp - idle) * util / 100;
			if (power > cap) {
				util = tdp > idle ? (cap - idle) * 100 / (tdp - idle) : util;
				power = cap;
			}
			/* no cooling: the throttled GPUs still run at their limit */
			int temp = e->throttle_pct ? clampi(84 + util / 5, 84, 95) : clampi(32 + util * 45 / 100, 20, 95);
			throttle_gpu(g, util, temp, power);
		}
	}
}

void sim_drill_telemetry(struct sim *s)
{
	if (!s->drill)
		return;
	for (int i = 0; i < s->drill->nrows; i++)
		throttle_row(s, &s->drill->rows[i]);
}

void sim_drill_free(struct sim *s)
{
	if (!s->drill)
		return;
	free(s->drill->rows);
	free(s->drill->marked);
	free(s->drill);
	s->drill = NULL;
}
