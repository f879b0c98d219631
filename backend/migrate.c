/* migrate.c — ordered schema migrations and `dcops db migrate`.
 *
 * A run: list <datadir>/backend/sql (refusing badly named files), read the
 * files, have the server compute each file's sha256 (over the exact bytes,
 * so it matches `sha256sum`), then under the advisory lock create the
 * bookkeeping table if needed and check every recorded migration against
 * its file. Each pending file then runs in its own transaction, which takes
 * the lock again and re-checks the record: a concurrent runner may have
 * applied it meanwhile. */
#include "migrate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "db.h"
#include "text.h"

#define MIGRATE_MAX_FILE (16u << 20)
/* 0x64636f7073 = "dcops": one key for every runner on a database. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(431197288563)"

struct mig_file {
	int version;
	char *fname;   /* 001_schema.sql */
	char *path;
	char *body;
	size_t len;
	char sha[65];
};

struct mig_record {
	int version;
	char *fname;
	char *sha;
};

struct mig_set {
	struct mig_file *files;
	size_t nfiles, cap;
	struct mig_record *recs;
	size_t nrecs;
};

static void set_free(struct mig_set *s)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].fname);
		free(s->files[i].path);
		free(s->files[i].body);
	}
	for (size_t i = 0; i < s->nrecs; i++) {
		free(s->recs[i].fname);
		free(s->recs[i].sha);
	}
	free(s->files);
	free(s->recs);
}

/* NNN_name.sql: three to nine digits, '_', then [a-z0-9_]+, then ".sql". */
static bool name_parse(const char *fn, int *version)
{
	const char *p = fn;
	long v = 0;
	while (*p >= '0' && *p <= '9' && p - fn < 9)
		v = v * 10 + (*p++ - '0');
	if (p - fn < 3 || *p++ != '_')
		return false;
	const char *stem = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	if (p == stem || strcmp(p, ".sql") != 0)
		return false;
	*version = (int)v;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int file_cmp(const void *a, const void *b)
{
	const struct mig_file *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

/* Adds one directory entry; anything that looks like a migration must be one. */
static int add_entry(struct mig_set *s, const char *dir, const char *fn, struct dc_err *err)
{
	if (fn[0] == '.' || !(ends_with(fn, ".sql") || (fn[0] >= '0' && fn[0] <= '9')))
		return 0;
	char *path = xasprintf("%s/%s", dir, fn);
	int version;
	struct stat st;
	if (!name_parse(fn, &version)) {
		dc_err_set(err, "%s: not a migration file name (want NNN_name.sql: three or more "
		           "digits, '_', then lower-case letters, digits or '_')", path);
		free(path);
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		dc_err_set(err, "%s: not a regular file", path);
		free(path);
		return -1;
	}
	s->files = xgrow(s->files, &s->cap, s->nfiles + 1, sizeof *s->files);
	s->files[s->nfiles++] = (struct mig_file){ .version = version, .fname = xstrdup(fn),
	                                           .path = path };
	return 0;
}

static int files_load(struct mig_set *s, struct dc_err *err)
{
	char *dir = xasprintf("%s/backend/sql", dc_datadir());
	DIR *d = opendir(dir);
	if (!d) {
		dc_err_set(err, "%s: cannot open the migrations directory", dir);
		free(dir);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)))
		rc = add_entry(s, dir, e->d_name, err);
	closedir(d);
	free(dir);
	if (rc != 0)
		return -1;
	qsort(s->files, s->nfiles, sizeof *s->files, file_cmp);
	for (size_t i = 0; i < s->nfiles; i++) {
		struct mig_file *f = &s->files[i];
		if (i > 0 && f->version == s->files[i - 1].version)
			return dc_err_set(err, "%s and %s share version %d", s->files[i - 1].path,
			                  f->path, f->version);
		if (dc_read_file(f->path, MIGRATE_MAX_FILE, &f->body, &f->len, err) != 0)
			return -1;
		if (memchr(f->body, '\0', f->len))
			return dc_err_set(err, "%s: contains a NUL byte", f->path);
	}
	return 0;
}

/* The server hashes the file's bytes (sent as bytea): no hashing code here. */
static int files_checksum(PGconn *c, struct mig_set *s, struct dc_err *err)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		struct mig_file *f = &s->files[i];
		const char *vals[] = { f->body };
		const int lens[] = { (int)f->len };
		const int fmts[] = { 1 };
		PGresult *r = PQexecParams(c, "SELECT encode(sha256($1::bytea), 'hex')", 1, NULL,
		                           vals, lens, fmts, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			db_err_result(err, c, r, f->path);
			PQclear(r);
			return -1;
		}
		snprintf(f->sha, sizeof f->sha, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return 0;
}

