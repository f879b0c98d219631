#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "db.h"
#include "migrate.h"
#include "pgcluster.h"
#include "seed.h"
#include "text.h"

extern char **environ;

#define DEMO_SPEED "60"
/* At the reference hazard 290 nodes fail about once per simulated 15 hours,
 * a quarter of an hour of demo: ten times that gives an operator something
 * to act on within minutes. dcopsd alone keeps the reference rate. */
#define DEMO_FAULT_X "10"
#define DEMO_PG_STOP_S 30
#define DEMO_DCOPSD_STOP_MS 10000
#define DEMO_DCOPSD_START_MS 10000
/* Where root's demo goes when PostgreSQL's user cannot reach its own var/
 * (a tree under /root): one directory per tree, named by a hash of it. */
#define DEMO_MOVED_BASE "/var/lib/dcops"

/* The demo's sites, each a database in the one cluster with its own
 * simulator: Gwangju, and with --sites 2 the Pangyo interim cluster (2021),
 * seeded from the same fleet file at a tenth of the size, with its own
 * names and its own random seeds, so the two move and fail independently. */
struct demo_site {
	const char *name;        /* the console's site name */
	const char *dbname;      /* a constant: it is written into CREATE DATABASE */
	const char *file;        /* dcopsd's pid and log files: <file>.pid, log/<file>.log */
	struct seed_opts seed;
	const char *sim_seed;    /* dcopsd --seed; NULL: its default */
};
static const struct demo_site demo_sites[] = {
	{ "gwangju", DB_DEMO_DBNAME, "dcopsd", { 0 }, NULL },
	{ "pangyo", DB_DEMO_DBNAME "_pangyo", "dcopsd-pangyo",
	  { .scale = 0.1, .seed = 20210601, .site_code = "PG-IC",
	    .site_name = "판교 임시 클러스터 (Pangyo interim cluster)", .name_prefix = "pg" },
	  "20210601" },
};
#define DEMO_SITES ((int)DC_ARRAY_LEN(demo_sites))

struct demo_paths {
	char *var, *pg, *run, *log, *server_log, *lock;
	char *dcopsd_log, *dcopsd_pid;   /* the site's simulator being handled */
	char *sim_log[DEMO_SITES], *sim_pid[DEMO_SITES];
};

/* Points the dcopsd paths at site i's simulator. */
static void demo_paths_site(struct demo_paths *p, int i)
{
	p->dcopsd_log = p->sim_log[i];
	p->dcopsd_pid = p->sim_pid[i];
}

static int demo_paths_init(struct demo_paths *p, struct dc_err *err)
{
	const char *var = dc_vardir();
	if (var[0] != '/')
		return dc_err_set(err, "DCOPS_VAR=%s must be an absolute path", var);
	p->var = xstrdup(var);
	p->pg = xasprintf("%s/pg", var);
	p->run = xstrdup(db_demo_sockdir());
	p->log = xasprintf("%s/log", var);
	p->server_log = xasprintf("%s/log/server.log", var);
	/* Not in run/, which belongs to PostgreSQL's user: root writes it. */
	for (int i = 0; i < DEMO_SITES; i++) {
		p->sim_log[i] = xasprintf("%s/log/%s.log", var, demo_sites[i].file);
		p->sim_pid[i] = xasprintf("%s/%s.pid", var, demo_sites[i].file);
	}
	demo_paths_site(p, 0);
	p->lock = xasprintf("%s/demo.lock", var);
	return 0;
}

static void demo_paths_free(struct demo_paths *p)
{
	free(p->var); free(p->pg); free(p->run); free(p->log);
	free(p->server_log); free(p->lock);
	for (int i = 0; i < DEMO_SITES; i++) {
		free(p->sim_log[i]);
		free(p->sim_pid[i]);
	}
}

