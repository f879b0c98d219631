/* view-queues.c — the Queues view: partitions, a partition's jobs, a job.
 *
 * A partition's job list (up to ~100,000 rows) follows the model's change
 * log (table_update), so a batch of job changes costs the changed jobs; it
 * is rebuilt when the log is out of reach, the batch is big, tenants
 * changed (their names sort and filter it) or another partition is opened.
 * Partitions are few and rebuilt on every change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "draw.h"
#include "view.h"

enum { P_NAME, P_MODEL, P_NODES, P_GPUS, P_FREE, P_OUT, P_RUN, P_PEND, P_REQ, P_OLDEST, P_REASONS,
	P_COUNT };
static const struct table_col part_cols[P_COUNT] = {
	[P_NAME] = { "PARTITION", 9, 0 },
	[P_MODEL] = { "MODEL", 14, COL_WIDE },
	[P_NODES] = { "NODES", 5, COL_RIGHT },
	[P_GPUS] = { "GPU USE", 9, COL_RIGHT },
	/* FREE is what the scheduler could place now; OUT the idle GPUs on
	 * drained, draining, down or failed nodes: GPU USE + FREE + OUT = all */
	[P_FREE] = { "FREE", 5, COL_RIGHT },
	[P_OUT] = { "OUT", 5, COL_RIGHT },
	[P_RUN] = { "RUN", 5, COL_RIGHT },
	[P_PEND] = { "PEND", 5, COL_RIGHT },
	[P_REQ] = { "REQ", 5, COL_RIGHT },
	[P_OLDEST] = { "OLDEST", 7, COL_RIGHT },
	[P_REASONS] = { "PENDING REASONS", 10, COL_FLEX },
};

/* At 80 columns everything but NAME fits; REASON/NODES is squeue's
 * NODELIST(REASON): why a pending job waits, where a running one runs. */
enum { J_ID, J_TENANT, J_USER, J_GPUS, J_STATE, J_ELAPSED, J_LIMIT, J_PRIO, J_NAME, J_WHERE, J_COUNT };
static const struct table_col job_cols[J_COUNT] = {
	[J_ID] = { "JOB", 7, COL_RIGHT },
	[J_TENANT] = { "TENANT", 14, 0 },
	[J_USER] = { "USER", 8, 0 },
	[J_GPUS] = { "GPUS", 5, COL_RIGHT },
	[J_STATE] = { "STATE", 8, 0 },
	[J_ELAPSED] = { "TIME", 6, COL_RIGHT },
	[J_LIMIT] = { "LIMIT", 6, COL_RIGHT },
	[J_PRIO] = { "PRIO", 5, COL_RIGHT },
	[J_NAME] = { "NAME", 16, COL_WIDE },
	[J_WHERE] = { "REASON/NODES", 10, COL_FLEX },
};

struct reasons {
	int64_t part;
	char text[160];       /* "Resources 12, Priority 3" */
};

struct queues {
	struct table parts, jobs;
	const struct dc_model *m;
	int64_t now;
	int64_t part;          /* partition whose jobs are listed, 0: the partitions */
	int64_t job;           /* job in the detail pane, 0 none */
	int skip, rows;
	struct reasons *reasons;
	size_t nreasons, capreasons;
	uint64_t seq;          /* change log position the job list has caught up to */
	int64_t *chg;          /* job ids the log names */
	size_t nchg, capchg;
};

static const char *tenant_name(const struct dc_model *m, int64_t id)
{
	const struct dc_tenant *t = model_tenant(m, id);
	return t ? t->name : "?";
}

static const char *reasons_of(const struct queues *v, int64_t part)
{
	for (size_t i = 0; i < v->nreasons; i++)
		if (v->reasons[i].part == part)
			return v->reasons[i].text;
	return "";
}

