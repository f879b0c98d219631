/* test_slurm_since — the adapter's every-cycle parse (slurm_parse_*_since):
 * an element whose bytes are those of one the previous set was read from
 * is copied from that set, not parsed; a changed element is parsed; no
 * previous set parses everything; a set read as 22.05 lends nothing to
 * another release's document; errors read as without a previous set; the
 * copies own their strings (the previous set is freed before they are
 * read: ASan in `make SANITIZE=1` sees any pointer left into it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/slurm/slurm-parse.h"
#include "adapter/slurm/slurm-scan.h"

static cJSON *fixture(const char *version, const char *name)
{
	const char *root = getenv("DCOPS_ROOT");
	char *path = xasprintf("%s/tests/fixtures/slurm/%s/%s", root ? root : ".", version, name);
	char *text = NULL;
	size_t len;
	struct dc_err err;
	if (dc_read_file(path, 1u << 24, &text, &len, &err) < 0)
		fail_msg("%s", err.msg);
	cJSON *doc = cJSON_ParseWithLength(text, len);
	assert_non_null(doc);
	free(path);
	free(text);
	return doc;
}

/* The document's list element i, its string key set to v. */
static void set_str(cJSON *doc, const char *list, int i, const char *key, const char *v)
{
	cJSON *it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, list), i);
	assert_non_null(it);
	assert_true(cJSON_ReplaceItemInObjectCaseSensitive(it, key, cJSON_CreateString(v)));
}

static const struct slurm_job *job(const struct slurm_job_set *s, uint32_t id)
{
	const struct slurm_job *j = slurm_find_job(s, id);
	assert_non_null(j);
	return j;
}

static uint32_t job_id_at(cJSON *doc, int i)
{
	return (uint32_t)cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "jobs"),
		i), "job_id")->valuedouble;
}

/* The first cycle parses every element and keeps each one's hash; the
 * next copies the unchanged ones (seen here through a mark put on the
 * previous set, which only a copy carries) and parses the changed. */
static void jobs_since(const char *version, const char *state_word)
{
	cJSON *doc = fixture(version, "squeue.json");
	char *a = cJSON_PrintUnformatted(doc);
	struct slurm_job_set s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
	struct dc_err err;
	if (slurm_parse_squeue_since(a, strlen(a), NULL, &s1, &err) < 0)
		fail_msg("%s: %s", version, err.msg);
	assert_true(s1.n >= 3);
	assert_non_null(s1.span);
	uint32_t kept = job_id_at(doc, 0), renamed = job_id_at(doc, 1), restated = job_id_at(doc, 2);
	/* the mark: only a copy of s1's record can carry it */
	struct slurm_job *k1 = (struct slurm_job *)job(&s1, kept);
	k1->name = slurm_arena_strdup(&s1.arena, "from-the-last-cycle");

	set_str(doc, "jobs", 1, "name", "renamed; $(id)");
	cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "jobs"), 2),
		"job_state");
	if (cJSON_IsArray(st))
		assert_true(cJSON_ReplaceItemInArray(st, 0, cJSON_CreateString(state_word)));
	else
		set_str(doc, "jobs", 2, "job_state", state_word);
	char *b = cJSON_PrintUnformatted(doc);
	if (slurm_parse_squeue_since(b, strlen(b), &s1, &s2, &err) < 0)
		fail_msg("%s: %s", version, err.msg);
	uint64_t span_kept = s1.span[0], span_renamed = s1.span[1];
	slurm_job_set_free(&s1);   /* s2 owns its copies */
	assert_int_equal(s2.n, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "jobs")));
	assert_string_equal(job(&s2, kept)->name, "from-the-last-cycle");
	assert_string_equal(job(&s2, renamed)->name, "renamed; $(id)");
	assert_int_equal(job(&s2, restated)->state, DC_JOB_CANCELLED);
	assert_true(s2.span[0] == span_kept);
	assert_true(s2.span[1] != span_renamed);
	/* every string of a copy is readable, and the same as a parse's */
	if (slurm_parse_squeue_since(b, strlen(b), NULL, &s3, &err) < 0)
		fail_msg("%s: %s", version, err.msg);
	assert_string_equal(job(&s3, kept)->name, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(doc, "jobs"), 0), "name")->valuestring);
	for (size_t i = 1; i < s3.n; i++) {
		const struct slurm_job *x = &s2.items[i], *y = &s3.items[i];
		assert_int_equal(x->job_id, y->job_id);
		assert_string_equal(x->account, y->account);
		assert_string_equal(x->user, y->user);
		assert_string_equal(x->nodes, y->nodes);
		assert_string_equal(x->state_text, y->state_text);
		assert_string_equal(x->reason, y->reason);
		assert_int_equal(x->exit_code, y->exit_code);
		assert_int_equal(x->n_node_list, y->n_node_list);
		for (size_t k = 0; k < x->n_node_list; k++)
			assert_string_equal(x->node_list[k], y->node_list[k]);
	}
	slurm_job_set_free(&s2);
	slurm_job_set_free(&s3);
	cJSON_free(a);
	cJSON_free(b);
	cJSON_Delete(doc);
}

