/* theme.c — element names, the compiled-in default, theme files and the
 * fall-back to fewer colours. See theme.h. */
#include "theme.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

#define THEME_MAX_BYTES (256 * 1024)

static const char *const el_names[THEME_EL_COUNT] = {
#define X(id, name) [THEME_##id] = name,
	THEME_ELEMENTS(X)
#undef X
};

const char *theme_el_name(enum theme_el e)
{
	return (unsigned)e < THEME_EL_COUNT ? el_names[e] : "?";
}

int theme_el_parse(const char *name)
{
	for (int i = 0; name && i < THEME_EL_COUNT; i++)
		if (strcmp(el_names[i], name) == 0)
			return i;
	return -1;
}

/* ---- the compiled-in default (xterm 256 colours) ---- */

#define D THEME_COLOR_DEFAULT
#define ST(f, b, a) { .fg = f, .bg = b, .attrs = a }
static const struct theme_style default_styles[THEME_EL_COUNT] = {
	[THEME_TEXT] = ST(D, D, 0),
	[THEME_DIM] = ST(245, D, 0),
	[THEME_TITLE] = ST(D, D, THEME_A_BOLD),
	[THEME_BORDER] = ST(240, D, 0),
	[THEME_HEADER] = ST(255, 24, THEME_A_BOLD),
	[THEME_HEADER_STALE] = ST(231, 124, THEME_A_BOLD),
	[THEME_HEADER_DRILL] = ST(16, 214, THEME_A_BOLD),
	[THEME_HEADER_WRITE] = ST(231, 130, THEME_A_BOLD),
	[THEME_FOOTER] = ST(250, 236, 0),
	[THEME_FOOTER_KEY] = ST(229, 236, THEME_A_BOLD),
	[THEME_SELECTION] = ST(231, 25, 0),
	[THEME_MARKED] = ST(213, D, THEME_A_BOLD),
	[THEME_CMDLINE] = ST(D, D, 0),
	[THEME_FILTER] = ST(221, D, 0),
	[THEME_ERROR] = ST(203, D, THEME_A_BOLD),
	[THEME_WARN] = ST(214, D, 0),
	[THEME_OK] = ST(114, D, 0),
	[THEME_LINK_UP] = ST(114, D, THEME_A_BOLD),
	[THEME_LINK_DOWN] = ST(203, D, THEME_A_BOLD),
	[THEME_NODE_IDLE] = ST(114, D, 0),
	[THEME_NODE_MIXED] = ST(80, D, 0),
	[THEME_NODE_ALLOC] = ST(39, D, 0),
	[THEME_NODE_DRAIN] = ST(214, D, 0),
	[THEME_NODE_DRAINED] = ST(178, D, THEME_A_DIM),
	[THEME_NODE_DOWN] = ST(196, D, THEME_A_BOLD),
	[THEME_NODE_FAIL] = ST(201, D, THEME_A_BOLD),
	[THEME_NODE_EMPTY] = ST(238, D, 0),
	[THEME_SEV1] = ST(231, 160, THEME_A_BOLD),
	[THEME_SEV2] = ST(202, D, THEME_A_BOLD),
	[THEME_SEV3] = ST(214, D, 0),
	[THEME_SEV4] = ST(110, D, 0),
	[THEME_SEV5] = ST(245, D, 0),
	[THEME_INC_TRIGGERED] = ST(203, D, THEME_A_BOLD),
	[THEME_INC_ACK] = ST(214, D, 0),
	[THEME_INC_MITIGATED] = ST(80, D, 0),
	[THEME_INC_RESOLVED] = ST(245, D, 0),
	[THEME_QUOTA_OK] = ST(114, D, 0),
	[THEME_QUOTA_WARN] = ST(214, D, 0),
	[THEME_QUOTA_OVER] = ST(203, D, THEME_A_BOLD),
	[THEME_BAR_FILL] = ST(39, D, 0),
	[THEME_BAR_EMPTY] = ST(238, D, 0),
	[THEME_JOB_RUNNING] = ST(114, D, 0),
	[THEME_JOB_PENDING] = ST(221, D, 0),
	[THEME_JOB_FAILED] = ST(203, D, 0),
	[THEME_ACTION_PENDING] = ST(221, D, 0),
	[THEME_ACTION_APPLIED] = ST(114, D, 0),
	[THEME_ACTION_FAILED] = ST(203, D, THEME_A_BOLD),
	[THEME_HELP_KEY] = ST(229, D, THEME_A_BOLD),
};
#undef ST
#undef D

void theme_default(struct theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "default");
	t->colors = 256;
	memcpy(t->el, default_styles, sizeof t->el);
}

/* No colours: attributes stay, and what the default sets on a background
 * (header, selection, sev.1 ...) is shown reversed so it still stands out. */
