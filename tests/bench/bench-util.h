/* bench-util.h — what the bench tools (console.c, consoles.c) share:
 * dying with one line, libpq one-liners, the fields of /proc/PID/stat,
 * and one percentile rule, so their tables are computed alike. Header
 * only (static inline): each tool is one .c linked against libdcops.a
 * (the Makefile's $(BUILD)/bench/% rule). Define BENCH_NAME (the prefix
 * of error lines) before including it.
 *
 * Ownership: bench_query1 returns a malloc'd string the caller frees;
 * nothing else here allocates. */
#ifndef DCOPS_BENCH_UTIL_H
#define DCOPS_BENCH_UTIL_H

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench-util.h"
#endif

static inline void bench_die(const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s: %s\n", BENCH_NAME, what, detail);
	exit(1);
}

static inline PGconn *bench_connect(const char *db)
{
	PGconn *c = PQconnectdb(db);
	if (PQstatus(c) != CONNECTION_OK)
		bench_die("connect", PQerrorMessage(c));
	return c;
}

/* Runs sql (n text parameters); dies on an error. The first row's first
 * value, or "" (malloc'd). */
static inline char *bench_query1(PGconn *c, const char *sql, int n, const char *const *p)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		bench_die(sql, PQresultErrorMessage(r));
	char *v = xstrdup(st == PGRES_TUPLES_OK && PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return v;
}

static inline void bench_exec(PGconn *c, const char *sql, int n, const char *const *p)
{
	free(bench_query1(c, sql, n, p));
}

/* The numeric fields of /proc/PID/stat after the command and the state
 * letter, into f[0..14): ppid, pgrp, session, tty, tpgid, flags, minflt,
 * cminflt, majflt, cmajflt, utime, stime, cutime, cstime (clock ticks).
 * false when the process is gone. */
enum { BENCH_PPID = 0, BENCH_UTIME = 10, BENCH_STIME, BENCH_CUTIME, BENCH_CSTIME, BENCH_NSTAT };
static inline bool bench_proc_stat(const char *pid, long long f[BENCH_NSTAT])
{
	char path[300], buf[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	const char *s = strrchr(buf, ')'); /* the command may hold spaces and ')' */
	if (!s || !s[1] || !s[2] || !s[3])
		return false;
	s += 4; /* ") S " */
	for (int i = 0; i < BENCH_NSTAT; i++) {
		char *end;
		f[i] = strtoll(s, &end, 10);
		if (end == s)
			return false;
		s = end;
	}
	return true;
}

/* CPU seconds of pid so far (with its reaped children's: reaped). */
static inline double bench_cpu_s(pid_t pid, bool reaped)
{
	char id[24];
	long long f[BENCH_NSTAT];
	snprintf(id, sizeof id, "%d", (int)pid);
	if (!bench_proc_stat(id, f))
		return 0;
	long long t = f[BENCH_UTIME] + f[BENCH_STIME] + (reaped ? f[BENCH_CUTIME] + f[BENCH_CSTIME] : 0);
	return (double)t / (double)sysconf(_SC_CLK_TCK);
}

static inline int bench_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The q quantile of v[0..n) in µs (sorted here), in ms: the value at rank
 * round(q·(n-1)); -1 for none. */
static inline double bench_pct_ms(int64_t *v, int n, double q)
{
	if (n <= 0)
		return -1;
	qsort(v, (size_t)n, sizeof *v, bench_cmp_i64);
	int i = (int)(q * (n - 1) + 0.5);
	return (double)v[i < n ? i : n - 1] / 1000.0;
}

#endif
