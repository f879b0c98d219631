/* demo.h — the embedded Gwangju data center (`dcops demo`), kept under
 * <dc_vardir()>:
 *   pg/                 the private PostgreSQL cluster (pgcluster.h)
 *   run/                its Unix socket (db_demo_sockdir()) and dcopsd.pid
 *   log/server.log      PostgreSQL's log
 *   log/dcopsd.log      the simulator's log
 *   demo.lock           serialises concurrent starts and stops
 * Database "dcops" on that socket, migrated and seeded, with the setting
 * environment = 'demo'; `dcopsd --adapter sim` writes to it in the
 * background. Nothing outside <dc_vardir()> is touched.
 *
 * Ownership: struct demo_state is caller-owned plain data. demo_start and
 * demo_stop leave nothing allocated; the processes they start outlive the
 * caller on purpose and are stopped by demo_stop. */
#ifndef DCOPS_DEMO_H
#define DCOPS_DEMO_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

struct demo_state {
	bool cluster;      /* an initialised cluster exists */
	pid_t postgres;    /* the running postmaster, or 0 */
	pid_t dcopsd;      /* the running simulator, or 0 */
};

/* Creates or reuses everything, starting only what is not running; stale
 * pid files and sockets from a crash are cleaned up. Progress lines go to
 * stderr unless quiet. Returns 0 or -1 with err naming what failed. */
int demo_start(bool quiet, struct demo_state *st, struct dc_err *err);
/* Stops dcopsd (SIGTERM, then SIGKILL) and the cluster; removes pid files.
 * Safe when nothing runs. */
int demo_stop(bool quiet, struct dc_err *err);
/* What runs now; starts and changes nothing. */
void demo_query(struct demo_state *st);

#endif
