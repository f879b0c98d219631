/* test_store_delta — delta reads take only the tables the NOTIFY payloads
 * named (issue 15: a console's read was 17 tables for a change to one),
 * every table when a payload names none we follow and at the poll_ms
 * safety net even under steady churn, and NOTIFYs arriving during a read
 * make one following read of their union. Against a real PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "loop.h"
#include "model.h"
#include "sql.h"
#include "store.h"
#include "testdb.h"

#define ALL_TABLES (DC_MASK(DC_T_COUNT) - 1)

struct fx {
	struct testdb db;
	struct loop *loop;
	struct dc_model *model;
	struct store *store;
	PGconn *c; /* the writer */
};

static const char *const seed_sql[] = {
	"INSERT INTO dcops.site (code, name) VALUES ('gj', 'Gwangju')",
	"INSERT INTO dcops.hall (site_id, name) VALUES (1, 'A')",
	"INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw) VALUES (1, 'r01', 1, 1, 40)",
	"INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100')",
	"INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count) SELECT 'n' || i, 1, 1, 'HGX', 8"
	" FROM generate_series(1, 4) i",
	"INSERT INTO dcops.tenant (name, kind) VALUES ('한국AI', 'startup')",
	"INSERT INTO dcops.job (id, tenant_id, partition_id, user_name, gpus, state, submit_at)"
	" VALUES (1, 1, 1, 'kim', 8, 'pending', now())",
	"INSERT INTO dcops.setting (key, value) VALUES ('environment', 'demo')",
};

/* Runs the loop until cond holds, at most ~10 s. */
#define PUMP_UNTIL(l, cond) do { \
	for (int turn_ = 0; turn_ < 200 && !(cond); turn_++) \
		loop_run_once((l), 50); \
	assert_true(cond); \
} while (0)

static struct store *store_up(struct fx *f, struct dc_model *m, int poll_ms)
{
	struct store_opts o = { .conninfo = f->db.conninfo, .poll_ms = poll_ms, .deadline_ms = 3000 };
	struct store *s = store_new(f->loop, m, &o, NULL);
	store_start(s);
	PUMP_UNTIL(f->loop, store_status(s)->link == STORE_UP);
	return s;
}

static int group_setup(void **state)
{
	testdb_require();
	struct fx *f = xcalloc(1, sizeof *f);
	*state = f;
	if (testdb_create_seeded(&f->db, seed_sql, DC_ARRAY_LEN(seed_sql)) < 0)
		return -1;
	f->loop = loop_new();
	f->model = model_new();
	f->store = store_up(f, f->model, 60000);
	f->c = testdb_connect(&f->db);
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	if (!f)
		return 0;
	PQfinish(f->c);
	store_free(f->store);
	model_free(f->model);
	loop_free(f->loop);
	testdb_drop(&f->db);
	free(f);
	return 0;
}

static int node_power(struct dc_model *m, int64_t id)
{
	const struct dc_node *n = model_node(m, id);
	return n ? n->power_w : -1;
}

/* One table changed: one delta read of that table alone. */
static void test_reads_named_table(void **state)
{
	struct fx *f = *state;
	const struct store_status *st = store_status(f->store);
	uint64_t reads = st->delta_reads, tables = st->delta_tables;
	assert_true(testdb_ok(f->c, "UPDATE dcops.node SET power_w = 1234 WHERE id = 2"));
	PUMP_UNTIL(f->loop, node_power(f->model, 2) == 1234);
	assert_int_equal(st->last_tables, DC_MASK(DC_T_NODE));
	assert_int_equal(st->delta_reads - reads, 1);
	assert_int_equal(st->delta_tables - tables, 1);

	/* a delete: the table's read and its tombstones */
	assert_true(testdb_ok(f->c, "DELETE FROM dcops.node WHERE id = 4"));
	PUMP_UNTIL(f->loop, model_node(f->model, 4) == NULL);
	assert_int_equal(st->last_tables, DC_MASK(DC_T_NODE));

	/* an incident's delta follows its timeline's new entries */
	assert_int_equal(sql_delta_tables(DC_MASK(DC_T_INCIDENT_EVENT)),
	                 DC_MASK(DC_T_INCIDENT_EVENT) | DC_MASK(DC_T_INCIDENT));
	assert_int_equal(sql_delta_tables(DC_MASK(DC_T_JOB)), DC_MASK(DC_T_JOB));
}

