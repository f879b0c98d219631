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

/* GPUs held by running jobs, filtered by account and/or user ("" = any). */
struct usage {
	int64_t gpus, jobs, run_mins; /* run_mins: GPU-minutes left in their time limits */
};

/* Is account `acct` at or below `top` in the account tree? */
static bool under(const struct slurm_snap *s, const char *acct, const char *top)
{
	for (int depth = 0; acct[0] && depth < 16; depth++) {
		if (strcmp(acct, top) == 0)
			return true;
		const struct slurm_assoc *a = slurm_find_account_assoc(s->assocs, acct);
		if (!a)
			return false;
		acct = a->parent_account;
	}
	return false;
}

static struct usage running(const struct slurm_snap *s, const char *account, const char *user,
		int64_t now)
{
	struct usage u = { 0, 0, 0 };
	for (size_t i = 0; s->jobs && i < s->jobs->n; i++) {
		const struct slurm_job *j = &s->jobs->items[i];
		if (j->state != DC_JOB_RUNNING || j->gpus <= 0)
			continue;
		if ((account[0] && !under(s, j->account, account)) || (user[0] && strcmp(j->user, user) != 0))
			continue;
		u.gpus += j->gpus;
		u.jobs++;
		if (j->time_limit_min > 0 && j->time_limit_min != SLURM_INFINITE && j->start_time > 0) {
			int64_t left = j->time_limit_min - (now - j->start_time) / 60;
			u.run_mins += (left > 0 ? left : 0) * j->gpus;
		}
	}
	return u;
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

static void explain_assoc_gres(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	const char *tenant = slurm_tenant_name(s->assocs, j->account);
	const struct slurm_assoc *ua = slurm_find_user_assoc(s->assocs, j->account, j->user);
	if (ua && ua->grp_gpus >= 0) {
		struct usage u = running(s, j->account, j->user, now);
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
	const struct slurm_assoc *own = slurm_find_account_assoc(s->assocs, j->account), *hit = NULL;
	const struct slurm_assoc *a = own;
	for (int depth = 0; a && !hit && depth < 16; depth++) {
		if (a->grp_gpus >= 0 && running(s, a->account, "", now).gpus + j->gpus > a->grp_gpus)
			hit = a;
		a = a->parent_account[0] ? slurm_find_account_assoc(s->assocs, a->parent_account) : NULL;
	}
	if (!hit && own && own->grp_gpus >= 0)
		hit = own;
	if (hit) {
		struct usage u = running(s, hit->account, "", now);
		sb_appendf(sb, "%s %s's quota is %lld GPUs, ", hit == own ? "tenant" : "parent account",
			slurm_tenant_name(s->assocs, hit->account), (long long)hit->grp_gpus);
		append_job_count(sb, u.gpus, u.jobs);
		sb_appendf(sb, "; this job needs %d more", j->gpus);
		return;
	}
	struct usage u = running(s, j->account, "", now);
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

static void explain_assoc_gres_mins(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j,
		int64_t now)
{
	(void)now;
	const char *tenant = slurm_tenant_name(s->assocs, j->account);
	const struct slurm_assoc *a = slurm_find_account_assoc(s->assocs, j->account);
	if (!a || a->grp_gpu_mins < 0) {
		sb_appendf(sb, "tenant %s's GPU-hour budget (GrpTRESMins gres/gpu) is used up", tenant);
		job_gpu_mins(sb, j);
		return;
	}
	sb_appendf(sb, "tenant %s's GPU-hour budget is ", tenant);
	gpu_hours(sb, a->grp_gpu_mins);
	int64_t used = -1;
	for (size_t i = 0; s->assocs && i < s->assocs->n_accounts; i++)
		if (strcmp(s->assocs->accounts[i].name, j->account) == 0)
			used = s->assocs->gpu_mins_used[i];
	if (used >= 0) {
		sb_append(sb, ", ");
		gpu_hours(sb, used);
		sb_append(sb, " used");
	} else {
		sb_append(sb, " and Slurm counts it as used up");
	}
	job_gpu_mins(sb, j);
}

static void explain_assoc_run_mins(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j,
		int64_t now)
{
	const char *tenant = slurm_tenant_name(s->assocs, j->account);
	const struct slurm_assoc *a = slurm_find_account_assoc(s->assocs, j->account);
	struct usage u = running(s, j->account, "", now);
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

static void explain_qos_user(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	struct usage u = running(s, "", j->user, now);
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

struct label_count {
	const char *label;
	int64_t n;
};

static void count_label(struct label_count *lc, size_t cap, const char *label)
{
	for (size_t i = 0; i < cap; i++)
		if (!lc[i].label || strcmp(lc[i].label, label) == 0) {
			lc[i].label = label;
			lc[i].n++;
			return;
		}
}

static void explain_resources(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)now;
	int64_t free_gpus = 0, total = 0, largest = 0, nodes = 0, free_nodes = 0;
	struct label_count out[24] = { { NULL, 0 } };
	for (size_t i = 0; s->nodes && i < s->nodes->n; i++) {
		const struct slurm_node *n = &s->nodes->items[i];
		if (!in_partition(n, j->partition))
			continue;
		nodes++;
		total += n->gpus;
		if (!usable(n)) {
			if (strcmp(n->dcops.label, "allocated") != 0)
				count_label(out, DC_ARRAY_LEN(out), n->dcops.label);
			continue;
		}
		int64_t f = n->gpus - n->gpus_used;
		if (f > 0) {
			free_gpus += f;
			free_nodes++;
			largest = f > largest ? f : largest;
		}
	}
	int want_nodes = j->node_count > 0 ? j->node_count : 1;
	sb_appendf(sb, "waiting for free GPUs in partition %s: it needs %d GPUs on %d %s", j->partition, j->gpus,
		want_nodes, plural(want_nodes, "node", "nodes"));
	if (!s->nodes) {
		sb_append(sb, " (dcops has not read the nodes yet)");
		return;
	}
	sb_appendf(sb, "; %lld of %lld GPUs are free, on %lld of %lld nodes (at most %lld on one node)",
		(long long)free_gpus, (long long)total, (long long)free_nodes, (long long)nodes, (long long)largest);
	for (size_t i = 0; i < DC_ARRAY_LEN(out) && out[i].label; i++)
		sb_appendf(sb, "%s %lld %s", i ? "," : "; out of service:", (long long)out[i].n, out[i].label);
}

static void explain_priority(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)now;
	int64_t ahead = 0, gpus = 0;
	for (size_t i = 0; s->jobs && i < s->jobs->n; i++) {
		const struct slurm_job *o = &s->jobs->items[i];
		if (o != j && o->state == DC_JOB_PENDING && share_partition(o->partition, j->partition) &&
		    o->priority > j->priority) {
			ahead++;
			gpus += o->gpus;
		}
	}
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

static void explain_req_node(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)now;
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
		const struct slurm_node *nd = slurm_find_node(s->nodes, names[i]);
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

static void explain_dependency(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)now;
	sb_appendf(sb, "waits for its dependency %s", j->dependency[0] ? j->dependency : "(not shown by Slurm)");
	int named = 0;
	for (const char *p = j->dependency; *p && named < LIST_MAX; p++) {
		if (*p != ':' || p[1] < '0' || p[1] > '9')
			continue;
		char *end;
		unsigned long id = strtoul(p + 1, &end, 10);
		const struct slurm_job *o = id && id <= UINT32_MAX ? slurm_find_job(s->jobs, (uint32_t)id) : NULL;
		sb_appendf(sb, "%s job %lu ", named++ ? "," : ":", id);
		if (o)
			sb_appendf(sb, "is %s", dc_job_state_name(o->state));
		else
			sb_append(sb, "is no longer in the queue");
	}
}

static void explain_never(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)s, (void)now;
	sb_appendf(sb, "can never start: its dependency %s cannot be met (a job it waits for failed or was "
		"cancelled); cancel it or change the dependency", j->dependency[0] ? j->dependency : "(not shown)");
}

static void explain_held_user(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)s, (void)now;
	sb_appendf(sb, "held by its user %s; it starts only after `scontrol release %u`", j->user, j->job_id);
}

static void explain_held_admin(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)s, (void)now;
	sb_appendf(sb, "held by an administrator; only an administrator can release job %u", j->job_id);
}

