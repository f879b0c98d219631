/* drill.c — incident drills: scenario files checked against tables of
 * event and expectation kinds, the drill's life on the database
 * (011_drills.sql) and the scorecard, which the server computes from its
 * own record (012_drill_score.sql) and this file only prints. */
#include "drill.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "config.h"
#include "db.h"
#include "text.h"

/* ---------------------------------------------------------------- kinds */

enum ftype { FT_INT, FT_NODE, FT_TEXT, FT_DUR, FT_NODES };

struct fspec {
	const char *name;
	enum ftype type;
	bool required;
	int min, max;          /* FT_INT */
};

struct ekind {
	const char *name;
	const struct fspec *fields;
	size_t nfields;
};

#define SEV { "sev", FT_INT, false, 1, 5 }
#define ROW { "row", FT_INT, true, 1, 10000 }
static const struct fspec f_xid[] = {
	{ "node", FT_NODE, true, 0, 0 }, { "gpu", FT_INT, true, 0, 63 }, { "xid", FT_INT, true, 1, 999 }, SEV,
};
static const struct fspec f_leaf[] = { ROW, SEV };
static const struct fspec f_cooling[] = { ROW, { "throttle_pct", FT_INT, true, 1, 100 }, SEV };
static const struct fspec f_storage[] = { { "pct", FT_INT, true, 1, 100 }, SEV };
static const struct fspec f_runaway[] = {
	{ "tenant", FT_TEXT, true, 0, 0 }, { "gpus", FT_INT, true, 1, 100000 }, SEV,
};
static const struct fspec f_power[] = { ROW, { "kw", FT_INT, true, 1, 100000 }, SEV };
#undef SEV
#undef ROW

#define KIND(n, f) { .name = n, .fields = f, .nfields = DC_ARRAY_LEN(f) }
static const struct ekind event_kinds[] = {
	KIND("xid", f_xid),
	KIND("leaf_switch", f_leaf),
	KIND("cooling", f_cooling),
	KIND("storage_degraded", f_storage),
	KIND("runaway_tenant", f_runaway),
	KIND("power_cap", f_power),
};

static const struct fspec f_ack[] = { { "within", FT_DUR, true, 0, 0 }, { "event", FT_INT, false, 0, DRILL_MAX_EVENTS } };
static const struct fspec f_drain[] = {
	{ "within", FT_DUR, true, 0, 0 }, { "nodes", FT_NODES, false, 0, 0 },
	{ "from_event", FT_INT, false, 0, DRILL_MAX_EVENTS }, { "event", FT_INT, false, 0, DRILL_MAX_EVENTS },
};
static const struct fspec f_none[] = { { "note", FT_TEXT, false, 0, 0 } };
static const struct fspec f_note[] = { { "within", FT_DUR, true, 0, 0 } };

/* running_jobs: the scenario's premise, jobs the simulated fleet runs from
 * the drill's start (an entry has no kind: one table of fields). */
static const struct fspec f_job[] = {
	{ "tenant", FT_TEXT, true, 0, 0 }, { "gpus", FT_INT, true, 1, 4096 }, { "nodes", FT_NODES, true, 0, 0 },
	{ "name", FT_TEXT, false, 0, 0 },
};

static const struct ekind expect_kinds[] = {
	KIND("ack_incident", f_ack),
	KIND("drain_nodes", f_drain),
	KIND("no_drain_healthy", f_none),
	KIND("no_quota_cut_below_use", f_none),
	KIND("handover_note", f_note),
};
#undef KIND

/* ---------------------------------------------------------------- validation */

struct vctx {
	const char *file;
	struct dc_err *err;
};

static int vfail(struct vctx *v, const char *path, const cJSON *got, const char *fmt, ...) DC_PRINTF(4, 5);
static int vfail(struct vctx *v, const char *path, const cJSON *got, const char *fmt, ...)
{
	char msg[256], desc[64] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (got)
		config_json_describe(got, desc, sizeof desc);
	return dc_err_set(v->err, "%s: %s%s%s%s%s", v->file, path, *path ? ": " : "", msg,
	                  got ? ", got " : "", desc);
}

