/* test_actions.c — operator actions against a real PostgreSQL: the SQL
 * functions of 005_actions.sql (rights, guard rails, optimistic
 * concurrency, idempotency, audit) and the C API in actions.h. Each test
 * gets a fresh copy of the migrated template plus tests/isolation/fixture.sql
 * (partition p1: 20 nodes, p2: 5; tenants acme and 한빛랩; incident 1;
 * login roles act_viewer, act_op, act_op2, act_admin). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "actions.h"
#include "testdb.h"

struct fx {
	struct testdb db;
};

static int fx_setup(void **state)
{
	testdb_require();
	struct fx *f = xcalloc(1, sizeof *f);
	if (testdb_create(&f->db, false) != 0)
		return -1;
	char *path = xasprintf("%s/tests/isolation/fixture.sql", getenv("DCOPS_ROOT"));
	char *sql = NULL;
	size_t len;
	struct dc_err err = {{0}};
	int rc = dc_read_file(path, 1 << 20, &sql, &len, &err);
	free(path);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	PGresult *r = PQexec(f->db.conn, sql);
	free(sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "fixture: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	testdb_drop(&f->db);
	free(f);
	return 0;
}

static PGconn *as_role(struct fx *f, const char *role)
{
	char ci[160];
	snprintf(ci, sizeof ci, "%s user=%s", f->db.conninfo, role);
	struct dc_err err = {{0}};
	PGconn *c = db_connect_str(ci, "test-actions", &err);
	if (!c)
		fail_msg("connect as %s: %s", role, err.msg);
	return c;
}

/* sql must fail with state; when part is non-NULL the message contains it. */
static void want_fail(PGconn *c, const char *sql, const char *state, const char *part)
{
	char got[6], msg[512];
	testdb_fails(c, sql, got, msg, sizeof msg);
	if (strcmp(got, state) != 0)
		fail_msg("%s\n  want SQLSTATE %s, got '%s': %s", sql, state, got, msg);
	if (part && !strstr(msg, part))
		fail_msg("%s\n  message '%s' lacks '%s'", sql, msg, part);
}

static void want_ok(PGconn *c, const char *sql)
{
	if (!testdb_ok(c, sql))
		fail_msg("failed: %s", sql);
}

static long long value_ll(PGconn *c, const char *sql)
{
	char *v = testdb_value(c, sql, 0, NULL);
	assert_non_null(v);
	long long n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

static void want_value(PGconn *c, const char *sql, const char *want)
{
	char *v = testdb_value(c, sql, 0, NULL);
	assert_non_null(v);
	if (strcmp(v, want) != 0)
		fail_msg("%s\n  want '%s', got '%s'", sql, want, v);
	free(v);
}

/* Waits until backend pid waits for a lock (at most 10 s). */
static void wait_blocked(PGconn *c, int pid)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_locks WHERE pid = %d AND NOT granted", pid);
	for (int i = 0; i < 1000; i++) {
		if (value_ll(c, sql) > 0)
			return;
		usleep(10000);
	}
	fail_msg("backend %d never blocked", pid);
}

