/* test_slurm_parse — the Slurm adapter's parsing layer: every recorded
 * fixture version parses to the same cluster, the 22.05 shapes (inline until
 * the live recordings are used), the text formats of 22.05, the state
 * tables, hostlists, TRES and gres strings, the pending-job explanations
 * with their numbers, and malformed input refused with the path named and
 * the caller's set untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "adapter/slurm/slurm-explain.h"
#include "adapter/slurm/slurm-map.h"
#include "adapter/slurm/slurm-parse.h"
#include "adapter/slurm/slurm-text.h"

#define T0 1764640800 /* the fixtures' "now": 2025-12-02 02:00 UTC */

static char *fixture(const char *version, const char *name, size_t *len)
{
	const char *root = getenv("DCOPS_ROOT");
	char *path = xasprintf("%s/tests/fixtures/slurm/%s/%s", root ? root : ".", version, name);
	char *text = NULL;
	struct dc_err err;
	if (dc_read_file(path, 1u << 24, &text, len, &err) < 0)
		fail_msg("%s", err.msg);
	free(path);
	return text;
}

/* All sets of one fixture version, parsed. */
struct cluster {
	struct slurm_node_set nodes;
	struct slurm_part_set parts;
	struct slurm_job_set jobs, done;
	struct slurm_assoc_set assocs;
	struct slurm_snap snap;
};

static void load(const char *v, struct cluster *c)
{
	size_t len, len2;
	char *t;
	struct dc_err err;
	memset(c, 0, sizeof *c);
	t = fixture(v, "nodes.json", &len);
	if (slurm_parse_nodes(t, len, &c->nodes, &err) < 0)
		fail_msg("%s nodes: %s", v, err.msg);
	free(t);
	t = fixture(v, "partitions.json", &len);
	if (slurm_parse_partitions(t, len, &c->parts, &err) < 0)
		fail_msg("%s partitions: %s", v, err.msg);
	free(t);
	t = fixture(v, "squeue.json", &len);
	if (slurm_parse_squeue(t, len, &c->jobs, &err) < 0)
		fail_msg("%s squeue: %s", v, err.msg);
	free(t);
	t = fixture(v, "sacct.json", &len);
	if (slurm_parse_sacct(t, len, &c->done, &err) < 0)
		fail_msg("%s sacct: %s", v, err.msg);
	free(t);
	t = fixture(v, "assocs.json", &len);
	char *t2 = fixture(v, "accounts.json", &len2);
	if (slurm_parse_assocs(t, len, t2, len2, &c->assocs, &err) < 0)
		fail_msg("%s assocs: %s", v, err.msg);
	free(t);
	free(t2);
	c->snap = (struct slurm_snap){ &c->nodes, &c->parts, &c->jobs, &c->assocs };
}

static void unload(struct cluster *c)
{
	slurm_node_set_free(&c->nodes);
	slurm_part_set_free(&c->parts);
	slurm_job_set_free(&c->jobs);
	slurm_job_set_free(&c->done);
	slurm_assoc_set_free(&c->assocs);
}

static const struct slurm_node *node(const struct cluster *c, const char *name)
{
	const struct slurm_node *n = slurm_find_node(&c->nodes, name);
	if (!n)
		fail_msg("no node %s", name);
	return n;
}

static const struct slurm_job *job(const struct slurm_job_set *s, uint32_t id)
{
	const struct slurm_job *j = slurm_find_job(s, id);
	if (!j)
		fail_msg("no job %u", id);
	return j;
}

/* The same cluster, whichever release printed it. */
static void check_cluster(const char *v, int major, int minor, enum slurm_shape shape)
{
	struct cluster c;
	load(v, &c);
	assert_int_equal(c.nodes.version.major, major);
	assert_int_equal(c.nodes.version.minor, minor);
	assert_int_equal(c.nodes.version.shape, shape);
	assert_false(c.nodes.version.newer_than_tested);
	assert_int_equal(c.jobs.version.shape, shape);
	assert_int_equal(c.done.version.shape, shape);

	assert_int_equal(c.nodes.n, 9);
	const struct slurm_node *n = node(&c, "gj-h100-003");  /* drained by a user */
	assert_int_equal(n->base, SLURM_NODE_IDLE);
	assert_int_equal(n->flags, SLURM_NF_DRAIN);
	assert_string_equal(n->state_text, "IDLE+DRAIN");
	assert_int_equal(n->dcops.admin, DC_ADMIN_DRAINED);
	assert_string_equal(n->dcops.label, "drained");
	assert_string_equal(n->reason, "dcops kim: fan failure, tray 2");
	assert_string_equal(n->reason_set_by_user, "kim");
	assert_int_equal(n->reason_time, T0 - 3600);
	assert_int_equal(n->gpus, 8);
	assert_string_equal(n->gpu_type, "h100");
	assert_int_equal(n->cpus, 112);
	assert_int_equal(n->real_memory_mb, 2063000);
	assert_int_equal(n->boot_time, T0 - 86400 * 12);
	n = node(&c, "gj-h100-004");                           /* down */
	assert_int_equal(n->dcops.sched, DC_SCHED_DOWN);
	assert_int_equal(n->dcops.health, DC_HEALTH_WARN);
	assert_string_equal(n->dcops.label, "down");
	assert_true(n->flags & SLURM_NF_NOT_RESPONDING);
	n = node(&c, "gj-h100-005");                           /* mixed + drain, gres used */
	assert_int_equal(n->dcops.sched, DC_SCHED_MIXED);
	assert_int_equal(n->dcops.admin, DC_ADMIN_DRAINING);
	assert_int_equal(n->gpus_used, 4);
	assert_int_equal(n->n_partitions, 2);
	assert_string_equal(n->partitions[1], "debug");
	n = node(&c, "gj-h100-001");
	assert_int_equal(n->dcops.sched, DC_SCHED_MIXED);
	assert_int_equal(n->dcops.admin, DC_ADMIN_ACTIVE);
	assert_int_equal(n->cpus_alloc, 40);
	assert_int_equal(n->gpus_used, 5);
	n = node(&c, "gj-a100-001");
	assert_string_equal(n->dcops.label, "maint");
	assert_true(n->flags & SLURM_NF_RESERVED);
	assert_string_equal(n->reservation, "maint-a100");
	n = node(&c, "gj-cpu-001");
	assert_int_equal(n->gpus, 0);
	assert_string_equal(n->gpu_type, "");

	assert_int_equal(c.parts.n, 4);
	const struct slurm_partition *p = slurm_find_part(&c.parts, "gpu-h100");
	assert_non_null(p);
	assert_int_equal(p->total_gpus, 48);
	assert_int_equal(p->total_nodes, 6);
	assert_int_equal(p->n_node_list, 6);
	assert_string_equal(p->node_list[5], "gj-h100-006");
	p = slurm_find_part(&c.parts, "cpu");
	assert_int_equal(p->total_gpus, 0);
	/* 23.02 prints no partition state (its parser skips state_up) */
	assert_int_equal(slurm_find_part(&c.parts, "debug")->state,
		shape == SLURM_SHAPE_2302 ? SLURM_PART_UP : SLURM_PART_DOWN);

	assert_int_equal(c.jobs.n, 13);
	const struct slurm_job *j = job(&c.jobs, 1002);        /* running, two nodes */
	assert_int_equal(j->state, DC_JOB_RUNNING);
	assert_int_equal(j->gpus, 12);
	assert_int_equal(j->node_count, 2);
	assert_int_equal(j->n_node_list, 2);
	assert_string_equal(j->node_list[0], "gj-h100-002");
	assert_string_equal(j->node_list[1], "gj-h100-005");
	assert_string_equal(j->name, "학습-런-7");
	assert_string_equal(j->account, "hanbit");
	assert_string_equal(j->user, "choi");
	assert_int_equal(j->start_time, T0 - 8000);
	assert_int_equal(j->time_limit_min, 1440);
	assert_int_equal(j->priority, 5010);
	assert_int_equal(j->array_task_id, -1);
	assert_int_equal(j->het_job_offset, -1);
	j = job(&c.jobs, 1003);                                /* pending on the quota */
	assert_int_equal(j->state, DC_JOB_PENDING);
	assert_string_equal(j->reason, "AssocGrpGRES");
	assert_int_equal(j->gpus, 8);
	assert_int_equal(j->n_node_list, 0);
	assert_int_equal(j->start_time, 0);
	j = job(&c.jobs, 1001);
	assert_string_equal(j->gpu_type, "h100");
	j = job(&c.jobs, 1007);                                /* pending array */
	assert_int_equal(j->array_job_id, 1007);
	assert_string_equal(j->array_task_str, "3-9%2");
	j = job(&c.jobs, 1009);                                /* its running task */
	assert_int_equal(j->array_job_id, 1007);
	assert_int_equal(j->array_task_id, 2);
	j = job(&c.jobs, 1011);                                /* het component */
	assert_int_equal(j->het_job_id, 1010);
	assert_int_equal(j->het_job_offset, 1);
	assert_string_equal(j->dependency, "afterok:1001(unfulfilled)");
	j = job(&c.jobs, 1012);                                /* held; hostile name kept as data */
	assert_true(j->held);
	assert_non_null(strstr(j->name, "\x1b]0;pwned\x07"));
	assert_non_null(strstr(j->name, "$(id)"));

	assert_int_equal(c.done.n, 7);
	j = job(&c.done, 990);
	assert_int_equal(j->state, DC_JOB_COMPLETED);
	assert_int_equal(j->exit_code, 0);
	assert_int_equal(j->gpus, 16);
	assert_string_equal(j->gpu_type, "h100");
	assert_int_equal(j->node_count, 2);
	assert_int_equal(j->end_time, T0 - 50000);
	j = job(&c.done, 991);
	assert_int_equal(j->state, DC_JOB_FAILED);
	assert_int_equal(j->exit_code, 1);
	assert_string_equal(j->name, "새벽-실험-3");
	j = job(&c.done, 992);
	assert_int_equal(j->state, DC_JOB_CANCELLED);
	assert_int_equal(j->exit_signal, 15);
	assert_int_equal(j->exit_code, -1);
	assert_int_equal(job(&c.done, 993)->state, DC_JOB_TIMEOUT);
	assert_int_equal(job(&c.done, 994)->state, DC_JOB_NODE_FAIL);
	j = job(&c.done, 995);
	assert_int_equal(j->array_job_id, 1007);
	assert_int_equal(j->array_task_id, 1);
	j = job(&c.done, 996);                                 /* never ran */
	assert_int_equal(j->n_node_list, 0);
	assert_int_equal(j->gpus, 1);

	assert_int_equal(c.assocs.n, 10);
	assert_int_equal(c.assocs.n_accounts, 5);
	const struct slurm_assoc *a = slurm_find_account_assoc(&c.assocs, "hanbit");
	assert_non_null(a);
	assert_int_equal(a->grp_gpus, 16);
	assert_int_equal(a->grp_gpu_mins, 600000);
	assert_int_equal(a->grp_gpu_run_mins, -1);
	assert_string_equal(a->parent_account, "industry");
	assert_int_equal(slurm_find_account_assoc(&c.assocs, "gist")->grp_gpus, 8);
	assert_int_equal(slurm_find_user_assoc(&c.assocs, "saebyeok", "lee")->grp_gpus, 6);
	assert_string_equal(slurm_tenant_name(&c.assocs, "hanbit"), "한빛랩");
	assert_string_equal(slurm_tenant_name(&c.assocs, "nobody"), "nobody");
	unload(&c);
}

