/* view-drill.c — the Drills view: the scenarios of drills/ (loaded once,
 * through the libpq-free drill-list.h), the running drill's injected
 * incidents and expectations, and the server's scorecard once it ends.
 *
 * The drill shown is the running one, else the latest. While it runs,
 * progress is read from the model (incidents tagged with its drill_id;
 * acknowledgement times); the verdict is the server's scorecard
 * (drill_run.scorecard, dcops.drill_score), arriving through the feed
 * when the drill ends. Nothing here waits on the database.
 *
 * One time base, said once under the drill's title: the operator's wall
 * clock since the drill started. The scorecard counts in it (response
 * limits are never compressed); the scenario's data center runs `speed`
 * times faster, which that line says instead of converting. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "drill-list.h"
#include "view.h"

#define LIST_ROWS_MAX 8

struct drills {
	struct drill_entry *list;
	size_t n, cur, top;
	char error[600];          /* the directory could not be read */
	int skip, rows;
};

static const struct dc_drill_run *shown_drill(const struct dc_model *m)
{
	const struct dc_drill_run *best = NULL;
	for (size_t i = 0; i < model_count(m, DC_T_DRILL_RUN); i++) {
		const struct dc_drill_run *r = model_row(m, DC_T_DRILL_RUN, i);
		bool run = strcmp(r->status, "running") == 0;
		if (!best || (run && strcmp(best->status, "running") != 0) || (!run == (strcmp(best->status, "running") != 0) && r->id > best->id))
			best = r;
	}
	return best;
}

static bool running(const struct dc_drill_run *r)
{
	return r && strcmp(r->status, "running") == 0;
}

static int list_rows(const struct drills *v, int h)
{
	int want = (int)v->n + 1;
	int max = h / 3 > LIST_ROWS_MAX ? LIST_ROWS_MAX : h / 3;
	return want < max ? want : max < 2 ? 2 : max;
}

static void draw_list(struct drills *v, WINDOW *w, int rows)
{
	struct dline d;
	dline_start(&d, w, 0, 0);
	dline_putf(&d, THEME_TITLE, "Scenarios (%zu)  Enter/S start · X stop", v->n);
	if (v->error[0]) {
		draw_text(w, 1, 0, getmaxx(w), THEME_ERROR, v->error);
		return;
	}
	int page = rows - 1;
	if (v->cur < v->top)
		v->top = v->cur;
	if (page > 0 && v->cur >= v->top + (size_t)page)
		v->top = v->cur - (size_t)page + 1;
	/* a list taller than its rows says so, and which way the rest is */
	if (page > 0 && v->n > (size_t)page) {
		size_t last = v->top + (size_t)page < v->n ? v->top + (size_t)page : v->n;
		dline_putf(&d, THEME_DIM, "   %zu-%zu of %zu%s%s", v->top + 1, last, v->n,
		           v->top > 0 ? " ↑ more above" : "", last < v->n ? " ↓ more below" : "");
	}
	for (int y = 1; y < rows; y++) {
		size_t i = v->top + (size_t)(y - 1);
		draw_fill(w, y, 0, getmaxx(w), THEME_TEXT);
		if (i >= v->n)
			continue;
		const struct drill_entry *e = &v->list[i];
		enum theme_el el = i == v->cur ? THEME_SELECTION : THEME_TEXT;
		draw_fill(w, y, 0, getmaxx(w), el);
		dline_start(&d, w, y, 1);
		dline_putf(&d, el, "%-26s ", e->name);
		if (e->error)
			dline_put(&d, i == v->cur ? el : THEME_ERROR, e->error);
		else
			dline_putf(&d, el, "%s  (%d %s, %d %s)", e->title, e->events,
			           text_plural(e->events, "event", "events"), e->expectations,
			           text_plural(e->expectations, "expectation", "expectations"));
	}
}

/* "1h02m" of wall-clock seconds. */
static void span(double s, char *buf, size_t n)
{
	if (s < 0)
		snprintf(buf, n, "-");
	else
		fmt_dur((int64_t)s, buf, n);
}

static void draw_expect_spec(struct pane *p, const cJSON *spec)
{
	struct dline d;
	const cJSON *e;
	int i = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(spec, "expectations")) {
		if (!pane_line(p, &d))
			continue;
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
		const cJSON *wi = cJSON_GetObjectItemCaseSensitive(e, "within_s");
		char lim[24] = "";
		if (cJSON_IsNumber(wi))
			span(wi->valuedouble, lim, sizeof lim);
		dline_putf(&d, THEME_WARN, "  %d pending ", i++);
		dline_putf(&d, THEME_TEXT, "%s", cJSON_IsString(k) ? k->valuestring : "?");
		if (lim[0])
			dline_putf(&d, THEME_DIM, " within %s", lim);
	}
}

