/* test_model — rows, the id index and derived fields kept per change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util.h"

static int64_t next_version = 1;

/* Rows go in packed, as the store's decoder makes them. */
static bool put(struct dc_model *m, enum dc_table t, const void *tmpl)
{
	return model_put(m, t, model_row_pack(t, tmpl));
}

static void put_partition(struct dc_model *m, int64_t id)
{
	struct dc_partition p_[1] = { { 0 } }, *p = p_;
	p->id = id;
	p->version = next_version++;
	char name[32];
	snprintf(name, sizeof name, "p%lld", (long long)id);
	p->name = name;
	p->gpu_model = (char *)"H100";
	put(m, DC_T_PARTITION, p);
}

static void put_tenant(struct dc_model *m, int64_t id)
{
	struct dc_tenant t_[1] = { { 0 } }, *t = t_;
	t->id = id;
	t->version = next_version++;
	t->name = (char *)"한국AI";
	t->name_en = (char *)"Korea AI";
	t->kind = (char *)"startup";
	put(m, DC_T_TENANT, t);
}

static void put_node(struct dc_model *m, int64_t id, int64_t part, int gpus, enum dc_admin a,
                     enum dc_sched s)
{
	struct dc_node n_[1] = { { 0 } }, *n = n_;
	n->id = id;
	n->version = next_version++;
	char name[32];
	snprintf(name, sizeof name, "n%lld", (long long)id);
	n->name = name;
	n->model = (char *)"HGX";
	n->drain_reason = (char *)a == DC_ADMIN_ACTIVE ? "" : "xid 79";
	n->drained_by = (char *)"";
	n->health_detail = (char *)"";
	n->partition_id = part;
	n->gpu_count = gpus;
	n->admin = a;
	n->sched = s;
	n->last_seen = 1000 + id;
	put(m, DC_T_NODE, n);
}

static void put_gpu(struct dc_model *m, int64_t id, int64_t node, int idx, int64_t job, int util,
                    int temp)
{
	struct dc_gpu g_[1] = { { 0 } }, *g = g_;
	g->id = id;
	g->node_id = node;
	g->idx = idx;
	g->job_id = job;
	g->util_pct = util;
	g->temp_c = temp;
	put(m, DC_T_GPU, g);
}

static void put_job(struct dc_model *m, int64_t id, int64_t tenant, int64_t part, int gpus,
                    enum dc_job_state st, int64_t submit)
{
	struct dc_job j_[1] = { { 0 } }, *j = j_;
	j->id = id;
	j->version = next_version++;
	j->tenant_id = tenant;
	j->partition_id = part;
	j->gpus = gpus;
	j->state = st;
	j->submit_at = submit;
	j->user_name = (char *)"kim";
	j->name = (char *)"train";
	j->node_list = (char *)"";
	j->reason = (char *)st == DC_JOB_PENDING ? "Resources" : "";
	put(m, DC_T_JOB, j);
}

static void test_enums(void **state)
{
	(void)state;
	assert_string_equal(dc_sched_name(DC_SCHED_ALLOCATED), "allocated");
	assert_int_equal(dc_sched_parse("down"), DC_SCHED_DOWN);
	assert_int_equal(dc_admin_parse("draining"), DC_ADMIN_DRAINING);
	assert_string_equal(dc_health_name(DC_HEALTH_FAIL), "fail");
	assert_int_equal(dc_job_state_parse("node_fail"), DC_JOB_NODE_FAIL);
	assert_string_equal(dc_inc_state_name(DC_INC_ACKNOWLEDGED), "acknowledged");
	assert_int_equal(dc_action_status_parse("cancelled"), DC_ACT_CANCELLED);
	assert_int_equal(dc_sched_parse("Down"), -1);
	assert_int_equal(dc_job_state_parse(""), -1);
	assert_int_equal(dc_job_state_parse(NULL), -1);
	assert_string_equal(dc_sched_name((enum dc_sched)99), "?");
}

static void test_put_replace_delete(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_tenant(m, 7);
	assert_int_equal(model_count(m, DC_T_TENANT), 1);
	const struct dc_tenant *t = model_tenant(m, 7);
	assert_non_null(t);
	assert_string_equal(t->name, "한국AI");
	int64_t v = t->version;
	put_tenant(m, 7);
	assert_int_equal(model_count(m, DC_T_TENANT), 1);
	assert_true(model_tenant(m, 7)->version > v);
	assert_int_equal(model_version(m), model_tenant(m, 7)->version);
	assert_null(model_tenant(m, 8));
	model_delete(m, DC_T_TENANT, 8); /* absent: no-op */
	model_delete(m, DC_T_TENANT, 7);
	assert_null(model_tenant(m, 7));
	assert_int_equal(model_count(m, DC_T_TENANT), 0);
	assert_null(model_row(m, DC_T_TENANT, 0));
	model_free(m);
}

/* A delta read sees again the rows of transactions in flight at the last
 * read (txid >= xmin): a row at the version the model holds changes
 * nothing, is not logged (so no view redraws) and is freed (ASan and
 * valgrind check that the copy, not the held row, goes). */
