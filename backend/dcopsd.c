/* dcopsd — the adapter daemon: moves the data center's state into the
 * dcops schema and applies the operators' queued actions. Adapter "sim"
 * is the embedded data center (backend/sim). One transaction per tick;
 * survives the database going away (reconnect with backoff, reload). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter/adapter-status.h"
#include "db.h"
#include "sim/sim.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define SUMMARY_EVERY_MS 60000

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct run_opts {
	const char *adapter, *db, *log_path, *pidfile;
	struct sim_opts sim;
	long ticks;          /* 0: run until signalled */
	bool verbose, stats;
};

/* The first tick (model load, warm start of an empty fleet) is reported
 * on its own and left out of the rates and percentiles. */
struct totals {
	double first_ms;
	long ticks, rows, job_events, faults, actions, incidents, failures;
	double *ms;
	size_t nms, cap;
	int64_t t0;
	struct sim_tick_stats last;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dcopsd --adapter sim [--db CONNINFO] [--speed N] [--tick-ms MS] [--seed N]\n"
	           "              [--ticks N] [--fault-x X] [--log FILE] [--pidfile FILE] [--verbose] [--stats]\n");
}

static int parse_num(const char *opt, const char *v, double lo, double hi, double *out)
{
	char *end;
	double d = strtod(v, &end);
	if (*end || !*v || d < lo || d > hi) {
		fprintf(stderr, "dcopsd: %s wants a number in [%g, %g], not '%s'\n", opt, lo, hi, v);
		return -1;
	}
	*out = d;
	return 0;
}

