/* sim-write.c — one tick's changes as a handful of statements, each over
 * parameter arrays (UPDATE ... FROM unnest($1::int[], ...)): never one
 * statement per row, never a value spliced into SQL text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "adapter/sim/sim-model.h"

/* Finished jobs stay this long (simulated) before they are pruned. */
#define SIM_PRUNE_AFTER (4 * 3600.0)
#define SIM_PRUNE_EVERY 20
#define SIM_SAMPLE_EVERY 300.0
/* GPU telemetry rows per transaction after the tick (sim_write_telemetry). */
#define SIM_TELEM_CHUNK 1000

/* A PostgreSQL array literal under construction. */
struct arr {
	struct sb sb;
	int n;
};

static void arr_sep(struct arr *a)
{
	sb_append(&a->sb, a->n++ ? "," : "{");
}

static void arr_ll(struct arr *a, long long v)
{
	arr_sep(a);
	sb_appendf(&a->sb, "%lld", v);
}

/* NULL when v is 0 (no holder, no timestamp, no Xid). */
static void arr_ll0(struct arr *a, long long v)
{
	arr_sep(a);
	if (v)
		sb_appendf(&a->sb, "%lld", v);
	else
		sb_append(&a->sb, "NULL");
}

static void arr_f0(struct arr *a, double v)
{
	arr_sep(a);
	if (v > 0)
		sb_appendf(&a->sb, "%.6f", v);
	else
		sb_append(&a->sb, "NULL");
}

static void arr_str(struct arr *a, const char *s)
{
	arr_sep(a);
	if (!s) {
		sb_append(&a->sb, "NULL");
		return;
	}
	sb_append(&a->sb, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_append(&a->sb, "\\");
		sb_appendn(&a->sb, s, 1);
	}
	sb_append(&a->sb, "\"");
}

static const char *arr_done(struct arr *a)
{
	if (a->n == 0)
		sb_append(&a->sb, "{");
	sb_append(&a->sb, "}");
	return a->sb.buf;
}

static void arrs_free(struct arr *a, int n)
{
	for (int i = 0; i < n; i++)
		sb_free(&a[i].sb);
}

long sim_write_cmd(PGconn *c, struct dc_err *err, const char *sql, int n, const char *const *p)
{
	PGresult *r = db_exec(c, err, sql, n, p);
	if (!r)
		return -1;
	long rows = atol(PQcmdTuples(r));
	PQclear(r);
	return rows;
}

/* The most arrays one statement takes (new jobs: 17). */
#define SIM_WRITE_MAX_ARRAYS 24

/* Runs sql over n arrays; adds the rows to the tick's count. */
static int run_arrays(struct sim *s, PGconn *c, struct dc_err *err, const char *sql,
                      struct arr *a, int n)
{
	const char *p[SIM_WRITE_MAX_ARRAYS] = { 0 };
	if (n > SIM_WRITE_MAX_ARRAYS)
		abort(); /* a statement outgrew the parameter list: a bug */
	for (int i = 0; i < n; i++)
		p[i] = arr_done(&a[i]);
	long rows = sim_write_cmd(c, err, sql, n, p);
	arrs_free(a, n);
	if (rows < 0)
		return -1;
	s->st.rows += rows;
	return 0;
}

int sim_write_reserve_ids(struct sim *s, PGconn *c, struct dc_err *err)
{
	if (s->fresh.n == 0)
		return 0;
	char n[24];
	snprintf(n, sizeof n, "%zu", s->fresh.n);
	const char *p[] = { n };
	PGresult *r = db_exec(c, err, "SELECT nextval('dcops.job_id_seq') FROM generate_series(1, $1::int)",
	                      1, p);
	if (!r)
		return -1;
	for (size_t i = 0; i < s->fresh.n && (int)i < PQntuples(r); i++)
		((struct sim_job *)s->fresh.v[i])->id = atoll(PQgetvalue(r, (int)i, 0));
	PQclear(r);
	return 0;
}

static const char *const job_names[] = {
	"train-llm", "finetune", "infer-batch", "eval", "preprocess", "hpo-sweep", "train-vision",
	"embed", "distill", "rl-rollout",
};