static void test_fixtures_2302(void **state)
{
	(void)state;
	check_cluster("23.02", 23, 2, SLURM_SHAPE_2302);
}

static void test_fixtures_2311(void **state)
{
	(void)state;
	check_cluster("23.11", 23, 11, SLURM_SHAPE_2311);
}

static void test_fixtures_2405(void **state)
{
	(void)state;
	check_cluster("24.05", 24, 5, SLURM_SHAPE_2311);
}

/* The live 22.05 recordings (tests/fixtures/slurm/22.05/, made by its
 * record.sh on a real cluster; README.md there says what it holds). */
static void test_fixtures_2205_recorded(void **state)
{
	(void)state;
	struct cluster c;
	struct dc_err err;
	size_t len, len2;
	memset(&c, 0, sizeof c);
	char *t = fixture("22.05", "sinfo.json", &len);
	if (slurm_parse_nodes(t, len, &c.nodes, &err) < 0)
		fail_msg("22.05 sinfo.json: %s", err.msg);
	free(t);
	t = fixture("22.05", "scontrol_show_partition.txt", &len);
	if (slurm_parse_partitions(t, len, &c.parts, &err) < 0)
		fail_msg("22.05 scontrol_show_partition.txt: %s", err.msg);
	free(t);
	t = fixture("22.05", "squeue.json", &len);
	if (slurm_parse_squeue(t, len, &c.jobs, &err) < 0)
		fail_msg("22.05 squeue.json: %s", err.msg);
	free(t);
	t = fixture("22.05", "sacct.json", &len);
	if (slurm_parse_sacct(t, len, &c.done, &err) < 0)
		fail_msg("22.05 sacct.json: %s", err.msg);
	free(t);
	t = fixture("22.05", "sacctmgr_show_assoc.txt", &len);
	char *t2 = fixture("22.05", "sacctmgr_show_account.txt", &len2);
	if (slurm_parse_assocs(t, len, t2, len2, &c.assocs, &err) < 0)
		fail_msg("22.05 sacctmgr: %s", err.msg);
	free(t);
	free(t2);
	t = fixture("22.05", "sshare.txt", &len);
	if (slurm_parse_sshare(t, len, &c.assocs, &err) < 0)
		fail_msg("22.05 sshare.txt: %s", err.msg);
	free(t);
	c.snap = (struct slurm_snap){ &c.nodes, &c.parts, &c.jobs, &c.assocs };

	assert_int_equal(c.nodes.version.shape, SLURM_SHAPE_2205);
	assert_string_equal(c.nodes.version.release, "22.05.8");
	assert_int_equal(c.jobs.version.shape, SLURM_SHAPE_2205);
	assert_int_equal(c.done.version.shape, SLURM_SHAPE_2205);

	assert_int_equal(c.nodes.n, 6);
	const struct slurm_node *n = node(&c, "gwj-h100-002");
	assert_string_equal(n->state_text, "MIXED+DRAIN");
	assert_int_equal(n->dcops.admin, DC_ADMIN_DRAINING);
	assert_string_equal(n->reason, "dcops 김민수: GPU 3 Xid 79, 버스 이탈");
	assert_string_equal(n->reason_set_by_user, "root");
	assert_true(n->reason_time > 0);
	assert_int_equal(n->gpus, 8);
	assert_string_equal(n->gpu_type, "h100");
	n = node(&c, "gwj-h100-003");
	assert_string_equal(n->dcops.label, "drained");
	assert_string_equal(n->reason, "NVLink errors; RMA #4411");
	n = node(&c, "gwj-h100-004");
	assert_string_equal(n->dcops.label, "down");
	assert_int_equal(n->dcops.health, DC_HEALTH_WARN);
	n = node(&c, "gwj-a100-001");
	assert_int_equal(n->dcops.sched, DC_SCHED_UNKNOWN);
	assert_string_equal(n->reason_set_by_user, "");   /* 22.05 says root for no reason */

	assert_int_equal(c.parts.n, 2);
	assert_int_equal(slurm_find_part(&c.parts, "h100")->total_gpus, 32);
	assert_int_equal(slurm_find_part(&c.parts, "h100")->n_node_list, 4);
	assert_int_equal(slurm_find_part(&c.parts, "a100")->total_gpus, 16);

	/* squeue still lists ended jobs (MinJobAge), with their real exit codes */
	assert_int_equal(c.jobs.n, 9);
	assert_int_equal(job(&c.jobs, 2)->state, DC_JOB_FAILED);
	assert_int_equal(job(&c.jobs, 2)->exit_code, 3);
	assert_int_equal(job(&c.jobs, 3)->state, DC_JOB_CANCELLED);
	assert_int_equal(job(&c.jobs, 3)->exit_signal, 15);
	assert_int_equal(job(&c.jobs, 6)->n_node_list, 2);
	assert_int_equal(job(&c.jobs, 6)->gpus, 4);
	assert_string_equal(job(&c.jobs, 7)->name, "폐CT-분할 \"v2\"; $(id)");
	char *s = slurm_explain_pending(&c.snap, job(&c.jobs, 5), T0);
	assert_string_equal(s, "tenant 한빛랩's quota is 4 GPUs, 2 in use by 1 job; this job needs 4 more");
	free(s);
	s = slurm_explain_pending(&c.snap, job(&c.jobs, 9), T0);
	assert_string_equal(s, "2 nodes it can use are unavailable: gwj-a100-001 is unknown, gwj-a100-002 is unknown");
	free(s);
	s = slurm_explain_pending(&c.snap, job(&c.jobs, 8), T0);
	assert_non_null(strstr(s, "1 pending job in partition h100 has higher priority"));
	free(s);

	/* sacct: 22.05 prints SUCCESS/0 for job 2's exit 3, and its accounting
	 * turned the name's double quotes into backquotes */
	assert_int_equal(job(&c.done, 2)->state, DC_JOB_FAILED);
	assert_int_equal(job(&c.done, 2)->exit_code, -1);
	assert_int_equal(job(&c.done, 1)->exit_code, 0);
	assert_string_equal(job(&c.done, 7)->name, "폐CT-분할 `v2`; $(id)");
	assert_int_equal(job(&c.done, 6)->gpus, 4);

	assert_int_equal(slurm_find_account_assoc(&c.assocs, "hanbit")->grp_gpus, 4);
	assert_int_equal(slurm_find_account_assoc(&c.assocs, "gwangju-med")->grp_gpu_mins, 600000);
	assert_string_equal(slurm_tenant_name(&c.assocs, "hanbit"), "한빛랩");
	/* sacctmgr lowercases descriptions: "새별AI연구소" comes back as this */
	assert_string_equal(slurm_tenant_name(&c.assocs, "saebyeol"), "새별ai연구소");
	for (size_t i = 0; i < c.assocs.n_accounts; i++)
		assert_true(c.assocs.gpu_mins_used[i] >= 0);
	unload(&c);
}

