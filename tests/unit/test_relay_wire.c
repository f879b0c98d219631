/* test_relay_wire — the relay's frames (backend/relay/relay-wire.h): every
 * table's row round-trips with NULL, "" and Hangul strings; truncated
 * frames, bad lengths, bad table ids and another build's HELLO are refused
 * with a message naming what was wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "relay/relay-wire.h"
#include "util.h"

#define HANGUL "한국인공지능 연구소"

/* One row of each table, strings mixing NULL, "" and Hangul. */
static const void *sample(enum dc_table t)
{
	static struct dc_site site = { 1, 7, "gj", HANGUL, NULL };
	static struct dc_rack rack = { 2, 8, "", 3, 4, 40.5 };
	static struct dc_partition part = { .id = 3, .version = 9, .name = "h100", .gpu_model = NULL, .nodes = 5 };
	static struct dc_node node = { .id = 4, .version = 10, .name = "gpu-001", .model = HANGUL,
		.drain_reason = "", .drained_by = NULL, .health_detail = "Xid 79", .rack_id = 2,
		.partition_id = 3, .gpu_count = 8, .sched = DC_SCHED_MIXED, .admin = DC_ADMIN_DRAINING,
		.health = DC_HEALTH_WARN, .admin_changed_by = "kim" };
	static struct dc_gpu gpu = { .id = 5, .node_id = 4, .job_id = 11, .idx = 3, .util_pct = 97, .temp_c = 71 };
	static struct dc_tenant tenant = { .id = 6, .version = 11, .name = HANGUL, .name_en = "", .kind = NULL };
	static struct dc_project project = { 7, 12, 6, "LLM", NULL, 100, 200 };
	static struct dc_quota quota = { .id = 8, .version = 13, .tenant_id = 6, .gpu_limit = 64,
		.limits_changed_by = HANGUL, .prev_gpu_limit = -1 };
	static struct dc_job job = { .id = 9, .version = 14, .tenant_id = 6, .user_name = "kim",
		.name = HANGUL, .node_list = "", .reason = NULL, .explain = "", .state = DC_JOB_RUNNING };
	static struct dc_incident inc = { .id = 10, .version = 15, .sev = 2, .state = DC_INC_MITIGATED,
		.title = HANGUL, .impact = "", .nodes = "gpu-001 gpu-002", .tenants = "가 · 나" };
	static struct dc_incident_event ev = { 11, 16, 10, 1000, "kim", "note", HANGUL };
	static struct dc_action act = { .id = 12, .version = 17, .kind = "drain", .target = "gpu-001",
		.params = "{}", .reason = HANGUL, .requested_by = "kim", .error = NULL,
		.status = DC_ACT_FAILED };
	static struct dc_audit audit = { .id = 13, .version = 18, .actor = "kim", .action = "drain",
		.before = "", .after = NULL, .reason = HANGUL };
	static struct dc_setting setting = { 19, "environment", HANGUL };
	static struct dc_shift shift = { 14, 20, "박", 1, 0, 1 };
	static struct dc_handover_note note = { .id = 15, .version = 21, .shift_id = 14, .author = "kim",
		.body = HANGUL, .signed_off_by = NULL };
	static struct dc_drill_run drill = { .id = 16, .version = 22, .scenario = "xid", .title = HANGUL,
		.status = "running", .spec = "", .scorecard = NULL, .speed = 60 };
	static const void *const rows[DC_T_COUNT] = { &site, &rack, &part, &node, &gpu, &tenant, &project,
		&quota, &job, &inc, &ev, &act, &audit, &setting, &shift, &note, &drill };
	return rows[t];
}

static struct relay_frame one_frame(const struct relay_buf *b)
{
	struct relay_frame f;
	size_t used = 0;
	char err[256];
	assert_int_equal(relay_frame_next(b->p, b->n, &f, &used, err, sizeof err), 1);
	assert_int_equal(used, b->n);
	return f;
}

