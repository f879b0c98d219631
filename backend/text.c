/* text.c — untrusted text made inert (see text.h): one scanner classifies
 * each character by the table below; the console drops what it flags,
 * script text shows it escaped, JSON \u-escapes it. */
#include "text.h"

#include <cjson/cJSON.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>

#define REPLACEMENT 0xFFFDu
#define ELLIPSIS "\xe2\x80\xa6"  /* U+2026 */

enum unit_kind {
	U_CHAR,        /* shown as it is */
	U_SPACE,       /* shown as a space */
	U_ESC,         /* ESC: starts a sequence */
	U_CONTROL,     /* C0, DEL, C1, bidi controls: never shown */
	U_UNPRINTABLE, /* valid, but no width in a UTF-8 locale */
	U_INVALID,     /* one byte that is not UTF-8 */
};

/* The rule of text.h; the first matching row wins. */
static const struct cp_rule {
	uint32_t lo, hi;
	enum unit_kind kind;
} cp_rules[] = {
	{ 0x09, 0x0A, U_SPACE },
	{ 0x0D, 0x0D, U_SPACE },
	{ 0x1B, 0x1B, U_ESC },
	{ 0x00, 0x1F, U_CONTROL },
	{ 0x7F, 0x9F, U_CONTROL },     /* DEL and C1 (U+009B is a one-character CSI) */
	{ 0x061C, 0x061C, U_CONTROL }, /* Arabic letter mark */
	{ 0x200E, 0x200F, U_CONTROL }, /* LRM, RLM */
	{ 0x2028, 0x2029, U_SPACE },   /* line and paragraph separators */
	{ 0x202A, 0x202E, U_CONTROL }, /* LRE RLE PDF LRO RLO */
	{ 0x2066, 0x2069, U_CONTROL }, /* LRI RLI FSI PDI */
};

size_t utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	*cp = REPLACEMENT;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t len;
	uint32_t c, min;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2; c = s[0] & 0x1F; min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3; c = s[0] & 0x0F; min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4; c = s[0] & 0x07; min = 0x10000;
	} else {
		return 1;
	}
	if (n < len)
		return 1;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 1;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 1;
	*cp = c;
	return len;
}

size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---------------------------------------------------------------- widths */

/* wcwidth answers for the calling thread's LC_CTYPE: under "C" every
 * non-ASCII character is unprintable. Script commands run in whatever
 * locale the operator has, so widths are asked of C.UTF-8, made once;
 * where it does not exist, of the process's own locale. */
static locale_t utf8_ctype(void)
{
	static locale_t loc;
	static bool tried;
	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

static locale_t ctype_enter(void)
{
	locale_t l = utf8_ctype();
	return l ? uselocale(l) : (locale_t)0;
}

static void ctype_leave(locale_t old)
{
	if (old)
		uselocale(old);
}

/* ---------------------------------------------------------------- scanning */

struct unit {
	size_t len;
	uint32_t cp;
	enum unit_kind kind;
};

/* The next character of s (n > 0 bytes left); call inside ctype_enter. */
static struct unit unit_next(const char *s, size_t n)
{
	struct unit u = { .kind = U_CHAR };
	u.len = utf8_decode(s, n, &u.cp);
	if (u.cp == REPLACEMENT && u.len == 1 && (unsigned char)s[0] >= 0x80) {
		u.cp = (unsigned char)s[0];
		u.kind = U_INVALID;
		return u;
	}
	for (size_t i = 0; i < DC_ARRAY_LEN(cp_rules); i++)
		if (u.cp >= cp_rules[i].lo && u.cp <= cp_rules[i].hi) {
			u.kind = cp_rules[i].kind;
			return u;
		}
	if (wcwidth((wchar_t)u.cp) < 0)
		u.kind = U_UNPRINTABLE;
	return u;
}

/* Bytes of the escape sequence starting at s[0] == ESC. */
static size_t esc_len(const char *s, size_t n)
{
	if (n < 2)
		return 1;
	size_t i = 2;
	switch (s[1]) {
	case '[': /* CSI: parameters and intermediates up to a final byte */
		while (i < n && !(s[i] >= 0x40 && s[i] <= 0x7E))
			i++;
		return i < n ? i + 1 : n;
	case ']': case 'P': case 'X': case '^': case '_': /* strings up to BEL or ST */
		for (; i < n; i++) {
			if (s[i] == '\a')
				return i + 1;
			if (s[i] == 0x1B && i + 1 < n && s[i + 1] == '\\')
				return i + 2;
		}
		return n;
	default:
		return (unsigned char)s[1] >= 0x20 && (unsigned char)s[1] < 0x7F ? 2 : 1;
	}
}

/* ---------------------------------------------------------------- console */

size_t text_sanitize(const char *src, char *out, size_t outsz)
{
	size_t o = 0;
	if (!src)
		src = "";
	size_t n = strlen(src);
	locale_t old = ctype_enter();
	for (size_t i = 0; i < n;) {
		struct unit u = unit_next(src + i, n - i);
		if (u.kind == U_ESC) {
			i += esc_len(src + i, n - i);
			continue;
		}
		i += u.len;
		uint32_t cp = u.cp;
		if (u.kind == U_CONTROL)
			continue;
		if (u.kind == U_SPACE)
			cp = ' ';
		else if (u.kind == U_INVALID || u.kind == U_UNPRINTABLE)
			cp = REPLACEMENT;
		char enc[4];
		size_t len = utf8_encode(cp, enc);
		if (o + len + 1 > outsz)
			break;
		memcpy(out + o, enc, len);
		o += len;
	}
	ctype_leave(old);
	out[o] = '\0';
	return o;
}

static int cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int text_width(const char *s)
{
	int w = 0;
	size_t n = strlen(s);
	locale_t old = ctype_enter();
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += utf8_decode(s + i, n - i, &cp);
		w += cp_width(cp);
	}
	ctype_leave(old);
	return w;
}

