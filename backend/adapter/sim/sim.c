/* sim.c — the simulator's life cycle: load the model, run a tick in one
 * transaction, free. The behaviour lives in sim-jobs.c, sim-faults.c and
 * sim-actions.c; the SQL in sim-write.c. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "text.h"
#include "adapter/sim/sim-model.h"

const char *const sim_admin_names[] = { "active", "draining", "drained" };
const char *const sim_health_names[] = { "ok", "warn", "fail" };
const char *const sim_sched_names[] = { "idle", "mixed", "allocated", "down" };
const char *const sim_jstate_names[] = { "pending", "running", "completed", "failed",
                                         "cancelled", "timeout", "node_fail" };

/* Lemon nodes: ~2% with ten times the hazard (reference guess). */
#define SIM_LEMON_ONE_IN 50
/* Telemetry pass every ~5 s and node heartbeat every ~30 s of wall time. */
#define SIM_TELEM_MS 5000
#define SIM_BEAT_MS 30000

void sim_vec_push(struct sim_vec *vec, void *p)
{
	vec->v = xgrow(vec->v, &vec->cap, vec->n + 1, sizeof *vec->v);
	vec->v[vec->n++] = p;
}

void sim_log(struct sim *s, const char *fmt, ...)
{
	if (!s->o.log)
		return;
	va_list ap;
	va_start(ap, fmt);
	text_vlogline(s->o.log, "", fmt, ap); /* names, titles, action errors: made inert */
	va_end(ap);
	fflush(s->o.log);
}

int sim_tenant_index(const struct sim *s, int id)
{
	return id >= 0 && id < s->tenant_ix_len ? s->tenant_ix[id] : -1;
}

int sim_node_by_name(const struct sim *s, const char *name)
{
	for (int i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return i;
	return -1;
}

struct sim *sim_new(const struct sim_opts *o)
{
	struct sim *s = xcalloc(1, sizeof *s);
	s->o = *o;
	if (s->o.speed <= 0)
		s->o.speed = 1;
	if (s->o.tick_ms <= 0)
		s->o.tick_ms = 1000;
	if (s->o.fault_x <= 0)
		s->o.fault_x = 1;
	dc_rng_seed(&s->rng, o->seed ? o->seed : 1);
	s->step = s->o.tick_ms / 1000.0 * s->o.speed;
	s->wall_now = dc_wall();
	s->sim_now = s->wall_now;
	s->telem_period = SIM_TELEM_MS / s->o.tick_ms > 1 ? SIM_TELEM_MS / s->o.tick_ms : 1;
	s->beat_period = SIM_BEAT_MS / s->o.tick_ms > 1 ? SIM_BEAT_MS / s->o.tick_ms : 1;
	return s;
}

static void free_jobs(struct sim_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		sim_job_free(v->v[i]);
	v->n = 0;
}

static void free_tick_lists(struct sim *s)
{
	for (size_t i = 0; i < s->incidents.n; i++)
		sim_incident_free(s->incidents.v[i]);
	s->incidents.n = 0;
	for (size_t i = 0; i < s->results.n; i++) {
		struct sim_action_result *r = s->results.v[i];
		free(r->error);
		free(r);
	}
	s->results.n = 0;
	free_jobs(&s->done);
	s->fresh.n = 0;
	s->changed.n = 0;
}

static void free_model(struct sim *s)
{
	free_tick_lists(s);
	free_jobs(&s->run);
	/* pending jobs new this tick are in both pend and fresh; fresh holds no ownership */
	free_jobs(&s->pend);
	for (int i = 0; i < s->nparts; i++) {
		free(s->parts[i].name);
		free(s->parts[i].cum_weight);
		free(s->parts[i].tenants);
		for (int k = 0; k <= SIM_GPN_MAX; k++)
			free(s->parts[i].bucket[k]);
	}
	for (int i = 0; i < s->nnodes; i++) {
		free(s->nodes[i].name);
		free(s->nodes[i].drain_reason);
		free(s->nodes[i].drained_by);
		free(s->nodes[i].health_detail);
	}
	for (int i = 0; i < s->ntenants; i++)
		free(s->tenants[i].name);
	free(s->parts);
	free(s->nodes);
	free(s->gpus);
	free(s->tenants);
	free(s->tenant_ix);
	free(s->usage);
	s->parts = NULL;
	s->nodes = NULL;
	s->gpus = NULL;
	s->tenants = NULL;
	s->tenant_ix = NULL;
	s->usage = NULL;
	s->nparts = s->nnodes = s->ngpus = s->ntenants = s->tenant_ix_len = 0;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	free_model(s);
	sim_drill_free(s);
	free(s->run.v);
	free(s->pend.v);
	free(s->fresh.v);
	free(s->changed.v);
	free(s->done.v);
	free(s->incidents.v);
	free(s->results.v);
	free(s);
}

/* Power and heat by accelerator model; the first substring match wins.
 * host_w is the node's base draw beside its GPUs (sim_nodes_power). */
static const struct gpu_spec {
	const char *match;
	int tdp_w, idle_w, host_w;
} gpu_specs[] = {
	{ "H100", 700, 70, 1800 },
	{ "A100", 400, 55, 1500 },
	{ "T4", 70, 10, 600 },
	{ "IPU", 300, 60, 700 },
	{ "", 300, 40, 1000 },
};

static const struct gpu_spec *spec_for(const char *model)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(gpu_specs); i++)
		if (strstr(model, gpu_specs[i].match))
			return &gpu_specs[i];
	return &gpu_specs[DC_ARRAY_LEN(gpu_specs) - 1];
}

