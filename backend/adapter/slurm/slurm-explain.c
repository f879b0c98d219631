/* slurm-explain.c — pending reasons into sentences (see slurm-explain.h).
 * Every untrusted string goes through "%s"; the formats are literals. */
#include "slurm-explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slurm-map.h"
#include "slurm-text.h"
#include "util.h"

#define LIST_MAX 5 /* nodes or jobs named in one sentence */

const char *slurm_tenant_name(const struct slurm_assoc_set *a, const char *account)
{
	const struct slurm_account *acc = slurm_find_account(a, account);
	return acc && acc->description[0] ? acc->description : account;
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ---- the cycle's memo: each total computed once, on first need ---- */

/* Byte-string keys to pointers, open addressing. */
struct map_ent {
	char *key;
	size_t len;
	void *val;
};
struct map {
	struct map_ent *e;
	size_t cap, n;
	bool built;
	bool owns;   /* the values are malloc'd and freed with the map */
};

static uint64_t map_hash(const char *k, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return h;
}

static struct map_ent *map_find(const struct map *m, const char *k, size_t len)
{
	if (!m->cap)
		return NULL;
	for (size_t h = map_hash(k, len) & (m->cap - 1);; h = (h + 1) & (m->cap - 1)) {
		struct map_ent *e = &m->e[h];
		if (!e->key || (e->len == len && memcmp(e->key, k, len) == 0))
			return e;
	}
}

static void map_grow(struct map *m)
{
	struct map old = *m;
	m->cap = m->cap ? m->cap * 2 : 64;
	m->e = xcalloc(m->cap, sizeof *m->e);
	for (size_t i = 0; i < old.cap; i++)
		if (old.e[i].key)
			*map_find(m, old.e[i].key, old.e[i].len) = old.e[i];
	free(old.e);
}

/* The value slot of k, added (NULL) when absent. */
static void **map_slot(struct map *m, const char *k, size_t len)
{
	if ((m->n + 1) * 2 > m->cap)
		map_grow(m);
	struct map_ent *e = map_find(m, k, len);
	if (!e->key) {
		e->key = xmalloc(len + 1);
		memcpy(e->key, k, len);
		e->key[len] = '\0';
		e->len = len;
		m->n++;
	}
	return &e->val;
}

static void *map_get(const struct map *m, const char *k, size_t len)
{
	const struct map_ent *e = map_find(m, k, len);
	return e && e->key ? e->val : NULL;
}

static void map_free(struct map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->e[i].key);
		if (m->owns)
			free(m->e[i].val);
	}
	free(m->e);
	*m = (struct map){ 0 };
}

static void *str_get(const struct map *m, const char *k)
{
	return map_get(m, k, strlen(k));
}

/* GPUs held by running jobs, filtered by account and/or user ("" = any). */
struct usage {
	int64_t gpus, jobs, run_mins; /* run_mins: GPU-minutes left in their time limits */
};

/* Totals over a partition list's nodes, for Resources. */
struct label_count {
	const char *label;
	int64_t n;
};
struct part_nodes {
	int64_t free_gpus, total, largest, nodes, free_nodes;
	struct label_count out[24];
};

/* Pending jobs sharing a partition list, by priority, for Priority. */
struct part_queue {
	size_t n;
	int64_t *prio;   /* descending */
	int64_t *gpus;   /* gpus[i]: GPUs of the first i jobs */
};

struct slurm_explain_cycle {
	const struct slurm_snap *s;
	int64_t now;
	struct map usage;        /* usage_key -> struct usage */
	struct map account;      /* account name -> its own association */
	struct map user_assoc;   /* account \0 user -> the user's association */
	struct map tenant;       /* account name -> struct slurm_account, the first */
	struct map used_ix;      /* account name -> 1 + index in accounts, the last */
	struct map nodes;        /* node name -> struct slurm_node */
	struct map jobs;         /* job id -> struct slurm_job */
	struct map part_nodes;   /* job's partition list -> struct part_nodes */
	struct map part_queue;   /* job's partition list -> struct part_queue */
};

