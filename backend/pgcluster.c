#include "pgcluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Exit codes a forked child uses before exec to say what went wrong. */
enum { CHILD_SETUP_FAILED = 125, CHILD_EXEC_FAILED = 127 };

/* Messages from a spawn's children to the parent (one write each, atomic). */
enum { MSG_PID, MSG_ERRNO_SETUP, MSG_ERRNO_EXEC };
struct spawn_msg {
	int tag;
	int val;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static bool is_exec(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	bool ok = access(path, X_OK) == 0;
	free(path);
	return ok;
}

/* pipe2(O_CLOEXEC) is a GNU extension; dcops builds as plain POSIX. */
static int pipe_cloexec(int p[2])
{
	if (pipe(p) == -1)
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* ---- processes -------------------------------------------------------- */

bool pgcluster_proc_alive(pid_t pid)
{
	if (pid <= 0 || (kill(pid, 0) == -1 && errno != EPERM))
		return false;
	/* A zombie (not yet reaped, e.g. where PID 1 does not reap) is gone. */
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return !(paren && paren[1] == ' ' && paren[2] == 'Z');
}

bool pgcluster_proc_named(pid_t pid, const char *comm)
{
	char path[64], buf[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(buf, sizeof buf, f) != NULL;
	fclose(f);
	if (!ok)
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	return strcmp(buf, comm) == 0;
}

bool pgcluster_proc_wait_gone(pid_t pid, int timeout_ms)
{
	int64_t end = dc_mono_ms() + timeout_ms;
	while (pgcluster_proc_alive(pid)) {
		if (dc_mono_ms() >= end)
			return false;
		sleep_ms(50);
	}
	return true;
}

pid_t pgcluster_read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	long pid = 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/* True when pid's working directory is dir (a real path): every process of
 * a PostgreSQL server works in its data directory. */
static bool proc_cwd_is(pid_t pid, const char *dir)
{
	char path[64], cwd[PATH_MAX];
	snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
	ssize_t n = readlink(path, cwd, sizeof cwd - 1);
	if (n <= 0)
		return false;
	cwd[n] = '\0';
	return strcmp(cwd, dir) == 0;
}

/* The first live PostgreSQL process working in dir, or 0. */
static pid_t proc_in_dir(const char *dir)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	pid_t found = 0;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX)
			continue;
		if (proc_cwd_is((pid_t)pid, dir) && pgcluster_proc_named((pid_t)pid, "postgres") &&
		    pgcluster_proc_alive((pid_t)pid))
			found = (pid_t)pid;
	}
	closedir(d);
	return found;
}

/* In a forked child: stdout/stderr to logfd, stdin from /dev/null, cwd /,
 * then the user's identity. Returns errno on failure, 0 when done. */
static int child_setup(int logfd, const struct pgcluster_user *user)
{
	int null = open("/dev/null", O_RDONLY);
	if (null == -1 || dup2(null, 0) == -1 || dup2(logfd, 1) == -1 || dup2(logfd, 2) == -1)
		return errno;
	if (chdir("/") == -1)
		return errno;
	if (!user || !user->drop)
		return 0;
	if (setgid(user->gid) == -1 || initgroups(user->name, user->gid) == -1 ||
	    setuid(user->uid) == -1)
		return errno;
	return getuid() == user->uid ? 0 : EPERM;
}

static int open_log(const char *logfile, struct dc_err *err)
{
	/* Logs hold what the server and simulator saw: the caller's alone. */
	int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return dc_err_set(err, "cannot open log %s: %s", logfile, strerror(errno));
	return fd;
}

