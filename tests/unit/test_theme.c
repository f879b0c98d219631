/* test_theme — element names, defaults, theme files good and bad, lookup
 * by name, and the fall-back to 16 and 8 colours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "theme.h"
#include "tmpfiles.h"
#include "util.h"


static int setup(void **state)
{
	(void)state;
	return tmpfiles_setup("theme");
}


static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < THEME_EL_COUNT; i++)
		assert_int_equal(theme_el_parse(theme_el_name((enum theme_el)i)), i);
	assert_int_equal(theme_el_parse("node.drain"), THEME_NODE_DRAIN);
	assert_int_equal(theme_el_parse("sev.1"), THEME_SEV1);
	assert_int_equal(theme_el_parse("node.drian"), -1);
	assert_int_equal(theme_el_parse(NULL), -1);
}

static void test_default_and_mono(void **state)
{
	(void)state;
	struct theme t;
	theme_default(&t);
	assert_string_equal(t.name, "default");
	assert_int_equal(t.colors, 256);
	assert_true(t.el[THEME_NODE_DOWN].fg >= 0);
	theme_mono(&t);
	for (int i = 0; i < THEME_EL_COUNT; i++) {
		assert_int_equal(t.el[i].fg, THEME_COLOR_DEFAULT);
		assert_int_equal(t.el[i].bg, THEME_COLOR_DEFAULT);
	}
	assert_true(t.el[THEME_HEADER].attrs & THEME_A_REVERSE);
	assert_true(t.el[THEME_SELECTION].attrs & THEME_A_REVERSE);
	assert_true(t.el[THEME_NODE_DOWN].attrs & THEME_A_BOLD);
}

static void test_good_file(void **state)
{
	(void)state;
	char *path = tmpfiles_write("good.json",
		"{ \"name\": \"sunrise\", \"colors\": 16,\n"
		"  \"elements\": {\n"
		"    \"node.drain\": { \"fg\": \"yellow\", \"bg\": \"color17\", \"attrs\": [\"bold\", \"underline\"] },\n"
		"    \"sev.1\": { \"fg\": 196 },\n"
		"    \"header\": { \"bg\": \"bright-blue\", \"attrs\": [] },\n"
		"    \"text\": { \"fg\": \"default\" } } }\n");
	struct theme t, d;
	struct dc_err err = { { 0 } };
	theme_default(&d);
	assert_int_equal(theme_load_file(path, &t, &err), 0);
	assert_string_equal(t.name, "sunrise");
	assert_int_equal(t.colors, 16);
	assert_int_equal(t.el[THEME_NODE_DRAIN].fg, 3);
	assert_int_equal(t.el[THEME_NODE_DRAIN].bg, 17);
	assert_int_equal(t.el[THEME_NODE_DRAIN].attrs, THEME_A_BOLD | THEME_A_UNDERLINE);
	assert_int_equal(t.el[THEME_SEV1].fg, 196);
	assert_int_equal(t.el[THEME_SEV1].bg, d.el[THEME_SEV1].bg); /* omitted: kept */
	assert_int_equal(t.el[THEME_SEV1].attrs, d.el[THEME_SEV1].attrs);
	assert_int_equal(t.el[THEME_HEADER].bg, 12);
	assert_int_equal(t.el[THEME_HEADER].attrs, 0);
	assert_int_equal(t.el[THEME_TEXT].fg, THEME_COLOR_DEFAULT);
	assert_memory_equal(&t.el[THEME_OK], &d.el[THEME_OK], sizeof d.el[THEME_OK]);
	free(path);
}

static const struct {
	const char *text, *msg; /* msg follows "PATH: " */
} bad[] = {
	{ "{\"elements\": {\"node.drian\": {\"fg\": \"red\"}}}", "unknown element \"node.drian\"" },
	{ "{\"elements\": {\"node.drain\": {\"fg\": \"purpl\"}}}",
	  "element \"node.drain\": fg: unknown colour \"purpl\""
	  " (default, black..white, bright-black..bright-white, colorN, 0-255)" },
	{ "{\"elements\": {\"node.drain\": {\"bg\": \"color256\"}}}",
	  "element \"node.drain\": bg: unknown colour \"color256\""
	  " (default, black..white, bright-black..bright-white, colorN, 0-255)" },
	{ "{\"elements\": {\"node.drain\": {\"fg\": 300}}}",
	  "element \"node.drain\": fg: colour 300 is out of range 0-255" },
	{ "{\"elements\": {\"node.drain\": {\"fg\": true}}}",
	  "element \"node.drain\": fg: expected a colour name or 0-255, got true" },
	{ "{\"elements\": {\"node.drain\": {\"attrs\": \"bold\"}}}",
	  "element \"node.drain\": attrs: expected a list such as [\"bold\"], got \"bold\"" },
	{ "{\"elements\": {\"node.drain\": {\"attrs\": [\"blink\"]}}}",
	  "element \"node.drain\": attrs: unknown attribute \"blink\""
	  " (bold, dim, underline, reverse, italic, standout)" },
	{ "{\"elements\": {\"node.drain\": {\"colour\": \"red\"}}}",
	  "element \"node.drain\": unknown key \"colour\" (fg, bg, attrs)" },
	{ "{\"elements\": {\"node.drain\": \"red\"}}",
	  "element \"node.drain\": expected an object with fg, bg, attrs, got \"red\"" },
	{ "{\"elements\": []}", "elements: expected an object, got a list" },
	{ "{\"colors\": 17}", "colors: expected 8, 16 or 256, got 17" },
	{ "{\"name\": 1}", "name: expected a string, got 1" },
	{ "{\"palette\": {}}", "unknown key \"palette\" (name, colors, elements)" },
	{ "\"default\"", "expected an object at the top level" },
	{ "{\"elements\": {\n\"node.drain\": {\"fg\": red}}}", "line 2: not valid JSON" },
};

