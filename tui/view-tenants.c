/* view-tenants.c — the Tenants view: quotas, budgets, burn rate, risk.
 *
 * The burn rate is the quota row's burn_gpu_h_day (033_tenant_burn.sql):
 * the mean GPUs in use over the usage samples of the last 24 hours × 24,
 * kept by the database as samples arrive, so it moves as use does over a
 * day, not with every job that starts or ends. Run-out date and RISK
 * follow it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdline.h"
#include "draw.h"
#include "site.h"
#include "view.h"

enum { T_NAME, T_GPUS, T_BUDGET, T_HOURS, T_BURN, T_RUNOUT, T_TERM, T_RISK, T_STORAGE, T_KIND,
	T_COUNT };
static const struct table_col cols[T_COUNT] = {
	[T_NAME] = { "TENANT", 18, COL_FLEX },
	[T_GPUS] = { "GPUS", 7, COL_RIGHT },
	[T_BUDGET] = { "GPU-H BUDGET", 13, 0 },
	[T_HOURS] = { "GPU-H USED", 15, COL_RIGHT | COL_WIDE },
	[T_BURN] = { "BURN/24h", 8, COL_RIGHT }, /* GPU-h a day, mean of the last 24 h */
	[T_RUNOUT] = { "RUNS OUT", 10, 0 },
	[T_TERM] = { "TERM END", 10, 0 },
	[T_RISK] = { "RISK", 5, COL_RIGHT },
	[T_STORAGE] = { "STORAGE TB", 12, COL_RIGHT | COL_WIDE },
	[T_KIND] = { "KIND", 10, COL_WIDE },
};

/* The columns Slurm accounting feeds: while it is unreadable
 * (site_quotas_stale) their titles are marked "*", and a line above the
 * table says since when. */
#define ACCT_COLS (1u << T_GPUS | 1u << T_BUDGET | 1u << T_HOURS | 1u << T_BURN | 1u << T_RUNOUT | 1u << T_RISK)

/* cols with the accounting columns marked, made once from cols. */
static const struct table_col *stale_cols(void)
{
	static struct table_col marked[T_COUNT];
	static char titles[T_COUNT][24];
	if (marked[0].title)
		return marked;
	for (int i = 0; i < T_COUNT; i++) {
		marked[i] = cols[i];
		if (!(ACCT_COLS & 1u << i))
			continue;
		snprintf(titles[i], sizeof titles[i], "%s*", cols[i].title);
		marked[i].title = titles[i];
		if (marked[i].width < (int)strlen(titles[i])) /* ASCII titles */
			marked[i].width = (int)strlen(titles[i]);
	}
	return marked;
}

struct tenants {
	struct table_view tv;     /* first: the shared parts take it */
};

/* A GPU-hour budget of 0 is none (a Slurm account without GrpTRESMins,
 * and how the schedulers read it): nothing is used up, nothing runs out. */
static bool has_budget(const struct dc_quota *q)
{
	return q->gpu_hours_budget > 0;
}

/* Budget arithmetic for one tenant; all zero without a quota. */
struct burn {
	const struct dc_quota *q;
	double used_frac;        /* gpu-hours used / budget */
	double per_day;          /* GPU-h per day, mean over the window (0 without a quota) */
	int64_t runs_out;        /* when the budget is gone at this rate; 0 never */
	double risk;             /* projected use at term end / budget, or GPU use / limit */
};

static struct burn burn_of(const struct dc_model *m, const struct dc_tenant *t, int64_t now)
{
	struct burn b = { .q = model_quota_of(m, t->id) };
	if (!b.q)
		return b;
	const struct dc_quota *q = b.q;
	b.per_day = q->burn_gpu_h_day;
	if (!has_budget(q)) {
		/* nothing to run out of: the risk is the GPU limit's alone */
		if (q->gpu_limit > 0)
			b.risk = (double)t->gpus_running / q->gpu_limit;
		return b;
	}
	double left = q->gpu_hours_budget - q->gpu_hours_used;
	b.used_frac = q->gpu_hours_budget > 0 ? q->gpu_hours_used / q->gpu_hours_budget
	              : q->gpu_hours_used > 0 ? 2.0 : 0.0;
	if (left <= 0)
		b.runs_out = now;
	else if (b.per_day > 0)
		b.runs_out = now + (int64_t)(left / b.per_day * 86400.0);
	double days = q->term_end > now ? (double)(q->term_end - now) / 86400.0 : 0;
	double projected = q->gpu_hours_used + b.per_day * days;
	b.risk = q->gpu_hours_budget > 0 ? projected / q->gpu_hours_budget : b.used_frac;
	if (q->gpu_limit > 0 && (double)t->gpus_running / q->gpu_limit > b.risk)
		b.risk = (double)t->gpus_running / q->gpu_limit;
	return b;
}