static int exec_simple(PGconn *c, const char *sql, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, sql, 0, NULL);
	PQclear(r);
	return r ? 0 : -1;
}

static void rollback(PGconn *c)
{
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, "ROLLBACK"));
}

/* Starts a transaction that holds the migration lock; NOTICEs (IF NOT
 * EXISTS, repeated GRANTs) stay quiet, warnings still show. */
static int begin_locked(PGconn *c, struct dc_err *err)
{
	if (exec_simple(c, "BEGIN", err) != 0 ||
	    exec_simple(c, "SET LOCAL client_min_messages = warning", err) != 0 ||
	    exec_simple(c, MIGRATE_LOCK_SQL, err) != 0) {
		rollback(c);
		return -1;
	}
	return 0;
}

static int records_load(PGconn *c, struct mig_set *s, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, "SELECT version, name, sha256 FROM dcops.schema_migrations "
	                              "ORDER BY version", 0, NULL);
	if (!r)
		return -1;
	s->nrecs = (size_t)PQntuples(r);
	s->recs = xcalloc(s->nrecs, sizeof *s->recs);
	for (size_t i = 0; i < s->nrecs; i++) {
		s->recs[i].version = atoi(PQgetvalue(r, (int)i, 0));
		s->recs[i].fname = xstrdup(PQgetvalue(r, (int)i, 1));
		s->recs[i].sha = xstrdup(PQgetvalue(r, (int)i, 2));
	}
	PQclear(r);
	return 0;
}

/* Under the lock: the bookkeeping table (unless dry_run, which writes
 * nothing and treats a missing table as "nothing applied") and the records. */
static int records_fetch(PGconn *c, bool dry_run, struct mig_set *s, struct dc_err *err)
{
	if (begin_locked(c, err) != 0)
		return -1;
	int rc = 0;
	if (!dry_run) {
		rc = exec_simple(c, "CREATE SCHEMA IF NOT EXISTS dcops", err);
		if (rc == 0)
			rc = exec_simple(c, "CREATE TABLE IF NOT EXISTS dcops.schema_migrations ("
			                    " version integer PRIMARY KEY,"
			                    " name text NOT NULL,"
			                    " sha256 text NOT NULL,"
			                    " applied_at timestamptz NOT NULL DEFAULT now(),"
			                    " applied_by text NOT NULL DEFAULT session_user)", err);
	}
	PGresult *r = rc == 0 ? db_exec(c, err, "SELECT to_regclass('dcops.schema_migrations') "
	                                        "IS NOT NULL", 0, NULL) : NULL;
	if (!r)
		rc = -1;
	else if (strcmp(PQgetvalue(r, 0, 0), "t") == 0)
		rc = records_load(c, s, err);
	PQclear(r);
	if (rc == 0)
		rc = exec_simple(c, "COMMIT", err);
	rollback(c);
	return rc;
}

static const struct mig_file *file_find(const struct mig_set *s, int version)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].version == version)
			return &s->files[i];
	return NULL;
}

static const struct mig_record *rec_find(const struct mig_set *s, int version)
{
	for (size_t i = 0; i < s->nrecs; i++)
		if (s->recs[i].version == version)
			return &s->recs[i];
	return NULL;
}

/* A file may only run if it matches what was applied under its number. */
static int check_record(const struct mig_file *f, const char *rec_fname, const char *rec_sha,
                        struct dc_err *err)
{
	if (strcmp(f->fname, rec_fname) != 0)
		return dc_err_set(err, "%s: version %d was applied as %s; a migration's file "
		                  "cannot be renamed or replaced", f->path, f->version, rec_fname);
	if (strcmp(f->sha, rec_sha) != 0)
		return dc_err_set(err, "%s changed after it was applied: recorded sha256 %s, "
		                  "file now %s (add a new migration instead of editing this one)",
		                  f->path, rec_sha, f->sha);
	return 0;
}

static int records_verify(const struct mig_set *s, struct dc_err *err)
{
	const struct mig_record *newest = s->nrecs ? &s->recs[s->nrecs - 1] : NULL;
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct mig_record *rec = &s->recs[i];
		const struct mig_file *f = file_find(s, rec->version);
		if (!f)
			return dc_err_set(err, "migration %s is recorded as applied but %s/backend/sql/%s "
			                  "is missing (is this dcops older than the database?)",
			                  rec->fname, dc_datadir(), rec->fname);
		if (check_record(f, rec->fname, rec->sha, err) != 0)
			return -1;
	}
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct mig_file *f = &s->files[i];
		if (newest && !rec_find(s, f->version) && f->version < newest->version)
			return dc_err_set(err, "%s is older than the newest applied migration %s; "
			                  "renumber it after %d", f->path, newest->fname, newest->version);
	}
	return 0;
}

