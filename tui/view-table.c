/* view-table.c — the filtered, sorted id index behind every list (view.h).
 *
 * table_update first finds where the changed ids sit. Two ways:
 *   - pos, a hash of visible id -> index: O(1) a row, but only while no
 *     row has moved since it was filled (pos_stale says it no longer is);
 *   - one pass over the ids with a bitmap of the changed ids in front of
 *     a binary search: O(n) but a couple of ns a row, sequential.
 * A stale pos is not refilled at once (a list whose rows move on every
 * batch, sorted by state under churn, would pay n hash inserts each
 * time) but after a batch that moved nothing, the common case (sorted by
 * name, rows change in place): from then on a batch costs its k rows.
 * Beside them, hidden holds the ids that belong but the filter hides; only
 * they make `total` differ from `n`. */
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "draw.h"
#include "view.h"

/* ---- tables ---- */

/* pos is keyless (idmap.h): position i leads to its id, ids[i]. */
static int64_t pos_id(const void *ctx, uint32_t i)
{
	return ((const struct table *)ctx)->ids[i];
}

void table_init(struct table *t, const struct table_col *cols, int ncols, int sort_col,
                bool sort_rev)
{
	memset(t, 0, sizeof *t);
	idmap_keyless(&t->pos, pos_id, t);
	t->cols = cols;
	t->ncols = ncols;
	t->sort_col = sort_col;
	t->sort_rev = sort_rev;
	t->page = 10;
	t->group_col = -1;
	t->pos_stale = true;
}

void table_free(struct table *t)
{
	free(t->ids);
	free(t->marked);
	idmap_free(&t->pos);
	idmap_free(&t->hidden);
	t->ids = t->marked = NULL;
	t->n = t->cap = t->nmarked = t->capmarked = 0;
	t->pos_stale = true;
}

void *table_view_new(size_t size, const struct table_col *cols, int ncols, int sort_col, bool sort_rev,
                     const struct view_ctx *c)
{
	struct table_view *v = xcalloc(1, size);
	table_init(&v->t, cols, ncols, sort_col, sort_rev);
	table_view_ctx(v, c);
	return v;
}

void table_view_free(void *p)
{
	struct table_view *v = p;
	if (v)
		table_free(&v->t);
	free(v);
}

void table_view_resize(void *p, int rows, int ncols)
{
	(void)ncols;
	((struct table_view *)p)->rows = rows;
}

void table_view_ctx(void *p, const struct view_ctx *c)
{
	struct table_view *v = p;
	v->m = c->m;
	v->now = c->now;
}

void table_begin(struct table *t)
{
	t->n = t->total = 0;
	idmap_reset(&t->hidden, t->hidden.n);
}

bool table_filtering(const struct table *t)
{
	return t->filter[0] && !(t->filter[0] == '!' && !t->filter[1]);
}

void table_add(struct table *t, int64_t id, const char *filter_text)
{
	t->total++;
	if (table_filtering(t) && !filter_match(t->filter, filter_text)) {
		idmap_put(&t->hidden, id, 0);
		return;
	}
	t->ids = xgrow(t->ids, &t->cap, t->n + 1, sizeof *t->ids);
	t->ids[t->n++] = id;
}

int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

int cmp_dbl(double a, double b)
{
	return (a > b) - (a < b);
}

struct sort_ctx {
	table_cmp_fn cmp;
	const void *ud;
	int col;
	bool rev;
};

static int sort_cmp(const struct sort_ctx *s, int64_t a, int64_t b)
{
	int c = s->cmp(s->ud, a, b, s->col);
	if (!c)
		return cmp_i64(a, b);
	return s->rev ? -c : c;
}

static void merge_sort(int64_t *v, int64_t *tmp, size_t n, const struct sort_ctx *s)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(v, tmp, h, s);
	merge_sort(v + h, tmp, n - h, s);
	if (sort_cmp(s, v[h - 1], v[h]) <= 0)
		return;
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = sort_cmp(s, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	memcpy(v, tmp, k * sizeof *v);
}

