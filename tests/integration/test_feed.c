/* test_feed.c — the change feed of 002_feed.sql: NOTIFY dcops_changes per
 * statement with the table name, delta reads `version > $last OR txid >=
 * $xmin` returning exactly the changed rows, the late-commit case,
 * tombstones, and index scans for the delta query at 25,000 nodes and
 * 100,000 jobs. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testdb.h"

/* A reader's watermark: the highest version it has seen and the xmin of
 * the snapshot it read with. */
struct mark {
	char last[24];
	char xmin[24];
};

/* One delta read, in one statement so the rows and the new xmin come from
 * the same snapshot. Returns the changed ids as "1,2" ("" for none). */
static char *delta(PGconn *c, const char *tbl, struct mark *m)
{
	static const char sql[] =
		"WITH d AS (SELECT id, version FROM dcops.node WHERE version > $1::bigint OR txid >= $2::xid8),"
		" t AS (SELECT row_id, version FROM dcops.tombstone"
		"        WHERE tbl = 'node' AND (version > $1::bigint OR txid >= $2::xid8))"
		" SELECT CASE $3 WHEN 'node' THEN (SELECT string_agg(id::text, ',' ORDER BY id) FROM d)"
		"                ELSE (SELECT string_agg(row_id::text, ',' ORDER BY row_id) FROM t) END,"
		"        greatest($1::bigint, (SELECT max(version) FROM d), (SELECT max(version) FROM t)),"
		"        dcops.snapshot_xmin()";
	const char *p[] = { m->last, m->xmin, tbl };
	PGresult *r = testdb_query(c, sql, 3, p);
	assert_non_null(r);
	char *ids = xstrdup(PQgetvalue(r, 0, 0));
	snprintf(m->last, sizeof m->last, "%s", PQgetvalue(r, 0, 1));
	snprintf(m->xmin, sizeof m->xmin, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	return ids;
}

static void assert_delta(PGconn *c, const char *tbl, struct mark *m, const char *want)
{
	char *got = delta(c, tbl, m);
	printf("delta %-9s -> [%s] (last %s, xmin %s)\n", tbl, got, m->last, m->xmin);
	assert_string_equal(got, want);
	free(got);
}

static int setup(void **state)
{
	struct testdb *t = xcalloc(1, sizeof *t);
	*state = t;
	if (testdb_create(t, false) != 0)
		return -1;
	bool ok = testdb_ok(t->conn,
		"INSERT INTO dcops.site (code, name) VALUES ('gj', 'Gwangju')") &&
		testdb_ok(t->conn, "INSERT INTO dcops.hall (site_id, name) VALUES (1, 'room 2')") &&
		testdb_ok(t->conn, "INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw)"
		                   " VALUES (1, 'r01-01', 1, 1, 15)") &&
		testdb_ok(t->conn, "INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100')") &&
		testdb_ok(t->conn, "INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count)"
		                   " SELECT 'g' || i, 1, 1, 'H100', 8 FROM generate_series(1, 3) i");
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	testdb_drop(*state);
	free(*state);
	return 0;
}

/* Collects notifications on c for up to ms, or for 200 ms more once `want`
 * have arrived (to catch extras); returns how many arrived and the last
 * payload (in payload, 64 bytes). */
static int notifications(PGconn *c, int want, int ms, char *payload)
{
	int n = 0;
	int64_t end = dc_mono_ms() + ms;
	payload[0] = '\0';
	for (;;) {
		if (n >= want && end > dc_mono_ms() + 200)
			end = dc_mono_ms() + 200;
		PGnotify *nf;
		while ((nf = PQnotifies(c))) {
			assert_string_equal(nf->relname, "dcops_changes");
			snprintf(payload, 64, "%s", nf->extra);
			n++;
			PQfreemem(nf);
		}
		int left = (int)(end - dc_mono_ms());
		if (left <= 0)
			return n;
		struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };
		if (poll(&pfd, 1, left) > 0)
			assert_int_equal(PQconsumeInput(c), 1);
	}
}

