/* draw.h — width-aware, sanitised text, and the drawing helpers views use.
 *
 * Everything that comes from the database is untrusted: it goes through
 * text_sanitize (backend/text.h, the one rule script commands use too;
 * directly or via draw_text) before it reaches the terminal, so a tenant
 * name cannot carry an escape sequence, a bidi override or a broken UTF-8
 * byte onto the operator's screen. Widths are terminal columns
 * (wcwidth), never bytes: "(주)딥비전랩스" is 14 columns.
 *
 * Ownership: every function writes into caller-owned buffers (always
 * NUL-terminated, never a split character) and keeps no state. Drawing
 * functions take elements (theme.h), never raw colours. */
#ifndef DCOPS_DRAW_H
#define DCOPS_DRAW_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text.h"
#include "theme.h"
#include "util.h"

/* Natural, case-insensitive order: "gpu-a2" < "gpu-a10". */
int text_natcmp(const char *a, const char *b);

/* Short human forms. Ages are coarse on purpose (<10s, 20s, 3m, 5h, 2d) so
 * an idle screen changes rarely and writes nothing in between. */
void fmt_age(int64_t secs, char *buf, size_t n);
void fmt_dur(int64_t secs, char *buf, size_t n);     /* 2h13m, 3d04h, 45s */
/* An age as a phrase: "just now" under a minute, else "5m ago". */
void fmt_ago(int64_t secs, char *buf, size_t n);
/* Times in the operator's zone (text.h: KST or UTC, from the config),
 * labelled: "2025-03-01 21:04 KST"; "-" for 0. Dates are unlabelled. */
void fmt_date(int64_t t, char *buf, size_t n);       /* 2025-03-01 */
void fmt_time(int64_t t, char *buf, size_t n);       /* 2025-03-01 21:04 KST */

/* Draws raw (untrusted) text at y,x sanitised and fitted to width columns
 * in element el. Returns the column after it. */
int draw_text(WINDOW *w, int y, int x, int width, enum theme_el el, const char *s);
int draw_textr(WINDOW *w, int y, int x, int width, enum theme_el el, const char *s);
/* Fills width columns with spaces in element el. */
void draw_fill(WINDOW *w, int y, int x, int width, enum theme_el el);
/* Blanks the whole window in element text. */
void draw_clear(WINDOW *w);
/* A bar of width columns, frac (0..1+) of it filled in el, the rest bar.empty. */
void draw_bar(WINDOW *w, int y, int x, int width, double frac, enum theme_el el);

/* A line being written left to right: segments are cut at the window edge. */
struct dline {
	WINDOW *w;
	int y, x, end;
};
void dline_start(struct dline *d, WINDOW *w, int y, int x);
void dline_put(struct dline *d, enum theme_el el, const char *s);
void dline_putf(struct dline *d, enum theme_el el, const char *fmt, ...) DC_PRINTF(3, 4);

/* A scrolling pane of text lines (detail views): lines before `skip` and
 * past the window are counted but not drawn. */
struct pane {
	WINDOW *w;
	int y0, h, skip, line;
};
void pane_start(struct pane *p, WINDOW *w, int y0, int skip);
/* Starts the next line: true with d ready when it is visible. */
bool pane_line(struct pane *p, struct dline *d);
/* After the last line: pulls *skip back so the last page is full; true
 * when it changed (the caller draws again). */
bool pane_end(const struct pane *p, int *skip);

#endif