static void test_bad_files(void **state)
{
	(void)state;
	struct theme d;
	theme_default(&d);
	for (size_t i = 0; i < DC_ARRAY_LEN(bad); i++) {
		char *path = tmpfiles_write("bad.json", bad[i].text);
		struct theme t;
		struct dc_err err = { { 0 } };
		assert_int_equal(theme_load_file(path, &t, &err), -1);
		char *want = xasprintf("%s: %s", path, bad[i].msg);
		if (strcmp(err.msg, want) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, want);
		assert_memory_equal(&t, &d, sizeof d); /* carries on with the default */
		free(want);
		free(path);
	}
}

static void test_named(void **state)
{
	(void)state;
	char *themes = xasprintf("%s/dcops", tmpfiles_dir);
	mkdir(themes, 0700);
	free(themes);
	themes = xasprintf("%s/dcops/themes", tmpfiles_dir);
	mkdir(themes, 0700);
	char *path = tmpfiles_write("dcops/themes/night.json", "{\"name\": \"night\"}");
	setenv("XDG_CONFIG_HOME", tmpfiles_dir, 1);
	struct theme t;
	struct dc_err err = { { 0 } };
	assert_int_equal(theme_load_named("night", &t, &err), 0);
	assert_string_equal(t.name, "night");

	assert_int_equal(theme_load_named("absent", &t, &err), -1);
	char *want = xasprintf("theme \"absent\" not found (looked in %s and %s/themes)", themes,
	                       dc_datadir());
	assert_string_equal(err.msg, want);
	assert_string_equal(t.name, "default");
	free(want);

	assert_int_equal(theme_load_named("../night", &t, &err), -1);
	assert_string_equal(err.msg, "theme \"../night\": a theme name is letters, digits, - and _");
	free(themes);
	free(path);
}

static void test_downgrade(void **state)
{
	(void)state;
	struct theme t;
	theme_default(&t);
	t.el[THEME_TEXT] = (struct theme_style){ 196, 231, 0 };
	t.el[THEME_DIM] = (struct theme_style){ 16, THEME_COLOR_DEFAULT, 0 };
	t.el[THEME_TITLE] = (struct theme_style){ 11, 3, 0 };
	struct theme t16 = t, t8 = t, t2 = t;
	theme_downgrade(&t16, 16);
	assert_int_equal(t16.el[THEME_TEXT].fg, 9);  /* bright red */
	assert_int_equal(t16.el[THEME_TEXT].bg, 15); /* bright white */
	assert_int_equal(t16.el[THEME_DIM].fg, 0);
	assert_int_equal(t16.el[THEME_DIM].bg, THEME_COLOR_DEFAULT);
	assert_int_equal(t16.el[THEME_TITLE].fg, 11);
	assert_int_equal(t16.colors, 16);
	theme_downgrade(&t8, 8);
	assert_int_equal(t8.el[THEME_TEXT].fg, 1);
	assert_int_equal(t8.el[THEME_TEXT].bg, 7);
	assert_int_equal(t8.el[THEME_TITLE].bg, 3);
	assert_int_equal(t8.el[THEME_TITLE].fg, 0); /* bright yellow on yellow would vanish */
	for (int i = 0; i < THEME_EL_COUNT; i++) {
		assert_true(t8.el[i].fg < 8);
		assert_true(t8.el[i].bg < 8);
	}
	theme_downgrade(&t2, 2);
	for (int i = 0; i < THEME_EL_COUNT; i++)
		assert_int_equal(t2.el[i].fg, THEME_COLOR_DEFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_default_and_mono),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_downgrade),
	};
	return cmocka_run_group_tests(tests, setup, tmpfiles_teardown);
}