static enum theme_el quota_el(double frac)
{
	return frac >= 1.0 ? THEME_QUOTA_OVER : frac >= 0.8 ? THEME_QUOTA_WARN : THEME_QUOTA_OK;
}

static void fmt_hours(double h, char *buf, size_t n)
{
	if (h >= 1e6)
		snprintf(buf, n, "%.1fM", h / 1e6);
	else if (h >= 1e4)
		snprintf(buf, n, "%.1fk", h / 1e3);
	else
		snprintf(buf, n, "%.0f", h);
}

static int tenant_cmp(const void *ud, int64_t ia, int64_t ib, int col)
{
	const struct tenants *v = ud;
	const struct dc_tenant *a = model_tenant(v->tv.m, ia), *b = model_tenant(v->tv.m, ib);
	struct burn ba = burn_of(v->tv.m, a, v->tv.now), bb = burn_of(v->tv.m, b, v->tv.now);
	switch (col) {
	case T_NAME: return strcmp(a->name, b->name);
	case T_GPUS: return cmp_i64(a->gpus_running, b->gpus_running);
	case T_BUDGET: return cmp_dbl(ba.used_frac, bb.used_frac);
	case T_HOURS: return cmp_dbl(ba.q ? ba.q->gpu_hours_used : 0, bb.q ? bb.q->gpu_hours_used : 0);
	case T_BURN: return cmp_dbl(ba.per_day, bb.per_day);
	case T_RUNOUT: return cmp_i64(ba.runs_out ? ba.runs_out : INT64_MAX,
	                              bb.runs_out ? bb.runs_out : INT64_MAX);
	case T_TERM: return cmp_i64(ba.q ? ba.q->term_end : 0, bb.q ? bb.q->term_end : 0);
	case T_RISK: return cmp_dbl(ba.risk, bb.risk);
	case T_STORAGE: return cmp_dbl(ba.q ? ba.q->storage_used_tb : 0, bb.q ? bb.q->storage_used_tb : 0);
	case T_KIND: return strcmp(a->kind ? a->kind : "", b->kind ? b->kind : "");
	default: return 0;
	}
}

static void bar_text(double frac, int width, char *buf, size_t n)
{
	int fill = (int)(frac * width + 0.5);
	if (fill > width)
		fill = width;
	if (frac > 0 && fill == 0)
		fill = 1;
	size_t o = 0;
	for (int i = 0; i < width && o + 1 < n; i++)
		buf[o++] = i < fill ? '|' : '.';
	buf[o] = '\0';
}