static int part_cmp(const void *ud, int64_t ia, int64_t ib, int col)
{
	const struct queues *v = ud;
	const struct dc_partition *a = model_partition(v->m, ia), *b = model_partition(v->m, ib);
	switch (col) {
	case P_NAME: return text_natcmp(a->name, b->name);
	case P_MODEL: return text_natcmp(a->gpu_model, b->gpu_model);
	case P_NODES: return cmp_i64(a->nodes, b->nodes);
	case P_GPUS: return cmp_i64(a->gpus_used, b->gpus_used);
	case P_FREE: return cmp_i64(a->gpus_free, b->gpus_free);
	case P_OUT: return cmp_i64(a->gpus_out, b->gpus_out);
	case P_RUN: return cmp_i64(a->jobs_running, b->jobs_running);
	case P_PEND: return cmp_i64(a->jobs_pending, b->jobs_pending);
	case P_REQ: return cmp_i64(a->gpus_pending, b->gpus_pending);
	/* oldest first: an earlier submit is a longer wait; none sorts last */
	case P_OLDEST: return cmp_i64(a->oldest_pending_submit ? a->oldest_pending_submit : INT64_MAX,
	                              b->oldest_pending_submit ? b->oldest_pending_submit : INT64_MAX);
	case P_REASONS: return strcmp(reasons_of(v, ia), reasons_of(v, ib));
	default: return 0;
	}
}

static void part_cell(const void *ud, int64_t id, int col, char *buf, size_t n, enum theme_el *el)
{
	const struct queues *v = ud;
	const struct dc_partition *p = model_partition(v->m, id);
	int free_gpus = p->gpus_free;
	switch (col) {
	case P_NAME: snprintf(buf, n, "%s", p->name); break;
	case P_MODEL: snprintf(buf, n, "%s", p->gpu_model); break;
	case P_NODES:
		snprintf(buf, n, "%d", p->nodes);
		if (p->nodes_down || p->nodes_drained)
			*el = THEME_WARN;
		break;
	case P_GPUS: snprintf(buf, n, "%d/%d", p->gpus_used, p->gpus_total); break;
	case P_FREE:
		snprintf(buf, n, "%d", free_gpus);
		*el = free_gpus == 0 ? THEME_WARN : THEME_OK;
		break;
	case P_OUT:
		snprintf(buf, n, "%d", p->gpus_out);
		*el = p->gpus_out ? THEME_WARN : THEME_DIM;
		break;
	case P_RUN: snprintf(buf, n, "%d", p->jobs_running); *el = THEME_JOB_RUNNING; break;
	case P_PEND:
		snprintf(buf, n, "%d", p->jobs_pending);
		*el = p->jobs_pending ? THEME_JOB_PENDING : THEME_DIM;
		break;
	case P_REQ:
		snprintf(buf, n, "%d", p->gpus_pending);
		*el = p->gpus_pending > free_gpus ? THEME_WARN : THEME_TEXT;
		break;
	case P_OLDEST:
		if (p->oldest_pending_submit) {
			fmt_dur(v->now - p->oldest_pending_submit, buf, n);
			*el = v->now - p->oldest_pending_submit > 4 * 3600 ? THEME_WARN : THEME_TEXT;
		} else {
			snprintf(buf, n, "-");
			*el = THEME_DIM;
		}
		break;
	case P_REASONS: snprintf(buf, n, "%s", reasons_of(v, id)); *el = THEME_DIM; break;
	default: break;
	}
}

static bool job_active(const struct dc_job *j)
{
	return j->state == DC_JOB_PENDING || j->state == DC_JOB_RUNNING;
}

static enum theme_el job_el(enum dc_job_state s)
{
	switch (s) {
	case DC_JOB_RUNNING: return THEME_JOB_RUNNING;
	case DC_JOB_PENDING: return THEME_JOB_PENDING;
	case DC_JOB_COMPLETED: return THEME_DIM;
	default: return THEME_JOB_FAILED;
	}
}

/* Running: time since start; pending: time waiting; ended: run time. */
static int64_t job_time(const struct dc_job *j, int64_t now)
{
	if (j->state == DC_JOB_PENDING)
		return now - j->submit_at;
	if (!j->start_at)
		return 0;
	return (j->end_at ? j->end_at : now) - j->start_at;
}

