/* test_text.c — backend/text.c, the one rule for untrusted text: the
 * console's sanitiser (C0, C1, bidi, escape sequences, invalid UTF-8),
 * the visible escapes of script output, and JSON that stays valid with
 * those characters \u-escaped. Run under LC_ALL=C on purpose: Hangul must
 * stay Hangul, two columns, whatever the operator's locale. */
#include <cjson/cJSON.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

#define HANBIT "\xed\x95\x9c\xeb\xb9\x9b\xeb\x9e\xa9"   /* 한빛랩: 6 columns */
#define OSC_TITLE "\x1b]2;x\x07"                        /* ESC ] 2 ; x BEL */
#define CLEAR "\x1b[2J"
#define NEL "\xc2\x85"                                  /* U+0085, C1 */
#define CSI1 "\xc2\x9b"                                 /* U+009B, C1 CSI */
#define RLO "\xe2\x80\xae"                              /* U+202E */
#define LRI "\xe2\x81\xa6"                              /* U+2066 */

static const char *clean(const char *s)
{
	static char out[256];
	text_sanitize(s, out, sizeof out);
	return out;
}

static const char *esc(const char *s)
{
	static char out[512];
	struct sb sb = {0};
	text_escape(&sb, s);
	snprintf(out, sizeof out, "%s", sb.buf);
	sb_free(&sb);
	return out;
}

static const char *esc_md(const char *s)
{
	static char out[512];
	struct sb sb = {0};
	text_escape_md(&sb, s);
	snprintf(out, sizeof out, "%s", sb.buf);
	sb_free(&sb);
	return out;
}

static void test_sanitize_c0(void **state)
{
	(void)state;
	assert_string_equal(clean("a" OSC_TITLE "b" CLEAR "c"), "abc");
	assert_string_equal(clean("bell\x07\x08\x7f!"), "bell!");
	assert_string_equal(clean("tab\there\nnl\r"), "tab here nl ");
	assert_string_equal(clean(NULL), "");
}

static void test_sanitize_c1(void **state)
{
	(void)state;
	assert_string_equal(clean("a" NEL "b"), "ab");
	assert_string_equal(clean("c1" CSI1 "31m"), "c131m");
	assert_string_equal(clean("\xc2\x80\xc2\x9f" "x"), "x");
	assert_string_equal(clean("\xc2\xa0"), "\xc2\xa0");          /* U+00A0 is a character */
}

static void test_sanitize_bidi(void **state)
{
	(void)state;
	assert_string_equal(clean(RLO "exe.txt"), "exe.txt");
	assert_string_equal(clean("a" LRI "b\xe2\x81\xa9" "c"), "abc");           /* U+2066, U+2069 */
	assert_string_equal(clean("x\xe2\x80\xaa\xe2\x80\xad" "y"), "xy");        /* U+202A, U+202D */
	assert_string_equal(clean("l\xe2\x80\x8e\xe2\x80\x8fr\xd8\x9c"), "lr");   /* LRM RLM ALM */
	assert_string_equal(clean("p\xe2\x80\xa8q"), "p q");                      /* U+2028 */
}

