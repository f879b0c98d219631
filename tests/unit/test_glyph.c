/* test_glyph — the rack map's glyph table: one glyph per node state in a
 * documented precedence, and every legend entry reachable (issue 17: `!`
 * hid drained and down nodes, and the legend's `X down` never appeared). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "node-glyph.h"

static char glyph(enum dc_admin a, enum dc_sched s, enum dc_health h)
{
	struct dc_node n = { .admin = a, .sched = s, .health = h };
	return node_glyph_of(&n)->glyph;
}

/* Every row of the legend but the empty rack is what some node shows. */
static void test_every_entry_reachable(void **state)
{
	(void)state;
	bool seen[64] = { false };
	for (int a = DC_ADMIN_ACTIVE; a <= DC_ADMIN_DRAINED; a++)
		for (int s = DC_SCHED_IDLE; s <= DC_SCHED_UNKNOWN; s++)
			for (int h = DC_HEALTH_OK; h <= DC_HEALTH_FAIL; h++) {
				struct dc_node n = { .admin = a, .sched = s, .health = h };
				const struct node_glyph *g = node_glyph_of(&n);
				assert_true(g >= node_glyphs && g < node_glyphs + node_nglyphs);
				assert_non_null(g->is);
				seen[g - node_glyphs] = true;
			}
	for (size_t i = 0; i < node_nglyphs; i++) {
		if (node_glyphs[i].is)
			assert_true(seen[i]);
		else
			assert_ptr_equal(node_glyph_empty(), &node_glyphs[i]);
		for (size_t k = 0; k < i; k++)
			assert_int_not_equal(node_glyphs[i].glyph, node_glyphs[k].glyph);
		assert_true(strlen(node_glyphs[i].what) > 0);
	}
	assert_int_equal(node_glyph_empty()->glyph, '.');
}

/* Out of service first: down, then drained, then draining; a failure
 * still in service is `!`. */
static void test_precedence(void **state)
{
	(void)state;
	assert_int_equal(glyph(DC_ADMIN_DRAINED, DC_SCHED_DOWN, DC_HEALTH_FAIL), 'X');
	assert_int_equal(glyph(DC_ADMIN_ACTIVE, DC_SCHED_DOWN, DC_HEALTH_FAIL), 'X');
	assert_int_equal(glyph(DC_ADMIN_ACTIVE, DC_SCHED_DOWN, DC_HEALTH_OK), 'X');
	assert_int_equal(glyph(DC_ADMIN_DRAINED, DC_SCHED_IDLE, DC_HEALTH_FAIL), 'D');
	assert_int_equal(glyph(DC_ADMIN_DRAINED, DC_SCHED_IDLE, DC_HEALTH_OK), 'D');
	assert_int_equal(glyph(DC_ADMIN_DRAINING, DC_SCHED_MIXED, DC_HEALTH_FAIL), 'd');
	assert_int_equal(glyph(DC_ADMIN_ACTIVE, DC_SCHED_ALLOCATED, DC_HEALTH_FAIL), '!');
	assert_int_equal(glyph(DC_ADMIN_ACTIVE, DC_SCHED_UNKNOWN, DC_HEALTH_OK), '?');
	assert_int_equal(glyph(DC_ADMIN_ACTIVE, DC_SCHED_ALLOCATED, DC_HEALTH_WARN), '#');
	assert_int_equal(glyph(DC_ADMIN_ACTIVE, DC_SCHED_MIXED, DC_HEALTH_OK), '+');
	assert_int_equal(glyph(DC_ADMIN_ACTIVE, DC_SCHED_IDLE, DC_HEALTH_OK), '-');
	assert_int_equal(glyph(DC_ADMIN_ACTIVE, (enum dc_sched)99, DC_HEALTH_OK), '?');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_entry_reachable),
		cmocka_unit_test(test_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
