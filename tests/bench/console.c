/* console.c — drives the dcops console in a pseudo-terminal and measures
 * what an operator feels, against the floor a bare libpq client gets from
 * the same database in the same run:
 *   - time to first full screen (spawn -> output settles)
 *   - commit-to-screen latency: COMMIT returns -> the marker's bytes arrive
 *     on the pty; floor: COMMIT returns -> a LISTEN client is notified
 *   - bytes written to the terminal per second, idle and under churn
 *   - peak RSS (VmHWM) and CPU time of the console
 * Usage: bench-console --db CONNINFO --dcops PATH [--samples N] [--cols C --rows R]
 *                      [--churn ROWS_PER_S] [--seconds S] [--label TEXT]
 * Prints one markdown table row set on stdout.
 *
 * With --first-only: the first screen alone, one row | label | view ms |
 * complete ms | whole ms | peak RSS MB |: spawn -> the ready text on the
 * pty (the view drawn: a first load shows its tables as they arrive),
 * -> --complete TEXT (default the ready text: what only the view's last
 * table draws, "/8" for the GPU column of 8-GPU nodes), and -> the
 * header's "DB UP" (everything loaded and drawn).
 *
 * With --xid CMD (tests/bench/xid.sh): Xid-to-incident-on-screen instead.
 * Each sample resolves the open DCGM incidents, runs `CMD CODE` (which
 * makes the test exporter serve Xid CODE) and times from just before it
 * to CODE's digits on the pty, on the Incidents board; the codes (11111,
 * 22222, ...) differ in every digit from the last, as ncurses rewrites
 * only changed cells; --jitter MS waits a random 0..MS before each, off
 * the scrape's phase. Prints p50 / p99 / max in ms. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#define BENCH_NAME "bench-console"
#include "bench-util.h"

struct bench {
	const char *db, *dcops, *label, *stats;
	const char *ready;   /* text that only a loaded screen shows (a node name) */
	const char *complete; /* --complete: text the view's last table draws */
	const char *xid;     /* --xid CMD: the Xid-to-screen run */
	int jitter_ms;       /* --jitter MS: a random wait before each Xid sample */
	int samples, cols, rows, churn, seconds;
	bool first_only;     /* --first-only: the first screen's figures alone */
	pid_t pause_pid;     /* the simulator: stopped while idle is measured */
	PGconn *w, *l, *churner;
	pid_t pid;
	int pty;
	struct sb screen;    /* everything the console wrote, for marker search */
	uint64_t bytes;
};

/* Reads what the console wrote within ms; returns bytes read. */
static size_t pump(struct bench *b, int ms)
{
	struct pollfd p = { .fd = b->pty, .events = POLLIN };
	size_t got = 0;
	int64_t end = dc_mono_ms() + ms;
	for (;;) {
		int left = (int)(end - dc_mono_ms());
		if (left < 0)
			left = 0;
		if (poll(&p, 1, left) <= 0)
			return got;
		char buf[65536];
		ssize_t n = read(b->pty, buf, sizeof buf);
		if (n <= 0)
			return got;
		sb_appendn(&b->screen, buf, (size_t)n);
		got += (size_t)n;
		b->bytes += (uint64_t)n;
		if (left == 0)
			return got;
	}
}

/* Waits until the output has been quiet for quiet_ms; returns ms waited. */
static int64_t settle(struct bench *b, int quiet_ms, int max_ms)
{
	int64_t start = dc_mono_ms(), last = start;
	while (dc_mono_ms() - start < max_ms) {
		if (pump(b, 50) > 0)
			last = dc_mono_ms();
		else if (dc_mono_ms() - last >= quiet_ms)
			break;
	}
	return last - start;
}

/* One read of what the console wrote, waiting up to ms for it. */
static size_t pump_once(struct bench *b, int ms)
{
	struct pollfd p = { .fd = b->pty, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0)
		return 0;
	char buf[65536];
	ssize_t n = read(b->pty, buf, sizeof buf);
	if (n <= 0)
		return 0;
	sb_appendn(&b->screen, buf, (size_t)n);
	b->bytes += (uint64_t)n;
	return (size_t)n;
}

/* Waits for marker to appear in output written after offset; returns µs
 * (taken when the bytes that complete it are read) or -1. */
static int64_t wait_marker(struct bench *b, size_t offset, const char *marker, int max_ms)
{
	int64_t t0 = dc_mono_us();
	while (dc_mono_us() - t0 < (int64_t)max_ms * 1000) {
		if (b->screen.len > offset && memmem(b->screen.buf + offset, b->screen.len - offset,
		                                     marker, strlen(marker)))
			return dc_mono_us() - t0;
		pump_once(b, 5);
	}
	return -1;
}

