/* script.h — what the global options mean for a script command (`dcops
 * status`, `dcops drain ...`): the same profile, bastion and host-key rules
 * as the console, applied before the command touches the database.
 *
 *   - the profile (--profile NAME, else the config's default_profile):
 *     --db over its "db"; "readonly" (not production) makes the command
 *     read-only; a production profile is read-only unless --write arms
 *     writes for this one command, as W does in the console.
 *   - --ssh or the profile's "ssh" host: the bastion is connected first
 *     (link.h: known_hosts checked, an unknown key refused unless
 *     --ssh-accept-new, a changed or revoked one always refused, nothing
 *     prompted), and the command's database connections go through its
 *     tunnel. A script cannot answer a question, so a question (an
 *     unknown host key, a passphrase) is a refusal naming what to do.
 *
 * The tunnel is pumped by a thread of its own that runs the loop while
 * the command's synchronous libpq calls block on the main thread; the
 * loop, the link and libssh are touched only by that thread between
 * script_open's return and script_close.
 *
 * Ownership: script_open copies o; script_opts points into the script and
 * lives until script_close, which ends the thread, closes the tunnel
 * (removing its directory) and disconnects. */
#ifndef DCOPS_SCRIPT_H
#define DCOPS_SCRIPT_H

#include "opts.h"
#include "util.h"

struct script;

/* o->cfg must be set (main reads the config). NULL with err (one line, no
 * "dcops:" prefix) when the bastion cannot be reached or refused. */
struct script *script_open(const struct dc_opts *o, struct dc_err *err);
const struct dc_opts *script_opts(const struct script *s);
void script_close(struct script *s);

#endif
