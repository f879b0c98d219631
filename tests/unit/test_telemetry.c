/* test_telemetry — the DCGM telemetry reader without a network: the
 * Prometheus text format (comments, escapes, NaN/Inf, timestamps, hostile
 * label values kept as data, malformed lines refused with their number),
 * the instant-query JSON, and the reader's cycle: deadbands, an Xid as one
 * event, a rising counter as one event, a counter that falls (a restart)
 * as a new baseline, unknown hosts skipped, stale GPUs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/telemetry/prom-parse.h"
#include "adapter/telemetry/tel.h"

/* ---------------------------------------------------------------- parsers */

struct got {
	int n;
	char name[8][64], host[8][128];
	double value[8];
	bool has_ts[8];
	int64_t ts[8];
	size_t labels[8];
};

static int collect(const struct prom_sample *s, void *ud)
{
	struct got *g = ud;
	if (g->n == 8)
		return 0;
	snprintf(g->name[g->n], sizeof g->name[0], "%s", s->name);
	const char *h = prom_label(s, "Hostname");
	snprintf(g->host[g->n], sizeof g->host[0], "%s", h ? h : "-");
	g->value[g->n] = s->value;
	g->has_ts[g->n] = s->has_ts;
	g->ts[g->n] = s->ts_ms;
	g->labels[g->n] = s->n_labels;
	g->n++;
	return 0;
}

static int text(const char *s, struct got *g, struct dc_err *err)
{
	memset(g, 0, sizeof *g);
	return prom_text_each(s, strlen(s), NULL, collect, g, err);
}

static void test_text_format(void **state)
{
	(void)state;
	struct got g;
	struct dc_err err = { 0 };
	const char *in =
		"# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n"
		"# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n"
		"\n"
		"DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-1\",Hostname=\"n1\"} 87\n"
		"  DCGM_FI_DEV_GPU_TEMP { gpu = \"1\" , Hostname=\"n1\", } 71.5 1764640800123\n"
		"DCGM_FI_DEV_POWER_USAGE NaN\n"
		"DCGM_FI_DEV_FB_USED{Hostname=\"a\\\"b\\\\c\\nd\"} +Inf\n"
		"up -Inf -5\r\n"
		"x:y_z{} 1e3";
	assert_int_equal(text(in, &g, &err), 0);
	assert_int_equal(g.n, 6);
	assert_string_equal(g.name[0], "DCGM_FI_DEV_GPU_UTIL");
	assert_string_equal(g.host[0], "n1");
	assert_int_equal(g.labels[0], 3);
	assert_true(g.value[0] == 87 && !g.has_ts[0]);
	assert_true(g.value[1] == 71.5 && g.has_ts[1] && g.ts[1] == 1764640800123LL);
	assert_int_equal(g.labels[1], 2);
	assert_true(isnan(g.value[2]) && g.labels[2] == 0);
	/* escapes undone; the value is data */
	assert_string_equal(g.host[3], "a\"b\\c\nd");
	assert_true(isinf(g.value[3]) && g.value[3] > 0);
	assert_true(isinf(g.value[4]) && g.value[4] < 0 && g.ts[4] == -5);
	assert_string_equal(g.name[5], "x:y_z");
	assert_true(g.value[5] == 1000);
}

static void test_text_hostile(void **state)
{
	(void)state;
	struct got g;
	struct dc_err err = { 0 };
	/* SQL, terminal escapes, Korean, braces and '#' inside a value */
	const char *in = "DCGM_FI_DEV_GPU_UTIL{Hostname=\"x'); DROP TABLE dcops.gpu;--\\u001b[2J}#{\",gpu=\"0\"} 1\n"
	                 "DCGM_FI_DEV_GPU_UTIL{Hostname=\"\x1b]0;pwned\x07광주\",gpu=\"0\"} 2\n";
	assert_int_equal(text(in, &g, &err), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.host[0], "x'); DROP TABLE dcops.gpu;--\\u001b[2J}#{");
	assert_string_equal(g.host[1], "\x1b]0;pwned\x07광주");
}