static PGresult *query(PGconn *c, struct dc_err *err, const char *sql)
{
	return db_exec(c, err, sql, 0, NULL);
}

static int enum_ix(const char *const *names, int n, const char *v)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return 0;
}

static int part_ix(const struct sim *s, int id)
{
	for (int i = 0; i < s->nparts; i++)
		if (s->parts[i].id == id)
			return i;
	return -1;
}

static int load_fleet(struct sim *s, PGconn *c, struct dc_err *err)
{
	PGresult *r = query(c, err, "SELECT id, name, gpu_model FROM dcops.partition ORDER BY id");
	if (!r)
		return -1;
	s->nparts = PQntuples(r);
	s->parts = xcalloc((size_t)s->nparts + 1, sizeof *s->parts);
	for (int i = 0; i < s->nparts; i++) {
		const struct gpu_spec *sp = spec_for(PQgetvalue(r, i, 2));
		s->parts[i] = (struct sim_part){ .id = atoi(PQgetvalue(r, i, 0)),
		                                 .name = xstrdup(PQgetvalue(r, i, 1)),
		                                 .tdp_w = sp->tdp_w, .idle_w = sp->idle_w,
		                                 .host_w = sp->host_w };
	}
	PQclear(r);
	r = query(c, err, "SELECT n.id, n.name, n.partition_id, r.row_no, n.admin_state, n.health, "
	          "n.sched_state, coalesce(n.drain_reason, ''), coalesce(n.drained_by, ''), "
	          "coalesce(extract(epoch FROM n.drained_at), 0), n.health_detail, n.power_w "
	          "FROM dcops.node n JOIN dcops.rack r ON r.id = n.rack_id ORDER BY n.id");
	if (!r)
		return -1;
	s->nnodes = PQntuples(r);
	s->nodes = xcalloc((size_t)s->nnodes + 1, sizeof *s->nodes);
	for (int i = 0; i < s->nnodes; i++) {
		struct sim_node *n = &s->nodes[i];
		n->id = atoi(PQgetvalue(r, i, 0));
		n->name = xstrdup(PQgetvalue(r, i, 1));
		n->part = part_ix(s, atoi(PQgetvalue(r, i, 2)));
		n->row = atoi(PQgetvalue(r, i, 3));
		n->admin = enum_ix(sim_admin_names, 3, PQgetvalue(r, i, 4));
		n->health = enum_ix(sim_health_names, 3, PQgetvalue(r, i, 5));
		n->sched = enum_ix(sim_sched_names, 4, PQgetvalue(r, i, 6));
		n->drain_reason = xstrdup(PQgetvalue(r, i, 7));
		n->drained_by = xstrdup(PQgetvalue(r, i, 8));
		n->drained_at = atof(PQgetvalue(r, i, 9));
		n->health_detail = xstrdup(PQgetvalue(r, i, 10));
		n->power_w = atoi(PQgetvalue(r, i, 11));
		n->lemon = (uint64_t)(n->id * 2654435761u ^ s->o.seed) % SIM_LEMON_ONE_IN == 0;
		n->gpu0 = -1;
		if (n->health == HEALTH_FAIL)
			n->repair_at = s->sim_now + dc_rng_lognormal(&s->rng, 8 * 3600.0, 0.8);
	}
	PQclear(r);
	r = query(c, err, "SELECT id, node_id, coalesce(job_id, 0), util_pct, mem_used_mib, "
	          "mem_total_mib, temp_c, power_w, ecc_sbe, ecc_dbe, remap_pending, "
	          "coalesce(last_xid, 0), coalesce(extract(epoch FROM last_xid_at), 0) "
	          "FROM dcops.gpu ORDER BY node_id, idx");
	if (!r)
		return -1;
	s->ngpus = PQntuples(r);
	s->gpus = xcalloc((size_t)s->ngpus + 1, sizeof *s->gpus);
	int ni = 0;
	for (int i = 0; i < s->ngpus; i++) {
		struct sim_gpu *g = &s->gpus[i];
		int node_id = atoi(PQgetvalue(r, i, 1));
		while (ni < s->nnodes && s->nodes[ni].id < node_id)
			ni++;
		g->id = atoi(PQgetvalue(r, i, 0));
		g->node = ni < s->nnodes ? ni : 0;
		/* the holder's id, resolved against live jobs in load_jobs */
		g->job = (struct sim_job *)(intptr_t)atoll(PQgetvalue(r, i, 2));
		g->util = g->w_util = atoi(PQgetvalue(r, i, 3));
		g->mem = g->w_mem = atoi(PQgetvalue(r, i, 4));
		g->mem_total = atoi(PQgetvalue(r, i, 5));
		g->temp = g->w_temp = atoi(PQgetvalue(r, i, 6));
		g->power = g->w_power = atoi(PQgetvalue(r, i, 7));
		g->sbe = atoll(PQgetvalue(r, i, 8));
		g->dbe = atoll(PQgetvalue(r, i, 9));
		g->remap = PQgetvalue(r, i, 10)[0] == 't';
		g->xid = atoi(PQgetvalue(r, i, 11));
		g->xid_at = atof(PQgetvalue(r, i, 12));
		struct sim_node *n = &s->nodes[g->node];
		if (n->gpu0 < 0)
			n->gpu0 = i;
		n->ngpus++;
	}
	PQclear(r);
	for (int i = 0; i < s->nnodes; i++) {
		struct sim_node *n = &s->nodes[i];
		if (n->gpu0 < 0)
			n->gpu0 = 0;
		if (n->part < 0)
			continue;
		struct sim_part *p = &s->parts[n->part];
		p->ngpus += n->ngpus;
		if (n->ngpus > p->gpn && n->ngpus <= SIM_GPN_MAX)
			p->gpn = n->ngpus;
	}
	for (int i = 0; i < s->nnodes; i++)
		if (s->nodes[i].part >= 0 && s->nodes[i].ngpus == s->parts[s->nodes[i].part].gpn)
			s->parts[s->nodes[i].part].nstd++;
	return 0;
}

