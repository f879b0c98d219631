/* test_limits — hostile sizes and shapes: theme, config and drill files
 * over their size limit, or nested absurdly deep (10,000 arrays or
 * objects, closed or not), are refused with a message naming the file;
 * brackets inside strings do not count as nesting; files just inside the
 * limits load; numbers too large for any type (1e999) are refused, not
 * cast (a theme colour once was: UB found by tests/fuzz/fuzz_theme). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "drill.h"
#include "theme.h"
#include "tmpfiles.h"
#include "util.h"

#define THEME_LIMIT (256 * 1024) /* THEME_MAX_BYTES in theme.c */
#define DEEP 10000


/* "{" + spaces + "}" of exactly len bytes: valid JSON, an empty object. */
static char *padded_object(size_t len)
{
	char *s = xmalloc(len + 1);
	memset(s, ' ', len);
	s[0] = '{';
	s[len - 1] = '}';
	s[len] = '\0';
	return s;
}

/* DEEP opening brackets, then the closing ones when closed. */
static char *nested(char open, char close, bool closed)
{
	struct sb sb = { 0 };
	for (int i = 0; i < DEEP; i++)
		sb_append(&sb, open == '{' ? "{\"a\":" : "[");
	for (int i = 0; closed && i < DEEP; i++)
		sb_appendn(&sb, &close, 1);
	return sb_take(&sb);
}

static int setup(void **state)
{
	(void)state;
	return tmpfiles_setup("limits");
}


static void assert_msg(const char *msg, const char *path, const char *what)
{
	char *want = xasprintf("%s: %s", path, what);
	assert_string_equal(msg, want);
	free(want);
}

static int load_theme(const char *path, struct dc_err *err)
{
	struct theme t;
	return theme_load_file(path, &t, err);
}

static int load_config(const char *path, struct dc_err *err)
{
	struct config c;
	int rc = config_load(path, &c, err);
	if (rc == 0)
		config_free(&c);
	return rc;
}

static int load_drill(const char *path, struct dc_err *err)
{
	struct drill_scenario s;
	int rc = drill_scenario_load(path, &s, err);
	if (rc == 0)
		drill_scenario_free(&s);
	return rc;
}

static const struct loader {
	const char *name;
	int (*load)(const char *path, struct dc_err *err);
	size_t limit;
} loaders[] = {
	{ "theme", load_theme, THEME_LIMIT },
	{ "config", load_config, CONFIG_MAX_BYTES },
	{ "drill", load_drill, DRILL_MAX_BYTES },
};

static void test_size_limit(void **state)
{
	(void)state;
	for (size_t i = 0; i < DC_ARRAY_LEN(loaders); i++) {
		const struct loader *l = &loaders[i];
		char name[64], what[96];
		struct dc_err err = { { 0 } };

		char *text = padded_object(l->limit + 1);
		snprintf(name, sizeof name, "%s-over.json", l->name);
		char *path = tmpfiles_write_n(name, text, l->limit + 1);
		free(text);
		assert_int_equal(l->load(path, &err), -1);
		snprintf(what, sizeof what, "file is larger than the %zu-byte limit", l->limit);
		assert_msg(err.msg, path, what);
		free(path);

		/* at the limit the size is fine: any refusal is about content */
		text = padded_object(l->limit);
		snprintf(name, sizeof name, "%s-at.json", l->name);
		path = tmpfiles_write_n(name, text, l->limit);
		free(text);
		memset(&err, 0, sizeof err);
		if (l->load(path, &err) < 0)
			assert_null(strstr(err.msg, "larger than"));
		free(path);
	}
}

static void test_deep_nesting(void **state)
{
	(void)state;
	static const struct {
		char open, close;
		bool closed;
	} shapes[] = { { '[', ']', true }, { '[', ']', false }, { '{', '}', true }, { '{', '}', false } };
	char what[64];
	snprintf(what, sizeof what, "nested deeper than %d levels", CONFIG_MAX_DEPTH);
	for (size_t i = 0; i < DC_ARRAY_LEN(loaders); i++) {
		for (size_t k = 0; k < DC_ARRAY_LEN(shapes); k++) {
			char name[64];
			snprintf(name, sizeof name, "%s-deep%zu.json", loaders[i].name, k);
			char *text = nested(shapes[k].open, shapes[k].close, shapes[k].closed);
			char *path = tmpfiles_write_n(name, text, strlen(text));
			free(text);
			struct dc_err err = { { 0 } };
			assert_int_equal(loaders[i].load(path, &err), -1);
			assert_msg(err.msg, path, what);
			free(path);
		}
	}
}