void table_sort(int64_t *ids, size_t n, table_cmp_fn cmp, const void *ud, int col, bool rev)
{
	if (n < 2)
		return;
	struct sort_ctx s = { cmp, ud, col, rev };
	int64_t *tmp = xmalloc(n * sizeof *tmp);
	merge_sort(ids, tmp, n, &s);
	free(tmp);
}

static void clamp(struct table *t)
{
	if (t->n == 0) {
		t->cur = t->top = 0;
		return;
	}
	if (t->cur >= t->n)
		t->cur = t->n - 1;
	size_t page = t->page > 0 ? (size_t)t->page : 1;
	if (t->top > t->cur)
		t->top = t->cur;
	if (t->cur >= t->top + page)
		t->top = t->cur - page + 1;
	if (t->top + page > t->n)
		t->top = t->n > page ? t->n - page : 0;
	t->cur_id = t->ids[t->cur];
}

void table_end(struct table *t, table_cmp_fn cmp, const void *ud)
{
	table_sort(t->ids, t->n, cmp, ud, t->sort_col, t->sort_rev);
	for (size_t i = 0; i < t->n; i++) {
		if (t->ids[i] == t->cur_id) {
			t->cur = i;
			break;
		}
	}
	clamp(t);
	t->pos_stale = true;
	t->gen++;
}

/* ---- incremental updates ---- */

/* A changed row that was visible, at pos; drop: it leaves its place. */
struct seen {
	size_t pos;
	size_t next;   /* first unchanged position after pos */
	bool drop;
};

static int id_order(const void *a, const void *b)
{
	return cmp_i64(*(const int64_t *)a, *(const int64_t *)b);
}

