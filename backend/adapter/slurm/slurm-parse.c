/* slurm-parse.c — JSON and text output of the Slurm commands into sets
 * (see slurm-parse.h for the sources and shapes per release). Every value
 * is read through the typed getters below, which name the JSON path in
 * their errors; every set is built fresh and handed over only whole. */
#include "slurm-parse.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm-map.h"
#include "slurm-text.h"

/* Slurm's 32-bit "no value" and "infinite", as 22.05 prints them raw. */
#define NO_VAL32 4294967294.0
#define INFINITE32 4294967295.0
#define NUM_MAX 9.0e15 /* exact in a double */

/* Each item's keys are hashed once: a job object has over 100 keys and ~40
 * are read, which cJSON would find by walking the list each time. */
#define IX_SLOTS 256
struct ix_slot {
	const char *key;
	const cJSON *val;
	unsigned gen;
};

struct pctx {
	const char *src;           /* "squeue", for messages */
	struct dc_err *err;
	struct slurm_arena *a;
	enum slurm_shape shape;
	char where[64];            /* "jobs[12]" */
	const cJSON *ix_obj;       /* the object ix holds, NULL when none */
	unsigned ix_gen;           /* slots of other generations are empty */
	struct ix_slot ix[IX_SLOTS];
};

static uint32_t key_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & (IX_SLOTS - 1);
}

static void index_object(struct pctx *c, const cJSON *obj)
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
		if (++n > IX_SLOTS * 3 / 4 || !e->string)
			return;   /* unusually wide: plain lookups */
		uint32_t h = key_hash(e->string);
		while (c->ix[h].gen == c->ix_gen && strcmp(c->ix[h].key, e->string) != 0)
			h = (h + 1) & (IX_SLOTS - 1);
		if (c->ix[h].gen != c->ix_gen)   /* the first of duplicate keys wins, as in cJSON */
			c->ix[h] = (struct ix_slot){ e->string, e, c->ix_gen };
	}
	c->ix_obj = obj;
}

static const cJSON *lookup(const struct pctx *c, const cJSON *obj, const char *key)
{
	if (!obj || obj != c->ix_obj)
		return cJSON_GetObjectItemCaseSensitive(obj, key);
	for (uint32_t h = key_hash(key); c->ix[h].gen == c->ix_gen; h = (h + 1) & (IX_SLOTS - 1))
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

static int fail_at(struct pctx *c, const char *path, const char *what)
{
	return dc_err_set(c->err, "%s: %s%s%s: %s", c->src, c->where, c->where[0] && path[0] ? "." : "",
		path, what);
}

static int fail_type(struct pctx *c, const char *path, const char *want, const cJSON *got)
{
	char m[96];
	snprintf(m, sizeof m, "expected %s, got %s", want, type_name(got));
	return fail_at(c, path, m);
}

/* obj's member at a dotted path ("time.start"); NULL when absent or null.
 * An intermediate that is present but not an object is a type error. */
static int member(struct pctx *c, const cJSON *obj, const char *path, const cJSON **out)
{
	const cJSON *j = obj;
	const char *p = path;
	char key[48];
	*out = NULL;
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
			return fail_type(c, prefix, "object", j);
		}
		j = lookup(c, j, key);
		p = dot ? dot + 1 : p + n;
	}
	*out = cJSON_IsNull(j) ? NULL : j;
	return 0;
}

/* A string member into the arena; "" when absent or null. */
static int get_str(struct pctx *c, const cJSON *obj, const char *path, char **out)
{
	const cJSON *j;
	if (member(c, obj, path, &j) < 0)
		return -1;
	if (j && !cJSON_IsString(j))
		return fail_type(c, path, "string", j);
	*out = slurm_arena_strdup(c->a, j ? j->valuestring : "");
	return 0;
}

/* A user name: a string, or a number when Slurm could not resolve the uid. */
static int get_user(struct pctx *c, const cJSON *obj, const char *path, char **out)
{
	const cJSON *j;
	if (member(c, obj, path, &j) < 0)
		return -1;
	if (j && cJSON_IsNumber(j)) {
		char b[32];
		snprintf(b, sizeof b, "%.0f", j->valuedouble);
		*out = slurm_arena_strdup(c->a, b);
		return 0;
	}
	return get_str(c, obj, path, out);
}

static int num_value(struct pctx *c, const char *path, const cJSON *j, int64_t unset, int64_t *out)
{
	double d = j->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > NUM_MAX)
		return fail_at(c, path, "number out of range or not whole");
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
static int get_num(struct pctx *c, const cJSON *obj, const char *path, int64_t unset, int64_t *out)
{
	const cJSON *j;
	if (member(c, obj, path, &j) < 0)
		return -1;
	*out = unset;
	if (!j)
		return 0;
	if (cJSON_IsNumber(j))
		return num_value(c, path, j, unset, out);
	if (!cJSON_IsObject(j))
		return fail_type(c, path, "number or {set, infinite, number}", j);
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(j, "set");
	const cJSON *inf = cJSON_GetObjectItemCaseSensitive(j, "infinite");
	const cJSON *num = cJSON_GetObjectItemCaseSensitive(j, "number");
	if (!cJSON_IsBool(set) || (inf && !cJSON_IsBool(inf)) || (num && !cJSON_IsNumber(num)))
		return fail_at(c, path, "expected {set: boolean, infinite: boolean, number: number}");
	if (cJSON_IsTrue(inf))
		*out = SLURM_INFINITE;
	else if (cJSON_IsTrue(set) && num)
		return num_value(c, path, num, unset, out);
	return 0;
}

static int get_int(struct pctx *c, const cJSON *obj, const char *path, int unset, int *out)
{
	int64_t v;
	if (get_num(c, obj, path, unset, &v) < 0)
		return -1;
	*out = v > INT32_MAX ? INT32_MAX : (int)v;
	return 0;
}

/* A list of strings, or one comma-separated string (both appear for
 * partitions and flags across releases). Words go to the arena. */
static int get_words(struct pctx *c, const cJSON *obj, const char *path, char ***out, size_t *n)
{
	const cJSON *j;
	if (member(c, obj, path, &j) < 0)
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
		return fail_type(c, path, "string or array", j);
	size_t cnt = (size_t)cJSON_GetArraySize(j), k = 0;
	char **w = slurm_arena_alloc(c->a, (cnt ? cnt : 1) * sizeof *w);
	const cJSON *e;
	cJSON_ArrayForEach(e, j) {
		if (!cJSON_IsString(e)) {
			char p[80];
			snprintf(p, sizeof p, "%s[%zu]", path, k);
			return fail_type(c, p, "string", e);
		}
		w[k++] = slurm_arena_strdup(c->a, e->valuestring);
	}
	*out = w;
	*n = k;
	return 0;
}

