/* seed.c — loads a fleet description (JSON) into an empty database.
 *
 * The file is validated completely before anything is written; every error
 * names the file, the JSON path and what is wrong. The rows then go in with
 * COPY FROM STDIN in one transaction. Ids of racks, nodes and tenants are
 * reserved from their sequences first so children can refer to them without
 * a round trip per row. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "db.h"
#include "seed.h"
#include "text.h"

#define SEED_FILE_MAX (1 << 20)
#define SEED_COPY_CHUNK (1 << 20)
#define SEED_PATH_MAX 160

/* ---- the fleet description, borrowed from the parsed cJSON tree ---- */

struct seed_small {
	int node, gpus;
};

struct seed_pool {
	const char *partition, *model, *description, *prefix;
	int nodes, gpn, mem_mib, per_rack, wall_h;
	struct seed_small *small;
	int nsmall;
};

struct seed_qos {
	const char *name;
	int priority, wall_h;
};

#define SEED_PARTS_MAX 4
struct seed_kind {
	const char *kind, *prefix, *sep, *en_suffix;
	double share;
	const cJSON *parts[SEED_PARTS_MAX]; /* each an array of ["ko", "en"] */
	int nparts;
};

struct seed_tier {
	int gpus;
	double share;
};

struct seed_cfg {
	uint64_t seed;
	const char *env, *site_code, *site_name, *tz, *hall, *rack_prefix;
	int rows, per_row;
	double cap_kw;
	struct seed_qos *qos;
	int nqos;
	struct seed_pool *pools;
	int npools;
	int tenants, hoarder_min, term_min, term_max;
	double hoarder_share, storage_tb, budget_factor;
	struct seed_kind *kinds;
	int nkinds;
	struct seed_tier *tiers;
	int ntiers;
	const cJSON *programmes, *topics;
};

static void seed_cfg_free(struct seed_cfg *c)
{
	for (int i = 0; i < c->npools; i++)
		free(c->pools[i].small);
	free(c->pools);
	free(c->qos);
	free(c->kinds);
	free(c->tiers);
}

/* ---- JSON access that names file and path on error ---- */

struct jctx {
	const char *file;
	struct dc_err *err;
};

static int j_fail(const struct jctx *j, const char *path, const char *fmt, ...) DC_PRINTF(3, 4);
static int j_fail(const struct jctx *j, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return dc_err_set(j->err, "%s: %s: %s", j->file, path[0] ? path : "(top level)", msg);
}

/* Paths are cut at SEED_PATH_MAX; real descriptions nest far less. */
static void path_key(char *out, const char *base, const char *key)
{
	if (snprintf(out, SEED_PATH_MAX, "%s%s%s", base, base[0] ? "." : "", key) >= SEED_PATH_MAX)
		out[SEED_PATH_MAX - 1] = '\0';
}

static void path_idx(char *out, const char *base, int i)
{
	if (snprintf(out, SEED_PATH_MAX, "%s[%d]", base, i) >= SEED_PATH_MAX)
		out[SEED_PATH_MAX - 1] = '\0';
}

static const char *j_type(const cJSON *v)
{
	if (cJSON_IsString(v)) return "a string";
	if (cJSON_IsNumber(v)) return "a number";
	if (cJSON_IsBool(v)) return "a boolean";
	if (cJSON_IsNull(v)) return "null";
	if (cJSON_IsArray(v)) return "an array";
	if (cJSON_IsObject(v)) return "an object";
	return "something unknown";
}

/* Looks up key; absent and !required → *out = NULL, 0. */
static int j_field(const struct jctx *j, const cJSON *obj, const char *base, const char *key,
                   bool required, char *path, const cJSON **out)
{
	path_key(path, base, key);
	*out = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!*out && required)
		return j_fail(j, path, "missing key \"%s\"", key);
	return 0;
}

static int j_int(const struct jctx *j, const cJSON *obj, const char *base, const char *key,
                 bool required, int def, int min, int max, int *out)
{
	char path[SEED_PATH_MAX];
	const cJSON *v;
	if (j_field(j, obj, base, key, required, path, &v) < 0)
		return -1;
	if (!v) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return j_fail(j, path, "expected an integer, got %s", j_type(v));
	double d = v->valuedouble;
	if (d != floor(d))
		return j_fail(j, path, "expected an integer, got %g", d);
	if (d < min)
		return j_fail(j, path, "%s %g (must be >= %d)", d < 0 ? "negative value" : "too small:", d, min);
	if (d > max)
		return j_fail(j, path, "too large: %g (must be <= %d)", d, max);
	*out = (int)d;
	return 0;
}

static int j_num(const struct jctx *j, const cJSON *obj, const char *base, const char *key,
                 bool required, double def, double min, double max, double *out)
{
	char path[SEED_PATH_MAX];
	const cJSON *v;
	if (j_field(j, obj, base, key, required, path, &v) < 0)
		return -1;
	if (!v) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return j_fail(j, path, "expected a number, got %s", j_type(v));
	if (v->valuedouble < min || v->valuedouble > max)
		return j_fail(j, path, "%g is out of range [%g, %g]", v->valuedouble, min, max);
	*out = v->valuedouble;
	return 0;
}

static int j_str(const struct jctx *j, const cJSON *obj, const char *base, const char *key,
                 bool required, const char *def, const char **out)
{
	char path[SEED_PATH_MAX];
	const cJSON *v;
	if (j_field(j, obj, base, key, required, path, &v) < 0)
		return -1;
	if (!v) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsString(v))
		return j_fail(j, path, "expected a string, got %s", j_type(v));
	*out = v->valuestring;
	return 0;
}

/* An array (or object when want_obj) under key; absent and !required → NULL. */
static int j_node(const struct jctx *j, const cJSON *obj, const char *base, const char *key,
                  bool required, bool want_obj, char *path, const cJSON **out)
{
	if (j_field(j, obj, base, key, required, path, out) < 0)
		return -1;
	if (*out && (want_obj ? !cJSON_IsObject(*out) : !cJSON_IsArray(*out)))
		return j_fail(j, path, "expected %s, got %s", want_obj ? "an object" : "an array",
		              j_type(*out));
	return 0;
}

