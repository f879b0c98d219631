/* colors.h — themes (theme.h) turned into curses colour pairs.
 *
 * One colour pair per element, rebuilt whenever the theme changes, so a
 * live `:theme` switch only needs a redraw. NO_COLOR (non-empty) or a
 * terminal without colours gives the monochrome theme; terminals with
 * fewer than 256 colours get the theme downgraded to 8 or 16.
 *
 * Ownership: the current theme is module state, set only from the loop's
 * thread; colors_attr may be called before colors_init (plain text). */
#ifndef DCOPS_COLORS_H
#define DCOPS_COLORS_H

#include <curses.h>

#include "theme.h"
#include "util.h"

/* After initscr: loads the theme `name` (NULL: "default"). On a bad theme
 * the compiled-in default is used and -1 returned with err naming the
 * file, key and problem. */
int colors_init(const char *name, struct dc_err *err);
/* Switches live (`:theme NAME`); on failure the current theme stays. */
int colors_use(const char *name, struct dc_err *err);
/* The curses attributes (pair + attrs) of an element. */
attr_t colors_attr(enum theme_el e);
const char *colors_theme_name(void);
/* Calls add for each theme name found in the user's and the data dir. */
void colors_theme_names(void (*add)(void *ud, const char *name), void *ud);

#endif