/* 22.05's shapes, written from openapi/v0.0.38 (nodes via sinfo --json,
 * squeue) and dbv0.0.38 (sacct). */
static const char nodes_2205[] =
	"{\"meta\":{\"plugin\":{\"type\":\"openapi/v0.0.38\",\"name\":\"Slurm OpenAPI v0.0.38\"},"
	"\"Slurm\":{\"version\":{\"major\":22,\"micro\":8,\"minor\":5},\"release\":\"22.05.8\"}},"
	"\"errors\":[],\"nodes\":["
	"{\"name\":\"gj-h100-001\",\"state\":\"mixed\",\"state_flags\":[\"DRAIN\"],\"partitions\":[\"gpu\"],"
	"\"reason\":\"dcops kim: xid 79\",\"reason_changed_at\":1764637200,\"reason_set_by_user\":\"kim\","
	"\"gres\":\"gpu:8\",\"gres_used\":\"gpu:3(IDX:0-2)\",\"cpus\":112,\"alloc_cpus\":40,"
	"\"real_memory\":2063000,\"boot_time\":1763600000,\"tres_used\":null,\"owner\":null},"
	"{\"name\":\"gj-h100-002\",\"state\":\"down\",\"state_flags\":[\"DRAIN\",\"NOT_RESPONDING\"],"
	"\"partitions\":[\"gpu\"],\"reason\":\"\",\"reason_changed_at\":0,\"reason_set_by_user\":null,"
	"\"gres\":\"gpu:8\",\"gres_used\":\"gpu:0\",\"cpus\":112},"
	"{\"name\":\"gj-h100-003\",\"state\":\"idle\",\"state_flags\":[],\"partitions\":[\"gpu\"],"
	"\"reason\":\"\",\"reason_set_by_user\":\"root\",\"reason_changed_at\":1764637200,"
	"\"gres\":\"gpu:8\",\"gres_used\":\"gpu:0\",\"cpus\":112}]}";

static const char squeue_2205[] =
	"{\"meta\":{\"plugin\":{\"type\":\"openapi/v0.0.38\",\"name\":\"Slurm OpenAPI v0.0.38\"},"
	"\"Slurm\":{\"version\":{\"major\":22,\"micro\":8,\"minor\":5},\"release\":\"22.05.8\"}},"
	"\"errors\":[],\"jobs\":["
	"{\"job_id\":41,\"array_job_id\":0,\"array_task_id\":null,\"het_job_id\":0,\"het_job_offset\":0,"
	"\"job_state\":\"RUNNING\",\"state_reason\":\"None\",\"account\":\"hanbit\",\"user_name\":\"kim\","
	"\"partition\":\"gpu\",\"name\":\"x\",\"nodes\":\"gj-h100-[001-002]\",\"node_count\":2,"
	"\"tres_req_str\":\"cpu=2,mem=1000M,node=2,billing=2,gres/gpu=4\",\"tres_alloc_str\":\"cpu=2,mem=1000M,"
	"node=2,billing=2,gres/gpu=4\",\"tres_per_node\":\"gres:gpu:2\",\"submit_time\":1764636000,"
	"\"start_time\":1764636100,\"end_time\":1764639700,\"time_limit\":60,\"priority\":4294901758,"
	"\"exit_code\":0},"
	"{\"job_id\":42,\"array_job_id\":0,\"array_task_id\":null,\"job_state\":\"PENDING\","
	"\"state_reason\":\"AssocGrpGRES\",\"account\":\"hanbit\",\"user_name\":\"kim\",\"partition\":\"gpu\","
	"\"nodes\":\"\",\"node_count\":1,\"tres_req_str\":\"cpu=1,mem=500M,node=1,billing=1\","
	"\"tres_alloc_str\":\"\",\"tres_per_node\":\"gres:gpu:2\",\"submit_time\":1764636000,\"start_time\":0,"
	"\"time_limit\":null,\"priority\":4294901757,\"exit_code\":0},"
	"{\"job_id\":43,\"job_state\":\"COMPLETING\",\"state_reason\":\"None\",\"account\":\"a\","
	"\"user_name\":\"b\",\"partition\":\"gpu\",\"nodes\":\"gj-h100-003\",\"exit_code\":256}]}";

static const char sacct_2205[] =
	"{\"meta\":{\"plugin\":{\"type\":\"openapi/dbv0.0.38\",\"name\":\"Slurm OpenAPI DB v0.0.38\"},"
	"\"Slurm\":{\"version\":{\"major\":22,\"micro\":8,\"minor\":5},\"release\":\"22.05.8\"}},"
	"\"errors\":[],\"jobs\":[{\"job_id\":40,\"account\":\"hanbit\",\"user\":\"kim\",\"partition\":\"gpu\","
	"\"name\":\"old\",\"nodes\":\"gj-h100-003\",\"allocation_nodes\":1,"
	"\"array\":{\"job_id\":0,\"task_id\":4294967294,\"task\":null},\"het\":{\"job_id\":0,\"job_offset\":4294967294},"
	"\"state\":{\"current\":\"FAILED\",\"reason\":\"None\"},"
	"\"time\":{\"submission\":1764600000,\"start\":1764600010,\"end\":1764600070,\"limit\":60,\"elapsed\":60},"
	"\"exit_code\":{\"status\":\"SUCCESS\",\"return_code\":0},\"priority\":4294901760,"
	"\"tres\":{\"allocated\":[{\"type\":\"cpu\",\"name\":null,\"id\":1,\"count\":2},"
	"{\"type\":\"gres\",\"name\":\"gpu\",\"id\":1001,\"count\":2}],\"requested\":[]}}]}";