static void spawn_console(struct bench *b)
{
	struct winsize ws = { .ws_row = (unsigned short)b->rows, .ws_col = (unsigned short)b->cols };
	b->pid = forkpty(&b->pty, NULL, NULL, &ws);
	if (b->pid < 0)
		bench_die("forkpty", strerror(errno));
	if (b->pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		setenv("LANG", "C.UTF-8", 1);
		if (b->stats)
			setenv("DCOPS_STATS", b->stats, 1);
		execl(b->dcops, b->dcops, "--db", b->db, (char *)NULL);
		_exit(127);
	}
}

static long rss_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, strlen(field)) == 0)
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return kb;
}

/* The floor: COMMIT returned -> LISTEN client notified. */
static void floor_latency(struct bench *b, int64_t *out)
{
	bench_exec(b->l, "LISTEN dcops_changes", 0, NULL);
	for (int i = 0; i < b->samples; i++) {
		char title[64];
		snprintf(title, sizeof title, "floor %06d", i);
		const char *p[] = { title };
		bench_exec(b->w, "UPDATE dcops.incident SET title = $1 WHERE source = 'bench'", 1, p);
		int64_t t0 = dc_mono_us();
		struct pollfd pf = { .fd = PQsocket(b->l), .events = POLLIN };
		PGnotify *n = NULL;
		while (!n) {
			PQconsumeInput(b->l);
			n = PQnotifies(b->l);
			if (!n && poll(&pf, 1, 1000) <= 0)
				bench_die("floor", "no notification within 1 s");
		}
		out[i] = dc_mono_us() - t0;
		do
			PQfreemem(n);
		while ((n = PQnotifies(b->l)) != NULL);
	}
	/* nobody reads this connection from now on: unsubscribe, or the server
	 * blocks writing notifications to it and holds the queue back */
	bench_exec(b->l, "UNLISTEN *", 0, NULL);
}

/* Consecutive markers differ in every position: ncurses rewrites only the
 * cells that changed, so a shared prefix would never reach the pty again. */
static void marker(char *out, int i)
{
	for (int k = 0; k < 10; k++)
		out[k] = (char)('a' + (i + k * 3) % 26);
	out[10] = '\0';
}

static void churn_batch(struct bench *b);

/* under_churn: one churn batch (a tenth of a second's worth) before each sample */
static void console_latency(struct bench *b, int64_t *out, int *got, bool under_churn)
{
	*got = 0;
	for (int i = 0; i < b->samples; i++) {
		if (under_churn)
			churn_batch(b);
		char title[16];
		marker(title, i);
		const char *p[] = { title };
		size_t off = b->screen.len;
		bench_exec(b->w, "UPDATE dcops.incident SET title = $1 WHERE source = 'bench'", 1, p);
		int64_t us = wait_marker(b, off, title, 2000);
		if (us >= 0)
			out[(*got)++] = us;
		/* more than a frame (33 ms) apart: each sample measures the path
		 * from COMMIT to the pty, not the 30 frames/s cap on a stream of
		 * changes 20 ms apart (which holds each one ~13 ms) */
		pump(b, 50);
	}
}

/* A tenth of a second of churn: CHURN/10 random GPU rows updated. */
static void churn_batch(struct bench *b)
{
	char lim[32];
	snprintf(lim, sizeof lim, "%d", b->churn / 10);
	const char *p[] = { lim };
	/* Random ids by index lookups (ORDER BY random() would sort every GPU
	 * row ten times a second on the server the console shares). Rows the
	 * simulator holds locked are skipped, never waited for, so the two
	 * writers cannot deadlock; a deadlock reported anyway is retried. */
	for (int attempt = 0; attempt < 5; attempt++) {
		PGresult *r = PQexecParams(b->churner,
		                           "WITH pick AS (SELECT id FROM dcops.gpu WHERE id = ANY (ARRAY("
		                           " SELECT 1 + (random() * (SELECT max(id) - 1 FROM dcops.gpu))::bigint"
		                           " FROM generate_series(1, $1::int))) FOR UPDATE SKIP LOCKED) "
		                           "UPDATE dcops.gpu g SET util_pct = (util_pct + 7) % 101 "
		                           "FROM pick WHERE g.id = pick.id",
		                           1, NULL, p, NULL, NULL, 0);
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		bool deadlock = state && strcmp(state, "40P01") == 0;
		if (!deadlock && PQresultStatus(r) != PGRES_COMMAND_OK)
			bench_die("churn", PQresultErrorMessage(r));
		PQclear(r);
		if (!deadlock)
			return;
	}
	bench_die("churn", "deadlocked five times in a row");
}

