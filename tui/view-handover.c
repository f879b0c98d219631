/* view-handover.c — the Handover view: the shift, what is open, what
 * happened in it, and the outgoing operator's note with its sign-off.
 *
 * Computed from the model on every draw (it is live), in the sections and
 * wording of the handover report (backend/report.h); the window is the
 * report's default: from the shift's window_from, which the server stores
 * from the report's own rule (dcops.handover_start, 045: the previous
 * handover, else the start of the rota slot) to the latest shift's end or
 * now; with no shift, the last ROTA_FALLBACK_S.
 * The handover shown for sign-off is the latest shift that has a note.
 * Unowned open incidents are drawn in the warn element until taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "view.h"

#define ROTA_FALLBACK_S (12 * 3600)
#define QUOTA_RISK_PCT 90.0
#define QUOTA_RISK_DAYS 7.0

struct handover {
	int skip, rows;
};

struct window {
	const struct dc_shift *shift;   /* NULL: no shift recorded */
	const struct dc_shift *prev;    /* the handover it starts at, or NULL */
	int64_t start, end;
};

static const enum theme_el sev_el[] = { THEME_SEV1, THEME_SEV1, THEME_SEV2, THEME_SEV3, THEME_SEV4,
	THEME_SEV5 };

static enum theme_el sev_of(int sev)
{
	return sev_el[sev >= 1 && sev <= 5 ? sev : 5];
}

/* The latest shift by start, as dcops.handover_window picks it. */
static const struct dc_shift *latest_shift(const struct dc_model *m)
{
	const struct dc_shift *best = NULL;
	for (size_t i = 0; i < model_count(m, DC_T_SHIFT); i++) {
		const struct dc_shift *s = model_row(m, DC_T_SHIFT, i);
		if (!best || s->started_at > best->started_at || (s->started_at == best->started_at && s->id > best->id))
			best = s;
	}
	return best;
}

/* The shift whose end the window starts at, for the label; NULL when the
 * window starts at the rota slot. */
static const struct dc_shift *previous_shift(const struct dc_model *m, const struct dc_shift *s, int64_t start)
{
	const struct dc_shift *best = NULL;
	for (size_t i = 0; i < model_count(m, DC_T_SHIFT); i++) {
		const struct dc_shift *x = model_row(m, DC_T_SHIFT, i);
		if (x != s && x->ended_at == start && (!best || x->id > best->id))
			best = x;
	}
	return best;
}

static struct window window_of(const struct dc_model *m, int64_t now)
{
	/* an open window has no upper bound: a row the database stamped a
	 * moment after the console's clock (skew, a coarse tick) is still in it */
	struct window w = { .shift = latest_shift(m), .end = INT64_MAX };
	if (w.shift) {
		/* a server before 045 sends no window_from: the shift's start */
		w.start = w.shift->window_from ? w.shift->window_from : w.shift->started_at;
		w.end = w.shift->ended_at ? w.shift->ended_at : INT64_MAX;
		w.prev = previous_shift(m, w.shift, w.start);
	} else {
		w.start = now - ROTA_FALLBACK_S;
	}
	return w;
}

/* The newest note (by its shift's start): the handover to sign off. */
static const struct dc_handover_note *latest_note(const struct dc_model *m)
{
	const struct dc_handover_note *best = NULL;
	int64_t best_at = 0;
	for (size_t i = 0; i < model_count(m, DC_T_HANDOVER_NOTE); i++) {
		const struct dc_handover_note *n = model_row(m, DC_T_HANDOVER_NOTE, i);
		const struct dc_shift *s = model_get(m, DC_T_SHIFT, n->shift_id);
		int64_t at = s ? s->started_at : n->created_at;
		if (!best || at > best_at || (at == best_at && n->id > best->id)) {
			best = n;
			best_at = at;
		}
	}
	return best;
}

/* Rows of table t whose i64 at off passes keep, sorted by id. */
typedef bool (*keep_fn)(const void *row, const struct window *w);

