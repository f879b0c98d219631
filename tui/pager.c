/* pager.c — see pager.h.
 *
 * Complete lines are kept as visible text (converted once); the line still
 * arriving is kept raw and converted again as bytes complete it, so an
 * escape sequence split across two reads is shown whole. */
#include "pager.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "draw.h"
#include "keys.h"

#define TAB 8

struct pline {
	char *text;          /* visible */
	enum theme_el el;
};

enum pager_act {
	PA_NONE, PA_UP, PA_DOWN, PA_PGUP, PA_PGDN, PA_TOP, PA_BOTTOM, PA_LEFT, PA_RIGHT,
	PA_SEARCH, PA_NEXT, PA_PREV, PA_TABLE, PA_CLOSE,
};

struct pager_key {
	int key;
	enum pager_act act;
	const char *hint;    /* footer text of the first key of an action, or NULL */
};

static const struct pager_key pager_keys[] = {
	{ 'j', PA_DOWN, NULL }, { KEYS_FN(KEY_DOWN), PA_DOWN, NULL },
	{ 'k', PA_UP, NULL }, { KEYS_FN(KEY_UP), PA_UP, NULL },
	{ KEYS_FN(KEY_NPAGE), PA_PGDN, NULL }, { ' ', PA_PGDN, NULL }, { KEYS_CTRL('f'), PA_PGDN, NULL },
	{ KEYS_FN(KEY_PPAGE), PA_PGUP, NULL }, { 'b', PA_PGUP, NULL }, { KEYS_CTRL('b'), PA_PGUP, NULL },
	{ 'g', PA_TOP, NULL }, { KEYS_FN(KEY_HOME), PA_TOP, NULL },
	{ 'G', PA_BOTTOM, NULL }, { KEYS_FN(KEY_END), PA_BOTTOM, NULL },
	{ KEYS_FN(KEY_LEFT), PA_LEFT, NULL }, { 'h', PA_LEFT, NULL },
	{ KEYS_FN(KEY_RIGHT), PA_RIGHT, NULL }, { 'l', PA_RIGHT, NULL },
	{ '/', PA_SEARCH, "search" }, { 'n', PA_NEXT, "next" }, { 'N', PA_PREV, NULL },
	{ 't', PA_TABLE, "table/raw" },
	{ 'q', PA_CLOSE, "close" }, { KEYS_ESC, PA_CLOSE, NULL },
};

struct pager {
	char *title;
	char status[128];
	enum theme_el status_el;
	struct pline *lines;
	size_t n, cap;
	size_t dropped;
	struct sb partial;         /* raw bytes of the line still arriving */
	bool partial_err, has_partial;
	int top, left, page;
	bool follow;
	bool searching;
	char query[128];
	size_t qlen;
	char found[128];           /* the pattern last searched for */
	char msg[160];
	struct nvsmi_gpu *gpus;
	size_t ngpus;
	bool table;
};

/* ---- making bytes visible ---- */

static bool is_bidi(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
	       cp == 0x200F || cp == 0x061C;
}

static void put(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
	if (*o + n + 1 > outsz)
		return;
	memcpy(out + *o, s, n);
	*o += n;
}

size_t pager_visible(const char *src, size_t len, char *out, size_t outsz)
{
	size_t o = 0;
	int col = 0;
	if (!outsz)
		return 0;
	for (size_t i = 0; i < len && o + 1 < outsz;) {
		uint32_t cp;
		size_t k = utf8_decode(src + i, len - i, &cp);
		char buf[16];
		int n;
		if (cp == '\t') {
			n = TAB - col % TAB;
			memset(buf, ' ', (size_t)n);
		} else if (cp < 0x20 || cp == 0x7f) {
			n = snprintf(buf, sizeof buf, "^%c", cp == 0x7f ? '?' : (char)(cp + 0x40));
		} else if (cp >= 0x80 && cp < 0xa0) {
			n = snprintf(buf, sizeof buf, "\\x%02x", (unsigned)cp);
		} else if (is_bidi(cp)) {
			n = snprintf(buf, sizeof buf, "<U+%04X>", (unsigned)cp);
		} else {
			char enc[4];
			size_t e = utf8_encode(cp, enc);
			size_t before = o;
			put(out, outsz, &o, enc, e);
			int w = wcwidth((wchar_t)cp);
			if (w < 0) { /* unprintable here: let the sanitiser's U+FFFD stand in */
				o = before;
				put(out, outsz, &o, "\xEF\xBF\xBD", 3);
				w = 1;
			}
			col += w;
			i += k;
			continue;
		}
		put(out, outsz, &o, buf, (size_t)n);
		col += n;
		i += k;
	}
	out[o] = '\0';
	return o;
}

/* ---- lines ---- */

