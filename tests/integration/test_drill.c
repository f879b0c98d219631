/* test_drill.c — incident drills on the seeded Gwangju fleet: every
 * scenario in drills/ validates and starts (its nodes and tenants exist);
 * a production-marked database is refused; a scripted Xid 79 run through
 * the script commands ($DCOPS drill start, the sim injecting with $DCOPSD
 * --ticks, $DCOPS incident ack, $DCOPS drain) meets its expectations and
 * the server's scorecard says so; a run that does nothing misses them; a
 * scorecard a client forges is not what gets stored. */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>

#include "drill.h"
#include "seed.h"
#include "testdb.h"

#define OP "drill_tester"

struct fx {
	struct testdb db;
	PGconn *op;    /* as OP, a dcops_operator */
};

static char *value(PGconn *c, const char *sql)
{
	char *v = testdb_value(c, sql, 0, NULL);
	assert_non_null(v);
	return v;
}

static void want_value(PGconn *c, const char *sql, const char *want)
{
	char *v = value(c, sql);
	if (strcmp(v, want) != 0)
		fprintf(stderr, "%s\n  want %s, got %s\n", sql, want, v);
	assert_string_equal(v, want);
	free(v);
}

/* Runs the dcops binary as OP, or dcopsd (env var bin) as the adapter's
 * superuser, with args; its exit status. */
static int run(const struct fx *f, const char *bin, const char *fmt, ...)
{
	char args[512], cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	bool cli = strcmp(bin, "DCOPS") == 0;
	snprintf(cmd, sizeof cmd, "\"%s\" %s --db 'dbname=%s%s' %s >>\"%s/drill.log\" 2>&1", getenv(bin),
	         cli ? "-q" : "--adapter sim", f->db.name, cli ? " user=" OP : "", args,
	         getenv("TEST_TMP") ? getenv("TEST_TMP") : "/tmp");
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (testdb_create(&f->db, false) != 0)
		return -1;
	struct seed_opts so = { .seed = 0 };  /* the file's seed: the demo fleet the scenarios name */
	struct seed_result res;
	struct dc_err err = {{0}};
	if (seed_load(f->db.conn, &so, &res, &err) != 0) {
		fprintf(stderr, "seed: %s\n", err.msg);
		return -1;
	}
	testdb_ok(f->db.conn, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" OP "') "
	                      "THEN CREATE ROLE " OP " LOGIN IN ROLE dcops_operator; END IF; END $$");
	testdb_ok(f->db.conn, "UPDATE dcops.setting SET value = 'drill' WHERE key = 'environment'");
	char ci[160];
	snprintf(ci, sizeof ci, "dbname=%s user=" OP, f->db.name);
	f->op = db_connect_str(ci, "dcops-test", &err);
	*state = f;
	return f->op ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	PQfinish(f->op);
	testdb_drop(&f->db);
	free(f);
	return 0;
}

static int64_t start(PGconn *c, const char *name, double speed, struct dc_err *err)
{
	char *path = drill_scenario_path(name);
	struct drill_scenario s;
	int64_t id = 0;
	int rc = drill_scenario_load(path, &s, err);
	free(path);
	if (rc != 0)
		return -1;
	rc = drill_start(c, &s, speed, &id, err);
	drill_scenario_free(&s);
	return rc == 0 ? id : -1;
}

static cJSON *stored_card(PGconn *c, int64_t id)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT scorecard FROM dcops.drill_run WHERE id = %lld", (long long)id);
	char *v = value(c, sql);
	cJSON *card = cJSON_Parse(v);
	free(v);
	assert_non_null(card);
	return card;
}

static const char *card_str(const cJSON *card, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(card, key));
}

static const char *exp_status(const cJSON *card, int i)
{
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(card, "expectations"), i);
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "status"));
}

/* Each scenario loads, and the database accepts it: its nodes, rows and
 * tenants are in the seeded fleet. */