static int id_cmp(const void *a, const void *b)
{
	int64_t x = **(const int64_t *const *)a, y = **(const int64_t *const *)b;
	return (x > y) - (x < y);
}

/* Every row struct here starts with int64_t id. */
static size_t collect(const struct dc_model *m, enum dc_table t, keep_fn keep, const struct window *w,
                      const void ***out)
{
	size_t n = 0, cap = 0;
	*out = NULL;
	for (size_t i = 0; i < model_count(m, t); i++) {
		const void *r = model_row(m, t, i);
		if (!keep(r, w))
			continue;
		*out = xgrow(*out, &cap, n + 1, sizeof **out);
		(*out)[n++] = r;
	}
	if (n)
		qsort(*out, n, sizeof **out, id_cmp);
	return n;
}

static bool keep_open(const void *r, const struct window *w)
{
	(void)w;
	return ((const struct dc_incident *)r)->state != DC_INC_RESOLVED;
}

static bool keep_opened(const void *r, const struct window *w)
{
	const struct dc_incident *i = r;
	return i->opened_at >= w->start && i->opened_at <= w->end;
}

static bool keep_resolved(const void *r, const struct window *w)
{
	const struct dc_incident *i = r;
	return i->state == DC_INC_RESOLVED && i->resolved_at >= w->start && i->resolved_at <= w->end;
}

static bool keep_out(const void *r, const struct window *w)
{
	(void)w;
	const struct dc_node *n = r;
	return n->admin != DC_ADMIN_ACTIVE || n->sched == DC_SCHED_DOWN;
}

static bool keep_action(const void *r, const struct window *w)
{
	const struct dc_action *a = r;
	return a->requested_at >= w->start && a->requested_at <= w->end;
}

static bool heading(struct pane *p, const char *title, size_t n)
{
	struct dline d;
	if (pane_line(p, &d))
		dline_putf(&d, THEME_TITLE, "%s (%zu)", title, n);
	return n > 0;
}

static void none_line(struct pane *p)
{
	struct dline d;
	if (pane_line(p, &d))
		dline_put(&d, THEME_DIM, "  none");
}

static void draw_shift(struct pane *p, const struct dc_model *m, const struct window *w, int64_t now)
{
	struct dline d;
	char a[32], b[32] = "now";
	fmt_time(w->start, a, sizeof a);
	if (w->end != INT64_MAX)
		fmt_time(w->end, b, sizeof b);
	if (pane_line(p, &d)) {
		dline_put(&d, THEME_TITLE, "Shift ");
		if (w->shift)
			dline_putf(&d, THEME_TEXT, "%lld of %s  %s → %s", (long long)w->shift->id, w->shift->operator_, a, b);
		else
			dline_putf(&d, THEME_WARN, "none started: the last %d h (%s → now)",
			           ROTA_FALLBACK_S / 3600, a);
	}
	if (w->prev && pane_line(p, &d))
		dline_putf(&d, THEME_DIM, "      from the previous handover (the end of shift %lld)", (long long)w->prev->id);
	if (!pane_line(p, &d))
		return;
	dline_put(&d, THEME_DIM, "On call: ");
	int on = 0;
	for (size_t i = 0; i < model_count(m, DC_T_SHIFT); i++) {
		const struct dc_shift *s = model_row(m, DC_T_SHIFT, i);
		if (s->ended_at)
			continue;
		char since[24];
		fmt_ago(now - s->started_at, since, sizeof since);
		dline_putf(&d, THEME_TEXT, "%s%s (started %s)", on++ ? ", " : "", s->operator_, since);
	}
	if (!on)
		dline_put(&d, THEME_WARN, "nobody on shift");
}

