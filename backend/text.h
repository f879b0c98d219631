/* text.h — untrusted text made inert before it reaches a terminal: one
 * UTF-8 decoder and one rule of what may be shown, used by the console
 * (tui/draw.c) and by every script command that prints.
 *
 * The rule: tab, CR, LF and U+2028/U+2029 read as a space; C0 and C1
 * controls, DEL, escape sequences (ESC and what follows it) and the bidi
 * controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C) never
 * reach the terminal; invalid UTF-8 (overlong, surrogate, cut, stray
 * bytes) and characters with no display width are not passed through.
 * Widths (text_width, text_fit, text_wrap) come from wcwidth under a
 * UTF-8 LC_CTYPE whatever the process's locale, so Hangul is two columns
 * and stays Hangul under LANG=C too.
 *
 * What each output does with what the rule keeps out:
 *   text_sanitize    the console: drops it (whole escape sequences), puts
 *                    U+FFFD for invalid UTF-8 and unprintable characters
 *   text_escape      script text output: shows it, "\x1b" for a C0 byte,
 *                    DEL or a stray byte, "<U+202E>" for a C1, bidi or
 *                    unprintable character, so a reader sees what was tried
 *   text_escape_md   the same, with Markdown punctuation backslash-escaped
 *   text_json        JSON output: valid JSON, every such character as a
 *                    \u escape (\u001b, \u0085, \u202e), invalid UTF-8 as
 *                    \ufffd
 *
 * Ownership: text_sanitize writes into the caller's buffer (always
 * NUL-terminated, never half a character); the escapes append to the
 * caller's struct sb; text_json returns memory the caller frees. Nothing
 * keeps state but the UTF-8 ctype locale, made once. */
#ifndef DCOPS_TEXT_H
#define DCOPS_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct cJSON;

/* Decodes one UTF-8 character from s (n bytes available, n >= 1). Returns
 * the bytes consumed (>= 1); an invalid, overlong or surrogate sequence
 * consumes one byte and yields U+FFFD. */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Encodes cp (<= U+10FFFF) into out; returns 1..4. */
size_t utf8_encode(uint32_t cp, char out[4]);

/* Copies src into out (outsz >= 1) for display on one line, by the rule
 * above. NULL reads as "". Returns the bytes written (without the NUL). */
size_t text_sanitize(const char *src, char *out, size_t outsz);
/* Columns a (sanitised) UTF-8 string takes. */
int text_width(const char *s);
/* Writes s (already sanitised) into out as exactly `width` columns: padded
 * with spaces (left- or right-aligned), or cut with an ellipsis; a wide
 * character that would straddle the cut becomes a space. */
size_t text_fit(const char *s, int width, bool right, char *out, size_t outsz);
/* The length in bytes of the first line of s (already sanitised) when
 * wrapped at `width` columns: up to the last space that fits, or a hard
 * cut inside a word longer than the line (never inside a character). *next
 * is where the following line starts (spaces at the break skipped). */
size_t text_wrap(const char *s, int width, const char **next);

/* Appends s (NULL reads as "") to sb as one visible, inert line. */
void text_escape(struct sb *sb, const char *s);
void text_escape_md(struct sb *sb, const char *s);
/* text_escape into out (outsz >= 1), cut before a character that does
 * not fit; returns the bytes written (without the NUL). */
size_t text_escape_buf(const char *s, char *out, size_t outsz);

/* j printed as indented JSON (cJSON_Print), with every character the rule
 * keeps out of a terminal \u-escaped. Never NULL (aborts on no memory). */
char *text_json(const struct cJSON *j);
/* text_json(j) and a newline on f. */
void text_json_print(FILE *f, const struct cJSON *j);

/* Formats one line, escapes all of it (text_escape) and writes it with a
 * newline: for messages that carry server or file text. */
void text_putline(FILE *f, const char *fmt, ...) DC_PRINTF(2, 3);
/* The same as a log line: "2026-01-05T09:00:00Z " (UTC, now), who, then
 * the formatted text, all of it escaped, whatever its length. */
void text_vlogline(FILE *f, const char *who, const char *fmt, va_list ap) DC_PRINTF(3, 0);

/* ---- words and times shown to the operator (console and reports) ----
 * One plural rule: text_plural(n, "GPU", "GPUs") is `one` for n == 1, else
 * `many` ("1 GPU", "0 GPUs", "1 running job keeps running").
 *
 * One time zone for every time shown, console and reports alike: KST
 * (UTC+9, no daylight saving) or UTC, chosen once at start from the
 * operator's config ("timezone"), default KST, the Gwangju site's. This
 * is the one piece of process state here. text_time writes t (UTC
 * seconds) with a strftime format in that zone followed by its label:
 * "2025-03-01 21:04 KST"; "-" for t <= 0. */
const char *text_plural(long n, const char *one, const char *many);

enum text_zone { TEXT_ZONE_KST, TEXT_ZONE_UTC };
void text_zone_set(enum text_zone z);
/* "KST" / "UTC" (any case); -1 when neither. */
int text_zone_parse(const char *s, enum text_zone *z);
const char *text_zone_name(void);
long text_zone_offset(void);        /* seconds east of UTC */
void text_time(int64_t t, const char *fmt, char *buf, size_t n);

#endif
