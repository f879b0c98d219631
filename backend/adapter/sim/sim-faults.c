/* sim-faults.c — hardware and software faults at the reference hazard, in
 * the Llama 3 cause mix, each as the Xid or signal an operator would see;
 * auto-drain, killed jobs and incidents with their impact in numbers (the
 * database's severity table rates them, 032_incident_impact.sql); node
 * states; GPU telemetry with a deadband so the change feed stays small. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/sim/sim-model.h"

/* Interruptions per node-day (reference: 4-7 per 1,000 node-days). */
#define SIM_HAZARD (5.5 / 1000.0 / 86400.0)
#define SIM_LEMON_X 10.0
/* Repair takes a lognormal time with this median (simulated seconds). */
#define SIM_REPAIR_MEDIAN (8 * 3600.0)
/* Deadbands: a GPU row is written only when a value moves this far. */
#define SIM_DB_UTIL 8
#define SIM_DB_TEMP 3
#define SIM_DB_MEM_PCT 5
#define SIM_DB_POWER_PCT 8
/* Cold-aisle inlet temperature: what a powered-off GPU cools to. */
#define SIM_INLET_C 25

enum scope {
	SCOPE_JOB,    /* one job on the node dies; the node is fine */
	SCOPE_GPU,    /* one GPU misbehaves; the node keeps running */
	SCOPE_NODE,   /* the node is out */
	SCOPE_ROW,    /* the row's leaf switch: every node of the row is cut off */
};

/* Causes of the 419 unexpected interruptions in the Llama 3 paper, split
 * where one cause shows up as several Xids (NVIDIA Xid catalog). */
static const struct fault_cause {
	double share;
	int xid;                /* 0: a signal, not an Xid */
	const char *what;
	enum scope scope;
	bool drain, kill, down;
	enum sim_health health;
} causes[] = {
	{ 14.0, 79, "GPU fallen off the bus", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 8.0, 46, "GPU stopped processing", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 8.1, 74, "NVLink error", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 7.6, 48, "double-bit ECC error", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 5.4, 63, "row remap pending", SCOPE_GPU, false, false, false, HEALTH_WARN },
	{ 4.2, 64, "row remap failure", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 12.9, 0, "job crashed (software bug)", SCOPE_JOB, false, false, false, HEALTH_OK },
	{ 7.4, 0, "InfiniBand link down (cable/port)", SCOPE_NODE, true, true, true, HEALTH_FAIL },
	{ 1.0, 0, "InfiniBand leaf switch down", SCOPE_ROW, true, true, true, HEALTH_FAIL },
	{ 7.6, 0, "host maintenance (BMC/firmware)", SCOPE_NODE, true, true, false, HEALTH_WARN },
	{ 2.5, 94, "contained ECC error", SCOPE_JOB, false, false, false, HEALTH_WARN },
	{ 2.0, 95, "uncontained ECC error", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 2.5, 119, "GSP RPC timeout", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 1.6, 120, "GSP error", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 1.7, 0, "NIC down", SCOPE_NODE, true, true, true, HEALTH_FAIL },
	{ 1.7, 0, "NCCL watchdog timeout", SCOPE_JOB, false, false, false, HEALTH_OK },
	{ 1.4, 0, "silent data corruption (checksum mismatch)", SCOPE_NODE, true, false, false, HEALTH_WARN },
	{ 1.4, 0, "thermal: GPU over temperature", SCOPE_NODE, true, false, false, HEALTH_WARN },
	{ 0.7, 0, "SSD failure", SCOPE_NODE, true, true, false, HEALTH_FAIL },
	{ 0.7, 0, "PSU failure", SCOPE_NODE, true, true, true, HEALTH_FAIL },
	{ 2.5, 0, "host hardware (CPU/memory/chassis)", SCOPE_NODE, true, true, true, HEALTH_FAIL },
};

void sim_incident_free(struct sim_incident *in)
{
	if (!in)
		return;
	free(in->title);
	free(in->impact);
	free(in->body);
	free(in->nodes);
	free(in->hit.tenants);
	free(in->hit.job_ids);
	free(in);
}

