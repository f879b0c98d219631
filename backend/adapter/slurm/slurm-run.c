/* slurm-run.c — see slurm-run.h. Locally: posix_spawnp (no fork: the
 * adapter holds hundreds of MB at 100,000 jobs, whose page tables fork
 * copied for every command) with stdout and stderr on pipes, both read under one poll() with the deadline and the
 * caps; the child leads its own process group so a kill reaches whatever it
 * started. Over SSH: the console's ssh_conn, driven here until UP, then one
 * exec channel per run, read through channel callbacks while the runner's
 * loop turns. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "watchdog.h"
#include "loop.h"
#include "slurm-run.h"
#include "ssh/ssh-session.h"
#include "ssh/ssh-validate.h"

#define RUN_TIMEOUT_MS 30000
#define RUN_MAX_OUTPUT ((size_t)512 << 20)
#define RUN_MAX_ERR ((size_t)64 << 10)
#define READ_CHUNK ((size_t)64 << 10)

extern char **environ;

struct slurm_runner {
	char *bindir;
	int timeout_ms;
	size_t max_output;
	struct loop *loop;        /* with ssh only */
	struct ssh_conn *conn;
	char *target;             /* user@host:port, for messages */
	char *spare;              /* a stdout buffer given back (slurm_out_release), reused */
	size_t spare_cap;
};

/* One run's output as it grows. */
struct run_buf {
	struct sb out, err;
	size_t max_output;
	bool over;                /* stdout passed the cap */
};

static void buf_add(struct run_buf *b, bool is_err, const char *data, size_t n)
{
	if (is_err) {
		size_t room = RUN_MAX_ERR - (b->err.len < RUN_MAX_ERR ? b->err.len : RUN_MAX_ERR);
		sb_appendn(&b->err, data, n < room ? n : room);
		return;
	}
	if (b->out.len + n > b->max_output) {
		b->over = true;
		return;
	}
	sb_appendn(&b->out, data, n);
}

/* stdout goes to the buffer given back last, when there is one: squeue's
 * 250 MB at 100,000 jobs is then neither faulted in nor grown again. */
static void buf_init(struct slurm_runner *r, struct run_buf *b)
{
	*b = (struct run_buf){ .out = { .buf = r->spare, .cap = r->spare_cap }, .max_output = r->max_output };
	r->spare = NULL;
	r->spare_cap = 0;
}

/* A read from fd straight into stdout's buffer (no copy through a chunk);
 * what read() returned. */
static ssize_t buf_read_out(struct run_buf *b, int fd)
{
	b->out.buf = xgrow(b->out.buf, &b->out.cap, b->out.len + READ_CHUNK + 1, 1);
	ssize_t got = read(fd, b->out.buf + b->out.len, READ_CHUNK);
	if (got <= 0) {
		b->out.buf[b->out.len] = '\0';
		return got;
	}
	if (b->out.len + (size_t)got > b->max_output) {
		b->over = true;
		return got;
	}
	b->out.len += (size_t)got;
	b->out.buf[b->out.len] = '\0';
	return got;
}

static void buf_free(struct run_buf *b)
{
	sb_free(&b->out);
	sb_free(&b->err);
}

static void buf_take(struct run_buf *b, struct slurm_out *o)
{
	o->out_cap = b->out.buf ? b->out.cap : 0;
	o->out_len = b->out.len;
	o->err_len = b->err.len;
	o->out = sb_take(&b->out);
	o->err = sb_take(&b->err);
}

/* Slurm's client commands are plain names: no path, nothing a shell reads. */
static int check_command(const char *name, struct dc_err *err)
{
	if (!name || !*name || strlen(name) > 32) {
		dc_err_set(err, "slurm: a command name of 1 to 32 characters is required");
		return -1;
	}
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) {
			dc_err_set(err, "slurm: command name '%.32s' is not [a-z0-9_-]", name);
			return -1;
		}
	return 0;
}