static void draw_open(struct pane *p, const struct dc_model *m, const struct window *w, int64_t now)
{
	const void **v;
	size_t n = collect(m, DC_T_INCIDENT, keep_open, w, &v);
	struct dline d;
	if (!heading(p, "Open incidents", n))
		none_line(p);
	for (size_t i = 0; i < n; i++) {
		const struct dc_incident *inc = v[i];
		if (!pane_line(p, &d))
			continue;
		bool unowned = !inc->owner || !inc->owner[0];
		char age[16], due[32];
		fmt_age(now - inc->opened_at, age, sizeof age);
		dline_putf(&d, unowned ? THEME_WARN : THEME_TEXT, "  #%-5lld ", (long long)inc->id);
		dline_putf(&d, sev_of(inc->sev), "SEV-%d ", inc->sev);
		dline_putf(&d, THEME_TEXT, "%-12s ", dc_inc_state_name(inc->state));
		dline_putf(&d, unowned ? THEME_WARN : THEME_TEXT, "%-10s ", unowned ? "UNOWNED" : inc->owner);
		dline_putf(&d, THEME_DIM, "%4s ", age);
		if (inc->next_update_at) {
			fmt_dur(inc->next_update_at - now, due, sizeof due);
			if (inc->next_update_at < now)
				dline_put(&d, THEME_ERROR, "update overdue ");
			else
				dline_putf(&d, THEME_DIM, "next update %s ", due);
		}
		if (inc->drill_id)
			dline_put(&d, THEME_HEADER_DRILL, "[DRILL] ");
		dline_put(&d, THEME_TEXT, inc->title);
	}
	free(v);
}

static void draw_incident_list(struct pane *p, const struct dc_model *m, const struct window *w,
                               const char *title, keep_fn keep)
{
	const void **v;
	size_t n = collect(m, DC_T_INCIDENT, keep, w, &v);
	struct dline d;
	if (!heading(p, title, n))
		none_line(p);
	for (size_t i = 0; i < n; i++) {
		const struct dc_incident *inc = v[i];
		if (!pane_line(p, &d))
			continue;
		dline_putf(&d, THEME_TEXT, "  #%-5lld ", (long long)inc->id);
		dline_putf(&d, sev_of(inc->sev), "SEV-%d ", inc->sev);
		if (inc->drill_id)
			dline_put(&d, THEME_HEADER_DRILL, "[DRILL] ");
		dline_put(&d, THEME_TEXT, inc->title);
		if (inc->state == DC_INC_RESOLVED && inc->summary && inc->summary[0]) {
			dline_put(&d, THEME_DIM, " — ");
			dline_put(&d, THEME_DIM, inc->summary);
		}
	}
	free(v);
}

static void draw_nodes_out(struct pane *p, const struct dc_model *m, const struct window *w, int64_t now)
{
	const void **v;
	size_t n = collect(m, DC_T_NODE, keep_out, w, &v);
	struct dline d;
	if (!heading(p, "Nodes drained or down", n))
		none_line(p);
	for (size_t i = 0; i < n; i++) {
		const struct dc_node *nd = v[i];
		if (!pane_line(p, &d))
			continue;
		bool down = nd->sched == DC_SCHED_DOWN;
		dline_putf(&d, down ? THEME_NODE_DOWN : THEME_NODE_DRAINED, "  %-14s %-9s ", nd->name,
		           down && nd->admin == DC_ADMIN_ACTIVE ? "down" : dc_admin_name(nd->admin));
		if (nd->drained_at) {
			char since[24];
			fmt_ago(now - nd->drained_at, since, sizeof since);
			dline_putf(&d, THEME_DIM, "%s ", since);
		}
		if (nd->drained_by && nd->drained_by[0])
			dline_putf(&d, THEME_DIM, "by %s ", nd->drained_by);
		dline_put(&d, THEME_TEXT, nd->drain_reason && nd->drain_reason[0] ? nd->drain_reason
		                          : nd->health_detail ? nd->health_detail : "");
	}
	free(v);
}