static const struct fault_cause *pick_cause(struct sim *s)
{
	double total = 0;
	for (size_t i = 0; i < DC_ARRAY_LEN(causes); i++)
		total += causes[i].share;
	double x = dc_rng_unit(&s->rng) * total;
	for (size_t i = 0; i < DC_ARRAY_LEN(causes); i++)
		if ((x -= causes[i].share) < 0)
			return &causes[i];
	return &causes[0];
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v ? v : "");
}

void sim_node_set_drain(struct sim *s, struct sim_node *n, const char *reason, const char *by)
{
	n->admin = n->nheld > 0 ? ADMIN_DRAINING : ADMIN_DRAINED;
	set_str(&n->drain_reason, reason);
	set_str(&n->drained_by, by);
	n->drained_at = s->wall_now;
	n->dirty = true;
}

/* What a fault did, for the incident. */
struct blast {
	int *nodes, nnodes;
	struct sim_fault_hit hit;
};

static void hit_tenant(struct sim_fault_hit *h, int id)
{
	for (int i = 0; i < h->ntenants; i++)
		if (h->tenants[i] == id)
			return;
	h->tenants = xrealloc(h->tenants, (size_t)(h->ntenants + 1) * sizeof *h->tenants);
	h->tenants[h->ntenants++] = id;
}

/* Kills the jobs on a node (each once, multi-node jobs included).
 * reason must be a static string: the job keeps the pointer. */
static void kill_jobs(struct sim *s, struct sim_node *n, const char *reason, struct sim_fault_hit *h)
{
	for (int g = n->gpu0; g < n->gpu0 + n->ngpus; g++) {
		struct sim_job *j = s->gpus[g].job;
		if (!j)
			continue;
		h->jobs++;
		h->gpus += j->gpus;
		if (j->gpus > h->largest)
			h->largest = j->gpus;
		hit_tenant(h, s->tenants[j->tenant].id);
		if (j->id > 0) {
			h->job_ids = xrealloc(h->job_ids, (size_t)(h->njob_ids + 1) * sizeof *h->job_ids);
			h->job_ids[h->njob_ids++] = j->id;
		}
		sim_jobs_finish(s, j, JOB_NODE_FAIL, reason, 137);
	}
}

char *sim_impact_text(const struct sim_fault_hit *h, int nodes, const char *verb)
{
	return xasprintf("%d job%s killed (%d GPU%s) of %d tenant%s; %d node%s %s (%d GPU%s)", h->jobs,
	                 h->jobs == 1 ? "" : "s", h->gpus, h->gpus == 1 ? "" : "s", h->ntenants,
	                 h->ntenants == 1 ? "" : "s", nodes, nodes == 1 ? "" : "s", verb, h->gpus_out,
	                 h->gpus_out == 1 ? "" : "s");
}

/* gpu: the node's GPU the Xid names, < 0: any. */
static void hit_node(struct sim *s, struct sim_node *n, const struct fault_cause *fc,
                     const char *label, int gpu, struct blast *b)
{
	int gi = n->gpu0 + (gpu >= 0 && gpu < n->ngpus ? gpu : dc_rng_range(&s->rng, 0, n->ngpus > 0 ? n->ngpus - 1 : 0));
	if (fc->xid && n->ngpus > 0) {
		struct sim_gpu *g = &s->gpus[gi];
		g->xid = fc->xid;
		g->xid_at = s->wall_now;
		g->dbe += fc->xid == 48 || fc->xid == 95;
		g->remap |= fc->xid == 63 || fc->xid == 64;
		g->dirty = true;
	}
	if (fc->health > n->health)
		n->health = fc->health;
	set_str(&n->health_detail, label);
	if (fc->down)
		n->sched = SCHED_DOWN;
	if (fc->health == HEALTH_FAIL || fc->drain)
		n->repair_at = s->sim_now + dc_rng_lognormal(&s->rng, SIM_REPAIR_MEDIAN, 0.8);
	if (fc->kill)
		kill_jobs(s, n, fc->what, &b->hit);
	if (fc->drain || fc->down || fc->health == HEALTH_FAIL)
		b->hit.gpus_out += n->ngpus;
	/* an operator's drain keeps its reason */
	if (fc->drain && n->admin == ADMIN_ACTIVE)
		sim_node_set_drain(s, n, label, "dcopsd");
	n->dirty = true;
	b->nodes[b->nnodes++] = n->id;
}

