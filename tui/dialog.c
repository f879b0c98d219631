/* dialog.c — modal dialogs and the app's stack of them (see dialog.h). */
#include "dialog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "colors.h"
#include "draw.h"
#include "keys.h"

#define FOCUS_YES (-1)
#define FOCUS_NO (-2)
#define MIN_W 50
#define MAX_W 96

struct field {
	enum dialog_kind kind;
	char *label, *hint;
	unsigned flags;
	bool typed;            /* the typed-confirmation field */
	struct line val;
	struct sb area;        /* DIALOG_TEXTAREA's text */
	int rows;              /* DIALOG_TEXTAREA: screen rows; else 1 */
	size_t max;            /* DIALOG_TEXTAREA: bytes */
	char **choices;
	size_t nchoices, choice;
};

struct bline {
	enum theme_el el;
	char *text;
};

struct dialog {
	char *title;
	struct bline *body;
	size_t nbody, capbody;
	struct field *f;
	size_t nf, capf;
	char *yes, *no, *expect;
	int focus;
	char err[512];
	bool answered;
	dialog_done_fn done;
	dialog_check_fn check;
	dialog_update_fn update;
	void *ud;
	WINDOW *win;
	int wh, ww;
};

struct dialog *dialog_new(const char *title)
{
	struct dialog *d = xcalloc(1, sizeof *d);
	d->title = xstrdup(title ? title : "");
	d->yes = xstrdup("Yes");
	d->no = xstrdup("No");
	d->focus = FOCUS_NO;
	return d;
}

static void wipe(volatile char *p, size_t n)
{
	while (n--)
		*p++ = 0;
}

void dialog_free(struct dialog *d)
{
	if (!d)
		return;
	dialog_body_clear(d);
	free(d->body);
	for (size_t i = 0; i < d->nf; i++) {
		struct field *f = &d->f[i];
		if (f->kind == DIALOG_SECRET)
			wipe(f->val.buf, sizeof f->val.buf);
		free(f->label);
		free(f->hint);
		sb_free(&f->area);
		for (size_t c = 0; c < f->nchoices; c++)
			free(f->choices[c]);
		free(f->choices);
	}
	free(d->f);
	free(d->title);
	free(d->yes);
	free(d->no);
	free(d->expect);
	if (d->win)
		delwin(d->win);
	free(d);
}

/* ---- building ---- */

void dialog_body_clear(struct dialog *d)
{
	for (size_t i = 0; i < d->nbody; i++)
		free(d->body[i].text);
	d->nbody = 0;
}

void dialog_body_add(struct dialog *d, enum theme_el el, const char *text)
{
	d->body = xgrow(d->body, &d->capbody, d->nbody + 1, sizeof *d->body);
	d->body[d->nbody++] = (struct bline){ el, xstrdup(text ? text : "") };
}

void dialog_body_addf(struct dialog *d, enum theme_el el, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dialog_body_add(d, el, buf);
}

static int add_field(struct dialog *d, enum dialog_kind kind, const char *label, const char *initial,
                     unsigned flags, const char *hint)
{
	d->f = xgrow(d->f, &d->capf, d->nf + 1, sizeof *d->f);
	struct field *f = &d->f[d->nf];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->label = xstrdup(label ? label : "");
	f->hint = hint ? xstrdup(hint) : NULL;
	f->flags = flags;
	f->rows = 1;
	line_set(&f->val, initial ? initial : "");
	/* the first field takes the cursor; the typed confirmation is always last */
	if (d->nf == 0)
		d->focus = 0;
	if (d->nf > 0 && d->f[d->nf - 1].typed) {
		struct field typed = d->f[d->nf - 1];
		d->f[d->nf - 1] = *f;
		d->f[d->nf] = typed;
		d->nf++;
		return (int)d->nf - 2;
	}
	return (int)d->nf++;
}

int dialog_add_text(struct dialog *d, const char *label, const char *initial, unsigned flags,
                    const char *hint)
{
	return add_field(d, DIALOG_TEXT, label, initial, flags, hint);
}

int dialog_add_secret(struct dialog *d, const char *label, unsigned flags)
{
	return add_field(d, DIALOG_SECRET, label, "", flags, NULL);
}

int dialog_add_number(struct dialog *d, const char *label, const char *initial, unsigned flags,
                      const char *hint)
{
	return add_field(d, DIALOG_NUMBER, label, initial, flags, hint);
}

