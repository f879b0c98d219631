/* model.c — rows, id indexes and derived fields. See model.h.
 *
 * Each table is an unordered array of row pointers plus an id -> slot
 * hash (idmap.h, keyless: a slot leads to its row and the row holds its
 * id); a delete moves the last row into the hole. Settings are keyed by
 * text and few, so they are found by a scan.
 *
 * Derived fields, all updated per changed row:
 *   node.gpus[]/gpus_used/util_mean/temp_max/last_xid: the node's GPU rows
 *     (gpu_slots pointers, the node's GPU count). A GPU row replaced in
 *     its slot moves the figures by the difference, scanning the node's
 *     GPUs only when the old row may have held the max temperature or the
 *     newest Xid; an attach or detach scans. gpus_used counts GPUs whose
 *     job_id is set.
 *   partition.nodes/gpus_total/nodes_draining/nodes_drained/nodes_down,
 *     gpus_used and gpus_free/gpus_out: each node's contribution (gpu rows,
 *     not job sizes, so the figure matches the node table) is subtracted
 *     then re-added; a GPU that takes or leaves a job moves its node's
 *     partition by one.
 *   partition.jobs_running/jobs_pending/gpus_pending, tenant.gpus_running/
 *     jobs_running/jobs_pending: the same for each job.
 *   partition.oldest_pending_submit: a per-partition min-heap of
 *     (submit_at, job id) with lazy deletion: stale tops are popped when
 *     read, and the heap is rebuilt when it holds over twice the pending
 *     jobs, so the cost stays amortised O(log n) per changed job.
 * A replaced row inherits the derived fields of the row it replaces. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "util.h"

/* ---- enum names ---- */

static const char *const sched_names[] = { "idle", "mixed", "allocated", "down", "unknown" };
static const char *const admin_names[] = { "active", "draining", "drained" };
static const char *const health_names[] = { "ok", "warn", "fail" };
static const char *const job_state_names[] = { "pending", "running", "completed", "failed",
	"cancelled", "timeout", "node_fail" };
static const char *const inc_state_names[] = { "triggered", "acknowledged", "mitigated", "resolved" };
static const char *const action_status_names[] = { "pending", "applied", "failed", "cancelled" };

static const char *enum_name(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "?";
}