static void test_reread_same_version(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	put_gpu(m, 100, 10, 0, 500, 40, 50);
	const struct dc_node *n = model_node(m, 10);
	const struct dc_gpu *g = model_get(m, DC_T_GPU, 100);
	uint64_t seq = model_log_seq(m);

	struct dc_node again_n = *n;
	again_n.name = (char *)"renamed";     /* would show, were it applied */
	assert_false(put(m, DC_T_NODE, &again_n));
	struct dc_gpu again_g = *g;             /* GPU rows keep no version: the same bytes */
	assert_false(put(m, DC_T_GPU, &again_g));
	struct dc_setting st = { .version = next_version++, .key = (char *)"site", .value = (char *)"gwangju" };
	assert_true(put(m, DC_T_SETTING, &st));
	const char *held = model_setting(m, "site");
	st.value = (char *)"elsewhere";
	assert_false(put(m, DC_T_SETTING, &st));

	assert_ptr_equal(model_node(m, 10), n);
	assert_string_equal(model_node(m, 10)->name, "n10");
	assert_ptr_equal(model_get(m, DC_T_GPU, 100), g);
	assert_int_equal(model_node(m, 10)->util_mean, 40);
	assert_ptr_equal(model_setting(m, "site"), held);
	assert_string_equal(held, "gwangju");
	assert_int_equal(model_log_seq(m), seq + 1); /* only the first setting */

	/* a newer version (for a GPU: other bytes) replaces as before */
	again_n.version = next_version++;
	assert_true(put(m, DC_T_NODE, &again_n));
	assert_string_equal(model_node(m, 10)->name, "renamed");
	again_g.util_pct = 99;
	assert_true(put(m, DC_T_GPU, &again_g));
	assert_int_equal(model_node(m, 10)->util_mean, 99);
	model_free(m);
}

static void test_settings_and_quota(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	const char *kv[][2] = { { "environment", "demo" }, { "site", "gwangju" }, { "environment", "drill" } };
	for (size_t i = 0; i < DC_ARRAY_LEN(kv); i++) {
		struct dc_setting s_[1] = { { 0 } }, *s = s_;
		s->version = next_version++;
		s->key = (char *)kv[i][0];
		s->value = (char *)kv[i][1];
		put(m, DC_T_SETTING, s);
	}
	assert_int_equal(model_count(m, DC_T_SETTING), 2);
	assert_string_equal(model_setting(m, "environment"), "drill");
	assert_string_equal(model_setting(m, "site"), "gwangju");
	assert_null(model_setting(m, "nope"));

	struct dc_quota q_[1] = { { 0 } }, *q = q_;
	q->id = 3;
	q->tenant_id = 9;
	q->gpu_limit = 16;
	put(m, DC_T_QUOTA, q);
	assert_int_equal(model_quota_of(m, 9)->gpu_limit, 16);
	assert_null(model_quota_of(m, 10));
	model_clear(m);
	assert_int_equal(model_count(m, DC_T_SETTING), 0);
	assert_int_equal(model_version(m), 0);
	model_free(m);
}

/* The id index through growth, swap-removes and backward-shift deletes. */
static void test_many_rows(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	const int n = 50000;
	for (int i = 1; i <= n; i++) {
		struct dc_audit a_[1] = { { 0 } }, *a = a_;
		a->id = (int64_t)i * 1024; /* ids that share low bits */
		a->version = i;
		a->actor = (char *)"kim";
		put(m, DC_T_AUDIT, a);
	}
	assert_int_equal(model_count(m, DC_T_AUDIT), n);
	for (int i = 1; i <= n; i += 2)
		model_delete(m, DC_T_AUDIT, (int64_t)i * 1024);
	assert_int_equal(model_count(m, DC_T_AUDIT), n / 2);
	for (int i = 1; i <= n; i++) {
		const struct dc_audit *a = model_get(m, DC_T_AUDIT, (int64_t)i * 1024);
		if (i % 2)
			assert_null(a);
		else
			assert_true(a && a->version == i);
	}
	for (size_t i = 0; i < model_count(m, DC_T_AUDIT); i++) {
		const struct dc_audit *a = model_row(m, DC_T_AUDIT, i);
		assert_ptr_equal(model_get(m, DC_T_AUDIT, a->id), a);
	}
	assert_int_equal(model_version(m), n);
	model_free(m);
}