static int text_fail(struct pctx *c, const char *path, struct dc_err *inner)
{
	return fail_at(c, path, inner->msg);
}

static int expand_hosts(struct pctx *c, const char *path, const char *hosts, char ***list, size_t *n)
{
	struct dc_err e;
	if (slurm_hostlist_expand(hosts, SLURM_HOSTLIST_MAX, c->a, list, n, &e) < 0)
		return text_fail(c, path, &e);
	return 0;
}

struct grow {
	void **items;
	size_t n, cap, size;
};

static void *grow_next(struct grow *g)
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
static void *to_arena(struct slurm_arena *a, void *items, size_t n, size_t size)
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

static int read_meta(const cJSON *root, struct slurm_version *v, struct dc_err *err, const char *src)
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

static bool looks_json(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			return text[i] == '{';
	return false;
}

/* Parses the document and finds its list; *root to cJSON_Delete. */
static int open_doc(const char *src, const char *text, size_t len, const char *list_key, cJSON **root,
		const cJSON **list, struct slurm_version *v, struct dc_err *err)
{
	*root = NULL;
	if (len > SLURM_INPUT_MAX)
		return dc_err_set(err, "%s: output is %zu bytes, more than the %zu allowed", src, len,
			SLURM_INPUT_MAX);
	const char *end = NULL;
	cJSON *r = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!r) {
		size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		return dc_err_set(err, "%s: not valid JSON (at byte %zu of %zu)", src, at, len);
	}
	int rc = 0;
	if (!cJSON_IsObject(r))
		rc = dc_err_set(err, "%s: expected a JSON object, got %s", src, type_name(r));
	else if (slurm_errors(r, err, src) < 0 || read_meta(r, v, err, src) < 0)
		rc = -1;
	if (rc == 0) {
		*list = cJSON_GetObjectItemCaseSensitive(r, list_key);
		if (!cJSON_IsArray(*list))
			rc = dc_err_set(err, "%s: %s: expected array, got %s", src, list_key, type_name(*list));
		else if (cJSON_GetArraySize(*list) > SLURM_ITEMS_MAX)
			rc = dc_err_set(err, "%s: %s: more than %d items", src, list_key, SLURM_ITEMS_MAX);
	}
	if (rc < 0) {
		cJSON_Delete(r);
		return -1;
	}
	*root = r;
	return 0;
}

static void ctx_item(struct pctx *c, const char *list, size_t i, const cJSON *item)
{
	snprintf(c->where, sizeof c->where, "%s[%zu]", list, i);
	index_object(c, item);
}

static int want_object(struct pctx *c, const cJSON *item)
{
	if (!cJSON_IsObject(item))
		return fail_type(c, "", "object", item);
	return 0;
}

/* ---- nodes ---- */

static void state_text_add(struct sb *sb, const char *w)
{
	if (sb->len)
		sb_append(sb, "+");
	for (const char *p = w; *p; p++) {
		char ch = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
		sb_appendn(sb, &ch, 1);
	}
}

/* 22.05: "state": "idle" plus "state_flags": ["DRAIN"]; 23.02+: "state":
 * ["IDLE", "DRAIN"]. Either is accepted on any release. */
static int node_state(struct pctx *c, const cJSON *item, struct slurm_node *n)
{
	const cJSON *st = lookup(c, item, "state");
	char **words = NULL, **flags = NULL;
	size_t nw = 0, nf = 0;
	if (st && !cJSON_IsString(st) && !cJSON_IsArray(st))
		return fail_type(c, "state", "string or array", st);
	if (get_words(c, item, "state", &words, &nw) < 0 || get_words(c, item, "state_flags", &flags, &nf) < 0)
		return -1;
	struct sb sb = { 0 };
	bool have_base = false;
	n->base = SLURM_NODE_UNKNOWN;
	for (size_t i = 0; i < nw + nf; i++) {
		const char *w = i < nw ? words[i] : flags[i - nw];
		int b = slurm_node_base_parse(w);
		if (b >= 0 && !have_base) {
			n->base = (enum slurm_node_base)b;
			have_base = true;
		} else {
			unsigned f = slurm_node_flag_parse(w);
			n->flags |= f ? f : SLURM_NF_OTHER;
		}
		state_text_add(&sb, w);
	}
	n->state_text = slurm_arena_strdup(c->a, sb.buf ? sb.buf : "");
	sb_free(&sb);
	n->dcops = slurm_map_node(n->base, n->flags);
	return 0;
}

static int node_gres(struct pctx *c, struct slurm_node *n, const char *gres, const char *used)
{
	char type[32];
	struct dc_err e;
	if (slurm_gres_gpus(gres, &n->gpus, type, sizeof type, &e) < 0)
		return text_fail(c, "gres", &e);
	n->gpu_type = slurm_arena_strdup(c->a, type);
	if (slurm_gres_gpus(used, &n->gpus_used, type, sizeof type, &e) < 0)
		return text_fail(c, "gres_used", &e);
	return 0;
}

static int parse_node(struct pctx *c, const cJSON *item, struct slurm_node *n)
{
	char *gres, *gres_used;
	if (want_object(c, item) < 0 || get_str(c, item, "name", &n->name) < 0)
		return -1;
	if (!n->name[0])
		return fail_at(c, "name", "missing or empty");
	if (node_state(c, item, n) < 0 ||
	    get_words(c, item, "partitions", &n->partitions, &n->n_partitions) < 0 ||
	    get_str(c, item, "reason", &n->reason) < 0 ||
	    get_user(c, item, "reason_set_by_user", &n->reason_set_by_user) < 0 ||
	    get_num(c, item, "reason_changed_at", 0, &n->reason_time) < 0 ||
	    get_str(c, item, "gres", &gres) < 0 || get_str(c, item, "gres_used", &gres_used) < 0 ||
	    node_gres(c, n, gres, gres_used) < 0 ||
	    get_int(c, item, "cpus", 0, &n->cpus) < 0 || get_int(c, item, "alloc_cpus", -1, &n->cpus_alloc) < 0 ||
	    get_num(c, item, "real_memory", 0, &n->real_memory_mb) < 0 ||
	    get_num(c, item, "boot_time", 0, &n->boot_time) < 0 ||
	    get_str(c, item, "comment", &n->comment) < 0 ||
	    get_str(c, item, "reservation", &n->reservation) < 0)
		return -1;
	/* 22.05 names uid 0 ("root") as the setter of a reason never set */
	if (!n->reason[0]) {
		n->reason_set_by_user[0] = '\0';
		n->reason_time = 0;
	}
	return 0;
}