static int enum_parse(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

#define ENUM_FNS(fname, type, names) \
	const char *dc_##fname##_name(type v) { return enum_name(names, DC_ARRAY_LEN(names), (int)v); } \
	int dc_##fname##_parse(const char *s) { return enum_parse(names, DC_ARRAY_LEN(names), s); }
ENUM_FNS(sched, enum dc_sched, sched_names)
ENUM_FNS(admin, enum dc_admin, admin_names)
ENUM_FNS(health, enum dc_health, health_names)
ENUM_FNS(job_state, enum dc_job_state, job_state_names)

bool dc_job_held(const struct dc_job *j)
{
	return j->state == DC_JOB_PENDING && j->reason && strncmp(j->reason, "JobHeld", 7) == 0;
}
ENUM_FNS(inc_state, enum dc_inc_state, inc_state_names)
ENUM_FNS(action_status, enum dc_action_status, action_status_names)
#undef ENUM_FNS

/* ---- per-table layout: size, where the id and version live, owned strings ---- */

#define S(type, f) offsetof(struct type, f)
#define NO_VERSION SIZE_MAX
#define STRS(...) (const size_t[]){ __VA_ARGS__ }, DC_ARRAY_LEN(((const size_t[]){ __VA_ARGS__ }))

struct table_def {
	size_t size;
	bool has_id;
	size_t id_off, version_off; /* version_off NO_VERSION: the row keeps none */
	const size_t *strs;
	size_t nstrs;
	size_t derived_off, derived_end; /* the model's own fields: never copied from a wire */
};

static const struct table_def tables[DC_T_COUNT] = {
	[DC_T_SITE] = { sizeof(struct dc_site), true, S(dc_site, id), S(dc_site, version),
		STRS(S(dc_site, code), S(dc_site, name), S(dc_site, timezone)) },
	[DC_T_RACK] = { sizeof(struct dc_rack), true, S(dc_rack, id), S(dc_rack, version),
		STRS(S(dc_rack, name)) },
	[DC_T_PARTITION] = { sizeof(struct dc_partition), true, S(dc_partition, id),
		S(dc_partition, version), STRS(S(dc_partition, name), S(dc_partition, gpu_model)),
		S(dc_partition, nodes), sizeof(struct dc_partition) },
	[DC_T_NODE] = { sizeof(struct dc_node), true, S(dc_node, id), S(dc_node, version),
		STRS(S(dc_node, name), S(dc_node, model), S(dc_node, drain_reason),
		     S(dc_node, drained_by), S(dc_node, health_detail), S(dc_node, admin_changed_by)),
		S(dc_node, gpus), S(dc_node, admin_version) },
	[DC_T_GPU] = { sizeof(struct dc_gpu), true, S(dc_gpu, id), NO_VERSION,
		NULL, 0 }, /* no text (the console shows no GPU uuids), no version */
	[DC_T_TENANT] = { sizeof(struct dc_tenant), true, S(dc_tenant, id), S(dc_tenant, version),
		STRS(S(dc_tenant, name), S(dc_tenant, name_en), S(dc_tenant, kind)),
		S(dc_tenant, gpus_running), sizeof(struct dc_tenant) },
	[DC_T_PROJECT] = { sizeof(struct dc_project), true, S(dc_project, id), S(dc_project, version),
		STRS(S(dc_project, name), S(dc_project, programme)) },
	[DC_T_QUOTA] = { sizeof(struct dc_quota), true, S(dc_quota, id), S(dc_quota, version),
		STRS(S(dc_quota, limits_changed_by)) },
	[DC_T_JOB] = { sizeof(struct dc_job), true, S(dc_job, id), S(dc_job, version),
		STRS(S(dc_job, user_name), S(dc_job, name), S(dc_job, node_list), S(dc_job, reason),
		     S(dc_job, explain)) },
	[DC_T_INCIDENT] = { sizeof(struct dc_incident), true, S(dc_incident, id),
		S(dc_incident, version), STRS(S(dc_incident, title), S(dc_incident, impact),
		S(dc_incident, summary), S(dc_incident, source), S(dc_incident, owner),
		S(dc_incident, op_changed_by), S(dc_incident, nodes), S(dc_incident, tenants),
		S(dc_incident, jobs), S(dc_incident, proposed_drain), S(dc_incident, proposed_reason),
		S(dc_incident, proposed_policy), S(dc_incident, remedy_note)) },
	[DC_T_INCIDENT_EVENT] = { sizeof(struct dc_incident_event), true, S(dc_incident_event, id),
		S(dc_incident_event, version), STRS(S(dc_incident_event, actor),
		S(dc_incident_event, kind), S(dc_incident_event, body)) },
	[DC_T_ACTION] = { sizeof(struct dc_action), true, S(dc_action, id), S(dc_action, version),
		STRS(S(dc_action, kind), S(dc_action, target), S(dc_action, params),
		     S(dc_action, reason), S(dc_action, requested_by), S(dc_action, error)) },
	[DC_T_AUDIT] = { sizeof(struct dc_audit), true, S(dc_audit, id), S(dc_audit, version),
		STRS(S(dc_audit, actor), S(dc_audit, action), S(dc_audit, target),
		     S(dc_audit, before), S(dc_audit, after), S(dc_audit, reason)) },
	[DC_T_SETTING] = { sizeof(struct dc_setting), false, 0, S(dc_setting, version),
		STRS(S(dc_setting, key), S(dc_setting, value)) },
	[DC_T_SHIFT] = { sizeof(struct dc_shift), true, S(dc_shift, id), S(dc_shift, version),
		STRS(S(dc_shift, operator_)) },
	[DC_T_HANDOVER_NOTE] = { sizeof(struct dc_handover_note), true, S(dc_handover_note, id),
		S(dc_handover_note, version), STRS(S(dc_handover_note, author),
		S(dc_handover_note, body), S(dc_handover_note, signed_off_by)) },
	[DC_T_DRILL_RUN] = { sizeof(struct dc_drill_run), true, S(dc_drill_run, id),
		S(dc_drill_run, version), STRS(S(dc_drill_run, scenario), S(dc_drill_run, title),
		S(dc_drill_run, status), S(dc_drill_run, started_by), S(dc_drill_run, ended_by),
		S(dc_drill_run, spec), S(dc_drill_run, scorecard)) },
};
#undef S
#undef STRS

/* model.h's size note: every byte of a GPU row is paid 190,000 times at 25,000 nodes */
_Static_assert(sizeof(struct dc_gpu) <= 64, "struct dc_gpu grew past 64 bytes");

static int64_t row_i64(const void *row, size_t off)
{
	int64_t v;
	memcpy(&v, (const char *)row + off, sizeof v);
	return v;
}

static const char *row_str(const void *row, size_t off)
{
	const char *s;
	memcpy(&s, (const char *)row + off, sizeof s);
	return s;
}

/* ---- the GPU row pool ----
 * 190,000 GPU rows of 64 bytes each would take 80-byte heap blocks
 * (malloc's header and rounding: 3 MB in all), so they come from slabs of
 * GPU_SLAB rows with a free list through the unused ones. Slabs are kept while any
 * GPU row lives (the fleet's GPU count does not swing) and all given back
 * when the last one is freed. Process-wide, like malloc: the console is
 * one thread. Sanitizer builds use malloc, so AddressSanitizer still sees
 * a GPU row used after it was freed. */
#if defined(__SANITIZE_ADDRESS__)
#define GPU_POOL 0
#else
#define GPU_POOL 1
#endif
#define GPU_SLAB 4096 /* 256 kB and a pointer: over main.c's mmap threshold, so a freed slab leaves */

union gpu_cell {
	struct dc_gpu row;
	union gpu_cell *next_free;
};
struct gpu_slab {
	struct gpu_slab *next;
	union gpu_cell cell[GPU_SLAB];
};
static struct {
	struct gpu_slab *slabs;
	union gpu_cell *free;
	size_t live;
} gpu_pool;

static struct dc_gpu *gpu_row_alloc(void)
{
	if (!GPU_POOL)
		return xmalloc(sizeof(struct dc_gpu));
	if (!gpu_pool.free) {
		struct gpu_slab *sl = xmalloc(sizeof *sl);
		sl->next = gpu_pool.slabs;
		gpu_pool.slabs = sl;
		for (size_t i = GPU_SLAB; i-- > 0;) {
			sl->cell[i].next_free = gpu_pool.free;
			gpu_pool.free = &sl->cell[i];
		}
	}
	union gpu_cell *c = gpu_pool.free;
	gpu_pool.free = c->next_free;
	gpu_pool.live++;
	return &c->row;
}

static void gpu_row_release(struct dc_gpu *g)
{
	if (!GPU_POOL) {
		free(g);
		return;
	}
	union gpu_cell *c = (union gpu_cell *)g;
	c->next_free = gpu_pool.free;
	gpu_pool.free = c;
	if (--gpu_pool.live > 0)
		return;
	while (gpu_pool.slabs) {
		struct gpu_slab *next = gpu_pool.slabs->next;
		free(gpu_pool.slabs);
		gpu_pool.slabs = next;
	}
	gpu_pool.free = NULL;
}

void *model_row_pack(enum dc_table t, const void *tmpl)
{
	const struct table_def *d = &tables[t];
	if (t == DC_T_GPU) /* no strings */
		return memcpy(gpu_row_alloc(), tmpl, sizeof(struct dc_gpu));
	size_t len[16], total = d->size;
	if (d->nstrs > DC_ARRAY_LEN(len))
		abort(); /* a table_def with more strings than a row may pack */
	for (size_t i = 0; i < d->nstrs; i++) {
		const char *str = row_str(tmpl, d->strs[i]);
		len[i] = str ? strlen(str) + 1 : 0;
		total += len[i];
	}
	char *row = xmalloc(total), *tail = row + d->size;
	memcpy(row, tmpl, d->size);
	for (size_t i = 0; i < d->nstrs; i++) {
		char *dst = len[i] ? tail : NULL;
		if (dst)
			memcpy(dst, row_str(tmpl, d->strs[i]), len[i]);
		memcpy(row + d->strs[i], &dst, sizeof dst);
		tail += len[i];
	}
	if (t == DC_T_NODE) { /* derived, owned by the model: never copied */
		((struct dc_node *)row)->gpus = NULL;
		((struct dc_node *)row)->gpu_slots = 0;
	}
	return row;
}

void model_row_free(enum dc_table t, void *row)
{
	if (!row)
		return;
	if (t == DC_T_NODE)
		free(((struct dc_node *)row)->gpus);
	if (t == DC_T_GPU)
		gpu_row_release(row);
	else
		free(row);
}

/* ---- pending-job heaps per partition ---- */

struct pend { int64_t submit, job_id; };
struct pend_heap {
	int64_t partition_id;
	struct pend *v;
	size_t n, cap;
	size_t live; /* pending jobs of the partition (lower bound for rebuilds) */
};

struct table {
	void **rows;
	size_t n, cap;
	struct idmap ids; /* keyless: id -> slot, the id read from rows[slot] */
	size_t id_off;
	/* the writers' last lookup (slot_find): only a guess, always checked */
	int64_t hint_id;
	size_t hint_slot;
};

struct dc_model {
	struct table t[DC_T_COUNT];
	struct idmap pend_ix; /* partition id -> index into pends */
	struct pend_heap *pends;
	size_t npends, cappends;
	int64_t version;
	/* max node last_seen ever put (reports only move forward; a scan per
	 * frame would grow with the fleet) */
	int64_t newest_report;
	/* change log ring (model.h): entry seq lives at log[seq % log_cap] */
	struct log_entry { int64_t id; uint32_t table; } *log;
	uint64_t log_cap;     /* DC_LOG_CAP, more while held (model_log_hold) */
	uint64_t log_seq;     /* the next change's number */
	uint64_t log_floor;   /* no change before this one can be listed */
	uint64_t log_hold;    /* model_log_hold's seq and most entries (0: not held) */
	uint64_t log_hold_max;
	unsigned loading;     /* model_loading */
};

/* Twice the ring, the reachable entries moved to their new places. */
static void log_grow(struct dc_model *m)
{
	uint64_t cap = m->log_cap * 2;
	struct log_entry *v = xmalloc(cap * sizeof *v);
	for (uint64_t q = m->log_seq - m->log_cap; q < m->log_seq; q++)
		v[q % cap] = m->log[q % m->log_cap];
	free(m->log);
	m->log = v;
	m->log_cap = cap;
}

static void log_change(struct dc_model *m, enum dc_table t, int64_t id)
{
	if (!m->log)
		m->log = xmalloc(m->log_cap * sizeof *m->log);
	/* the entry about to be overwritten is the holder's first, still in
	 * reach (not before a clear): keep it */
	else if (m->log_hold >= m->log_floor && m->log_seq - m->log_hold == m->log_cap &&
	         m->log_cap * 2 <= m->log_hold_max)
		log_grow(m);
	m->log[m->log_seq % m->log_cap] = (struct log_entry){ id, (uint32_t)t };
	m->log_seq++;
}

uint64_t model_log_seq(const struct dc_model *m)
{
	return m->log_seq;
}

bool model_log_since(const struct dc_model *m, uint64_t since, unsigned mask,
                     void (*fn)(void *ud, enum dc_table t, int64_t id), void *ud)
{
	if (since < m->log_floor || since > m->log_seq || m->log_seq - since > m->log_cap)
		return false;
	for (uint64_t q = since; q < m->log_seq; q++) {
		const struct log_entry *e = &m->log[q % m->log_cap];
		if (mask & DC_MASK(e->table))
			fn(ud, (enum dc_table)e->table, e->id);
	}
	return true;
}

void model_log_hold(struct dc_model *m, uint64_t seq, size_t max)
{
	m->log_hold = seq;
	m->log_hold_max = max;
}

static int64_t slot_id(const void *ctx, uint32_t slot)
{
	const struct table *tb = ctx;
	return row_i64(tb->rows[slot], tb->id_off);
}

/* An empty table t (its id index keyless, see idmap.h). */
static void table_init(struct dc_model *m, enum dc_table t)
{
	struct table *tb = &m->t[t];
	memset(tb, 0, sizeof *tb);
	tb->id_off = tables[t].id_off;
	idmap_keyless(&tb->ids, slot_id, tb);
}

struct dc_model *model_new(void)
{
	struct dc_model *m = xcalloc(1, sizeof(struct dc_model));
	m->log_cap = DC_LOG_CAP;
	for (int t = 0; t < DC_T_COUNT; t++)
		table_init(m, (enum dc_table)t);
	return m;
}

static void pends_free(struct dc_model *m)
{
	for (size_t i = 0; i < m->npends; i++)
		free(m->pends[i].v);
	free(m->pends);
	m->pends = NULL;
	m->npends = m->cappends = 0;
	idmap_free(&m->pend_ix);
}

void model_clear(struct dc_model *m)
{
	for (int t = 0; t < DC_T_COUNT; t++) {
		struct table *tb = &m->t[t];
		for (size_t i = 0; i < tb->n; i++)
			model_row_free((enum dc_table)t, tb->rows[i]);
		free(tb->rows);
		idmap_free(&tb->ids);
		table_init(m, (enum dc_table)t);
	}
	pends_free(m);
	m->version = 0;
	m->newest_report = 0;
	/* whatever a view saw before is gone: even a reader fully caught up
	 * (since == seq) must now rebuild, so the clear takes a number of its own */
	m->log_floor = ++m->log_seq;
}

void model_free(struct dc_model *m)
{
	if (!m)
		return;
	model_clear(m);
	free(m->log);
	free(m);
}

size_t model_count(const struct dc_model *m, enum dc_table t)
{
	return m->t[t].n;
}

const void *model_row(const struct dc_model *m, enum dc_table t, size_t i)
{
	return i < m->t[t].n ? m->t[t].rows[i] : NULL;
}

static void *row_get(const struct dc_model *m, enum dc_table t, int64_t id)
{
	if (!tables[t].has_id)
		return NULL;
	const uint32_t *slot = idmap_get(&m->t[t].ids, id);
	return slot ? m->t[t].rows[*slot] : NULL;
}

#define NO_SLOT SIZE_MAX

/* The slot of id in table tb (one with ids), or NO_SLOT. The writers'
 * lookup: a batch comes sorted by id (the relay's, and a delta read's
 * tables are in id order too), and a table loaded in id order holds its
 * rows in slots in id order, so the slot the last lookup found, moved by
 * the difference of the ids, is tried first: one row read, usually in
 * cache after its neighbour, instead of the index's two random reads
 * (its slot array, then the row behind it). The index answers when the
 * guess is wrong. */
static size_t slot_find(struct table *tb, int64_t id)
{
	size_t guess = tb->hint_slot + (size_t)((uint64_t)id - (uint64_t)tb->hint_id);
	if (!(guess < tb->n && row_i64(tb->rows[guess], tb->id_off) == id)) {
		const uint32_t *slot = idmap_get(&tb->ids, id);
		if (!slot)
			return NO_SLOT;
		guess = *slot;
	}
	tb->hint_id = id;
	tb->hint_slot = guess;
	return guess;
}

/* row_get for the writers (slot_find's guess first). */
static void *row_find(struct dc_model *m, enum dc_table t, int64_t id)
{
	if (!tables[t].has_id)
		return NULL;
	size_t slot = slot_find(&m->t[t], id);
	return slot == NO_SLOT ? NULL : m->t[t].rows[slot];
}

const void *model_get(const struct dc_model *m, enum dc_table t, int64_t id)
{
	return row_get(m, t, id);
}

static struct dc_setting *setting_find(const struct dc_model *m, const char *key, size_t *slot)
{
	const struct table *tb = &m->t[DC_T_SETTING];
	for (size_t i = 0; i < tb->n; i++) {
		struct dc_setting *s = tb->rows[i];
		if (s->key && key && strcmp(s->key, key) == 0) {
			if (slot)
				*slot = i;
			return s;
		}
	}
	return NULL;
}

const char *model_setting(const struct dc_model *m, const char *key)
{
	const struct dc_setting *s = setting_find(m, key, NULL);
	return s ? s->value : NULL;
}

const struct dc_quota *model_quota_of(const struct dc_model *m, int64_t tenant_id)
{
	/* quotas are one per tenant and few (hundreds): a scan is cheaper than an index */
	const struct table *tb = &m->t[DC_T_QUOTA];
	for (size_t i = 0; i < tb->n; i++) {
		const struct dc_quota *q = tb->rows[i];
		if (q->tenant_id == tenant_id)
			return q;
	}
	return NULL;
}

static const struct dc_node *node_named(const struct dc_model *m, const char *name, size_t len)
{
	const struct table *tb = &m->t[DC_T_NODE];
	for (size_t i = 0; i < tb->n; i++) {
		const struct dc_node *nd = tb->rows[i];
		if (strlen(nd->name) == len && memcmp(nd->name, name, len) == 0)
			return nd;
	}
	return NULL;
}

size_t model_incident_proposal(const struct dc_model *m, const struct dc_incident *i, int64_t *ids,
                               size_t max)
{
	size_t n = 0;
	if (i->state == DC_INC_RESOLVED)
		return 0;
	for (const char *p = i->proposed_drain ? i->proposed_drain : ""; *p && n < max;) {
		size_t len = strcspn(p, " ");
		const struct dc_node *nd = len ? node_named(m, p, len) : NULL;
		if (nd && nd->admin == DC_ADMIN_ACTIVE)
			ids[n++] = nd->id;
		p += len + (p[len] == ' ');
	}
	return n;
}

int64_t model_newest_report(const struct dc_model *m)
{
	return m->newest_report;
}

int64_t model_version(const struct dc_model *m)
{
	return m->version;
}

unsigned model_loading(const struct dc_model *m)
{
	return m->loading;
}

void model_set_loading(struct dc_model *m, unsigned mask)
{
	m->loading = mask;
}

/* ---- derived: nodes from GPUs ---- */

bool dc_node_schedulable(const struct dc_node *n)
{
	return n->admin == DC_ADMIN_ACTIVE && n->health != DC_HEALTH_FAIL &&
	       (n->sched == DC_SCHED_IDLE || n->sched == DC_SCHED_MIXED || n->sched == DC_SCHED_ALLOCATED);
}

/* Where a node's unallocated GPUs count: free, or out of service. */
static int *part_idle_slot(struct dc_partition *p, const struct dc_node *n)
{
	return dc_node_schedulable(n) ? &p->gpus_free : &p->gpus_out;
}

static void node_contrib(struct dc_model *m, const struct dc_node *n, int sign)
{
	struct dc_partition *p = row_get(m, DC_T_PARTITION, n->partition_id);
	if (!p)
		return;
	p->nodes += sign;
	p->gpus_total += sign * n->gpu_count;
	p->gpus_used += sign * n->gpus_used;
	*part_idle_slot(p, n) += sign * (n->gpu_count - n->gpus_used);
	p->nodes_draining += sign * (n->admin == DC_ADMIN_DRAINING);
	p->nodes_drained += sign * (n->admin == DC_ADMIN_DRAINED);
	p->nodes_down += sign * (n->sched == DC_SCHED_DOWN);
}

/* The node's GPUs in use went from `before` to n->gpus_used. */
static void part_used_moved(struct dc_model *m, const struct dc_node *n, int before)
{
	struct dc_partition *p = row_get(m, DC_T_PARTITION, n->partition_id);
	if (!p)
		return;
	p->gpus_used += n->gpus_used - before;
	*part_idle_slot(p, n) -= n->gpus_used - before;
}

static void node_aggregate(struct dc_node *n)
{
	int used = 0, count = 0, util = 0, temp = 0, xid = 0;
	int64_t xid_at = 0;
	for (int i = 0; i < n->gpu_slots; i++) {
		const struct dc_gpu *g = n->gpus[i];
		if (!g)
			continue;
		count++;
		used += g->job_id != 0;
		util += g->util_pct;
		if (g->temp_c > temp)
			temp = g->temp_c;
		if (g->last_xid && g->last_xid_at >= xid_at) {
			xid = g->last_xid;
			xid_at = g->last_xid_at;
		}
	}
	n->gpus_used = used;
	n->gpus_known = count;
	n->util_sum = util;
	n->util_mean = count ? (util + count / 2) / count : 0;
	n->temp_max = temp;
	n->last_xid = xid;
	n->last_xid_at = xid_at;
}

/* Puts g into its node's slot (attach) or takes it out, then re-derives
 * the node. A replaced GPU row (same node and slot) is one attach: the new
 * row simply takes the slot. */
static void gpu_attach(struct dc_model *m, struct dc_gpu *g, bool attach)
{
	if (g->idx < 0 || g->idx >= DC_MAX_GPUS_PER_NODE)
		return;
	struct dc_node *n = row_get(m, DC_T_NODE, g->node_id);
	if (!n)
		return;
	if (attach) {
		if (g->idx >= n->gpu_slots) {
			int slots = g->idx + 1 > n->gpu_count ? g->idx + 1 : n->gpu_count;
			n->gpus = xrealloc(n->gpus, (size_t)slots * sizeof *n->gpus);
			memset(n->gpus + n->gpu_slots, 0, (size_t)(slots - n->gpu_slots) * sizeof *n->gpus);
			n->gpu_slots = slots;
		}
		n->gpus[g->idx] = g;
	} else if (g->idx < n->gpu_slots && n->gpus[g->idx] == g) {
		n->gpus[g->idx] = NULL;
	} else {
		return;
	}
	int before = n->gpus_used;
	node_aggregate(n);
	part_used_moved(m, n, before);
}

/* A GPU row replaced in its slot (the bulk of the change feed): g's bytes
 * are copied over the held row `cur` (no row allocated, freed or moved,
 * so the next batch finds the same cache lines), and the node's figures
 * move by the difference; a scan of its GPUs only when the old row may
 * have set the hottest temperature or the newest Xid. Returns false,
 * doing nothing, when it is not such a replace (the caller detaches and
 * attaches). */
static bool gpu_replace(struct dc_model *m, struct dc_gpu *cur, const struct dc_gpu *g)
{
	if (cur->node_id != g->node_id || cur->idx != g->idx)
		return false;
	struct dc_node *n = row_find(m, DC_T_NODE, g->node_id);
	if (!n || g->idx < 0 || g->idx >= n->gpu_slots || n->gpus[g->idx] != cur)
		return false;
	const struct dc_gpu was = *cur, *old = &was;
	*cur = *g;
	int before = n->gpus_used;
	/* an Xid the row keeps (the usual telemetry update) moves nothing */
	bool xid_same = g->last_xid == old->last_xid && g->last_xid_at == old->last_xid_at;
	bool rescan = (old->temp_c == n->temp_max && g->temp_c < old->temp_c) ||
	              (!xid_same && ((old->last_xid && old->last_xid_at == n->last_xid_at) ||
	                             (g->last_xid && g->last_xid_at == n->last_xid_at)));
	if (rescan) {
		node_aggregate(n);
	} else {
		n->gpus_used += (g->job_id != 0) - (old->job_id != 0);
		n->util_sum += g->util_pct - old->util_pct;
		n->util_mean = n->gpus_known ? (n->util_sum + n->gpus_known / 2) / n->gpus_known : 0;
		if (g->temp_c > n->temp_max)
			n->temp_max = g->temp_c;
		if (g->last_xid && g->last_xid_at > n->last_xid_at) {
			n->last_xid = g->last_xid;
			n->last_xid_at = g->last_xid_at;
		}
	}
	part_used_moved(m, n, before);
	return true;
}

/* ---- derived: partitions and tenants from jobs ---- */

static struct pend_heap *pend_heap_of(struct dc_model *m, int64_t partition_id)
{
	uint32_t *ix = idmap_get(&m->pend_ix, partition_id);
	if (ix)
		return &m->pends[*ix];
	m->pends = xgrow(m->pends, &m->cappends, m->npends + 1, sizeof *m->pends);
	idmap_put(&m->pend_ix, partition_id, (uint32_t)m->npends);
	struct pend_heap *h = &m->pends[m->npends++];
	*h = (struct pend_heap){ .partition_id = partition_id };
	return h;
}

static bool pend_before(const struct pend *a, const struct pend *b)
{
	return a->submit < b->submit || (a->submit == b->submit && a->job_id < b->job_id);
}

static void pend_down(struct pend_heap *h, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, b = i;
		if (c < h->n && pend_before(&h->v[c], &h->v[b]))
			b = c;
		if (c + 1 < h->n && pend_before(&h->v[c + 1], &h->v[b]))
			b = c + 1;
		if (b == i)
			return;
		struct pend t = h->v[i];
		h->v[i] = h->v[b];
		h->v[b] = t;
		i = b;
	}
}

