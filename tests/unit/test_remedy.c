/* test_remedy — the remediation table: the shipped backend/remedy/xid.json
 * covers the Xids the site acts on and every counter kind; a site's
 * override changes only the fields it names and may add an Xid; bad
 * entries are refused with the file, the key and the value, leaving the
 * table as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "adapter/remedy/remedy.h"
#include "tmpfiles.h"

static char *table_path(void)
{
	const char *root = getenv("DCOPS_ROOT");
	return xasprintf("%s/backend/remedy/xid.json", root ? root : ".");
}

static void shipped(struct remedy *r)
{
	char *path = table_path();
	struct dc_err err;
	if (remedy_load(r, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	free(path);
}

static const struct remedy_rule *xid(const struct remedy *r, long long code)
{
	struct tel_event ev = { .kind = TEL_XID, .node = "n", .gpu = 0, .uuid = "", .code = code, .rise = 1 };
	return remedy_find(r, &ev);
}

static void test_shipped_table(void **state)
{
	(void)state;
	struct remedy r;
	shipped(&r);
	static const long long drains[] = { 46, 48, 64, 74, 79, 95, 119, 120 };
	for (size_t i = 0; i < DC_ARRAY_LEN(drains); i++) {
		const struct remedy_rule *x = xid(&r, drains[i]);
		assert_non_null(x);
		assert_int_equal(x->xid, drains[i]);
		assert_true(x->drain);
		assert_true(x->jobs_dead);
		assert_false(x->auto_drain); /* opt-in: never on in the shipped table */
		assert_true(x->incident);
	}
	assert_string_equal(xid(&r, 79)->meaning, "GPU has fallen off the bus");
	assert_string_equal(xid(&r, 79)->policy, "xid-fatal");
	assert_int_equal(xid(&r, 79)->severity, 3);
	/* 63 and 94: no drain (reset at idle, restart the application) */
	assert_false(xid(&r, 63)->drain);
	assert_false(xid(&r, 94)->drain);
	assert_true(xid(&r, 94)->jobs_dead);
	/* an application's Xid raises nothing; an unlisted one the catch-all */
	assert_false(xid(&r, 13)->incident);
	assert_int_equal(xid(&r, 999)->xid, REMEDY_XID_ANY);
	assert_string_equal(xid(&r, 999)->policy, "xid-unlisted");
	static const enum tel_event_kind kinds[] = { TEL_ECC_DBE, TEL_REMAP_FAILURE, TEL_REMAP_PENDING, TEL_NVLINK };
	for (size_t i = 0; i < DC_ARRAY_LEN(kinds); i++) {
		struct tel_event ev = { .kind = kinds[i], .node = "n", .code = 5, .rise = 2 };
		assert_non_null(remedy_find(&r, &ev));
	}
	struct tel_event dbe = { .kind = TEL_ECC_DBE, .node = "n", .code = 5, .rise = 2 };
	assert_true(remedy_find(&r, &dbe)->drain);
	char key[32];
	remedy_key(remedy_find(&r, &dbe), key, sizeof key);
	assert_string_equal(key, "ecc_dbe");
	remedy_key(xid(&r, 999), key, sizeof key);
	assert_string_equal(key, "xid.*");
	assert_int_equal(r.flood_window_s, 120);
	assert_int_equal(r.flood_nodes, 4);
	remedy_free(&r);
}

static void test_override(void **state)
{
	(void)state;
	char *base = table_path();
	char *over = tmpfiles_write("site.json",
		"{ \"flood\": { \"nodes\": 10 },\n"
		"  \"events\": { \"xid.79\": { \"auto_drain\": true, \"policy\": \"xid-fatal-auto\" },\n"
		"              \"xid.13\": { \"incident\": true, \"severity\": 5 },\n"
		"              \"xid.154\": { \"meaning\": \"GPU recovery action changed\", \"policy\": \"xid-154\",\n"
		"                           \"drain\": true, \"severity\": 2 } } }\n");
	struct remedy r;
	struct dc_err err;
	if (remedy_load(&r, base, over, &err) < 0)
		fail_msg("%s", err.msg);
	const struct remedy_rule *x = xid(&r, 79);
	assert_true(x->auto_drain);
	assert_string_equal(x->policy, "xid-fatal-auto");
	/* fields it did not name stay the table's */
	assert_string_equal(x->meaning, "GPU has fallen off the bus");
	assert_true(x->drain);
	assert_int_equal(x->severity, 3);
	assert_true(xid(&r, 13)->incident);
	assert_string_equal(xid(&r, 13)->meaning, "graphics engine exception (usually the application)");
	x = xid(&r, 154);
	assert_int_equal(x->xid, 154);
	assert_int_equal(x->severity, 2);
	assert_true(x->drain);
	assert_false(x->jobs_dead);
	assert_string_equal(x->action, "");
	assert_int_equal(r.flood_nodes, 10);
	assert_int_equal(r.flood_window_s, 120);
	remedy_free(&r);
	free(over);
	free(base);
}

