/* test_writer.c — the console's asynchronous write connection (writer.h)
 * against a real PostgreSQL: a drain is recorded once and reported so;
 * a call whose statement returned its rows but whose COMMIT then failed
 * (here a deferred constraint trigger; in a failover test, the NOTIFY lock
 * held by a commit waiting for a synchronous standby, lock_timeout) is
 * reported as refused, not as recorded; a call whose connection dies
 * after sending, again and again, is resent with its key until answered
 * and recorded once; and a call whose server is a
 * hot standby is never sent (checked in tests/faults/standby.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "loop.h"
#include "testdb.h"
#include "writer.h"

struct fx {
	struct testdb db;
};

static int fx_setup(void **state)
{
	testdb_require();
	struct fx *f = xcalloc(1, sizeof *f);
	if (testdb_create(&f->db, false) != 0)
		return -1;
	PGresult *r = PQexec(f->db.conn,
	               "INSERT INTO dcops.site (code, name) VALUES ('T', 'Test');"
	               "INSERT INTO dcops.hall (site_id, name) VALUES (1, 'H1');"
	               "INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw)"
	               "  VALUES (1, 'r1', 1, 1, 40);"
	               "INSERT INTO dcops.partition (name, gpu_model) VALUES ('p1', 'H100');"
	               "INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count)"
	               "  SELECT 'wn-' || g, 1, 1, 'H100', 8 FROM generate_series(1, 4) g;"
	               "UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct';"
	               /* fails at COMMIT, after dcops.drain has returned its row */
	               "CREATE FUNCTION public.fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
	               " BEGIN IF NEW.reason LIKE '%fail at commit%' THEN"
	               "   RAISE EXCEPTION 'refused at commit' USING ERRCODE = '55P03'; END IF;"
	               " RETURN NULL; END $$;"
	               "CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON dcops.actions"
	               "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.fail_at_commit()");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "fixture: %s", PQresultErrorMessage(r));
	PQclear(r);
	if (!ok)
		return -1;
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

struct outcome {
	bool done;
	enum writer_refusal refusal;
	size_t n_action_ids;
	char msg[512];
};

static void on_done(void *ud, const struct writer_result *r)
{
	struct outcome *o = ud;
	o->done = true;
	o->refusal = r->refusal;
	o->n_action_ids = r->n_action_ids;
	snprintf(o->msg, sizeof o->msg, "%s", r->msg);
}

/* Drains node with reason through a writer; waits at most 10 s. */
static struct outcome drain(struct fx *f, const char *node, const char *reason)
{
	struct loop *l = loop_new();
	struct writer_opts wo = { .conninfo = f->db.conninfo };
	struct writer *w = writer_new(l, &wo);
	const char *nodes[] = { node };
	struct writer_req req = { .verb = WRITER_DRAIN, .nodes = nodes, .n_nodes = 1, .reason = reason };
	struct outcome o = { 0 };
	struct dc_err err = {{0}};
	assert_int_equal(writer_send(w, &req, on_done, &o, &err), 0);
	int64_t end = dc_mono_ms() + 10000;
	while (!o.done && dc_mono_ms() < end)
		loop_run_once(l, 100);
	writer_free(w);
	loop_free(l);
	assert_true(o.done);
	return o;
}

static char *count_of(struct fx *f, const char *reason)
{
	const char *p[] = { reason };
	return testdb_value(f->db.conn, "SELECT count(*) FROM dcops.actions WHERE reason = $1", 1, p);
}

static void test_drain_recorded(void **state)
{
	struct fx *f = *state;
	struct outcome o = drain(f, "wn-1", "writer test: a plain drain");
	assert_int_equal(o.refusal, WRITER_OK);
	assert_int_equal(o.n_action_ids, 1);
	char *n = count_of(f, "writer test: a plain drain");
	assert_string_equal(n, "1");
	free(n);
}

static void test_commit_failed_after_rows(void **state)
{
	struct fx *f = *state;
	struct outcome o = drain(f, "wn-2", "writer test: fail at commit please");
	/* before the fix: WRITER_OK, "requested", and nothing in the table */
	assert_int_equal(o.refusal, WRITER_E_BUSY);
	assert_non_null(strstr(o.msg, "refused at commit"));
	char *n = count_of(f, "writer test: fail at commit please");
	assert_string_equal(n, "0");
	free(n);
}

/* The writer's session on the server, once it waits for a lock; 0 if not within 5 s. */
static char *writer_waiting(struct fx *f, struct loop *l)
{
	int64_t end = dc_mono_ms() + 5000;
	while (dc_mono_ms() < end) {
		loop_run_once(l, 20);
		char *pid = testdb_value(f->db.conn,
			"SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
			" WHERE application_name = 'dcops-writer' AND wait_event_type = 'Lock'", 0, NULL);
		if (strcmp(pid, "0") != 0)
			return pid;
		free(pid);
	}
	return xstrdup("0");
}

/* Sent, then the connection dies before the answer, again and again (a
 * primary that dies and a failover that takes a few tries): the same call
 * is resent on each new connection until it is answered, and recorded
 * once. Before issue 15 the writer gave up after WRITER_RETRIES. */
static void test_resent_until_answered(void **state)
{
	struct fx *f = *state;
	PGconn *holder = testdb_connect(&f->db);
	assert_true(testdb_ok(holder, "BEGIN"));
	assert_true(testdb_ok(holder, "SELECT 1 FROM dcops.node WHERE name = 'wn-3' FOR UPDATE"));

	struct loop *l = loop_new();
	struct writer_opts wo = { .conninfo = f->db.conninfo };
	struct writer *w = writer_new(l, &wo);
	const char *nodes[] = { "wn-3" };
	struct writer_req req = { .verb = WRITER_DRAIN, .nodes = nodes, .n_nodes = 1,
		.reason = "writer test: lost three times" };
	struct outcome o = { 0 };
	struct dc_err err = {{0}};
	assert_int_equal(writer_send(w, &req, on_done, &o, &err), 0);
	for (int i = 0; i < WRITER_RETRIES + 1; i++) {
		char *pid = writer_waiting(f, l);
		assert_string_not_equal(pid, "0");
		const char *p[] = { pid };
		free(testdb_value(f->db.conn, "SELECT pg_terminate_backend($1::int)", 1, p));
		free(pid);
		assert_false(o.done);
	}
	char *pid = writer_waiting(f, l);
	assert_string_not_equal(pid, "0");
	free(pid);
	assert_true(testdb_ok(holder, "COMMIT"));
	int64_t end = dc_mono_ms() + 10000;
	while (!o.done && dc_mono_ms() < end)
		loop_run_once(l, 100);
	writer_free(w);
	loop_free(l);
	PQfinish(holder);
	assert_true(o.done);
	assert_int_equal(o.refusal, WRITER_OK);
	char *n = count_of(f, "writer test: lost three times");
	assert_string_equal(n, "1");
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drain_recorded, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_commit_failed_after_rows, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_resent_until_answered, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