int dialog_add_choice(struct dialog *d, const char *label, const char *const *choices, size_t n,
                      size_t initial)
{
	int i = add_field(d, DIALOG_CHOICE, label, "", 0, NULL);
	struct field *f = &d->f[i];
	f->choices = xcalloc(n ? n : 1, sizeof *f->choices);
	for (size_t c = 0; c < n; c++)
		f->choices[c] = xstrdup(choices[c]);
	f->nchoices = n;
	f->choice = initial < n ? initial : 0;
	return i;
}

int dialog_add_textarea(struct dialog *d, const char *label, const char *initial, unsigned flags,
                        const char *hint, int rows, size_t max_bytes)
{
	int i = add_field(d, DIALOG_TEXTAREA, label, "", flags, hint);
	struct field *f = &d->f[i];
	f->rows = rows > 1 ? rows : 1;
	f->max = max_bytes;
	size_t n = initial ? strlen(initial) : 0;
	sb_appendn(&f->area, initial ? initial : "", n < max_bytes ? n : max_bytes);
	return i;
}

void dialog_buttons(struct dialog *d, const char *yes_label, const char *no_label)
{
	free(d->yes);
	free(d->no);
	d->yes = xstrdup(yes_label ? yes_label : "Yes");
	d->no = no_label ? xstrdup(no_label) : NULL;
	if (!d->no && d->focus == FOCUS_NO)
		d->focus = FOCUS_YES;
}

void dialog_require_typed(struct dialog *d, const char *prompt, const char *expect)
{
	free(d->expect);
	d->expect = xstrdup(expect ? expect : "");
	int i = add_field(d, DIALOG_TEXT, prompt, "", 0, NULL);
	d->f[i].typed = true;
}

void dialog_on_done(struct dialog *d, dialog_done_fn done, void *ud)
{
	d->done = done;
	d->ud = ud;
}

void dialog_on_check(struct dialog *d, dialog_check_fn check)
{
	d->check = check;
}

void dialog_on_update(struct dialog *d, dialog_update_fn update)
{
	d->update = update;
}

void dialog_set_error(struct dialog *d, const char *msg)
{
	snprintf(d->err, sizeof d->err, "%s", msg ? msg : "");
}

/* ---- state ---- */

size_t dialog_nfields(const struct dialog *d) { return d->nf; }
int dialog_focus(const struct dialog *d) { return d->focus; }
const char *dialog_error(const struct dialog *d) { return d->err; }
bool dialog_answered(const struct dialog *d) { return d->answered; }
const char *dialog_title(const struct dialog *d) { return d->title; }
void *dialog_ud(const struct dialog *d) { return d->ud; }

static const char *field_text(const struct field *f)
{
	if (f->kind == DIALOG_TEXTAREA)
		return f->area.buf ? f->area.buf : "";
	return f->val.buf;
}

const char *dialog_value(const struct dialog *d, int field)
{
	if (field < 0 || (size_t)field >= d->nf)
		return "";
	const struct field *f = &d->f[field];
	if (f->kind == DIALOG_CHOICE)
		return f->nchoices ? f->choices[f->choice] : "";
	return field_text(f);
}

size_t dialog_choice(const struct dialog *d, int field)
{
	return field >= 0 && (size_t)field < d->nf ? d->f[field].choice : 0;
}

bool dialog_number(const struct dialog *d, int field, double *out)
{
	const char *s = dialog_value(d, field);
	if (!s[0] || strcmp(s, ".") == 0)
		return false;
	char *end;
	double v = strtod(s, &end);
	if (*end)
		return false;
	*out = v;
	return true;
}

/* ---- keys ---- */

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\n')
			return false;
	return true;
}

static void answer(struct dialog *d, enum dialog_answer ans)
{
	d->answered = true;
	if (d->done)
		d->done(d->ud, d, ans);
}

static void try_yes(struct dialog *d)
{
	for (size_t i = 0; i < d->nf; i++) {
		const struct field *f = &d->f[i];
		if (f->typed && strcmp(f->val.buf, d->expect) != 0) {
			snprintf(d->err, sizeof d->err, "type %s to confirm", d->expect);
			d->focus = (int)i;
			return;
		}
		if ((f->flags & DIALOG_REQUIRED) && f->kind != DIALOG_CHOICE && blank(field_text(f))) {
			snprintf(d->err, sizeof d->err, "%s is required", f->label);
			d->focus = (int)i;
			return;
		}
	}
	if (d->check) {
		struct dc_err err = { { 0 } };
		int field = -1;
		if (d->check(d->ud, d, &field, &err) == -1) {
			snprintf(d->err, sizeof d->err, "%s", err.msg);
			if (field >= 0 && (size_t)field < d->nf)
				d->focus = field;
			return;
		}
	}
	d->err[0] = '\0';
	answer(d, DIALOG_YES);
}

