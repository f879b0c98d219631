/* draw.c — width-aware, sanitised text and drawing helpers (see draw.h). */
#include "draw.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "colors.h"

int text_natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(a, b, la);
			if (c)
				return c;
			a += la;
			b += lb;
			continue;
		}
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
		if (ca != cb)
			return ca < cb ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* Ages under a minute read "now": telemetry arrives every few seconds, so
 * finer steps would only flicker (and cost bytes on a slow link) without
 * telling an operator anything; a report a minute old is worth noticing. */
void fmt_age(int64_t secs, char *buf, size_t n)
{
	if (secs < 60)
		snprintf(buf, n, "now");
	else if (secs < 3600)
		snprintf(buf, n, "%dm", (int)(secs / 60));
	else if (secs < 2 * 86400)
		snprintf(buf, n, "%dh", (int)(secs / 3600));
	else
		snprintf(buf, n, "%dd", (int)(secs / 86400));
}

void fmt_ago(int64_t secs, char *buf, size_t n)
{
	char age[16];
	fmt_age(secs, age, sizeof age);
	snprintf(buf, n, secs < 60 ? "just now" : "%s ago", age);
}

void fmt_dur(int64_t secs, char *buf, size_t n)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		snprintf(buf, n, "%ds", (int)secs);
	else if (secs < 3600)
		snprintf(buf, n, "%dm", (int)(secs / 60));
	else if (secs < 86400)
		snprintf(buf, n, "%dh%02dm", (int)(secs / 3600), (int)(secs % 3600 / 60));
	else
		snprintf(buf, n, "%dd%02dh", (int)(secs / 86400), (int)(secs % 86400 / 3600));
}

/* A date is the day in the operator's zone, unlabelled: a column of dates
 * (budget run-out, term end) would only repeat the label. */
void fmt_date(int64_t t, char *buf, size_t n)
{
	text_time(t, "%Y-%m-%d", buf, n);
	char *label = t > 0 ? strrchr(buf, ' ') : NULL;
	if (label)
		*label = '\0';
}

void fmt_time(int64_t t, char *buf, size_t n)
{
	text_time(t, "%Y-%m-%d %H:%M", buf, n);
}

static int draw_fitted(WINDOW *w, int y, int x, int width, enum theme_el el, const char *s,
                       bool right)
{
	if (width <= 0)
		return x;
	char clean[2048], fit[4096];
	text_sanitize(s, clean, sizeof clean);
	text_fit(clean, width, right, fit, sizeof fit);
	wattrset(w, colors_attr(el));
	mvwaddstr(w, y, x, fit);
	return x + width;
}

int draw_text(WINDOW *w, int y, int x, int width, enum theme_el el, const char *s)
{
	return draw_fitted(w, y, x, width, el, s, false);
}

int draw_textr(WINDOW *w, int y, int x, int width, enum theme_el el, const char *s)
{
	return draw_fitted(w, y, x, width, el, s, true);
}

void draw_fill(WINDOW *w, int y, int x, int width, enum theme_el el)
{
	if (width <= 0)
		return;
	wattrset(w, colors_attr(el));
	mvwhline(w, y, x, ' ', width);
}

void draw_clear(WINDOW *w)
{
	for (int y = 0; y < getmaxy(w); y++)
		draw_fill(w, y, 0, getmaxx(w), THEME_TEXT);
}

void draw_bar(WINDOW *w, int y, int x, int width, double frac, enum theme_el el)
{
	if (width <= 0)
		return;
	if (frac < 0)
		frac = 0;
	int fill = (int)(frac * width + 0.5);
	if (fill > width)
		fill = width;
	if (frac > 0 && fill == 0)
		fill = 1;
	wattrset(w, colors_attr(el));
	mvwhline(w, y, x, '|', fill);
	wattrset(w, colors_attr(THEME_BAR_EMPTY));
	mvwhline(w, y, x + fill, '.', width - fill);
}

void dline_start(struct dline *d, WINDOW *w, int y, int x)
{
	d->w = w;
	d->y = y;
	d->x = x;
	d->end = getmaxx(w);
}

void dline_put(struct dline *d, enum theme_el el, const char *s)
{
	if (d->x >= d->end)
		return;
	char clean[2048];
	text_sanitize(s, clean, sizeof clean);
	int tw = text_width(clean);
	int width = tw < d->end - d->x ? tw : d->end - d->x;
	d->x = draw_text(d->w, d->y, d->x, width, el, clean);
}

void dline_putf(struct dline *d, enum theme_el el, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dline_put(d, el, buf);
}

void pane_start(struct pane *p, WINDOW *w, int y0, int skip)
{
	p->w = w;
	p->y0 = y0;
	p->h = getmaxy(w) - y0;
	p->skip = skip < 0 ? 0 : skip;
	p->line = 0;
}

bool pane_line(struct pane *p, struct dline *d)
{
	int l = p->line++;
	if (l < p->skip || l - p->skip >= p->h)
		return false;
	dline_start(d, p->w, p->y0 + l - p->skip, 1);
	return true;
}

bool pane_end(const struct pane *p, int *skip)
{
	int max = p->line - p->h > 0 ? p->line - p->h : 0;
	if (*skip <= max)
		return false;
	*skip = max;
	return true;
}
