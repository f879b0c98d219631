/* test_seed — the seeder against a real PostgreSQL: the reference fleet's
 * counts, determinism, refusal without --force, and clear errors for bad
 * description files. Each test works in its own copy of the template. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seed.h"

static int dbseq;

static PGconn *db_open(char *name, size_t n)
{
	const char *tpl = getenv("DCOPS_TEST_TEMPLATE");
	snprintf(name, n, "t_seed_%d_%d", (int)getpid(), dbseq++);
	PGconn *admin = PQconnectdb("dbname=postgres");
	assert_int_equal(PQstatus(admin), CONNECTION_OK);
	char sql[256];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", name, tpl ? tpl : "dcops_template");
	PGresult *r = PQexec(admin, sql);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(admin);
	char ci[128];
	snprintf(ci, sizeof ci, "dbname=%s", name);
	PGconn *c = PQconnectdb(ci);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	return c;
}

static void db_close(PGconn *c, const char *name)
{
	PQfinish(c);
	PGconn *admin = PQconnectdb("dbname=postgres");
	char sql[128];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	PQclear(PQexec(admin, sql));
	PQfinish(admin);
}

static char *one(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	char *v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return v;
}

static long num(PGconn *c, const char *sql)
{
	char *v = one(c, sql);
	long n = atol(v);
	free(v);
	return n;
}

static void test_counts(void **state)
{
	(void)state;
	char name[64];
	PGconn *c = db_open(name, sizeof name);
	struct seed_opts so = {0};
	struct seed_result res;
	struct dc_err err = {0};
	assert_int_equal(seed_load(c, &so, &res, &err), 0);
	assert_int_equal(res.nodes, 290);
	assert_int_equal(res.gpus, 2188);
	assert_int_equal(res.racks, 140);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.node"), 290);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.gpu"), 2188);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.rack"), 140);
	assert_int_equal(num(c, "SELECT count(DISTINCT row_no) FROM dcops.rack"), 10);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.node n JOIN dcops.partition p ON "
	                        "p.id = n.partition_id WHERE p.name = 'h100' AND n.gpu_count = 8"), 110);
	assert_int_equal(num(c, "SELECT sum(gpu_count) FROM dcops.node n JOIN dcops.partition p ON "
	                        "p.id = n.partition_id WHERE p.name = 'a100'"), 796);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.node WHERE gpu_count = 4 AND name LIKE 'gj-a100-%'"), 1);
	assert_int_equal(num(c, "SELECT sum(gpu_count) FROM dcops.node WHERE name LIKE 'gj-t4-%'"), 384);
	assert_int_equal(num(c, "SELECT sum(gpu_count) FROM dcops.node WHERE name LIKE 'gj-ipu-%'"), 128);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.node WHERE name = 'gj-h100-001'"), 1);
	/* a row holds one pool, so a leaf switch failure is one pool's problem */
	assert_int_equal(num(c, "SELECT count(*) FROM (SELECT r.row_no FROM dcops.node n JOIN dcops.rack r "
	                        "ON r.id = n.rack_id GROUP BY 1 HAVING count(DISTINCT n.partition_id) > 1) x"), 0);
	long tenants = num(c, "SELECT count(*) FROM dcops.tenant");
	assert_in_range(tenants, 180, 220);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.project"), tenants);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.quota WHERE gpu_limit NOT IN (1, 2, 8, 16, 32, 64)"), 0);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.quota WHERE storage_tb <> 10"), 0);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.tenant WHERE name ~ '[가-힣]'"), tenants);
	long hoarders = num(c, "SELECT array_length(string_to_array(value, ','), 1) FROM dcops.setting "
	                       "WHERE key = 'sim.hoarders'");
	assert_in_range(hoarders, tenants * 5 / 100, tenants * 10 / 100);
	char *env = one(c, "SELECT value FROM dcops.setting WHERE key = 'environment'");
	assert_string_equal(env, "demo");
	free(env);
	/* refused without force, nothing changed; replaced with force */
	assert_int_equal(seed_load(c, &so, &res, &err), 1);
	assert_non_null(strstr(err.msg, "--force"));
	so.force = true;
	assert_int_equal(seed_load(c, &so, &res, &err), 0);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.node"), 290);
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.site"), 1);
	db_close(c, name);
}