static int focus_next(const struct dialog *d, int dir)
{
	/* order: fields 0..nf-1, Yes, No (when there is one), around */
	int n = (int)d->nf + (d->no ? 2 : 1);
	int pos = d->focus >= 0 ? d->focus : d->focus == FOCUS_YES ? (int)d->nf : (int)d->nf + 1;
	pos = ((pos + dir) % n + n) % n;
	if (pos < (int)d->nf)
		return pos;
	return pos == (int)d->nf ? FOCUS_YES : FOCUS_NO;
}

static bool is_enter(int key)
{
	return key == '\n' || key == '\r' || key == KEYS_FN(KEY_ENTER);
}

static bool is_backspace(int key)
{
	return key == KEYS_FN(KEY_BACKSPACE) || key == 0x7F || key == KEYS_CTRL('h');
}

static bool accepts(const struct field *f, int key)
{
	if (key < 0x20 || key >= 0x110000)
		return false;
	if (f->kind != DIALOG_NUMBER)
		return true;
	if (key >= '0' && key <= '9')
		return true;
	return key == '.' && (f->flags & DIALOG_DECIMAL) && !strchr(f->val.buf, '.');
}

/* Removes the last character of the area (a newline is one). */
static void area_backspace(struct sb *a)
{
	while (a->len > 0) {
		unsigned char c = (unsigned char)a->buf[--a->len];
		if ((c & 0xC0) != 0x80)
			break;
	}
	if (a->buf)
		a->buf[a->len] = '\0';
}

/* The textarea's keys: text appends, Enter starts a line, Backspace and
 * C-u (the current line) delete; others (Tab, arrows) are not edits. */
static int area_key(struct field *f, int key)
{
	struct sb *a = &f->area;
	if (is_enter(key))
		key = '\n';
	if (is_backspace(key)) {
		area_backspace(a);
	} else if (key == KEYS_CTRL('u')) {
		while (a->len > 0 && a->buf[a->len - 1] != '\n')
			area_backspace(a);
	} else if (key == '\n' || (key >= 0x20 && key < 0x110000 && key != 0x7F)) {
		char enc[4];
		size_t n = key == '\n' ? 1 : utf8_encode((uint32_t)key, enc);
		if (a->len + n > f->max)
			return 0;
		sb_appendn(a, key == '\n' ? "\n" : enc, n);
	} else {
		return -1;
	}
	return 1;
}

/* Editing keys of a field; -1 when the key is not an edit. */
static int field_key(struct field *f, int key)
{
	if (f->kind == DIALOG_TEXTAREA)
		return area_key(f, key);
	if (f->kind == DIALOG_CHOICE) {
		if (!f->nchoices)
			return -1;
		if (key == ' ' || key == KEYS_FN(KEY_RIGHT))
			f->choice = (f->choice + 1) % f->nchoices;
		else if (key == KEYS_FN(KEY_LEFT))
			f->choice = (f->choice + f->nchoices - 1) % f->nchoices;
		else
			return -1;
		return 1;
	}
	if (is_backspace(key))
		line_backspace(&f->val);
	else if (key == KEYS_CTRL('u'))
		line_set(&f->val, "");
	else if (key == KEYS_CTRL('w'))
		line_kill_word(&f->val);
	else if (accepts(f, key))
		return line_insert(&f->val, (uint32_t)key) ? 1 : 0;
	else
		return key >= 0x20 && key < 0x110000 ? 0 : -1;  /* refused character: swallowed */
	return 1;
}

/* The one rule of every dialog (dialog.h): where the focus is and which key
 * came decide what happens, in this table and nowhere else. */
enum zone {
	Z_FIELD = 1,     /* a field (what it does not take as an edit) */
	Z_YES = 2,       /* the action button of a question */
	Z_NO = 4,        /* its No button */
	Z_ONLY = 8,      /* the one button of an information box */
};
#define Z_BUTTONS (Z_YES | Z_NO)
#define Z_ANY (Z_FIELD | Z_BUTTONS | Z_ONLY)