static char *visible_dup(const char *s, size_t n)
{
	size_t cap = n * 8 + 1;
	char *out = xmalloc(cap);
	pager_visible(s, n, out, cap);
	/* everything left is printable; the sanitiser stays the last word */
	char *clean = xmalloc(strlen(out) + 1);
	text_sanitize(out, clean, strlen(out) + 1);
	free(out);
	return clean;
}

static void line_push(struct pager *p, char *text, enum theme_el el)
{
	if (p->n == PAGER_MAX_LINES) {
		free(p->lines[0].text);
		memmove(p->lines, p->lines + 1, (p->n - 1) * sizeof *p->lines);
		p->n--;
		p->dropped++;
		if (p->top > 0)
			p->top--;
	}
	p->lines = xgrow(p->lines, &p->cap, p->n + 1, sizeof *p->lines);
	p->lines[p->n++] = (struct pline){ text, el };
}

/* The partial line is always the last one while it exists. */
static void partial_show(struct pager *p)
{
	char *text = visible_dup(p->partial.buf ? p->partial.buf : "", p->partial.len);
	enum theme_el el = p->partial_err ? THEME_WARN : THEME_TEXT;
	if (p->has_partial) {
		free(p->lines[p->n - 1].text);
		p->lines[p->n - 1] = (struct pline){ text, el };
	} else {
		line_push(p, text, el);
		p->has_partial = true;
	}
}

void pager_append(struct pager *p, const char *data, size_t len, bool is_stderr)
{
	if (p->has_partial && p->partial_err != is_stderr) {
		p->has_partial = false; /* the other stream's line ends here */
		sb_clear(&p->partial);
	}
	p->partial_err = is_stderr;
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		sb_appendn(&p->partial, data, n);
		if (nl && p->partial.len && p->partial.buf[p->partial.len - 1] == '\r')
			p->partial.buf[--p->partial.len] = '\0'; /* CRLF is a line end, not a ^M */
		partial_show(p);
		if (!nl)
			break;
		p->has_partial = false;
		sb_clear(&p->partial);
		data += n + 1;
		len -= n + 1;
	}
}

void pager_note(struct pager *p, enum theme_el el, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (p->has_partial) {
		p->has_partial = false;
		sb_clear(&p->partial);
	}
	line_push(p, visible_dup(buf, strlen(buf)), el);
}

/* ---- the pager ---- */

struct pager *pager_new(const char *title)
{
	struct pager *p = xcalloc(1, sizeof *p);
	p->title = xstrdup(title ? title : "");
	p->follow = true;
	p->status_el = THEME_DIM;
	return p;
}

void pager_free(struct pager *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->lines[i].text);
	free(p->lines);
	sb_free(&p->partial);
	free(p->gpus);
	free(p->title);
	free(p);
}

void pager_set_title(struct pager *p, const char *title)
{
	free(p->title);
	p->title = xstrdup(title ? title : "");
}

void pager_set_status(struct pager *p, enum theme_el el, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->status, sizeof p->status, fmt, ap);
	va_end(ap);
	p->status_el = el;
}

void pager_set_gpus(struct pager *p, const struct nvsmi_gpu *g, size_t n)
{
	free(p->gpus);
	p->gpus = n ? xmalloc(n * sizeof *g) : NULL;
	if (n)
		memcpy(p->gpus, g, n * sizeof *g);
	p->ngpus = n;
	p->table = n > 0;
}

const char *pager_line(const struct pager *p, size_t i)
{
	return i < p->n ? p->lines[i].text : NULL;
}

size_t pager_lines(const struct pager *p)
{
	return p->n;
}

/* ---- search ---- */

static const char *find_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return NULL;
	for (const char *h = hay; *h; h++)
		if (strncasecmp(h, needle, n) == 0)
			return h;
	return NULL;
}

static void search(struct pager *p, int dir)
{
	if (!p->found[0] || !p->n) {
		snprintf(p->msg, sizeof p->msg, "no search yet: / then text");
		return;
	}
	long start = p->top < 0 ? (long)p->n - 1 : p->top, i = start;
	for (size_t step = 0; step < p->n; step++) {
		i = (i + dir + (long)p->n) % (long)p->n;
		if (find_ci(p->lines[i].text, p->found)) {
			bool wrapped = dir > 0 ? i <= start : i >= start;
			p->top = (int)i;
			p->follow = false;
			snprintf(p->msg, sizeof p->msg, "%s", wrapped && p->top != 0 ? "search wrapped" : "");
			return;
		}
	}
	char shown[96];
	text_sanitize(p->found, shown, sizeof shown);
	snprintf(p->msg, sizeof p->msg, "not found: %s", shown);
}