static void refused(const char *in, const char *msg)
{
	struct got g;
	struct dc_err err = { 0 };
	assert_int_equal(text(in, &g, &err), -1);
	if (!strstr(err.msg, msg))
		fail_msg("'%s' gave '%s', wanted '%s'", in, err.msg, msg);
}

static void test_text_malformed(void **state)
{
	(void)state;
	refused("ok 1\n9bad 1\n", "line 2: metric name expected");
	refused("m{a=\"x} 1\n", "line 1: label value not closed");
	refused("m{a=x} 1\n", "label value does not start");
	refused("m{a\"x\"} 1\n", "'=' expected");
	refused("m{a=\"x\" b=\"y\"} 1\n", "',' or '}' expected");
	refused("m 1x\n", "sample value is not a number");
	refused("m\n", "sample value is not a number");
	refused("m 1 12.5\n", "timestamp is not an integer");
	refused("m 1 12 extra\n", "text after the timestamp");
	refused("m 1 1234567890123456789\n", "timestamp is not an integer");   /* past 18 digits */
	refused("m 1 -\n", "timestamp is not an integer");
	refused("m 1 +5\n", "timestamp is not an integer");
	refused("m{=\"x\"} 1\n", "label name expected");
	refused("m{a=\"x\\", "lone");
}

static bool want_gpu_util(const char *name, void *ud)
{
	(void)ud;
	return strcmp(name, "DCGM_FI_DEV_GPU_UTIL") == 0;
}

static void test_text_want(void **state)
{
	(void)state;
	struct got g = { 0 };
	struct dc_err err = { 0 };
	/* metrics the caller does not read are skipped after their name */
	const char *in = "DCGM_FI_DEV_SM_CLOCK{gpu=\"0\" 1410 junk\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 5\n";
	assert_int_equal(prom_text_each(in, strlen(in), want_gpu_util, collect, &g, &err), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.name[0], "DCGM_FI_DEV_GPU_UTIL");
	/* one it reads is still refused when malformed */
	in = "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\" 5\n";
	assert_int_equal(prom_text_each(in, strlen(in), want_gpu_util, collect, &g, &err), -1);
	assert_non_null(strstr(err.msg, "line 1"));
}

static int asked;

static bool want_counted(const char *name, void *ud)
{
	asked++;
	return want_gpu_util(name, ud);
}

/* want is asked once for each run of lines naming one metric; a name that
 * only starts like the last one is its own */
static void test_text_want_runs(void **state)
{
	(void)state;
	struct got g = { 0 };
	struct dc_err err = { 0 };
	const char *in = "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 1\n# HELP x\nDCGM_FI_DEV_GPU_UTIL{gpu=\"1\"} 2\n"
	                 "DCGM_FI_DEV_GPU_UTILX{gpu=\"2\"} 3\nDCGM_FI_DEV_GPU_UTILX 4\nDCGM_FI_DEV_GPU_UTIL 5\n"
	                 "DCGM_FI_DEV_GPU_UTIL";
	asked = 0;
	assert_int_equal(prom_text_each(in, strlen(in), want_counted, collect, &g, &err), -1);
	assert_non_null(strstr(err.msg, "line 7: sample value"));
	assert_int_equal(asked, 3);
	assert_int_equal(g.n, 3);
	assert_true(g.value[0] == 1 && g.value[1] == 2 && g.value[2] == 5);
	assert_string_equal(g.name[2], "DCGM_FI_DEV_GPU_UTIL");
}

static int json(const char *s, const char *q, struct got *g, struct dc_err *err)
{
	memset(g, 0, sizeof *g);
	return prom_json_each(s, strlen(s), q, collect, g, err);
}