/* Runs argv to completion; returns its exit status (>= 0) or -1. */
static int run_wait(char *const argv[], char *const envp[], const char *logfile,
                    const struct pgcluster_user *user, struct dc_err *err)
{
	int logfd = open_log(logfile, err);
	if (logfd == -1)
		return -1;
	pid_t pid = fork();
	if (pid == -1) {
		close(logfd);
		return dc_err_set(err, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int e = child_setup(logfd, user);
		if (e) {
			dprintf(logfd, "dcops: cannot switch to %s: %s\n",
			        user ? user->name : "caller", strerror(e));
			_exit(CHILD_SETUP_FAILED);
		}
		execve(argv[0], argv, envp);
		dprintf(2, "dcops: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(CHILD_EXEC_FAILED);
	}
	close(logfd);
	int st;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return dc_err_set(err, "waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void spawn_send(int fd, int tag, int val)
{
	struct spawn_msg m = { tag, val };
	ssize_t n = write(fd, &m, sizeof m);
	(void)n;
}

pid_t pgcluster_spawn(char *const argv[], char *const envp[], const char *logfile,
                      const struct pgcluster_user *user, struct dc_err *err)
{
	int logfd = open_log(logfile, err);
	if (logfd == -1)
		return -1;
	int p[2];
	if (pipe_cloexec(p) == -1) {
		close(logfd);
		return dc_err_set(err, "pipe: %s", strerror(errno));
	}
	pid_t mid = fork();
	if (mid == -1) {
		close(logfd); close(p[0]); close(p[1]);
		return dc_err_set(err, "fork: %s", strerror(errno));
	}
	if (mid == 0) {
		/* Double fork: the server is nobody's child, so no zombie of it
		 * outlives it in a long-running console. */
		close(p[0]);
		setsid();
		pid_t pid = fork();
		if (pid == 0) {
			int e = child_setup(logfd, user);
			if (e) {
				spawn_send(p[1], MSG_ERRNO_SETUP, e);
				_exit(CHILD_SETUP_FAILED);
			}
			execve(argv[0], argv, envp);
			spawn_send(p[1], MSG_ERRNO_EXEC, errno);
			_exit(CHILD_EXEC_FAILED);
		}
		spawn_send(p[1], pid == -1 ? MSG_ERRNO_SETUP : MSG_PID, pid == -1 ? errno : pid);
		_exit(0);
	}
	close(logfd);
	close(p[1]);
	while (waitpid(mid, NULL, 0) == -1 && errno == EINTR)
		;
	pid_t pid = -1;
	int setup_err = 0, exec_err = 0;
	struct spawn_msg m;
	ssize_t n;
	while ((n = read(p[0], &m, sizeof m)) == (ssize_t)sizeof m || (n == -1 && errno == EINTR)) {
		if (n == -1)
			continue;
		if (m.tag == MSG_PID)
			pid = m.val;
		else if (m.tag == MSG_ERRNO_SETUP)
			setup_err = m.val;
		else
			exec_err = m.val;
	}
	close(p[0]);
	if (exec_err)
		return dc_err_set(err, "cannot run %s: %s", argv[0], strerror(exec_err));
	if (setup_err || pid <= 0)
		return dc_err_set(err, "cannot start %s as %s: %s", argv[0],
		                  user && user->drop ? user->name : "the caller",
		                  strerror(setup_err ? setup_err : EAGAIN));
	return pid;
}

/* ---- finding the server ------------------------------------------------ */

/* `pg_config --bindir`, run without a shell; NULL when not there. */
static char *pg_config_bindir(void)
{
	int p[2];
	if (pipe_cloexec(p) == -1)
		return NULL;
	pid_t pid = fork();
	if (pid == -1) {
		close(p[0]); close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(p[1], 1);
		if (null != -1)
			dup2(null, 2);
		execlp("pg_config", "pg_config", "--bindir", (char *)NULL);
		_exit(CHILD_EXEC_FAILED);
	}
	close(p[1]);
	char buf[PATH_MAX];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 &&
	       ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0 || (n == -1 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !buf[0])
		return NULL;
	return xstrdup(buf);
}

/* The newest /usr/lib/postgresql/N/bin holding initdb, or NULL. */
static char *debian_bindir(void)
{
	DIR *d = opendir("/usr/lib/postgresql");
	if (!d)
		return NULL;
	long best = -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || v <= best)
			continue;
		char *bin = xasprintf("/usr/lib/postgresql/%ld/bin", v);
		if (is_exec(bin, "initdb"))
			best = v;
		free(bin);
	}
	closedir(d);
	return best < 0 ? NULL : xasprintf("/usr/lib/postgresql/%ld/bin", best);
}

static char *find_bindir(struct dc_err *err)
{
	const char *env = getenv("DCOPS_PG_BINDIR");
	if (env && *env) {
		if (is_exec(env, "initdb") && is_exec(env, "postgres"))
			return xstrdup(env);
		dc_err_set(err, "DCOPS_PG_BINDIR=%s holds no initdb and postgres", env);
		return NULL;
	}
	char *bin = pg_config_bindir();
	if (bin && is_exec(bin, "initdb") && is_exec(bin, "postgres"))
		return bin;
	free(bin);
	bin = debian_bindir();
	if (bin && is_exec(bin, "postgres"))
		return bin;
	free(bin);
	dc_err_set(err, "PostgreSQL server binaries not found (install the postgresql package: "
	                "make deps; or set DCOPS_PG_BINDIR)");
	return NULL;
}

static int find_owner(struct pgcluster_user *u, struct dc_err *err)
{
	if (geteuid() != 0) {
		struct passwd *pw = getpwuid(geteuid());
		u->drop = false;
		u->uid = geteuid();
		u->gid = getegid();
		u->name = xstrdup(pw ? pw->pw_name : "");
		u->home = xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
		return 0;
	}
	const char *name = getenv("DCOPS_PG_USER");
	if (!name || !*name)
		name = "postgres";
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return dc_err_set(err, "PostgreSQL refuses to run as root and user '%s' does not exist "
		                  "(install postgresql: make deps; or set DCOPS_PG_USER)", name);
	if (pw->pw_uid == 0)
		return dc_err_set(err, "DCOPS_PG_USER=%s is root; PostgreSQL needs an unprivileged user",
		                  name);
	u->drop = true;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->name = xstrdup(pw->pw_name);
	u->home = xstrdup(pw->pw_dir ? pw->pw_dir : "/");
	return 0;
}

void pgcluster_open(struct pgcluster *pc, const char *datadir, const char *sockdir,
                    const char *logfile, int port)
{
	memset(pc, 0, sizeof *pc);
	pc->datadir = xstrdup(datadir);
	pc->sockdir = xstrdup(sockdir);
	pc->logfile = xstrdup(logfile);
	pc->port = port;
}

/* What initdb and start need beyond paths, found once. */
static int resolve(struct pgcluster *pc, struct dc_err *err)
{
	if (pc->bindir)
		return 0;
	struct passwd *pw = getpwuid(geteuid());
	if (!pw)
		return dc_err_set(err, "uid %d has no user name (the database role is named after it)",
		                  (int)geteuid());
	char *role = xstrdup(pw->pw_name);
	char *bindir = find_bindir(err);
	if (!bindir || find_owner(&pc->owner, err) == -1) {
		free(role);
		free(bindir);
		return -1;
	}
	pc->role = role;
	pc->bindir = bindir;
	return 0;
}

void pgcluster_free(struct pgcluster *pc)
{
	free(pc->bindir);
	free(pc->datadir);
	free(pc->sockdir);
	free(pc->logfile);
	free(pc->role);
	free(pc->owner.name);
	free(pc->owner.home);
	memset(pc, 0, sizeof *pc);
}

/* ---- the cluster ----------------------------------------------------- */

static char *cluster_file(const struct pgcluster *pc, const char *name)
{
	return xasprintf("%s/%s", pc->datadir, name);
}

static char *socket_path(const struct pgcluster *pc, const char *suffix)
{
	return xasprintf("%s/.s.PGSQL.%d%s", pc->sockdir, pc->port, suffix);
}

bool pgcluster_exists(const struct pgcluster *pc)
{
	char *v = cluster_file(pc, "PG_VERSION");
	bool ok = access(v, F_OK) == 0;
	free(v);
	return ok;
}

const char *pgcluster_version(const struct pgcluster *pc)
{
	static char ver[16];
	char *path = cluster_file(pc, "PG_VERSION");
	FILE *f = fopen(path, "r");
	free(path);
	snprintf(ver, sizeof ver, "?");
	if (f) {
		if (fgets(ver, sizeof ver, f))
			ver[strcspn(ver, "\n")] = '\0';
		fclose(f);
	}
	return ver;
}

pid_t pgcluster_pid(const struct pgcluster *pc)
{
	char *pidfile = cluster_file(pc, "postmaster.pid");
	pid_t pid = pgcluster_read_pid(pidfile);
	free(pidfile);
	char real[PATH_MAX];
	if (pid <= 0 || !realpath(pc->datadir, real))
		return 0;
	return pgcluster_proc_alive(pid) && pgcluster_proc_named(pid, "postgres") &&
	       proc_cwd_is(pid, real) ? pid : 0;
}

/* Environment of the server tools: nothing of the caller's (PGDATA, LANG
 * naming a locale that does not exist, ...) leaks in. */
struct clean_env {
	char *vars[6];
};

static void clean_env_build(struct clean_env *ce, const struct pgcluster_user *u)
{
	ce->vars[0] = xstrdup("PATH=/usr/local/bin:/usr/bin:/bin");
	ce->vars[1] = xstrdup("LC_ALL=C.UTF-8");
	ce->vars[2] = xasprintf("HOME=%s", u->home);
	ce->vars[3] = xasprintf("USER=%s", u->name);
	ce->vars[4] = xasprintf("LOGNAME=%s", u->name);
	ce->vars[5] = NULL;
}

static void clean_env_free(struct clean_env *ce)
{
	for (size_t i = 0; ce->vars[i]; i++)
		free(ce->vars[i]);
}

/* Does access(dir, how) succeed for user u? Checked in a child that has
 * become that user, so every parent directory counts. */
static bool user_can_access(const struct pgcluster_user *u, const char *dir, int how)
{
	pid_t pid = fork();
	if (pid == -1)
		return false;
	if (pid == 0) {
		if (setgid(u->gid) == -1 || initgroups(u->name, u->gid) == -1 || setuid(u->uid) == -1)
			_exit(CHILD_SETUP_FAILED);
		_exit(access(dir, how) == 0 ? 0 : 1);
	}
	int st;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int pgcluster_owner_can_enter(const char *dir, struct dc_err *err)
{
	struct pgcluster_user u = {0};
	if (find_owner(&u, err) == -1)
		return -1;
	int ok = !u.drop || user_can_access(&u, dir, X_OK);
	free(u.name);
	free(u.home);
	return ok;
}

/* Creates dir (mode 0700) for the server's user; refuses one that belongs
 * to somebody else. */
static int prepare_dir(const struct pgcluster *pc, const char *dir, struct dc_err *err)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return dc_err_set(err, "cannot create %s: %s", dir, strerror(errno));
	struct stat st;
	if (lstat(dir, &st) == -1)
		return dc_err_set(err, "%s: %s", dir, strerror(errno));
	/* chown and chmod would follow a symlink to wherever it points. */
	if (S_ISLNK(st.st_mode))
		return dc_err_set(err, "%s is a symbolic link; refusing to give it to the server", dir);
	if (!S_ISDIR(st.st_mode))
		return dc_err_set(err, "%s is not a directory", dir);
	const struct pgcluster_user *u = &pc->owner;
	if (u->drop && st.st_uid == 0) {
		if (chown(dir, u->uid, u->gid) == -1)
			return dc_err_set(err, "cannot give %s to user %s: %s", dir, u->name,
			                  strerror(errno));
	} else if (st.st_uid != u->uid) {
		return dc_err_set(err, "%s belongs to uid %d but the server would run as %s (uid %d); "
		                  "run dcops as that uid or use another directory (DCOPS_VAR=...)",
		                  dir, (int)st.st_uid, u->name, (int)u->uid);
	}
	if (chmod(dir, 0700) == -1)
		return dc_err_set(err, "cannot chmod %s: %s", dir, strerror(errno));
	if (u->drop && !user_can_access(u, dir, R_OK | W_OK | X_OK))
		return dc_err_set(err, "PostgreSQL's user %s cannot reach %s (a parent directory is "
		                  "closed to it, e.g. /root); put the demo elsewhere: "
		                  "DCOPS_VAR=/var/tmp/dcops dcops demo", u->name, dir);
	return 0;
}

/* Reads all of a regular file that is not a symlink: the data directory
 * belongs to the server's user, who could point a name in it anywhere. */
static int read_nofollow(const char *path, struct sb *out, struct stat *st, struct dc_err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, st) == -1) {
		dc_err_set(err, "cannot read %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return dc_err_set(err, "%s is not a regular file", path);
	}
	char buf[8192];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n == -1 && errno == EINTR))
		if (n > 0)
			sb_appendn(out, buf, (size_t)n);
	int e = errno;
	close(fd);
	return n == -1 ? dc_err_set(err, "cannot read %s: %s", path, strerror(e)) : 0;
}

