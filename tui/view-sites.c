/* view-sites.c — the Sites view (`0`, with --sites): one line per site the
 * console holds, what needs attention first: a site that cannot be seen
 * (its database or bastion down: DOWN, with how old its data is), then
 * open SEV-1s, SEV-2s, unacknowledged incidents, a silent adapter. Enter
 * makes the site under the cursor current.
 *
 * Rows are site indexes + 1; the summaries are taken again at every draw
 * (a few partitions and the open incidents of each site). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "site.h"
#include "view.h"

/* The severity counts come before the fleet's: on 80 columns they stay. */
enum { S_SITE, S_NEEDS, S_LINK, S_ADAPTER, S_DATA, S_SEV1, S_SEV2, S_SEV3, S_NODES, S_OUT,
	S_QUEUE, S_GPUS, S_OLDEST, S_COUNT };
static const struct table_col cols[S_COUNT] = {
	[S_SITE] = { "SITE", 10, 0 },
	[S_NEEDS] = { "NEEDS", 7, 0 },
	[S_LINK] = { "LINK", 10, 0 },
	[S_ADAPTER] = { "ADAPTER", 7, COL_WIDE },
	[S_DATA] = { "DATA", 9, COL_RIGHT },
	[S_NODES] = { "NODES", 5, COL_RIGHT },
	[S_OUT] = { "DOWN/DRN", 8, COL_RIGHT },
	[S_GPUS] = { "GPUS USED", 11, COL_RIGHT | COL_WIDE },
	[S_QUEUE] = { "QUEUE", 5, COL_RIGHT },
	[S_SEV1] = { "S1", 3, COL_RIGHT },
	[S_SEV2] = { "S2", 3, COL_RIGHT },
	[S_SEV3] = { "S3+", 3, COL_RIGHT },
	[S_OLDEST] = { "OLDEST UNACKED", 14, COL_FLEX },
};

struct sites {
	struct table t;
	const struct site_set *set;
	struct site_summary sum[CONFIG_MAX_SITES];
	int64_t now;
	size_t chosen;
};

static const struct site_summary *sum_of(const struct sites *v, int64_t id)
{
	return &v->sum[id - 1];
}

static const char *needs(const struct site_summary *s)
{
	if (s->down)
		return "DOWN";
	if (s->sev[1])
		return "SEV-1";
	if (s->sev[2])
		return "SEV-2";
	if (s->unacked)
		return "UNACK";
	if (s->adapter)
		return "ADAPTER";
	if (s->quotas_stale)
		return "QUOTAS";
	return "ok";
}

static int site_cmp(const void *ud, int64_t ia, int64_t ib, int col)
{
	const struct sites *v = ud;
	const struct site_summary *a = sum_of(v, ia), *b = sum_of(v, ib);
	switch (col) {
	case S_SITE: return strcmp(v->set->v[ia - 1]->name, v->set->v[ib - 1]->name);
	/* ascending is "needs it most first" */
	case S_NEEDS: return site_attention_cmp(a, b);
	case S_DATA: return cmp_i64(b->data_at, a->data_at);
	case S_NODES: return cmp_i64(a->nodes, b->nodes);
	case S_OUT: return cmp_i64(a->nodes_down + a->nodes_drained, b->nodes_down + b->nodes_drained);
	case S_GPUS: return cmp_i64(a->gpus_used, b->gpus_used);
	case S_QUEUE: return cmp_i64(a->jobs_pending, b->jobs_pending);
	case S_SEV1: return cmp_i64(a->sev[1], b->sev[1]);
	case S_SEV2: return cmp_i64(a->sev[2], b->sev[2]);
	case S_SEV3: return cmp_i64(a->sev[3] + a->sev[4] + a->sev[5], b->sev[3] + b->sev[4] + b->sev[5]);
	case S_OLDEST: return cmp_i64(a->oldest ? a->oldest->opened_at : INT64_MAX,
	                              b->oldest ? b->oldest->opened_at : INT64_MAX);
	default: return 0;
	}
}

static void count_cell(int n, enum theme_el hot, char *buf, size_t len, enum theme_el *el)
{
	snprintf(buf, len, "%d", n);
	*el = n ? hot : THEME_DIM;
}