static void test_json(void **state)
{
	(void)state;
	struct got g;
	struct dc_err err = { 0 };
	const char *in = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	                 "{\"metric\":{\"__name__\":\"DCGM_FI_DEV_GPU_TEMP\",\"Hostname\":\"n1\",\"gpu\":\"2\"},"
	                 "\"value\":[1764640800.5,\"64\"]},"
	                 "{\"metric\":{\"Hostname\":\"n\\u0000\\\"2\",\"gpu\":\"0\"},\"value\":[1,\"NaN\"]}]}}";
	assert_int_equal(json(in, "Q", &g, &err), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.name[0], "DCGM_FI_DEV_GPU_TEMP");
	assert_true(g.value[0] == 64 && g.has_ts[0] && g.ts[0] == 1764640800500LL);
	assert_string_equal(g.name[1], "Q");   /* no __name__: the query's */
	assert_true(isnan(g.value[1]));
	assert_int_equal(g.labels[0], 2);

	assert_int_equal(json("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse \\u001b[2J\"}", "Q",
	                      &g, &err), -1);
	assert_non_null(strstr(err.msg, "bad_data: parse \\x1b[2J"));
	/* the server's bytes are data: printable ASCII only in the message */
	assert_int_equal(json("{\"status\":\"error\",\"error\":\"a\xff\xca 광\"}", "Q", &g, &err), -1);
	for (const char *p = err.msg; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	assert_non_null(strstr(err.msg, "a\\xff\\xca \\xea"));
	/* members in any order, as a tree read them: data before status,
	 * result before resultType; a key given twice: the first counts */
	assert_int_equal(json("{\"data\":{\"result\":[{\"metric\":{\"gpu\":\"1\"},\"metric\":{},\"value\":[1,\"3\"],"
	                      "\"value\":[1,\"4\"]}],\"resultType\":\"vector\"},\"status\":\"success\"}", "Q", &g, &err), 0);
	assert_int_equal(g.n, 1);
	assert_true(g.value[0] == 3);
	assert_int_equal(g.labels[0], 1);
	assert_int_equal(json("{\"data\":{\"resultType\":\"vector\",\"result\":[]},\"status\":\"error\",\"error\":\"x\"}",
	                      "Q", &g, &err), -1);
	assert_non_null(strstr(err.msg, "answered an error: x"));
	/* escapes in keys and values are decoded as cJSON decodes them */
	assert_int_equal(json("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
	                      "{\"__name\\u005f_\":\"A\\u00e9\"},\"val\\u0075e\":[1,\"2\"]}]}}", "Q", &g, &err), 0);
	assert_string_equal(g.name[0], "A\xc3\xa9");
	/* an answer cut inside the list is refused whole */
	assert_int_equal(json("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
	                      "\"value\":[1,\"2\"]},{\"metric\"", "Q", &g, &err), -1);
	assert_non_null(strstr(err.msg, "not JSON"));
	/* times are read as strtod reads them, the plain decimals without it */
	static const char *const times[] = { "1764640800.123", "-0.001", "123456789012345", "1.5e3", "0.1",
		"1764640800.1234567" };
	for (size_t k = 0; k < sizeof times / sizeof *times; k++) {
		char doc[256];
		snprintf(doc, sizeof doc, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
		         "[{\"metric\":{},\"value\":[%s,\"2\"]}]}}", times[k]);
		assert_int_equal(json(doc, "Q", &g, &err), 0);
		assert_int_equal(g.n, 1);
		assert_true(g.ts[0] == (int64_t)(strtod(times[k], NULL) * 1000.0));
	}
	/* an empty __name__ is no name: the query's */
	assert_int_equal(json("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
	                      "{\"__name__\":\"\"},\"value\":[1,\"2\"]}]}}", "Q", &g, &err), 0);
	assert_string_equal(g.name[0], "Q");
	assert_int_equal(json("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}", "Q", &g, &err), -1);
	assert_non_null(strstr(err.msg, "resultType"));
	assert_int_equal(json("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
	                      "\"value\":[1,2]}]}}", "Q", &g, &err), -1);
	assert_non_null(strstr(err.msg, "data.result[0]: value"));
	assert_int_equal(json("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"a\":1},"
	                      "\"value\":[1,\"2\"]}]}}", "Q", &g, &err), -1);
	assert_non_null(strstr(err.msg, "not a string"));
	assert_int_equal(json("{\"status\":", "Q", &g, &err), -1);
	assert_non_null(strstr(err.msg, "not JSON"));
}

/* ---------------------------------------------------------------- reader */

static FILE *devnull;

static struct tel *reader(enum tel_mode mode)
{
	struct tel_cfg cfg;
	tel_cfg_init(&cfg);
	cfg.mode = mode;
	cfg.every_ms = 1000;
	struct dc_err err;
	struct tel *t = tel_new(&cfg, devnull, &err);
	assert_non_null(t);
	static const struct tel_gpu_row rows[] = {
		{ .id = 11, .node = "n1", .idx = 0, .mem_total = 81559, .temp = 30, .seen = true },
		{ .id = 12, .node = "n1", .idx = 1, .mem_total = 81559, .temp = 30 },
		{ .id = 21, .node = "n2", .idx = 0, .mem_total = 81559, .temp = 30, .xid = 48, .xid_at = 1000 },
	};
	tel_index_set(t, rows, 3);
	return t;
}

static const struct tel_row *row_of(const struct tel *t, int64_t id)
{
	size_t n;
	const struct tel_row *r = tel_diff_rows(t, &n);
	for (size_t i = 0; i < n; i++)
		if (r[i].id == id)
			return &r[i];
	return NULL;
}

static size_t cycle(struct tel *t, const char *what, const char *body, int64_t now)
{
	struct dc_err err = { 0 };
	tel_cycle_begin(t);
	if (tel_feed(t, what, body, strlen(body), &err) < 0)
		fail_msg("%s", err.msg);
	size_t n = tel_diff(t, now);
	tel_diff_commit(t);
	return n;
}

static size_t n_events(const struct tel *t, enum tel_event_kind k)
{
	size_t n, c = 0;
	const struct tel_event *e = tel_events(t, &n);
	for (size_t i = 0; i < n; i++)
		c += e[i].kind == k;
	return c;
}

static void test_deadbands(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_EXPORTERS);
	assert_int_equal(cycle(t, "n1", "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 5\nDCGM_FI_DEV_GPU_TEMP{gpu=\"0\"} 32\n", 1000), 0);
	assert_int_equal(cycle(t, "n1", "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 90\nDCGM_FI_DEV_GPU_TEMP{gpu=\"0\"} 33\n"
	                              "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 700.4\nDCGM_FI_DEV_FB_USED{gpu=\"0\"} 40000\n"
	                              "DCGM_FI_DEV_FB_FREE{gpu=\"0\"} 41559\n", 2000), 1);
	const struct tel_row *r = row_of(t, 11);
	assert_non_null(r);
	assert_int_equal(r->util, 90);
	assert_int_equal(r->temp, 33);
	assert_int_equal(r->power, 700);
	assert_int_equal(r->mem, 40000);
	/* under every deadband: nothing written */
	assert_int_equal(cycle(t, "n1", "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 84\nDCGM_FI_DEV_GPU_TEMP{gpu=\"0\"} 35\n"
	                              "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 660\nDCGM_FI_DEV_FB_USED{gpu=\"0\"} 43000\n", 3000), 0);
	/* out of range values are clamped to the schema's */
	assert_int_equal(cycle(t, "n1", "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 400\nDCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} -3\n", 4000), 1);
	assert_int_equal(row_of(t, 11)->util, 100);
	assert_int_equal(row_of(t, 11)->power, 0);
	tel_free(t);
}