/* initdb leaves listen_addresses at localhost: make "no TCP" a property of
 * the cluster, not only of how dcops starts it. Root writes the file in a
 * directory the server's user owns: a new file, renamed over the old one
 * with its mode and owner, never a write through a name that user chose. */
static int conf_no_tcp(const struct pgcluster *pc, struct dc_err *err)
{
	char *conf = cluster_file(pc, "postgresql.conf");
	struct sb text = {0};
	struct stat st;
	int rc = read_nofollow(conf, &text, &st, err);
	if (rc == 0) {
		sb_append(&text, "\n# dcops: a private cluster, reached only through its Unix socket.\n"
		                 "listen_addresses = ''\n");
		rc = dc_file_replace(conf, text.buf, text.len, st.st_mode, st.st_uid, st.st_gid, err);
	}
	sb_free(&text);
	free(conf);
	return rc;
}

/* The socket's path must fit in sockaddr_un, and the directory is passed
 * to the server double-quoted. */
static int sockdir_check(const struct pgcluster *pc, struct dc_err *err)
{
	struct sockaddr_un sa;
	if (strlen(pc->sockdir) + sizeof "/.s.PGSQL.65535.lock" > sizeof sa.sun_path)
		return dc_err_set(err, "socket directory %s is too long for a Unix socket path "
		                  "(%zu bytes at most); use a shorter DCOPS_VAR",
		                  pc->sockdir, sizeof sa.sun_path - sizeof "/.s.PGSQL.65535.lock");
	if (strchr(pc->sockdir, '"'))
		return dc_err_set(err, "socket directory %s contains '\"'", pc->sockdir);
	return 0;
}

