/* test_store — the console's live link against a real PostgreSQL: full
 * load, NOTIFY + delta reads, tombstones, late commits, losing the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "loop.h"
#include "model.h"
#include "store.h"
#include "testdb.h"

struct fx {
	struct testdb db;
	struct loop *loop;
	struct dc_model *model;
	struct store *store;
	unsigned changed;
	int statuses;
};

static void on_change(void *ud, unsigned mask)
{
	struct fx *f = ud;
	f->changed |= mask;
}

static void on_status(void *ud, const struct store_status *st)
{
	struct fx *f = ud;
	(void)st;
	f->statuses++;
}

static const char *const seed_sql[] = {
	"INSERT INTO dcops.site (code, name) VALUES ('gj', 'Gwangju')",
	"INSERT INTO dcops.hall (site_id, name) VALUES (1, 'A')",
	"INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw) VALUES (1, 'r01', 1, 1, 40)",
	"INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100'), ('a100', 'A100')",
	"INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count, last_seen)  SELECT 'n' || i, 1, 1, 'HGX', 8, '2025-06-01 00:00:00+00' FROM generate_series(1, 4) i",
	"INSERT INTO dcops.gpu (node_id, idx, uuid, mem_total_mib, util_pct, temp_c)  SELECT n.id, g, 'GPU-' || n.id || '-' || g, 81920, 50, 40 + g  FROM dcops.node n, generate_series(0, 7) g",
	"INSERT INTO dcops.tenant (name, kind) VALUES ('한국AI', 'startup')",
	"INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, term_start, term_end)  VALUES (1, 16, 1000, '2025-01-01', '2025-12-31')",
	"INSERT INTO dcops.job (id, tenant_id, partition_id, user_name, gpus, state, submit_at, start_at) VALUES  (1, 1, 1, 'kim', 8, 'pending', '2025-06-01 10:00:00+00', NULL),  (2, 1, 1, 'lee', 4, 'pending', '2025-06-01 09:00:00+00', NULL),  (3, 1, 1, 'park', 8, 'running', '2025-06-01 08:00:00+00', '2025-06-01 08:05:00+00')",
	"UPDATE dcops.gpu SET job_id = 3 WHERE node_id = 1",
	"UPDATE dcops.job SET priority = 10040, time_limit = interval '4 hours 30 minutes' WHERE id = 2",
	"INSERT INTO dcops.setting (key, value) VALUES ('environment', 'demo')",
};

#define T0900 1748768400 /* 2025-06-01 09:00:00 UTC */
#define T1000 1748772000

/* Runs the loop until cond holds, at most ~10 s. */
#define PUMP_UNTIL(f, cond) do { \
	for (int turn_ = 0; turn_ < 200 && !(cond); turn_++) \
		loop_run_once((f)->loop, 50); \
	assert_true(cond); \
} while (0)

static int group_setup(void **state)
{
	testdb_require();
	struct fx *f = xcalloc(1, sizeof *f);
	*state = f;
	if (testdb_create_seeded(&f->db, seed_sql, DC_ARRAY_LEN(seed_sql)) < 0)
		return -1;
	f->loop = loop_new();
	f->model = model_new();
	struct store_opts o = { .conninfo = f->db.conninfo, .poll_ms = 60000, .deadline_ms = 3000 };
	struct store_callbacks cb = { .on_change = on_change, .on_status = on_status, .ud = f };
	f->store = store_new(f->loop, f->model, &o, &cb);
	store_start(f->store);
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	if (!f)
		return 0;
	store_free(f->store);
	model_free(f->model);
	loop_free(f->loop);
	testdb_drop(&f->db);
	free(f);
	return 0;
}

static const struct dc_job *job(struct fx *f, int64_t id)
{
	return model_get(f->model, DC_T_JOB, id);
}