static void draw_running(struct pane *p, const struct dc_model *m, const struct dc_drill_run *r, int64_t now)
{
	struct dline d;
	char el[24];
	span((double)(now > r->started_at ? now - r->started_at : 0), el, sizeof el);
	if (pane_line(p, &d))
		dline_putf(&d, THEME_DIM, "running for %s, started by %s", el, r->started_by);
	if (pane_line(p, &d))
		dline_put(&d, THEME_TITLE, "Injected incidents");
	size_t shown = 0;
	for (size_t i = 0; i < model_count(m, DC_T_INCIDENT); i++) {
		const struct dc_incident *inc = model_row(m, DC_T_INCIDENT, i);
		if (inc->drill_id != r->id || !pane_line(p, &d))
			continue;
		shown++;
		dline_putf(&d, THEME_TEXT, "  #%-5lld SEV-%d %-12s ", (long long)inc->id, inc->sev,
		           dc_inc_state_name(inc->state));
		if (inc->acknowledged_at) {
			span((double)(inc->acknowledged_at - inc->opened_at), el, sizeof el);
			dline_putf(&d, THEME_OK, "acked after %s by %s  ", el, inc->owner);
		} else {
			dline_put(&d, THEME_WARN, "not acknowledged  ");
		}
		dline_put(&d, THEME_TEXT, inc->title);
	}
	if (!shown && pane_line(p, &d))
		dline_put(&d, THEME_DIM, "  none yet (the sim adapter injects them as they fall due)");
	if (pane_line(p, &d))
		dline_put(&d, THEME_TITLE, "Expectations (the server decides them; the verdict shows when it ends)");
	cJSON *spec = cJSON_Parse(r->spec);
	draw_expect_spec(p, spec);
	cJSON_Delete(spec);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void draw_card(struct pane *p, const cJSON *card)
{
	struct dline d;
	const char *result = jstr(card, "result");
	bool pass = strcmp(result, "pass") == 0;
	if (pane_line(p, &d)) {
		dline_put(&d, THEME_TITLE, "Scorecard: ");
		dline_putf(&d, pass ? THEME_OK : THEME_ERROR, "%s", pass ? "PASS" : "FAIL");
		dline_putf(&d, THEME_TEXT, "  %s, %.0f met, %.0f missed", jstr(card, "status"),
		           jnum(card, "met"), jnum(card, "missed"));
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(card, "expectations")) {
		if (!pane_line(p, &d))
			continue;
		const char *st = jstr(e, "status");
		char meas[24], lim[24];
		span(jnum(e, "measured_s"), meas, sizeof meas);
		span(jnum(e, "within_s"), lim, sizeof lim);
		dline_putf(&d, strcmp(st, "met") == 0 ? THEME_OK : THEME_ERROR, "  %-7s ", st);
		dline_putf(&d, THEME_TEXT, "%-22s ", jstr(e, "kind"));
		if (cJSON_GetObjectItemCaseSensitive(e, "within_s"))   /* timed ones only */
			dline_putf(&d, THEME_DIM, "took %s of %s  ", meas, lim);
		dline_put(&d, THEME_TEXT, jstr(e, "detail"));
	}
	const cJSON *wrong = cJSON_GetObjectItemCaseSensitive(card, "wrong_actions");
	if (pane_line(p, &d))
		dline_putf(&d, THEME_TITLE, "Wrong or unnecessary actions (%d)", cJSON_GetArraySize(wrong));
	cJSON_ArrayForEach(e, wrong) {
		if (!pane_line(p, &d))
			continue;
		char at[24];
		span(jnum(e, "at_s"), at, sizeof at);
		dline_putf(&d, THEME_WARN, "  +%-6s %s %s %s: ", at, jstr(e, "actor"), jstr(e, "action"),
		           jstr(e, "target"));
		dline_put(&d, THEME_TEXT, jstr(e, "why"));
	}
	if (pane_line(p, &d))
		dline_put(&d, THEME_TITLE, "Timeline");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(card, "timeline")) {
		if (!pane_line(p, &d))
			continue;
		char at[24];
		span(jnum(e, "at_s"), at, sizeof at);
		const char *who = jstr(e, "who");
		dline_putf(&d, THEME_DIM, "  +%-6s ", at);
		dline_putf(&d, strcmp(who, "drill") == 0 ? THEME_HEADER_DRILL : THEME_TEXT, "%-8s ", who);
		dline_put(&d, THEME_TEXT, jstr(e, "what"));
	}
}

static void draw_drill(struct drills *v, WINDOW *w, int y0, const struct view_ctx *c)
{
	const struct dc_drill_run *r = shown_drill(c->m);
	struct pane p;
	struct dline d;
	pane_start(&p, w, y0, v->skip);
	if (!r) {
		if (pane_line(&p, &d))
			dline_put(&d, THEME_DIM, "No drill has run on this database yet.");
		pane_end(&p, &v->skip);
		return;
	}
	if (pane_line(&p, &d)) {
		dline_putf(&d, running(r) ? THEME_HEADER_DRILL : THEME_TITLE, "Drill %lld %s ", (long long)r->id,
		           running(r) ? "RUNNING" : r->status);
		dline_put(&d, THEME_TITLE, r->title);
		dline_putf(&d, THEME_DIM, "  (%s)", r->scenario);
	}
	if (pane_line(&p, &d))
		dline_putf(&d, THEME_DIM, "Times: wall clock since the drill started; its data center runs %gx faster.",
		           r->speed > 0 ? r->speed : 1);
	cJSON *card = r->scorecard[0] ? cJSON_Parse(r->scorecard) : NULL;
	if (running(r) || !cJSON_IsObject(card))
		draw_running(&p, c->m, r, c->now);
	else
		draw_card(&p, card);
	cJSON_Delete(card);
	if (pane_end(&p, &v->skip))
		draw_drill(v, w, y0, c);
}

