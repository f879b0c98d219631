/* test_sim — the simulator against a real PostgreSQL: after many ticks at
 * high speed the allocation adds up (quotas held, one job per GPU, each
 * running job holding exactly its GPUs); a drained node gets no new job;
 * actions are applied exactly once; dcopsd --ticks runs and exits. */
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
#include "adapter/sim/sim.h"

struct fx {
	char name[64];
	PGconn *c;
	struct sim *s;
};

static long num(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	long n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

static void exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

static int dbseq;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	const char *tpl = getenv("DCOPS_TEST_TEMPLATE");
	snprintf(f->name, sizeof f->name, "t_sim_%d_%d", (int)getpid(), dbseq++);
	PGconn *admin = PQconnectdb("dbname=postgres");
	char sql[256];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", f->name, tpl ? tpl : "dcops_template");
	exec_ok(admin, sql);
	PQfinish(admin);
	char ci[128];
	snprintf(ci, sizeof ci, "dbname=%s", f->name);
	f->c = PQconnectdb(ci);
	assert_int_equal(PQstatus(f->c), CONNECTION_OK);
	struct seed_opts so = { .seed = 7 };
	struct seed_result res;
	struct dc_err err = {0};
	assert_int_equal(seed_load(f->c, &so, &res, &err), 0);
	struct sim_opts o = { .seed = 7, .speed = 600, .tick_ms = 100, .fault_x = 20 };
	f->s = sim_new(&o);
	assert_int_equal(sim_load(f->s, f->c, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sim_free(f->s);
	PQfinish(f->c);
	PGconn *admin = PQconnectdb("dbname=postgres");
	char sql[128];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", f->name);
	PQclear(PQexec(admin, sql));
	PQfinish(admin);
	free(f);
	return 0;
}

static void ticks(struct fx *f, int n)
{
	for (int i = 0; i < n; i++) {
		struct dc_err err = {0};
		if (sim_tick(f->s, f->c, NULL, &err) < 0)
			fail_msg("tick %d: %s", i, err.msg);
	}
}

static void check_allocation(PGconn *c)
{
	/* no tenant runs more GPUs than its quota */
	assert_int_equal(num(c, "SELECT count(*) FROM (SELECT j.tenant_id, sum(j.gpus) AS g FROM dcops.job j "
	                        "WHERE j.state = 'running' GROUP BY 1) x JOIN dcops.quota q "
	                        "ON q.tenant_id = x.tenant_id WHERE x.g > q.gpu_limit"), 0);
	/* no GPU held by a job that is not running */
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.gpu g JOIN dcops.job j ON j.id = g.job_id "
	                        "WHERE j.state <> 'running'"), 0);
	/* every running job holds exactly its GPUs */
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.job j WHERE j.state = 'running' AND j.gpus <> "
	                        "(SELECT count(*) FROM dcops.gpu g WHERE g.job_id = j.id)"), 0);
	/* no GPU of a drained or failed node is held by a job started after the drain */
	assert_int_equal(num(c, "SELECT count(*) FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id "
	                        "JOIN dcops.job j ON j.id = g.job_id WHERE n.admin_state <> 'active' "
	                        "AND j.start_at > n.drained_at"), 0);
}

static void test_allocation(void **state)
{
	struct fx *f = *state;
	ticks(f, 300);
	assert_true(num(f->c, "SELECT count(*) FROM dcops.job WHERE state = 'running'") > 50);
	assert_true(num(f->c, "SELECT count(*) FROM dcops.job WHERE state = 'pending'") > 0);
	assert_true(num(f->c, "SELECT count(*) FROM dcops.job WHERE state IN ('completed', 'failed', 'cancelled')") > 0);
	long held = num(f->c, "SELECT count(*) FROM dcops.gpu WHERE job_id IS NOT NULL");
	print_message("  GPUs held: %ld of 2188\n", held);
	assert_true(held > 2188 / 2);
	assert_true(num(f->c, "SELECT count(*) FROM dcops.usage_sample") > 0);
	assert_true(num(f->c, "SELECT count(*) FROM dcops.quota WHERE prev_values IS NULL") > 0);
	check_allocation(f->c);
	/* node states follow GPU use */
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.node n WHERE n.sched_state = 'idle' AND "
	                           "EXISTS (SELECT 1 FROM dcops.gpu g WHERE g.node_id = n.id AND g.job_id IS NOT NULL)"), 0);
	/* faults (hazard raised 20x) leave incidents with their nodes */
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.incident i WHERE NOT EXISTS "
	                           "(SELECT 1 FROM dcops.incident_event e WHERE e.incident_id = i.id AND e.kind = 'opened')"), 0);
}

