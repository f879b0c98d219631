/* test_dialog_area.c — the dialog's multi-line field (DIALOG_TEXTAREA),
 * used by the handover note: Enter starts a new line instead of leaving
 * the field, Tab leaves it, Backspace and C-u edit across and within
 * lines, the byte limit holds, and the value comes back whole. */
#include <curses.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dialog.h"
#include "keys.h"

static void type(struct dialog *d, const char *s)
{
	for (; *s; s++)
		dialog_key(d, (unsigned char)*s);
}

static void test_lines(void **state)
{
	(void)state;
	struct dialog *d = dialog_new("Handover note");
	int f = dialog_add_textarea(d, "Note", "", DIALOG_REQUIRED, NULL, 6, 8000);
	dialog_buttons(d, "Save", "No");
	assert_int_equal(dialog_focus(d), f);
	type(d, "gpu-001 drained");
	dialog_key(d, '\r');
	assert_int_equal(dialog_focus(d), f);     /* Enter is a new line, not the next field */
	type(d, "incident 4 unowned");
	dialog_key(d, KEYS_FN(KEY_ENTER));
	type(d, "x");
	dialog_key(d, KEYS_FN(KEY_BACKSPACE));
	dialog_key(d, KEYS_FN(KEY_BACKSPACE));     /* the newline goes too */
	assert_string_equal(dialog_value(d, f), "gpu-001 drained\nincident 4 unowned");
	dialog_key(d, '\n');
	dialog_key(d, 0xD55C);                       /* 한 */
	dialog_key(d, 0xBE5B);                       /* 빛 */
	dialog_key(d, KEYS_FN(KEY_BACKSPACE));
	assert_string_equal(dialog_value(d, f), "gpu-001 drained\nincident 4 unowned\n\xed\x95\x9c");
	dialog_key(d, KEYS_CTRL('u'));              /* this line only */
	assert_string_equal(dialog_value(d, f), "gpu-001 drained\nincident 4 unowned\n");
	dialog_key(d, '\t');
	assert_int_equal(dialog_focus(d), -1);       /* Tab leaves for the buttons */
	dialog_free(d);
}

static void test_limit_and_required(void **state)
{
	(void)state;
	struct dialog *d = dialog_new("Handover note");
	int f = dialog_add_textarea(d, "Note", "ab", DIALOG_REQUIRED, "what to watch", 4, 4);
	type(d, "cdef");
	assert_string_equal(dialog_value(d, f), "abcd");
	dialog_key(d, KEYS_CTRL('u'));
	dialog_key(d, '\n');
	assert_string_equal(dialog_value(d, f), "\n");
	dialog_key(d, '\t');
	dialog_key(d, 'y');                          /* blank lines are still blank */
	assert_false(dialog_answered(d));
	assert_string_equal(dialog_error(d), "Note is required");
	assert_int_equal(dialog_focus(d), f);
	dialog_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_limit_and_required),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
