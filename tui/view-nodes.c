/* view-nodes.c — the Nodes view: node table, rack map, node detail.
 *
 * Both the node list and the rack map's (rack, slot) order are struct
 * tables kept current from the model's change log (table_update): a batch
 * of node changes costs the changed rows, not the fleet. They are rebuilt
 * from all nodes when the log is out of reach, the batch is big, or
 * partitions or racks changed (their names sort and group the list; they
 * are few and rarely change). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "node-glyph.h"
#include "view.h"

enum { C_NAME, C_PART, C_RACK, C_STATE, C_GPU, C_UTIL, C_TEMP, C_POWER, C_XID, C_HEALTH,
	C_DRAINED, C_AGE, C_COUNT };
static const struct table_col cols[C_COUNT] = {
	[C_NAME] = { "NODE", 11, COL_FIT },
	[C_PART] = { "PART", 5, 0 },
	[C_RACK] = { "RACK", 9, 0 },
	/* the drain reason is read here: DRAINED shows only while STATE keeps
	 * 40 columns (from about 135) */
	[C_STATE] = { "STATE", 11, COL_FLEX, 40 },
	[C_GPU] = { "GPU", 5, COL_RIGHT },
	[C_UTIL] = { "UTIL", 4, COL_RIGHT },
	[C_TEMP] = { "TEMP", 4, COL_RIGHT },
	[C_POWER] = { "PWR", 5, COL_RIGHT },
	[C_XID] = { "XID", 4, COL_RIGHT },
	[C_HEALTH] = { "HLTH", 4, 0 },
	/* sinfo -R's habit: since when and by whom a node is out, wide enough
	 * for long actors (slurm:<user>) */
	[C_DRAINED] = { "DRAINED", 26, COL_WIDE },
	[C_AGE] = { "AGE", 4, COL_RIGHT },
};

enum group { G_NONE, G_PARTITION, G_RACK };
#define MAP_MAX 64

struct map_cell {
	int64_t rack;
	size_t first, count;  /* range of by_rack.ids */
};

struct nodes {
	struct table t;
	const struct dc_model *m;
	int64_t now;
	bool map;
	enum group group;
	int64_t detail;           /* node id in the detail pane, 0 none */
	int skip;                 /* detail scroll */
	int rows;                 /* body height, for paging the detail */
	int map_rows, map_cols, map_y, map_x;
	struct map_cell *cells;   /* map_rows x map_cols */
	struct table by_rack;     /* node ids by (rack, slot): an index, never drawn */
	unsigned cells_gen;       /* by_rack.gen the cells' ranges were taken from */
	uint64_t seq;             /* change log position the list and map have caught up to */
	int64_t *chg;             /* node ids the log names: [0, nnode) changed nodes, */
	size_t nchg, nnode, capchg; /* then nodes whose GPUs changed */
	bool gpu_lost;            /* a changed GPU is gone: its node is unknown */
	int64_t *pending;         /* drain/resume actions the adapter has not applied yet */
	size_t npending, cappending;
};

static const char *part_name(const struct dc_model *m, int64_t id)
{
	const struct dc_partition *p = model_partition(m, id);
	return p ? p->name : "?";
}

static const char *rack_name(const struct dc_model *m, int64_t id)
{
	const struct dc_rack *r = model_rack(m, id);
	return r ? r->name : "?";
}

static enum theme_el state_el(const struct dc_node *n)
{
	if (n->admin == DC_ADMIN_DRAINED)
		return THEME_NODE_DRAINED;
	if (n->admin == DC_ADMIN_DRAINING)
		return THEME_NODE_DRAIN;
	switch (n->sched) {
	case DC_SCHED_DOWN: return THEME_NODE_DOWN;
	case DC_SCHED_ALLOCATED: return THEME_NODE_ALLOC;
	case DC_SCHED_MIXED: return THEME_NODE_MIXED;
	case DC_SCHED_IDLE: return THEME_NODE_IDLE;
	default: return THEME_NODE_EMPTY;
	}
}

static void state_text(const struct dc_node *n, char *buf, size_t sz)
{
	if (n->admin != DC_ADMIN_ACTIVE)
		snprintf(buf, sz, "%s%s%s", dc_admin_name(n->admin),
		         n->sched == DC_SCHED_DOWN ? "+down" : "",
		         n->drain_reason ? ": " : "");
	else
		snprintf(buf, sz, "%s", dc_sched_name(n->sched));
	if (n->admin != DC_ADMIN_ACTIVE && n->drain_reason)
		snprintf(buf + strlen(buf), sz - strlen(buf), "%s", n->drain_reason);
}

/* Worst first, for sorting and the map. */
static int state_rank(const struct dc_node *n)
{
	if (n->health == DC_HEALTH_FAIL)
		return 0;
	if (n->sched == DC_SCHED_DOWN)
		return 1;
	if (n->admin == DC_ADMIN_DRAINED)
		return 2;
	if (n->admin == DC_ADMIN_DRAINING)
		return 3;
	static const int rank[] = { [DC_SCHED_IDLE] = 7, [DC_SCHED_MIXED] = 6,
		[DC_SCHED_ALLOCATED] = 5, [DC_SCHED_DOWN] = 1, [DC_SCHED_UNKNOWN] = 4 };
	return rank[n->sched];
}

static enum theme_el health_el(enum dc_health h)
{
	return h == DC_HEALTH_FAIL ? THEME_NODE_FAIL : h == DC_HEALTH_WARN ? THEME_WARN : THEME_OK;
}

static int group_cmp(const struct nodes *v, const struct dc_node *a, const struct dc_node *b)
{
	int c = 0;
	if (v->group == G_PARTITION)
		c = text_natcmp(part_name(v->m, a->partition_id), part_name(v->m, b->partition_id));
	else if (v->group == G_RACK)
		c = text_natcmp(rack_name(v->m, a->rack_id), rack_name(v->m, b->rack_id));
	/* groups keep their order when the column sort is reversed */
	return v->t.sort_rev ? -c : c;
}