/* The one result of an async query sent earlier, as (state, message). */
static void async_result(PGconn *c, char state[6], char *msg, size_t n)
{
	PGresult *r, *last = NULL;
	while ((r = PQgetResult(c))) {
		PQclear(last);
		last = r;
	}
	const char *s = PQresultErrorField(last, PG_DIAG_SQLSTATE);
	const char *m = PQresultErrorField(last, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(state, 6, "%s", s ? s : "");
	snprintf(msg, n, "%s", m ? m : "");
	PQclear(last);
}

/* ---------------------------------------------------------------- rights */

static const char *const every_call[] = {
	"SELECT dcops.drain('{gpu-001}', 'gpu fell off the bus', NULL, NULL, NULL, 'viewer-key-1', false)",
	"SELECT dcops.resume('{gpu-001}', 'gpu is back in service', NULL, 'viewer-key-2')",
	"SELECT dcops.quota_set('acme', 17, NULL, NULL, 'a little more for acme', NULL, NULL, 'viewer-key-3')",
	"SELECT dcops.incident_open(3, 'rack r1 down', '', NULL, NULL, 'viewer-key-4')",
	"SELECT dcops.incident_ack(1, NULL, 'viewer-key-5')",
	"SELECT dcops.incident_assign(1, 'act_op', NULL, 'viewer-key-6')",
	"SELECT dcops.incident_sev(1, 2, 'now a whole partition', NULL, 'viewer-key-7')",
	"SELECT dcops.incident_note(1, 'called the vendor', 'viewer-key-8')",
	"SELECT dcops.incident_link(1, '{gpu-002}', NULL, 'viewer-key-9')",
	"SELECT dcops.incident_resolve(1, 'replaced the riser card', NULL, 'viewer-key-10')",
	"SELECT dcops.quota_revert_due()",
};

static void test_viewer_refused_everywhere(void **state)
{
	struct fx *f = *state;
	PGconn *v = as_role(f, "act_viewer");
	for (size_t i = 0; i < DC_ARRAY_LEN(every_call); i++)
		want_fail(v, every_call[i], "42501", NULL);
	/* Helpers are not callable either. */
	want_fail(v, "SELECT dcops.act_audit('drain', 'x', NULL, NULL, 'r', NULL, NULL, NULL)", "42501", NULL);
	PQfinish(v);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit", "0");
}

static const char *const direct_writes[] = {
	"UPDATE dcops.node SET admin_state = 'drained', drain_reason = 'x' WHERE name = 'gpu-001'",
	"UPDATE dcops.node SET admin_version = 99",
	"UPDATE dcops.quota SET gpu_limit = 1000",
	"UPDATE dcops.incident SET state = 'resolved', resolved_at = now()",
	"INSERT INTO dcops.actions (kind, target, reason, idempotency_key) VALUES ('drain', 'gpu-001', 'x', 'direct-key-1')",
	"UPDATE dcops.actions SET status = 'applied'",
	"INSERT INTO dcops.audit (action, target) VALUES ('drain', 'gpu-001')",
	"DELETE FROM dcops.audit",
	"UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct'",
	"SELECT * FROM dcops.idempotency",
};

static void test_no_direct_writes(void **state)
{
	struct fx *f = *state;
	const char *roles[] = { "act_viewer", "act_op", "act_admin" };
	for (size_t r = 0; r < DC_ARRAY_LEN(roles); r++) {
		PGconn *c = as_role(f, roles[r]);
		for (size_t i = 0; i < DC_ARRAY_LEN(direct_writes); i++)
			want_fail(c, direct_writes[i], "42501", NULL);
		PQfinish(c);
	}
}

static void test_audit_append_only(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	want_ok(op, "SELECT dcops.incident_note(1, 'looking at it now', 'append-key-1')");
	PQfinish(op);
	/* Not even the superuser may rewrite history. */
	want_fail(f->db.conn, "UPDATE dcops.audit SET reason = 'nothing happened'", "42501", NULL);
	want_fail(f->db.conn, "DELETE FROM dcops.audit", "42501", NULL);
	want_fail(f->db.conn, "TRUNCATE dcops.audit", "42501", NULL);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit", "1");
}

/* A pg_temp table or function named like ours changes nothing. */
static void test_shadow_in_pg_temp(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	want_ok(op, "CREATE TEMP TABLE node (LIKE dcops.node)");
	want_ok(op, "INSERT INTO pg_temp.node SELECT * FROM dcops.node");
	want_ok(op, "UPDATE pg_temp.node SET name = 'ghost-' || name");
	want_ok(op, "CREATE TEMP TABLE setting (key text, value text)");
	want_ok(op, "INSERT INTO pg_temp.setting VALUES ('guard.drain_pct', '100'), "
	              "('guard.reason_min_words', '0'), ('guard.reason_min_chars', '0')");
	want_ok(op, "CREATE TEMP TABLE actions (LIKE dcops.actions)");
	want_ok(op, "CREATE TEMP TABLE audit (LIKE dcops.audit)");
	want_ok(op, "CREATE FUNCTION pg_temp.act_is_admin() RETURNS boolean LANGUAGE sql AS 'SELECT true'");
	want_ok(op, "SET search_path = pg_temp, dcops, pg_catalog");
	want_fail(op, "SELECT dcops.drain('{ghost-gpu-001}', 'fell off the bus', NULL, NULL, NULL, "
	                "'shadow-key-1', false)", "42704", "ghost-gpu-001");
	want_fail(op, "SELECT dcops.drain('{gpu-001}', 'x', NULL, NULL, NULL, 'shadow-key-2', false)",
	            "22023", NULL);
	want_fail(op, "SELECT dcops.drain('{gpu-001,gpu-002,gpu-003}', 'three nodes fell off the bus', "
	                "NULL, NULL, NULL, 'shadow-key-3', true)", "42501", NULL);
	want_ok(op, "SELECT dcops.drain('{gpu-001}', 'gpu fell off the bus', NULL, NULL, NULL, "
	              "'shadow-key-4', false)");
	want_value(op, "SELECT count(*) FROM pg_temp.actions", "0");
	want_value(op, "SELECT count(*) FROM pg_temp.audit", "0");
	PQfinish(op);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.actions WHERE target = 'gpu-001'", "1");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit", "1");
}

/* ---------------------------------------------------------------- drain / resume */

static void test_drain_records_action_and_audit(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	want_value(op, "SELECT array_length(action_ids, 1)::text || ' ' || incident_id || ' ' || replayed "
	                 "FROM dcops.drain('{gpu-001}', 'Xid 79: fell off the bus', 1, "
	                 "now() + interval '2 hours', '{0}', 'drain-key-1', false)", "1 1 false");
	PQfinish(op);
	PGconn *c = f->db.conn;
	want_value(c, "SELECT kind || ' ' || target || ' ' || status || ' ' || requested_by || ' ' || "
	                "(params->>'incident_id') || ' ' || (params->>'expected_version') || ' ' || "
	                "(params->>'resume_after' IS NOT NULL) FROM dcops.actions",
	             "drain gpu-001 pending act_op 1 1 true");
	want_value(c, "SELECT count(*) FROM dcops.audit", "1");
	want_value(c, "SELECT actor || ' ' || client_addr || ' ' || action || ' ' || target || ' ' || "
	                "incident_id || ' ' || idempotency_key || ' ' || "
	                "(before->'gpu-001'->>'admin_version') || ' ' || (after->'gpu-001'->>'admin_version') "
	                "|| ' ' || (after->'gpu-001'->>'intent') FROM dcops.audit",
	             "act_op local drain gpu-001 1 drain-key-1 0 1 draining");
	want_value(c, "SELECT admin_version || ' ' || admin_changed_by || ' ' || admin_state "
	                "FROM dcops.node WHERE name = 'gpu-001'", "1 act_op active");
	/* Linked to the incident, with a timeline entry. */
	want_value(c, "SELECT count(*) FROM dcops.incident_node WHERE incident_id = 1", "1");
	want_value(c, "SELECT kind FROM dcops.incident_event WHERE incident_id = 1", "link");
}