static void test_full_load(void **state)
{
	struct fx *f = *state;
	const struct store_status *st = store_status(f->store);
	PUMP_UNTIL(f, st->link == STORE_UP);
	assert_string_equal(st->error, "");
	assert_string_equal(st->role, "superuser");
	assert_int_equal(st->reconnects, 0);
	assert_int_equal(model_count(f->model, DC_T_NODE), 4);
	assert_int_equal(model_count(f->model, DC_T_GPU), 32);
	assert_int_equal(model_count(f->model, DC_T_JOB), 3);
	assert_string_equal(model_setting(f->model, "environment"), "demo");
	/* 040: priority and the time limit (an interval, read as seconds) */
	assert_int_equal(job(f, 2)->priority, 10040);
	assert_int_equal(job(f, 2)->time_limit_s, 4 * 3600 + 1800);
	assert_int_equal(job(f, 1)->priority, 0);
	assert_int_equal(job(f, 1)->time_limit_s, 72 * 3600);
	assert_int_equal(model_newest_report(f->model), 1748736000);

	const struct dc_tenant *t = model_tenant(f->model, 1);
	assert_non_null(t);
	assert_string_equal(t->name, "한국AI");
	assert_int_equal(t->gpus_running, 8);
	assert_int_equal(t->jobs_pending, 2);
	assert_non_null(model_quota_of(f->model, 1));

	const struct dc_partition *p = model_partition(f->model, 1);
	assert_int_equal(p->nodes, 4);
	assert_int_equal(p->gpus_total, 32);
	assert_int_equal(p->gpus_used, 8);
	assert_int_equal(p->jobs_pending, 2);
	assert_int_equal(p->gpus_pending, 12);
	assert_int_equal(p->jobs_running, 1);
	assert_int_equal(p->oldest_pending_submit, T0900);

	const struct dc_node *n = model_node(f->model, 1);
	assert_int_equal(n->gpus_used, 8);
	assert_int_equal(n->temp_max, 47);
	assert_int_equal(n->util_mean, 50);
	assert_non_null(n->gpus[7]);
	assert_true(f->changed & DC_MASK(DC_T_NODE));
}

static void test_update_via_notify(void **state)
{
	struct fx *f = *state;
	const struct store_status *st = store_status(f->store);
	uint64_t reads = st->reads, rows = st->rows_read;
	PGconn *c = testdb_connect(&f->db);
	assert_true(testdb_ok(c, "UPDATE dcops.job SET state = 'running', start_at = now() WHERE id = 2"));
	PQfinish(c);
	PUMP_UNTIL(f, job(f, 2) && job(f, 2)->state == DC_JOB_RUNNING);
	assert_true(st->reads > reads);
	assert_true(st->rows_read - rows < 10); /* a delta, not a reload */

	const struct dc_partition *p = model_partition(f->model, 1);
	assert_int_equal(p->jobs_pending, 1);
	assert_int_equal(p->gpus_pending, 8);
	assert_int_equal(p->jobs_running, 2);
	assert_int_equal(p->oldest_pending_submit, T1000);
	assert_int_equal(model_tenant(f->model, 1)->gpus_running, 12);
}

static void test_delete_via_tombstone(void **state)
{
	struct fx *f = *state;
	PGconn *c = testdb_connect(&f->db);
	assert_true(testdb_ok(c, "DELETE FROM dcops.job WHERE id = 1"));
	PQfinish(c);
	PUMP_UNTIL(f, job(f, 1) == NULL);
	const struct dc_partition *p = model_partition(f->model, 1);
	assert_int_equal(p->jobs_pending, 0);
	assert_int_equal(p->gpus_pending, 0);
	assert_int_equal(p->oldest_pending_submit, 0);
	assert_int_equal(model_tenant(f->model, 1)->jobs_pending, 0);
}

/* A transaction that took its version early but commits after a later one
 * has been read must still arrive (the txid >= xmin half of the query). */
static void test_late_commit(void **state)
{
	struct fx *f = *state;
	PGconn *a = testdb_connect(&f->db), *b = testdb_connect(&f->db);
	assert_true(testdb_ok(a, "BEGIN"));
	assert_true(testdb_ok(a, "UPDATE dcops.node SET power_w = 1111 WHERE id = 2"));
	assert_true(testdb_ok(b, "UPDATE dcops.node SET power_w = 2222 WHERE id = 3"));
	PUMP_UNTIL(f, model_node(f->model, 3)->power_w == 2222);
	assert_int_equal(model_node(f->model, 2)->power_w, 0);
	assert_true(model_version(f->model) > model_node(f->model, 2)->version);
	assert_true(testdb_ok(a, "COMMIT"));
	PUMP_UNTIL(f, model_node(f->model, 2)->power_w == 1111);
	PQfinish(a);
	PQfinish(b);
}

