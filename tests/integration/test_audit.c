/* test_audit.c — dcops.audit is append-only: UPDATE, DELETE and TRUNCATE
 * are refused even for a superuser (the harness connects as one), and the
 * adapter role may append but not change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testdb.h"

static int setup(void **state)
{
	struct testdb *t = xcalloc(1, sizeof *t);
	*state = t;
	if (testdb_create(t, false) != 0)
		return -1;
	return testdb_ok(t->conn, "INSERT INTO dcops.audit (action, target, reason, after) "
	                          "VALUES ('drain', 'node:g-h100-001', 'xid 79', '{\"a\": 1}')") ? 0 : -1;
}

static int teardown(void **state)
{
	testdb_drop(*state);
	free(*state);
	return 0;
}

static void assert_refused(PGconn *c, const char *sql, const char *op)
{
	char state[6], msg[256];
	testdb_fails(c, sql, state, msg, sizeof msg);
	printf("%-40s -> %s %s\n", sql, state, msg);
	assert_string_equal(state, "42501");
	assert_non_null(strstr(msg, "append-only"));
	assert_non_null(strstr(msg, op));
}

static void assert_unchanged(PGconn *c)
{
	char *v = testdb_value(c, "SELECT count(*) || ' ' || string_agg(reason || '/' || actor, ',') "
	                          "FROM dcops.audit", 0, NULL);
	assert_non_null(v);
	char *want = xasprintf("1 xid 79/%s", PQuser(c));
	assert_string_equal(v, want);
	free(want);
	free(v);
}

static void test_superuser_refused(void **state)
{
	struct testdb *t = *state;
	char *su = testdb_value(t->conn, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
	                        0, NULL);
	assert_string_equal(su, "t");
	free(su);

	assert_refused(t->conn, "UPDATE dcops.audit SET reason = 'rewritten'", "UPDATE");
	assert_refused(t->conn, "UPDATE dcops.audit SET after = NULL WHERE id = 1", "UPDATE");
	assert_refused(t->conn, "DELETE FROM dcops.audit", "DELETE");
	assert_refused(t->conn, "TRUNCATE dcops.audit", "TRUNCATE");
	assert_refused(t->conn, "TRUNCATE dcops.audit CASCADE", "TRUNCATE");
	assert_unchanged(t->conn);

	/* Appending still works. */
	assert_true(testdb_ok(t->conn, "INSERT INTO dcops.audit (action, target) VALUES ('resume', 'x')"));
	char *n = testdb_value(t->conn, "SELECT count(*) FROM dcops.audit", 0, NULL);
	assert_string_equal(n, "2");
	free(n);
}

static void test_adapter_appends_only(void **state)
{
	struct testdb *t = *state;
	assert_true(testdb_ok(t->conn, "SET ROLE dcops_adapter"));
	assert_true(testdb_ok(t->conn, "INSERT INTO dcops.audit (action, target) "
	                               "VALUES ('applied', 'action:1')"));
	char st[6];
	testdb_fails(t->conn, "UPDATE dcops.audit SET reason = 'x'", st, NULL, 0);
	assert_string_equal(st, "42501");
	testdb_fails(t->conn, "DELETE FROM dcops.audit", st, NULL, 0);
	assert_string_equal(st, "42501");
	testdb_fails(t->conn, "TRUNCATE dcops.audit", st, NULL, 0);
	assert_string_equal(st, "42501");
	assert_true(testdb_ok(t->conn, "RESET ROLE"));
	char *actor = testdb_value(t->conn, "SELECT actor FROM dcops.audit WHERE action = 'applied'",
	                           0, NULL);
	assert_string_equal(actor, PQuser(t->conn));   /* session_user, not the role set */
	free(actor);
}

int main(void)
{
	testdb_require();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_superuser_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adapter_appends_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