static bool name_ok(const char *s, size_t max, bool allow_dot)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		          (allow_dot && ch == '.') || (!allow_dot && ch == '_');
		if (!ok)
			return false;
	}
	return true;
}

/* ---- parsing each section ---- */

static int parse_site(const struct jctx *j, const cJSON *root, struct seed_cfg *c)
{
	char path[SEED_PATH_MAX];
	const cJSON *site, *racks;
	if (j_str(j, root, "", "environment", false, "demo", &c->env) < 0 ||
	    j_node(j, root, "", "site", true, true, path, &site) < 0 ||
	    j_str(j, site, "site", "code", true, NULL, &c->site_code) < 0 ||
	    j_str(j, site, "site", "name", true, NULL, &c->site_name) < 0 ||
	    j_str(j, site, "site", "timezone", false, "Asia/Seoul", &c->tz) < 0 ||
	    j_str(j, site, "site", "hall", false, "Hall 1", &c->hall) < 0 ||
	    j_node(j, root, "", "racks", true, true, path, &racks) < 0 ||
	    j_int(j, racks, "racks", "rows", true, 0, 1, 10000, &c->rows) < 0 ||
	    j_int(j, racks, "racks", "per_row", true, 0, 1, 1000, &c->per_row) < 0 ||
	    j_num(j, racks, "racks", "power_cap_kw", false, 15, 0.1, 1000, &c->cap_kw) < 0 ||
	    j_str(j, racks, "racks", "prefix", false, "r", &c->rack_prefix) < 0)
		return -1;
	static const char *const envs[] = { "production", "staging", "drill", "demo" };
	for (size_t i = 0; i < DC_ARRAY_LEN(envs); i++)
		if (strcmp(c->env, envs[i]) == 0)
			return 0;
	return j_fail(j, "environment", "\"%s\" is not one of production, staging, drill, demo", c->env);
}

static int parse_pool(const struct jctx *j, const cJSON *p, const char *base, struct seed_pool *pl)
{
	char path[SEED_PATH_MAX];
	const cJSON *small;
	if (!cJSON_IsObject(p))
		return j_fail(j, base, "expected an object, got %s", j_type(p));
	if (j_str(j, p, base, "partition", true, NULL, &pl->partition) < 0 ||
	    j_str(j, p, base, "model", true, NULL, &pl->model) < 0 ||
	    j_str(j, p, base, "description", false, "", &pl->description) < 0 ||
	    j_str(j, p, base, "node_prefix", true, NULL, &pl->prefix) < 0 ||
	    j_int(j, p, base, "nodes", true, 0, 0, 1000000, &pl->nodes) < 0 ||
	    j_int(j, p, base, "gpus_per_node", true, 0, 1, 64, &pl->gpn) < 0 ||
	    j_int(j, p, base, "gpu_mem_mib", true, 0, 1, 10000000, &pl->mem_mib) < 0 ||
	    j_int(j, p, base, "nodes_per_rack", false, 1, 1, 64, &pl->per_rack) < 0 ||
	    j_int(j, p, base, "max_wall_hours", false, 72, 1, 8760, &pl->wall_h) < 0 ||
	    j_node(j, p, base, "small_nodes", false, false, path, &small) < 0)
		return -1;
	if (!name_ok(pl->partition, 32, false)) {
		path_key(path, base, "partition");
		return j_fail(j, path, "\"%s\" must match [a-z0-9_-]{1,32}", pl->partition);
	}
	if (!name_ok(pl->prefix, 50, true)) {
		path_key(path, base, "node_prefix");
		return j_fail(j, path, "\"%s\" must be lower-case letters, digits, '-' or '.'", pl->prefix);
	}
	pl->nsmall = cJSON_GetArraySize(small);
	pl->small = xcalloc((size_t)pl->nsmall + 1, sizeof *pl->small);
	for (int i = 0; i < pl->nsmall; i++) {
		char ip[SEED_PATH_MAX];
		path_idx(ip, path, i);
		const cJSON *s = cJSON_GetArrayItem(small, i);
		if (!cJSON_IsObject(s))
			return j_fail(j, ip, "expected an object, got %s", j_type(s));
		if (j_int(j, s, ip, "node", true, 0, 1, pl->nodes > 0 ? pl->nodes : 1, &pl->small[i].node) < 0 ||
		    j_int(j, s, ip, "gpus", true, 0, 0, pl->gpn, &pl->small[i].gpus) < 0)
			return -1;
	}
	return 0;
}

static int parse_fleet(const struct jctx *j, const cJSON *root, struct seed_cfg *c)
{
	char path[SEED_PATH_MAX];
	const cJSON *pools, *qos;
	if (j_node(j, root, "", "pools", true, false, path, &pools) < 0)
		return -1;
	c->npools = cJSON_GetArraySize(pools);
	if (c->npools == 0)
		return j_fail(j, "pools", "at least one pool is needed");
	c->pools = xcalloc((size_t)c->npools, sizeof *c->pools);
	for (int i = 0; i < c->npools; i++) {
		char ip[SEED_PATH_MAX];
		path_idx(ip, "pools", i);
		if (parse_pool(j, cJSON_GetArrayItem(pools, i), ip, &c->pools[i]) < 0)
			return -1;
		for (int k = 0; k < i; k++)
			if (strcmp(c->pools[k].partition, c->pools[i].partition) == 0 ||
			    strcmp(c->pools[k].prefix, c->pools[i].prefix) == 0)
				return j_fail(j, ip, "partition or node_prefix repeats pools[%d]", k);
	}
	if (j_node(j, root, "", "qos", false, false, path, &qos) < 0)
		return -1;
	c->nqos = cJSON_GetArraySize(qos);
	c->qos = xcalloc((size_t)c->nqos + 1, sizeof *c->qos);
	for (int i = 0; i < c->nqos; i++) {
		char ip[SEED_PATH_MAX];
		path_idx(ip, "qos", i);
		const cJSON *q = cJSON_GetArrayItem(qos, i);
		if (!cJSON_IsObject(q))
			return j_fail(j, ip, "expected an object, got %s", j_type(q));
		if (j_str(j, q, ip, "name", true, NULL, &c->qos[i].name) < 0 ||
		    j_int(j, q, ip, "priority", false, 0, -100000, 100000, &c->qos[i].priority) < 0 ||
		    j_int(j, q, ip, "max_wall_hours", false, 72, 1, 8760, &c->qos[i].wall_h) < 0)
			return -1;
		if (!name_ok(c->qos[i].name, 32, false))
			return j_fail(j, ip, "name \"%s\" must match [a-z0-9_-]{1,32}", c->qos[i].name);
	}
	return 0;
}