static int parse_ssh(const char *spec, struct ssh_conn_opts *so, char **user, char **host, struct dc_err *err)
{
	const char *at = strchr(spec, '@');
	const char *h = at ? at + 1 : spec;
	*user = at ? xstrndup(spec, (size_t)(at - spec)) : NULL;
	const char *colon = strrchr(h, ':');
	*host = colon ? xstrndup(h, (size_t)(colon - h)) : xstrdup(h);
	if ((*user && ssh_validate_user(*user, err) < 0) || ssh_validate_host(*host, err) < 0)
		goto bad;
	if (colon && ssh_validate_port(colon + 1, &so->port, err) < 0)
		goto bad;
	so->user = *user;
	so->host = *host;
	return 0;
bad:
	free(*user);
	free(*host);
	*user = *host = NULL;
	{
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		dc_err_set(err, "--ssh '%.200s': %s", spec, why);
	}
	return -1;
}

struct slurm_runner *slurm_runner_new(const struct slurm_runner_opts *o, struct dc_err *err)
{
	if (o->bindir && o->bindir[0] != '/') {
		dc_err_set(err, "slurm: bindir '%.200s' is not an absolute path", o->bindir);
		return NULL;
	}
	if (o->bindir && strpbrk(o->bindir, "\n\r")) {
		dc_err_set(err, "slurm: bindir holds a newline");
		return NULL;
	}
	if (o->timeout_ms < 0) {
		dc_err_set(err, "slurm: timeout %d ms is negative", o->timeout_ms);
		return NULL;
	}
	struct slurm_runner *r = xcalloc(1, sizeof *r);
	r->bindir = o->bindir ? xstrdup(o->bindir) : NULL;
	r->timeout_ms = o->timeout_ms ? o->timeout_ms : RUN_TIMEOUT_MS;
	r->max_output = o->max_output ? o->max_output : RUN_MAX_OUTPUT;
	if (!o->ssh)
		return r;
	struct ssh_conn_opts so = { .identities = o->identities, .known_hosts = o->known_hosts };
	char *user, *host;
	if (parse_ssh(o->ssh, &so, &user, &host, err) < 0) {
		slurm_runner_free(r);
		return NULL;
	}
	r->loop = loop_new();
	r->conn = ssh_conn_new(r->loop, &so, NULL, NULL, err);
	free(user);
	free(host);
	if (!r->conn) {
		slurm_runner_free(r);
		return NULL;
	}
	r->target = xstrdup(ssh_conn_target(r->conn));
	return r;
}

void slurm_runner_free(struct slurm_runner *r)
{
	if (!r)
		return;
	if (r->conn)
		ssh_conn_free(r->conn);
	if (r->loop)
		loop_free(r->loop);
	free(r->target);
	free(r->bindir);
	free(r->spare);
	free(r);
}

void slurm_runner_wait(struct slurm_runner *r, int ms, const volatile sig_atomic_t *stop)
{
	int64_t end = dc_mono_ms() + ms;
	for (int64_t left = ms; left > 0 && !(stop && *stop); left = end - dc_mono_ms()) {
		int slice = left < 200 ? (int)left : 200;
		if (r->loop)
			loop_run_once(r->loop, slice);
		else
			poll(NULL, 0, slice);
	}
}

void slurm_out_free(struct slurm_out *o)
{
	free(o->out);
	free(o->err);
	*o = (struct slurm_out){ 0 };
}

void slurm_out_release(struct slurm_runner *r, struct slurm_out *o)
{
	if (o->out && o->out_cap > r->spare_cap) {
		free(r->spare);
		r->spare = o->out;
		r->spare_cap = o->out_cap;
		o->out = NULL;
	}
	slurm_out_free(o);
}

/* ---------------------------------------------------------------- local */

/* The child: its own process group (a kill reaches whatever it starts),
 * stdin from /dev/null, stdout and stderr on the pipes, SIGPIPE as
 * default. 0, or the errno of a command that cannot be run. */