/* "90s", "5m", "1h30m", "0s" or a whole number of seconds; -1 when not. */
static int dur_parse(const cJSON *j, long *out)
{
	if (cJSON_IsNumber(j)) {
		if (j->valuedouble < 0 || j->valuedouble > 7 * 86400 || j->valuedouble != floor(j->valuedouble))
			return -1;
		*out = (long)j->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(j) || !*j->valuestring || strlen(j->valuestring) > 16)
		return -1;
	static const char units[] = "hms";
	static const long mult[] = { 3600, 60, 1 };
	long total = 0;
	int last = -1;
	for (const char *s = j->valuestring; *s;) {
		if (*s < '0' || *s > '9')
			return -1;
		long n = 0;
		while (*s >= '0' && *s <= '9')
			n = n * 10 + (*s++ - '0');
		const char *u = *s ? strchr(units, *s) : NULL;
		if (!u || (int)(u - units) <= last)
			return -1;
		last = (int)(u - units);
		total += n * mult[last];
		s++;
	}
	if (total > 7 * 86400)
		return -1;
	*out = total;
	return 0;
}

static bool node_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'))
			return false;
	return true;
}

static int field_check(struct vctx *v, const char *path, const struct fspec *f, const cJSON *val,
                       cJSON *out)
{
	long d;
	switch (f->type) {
	case FT_INT:
		if (!cJSON_IsNumber(val) || val->valuedouble != floor(val->valuedouble) ||
		    val->valuedouble < f->min || val->valuedouble > f->max)
			return vfail(v, path, val, "expected a whole number from %d to %d", f->min, f->max);
		cJSON_AddNumberToObject(out, f->name, val->valuedouble);
		return 0;
	case FT_NODE:
		if (!cJSON_IsString(val) || !node_name_ok(val->valuestring))
			return vfail(v, path, val, "expected a node name like gj-h100-017");
		cJSON_AddStringToObject(out, f->name, val->valuestring);
		return 0;
	case FT_TEXT:
		if (!cJSON_IsString(val) || !*val->valuestring || strlen(val->valuestring) > 200)
			return vfail(v, path, val, "expected text of 1 to 200 characters");
		cJSON_AddStringToObject(out, f->name, val->valuestring);
		return 0;
	case FT_DUR:
		if (dur_parse(val, &d) != 0)
			return vfail(v, path, val, "expected a duration like 90s, 5m or 1h30m (at most 7 days)");
		char key[32];
		snprintf(key, sizeof key, "%s_s", f->name);
		cJSON_AddNumberToObject(out, key, (double)d);
		return 0;
	case FT_NODES: {
		int n = cJSON_GetArraySize(val);
		if (!cJSON_IsArray(val) || n < 1 || n > 64)
			return vfail(v, path, val, "expected a list of 1 to 64 node names");
		cJSON *arr = cJSON_AddArrayToObject(out, f->name);
		for (int i = 0; i < n; i++) {
			const cJSON *e = cJSON_GetArrayItem(val, i);
			if (!cJSON_IsString(e) || !node_name_ok(e->valuestring)) {
				char p[160];
				snprintf(p, sizeof p, "%s[%d]", path, i);
				return vfail(v, p, e, "expected a node name like gj-h100-017");
			}
			cJSON_AddItemToArray(arr, cJSON_CreateString(e->valuestring));
		}
		return 0;
	}
	}
	return 0;
}

static const struct ekind *kind_find(const struct ekind *k, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return &k[i];
	return NULL;
}

/* One timeline or expectation entry: "kind", the kind's fields, and for
 * events "at". Unknown or repeated keys are errors. */