static void tenant_cell(const void *ud, int64_t id, int col, char *buf, size_t n, enum theme_el *el)
{
	const struct tenants *v = ud;
	const struct dc_tenant *t = model_tenant(v->tv.m, id);
	struct burn b = burn_of(v->tv.m, t, v->tv.now);
	const struct dc_quota *q = b.q;
	char x[32], y[32];
	if (!q && col != T_NAME && col != T_GPUS && col != T_KIND) {
		snprintf(buf, n, col == T_BUDGET ? "no quota" : "-");
		*el = THEME_DIM;
		return;
	}
	switch (col) {
	case T_NAME: snprintf(buf, n, "%s", t->name); break;
	case T_GPUS:
		if (q) {
			snprintf(buf, n, "%d/%d", t->gpus_running, q->gpu_limit);
			*el = quota_el(q->gpu_limit ? (double)t->gpus_running / q->gpu_limit : 0);
		} else {
			snprintf(buf, n, "%d", t->gpus_running);
		}
		break;
	case T_BUDGET:
		if (!has_budget(q)) {
			snprintf(buf, n, "no budget");
			*el = THEME_DIM;
			break;
		}
		bar_text(b.used_frac, 8, x, sizeof x);
		snprintf(buf, n, "%s %3.0f%%", x, b.used_frac * 100);
		*el = quota_el(b.used_frac);
		break;
	case T_HOURS:
		fmt_hours(q->gpu_hours_used, x, sizeof x);
		fmt_hours(q->gpu_hours_budget, y, sizeof y);
		snprintf(buf, n, "%s/%s", x, has_budget(q) ? y : "-");
		break;
	case T_BURN: fmt_hours(b.per_day, buf, n); break;
	case T_RUNOUT:
		if (has_budget(q) && q->gpu_hours_used >= q->gpu_hours_budget) {
			snprintf(buf, n, "exhausted");
			*el = THEME_QUOTA_OVER;
		} else if (!b.runs_out) {
			snprintf(buf, n, "-");
			*el = THEME_DIM;
		} else {
			fmt_date(b.runs_out, buf, n);
			*el = q->term_end && b.runs_out < q->term_end ? THEME_QUOTA_WARN : THEME_TEXT;
		}
		break;
	case T_TERM:
		fmt_date(q->term_end, buf, n);
		*el = q->term_end && q->term_end < v->tv.now + 30 * 86400 ? THEME_WARN : THEME_TEXT;
		break;
	case T_RISK: snprintf(buf, n, "%.0f%%", b.risk * 100); *el = quota_el(b.risk); break;
	case T_STORAGE: snprintf(buf, n, "%.1f/%.1f", q->storage_used_tb, q->storage_tb);
		*el = quota_el(q->storage_tb > 0 ? q->storage_used_tb / q->storage_tb : 0);
		break;
	case T_KIND: snprintf(buf, n, "%s", t->kind ? t->kind : ""); *el = THEME_DIM; break;
	default: break;
	}
}

/* ---- filter fields (filter.h) ---- */

/* The account id is the tenant's id: what Slurm's accounts and the
 * audit's tenant_id carry. */
static void tenant_f_id(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	const struct dc_tenant *t = row;
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)t->id);
	filter_put(ft, "id", id);
	filter_put(ft, "account", id);
	filter_put(ft, "kind", t->kind);
}

/* over (more GPUs running than the limit), full (at it), pending (jobs
 * wait), idle (nothing running). */
static void tenant_f_state(struct filter_text *ft, const void *ud, const void *row)
{
	const struct dc_tenant *t = row;
	const struct dc_quota *q = model_quota_of(ud, t->id);
	if (q && t->gpus_running > q->gpu_limit)
		filter_put(ft, "state", "over");
	else if (q && q->gpu_limit > 0 && t->gpus_running == q->gpu_limit)
		filter_put(ft, "state", "full");
	if (t->jobs_pending)
		filter_put(ft, "state", "pending");
	if (!t->gpus_running)
		filter_put(ft, "state", "idle");
}

static const struct filter_field tenant_fields[] = {
	{ "id account kind", "the account id (both); startup, sme, enterprise, university, institute",
	  tenant_f_id },
	{ "state", "over, full, pending, idle", tenant_f_state },
};

static void rebuild(struct tenants *v, const struct dc_model *m)
{
	table_begin(&v->tv.t);
	size_t n = model_count(m, DC_T_TENANT);
	for (size_t i = 0; i < n; i++) {
		const struct dc_tenant *t = model_row(m, DC_T_TENANT, i);
		char hay[768] = "", words[640];
		if (table_filtering(&v->tv.t)) {
			snprintf(words, sizeof words, "%s %s %s", t->name, t->name_en ? t->name_en : "",
			         t->kind ? t->kind : "");
			filter_row_text(hay, sizeof hay, words, tenant_fields, DC_ARRAY_LEN(tenant_fields), m, t);
		}
		table_add(&v->tv.t, t->id, hay);
	}
	table_end(&v->tv.t, tenant_cmp, v);
}

static void *tenants_init(const struct view_ctx *c)
{
	return table_view_new(sizeof(struct tenants), cols, T_COUNT, T_RISK, true, c);
}

static void tenants_on_change(void *p, unsigned mask, const struct view_ctx *c)
{
	struct tenants *v = p;
	table_view_ctx(v, c);
	if (mask & (DC_MASK(DC_T_TENANT) | DC_MASK(DC_T_QUOTA) | DC_MASK(DC_T_JOB)))
		rebuild(v, c->m);
	if (v->tv.detail && !model_tenant(c->m, v->tv.detail))
		v->tv.detail = 0;
}