int slurm_parse_nodes(const char *text, size_t len, struct slurm_node_set *out, struct dc_err *err)
{
	struct slurm_node_set s = { 0 };
	cJSON *root;
	const cJSON *list, *item;
	const char *src = "nodes JSON";
	if (open_doc(src, text, len, "nodes", &root, &list, &s.version, err) < 0)
		return -1;
	struct pctx c = { .src = src, .err = err, .a = &s.arena, .shape = s.version.shape };
	size_t cnt = (size_t)cJSON_GetArraySize(list);
	s.items = slurm_arena_alloc(&s.arena, (cnt ? cnt : 1) * sizeof *s.items);
	cJSON_ArrayForEach(item, list) {
		ctx_item(&c, "nodes", s.n, item);
		if (parse_node(&c, item, &s.items[s.n]) < 0) {
			cJSON_Delete(root);
			slurm_node_set_free(&s);
			return -1;
		}
		s.n++;
	}
	cJSON_Delete(root);
	*out = s;
	return 0;
}

/* ---- partitions ---- */

static int part_finish(struct pctx *c, struct slurm_partition *p, const char *tres, const char *state)
{
	struct slurm_tres t;
	struct dc_err e;
	if (!p->name[0])
		return fail_at(c, "name", "missing or empty");
	if (slurm_tres_parse(tres, &t, &e) < 0)
		return text_fail(c, "tres", &e);
	p->total_gpus = (int)(t.gpus > INT32_MAX ? INT32_MAX : t.gpus);
	if (p->total_gpus < 0 && tres[0])
		p->total_gpus = 0;   /* a TRES with no gres/gpu: a partition without GPUs */
	p->state = state[0] ? slurm_part_state_parse(state) : SLURM_PART_UP;
	p->state_text = slurm_arena_strdup(c->a, state[0] ? state : "UP");
	return expand_hosts(c, "nodes", p->nodes, &p->node_list, &p->n_node_list);
}

static int parse_part_json(struct pctx *c, const cJSON *item, struct slurm_partition *p)
{
	char *tres, **states;
	size_t ns;
	const cJSON *nodes;
	if (want_object(c, item) < 0 || get_str(c, item, "name", &p->name) < 0 ||
	    member(c, item, "nodes", &nodes) < 0)
		return -1;
	/* 22.05's openapi partition (slurmrestd only) had "nodes" as a string */
	if (cJSON_IsString(nodes)) {
		if (get_str(c, item, "nodes", &p->nodes) < 0 || get_int(c, item, "total_nodes", -1, &p->total_nodes) < 0 ||
		    get_int(c, item, "total_cpus", -1, &p->total_cpus) < 0 || get_str(c, item, "tres", &tres) < 0 ||
		    get_words(c, item, "state", &states, &ns) < 0)
			return -1;
	} else if (get_str(c, item, "nodes.configured", &p->nodes) < 0 ||
	           get_int(c, item, "nodes.total", -1, &p->total_nodes) < 0 ||
	           get_int(c, item, "cpus.total", -1, &p->total_cpus) < 0 ||
	           get_str(c, item, "tres.configured", &tres) < 0 ||
	           get_words(c, item, "partition.state", &states, &ns) < 0) {
		return -1;
	}
	return part_finish(c, p, tres, ns ? states[0] : "");
}

/* `scontrol -o show partition`: one partition per line, Key=Value words;
 * without -o the words of one partition span lines: each PartitionName=
 * starts a new one either way. */
struct kv {
	const char *name, *nodes, *state, *tres, *cpus, *total_nodes;
};

static int part_from_kv(struct pctx *c, struct kv *kv, struct slurm_partition *p)
{
	int64_t v;
	p->name = slurm_arena_strdup(c->a, kv->name);
	p->nodes = slurm_arena_strdup(c->a, kv->nodes && strcmp(kv->nodes, "(null)") ? kv->nodes : "");
	p->total_cpus = p->total_nodes = -1;
	if (kv->cpus && (v = strtoll(kv->cpus, NULL, 10)) >= 0 && v <= INT32_MAX)
		p->total_cpus = (int)v;
	if (kv->total_nodes && (v = strtoll(kv->total_nodes, NULL, 10)) >= 0 && v <= INT32_MAX)
		p->total_nodes = (int)v;
	return part_finish(c, p, kv->tres ? kv->tres : "", kv->state ? kv->state : "");
}

static int part_flush(struct pctx *c, struct kv *kv, struct grow *g, size_t line)
{
	if (!kv->name)
		return 0;
	snprintf(c->where, sizeof c->where, "line %zu", line);
	struct slurm_partition *p = grow_next(g);
	if (!p)
		return fail_at(c, "", "too many partitions");
	int rc = part_from_kv(c, kv, p);
	memset(kv, 0, sizeof *kv);
	return rc;
}

static void part_kv_set(struct kv *kv, const char *key, const char *val)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "PartitionName", offsetof(struct kv, name) },
		{ "Nodes", offsetof(struct kv, nodes) },
		{ "State", offsetof(struct kv, state) },
		{ "TRES", offsetof(struct kv, tres) },
		{ "TotalCPUs", offsetof(struct kv, cpus) },
		{ "TotalNodes", offsetof(struct kv, total_nodes) },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(keys); i++)
		if (strcmp(key, keys[i].key) == 0)
			*(const char **)((char *)kv + keys[i].off) = val;
}