static int write_new_jobs(struct sim *s, PGconn *c, struct dc_err *err)
{
	if (s->fresh.n == 0)
		return 0;
	struct arr a[17] = {0};
	for (size_t i = 0; i < s->fresh.n; i++) {
		const struct sim_job *j = s->fresh.v[i];
		const struct sim_tenant *t = &s->tenants[j->tenant];
		char user[32], name[208];
		snprintf(user, sizeof user, "t%04d-u%lld", t->id, j->id % 5 + 1);
		if (j->name)
			snprintf(name, sizeof name, "%s", j->name);
		else
			snprintf(name, sizeof name, "%s-%lld", job_names[j->id % (long long)DC_ARRAY_LEN(job_names)],
			         j->id);
		arr_ll(&a[0], j->id);
		arr_ll(&a[1], t->id);
		arr_ll0(&a[2], t->project);
		arr_ll(&a[3], s->parts[j->part].id);
		arr_str(&a[4], user);
		arr_str(&a[5], name);
		arr_ll(&a[6], j->gpus);
		arr_ll(&a[7], j->nnodes);
		arr_str(&a[8], j->node_list ? j->node_list : "");
		arr_str(&a[9], sim_jstate_names[j->state]);
		arr_str(&a[10], j->reason);
		arr_f0(&a[11], j->submit_wall);
		arr_f0(&a[12], j->state == JOB_PENDING ? 0 : j->start_wall);
		arr_f0(&a[13], j->state >= JOB_COMPLETED ? j->end_wall : 0);
		arr_ll0(&a[14], j->state >= JOB_COMPLETED ? j->exit_code : 0);
		arr_ll(&a[15], j->priority);
		((struct sim_job *)s->fresh.v[i])->w_priority = j->priority;
		arr_ll(&a[16], (long long)j->time_limit);
	}
	return run_arrays(s, c, err,
		"INSERT INTO dcops.job (id, tenant_id, project_id, partition_id, user_name, name, gpus, "
		"nodes, node_list, state, reason, submit_at, start_at, end_at, exit_code, priority, time_limit) "
		"SELECT u.id, u.t, u.p, u.part, u.usr, u.nm, u.g, u.n, u.nl, u.st::dcops.job_state, u.rs, "
		"to_timestamp(u.sub), to_timestamp(u.sta), to_timestamp(u.en), u.ec, u.pr, "
		"make_interval(secs => u.tl) "
		"FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], "
		"$7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::float8[], $13::float8[], "
		"$14::float8[], $15::int[], $16::bigint[], $17::bigint[]) "
		"AS u(id, t, p, part, usr, nm, g, n, nl, st, rs, sub, sta, en, ec, pr, tl)",
		a, 17);
}

static int write_changed_jobs(struct sim *s, PGconn *c, struct dc_err *err)
{
	if (s->changed.n == 0)
		return 0;
	struct arr a[8] = {0};
	for (size_t i = 0; i < s->changed.n; i++) {
		struct sim_job *j = s->changed.v[i];
		j->dirty = false;
		arr_ll(&a[0], j->id);
		arr_str(&a[1], sim_jstate_names[j->state]);
		arr_str(&a[2], j->reason);
		arr_str(&a[3], j->node_list ? j->node_list : "");
		arr_f0(&a[4], j->state == JOB_PENDING ? 0 : j->start_wall);
		arr_f0(&a[5], j->state >= JOB_COMPLETED ? j->end_wall : 0);
		arr_ll0(&a[6], j->state >= JOB_COMPLETED ? j->exit_code : 0);
		arr_ll(&a[7], j->priority);
		j->w_priority = j->priority;
	}
	return run_arrays(s, c, err,
		"UPDATE dcops.job j SET state = u.st::dcops.job_state, reason = u.rs, node_list = u.nl, "
		"start_at = to_timestamp(u.sta), end_at = to_timestamp(u.en), exit_code = u.ec, priority = u.pr "
		"FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], "
		"$7::int[], $8::bigint[]) AS u(id, st, rs, nl, sta, en, ec, pr) WHERE j.id = u.id", a, 8);
}

/* Dirty GPU rows, from index *from on, at most max of them. events_only:
 * just those whose job or Xid changed (they belong in the tick's
 * transaction, with the job rows they agree with). *from ends past the
 * last GPU looked at. */
