/* app.h — the console: owns the screen, the loop and the views.
 *
 * Ownership: app_run borrows opts for its whole run and returns the process
 * exit status; it restores the terminal (endwin) on every exit path. */
#ifndef DCOPS_APP_H
#define DCOPS_APP_H

#include "opts.h"

int app_run(const struct dc_opts *o);

#endif