static int parse_parts_text(const char *text, size_t len, struct slurm_part_set *s, struct dc_err *err)
{
	struct pctx c = { .src = "scontrol show partition", .err = err, .a = &s->arena, .shape = SLURM_SHAPE_NONE };
	if (len > SLURM_INPUT_MAX)
		return dc_err_set(err, "%s: output is %zu bytes, more than the %zu allowed", c.src, len,
			SLURM_INPUT_MAX);
	if (memchr(text, '\0', len))
		return dc_err_set(err, "%s: output holds a NUL byte", c.src);
	char *copy = xstrndup(text, len), *p = copy;
	struct slurm_partition *items = NULL;
	struct grow g = { (void **)&items, 0, 0, sizeof *items };
	struct kv kv = { 0 };
	size_t line = 1, start = 1;
	int rc = 0;
	while (rc == 0) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			line += *p++ == '\n';
		if (!*p)
			break;
		char *tok = p;
		size_t tok_line = line;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (*p) {
			line += *p == '\n';
			*p++ = '\0';
		}
		char *eq = strchr(tok, '=');
		if (!eq) {
			char q[200];
			rc = dc_err_set(err, "%s: line %zu: \"%s\" is not Key=Value", c.src, tok_line,
				slurm_quote(tok, q, sizeof q));
			break;
		}
		*eq = '\0';
		if (strcmp(tok, "PartitionName") == 0) {
			rc = part_flush(&c, &kv, &g, start);
			start = tok_line;
		} else if (!kv.name) {
			rc = dc_err_set(err, "%s: line %zu: expected PartitionName= first", c.src, tok_line);
		}
		part_kv_set(&kv, tok, eq + 1);
	}
	if (rc == 0)
		rc = part_flush(&c, &kv, &g, start);
	s->items = to_arena(&s->arena, items, g.n, sizeof *items);
	s->n = g.n;
	free(copy);
	return rc;
}

int slurm_parse_partitions(const char *text, size_t len, struct slurm_part_set *out, struct dc_err *err)
{
	struct slurm_part_set s = { 0 };
	if (!looks_json(text, len)) {
		if (parse_parts_text(text, len, &s, err) < 0) {
			slurm_part_set_free(&s);
			return -1;
		}
		*out = s;
		return 0;
	}
	cJSON *root;
	const cJSON *list, *item;
	const char *src = "partitions JSON";
	if (open_doc(src, text, len, "partitions", &root, &list, &s.version, err) < 0)
		return -1;
	struct pctx c = { .src = src, .err = err, .a = &s.arena, .shape = s.version.shape };
	size_t cnt = (size_t)cJSON_GetArraySize(list);
	s.items = slurm_arena_alloc(&s.arena, (cnt ? cnt : 1) * sizeof *s.items);
	cJSON_ArrayForEach(item, list) {
		ctx_item(&c, "partitions", s.n, item);
		if (parse_part_json(&c, item, &s.items[s.n]) < 0) {
			cJSON_Delete(root);
			slurm_part_set_free(&s);
			return -1;
		}
		s.n++;
	}
	cJSON_Delete(root);
	*out = s;
	return 0;
}

/* ---- jobs (squeue and sacct) ---- */

/* A job state: one word (22.05, 23.02) or a list (23.11+); a flag, when
 * present, decides (COMPLETING keeps an ended job running until its nodes
 * are clean, REQUEUED makes it pending). */
static int job_state(struct pctx *c, const cJSON *obj, const char *path, struct slurm_job *j)
{
	const cJSON *st;
	char **words;
	size_t nw;
	if (member(c, obj, path, &st) < 0)
		return -1;
	if (!st || (!cJSON_IsString(st) && !cJSON_IsArray(st)))
		return fail_type(c, path, "string or array", st);
	if (get_words(c, obj, path, &words, &nw) < 0)
		return -1;
	if (nw == 0)
		return fail_at(c, path, "empty");
	struct sb sb = { 0 };
	int base = -1, flag = -1;
	for (size_t i = 0; i < nw; i++) {
		bool is_base;
		int s = slurm_job_state_parse(words[i], &is_base);
		if (s >= 0 && is_base && base < 0)
			base = s;
		else if (s >= 0 && !is_base)
			flag = s;
		state_text_add(&sb, words[i]);
	}
	j->state_text = slurm_arena_strdup(c->a, sb.buf ? sb.buf : "");
	sb_free(&sb);
	if (base < 0 && flag < 0) {
		char m[160], q[120];
		snprintf(m, sizeof m, "unknown job state \"%s\"", slurm_quote(j->state_text, q, sizeof q));
		return fail_at(c, path, m);
	}
	j->state = (enum dc_job_state)(flag >= 0 ? flag : base);
	return 0;
}

/* Exit codes: a raw wait status (squeue 22.05, 23.02), or an object
 * {status, return_code, signal} (sacct; squeue 23.11+). */
static int job_exit(struct pctx *c, const cJSON *obj, struct slurm_job *j)
{
	const cJSON *ec;
	j->exit_code = -1;
	if (member(c, obj, "exit_code", &ec) < 0)
		return -1;
	if (!ec)
		return 0;
	if (cJSON_IsNumber(ec) || (cJSON_IsObject(ec) && cJSON_GetObjectItemCaseSensitive(ec, "set"))) {
		int64_t raw;
		if (get_num(c, obj, "exit_code", -1, &raw) < 0)
			return -1;
		if (raw >= 0 && raw != SLURM_INFINITE) {
			j->exit_signal = (int)(raw & 0x7f);
			j->exit_code = j->exit_signal ? -1 : (int)((raw >> 8) & 0xff);
		}
		return 0;
	}
	if (!cJSON_IsObject(ec))
		return fail_type(c, "exit_code", "number or object", ec);
	char **status;
	size_t ns;
	int64_t rc, sig1, sig2;
	if (get_words(c, obj, "exit_code.status", &status, &ns) < 0 ||
	    get_num(c, obj, "exit_code.signal.signal_id", 0, &sig1) < 0 ||
	    get_num(c, obj, "exit_code.signal.id", 0, &sig2) < 0)
		return -1;
	/* 23.02 writes -127 for a signal: read the code only when it is one */
	const cJSON *rcj;
	if (member(c, obj, "exit_code.return_code", &rcj) < 0)
		return -1;
	if (rcj && get_num(c, obj, "exit_code.return_code", -1, &rc) < 0)
		return -1;
	j->exit_signal = (int)((sig1 ? sig1 : sig2) & 0x7f);
	bool pending = ns > 0 && strcmp(status[0], "PENDING") == 0;
	if (!pending && !j->exit_signal && rcj)
		j->exit_code = rc == SLURM_INFINITE ? -1 : (int)(rc & 0xff);
	/* 22.05's sacct writes SUCCESS and 0 for every normal exit (exit 3
	 * included: it tests WIFEXITED only, seen live), so its 0 only means 0
	 * where the state says so */
	if (c->shape == SLURM_SHAPE_2205 && j->exit_code == 0 && j->state != DC_JOB_COMPLETED &&
	    j->state != DC_JOB_RUNNING && j->state != DC_JOB_PENDING)
		j->exit_code = -1;
	return 0;
}