/* When a listed (pending or running) job's TIME started counting; a
 * running job with no start shows 0, the shortest. Sorting by this instead
 * of the time itself gives the same order at every clock, so rows that did
 * not change keep their places (table_update relies on it). */
static int64_t job_since(const struct dc_job *j)
{
	if (j->state == DC_JOB_PENDING)
		return j->submit_at;
	return j->start_at ? j->start_at : INT64_MAX;
}

/* A pending job's reason, else the nodes it runs (or ran) on. */
static const char *job_where(const struct dc_job *j)
{
	const char *r = j->reason ? j->reason : "", *nodes = j->node_list ? j->node_list : "";
	return j->state == DC_JOB_PENDING || !nodes[0] ? r : nodes;
}

static int job_cmp(const void *ud, int64_t ia, int64_t ib, int col)
{
	const struct queues *v = ud;
	const struct dc_job *a = model_get(v->m, DC_T_JOB, ia), *b = model_get(v->m, DC_T_JOB, ib);
	switch (col) {
	case J_ID: return cmp_i64(a->id, b->id);
	case J_TENANT: return strcmp(tenant_name(v->m, a->tenant_id), tenant_name(v->m, b->tenant_id));
	case J_USER: return text_natcmp(a->user_name, b->user_name);
	case J_GPUS: return cmp_i64(a->gpus, b->gpus);
	case J_STATE: return cmp_i64(a->state, b->state);
	case J_ELAPSED: return cmp_i64(job_since(b), job_since(a));
	case J_LIMIT: return cmp_i64(a->time_limit_s, b->time_limit_s);
	case J_PRIO: return cmp_i64(a->priority, b->priority);
	case J_NAME: return text_natcmp(a->name, b->name);
	case J_WHERE: return strcmp(job_where(a), job_where(b));
	default: return 0;
	}
}

static void job_cell(const void *ud, int64_t id, int col, char *buf, size_t n, enum theme_el *el)
{
	const struct queues *v = ud;
	const struct dc_job *j = model_get(v->m, DC_T_JOB, id);
	switch (col) {
	case J_ID: snprintf(buf, n, "%lld", (long long)j->id); break;
	case J_TENANT: snprintf(buf, n, "%s", tenant_name(v->m, j->tenant_id)); break;
	case J_USER: snprintf(buf, n, "%s", j->user_name ? j->user_name : ""); break;
	case J_GPUS: snprintf(buf, n, "%d", j->gpus); break;
	case J_STATE: snprintf(buf, n, "%s", dc_job_state_name(j->state)); *el = job_el(j->state); break;
	case J_ELAPSED: fmt_dur(job_time(j, v->now), buf, n); break;
	case J_LIMIT: fmt_dur(j->time_limit_s, buf, n); *el = THEME_DIM; break;
	case J_PRIO: snprintf(buf, n, "%lld", (long long)j->priority); *el = THEME_DIM; break;
	case J_NAME: snprintf(buf, n, "%s", j->name ? j->name : ""); *el = THEME_DIM; break;
	case J_WHERE:
		snprintf(buf, n, "%s", job_where(j));
		*el = dc_job_held(j) ? THEME_WARN : THEME_DIM;
		break;
	default: break;
	}
}