static void test_round_trip_every_table(void **state)
{
	(void)state;
	for (int t = 0; t < DC_T_COUNT; t++) {
		const void *orig = sample((enum dc_table)t);
		void *packed = model_row_pack((enum dc_table)t, orig); /* as the relay's model holds it */
		struct relay_buf b = { 0 }, again = { 0 };
		relay_put_row(&b, (enum dc_table)t, packed);
		struct relay_frame f = one_frame(&b);
		enum dc_table got_t;
		void *row = NULL;
		char err[256] = "";
		assert_int_equal(relay_get_row(&f, &got_t, &row, err, sizeof err), 0);
		assert_int_equal(got_t, t);
		relay_put_row(&again, got_t, row);
		assert_int_equal(again.n, b.n);
		assert_memory_equal(again.p, b.p, b.n);
		model_row_free((enum dc_table)t, row);
		model_row_free((enum dc_table)t, packed);
		relay_buf_free(&b);
		relay_buf_free(&again);
	}
}

/* NULL stays NULL, "" stays "", Hangul arrives byte for byte, and the
 * model's own fields (a node's GPU slots, a partition's counts) do not travel. */
static void test_strings_and_derived(void **state)
{
	(void)state;
	struct dc_node n = *(const struct dc_node *)sample(DC_T_NODE);
	struct dc_gpu *slots[8] = { 0 };
	n.gpus = slots;
	n.gpu_slots = 8;
	n.temp_max = 90;
	struct relay_buf b = { 0 };
	relay_put_row(&b, DC_T_NODE, &n);
	relay_put_row(&b, DC_T_PARTITION, sample(DC_T_PARTITION));
	size_t used;
	struct relay_frame f;
	char err[256];
	assert_int_equal(relay_frame_next(b.p, b.n, &f, &used, err, sizeof err), 1);
	enum dc_table t;
	void *row;
	assert_int_equal(relay_get_row(&f, &t, &row, err, sizeof err), 0);
	const struct dc_node *got = row;
	assert_null(got->drained_by);
	assert_non_null(got->drain_reason);
	assert_string_equal(got->drain_reason, "");
	assert_string_equal(got->model, HANGUL);
	assert_null(got->gpus);
	assert_int_equal(got->gpu_slots, 0);
	assert_int_equal(got->temp_max, 0);
	assert_int_equal(got->admin, DC_ADMIN_DRAINING);
	model_row_free(t, row);
	assert_int_equal(relay_frame_next(b.p + used, b.n - used, &f, &used, err, sizeof err), 1);
	assert_int_equal(relay_get_row(&f, &t, &row, err, sizeof err), 0);
	assert_int_equal(((struct dc_partition *)row)->nodes, 0);
	assert_null(((struct dc_partition *)row)->gpu_model);
	model_row_free(t, row);
	relay_buf_free(&b);
}