/* GPUs: allocated TRES (running), else requested, else the per-job or
 * per-node request (times the node count). */
static int squeue_gpus(struct pctx *c, const cJSON *item, struct slurm_job *j)
{
	static const char *const strs[] = { "tres_alloc_str", "tres_req_str" };
	char *s, type[32] = "";
	struct dc_err e;
	j->gpus = 0;
	for (size_t i = 0; i < DC_ARRAY_LEN(strs); i++) {
		struct slurm_tres t;
		if (get_str(c, item, strs[i], &s) < 0)
			return -1;
		if (slurm_tres_parse(s, &t, &e) < 0)
			return text_fail(c, strs[i], &e);
		if (t.gpus > 0 && j->gpus == 0) {
			j->gpus = (int)(t.gpus > INT32_MAX ? INT32_MAX : t.gpus);
			snprintf(type, sizeof type, "%s", t.gpu_type);
		}
	}
	int per;
	char ptype[32];
	if (get_str(c, item, "tres_per_job", &s) < 0)
		return -1;
	if (slurm_tres_per_gpus(s, &per, ptype, sizeof ptype, &e) < 0)
		return text_fail(c, "tres_per_job", &e);
	if (j->gpus == 0 && per > 0)
		j->gpus = per;
	if (!type[0])
		snprintf(type, sizeof type, "%s", ptype);
	if (get_str(c, item, "tres_per_node", &s) < 0)
		return -1;
	if (slurm_tres_per_gpus(s, &per, ptype, sizeof ptype, &e) < 0)
		return text_fail(c, "tres_per_node", &e);
	if (j->gpus == 0 && per > 0) {
		int64_t total = (int64_t)per * (j->node_count > 0 ? j->node_count : 1);
		j->gpus = (int)(total > INT32_MAX ? INT32_MAX : total);
	}
	if (!type[0])
		snprintf(type, sizeof type, "%s", ptype);
	j->gpu_type = slurm_arena_strdup(c->a, type);
	return 0;
}

static void job_defaults(struct slurm_job *j)
{
	j->array_task_id = -1;
	j->het_job_offset = -1;
	j->node_count = -1;
	j->time_limit_min = -1;
	j->priority = -1;
	j->exit_code = -1;
}

static int job_held(struct slurm_job *j)
{
	j->held = (j->state == DC_JOB_PENDING && j->priority == 0) ||
	          strncmp(j->reason, "JobHeld", 7) == 0;
	return 0;
}

static int parse_squeue_job(struct pctx *c, const cJSON *item, struct slurm_job *j)
{
	int64_t v;
	job_defaults(j);
	if (want_object(c, item) < 0 || get_num(c, item, "job_id", -1, &v) < 0)
		return -1;
	if (v <= 0 || v > UINT32_MAX)
		return fail_at(c, "job_id", "missing or not a job id");
	j->job_id = (uint32_t)v;
	if (get_num(c, item, "array_job_id", 0, &v) < 0)
		return -1;
	j->array_job_id = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	if (get_num(c, item, "het_job_id", 0, &v) < 0)
		return -1;
	j->het_job_id = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	if (get_num(c, item, "array_task_id", -1, &j->array_task_id) < 0 ||
	    get_str(c, item, "array_task_string", &j->array_task_str) < 0 ||
	    get_num(c, item, "het_job_offset", -1, &j->het_job_offset) < 0 ||
	    job_state(c, item, "job_state", j) < 0 ||
	    get_str(c, item, "state_reason", &j->reason) < 0 ||
	    get_str(c, item, "state_description", &j->state_description) < 0 ||
	    get_str(c, item, "account", &j->account) < 0 || get_user(c, item, "user_name", &j->user) < 0 ||
	    get_str(c, item, "partition", &j->partition) < 0 || get_str(c, item, "name", &j->name) < 0 ||
	    get_str(c, item, "qos", &j->qos) < 0 || get_str(c, item, "dependency", &j->dependency) < 0 ||
	    get_int(c, item, "node_count", -1, &j->node_count) < 0 ||
	    get_str(c, item, "nodes", &j->nodes) < 0 ||
	    expand_hosts(c, "nodes", j->nodes, &j->node_list, &j->n_node_list) < 0 ||
	    squeue_gpus(c, item, j) < 0 ||
	    get_num(c, item, "submit_time", 0, &j->submit_time) < 0 ||
	    get_num(c, item, "eligible_time", 0, &j->eligible_time) < 0 ||
	    get_num(c, item, "start_time", 0, &j->start_time) < 0 ||
	    get_num(c, item, "end_time", 0, &j->end_time) < 0 ||
	    get_num(c, item, "time_limit", -1, &j->time_limit_min) < 0 ||
	    get_num(c, item, "priority", -1, &j->priority) < 0 || job_exit(c, item, j) < 0)
		return -1;
	/* 22.05 prints 0 for "no array" where 23.x says unset */
	if (j->array_job_id == 0)
		j->array_task_id = -1;
	if (j->het_job_id == 0)
		j->het_job_offset = -1;
	return job_held(j);
}

/* sacct's TRES lists: [{type: "gres", name: "gpu" | "gpu:h100", count}]. */
static int tres_list_gpus(struct pctx *c, const cJSON *obj, const char *path, int64_t *gpus, char *type,
		size_t cap)
{
	const cJSON *list, *e;
	int64_t untyped = -1, typed = -1;
	size_t i = 0;
	if (member(c, obj, path, &list) < 0)
		return -1;
	*gpus = -1;
	if (!list)
		return 0;
	if (!cJSON_IsArray(list))
		return fail_type(c, path, "array", list);
	cJSON_ArrayForEach(e, list) {
		char p[96];
		snprintf(p, sizeof p, "%s[%zu]", path, i++);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsObject(e))
			return fail_type(c, p, "object", e);
		if (!cJSON_IsString(t))
			return fail_type(c, p, "object with a string \"type\"", t);
		if (strcmp(t->valuestring, "gres") != 0 || !cJSON_IsString(n) ||
		    strncmp(n->valuestring, "gpu", 3) != 0 || (n->valuestring[3] && n->valuestring[3] != ':'))
			continue;
		int64_t cnt;
		char cp[112];
		snprintf(cp, sizeof cp, "%s.count", p);
		if (get_num(c, e, "count", 0, &cnt) < 0)
			return -1;
		if (n->valuestring[3] == '\0') {
			untyped = cnt;
		} else {
			typed = (typed < 0 ? 0 : typed) + cnt;
			if (cap && !type[0])
				snprintf(type, cap, "%s", n->valuestring + 4);
		}
	}
	*gpus = untyped >= 0 ? untyped : typed;
	return 0;
}

