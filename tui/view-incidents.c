/* view-incidents.c — the Incidents view: the board and each timeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "view.h"

enum { I_ID, I_SEV, I_STATE, I_AGE, I_OWNER, I_TITLE, I_IMPACT, I_COUNT };
static const struct table_col cols[I_COUNT] = {
	[I_ID] = { "ID", 6, COL_RIGHT },
	[I_SEV] = { "SEV", 4, 0 },
	[I_STATE] = { "STATE", 12, 0 },
	[I_AGE] = { "AGE", 6, COL_RIGHT },
	[I_OWNER] = { "OWNER", 10, 0 },
	[I_TITLE] = { "TITLE", 20, COL_FLEX },
	[I_IMPACT] = { "IMPACT", 40, COL_WIDE },
};

struct incidents {
	struct table t;
	const struct dc_model *m;
	int64_t now;
	bool resolved;         /* show resolved incidents too */
	int64_t detail;
	int skip, rows;
};

static const enum theme_el sev_el[] = { THEME_SEV1, THEME_SEV1, THEME_SEV2, THEME_SEV3, THEME_SEV4,
	THEME_SEV5 };

static enum theme_el sev_of(int sev)
{
	return sev_el[sev >= 1 && sev <= 5 ? sev : 5];
}

static enum theme_el state_el(enum dc_inc_state s)
{
	switch (s) {
	case DC_INC_TRIGGERED: return THEME_INC_TRIGGERED;
	case DC_INC_ACKNOWLEDGED: return THEME_INC_ACK;
	case DC_INC_MITIGATED: return THEME_INC_MITIGATED;
	default: return THEME_INC_RESOLVED;
	}
}

static int64_t inc_age(const struct dc_incident *i, int64_t now)
{
	return (i->resolved_at ? i->resolved_at : now) - i->opened_at;
}

/* Worst first, as SEV sorts: the GPUs of the jobs killed, then the
 * tenants hit, then the GPUs out of service; never the text, where
 * "(16 GPUs)" sorts below "(8 GPUs)". */
static int impact_cmp(const struct dc_incident *a, const struct dc_incident *b)
{
	int c = cmp_i64(b->gpus_killed, a->gpus_killed);
	if (!c)
		c = cmp_i64(b->tenants_hit, a->tenants_hit);
	if (!c)
		c = cmp_i64(b->gpus_out, a->gpus_out);
	return c ? c : cmp_i64(b->opened_at, a->opened_at);
}

static int inc_cmp(const void *ud, int64_t ia, int64_t ib, int col)
{
	const struct incidents *v = ud;
	const struct dc_incident *a = model_get(v->m, DC_T_INCIDENT, ia);
	const struct dc_incident *b = model_get(v->m, DC_T_INCIDENT, ib);
	switch (col) {
	case I_ID: return cmp_i64(a->id, b->id);
	case I_SEV: {
		int c = cmp_i64(a->sev, b->sev);
		return c ? c : cmp_i64(b->opened_at, a->opened_at);
	}
	case I_STATE: return cmp_i64(a->state, b->state);
	case I_AGE: return cmp_i64(inc_age(a, v->now), inc_age(b, v->now));
	case I_OWNER: return strcmp(a->owner ? a->owner : "", b->owner ? b->owner : "");
	case I_TITLE: return strcmp(a->title ? a->title : "", b->title ? b->title : "");
	case I_IMPACT: return impact_cmp(a, b);
	default: return 0;
	}
}

static void inc_cell(const void *ud, int64_t id, int col, char *buf, size_t n, enum theme_el *el)
{
	const struct incidents *v = ud;
	const struct dc_incident *i = model_get(v->m, DC_T_INCIDENT, id);
	switch (col) {
	case I_ID: snprintf(buf, n, "#%lld", (long long)i->id); break;
	case I_SEV: snprintf(buf, n, "S%d", i->sev); *el = sev_of(i->sev); break;
	case I_STATE:
		snprintf(buf, n, "%s", dc_inc_state_name(i->state));
		*el = state_el(i->state);
		break;
	case I_AGE: fmt_dur(inc_age(i, v->now), buf, n); break;
	case I_OWNER:
		snprintf(buf, n, "%s", i->owner && i->owner[0] ? i->owner : "-");
		*el = i->owner && i->owner[0] ? THEME_TEXT : THEME_WARN;
		break;
	case I_TITLE:
		snprintf(buf, n, "%s%s", i->drill_id ? "[DRILL] " : "", i->title ? i->title : "");
		if (i->drill_id)
			*el = THEME_HEADER_DRILL;
		break;
	case I_IMPACT: snprintf(buf, n, "%s", i->impact ? i->impact : ""); *el = THEME_DIM; break;
	default: break;
	}
}