static void test_xid_once(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_EXPORTERS);
	const char *x79 = "DCGM_FI_DEV_XID_ERRORS{gpu=\"1\",UUID=\"GPU-abc\"} 79 1764640800000\n";
	assert_int_equal(cycle(t, "n1", x79, 1000), 1);
	assert_int_equal(n_events(t, TEL_XID), 1);
	size_t n;
	const struct tel_event *e = tel_events(t, &n);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].node, "n1");
	assert_int_equal(e[0].gpu, 1);
	assert_string_equal(e[0].uuid, "GPU-abc");
	assert_int_equal(e[0].code, 79);
	assert_int_equal(e[0].rise, 1);
	assert_int_equal((long long)e[0].at, 1764640800LL);
	assert_int_equal(row_of(t, 12)->xid, 79);
	/* the same value again is the same Xid: no event, no write */
	assert_int_equal(cycle(t, "n1", x79, 2000), 0);
	assert_int_equal(n_events(t, TEL_XID), 0);
	/* an exporter restart (0) is a baseline, then 79 again is a new one */
	assert_int_equal(cycle(t, "n1", "DCGM_FI_DEV_XID_ERRORS{gpu=\"1\"} 0\n", 3000), 0);
	assert_int_equal(n_events(t, TEL_XID), 0);
	cycle(t, "n1", x79, 4000);
	assert_int_equal(n_events(t, TEL_XID), 1);
	/* the database's last Xid is the baseline at start: no replay */
	assert_int_equal(cycle(t, "n2", "DCGM_FI_DEV_XID_ERRORS{gpu=\"0\"} 48\n", 5000), 0);
	assert_int_equal(n_events(t, TEL_XID), 0);
	tel_free(t);
}