static cJSON *entry_check(struct vctx *v, const char *base, const cJSON *e, const struct ekind *kinds,
                          size_t nkinds, bool is_event)
{
	char path[160];
	if (!cJSON_IsObject(e)) {
		vfail(v, base, e, "expected an object");
		return NULL;
	}
	snprintf(path, sizeof path, "%s.kind", base);
	const cJSON *kj = cJSON_GetObjectItemCaseSensitive(e, "kind");
	if (!cJSON_IsString(kj)) {
		vfail(v, path, kj, kj ? "expected a string" : "missing");
		return NULL;
	}
	const struct ekind *k = kind_find(kinds, nkinds, kj->valuestring);
	if (!k) {
		struct sb names = {0};
		for (size_t i = 0; i < nkinds; i++)
			sb_appendf(&names, "%s%s", i ? ", " : "", kinds[i].name);
		vfail(v, path, kj, "unknown kind (one of %s)", names.buf);
		sb_free(&names);
		return NULL;
	}
	cJSON *out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "kind", k->name);
	const cJSON *f;
	cJSON_ArrayForEach(f, e) {
		snprintf(path, sizeof path, "%s.%s", base, f->string);
		bool known = strcmp(f->string, "kind") == 0 || (is_event && strcmp(f->string, "at") == 0);
		for (size_t i = 0; !known && i < k->nfields; i++)
			known = strcmp(k->fields[i].name, f->string) == 0;
		bool repeated = false;
		for (const cJSON *p = e->child; p != f; p = p->next)
			repeated |= strcmp(p->string, f->string) == 0;
		if (!known || repeated) {
			vfail(v, path, NULL, repeated ? "repeated key" : "unknown key for kind %s", k->name);
			goto bad;
		}
	}
	if (is_event) {
		static const struct fspec at = { "at", FT_DUR, true, 0, 0 };
		snprintf(path, sizeof path, "%s.at", base);
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "at");
		if (!a) {
			vfail(v, path, NULL, "missing");
			goto bad;
		}
		if (field_check(v, path, &at, a, out) != 0)
			goto bad;
	}
	for (size_t i = 0; i < k->nfields; i++) {
		const struct fspec *fs = &k->fields[i];
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(e, fs->name);
		snprintf(path, sizeof path, "%s.%s", base, fs->name);
		if (!val && fs->required) {
			vfail(v, path, NULL, "missing (kind %s needs it)", k->name);
			goto bad;
		}
		if (val && field_check(v, path, fs, val, out) != 0)
			goto bad;
	}
	return out;
bad:
	cJSON_Delete(out);
	return NULL;
}

static int json_depth(const cJSON *j)
{
	int max = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, j) {
		int d = json_depth(c);
		max = d > max ? d : max;
	}
	return (cJSON_IsArray(j) || cJSON_IsObject(j)) ? max + 1 : 0;
}

static const cJSON *event_at(const cJSON *timeline, const cJSON *exp, const char *key)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(exp, key);
	return i ? cJSON_GetArrayItem(timeline, (int)i->valuedouble) : NULL;
}

/* Cross-entry rules: event indices exist; drain_nodes names its nodes one way. */
static int expectation_links(struct vctx *v, const char *path, const cJSON *exp, const cJSON *timeline)
{
	int n = cJSON_GetArraySize(timeline);
	static const char *const refs[] = { "event", "from_event" };
	char p[160];
	for (size_t i = 0; i < DC_ARRAY_LEN(refs); i++) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(exp, refs[i]);
		snprintf(p, sizeof p, "%s.%s", path, refs[i]);
		if (r && r->valuedouble >= n)
			return vfail(v, p, r, "no such event: the timeline has %d (0 to %d)", n, n - 1);
	}
	if (strcmp(cJSON_GetObjectItemCaseSensitive(exp, "kind")->valuestring, "drain_nodes") != 0)
		return 0;
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(exp, "nodes");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(exp, "from_event");
	if ((nodes != NULL) == (from != NULL))
		return vfail(v, path, NULL, "drain_nodes needs exactly one of nodes or from_event");
	const cJSON *ev = event_at(timeline, exp, "from_event");
	const char *kind = ev ? cJSON_GetObjectItemCaseSensitive(ev, "kind")->valuestring : NULL;
	if (kind && (strcmp(kind, "storage_degraded") == 0 || strcmp(kind, "runaway_tenant") == 0)) {
		snprintf(p, sizeof p, "%s.from_event", path);
		return vfail(v, p, from, "event %.0f (%s) affects no nodes", from->valuedouble, kind);
	}
	return 0;
}

