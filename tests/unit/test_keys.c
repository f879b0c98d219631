/* test_keys.c — key tables: lookup by mode, key names, config overrides,
 * footer hints, and help generated from the tables (every bound key of
 * every table appears in its section). */
#include <curses.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "help.h"
#include "keys.h"
#include "view.h"

static int reset(void **state)
{
	(void)state;
	keys_override_clear();
	return 0;
}

static void test_lookup(void **state)
{
	(void)state;
	assert_int_equal(keys_lookup(&keys_nav, 'j', KM_LIST), KA_DOWN);
	assert_int_equal(keys_lookup(&keys_nav, KEYS_FN(KEY_DOWN), KM_DETAIL), KA_DOWN);
	assert_int_equal(keys_lookup(&keys_nav, KEYS_CTRL('f'), KM_LIST), KA_PAGE_DOWN);
	assert_int_equal(keys_lookup(&keys_nav, 'G', KM_LIST), KA_BOTTOM);
	assert_int_equal(keys_lookup(&keys_nav, '\n', KM_LIST), KA_ENTER);
	assert_int_equal(keys_lookup(&keys_nav, KEYS_ESC, KM_LIST), KA_NONE);   /* mode matters */
	assert_int_equal(keys_lookup(&keys_nav, KEYS_ESC, KM_DETAIL), KA_BACK);
	assert_int_equal(keys_lookup(&keys_nav, 's', KM_DETAIL), KA_NONE);
	assert_int_equal(keys_lookup(&keys_global, '3', KM_LIST), KA_VIEW_TENANTS);
	assert_int_equal(keys_lookup(&keys_global, KEYS_FN(KEY_BTAB), KM_MAP), KA_VIEW_PREV);
	assert_int_equal(keys_lookup(&keys_global, 'z', KM_ANY), KA_NONE);
	assert_int_equal(keys_lookup(view_nodes.keys, 'm', KM_LIST), KA_MAP);
	assert_int_equal(keys_lookup(view_nodes.keys, 'h', KM_LIST), KA_NONE);
	assert_int_equal(keys_lookup(view_nodes.keys, 'h', KM_MAP), KA_LEFT);
	assert_int_equal(keys_lookup(view_incidents.keys, 'r', KM_LIST), KA_RESOLVED);
}

static void name_roundtrip(const char *name, int key)
{
	char buf[16];
	assert_int_equal(keys_parse(name), key);
	keys_name(key, buf, sizeof buf);
	assert_string_equal(buf, name);
}

static void test_names(void **state)
{
	(void)state;
	name_roundtrip("j", 'j');
	name_roundtrip("G", 'G');
	name_roundtrip("C-f", 6);
	name_roundtrip("Enter", '\n');
	name_roundtrip("Esc", 27);
	name_roundtrip("Tab", '\t');
	name_roundtrip("S-Tab", KEYS_FN(KEY_BTAB));
	name_roundtrip("Space", ' ');
	name_roundtrip("PgDn", KEYS_FN(KEY_NPAGE));
	name_roundtrip("F5", KEYS_FN(KEY_F(5)));
	name_roundtrip("\xea\xb0\x80", 0xAC00);                    /* a Hangul key */
	assert_int_equal(keys_parse(""), -1);
	assert_int_equal(keys_parse("jk"), -1);
	assert_int_equal(keys_parse("C-"), -1);
	assert_int_equal(keys_parse("F13"), -1);
	assert_int_equal(keys_parse("\xff"), -1);
}

