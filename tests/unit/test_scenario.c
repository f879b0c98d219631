/* test_scenario.c — drill scenario files: every file in drills/ validates
 * and normalises; each broken file of tests/fixtures/drills gives its
 * precise error (file, JSON path, what is wrong); size limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drill.h"

static char *root_path(const char *rel)
{
	const char *root = getenv("DCOPS_ROOT");
	return xasprintf("%s/%s", root && *root ? root : ".", rel);
}

static void test_every_scenario_validates(void **state)
{
	(void)state;
	char *dir = root_path("drills");
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		struct drill_scenario s;
		struct dc_err err = {{0}};
		if (drill_scenario_load(path, &s, &err) != 0)
			fail_msg("%s", err.msg);
		assert_true(strlen(s.name) == l - 5);
		assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(s.spec, "timeline")) >= 1);
		/* normalised: offsets in seconds, no duration strings left */
		const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(s.spec, "timeline"), 0);
		assert_true(cJSON_IsNumber(cJSON_GetObjectItem(ev, "at_s")));
		assert_null(cJSON_GetObjectItem(ev, "at"));
		drill_scenario_free(&s);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	assert_true(n >= 6);
}

static void test_xid79_normalised(void **state)
{
	(void)state;
	char *path = root_path("drills/xid79-h100-job.json");
	struct drill_scenario s;
	struct dc_err err = {{0}};
	assert_int_equal(drill_scenario_load(path, &s, &err), 0);
	assert_string_equal(s.name, "xid79-h100-job");
	assert_true(s.speed == 60);
	assert_int_equal(s.seed, 79);
	char *j = cJSON_PrintUnformatted(cJSON_GetObjectItem(s.spec, "timeline"));
	assert_string_equal(j, "[{\"kind\":\"xid\",\"at_s\":60,\"node\":\"gj-h100-017\",\"gpu\":3,\"xid\":79,\"sev\":2}]");
	free(j);
	/* the premise: the 64-GPU job the briefing speaks of */
	j = cJSON_PrintUnformatted(cJSON_GetObjectItem(s.spec, "running_jobs"));
	assert_string_equal(j, "[{\"tenant\":\"한국광기술원 데이터분석팀\",\"gpus\":64,\"nodes\":[\"gj-h100-017\","
	                       "\"gj-h100-018\",\"gj-h100-019\",\"gj-h100-020\",\"gj-h100-021\",\"gj-h100-022\","
	                       "\"gj-h100-023\",\"gj-h100-024\"],\"name\":\"pretrain-ko-70b\"}]");
	free(j);
	j = cJSON_PrintUnformatted(cJSON_GetArrayItem(cJSON_GetObjectItem(s.spec, "expectations"), 1));
	assert_string_equal(j, "{\"kind\":\"drain_nodes\",\"within_s\":900,\"from_event\":0}");
	free(j);
	drill_scenario_free(&s);
	free(path);
}

static const struct {
	const char *file;
	const char *msg;   /* after "<path>: " */
} broken[] = {
	{ "bad-at.json", "timeline[0].at: expected a duration like 90s, 5m or 1h30m (at most 7 days), got \"soon\"" },
	{ "dup-unit.json", "timeline[0].at: expected a duration like 90s, 5m or 1h30m (at most 7 days), got \"1h1h\"" },
	{ "unknown-kind.json", "timeline[1].kind: unknown kind (one of xid, leaf_switch, cooling, storage_degraded, "
	                       "runaway_tenant, power_cap), got \"meteor\"" },
	{ "missing-node.json", "timeline[0].node: missing (kind xid needs it)" },
	{ "gpu-range.json", "timeline[0].gpu: expected a whole number from 0 to 63, got 99" },
	{ "repeated-key.json", "timeline[0].node: repeated key" },
	{ "unknown-key.json", "titel: unknown key (one of title, briefing, seed, speed, running_jobs, timeline, "
	                      "expectations)" },
	{ "premise-split.json", "running_jobs[0].gpus: 60 GPUs do not split evenly over 8 nodes" },
	{ "premise-key.json", "running_jobs[0].user: unknown key (one of tenant, gpus, nodes, name)" },
	{ "premise-node.json", "running_jobs[0].nodes[1]: expected a node name like gj-h100-017, got \"GJ 2\"" },
	{ "bad-event-ref.json", "expectations[0].event: no such event: the timeline has 1 (0 to 0), got 3" },
	{ "drain-both.json", "expectations[0]: drain_nodes needs exactly one of nodes or from_event" },
	{ "drain-no-nodes.json", "expectations[0].from_event: event 0 (storage_degraded) affects no nodes, got 0" },
	{ "out-of-order.json", "timeline[1].at: 60s comes before the previous event (120s): keep the timeline in order" },
	{ "no-expectations.json", "expectations: expected a list of 1 to 50 entries, got a list" },
	{ "too-deep.json", "nested deeper than 6 levels" },
	{ "not-json.json", "line 4: not valid JSON" },
	{ "UPPER.json", "a scenario file is named NAME.json, NAME of [a-z0-9_-] (at most 64)" },
};

static void test_broken_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		char *rel = xasprintf("tests/fixtures/drills/%s", broken[i].file);
		char *path = root_path(rel);
		char *want = xasprintf("%s: %s", path, broken[i].msg);
		struct drill_scenario s;
		struct dc_err err = {{0}};
		if (drill_scenario_load(path, &s, &err) == 0)
			fail_msg("%s validated", broken[i].file);
		if (strcmp(err.msg, want) != 0)
			fail_msg("%s:\n  want %s\n  got  %s", broken[i].file, want, err.msg);
		assert_null(s.spec);
		free(want);
		free(path);
		free(rel);
	}
}

static void test_size_limit(void **state)
{
	(void)state;
	char dir[] = "/tmp/dcops-scenario-XXXXXX";
	assert_non_null(mkdtemp(dir));
	/* a name with capitals: the name check comes before the size check
	 * (mkstemp's random suffix has none about one time in 26) */
	char *named = xasprintf("%s/Big-Scenario.json", dir);
	FILE *f = fopen(named, "w");
	assert_non_null(f);
	fprintf(f, "{\"title\": \"");
	for (int i = 0; i < DRILL_MAX_BYTES; i++)
		fputc('x', f);
	fprintf(f, "\"}");
	assert_int_equal(fclose(f), 0);
	struct drill_scenario s;
	struct dc_err err = {{0}};
	assert_int_equal(drill_scenario_load(named, &s, &err), -1);
	assert_non_null(strstr(err.msg, "a scenario file is named"));
	char *lower = xasprintf("%s/big.json", dir);
	assert_int_equal(rename(named, lower), 0);
	assert_int_equal(drill_scenario_load(lower, &s, &err), -1);
	assert_non_null(strstr(err.msg, "file is larger than the 65536-byte limit"));
	unlink(lower);
	rmdir(dir);
	free(lower);
	free(named);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_scenario_validates),
		cmocka_unit_test(test_xid79_normalised),
		cmocka_unit_test(test_broken_files),
		cmocka_unit_test(test_size_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