static void assocs_index(struct slurm_explain_cycle *x)
{
	const struct slurm_assoc_set *as = x->s->assocs;
	x->account.built = true;
	for (size_t i = 0; as && i < as->n; i++) {
		const struct slurm_assoc *a = &as->items[i];
		if (!a->user[0] && !a->partition[0]) {
			void **v = map_slot(&x->account, a->account, strlen(a->account));
			if (!*v)
				*v = (void *)a;
		}
		struct sb k = { 0 };
		sb_appendn(&k, a->account, strlen(a->account) + 1);
		sb_append(&k, a->user);
		void **v = map_slot(&x->user_assoc, k.buf, k.len);
		/* "" partition preferred, else the first */
		if (!*v || (((const struct slurm_assoc *)*v)->partition[0] && !a->partition[0]))
			*v = (void *)a;
		sb_free(&k);
	}
	for (size_t i = 0; as && i < as->n_accounts; i++) {
		void **v = map_slot(&x->tenant, as->accounts[i].name, strlen(as->accounts[i].name));
		if (!*v)
			*v = &as->accounts[i];
		*map_slot(&x->used_ix, as->accounts[i].name, strlen(as->accounts[i].name)) = (void *)(uintptr_t)(i + 1);
	}
}

/* The account's own association (as slurm_find_account_assoc). */
static const struct slurm_assoc *own_assoc(struct slurm_explain_cycle *x, const char *account)
{
	if (!x->account.built)
		assocs_index(x);
	return str_get(&x->account, account);
}

static const struct slurm_assoc *user_assoc(struct slurm_explain_cycle *x, const char *account, const char *user)
{
	if (!x->account.built)
		assocs_index(x);
	struct sb k = { 0 };
	sb_appendn(&k, account, strlen(account) + 1);
	sb_append(&k, user);
	const struct slurm_assoc *a = map_get(&x->user_assoc, k.buf, k.len);
	sb_free(&k);
	return a;
}

/* The tenant's display name (as slurm_tenant_name). */
static const char *tenant_of(struct slurm_explain_cycle *x, const char *account)
{
	if (!x->account.built)
		assocs_index(x);
	const struct slurm_account *acc = str_get(&x->tenant, account);
	return acc && acc->description[0] ? acc->description : account;
}

/* The key of a usage filter: '*' for any, '=' and the name for one. */
static void usage_key(struct sb *k, const char *account, const char *user)
{
	sb_appendn(k, account[0] ? "=" : "*", 1);
	sb_appendn(k, account, strlen(account) + 1);
	sb_appendn(k, user[0] ? "=" : "*", 1);
	sb_append(k, user);
}

static void usage_add(struct slurm_explain_cycle *x, const char *account, const char *user,
		const struct usage *u)
{
	struct sb k = { 0 };
	usage_key(&k, account, user);
	void **v = map_slot(&x->usage, k.buf, k.len);
	sb_free(&k);
	if (!*v)
		*v = xcalloc(1, sizeof(struct usage));
	struct usage *t = *v;
	t->gpus += u->gpus;
	t->jobs += u->jobs;
	t->run_mins += u->run_mins;
}

/* One pass over the running jobs: each counts for its user, for every
 * account from its own up the tree (at most 16 levels, each once), and
 * for both together. */