/* ---- filter fields (filter.h) ---- */

static void inc_f_state(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	const struct dc_incident *i = row;
	char sev[8];
	filter_put(ft, "state", dc_inc_state_name(i->state));
	snprintf(sev, sizeof sev, "%d", i->sev);
	filter_put(ft, "sev", sev);
	filter_put(ft, "owner", i->owner && i->owner[0] ? i->owner : "none");
}

static void inc_f_links(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	const struct dc_incident *i = row;
	const char *lists[][2] = { { "node", i->nodes }, { "tenant", i->tenants } };
	for (size_t k = 0; k < DC_ARRAY_LEN(lists); k++) {
		for (const char *p = lists[k][1] ? lists[k][1] : ""; *p;) {
			size_t len = strcspn(p, " ");
			char name[256];
			if (len && len < sizeof name) {
				memcpy(name, p, len);
				name[len] = '\0';
				filter_put(ft, lists[k][0], name);
			}
			p += len + (p[len] == ' ');
		}
	}
}

static const struct filter_field inc_fields[] = {
	{ "state sev owner", "triggered, acknowledged, mitigated, resolved; 1-5; a role or none",
	  inc_f_state },
	{ "node tenant", "a linked node or tenant", inc_f_links },
};

static void rebuild(struct incidents *v, const struct dc_model *m)
{
	table_begin(&v->t);
	size_t n = model_count(m, DC_T_INCIDENT);
	for (size_t k = 0; k < n; k++) {
		const struct dc_incident *i = model_row(m, DC_T_INCIDENT, k);
		if (i->state == DC_INC_RESOLVED && !v->resolved)
			continue;
		char hay[1024] = "", words[896];
		if (table_filtering(&v->t)) {
			snprintf(words, sizeof words, "#%lld S%d %s %s %s %s %s", (long long)i->id, i->sev,
			         dc_inc_state_name(i->state), i->owner ? i->owner : "",
			         i->title ? i->title : "", i->impact ? i->impact : "", i->drill_id ? "drill" : "");
			filter_row_text(hay, sizeof hay, words, inc_fields, DC_ARRAY_LEN(inc_fields), NULL, i);
		}
		table_add(&v->t, i->id, hay);
	}
	table_end(&v->t, inc_cmp, v);
}

static void *incidents_init(const struct view_ctx *c)
{
	struct incidents *v = xcalloc(1, sizeof *v);
	table_init(&v->t, cols, I_COUNT, I_SEV, false);
	v->m = c->m;
	return v;
}

static void incidents_free(void *p)
{
	struct incidents *v = p;
	table_free(&v->t);
	free(v);
}

static void incidents_resize(void *p, int rows, int ncols)
{
	struct incidents *v = p;
	(void)ncols;
	v->rows = rows;
}

static void incidents_on_change(void *p, unsigned mask, const struct view_ctx *c)
{
	struct incidents *v = p;
	v->m = c->m;
	v->now = c->now;
	if (mask & DC_MASK(DC_T_INCIDENT))
		rebuild(v, c->m);
	if (v->detail && !model_get(c->m, DC_T_INCIDENT, v->detail))
		v->detail = 0;
}

static int event_cmp(const void *ud, int64_t a, int64_t b, int col)
{
	(void)col;
	const struct dc_model *m = ud;
	const struct dc_incident_event *ea = model_get(m, DC_T_INCIDENT_EVENT, a);
	const struct dc_incident_event *eb = model_get(m, DC_T_INCIDENT_EVENT, b);
	return cmp_i64(ea->ts, eb->ts);
}