static void site_cell(const void *ud, int64_t id, int col, char *buf, size_t n, enum theme_el *el)
{
	const struct sites *v = ud;
	const struct site_summary *s = sum_of(v, id);
	char age[16];
	switch (col) {
	case S_SITE: snprintf(buf, n, "%s", v->set->v[id - 1]->name); break;
	case S_NEEDS:
		snprintf(buf, n, "%s", needs(s));
		*el = s->down || s->sev[1] ? THEME_ERROR
		      : s->sev[2] || s->unacked || s->adapter || s->quotas_stale ? THEME_WARN : THEME_OK;
		break;
	case S_LINK:
		snprintf(buf, n, "%s", s->link);
		*el = s->down ? THEME_LINK_DOWN : THEME_LINK_UP;
		break;
	case S_ADAPTER:
		/* up, but accounting unreadable: quotas are the last known */
		snprintf(buf, n, "%s", s->adapter ? s->adapter : s->quotas_stale ? "quotas?"
		         : model_setting(v->set->v[id - 1]->m, "adapter.state") ? "up" : "-");
		*el = s->adapter ? THEME_ERROR : s->quotas_stale ? THEME_WARN : THEME_DIM;
		break;
	case S_DATA:
		if (!s->data_at) {
			snprintf(buf, n, "no data");
			*el = THEME_DIM;
			break;
		}
		/* frozen data counts seconds, as the header does */
		if (s->down || s->adapter)
			fmt_dur(v->now - s->data_at, age, sizeof age);
		else
			fmt_age(v->now - s->data_at, age, sizeof age);
		snprintf(buf, n, "%s", age);
		*el = s->down || s->adapter ? THEME_HEADER_STALE : THEME_TEXT;
		break;
	case S_NODES: snprintf(buf, n, "%d", s->nodes); break;
	case S_OUT:
		snprintf(buf, n, "%d/%d", s->nodes_down, s->nodes_drained + s->nodes_draining);
		*el = s->nodes_down ? THEME_NODE_DOWN : THEME_TEXT;
		break;
	case S_GPUS: snprintf(buf, n, "%d/%d", s->gpus_used, s->gpus_total); break;
	case S_QUEUE: snprintf(buf, n, "%d", s->jobs_pending); break;
	case S_SEV1: count_cell(s->sev[1], THEME_SEV1, buf, n, el); break;
	case S_SEV2: count_cell(s->sev[2], THEME_SEV2, buf, n, el); break;
	case S_SEV3: count_cell(s->sev[3] + s->sev[4] + s->sev[5], THEME_SEV3, buf, n, el); break;
	case S_OLDEST:
		if (!s->oldest) {
			snprintf(buf, n, "-");
			*el = THEME_DIM;
			break;
		}
		fmt_age(v->now - s->oldest->opened_at, age, sizeof age);
		snprintf(buf, n, "#%lld SEV-%d open %s: %s", (long long)s->oldest->id, s->oldest->sev, age,
		         s->oldest->title);
		*el = s->oldest->sev <= 2 ? THEME_SEV1 + (s->oldest->sev - 1) : THEME_TEXT;
		break;
	default: break;
	}
}

static void rebuild(struct sites *v, const struct view_ctx *c)
{
	v->now = c->now;
	table_begin(&v->t);
	for (size_t i = 0; v->set && i < v->set->n; i++) {
		site_summarize(v->set->v[i], c->now, &v->sum[i]);
		char hay[160] = "";
		if (table_filtering(&v->t))
			snprintf(hay, sizeof hay, "%s %s", v->set->v[i]->name, needs(&v->sum[i]));
		table_add(&v->t, (int64_t)i + 1, hay);
	}
	table_end(&v->t, site_cmp, v);
}

static void *sites_init(const struct view_ctx *c)
{
	struct sites *v = xcalloc(1, sizeof *v);
	(void)c;
	table_init(&v->t, cols, S_COUNT, S_NEEDS, false);
	return v;
}

static void sites_free(void *p)
{
	struct sites *v = p;
	table_free(&v->t);
	free(v);
}

static void sites_on_change(void *p, unsigned mask, const struct view_ctx *c)
{
	(void)mask;
	rebuild(p, c);
}

static void sites_draw(void *p, WINDOW *w, const struct view_ctx *c)
{
	struct sites *v = p;
	rebuild(v, c);
	table_draw(&v->t, w, 0, getmaxy(w), site_cell, v);
}

static unsigned sites_key(void *p, enum key_action a, const struct view_ctx *c)
{
	struct sites *v = p;
	if (a == KA_ENTER && table_cur(&v->t)) {
		v->chosen = (size_t)table_cur(&v->t) - 1;
		return VIEW_HANDLED | VIEW_DIRTY | VIEW_SITE;
	}
	unsigned r = table_key(&v->t, a);
	if (r & TABLE_RESORT)
		rebuild(v, c);
	return r & ~(unsigned)TABLE_RESORT;
}

void view_sites_bind(void *p, const struct site_set *set)
{
	struct sites *v = p;
	v->set = set;
}

size_t view_sites_chosen(const void *p)
{
	const struct sites *v = p;
	return v->chosen;
}

static unsigned sites_mode(const void *p)
{
	(void)p;
	return KM_LIST;
}

static const char *sites_filter(const void *p)
{
	const struct sites *v = p;
	return v->t.filter;
}

static void sites_set_filter(void *p, const char *pattern, const struct view_ctx *c)
{
	struct sites *v = p;
	snprintf(v->t.filter, sizeof v->t.filter, "%s", pattern);
	rebuild(v, c);
}

static void sites_crumbs(const void *p, const struct view_ctx *c, char *buf, size_t n)
{
	const struct sites *v = p;
	size_t down = 0;
	for (size_t i = 0; v->set && i < v->set->n; i++)
		down += v->sum[i].down;
	(void)c;
	if (down)
		snprintf(buf, n, "%zu sites, %zu down", v->t.total, down);
	else
		snprintf(buf, n, "%zu %s", v->t.total, text_plural((long)v->t.total, "site", "sites"));
}

const struct view_ops view_sites = {
	.name = "sites",
	.title = "Sites",
	.init = sites_init,
	.free = sites_free,
	.draw = sites_draw,
	.key = sites_key,
	.on_change = sites_on_change,
	.mode = sites_mode,
	.filter = sites_filter,
	.set_filter = sites_set_filter,
	.crumbs = sites_crumbs,
};