/* A payload that names no table the console follows reads every table. */
static void test_unknown_payload_reads_all(void **state)
{
	struct fx *f = *state;
	const struct store_status *st = store_status(f->store);
	static const char *const notes[] = {
		"NOTIFY dcops_changes, 'no such table'", "NOTIFY dcops_changes, 'hall'", "NOTIFY dcops_changes",
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(notes); i++) {
		uint64_t reads = st->delta_reads, tables = st->delta_tables;
		assert_true(testdb_ok(f->c, notes[i]));
		PUMP_UNTIL(f->loop, st->delta_reads > reads);
		assert_int_equal(st->last_tables, ALL_TABLES);
		assert_int_equal(st->delta_tables - tables, DC_T_COUNT);
	}
}

/* NOTIFYs for three tables while a read is held up (a lock on the only
 * table it reads): one following read, of the three. */
static void test_burst_during_read(void **state)
{
	struct fx *f = *state;
	const struct store_status *st = store_status(f->store);
	PGconn *lk = testdb_connect(&f->db);
	uint64_t reads = st->delta_reads;
	assert_true(testdb_ok(f->c, "UPDATE dcops.node SET power_w = 2000 WHERE id = 1"));
	assert_true(testdb_ok(lk, "BEGIN"));
	assert_true(testdb_ok(lk, "LOCK TABLE dcops.node IN ACCESS EXCLUSIVE MODE"));
	/* the store's read of node now waits for the lock (lock_timeout 2 s) */
	bool waiting = false;
	for (int i = 0; i < 40 && !waiting; i++) {
		loop_run_once(f->loop, 10);
		PGresult *r = testdb_query(f->c, "SELECT count(*) FROM pg_locks"
		                                 " WHERE relation = 'dcops.node'::regclass AND NOT granted", 0, NULL);
		waiting = r && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "0") != 0;
		PQclear(r);
	}
	assert_true(waiting);
	assert_true(testdb_ok(f->c, "UPDATE dcops.tenant SET name_en = 'Korea AI' WHERE id = 1"));
	assert_true(testdb_ok(f->c, "UPDATE dcops.rack SET power_cap_kw = 41 WHERE id = 1"));
	assert_true(testdb_ok(f->c, "UPDATE dcops.setting SET value = 'burst' WHERE key = 'environment'"));
	assert_true(testdb_ok(lk, "COMMIT"));
	PQfinish(lk);
	PUMP_UNTIL(f->loop, strcmp(model_setting(f->model, "environment"), "burst") == 0);
	assert_int_equal(node_power(f->model, 1), 2000);
	assert_string_equal(model_tenant(f->model, 1)->name_en, "Korea AI");
	assert_true(model_rack(f->model, 1)->power_cap_kw == 41);
	assert_int_equal(st->delta_reads - reads, 2);
	assert_int_equal(st->last_tables, DC_MASK(DC_T_TENANT) | DC_MASK(DC_T_RACK) | DC_MASK(DC_T_SETTING));
	assert_int_equal(st->link, STORE_UP);
}

/* A change whose NOTIFY never came (the trigger disabled here) is read by
 * the safety net within poll_ms, even while NOTIFYs for another table
 * keep the store from ever being idle that long. */
static void test_safety_net_under_churn(void **state)
{
	struct fx *f = *state;
	struct dc_model *m = model_new();
	struct store *s = store_up(f, m, 1000);
	const struct store_status *st = store_status(s);
	assert_true(testdb_ok(f->c, "ALTER TABLE dcops.job DISABLE TRIGGER feed_notify"));
	assert_true(testdb_ok(f->c, "UPDATE dcops.job SET user_name = 'silent' WHERE id = 1"));
	assert_true(testdb_ok(f->c, "ALTER TABLE dcops.job ENABLE TRIGGER feed_notify"));
	int64_t t0 = dc_mono_ms(), seen_ms = 0;
	bool partial = false;
	for (int i = 0; i < 60 && !seen_ms; i++) {
		char sql[96];
		snprintf(sql, sizeof sql, "UPDATE dcops.node SET power_w = %d WHERE id = 3", 3000 + i);
		assert_true(testdb_ok(f->c, sql));
		for (int64_t until = dc_mono_ms() + 100; dc_mono_ms() < until;)
			loop_run_once(f->loop, 20);
		partial |= st->last_tables == DC_MASK(DC_T_NODE);
		const struct dc_job *j = model_get(m, DC_T_JOB, 1);
		if (j && strcmp(j->user_name, "silent") == 0)
			seen_ms = dc_mono_ms() - t0;
	}
	assert_true(partial);            /* the churn's reads were of node alone */
	assert_true(seen_ms > 0);
	assert_true(seen_ms < 4000);     /* poll_ms, a read, a loaded machine */
	store_free(s);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_named_table),
		cmocka_unit_test(test_unknown_payload_reads_all),
		cmocka_unit_test(test_burst_during_read),
		cmocka_unit_test(test_safety_net_under_churn),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