static void text_line(struct pane *p, const char *label, const char *text)
{
	struct dline d;
	if (!text || !text[0] || !pane_line(p, &d))
		return;
	dline_putf(&d, THEME_DIM, "%-8s", label);
	dline_put(&d, THEME_TEXT, text);
}

static void draw_detail(struct incidents *v, WINDOW *w, const struct view_ctx *c)
{
	const struct dc_incident *i = model_get(c->m, DC_T_INCIDENT, v->detail);
	draw_clear(w);
	struct pane p;
	pane_start(&p, w, 0, v->skip);
	struct dline d;
	char a[32], b[32];
	if (pane_line(&p, &d)) {
		dline_putf(&d, sev_of(i->sev), "S%d", i->sev);
		dline_putf(&d, THEME_TITLE, " #%lld ", (long long)i->id);
		if (i->drill_id)
			dline_put(&d, THEME_HEADER_DRILL, "[DRILL] ");
		dline_put(&d, THEME_TITLE, i->title);
	}
	if (pane_line(&p, &d)) {
		dline_put(&d, THEME_DIM, "state ");
		dline_put(&d, state_el(i->state), dc_inc_state_name(i->state));
		dline_put(&d, THEME_DIM, "  owner ");
		dline_put(&d, i->owner && i->owner[0] ? THEME_TEXT : THEME_WARN,
		          i->owner && i->owner[0] ? i->owner : "nobody");
		dline_put(&d, THEME_DIM, "  source ");
		dline_put(&d, THEME_TEXT, i->source ? i->source : "");
	}
	if (pane_line(&p, &d)) {
		fmt_time(i->opened_at, a, sizeof a);
		fmt_time(i->acknowledged_at, b, sizeof b);
		dline_putf(&d, THEME_TEXT, "opened %s  acknowledged %s", a, b);
		if (i->resolved_at) {
			fmt_time(i->resolved_at, a, sizeof a);
			dline_putf(&d, THEME_TEXT, "  resolved %s", a);
		}
	}
	if (i->next_update_at && i->state != DC_INC_RESOLVED && pane_line(&p, &d)) {
		fmt_time(i->next_update_at, a, sizeof a);
		bool late = i->next_update_at < c->now;
		dline_putf(&d, late ? THEME_ERROR : THEME_TEXT, "next update due %s%s", a,
		           late ? " (overdue)" : "");
	}
	text_line(&p, "impact", i->impact);
	text_line(&p, "nodes", i->nodes);
	text_line(&p, "tenants", i->tenants);
	text_line(&p, "summary", i->summary);
	pane_line(&p, &d);
	/* the timeline: this incident's events, oldest first */
	size_t ne = model_count(c->m, DC_T_INCIDENT_EVENT), n = 0;
	int64_t *ids = xmalloc((ne + 1) * sizeof *ids);
	for (size_t k = 0; k < ne; k++) {
		const struct dc_incident_event *e = model_row(c->m, DC_T_INCIDENT_EVENT, k);
		if (e->incident_id == i->id)
			ids[n++] = e->id;
	}
	table_sort(ids, n, event_cmp, c->m, 0, false);
	if (pane_line(&p, &d))
		dline_putf(&d, THEME_TITLE, "Timeline (%zu %s)", n, text_plural((long)n, "event", "events"));
	for (size_t k = 0; k < n; k++) {
		const struct dc_incident_event *e = model_get(c->m, DC_T_INCIDENT_EVENT, ids[k]);
		if (!pane_line(&p, &d))
			continue;
		fmt_time(e->ts, a, sizeof a);
		dline_putf(&d, THEME_DIM, "%s  ", a);
		dline_putf(&d, THEME_TEXT, "%-9s ", e->kind ? e->kind : "");
		dline_put(&d, THEME_DIM, e->actor ? e->actor : "");
		dline_put(&d, THEME_TEXT, "  ");
		dline_put(&d, THEME_TEXT, e->body ? e->body : "");
	}
	free(ids);
	if (pane_end(&p, &v->skip))
		draw_detail(v, w, c);
}

static void incidents_draw(void *p, WINDOW *w, const struct view_ctx *c)
{
	struct incidents *v = p;
	v->m = c->m;
	v->now = c->now;
	if (v->detail)
		draw_detail(v, w, c);
	else
		table_draw(&v->t, w, 0, getmaxy(w), inc_cell, v);
}

