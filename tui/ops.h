/* ops.h — operator actions in the console: the dialogs that gather and
 * confirm them, and their sending through the writer (backend/writer.h).
 *
 * ops_start opens the dialog of a write action (drain, resume, quota,
 * incident.*) for a view's target: the dialog shows what the operator is
 * about to change (blast radius, old → new), takes the reason and the
 * options, and confirms with No as the default. On Yes the call is sent
 * with the versions the operator saw when the dialog opened (node
 * admin_version, quota limits_version, incident op_version) and a fresh
 * idempotency key. Outcomes come back as one-line messages through the
 * msg callback: "drain of gpu-a01 requested (action #12): pending", or
 * the server's refusal. Requested drain/resume/quota actions are then
 * followed in the model's dcops.actions rows until applied or failed.
 *
 * Ownership: ops_new borrows the model, the dialog host and the writer
 * for its life (free the writer first: it drops a call in flight without
 * calling back). The view_target passed to ops_start stays the caller's. */
#ifndef DCOPS_OPS_H
#define DCOPS_OPS_H

#include <stdbool.h>

#include "dialog.h"
#include "keys.h"
#include "model.h"
#include "view.h"
#include "writer.h"

typedef void (*ops_msg_fn)(void *ud, bool err, const char *msg);

struct ops;
struct ops *ops_new(const struct dc_model *m, struct dialog_host *h, struct writer *w,
                    ops_msg_fn msg, void *ud);
void ops_free(struct ops *o);
/* Opens the dialog of write action a for t; -1 with err when it cannot
 * (nothing selected, nothing to change). */
int ops_start(struct ops *o, enum key_action a, const struct view_target *t, int64_t now,
              struct dc_err *err);
/* After the store applied changes: reports followed actions that were
 * applied or failed. */
void ops_on_change(struct ops *o, unsigned mask);
/* The operator's database user ("you become the owner") and role
 * (admins and superusers may override the drain guard rail). */
void ops_set_user(struct ops *o, const char *user, const char *role);
/* With several sites: the site every dialog title and outcome names. */
void ops_set_site(struct ops *o, const char *site);

#endif
