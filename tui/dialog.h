/* dialog.h — modal dialogs: a small form over the current view.
 *
 * A dialog has a title, an info body (lines of untrusted text, each in a
 * theme element, sanitised when drawn), fields (text, secret, number,
 * choice, textarea) and two buttons. A dialog may require a typed confirmation (the
 * node count, "yes"): Yes is refused until the operator types it exactly.
 *
 * One rule for the keys of every dialog (a table in dialog.c, not per
 * dialog; the hint in the bottom border says it): a dialog answers No
 * unless you press y.
 *   - Esc answers No anywhere.
 *   - In a field, Enter moves to the next field, and from the last one to
 *     No: Enter never submits from a field. Characters, y and n included,
 *     are typed; Space and Left / Right cycle a choice. A textarea (the
 *     handover note) is the one exception: Enter there starts a new line,
 *     and Tab leaves it.
 *   - Tab / Down and S-Tab / Up move between fields and buttons (around).
 *   - In the buttons row, y answers Yes (after the checks) and n answers
 *     No, whichever button has the focus; Left / Right switch the buttons;
 *     Enter on No answers No, and Enter on the action button does not
 *     confirm: it says to press y. A fresh dialog with no fields has the
 *     focus on No, so Enter there answers No.
 *   - An information box (one button) closes on Enter, y, n or Esc.
 *
 * Yes runs the checks — required fields, then the dialog's check
 * callback — and on a failure keeps the dialog open with the message on
 * its last line and the cursor on the field at fault. When the answer is
 * final the done callback runs once (from the key handler: it may open
 * another dialog or send an action, but never draws), then the dialog is
 * freed. The update callback runs after every edit so a body can follow
 * the fields (old → new while a quota is typed).
 *
 * Keys never draw: dialog_key and dialog_host_key change state and return
 * DIALOG_* flags; dialog_host_draw draws the top dialog once per frame.
 *
 * A dialog_host is the app's stack of open dialogs: the top one takes the
 * keys; one pushed while another is open (a host-key question arriving
 * during a drain dialog) goes on top and the one below waits.
 *
 * Ownership: dialog_new's result is the caller's until dialog_host_push,
 * then the host's (freed after its done callback, or by dialog_host_drop /
 * dialog_host_free, which do not call it). All strings passed in are
 * copied. Values returned by dialog_value point into the dialog and live
 * until the done callback returns. Secret values are wiped when freed. */
#ifndef DCOPS_DIALOG_H
#define DCOPS_DIALOG_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "theme.h"
#include "util.h"

enum dialog_kind {
	DIALOG_TEXT,        /* one line of text */
	DIALOG_SECRET,      /* text shown as '*' (a passphrase), wiped on free */
	DIALOG_NUMBER,      /* digits; with DIALOG_DECIMAL one '.' too */
	DIALOG_CHOICE,      /* one of a fixed list: Left/Right or Space cycles */
	DIALOG_TEXTAREA,    /* several lines (a handover note): Enter starts a new
	                     * line, Tab leaves; shown as its last rows, wrapped */
};

/* Field flags. */
enum { DIALOG_REQUIRED = 1, DIALOG_DECIMAL = 2 };

/* Flags from dialog_key / dialog_host_key. */
enum { DIALOG_HANDLED = 1, DIALOG_DIRTY = 2, DIALOG_CLOSED = 4 };

enum dialog_answer { DIALOG_NO, DIALOG_YES };

struct dialog;

/* The final answer. On DIALOG_YES every check passed; read the fields
 * with dialog_value / dialog_choice / dialog_number. */
typedef void (*dialog_done_fn)(void *ud, const struct dialog *d, enum dialog_answer ans);
/* Runs on Yes after the required-field checks: -1 with err (and *field
 * set to the field at fault, or -1) keeps the dialog open. */
typedef int (*dialog_check_fn)(void *ud, const struct dialog *d, int *field,
                               struct dc_err *err);