static void test_shape_2205(void **state)
{
	(void)state;
	struct dc_err err;
	struct slurm_node_set ns = { 0 };
	assert_int_equal(slurm_parse_nodes(nodes_2205, strlen(nodes_2205), &ns, &err), 0);
	assert_int_equal(ns.version.shape, SLURM_SHAPE_2205);
	assert_string_equal(ns.version.release, "22.05.8");
	assert_string_equal(ns.version.data_parser, "openapi/v0.0.38");
	assert_int_equal(ns.n, 3);
	assert_string_equal(ns.items[0].state_text, "MIXED+DRAIN");
	assert_int_equal(ns.items[0].dcops.admin, DC_ADMIN_DRAINING);
	assert_int_equal(ns.items[0].gpus, 8);
	assert_int_equal(ns.items[0].gpus_used, 3);
	assert_string_equal(ns.items[0].reason_set_by_user, "kim");
	assert_int_equal(ns.items[1].dcops.sched, DC_SCHED_DOWN);
	assert_int_equal(ns.items[1].dcops.admin, DC_ADMIN_DRAINED);
	assert_string_equal(ns.items[1].dcops.label, "down");   /* DOWN beats DRAIN */
	assert_string_equal(ns.items[1].reason_set_by_user, "");
	assert_int_equal(ns.items[2].dcops.sched, DC_SCHED_IDLE);
	assert_int_equal(ns.items[2].cpus_alloc, -1);
	assert_string_equal(ns.items[2].reason_set_by_user, "");   /* 22.05 says root for no reason */
	assert_int_equal(ns.items[2].reason_time, 0);
	slurm_node_set_free(&ns);

	struct slurm_job_set js = { 0 };
	assert_int_equal(slurm_parse_squeue(squeue_2205, strlen(squeue_2205), &js, &err), 0);
	assert_int_equal(js.n, 3);
	assert_int_equal(js.items[0].gpus, 4);
	assert_int_equal(js.items[0].n_node_list, 2);
	assert_int_equal(js.items[0].exit_code, 0);
	assert_int_equal(js.items[0].priority, 4294901758LL);
	assert_int_equal(js.items[1].gpus, 2);                  /* from tres_per_node "gres:gpu:2" */
	assert_int_equal(js.items[1].time_limit_min, -1);
	assert_int_equal(js.items[2].state, DC_JOB_RUNNING);    /* COMPLETING still holds its node */
	assert_int_equal(js.items[2].exit_code, 1);             /* raw wait status 256 */
	slurm_job_set_free(&js);

	assert_int_equal(slurm_parse_sacct(sacct_2205, strlen(sacct_2205), &js, &err), 0);
	assert_int_equal(js.items[0].state, DC_JOB_FAILED);
	/* 22.05's sacct says SUCCESS/0 for an exit 3 (seen live): unknown */
	assert_int_equal(js.items[0].exit_code, -1);
	assert_int_equal(js.items[0].gpus, 2);
	assert_int_equal(js.items[0].array_task_id, -1);
	assert_int_equal(js.items[0].time_limit_min, 60);
	slurm_job_set_free(&js);
}

static void test_partitions_text(void **state)
{
	(void)state;
	static const char text[] =
		"PartitionName=gpu-h100 AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL Default=YES "
		"Nodes=gj-h100-[001-004] PriorityJobFactor=1 State=UP TotalCPUs=448 TotalNodes=4 "
		"TRES=cpu=448,mem=8252000M,node=4,billing=448,gres/gpu=32\n"
		"PartitionName=debug AllowGroups=ALL Nodes=gj-h100-004 State=DOWN TotalCPUs=112 TotalNodes=1 "
		"TRES=cpu=112,mem=2063000M,node=1,billing=112\n";
	struct slurm_part_set s = { 0 };
	struct dc_err err;
	assert_int_equal(slurm_parse_partitions(text, strlen(text), &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.items[0].name, "gpu-h100");
	assert_int_equal(s.items[0].total_gpus, 32);
	assert_int_equal(s.items[0].total_cpus, 448);
	assert_int_equal(s.items[0].n_node_list, 4);
	assert_int_equal(s.items[1].state, SLURM_PART_DOWN);
	assert_int_equal(s.items[1].total_gpus, 0);
	slurm_part_set_free(&s);

	/* scontrol without -o: one partition over several lines */
	static const char multi[] =
		"PartitionName=cpu\n   AllowGroups=ALL Default=NO\n   Nodes=gj-cpu-[001-002]\n"
		"   State=INACTIVE TotalCPUs=256 TotalNodes=2\n   TRES=cpu=256,node=2\n\n";
	assert_int_equal(slurm_parse_partitions(multi, strlen(multi), &s, &err), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.items[0].state, SLURM_PART_INACTIVE);
	assert_int_equal(s.items[0].n_node_list, 2);
	slurm_part_set_free(&s);

	static const char bad[] = "PartitionName=x Nodes=a\nnonsense here\n";
	assert_int_equal(slurm_parse_partitions(bad, strlen(bad), &s, &err), -1);
	assert_string_equal(err.msg, "scontrol show partition: line 2: \"nonsense\" is not Key=Value");
	static const char badnodes[] = "PartitionName=x Nodes=a[3-1]\n";
	assert_int_equal(slurm_parse_partitions(badnodes, strlen(badnodes), &s, &err), -1);
	assert_string_equal(err.msg, "scontrol show partition: line 1.nodes: hostlist \"a[3-1]\": range goes down: 3-1");
	assert_null(s.items);
}

static void test_sacctmgr_text(void **state)
{
	(void)state;
	static const char assocs[] =
		"root||||||\n"
		"hanbit|||industry|gres/gpu=16|gres/gpu=600000|\n"
		"hanbit|kim|||||\n"
		"gist|||root|cpu=512,gres/gpu=8||gres/gpu=4800\n";
	static const char accounts[] =
		"hanbit|hanbit|한빛랩\n"
		"gist|gist|광주과학기술원 | AI대학원\n";
	struct slurm_assoc_set s = { 0 };
	struct dc_err err;
	assert_int_equal(slurm_parse_assocs(assocs, strlen(assocs), accounts, strlen(accounts), &s, &err), 0);
	assert_int_equal(s.version.shape, SLURM_SHAPE_NONE);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.items[1].grp_gpus, 16);
	assert_int_equal(s.items[1].grp_gpu_mins, 600000);
	assert_int_equal(s.items[0].grp_gpus, -1);
	assert_string_equal(s.items[2].user, "kim");
	assert_int_equal(s.items[3].grp_gpu_run_mins, 4800);
	assert_int_equal(s.n_accounts, 2);
	assert_string_equal(slurm_tenant_name(&s, "hanbit"), "한빛랩");
	assert_string_equal(slurm_tenant_name(&s, "gist"), "광주과학기술원 | AI대학원");
	assert_int_equal(s.gpu_mins_used[0], -1);
	slurm_assoc_set_free(&s);
	slurm_assoc_set_free(&s);   /* a freed set is empty: twice is harmless */

	static const char short_line[] = "hanbit|kim\n";
	assert_int_equal(slurm_parse_assocs(short_line, strlen(short_line), NULL, 0, &s, &err), -1);
	assert_string_equal(err.msg, "sacctmgr show assoc: line 1: expected 7 fields separated by '|', got 2");
	static const char bad_tres[] = "a|||root|gres/gpu=lots||\n";
	assert_int_equal(slurm_parse_assocs(bad_tres, strlen(bad_tres), NULL, 0, &s, &err), -1);
	assert_string_equal(err.msg, "sacctmgr show assoc: line 1.GrpTRES: TRES entry \"gres/gpu=lots\": not key=count");
	assert_null(s.items);
}

/* The listings as 22.05's recording harness takes them: with their header,
 * more columns than needed, -P (no trailing '|'), the description in the
 * middle holding a '|' itself; and sshare's usage. */
