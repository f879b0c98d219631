/* test_drain — a drain's blast radius (drain-preview.h): a multi-node job
 * counts its GPUs on the drained nodes only and says what it holds
 * elsewhere (issue 17: a rack drain's tenants added up to 24 GPUs against
 * "GPUs out of service: 16"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "drain-preview.h"

static void put_node(struct dc_model *m, int64_t id, int gpus, enum dc_admin a)
{
	char name[32];
	snprintf(name, sizeof name, "n%lld", (long long)id);
	struct dc_node n = { .id = id, .name = name, .partition_id = 1, .gpu_count = gpus,
	                     .admin = a, .sched = DC_SCHED_ALLOCATED };
	model_put(m, DC_T_NODE, model_row_pack(DC_T_NODE, &n));
}

/* GPUs from..from+count-1 of node go to job (0: free). */
static void put_gpus(struct dc_model *m, int64_t node, int from, int count, int64_t job)
{
	for (int i = from; i < from + count; i++) {
		struct dc_gpu g = { .id = node * 100 + i, .node_id = node, .idx = (int16_t)i, .job_id = job };
		model_put(m, DC_T_GPU, model_row_pack(DC_T_GPU, &g));
	}
}

static void put_job(struct dc_model *m, int64_t id, int64_t tenant, int gpus)
{
	struct dc_job j = { .id = id, .tenant_id = tenant, .partition_id = 1, .gpus = gpus,
	                    .state = DC_JOB_RUNNING, .user_name = (char *)"kim",
	                    .name = (char *)"train", .node_list = (char *)"", .reason = (char *)"" };
	model_put(m, DC_T_JOB, model_row_pack(DC_T_JOB, &j));
}

static void test_multi_node_job(void **state)
{
	(void)state;
	struct dc_model *m = model_new();
	struct dc_partition part = { .id = 1, .name = (char *)"h100", .gpu_model = (char *)"H100" };
	model_put(m, DC_T_PARTITION, model_row_pack(DC_T_PARTITION, &part));
	for (int64_t t = 1; t <= 3; t++) {
		struct dc_tenant tn = { .id = t, .name = (char *)"한국AI", .name_en = (char *)"",
		                        .kind = (char *)"" };
		model_put(m, DC_T_TENANT, model_row_pack(DC_T_TENANT, &tn));
	}
	/* the rack: nodes 1, 2 (active) and 4 (draining already); node 3 outside */
	put_node(m, 1, 8, DC_ADMIN_ACTIVE);
	put_node(m, 2, 8, DC_ADMIN_ACTIVE);
	put_node(m, 3, 8, DC_ADMIN_ACTIVE);
	put_node(m, 4, 8, DC_ADMIN_DRAINING);
	put_job(m, 500, 1, 16);          /* 8 on node 1, 8 on node 3 */
	put_job(m, 501, 2, 4);           /* 4 on node 2 */
	put_job(m, 502, 1, 2);           /* 2 on node 2: same tenant as 500 */
	put_job(m, 503, 3, 8);           /* node 4, drained before this drain */
	put_gpus(m, 1, 0, 8, 500);
	put_gpus(m, 3, 0, 8, 500);
	put_gpus(m, 2, 0, 4, 501);
	put_gpus(m, 2, 4, 2, 502);
	put_gpus(m, 2, 6, 2, 0);
	put_gpus(m, 4, 0, 8, 503);

	const int64_t rack[] = { 1, 2, 4 };
	struct drain_preview p;
	drain_preview_build(m, rack, 3, &p);
	assert_int_equal(p.gpus_out, 16);
	assert_int_equal(p.gpus_busy, 14);
	assert_int_equal(p.already, 1);
	assert_int_equal(p.jobs, 3);
	assert_int_equal(p.ntenants, 2);
	int here = 0;
	for (size_t i = 0; i < p.ntenants; i++)
		here += p.tenants[i].gpus_here;
	assert_true(here <= p.gpus_out);
	assert_int_equal(here, p.gpus_busy);
	const struct drain_tenant *t1 = p.tenants[0].tenant == 1 ? &p.tenants[0] : &p.tenants[1];
	const struct drain_tenant *t2 = p.tenants[0].tenant == 2 ? &p.tenants[0] : &p.tenants[1];
	assert_int_equal(t1->tenant, 1);
	assert_int_equal(t1->jobs, 2);
	assert_int_equal(t1->gpus_here, 10);
	assert_int_equal(t1->gpus_elsewhere, 8);
	assert_int_equal(t2->tenant, 2);
	assert_int_equal(t2->jobs, 1);
	assert_int_equal(t2->gpus_here, 4);
	assert_int_equal(t2->gpus_elsewhere, 0);
	drain_preview_free(&p);

	/* a node with nothing running, and an unknown id */
	const int64_t idle[] = { 3, 99 };
	put_gpus(m, 3, 0, 8, 0);
	drain_preview_build(m, idle, 2, &p);
	assert_int_equal(p.gpus_out, 8);
	assert_int_equal(p.jobs, 0);
	assert_int_equal(p.ntenants, 0);
	drain_preview_free(&p);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi_node_job),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