static int node_cmp(const void *ud, int64_t ia, int64_t ib, int col)
{
	const struct nodes *v = ud;
	const struct dc_node *a = model_node(v->m, ia), *b = model_node(v->m, ib);
	if (!a || !b)
		return cmp_i64(ia, ib);
	int g = group_cmp(v, a, b);
	if (g)
		return g;
	switch (col) {
	case C_NAME: return text_natcmp(a->name, b->name);
	case C_PART: return text_natcmp(part_name(v->m, a->partition_id), part_name(v->m, b->partition_id));
	case C_RACK: return text_natcmp(rack_name(v->m, a->rack_id), rack_name(v->m, b->rack_id));
	case C_STATE: return cmp_i64(state_rank(a), state_rank(b));
	case C_GPU: return cmp_i64(a->gpus_used, b->gpus_used);
	case C_UTIL: return cmp_i64(a->util_mean, b->util_mean);
	case C_TEMP: return cmp_i64(a->temp_max, b->temp_max);
	case C_POWER: return cmp_i64(a->power_w, b->power_w);
	case C_XID: return cmp_i64(a->last_xid_at, b->last_xid_at);
	case C_HEALTH: return cmp_i64(b->health, a->health);
	case C_DRAINED: return cmp_i64(a->admin == DC_ADMIN_ACTIVE ? INT64_MAX : a->drained_at,
	                               b->admin == DC_ADMIN_ACTIVE ? INT64_MAX : b->drained_at);
	case C_AGE: return cmp_i64(b->last_seen, a->last_seen);
	default: return 0;
	}
}

/* The pending drain/resume of a node, or NULL. */
static const struct dc_action *pending_of(const struct nodes *v, const char *name)
{
	for (size_t i = 0; i < v->npending; i++) {
		const struct dc_action *a = model_get(v->m, DC_T_ACTION, v->pending[i]);
		if (a && strcmp(a->target, name) == 0)
			return a;
	}
	return NULL;
}

static bool node_action_kind(const char *kind)
{
	return strcmp(kind, "drain") == 0 || strcmp(kind, "resume") == 0;
}

static void pending_rebuild(struct nodes *v, const struct dc_model *m)
{
	v->npending = 0;
	size_t n = model_count(m, DC_T_ACTION);
	for (size_t i = 0; i < n; i++) {
		const struct dc_action *a = model_row(m, DC_T_ACTION, i);
		if (a->status != DC_ACT_PENDING || !node_action_kind(a->kind))
			continue;
		v->pending = xgrow(v->pending, &v->cappending, v->npending + 1, sizeof *v->pending);
		v->pending[v->npending++] = a->id;
	}
}

/* The newest drain/resume of a node (detail pane only: a scan). */
static const struct dc_action *last_action(const struct dc_model *m, const char *name)
{
	const struct dc_action *best = NULL;
	size_t n = model_count(m, DC_T_ACTION);
	for (size_t i = 0; i < n; i++) {
		const struct dc_action *a = model_row(m, DC_T_ACTION, i);
		if (node_action_kind(a->kind) && strcmp(a->target, name) == 0 && (!best || a->id > best->id))
			best = a;
	}
	return best;
}

/* How often a reachable node reports (043's node.report_every, the
 * simulator's heartbeat): "30 seconds", "1 minute" or plain seconds. */
static int64_t report_every(const struct dc_model *m)
{
	const char *v = model_setting(m, "node.report_every");
	char *end;
	long long x = v ? strtoll(v, &end, 10) : 0;
	if (x <= 0)
		return 30;
	while (*end == ' ')
		end++;
	return strncmp(end, "min", 3) == 0 ? x * 60 : strncmp(end, "hour", 4) == 0 ? x * 3600 : x;
}

/* fmt_age, with seconds: a report 45 s late is not "now". In steps of
 * 10 s, so an idle console redraws a late node's AGE every 10 s, not
 * every second (over a slow SSH link each redraw costs). */
static void fmt_span(int64_t secs, char *buf, size_t n)
{
	if (secs < 60)
		snprintf(buf, n, "%llds", (long long)(secs > 0 ? secs / 10 * 10 : 0));
	else
		fmt_age(secs, buf, n);
}

/* AGE is the age of the node's data: nothing while it reported within the
 * interval (its values may simply not have moved: deadbands), the age
 * once late, in warn past twice the interval. */
/* When an adapter that reads every node each cycle last did: the Slurm
 * adapter's node data is Slurm's as of its last poll (Slurm marks a node
 * that stops answering itself), and it writes no row for a node that did
 * not change; 0 for the simulator, whose nodes report one by one. */
static int64_t fleet_read_at(const struct dc_model *m)
{
	const char *name = model_setting(m, "adapter.name"), *state = model_setting(m, "adapter.state");
	const char *hb = model_setting(m, "adapter.heartbeat");
	if (!name || !state || !hb || strcmp(name, "slurm") != 0 || strcmp(state, "up") != 0)
		return 0;
	return atoll(hb);
}

static void age_cell(const struct nodes *v, const struct dc_node *nd, int64_t now, char *buf, size_t n,
                     enum theme_el *el)
{
	int64_t seen = nd->last_seen, read_at = fleet_read_at(v->m);
	int64_t age = now - (read_at > seen ? read_at : seen), every = report_every(v->m);
	if (age <= every) {
		snprintf(buf, n, "-");
		*el = THEME_DIM;
		return;
	}
	fmt_span(age, buf, n);
	*el = age > 2 * every ? THEME_WARN : THEME_DIM;
}

