/* slurm_parse — what the Slurm adapter's parsers cost at scale: builds a
 * `scontrol show node --json` document of N nodes and a `squeue --json` of M
 * jobs in the 24.05 shape, by cloning the items of the recorded fixtures
 * (so each item is as wide as Slurm prints it), then times the parse.
 *
 *   build/bench/slurm_parse [NODES [JOBS [ROOT]]]   (25000 100000 .)
 *
 * Prints bytes, CPU and wall milliseconds per document and the peak RSS.
 * Not part of make bench yet: run it by hand (make build/bench/slurm_parse). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "adapter/slurm/slurm-parse.h"

static cJSON *load(const char *root, const char *name)
{
	char *path = xasprintf("%s/tests/fixtures/slurm/24.05/%s", root, name);
	char *text;
	size_t len;
	struct dc_err err;
	if (dc_read_file(path, 1u << 24, &text, &len, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	cJSON *doc = cJSON_ParseWithLength(text, len);
	free(text);
	free(path);
	if (!doc)
		exit(1);
	return doc;
}

static void set_str(cJSON *o, const char *key, const char *val)
{
	cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateString(val));
}

/* Replaces the document's list with n clones of its items, renamed. */
static char *scale(cJSON *doc, const char *list, size_t n, bool jobs)
{
	cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(doc, list);
	cJSON *out = cJSON_AddArrayToObject(doc, list);
	int k = cJSON_GetArraySize(items);
	for (size_t i = 0; i < n; i++) {
		cJSON *c = cJSON_Duplicate(cJSON_GetArrayItem(items, (int)(i % (size_t)k)), true);
		char buf[64];
		if (jobs) {
			cJSON_ReplaceItemInObjectCaseSensitive(c, "job_id", cJSON_CreateNumber((double)(100000 + i)));
			cJSON *nodes = cJSON_GetObjectItemCaseSensitive(c, "nodes");
			if (cJSON_IsString(nodes) && nodes->valuestring[0]) {
				snprintf(buf, sizeof buf, "gj-h100-[%05zu-%05zu]", (i * 4) % 24000, (i * 4) % 24000 + 3);
				set_str(c, "nodes", buf);
			}
		} else {
			snprintf(buf, sizeof buf, "gj-h100-%05zu", i);
			set_str(c, "name", buf);
		}
		cJSON_AddItemToArray(out, c);
	}
	cJSON_Delete(items);
	char *text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return text;
}

/* cJSON's own share: parse and free the document, nothing else. */
static void json_only(const char *what, const char *text)
{
	int64_t c0 = dc_cpu_us();
	cJSON *doc = cJSON_ParseWithLength(text, strlen(text));
	int64_t c1 = dc_cpu_us();
	cJSON_Delete(doc);
	printf("%-6s cJSON parse alone cpu %7.1f ms, free %7.1f ms\n", what, (double)(c1 - c0) / 1000.0,
		(double)(dc_cpu_us() - c1) / 1000.0);
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	size_t nodes = argc > 1 ? strtoul(argv[1], NULL, 10) : 25000;
	size_t jobs = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	const char *root = argc > 3 ? argv[3] : ".";
	char *ntext = scale(load(root, "nodes.json"), "nodes", nodes, false);
	char *jtext = scale(load(root, "squeue.json"), "jobs", jobs, true);
	long rss_before = peak_rss_kb();
	struct dc_err err;

	struct slurm_node_set ns = { 0 };
	int64_t c0 = dc_cpu_us(), w0 = dc_mono_us();
	if (slurm_parse_nodes(ntext, strlen(ntext), &ns, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	int64_t c1 = dc_cpu_us(), w1 = dc_mono_us();
	printf("nodes  %8zu items %10zu bytes  cpu %7.1f ms  wall %7.1f ms\n", ns.n, strlen(ntext),
		(double)(c1 - c0) / 1000.0, (double)(w1 - w0) / 1000.0);

	struct slurm_job_set js = { 0 };
	c0 = dc_cpu_us(), w0 = dc_mono_us();
	if (slurm_parse_squeue(jtext, strlen(jtext), &js, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	c1 = dc_cpu_us(), w1 = dc_mono_us();
	printf("squeue %8zu items %10zu bytes  cpu %7.1f ms  wall %7.1f ms\n", js.n, strlen(jtext),
		(double)(c1 - c0) / 1000.0, (double)(w1 - w0) / 1000.0);
	json_only("nodes", ntext);
	json_only("squeue", jtext);
	printf("peak RSS %ld kB (%ld kB before parsing: the generated documents)\n", peak_rss_kb(), rss_before);
	slurm_node_set_free(&ns);
	slurm_job_set_free(&js);
	free(ntext);
	free(jtext);
	return 0;
}