static int write_gpus(struct sim *s, PGconn *c, struct dc_err *err, bool events_only, int *from,
                      int max)
{
	struct arr a[11] = {0};
	int i = *from;
	for (; i < s->ngpus && a[0].n < max; i++) {
		struct sim_gpu *g = &s->gpus[i];
		if (!g->dirty)
			continue;
		long long job = g->job ? g->job->id : 0;
		if (events_only && job == g->w_job && g->xid == g->w_xid)
			continue;
		g->dirty = false;
		g->w_job = job;
		g->w_xid = g->xid;
		arr_ll(&a[0], g->id);
		arr_ll0(&a[1], job);
		arr_ll(&a[2], g->w_util);
		arr_ll(&a[3], g->w_mem);
		arr_ll(&a[4], g->w_temp);
		arr_ll(&a[5], g->w_power);
		arr_ll(&a[6], g->sbe);
		arr_ll(&a[7], g->dbe);
		arr_str(&a[8], g->remap ? "t" : "f");
		arr_ll0(&a[9], g->xid);
		arr_f0(&a[10], g->xid_at);
	}
	*from = i;
	if (a[0].n == 0)
		return 0;
	return run_arrays(s, c, err,
		"UPDATE dcops.gpu g SET job_id = u.j, util_pct = u.u, mem_used_mib = u.m, temp_c = u.t, "
		"power_w = u.p, ecc_sbe = u.s, ecc_dbe = u.d, remap_pending = u.r, last_xid = u.x, "
		"last_xid_at = to_timestamp(u.xa) "
		"FROM unnest($1::int[], $2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], "
		"$7::bigint[], $8::bigint[], $9::bool[], $10::int[], $11::float8[]) "
		"AS u(id, j, u, m, t, p, s, d, r, x, xa) WHERE g.id = u.id", a, 11);
}

static int write_nodes(struct sim *s, PGconn *c, struct dc_err *err)
{
	struct arr a[10] = {0};
	for (int i = 0; i < s->nnodes; i++) {
		struct sim_node *n = &s->nodes[i];
		if (!n->dirty)
			continue;
		n->dirty = false;
		bool active = n->admin == ADMIN_ACTIVE;
		arr_ll(&a[0], n->id);
		arr_str(&a[1], sim_sched_names[n->sched]);
		arr_str(&a[2], sim_admin_names[n->admin]);
		arr_str(&a[3], active ? NULL : n->drain_reason);
		arr_str(&a[4], active ? NULL : n->drained_by);
		arr_f0(&a[5], active ? 0 : n->drained_at);
		arr_str(&a[6], sim_health_names[n->health]);
		arr_str(&a[7], n->health_detail);
		arr_ll(&a[8], n->power_w);
		arr_f0(&a[9], n->last_seen);
	}
	if (a[0].n == 0)
		return 0;
	return run_arrays(s, c, err,
		"UPDATE dcops.node n SET sched_state = u.ss::dcops.sched_state, "
		"admin_state = u.a::dcops.admin_state, drain_reason = u.dr, drained_by = u.db, "
		"drained_at = to_timestamp(u.da), health = u.h::dcops.health_state, health_detail = u.hd, "
		"power_w = u.p, last_seen = coalesce(to_timestamp(u.ls), n.last_seen) "
		"FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], "
		"$7::text[], $8::text[], $9::int[], $10::float8[]) "
		"AS u(id, ss, a, dr, db, da, h, hd, p, ls) WHERE n.id = u.id", a, 10);
}

/* Every simulated five minutes: usage per tenant and partition, and the
 * quotas' GPU-hours used. */