static void drained_cell(const struct nodes *v, const struct dc_node *nd, char *buf, size_t n)
{
	if (nd->admin == DC_ADMIN_ACTIVE || !nd->drained_at) {
		buf[0] = '\0';
		return;
	}
	/* minutes are enough here (and a frame a second later reads the same) */
	char age[16] = "<1m";
	if (v->now - nd->drained_at >= 60)
		fmt_age(v->now - nd->drained_at, age, sizeof age);
	snprintf(buf, n, "%s %s", age, nd->drained_by && nd->drained_by[0] ? nd->drained_by : "?");
}

/* Columns the node's GPU rows make: marked, not zero, while a first load
 * has the node on screen and its GPUs still to come (they arrive node by
 * node: model_node_gpus_loading). */
static bool gpu_col_loading(const struct nodes *v, const struct dc_node *nd, int col)
{
	bool from_gpus = col == C_GPU || col == C_UTIL || col == C_TEMP || col == C_XID;
	return from_gpus && model_node_gpus_loading(v->m, nd);
}

static void node_cell(const void *ud, int64_t id, int col, char *buf, size_t n, enum theme_el *el)
{
	const struct nodes *v = ud;
	const struct dc_node *nd = model_node(v->m, id);
	if (!nd)
		return;
	if (gpu_col_loading(v, nd, col)) {
		snprintf(buf, n, "…");
		*el = THEME_DIM;
		return;
	}
	switch (col) {
	case C_NAME: snprintf(buf, n, "%s", nd->name); break;
	case C_PART: snprintf(buf, n, "%s", part_name(v->m, nd->partition_id)); break;
	case C_RACK: snprintf(buf, n, "%s", rack_name(v->m, nd->rack_id)); break;
	case C_STATE: {
		const struct dc_action *a = pending_of(v, nd->name);
		if (a) {
			snprintf(buf, n, "%s pending, ", a->kind);
			state_text(nd, buf + strlen(buf), n - strlen(buf));
			*el = THEME_ACTION_PENDING;
		} else {
			state_text(nd, buf, n);
			*el = state_el(nd);
		}
		break;
	}
	case C_GPU: snprintf(buf, n, "%d/%d", nd->gpus_used, nd->gpu_count); break;
	case C_UTIL: snprintf(buf, n, "%d%%", nd->util_mean); break;
	case C_TEMP:
		snprintf(buf, n, "%dC", nd->temp_max);
		*el = nd->temp_max >= 85 ? THEME_ERROR : nd->temp_max >= 75 ? THEME_WARN : THEME_TEXT;
		break;
	case C_POWER:
		if (nd->power_w >= 1000)
			snprintf(buf, n, "%.1fk", nd->power_w / 1000.0);
		else
			snprintf(buf, n, "%dW", nd->power_w);
		break;
	case C_XID:
		if (nd->last_xid) {
			snprintf(buf, n, "%d", nd->last_xid);
			*el = v->now - nd->last_xid_at < 3600 ? THEME_ERROR : THEME_WARN;
		} else {
			snprintf(buf, n, "-");
			*el = THEME_DIM;
		}
		break;
	case C_HEALTH: snprintf(buf, n, "%s", dc_health_name(nd->health)); *el = health_el(nd->health); break;
	case C_DRAINED: drained_cell(v, nd, buf, n); *el = THEME_DIM; break;
	case C_AGE: age_cell(v, nd, v->now, buf, n, el); break;
	default: break;
	}
}

/* A node has an admin, a scheduler and a health state at once: state:
 * matches any of them (drained, draining, down, idle, mixed, allocated,
 * failed, warn), active when not draining or drained. */
static void node_f_state(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	const struct dc_node *nd = row;
	filter_put(ft, "state", dc_admin_name(nd->admin));
	filter_put(ft, "state", dc_sched_name(nd->sched));
	if (nd->health != DC_HEALTH_OK)
		filter_put(ft, "state", nd->health == DC_HEALTH_FAIL ? "failed" : "warn");
}

static void node_f_place(struct filter_text *ft, const void *ud, const void *row)
{
	const struct dc_node *nd = row;
	filter_put(ft, "part", part_name(ud, nd->partition_id));
	filter_put(ft, "rack", rack_name(ud, nd->rack_id));
	filter_put(ft, "model", nd->model);
	filter_put(ft, "health", dc_health_name(nd->health));
}

static const struct filter_field node_fields[] = {
	{ "state", "active, draining, drained, idle, mixed, allocated, down, failed, warn", node_f_state },
	{ "part rack model health", "where it is, what it is, its health", node_f_place },
};

/* What the filter matches a node against. */
static void node_hay(const struct dc_model *m, const struct dc_node *nd, char *buf, size_t n)
{
	char st[256], words[512];
	state_text(nd, st, sizeof st);
	snprintf(words, sizeof words, "%s %s %s %s %s %s", nd->name, part_name(m, nd->partition_id),
	         rack_name(m, nd->rack_id), st, dc_health_name(nd->health), nd->model ? nd->model : "");
	filter_row_text(buf, n, words, node_fields, DC_ARRAY_LEN(node_fields), m, nd);
}

static bool node_row(const void *ud, int64_t id, char *buf, size_t n)
{
	const struct nodes *v = ud;
	const struct dc_node *nd = model_node(v->m, id);
	if (nd && buf)
		node_hay(v->m, nd, buf, n);
	return nd != NULL;
}

static void *nodes_init(const struct view_ctx *c)
{
	struct nodes *v = xcalloc(1, sizeof *v);
	table_init(&v->t, cols, C_COUNT, C_NAME, false);
	table_init(&v->by_rack, NULL, 0, 0, false);
	v->m = c->m;
	return v;
}

static void nodes_free(void *p)
{
	struct nodes *v = p;
	table_free(&v->t);
	table_free(&v->by_rack);
	free(v->cells);
	free(v->chg);
	free(v->pending);
	free(v);
}