static int sacct_gpus(struct pctx *c, const cJSON *item, struct slurm_job *j)
{
	int64_t alloc, req;
	char type[32] = "";
	if (tres_list_gpus(c, item, "tres.allocated", &alloc, type, sizeof type) < 0 ||
	    tres_list_gpus(c, item, "tres.requested", &req, type, sizeof type) < 0)
		return -1;
	int64_t g = alloc > 0 ? alloc : req > 0 ? req : 0;
	j->gpus = (int)(g > INT32_MAX ? INT32_MAX : g);
	j->gpu_type = slurm_arena_strdup(c->a, type);
	return 0;
}

static int parse_sacct_job(struct pctx *c, const cJSON *item, struct slurm_job *j)
{
	int64_t v;
	job_defaults(j);
	if (want_object(c, item) < 0 || get_num(c, item, "job_id", -1, &v) < 0)
		return -1;
	if (v <= 0 || v > UINT32_MAX)
		return fail_at(c, "job_id", "missing or not a job id");
	j->job_id = (uint32_t)v;
	if (get_num(c, item, "array.job_id", 0, &v) < 0)
		return -1;
	j->array_job_id = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	if (get_num(c, item, "het.job_id", 0, &v) < 0)
		return -1;
	j->het_job_id = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	if (get_num(c, item, "array.task_id", -1, &j->array_task_id) < 0 ||
	    get_str(c, item, "array.task", &j->array_task_str) < 0 ||
	    get_num(c, item, "het.job_offset", -1, &j->het_job_offset) < 0 ||
	    job_state(c, item, "state.current", j) < 0 || get_str(c, item, "state.reason", &j->reason) < 0 ||
	    get_str(c, item, "account", &j->account) < 0 || get_user(c, item, "user", &j->user) < 0 ||
	    get_str(c, item, "partition", &j->partition) < 0 || get_str(c, item, "name", &j->name) < 0 ||
	    get_str(c, item, "qos", &j->qos) < 0 || get_str(c, item, "nodes", &j->nodes) < 0)
		return -1;
	j->state_description = slurm_arena_strdup(c->a, "");
	j->dependency = slurm_arena_strdup(c->a, "");
	/* sacct prints "None assigned" for a job that never got nodes */
	if (strcmp(j->nodes, "None assigned") == 0)
		j->nodes[0] = '\0';
	if (expand_hosts(c, "nodes", j->nodes, &j->node_list, &j->n_node_list) < 0 ||
	    get_int(c, item, "allocation_nodes", -1, &j->node_count) < 0 || sacct_gpus(c, item, j) < 0 ||
	    get_num(c, item, "time.submission", 0, &j->submit_time) < 0 ||
	    get_num(c, item, "time.eligible", 0, &j->eligible_time) < 0 ||
	    get_num(c, item, "time.start", 0, &j->start_time) < 0 ||
	    get_num(c, item, "time.end", 0, &j->end_time) < 0 ||
	    get_num(c, item, "time.limit", -1, &j->time_limit_min) < 0 ||
	    get_num(c, item, "priority", -1, &j->priority) < 0 || job_exit(c, item, j) < 0)
		return -1;
	if (j->node_count <= 0 && j->n_node_list > 0)
		j->node_count = (int)j->n_node_list;
	if (j->array_job_id == 0)
		j->array_task_id = -1;
	if (j->het_job_id == 0)
		j->het_job_offset = -1;
	return job_held(j);
}

static int parse_jobs(const char *src, const char *text, size_t len, struct slurm_job_set *out,
		int (*one)(struct pctx *, const cJSON *, struct slurm_job *), struct dc_err *err)
{
	struct slurm_job_set s = { 0 };
	cJSON *root;
	const cJSON *list, *item;
	if (open_doc(src, text, len, "jobs", &root, &list, &s.version, err) < 0)
		return -1;
	struct pctx c = { .src = src, .err = err, .a = &s.arena, .shape = s.version.shape };
	size_t cnt = (size_t)cJSON_GetArraySize(list);
	s.items = slurm_arena_alloc(&s.arena, (cnt ? cnt : 1) * sizeof *s.items);
	cJSON_ArrayForEach(item, list) {
		ctx_item(&c, "jobs", s.n, item);
		if (one(&c, item, &s.items[s.n]) < 0) {
			cJSON_Delete(root);
			slurm_job_set_free(&s);
			return -1;
		}
		s.n++;
	}
	cJSON_Delete(root);
	*out = s;
	return 0;
}

int slurm_parse_squeue(const char *text, size_t len, struct slurm_job_set *out, struct dc_err *err)
{
	return parse_jobs("squeue", text, len, out, parse_squeue_job, err);
}

int slurm_parse_sacct(const char *text, size_t len, struct slurm_job_set *out, struct dc_err *err)
{
	return parse_jobs("sacct", text, len, out, parse_sacct_job, err);
}

/* ---- associations and accounts ---- */

static int limit_gpus(struct pctx *c, const char *path, const char *tres, int64_t *out)
{
	struct slurm_tres t;
	struct dc_err e;
	if (slurm_tres_parse(tres, &t, &e) < 0)
		return text_fail(c, path, &e);
	*out = t.gpus;
	return 0;
}

static int parse_assoc_json(struct pctx *c, const cJSON *item, struct slurm_assoc *a)
{
	char scratch[4];
	if (want_object(c, item) < 0 || get_str(c, item, "account", &a->account) < 0 ||
	    get_str(c, item, "user", &a->user) < 0 || get_str(c, item, "partition", &a->partition) < 0 ||
	    get_str(c, item, "parent_account", &a->parent_account) < 0 ||
	    tres_list_gpus(c, item, "max.tres.total", &a->grp_gpus, scratch, 0) < 0 ||
	    tres_list_gpus(c, item, "max.tres.group.minutes", &a->grp_gpu_mins, scratch, 0) < 0 ||
	    tres_list_gpus(c, item, "max.tres.group.active", &a->grp_gpu_run_mins, scratch, 0) < 0)
		return -1;
	if (!a->account[0])
		return fail_at(c, "account", "missing or empty");
	return 0;
}