static int seen_order(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static size_t dedup(int64_t *v, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (!w || v[w - 1] != v[i])
			v[w++] = v[i];
	return w;
}

static void pos_refresh(struct table *t)
{
	idmap_reset(&t->pos, t->n);
	for (size_t i = 0; i < t->n; i++)
		idmap_put(&t->pos, t->ids[i], (uint32_t)i);
	t->pos_stale = false;
}

/* at[j]: the position of changed[j] (sorted), SIZE_MAX when not visible;
 * *cur: the cursor row's. Through pos while it is current, else a pass. */
static void locate(const struct table *t, const int64_t *changed, size_t k, size_t *at,
                   size_t *cur)
{
	if (!t->pos_stale) {
		for (size_t j = 0; j < k; j++) {
			const uint32_t *e = idmap_get(&t->pos, changed[j]);
			at[j] = e ? *e : SIZE_MAX;
		}
		const uint32_t *e = idmap_get(&t->pos, t->cur_id);
		*cur = e ? *e : SIZE_MAX;
		return;
	}
	size_t bits = 1024;           /* about 1 in 16 unchanged rows goes to the search */
	while (bits < 16 * k)
		bits *= 2;
	uint64_t *bm = xcalloc(bits / 64, sizeof *bm);
	for (size_t j = 0; j < k; j++) {
		size_t h = (size_t)idmap_hash(changed[j]) & (bits - 1);
		bm[h / 64] |= 1ull << (h % 64);
		at[j] = SIZE_MAX;
	}
	*cur = SIZE_MAX;
	for (size_t i = 0; i < t->n; i++) {
		int64_t id = t->ids[i];
		if (id == t->cur_id)
			*cur = i;
		size_t h = (size_t)idmap_hash(id) & (bits - 1);
		if (!(bm[h / 64] >> (h % 64) & 1))
			continue;
		const int64_t *p = bsearch(&id, changed, k, sizeof *changed, id_order);
		if (p)
			at[p - changed] = i;
	}
	free(bm);
}

/* Sorts one changed row, visible at `at` (SIZE_MAX: not), into `seen` or
 * `ins` (to insert), and keeps hidden and total right. */
static void classify(struct table *t, int64_t id, size_t at, table_row_fn row, const void *ud,
                     struct seen *seen, size_t *nseen, int64_t *ins, size_t *nins)
{
	char text[1024] = "";
	bool filtering = table_filtering(t);
	bool vis = at != SIZE_MAX;
	bool hid = !vis && idmap_get(&t->hidden, id);
	bool belongs = row(ud, id, filtering ? text : NULL, sizeof text);
	bool shown = belongs && (!filtering || filter_match(t->filter, text));
	if (belongs && !vis && !hid)
		t->total++;
	else if (!belongs && (vis || hid))
		t->total--;
	if (belongs && !shown && !hid)
		idmap_put(&t->hidden, id, 0);
	else if (hid && (shown || !belongs))
		idmap_del(&t->hidden, id);
	if (vis)
		seen[(*nseen)++] = (struct seen){ .pos = at, .drop = !shown };
	else if (shown)
		ins[(*nins)++] = id;
}

/* Marks the seen rows that no longer sort between their neighbours as
 * dropped and queues them for insertion. Walks them by position: a row is
 * checked against the nearest row before it that stays (unchanged, or
 * changed and already found in order) and the nearest unchanged row after
 * it; rows kept that way are in order with everything that stays. */
static void check_order(struct table *t, const struct sort_ctx *s, struct seen *seen,
                        size_t nseen, int64_t *ins, size_t *nins)
{
	for (size_t i = nseen; i-- > 0;)
		seen[i].next = i + 1 < nseen && seen[i + 1].pos == seen[i].pos + 1 ? seen[i + 1].next
		                                                                  : seen[i].pos + 1;
	size_t prev = SIZE_MAX;
	for (size_t i = 0; i < nseen; i++) {
		size_t p = seen[i].pos;
		if (i == 0 || seen[i - 1].pos + 1 != p)
			prev = p ? p - 1 : SIZE_MAX;
		if (!seen[i].drop) {
			int64_t id = t->ids[p];
			bool ok = (prev == SIZE_MAX || sort_cmp(s, t->ids[prev], id) < 0) &&
			          (seen[i].next >= t->n || sort_cmp(s, id, t->ids[seen[i].next]) < 0);
			if (!ok) {
				seen[i].drop = true;
				ins[(*nins)++] = id;
			}
		}
		if (!seen[i].drop)
			prev = p;
	}
}

/* Removes the dropped rows in one pass from the first of them, and moves
 * *cur along with the cursor's row (SIZE_MAX: not visible, or dropped). */
static void compact(struct table *t, const struct seen *seen, size_t nseen, size_t *cur)
{
	size_t j = 0;
	while (j < nseen && !seen[j].drop)
		j++;
	if (j == nseen)
		return;
	size_t w = seen[j].pos;
	for (size_t r = w; r < t->n; r++) {
		bool drop = false;
		if (j < nseen && seen[j].pos == r)
			drop = seen[j++].drop;
		if (r == *cur)
			*cur = drop ? SIZE_MAX : w;
		if (!drop)
			t->ids[w++] = t->ids[r];
	}
	t->n = w;
}

/* First index in [lo, n) whose row sorts after id. */
static size_t lower_bound(const struct table *t, const struct sort_ctx *s, size_t lo, int64_t id)
{
	size_t hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sort_cmp(s, t->ids[mid], id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Merges the sorted ins into the ids, from the back, moving only the rows
 * after the first insertion point; *cur follows the cursor's row, whether
 * it stayed or is one of ins. */
static void merge_in(struct table *t, const struct sort_ctx *s, const int64_t *ins, size_t nins,
                     size_t *cur)
{
	size_t *at = xmalloc(nins * sizeof *at);
	for (size_t j = 0, lo = 0; j < nins; j++)
		lo = at[j] = lower_bound(t, s, lo, ins[j]);
	t->ids = xgrow(t->ids, &t->cap, t->n + nins, sizeof *t->ids);
	size_t i = t->n, w = t->n + nins, j = nins, was = *cur;
	while (j > 0) {
		if (i > at[j - 1]) {
			t->ids[--w] = t->ids[--i];
			if (i == was)
				*cur = w;
		} else {
			t->ids[--w] = ins[--j];
			if (ins[j] == t->cur_id)
				*cur = w;
		}
	}
	t->n += nins;
	free(at);
}

bool table_update(struct table *t, const int64_t *ids, size_t k, table_row_fn row,
                  table_cmp_fn cmp, const void *ud)
{
	if (!k)
		return true;
	int64_t *changed = xmalloc(k * sizeof *changed);
	memcpy(changed, ids, k * sizeof *changed);
	qsort(changed, k, sizeof *changed, id_order);
	k = dedup(changed, k);
	if (k > t->total / 8) {
		free(changed);
		return false;
	}
	size_t cur, *at = xmalloc(k * sizeof *at);
	t->pos.ctx = t; /* the struct may have been copied since pos was filled */
	locate(t, changed, k, at, &cur);
	struct seen *seen = xmalloc(k * sizeof *seen);
	int64_t *ins = xmalloc(k * sizeof *ins);
	size_t nseen = 0, nins = 0;
	for (size_t i = 0; i < k; i++)
		classify(t, changed[i], at[i], row, ud, seen, &nseen, ins, &nins);
	qsort(seen, nseen, sizeof *seen, seen_order);
	struct sort_ctx s = { cmp, ud, t->sort_col, t->sort_rev };
	check_order(t, &s, seen, nseen, ins, &nins);
	size_t n = t->n;
	compact(t, seen, nseen, &cur);
	if (nins) {
		table_sort(ins, nins, cmp, ud, t->sort_col, t->sort_rev);
		merge_in(t, &s, ins, nins, &cur);
	}
	if (t->n != n || nins) {
		t->pos_stale = true;
		t->gen++;
	} else if (t->pos_stale) {
		pos_refresh(t);
	}
	/* as table_end: the cursor follows its row, else keeps its index */
	if (cur != SIZE_MAX)
		t->cur = cur;
	clamp(t);
	free(changed);
	free(at);
	free(seen);
	free(ins);
	return true;
}

int64_t table_cur(const struct table *t)
{
	return t->n ? t->ids[t->cur < t->n ? t->cur : t->n - 1] : 0;
}

void table_select(struct table *t, int64_t id)
{
	t->cur_id = id;
	for (size_t i = 0; i < t->n; i++) {
		if (t->ids[i] == id) {
			t->cur = i;
			break;
		}
	}
	clamp(t);
}

static size_t mark_pos(const struct table *t, int64_t id, bool *found)
{
	size_t lo = 0, hi = t->nmarked;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->marked[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->nmarked && t->marked[lo] == id;
	return lo;
}

bool table_is_marked(const struct table *t, int64_t id)
{
	bool found;
	mark_pos(t, id, &found);
	return found;
}

static void toggle_mark(struct table *t, int64_t id)
{
	bool found;
	size_t p = mark_pos(t, id, &found);
	if (found) {
		memmove(t->marked + p, t->marked + p + 1, (t->nmarked - p - 1) * sizeof *t->marked);
		t->nmarked--;
		return;
	}
	t->marked = xgrow(t->marked, &t->capmarked, t->nmarked + 1, sizeof *t->marked);
	memmove(t->marked + p + 1, t->marked + p, (t->nmarked - p) * sizeof *t->marked);
	t->marked[p] = id;
	t->nmarked++;
}

static unsigned step(struct table *t, long delta)
{
	if (t->n == 0)
		return VIEW_HANDLED;
	long c = (long)t->cur + delta;
	if (c < 0)
		c = 0;
	if (c >= (long)t->n)
		c = (long)t->n - 1;
	size_t was = t->cur;
	t->cur = (size_t)c;
	clamp(t);
	return VIEW_HANDLED | (was != t->cur ? VIEW_DIRTY : 0);
}

unsigned table_key(struct table *t, enum key_action a)
{
	long page = t->page > 1 ? t->page - 1 : 1;
	switch (a) {
	case KA_UP: return step(t, -1);
	case KA_DOWN: return step(t, 1);
	case KA_PAGE_UP: return step(t, -page);
	case KA_PAGE_DOWN: return step(t, page);
	case KA_TOP: return step(t, -(long)t->n);
	case KA_BOTTOM: return step(t, (long)t->n);
	case KA_SORT_NEXT:
		t->sort_col = (t->sort_col + 1) % t->ncols;
		return VIEW_HANDLED | VIEW_DIRTY | TABLE_RESORT;
	case KA_SORT_PREV:
		t->sort_col = (t->sort_col + t->ncols - 1) % t->ncols;
		return VIEW_HANDLED | VIEW_DIRTY | TABLE_RESORT;
	case KA_SORT_REVERSE:
		t->sort_rev = !t->sort_rev;
		return VIEW_HANDLED | VIEW_DIRTY | TABLE_RESORT;
	case KA_MARK:
		if (!t->n)
			return VIEW_HANDLED;
		toggle_mark(t, table_cur(t));
		step(t, 1);
		return VIEW_HANDLED | VIEW_DIRTY;
	default:
		return 0;
	}
}

#define FLEX_MAX 48

#define SORT_MIN 12

/* Columns dropped, from the right, while the minimums do not fit: the
 * wide ones first, then any but the first, the flex and the sort column.
 * The column the rows are sorted by is never hidden (the operator would
 * see an order with no reason): a wide one is narrowed to SORT_MIN (or
 * its title) before the others go. */
static int drop_pass(const struct table *t, int *w, int used, int cols, unsigned need)
{
	for (int c = t->ncols - 1; c > 0 && used - 1 > cols; c--) {
		if (c == t->sort_col || !w[c] || (t->cols[c].flags & COL_FLEX) || (t->cols[c].flags & need) != need)
			continue;
		used -= w[c] + 1;
		w[c] = 0;
	}
	return used;
}

/* Column widths for the window (see drop_pass); COL_FIT columns then grow
 * to fit[c] from the room left, and the rest goes to the flex column. */
static void layout(const struct table *t, int cols, const int *fit, int *w)
{
	int used = 0, flex = -1;
	for (int c = 0; c < t->ncols; c++) {
		w[c] = t->cols[c].width;
		used += w[c] + 1;
		if (t->cols[c].flags & COL_FLEX)
			flex = c;
	}
	used = drop_pass(t, w, used, cols, COL_WIDE);
	int s = t->sort_col;
	if (used - 1 > cols && s >= 0 && s < t->ncols && (t->cols[s].flags & COL_WIDE)) {
		int least = (int)strlen(t->cols[s].title) + 1 > SORT_MIN ? (int)strlen(t->cols[s].title) + 1 : SORT_MIN;
		int cut = used - 1 - cols < w[s] - least ? used - 1 - cols : w[s] - least;
		if (cut > 0) {
			w[s] -= cut;
			used -= cut;
		}
	}
	used = drop_pass(t, w, used, cols, 0);
	/* a name cut short cannot be told from its neighbours (gwj-h100-0…):
	 * it takes spare room before the flex column's text does */
	for (int c = 0; c < t->ncols; c++)
		if (w[c] && fit[c] > w[c] && used - 1 < cols) {
			int grow = fit[c] - w[c] < cols - (used - 1) ? fit[c] - w[c] : cols - (used - 1);
			w[c] += grow;
			used += grow;
		}
	/* wide extras yield to a flex column that asks for room: its text (a
	 * node's drain reason) matters more than they do */
	if (flex >= 0 && t->cols[flex].room)
		for (int c = t->ncols - 1; c > 0 && cols - (used - 1) + w[flex] < t->cols[flex].room; c--) {
			if (!w[c] || c == t->sort_col || !(t->cols[c].flags & COL_WIDE))
				continue;
			used -= w[c] + 1;
			w[c] = 0;
		}
	/* past FLEX_MAX the flex column stops growing: a 200-column terminal
	 * keeps its numbers next to the names */
	if (flex >= 0 && used - 1 < cols)
		w[flex] += cols - (used - 1) < FLEX_MAX - w[flex] ? cols - (used - 1) : FLEX_MAX - w[flex];
}

#define FIT_MAX 40

/* The widest cell of each COL_FIT column among the rows on screen (not the
 * whole list: a draw costs the rows it shows). */
static void fit_widths(const struct table *t, int h, table_cell_fn cell, const void *ud, int *fit)
{
	for (int c = 0; c < t->ncols; c++) {
		fit[c] = 0;
		if (!(t->cols[c].flags & COL_FIT))
			continue;
		for (size_t i = t->top; i < t->n && i < t->top + (size_t)(h > 1 ? h - 1 : 1); i++) {
			char buf[512] = "";
			enum theme_el el = THEME_TEXT;
			cell(ud, t->ids[i], c, buf, sizeof buf, &el);
			int tw = text_width(buf);
			fit[c] = tw > fit[c] ? (tw > FIT_MAX ? FIT_MAX : tw) : fit[c];
		}
	}
}

void table_draw(struct table *t, WINDOW *w, int y, int h, table_cell_fn cell, const void *ud)
{
	int cols = getmaxx(w) - 1, widths[32], fit[32];
	fit_widths(t, h, cell, ud, fit);
	layout(t, cols, fit, widths);
	t->page = h - 1 > 0 ? h - 1 : 1;
	clamp(t);
	draw_fill(w, y, 0, cols + 1, THEME_TITLE);
	for (int c = 0, x = 1; c < t->ncols; c++) {
		if (!widths[c])
			continue;
		/* the sort mark where it fits, else the sorted title is reversed */
		char title[64];
		bool fits = (int)strlen(t->cols[c].title) < widths[c];
		snprintf(title, sizeof title, "%s%s", t->cols[c].title,
		         c == t->sort_col && fits ? (t->sort_rev ? "v" : "^") : "");
		bool right = t->cols[c].flags & COL_RIGHT;
		enum theme_el el = c == t->sort_col && !fits ? THEME_SELECTION : THEME_TITLE;
		x = (right ? draw_textr : draw_text)(w, y, x, widths[c], el, title) + 1;
	}
	for (int r = 1; r < h; r++) {
		size_t i = t->top + (size_t)(r - 1);
		int yy = y + r;
		if (i >= t->n) {
			draw_fill(w, yy, 0, cols + 1, THEME_TEXT);
			continue;
		}
		int64_t id = t->ids[i];
		bool sel = i == t->cur, mark = table_is_marked(t, id);
		enum theme_el row_el = sel ? THEME_SELECTION : mark ? THEME_MARKED : THEME_TEXT;
		draw_fill(w, yy, 0, cols + 1, row_el);
		draw_text(w, yy, 0, 1, row_el, mark ? "*" : " ");
		for (int c = 0, x = 1; c < t->ncols; c++) {
			if (!widths[c])
				continue;
			char buf[512] = "";
			enum theme_el el = THEME_TEXT;
			cell(ud, id, c, buf, sizeof buf, &el);
			if (c == t->group_col && i > t->top) {
				char prev[512] = "";
				enum theme_el pel;
				cell(ud, t->ids[i - 1], c, prev, sizeof prev, &pel);
				if (strcmp(prev, buf) == 0)
					buf[0] = '\0';
			}
			if (sel || mark)
				el = row_el;
			bool right = t->cols[c].flags & COL_RIGHT;
			x = (right ? draw_textr : draw_text)(w, yy, x, widths[c], el, buf) + 1;
		}
	}
}

unsigned pane_key(int *skip, int rows, enum key_action a)
{
	int page = rows > 2 ? rows - 1 : 1;
	switch (a) {
	case KA_UP: *skip -= *skip > 0; break;
	case KA_DOWN: (*skip)++; break;
	case KA_PAGE_UP: *skip = *skip > page ? *skip - page : 0; break;
	case KA_PAGE_DOWN: *skip += page; break;
	case KA_TOP: *skip = 0; break;
	case KA_BOTTOM: *skip = 1 << 20; break; /* the pane clamps it when drawn */
	default: return 0;
	}
	return VIEW_HANDLED | VIEW_DIRTY;
}