static cJSON *list_check(struct vctx *v, const cJSON *root, const char *key, int max,
                         const struct ekind *kinds, size_t nkinds, bool is_event)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key);
	int n = cJSON_GetArraySize(arr);
	if (!cJSON_IsArray(arr) || n < 1 || n > max) {
		vfail(v, key, arr, arr ? "expected a list of 1 to %d entries" : "missing (a list of 1 to %d entries)", max);
		return NULL;
	}
	cJSON *out = cJSON_CreateArray();
	long prev_at = 0;
	for (int i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof path, "%s[%d]", key, i);
		cJSON *e = entry_check(v, path, cJSON_GetArrayItem(arr, i), kinds, nkinds, is_event);
		if (!e) {
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_AddItemToArray(out, e);
		if (!is_event)
			continue;
		long at = (long)cJSON_GetObjectItemCaseSensitive(e, "at_s")->valuedouble;
		if (at < prev_at) {
			snprintf(path, sizeof path, "%s[%d].at", key, i);
			vfail(v, path, NULL, "%lds comes before the previous event (%lds): keep the timeline in order",
			      at, prev_at);
			cJSON_Delete(out);
			return NULL;
		}
		prev_at = at;
	}
	return out;
}

/* One running_jobs entry: the fields of f_job, gpus split evenly over the nodes. */
static cJSON *job_check(struct vctx *v, const char *base, const cJSON *e)
{
	char path[160];
	if (!cJSON_IsObject(e)) {
		vfail(v, base, e, "expected an object");
		return NULL;
	}
	const cJSON *f;
	cJSON_ArrayForEach(f, e) {
		bool known = false;
		for (size_t i = 0; i < DC_ARRAY_LEN(f_job); i++)
			known |= strcmp(f_job[i].name, f->string) == 0;
		if (!known) {
			snprintf(path, sizeof path, "%s.%s", base, f->string);
			vfail(v, path, NULL, "unknown key (one of tenant, gpus, nodes, name)");
			return NULL;
		}
	}
	cJSON *out = cJSON_CreateObject();
	for (size_t i = 0; i < DC_ARRAY_LEN(f_job); i++) {
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(e, f_job[i].name);
		snprintf(path, sizeof path, "%s.%s", base, f_job[i].name);
		if (!val && f_job[i].required) {
			vfail(v, path, NULL, "missing");
			goto bad;
		}
		if (val && field_check(v, path, &f_job[i], val, out) != 0)
			goto bad;
	}
	int gpus = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(out, "gpus"));
	int nodes = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "nodes"));
	if (gpus % nodes != 0) {
		snprintf(path, sizeof path, "%s.gpus", base);
		vfail(v, path, NULL, "%d GPUs do not split evenly over %d nodes", gpus, nodes);
		goto bad;
	}
	return out;
bad:
	cJSON_Delete(out);
	return NULL;
}

/* running_jobs is optional; NULL with *bad set when it is wrong. */
static cJSON *jobs_check(struct vctx *v, const cJSON *root, bool *bad)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "running_jobs");
	*bad = false;
	if (!arr)
		return NULL;
	int n = cJSON_GetArraySize(arr);
	if (!cJSON_IsArray(arr) || n < 1 || n > DRILL_MAX_JOBS) {
		vfail(v, "running_jobs", arr, "expected a list of 1 to %d jobs", DRILL_MAX_JOBS);
		*bad = true;
		return NULL;
	}
	cJSON *out = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof path, "running_jobs[%d]", i);
		cJSON *j = job_check(v, path, cJSON_GetArrayItem(arr, i));
		if (!j) {
			cJSON_Delete(out);
			*bad = true;
			return NULL;
		}
		cJSON_AddItemToArray(out, j);
	}
	return out;
}