static int load_tenants(struct sim *s, PGconn *c, struct dc_err *err)
{
	/* one grouped pass over projects: a correlated min() per tenant would
	 * walk the whole primary key each time */
	PGresult *r = query(c, err, "SELECT t.id, t.name, coalesce(q.gpu_limit, 0), "
	                    "coalesce(q.gpu_hours_budget, 0), coalesce(q.gpu_hours_used, 0), coalesce(p.id, 0) "
	                    "FROM dcops.tenant t LEFT JOIN dcops.quota q ON q.tenant_id = t.id "
	                    "LEFT JOIN (SELECT tenant_id, min(id) AS id FROM dcops.project GROUP BY 1) p "
	                    "ON p.tenant_id = t.id ORDER BY t.id");
	if (!r)
		return -1;
	s->ntenants = PQntuples(r);
	s->tenants = xcalloc((size_t)s->ntenants + 1, sizeof *s->tenants);
	int maxid = 0;
	for (int i = 0; i < s->ntenants; i++) {
		struct sim_tenant *t = &s->tenants[i];
		t->id = atoi(PQgetvalue(r, i, 0));
		t->name = xstrdup(PQgetvalue(r, i, 1));
		t->limit = atoi(PQgetvalue(r, i, 2));
		t->budget = atof(PQgetvalue(r, i, 3));
		t->used = t->used_written = atof(PQgetvalue(r, i, 4));
		t->project = atoi(PQgetvalue(r, i, 5));
		if (t->id > maxid)
			maxid = t->id;
	}
	PQclear(r);
	s->tenant_ix_len = maxid + 1;
	s->tenant_ix = xmalloc((size_t)s->tenant_ix_len * sizeof *s->tenant_ix);
	for (int i = 0; i < s->tenant_ix_len; i++)
		s->tenant_ix[i] = -1;
	for (int i = 0; i < s->ntenants; i++)
		s->tenant_ix[s->tenants[i].id] = i;
	s->usage = xcalloc((size_t)s->ntenants * (size_t)(s->nparts + 1) + 1, sizeof *s->usage);
	r = query(c, err, "SELECT value FROM dcops.setting WHERE key = 'sim.hoarders'");
	if (!r)
		return -1;
	if (PQntuples(r) == 1) {
		char *list = xstrdup(PQgetvalue(r, 0, 0)), *save = NULL;
		for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int ix = sim_tenant_index(s, atoi(tok));
			if (ix >= 0)
				s->tenants[ix].hoarder = true;
		}
		free(list);
	}
	PQclear(r);
	return 0;
}

