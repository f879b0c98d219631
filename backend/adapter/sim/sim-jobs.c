/* sim-jobs.c — the workload: arrivals on a KST day/week cycle, the size and
 * outcome mix of the reference, scheduling onto free GPUs within tenant
 * quotas, job ends, and GPU-hour accrual. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/sim/sim-model.h"

/* Offered load over capacity: above 1 so a backlog carries the fleet
 * through the night; quotas, the per-tenant queue cap and fragmentation
 * bring the allocation into the 85-95% band. */
#define SIM_TARGET_LOAD 1.35
#define SIM_WALL_LIMIT (72 * 3600.0)
/* A multi-node job blocked this long gets whole free nodes held for it. */
#define SIM_RESERVE_AFTER (20 * 60.0)
#define SIM_HOARDER_WEIGHT 0.02
/* Tenants over-subscribe partitions by this much when homed. */
#define SIM_HOME_OVERSUB 1.25
/* Priority: a fair-share part (hoarders, who use what they hold poorly,
 * get a fifth) and a size part, as Slurm's multifactor plugin weighs them. */
#define SIM_PRIO_FAIRSHARE 10000
#define SIM_PRIO_PER_GPU 10
/* Users ask for a wall limit from this ladder with room over the run time
 * they expect; a job that would run past its limit ends as a timeout. */
#define SIM_LIMIT_SLACK 1.5
static const double limit_ladder_h[] = { 1, 2, 4, 8, 12, 24, 48, 72 };

static const struct size_mix {
	int gpus;
	double share;
} size_mix[] = {
	{ 1, 0.55 }, { 2, 0.10 }, { 4, 0.12 }, { 8, 0.15 }, { 16, 0.05 }, { 32, 0.02 }, { 64, 0.01 },
};

static const struct outcome {
	enum sim_jstate state;
	double share;
	int exit_code;
	const char *reason;
} outcomes[] = {
	{ JOB_COMPLETED, 0.70, 0, "" },
	{ JOB_FAILED, 0.17, 1, "NonZeroExitCode" },
	{ JOB_CANCELLED, 0.13, 0, "cancelled by user" },
};

/* Submissions by hour of the day in KST, and by weekday (Monday first). */
static const double hour_factor[24] = {
	0.80, 0.75, 0.70, 0.70, 0.70, 0.70, 0.75, 0.85, 1.00, 1.20, 1.30, 1.30,
	1.15, 1.25, 1.35, 1.35, 1.30, 1.20, 1.05, 1.00, 1.00, 0.95, 0.90, 0.85,
};
static const double day_factor[7] = { 1.10, 1.10, 1.10, 1.10, 1.05, 0.80, 0.75 };

static double cycle(double sim_now)
{
	static double mean;
	if (mean == 0) {
		double h = 0, d = 0;
		for (int i = 0; i < 24; i++)
			h += hour_factor[i];
		for (int i = 0; i < 7; i++)
			d += day_factor[i];
		mean = h / 24 * d / 7;
	}
	double kst = sim_now + 9 * 3600.0;
	int hour = (int)fmod(kst / 3600.0, 24.0);
	/* 1970-01-01 was a Thursday: Monday-first index 3 */
	int wday = (int)fmod(floor(kst / 86400.0) + 3, 7.0);
	return hour_factor[hour] * day_factor[wday] / mean;
}

void sim_job_free(struct sim_job *j)
{
	if (!j)
		return;
	free(j->held);
	free(j->node_list);
	free(j->name);
	free(j);
}

static void mark_changed(struct sim *s, struct sim_job *j)
{
	if (j->is_new || j->dirty)
		return;
	j->dirty = true;
	sim_vec_push(&s->changed, j);
}

/* A live job whose row holds another priority (one written before 040,
 * or before a hold) is written again. */
static void priority_sync(struct sim *s, struct sim_job *j)
{
	if (j->priority != j->w_priority)
		mark_changed(s, j);
}

static int plan_size(struct dc_rng *r)
{
	double x = dc_rng_unit(r);
	for (size_t i = 0; i < DC_ARRAY_LEN(size_mix); i++)
		if ((x -= size_mix[i].share) < 0)
			return size_mix[i].gpus;
	return 1;
}

