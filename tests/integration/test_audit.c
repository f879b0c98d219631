/* test_audit.c — dcops.audit is append-only: UPDATE, DELETE and TRUNCATE
 * are refused by triggers even for a superuser (the harness connects as
 * one) while the triggers are enabled; no role but the owner writes the
 * table, so the adapter records what it did through dcops.adapter_audit,
 * which stamps its session_user and now(). The boundary tests show what is
 * not protected (the owner and superusers can get around the triggers), as
 * SECURITY.md says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "migrate.h"
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

/* The forged row of issue 12: the adapter cannot insert into the audit. */
static void test_adapter_appends_only(void **state)
{
	struct testdb *t = *state;
	assert_true(testdb_ok(t->conn, "SET ROLE dcops_adapter"));
	char st[6];
	testdb_fails(t->conn, "INSERT INTO dcops.audit (actor, client_addr, ts, action, target, reason) "
	                      "VALUES ('o', '10.1.2.3', '2020-01-01Z', 'quota_set', 'acme', 'forged')",
	             st, NULL, 0);
	assert_string_equal(st, "42501");
	testdb_fails(t->conn, "UPDATE dcops.audit SET reason = 'x'", st, NULL, 0);
	assert_string_equal(st, "42501");
	testdb_fails(t->conn, "DELETE FROM dcops.audit", st, NULL, 0);
	assert_string_equal(st, "42501");
	testdb_fails(t->conn, "TRUNCATE dcops.audit", st, NULL, 0);
	assert_string_equal(st, "42501");
	/* It appends through its function instead. */
	char *id = testdb_value(t->conn, "SELECT dcops.adapter_audit('applied', 'action/1', NULL, "
	                                 "'{\"status\": \"applied\"}', 'drain applied')", 0, NULL);
	assert_non_null(id);
	free(id);
	assert_true(testdb_ok(t->conn, "RESET ROLE"));
	char *actor = testdb_value(t->conn, "SELECT actor FROM dcops.audit WHERE action = 'applied'",
	                           0, NULL);
	assert_string_equal(actor, PQuser(t->conn));   /* session_user, not the role set */
	free(actor);
	char *n = testdb_value(t->conn, "SELECT count(*) FROM dcops.audit WHERE reason = 'forged'", 0, NULL);
	assert_string_equal(n, "0");
	free(n);
}

/* A login role of the group, made when missing (roles are cluster-wide). */
static PGconn *as_login(struct testdb *t, const char *role, const char *group)
{
	char *sql = xasprintf("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') "
	                      "THEN CREATE ROLE %s LOGIN IN ROLE %s; END IF; END $$", role, role, group);
	assert_true(testdb_ok(t->conn, sql));
	free(sql);
	char ci[192];
	snprintf(ci, sizeof ci, "%s user=%s", t->conninfo, role);
	struct dc_err err = {{0}};
	PGconn *c = db_connect_str(ci, "test-audit", &err);
	if (!c)
		fail_msg("connect as %s: %s", role, err.msg);
	return c;
}

/* Whatever the adapter's transaction claims, the row carries its login,
 * its transaction's now() and its address. */
static void test_adapter_record_stamped(void **state)
{
	struct testdb *t = *state;
	PGconn *ad = as_login(t, "audit_adapter", "dcops_adapter");
	assert_true(testdb_ok(ad, "BEGIN"));
	char *now = testdb_value(ad, "SELECT now()", 0, NULL);
	assert_true(testdb_ok(ad, "SET LOCAL ROLE dcops_adapter"));
	char *id = testdb_value(ad, "SELECT dcops.adapter_audit('applied', 'action/7', "
	                            "'{\"actor\": \"kim\", \"ts\": \"2020-01-01Z\"}', "
	                            "'{\"actor\": \"kim\"}', 'drain applied')", 0, NULL);
	assert_non_null(id);
	assert_true(testdb_ok(ad, "COMMIT"));
	const char *p[] = { id, now };
	char *row = testdb_value(t->conn, "SELECT actor || ' ' || (ts = $2::timestamptz) || ' ' || client_addr "
	                                  "|| ' ' || action || ' ' || target FROM dcops.audit WHERE id = $1::bigint",
	                         2, p);
	assert_string_equal(row, "audit_adapter true local applied action/7");
	free(row);
	free(id);
	free(now);
	/* Bad names are refused; a console role may not call it at all. */
	char st[6];
	testdb_fails(ad, "SELECT dcops.adapter_audit('Quota Set', 'x', NULL, NULL, '')", st, NULL, 0);
	assert_string_equal(st, "22023");
	PQfinish(ad);
	PGconn *op = as_login(t, "audit_op", "dcops_operator");
	testdb_fails(op, "SELECT dcops.adapter_audit('applied', 'x', NULL, NULL, '')", st, NULL, 0);
	assert_string_equal(st, "42501");
	PQfinish(op);
}