static void pend_push(struct pend_heap *h, int64_t submit, int64_t job_id)
{
	h->v = xgrow(h->v, &h->cap, h->n + 1, sizeof *h->v);
	size_t i = h->n++;
	h->v[i] = (struct pend){ submit, job_id };
	while (i > 0 && pend_before(&h->v[i], &h->v[(i - 1) / 2])) {
		struct pend t = h->v[i];
		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static bool pend_valid(const struct dc_model *m, const struct pend_heap *h, const struct pend *e)
{
	const struct dc_job *j = row_get(m, DC_T_JOB, e->job_id);
	return j && j->state == DC_JOB_PENDING && j->partition_id == h->partition_id &&
	       j->submit_at == e->submit;
}

static void pend_settle(struct dc_model *m, struct pend_heap *h)
{
	if (h->n > 2 * h->live + 64) {
		size_t k = 0;
		for (size_t i = 0; i < h->n; i++)
			if (pend_valid(m, h, &h->v[i]))
				h->v[k++] = h->v[i];
		h->n = k;
		for (size_t i = h->n / 2; i-- > 0;)
			pend_down(h, i);
	}
	while (h->n > 0 && !pend_valid(m, h, &h->v[0])) {
		h->v[0] = h->v[--h->n];
		pend_down(h, 0);
	}
	struct dc_partition *p = row_get(m, DC_T_PARTITION, h->partition_id);
	if (p)
		p->oldest_pending_submit = h->n ? h->v[0].submit : 0;
}

static void job_contrib(struct dc_model *m, const struct dc_job *j, int sign)
{
	bool run = j->state == DC_JOB_RUNNING, pend = j->state == DC_JOB_PENDING;
	if (!run && !pend)
		return;
	struct dc_partition *p = row_get(m, DC_T_PARTITION, j->partition_id);
	if (p) {
		p->jobs_running += sign * run;
		p->jobs_pending += sign * pend;
		p->gpus_pending += sign * (pend ? j->gpus : 0);
	}
	struct dc_tenant *t = row_get(m, DC_T_TENANT, j->tenant_id);
	if (t) {
		t->gpus_running += sign * (run ? j->gpus : 0);
		t->jobs_running += sign * run;
		t->jobs_pending += sign * pend;
	}
	if (!pend)
		return;
	struct pend_heap *h = pend_heap_of(m, j->partition_id);
	if (sign > 0)
		h->live++;
	else if (h->live > 0)
		h->live--;
}

static bool pend_same(const struct dc_job *a, const struct dc_job *b)
{
	return a && a->state == DC_JOB_PENDING && b->state == DC_JOB_PENDING &&
	       a->partition_id == b->partition_id && a->submit_at == b->submit_at;
}

/* ---- table slots ---- */

static void table_insert(struct table *tb, int64_t id, bool has_id, void *row)
{
	tb->rows = xgrow(tb->rows, &tb->cap, tb->n + 1, sizeof *tb->rows);
	tb->rows[tb->n] = row; /* first: the index reads the id through it */
	if (has_id)
		idmap_put(&tb->ids, id, (uint32_t)tb->n);
	tb->n++;
}

static void table_remove_slot(struct table *tb, size_t slot, const struct table_def *d)
{
	if (d->has_id)
		idmap_del(&tb->ids, row_i64(tb->rows[slot], d->id_off));
	tb->rows[slot] = tb->rows[--tb->n];
	if (slot < tb->n && d->has_id)
		idmap_put(&tb->ids, row_i64(tb->rows[slot], d->id_off), (uint32_t)slot);
}

/* Row-specific hooks around a replace: `old` may be NULL (insert) and `row`
 * may be NULL (delete). Called with old still indexed before, row indexed after. */
static void hook_before(struct dc_model *m, enum dc_table t, void *old, void *row)
{
	switch (t) {
	case DC_T_NODE:
		if (old)
			node_contrib(m, old, -1);
		if (old && row) { /* the derived slots move to the new row */
			struct dc_node *o = old, *n = row;
			free(n->gpus);
			n->gpus = o->gpus;
			n->gpu_slots = o->gpu_slots;
			o->gpus = NULL;
			o->gpu_slots = 0;
			/* and the figures derived from them: no rescan of its GPUs */
			n->gpus_used = o->gpus_used;
			n->util_mean = o->util_mean;
			n->temp_max = o->temp_max;
			n->last_xid = o->last_xid;
			n->last_xid_at = o->last_xid_at;
			n->gpus_known = o->gpus_known;
			n->util_sum = o->util_sum;
		}
		break;
	case DC_T_GPU:
		if (old)
			gpu_attach(m, old, false);
		/* the node it leaves changed too, and no GPU id leads to it now */
		if (old && (!row || ((struct dc_gpu *)row)->node_id != ((struct dc_gpu *)old)->node_id))
			log_change(m, DC_T_NODE, ((struct dc_gpu *)old)->node_id);
		break;
	case DC_T_JOB:
		if (old)
			job_contrib(m, old, -1);
		break;
	case DC_T_PARTITION:
		if (old && row) {
			struct dc_partition *o = old, *n = row;
			n->nodes = o->nodes;
			n->gpus_total = o->gpus_total;
			n->gpus_used = o->gpus_used;
			n->gpus_free = o->gpus_free;
			n->gpus_out = o->gpus_out;
			n->nodes_draining = o->nodes_draining;
			n->nodes_drained = o->nodes_drained;
			n->nodes_down = o->nodes_down;
			n->jobs_running = o->jobs_running;
			n->jobs_pending = o->jobs_pending;
			n->gpus_pending = o->gpus_pending;
			n->oldest_pending_submit = o->oldest_pending_submit;
		}
		break;
	case DC_T_TENANT:
		if (old && row) {
			struct dc_tenant *o = old, *n = row;
			n->gpus_running = o->gpus_running;
			n->jobs_running = o->jobs_running;
			n->jobs_pending = o->jobs_pending;
		}
		break;
	default:
		break;
	}
}

static void hook_after(struct dc_model *m, enum dc_table t, bool replaced, const void *old_copy_job,
                       void *row)
{
	switch (t) {
	case DC_T_NODE:
		if (row) {
			if (!replaced) /* a replaced node took its figures over (hook_before) */
				node_aggregate(row);
			node_contrib(m, row, +1);
		}
		break;
	case DC_T_GPU:
		if (row)
			gpu_attach(m, row, true);
		break;
	case DC_T_JOB: {
		const struct dc_job *old = old_copy_job;
		const struct dc_job *j = row;
		if (j) {
			job_contrib(m, j, +1);
			if (j->state == DC_JOB_PENDING && !pend_same(old, j))
				pend_push(pend_heap_of(m, j->partition_id), j->submit_at, j->id);
			pend_settle(m, pend_heap_of(m, j->partition_id));
		}
		if (old && (!j || old->partition_id != j->partition_id))
			pend_settle(m, pend_heap_of(m, old->partition_id));
		break;
	}
	default:
		break;
	}
}

/* The row's change-feed version; 0 for a table that keeps none. */
static int64_t row_version(enum dc_table t, const void *row)
{
	size_t off = tables[t].version_off;
	return off == NO_VERSION ? 0 : row_i64(row, off);
}

/* A re-read of what the model holds: the same version, or for a table
 * without one (GPU rows: no strings, no pointers) the same bytes. The
 * decoder's template is zeroed, padding included; a row whose padding
 * differs only counts as a change, which is safe. */
static bool same_row(enum dc_table t, const void *old, const void *row)
{
	if (tables[t].version_off == NO_VERSION)
		return tables[t].nstrs == 0 && memcmp(old, row, tables[t].size) == 0;
	int64_t v = row_version(t, row);
	return v != 0 && row_version(t, old) == v;
}

static void version_seen(struct dc_model *m, enum dc_table t, const void *row)
{
	int64_t v = row_version(t, row);
	if (v > m->version)
		m->version = v;
	if (t == DC_T_NODE && ((const struct dc_node *)row)->last_seen > m->newest_report)
		m->newest_report = ((const struct dc_node *)row)->last_seen;
}

/* The row the model holds at this row's id (or key), and its slot. */
static void *held(struct dc_model *m, enum dc_table t, const void *row, size_t *slot, size_t *key_slot)
{
	const struct table_def *d = &tables[t];
	struct table *tb = &m->t[t];
	if (!d->has_id) {
		const struct dc_setting *s = setting_find(m, ((const struct dc_setting *)row)->key, key_slot);
		return (void *)s;
	}
	*slot = slot_find(tb, row_i64(row, d->id_off));
	return *slot != NO_SLOT ? tb->rows[*slot] : NULL;
}

bool model_put(struct dc_model *m, enum dc_table t, void *row)
{
	const struct table_def *d = &tables[t];
	struct table *tb = &m->t[t];
	size_t slot = NO_SLOT, key_slot = 0;
	void *old = held(m, t, row, &slot, &key_slot);
	if (old && same_row(t, old, row)) {
		model_row_free(t, row); /* read again (txid >= xmin): already held */
		return false;
	}
	version_seen(m, t, row);
	log_change(m, t, d->has_id ? row_i64(row, d->id_off) : 0);
	if (!d->has_id) {
		if (old) {
			model_row_free(t, old);
			tb->rows[key_slot] = row;
		} else {
			table_insert(tb, 0, false, row);
		}
		return true;
	}
	int64_t id = row_i64(row, d->id_off);
	/* the job hooks compare against the old row after it is freed */
	struct dc_job old_job;
	if (old && t == DC_T_JOB)
		old_job = *(struct dc_job *)old;
	if (old && t == DC_T_GPU && gpu_replace(m, old, row)) {
		model_row_free(t, row); /* its bytes are in the held row now */
		return true;
	}
	hook_before(m, t, old, row);
	if (slot != NO_SLOT)
		tb->rows[slot] = row;
	else
		table_insert(tb, id, true, row);
	model_row_free(t, old);
	hook_after(m, t, old != NULL, old && t == DC_T_JOB ? &old_job : NULL, row);
	return true;
}

/* ---- model_put_many: a batch's cache misses overlapped ----
 * A change batch touches rows scattered over a model of tens of MB that
 * other processes have pushed out of cache. A GPU row put waited in turn
 * on its slot's line, its row, its node's slot, the node's lines and the
 * node's GPU array: five misses, one after the other (perf put 41% of a
 * relay console's time on slot_find's one load, then 73% of model_put's
 * on the GPU array). The batch is known up front and comes in id order,
 * so slot_find's guess is known for the rows ahead too. Each miss is
 * started some rows before the put needs it, reading only lines an
 * earlier stage fetched:
 *   WARM_SLOTS ahead  the slot lines (the row's, and a GPU's node's)
 *   WARM_ROWS ahead   the rows behind them (a node: the lines the GPU
 *                     figures live in)
 *   WARM_ARRAY ahead  a GPU's entry in its node's GPU array
 *   WARM_SIBLINGS     the node's other GPU rows, when the put will rescan
 *                     them (gpu_replace: the hottest GPU cooled)
 * so the misses overlap instead of queueing. Advisory only: a wrong guess
 * fetches a useless line, nothing else. always_inline: GCC 12 finds a
 * function whose only effects are prefetches pure and deletes its calls
 * (the prefetches were gone from the binary). */
enum { WARM_SLOTS = 16, WARM_ROWS = 10, WARM_ARRAY = 6, WARM_SIBLINGS = 3 };
#define WARM_INLINE static inline __attribute__((always_inline))

/* The row slot_find would try first for id, or NULL; its slot line with
 * want_row false (then it returns NULL: the line is only asked for). */
WARM_INLINE const char *warm_slot(const struct table *tb, int64_t id, bool want_row)
{
	size_t g = tb->hint_slot + (size_t)((uint64_t)id - (uint64_t)tb->hint_id);
	if (g >= tb->n)
		return NULL;
	if (!want_row) {
		__builtin_prefetch(&tb->rows[g]);
		return NULL;
	}
	return tb->rows[g];
}

WARM_INLINE void warm_put(const struct dc_model *m, enum dc_table t, const void *row, int stage)
{
	const struct table *tb = &m->t[t];
	const struct table *nodes = &m->t[DC_T_NODE];
	const struct dc_gpu *g = t == DC_T_GPU ? row : NULL;
	const char *held, *node;
	switch (stage) {
	case WARM_SLOTS:
		warm_slot(tb, row_i64(row, tb->id_off), false);
		if (g)
			warm_slot(nodes, g->node_id, false);
		break;
	case WARM_ROWS:
		if ((held = warm_slot(tb, row_i64(row, tb->id_off), true))) {
			__builtin_prefetch(held);
			if (!g) /* a GPU row is one line */
				__builtin_prefetch(held + 64);
		}
		if (g && (node = warm_slot(nodes, g->node_id, true))) {
			__builtin_prefetch(node + offsetof(struct dc_node, gpus));
			__builtin_prefetch(node + offsetof(struct dc_node, util_sum));
		}
		break;
	case WARM_ARRAY:
		if (g && (node = warm_slot(nodes, g->node_id, true))) {
			const struct dc_node *n = (const struct dc_node *)node;
			if (g->idx >= 0 && g->idx < n->gpu_slots)
				__builtin_prefetch(&n->gpus[g->idx]);
		}
		break;
	case WARM_SIBLINGS:
		if (g && (node = warm_slot(nodes, g->node_id, true)) &&
		    (held = warm_slot(tb, g->id, true))) {
			const struct dc_node *n = (const struct dc_node *)node;
			const struct dc_gpu *cur = (const struct dc_gpu *)held;
			if (cur->temp_c == n->temp_max && g->temp_c < cur->temp_c)
				for (int i = 0; i < n->gpu_slots; i++)
					__builtin_prefetch(n->gpus[i]);
		}
		break;
	}
}

bool model_put_many(struct dc_model *m, enum dc_table t, void **rows, size_t n)
{
	bool changed = false;
	bool ids = tables[t].has_id;
	for (size_t i = 0; i < n; i++) {
		if (ids) {
			if (i + WARM_SLOTS < n)
				warm_put(m, t, rows[i + WARM_SLOTS], WARM_SLOTS);
			if (i + WARM_ROWS < n)
				warm_put(m, t, rows[i + WARM_ROWS], WARM_ROWS);
			if (i + WARM_ARRAY < n)
				warm_put(m, t, rows[i + WARM_ARRAY], WARM_ARRAY);
			if (i + WARM_SIBLINGS < n)
				warm_put(m, t, rows[i + WARM_SIBLINGS], WARM_SIBLINGS);
		}
		changed |= model_put(m, t, rows[i]);
	}
	return changed;
}

void model_delete(struct dc_model *m, enum dc_table t, int64_t id)
{
	const struct table_def *d = &tables[t];
	struct table *tb = &m->t[t];
	uint32_t *slot = idmap_get(&tb->ids, id);
	if (!d->has_id || !slot)
		return;
	log_change(m, t, id);
	void *old = tb->rows[*slot];
	struct dc_job old_job;
	if (t == DC_T_JOB)
		old_job = *(struct dc_job *)old;
	hook_before(m, t, old, NULL);
	table_remove_slot(tb, *slot, d);
	model_row_free(t, old);
	hook_after(m, t, false, t == DC_T_JOB ? &old_job : NULL, NULL);
}

/* (time, id), newest first: the order in which rows are kept. */
struct aged { int64_t at, id; };

static int cmp_aged_desc(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;
	if (x->at != y->at)
		return (x->at < y->at) - (x->at > y->at);
	return (x->id < y->id) - (x->id > y->id);
}

/* Deletes the rows of table t beyond the keep newest of v[0..n) (sorted
 * here); returns whether it deleted any. */
static bool keep_newest(struct dc_model *m, enum dc_table t, struct aged *v, size_t n, size_t keep)
{
	if (n <= keep)
		return false;
	qsort(v, n, sizeof *v, cmp_aged_desc);
	for (size_t i = keep; i < n; i++)
		model_delete(m, t, v[i].id);
	return true;
}

static bool job_ended(const struct dc_job *j)
{
	return j->state != DC_JOB_PENDING && j->state != DC_JOB_RUNNING;
}

unsigned model_prune(struct dc_model *m, const struct dc_keep *keep)
{
	unsigned mask = 0;
	struct table *jt = &m->t[DC_T_JOB];
	size_t ended = 0;
	for (size_t i = jt->n; i-- > 0;) {
		const struct dc_job *j = jt->rows[i];
		if (!job_ended(j))
			continue;
		if (j->end_at && j->end_at < keep->job_cutoff) {
			model_delete(m, DC_T_JOB, j->id); /* moves the last row into slot i */
			mask |= DC_MASK(DC_T_JOB);
		} else {
			ended++;
		}
	}
	if (ended > keep->ended_jobs) {
		struct aged *v = xmalloc(ended * sizeof *v);
		size_t n = 0;
		for (size_t i = 0; i < jt->n; i++) {
			const struct dc_job *j = jt->rows[i];
			if (job_ended(j))
				v[n++] = (struct aged){ j->end_at, j->id };
		}
		if (keep_newest(m, DC_T_JOB, v, n, keep->ended_jobs))
			mask |= DC_MASK(DC_T_JOB);
		free(v);
	}
	/* audit rows arrive one per operator action: prune in bulk, rarely */
	struct table *at = &m->t[DC_T_AUDIT];
	if (at->n > 2 * keep->audit) {
		struct aged *v = xmalloc(at->n * sizeof *v);
		size_t n = at->n;
		for (size_t i = 0; i < n; i++)
			v[i] = (struct aged){ 0, ((const struct dc_audit *)at->rows[i])->id };
		if (keep_newest(m, DC_T_AUDIT, v, n, keep->audit))
			mask |= DC_MASK(DC_T_AUDIT);
		free(v);
	}
	return mask;
}

void model_reserve(struct dc_model *m, enum dc_table t, size_t n)
{
	struct table *tb = &m->t[t];
	if (n > tb->cap) {
		tb->rows = xrealloc(tb->rows, n * sizeof *tb->rows);
		tb->cap = n;
	}
	if (tables[t].has_id)
		idmap_reserve(&tb->ids, n);
}

/* ---- rows on a wire (model.h) ---- */

#define WIRE_NULL 0xFFFFFFFFu

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ull;
	return h;
}

uint64_t model_layout_fingerprint(void)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, DC_T_COUNT);
	for (int t = 0; t < DC_T_COUNT; t++) {
		const struct table_def *d = &tables[t];
		h = fnv(fnv(fnv(h, d->size), d->nstrs), d->id_off);
		h = fnv(fnv(fnv(h, d->version_off), d->derived_off), d->derived_end);
		for (size_t i = 0; i < d->nstrs; i++)
			h = fnv(h, d->strs[i]);
	}
	return h;
}

