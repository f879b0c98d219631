/* test_roles.c — the console roles read but never write: dcops_viewer,
 * dcops_operator and dcops_admin may SELECT every table the feed follows,
 * and get SQLSTATE 42501 for INSERT, UPDATE, DELETE and TRUNCATE on every
 * table in schema dcops (writes go through functions only). The adapter
 * writes fleet state but neither the audit nor an incident's timeline
 * history, and no role but the owner holds a right to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testdb.h"

static const char *const roles[] = { "dcops_viewer", "dcops_operator", "dcops_admin" };

static int setup(void **state)
{
	struct testdb *t = xcalloc(1, sizeof *t);
	*state = t;
	return testdb_create(t, false);
}

static int teardown(void **state)
{
	testdb_drop(*state);
	free(*state);
	return 0;
}

/* Every table (and partition) in schema dcops with its first column, and
 * whether the console must be able to read it (the feed's tables; private
 * bookkeeping such as dcops.idempotency may refuse reads too). */
static PGresult *tables(PGconn *c)
{
	PGresult *r = testdb_query(c,
		"SELECT c.relname, a.attname,"
		"       c.relname IN (SELECT tbl FROM dcops.feed_table UNION SELECT 'tombstone')"
		"  FROM pg_class c"
		"  JOIN pg_namespace n ON n.oid = c.relnamespace"
		"  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1"
		" WHERE n.nspname = 'dcops' AND c.relkind IN ('r', 'p') ORDER BY 1", 0, NULL);
	assert_non_null(r);
	assert_true(PQntuples(r) >= 20);
	return r;
}

static void expect(PGconn *c, const char *role, const char *sql, const char *want)
{
	char st[6], msg[256];
	testdb_fails(c, sql, st, msg, sizeof msg);
	if (strcmp(st, want) != 0)
		fail_msg("as %s: %s: got SQLSTATE '%s' (%s), want '%s'", role, sql, st, msg, want);
}

static void check_role(PGconn *c, const char *role, const PGresult *tabs)
{
	char *set = xasprintf("SET ROLE %s", role);
	assert_true(testdb_ok(c, set));
	free(set);
	for (int i = 0; i < PQntuples(tabs); i++) {
		char *tbl = PQescapeIdentifier(c, PQgetvalue(tabs, i, 0), strlen(PQgetvalue(tabs, i, 0)));
		char *col = PQescapeIdentifier(c, PQgetvalue(tabs, i, 1), strlen(PQgetvalue(tabs, i, 1)));
		char *sql = xasprintf("SELECT count(*) FROM dcops.%s", tbl);
		if (strcmp(PQgetvalue(tabs, i, 2), "t") == 0)
			expect(c, role, sql, "");
		free(sql);
		sql = xasprintf("INSERT INTO dcops.%s DEFAULT VALUES", tbl);
		expect(c, role, sql, "42501");
		free(sql);
		sql = xasprintf("UPDATE dcops.%s SET %s = %s WHERE false", tbl, col, col);
		expect(c, role, sql, "42501");
		free(sql);
		sql = xasprintf("DELETE FROM dcops.%s WHERE false", tbl);
		expect(c, role, sql, "42501");
		free(sql);
		sql = xasprintf("TRUNCATE dcops.%s", tbl);
		expect(c, role, sql, "42501");
		free(sql);
		PQfreemem(tbl);
		PQfreemem(col);
	}
	expect(c, role, "SELECT nextval('dcops.version_seq')", "42501");
	expect(c, role, "SELECT dcops.snapshot_xmin()", "");
	assert_true(testdb_ok(c, "RESET ROLE"));
	printf("%s: %d tables, none writable\n", role, PQntuples(tabs));
}

static void test_console_roles_cannot_write(void **state)
{
	struct testdb *t = *state;
	PGresult *tabs = tables(t->conn);
	for (size_t i = 0; i < DC_ARRAY_LEN(roles); i++)
		check_role(t->conn, roles[i], tabs);
	PQclear(tabs);
}

static void test_roles_exist_without_login(void **state)
{
	struct testdb *t = *state;
	char *v = testdb_value(t->conn,
		"SELECT count(*) FILTER (WHERE NOT rolcanlogin AND NOT rolsuper AND rolpassword IS NULL)"
		"  FROM pg_authid WHERE rolname IN ('dcops_viewer', 'dcops_operator', 'dcops_admin',"
		"                                   'dcops_adapter')", 0, NULL);
	assert_string_equal(v, "4");
	free(v);
	/* admin inherits operator inherits viewer. */
	v = testdb_value(t->conn, "SELECT pg_has_role('dcops_admin', 'dcops_viewer', 'USAGE') AND "
	                 "pg_has_role('dcops_operator', 'dcops_viewer', 'USAGE') AND "
	                 "NOT pg_has_role('dcops_viewer', 'dcops_operator', 'USAGE')", 0, NULL);
	assert_string_equal(v, "t");
	free(v);
}

static void test_adapter_cannot_forge(void **state)
{
	struct testdb *t = *state;
	assert_true(testdb_ok(t->conn, "SET ROLE dcops_adapter"));
	static const char *const refused[] = {
		"INSERT INTO dcops.audit (actor, client_addr, ts, action, target, reason) "
		"VALUES ('o', '10.1.2.3', '2020-01-01Z', 'quota_set', 'acme', 'forged')",
		"DELETE FROM dcops.incident_event",
		"UPDATE dcops.incident_event SET body = body",
		"TRUNCATE dcops.incident_event",
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(refused); i++)
		expect(t->conn, "dcops_adapter", refused[i], "42501");
	/* It still appends timeline signals. */
	expect(t->conn, "dcops_adapter", "INSERT INTO dcops.incident_event (incident_id, kind) "
	                                 "SELECT id, 'signal' FROM dcops.incident WHERE false", "");
	assert_true(testdb_ok(t->conn, "RESET ROLE"));
	char *v = testdb_value(t->conn,
		"SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a"
		" WHERE c.oid IN ('dcops.audit'::regclass, 'dcops.incident_event'::regclass)"
		"   AND a.grantee <> c.relowner"
		"   AND (a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')"
		"        OR (c.oid = 'dcops.audit'::regclass AND a.privilege_type = 'INSERT'))", 0, NULL);
	assert_string_equal(v, "0");
	free(v);
}

int main(void)
{
	testdb_require();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_console_roles_cannot_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles_exist_without_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adapter_cannot_forge, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