static void test_drain_and_actions(void **state)
{
	struct fx *f = *state;
	ticks(f, 20);
	/* the busiest active node */
	PGresult *r = PQexec(f->c, "SELECT n.name FROM dcops.node n JOIN dcops.gpu g ON g.node_id = n.id "
	                           "WHERE n.admin_state = 'active' AND n.health <> 'fail' GROUP BY n.name "
	                           "ORDER BY count(g.job_id) DESC, n.name LIMIT 1");
	assert_int_equal(PQntuples(r), 1);
	char node[64];
	snprintf(node, sizeof node, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *p[] = { node };
	r = PQexecParams(f->c,
		"INSERT INTO dcops.actions (kind, target, params, reason, requested_by, idempotency_key) VALUES "
		"('drain', $1, '{}', 'test: bad DIMM', 'op-kim', 'test-drain-0001'), "
		"('drain', 'gj-nope-999', '{}', 'test', 'op-kim', 'test-drain-0002'), "
		"('quota_set', (SELECT name FROM dcops.tenant ORDER BY id LIMIT 1), '{\"gpu_limit\": 3}', "
		"'test', 'op-lee', 'test-quota-0001'), "
		"('resume', 'x', '{\"nodes\": [\"gj-h100-001\", \"gj-zz-1\"]}', 'test', 'op-kim', 'test-resume-001')",
		1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	ticks(f, 1);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.actions WHERE status = 'pending'"), 0);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.actions WHERE status = 'applied' "
	                           "AND idempotency_key IN ('test-drain-0001', 'test-quota-0001')"), 2);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.actions WHERE status = 'failed' "
	                           "AND error LIKE 'unknown node ''gj-%'"), 2);
	r = PQexecParams(f->c, "SELECT admin_state, drain_reason, drained_by FROM dcops.node WHERE name = $1",
	                 1, NULL, p, NULL, NULL, 0);
	assert_string_not_equal(PQgetvalue(r, 0, 0), "active");
	assert_string_equal(PQgetvalue(r, 0, 1), "test: bad DIMM");
	assert_string_equal(PQgetvalue(r, 0, 2), "op-kim");
	PQclear(r);
	assert_int_equal(num(f->c, "SELECT gpu_limit FROM dcops.quota ORDER BY tenant_id LIMIT 1"), 3);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.quota WHERE prev_values IS NOT NULL"), 1);
	long version = num(f->c, "SELECT sum(version) FROM dcops.actions");
	ticks(f, 150);
	/* applied once: the rows never change again */
	assert_int_equal(num(f->c, "SELECT sum(version) FROM dcops.actions"), version);
	/* no job started on the node after the drain, and it drains out */
	r = PQexecParams(f->c, "SELECT count(*) FROM dcops.job j, dcops.node n WHERE n.name = $1 "
	                 "AND j.start_at > n.drained_at AND (',' || j.node_list || ',') LIKE '%,' || n.name || ',%'",
	                 1, NULL, p, NULL, NULL, 0);
	assert_string_equal(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	r = PQexecParams(f->c, "SELECT count(*) FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id "
	                 "JOIN dcops.job j ON j.id = g.job_id WHERE n.name = $1 AND j.start_at > n.drained_at",
	                 1, NULL, p, NULL, NULL, 0);
	assert_string_equal(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	/* the tenant capped at 3 GPUs never runs more once its old jobs end */
	check_allocation(f->c);
}

static void test_reload(void **state)
{
	struct fx *f = *state;
	ticks(f, 30);
	/* a second adapter picking up the same database finds a consistent state */
	struct sim_opts o = { .seed = 8, .speed = 600, .tick_ms = 100 };
	struct sim *s2 = sim_new(&o);
	struct dc_err err = {0};
	assert_int_equal(sim_load(s2, f->c, &err), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(sim_tick(s2, f->c, NULL, &err), 0);
	sim_free(s2);
	check_allocation(f->c);
}

/* Node power is its host base plus its GPUs, one base per partition; a
 * down node is off, like its GPUs (issue 17: a drained and down node
 * showed 4.5 kW while each of its GPUs read 0 W). */
static void test_node_power(void **state)
{
	struct fx *f = *state;
	exec_ok(f->c, "UPDATE dcops.node SET sched_state = 'down', admin_state = 'drained', "
	              "drain_reason = 'test: PSU failure', drained_by = 'test', drained_at = now(), "
	              "health = 'fail', power_w = 4500 WHERE name = 'gj-h100-005'");
	struct dc_err err = {0};
	assert_int_equal(sim_load(f->s, f->c, &err), 0);
	/* a telemetry period (5 s of 100 ms ticks) and then some */
	ticks(f, 60);
	assert_int_equal(num(f->c, "SELECT n.power_w + sum(g.power_w) FROM dcops.node n JOIN dcops.gpu g "
	                           "ON g.node_id = n.id WHERE n.name = 'gj-h100-005' GROUP BY n.power_w"), 0);
	assert_int_equal(num(f->c, "SELECT max(g.temp_c) FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id "
	                           "WHERE n.name = 'gj-h100-005'"), 25);
	/* every down node: 0 W, and so are its GPUs */
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.node n WHERE n.sched_state = 'down' AND "
	                           "(n.power_w > 0 OR EXISTS (SELECT 1 FROM dcops.gpu g WHERE g.node_id = n.id "
	                           "AND g.power_w > 0))"), 0);
	/* every other node: its GPUs plus its partition's host base (README),
	 * within the power deadband (8%) between heartbeats */
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.node n JOIN dcops.partition p ON p.id = n.partition_id "
	                           "JOIN (VALUES ('h100', 1800), ('a100', 1500), ('t4', 600), ('ipu', 700)) b(part, w) "
	                           "ON b.part = p.name "
	                           "JOIN (SELECT node_id, sum(power_w) AS w FROM dcops.gpu GROUP BY 1) g ON g.node_id = n.id "
	                           "WHERE n.sched_state <> 'down' AND abs(n.power_w - b.w - g.w) * 100 >= 8 * n.power_w"), 0);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.node n JOIN dcops.partition p ON p.id = n.partition_id "
	                           "WHERE p.name NOT IN ('h100', 'a100', 't4', 'ipu')"), 0);
	assert_true(num(f->c, "SELECT count(*) FROM dcops.node WHERE sched_state <> 'down'") > 250);
	/* a GPU that draws nothing is at the inlet temperature; one that works is warmer */
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.gpu WHERE (power_w = 0) <> (temp_c <= 25)"), 0);
}