static void nodes_resize(void *p, int rows, int ncols)
{
	struct nodes *v = p;
	(void)ncols;
	v->rows = rows;
}

static int slot_cmp(const void *ud, int64_t ia, int64_t ib, int col)
{
	(void)col;
	const struct nodes *v = ud;
	const struct dc_node *a = model_node(v->m, ia), *b = model_node(v->m, ib);
	if (a->rack_id != b->rack_id)
		return cmp_i64(a->rack_id, b->rack_id);
	return cmp_i64(a->slot, b->slot);
}

/* The grid of racks by (row, position); map_order and map_ranges fill in
 * the nodes. */
static void map_grid(struct nodes *v, const struct dc_model *m)
{
	v->map_rows = v->map_cols = 0;
	size_t nr = model_count(m, DC_T_RACK);
	for (size_t i = 0; i < nr; i++) {
		const struct dc_rack *r = model_row(m, DC_T_RACK, i);
		if (r->row_no > v->map_rows && r->row_no <= MAP_MAX)
			v->map_rows = r->row_no;
		if (r->position > v->map_cols && r->position <= MAP_MAX)
			v->map_cols = r->position;
	}
	free(v->cells);
	v->cells = xcalloc((size_t)(v->map_rows * v->map_cols) + 1, sizeof *v->cells);
	for (size_t i = 0; i < nr; i++) {
		const struct dc_rack *r = model_row(m, DC_T_RACK, i);
		if (r->row_no >= 1 && r->row_no <= v->map_rows && r->position >= 1 &&
		    r->position <= v->map_cols)
			v->cells[(r->row_no - 1) * v->map_cols + r->position - 1].rack = r->id;
	}
	if (v->map_y >= v->map_rows)
		v->map_y = v->map_rows ? v->map_rows - 1 : 0;
	if (v->map_x >= v->map_cols)
		v->map_x = v->map_cols ? v->map_cols - 1 : 0;
}

static void map_order(struct nodes *v, const struct dc_model *m)
{
	table_begin(&v->by_rack);
	size_t nn = model_count(m, DC_T_NODE);
	for (size_t i = 0; i < nn; i++)
		table_add(&v->by_rack, ((const struct dc_node *)model_row(m, DC_T_NODE, i))->id, "");
	table_end(&v->by_rack, slot_cmp, v);
}

/* Each rack's run of by_rack, found again only when nodes moved in it:
 * O(racks log nodes). */
static void map_ranges(struct nodes *v, const struct dc_model *m)
{
	if (v->cells_gen == v->by_rack.gen)
		return;
	const int64_t *ids = v->by_rack.ids;
	size_t n = v->by_rack.n;
	for (int c = 0; c < v->map_rows * v->map_cols; c++) {
		struct map_cell *cell = &v->cells[c];
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (model_node(m, ids[mid])->rack_id < cell->rack)
				lo = mid + 1;
			else
				hi = mid;
		}
		cell->first = lo;
		while (lo < n && model_node(m, ids[lo])->rack_id == cell->rack)
			lo++;
		cell->count = cell->rack ? lo - cell->first : 0;
	}
	v->cells_gen = v->by_rack.gen;
}

/* Rebuilds the list from all nodes. Called from key handlers too, between
 * on_changes: it does not move v->seq, since replaying log entries the
 * rebuild already reflects leaves a table as it is. */
static void rebuild(struct nodes *v, const struct dc_model *m)
{
	table_begin(&v->t);
	size_t n = model_count(m, DC_T_NODE);
	for (size_t i = 0; i < n; i++) {
		const struct dc_node *nd = model_row(m, DC_T_NODE, i);
		char hay[768] = "";
		if (table_filtering(&v->t))
			node_hay(m, nd, hay, sizeof hay);
		table_add(&v->t, nd->id, hay);
	}
	table_end(&v->t, node_cmp, v);
}

/* Columns derived from the node's GPUs. GPU telemetry, the bulk of the
 * change feed, moves only these: the filter text and every other sort key
 * are the node's own, so the list needs re-sorting only when it is sorted
 * by one of them (the visible cells are formatted from the model anyway). */
static bool sorted_by_gpu_column(const struct nodes *v)
{
	int col = v->t.sort_col;
	return col == C_GPU || col == C_UTIL || col == C_TEMP || col == C_XID;
}

static void gather_one(void *ud, enum dc_table t, int64_t id)
{
	struct nodes *v = ud;
	if (t == DC_T_GPU) {
		const struct dc_gpu *g = model_get(v->m, DC_T_GPU, id);
		if (!g) {
			v->gpu_lost = true;
			return;
		}
		id = g->node_id;
	}
	v->chg = xgrow(v->chg, &v->capchg, v->nchg + 1, sizeof *v->chg);
	v->chg[v->nchg++] = id;
}

/* Fills v->chg from the log since v->seq: the changed nodes, then (gpus)
 * the nodes of changed GPUs. False when the log no longer reaches back. */
static bool gather(struct nodes *v, const struct dc_model *m, bool gpus)
{
	v->nchg = 0;
	v->gpu_lost = false;
	if (!model_log_since(m, v->seq, DC_MASK(DC_T_NODE), gather_one, v))
		return false;
	v->nnode = v->nchg;
	return !gpus || model_log_since(m, v->seq, DC_MASK(DC_T_GPU), gather_one, v);
}

static void list_catch_up(struct nodes *v, const struct dc_model *m, unsigned mask, bool logged,
                          bool gpus)
{
	if (mask & (DC_MASK(DC_T_PARTITION) | DC_MASK(DC_T_RACK))) {
		rebuild(v, m);
		return;
	}
	if (!(mask & DC_MASK(DC_T_NODE)) && !gpus)
		return;
	if (!logged || v->gpu_lost || !table_update(&v->t, v->chg, v->nchg, node_row, node_cmp, v))
		rebuild(v, m);
}

