/* test_filter.c — filters (substring, case, `!`), the sorted id tables
 * (comparators, stable ties, cursor and marks that follow row ids), the
 * `:` command parser and its Tab completion, line editing. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cmdline.h"
#include "draw.h"
#include "view.h"

#define CORP "(\xec\xa3\xbc)\xeb\x94\xa5\xeb\xb9\x84\xec\xa0\x84\xeb\x9e\xa9\xec\x8a\xa4" /* (주)딥비전랩스 */
#define DEEP "\xeb\x94\xa5\xeb\xb9\x84\xec\xa0\x84"                                     /* 딥비전 */

static void test_filter_match(void **state)
{
	(void)state;
	assert_true(filter_match("", "anything"));
	assert_true(filter_match("h100", "gpu-h100-001 h100 allocated"));
	assert_true(filter_match("H100", "gpu-h100-001"));
	assert_true(filter_match("ALLOC", "allocated"));
	assert_false(filter_match("a100", "gpu-h100-001"));
	assert_false(filter_match("!h100", "gpu-h100-001"));
	assert_true(filter_match("!h100", "gpu-a100-001"));
	assert_true(filter_match("!", "anything"));
	assert_true(filter_match(DEEP, CORP " Deepvision Labs"));
	assert_true(filter_match("deepvision", CORP " Deepvision Labs"));
	assert_false(filter_match("!" DEEP, CORP));
	assert_true(filter_match("x", "ab x"));
	assert_false(filter_match("abc", NULL));
}

/* A row for the field tests: its state(s) and its account id. */
struct frow {
	const char *state, *state2, *id;
};

static void f_state(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	const struct frow *r = row;
	filter_put(ft, "state", r->state);
	filter_put(ft, "state", r->state2);
}

static void f_id(struct filter_text *ft, const void *ud, const void *row)
{
	(void)ud;
	filter_put(ft, "id", ((const struct frow *)row)->id);
}

static const struct filter_field ffields[] = {
	{ "state", "", f_state }, { "id account", "", f_id },
};

static void fields_text(char *buf, size_t n, const char *words, const struct frow *r)
{
	filter_row_text(buf, n, words, ffields, DC_ARRAY_LEN(ffields), NULL, r);
}

static void test_filter_fields(void **state)
{
	(void)state;
	char drained[256], idle[256], tenant[256], sep[256];
	fields_text(drained, sizeof drained, "gpu-h100-017 h100 drained: Xid 79",
	            &(struct frow){ "drained", "down", NULL });
	fields_text(idle, sizeof idle, "gpu-h100-018 h100 idle", &(struct frow){ "active", "idle", NULL });
	fields_text(tenant, sizeof tenant, CORP " Deepvision Labs", &(struct frow){ "pending", NULL, "57" });
	/* key:value matches the field, either of a node's states */
	assert_true(filter_match("state:drained", drained));
	assert_true(filter_match("state:down", drained));
	assert_false(filter_match("STATE:DRAINED", drained)); /* keys are lower case: this is text */
	assert_true(filter_match("state:DRAINED", drained));
	assert_false(filter_match("state:drained", idle));
	assert_false(filter_match("state:drain", drained));          /* whole values ... */
	assert_true(filter_match("state:drain*", drained));          /* ... or a prefix */
	assert_true(filter_match("state:idle,drained", idle));
	assert_true(filter_match("state:idle,drained", drained));
	assert_true(filter_match("!state:drained", idle));
	assert_false(filter_match("!state:drained", drained));
	/* fields and words together; words match only the words, not the fields */
	assert_true(filter_match("state:drained xid", drained));
	assert_false(filter_match("state:drained h100-018", drained));
	assert_false(filter_match("state", idle));
	assert_false(filter_match("down", drained));
	assert_true(filter_match("!state:idle Xid 79", drained));
	/* the account id, exactly: 57 is not 5 */
	assert_true(filter_match("id:57", tenant));
	assert_false(filter_match("id:5", tenant));
	assert_true(filter_match("id:57 " DEEP, tenant));
	/* a key the row does not have is plain text (names may hold colons) */
	fields_text(sep, sizeof sep, "lab:one", &(struct frow){ "active", NULL, NULL });
	assert_true(filter_match("lab:one", sep));
	assert_false(filter_match("lab:two", sep));
	/* the separator in a row's words cannot forge a field */
	fields_text(sep, sizeof sep, "x\x1fstate=drained", &(struct frow){ "active", NULL, NULL });
	assert_false(filter_match("state:drained", sep));
	/* a value that does not fit is left out whole, not cut */
	char small[24];
	fields_text(small, sizeof small, "n", &(struct frow){ "active", "a-very-long-state-name", NULL });
	assert_true(filter_match("state:active", small));
	assert_false(filter_match("state:a-very*", small));
	char keys[64];
	filter_keys(ffields, DC_ARRAY_LEN(ffields), keys, sizeof keys);
	assert_string_equal(keys, "state, id, account");
	/* a key no field has is named, so the list can say so */
	char bad[32];
	assert_false(filter_unknown_key("state:idle !account:4 deep vision", ffields, DC_ARRAY_LEN(ffields),
	                                bad, sizeof bad));
	assert_true(filter_unknown_key("state:idle !stat:drained", ffields, DC_ARRAY_LEN(ffields), bad,
	                               sizeof bad));
	assert_string_equal(bad, "stat");
	char crumb[128] = "3 of 9 nodes";
	filter_hint(crumb, sizeof crumb, "stat:drained", ffields, DC_ARRAY_LEN(ffields));
	assert_string_equal(crumb, "3 of 9 nodes · no field 'stat': state, id, account");
	filter_hint(crumb + 12, 1, "stat:drained", ffields, DC_ARRAY_LEN(ffields)); /* no room: unchanged */
	crumb[12] = '\0';
	filter_hint(crumb, sizeof crumb, "state:drained", ffields, DC_ARRAY_LEN(ffields));
	assert_string_equal(crumb, "3 of 9 nodes");
}

