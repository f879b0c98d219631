/* help.h — the `?` screen, generated from the key tables and the command
 * table so it always says what the keys really do (overrides included).
 *
 * Text format (help_build): a heading line, then "\tKEYS\tWHAT" lines,
 * tables in the caller's order (the app puts the current view's first).
 * help_draw sizes the KEYS column to its longest entry (":incidents [ID]
 * (:inc :i)"), up to half the width, so entries are not cut.
 * Ownership: help_build appends to the caller's sb. */
#ifndef DCOPS_HELP_H
#define DCOPS_HELP_H

#include <curses.h>

#include "keys.h"
#include "util.h"

void help_build(const struct key_table *const *tables, size_t n, struct sb *out);
/* Draws the text from line `top` on; returns the number of lines. */
int help_draw(WINDOW *w, const char *text, int top);

#endif
