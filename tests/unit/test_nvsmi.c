/* test_nvsmi — the nvidia-smi CSV parser on recorded output (fixtures),
 * the tolerances real drivers need, and garbage refused by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "nvsmi.h"

static char *fixture(const char *name, size_t *len)
{
	const char *root = getenv("DCOPS_ROOT");
	char *path = xasprintf("%s/tests/fixtures/%s", root ? root : ".", name);
	char *text = NULL;
	struct dc_err err;
	if (dc_read_file(path, 1u << 20, &text, len, &err) < 0)
		fail_msg("%s", err.msg);
	free(path);
	return text;
}

static void test_h100_recording(void **state)
{
	(void)state;
	size_t len, n;
	char *text = fixture("nvsmi-h100.csv", &len);
	struct nvsmi_gpu *g;
	struct dc_err err;
	assert_int_equal(nvsmi_parse(text, len, &g, &n, &err), 0);
	assert_int_equal(n, 8);
	assert_int_equal(g[0].index, 0);
	assert_string_equal(g[0].uuid, "GPU-5d7f1a3c-2b9e-4c1d-8f6a-0e3b7c9d1a20");
	assert_string_equal(g[0].name, "NVIDIA H100 80GB HBM3");
	assert_int_equal(g[0].temp_c, 41);
	assert_int_equal(g[0].util_pct, 97);
	assert_int_equal(g[0].mem_used_mib, 71234);
	assert_int_equal(g[0].mem_total_mib, 81559);
	assert_true(g[0].power_w > 612.37 && g[0].power_w < 612.39);
	assert_int_equal(g[0].ecc_uncorrected, 0);
	assert_int_equal(g[0].pending, -1);
	assert_int_equal(g[0].problems, 0);
	assert_int_equal(g[2].problems, NVSMI_HOT);     /* 87 C */
	assert_int_equal(g[3].problems, NVSMI_ECC);     /* 2 uncorrected */
	assert_int_equal(g[3].ecc_uncorrected, 2);
	assert_int_equal(g[4].problems, NVSMI_PENDING); /* Yes */
	assert_true(g[5].power_w < 0);                  /* [Not Supported] */
	assert_int_equal(g[6].ecc_uncorrected, -1);     /* [N/A] */
	assert_int_equal(g[6].pending, 0);
	char buf[64];
	assert_string_equal(nvsmi_problem_str(NVSMI_ECC | NVSMI_PENDING, buf, sizeof buf), "ECC, REMAP PENDING");
	assert_string_equal(nvsmi_problem_str(0, buf, sizeof buf), "");
	free(g);
	free(text);
}

static void test_units_header_spaces(void **state)
{
	(void)state;
	size_t len, n;
	char *text = fixture("nvsmi-units.csv", &len);
	struct nvsmi_gpu *g;
	struct dc_err err;
	assert_int_equal(nvsmi_parse(text, len, &g, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].temp_c, 35);
	assert_int_equal(g[0].util_pct, 12);
	assert_int_equal(g[0].mem_used_mib, 1024);
	assert_true(g[0].power_w > 88.4 && g[0].power_w < 88.6);
	assert_int_equal(g[1].index, 1);
	assert_int_equal(g[1].temp_c, 85); /* the threshold is inclusive */
	assert_int_equal(g[1].problems, NVSMI_HOT);
	free(g);
	free(text);
}

static void test_garbage_names_line(void **state)
{
	(void)state;
	size_t len, n = 99;
	char *text = fixture("nvsmi-garbage.csv", &len);
	struct nvsmi_gpu *g = (void *)1;
	struct dc_err err;
	assert_int_equal(nvsmi_parse(text, len, &g, &n, &err), -1);
	assert_null(g);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err.msg, "line 2"));
	assert_non_null(strstr(err.msg, "temperature.gpu"));
	assert_non_null(strstr(err.msg, "\"hot\""));
	free(text);
}

static void expect_refused(const char *text, const char *needle)
{
	struct nvsmi_gpu *g;
	size_t n;
	struct dc_err err;
	assert_int_equal(nvsmi_parse(text, strlen(text), &g, &n, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_refused("", "no GPU rows");
	expect_refused("\n\n", "no GPU rows");
	expect_refused("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", "line 1");
	expect_refused("0, u, n, 40, 50, 1, 2, 3, 0, No, extra\n", "more than 10");
	expect_refused("0, u, n, 40\n", "found 4");
	expect_refused("0, u, n, 40, 50, 1, 2, 3, 0, Maybe\n", "retired_pages.pending");
	expect_refused("0, u, n, 40, 150, 1, 2, 3, 0, No\n", "utilization.gpu");
	expect_refused("0, u, n, 0x28, 50, 1, 2, 3, 0, No\n", "temperature.gpu");
	expect_refused("0, u, n, inf, 50, 1, 2, 3, 0, No\n", "temperature.gpu");
	expect_refused("0, u, n, 40, 50, 1.5, 2, 3, 0, No\n", "memory.used");
	expect_refused("0, u, n, 40, 50, 1, 2, 3 kW, 0, No\n", "power.draw");
	expect_refused("[N/A], u, n, 40, 50, 1, 2, 3, 0, No\n", "index is missing");
	expect_refused("0, , n, 40, 50, 1, 2, 3, 0, No\n", "uuid");
	expect_refused("0, u, n\x1b[2J, 40, 50, 1, 2, 3, 0, No\n", "name");
	expect_refused("0, u, n, 40, 50, 1, 2, 3, 0, No\n1, u, n, 40, 50, 1, 2, 3, -4, No\n", "line 2");
	static const char nul[] = "0, u, n, 40, 50, 1, 2, 3, 0, No\n0, u\0, n";
	struct nvsmi_gpu *g;
	size_t n;
	struct dc_err err;
	assert_int_equal(nvsmi_parse(nul, sizeof nul - 1, &g, &n, &err), -1);
	assert_non_null(strstr(err.msg, "line 2: a NUL"));
	assert_int_equal(nvsmi_parse(NULL, 0, &g, &n, &err), -1);
}

static void test_not_nul_terminated(void **state)
{
	(void)state;
	/* Input is a byte range: parsing must stop at len, not at a NUL. */
	static const char row[] = "0, u, n, 40, 50, 1, 2, 3, 0, NoGARBAGE";
	struct nvsmi_gpu *g;
	size_t n;
	struct dc_err err;
	assert_int_equal(nvsmi_parse(row, strlen(row) - 7, &g, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].pending, 0);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h100_recording),
		cmocka_unit_test(test_units_header_spaces),
		cmocka_unit_test(test_garbage_names_line),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_not_nul_terminated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