/* Roles that are neither the owner nor superusers cannot get around the
 * triggers: no disabling them, no replica mode. */
static void test_boundary_non_owner(void **state)
{
	struct testdb *t = *state;
	static const char *const logins[][2] = {
		{ "audit_op", "dcops_operator" }, { "audit_admin", "dcops_admin" },
		{ "audit_adapter", "dcops_adapter" },
	};
	static const char *const tries[] = {
		"UPDATE dcops.audit SET reason = 'rewritten'",
		"DELETE FROM dcops.audit",
		"ALTER TABLE dcops.audit DISABLE TRIGGER audit_no_update",
		"ALTER TABLE dcops.audit DISABLE TRIGGER ALL",
		"DROP TRIGGER audit_no_update ON dcops.audit",
		"SET session_replication_role = replica",
		"DELETE FROM dcops.incident_event",
		"ALTER TABLE dcops.incident_event DISABLE TRIGGER timeline_no_update",
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(logins); i++) {
		PGconn *c = as_login(t, logins[i][0], logins[i][1]);
		for (size_t k = 0; k < DC_ARRAY_LEN(tries); k++) {
			char st[6], msg[256];
			testdb_fails(c, tries[k], st, msg, sizeof msg);
			if (strcmp(st, "42501") != 0)
				fail_msg("as %s: %s: got '%s' (%s), want 42501", logins[i][0], tries[k], st, msg);
		}
		PQfinish(c);
	}
	assert_unchanged(t->conn);
}

/* What is NOT protected, shown so the documentation stays honest: a
 * superuser in replica mode skips the triggers and rewrites a row. */
static void test_boundary_superuser_documented(void **state)
{
	struct testdb *t = *state;
	assert_true(testdb_ok(t->conn, "BEGIN"));
	assert_true(testdb_ok(t->conn, "SET LOCAL session_replication_role = replica"));
	assert_true(testdb_ok(t->conn, "UPDATE dcops.audit SET reason = 'rewritten'"));
	char *v = testdb_value(t->conn, "SELECT reason FROM dcops.audit", 0, NULL);
	assert_string_equal(v, "rewritten");
	free(v);
	assert_true(testdb_ok(t->conn, "ROLLBACK"));
	assert_unchanged(t->conn);
	/* The owner (here the superuser that migrated) can switch the trigger off. */
	char *owner = testdb_value(t->conn, "SELECT pg_get_userbyid(relowner) FROM pg_class "
	                                    "WHERE oid = 'dcops.audit'::regclass", 0, NULL);
	assert_string_equal(owner, PQuser(t->conn));
	free(owner);
	assert_true(testdb_ok(t->conn, "BEGIN"));
	assert_true(testdb_ok(t->conn, "ALTER TABLE dcops.audit DISABLE TRIGGER audit_no_update"));
	assert_true(testdb_ok(t->conn, "DELETE FROM dcops.audit"));
	assert_true(testdb_ok(t->conn, "ROLLBACK"));
	assert_unchanged(t->conn);
}

/* SECURITY.md's setup: the schema belongs to a NOLOGIN role, migrated by a
 * NOINHERIT login that takes the owner's role for the run only; that login
 * cannot touch the audit's triggers otherwise. */
