/* test_handover.c — the handover report (report_build, report_render)
 * against a fixture history built with the operator functions on
 * tests/isolation/fixture.sql: exactly the expected sections and figures
 * in text, md and json; the incoming operator's sign-off is recorded (and
 * the outgoing one cannot sign his own); an empty shift gives a short
 * report, not an error. */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "report.h"
#include "testdb.h"

struct fx {
	struct testdb db;
	PGconn *op, *op2;    /* act_op (outgoing), act_op2 (incoming) */
};

static PGconn *connect_as(const struct fx *f, const char *role)
{
	char ci[160];
	struct dc_err err = {{0}};
	snprintf(ci, sizeof ci, "dbname=%s user=%s", f->db.name, role);
	PGconn *c = db_connect_str(ci, "dcops-test", &err);
	if (!c)
		fprintf(stderr, "%s\n", err.msg);
	return c;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (testdb_create(&f->db, false) != 0)
		return -1;
	char *path = xasprintf("%s/tests/isolation/fixture.sql", getenv("DCOPS_ROOT") ? getenv("DCOPS_ROOT") : ".");
	FILE *in = fopen(path, "r");
	free(path);
	if (!in)
		return -1;
	struct sb sql = {0};
	char buf[4096];
	for (size_t n; (n = fread(buf, 1, sizeof buf - 1, in)) > 0;) {
		buf[n] = '\0';
		sb_append(&sql, buf);
	}
	fclose(in);
	PGresult *r = PQexec(f->db.conn, sql.buf);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "fixture: %s\n", PQerrorMessage(f->db.conn));
	PQclear(r);
	sb_free(&sql);
	f->op = connect_as(f, "act_op");
	f->op2 = connect_as(f, "act_op2");
	*state = f;
	return ok && f->op && f->op2 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	PQfinish(f->op);
	PQfinish(f->op2);
	testdb_drop(&f->db);
	free(f);
	return 0;
}

static void ok(PGconn *c, const char *sql)
{
	assert_true(testdb_ok(c, sql));
}

/* The fixture's shift: an acknowledged SEV-3 with a drain, a new unowned
 * SEV-4, a pending 16-GPU job from before the shift, acme at 95% of its
 * GPU-hour budget, and the outgoing note. */
static void history(const struct fx *f)
{
	ok(f->db.conn, "INSERT INTO dcops.job (tenant_id, partition_id, user_name, gpus, nodes, state, submit_at) "
	               "VALUES (2, 1, 'park', 16, 2, 'pending', now() - interval '2 hours')");
	ok(f->db.conn, "UPDATE dcops.quota SET gpu_hours_used = 950 WHERE tenant_id = 1");
	ok(f->op, "SELECT dcops.shift_start()");
	ok(f->op, "SELECT dcops.incident_ack(1)");
	ok(f->op, "SELECT dcops.drain('{gpu-001}', 'Xid 79: GPU fell off the bus', 1)");
	ok(f->op, "SELECT dcops.incident_open(4, 'gpu-002: Xid 63 row remap pending', '', '{gpu-002}')");
	ok(f->op, "SELECT dcops.handover_note_set(NULL, 'gpu-001 waits for the vendor; incident 2 is unowned')");
}

static cJSON *build(PGconn *c, int64_t shift)
{
	struct report_window w = { .shift_id = shift };
	struct dc_err err = {{0}};
	cJSON *rep = report_build(c, &w, &err);
	if (!rep)
		fprintf(stderr, "report: %s\n", err.msg);
	assert_non_null(rep);
	return rep;
}

static char *render(const cJSON *rep, enum report_format fmt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	report_render(f, rep, fmt);
	fclose(f);
	return text;
}

static const cJSON *get(const cJSON *o, const char *path)
{
	char *p = xstrdup(path);
	for (char *save = NULL, *k = strtok_r(p, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = *k >= '0' && *k <= '9' ? cJSON_GetArrayItem(o, atoi(k)) : cJSON_GetObjectItemCaseSensitive(o, k);
	free(p);
	return o;
}

static void want_str(const cJSON *rep, const char *path, const char *want)
{
	const char *got = cJSON_GetStringValue(get(rep, path));
	if (!got || strcmp(got, want) != 0)
		fprintf(stderr, "%s: want %s, got %s\n", path, want, got ? got : "(none)");
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void want_num(const cJSON *rep, const char *path, double want)
{
	const cJSON *v = get(rep, path);
	assert_true(cJSON_IsNumber(v));
	if (v->valuedouble != want)
		fprintf(stderr, "%s: want %g, got %g\n", path, want, v->valuedouble);
	assert_true(v->valuedouble == want);
}

static int count(const cJSON *rep, const char *key)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, key));
}

