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

/* The detail's related rows (k9s-style: selectable, Enter goes there). */
enum rel_kind { REL_NODE, REL_JOB, REL_TENANT };
struct related {
	enum rel_kind kind;
	int64_t id;                /* node, job or tenant id; 0: not in the model */
	int64_t tenant;            /* a job's tenant */
	int gpus;                  /* a job's GPUs */
	char name[208];
};
#define REL_MAX 96

struct incidents {
	struct table_view tv;  /* first: the shared parts take it */
	bool resolved;         /* show resolved incidents too */
	struct related rel[REL_MAX];
	size_t nrel, sel;      /* the detail's related rows, the selected one */
};

static const struct key_table incidents_keys;

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
	const struct dc_incident *a = model_get(v->tv.m, DC_T_INCIDENT, ia);
	const struct dc_incident *b = model_get(v->tv.m, DC_T_INCIDENT, ib);
	switch (col) {
	case I_ID: return cmp_i64(a->id, b->id);
	case I_SEV: {
		int c = cmp_i64(a->sev, b->sev);
		return c ? c : cmp_i64(b->opened_at, a->opened_at);
	}
	case I_STATE: return cmp_i64(a->state, b->state);
	case I_AGE: return cmp_i64(inc_age(a, v->tv.now), inc_age(b, v->tv.now));
	case I_OWNER: return strcmp(a->owner ? a->owner : "", b->owner ? b->owner : "");
	case I_TITLE: return strcmp(a->title ? a->title : "", b->title ? b->title : "");
	case I_IMPACT: return impact_cmp(a, b);
	default: return 0;
	}
}