static int parse_account_json(struct pctx *c, const cJSON *item, struct slurm_account *a)
{
	if (want_object(c, item) < 0 || get_str(c, item, "name", &a->name) < 0 ||
	    get_str(c, item, "description", &a->description) < 0 ||
	    get_str(c, item, "organization", &a->organization) < 0)
		return -1;
	if (!a->name[0])
		return fail_at(c, "name", "missing or empty");
	return 0;
}

/* Runs fn on each non-empty line (CR LF too) of a listing. */
static int each_line(struct pctx *c, const char *text, size_t len,
		int (*fn)(struct pctx *, char *, size_t, void *), void *arg)
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

/* sacctmgr and sshare -P (or -p) listings. A header line names the
 * columns ("Par Name" is ParentName, "Descr" the description); without one
 * (-n) the columns are in the FORMAT order of slurm-parse.h. */
enum col { COL_ACCOUNT, COL_USER, COL_PARTITION, COL_PARENT, COL_GRPTRES, COL_GRPTRESMINS,
	COL_GRPTRESRUNMINS, COL_DESCR, COL_ORG, COL_RAW, COL_N };
static const char *const col_headers[COL_N] = {
	[COL_ACCOUNT] = "Account", [COL_USER] = "User", [COL_PARTITION] = "Partition",
	[COL_PARENT] = "Par Name", [COL_GRPTRES] = "GrpTRES", [COL_GRPTRESMINS] = "GrpTRESMins",
	[COL_GRPTRESRUNMINS] = "GrpTRESRunMins", [COL_DESCR] = "Descr", [COL_ORG] = "Org",
	[COL_RAW] = "GrpTRESRaw",
};
#define FIELDS_MAX 64

struct listing {
	int idx[COL_N];          /* field of each column, -1 when absent */
	size_t ncols;
	bool started;            /* past the header, or first line had none */
	int free_text;           /* the column that may itself hold '|', -1 none */
	struct grow rows;
	int (*row)(struct pctx *, struct listing *, char **f);
};

static const char *field(const struct listing *l, char **f, enum col c)
{
	return l->idx[c] >= 0 ? f[l->idx[c]] : "";
}

static int listing_line(struct pctx *c, char *line, size_t lineno, void *arg)
{
	struct listing *l = arg;
	char *f[FIELDS_MAX + 1];
	size_t n = 0;
	(void)lineno;
	f[n++] = line;
	for (char *p = line; *p; p++)
		if (*p == '|') {
			if (n > FIELDS_MAX)
				return fail_at(c, "", "more than 64 fields");
			*p = '\0';
			f[n++] = p + 1;
		}
	if (!l->started) {
		l->started = true;
		for (size_t i = 0; i < n; i++)
			if (strcmp(f[i], "Account") == 0) {
				for (int k = 0; k < COL_N; k++)
					l->idx[k] = -1;
				for (size_t h = 0; h < n; h++)
					for (int k = 0; k < COL_N; k++)
						if (strcmp(f[h], col_headers[k]) == 0)
							l->idx[k] = (int)h;
				l->ncols = n - (n > 1 && !f[n - 1][0]);
				return 0;
			}
	}
	if (n == l->ncols + 1 && !f[n - 1][0])
		n--;  /* -p ends each line with '|' */
	int ft = l->free_text >= 0 ? l->idx[l->free_text] : -1;
	if (n > l->ncols && ft >= 0) {
		/* rejoin the free text's own '|'s */
		size_t extra = n - l->ncols;
		for (size_t k = 1; k <= extra; k++)
			f[ft + (int)k][-1] = '|';
		for (size_t k = (size_t)ft + 1; k + extra < n; k++)
			f[k] = f[k + extra];
		n = l->ncols;
	}
	if (n != l->ncols) {
		char m[96];
		snprintf(m, sizeof m, "expected %zu fields separated by '|', got %zu", l->ncols, n);
		return fail_at(c, "", m);
	}
	return l->row(c, l, f);
}

static int listing_parse(struct pctx *c, const char *text, size_t len, struct listing *l)
{
	return each_line(c, text, len, listing_line, l);
}

static int assoc_row(struct pctx *c, struct listing *l, char **f)
{
	struct slurm_assoc *a = grow_next(&l->rows);
	if (!a)
		return fail_at(c, "", "too many lines");
	a->account = slurm_arena_strdup(c->a, field(l, f, COL_ACCOUNT));
	a->user = slurm_arena_strdup(c->a, field(l, f, COL_USER));
	a->partition = slurm_arena_strdup(c->a, field(l, f, COL_PARTITION));
	a->parent_account = slurm_arena_strdup(c->a, field(l, f, COL_PARENT));
	if (!a->account[0])
		return fail_at(c, "Account", "empty");
	if (limit_gpus(c, "GrpTRES", field(l, f, COL_GRPTRES), &a->grp_gpus) < 0 ||
	    limit_gpus(c, "GrpTRESMins", field(l, f, COL_GRPTRESMINS), &a->grp_gpu_mins) < 0 ||
	    limit_gpus(c, "GrpTRESRunMins", field(l, f, COL_GRPTRESRUNMINS), &a->grp_gpu_run_mins) < 0)
		return -1;
	return 0;
}

static int account_row(struct pctx *c, struct listing *l, char **f)
{
	struct slurm_account *a = grow_next(&l->rows);
	if (!a)
		return fail_at(c, "", "too many lines");
	a->name = slurm_arena_strdup(c->a, field(l, f, COL_ACCOUNT));
	a->organization = slurm_arena_strdup(c->a, field(l, f, COL_ORG));
	a->description = slurm_arena_strdup(c->a, field(l, f, COL_DESCR));
	if (!a->name[0])
		return fail_at(c, "Account", "empty");
	return 0;
}

/* sshare: account rows (no user) with the GPU-minutes used. */
struct usage_row {
	char *account;
	int64_t gpu_mins;
};

static int usage_row(struct pctx *c, struct listing *l, char **f)
{
	const char *user = field(l, f, COL_USER), *acct = field(l, f, COL_ACCOUNT);
	if (user[0])
		return 0;
	while (*acct == ' ')
		acct++;   /* sshare indents accounts by depth */
	struct usage_row *u = grow_next(&l->rows);
	if (!u)
		return fail_at(c, "", "too many lines");
	u->account = slurm_arena_strdup(c->a, acct);
	return limit_gpus(c, "GrpTRESRaw", field(l, f, COL_RAW), &u->gpu_mins);
}