static void test_counters(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_EXPORTERS);
	const char *c = "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{gpu=\"0\"} %d\n"
	                "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL{gpu=\"0\"} %d\n"
	                "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL{gpu=\"0\"} %d\n"
	                "DCGM_FI_DEV_ROW_REMAP_PENDING{gpu=\"0\"} %d\n";
	char buf[512];
	snprintf(buf, sizeof buf, c, 5, 10, 10, 0);
	cycle(t, "n1", buf, 1000);   /* first sight: baselines, never events */
	size_t n;
	tel_events(t, &n);
	assert_int_equal(n, 0);
	assert_int_equal(row_of(t, 11)->dbe, 5);
	snprintf(buf, sizeof buf, c, 7, 10, 13, 1);
	cycle(t, "n1", buf, 2000);
	assert_int_equal(n_events(t, TEL_ECC_DBE), 1);
	assert_int_equal(n_events(t, TEL_NVLINK), 1);
	assert_int_equal(n_events(t, TEL_REMAP_PENDING), 1);
	const struct tel_event *e = tel_events(t, &n);
	for (size_t i = 0; i < n; i++)
		if (e[i].kind == TEL_ECC_DBE)
			assert_true(e[i].code == 7 && e[i].rise == 2);
		else if (e[i].kind == TEL_NVLINK)
			assert_true(e[i].code == 23 && e[i].rise == 3);
	assert_true(row_of(t, 11)->remap);
	/* the exporter restarted: everything back to zero raises nothing */
	snprintf(buf, sizeof buf, c, 0, 0, 0, 0);
	cycle(t, "n1", buf, 3000);
	tel_events(t, &n);
	assert_int_equal(n, 0);
	/* a counter past bigint (a broken exporter) is held at the schema's limit */
	snprintf(buf, sizeof buf, c, 0, 0, 0, 0);
	strcat(buf, "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{gpu=\"1\"} 1\n");
	cycle(t, "n1", buf, 3500);
	cycle(t, "n1", "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{gpu=\"1\"} 4.4e38\n", 3600);
	assert_true(row_of(t, 12)->dbe == 9000000000000000000LL);
	e = tel_events(t, &n);
	assert_int_equal(n, 1);
	assert_true(e[0].code == 9000000000000000000LL && e[0].rise == 9000000000000000000LL);
	snprintf(buf, sizeof buf, c, 0, 0, 0, 0);
	cycle(t, "n1", buf, 3700);
	/* and the next rise counts from the new baseline */
	snprintf(buf, sizeof buf, c, 1, 0, 0, 0);
	cycle(t, "n1", buf, 4000);
	e = tel_events(t, &n);
	assert_int_equal(n, 1);
	assert_true(e[0].kind == TEL_ECC_DBE && e[0].rise == 1);
	tel_free(t);
}

/* Every name the reader's sorted table holds is found (a misplaced row
 * would hide a metric from bsearch). */