/* Runs after each edit of a field (rebuild the body here). */
typedef void (*dialog_update_fn)(void *ud, struct dialog *d);

struct dialog *dialog_new(const char *title);
void dialog_free(struct dialog *d);

/* Info body. */
void dialog_body_clear(struct dialog *d);
void dialog_body_add(struct dialog *d, enum theme_el el, const char *text);
void dialog_body_addf(struct dialog *d, enum theme_el el, const char *fmt, ...) DC_PRINTF(3, 4);

/* Fields, in order; each returns the field's index. hint is dim text shown
 * after the value while it is empty ("e.g. 4h", NULL for none). */
int dialog_add_text(struct dialog *d, const char *label, const char *initial, unsigned flags,
                    const char *hint);
int dialog_add_secret(struct dialog *d, const char *label, unsigned flags);
int dialog_add_number(struct dialog *d, const char *label, const char *initial, unsigned flags,
                      const char *hint);
int dialog_add_choice(struct dialog *d, const char *label, const char *const *choices, size_t n,
                      size_t initial);
/* A multi-line field of `rows` screen rows holding up to max_bytes. */
int dialog_add_textarea(struct dialog *d, const char *label, const char *initial, unsigned flags,
                        const char *hint, int rows, size_t max_bytes);

/* Button labels (defaults "Yes" / "No"); no_label NULL leaves one button
 * (an information box), which answers DIALOG_YES. */
void dialog_buttons(struct dialog *d, const char *yes_label, const char *no_label);
/* Yes needs `expect` typed into an extra field labelled `prompt`
 * ("Type 12 to drain 12 nodes"). */
void dialog_require_typed(struct dialog *d, const char *prompt, const char *expect);
void dialog_on_done(struct dialog *d, dialog_done_fn done, void *ud);
void dialog_on_check(struct dialog *d, dialog_check_fn check);
void dialog_on_update(struct dialog *d, dialog_update_fn update);
/* Shows an error line inside the dialog ("" clears it). */
void dialog_set_error(struct dialog *d, const char *msg);

/* Keys: a Unicode code point or KEYS_FN(KEY_*) (keys.h). */
unsigned dialog_key(struct dialog *d, int key);

/* State, for the caller and tests. */
size_t dialog_nfields(const struct dialog *d);
const char *dialog_value(const struct dialog *d, int field);     /* "" when empty */
size_t dialog_choice(const struct dialog *d, int field);
/* The number in a NUMBER field: false when empty or not a number. */
bool dialog_number(const struct dialog *d, int field, double *out);
int dialog_focus(const struct dialog *d);   /* a field index, or -1 Yes, -2 No */
const char *dialog_error(const struct dialog *d);
bool dialog_answered(const struct dialog *d);
const char *dialog_title(const struct dialog *d);
void *dialog_ud(const struct dialog *d);

/* Draws d centred in the lines x cols screen into its own window (kept in
 * the dialog), wnoutrefresh'd; places the cursor in the focused text field
 * and returns whether the cursor should show. */
bool dialog_draw(struct dialog *d, int lines, int cols);

/* ---- the host: the app's stack of open dialogs ---- */

struct dialog_host;
struct dialog_host *dialog_host_new(void);
void dialog_host_free(struct dialog_host *h);          /* no done callbacks */
void dialog_host_push(struct dialog_host *h, struct dialog *d);
bool dialog_host_active(const struct dialog_host *h);
struct dialog *dialog_host_top(const struct dialog_host *h);
/* Gives key to the top dialog; when it is answered, runs its done callback
 * and frees it. */
unsigned dialog_host_key(struct dialog_host *h, int key);
/* Closes, without calling done, every dialog whose done ud is ud (the
 * SSH session went away while its question was open); true if any. */
bool dialog_host_drop(struct dialog_host *h, const void *ud);
/* Draws the top dialog (see dialog_draw); returns whether the cursor
 * should show (false when none is open). */
bool dialog_host_draw(struct dialog_host *h, int lines, int cols);

#endif