/* Fits a requested size to the partition and the tenant's limit: whole
 * standard nodes beyond one node. */
static void fit_size(const struct sim_part *p, int want, int limit, int *gpus, int *nodes)
{
	int g = want < limit ? want : limit;
	if (g < 1)
		g = 1;
	int n = 1;
	if (g > p->gpn) {
		n = g / p->gpn;
		if (n > p->nstd)
			n = p->nstd > 0 ? p->nstd : 1;
		g = n * p->gpn;
	}
	*gpus = g;
	*nodes = n;
}

static double plan_duration(struct dc_rng *r, int gpus)
{
	double median = 1800.0 * (1.0 + 0.75 * log2((double)gpus));
	return dc_rng_lognormal(r, median, 1.3);
}

static const struct outcome *plan_outcome(struct dc_rng *r)
{
	double x = dc_rng_unit(r);
	for (size_t i = 0; i < DC_ARRAY_LEN(outcomes); i++)
		if ((x -= outcomes[i].share) < 0)
			return &outcomes[i];
	return &outcomes[0];
}

/* Time a job holds its GPUs: failures and cancellations end early; the
 * wall limit ends the rest. */
static double held_time(struct dc_rng *r, double duration, const struct outcome *oc)
{
	double d = oc->state == JOB_COMPLETED ? duration : duration * (0.02 + 0.98 * dc_rng_unit(r));
	return d < SIM_WALL_LIMIT ? d : SIM_WALL_LIMIT;
}

/* The wall limit a user asks for a job expected to run `expected` seconds. */
static double time_limit_for(double expected)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(limit_ladder_h); i++)
		if (limit_ladder_h[i] * 3600.0 >= expected * SIM_LIMIT_SLACK)
			return limit_ladder_h[i] * 3600.0;
	return SIM_WALL_LIMIT;
}

long long sim_job_priority(const struct sim *s, const struct sim_job *j)
{
	if (j->on_hold)
		return 0;
	int fair = s->tenants[j->tenant].hoarder ? SIM_PRIO_FAIRSHARE / 5 : SIM_PRIO_FAIRSHARE;
	return fair + SIM_PRIO_PER_GPU * (long long)j->gpus;
}

/* Homes tenants on partitions (largest quota first, onto the partition
 * with the most room left) and tunes each partition's arrival rate to its
 * capacity over the mean GPU-seconds a job holds. */