/* Per partition, its pending jobs' reasons with counts, most common first. */
static void build_reasons(struct queues *v, const struct dc_model *m)
{
	struct rc {
		int64_t part;
		const char *reason;
		int count;
	} *rc = NULL;
	size_t nrc = 0, caprc = 0;
	size_t nj = model_count(m, DC_T_JOB);
	for (size_t i = 0; i < nj; i++) {
		const struct dc_job *j = model_row(m, DC_T_JOB, i);
		if (j->state != DC_JOB_PENDING)
			continue;
		const char *r = j->reason && j->reason[0] ? j->reason : "None";
		size_t k = 0;
		while (k < nrc && !(rc[k].part == j->partition_id && strcmp(rc[k].reason, r) == 0))
			k++;
		if (k == nrc) {
			rc = xgrow(rc, &caprc, nrc + 1, sizeof *rc);
			rc[nrc++] = (struct rc){ j->partition_id, r, 0 };
		}
		rc[k].count++;
	}
	v->nreasons = 0;
	size_t np = model_count(m, DC_T_PARTITION);
	v->reasons = xgrow(v->reasons, &v->capreasons, np + 1, sizeof *v->reasons);
	for (size_t i = 0; i < np; i++) {
		const struct dc_partition *p = model_row(m, DC_T_PARTITION, i);
		struct reasons *out = &v->reasons[v->nreasons++];
		out->part = p->id;
		out->text[0] = '\0';
		/* selection by count: partitions have a handful of reasons */
		for (;;) {
			struct rc *best = NULL;
			for (size_t k = 0; k < nrc; k++)
				if (rc[k].part == p->id && rc[k].count > 0 && (!best || rc[k].count > best->count))
					best = &rc[k];
			if (!best)
				break;
			size_t len = strlen(out->text);
			snprintf(out->text + len, sizeof out->text - len, "%s%s %d", len ? ", " : "",
			         best->reason, best->count);
			best->count = 0;
		}
	}
	free(rc);
}

/* ---- filter fields (filter.h) ---- */

static void part_f_name(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	filter_put(ft, "part", ((const struct dc_partition *)row)->name);
}

static void part_f_model(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	filter_put(ft, "model", ((const struct dc_partition *)row)->gpu_model);
}

/* A partition is "blocked" while jobs wait and no GPU is free for them. */
static void part_f_state(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	const struct dc_partition *p = row;
	filter_put(ft, "state", p->jobs_pending && p->gpus_free == 0 ? "blocked" : p->jobs_pending ? "queued" : "idle");
}

static const struct filter_field part_fields[] = {
	{ "part", "the partition's name", part_f_name },
	{ "model", "its GPU model", part_f_model },
	{ "state", "blocked (jobs wait, nothing free), queued, idle", part_f_state },
};

static void job_f_id(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)((const struct dc_job *)row)->id);
	filter_put(ft, "id", id);
}

/* Held jobs are "held" as well as "pending", as squeue's reason says. */
static void job_f_state(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	const struct dc_job *j = row;
	filter_put(ft, "state", dc_job_state_name(j->state));
	if (dc_job_held(j))
		filter_put(ft, "state", "held");
}

static void job_f_tenant(struct filter_text *ft, const void *ud, const void *row)
{
	const struct dc_job *j = row;
	char id[24];
	filter_put(ft, "tenant", tenant_name(ud, j->tenant_id));
	snprintf(id, sizeof id, "%lld", (long long)j->tenant_id);
	filter_put(ft, "account", id);
}

static void job_f_user(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	filter_put(ft, "user", ((const struct dc_job *)row)->user_name);
}

static void job_f_reason(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	filter_put(ft, "reason", ((const struct dc_job *)row)->reason);
}

/* One field per node of the job's node list ("a,b"). */
static void job_f_node(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	const char *nl = ((const struct dc_job *)row)->node_list;
	for (const char *p = nl ? nl : ""; *p;) {
		size_t len = strcspn(p, ",");
		char name[128];
		if (len < sizeof name) {
			memcpy(name, p, len);
			name[len] = '\0';
			filter_put(ft, "node", name);
		}
		p += len + (p[len] == ',');
	}
}

static const struct filter_field job_fields[] = {
	{ "id", "the job id", job_f_id },
	{ "state", "pending, running, held, completed, failed, cancelled, timeout, node_fail", job_f_state },
	{ "tenant account", "the tenant's name; its account id", job_f_tenant },
	{ "user", "the submitting user", job_f_user },
	{ "reason", "why it waits: Resources, Priority, QuotaExceeded, JobHeldAdmin ...", job_f_reason },
	{ "node", "a node it runs on", job_f_node },
};

