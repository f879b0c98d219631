/* watchdog.c — see watchdog.h. */
#include "watchdog.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static bool ready;
static const char *knob_name = "";
static timer_t timer;
static volatile sig_atomic_t armed_fd = -1; /* the socket shut down on expiry */
static volatile sig_atomic_t fired;
static int limit;                           /* ms, as armed */
static int paused;                          /* watchdog_pause depth */
static struct timespec left;                /* counted time left while paused */

static void on_expiry(int sig)
{
	(void)sig;
	int fd = armed_fd;
	if (fd >= 0) {
		shutdown(fd, SHUT_RDWR);
		fired = 1;
	}
}

int watchdog_init(const char *knob, struct dc_err *err)
{
	knob_name = knob;
	if (ready)
		return 0;
	struct sigaction sa = { .sa_handler = on_expiry, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	if (sigaction(SIGRTMIN, &sa, NULL) < 0 || timer_create(CLOCK_MONOTONIC, &ev, &timer) < 0) {
		dc_err_set(err, "watchdog: cannot set up its timer: %s", strerror(errno));
		return -1;
	}
	ready = true;
	return 0;
}

static void set_timer(struct timespec t)
{
	struct itimerspec it = { .it_value = t };
	timer_settime(timer, 0, &it, NULL);
}

static struct timespec ms_ts(int ms)
{
	return (struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
}

void watchdog_arm(int fd, int ms)
{
	if (!ready)
		return;
	/* the old clock's signal, if it ran out just now, is delivered by the
	 * time timer_settime returns: with no socket armed it does nothing */
	armed_fd = -1;
	set_timer((struct timespec){ 0 });
	fired = 0;
	limit = ms;
	armed_fd = fd >= 0 && ms > 0 ? fd : -1;
	if (armed_fd < 0)
		return;
	if (paused)
		left = ms_ts(ms);
	else
		set_timer(ms_ts(ms));
}

void watchdog_disarm(void)
{
	watchdog_arm(-1, 0);
}

bool watchdog_fired(void)
{
	return fired;
}

int watchdog_limit_ms(void)
{
	return limit;
}

const char *watchdog_knob(void)
{
	return knob_name;
}

void watchdog_pause(void)
{
	if (!ready || paused++ > 0 || armed_fd < 0)
		return;
	struct itimerspec now;
	timer_gettime(timer, &now);
	set_timer((struct timespec){ 0 });
	/* 0: it expired before the pause, and its signal shuts the socket */
	left = now.it_value;
}

void watchdog_resume(void)
{
	if (!ready || paused == 0 || --paused > 0 || armed_fd < 0 || fired)
		return;
	if (left.tv_sec || left.tv_nsec)
		set_timer(left);
}
