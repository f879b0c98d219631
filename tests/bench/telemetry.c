/* telemetry — what one telemetry cycle costs the adapter at scale: the
 * answers a site Prometheus (10 instant queries, JSON as `max by
 * (Hostname, gpu, UUID)` leaves it, the four NVLink counters added up by
 * one; or 13 /federate answers, text), or
 * every node's dcgm-exporter (one text page per node, with HELP/TYPE
 * lines and 6 metrics dcops does not read) would give for NODES nodes x 8
 * GPUs, generated here (never stored), fed through the reader's parse,
 * match and diff as dcopsd runs them. Three cycles: the first sight of the fleet
 * (every GPU written), a quiet one (values inside the deadbands), and one
 * where 5 % of the GPUs move and 1 in 1,000 throws an Xid.
 *
 *   build/bench/telemetry [NODES [prometheus|federate|exporters]]   (290 prometheus)
 *
 * CPU is this process's, for the feed and diff only (generating the
 * answers is not counted; the database write is the server's: rows is
 * what one UPDATE would carry). Prints one line per cycle and peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "adapter/telemetry/tel.h"

#define GPUS 8

static const char *const metrics[] = {
	"DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_FB_USED",
	"DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_XID_ERRORS", "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
	"DCGM_FI_DEV_ROW_REMAP_FAILURE", "DCGM_FI_DEV_ROW_REMAP_PENDING",
	"DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL",
	"DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL", "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL",
};
#define N_METRICS (sizeof metrics / sizeof *metrics)
static const char *const others[] = { "DCGM_FI_DEV_SM_CLOCK", "DCGM_FI_DEV_MEM_CLOCK",
	"DCGM_FI_DEV_MEMORY_TEMP", "DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
	"DCGM_FI_PROF_PIPE_TENSOR_ACTIVE" };

static int cycle_no;

/* The value of metric m on GPU g of node n in this cycle. */
static double value(size_t m, size_t n, int g)
{
	size_t k = n * GPUS + (size_t)g;
	bool moved = cycle_no == 2 && k % 20 == 0;
	switch (m) {
	case 0: return 50 + (double)(k % 40) + (moved ? 30 : cycle_no == 1 ? 2 : 0);
	case 1: return 45 + (double)(k % 30) + (moved ? 10 : 0);
	case 2: return 300 + (double)(k % 400);
	case 3: return 20000 + (double)(k % 40000);
	case 4: return 81559 - 20000 - (double)(k % 40000);
	case 5: return cycle_no == 2 && k % 1000 == 7 ? 79 : 0;
	default: return (double)(k % 3);
	}
}

static void labels(struct sb *b, size_t n, int g, bool json)
{
	if (json)   /* what `max by (Hostname, gpu, UUID) (M)` keeps */
		sb_appendf(b, "\"Hostname\":\"gwj-%05zu\",\"UUID\":\"GPU-%08zx-4e6b-9d59-%012zx\",\"gpu\":\"%d\"",
		           n, n, n * GPUS + (size_t)g, g);
	else
		sb_appendf(b, "gpu=\"%d\",UUID=\"GPU-%08zx-4e6b-9d59-%012zx\",device=\"nvidia%d\","
		              "modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"gwj-%05zu\"", g, n, n * GPUS + (size_t)g, g, n);
}

/* The NVLink counters (the last four of metrics[]): dcopsd asks the
 * Prometheus API for them added up, in one query (tel.c, NVLINK_SUM). */
#define NVLINK_FIRST (N_METRICS - 4)
#define N_QUERIES (NVLINK_FIRST + 1)