static void usage_build(struct slurm_explain_cycle *x)
{
	const struct slurm_snap *s = x->s;
	x->usage.built = true;
	x->usage.owns = true;
	for (size_t i = 0; s->jobs && i < s->jobs->n; i++) {
		const struct slurm_job *j = &s->jobs->items[i];
		if (j->state != DC_JOB_RUNNING || j->gpus <= 0)
			continue;
		struct usage u = { j->gpus, 1, 0 };
		if (j->time_limit_min > 0 && j->time_limit_min != SLURM_INFINITE && j->start_time > 0) {
			int64_t left = j->time_limit_min - (x->now - j->start_time) / 60;
			u.run_mins = (left > 0 ? left : 0) * j->gpus;
		}
		usage_add(x, "", "", &u);
		if (j->user[0])
			usage_add(x, "", j->user, &u);
		const char *chain[16];
		size_t n = 0;
		const char *acct = j->account;
		for (int depth = 0; acct[0] && depth < 16; depth++) {
			bool seen = false;
			for (size_t k = 0; k < n; k++)
				seen |= strcmp(chain[k], acct) == 0;
			if (!seen) {
				chain[n++] = acct;
				usage_add(x, acct, "", &u);
				if (j->user[0])
					usage_add(x, acct, j->user, &u);
			}
			const struct slurm_assoc *a = own_assoc(x, acct);
			if (!a)
				break;
			acct = a->parent_account;
		}
	}
}

/* GPUs held by running jobs of account (and the accounts under it) and/or
 * user; "" = any. */
static struct usage running(struct slurm_explain_cycle *x, const char *account, const char *user)
{
	if (!x->usage.built)
		usage_build(x);
	struct sb k = { 0 };
	usage_key(&k, account, user);
	const struct usage *u = map_get(&x->usage, k.buf, k.len);
	sb_free(&k);
	return u ? *u : (struct usage){ 0, 0, 0 };
}

static void gpu_hours(struct sb *sb, int64_t mins)
{
	sb_appendf(sb, "%.1f GPU-hours", (double)mins / 60.0);
}

static void append_job_count(struct sb *sb, int64_t gpus, int64_t jobs)
{
	sb_appendf(sb, "%lld in use by %lld %s", (long long)gpus, (long long)jobs, plural(jobs, "job", "jobs"));
}

/* ---- quotas ---- */

static void explain_assoc_gres(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	const char *tenant = tenant_of(x, j->account);
	const struct slurm_assoc *ua = user_assoc(x, j->account, j->user);
	if (ua && ua->grp_gpus >= 0) {
		struct usage u = running(x, j->account, j->user);
		if (u.gpus + j->gpus > ua->grp_gpus) {
			sb_appendf(sb, "user %s's GPU limit under tenant %s is %lld GPUs, ", j->user, tenant,
				(long long)ua->grp_gpus);
			append_job_count(sb, u.gpus, u.jobs);
			sb_appendf(sb, "; this job needs %d more", j->gpus);
			return;
		}
	}
	/* the account, then its parents: the first limit the job would pass,
	 * else the account's own */
	const struct slurm_assoc *own = own_assoc(x, j->account), *hit = NULL;
	const struct slurm_assoc *a = own;
	for (int depth = 0; a && !hit && depth < 16; depth++) {
		if (a->grp_gpus >= 0 && running(x, a->account, "").gpus + j->gpus > a->grp_gpus)
			hit = a;
		a = a->parent_account[0] ? own_assoc(x, a->parent_account) : NULL;
	}
	if (!hit && own && own->grp_gpus >= 0)
		hit = own;
	if (hit) {
		struct usage u = running(x, hit->account, "");
		sb_appendf(sb, "%s %s's quota is %lld GPUs, ", hit == own ? "tenant" : "parent account",
			tenant_of(x, hit->account), (long long)hit->grp_gpus);
		append_job_count(sb, u.gpus, u.jobs);
		sb_appendf(sb, "; this job needs %d more", j->gpus);
		return;
	}
	struct usage u = running(x, j->account, "");
	sb_appendf(sb, "Slurm holds it at tenant %s's GPU quota (GrpTRES gres/gpu), which dcops has not read "
		"from accounting yet; the tenant has ", tenant);
	append_job_count(sb, u.gpus, u.jobs);
	sb_appendf(sb, "; this job needs %d more", j->gpus);
}

static void job_gpu_mins(struct sb *sb, const struct slurm_job *j)
{
	if (j->time_limit_min > 0 && j->time_limit_min != SLURM_INFINITE) {
		sb_appendf(sb, "; this job could use %d GPUs x %.1f h = ", j->gpus, (double)j->time_limit_min / 60.0);
		gpu_hours(sb, (int64_t)j->gpus * j->time_limit_min);
	} else {
		sb_appendf(sb, "; this job needs %d GPUs with no time limit", j->gpus);
	}
}

