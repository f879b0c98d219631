/* slurm_parse — what the Slurm adapter's parsers and pending-job
 * explanations cost at scale, over documents made by slurm_gen:
 *
 *   build/bench/slurm_parse NODES.json SQUEUE.json
 *
 * Reads both files first, then parses them (the functions the adapter
 * calls) and explains every pending job against the snapshot, as one
 * adapter cycle does. Prints CPU and wall milliseconds per step, the
 * memory the parse added (peak RSS after minus before, the documents
 * already read) and the peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "adapter/slurm/slurm-explain.h"
#include "adapter/slurm/slurm-parse.h"

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static char *slurp(const char *path, size_t *len)
{
	char *text;
	struct dc_err err;
	if (dc_read_file(path, SLURM_INPUT_MAX, &text, len, &err) < 0) {
		fprintf(stderr, "slurm_parse: %s\n", err.msg);
		exit(1);
	}
	return text;
}

static void step(const char *what, int64_t c0, int64_t w0, size_t items, size_t bytes)
{
	printf("%-8s %7zu items %10zu bytes  cpu %7.1f ms  wall %7.1f ms\n", what, items, bytes,
		(double)(dc_cpu_us() - c0) / 1000.0, (double)(dc_mono_us() - w0) / 1000.0);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: slurm_parse NODES.json SQUEUE.json\n");
		return 2;
	}
	size_t nlen, jlen;
	char *ntext = slurp(argv[1], &nlen), *jtext = slurp(argv[2], &jlen);
	long rss0 = peak_rss_kb();
	struct dc_err err;

	struct slurm_node_set ns = { 0 };
	int64_t c0 = dc_cpu_us(), w0 = dc_mono_us();
	if (slurm_parse_nodes(ntext, nlen, &ns, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	step("nodes", c0, w0, ns.n, nlen);

	struct slurm_job_set js = { 0 };
	c0 = dc_cpu_us(), w0 = dc_mono_us();
	if (slurm_parse_squeue(jtext, jlen, &js, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	step("squeue", c0, w0, js.n, jlen);

	struct slurm_snap snap = { .nodes = &ns, .jobs = &js };
	size_t pending = 0, bytes = 0;
	c0 = dc_cpu_us(), w0 = dc_mono_us();
	struct slurm_explain_cycle *x = slurm_explain_cycle_new(&snap, 1764640800);
	for (size_t i = 0; i < js.n; i++)
		if (js.items[i].state == DC_JOB_PENDING) {
			char *s = slurm_explain_job(x, &js.items[i]);
			bytes += strlen(s);
			pending++;
			free(s);
		}
	slurm_explain_cycle_free(x);
	step("explain", c0, w0, pending, bytes);
	long rss1 = peak_rss_kb();
	printf("memory   %ld kB added by parsing (peak RSS %ld kB, %ld kB of it the documents read)\n", rss1 - rss0, rss1,
		rss0);
	slurm_node_set_free(&ns);
	slurm_job_set_free(&js);
	free(ntext);
	free(jtext);
	return 0;
}