static void json_answer(struct sb *b, size_t m, size_t nodes)
{
	sb_clear(b);
	sb_append(b, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
	for (size_t n = 0; n < nodes; n++)
		for (int g = 0; g < GPUS; g++) {
			double v = value(m, n, g);
			for (size_t j = m + 1; m == NVLINK_FIRST && j < N_METRICS; j++)
				v += value(j, n, g);
			sb_appendf(b, "%s{\"metric\":{", n || g ? "," : "");
			labels(b, n, g, true);
			sb_appendf(b, "},\"value\":[1764640800.123,\"%g\"]}", v);
		}
	sb_append(b, "]}}");
}

/* /federate?match[]=M: one metric for the fleet, with the labels
 * Prometheus adds, and a timestamp per sample. */
static void federate_answer(struct sb *b, size_t m, size_t nodes)
{
	sb_clear(b);
	sb_appendf(b, "# TYPE %s untyped\n", metrics[m]);
	for (size_t n = 0; n < nodes; n++)
		for (int g = 0; g < GPUS; g++) {
			sb_appendf(b, "%s{", metrics[m]);
			labels(b, n, g, false);
			sb_appendf(b, ",instance=\"gwj-%05zu:9400\",job=\"dcgm\"} %g 1764640800123\n", n, value(m, n, g));
		}
}

static void text_page(struct sb *b, size_t n)
{
	sb_clear(b);
	for (size_t m = 0; m < N_METRICS + 6; m++) {
		const char *name = m < N_METRICS ? metrics[m] : others[m - N_METRICS];
		sb_appendf(b, "# HELP %s DCGM field.\n# TYPE %s gauge\n", name, name);
		for (int g = 0; g < GPUS; g++) {
			sb_appendf(b, "%s{", name);
			labels(b, n, g, false);
			sb_appendf(b, "} %g\n", m < N_METRICS ? value(m, n, g) : 1234.0);
		}
	}
}

int main(int argc, char **argv)
{
	size_t nodes = argc > 1 ? strtoul(argv[1], NULL, 10) : 290;
	const char *src = argc > 2 ? argv[2] : "prometheus";
	enum tel_mode mode = strcmp(src, "exporters") == 0 ? TEL_EXPORTERS
		: strcmp(src, "federate") == 0 ? TEL_FEDERATE : TEL_PROMETHEUS;
	bool per_metric = mode != TEL_EXPORTERS;
	if (!nodes || nodes > 200000)
		return 2;
	struct tel_cfg cfg;
	tel_cfg_init(&cfg);
	cfg.mode = mode;
	struct dc_err err = { 0 };
	FILE *devnull = fopen("/dev/null", "w");
	struct tel *t = tel_new(&cfg, devnull, &err);
	struct tel_gpu_row *rows = xcalloc(nodes * GPUS, sizeof *rows);
	char **names = xcalloc(nodes, sizeof *names);
	for (size_t n = 0; n < nodes; n++) {
		names[n] = xasprintf("gwj-%05zu", n);
		for (int g = 0; g < GPUS; g++)
			rows[n * GPUS + (size_t)g] = (struct tel_gpu_row){ .id = (int64_t)(n * GPUS + (size_t)g + 1),
				.node = names[n], .idx = g, .mem_total = 81559, .temp = 30, .seen = true };
	}
	tel_index_set(t, rows, nodes * GPUS);
	struct sb b = { 0 };
	static const char *const what[] = { "first sight", "quiet", "5% moved" };
	printf("%-10s %6s %7s  %-12s %10s %9s %8s %7s\n", "source", "nodes", "GPUs", "cycle", "MB in", "CPU ms",
	       "rows", "events");
	for (cycle_no = 0; cycle_no < 3; cycle_no++) {
		int64_t cpu = 0;
		size_t bytes = 0;
		tel_cycle_begin(t);
		size_t targets = mode == TEL_PROMETHEUS ? N_QUERIES : mode == TEL_FEDERATE ? N_METRICS : nodes;
		for (size_t k = 0; k < targets; k++) {
			if (mode == TEL_PROMETHEUS)
				json_answer(&b, k, nodes);
			else if (mode == TEL_FEDERATE)
				federate_answer(&b, k, nodes);
			else
				text_page(&b, k);
			bytes += b.len;
			int64_t c0 = dc_cpu_us();
			if (tel_feed(t, per_metric ? metrics[k] : names[k], b.buf, b.len, &err) < 0) {
				fprintf(stderr, "telemetry bench: %s\n", err.msg);
				return 1;
			}
			cpu += dc_cpu_us() - c0;
		}
		int64_t c0 = dc_cpu_us();
		size_t written = tel_diff(t, 1000 + cycle_no * 10000);
		tel_diff_commit(t);
		cpu += dc_cpu_us() - c0;
		size_t n_ev;
		tel_events(t, &n_ev);
		printf("%-10s %6zu %7zu  %-12s %10.1f %9.1f %8zu %7zu\n", src, nodes,
		       nodes * GPUS, what[cycle_no], (double)bytes / 1048576.0, (double)cpu / 1000.0, written, n_ev);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %.0f MiB (with the largest generated answer)\n", ru.ru_maxrss / 1024.0);
	sb_free(&b);
	tel_free(t);
	for (size_t n = 0; n < nodes; n++)
		free(names[n]);
	free(names);
	free(rows);
	fclose(devnull);
	return 0;
}