/* The headings of a rendered report, one per line, in order. */
static char *headings(const char *text, const char *prefix)
{
	struct sb sb = {0};
	size_t n = strlen(prefix);
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		bool md = n > 0 && strncmp(l, prefix, n) == 0;
		bool txt = n == 0 && len > 0 && *l >= 'A' && *l <= 'Z' && l > text && l[-2] == '\n';
		if (md || txt)
			sb_appendf(&sb, "%.*s\n", (int)(len - (md ? n : 0)), l + (md ? n : 0));
		l = e ? e + 1 : NULL;
	}
	return sb.buf ? sb.buf : xstrdup("");
}

static void test_fixture_report(void **state)
{
	struct fx *f = *state;
	history(f);
	cJSON *rep = build(f->op, 1);
	want_str(rep, "report", "handover");
	want_num(rep, "version", 1);
	want_str(rep, "window.source", "shift");
	want_str(rep, "shift.operator", "act_op");
	want_str(rep, "on_call.0", "act_op");
	assert_int_equal(count(rep, "on_call"), 1);
	/* open incidents: the new SEV-4 unowned first, then the acknowledged SEV-3 */
	assert_int_equal(count(rep, "open_incidents"), 2);
	want_num(rep, "open_incidents.0.id", 2);
	assert_true(cJSON_IsTrue(get(rep, "open_incidents.0.unowned")));
	want_num(rep, "open_incidents.1.id", 1);
	want_str(rep, "open_incidents.1.owner", "act_op");
	want_str(rep, "open_incidents.1.state", "acknowledged");
	assert_true(cJSON_IsFalse(get(rep, "open_incidents.1.unowned")));
	want_str(rep, "open_incidents.1.last_note", "drain requested for gpu-001: Xid 79: GPU fell off the bus");
	assert_int_equal(count(rep, "incidents_opened"), 1);
	want_num(rep, "incidents_opened.0.id", 2);
	assert_int_equal(count(rep, "incidents_resolved"), 0);
	/* the drain is an intent until the adapter applies it */
	assert_int_equal(count(rep, "nodes_out"), 0);
	assert_int_equal(count(rep, "actions"), 1);
	want_str(rep, "actions.0.kind", "drain");
	want_str(rep, "actions.0.target", "gpu-001");
	want_str(rep, "actions.0.status", "pending");
	want_num(rep, "actions.0.incident_id", 1);
	/* at risk: acme's budget, and tenant 2's 16-GPU job that its 8-GPU limit holds (issue 17) */
	assert_int_equal(count(rep, "quota_risk"), 2);
	want_str(rep, "quota_risk.0.tenant", "acme");
	want_num(rep, "quota_risk.0.gpus_running", 12);
	want_num(rep, "quota_risk.0.gpu_limit", 16);
	want_num(rep, "quota_risk.0.hours_pct", 95);
	want_num(rep, "quota_risk.1.gpu_limit", 8);
	want_num(rep, "quota_risk.1.pending_blocked", 1);
	want_num(rep, "quota_risk.1.pending_blocked_gpus", 16);
	assert_int_equal(count(rep, "queues"), 2);
	want_str(rep, "queues.0.partition", "p1");
	want_num(rep, "queues.0.pending", 1);
	want_num(rep, "queues.0.pending_at_start", 1);
	want_num(rep, "queues.0.blocked_large", 1);
	want_num(rep, "queues.1.pending", 0);
	assert_int_equal(count(rep, "watch"), 0);
	want_str(rep, "note.author", "act_op");
	want_str(rep, "note.body", "gpu-001 waits for the vendor; incident 2 is unowned");
	assert_true(cJSON_IsNull(get(rep, "note.signed_off_by")));

	char *text = render(rep, REPORT_TEXT);
	char *h = headings(text, "");
	assert_string_equal(h, "Open incidents (2)\nIncidents opened this shift (1)\nIncidents resolved this shift (0)\n"
	                       "Nodes drained or down (0)\nActions this shift (1)\nTemporary quotas in effect (0)\n"
	                       "Tenants at quota risk (2)\n"
	                       "Queue health (now vs shift start) (2)\nWatch list (0)\nHandover note\n");
	assert_non_null(strstr(text, "SHIFT HANDOVER: shift 1, act_op\n"));
	assert_non_null(strstr(text, "owner: UNOWNED"));
	assert_non_null(strstr(text, "p1  pending: 1 (was 1)  oldest wait: 2h00m (was 2h00m)  blocked >=16 GPUs: 1 (was 1)"));
	assert_non_null(strstr(text, "NOT SIGNED OFF YET"));
	free(h);
	free(text);

	char *md = render(rep, REPORT_MD);
	h = headings(md, "### ");
	assert_string_equal(h, "Open incidents (2)\nIncidents opened this shift (1)\nIncidents resolved this shift (0)\n"
	                       "Nodes drained or down (0)\nActions this shift (1)\nTemporary quotas in effect (0)\n"
	                       "Tenants at quota risk (2)\n"
	                       "Queue health (now vs shift start) (2)\nWatch list (0)\nHandover note\n");
	assert_true(strncmp(md, "## Shift handover: shift 1, act\\_op\n", 36) == 0);
	free(h);
	free(md);

	char *json = render(rep, REPORT_JSON);
	cJSON *back = cJSON_Parse(json);
	assert_non_null(back);
	assert_true(cJSON_Compare(back, rep, true));
	cJSON_Delete(back);
	free(json);
	cJSON_Delete(rep);
}