static void test_every_metric(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_EXPORTERS);
	static const char *const counters[] = { "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL",
		"DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL", "DCGM_FI_DEV_ROW_REMAP_FAILURE",
		"DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL",
		"DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "DCGM_FI_DEV_ROW_REMAP_PENDING" };
	static const enum tel_event_kind kinds[] = { TEL_NVLINK, TEL_NVLINK, TEL_REMAP_FAILURE, TEL_NVLINK,
		TEL_NVLINK, TEL_ECC_DBE, TEL_REMAP_PENDING };
	for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
		char page[200];
		snprintf(page, sizeof page, "%s{gpu=\"0\"} 0\n", counters[i]);
		cycle(t, "n1", page, 1000 + (int64_t)i * 10);
		snprintf(page, sizeof page, "%s{gpu=\"0\"} 4\n", counters[i]);
		cycle(t, "n1", page, 1005 + (int64_t)i * 10);
		if (n_events(t, kinds[i]) != 1)
			fail_msg("%s: no event", counters[i]);
		snprintf(page, sizeof page, "%s{gpu=\"0\"} 0\n", counters[i]);
		cycle(t, "n1", page, 1008 + (int64_t)i * 10);
	}
	tel_free(t);
}

static void test_rollback_repeats(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_EXPORTERS);
	struct dc_err err = { 0 };
	const char *x = "DCGM_FI_DEV_XID_ERRORS{gpu=\"0\"} 94\n";
	tel_cycle_begin(t);
	assert_int_equal(tel_feed(t, "n1", x, strlen(x), &err), 0);
	tel_diff(t, 1000);
	assert_int_equal(n_events(t, TEL_XID), 1);
	/* not committed (the transaction rolled back): the next cycle sees it again */
	assert_int_equal(cycle(t, "n1", x, 2000), 1);
	assert_int_equal(n_events(t, TEL_XID), 1);
	tel_free(t);
}

static void test_prometheus_matching(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_PROMETHEUS);
	const char *in = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	                 "{\"metric\":{\"Hostname\":\"n2.site.example\",\"gpu\":\"0\"},\"value\":[1,\"55\"]},"
	                 "{\"metric\":{\"Hostname\":\"ghost'); DROP TABLE x;--\",\"gpu\":\"0\"},\"value\":[1,\"99\"]},"
	                 "{\"metric\":{\"Hostname\":\"n1\",\"gpu\":\"7\"},\"value\":[1,\"99\"]},"
	                 "{\"metric\":{\"gpu\":\"0\"},\"value\":[1,\"99\"]}]}}";
	assert_int_equal(cycle(t, "DCGM_FI_DEV_GPU_UTIL", in, 1000), 1);
	assert_int_equal(row_of(t, 21)->util, 55);   /* FQDN matched by its host part */
	tel_free(t);
}

static void test_federate(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_FEDERATE);
	/* Prometheus's /federate: the text format, every host in one answer */
	const char *in = "# TYPE DCGM_FI_DEV_GPU_TEMP untyped\n"
	                 "DCGM_FI_DEV_GPU_TEMP{Hostname=\"n1\",gpu=\"1\",instance=\"a:9400\",job=\"dcgm\"} 77 1764640800123\n"
	                 "DCGM_FI_DEV_GPU_TEMP{Hostname=\"n2\",gpu=\"0\",instance=\"b:9400\",job=\"dcgm\"} 30 1764640800123\n"
	                 "DCGM_FI_DEV_GPU_TEMP{Hostname=\"ghost\",gpu=\"0\"} 99 1764640800123\n";
	assert_int_equal(cycle(t, "DCGM_FI_DEV_GPU_TEMP", in, 1000), 1);
	assert_int_equal(row_of(t, 12)->temp, 77);
	tel_free(t);
}

