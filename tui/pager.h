/* pager.h — a scrollable pager for output that streams in (a diagnostic
 * run on a node), drawn over the body of the console.
 *
 * Bytes are appended raw as they arrive and split into lines; nothing of
 * them ever reaches the terminal as a control: ESC shows as ^[, other C0
 * controls as ^X, DEL as ^?, C1 controls as \x9b, bidi overrides as
 * <U+202E>, broken UTF-8 as U+FFFD; tabs are expanded. So output holding
 * `\x1b[2J` reads "^[[2J" and clears nothing. While the view is at the
 * bottom it follows new output (like less +F).
 *
 * Search: `/` opens a prompt on the last line; Enter finds the next line
 * holding the text (case-insensitive), n and N repeat it forwards and
 * backwards; matches are highlighted. A GPU table (nvsmi.h rows) may be
 * attached: then `t` switches between the table, with each GPU's problems
 * highlighted, and the raw output.
 *
 * Keys never draw: pager_key changes state and returns PAGER_* flags;
 * pager_draw draws once per frame.
 *
 * Ownership: the pager copies everything appended; pager_free releases
 * it. The nvsmi rows given to pager_set_gpus are copied. */
#ifndef DCOPS_PAGER_H
#define DCOPS_PAGER_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "nvsmi.h"
#include "theme.h"
#include "util.h"

enum { PAGER_HANDLED = 1, PAGER_DIRTY = 2, PAGER_CLOSED = 4 };

#define PAGER_MAX_LINES 200000 /* older lines are dropped past this */

struct pager;
struct pager *pager_new(const char *title);
void pager_free(struct pager *p);

void pager_set_title(struct pager *p, const char *title);
/* The status at the bottom right ("running 3 s", "exit 0, 2.1 KiB"). */
void pager_set_status(struct pager *p, enum theme_el el, const char *fmt, ...) DC_PRINTF(3, 4);
/* Raw bytes; a line without its newline yet is shown and completed later. */
void pager_append(struct pager *p, const char *data, size_t len, bool is_stderr);
/* A line of our own (not output), e.g. "-- cut at its deadline --". */
void pager_note(struct pager *p, enum theme_el el, const char *fmt, ...) DC_PRINTF(3, 4);
/* Attaches the parsed GPU table and shows it. */
void pager_set_gpus(struct pager *p, const struct nvsmi_gpu *g, size_t n);

unsigned pager_key(struct pager *p, int key);
/* Draws into w (the whole window); returns whether the cursor shows. */
bool pager_draw(struct pager *p, WINDOW *w);

/* For tests: line i as shown (visible escapes), NULL past the end. */
const char *pager_line(const struct pager *p, size_t i);
size_t pager_lines(const struct pager *p);
/* Makes raw bytes displayable as described above; returns bytes written. */
size_t pager_visible(const char *src, size_t len, char *out, size_t outsz);

#endif
