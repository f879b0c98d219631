/* test_dialog.c — dialogs without a screen: field editing (text, number,
 * choice, secret), focus order, the default No, required fields, typed
 * confirmation, the check callback, the one key rule of every dialog
 * (answers No unless y is pressed), and the host's stack. */
#include <curses.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dialog.h"
#include "keys.h"

struct seen {
	int calls;
	enum dialog_answer ans;
	char value[256];
};

static void done(void *ud, const struct dialog *d, enum dialog_answer ans)
{
	struct seen *s = ud;
	s->calls++;
	s->ans = ans;
	snprintf(s->value, sizeof s->value, "%s", dialog_nfields(d) ? dialog_value(d, 0) : "");
}

static void type(struct dialog *d, const char *s)
{
	for (; *s; s++)
		dialog_key(d, (unsigned char)*s);
}

static void test_default_no(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct dialog *d = dialog_new("Accept host key?");
	dialog_body_add(d, THEME_TEXT, "SHA256:abc");
	dialog_buttons(d, "Accept", "Reject");
	dialog_on_done(d, done, &s);
	assert_int_equal(dialog_focus(d), -2);                  /* No has the focus */
	unsigned r = dialog_key(d, '\n');
	assert_true(r & DIALOG_CLOSED);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.ans, DIALOG_NO);
	assert_int_equal(dialog_key(d, 'y'), 0);                /* answered once only */
	assert_int_equal(s.calls, 1);
	dialog_free(d);

	d = dialog_new("again");
	dialog_on_done(d, done, &s);
	dialog_key(d, KEYS_FN(KEY_LEFT));                       /* to Yes */
	assert_int_equal(dialog_focus(d), -1);
	dialog_key(d, '\n');                                    /* Enter there is not an answer */
	assert_int_equal(s.calls, 1);
	assert_string_equal(dialog_error(d), "press y to Yes (Enter here does not confirm)");
	dialog_key(d, 'y');
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.ans, DIALOG_YES);
	dialog_free(d);

	d = dialog_new("esc");
	dialog_on_done(d, done, &s);
	dialog_key(d, KEYS_ESC);
	assert_int_equal(s.ans, DIALOG_NO);
	dialog_free(d);
}

static void test_text_editing(void **state)
{
	(void)state;
	struct dialog *d = dialog_new("t");
	int f = dialog_add_text(d, "Reason", "", DIALOG_REQUIRED, NULL);
	assert_int_equal(dialog_focus(d), f);
	type(d, "xid 79 on gpu");
	assert_string_equal(dialog_value(d, f), "xid 79 on gpu");
	dialog_key(d, KEYS_FN(KEY_BACKSPACE));
	assert_string_equal(dialog_value(d, f), "xid 79 on gp");
	dialog_key(d, KEYS_CTRL('w'));
	assert_string_equal(dialog_value(d, f), "xid 79 on ");
	dialog_key(d, 0xD55C);                                  /* 한 */
	assert_string_equal(dialog_value(d, f), "xid 79 on \xed\x95\x9c");
	dialog_key(d, 0x7F);
	assert_string_equal(dialog_value(d, f), "xid 79 on ");
	dialog_key(d, KEYS_CTRL('u'));
	assert_string_equal(dialog_value(d, f), "");
	dialog_key(d, 0x1b5b);                                  /* a printable character */
	dialog_key(d, 0x9b);                                    /* C1 CSI: refused */
	assert_string_equal(dialog_value(d, f), "\xe1\xad\x9b");
	dialog_free(d);
}