/* CHURN GPU rows a second, in ten batches a second, for seconds. */
static void churn_for(struct bench *b, int seconds)
{
	int64_t end = dc_mono_ms() + seconds * 1000;
	while (dc_mono_ms() < end) {
		int64_t t = dc_mono_ms();
		churn_batch(b);
		int left = (int)(100 - (dc_mono_ms() - t));
		pump(b, left > 0 ? left : 0);
	}
}

/* frames and draw CPU from the console's DCOPS_STATS file; µs per frame or -1 */
static double draw_us_per_frame(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return -1;
	unsigned long long frames = 0;
	long long cpu = 0;
	int ok = fscanf(f, "frames %llu draw_cpu_us %lld", &frames, &cpu);
	fclose(f);
	return ok == 2 && frames ? (double)cpu / (double)frames : -1;
}

/* --xid: exporter value changed -> the incident's Xid drawn. */
static int xid_latency(struct bench *b)
{
	int64_t *lat = xcalloc((size_t)b->samples, sizeof *lat);
	int got = 0;
	spawn_console(b);
	if (wait_marker(b, 0, b->ready, 120000) < 0)
		bench_die("first screen", "the ready text never appeared");
	if (write(b->pty, "4", 1) != 1)
		bench_die("pty", "write failed");
	settle(b, 500, 5000);
	for (int i = 0; i < b->samples; i++) {
		bench_exec(b->w, "UPDATE dcops.incident SET state = 'resolved', resolved_at = now() "
		                  "WHERE source = 'dcgm' AND state <> 'resolved'", 0, NULL);
		settle(b, 300, 3000);
		/* off the scrape's phase: each sample would otherwise start a
		 * fixed time after the scrape that showed the last one */
		if (b->jitter_ms > 0)
			pump(b, rand() % b->jitter_ms);
		char code[16], cmd[4096];
		snprintf(code, sizeof code, "%d", 11111 * (1 + i % 5));
		snprintf(cmd, sizeof cmd, "%s %s", b->xid, code);
		size_t off = b->screen.len;
		int64_t t0 = dc_mono_us();
		if (system(cmd) != 0)
			bench_die("--xid", cmd);
		int64_t run = dc_mono_us() - t0;
		int64_t us = wait_marker(b, off, code, 20000);
		if (us >= 0)
			lat[got++] = run + us;
	}
	kill(b->pid, SIGTERM);
	int status;
	waitpid(b->pid, &status, 0);
	printf("| %s | %.0f / %.0f / %.0f (%d/%d seen) |\n", b->label, bench_pct_ms(lat, got, 0.5), bench_pct_ms(lat, got, 0.99),
	       bench_pct_ms(lat, got, 1.0), got, b->samples);
	free(lat);
	return got == b->samples ? 0 : 1;
}

/* --first-only: spawn -> the view on screen, -> the link UP (the load
 * whole: the header's "DB UP" replaces CONNECTING or LOADING); peak RSS
 * once the output has settled. */