/* A part list: a non-empty array of ["ko", "en"] string pairs. */
static int parse_parts(const struct jctx *j, const cJSON *arr, const char *base)
{
	if (!cJSON_IsArray(arr))
		return j_fail(j, base, "expected an array, got %s", j_type(arr));
	if (cJSON_GetArraySize(arr) == 0)
		return j_fail(j, base, "the list is empty");
	for (int i = 0; i < cJSON_GetArraySize(arr); i++) {
		const cJSON *pair = cJSON_GetArrayItem(arr, i);
		char ip[SEED_PATH_MAX];
		path_idx(ip, base, i);
		if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
		    !cJSON_IsString(cJSON_GetArrayItem(pair, 0)) ||
		    !cJSON_IsString(cJSON_GetArrayItem(pair, 1)))
			return j_fail(j, ip, "expected [\"korean\", \"english\"]");
	}
	return 0;
}

static int parse_kind(const struct jctx *j, const cJSON *k, const char *base, struct seed_kind *sk)
{
	static const char *const kinds[] = { "startup", "sme", "enterprise", "university", "institute" };
	char path[SEED_PATH_MAX];
	const cJSON *parts;
	if (!cJSON_IsObject(k))
		return j_fail(j, base, "expected an object, got %s", j_type(k));
	if (j_str(j, k, base, "kind", true, NULL, &sk->kind) < 0 ||
	    j_num(j, k, base, "share", true, 0, 0, 1, &sk->share) < 0 ||
	    j_str(j, k, base, "prefix", false, "", &sk->prefix) < 0 ||
	    j_str(j, k, base, "sep", false, "", &sk->sep) < 0 ||
	    j_str(j, k, base, "en_suffix", false, "", &sk->en_suffix) < 0 ||
	    j_node(j, k, base, "parts", true, false, path, &parts) < 0)
		return -1;
	bool known = false;
	for (size_t i = 0; i < DC_ARRAY_LEN(kinds); i++)
		known |= strcmp(sk->kind, kinds[i]) == 0;
	if (!known) {
		path_key(path, base, "kind");
		return j_fail(j, path, "\"%s\" is not one of startup, sme, enterprise, university, institute",
		              sk->kind);
	}
	sk->nparts = cJSON_GetArraySize(parts);
	if (sk->nparts < 1 || sk->nparts > SEED_PARTS_MAX)
		return j_fail(j, path, "expected 1 to %d part lists, got %d", SEED_PARTS_MAX, sk->nparts);
	for (int i = 0; i < sk->nparts; i++) {
		char ip[SEED_PATH_MAX];
		path_idx(ip, path, i);
		sk->parts[i] = cJSON_GetArrayItem(parts, i);
		if (parse_parts(j, sk->parts[i], ip) < 0)
			return -1;
	}
	return 0;
}

static int parse_strings(const struct jctx *j, const cJSON *t, const char *key, const cJSON **out)
{
	char path[SEED_PATH_MAX];
	if (j_node(j, t, "tenants", key, true, false, path, out) < 0)
		return -1;
	if (cJSON_GetArraySize(*out) == 0)
		return j_fail(j, path, "the list is empty");
	for (int i = 0; i < cJSON_GetArraySize(*out); i++) {
		const cJSON *s = cJSON_GetArrayItem(*out, i);
		if (!cJSON_IsString(s) || !s->valuestring[0]) {
			char ip[SEED_PATH_MAX];
			path_idx(ip, path, i);
			return j_fail(j, ip, "expected a non-empty string, got %s", j_type(s));
		}
	}
	return 0;
}

