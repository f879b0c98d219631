/* test_slurm_act — the Slurm adapter's acting side without a cluster: the
 * reason Slurm is given, the checks on node and account names, each
 * action's argument vector (the reason one element), reading sinfo's and
 * sacctmgr's answers, when Slurm already shows an intent, and Slurm's
 * message kept as data; job actions: the job id check, scancel and
 * scontrol hold/release, reading squeue. The live side is tests/integration/slurm_act.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "adapter/slurm/slurm-act.h"
#include "adapter/slurm/slurm-parse.h"

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0)
			return false;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static void test_reason(void **state)
{
	(void)state;
	char *r = slurm_act_reason("kim", "xid 79 on gpu1");
	assert_string_equal(r, "dcops kim: xid 79 on gpu1");
	free(r);
	/* newlines, tabs, escape sequences and C1 controls are one space;
	 * scontrol would strip a leading or trailing double quote */
	r = slurm_act_reason("김민수", "  GPU 3\n\tXid 79 \x1b[31mred\xc2\x9b \"x\"; $(id) `id`  ");
	assert_string_equal(r, "dcops 김민수: GPU 3 Xid 79 [31mred 'x'; $(id) `id`");
	free(r);
	r = slurm_act_reason("a\nb", "bad \xff byte \xe2\x82");
	assert_string_equal(r, "dcops a b: bad ? byte ??");
	free(r);
	r = slurm_act_reason("", "reason");
	assert_string_equal(r, "dcops unknown: reason");
	free(r);
	/* capped at a character boundary */
	struct sb long_reason = {0};
	for (int i = 0; i < 1000; i++)
		sb_append(&long_reason, "한");
	r = slurm_act_reason("kim", long_reason.buf);
	assert_true(strlen(r) <= SLURM_ACT_REASON_MAX);
	assert_true(strlen(r) > SLURM_ACT_REASON_MAX - 6);
	assert_true(valid_utf8(r));
	assert_string_equal(r + strlen(r) - 3, "...");
	assert_memory_equal(r, "dcops kim: 한한", strlen("dcops kim: 한한"));
	free(r);
	sb_free(&long_reason);
}

static struct slurm_act_item item(const char *kind, const char *target, const char *params)
{
	return (struct slurm_act_item){ .id = 7, .kind = kind, .target = target, .params = params,
	                                .reason = "GPU 3 Xid 79 on the bus", .by = "kim", .tenant_en = "" };
}