int pgcluster_init(struct pgcluster *pc, struct dc_err *err)
{
	if (resolve(pc, err) == -1 || sockdir_check(pc, err) == -1)
		return -1;
	if (prepare_dir(pc, pc->datadir, err) == -1 || prepare_dir(pc, pc->sockdir, err) == -1)
		return -1;
	if (pgcluster_exists(pc))
		return 0;
	char *initdb = xasprintf("%s/initdb", pc->bindir);
	char *user = xasprintf("--username=%s", pc->role);
	char *argv[] = { initdb, "-D", pc->datadir, user, "--encoding=UTF8", "--locale=C.UTF-8",
	                 "--auth-local=trust", "--auth-host=reject", NULL };
	struct clean_env ce;
	clean_env_build(&ce, &pc->owner);
	int rc = run_wait(argv, ce.vars, pc->logfile, &pc->owner, err);
	clean_env_free(&ce);
	free(initdb);
	free(user);
	if (rc == -1)
		return -1;
	if (rc != 0)
		return dc_err_set(err, "initdb of %s failed (exit %d); see %s", pc->datadir, rc,
		                  pc->logfile);
	return conf_no_tcp(pc, err) == -1 ? -1 : 1;
}

static void note_add(struct pgcluster *pc, const char *what)
{
	size_t len = strlen(pc->note);
	snprintf(pc->note + len, sizeof pc->note - len, "%s%s", len ? "; " : "", what);
}