/* ---------------------------------------------------------------- fitting */

static size_t put_spaces(char *out, size_t o, size_t outsz, int count)
{
	for (; count > 0 && o + 2 <= outsz; count--)
		out[o++] = ' ';
	return o;
}

/* Copies whole characters of s while they fit in `budget` columns and the
 * buffer; returns the bytes written, the columns in *w. */
static size_t copy_cols(const char *s, int budget, char *out, size_t outsz, int *w)
{
	size_t n = strlen(s), o = 0;
	*w = 0;
	locale_t old = ctype_enter();
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		int cw = cp_width(cp);
		if (*w + cw > budget || o + len + 1 > outsz)
			break;
		memcpy(out + o, s + i, len);
		o += len;
		*w += cw;
		i += len;
	}
	ctype_leave(old);
	return o;
}

size_t text_wrap(const char *s, int width, const char **next)
{
	size_t n = strlen(s), i = 0, brk = 0;
	int w = 0;
	locale_t old = ctype_enter();
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		int cw = cp_width(cp);
		if (w + cw > width && i > 0)
			break;
		if (cp == ' ')
			brk = i;
		w += cw;
		i += len;
	}
	ctype_leave(old);
	size_t end = i < n && brk > 0 ? brk : i;
	const char *rest = s + end;
	while (*rest == ' ')
		rest++;
	*next = rest;
	return end;
}

size_t text_fit(const char *s, int width, bool right, char *out, size_t outsz)
{
	size_t o = 0;
	int w;
	if (width < 0)
		width = 0;
	int total = text_width(s);
	if (total <= width) {
		if (right)
			o = put_spaces(out, o, outsz, width - total);
		o += copy_cols(s, width, out + o, outsz - o, &w);
		if (!right)
			o = put_spaces(out, o, outsz, width - w);
		out[o] = '\0';
		return o;
	}
	int ellw = text_width(ELLIPSIS);
	int budget = width - ellw;
	if (budget < 0) {
		o = put_spaces(out, o, outsz, width);
		out[o] = '\0';
		return o;
	}
	o = copy_cols(s, budget, out, outsz, &w);
	o = put_spaces(out, o, outsz, budget - w);
	if (o + strlen(ELLIPSIS) + 1 <= outsz) {
		memcpy(out + o, ELLIPSIS, strlen(ELLIPSIS));
		o += strlen(ELLIPSIS);
	}
	out[o] = '\0';
	return o;
}

/* ---------------------------------------------------------------- script text */

static void escape(struct sb *sb, const char *str, const char *md_punct)
{
	const char *s = str ? str : "";
	size_t n = strlen(s);
	locale_t old = ctype_enter();
	for (size_t i = 0; i < n;) {
		struct unit u = unit_next(s + i, n - i);
		switch (u.kind) {
		case U_SPACE:
			sb_append(sb, " ");
			break;
		case U_ESC:
		case U_INVALID:
			sb_appendf(sb, "\\x%02x", (unsigned)u.cp);
			break;
		case U_CONTROL:
		case U_UNPRINTABLE:
			if (u.cp < 0x80)
				sb_appendf(sb, "\\x%02x", (unsigned)u.cp);
			else
				sb_appendf(sb, "<U+%04X>", (unsigned)u.cp);
			break;
		case U_CHAR:
			if (md_punct && u.cp < 0x80 && strchr(md_punct, (int)u.cp))
				sb_append(sb, "\\");
			sb_appendn(sb, s + i, u.len);
			break;
		}
		i += u.len;
	}
	ctype_leave(old);
	if (!sb->buf)
		sb_append(sb, "");
}