void theme_mono(struct theme *t)
{
	theme_default(t);
	snprintf(t->name, sizeof t->name, "mono");
	t->colors = 8;
	for (int i = 0; i < THEME_EL_COUNT; i++) {
		struct theme_style *s = &t->el[i];
		if (s->bg != THEME_COLOR_DEFAULT)
			s->attrs |= THEME_A_REVERSE;
		s->fg = s->bg = THEME_COLOR_DEFAULT;
	}
}

/* ---- colours ---- */

static const char *const color_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow",
	"bright-blue", "bright-magenta", "bright-cyan", "bright-white",
};

static const struct {
	const char *name;
	uint16_t bit;
} attr_names[] = {
	{ "bold", THEME_A_BOLD }, { "dim", THEME_A_DIM }, { "underline", THEME_A_UNDERLINE },
	{ "reverse", THEME_A_REVERSE }, { "italic", THEME_A_ITALIC }, { "standout", THEME_A_STANDOUT },
};

/* "default", a name, "colorN" or N; -2 when none of those. */
static int color_parse_name(const char *s)
{
	if (strcmp(s, "default") == 0)
		return THEME_COLOR_DEFAULT;
	for (int i = 0; i < 16; i++)
		if (strcmp(color_names[i], s) == 0)
			return i;
	if (strncmp(s, "color", 5) != 0 || !s[5])
		return -2;
	char *end;
	errno = 0;
	long n = strtol(s + 5, &end, 10);
	if (*end || errno || n < 0 || n > 255 || s[5] == '-' || s[5] == '+' || s[5] == ' ')
		return -2;
	return (int)n;
}

struct tctx {
	const char *file;
	struct dc_err *err;
};

static int color_read(struct tctx *x, const char *el, const char *which, const cJSON *v, int16_t *out)
{
	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= 0 && v->valuedouble <= 255) || v->valuedouble != (int)v->valuedouble)
			return dc_err_set(x->err, "%s: element \"%s\": %s: colour %g is out of range 0-255",
			                  x->file, el, which, v->valuedouble);
		*out = (int16_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v)) {
		char desc[64];
		config_json_describe(v, desc, sizeof desc);
		return dc_err_set(x->err, "%s: element \"%s\": %s: expected a colour name or 0-255, got %s",
		                  x->file, el, which, desc);
	}
	int c = color_parse_name(v->valuestring);
	if (c == -2)
		return dc_err_set(x->err, "%s: element \"%s\": %s: unknown colour \"%s\""
		                  " (default, black..white, bright-black..bright-white, colorN, 0-255)",
		                  x->file, el, which, v->valuestring);
	*out = (int16_t)c;
	return 0;
}

static int attrs_read(struct tctx *x, const char *el, const cJSON *v, uint16_t *out)
{
	char desc[64];
	if (!cJSON_IsArray(v)) {
		config_json_describe(v, desc, sizeof desc);
		return dc_err_set(x->err, "%s: element \"%s\": attrs: expected a list such as [\"bold\"], got %s",
		                  x->file, el, desc);
	}
	uint16_t a = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		size_t i = 0;
		while (i < DC_ARRAY_LEN(attr_names) &&
		       !(cJSON_IsString(it) && strcmp(attr_names[i].name, it->valuestring) == 0))
			i++;
		if (i == DC_ARRAY_LEN(attr_names)) {
			config_json_describe(it, desc, sizeof desc);
			return dc_err_set(x->err, "%s: element \"%s\": attrs: unknown attribute %s"
			                  " (bold, dim, underline, reverse, italic, standout)",
			                  x->file, el, desc);
		}
		a |= attr_names[i].bit;
	}
	*out = a;
	return 0;
}

static int element_read(struct tctx *x, const cJSON *v, struct theme *t)
{
	int e = theme_el_parse(v->string);
	if (e < 0)
		return dc_err_set(x->err, "%s: unknown element \"%s\"", x->file, v->string);
	if (!cJSON_IsObject(v)) {
		char desc[64];
		config_json_describe(v, desc, sizeof desc);
		return dc_err_set(x->err, "%s: element \"%s\": expected an object with fg, bg, attrs, got %s",
		                  x->file, v->string, desc);
	}
	struct theme_style s = t->el[e];
	const cJSON *f;
	cJSON_ArrayForEach(f, v) {
		int rc;
		if (strcmp(f->string, "fg") == 0)
			rc = color_read(x, v->string, "fg", f, &s.fg);
		else if (strcmp(f->string, "bg") == 0)
			rc = color_read(x, v->string, "bg", f, &s.bg);
		else if (strcmp(f->string, "attrs") == 0)
			rc = attrs_read(x, v->string, f, &s.attrs);
		else
			rc = dc_err_set(x->err, "%s: element \"%s\": unknown key \"%s\" (fg, bg, attrs)",
			                x->file, v->string, f->string);
		if (rc < 0)
			return -1;
	}
	t->el[e] = s;
	return 0;
}