static void test_drain_refusals(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	want_fail(op, "SELECT dcops.drain('{gpu-001}', 'broken', NULL, NULL, NULL, 'refuse-key-1', false)",
	            "22023", "at least 3 words");
	want_fail(op, "SELECT dcops.drain('{gpu-001,nope-9}', 'gpu fell off the bus', NULL, NULL, NULL, "
	                "'refuse-key-2', false)", "42704", "\"nope-9\"");
	want_fail(op, "SELECT dcops.drain('{gpu-001}', 'gpu fell off the bus', 999, NULL, NULL, "
	                "'refuse-key-3', false)", "42704", "unknown incident 999");
	want_fail(op, "SELECT dcops.drain('{gpu-001}', 'gpu fell off the bus', NULL, now() - interval '1 hour', "
	                "NULL, 'refuse-key-4', false)", "22023", "not in the future");
	want_fail(op, "SELECT dcops.drain('{gpu-001}', 'gpu fell off the bus', NULL, NULL, '{7}', "
	                "'refuse-key-5', false)", "40001", "version 7");
	want_fail(op, "SELECT dcops.drain('{gpu-001,gpu-001}', 'gpu fell off the bus', NULL, NULL, NULL, "
	                "'refuse-key-6', false)", "22023", "listed twice");
	want_fail(op, "SELECT dcops.resume('{gpu-001}', 'it works again now', NULL, 'refuse-key-7')",
	            "55000", "not drained");
	want_ok(op, "SELECT dcops.drain('{gpu-001}', 'gpu fell off the bus', NULL, NULL, NULL, 'refuse-key-8', false)");
	want_fail(op, "SELECT dcops.drain('{gpu-001}', 'gpu fell off the bus', NULL, NULL, NULL, "
	                "'refuse-key-9', false)", "55000", "already draining: drain #");
	/* The adapter applies it: still refused, now naming the state. */
	want_ok(f->db.conn, "UPDATE dcops.actions SET status = 'applied', applied_at = now()");
	want_ok(f->db.conn, "UPDATE dcops.node SET admin_state = 'drained', drain_reason = 'gpu fell off the bus', "
	                      "drained_by = 'act_op', drained_at = now() WHERE name = 'gpu-001'");
	want_fail(op, "SELECT dcops.drain('{gpu-001}', 'gpu fell off the bus', NULL, NULL, NULL, "
	                "'refuse-key-10', false)", "55000", "already drained (by act_op");
	PQfinish(op);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit", "1");
}

/* The operator-state version moves with intents and admin changes, not telemetry. */
static void test_admin_version_ignores_telemetry(void **state)
{
	struct fx *f = *state;
	PGconn *c = f->db.conn;
	want_ok(c, "UPDATE dcops.node SET last_seen = now(), power_w = 900 WHERE name = 'gpu-003'");
	want_value(c, "SELECT admin_version FROM dcops.node WHERE name = 'gpu-003'", "0");
	want_ok(c, "UPDATE dcops.node SET admin_state = 'draining', drain_reason = 'x' WHERE name = 'gpu-003'");
	want_value(c, "SELECT admin_version FROM dcops.node WHERE name = 'gpu-003'", "1");
	/* draining -> drained is the jobs ending, not a new intent. */
	want_ok(c, "UPDATE dcops.node SET admin_state = 'drained' WHERE name = 'gpu-003'");
	want_value(c, "SELECT admin_version FROM dcops.node WHERE name = 'gpu-003'", "1");
	want_ok(c, "UPDATE dcops.quota SET gpu_hours_used = 10 WHERE tenant_id = 1");
	want_value(c, "SELECT limits_version FROM dcops.quota WHERE tenant_id = 1", "0");
	want_ok(c, "UPDATE dcops.quota SET gpu_limit = 17 WHERE tenant_id = 1");
	want_value(c, "SELECT limits_version FROM dcops.quota WHERE tenant_id = 1", "1");
	/* Resume then works from the version the operator saw. */
	PGconn *op = as_role(f, "act_op");
	want_ok(op, "SELECT dcops.resume('{gpu-003}', 'riser card replaced today', '{1}', 'version-key-1')");
	PQfinish(op);
}

static void test_idempotent_retry(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	const char *call = "SELECT action_ids::text || ' ' || audit_id || ' ' || replayed FROM "
	                   "dcops.drain('{gpu-004,gpu-005}', 'ib link flapping on both', NULL, NULL, NULL, "
	                   "'retry-key-0001', false)";
	char *first = testdb_value(op, call, 0, NULL);
	char *again = testdb_value(op, call, 0, NULL);
	assert_non_null(first);
	assert_non_null(again);
	assert_string_equal(first, "{1,2} 1 false");
	assert_string_equal(again, "{1,2} 1 true");
	free(first);
	free(again);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.actions", "2");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit", "1");
	/* The same key with other arguments, or by someone else, is refused. */
	want_fail(op, "SELECT dcops.drain('{gpu-004}', 'ib link flapping on both', NULL, NULL, NULL, "
	                "'retry-key-0001', false)", "23505", "already used by act_op");
	PQfinish(op);
	PGconn *op2 = as_role(f, "act_op2");
	want_fail(op2, call, "23505", NULL);
	want_fail(op2, "SELECT dcops.incident_note(1, 'hello there', 'bad key with spaces')", "22023", NULL);
	PQfinish(op2);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.actions", "2");
}

/* Two operators drain the same node at once: exactly one wins; the
 * other is told who changed it and when. */