static void rebuild_parts(struct queues *v, const struct dc_model *m)
{
	table_begin(&v->parts);
	size_t np = model_count(m, DC_T_PARTITION);
	for (size_t i = 0; i < np; i++) {
		const struct dc_partition *p = model_row(m, DC_T_PARTITION, i);
		char hay[640] = "", words[512];
		if (table_filtering(&v->parts)) {
			snprintf(words, sizeof words, "%s %s %s", p->name, p->gpu_model, reasons_of(v, p->id));
			filter_row_text(hay, sizeof hay, words, part_fields, DC_ARRAY_LEN(part_fields), m, p);
		}
		table_add(&v->parts, p->id, hay);
	}
	table_end(&v->parts, part_cmp, v);
}

/* What the filter matches a job against. */
static void job_hay(const struct dc_model *m, const struct dc_job *j, char *buf, size_t n)
{
	char words[512];
	snprintf(words, sizeof words, "%lld %s %s %s %s %s %s", (long long)j->id, tenant_name(m, j->tenant_id),
	         j->user_name ? j->user_name : "", dc_job_state_name(j->state), j->name ? j->name : "",
	         j->reason ? j->reason : "", j->node_list ? j->node_list : "");
	filter_row_text(buf, n, words, job_fields, DC_ARRAY_LEN(job_fields), m, j);
}

/* The list holds the partition's pending and running jobs. */
static bool job_listed(const struct queues *v, const struct dc_job *j)
{
	return j && j->partition_id == v->part && job_active(j);
}

static bool job_row(const void *ud, int64_t id, char *buf, size_t n)
{
	const struct queues *v = ud;
	const struct dc_job *j = model_get(v->m, DC_T_JOB, id);
	if (!job_listed(v, j))
		return false;
	if (buf)
		job_hay(v->m, j, buf, n);
	return true;
}

/* Rebuilds the job list from all jobs. Like the Nodes view's rebuild it
 * leaves v->seq alone: replaying changes it already reflects is harmless. */
static void rebuild_jobs(struct queues *v, const struct dc_model *m)
{
	table_begin(&v->jobs);
	size_t nj = model_count(m, DC_T_JOB);
	for (size_t i = 0; i < nj; i++) {
		const struct dc_job *j = model_row(m, DC_T_JOB, i);
		if (!job_listed(v, j))
			continue;
		char hay[1024] = "";
		if (table_filtering(&v->jobs))
			job_hay(m, j, hay, sizeof hay);
		table_add(&v->jobs, j->id, hay);
	}
	table_end(&v->jobs, job_cmp, v);
}

static void gather_job(void *ud, enum dc_table t, int64_t id)
{
	(void)t;
	struct queues *v = ud;
	v->chg = xgrow(v->chg, &v->capchg, v->nchg + 1, sizeof *v->chg);
	v->chg[v->nchg++] = id;
}

/* The jobs the log names since v->seq go through table_update; a rebuild
 * when the log no longer reaches back or the batch is big. */
static void catch_up_jobs(struct queues *v, const struct dc_model *m)
{
	v->nchg = 0;
	if (!model_log_since(m, v->seq, DC_MASK(DC_T_JOB), gather_job, v) ||
	    !table_update(&v->jobs, v->chg, v->nchg, job_row, job_cmp, v))
		rebuild_jobs(v, m);
}

static void *queues_init(const struct view_ctx *c)
{
	struct queues *v = xcalloc(1, sizeof *v);
	table_init(&v->parts, part_cols, P_COUNT, P_NAME, false);
	table_init(&v->jobs, job_cols, J_COUNT, J_STATE, false);
	v->m = c->m;
	return v;
}

static void queues_free(void *p)
{
	struct queues *v = p;
	table_free(&v->parts);
	table_free(&v->jobs);
	free(v->reasons);
	free(v->chg);
	free(v);
}

static void queues_resize(void *p, int rows, int cols)
{
	struct queues *v = p;
	(void)cols;
	v->rows = rows;
}