static void info(bool quiet, const char *fmt, ...) DC_PRINTF(2, 3);
static void info(bool quiet, const char *fmt, ...)
{
	if (quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("dcops demo: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Creates dir with mode unless it is there; it must then be a real
 * directory of the caller's that nobody else can write (what root writes in
 * it is safe only then), and gets mode. */
static int own_dir(const char *dir, mode_t mode, struct dc_err *err)
{
	if (mkdir(dir, mode) == -1 && errno != EEXIST)
		return dc_err_set(err, "cannot create %s: %s", dir, strerror(errno));
	struct stat st;
	if (lstat(dir, &st) == -1)
		return dc_err_set(err, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return dc_err_set(err, "%s is not a directory%s", dir,
		                  S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
	if (st.st_uid != geteuid())
		return dc_err_set(err, "%s belongs to uid %d, not to you (uid %d); give the demo a "
		                  "directory of its own: DCOPS_VAR=...", dir, (int)st.st_uid,
		                  (int)geteuid());
	if (st.st_mode & 022)
		return dc_err_set(err, "%s can be written by others (mode %04o); give the demo a "
		                  "directory of its own: DCOPS_VAR=...", dir,
		                  (unsigned)(st.st_mode & 07777));
	if ((st.st_mode & 07777) != mode && chmod(dir, mode) == -1)
		return dc_err_set(err, "cannot chmod %s: %s", dir, strerror(errno));
	return 0;
}

/* The demo's var/: private to the caller (0700), or, for root, 0711 so
 * that PostgreSQL's user can pass through to pg/ and run/ but list and read
 * nothing else. Missing parents are created 0755. */
static int var_make(const char *var, struct dc_err *err)
{
	char *p = xstrdup(var);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			break;
		*s = '/';
	}
	free(p);
	return own_dir(var, geteuid() == 0 ? 0711 : 0700, err);
}

/* The nearest existing ancestor of path (path itself excluded). */
static char *existing_parent(const char *path)
{
	char *p = xstrdup(path);
	char *slash;
	while ((slash = strrchr(p, '/')) != NULL) {
		*(slash == p ? slash + 1 : slash) = '\0';
		if (is_dir(p) || slash == p)
			break;
	}
	return p;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Root in a tree PostgreSQL's user cannot reach (a clone under /root):
 * the demo moves to DEMO_MOVED_BASE/demo-<hash of the tree's var/>, and the
 * tree's var/location records it for every later dcops command. Nothing
 * moves when DCOPS_VAR is set, when it has moved already, or when the
 * tree's var/ is reachable. */
static int var_locate(bool quiet, struct dc_err *err)
{
	const char *env = getenv("DCOPS_VAR");
	if (geteuid() != 0 || (env && *env) || dc_vardir_pointer())
		return 0;
	const char *local = dc_vardir_local();
	char *parent = existing_parent(local);
	int reach = pgcluster_owner_can_enter(parent, NULL);
	free(parent);
	if (reach != 0)
		return 0; /* reachable, or no such user: demo_up says so */
	char *dir = xasprintf("%s/demo-%016llx", DEMO_MOVED_BASE,
	                      (unsigned long long)fnv1a(local));
	int rc = -1;
	if (var_make(local, err) == 0 && own_dir(DEMO_MOVED_BASE, 0755, err) == 0 &&
	    own_dir(dir, 0711, err) == 0 && dc_vardir_move(dir, err) == 0) {
		info(quiet, "PostgreSQL's user cannot reach %s (a parent directory is closed to it): "
		     "the demo lives in %s, recorded in %s", local, dir, dc_vardir_pointer());
		rc = 0;
	}
	free(dir);
	return rc;
}

/* Serialises demo starts and stops on one var/ (released by close). */
static int lock_take(const struct demo_paths *p, struct dc_err *err)
{
	int fd = open(p->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return dc_err_set(err, "cannot open %s: %s", p->lock, strerror(errno));
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			close(fd);
			return dc_err_set(err, "cannot lock %s: %s", p->lock, strerror(errno));
		}
	}
	return fd;
}

/* The running dcopsd of this demo, or 0: the pid file must name a live
 * process called dcopsd (a reused pid belongs to someone else). */
static pid_t dcopsd_pid(const struct demo_paths *p)
{
	pid_t pid = pgcluster_read_pid(p->dcopsd_pid);
	return pid > 0 && pgcluster_proc_alive(pid) && pgcluster_proc_named(pid, "dcopsd") ? pid : 0;
}

/* The running binary's path, into exe[PATH_MAX]. */
static int self_exe(char *exe, struct dc_err *err)
{
	ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX - 1);
	if (n <= 0)
		return dc_err_set(err, "cannot read /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	return 0;
}

/* dcopsd sits next to the dcops binary (build/bin, or PREFIX/bin). */
static char *dcopsd_path(struct dc_err *err)
{
	char exe[PATH_MAX];
	if (self_exe(exe, err) == -1)
		return NULL;
	*strrchr(exe, '/') = '\0';
	char *path = xasprintf("%s/dcopsd", exe);
	if (access(path, X_OK) == 0)
		return path;
	dc_err_set(err, "dcopsd not found next to dcops (%s); build it with make", path);
	free(path);
	return NULL;
}

static int write_pidfile(const char *path, pid_t pid, struct dc_err *err)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%d\n", (int)pid);
	return dc_file_replace(path, line, (size_t)n, 0644, (uid_t)-1, (gid_t)-1, err);
}

/* Waits until dcopsd has written its pid file and is still alive half a
 * second after starting (a bad database or option makes it exit at once).
 * Writes the pid file itself if dcopsd has not within the time allowed. */
static int dcopsd_settle(const struct demo_paths *p, pid_t pid, struct dc_err *err)
{
	int64_t start = dc_mono_ms();
	for (;;) {
		if (!pgcluster_proc_alive(pid)) {
			char last[300];
			pgcluster_log_last(p->dcopsd_log, false, last, sizeof last);
			return dc_err_set(err, "dcopsd exited at start%s%s; see %s", last[0] ? ": " : "",
			                  last, p->dcopsd_log);
		}
		int64_t took = dc_mono_ms() - start;
		if (took >= 500 && pgcluster_read_pid(p->dcopsd_pid) == pid)
			return 0;
		if (took >= DEMO_DCOPSD_START_MS)
			return write_pidfile(p->dcopsd_pid, pid, err);
		usleep(50000);
	}
}

/* The demo cluster's conninfo for site s's database (libpq takes the
 * last dbname given). */
static char *site_conninfo(const struct demo_site *s)
{
	char *base = db_demo_conninfo();
	char *ci = xasprintf("%s dbname=%s", base, s->dbname);
	free(base);
	return ci;
}

static int dcopsd_start(const struct demo_paths *p, const struct demo_site *s, bool quiet,
                        pid_t *out, struct dc_err *err)
{
	pid_t pid = dcopsd_pid(p);
	if (pid > 0) {
		info(quiet, "dcopsd already running (pid %d)", (int)pid);
		*out = pid;
		return 0;
	}
	pid_t stale = pgcluster_read_pid(p->dcopsd_pid);
	if (unlink(p->dcopsd_pid) == 0)
		info(quiet, "removed a stale dcopsd.pid (pid %d is not running dcopsd)", (int)stale);
	char *exe = dcopsd_path(err);
	if (!exe)
		return -1;
	char *conninfo = site_conninfo(s);
	char *argv[] = { exe, "--adapter", "sim", "--speed", DEMO_SPEED, "--fault-x", DEMO_FAULT_X,
	                 "--db", conninfo,
	                 "--log", p->dcopsd_log, "--pidfile", p->dcopsd_pid,
	                 s->sim_seed ? "--seed" : NULL, (char *)s->sim_seed, NULL };
	pid = pgcluster_spawn(argv, environ, p->dcopsd_log, NULL, err);
	free(exe);
	free(conninfo);
	if (pid == -1 || dcopsd_settle(p, pid, err) == -1)
		return -1;
	info(quiet, "started dcopsd --adapter sim --speed %s --fault-x %s for %s (pid %d)", DEMO_SPEED,
	     DEMO_FAULT_X, s->name, (int)pid);
	*out = pid;
	return 0;
}

static int dcopsd_stop(const struct demo_paths *p, bool quiet, struct dc_err *err)
{
	pid_t pid = dcopsd_pid(p);
	if (pid <= 0) {
		if (unlink(p->dcopsd_pid) == 0)
			info(quiet, "removed a stale dcopsd.pid");
		info(quiet, "dcopsd was not running");
		return 0;
	}
	if (kill(pid, SIGTERM) == -1 && errno != ESRCH)
		return dc_err_set(err, "cannot stop dcopsd (pid %d): %s", (int)pid, strerror(errno));
	if (!pgcluster_proc_wait_gone(pid, DEMO_DCOPSD_STOP_MS)) {
		info(quiet, "dcopsd (pid %d) ignored SIGTERM for %d s; killing it", (int)pid,
		     DEMO_DCOPSD_STOP_MS / 1000);
		kill(pid, SIGKILL);
		if (!pgcluster_proc_wait_gone(pid, 5000))
			return dc_err_set(err, "dcopsd (pid %d) did not stop, even on SIGKILL", (int)pid);
	}
	unlink(p->dcopsd_pid);
	info(quiet, "stopped dcopsd (pid %d)", (int)pid);
	return 0;
}

/* Appends a libpq conninfo value, single-quoted. */
static void conninfo_add(struct sb *sb, const char *key, const char *val)
{
	sb_appendf(sb, "%s%s='", sb->len ? " " : "", key);
	for (const char *s = val; *s; s++) {
		if (*s == '\'' || *s == '\\')
			sb_append(sb, "\\");
		sb_appendn(sb, s, 1);
	}
	sb_append(sb, "'");
}

static int exec_ok(PGconn *c, const char *sql, int n, const char *const *params,
                   struct dc_err *err)
{
	PGresult *r = db_exec(c, err, sql, n, params);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static int database_create(const struct pgcluster *pc, const struct demo_site *s, bool quiet,
                           struct dc_err *err)
{
	struct sb ci = {0};
	char port[16];
	snprintf(port, sizeof port, "%d", pc->port);
	conninfo_add(&ci, "host", pc->sockdir);
	conninfo_add(&ci, "port", port);
	conninfo_add(&ci, "dbname", "postgres");
	conninfo_add(&ci, "user", pc->role);
	PGconn *c = db_connect_str(ci.buf, "dcops demo", err);
	sb_free(&ci);
	if (!c)
		return -1;
	const char *params[] = { s->dbname };
	PGresult *r = db_exec(c, err, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
	                      1, params);
	int rc = r ? 0 : -1;
	if (r && PQntuples(r) == 0) {
		char *sql = xasprintf("CREATE DATABASE %s", s->dbname);
		rc = exec_ok(c, sql, 0, NULL, err);
		free(sql);
		if (rc == 0)
			info(quiet, "created database %s", s->dbname);
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* Migrates, seeds an empty fleet and marks the database as a demo. */
static int database_prepare(const struct demo_site *s, bool quiet, struct dc_err *err)
{
	char *conninfo = site_conninfo(s);
	PGconn *c = db_connect_str(conninfo, "dcops demo", err);
	free(conninfo);
	if (!c)
		return -1;
	struct migrate_result mr = {0};
	struct seed_result sr = {0};
	struct seed_opts so = s->seed;
	int rc = -1, seeded;
	if (migrate_apply(c, false, false, &mr, err) == -1)
		goto out;
	if (mr.applied)
		info(quiet, "applied %d migrations in %.0f ms", mr.applied, mr.ms);
	seeded = seed_load(c, &so, &sr, err);
	if (seeded == -1)
		goto out;
	if (seeded == 0)
		info(quiet, "seeded %s: %d nodes, %d accelerators, %d racks, %d tenants in %.0f ms",
		     s->name, sr.nodes, sr.gpus, sr.racks, sr.tenants, sr.ms);
	rc = exec_ok(c, "INSERT INTO dcops.setting (key, value) VALUES ('environment', 'demo') "
	                "ON CONFLICT (key) DO UPDATE SET value = excluded.value "
	                "WHERE setting.value <> excluded.value", 0, NULL, err);
out:
	PQfinish(c);
	return rc;
}

static int demo_up(struct demo_paths *p, int sites, bool quiet, struct demo_state *st,
                   struct dc_err *err)
{
	struct pgcluster pc;
	pgcluster_open(&pc, p->pg, p->run, p->server_log, DB_DEMO_PORT);
	int rc = -1, r;
	if ((r = pgcluster_init(&pc, err)) == -1)
		goto out;
	if (r == 1)
		info(quiet, "created a PostgreSQL %s cluster in %s", pgcluster_version(&pc), p->pg);
	r = pgcluster_start(&pc, err);
	if (pc.note[0])
		info(quiet, "%s", pc.note);
	if (r == -1)
		goto out;
	st->cluster = true;
	st->postgres = pgcluster_pid(&pc);
	info(quiet, "PostgreSQL %s (pid %d)", r == 1 ? "already running" : "started",
	     (int)st->postgres);
	for (int i = 0; i < sites; i++) {
		const struct demo_site *s = &demo_sites[i];
		demo_paths_site(p, i);
		if (database_create(&pc, s, quiet, err) == -1 || database_prepare(s, quiet, err) == -1 ||
		    dcopsd_start(p, s, quiet, i ? &st->sites[i] : &st->dcopsd, err) == -1)
			goto out;
	}
	st->sites[0] = st->dcopsd;
	/* a site an earlier --sites started runs on: the summary says so */
	for (int i = sites; i < DEMO_SITES; i++) {
		demo_paths_site(p, i);
		st->sites[i] = dcopsd_pid(p);
	}
	rc = 0;
out:
	pgcluster_free(&pc);
	return rc;
}

int demo_start(bool quiet, int sites, struct demo_state *st, struct dc_err *err)
{
	memset(st, 0, sizeof *st);
	struct demo_paths p = {0};
	if (var_locate(quiet, err) == -1 || demo_paths_init(&p, err) == -1)
		return -1;
	int rc = -1, lock = -1;
	if (var_make(p.var, err) == 0 && own_dir(p.log, 0700, err) == 0 &&
	    (lock = lock_take(&p, err)) != -1)
		rc = demo_up(&p, sites, quiet, st, err);
	if (lock != -1)
		close(lock);
	demo_paths_free(&p);
	return rc;
}

int demo_stop(bool quiet, struct dc_err *err)
{
	struct demo_paths p = {0};
	if (demo_paths_init(&p, err) == -1)
		return -1;
	if (!is_dir(p.var)) {
		info(quiet, "nothing to stop: no demo in %s", p.var);
		demo_paths_free(&p);
		return 0;
	}
	int rc = -1, lock = lock_take(&p, err), stopped = 0;
	/* every site's simulator, whichever were started */
	for (int i = 0; lock != -1 && i < DEMO_SITES && stopped == 0; i++) {
		demo_paths_site(&p, i);
		if (i == 0 || dcopsd_pid(&p) > 0)
			stopped = dcopsd_stop(&p, quiet, err);
	}
	if (lock != -1 && stopped == 0) {
		struct pgcluster pc;
		pgcluster_open(&pc, p.pg, p.run, p.server_log, DB_DEMO_PORT);
		pid_t pid = pgcluster_pid(&pc);
		int r = pgcluster_stop(&pc, DEMO_PG_STOP_S, err);
		if (pc.note[0])
			info(quiet, "%s", pc.note);
		if (r == 0)
			info(quiet, "stopped PostgreSQL (pid %d)", (int)pid);
		else if (r == 1)
			info(quiet, "PostgreSQL was not running");
		rc = r == -1 ? -1 : 0;
		pgcluster_free(&pc);
	}
	if (lock != -1)
		close(lock);
	demo_paths_free(&p);
	return rc;
}

void demo_query(struct demo_state *st)
{
	memset(st, 0, sizeof *st);
	struct demo_paths p = {0};
	if (demo_paths_init(&p, NULL) == -1)
		return;
	struct pgcluster pc;
	pgcluster_open(&pc, p.pg, p.run, p.server_log, DB_DEMO_PORT);
	st->cluster = pgcluster_exists(&pc);
	st->postgres = pgcluster_pid(&pc);
	st->dcopsd = dcopsd_pid(&p);
	for (int i = 0; i < DEMO_SITES; i++) {
		demo_paths_site(&p, i);
		st->sites[i] = dcopsd_pid(&p);
	}
	pgcluster_free(&pc);
	demo_paths_free(&p);
}

/* ---- dcops demo ------------------------------------------------------ */

static int demo_status(void)
{
	struct demo_state st;
	demo_query(&st);
	struct demo_paths p = {0};
	struct dc_err err;
	if (demo_paths_init(&p, &err) == -1) {
		text_putline(stderr, "dcops: demo: %s", err.msg);
		return 1;
	}
	printf("demo in %s\n", p.var);
	if (dc_vardir_pointer())
		printf("  (moved there from %s, recorded in %s)\n", dc_vardir_local(), dc_vardir_pointer());
	if (st.postgres)
		printf("  PostgreSQL  running (pid %d), socket in %s, log %s\n", (int)st.postgres,
		       p.run, p.server_log);
	else
		printf("  PostgreSQL  %s\n", st.cluster ? "stopped" : "no cluster yet");
	if (st.dcopsd)
		printf("  dcopsd      running (pid %d), log %s\n", (int)st.dcopsd, p.dcopsd_log);
	else
		printf("  dcopsd      not running\n");
	for (int i = 1; i < DEMO_SITES; i++)
		if (st.sites[i])
			printf("  %-11s dcopsd running (pid %d), database %s, log %s\n", demo_sites[i].name,
			       (int)st.sites[i], demo_sites[i].dbname, p.sim_log[i]);
	demo_paths_free(&p);
	if (st.postgres && st.dcopsd)
		return 0;
	text_putline(stderr, "dcops: demo: %s is not running (dcops demo starts it)",
	             st.postgres ? "dcopsd" : "the demo cluster");
	return 1;
}

static void demo_summary(const struct demo_state *st)
{
	char exe[PATH_MAX];
	if (self_exe(exe, NULL) == -1)
		snprintf(exe, sizeof exe, "dcops");
	const char *var = dc_vardir();
	printf("The Gwangju data center is running (simulated time %sx, faults %sx the reference rate).\n"
	       "  data       %s (PostgreSQL, Unix socket only, no TCP port)\n"
	       "  psql       psql -h %s -d %s\n"
	       "  simulator  dcopsd pid %d, log %s/log/dcopsd.log\n"
	       "  console    %s   (any dcops command given no --db uses the demo)\n"
	       "  stop       %s demo --stop\n",
	       DEMO_SPEED, DEMO_FAULT_X, var, db_demo_sockdir(), DB_DEMO_DBNAME, (int)st->dcopsd, var, exe, exe);
	for (int i = 1; i < DEMO_SITES; i++)
		if (st->sites[i])
			printf("  %-10s %s: database %s, dcopsd pid %d, log %s/log/%s.log\n", demo_sites[i].name,
			       demo_sites[i].seed.site_name, demo_sites[i].dbname, (int)st->sites[i], var,
			       demo_sites[i].file);
	fflush(stdout);
}

static void demo_usage(FILE *f)
{
	fprintf(f, "usage: dcops demo [--sites N] [--stop | --status | --no-console]\n");
}

/* --sites N: how many of the demo's sites (1 or 2); -1 after a message. */
static int demo_site_count(const char *arg)
{
	if (!arg)
		return 1;
	long n;
	if (!dc_parse_long(arg, 1, DEMO_SITES, &n)) {
		text_putline(stderr, "dcops: demo: --sites %s: expected a number from 1 to %d (Gwangju, then "
		             "the Pangyo interim cluster)", arg, DEMO_SITES);
		return -1;
	}
	return (int)n;
}

int demo_cmd(const struct dc_opts *o, int argc, char **argv)
{
	enum { START, STOP, STATUS } mode = START;
	bool console = true;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--stop") == 0) {
			mode = STOP;
		} else if (strcmp(argv[i], "--status") == 0) {
			mode = STATUS;
		} else if (strcmp(argv[i], "--no-console") == 0) {
			console = false;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			demo_usage(stdout);
			return 0;
		} else {
			text_putline(stderr, "dcops: demo: unknown option '%s'", argv[i]);
			demo_usage(stderr);
			return 2;
		}
	}
	if (mode == STATUS)
		return demo_status();
	struct dc_err err;
	if (mode == STOP) {
		if (demo_stop(o->quiet, &err) == 0)
			return 0;
		text_putline(stderr, "dcops: demo --stop: %s", err.msg);
		return 1;
	}
	int sites = demo_site_count(o->sites);
	if (sites == -1)
		return 2;
	struct demo_state st;
	if (demo_start(o->quiet, sites, &st, &err) == -1) {
		text_putline(stderr, "dcops: demo: %s", err.msg);
		return 1;
	}
	demo_summary(&st);
	if (!console || !o->console)
		return 0;
	struct dc_opts co = *o;
	co.sites = NULL;
	char *conninfo = db_demo_conninfo();
	co.db = conninfo;
	if (sites == 1) {
		int rc = o->console(&co);
		free(conninfo);
		return rc;
	}
	/* the console holds each site by its demo database */
	char *dbs[DEMO_SITES];
	struct sb names = { 0 };
	for (int i = 0; i < sites; i++) {
		dbs[i] = site_conninfo(&demo_sites[i]);
		sb_appendf(&names, "%s%s", i ? "," : "", demo_sites[i].name);
	}
	co.sites = names.buf;
	co.site_db = (const char *const *)dbs;
	int rc = o->console(&co);
	for (int i = 0; i < sites; i++)
		free(dbs[i]);
	sb_free(&names);
	free(conninfo);
	return rc;
}