static void test_sacctmgr_header(void **state)
{
	(void)state;
	static const char assocs[] =
		"Cluster|Account|User|Partition|Par Name|Share|GrpTRES|GrpTRESMins|GrpTRESRunMins|MaxTRES|QOS|Def QOS\n"
		"gwangju|root|||||||||normal|\n"
		"gwangju|hanbit|||root|1|gres/gpu=4|gres/gpu=6000||gres/gpu=8|normal|\n"
		"gwangju|hanbit|kim|||1|||||normal|\n";
	static const char accounts[] =
		"Account|Descr|Org\n"
		"hanbit|한빛랩 | 비전팀|hanbit\n"
		"root|default root account|root\n";
	struct slurm_assoc_set s = { 0 };
	struct dc_err err;
	if (slurm_parse_assocs(assocs, strlen(assocs), accounts, strlen(accounts), &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.items[1].account, "hanbit");
	assert_string_equal(s.items[1].parent_account, "root");
	assert_int_equal(s.items[1].grp_gpus, 4);
	assert_int_equal(s.items[1].grp_gpu_mins, 6000);
	assert_int_equal(s.items[1].grp_gpu_run_mins, -1);
	assert_string_equal(s.items[2].user, "kim");
	assert_int_equal(s.n_accounts, 2);
	assert_string_equal(s.accounts[0].description, "한빛랩 | 비전팀");
	assert_string_equal(s.accounts[0].organization, "hanbit");
	assert_string_equal(s.accounts[1].description, "default root account");

	static const char sshare[] =
		"Account|User|RawShares|RawUsage|GrpTRESMins|TRESRunMins|GrpTRESRaw\n"
		"root|||9000||cpu=0|cpu=150,mem=0,energy=0,node=15,billing=150,fs/disk=0,gres/gpu=300\n"
		" hanbit||1|3600|gres/gpu=6000|cpu=0,gres/gpu=120|cpu=60,mem=0,node=6,billing=60,gres/gpu=150\n"
		" hanbit|kim|1|3600|||cpu=60,gres/gpu=150\n";
	if (slurm_parse_sshare(sshare, strlen(sshare), &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(s.gpu_mins_used[0], 150);
	assert_int_equal(s.gpu_mins_used[1], 300);
	static const char no_raw[] = "Account|User|RawUsage\nroot||9000\n";
	assert_int_equal(slurm_parse_sshare(no_raw, strlen(no_raw), &s, &err), -1);
	assert_string_equal(err.msg, "sshare: no GrpTRESRaw column");
	assert_int_equal(s.gpu_mins_used[0], 150);   /* untouched */
	static const char bad_raw[] = "Account|User|GrpTRESRaw\n hanbit||gres/gpu=x\n";
	assert_int_equal(slurm_parse_sshare(bad_raw, strlen(bad_raw), &s, &err), -1);
	assert_string_equal(err.msg, "sshare: line 2.GrpTRESRaw: TRES entry \"gres/gpu=x\": not key=count");
	assert_int_equal(s.gpu_mins_used[0], 150);
	slurm_assoc_set_free(&s);

	static const char wrong_count[] = "Account|Descr|Org\nhanbit|x\n";
	assert_int_equal(slurm_parse_assocs(assocs, strlen(assocs), wrong_count, strlen(wrong_count), &s, &err), -1);
	assert_string_equal(err.msg, "sacctmgr show account: line 2: expected 3 fields separated by '|', got 2");
	assert_null(s.items);
}

static void test_node_map(void **state)
{
	(void)state;
	static const struct {
		enum slurm_node_base base;
		unsigned flags;
		enum dc_sched sched;
		enum dc_admin admin;
		enum dc_health health;
		const char *label;
	} cases[] = {
		{ SLURM_NODE_IDLE, 0, DC_SCHED_IDLE, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "idle" },
		{ SLURM_NODE_MIXED, 0, DC_SCHED_MIXED, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "mixed" },
		{ SLURM_NODE_ALLOCATED, 0, DC_SCHED_ALLOCATED, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "allocated" },
		{ SLURM_NODE_IDLE, SLURM_NF_DRAIN, DC_SCHED_IDLE, DC_ADMIN_DRAINED, DC_HEALTH_OK, "drained" },
		{ SLURM_NODE_MIXED, SLURM_NF_DRAIN, DC_SCHED_MIXED, DC_ADMIN_DRAINING, DC_HEALTH_OK, "draining" },
		{ SLURM_NODE_ALLOCATED, SLURM_NF_DRAIN, DC_SCHED_ALLOCATED, DC_ADMIN_DRAINING, DC_HEALTH_OK, "draining" },
		{ SLURM_NODE_IDLE, SLURM_NF_DRAIN | SLURM_NF_COMPLETING, DC_SCHED_IDLE, DC_ADMIN_DRAINING, DC_HEALTH_OK,
		  "draining" },
		{ SLURM_NODE_DOWN, SLURM_NF_DRAIN, DC_SCHED_DOWN, DC_ADMIN_DRAINED, DC_HEALTH_WARN, "down" },
		{ SLURM_NODE_DOWN, SLURM_NF_NOT_RESPONDING, DC_SCHED_DOWN, DC_ADMIN_ACTIVE, DC_HEALTH_WARN, "down" },
		{ SLURM_NODE_IDLE, SLURM_NF_NOT_RESPONDING, DC_SCHED_IDLE, DC_ADMIN_ACTIVE, DC_HEALTH_WARN,
		  "not_responding" },
		{ SLURM_NODE_IDLE, SLURM_NF_DRAIN | SLURM_NF_FAIL, DC_SCHED_IDLE, DC_ADMIN_DRAINED, DC_HEALTH_FAIL, "fail" },
		{ SLURM_NODE_MIXED, SLURM_NF_DRAIN | SLURM_NF_FAIL, DC_SCHED_MIXED, DC_ADMIN_DRAINING, DC_HEALTH_FAIL,
		  "fail" },
		{ SLURM_NODE_IDLE, SLURM_NF_MAINTENANCE | SLURM_NF_RESERVED, DC_SCHED_IDLE, DC_ADMIN_ACTIVE, DC_HEALTH_OK,
		  "maint" },
		{ SLURM_NODE_IDLE, SLURM_NF_RESERVED, DC_SCHED_IDLE, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "reserved" },
		{ SLURM_NODE_IDLE, SLURM_NF_POWERED_DOWN, DC_SCHED_IDLE, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "powered_down" },
		{ SLURM_NODE_IDLE, SLURM_NF_REBOOT_REQUESTED, DC_SCHED_IDLE, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "reboot" },
		{ SLURM_NODE_IDLE, SLURM_NF_INVALID_REG, DC_SCHED_IDLE, DC_ADMIN_ACTIVE, DC_HEALTH_FAIL, "inval" },
		{ SLURM_NODE_ERROR, 0, DC_SCHED_DOWN, DC_ADMIN_ACTIVE, DC_HEALTH_WARN, "error" },
		{ SLURM_NODE_FUTURE, 0, DC_SCHED_UNKNOWN, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "future" },
		{ SLURM_NODE_UNKNOWN, SLURM_NF_DRAIN, DC_SCHED_UNKNOWN, DC_ADMIN_DRAINED, DC_HEALTH_OK, "drained" },
		{ SLURM_NODE_IDLE, SLURM_NF_COMPLETING, DC_SCHED_IDLE, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "completing" },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(cases); i++) {
		struct slurm_dcops_node_state st = slurm_map_node(cases[i].base, cases[i].flags);
		if (st.sched != cases[i].sched || st.admin != cases[i].admin || st.health != cases[i].health ||
		    strcmp(st.label, cases[i].label) != 0)
			fail_msg("case %zu: got %s/%s/%s/%s, want %s/%s/%s/%s", i, dc_sched_name(st.sched),
				dc_admin_name(st.admin), dc_health_name(st.health), st.label, dc_sched_name(cases[i].sched),
				dc_admin_name(cases[i].admin), dc_health_name(cases[i].health), cases[i].label);
	}
	assert_int_equal(slurm_node_base_parse("idle"), SLURM_NODE_IDLE);
	assert_int_equal(slurm_node_base_parse("ALLOC"), SLURM_NODE_ALLOCATED);
	assert_int_equal(slurm_node_base_parse("DRAIN"), -1);
	assert_int_equal(slurm_node_flag_parse("maint"), SLURM_NF_MAINTENANCE);
	assert_int_equal(slurm_node_flag_parse("BOGUS"), 0);
}

static void test_job_map(void **state)
{
	(void)state;
	static const struct {
		const char *word;
		int state;
		bool base;
	} cases[] = {
		{ "PENDING", DC_JOB_PENDING, true }, { "RUNNING", DC_JOB_RUNNING, true },
		{ "SUSPENDED", DC_JOB_RUNNING, true }, { "COMPLETED", DC_JOB_COMPLETED, true },
		{ "CANCELLED", DC_JOB_CANCELLED, true }, { "FAILED", DC_JOB_FAILED, true },
		{ "TIMEOUT", DC_JOB_TIMEOUT, true }, { "NODE_FAIL", DC_JOB_NODE_FAIL, true },
		{ "PREEMPTED", DC_JOB_CANCELLED, true }, { "BOOT_FAIL", DC_JOB_NODE_FAIL, true },
		{ "DEADLINE", DC_JOB_TIMEOUT, true }, { "OUT_OF_MEMORY", DC_JOB_FAILED, true },
		{ "COMPLETING", DC_JOB_RUNNING, false }, { "CONFIGURING", DC_JOB_RUNNING, false },
		{ "REQUEUED", DC_JOB_PENDING, false }, { "REQUEUE_HOLD", DC_JOB_PENDING, false },
		{ "SPECIAL_EXIT", DC_JOB_PENDING, false }, { "REVOKED", DC_JOB_CANCELLED, false },
		{ "nonsense", -1, false },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(cases); i++) {
		bool base = !cases[i].base;
		int s = slurm_job_state_parse(cases[i].word, &base);
		assert_int_equal(s, cases[i].state);
		if (s >= 0)
			assert_int_equal(base, cases[i].base);
	}
}

static void expect_hosts(const char *list, const char *joined)
{
	struct slurm_arena a = { 0 };
	char **names;
	size_t n;
	struct dc_err err;
	if (slurm_hostlist_expand(list, 1000, &a, &names, &n, &err) < 0)
		fail_msg("%s: %s", list, err.msg);
	struct sb sb = { 0 };
	for (size_t i = 0; i < n; i++)
		sb_appendf(&sb, "%s%s", i ? " " : "", names[i]);
	char *got = sb_take(&sb);
	if (strcmp(got, joined) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", list, got, joined);
	free(got);
	slurm_arena_free(&a);
}

static void expect_bad_hosts(const char *list, size_t max, const char *msg)
{
	struct slurm_arena a = { 0 };
	char **names = (char **)&a;
	size_t n = 77;
	struct dc_err err;
	assert_int_equal(slurm_hostlist_expand(list, max, &a, &names, &n, &err), -1);
	assert_string_equal(err.msg, msg);
	assert_ptr_equal(names, (char **)&a);   /* outputs untouched */
	assert_int_equal(n, 77);
	slurm_arena_free(&a);
}

static void test_hostlist(void **state)
{
	(void)state;
	expect_hosts("", "");
	expect_hosts("gj-h100-001", "gj-h100-001");
	expect_hosts("gj-h100-[001-004,009]", "gj-h100-001 gj-h100-002 gj-h100-003 gj-h100-004 gj-h100-009");
	expect_hosts("n[8-11]", "n8 n9 n10 n11");
	expect_hosts("n[08-11]", "n08 n09 n10 n11");
	expect_hosts("n[098-101]", "n098 n099 n100 n101");
	expect_hosts("a,b[1-2],c", "a b1 b2 c");
	expect_hosts("r[1-2]n[01-02]", "r1n01 r1n02 r2n01 r2n02");
	expect_hosts("gpu[1,3]-ib", "gpu1-ib gpu3-ib");
	expect_hosts("x[5]", "x5");
	expect_bad_hosts("n[3-1]", 1000, "hostlist \"n[3-1]\": range goes down: 3-1");
	expect_bad_hosts("n[1-2", 1000, "hostlist \"n[1-2\": '[' without ']'");
	expect_bad_hosts("n1-2]", 1000, "hostlist \"n1-2]\": ']' without '['");
	expect_bad_hosts("n[[1-2]]", 1000, "hostlist \"n[[1-2]]\": brackets inside brackets");
	expect_bad_hosts("n[]", 1000, "hostlist \"n[]\": empty brackets");
	expect_bad_hosts("n[a-b]", 1000, "hostlist \"n[a-b]\": range bound is not a number: a");
	expect_bad_hosts("n[1-]", 1000, "hostlist \"n[1-]\": range bound must be 1 to 9 digits: (empty)");
	expect_bad_hosts("n[1,]", 1000, "hostlist \"n[1,]\": range bound must be 1 to 9 digits: (empty)");
	expect_bad_hosts("a,,b", 1000, "hostlist \"a,,b\": empty name between commas");
	expect_bad_hosts("a,", 1000, "hostlist \"a,\": empty name between commas");
	expect_bad_hosts("n[0-9999999999]", 1000, "hostlist \"n[0-9999999999]\": range bound must be 1 to 9 digits: "
		"9999999999");
	expect_bad_hosts("n[0-999999999]", 1000, "hostlist \"n[0-999999999]\": range too large: 0-999999999");
	expect_bad_hosts("n[1-600],m[1-600]", 1000, "hostlist \"n[1-600],m[1-600]\": expands to more than this "
		"many names: 1000");
	expect_bad_hosts("bad\x1b[1-2", 1000, "hostlist \"bad\\x1b[1-2\": '[' without ']'");
}

static void test_tres(void **state)
{
	(void)state;
	struct slurm_tres t;
	struct dc_err err;
	assert_int_equal(slurm_tres_parse("cpu=4,mem=16G,node=1,billing=4,gres/gpu=2", &t, &err), 0);
	assert_int_equal(t.cpu, 4);
	assert_int_equal(t.mem_mb, 16384);
	assert_int_equal(t.node, 1);
	assert_int_equal(t.billing, 4);
	assert_int_equal(t.gpus, 2);
	assert_string_equal(t.gpu_type, "");
	assert_int_equal(slurm_tres_parse("gres/gpu:h100=8", &t, &err), 0);
	assert_int_equal(t.gpus, 8);
	assert_string_equal(t.gpu_type, "h100");
	assert_int_equal(t.cpu, -1);
	/* untyped and typed together: the untyped total counts, not the sum */
	assert_int_equal(slurm_tres_parse("cpu=1,gres/gpu=8,gres/gpu:h100=8,license/matlab=1,fs/disk=5", &t, &err), 0);
	assert_int_equal(t.gpus, 8);
	assert_int_equal(slurm_tres_parse("gres/gpu:a100=2,gres/gpu:v100=3,mem=512K", &t, &err), 0);
	assert_int_equal(t.gpus, 5);
	assert_int_equal(t.mem_mb, 1);
	assert_int_equal(slurm_tres_parse("mem=2T,gres/gpumem=40G", &t, &err), 0);
	assert_int_equal(t.mem_mb, 2097152);
	assert_int_equal(t.gpus, -1);                            /* gres/gpumem is not GPUs */
	assert_int_equal(slurm_tres_parse("", &t, &err), 0);
	assert_int_equal(t.gpus, -1);
	assert_int_equal(slurm_tres_parse(NULL, &t, &err), 0);
	assert_int_equal(slurm_tres_parse("cpu=4,gpu", &t, &err), -1);
	assert_string_equal(err.msg, "TRES entry \"gpu\": not key=count");
	assert_int_equal(slurm_tres_parse("gres/gpu=2x", &t, &err), -1);
	assert_int_equal(slurm_tres_parse("cpu=99999999999999999999", &t, &err), -1);

	int g;
	char type[16];
	assert_int_equal(slurm_tres_per_gpus("gres:gpu:2", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 2);
	assert_int_equal(slurm_tres_per_gpus("gres/gpu:h100:4,gres/shard:2", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 4);
	assert_string_equal(type, "h100");
	assert_int_equal(slurm_tres_per_gpus("gres/gpu", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 1);
	assert_int_equal(slurm_tres_per_gpus("", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 0);
	assert_int_equal(slurm_tres_per_gpus("gres/gpu:2:h100", &g, type, sizeof type, &err), -1);
	assert_string_equal(err.msg, "TRES request \"gres/gpu:2:h100\": not key=count");
}

static void test_gres(void **state)
{
	(void)state;
	int g;
	char type[16];
	struct dc_err err;
	assert_int_equal(slurm_gres_gpus("gpu:h100:8(S:0-1)", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 8);
	assert_string_equal(type, "h100");
	assert_int_equal(slurm_gres_gpus("gpu:h100:3(IDX:0,2-3)", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 3);
	assert_int_equal(slurm_gres_gpus("gpu:a100:4,gpu:v100:2,nic:1", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 6);
	assert_string_equal(type, "a100");
	assert_int_equal(slurm_gres_gpus("gpu:8", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 8);
	assert_string_equal(type, "");
	assert_int_equal(slurm_gres_gpus("gpu:h100:0(IDX:N/A)", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 0);
	assert_int_equal(slurm_gres_gpus("(null)", &g, type, sizeof type, &err), 0);
	assert_int_equal(g, 0);
	assert_int_equal(slurm_gres_gpus("gpu:h100:8(S:0-1", &g, type, sizeof type, &err), -1);
	assert_int_equal(slurm_gres_gpus("gpu::8", &g, type, sizeof type, &err), -1);
}

static void expect_explain(const struct cluster *c, uint32_t id, const char *want)
{
	char *got = slurm_explain_pending(&c->snap, job(&c->jobs, id), T0);
	if (strcmp(got, want) != 0)
		fail_msg("job %u:\n got: %s\nwant: %s", id, got, want);
	free(got);
}

static void test_explain(void **state)
{
	(void)state;
	struct cluster c;
	load("24.05", &c);
	expect_explain(&c, 1003, "tenant 한빛랩's quota is 16 GPUs, 16 in use by 2 jobs; this job needs 8 more");
	expect_explain(&c, 1005, "waiting for free GPUs in partition gpu-a100: it needs 4 GPUs on 1 node; "
		"0 of 8 GPUs are free, on 0 of 2 nodes (at most 0 on one node); out of service: 1 maint");
	expect_explain(&c, 1006, "tenant 광주과학기술원 AI대학원's GPU-hour budget is 2.0 GPU-hours and Slurm "
		"counts it as used up; this job could use 2 GPUs x 10.0 h = 20.0 GPU-hours");
	expect_explain(&c, 1007, "2 pending jobs in partition gpu-h100 have higher priority (this job: 4100); "
		"together they need 10 GPUs; this job needs 1");
	expect_explain(&c, 1011, "waits for its dependency afterok:1001(unfulfilled): job 1001 is running");
	expect_explain(&c, 1012, "held by its user kim; it starts only after `scontrol release 1012`");
	expect_explain(&c, 1013, "2 nodes it can use are unavailable: gj-h100-003 is drained (\"dcops kim: fan "
		"failure, tray 2\" by kim), gj-h100-004 is down (\"Not responding\" by slurm)");
	expect_explain(&c, 1014, "partition debug is DOWN: no job starts there until an administrator sets it UP");
	expect_explain(&c, 1001, "job 1001 is running, not pending");

	/* the usage the adapter learns from accounting shows in the budget */
	for (size_t i = 0; i < c.assocs.n_accounts; i++)
		if (strcmp(c.assocs.accounts[i].name, "gist") == 0)
			c.assocs.gpu_mins_used[i] = 150;
	expect_explain(&c, 1006, "tenant 광주과학기술원 AI대학원's GPU-hour budget is 2.0 GPU-hours, 2.5 GPU-hours "
		"used; this job could use 2 GPUs x 10.0 h = 20.0 GPU-hours");

	/* the same job under other reasons, to cover each sentence */
	struct slurm_job *j = (struct slurm_job *)job(&c.jobs, 1003);
	j->reason = "QOSMaxGRESPerUser";
	expect_explain(&c, 1003, "QOS normal caps the GPUs one user may hold; user kim has 4 in use by 1 job; "
		"this job needs 8 more");
	j->reason = "Resources";
	j->partition = "gpu-h100";
	expect_explain(&c, 1003, "waiting for free GPUs in partition gpu-h100: it needs 8 GPUs on 1 node; "
		"11 of 48 GPUs are free, on 2 of 6 nodes (at most 8 on one node); out of service: 1 drained, 1 down, "
		"1 draining");
	/* a job pending in two partitions counts the nodes of both */
	j->partition = "gpu-a100,gpu-h100";
	expect_explain(&c, 1003, "waiting for free GPUs in partition gpu-a100,gpu-h100: it needs 8 GPUs on 1 node; "
		"11 of 56 GPUs are free, on 2 of 8 nodes (at most 8 on one node); out of service: 1 drained, 1 down, "
		"1 draining, 1 maint");
	j->reason = "PartitionDown";
	j->partition = "gpu-h100,debug";
	expect_explain(&c, 1003, "partition debug is DOWN: no job starts there until an administrator sets it UP");
	j->partition = "gpu-h100";
	j->reason = "Priority";
	j->priority = 4000;
	expect_explain(&c, 1003, "2 pending jobs in partition gpu-h100 have higher priority (this job: 4000); "
		"together they need 3 GPUs; this job needs 8");
	j->reason = "BeginTime";
	j->eligible_time = T0 + 42 * 60;
	expect_explain(&c, 1003, "asked not to start before 2025-12-02 02:42 UTC (in 42 min)");
	j->reason = "JobHeldAdmin";
	expect_explain(&c, 1003, "held by an administrator; only an administrator can release job 1003");
	j->reason = "AssocGrpGRESRunMinutes";
	j->account = "saebyeok";
	j->time_limit_min = 60;
	expect_explain(&c, 1003, "tenant 새벽AI연구소's running jobs may hold 80.0 GPU-hours at once; its 2 running "
		"jobs hold 39.7 GPU-hours of remaining time limit; this job could use 8 GPUs x 1.0 h = 8.0 GPU-hours");
	j->reason = "ReqNodeNotAvail";
	j->state_description = "";
	expect_explain(&c, 1003, "a node it asks for is down, drained or reserved (partition gpu-h100)");
	j->reason = "DependencyNeverSatisfied";
	j->dependency = "afterok:990(failed)";
	expect_explain(&c, 1003, "can never start: its dependency afterok:990(failed) cannot be met (a job it waits "
		"for failed or was cancelled); cancel it or change the dependency");
	j->reason = "Dependency";
	expect_explain(&c, 1003, "waits for its dependency afterok:990(failed): job 990 is no longer in the queue");
	j->reason = "InvalidQOS";
	j->state_description = "%s%n%x";
	expect_explain(&c, 1003, "Slurm's reason: InvalidQOS (%s%n%x)");
	/* the user limit before the account's */
	j->reason = "AssocGrpGRES";
	j->user = "lee";
	expect_explain(&c, 1003, "user lee's GPU limit under tenant 새벽AI연구소 is 6 GPUs, 5 in use by 2 jobs; "
		"this job needs 8 more");
	/* over a parent's limit, not its own */
	j->user = "choi";
	j->account = "hanbit";
	((struct slurm_assoc *)slurm_find_account_assoc(&c.assocs, "hanbit"))->grp_gpus = 40;
	((struct slurm_assoc *)slurm_find_account_assoc(&c.assocs, "industry"))->grp_gpus = 20;
	expect_explain(&c, 1003, "parent account 산업체 공동's quota is 20 GPUs, 21 in use by 4 jobs; "
		"this job needs 8 more");

	/* nothing read yet: still a sentence, saying so */
	struct slurm_snap empty = { NULL, NULL, NULL, NULL };
	char *s = slurm_explain_pending(&empty, job(&c.jobs, 1005), T0);
	assert_string_equal(s, "waiting for free GPUs in partition gpu-a100: it needs 4 GPUs on 1 node "
		"(dcops has not read the nodes yet)");
	free(s);
	s = slurm_explain_pending(&empty, job(&c.jobs, 1006), T0);
	assert_string_equal(s, "tenant gist's GPU-hour budget (GrpTRESMins gres/gpu) is used up; this job could use "
		"2 GPUs x 10.0 h = 20.0 GPU-hours");
	free(s);
	unload(&c);
}

/* A parser's failure leaves the caller's set exactly as it was. */
static void expect_bad_nodes(const char *json, const char *msg)
{
	struct slurm_node_set s = { .n = 4242 };
	struct dc_err err;
	if (slurm_parse_nodes(json, strlen(json), &s, &err) != -1)
		fail_msg("parsed: %s", json);
	assert_string_equal(err.msg, msg);
	assert_int_equal(s.n, 4242);
	assert_null(s.items);
}

static void expect_bad_jobs(const char *json, const char *msg)
{
	struct slurm_job_set s = { .n = 4242 };
	struct dc_err err;
	if (slurm_parse_squeue(json, strlen(json), &s, &err) != -1)
		fail_msg("parsed: %s", json);
	assert_string_equal(err.msg, msg);
	assert_int_equal(s.n, 4242);
	assert_null(s.items);
}

#define META_2311 "\"meta\":{\"slurm\":{\"version\":{\"major\":\"23\",\"minor\":\"11\",\"micro\":\"1\"}}}"

static void test_malformed(void **state)
{
	(void)state;
	expect_bad_nodes("{" META_2311 ",\"nodes\":[{\"name\":\"a\",\"state\":[\"IDLE\"]},{\"name\":\"b\",\"state\":7}]}",
		"nodes JSON: nodes[1].state: expected string or array, got number");
	expect_bad_nodes("{" META_2311 ",\"nodes\":[{\"name\":\"a\",\"state\":[\"IDLE\",3]}]}",
		"nodes JSON: nodes[0].state[1]: expected string, got number");
	expect_bad_nodes("{" META_2311 ",\"nodes\":[{\"name\":\"a\",\"boot_time\":{\"set\":\"yes\"}}]}",
		"nodes JSON: nodes[0].boot_time: expected {set: boolean, infinite: boolean, number: number}");
	expect_bad_nodes("{" META_2311 ",\"nodes\":[{\"name\":\"a\",\"cpus\":1.5}]}",
		"nodes JSON: nodes[0].cpus: number out of range or not whole");
	expect_bad_nodes("{" META_2311 ",\"nodes\":[{\"name\":\"a\",\"gres\":\"gpu:h100:x\"}]}",
		"nodes JSON: nodes[0].gres: gres \"gpu:h100:x\": not key=count");
	expect_bad_nodes("{" META_2311 ",\"nodes\":[{\"state\":[\"IDLE\"]}]}",
		"nodes JSON: nodes[0].name: missing or empty");
	expect_bad_nodes("{" META_2311 ",\"nodes\":[\"a\"]}", "nodes JSON: nodes[0]: expected object, got string");
	expect_bad_nodes("{" META_2311 ",\"nodes\":{}}", "nodes JSON: nodes: expected array, got object");
	expect_bad_nodes("{" META_2311 "}", "nodes JSON: nodes: expected array, got nothing");
	expect_bad_nodes("{\"nodes\":[]}", "nodes JSON: meta: expected object, got nothing (is this Slurm's JSON output?)");
	expect_bad_nodes("{\"meta\":{},\"nodes\":[]}",
		"nodes JSON: meta: no Slurm release (meta.Slurm.version or meta.slurm.version)");
	expect_bad_nodes("{\"meta\":{\"Slurm\":{\"version\":{\"major\":21,\"minor\":8}}},\"nodes\":[]}",
		"nodes JSON: meta: Slurm 21.08 is older than 22.05, the oldest supported");
	expect_bad_nodes("{" META_2311 ",\"errors\":[{\"description\":\"Unable to contact slurm controller\x1b[2J\","
		"\"error_number\":1007}],\"nodes\":[]}",
		"nodes JSON: Slurm reported an error: \"Unable to contact slurm controller\\x1b[2J\"");
	expect_bad_nodes("{" META_2311 ",\"nodes\":[{\"name\":\"a\"", "nodes JSON: not valid JSON (at byte 89 of 90)");
	expect_bad_nodes("[1,2]", "nodes JSON: expected a JSON object, got array");
	expect_bad_nodes("", "nodes JSON: not valid JSON (at byte 0 of 0)");

	expect_bad_jobs("{" META_2311 ",\"jobs\":[{\"job_id\":1,\"job_state\":[\"RUNNING\"],\"nodes\":\"n[2-1]\"}]}",
		"squeue: jobs[0].nodes: hostlist \"n[2-1]\": range goes down: 2-1");
	expect_bad_jobs("{" META_2311 ",\"jobs\":[{\"job_id\":1,\"job_state\":[\"WHATEVER\"]}]}",
		"squeue: jobs[0].job_state: unknown job state \"WHATEVER\"");
	expect_bad_jobs("{" META_2311 ",\"jobs\":[{\"job_id\":1}]}",
		"squeue: jobs[0].job_state: expected string or array, got nothing");
	expect_bad_jobs("{" META_2311 ",\"jobs\":[{\"job_state\":[\"RUNNING\"]}]}",
		"squeue: jobs[0].job_id: missing or not a job id");
	expect_bad_jobs("{" META_2311 ",\"jobs\":[{\"job_id\":1,\"job_state\":[\"RUNNING\"],\"account\":[]}]}",
		"squeue: jobs[0].account: expected string, got array");
	expect_bad_jobs("{" META_2311 ",\"jobs\":[{\"job_id\":1,\"job_state\":[\"RUNNING\"],"
		"\"tres_alloc_str\":\"gres/gpu=many\"}]}",
		"squeue: jobs[0].tres_alloc_str: TRES entry \"gres/gpu=many\": not key=count");
	expect_bad_jobs("{" META_2311 ",\"jobs\":[{\"job_id\":1,\"job_state\":[\"RUNNING\"],\"exit_code\":\"0\"}]}",
		"squeue: jobs[0].exit_code: expected number or object, got string");

	struct slurm_job_set js = { 0 };
	struct dc_err err;
	const char *sacct = "{" META_2311 ",\"jobs\":[{\"job_id\":5,\"state\":{\"current\":[\"FAILED\"]},"
		"\"time\":7}]}";
	assert_int_equal(slurm_parse_sacct(sacct, strlen(sacct), &js, &err), -1);
	assert_string_equal(err.msg, "sacct: jobs[0].time: expected object, got number");
	sacct = "{" META_2311 ",\"jobs\":[{\"job_id\":5,\"state\":{\"current\":[\"FAILED\"]},"
		"\"tres\":{\"allocated\":[{\"count\":1}]}}]}";
	assert_int_equal(slurm_parse_sacct(sacct, strlen(sacct), &js, &err), -1);
	assert_string_equal(err.msg, "sacct: jobs[0].tres.allocated[0]: expected object with a string \"type\", got nothing");

	/* a later release parses with the newest shape, flagged */
	const char *newer = "{\"meta\":{\"slurm\":{\"version\":{\"major\":\"25\",\"minor\":\"05\",\"micro\":\"0\"}}},"
		"\"jobs\":[]}";
	assert_int_equal(slurm_parse_squeue(newer, strlen(newer), &js, &err), 0);
	assert_true(js.version.newer_than_tested);
	assert_int_equal(js.version.shape, SLURM_SHAPE_2311);
	slurm_job_set_free(&js);

	/* the size cap is checked before a byte is read */
	struct slurm_node_set ns = { 0 };
	assert_int_equal(slurm_parse_nodes("{}", SLURM_INPUT_MAX + 1, &ns, &err), -1);
	assert_non_null(strstr(err.msg, "more than the"));
	/* input is read by length, not to a NUL */
	const char *padded = "{" META_2311 ",\"nodes\":[]}garbage";
	assert_int_equal(slurm_parse_nodes(padded, strlen(padded) - 7, &ns, &err), 0);
	slurm_node_set_free(&ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_2302),
		cmocka_unit_test(test_fixtures_2311),
		cmocka_unit_test(test_fixtures_2405),
		cmocka_unit_test(test_fixtures_2205_recorded),
		cmocka_unit_test(test_shape_2205),
		cmocka_unit_test(test_partitions_text),
		cmocka_unit_test(test_sacctmgr_text),
		cmocka_unit_test(test_sacctmgr_header),
		cmocka_unit_test(test_node_map),
		cmocka_unit_test(test_job_map),
		cmocka_unit_test(test_hostlist),
		cmocka_unit_test(test_tres),
		cmocka_unit_test(test_gres),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
