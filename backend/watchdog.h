/* watchdog.h — a limit on blocking database calls to a server that stops
 * answering while its host still acknowledges.
 *
 * libpq's blocking calls wait for good on such a server: a backend stuck
 * on its storage, a SIGSTOPped server, any server behind a Unix socket, a
 * lock nobody lets go. TCP keepalives and tcp_user_timeout (db.h) see
 * nothing wrong there, and libpq waits again after EINTR. Two users:
 *   dcopsd arms it for each stretch of database work (a tick, an attach)
 *     with --db-timeout. Time the stretch spends waiting on its source is
 *     not counted: between watchdog_pause and watchdog_resume (slurm_run:
 *     a Slurm command, over SSH or not, has its own deadline) the clock
 *     stops. What is counted is the database and the adapter's own work.
 *   A script command's connection (db_connect, with dc_opts.db_wait_ms
 *     from tui/cli.c's table or DCOPS_DB_TIMEOUT) is armed once, for the
 *     command's whole run.
 * Past the limit the socket is shut down from the timer's signal handler
 * (shutdown(2) is async-signal-safe): the blocked call fails (a tick rolls
 * back as on any lost connection), and db_err_result says why.
 *
 * The timer is a POSIX timer on CLOCK_MONOTONIC raising SIGRTMIN with
 * SA_RESTART, so it never touches SIGALRM (dcopsd's stop grace), and it
 * raises a signal only when the limit is reached.
 *
 * Ownership: one watchdog per process (the timer and the socket are
 * process-wide state); the socket is borrowed while armed and never
 * closed here. Until watchdog_init (the console, tests, benches) every
 * other call is a no-op and watchdog_fired is false. */
#ifndef DCOPS_WATCHDOG_H
#define DCOPS_WATCHDOG_H

#include <stdbool.h>

#include "util.h"

/* Creates the timer and installs its handler; -1 with err filled when the
 * system refuses either. knob: what sets the limit in this process
 * ("--db-timeout", "DCOPS_DB_TIMEOUT"), a static string named by
 * watchdog_knob for messages. */
int watchdog_init(const char *knob, struct dc_err *err);

/* Starts (or restarts) the clock: after limit_ms of counted time, fd is
 * shut down. Clears watchdog_fired. fd < 0 or limit_ms <= 0: disarmed. */
void watchdog_arm(int fd, int limit_ms);
void watchdog_disarm(void);

/* Whether the clock ran out since the last watchdog_arm, and the limit
 * that was armed (ms). */
bool watchdog_fired(void);
int watchdog_limit_ms(void);
const char *watchdog_knob(void);

/* The clock stops while the process waits on something with its own
 * deadline (nestable; each pause needs its resume). */
void watchdog_pause(void);
void watchdog_resume(void);

#endif