static void explain_assoc_gres_mins(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	const char *tenant = tenant_of(x, j->account);
	const struct slurm_assoc *a = own_assoc(x, j->account);
	if (!a || a->grp_gpu_mins < 0) {
		sb_appendf(sb, "tenant %s's GPU-hour budget (GrpTRESMins gres/gpu) is used up", tenant);
		job_gpu_mins(sb, j);
		return;
	}
	sb_appendf(sb, "tenant %s's GPU-hour budget is ", tenant);
	gpu_hours(sb, a->grp_gpu_mins);
	/* the last account of that name, as a scan would find */
	uintptr_t ix = (uintptr_t)str_get(&x->used_ix, j->account);
	int64_t used = ix ? x->s->assocs->gpu_mins_used[ix - 1] : -1;
	if (used >= 0) {
		sb_append(sb, ", ");
		gpu_hours(sb, used);
		sb_append(sb, " used");
	} else {
		sb_append(sb, " and Slurm counts it as used up");
	}
	job_gpu_mins(sb, j);
}

static void explain_assoc_run_mins(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	const char *tenant = tenant_of(x, j->account);
	const struct slurm_assoc *a = own_assoc(x, j->account);
	struct usage u = running(x, j->account, "");
	sb_appendf(sb, "tenant %s's running jobs may hold ", tenant);
	if (a && a->grp_gpu_run_mins >= 0)
		gpu_hours(sb, a->grp_gpu_run_mins);
	else
		sb_append(sb, "a limited number of GPU-hours (GrpTRESRunMins gres/gpu)");
	sb_appendf(sb, " at once; its %lld running %s hold ", (long long)u.jobs, plural(u.jobs, "job", "jobs"));
	gpu_hours(sb, u.run_mins);
	sb_append(sb, " of remaining time limit");
	job_gpu_mins(sb, j);
}

static void explain_qos_user(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	struct usage u = running(x, "", j->user);
	sb_appendf(sb, "QOS %s caps the GPUs one user may hold; user %s has ", j->qos[0] ? j->qos : "(default)",
		j->user);
	append_job_count(sb, u.gpus, u.jobs);
	sb_appendf(sb, "; this job needs %d more", j->gpus);
}

/* ---- nodes ---- */

/* Is word one of the comma-separated list? (A pending job may name several
 * partitions: "gpu-h100,debug".) */
static bool in_list(const char *list, const char *word, size_t wlen)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == wlen && strncmp(p, word, n) == 0)
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

static bool in_partition(const struct slurm_node *n, const char *parts)
{
	for (size_t i = 0; i < n->n_partitions; i++)
		if (in_list(parts, n->partitions[i], strlen(n->partitions[i])))
			return true;
	return false;
}

