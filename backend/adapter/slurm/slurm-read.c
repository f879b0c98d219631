/* slurm-read.c — what every Slurm parser reads with (see slurm-read.h):
 * typed getters that name the JSON path in their errors, the document's
 * meta and Slurm's own errors, line-by-line listings. */
#include "slurm-read.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/json-skip.h"
#include "slurm-map.h"
#include "slurm-parse.h"
#include "slurm-text.h"

/* Slurm's 32-bit "no value" and "infinite", as 22.05 prints them raw. */
#define NO_VAL32 4294967294.0
#define INFINITE32 4294967295.0
#define NUM_MAX 9.0e15 /* exact in a double */

static uint32_t key_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & (SLURM_RD_SLOTS - 1);
}

static void index_object(struct slurm_rd *c, const cJSON *obj)
{
	c->ix_obj = NULL;
	if (!cJSON_IsObject(obj))
		return;
	if (++c->ix_gen == 0) {
		memset(c->ix, 0, sizeof c->ix);
		c->ix_gen = 1;
	}
	size_t n = 0;
	for (const cJSON *e = obj->child; e; e = e->next) {
		if (++n > SLURM_RD_SLOTS * 3 / 4 || !e->string)
			return;   /* unusually wide: plain lookups */
		uint32_t h = key_hash(e->string);
		while (c->ix[h].gen == c->ix_gen && strcmp(c->ix[h].key, e->string) != 0)
			h = (h + 1) & (SLURM_RD_SLOTS - 1);
		if (c->ix[h].gen != c->ix_gen)   /* the first of duplicate keys wins, as in cJSON */
			c->ix[h] = (struct slurm_rd_slot){ e->string, e, c->ix_gen };
	}
	c->ix_obj = obj;
}

const cJSON *slurm_rd_lookup(const struct slurm_rd *c, const cJSON *obj, const char *key)
{
	if (!obj || obj != c->ix_obj)
		return cJSON_GetObjectItemCaseSensitive(obj, key);
	for (uint32_t h = key_hash(key); c->ix[h].gen == c->ix_gen; h = (h + 1) & (SLURM_RD_SLOTS - 1))
		if (strcmp(c->ix[h].key, key) == 0)
			return c->ix[h].val;
	return NULL;
}

static const char *type_name(const cJSON *j)
{
	if (!j)
		return "nothing";
	if (cJSON_IsString(j))
		return "string";
	if (cJSON_IsNumber(j))
		return "number";
	if (cJSON_IsArray(j))
		return "array";
	if (cJSON_IsObject(j))
		return "object";
	if (cJSON_IsBool(j))
		return "boolean";
	return "null";
}

int slurm_rd_fail(struct slurm_rd *c, const char *path, const char *what)
{
	return dc_err_set(c->err, "%s: %s%s%s: %s", c->src, c->where, c->where[0] && path[0] ? "." : "",
		path, what);
}

int slurm_rd_fail_type(struct slurm_rd *c, const char *path, const char *want, const cJSON *got)
{
	char m[96];
	snprintf(m, sizeof m, "expected %s, got %s", want, type_name(got));
	return slurm_rd_fail(c, path, m);
}

/* obj's member at a dotted path ("time.start"); NULL when absent or null.
 * An intermediate that is present but not an object is a type error. */
int slurm_rd_member(struct slurm_rd *c, const cJSON *obj, const char *path, const cJSON **out)
{
	const cJSON *j = obj;
	const char *p = path;
	char key[48];
	*out = NULL;
	if (j && p[0] && !strchr(p, '.') && strlen(p) < sizeof key) {
		/* one key, the common case: no copy */
		if (!cJSON_IsObject(j))
			return slurm_rd_fail_type(c, "", "object", j);
		j = slurm_rd_lookup(c, j, p);
		*out = cJSON_IsNull(j) ? NULL : j;
		return 0;
	}
	while (j && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof key)
			n = sizeof key - 1;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!cJSON_IsObject(j)) {
			char prefix[96];
			snprintf(prefix, sizeof prefix, "%.*s", p > path ? (int)(p - path - 1) : 0, path);
			return slurm_rd_fail_type(c, prefix, "object", j);
		}
		j = slurm_rd_lookup(c, j, key);
		p = dot ? dot + 1 : p + n;
	}
	*out = cJSON_IsNull(j) ? NULL : j;
	return 0;
}