static void quota_line(struct pane *p, const char *what, double used, double limit,
                       const char *unit)
{
	struct dline d;
	if (!pane_line(p, &d))
		return;
	double frac = limit > 0 ? used / limit : used > 0 ? 2.0 : 0.0;
	dline_putf(&d, THEME_DIM, "%-13s", what);
	draw_bar(d.w, d.y, d.x, 20, frac, quota_el(frac));
	d.x += 21;
	dline_putf(&d, quota_el(frac), "%5.0f%%", frac * 100);
	dline_putf(&d, THEME_TEXT, "  %.1f of %.1f %s", used, limit, unit);
}

/* What the burn rate is the mean of: the last 24 h, or less while the
 * samples do not reach back that far. */
static void burn_window_line(struct dline *d, const struct dc_quota *q, int64_t now)
{
	if (!q->burn_since) {
		dline_put(d, THEME_DIM, "  no GPU use in the usage samples of the last 24 h");
		return;
	}
	char since[32], span[16];
	fmt_time(q->burn_since, since, sizeof since);
	fmt_dur(now - q->burn_since, span, sizeof span);
	dline_putf(d, THEME_DIM, "  mean GPUs in use × 24 over the 24 h window: samples since %s (%s)",
	           since, span);
}

/* "Slurm accounting unreadable since 2026-03-01 21:04 KST (5m ago): why";
 * minutes, like the clock, so an idle console redraws it once a minute. */
static void stale_text(int64_t since, const char *why, int64_t now, char *buf, size_t n)
{
	char at[40], ago[24];
	fmt_time(since, at, sizeof at);
	fmt_ago(now - since, ago, sizeof ago);
	snprintf(buf, n, "Slurm accounting unreadable since %s (%s): %s", at, ago, why);
}