/* The map reads states from the model when drawn: only a node that comes,
 * goes or changes rack or slot moves anything. */
static void map_catch_up(struct nodes *v, const struct dc_model *m, unsigned mask, bool logged)
{
	if (mask & DC_MASK(DC_T_RACK)) {
		map_grid(v, m);
		map_order(v, m);
	} else if (mask & DC_MASK(DC_T_NODE)) {
		if (!logged || !table_update(&v->by_rack, v->chg, v->nnode, node_row, slot_cmp, v))
			map_order(v, m);
	}
	map_ranges(v, m);
}

static void nodes_on_change(void *p, unsigned mask, const struct view_ctx *c)
{
	struct nodes *v = p;
	v->m = c->m;
	v->now = c->now;
	bool gpus = (mask & DC_MASK(DC_T_GPU)) && sorted_by_gpu_column(v);
	bool logged = false;
	if ((mask & DC_MASK(DC_T_NODE)) || gpus)
		logged = gather(v, c->m, gpus);
	list_catch_up(v, c->m, mask, logged, gpus);
	map_catch_up(v, c->m, mask, logged);
	v->seq = model_log_seq(c->m);
	if (mask & DC_MASK(DC_T_ACTION))
		pending_rebuild(v, c->m);
	if (v->detail && !model_node(c->m, v->detail))
		v->detail = 0;
}

/* The glyph table as a legend from line y, wrapped at the window's width
 * so no entry is cut; returns the last line used. */
static int draw_legend(WINDOW *w, int y, int width)
{
	struct dline d;
	dline_start(&d, w, y, 1);
	for (size_t i = 0; i < node_nglyphs; i++) {
		int need = 4 + (int)strlen(node_glyphs[i].what);
		if (d.x > 1 && d.x + need > width && y + 1 < getmaxy(w))
			dline_start(&d, w, ++y, 1);
		dline_putf(&d, node_glyphs[i].el, "%c", node_glyphs[i].glyph);
		dline_putf(&d, THEME_DIM, " %s  ", node_glyphs[i].what);
	}
	return y;
}

static void draw_map(struct nodes *v, WINDOW *w)
{
	int width = getmaxx(w), rows = getmaxy(w);
	struct dline d;
	dline_start(&d, w, 0, 1);
	draw_fill(w, 0, 0, width, THEME_TEXT);
	dline_putf(&d, THEME_TITLE, "Rack map: %d rows x %d racks, one glyph per node", v->map_rows,
	           v->map_cols);
	if (!v->map_cols) {
		for (int y = 1; y < rows; y++)
			draw_fill(w, y, 0, width, THEME_TEXT);
		return;
	}
	int cellw = (width - 6) / v->map_cols - 1;
	if (cellw > 8)
		cellw = 8;
	if (cellw < 1)
		cellw = 1;
	draw_fill(w, 1, 0, width, THEME_DIM);
	for (int c = 0; c < v->map_cols; c++) {
		char lab[16];
		snprintf(lab, sizeof lab, "%02d", c + 1);
		draw_text(w, 1, 5 + c * (cellw + 1), cellw, THEME_DIM, lab);
	}
	for (int r = 0; r < v->map_rows && r + 2 < rows; r++) {
		int y = r + 2;
		draw_fill(w, y, 0, width, THEME_TEXT);
		char lab[16];
		snprintf(lab, sizeof lab, " R%02d", r + 1);
		draw_text(w, y, 0, 5, THEME_DIM, lab);
		for (int c = 0; c < v->map_cols; c++) {
			const struct map_cell *cell = &v->cells[r * v->map_cols + c];
			bool sel = r == v->map_y && c == v->map_x;
			int x = 5 + c * (cellw + 1);
			draw_fill(w, y, x, cellw, sel ? THEME_SELECTION : THEME_TEXT);
			if (!cell->rack) {
				draw_text(w, y, x, 1, sel ? THEME_SELECTION : THEME_NODE_EMPTY, " ");
				continue;
			}
			if (!cell->count) {
				const struct node_glyph *e = node_glyph_empty();
				draw_text(w, y, x, 1, sel ? THEME_SELECTION : e->el, (char[2]){ e->glyph });
			}
			for (size_t k = 0; k < cell->count && (int)k < cellw; k++) {
				const struct dc_node *nd = model_node(v->m, v->by_rack.ids[cell->first + k]);
				const struct node_glyph *ng = node_glyph_of(nd);
				enum theme_el el = ng->el;
				char g[2] = { ng->glyph };
				if ((int)k == cellw - 1 && cell->count > (size_t)cellw) {
					g[0] = '>';
					el = THEME_DIM;
				}
				draw_text(w, y, x + (int)k, 1, sel ? THEME_SELECTION : el, g);
			}
		}
	}
	int y = v->map_rows + 3;
	for (int yy = v->map_rows + 2; yy < rows; yy++)
		draw_fill(w, yy, 0, width, THEME_TEXT);
	if (y >= rows)
		return;
	y = draw_legend(w, y, width);
	if (y + 2 >= rows)
		return;
	const struct map_cell *cell = &v->cells[v->map_y * v->map_cols + v->map_x];
	dline_start(&d, w, y + 2, 1);
	if (!cell->rack) {
		dline_put(&d, THEME_DIM, "no rack here");
		return;
	}
	const struct dc_rack *rk = model_rack(v->m, cell->rack);
	dline_putf(&d, THEME_TITLE, "rack %s", rk ? rk->name : "?");
	dline_putf(&d, THEME_DIM, " (%zu %s%s)", cell->count, text_plural((long)cell->count, "node", "nodes"),
	           cell->count ? ", Enter: first node" : "");
	for (size_t k = 0; k < cell->count && y + 3 + (int)k < rows; k++) {
		const struct dc_node *nd = model_node(v->m, v->by_rack.ids[cell->first + k]);
		char st[256];
		state_text(nd, st, sizeof st);
		dline_start(&d, w, y + 3 + (int)k, 3);
		dline_putf(&d, THEME_TEXT, "%-14s ", nd->name);
		dline_put(&d, state_el(nd), st);
	}
}