static void test_concurrent_same_node(void **state)
{
	struct fx *f = *state;
	PGconn *a = as_role(f, "act_op");
	PGconn *b = as_role(f, "act_op2");
	want_ok(a, "BEGIN");
	want_ok(a, "SELECT dcops.drain('{gpu-006}', 'Xid 48 double bit ECC', NULL, NULL, '{0}', 'race-key-a', false)");
	assert_int_equal(PQsendQuery(b, "SELECT dcops.drain('{gpu-006}', 'Xid 48 double bit ECC', NULL, NULL, "
	                                "'{0}', 'race-key-b', false)"), 1);
	wait_blocked(f->db.conn, PQbackendPID(b));
	want_ok(a, "COMMIT");
	char st[6], msg[512];
	async_result(b, st, msg, sizeof msg);
	assert_string_equal(st, "40001");
	if (!strstr(msg, "node gpu-006 was changed by act_op at ") || !strstr(msg, "you saw version 0, it is now 1"))
		fail_msg("conflict message: %s", msg);
	/* Without a version, the loser is told the drain is already pending. */
	want_fail(b, "SELECT dcops.drain('{gpu-006}', 'Xid 48 double bit ECC', NULL, NULL, NULL, "
	               "'race-key-c', false)", "55000", "requested by act_op");
	PQfinish(a);
	PQfinish(b);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.actions WHERE target = 'gpu-006'", "1");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit", "1");
}

/* p1 has 20 nodes: the 10% guard allows 2 per hour. Two drains that each
 * fit cannot together pass it. */
static void test_concurrent_partition_limit(void **state)
{
	struct fx *f = *state;
	PGconn *a = as_role(f, "act_op");
	PGconn *b = as_role(f, "act_op2");
	want_ok(a, "BEGIN");
	want_ok(a, "SELECT dcops.drain('{gpu-010,gpu-011}', 'leaf switch row 1 flapping', NULL, NULL, NULL, "
	             "'limit-key-a', false)");
	assert_int_equal(PQsendQuery(b, "SELECT dcops.drain('{gpu-012}', 'Xid 79 fell off the bus', NULL, NULL, "
	                                "NULL, 'limit-key-b', false)"), 1);
	wait_blocked(f->db.conn, PQbackendPID(b));
	want_ok(a, "COMMIT");
	char st[6], msg[512];
	async_result(b, st, msg, sizeof msg);
	assert_string_equal(st, "42501");
	if (!strstr(msg, "partition p1 would make 3 of 20 drained"))
		fail_msg("guard message: %s", msg);
	/* Another partition is not affected. */
	want_ok(b, "SELECT dcops.drain('{a100-001}', 'Xid 79 fell off the bus', NULL, NULL, NULL, 'limit-key-c', false)");
	PQfinish(a);
	PQfinish(b);
	want_value(f->db.conn, "SELECT string_agg(target, ',' ORDER BY id) FROM dcops.actions",
	             "gpu-010,gpu-011,a100-001");
}

static void test_guard_override(void **state)
{
	struct fx *f = *state;
	const char *three = "SELECT dcops.drain('{gpu-001,gpu-002,gpu-003}', 'rack r1 power shelf failed', "
	                    "NULL, NULL, NULL, '%s', %s)";
	char sql[256];
	PGconn *op = as_role(f, "act_op");
	snprintf(sql, sizeof sql, three, "override-key-1", "false");
	want_fail(op, sql, "42501", "needs dcops_admin with override");
	snprintf(sql, sizeof sql, three, "override-key-2", "true");
	want_fail(op, sql, "42501", "override needs dcops_admin");
	PQfinish(op);
	PGconn *adm = as_role(f, "act_admin");
	snprintf(sql, sizeof sql, three, "override-key-3", "false");
	want_fail(adm, sql, "42501", "confirm with override");
	snprintf(sql, sizeof sql, three, "override-key-4", "true");
	want_ok(adm, sql);
	PQfinish(adm);
	want_value(f->db.conn, "SELECT after->>'overridden_partitions' FROM dcops.audit", "[\"p1\"]");
	/* The window is a setting: past it, the earlier drains no longer count. */
	want_ok(f->db.conn, "UPDATE dcops.setting SET value = '1 second' WHERE key = 'guard.drain_window'");
	want_ok(f->db.conn, "UPDATE dcops.actions SET requested_at = now() - interval '1 minute'");
	op = as_role(f, "act_op");
	want_ok(op, "SELECT dcops.drain('{gpu-004,gpu-005}', 'second wave of ECC errors', NULL, NULL, NULL, "
	              "'override-key-5', false)");
	PQfinish(op);
}

/* ---------------------------------------------------------------- quotas */

static void test_quota_guards(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	want_fail(op, "SELECT dcops.quota_set('acme', 40, NULL, NULL, 'paper deadline next week', NULL, NULL, "
	                "'quota-key-1')", "42501", "by more than 50%");
	want_fail(op, "SELECT dcops.quota_set('acme', 10, NULL, NULL, 'shrink after the deadline', NULL, NULL, "
	                "'quota-key-2')", "42501", "below its 12 running GPUs");
	want_fail(op, "SELECT dcops.quota_set('nobody', 10, NULL, NULL, 'shrink after the deadline', NULL, NULL, "
	                "'quota-key-3')", "42704", "unknown tenant \"nobody\"");
	want_fail(op, "SELECT dcops.quota_set('acme', 16, NULL, NULL, 'no change at all here', NULL, NULL, "
	                "'quota-key-4')", "22023", "already has these values");
	want_fail(op, "SELECT dcops.quota_set('acme', 20, NULL, NULL, 'more for the paper', NULL, 5, "
	                "'quota-key-5')", "40001", "quota of \"acme\"");
	want_ok(op, "SELECT dcops.quota_set('acme', 20, 1200, NULL, 'more for the paper deadline', "
	              "now() + interval '1 day', 0, 'quota-key-6')");
	/* The next change is judged against the pending intent, not the old row. */
	want_fail(op, "SELECT dcops.quota_set('acme', 24, NULL, NULL, 'a bit more on top of that', NULL, 0, "
	                "'quota-key-7')", "40001", "changed by act_op");
	want_ok(op, "SELECT dcops.quota_set('한빛랩', 10, NULL, NULL, '두 개 더 필요합니다 for the demo', NULL, NULL, "
	              "'quota-key-8')");
	PQfinish(op);
	PGconn *adm = as_role(f, "act_admin");
	want_ok(adm, "SELECT dcops.quota_set('acme', 4, NULL, NULL, 'tenant asked to shrink now', NULL, NULL, "
	               "'quota-key-9')");
	PQfinish(adm);
	PGconn *c = f->db.conn;
	want_value(c, "SELECT (params->'previous'->>'gpu_limit') || '->' || (params->>'gpu_limit') "
	                "FROM dcops.actions ORDER BY id", "16->20");
	want_value(c, "SELECT string_agg((params->'previous'->>'gpu_limit') || '->' || (params->>'gpu_limit'), ' ' "
	                "ORDER BY id) FROM dcops.actions", "16->20 8->10 20->4");
	want_value(c, "SELECT count(*) FROM dcops.audit WHERE action = 'quota_set'", "3");
	want_value(c, "SELECT before->>'gpus_running' FROM dcops.audit WHERE target = 'acme' ORDER BY id LIMIT 1", "12");
}