static void draw_detail(struct tenants *v, WINDOW *w, const struct view_ctx *c)
{
	const struct dc_tenant *t = model_tenant(c->m, v->tv.detail);
	struct burn b = burn_of(c->m, t, c->now);
	draw_clear(w);
	struct pane p;
	pane_start(&p, w, 0, v->tv.skip);
	struct dline d;
	char x[32], y[32];
	if (pane_line(&p, &d)) {
		dline_put(&d, THEME_TITLE, t->name);
		dline_put(&d, THEME_TEXT, "  ");
		dline_put(&d, THEME_TEXT, t->name_en ? t->name_en : "");
		dline_putf(&d, THEME_DIM, "  (%s, account id %lld)", t->kind ? t->kind : "?", (long long)t->id);
	}
	if (pane_line(&p, &d))
		dline_putf(&d, THEME_TEXT, "%d %s in use; jobs: %d running, %d pending",
		           t->gpus_running, text_plural(t->gpus_running, "GPU", "GPUs"), t->jobs_running,
		           t->jobs_pending);
	pane_line(&p, &d);
	if (!b.q) {
		if (pane_line(&p, &d))
			dline_put(&d, THEME_WARN, "no quota");
	} else {
		quota_line(&p, "GPUs", t->gpus_running, b.q->gpu_limit, "GPUs");
		if (has_budget(b.q))
			quota_line(&p, "GPU-hours", b.q->gpu_hours_used, b.q->gpu_hours_budget, "GPU-h");
		else if (pane_line(&p, &d))
			dline_putf(&d, THEME_TEXT, "%-13s%.1f GPU-h used, no budget", "GPU-hours", b.q->gpu_hours_used);
		quota_line(&p, "Storage", b.q->storage_used_tb, b.q->storage_tb, "TB");
		if (pane_line(&p, &d)) {
			fmt_hours(b.per_day, x, sizeof x);
			dline_putf(&d, THEME_TEXT, "burn %s GPU-h/day; budget %s", x,
			           b.runs_out ? "runs out " : "");
			fmt_date(b.runs_out, y, sizeof y);
			dline_put(&d, b.runs_out && b.runs_out < b.q->term_end ? THEME_QUOTA_WARN : THEME_TEXT,
			          b.runs_out ? y : has_budget(b.q) ? "lasts at this rate" : "none set");
			dline_putf(&d, THEME_TEXT, "; risk %.0f%%", b.risk * 100);
		}
		if (pane_line(&p, &d))
			burn_window_line(&d, b.q, c->now);
		if (pane_line(&p, &d)) {
			fmt_date(b.q->term_start, x, sizeof x);
			fmt_date(b.q->term_end, y, sizeof y);
			dline_putf(&d, THEME_TEXT, "term %s to %s", x, y);
			if (b.q->expires_at) {
				fmt_time(b.q->expires_at, x, sizeof x);
				dline_putf(&d, THEME_WARN, "; temporary quota expires %s", x);
			}
		}
	}
	const char *why = NULL;
	int64_t since = site_quotas_stale(c->m, &why);
	if (since && pane_line(&p, &d)) {
		char text[800];
		stale_text(since, why, c->now, text, sizeof text);
		dline_put(&d, THEME_WARN, "quota and GPU-hours as last known: ");
		dline_put(&d, THEME_WARN, text);
	}
	pane_line(&p, &d);
	if (pane_line(&p, &d))
		dline_put(&d, THEME_TITLE, "Projects");
	size_t np = model_count(c->m, DC_T_PROJECT);
	for (size_t i = 0; i < np; i++) {
		const struct dc_project *pr = model_row(c->m, DC_T_PROJECT, i);
		if (pr->tenant_id != t->id || !pane_line(&p, &d))
			continue;
		fmt_date(pr->term_end, x, sizeof x);
		dline_put(&d, THEME_TEXT, "  ");
		dline_put(&d, THEME_TEXT, pr->name);
		dline_put(&d, THEME_DIM, "  ");
		dline_put(&d, THEME_DIM, pr->programme ? pr->programme : "");
		dline_putf(&d, THEME_DIM, "  until %s", x);
	}
	pane_line(&p, &d);
	if (pane_line(&p, &d))
		dline_put(&d, THEME_TITLE, "Active jobs");
	size_t nj = model_count(c->m, DC_T_JOB);
	for (size_t i = 0; i < nj; i++) {
		const struct dc_job *j = model_row(c->m, DC_T_JOB, i);
		if (j->tenant_id != t->id || (j->state != DC_JOB_RUNNING && j->state != DC_JOB_PENDING) ||
		    !pane_line(&p, &d))
			continue;
		const struct dc_partition *pt = model_partition(c->m, j->partition_id);
		dline_putf(&d, j->state == DC_JOB_RUNNING ? THEME_JOB_RUNNING : THEME_JOB_PENDING,
		           "  %-8lld %-8s ", (long long)j->id, dc_job_state_name(j->state));
		dline_putf(&d, THEME_TEXT, "%-8s %3d GPUs  %s  ", pt ? pt->name : "?", j->gpus,
		           j->user_name ? j->user_name : "");
		dline_put(&d, THEME_DIM, j->reason && j->reason[0] ? j->reason : (j->name ? j->name : ""));
	}
	if (pane_end(&p, &v->tv.skip))
		draw_detail(v, w, c);
}

static void tenants_draw(void *p, WINDOW *w, const struct view_ctx *c)
{
	struct tenants *v = p;
	table_view_ctx(v, c);
	const char *why = NULL;
	int64_t since = site_quotas_stale(c->m, &why);
	v->tv.t.cols = since ? stale_cols() : cols;
	if (v->tv.detail) {
		draw_detail(v, w, c);
		return;
	}
	if (!since) {
		table_draw(&v->tv.t, w, 0, getmaxy(w), tenant_cell, v);
		return;
	}
	char text[800], line[840];
	stale_text(since, why, c->now, text, sizeof text);
	snprintf(line, sizeof line, "* last known: %s", text);
	draw_fill(w, 0, 0, getmaxx(w), THEME_WARN);
	draw_text(w, 0, 1, getmaxx(w) - 2, THEME_WARN, line);
	table_draw(&v->tv.t, w, 1, getmaxy(w) - 1, tenant_cell, v);
}