static void gpu_line(struct dline *d, const struct view_ctx *c, const struct dc_gpu *g, int idx)
{
	dline_putf(d, THEME_TEXT, "%3d  ", idx);
	if (!g) {
		dline_put(d, THEME_DIM, "no report");
		return;
	}
	dline_putf(d, THEME_TEXT, "%3d%%  %5.1f/%5.1f GiB  ", g->util_pct, g->mem_used_mib / 1024.0,
	           g->mem_total_mib / 1024.0);
	dline_putf(d, g->temp_c >= 85 ? THEME_ERROR : g->temp_c >= 75 ? THEME_WARN : THEME_TEXT,
	           "%3dC  ", g->temp_c);
	dline_putf(d, THEME_TEXT, "%4dW  ", g->power_w);
	dline_putf(d, g->ecc_dbe ? THEME_ERROR : g->ecc_sbe ? THEME_WARN : THEME_TEXT, "%4lld/%-4lld ",
	           (long long)g->ecc_sbe, (long long)g->ecc_dbe);
	if (g->last_xid) {
		char age[16];
		fmt_age(c->now - g->last_xid_at, age, sizeof age);
		dline_putf(d, THEME_ERROR, "%4d %-4s ", g->last_xid, age);
	} else {
		dline_put(d, THEME_DIM, "   -      ");
	}
	if (g->job_id)
		dline_putf(d, THEME_JOB_RUNNING, "%lld", (long long)g->job_id);
	else
		dline_put(d, THEME_DIM, "free");
	if (g->remap_pending)
		dline_put(d, THEME_WARN, "  remap pending");
	if (g->metrics_stale)
		dline_put(d, THEME_WARN, "  metrics stale");
}

static bool mentions(const char *text, const char *name)
{
	return text && strstr(text, name);
}

/* Incident events about this node: events naming it, and the timelines of
 * incidents whose title or impact names it. Newest first, at most max. */
static size_t node_events(const struct dc_model *m, const char *name,
                          const struct dc_incident_event **out, size_t max)
{
	size_t n = 0, ne = model_count(m, DC_T_INCIDENT_EVENT);
	for (size_t i = 0; i < ne; i++) {
		const struct dc_incident_event *e = model_row(m, DC_T_INCIDENT_EVENT, i);
		const struct dc_incident *inc = model_get(m, DC_T_INCIDENT, e->incident_id);
		if (!mentions(e->body, name) &&
		    !(inc && (mentions(inc->title, name) || mentions(inc->impact, name))))
			continue;
		size_t p = n < max ? n++ : max - 1;
		if (n == max && e->ts <= out[max - 1]->ts)
			continue;
		while (p > 0 && out[p - 1]->ts < e->ts) {
			out[p] = out[p - 1];
			p--;
		}
		out[p] = e;
	}
	return n;
}

