/* watchdog.h — dcopsd's limit on a database that stops answering mid-tick.
 *
 * libpq's blocking calls wait for good on a server whose host still
 * acknowledges: a backend stuck on its storage, a SIGSTOPped server, any
 * server behind a Unix socket. TCP keepalives and tcp_user_timeout (db.h)
 * see nothing wrong there, and libpq waits again after EINTR. dcopsd arms
 * the watchdog for each stretch of database work (a tick, an attach) with
 * the connection's socket and a limit. Time the stretch spends waiting on
 * its source is not counted: between watchdog_pause and watchdog_resume
 * (slurm_run: a Slurm command, over SSH or not, has its own deadline) the
 * clock stops. What is counted is the database and the adapter's own work,
 * which together take seconds at 25,000 nodes. Past the limit the socket
 * is shut down from the timer's signal handler (shutdown(2) is
 * async-signal-safe): the blocked call fails, the tick rolls back as on
 * any lost connection, and dcopsd connects again.
 *
 * The timer is a POSIX timer on CLOCK_MONOTONIC raising SIGRTMIN with
 * SA_RESTART, so it never touches SIGALRM (dcopsd's stop grace) and a
 * signal that fires is the only one the process sees from it.
 *
 * Ownership: one watchdog per process (the timer and the socket are
 * process-wide state); the socket is borrowed while armed and never
 * closed here. Until watchdog_init (tests, benches, the console) every
 * other call is a no-op. */
#ifndef DCOPS_WATCHDOG_H
#define DCOPS_WATCHDOG_H

#include <stdbool.h>

#include "util.h"

/* Creates the timer and installs its handler; -1 with err filled when the
 * system refuses either. */
int watchdog_init(struct dc_err *err);

/* Starts (or restarts) the clock: after limit_ms of counted time, fd is
 * shut down. Clears watchdog_fired. fd < 0 or limit_ms <= 0: disarmed. */
void watchdog_arm(int fd, int limit_ms);
void watchdog_disarm(void);

/* Whether the clock ran out since the last watchdog_arm. */
bool watchdog_fired(void);

/* The clock stops while the process waits on something with its own
 * deadline (nestable; each pause needs its resume). */
void watchdog_pause(void);
void watchdog_resume(void);

#endif