/* Do two partition lists share one? */
static bool share_partition(const char *a, const char *b)
{
	for (const char *p = a; *p;) {
		size_t n = strcspn(p, ",");
		if (n && in_list(b, p, n))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* Nodes the scheduler could start a job on now. */
static bool usable(const struct slurm_node *n)
{
	return strcmp(n->dcops.label, "idle") == 0 || strcmp(n->dcops.label, "mixed") == 0;
}

static void count_label(struct label_count *lc, size_t cap, const char *label)
{
	for (size_t i = 0; i < cap; i++)
		if (!lc[i].label || strcmp(lc[i].label, label) == 0) {
			lc[i].label = label;
			lc[i].n++;
			return;
		}
}

/* The nodes of a partition list, counted once per list and cycle. */
static const struct part_nodes *part_nodes(struct slurm_explain_cycle *x, const char *parts)
{
	x->part_nodes.owns = true;
	void **v = map_slot(&x->part_nodes, parts, strlen(parts));
	if (*v)
		return *v;
	struct part_nodes *t = xcalloc(1, sizeof *t);
	*v = t;
	for (size_t i = 0; x->s->nodes && i < x->s->nodes->n; i++) {
		const struct slurm_node *n = &x->s->nodes->items[i];
		if (!in_partition(n, parts))
			continue;
		t->nodes++;
		t->total += n->gpus;
		if (!usable(n)) {
			if (strcmp(n->dcops.label, "allocated") != 0)
				count_label(t->out, DC_ARRAY_LEN(t->out), n->dcops.label);
			continue;
		}
		int64_t f = n->gpus - n->gpus_used;
		if (f > 0) {
			t->free_gpus += f;
			t->free_nodes++;
			t->largest = f > t->largest ? f : t->largest;
		}
	}
	return t;
}

static void explain_resources(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	const struct part_nodes *t = part_nodes(x, j->partition);
	int want_nodes = j->node_count > 0 ? j->node_count : 1;
	sb_appendf(sb, "waiting for free GPUs in partition %s: it needs %d GPUs on %d %s", j->partition, j->gpus,
		want_nodes, plural(want_nodes, "node", "nodes"));
	if (!x->s->nodes) {
		sb_append(sb, " (dcops has not read the nodes yet)");
		return;
	}
	sb_appendf(sb, "; %lld of %lld GPUs are free, on %lld of %lld nodes (at most %lld on one node)",
		(long long)t->free_gpus, (long long)t->total, (long long)t->free_nodes, (long long)t->nodes,
		(long long)t->largest);
	for (size_t i = 0; i < DC_ARRAY_LEN(t->out) && t->out[i].label; i++)
		sb_appendf(sb, "%s %lld %s", i ? "," : "; out of service:", (long long)t->out[i].n, t->out[i].label);
}

static int cmp_prio_desc(const void *a, const void *b)
{
	const struct slurm_job *x = *(const struct slurm_job *const *)a, *y = *(const struct slurm_job *const *)b;
	return (x->priority < y->priority) - (x->priority > y->priority);
}

/* The pending jobs that share a partition with the list, highest
 * priority first, once per list and cycle. */
static const struct part_queue *part_queue(struct slurm_explain_cycle *x, const char *parts)
{
	x->part_queue.owns = true;
	void **v = map_slot(&x->part_queue, parts, strlen(parts));
	if (*v)
		return *v;
	const struct slurm_job_set *js = x->s->jobs;
	const struct slurm_job **q = xcalloc(js ? js->n + 1 : 1, sizeof *q);
	size_t n = 0;
	for (size_t i = 0; js && i < js->n; i++)
		if (js->items[i].state == DC_JOB_PENDING && share_partition(js->items[i].partition, parts))
			q[n++] = &js->items[i];
	qsort(q, n, sizeof *q, cmp_prio_desc);
	/* one allocation: the header, then the two arrays */
	struct part_queue *t = xcalloc(1, sizeof *t + (2 * n + 1) * sizeof(int64_t));
	t->n = n;
	t->prio = (int64_t *)(t + 1);
	t->gpus = t->prio + n;
	for (size_t i = 0; i < n; i++) {
		t->prio[i] = q[i]->priority;
		t->gpus[i + 1] = t->gpus[i] + q[i]->gpus;
	}
	free(q);
	*v = t;
	return t;
}

static void explain_priority(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	/* the jobs of strictly higher priority: a prefix (never j itself) */
	const struct part_queue *t = part_queue(x, j->partition);
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->prio[mid] > j->priority)
			lo = mid + 1;
		else
			hi = mid;
	}
	int64_t ahead = (int64_t)lo, gpus = t->gpus[lo];
	sb_appendf(sb, "%lld pending %s in partition %s %s higher priority (this job: %lld); together they need "
		"%lld GPUs; this job needs %d", (long long)ahead, plural(ahead, "job", "jobs"), j->partition,
		plural(ahead, "has", "have"), (long long)(j->priority < 0 ? 0 : j->priority), (long long)gpus, j->gpus);
}

