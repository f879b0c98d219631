/* node-glyph.c — the rack map's glyph table (see node-glyph.h). */
#include "node-glyph.h"

#include "util.h"

static bool is_down(const struct dc_node *n) { return n->sched == DC_SCHED_DOWN; }
static bool is_drained(const struct dc_node *n) { return n->admin == DC_ADMIN_DRAINED; }
static bool is_draining(const struct dc_node *n) { return n->admin == DC_ADMIN_DRAINING; }
static bool is_failed(const struct dc_node *n) { return n->health == DC_HEALTH_FAIL; }
static bool is_allocated(const struct dc_node *n) { return n->sched == DC_SCHED_ALLOCATED; }
static bool is_mixed(const struct dc_node *n) { return n->sched == DC_SCHED_MIXED; }
static bool is_idle(const struct dc_node *n) { return n->sched == DC_SCHED_IDLE; }
/* "unknown" and any value the tests above do not name */
static bool is_other(const struct dc_node *n) { (void)n; return true; }

/* Precedence order; the legend reads left to right in the same order. */
const struct node_glyph node_glyphs[] = {
	{ 'X', THEME_NODE_DOWN, "down", is_down },
	{ 'D', THEME_NODE_DRAINED, "drained", is_drained },
	{ 'd', THEME_NODE_DRAIN, "draining", is_draining },
	{ '!', THEME_NODE_FAIL, "failed", is_failed },
	{ '#', THEME_NODE_ALLOC, "allocated", is_allocated },
	{ '+', THEME_NODE_MIXED, "mixed", is_mixed },
	{ '-', THEME_NODE_IDLE, "idle", is_idle },
	{ '?', THEME_NODE_EMPTY, "unknown", is_other },   /* last node state: catches all */
	{ '.', THEME_NODE_EMPTY, "empty", NULL },
};
const size_t node_nglyphs = DC_ARRAY_LEN(node_glyphs);

const struct node_glyph *node_glyph_of(const struct dc_node *n)
{
	for (size_t i = 0; i < node_nglyphs; i++)
		if (node_glyphs[i].is && node_glyphs[i].is(n))
			return &node_glyphs[i];
	return &node_glyphs[node_nglyphs - 2]; /* not reached: is_other matches */
}

const struct node_glyph *node_glyph_empty(void)
{
	return &node_glyphs[node_nglyphs - 1];
}
