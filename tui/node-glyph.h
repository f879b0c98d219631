/* node-glyph.h — the rack map's one glyph per node, and its legend, from
 * one table.
 *
 * A node has three states at once (admin: active/draining/drained; sched:
 * idle/mixed/allocated/down/unknown; health: ok/warn/fail) and one cell on
 * the map. node_glyphs lists the glyphs in precedence order: a node shows
 * the first row whose test it passes. Out of service comes first (down,
 * then the operator's drains), so a failed node that is already drained
 * reads D and a failed node that went down reads X; `!` is a failure still
 * in service, the node that needs a drain. The legend is drawn from the
 * same table, so every entry in it is a glyph some node state produces
 * (test_glyph checks each one), except `.`, a rack with no nodes.
 *
 * Ownership: static tables; nothing allocated. */
#ifndef DCOPS_NODE_GLYPH_H
#define DCOPS_NODE_GLYPH_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "theme.h"

struct node_glyph {
	char glyph;
	enum theme_el el;
	const char *what;                       /* the legend's word */
	bool (*is)(const struct dc_node *n);    /* NULL: not a node state (an empty rack) */
};

extern const struct node_glyph node_glyphs[];
extern const size_t node_nglyphs;

/* The row a node shows: the first in node_glyphs whose test it passes. */
const struct node_glyph *node_glyph_of(const struct dc_node *n);
/* The row of a rack with no nodes. */
const struct node_glyph *node_glyph_empty(void);

#endif