static int spec_check(struct vctx *v, const cJSON *root, struct drill_scenario *s)
{
	static const char *const top[] = { "title", "briefing", "seed", "speed", "running_jobs", "timeline",
	                                   "expectations" };
	if (!cJSON_IsObject(root))
		return vfail(v, "", root, "expected a JSON object");
	if (json_depth(root) > DRILL_MAX_DEPTH)
		return vfail(v, "", NULL, "nested deeper than %d levels", DRILL_MAX_DEPTH);
	const cJSON *f;
	cJSON_ArrayForEach(f, root) {
		bool known = false;
		for (size_t i = 0; i < DC_ARRAY_LEN(top); i++)
			known |= strcmp(f->string, top[i]) == 0;
		if (!known)
			return vfail(v, f->string, NULL, "unknown key (one of title, briefing, seed, speed, running_jobs, "
			             "timeline, expectations)");
	}
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(root, "title");
	const cJSON *brief = cJSON_GetObjectItemCaseSensitive(root, "briefing");
	const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
	const cJSON *speed = cJSON_GetObjectItemCaseSensitive(root, "speed");
	if (!cJSON_IsString(title) || !*title->valuestring || strlen(title->valuestring) > 200)
		return vfail(v, "title", title, "expected text of 1 to 200 characters");
	if (!cJSON_IsString(brief) || !*brief->valuestring || strlen(brief->valuestring) > 4000)
		return vfail(v, "briefing", brief, "expected text of 1 to 4000 characters");
	if (seed && (!cJSON_IsNumber(seed) || seed->valuedouble < 0 || seed->valuedouble > 9e15 ||
	             seed->valuedouble != floor(seed->valuedouble)))
		return vfail(v, "seed", seed, "expected a whole number >= 0");
	if (speed && (!cJSON_IsNumber(speed) || speed->valuedouble <= 0 || speed->valuedouble > 10000))
		return vfail(v, "speed", speed, "expected a number above 0 and at most 10000");
	bool bad_jobs;
	cJSON *jobs = jobs_check(v, root, &bad_jobs);
	if (bad_jobs)
		return -1;
	cJSON *tl = list_check(v, root, "timeline", DRILL_MAX_EVENTS, event_kinds, DC_ARRAY_LEN(event_kinds), true);
	if (!tl) {
		cJSON_Delete(jobs);
		return -1;
	}
	cJSON *ex = list_check(v, root, "expectations", DRILL_MAX_EXPECTATIONS, expect_kinds,
	                       DC_ARRAY_LEN(expect_kinds), false);
	for (int i = 0; ex && i < cJSON_GetArraySize(ex); i++) {
		char path[64];
		snprintf(path, sizeof path, "expectations[%d]", i);
		if (expectation_links(v, path, cJSON_GetArrayItem(ex, i), tl) != 0) {
			cJSON_Delete(ex);
			ex = NULL;
		}
	}
	if (!ex) {
		cJSON_Delete(jobs);
		cJSON_Delete(tl);
		return -1;
	}
	s->title = xstrdup(title->valuestring);
	s->briefing = xstrdup(brief->valuestring);
	s->seed = seed ? (int64_t)seed->valuedouble : 0;
	s->speed = speed ? speed->valuedouble : 1;
	s->spec = cJSON_CreateObject();
	cJSON_AddStringToObject(s->spec, "title", s->title);
	cJSON_AddStringToObject(s->spec, "briefing", s->briefing);
	if (jobs)
		cJSON_AddItemToObject(s->spec, "running_jobs", jobs);
	cJSON_AddItemToObject(s->spec, "timeline", tl);
	cJSON_AddItemToObject(s->spec, "expectations", ex);
	return 0;
}

int drill_scenario_load(const char *path, struct drill_scenario *s, struct dc_err *err)
{
	memset(s, 0, sizeof *s);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base);
	regex_t re;
	regcomp(&re, "^[a-z0-9][a-z0-9_-]{0,63}\\.json$", REG_EXTENDED | REG_NOSUB);
	int bad_name = regexec(&re, base, 0, NULL, 0);
	regfree(&re);
	if (bad_name)
		return dc_err_set(err, "%s: a scenario file is named NAME.json, NAME of [a-z0-9_-] (at most 64)", path);
	cJSON *root = config_json_load(path, DRILL_MAX_BYTES, err);
	if (!root)
		return -1;
	struct vctx v = { .file = path, .err = err };
	int rc = spec_check(&v, root, s);
	cJSON_Delete(root);
	if (rc != 0) {
		drill_scenario_free(s);
		return -1;
	}
	s->name = xstrndup(base, len - 5);
	return 0;
}