static void test_sign_off(void **state)
{
	struct fx *f = *state;
	history(f);
	struct dc_err err = {{0}};
	PGresult *r = db_exec(f->op, &err, "SELECT dcops.handover_sign_off(1)", 0, NULL);
	assert_null(r);
	assert_non_null(strstr(err.msg, "the incoming operator signs it off"));
	ok(f->op2, "SELECT dcops.handover_sign_off(1)");
	cJSON *rep = build(f->op2, 1);
	want_str(rep, "note.signed_off_by", "act_op2");
	assert_true(cJSON_IsString(get(rep, "note.signed_off_at")));
	char *text = render(rep, REPORT_TEXT);
	assert_non_null(strstr(text, "signed off by act_op2 at"));
	free(text);
	cJSON_Delete(rep);
	char *who = testdb_value(f->db.conn, "SELECT actor FROM dcops.audit WHERE action = 'handover_sign_off'", 0, NULL);
	assert_string_equal(who, "act_op2");
	free(who);
	/* the note is final once taken over */
	r = db_exec(f->op, &err, "SELECT dcops.handover_note_set(1, 'changed my mind')", 0, NULL);
	assert_null(r);
	assert_non_null(strstr(err.msg, "its note is final"));
}

static void test_empty_shift(void **state)
{
	struct fx *f = *state;
	/* a quiet fleet: yesterday's incident resolved, yesterday's jobs done */
	ok(f->db.conn, "UPDATE dcops.incident SET state = 'resolved', resolved_at = now() - interval '1 day'");
	ok(f->db.conn, "UPDATE dcops.job SET state = 'completed', submit_at = now() - interval '2 days', "
	               "start_at = now() - interval '2 days', end_at = now() - interval '1 day'");
	ok(f->op2, "SELECT dcops.shift_start()");
	cJSON *rep = build(f->op2, 1);
	static const char *const empty[] = { "open_incidents", "incidents_opened", "incidents_resolved",
	                                     "nodes_out", "actions", "quota_risk", "watch" };
	for (size_t i = 0; i < DC_ARRAY_LEN(empty); i++)
		assert_int_equal(count(rep, empty[i]), 0);
	assert_true(cJSON_IsNull(get(rep, "note")));
	char *text = render(rep, REPORT_TEXT);
	int lines = 0;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	assert_true(lines < 35);   /* 32 before the temporary quotas' section (3 lines) */
	assert_non_null(strstr(text, "Open incidents (0)\n  none\n"));
	free(text);
	cJSON_Delete(rep);
}

int main(void)
{
	testdb_require();
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = { T(test_fixture_report), T(test_sign_off), T(test_empty_shift) };
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