static void test_node_and_gpu_derived(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	put_partition(m, 2);
	put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	put_node(m, 11, 1, 4, DC_ADMIN_DRAINING, DC_SCHED_MIXED);
	for (int i = 0; i < 8; i++)
		put_gpu(m, 100 + i, 10, i, i < 3 ? 500 : 0, 10 * i, 40 + i);
	const struct dc_partition *p = model_partition(m, 1);
	assert_int_equal(p->nodes, 2);
	assert_int_equal(p->gpus_total, 12);
	assert_int_equal(p->nodes_draining, 1);
	assert_int_equal(p->gpus_used, 3);
	const struct dc_node *n = model_node(m, 10);
	assert_int_equal(n->gpus_used, 3);
	assert_int_equal(n->temp_max, 47);
	assert_int_equal(n->util_mean, 35);
	assert_non_null(model_node_gpu(n, 7));
	assert_null(model_node_gpu(n, 8));
	assert_int_equal(model_newest_report(m), 1011);

	/* a GPU changes: its job, temperature and an Xid */
	struct dc_gpu g_[1] = { { 0 } }, *g = g_;
	*g = *(const struct dc_gpu *)model_get(m, DC_T_GPU, 107);
	g->job_id = 501;
	g->temp_c = 90;
	g->last_xid = 79;
	g->last_xid_at = 5000;
	put(m, DC_T_GPU, g);
	n = model_node(m, 10);
	assert_ptr_equal(model_node_gpu(n, 7), model_get(m, DC_T_GPU, 107));
	assert_int_equal(n->gpus_used, 4);
	assert_int_equal(n->temp_max, 90);
	assert_int_equal(n->last_xid, 79);
	assert_int_equal(n->last_xid_at, 5000);
	assert_int_equal(model_partition(m, 1)->gpus_used, 4);

	/* the node itself changes: it keeps its GPUs; then it moves partition and goes down */
	put_node(m, 10, 1, 8, DC_ADMIN_DRAINED, DC_SCHED_IDLE);
	n = model_node(m, 10);
	assert_int_equal(n->gpus_used, 4);
	assert_ptr_equal(model_node_gpu(n, 7), model_get(m, DC_T_GPU, 107));
	p = model_partition(m, 1);
	assert_int_equal(p->nodes_drained, 1);
	assert_int_equal(p->gpus_used, 4);
	put_node(m, 10, 2, 8, DC_ADMIN_ACTIVE, DC_SCHED_DOWN);
	p = model_partition(m, 1);
	const struct dc_partition *p2 = model_partition(m, 2);
	assert_int_equal(p->nodes, 1);
	assert_int_equal(p->gpus_total, 4);
	assert_int_equal(p->gpus_used, 0);
	assert_int_equal(p->nodes_drained, 0);
	assert_int_equal(p2->nodes, 1);
	assert_int_equal(p2->gpus_used, 4);
	assert_int_equal(p2->nodes_down, 1);

	/* GPU deletes */
	model_delete(m, DC_T_GPU, 107);
	n = model_node(m, 10);
	assert_null(model_node_gpu(n, 7));
	assert_int_equal(n->gpus_used, 3);
	assert_int_equal(n->temp_max, 46);
	assert_int_equal(n->last_xid, 0);
	assert_int_equal(model_partition(m, 2)->gpus_used, 3);

	/* the partition row itself is replaced: counters survive */
	put_partition(m, 2);
	assert_int_equal(model_partition(m, 2)->nodes, 1);
	assert_int_equal(model_partition(m, 2)->gpus_used, 3);
	model_delete(m, DC_T_NODE, 11);
	assert_int_equal(model_partition(m, 1)->nodes, 0);
	assert_int_equal(model_partition(m, 1)->nodes_draining, 0);
	model_free(m);
}

/* Put node id again with new states, keeping its name and GPUs. */
static void put_node_health(struct dc_model *m, int64_t id, int64_t part, int gpus, enum dc_admin a,
                            enum dc_sched s, enum dc_health h)
{
	put_node(m, id, part, gpus, a, s);
	struct dc_node n = *model_node(m, id);
	n.version = next_version++;
	n.health = h;
	n.gpus = NULL;
	n.gpu_slots = 0;
	put(m, DC_T_NODE, &n);
}

/* FREE is what the scheduler could place now: idle GPUs on drained,
 * draining, down, unknown or failed nodes are OUT, and the three figures
 * add up to the partition's GPUs through every change. Issue 17: a100
 * showed FREE 47 with 7 GPUs schedulable. */
static void test_partition_free(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_MIXED);
	put_node(m, 11, 1, 8, DC_ADMIN_DRAINED, DC_SCHED_IDLE);
	put_node(m, 12, 1, 8, DC_ADMIN_DRAINING, DC_SCHED_MIXED);
	put_node(m, 13, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_DOWN);
	put_node(m, 14, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_UNKNOWN);
	put_node_health(m, 15, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE, DC_HEALTH_FAIL);
	for (int i = 0; i < 8; i++) {
		put_gpu(m, 100 + i, 10, i, i == 0 ? 500 : 0, 0, 40);
		put_gpu(m, 120 + i, 12, i, i < 2 ? 501 : 0, 0, 40);
	}
	const struct dc_partition *p = model_partition(m, 1);
	assert_int_equal(p->gpus_total, 48);
	assert_int_equal(p->gpus_used, 3);
	assert_int_equal(p->gpus_free, 7);
	assert_int_equal(p->gpus_out, 38);

	/* a job leaves the draining node: its GPU goes OUT, not FREE */
	struct dc_gpu g = *(const struct dc_gpu *)model_get(m, DC_T_GPU, 120);
	g.job_id = 0;
	put(m, DC_T_GPU, &g);
	p = model_partition(m, 1);
	assert_int_equal(p->gpus_free, 7);
	assert_int_equal(p->gpus_out, 39);
	/* a job starts on the schedulable node */
	g = *(const struct dc_gpu *)model_get(m, DC_T_GPU, 105);
	g.job_id = 502;
	put(m, DC_T_GPU, &g);
	p = model_partition(m, 1);
	assert_int_equal(p->gpus_free, 6);
	assert_int_equal(p->gpus_used, 3);
	/* resume the drained node, fail the active one */
	put_node(m, 11, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	put_node_health(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_MIXED, DC_HEALTH_FAIL);
	p = model_partition(m, 1);
	assert_int_equal(p->gpus_free, 8);
	assert_int_equal(p->gpus_out, 37);
	assert_int_equal(p->gpus_used + p->gpus_free + p->gpus_out, p->gpus_total);
	/* the partition row replaced keeps them; a node deleted takes its share */
	put_partition(m, 1);
	assert_int_equal(model_partition(m, 1)->gpus_free, 8);
	model_delete(m, DC_T_NODE, 11);
	p = model_partition(m, 1);
	assert_int_equal(p->gpus_free, 0);
	assert_int_equal(p->gpus_used + p->gpus_free + p->gpus_out, p->gpus_total);
	assert_false(dc_node_schedulable(model_node(m, 12)));
	assert_false(dc_node_schedulable(model_node(m, 13)));
	model_free(m);
}

