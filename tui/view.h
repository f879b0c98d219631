/* view.h — the views of the console as a vtable, and the sorted, filtered
 * row tables they share.
 *
 * A view (view-nodes.c, ...) owns its private state behind a void *. The
 * app calls on_change when rows of the tables in the mask changed (before
 * drawing, only for the view on screen; others catch up when shown), draw
 * once per frame, key with an action from the key tables. key() changes
 * state and returns VIEW_* flags; it never draws. Views read the model
 * through view_ctx and keep row ids, never row pointers, across calls.
 *
 * struct table is the id index behind every list, drawn a page at a time
 * so only visible rows are formatted. It is either rebuilt (table_begin/
 * add/end: filter + stable sort, O(n log n)) or, for the big lists, brought
 * up to date with the ids the model's change log names since the view last
 * caught up (table_update: O(k log n) comparisons for k changed rows, plus
 * memmove-class passes over the ids). Both give the same rows in the same
 * order with the cursor in the same place. The cursor and the marks follow
 * row ids, so they survive re-sorting and data changes. Row ids are
 * nonzero (0 means "none" throughout).
 *
 * Ownership: a view's state is freed by its free(); a table's arrays and
 * indexes by table_free. Cell text from a view is raw model text;
 * table_draw sanitises it. */
#ifndef DCOPS_VIEW_H
#define DCOPS_VIEW_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "idmap.h"
#include "keys.h"
#include "model.h"
#include "theme.h"
#include "util.h"

/* VIEW_GOTO: the operator asked to go to a related row elsewhere; the app
 * asks the view's jump() where, and opens it there with show(). */
/* VIEW_SITE: the operator picked a site (view_sites_chosen says which). */
enum { VIEW_HANDLED = 1, VIEW_DIRTY = 2, VIEW_QUIT = 4, VIEW_GOTO = 8, VIEW_SITE = 16 };

struct drill_entry;
struct site_set;

struct view_ctx {
	const struct dc_model *m;  /* the current site's */
	int64_t now;               /* wall clock, seconds */
};

/* What an operator action applies to, from the view's selection. */
struct view_target {
	int64_t *nodes;            /* node ids (owned: free()), the marked ones or the cursor's */
	size_t n_nodes;
	int64_t tenant;            /* 0: none */
	int64_t incident;          /* 0: none */
	int64_t job;               /* 0: none */
	char scope[96];            /* how the operator picked them: "rack A01", "3 marked" */
	int64_t shift;             /* handover: the shift shown (0: none) */
	int64_t drill;             /* drills: the running drill (0: none) */
	const struct drill_entry *scenario; /* drills: the scenario under the cursor */
};

struct view_ops;
/* Where a jump goes: a view and the row whose detail it opens. */
struct view_jump {
	const struct view_ops *to;
	int64_t id;
};

struct view_ops {
	const char *name;          /* "nodes": key table name, :commands */
	const char *title;         /* "Nodes" */
	const struct key_table *keys;
	/* DC_MASK of the tables draw() reads, with the sources of any derived
	 * field it shows (node <- gpu; partition <- node, gpu, job; tenant <-
	 * job); 0 means all. A change to none of them, while this view is on
	 * screen, draws no frame (it still reaches on_change later). */
	unsigned draws;
	void *(*init)(const struct view_ctx *c);
	void (*free)(void *v);
	void (*resize)(void *v, int rows, int cols);
	void (*draw)(void *v, WINDOW *w, const struct view_ctx *c);
	unsigned (*key)(void *v, enum key_action a, const struct view_ctx *c);
	void (*on_change)(void *v, unsigned table_mask, const struct view_ctx *c);
	unsigned (*mode)(const void *v);                 /* KM_* the view is in */
	/* The active list's filter (NULL: this mode has no list). */
	const char *(*filter)(const void *v);
	void (*set_filter)(void *v, const char *pattern, const struct view_ctx *c);
	/* Where the operator is: "h100 › 12 of 40 jobs". */
	void (*crumbs)(const void *v, const struct view_ctx *c, char *buf, size_t n);
	/* Goes to the row named arg (:jobs h100, :tenant NAME); NULL if none. */
	int (*open)(void *v, const char *arg, const struct view_ctx *c, struct dc_err *err);
	/* What operator action a applies to (NULL: the view has no actions);
	 * -1 with err when there is nothing to act on. */
	int (*target)(const void *v, enum key_action a, const struct view_ctx *c,
	              struct view_target *t, struct dc_err *err);
	/* After key() returned VIEW_GOTO: where to; -1 with err when the row
	 * cannot be shown (a job that left the job window). */
	int (*jump)(const void *v, const struct view_ctx *c, struct view_jump *j, struct dc_err *err);
	/* Opens the detail of row id (a jump arriving); -1 with err when the
	 * row is gone. NULL: the view cannot be jumped to. */
	int (*show)(void *v, int64_t id, const struct view_ctx *c, struct dc_err *err);
	/* A digest of what it shows that moves with the clock alone, finer
	 * than the minute (a late node's AGE): the app's 1 s tick redraws
	 * when it changes, and only then. NULL: nothing finer than a minute. */
	uint64_t (*timed)(const void *v, const struct view_ctx *c);
};

extern const struct view_ops view_nodes, view_queues, view_tenants, view_incidents, view_audit,
	view_handover, view_drill, view_sites;
/* The Sites view reads every site the console holds (site.h), borrowed
 * from the app for the view's life; after it returned VIEW_SITE,
 * view_sites_chosen is the index of the site picked. */