/* A string member into the arena; "" when absent or null. */
int slurm_rd_str(struct slurm_rd *c, const cJSON *obj, const char *path, char **out)
{
	const cJSON *j;
	if (slurm_rd_member(c, obj, path, &j) < 0)
		return -1;
	if (j && !cJSON_IsString(j))
		return slurm_rd_fail_type(c, path, "string", j);
	*out = slurm_arena_strdup(c->a, j ? j->valuestring : "");
	return 0;
}

/* A user name: a string, or a number when Slurm could not resolve the uid. */
int slurm_rd_user(struct slurm_rd *c, const cJSON *obj, const char *path, char **out)
{
	const cJSON *j;
	if (slurm_rd_member(c, obj, path, &j) < 0)
		return -1;
	if (j && cJSON_IsNumber(j)) {
		char b[32];
		snprintf(b, sizeof b, "%.0f", j->valuedouble);
		*out = slurm_arena_strdup(c->a, b);
		return 0;
	}
	return slurm_rd_str(c, obj, path, out);
}

static int num_value(struct slurm_rd *c, const char *path, const cJSON *j, int64_t unset, int64_t *out)
{
	double d = j->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > NUM_MAX)
		return slurm_rd_fail(c, path, "number out of range or not whole");
	if (d == NO_VAL32 || d < 0)
		*out = unset;
	else if (d == INFINITE32)
		*out = SLURM_INFINITE;
	else
		*out = (int64_t)d;
	return 0;
}

/* A count or time: a number (22.05), or {set, infinite, number} (23.02+).
 * Absent, null, unset or negative: `unset`; infinite: SLURM_INFINITE. */
int slurm_rd_num(struct slurm_rd *c, const cJSON *obj, const char *path, int64_t unset, int64_t *out)
{
	const cJSON *j;
	if (slurm_rd_member(c, obj, path, &j) < 0)
		return -1;
	*out = unset;
	if (!j)
		return 0;
	if (cJSON_IsNumber(j))
		return num_value(c, path, j, unset, out);
	if (!cJSON_IsObject(j))
		return slurm_rd_fail_type(c, path, "number or {set, infinite, number}", j);
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(j, "set");
	const cJSON *inf = cJSON_GetObjectItemCaseSensitive(j, "infinite");
	const cJSON *num = cJSON_GetObjectItemCaseSensitive(j, "number");
	if (!cJSON_IsBool(set) || (inf && !cJSON_IsBool(inf)) || (num && !cJSON_IsNumber(num)))
		return slurm_rd_fail(c, path, "expected {set: boolean, infinite: boolean, number: number}");
	if (cJSON_IsTrue(inf))
		*out = SLURM_INFINITE;
	else if (cJSON_IsTrue(set) && num)
		return num_value(c, path, num, unset, out);
	return 0;
}

int slurm_rd_int(struct slurm_rd *c, const cJSON *obj, const char *path, int unset, int *out)
{
	int64_t v;
	if (slurm_rd_num(c, obj, path, unset, &v) < 0)
		return -1;
	*out = v > INT32_MAX ? INT32_MAX : (int)v;
	return 0;
}

/* A list of strings, or one comma-separated string (both appear for
 * partitions and flags across releases). Words go to the arena. */