static unsigned tenants_key(void *p, enum key_action a, const struct view_ctx *c)
{
	struct tenants *v = p;
	if (v->tv.detail) {
		if (a != KA_BACK)
			return pane_key(&v->tv.skip, v->tv.rows, a);
		v->tv.detail = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	if (a == KA_ENTER) {
		v->tv.detail = table_cur(&v->tv.t);
		v->tv.skip = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	unsigned r = table_key(&v->tv.t, a);
	if (r & TABLE_RESORT)
		rebuild(v, c->m);
	return r & ~(unsigned)TABLE_RESORT;
}

static unsigned tenants_mode(const void *p)
{
	const struct tenants *v = p;
	return v->tv.detail ? KM_DETAIL : KM_LIST;
}

static const char *tenants_filter(const void *p)
{
	const struct tenants *v = p;
	return v->tv.detail ? NULL : v->tv.t.filter;
}

static void tenants_set_filter(void *p, const char *pattern, const struct view_ctx *c)
{
	struct tenants *v = p;
	snprintf(v->tv.t.filter, sizeof v->tv.t.filter, "%s", pattern);
	rebuild(v, c->m);
}

static void tenants_crumbs(const void *p, const struct view_ctx *c, char *buf, size_t n)
{
	const struct tenants *v = p;
	const struct dc_tenant *t = v->tv.detail ? model_tenant(c->m, v->tv.detail) : NULL;
	if (t)
		snprintf(buf, n, "tenant %s", t->name);
	else if (v->tv.t.n != v->tv.t.total)
		snprintf(buf, n, "%zu of %zu tenants", v->tv.t.n, v->tv.t.total);
	else
		snprintf(buf, n, "%zu %s", v->tv.t.n, text_plural((long)v->tv.t.n, "tenant", "tenants"));
	if (!t)
		filter_hint(buf, n, v->tv.t.filter, tenant_fields, DC_ARRAY_LEN(tenant_fields));
}

/* :tenant NAME — exact name (or English name), else the one that contains it. */
static int tenants_open(void *p, const char *arg, const struct view_ctx *c, struct dc_err *err)
{
	struct tenants *v = p;
	size_t n = model_count(c->m, DC_T_TENANT), hits = 0;
	int64_t found = 0;
	for (size_t i = 0; i < n; i++) {
		const struct dc_tenant *t = model_row(c->m, DC_T_TENANT, i);
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)t->id);
		if (strcmp(t->name, arg) == 0 || (t->name_en && strcasecmp(t->name_en, arg) == 0) ||
		    strcmp(id, arg) == 0) {
			found = t->id;
			hits = 1;
			break;
		}
		if (filter_match(arg, t->name) || (t->name_en && filter_match(arg, t->name_en))) {
			found = t->id;
			hits++;
		}
	}
	if (hits > 1)
		return dc_err_set(err, "'%s' matches %zu tenants: type more of the name (Tab completes)",
		                  arg, hits);
	if (!hits)
		return dc_err_set(err, "no tenant named '%s'", arg);
	v->tv.detail = found;
	v->tv.skip = 0;
	table_select(&v->tv.t, found);
	return 0;
}

/* A jump arriving (an incident's tenant): its detail. */
static int tenants_show(void *p, int64_t id, const struct view_ctx *c, struct dc_err *err)
{
	struct tenants *v = p;
	if (!model_tenant(c->m, id))
		return dc_err_set(err, "tenant %lld is not known any more", (long long)id);
	v->tv.detail = id;
	v->tv.skip = 0;
	table_select(&v->tv.t, id);
	return 0;
}

/* The detail's tenant, else the cursor's. */
static int tenants_target(const void *p, enum key_action a, const struct view_ctx *c,
                          struct view_target *t, struct dc_err *err)
{
	(void)a;
	const struct tenants *v = p;
	t->tenant = v->tv.detail ? v->tv.detail : table_cur(&v->tv.t);
	const struct dc_tenant *tn = model_tenant(c->m, t->tenant);
	if (!tn)
		return dc_err_set(err, "no tenant under the cursor");
	snprintf(t->scope, sizeof t->scope, "%s", tn->name);
	return 0;
}

static const struct key_binding tenants_b[] = {
	{ 'Q', KA_QUOTA, KM_LIST | KM_DETAIL, true },
};
static const struct key_table tenants_keys = { "tenants", "Tenants view", tenants_b,
	DC_ARRAY_LEN(tenants_b) };

const struct view_ops view_tenants = {
	.name = "tenants",
	.title = "Tenants",
	.keys = &tenants_keys,
	.init = tenants_init,
	.free = table_view_free,
	.resize = table_view_resize,
	.draw = tenants_draw,
	.key = tenants_key,
	.on_change = tenants_on_change,
	.mode = tenants_mode,
	.filter = tenants_filter,
	.set_filter = tenants_set_filter,
	.crumbs = tenants_crumbs,
	.open = tenants_open,
	.target = tenants_target,
	.show = tenants_show,
};