static void node_words(struct sb *sb, const struct slurm_node *n)
{
	sb_appendf(sb, "%s is %s", n->name, n->dcops.label);
	if (n->reason[0]) {
		sb_appendf(sb, " (\"%s\"", n->reason);
		if (n->reason_set_by_user[0])
			sb_appendf(sb, " by %s", n->reason_set_by_user);
		sb_append(sb, ")");
	}
}

/* A node by name (the first of that name, as slurm_find_node). */
static const struct slurm_node *node_named(struct slurm_explain_cycle *x, const char *name)
{
	const struct slurm_node_set *ns = x->s->nodes;
	if (!x->nodes.built) {
		x->nodes.built = true;
		for (size_t i = 0; ns && i < ns->n; i++) {
			void **v = map_slot(&x->nodes, ns->items[i].name, strlen(ns->items[i].name));
			if (!*v)
				*v = &ns->items[i];
		}
	}
	return str_get(&x->nodes, name);
}

static void explain_req_node(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	const char *key = "UnavailableNodes:";
	const char *p = strstr(j->state_description, key);
	struct slurm_arena a = { 0 };
	char **names = NULL;
	size_t n = 0;
	struct dc_err err;
	if (p) {
		p += strlen(key);
		size_t len = strcspn(p, " ");
		char *list = xstrndup(p, len);
		if (slurm_hostlist_expand(list, SLURM_HOSTLIST_MAX, &a, &names, &n, &err) < 0)
			n = 0;
		free(list);
	}
	if (n == 0) {
		sb_appendf(sb, "a node it asks for is down, drained or reserved (partition %s)", j->partition);
		slurm_arena_free(&a);
		return;
	}
	sb_appendf(sb, "%zu %s it can use %s unavailable: ", n, plural((int64_t)n, "node", "nodes"),
		plural((int64_t)n, "is", "are"));
	for (size_t i = 0; i < n && i < LIST_MAX; i++) {
		const struct slurm_node *nd = node_named(x, names[i]);
		if (i)
			sb_append(sb, ", ");
		if (nd)
			node_words(sb, nd);
		else
			sb_append(sb, names[i]);
	}
	if (n > LIST_MAX)
		sb_appendf(sb, " and %zu more", n - LIST_MAX);
	slurm_arena_free(&a);
}

/* ---- the job itself ---- */

/* A job by id (the first with that id, as slurm_find_job). */
static const struct slurm_job *job_numbered(struct slurm_explain_cycle *x, uint32_t id)
{
	const struct slurm_job_set *js = x->s->jobs;
	if (!x->jobs.built) {
		x->jobs.built = true;
		for (size_t i = 0; js && i < js->n; i++) {
			void **v = map_slot(&x->jobs, (const char *)&js->items[i].job_id, sizeof id);
			if (!*v)
				*v = &js->items[i];
		}
	}
	return map_get(&x->jobs, (const char *)&id, sizeof id);
}

static void explain_dependency(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	sb_appendf(sb, "waits for its dependency %s", j->dependency[0] ? j->dependency : "(not shown by Slurm)");
	int named = 0;
	for (const char *p = j->dependency; *p && named < LIST_MAX; p++) {
		if (*p != ':' || p[1] < '0' || p[1] > '9')
			continue;
		char *end;
		unsigned long id = strtoul(p + 1, &end, 10);
		const struct slurm_job *o = id && id <= UINT32_MAX ? job_numbered(x, (uint32_t)id) : NULL;
		sb_appendf(sb, "%s job %lu ", named++ ? "," : ":", id);
		if (o)
			sb_appendf(sb, "is %s", dc_job_state_name(o->state));
		else
			sb_append(sb, "is no longer in the queue");
	}
}

static void explain_never(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	(void)x;
	sb_appendf(sb, "can never start: its dependency %s cannot be met (a job it waits for failed or was "
		"cancelled); cancel it or change the dependency", j->dependency[0] ? j->dependency : "(not shown)");
}

static void explain_held_user(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	(void)x;
	sb_appendf(sb, "held by its user %s; it starts only after `scontrol release %u`", j->user, j->job_id);
}