static void test_plan(void **state)
{
	(void)state;
	struct slurm_act_plan p;
	struct dc_err why;
	struct slurm_act_item a = item("drain", "gwj-h100-001", "{}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	assert_int_equal(p.kind, SLURM_ACT_DRAIN);
	assert_string_equal(p.node, "gwj-h100-001");
	assert_string_equal(p.reason, "dcops kim: GPU 3 Xid 79 on the bus");
	slurm_act_plan_free(&p);

	a = item("resume", "gwj-h100-001", "{}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	assert_int_equal(p.kind, SLURM_ACT_RESUME);
	assert_null(p.reason);
	slurm_act_plan_free(&p);

	const char *bad_nodes[] = { "-oProxyCommand=x", "a;b", "gwj h100", "GWJ-H100", "", "a\nb" };
	for (size_t i = 0; i < DC_ARRAY_LEN(bad_nodes); i++) {
		a = item("drain", bad_nodes[i], "{}");
		assert_int_equal(slurm_act_plan(&a, &p, &why), -1);
		assert_non_null(strstr(why.msg, "node name refused"));
		slurm_act_plan_free(&p);
	}

	a = item("reboot", "gwj-h100-001", "{}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), -1);
	assert_string_equal(why.msg, "the Slurm adapter cannot apply a 'reboot' action");

	a = item("quota_set", "hanbit", "{\"tenant_id\": 3, \"gpu_limit\": 16, \"gpu_hours_budget\": 10000.5, "
	                                 "\"storage_tb\": 20, \"previous\": {\"gpu_limit\": 8}}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	assert_int_equal(p.kind, SLURM_ACT_QUOTA);
	assert_int_equal(p.gpus, 16);
	assert_int_equal(p.gpu_mins, 600030);
	slurm_act_plan_free(&p);

	/* dcops's quota_set carries the unchanged budget along: Slurm keeps its own */
	a = item("quota_set", "hanbit", "{\"gpu_limit\": 16, \"gpu_hours_budget\": 0, \"storage_tb\": 10, "
	                                 "\"previous\": {\"gpu_limit\": 8, \"gpu_hours_budget\": 0}}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	assert_int_equal(p.gpus, 16);
	assert_true(p.gpu_mins == SLURM_ACT_KEEP);

	/* a budget of 0 is no limit, as the reading side reads Slurm's none */
	a = item("quota_revert", "hanbit", "{\"gpu_limit\": 4, \"gpu_hours_budget\": 0, "
	                                    "\"previous\": {\"gpu_limit\": 4, \"gpu_hours_budget\": 100}}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	assert_true(p.gpus == SLURM_ACT_KEEP);
	assert_int_equal(p.gpu_mins, -1);

	a = item("quota_revert", "hanbit", "{\"gpu_limit\": 0, \"gpu_hours_budget\": null}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	assert_int_equal(p.gpus, 0);
	assert_true(p.gpu_mins == SLURM_ACT_KEEP);

	const char *bad_params[] = { "{\"gpu_limit\": -1}", "{\"gpu_limit\": \"8\"}", "[1]", "not json",
	                             "{\"gpu_hours_budget\": 1e300}" };
	const char *said[] = { "params.gpu_limit must be a number from 0 to 1000000",
	                       "params.gpu_limit must be a number from 0 to 1000000",
	                       "params is not a JSON object", "params is not a JSON object",
	                       "params.gpu_hours_budget must be a number from 0 to 16666666666" };
	for (size_t i = 0; i < DC_ARRAY_LEN(bad_params); i++) {
		a = item("quota_set", "hanbit", bad_params[i]);
		assert_int_equal(slurm_act_plan(&a, &p, &why), -1);
		assert_string_equal(why.msg, said[i]);
	}
}

static void assert_argv(const struct slurm_act_cmd *cmd, const char *const *want)
{
	int i = 0;
	for (; want[i]; i++) {
		assert_non_null(cmd->argv[i]);
		assert_string_equal(cmd->argv[i], want[i]);
	}
	assert_null(cmd->argv[i]);
}

static void test_argv(void **state)
{
	(void)state;
	struct slurm_act_plan p;
	struct slurm_act_cmd cmd;
	struct dc_err why;
	struct slurm_act_item a = item("drain", "gwj-h100-002", "{}");
	a.reason = "Xid 79; $(reboot) \"now\"";
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	slurm_act_argv(&p, NULL, NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "scontrol", "update", "NodeName=gwj-h100-002", "State=DRAIN",
	                                     "Reason=dcops kim: Xid 79; $(reboot) 'now'", NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_check_argv(&p, NULL, NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "sinfo", "-h", "-N", "--nodes=gwj-h100-002", "-O",
	                                     "NodeList:0|,StateComplete:0|,Reason:0", NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_plan_free(&p);

	a = item("resume", "gwj-h100-002", "{}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	slurm_act_argv(&p, NULL, NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "scontrol", "update", "NodeName=gwj-h100-002", "State=RESUME", NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_plan_free(&p);

	a = item("quota_set", "hanbit", "{\"gpu_limit\": 6, \"gpu_hours_budget\": 20}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	slurm_act_argv(&p, "hanbit", "gwangju-test", &cmd);
	assert_argv(&cmd, (const char *[]){ "sacctmgr", "-i", "modify", "account", "where", "name=hanbit",
	                                     "cluster=gwangju-test", "set", "GrpTRES=gres/gpu=6",
	                                     "GrpTRESMins=gres/gpu=1200", NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_check_argv(&p, "hanbit", NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "sacctmgr", "-n", "-P", "show", "assoc", "where", "account=hanbit",
	                                     "format=" SLURM_ASSOC_FORMAT, NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_check_argv(&p, NULL, NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "sacctmgr", "-n", "-P", "show", "account",
	                                     "format=" SLURM_ACCOUNT_FORMAT, NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_plan_free(&p);

	a = item("quota_set", "hanbit", "{\"gpu_limit\": 0}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	slurm_act_argv(&p, "hanbit", NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "sacctmgr", "-i", "modify", "account", "where", "name=hanbit", "set",
	                                     "GrpTRES=gres/gpu=0", NULL });
	slurm_act_cmd_free(&cmd);

	/* clearing the budget */
	a = item("quota_set", "hanbit", "{\"gpu_limit\": 8, \"gpu_hours_budget\": 0, "
	                                 "\"previous\": {\"gpu_limit\": 8, \"gpu_hours_budget\": 500}}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	slurm_act_argv(&p, "hanbit", NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "sacctmgr", "-i", "modify", "account", "where", "name=hanbit", "set",
	                                     "GrpTRESMins=gres/gpu=-1", NULL });
	assert_true(slurm_act_limits_match(&p, 8, -1));
	assert_false(slurm_act_limits_match(&p, 8, 30000));
	slurm_act_cmd_free(&cmd);

	/* storage only: nothing for Slurm to do */
	a = item("quota_set", "hanbit", "{\"storage_tb\": 40, \"gpu_limit\": 4, \"previous\": {\"gpu_limit\": 4}}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	slurm_act_argv(&p, "hanbit", NULL, &cmd);
	assert_null(cmd.argv[0]);
	assert_true(slurm_act_limits_match(&p, 4, -1));
	assert_true(slurm_act_limits_match(&p, 12, 600));
	slurm_act_cmd_free(&cmd);
}

static void test_job_plan(void **state)
{
	(void)state;
	struct slurm_act_plan p;
	struct slurm_act_cmd cmd;
	struct dc_err why;
	struct slurm_act_item a = item("job_cancel", "4242", "{\"job_id\": 4242, \"state\": \"running\"}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	assert_int_equal(p.kind, SLURM_ACT_JOB_CANCEL);
	assert_int_equal(p.job_id, 4242);
	slurm_act_argv(&p, NULL, NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "scancel", "-v", "4242", NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_check_argv(&p, NULL, NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "squeue", "-h", "-t", "all", "--jobs=4242", "-o", "%A|%T|%r|%Q", NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_plan_free(&p);

	a = item("job_hold", "4294967294", "{}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	slurm_act_argv(&p, NULL, NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "scontrol", "hold", "4294967294", NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_plan_free(&p);

	a = item("job_release", "7", "{}");
	assert_int_equal(slurm_act_plan(&a, &p, &why), 0);
	slurm_act_argv(&p, NULL, NULL, &cmd);
	assert_argv(&cmd, (const char *[]){ "scontrol", "release", "7", NULL });
	slurm_act_cmd_free(&cmd);
	slurm_act_plan_free(&p);

	/* the target is one decimal job id, never an option, a list or an array task */
	const char *bad_ids[] = { "", "0", "-1", "+5", "007", "12 13", "12,13", "12_3", "1e3", "--signal=KILL",
	                          "4294967295", "99999999999", "12\n", "gwj-h100-001" };
	for (size_t i = 0; i < DC_ARRAY_LEN(bad_ids); i++) {
		a = item("job_hold", bad_ids[i], "{}");
		assert_int_equal(slurm_act_plan(&a, &p, &why), -1);
		assert_string_equal(why.msg, "job id refused: the target is not a Slurm job id (a decimal from 1 to "
		                             "4294967294)");
		slurm_act_plan_free(&p);
	}
}

/* squeue -h -t all --jobs=ID -o '%A|%T|%r|%Q' as Slurm 22.05 prints it */
static void test_job_parse(void **state)
{
	(void)state;
	struct slurm_act_job j;
	struct dc_err err;
	struct slurm_act_plan hold = { .kind = SLURM_ACT_JOB_HOLD, .job_id = 31 };
	struct slurm_act_plan release = { .kind = SLURM_ACT_JOB_RELEASE, .job_id = 31 };
	struct slurm_act_plan cancel = { .kind = SLURM_ACT_JOB_CANCEL, .job_id = 31 };

	const char held[] = "31|PENDING|JobHeldAdmin|0\n";
	assert_int_equal(slurm_act_job_parse(held, strlen(held), 31, &j, &err), 0);
	assert_true(j.found);
	assert_string_equal(j.state, "PENDING");
	assert_string_equal(j.reason, "JobHeldAdmin");
	assert_int_equal(j.priority, 0);
	assert_true(slurm_act_job_matches(&hold, &j));
	assert_false(slurm_act_job_matches(&release, &j));
	assert_false(slurm_act_job_matches(&cancel, &j));

	const char user_held[] = "31|PENDING|JobHeldUser|0";
	assert_int_equal(slurm_act_job_parse(user_held, strlen(user_held), 31, &j, &err), 0);
	assert_true(slurm_act_job_held(&j));

	const char waiting[] = "31|PENDING|Resources|4294901759\n";
	assert_int_equal(slurm_act_job_parse(waiting, strlen(waiting), 31, &j, &err), 0);
	assert_int_equal(j.priority, 4294901759LL);
	assert_false(slurm_act_job_matches(&hold, &j));
	assert_true(slurm_act_job_matches(&release, &j));

	/* a running job is not held: the hold is sent, and Slurm refuses it */
	const char running[] = "30|RUNNING|None|100\n31|RUNNING|None|100\n";
	assert_int_equal(slurm_act_job_parse(running, strlen(running), 31, &j, &err), 0);
	assert_false(slurm_act_job_matches(&hold, &j));
	assert_false(slurm_act_job_matches(&cancel, &j));

	const char *ended[] = { "31|CANCELLED|None|0", "31|COMPLETING|None|0", "31|COMPLETED|None|0",
	                        "31|TIMEOUT|TimeLimit|0", "31|FAILED|NonZeroExitCode|0" };
	for (size_t i = 0; i < DC_ARRAY_LEN(ended); i++) {
		assert_int_equal(slurm_act_job_parse(ended[i], strlen(ended[i]), 31, &j, &err), 0);
		assert_true(slurm_act_job_matches(&cancel, &j));
		assert_false(slurm_act_job_matches(&hold, &j));
	}

	/* another job's line, or none: not found, and nothing matches */
	const char other[] = "310|PENDING|JobHeldAdmin|0\n3|CANCELLED|None|0\n";
	assert_int_equal(slurm_act_job_parse(other, strlen(other), 31, &j, &err), 0);
	assert_false(j.found);
	assert_false(slurm_act_job_matches(&cancel, &j));
	assert_false(slurm_act_job_matches(&release, &j));
	assert_int_equal(slurm_act_job_parse("", 0, 31, &j, &err), 0);
	assert_false(j.found);

	const char bad[] = "31 PENDING\n";
	assert_int_equal(slurm_act_job_parse(bad, strlen(bad), 31, &j, &err), -1);
	assert_non_null(strstr(err.msg, "is not job|state|reason|priority"));
	const char bad_prio[] = "31|PENDING|None|high\n";
	assert_int_equal(slurm_act_job_parse(bad_prio, strlen(bad_prio), 31, &j, &err), -1);
	assert_string_equal(err.msg, "squeue: job 31 has priority 'high', not a number");
}

static void test_account_ok(void **state)
{
	(void)state;
	struct dc_err err;
	assert_int_equal(slurm_act_account_ok("hanbit", &err), 0);
	assert_int_equal(slurm_act_account_ok("gwangju-med", &err), 0);
	assert_int_equal(slurm_act_account_ok("새별", &err), 0);
	const char *bad[] = { "", "a,b", "a=b", "a b", "a'b", "a\"b", "a\\b", "a\nb",
	                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < DC_ARRAY_LEN(bad); i++)
		assert_int_equal(slurm_act_account_ok(bad[i], &err), -1);
	assert_int_equal(slurm_act_account_ok(NULL, &err), -1);
}

/* As Slurm 22.05.8 printed them (tests/lib/slurm.sh's cluster). */
static const char SINFO[] =
	"gwj-h100-001|idle+drain|dcops kim: a reason with | pipes and 'quotes' 한빛\n"
	"gwj-h100-002|down+drain+not_responding|PSU 2 failed\n"
	"gwj-h100-003|mixed+drain|dcops lee: Xid 79\n"
	"gwj-h100-003|mixed+drain|dcops lee: Xid 79\n"
	"gwj-h100-004|idle|none\n"
	"gwj-h100-005|idle+drain+completing|drain me\n";

static void test_node_parse(void **state)
{
	(void)state;
	struct slurm_act_node n;
	struct dc_err err;
	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-001", &n, &err), 0);
	assert_true(n.found);
	assert_true(n.drain);
	assert_false(n.busy);
	assert_string_equal(n.state, "idle+drain");
	assert_string_equal(n.reason, "dcops kim: a reason with | pipes and 'quotes' 한빛");
	slurm_act_node_free(&n);

	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-003", &n, &err), 0);
	assert_true(n.drain && n.busy);
	slurm_act_node_free(&n);
	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-005", &n, &err), 0);
	assert_true(n.drain && n.busy);
	slurm_act_node_free(&n);
	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-004", &n, &err), 0);
	assert_true(n.found);
	assert_false(n.drain);
	assert_string_equal(n.reason, "");
	slurm_act_node_free(&n);
	/* a prefix of a listed name is not that node */
	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-00", &n, &err), 0);
	assert_false(n.found);
	slurm_act_node_free(&n);
	assert_int_equal(slurm_act_node_parse("", 0, "gwj-h100-001", &n, &err), 0);
	assert_false(n.found);
	slurm_act_node_free(&n);

	const char bad[] = "gwj-h100-001 idle\n";
	assert_int_equal(slurm_act_node_parse(bad, strlen(bad), "gwj-h100-001", &n, &err), -1);
	assert_non_null(strstr(err.msg, "is not node|state|reason"));
	const char nonutf[] = "gwj-h100-001|idle+drain|bad \xff\n";
	assert_int_equal(slurm_act_node_parse(nonutf, strlen(nonutf), "gwj-h100-001", &n, &err), 0);
	assert_string_equal(n.reason, "bad ?");
	slurm_act_node_free(&n);
}

static void test_matches(void **state)
{
	(void)state;
	struct slurm_act_plan drain = { .kind = SLURM_ACT_DRAIN, .node = "gwj-h100-001",
	                                .reason = "dcops kim: a reason with | pipes and 'quotes' 한빛",
	                                .gpus = SLURM_ACT_KEEP, .gpu_mins = SLURM_ACT_KEEP };
	struct slurm_act_plan resume = { .kind = SLURM_ACT_RESUME, .node = "gwj-h100-001", .gpus = SLURM_ACT_KEEP,
	                                 .gpu_mins = SLURM_ACT_KEEP };
	struct slurm_act_node n;
	struct dc_err err;
	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-001", &n, &err), 0);
	assert_true(slurm_act_node_matches(&drain, &n));
	assert_false(slurm_act_node_matches(&resume, &n));
	slurm_act_node_free(&n);
	/* drained by someone else, for another reason: the drain is still sent */
	drain.node = "gwj-h100-002";
	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-002", &n, &err), 0);
	assert_false(slurm_act_node_matches(&drain, &n));
	slurm_act_node_free(&n);
	resume.node = "gwj-h100-004";
	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-004", &n, &err), 0);
	assert_true(slurm_act_node_matches(&resume, &n));
	slurm_act_node_free(&n);
	/* a node Slurm does not know matches nothing: the command runs and Slurm says why */
	resume.node = "gwj-h100-999";
	assert_int_equal(slurm_act_node_parse(SINFO, strlen(SINFO), "gwj-h100-999", &n, &err), 0);
	assert_false(slurm_act_node_matches(&resume, &n));
	slurm_act_node_free(&n);

	struct slurm_act_plan q = { .kind = SLURM_ACT_QUOTA, .gpus = 6, .gpu_mins = SLURM_ACT_KEEP };
	assert_true(slurm_act_limits_match(&q, 6, 600000));
	assert_false(slurm_act_limits_match(&q, 4, 600000));
	assert_false(slurm_act_limits_match(&q, -1, -1));
	q.gpu_mins = 1200;
	assert_false(slurm_act_limits_match(&q, 6, -1));
	assert_true(slurm_act_limits_match(&q, 6, 1200));
}

static void test_account(void **state)
{
	(void)state;
	/* sacctmgr -n -P show account format=Account,Organization,Description;
	 * sacctmgr lowercases descriptions */
	const char accounts[] = "gwangju-med|광주광역시|광주의료ai센터\n"
	                        "hanbit|한빛대학교|한빛랩\n"
	                        "root|root|default root account\n"
	                        "saebyeol|새별|새별ai연구소\n"
	                        "twin-a|x|쌍둥이랩\n"
	                        "twin-b|x|쌍둥이랩\n";
	struct slurm_assoc_set set = {0};
	struct dc_err err;
	assert_int_equal(slurm_parse_assocs("", 0, accounts, strlen(accounts), &set, &err), 0);
	const char *a = slurm_act_account(&set, "hanbit", "", &err);
	assert_non_null(a);
	assert_string_equal(a, "hanbit");
	a = slurm_act_account(&set, "새별AI연구소", "", &err);
	assert_non_null(a);
	assert_string_equal(a, "saebyeol");
	a = slurm_act_account(&set, "한빛 Lab", "HANBIT", &err);
	assert_non_null(a);
	assert_string_equal(a, "hanbit");
	assert_null(slurm_act_account(&set, "쌍둥이랩", "", &err));
	assert_string_equal(err.msg, "2 Slurm accounts fit tenant 쌍둥이랩; name the account like the tenant");
	assert_null(slurm_act_account(&set, "없는랩", "nolab", &err));
	assert_string_equal(err.msg, "no Slurm account for tenant 없는랩 (none named so, described so, or named "
	                             "like its name_en)");
	slurm_assoc_set_free(&set);
}

static void test_message(void **state)
{
	(void)state;
	struct slurm_out o = { .out = "", .err = "slurm_update error: Invalid node name specified\n", .status = 1 };
	o.err_len = strlen(o.err);
	char *m = slurm_act_message(&o);
	assert_string_equal(m, "slurm_update error: Invalid node name specified");
	free(m);
	/* sacctmgr says "Nothing modified" on stdout */
	o = (struct slurm_out){ .out = " Nothing modified\n", .err = " \n", .status = 1 };
	o.out_len = strlen(o.out);
	o.err_len = strlen(o.err);
	m = slurm_act_message(&o);
	assert_string_equal(m, "Nothing modified");
	free(m);
	o = (struct slurm_out){ .out = "", .err = "", .status = 137 };
	m = slurm_act_message(&o);
	assert_string_equal(m, "exit status 137");
	free(m);
	/* data, not display: escapes stay, NUL goes, bytes PostgreSQL refuses become '?' */
	char raw[] = "err \x1b[2J\0x \xc3";
	o = (struct slurm_out){ .out = "", .err = raw, .err_len = sizeof raw - 1, .status = 1 };
	m = slurm_act_message(&o);
	assert_string_equal(m, "err \x1b[2Jx ?");
	free(m);
	char *big = xmalloc(100000);
	memset(big, 'e', 100000);
	o = (struct slurm_out){ .out = "", .err = big, .err_len = 100000, .status = 1 };
	m = slurm_act_message(&o);
	assert_int_equal(strlen(m), SLURM_ACT_MSG_MAX);
	free(m);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_job_plan),
		cmocka_unit_test(test_job_parse),
		cmocka_unit_test(test_account_ok),
		cmocka_unit_test(test_node_parse),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
