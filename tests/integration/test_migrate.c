/* test_migrate.c — dcops db migrate against a real PostgreSQL: from empty,
 * re-run, dry run, changed/missing/badly named files refused, a new file
 * applied, a failing file rolled back whole, two concurrent runners. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "migrate.h"
#include "testdb.h"

static char *orig_datadir;

/* Number of NNN_*.sql files shipped in the source tree. */
static int shipped_count(void)
{
	char *dir = xasprintf("%s/backend/sql", orig_datadir);
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
			n++;
	closedir(d);
	free(dir);
	return n;
}

static void write_file(const char *path, const char *body, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(body, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A private copy of backend/sql under TEST_TMP; DCOPS_DATADIR points at it. */
static char *tree_copy(void)
{
	static int seq;
	const char *tmp = getenv("TEST_TMP");
	char *root = xasprintf("%s/data-%ld-%d", tmp && *tmp ? tmp : "/tmp", (long)getpid(), ++seq);
	char *sql = xasprintf("%s/backend/sql", root);
	char *mid = xasprintf("%s/backend", root);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(mid, 0755), 0);
	assert_int_equal(mkdir(sql, 0755), 0);
	char *src = xasprintf("%s/backend/sql", orig_datadir);
	DIR *d = opendir(src);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *from = xasprintf("%s/%s", src, e->d_name);
		char *to = xasprintf("%s/%s", sql, e->d_name);
		char *body;
		size_t len;
		struct dc_err err;
		assert_int_equal(dc_read_file(from, 1 << 24, &body, &len, &err), 0);
		write_file(to, body, len);
		free(body);
		free(from);
		free(to);
	}
	closedir(d);
	free(src);
	free(mid);
	free(sql);
	setenv("DCOPS_DATADIR", root, 1);
	return root;
}

static void tree_add(const char *root, const char *fname, const char *body)
{
	char *path = xasprintf("%s/backend/sql/%s", root, fname);
	write_file(path, body, strlen(body));
	free(path);
}

static void tree_append(const char *root, const char *fname, const char *text)
{
	char *path = xasprintf("%s/backend/sql/%s", root, fname);
	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* migrate_apply that must succeed; names the reason when it does not. */
static void apply_ok(PGconn *c, bool dry_run, struct migrate_result *res)
{
	struct dc_err err = {{0}};
	if (migrate_apply(c, dry_run, false, res, &err) != 0)
		fail_msg("migrate_apply: %s", err.msg);
}

static int setup_empty(void **state)
{
	setenv("DCOPS_DATADIR", orig_datadir, 1);
	struct testdb *t = xcalloc(1, sizeof *t);
	*state = t;
	return testdb_create(t, true);
}

static int setup_template(void **state)
{
	setenv("DCOPS_DATADIR", orig_datadir, 1);
	struct testdb *t = xcalloc(1, sizeof *t);
	*state = t;
	return testdb_create(t, false);
}

static int teardown(void **state)
{
	testdb_drop(*state);
	free(*state);
	setenv("DCOPS_DATADIR", orig_datadir, 1);
	return 0;
}

static void test_apply_from_empty_then_rerun(void **state)
{
	struct testdb *t = *state;
	int n = shipped_count();
	struct migrate_result res;

	apply_ok(t->conn, false, &res);
	printf("migration from empty: %d files in %.1f ms\n", res.applied, res.ms);
	assert_int_equal(res.applied, n);
	assert_int_equal(res.current, 0);
	char *count = testdb_value(t->conn, "SELECT count(*) FROM dcops.schema_migrations", 0, NULL);
	assert_int_equal(atoi(count), n);
	free(count);
	char *who = testdb_value(t->conn, "SELECT bool_and(applied_by = session_user "
	                         "AND length(sha256) = 64) FROM dcops.schema_migrations", 0, NULL);
	assert_string_equal(who, "t");
	free(who);

	apply_ok(t->conn, false, &res);
	assert_int_equal(res.applied, 0);
	assert_int_equal(res.current, n);
	assert_int_equal(PQtransactionStatus(t->conn), PQTRANS_IDLE);
}

static void test_dry_run_writes_nothing(void **state)
{
	struct testdb *t = *state;
	struct migrate_result res;
	apply_ok(t->conn, true, &res);
	assert_int_equal(res.applied, shipped_count());
	char *reg = testdb_value(t->conn, "SELECT to_regnamespace('dcops') IS NULL", 0, NULL);
	assert_string_equal(reg, "t");
	free(reg);
}

/* The recorded checksum is sha256 of the file's exact bytes. */
static char *sha_of(PGconn *c, const char *path)
{
	char *body;
	size_t len;
	struct dc_err err;
	assert_int_equal(dc_read_file(path, 1 << 24, &body, &len, &err), 0);
	const char *vals[] = { body };
	const int lens[] = { (int)len }, fmts[] = { 1 };
	PGresult *r = PQexecParams(c, "SELECT encode(sha256($1::bytea), 'hex')", 1, NULL, vals,
	                           lens, fmts, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	char *sha = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	free(body);
	return sha;
}

static void test_changed_file_refused(void **state)
{
	struct testdb *t = *state;
	char *root = tree_copy();
	tree_append(root, "002_feed.sql", "-- an edit after the fact\n");
	char *path = xasprintf("%s/backend/sql/002_feed.sql", root);
	char *now = sha_of(t->conn, path);
	char *recorded = testdb_value(t->conn, "SELECT sha256 FROM dcops.schema_migrations "
	                              "WHERE version = 2", 0, NULL);
	assert_string_not_equal(now, recorded);

	struct migrate_result res;
	struct dc_err err = {{0}};
	assert_int_equal(migrate_apply(t->conn, false, false, &res, &err), -1);
	printf("refused: %s\n", err.msg);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, recorded));
	assert_non_null(strstr(err.msg, now));
	assert_int_equal(res.applied, 0);

	/* The same through the command line: exit 1, one line naming the file. */
	const char *bin = getenv("DCOPS");
	if (bin && *bin) {
		char *out = xasprintf("%s.out", root);
		char *cmd = xasprintf("'%s' -q --db '%s' db migrate >'%s' 2>&1", bin, t->conninfo, out);
		int rc = system(cmd);
		assert_true(WIFEXITED(rc));
		assert_int_equal(WEXITSTATUS(rc), 1);
		char *text;
		size_t len;
		assert_int_equal(dc_read_file(out, 4096, &text, &len, &err), 0);
		assert_non_null(strstr(text, "002_feed.sql changed after it was applied"));
		int lines = 0;
		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		assert_int_equal(lines, 1);
		free(text);
		free(cmd);
		free(out);
	}
	free(path);
	free(now);
	free(recorded);
	free(root);
}

