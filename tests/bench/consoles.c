/* consoles.c — many headless consoles against one database, for `make
 * bench`: each console is a child process running the console's own
 * receiving path (loop.c, store.c, model.c: LISTEN or the standby's replay
 * watch, pipelined delta reads, apply) with no curses, so one machine can
 * run fifty of them. The parent commits markers on the primary and
 * measures commit-to-apply (COMMIT returns -> the marker's row is in each
 * console's model) and the primary's CPU (/proc: the postmaster, its
 * reaped children and its live ones).
 *
 * Usage: bench-consoles --db CONNINFO [--write CONNINFO] --phases 1,10,50
 *                       [--seconds S] [--pg-pid PID] [--label TEXT]
 *                       [--relay PATH [--relay-pid PID] [--readers N]]
 *                       [--split FILE] [--samples N]
 * --readers N (0..MAX_CONSOLES-1, only with --relay): before the phases,
 * N raw readers connect to the relay's socket and read and discard every
 * byte (HELLO, snapshot, every batch) until the end: relay clients as a
 * console is, that apply nothing -- what the relay would serve if N
 * consoles on one host shared one model. Their CPU is not in the consoles'
 * CPU column (nor anywhere in the row); the relay's includes serving them.
 * --relay: the consoles' stores take their data from `dcops relay` on PATH
 * (store_opts.relay; PID: its CPU, in its own column).
 * --split FILE: one line per phase appended to FILE, splitting the
 * commit-to-apply column in two: per marker, the first console to apply
 * it (the database and the relay's part, and one console's apply), and
 * the last one's lag behind that first (the consoles waiting on each
 * other for the cores), p50 / p99 over the markers every console applied.
 * --samples N: a phase runs --seconds and then on until its consoles have
 * N commit-to-apply samples between them (default 0: --seconds only), so
 * one console's p99 is taken over as many as fifty's (over 200 markers,
 * a p99 is the second or third largest: one slow marker moves it).
 * Consoles are added between phases (1, then 9 more, then 40 more), so
 * each console does one full load. Prints one markdown row per phase:
 * consoles | first load ms (p50 / max) | peak RSS MB (max) | commit-to-apply
 * ms p50 / p99 (all consoles) | worst console's p99 | markers missed |
 * primary CPU s/s | the consoles' CPU s/s | the relay's CPU s/s |
 * writing transactions/s | delta reads per console per writing transaction.
 *
 * Ownership: the shared block (mmap MAP_SHARED) is written by the parent
 * (stop) and by each child in its own slot only (a console in c[], a
 * reader in r[]). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "model.h"
#include "store.h"
#include "util.h"
#define BENCH_NAME "bench-consoles"
#include "bench-util.h"

#define MAX_CONSOLES 64
#define MAX_MARKS 4096

struct slot {
	volatile int loaded;             /* first full load applied */
	volatile int64_t load_ms;        /* store_start -> loaded */
	volatile long rss_kb;            /* peak RSS (ru_maxrss) */
	volatile uint64_t delta_reads, watches;
	volatile int via_relay;
	volatile int64_t applied_us[MAX_MARKS]; /* mono µs the marker's title was in the model */
};

/* A raw reader of the relay socket (--readers). */
struct reader {
	volatile uint64_t bytes; /* read and discarded so far */
	volatile int ended;      /* it stopped reading before the parent said stop */
};

struct shared {
	volatile int stop;
	struct slot c[MAX_CONSOLES];
	struct reader r[MAX_CONSOLES];
};

struct child {
	struct shared *sh;
	struct slot *me;
	struct dc_model *model;
	struct store *store;
	int64_t inc_id, started_ms;
};