static void queues_on_change(void *p, unsigned mask, const struct view_ctx *c)
{
	struct queues *v = p;
	v->m = c->m;
	v->now = c->now;
	if (mask & (DC_MASK(DC_T_JOB) | DC_MASK(DC_T_PARTITION)))
		build_reasons(v, c->m);
	if (mask & (DC_MASK(DC_T_JOB) | DC_MASK(DC_T_PARTITION) | DC_MASK(DC_T_NODE) | DC_MASK(DC_T_GPU)))
		rebuild_parts(v, c->m);
	if (v->part && !model_partition(c->m, v->part))
		v->part = v->job = 0;
	if (v->part && (mask & DC_MASK(DC_T_TENANT)))
		rebuild_jobs(v, c->m);
	else if (v->part && (mask & DC_MASK(DC_T_JOB)))
		catch_up_jobs(v, c->m);
	v->seq = model_log_seq(c->m);
}

/* The operators' cancels, holds and releases of the job, oldest first,
 * with what the adapter made of them. */
static void draw_job_actions(struct pane *p, const struct dc_model *m, const struct dc_job *j)
{
	char id[24], when[32];
	snprintf(id, sizeof id, "%lld", (long long)j->id);
	size_t na = model_count(m, DC_T_ACTION);
	struct dline d;
	bool first = true;
	for (size_t i = 0; i < na; i++) {
		const struct dc_action *a = model_row(m, DC_T_ACTION, i);
		if (strncmp(a->kind, "job_", 4) != 0 || strcmp(a->target, id) != 0)
			continue;
		if (first && pane_line(p, &d))
			dline_put(&d, THEME_TITLE, "operator actions");
		first = false;
		if (!pane_line(p, &d))
			continue;
		fmt_time(a->requested_at, when, sizeof when);
		dline_putf(&d, THEME_TEXT, "  %s by %s at %s: ", a->kind + 4, a->requested_by, when);
		dline_put(&d, a->status == DC_ACT_FAILED ? THEME_WARN : THEME_DIM, dc_action_status_name(a->status));
		if (a->status == DC_ACT_FAILED && a->error)
			dline_putf(&d, THEME_WARN, " (%s)", a->error);
		dline_putf(&d, THEME_DIM, " — %s", a->reason);
	}
}

/* Why a pending job waits, in the adapter's words with its numbers
 * (slurm-explain.h: "tenant 한빛랩's quota is 16 GPUs, 16 in use by 2 jobs;
 * this job needs 8 more"), wrapped under the state line. */
static void draw_explain(struct pane *p, const struct dc_job *j)
{
	if (j->state != DC_JOB_PENDING || !j->explain || !j->explain[0])
		return;
	char clean[1024];
	text_sanitize(j->explain, clean, sizeof clean);
	int width = getmaxx(p->w) - 8;
	const char *q = clean;
	bool first = true;
	do {
		const char *next;
		size_t len = text_wrap(q, width > 10 ? width : 10, &next);
		struct dline d;
		if (pane_line(p, &d)) {
			dline_put(&d, THEME_DIM, first ? "  why " : "      ");
			dline_putf(&d, THEME_WARN, "%.*s", (int)len, q);
		}
		first = false;
		q = next;
	} while (*q);
}