/* The reference's severity table, one row a case (issue 17: a fault that
 * killed 5 jobs of 4 tenants opened as SEV-4). */
static void test_severity_table(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *args; /* scope, tenants, GPUs killed, largest job, lost % */
		long sev;
	} cases[] = {
		{ "'node', 1, 8, 8, 1", 4 },        /* one node, one tenant's job */
		{ "'node', 0, 0, 0, NULL", 4 },     /* an idle node auto-drained */
		{ "'node', 4, 20, 8, 1", 3 },       /* 5 jobs of 4 tenants */
		{ "'node', 2, 2, 1, 1", 3 },        /* jobs of 2 tenants */
		{ "'node', 1, 16, 16, 1", 3 },      /* one 16-GPU job */
		{ "'node', 1, 15, 8, 1", 4 },
		{ "'leaf', 0, 0, 0, 5", 3 },
		{ "'rack', 0, 0, 0, 1", 3 },
		{ "'node', 5, 5, 1, 1", 2 },        /* jobs of 5 tenants */
		{ "'node', 1, 64, 64, 1", 2 },      /* a 64-GPU job */
		{ "'partition', 0, 0, 0, 10", 2 },
		{ "'node', 1, 8, 8, 25", 4 },       /* 25% is not more than 25% */
		{ "'node', 1, 8, 8, 25.1", 1 },
		{ "'storage', 0, 0, 0, NULL", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char sql[160];
		snprintf(sql, sizeof sql, "SELECT dcops.incident_severity(%s)", cases[i].args);
		long got = num(f->c, sql);
		if (got != cases[i].sev)
			fail_msg("%s: SEV-%ld, want SEV-%ld", sql, got, cases[i].sev);
	}
}