/* Brackets in a string are text, not nesting: a theme named "[[[[..." loads. */
static void test_brackets_in_strings(void **state)
{
	(void)state;
	struct sb sb = { 0 };
	sb_append(&sb, "{\"name\": \"");
	for (int i = 0; i < DEEP; i++)
		sb_append(&sb, "[{\\\"");
	sb_append(&sb, "\"}");
	char *text = sb_take(&sb);
	char *path = tmpfiles_write_n("theme-strings.json", text, strlen(text));
	free(text);
	struct theme t;
	struct dc_err err = { { 0 } };
	assert_int_equal(theme_load_file(path, &t, &err), 0);
	assert_int_equal(strncmp(t.name, "[{\"[{\"", 6), 0);
	free(path);
}

/* At the depth limit a config is judged on its content, not refused. */
static void test_depth_at_limit(void **state)
{
	(void)state;
	struct sb sb = { 0 };
	sb_append(&sb, "{\"keys\": {\"global.quit\": \"q\"}, \"x\": ");
	for (int i = 0; i < CONFIG_MAX_DEPTH - 1; i++)
		sb_append(&sb, "[");
	for (int i = 0; i < CONFIG_MAX_DEPTH - 1; i++)
		sb_append(&sb, "]");
	sb_append(&sb, "}");
	char *text = sb_take(&sb);
	char *path = tmpfiles_write_n("config-at-depth.json", text, strlen(text));
	free(text);
	struct dc_err err = { { 0 } };
	assert_int_equal(load_config(path, &err), -1);
	assert_msg(err.msg, path, "x: unknown key");
	free(path);
}

static void test_huge_numbers(void **state)
{
	(void)state;
	static const char theme[] = "{\"elements\": {\"text\": {\"fg\": 1e999}}}";
	static const char config[] = "{\"profiles\": {\"p\": {\"ssh\": {\"port\": -1e999}}}}";
	char *path = tmpfiles_write_n("theme-inf.json", theme, strlen(theme));
	struct dc_err err = { { 0 } };
	assert_int_equal(load_theme(path, &err), -1);
	assert_msg(err.msg, path, "element \"text\": fg: colour inf is out of range 0-255");
	free(path);
	path = tmpfiles_write_n("config-inf.json", config, strlen(config));
	assert_int_equal(load_config(path, &err), -1);
	assert_msg(err.msg, path, "profiles.p.ssh.port: expected a whole number from 1 to 65535, got -inf");
	free(path);
}

/* Lists longer than any real config are refused before the per-entry
 * duplicate checks run (a 1 MiB file of key bindings took 16 s before). */
static void test_too_many_entries(void **state)
{
	(void)state;
	struct sb sb = { 0 };
	sb_append(&sb, "{\"keys\": {");
	for (int i = 0; i < 600; i++)
		sb_appendf(&sb, "%s\"nodes.a%d\": \"x\"", i ? "," : "", i);
	sb_append(&sb, "}}");
	char *path = tmpfiles_write_n("many-keys.json", sb.buf, sb.len);
	struct dc_err err = { { 0 } };
	assert_int_equal(load_config(path, &err), -1);
	assert_msg(err.msg, path, "keys: 600 entries, more than the 512 allowed");
	free(path);
	sb_clear(&sb);
	sb_append(&sb, "{\"profiles\": {");
	for (int i = 0; i < 65; i++)
		sb_appendf(&sb, "%s\"p%d\": {}", i ? "," : "", i);
	sb_append(&sb, "}}");
	path = tmpfiles_write_n("many-profiles.json", sb.buf, sb.len);
	assert_int_equal(load_config(path, &err), -1);
	assert_msg(err.msg, path, "profiles: 65 entries, more than the 64 allowed");
	free(path);
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_brackets_in_strings),
		cmocka_unit_test(test_depth_at_limit),
		cmocka_unit_test(test_huge_numbers),
		cmocka_unit_test(test_too_many_entries),
	};
	return cmocka_run_group_tests(tests, setup, tmpfiles_teardown);
}
