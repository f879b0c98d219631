/* loop.h — the one poll loop: file descriptors, timers and signals.
 *
 * Ownership: the loop owns its registrations, not the fds (callers close
 * their own fds after loop_fd_del). Callbacks run on the loop's thread,
 * never re-entrantly; a callback may add or remove any registration,
 * including its own. Signals are delivered through a self-pipe, so their
 * callbacks run as ordinary loop callbacks, not in signal context. */
#ifndef DCOPS_LOOP_H
#define DCOPS_LOOP_H

#include <stdint.h>

#define LOOP_READ  0x1
#define LOOP_WRITE 0x2
#define LOOP_ERROR 0x4 /* reported, never requested */

struct loop;
typedef void (*loop_fd_cb)(struct loop *l, int fd, unsigned events, void *ud);
typedef void (*loop_timer_cb)(struct loop *l, void *ud);
typedef void (*loop_signal_cb)(struct loop *l, int signo, void *ud);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* One registration per fd; _mod changes the events asked for. */
void loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_cb cb, void *ud);
void loop_fd_mod(struct loop *l, int fd, unsigned events);
void loop_fd_del(struct loop *l, int fd);
/* A socket that may change under its owner (libpq moves between a
 * multi-host string's servers, and reconnects): *cur is the fd registered
 * now (-1: none), fd the socket now (-1: none). A new fd replaces *cur's
 * registration; the same one has its events changed. */
void loop_fd_follow(struct loop *l, int *cur, int fd, unsigned events, loop_fd_cb cb, void *ud);

/* One-shot timer after ms milliseconds; returns an id > 0 for cancel. */
uint64_t loop_timer_add(struct loop *l, int64_t ms, loop_timer_cb cb, void *ud);
void loop_timer_cancel(struct loop *l, uint64_t id);

/* Catches signo (SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGCHLD...). */
void loop_signal_add(struct loop *l, int signo, loop_signal_cb cb, void *ud);

/* Waits at most max_wait_ms (-1: until something happens) and runs what is
 * ready. Returns the number of callbacks run, -1 on a poll error. */
int loop_run_once(struct loop *l, int max_wait_ms);
/* Runs until loop_stop is called. */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
