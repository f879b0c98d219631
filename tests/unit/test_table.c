/* test_table.c — table_update (view-table.c): an incremental update must
 * leave the table exactly as a rebuild with table_begin/add/end on the same
 * data would: the same ids in the same order, total, cursor, top and marks.
 * A randomised run drives both side by side; small cases pin the corners
 * (neighbours that change together, the cursor's row leaving, rows the
 * filter hides, batches too big to be worth it). Then the Nodes and Queues
 * views over a real model: one follows the change log, a twin rebuilds on
 * every batch, and what the operator can see of them (order, counts,
 * cursor, rack map) must agree. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "draw.h"
#include "model.h"
#include "util.h"
#include "view.h"

/* The data behind the lists: row id -> fields; ids 1 .. MAX_ID. */
#define MAX_ID 600

struct fake_row {
	bool present;
	int value;             /* few distinct values: ties fall back to the id */
	char name[16];
	const char *tag;
};
static struct fake_row data[MAX_ID + 1];

static const char *const tags[] = { "red", "green", "blue", "grey" };

enum { COL_VALUE, COL_NAME, COL_TAG, NCOLS };
static const struct table_col cols[NCOLS] = {
	[COL_VALUE] = { "VALUE", 5, COL_RIGHT },
	[COL_NAME] = { "NAME", 8, 0 },
	[COL_TAG] = { "TAG", 5, 0 },
};

static int fake_cmp(const void *ud, int64_t a, int64_t b, int col)
{
	(void)ud;
	switch (col) {
	case COL_VALUE: return cmp_i64(data[a].value, data[b].value);
	case COL_NAME: return text_natcmp(data[a].name, data[b].name);
	default: return strcmp(data[a].tag, data[b].tag);
	}
}

static void filter_text(int64_t id, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s", data[id].name, data[id].tag);
}

static bool fake_row_fn(const void *ud, int64_t id, char *buf, size_t n)
{
	(void)ud;
	if (!data[id].present)
		return false;
	if (buf)
		filter_text(id, buf, n);
	return true;
}

static void randomise(struct dc_rng *r, int64_t id)
{
	data[id].present = true;
	data[id].value = dc_rng_range(r, 0, 12);
	snprintf(data[id].name, sizeof data[id].name, "n%d-%d", dc_rng_range(r, 0, 99), (int)id % 7);
	data[id].tag = tags[dc_rng_range(r, 0, (int)DC_ARRAY_LEN(tags) - 1)];
}

/* The reference: every present row, in a shuffled order (the model's
 * iteration order is arbitrary). */
static void rebuild(struct table *t, struct dc_rng *r)
{
	int64_t order[MAX_ID];
	for (int i = 0; i < MAX_ID; i++)
		order[i] = i + 1;
	for (int i = MAX_ID - 1; i > 0; i--) {
		int j = dc_rng_range(r, 0, i);
		int64_t x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	table_begin(t);
	for (int i = 0; i < MAX_ID; i++) {
		int64_t id = order[i];
		if (!data[id].present)
			continue;
		char text[64] = "";
		if (table_filtering(t))
			filter_text(id, text, sizeof text);
		table_add(t, id, text);
	}
	table_end(t, fake_cmp, NULL);
}

static void assert_same(const struct table *a, const struct table *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->total, b->total);
	assert_memory_equal(a->ids, b->ids, a->n * sizeof *a->ids);
	assert_int_equal(a->cur, b->cur);
	assert_int_equal(a->top, b->top);
	assert_int_equal(table_cur(a), table_cur(b));
	assert_int_equal(a->nmarked, b->nmarked);
	if (a->nmarked)
		assert_memory_equal(a->marked, b->marked, a->nmarked * sizeof *a->marked);
}

static void both_key(struct table *a, struct table *b, enum key_action k)
{
	table_key(a, k);
	table_key(b, k);
}

/* One batch of changes: rows appear, vanish, move, change their filter
 * text; some ids repeat. Returns how many ids were written to ids. */