/* The marker is the bench incident's title "mark N". */
static void on_change(void *ud, unsigned mask)
{
	struct child *c = ud;
	if (!c->me->loaded && !model_loading(c->model)) { /* a first load calls once a table */
		c->me->load_ms = dc_mono_ms() - c->started_ms;
		c->me->loaded = 1;
	}
	if (!(mask & DC_MASK(DC_T_INCIDENT)))
		return;
	const struct dc_incident *i = model_get(c->model, DC_T_INCIDENT, c->inc_id);
	int n;
	if (i && i->title && sscanf(i->title, "mark %d", &n) == 1 && n >= 0 && n < MAX_MARKS &&
	    !c->me->applied_us[n])
		c->me->applied_us[n] = dc_mono_us();
}

/* A console that cannot load says why, once per distinct error. */
static void on_status(void *ud, const struct store_status *st)
{
	static char last[256];
	(void)ud;
	if (st->error[0] && strcmp(st->error, last) != 0) {
		snprintf(last, sizeof last, "%s", st->error);
		fprintf(stderr, "bench-consoles: console %d: %s\n", (int)getpid(), st->error);
	}
}

static void on_tick(struct loop *l, void *ud)
{
	struct child *c = ud;
	const struct store_status *st = store_status(c->store);
	c->me->delta_reads = st->delta_reads;
	c->me->watches = st->watches;
	c->me->via_relay = st->via_relay;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	c->me->rss_kb = ru.ru_maxrss;
	if (c->sh->stop)
		loop_stop(l);
	else
		loop_timer_add(l, 100, on_tick, c);
}

static const char *relay_path;

static void child_run(struct shared *sh, int idx, const char *db, int64_t inc_id)
{
	struct child c = { .sh = sh, .me = &sh->c[idx], .inc_id = inc_id };
	struct loop *l = loop_new();
	c.model = model_new();
	struct store_opts o = { .conninfo = db, .readonly = true, .relay = relay_path };
	struct store_callbacks cb = { on_change, on_status, &c };
	c.store = store_new(l, c.model, &o, &cb);
	c.started_ms = dc_mono_ms();
	store_start(c.store);
	loop_timer_add(l, 100, on_tick, &c);
	loop_run(l);
	store_free(c.store);
	model_free(c.model);
	loop_free(l);
	_exit(0);
}

/* A reader: connects to the relay's socket, then reads and discards until
 * EOF, an error or the parent's stop (or its SIGTERM: a read blocks). It
 * never writes (the relay drops a client that sends bytes). */
static void reader_run(struct shared *sh, int idx)
{
	struct reader *me = &sh->r[idx];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(relay_path) >= sizeof a.sun_path) {
		fprintf(stderr, "bench-consoles: reader %d: --relay %s: too long for a Unix socket (%zu bytes at most)\n", idx,
		        relay_path, sizeof a.sun_path - 1);
		me->ended = 1;
		_exit(1);
	}
	memcpy(a.sun_path, relay_path, strlen(relay_path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		fprintf(stderr, "bench-consoles: reader %d: %s: %s\n", idx, relay_path, strerror(errno));
		me->ended = 1;
		_exit(1);
	}
	static char buf[1 << 16];
	while (!sh->stop) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!sh->stop) {
				fprintf(stderr, "bench-consoles: reader %d: %s\n", idx,
				        n == 0 ? "the relay closed the connection" : strerror(errno));
				me->ended = 1;
			}
			break;
		}
		me->bytes += (uint64_t)n;
	}
	close(fd);
	_exit(0);
}

/* Ends the readers (a read may block until the next heartbeat: SIGTERM)
 * and reaps them. */
static void readers_end(const pid_t *rk, int n)
{
	for (int i = 0; i < n; i++)
		kill(rk[i], SIGTERM);
	for (int i = 0; i < n; i++)
		waitpid(rk[i], NULL, 0);
}

/* fork() for a console or a reader: 0 in the child, which ends with the
 * parent (PR_SET_PDEATHSIG, and at once if the parent is already gone);
 * on failure the readers rk[0..nr) are ended and the bench stops. */
static pid_t fork_child(const pid_t *rk, int nr)
{
	pid_t p = fork();
	if (p < 0) {
		readers_end(rk, nr);
		bench_die("fork", "failed");
	}
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);
	}
	return p;
}