static void test_owner_not_a_login(void **state)
{
	struct testdb *t = *state;
	assert_true(testdb_ok(t->conn,
		"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_owner') THEN "
		"CREATE ROLE audit_owner NOLOGIN CREATEROLE; "
		"CREATE ROLE audit_dba LOGIN NOINHERIT IN ROLE audit_owner; END IF; END $$"));
	/* 003_roles.sql grants the group roles to each other (PostgreSQL 16
	 * wants ADMIN OPTION on them for that, not only CREATEROLE). */
	assert_true(testdb_ok(t->conn, "GRANT dcops_viewer, dcops_operator, dcops_admin, dcops_adapter "
	                               "TO audit_owner WITH ADMIN OPTION"));
	struct testdb own;
	assert_int_equal(testdb_create(&own, true), 0);
	char *sql = xasprintf("ALTER DATABASE %s OWNER TO audit_owner", own.name);
	assert_true(testdb_ok(own.conn, sql));
	free(sql);
	char *ci = xasprintf("%s user=audit_dba options='-c role=audit_owner'", own.conninfo);
	struct dc_err err = {{0}};
	PGconn *m = db_connect_str(ci, "test-audit", &err);
	free(ci);
	if (!m)
		fail_msg("connect as audit_dba: %s", err.msg);
	struct migrate_result res;
	if (migrate_apply(m, false, false, &res, &err) != 0)
		fail_msg("migrate as audit_owner: %s", err.msg);
	PQfinish(m);
	char *v = testdb_value(own.conn,
		"SELECT pg_get_userbyid(c.relowner) || ' ' || r.rolcanlogin || ' ' ||"
		"       (SELECT string_agg(DISTINCT applied_by, ',') FROM dcops.schema_migrations)"
		"  FROM pg_class c, pg_roles r WHERE c.oid = 'dcops.audit'::regclass AND r.oid = c.relowner",
		0, NULL);
	assert_string_equal(v, "audit_owner false audit_dba");
	free(v);
	ci = xasprintf("%s user=audit_dba", own.conninfo);
	PGconn *dba = db_connect_str(ci, "test-audit", &err);
	free(ci);
	assert_non_null(dba);
	char st[6];
	testdb_fails(dba, "ALTER TABLE dcops.audit DISABLE TRIGGER audit_no_update", st, NULL, 0);
	assert_string_equal(st, "42501");
	PQfinish(dba);
	testdb_drop(&own);
}

/* Appending under the harness's asynchronous commit: the audit row's
 * transaction commits synchronously; a write that appends no audit row
 * (telemetry, here a setting) keeps the session's setting. */
static void test_audit_commits_durably(void **state)
{
	struct testdb *t = *state;
	assert_true(testdb_ok(t->conn, "SET synchronous_commit = off"));
	assert_true(testdb_ok(t->conn, "BEGIN"));
	assert_true(testdb_ok(t->conn, "INSERT INTO dcops.audit (action, target) VALUES ('resume', 'x')"));
	char *v = testdb_value(t->conn, "SHOW synchronous_commit", 0, NULL);
	assert_string_equal(v, "on");
	free(v);
	assert_true(testdb_ok(t->conn, "COMMIT"));
	v = testdb_value(t->conn, "SHOW synchronous_commit", 0, NULL);
	assert_string_equal(v, "off");
	free(v);
	assert_true(testdb_ok(t->conn, "BEGIN"));
	assert_true(testdb_ok(t->conn, "INSERT INTO dcops.setting (key, value) VALUES ('test.x', '1')"));
	v = testdb_value(t->conn, "SHOW synchronous_commit", 0, NULL);
	assert_string_equal(v, "off");
	free(v);
	assert_true(testdb_ok(t->conn, "COMMIT"));
}

int main(void)
{
	testdb_require();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_superuser_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adapter_appends_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adapter_record_stamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundary_non_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundary_superuser_documented, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_not_a_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_commits_durably, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