static void test_number_and_choice(void **state)
{
	(void)state;
	struct dialog *d = dialog_new("q");
	int g = dialog_add_number(d, "GPU limit", "8", 0, NULL);
	int h = dialog_add_number(d, "Budget", "", DIALOG_DECIMAL, NULL);
	static const char *const sev[] = { "1", "2", "3" };
	int c = dialog_add_choice(d, "Severity", sev, 3, 2);
	type(d, "x-1");
	assert_string_equal(dialog_value(d, g), "81");          /* only digits */
	double v;
	assert_true(dialog_number(d, g, &v));
	assert_true(v == 81);
	dialog_key(d, '\t');
	type(d, "12.5.7");
	assert_string_equal(dialog_value(d, h), "12.57");       /* one dot */
	dialog_key(d, '\n');
	assert_int_equal(dialog_focus(d), c);
	assert_string_equal(dialog_value(d, c), "3");
	dialog_key(d, ' ');
	assert_int_equal(dialog_choice(d, c), 0);
	dialog_key(d, KEYS_FN(KEY_LEFT));
	assert_int_equal(dialog_choice(d, c), 2);
	dialog_key(d, KEYS_FN(KEY_BTAB));
	assert_int_equal(dialog_focus(d), h);
	dialog_key(d, KEYS_CTRL('u'));
	assert_false(dialog_number(d, h, &v));                  /* empty is not a number */
	dialog_free(d);
}

static void test_required_and_enter(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct dialog *d = dialog_new("Drain");
	int r = dialog_add_text(d, "Reason", "", DIALOG_REQUIRED, NULL);
	dialog_add_text(d, "Resume after", "", 0, NULL);
	dialog_on_done(d, done, &s);
	dialog_key(d, '\n');
	dialog_key(d, '\n');
	assert_int_equal(dialog_focus(d), -2);   /* Enter in the last field lands on No */
	dialog_key(d, 'y');
	assert_int_equal(s.calls, 0);
	assert_string_equal(dialog_error(d), "Reason is required");
	assert_int_equal(dialog_focus(d), r);
	type(d, "   ");
	dialog_key(d, '\n');
	dialog_key(d, '\n');
	dialog_key(d, 'y');
	assert_int_equal(s.calls, 0);            /* blanks are not a reason */
	type(d, "fan failure");
	assert_string_equal(dialog_error(d), ""); /* editing clears the error */
	dialog_key(d, '\n');
	dialog_key(d, '\n');
	dialog_key(d, 'y');
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.ans, DIALOG_YES);
	assert_string_equal(s.value, "   fan failure");
	dialog_free(d);
}

static void test_typed_confirmation(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct dialog *d = dialog_new("Drain 12 nodes");
	dialog_require_typed(d, "Type 12 to confirm", "12");
	int r = dialog_add_text(d, "Reason", "rack power work", 0, NULL);  /* added after: still first */
	assert_int_equal(r, 0);
	assert_int_equal(dialog_nfields(d), 2);
	dialog_on_done(d, done, &s);
	dialog_key(d, '\n');
	type(d, "11");
	dialog_key(d, '\n');
	dialog_key(d, 'y');
	assert_int_equal(s.calls, 0);
	assert_string_equal(dialog_error(d), "type 12 to confirm");
	assert_int_equal(dialog_focus(d), 1);
	dialog_key(d, KEYS_FN(KEY_BACKSPACE));
	type(d, "2");
	dialog_key(d, '\t');                     /* Tab goes to Yes */
	assert_int_equal(dialog_focus(d), -1);
	dialog_key(d, '\n');                     /* Enter on it does not confirm */
	assert_int_equal(s.calls, 0);
	dialog_key(d, 'y');
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.ans, DIALOG_YES);
	dialog_free(d);
}

static int checks;
static int check_duration(void *ud, const struct dialog *d, int *field, struct dc_err *err)
{
	(void)ud;
	checks++;
	if (strcmp(dialog_value(d, 1), "4h") != 0) {
		*field = 1;
		return dc_err_set(err, "bad duration '%s'", dialog_value(d, 1));
	}
	return 0;
}

static int updates;
static void on_update(void *ud, struct dialog *d)
{
	(void)ud;
	updates++;
	dialog_body_clear(d);
	dialog_body_addf(d, THEME_TEXT, "now %s", dialog_value(d, 0));
}