static void draw_detail(struct nodes *v, WINDOW *w, const struct view_ctx *c)
{
	const struct dc_node *nd = model_node(c->m, v->detail);
	draw_clear(w);
	struct pane p;
	pane_start(&p, w, 0, v->skip);
	struct dline d;
	if (pane_line(&p, &d)) {
		dline_put(&d, THEME_TITLE, nd->name);
		dline_putf(&d, THEME_TEXT, "  partition %s  rack %s slot %d  %s", part_name(c->m, nd->partition_id),
		           rack_name(c->m, nd->rack_id), nd->slot, nd->model ? nd->model : "");
	}
	if (pane_line(&p, &d)) {
		char st[256], age[16];
		state_text(nd, st, sizeof st);
		dline_put(&d, THEME_DIM, "state ");
		dline_put(&d, state_el(nd), st);
		dline_put(&d, THEME_DIM, "  health ");
		dline_put(&d, health_el(nd->health), dc_health_name(nd->health));
		if (nd->health_detail && nd->health_detail[0])
			dline_putf(&d, health_el(nd->health), ": %s", nd->health_detail);
		fmt_age(c->now - nd->last_seen, age, sizeof age);
		dline_putf(&d, THEME_DIM, "  last report %s", age);
	}
	if (nd->admin != DC_ADMIN_ACTIVE && pane_line(&p, &d)) {
		char at[32];
		fmt_time(nd->drained_at, at, sizeof at);
		dline_putf(&d, THEME_NODE_DRAIN, "%s by %s at %s", dc_admin_name(nd->admin),
		           nd->drained_by ? nd->drained_by : "?", at);
		if (nd->resume_after) {
			fmt_time(nd->resume_after, at, sizeof at);
			dline_putf(&d, THEME_DIM, ", resume after %s", at);
		}
	}
	const struct dc_action *act = last_action(c->m, nd->name);
	if (act && pane_line(&p, &d)) {
		static const enum theme_el els[] = { [DC_ACT_PENDING] = THEME_ACTION_PENDING,
			[DC_ACT_APPLIED] = THEME_ACTION_APPLIED, [DC_ACT_FAILED] = THEME_ACTION_FAILED,
			[DC_ACT_CANCELLED] = THEME_DIM };
		char at[32];
		fmt_time(act->requested_at, at, sizeof at);
		dline_putf(&d, THEME_DIM, "action #%lld ", (long long)act->id);
		dline_putf(&d, els[act->status], "%s %s", act->kind, dc_action_status_name(act->status));
		dline_putf(&d, THEME_DIM, "  by %s at %s: ", act->requested_by, at);
		dline_put(&d, THEME_TEXT, act->status == DC_ACT_FAILED ? act->error : act->reason);
	}
	pane_line(&p, &d);
	if (pane_line(&p, &d))
		dline_putf(&d, THEME_TITLE, "%3s  %4s  %-15s  %4s  %5s  %-10s%-10s%s", "GPU", "UTIL",
		           "MEMORY", "TEMP", "POWER", "ECC S/D", "XID AGE", "JOB");
	int64_t jobs[DC_MAX_GPUS_PER_NODE];
	size_t njobs = 0;
	for (int i = 0; i < nd->gpu_count && i < DC_MAX_GPUS_PER_NODE; i++) {
		const struct dc_gpu *g = model_node_gpu(nd, i);
		if (pane_line(&p, &d))
			gpu_line(&d, c, g, i);
		if (!g || !g->job_id)
			continue;
		size_t k = 0;
		while (k < njobs && jobs[k] != g->job_id)
			k++;
		if (k == njobs)
			jobs[njobs++] = g->job_id;
	}
	pane_line(&p, &d);
	if (pane_line(&p, &d))
		dline_putf(&d, THEME_TITLE, "Running jobs (%zu)", njobs);
	for (size_t k = 0; k < njobs; k++) {
		const struct dc_job *j = model_get(c->m, DC_T_JOB, jobs[k]);
		if (!pane_line(&p, &d))
			continue;
		if (!j) {
			dline_putf(&d, THEME_DIM, "  %lld (not loaded)", (long long)jobs[k]);
			continue;
		}
		const struct dc_tenant *t = model_tenant(c->m, j->tenant_id);
		char el[16];
		fmt_dur(j->start_at ? c->now - j->start_at : 0, el, sizeof el);
		dline_putf(&d, THEME_JOB_RUNNING, "  %-8lld ", (long long)j->id);
		dline_put(&d, THEME_TEXT, t ? t->name : "?");
		dline_putf(&d, THEME_TEXT, "  %s  %d %s  %s  ", j->user_name ? j->user_name : "",
		           j->gpus, text_plural(j->gpus, "GPU", "GPUs"), el);
		dline_put(&d, THEME_DIM, j->name ? j->name : "");
	}
	pane_line(&p, &d);
	const struct dc_incident_event *ev[10];
	size_t nev = node_events(c->m, nd->name, ev, DC_ARRAY_LEN(ev));
	if (pane_line(&p, &d))
		dline_putf(&d, THEME_TITLE, "Recent incident events (%zu)", nev);
	for (size_t k = 0; k < nev; k++) {
		if (!pane_line(&p, &d))
			continue;
		char ts[32];
		fmt_time(ev[k]->ts, ts, sizeof ts);
		dline_putf(&d, THEME_DIM, "  %s  #%lld  ", ts, (long long)ev[k]->incident_id);
		dline_putf(&d, THEME_TEXT, "%-9s ", ev[k]->kind ? ev[k]->kind : "");
		dline_put(&d, THEME_TEXT, ev[k]->body ? ev[k]->body : "");
	}
	if (pane_end(&p, &v->skip))
		draw_detail(v, w, c);
}

static void nodes_draw(void *p, WINDOW *w, const struct view_ctx *c)
{
	struct nodes *v = p;
	v->m = c->m;
	v->now = c->now;
	if (v->detail && model_node(c->m, v->detail)) {
		draw_detail(v, w, c);
		return;
	}
	if (v->map) {
		draw_map(v, w);
		return;
	}
	v->t.group_col = v->group == G_PARTITION ? C_PART : v->group == G_RACK ? C_RACK : -1;
	table_draw(&v->t, w, 0, getmaxy(w), node_cell, v);
}

/* The AGE texts of the rows on screen (FNV-1a): they change with the
 * clock alone; the detail's and the map's ages move by the minute. */
static uint64_t nodes_timed(const void *p, const struct view_ctx *c)
{
	const struct nodes *v = p;
	uint64_t h = 1469598103934665603ull;
	if ((v->detail && model_node(c->m, v->detail)) || v->map)
		return h;
	for (size_t i = v->t.top; i < v->t.n && i < v->t.top + (size_t)v->t.page; i++) {
		const struct dc_node *nd = model_node(c->m, v->t.ids[i]);
		char age[16] = "";
		enum theme_el el;
		if (nd)
			age_cell(v, nd, c->now, age, sizeof age, &el);
		for (const char *s = age; ; s++) {
			h = (h ^ (unsigned char)*s) * 1099511628211ull;
			if (!*s)
				break;
		}
	}
	return h;
}