static void explain_held_admin(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	(void)x;
	sb_appendf(sb, "held by an administrator; only an administrator can release job %u", j->job_id);
}

static void explain_begin(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	int64_t now = x->now;
	int64_t at = j->eligible_time > 0 ? j->eligible_time : 0;
	if (!at) {
		sb_append(sb, "asked not to start before a set time (--begin)");
		return;
	}
	char buf[40];
	time_t t = (time_t)at;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
	sb_appendf(sb, "asked not to start before %s", buf);
	if (at > now)
		sb_appendf(sb, " (in %lld min)", (long long)((at - now + 59) / 60));
}

static void explain_partition(struct sb *sb, struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	/* the first of its partitions that is not UP */
	const struct slurm_partition *p = NULL;
	for (size_t i = 0; x->s->parts && i < x->s->parts->n && !p; i++) {
		const struct slurm_partition *q = &x->s->parts->items[i];
		if (q->state != SLURM_PART_UP && in_list(j->partition, q->name, strlen(q->name)))
			p = q;
	}
	sb_appendf(sb, "partition %s is %s: no job starts there until an administrator sets it UP",
		p ? p->name : j->partition, p ? slurm_part_state_name(p->state) : "not accepting jobs");
}

typedef void explain_fn(struct sb *, struct slurm_explain_cycle *, const struct slurm_job *);

static const struct {
	const char *reason;
	explain_fn *fn;
} reasons[] = {
	{ "AssocGrpGRES", explain_assoc_gres },
	{ "AssocGrpGRESMinutes", explain_assoc_gres_mins },
	{ "AssocGrpGRESRunMinutes", explain_assoc_run_mins },
	{ "QOSMaxGRESPerUser", explain_qos_user },
	{ "Resources", explain_resources },
	{ "Priority", explain_priority },
	{ "ReqNodeNotAvail", explain_req_node },
	{ "Dependency", explain_dependency },
	{ "DependencyNeverSatisfied", explain_never },
	{ "JobHeldUser", explain_held_user },
	{ "JobHeldAdmin", explain_held_admin },
	{ "BeginTime", explain_begin },
	{ "PartitionDown", explain_partition },
	{ "PartitionInactive", explain_partition },
};

struct slurm_explain_cycle *slurm_explain_cycle_new(const struct slurm_snap *s, int64_t now)
{
	struct slurm_explain_cycle *x = xcalloc(1, sizeof *x);
	x->s = s;
	x->now = now;
	return x;
}

void slurm_explain_cycle_free(struct slurm_explain_cycle *x)
{
	if (!x)
		return;
	struct map *maps[] = { &x->usage, &x->account, &x->user_assoc, &x->tenant, &x->used_ix, &x->nodes, &x->jobs,
		&x->part_nodes, &x->part_queue };
	for (size_t i = 0; i < DC_ARRAY_LEN(maps); i++)
		map_free(maps[i]);
	free(x);
}

char *slurm_explain_job(struct slurm_explain_cycle *x, const struct slurm_job *j)
{
	struct sb sb = { 0 };
	if (j->state != DC_JOB_PENDING) {
		sb_appendf(&sb, "job %u is %s, not pending", j->job_id, dc_job_state_name(j->state));
		return sb_take(&sb);
	}
	for (size_t i = 0; i < DC_ARRAY_LEN(reasons); i++)
		if (strcmp(j->reason, reasons[i].reason) == 0) {
			reasons[i].fn(&sb, x, j);
			return sb_take(&sb);
		}
	sb_appendf(&sb, "Slurm's reason: %s", j->reason[0] ? j->reason : "none given");
	if (j->state_description[0])
		sb_appendf(&sb, " (%s)", j->state_description);
	return sb_take(&sb);
}

char *slurm_explain_pending(const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	struct slurm_explain_cycle *x = slurm_explain_cycle_new(s, now);
	char *r = slurm_explain_job(x, j);
	slurm_explain_cycle_free(x);
	return r;
}
