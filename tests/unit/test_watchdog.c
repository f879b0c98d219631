/* test_watchdog — the clock on blocking database calls (watchdog.h): a
 * read that blocks on a socket nobody writes to ends when the clock runs
 * out, the clock stops while paused, and a disarmed or re-armed clock
 * never cuts a socket short. A socketpair stands in for the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"
#include "util.h"

static int pair[2];

static int setup(void **state)
{
	(void)state;
	struct dc_err err = {0};
	assert_int_equal(watchdog_init("test", &err), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	watchdog_disarm();
	close(pair[0]);
	close(pair[1]);
	return 0;
}

/* Sleeps ms in full, whatever signal comes (nanosleep resumes from rem). */
static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) < 0)
		;
}

/* A blocking read on the socket: what libpq does while the server hangs.
 * Returns the ms it took; *got what recv returned. */
static int64_t blocked_read(ssize_t *got)
{
	char c;
	int64_t t0 = dc_mono_ms();
	*got = recv(pair[0], &c, 1, 0);
	return dc_mono_ms() - t0;
}

static void test_expiry_ends_a_blocked_read(void **state)
{
	(void)state;
	watchdog_arm(pair[0], 150);
	ssize_t got;
	int64_t ms = blocked_read(&got);
	assert_int_equal(got, 0); /* shut down: end of file, not data */
	assert_true(watchdog_fired());
	assert_in_range(ms, 140, 2000);
}

static void test_disarmed_in_time_never_fires(void **state)
{
	(void)state;
	watchdog_arm(pair[0], 400);
	sleep_ms(30);
	watchdog_disarm();
	sleep_ms(500);
	assert_false(watchdog_fired());
	/* the socket still carries data both ways */
	assert_int_equal(write(pair[1], "x", 1), 1);
	ssize_t got;
	blocked_read(&got);
	assert_int_equal(got, 1);
}

static void test_rearm_restarts_the_clock(void **state)
{
	(void)state;
	watchdog_arm(pair[0], 400);
	for (int i = 0; i < 5; i++) { /* 5 x 100 ms, each well under the limit */
		sleep_ms(100);
		watchdog_arm(pair[0], 400);
	}
	assert_false(watchdog_fired());
	watchdog_disarm();
}

/* A Slurm command's wait (paused) is not the database's: 300 ms paused
 * under a 150 ms limit, then the clock goes on from where it stopped. */
static void test_paused_time_is_not_counted(void **state)
{
	(void)state;
	watchdog_arm(pair[0], 150);
	sleep_ms(50);
	watchdog_pause();
	watchdog_pause(); /* nested: the inner resume does not restart it */
	sleep_ms(150);
	watchdog_resume();
	sleep_ms(150);
	assert_false(watchdog_fired());
	watchdog_resume();
	ssize_t got;
	int64_t ms = blocked_read(&got);
	assert_int_equal(got, 0);
	assert_true(watchdog_fired());
	assert_in_range(ms, 80, 2000); /* ~100 ms were left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expiry_ends_a_blocked_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disarmed_in_time_never_fires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_restarts_the_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paused_time_is_not_counted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