static void test_job_transitions(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	put_partition(m, 2);
	put_tenant(m, 1);
	put_tenant(m, 2);
	put_job(m, 1, 1, 1, 8, DC_JOB_PENDING, 300);
	put_job(m, 2, 1, 1, 4, DC_JOB_PENDING, 100);
	put_job(m, 3, 2, 1, 2, DC_JOB_PENDING, 200);
	const struct dc_partition *p = model_partition(m, 1);
	assert_int_equal(p->jobs_pending, 3);
	assert_int_equal(p->gpus_pending, 14);
	assert_int_equal(p->oldest_pending_submit, 100);
	assert_int_equal(model_tenant(m, 1)->jobs_pending, 2);

	put_job(m, 2, 1, 1, 4, DC_JOB_RUNNING, 100); /* the oldest starts */
	p = model_partition(m, 1);
	assert_int_equal(p->jobs_pending, 2);
	assert_int_equal(p->jobs_running, 1);
	assert_int_equal(p->gpus_pending, 10);
	assert_int_equal(p->oldest_pending_submit, 200);
	assert_int_equal(model_tenant(m, 1)->gpus_running, 4);
	assert_int_equal(model_tenant(m, 1)->jobs_running, 1);
	assert_int_equal(model_tenant(m, 1)->jobs_pending, 1);

	put_job(m, 2, 1, 1, 4, DC_JOB_COMPLETED, 100);
	assert_int_equal(model_partition(m, 1)->jobs_running, 0);
	assert_int_equal(model_tenant(m, 1)->gpus_running, 0);

	put_job(m, 3, 2, 2, 2, DC_JOB_PENDING, 200); /* moved to partition 2 */
	assert_int_equal(model_partition(m, 1)->oldest_pending_submit, 300);
	assert_int_equal(model_partition(m, 2)->oldest_pending_submit, 200);
	assert_int_equal(model_partition(m, 2)->jobs_pending, 1);

	model_delete(m, DC_T_JOB, 1);
	p = model_partition(m, 1);
	assert_int_equal(p->jobs_pending, 0);
	assert_int_equal(p->gpus_pending, 0);
	assert_int_equal(p->oldest_pending_submit, 0);
	assert_int_equal(model_tenant(m, 1)->jobs_pending, 0);

	put_tenant(m, 2); /* replaced tenant keeps its counters */
	assert_int_equal(model_tenant(m, 2)->jobs_pending, 1);
	model_free(m);
}

/* Random transitions against a brute-force recount. */
static void test_job_counters_random(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	struct dc_rng r;
	dc_rng_seed(&r, 42);
	for (int i = 1; i <= 3; i++) {
		put_partition(m, i);
		put_tenant(m, i);
	}
	for (int step = 0; step < 20000; step++) {
		int64_t id = dc_rng_range(&r, 1, 400);
		if (dc_rng_range(&r, 0, 9) == 0) {
			model_delete(m, DC_T_JOB, id);
			continue;
		}
		put_job(m, id, dc_rng_range(&r, 1, 3), dc_rng_range(&r, 1, 3), dc_rng_range(&r, 1, 8),
		        (enum dc_job_state)dc_rng_range(&r, 0, 3), dc_rng_range(&r, 1, 1000));
	}
	for (int pid = 1; pid <= 3; pid++) {
		int run = 0, pend = 0, gpend = 0;
		int64_t oldest = 0;
		for (size_t i = 0; i < model_count(m, DC_T_JOB); i++) {
			const struct dc_job *j = model_row(m, DC_T_JOB, i);
			if (j->partition_id != pid)
				continue;
			run += j->state == DC_JOB_RUNNING;
			if (j->state == DC_JOB_PENDING) {
				pend++;
				gpend += j->gpus;
				if (!oldest || j->submit_at < oldest)
					oldest = j->submit_at;
			}
		}
		const struct dc_partition *p = model_partition(m, pid);
		assert_int_equal(p->jobs_running, run);
		assert_int_equal(p->jobs_pending, pend);
		assert_int_equal(p->gpus_pending, gpend);
		assert_int_equal(p->oldest_pending_submit, oldest);
	}
	model_free(m);
}

/* A packed row is one block: the strings live after the struct, NULL stays NULL. */
static void test_row_pack(void **state)
{
	(void)state;
	char name[] = "한국AI";
	struct dc_tenant t = { .id = 4, .name = name, .name_en = NULL, .kind = (char *)"" };
	struct dc_tenant *row = model_row_pack(DC_T_TENANT, &t);
	name[0] = 'x'; /* the template is only read */
	assert_string_equal(row->name, "한국AI");
	assert_null(row->name_en);
	assert_string_equal(row->kind, "");
	assert_true(row->name > (char *)row && row->name < (char *)(row + 1) + 16);
	model_row_free(DC_T_TENANT, row);
}

/* An incident's proposed drain (061_remedy.sql): its strings are packed
 * with the row, and only the nodes still active count; none once the
 * incident is resolved. */