/* A quota's limits before a time-boxed change: the read calls
 * dcops.quota_before only for a quota with prev_values or expires_at (a
 * 25,000-node load spent half its server time on the others); what each
 * kind reads must not change. */
static void test_quota_before(void **state)
{
	struct fx *f = *state;
	const struct dc_quota *q = model_quota_of(f->model, 1);
	assert_non_null(q);
	assert_int_equal(q->prev_gpu_limit, -1); /* neither: nothing before */
	assert_true(q->prev_gpu_hours_budget < 0);
	PGconn *c = testdb_connect(&f->db);
	assert_true(testdb_ok(c, "UPDATE dcops.quota SET prev_values = '{\"gpu_limit\": 12, \"gpu_hours_budget\": 900}',"
	                         " expires_at = now() + interval '1 day' WHERE tenant_id = 1"));
	PUMP_UNTIL(f, model_quota_of(f->model, 1)->prev_gpu_limit == 12);
	assert_true(model_quota_of(f->model, 1)->prev_gpu_hours_budget == 900);
	assert_true(model_quota_of(f->model, 1)->prev_storage_tb < 0);
	/* expires_at alone: the function looks for the action, finds none */
	assert_true(testdb_ok(c, "UPDATE dcops.quota SET prev_values = NULL WHERE tenant_id = 1"));
	PUMP_UNTIL(f, model_quota_of(f->model, 1)->prev_gpu_limit == -1);
	PQfinish(c);
}

static void test_server_gone(void **state)
{
	struct fx *f = *state;
	const struct store_status *st = store_status(f->store);
	PGconn *c = testdb_connect(&f->db);
	assert_true(testdb_ok(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	                         " WHERE application_name = 'dcops' AND datname = current_database()"));
	PUMP_UNTIL(f, st->link == STORE_DOWN);
	assert_true(st->error[0] != '\0');
	assert_null(strchr(st->error, '\n'));
	/* the last data stays */
	assert_int_equal(model_count(f->model, DC_T_NODE), 4);
	assert_int_equal(model_partition(f->model, 1)->jobs_running, 2);

	uint64_t rows = st->rows_read;
	assert_true(testdb_ok(c, "UPDATE dcops.gpu SET util_pct = 90 WHERE node_id = 4"));
	assert_true(testdb_ok(c, "DELETE FROM dcops.job WHERE id = 2"));
	PQfinish(c);
	PUMP_UNTIL(f, st->link == STORE_UP);
	assert_int_equal(st->reconnects, 1);
	assert_string_equal(st->error, "");
	PUMP_UNTIL(f, job(f, 2) == NULL && model_node(f->model, 4)->util_mean == 90);
	assert_true(st->rows_read - rows < 20); /* caught up with a delta */
	assert_int_equal(model_partition(f->model, 1)->jobs_running, 1);
	assert_int_equal(model_tenant(f->model, 1)->gpus_running, 8);
}

/* A server that accepts nothing is reported down within the deadline and
 * the store keeps retrying without blocking the loop. */
static void test_unreachable(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct dc_model *m = model_new();
	struct store_opts o = { .conninfo = "host=/nonexistent-dir dbname=x", .deadline_ms = 500 };
	struct store *s = store_new(l, m, &o, NULL);
	store_start(s);
	const struct store_status *st = store_status(s);
	int64_t t0 = dc_mono_ms();
	for (int i = 0; i < 40 && st->link != STORE_DOWN; i++)
		loop_run_once(l, 50);
	assert_int_equal(st->link, STORE_DOWN);
	assert_true(dc_mono_ms() - t0 < 2000);
	assert_non_null(strstr(st->error, "nonexistent-dir"));
	store_free(s);
	model_free(m);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_load),
		cmocka_unit_test(test_update_via_notify),
		cmocka_unit_test(test_delete_via_tombstone),
		cmocka_unit_test(test_late_commit),
		cmocka_unit_test(test_quota_before),
		cmocka_unit_test(test_server_gone),
		cmocka_unit_test(test_unreachable),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