static void test_sanitize_invalid(void **state)
{
	(void)state;
	assert_string_equal(clean("a\xff" "b"), "a\xef\xbf\xbd" "b");
	assert_string_equal(clean("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");               /* overlong */
	assert_string_equal(clean("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	assert_string_equal(clean(HANBIT "\xea\xb0"), HANBIT "\xef\xbf\xbd\xef\xbf\xbd");  /* cut */
	assert_int_equal(text_width(clean("\xff\xfe")), 2);
}

/* The process runs under LC_ALL=C (main): widths and "printable" are
 * still those of a UTF-8 locale. */
static void test_hangul_under_c_locale(void **state)
{
	(void)state;
	assert_string_equal(clean(HANBIT), HANBIT);
	assert_int_equal(text_width(HANBIT), 6);
	assert_int_equal(text_width(clean("GPU " HANBIT RLO)), 10);
	char fit[64];
	text_fit(HANBIT, 5, false, fit, sizeof fit);
	assert_string_equal(fit, "\xed\x95\x9c\xeb\xb9\x9b\xe2\x80\xa6");   /* 한빛… */
	const char *next;
	assert_int_equal(text_wrap(HANBIT " ok", 7, &next), strlen(HANBIT));
	assert_string_equal(next, "ok");
	assert_string_equal(esc(HANBIT " ok"), HANBIT " ok");
}

static void test_escape_visible(void **state)
{
	(void)state;
	assert_string_equal(esc("a" OSC_TITLE CLEAR), "a\\x1b]2;x\\x07\\x1b[2J");
	assert_string_equal(esc("n" NEL "o"), "n<U+0085>o");
	assert_string_equal(esc(RLO "gnp.exe" LRI), "<U+202E>gnp.exe<U+2066>");
	assert_string_equal(esc("del\x7f"), "del\\x7f");
	assert_string_equal(esc("bad\xff"), "bad\\xff");
	assert_string_equal(esc("two\nlines\ttab"), "two lines tab");
	assert_string_equal(esc(NULL), "");
	assert_string_equal(esc_md("*b* [l](x) " RLO), "\\*b\\* \\[l\\](x) <U+202E>");
}

/* No ESC, C1 or bidi byte sequence anywhere in s. */
static void assert_inert(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		assert_false(*p == 0x1b || *p == 0x07 || *p == 0x7f);
		assert_false(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);
		assert_false(p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae);
		assert_false(p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
	}
}

static void test_json_escaped_and_valid(void **state)
{
	(void)state;
	static const char hostile[] = "t" OSC_TITLE CLEAR NEL RLO LRI "\x7f\xff" HANBIT;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "title", hostile);
	cJSON_AddStringToObject(o, "k" RLO, "v");
	char *s = text_json(o);
	assert_inert(s);
	assert_non_null(strstr(s, "\\u001b]2;x\\u0007\\u001b[2J\\u0085\\u202e\\u2066\\u007f\\ufffd" HANBIT));
	assert_non_null(strstr(s, "\"k\\u202e\""));
	cJSON *back = cJSON_Parse(s);
	assert_non_null(back);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(back, "title");
	assert_true(cJSON_IsString(t));
	/* the same text, but the stray byte, which reads back as U+FFFD */
	assert_string_equal(t->valuestring, "t" OSC_TITLE CLEAR NEL RLO LRI "\x7f\xef\xbf\xbd" HANBIT);
	cJSON_Delete(back);
	cJSON_Delete(o);
	free(s);
	o = cJSON_CreateString("\xf0\x9f\x98\x80 \xf3\xa0\x80\x81");   /* U+1F600, U+E0001 (tag) */
	s = text_json(o);
	assert_non_null(strstr(s, "\xf0\x9f\x98\x80"));
	cJSON_Delete(o);
	free(s);
}

static void test_putline(void **state)
{
	(void)state;
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof buf, "w");
	assert_non_null(f);
	text_putline(f, "dcops drill start: drill 1 (%s) is running", "x" OSC_TITLE CLEAR RLO "\n");
	fclose(f);
	assert_inert(buf);
	assert_string_equal(buf, "dcops drill start: drill 1 (x\\x1b]2;x\\x07\\x1b[2J<U+202E> ) is running\n");
}

static void vlogline(FILE *f, const char *who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	text_vlogline(f, who, fmt, ap);
	va_end(ap);
}

/* A log line: a UTC stamp, who, the text, all inert, none of it cut. */
static void test_logline(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	char big[3000];
	memset(big, 'n', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	vlogline(f, "dcops relay: ", "node %s%s: %s", "x" OSC_TITLE CLEAR RLO, big, "end");
	fclose(f);
	assert_inert(buf);
	/* 2026-01-05T09:00:00Z: 20 characters, then a space */
	assert_int_equal(buf[4], '-');
	assert_int_equal(buf[19], 'Z');
	assert_non_null(strstr(buf + 20, " dcops relay: node x\\x1b]2;x\\x07\\x1b[2J<U+202E>nnn"));
	assert_int_equal(strlen(buf), 21 + strlen("dcops relay: node x\\x1b]2;x\\x07\\x1b[2J<U+202E>") + strlen(big) +
	                                  strlen(": end\n"));
	free(buf);
}

/* One plural rule, and one labelled time zone for every time shown. */
static void test_words_and_zone(void **state)
{
	(void)state;
	assert_string_equal(text_plural(1, "GPU", "GPUs"), "GPU");
	assert_string_equal(text_plural(0, "GPU", "GPUs"), "GPUs");
	assert_string_equal(text_plural(16, "job keeps", "jobs keep"), "jobs keep");
	enum text_zone z = TEXT_ZONE_KST;
	assert_int_equal(text_zone_parse("utc", &z), 0);
	assert_int_equal(z, TEXT_ZONE_UTC);
	assert_int_equal(text_zone_parse("Asia/Seoul", &z), -1);
	assert_int_equal(text_zone_parse(NULL, &z), -1);
	char b[32];
	assert_string_equal(text_zone_name(), "KST");     /* the default: the Gwangju site */
	text_time(1740787200 + 15 * 3600 + 4 * 60, "%Y-%m-%d %H:%M", b, sizeof b);
	assert_string_equal(b, "2025-03-02 00:04 KST");
	text_time(0, "%H:%M", b, sizeof b);
	assert_string_equal(b, "-");
	text_zone_set(TEXT_ZONE_UTC);
	assert_int_equal(text_zone_offset(), 0);
	text_time(1740787200 + 15 * 3600 + 4 * 60, "%Y-%m-%d %H:%M", b, sizeof b);
	assert_string_equal(b, "2025-03-01 15:04 UTC");
	text_time(1740787200, "%H:%M", b, 4);      /* too small: cut, still terminated */
	assert_true(strlen(b) < 4);
	text_zone_set(TEXT_ZONE_KST);
}

int main(void)
{
	setlocale(LC_ALL, "C");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_c0),
		cmocka_unit_test(test_sanitize_c1),
		cmocka_unit_test(test_sanitize_bidi),
		cmocka_unit_test(test_sanitize_invalid),
		cmocka_unit_test(test_hangul_under_c_locale),
		cmocka_unit_test(test_escape_visible),
		cmocka_unit_test(test_json_escaped_and_valid),
		cmocka_unit_test(test_putline),
		cmocka_unit_test(test_logline),
		cmocka_unit_test(test_words_and_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
