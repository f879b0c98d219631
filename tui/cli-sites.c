/* cli-sites.c — a script command over several sites (`dcops status
 * --sites a,b`, `dcops report handover --sites a,b`): the command runs once
 * per site, inside that site's profile and tunnel (script.h), exactly as
 * `--profile NAME` would run it; each run's output becomes the site's
 * section and a combined summary follows.
 *
 *   text  "== site NAME ==" sections, then "== all sites ==": one line per
 *         site (ok, or why not) and the combined counts
 *   md    "## Site NAME" sections, then "## All sites", tables
 *   json  {"sites": [{"site", "ok", "exit", "result"}...], "combined"}
 * The combined counts are the sites' JSON results added key by key
 * (json_add); for text and md each answering site is asked once more for
 * its JSON (c->sites_json names the option).
 *
 * A site that cannot be reached is a section saying so; the others still
 * run. Each run's stderr lines come out prefixed with "site NAME: ". The
 * exit status is the highest of the runs'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "config.h"
#include "text.h"

enum fmt { F_TEXT, F_MD, F_JSON };

/* The output format the command was asked for (status --json, report
 * --format X). */
static enum fmt fmt_of(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		if (strcmp(argv[i], "--json") == 0)
			return F_JSON;
		if (strncmp(argv[i], "--format=", 9) == 0)
			v = argv[i] + 9;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			v = argv[i + 1];
		if (v)
			return strcmp(v, "json") == 0 ? F_JSON : strcmp(v, "md") == 0 ? F_MD : F_TEXT;
	}
	return F_TEXT;
}

static char *slurp(FILE *f)
{
	struct sb sb = { 0 };
	char buf[4096];
	size_t n;
	rewind(f);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_appendn(&sb, buf, n);
	return sb_take(&sb);
}

struct run {
	int rc;
	char *out, *err;
};

/* Runs c at one site with its stdout and stderr caught. */
static void run_site(const struct cli_cmd *c, const struct dc_opts *o, const char *site, int argc,
                     char **argv, struct run *r)
{
	struct dc_opts so = *o;
	so.sites = NULL;
	so.profile = site;
	FILE *out = tmpfile(), *err = tmpfile();
	if (!out || !err) {
		if (out)
			fclose(out);
		if (err)
			fclose(err);
		r->rc = 1;
		r->out = xstrdup("");
		r->err = xstrdup("dcops: cannot make a temporary file for its output\n");
		return;
	}
	fflush(stdout);
	fflush(stderr);
	int o1 = dup(STDOUT_FILENO), o2 = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	char **args = xcalloc((size_t)argc + 1, sizeof *args);
	memcpy(args, argv, (size_t)argc * sizeof *args);
	r->rc = cli_run(c, &so, argc, args);
	free(args);
	fflush(stdout);
	fflush(stderr);
	dup2(o1, STDOUT_FILENO);
	dup2(o2, STDERR_FILENO);
	close(o1);
	close(o2);
	r->out = slurp(out);
	r->err = slurp(err);
	fclose(out);
	fclose(err);
}

/* Keys that describe the output, or where a site's answer came from
 * (status's "database": its server, standby, replay lag), not the site's
 * counts: never summed. */
static bool json_meta(const char *key)
{
	return strcmp(key, "version") == 0 || strcmp(key, "utc_offset_s") == 0 || strcmp(key, "database") == 0;
}

/* Adds one site's result into the combined counts: numbers are summed
 * (ages, "_age_s", take the largest: the stalest site), lists count their
 * entries, objects recurse; text is per site and left out. */
static void json_add(cJSON *acc, const cJSON *res)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, res) {
		if (!v->string || json_meta(v->string))
			continue;
		cJSON *have = cJSON_GetObjectItemCaseSensitive(acc, v->string);
		if (cJSON_IsObject(v)) {
			if (!have)
				have = cJSON_AddObjectToObject(acc, v->string);
			if (cJSON_IsObject(have))
				json_add(have, v);
			continue;
		}
		if (!cJSON_IsNumber(v) && !cJSON_IsArray(v))
			continue;
		double x = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : v->valuedouble;
		size_t kl = strlen(v->string);
		bool age = kl > 6 && strcmp(v->string + kl - 6, "_age_s") == 0;
		if (!have)
			cJSON_AddNumberToObject(acc, v->string, x);
		else if (cJSON_IsNumber(have))
			cJSON_SetNumberValue(have, age ? (x > have->valuedouble ? x : have->valuedouble)
			                               : have->valuedouble + x);
	}
}

/* The combined counts as "path value" lines (md: table rows). */
static void print_flat(const cJSON *o, const char *prefix, bool md)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, o) {
		char path[256];
		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", v->string);
		if (cJSON_IsObject(v))
			print_flat(v, path, md);
		else
			printf(md ? "| %s | %.15g |\n" : "  %-32s %.15g\n", path, v->valuedouble);
	}
}