static void test_override(void **state)
{
	(void)state;
	struct dc_err err;
	assert_int_equal(keys_override("nav", "x", "down", &err), 0);
	assert_int_equal(keys_override("nav", "j", "none", &err), 0);
	assert_int_equal(keys_lookup(&keys_nav, 'x', KM_LIST), KA_DOWN);
	assert_int_equal(keys_lookup(&keys_nav, 'j', KM_LIST), KA_NONE);
	assert_int_equal(keys_lookup(&keys_nav, 'k', KM_LIST), KA_UP);       /* others unchanged */
	char keys[64];
	keys_for(&keys_nav, KA_DOWN, keys, sizeof keys);
	assert_string_equal(keys, "Down, x");
	/* an override keeps the mode of the action it binds */
	assert_int_equal(keys_override("nodes", "M", "map", &err), 0);
	assert_int_equal(keys_lookup(view_nodes.keys, 'M', KM_DETAIL), KA_NONE);
	assert_int_equal(keys_lookup(view_nodes.keys, 'M', KM_LIST), KA_MAP);
	assert_int_equal(keys_override("nav", "Hyper-x", "down", &err), -1);
	assert_non_null(strstr(err.msg, "unknown key name 'Hyper-x'"));
	assert_int_equal(keys_override("nav", "x", "explode", &err), -1);
	assert_non_null(strstr(err.msg, "unknown action 'explode'"));
}

static void test_hints(void **state)
{
	(void)state;
	struct key_hint h[16];
	size_t n = keys_hints(&keys_nav, KM_DETAIL, h, 16);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].key, "Esc");
	assert_string_equal(h[0].label, "back");
	n = keys_hints(&keys_nav, KM_LIST, h, 16);
	assert_true(n >= 2);
	assert_string_equal(h[0].key, "Enter");
	assert_string_equal(h[0].label, "detail");
	n = keys_hints(view_nodes.keys, KM_LIST, h, 16);
	assert_string_equal(h[0].key, "m");
}

/* The keys listed in the help section titled `title`. */
static void section_keys(const char *help, const char *title, char *out, size_t n)
{
	out[0] = '\0';
	char line[64];
	snprintf(line, sizeof line, "%s\n", title);
	const char *s = strncmp(help, line, strlen(line)) == 0 ? help : NULL;
	if (!s) {
		snprintf(line, sizeof line, "\n%s\n", title);
		s = strstr(help, line);
		assert_non_null(s);
		s++;
	}
	s += strlen(title) + 1;
	while (*s == '\t') {
		const char *tab = strchr(s + 1, '\t');
		size_t len = strlen(out);
		snprintf(out + len, n - len, ", %.*s,", (int)(tab - s - 1), s + 1);
		s = strchr(s, '\n') + 1;
	}
}

static void assert_help_covers(const char *help, const struct key_table *t)
{
	char listed[2048];
	section_keys(help, t->title, listed, sizeof listed);
	for (size_t i = 0; i < t->n; i++) {
		char name[16], needle[24];
		keys_name(t->b[i].key, name, sizeof name);
		snprintf(needle, sizeof needle, " %s,", name);
		if (!strstr(listed, needle))
			fail_msg("help section '%s' lacks key %s (listed:%s)", t->title, name, listed);
	}
}

static void test_help_generated(void **state)
{
	(void)state;
	struct dc_err err;
	assert_int_equal(keys_override("global", "Q", "quit", &err), 0);
	const struct key_table *tables[] = { &keys_global, &keys_nav, view_nodes.keys,
		view_incidents.keys };
	struct sb sb = { 0 };
	help_build(tables, 4, &sb);
	for (size_t i = 0; i < 4; i++)
		assert_help_covers(sb.buf, tables[i]);
	assert_non_null(strstr(sb.buf, "\tq, Q\tquit dcops\n"));    /* overrides show */
	assert_non_null(strstr(sb.buf, "\tj, Down\tmove down\n") ? "" : strstr(sb.buf, "\tDown, j\tmove down\n"));
	assert_non_null(strstr(sb.buf, ":jobs [PARTITION]"));       /* and the commands */
	assert_non_null(strstr(sb.buf, ":theme NAME"));
	sb_free(&sb);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lookup, reset),
		cmocka_unit_test_setup(test_names, reset),
		cmocka_unit_test_setup(test_override, reset),
		cmocka_unit_test_setup(test_hints, reset),
		cmocka_unit_test_setup(test_help_generated, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
