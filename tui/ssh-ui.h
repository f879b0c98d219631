/* ssh-ui.h — the console's side of SSH: the link's state for the header,
 * the host-key and passphrase dialogs, the diagnostics menu of a node and
 * the pager its output streams into.
 *
 * The app creates it before the store (ssh_ui_new returns NULL with an
 * empty err when neither --ssh nor the profile asks for SSH), starts the
 * store on ssh_ui_conninfo(), hands the store over (ssh_ui_set_store, so a
 * link that comes back makes the store retry at once), shows
 * ssh_ui_header() in the header and ssh_ui_problem() in the footer, and
 * while ssh_ui_pager_open() gives keys to ssh_ui_key and the body to
 * ssh_ui_draw. Questions (an unknown host key, a passphrase) are pushed on
 * the app's dialog host as they arrive; their default is No. Nothing here
 * draws from a callback: changes call the app's dirty function.
 *
 * Diagnostics: only the config's diagnostics table (or the built-in one)
 * is offered, by name; a node name is validated before anything is sent;
 * viewers are not offered the menu (reading diagnostics is an operator
 * privilege, sql/020_diag_audit.sql). Each run is recorded in the audit
 * when it ends (who, node, diagnostic, exit status, bytes).
 *
 * Ownership: struct ssh_ui owns its link, its pager, its run and its
 * audit call; it borrows the loop, the dialog host and the store, which
 * must outlive it (free it first). */
#ifndef DCOPS_SSH_UI_H
#define DCOPS_SSH_UI_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "dialog.h"
#include "loop.h"
#include "opts.h"
#include "pager.h"
#include "theme.h"
#include "util.h"

struct store;
struct ssh_ui;

struct ssh_ui *ssh_ui_new(struct loop *l, struct dialog_host *dh, const struct dc_opts *o,
			  const struct config *cfg, const char *conninfo, void (*dirty)(void *ud), void *ud,
			  struct dc_err *err);
void ssh_ui_free(struct ssh_ui *ui);
void ssh_ui_start(struct ssh_ui *ui);
const char *ssh_ui_conninfo(const struct ssh_ui *ui);
void ssh_ui_set_store(struct ssh_ui *ui, struct store *s);

/* Write actions are allowed (true when ui is NULL: no SSH in the way). */
bool ssh_ui_writable(const struct ssh_ui *ui);
/* "UP", "DOWN", "CONNECTING", "needs host key", ... and its element. */
const char *ssh_ui_header(const struct ssh_ui *ui, enum theme_el *el);
/* Where the tunnel goes, for :db: "SSH USER@HOST:PORT to DB", DB as the
 * bastion sees it (dc_opts.route says the same for script commands). */
void ssh_ui_route(const struct ssh_ui *ui, char *buf, size_t n);
/* One line for the footer while something is wrong (a refused host key,
 * a forward outside PermitOpen, why the link is down); NULL when fine. */
const char *ssh_ui_problem(const struct ssh_ui *ui);

/* Opens the diagnostics menu for node; -1 with err when it cannot (no
 * SSH, a viewer, a refused name). role: the store's ("viewer", ...). */
int ssh_ui_diag_menu(struct ssh_ui *ui, const char *node, const char *role, struct dc_err *err);
bool ssh_ui_pager_open(const struct ssh_ui *ui);
/* Pager keys (PAGER_* flags of pager.h); closing it cancels a run. */
unsigned ssh_ui_key(struct ssh_ui *ui, int key);
/* Draws the pager into w; returns whether the cursor shows. */
bool ssh_ui_draw(struct ssh_ui *ui, WINDOW *w);

#endif