static void test_exporter_trusts_scrape(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_EXPORTERS);
	/* n1's exporter claiming to be n2 still speaks for n1 only */
	assert_int_equal(cycle(t, "n1", "DCGM_FI_DEV_GPU_UTIL{Hostname=\"n2\",gpu=\"0\"} 50\n", 1000), 1);
	assert_non_null(row_of(t, 11));
	assert_null(row_of(t, 21));
	/* a malformed answer keeps nothing of what parsed before the bad line */
	struct dc_err err = { 0 };
	const char *bad = "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 0\nDCGM_FI_DEV_GPU_UTIL{gpu=\"1\" 3\n";
	tel_cycle_begin(t);
	assert_int_equal(tel_feed(t, "n1", bad, strlen(bad), &err), -1);
	assert_non_null(strstr(err.msg, "line 2"));
	assert_int_equal(tel_diff(t, 1500), 0);
	tel_diff_commit(t);
	tel_free(t);
}

static void test_stale(void **state)
{
	(void)state;
	struct tel *t = reader(TEL_EXPORTERS);
	/* GPU 11 was seen (at load); 12 never was; 3 cycles of 1 s without metrics */
	tel_cycle_begin(t);
	int64_t t0 = 1000000000;   /* far past the load's monotonic time */
	assert_int_equal(tel_diff(t, t0), 1);
	size_t n;
	const struct tel_row *r = tel_diff_rows(t, &n);
	assert_int_equal(r[0].id, 11);
	assert_true(r[0].stale);
	tel_diff_commit(t);
	tel_cycle_begin(t);
	assert_int_equal(tel_diff(t, t0 + 5000), 0);   /* once */
	/* metrics again: no longer stale, even under every deadband */
	assert_int_equal(cycle(t, "n1", "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 0\n", t0 + 6000), 1);
	assert_false(row_of(t, 11)->stale);
	tel_free(t);
}

static void test_cfg(void **state)
{
	(void)state;
	struct tel_cfg c;
	tel_cfg_init(&c);
	assert_int_equal(tel_cfg_parse(&c, "telemetry", "prometheus=http://127.0.0.1:9090//"), 0);
	assert_int_equal(c.mode, TEL_PROMETHEUS);
	assert_string_equal(c.url, "http://127.0.0.1:9090");
	assert_int_equal(tel_cfg_parse(&c, "telemetry", "federate=https://prom:9090/"), 0);
	assert_int_equal(c.mode, TEL_FEDERATE);
	assert_string_equal(c.url, "https://prom:9090");
	assert_int_equal(tel_cfg_parse(&c, "telemetry", "exporters=9400"), 0);
	assert_string_equal(c.url, "http://{node}:9400/metrics");
	assert_int_equal(tel_cfg_parse(&c, "telemetry", "exporters=https://x/{node}/m"), 0);
	assert_int_equal(c.mode, TEL_EXPORTERS);
	FILE *saved = stderr;
	stderr = devnull;
	assert_int_equal(tel_cfg_parse(&c, "telemetry", "exporters=http://x/metrics"), -1);
	assert_int_equal(tel_cfg_parse(&c, "telemetry", "prometheus=file:///etc/passwd"), -1);
	assert_int_equal(tel_cfg_parse(&c, "telemetry", "exporters=0"), -1);
	assert_int_equal(tel_cfg_parse(&c, "telemetry-every", "0.1"), -1);
	stderr = saved;
	assert_int_equal(tel_cfg_parse(&c, "telemetry-every", "2.5"), 0);
	assert_int_equal(c.every_ms, 2500);
	assert_int_equal(tel_cfg_parse(&c, "poll-nodes", "5"), 1);
	tel_cfg_free(&c);
}

int main(void)
{
	devnull = fopen("/dev/null", "w");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_format), cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_text_malformed), cmocka_unit_test(test_text_want), cmocka_unit_test(test_json),
		cmocka_unit_test(test_text_want_runs),
		cmocka_unit_test(test_deadbands), cmocka_unit_test(test_xid_once),
		cmocka_unit_test(test_counters), cmocka_unit_test(test_every_metric),
		cmocka_unit_test(test_rollback_repeats),
		cmocka_unit_test(test_prometheus_matching), cmocka_unit_test(test_federate),
		cmocka_unit_test(test_exporter_trusts_scrape),
		cmocka_unit_test(test_stale), cmocka_unit_test(test_cfg),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fclose(devnull);
	return rc;
}