enum key_class { K_OTHER, K_ENTER, K_NEXT, K_PREV, K_SWAP, K_Y, K_N, K_ESC };

enum dialog_act {
	A_NONE,
	A_NEXT_FIELD,    /* the next field; from the last one, No: never an answer */
	A_NEXT,          /* the next field or button, around */
	A_PREV,
	A_SWAP,          /* the other button */
	A_YES,           /* the checks, then Yes */
	A_NO,            /* No; an information box closes */
	A_PRESS_Y,       /* Enter on the action button: says y is the answer */
};

static const struct key_rule {
	unsigned zones;
	enum key_class key;
	enum dialog_act act;
} key_rules[] = {
	{ Z_ANY, K_ESC, A_NO },
	{ Z_FIELD, K_ENTER, A_NEXT_FIELD },
	{ Z_ANY, K_NEXT, A_NEXT },
	{ Z_ANY, K_PREV, A_PREV },
	{ Z_BUTTONS, K_SWAP, A_SWAP },
	{ Z_BUTTONS, K_Y, A_YES },
	{ Z_BUTTONS, K_N, A_NO },
	{ Z_NO, K_ENTER, A_NO },
	{ Z_YES, K_ENTER, A_PRESS_Y },
	{ Z_ONLY, K_ENTER, A_YES },
	{ Z_ONLY, K_Y, A_YES },
	{ Z_ONLY, K_N, A_YES },
};

/* The footer hint of each zone says the same rule. */
static const struct {
	enum zone zone;
	const char *hint;
} zone_hints[] = {
	{ Z_FIELD, "Enter next field  Esc cancel" },
	{ Z_YES, "y confirm  n/Esc cancel" },
	{ Z_NO, "y confirm  Enter/n/Esc cancel" },
	{ Z_ONLY, "Enter close" },
};

static enum zone zone_of(const struct dialog *d)
{
	if (d->focus >= 0)
		return Z_FIELD;
	if (!d->no)
		return Z_ONLY;
	return d->focus == FOCUS_YES ? Z_YES : Z_NO;
}

static const char *zone_hint(const struct dialog *d)
{
	/* a textarea takes Enter as a new line (field_key): Tab leaves it */
	if (d->focus >= 0 && d->f[d->focus].kind == DIALOG_TEXTAREA)
		return "Enter new line  Tab next  Esc cancel";
	enum zone z = zone_of(d);
	for (size_t i = 0; i < DC_ARRAY_LEN(zone_hints); i++)
		if (zone_hints[i].zone == z)
			return zone_hints[i].hint;
	return "";
}

static enum key_class key_class(int key)
{
	if (is_enter(key))
		return K_ENTER;
	switch (key) {
	case KEYS_ESC: return K_ESC;
	case '\t': case KEYS_FN(KEY_DOWN): return K_NEXT;
	case KEYS_FN(KEY_BTAB): case KEYS_FN(KEY_UP): return K_PREV;
	case KEYS_FN(KEY_LEFT): case KEYS_FN(KEY_RIGHT): return K_SWAP;
	case 'y': case 'Y': return K_Y;
	case 'n': case 'N': return K_N;
	default: return K_OTHER;
	}
}

static enum dialog_act key_act(const struct dialog *d, int key)
{
	enum zone z = zone_of(d);
	enum key_class k = key_class(key);
	for (size_t i = 0; i < DC_ARRAY_LEN(key_rules); i++)
		if ((key_rules[i].zones & z) && key_rules[i].key == k)
			return key_rules[i].act;
	return A_NONE;
}

static void run_act(struct dialog *d, enum dialog_act act)
{
	switch (act) {
	case A_NEXT_FIELD: {
		int next = focus_next(d, 1);
		d->focus = next == FOCUS_YES && d->no ? FOCUS_NO : next;
		break;
	}
	case A_NEXT: d->focus = focus_next(d, 1); break;
	case A_PREV: d->focus = focus_next(d, -1); break;
	case A_SWAP: d->focus = d->focus == FOCUS_YES ? FOCUS_NO : FOCUS_YES; break;
	case A_YES: try_yes(d); break;
	case A_NO: answer(d, d->no ? DIALOG_NO : DIALOG_YES); break;
	case A_PRESS_Y:
		snprintf(d->err, sizeof d->err, "press y to %s (Enter here does not confirm)", d->yes);
		break;
	case A_NONE: break;
	}
}