/* Each bad override: refused, the message naming file, key and value. */
static void test_override_errors(void **state)
{
	(void)state;
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{ "{\"events\": {\"xid.79\": {\"severity\": \"high\"}}}",
		  "bad.json: events.xid.79.severity: expected a severity 1 to 5, got \"high\"" },
		{ "{\"events\": {\"xid.79\": {\"severity\": 0}}}",
		  "bad.json: events.xid.79.severity: expected a severity 1 to 5, got 0" },
		{ "{\"events\": {\"xid.79\": {\"drain\": \"yes\"}}}",
		  "bad.json: events.xid.79.drain: expected true or false, got \"yes\"" },
		{ "{\"events\": {\"xid.79\": {\"policy\": \"fatal policy\"}}}",
		  "bad.json: events.xid.79.policy: expected 1 to 40 of A-Z a-z 0-9 . _ -, got \"fatal policy\"" },
		{ "{\"events\": {\"xid.79\": {\"meaning\": \"a\\u001b[2Jb\"}}}",
		  "bad.json: events.xid.79.meaning: expected 1 to 120 characters without control characters" },
		{ "{\"events\": {\"xid.79\": {\"autodrain\": true}}}", "bad.json: events.xid.79.autodrain: unknown key" },
		{ "{\"events\": {\"xid.63\": {\"auto_drain\": true}}}",
		  "bad.json: events.xid.63.auto_drain: true needs \"drain\": true" },
		{ "{\"events\": {\"xid.abc\": {}}}", "bad.json: events.xid.abc: not a key of the table" },
		{ "{\"events\": {\"xid.070\": {}}}", "bad.json: events.xid.070: not a key of the table" },
		{ "{\"events\": {\"xid.99999\": {}}}", "bad.json: events.xid.99999: not a key of the table" },
		{ "{\"events\": {\"xid.500\": {\"meaning\": \"new\"}}}",
		  "bad.json: events.xid.500: \"policy\" is missing" },
		{ "{\"events\": {\"xid.79\": true}}", "bad.json: events.xid.79: expected an object, got true" },
		{ "{\"flood\": {\"nodes\": 1}}", "bad.json: flood.nodes: expected a whole number 2 to 100000, got 1" },
		{ "{\"flood\": {\"window\": 60}}", "bad.json: flood.window: unknown key" },
		{ "{\"xid\": {}}", "bad.json: xid: unknown key (flood, events)" },
		{ "[1]", "bad.json: the top level: expected an object" },
		{ "{\"events\": ", "bad.json: line 1: not valid JSON" },
	};
	char *base = table_path();
	for (size_t i = 0; i < DC_ARRAY_LEN(cases); i++) {
		char *over = tmpfiles_write("bad.json", cases[i].json);
		struct remedy r;
		struct dc_err err = {0};
		assert_int_equal(remedy_load(&r, base, over, &err), -1);
		const char *name = strstr(err.msg, "bad.json");
		if (!name || strncmp(name, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg, cases[i].msg);
		assert_null(r.rules);
		free(over);
	}
	free(base);
}

/* A merge that fails leaves the table as it was; a base table must hold
 * the catch-all and every counter kind. */
static void test_merge_atomic(void **state)
{
	(void)state;
	struct remedy r;
	shipped(&r);
	struct dc_err err;
	const char bad[] = "{\"events\": {\"xid.79\": {\"auto_drain\": true, \"policy\": \"p\"}, "
	                   "\"xid.48\": {\"severity\": 9}}}";
	assert_int_equal(remedy_merge(&r, bad, strlen(bad), "site", false, &err), -1);
	assert_false(xid(&r, 79)->auto_drain);
	assert_string_equal(xid(&r, 79)->policy, "xid-fatal");
	remedy_free(&r);

	struct remedy empty = {0};
	const char partial[] = "{\"flood\": {\"window_seconds\": 60, \"nodes\": 3}, \"events\": "
	                       "{\"xid.79\": {\"meaning\": \"off the bus\", \"policy\": \"p\"}}}";
	assert_int_equal(remedy_merge(&empty, partial, strlen(partial), "base.json", true, &err), -1);
	assert_string_equal(err.msg, "base.json: events: \"xid.*\" is missing (the rule for unlisted Xids)");
	assert_null(empty.rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_table),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_override_errors),
		cmocka_unit_test(test_merge_atomic),
	};
	if (tmpfiles_setup("remedy") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, tmpfiles_teardown);
}