void sim_jobs_calibrate(struct sim *s)
{
	int *order = xcalloc((size_t)s->ntenants + 1, sizeof *order);
	double *assigned = xcalloc((size_t)s->nparts + 1, sizeof *assigned);
	for (int i = 0; i < s->ntenants; i++)
		order[i] = i;
	for (int i = 1; i < s->ntenants; i++)
		for (int k = i; k > 0 && s->tenants[order[k]].limit > s->tenants[order[k - 1]].limit; k--) {
			int t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	for (int i = 0; i < s->ntenants; i++) {
		struct sim_tenant *t = &s->tenants[order[i]];
		int best = 0;
		double room = -1e18;
		for (int p = 0; p < s->nparts; p++) {
			double cap = s->parts[p].ngpus;
			if (cap <= 0)
				continue;
			double r = (cap * SIM_HOME_OVERSUB - assigned[p]) / cap;
			if (r > room) {
				room = r;
				best = p;
			}
		}
		t->home = best;
		assigned[best] += t->hoarder ? 0 : t->limit;
	}
	for (int p = 0; p < s->nparts; p++) {
		struct sim_part *pt = &s->parts[p];
		pt->tenants = xcalloc((size_t)s->ntenants + 1, sizeof *pt->tenants);
		pt->cum_weight = xcalloc((size_t)s->ntenants + 1, sizeof *pt->cum_weight);
		double acc = 0;
		for (int i = 0; i < s->ntenants; i++) {
			const struct sim_tenant *t = &s->tenants[i];
			if (t->home != p || t->limit <= 0)
				continue;
			acc += t->limit * (t->hoarder ? SIM_HOARDER_WEIGHT : 1.0);
			pt->tenants[pt->ntenants] = i;
			pt->cum_weight[pt->ntenants++] = acc;
		}
		int nodes = 0;
		for (int n = 0; n < s->nnodes; n++)
			nodes += s->nodes[n].part == p;
		for (int k = 0; k <= pt->gpn; k++)
			pt->bucket[k] = xcalloc((size_t)nodes + 1, sizeof *pt->bucket[k]);
		if (pt->ngpus == 0 || pt->ntenants == 0)
			continue;
		/* mean GPU-seconds held per job, by sampling the same plan and
		 * the same submitters (their limits cap the sizes) */
		struct dc_rng r;
		dc_rng_seed(&r, 0x5eed + (uint64_t)p);
		double sum = 0;
		const int samples = 4000;
		for (int i = 0; i < samples; i++) {
			int g, n, lo = 0, hi = pt->ntenants - 1;
			double x = dc_rng_unit(&r) * pt->cum_weight[hi];
			while (lo < hi) {
				int mid = (lo + hi) / 2;
				if (pt->cum_weight[mid] > x)
					hi = mid;
				else
					lo = mid + 1;
			}
			fit_size(pt, plan_size(&r), s->tenants[pt->tenants[lo]].limit, &g, &n);
			sum += g * held_time(&r, plan_duration(&r, g), plan_outcome(&r));
		}
		pt->lambda = SIM_TARGET_LOAD * pt->ngpus / (sum / samples);
	}
	free(order);
	free(assigned);
}

static int pick_tenant(struct sim *s, const struct sim_part *p)
{
	double x = dc_rng_unit(&s->rng) * p->cum_weight[p->ntenants - 1];
	int lo = 0, hi = p->ntenants - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (p->cum_weight[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return p->tenants[lo];
}

/* A new pending job of tenant ti in partition p. */
static struct sim_job *new_job(struct sim *s, int p, int ti)
{
	struct sim_tenant *t = &s->tenants[ti];
	struct sim_job *j = xcalloc(1, sizeof *j);
	j->tenant = ti;
	j->part = p;
	fit_size(&s->parts[p], plan_size(&s->rng), t->limit, &j->gpus, &j->nnodes);
	const struct outcome *oc = plan_outcome(&s->rng);
	double expected = plan_duration(&s->rng, j->gpus);
	j->duration = held_time(&s->rng, expected, oc);
	j->time_limit = time_limit_for(expected);
	j->outcome = j->duration >= SIM_WALL_LIMIT ? JOB_TIMEOUT : oc->state;
	j->exit_code = oc->exit_code;
	j->state = JOB_PENDING;
	j->reason = "Priority";
	j->submit_wall = s->wall_now;
	j->util = t->hoarder ? dc_rng_range(&s->rng, 1, 8) : dc_rng_range(&s->rng, 45, 98);
	j->held = xcalloc((size_t)j->gpus + 1, sizeof *j->held);
	j->priority = sim_job_priority(s, j);
	j->seq = ++s->job_seq;
	j->is_new = true;
	t->pending++;
	sim_vec_push(&s->fresh, j);
	s->st.arrivals++;
	return j;
}

void sim_jobs_arrive(struct sim *s)
{
	double f = cycle(s->sim_now);
	for (int p = 0; p < s->nparts; p++) {
		struct sim_part *pt = &s->parts[p];
		if (pt->lambda <= 0)
			continue;
		int k = dc_rng_poisson(&s->rng, pt->lambda * f * s->step);
		for (int i = 0; i < k; i++) {
			int ti = pick_tenant(s, pt);
			const struct sim_tenant *t = &s->tenants[ti];
			/* users stop submitting into a long queue of their own */
			if (t->pending >= 4 + t->limit / 4)
				continue;
			sim_vec_push(&s->pend, new_job(s, p, ti));
		}
	}
}

static void release(struct sim *s, struct sim_job *j)
{
	for (int i = 0; i < j->nheld; i++) {
		struct sim_gpu *g = &s->gpus[j->held[i]];
		g->job = NULL;
		g->dirty = true;
		s->nodes[g->node].nheld--;
		s->nodes[g->node].dirty = true;
	}
	j->nheld = 0;
}

void sim_jobs_finish(struct sim *s, struct sim_job *j, enum sim_jstate st, const char *reason,
                     int exit_code)
{
	if (j->state == JOB_RUNNING) {
		release(s, j);
		struct sim_job *last = s->run.v[s->run.n - 1];
		s->run.v[j->run_ix] = last;
		last->run_ix = j->run_ix;
		s->run.n--;
		s->tenants[j->tenant].running -= j->gpus;
	} else {
		for (size_t i = 0; i < s->pend.n; i++)
			if (s->pend.v[i] == j) {
				memmove(&s->pend.v[i], &s->pend.v[i + 1], (s->pend.n - i - 1) * sizeof *s->pend.v);
				s->pend.n--;
				break;
			}
		s->tenants[j->tenant].pending--;
	}
	j->state = st;
	j->reason = reason;
	j->exit_code = exit_code;
	j->end_wall = s->wall_now;
	mark_changed(s, j);
	sim_vec_push(&s->done, j);
	s->st.ends++;
}

void sim_jobs_end_due(struct sim *s)
{
	for (size_t i = s->run.n; i-- > 0;) {
		struct sim_job *j = s->run.v[i];
		priority_sync(s, j);
		if (j->end_sim > s->sim_now)
			continue;
		const char *reason = j->outcome == JOB_TIMEOUT ? "TimeLimit" :
		                     j->outcome == JOB_FAILED ? "NonZeroExitCode" :
		                     j->outcome == JOB_CANCELLED ? "cancelled by user" : "";
		sim_jobs_finish(s, j, j->outcome, reason, j->outcome == JOB_COMPLETED ? 0 : j->exit_code);
	}
}

static bool schedulable(const struct sim_node *n)
{
	return n->admin == ADMIN_ACTIVE && n->health != HEALTH_FAIL && n->sched != SCHED_DOWN &&
	       n->part >= 0;
}

static void build_buckets(struct sim *s)
{
	for (int p = 0; p < s->nparts; p++) {
		memset(s->parts[p].nbucket, 0, sizeof s->parts[p].nbucket);
		s->parts[p].reserve = false;
		s->parts[p].blocked = false;
	}
	for (int i = 0; i < s->nnodes; i++) {
		struct sim_node *n = &s->nodes[i];
		if (!schedulable(n))
			continue;
		struct sim_part *p = &s->parts[n->part];
		int f = n->ngpus - n->nheld;
		if (f < 0 || f > p->gpn)
			continue;
		p->bucket[f][p->nbucket[f]++] = i;
	}
}

/* Takes one node with at least want free GPUs (best fit); -1 if none. */
static int take_node(struct sim_part *p, int want)
{
	for (int k = want; k <= p->gpn; k++) {
		if (p->nbucket[k] == 0 || (p->reserve && k == p->gpn))
			continue;
		int node = p->bucket[k][--p->nbucket[k]];
		p->bucket[k - want][p->nbucket[k - want]++] = node;
		return node;
	}
	return -1;
}

static void hold(struct sim *s, struct sim_job *j, int node, int want, struct sb *names)
{
	struct sim_node *n = &s->nodes[node];
	for (int g = n->gpu0; g < n->gpu0 + n->ngpus && want > 0; g++) {
		if (s->gpus[g].job)
			continue;
		s->gpus[g].job = j;
		s->gpus[g].dirty = true;
		j->held[j->nheld++] = g;
		n->nheld++;
		want--;
	}
	n->dirty = true;
	sb_appendf(names, "%s%s", names->len ? "," : "", n->name);
}

static bool place(struct sim *s, struct sim_job *j)
{
	struct sim_part *p = &s->parts[j->part];
	struct sb names = {0};
	if (j->nnodes == 1) {
		int node = take_node(p, j->gpus);
		if (node < 0)
			return false;
		hold(s, j, node, j->gpus, &names);
	} else {
		if (p->nbucket[p->gpn] < j->nnodes)
			return false;
		for (int i = 0; i < j->nnodes; i++) {
			int node = p->bucket[p->gpn][--p->nbucket[p->gpn]];
			p->bucket[0][p->nbucket[0]++] = node;
			hold(s, j, node, p->gpn, &names);
		}
	}
	free(j->node_list);
	j->node_list = sb_take(&names);
	return true;
}

static void set_reason(struct sim *s, struct sim_job *j, const char *reason)
{
	if (strcmp(j->reason, reason) == 0)
		return;
	j->reason = reason;
	mark_changed(s, j);
}

static void start(struct sim *s, struct sim_job *j)
{
	struct sim_tenant *t = &s->tenants[j->tenant];
	j->state = JOB_RUNNING;
	j->reason = "";
	j->start_wall = s->wall_now;
	j->end_sim = s->sim_now + j->duration;
	j->run_ix = (int)s->run.n;
	sim_vec_push(&s->run, j);
	t->running += j->gpus;
	t->pending--;
	mark_changed(s, j);
	s->st.starts++;
}

/* Higher priority first; equal priorities in submission order. */
static int by_priority(const void *pa, const void *pb)
{
	const struct sim_job *a = *(struct sim_job *const *)pa, *b = *(struct sim_job *const *)pb;
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Jobs are tried in priority order; one that does not fit leaves the rest
 * to backfill, except that a long-blocked multi-node job has whole free
 * nodes held for it. A held job stays pending, untried. */
void sim_jobs_schedule(struct sim *s)
{
	build_buckets(s);
	if (s->pend.n > 1) /* v is NULL while the queue has never held a job */
		qsort(s->pend.v, s->pend.n, sizeof *s->pend.v, by_priority);
	size_t keep = 0;
	for (size_t i = 0; i < s->pend.n; i++) {
		struct sim_job *j = s->pend.v[i];
		struct sim_tenant *t = &s->tenants[j->tenant];
		struct sim_part *p = &s->parts[j->part];
		bool started = false;
		priority_sync(s, j);
		if (j->on_hold)
			set_reason(s, j, "JobHeldAdmin");
		else if (t->budget > 0 && t->used >= t->budget)
			set_reason(s, j, "BudgetExhausted");
		else if (t->running + j->gpus > t->limit)
			set_reason(s, j, "QuotaExceeded");
		else if (place(s, j))
			started = true;
		else {
			set_reason(s, j, p->blocked ? "Priority" : "Resources");
			if (!p->blocked && j->nnodes > 1 &&
			    (s->wall_now - j->submit_wall) * s->o.speed > SIM_RESERVE_AFTER)
				p->reserve = true;
			p->blocked = true;
		}
		if (started)
			start(s, j);
		else
			s->pend.v[keep++] = j;
	}
	s->pend.n = keep;
}

/* Slurm's requeue: the job gives its GPUs back and waits again. */
static void requeue(struct sim *s, struct sim_job *j)
{
	release(s, j);
	struct sim_job *last = s->run.v[s->run.n - 1];
	s->run.v[j->run_ix] = last;
	last->run_ix = j->run_ix;
	s->run.n--;
	s->tenants[j->tenant].running -= j->gpus;
	s->tenants[j->tenant].pending++;
	j->state = JOB_PENDING;
	j->reason = "Requeued";
	free(j->node_list);
	j->node_list = xstrdup("");
	mark_changed(s, j);
	sim_vec_push(&s->pend, j);
}

int sim_jobs_premise(struct sim *s, int ti, const int *nodes, int n, int per_node, const char *name,
                     double ran_for)
{
	struct sim_tenant *t = &s->tenants[ti];
	int *use = xcalloc((size_t)n + 1, sizeof *use), nuse = 0;
	for (int i = 0; i < n; i++) {
		struct sim_node *nd = &s->nodes[nodes[i]];
		if (!schedulable(nd) || nd->ngpus < per_node)
			continue;
		use[nuse++] = nodes[i];
		for (int g = nd->gpu0; g < nd->gpu0 + nd->ngpus; g++)
			if (s->gpus[g].job)
				requeue(s, s->gpus[g].job);
	}
	if (nuse == 0) {
		free(use);
		return 0;
	}
	int gpus = per_node * nuse;
	for (size_t i = s->run.n; i-- > 0 && t->running + gpus > t->limit;)
		if (((struct sim_job *)s->run.v[i])->tenant == ti)
			requeue(s, s->run.v[i]);
	struct sim_job *j = xcalloc(1, sizeof *j);
	j->tenant = ti;
	j->part = s->nodes[use[0]].part;
	j->gpus = gpus;
	j->nnodes = nuse;
	j->duration = SIM_WALL_LIMIT - ran_for;
	j->outcome = JOB_COMPLETED;
	j->util = 95;
	j->name = xstrdup(name);
	j->held = xcalloc((size_t)gpus + 1, sizeof *j->held);
	j->is_new = true;
	struct sb names = {0};
	for (int i = 0; i < nuse; i++)
		hold(s, j, use[i], per_node, &names);
	j->node_list = sb_take(&names);
	t->pending++;
	sim_vec_push(&s->fresh, j);
	start(s, j);
	j->start_wall = s->wall_now - ran_for / s->o.speed;
	j->submit_wall = j->start_wall - 600.0 / s->o.speed;
	free(use);
	return nuse;
}

/* An empty fleet starts as if it had been running: jobs in progress are
 * length-biased (a long job is more likely to be running at any instant),
 * so candidates are kept in proportion to their duration, placed up to the
 * target load, with start times spread over their durations. */
void sim_jobs_warm(struct sim *s)
{
	build_buckets(s);
	for (int p = 0; p < s->nparts; p++) {
		struct sim_part *pt = &s->parts[p];
		long used = 0;
		for (int tries = 0; pt->lambda > 0 && used < 0.9 * pt->ngpus && tries < 100 * pt->ngpus; tries++) {
			int ti = pick_tenant(s, pt);
			double d = plan_duration(&s->rng, 1);
			if (dc_rng_unit(&s->rng) * SIM_WALL_LIMIT / 2 > d)
				continue;
			struct sim_tenant *t = &s->tenants[ti];
			struct sim_job *j = new_job(s, p, ti);
			s->fresh.n--;
			s->st.arrivals--;
			if (t->running + j->gpus > t->limit || !place(s, j)) {
				t->pending--;
				sim_job_free(j);
				continue;
			}
			j->duration = d < SIM_WALL_LIMIT ? d * (1.0 + 0.75 * log2((double)j->gpus)) : SIM_WALL_LIMIT;
			if (j->duration > SIM_WALL_LIMIT)
				j->duration = SIM_WALL_LIMIT;
			j->time_limit = time_limit_for(j->duration);
			sim_vec_push(&s->fresh, j);
			start(s, j);
			double done = dc_rng_unit(&s->rng);
			j->start_wall = s->wall_now - done * j->duration / s->o.speed;
			j->submit_wall = j->start_wall - dc_rng_unit(&s->rng) * 600.0 / s->o.speed;
			j->end_sim = s->sim_now + (1 - done) * j->duration;
			used += j->gpus;
		}
	}
}

void sim_jobs_accrue(struct sim *s)
{
	double hours = s->step / 3600.0;
	for (size_t i = 0; i < s->run.n; i++) {
		const struct sim_job *j = s->run.v[i];
		double h = j->gpus * hours;
		s->tenants[j->tenant].used += h;
		s->usage[(size_t)j->tenant * (size_t)s->nparts + (size_t)j->part] += h;
	}
}

struct sim_job *sim_job_find(struct sim *s, long long id)
{
	struct sim_vec *lists[] = { &s->pend, &s->run };
	for (size_t l = 0; l < DC_ARRAY_LEN(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			if (((struct sim_job *)lists[l]->v[i])->id == id)
				return lists[l]->v[i];
	return NULL;
}

/* scancel: the job ends as cancelled and its GPUs are free this tick. */
char *sim_job_cancel(struct sim *s, struct sim_job *j)
{
	sim_jobs_finish(s, j, JOB_CANCELLED, "cancelled by operator", 0);
	return NULL;
}

/* scontrol hold / release: only a pending job can be held. */
char *sim_job_hold(struct sim *s, struct sim_job *j, bool hold)
{
	if (j->state != JOB_PENDING)
		return xasprintf("job %lld is %s: only a pending job can be %s", j->id,
		                 sim_jstate_names[j->state], hold ? "held" : "released");
	if (j->on_hold == hold)
		return xasprintf("job %lld is %s held", j->id, hold ? "already" : "not");
	j->on_hold = hold;
	j->priority = sim_job_priority(s, j);
	/* a released job waits for the scheduler's next pass to get its reason */
	j->reason = hold ? "JobHeldAdmin" : "Priority";
	mark_changed(s, j);
	return NULL;
}
