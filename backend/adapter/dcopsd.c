/* dcopsd — the adapter daemon: moves the data center's state into the
 * dcops schema and applies the operators' queued actions, through one
 * adapter of adapter_table (adapter.h): "sim", the embedded data center
 * (backend/adapter/sim), or "slurm", a real cluster (backend/adapter/slurm). One
 * transaction per tick; survives the database or the source going away
 * (ADAPTER DOWN reported, backoff, reload; a new database connection only
 * when the database link broke, the source's link kept meanwhile). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "adapter/adapter-status.h"
#include "adapter/adapter.h"
#include "watchdog.h"
#include "db.h"
#include "text.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define SUMMARY_EVERY_MS 60000

#define STOP_GRACE_S 3
/* --db-timeout's default: a tick's database work (and the adapter's own)
 * past this, its Slurm commands not counted, means a server that stopped
 * answering (watchdog.h). The busiest tick measured, 25,000 nodes, takes
 * seconds. */
#define DB_TIMEOUT_S 60
/* dcopsd's session: a lock held longer than this (a migration, a backend
 * frozen holding the adapter's rows) fails the tick with the server's
 * reason, which is reported (ADAPTER DOWN and why) on the connection that
 * still works, instead of a wait the watchdog ends without a word to the
 * consoles. Operators' actions hold their locks at most their own 10 s
 * statement_timeout. A connection string's own lock_timeout (options='-c
 * lock_timeout=...') wins. */
#define LOCK_TIMEOUT "30s"
static const char session_sql[] =
	"SELECT set_config('lock_timeout', $1, false) WHERE current_setting('lock_timeout') = '0'";

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t db_fd = -1; /* the database connection's socket, or -1 */

/* SIGTERM or SIGINT: stop after this tick, with the STOPPED report. */
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
	alarm(STOP_GRACE_S);
}

/* Still running STOP_GRACE_S later: a call blocks on a server that says
 * nothing (libpq waits again after EINTR). Shutting its socket down ends
 * that call with an error (the tick's transaction rolls back, as on any
 * lost connection) so dcopsd stops as asked. */
static void on_stop_late(int sig)
{
	(void)sig;
	if (db_fd >= 0)
		shutdown(db_fd, SHUT_RDWR);
}

struct run_opts {
	const char *adapter, *db, *log_path, *pidfile;
	const struct adapter_ops *ops;
	void *cfg;           /* the adapter's options */
	long ticks;          /* 0: run until signalled */
	int db_timeout_ms;   /* watchdog.h's limit */
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
	struct adapter_stats last;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dcopsd --adapter sim|slurm [--db CONNINFO] [--db-timeout S] [--ticks N] [--log FILE]\n"
	           "              [--pidfile FILE] [--verbose] [--stats] [adapter options]\n");
	for (size_t i = 0; adapter_table[i]; i++)
		fputs(adapter_table[i]->usage, f);
}

static int parse_num(const char *opt, const char *v, double lo, double hi, double *out)
{
	char *end;
	double d = strtod(v, &end);
	if (*end || !*v || d < lo || d > hi) {
		text_putline(stderr, "dcopsd: %s wants a number in [%g, %g], not '%s'", opt, lo, hi, v);
		return -1;
	}
	*out = d;
	return 0;
}

/* Every adapter's options, handed to the chosen adapter's parse_opt. */
static const struct option longopts[] = {
	{ "adapter", required_argument, NULL, 'a' }, { "db", required_argument, NULL, 'd' },
	{ "ticks", required_argument, NULL, 'n' }, { "log", required_argument, NULL, 'l' },
	{ "pidfile", required_argument, NULL, 'p' }, { "verbose", no_argument, NULL, 'v' },
	{ "stats", no_argument, NULL, 'x' }, { "help", no_argument, NULL, 'h' },
	{ "db-timeout", required_argument, NULL, 't' },
	{ "speed", required_argument, NULL, 'A' }, { "tick-ms", required_argument, NULL, 'A' },
	{ "seed", required_argument, NULL, 'A' }, { "fault-x", required_argument, NULL, 'A' },
	{ "ssh", required_argument, NULL, 'A' }, { "known-hosts", required_argument, NULL, 'A' },
	{ "identity", required_argument, NULL, 'A' }, { "slurm-bin", required_argument, NULL, 'A' },
	{ "inventory", required_argument, NULL, 'A' }, { "poll-nodes", required_argument, NULL, 'A' },
	{ "poll-jobs", required_argument, NULL, 'A' }, { "poll-accounting", required_argument, NULL, 'A' },
	{ "slurm-timeout", required_argument, NULL, 'A' }, { "telemetry", required_argument, NULL, 'A' },
	{ "telemetry-every", required_argument, NULL, 'A' }, { "telemetry-timeout", required_argument, NULL, 'A' },
	{ "telemetry-ca", required_argument, NULL, 'A' }, { "remedy", required_argument, NULL, 'A' }, { 0 },
};