static void draw_actions(struct pane *p, const struct dc_model *m, const struct window *w)
{
	const void **v;
	size_t n = collect(m, DC_T_ACTION, keep_action, w, &v);
	struct dline d;
	if (!heading(p, "Actions taken", n))
		none_line(p);
	for (size_t i = 0; i < n; i++) {
		const struct dc_action *a = v[i];
		if (!pane_line(p, &d))
			continue;
		char at[32];
		text_time(a->requested_at, "%H:%M", at, sizeof at);
		dline_putf(&d, THEME_DIM, "  %s ", at);
		dline_putf(&d, THEME_TEXT, "%-10s %-14s ", a->kind, a->target);
		dline_putf(&d, a->status == DC_ACT_FAILED ? THEME_ACTION_FAILED
		               : a->status == DC_ACT_PENDING ? THEME_ACTION_PENDING : THEME_ACTION_APPLIED,
		           "%-9s ", dc_action_status_name(a->status));
		dline_putf(&d, THEME_DIM, "%s: ", a->requested_by);
		dline_put(&d, THEME_TEXT, a->reason);
	}
	free(v);
}

/* A tenant at quota risk, as the report says it (backend/report.h):
 * pending jobs held by the GPU limit, the budget over 90% used, or run
 * out within a week at the last 24 h's burn. At the limit with nothing
 * waiting is not a risk. */
struct risk {
	int blocked, blocked_gpus;
	double hpct, days;          /* days < 0: no burn */
};

static bool at_risk(const struct dc_model *m, const struct dc_tenant *t, const struct dc_quota *q,
                    struct risk *r)
{
	*r = (struct risk){ .days = -1 };
	for (size_t i = 0; i < model_count(m, DC_T_JOB); i++) {
		const struct dc_job *j = model_row(m, DC_T_JOB, i);
		if (j->tenant_id == t->id && j->state == DC_JOB_PENDING && t->gpus_running + j->gpus > q->gpu_limit) {
			r->blocked++;
			r->blocked_gpus += j->gpus;
		}
	}
	r->hpct = q->gpu_hours_budget > 0 ? 100.0 * q->gpu_hours_used / q->gpu_hours_budget : 0;
	if (q->burn_gpu_h_day > 0 && q->gpu_hours_budget > 0) { /* 0: no budget to run out of */
		double left = q->gpu_hours_budget - q->gpu_hours_used;
		r->days = (left > 0 ? left : 0) / q->burn_gpu_h_day;
	}
	return r->blocked > 0 || r->hpct > QUOTA_RISK_PCT || (r->days >= 0 && r->days < QUOTA_RISK_DAYS);
}

/* A tenant's name in 20 columns (Hangul is two a character), then a space. */
static void name_cell(struct dline *d, enum theme_el el, const char *name)
{
	char clean[256], fit[512];
	text_sanitize(name, clean, sizeof clean);
	text_fit(clean, 20, false, fit, sizeof fit);
	dline_put(d, el, fit);
	dline_put(d, THEME_TEXT, " ");
}

static void risk_line(struct pane *p, const struct dc_tenant *t, const struct dc_quota *q, const struct risk *r)
{
	struct dline d;
	if (!pane_line(p, &d))
		return;
	dline_put(&d, THEME_TEXT, "  ");
	name_cell(&d, r->hpct > 100 || (r->days >= 0 && r->days < 1) ? THEME_QUOTA_OVER : THEME_QUOTA_WARN, t->name);
	dline_putf(&d, THEME_TEXT, "GPUs %d/%d", t->gpus_running, q->gpu_limit);
	if (r->hpct > QUOTA_RISK_PCT || (r->days >= 0 && r->days < QUOTA_RISK_DAYS))
		dline_putf(&d, THEME_TEXT, "  GPU-hours %.0f/%.0f (%.0f%%)", q->gpu_hours_used, q->gpu_hours_budget,
		           r->hpct);
	if (r->days >= 0 && r->days < QUOTA_RISK_DAYS)
		dline_putf(&d, THEME_WARN, "  runs out in %.1f days at %.0f GPU-h/day (24 h)", r->days,
		           q->burn_gpu_h_day);
	if (r->blocked)
		dline_putf(&d, THEME_WARN, "  %d pending %s (%d %s) held by the limit", r->blocked,
		           text_plural(r->blocked, "job", "jobs"), r->blocked_gpus,
		           text_plural(r->blocked_gpus, "GPU", "GPUs"));
}

/* A limit of a temporary quota: "GPUs 8 → 10" as the report's old → new,
 * the value alone when it did not change or the old one is not known (-1). */