static int write_usage(struct sim *s, PGconn *c, struct dc_err *err)
{
	if (s->sim_now < s->next_sample)
		return 0;
	s->next_sample = floor(s->sim_now / SIM_SAMPLE_EVERY) * SIM_SAMPLE_EVERY + SIM_SAMPLE_EVERY;
	size_t cells = (size_t)s->ntenants * (size_t)s->nparts;
	int *inuse = xcalloc(cells + 1, sizeof *inuse);
	for (size_t i = 0; i < s->run.n; i++) {
		const struct sim_job *j = s->run.v[i];
		inuse[(size_t)j->tenant * (size_t)s->nparts + (size_t)j->part] += j->gpus;
	}
	struct arr a[4] = {0};
	for (size_t k = 0; k < cells; k++) {
		if (inuse[k] == 0 && s->usage[k] == 0)
			continue;
		arr_ll(&a[0], s->tenants[k / (size_t)s->nparts].id);
		arr_ll(&a[1], s->parts[k % (size_t)s->nparts].id);
		arr_ll(&a[2], inuse[k]);
		sb_appendf(&a[3].sb, "%s%.3f", a[3].n++ ? "," : "{", s->usage[k]);
		s->usage[k] = 0;
	}
	free(inuse);
	char ts[32];
	snprintf(ts, sizeof ts, "%.6f", s->wall_now);
	int rc = 0;
	if (a[0].n > 0) {
		const char *p[5];
		for (int i = 0; i < 4; i++)
			p[i] = arr_done(&a[i]);
		p[4] = ts;
		long rows = sim_write_cmd(c, err,
			"INSERT INTO dcops.usage_sample (ts, tenant_id, partition_id, gpus_in_use, gpu_hours) "
			"SELECT to_timestamp($5::float8), u.t, u.p, u.g, u.h "
			"FROM unnest($1::int[], $2::int[], $3::int[], $4::numeric[]) AS u(t, p, g, h)", 5, p);
		rc = rows < 0 ? -1 : 0;
		s->st.rows += rows > 0 ? rows : 0;
	}
	arrs_free(a, 4);
	if (rc < 0)
		return -1;
	struct arr q[2] = {0};
	for (int i = 0; i < s->ntenants; i++) {
		struct sim_tenant *t = &s->tenants[i];
		if (fabs(t->used - t->used_written) < 0.05)
			continue;
		t->used_written = t->used;
		arr_ll(&q[0], t->id);
		sb_appendf(&q[1].sb, "%s%.1f", q[1].n++ ? "," : "{", t->used);
	}
	if (q[0].n == 0)
		return 0;
	return run_arrays(s, c, err,
		"UPDATE dcops.quota q SET gpu_hours_used = u.h FROM unnest($1::int[], $2::numeric[]) "
		"AS u(t, h) WHERE q.tenant_id = u.t", q, 2);
}

/* The severity is the database's, from the impact numbers (one table
 * for every source of incidents: dcops.incident_severity). */
static int write_incidents(struct sim *s, PGconn *c, struct dc_err *err)
{
	for (size_t i = 0; i < s->incidents.n; i++) {
		const struct sim_incident *in = s->incidents.v[i];
		const struct sim_fault_hit *h = &in->hit;
		struct arr a[3] = {0};
		for (int k = 0; k < in->nnodes; k++)
			arr_ll(&a[0], in->nodes[k]);
		for (int k = 0; k < h->ntenants; k++)
			arr_ll(&a[1], h->tenants[k]);
		for (int k = 0; k < h->njob_ids; k++)
			arr_ll(&a[2], h->job_ids[k]);
		char n[6][24];
		snprintf(n[0], sizeof n[0], "%d", h->jobs);
		snprintf(n[1], sizeof n[1], "%d", h->ntenants);
		snprintf(n[2], sizeof n[2], "%d", h->gpus);
		snprintf(n[3], sizeof n[3], "%d", h->largest);
		snprintf(n[4], sizeof n[4], "%d", h->gpus_out);
		snprintf(n[5], sizeof n[5], "%.3f", in->lost_pct);
		const char *p[] = { in->title, in->impact, in->body, arr_done(&a[0]), arr_done(&a[1]), in->scope,
		                    n[0], n[1], n[2], n[3], n[4], n[5], arr_done(&a[2]) };
		PGresult *r = db_exec(c, err,
			"WITH i AS (INSERT INTO dcops.incident (sev, title, impact, source, next_update_at, "
			"jobs_killed, tenants_hit, gpus_killed, largest_job_gpus, gpus_out) "
			"VALUES (dcops.incident_severity($6, $8::int, $9::int, $10::int, $12::numeric), $1, $2, "
			"'dcopsd', now() + interval '30 minutes', $7::int, $8::int, $9::int, $10::int, $11::int) "
			"RETURNING id, sev), "
			"e AS (INSERT INTO dcops.incident_event (incident_id, actor, kind, body) "
			"SELECT id, 'dcopsd', 'opened', $3 FROM i), "
			"n AS (INSERT INTO dcops.incident_node (incident_id, node_id) "
			"SELECT DISTINCT i.id, x FROM i, unnest($4::int[]) AS x), "
			"t AS (INSERT INTO dcops.incident_tenant (incident_id, tenant_id) "
			"SELECT DISTINCT i.id, x FROM i, unnest($5::int[]) AS x), "
			"j AS (SELECT dcops.incident_jobs_link(i.id, $13::bigint[]) AS n FROM i) "
			"SELECT sev FROM i, j", 13, p);
		arrs_free(a, 3);
		if (!r)
			return -1;
		sim_log(s, "incident sev %s: %s (%s)", PQgetvalue(r, 0, 0), in->title, in->impact);
		PQclear(r);
		s->st.rows += 2 + in->nnodes + h->ntenants + h->njob_ids;
	}
	return 0;
}

