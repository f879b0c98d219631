/* slurm_gen — recorded Slurm output at scale, for the adapter's bench:
 * clones the items of one release's recorded fixtures (so each item is as
 * wide as Slurm prints it) into documents of N nodes and M jobs, written
 * one item at a time (the generator never holds the documents).
 *
 *   build/bench/slurm_gen FIXTURES OUTDIR NODES JOBS
 *
 * FIXTURES is tests/fixtures/slurm/<release>. Nodes are named
 * gj-<partition>-NNNNN per partition of the recorded node they clone;
 * jobs get ids 100000.. and run on the clones of the nodes they ran on.
 * Writes to OUTDIR:
 *   nodes.json        sinfo --json (22.05) or scontrol show node --json
 *   squeue.json       squeue --json
 *   squeue-1pct.json  the same with every 100th job renamed: one cycle in
 *                     which 1% of the jobs change
 *   partitions.txt    scontrol -o show partition, nodes rewritten (22.05) */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static cJSON *load(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *text;
	size_t len;
	struct dc_err err;
	if (dc_read_file(path, 1u << 24, &text, &len, &err) < 0) {
		free(path);
		return NULL;
	}
	cJSON *doc = cJSON_ParseWithLength(text, len);
	free(text);
	free(path);
	return doc;
}

static FILE *out_open(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	free(path);
	return f;
}

static void set_str(cJSON *o, const char *key, const char *val)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key))
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateString(val));
}

/* The document around its list: what comes before and after "list":[...]. */
static void write_doc(FILE *f, cJSON *doc, const char *list, void (*items)(FILE *, void *), void *arg)
{
	cJSON *l = cJSON_DetachItemFromObjectCaseSensitive(doc, list);
	cJSON_AddArrayToObject(doc, list);
	char *text = cJSON_PrintUnformatted(doc);
	cJSON_DeleteItemFromObjectCaseSensitive(doc, list);
	char *mark = xasprintf("\"%s\":[]", list);
	char *at = strstr(text, mark);
	fwrite(text, 1, (size_t)(at - text), f);
	fprintf(f, "\"%s\":[", list);
	items(f, arg);
	fprintf(f, "]%s", at + strlen(mark));
	free(mark);
	free(text);
	cJSON_Delete(l);
}

struct gen {
	cJSON *items;          /* the recorded list */
	int k;                 /* its length */
	size_t n;              /* clones to write */
	const char **part_of;  /* per recorded node: its first partition */
	size_t *per_part;      /* clones per recorded node's partition slot */
	bool renamed;          /* squeue-1pct.json */
	size_t nodes;
	char **parts;          /* distinct partitions of the recorded nodes */
	size_t n_parts, *part_nodes;
};

static size_t part_ix(struct gen *g, const char *p)
{
	for (size_t i = 0; i < g->n_parts; i++)
		if (strcmp(g->parts[i], p) == 0)
			return i;
	g->parts = xrealloc(g->parts, (g->n_parts + 1) * sizeof *g->parts);
	g->part_nodes = xrealloc(g->part_nodes, (g->n_parts + 1) * sizeof *g->part_nodes);
	g->parts[g->n_parts] = xstrdup(p);
	g->part_nodes[g->n_parts] = 0;
	return g->n_parts++;
}

static const char *first_partition(const cJSON *node)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(node, "partitions");
	const cJSON *e = cJSON_IsArray(p) ? cJSON_GetArrayItem(p, 0) : NULL;
	return cJSON_IsString(e) ? e->valuestring : "gpu";
}

static void node_items(FILE *f, void *arg)
{
	struct gen *g = arg;
	for (size_t i = 0; i < g->n; i++) {
		cJSON *c = cJSON_Duplicate(cJSON_GetArrayItem(g->items, (int)(i % (size_t)g->k)), true);
		size_t p = part_ix(g, first_partition(c));
		char buf[64];
		snprintf(buf, sizeof buf, "gj-%s-%05zu", g->parts[p], g->part_nodes[p]++);
		set_str(c, "name", buf);
		set_str(c, "hostname", buf);
		set_str(c, "address", buf);
		char *t = cJSON_PrintUnformatted(c);
		fprintf(f, "%s%s", i ? "," : "", t);
		cJSON_free(t);
		cJSON_Delete(c);
	}
}

/* A job's partition (the first of a list) as an index, or the first. */
static size_t job_part(struct gen *g, const cJSON *job)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(job, "partition");
	if (cJSON_IsString(p))
		for (size_t i = 0; i < g->n_parts; i++)
			if (strncmp(p->valuestring, g->parts[i], strlen(g->parts[i])) == 0)
				return i;
	return 0;
}

