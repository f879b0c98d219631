/* view-table.c — the filtered, sorted id index behind every list (view.h). */
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "draw.h"
#include "view.h"

void table_init(struct table *t, const struct table_col *cols, int ncols, int sort_col,
                bool sort_rev)
{
	memset(t, 0, sizeof *t);
	t->cols = cols;
	t->ncols = ncols;
	t->sort_col = sort_col;
	t->sort_rev = sort_rev;
	t->page = 10;
	t->group_col = -1;
}

void table_free(struct table *t)
{
	free(t->ids);
	free(t->marked);
	t->ids = t->marked = NULL;
	t->n = t->cap = t->nmarked = t->capmarked = 0;
}

void table_begin(struct table *t)
{
	t->n = t->total = 0;
}

bool table_filtering(const struct table *t)
{
	return t->filter[0] && !(t->filter[0] == '!' && !t->filter[1]);
}

void table_add(struct table *t, int64_t id, const char *filter_text)
{
	t->total++;
	if (table_filtering(t) && !filter_match(t->filter, filter_text))
		return;
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

/* Column widths for the window: hide COL_WIDE columns from the right
 * until the minimums fit, then give the rest to the flex column. */
static void layout(const struct table *t, int cols, int *w)
{
	int used = 0, flex = -1;
	for (int c = 0; c < t->ncols; c++) {
		w[c] = t->cols[c].width;
		used += w[c] + 1;
		if (t->cols[c].flags & COL_FLEX)
			flex = c;
	}
	for (int c = t->ncols - 1; c >= 0 && used - 1 > cols; c--) {
		if (t->cols[c].flags & COL_WIDE) {
			used -= w[c] + 1;
			w[c] = 0;
		}
	}
	/* past FLEX_MAX the flex column stops growing: a 200-column terminal
	 * keeps its numbers next to the names */
	if (flex >= 0 && used - 1 < cols)
		w[flex] += cols - (used - 1) < FLEX_MAX - w[flex] ? cols - (used - 1) : FLEX_MAX - w[flex];
}

void table_draw(struct table *t, WINDOW *w, int y, int h, table_cell_fn cell, const void *ud)
{
	int cols = getmaxx(w) - 1, widths[32];
	layout(t, cols, widths);
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
