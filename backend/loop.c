/* loop.c — poll(2) loop: fd registrations, a timer min-heap, signals
 * through a self-pipe. See loop.h for the contract.
 *
 * Re-entrancy: callbacks may add or remove anything. fd dispatch works from
 * a snapshot of the pollfd array and re-checks each registration by serial
 * before calling it; expired timers are moved to a batch first, and a
 * cancel during dispatch also strikes them from the batch. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct fd_reg {
	int fd;
	unsigned events;
	uint64_t serial;
	loop_fd_cb cb;
	void *ud;
};

struct timer {
	int64_t due_ms;
	uint64_t id;
	loop_timer_cb cb;
	void *ud;
};

struct sig_reg {
	int signo;
	loop_signal_cb cb;
	void *ud;
	struct sigaction old;
};

struct loop {
	struct fd_reg *fds;
	size_t nfds, capfds;
	uint64_t next_serial;

	struct timer *heap;
	size_t nheap, capheap;
	struct timer *batch; /* expired timers being dispatched; id 0 = cancelled */
	size_t nbatch, capbatch;
	uint64_t next_timer_id;

	struct sig_reg *sigs;
	size_t nsigs, capsigs;
	int sigpipe[2];

	struct pollfd *pfds;
	uint64_t *pserial;
	size_t cappfds, cappserial;

	bool stop;
};

/* The handler only knows the write end; one loop owns signals per process. */
static volatile sig_atomic_t sig_write_fd = -1;

static void sig_handler(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;
	if (sig_write_fd >= 0 && write(sig_write_fd, &b, 1) < 0) {
		/* pipe full: the signal is already pending as a byte */
	}
	errno = saved;
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);
	l->sigpipe[0] = l->sigpipe[1] = -1;
	l->next_serial = 1;
	l->next_timer_id = 1;
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nsigs; i++)
		sigaction(l->sigs[i].signo, &l->sigs[i].old, NULL);
	if (l->sigpipe[1] >= 0) {
		sig_write_fd = -1;
		close(l->sigpipe[0]);
		close(l->sigpipe[1]);
	}
	free(l->fds);
	free(l->heap);
	free(l->batch);
	free(l->sigs);
	free(l->pfds);
	free(l->pserial);
	free(l);
}

/* ---- fds ---- */

static struct fd_reg *fd_find(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd)
			return &l->fds[i];
	return NULL;
}

void loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_cb cb, void *ud)
{
	struct fd_reg *r = fd_find(l, fd);
	if (!r) {
		l->fds = xgrow(l->fds, &l->capfds, l->nfds + 1, sizeof *l->fds);
		r = &l->fds[l->nfds++];
	}
	*r = (struct fd_reg){ .fd = fd, .events = events, .serial = l->next_serial++, .cb = cb, .ud = ud };
}

void loop_fd_follow(struct loop *l, int *cur, int fd, unsigned events, loop_fd_cb cb, void *ud)
{
	if (fd != *cur) {
		if (*cur >= 0)
			loop_fd_del(l, *cur);
		*cur = fd;
		if (fd >= 0)
			loop_fd_add(l, fd, events, cb, ud);
		return;
	}
	if (fd >= 0)
		loop_fd_mod(l, fd, events);
}

void loop_fd_mod(struct loop *l, int fd, unsigned events)
{
	struct fd_reg *r = fd_find(l, fd);
	if (r)
		r->events = events;
}

void loop_fd_del(struct loop *l, int fd)
{
	struct fd_reg *r = fd_find(l, fd);
	if (!r)
		return;
	*r = l->fds[--l->nfds];
}

/* ---- timers: binary min-heap ordered by (due, id) ---- */

static bool timer_before(const struct timer *a, const struct timer *b)
{
	return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->id < b->id);
}

static void heap_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!timer_before(&l->heap[i], &l->heap[p]))
			return;
		struct timer t = l->heap[i];
		l->heap[i] = l->heap[p];
		l->heap[p] = t;
		i = p;
	}
}

static void heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;
		if (c < l->nheap && timer_before(&l->heap[c], &l->heap[m]))
			m = c;
		if (c + 1 < l->nheap && timer_before(&l->heap[c + 1], &l->heap[m]))
			m = c + 1;
		if (m == i)
			return;
		struct timer t = l->heap[i];
		l->heap[i] = l->heap[m];
		l->heap[m] = t;
		i = m;
	}
}

static void heap_remove(struct loop *l, size_t i)
{
	l->heap[i] = l->heap[--l->nheap];
	if (i < l->nheap) {
		heap_up(l, i);
		heap_down(l, i);
	}
}

uint64_t loop_timer_add(struct loop *l, int64_t ms, loop_timer_cb cb, void *ud)
{
	l->heap = xgrow(l->heap, &l->capheap, l->nheap + 1, sizeof *l->heap);
	uint64_t id = l->next_timer_id++;
	l->heap[l->nheap] = (struct timer){ .due_ms = dc_mono_ms() + (ms > 0 ? ms : 0),
		.id = id, .cb = cb, .ud = ud };
	heap_up(l, l->nheap++);
	return id;
}