/* 1-based line of a 1-based character position in a UTF-8 body. */
static int line_of(const char *body, long pos)
{
	int line = 1;
	for (const char *p = body; *p && pos > 1; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80)
			pos--;
		if (*p == '\n')
			line++;
	}
	return line;
}

static int body_run(PGconn *c, const struct mig_file *f, struct dc_err *err)
{
	PGresult *r = PQexec(c, f->body);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
		char *where = pos ? xasprintf("%s:%d", f->path, line_of(f->body, atol(pos)))
		                  : xstrdup(f->path);
		db_err_result(err, c, r, where);
		free(where);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (PQtransactionStatus(c) != PQTRANS_INTRANS)
		return dc_err_set(err, "%s ended its own transaction (remove BEGIN/COMMIT: each "
		                  "file already runs in one)", f->path);
	return 0;
}

/* Applies one file in its own transaction. Returns 1 when applied, 0 when
 * a concurrent runner had already applied it, -1 on error. */
static int file_apply(PGconn *c, const struct mig_file *f, struct dc_err *err)
{
	if (begin_locked(c, err) != 0)
		return -1;
	char version[16];
	snprintf(version, sizeof version, "%d", f->version);
	const char *p1[] = { version };
	PGresult *r = db_exec(c, err, "SELECT name, sha256 FROM dcops.schema_migrations "
	                              "WHERE version = $1::integer", 1, p1);
	int rc = r ? 1 : -1;
	if (r && PQntuples(r) == 1)
		rc = check_record(f, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), err) == 0 ? 0 : -1;
	PQclear(r);
	if (rc == 1 && body_run(c, f, err) != 0)
		rc = -1;
	if (rc == 1) {
		const char *p3[] = { version, f->fname, f->sha };
		r = db_exec(c, err, "INSERT INTO dcops.schema_migrations "
		                    "(version, name, sha256, applied_at, applied_by) "
		                    "VALUES ($1::integer, $2, $3, now(), session_user)", 3, p3);
		if (!r)
			rc = -1;
		PQclear(r);
	}
	if (rc >= 0 && exec_simple(c, "COMMIT", err) != 0)
		rc = -1;
	rollback(c);
	return rc;
}

static int apply_pending(PGconn *c, const struct mig_set *s, bool dry_run, bool verbose,
                         struct migrate_result *res, struct dc_err *err)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct mig_file *f = &s->files[i];
		if (rec_find(s, f->version)) {
			res->current++;
			continue;
		}
		if (dry_run) {
			res->applied++;
			if (verbose)
				printf("pending %s\n", f->fname);
			continue;
		}
		int64_t t0 = dc_mono_us();
		int rc = file_apply(c, f, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			res->current++;
			continue;
		}
		res->applied++;
		if (verbose)
			printf("applied %-32s %6.1f ms\n", f->fname, (double)(dc_mono_us() - t0) / 1000.0);
	}
	return 0;
}

int migrate_apply(PGconn *c, bool dry_run, bool verbose, struct migrate_result *res,
                  struct dc_err *err)
{
	struct migrate_result local;
	if (!res)
		res = &local;
	*res = (struct migrate_result){0};
	int64_t t0 = dc_mono_us();
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		return dc_err_set(err, "the connection is busy or inside a transaction");
	struct mig_set s = {0};
	int rc = files_load(&s, err);
	if (rc == 0)
		rc = files_checksum(c, &s, err);
	if (rc == 0)
		rc = records_fetch(c, dry_run, &s, err);
	if (rc == 0)
		rc = records_verify(&s, err);
	if (rc == 0)
		rc = apply_pending(c, &s, dry_run, verbose, res, err);
	set_free(&s);
	res->ms = (double)(dc_mono_us() - t0) / 1000.0;
	return rc;
}

static int migrate_usage(void)
{
	fprintf(stderr, "dcops: usage: dcops db migrate [--dry-run]\n");
	return 2;
}

int migrate_cmd(const struct dc_opts *o, int argc, char **argv)
{
	bool dry_run = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0)
			dry_run = true;
		else
			return migrate_usage();
	}
	struct dc_err err = {{0}};
	PGconn *c = db_connect(o, "dcops migrate", &err);
	if (!c) {
		text_putline(stderr, "dcops: migrate: %s", err.msg);
		return 1;
	}
	struct migrate_result res;
	int rc = migrate_apply(c, dry_run, true, &res, &err);
	PQfinish(c);
	if (rc != 0) {
		text_putline(stderr, "dcops: migrate: %s", err.msg);
		return 1;
	}
	if (dry_run)
		printf("migrate: %d pending, %d current, %.0f ms (dry run: nothing applied)\n",
		       res.applied, res.current, res.ms);
	else
		printf("migrate: %d applied, %d current, %.0f ms\n", res.applied, res.current, res.ms);
	return 0;
}