void drill_scenario_free(struct drill_scenario *s)
{
	free(s->name);
	free(s->title);
	free(s->briefing);
	cJSON_Delete(s->spec);
	memset(s, 0, sizeof *s);
}

const char *drill_dir(void)
{
	static char *dir;
	const char *env = getenv("DCOPS_DRILLS");
	if (env && *env)
		return env;
	if (!dir)
		dir = xasprintf("%s/drills", dc_datadir());
	return dir;
}

char *drill_scenario_path(const char *name)
{
	size_t n = strlen(name);
	if (strchr(name, '/') || (n > 5 && strcmp(name + n - 5, ".json") == 0))
		return xstrdup(name);
	return xasprintf("%s/%s.json", drill_dir(), name);
}

/* ---------------------------------------------------------------- scoring */

static double num(const cJSON *obj, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void span(double s, char *buf, size_t n)
{
	long v = lround(fabs(s));
	if (v >= 3600)
		snprintf(buf, n, "%ldh%02ldm%02lds", v / 3600, v % 3600 / 60, v % 60);
	else if (v >= 60)
		snprintf(buf, n, "%ldm%02lds", v / 60, v % 60);
	else
		snprintf(buf, n, "%lds", v);
}

/* ---------------------------------------------------------------- database */

static int64_t first_int(PGresult *r)
{
	int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

int drill_start(PGconn *c, const struct drill_scenario *s, double speed, int64_t *id, struct dc_err *err)
{
	char *spec = cJSON_PrintUnformatted(s->spec);
	char seed[24], sp[32];
	snprintf(seed, sizeof seed, "%lld", (long long)s->seed);
	snprintf(sp, sizeof sp, "%.6g", speed > 0 ? speed : s->speed);
	const char *p[] = { s->name, spec, seed, sp };
	PGresult *r = db_exec(c, err, "SELECT drill_id FROM dcops.drill_start($1, $2::jsonb, $3::bigint, $4::numeric)",
	                      4, p);
	free(spec);
	if (!r)
		return -1;
	*id = first_int(r);
	return 0;
}

int drill_tick(PGconn *c, int64_t *id, bool *ended, struct dc_err *err)
{
	*ended = false;
	PGresult *r = db_exec(c, err, "SELECT drill_id, ended FROM dcops.drill_tick()", 0, NULL);
	if (!r)
		return -1;
	*ended = PQgetvalue(r, 0, 1)[0] == 't';
	*id = first_int(r);
	return 0;
}

int drill_stop(PGconn *c, int64_t *id, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, "SELECT coalesce(dcops.current_drill(), 0)", 0, NULL);
	if (!r)
		return -1;
	*id = first_int(r);
	if (*id == 0)
		return dc_err_set(err, "no drill is running");
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)*id);
	const char *p[] = { ids };
	r = db_exec(c, err, "SELECT drill_id FROM dcops.drill_end($1::bigint, 'stopped')", 1, p);
	PQclear(r);
	return r ? 0 : -1;
}

int drill_scorecard(PGconn *c, int64_t id, cJSON **out, struct dc_err *err)
{
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	const char *p[] = { ids };
	PGresult *r = db_exec(c, err, "SELECT dcops.drill_score($1::bigint)", 1, p);
	if (!r)
		return -1;
	*out = cJSON_Parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	return *out ? 0 : dc_err_set(err, "drill %lld: the server's scorecard is not JSON", (long long)id);
}

/* ---------------------------------------------------------------- rendering */

static void esc(struct sb *sb, enum report_format fmt, const char *s)
{
	if (fmt == REPORT_MD)
		text_escape_md(sb, s);
	else
		text_escape(sb, s);
}