void loop_timer_cancel(struct loop *l, uint64_t id)
{
	if (id == 0)
		return;
	for (size_t i = 0; i < l->nheap; i++) {
		if (l->heap[i].id == id) {
			heap_remove(l, i);
			return;
		}
	}
	for (size_t i = 0; i < l->nbatch; i++)
		if (l->batch[i].id == id)
			l->batch[i].id = 0;
}

static int timers_run(struct loop *l)
{
	int64_t now = dc_mono_ms();
	l->nbatch = 0;
	while (l->nheap > 0 && l->heap[0].due_ms <= now) {
		l->batch = xgrow(l->batch, &l->capbatch, l->nbatch + 1, sizeof *l->batch);
		l->batch[l->nbatch++] = l->heap[0];
		heap_remove(l, 0);
	}
	int ran = 0;
	for (size_t i = 0; i < l->nbatch; i++) {
		struct timer t = l->batch[i];
		if (t.id == 0)
			continue;
		l->batch[i].id = 0;
		t.cb(l, t.ud);
		ran++;
	}
	l->nbatch = 0;
	return ran;
}

/* ---- signals ---- */

static void sigpipe_read(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)events;
	(void)ud;
	unsigned char buf[64];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			for (size_t j = 0; j < l->nsigs; j++) {
				if (l->sigs[j].signo == buf[i]) {
					l->sigs[j].cb(l, buf[i], l->sigs[j].ud);
					break;
				}
			}
		}
	}
}

static void sigpipe_open(struct loop *l)
{
	if (l->sigpipe[0] >= 0)
		return;
	if (pipe(l->sigpipe) < 0 || set_nonblock_cloexec(l->sigpipe[0]) < 0 ||
	    set_nonblock_cloexec(l->sigpipe[1]) < 0) {
		/* Without a pipe signals cannot be delivered safely: treat like OOM. */
		abort();
	}
	sig_write_fd = l->sigpipe[1];
	loop_fd_add(l, l->sigpipe[0], LOOP_READ, sigpipe_read, NULL);
}

void loop_signal_add(struct loop *l, int signo, loop_signal_cb cb, void *ud)
{
	sigpipe_open(l);
	for (size_t i = 0; i < l->nsigs; i++) {
		if (l->sigs[i].signo == signo) {
			l->sigs[i].cb = cb;
			l->sigs[i].ud = ud;
			return;
		}
	}
	l->sigs = xgrow(l->sigs, &l->capsigs, l->nsigs + 1, sizeof *l->sigs);
	struct sig_reg *r = &l->sigs[l->nsigs++];
	*r = (struct sig_reg){ .signo = signo, .cb = cb, .ud = ud };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(signo, &sa, &r->old);
}

/* ---- running ---- */

static int poll_timeout(struct loop *l, int max_wait_ms)
{
	if (l->nheap == 0)
		return max_wait_ms;
	int64_t d = l->heap[0].due_ms - dc_mono_ms();
	if (d < 0)
		d = 0;
	if (max_wait_ms >= 0 && d > max_wait_ms)
		return max_wait_ms;
	return d > 24 * 3600 * 1000 ? 24 * 3600 * 1000 : (int)d;
}

static unsigned revents_to_loop(short re, unsigned asked)
{
	unsigned ev = 0;
	if (re & POLLIN)
		ev |= LOOP_READ;
	if (re & POLLOUT)
		ev |= LOOP_WRITE;
	if (re & (POLLERR | POLLHUP | POLLNVAL)) {
		ev |= LOOP_ERROR;
		/* a reader learns about EOF by reading */
		ev |= asked & LOOP_READ;
	}
	return ev;
}

int loop_run_once(struct loop *l, int max_wait_ms)
{
	size_t n = l->nfds;
	l->pfds = xgrow(l->pfds, &l->cappfds, n + 1, sizeof *l->pfds);
	l->pserial = xgrow(l->pserial, &l->cappserial, n + 1, sizeof *l->pserial);
	for (size_t i = 0; i < n; i++) {
		l->pfds[i] = (struct pollfd){ .fd = l->fds[i].fd,
			.events = (short)(((l->fds[i].events & LOOP_READ) ? POLLIN : 0) |
			                  ((l->fds[i].events & LOOP_WRITE) ? POLLOUT : 0)) };
		l->pserial[i] = l->fds[i].serial;
	}
	int rc = poll(l->pfds, (nfds_t)n, poll_timeout(l, max_wait_ms));
	if (rc < 0 && errno != EINTR)
		return -1;
	int ran = 0;
	for (size_t i = 0; rc > 0 && i < n; i++) {
		if (!l->pfds[i].revents)
			continue;
		struct fd_reg *r = fd_find(l, l->pfds[i].fd);
		if (!r || r->serial != l->pserial[i])
			continue; /* removed or replaced by an earlier callback */
		unsigned ev = revents_to_loop(l->pfds[i].revents, r->events);
		if (!ev)
			continue;
		r->cb(l, r->fd, ev, r->ud);
		ran++;
	}
	return ran + timers_run(l);
}

void loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop)
		if (loop_run_once(l, -1) < 0)
			return;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
