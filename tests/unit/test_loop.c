/* test_loop — timers, fd readiness and signals through the self-pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

struct rec {
	int order[16];
	int n;
	uint64_t cancel_id;
	struct loop *l;
};

struct tag {
	struct rec *r;
	int v;
};

static void on_timer(struct loop *l, void *ud)
{
	(void)l;
	struct tag *t = ud;
	t->r->order[t->r->n++] = t->v;
}

static void on_timer_cancel(struct loop *l, void *ud)
{
	struct tag *t = ud;
	t->r->order[t->r->n++] = t->v;
	loop_timer_cancel(l, t->r->cancel_id);
}

static void test_timer_order(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct rec r = { 0 };
	struct tag t[5] = { { &r, 30 }, { &r, 10 }, { &r, 20 }, { &r, 11 }, { &r, 99 } };
	loop_timer_add(l, 30, on_timer, &t[0]);
	loop_timer_add(l, 10, on_timer, &t[1]);
	loop_timer_add(l, 20, on_timer, &t[2]);
	loop_timer_add(l, 10, on_timer, &t[3]); /* same due time: in order added */
	uint64_t gone = loop_timer_add(l, 15, on_timer, &t[4]);
	assert_true(gone > 0);
	loop_timer_cancel(l, gone);
	int64_t t0 = dc_mono_ms();
	while (r.n < 4 && dc_mono_ms() - t0 < 1000)
		loop_run_once(l, 100);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.order[0], 10);
	assert_int_equal(r.order[1], 11);
	assert_int_equal(r.order[2], 20);
	assert_int_equal(r.order[3], 30);
	assert_true(dc_mono_ms() - t0 >= 30);
	loop_free(l);
}

/* A timer cancelling another one that is due in the same turn. */
static void test_timer_cancel_in_dispatch(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct rec r = { 0 };
	struct tag a = { &r, 1 }, b = { &r, 2 };
	loop_timer_add(l, 0, on_timer_cancel, &a);
	r.cancel_id = loop_timer_add(l, 0, on_timer, &b);
	usleep(2000);
	assert_int_equal(loop_run_once(l, 0), 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	loop_free(l);
}

struct pipe_ctx {
	int reads;
	char last;
	int other_fd;
	bool eof;
};

static void on_read(struct loop *l, int fd, unsigned ev, void *ud)
{
	struct pipe_ctx *c = ud;
	assert_true(ev & LOOP_READ);
	if (read(fd, &c->last, 1) == 1)
		c->reads++;
	else
		c->eof = (ev & LOOP_ERROR) != 0;
	/* removing another registration mid-dispatch must be safe */
	if (c->other_fd >= 0)
		loop_fd_del(l, c->other_fd);
}

static void on_never(struct loop *l, int fd, unsigned ev, void *ud)
{
	(void)l;
	(void)fd;
	(void)ev;
	(void)ud;
	fail_msg("a removed fd was dispatched");
}

static void test_fd_ready(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2], q[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	struct pipe_ctx c = { 0, 0, q[0], false };
	loop_fd_add(l, p[0], LOOP_READ, on_read, &c);
	loop_fd_add(l, q[0], LOOP_READ, on_never, NULL);
	assert_int_equal(loop_run_once(l, 10), 0); /* nothing ready: timeout */
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "y", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(c.reads, 1);
	assert_int_equal(c.last, 'x');

	/* write readiness, then mod back to read only */
	c.other_fd = -1;
	loop_fd_mod(l, p[0], 0);
	assert_int_equal(write(p[1], "z", 1), 1);
	assert_int_equal(loop_run_once(l, 10), 0);
	loop_fd_mod(l, p[0], LOOP_READ);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(c.last, 'z');

	/* EOF shows up as readable plus an error flag */
	close(p[1]);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_true(c.eof);
	loop_fd_del(l, p[0]);
	close(p[0]);
	close(q[0]);
	close(q[1]);
	loop_free(l);
}

static void on_signal(struct loop *l, int signo, void *ud)
{
	int *got = ud;
	*got = signo;
	loop_stop(l);
}

static void on_stop_timer(struct loop *l, void *ud)
{
	(void)l;
	(void)ud;
	raise(SIGUSR1);
}

static void test_signal(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int got = 0;
	loop_signal_add(l, SIGUSR1, on_signal, &got);
	loop_timer_add(l, 5, on_stop_timer, NULL);
	loop_run(l); /* the signal's callback stops it */
	assert_int_equal(got, SIGUSR1);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_cancel_in_dispatch),
		cmocka_unit_test(test_fd_ready),
		cmocka_unit_test(test_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