int64_t model_row_id(enum dc_table t, const void *row)
{
	return tables[t].has_id ? row_i64(row, tables[t].id_off) : 0;
}

size_t model_row_wire_size(enum dc_table t, const void *row)
{
	const struct table_def *d = &tables[t];
	size_t n = d->size;
	for (size_t i = 0; i < d->nstrs; i++) {
		const char *str = row_str(row, d->strs[i]);
		n += 4 + (str ? strlen(str) : 0);
	}
	return n;
}

/* What a row's bytes may not carry from one process to another. */
static void wire_scrub(const struct table_def *d, unsigned char *fixed)
{
	static const char *const none;
	for (size_t i = 0; i < d->nstrs; i++)
		memcpy(fixed + d->strs[i], &none, sizeof none);
	if (d->derived_end > d->derived_off)
		memset(fixed + d->derived_off, 0, d->derived_end - d->derived_off);
}

void model_row_wire_encode(enum dc_table t, const void *row, unsigned char *out)
{
	const struct table_def *d = &tables[t];
	memcpy(out, row, d->size);
	wire_scrub(d, out);
	unsigned char *p = out + d->size;
	for (size_t i = 0; i < d->nstrs; i++) {
		const char *str = row_str(row, d->strs[i]);
		size_t len = str ? strlen(str) : 0;
		put_u32(p, str ? (uint32_t)len : WIRE_NULL);
		if (len)
			memcpy(p + 4, str, len);
		p += 4 + len;
	}
}