void view_sites_bind(void *v, const struct site_set *set);
size_t view_sites_chosen(const void *v);

/* ---- tables ---- */

enum { COL_RIGHT = 1, COL_FLEX = 2, COL_WIDE = 4 /* only when there is room */,
       COL_FIT = 8 /* grows to its widest shown cell from the flex column's spare room */ };

struct table_col {
	const char *title;
	int width;                 /* minimum columns (the flex column grows) */
	unsigned flags;
	int room;                  /* flex column only: COL_WIDE columns show only
	                            * while it keeps this many (0: any) */
};

/* Compares two rows by column col (ascending); ties fall back to the id. */
typedef int (*table_cmp_fn)(const void *ud, int64_t a, int64_t b, int col);
/* Writes the raw text of one cell and picks its element. */
typedef void (*table_cell_fn)(const void *ud, int64_t id, int col, char *buf, size_t n,
                              enum theme_el *el);
/* For table_update: whether row id (still) belongs to the list, before the
 * filter; when buf is non-NULL (the table is filtering) also writes the
 * row's filter text, the same text the view gives table_add. */
typedef bool (*table_row_fn)(const void *ud, int64_t id, char *buf, size_t n);

struct table {
	const struct table_col *cols;
	int ncols;
	int64_t *ids;              /* visible rows in order */
	size_t n, cap, total;      /* total: rows before the filter */
	size_t cur, top;
	int64_t cur_id;            /* the cursor follows this row */
	int sort_col;
	bool sort_rev;
	int page;                  /* rows that fit, from the last draw */
	char filter[256];
	int64_t *marked;           /* sorted ids */
	size_t nmarked, capmarked;
	int group_col;             /* column shown once per run of equal cells; -1 none */
	unsigned gen;              /* bumped whenever rows are added, dropped or moved:
	                            * whoever keeps positions into ids compares it */
	/* table_update's state (view-table.c): the position of each visible
	 * id, valid while !pos_stale, and the rows the filter hides (kept by
	 * table_add and table_update, so total stays right). */
	struct idmap pos, hidden;
	bool pos_stale;
};

void table_init(struct table *t, const struct table_col *cols, int ncols, int sort_col,
                bool sort_rev);
void table_free(struct table *t);
/* A rebuild: begin, add every row (filter text only needed while
 * table_filtering), end sorts and puts the cursor back on its row. */
void table_begin(struct table *t);
bool table_filtering(const struct table *t);
void table_add(struct table *t, int64_t id, const char *filter_text);
void table_end(struct table *t, table_cmp_fn cmp, const void *ud);
/* Brings the table up to date after the rows ids[0..k) changed (were added,
 * deleted, edited; repeats allowed), as if rebuilt with table_begin/add/end
 * on the same data and cmp: same rows, order, total, cursor and top. Only
 * the changed rows are looked at: one that still belongs, passes the filter
 * and still sorts between its neighbours stays put; the rest are dropped
 * and inserted by binary search. Returns false, changing nothing, when more
 * than total/8 distinct rows changed (or the table is empty): a rebuild is
 * then cheaper, and the caller does one. The caller's side of it: rows
 * other than ids have not changed in ways cmp or the filter text can see;
 * cmp orders rows the same at any time (never by the clock); the sort and
 * filter are those of the last rebuild (TABLE_RESORT and a new filter
 * call for a rebuild). */
bool table_update(struct table *t, const int64_t *ids, size_t k, table_row_fn row,
                  table_cmp_fn cmp, const void *ud);
/* Stable merge sort of ids by (col, rev), ties by id. */
void table_sort(int64_t *ids, size_t n, table_cmp_fn cmp, const void *ud, int col, bool rev);

/* A view that is one table with a detail pane (audit, tenants,
 * incidents) starts its struct with this head; the shared vtable parts
 * below take it. m and now are the last view_ctx seen (table_view_ctx). */
struct table_view {
	struct table t;
	const struct dc_model *m;
	int64_t now;
	int64_t detail;            /* the row the detail pane shows; 0: the table */
	int skip, rows;            /* the detail pane's scroll; lines the view has */
};
/* A zeroed view of `size` bytes whose head is set up: init's body. */
void *table_view_new(size_t size, const struct table_col *cols, int ncols, int sort_col, bool sort_rev,
                     const struct view_ctx *c);
void table_view_free(void *v);                        /* a vtable's free */
void table_view_resize(void *v, int rows, int ncols); /* a vtable's resize */
void table_view_ctx(void *v, const struct view_ctx *c);

/* Navigation, sort and mark actions. Returns VIEW_* flags, plus
 * TABLE_RESORT when the order changed and the view must rebuild. */
#define TABLE_RESORT 0x100
unsigned table_key(struct table *t, enum key_action a);
int64_t table_cur(const struct table *t);       /* 0 when empty */
void table_select(struct table *t, int64_t id);
bool table_is_marked(const struct table *t, int64_t id);

/* Draws the header row at y and the rows below it, h lines in all. */
void table_draw(struct table *t, WINDOW *w, int y, int h, table_cell_fn cell, const void *ud);

/* Scrolls a detail pane of `rows` lines (up, down, pages, top, bottom). */
unsigned pane_key(int *skip, int rows, enum key_action a);

/* Shared comparators. */
int cmp_i64(int64_t a, int64_t b);
int cmp_dbl(double a, double b);

#endif