static unsigned incidents_key(void *p, enum key_action a, const struct view_ctx *c)
{
	struct incidents *v = p;
	if (v->detail) {
		if (a != KA_BACK)
			return pane_key(&v->skip, v->rows, a);
		v->detail = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	switch (a) {
	case KA_ENTER:
		v->detail = table_cur(&v->t);
		v->skip = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	case KA_RESOLVED:
		v->resolved = !v->resolved;
		rebuild(v, c->m);
		return VIEW_HANDLED | VIEW_DIRTY;
	default: break;
	}
	unsigned r = table_key(&v->t, a);
	if (r & TABLE_RESORT)
		rebuild(v, c->m);
	return r & ~(unsigned)TABLE_RESORT;
}

static unsigned incidents_mode(const void *p)
{
	const struct incidents *v = p;
	return v->detail ? KM_DETAIL : KM_LIST;
}

static const char *incidents_filter(const void *p)
{
	const struct incidents *v = p;
	return v->detail ? NULL : v->t.filter;
}

static void incidents_set_filter(void *p, const char *pattern, const struct view_ctx *c)
{
	struct incidents *v = p;
	snprintf(v->t.filter, sizeof v->t.filter, "%s", pattern);
	rebuild(v, c->m);
}

static void incidents_crumbs(const void *p, const struct view_ctx *c, char *buf, size_t n)
{
	const struct incidents *v = p;
	(void)c;
	if (v->detail)
		snprintf(buf, n, "incident #%lld", (long long)v->detail);
	else
		snprintf(buf, n, "%zu %sincident%s%s", v->t.n, v->resolved ? "" : "open ",
		         v->t.n == 1 ? "" : "s", v->t.n != v->t.total ? " (filtered)" : "");
}

/* The detail's incident, else the cursor's (none for a new one). */
static int incidents_target(const void *p, enum key_action a, const struct view_ctx *c,
                            struct view_target *t, struct dc_err *err)
{
	const struct incidents *v = p;
	if (a == KA_INC_OPEN)
		return 0;
	t->incident = v->detail ? v->detail : table_cur(&v->t);
	if (!model_get(c->m, DC_T_INCIDENT, t->incident))
		return dc_err_set(err, "no incident under the cursor");
	snprintf(t->scope, sizeof t->scope, "incident #%lld", (long long)t->incident);
	return 0;
}

static const struct key_binding incidents_b[] = {
	{ 'r', KA_RESOLVED, KM_LIST, true },
	{ 'o', KA_INC_OPEN, KM_LIST, true },
	{ 'a', KA_INC_ACK, KM_LIST | KM_DETAIL, true },
	{ 'A', KA_INC_ASSIGN, KM_LIST | KM_DETAIL, false },
	{ 'v', KA_INC_SEV, KM_LIST | KM_DETAIL, false },
	{ 'n', KA_INC_NOTE, KM_LIST | KM_DETAIL, true },
	{ 'L', KA_INC_LINK, KM_LIST | KM_DETAIL, false },
	{ 'x', KA_INC_RESOLVE, KM_LIST | KM_DETAIL, true },
	{ 'D', KA_DRAIN, KM_LIST | KM_DETAIL, true },
	{ 'R', KA_RESUME, KM_LIST | KM_DETAIL, false },
};
static const struct key_table incidents_keys = { "incidents", "Incidents view", incidents_b,
	DC_ARRAY_LEN(incidents_b) };

const struct view_ops view_incidents = {
	.name = "incidents",
	.title = "Incidents",
	.keys = &incidents_keys,
	.draws = DC_MASK(DC_T_INCIDENT) | DC_MASK(DC_T_INCIDENT_EVENT),
	.init = incidents_init,
	.free = incidents_free,
	.resize = incidents_resize,
	.draw = incidents_draw,
	.key = incidents_key,
	.on_change = incidents_on_change,
	.mode = incidents_mode,
	.filter = incidents_filter,
	.set_filter = incidents_set_filter,
	.crumbs = incidents_crumbs,
	.target = incidents_target,
};