double sim_lost_pct(const struct sim *s)
{
	long lost = 0, all = 0;
	for (int i = 0; i < s->nnodes; i++) {
		all += s->nodes[i].ngpus;
		if (s->nodes[i].health == HEALTH_FAIL || s->nodes[i].sched == SCHED_DOWN)
			lost += s->nodes[i].ngpus;
	}
	return all ? 100.0 * (double)lost / (double)all : 0;
}

static bool partition_down(const struct sim *s, int part)
{
	for (int i = 0; i < s->nnodes; i++) {
		const struct sim_node *n = &s->nodes[i];
		if (n->part == part && n->health != HEALTH_FAIL && n->sched != SCHED_DOWN)
			return false;
	}
	return true;
}

/* The severity table's scopes (dcops.severity_rule) a fault can have. */
static const char *fault_scope(const struct sim *s, const struct fault_cause *fc, int part)
{
	if (partition_down(s, part))
		return "partition";
	return fc->scope == SCOPE_ROW ? "leaf" : "node";
}

static void raise_incident(struct sim *s, const struct fault_cause *fc, const struct sim_node *n,
                           const char *label, struct blast *b)
{
	struct sim_incident *in = xcalloc(1, sizeof *in);
	in->scope = fault_scope(s, fc, n->part);
	in->lost_pct = sim_lost_pct(s);
	in->title = fc->scope == SCOPE_ROW
	                ? xasprintf("row %d (%s): %s, %d nodes cut off", n->row,
	                            s->parts[n->part].name, fc->what, b->nnodes)
	                : xasprintf("%s: %s", n->name, label);
	in->impact = sim_impact_text(&b->hit, b->nnodes, fc->drain ? "auto-drained" : "degraded");
	in->body = xasprintf("dcopsd: %s on %s (partition %s, row %d)%s", label, n->name,
	                     s->parts[n->part].name, n->row, n->lemon ? "; node has a fault history" : "");
	in->nodes = b->nodes;
	in->nnodes = b->nnodes;
	in->hit = b->hit;
	b->nodes = NULL;
	b->hit.tenants = NULL;
	b->hit.job_ids = NULL;
	sim_vec_push(&s->incidents, in);
	s->st.incidents++;
}

static void fail_one_job(struct sim *s, struct sim_node *n, const struct fault_cause *fc)
{
	for (int g = n->gpu0; g < n->gpu0 + n->ngpus; g++) {
		struct sim_job *j = s->gpus[g].job;
		if (!j)
			continue;
		if (fc->xid) {
			s->gpus[g].xid = fc->xid;
			s->gpus[g].xid_at = s->wall_now;
			s->gpus[g].dirty = true;
		}
		sim_jobs_finish(s, j, JOB_FAILED, fc->what, 1);
		return;
	}
}

static void fault(struct sim *s, int node)
{
	const struct fault_cause *fc = pick_cause(s);
	struct sim_node *n = &s->nodes[node];
	char label[160];
	if (fc->xid)
		snprintf(label, sizeof label, "Xid %d: %s", fc->xid, fc->what);
	else
		snprintf(label, sizeof label, "%s", fc->what);
	s->st.faults++;
	sim_log(s, "fault on %s: %s", n->name, label);
	if (fc->scope == SCOPE_JOB) {
		fail_one_job(s, n, fc);
		if (fc->health > n->health) {
			n->health = fc->health;
			set_str(&n->health_detail, label);
			n->dirty = true;
		}
		return;
	}
	struct blast b = { .nodes = xcalloc((size_t)s->nnodes + 1, sizeof *b.nodes) };
	if (fc->scope == SCOPE_ROW) {
		for (int i = 0; i < s->nnodes; i++)
			if (s->nodes[i].row == n->row && s->nodes[i].part == n->part)
				hit_node(s, &s->nodes[i], fc, label, -1, &b);
	} else {
		hit_node(s, n, fc, label, -1, &b);
	}
	if (fc->drain || b.hit.jobs > 0)
		raise_incident(s, fc, n, label, &b);
	free(b.nodes);
	free(b.hit.tenants);
	free(b.hit.job_ids);
}

