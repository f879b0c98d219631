/* config.c — config.json: a table of fields per JSON object, walked by one
 * generic reader that names the JSON path in every error. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- shared JSON helpers ---- */

/* Depth of [ and { outside strings; cJSON's own limit is far deeper. */
static int json_depth(const char *s)
{
	int depth = 0, max = 0;
	bool in_str = false;
	for (; *s; s++) {
		if (in_str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				in_str = false;
			continue;
		}
		if (*s == '"')
			in_str = true;
		else if (*s == '{' || *s == '[')
			max = ++depth > max ? depth : max;
		else if (*s == '}' || *s == ']')
			depth--;
	}
	return max;
}

static int line_of(const char *text, const char *at)
{
	int line = 1;
	for (const char *p = text; p < at && *p; p++)
		line += *p == '\n';
	return line;
}

cJSON *config_json_load(const char *path, size_t max, struct dc_err *err)
{
	char *text;
	size_t len;
	if (dc_read_file(path, max, &text, &len, err) < 0)
		return NULL;
	if (json_depth(text) > CONFIG_MAX_DEPTH) {
		free(text);
		dc_err_set(err, "%s: nested deeper than %d levels", path, CONFIG_MAX_DEPTH);
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, true);
	if (!root) {
		const char *at = end ? end : cJSON_GetErrorPtr();
		dc_err_set(err, "%s: line %d: not valid JSON", path, at ? line_of(text, at) : 1);
		free(text);
		return NULL;
	}
	free(text);
	return root;
}

void config_json_describe(const cJSON *v, char *buf, size_t n)
{
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		size_t l = strlen(s);
		if (l > 40)
			snprintf(buf, n, "\"%.37s...\"", s);
		else
			snprintf(buf, n, "\"%s\"", s);
	} else if (cJSON_IsNumber(v)) {
		snprintf(buf, n, "%g", v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		snprintf(buf, n, "null");
	} else if (cJSON_IsArray(v)) {
		snprintf(buf, n, "a list");
	} else {
		snprintf(buf, n, "an object");
	}
}

/* ---- field tables ---- */

enum ftype { F_STR, F_BOOL, F_INT, F_OBJ };

struct field {
	const char *name;
	enum ftype type;
	size_t off;                 /* into the struct being filled */
	int min, max;               /* F_INT */
	const struct field *sub;    /* F_OBJ: fields of the nested object */
	size_t nsub;
	size_t flag_off;            /* F_OBJ: bool set when present */
};

#define F_S(n, o) { .name = n, .type = F_STR, .off = o }
#define F_B(n, o) { .name = n, .type = F_BOOL, .off = o }
#define F_I(n, o, lo, hi) { .name = n, .type = F_INT, .off = o, .min = lo, .max = hi }
#define F_O(n, o, fields, flag) { .name = n, .type = F_OBJ, .off = o, .sub = fields, \
	.nsub = DC_ARRAY_LEN(fields), .flag_off = flag }

#define SSH(f) offsetof(struct config_ssh, f)
static const struct field ssh_fields[] = {
	F_S("host", SSH(host)),
	F_I("port", SSH(port), 1, 65535),
	F_S("user", SSH(user)),
	F_S("identity_file", SSH(identity_file)),
	F_S("known_hosts", SSH(known_hosts)),
	F_S("db_host", SSH(db_host)),
	F_I("db_port", SSH(db_port), 1, 65535),
	F_B("read_ssh_config", SSH(read_ssh_config)),
	F_B("password_auth", SSH(password_auth)),
	F_S("node_host", SSH(node_host)),
	F_I("node_port", SSH(node_port), 1, 65535),
};
#undef SSH

#define PRO(f) offsetof(struct config_profile, f)
static const struct field profile_fields[] = {
	F_S("db", PRO(db)),
	F_S("write_db", PRO(write_db)),
	F_S("relay", PRO(relay)),
	F_B("readonly", PRO(readonly)),
	F_B("production", PRO(production)),
	F_I("write_window_minutes", PRO(write_window_minutes), 1, 24 * 60),
	F_O("ssh", PRO(ssh), ssh_fields, PRO(has_ssh)),
};
#undef PRO