static void listing_init(struct listing *l, void **items, size_t size, const int *order, size_t n,
		int free_text, int (*row)(struct pctx *, struct listing *, char **))
{
	memset(l, 0, sizeof *l);
	for (int k = 0; k < COL_N; k++)
		l->idx[k] = -1;
	for (size_t i = 0; i < n; i++)
		l->idx[order[i]] = (int)i;
	l->ncols = n;
	l->free_text = free_text;
	l->rows = (struct grow){ items, 0, 0, size };
	l->row = row;
}

static int assocs_json(struct pctx *c, const char *text, size_t len, struct slurm_assoc_set *s)
{
	cJSON *root;
	const cJSON *list, *item;
	if (open_doc(c->src, text, len, "associations", &root, &list, &s->version, c->err) < 0)
		return -1;
	size_t cnt = (size_t)cJSON_GetArraySize(list);
	s->items = slurm_arena_alloc(c->a, (cnt ? cnt : 1) * sizeof *s->items);
	cJSON_ArrayForEach(item, list) {
		ctx_item(c, "associations", s->n, item);
		if (parse_assoc_json(c, item, &s->items[s->n]) < 0) {
			cJSON_Delete(root);
			return -1;
		}
		s->n++;
	}
	cJSON_Delete(root);
	return 0;
}

static int accounts_json(struct pctx *c, const char *text, size_t len, struct slurm_assoc_set *s)
{
	cJSON *root;
	const cJSON *list, *item;
	struct slurm_version v;
	if (open_doc(c->src, text, len, "accounts", &root, &list, &v, c->err) < 0)
		return -1;
	size_t cnt = (size_t)cJSON_GetArraySize(list);
	s->accounts = slurm_arena_alloc(c->a, (cnt ? cnt : 1) * sizeof *s->accounts);
	cJSON_ArrayForEach(item, list) {
		ctx_item(c, "accounts", s->n_accounts, item);
		if (parse_account_json(c, item, &s->accounts[s->n_accounts]) < 0) {
			cJSON_Delete(root);
			return -1;
		}
		s->n_accounts++;
	}
	cJSON_Delete(root);
	return 0;
}

static int assocs_fill(const char *assocs, size_t alen, const char *accounts, size_t aclen,
		struct slurm_assoc_set *s, struct dc_err *err)
{
	struct pctx c = { .src = "sacctmgr show assoc", .err = err, .a = &s->arena, .shape = SLURM_SHAPE_NONE };
	if (looks_json(assocs, alen)) {
		if (assocs_json(&c, assocs, alen, s) < 0)
			return -1;
	} else {
		static const int order[] = { COL_ACCOUNT, COL_USER, COL_PARTITION, COL_PARENT, COL_GRPTRES,
			COL_GRPTRESMINS, COL_GRPTRESRUNMINS };
		struct slurm_assoc *items = NULL;
		struct listing l;
		listing_init(&l, (void **)&items, sizeof *items, order, DC_ARRAY_LEN(order), -1, assoc_row);
		int rc = listing_parse(&c, assocs, alen, &l);
		s->items = to_arena(&s->arena, items, l.rows.n, sizeof *items);
		s->n = l.rows.n;
		if (rc < 0)
			return -1;
	}
	c.src = "sacctmgr show account";
	c.where[0] = '\0';
	if (!accounts) {
		s->accounts = slurm_arena_alloc(&s->arena, sizeof *s->accounts);
	} else if (looks_json(accounts, aclen)) {
		if (accounts_json(&c, accounts, aclen, s) < 0)
			return -1;
	} else {
		static const int order[] = { COL_ACCOUNT, COL_ORG, COL_DESCR };
		struct slurm_account *items = NULL;
		struct listing l;
		listing_init(&l, (void **)&items, sizeof *items, order, DC_ARRAY_LEN(order), COL_DESCR, account_row);
		int rc = listing_parse(&c, accounts, aclen, &l);
		s->accounts = to_arena(&s->arena, items, l.rows.n, sizeof *items);
		s->n_accounts = l.rows.n;
		if (rc < 0)
			return -1;
	}
	s->gpu_mins_used = slurm_arena_alloc(&s->arena, (s->n_accounts ? s->n_accounts : 1) * sizeof(int64_t));
	for (size_t i = 0; i < s->n_accounts; i++)
		s->gpu_mins_used[i] = -1;
	return 0;
}

int slurm_parse_assocs(const char *assocs, size_t assocs_len, const char *accounts, size_t accounts_len,
		struct slurm_assoc_set *out, struct dc_err *err)
{
	struct slurm_assoc_set s = { 0 };
	if (assocs_fill(assocs, assocs_len, accounts, accounts_len, &s, err) < 0) {
		slurm_assoc_set_free(&s);
		return -1;
	}
	*out = s;
	return 0;
}

int slurm_parse_sshare(const char *text, size_t len, struct slurm_assoc_set *set, struct dc_err *err)
{
	static const int order[] = { COL_ACCOUNT, COL_USER, COL_RAW };
	struct slurm_arena scratch = { 0 };
	struct pctx c = { .src = "sshare", .err = err, .a = &scratch, .shape = SLURM_SHAPE_NONE };
	struct usage_row *rows = NULL;
	struct listing l;
	listing_init(&l, (void **)&rows, sizeof *rows, order, DC_ARRAY_LEN(order), -1, usage_row);
	int rc = listing_parse(&c, text, len, &l);
	if (rc == 0 && l.idx[COL_RAW] < 0)
		rc = dc_err_set(err, "sshare: no GrpTRESRaw column");
	for (size_t i = 0; rc == 0 && i < set->n_accounts; i++) {
		set->gpu_mins_used[i] = -1;
		for (size_t k = 0; k < l.rows.n; k++)
			if (strcmp(rows[k].account, set->accounts[i].name) == 0)
				set->gpu_mins_used[i] = rows[k].gpu_mins;
	}
	free(rows);
	slurm_arena_free(&scratch);
	return rc;
}

int slurm_parse_version(const char *text, size_t len, struct slurm_version *v, struct dc_err *err)
{
	if (len > SLURM_INPUT_MAX)
		return dc_err_set(err, "output is %zu bytes, more than the %zu allowed", len, SLURM_INPUT_MAX);
	cJSON *r = cJSON_ParseWithLength(text, len);
	if (!r)
		return dc_err_set(err, "not valid JSON");
	int rc = read_meta(r, v, err, "meta");
	cJSON_Delete(r);
	return rc;
}
