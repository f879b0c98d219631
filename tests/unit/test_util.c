/* test_util.c — util.c's parsers: dc_parse_long, which every whole-number
 * option and variable goes through (relay --telemetry-ms, demo --sites,
 * DCOPS_DB_TIMEOUT). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "util.h"

static void test_parse_long_takes(void **state)
{
	(void)state;
	static const struct { const char *s; long lo, hi, want; } ok[] = {
		{ "0", 0, 10, 0 },
		{ "10", 0, 10, 10 },
		{ "007", 0, 10, 7 },
		{ "100", 0, 10000, 100 },
		{ "2", 1, 2, 2 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		long v = -1;
		assert_true(dc_parse_long(ok[i].s, ok[i].lo, ok[i].hi, &v));
		assert_int_equal(v, ok[i].want);
	}
}

static void test_parse_long_refuses(void **state)
{
	(void)state;
	/* empty, a sign, spaces either side, trailing text, a fraction, hex,
	 * out of range either side, past LONG_MAX (strtol's ERANGE), NULL */
	static const char *bad[] = {
		"", "-1", "+5", " 5", "5 ", "12x", "1.5", "0x10", "11", "99999999999999999999999", NULL,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		long v = 42;
		assert_false(dc_parse_long(bad[i], 0, 10, &v));
		assert_int_equal(v, 42); /* left alone */
	}
	long v = 42;
	assert_false(dc_parse_long("0", 1, 2, &v));
	assert_true(dc_parse_long("9223372036854775807", 0, LONG_MAX, &v));
	assert_int_equal(v, LONG_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long_takes),
		cmocka_unit_test(test_parse_long_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
