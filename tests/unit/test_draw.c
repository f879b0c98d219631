/* test_draw.c — width-aware text (Hangul and ASCII), truncation that never
 * splits a wide character, sanitising untrusted text, short formats. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "draw.h"

#define CORP "(\xec\xa3\xbc)\xeb\x94\xa5\xeb\xb9\x84\xec\xa0\x84\xeb\x9e\xa9\xec\x8a\xa4" /* (주)딥비전랩스 */

static const char *fit(const char *s, int width, bool right)
{
	static char out[256];
	text_fit(s, width, right, out, sizeof out);
	return out;
}

static const char *clean(const char *s)
{
	static char out[256];
	text_sanitize(s, out, sizeof out);
	return out;
}

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width("gpu-h100-001"), 12);
	assert_int_equal(text_width(CORP), 14);
	assert_int_equal(text_width("GPU \xea\xb0\x80"), 6);        /* "GPU 가" */
	assert_int_equal(text_width("e\xcc\x81"), 1);               /* e + combining acute */
}

static void test_fit_pad(void **state)
{
	(void)state;
	assert_string_equal(fit("abc", 5, false), "abc  ");
	assert_string_equal(fit("abc", 5, true), "  abc");
	assert_string_equal(fit(CORP, 14, false), CORP);
	assert_string_equal(fit(CORP, 16, false), CORP "  ");
	assert_string_equal(fit(CORP, 16, true), "  " CORP);
	assert_int_equal(text_width(fit(CORP, 20, false)), 20);
}

static void test_fit_truncate(void **state)
{
	(void)state;
	assert_string_equal(fit("abcdefgh", 5, false), "abcd\xe2\x80\xa6");
	/* budget 5 before the ellipsis: "(주)" is 4, 딥 would straddle: a space */
	assert_string_equal(fit(CORP, 6, false), "(\xec\xa3\xbc) \xe2\x80\xa6");
	assert_string_equal(fit(CORP, 7, false), "(\xec\xa3\xbc)\xeb\x94\xa5\xe2\x80\xa6");
	for (int w = 0; w <= 16; w++)
		assert_int_equal(text_width(fit(CORP, w, false)), w);
	assert_string_equal(fit("abc", 0, false), "");
	assert_string_equal(fit("abc", 1, false), "\xe2\x80\xa6");
	assert_string_equal(fit("\xea\xb0\x80\xeb\x82\x98", 2, false), " \xe2\x80\xa6");
}

static void test_fit_small_buffer(void **state)
{
	(void)state;
	char out[5];
	text_fit("\xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4", 6, false, out, sizeof out); /* 가나다 */
	assert_string_equal(out, "\xea\xb0\x80 ");   /* never half a character */
}

static void test_sanitize_escapes(void **state)
{
	(void)state;
	assert_string_equal(clean("a\x1b[31mred\x1b[0m"), "ared");
	assert_string_equal(clean("\x1b]0;pwned\x07title"), "title");
	assert_string_equal(clean("\x1b]52;c;AAAA\x1b\\x"), "x");         /* OSC 52 clipboard */
	assert_string_equal(clean("\x1bPq#0;2;0\x1b\\y"), "y");           /* DCS (sixel) */
	assert_string_equal(clean("a\x1b" "cb"), "ab");                    /* RIS */
	assert_string_equal(clean("bell\x07\x08\x7f!"), "bell!");
	assert_string_equal(clean("tab\there\nnl\r"), "tab here nl ");
	assert_string_equal(clean("c1\xc2\x9b" "31m"), "c131m");           /* C1 CSI dropped */
	assert_string_equal(clean("\x1b["), "");                           /* cut sequence */
	assert_string_equal(clean(NULL), "");
}

static void test_sanitize_bidi(void **state)
{
	(void)state;
	assert_string_equal(clean("\xe2\x80\xae" "evil.exe"), "evil.exe");      /* U+202E */
	assert_string_equal(clean("a\xe2\x81\xa6" "b\xe2\x81\xa9" "c"), "abc");   /* U+2066/2069 */
	assert_string_equal(clean("x\xe2\x80\xaa\xe2\x80\xacy"), "xy");           /* U+202A/202C */
	assert_string_equal(clean(CORP), CORP);
}

