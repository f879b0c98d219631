/* remedy-table.c — the remediation table: JSON walked by a table of
 * fields, every error naming the file, the key and the value. */
#include "remedy.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum field_type { F_TEXT, F_POLICY, F_SEV, F_BOOL };

struct field {
	const char *name;
	enum field_type type;
	size_t off;                /* in struct remedy_rule */
	size_t max;                /* F_TEXT: longest value */
	bool required;             /* for an entry new to the table */
};

#define RF(name, type, member, max, req) { name, type, offsetof(struct remedy_rule, member), max, req }
static const struct field fields[] = {
	RF("meaning", F_TEXT, meaning, 120, true),
	RF("action", F_TEXT, action, 200, false),
	RF("policy", F_POLICY, policy, 40, true),
	RF("severity", F_SEV, severity, 0, false),
	RF("incident", F_BOOL, incident, 0, false),
	RF("drain", F_BOOL, drain, 0, false),
	RF("jobs_dead", F_BOOL, jobs_dead, 0, false),
	RF("auto_drain", F_BOOL, auto_drain, 0, false),
};

static const struct {
	const char *key;
	enum tel_event_kind kind;
} counter_keys[] = {
	{ "ecc_dbe", TEL_ECC_DBE },
	{ "remap_failure", TEL_REMAP_FAILURE },
	{ "remap_pending", TEL_REMAP_PENDING },
	{ "nvlink", TEL_NVLINK },
};

void remedy_key(const struct remedy_rule *rule, char *buf, size_t n)
{
	if (rule->kind == TEL_XID) {
		if (rule->xid == REMEDY_XID_ANY)
			snprintf(buf, n, "xid.*");
		else
			snprintf(buf, n, "xid.%lld", rule->xid);
		return;
	}
	for (size_t i = 0; i < DC_ARRAY_LEN(counter_keys); i++)
		if (counter_keys[i].kind == rule->kind) {
			snprintf(buf, n, "%s", counter_keys[i].key);
			return;
		}
	snprintf(buf, n, "?");
}

/* "xid.79", "xid.*" or a counter kind; -1 when key is none of them. */
static int key_parse(const char *key, enum tel_event_kind *kind, long long *xid)
{
	*xid = 0;
	if (strncmp(key, "xid.", 4) == 0) {
		*kind = TEL_XID;
		const char *d = key + 4;
		if (strcmp(d, "*") == 0) {
			*xid = REMEDY_XID_ANY;
			return 0;
		}
		size_t len = strspn(d, "0123456789");
		if (len == 0 || len > 5 || d[len] || (d[0] == '0' && len > 1))
			return -1;
		*xid = atoll(d);
		return *xid <= 65535 ? 0 : -1;
	}
	for (size_t i = 0; i < DC_ARRAY_LEN(counter_keys); i++)
		if (strcmp(key, counter_keys[i].key) == 0) {
			*kind = counter_keys[i].kind;
			return 0;
		}
	return -1;
}

static struct remedy_rule *rule_find(struct remedy *r, enum tel_event_kind kind, long long xid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->rules[i].kind == kind && r->rules[i].xid == xid)
			return &r->rules[i];
	return NULL;
}

const struct remedy_rule *remedy_find(const struct remedy *r, const struct tel_event *ev)
{
	struct remedy *rw = (struct remedy *)r;
	if (ev->kind != TEL_XID)
		return rule_find(rw, ev->kind, 0);
	const struct remedy_rule *x = rule_find(rw, TEL_XID, ev->code);
	return x ? x : rule_find(rw, TEL_XID, REMEDY_XID_ANY);
}

static void rule_free(struct remedy_rule *x)
{
	free(x->meaning);
	free(x->action);
	free(x->policy);
}

void remedy_free(struct remedy *r)
{
	for (size_t i = 0; i < r->n; i++)
		rule_free(&r->rules[i]);
	free(r->rules);
	*r = (struct remedy){0};
}