unsigned dialog_key(struct dialog *d, int key)
{
	if (d->answered)
		return 0;
	unsigned r = DIALOG_HANDLED | DIALOG_DIRTY;
	if (d->focus >= 0) {
		struct field *f = &d->f[d->focus];
		int e = field_key(f, key);
		if (e >= 0) {
			if (e > 0) {
				d->err[0] = '\0';
				if (d->update)
					d->update(d->ud, d);
			}
			return e > 0 ? r : DIALOG_HANDLED;
		}
	}
	enum dialog_act act = key_act(d, key);
	if (act == A_NONE)
		return DIALOG_HANDLED;
	run_act(d, act);
	return d->answered ? r | DIALOG_CLOSED : r;
}

/* ---- drawing ---- */

static int label_width(const struct dialog *d)
{
	int w = 0;
	for (size_t i = 0; i < d->nf; i++) {
		char clean[256];
		text_sanitize(d->f[i].label, clean, sizeof clean);
		int lw = text_width(clean);
		if (lw > w)
			w = lw;
	}
	return w + 2;
}

static int wanted_width(const struct dialog *d)
{
	char clean[1024];
	int w = MIN_W;
	text_sanitize(d->title, clean, sizeof clean);
	if (text_width(clean) + 6 > w)
		w = text_width(clean) + 6;
	for (size_t i = 0; i < d->nbody; i++) {
		text_sanitize(d->body[i].text, clean, sizeof clean);
		if (text_width(clean) + 4 > w)
			w = text_width(clean) + 4;
	}
	return w > MAX_W ? MAX_W : w;
}

/* Lines the body takes wrapped at `width` columns; with w, draws them from
 * row y, at most `room` lines (the last one cut with an ellipsis if more
 * text remains). A briefing or a blast radius is read in full, not cut. */
static int body_lines(const struct dialog *d, WINDOW *w, int y, int width, int room)
{
	char clean[2048], line[2048];
	int count = 0;
	for (size_t i = 0; i < d->nbody; i++) {
		text_sanitize(d->body[i].text, clean, sizeof clean);
		const char *s = clean;
		do {
			const char *next;
			size_t len = text_wrap(s, width, &next);
			if (w && count < room) {
				bool cut = count == room - 1 && (*next || i + 1 < d->nbody);
				snprintf(line, sizeof line, "%.*s%s", (int)len, s, cut ? " \u2026" : "");
				draw_text(w, y + count, 2, width, d->body[i].el, line);
			}
			count++;
			s = next;
		} while (*s);
	}
	return count;
}

/* The visible tail of a value: the cursor sits after its last character. */
static const char *value_tail(const char *s, int width)
{
	while (*s && text_width(s) >= width) {
		uint32_t cp;
		s += utf8_decode(s, strlen(s), &cp);
	}
	return s;
}

/* The textarea's lines wrapped at width, the last f->rows of them drawn
 * from row y (the end, where typing goes, stays in sight); the cursor
 * goes after the text. */
static void draw_area(WINDOW *w, const struct field *f, enum theme_el el, int y, int vx, int vw,
                      int *cy, int *cx)
{
	const char *text = field_text(f);
	char (*ring)[512] = xcalloc((size_t)f->rows, sizeof *ring);
	int total = 0;
	for (const char *s = text;;) {
		size_t len = strcspn(s, "\n");
		char raw[2048], clean[2048];
		snprintf(raw, sizeof raw, "%.*s", (int)len, s);
		text_sanitize(raw, clean, sizeof clean);
		const char *p = clean;
		do {
			const char *next;
			size_t l = text_wrap(p, vw - 1, &next);
			snprintf(ring[total++ % f->rows], sizeof ring[0], "%.*s", (int)l, p);
			p = next;
		} while (*p);
		if (!s[len])
			break;
		s += len + 1;
	}
	int first = total > f->rows ? total - f->rows : 0;
	for (int r = 0; r < f->rows; r++) {
		draw_fill(w, y + r, vx, vw, el);
		if (first + r >= total)
			continue;
		int x = draw_text(w, y + r, vx, vw, el, ring[(first + r) % f->rows]);
		if (first + r == total - 1) {
			*cy = y + r;
			*cx = x - vw + text_width(ring[(first + r) % f->rows]);
		}
	}
	if (!text[0] && f->hint)
		draw_text(w, y, vx + 1, vw - 1, THEME_DIM, f->hint);
	free(ring);
}