static void test_other_frames(void **state)
{
	(void)state;
	struct relay_buf b = { 0 };
	struct relay_status st = { .link = 1, .standby = true, .last_ok_wall = 1700000000,
		.replay_lag_s = 1.5, .loading = DC_MASK(DC_T_JOB), .error = "", .server = "/run/pg/" HANGUL };
	relay_put_hello(&b, RELAY_PROTO, model_layout_fingerprint());
	relay_put_status(&b, &st);
	relay_put_del(&b, DC_T_JOB, 123456789012345);
	relay_put_batch(&b, DC_MASK(DC_T_JOB) | DC_MASK(DC_T_GPU));
	relay_put_mark(&b, RF_SNAPSHOT_END);
	size_t off = 0, used;
	struct relay_frame f;
	char err[256];
	assert_int_equal(relay_frame_next(b.p, b.n, &f, &used, err, sizeof err), 1);
	assert_int_equal(relay_get_hello(&f, err, sizeof err), 0);
	off += used;
	assert_int_equal(relay_frame_next(b.p + off, b.n - off, &f, &used, err, sizeof err), 1);
	struct relay_status got;
	assert_int_equal(relay_get_status(&f, &got, err, sizeof err), 0);
	assert_int_equal(got.link, 1);
	assert_true(got.standby);
	assert_int_equal(got.last_ok_wall, 1700000000);
	assert_true(got.replay_lag_s == 1.5);
	assert_int_equal(got.loading, DC_MASK(DC_T_JOB));
	assert_string_equal(got.server, st.server);
	off += used;
	assert_int_equal(relay_frame_next(b.p + off, b.n - off, &f, &used, err, sizeof err), 1);
	enum dc_table t;
	int64_t id;
	assert_int_equal(relay_get_del(&f, &t, &id, err, sizeof err), 0);
	assert_int_equal(t, DC_T_JOB);
	assert_int_equal(id, 123456789012345);
	off += used;
	assert_int_equal(relay_frame_next(b.p + off, b.n - off, &f, &used, err, sizeof err), 1);
	unsigned mask;
	assert_int_equal(relay_get_batch(&f, &mask, err, sizeof err), 0);
	assert_int_equal(mask, DC_MASK(DC_T_JOB) | DC_MASK(DC_T_GPU));
	off += used;
	assert_int_equal(relay_frame_next(b.p + off, b.n - off, &f, &used, err, sizeof err), 1);
	assert_int_equal(f.type, RF_SNAPSHOT_END);
	assert_int_equal(off + used, b.n);
	relay_buf_free(&b);
}

/* Every proper prefix of a frame is "not yet", never a frame or an error. */
static void test_truncated(void **state)
{
	(void)state;
	struct relay_buf b = { 0 };
	relay_put_row(&b, DC_T_INCIDENT, sample(DC_T_INCIDENT));
	for (size_t n = 0; n < b.n; n++) {
		struct relay_frame f;
		size_t used;
		char err[256];
		assert_int_equal(relay_frame_next(b.p, n, &f, &used, err, sizeof err), 0);
	}
	relay_buf_free(&b);
}

/* A frame whose payload was cut short (its length field says so) fails
 * in the row decoder with the string and offset. */