static void drills_draw(void *vp, WINDOW *w, const struct view_ctx *c)
{
	struct drills *v = vp;
	int h = getmaxy(w);
	draw_clear(w);
	int lr = list_rows(v, h);
	draw_list(v, w, lr);
	draw_fill(w, lr, 0, getmaxx(w), THEME_TEXT);
	v->rows = h - lr - 1;
	draw_drill(v, w, lr + 1, c);
}

static void *drills_init(const struct view_ctx *c)
{
	(void)c;
	struct drills *v = xcalloc(1, sizeof *v);
	struct dc_err err;
	if (drill_list_load(&v->list, &v->n, &err) == -1)
		snprintf(v->error, sizeof v->error, "%s", err.msg);
	return v;
}

static void drills_free(void *vp)
{
	struct drills *v = vp;
	drill_list_free(v->list, v->n);
	free(v);
}

static void drills_resize(void *v, int rows, int cols)
{
	(void)v;
	(void)rows;
	(void)cols;
}

/* Up and down pick a scenario; pages scroll the drill below. */
static unsigned drills_key(void *vp, enum key_action a, const struct view_ctx *c)
{
	(void)c;
	struct drills *v = vp;
	switch (a) {
	case KA_UP:
		if (v->cur > 0)
			v->cur--;
		return VIEW_HANDLED | VIEW_DIRTY;
	case KA_DOWN:
		if (v->cur + 1 < v->n)
			v->cur++;
		return VIEW_HANDLED | VIEW_DIRTY;
	case KA_PAGE_UP: case KA_PAGE_DOWN: case KA_TOP: case KA_BOTTOM:
		return pane_key(&v->skip, v->rows, a);
	default:
		return 0;
	}
}

static void drills_on_change(void *v, unsigned mask, const struct view_ctx *c)
{
	(void)v;
	(void)mask;
	(void)c;
}

static unsigned drills_mode(const void *v)
{
	(void)v;
	return KM_LIST;
}

static const char *drills_filter(const void *v)
{
	(void)v;
	return NULL;
}

static void drills_set_filter(void *v, const char *pattern, const struct view_ctx *c)
{
	(void)v;
	(void)pattern;
	(void)c;
}

static void drills_crumbs(const void *vp, const struct view_ctx *c, char *buf, size_t n)
{
	const struct drills *v = vp;
	const struct dc_drill_run *r = shown_drill(c->m);
	snprintf(buf, n, "%zu scenarios%s", v->n, running(r) ? " › drill running" : "");
}

static int drills_open(void *vp, const char *arg, const struct view_ctx *c, struct dc_err *err)
{
	(void)c;
	struct drills *v = vp;
	if (!arg[0])
		return 0;
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->list[i].name, arg) == 0) {
			v->cur = i;
			return 0;
		}
	}
	return dc_err_set(err, "no scenario %s in drills/", arg);
}

static int drills_target(const void *vp, enum key_action a, const struct view_ctx *c,
                         struct view_target *t, struct dc_err *err)
{
	const struct drills *v = vp;
	if (a != KA_DRILL_START && a != KA_DRILL_STOP)
		return dc_err_set(err, "not in the Drills view");
	const struct dc_drill_run *r = shown_drill(c->m);
	t->drill = running(r) ? r->id : 0;
	t->scenario = v->cur < v->n ? &v->list[v->cur] : NULL;
	snprintf(t->scope, sizeof t->scope, "drill");
	return 0;
}

static const struct key_binding drills_b[] = {
	{ '\n', KA_DRILL_START, KM_LIST, false },
	{ '\r', KA_DRILL_START, KM_LIST, false },
	{ 'S', KA_DRILL_START, KM_LIST, true },
	{ 'X', KA_DRILL_STOP, KM_LIST, true },
};
static const struct key_table drills_keys = { "drills", "Drills view", drills_b, DC_ARRAY_LEN(drills_b) };

const struct view_ops view_drill = {
	.name = "drills",
	.title = "Drills",
	.keys = &drills_keys,
	.draws = DC_MASK(DC_T_DRILL_RUN) | DC_MASK(DC_T_INCIDENT),
	.init = drills_init,
	.free = drills_free,
	.resize = drills_resize,
	.draw = drills_draw,
	.key = drills_key,
	.on_change = drills_on_change,
	.mode = drills_mode,
	.filter = drills_filter,
	.set_filter = drills_set_filter,
	.crumbs = drills_crumbs,
	.open = drills_open,
	.target = drills_target,
};