static void test_check_and_update(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct dialog *d = dialog_new("c");
	dialog_add_number(d, "GPUs", "4", 0, NULL);
	dialog_add_text(d, "Expires", "4x", 0, NULL);
	dialog_on_done(d, done, &s);
	dialog_on_check(d, check_duration);
	dialog_on_update(d, on_update);
	checks = updates = 0;
	type(d, "2");
	assert_int_equal(updates, 1);
	dialog_key(d, KEYS_FN(KEY_UP));          /* around to No */
	assert_int_equal(dialog_focus(d), -2);
	dialog_key(d, 'y');
	assert_int_equal(checks, 1);
	assert_int_equal(s.calls, 0);
	assert_string_equal(dialog_error(d), "bad duration '4x'");
	assert_int_equal(dialog_focus(d), 1);
	dialog_key(d, KEYS_FN(KEY_BACKSPACE));
	type(d, "h");
	dialog_key(d, KEYS_FN(KEY_DOWN));
	dialog_key(d, 'y');
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.value, "42");
	dialog_free(d);
}

static void test_secret(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct dialog *d = dialog_new("Passphrase for id_ed25519");
	int f = dialog_add_secret(d, "Passphrase", DIALOG_REQUIRED);
	dialog_buttons(d, "OK", "Cancel");
	dialog_on_done(d, done, &s);
	type(d, "hunter2");
	assert_string_equal(dialog_value(d, f), "hunter2");
	dialog_key(d, '\t');
	dialog_key(d, '\n');
	assert_int_equal(s.calls, 0);
	dialog_key(d, 'y');
	assert_int_equal(s.ans, DIALOG_YES);
	assert_string_equal(s.value, "hunter2");
	dialog_free(d);

	d = dialog_new("info");
	dialog_buttons(d, "OK", NULL);           /* one button: an information box */
	dialog_on_done(d, done, &s);
	assert_int_equal(dialog_focus(d), -1);
	dialog_key(d, KEYS_ESC);
	assert_int_equal(s.ans, DIALOG_YES);
	dialog_free(d);
}

/* The shapes of dialog dcops opens: none of them submits on Enter from a
 * field or on the action button, all of them answer Yes on y at the buttons
 * and No on n or Esc. */
static struct dialog *shaped(int shape, struct seen *s)
{
	static const char *const yn[] = { "no", "yes" };
	struct dialog *d = dialog_new("shape");
	switch (shape) {
	case 0:                                  /* acknowledge, sign off: no fields */
		break;
	case 1:                                  /* a note */
		dialog_add_text(d, "Note", "", DIALOG_REQUIRED, NULL);
		break;
	case 2:                                  /* a drain: text, number, text, choice */
		dialog_add_text(d, "Reason", "fan failure on gpu 3", DIALOG_REQUIRED, NULL);
		dialog_add_number(d, "Incident #", "", 0, NULL);
		dialog_add_text(d, "Resume after", "", 0, NULL);
		dialog_add_choice(d, "Override", yn, 2, 0);
		break;
	default:                                 /* a rack drain: typed confirmation */
		dialog_add_text(d, "Reason", "rack power work", 0, NULL);
		dialog_require_typed(d, "Type 2 to confirm", "2");
		break;
	}
	dialog_buttons(d, "Drain", "No");
	dialog_on_done(d, done, s);
	return d;
}