static bool text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool policy_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 40 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int bad(struct dc_err *err, const char *name, const char *path, const char *want, const cJSON *v)
{
	char got[64];
	config_json_describe(v, got, sizeof got);
	for (char *c = got; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	return dc_err_set(err, "%s: %s: expected %s, got %s", name, path, want, got);
}

static int field_set(struct remedy_rule *x, const struct field *f, const cJSON *v, const char *name,
                     const char *path, struct dc_err *err)
{
	char *base = (char *)x;
	switch (f->type) {
	case F_TEXT:
	case F_POLICY: {
		if (!cJSON_IsString(v))
			return bad(err, name, path, "a string", v);
		const char *s = v->valuestring;
		if (f->type == F_POLICY ? !policy_ok(s) : !text_ok(s, f->max) || (f->required && !s[0])) {
			char want[96];
			snprintf(want, sizeof want, f->type == F_POLICY ? "1 to 40 of A-Z a-z 0-9 . _ -"
			                                                : "%s%zu characters without control characters",
			         f->required ? "1 to " : "at most ", f->max);
			return bad(err, name, path, want, v);
		}
		char **slot = (char **)(base + f->off);
		free(*slot);
		*slot = xstrdup(s);
		return 0;
	}
	case F_SEV:
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 5 ||
		    v->valuedouble != (double)(int)v->valuedouble)
			return bad(err, name, path, "a severity 1 to 5", v);
		*(int *)(base + f->off) = (int)v->valuedouble;
		return 0;
	case F_BOOL:
		if (!cJSON_IsBool(v))
			return bad(err, name, path, "true or false", v);
		*(bool *)(base + f->off) = cJSON_IsTrue(v);
		return 0;
	}
	return -1;
}

static struct remedy_rule rule_copy(const struct remedy_rule *x)
{
	struct remedy_rule c = *x;
	c.meaning = x->meaning ? xstrdup(x->meaning) : NULL;
	c.action = x->action ? xstrdup(x->action) : NULL;
	c.policy = x->policy ? xstrdup(x->policy) : NULL;
	return c;
}

/* One entry into r: over the listed rule, or a new one with defaults. */
static int entry_merge(struct remedy *r, const cJSON *e, const char *name, struct dc_err *err)
{
	char path[160];
	snprintf(path, sizeof path, "events.%.60s", e->string);
	enum tel_event_kind kind;
	long long xid;
	if (key_parse(e->string, &kind, &xid) < 0)
		return dc_err_set(err, "%s: %s: not a key of the table (xid.N with N 0 to 65535, xid.*, "
		                  "ecc_dbe, remap_failure, remap_pending, nvlink)", name, path);
	if (!cJSON_IsObject(e))
		return bad(err, name, path, "an object", e);
	struct remedy_rule *old = rule_find(r, kind, xid);
	struct remedy_rule x = old ? rule_copy(old)
	                           : (struct remedy_rule){ .kind = kind, .xid = xid, .severity = 4, .incident = true };
	const cJSON *v;
	cJSON_ArrayForEach(v, e) {
		const struct field *f = NULL;
		for (size_t i = 0; i < DC_ARRAY_LEN(fields); i++)
			if (strcmp(fields[i].name, v->string) == 0)
				f = &fields[i];
		char fpath[240];
		snprintf(fpath, sizeof fpath, "%s.%.40s", path, v->string);
		if (!f) {
			rule_free(&x);
			return dc_err_set(err, "%s: %s: unknown key (meaning, action, policy, severity, incident, "
			                  "drain, jobs_dead, auto_drain)", name, fpath);
		}
		if (field_set(&x, f, v, name, fpath, err) < 0) {
			rule_free(&x);
			return -1;
		}
	}
	for (size_t i = 0; i < DC_ARRAY_LEN(fields); i++) {
		if (fields[i].required && !*(char **)((char *)&x + fields[i].off)) {
			rule_free(&x);
			return dc_err_set(err, "%s: %s: \"%s\" is missing (a new entry needs meaning and policy)",
			                  name, path, fields[i].name);
		}
	}
	if (x.auto_drain && !x.drain) {
		rule_free(&x);
		return dc_err_set(err, "%s: %s.auto_drain: true needs \"drain\": true", name, path);
	}
	if (!x.action)
		x.action = xstrdup("");
	if (old) {
		rule_free(old);
		*old = x;
	} else {
		r->rules = xgrow(r->rules, &r->cap, r->n + 1, sizeof *r->rules);
		r->rules[r->n++] = x;
	}
	return 0;
}