/* Live jobs come back with the GPUs that name them; a running job whose
 * allocation does not add up is ended, a GPU naming no live job is freed. */
static int load_jobs(struct sim *s, PGconn *c, struct dc_err *err)
{
	PGresult *r = query(c, err, "SELECT id, tenant_id, partition_id, gpus, nodes, state, "
	                    "extract(epoch FROM submit_at), coalesce(extract(epoch FROM start_at), 0), "
	                    "node_list, reason, extract(epoch FROM time_limit), priority "
	                    "FROM dcops.job WHERE state IN ('pending', 'running') ORDER BY id");
	if (!r)
		return -1;
	int n = PQntuples(r);
	struct sim_job **byrow = xcalloc((size_t)n + 1, sizeof *byrow);
	for (int i = 0; i < n; i++) {
		int t = sim_tenant_index(s, atoi(PQgetvalue(r, i, 1)));
		int p = part_ix(s, atoi(PQgetvalue(r, i, 2)));
		if (t < 0 || p < 0)
			continue;
		struct sim_job *j = xcalloc(1, sizeof *j);
		j->id = atoll(PQgetvalue(r, i, 0));
		j->tenant = t;
		j->part = p;
		j->gpus = atoi(PQgetvalue(r, i, 3));
		j->nnodes = atoi(PQgetvalue(r, i, 4));
		j->state = strcmp(PQgetvalue(r, i, 5), "running") == 0 ? JOB_RUNNING : JOB_PENDING;
		j->submit_wall = atof(PQgetvalue(r, i, 6));
		j->start_wall = atof(PQgetvalue(r, i, 7));
		j->node_list = xstrdup(PQgetvalue(r, i, 8));
		j->outcome = JOB_COMPLETED;
		/* the reason is a static word again (hold keeps its own); the
		 * scheduler renames the rest on its next pass */
		j->on_hold = j->state == JOB_PENDING && strcmp(PQgetvalue(r, i, 9), "JobHeldAdmin") == 0;
		j->reason = j->on_hold ? "JobHeldAdmin" : "";
		j->priority = sim_job_priority(s, j);
		j->time_limit = atof(PQgetvalue(r, i, 10));
		j->w_priority = atoll(PQgetvalue(r, i, 11));
		j->seq = ++s->job_seq;
		j->util = dc_rng_range(&s->rng, 50, 98);
		j->held = xcalloc((size_t)j->gpus + 1, sizeof *j->held);
		byrow[i] = j;
	}
	for (int g = 0; g < s->ngpus; g++) {
		long long jid = (long long)(intptr_t)s->gpus[g].job;
		s->gpus[g].job = NULL;
		if (!jid)
			continue;
		/* rows are ordered by id: binary search */
		int lo = 0, hi = n - 1, hit = -1;
		while (lo <= hi) {
			int mid = (lo + hi) / 2;
			long long v = atoll(PQgetvalue(r, mid, 0));
			if (v == jid) {
				hit = mid;
				break;
			}
			if (v < jid)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		struct sim_job *j = hit >= 0 ? byrow[hit] : NULL;
		if (j && j->state == JOB_RUNNING && j->nheld < j->gpus) {
			j->held[j->nheld++] = g;
			s->gpus[g].job = j;
			s->nodes[s->gpus[g].node].nheld++;
		} else {
			s->gpus[g].dirty = true;
		}
	}
	PQclear(r);
	for (int i = 0; i < n; i++) {
		struct sim_job *j = byrow[i];
		if (!j)
			continue;
		/* a job read back has no plan: pending or running, it gets a
		 * typical job's run time (a pending one kept 0 and ended in the
		 * tick it started) */
		j->duration = dc_rng_lognormal(&s->rng, 1800.0, 1.2);
		if (j->state == JOB_PENDING) {
			s->tenants[j->tenant].pending++;
			sim_vec_push(&s->pend, j);
			continue;
		}
		j->run_ix = (int)s->run.n;
		sim_vec_push(&s->run, j);
		s->tenants[j->tenant].running += j->gpus;
		j->end_sim = s->sim_now + j->duration;
		if (j->nheld != j->gpus)
			sim_jobs_finish(s, j, JOB_FAILED, "allocation lost while the adapter was away", 1);
	}
	free(byrow);
	return 0;
}

int sim_load(struct sim *s, PGconn *c, struct dc_err *err)
{
	free_model(s);
	if (load_fleet(s, c, err) < 0 || load_tenants(s, c, err) < 0 || load_jobs(s, c, err) < 0) {
		free_model(s);
		return -1;
	}
	sim_jobs_calibrate(s);
	sim_nodes_refresh(s);
	s->warm = s->run.n == 0 && s->pend.n == 0;
	s->next_sample = floor(s->sim_now / 300.0) * 300.0 + 300.0;
	return 0;
}

static int tx(PGconn *c, const char *sql, struct dc_err *err)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		dc_err_set(err, "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

int sim_tick(struct sim *s, PGconn *c, struct sim_tick_stats *st, struct dc_err *err)
{
	memset(&s->st, 0, sizeof s->st);
	free_tick_lists(s);
	s->tick++;
	double wall = dc_wall();
	s->wall_now = wall > s->wall_now ? wall : s->wall_now + 1e-6;
	s->sim_now += s->step;
	/* The batches join small arrays to big tables by primary key: index
	 * lookups, never a scan of 200,000 GPU rows per tick. */
	if (tx(c, "BEGIN", err) < 0 || tx(c, "SET LOCAL enable_hashjoin = off", err) < 0 ||
	    tx(c, "SET LOCAL enable_mergejoin = off", err) < 0) {
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	int rc = sim_actions_apply(s, c, err);
	if (rc == 0)
		rc = sim_drill_apply(s, c, err);
	if (rc == 0) {
		sim_jobs_end_due(s);
		sim_faults_inject(s);
		if (s->warm)
			sim_jobs_warm(s);
		s->warm = false;
		sim_jobs_arrive(s);
		rc = sim_write_reserve_ids(s, c, err);
	}
	if (rc == 0) {
		sim_jobs_schedule(s);
		sim_nodes_refresh(s);
		sim_jobs_accrue(s);
		sim_telemetry(s);
		sim_drill_telemetry(s);
		sim_nodes_power(s);
		rc = sim_write_tick(s, c, err);
	}
	if (rc == 0)
		rc = tx(c, "COMMIT", err);
	if (rc < 0) {
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	if (sim_write_telemetry(s, c, err) < 0)
		return -1;
	s->st.running = (int)s->run.n;
	s->st.pending = (int)s->pend.n;
	if (st)
		*st = s->st;
	return 0;
}