static const char *fingerprint_sql =
	"SELECT md5(string_agg(t.name || '|' || t.kind || '|' || q.gpu_limit || '|' || q.gpu_hours_budget, ',' "
	"ORDER BY t.name)) || md5(string_agg(g.uuid, ',' ORDER BY g.uuid)) "
	"FROM dcops.tenant t JOIN dcops.quota q ON q.tenant_id = t.id, "
	"(SELECT string_agg(uuid, ',' ORDER BY id) AS uuid FROM dcops.gpu) g";

static char *seed_fingerprint(uint64_t seed)
{
	char name[64];
	PGconn *c = db_open(name, sizeof name);
	struct seed_opts so = { .seed = seed };
	struct seed_result res;
	struct dc_err err = {0};
	assert_int_equal(seed_load(c, &so, &res, &err), 0);
	char *fp = one(c, fingerprint_sql);
	db_close(c, name);
	return fp;
}

static void test_deterministic(void **state)
{
	(void)state;
	char *a = seed_fingerprint(42), *b = seed_fingerprint(42), *d = seed_fingerprint(43);
	assert_string_equal(a, b);
	assert_string_not_equal(a, d);
	free(a);
	free(b);
	free(d);
}

/* Writes the default file with one substitution into TEST_TMP. */
static char *bad_file(const char *tag, const char *from, const char *to)
{
	char src[4096];
	const char *root = getenv("DCOPS_ROOT");
	snprintf(src, sizeof src, "%s/backend/seed/gwangju.json", root ? root : ".");
	FILE *f = fopen(src, "rb");
	assert_non_null(f);
	static char text[1 << 18];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	char *at = strstr(text, from);
	assert_non_null(at);
	char path[4096];
	const char *tmp = getenv("TEST_TMP");
	snprintf(path, sizeof path, "%s/%s.json", tmp ? tmp : "/tmp", tag);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(text, 1, (size_t)(at - text), f);
	fputs(to, f);
	fputs(at + strlen(from), f);
	fclose(f);
	return strdup(path);
}

static void expect_error(PGconn *c, const char *path, const char *want1, const char *want2)
{
	struct seed_opts so = { .config_path = path };
	struct seed_result res;
	struct dc_err err = {0};
	assert_int_equal(seed_load(c, &so, &res, &err), -1);
	print_message("  error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, want1));
	if (want2)
		assert_non_null(strstr(err.msg, want2));
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.node"), 0);
}

static void test_bad_files(void **state)
{
	(void)state;
	char name[64];
	PGconn *c = db_open(name, sizeof name);
	static const struct {
		const char *tag, *from, *to, *want1, *want2;
	} cases[] = {
		{ "negative", "\"nodes\": 48", "\"nodes\": -3", "pools[2].nodes", "negative" },
		{ "type", "\"nodes\": 110", "\"nodes\": \"many\"", "pools[0].nodes", "got a string" },
		{ "missing", "\"node_prefix\": \"gj-a100\", ", "", "pools[1].node_prefix", "missing key" },
		{ "badname", "\"node_prefix\": \"gj-t4\"", "\"node_prefix\": \"GJ T4\"", "pools[2].node_prefix", NULL },
		{ "tier", "{ \"gpus\": 2, \"share\": 0.12 }", "{ \"gpus\": 2, \"share\": \"x\" }",
		  "tenants.tiers[1].share", NULL },
		{ "part", "[\"딥\", \"Deep\"]", "[\"딥\"]", "tenants.kinds[0].parts[0][0]", NULL },
		{ "json", "\"seed\": 20231024,", "\"seed\": 20231024,,", "not valid JSON", "line 2" },
		{ "rows", "\"rows\": 10", "\"rows\": 2", "too few", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = bad_file(cases[i].tag, cases[i].from, cases[i].to);
		expect_error(c, path, cases[i].want1, cases[i].want2);
		free(path);
	}
	expect_error(c, "/nonexistent/fleet.json", "No such file", NULL);
	db_close(c, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