static int parse_tenants(const struct jctx *j, const cJSON *root, struct seed_cfg *c)
{
	char path[SEED_PATH_MAX];
	const cJSON *t, *kinds, *tiers, *term;
	if (j_node(j, root, "", "tenants", true, true, path, &t) < 0 ||
	    j_int(j, t, "tenants", "count", true, 0, 0, 1000000, &c->tenants) < 0 ||
	    j_num(j, t, "tenants", "hoarder_share", false, 0.07, 0, 0.5, &c->hoarder_share) < 0 ||
	    j_int(j, t, "tenants", "hoarder_min_gpus", false, 16, 0, 100000, &c->hoarder_min) < 0 ||
	    j_num(j, t, "tenants", "storage_tb", false, 10, 0, 1e6, &c->storage_tb) < 0 ||
	    j_num(j, t, "tenants", "budget_factor", false, 0.8, 0, 10, &c->budget_factor) < 0 ||
	    j_node(j, t, "tenants", "term_months", false, false, path, &term) < 0)
		return -1;
	c->term_min = 3;
	c->term_max = 6;
	if (term) {
		const cJSON *lo = cJSON_GetArrayItem(term, 0), *hi = cJSON_GetArrayItem(term, 1);
		if (cJSON_GetArraySize(term) != 2 || !cJSON_IsNumber(lo) || !cJSON_IsNumber(hi) ||
		    lo->valueint < 1 || hi->valueint < lo->valueint || hi->valueint > 60)
			return j_fail(j, path, "expected [min, max] months with 1 <= min <= max <= 60");
		c->term_min = lo->valueint;
		c->term_max = hi->valueint;
	}
	if (j_node(j, t, "tenants", "kinds", true, false, path, &kinds) < 0)
		return -1;
	c->nkinds = cJSON_GetArraySize(kinds);
	if (c->nkinds == 0)
		return j_fail(j, path, "at least one kind is needed");
	c->kinds = xcalloc((size_t)c->nkinds, sizeof *c->kinds);
	for (int i = 0; i < c->nkinds; i++) {
		char ip[SEED_PATH_MAX];
		path_idx(ip, path, i);
		if (parse_kind(j, cJSON_GetArrayItem(kinds, i), ip, &c->kinds[i]) < 0)
			return -1;
	}
	if (j_node(j, t, "tenants", "tiers", true, false, path, &tiers) < 0)
		return -1;
	c->ntiers = cJSON_GetArraySize(tiers);
	if (c->ntiers == 0)
		return j_fail(j, path, "at least one tier is needed");
	c->tiers = xcalloc((size_t)c->ntiers, sizeof *c->tiers);
	int top = 0;
	for (int i = 0; i < c->ntiers; i++) {
		char ip[SEED_PATH_MAX];
		path_idx(ip, path, i);
		const cJSON *ti = cJSON_GetArrayItem(tiers, i);
		if (!cJSON_IsObject(ti))
			return j_fail(j, ip, "expected an object, got %s", j_type(ti));
		if (j_int(j, ti, ip, "gpus", true, 0, 1, 100000, &c->tiers[i].gpus) < 0 ||
		    j_num(j, ti, ip, "share", true, 0, 0, 1, &c->tiers[i].share) < 0)
			return -1;
		if (c->tiers[i].share > 0 && c->tiers[i].gpus > top)
			top = c->tiers[i].gpus;
	}
	if (c->hoarder_share > 0 && top < c->hoarder_min)
		return j_fail(j, "tenants.hoarder_min_gpus", "%d is above every tier with a share (largest %d)",
		              c->hoarder_min, top);
	return parse_strings(j, t, "programmes", &c->programmes) < 0 ||
	       parse_strings(j, t, "topics", &c->topics) < 0 ? -1 : 0;
}

static int seed_parse(const struct jctx *j, const cJSON *root, struct seed_cfg *c)
{
	if (!cJSON_IsObject(root))
		return j_fail(j, "", "expected an object, got %s", j_type(root));
	double seed;
	if (j_num(j, root, "", "seed", false, 1, 0, 9007199254740992.0, &seed) < 0)
		return -1;
	c->seed = (uint64_t)seed;
	return parse_site(j, root, c) < 0 || parse_fleet(j, root, c) < 0 ||
	       parse_tenants(j, root, c) < 0 ? -1 : 0;
}

/* ---- generated rows ---- */

struct gen_node {
	int pool, gpus, rack, slot;
};

struct gen_tenant {
	char *name, *name_en, *contact;
	const char *kind, *programme, *topic;
	int gpus, term_days, elapsed_days;
	bool hoarder;
};

struct gen {
	int nracks, nnodes, ngpus;
	int *pool_nodes; /* scaled node count per pool */
	struct gen_node *nodes;
	struct gen_tenant *tenants;
	int ntenants;
};

static void gen_free(struct gen *g)
{
	for (int i = 0; i < g->ntenants; i++) {
		free(g->tenants[i].name);
		free(g->tenants[i].name_en);
		free(g->tenants[i].contact);
	}
	free(g->tenants);
	free(g->nodes);
	free(g->pool_nodes);
}

static int scaled(int n, double scale)
{
	return n == 0 ? 0 : (int)fmax(1.0, round(n * scale));
}

/* Places each pool from a fresh row so a row (one leaf switch) holds one
 * pool; nodes_per_rack nodes share a rack. */
static int gen_fleet(const struct seed_cfg *c, double scale, struct gen *g, struct dc_err *err)
{
	int rows = scaled(c->rows, scale), need = 0;
	g->pool_nodes = xcalloc((size_t)c->npools, sizeof *g->pool_nodes);
	for (int p = 0; p < c->npools; p++) {
		g->pool_nodes[p] = scaled(c->pools[p].nodes, scale);
		g->nnodes += g->pool_nodes[p];
		int racks = (g->pool_nodes[p] + c->pools[p].per_rack - 1) / c->pools[p].per_rack;
		need += (racks + c->per_row - 1) / c->per_row;
	}
	/* scaled down, every pool still starts a row of its own */
	if (scale < 1 && rows < need)
		rows = need;
	g->nracks = rows * c->per_row;
	g->nodes = xcalloc((size_t)g->nnodes + 1, sizeof *g->nodes);
	int row = 0, n = 0;
	for (int p = 0; p < c->npools; p++) {
		const struct seed_pool *pl = &c->pools[p];
		int racks = (g->pool_nodes[p] + pl->per_rack - 1) / pl->per_rack;
		if (row + (racks + c->per_row - 1) / c->per_row > rows)
			return dc_err_set(err, "racks: %d rows of %d are too few for pools[%d] (%s): "
			                  "%d racks needed from row %d",
			                  rows, c->per_row, p, pl->partition, racks, row + 1);
		for (int i = 0; i < g->pool_nodes[p]; i++, n++) {
			int gpus = pl->gpn;
			for (int s = 0; s < pl->nsmall; s++)
				if (pl->small[s].node == i + 1)
					gpus = pl->small[s].gpus;
			g->nodes[n] = (struct gen_node){ .pool = p, .gpus = gpus,
			                                 .rack = row * c->per_row + i / pl->per_rack,
			                                 .slot = i % pl->per_rack + 1 };
			g->ngpus += gpus;
		}
		row += (racks + c->per_row - 1) / c->per_row;
	}
	return 0;
}