static int theme_read(struct tctx *x, const cJSON *root, struct theme *t)
{
	char desc[64];
	if (!cJSON_IsObject(root))
		return dc_err_set(x->err, "%s: expected an object at the top level", x->file);
	const cJSON *v;
	cJSON_ArrayForEach(v, root) {
		config_json_describe(v, desc, sizeof desc);
		if (strcmp(v->string, "name") == 0) {
			if (!cJSON_IsString(v))
				return dc_err_set(x->err, "%s: name: expected a string, got %s", x->file, desc);
			snprintf(t->name, sizeof t->name, "%s", v->valuestring);
		} else if (strcmp(v->string, "colors") == 0) {
			if (!cJSON_IsNumber(v) || (v->valuedouble != 8 && v->valuedouble != 16 &&
			                           v->valuedouble != 256))
				return dc_err_set(x->err, "%s: colors: expected 8, 16 or 256, got %s", x->file, desc);
			t->colors = (int)v->valuedouble;
		} else if (strcmp(v->string, "elements") == 0) {
			if (!cJSON_IsObject(v))
				return dc_err_set(x->err, "%s: elements: expected an object, got %s", x->file, desc);
			const cJSON *e;
			cJSON_ArrayForEach(e, v)
				if (element_read(x, e, t) < 0)
					return -1;
		} else {
			return dc_err_set(x->err, "%s: unknown key \"%s\" (name, colors, elements)",
			                  x->file, v->string);
		}
	}
	return 0;
}

int theme_load_file(const char *path, struct theme *t, struct dc_err *err)
{
	theme_default(t);
	cJSON *root = config_json_load(path, THEME_MAX_BYTES, err);
	if (!root)
		return -1;
	struct tctx x = { path, err };
	int rc = theme_read(&x, root, t);
	cJSON_Delete(root);
	if (rc < 0)
		theme_default(t);
	return rc;
}

static bool name_ok(const char *name)
{
	if (!name || !*name || strlen(name) > 48)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

int theme_load_named(const char *name, struct theme *t, struct dc_err *err)
{
	theme_default(t);
	if (!name_ok(name))
		return dc_err_set(err, "theme \"%s\": a theme name is letters, digits, - and _",
		                  name ? name : "");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *dirs[2] = {
		xdg && *xdg ? xasprintf("%s/dcops/themes", xdg)
		: home && *home ? xasprintf("%s/.config/dcops/themes", home) : NULL,
		xasprintf("%s/themes", dc_datadir()),
	};
	int rc = 1;
	for (size_t i = 0; i < DC_ARRAY_LEN(dirs) && rc > 0; i++) {
		if (!dirs[i])
			continue;
		char *path = xasprintf("%s/%s.json", dirs[i], name);
		struct stat sb;
		if (stat(path, &sb) == 0)
			rc = theme_load_file(path, t, err);
		free(path);
	}
	if (rc > 0)
		rc = dc_err_set(err, "theme \"%s\" not found (looked in %s%s%s)", name,
		                dirs[0] ? dirs[0] : "", dirs[0] ? " and " : "", dirs[1]);
	free(dirs[0]);
	free(dirs[1]);
	return rc;
}

/* ---- fewer colours ---- */

static void xterm_rgb(int c, int rgb[3])
{
	static const int base[16][3] = {
		{ 0, 0, 0 }, { 205, 0, 0 }, { 0, 205, 0 }, { 205, 205, 0 },
		{ 0, 0, 238 }, { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 },
		{ 127, 127, 127 }, { 255, 0, 0 }, { 0, 255, 0 }, { 255, 255, 0 },
		{ 92, 92, 255 }, { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
	};
	static const int level[6] = { 0, 95, 135, 175, 215, 255 };
	if (c < 16) {
		memcpy(rgb, base[c], sizeof base[c]);
	} else if (c < 232) {
		c -= 16;
		rgb[0] = level[c / 36];
		rgb[1] = level[(c / 6) % 6];
		rgb[2] = level[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

static int16_t color_nearest(int c, int n)
{
	int rgb[3], best = 0;
	long best_d = -1;
	xterm_rgb(c, rgb);
	for (int i = 0; i < n; i++) {
		int b[3];
		xterm_rgb(i, b);
		long d = 0;
		for (int k = 0; k < 3; k++)
			d += (long)(rgb[k] - b[k]) * (rgb[k] - b[k]);
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = i;
		}
	}
	return (int16_t)best;
}

void theme_downgrade(struct theme *t, int ncolors)
{
	if (ncolors >= 256)
		return;
	int n = ncolors >= 16 ? 16 : 8;
	for (int i = 0; i < THEME_EL_COUNT; i++) {
		struct theme_style *s = &t->el[i];
		if (ncolors < 8) {
			s->fg = s->bg = THEME_COLOR_DEFAULT;
			continue;
		}
		if (s->fg >= n)
			s->fg = color_nearest(s->fg, n);
		if (s->bg >= n)
			s->bg = color_nearest(s->bg, n);
		/* a colour and its background must not collapse into one */
		if (s->fg != THEME_COLOR_DEFAULT && s->fg == s->bg)
			s->fg = s->bg == 0 ? 7 : 0;
	}
	if (t->colors > ncolors)
		t->colors = ncolors;
}