static void test_notify_per_statement(void **state)
{
	struct testdb *t = *state;
	PGconn *l = testdb_connect(t);
	assert_non_null(l);
	assert_true(testdb_ok(l, "LISTEN dcops_changes"));
	char payload[64];

	assert_true(testdb_ok(t->conn, "UPDATE dcops.node SET power_w = 700 WHERE id = 1"));
	assert_int_equal(notifications(l, 1, 3000, payload), 1);
	assert_string_equal(payload, "node");

	/* Three rows, one statement: one notification. */
	assert_true(testdb_ok(t->conn, "UPDATE dcops.node SET power_w = power_w + 1"));
	assert_int_equal(notifications(l, 1, 3000, payload), 1);
	assert_string_equal(payload, "node");

	/* A read sends nothing. */
	assert_true(testdb_ok(t->conn, "SELECT count(*) FROM dcops.node"));
	assert_int_equal(notifications(l, 0, 300, payload), 0);

	assert_true(testdb_ok(t->conn, "INSERT INTO dcops.tenant (name, kind) "
	                               "VALUES ('(주)광주에이아이', 'startup')"));
	assert_int_equal(notifications(l, 1, 3000, payload), 1);
	assert_string_equal(payload, "tenant");
	PQfinish(l);
}

static void test_delta_exact(void **state)
{
	struct testdb *t = *state;
	PGconn *w = testdb_connect(t);
	assert_non_null(w);
	struct mark m = { "0", "0" };
	assert_delta(t->conn, "node", &m, "1,2,3");      /* first read: everything */
	assert_delta(t->conn, "node", &m, "");           /* nothing changed since */

	assert_true(testdb_ok(w, "UPDATE dcops.node SET health = 'warn' WHERE id IN (2, 3)"));
	assert_delta(t->conn, "node", &m, "2,3");
	assert_delta(t->conn, "node", &m, "");

	assert_true(testdb_ok(w, "INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count)"
	                         " VALUES ('g4', 1, 1, 'H100', 8)"));
	assert_delta(t->conn, "node", &m, "4");
	PQfinish(w);
}

/* Transaction A writes row 1 first (smaller version) but commits after B
 * wrote row 2. A reader that read between B's and A's commit has a
 * watermark above row 1's version; its xmin still catches row 1. */
static void test_late_commit(void **state)
{
	struct testdb *t = *state;
	PGconn *a = testdb_connect(t), *b = testdb_connect(t);
	assert_non_null(a);
	assert_non_null(b);
	struct mark m = { "0", "0" };
	assert_delta(t->conn, "node", &m, "1,2,3");

	assert_true(testdb_ok(a, "BEGIN"));
	assert_true(testdb_ok(a, "UPDATE dcops.node SET drain_reason = 'late' WHERE id = 1"));
	assert_true(testdb_ok(b, "UPDATE dcops.node SET drain_reason = 'early' WHERE id = 2"));
	assert_delta(t->conn, "node", &m, "2");
	struct mark after_b = m;
	assert_true(testdb_ok(a, "COMMIT"));

	/* A reader that only compared versions would miss row 1 for good. */
	const char *p[] = { after_b.last };
	char *by_version = testdb_value(t->conn, "SELECT coalesce(string_agg(id::text, ','), '') "
	                                "FROM dcops.node WHERE version > $1::bigint", 1, p);
	assert_string_equal(by_version, "");
	free(by_version);

	char *got = delta(t->conn, "node", &m);
	printf("after A's commit -> [%s]\n", got);
	assert_non_null(strstr(got, "1"));
	assert_string_equal(got, "1,2");   /* row 2 again: harmless, readers apply idempotently */
	free(got);
	assert_delta(t->conn, "node", &m, "");
	PQfinish(a);
	PQfinish(b);
}