/* Faults at a high rate on a busy fleet: each incident carries its impact
 * in numbers and the severity the table gives them. */
static void test_fault_severity(void **state)
{
	struct fx *f = *state;
	ticks(f, 20);
	struct sim_opts o = { .seed = 17, .speed = 600, .tick_ms = 100, .fault_x = 400 };
	struct sim *s2 = sim_new(&o);
	struct dc_err err = {0};
	assert_int_equal(sim_load(s2, f->c, &err), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(sim_tick(s2, f->c, NULL, &err), 0);
	sim_free(s2);
	long n = num(f->c, "SELECT count(*) FROM dcops.incident WHERE source = 'dcopsd'");
	long multi = num(f->c, "SELECT count(*) FROM dcops.incident WHERE source = 'dcopsd' AND tenants_hit >= 2");
	print_message("  %ld incidents, %ld of them killed jobs of 2+ tenants\n", n, multi);
	assert_true(multi > 0);
	/* the tenants counted are the tenants linked */
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.incident i WHERE i.source = 'dcopsd' AND i.tenants_hit <> "
	                           "(SELECT count(*) FROM dcops.incident_tenant t WHERE t.incident_id = i.id)"), 0);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.incident WHERE source = 'dcopsd' AND "
	                           "(gpus_killed < jobs_killed OR largest_job_gpus > gpus_killed OR "
	                           "(jobs_killed > 0) <> (tenants_hit > 0))"), 0);
	/* no severity milder than its numbers call for */
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.incident WHERE source = 'dcopsd' AND sev > "
	                           "dcops.incident_severity(CASE WHEN title LIKE 'row %' THEN 'leaf' ELSE 'node' END, "
	                           "tenants_hit, gpus_killed, largest_job_gpus, NULL)"), 0);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.incident WHERE source = 'dcopsd' AND sev = 4 AND "
	                           "(tenants_hit > 1 OR gpus_killed >= 16)"), 0);
	/* the jobs killed are kept with the incident (043): as many as it
	 * counts, their GPUs and tenants adding up, after dcops.job forgets them */
	assert_true(num(f->c, "SELECT count(*) FROM dcops.incident_job") > 0);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.incident i WHERE i.source = 'dcopsd' AND "
	                           "(i.jobs_killed <> (SELECT count(*) FROM dcops.incident_job j WHERE "
	                           "j.incident_id = i.id) OR i.gpus_killed <> (SELECT coalesce(sum(j.gpus), 0) "
	                           "FROM dcops.incident_job j WHERE j.incident_id = i.id))"), 0);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.incident_job j WHERE NOT EXISTS (SELECT 1 FROM "
	                           "dcops.incident_tenant t WHERE t.incident_id = j.incident_id AND "
	                           "t.tenant_id = j.tenant_id)"), 0);
	PQclear(PQexec(f->c, "DELETE FROM dcops.job WHERE state = 'node_fail'"));
	assert_true(num(f->c, "SELECT count(*) FROM dcops.incident_job") > 0);
}

/* A drained node's open incident hears when the node reached DRAINED (its
 * jobs ended) and when it was resumed, from the adapter's writes (043). */