static void test_bad_lengths(void **state)
{
	(void)state;
	struct relay_buf b = { 0 };
	relay_put_row(&b, DC_T_SITE, sample(DC_T_SITE));
	struct relay_frame f = one_frame(&b);
	char err[256] = "";
	enum dc_table t;
	void *row = NULL;
	/* the payload ends in the middle of the last string */
	struct relay_frame cut = f;
	cut.n -= 5;
	assert_int_equal(relay_get_row(&cut, &t, &row, err, sizeof err), -1);
	assert_null(row);
	assert_non_null(strstr(err, "PUT frame"));
	assert_non_null(strstr(err, "offset"));
	/* a string length far past the frame */
	size_t fixed = sizeof(struct dc_site);
	unsigned char *len0 = b.p + RELAY_HEADER + 1 + fixed;
	len0[0] = 0x7f;
	assert_int_equal(relay_get_row(&f, &t, &row, err, sizeof err), -1);
	assert_non_null(strstr(err, "string 1 of 3"));
	assert_non_null(strstr(err, "runs past"));
	len0[0] = 0;
	/* shorter than the fixed part */
	cut.n = 1 + fixed - 1;
	assert_int_equal(relay_get_row(&cut, &t, &row, err, sizeof err), -1);
	assert_non_null(strstr(err, "fixed part"));
	/* bytes left over */
	relay_buf_free(&b);
	relay_put_row(&b, DC_T_GPU, sample(DC_T_GPU));
	b.p = xgrow(b.p, &b.cap, b.n + 3, 1);
	memset(b.p + b.n, 0, 3);
	b.n += 3;
	b.p[3] += 3;
	f = one_frame(&b);
	assert_int_equal(relay_get_row(&f, &t, &row, err, sizeof err), -1);
	assert_non_null(strstr(err, "left over"));
	/* a payload over the limit, an unknown type */
	unsigned char big[5] = { 0x7f, 0xff, 0xff, 0xff, RF_PUT };
	size_t used;
	assert_int_equal(relay_frame_next(big, 5, &f, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "PUT frame"));
	unsigned char odd[5] = { 0, 0, 0, 0, 99 };
	assert_int_equal(relay_frame_next(odd, 5, &f, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown type 99"));
	/* a DEL of the wrong size */
	unsigned char del[RELAY_HEADER + 4] = { 0, 0, 0, 4, RF_DEL, 1, 0, 0, 0 };
	assert_int_equal(relay_frame_next(del, sizeof del, &f, &used, err, sizeof err), 1);
	int64_t id;
	assert_int_equal(relay_get_del(&f, &t, &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "DEL frame of 4 bytes"));
	relay_buf_free(&b);
}

static void test_bad_table_and_enum(void **state)
{
	(void)state;
	struct relay_buf b = { 0 };
	relay_put_row(&b, DC_T_NODE, sample(DC_T_NODE));
	b.p[RELAY_HEADER] = DC_T_COUNT;
	struct relay_frame f = one_frame(&b);
	char err[256];
	enum dc_table t;
	void *row = NULL;
	assert_int_equal(relay_get_row(&f, &t, &row, err, sizeof err), -1);
	assert_non_null(strstr(err, "table id 17"));
	/* a node whose sched state is no state */
	b.p[RELAY_HEADER] = DC_T_NODE;
	struct dc_node bad;
	memcpy(&bad, b.p + RELAY_HEADER + 1, sizeof bad);
	bad.sched = (enum dc_sched)42;
	memcpy(b.p + RELAY_HEADER + 1, &bad, sizeof bad);
	assert_int_equal(relay_get_row(&f, &t, &row, err, sizeof err), -1);
	assert_non_null(strstr(err, "field sched at offset"));
	assert_non_null(strstr(err, "holds 42"));
	relay_buf_free(&b);
	/* a GPU whose bool is neither 0 nor 1, looked at as a byte (reading it
	 * as a bool would be undefined behaviour: UBSan's -fsanitize=bool) */
	b = (struct relay_buf){ 0 };
	relay_put_row(&b, DC_T_GPU, sample(DC_T_GPU));
	f = one_frame(&b);
	b.p[RELAY_HEADER + 1 + offsetof(struct dc_gpu, metrics_stale)] = 7;
	assert_int_equal(relay_get_row(&f, &t, &row, err, sizeof err), -1);
	assert_non_null(strstr(err, "field metrics_stale"));
	assert_non_null(strstr(err, "holds 7 (a bool is 0 or 1)"));
	relay_buf_free(&b);
	unsigned char del[RELAY_HEADER + 9] = { 0, 0, 0, 9, RF_DEL, 200 };
	size_t used;
	assert_int_equal(relay_frame_next(del, sizeof del, &f, &used, err, sizeof err), 1);
	int64_t id;
	assert_int_equal(relay_get_del(&f, &t, &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "DEL frame: table id 200"));
}

static void test_layout_mismatch(void **state)
{
	(void)state;
	struct relay_buf b = { 0 };
	relay_put_hello(&b, RELAY_PROTO, model_layout_fingerprint() ^ 1);
	struct relay_frame f = one_frame(&b);
	char err[256];
	assert_int_equal(relay_get_hello(&f, err, sizeof err), -1);
	assert_non_null(strstr(err, "another build"));
	relay_buf_free(&b);
	relay_put_hello(&b, RELAY_PROTO + 1, model_layout_fingerprint());
	f = one_frame(&b);
	assert_int_equal(relay_get_hello(&f, err, sizeof err), -1);
	relay_buf_free(&b);
	relay_put_batch(&b, 1);
	f = one_frame(&b);
	assert_int_equal(relay_get_hello(&f, err, sizeof err), -1);
	assert_non_null(strstr(err, "expected a HELLO frame, got BATCH"));
	relay_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_table),
		cmocka_unit_test(test_strings_and_derived),
		cmocka_unit_test(test_other_frames),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_bad_table_and_enum),
		cmocka_unit_test(test_layout_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