/* The adapter applies a time-boxed quota; once expired, quota_revert_due
 * queues exactly one revert with its audit row. */
static void test_quota_revert_due(void **state)
{
	struct fx *f = *state;
	PGconn *c = f->db.conn;
	want_ok(c, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'act_adapter') THEN "
	             "CREATE ROLE act_adapter LOGIN IN ROLE dcops_adapter; END IF; END $$");
	PGconn *op = as_role(f, "act_op");
	want_ok(op, "SELECT dcops.quota_set('acme', 20, NULL, NULL, 'more for the paper deadline', "
	              "now() + interval '1 hour', NULL, 'revert-key-1')");
	PQfinish(op);
	/* What the adapter does when it applies the action (the expiry then passes). */
	want_ok(c, "UPDATE dcops.quota SET gpu_limit = 20, expires_at = '2020-01-01 00:00:00+00' WHERE tenant_id = 1");
	want_ok(c, "UPDATE dcops.actions SET status = 'applied', applied_at = now(), "
	             "params = jsonb_set(params, '{expires_at}', to_jsonb('2020-01-01 00:00:00+00'::timestamptz))");
	PGconn *ad = as_role(f, "act_adapter");
	want_value(ad, "SELECT count(*) FROM dcops.quota_revert_due()", "1");
	want_value(ad, "SELECT count(*) FROM dcops.quota_revert_due()", "0");
	PQfinish(ad);
	want_value(c, "SELECT kind || ' ' || target || ' ' || (params->>'gpu_limit') || ' ' || "
	                "(params->'previous'->>'gpu_limit') FROM dcops.actions WHERE status = 'pending'",
	             "quota_revert acme 16 20");
	want_value(c, "SELECT actor || ' ' || (before->>'gpu_limit') || '->' || (after->>'gpu_limit') "
	                "FROM dcops.audit WHERE action = 'quota_revert'", "act_adapter 20->16");
}

/* Issue 12: 8 -> 12 -> 18 -> 27 -> 40 -> 60 used to pass step by step; the
 * guard measures each step against the quota as it stood at the start of
 * guard.quota_window too, so the walk stops where it passes 50% of 8. */
static void test_quota_walk(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	want_ok(op, "SELECT dcops.quota_set('한빛랩', 12, NULL, NULL, 'a little more for the paper', NULL, NULL, "
	              "'walk-key-12')");
	static const char *const steps[] = { "18", "27", "40", "60" };
	for (size_t i = 0; i < DC_ARRAY_LEN(steps); i++) {
		char *sql = xasprintf("SELECT dcops.quota_set('한빛랩', %s, NULL, NULL, 'a little more for the paper', "
		                      "NULL, NULL, 'walk-key-%s')", steps[i], steps[i]);
		want_fail(op, sql, "42501", "changing gpu_limit of \"한빛랩\" by more than 50% needs dcops_admin");
		free(sql);
	}
	want_fail(op, "SELECT dcops.quota_set('한빛랩', 18, NULL, NULL, 'a little more for the paper', NULL, NULL, "
	                "'walk-key-18b')", "42501", "(within 1 hour: gpu_limit 8 -> 12 -> 18)");
	/* Back within the window's bounds is fine. */
	want_ok(op, "SELECT dcops.quota_set('한빛랩', 11, NULL, NULL, 'a little less for the paper', NULL, NULL, "
	              "'walk-key-11')");
	PGconn *c = f->db.conn;
	want_value(c, "SELECT string_agg(params->>'gpu_limit', ' ' ORDER BY id) FROM dcops.actions", "12 11");
	/* Once the window has passed, the next step is measured from 11. */
	want_ok(c, "UPDATE dcops.actions SET requested_at = requested_at - interval '61 minutes'");
	want_ok(op, "SELECT dcops.quota_set('한빛랩', 16, NULL, NULL, 'a little more for the paper', NULL, NULL, "
	              "'walk-key-16')");
	PQfinish(op);
	PGconn *adm = as_role(f, "act_admin");
	want_ok(adm, "SELECT dcops.quota_set('한빛랩', 60, NULL, NULL, 'the admin decides this one', NULL, NULL, "
	               "'walk-key-60')");
	PQfinish(adm);
	want_value(c, "SELECT string_agg(params->>'gpu_limit', ' ' ORDER BY id) FROM dcops.actions", "12 11 16 60");
}