/* Open-addressing set of names, to keep tenant names unique. */
struct nameset {
	const char **slot;
	size_t cap;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Adds s unless present; true when added. */
static bool nameset_add(struct nameset *ns, const char *s)
{
	size_t i = name_hash(s) & (ns->cap - 1);
	for (; ns->slot[i]; i = (i + 1) & (ns->cap - 1))
		if (strcmp(ns->slot[i], s) == 0)
			return false;
	ns->slot[i] = s;
	return true;
}

static const cJSON *pick(struct dc_rng *r, const cJSON *arr)
{
	return cJSON_GetArrayItem(arr, dc_rng_range(r, 0, cJSON_GetArraySize(arr) - 1));
}

static void compose_name(struct dc_rng *r, const struct seed_kind *k, char **ko, char **en)
{
	struct sb sk = {0}, se = {0};
	sb_append(&sk, k->prefix);
	for (int i = 0; i < k->nparts; i++) {
		const cJSON *pair = pick(r, k->parts[i]);
		if (i > 0) {
			sb_append(&sk, k->sep);
			sb_append(&se, " ");
		}
		sb_append(&sk, cJSON_GetArrayItem(pair, 0)->valuestring);
		sb_append(&se, cJSON_GetArrayItem(pair, 1)->valuestring);
	}
	sb_append(&se, k->en_suffix);
	*ko = sb_take(&sk);
	*en = sb_take(&se);
}

static char *contact_for(const char *en)
{
	struct sb sb = {0};
	sb_append(&sb, "gpu-admin@");
	for (const char *p = en; *p && sb.len < 40; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			sb_appendn(&sb, p, 1);
		else if (*p >= 'A' && *p <= 'Z')
			sb_appendf(&sb, "%c", *p - 'A' + 'a');
	sb_append(&sb, ".kr");
	return sb_take(&sb);
}

static int pick_tier(struct dc_rng *r, const struct seed_cfg *c)
{
	double total = 0, x;
	for (int i = 0; i < c->ntiers; i++)
		total += c->tiers[i].share;
	x = dc_rng_unit(r) * total;
	for (int i = 0; i < c->ntiers; i++)
		if ((x -= c->tiers[i].share) < 0)
			return c->tiers[i].gpus;
	return c->tiers[c->ntiers - 1].gpus;
}

/* Kinds in exact proportion to their shares, shuffled; names unique. */
static void gen_tenants(const struct seed_cfg *c, double scale, struct gen *g)
{
	struct dc_rng r;
	dc_rng_seed(&r, c->seed ^ 0x7465AA11ULL);
	int n = scaled(c->tenants, scale);
	g->ntenants = n;
	g->tenants = xcalloc((size_t)n + 1, sizeof *g->tenants);
	int *kind = xcalloc((size_t)n + 1, sizeof *kind);
	double total = 0, acc = 0;
	for (int k = 0; k < c->nkinds; k++)
		total += c->kinds[k].share;
	for (int k = 0, i = 0; k < c->nkinds; k++) {
		acc += c->kinds[k].share;
		int upto = k == c->nkinds - 1 ? n : (int)lround(acc / (total > 0 ? total : 1) * n);
		for (; i < upto; i++)
			kind[i] = k;
	}
	for (int i = n - 1; i > 0; i--) {
		int s = dc_rng_range(&r, 0, i), t = kind[i];
		kind[i] = kind[s];
		kind[s] = t;
	}
	struct nameset ns = { .cap = 64 };
	while (ns.cap < (size_t)n * 2)
		ns.cap *= 2;
	ns.slot = xcalloc(ns.cap, sizeof *ns.slot);
	for (int i = 0; i < n; i++) {
		struct gen_tenant *t = &g->tenants[i];
		const struct seed_kind *k = &c->kinds[kind[i]];
		for (int attempt = 0;; attempt++) {
			compose_name(&r, k, &t->name, &t->name_en);
			if (attempt >= 20) {
				/* The combinations are used up (large scales): number them. */
				char *ko = xasprintf("%s %d", t->name, i + 1), *en = xasprintf("%s %d", t->name_en, i + 1);
				free(t->name);
				free(t->name_en);
				t->name = ko;
				t->name_en = en;
			}
			if (nameset_add(&ns, t->name))
				break;
			free(t->name);
			free(t->name_en);
		}
		t->kind = k->kind;
		t->contact = contact_for(t->name_en);
		t->gpus = pick_tier(&r, c);
		t->programme = pick(&r, c->programmes)->valuestring;
		t->topic = pick(&r, c->topics)->valuestring;
		t->term_days = dc_rng_range(&r, c->term_min, c->term_max) * 30;
		t->elapsed_days = dc_rng_range(&r, 0, t->term_days - 1);
	}
	int hoarders = (int)lround(c->hoarder_share * n);
	for (int h = 0, guard = 0; h < hoarders && guard < n * 20; guard++) {
		struct gen_tenant *t = &g->tenants[dc_rng_range(&r, 0, n - 1)];
		if (t->hoarder)
			continue;
		t->hoarder = true;
		while (t->gpus < c->hoarder_min)
			t->gpus = pick_tier(&r, c);
		h++;
	}
	free(ns.slot);
	free(kind);
}

/* ---- writing ---- */

static void copy_field(struct sb *sb, const char *s, bool last)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': sb_append(sb, "\\\\"); break;
		case '\t': sb_append(sb, "\\t"); break;
		case '\n': sb_append(sb, "\\n"); break;
		case '\r': sb_append(sb, "\\r"); break;
		default: sb_appendn(sb, s, 1);
		}
	}
	sb_append(sb, last ? "\n" : "\t");
}

static int copy_flush(PGconn *c, struct sb *sb, struct dc_err *err)
{
	if (sb->len && PQputCopyData(c, sb->buf, (int)sb->len) != 1)
		return dc_err_set(err, "COPY: %s", PQerrorMessage(c));
	sb_clear(sb);
	return 0;
}

static int copy_begin(PGconn *c, const char *sql, struct dc_err *err)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COPY_IN;
	if (!ok)
		dc_err_set(err, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

static int copy_end(PGconn *c, const char *table, struct sb *sb, struct dc_err *err)
{
	int rc = copy_flush(c, sb, err);
	if (PQputCopyEnd(c, rc < 0 ? "aborted" : NULL) != 1 && rc == 0)
		rc = dc_err_set(err, "COPY %s: %s", table, PQerrorMessage(c));
	PGresult *r;
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0)
			rc = dc_err_set(err, "COPY %s: %s", table, PQresultErrorMessage(r));
		PQclear(r);
	}
	sb_free(sb);
	return rc;
}