static void test_delete_leaves_tombstone(void **state)
{
	struct testdb *t = *state;
	struct mark m = { "0", "0" };
	assert_delta(t->conn, "node", &m, "1,2,3");
	struct mark tm = m;
	assert_delta(t->conn, "tombstone", &tm, "");
	assert_true(testdb_ok(t->conn, "DELETE FROM dcops.node WHERE id = 3"));
	struct mark before = m;
	assert_delta(t->conn, "node", &m, "");
	assert_delta(t->conn, "tombstone", &before, "3");
	char *v = testdb_value(t->conn, "SELECT tbl || ':' || row_id FROM dcops.tombstone", 0, NULL);
	assert_string_equal(v, "node:3");
	free(v);
}

/* The plan for a delta query, as text. */
static char *plan(PGconn *c, const char *sql, int n, const char *const *params)
{
	char *explain = xasprintf("EXPLAIN %s", sql);
	PGresult *r = testdb_query(c, explain, n, params);
	assert_non_null(r);
	struct sb sb = {0};
	for (int i = 0; i < PQntuples(r); i++) {
		sb_append(&sb, PQgetvalue(r, i, 0));
		sb_append(&sb, "\n");
	}
	PQclear(r);
	free(explain);
	return sb_take(&sb);
}

static void assert_index_plan(PGconn *c, const char *tbl)
{
	char *sql = xasprintf("SELECT max(version) - 50, dcops.snapshot_xmin() FROM dcops.%s", tbl);
	PGresult *r = testdb_query(c, sql, 0, NULL);
	assert_non_null(r);
	const char *p[] = { PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1) };
	free(sql);

	sql = xasprintf("SELECT * FROM dcops.%s WHERE version > $1::bigint", tbl);
	char *p1 = plan(c, sql, 1, p);
	printf("%s\n%s", sql, p1);
	char *idx = xasprintf("%s_version_idx", tbl);
	assert_non_null(strstr(p1, "Index"));
	assert_non_null(strstr(p1, idx));
	assert_null(strstr(p1, "Seq Scan"));
	free(sql);

	sql = xasprintf("SELECT * FROM dcops.%s WHERE version > $1::bigint OR txid >= $2::xid8", tbl);
	char *p2 = plan(c, sql, 2, p);
	printf("%s\n%s", sql, p2);
	assert_non_null(strstr(p2, idx));
	assert_null(strstr(p2, "Seq Scan"));
	free(sql);
	free(idx);
	free(p1);
	free(p2);
	PQclear(r);
}

static void test_delta_uses_index(void **state)
{
	struct testdb *t = *state;
	int64_t t0 = dc_mono_ms();
	assert_true(testdb_ok(t->conn,
		"INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count)"
		" SELECT 'n' || i, 1, 1, 'H100', 8 FROM generate_series(1, 25000) i"));
	assert_true(testdb_ok(t->conn, "INSERT INTO dcops.tenant (name, kind) VALUES ('t', 'sme')"));
	assert_true(testdb_ok(t->conn,
		"INSERT INTO dcops.job (tenant_id, partition_id, user_name, gpus, state)"
		" SELECT 1, 1, 'u' || (i % 97), 1 + i % 8, CASE WHEN i % 10 = 0 THEN 'pending'"
		"        ELSE 'completed' END::dcops.job_state FROM generate_series(1, 100000) i"));
	/* A few later small transactions, as the adapter's ticks would be. */
	for (int i = 0; i < 5; i++) {
		assert_true(testdb_ok(t->conn, "UPDATE dcops.node SET power_w = power_w + 1 "
		                               "WHERE id IN (7, 8, 9)"));
		assert_true(testdb_ok(t->conn, "UPDATE dcops.job SET reason = 'Priority' "
		                               "WHERE id IN (10, 20)"));
	}
	assert_true(testdb_ok(t->conn, "ANALYZE dcops.node"));
	assert_true(testdb_ok(t->conn, "ANALYZE dcops.job"));
	printf("loaded 25,000 nodes and 100,000 jobs in %lld ms\n", (long long)(dc_mono_ms() - t0));
	assert_index_plan(t->conn, "node");
	assert_index_plan(t->conn, "job");
}

int main(void)
{
	testdb_require();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_per_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_leaves_tombstone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_uses_index, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