void pgcluster_log_last(const char *logfile, bool errors_only, char *out, size_t outsz)
{
	out[0] = '\0';
	FILE *f = fopen(logfile, "r");
	if (!f)
		return;
	if (fseek(f, -8192, SEEK_END) == -1)
		rewind(f);
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\n");
		if (n == 0 || (errors_only && !strstr(line, "FATAL:") && !strstr(line, "PANIC:") &&
		               !strstr(line, "ERROR:")))
			continue;
		if (n >= outsz)
			n = outsz - 1;
		memcpy(out, line, n);
		out[n] = '\0';
	}
	fclose(f);
}

static int server_failed(const struct pgcluster *pc, const char *what, struct dc_err *err)
{
	char last[600];
	pgcluster_log_last(pc->logfile, true, last, sizeof last);
	return dc_err_set(err, "PostgreSQL %s%s%s; see %s", what, last[0] ? ": " : "", last,
	                  pc->logfile);
}

/* Waits (up to 10 s) for the backends of a killed postmaster, which exit
 * on their own. Until they have, postmaster.pid must stay: it is what keeps
 * a new server off the shared memory they still use. */
static int orphans_wait(const struct pgcluster *pc, struct dc_err *err)
{
	char real[PATH_MAX];
	if (!realpath(pc->datadir, real))
		return 0;
	int64_t end = dc_mono_ms() + 10000;
	pid_t orphan;
	while ((orphan = proc_in_dir(real)) != 0 && dc_mono_ms() < end)
		sleep_ms(100);
	if (orphan)
		return dc_err_set(err, "process %d of a crashed server still works in %s; "
		                  "stop it first", (int)orphan, pc->datadir);
	return 0;
}