static void print_json(char names[][64], size_t n, const struct run *r)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "sites");
	cJSON *combined = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "site", names[i]);
		cJSON_AddBoolToObject(s, "ok", r[i].rc == 0);
		cJSON_AddNumberToObject(s, "exit", r[i].rc);
		cJSON *res = r[i].rc == 0 ? cJSON_Parse(r[i].out) : NULL;
		if (res && cJSON_IsObject(res))
			json_add(combined, res);
		if (res)
			cJSON_AddItemToObject(s, "result", res);
		else
			cJSON_AddStringToObject(s, "error", r[i].err);
		cJSON_AddItemToArray(arr, s);
	}
	cJSON_AddItemToObject(root, "combined", combined);
	text_json_print(stdout, root);
	cJSON_Delete(root);
}

/* The first line of a run's stderr, without "dcops: " and the newline. */
static void first_err(const char *err, char *buf, size_t n)
{
	if (strncmp(err, "dcops: ", 7) == 0)
		err += 7;
	snprintf(buf, n, "%.*s", (int)strcspn(err, "\n"), err);
}

static void print_sections(enum fmt f, char names[][64], size_t n, const struct run *r,
                           const cJSON *combined)
{
	size_t ok = 0;
	for (size_t i = 0; i < n; i++) {
		char why[256];
		first_err(r[i].err, why, sizeof why);
		printf(f == F_MD ? "## Site %s\n\n" : "== site %s ==\n", names[i]);
		if (r[i].rc == 0)
			fputs(r[i].out, stdout);
		else
			printf("%s%s\n", f == F_MD ? "**not reached**: " : "NOT REACHED: ", why);
		printf("\n");
		ok += r[i].rc == 0;
	}
	printf(f == F_MD ? "## All sites\n\n%zu of %zu answered\n\n| site | result |\n|---|---|\n"
	                 : "== all sites ==\n%zu of %zu answered\n", ok, n);
	for (size_t i = 0; i < n; i++) {
		char why[256];
		first_err(r[i].err, why, sizeof why);
		printf(f == F_MD ? "| %s | %s |\n" : "  %-12s %s\n", names[i], r[i].rc == 0 ? "ok" : why);
	}
	if (!combined || !combined->child)
		return;
	printf(f == F_MD ? "\n| combined | |\n|---|---|\n" : "combined (the answering sites)\n");
	print_flat(combined, "", f == F_MD);
}

/* argv with its format options replaced by json (c->sites_json). */
static char **json_args(const struct cli_cmd *c, int argc, char **argv, int *out)
{
	char **a = xcalloc((size_t)argc + 2, sizeof *a);
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			i++;
			continue;
		}
		if (i > 0 && (strcmp(argv[i], "--json") == 0 || strncmp(argv[i], "--format=", 9) == 0))
			continue;
		a[n++] = argv[i];
	}
	a[n++] = (char *)c->sites_json;
	*out = n;
	return a;
}

int cli_run_sites(const struct cli_cmd *c, const struct dc_opts *o, int argc, char **argv)
{
	char names[CONFIG_MAX_SITES][64];
	size_t n = 0;
	const char *list = o->sites;
	for (const char *p = list; *p; n++) {
		size_t len = strcspn(p, ",");
		if (len == 0 || len >= 64 || n == CONFIG_MAX_SITES) {
			text_putline(stderr, "dcops: --sites %s: expected up to %d profile names, NAME,NAME", list,
			             CONFIG_MAX_SITES);
			return 2;
		}
		snprintf(names[n], 64, "%.*s", (int)len, p);
		if (!config_profile(o->cfg, names[n])) {
			text_putline(stderr, "dcops: --sites: no profile named '%s' in %s", names[n],
			             o->cfg->path ? o->cfg->path : "the config");
			return 2;
		}
		p += len + (p[len] == ',');
	}
	if (o->db) {
		fprintf(stderr, "dcops: --db names one database; with --sites each site's is its profile's\n");
		return 2;
	}
	struct run r[CONFIG_MAX_SITES];
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		run_site(c, o, names[i], argc, argv, &r[i]);
		/* usage errors are the same at every site: say it once */
		if (r[i].rc == 2) {
			fputs(r[i].err, stderr);
			for (size_t k = 0; k <= i; k++) {
				free(r[k].out);
				free(r[k].err);
			}
			return 2;
		}
		for (const char *l = r[i].err; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n'))
			fprintf(stderr, "site %s: %.*s\n", names[i], (int)strcspn(l, "\n"), l);
		rc = r[i].rc > rc ? r[i].rc : rc;
	}
	enum fmt f = fmt_of(argc, argv);
	if (f == F_JSON) {
		print_json(names, n, r);
	} else {
		/* the combined counts come from each site's json, asked again */
		cJSON *combined = cJSON_CreateObject();
		int jn;
		char **ja = json_args(c, argc, argv, &jn);
		for (size_t i = 0; c->sites_json && i < n; i++) {
			if (r[i].rc != 0)
				continue;
			struct run j;
			run_site(c, o, names[i], jn, ja, &j);
			cJSON *res = j.rc == 0 ? cJSON_Parse(j.out) : NULL;
			if (cJSON_IsObject(res))
				json_add(combined, res);
			cJSON_Delete(res);
			free(j.out);
			free(j.err);
		}
		free(ja);
		print_sections(f, names, n, r, combined);
		cJSON_Delete(combined);
	}
	for (size_t i = 0; i < n; i++) {
		free(r[i].out);
		free(r[i].err);
	}
	return rc;
}