static void limit_put(struct dline *d, const char *what, double before, double now)
{
	if (before >= 0 && before != now)
		dline_putf(d, THEME_TEXT, "%s %.0f → %.0f  ", what, before, now);
	else
		dline_putf(d, THEME_TEXT, "%s %.0f  ", what, now);
}

static void draw_quota(struct pane *p, const struct dc_model *m, int64_t now)
{
	size_t n = model_count(m, DC_T_TENANT), risky = 0, temp = 0;
	struct risk r;
	for (size_t i = 0; i < n; i++) {
		const struct dc_tenant *t = model_row(m, DC_T_TENANT, i);
		const struct dc_quota *q = model_quota_of(m, t->id);
		risky += q && at_risk(m, t, q, &r);
		temp += q && q->expires_at > now;
	}
	if (!heading(p, "Tenants at quota risk", risky))
		none_line(p);
	for (size_t i = 0; i < n; i++) {
		const struct dc_tenant *t = model_row(m, DC_T_TENANT, i);
		const struct dc_quota *q = model_quota_of(m, t->id);
		if (q && at_risk(m, t, q, &r))
			risk_line(p, t, q, &r);
	}
	if (!heading(p, "Temporary quotas in effect", temp))
		none_line(p);
	for (size_t i = 0; i < n; i++) {
		const struct dc_tenant *t = model_row(m, DC_T_TENANT, i);
		const struct dc_quota *q = model_quota_of(m, t->id);
		struct dline d;
		if (!q || q->expires_at <= now || !pane_line(p, &d))
			continue;
		char until[40];
		fmt_time(q->expires_at, until, sizeof until);
		dline_put(&d, THEME_TEXT, "  ");
		name_cell(&d, THEME_TEXT, t->name);
		limit_put(&d, "GPUs", q->prev_gpu_limit, q->gpu_limit);
		limit_put(&d, "GPU-hours", q->prev_gpu_hours_budget, q->gpu_hours_budget);
		if (q->prev_storage_tb >= 0 && q->prev_storage_tb != q->storage_tb)
			limit_put(&d, "storage TB", q->prev_storage_tb, q->storage_tb);
		dline_putf(&d, THEME_TEXT, "until %s", until);
	}
}

/* The note whole: each of its lines, wrapped to the pane's width. */
static void draw_body(struct pane *p, const char *body)
{
	int width = getmaxx(p->w) - 4;
	for (const char *s = body ? body : ""; s;) {
		const char *nl = strchr(s, '\n');
		char *raw = nl ? xstrndup(s, (size_t)(nl - s)) : xstrdup(s);
		char *clean = xmalloc(strlen(raw) * 3 + 1);
		text_sanitize(raw, clean, strlen(raw) * 3 + 1);
		const char *q = clean;
		do {
			const char *next;
			size_t len = text_wrap(q, width > 10 ? width : 10, &next);
			struct dline d;
			if (pane_line(p, &d))
				dline_putf(&d, THEME_TEXT, "  │ %.*s", (int)len, q);
			q = next;
		} while (*q);
		free(clean);
		free(raw);
		s = nl ? nl + 1 : NULL;
	}
}

static void draw_note(struct pane *p, const struct dc_model *m)
{
	const struct dc_handover_note *n = latest_note(m);
	struct dline d;
	if (pane_line(p, &d))
		dline_put(&d, THEME_TITLE, "Handover note");
	if (!n) {
		if (pane_line(p, &d))
			dline_put(&d, THEME_WARN, "  not written yet: the outgoing operator writes it (n)");
		return;
	}
	char at[32];
	fmt_time(n->updated_at, at, sizeof at);
	if (pane_line(p, &d))
		dline_putf(&d, THEME_DIM, "  shift %lld, by %s at %s", (long long)n->shift_id, n->author, at);
	draw_body(p, n->body);
	if (!pane_line(p, &d))
		return;
	if (n->signed_off_at) {
		fmt_time(n->signed_off_at, at, sizeof at);
		dline_putf(&d, THEME_OK, "  Signed off by %s at %s", n->signed_off_by, at);
	} else {
		dline_put(&d, THEME_WARN, "  Not signed off: the incoming operator signs it off (o)");
	}
}