static size_t change_batch(struct dc_rng *r, int64_t *ids, size_t max)
{
	size_t k = (size_t)dc_rng_range(r, 1, (int)max);
	for (size_t i = 0; i < k; i++) {
		int64_t id = i && dc_rng_range(r, 0, 9) == 0 ? ids[i - 1] : dc_rng_range(r, 1, MAX_ID);
		switch (dc_rng_range(r, 0, 9)) {
		case 0: data[id].present = false; break;
		case 1: randomise(r, id); break;
		case 2: data[id].tag = tags[dc_rng_range(r, 0, (int)DC_ARRAY_LEN(tags) - 1)]; break;
		case 3: snprintf(data[id].name, sizeof data[id].name, "n%d", dc_rng_range(r, 0, 99)); break;
		case 4: break;                                       /* logged, but nothing changed */
		default: data[id].value += dc_rng_range(r, -2, 2); break;
		}
		ids[i] = id;
	}
	return k;
}

/* Between batches the operator works the list, on both tables alike. */
static void operate(struct dc_rng *r, struct table *a, struct table *b)
{
	static const char *const filters[] = { "", "red", "!green", "n1", "!", "blue n" };
	switch (dc_rng_range(r, 0, 19)) {
	case 0:
		both_key(a, b, KA_SORT_REVERSE);
		rebuild(a, r);
		rebuild(b, r);
		break;
	case 1:
		both_key(a, b, KA_SORT_NEXT);
		rebuild(a, r);
		rebuild(b, r);
		break;
	case 2: {
		const char *f = filters[dc_rng_range(r, 0, (int)DC_ARRAY_LEN(filters) - 1)];
		snprintf(a->filter, sizeof a->filter, "%s", f);
		snprintf(b->filter, sizeof b->filter, "%s", f);
		rebuild(a, r);
		rebuild(b, r);
		break;
	}
	case 3: both_key(a, b, KA_MARK); break;
	case 4: both_key(a, b, KA_PAGE_DOWN); break;
	case 5: both_key(a, b, KA_UP); break;
	case 6: both_key(a, b, KA_BOTTOM); break;
	case 7: {
		int64_t id = dc_rng_range(r, 1, MAX_ID);
		table_select(a, id);
		table_select(b, id);
		break;
	}
	default: both_key(a, b, KA_DOWN); break;
	}
}

static void test_update_matches_rebuild(void **state)
{
	(void)state;
	struct dc_rng r;
	dc_rng_seed(&r, 7);
	memset(data, 0, sizeof data);
	for (int64_t id = 1; id <= MAX_ID; id++)
		if (dc_rng_range(&r, 0, 3))
			randomise(&r, id);
	struct table a, b;
	table_init(&a, cols, NCOLS, COL_VALUE, false);
	table_init(&b, cols, NCOLS, COL_VALUE, false);
	a.page = b.page = 7;
	rebuild(&a, &r);
	rebuild(&b, &r);
	size_t updated = 0, refused = 0;
	for (int iter = 0; iter < 5000; iter++) {
		operate(&r, &a, &b);
		int64_t ids[MAX_ID];
		size_t k = change_batch(&r, ids, iter % 50 == 0 ? MAX_ID / 4 : 12);
		unsigned gen = a.gen;
		int64_t before[MAX_ID];
		size_t n = a.n;
		memcpy(before, a.ids, n * sizeof *before);
		if (table_update(&a, ids, k, fake_row_fn, fake_cmp, NULL)) {
			updated++;
			/* gen moves exactly when the rows did */
			bool same = a.n == n && memcmp(before, a.ids, n * sizeof *before) == 0;
			if (same)
				assert_int_equal(a.gen, gen);
			else
				assert_int_not_equal(a.gen, gen);
		} else {
			refused++;
			assert_int_equal(a.n, n);
			rebuild(&a, &r);
		}
		rebuild(&b, &r);
		assert_same(&a, &b);
	}
	/* both paths were taken, the incremental one mostly */
	assert_true(updated > 4000);
	assert_true(refused > 30);
	table_free(&a);
	table_free(&b);
}

