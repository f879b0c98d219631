/* test_slurm_scan — the Slurm JSON read one list element at a time
 * (slurm-scan.h): on every recorded fixture each element the scanner
 * hands over equals cJSON's parse of the whole document (all keys, and a
 * chosen few); hostile strings (escaped quotes, brackets in strings, \u
 * escapes, escaped keys, Korean); an over-long key list reading every
 * key; a document cut at any byte refused whole
 * with nothing handed back; a garbled element named by its index; meta
 * after the list (the 23.02+ order) read like meta first; the pending-job
 * explanations of one shared cycle equal the one-job ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/slurm/slurm-explain.h"
#include "adapter/slurm/slurm-parse.h"
#include "adapter/json-skip.h"
#include "adapter/slurm/slurm-scan.h"

#define T0 1764640800

static char *fixture(const char *version, const char *name, size_t *len)
{
	const char *root = getenv("DCOPS_ROOT");
	char *path = xasprintf("%s/tests/fixtures/slurm/%s/%s", root ? root : ".", version, name);
	char *text = NULL;
	struct dc_err err;
	if (dc_read_file(path, 1u << 24, &text, len, &err) < 0)
		fail_msg("%s", err.msg);
	free(path);
	return text;
}

/* Compares each element handed over with the DOM's element i. */
struct diff {
	const cJSON *dom_list;
	const char *const *want;
	size_t seen;
};

static bool wanted(const char *const *want, const char *key)
{
	for (size_t i = 0; want[i]; i++)
		if (strcmp(want[i], key) == 0)
			return true;
	return false;
}

static int compare_item(void *arg, const cJSON *members, size_t i, const cJSON *item)
{
	(void)members;
	struct diff *d = arg;
	const cJSON *dom = cJSON_GetArrayItem(d->dom_list, (int)i);
	assert_non_null(dom);
	assert_int_equal(i, d->seen);
	d->seen++;
	if (!d->want || !cJSON_IsObject(dom)) {
		if (!cJSON_Compare(dom, item, true)) {
			char *a = cJSON_PrintUnformatted(dom), *b = cJSON_PrintUnformatted(item);
			fail_msg("element %zu differs:\n dom: %.300s\nscan: %.300s", i, a, b);
		}
		return 0;
	}
	/* exactly the wanted keys the element has, first of each, equal */
	size_t n = 0;
	for (const cJSON *e = dom->child; e; e = e->next) {
		if (!wanted(d->want, e->string) || cJSON_GetObjectItemCaseSensitive(dom, e->string) != e)
			continue;
		const cJSON *got = cJSON_GetObjectItemCaseSensitive(item, e->string);
		if (!got || !cJSON_Compare(e, got, true))
			fail_msg("element %zu key %s differs", i, e->string);
		n++;
	}
	assert_int_equal((size_t)cJSON_GetArraySize(item), n);
	return 0;
}

static void expect_same(const char *text, size_t len, const char *list, const char *const *want)
{
	cJSON *dom = cJSON_ParseWithLength(text, len);
	assert_non_null(dom);
	struct diff d = { cJSON_GetObjectItemCaseSensitive(dom, list), want, 0 };
	struct slurm_scan_doc doc;
	struct dc_err err;
	if (slurm_scan_run(&doc, "test", text, len, list, want, compare_item, &d, &err) < 0)
		fail_msg("%s", err.msg);
	assert_false(doc.item_failed);
	assert_true(doc.have_list);
	assert_int_equal(d.seen, (size_t)cJSON_GetArraySize(d.dom_list));
	assert_int_equal(doc.n, d.seen);
	/* the members besides the list, as cJSON read them */
	for (const cJSON *e = dom->child; e; e = e->next)
		if (strcmp(e->string, list) != 0)
			assert_true(cJSON_Compare(e, cJSON_GetObjectItemCaseSensitive(doc.root, e->string), true));
	slurm_scan_close(&doc);
	cJSON_Delete(dom);
}

static const char *const some_keys[] = { "name", "job_id", "state", "job_state", "time", "exit_code", "tres",
	"max", "gres", "nodes", "partitions", "account", "description", NULL };