static unsigned map_key(struct nodes *v, enum key_action a)
{
	int y = v->map_y, x = v->map_x;
	switch (a) {
	case KA_UP: y--; break;
	case KA_DOWN: y++; break;
	case KA_LEFT: x--; break;
	case KA_RIGHT: x++; break;
	case KA_TOP: y = 0; break;
	case KA_BOTTOM: y = v->map_rows - 1; break;
	case KA_ENTER: {
		const struct map_cell *cell = v->cells ? &v->cells[y * v->map_cols + x] : NULL;
		if (!cell || !cell->count)
			return VIEW_HANDLED;
		v->detail = v->by_rack.ids[cell->first];
		v->skip = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	case KA_BACK:
		v->map = false;
		return VIEW_HANDLED | VIEW_DIRTY;
	default: return 0;
	}
	if (y < 0 || x < 0 || y >= v->map_rows || x >= v->map_cols)
		return VIEW_HANDLED;
	v->map_y = y;
	v->map_x = x;
	return VIEW_HANDLED | VIEW_DIRTY;
}

/* A jump arriving (an incident's node): its detail. */
static int nodes_show(void *p, int64_t id, const struct view_ctx *c, struct dc_err *err)
{
	struct nodes *v = p;
	if (!model_node(c->m, id))
		return dc_err_set(err, "node %lld is not in the fleet any more", (long long)id);
	v->detail = id;
	v->skip = 0;
	table_select(&v->t, id);
	return 0;
}

static unsigned nodes_key(void *p, enum key_action a, const struct view_ctx *c)
{
	struct nodes *v = p;
	if (v->detail) {
		if (a != KA_BACK)
			return pane_key(&v->skip, v->rows, a);
		v->detail = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	if (a == KA_MAP) {
		v->map = !v->map;
		return VIEW_HANDLED | VIEW_DIRTY;
	}
	if (v->map)
		return map_key(v, a);
	switch (a) {
	case KA_ENTER:
		v->detail = table_cur(&v->t);
		v->skip = 0;
		return VIEW_HANDLED | VIEW_DIRTY;
	case KA_GROUP:
		v->group = (v->group + 1) % 3;
		rebuild(v, c->m);
		return VIEW_HANDLED | VIEW_DIRTY;
	default: break;
	}
	unsigned r = table_key(&v->t, a);
	if (r & TABLE_RESORT)
		rebuild(v, c->m);
	return r & ~(unsigned)TABLE_RESORT;
}

static unsigned nodes_mode(const void *p)
{
	const struct nodes *v = p;
	return v->detail ? KM_DETAIL : v->map ? KM_MAP : KM_LIST;
}

static const char *nodes_filter(const void *p)
{
	const struct nodes *v = p;
	return v->detail || v->map ? NULL : v->t.filter;
}

static void nodes_set_filter(void *p, const char *pattern, const struct view_ctx *c)
{
	struct nodes *v = p;
	snprintf(v->t.filter, sizeof v->t.filter, "%s", pattern);
	rebuild(v, c->m);
}

static void nodes_crumbs(const void *p, const struct view_ctx *c, char *buf, size_t n)
{
	const struct nodes *v = p;
	const struct dc_node *nd = v->detail ? model_node(c->m, v->detail) : NULL;
	static const char *groups[] = { "", ", by partition", ", by rack" };
	if (nd)
		snprintf(buf, n, "node %s", nd->name);
	else if (v->map)
		snprintf(buf, n, "rack map, %zu nodes", model_count(c->m, DC_T_NODE));
	else if (v->t.n != v->t.total)
		snprintf(buf, n, "%zu of %zu nodes%s", v->t.n, v->t.total, groups[v->group]);
	else
		snprintf(buf, n, "%zu %s%s", v->t.n, text_plural((long)v->t.n, "node", "nodes"), groups[v->group]);
}

static void target_add(struct view_target *t, size_t *cap, int64_t id)
{
	t->nodes = xgrow(t->nodes, cap, t->n_nodes + 1, sizeof *t->nodes);
	t->nodes[t->n_nodes++] = id;
}

/* The detail's node; else, in the rack map, the rack under the cursor;
 * else the marked nodes; else the cursor's node. */
static int nodes_target(const void *p, enum key_action a, const struct view_ctx *c,
                        struct view_target *t, struct dc_err *err)
{
	(void)a;
	const struct nodes *v = p;
	size_t cap = 0;
	if (v->detail) {
		target_add(t, &cap, v->detail);
	} else if (v->map) {
		const struct map_cell *cell = v->cells ? &v->cells[v->map_y * v->map_cols + v->map_x] : NULL;
		for (size_t i = 0; cell && i < cell->count; i++)
			target_add(t, &cap, v->by_rack.ids[cell->first + i]);
		if (cell && cell->count)
			snprintf(t->scope, sizeof t->scope, "rack %s", rack_name(c->m, cell->rack));
	} else if (v->t.nmarked) {
		for (size_t i = 0; i < v->t.nmarked; i++)
			if (model_node(c->m, v->t.marked[i]))
				target_add(t, &cap, v->t.marked[i]);
		snprintf(t->scope, sizeof t->scope, "%zu marked", t->n_nodes);
	} else if (table_cur(&v->t)) {
		target_add(t, &cap, table_cur(&v->t));
	}
	if (!t->n_nodes)
		return dc_err_set(err, v->map ? "no rack under the cursor" : "no node under the cursor");
	if (t->n_nodes == 1 && !t->scope[0])
		snprintf(t->scope, sizeof t->scope, "%s", model_node(c->m, t->nodes[0])->name);
	return 0;
}

static const struct key_binding nodes_b[] = {
	{ 'm', KA_MAP, KM_LIST | KM_MAP, true },
	{ 't', KA_GROUP, KM_LIST, true },
	{ KEYS_FN(KEY_LEFT), KA_LEFT, KM_MAP, false },
	{ 'h', KA_LEFT, KM_MAP, false },
	{ KEYS_FN(KEY_RIGHT), KA_RIGHT, KM_MAP, false },
	{ 'l', KA_RIGHT, KM_MAP, false },
	{ KEYS_ESC, KA_BACK, KM_MAP, true },
	{ 'D', KA_DRAIN, KM_ANY, true },
	{ 'R', KA_RESUME, KM_ANY, true },
	{ 'I', KA_INC_OPEN, KM_ANY, false },
	{ 'd', KA_DIAG, KM_DETAIL, true },
};
static const struct key_table nodes_keys = { "nodes", "Nodes view", nodes_b, DC_ARRAY_LEN(nodes_b) };

const struct view_ops view_nodes = {
	.name = "nodes",
	.title = "Nodes",
	.keys = &nodes_keys,
	.init = nodes_init,
	.free = nodes_free,
	.resize = nodes_resize,
	.draw = nodes_draw,
	.key = nodes_key,
	.on_change = nodes_on_change,
	.mode = nodes_mode,
	.filter = nodes_filter,
	.set_filter = nodes_set_filter,
	.crumbs = nodes_crumbs,
	.target = nodes_target,
	.show = nodes_show,
	.timed = nodes_timed,
};
