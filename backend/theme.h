/* theme.h — semantic colour elements and the themes that style them.
 *
 * Views name elements (THEME_NODE_DRAIN, "node.drain"), never raw colours.
 * A theme file (themes/NAME.json) maps element names to styles:
 *   { "name": "default", "colors": 256,
 *     "elements": { "node.drain": { "fg": "yellow", "bg": "default", "attrs": ["bold"] }, ... } }
 * Colours: "default", the 16 ANSI names ("black" .. "white", "bright-black" ..
 * "bright-white"), "colorN" (0-255) or an integer 0-255. Attrs: bold, dim,
 * underline, reverse, italic, standout. Elements a file omits keep the
 * compiled-in default. No curses here: tui/ turns styles into colour pairs.
 *
 * Ownership: struct theme is plain data the caller owns (no pointers). */
#ifndef DCOPS_THEME_H
#define DCOPS_THEME_H

#include <stdint.h>

#include "util.h"

#define THEME_ELEMENTS(X) \
	X(TEXT, "text") X(DIM, "dim") X(TITLE, "title") X(BORDER, "border") \
	X(HEADER, "header") X(HEADER_STALE, "header.stale") X(HEADER_DRILL, "header.drill") \
	X(HEADER_WRITE, "header.write") X(FOOTER, "footer") X(FOOTER_KEY, "footer.key") \
	X(SELECTION, "selection") X(MARKED, "marked") X(CMDLINE, "cmdline") X(FILTER, "filter") \
	X(ERROR, "error") X(WARN, "warn") X(OK, "ok") \
	X(LINK_UP, "link.up") X(LINK_DOWN, "link.down") \
	X(NODE_IDLE, "node.idle") X(NODE_MIXED, "node.mixed") X(NODE_ALLOC, "node.alloc") \
	X(NODE_DRAIN, "node.drain") X(NODE_DRAINED, "node.drained") X(NODE_DOWN, "node.down") \
	X(NODE_FAIL, "node.fail") X(NODE_EMPTY, "node.empty") \
	X(SEV1, "sev.1") X(SEV2, "sev.2") X(SEV3, "sev.3") X(SEV4, "sev.4") X(SEV5, "sev.5") \
	X(INC_TRIGGERED, "incident.triggered") X(INC_ACK, "incident.acknowledged") \
	X(INC_MITIGATED, "incident.mitigated") X(INC_RESOLVED, "incident.resolved") \
	X(QUOTA_OK, "quota.ok") X(QUOTA_WARN, "quota.warn") X(QUOTA_OVER, "quota.over") \
	X(BAR_FILL, "bar.fill") X(BAR_EMPTY, "bar.empty") \
	X(JOB_RUNNING, "job.running") X(JOB_PENDING, "job.pending") X(JOB_FAILED, "job.failed") \
	X(ACTION_PENDING, "action.pending") X(ACTION_APPLIED, "action.applied") \
	X(ACTION_FAILED, "action.failed") X(HELP_KEY, "help.key")

enum theme_el {
#define X(id, name) THEME_##id,
	THEME_ELEMENTS(X)
#undef X
	THEME_EL_COUNT
};

#define THEME_COLOR_DEFAULT (-1)
enum {
	THEME_A_BOLD = 1 << 0, THEME_A_DIM = 1 << 1, THEME_A_UNDERLINE = 1 << 2,
	THEME_A_REVERSE = 1 << 3, THEME_A_ITALIC = 1 << 4, THEME_A_STANDOUT = 1 << 5,
};

struct theme_style {
	int16_t fg, bg;   /* THEME_COLOR_DEFAULT or 0..255 */
	uint16_t attrs;   /* THEME_A_* */
};

struct theme {
	char name[64];
	int colors;       /* colours the theme was designed for: 8, 16 or 256 */
	struct theme_style el[THEME_EL_COUNT];
};

const char *theme_el_name(enum theme_el e);
int theme_el_parse(const char *name);       /* -1 if unknown */

/* The compiled-in default (256 colours); never fails. */
void theme_default(struct theme *t);
/* Attributes only, no colours (NO_COLOR, monochrome terminals). */
void theme_mono(struct theme *t);
/* Loads a file over the compiled-in default. On error t is the default and
 * err names the file, the element key and what is wrong. */
int theme_load_file(const char *path, struct theme *t, struct dc_err *err);
/* Finds NAME.json in $XDG_CONFIG_HOME/dcops/themes, then <datadir>/themes. */
int theme_load_named(const char *name, struct theme *t, struct dc_err *err);
/* Maps colours >= ncolors to the nearest of the first 8 or 16 (in place). */
void theme_downgrade(struct theme *t, int ncolors);

#endif
