/* help.c — the `?` screen (see help.h). */
#include "help.h"

#include <string.h>

#include "cmdline.h"
#include "draw.h"

void help_build(const struct key_table *const *tables, size_t n, struct sb *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct key_table *t = tables[i];
		enum key_action acts[KA_COUNT];
		size_t na = keys_actions(t, acts, KA_COUNT);
		sb_appendf(out, "%s%s\n", i ? "\n" : "", t->title);
		for (size_t a = 0; a < na; a++) {
			char keys[128];
			keys_for(t, acts[a], keys, sizeof keys);
			const char *why = keys_unavailable(acts[a]);
			if (keys[0] && why)
				sb_appendf(out, "\t%s\t(unavailable: %s) %s\n", keys, why,
				           keys_action_help(acts[a]));
			else if (keys[0])
				sb_appendf(out, "\t%s\t%s\n", keys, keys_action_help(acts[a]));
		}
	}
	sb_append(out, "\nCommands (type : then Tab to complete)\n");
	cmdline_help(out);
	sb_append(out, "\nFilter line: type to filter, Enter keeps it, Esc clears it\n");
}

#define KEYS_MIN 18

/* The widest KEYS entry of the block of lines from text to the next
 * heading, at least KEYS_MIN, at most half of cols. */
static int keys_width(const char *text, int cols)
{
	int wmax = KEYS_MIN;
	for (const char *s = text; *s == '\t';) {
		size_t len = strcspn(s, "\n");
		char keys[512], clean[512];
		snprintf(keys, sizeof keys, "%.*s", (int)strcspn(s + 1, "\t\n"), s + 1);
		text_sanitize(keys, clean, sizeof clean);
		if (text_width(clean) > wmax)
			wmax = text_width(clean);
		s += len + (s[len] == '\n');
	}
	return wmax < cols / 2 ? wmax : cols / 2;
}

int help_draw(WINDOW *w, const char *text, int top)
{
	struct pane p;
	pane_start(&p, w, 0, top);
	int cols = getmaxx(w);
	int kw = KEYS_MIN;
	for (const char *s = text; *s;) {
		size_t len = strcspn(s, "\n");
		if (*s != '\t')
			kw = keys_width(s + len + (s[len] == '\n'), cols);
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)len, s);
		s += len + (s[len] == '\n');
		struct dline d;
		if (line[0] != '\t') {
			if (pane_line(&p, &d)) {
				draw_fill(w, d.y, 0, cols, THEME_TEXT);
				dline_put(&d, THEME_TITLE, line);
			}
			continue;
		}
		char *what = strchr(line + 1, '\t');
		if (what)
			*what++ = '\0';
		/* WHAT wraps under itself: a long one (a connection string, a
		 * server's error) is read whole at 80 columns */
		char clean[3 * sizeof line];
		text_sanitize(what ? what : "", clean, sizeof clean);
		int vx = 3 + kw + 1, vw = cols - vx > 10 ? cols - vx : 10;
		const char *q = clean;
		bool first = true;
		do {
			const char *next;
			size_t n = text_wrap(q, vw, &next);
			if (pane_line(&p, &d)) {
				draw_fill(w, d.y, 0, cols, THEME_TEXT);
				if (first)
					draw_text(w, d.y, 3, kw, THEME_HELP_KEY, line + 1);
				d.x = vx;
				dline_putf(&d, THEME_TEXT, "%.*s", (int)n, q);
			}
			first = false;
			q = next;
		} while (*q);
	}
	for (int y = p.line - p.skip; y < p.h; y++)
		draw_fill(w, y, 0, cols, THEME_TEXT);
	return p.line;
}