static int write_results(struct sim *s, PGconn *c, struct dc_err *err)
{
	if (s->results.n == 0)
		return 0;
	struct arr a[3] = {0};
	for (size_t i = 0; i < s->results.n; i++) {
		const struct sim_action_result *r = s->results.v[i];
		arr_ll(&a[0], r->id);
		arr_str(&a[1], r->ok ? "applied" : "failed");
		arr_str(&a[2], r->error);
	}
	return run_arrays(s, c, err,
		"UPDATE dcops.actions a SET status = u.s::dcops.action_status, error = u.e, applied_at = now() "
		"FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, s, e) "
		"WHERE a.id = u.id AND a.status = 'pending'", a, 3);
}

/* Finished jobs older than SIM_PRUNE_AFTER simulated seconds go (their
 * tombstones tell the consoles). */
static int prune(struct sim *s, PGconn *c, struct dc_err *err)
{
	if (s->tick % SIM_PRUNE_EVERY != 0)
		return 0;
	char cut[32];
	snprintf(cut, sizeof cut, "%.6f", s->wall_now - SIM_PRUNE_AFTER / s->o.speed);
	const char *p[] = { cut };
	long rows = sim_write_cmd(c, err, "DELETE FROM dcops.job WHERE state NOT IN ('pending', 'running') "
	                          "AND end_at < to_timestamp($1::float8)", 1, p);
	if (rows < 0)
		return -1;
	s->st.rows += rows;
	return 0;
}

int sim_write_tick(struct sim *s, PGconn *c, struct dc_err *err)
{
	int from = 0;
	if (write_new_jobs(s, c, err) < 0 || write_changed_jobs(s, c, err) < 0 ||
	    write_gpus(s, c, err, true, &from, s->ngpus) < 0 || write_nodes(s, c, err) < 0 ||
	    write_usage(s, c, err) < 0 ||
	    write_incidents(s, c, err) < 0 || write_results(s, c, err) < 0 || prune(s, c, err) < 0)
		return -1;
	for (size_t i = 0; i < s->fresh.n; i++)
		((struct sim_job *)s->fresh.v[i])->is_new = false;
	return 0;
}

/* The rest of the tick's GPU telemetry (gauges: utilisation, memory,
 * temperature, power, ECC), after the tick has committed, in transactions
 * of SIM_TELEM_CHUNK rows. A real collector streams its samples; one
 * 20,000-row transaction a second would hand every console a 20,000-row
 * read at once and hold its row locks for as long. Index joins as in the
 * tick (sim.c). */
int sim_write_telemetry(struct sim *s, PGconn *c, struct dc_err *err)
{
	for (int from = 0; from < s->ngpus;) {
		if (sim_write_cmd(c, err, "BEGIN", 0, NULL) < 0 ||
		    sim_write_cmd(c, err, "SET LOCAL enable_hashjoin = off", 0, NULL) < 0 ||
		    sim_write_cmd(c, err, "SET LOCAL enable_mergejoin = off", 0, NULL) < 0 ||
		    write_gpus(s, c, err, false, &from, SIM_TELEM_CHUNK) < 0 ||
		    sim_write_cmd(c, err, "COMMIT", 0, NULL) < 0) {
			PQclear(PQexec(c, "ROLLBACK"));
			return -1;
		}
	}
	return 0;
}