/* Top-level keys with a plain value; "profiles" and "keys" are maps. */
static const struct field top_fields[] = {
	F_S("default_profile", offsetof(struct config, default_profile)),
	F_S("theme", offsetof(struct config, theme)),
	F_S("timezone", offsetof(struct config, timezone_name)),
	F_B("bell", offsetof(struct config, bell)),
};
#define DIAG(f) offsetof(struct config_diag, f)
static const struct field diag_fields[] = {
	F_S("name", DIAG(name)),
	F_S("label", DIAG(label)),
	F_S("command", DIAG(command)),
	F_B("nvsmi_csv", DIAG(nvsmi_csv)),
};
#undef DIAG

#undef F_S
#undef F_B
#undef F_I
#undef F_O

struct ctx {
	const char *file;
	struct dc_err *err;
};

static int bad(struct ctx *x, const char *path, const char *what, const cJSON *got)
{
	char desc[64];
	config_json_describe(got, desc, sizeof desc);
	return dc_err_set(x->err, "%s: %s: %s, got %s", x->file, path, what, desc);
}

static const struct field *field_find(const struct field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/* A key that appears twice in one object would be silently ignored. */
static bool key_repeated(const cJSON *obj, const cJSON *item)
{
	for (const cJSON *p = obj->child; p && p != item; p = p->next)
		if (strcmp(p->string, item->string) == 0)
			return true;
	return false;
}

static char *path_join(const char *path, const char *key)
{
	return *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

static int object_read(struct ctx *x, const cJSON *obj, const char *path,
                       const struct field *fields, size_t n, void *base);

static int field_read(struct ctx *x, const struct field *f, const cJSON *v, const char *path,
                      void *base)
{
	char *dst = (char *)base + f->off;
	switch (f->type) {
	case F_STR: {
		if (!cJSON_IsString(v))
			return bad(x, path, "expected a string", v);
		char *s = xstrdup(v->valuestring);
		char *old;
		memcpy(&old, dst, sizeof old);
		free(old);
		memcpy(dst, &s, sizeof s);
		return 0;
	}
	case F_BOOL: {
		if (!cJSON_IsBool(v))
			return bad(x, path, "expected true or false", v);
		bool b = cJSON_IsTrue(v);
		memcpy(dst, &b, sizeof b);
		return 0;
	}
	case F_INT: {
		if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
		    v->valuedouble < f->min || v->valuedouble > f->max) {
			char what[64];
			snprintf(what, sizeof what, "expected a whole number from %d to %d", f->min, f->max);
			return bad(x, path, what, v);
		}
		int i = (int)v->valuedouble;
		memcpy(dst, &i, sizeof i);
		return 0;
	}
	case F_OBJ: {
		bool yes = true;
		memcpy((char *)base + f->flag_off, &yes, sizeof yes);
		return object_read(x, v, path, f->sub, f->nsub, dst);
	}
	}
	return 0;
}

static int object_read(struct ctx *x, const cJSON *obj, const char *path,
                       const struct field *fields, size_t n, void *base)
{
	if (!cJSON_IsObject(obj))
		return bad(x, *path ? path : "top level", "expected an object", obj);
	const cJSON *v;
	cJSON_ArrayForEach(v, obj) {
		char *p = path_join(path, v->string);
		const struct field *f = field_find(fields, n, v->string);
		int rc;
		if (!f)
			rc = dc_err_set(x->err, "%s: %s: unknown key", x->file, p);
		else if (key_repeated(obj, v))
			rc = dc_err_set(x->err, "%s: %s: appears twice", x->file, p);
		else
			rc = field_read(x, f, v, p, base);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Upper bounds on list sizes: far above any real config, and low enough
 * that the duplicate checks (each entry against the earlier ones) stay
 * cheap on a file at the size limit. */
enum { MAX_PROFILES = 64, MAX_KEYS = 512, MAX_DIAGS = 64, MAX_SITES = CONFIG_MAX_SITES };

static int too_many(struct ctx *x, const cJSON *container, const char *what, int max)
{
	if (cJSON_GetArraySize(container) <= max)
		return 0;
	return dc_err_set(x->err, "%s: %s: %d entries, more than the %d allowed", x->file, what,
	                  cJSON_GetArraySize(container), max);
}

static int profiles_read(struct ctx *x, const cJSON *obj, struct config *c)
{
	if (!cJSON_IsObject(obj))
		return bad(x, "profiles", "expected an object of named profiles", obj);
	if (too_many(x, obj, "profiles", MAX_PROFILES) < 0)
		return -1;
	const cJSON *v;
	cJSON_ArrayForEach(v, obj) {
		char *p = path_join("profiles", v->string);
		if (key_repeated(obj, v)) {
			dc_err_set(x->err, "%s: %s: appears twice", x->file, p);
			free(p);
			return -1;
		}
		c->profiles = xrealloc(c->profiles, (c->nprofiles + 1) * sizeof *c->profiles);
		struct config_profile *pr = &c->profiles[c->nprofiles++];
		*pr = (struct config_profile){ .name = xstrdup(v->string), .write_window_minutes = 15 };
		int rc = object_read(x, v, p, profile_fields, DC_ARRAY_LEN(profile_fields), pr);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* "VIEW.ACTION": lower-case words joined by one dot. */
static bool action_ok(const char *s)
{
	const char *dot = strchr(s, '.');
	if (!dot || dot == s || !dot[1] || strchr(dot + 1, '.'))
		return false;
	for (const char *p = s; *p; p++)
		if (p != dot && !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

static int keys_read(struct ctx *x, const cJSON *obj, struct config *c)
{
	if (!cJSON_IsObject(obj))
		return bad(x, "keys", "expected an object of \"view.action\": \"key\"", obj);
	if (too_many(x, obj, "keys", MAX_KEYS) < 0)
		return -1;
	const cJSON *v;
	cJSON_ArrayForEach(v, obj) {
		char *p = path_join("keys", v->string);
		int rc = 0;
		if (!action_ok(v->string))
			rc = dc_err_set(x->err, "%s: %s: expected VIEW.ACTION or global.ACTION", x->file, p);
		else if (key_repeated(obj, v))
			rc = dc_err_set(x->err, "%s: %s: appears twice", x->file, p);
		else if (!cJSON_IsString(v) || !v->valuestring[0])
			rc = bad(x, p, "expected a key name such as \"D\" or \"C-d\"", v);
		free(p);
		if (rc < 0)
			return -1;
		c->keys = xrealloc(c->keys, (c->nkeys + 1) * sizeof *c->keys);
		c->keys[c->nkeys++] = (struct config_key){ xstrdup(v->string), xstrdup(v->valuestring) };
	}
	return 0;
}

/* Checked for shape here; ssh-exec.c checks names and commands again
 * before anything runs. */
static int diags_read(struct ctx *x, const cJSON *arr, struct config *c)
{
	if (!cJSON_IsArray(arr))
		return bad(x, "diagnostics", "expected a list of {name, label, command}", arr);
	if (too_many(x, arr, "diagnostics", MAX_DIAGS) < 0)
		return -1;
	const cJSON *v;
	cJSON_ArrayForEach(v, arr) {
		char *p = xasprintf("diagnostics[%zu]", c->ndiags);
		c->diags = xrealloc(c->diags, (c->ndiags + 1) * sizeof *c->diags);
		struct config_diag *d = &c->diags[c->ndiags++];
		*d = (struct config_diag){ 0 };
		int rc = object_read(x, v, p, diag_fields, DC_ARRAY_LEN(diag_fields), d);
		if (rc == 0 && (!d->name || !d->command))
			rc = dc_err_set(x->err, "%s: %s: needs a name and a command", x->file, p);
		for (size_t i = 0; rc == 0 && i + 1 < c->ndiags; i++)
			if (strcmp(c->diags[i].name, d->name) == 0)
				rc = dc_err_set(x->err, "%s: %s: the name \"%s\" is used twice", x->file, p, d->name);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* "sites": profile names, kept as "a,b" (the shape --sites takes);
 * that each names a profile is checked once the profiles are read. */
static int sites_read(struct ctx *x, const cJSON *arr, struct config *c)
{
	if (!cJSON_IsArray(arr))
		return bad(x, "sites", "expected a list of profile names", arr);
	if (cJSON_GetArraySize(arr) == 0)
		return dc_err_set(x->err, "%s: sites: an empty list (name the profiles to open)", x->file);
	if (too_many(x, arr, "sites", MAX_SITES) < 0)
		return -1;
	struct sb b = { 0 };
	const cJSON *v;
	size_t i = 0;
	cJSON_ArrayForEach(v, arr) {
		char path[32];
		snprintf(path, sizeof path, "sites[%zu]", i++);
		if (!cJSON_IsString(v) || !v->valuestring[0] || strchr(v->valuestring, ',')) {
			sb_free(&b);
			return bad(x, path, "expected a profile name", v);
		}
		sb_appendf(&b, "%s%s", b.len ? "," : "", v->valuestring);
	}
	c->sites = sb_take(&b);
	return 0;
}

static int sites_check(struct ctx *x, const struct config *c)
{
	size_t i = 0;
	for (const char *p = c->sites; p && *p; i++) {
		size_t n = strcspn(p, ",");
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)n, p);
		if (!config_profile(c, name))
			return dc_err_set(x->err, "%s: sites[%zu]: no profile named \"%s\"", x->file, i, name);
		p += n + (p[n] == ',');
	}
	return 0;
}

static int root_read(struct ctx *x, const cJSON *root, struct config *c)
{
	if (!cJSON_IsObject(root))
		return bad(x, "top level", "expected an object", root);
	const cJSON *v;
	cJSON_ArrayForEach(v, root) {
		int rc;
		if (key_repeated(root, v))
			rc = dc_err_set(x->err, "%s: %s: appears twice", x->file, v->string);
		else if (strcmp(v->string, "profiles") == 0)
			rc = profiles_read(x, v, c);
		else if (strcmp(v->string, "keys") == 0)
			rc = keys_read(x, v, c);
		else if (strcmp(v->string, "diagnostics") == 0)
			rc = diags_read(x, v, c);
		else if (strcmp(v->string, "sites") == 0)
			rc = sites_read(x, v, c);
		else if (field_find(top_fields, DC_ARRAY_LEN(top_fields), v->string))
			rc = field_read(x, field_find(top_fields, DC_ARRAY_LEN(top_fields), v->string),
			                v, v->string, c);
		else
			rc = dc_err_set(x->err, "%s: %s: unknown key", x->file, v->string);
		if (rc < 0)
			return -1;
	}
	if (c->default_profile && !config_profile(c, c->default_profile))
		return dc_err_set(x->err, "%s: default_profile: no profile named \"%s\"", x->file,
		                  c->default_profile);
	if (sites_check(x, c) < 0)
		return -1;
	if (c->timezone_name && text_zone_parse(c->timezone_name, &c->zone) == -1)
		return bad(x, "timezone", "expected \"KST\" or \"UTC\"",
		           cJSON_GetObjectItemCaseSensitive(root, "timezone"));
	return 0;
}

char *config_default_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && *xdg)
		return xasprintf("%s/dcops/config.json", xdg);
	const char *home = getenv("HOME");
	if (home && *home)
		return xasprintf("%s/.config/dcops/config.json", home);
	return NULL;
}

int config_load(const char *path, struct config *c, struct dc_err *err)
{
	memset(c, 0, sizeof *c);
	c->path = path ? xstrdup(path) : config_default_path();
	if (!c->path)
		return 0;
	struct stat sb;
	/* only the default location may be absent: a --config FILE that is
	 * missing is a typo worth reporting */
	if (!path && stat(c->path, &sb) < 0 && errno == ENOENT)
		return 0;
	cJSON *root = config_json_load(c->path, CONFIG_MAX_BYTES, err);
	struct ctx x = { c->path, err };
	int rc = root ? root_read(&x, root, c) : -1;
	cJSON_Delete(root);
	if (rc < 0)
		config_free(c);
	return rc;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < c->nprofiles; i++) {
		struct config_profile *p = &c->profiles[i];
		free(p->name);
		free(p->db);
		free(p->write_db);
		free(p->relay);
		free(p->ssh.host);
		free(p->ssh.user);
		free(p->ssh.identity_file);
		free(p->ssh.known_hosts);
		free(p->ssh.db_host);
		free(p->ssh.node_host);
	}
	for (size_t i = 0; i < c->ndiags; i++) {
		free(c->diags[i].name);
		free(c->diags[i].label);
		free(c->diags[i].command);
	}
	free(c->diags);
	for (size_t i = 0; i < c->nkeys; i++) {
		free(c->keys[i].action);
		free(c->keys[i].key);
	}
	free(c->profiles);
	free(c->keys);
	free(c->default_profile);
	free(c->theme);
	free(c->timezone_name);
	free(c->sites);
	free(c->path);
	memset(c, 0, sizeof *c);
}

const char *config_write_ssh_conflict(const struct config_profile *p, const char *ssh, const char *write_db)
{
	bool tunnel = ssh || (p && p->has_ssh && p->ssh.host);
	if (!tunnel)
		return NULL;
	if (write_db)
		return "--write-db";
	return p && p->write_db ? "the profile's write_db" : NULL;
}

const struct config_profile *config_profile(const struct config *c, const char *name)
{
	if (!name)
		name = c->default_profile;
	for (size_t i = 0; name && i < c->nprofiles; i++)
		if (strcmp(c->profiles[i].name, name) == 0)
			return &c->profiles[i];
	return NULL;
}