static void test_sanitize_invalid_utf8(void **state)
{
	(void)state;
	assert_string_equal(clean("a\xff" "b"), "a\xef\xbf\xbd" "b");
	assert_string_equal(clean("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");           /* overlong */
	assert_string_equal(clean("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	assert_string_equal(clean("\xea\xb0"), "\xef\xbf\xbd\xef\xbf\xbd");           /* truncated */
	assert_string_equal(clean("\xf4\x90\x80\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(text_width(clean("\xff\xfe")), 2);
}

static void test_utf8_roundtrip(void **state)
{
	(void)state;
	const uint32_t cps[] = { 0x41, 0xE9, 0xAC00, 0xD55C, 0x1F600, 0x10FFFF };
	for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
		char buf[4];
		size_t n = utf8_encode(cps[i], buf);
		uint32_t back;
		assert_int_equal(utf8_decode(buf, n, &back), n);
		assert_int_equal(back, cps[i]);
	}
}

static void test_natcmp(void **state)
{
	(void)state;
	assert_true(text_natcmp("gpu-a2", "gpu-a10") < 0);
	assert_true(text_natcmp("gpu-a10", "gpu-a2") > 0);
	assert_true(text_natcmp("GPU-A1", "gpu-a1") == 0);
	assert_true(text_natcmp("h100", "h100b") < 0);
	assert_true(text_natcmp("r01-002", "r1-2") == 0);
	assert_true(text_natcmp("a", "b") < 0);
}

static void test_formats(void **state)
{
	(void)state;
	char b[32];
	fmt_age(3, b, sizeof b);
	assert_string_equal(b, "now");
	fmt_age(59, b, sizeof b);
	assert_string_equal(b, "now");
	fmt_age(61, b, sizeof b);
	assert_string_equal(b, "1m");
	fmt_age(600, b, sizeof b);
	assert_string_equal(b, "10m");
	fmt_age(7200, b, sizeof b);
	assert_string_equal(b, "2h");
	fmt_age(3 * 86400, b, sizeof b);
	assert_string_equal(b, "3d");
	fmt_dur(2 * 3600 + 13 * 60 + 5, b, sizeof b);
	assert_string_equal(b, "2h13m");
	fmt_dur(3 * 86400 + 4 * 3600, b, sizeof b);
	assert_string_equal(b, "3d04h");
	fmt_date(0, b, sizeof b);
	assert_string_equal(b, "-");
	fmt_date(1740787200, b, sizeof b);
	assert_string_equal(b, "2025-03-01");
	/* times carry their zone; an age under a minute is "just now", not "now ago" */
	fmt_time(1740787200 + 15 * 3600, b, sizeof b);
	assert_string_equal(b, "2025-03-02 00:00 KST");
	fmt_date(1740787200 + 15 * 3600, b, sizeof b);
	assert_string_equal(b, "2025-03-02");
	fmt_ago(20, b, sizeof b);
	assert_string_equal(b, "just now");
	fmt_ago(600, b, sizeof b);
	assert_string_equal(b, "10m ago");
}

/* Wrapping breaks at spaces by display width; Hangul counts two columns;
 * a word longer than the line is cut between characters. */
static void test_wrap(void **state)
{
	(void)state;
	const char *next;
	const char *s = "drain the node and open a case";
	size_t n = text_wrap(s, 10, &next);
	assert_int_equal(n, strlen("drain the"));
	assert_string_equal(next, "node and open a case");
	s = "광주 데이터센터 냉각";     /* 4 + 1 + 10 + 1 + 4 columns */
	n = text_wrap(s, 16, &next);
	assert_int_equal(n, strlen("광주 데이터센터"));
	assert_string_equal(next, "냉각");
	n = text_wrap(s, 14, &next);
	assert_int_equal(n, strlen("광주"));
	assert_string_equal(next, "데이터센터 냉각");
	s = "supercalifragilistic";
	n = text_wrap(s, 5, &next);
	assert_int_equal(n, 5);
	assert_string_equal(next, "califragilistic");
	s = "가나다라";                /* 8 columns, no space: cut whole characters */
	n = text_wrap(s, 5, &next);
	assert_int_equal(n, strlen("가나"));
	assert_string_equal(next, "다라");
	n = text_wrap("", 5, &next);
	assert_int_equal(n, 0);
	assert_string_equal(next, "");
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_fit_pad),
		cmocka_unit_test(test_fit_truncate),
		cmocka_unit_test(test_fit_small_buffer),
		cmocka_unit_test(test_sanitize_escapes),
		cmocka_unit_test(test_sanitize_bidi),
		cmocka_unit_test(test_sanitize_invalid_utf8),
		cmocka_unit_test(test_utf8_roundtrip),
		cmocka_unit_test(test_natcmp),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