void sim_fault_named(struct sim *s, int xid, int node, int gpu, struct sim_fault_hit *hit)
{
	static const struct fault_cause other = { 0, 0, "GPU error", SCOPE_GPU, false, false, false, HEALTH_WARN };
	const struct fault_cause *fc = &other;
	for (size_t i = 0; i < DC_ARRAY_LEN(causes); i++)
		if (xid ? causes[i].xid == xid : causes[i].scope == SCOPE_ROW) {
			fc = &causes[i];
			break;
		}
	struct fault_cause c = *fc;
	c.xid = xid;
	c.drain = false;
	char label[160];
	if (xid)
		snprintf(label, sizeof label, "Xid %d: %s", xid, c.what);
	else
		snprintf(label, sizeof label, "%s", c.what);
	struct blast b = { .nodes = xcalloc(2, sizeof *b.nodes), .hit = *hit };
	hit_node(s, &s->nodes[node], &c, label, gpu, &b);
	*hit = b.hit;
	free(b.nodes);
}

void sim_faults_inject(struct sim *s)
{
	if (s->nnodes == 0)
		return;
	double lambda = s->nnodes * (1 + 0.02 * (SIM_LEMON_X - 1)) * SIM_HAZARD * s->o.fault_x * s->step;
	int k = dc_rng_poisson(&s->rng, lambda);
	for (int i = 0; i < k; i++) {
		/* lemons by rejection: a plain node is kept one time in SIM_LEMON_X */
		for (int tries = 0; tries < 1000; tries++) {
			int node = dc_rng_range(&s->rng, 0, s->nnodes - 1);
			if (s->nodes[node].lemon || dc_rng_unit(&s->rng) * SIM_LEMON_X < 1.0) {
				fault(s, node);
				break;
			}
		}
	}
}

/* Repairs that are done, draining → drained, and sched_state from GPU use. */
void sim_nodes_refresh(struct sim *s)
{
	for (int i = 0; i < s->nnodes; i++) {
		struct sim_node *n = &s->nodes[i];
		if (n->repair_at > 0 && s->sim_now >= n->repair_at) {
			n->repair_at = 0;
			n->health = HEALTH_OK;
			set_str(&n->health_detail, n->admin == ADMIN_ACTIVE ? "" : "repaired; resume when verified");
			if (n->sched == SCHED_DOWN)
				n->sched = SCHED_IDLE;
			n->dirty = true;
		}
		if (n->admin == ADMIN_DRAINING && n->nheld == 0) {
			n->admin = ADMIN_DRAINED;
			n->dirty = true;
		}
		if (n->sched == SCHED_DOWN)
			continue;
		enum sim_sched st = n->nheld == 0 ? SCHED_IDLE :
		                    n->nheld >= n->ngpus ? SCHED_ALLOCATED : SCHED_MIXED;
		if (st != n->sched) {
			n->sched = st;
			n->dirty = true;
		}
		if (n->nheld == 0) {
			for (int g = n->gpu0; g < n->gpu0 + n->ngpus; g++)
				if (s->gpus[g].remap && s->gpus[g].xid == 63) {
					/* "reset at next idle" */
					s->gpus[g].remap = false;
					s->gpus[g].dirty = true;
				}
		}
	}
}