static void draw_field(struct dialog *d, const struct field *f, bool focused, int y, int lx,
                       int vx, int vw, int *cy, int *cx)
{
	WINDOW *w = d->win;
	draw_text(w, y, lx, vx - lx, focused ? THEME_TITLE : THEME_TEXT, f->label);
	enum theme_el el = focused ? THEME_SELECTION : THEME_CMDLINE;
	if (f->kind == DIALOG_TEXTAREA) {
		int ay = -1, ax = -1;
		draw_area(w, f, el, y, vx, vw, &ay, &ax);
		if (focused) {
			*cy = ay;
			*cx = ax;
		}
		return;
	}
	char shown[sizeof f->val.buf * 3];
	if (f->kind == DIALOG_CHOICE) {
		snprintf(shown, sizeof shown, "< %s >", f->nchoices ? f->choices[f->choice] : "");
		draw_fill(w, y, vx, vw, THEME_TEXT);
		draw_text(w, y, vx, vw, el, shown);
		return;
	}
	if (f->kind == DIALOG_SECRET) {
		size_t n = 0;
		for (const char *s = f->val.buf; *s && n + 1 < sizeof shown; s++)
			if (((unsigned char)*s & 0xC0) != 0x80)
				shown[n++] = '*';
		shown[n] = '\0';
	} else {
		text_sanitize(f->val.buf, shown, sizeof shown);
	}
	const char *tail = value_tail(shown, vw);
	draw_fill(w, y, vx, vw, el);
	int x = draw_text(w, y, vx, vw, el, tail);
	if (!f->val.buf[0] && f->hint)
		draw_text(w, y, vx + 1, vw - 1, THEME_DIM, f->hint);
	if (focused) {
		*cy = y;
		*cx = f->val.buf[0] ? x : vx;
	}
}

static void draw_buttons(struct dialog *d, int y, int width)
{
	char yes[64], no[64];
	snprintf(yes, sizeof yes, "[ %s ]", d->yes);
	snprintf(no, sizeof no, "[ %s ]", d->no ? d->no : "");
	int x = 2;
	x = draw_text(d->win, y, x, text_width(yes), d->focus == FOCUS_YES ? THEME_SELECTION : THEME_TEXT,
	              yes);
	if (d->no)
		draw_text(d->win, y, x + 3, text_width(no),
		          d->focus == FOCUS_NO ? THEME_SELECTION : THEME_TEXT, no);
	/* the rule's hint sits in the bottom border: it never competes with long button labels */
	char hint[80];
	snprintf(hint, sizeof hint, " %s ", zone_hint(d));
	int hw = text_width(hint);
	if (hw <= width - 4)
		draw_text(d->win, y + 1, width - 2 - hw, hw, THEME_DIM, hint);
}

/* Box-drawing characters as text: capture-pane and every UTF-8 terminal
 * show them, where the ACS alternate set depends on terminfo. */
static void draw_border(WINDOW *w, int height, int width)
{
	char line[4 * 256];
	size_t n = 0;
	for (int x = 0; x < width - 2 && n + 4 < sizeof line; x++)
		n += (size_t)snprintf(line + n, sizeof line - n, "\u2500");
	draw_text(w, 0, 0, 1, THEME_BORDER, "\u250c");
	draw_text(w, 0, 1, width - 2, THEME_BORDER, line);
	draw_text(w, 0, width - 1, 1, THEME_BORDER, "\u2510");
	for (int y = 1; y < height - 1; y++) {
		draw_text(w, y, 0, 1, THEME_BORDER, "\u2502");
		draw_text(w, y, width - 1, 1, THEME_BORDER, "\u2502");
	}
	draw_text(w, height - 1, 0, 1, THEME_BORDER, "\u2514");
	draw_text(w, height - 1, 1, width - 2, THEME_BORDER, line);
	draw_text(w, height - 1, width - 1, 1, THEME_BORDER, "\u2518");
}