/* --split: per marker [m0, m1) that all nk consoles applied, the first
 * console's commit-to-apply and the last one's lag behind it, p50 / p99,
 * as one line appended to path. */
static void split_note(const char *path, const char *label, const struct shared *sh, int nk,
                       const int64_t *committed, int m0, int m1)
{
	static int64_t first[MAX_MARKS], spread[MAX_MARKS];
	int n = 0;
	for (int s = m0; s < m1; s++) {
		int64_t lo = INT64_MAX, hi = 0;
		bool all = true;
		for (int i = 0; i < nk && all; i++) {
			int64_t a = sh->c[i].applied_us[s];
			all = a != 0; /* 0: this console missed it */
			lo = a < lo ? a : lo;
			hi = a > hi ? a : hi;
		}
		if (!all)
			continue;
		first[n] = lo > committed[s] ? lo - committed[s] : 0;
		spread[n++] = hi - lo;
	}
	FILE *f = fopen(path, "a");
	if (!f)
		bench_die("--split", strerror(errno));
	fprintf(f, "%s, %d consoles, %d of %d markers applied by all: first console p50 %.2f / p99 %.2f ms; "
	        "the last behind it p50 %.2f / p99 %.2f ms\n", label, nk, n, m1 - m0, bench_pct_ms(first, n, 0.5),
	        bench_pct_ms(first, n, 0.99), bench_pct_ms(spread, n, 0.5), bench_pct_ms(spread, n, 0.99));
	fclose(f);
}

/* The server's CPU so far, in seconds: the postmaster, what it reaped, and
 * its live backends. */
static double server_cpu_s(pid_t pm)
{
	if (pm <= 0)
		return 0;
	double t = bench_cpu_s(pm, true);
	DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d));) {
		long long f[BENCH_NSTAT];
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && bench_proc_stat(e->d_name, f) &&
		    f[BENCH_PPID] == pm)
			t += bench_cpu_s(atoi(e->d_name), false);
	}
	if (d)
		closedir(d);
	return t;
}

/* The consoles' own CPU so far, in seconds. */
static double consoles_cpu_s(const pid_t *kids, int n)
{
	double t = 0;
	for (int i = 0; i < n; i++)
		t += bench_cpu_s(kids[i], false);
	return t;
}