void text_escape(struct sb *sb, const char *s)
{
	escape(sb, s, NULL);
}

void text_escape_md(struct sb *sb, const char *s)
{
	escape(sb, s, "\\`*_[]<>|~!&#@");
}

size_t text_escape_buf(const char *s, char *out, size_t outsz)
{
	struct sb sb = {0};
	text_escape(&sb, s);
	size_t o = 0;
	for (size_t i = 0; i < sb.len;) {
		uint32_t cp;
		size_t len = utf8_decode(sb.buf + i, sb.len - i, &cp);
		if (o + len + 1 > outsz)
			break;
		memcpy(out + o, sb.buf + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	sb_free(&sb);
	return o;
}

/* prefix, then fmt formatted, escaped as one line on f. */
static void vputline(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	char *raw = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	raw[0] = '\0';
	if (n > 0)
		vsnprintf(raw, (size_t)n + 1, fmt, ap);
	struct sb sb = {0};
	text_escape(&sb, prefix);
	text_escape(&sb, raw);
	free(raw);
	fprintf(f, "%s\n", sb.buf ? sb.buf : "");
	sb_free(&sb);
}

void text_putline(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vputline(f, "", fmt, ap);
	va_end(ap);
}

void text_vlogline(FILE *f, const char *who, const char *fmt, va_list ap)
{
	char prefix[128];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	size_t n = strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	snprintf(prefix + n, sizeof prefix - n, "%s", who);
	vputline(f, prefix, fmt, ap);
}

/* ---------------------------------------------------------------- words */

const char *text_plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static const struct {
	const char *name;
	long offset;
} zones[] = {
	[TEXT_ZONE_KST] = { "KST", 9 * 3600 },
	[TEXT_ZONE_UTC] = { "UTC", 0 },
};
static enum text_zone zone = TEXT_ZONE_KST;

void text_zone_set(enum text_zone z)
{
	zone = z;
}

int text_zone_parse(const char *s, enum text_zone *z)
{
	for (size_t i = 0; s && i < DC_ARRAY_LEN(zones); i++)
		if (strcasecmp(s, zones[i].name) == 0) {
			*z = (enum text_zone)i;
			return 0;
		}
	return -1;
}

const char *text_zone_name(void)
{
	return zones[zone].name;
}

long text_zone_offset(void)
{
	return zones[zone].offset;
}

void text_time(int64_t t, const char *fmt, char *buf, size_t n)
{
	if (t <= 0) {
		snprintf(buf, n, "-");
		return;
	}
	time_t tt = (time_t)(t + zones[zone].offset);
	struct tm tm;
	gmtime_r(&tt, &tm);
	size_t len = n ? strftime(buf, n, fmt, &tm) : 0;
	if (len == 0 && n)
		buf[0] = '\0';
	snprintf(buf + len, n - len, " %s", zones[zone].name);
}

/* ---------------------------------------------------------------- JSON */

static void json_u(struct sb *sb, uint32_t cp)
{
	if (cp < 0x10000) {
		sb_appendf(sb, "\\u%04x", (unsigned)cp);
		return;
	}
	cp -= 0x10000;
	sb_appendf(sb, "\\u%04x\\u%04x", (unsigned)(0xD800 + (cp >> 10)), (unsigned)(0xDC00 + (cp & 0x3FF)));
}

/* cJSON escapes only what JSON requires (below U+0020, '"', '\\'); the
 * rest of its output is ASCII structure and raw string bytes. Every
 * non-ASCII character and DEL can only be inside a string, so escaping
 * them here keeps the document valid. */
char *text_json(const cJSON *j)
{
	char *raw = cJSON_Print(j);
	if (!raw) {
		fprintf(stderr, "dcops: out of memory printing JSON\n");
		abort();
	}
	struct sb sb = {0};
	size_t n = strlen(raw);
	locale_t old = ctype_enter();
	for (size_t i = 0; i < n;) {
		struct unit u = unit_next(raw + i, n - i);
		if (u.kind == U_INVALID)
			json_u(&sb, REPLACEMENT);
		else if (u.cp == 0x7F || (u.cp >= 0x80 && u.kind != U_CHAR))
			json_u(&sb, u.cp);
		else
			sb_appendn(&sb, raw + i, u.len);
		i += u.len;
	}
	ctype_leave(old);
	cJSON_free(raw);
	return sb_take(&sb);
}

void text_json_print(FILE *f, const cJSON *j)
{
	char *s = text_json(j);
	fprintf(f, "%s\n", s);
	free(s);
}
