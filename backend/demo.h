/* demo.h — the embedded Gwangju data center (`dcops demo`), kept under
 * <dc_vardir()> (mode 0700; 0711 for root, whose server runs as another
 * user that must pass through):
 *   pg/                 the private PostgreSQL cluster (pgcluster.h)
 *   run/                its Unix socket (db_demo_sockdir())
 *   log/server.log      PostgreSQL's log   (log/ 0700, logs 0600)
 *   log/dcopsd.log      the simulator's log
 *   dcopsd.pid          the simulator's pid
 *   log/dcopsd-pangyo.log, dcopsd-pangyo.pid   with --sites 2: the second
 *                       site's simulator, on database "dcops_pangyo"
 *   demo.lock           serialises concurrent starts and stops
 * pg/ and run/ belong to the server's user; everything else is the
 * caller's, so root never writes in a directory that user can write.
 * Database "dcops" on that socket, migrated and seeded, with the setting
 * environment = 'demo'; `dcopsd --adapter sim` writes to it in the
 * background. Nothing outside <dc_vardir()> is touched, except that root
 * whose <dc_vardir_local()> the server's user cannot reach (a tree under
 * /root) first moves the demo to /var/lib/dcops/demo-<hash>, recorded in
 * <dc_vardir_local()>/location (util.h).
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
	pid_t sites[2];    /* each demo site's simulator (sites[0] is dcopsd), or 0 */
};

/* Creates or reuses everything, starting only what is not running; stale
 * pid files and sockets from a crash are cleaned up. Progress lines go to
 * stderr unless quiet. Returns 0 or -1 with err naming what failed. */
int demo_start(bool quiet, int sites, struct demo_state *st, struct dc_err *err);
/* Stops dcopsd (SIGTERM, then SIGKILL) and the cluster; removes pid files.
 * Safe when nothing runs. */
int demo_stop(bool quiet, struct dc_err *err);
/* What runs now; starts and changes nothing. */
void demo_query(struct demo_state *st);

#endif