static void test_jobs_since_every_release(void **state)
{
	(void)state;
	jobs_since("22.05", "CANCELLED");
	jobs_since("23.02", "CANCELLED");
	jobs_since("23.11", "CANCELLED");
	jobs_since("24.05", "CANCELLED");
}

static void test_nodes_since(void **state)
{
	(void)state;
	static const char *const versions[] = { "22.05", "23.02", "23.11", "24.05" };
	for (size_t v = 0; v < sizeof versions / sizeof *versions; v++) {
		cJSON *doc = fixture(versions[v], strcmp(versions[v], "22.05") == 0 ? "sinfo.json" : "nodes.json");
		char *a = cJSON_PrintUnformatted(doc);
		struct slurm_node_set s1 = { 0 }, s2 = { 0 };
		struct dc_err err;
		if (slurm_parse_nodes_since(a, strlen(a), NULL, &s1, &err) < 0)
			fail_msg("%s: %s", versions[v], err.msg);
		assert_true(s1.n >= 2);
		s1.items[0].reason = slurm_arena_strdup(&s1.arena, "from-the-last-cycle");
		char *n0 = xstrdup(s1.items[0].name);
		set_str(doc, "nodes", 1, "reason", "\x1b]0;owned\x07 fan");
		char *b = cJSON_PrintUnformatted(doc);
		if (slurm_parse_nodes_since(b, strlen(b), &s1, &s2, &err) < 0)
			fail_msg("%s: %s", versions[v], err.msg);
		slurm_node_set_free(&s1);
		assert_int_equal(s2.n, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "nodes")));
		assert_string_equal(s2.items[0].name, n0);
		assert_string_equal(s2.items[0].reason, "from-the-last-cycle");
		assert_string_equal(s2.items[1].reason, "\x1b]0;owned\x07 fan");
		for (size_t i = 0; i < s2.n; i++)
			for (size_t k = 0; k < s2.items[i].n_partitions; k++)
				assert_non_null(s2.items[i].partitions[k]);
		free(n0);
		slurm_node_set_free(&s2);
		cJSON_free(a);
		cJSON_free(b);
		cJSON_Delete(doc);
	}
}

/* The same elements under a meta that names another release: 22.05's
 * exit codes are read otherwise, so nothing is lent across. */