static void test_incident_proposal(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	put_node(m, 11, 1, 8, DC_ADMIN_DRAINING, DC_SCHED_MIXED);
	put_node(m, 12, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	char drain[] = "n10 n11 gone n12", reason[] = "Xid 79 on GPU 3: GPU has fallen off the bus";
	struct dc_incident inc = { .id = 5, .version = next_version++, .sev = 3, .state = DC_INC_TRIGGERED,
		.title = (char *)"t", .proposed_drain = drain, .proposed_reason = reason,
		.proposed_policy = (char *)"xid-fatal", .remedy_note = (char *)"" };
	assert_true(put(m, DC_T_INCIDENT, &inc));
	drain[0] = reason[0] = 'x'; /* the template is only read */
	const struct dc_incident *i = model_get(m, DC_T_INCIDENT, 5);
	assert_string_equal(i->proposed_drain, "n10 n11 gone n12");
	assert_string_equal(i->proposed_reason, "Xid 79 on GPU 3: GPU has fallen off the bus");
	assert_string_equal(i->proposed_policy, "xid-fatal");
	int64_t ids[4];
	assert_int_equal(model_incident_proposal(m, i, ids, 4), 2);
	assert_int_equal(ids[0], 10);
	assert_int_equal(ids[1], 12);
	assert_int_equal(model_incident_proposal(m, i, ids, 1), 1);
	inc.version = next_version++;
	inc.state = DC_INC_RESOLVED;
	assert_true(put(m, DC_T_INCIDENT, &inc));
	assert_int_equal(model_incident_proposal(m, model_get(m, DC_T_INCIDENT, 5), ids, 4), 0);
	model_free(m);
}

struct seen { int64_t ids[64]; enum dc_table t[64]; size_t n; };

static void note(void *ud, enum dc_table t, int64_t id)
{
	struct seen *s = ud;
	if (s->n < 64) {
		s->t[s->n] = t;
		s->ids[s->n++] = id;
	}
}

/* The change log: puts, deletes and derived node changes, by table; out of
 * reach after a clear or when the ring has wrapped past the reader. */
static void test_change_log(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	uint64_t since = model_log_seq(m);
	put_gpu(m, 100, 10, 0, 0, 50, 40);
	put_node(m, 11, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	model_delete(m, DC_T_NODE, 11);

	struct seen s = { .n = 0 };
	assert_true(model_log_since(m, since, DC_MASK(DC_T_NODE), note, &s));
	assert_int_equal(s.n, 2); /* 11 put, 11 deleted; node 10's GPU is a GPU change */
	assert_int_equal(s.ids[0], 11);
	assert_int_equal(s.ids[1], 11);
	s.n = 0;
	assert_true(model_log_since(m, since, DC_MASK(DC_T_GPU), note, &s));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], 100);
	s.n = 0;
	assert_true(model_log_since(m, model_log_seq(m), ~0u, note, &s));
	assert_int_equal(s.n, 0);

	/* a GPU that leaves a node (moved, then deleted) logs the node it left:
	 * its id no longer leads there */
	put_node(m, 12, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	uint64_t moved = model_log_seq(m);
	put_gpu(m, 100, 12, 0, 0, 50, 40);
	put_gpu(m, 100, 12, 0, 0, 60, 40);     /* stays: nothing more */
	model_delete(m, DC_T_GPU, 100);
	s.n = 0;
	assert_true(model_log_since(m, moved, DC_MASK(DC_T_NODE), note, &s));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], 10);
	assert_int_equal(s.ids[1], 12);
	assert_int_equal(model_node(m, 10)->gpus_known, 0);
	assert_int_equal(model_node(m, 12)->gpus_known, 0);

	/* a full load: whatever a reader saw is gone */
	uint64_t before_clear = model_log_seq(m);
	model_clear(m);
	assert_false(model_log_since(m, before_clear, ~0u, note, &s));
	assert_false(model_log_since(m, since, ~0u, note, &s));
	assert_true(model_log_since(m, model_log_seq(m), ~0u, note, &s));

	/* the ring wraps: a reader left behind by more than DC_LOG_CAP must rebuild */
	uint64_t old = model_log_seq(m);
	put_partition(m, 1);
	for (uint32_t i = 0; i < DC_LOG_CAP; i++)
		put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	assert_false(model_log_since(m, old, ~0u, note, &s));
	assert_true(model_log_since(m, old + 1, DC_MASK(DC_T_PARTITION), note, &s));
	model_free(m);
}

static void count(void *ud, enum dc_table t, int64_t id)
{
	(void)t;
	(void)id;
	++*(size_t *)ud;
}

/* A held log (the relay's) grows rather than wrap past its holder, but
 * a hold from before a clear keeps nothing. */
static void test_change_log_hold(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	uint64_t held = model_log_seq(m);
	model_log_hold(m, held, DC_LOG_HOLD_MAX);
	for (uint32_t i = 0; i < 2 * DC_LOG_CAP + 5; i++)
		put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	size_t n = 0;
	assert_true(model_log_since(m, held, ~0u, count, &n));
	assert_int_equal(n, 2 * DC_LOG_CAP + 5);

	/* caught up: the hold moves on, the ring keeps its size */
	held = model_log_seq(m);
	model_log_hold(m, held, DC_LOG_HOLD_MAX);
	for (uint32_t i = 0; i < 3 * DC_LOG_CAP; i++)
		put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	n = 0;
	assert_true(model_log_since(m, held, DC_MASK(DC_T_NODE), count, &n));
	assert_int_equal(n, 3 * DC_LOG_CAP);

	/* a hold from before a clear keeps nothing: the reader reloads whole */
	model_clear(m);
	put_partition(m, 1);
	for (uint32_t i = 0; i < 4 * DC_LOG_CAP; i++)
		put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	assert_false(model_log_since(m, held, ~0u, count, &n));

	/* no more than the most the holder asked for */
	held = model_log_seq(m);
	model_log_hold(m, held, 8 * DC_LOG_CAP);
	for (uint32_t i = 0; i < 8 * DC_LOG_CAP + 1; i++)
		put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	assert_false(model_log_since(m, held, ~0u, count, &n));
	assert_true(model_log_since(m, held + 1, ~0u, count, &n));

	/* a first load's tables, each in one batch, are held like any other */
	held = model_log_seq(m);
	model_log_hold(m, held, DC_LOG_HOLD_MAX);
	model_set_loading(m, DC_MASK(DC_T_NODE));
	for (uint32_t i = 0; i < 4 * DC_LOG_CAP + 1; i++)
		put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	n = 0;
	assert_true(model_log_since(m, held, ~0u, count, &n));
	assert_int_equal(n, 4 * DC_LOG_CAP + 1);
	model_free(m);
}