/* Removes what a crashed server left, once its orphans are gone: a
 * postmaster.pid naming no server of this cluster, and a socket lock naming
 * a dead process. */
static int clean_stale(struct pgcluster *pc, struct dc_err *err)
{
	if (orphans_wait(pc, err) == -1)
		return -1;

	char *pidfile = cluster_file(pc, "postmaster.pid");
	pid_t old = pgcluster_read_pid(pidfile);
	if (access(pidfile, F_OK) == 0) {
		if (unlink(pidfile) == -1) {
			dc_err_set(err, "cannot remove stale %s: %s", pidfile, strerror(errno));
			free(pidfile);
			return -1;
		}
		char msg[128];
		snprintf(msg, sizeof msg, "removed a stale postmaster.pid (pid %d no longer runs "
		         "this cluster)", (int)old);
		note_add(pc, msg);
	}
	free(pidfile);

	char *lock = socket_path(pc, ".lock");
	pid_t holder = pgcluster_read_pid(lock);
	int rc = 0;
	if (holder > 0 && pgcluster_proc_alive(holder) && pgcluster_proc_named(holder, "postgres")) {
		rc = dc_err_set(err, "another PostgreSQL server (pid %d) holds %s", (int)holder, lock);
	} else if (access(lock, F_OK) == 0) {
		char *sock = socket_path(pc, "");
		unlink(sock);
		unlink(lock);
		free(sock);
		note_add(pc, "removed a stale socket lock");
	}
	free(lock);
	return rc;
}