static void test_fixtures_same_as_dom(void **state)
{
	(void)state;
	static const struct {
		const char *version, *file, *list;
	} docs[] = {
		{ "22.05", "sinfo.json", "nodes" }, { "22.05", "squeue.json", "jobs" }, { "22.05", "sacct.json", "jobs" },
		{ "23.02", "nodes.json", "nodes" }, { "23.02", "partitions.json", "partitions" },
		{ "23.02", "squeue.json", "jobs" }, { "23.02", "sacct.json", "jobs" },
		{ "23.02", "assocs.json", "associations" }, { "23.02", "accounts.json", "accounts" },
		{ "23.11", "nodes.json", "nodes" }, { "23.11", "partitions.json", "partitions" },
		{ "23.11", "squeue.json", "jobs" }, { "23.11", "sacct.json", "jobs" },
		{ "23.11", "assocs.json", "associations" }, { "23.11", "accounts.json", "accounts" },
		{ "24.05", "nodes.json", "nodes" }, { "24.05", "partitions.json", "partitions" },
		{ "24.05", "squeue.json", "jobs" }, { "24.05", "sacct.json", "jobs" },
		{ "24.05", "assocs.json", "associations" }, { "24.05", "accounts.json", "accounts" },
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		size_t len;
		char *t = fixture(docs[i].version, docs[i].file, &len);
		expect_same(t, len, docs[i].list, NULL);
		expect_same(t, len, docs[i].list, some_keys);
		free(t);
	}
}

