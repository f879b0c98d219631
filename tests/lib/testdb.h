/* testdb.h — a fresh database for each integration test, on the private
 * cluster tests/run.sh starts (PGHOST, PGUSER in the environment): a copy
 * of the migrated template $DCOPS_TEST_TEMPLATE, or an empty database.
 * Header-only (static inline) because the Makefile links test binaries
 * with libdcops but not with tests/lib/.
 *
 * Ownership: struct testdb is caller storage. testdb_create fills it and
 * opens t->conn; testdb_connect returns further connections the caller
 * PQfinish()es before testdb_drop, which closes t->conn and drops the
 * database. Results from testdb_query are the caller's to PQclear. */
#ifndef DCOPS_TESTDB_H
#define DCOPS_TESTDB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

struct testdb {
	char name[64];
	char conninfo[96];
	PGconn *conn;
};

/* Exits 77 (skipped, for tests/run.sh) when not run under the harness. */
static inline void testdb_require(void)
{
	const char *t = getenv("DCOPS_TEST_TEMPLATE");
	if (!t || !*t) {
		printf("skipped: DCOPS_TEST_TEMPLATE is not set (run through tests/run.sh)\n");
		exit(77);
	}
	/* The binary may sit deeper than util.c's tree search reaches (SANITIZE). */
	const char *root = getenv("DCOPS_ROOT");
	if (root && *root && !getenv("DCOPS_DATADIR"))
		setenv("DCOPS_DATADIR", root, 1);
}

/* Runs one maintenance command (CREATE/DROP DATABASE) on database postgres;
 * fmt takes the quoted identifiers a and (when non-NULL) b. */
static inline bool testdb_admin(const char *fmt, const char *a, const char *b)
{
	struct dc_err err = {{0}};
	PGconn *c = db_connect_str("dbname=postgres", "dcops-test", &err);
	if (!c) {
		fprintf(stderr, "testdb: %s\n", err.msg);
		return false;
	}
	char *ia = PQescapeIdentifier(c, a, strlen(a));
	char *ib = b ? PQescapeIdentifier(c, b, strlen(b)) : NULL;
	char sql[512];
	snprintf(sql, sizeof sql, fmt, ia, ib ? ib : "");
	PQfreemem(ia);
	PQfreemem(ib);
	PGresult *r = db_exec(c, &err, sql, 0, NULL);
	if (!r)
		fprintf(stderr, "testdb: %s: %s\n", sql, err.msg);
	PQclear(r);
	PQfinish(c);
	return r != NULL;
}

static inline PGconn *testdb_connect(const struct testdb *t)
{
	struct dc_err err = {{0}};
	PGconn *c = db_connect_str(t->conninfo, "dcops-test", &err);
	if (!c)
		fprintf(stderr, "testdb: %s\n", err.msg);
	return c;
}

/* empty: a bare database (no schema) instead of a copy of the template. */
static inline int testdb_create(struct testdb *t, bool empty)
{
	static int seq;
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "dcops_test_%ld_%d", (long)getpid(), ++seq);
	snprintf(t->conninfo, sizeof t->conninfo, "dbname=%s", t->name);
	const char *tmpl = empty ? "template0" : getenv("DCOPS_TEST_TEMPLATE");
	if (!tmpl || !testdb_admin("CREATE DATABASE %s TEMPLATE %s", t->name, tmpl))
		return -1;
	t->conn = testdb_connect(t);
	return t->conn ? 0 : -1;
}

static inline void testdb_drop(struct testdb *t)
{
	if (t->conn)
		PQfinish(t->conn);
	t->conn = NULL;
	if (t->name[0])
		testdb_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name, NULL);
	t->name[0] = '\0';
}

/* Runs sql with text parameters; on failure prints the error and returns NULL. */
static inline PGresult *testdb_query(PGconn *c, const char *sql, int n, const char *const *params)
{
	struct dc_err err = {{0}};
	PGresult *r = db_exec(c, &err, sql, n, params);
	if (!r)
		fprintf(stderr, "testdb: %s\n  in: %s\n", err.msg, sql);
	return r;
}

/* Runs sql and returns true when it succeeded (the result is discarded). */
static inline bool testdb_ok(PGconn *c, const char *sql)
{
	PGresult *r = testdb_query(c, sql, 0, NULL);
	PQclear(r);
	return r != NULL;
}

/* A copy of the template with the n statements of seed run in it: 0, or -1
 * (the failing statement printed by testdb_query). */
static inline int testdb_create_seeded(struct testdb *t, const char *const *seed, size_t n)
{
	if (testdb_create(t, false) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!testdb_ok(t->conn, seed[i]))
			return -1;
	return 0;
}

/* The first column of the first row of sql as a malloc'd string ("" when
 * there is no row), or NULL on error. */
static inline char *testdb_value(PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *r = testdb_query(c, sql, n, params);
	if (!r)
		return NULL;
	char *v = xstrdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return v;
}

/* Runs sql expecting failure; copies the SQLSTATE into state[6] ("" when
 * the statement succeeded) and the primary message into msg when non-NULL. */
static inline void testdb_fails(PGconn *c, const char *sql, char state[6], char *msg, size_t n)
{
	PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	state[0] = '\0';
	if (msg && n)
		msg[0] = '\0';
	if (st == PGRES_FATAL_ERROR) {
		const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(state, 6, "%s", s ? s : "?????");
		if (msg && n)
			snprintf(msg, n, "%s", m ? m : "");
	}
	PQclear(r);
}

#endif