static int spawn(pid_t *pid, const char *path, const char *const *argv, int out_fd, int err_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	int e = posix_spawn_file_actions_init(&fa);
	if (e)
		return e;
	if ((e = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return e;
	}
	if (!(e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) &&
	    !(e = posix_spawn_file_actions_adddup2(&fa, out_fd, 1)) &&
	    !(e = posix_spawn_file_actions_adddup2(&fa, err_fd, 2)) &&
	    !(e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF)) &&
	    !(e = posix_spawnattr_setpgroup(&at, 0)) && !(e = posix_spawnattr_setsigdefault(&at, &def)))
		e = posix_spawnp(pid, path, &fa, &at, (char *const *)argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

static void kill_group(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/* Reads both pipes until EOF, the deadline or the cap. 0, or -1 with err. */
static int pump_local(struct slurm_runner *r, const char *name, int out_fd, int err_fd, int64_t end,
		      struct run_buf *b, struct dc_err *err)
{
	struct pollfd p[2] = { { .fd = out_fd, .events = POLLIN }, { .fd = err_fd, .events = POLLIN } };
	char chunk[65536];
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int64_t left = end - dc_mono_ms();
		if (left <= 0) {
			dc_err_set(err, "%s: no answer within %d ms (killed)", name, r->timeout_ms);
			return -1;
		}
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno != EINTR) {
			dc_err_set(err, "%s: poll: %s", name, strerror(errno));
			return -1;
		}
		for (int i = 0; i < 2 && n > 0; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			ssize_t got = i == 0 ? buf_read_out(b, p[i].fd) : read(p[i].fd, chunk, sizeof chunk);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				p[i].fd = -1;
				continue;
			}
			if (i == 1)
				buf_add(b, true, chunk, (size_t)got);
			if (b->over) {
				dc_err_set(err, "%s: output over %zu bytes (killed)", name, b->max_output);
				return -1;
			}
		}
	}
	return 0;
}

/* Waits for the child until end (monotonic ms; 0: it was killed, wait
 * for it); past end it is killed. -1 when it had to be. */