/* --adapter first: the others are the adapter's to parse. */
static const char *find_adapter(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--adapter") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--adapter=", 10) == 0)
			return argv[i] + 10;
	}
	return NULL;
}

static int parse_args(int argc, char **argv, struct run_opts *ro)
{
	const char *name = find_adapter(argc, argv);
	if (name && !(ro->ops = adapter_find(name))) {
		char have[128] = "";
		for (size_t i = 0; adapter_table[i]; i++)
			snprintf(have + strlen(have), sizeof have - strlen(have), " %s", adapter_table[i]->name);
		text_putline(stderr, "dcopsd: adapter '%s' is not available (this build has:%s)", name, have);
		return 2;
	}
	if (ro->ops)
		ro->cfg = ro->ops->config_new();
	int ch, idx;
	double d;
	while ((ch = getopt_long(argc, argv, "vh", longopts, &idx)) != -1) {
		switch (ch) {
		case 'a': ro->adapter = optarg; break;
		case 'd': ro->db = optarg; break;
		case 'l': ro->log_path = optarg; break;
		case 'p': ro->pidfile = optarg; break;
		case 'v': ro->verbose = true; break;
		case 'x': ro->stats = true; break;
		case 'n':
			if (parse_num("--ticks", optarg, 1, 1e12, &d) < 0)
				return 2;
			ro->ticks = (long)d;
			break;
		case 't':
			if (parse_num("--db-timeout", optarg, 1, 3600, &d) < 0)
				return 2;
			ro->db_timeout_ms = (int)(d * 1000);
			break;
		case 'A': {
			int rc = ro->ops ? ro->ops->parse_opt(ro->cfg, longopts[idx].name, optarg) : 1;
			if (rc < 0)
				return 2;
			if (rc > 0) {
				text_putline(stderr, "dcopsd: --%s is not an option of adapter %s", longopts[idx].name,
				             ro->ops ? ro->ops->name : "(none given)");
				return 2;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || !ro->adapter || !ro->ops) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* CPU time of the children waited for (the adapter's Slurm commands). */
static int64_t child_cpu_us(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
		return 0;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
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

static void account(struct totals *t, const struct adapter_stats *st, double ms)
{
	t->last = *st;
	if (t->first_ms == 0) {
		t->first_ms = ms > 0 ? ms : 1e-3;
		t->t0 = dc_mono_us();
		return;
	}
	t->ticks++;
	t->rows += st->rows;
	t->job_events += st->job_events;
	t->faults += st->faults;
	t->actions += st->actions;
	t->incidents += st->incidents;
	t->ms = xgrow(t->ms, &t->cap, t->nms + 1, sizeof *t->ms);
	t->ms[t->nms++] = ms;
}

/* Whether the last stretch watched ran out: its server stopped answering. */
static bool db_cut;

/* The database work from here to watch_end counts against --db-timeout. */
static void watch(const struct run_opts *ro, PGconn *c)
{
	db_cut = false;
	watchdog_arm(PQsocket(c), ro->db_timeout_ms);
}

/* Stops the clock; when it ran out, err says so instead of what libpq
 * made of the socket shut under it. */
static void watch_end(const struct run_opts *ro, struct dc_err *err)
{
	db_cut = watchdog_fired();
	watchdog_disarm();
	if (db_cut)
		dc_err_set(err, "the database answered nothing for %d s (--db-timeout): connection dropped",
		           ro->db_timeout_ms / 1000);
}

/* The database link, and where the next attach goes first. */
struct link {
	PGconn *c;
	/* After the watchdog cut a connection (a server that stopped answering
	 * while its host still acknowledges): the string less that server, for
	 * the next attach only. libpq would try the frozen server again first
	 * and wait out db_connect's connect limit (5 s) before moving on: the
	 * new primary of a failover that froze the old one is reached that
	 * much later. A failure of that attach tries every server again. */
	char *next_db;
};

/* Closes the link's connection (NULL or not); after a watchdog cut, notes the
 * string less that server for the next attach. */
static void link_close(struct link *k, const struct dc_opts *o)
{
	if (k->c && db_cut) {
		char *base = k->next_db ? NULL : db_resolve(o, NULL);
		char *next = db_conninfo_skip(k->next_db ? k->next_db : base, k->c);
		free(base);
		free(k->next_db);
		k->next_db = next;
	}
	db_fd = -1;
	if (k->c)
		PQfinish(k->c);
	k->c = NULL;
}

/* Connects and loads what the database holds into k->c; -1 (logged) when
 * either fails. */
static int attach(const struct run_opts *ro, void *st, const struct dc_opts *o, struct link *k, FILE *log)
{
	struct dc_err err = {0};
	struct dc_opts to = *o;
	char *first = k->next_db; /* this attach's only */
	k->next_db = NULL;
	if (first)
		to.db = first;
	k->c = db_connect(&to, "dcopsd", &err);
	db_fd = k->c ? PQsocket(k->c) : -1;
	int rc = -1;
	if (k->c) {
		watch(ro, k->c);
		const char *p[] = { LOCK_TIMEOUT };
		PGresult *r = db_exec(k->c, &err, session_sql, 1, p);
		PQclear(r);
		rc = r ? ro->ops->attach(st, k->c, &err) : -1;
		watch_end(ro, &err);
	}
	if (rc == 0) {
		char server[256];
		db_server_name(k->c, server, sizeof server);
		text_putline(log, "dcopsd: attached (%s) to %s%s", ro->ops->name, server,
		             first ? " (the server that stopped answering left out of this attempt)" : "");
		fflush(log);
	} else {
		text_putline(log, "dcopsd: %s", err.msg);
		fflush(log);
		link_close(k, &to);
	}
	free(first);
	return rc;
}

/* After a failed cycle on a connection that still works: out of any
 * transaction left open, then the adapter reloads what the database holds.
 * -1 (logged) when that fails too: the caller reconnects. */
static int reload_on(const struct run_opts *ro, void *st, PGconn *c, FILE *log)
{
	struct dc_err err = {0};
	watch(ro, c);
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, "ROLLBACK"));
	int rc = PQstatus(c) == CONNECTION_OK ? ro->ops->attach(st, c, &err) : -1;
	watch_end(ro, &err);
	if (rc == 0)
		return 0;
	text_putline(log, "dcopsd: reload: %s", err.msg[0] ? err.msg : "the database connection is gone");
	fflush(log);
	return -1;
}

/* Waits *backoff ms, then doubles it up to max_ms. */
static void backoff_wait(const struct run_opts *ro, void *st, int *backoff, int max_ms)
{
	ro->ops->wait(st, *backoff > max_ms ? max_ms : *backoff, &stop_flag);
	*backoff = *backoff * 2 > max_ms ? max_ms : *backoff * 2;
}

/* A poll that failed: the source (or the database) is down. The report
 * goes out at once, on a connection that still works. */
static void report_down(const struct run_opts *ro, PGconn *c, const char *why, FILE *log)
{
	struct dc_err err = {0};
	if (c && PQstatus(c) == CONNECTION_OK &&
	    adapter_report(c, ro->ops->name, ADAPTER_DOWN, why, ro->ops->report_s, &err) < 0)
		text_putline(log, "dcopsd: status report failed: %s", err.msg);
}

static int run(const struct run_opts *ro, FILE *log)
{
	struct dc_opts o = { .db = ro->db, .quiet = !ro->verbose };
	struct dc_err err = {0};
	void *st = ro->ops->start(ro->cfg, log, &err);
	if (!st) {
		text_putline(stderr, "dcopsd: %s", err.msg);
		return 1;
	}
	struct totals t = { .t0 = dc_mono_us() };
	struct link k = {0};
	int backoff = BACKOFF_MIN_MS;
	int64_t next_summary = dc_mono_ms() + SUMMARY_EVERY_MS, next_report = dc_mono_ms();
	bool reload = false, was_down = false;
	long done = 0;
	while (!stop_flag && (ro->ticks == 0 || done < ro->ticks)) {
		if (reload && reload_on(ro, st, k.c, log) < 0)
			link_close(&k, &o);
		reload = false;
		if (!k.c) {
			if (attach(ro, st, &o, &k, log) < 0) {
				backoff_wait(ro, st, &backoff, BACKOFF_MAX_MS);
				continue;
			}
			backoff = BACKOFF_MIN_MS;
		}
		PGconn *c = k.c;
		struct adapter_stats as = {0};
		err = (struct dc_err){0};
		int64_t t0 = dc_mono_us(), cpu0 = dc_cpu_us(), child0 = child_cpu_us();
		int next_ms = -1;
		watch(ro, c);
		if (!ro->ops->apply || ro->ops->apply(st, c, &err) == 0)
			next_ms = ro->ops->poll(st, c, &as, &err);
		if (next_ms < 0) {
			watch_end(ro, &err);
			t.failures++;
			text_putline(log, "dcopsd: tick failed, rolled back: %s", err.msg);
			fflush(log);
			report_down(ro, c, err.msg, log);
			was_down = true;
			/* the adapter's picture may be ahead of the database: reload it,
			 * over the same connection when only the source failed (the
			 * database link is kept, as the source's is when only the
			 * database failed: a new one is made only for what broke) */
			bool db_lost = PQstatus(c) != CONNECTION_OK;
			if (db_lost)
				link_close(&k, &o);
			else
				reload = true;
			/* the source alone: retried at least every report interval, so
			 * the consoles see it back within seconds of its return (a
			 * refused command fails fast, and doubling to 30 s took half a
			 * minute to notice slurmctld was up again) */
			backoff_wait(ro, st, &backoff, db_lost ? BACKOFF_MAX_MS : ro->ops->report_s * 1000);
			continue;
		}
		backoff = BACKOFF_MIN_MS;
		if (as.idle) {
			watch_end(ro, &err);
			ro->ops->wait(st, next_ms, &stop_flag);
			continue;
		}
		as.cpu_ms = (double)(dc_cpu_us() - cpu0) / 1000.0;
		as.child_cpu_ms = (double)(child_cpu_us() - child0) / 1000.0;
		double ms = (double)(dc_mono_us() - t0) / 1000.0;
		account(&t, &as, ms);
		done++;
		if (ro->verbose)
			printf("tick %ld: %.1f ms, %.1f ms CPU (+%.1f ms children), %ld rows, %s; running %d pending %d\n",
			       done, ms, as.cpu_ms, as.child_cpu_ms, as.rows, as.detail, as.running, as.pending);
		fflush(stdout);
		int64_t now = dc_mono_ms();
		int reported = 0;
		if (now >= next_report || was_down) {
			reported = adapter_report(c, ro->ops->name, ADAPTER_UP, NULL, ro->ops->report_s, &err);
			next_report = now + ro->ops->report_s * 1000;
			was_down = false;
		}
		watch_end(ro, &err);
		/* a failed heartbeat is the next tick's problem: it fails too */
		if (reported < 0)
			text_putline(log, "dcopsd: status report failed: %s", err.msg);
		if (now >= next_summary) {
			summary(log, &t);
			next_summary = now + SUMMARY_EVERY_MS;
		}
		if (ro->ticks == 0 || done < ro->ticks) {
			/* behind: run the next tick at once, do not pile up */
			int64_t left = next_ms - (int64_t)ms;
			ro->ops->wait(st, left > 0 ? (int)left : 0, &stop_flag);
		}
	}
	summary(log, &t);
	if (ro->stats)
		summary(stdout, &t);
	/* the consoles say STOPPED at once instead of DOWN three intervals later */
	if (k.c && adapter_report(k.c, ro->ops->name, ADAPTER_STOPPED, "dcopsd stopped", ro->ops->report_s, &err) < 0)
		text_putline(log, "dcopsd: status report failed: %s", err.msg);
	link_close(&k, &o);
	free(k.next_db);
	ro->ops->stop(st);
	free(t.ms);
	return 0;
}

int main(int argc, char **argv)
{
	struct run_opts ro = { .db_timeout_ms = DB_TIMEOUT_S * 1000 };
	int rc = parse_args(argc, argv, &ro);
	if (rc >= 0) {
		if (ro.cfg)
			ro.ops->config_free(ro.cfg);
		return rc;
	}
	FILE *log = stderr;
	if (ro.log_path && !(log = fopen(ro.log_path, "a"))) {
		text_putline(stderr, "dcopsd: %s: %s", ro.log_path, strerror(errno));
		return 1;
	}
	if (ro.pidfile) {
		/* Run as root by the demo: never through a symlink planted there. */
		char pid[32];
		int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		struct dc_err err;
		if (dc_file_replace(ro.pidfile, pid, (size_t)n, 0644, (uid_t)-1, (gid_t)-1, &err) == -1) {
			text_putline(stderr, "dcopsd: %s", err.msg);
			return 1;
		}
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct sigaction late = { .sa_handler = on_stop_late };
	sigemptyset(&late.sa_mask);
	sigaction(SIGALRM, &late, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct dc_err err = {0};
	if (watchdog_init("--db-timeout", &err) < 0) {
		text_putline(stderr, "dcopsd: %s", err.msg);
		rc = 1;
	} else {
		rc = run(&ro, log);
	}
	ro.ops->config_free(ro.cfg);
	if (ro.pidfile)
		unlink(ro.pidfile);
	if (log != stderr)
		fclose(log);
	return rc;
}