int slurm_rd_words(struct slurm_rd *c, const cJSON *obj, const char *path, char ***out, size_t *n)
{
	const cJSON *j;
	if (slurm_rd_member(c, obj, path, &j) < 0)
		return -1;
	*out = NULL;
	*n = 0;
	if (!j)
		return 0;
	if (cJSON_IsString(j)) {
		const char *s = j->valuestring;
		size_t cnt = *s ? 1 : 0;
		for (const char *p = s; *p; p++)
			cnt += *p == ',';
		char **w = slurm_arena_alloc(c->a, (cnt ? cnt : 1) * sizeof *w);
		size_t k = 0;
		for (const char *p = s; *p && k < cnt;) {
			const char *e = strchr(p, ',');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			if (len)
				w[k++] = slurm_arena_strndup(c->a, p, len);
			p += len + (e ? 1 : 0);
		}
		*out = w;
		*n = k;
		return 0;
	}
	if (!cJSON_IsArray(j))
		return slurm_rd_fail_type(c, path, "string or array", j);
	size_t cnt = (size_t)cJSON_GetArraySize(j), k = 0;
	char **w = slurm_arena_alloc(c->a, (cnt ? cnt : 1) * sizeof *w);
	const cJSON *e;
	cJSON_ArrayForEach(e, j) {
		if (!cJSON_IsString(e)) {
			char p[80];
			snprintf(p, sizeof p, "%s[%zu]", path, k);
			return slurm_rd_fail_type(c, p, "string", e);
		}
		w[k++] = slurm_arena_strdup(c->a, e->valuestring);
	}
	*out = w;
	*n = k;
	return 0;
}

int slurm_rd_fail_text(struct slurm_rd *c, const char *path, struct dc_err *inner)
{
	return slurm_rd_fail(c, path, inner->msg);
}

int slurm_rd_hosts(struct slurm_rd *c, const char *path, const char *hosts, char ***list, size_t *n)
{
	struct dc_err e;
	if (slurm_hostlist_expand(hosts, SLURM_HOSTLIST_MAX, c->a, list, n, &e) < 0)
		return slurm_rd_fail_text(c, path, &e);
	return 0;
}

void *slurm_rd_grow_next(struct slurm_rd_grow *g)
{
	if (g->n >= SLURM_ITEMS_MAX)
		return NULL;
	*g->items = xgrow(*g->items, &g->cap, g->n + 1, g->size);
	void *p = (char *)*g->items + g->n * g->size;
	memset(p, 0, g->size);
	g->n++;
	return p;
}

/* Moves a malloc'd array into the arena. */
void *slurm_rd_to_arena(struct slurm_arena *a, void *items, size_t n, size_t size)
{
	void *arr = slurm_arena_alloc(a, (n ? n : 1) * size);
	if (n)
		memcpy(arr, items, n * size);
	free(items);
	return arr;
}

/* ---- the document: size, JSON, meta, Slurm's own errors ---- */

static int set_version(struct slurm_version *v, struct dc_err *err, const char *src)
{
	if (v->major == 0 && v->data_parser[0]) {
		/* no release numbers: the data_parser plugin names the shape */
		static const struct { const char *tag; int major, minor; } dp[] = {
			{ "v0.0.38", 22, 5 }, { "v0.0.39", 23, 2 }, { "v0.0.40", 23, 11 }, { "v0.0.41", 24, 5 },
		};
		for (size_t i = 0; i < DC_ARRAY_LEN(dp); i++)
			if (strstr(v->data_parser, dp[i].tag)) {
				v->major = dp[i].major;
				v->minor = dp[i].minor;
			}
	}
	int ver = v->major * 100 + v->minor;
	if (v->major == 0)
		return dc_err_set(err, "%s: meta: no Slurm release (meta.Slurm.version or meta.slurm.version)",
			src);
	if (ver < 2205)
		return dc_err_set(err, "%s: meta: Slurm %d.%02d is older than 22.05, the oldest supported",
			src, v->major, v->minor);
	v->shape = ver < 2302 ? SLURM_SHAPE_2205 : ver < 2311 ? SLURM_SHAPE_2302 : SLURM_SHAPE_2311;
	v->newer_than_tested = ver > 2405;
	return 0;
}

/* A version part: a number (22.05, 23.02) or a digit string (23.11+). */
static int version_part(const cJSON *j)
{
	if (cJSON_IsNumber(j) && j->valuedouble >= 0 && j->valuedouble < 1000)
		return (int)j->valuedouble;
	if (cJSON_IsString(j)) {
		char *end;
		long x = strtol(j->valuestring, &end, 10);
		if (end != j->valuestring && *end == '\0' && x >= 0 && x < 1000)
			return (int)x;
	}
	return 0;
}