static void test_every_scenario_starts(void **state)
{
	struct fx *f = *state;
	DIR *d = opendir(drill_dir());
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)(len - 5), e->d_name);
		struct dc_err err = {{0}};
		int64_t id = start(f->op, name, 0, &err);
		if (id <= 0)
			fprintf(stderr, "%s: %s\n", name, err.msg);
		assert_true(id > 0);
		assert_int_equal(drill_stop(f->op, &id, &err), 0);
		n++;
	}
	closedir(d);
	assert_true(n >= 6);
	want_value(f->db.conn, "SELECT count(*) FILTER (WHERE status = 'stopped') = count(*) FROM dcops.drill_run", "t");
}

static void test_production_refused(void **state)
{
	struct fx *f = *state;
	testdb_ok(f->db.conn, "UPDATE dcops.setting SET value = 'production' WHERE key = 'environment'");
	struct dc_err err = {{0}};
	assert_int_equal(start(f->op, "xid79-h100-job", 0, &err), -1);
	assert_non_null(strstr(err.msg, "drills run only where dcops.setting 'environment' is drill, staging or demo; "
	                                "this database is \"production\""));
	want_value(f->db.conn, "SELECT count(*) FROM dcops.drill_run", "0");
	assert_int_equal(run(f, "DCOPS", "drill start xid79-h100-job"), 1);
}

/* The right response through the script commands, with the sim injecting. */
static void test_scripted_xid79_meets(void **state)
{
	struct fx *f = *state;
	assert_int_equal(run(f, "DCOPS", "drill start xid79-h100-job --speed 30"), 0);
	/* 1m of scenario time is 2 s: twelve ticks of 250 ms inject and apply it */
	assert_int_equal(run(f, "DCOPSD", "--ticks 12 --tick-ms 250 --speed 30"), 0);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.drill_event WHERE injected_at IS NOT NULL "
	                       "AND applied_at IS NOT NULL", "1");
	/* the sim applied it the way its own Xid 79 faults go: GPU, node health, the job killed */
	want_value(f->db.conn, "SELECT g.last_xid || ' ' || n.health FROM dcops.gpu g JOIN dcops.node n "
	                       "ON n.id = g.node_id WHERE n.name = 'gj-h100-017' AND g.idx = 3", "79 fail");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.incident WHERE drill_id = 1", "1");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.incident_event WHERE actor = 'dcopsd' AND kind = 'signal'",
	           "1");
	/* what the briefing says (issue 17): the tenant's one 64-GPU job ran on
	 * gj-h100-017 to 024, and the Xid killed it on all eight */
	want_value(f->db.conn, "SELECT j.gpus || ' ' || j.nodes || ' ' || j.state || ' ' || j.node_list || ' ' || t.name "
	                       "FROM dcops.job j JOIN dcops.tenant t ON t.id = j.tenant_id WHERE j.name = 'pretrain-ko-70b'",
	           "64 8 node_fail gj-h100-017,gj-h100-018,gj-h100-019,gj-h100-020,gj-h100-021,gj-h100-022,"
	           "gj-h100-023,gj-h100-024 한국광기술원 데이터분석팀");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id "
	                       "WHERE n.name BETWEEN 'gj-h100-017' AND 'gj-h100-024' AND g.job_id = "
	                       "(SELECT id FROM dcops.job WHERE name = 'pretrain-ko-70b')", "0");
	/* its incident: the impact in numbers, which the table rates SEV-2 (a
	 * 64-GPU job killed) as the scenario says, and the tenant linked */
	want_value(f->db.conn, "SELECT sev || ' ' || dcops.incident_severity('node', tenants_hit, gpus_killed, "
	                       "largest_job_gpus, NULL) || ' ' || jobs_killed || ' ' || gpus_killed || ' ' || "
	                       "largest_job_gpus || ' ' || tenants_hit || ' ' || gpus_out || ' ' || impact "
	                       "FROM dcops.incident WHERE drill_id = 1",
	           "2 2 1 64 64 1 8 1 job killed (64 GPUs) of 1 tenant; 1 node hit (8 GPUs)");
	want_value(f->db.conn, "SELECT t.name FROM dcops.incident_tenant x JOIN dcops.tenant t ON t.id = x.tenant_id",
	           "한국광기술원 데이터분석팀");
	/* and the job it killed, kept with the incident (043) */
	want_value(f->db.conn, "SELECT x.gpus || ' ' || x.name || ' ' || (x.job_id = j.id) FROM dcops.incident_job x "
	                       "JOIN dcops.job j ON j.name = x.name WHERE x.incident_id = "
	                       "(SELECT id FROM dcops.incident WHERE drill_id = 1)", "64 pretrain-ko-70b true");
	char *inc = value(f->db.conn, "SELECT incident_id FROM dcops.drill_event WHERE drill_id = 1");
	assert_int_equal(run(f, "DCOPS", "incident ack %s", inc), 0);
	assert_int_equal(run(f, "DCOPS", "drain gj-h100-017 --reason 'Xid 79: GPU 3 fell off the bus' --incident %s",
	                     inc), 0);
	free(inc);
	/* every timed expectation is decided: the next status (or tick) finishes it */
	assert_int_equal(run(f, "DCOPS", "drill status"), 0);
	want_value(f->db.conn, "SELECT status FROM dcops.drill_run WHERE id = 1", "finished");
	cJSON *card = stored_card(f->db.conn, 1);
	assert_string_equal(card_str(card, "result"), "pass");
	for (int i = 0; i < 4; i++)
		assert_string_equal(exp_status(card, i), "met");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(card, "wrong_actions")), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(card, "timeline")), 3);
	cJSON_Delete(card);
	/* what the client reads is the server's stored card */
	struct dc_err err = {{0}};
	cJSON *read = NULL;
	assert_int_equal(drill_scorecard(f->op, 1, &read, &err), 0);
	assert_string_equal(card_str(read, "result"), "pass");
	cJSON_Delete(read);
	want_value(f->db.conn, "SELECT count(*) FROM dcops.audit WHERE drill_id = 1 AND action = 'drill_end' "
	                       "AND after->>'result' = 'pass'", "1");
}