static void test_drain_timeline(void **state)
{
	struct fx *f = *state;
	ticks(f, 20);
	PGresult *r = PQexec(f->c, "SELECT n.name FROM dcops.node n JOIN dcops.gpu g ON g.node_id = n.id "
	                           "WHERE n.admin_state = 'active' AND n.health <> 'fail' GROUP BY n.name "
	                           "HAVING count(g.job_id) > 0 ORDER BY n.name LIMIT 1");
	assert_int_equal(PQntuples(r), 1);
	char node[64];
	snprintf(node, sizeof node, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *p[] = { node };
	r = PQexecParams(f->c,
		"WITH i AS (INSERT INTO dcops.incident (sev, title) VALUES (4, 'timeline test') RETURNING id), "
		"l AS (INSERT INTO dcops.incident_node SELECT i.id, n.id FROM i, dcops.node n WHERE n.name = $1) "
		"INSERT INTO dcops.actions (kind, target, params, reason, requested_by, idempotency_key) "
		"VALUES ('drain', $1, '{}', 'test: flaky NVLink', 'op-kim', 'test-drain-tl-1')",
		1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	ticks(f, 1);
	/* While the node runs jobs it is draining and nothing is said yet. Its
	 * jobs may also have ended in that simulated minute (the simulated clock
	 * starts at the wall clock, and the workload follows the KST hour: which
	 * jobs the node holds depends on when the test runs): then it is drained
	 * already and said so, and there is nothing left to cancel. */
	r = PQexecParams(f->c, "SELECT count(g.job_id) FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id "
	                 "WHERE n.name = $1", 1, NULL, p, NULL, NULL, 0);
	long busy = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	print_message("  %s: %ld GPUs still busy after the drain's first tick\n", node, busy);
	assert_int_equal(num(f->c, "SELECT count(*) FROM dcops.incident_event e JOIN dcops.incident i "
	                           "ON i.id = e.incident_id WHERE i.title = 'timeline test' AND e.kind = 'signal'"),
	                 busy > 0 ? 0 : 1);
	/* its jobs end (cancelled): drained */
	r = PQexecParams(f->c, "INSERT INTO dcops.actions (kind, target, params, reason, requested_by, "
	                 "idempotency_key) SELECT 'job_cancel', x.id::text, '{}', 'test', 'op-kim', "
	                 "'test-cancel-tl-' || x.id FROM (SELECT DISTINCT g.job_id AS id FROM dcops.gpu g "
	                 "JOIN dcops.node n ON n.id = g.node_id WHERE n.name = $1 AND g.job_id IS NOT NULL) x",
	                 1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	ticks(f, 2);
	r = PQexecParams(f->c, "SELECT e.body FROM dcops.incident_event e JOIN dcops.incident i "
	                 "ON i.id = e.incident_id WHERE i.title = 'timeline test' AND e.kind = 'signal'",
	                 0, NULL, NULL, NULL, NULL, 0);
	assert_int_equal(PQntuples(r), 1);
	char want[320];
	snprintf(want, sizeof want, "%s drained: no job left on it (drain by op-kim, test: flaky NVLink)", node);
	assert_string_equal(PQgetvalue(r, 0, 0), want);
	PQclear(r);
	r = PQexecParams(f->c, "INSERT INTO dcops.actions (kind, target, params, reason, requested_by, "
	                 "idempotency_key) VALUES ('resume', $1, '{}', 'test: reseated', 'op-kim', 'test-resume-tl-1')",
	                 1, NULL, p, NULL, NULL, 0);
	PQclear(r);
	ticks(f, 1);
	r = PQexec(f->c, "SELECT string_agg(e.body, ' | ' ORDER BY e.id) FROM dcops.incident_event e "
	                 "JOIN dcops.incident i ON i.id = e.incident_id WHERE i.title = 'timeline test' "
	                 "AND e.kind = 'signal'");
	snprintf(want, sizeof want, "%s drained: no job left on it (drain by op-kim, test: flaky NVLink) | "
	         "%s resumed: active, schedulable again", node, node);
	assert_string_equal(PQgetvalue(r, 0, 0), want);
	PQclear(r);
}

static void test_daemon(void **state)
{
	struct fx *f = *state;
	const char *bin = getenv("DCOPSD");
	if (!bin || access(bin, X_OK) != 0)
		skip();
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s --adapter sim --db dbname=%s --speed 600 --tick-ms 20 --ticks 10 "
	         "--stats 2>&1", bin, f->name);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[1024] = "";
	while (fgets(line, sizeof line, p))
		print_message("  %s", line);
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(line, "then 9 ticks"));
	snprintf(cmd, sizeof cmd, "%s --adapter nope 2>/dev/null", bin);
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s --adapter slurm --inventory /nonexistent/site.json 2>/dev/null", bin);
	assert_int_not_equal(system(cmd), 0);
	check_allocation(f->c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_allocation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_and_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_power, setup, teardown),
		cmocka_unit_test_setup_teardown(test_severity_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_severity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