static void inc_cell(const void *ud, int64_t id, int col, char *buf, size_t n, enum theme_el *el)
{
	const struct incidents *v = ud;
	const struct dc_incident *i = model_get(v->tv.m, DC_T_INCIDENT, id);
	switch (col) {
	case I_ID: snprintf(buf, n, "#%lld", (long long)i->id); break;
	case I_SEV: snprintf(buf, n, "S%d", i->sev); *el = sev_of(i->sev); break;
	case I_STATE:
		snprintf(buf, n, "%s", dc_inc_state_name(i->state));
		*el = state_el(i->state);
		break;
	case I_AGE: fmt_dur(inc_age(i, v->tv.now), buf, n); break;
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
	table_begin(&v->tv.t);
	size_t n = model_count(m, DC_T_INCIDENT);
	for (size_t k = 0; k < n; k++) {
		const struct dc_incident *i = model_row(m, DC_T_INCIDENT, k);
		if (i->state == DC_INC_RESOLVED && !v->resolved)
			continue;
		char hay[1024] = "", words[896];
		if (table_filtering(&v->tv.t)) {
			snprintf(words, sizeof words, "#%lld S%d %s %s %s %s %s%s", (long long)i->id, i->sev,
			         dc_inc_state_name(i->state), i->owner ? i->owner : "",
			         i->title ? i->title : "", i->impact ? i->impact : "", i->drill_id ? "drill" : "",
			         i->proposed_drain && i->proposed_drain[0] ? " proposed" : "");
			filter_row_text(hay, sizeof hay, words, inc_fields, DC_ARRAY_LEN(inc_fields), NULL, i);
		}
		table_add(&v->tv.t, i->id, hay);
	}
	table_end(&v->tv.t, inc_cmp, v);
}

static void *incidents_init(const struct view_ctx *c)
{
	return table_view_new(sizeof(struct incidents), cols, I_COUNT, I_SEV, false, c);
}

static void incidents_on_change(void *p, unsigned mask, const struct view_ctx *c)
{
	struct incidents *v = p;
	table_view_ctx(v, c);
	if (mask & DC_MASK(DC_T_INCIDENT))
		rebuild(v, c->m);
	if (v->tv.detail && !model_get(c->m, DC_T_INCIDENT, v->tv.detail))
		v->tv.detail = 0;
}

static int event_cmp(const void *ud, int64_t a, int64_t b, int col)
{
	(void)col;
	const struct dc_model *m = ud;
	const struct dc_incident_event *ea = model_get(m, DC_T_INCIDENT_EVENT, a);
	const struct dc_incident_event *eb = model_get(m, DC_T_INCIDENT_EVENT, b);
	return cmp_i64(ea->ts, eb->ts);
}

static struct related *rel_add(struct incidents *v, enum rel_kind k, const char *name, size_t len)
{
	if (v->nrel >= REL_MAX || !len || len >= sizeof v->rel[0].name)
		return NULL;
	struct related *r = &v->rel[v->nrel++];
	*r = (struct related){ .kind = k };
	memcpy(r->name, name, len);
	r->name[len] = '\0';
	return r;
}

static int64_t node_named(const struct dc_model *m, const char *name)
{
	size_t n = model_count(m, DC_T_NODE);
	for (size_t k = 0; k < n; k++) {
		const struct dc_node *nd = model_row(m, DC_T_NODE, k);
		if (strcmp(nd->name, name) == 0)
			return nd->id;
	}
	return 0;
}

static int64_t tenant_named(const struct dc_model *m, const char *name)
{
	size_t n = model_count(m, DC_T_TENANT);
	for (size_t k = 0; k < n; k++) {
		const struct dc_tenant *t = model_row(m, DC_T_TENANT, k);
		if (strcmp(t->name, name) == 0)
			return t->id;
	}
	return 0;
}

/* The incident's nodes, the jobs it killed ("id:tenant:gpus", kept after
 * the jobs left the job window) and its tenants, in that order. */
static void related_collect(struct incidents *v, const struct dc_incident *i, const struct dc_model *m)
{
	v->nrel = 0;
	for (const char *p = i->nodes ? i->nodes : ""; *p;) {
		size_t len = strcspn(p, " ");
		struct related *r = rel_add(v, REL_NODE, p, len);
		if (r)
			r->id = node_named(m, r->name);
		p += len + (p[len] == ' ');
	}
	for (const char *p = i->jobs ? i->jobs : ""; *p;) {
		size_t len = strcspn(p, " ");
		long long id, tenant;
		int gpus;
		struct related *r = rel_add(v, REL_JOB, p, len);
		if (r && sscanf(r->name, "%lld:%lld:%d", &id, &tenant, &gpus) == 3) {
			r->id = id;
			r->tenant = tenant;
			r->gpus = gpus;
			snprintf(r->name, sizeof r->name, "%lld", id);
		} else if (r) {
			v->nrel--;
		}
		p += len + (p[len] == ' ');
	}
	static const char sep[] = " \u00b7 ";
	for (const char *p = i->tenants ? i->tenants : ""; *p;) {
		const char *e = strstr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		struct related *r = rel_add(v, REL_TENANT, p, len);
		if (r)
			r->id = tenant_named(m, r->name);
		p += len + (e ? strlen(sep) : 0);
	}
	if (v->sel >= v->nrel)
		v->sel = v->nrel ? v->nrel - 1 : 0;
}

static const char *tenant_name(const struct dc_model *m, int64_t id)
{
	const struct dc_tenant *t = model_tenant(m, id);
	return t ? t->name : "?";
}

static void related_line(const struct related *r, bool sel, struct dline *d, const struct dc_model *m)
{
	static const char *const kinds[] = { [REL_NODE] = "node", [REL_JOB] = "job", [REL_TENANT] = "tenant" };
	dline_putf(d, sel ? THEME_SELECTION : THEME_DIM, "%s %-7s", sel ? ">" : " ", kinds[r->kind]);
	dline_put(d, sel ? THEME_SELECTION : THEME_TEXT, r->name);
	if (r->kind == REL_NODE) {
		const struct dc_node *nd = model_node(m, r->id);
		if (nd)
			dline_putf(d, THEME_DIM, "  %s, %s, %s", dc_admin_name(nd->admin), dc_sched_name(nd->sched),
			           dc_health_name(nd->health));
	} else if (r->kind == REL_JOB) {
		const struct dc_job *j = model_get(m, DC_T_JOB, r->id);
		dline_putf(d, THEME_DIM, "  %s, %d %s", tenant_name(m, r->tenant), r->gpus,
		           text_plural(r->gpus, "GPU", "GPUs"));
		if (j)
			dline_putf(d, THEME_DIM, ", %s", dc_job_state_name(j->state));
		else
			dline_put(d, THEME_DIM, ", ended (left the job window)");
	}
}

#define PROPOSAL_MAX 64

/* The incident's proposed drain (061_remedy.sql), its nodes still active:
 * "proposed: drain gwj-h100-001 (Xid 79 on GPU 3: GPU has fallen off the
 * bus), policy xid-fatal — D to accept", or why this console cannot.
 * false when there is none. */
static bool proposal_put(struct dline *d, const struct dc_model *m, const struct dc_incident *i)
{
	int64_t ids[PROPOSAL_MAX];
	size_t k = model_incident_proposal(m, i, ids, PROPOSAL_MAX);
	if (!k)
		return false;
	dline_put(d, THEME_WARN, "proposed: drain");
	for (size_t j = 0; j < k; j++) {
		const struct dc_node *nd = model_node(m, ids[j]);
		dline_putf(d, THEME_WARN, " %s", nd ? nd->name : "?");
	}
	dline_putf(d, THEME_WARN, " (%s), policy %s", i->proposed_reason ? i->proposed_reason : "",
	           i->proposed_policy ? i->proposed_policy : "");
	const char *why = keys_unavailable(KA_DRAIN);
	char key[32];
	keys_for(&incidents_keys, KA_DRAIN, key, sizeof key);
	if (why)
		dline_putf(d, THEME_DIM, " \u2014 cannot accept here: %s", why);
	else if (key[0])
		dline_putf(d, THEME_TEXT, " \u2014 %s to accept", key);
	return true;
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
	const struct dc_incident *i = model_get(c->m, DC_T_INCIDENT, v->tv.detail);
	draw_clear(w);
	struct pane p;
	pane_start(&p, w, 0, v->tv.skip);
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
	if (model_incident_proposal(c->m, i, (int64_t[1]){0}, 1) && pane_line(&p, &d))
		proposal_put(&d, c->m, i);
	if (i->remedy_note && i->remedy_note[0] && i->state != DC_INC_RESOLVED && pane_line(&p, &d))
		dline_put(&d, THEME_WARN, i->remedy_note);
	related_collect(v, i, c->m);
	if (v->nrel) {
		pane_line(&p, &d);
		if (pane_line(&p, &d))
			dline_put(&d, THEME_TITLE, "Related (Enter goes there, Esc comes back)");
		for (size_t k = 0; k < v->nrel; k++)
			if (pane_line(&p, &d))
				related_line(&v->rel[k], k == v->sel, &d, c->m);
	}
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
	if (pane_end(&p, &v->tv.skip))
		draw_detail(v, w, c);
}

static void incidents_draw(void *p, WINDOW *w, const struct view_ctx *c)
{
	struct incidents *v = p;
	table_view_ctx(v, c);
	if (v->tv.detail) {
		draw_detail(v, w, c);
		return;
	}
	/* the cursor's incident proposes a drain: say so on the last line */
	const struct dc_incident *i = model_get(c->m, DC_T_INCIDENT, table_cur(&v->tv.t));
	int h = getmaxy(w);
	bool prop = i && h > 2 && model_incident_proposal(c->m, i, (int64_t[1]){0}, 1);
	table_draw(&v->tv.t, w, 0, prop ? h - 1 : h, inc_cell, v);
	if (prop) {
		struct dline d;
		draw_fill(w, h - 1, 0, getmaxx(w), THEME_TEXT);
		dline_start(&d, w, h - 1, 0);
		dline_putf(&d, THEME_TITLE, "#%lld ", (long long)i->id);
		proposal_put(&d, c->m, i);
	}
}

/* Up and down walk the related rows, then scroll the timeline; Enter on
 * one asks the app to go there. */
static unsigned detail_key(struct incidents *v, enum key_action a, const struct view_ctx *c)
{
	const struct dc_incident *i = model_get(c->m, DC_T_INCIDENT, v->tv.detail);
	if (i)
		related_collect(v, i, c->m);
	switch (a) {
	case KA_BACK:
		v->tv.detail = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	case KA_ENTER:
		return v->nrel ? VIEW_HANDLED | VIEW_GOTO : VIEW_HANDLED;
	case KA_DOWN:
		if (v->sel + 1 < v->nrel) {
			v->sel++;
			return VIEW_HANDLED | VIEW_DIRTY;
		}
		break;
	case KA_UP:
		if (v->tv.skip == 0 && v->sel > 0) {
			v->sel--;
			return VIEW_HANDLED | VIEW_DIRTY;
		}
		break;
	default: break;
	}
	return pane_key(&v->tv.skip, v->tv.rows, a);
}

static unsigned incidents_key(void *p, enum key_action a, const struct view_ctx *c)
{
	struct incidents *v = p;
	if (v->tv.detail)
		return detail_key(v, a, c);
	switch (a) {
	case KA_ENTER:
		v->tv.detail = table_cur(&v->tv.t);
		v->tv.skip = 0;
		v->sel = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	case KA_RESOLVED:
		v->resolved = !v->resolved;
		rebuild(v, c->m);
		return VIEW_HANDLED | VIEW_DIRTY;
	default: break;
	}
	unsigned r = table_key(&v->tv.t, a);
	if (r & TABLE_RESORT)
		rebuild(v, c->m);
	return r & ~(unsigned)TABLE_RESORT;
}

static unsigned incidents_mode(const void *p)
{
	const struct incidents *v = p;
	return v->tv.detail ? KM_DETAIL : KM_LIST;
}

static const char *incidents_filter(const void *p)
{
	const struct incidents *v = p;
	return v->tv.detail ? NULL : v->tv.t.filter;
}

static void incidents_set_filter(void *p, const char *pattern, const struct view_ctx *c)
{
	struct incidents *v = p;
	snprintf(v->tv.t.filter, sizeof v->tv.t.filter, "%s", pattern);
	rebuild(v, c->m);
}

static void incidents_crumbs(const void *p, const struct view_ctx *c, char *buf, size_t n)
{
	const struct incidents *v = p;
	(void)c;
	if (v->tv.detail)
		snprintf(buf, n, "incident #%lld", (long long)v->tv.detail);
	else
		snprintf(buf, n, "%zu %sincident%s%s", v->tv.t.n, v->resolved ? "" : "open ",
		         v->tv.t.n == 1 ? "" : "s", v->tv.t.n != v->tv.t.total ? " (filtered)" : "");
}

/* The detail's incident, else the cursor's (none for a new one). */
static int incidents_target(const void *p, enum key_action a, const struct view_ctx *c,
                            struct view_target *t, struct dc_err *err)
{
	const struct incidents *v = p;
	if (a == KA_INC_OPEN)
		return 0;
	t->incident = v->tv.detail ? v->tv.detail : table_cur(&v->tv.t);
	if (!model_get(c->m, DC_T_INCIDENT, t->incident))
		return dc_err_set(err, "no incident under the cursor");
	snprintf(t->scope, sizeof t->scope, "incident #%lld", (long long)t->incident);
	return 0;
}

static int incidents_jump(const void *p, const struct view_ctx *c, struct view_jump *j, struct dc_err *err)
{
	const struct incidents *v = p;
	if (!v->tv.detail || v->sel >= v->nrel)
		return dc_err_set(err, "no related row selected");
	const struct related *r = &v->rel[v->sel];
	j->id = r->id;
	switch (r->kind) {
	case REL_NODE:
		j->to = &view_nodes;
		if (!model_node(c->m, r->id))
			return dc_err_set(err, "node %s is not in the fleet any more", r->name);
		return 0;
	case REL_TENANT:
		j->to = &view_tenants;
		if (!model_tenant(c->m, r->id))
			return dc_err_set(err, "tenant %s is not known any more", r->name);
		return 0;
	case REL_JOB:
		j->to = &view_queues;
		if (!model_get(c->m, DC_T_JOB, r->id))
			return dc_err_set(err, "job %s ended and left the job window (%s, %d %s)", r->name,
			                  tenant_name(c->m, r->tenant), r->gpus, text_plural(r->gpus, "GPU", "GPUs"));
		return 0;
	}
	return -1;
}

static const struct key_binding incidents_b[] = {
	/* in the detail, Enter goes to the selected related row */
	{ '\n', KA_ENTER, KM_DETAIL, false },
	{ '\r', KA_ENTER, KM_DETAIL, false },
	{ KEYS_FN(KEY_ENTER), KA_ENTER, KM_DETAIL, false },
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
	/* the detail's related rows show their node's, job's and tenant's state */
	.draws = DC_MASK(DC_T_INCIDENT) | DC_MASK(DC_T_INCIDENT_EVENT) | DC_MASK(DC_T_NODE) |
	         DC_MASK(DC_T_JOB) | DC_MASK(DC_T_TENANT),
	.init = incidents_init,
	.free = table_view_free,
	.resize = table_view_resize,
	.draw = incidents_draw,
	.key = incidents_key,
	.on_change = incidents_on_change,
	.mode = incidents_mode,
	.filter = incidents_filter,
	.set_filter = incidents_set_filter,
	.crumbs = incidents_crumbs,
	.target = incidents_target,
	.jump = incidents_jump,
};