static unsigned search_key(struct pager *p, int key)
{
	if (key == KEYS_ESC) {
		p->searching = false;
	} else if (key == '\n' || key == '\r' || key == KEYS_FN(KEY_ENTER)) {
		p->searching = false;
		if (p->qlen) {
			snprintf(p->found, sizeof p->found, "%s", p->query);
			p->top--; /* the line on top counts too */
			search(p, 1);
		}
	} else if (key == KEYS_FN(KEY_BACKSPACE) || key == 0x7f || key == KEYS_CTRL('h')) {
		while (p->qlen && ((unsigned char)p->query[p->qlen - 1] & 0xC0) == 0x80)
			p->qlen--;
		if (p->qlen)
			p->qlen--;
		p->query[p->qlen] = '\0';
	} else if (key >= 0x20 && key < 0x110000 && key != 0x7f) {
		char enc[4];
		size_t e = utf8_encode((uint32_t)key, enc);
		if (p->qlen + e < sizeof p->query) {
			memcpy(p->query + p->qlen, enc, e);
			p->qlen += e;
			p->query[p->qlen] = '\0';
		}
	}
	return PAGER_HANDLED | PAGER_DIRTY;
}

static int content_lines(const struct pager *p)
{
	return p->table ? (int)p->ngpus + 1 : (int)p->n;
}

unsigned pager_key(struct pager *p, int key)
{
	if (p->searching)
		return search_key(p, key);
	enum pager_act act = PA_NONE;
	for (size_t i = 0; i < DC_ARRAY_LEN(pager_keys); i++)
		if (pager_keys[i].key == key)
			act = pager_keys[i].act;
	if (act == PA_NONE)
		return 0;
	int page = p->page > 1 ? p->page - 1 : 1;
	int max = content_lines(p) - p->page;
	p->msg[0] = '\0';
	switch (act) {
	case PA_UP: p->top--; break;
	case PA_DOWN: p->top++; break;
	case PA_PGUP: p->top -= page; break;
	case PA_PGDN: p->top += page; break;
	case PA_TOP: p->top = 0; break;
	case PA_BOTTOM: p->top = max; break;
	case PA_LEFT: p->left = p->left > 8 ? p->left - 8 : 0; break;
	case PA_RIGHT: p->left += 8; break;
	case PA_SEARCH:
		p->searching = true;
		p->qlen = 0;
		p->query[0] = '\0';
		break;
	case PA_NEXT: search(p, 1); break;
	case PA_PREV: search(p, -1); break;
	case PA_TABLE:
		if (p->ngpus)
			p->table = !p->table;
		else
			snprintf(p->msg, sizeof p->msg, "no table: this output is not the GPU summary");
		p->top = 0;
		break;
	case PA_CLOSE: return PAGER_HANDLED | PAGER_CLOSED;
	case PA_NONE: return 0;
	}
	if (act != PA_NEXT && act != PA_PREV && act != PA_SEARCH) {
		if (p->top > max)
			p->top = max;
		if (p->top < 0)
			p->top = 0;
	}
	p->follow = act != PA_NEXT && act != PA_PREV && act != PA_SEARCH && p->top >= max;
	return PAGER_HANDLED | PAGER_DIRTY;
}

/* ---- drawing ---- */

/* s with its first `skip` columns dropped. */
static const char *skip_cols(const char *s, int skip)
{
	while (*s && skip > 0) {
		uint32_t cp;
		size_t k = utf8_decode(s, strlen(s), &cp);
		int w = wcwidth((wchar_t)cp);
		skip -= w > 0 ? w : 0;
		s += k;
	}
	return s;
}

static void draw_line(struct pager *p, WINDOW *w, int y, const struct pline *ln)
{
	int cols = getmaxx(w);
	draw_fill(w, y, 0, cols, THEME_TEXT);
	const char *s = skip_cols(ln->text, p->left);
	const char *m = p->found[0] ? find_ci(s, p->found) : NULL;
	if (!m) {
		draw_text(w, y, 0, cols, ln->el, s);
		return;
	}
	/* the text is already visible and sanitised: cut it into three segments */
	struct dline d;
	dline_start(&d, w, y, 0);
	size_t fl = strlen(p->found);
	char *pre = xstrndup(s, (size_t)(m - s)), *hit = xstrndup(m, fl);
	dline_put(&d, ln->el, pre);
	dline_put(&d, THEME_SELECTION, hit);
	dline_put(&d, ln->el, m + fl);
	free(pre);
	free(hit);
}

static enum theme_el gpu_el(unsigned problems)
{
	if (problems & NVSMI_ECC)
		return THEME_ERROR;
	return problems ? THEME_WARN : THEME_OK;
}