static void copy_field(char *dst, size_t cap, const cJSON *j)
{
	if (cJSON_IsString(j))
		snprintf(dst, cap, "%s", j->valuestring);
}

int slurm_rd_meta(const cJSON *root, struct slurm_version *v, struct dc_err *err, const char *src)
{
	memset(v, 0, sizeof *v);
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
	if (!cJSON_IsObject(meta))
		return dc_err_set(err, "%s: meta: expected object, got %s (is this Slurm's JSON output?)",
			src, type_name(meta));
	const cJSON *sl = cJSON_GetObjectItemCaseSensitive(meta, "Slurm");
	if (!sl)
		sl = cJSON_GetObjectItemCaseSensitive(meta, "slurm");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(sl, "version");
	v->major = version_part(cJSON_GetObjectItemCaseSensitive(ver, "major"));
	v->minor = version_part(cJSON_GetObjectItemCaseSensitive(ver, "minor"));
	v->micro = version_part(cJSON_GetObjectItemCaseSensitive(ver, "micro"));
	copy_field(v->release, sizeof v->release, cJSON_GetObjectItemCaseSensitive(sl, "release"));
	if (v->major == 0 && v->release[0]) {
		int ma = 0, mi = 0, mc = 0;
		if (sscanf(v->release, "%d.%d.%d", &ma, &mi, &mc) >= 2 && ma > 0 && ma < 1000 && mi >= 0 &&
		    mi < 1000) {
			v->major = ma;
			v->minor = mi;
			v->micro = mc;
		}
	}
	const cJSON *plugin = cJSON_GetObjectItemCaseSensitive(meta, "plugin");
	if (!plugin)
		plugin = cJSON_GetObjectItemCaseSensitive(meta, "plugins");
	copy_field(v->data_parser, sizeof v->data_parser, cJSON_GetObjectItemCaseSensitive(plugin, "data_parser"));
	if (!v->data_parser[0])
		copy_field(v->data_parser, sizeof v->data_parser, cJSON_GetObjectItemCaseSensitive(plugin, "type"));
	return set_version(v, err, src);
}

static int slurm_errors(const cJSON *root, struct dc_err *err, const char *src)
{
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
	if (!cJSON_IsArray(errs) || cJSON_GetArraySize(errs) == 0)
		return 0;
	const cJSON *e = cJSON_GetArrayItem(errs, 0);
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "description");
	if (!cJSON_IsString(msg) || !msg->valuestring[0])
		msg = cJSON_GetObjectItemCaseSensitive(e, "error");
	char q[200];
	return dc_err_set(err, "%s: Slurm reported an error: \"%s\"", src,
		slurm_quote(cJSON_IsString(msg) ? msg->valuestring : "(no message)", q, sizeof q));
}

bool slurm_rd_is_json(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			return text[i] == '{';
	return false;
}

/* Reads the document in one pass (see slurm-read.h). A text that does
 * not start as an object gets cJSON's own verdict, so the messages stay
 * the same. */
int slurm_rd_doc(const char *src, const char *text, size_t len, const char *list_key, const char *const *want,
		slurm_scan_span_fn *span, slurm_scan_fn *fn, void *arg, struct slurm_scan_doc *doc,
		struct slurm_version *v, struct dc_err *err)
{
	memset(doc, 0, sizeof *doc);
	if (len > SLURM_INPUT_MAX)
		return dc_err_set(err, "%s: output is %zu bytes, more than the %zu allowed", src, len,
			SLURM_INPUT_MAX);
	if (!jskip_is_object(text, len)) {
		const char *end = NULL;
		cJSON *r = cJSON_ParseWithLengthOpts(text, len, &end, false);
		size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		if (!r)
			return dc_err_set(err, "%s: not valid JSON (at byte %zu of %zu)", src, at, len);
		dc_err_set(err, "%s: expected a JSON object, got %s", src, type_name(r));
		cJSON_Delete(r);
		return -1;
	}
	if (slurm_scan_run_spans(doc, src, text, len, list_key, want, span, fn, arg, err) < 0)
		return -1;
	/* the document's own verdicts come before an element's */
	int rc = 0;
	if (slurm_errors(doc->root, err, src) < 0 || slurm_rd_meta(doc->root, v, err, src) < 0)
		rc = -1;
	else if (!doc->have_list)
		rc = dc_err_set(err, "%s: %s: expected array, got %s", src, list_key,
			type_name(cJSON_GetObjectItemCaseSensitive(doc->root, list_key)));
	else if (doc->item_failed)
		rc = -1;
	if (rc < 0)
		slurm_scan_close(doc);
	return rc;
}

