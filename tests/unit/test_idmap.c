/* test_idmap.c — the id hash (backend/idmap.h), keyed and keyless:
 * random puts, deletes, reserves and resets checked against a plain
 * reference after every step, with ids chosen to collide (ids that share
 * low bits, negative ids, INT64_MIN/MAX) so probe runs wrap and
 * backward-shift deletion moves entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "idmap.h"
#include "util.h"

#define NIDS 700 /* the id universe: rows come and go among these */

static int64_t universe(size_t i)
{
	switch (i) {
	case 0: return INT64_MIN;
	case 1: return INT64_MAX;
	case 2: return 0;
	case 3: return -1;
	default: return (i % 2 ? -1 : 1) * (int64_t)(i * 1024); /* shared low bits */
	}
}

/* Checks every id of the universe against the reference: ref[i] is the
 * value stored for universe(i), or IDMAP_FREE. */
static void check_all(const struct idmap *h, const uint32_t *ref)
{
	size_t n = 0;
	for (size_t i = 0; i < NIDS; i++) {
		const uint32_t *v = idmap_get(h, universe(i));
		if (ref[i] == IDMAP_FREE) {
			assert_null(v);
			continue;
		}
		assert_non_null(v);
		assert_int_equal(*v, ref[i]);
		n++;
	}
	assert_int_equal(h->n, n);
	assert_true(h->cap == 0 || h->n * 4 <= h->cap * 3);
}

static void test_keyed_random(void **state)
{
	(void)state;
	struct idmap h = { 0 };
	uint32_t ref[NIDS];
	memset(ref, 0xff, sizeof ref);
	struct dc_rng r;
	dc_rng_seed(&r, 7);
	for (int step = 0; step < 20000; step++) {
		size_t i = (size_t)dc_rng_range(&r, 0, NIDS - 1);
		int op = dc_rng_range(&r, 0, 99);
		if (op < 55) {
			uint32_t v = (uint32_t)dc_rng_range(&r, 0, 1 << 30);
			idmap_put(&h, universe(i), v);
			ref[i] = v;
		} else if (op < 97) {
			idmap_del(&h, universe(i));
			ref[i] = IDMAP_FREE;
		} else if (op < 98) {
			idmap_reserve(&h, (size_t)dc_rng_range(&r, 0, 2 * NIDS));
		} else {
			idmap_reset(&h, (size_t)dc_rng_range(&r, 0, NIDS));
			memset(ref, 0xff, sizeof ref);
		}
		if (step % 97 == 0 || op >= 97)
			check_all(&h, ref);
	}
	check_all(&h, ref);
	idmap_free(&h);
	assert_null(h.keys);
	assert_int_equal(h.cap, 0);
}

/* The model's way of using a keyless map: an unordered array of ids
 * (rows) whose slot is the value; a delete moves the last id into the hole. */
struct rows {
	int64_t id[NIDS];
	size_t n;
	struct idmap ix;
};

static int64_t rows_id(const void *ctx, uint32_t slot)
{
	const struct rows *rs = ctx;
	assert_true(slot < NIDS);
	return rs->id[slot];
}

static void rows_insert(struct rows *rs, int64_t id)
{
	rs->id[rs->n] = id; /* first: the map reads the id through the slot */
	idmap_put(&rs->ix, id, (uint32_t)rs->n);
	rs->n++;
}

static void rows_remove(struct rows *rs, int64_t id)
{
	const uint32_t *v = idmap_get(&rs->ix, id);
	assert_non_null(v);
	size_t slot = *v;
	idmap_del(&rs->ix, id);
	rs->id[slot] = rs->id[--rs->n];
	if (slot < rs->n)
		idmap_put(&rs->ix, rs->id[slot], (uint32_t)slot);
}

static void test_keyless_random(void **state)
{
	(void)state;
	struct rows *rs = xcalloc(1, sizeof *rs);
	idmap_keyless(&rs->ix, rows_id, rs);
	bool in[NIDS] = { false };
	struct dc_rng r;
	dc_rng_seed(&r, 11);
	for (int step = 0; step < 20000; step++) {
		size_t i = (size_t)dc_rng_range(&r, 0, NIDS - 1);
		if (dc_rng_range(&r, 0, 99) < 55 && !in[i]) {
			rows_insert(rs, universe(i));
			in[i] = true;
		} else if (in[i]) {
			rows_remove(rs, universe(i));
			in[i] = false;
		}
		if (step % 89)
			continue;
		assert_null(rs->ix.keys); /* keyless: no key array, ever */
		assert_int_equal(rs->ix.n, rs->n);
		for (size_t j = 0; j < NIDS; j++) {
			const uint32_t *v = idmap_get(&rs->ix, universe(j));
			assert_int_equal(v != NULL, in[j]);
			if (v)
				assert_true(rs->id[*v] == universe(j));
		}
	}
	/* a reset and a free keep the map keyless */
	idmap_reset(&rs->ix, 0);
	rs->n = 0;
	assert_null(idmap_get(&rs->ix, universe(5)));
	rows_insert(rs, 42);
	assert_null(rs->ix.keys);
	assert_int_equal(*idmap_get(&rs->ix, 42), 0);
	idmap_free(&rs->ix);
	assert_true(rs->ix.key_of == rows_id);
	free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyed_random),
		cmocka_unit_test(test_keyless_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