static int reap(pid_t pid, int64_t end, int *st)
{
	for (;;) {
		pid_t w = waitpid(pid, st, end ? WNOHANG : 0);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return 0;
		if (end && dc_mono_ms() >= end) {
			kill_group(pid);
			while (waitpid(pid, st, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		if (w == 0)
			poll(NULL, 0, 2);
	}
}

/* pipe2 is not in POSIX 2008: the daemon is single-threaded, so setting
 * FD_CLOEXEC right after pipe() leaks nothing into another fork. */
static int pipe_cloexec(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static int run_local(struct slurm_runner *r, const char *const *argv, struct slurm_out *out, struct dc_err *err)
{
	int po[2], pe[2];
	if (pipe_cloexec(po) < 0)
		return dc_err_set(err, "%s: pipe: %s", argv[0], strerror(errno)), -1;
	if (pipe_cloexec(pe) < 0) {
		close(po[0]), close(po[1]);
		return dc_err_set(err, "%s: pipe: %s", argv[0], strerror(errno)), -1;
	}
	char *path = r->bindir ? xasprintf("%s/%s", r->bindir, argv[0]) : xstrdup(argv[0]);
	int64_t t0 = dc_mono_us(), end = dc_mono_ms() + r->timeout_ms;
	pid_t pid;
	int e = spawn(&pid, path, argv, po[1], pe[1]);
	free(path);
	close(po[1]), close(pe[1]);
	if (e) {
		close(po[0]), close(pe[0]);
		return dc_err_set(err, "%s: cannot run: %s", argv[0], strerror(e)), -1;
	}
	struct run_buf b;
	buf_init(r, &b);
	int rc = pump_local(r, argv[0], po[0], pe[0], end, &b, err);
	if (rc < 0)
		kill_group(pid);
	close(po[0]), close(pe[0]);
	int st = 0;
	if (reap(pid, rc < 0 ? 0 : end, &st) < 0 && rc == 0)
		rc = dc_err_set(err, "%s: closed its output but did not exit within %d ms (killed)", argv[0],
				r->timeout_ms);
	if (rc < 0) {
		buf_free(&b);
		return -1;
	}
	buf_take(&b, out);
	out->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	out->ms = (double)(dc_mono_us() - t0) / 1000.0;
	return 0;
}

/* ---------------------------------------------------------------- ssh */

/* One argument for the remote shell: single quotes, a quote inside as '\''.
 * Newlines are refused: the remote side sees one command line. */
static int quote_arg(struct sb *sb, const char *a, struct dc_err *err)
{
	if (strpbrk(a, "\n\r")) {
		dc_err_set(err, "slurm: an argument holds a newline; refused");
		return -1;
	}
	sb_append(sb, " '");
	for (const char *p = a; *p; p++)
		sb_append(sb, *p == '\'' ? "'\\''" : (char[2]){ *p, 0 });
	sb_append(sb, "'");
	return 0;
}

/* The remote command: bounded by timeout(1) there too, so a cut run or a
 * lost link never leaves it running. */
static char *remote_command(struct slurm_runner *r, const char *const *argv, struct dc_err *err)
{
	struct sb sb = { 0 };
	sb_appendf(&sb, "exec timeout -k 2 %d.%03d", r->timeout_ms / 1000, r->timeout_ms % 1000);
	char *first = r->bindir ? xasprintf("%s/%s", r->bindir, argv[0]) : xstrdup(argv[0]);
	int rc = quote_arg(&sb, first, err);
	free(first);
	for (size_t i = 1; rc == 0 && argv[i]; i++)
		rc = quote_arg(&sb, argv[i], err);
	if (rc < 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_take(&sb);
}

struct ssh_run {
	struct run_buf b;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;
	int status;
	bool got_status, closed, lost;
	char signal[32];
};

static int on_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr, void *ud)
{
	(void)s, (void)ch;
	struct ssh_run *x = ud;
	buf_add(&x->b, is_stderr != 0, data, len);
	return (int)len;
}

static void on_exit_status(ssh_session s, ssh_channel ch, int status, void *ud)
{
	(void)s, (void)ch;
	struct ssh_run *x = ud;
	x->status = status;
	x->got_status = true;
}

static void on_exit_signal(ssh_session s, ssh_channel ch, const char *sig, int core, const char *msg,
			   const char *lang, void *ud)
{
	(void)s, (void)ch, (void)core, (void)msg, (void)lang;
	struct ssh_run *x = ud;
	snprintf(x->signal, sizeof x->signal, "%s", sig ? sig : "?");
}

static void on_close(ssh_session s, ssh_channel ch, void *ud)
{
	(void)s, (void)ch;
	((struct ssh_run *)ud)->closed = true;
}

/* The libssh session is freed right after the hooks: the channel first. */
static void on_hook(struct ssh_conn *c, enum ssh_conn_state st, void *ud)
{
	(void)c;
	struct ssh_run *x = ud;
	if (st == SSH_CONN_UP || !x->ch)
		return;
	ssh_remove_channel_callbacks(x->ch, &x->cb);
	ssh_channel_free(x->ch);
	x->ch = NULL;
	x->lost = true;
}

/* Drives the session until UP; -1 with err when it cannot get there by end. */
static int ssh_up(struct slurm_runner *r, int64_t end, struct dc_err *err)
{
	enum ssh_conn_state st = ssh_conn_state(r->conn);
	if (st == SSH_CONN_UP)
		return 0;
	if (st == SSH_CONN_IDLE || st == SSH_CONN_DOWN || st == SSH_CONN_FAILED)
		ssh_conn_start(r->conn);
	while ((st = ssh_conn_state(r->conn)) != SSH_CONN_UP) {
		if (st == SSH_CONN_NEEDS_HOSTKEY) {
			/* never trust on first use from a daemon: the operator adds the key */
			ssh_conn_answer_hostkey(r->conn, false);
			continue;
		}
		if (st == SSH_CONN_NEEDS_PASSPHRASE) {
			ssh_conn_give_secret(r->conn, NULL);
			continue;
		}
		if (st == SSH_CONN_FAILED || st == SSH_CONN_DOWN || st == SSH_CONN_IDLE) {
			dc_err_set(err, "ssh %s: %s", r->target, ssh_conn_message(r->conn));
			return -1;
		}
		int64_t left = end - dc_mono_ms();
		if (left <= 0) {
			dc_err_set(err, "ssh %s: not connected within %d ms", r->target, r->timeout_ms);
			ssh_conn_close(r->conn);
			return -1;
		}
		loop_run_once(r->loop, left < 100 ? (int)left : 100);
	}
	return 0;
}

/* Opens the channel and starts the command; 0, or -1 with err. */
static int ssh_start(struct slurm_runner *r, ssh_channel ch, const char *cmd, int64_t end, struct ssh_run *x,
		     struct dc_err *err)
{
	int rc;
	while ((rc = ssh_channel_open_session(ch)) == SSH_AGAIN && !x->lost && dc_mono_ms() < end) {
		ssh_conn_kick(r->conn);
		loop_run_once(r->loop, 20);
	}
	if (rc == SSH_OK && !x->lost)
		while ((rc = ssh_channel_request_exec(ch, cmd)) == SSH_AGAIN && !x->lost && dc_mono_ms() < end) {
			ssh_conn_kick(r->conn);
			loop_run_once(r->loop, 20);
		}
	if (rc == SSH_OK)
		return 0;
	if (rc == SSH_AGAIN)
		dc_err_set(err, "ssh %s: the command did not start within %d ms", r->target, r->timeout_ms);
	else
		dc_err_set(err, "ssh %s: %s", r->target, x->lost ? ssh_conn_message(r->conn) : "exec refused");
	return -1;
}

static int run_ssh(struct slurm_runner *r, const char *const *argv, struct slurm_out *out, struct dc_err *err)
{
	char *cmd = remote_command(r, argv, err);
	if (!cmd)
		return -1;
	int64_t t0 = dc_mono_us(), end = dc_mono_ms() + r->timeout_ms;
	if (ssh_up(r, end, err) < 0) {
		free(cmd);
		return -1;
	}
	struct ssh_run x = { 0 };
	buf_init(r, &x.b);
	x.ch = ssh_channel_new(ssh_conn_session(r->conn));
	if (!x.ch) {
		free(cmd);
		return dc_err_set(err, "ssh %s: cannot open a channel", r->target), -1;
	}
	x.cb = (struct ssh_channel_callbacks_struct){
		.userdata = &x, .channel_data_function = on_data,
		.channel_exit_status_function = on_exit_status,
		.channel_exit_signal_function = on_exit_signal, .channel_close_function = on_close,
	};
	ssh_callbacks_init(&x.cb);
	ssh_set_channel_callbacks(x.ch, &x.cb);
	ssh_conn_hook_add(r->conn, on_hook, &x);
	int rc = ssh_start(r, x.ch, cmd, end, &x, err);
	free(cmd);
	while (rc == 0 && !x.closed && !x.lost && !x.b.over) {
		int64_t left = end - dc_mono_ms();
		if (left <= 0)
			break;
		ssh_conn_kick(r->conn);
		loop_run_once(r->loop, left < 100 ? (int)left : 100);
	}
	ssh_conn_hook_del(r->conn, on_hook, &x);
	if (rc == 0 && x.b.over)
		rc = dc_err_set(err, "%s: output over %zu bytes (cut)", argv[0], r->max_output);
	else if (rc == 0 && x.lost)
		rc = dc_err_set(err, "ssh %s: link lost: %s", r->target, ssh_conn_message(r->conn));
	else if (rc == 0 && !x.closed)
		rc = dc_err_set(err, "%s: no answer within %d ms over ssh %s (cut)", argv[0], r->timeout_ms,
				r->target);
	if (x.ch) {
		ssh_remove_channel_callbacks(x.ch, &x.cb);
		if (!x.closed)
			ssh_channel_close(x.ch);
		ssh_channel_free(x.ch);
	}
	if (rc < 0) {
		buf_free(&x.b);
		return -1;
	}
	buf_take(&x.b, out);
	out->status = x.got_status ? x.status : x.signal[0] ? 128 + 9 : 255;
	out->ms = (double)(dc_mono_us() - t0) / 1000.0;
	return 0;
}

int slurm_run(struct slurm_runner *r, const char *const *argv, struct slurm_out *out, struct dc_err *err)
{
	*out = (struct slurm_out){ 0 };
	if (!argv || check_command(argv[0], err) < 0)
		return -1;
	/* a command has its own deadline: dcopsd's database clock stops meanwhile */
	watchdog_pause();
	int rc = r->conn ? run_ssh(r, argv, out, err) : run_local(r, argv, out, err);
	watchdog_resume();
	return rc;
}