static void test_hostile_strings(void **state)
{
	(void)state;
	/* quotes, brackets and braces inside strings and keys, \u escapes
	 * (a key spelled with one is still the key), Korean, blanks */
	const char *doc =
		"{ \"meta\" : {\"slurm\":{\"version\":{\"major\":\"24\",\"minor\":\"05\",\"micro\":\"1\"}}},\n"
		"  \"nodes\" : [\n"
		"   {\"comment\":\"}]\\\"{[\", \"na\\u006de\":\"gj-h100-001\", \"reason\":\"\\uD55C\\uBE5B \\\"fan\\\" ]}\","
		"    \"x\\\"y\":{\"a\":[\"]\",\"}\",{\"b\":\"\\\\\"}]}, \"state\":[\"IDLE\",\"DRAIN\"],\"cpus\":64},\r\n"
		"   {\"name\":\"폐CT-분할 \\\"v2\\\"; $(id)\",\"state\":[\"IDLE\"],\"gres\":\"gpu:h100:8\",\"reason\":\"한빛랩\"}\n"
		"  ] ,\"errors\":[],\"warnings\":[{\"description\":\"[{\"}]}";
	expect_same(doc, strlen(doc), "nodes", NULL);
	expect_same(doc, strlen(doc), "nodes", some_keys);
	struct slurm_node_set ns = { 0 };
	struct dc_err err;
	if (slurm_parse_nodes(doc, strlen(doc), &ns, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ns.n, 2);
	assert_string_equal(ns.items[0].name, "gj-h100-001");
	assert_string_equal(ns.items[0].reason, "한빛 \"fan\" ]}");
	assert_string_equal(ns.items[0].comment, "}]\"{[");
	assert_int_equal(ns.items[0].cpus, 64);
	assert_true(ns.items[0].flags & SLURM_NF_DRAIN);
	assert_string_equal(ns.items[1].name, "폐CT-분할 \"v2\"; $(id)");
	assert_int_equal(ns.items[1].gpus, 8);
	slurm_node_set_free(&ns);
}

/* A want list longer than half the table reads every key, whole. */
static void test_long_want_list(void **state)
{
	(void)state;
	static char names[80][16];
	const char *want[81];
	for (int i = 0; i < 80; i++) {
		snprintf(names[i], sizeof names[i], "k%d", i);
		want[i] = names[i];
	}
	want[80] = NULL;
	size_t len;
	char *t = fixture("24.05", "nodes.json", &len);
	cJSON *dom = cJSON_ParseWithLength(t, len);
	struct diff d = { cJSON_GetObjectItemCaseSensitive(dom, "nodes"), NULL, 0 };
	struct slurm_scan_doc doc;
	struct dc_err err;
	assert_int_equal(slurm_scan_run(&doc, "test", t, len, "nodes", want, compare_item, &d, &err), 0);
	assert_true(doc.want_all);
	assert_int_equal(d.seen, (size_t)cJSON_GetArraySize(d.dom_list));
	slurm_scan_close(&doc);
	cJSON_Delete(dom);
	free(t);
}

/* Cut anywhere short of its closing brace, a document is refused whole:
 * -1, cJSON's message form, the caller's set untouched. */
static void test_truncated(void **state)
{
	(void)state;
	size_t len;
	char *t = fixture("23.11", "squeue.json", &len);
	while (len && t[len - 1] != '}')
		len--;
	for (size_t cut = 0; cut < len; cut += cut < 200 || cut > len - 200 ? 1 : 61) {
		struct slurm_job_set js = { .n = 4242 };
		struct dc_err err;
		if (slurm_parse_squeue(t, cut, &js, &err) == 0)
			fail_msg("cut at %zu of %zu: parsed", cut, len);
		assert_int_equal(js.n, 4242);
		assert_null(js.items);
		if (!strstr(err.msg, "not valid JSON (at byte "))
			fail_msg("cut at %zu: %s", cut, err.msg);
	}
	/* the whole document still parses */
	struct slurm_job_set js = { 0 };
	struct dc_err err;
	assert_int_equal(slurm_parse_squeue(t, len, &js, &err), 0);
	slurm_job_set_free(&js);
	free(t);
}

static void expect_bad_squeue(const char *doc, const char *msg)
{
	struct slurm_job_set js = { 0 };
	struct dc_err err;
	if (slurm_parse_squeue(doc, strlen(doc), &js, &err) == 0)
		fail_msg("parsed: %s", doc);
	assert_string_equal(err.msg, msg);
	assert_null(js.items);
}

#define META "\"meta\":{\"slurm\":{\"version\":{\"major\":\"24\",\"minor\":\"05\",\"micro\":\"1\"}}}"
#define JOB "{\"job_id\":7,\"job_state\":[\"RUNNING\"]}"

static void test_garbled(void **state)
{
	(void)state;
	/* inside an element, short of the end: the element is named */
	expect_bad_squeue("{" META ",\"jobs\":[" JOB ",{\"job_id\":8,\"job_state\" [\"RUNNING\"]}," JOB "]}",
		"squeue: jobs[1]: not valid JSON (at byte 139 of 190)");
	expect_bad_squeue("{" META ",\"jobs\":[" JOB ",{\"job_id\":8,\"name\":\"a\\qb\"}," JOB "]}",
		"squeue: jobs[1]: not valid JSON (at byte 136 of 180)");
	/* garbage in a value nobody reads, brackets crossed, nesting past cJSON's limit */
	expect_bad_squeue("{" META ",\"jobs\":[{\"job_id\":8,\"other\":xyz}]}",
		"squeue: jobs[0]: not valid JSON (at byte 98 of 104)");
	expect_bad_squeue("{" META ",\"jobs\":[{\"job_id\":8,\"other\":[1,2}]}]}",
		"squeue: jobs[0]: not valid JSON (at byte 102 of 107)");
	struct sb deep = { 0 };
	sb_append(&deep, "{" META ",\"jobs\":[{\"job_id\":8,\"other\":");
	for (int i = 0; i < 1100; i++)
		sb_append(&deep, "[");
	for (int i = 0; i < 1100; i++)
		sb_append(&deep, "]");
	sb_append(&deep, "}]}");
	struct slurm_job_set js = { 0 };
	struct dc_err err;
	assert_int_equal(slurm_parse_squeue(deep.buf, deep.len, &js, &err), -1);
	assert_non_null(strstr(err.msg, "squeue: jobs[0]: not valid JSON"));
	sb_free(&deep);
	/* a bad element before a truncation: the truncation is reported */
	expect_bad_squeue("{" META ",\"jobs\":[{\"job_id\":8,\"job_state\":7},{\"job_id\":9",
		"squeue: not valid JSON (at byte 115 of 116)");
	/* Slurm's own error after the list wins over an element's */
	expect_bad_squeue("{\"jobs\":[{\"job_id\":8,\"job_state\":7}]," META
		",\"errors\":[{\"description\":\"Invalid user\"}]}",
		"squeue: Slurm reported an error: \"Invalid user\"");
}

static void test_skip(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		int rc;
		size_t end, count;
	} cases[] = {
		{ "  [1, \"]\", {\"a\":[2]}, null] x", 0, 27, 4 },
		{ "[]", 0, 2, 0 },
		{ "[ ]", 0, 3, 0 },
		{ "\"a\\\"b\" ,", 0, 6, 0 },
		{ "-1.5e3,", 0, 6, 0 },
		{ "true}", 0, 4, 0 },
		{ "[1,2", -1, 4, 0 },
		{ "[1,2}", -1, 4, 0 },
		{ "{\"a\":1]", -1, 6, 0 },
		{ "\"abc", -1, 4, 0 },
		{ "\"a\\x\"", -1, 3, 0 },
		{ "[@]", -1, 1, 0 },
		{ "", -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t pos = 0, count = 99;
		int rc = jskip_value(cases[i].json, strlen(cases[i].json), &pos, &count);
		if (rc != cases[i].rc || pos != cases[i].end || (rc == 0 && count != cases[i].count))
			fail_msg("%s: rc %d end %zu count %zu", cases[i].json, rc, pos, count);
	}
}

/* 22.05's sacct exit codes read the same when its meta comes last. */
static void test_meta_after_list(void **state)
{
	(void)state;
	size_t len;
	char *t = fixture("22.05", "sacct.json", &len);
	cJSON *dom = cJSON_ParseWithLength(t, len);
	cJSON *jobs = cJSON_DetachItemFromObjectCaseSensitive(dom, "jobs");
	cJSON *reordered = cJSON_CreateObject();
	cJSON_AddItemToObject(reordered, "jobs", jobs);
	cJSON_AddItemToObject(reordered, "meta", cJSON_DetachItemFromObjectCaseSensitive(dom, "meta"));
	char *r = cJSON_PrintUnformatted(reordered);
	struct slurm_job_set a = { 0 }, b = { 0 };
	struct dc_err err;
	assert_int_equal(slurm_parse_sacct(t, len, &a, &err), 0);
	if (slurm_parse_sacct(r, strlen(r), &b, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(a.n, b.n);
	assert_int_equal(b.version.shape, SLURM_SHAPE_2205);
	bool quirk = false;
	for (size_t i = 0; i < a.n; i++) {
		assert_int_equal(a.items[i].job_id, b.items[i].job_id);
		assert_int_equal(a.items[i].exit_code, b.items[i].exit_code);
		assert_string_equal(a.items[i].state_text, b.items[i].state_text);
		quirk |= a.items[i].state == DC_JOB_FAILED && a.items[i].exit_code == -1;
	}
	assert_true(quirk);   /* the fixture has a job the 22.05 rule changes */
	slurm_job_set_free(&a);
	slurm_job_set_free(&b);
	cJSON_free(r);
	cJSON_Delete(reordered);
	cJSON_Delete(dom);
	free(t);
}

/* One cycle for every pending job says what one job at a time says. */
static void test_explain_cycle(void **state)
{
	(void)state;
	static const char *const versions[] = { "23.02", "23.11", "24.05" };
	for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
		struct slurm_node_set ns = { 0 };
		struct slurm_part_set ps = { 0 };
		struct slurm_job_set js = { 0 };
		struct slurm_assoc_set as = { 0 };
		struct dc_err err;
		size_t l1, l2;
		char *t = fixture(versions[v], "nodes.json", &l1);
		assert_int_equal(slurm_parse_nodes(t, l1, &ns, &err), 0);
		free(t);
		t = fixture(versions[v], "partitions.json", &l1);
		assert_int_equal(slurm_parse_partitions(t, l1, &ps, &err), 0);
		free(t);
		t = fixture(versions[v], "squeue.json", &l1);
		assert_int_equal(slurm_parse_squeue(t, l1, &js, &err), 0);
		free(t);
		t = fixture(versions[v], "assocs.json", &l1);
		char *t2 = fixture(versions[v], "accounts.json", &l2);
		assert_int_equal(slurm_parse_assocs(t, l1, t2, l2, &as, &err), 0);
		free(t);
		free(t2);
		struct slurm_snap snap = { &ns, &ps, &js, &as };
		struct slurm_explain_cycle *x = slurm_explain_cycle_new(&snap, T0);
		/* every reason the table knows, on every job, in one cycle */
		static const char *const reasons[] = { "AssocGrpGRES", "AssocGrpGRESMinutes", "AssocGrpGRESRunMinutes",
			"QOSMaxGRESPerUser", "Resources", "Priority", "ReqNodeNotAvail", "Dependency", "BeginTime",
			"PartitionDown", "Other" };
		size_t checked = 0;
		for (size_t r = 0; r < sizeof reasons / sizeof reasons[0]; r++)
			for (size_t i = 0; i < js.n; i++) {
				struct slurm_job j = js.items[i];
				j.state = DC_JOB_PENDING;
				j.reason = (char *)reasons[r];
				char *one = slurm_explain_pending(&snap, &j, T0), *many = slurm_explain_job(x, &j);
				assert_string_equal(many, one);
				free(one);
				free(many);
				checked++;
			}
		assert_true(checked > 100);
		slurm_explain_cycle_free(x);
		slurm_node_set_free(&ns);
		slurm_part_set_free(&ps);
		slurm_job_set_free(&js);
		slurm_assoc_set_free(&as);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_same_as_dom),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_long_want_list),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbled),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_meta_after_list),
		cmocka_unit_test(test_explain_cycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