static int exec_ok(PGconn *c, struct dc_err *err, const char *sql, int n, const char *const *p)
{
	PGresult *r = db_exec(c, err, sql, n, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

/* Takes n values from table's id sequence. The caller frees *out. */
static int reserve_ids(PGconn *c, const char *table, int n, long long **out, struct dc_err *err)
{
	char nbuf[16];
	snprintf(nbuf, sizeof nbuf, "%d", n);
	const char *p[] = { table, nbuf };
	PGresult *r = db_exec(c, err, "SELECT nextval(pg_get_serial_sequence($1, 'id')) "
	                      "FROM generate_series(1, $2::int)", 2, p);
	if (!r)
		return -1;
	*out = xcalloc((size_t)n + 1, sizeof **out);
	for (int i = 0; i < n && i < PQntuples(r); i++)
		(*out)[i] = atoll(PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

static int insert_id(PGconn *c, struct dc_err *err, const char *sql, int n, const char *const *p,
                     int *id)
{
	PGresult *r = db_exec(c, err, sql, n, p);
	if (!r)
		return -1;
	*id = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* Replaces the fleet and tenants (--force): children first. Deletes leave
 * tombstones, so consoles see the old rows go. */
static int seed_wipe(PGconn *c, struct dc_err *err)
{
	static const char *const tables[] = {
		"usage_sample", "incident_node", "incident_tenant", "gpu", "job", "node", "rack",
		"hall", "site", "quota", "project", "tenant", "partition", "qos",
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(tables); i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "DELETE FROM dcops.%s", tables[i]);
		if (exec_ok(c, err, sql, 0, NULL) < 0)
			return -1;
	}
	return 0;
}

static int write_site(PGconn *c, const struct seed_cfg *cfg, int *hall, int *part, struct dc_err *err)
{
	int site;
	const char *ps[] = { cfg->site_code, cfg->site_name, cfg->tz };
	if (insert_id(c, err, "INSERT INTO dcops.site (code, name, timezone) VALUES ($1, $2, $3) "
	              "RETURNING id", 3, ps, &site) < 0)
		return -1;
	char sid[16];
	snprintf(sid, sizeof sid, "%d", site);
	const char *ph[] = { sid, cfg->hall };
	if (insert_id(c, err, "INSERT INTO dcops.hall (site_id, name) VALUES ($1, $2) RETURNING id",
	              2, ph, hall) < 0)
		return -1;
	for (int i = 0; i < cfg->npools; i++) {
		const struct seed_pool *pl = &cfg->pools[i];
		char wall[16];
		snprintf(wall, sizeof wall, "%d", pl->wall_h);
		const char *pp[] = { pl->partition, pl->model, wall, pl->description };
		if (insert_id(c, err, "INSERT INTO dcops.partition (name, gpu_model, max_wall, description) "
		              "VALUES ($1, $2, make_interval(hours => $3::int), $4) RETURNING id",
		              4, pp, &part[i]) < 0)
			return -1;
	}
	for (int i = 0; i < cfg->nqos; i++) {
		char prio[16], wall[16];
		snprintf(prio, sizeof prio, "%d", cfg->qos[i].priority);
		snprintf(wall, sizeof wall, "%d", cfg->qos[i].wall_h);
		const char *pq[] = { cfg->qos[i].name, prio, wall };
		if (exec_ok(c, err, "INSERT INTO dcops.qos (name, priority, max_wall) "
		            "VALUES ($1, $2, make_interval(hours => $3::int))", 3, pq) < 0)
			return -1;
	}
	return 0;
}

/* Deterministic per seed: the uuid stream has its own generator. */
static void gpu_uuid(struct dc_rng *r, char out[48])
{
	uint64_t a = dc_rng_next(r), b = dc_rng_next(r);
	snprintf(out, 48, "GPU-%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
	         (unsigned)(a >> 16) & 0xffff, (unsigned)(0x4000 | (a & 0x0fff)),
	         (unsigned)(0x8000 | ((b >> 48) & 0x3fff)), (unsigned long long)(b & 0xffffffffffffULL));
}

static int write_fleet(PGconn *c, const struct seed_cfg *cfg, const struct gen *g, int hall,
                       const int *part, struct dc_err *err)
{
	long long *rack_id = NULL, *node_id = NULL;
	struct sb sb = {0};
	int rc = -1;
	if (reserve_ids(c, "dcops.rack", g->nracks, &rack_id, err) < 0 ||
	    reserve_ids(c, "dcops.node", g->nnodes, &node_id, err) < 0 ||
	    copy_begin(c, "COPY dcops.rack (id, hall_id, name, row_no, position, power_cap_kw) "
	               "FROM STDIN", err) < 0)
		goto out;
	int width = g->nracks / cfg->per_row >= 100 ? 3 : 2;
	for (int i = 0; i < g->nracks; i++) {
		sb_appendf(&sb, "%lld\t%d\t%s%0*d-%02d\t%d\t%d\t%.2f\n", rack_id[i], hall, cfg->rack_prefix,
		           width, i / cfg->per_row + 1, i % cfg->per_row + 1, i / cfg->per_row + 1,
		           i % cfg->per_row + 1, cfg->cap_kw);
		if (sb.len > SEED_COPY_CHUNK && copy_flush(c, &sb, err) < 0)
			break;
	}
	if (copy_end(c, "rack", &sb, err) < 0 ||
	    copy_begin(c, "COPY dcops.node (id, name, rack_id, slot, partition_id, model, gpu_count) "
	               "FROM STDIN", err) < 0)
		goto out;
	for (int i = 0, k = 0, prev = -1; i < g->nnodes; i++) {
		const struct gen_node *n = &g->nodes[i];
		const struct seed_pool *pl = &cfg->pools[n->pool];
		k = n->pool == prev ? k + 1 : 1;
		prev = n->pool;
		sb_appendf(&sb, "%lld\t%s-%03d\t%lld\t%d\t%d\t", node_id[i], pl->prefix, k,
		           rack_id[n->rack], n->slot, part[n->pool]);
		copy_field(&sb, pl->model, false);
		sb_appendf(&sb, "%d\n", n->gpus);
		if (sb.len > SEED_COPY_CHUNK && copy_flush(c, &sb, err) < 0)
			break;
	}
	if (copy_end(c, "node", &sb, err) < 0 ||
	    copy_begin(c, "COPY dcops.gpu (node_id, idx, uuid, mem_total_mib) FROM STDIN", err) < 0)
		goto out;
	struct dc_rng r;
	dc_rng_seed(&r, cfg->seed ^ 0x6770755575696400ULL);
	for (int i = 0; i < g->nnodes; i++) {
		for (int x = 0; x < g->nodes[i].gpus; x++) {
			char uuid[48];
			gpu_uuid(&r, uuid);
			sb_appendf(&sb, "%lld\t%d\t%s\t%d\n", node_id[i], x, uuid,
			           cfg->pools[g->nodes[i].pool].mem_mib);
		}
		if (sb.len > SEED_COPY_CHUNK && copy_flush(c, &sb, err) < 0)
			break;
	}
	rc = copy_end(c, "gpu", &sb, err);
out:
	sb_free(&sb);
	free(rack_id);
	free(node_id);
	return rc;
}

static void day_str(long day, char out[16])
{
	time_t t = (time_t)day * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static int write_tenants(PGconn *c, const struct seed_cfg *cfg, const struct gen *g,
                         struct sb *hoarders, struct dc_err *err)
{
	long long *tid = NULL;
	struct sb sb = {0};
	int rc = -1;
	long today = (long)(time(NULL) / 86400);
	if (reserve_ids(c, "dcops.tenant", g->ntenants, &tid, err) < 0 ||
	    copy_begin(c, "COPY dcops.tenant (id, name, name_en, kind, contact) FROM STDIN", err) < 0)
		goto out;
	for (int i = 0; i < g->ntenants; i++) {
		const struct gen_tenant *t = &g->tenants[i];
		sb_appendf(&sb, "%lld\t", tid[i]);
		copy_field(&sb, t->name, false);
		copy_field(&sb, t->name_en, false);
		copy_field(&sb, t->kind, false);
		copy_field(&sb, t->contact, true);
		if (t->hoarder)
			sb_appendf(hoarders, "%s%lld", hoarders->len ? "," : "", tid[i]);
	}
	if (copy_end(c, "tenant", &sb, err) < 0 ||
	    copy_begin(c, "COPY dcops.project (tenant_id, name, programme, term_start, term_end) "
	               "FROM STDIN", err) < 0)
		goto out;
	for (int i = 0; i < g->ntenants; i++) {
		const struct gen_tenant *t = &g->tenants[i];
		char start[16], end[16];
		day_str(today - t->elapsed_days, start);
		day_str(today - t->elapsed_days + t->term_days, end);
		sb_appendf(&sb, "%lld\t", tid[i]);
		copy_field(&sb, t->topic, false);
		copy_field(&sb, t->programme, false);
		sb_appendf(&sb, "%s\t%s\n", start, end);
	}
	if (copy_end(c, "project", &sb, err) < 0 ||
	    copy_begin(c, "COPY dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, gpu_hours_used, "
	               "storage_tb, storage_used_tb, term_start, term_end) FROM STDIN", err) < 0)
		goto out;
	struct dc_rng r;
	dc_rng_seed(&r, cfg->seed ^ 0x71756F7461ULL);
	for (int i = 0; i < g->ntenants; i++) {
		const struct gen_tenant *t = &g->tenants[i];
		char start[16], end[16];
		day_str(today - t->elapsed_days, start);
		day_str(today - t->elapsed_days + t->term_days, end);
		double budget = t->gpus * 24.0 * t->term_days * cfg->budget_factor;
		double use = t->hoarder ? 0.05 * dc_rng_unit(&r) : 0.4 + 0.6 * dc_rng_unit(&r);
		double used = fmin(budget * 0.98, budget / cfg->budget_factor * use *
		                   t->elapsed_days / t->term_days);
		double storage_used = cfg->storage_tb * (t->hoarder ? 0.02 : dc_rng_unit(&r));
		sb_appendf(&sb, "%lld\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%s\t%s\n", tid[i], t->gpus, budget,
		           used, cfg->storage_tb, storage_used, start, end);
	}
	rc = copy_end(c, "quota", &sb, err);
out:
	sb_free(&sb);
	free(tid);
	return rc;
}

static int write_settings(PGconn *c, const struct seed_cfg *cfg, const char *hoarders,
                          struct dc_err *err)
{
	char seed[32];
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfg->seed);
	const char *kv[][2] = {
		{ "site.name", cfg->site_name }, { "site.code", cfg->site_code },
		{ "environment", cfg->env }, { "seed.number", seed }, { "sim.hoarders", hoarders },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(kv); i++)
		if (exec_ok(c, err, "INSERT INTO dcops.setting (key, value) VALUES ($1, $2) "
		            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", 2, kv[i]) < 0)
			return -1;
	return 0;
}

static int seed_write(PGconn *c, const struct seed_cfg *cfg, const struct gen *g, bool force,
                      struct dc_err *err)
{
	PGresult *r = db_exec(c, err, "SELECT count(*) FROM dcops.node", 0, NULL);
	if (!r)
		return -1;
	int have = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (have > 0 && !force) {
		dc_err_set(err, "the database already has %d nodes; use --force to replace the fleet", have);
		return 1;
	}
	int hall, *part = xcalloc((size_t)cfg->npools, sizeof *part);
	struct sb hoarders = {0};
	int rc = (have > 0 && seed_wipe(c, err) < 0) ||
	         write_site(c, cfg, &hall, part, err) < 0 ||
	         write_fleet(c, cfg, g, hall, part, err) < 0 ||
	         write_tenants(c, cfg, g, &hoarders, err) < 0 ||
	         write_settings(c, cfg, hoarders.buf ? hoarders.buf : "", err) < 0 ? -1 : 0;
	sb_free(&hoarders);
	free(part);
	return rc;
}

/* prefix with its first word (up to '-') replaced by word: "gj-h100" -> "pg-h100". */
static char *prefix_rename(const char *prefix, const char *word)
{
	const char *dash = strchr(prefix, '-');
	return xasprintf("%s%s", word, dash ? dash : "");
}

/* seed_opts' site overrides; the renamed prefixes go to owned[] (npools + 1). */
static int seed_rename(struct seed_cfg *cfg, const struct seed_opts *so, char **owned,
                       struct dc_err *err)
{
	if (so->site_code)
		cfg->site_code = so->site_code;
	if (so->site_name)
		cfg->site_name = so->site_name;
	if (!so->name_prefix)
		return 0;
	if (!name_ok(so->name_prefix, 20, true) || strchr(so->name_prefix, '-'))
		return dc_err_set(err, "name prefix \"%s\": expected lower-case letters or digits",
		                  so->name_prefix);
	owned[0] = prefix_rename(cfg->rack_prefix, so->name_prefix);
	cfg->rack_prefix = owned[0];
	for (int i = 0; i < cfg->npools; i++) {
		owned[i + 1] = prefix_rename(cfg->pools[i].prefix, so->name_prefix);
		cfg->pools[i].prefix = owned[i + 1];
	}
	return 0;
}

static char *default_path(void)
{
	return xasprintf("%s/backend/seed/gwangju.json", dc_datadir());
}

int seed_load(PGconn *c, const struct seed_opts *so, struct seed_result *res, struct dc_err *err)
{
	int64_t t0 = dc_mono_us();
	char *path = so->config_path ? xstrdup(so->config_path) : default_path();
	struct seed_cfg cfg = {0};
	struct gen g = {0};
	cJSON *root = NULL;
	char **owned = NULL;
	int rc = -1;
	double scale = so->scale > 0 ? so->scale : 1;
	/* the shared loader: size limit, nesting limit, "file: line N" on bad JSON */
	root = config_json_load(path, SEED_FILE_MAX, err);
	if (!root)
		goto out;
	struct jctx j = { .file = path, .err = err };
	if (seed_parse(&j, root, &cfg) < 0)
		goto out;
	if (so->seed)
		cfg.seed = so->seed;
	owned = xcalloc((size_t)cfg.npools + 1, sizeof *owned);
	if (seed_rename(&cfg, so, owned, err) < 0)
		goto out;
	if (gen_fleet(&cfg, scale, &g, err) < 0) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		dc_err_set(err, "%s: %s", path, msg);
		goto out;
	}
	gen_tenants(&cfg, scale, &g);
	PGresult *r = PQexec(c, "BEGIN");
	bool begun = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!begun)
		dc_err_set(err, "BEGIN: %s", PQerrorMessage(c));
	PQclear(r);
	if (!begun)
		goto out;
	rc = seed_write(c, &cfg, &g, so->force, err);
	PQclear(PQexec(c, rc == 0 ? "COMMIT" : "ROLLBACK"));
	if (rc == 0 && PQtransactionStatus(c) != PQTRANS_IDLE)
		rc = dc_err_set(err, "COMMIT: %s", PQerrorMessage(c));
	if (rc == 0 && res)
		*res = (struct seed_result){ .nodes = g.nnodes, .gpus = g.ngpus, .racks = g.nracks,
		                             .tenants = g.ntenants, .projects = g.ntenants,
		                             .ms = (double)(dc_mono_us() - t0) / 1000.0 };
out:
	for (int i = 0; owned && i <= cfg.npools; i++)
		free(owned[i]);
	free(owned);
	gen_free(&g);
	seed_cfg_free(&cfg);
	cJSON_Delete(root);
	free(path);
	return rc;
}

static int seed_usage(void)
{
	fprintf(stderr, "usage: dcops seed [--config FILE] [--seed N] [--scale X] [--force]\n");
	return 2;
}

/* "--name VALUE" or "--name=VALUE"; advances *i past what it used. */
static const char *arg_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int seed_cmd(const struct dc_opts *o, int argc, char **argv)
{
	struct seed_opts so = {0};
	for (int i = 1; i < argc; i++) {
		const char *v;
		char *end;
		if (strcmp(argv[i], "--force") == 0) {
			so.force = true;
		} else if ((v = arg_value(argc, argv, &i, "--config")) != NULL) {
			so.config_path = v;
		} else if ((v = arg_value(argc, argv, &i, "--seed")) != NULL) {
			so.seed = strtoull(v, &end, 10);
			if (*end || !*v || so.seed == 0) {
				text_putline(stderr, "dcops: seed: --seed wants a positive integer, not '%s'", v);
				return 2;
			}
		} else if ((v = arg_value(argc, argv, &i, "--scale")) != NULL) {
			so.scale = strtod(v, &end);
			if (*end || !*v || !(so.scale > 0 && so.scale <= 1000)) {
				text_putline(stderr, "dcops: seed: --scale wants a number in (0, 1000], not '%s'", v);
				return 2;
			}
		} else {
			return seed_usage();
		}
	}
	struct dc_err err = {0};
	PGconn *c = db_connect(o, "dcops seed", &err);
	if (!c) {
		text_putline(stderr, "dcops: seed: %s", err.msg);
		return 1;
	}
	struct seed_result res = {0};
	int rc = seed_load(c, &so, &res, &err);
	PQfinish(c);
	if (rc != 0) {
		text_putline(stderr, "dcops: seed: %s", err.msg);
		return 1;
	}
	if (!o->quiet)
		printf("seeded %d nodes, %d accelerators, %d racks, %d tenants in %.2f s\n",
		       res.nodes, res.gpus, res.racks, res.tenants, res.ms / 1000.0);
	return 0;
}