/* Sets data[id] = value for ids 1..n, present. */
static void values(const int *v, int n)
{
	memset(data, 0, sizeof data);
	for (int i = 0; i < n; i++) {
		data[i + 1] = (struct fake_row){ true, v[i], "", "red" };
		snprintf(data[i + 1].name, sizeof data[i + 1].name, "r%d", i + 1);
	}
}

static struct table fresh(int nrows, const int *v)
{
	struct dc_rng r;
	dc_rng_seed(&r, 1);
	values(v, nrows);
	struct table t;
	table_init(&t, cols, NCOLS, COL_VALUE, false);
	rebuild(&t, &r);
	return t;
}

/* The first n ids are want. */
static void assert_ids(const struct table *t, const int64_t *want, size_t n)
{
	assert_true(t->n >= n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(t->ids[i], want[i]);
}

/* Two neighbours change together: the first drops below the row before
 * it, the second now sorts after the first's new place but still before
 * the row after it. Checking each against the other's old key would keep
 * the second where it was, out of order. */
static void test_update_neighbours(void **state)
{
	(void)state;
	int v[40];
	for (int i = 0; i < 40; i++)
		v[i] = 10 * i;                               /* id i+1 at position i */
	struct table t = fresh(40, v);
	data[11].value = 5;                                  /* was 100: now after id 1 (0) */
	data[12].value = 7;                                  /* was 110: after id 11 */
	table_update(&t, (int64_t[]){ 11, 12 }, 2, fake_row_fn, fake_cmp, NULL);
	assert_ids(&t, (int64_t[]){ 1, 11, 12, 2, 3 }, 5);
	assert_int_equal(t.ids[11], 10);
	assert_int_equal(t.ids[12], 13);
	table_free(&t);
}

static void test_update_cursor(void **state)
{
	(void)state;
	int v[40];
	for (int i = 0; i < 40; i++)
		v[i] = i;
	struct table t = fresh(40, v);
	table_select(&t, 20);                                /* position 19 */
	data[20].value = 100;                                /* moves to the end: the cursor follows */
	assert_true(table_update(&t, (int64_t[]){ 20 }, 1, fake_row_fn, fake_cmp, NULL));
	assert_int_equal(table_cur(&t), 20);
	assert_int_equal(t.cur, 39);
	data[20].present = false;                            /* gone: the cursor keeps its index */
	assert_true(table_update(&t, (int64_t[]){ 20 }, 1, fake_row_fn, fake_cmp, NULL));
	assert_int_equal(t.n, 39);
	assert_int_equal(t.total, 39);
	assert_int_equal(t.cur, 38);
	assert_int_equal(table_cur(&t), 40);
	table_free(&t);
}

static void test_update_filtered(void **state)
{
	(void)state;
	int v[40];
	for (int i = 0; i < 40; i++)
		v[i] = i;
	values(v, 40);
	for (int id = 1; id <= 40; id++)
		data[id].tag = id % 2 ? "red" : "blue";
	struct dc_rng r;
	dc_rng_seed(&r, 1);
	struct table t;
	table_init(&t, cols, NCOLS, COL_VALUE, false);
	snprintf(t.filter, sizeof t.filter, "blue");
	rebuild(&t, &r);
	assert_int_equal(t.n, 20);
	assert_int_equal(t.total, 40);
	data[3].tag = "blue";                                /* a hidden row starts to match */
	data[4].tag = "red";                                 /* a shown row stops */
	data[5].present = false;                             /* a hidden row goes */
	data[41] = (struct fake_row){ true, 0, "new", "red" }; /* a new row, hidden */
	assert_true(table_update(&t, (int64_t[]){ 3, 4, 5, 41 }, 4, fake_row_fn, fake_cmp, NULL));
	assert_int_equal(t.n, 20);
	assert_int_equal(t.total, 40);
	assert_int_equal(t.ids[0], 2);
	assert_int_equal(t.ids[1], 3);
	assert_int_equal(t.ids[2], 6);
	data[41].tag = "blue";                               /* the new row shows */
	assert_true(table_update(&t, (int64_t[]){ 41 }, 1, fake_row_fn, fake_cmp, NULL));
	assert_int_equal(t.n, 21);
	assert_int_equal(t.ids[0], 41);
	table_free(&t);
}

static void test_update_refuses_big_batches(void **state)
{
	(void)state;
	int v[40];
	for (int i = 0; i < 40; i++)
		v[i] = i;
	struct table t = fresh(40, v);
	int64_t ids[6] = { 1, 2, 3, 4, 5, 6 };               /* more than 40 / 8 */
	data[1].value = 99;
	unsigned gen = t.gen;
	assert_false(table_update(&t, ids, 6, fake_row_fn, fake_cmp, NULL));
	assert_int_equal(t.ids[0], 1);                       /* untouched */
	assert_int_equal(t.gen, gen);
	int64_t repeats[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	assert_true(table_update(&t, repeats, 12, fake_row_fn, fake_cmp, NULL)); /* one row */
	assert_int_equal(t.ids[39], 1);
	assert_true(table_update(&t, NULL, 0, fake_row_fn, fake_cmp, NULL));
	table_free(&t);
	struct table empty;
	table_init(&empty, cols, NCOLS, COL_VALUE, false);
	assert_false(table_update(&empty, ids, 1, fake_row_fn, fake_cmp, NULL));
	table_free(&empty);
}

/* ---- the views over a model ---- */

static int64_t next_version = 1;

static void put(struct dc_model *m, enum dc_table t, const void *tmpl)
{
	model_put(m, t, model_row_pack(t, tmpl));
}

static void put_partition(struct dc_model *m, int64_t id, const char *name)
{
	struct dc_partition p = { .id = id, .version = next_version++ };
	p.name = (char *)name;
	p.gpu_model = (char *)"H100";
	put(m, DC_T_PARTITION, &p);
}

static void put_rack(struct dc_model *m, int64_t id)
{
	char name[16];
	snprintf(name, sizeof name, "R%02lld", (long long)id);
	struct dc_rack r = { .id = id, .version = next_version++, .name = name,
		.row_no = (int)(id - 1) / 4 + 1, .position = (int)(id - 1) % 4 + 1 };
	put(m, DC_T_RACK, &r);
}

static void put_tenant(struct dc_model *m, int64_t id, const char *name)
{
	struct dc_tenant t = { .id = id, .version = next_version++ };
	t.name = t.name_en = (char *)name;
	t.kind = (char *)"startup";
	put(m, DC_T_TENANT, &t);
}

#define NODES 300
#define GPUS 4
#define RACKS 12

static void put_node(struct dc_model *m, struct dc_rng *r, int64_t id)
{
	char name[16];
	snprintf(name, sizeof name, "n%d", dc_rng_range(r, 0, 150));
	struct dc_node n = { .id = id, .version = next_version++, .name = name };
	n.model = (char *)"HGX";
	n.partition_id = dc_rng_range(r, 1, 3);
	n.rack_id = dc_rng_range(r, 1, RACKS);
	n.slot = dc_rng_range(r, 1, 30);
	n.gpu_count = GPUS;
	n.sched = (enum dc_sched)dc_rng_range(r, 0, DC_SCHED_UNKNOWN);
	n.admin = (enum dc_admin)dc_rng_range(r, 0, 2);
	n.health = (enum dc_health)dc_rng_range(r, 0, 2);
	n.drain_reason = n.admin != DC_ADMIN_ACTIVE ? (char *)"xid 79" : NULL;
	n.last_seen = 1000 + dc_rng_range(r, 0, 50);
	n.power_w = dc_rng_range(r, 0, 9) * 100;
	put(m, DC_T_NODE, &n);
}

static void put_gpu(struct dc_model *m, struct dc_rng *r, int64_t node, int idx)
{
	struct dc_gpu g = { .id = node * 8 + idx, .node_id = node,
		.idx = idx, .util_pct = dc_rng_range(r, 0, 10) * 10, .temp_c = dc_rng_range(r, 30, 40),
		.job_id = dc_rng_range(r, 0, 2) ? dc_rng_range(r, 1, 50) : 0 };
	put(m, DC_T_GPU, &g);
}

/* What the operator sees of a view: an id per line, gathered by a walk. */
struct seen_ids {
	int64_t *ids;
	size_t n, cap;
};

static void seen_add(struct seen_ids *s, int64_t id)
{
	s->ids = xgrow(s->ids, &s->cap, s->n + 1, sizeof *s->ids);
	s->ids[s->n++] = id;
}

static void assert_seen_equal(struct seen_ids *a, struct seen_ids *b)
{
	assert_int_equal(a->n, b->n);
	if (a->n)
		assert_memory_equal(a->ids, b->ids, a->n * sizeof *a->ids);
	free(a->ids);
	free(b->ids);
	memset(a, 0, sizeof *a);
	memset(b, 0, sizeof *b);
}

/* The node under the cursor, or the rack map cell's nodes; 0 when none. */
static void node_targets(const struct view_ops *ops, void *v, const struct view_ctx *c,
                         struct seen_ids *out)
{
	struct view_target t = { 0 };
	struct dc_err err;
	if (ops->target(v, KA_DRAIN, c, &t, &err) == -1)
		seen_add(out, 0);
	for (size_t i = 0; i < t.n_nodes; i++)
		seen_add(out, t.nodes[i]);
	free(t.nodes);
}

/* The list from the cursor down, then every rack map cell. */
static void walk_nodes(const struct view_ops *ops, void *v, const struct view_ctx *c,
                       struct seen_ids *out)
{
	char crumbs[256];
	ops->crumbs(v, c, crumbs, sizeof crumbs);
	seen_add(out, (int64_t)strlen(crumbs));
	do
		node_targets(ops, v, c, out);
	while (ops->key(v, KA_DOWN, c) & VIEW_DIRTY);
	ops->key(v, KA_MAP, c);
	ops->key(v, KA_TOP, c);
	for (int y = 0; y < RACKS / 4; y++) {
		for (int x = 0; x < 4; x++)
			ops->key(v, KA_LEFT, c);
		for (int x = 0; x < 4; x++) {
			node_targets(ops, v, c, out);
			ops->key(v, KA_RIGHT, c);
		}
		ops->key(v, KA_DOWN, c);
	}
	ops->key(v, KA_MAP, c);
}

static void both_views(const struct view_ops *ops, void *a, void *b, enum key_action k,
                       const struct view_ctx *c)
{
	ops->key(a, k, c);
	ops->key(b, k, c);
}

/* One batch of node, GPU and (rarely) partition or rack changes; returns
 * the table mask the store would report. */
static unsigned node_batch(struct dc_model *m, struct dc_rng *r)
{
	unsigned mask = 0;
	int k = dc_rng_range(r, 0, 9) ? dc_rng_range(r, 1, 20) : dc_rng_range(r, 30, 120);
	for (int i = 0; i < k; i++) {
		int64_t id = dc_rng_range(r, 1, NODES + 20);
		int what = dc_rng_range(r, 0, 99);
		if (what < 40) {
			put_node(m, r, id);
			mask |= DC_MASK(DC_T_NODE);
		} else if (what < 50) {
			model_delete(m, DC_T_NODE, id);
			mask |= DC_MASK(DC_T_NODE);
		} else if (what < 90) {
			if (!model_node(m, id))
				continue;
			put_gpu(m, r, id, dc_rng_range(r, 0, GPUS - 1));
			mask |= DC_MASK(DC_T_GPU);
		} else if (what < 98) {
			model_delete(m, DC_T_GPU, id * 8 + dc_rng_range(r, 0, GPUS - 1));
			mask |= DC_MASK(DC_T_GPU);
		} else if (what < 99) {
			put_partition(m, dc_rng_range(r, 1, 3), dc_rng_range(r, 0, 1) ? "pb" : "pa");
			mask |= DC_MASK(DC_T_PARTITION);
		} else {
			put_rack(m, dc_rng_range(r, 1, RACKS));
			mask |= DC_MASK(DC_T_RACK);
		}
	}
	return mask;
}

static void test_nodes_view_follows_log(void **state)
{
	(void)state;
	struct dc_rng r;
	dc_rng_seed(&r, 11);
	struct dc_model *m = model_new();
	put_partition(m, 1, "p1");
	put_partition(m, 2, "p2");
	put_partition(m, 3, "p3");
	for (int64_t id = 1; id <= RACKS; id++)
		put_rack(m, id);
	for (int64_t id = 1; id <= NODES; id++) {
		put_node(m, &r, id);
		for (int g = 0; g < GPUS; g++)
			put_gpu(m, &r, id, g);
	}
	struct view_ctx c = { m, 100000 };
	const struct view_ops *ops = &view_nodes;
	void *a = ops->init(&c), *b = ops->init(&c);
	ops->on_change(a, ~0u, &c);
	ops->on_change(b, ~0u, &c);
	static const char *const filters[] = { "", "n1", "drain", "p2", "!idle", "R03" };
	for (int iter = 0; iter < 400; iter++) {
		switch (dc_rng_range(&r, 0, 9)) {
		case 0: both_views(ops, a, b, KA_SORT_NEXT, &c); break;
		case 1: both_views(ops, a, b, KA_SORT_REVERSE, &c); break;
		case 2: both_views(ops, a, b, KA_GROUP, &c); break;
		case 3: {
			const char *f = filters[dc_rng_range(&r, 0, (int)DC_ARRAY_LEN(filters) - 1)];
			ops->set_filter(a, f, &c);
			ops->set_filter(b, f, &c);
			break;
		}
		case 4: both_views(ops, a, b, KA_TOP, &c); break;
		default:
			for (int i = dc_rng_range(&r, 0, 30); i > 0; i--)
				both_views(ops, a, b, KA_DOWN, &c);
			break;
		}
		unsigned mask = node_batch(m, &r);
		ops->on_change(a, mask, &c);
		ops->on_change(b, mask | DC_MASK(DC_T_PARTITION) | DC_MASK(DC_T_RACK), &c);
		struct seen_ids sa = { 0 }, sb = { 0 };
		node_targets(ops, a, &c, &sa);
		node_targets(ops, b, &c, &sb);
		assert_seen_equal(&sa, &sb);
		if (iter % 2 == 0) {
			walk_nodes(ops, a, &c, &sa);
			walk_nodes(ops, b, &c, &sb);
			assert_seen_equal(&sa, &sb);
		}
	}
	ops->free(a);
	ops->free(b);
	model_free(m);
}

#define JOBS 2000

static void put_job(struct dc_model *m, struct dc_rng *r, int64_t id, int64_t now)
{
	static const char *const users[] = { "kim", "lee", "park", "choi" };
	static const char *const reasons[] = { "Resources", "Priority", "" };
	static const enum dc_job_state states[] = { DC_JOB_PENDING, DC_JOB_PENDING, DC_JOB_RUNNING,
		DC_JOB_RUNNING, DC_JOB_RUNNING, DC_JOB_COMPLETED };
	struct dc_job j = { .id = id, .version = next_version++ };
	j.tenant_id = dc_rng_range(r, 1, 3);
	j.partition_id = dc_rng_range(r, 1, 3) == 1 ? 1 : dc_rng_range(r, 1, 3);
	j.gpus = dc_rng_range(r, 1, 16);
	j.state = states[dc_rng_range(r, 0, (int)DC_ARRAY_LEN(states) - 1)];
	j.submit_at = dc_rng_range(r, 0, 2) ? now - dc_rng_range(r, 0, 5000) : now;
	/* some running jobs have no start yet: they show 0 while the rest grow */
	j.start_at = j.state == DC_JOB_PENDING || !dc_rng_range(r, 0, 5) ? 0 : j.submit_at + 10;
	j.user_name = (char *)users[dc_rng_range(r, 0, 3)];
	j.name = (char *)"train";
	j.reason = (char *)(j.state == DC_JOB_PENDING ? reasons[dc_rng_range(r, 0, 2)] : "");
	put(m, DC_T_JOB, &j);
}

/* Each list row's job id, through the detail pane (the view has no
 * target): Enter, read the crumbs, Back, Down. */
static void walk_jobs(const struct view_ops *ops, void *v, const struct view_ctx *c,
                      struct seen_ids *out)
{
	char crumbs[256];
	ops->crumbs(v, c, crumbs, sizeof crumbs);
	seen_add(out, (int64_t)strlen(crumbs));
	ops->key(v, KA_TOP, c);
	do {
		ops->key(v, KA_ENTER, c);
		ops->crumbs(v, c, crumbs, sizeof crumbs);
		const char *job = strstr(crumbs, "> job ");
		seen_add(out, job ? strtoll(job + 6, NULL, 10) : 0);
		if (job)
			ops->key(v, KA_BACK, c);
	} while (ops->key(v, KA_DOWN, c) & VIEW_DIRTY);
}

static void test_queues_view_follows_log(void **state)
{
	(void)state;
	struct dc_rng r;
	dc_rng_seed(&r, 13);
	struct dc_model *m = model_new();
	struct view_ctx c = { m, 1000000 };
	put_partition(m, 1, "p1");
	put_partition(m, 2, "p2");
	put_partition(m, 3, "p3");
	put_tenant(m, 1, "t1");
	put_tenant(m, 2, "t2");
	put_tenant(m, 3, "t3");
	for (int64_t id = 1; id <= JOBS; id++)
		put_job(m, &r, id, c.now);
	const struct view_ops *ops = &view_queues;
	void *a = ops->init(&c), *b = ops->init(&c);
	ops->on_change(a, ~0u, &c);
	ops->on_change(b, ~0u, &c);
	struct dc_err err;
	assert_int_equal(ops->open(a, "p1", &c, &err), 0);
	assert_int_equal(ops->open(b, "p1", &c, &err), 0);
	static const char *const filters[] = { "", "kim", "pending", "!running", "t2", "tm" };
	for (int iter = 0; iter < 400; iter++) {
		c.now += dc_rng_range(&r, 0, 3);
		switch (dc_rng_range(&r, 0, 9)) {
		case 0: both_views(ops, a, b, KA_SORT_NEXT, &c); break;
		case 1: both_views(ops, a, b, KA_SORT_REVERSE, &c); break;
		case 2: {
			const char *f = filters[dc_rng_range(&r, 0, (int)DC_ARRAY_LEN(filters) - 1)];
			ops->set_filter(a, f, &c);
			ops->set_filter(b, f, &c);
			break;
		}
		default:
			for (int i = dc_rng_range(&r, 0, 30); i > 0; i--)
				both_views(ops, a, b, KA_DOWN, &c);
			break;
		}
		unsigned mask = DC_MASK(DC_T_JOB);
		for (int i = dc_rng_range(&r, 0, 9) ? dc_rng_range(&r, 1, 20) : 100; i > 0; i--) {
			int64_t id = dc_rng_range(&r, 1, JOBS + 20);
			if (dc_rng_range(&r, 0, 9))
				put_job(m, &r, id, c.now);
			else
				model_delete(m, DC_T_JOB, id);
		}
		if (dc_rng_range(&r, 0, 9) == 0) {
			char name[8];
			snprintf(name, sizeof name, "t%c", 'a' + dc_rng_range(&r, 0, 25));
			put_tenant(m, dc_rng_range(&r, 1, 3), name);
			mask |= DC_MASK(DC_T_TENANT);
		}
		ops->on_change(a, mask, &c);
		ops->on_change(b, mask, &c);
		char f[256];
		snprintf(f, sizeof f, "%s", ops->filter(b));       /* setting it rebuilds the list */
		ops->set_filter(b, f, &c);
		if (iter % 2 == 0) {
			struct seen_ids sa = { 0 }, sb = { 0 };
			walk_jobs(ops, a, &c, &sa);
			walk_jobs(ops, b, &c, &sb);
			assert_seen_equal(&sa, &sb);
		}
	}
	ops->free(a);
	ops->free(b);
	model_free(m);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_matches_rebuild),
		cmocka_unit_test(test_update_neighbours),
		cmocka_unit_test(test_update_cursor),
		cmocka_unit_test(test_update_filtered),
		cmocka_unit_test(test_update_refuses_big_batches),
		cmocka_unit_test(test_nodes_view_follows_log),
		cmocka_unit_test(test_queues_view_follows_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