static PGPing ping(const struct pgcluster *pc)
{
	char port[16];
	snprintf(port, sizeof port, "%d", pc->port);
	const char *keys[] = { "host", "port", "dbname", "user", "connect_timeout", NULL };
	const char *vals[] = { pc->sockdir, port, "postgres", pc->role, "2", NULL };
	return PQpingParams(keys, vals, 0);
}

int pgcluster_start(struct pgcluster *pc, struct dc_err *err)
{
	pc->note[0] = '\0';
	if (resolve(pc, err) == -1)
		return -1;
	if (!pgcluster_exists(pc))
		return dc_err_set(err, "no PostgreSQL cluster in %s", pc->datadir);
	if (pgcluster_pid(pc) > 0)
		return 1;
	if (sockdir_check(pc, err) == -1 || prepare_dir(pc, pc->datadir, err) == -1 ||
	    prepare_dir(pc, pc->sockdir, err) == -1 || clean_stale(pc, err) == -1)
		return -1;

	char *postgres = xasprintf("%s/postgres", pc->bindir);
	char *sockopt = xasprintf("unix_socket_directories=\"%s\"", pc->sockdir);
	char *portopt = xasprintf("port=%d", pc->port);
	char *argv[] = { postgres, "-D", pc->datadir, "-c", "listen_addresses=", "-c", sockopt,
	                 "-c", portopt, "-c", "synchronous_commit=off", NULL };
	struct clean_env ce;
	clean_env_build(&ce, &pc->owner);
	pid_t pid = pgcluster_spawn(argv, ce.vars, pc->logfile, &pc->owner, err);
	clean_env_free(&ce);
	free(postgres);
	free(sockopt);
	free(portopt);
	if (pid == -1)
		return -1;

	int64_t end = dc_mono_ms() + 60000;
	for (;;) {
		PGPing p = ping(pc);
		if (p == PQPING_OK)
			return 0;
		if (!pgcluster_proc_alive(pid))
			return server_failed(pc, "exited at start", err);
		if (dc_mono_ms() >= end)
			return server_failed(pc, "did not accept connections within 60 s", err);
		sleep_ms(100);
	}
}

int pgcluster_stop(struct pgcluster *pc, int timeout_s, struct dc_err *err)
{
	pc->note[0] = '\0';
	pid_t pid = pgcluster_pid(pc);
	char *pidfile = cluster_file(pc, "postmaster.pid");
	if (pid <= 0) {
		int rc = orphans_wait(pc, err) == -1 ? -1 : 1;
		if (rc == 1 && unlink(pidfile) == 0)
			note_add(pc, "removed a stale postmaster.pid");
		free(pidfile);
		return rc;
	}
	/* fast (SIGINT), then immediate (SIGQUIT), then SIGKILL. */
	static const struct {
		int sig, wait_ms;
		const char *what;
	} steps[] = {
		{ SIGINT, 0, NULL },
		{ SIGQUIT, 5000, "fast shutdown timed out; used immediate shutdown" },
		{ SIGKILL, 5000, "immediate shutdown timed out; killed the server" },
	};
	bool gone = false;
	for (size_t i = 0; i < DC_ARRAY_LEN(steps) && !gone; i++) {
		if (steps[i].what)
			note_add(pc, steps[i].what);
		if (kill(pid, steps[i].sig) == -1 && errno != ESRCH) {
			dc_err_set(err, "cannot signal PostgreSQL (pid %d): %s", (int)pid, strerror(errno));
			free(pidfile);
			return -1;
		}
		gone = pgcluster_proc_wait_gone(pid, i == 0 ? timeout_s * 1000 : steps[i].wait_ms);
	}
	int rc = gone ? orphans_wait(pc, err)
	              : dc_err_set(err, "PostgreSQL (pid %d) did not stop, even on SIGKILL", (int)pid);
	if (rc == 0)
		unlink(pidfile);
	free(pidfile);
	return rc;
}