static void explain_begin(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)s;
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

static void explain_partition(struct sb *sb, const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	(void)now;
	/* the first of its partitions that is not UP */
	const struct slurm_partition *p = NULL;
	for (size_t i = 0; s->parts && i < s->parts->n && !p; i++) {
		const struct slurm_partition *q = &s->parts->items[i];
		if (q->state != SLURM_PART_UP && in_list(j->partition, q->name, strlen(q->name)))
			p = q;
	}
	sb_appendf(sb, "partition %s is %s: no job starts there until an administrator sets it UP",
		p ? p->name : j->partition, p ? slurm_part_state_name(p->state) : "not accepting jobs");
}

typedef void explain_fn(struct sb *, const struct slurm_snap *, const struct slurm_job *, int64_t);

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

char *slurm_explain_pending(const struct slurm_snap *s, const struct slurm_job *j, int64_t now)
{
	struct sb sb = { 0 };
	if (j->state != DC_JOB_PENDING) {
		sb_appendf(&sb, "job %u is %s, not pending", j->job_id, dc_job_state_name(j->state));
		return sb_take(&sb);
	}
	for (size_t i = 0; i < DC_ARRAY_LEN(reasons); i++)
		if (strcmp(j->reason, reasons[i].reason) == 0) {
			reasons[i].fn(&sb, s, j, now);
			return sb_take(&sb);
		}
	sb_appendf(&sb, "Slurm's reason: %s", j->reason[0] ? j->reason : "none given");
	if (j->state_description[0])
		sb_appendf(&sb, " (%s)", j->state_description);
	return sb_take(&sb);
}