/* A field off the wire that may hold only some values: an enum (views
 * index tables by it) or a bool (any byte but 0 or 1 is undefined
 * behaviour to read as one, so it is looked at as a byte). */
struct wire_field { enum dc_table t; const char *name; size_t off; unsigned limit; bool byte; };
#define WIRE_ENUM(t, type, f, names) { t, #f, offsetof(struct type, f), DC_ARRAY_LEN(names), false }
#define WIRE_BOOL(t, type, f) { t, #f, offsetof(struct type, f), 2, true }
static const struct wire_field wire_fields[] = {
	WIRE_ENUM(DC_T_NODE, dc_node, sched, sched_names),
	WIRE_ENUM(DC_T_NODE, dc_node, admin, admin_names),
	WIRE_ENUM(DC_T_NODE, dc_node, health, health_names),
	WIRE_BOOL(DC_T_GPU, dc_gpu, remap_pending),
	WIRE_BOOL(DC_T_GPU, dc_gpu, metrics_stale),
	WIRE_ENUM(DC_T_JOB, dc_job, state, job_state_names),
	WIRE_ENUM(DC_T_INCIDENT, dc_incident, state, inc_state_names),
	WIRE_ENUM(DC_T_ACTION, dc_action, status, action_status_names),
};
#undef WIRE_ENUM
#undef WIRE_BOOL
_Static_assert(sizeof(enum dc_sched) == sizeof(int) && sizeof(enum dc_admin) == sizeof(int) &&
               sizeof(enum dc_health) == sizeof(int) && sizeof(enum dc_job_state) == sizeof(int) &&
               sizeof(enum dc_inc_state) == sizeof(int) && sizeof(enum dc_action_status) == sizeof(int),
               "wire_field_bad reads enums as int");