static void test_no_lending_across_22_05(void **state)
{
	(void)state;
	cJSON *doc = fixture("22.05", "squeue.json");
	char *a = cJSON_PrintUnformatted(doc);
	cJSON *ver = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc,
		"meta"), "Slurm"), "version");
	assert_non_null(ver);
	cJSON_ReplaceItemInObjectCaseSensitive(ver, "major", cJSON_CreateNumber(23));
	cJSON_ReplaceItemInObjectCaseSensitive(ver, "minor", cJSON_CreateNumber(2));
	char *b = cJSON_PrintUnformatted(doc);
	struct slurm_job_set s1 = { 0 }, s2 = { 0 };
	struct dc_err err;
	assert_int_equal(slurm_parse_squeue_since(a, strlen(a), NULL, &s1, &err), 0);
	assert_int_equal(s1.version.shape, SLURM_SHAPE_2205);
	s1.items[0].name = slurm_arena_strdup(&s1.arena, "from-the-last-cycle");
	assert_int_equal(slurm_parse_squeue_since(b, strlen(b), &s1, &s2, &err), 0);
	assert_int_equal(s2.version.shape, SLURM_SHAPE_2302);
	assert_string_not_equal(s2.items[0].name, "from-the-last-cycle");
	slurm_job_set_free(&s2);
	/* and the same release lends */
	assert_int_equal(slurm_parse_squeue_since(a, strlen(a), &s1, &s2, &err), 0);
	assert_string_equal(s2.items[0].name, "from-the-last-cycle");
	slurm_job_set_free(&s1);
	slurm_job_set_free(&s2);
	cJSON_free(a);
	cJSON_free(b);
	cJSON_Delete(doc);
}

/* A broken element after unchanged ones, and a document cut short: the
 * same refusal, word for word, as a parse with nothing to lend. */
static void test_errors_as_without(void **state)
{
	(void)state;
	cJSON *doc = fixture("22.05", "squeue.json");
	char *a = cJSON_PrintUnformatted(doc);
	size_t len = strlen(a);
	struct slurm_job_set s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
	struct dc_err e1, e2;
	assert_int_equal(slurm_parse_squeue_since(a, len, NULL, &s1, &e1), 0);
	/* the last element's first key, unquoted: "{"account" -> "{account" */
	char *b = xstrdup(a);
	char *last = strstr(b, "},{\"account\"");
	assert_non_null(last);
	while (strstr(last + 1, "},{\"account\""))
		last = strstr(last + 1, "},{\"account\"");
	last[3] = ' ';
	assert_int_equal(slurm_parse_squeue_since(b, len, &s1, &s2, &e1), -1);
	assert_int_equal(slurm_parse_squeue(b, len, &s3, &e2), -1);
	assert_string_equal(e1.msg, e2.msg);
	assert_non_null(strstr(e1.msg, "not valid JSON"));
	for (size_t cut = len / 3; cut < len; cut += len / 3) {
		assert_int_equal(slurm_parse_squeue_since(a, cut, &s1, &s2, &e1), -1);
		assert_int_equal(slurm_parse_squeue(a, cut, &s3, &e2), -1);
		assert_string_equal(e1.msg, e2.msg);
	}
	/* an element whose one change is a grammar slip in a value it reads */
	char *c = xstrdup(a);
	char *tl = strstr(c, "\"time_limit\":");
	assert_non_null(tl);
	tl[13] = '-';
	tl[14] = '-';
	assert_int_equal(slurm_parse_squeue_since(c, len, &s1, &s2, &e1), -1);
	assert_int_equal(slurm_parse_squeue(c, len, &s3, &e2), -1);
	assert_string_equal(e1.msg, e2.msg);
	slurm_job_set_free(&s1);
	free(b);
	free(c);
	cJSON_free(a);
	cJSON_Delete(doc);
}

static void test_hash(void **state)
{
	(void)state;
	const char *t = "{\"name\":\"gwj-h100-001\",\"reason\":\"\xed\x95\x9c\xeb\xb9\x9b\"}";
	size_t n = strlen(t);
	char *u = xstrdup(t);
	assert_true(slurm_scan_hash(t, n) == slurm_scan_hash(u, n));
	assert_true(slurm_scan_hash(t, n) != 0);
	/* one byte anywhere, or one byte more or less, changes it */
	for (size_t i = 0; i < n; i++) {
		u[i] ^= 1;
		assert_true(slurm_scan_hash(t, n) != slurm_scan_hash(u, n));
		u[i] ^= 1;
	}
	assert_true(slurm_scan_hash(t, n) != slurm_scan_hash(t, n - 1));
	assert_true(slurm_scan_hash("", 0) != 0);
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobs_since_every_release),
		cmocka_unit_test(test_nodes_since),
		cmocka_unit_test(test_no_lending_across_22_05),
		cmocka_unit_test(test_errors_as_without),
		cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