int main(int argc, char **argv)
{
	const char *db = NULL, *wdb = NULL, *label = "primary";
	char phases[128] = "1,10,50";
	int seconds = 30, readers = 0;
	long samples = 0;
	const char *readers_arg = NULL, *split_path = NULL;
	pid_t pm = 0, relay_pid = 0;
	static const struct option lo[] = {
		{ "db", 1, 0, 'd' }, { "write", 1, 0, 'w' }, { "phases", 1, 0, 'P' },
		{ "seconds", 1, 0, 's' }, { "pg-pid", 1, 0, 'p' }, { "label", 1, 0, 'l' },
		{ "relay", 1, 0, 'r' }, { "relay-pid", 1, 0, 'R' }, { "readers", 1, 0, 'n' },
		{ "split", 1, 0, 'S' }, { "samples", 1, 0, 'N' }, { 0, 0, 0, 0 }
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'w': wdb = optarg; break;
		case 'P': snprintf(phases, sizeof phases, "%s", optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'p': pm = (pid_t)atoi(optarg); break;
		case 'l': label = optarg; break;
		case 'r': relay_path = optarg; break;
		case 'R': relay_pid = (pid_t)atoi(optarg); break;
		case 'n': readers_arg = optarg; break;
		case 'S': split_path = optarg; break;
		case 'N':
			if (!dc_parse_long(optarg, 0, MAX_MARKS / 2, &samples))
				bench_die("--samples", "not a count from 0 to 2048");
			break;
		default: return 2;
		}
	}
	if (!db)
		bench_die("usage", "--db CONNINFO required");
	if (!wdb)
		wdb = db;
	if (readers_arg) {
		char *end;
		errno = 0;
		long v = strtol(readers_arg, &end, 10);
		if (errno || end == readers_arg || *end || v < 0 || v > MAX_CONSOLES - 1) {
			char why[128];
			snprintf(why, sizeof why, "'%.40s' is not a count from 0 to %d", readers_arg, MAX_CONSOLES - 1);
			bench_die("--readers", why);
		}
		if (!relay_path) {
			char why[128];
			snprintf(why, sizeof why, "'%.40s' without --relay (readers read the relay's socket)", readers_arg);
			bench_die("--readers", why);
		}
		readers = (int)v;
	}
	signal(SIGPIPE, SIG_IGN);
	struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bench_die("mmap", "no memory");
	memset(sh, 0, sizeof *sh);
	PGconn *w = bench_connect(wdb);
	char *id = bench_query1(w, "INSERT INTO dcops.incident (sev, title, source) VALUES (1, 'mark -', 'bench')"
	                     " RETURNING id", 0, NULL);
	int64_t inc_id = atoll(id);
	free(id);

	/* the readers first: relay clients before the first console connects
	 * (on an error below, PR_SET_PDEATHSIG ends them as it does the consoles) */
	pid_t rk[MAX_CONSOLES];
	int nr = 0;
	while (nr < readers) {
		pid_t p = fork_child(rk, nr);
		if (p == 0)
			reader_run(sh, nr);
		rk[nr++] = p;
	}
	/* each reader has its HELLO (the relay sends it with a snapshot, after
	 * its own full load: 4 minutes at most, as the consoles' loads) */
	int64_t hello_by = dc_mono_ms() + 240000;
	for (int i = 0; i < nr; i++) {
		while (!sh->r[i].bytes && !sh->r[i].ended && dc_mono_ms() < hello_by)
			usleep(20000);
		if (!sh->r[i].bytes) {
			readers_end(rk, nr);
			char why[96];
			snprintf(why, sizeof why, "reader %d of %d got nothing from the relay (why: above, if it said)", i,
			         nr);
			bench_die("--readers", why);
		}
	}

	pid_t kids[MAX_CONSOLES];
	int nk = 0, mark = 0;
	for (char *save = NULL, *tok = strtok_r(phases, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int want = atoi(tok);
		if (want < 1 || want > MAX_CONSOLES) {
			readers_end(rk, nr);
			bench_die("--phases", tok);
		}
		int first = nk;
		while (nk < want) {
			pid_t p = fork_child(rk, nr);
			if (p == 0) /* the parent's connection is left alone: PQfinish would end it */
				child_run(sh, nk, db, inc_id);
			kids[nk++] = p;
		}
		/* every console has done its full load (or 4 minutes passed: said below) */
		int64_t give_up = dc_mono_ms() + 240000;
		int unloaded = 0;
		for (int i = first; i < nk; i++) {
			while (!sh->c[i].loaded && dc_mono_ms() < give_up)
				usleep(20000);
			unloaded += !sh->c[i].loaded;
		}
		if (unloaded)
			fprintf(stderr, "bench-consoles: %s: %d of %d consoles never loaded\n", label, unloaded, nk);
		usleep(1000000);
		int direct = 0;
		for (int i = 0; relay_path && i < nk; i++)
			direct += !sh->c[i].via_relay;
		if (direct)
			fprintf(stderr, "bench-consoles: %s: %d of %d consoles read directly, not via the relay\n",
			        label, direct, nk);
		int gone = 0;
		for (int i = 0; i < nr; i++)
			gone += sh->r[i].ended;
		if (gone)
			fprintf(stderr, "bench-consoles: %s: %d of %d readers stopped reading (said above)\n", label, gone,
			        nr);
		int64_t load[MAX_CONSOLES];
		long rss = 0;
		for (int i = first; i < nk; i++) {
			load[i - first] = sh->c[i].load_ms * 1000;
			if (sh->c[i].rss_kb > rss)
				rss = sh->c[i].rss_kb;
		}
		double load_max = 0;
		for (int i = 0; i < nk - first; i++)
			if (load[i] / 1000.0 > load_max)
				load_max = load[i] / 1000.0;
		double load_p50 = bench_pct_ms(load, nk - first, 0.5);

		uint64_t dr0 = 0;
		for (int i = 0; i < nk; i++)
			dr0 += sh->c[i].delta_reads;
		char *x0 = bench_query1(w, "SELECT pg_snapshot_xmax(pg_current_snapshot())", 0, NULL);
		double cpu0 = server_cpu_s(pm), ccpu0 = consoles_cpu_s(kids, nk);
		double rcpu0 = relay_pid ? consoles_cpu_s(&relay_pid, 1) : 0;
		int64_t t0 = dc_mono_ms();
		int m0 = mark;
		static int64_t committed[MAX_MARKS];
		while ((dc_mono_ms() - t0 < (int64_t)seconds * 1000 || (long)(mark - m0) * nk < samples) &&
		       mark < MAX_MARKS) {
			char title[32];
			snprintf(title, sizeof title, "mark %d", mark);
			const char *p[] = { title };
			free(bench_query1(w, "UPDATE dcops.incident SET title = $1 WHERE source = 'bench'", 1, p));
			committed[mark] = dc_mono_us();
			/* wait for every console (2 s at most), then a pause so marks do not queue */
			int64_t until = dc_mono_ms() + 2000;
			for (;;) {
				int seen = 0;
				for (int i = 0; i < nk; i++)
					seen += sh->c[i].applied_us[mark] != 0;
				if (seen == nk || dc_mono_ms() > until)
					break;
				usleep(1000);
			}
			mark++;
			usleep(100000 + (unsigned)(rand() % 100) * 1000);
		}
		double secs = (double)(dc_mono_ms() - t0) / 1000.0;
		double cpu = (server_cpu_s(pm) - cpu0) / secs;
		double ccpu = (consoles_cpu_s(kids, nk) - ccpu0) / secs;
		char rcpu[32] = "-";
		if (relay_pid)
			snprintf(rcpu, sizeof rcpu, "%.3f", (consoles_cpu_s(&relay_pid, 1) - rcpu0) / secs);
		char *x1 = bench_query1(w, "SELECT pg_snapshot_xmax(pg_current_snapshot())", 0, NULL);
		double xacts = (double)(atoll(x1) - atoll(x0));
		free(x0);
		free(x1);
		usleep(300000);
		uint64_t dr1 = 0;
		for (int i = 0; i < nk; i++)
			dr1 += sh->c[i].delta_reads;

		int n = mark - m0, all_n = 0, missed = 0;
		int64_t *all = xcalloc((size_t)(n * nk + 1), sizeof *all);
		int64_t one[MAX_MARKS];
		double worst = 0;
		for (int i = 0; i < nk; i++) {
			int k = 0;
			for (int s = m0; s < mark; s++) {
				int64_t a = sh->c[i].applied_us[s];
				if (!a) {
					missed++;
					continue;
				}
				int64_t us = a > committed[s] ? a - committed[s] : 0;
				one[k++] = us;
				all[all_n++] = us;
			}
			double p = bench_pct_ms(one, k, 0.99);
			if (p > worst)
				worst = p;
		}
		printf("| %s | %d | %.0f / %.0f | %.1f | %.2f / %.2f | %.2f | %d | %.3f | %.3f | %s | %.0f | %.3f |\n",
		       label, nk, load_p50, load_max, rss / 1024.0, bench_pct_ms(all, all_n, 0.5),
		       bench_pct_ms(all, all_n, 0.99), worst, missed, cpu, ccpu, rcpu, xacts / secs,
		       xacts > 0 ? (double)(dr1 - dr0) / nk / xacts : 0.0);
		fflush(stdout);
		if (split_path)
			split_note(split_path, label, sh, nk, committed, m0, mark);
		free(all);
	}
	sh->stop = 1;
	for (int i = 0; i < nk; i++)
		waitpid(kids[i], NULL, 0);
	readers_end(rk, nr);
	free(bench_query1(w, "DELETE FROM dcops.incident WHERE source = 'bench'", 0, NULL));
	PQfinish(w);
	return 0;
}