static void draw_job(struct queues *v, WINDOW *w, const struct view_ctx *c)
{
	const struct dc_job *j = model_get(c->m, DC_T_JOB, v->job);
	draw_clear(w);
	struct pane p;
	pane_start(&p, w, 0, v->skip);
	struct dline d;
	char a[32], b[32], dur[16];
	if (pane_line(&p, &d)) {
		dline_putf(&d, THEME_TITLE, "job %lld  ", (long long)j->id);
		dline_put(&d, THEME_TEXT, j->name ? j->name : "");
	}
	if (pane_line(&p, &d)) {
		dline_put(&d, THEME_DIM, "state ");
		dline_put(&d, job_el(j->state), dc_job_state_name(j->state));
		if (j->reason && j->reason[0]) {
			dline_put(&d, THEME_DIM, "  reason ");
			dline_put(&d, THEME_WARN, j->reason);
		}
	}
	draw_explain(&p, j);
	if (pane_line(&p, &d)) {
		dline_put(&d, THEME_DIM, "tenant ");
		dline_put(&d, THEME_TEXT, tenant_name(c->m, j->tenant_id));
		dline_put(&d, THEME_DIM, "  user ");
		dline_put(&d, THEME_TEXT, j->user_name ? j->user_name : "");
	}
	if (pane_line(&p, &d)) {
		const struct dc_partition *pt = model_partition(c->m, j->partition_id);
		dline_putf(&d, THEME_TEXT, "partition %s  %d %s on %d %s", pt ? pt->name : "?",
		           j->gpus, text_plural(j->gpus, "GPU", "GPUs"), j->nodes, text_plural(j->nodes, "node", "nodes"));
	}
	if (pane_line(&p, &d)) {
		dline_put(&d, THEME_DIM, "nodes ");
		dline_put(&d, THEME_TEXT, j->node_list && j->node_list[0] ? j->node_list : "-");
	}
	if (pane_line(&p, &d)) {
		fmt_time(j->submit_at, a, sizeof a);
		fmt_time(j->start_at, b, sizeof b);
		dline_putf(&d, THEME_TEXT, "submitted %s  started %s", a, b);
	}
	if (pane_line(&p, &d)) {
		fmt_dur(j->time_limit_s, dur, sizeof dur);
		dline_putf(&d, THEME_TEXT, "time limit %s  priority %lld%s", dur, (long long)j->priority,
		           dc_job_held(j) ? "  (held: it will not start until released)" : "");
	}
	if (pane_line(&p, &d)) {
		fmt_time(j->end_at, a, sizeof a);
		fmt_dur(job_time(j, c->now), dur, sizeof dur);
		dline_putf(&d, THEME_TEXT, "ended %s  %s %s", a,
		           j->state == DC_JOB_PENDING ? "waiting" : "ran", dur);
	}
	draw_job_actions(&p, c->m, j);
	if (pane_end(&p, &v->skip))
		draw_job(v, w, c);
}

static void queues_draw(void *p, WINDOW *w, const struct view_ctx *c)
{
	struct queues *v = p;
	v->m = c->m;
	v->now = c->now;
	if (v->job && model_get(c->m, DC_T_JOB, v->job))
		draw_job(v, w, c);
	else if (v->part)
		table_draw(&v->jobs, w, 0, getmaxy(w), job_cell, v);
	else
		table_draw(&v->parts, w, 0, getmaxy(w), part_cell, v);
}

/* A jump arriving (a job an incident killed): its detail, over its
 * partition's job list. */
static int queues_show(void *p, int64_t id, const struct view_ctx *c, struct dc_err *err)
{
	struct queues *v = p;
	const struct dc_job *j = model_get(c->m, DC_T_JOB, id);
	if (!j)
		return dc_err_set(err, "job %lld left the job window", (long long)id);
	v->part = j->partition_id;
	table_select(&v->parts, v->part);
	rebuild_jobs(v, c->m);
	table_select(&v->jobs, id);
	v->job = id;
	v->skip = 0;
	return 0;
}