/* Issue 12: NaN, Infinity and absurd amounts were accepted. */
static void test_quota_values(void **state)
{
	struct fx *f = *state;
	PGconn *adm = as_role(f, "act_admin");
	static const struct { const char *args, *msg; } bad[] = {
		{ "NULL, 'NaN', NULL", "gpu_hours_budget must be a finite number from 0 to 100000000, not NaN" },
		{ "NULL, 'Infinity', NULL", "gpu_hours_budget must be a finite number from 0 to 100000000, not Infinity" },
		{ "NULL, '-Infinity', NULL", "gpu_hours_budget must be a finite number from 0 to 100000000, not -Infinity" },
		{ "NULL, 9999999999999, NULL", "gpu_hours_budget must be a finite number from 0 to 100000000, not 9999999999999" },
		{ "NULL, -1, NULL", "gpu_hours_budget must be a finite number from 0 to 100000000, not -1" },
		{ "NULL, NULL, 'NaN'", "storage_tb must be a finite number from 0 to 1000000, not NaN" },
		{ "NULL, NULL, 1e7", "storage_tb must be a finite number from 0 to 1000000, not 10000000" },
		{ "100001, NULL, NULL", "gpu_limit must be a finite number from 0 to 100000, not 100001" },
		{ "-1, NULL, NULL", "gpu_limit must be a finite number from 0 to 100000, not -1" },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(bad); i++) {
		char *sql = xasprintf("SELECT dcops.quota_set('acme', %s, 'the tenant asked for this', NULL, NULL, "
		                      "'value-key-%zu')", bad[i].args, i);
		want_fail(adm, sql, "22023", bad[i].msg);
		free(sql);
	}
	want_ok(adm, "SELECT dcops.quota_set('acme', 100000, 100000000, 1000000, 'the largest quota allowed', "
	               "NULL, NULL, 'value-key-max')");
	PQfinish(adm);
	PGconn *c = f->db.conn;
	want_value(c, "SELECT count(*) FROM dcops.actions", "1");
	/* The table refuses a NaN from any writer, the adapter included. */
	want_fail(c, "UPDATE dcops.quota SET gpu_hours_budget = 'NaN' WHERE tenant_id = 1", "23514",
	          "quota_gpu_hours_budget_finite");
}

/* Every operator write commits synchronously, whatever the session asks. */
static void test_actions_durable(void **state)
{
	struct fx *f = *state;
	static const char *const calls[] = {
		"SELECT dcops.drain('{gpu-005}', 'gpu fell off the bus', NULL, NULL, NULL, 'durable-key-1', false)",
		"SELECT dcops.resume('{gpu-005}', 'gpu is back in service', NULL, 'durable-key-2')",
		"SELECT dcops.quota_set('acme', 17, NULL, NULL, 'a little more for acme', NULL, NULL, 'durable-key-3')",
		"SELECT dcops.incident_open(3, 'rack r1 down', '', NULL, NULL, 'durable-key-4')",
		"SELECT dcops.incident_note(1, 'called the vendor', 'durable-key-5')",
		"SELECT dcops.shift_start('durable-key-6')",
		"SELECT dcops.diag_record('gpu-001', 'nvidia-smi', 0, 120, false, 'durable-key-7')",
	};
	PGconn *op = as_role(f, "act_op");
	want_ok(op, "SET synchronous_commit = off");
	for (size_t i = 0; i < DC_ARRAY_LEN(calls); i++) {
		want_ok(op, "BEGIN");
		want_ok(op, calls[i]);
		char *v = testdb_value(op, "SHOW synchronous_commit", 0, NULL);
		if (!v || strcmp(v, "on") != 0)
			fail_msg("%s: commits with synchronous_commit = %s", calls[i], v ? v : "?");
		free(v);
		want_ok(op, "COMMIT");
		want_value(op, "SHOW synchronous_commit", "off");
	}
	PQfinish(op);
	/* Telemetry keeps the server's setting. */
	PGconn *c = f->db.conn;
	want_ok(c, "SET synchronous_commit = off");
	want_ok(c, "BEGIN");
	want_ok(c, "UPDATE dcops.gpu SET util_pct = 50");
	want_ok(c, "UPDATE dcops.node SET power_w = 4000, last_seen = now()");
	want_value(c, "SHOW synchronous_commit", "off");
	want_ok(c, "COMMIT");
}

/* ---------------------------------------------------------------- incidents */

