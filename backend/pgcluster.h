/* pgcluster.h — a private PostgreSQL cluster: initdb, start, stop, status.
 *
 * The cluster listens on no TCP port: its only way in is a Unix socket in
 * sockdir, with trust authentication for local connections, and the
 * superuser role is named after the calling user so libpq's defaults
 * connect. PostgreSQL refuses to run as root: when the caller is root the
 * server runs as the unprivileged user $DCOPS_PG_USER (default "postgres",
 * created by Debian's postgresql package), which must be able to reach the
 * data directory. tests/lib/pg.sh does the same in shell.
 *
 * Ownership: struct pgcluster owns its strings; pgcluster_free() releases
 * them and stops nothing. pgcluster_open() touches no file; directories
 * are created by pgcluster_init() and pgcluster_start(). Errors fill err
 * with one line naming what failed and, where the server wrote one, the
 * log file to read. */
#ifndef DCOPS_PGCLUSTER_H
#define DCOPS_PGCLUSTER_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

/* Who a child process runs as. */
struct pgcluster_user {
	bool drop;    /* switch to uid/gid before exec (the caller is root) */
	uid_t uid;
	gid_t gid;
	char *name;
	char *home;
};

struct pgcluster {
	char *bindir;    /* initdb, postgres (NULL until init or start) */
	char *datadir;   /* PGDATA */
	char *sockdir;   /* unix_socket_directories */
	char *logfile;   /* the server's stderr and initdb's output */
	char *role;      /* superuser role: the calling user's name (ditto) */
	int port;        /* names the socket: <sockdir>/.s.PGSQL.<port> */
	struct pgcluster_user owner;
	char note[512];  /* what start/stop cleaned up after a crash ("" if nothing) */
};

/* Fills in the paths only. init and start then find the server binaries
 * ($DCOPS_PG_BINDIR, `pg_config --bindir`, the newest
 * /usr/lib/postgresql/N/bin) and the user the server runs as. */
void pgcluster_open(struct pgcluster *pc, const char *datadir, const char *sockdir,
                    const char *logfile, int port);
void pgcluster_free(struct pgcluster *pc);

/* 1 when the user the server would run as can pass through dir (always,
 * when the caller is not root), 0 when not, -1 (err) when that user does
 * not exist. */
int pgcluster_owner_can_enter(const char *dir, struct dc_err *err);
/* True when datadir holds an initialised cluster. */
bool pgcluster_exists(const struct pgcluster *pc);
/* Creates datadir and sockdir and runs initdb unless the cluster exists.
 * Returns 1 when it created the cluster, 0 when it was there, -1 on error. */
int pgcluster_init(struct pgcluster *pc, struct dc_err *err);
/* The running postmaster's pid, or 0. A postmaster.pid naming a dead
 * process, or one that is not this cluster's server, does not count. */
pid_t pgcluster_pid(const struct pgcluster *pc);
/* Starts the server unless it runs, first removing a stale postmaster.pid
 * and socket lock left by a crash, and waits until it accepts connections.
 * Returns 1 when it was already running, 0 when started, -1 on error. */
int pgcluster_start(struct pgcluster *pc, struct dc_err *err);
/* Fast shutdown; immediate after timeout_s; SIGKILL as a last resort.
 * Returns 1 when nothing was running, 0 when stopped, -1 on error. */
int pgcluster_stop(struct pgcluster *pc, int timeout_s, struct dc_err *err);
/* The server's major version from PG_VERSION ("15"), or "?" (static). */
const char *pgcluster_version(const struct pgcluster *pc);

/* Process helpers, shared with demo.c. */
bool pgcluster_proc_alive(pid_t pid);            /* exists and is not a zombie */
bool pgcluster_proc_named(pid_t pid, const char *comm);  /* /proc/PID/comm */
/* Waits up to timeout_ms for pid to exit; true when it did. */
bool pgcluster_proc_wait_gone(pid_t pid, int timeout_ms);
/* Starts argv (argv[0] a path) detached from the terminal: own session,
 * stdin /dev/null, stdout and stderr appended to logfile, as user (NULL:
 * the caller), with envp. Returns its pid, or -1 when it could not be
 * executed. */
pid_t pgcluster_spawn(char *const argv[], char *const envp[], const char *logfile,
                      const struct pgcluster_user *user, struct dc_err *err);
/* The last line of logfile (of its last 8 KiB), or with errors_only the
 * last FATAL/PANIC/ERROR line, into out; "" when none. */
void pgcluster_log_last(const char *logfile, bool errors_only, char *out, size_t outsz);
/* Reads a pid from the first line of path; 0 when absent or unreadable. */
pid_t pgcluster_read_pid(const char *path);

#endif