void drill_scorecard_print(FILE *f, const cJSON *card, enum report_format fmt)
{
	if (fmt == REPORT_JSON) {
		text_json_print(f, card);
		return;
	}
	bool md = fmt == REPORT_MD;
	struct sb sb = {0};
	const char *result = str(card, "result") ? str(card, "result") : "pending";
	sb_appendf(&sb, "%sDrill %.0f: ", md ? "## " : "DRILL SCORECARD\n", num(card, "drill_id", 0));
	esc(&sb, fmt, str(card, "title"));
	sb_append(&sb, " (");
	esc(&sb, fmt, str(card, "scenario"));
	sb_appendf(&sb, ")\n%sResult: %s%s%s (", md ? "\n" : "", md ? "**" : "",
	           strcmp(result, "pass") == 0 ? "PASS" : strcmp(result, "fail") == 0 ? "FAIL" : "PENDING",
	           md ? "**" : "");
	esc(&sb, fmt, str(card, "status") ? str(card, "status") : "?");
	sb_appendf(&sb, "); %.0f met, %.0f missed, %.0f pending\n", num(card, "met", 0), num(card, "missed", 0),
	           num(card, "pending", 0));
	sb_append(&sb, md ? "\nStarted by " : "Started by ");
	esc(&sb, fmt, str(card, "started_by"));
	sb_append(&sb, " at ");
	esc(&sb, fmt, str(card, "started_at") ? str(card, "started_at") : "?");
	sb_appendf(&sb, ", speed %gx, seed %.0f\n", num(card, "speed", 1), num(card, "seed", 0));
	sb_appendf(&sb, "%sTimes: wall clock since the drill started; its data center ran %gx faster.\n",
	           md ? "\n" : "", num(card, "speed", 1));

	sb_append(&sb, md ? "\n### Expectations\n\n" : "\nExpectations\n");
	const cJSON *e;
	char t[32];
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(card, "expectations")) {
		const char *st = str(e, "status") ? str(e, "status") : "";
		sb_appendf(&sb, md ? "- **%s** " : "  %-7s ",
		           strcmp(st, "met") == 0 ? "MET" : strcmp(st, "missed") == 0 ? "MISSED" : "PENDING");
		esc(&sb, fmt, str(e, "kind"));
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "within_s"))) {
			span(num(e, "within_s", 0), t, sizeof t);
			sb_appendf(&sb, " within %s", t);
		}
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "measured_s"))) {
			span(num(e, "measured_s", 0), t, sizeof t);
			sb_appendf(&sb, ", took %s", t);
		}
		sb_append(&sb, ": ");
		esc(&sb, fmt, str(e, "detail"));
		sb_append(&sb, "\n");
	}
	const cJSON *wrong = cJSON_GetObjectItemCaseSensitive(card, "wrong_actions");
	sb_appendf(&sb, md ? "\n### Wrong or unnecessary actions (%d)\n\n" : "\nWrong or unnecessary actions (%d)\n",
	           cJSON_GetArraySize(wrong));
	if (!cJSON_GetArraySize(wrong))
		sb_append(&sb, md ? "_none_\n" : "  none\n");
	cJSON_ArrayForEach(e, wrong) {
		span(num(e, "at_s", 0), t, sizeof t);
		sb_appendf(&sb, md ? "- +%s " : "  +%-9s ", t);
		esc(&sb, fmt, str(e, "actor"));
		sb_append(&sb, " ");
		esc(&sb, fmt, str(e, "action"));
		sb_append(&sb, " ");
		esc(&sb, fmt, str(e, "target"));
		sb_append(&sb, ": ");
		esc(&sb, fmt, str(e, "why"));
		sb_append(&sb, "\n");
	}
	sb_append(&sb, md ? "\n### Timeline\n\n" : "\nTimeline\n");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(card, "timeline")) {
		span(num(e, "at_s", 0), t, sizeof t);
		sb_appendf(&sb, md ? "- +%s " : "  +%-9s ", t);
		esc(&sb, fmt, str(e, "who"));
		sb_append(&sb, md ? ": " : "  ");
		esc(&sb, fmt, str(e, "what"));
		sb_append(&sb, "\n");
	}
	fputs(sb.buf, f);
	sb_free(&sb);
}