static void job_items(FILE *f, void *arg)
{
	struct gen *g = arg;
	for (size_t i = 0; i < g->n; i++) {
		cJSON *c = cJSON_Duplicate(cJSON_GetArrayItem(g->items, (int)(i % (size_t)g->k)), true);
		char buf[160];
		cJSON_ReplaceItemInObjectCaseSensitive(c, "job_id", cJSON_CreateNumber((double)(100000 + i)));
		size_t p = job_part(g, c);
		size_t pn = g->part_nodes[p] ? g->part_nodes[p] : 1;
		cJSON *nodes = cJSON_GetObjectItemCaseSensitive(c, "nodes");
		if (cJSON_IsString(nodes) && nodes->valuestring[0]) {
			/* as many nodes as it held, at a place that spreads the jobs */
			size_t want = strchr(nodes->valuestring, '[') ? 2 : 1, at = (i * 7) % pn;
			if (at + want > pn)
				at = pn > want ? pn - want : 0;
			if (want == 1 || pn < 2)
				snprintf(buf, sizeof buf, "gj-%s-%05zu", g->parts[p], at);
			else
				snprintf(buf, sizeof buf, "gj-%s-[%05zu-%05zu]", g->parts[p], at, at + 1);
			set_str(c, "nodes", buf);
		}
		const cJSON *desc = cJSON_GetObjectItemCaseSensitive(c, "state_description");
		if (cJSON_IsString(desc) && strstr(desc->valuestring, "UnavailableNodes:")) {
			snprintf(buf, sizeof buf, "ReqNodeNotAvail, UnavailableNodes:gj-%s-[%05zu-%05zu]", g->parts[p],
				(size_t)0, pn > 1 ? (size_t)1 : (size_t)0);
			set_str(c, "state_description", buf);
		}
		if (g->renamed && i % 100 == 0) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
			snprintf(buf, sizeof buf, "%s renamed", cJSON_IsString(name) ? name->valuestring : "");
			set_str(c, "name", buf);
		}
		char *t = cJSON_PrintUnformatted(c);
		fprintf(f, "%s%s", i ? "," : "", t);
		cJSON_free(t);
		cJSON_Delete(c);
	}
}

/* scontrol -o show partition with each partition's nodes the clones'. */
static void partitions_txt(const char *fx, const char *outdir, struct gen *g)
{
	char *path = xasprintf("%s/scontrol_show_partition.txt", fx), *text;
	size_t len;
	struct dc_err err;
	if (dc_read_file(path, 1u << 20, &text, &len, &err) < 0) {
		free(path);
		return;
	}
	FILE *f = out_open(outdir, "partitions.txt");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64] = "";
		sscanf(line, "PartitionName=%63s", name);
		size_t n = 0;
		for (size_t i = 0; i < g->n_parts; i++)
			if (strcmp(g->parts[i], name) == 0)
				n = g->part_nodes[i];
		char *nodes = strstr(line, " Nodes=");
		if (!nodes || n == 0) {
			fprintf(f, "%s\n", line);
			continue;
		}
		char *rest = strchr(nodes + 1, ' ');
		fprintf(f, "%.*s Nodes=gj-%s-[00000-%05zu]%s\n", (int)(nodes - line), line, name, n - 1, rest ? rest : "");
	}
	fclose(f);
	free(text);
	free(path);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: slurm_gen FIXTURES OUTDIR NODES JOBS\n");
		return 2;
	}
	const char *fx = argv[1], *outdir = argv[2];
	struct gen g = { 0 };
	bool v2205 = true;
	cJSON *nodes = load(fx, "sinfo.json");
	if (!nodes) {
		v2205 = false;
		nodes = load(fx, "nodes.json");
	}
	cJSON *jobs = load(fx, "squeue.json");
	if (!nodes || !jobs) {
		fprintf(stderr, "slurm_gen: %s: no sinfo.json/nodes.json or squeue.json\n", fx);
		return 1;
	}
	g.items = cJSON_GetObjectItemCaseSensitive(nodes, "nodes");
	g.k = cJSON_GetArraySize(g.items);
	g.n = strtoul(argv[3], NULL, 10);
	FILE *f = out_open(outdir, "nodes.json");
	write_doc(f, nodes, "nodes", node_items, &g);
	fclose(f);
	if (v2205)
		partitions_txt(fx, outdir, &g);
	cJSON *jl = cJSON_DetachItemFromObjectCaseSensitive(jobs, "jobs");
	g.items = jl;
	g.k = cJSON_GetArraySize(jl);
	g.n = strtoul(argv[4], NULL, 10);
	for (int pass = 0; pass < 2; pass++) {
		g.renamed = pass == 1;
		cJSON_AddItemToObject(jobs, "jobs", cJSON_Duplicate(jl, true));
		f = out_open(outdir, pass ? "squeue-1pct.json" : "squeue.json");
		write_doc(f, jobs, "jobs", job_items, &g);
		fclose(f);
	}
	cJSON_Delete(jl);
	cJSON_Delete(jobs);
	cJSON_Delete(nodes);
	for (size_t i = 0; i < g.n_parts; i++)
		free(g.parts[i]);
	free(g.parts);
	free(g.part_nodes);
	return 0;
}