/* A scenario that leaves the severity to the table: the incident opens at
 * SEV-4 (one node) and the sim raises it to SEV-3 when the Xid kills the
 * premise's 16-GPU job. */
static void test_drill_severity_from_impact(void **state)
{
	struct fx *f = *state;
	char path[512];
	snprintf(path, sizeof path, "%s/sev-from-impact.json", getenv("TEST_TMP") ? getenv("TEST_TMP") : "/tmp");
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{ \"title\": \"t\", \"briefing\": \"b\", \"speed\": 60, \"running_jobs\": [ { \"tenant\": "
	      "\"한국광기술원 데이터분석팀\", \"gpus\": 16, \"nodes\": [\"gj-h100-030\", \"gj-h100-031\"] } ], "
	      "\"timeline\": [ { \"at\": \"0s\", \"kind\": \"xid\", \"node\": \"gj-h100-031\", \"gpu\": 0, "
	      "\"xid\": 79 } ], \"expectations\": [ { \"kind\": \"no_drain_healthy\" } ] }", fp);
	fclose(fp);
	/* a premise the database cannot run is refused at the start, naming it */
	char bad[512];
	snprintf(bad, sizeof bad, "%s/no-such-tenant.json", getenv("TEST_TMP") ? getenv("TEST_TMP") : "/tmp");
	fp = fopen(bad, "w");
	assert_non_null(fp);
	fputs("{ \"title\": \"t\", \"briefing\": \"b\", \"running_jobs\": [ { \"tenant\": \"없는 회사\", "
	      "\"gpus\": 8, \"nodes\": [\"gj-h100-030\"] } ], \"timeline\": [ { \"at\": \"0s\", \"kind\": "
	      "\"xid\", \"node\": \"gj-h100-030\", \"gpu\": 0, \"xid\": 79 } ], \"expectations\": "
	      "[ { \"kind\": \"no_drain_healthy\" } ] }", fp);
	fclose(fp);
	struct dc_err err = {{0}};
	assert_int_equal(start(f->op, bad, 60, &err), -1);
	assert_non_null(strstr(err.msg, "running_jobs[0].tenant: no tenant \"없는 회사\" in this database"));
	assert_true(start(f->op, path, 60, &err) > 0);
	assert_int_equal(run(f, "DCOPSD", "--ticks 3 --tick-ms 250 --speed 60"), 0);
	want_value(f->db.conn, "SELECT sev || ' ' || jobs_killed || ' ' || gpus_killed || ' ' || tenants_hit "
	                       "FROM dcops.incident", "3 1 16 1");
	want_value(f->db.conn, "SELECT count(*) FROM dcops.job WHERE name = 'drill-premise' AND state = 'node_fail' "
	                       "AND node_list = 'gj-h100-030,gj-h100-031'", "1");
}