static void test_one_rule(void **state)
{
	(void)state;
	for (int shape = 0; shape < 4; shape++) {
		struct seen s = { 0 };
		struct dialog *d = shaped(shape, &s);
		int nf = (int)dialog_nfields(d);
		if (nf)
			type(d, shape == 3 ? "" : "y");  /* y in a field is typed, not an answer */
		if (shape == 1)
			assert_string_equal(dialog_value(d, 0), "y");
		if (shape == 3) {
			dialog_key(d, '\n');
			type(d, "2");
		}
		/* Enter walks the fields and stops on No, never answering */
		for (int i = 0; i < nf + 3; i++) {
			int before = dialog_focus(d);
			if (before == -2)
				break;
			dialog_key(d, '\n');
			assert_int_equal(s.calls, 0);
			assert_true(dialog_focus(d) == before + 1 || dialog_focus(d) == -2);
		}
		assert_int_equal(dialog_focus(d), -2);
		/* Tab to the action button, Enter: still no answer */
		dialog_key(d, KEYS_FN(KEY_LEFT));
		assert_int_equal(dialog_focus(d), -1);
		dialog_key(d, '\n');
		assert_int_equal(s.calls, 0);
		assert_false(dialog_answered(d));
		dialog_key(d, KEYS_FN(KEY_BTAB));        /* back into the fields, Tab to Drain */
		if (nf) {
			assert_int_equal(dialog_focus(d), nf - 1);
			dialog_key(d, '\t');
			assert_int_equal(dialog_focus(d), -1);
			dialog_key(d, KEYS_FN(KEY_ENTER));
			assert_int_equal(s.calls, 0);
		}
		/* y answers Yes from either button */
		dialog_key(d, KEYS_FN(KEY_RIGHT));
		assert_int_equal(dialog_focus(d), nf ? -2 : -1);
		dialog_key(d, 'y');
		assert_int_equal(s.calls, 1);
		assert_int_equal(s.ans, DIALOG_YES);
		dialog_free(d);

		/* n at the buttons and Esc anywhere answer No */
		s.calls = 0;
		d = shaped(shape, &s);
		dialog_key(d, KEYS_FN(KEY_UP));          /* around to No */
		dialog_key(d, KEYS_FN(KEY_LEFT));        /* Drain */
		dialog_key(d, 'N');
		assert_int_equal(s.calls, 1);
		assert_int_equal(s.ans, DIALOG_NO);
		dialog_free(d);
		s.calls = 0;
		d = shaped(shape, &s);
		dialog_key(d, KEYS_ESC);
		assert_int_equal(s.ans, DIALOG_NO);
		dialog_free(d);
	}
}

static void push_second(void *ud, const struct dialog *d, enum dialog_answer ans)
{
	(void)d;
	(void)ans;
	struct dialog_host *h = ud;
	dialog_host_push(h, dialog_new("second"));
}

static void test_host(void **state)
{
	(void)state;
	struct dialog_host *h = dialog_host_new();
	assert_false(dialog_host_active(h));
	assert_int_equal(dialog_host_key(h, 'x'), 0);
	struct seen s = { 0 };
	struct dialog *a = dialog_new("drain");
	dialog_add_text(a, "Reason", "", 0, NULL);
	dialog_on_done(a, done, &s);
	dialog_host_push(h, a);
	int owner;
	struct dialog *b = dialog_new("host key");
	dialog_on_done(b, done, &owner);
	dialog_host_push(h, b);
	assert_ptr_equal(dialog_host_top(h), b);
	assert_true(dialog_host_drop(h, &owner));  /* the SSH session went away */
	assert_ptr_equal(dialog_host_top(h), a);
	assert_int_equal(s.calls, 0);
	dialog_host_key(h, 'z');
	assert_string_equal(dialog_value(a, 0), "z");
	unsigned r = dialog_host_key(h, KEYS_ESC);
	assert_true(r & DIALOG_CLOSED);
	assert_int_equal(s.calls, 1);
	assert_false(dialog_host_active(h));
	/* a done callback may open the next dialog */
	struct dialog *c = dialog_new("first");
	dialog_on_done(c, push_second, h);
	dialog_host_push(h, c);
	dialog_host_key(h, '\n');
	assert_true(dialog_host_active(h));
	assert_string_equal(dialog_title(dialog_host_top(h)), "second");
	dialog_host_free(h);                       /* frees what is open, no callbacks */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_no),
		cmocka_unit_test(test_text_editing),
		cmocka_unit_test(test_number_and_choice),
		cmocka_unit_test(test_required_and_enter),
		cmocka_unit_test(test_typed_confirmation),
		cmocka_unit_test(test_check_and_update),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_one_rule),
		cmocka_unit_test(test_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