/* Rows for the table tests: id -> (name, value). */
static const struct { const char *name; int value; } rows[] = {
	[1] = { "gpu-a10", 50 }, [2] = { "gpu-a2", 70 }, [3] = { "gpu-a1", 50 },
	[4] = { "gpu-b1", 90 }, [5] = { "gpu-a3", 10 },
};

static int row_cmp(const void *ud, int64_t a, int64_t b, int col)
{
	(void)ud;
	return col == 0 ? text_natcmp(rows[a].name, rows[b].name) : cmp_i64(rows[a].value, rows[b].value);
}

static const struct table_col cols[] = { { .title = "NAME", .width = 8 }, { .title = "VALUE", .width = 5, .flags = COL_RIGHT } };

static void fill(struct table *t)
{
	table_begin(t);
	for (int64_t id = 1; id <= 5; id++)
		table_add(t, id, rows[id].name);
	table_end(t, row_cmp, NULL);
}

static void assert_order(const struct table *t, const int64_t *want, size_t n)
{
	assert_int_equal(t->n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(t->ids[i], want[i]);
}

static void test_table_sort(void **state)
{
	(void)state;
	struct table t;
	table_init(&t, cols, 2, 0, false);
	fill(&t);
	assert_order(&t, (int64_t[]){ 3, 2, 5, 1, 4 }, 5);       /* natural: a1 a2 a3 a10 b1 */
	assert_int_equal(t.total, 5);
	table_key(&t, KA_SORT_NEXT);                              /* by value; ties by id */
	fill(&t);
	assert_order(&t, (int64_t[]){ 5, 1, 3, 2, 4 }, 5);
	table_key(&t, KA_SORT_REVERSE);
	fill(&t);
	assert_order(&t, (int64_t[]){ 4, 2, 1, 3, 5 }, 5);  /* ties stay by id */
	table_key(&t, KA_SORT_PREV);
	fill(&t);
	assert_order(&t, (int64_t[]){ 4, 1, 5, 2, 3 }, 5);
	table_free(&t);
}

static void test_table_filter(void **state)
{
	(void)state;
	struct table t;
	table_init(&t, cols, 2, 0, false);
	snprintf(t.filter, sizeof t.filter, "GPU-A");
	assert_true(table_filtering(&t));
	fill(&t);
	assert_order(&t, (int64_t[]){ 3, 2, 5, 1 }, 4);
	assert_int_equal(t.total, 5);
	snprintf(t.filter, sizeof t.filter, "!gpu-a");
	fill(&t);
	assert_order(&t, (int64_t[]){ 4 }, 1);
	snprintf(t.filter, sizeof t.filter, "!");
	assert_false(table_filtering(&t));
	table_free(&t);
}

static void test_table_cursor_follows_id(void **state)
{
	(void)state;
	struct table t;
	table_init(&t, cols, 2, 0, false);
	fill(&t);
	table_key(&t, KA_DOWN);
	table_key(&t, KA_DOWN);
	assert_int_equal(table_cur(&t), 5);
	table_key(&t, KA_SORT_NEXT);                               /* re-sort: cursor stays on 5 */
	fill(&t);
	assert_int_equal(table_cur(&t), 5);
	assert_int_equal(t.cur, 0);
	table_key(&t, KA_BOTTOM);
	assert_int_equal(table_cur(&t), 4);
	table_key(&t, KA_TOP);
	assert_int_equal(table_cur(&t), 5);
	table_key(&t, KA_UP);                                      /* clamps at the top */
	assert_int_equal(t.cur, 0);
	table_select(&t, 2);
	assert_int_equal(table_cur(&t), 2);
	table_free(&t);
}

static void test_table_marks(void **state)
{
	(void)state;
	struct table t;
	table_init(&t, cols, 2, 0, false);
	fill(&t);
	table_key(&t, KA_MARK);                                    /* marks 3, moves to 2 */
	table_key(&t, KA_MARK);                                    /* marks 2 */
	assert_true(table_is_marked(&t, 3));
	assert_true(table_is_marked(&t, 2));
	assert_false(table_is_marked(&t, 5));
	table_key(&t, KA_SORT_REVERSE);                            /* marks survive re-sorting */
	snprintf(t.filter, sizeof t.filter, "a2");                 /* and filtering */
	fill(&t);
	snprintf(t.filter, sizeof t.filter, "%s", "");
	fill(&t);
	assert_true(table_is_marked(&t, 3));
	assert_int_equal(t.nmarked, 2);
	table_select(&t, 3);
	table_key(&t, KA_MARK);                                    /* unmark */
	assert_false(table_is_marked(&t, 3));
	assert_int_equal(t.nmarked, 1);
	table_free(&t);
}

static void test_comparators(void **state)
{
	(void)state;
	assert_int_equal(cmp_i64(1, 2), -1);
	assert_int_equal(cmp_i64(INT64_MAX, INT64_MIN), 1);
	assert_int_equal(cmp_i64(7, 7), 0);
	assert_int_equal(cmp_dbl(0.5, 0.25), 1);
	assert_int_equal(cmp_dbl(-1.0, -1.0), 0);
}

static void test_cmd_parse(void **state)
{
	(void)state;
	struct cmd_parsed p;
	struct dc_err err;
	assert_int_equal(cmdline_parse("jobs h100", &p, &err), 0);
	assert_int_equal(p.verb, CMD_JOBS);
	assert_string_equal(p.arg, "h100");
	assert_int_equal(cmdline_parse(":jobs", &p, &err), 0);
	assert_string_equal(p.arg, "");
	assert_int_equal(cmdline_parse("q", &p, &err), 0);
	assert_int_equal(p.verb, CMD_QUIT);
	assert_int_equal(cmdline_parse("  tenant " CORP "  ", &p, &err), 0);
	assert_int_equal(p.verb, CMD_TENANT);
	assert_string_equal(p.arg, CORP);
	assert_int_equal(cmdline_parse("inc", &p, &err), 0);
	assert_int_equal(p.verb, CMD_INCIDENTS);
	assert_int_equal(cmdline_parse("theme light", &p, &err), 0);
	assert_int_equal(p.verb, CMD_THEME);
	assert_int_equal(cmdline_parse("bogus", &p, &err), -1);
	assert_non_null(strstr(err.msg, "unknown command ':bogus'"));
	assert_int_equal(cmdline_parse("nodes extra", &p, &err), -1);
	assert_non_null(strstr(err.msg, "takes no argument"));
	assert_int_equal(cmdline_parse("tenant", &p, &err), -1);
	assert_non_null(strstr(err.msg, "needs an argument"));
	assert_int_equal(cmdline_parse("", &p, &err), -1);
}

static void names(void *ud, enum cmd_arg kind, void (*add)(void *acc, const char *name), void *acc)
{
	(void)ud;
	if (kind == ARG_PARTITION) {
		add(acc, "h100");
		add(acc, "h200");
		add(acc, "a100");
	} else if (kind == ARG_TENANT) {
		add(acc, CORP);
		add(acc, "Acme AI");
	}
}

static void complete(const char *typed, const char *want_line, const char *want_hint)
{
	struct line l;
	char hint[256];
	line_set(&l, typed);
	cmdline_complete(&l, names, NULL, hint, sizeof hint);
	assert_string_equal(l.buf, want_line);
	assert_string_equal(hint, want_hint);
}

static void test_cmd_complete(void **state)
{
	(void)state;
	complete("th", "theme ", "");
	complete("no", "nodes", "");
	complete("te", "tenant", "tenant  tenants");
	complete("jobs a", "jobs a100", "");
	complete("jobs h", "jobs h", "h100  h200");
	complete("jobs z", "jobs z", "no match");
	complete("tenant acme", "tenant Acme AI", "");
	complete("tenant " DEEP, "tenant " CORP, "");              /* substring when no prefix */
	complete("nodes x", "nodes x", "");                        /* takes no argument */
}

static void test_line_edit(void **state)
{
	(void)state;
	struct line l;
	line_set(&l, "");
	assert_true(line_insert(&l, 'a'));
	assert_true(line_insert(&l, 0xB538));                      /* 딸 */
	assert_false(line_insert(&l, 0x1B));                       /* no controls */
	assert_int_equal(l.len, 4);
	line_backspace(&l);                                        /* a whole character */
	assert_string_equal(l.buf, "a");
	line_set(&l, "jobs h100");
	line_kill_word(&l);
	assert_string_equal(l.buf, "jobs ");
	line_backspace(&l);
	line_backspace(&l);
	assert_string_equal(l.buf, "job");
	char big[400];
	memset(big, 'x', sizeof big - 4);
	memcpy(big + sizeof big - 4, "\xea\xb0\x80", 4);
	line_set(&l, big);                                         /* cut, never mid-character */
	assert_true(l.len < sizeof l.buf);
	assert_int_equal(text_width(l.buf), (int)l.len);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_filter_fields),
		cmocka_unit_test(test_table_sort),
		cmocka_unit_test(test_table_filter),
		cmocka_unit_test(test_table_cursor_follows_id),
		cmocka_unit_test(test_table_marks),
		cmocka_unit_test(test_comparators),
		cmocka_unit_test(test_cmd_parse),
		cmocka_unit_test(test_cmd_complete),
		cmocka_unit_test(test_line_edit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