static unsigned queues_key(void *p, enum key_action a, const struct view_ctx *c)
{
	struct queues *v = p;
	if (v->job) {
		if (a != KA_BACK)
			return pane_key(&v->skip, v->rows, a);
		v->job = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	if (a == KA_BACK && v->part) {
		v->part = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	if (a == KA_ENTER) {
		int64_t id = table_cur(v->part ? &v->jobs : &v->parts);
		if (!id)
			return VIEW_HANDLED;
		if (v->part) {
			v->job = id;
			v->skip = 0;
		} else {
			v->part = id;
			rebuild_jobs(v, c->m);
		}
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	struct table *t = v->part ? &v->jobs : &v->parts;
	unsigned r = table_key(t, a);
	if (r & TABLE_RESORT) {
		if (v->part)
			rebuild_jobs(v, c->m);
		else
			rebuild_parts(v, c->m);
	}
	return r & ~(unsigned)TABLE_RESORT;
}

static unsigned queues_mode(const void *p)
{
	const struct queues *v = p;
	return v->job ? KM_DETAIL : v->part ? KM_LIST | KM_DETAIL : KM_LIST;
}

static const char *queues_filter(const void *p)
{
	const struct queues *v = p;
	return v->job ? NULL : v->part ? v->jobs.filter : v->parts.filter;
}

static void queues_set_filter(void *p, const char *pattern, const struct view_ctx *c)
{
	struct queues *v = p;
	struct table *t = v->part ? &v->jobs : &v->parts;
	snprintf(t->filter, sizeof t->filter, "%s", pattern);
	if (v->part)
		rebuild_jobs(v, c->m);
	else
		rebuild_parts(v, c->m);
}

static void queues_crumbs(const void *p, const struct view_ctx *c, char *buf, size_t n)
{
	const struct queues *v = p;
	const struct dc_partition *pt = v->part ? model_partition(c->m, v->part) : NULL;
	if (v->job)
		snprintf(buf, n, "%s > job %lld", pt ? pt->name : "?", (long long)v->job);
	else if (pt)
		snprintf(buf, n, "%s > %zu of %zu active jobs", pt->name, v->jobs.n, v->jobs.total);
	else
		snprintf(buf, n, "%zu partitions", v->parts.n);
	if (!v->job && pt)
		filter_hint(buf, n, v->jobs.filter, job_fields, DC_ARRAY_LEN(job_fields));
	else if (!v->job)
		filter_hint(buf, n, v->parts.filter, part_fields, DC_ARRAY_LEN(part_fields));
}

static int queues_open(void *p, const char *arg, const struct view_ctx *c, struct dc_err *err)
{
	struct queues *v = p;
	v->job = 0;
	if (!arg[0]) {
		v->part = 0;
		return 0;
	}
	size_t np = model_count(c->m, DC_T_PARTITION);
	struct sb names = { 0 };
	for (size_t i = 0; i < np; i++) {
		const struct dc_partition *pt = model_row(c->m, DC_T_PARTITION, i);
		if (strcasecmp(pt->name, arg) == 0) {
			sb_free(&names);
			v->part = pt->id;
			table_select(&v->parts, pt->id);
			rebuild_jobs(v, c->m);
			return 0;
		}
		sb_appendf(&names, "%s%s", i ? ", " : "", pt->name);
	}
	dc_err_set(err, "no partition '%s' (partitions: %s)", arg, names.buf ? names.buf : "none loaded");
	sb_free(&names);
	return -1;
}

/* The job in the detail pane, else the one under the cursor of a
 * partition's job list. */
static int queues_target(const void *p, enum key_action a, const struct view_ctx *c,
                         struct view_target *t, struct dc_err *err)
{
	(void)a;
	const struct queues *v = p;
	t->job = v->job ? v->job : v->part ? table_cur(&v->jobs) : 0;
	const struct dc_job *j = t->job ? model_get(c->m, DC_T_JOB, t->job) : NULL;
	if (!j)
		return dc_err_set(err, v->part ? "no job under the cursor" : "open a partition's jobs first (Enter)");
	t->tenant = j->tenant_id;
	snprintf(t->scope, sizeof t->scope, "job %lld", (long long)j->id);
	return 0;
}

/* KM_DETAIL: a partition's job list (list and detail at once) and a job's pane. */
static const struct key_binding queues_b[] = {
	{ 'C', KA_JOB_CANCEL, KM_DETAIL, true },
	{ 'H', KA_JOB_HOLD, KM_DETAIL, true },
	{ 'U', KA_JOB_RELEASE, KM_DETAIL, true },
};
static const struct key_table queues_keys = { "queues", "Queues view: jobs", queues_b,
	DC_ARRAY_LEN(queues_b) };

const struct view_ops view_queues = {
	.name = "queues",
	.title = "Queues",
	.keys = &queues_keys,
	.init = queues_init,
	.free = queues_free,
	.resize = queues_resize,
	.draw = queues_draw,
	.key = queues_key,
	.on_change = queues_on_change,
	.mode = queues_mode,
	.filter = queues_filter,
	.set_filter = queues_set_filter,
	.crumbs = queues_crumbs,
	.open = queues_open,
	.target = queues_target,
	.show = queues_show,
};