/* The first field of a t row out of its range, or NULL; its value in *v. */
static const struct wire_field *wire_field_bad(enum dc_table t, const unsigned char *row, unsigned *v)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(wire_fields); i++) {
		const struct wire_field *f = &wire_fields[i];
		if (f->t != t)
			continue;
		unsigned char b;
		int e;
		if (f->byte) {
			memcpy(&b, row + f->off, 1);
			*v = b;
		} else {
			memcpy(&e, row + f->off, sizeof e); /* enums are int-sized here */
			*v = (unsigned)e;
		}
		if (*v >= f->limit)
			return f;
	}
	return NULL;
}

/* Checks the strings after the fixed part; their packed size in *packed. */
static bool wire_strs_ok(const struct table_def *d, const unsigned char *in, size_t len,
                         size_t *used, size_t *packed, char *err, size_t errlen)
{
	size_t off = d->size;
	*packed = d->size;
	for (size_t i = 0; i < d->nstrs; i++) {
		if (len - off < 4) {
			snprintf(err, errlen, "string %zu of %zu: length cut off at offset %zu (row is %zu bytes)",
			         i + 1, d->nstrs, off, len);
			return false;
		}
		uint32_t n = get_u32(in + off);
		off += 4;
		if (n == WIRE_NULL)
			continue;
		if (n > len - off) {
			snprintf(err, errlen, "string %zu of %zu: length %u at offset %zu runs past the row's %zu bytes",
			         i + 1, d->nstrs, n, off - 4, len);
			return false;
		}
		if (memchr(in + off, '\0', n)) {
			snprintf(err, errlen, "string %zu of %zu at offset %zu holds a NUL byte", i + 1, d->nstrs, off);
			return false;
		}
		off += n;
		*packed += n + 1;
	}
	*used = off;
	return true;
}