/* Nobody responds: the time limits pass and the scorecard says so. */
static void test_idle_run_misses(void **state)
{
	struct fx *f = *state;
	assert_int_equal(run(f, "DCOPS", "drill start xid79-h100-job --speed 600"), 0);
	/* the sim injects the Xid; the operator does nothing. Limits are the
	 * operator's wall-clock time (5m, 15m), so end the drill rather than
	 * wait them out: what is undecided at the end is missed. */
	assert_int_equal(run(f, "DCOPSD", "--ticks 4 --tick-ms 250 --speed 600"), 0);
	assert_int_equal(run(f, "DCOPS", "drill stop"), 0);
	want_value(f->db.conn, "SELECT status || ' ' || (scorecard->>'result') FROM dcops.drill_run", "stopped fail");
	cJSON *card = stored_card(f->db.conn, 1);
	assert_string_equal(exp_status(card, 0), "missed");
	assert_string_equal(exp_status(card, 1), "missed");
	assert_string_equal(exp_status(card, 2), "met");
	assert_string_equal(exp_status(card, 3), "met");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(card, "missed")), 2);
	cJSON_Delete(card);
}

/* A client cannot store a scorecard: drill_end takes none, the table is
 * not writable, and what is stored is the server's verdict. */
static void test_forged_scorecard_not_stored(void **state)
{
	struct fx *f = *state;
	struct dc_err err = {{0}};
	int64_t id = start(f->op, "leaf-switch-row2", 60, &err);
	assert_int_equal(id, 1);
	static const char forged[] = "{\"result\": \"pass\", \"met\": 2, \"missed\": 0}";
	const char *p[] = { forged };
	PGresult *r = db_exec(f->op, &err, "SELECT dcops.drill_end(1, 'finished', $1::jsonb)", 1, p);
	assert_null(r);
	assert_non_null(strstr(err.msg, "does not exist"));
	r = db_exec(f->op, &err, "UPDATE dcops.drill_run SET scorecard = $1::jsonb WHERE id = 1", 1, p);
	assert_null(r);
	assert_non_null(strstr(err.msg, "permission denied"));
	/* a healthy node drained: the server's card fails the drill */
	assert_true(testdb_ok(f->op, "SELECT dcops.drain('{gj-h100-001}', 'looks suspicious to me today')"));
	r = db_exec(f->op, &err, "SELECT drill_id FROM dcops.drill_end(1, 'stopped')", 0, NULL);
	assert_non_null(r);
	PQclear(r);
	cJSON *card = stored_card(f->db.conn, 1);
	assert_string_equal(card_str(card, "result"), "fail");
	assert_string_equal(card_str(card, "status"), "stopped");
	const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(card, "wrong_actions"), 0);
	assert_string_equal(card_str(w, "target"), "gj-h100-001");
	assert_string_equal(card_str(w, "actor"), OP);
	cJSON_Delete(card);
	/* drill_score of an ended drill is the stored card */
	want_value(f->db.conn, "SELECT dcops.drill_score(1) = scorecard FROM dcops.drill_run WHERE id = 1", "t");
}

int main(void)
{
	testdb_require();
	if (!getenv("DCOPS") || !getenv("DCOPSD")) {
		printf("skipped: DCOPS and DCOPSD are not set (run through tests/run.sh)\n");
		return 77;
	}
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_every_scenario_starts), T(test_production_refused), T(test_scripted_xid79_meets),
		T(test_drill_severity_from_impact), T(test_idle_run_misses), T(test_forged_scorecard_not_stored),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