bool dialog_draw(struct dialog *d, int lines, int cols)
{
	int width = wanted_width(d);
	if (width > cols - 2)
		width = cols - 2;
	int frows = 0;
	for (size_t i = 0; i < d->nf; i++)
		frows += d->f[i].rows;
	int fixed = 2 + frows + 2 + (d->nf ? 1 : 0);   /* borders, fields, error, buttons, gap */
	int room = lines - 2 - fixed;
	int wanted = body_lines(d, NULL, 0, width - 4, 0);
	int nbody = wanted < room ? wanted : room > 0 ? room : 0;
	int height = fixed + nbody + (nbody && d->nf ? 1 : 0);
	if (height > lines)
		height = lines;
	if (width < 20 || height < 4)
		return false;
	if (!d->win || d->wh != height || d->ww != width) {
		if (d->win)
			delwin(d->win);
		d->win = newwin(height, width, (lines - height) / 2, (cols - width) / 2);
		d->wh = height;
		d->ww = width;
	} else {
		mvwin(d->win, (lines - height) / 2, (cols - width) / 2);
	}
	if (!d->win)
		return false;
	WINDOW *w = d->win;
	/* the view under it was just copied over this area: copy all of it again */
	touchwin(w);
	for (int y = 0; y < height; y++)
		draw_fill(w, y, 0, width, THEME_TEXT);
	draw_border(w, height, width);
	char title[300];
	snprintf(title, sizeof title, " %s ", d->title);
	char clean[300];
	text_sanitize(title, clean, sizeof clean);
	int tw = text_width(clean);
	draw_text(w, 0, 2, tw < width - 4 ? tw : width - 4, THEME_TITLE, clean);

	int y = 1;
	body_lines(d, w, y, width - 4, nbody);
	y += nbody;
	if (nbody && d->nf)
		y++;
	int lw = label_width(d);
	if (lw > (width - 4) / 2)
		lw = (width - 4) / 2;
	int cy = -1, cx = -1;
	for (size_t i = 0; i < d->nf && y + d->f[i].rows <= height - 3; y += d->f[i].rows, i++)
		draw_field(d, &d->f[i], d->focus == (int)i, y, 2, 2 + lw, width - 4 - lw, &cy, &cx);
	if (d->err[0])
		draw_text(w, height - 3, 2, width - 4, THEME_ERROR, d->err);
	draw_buttons(d, height - 2, width);
	if (cy >= 0 && d->f[d->focus].kind != DIALOG_CHOICE)
		wmove(w, cy, cx);
	wnoutrefresh(w);
	return cy >= 0 && d->f[d->focus].kind != DIALOG_CHOICE;
}

/* ---- host ---- */

struct dialog_host {
	struct dialog **v;
	size_t n, cap;
};

struct dialog_host *dialog_host_new(void)
{
	return xcalloc(1, sizeof(struct dialog_host));
}

void dialog_host_free(struct dialog_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		dialog_free(h->v[i]);
	free(h->v);
	free(h);
}

void dialog_host_push(struct dialog_host *h, struct dialog *d)
{
	h->v = xgrow(h->v, &h->cap, h->n + 1, sizeof *h->v);
	h->v[h->n++] = d;
}

bool dialog_host_active(const struct dialog_host *h)
{
	return h && h->n > 0;
}

struct dialog *dialog_host_top(const struct dialog_host *h)
{
	return h && h->n ? h->v[h->n - 1] : NULL;
}

static void host_remove(struct dialog_host *h, size_t i)
{
	dialog_free(h->v[i]);
	memmove(h->v + i, h->v + i + 1, (h->n - i - 1) * sizeof *h->v);
	h->n--;
}

unsigned dialog_host_key(struct dialog_host *h, int key)
{
	struct dialog *d = dialog_host_top(h);
	if (!d)
		return 0;
	unsigned r = dialog_key(d, key);
	if (!d->answered)
		return r;
	/* the done callback may have pushed another dialog: find this one */
	for (size_t i = h->n; i-- > 0;)
		if (h->v[i] == d) {
			host_remove(h, i);
			break;
		}
	return r | DIALOG_CLOSED | DIALOG_DIRTY;
}

bool dialog_host_drop(struct dialog_host *h, const void *ud)
{
	bool any = false;
	for (size_t i = h->n; i-- > 0;)
		if (h->v[i]->ud == ud) {
			host_remove(h, i);
			any = true;
		}
	return any;
}

bool dialog_host_draw(struct dialog_host *h, int lines, int cols)
{
	struct dialog *d = dialog_host_top(h);
	return d ? dialog_draw(d, lines, cols) : false;
}