void slurm_rd_item(struct slurm_rd *c, const char *list, size_t i, const cJSON *item)
{
	/* "list[i]" by hand: snprintf here was a measurable share of a
	 * 100,000-job parse */
	size_t n = strlen(list), k = 0;
	char digits[24];
	if (n > sizeof c->where - sizeof digits - 3)
		n = sizeof c->where - sizeof digits - 3;
	memcpy(c->where, list, n);
	do
		digits[k++] = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	c->where[n++] = '[';
	while (k)
		c->where[n++] = digits[--k];
	c->where[n++] = ']';
	c->where[n] = '\0';
	index_object(c, item);
}

int slurm_rd_object(struct slurm_rd *c, const cJSON *item)
{
	if (!cJSON_IsObject(item))
		return slurm_rd_fail_type(c, "", "object", item);
	return 0;
}

/* Runs fn on each non-empty line (CR LF too) of a listing. */
int slurm_rd_lines(struct slurm_rd *c, const char *text, size_t len,
		int (*fn)(struct slurm_rd *, char *, size_t, void *), void *arg)
{
	if (len > SLURM_INPUT_MAX)
		return dc_err_set(c->err, "%s: output is %zu bytes, more than the %zu allowed", c->src, len,
			SLURM_INPUT_MAX);
	if (memchr(text, '\0', len))
		return dc_err_set(c->err, "%s: output holds a NUL byte", c->src);
	char *copy = xstrndup(text, len);
	size_t lineno = 0;
	int rc = 0;
	for (char *p = copy; rc == 0 && p; lineno++) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		size_t l = strlen(p);
		if (l && p[l - 1] == '\r')
			p[--l] = '\0';
		snprintf(c->where, sizeof c->where, "line %zu", lineno + 1);
		if (l)
			rc = fn(c, p, lineno + 1, arg);
		p = nl ? nl + 1 : NULL;
	}
	free(copy);
	return rc;
}

int slurm_rd_tres_gpus(struct slurm_rd *c, const char *path, const char *tres, int64_t *out)
{
	struct slurm_tres t;
	struct dc_err e;
	if (slurm_tres_parse(tres, &t, &e) < 0)
		return slurm_rd_fail_text(c, path, &e);
	*out = t.gpus;
	return 0;
}

/* A partition's common end, JSON or text: GPUs from its TRES, state, nodes. */
int slurm_rd_partition(struct slurm_rd *c, struct slurm_partition *p, const char *tres, const char *state)
{
	struct slurm_tres t;
	struct dc_err e;
	if (!p->name[0])
		return slurm_rd_fail(c, "name", "missing or empty");
	if (slurm_tres_parse(tres, &t, &e) < 0)
		return slurm_rd_fail_text(c, "tres", &e);
	p->total_gpus = (int)(t.gpus > INT32_MAX ? INT32_MAX : t.gpus);
	if (p->total_gpus < 0 && tres[0])
		p->total_gpus = 0;   /* a TRES with no gres/gpu: a partition without GPUs */
	p->state = state[0] ? slurm_part_state_parse(state) : SLURM_PART_UP;
	p->state_text = slurm_arena_strdup(c->a, state[0] ? state : "UP");
	return slurm_rd_hosts(c, "nodes", p->nodes, &p->node_list, &p->n_node_list);
}