static void test_incident_flow(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	PGconn *op2 = as_role(f, "act_op2");
	want_value(op, "SELECT incident_id FROM dcops.incident_open(2, 'leaf switch row 3 down', "
	                 "'14 racks isolated', '{gpu-007,gpu-008}', '{acme}', 'inc-key-1')", "2");
	want_ok(op, "SELECT dcops.incident_ack(2, 0, 'inc-key-2')");
	want_fail(op2, "SELECT dcops.incident_ack(2, NULL, 'inc-key-3')", "55000", "already acknowledged");
	want_fail(op2, "SELECT dcops.incident_sev(2, 1, 'it is the whole hall now', 0, 'inc-key-4')",
	            "40001", "incident 2 was changed by act_op at");
	want_ok(op2, "SELECT dcops.incident_sev(2, 1, 'it is the whole hall now', 1, 'inc-key-5')");
	want_ok(op2, "SELECT dcops.incident_note(2, 'vendor on the way', 'inc-key-6')");
	want_fail(op2, "SELECT dcops.incident_link(2, '{gpu-009,nope}', NULL, 'inc-key-7')", "42704", "\"nope\"");
	want_ok(op2, "SELECT dcops.incident_link(2, '{gpu-009}', '{한빛랩}', 'inc-key-8')");
	want_fail(op2, "SELECT dcops.incident_assign(2, 'act_viewer', NULL, 'inc-key-9')", "42704",
	            "unknown operator");
	want_ok(op2, "SELECT dcops.incident_assign(2, 'act_op2', NULL, 'inc-key-10')");
	want_fail(op2, "SELECT dcops.incident_resolve(2, 'fixed', NULL, 'inc-key-11')", "22023", "summary");
	want_ok(op2, "SELECT dcops.incident_resolve(2, 'replaced the leaf switch optics', 3, 'inc-key-12')");
	want_fail(op, "SELECT dcops.incident_sev(2, 3, 'it was not so bad after all', NULL, 'inc-key-13')",
	            "55000", "resolved");
	want_fail(op, "SELECT dcops.drain('{gpu-007}', 'follow up on the switch', 2, NULL, NULL, 'inc-key-14', false)",
	            "55000", "resolved");
	want_fail(op, "SELECT dcops.incident_ack(99, NULL, 'inc-key-15')", "42704", "unknown incident 99");
	PQfinish(op);
	PQfinish(op2);
	PGconn *c = f->db.conn;
	want_value(c, "SELECT state || ' ' || sev || ' ' || owner || ' ' || op_version FROM dcops.incident "
	                "WHERE id = 2", "resolved 1 act_op2 4");
	want_value(c, "SELECT string_agg(action, ',' ORDER BY id) FROM dcops.audit",
	             "incident_open,incident_ack,incident_sev,incident_note,incident_link,incident_assign,"
	             "incident_resolve");
	want_value(c, "SELECT count(*) FROM dcops.audit WHERE incident_id = 2 AND idempotency_key IS NOT NULL", "7");
	want_value(c, "SELECT string_agg(kind, ',' ORDER BY id) FROM dcops.incident_event WHERE incident_id = 2",
	             "opened,ack,sev,note,link,assign,resolved");
	want_value(c, "SELECT count(*) FROM dcops.incident_node WHERE incident_id = 2", "3");
}

/* A drill's incident stamps its drill on the audit rows. */
static void test_drill_id_in_audit(void **state)
{
	struct fx *f = *state;
	PGconn *c = f->db.conn;
	want_ok(c, "INSERT INTO dcops.drill_run (scenario) VALUES ('leaf-down')");
	want_ok(c, "UPDATE dcops.incident SET drill_id = 1 WHERE id = 1");
	PGconn *op = as_role(f, "act_op");
	want_ok(op, "SELECT dcops.drain('{gpu-001}', 'drill: leaf switch down', 1, NULL, NULL, 'drill-key-1', false)");
	want_ok(op, "SELECT dcops.incident_note(1, 'drill note', 'drill-key-2')");
	PQfinish(op);
	want_value(c, "SELECT string_agg(drill_id::text, ',') FROM dcops.audit", "1,1");
	want_value(c, "SELECT drill_id FROM dcops.actions", "1");
}

/* Quote- and option-shaped names are data, refused as unknown. */
static void test_hostile_names(void **state)
{
	struct fx *f = *state;
	const char *names[] = { "x'; DROP TABLE dcops.node; --", "-oProxyCommand=x", "a\"b\\c", "\x1b[2Jgpu", "{gpu-001}" };
	PGconn *op = as_role(f, "act_op");
	for (size_t i = 0; i < DC_ARRAY_LEN(names); i++) {
		struct actions_call call;
		struct actions_result res;
		struct actions_error e;
		assert_int_equal(actions_call_init(&call, NULL), 0);
		struct actions_nodes_req req = { .nodes = &names[i], .n_nodes = 1,
		                                 .reason = "hostile name test run" };
		actions_call_drain(&call, &req);
		assert_int_equal(actions_run(&op, NULL, &call, &res, &e), -1);
		assert_int_equal(e.kind, ACTIONS_E_UNKNOWN);
		assert_null(strchr(e.msg, '\x1b'));
		actions_call_free(&call);
		struct actions_quota_req q = { .tenant = names[i], .gpu_limit = 3, .gpu_hours = ACTIONS_UNCHANGED,
		                               .storage_tb = ACTIONS_UNCHANGED, .reason = "hostile name test run",
		                               .expected = ACTIONS_NO_VERSION };
		assert_int_equal(actions_call_init(&call, NULL), 0);
		actions_call_quota(&call, &q);
		assert_int_equal(actions_run(&op, NULL, &call, &res, &e), -1);
		assert_int_equal(e.kind, ACTIONS_E_UNKNOWN);
		actions_call_free(&call);
		struct actions_incident_req ir = { .id = 1, .nodes = &names[i], .n_nodes = 1, .tenants = &names[i],
		                                   .n_tenants = 1, .expected = ACTIONS_NO_VERSION };
		assert_int_equal(actions_call_init(&call, NULL), 0);
		actions_call_incident(&call, ACTIONS_INCIDENT_LINK, &ir);
		assert_int_equal(actions_run(&op, NULL, &call, &res, &e), -1);
		assert_int_equal(e.kind, ACTIONS_E_UNKNOWN);
		actions_call_free(&call);
	}
	PQfinish(op);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.node", "25");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit", "0");
}

/* ---------------------------------------------------------------- C API */

/* The backend dies before the call arrives: actions_run reconnects and
 * resends once; a resend of a call that did commit replays it. */