static int parse_args(int argc, char **argv, struct run_opts *ro)
{
	static const struct option longopts[] = {
		{ "adapter", required_argument, NULL, 'a' }, { "db", required_argument, NULL, 'd' },
		{ "speed", required_argument, NULL, 's' }, { "tick-ms", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'S' }, { "ticks", required_argument, NULL, 'n' },
		{ "fault-x", required_argument, NULL, 'f' }, { "log", required_argument, NULL, 'l' },
		{ "pidfile", required_argument, NULL, 'p' }, { "verbose", no_argument, NULL, 'v' },
		{ "stats", no_argument, NULL, 'x' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	int ch;
	double d;
	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': ro->adapter = optarg; break;
		case 'd': ro->db = optarg; break;
		case 'l': ro->log_path = optarg; break;
		case 'p': ro->pidfile = optarg; break;
		case 'v': ro->verbose = true; break;
		case 'x': ro->stats = true; break;
		case 's':
			if (parse_num("--speed", optarg, 0.001, 1e6, &ro->sim.speed) < 0)
				return 2;
			break;
		case 't':
			if (parse_num("--tick-ms", optarg, 1, 3600000, &d) < 0)
				return 2;
			ro->sim.tick_ms = (int)d;
			break;
		case 'S':
			if (parse_num("--seed", optarg, 1, 9007199254740992.0, &d) < 0)
				return 2;
			ro->sim.seed = (uint64_t)d;
			break;
		case 'n':
			if (parse_num("--ticks", optarg, 1, 1e12, &d) < 0)
				return 2;
			ro->ticks = (long)d;
			break;
		case 'f':
			if (parse_num("--fault-x", optarg, 0.001, 1e6, &ro->sim.fault_x) < 0)
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || !ro->adapter) {
		usage(stderr);
		return 2;
	}
	if (strcmp(ro->adapter, "sim") != 0) {
		fprintf(stderr, "dcopsd: adapter '%s' is not available (this build has: sim)\n", ro->adapter);
		return 2;
	}
	return -1;
}

static void sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(struct totals *t, double p)
{
	if (t->nms == 0)
		return 0;
	qsort(t->ms, t->nms, sizeof *t->ms, cmp_double);
	size_t i = (size_t)(p * (double)(t->nms - 1) + 0.5);
	return t->ms[i];
}

static void summary(FILE *f, struct totals *t)
{
	double secs = (double)(dc_mono_us() - t->t0) / 1e6;
	if (secs <= 0)
		secs = 1e-6;
	fprintf(f, "dcopsd: first tick %.0f ms; then %ld ticks in %.1f s (%.1f ticks/s); %ld rows (%.0f/s); "
	           "%ld job events (%.0f/s); %ld faults, %ld incidents, %ld actions; tick p50 %.1f ms "
	           "p99 %.1f ms; running %d pending %d; %ld failed ticks\n",
	        t->first_ms, t->ticks, secs, t->ticks / secs, t->rows, t->rows / secs, t->job_events,
	        t->job_events / secs, t->faults, t->incidents, t->actions, pct(t, 0.50), pct(t, 0.99),
	        t->last.running, t->last.pending, t->failures);
	fflush(f);
}

static void account(struct totals *t, const struct sim_tick_stats *st, double ms)
{
	t->last = *st;
	if (t->first_ms == 0) {
		t->first_ms = ms > 0 ? ms : 1e-3;
		t->t0 = dc_mono_us();
		return;
	}
	t->ticks++;
	t->rows += st->rows;
	t->job_events += st->arrivals + st->starts + st->ends;
	t->faults += st->faults;
	t->actions += st->actions;
	t->incidents += st->incidents;
	t->ms = xgrow(t->ms, &t->cap, t->nms + 1, sizeof *t->ms);
	t->ms[t->nms++] = ms;
}

/* Connects and loads the model; NULL (logged) when either fails. */
static PGconn *attach(struct sim *s, const struct dc_opts *o, FILE *log)
{
	struct dc_err err = {0};
	PGconn *c = db_connect(o, "dcopsd", &err);
	if (c && sim_load(s, c, &err) == 0)
		return c;
	fprintf(log, "dcopsd: %s\n", err.msg);
	fflush(log);
	if (c)
		PQfinish(c);
	return NULL;
}

static int run(const struct run_opts *ro, FILE *log)
{
	struct dc_opts o = { .db = ro->db, .quiet = !ro->verbose };
	struct sim_opts so = ro->sim;
	so.log = log;
	struct sim *s = sim_new(&so);
	struct totals t = { .t0 = dc_mono_us() };
	PGconn *c = NULL;
	int backoff = BACKOFF_MIN_MS;
	int64_t next = dc_mono_ms(), next_summary = next + SUMMARY_EVERY_MS, next_report = next;
	bool reload = false;
	long done = 0;
	while (!stop_flag && (ro->ticks == 0 || done < ro->ticks)) {
		if (!c || reload) {
			if (c)
				PQfinish(c);
			c = attach(s, &o, log);
			reload = false;
			if (!c) {
				sleep_ms(backoff);
				backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			backoff = BACKOFF_MIN_MS;
			fprintf(log, "dcopsd: attached (sim, speed %g, tick %d ms)\n", so.speed, so.tick_ms);
			fflush(log);
		}
		struct sim_tick_stats st;
		struct dc_err err = {0};
		int64_t t0 = dc_mono_us();
		if (sim_tick(s, c, &st, &err) < 0) {
			t.failures++;
			fprintf(log, "dcopsd: tick failed, rolled back: %s\n", err.msg);
			fflush(log);
			/* the model may be ahead of the database: reload it */
			reload = true;
			if (PQstatus(c) != CONNECTION_OK) {
				PQfinish(c);
				c = NULL;
			}
			sleep_ms(backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		double ms = (double)(dc_mono_us() - t0) / 1000.0;
		account(&t, &st, ms);
		done++;
		if (ro->verbose)
			printf("tick %ld: %.1f ms, %ld rows, +%d jobs, %d started, %d ended, %d faults, "
			       "%d actions; running %d pending %d\n", done, ms, st.rows, st.arrivals,
			       st.starts, st.ends, st.faults, st.actions, st.running, st.pending);
		int64_t now = dc_mono_ms();
		if (now >= next_report) {
			/* a failed heartbeat is the next tick's problem: it fails too */
			if (adapter_report(c, "sim", ADAPTER_UP, NULL, ADAPTER_REPORT_S, &err) < 0)
				fprintf(log, "dcopsd: status report failed: %s\n", err.msg);
			next_report = now + ADAPTER_REPORT_S * 1000;
		}
		if (now >= next_summary) {
			summary(log, &t);
			next_summary = now + SUMMARY_EVERY_MS;
		}
		next += so.tick_ms;
		if (next < now)
			next = now; /* behind: run the next tick at once, do not pile up */
		if (ro->ticks == 0 || done < ro->ticks)
			sleep_ms(next - now);
	}
	summary(log, &t);
	if (ro->stats)
		summary(stdout, &t);
	if (c) {
		/* the consoles say STOPPED at once instead of DOWN three intervals later */
		struct dc_err err = {0};
		if (adapter_report(c, "sim", ADAPTER_STOPPED, "dcopsd stopped", ADAPTER_REPORT_S, &err) < 0)
			fprintf(log, "dcopsd: status report failed: %s\n", err.msg);
		PQfinish(c);
	}
	sim_free(s);
	free(t.ms);
	return 0;
}

int main(int argc, char **argv)
{
	struct run_opts ro = { .sim = { .speed = 1, .tick_ms = 1000, .seed = 1 } };
	int rc = parse_args(argc, argv, &ro);
	if (rc >= 0)
		return rc;
	FILE *log = stderr;
	if (ro.log_path && !(log = fopen(ro.log_path, "a"))) {
		fprintf(stderr, "dcopsd: %s: %s\n", ro.log_path, strerror(errno));
		return 1;
	}
	if (ro.pidfile) {
		/* Run as root by the demo: never through a symlink planted there. */
		char pid[32];
		int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		struct dc_err err;
		if (dc_file_replace(ro.pidfile, pid, (size_t)n, 0644, (uid_t)-1, (gid_t)-1, &err) == -1) {
			fprintf(stderr, "dcopsd: %s\n", err.msg);
			return 1;
		}
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = run(&ro, log);
	if (ro.pidfile)
		unlink(ro.pidfile);
	if (log != stderr)
		fclose(log);
	return rc;
}