static int jitter(struct sim *s, int v, int spread)
{
	return v + dc_rng_range(&s->rng, -spread, spread);
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void sample_gpu(struct sim *s, struct sim_gpu *g)
{
	const struct sim_node *n = &s->nodes[g->node];
	const struct sim_part *p = n->part >= 0 ? &s->parts[n->part] : NULL;
	int tdp = p ? p->tdp_w : 300, idle = p ? p->idle_w : 40;
	if (n->sched == SCHED_DOWN) {
		g->util = 0;
		g->mem = 0;
		g->power = 0;
		g->temp = SIM_INLET_C;
		return;
	}
	/* noise stays inside the deadbands: rows change when the work does */
	int util = g->job ? clampi(jitter(s, g->job->util, SIM_DB_UTIL / 2 - 1), 0, 100) : 0;
	g->util = util;
	g->mem = g->job ? (int)((double)g->mem_total * clampi(util + 10, 5, 95) / 100.0) : 0;
	g->power = idle + (tdp - idle) * util / 100 + jitter(s, 0, tdp / 100 + 1);
	if (g->power < 0)
		g->power = 0;
	g->temp = clampi(jitter(s, 32 + util * 45 / 100, 1), 20, 95);
}

static bool moved(const struct sim_gpu *g)
{
	return abs(g->util - g->w_util) >= SIM_DB_UTIL || abs(g->temp - g->w_temp) >= SIM_DB_TEMP ||
	       abs(g->mem - g->w_mem) * 100 >= SIM_DB_MEM_PCT * g->mem_total ||
	       abs(g->power - g->w_power) * 100 >= SIM_DB_POWER_PCT * (g->w_power > 50 ? g->w_power : 50);
}

/* Each GPU is looked at every telem_period ticks (staggered by index) and
 * written only when it moved beyond the deadband, or when its holder
 * changed; each reachable node reports every beat_period ticks. */
void sim_telemetry(struct sim *s)
{
	int slot = (int)(s->tick % (uint64_t)s->telem_period);
	for (int i = 0; i < s->ngpus; i++) {
		struct sim_gpu *g = &s->gpus[i];
		/* a down node's GPUs go dark at once, not at their next slot */
		if (!g->dirty && i % s->telem_period != slot && s->nodes[g->node].sched != SCHED_DOWN)
			continue;
		sample_gpu(s, g);
		if (g->dirty || moved(g)) {
			g->dirty = true;
			g->w_util = g->util;
			g->w_mem = g->mem;
			g->w_temp = g->temp;
			g->w_power = g->power;
		}
	}
	int beat = (int)(s->tick % (uint64_t)s->beat_period);
	for (int i = 0; i < s->nnodes; i++) {
		struct sim_node *n = &s->nodes[i];
		if (n->sched == SCHED_DOWN || (!n->dirty && i % s->beat_period != beat))
			continue;
		n->last_seen = s->wall_now;
		n->dirty = true;
	}
}

/* A node draws its host base (CPUs, fans, NICs: sim_part.host_w) plus
 * what its GPUs report, from the values written, so the node row and its
 * GPU rows add up; a down node is powered off and draws nothing, like its
 * GPUs. After every pass that may change GPU power (telemetry, a drill's
 * throttling). The node row takes the exact sum whenever it is written
 * anyway (a heartbeat, a job or state change) and otherwise only when the
 * sum moved past the power deadband: each GPU's jitter would else rewrite
 * its node on every GPU row (measured: +46% rows at 290 nodes). */
void sim_nodes_power(struct sim *s)
{
	for (int i = 0; i < s->nnodes; i++) {
		struct sim_node *n = &s->nodes[i];
		int power = 0;
		if (n->sched != SCHED_DOWN) {
			power = n->part >= 0 ? s->parts[n->part].host_w : SIM_HOST_W;
			for (int g = n->gpu0; g < n->gpu0 + n->ngpus; g++)
				power += s->gpus[g].w_power;
		}
		int band = SIM_DB_POWER_PCT * (n->power_w > 50 ? n->power_w : 50);
		if (power == n->power_w || (!n->dirty && power != 0 && abs(power - n->power_w) * 100 < band))
			continue;
		n->power_w = power;
		n->dirty = true;
	}
}