void *model_row_wire_decode(enum dc_table t, const unsigned char *in, size_t len, size_t *used,
                            char *err, size_t errlen)
{
	if ((unsigned)t >= DC_T_COUNT) {
		snprintf(err, errlen, "table %d is not one of the %d tables", (int)t, DC_T_COUNT);
		return NULL;
	}
	const struct table_def *d = &tables[t];
	size_t packed;
	if (len < d->size) {
		snprintf(err, errlen, "row of %zu bytes is shorter than its fixed part (%zu)", len, d->size);
		return NULL;
	}
	if (!wire_strs_ok(d, in, len, used, &packed, err, errlen))
		return NULL;
	unsigned char *row = t == DC_T_GPU ? (unsigned char *)gpu_row_alloc() : xmalloc(packed);
	memcpy(row, in, d->size);
	wire_scrub(d, row);
	unsigned v;
	const struct wire_field *bad = wire_field_bad(t, row, &v);
	if (bad) {
		model_row_free(t, row);
		snprintf(err, errlen, "field %s at offset %zu holds %u (%s)", bad->name, bad->off, v,
		         bad->byte ? "a bool is 0 or 1" : "not one of its values");
		return NULL;
	}
	char *tail = (char *)row + d->size;
	size_t off = d->size;
	for (size_t i = 0; i < d->nstrs; i++) {
		uint32_t n = get_u32(in + off);
		off += 4;
		char *dst = NULL;
		if (n != WIRE_NULL) {
			dst = tail;
			memcpy(dst, in + off, n);
			dst[n] = '\0';
			tail += n + 1;
			off += n;
		}
		memcpy(row + d->strs[i], &dst, sizeof dst);
	}
	return row;
}
