/* view-audit.c — the Audit view: recent audit rows (who, what, why,
 * before → after), filtered by operator, node, tenant and time.
 *
 * Filter words (the `/` line and `:audit ARGS` share them):
 *   by:WHO      the actor contains WHO (also operator: actor:)
 *   node:N      the target or the before/after names N
 *   tenant:T    likewise for a tenant
 *   since:2h    rows of the last 2 hours (units w d h m s)
 *   other words match anywhere in the row; !word hides rows with it */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "draw.h"
#include "view.h"
#include "writer.h"

enum { A_TIME, A_ACTOR, A_ACTION, A_TARGET, A_REASON, A_CHANGE, A_COUNT };
static const struct table_col cols[A_COUNT] = {
	[A_TIME] = { "TIME", 20, 0 },
	[A_ACTOR] = { "ACTOR", 10, COL_FIT },
	[A_ACTION] = { "ACTION", 16, COL_FIT },
	[A_TARGET] = { "TARGET", 12, 0 },
	[A_REASON] = { "REASON", 20, COL_FLEX },
	[A_CHANGE] = { "BEFORE → AFTER", 30, COL_WIDE },
};

struct audit_filter {
	char by[64], node[64], tenant[128];
	int64_t since_s;
	char words[256];
};

struct audit {
	struct table_view tv;     /* first: the shared parts take it */
	char filter[256];
	struct audit_filter f;
	char error[600];          /* a filter word that did not parse */
};

/* ---- before → after ---- */