static void test_run_retries_with_same_key(void **state)
{
	struct fx *f = *state;
	char ci[160];
	snprintf(ci, sizeof ci, "%s user=act_op", f->db.conninfo);
	struct dc_opts o = { .db = ci, .quiet = true };
	PGconn *conn = NULL;
	struct actions_call call;
	struct actions_result res;
	struct actions_error e;
	assert_int_equal(actions_call_init(&call, NULL), 0);
	assert_int_equal(strlen(call.key), ACTIONS_KEY_LEN);
	const char *nodes[] = { "gpu-013", "gpu-014" };
	struct actions_nodes_req req = { .nodes = nodes, .n_nodes = 2, .reason = "NVLink errors on both",
	                                 .resume_after = (int64_t)time(NULL) + 3600 };
	actions_call_drain(&call, &req);
	assert_int_equal(actions_run(&conn, &o, &call, &res, &e), 0);
	assert_int_equal(res.n_action_ids, 2);
	assert_false(res.replayed);
	int64_t first = res.action_ids[0];
	actions_result_free(&res);
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(conn));
	want_ok(f->db.conn, sql);
	usleep(100000);
	assert_int_equal(actions_run(&conn, &o, &call, &res, &e), 0);
	assert_true(res.replayed);
	assert_int_equal(res.action_ids[0], first);
	actions_result_free(&res);
	PQfinish(conn);
	actions_call_free(&call);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.actions", "2");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit", "1");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.actions WHERE params->>'resume_after' IS NOT NULL", "2");
}

static void test_error_kinds(void **state)
{
	struct fx *f = *state;
	PGconn *op = as_role(f, "act_op");
	struct actions_call call;
	struct actions_result res;
	struct actions_error e;
	const char *three[] = { "gpu-001", "gpu-002", "gpu-003" };
	struct actions_nodes_req req = { .nodes = three, .n_nodes = 3, .reason = "rack r1 power shelf failed" };
	assert_int_equal(actions_call_init(&call, NULL), 0);
	actions_call_drain(&call, &req);
	assert_int_equal(actions_run(&op, NULL, &call, &res, &e), -1);
	assert_int_equal(e.kind, ACTIONS_E_FORBIDDEN);
	assert_string_equal(e.sqlstate, "42501");
	assert_string_equal(e.guard, "guard.drain_pct");
	actions_call_free(&call);
	int64_t stale[] = { 3 };
	struct actions_nodes_req one = { .nodes = three, .n_nodes = 1, .expected = stale, .reason = "gpu fell off the bus" };
	assert_int_equal(actions_call_init(&call, NULL), 0);
	actions_call_drain(&call, &one);
	assert_int_equal(actions_run(&op, NULL, &call, &res, &e), -1);
	assert_int_equal(e.kind, ACTIONS_E_CONFLICT);
	actions_call_free(&call);
	struct actions_incident_req ir = { .id = 1, .text = "", .expected = ACTIONS_NO_VERSION };
	assert_int_equal(actions_call_init(&call, NULL), 0);
	actions_call_incident(&call, ACTIONS_INCIDENT_NOTE, &ir);
	assert_int_equal(actions_run(&op, NULL, &call, &res, &e), -1);
	assert_int_equal(e.kind, ACTIONS_E_INVALID);
	actions_call_free(&call);
	want_ok(op, "SET default_transaction_read_only = on");
	ir.text = "read only note";
	assert_int_equal(actions_call_init(&call, NULL), 0);
	actions_call_incident(&call, ACTIONS_INCIDENT_NOTE, &ir);
	assert_int_equal(actions_run(&op, NULL, &call, &res, &e), -1);
	assert_int_equal(e.kind, ACTIONS_E_READONLY);
	actions_call_free(&call);
	PQfinish(op);
}

/* A pure function: no database needed. */
static void test_duration_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int64_t secs; /* -1: refused */
	} cases[] = {
		{ "30m", 1800 }, { "2h", 7200 }, { "1d", 86400 }, { "1h30m", 5400 }, { "1w2d", 9 * 86400 },
		{ "90s", 90 }, { "007m", 420 }, { "400d", 400LL * 86400 }, { "1d23h59m59s", 172799 },
		{ "", -1 }, { "2", -1 }, { "h", -1 }, { "2x", -1 }, { "-1h", -1 }, { "+1h", -1 },
		{ "1h1h", -1 }, { "30m1h", -1 }, { "1.5h", -1 }, { " 2h", -1 }, { "2h ", -1 },
		{ "0m", -1 }, { "401d", -1 }, { "99999999999999999999d", -1 }, { "2H", -1 },
		{ "1h\x1b", -1 }, { "58w", -1 },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(cases); i++) {
		int64_t secs = -1;
		struct dc_err err = {{0}};
		int rc = actions_duration_parse(cases[i].in, &secs, &err);
		if (cases[i].secs < 0) {
			if (rc != -1 || !err.msg[0] || strchr(err.msg, '\x1b'))
				fail_msg("'%s' should be refused (rc %d, '%s')", cases[i].in, rc, err.msg);
		} else if (rc != 0 || secs != cases[i].secs) {
			fail_msg("'%s': want %lld, got rc %d secs %lld (%s)", cases[i].in,
			         (long long)cases[i].secs, rc, (long long)secs, err.msg);
		}
	}
	int64_t secs;
	assert_int_equal(actions_duration_parse(NULL, &secs, NULL), -1);
}

#define DB_TEST(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parse),
		DB_TEST(test_viewer_refused_everywhere),
		DB_TEST(test_no_direct_writes),
		DB_TEST(test_audit_append_only),
		DB_TEST(test_shadow_in_pg_temp),
		DB_TEST(test_drain_records_action_and_audit),
		DB_TEST(test_drain_refusals),
		DB_TEST(test_admin_version_ignores_telemetry),
		DB_TEST(test_idempotent_retry),
		DB_TEST(test_concurrent_same_node),
		DB_TEST(test_concurrent_partition_limit),
		DB_TEST(test_guard_override),
		DB_TEST(test_quota_guards),
		DB_TEST(test_quota_revert_due),
		DB_TEST(test_quota_walk),
		DB_TEST(test_quota_values),
		DB_TEST(test_actions_durable),
		DB_TEST(test_incident_flow),
		DB_TEST(test_drill_id_in_audit),
		DB_TEST(test_hostile_names),
		DB_TEST(test_run_retries_with_same_key),
		DB_TEST(test_error_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