static void gpu_row(const struct nvsmi_gpu *g, char *buf, size_t n)
{
	char temp[16] = "-", util[16] = "-", mem[48] = "-", pw[32] = "-", ecc[24] = "-", prob[48];
	if (g->temp_c >= 0)
		snprintf(temp, sizeof temp, "%dC", g->temp_c);
	if (g->util_pct >= 0)
		snprintf(util, sizeof util, "%d%%", g->util_pct);
	if (g->mem_used_mib >= 0 && g->mem_total_mib > 0)
		snprintf(mem, sizeof mem, "%ld/%ld MiB", g->mem_used_mib, g->mem_total_mib);
	if (g->power_w >= 0)
		snprintf(pw, sizeof pw, "%.0fW", g->power_w);
	if (g->ecc_uncorrected >= 0)
		snprintf(ecc, sizeof ecc, "%ld", g->ecc_uncorrected);
	const char *pend = g->pending > 0 ? "yes" : g->pending == 0 ? "no" : "-";
	nvsmi_problem_str(g->problems, prob, sizeof prob);
	snprintf(buf, n, "%3d  %-24.24s %5s %5s %19s %6s %6s %7s  %s", g->index, g->name, temp, util, mem,
		 pw, ecc, pend, prob[0] ? prob : "ok");
}

static void draw_table(struct pager *p, WINDOW *w, int y0, int h)
{
	int cols = getmaxx(w);
	char buf[512];
	snprintf(buf, sizeof buf, "%3s  %-24s %5s %5s %19s %6s %6s %7s  %s", "GPU", "Name", "Temp", "Util",
		 "Memory", "Power", "ECC", "Pending", "Problems");
	draw_text(w, y0, 0, cols, THEME_TITLE, skip_cols(buf, p->left));
	for (int y = 1; y < h; y++) {
		size_t i = (size_t)(p->top + y - 1);
		if (i >= p->ngpus) {
			draw_fill(w, y0 + y, 0, cols, THEME_TEXT);
			continue;
		}
		gpu_row(&p->gpus[i], buf, sizeof buf);
		char clean[512];
		text_sanitize(buf, clean, sizeof clean);
		draw_fill(w, y0 + y, 0, cols, THEME_TEXT);
		draw_text(w, y0 + y, 0, cols, gpu_el(p->gpus[i].problems), skip_cols(clean, p->left));
	}
}

static void draw_footer(struct pager *p, WINDOW *w, int y)
{
	int cols = getmaxx(w);
	draw_fill(w, y, 0, cols, THEME_FOOTER);
	struct dline d;
	dline_start(&d, w, y, 0);
	if (p->searching) {
		dline_put(&d, THEME_FILTER, "/");
		char clean[160];
		text_sanitize(p->query, clean, sizeof clean);
		dline_put(&d, THEME_FILTER, clean);
		int cx = d.x;
		dline_put(&d, THEME_DIM, "   Enter find  Esc cancel");
		wmove(w, y, cx < cols ? cx : cols - 1);
		return;
	}
	if (p->msg[0]) {
		dline_put(&d, THEME_WARN, " ");
		dline_put(&d, THEME_WARN, p->msg);
	} else {
		for (size_t i = 0; i < DC_ARRAY_LEN(pager_keys); i++) {
			if (!pager_keys[i].hint || (pager_keys[i].act == PA_TABLE && !p->ngpus))
				continue;
			char k[16];
			keys_name(pager_keys[i].key, k, sizeof k);
			dline_put(&d, THEME_FOOTER, " ");
			dline_put(&d, THEME_FOOTER_KEY, k);
			dline_putf(&d, THEME_FOOTER, " %s ", pager_keys[i].hint);
		}
		dline_put(&d, THEME_FOOTER, " ");
		dline_put(&d, THEME_FOOTER_KEY, "j/k PgUp/PgDn");
		dline_put(&d, THEME_FOOTER, " scroll");
	}
	int sw = text_width(p->status) + 1;
	if (sw < cols - d.x)
		draw_text(w, y, cols - sw, sw, p->status_el, p->status);
}

bool pager_draw(struct pager *p, WINDOW *w)
{
	int rows = getmaxy(w), cols = getmaxx(w);
	draw_fill(w, 0, 0, cols, THEME_HEADER);
	draw_text(w, 0, 1, cols - 1, THEME_TITLE, p->title);
	p->page = rows - 2;
	int max = content_lines(p) - p->page;
	if (max < 0)
		max = 0;
	if (p->follow || p->top > max)
		p->top = max;
	if (p->table) {
		draw_table(p, w, 1, p->page);
	} else {
		for (int y = 0; y < p->page; y++) {
			size_t i = (size_t)(p->top + y);
			if (i < p->n)
				draw_line(p, w, y + 1, &p->lines[i]);
			else
				draw_fill(w, y + 1, 0, cols, THEME_TEXT);
		}
	}
	draw_footer(p, w, rows - 1);
	return p->searching;
}