static void value_text(const cJSON *v, char *buf, size_t n)
{
	if (!v || cJSON_IsNull(v)) {
		snprintf(buf, n, "-");
	} else if (cJSON_IsString(v)) {
		snprintf(buf, n, "%s", v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		if (v->valuedouble == (double)(long long)v->valuedouble)
			snprintf(buf, n, "%lld", (long long)v->valuedouble);
		else
			snprintf(buf, n, "%g", v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
	} else {
		char *p = cJSON_PrintUnformatted(v);
		snprintf(buf, n, "%s", p ? p : "?");
		free(p);
	}
}

static bool noise(const char *key)
{
	return strstr(key, "version") || strcmp(key, "action_id") == 0 ||
	       strcmp(key, "tenant_id") == 0;
}

/* "key a→b" for each key whose value differs; nested objects (one per
 * node in a drain) get their name in front. */
static void diff(const cJSON *b, const cJSON *a, const char *prefix, struct sb *out, int depth)
{
	const cJSON *keys = a && cJSON_IsObject(a) ? a : b;
	const cJSON *it;
	cJSON_ArrayForEach(it, keys) {
		if (!it->string || noise(it->string))
			continue;
		const cJSON *bv = b ? cJSON_GetObjectItemCaseSensitive(b, it->string) : NULL;
		const cJSON *av = a ? cJSON_GetObjectItemCaseSensitive(a, it->string) : NULL;
		if (depth < 1 && ((bv && cJSON_IsObject(bv)) || (av && cJSON_IsObject(av)))) {
			diff(bv, av, it->string, out, depth + 1);
			continue;
		}
		char bt[96], at[96];
		value_text(bv, bt, sizeof bt);
		value_text(av, at, sizeof at);
		if (strcmp(bt, at) == 0)
			continue;
		sb_appendf(out, "%s%s%s%s %s→%s", out->len ? ", " : "", prefix ? prefix : "",
		           prefix ? ": " : "", it->string, bt, at);
		prefix = NULL;  /* a node's name once, before its first change */
	}
}

static void change_summary(const struct dc_audit *r, char *buf, size_t n)
{
	cJSON *b = r->before && r->before[0] ? cJSON_Parse(r->before) : NULL;
	cJSON *a = r->after && r->after[0] ? cJSON_Parse(r->after) : NULL;
	struct sb sb = { 0 };
	if (a || b)
		diff(b, a, NULL, &sb, 0);
	snprintf(buf, n, "%s", sb.len ? sb.buf : "");
	sb_free(&sb);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* ---- filter ---- */

static bool take(const char *word, const char *const *keys, char *out, size_t n)
{
	for (size_t i = 0; keys[i]; i++) {
		size_t kl = strlen(keys[i]);
		if (strncmp(word, keys[i], kl) == 0 && (word[kl] == ':' || word[kl] == '=')) {
			snprintf(out, n, "%s", word + kl + 1);
			return true;
		}
	}
	return false;
}

static void filter_parse(struct audit *v)
{
	memset(&v->f, 0, sizeof v->f);
	v->error[0] = '\0';
	static const char *const by[] = { "by", "operator", "actor", NULL };
	static const char *const node[] = { "node", NULL };
	static const char *const tenant[] = { "tenant", NULL };
	static const char *const since[] = { "since", NULL };
	char buf[256];
	snprintf(buf, sizeof buf, "%s", v->filter);
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char dur[64];
		if (take(w, by, v->f.by, sizeof v->f.by) || take(w, node, v->f.node, sizeof v->f.node) ||
		    take(w, tenant, v->f.tenant, sizeof v->f.tenant))
			continue;
		if (take(w, since, dur, sizeof dur)) {
			struct dc_err err;
			if (writer_duration_parse(dur, &v->f.since_s, &err) == -1)
				snprintf(v->error, sizeof v->error, "since: %s", err.msg);
			continue;
		}
		size_t len = strlen(v->f.words);
		snprintf(v->f.words + len, sizeof v->f.words - len, "%s%s", len ? " " : "", w);
	}
}

static bool has(const char *text, const char *needle)
{
	return filter_match(needle, text ? text : "");
}

static bool row_matches(const struct audit *v, const struct dc_audit *r)
{
	const struct audit_filter *f = &v->f;
	if (f->since_s && r->ts < v->tv.now - f->since_s)
		return false;
	if (f->by[0] && !has(r->actor, f->by))
		return false;
	if (f->node[0] && !has(r->target, f->node) && !has(r->before, f->node) &&
	    !has(r->after, f->node))
		return false;
	if (f->tenant[0] && !has(r->target, f->tenant) && !has(r->before, f->tenant) &&
	    !has(r->after, f->tenant))
		return false;
	if (!f->words[0])
		return true;
	char hay[2048];
	snprintf(hay, sizeof hay, "%s %s %s %s %s %s", r->actor, r->action, r->target, r->reason,
	         r->before, r->after);
	/* each word must match (a !word must not) */
	char words[256];
	snprintf(words, sizeof words, "%s", f->words);
	for (char *save = NULL, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (!filter_match(w, hay))
			return false;
	return true;
}

/* ---- table ---- */

static int audit_cmp(const void *ud, int64_t ia, int64_t ib, int col)
{
	const struct audit *v = ud;
	const struct dc_audit *a = model_get(v->tv.m, DC_T_AUDIT, ia), *b = model_get(v->tv.m, DC_T_AUDIT, ib);
	if (!a || !b)
		return cmp_i64(ia, ib);
	switch (col) {
	case A_ACTOR: return text_natcmp(a->actor, b->actor);
	case A_ACTION: return text_natcmp(a->action, b->action);
	case A_TARGET: return text_natcmp(a->target, b->target);
	case A_REASON: return text_natcmp(a->reason, b->reason);
	default: return cmp_i64(b->ts, a->ts) ? cmp_i64(b->ts, a->ts) : cmp_i64(ib, ia);
	}
}

static void audit_cell(const void *ud, int64_t id, int col, char *buf, size_t n, enum theme_el *el)
{
	const struct audit *v = ud;
	const struct dc_audit *r = model_get(v->tv.m, DC_T_AUDIT, id);
	if (!r)
		return;
	switch (col) {
	case A_TIME: fmt_time(r->ts, buf, n); *el = THEME_DIM; break;
	case A_ACTOR: snprintf(buf, n, "%s", r->actor); break;
	case A_ACTION:
		snprintf(buf, n, "%s", r->action);
		*el = THEME_TITLE;
		break;
	case A_TARGET: snprintf(buf, n, "%s", r->target); break;
	case A_REASON: snprintf(buf, n, "%s", r->reason); break;
	case A_CHANGE: change_summary(r, buf, n); break;
	default: break;
	}
}

static void rebuild(struct audit *v, const struct dc_model *m)
{
	table_begin(&v->tv.t);
	size_t n = model_count(m, DC_T_AUDIT);
	for (size_t i = 0; i < n; i++) {
		const struct dc_audit *r = model_row(m, DC_T_AUDIT, i);
		if (!row_matches(v, r)) {
			v->tv.t.total++;
			continue;
		}
		table_add(&v->tv.t, r->id, "");
	}
	table_end(&v->tv.t, audit_cmp, v);
}

static void *audit_init(const struct view_ctx *c)
{
	return table_view_new(sizeof(struct audit), cols, A_COUNT, A_TIME, false, c);
}

static void audit_on_change(void *p, unsigned mask, const struct view_ctx *c)
{
	struct audit *v = p;
	table_view_ctx(v, c);
	if (mask & DC_MASK(DC_T_AUDIT))
		rebuild(v, c->m);
	if (v->tv.detail && !model_get(c->m, DC_T_AUDIT, v->tv.detail))
		v->tv.detail = 0;
}

static void json_lines(struct pane *p, const char *label, const char *json)
{
	struct dline d;
	if (pane_line(p, &d))
		dline_put(&d, THEME_TITLE, label);
	cJSON *j = json && json[0] ? cJSON_Parse(json) : NULL;
	char *pretty = j ? cJSON_Print(j) : NULL;
	const char *s = pretty ? pretty : json && json[0] ? json : "(none)";
	while (*s) {
		size_t len = strcspn(s, "\n");
		char line[512];
		snprintf(line, sizeof line, "  %.*s", (int)(len < 500 ? len : 500), s);
		for (char *t = line; *t; t++)
			if (*t == '\t')
				*t = ' ';
		if (pane_line(p, &d))
			dline_put(&d, THEME_TEXT, line);
		s += len + (s[len] == '\n');
	}
	free(pretty);
	cJSON_Delete(j);
}

static void draw_detail(struct audit *v, WINDOW *w, const struct view_ctx *c)
{
	const struct dc_audit *r = model_get(c->m, DC_T_AUDIT, v->tv.detail);
	draw_clear(w);
	struct pane p;
	pane_start(&p, w, 0, v->tv.skip);
	struct dline d;
	char ts[32], change[512];
	fmt_time(r->ts, ts, sizeof ts);
	if (pane_line(&p, &d)) {
		dline_putf(&d, THEME_TITLE, "audit #%lld  ", (long long)r->id);
		dline_put(&d, THEME_TITLE, r->action);
		dline_put(&d, THEME_TEXT, "  ");
		dline_put(&d, THEME_TEXT, r->target);
	}
	if (pane_line(&p, &d)) {
		dline_putf(&d, THEME_DIM, "at %s by ", ts);
		dline_put(&d, THEME_TEXT, r->actor);
		if (r->incident_id)
			dline_putf(&d, THEME_DIM, "  incident #%lld", (long long)r->incident_id);
	}
	if (pane_line(&p, &d)) {
		dline_put(&d, THEME_DIM, "reason  ");
		dline_put(&d, THEME_TEXT, r->reason[0] ? r->reason : "-");
	}
	change_summary(r, change, sizeof change);
	if (pane_line(&p, &d)) {
		dline_put(&d, THEME_DIM, "change  ");
		dline_put(&d, THEME_TEXT, change[0] ? change : "-");
	}
	pane_line(&p, &d);
	json_lines(&p, "before", r->before);
	pane_line(&p, &d);
	json_lines(&p, "after", r->after);
	if (pane_end(&p, &v->tv.skip))
		draw_detail(v, w, c);
}

static void audit_draw(void *p, WINDOW *w, const struct view_ctx *c)
{
	struct audit *v = p;
	table_view_ctx(v, c);
	if (v->tv.detail) {
		draw_detail(v, w, c);
		return;
	}
	int h = getmaxy(w);
	if (v->error[0]) {
		draw_fill(w, h - 1, 0, getmaxx(w), THEME_TEXT);
		draw_text(w, h - 1, 0, getmaxx(w), THEME_ERROR, v->error);
		h--;
	}
	table_draw(&v->tv.t, w, 0, h, audit_cell, v);
}

static unsigned audit_key(void *p, enum key_action a, const struct view_ctx *c)
{
	struct audit *v = p;
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

static unsigned audit_mode(const void *p)
{
	const struct audit *v = p;
	return v->tv.detail ? KM_DETAIL : KM_LIST;
}

static const char *audit_filter(const void *p)
{
	const struct audit *v = p;
	return v->tv.detail ? NULL : v->filter;
}

static void audit_set_filter(void *p, const char *pattern, const struct view_ctx *c)
{
	struct audit *v = p;
	snprintf(v->filter, sizeof v->filter, "%s", pattern);
	v->tv.now = c->now;
	filter_parse(v);
	rebuild(v, c->m);
}

static void audit_crumbs(const void *p, const struct view_ctx *c, char *buf, size_t n)
{
	const struct audit *v = p;
	(void)c;
	if (v->tv.detail)
		snprintf(buf, n, "audit #%lld", (long long)v->tv.detail);
	else if (v->tv.t.n != v->tv.t.total)
		snprintf(buf, n, "%zu of %zu audit %s", v->tv.t.n, v->tv.t.total,
		         text_plural((long)v->tv.t.total, "row", "rows"));
	else
		snprintf(buf, n, "%zu audit %s", v->tv.t.n, text_plural((long)v->tv.t.n, "row", "rows"));
}

/* :audit by:kim node:gpu-a01 since:2h */
static int audit_open(void *p, const char *arg, const struct view_ctx *c, struct dc_err *err)
{
	struct audit *v = p;
	v->tv.detail = 0;
	audit_set_filter(v, arg, c);
	if (v->error[0])
		return dc_err_set(err, "%s", v->error);
	return 0;
}

const struct view_ops view_audit = {
	.name = "audit",
	.title = "Audit",
	.keys = NULL,
	.draws = DC_MASK(DC_T_AUDIT),
	.init = audit_init,
	.free = table_view_free,
	.resize = table_view_resize,
	.draw = audit_draw,
	.key = audit_key,
	.on_change = audit_on_change,
	.mode = audit_mode,
	.filter = audit_filter,
	.set_filter = audit_set_filter,
	.crumbs = audit_crumbs,
	.open = audit_open,
};