static void blank(struct pane *p)
{
	struct dline d;
	pane_line(p, &d);
}

static void handover_draw(void *vp, WINDOW *w, const struct view_ctx *c)
{
	struct handover *v = vp;
	struct window win = window_of(c->m, c->now);
	struct pane p;
	draw_clear(w);
	v->rows = getmaxy(w);
	pane_start(&p, w, 0, v->skip);
	draw_shift(&p, c->m, &win, c->now);
	blank(&p);
	draw_open(&p, c->m, &win, c->now);
	blank(&p);
	draw_incident_list(&p, c->m, &win, "Opened this shift", keep_opened);
	draw_incident_list(&p, c->m, &win, "Resolved this shift", keep_resolved);
	blank(&p);
	draw_nodes_out(&p, c->m, &win, c->now);
	blank(&p);
	draw_actions(&p, c->m, &win);
	blank(&p);
	draw_quota(&p, c->m, c->now);
	blank(&p);
	draw_note(&p, c->m);
	if (pane_end(&p, &v->skip))
		handover_draw(vp, w, c);
}

static void *handover_init(const struct view_ctx *c)
{
	(void)c;
	return xcalloc(1, sizeof(struct handover));
}

static void handover_free(void *v)
{
	free(v);
}

static void handover_resize(void *v, int rows, int cols)
{
	(void)cols;
	((struct handover *)v)->rows = rows;
}

static unsigned handover_key(void *vp, enum key_action a, const struct view_ctx *c)
{
	(void)c;
	struct handover *v = vp;
	return pane_key(&v->skip, v->rows, a);
}

static void handover_on_change(void *v, unsigned mask, const struct view_ctx *c)
{
	(void)v;
	(void)mask;
	(void)c;
}

static unsigned handover_mode(const void *v)
{
	(void)v;
	return KM_DETAIL;
}

static const char *handover_filter(const void *v)
{
	(void)v;
	return NULL;
}

static void handover_set_filter(void *v, const char *pattern, const struct view_ctx *c)
{
	(void)v;
	(void)pattern;
	(void)c;
}

static void handover_crumbs(const void *v, const struct view_ctx *c, char *buf, size_t n)
{
	(void)v;
	struct window w = window_of(c->m, c->now);
	const struct dc_handover_note *note = latest_note(c->m);
	snprintf(buf, n, "%s%s", w.shift ? "shift" : "no shift",
	         !note ? "" : note->signed_off_at ? " › signed off" : " › awaiting sign-off");
}

static int handover_target(const void *v, enum key_action a, const struct view_ctx *c,
                           struct view_target *t, struct dc_err *err)
{
	(void)v;
	if (a != KA_SHIFT && a != KA_HANDOVER_NOTE && a != KA_SIGN_OFF)
		return dc_err_set(err, "not in the Handover view");
	const struct dc_handover_note *n = latest_note(c->m);
	t->shift = n ? n->shift_id : 0;
	snprintf(t->scope, sizeof t->scope, "handover");
	return 0;
}

static const struct key_binding handover_b[] = {
	{ 's', KA_SHIFT, KM_ANY, true },
	{ 'n', KA_HANDOVER_NOTE, KM_ANY, true },
	{ 'o', KA_SIGN_OFF, KM_ANY, true },
};
static const struct key_table handover_keys = { "handover", "Handover view", handover_b,
	DC_ARRAY_LEN(handover_b) };

const struct view_ops view_handover = {
	.name = "handover",
	.title = "Handover",
	.keys = &handover_keys,
	.init = handover_init,
	.free = handover_free,
	.resize = handover_resize,
	.draw = handover_draw,
	.key = handover_key,
	.on_change = handover_on_change,
	.mode = handover_mode,
	.filter = handover_filter,
	.set_filter = handover_set_filter,
	.crumbs = handover_crumbs,
	.target = handover_target,
};