static void test_missing_file_refused(void **state)
{
	struct testdb *t = *state;
	char *root = tree_copy();
	char *path = xasprintf("%s/backend/sql/003_roles.sql", root);
	assert_int_equal(unlink(path), 0);
	struct dc_err err = {{0}};
	assert_int_equal(migrate_apply(t->conn, false, false, NULL, &err), -1);
	printf("refused: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "003_roles.sql"));
	assert_non_null(strstr(err.msg, "missing"));
	free(path);
	free(root);
}

static void test_bad_names_refused(void **state)
{
	struct testdb *t = *state;
	static const char *const bad[] = { "4_short.sql", "004-dash.sql", "004_Upper.sql",
	                                   "004_.sql", "004_x.sql.orig" };
	for (size_t i = 0; i < DC_ARRAY_LEN(bad); i++) {
		char *root = tree_copy();
		tree_add(root, bad[i], "SELECT 1;\n");
		struct dc_err err = {{0}};
		assert_int_equal(migrate_apply(t->conn, false, false, NULL, &err), -1);
		printf("refused: %s\n", err.msg);
		assert_non_null(strstr(err.msg, bad[i]));
		assert_non_null(strstr(err.msg, "NNN_name.sql"));
		free(root);
	}
	char *root = tree_copy();
	tree_add(root, "003_again.sql", "SELECT 1;\n");
	struct dc_err err = {{0}};
	assert_int_equal(migrate_apply(t->conn, false, false, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "share version 3"));
	free(root);
}

static void test_new_file_applies_and_failure_rolls_back(void **state)
{
	struct testdb *t = *state;
	char *root = tree_copy();
	tree_add(root, "900_extra.sql", "CREATE TABLE dcops.extra_t (id integer);\n"
	                                "INSERT INTO dcops.extra_t VALUES (1);\n");
	struct migrate_result res;
	struct dc_err err = {{0}};
	apply_ok(t->conn, false, &res);
	assert_int_equal(res.applied, 1);
	assert_int_equal(res.current, shipped_count());

	tree_add(root, "901_broken.sql", "CREATE TABLE dcops.half_t (id integer);\n"
	                                 "-- the next statement is wrong\n"
	                                 "SELEC 1;\n");
	assert_int_equal(migrate_apply(t->conn, false, false, &res, &err), -1);
	printf("refused: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "901_broken.sql:3:"));
	assert_non_null(strstr(err.msg, "42601"));
	assert_int_equal(PQtransactionStatus(t->conn), PQTRANS_IDLE);
	char *v = testdb_value(t->conn, "SELECT to_regclass('dcops.half_t') IS NULL AND "
	                       "NOT EXISTS (SELECT 1 FROM dcops.schema_migrations WHERE version = 901)",
	                       0, NULL);
	assert_string_equal(v, "t");
	free(v);

	/* Out of order: a new file numbered below the newest applied one. */
	tree_add(root, "901_broken.sql", "SELECT 1;\n");
	apply_ok(t->conn, false, &res);
	tree_add(root, "899_late.sql", "SELECT 1;\n");
	assert_int_equal(migrate_apply(t->conn, false, false, &res, &err), -1);
	assert_non_null(strstr(err.msg, "899_late.sql is older than"));
	free(root);
}

/* Two runners at once on an empty database: the lock serialises them, so
 * each file is applied exactly once and neither fails. */
static void test_concurrent_runners(void **state)
{
	struct testdb *t = *state;
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			PGconn *c = testdb_connect(t);
			struct migrate_result res;
			struct dc_err err = {{0}};
			int rc = c ? migrate_apply(c, false, false, &res, &err) : -1;
			if (rc != 0)
				fprintf(stderr, "runner %d: %s\n", i, err.msg);
			else
				printf("runner %d: %d applied, %d current\n", i, res.applied, res.current);
			fflush(NULL);
			_exit(rc == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st;
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	char *count = testdb_value(t->conn, "SELECT count(*) FROM dcops.schema_migrations", 0, NULL);
	assert_int_equal(atoi(count), shipped_count());
	free(count);
}

int main(void)
{
	testdb_require();
	orig_datadir = xstrdup(dc_datadir());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_from_empty_then_rerun, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_changed_file_refused, setup_template, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_refused, setup_template, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names_refused, setup_template, teardown),
		cmocka_unit_test_setup_teardown(test_new_file_applies_and_failure_rolls_back,
		                                setup_template, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_runners, setup_empty, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	free(orig_datadir);
	return failed;
}