static int flood_merge(struct remedy *r, const cJSON *fl, const char *name, struct dc_err *err)
{
	if (!cJSON_IsObject(fl))
		return bad(err, name, "flood", "an object", fl);
	const cJSON *v;
	cJSON_ArrayForEach(v, fl) {
		char path[80];
		snprintf(path, sizeof path, "flood.%.40s", v->string);
		bool win = strcmp(v->string, "window_seconds") == 0;
		if (!win && strcmp(v->string, "nodes") != 0)
			return dc_err_set(err, "%s: %s: unknown key (window_seconds, nodes)", name, path);
		int lo = win ? 1 : 2, hi = win ? 86400 : 100000;
		if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
		    v->valuedouble != (double)(int)v->valuedouble) {
			char want[64];
			snprintf(want, sizeof want, "a whole number %d to %d", lo, hi);
			return bad(err, name, path, want, v);
		}
		*(win ? &r->flood_window_s : &r->flood_nodes) = (int)v->valuedouble;
	}
	return 0;
}

static int root_merge(struct remedy *r, const cJSON *root, const char *name, struct dc_err *err)
{
	if (!cJSON_IsObject(root))
		return bad(err, name, "the top level", "an object", root);
	const cJSON *v;
	cJSON_ArrayForEach(v, root) {
		if (strcmp(v->string, "flood") == 0) {
			if (flood_merge(r, v, name, err) < 0)
				return -1;
		} else if (strcmp(v->string, "events") == 0) {
			if (!cJSON_IsObject(v))
				return bad(err, name, "events", "an object", v);
			const cJSON *e;
			cJSON_ArrayForEach(e, v)
				if (entry_merge(r, e, name, err) < 0)
					return -1;
		} else {
			return dc_err_set(err, "%s: %.40s: unknown key (flood, events)", name, v->string);
		}
	}
	return 0;
}

/* The base table must answer every event the reader can send. */
static int base_check(const struct remedy *r, const char *name, struct dc_err *err)
{
	if (!rule_find((struct remedy *)r, TEL_XID, REMEDY_XID_ANY))
		return dc_err_set(err, "%s: events: \"xid.*\" is missing (the rule for unlisted Xids)", name);
	for (size_t i = 0; i < DC_ARRAY_LEN(counter_keys); i++)
		if (!rule_find((struct remedy *)r, counter_keys[i].kind, 0))
			return dc_err_set(err, "%s: events: \"%s\" is missing", name, counter_keys[i].key);
	if (!r->flood_window_s || !r->flood_nodes)
		return dc_err_set(err, "%s: flood: window_seconds and nodes are required", name);
	return 0;
}

static void remedy_copy(struct remedy *dst, const struct remedy *src)
{
	*dst = *src;
	dst->rules = xcalloc(src->n + 1, sizeof *dst->rules);
	dst->cap = src->n + 1;
	for (size_t i = 0; i < src->n; i++)
		dst->rules[i] = rule_copy(&src->rules[i]);
}

static int merge_json(struct remedy *r, const cJSON *root, const char *name, bool base, struct dc_err *err)
{
	struct remedy next;
	remedy_copy(&next, r);
	if (root_merge(&next, root, name, err) < 0 || (base && base_check(&next, name, err) < 0)) {
		remedy_free(&next);
		return -1;
	}
	remedy_free(r);
	*r = next;
	return 0;
}

int remedy_merge(struct remedy *r, const char *text, size_t len, const char *name, bool base,
                 struct dc_err *err)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	if (!root)
		return dc_err_set(err, "%s: not valid JSON", name);
	int rc = merge_json(r, root, name, base, err);
	cJSON_Delete(root);
	return rc;
}

static int merge_file(struct remedy *r, const char *path, bool base, struct dc_err *err)
{
	cJSON *root = config_json_load(path, REMEDY_MAX_BYTES, err);
	if (!root)
		return -1;
	int rc = merge_json(r, root, path, base, err);
	cJSON_Delete(root);
	return rc;
}

int remedy_load(struct remedy *r, const char *table_path, const char *override_path, struct dc_err *err)
{
	*r = (struct remedy){0};
	char def[4096];
	if (!table_path) {
		snprintf(def, sizeof def, "%s/backend/remedy/xid.json", dc_datadir());
		table_path = def;
	}
	if (merge_file(r, table_path, true, err) < 0 || (override_path && merge_file(r, override_path, false, err) < 0)) {
		remedy_free(r);
		return -1;
	}
	return 0;
}