static int first_screen(struct bench *b)
{
	int64_t t_spawn = dc_mono_us();
	spawn_console(b);
	if (wait_marker(b, 0, b->ready, 120000) < 0)
		bench_die("first screen", "the ready text never appeared");
	int64_t view = (dc_mono_us() - t_spawn) / 1000;
	if (b->complete && wait_marker(b, 0, b->complete, 120000) < 0)
		bench_die("first screen", "the --complete text never appeared");
	int64_t complete = (dc_mono_us() - t_spawn) / 1000;
	if (wait_marker(b, 0, "UP", 120000) < 0)
		bench_die("first screen", "the header never said DB UP");
	int64_t whole = (dc_mono_us() - t_spawn) / 1000;
	settle(b, 300, 30000);
	long hwm = rss_kb(b->pid, "VmHWM:");
	kill(b->pid, SIGTERM);
	int status;
	waitpid(b->pid, &status, 0);
	printf("| %s | %lld | %lld | %lld | %.1f |\n", b->label, (long long)view, (long long)complete,
	       (long long)whole, hwm / 1024.0);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .samples = 100, .cols = 200, .rows = 60, .churn = 1000,
	                   .seconds = 10, .label = "", .ready = "gj-" };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "dcops", required_argument, NULL, 'x' },
		{ "samples", required_argument, NULL, 'n' }, { "cols", required_argument, NULL, 'c' },
		{ "rows", required_argument, NULL, 'r' }, { "churn", required_argument, NULL, 'u' },
		{ "seconds", required_argument, NULL, 's' }, { "label", required_argument, NULL, 'l' },
		{ "pause-pid", required_argument, NULL, 'p' }, { "stats", required_argument, NULL, 'f' },
		{ "ready", required_argument, NULL, 'y' }, { "xid", required_argument, NULL, 'X' },
		{ "jitter", required_argument, NULL, 'J' }, { "first-only", no_argument, NULL, 'F' },
		{ "complete", required_argument, NULL, 'C' }, { 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': b.db = optarg; break;
		case 'x': b.dcops = optarg; break;
		case 'n': b.samples = atoi(optarg); break;
		case 'c': b.cols = atoi(optarg); break;
		case 'r': b.rows = atoi(optarg); break;
		case 'u': b.churn = atoi(optarg); break;
		case 's': b.seconds = atoi(optarg); break;
		case 'l': b.label = optarg; break;
		case 'p': b.pause_pid = (pid_t)atoi(optarg); break;
		case 'f': b.stats = optarg; break;
		case 'y': b.ready = optarg; break;
		case 'X': b.xid = optarg; break;
		case 'J': b.jitter_ms = atoi(optarg); break;
		case 'F': b.first_only = true; break;
		case 'C': b.complete = optarg; break;
		default: return 2;
		}
	}
	if (!b.db || !b.dcops || b.samples < 1)
		bench_die("usage", "--db CONNINFO --dcops PATH required");
	signal(SIGPIPE, SIG_IGN);
	b.w = bench_connect(b.db);
	b.l = bench_connect(b.db);
	b.churner = bench_connect(b.db);
	if (b.xid)
		return xid_latency(&b);
	if (b.first_only)
		return first_screen(&b);
	bench_exec(b.w, "INSERT INTO dcops.incident (sev, title, source) VALUES (1, 'bench-start', 'bench')", 0, NULL);

	int64_t *floor = xcalloc((size_t)b.samples, sizeof *floor);
	int64_t *lat = xcalloc((size_t)b.samples, sizeof *lat);
	int64_t *clat = xcalloc((size_t)b.samples, sizeof *clat);
	floor_latency(&b, floor);

	/* First full screen: the ready text has arrived (the data is loaded and
	 * drawn), then the output settles. */
	int64_t t_spawn = dc_mono_us();
	spawn_console(&b);
	if (wait_marker(&b, 0, b.ready, 120000) < 0)
		bench_die("first screen", "the ready text never appeared");
	int64_t t_ready = dc_mono_us();
	/* up to the last byte before 300 ms of quiet, not the quiet itself */
	int64_t first = (t_ready - t_spawn) / 1000 + settle(&b, 300, 30000);

	/* Idle: the data center paused, nothing changes; the nodes view is up. */
	if (b.pause_pid)
		kill(b.pause_pid, SIGSTOP);
	settle(&b, 1500, 5000);
	uint64_t before = b.bytes;
	pump(&b, b.seconds * 1000);
	double idle_bps = (double)(b.bytes - before) / b.seconds;
	if (b.pause_pid)
		kill(b.pause_pid, SIGCONT);

	/* Churn on the nodes view, where GPU changes show. */
	double cpu0 = bench_cpu_s(b.pid, false);
	before = b.bytes;
	churn_for(&b, b.seconds);
	double churn_bps = (double)(b.bytes - before) / b.seconds;
	double churn_cpu = bench_cpu_s(b.pid, false) - cpu0;

	/* Commit-to-screen on the incidents view, quiet and under churn. */
	if (write(b.pty, "4", 1) != 1)
		bench_die("pty", "write failed");
	settle(&b, 500, 5000);
	int got = 0, cgot = 0;
	console_latency(&b, lat, &got, false);
	console_latency(&b, clat, &cgot, true);

	long hwm = rss_kb(b.pid, "VmHWM:");
	kill(b.pid, SIGTERM);
	int status;
	waitpid(b.pid, &status, 0);
	double us_frame = draw_us_per_frame(b.stats);
	bench_exec(b.w, "DELETE FROM dcops.incident WHERE source = 'bench'", 0, NULL);

	printf("| %s | %d×%d | %.2f / %.2f | %.2f / %.2f (%d/%d seen) | %.2f / %.2f | %lld | %.0f | %.0f | %.3f | %.0f | %.1f |\n",
	       b.label, b.cols, b.rows, bench_pct_ms(floor, b.samples, 0.5), bench_pct_ms(floor, b.samples, 0.99),
	       bench_pct_ms(lat, got, 0.5), bench_pct_ms(lat, got, 0.99), got, b.samples,
	       bench_pct_ms(clat, cgot, 0.5), bench_pct_ms(clat, cgot, 0.99), (long long)first, idle_bps, churn_bps,
	       churn_cpu / b.seconds, us_frame, hwm / 1024.0);
	free(floor);
	free(lat);
	free(clat);
	sb_free(&b.screen);
	PQfinish(b.w);
	PQfinish(b.l);
	PQfinish(b.churner);
	return got == b.samples ? 0 : 1;
}