/* A first load's GPU marks: while the GPU table is loading, a node whose
 * GPUs the store has put (whole node groups) is known, one with none is
 * still loading; once the table is whole, none is. */
static void test_node_gpus_loading(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	model_set_loading(m, ~0u);
	put_partition(m, 1);
	put_node(m, 10, 1, 2, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	put_node(m, 11, 1, 2, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	assert_true(model_node_gpus_loading(m, model_node(m, 10)));
	put_gpu(m, 100, 10, 0, 0, 50, 40);
	put_gpu(m, 101, 10, 1, 0, 50, 40);
	assert_false(model_node_gpus_loading(m, model_node(m, 10)));
	assert_true(model_node_gpus_loading(m, model_node(m, 11)));
	model_set_loading(m, ~0u & ~DC_MASK(DC_T_GPU)); /* the jobs still to come */
	assert_false(model_node_gpus_loading(m, model_node(m, 11)));
	model_free(m);
}

/* Prune: ended jobs before the cutoff go (and are logged), live ones stay;
 * audit keeps the newest rows once it holds over twice the limit. */
static void test_prune(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	put_tenant(m, 7);
	for (int i = 1; i <= 40; i++) {
		enum dc_job_state st = i % 4 == 0 ? DC_JOB_RUNNING : i % 4 == 1 ? DC_JOB_PENDING
		                     : DC_JOB_COMPLETED;
		struct dc_job j = { .id = i, .version = next_version++, .tenant_id = 7,
		                    .partition_id = 1, .gpus = 1, .state = st, .submit_at = 100,
		                    .end_at = st == DC_JOB_COMPLETED ? 1000 + i : 0,
		                    .user_name = (char *)"kim", .name = (char *)"t",
		                    .node_list = (char *)"", .reason = (char *)"" };
		put(m, DC_T_JOB, &j);
	}
	assert_int_equal(model_count(m, DC_T_JOB), 40);
	uint64_t since = model_log_seq(m);
	struct dc_keep keep = { .job_cutoff = 1021, .ended_jobs = 1000, .audit = 10 };
	assert_int_equal(model_prune(m, &keep), DC_MASK(DC_T_JOB)); /* ended 1002..1020 go */
	size_t left = model_count(m, DC_T_JOB);
	for (size_t i = 0; i < left; i++) {
		const struct dc_job *j = model_row(m, DC_T_JOB, i);
		assert_true(j->state != DC_JOB_COMPLETED || j->end_at >= 1021);
		assert_ptr_equal(model_get(m, DC_T_JOB, j->id), j);
	}
	assert_int_equal(left, 40 - 10); /* 20 completed, ids 2,3,6,7,...: 10 end before 1021 */
	assert_int_equal(model_partition(m, 1)->jobs_running, 10);
	assert_int_equal(model_partition(m, 1)->jobs_pending, 10);
	struct seen s = { .n = 0 };
	assert_true(model_log_since(m, since, DC_MASK(DC_T_JOB), note, &s));
	assert_int_equal(s.n, 10);

	for (int i = 1; i <= 25; i++) {
		struct dc_audit a = { .id = i, .version = next_version++, .actor = (char *)"kim" };
		put(m, DC_T_AUDIT, &a);
	}
	keep.job_cutoff = 0;
	assert_int_equal(model_prune(m, &keep), DC_MASK(DC_T_AUDIT));
	assert_int_equal(model_count(m, DC_T_AUDIT), 10);
	assert_non_null(model_get(m, DC_T_AUDIT, 25));
	assert_non_null(model_get(m, DC_T_AUDIT, 16));
	assert_null(model_get(m, DC_T_AUDIT, 15));
	assert_int_equal(model_prune(m, &keep), 0); /* under twice the limit: nothing to do */

	/* at most ended_jobs ended jobs, the newest by end time; live ones stay */
	keep.ended_jobs = 4;
	assert_int_equal(model_prune(m, &keep), DC_MASK(DC_T_JOB));
	size_t ended = 0;
	for (size_t i = 0; i < model_count(m, DC_T_JOB); i++) {
		const struct dc_job *j = model_row(m, DC_T_JOB, i);
		if (j->state == DC_JOB_COMPLETED) {
			ended++;
			assert_true(j->end_at >= 1034); /* ids 34 35 38 39: the newest four */
		}
	}
	assert_int_equal(ended, 4);
	assert_int_equal(model_partition(m, 1)->jobs_running, 10);
	assert_int_equal(model_partition(m, 1)->jobs_pending, 10);
	assert_int_equal(model_prune(m, &keep), 0);
	assert_int_equal(model_count(m, DC_T_AUDIT), 10);
	model_free(m);
}

/* GPU rows replaced in place move the node's figures by the difference;
 * after every random change they equal a recomputation from the rows. */
static void test_gpu_replace_random(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	put_partition(m, 1);
	put_node(m, 10, 1, 8, DC_ADMIN_ACTIVE, DC_SCHED_IDLE);
	for (int i = 0; i < 8; i++)
		put_gpu(m, 100 + i, 10, i, 0, 0, 40);
	uint32_t seed = 12345;
	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		int idx = (int)((seed >> 8) % 8);
		struct dc_gpu g = *(const struct dc_gpu *)model_get(m, DC_T_GPU, 100 + idx);
		g.util_pct = (int16_t)((seed >> 12) % 101);
		g.temp_c = (int16_t)(30 + (seed >> 4) % 60);
		g.job_id = (seed >> 20) % 3 ? 500 + (int64_t)((seed >> 22) % 4) : 0;
		if ((seed >> 24) % 16 == 0) {
			g.last_xid = (seed >> 26) % 2 ? 79 : 48;
			g.last_xid_at = 1000 + (int64_t)((seed >> 3) % 50); /* ties happen */
		} else if ((seed >> 24) % 16 == 1) {
			g.last_xid = 0;
			g.last_xid_at = 0;
		}
		const void *held = model_get(m, DC_T_GPU, 100 + idx);
		bool moved = put(m, DC_T_GPU, &g);
		/* a GPU replaced in its slot keeps its address (copied in place) */
		assert_ptr_equal(model_get(m, DC_T_GPU, 100 + idx), held);
		assert_true(moved || memcmp(held, &g, sizeof g) == 0);
		if (step % 7 == 0) /* a node row replaced takes its GPUs' figures over */
			put_node(m, 10, 1, 8, step % 21 ? DC_ADMIN_ACTIVE : DC_ADMIN_DRAINING,
			         step % 3 ? DC_SCHED_MIXED : DC_SCHED_IDLE);

		const struct dc_node *n = model_node(m, 10);
		int used = 0, util = 0, temp = 0, xid = 0;
		int64_t xid_at = 0;
		for (int i = 0; i < 8; i++) {
			const struct dc_gpu *x = model_node_gpu(n, i);
			assert_ptr_equal(x, model_get(m, DC_T_GPU, 100 + i));
			used += x->job_id != 0;
			util += x->util_pct;
			temp = x->temp_c > temp ? x->temp_c : temp;
			if (x->last_xid && x->last_xid_at >= xid_at) {
				xid = x->last_xid;
				xid_at = x->last_xid_at;
			}
		}
		assert_int_equal(n->gpus_used, used);
		assert_int_equal(n->util_mean, (util + 4) / 8);
		assert_int_equal(n->temp_max, temp);
		assert_int_equal(n->last_xid, xid);
		assert_int_equal(n->last_xid_at, xid_at);
		assert_int_equal(model_partition(m, 1)->gpus_used, used);
		const struct dc_partition *p = model_partition(m, 1);
		assert_int_equal(dc_node_schedulable(n) ? p->gpus_free : p->gpus_out, 8 - used);
		assert_int_equal(p->gpus_free + p->gpus_out + p->gpus_used, 8);
	}
	model_free(m);
}

/* The writers look a row up where the last one's neighbour would be
 * (model.c, slot_find) before the index: rows put in shuffled order,
 * some deleted (slots move), then replaced in ascending, descending and
 * shuffled order; every row is found, replaced once, never duplicated. */
static void test_lookup_order(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	enum { N = 3000 };
	int64_t ids[N];
	for (int i = 0; i < N; i++)
		ids[i] = 5 + (int64_t)i * 3; /* gaps, like a batch's ids */
	uint32_t seed = 99;
	for (int i = N - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		int j = (int)((seed >> 8) % (uint32_t)(i + 1));
		int64_t x = ids[i];
		ids[i] = ids[j];
		ids[j] = x;
	}
	int64_t v = 1;
	for (int i = 0; i < N; i++) {
		struct dc_audit a = { .id = ids[i], .version = v++, .actor = (char *)"kim" };
		assert_true(put(m, DC_T_AUDIT, &a));
	}
	for (int i = 0; i < N; i += 5)
		model_delete(m, DC_T_AUDIT, ids[i]);
	for (int pass = 0; pass < 3; pass++) {
		for (int k = 0; k < N; k++) {
			int64_t id = pass == 0 ? 5 + (int64_t)k * 3 : pass == 1 ? 5 + (int64_t)(N - 1 - k) * 3 : ids[k];
			bool gone = false;
			for (int i = 0; i < N; i += 5)
				gone |= ids[i] == id;
			struct dc_audit a = { .id = id, .version = v, .actor = (char *)"lee" };
			assert_true(put(m, DC_T_AUDIT, &a));
			const struct dc_audit *got = model_get(m, DC_T_AUDIT, id);
			assert_true(got && got->version == v && strcmp(got->actor, "lee") == 0);
			v++;
			if (gone) /* put back: delete again so the count stays */
				model_delete(m, DC_T_AUDIT, id);
		}
		assert_int_equal(model_count(m, DC_T_AUDIT), N - (N + 4) / 5);
	}
	for (size_t i = 0; i < model_count(m, DC_T_AUDIT); i++) {
		const struct dc_audit *a = model_row(m, DC_T_AUDIT, i);
		assert_ptr_equal(model_get(m, DC_T_AUDIT, a->id), a);
	}
	model_free(m);
}

/* model_put_many (the store's batch apply, which fetches the rows ahead
 * of their puts by slot_find's guess) ends exactly where model_put row by
 * row does: batches in id order, reversed and shuffled (the guesses
 * wrong), with new GPUs, GPUs that move node or slot, GPUs of an unknown
 * node, an id twice, and re-reads of held rows; every GPU row, node
 * figure, partition figure and "changed" answer the same. */
static void test_put_many(void **state)
{
	(void)state;
	enum { NODES = 40, GPUS = NODES * 8, BATCH = 120 };
	struct dc_model *one = model_new(), *many = model_new();
	struct dc_model *both[2] = { one, many };
	for (int k = 0; k < 2; k++) {
		put_partition(both[k], 1);
		put_partition(both[k], 2);
		for (int n = 0; n < NODES; n++)
			put_node(both[k], 10 + n, 1 + n % 2, n % 5 ? 8 : 4, DC_ADMIN_ACTIVE, DC_SCHED_MIXED);
	}
	uint32_t seed = 4242;
	for (int round = 0; round < 300; round++) {
		struct dc_gpu g[BATCH];
		int n = 0;
		for (int id = 1000; id < 1000 + GPUS + 40 && n < BATCH; id++) {
			seed = seed * 1103515245u + 12345u;
			if (round > 0 && (seed >> 10) % 4)
				continue;
			const struct dc_gpu *held = model_get(one, DC_T_GPU, id);
			struct dc_gpu x = held ? *held : (struct dc_gpu){ .id = id, .node_id = 10 + (id - 1000) / 8,
			                                                .idx = (int16_t)((id - 1000) % 8) };
			switch ((seed >> 16) % 16) {
			case 0: x.node_id = 10 + (int64_t)((seed >> 20) % (NODES + 3)); break; /* moved, or unknown */
			case 1: x.idx = (int16_t)((seed >> 20) % 9); break;
			case 2: break; /* a re-read: the same bytes */
			default:
				x.util_pct = (int16_t)((seed >> 20) % 101);
				x.temp_c = (int16_t)(30 + (seed >> 4) % 60);
				x.job_id = (seed >> 24) % 3 ? 0 : 700 + (int64_t)((seed >> 26) % 5);
			}
			g[n++] = x;
		}
		if (round % 3 == 1) /* descending */
			for (int i = 0; i < n / 2; i++) {
				struct dc_gpu t = g[i];
				g[i] = g[n - 1 - i];
				g[n - 1 - i] = t;
			}
		else if (round % 3 == 2) /* shuffled, one id twice */
			for (int i = n - 1; i > 0; i--) {
				seed = seed * 1103515245u + 12345u;
				int j = (int)((seed >> 8) % (uint32_t)(i + 1));
				struct dc_gpu t = g[i];
				g[i] = g[j];
				g[j] = i == 1 ? g[0] : t;
			}
		void *rows[BATCH];
		bool changed = false;
		for (int i = 0; i < n; i++) {
			changed |= put(one, DC_T_GPU, &g[i]);
			rows[i] = model_row_pack(DC_T_GPU, &g[i]);
		}
		assert_int_equal(model_put_many(many, DC_T_GPU, rows, (size_t)n), changed);
		assert_int_equal(model_count(many, DC_T_GPU), model_count(one, DC_T_GPU));
		for (size_t i = 0; i < model_count(one, DC_T_GPU); i++) {
			const struct dc_gpu *a = model_row(one, DC_T_GPU, i);
			const struct dc_gpu *b = model_get(many, DC_T_GPU, a->id);
			assert_non_null(b);
			assert_memory_equal(a, b, sizeof *a);
		}
		for (int id = 10; id < 10 + NODES; id++) {
			const struct dc_node *a = model_node(one, id), *b = model_node(many, id);
			assert_int_equal(a->gpus_used, b->gpus_used);
			assert_int_equal(a->gpus_known, b->gpus_known);
			assert_int_equal(a->util_mean, b->util_mean);
			assert_int_equal(a->temp_max, b->temp_max);
			for (int i = 0; i < 8; i++) {
				const struct dc_gpu *x = model_node_gpu(a, i), *y = model_node_gpu(b, i);
				assert_int_equal(x ? x->id : 0, y ? y->id : 0);
			}
		}
		for (int p = 1; p <= 2; p++) {
			const struct dc_partition *a = model_partition(one, p), *b = model_partition(many, p);
			assert_int_equal(a->gpus_used, b->gpus_used);
			assert_int_equal(a->gpus_free, b->gpus_free);
			assert_int_equal(a->gpus_out, b->gpus_out);
		}
	}
	model_free(one);
	model_free(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_node_gpus_loading),
		cmocka_unit_test(test_put_replace_delete),
		cmocka_unit_test(test_settings_and_quota),
		cmocka_unit_test(test_reread_same_version),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_node_and_gpu_derived),
		cmocka_unit_test(test_partition_free),
		cmocka_unit_test(test_job_transitions),
		cmocka_unit_test(test_job_counters_random),
		cmocka_unit_test(test_gpu_replace_random),
		cmocka_unit_test(test_lookup_order),
		cmocka_unit_test(test_put_many),
		cmocka_unit_test(test_row_pack),
		cmocka_unit_test(test_incident_proposal),
		cmocka_unit_test(test_change_log),
		cmocka_unit_test(test_change_log_hold),
		cmocka_unit_test(test_prune),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
