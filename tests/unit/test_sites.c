/* test_sites — the console's sites (tui/site.h): --sites names split and
 * refused with the reason, the Sites view's order of attention, and when
 * a site's quotas are stale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "model.h"
#include "site.h"

static void test_names(void **state)
{
	(void)state;
	char names[CONFIG_MAX_SITES][64];
	size_t n;
	struct dc_err err = { { 0 } };
	assert_int_equal(site_names("gwangju,pangyo", names, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "gwangju");
	assert_string_equal(names[1], "pangyo");
	assert_int_equal(site_names("solo", names, &n, &err), 0);
	assert_int_equal(n, 1);

	static const struct { const char *list, *msg; } bad[] = {
		{ "", "--sites : an empty site name (expected NAME,NAME,...)" },
		{ "a,,b", "--sites a,,b: an empty site name (expected NAME,NAME,...)" },
		{ "a,", "--sites a,: an empty site name (expected NAME,NAME,...)" },
		{ "a,b,a", "--sites: 'a' is named twice" },
		{ "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "--sites: more than 16 sites" },
		{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		  "--sites: the name 'xxxxxxxxxxxxxxxxxxxx...' is longer than 63 bytes" },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(bad); i++) {
		assert_int_equal(site_names(bad[i].list, names, &n, &err), -1);
		if (strcmp(err.msg, bad[i].msg) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, bad[i].msg);
	}
}

/* DOWN first, then SEV-1, SEV-2, unacknowledged, a silent adapter, the
 * number of other open incidents; equal sites compare equal. */
static void test_attention(void **state)
{
	(void)state;
	struct site_summary down = { .down = true }, sev1 = { .sev = { 0, 1 } },
		sev2 = { .sev = { 0, 0, 3 } }, unacked = { .unacked = 1 }, adapter = { .adapter = "DOWN" },
		sev4 = { .sev = { 0, 0, 0, 0, 2 } }, quiet = { 0 };
	const struct site_summary *order[] = { &down, &sev1, &sev2, &unacked, &adapter, &sev4, &quiet };
	for (size_t i = 0; i + 1 < DC_ARRAY_LEN(order); i++) {
		assert_true(site_attention_cmp(order[i], order[i + 1]) < 0);
		assert_true(site_attention_cmp(order[i + 1], order[i]) > 0);
	}
	struct site_summary quiet2 = { .nodes = 290 };
	assert_int_equal(site_attention_cmp(&quiet, &quiet2), 0);
	/* more SEV-1s outrank a site that is merely down-free with SEV-2s */
	struct site_summary two = { .sev = { 0, 2 } };
	assert_true(site_attention_cmp(&two, &sev1) < 0);
}

static int64_t setting_version;

static void setting_put(struct dc_model *m, const char *key, const char *value)
{
	struct dc_setting st = { .version = ++setting_version, .key = (char *)key, .value = (char *)value };
	assert_true(model_put(m, DC_T_SETTING, model_row_pack(DC_T_SETTING, &st)));
}

/* QUOTAS STALE: accounting down under the Slurm adapter, with its error
 * and since; not once accounting is up, and not under the simulator (a
 * database the Slurm adapter left "down" in, then run by dcopsd --adapter
 * sim, has current quotas). */
static void test_quotas_stale(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	const char *why = NULL;
	assert_int_equal(site_quotas_stale(m, &why), 0);
	setting_put(m, "adapter.name", "slurm");
	setting_put(m, "accounting.state", "down");
	setting_put(m, "accounting.since", "1764662400");
	setting_put(m, "accounting.error", "sacctmgr: Problem talking to the database");
	assert_int_equal(site_quotas_stale(m, &why), 1764662400);
	assert_string_equal(why, "sacctmgr: Problem talking to the database");
	setting_put(m, "adapter.name", "sim");
	assert_int_equal(site_quotas_stale(m, &why), 0);
	setting_put(m, "adapter.name", "slurm");
	setting_put(m, "accounting.state", "up");
	assert_int_equal(site_quotas_stale(m, &why), 0);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_attention),
		cmocka_unit_test(test_quotas_stale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
