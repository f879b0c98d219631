/* ssh-tunnel.c — see ssh-tunnel.h.
 *
 * A forward is OPENING until the server confirms the channel, then OPEN.
 * libssh tells us about channel input through callbacks that only set a
 * 0 ms pump timer (they consume nothing, so unread data stays in libssh's
 * buffer and counts against the window we grant: that is the back-pressure
 * towards the far end). The pump moves channel → fd and fd → channel as far
 * as the buffers allow and sets the fd's poll interest from what is left. */
#include "ssh/ssh-tunnel.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ssh/ssh-validate.h"

#define FWD_BUF (64 * 1024)
#define FWD_TARGET_MAX 108 /* sun_path */

struct ssh_fwd {
	struct ssh_conn *conn;
	struct loop *loop;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct ccb;
	int fd;
	char host[FWD_TARGET_MAX]; /* a host name, or a socket path on the server */
	int port;
	bool open;      /* the server confirmed the channel */
	bool fd_eof;    /* read() on fd returned 0 */
	bool eof_sent;  /* SSH EOF sent on the channel */
	bool fd_shut;   /* shutdown(fd, SHUT_WR) after the channel's EOF */
	uint64_t t_pump;
	ssh_fwd_done_cb cb;
	void *ud;
	size_t up_len, down_len;
	char up[FWD_BUF];   /* fd → channel */
	char down[FWD_BUF]; /* channel → fd */
};

static void fwd_pump(struct ssh_fwd *f);

static void on_pump_timer(struct loop *l, void *ud)
{
	(void)l;
	struct ssh_fwd *f = ud;
	f->t_pump = 0;
	fwd_pump(f);
}

/* From inside libssh: only note that there is work. */
static void schedule_pump(struct ssh_fwd *f)
{
	if (!f->t_pump)
		f->t_pump = loop_timer_add(f->loop, 0, on_pump_timer, f);
}

static int cb_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr, void *ud)
{
	(void)s, (void)ch, (void)data, (void)len, (void)is_stderr;
	schedule_pump(ud);
	return 0;
}

static void cb_event(ssh_session s, ssh_channel ch, void *ud)
{
	(void)s, (void)ch;
	schedule_pump(ud);
}

static int cb_wontblock(ssh_session s, ssh_channel ch, uint32_t bytes, void *ud)
{
	(void)s, (void)ch, (void)bytes;
	schedule_pump(ud);
	return 0;
}

static void on_conn(struct ssh_conn *c, enum ssh_conn_state st, void *ud);
static void on_fd(struct loop *l, int fd, unsigned events, void *ud);

static void fwd_release(struct ssh_fwd *f)
{
	ssh_conn_hook_del(f->conn, on_conn, f);
	loop_timer_cancel(f->loop, f->t_pump);
	loop_fd_del(f->loop, f->fd);
	close(f->fd);
	if (f->ch) {
		if (f->open)
			ssh_remove_channel_callbacks(f->ch, &f->ccb);
		ssh_channel_free(f->ch); /* sends CLOSE when still open */
		ssh_conn_kick(f->conn);
	}
	free(f);
}

static void fwd_end(struct ssh_fwd *f, const char *fmt, ...) DC_PRINTF(2, 3);
static void fwd_end(struct ssh_fwd *f, const char *fmt, ...)
{
	char msg[512];
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	}
	ssh_fwd_done_cb cb = f->cb;
	void *ud = f->ud;
	fwd_release(f);
	if (cb)
		cb(f, fmt ? msg : NULL, ud);
}

void ssh_fwd_close(struct ssh_fwd *f)
{
	if (f)
		fwd_release(f);
}

static void on_conn(struct ssh_conn *c, enum ssh_conn_state st, void *ud)
{
	struct ssh_fwd *f = ud;
	if (st != SSH_CONN_UP) {
		fwd_end(f, "forward to %s:%d ended: %s", f->host, f->port, ssh_conn_message(c));
		return;
	}
	if (!f->open)
		fwd_pump(f);
}

static int fwd_opening(struct ssh_fwd *f)
{
	int rc = f->host[0] == '/' ? ssh_channel_open_forward_unix(f->ch, f->host, "127.0.0.1", 0)
				   : ssh_channel_open_forward(f->ch, f->host, f->port, "127.0.0.1", 0);
	if (rc == SSH_AGAIN) {
		ssh_conn_kick(f->conn);
		return 0;
	}
	if (rc != SSH_OK) {
		const char *e = ssh_get_error(ssh_conn_session(f->conn));
		fwd_end(f, "the SSH server %s refused a forward to %s:%d (%s)", ssh_conn_target(f->conn), f->host,
			f->port, e && *e ? e : "no reason given");
		return -1;
	}
	f->open = true;
	ssh_callbacks_init(&f->ccb);
	f->ccb.userdata = f;
	f->ccb.channel_data_function = cb_data;
	f->ccb.channel_eof_function = cb_event;
	f->ccb.channel_close_function = cb_event;
	f->ccb.channel_write_wontblock_function = cb_wontblock;
	ssh_set_channel_callbacks(f->ch, &f->ccb);
	return 1;
}

/* channel → down buffer → fd. Returns -1 when the forward ended. */
static int pump_down(struct ssh_fwd *f)
{
	char tmp[8192];
	while (f->down_len < FWD_BUF) {
		size_t room = FWD_BUF - f->down_len;
		int n = ssh_channel_read_nonblocking(f->ch, tmp, (uint32_t)(room < sizeof tmp ? room : sizeof tmp), 0);
		if (n == SSH_ERROR) {
			fwd_end(f, "forward to %s:%d: %s", f->host, f->port, ssh_get_error(ssh_conn_session(f->conn)));
			return -1;
		}
		if (n <= 0)
			break;
		memcpy(f->down + f->down_len, tmp, (size_t)n);
		f->down_len += (size_t)n;
	}
	size_t off = 0;
	while (off < f->down_len) {
		/* send, not write: a client that stopped reading is EPIPE here,
		 * never a SIGPIPE that kills the console or the script. */
		ssize_t w = send(f->fd, f->down + off, f->down_len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w < 0) { /* the local client is gone: nothing more to deliver */
			off = f->down_len;
			f->fd_eof = f->fd_shut = true;
			f->up_len = 0;
			break;
		}
		off += (size_t)w;
	}
	memmove(f->down, f->down + off, f->down_len - off);
	f->down_len -= off;
	if (f->down_len == 0 && !f->fd_shut && ssh_channel_is_eof(f->ch)) {
		shutdown(f->fd, SHUT_WR);
		f->fd_shut = true;
	}
	return 0;
}

/* up buffer → channel, as far as the peer's window allows. */
static int pump_up(struct ssh_fwd *f)
{
	if (f->up_len > 0) {
		uint32_t win = ssh_channel_window_size(f->ch);
		size_t n = f->up_len < win ? f->up_len : win;
		if (n > 0) {
			int w = ssh_channel_write(f->ch, f->up, (uint32_t)n);
			if (w == SSH_ERROR) {
				fwd_end(f, "forward to %s:%d: %s", f->host, f->port,
					ssh_get_error(ssh_conn_session(f->conn)));
				return -1;
			}
			memmove(f->up, f->up + w, f->up_len - (size_t)w);
			f->up_len -= (size_t)w;
		}
	}
	if (f->up_len == 0 && f->fd_eof && !f->eof_sent) {
		ssh_channel_send_eof(f->ch);
		f->eof_sent = true;
	}
	return 0;
}

static void fwd_pump(struct ssh_fwd *f)
{
	if (!f->open && fwd_opening(f) <= 0)
		return;
	if (pump_down(f) < 0 || pump_up(f) < 0)
		return;
	ssh_conn_kick(f->conn);
	bool remote_gone = ssh_channel_is_closed(f->ch) && f->down_len == 0;
	if ((f->fd_shut && f->eof_sent) || remote_gone) {
		fwd_end(f, NULL);
		return;
	}
	unsigned want = 0;
	if (!f->fd_eof && f->up_len < FWD_BUF)
		want |= LOOP_READ;
	if (f->down_len > 0)
		want |= LOOP_WRITE;
	loop_fd_mod(f->loop, f->fd, want);
}

static void on_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	struct ssh_fwd *f = ud;
	if ((events & LOOP_ERROR) && !(events & (LOOP_READ | LOOP_WRITE))) {
		/* Hung up while we were not reading: the client is gone. */
		f->fd_eof = f->fd_shut = true;
		f->up_len = f->down_len = 0;
	}
	while ((events & LOOP_READ) && !f->fd_eof && f->up_len < FWD_BUF) {
		ssize_t n = read(fd, f->up + f->up_len, FWD_BUF - f->up_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			f->fd_eof = true;
			break;
		}
		f->up_len += (size_t)n;
	}
	fwd_pump(f);
}

/* A host and port, or an absolute socket path on the server (OpenSSH's
 * direct-streamlocal; the port then only names things): plain characters,
 * no "..", so nothing the database or the network says can steer it. */
static int target_check(const char *host, int port, struct dc_err *err)
{
	if (!host || host[0] != '/') {
		if (ssh_validate_host(host, err) < 0)
			return -1;
		if (port < 1 || port > 65535)
			return dc_err_set(err, "cannot forward to port %d", port);
		return 0;
	}
	size_t n = strlen(host);
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-";
	if (n >= FWD_TARGET_MAX || strspn(host, ok) != n || strstr(host, "/../") ||
	    (n >= 3 && strcmp(host + n - 3, "/..") == 0))
		return dc_err_set(err, "cannot forward to socket path \"%.*s\": want an absolute path under %d "
				  "bytes of A-Z a-z 0-9 . _ / - without \"..\"", 60, host, FWD_TARGET_MAX);
	return 0;
}

struct ssh_fwd *ssh_fwd_open(struct ssh_conn *c, int fd, const char *host, int port, ssh_fwd_done_cb cb,
			     void *ud, struct dc_err *err)
{
	ssh_session s = ssh_conn_session(c);
	if (!s) {
		close(fd);
		dc_err_set(err, "cannot forward to %s:%d: SSH to %s is %s", host, port, ssh_conn_target(c),
			   ssh_conn_state_name(ssh_conn_state(c)));
		return NULL;
	}
	if (target_check(host, port, err) < 0) {
		close(fd);
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		dc_err_set(err, "cannot forward fd %d: %s", fd, strerror(errno));
		close(fd);
		return NULL;
	}
	struct ssh_fwd *f = xcalloc(1, sizeof *f);
	f->conn = c;
	f->loop = ssh_conn_loop(c);
	f->fd = fd;
	snprintf(f->host, sizeof f->host, "%s", host);
	f->port = port;
	f->cb = cb;
	f->ud = ud;
	f->ch = ssh_channel_new(s);
	if (!f->ch) {
		dc_err_set(err, "cannot open a channel: %s", ssh_get_error(s));
		close(fd);
		free(f);
		return NULL;
	}
	ssh_conn_hook_add(c, on_conn, f);
	loop_fd_add(f->loop, fd, 0, on_fd, f); /* interest set once the channel is open */
	schedule_pump(f);
	return f;
}

/* ---- the listening tunnel ---- */

struct ssh_tunnel {
	struct ssh_conn *conn;
	struct loop *loop;
	char *dir, *path, *db_host;
	int lfd, port, db_port;
	struct ssh_fwd **fwds;
	size_t nfwds, capfwds;
	ssh_tunnel_error_cb cb;
	void *ud;
};

static void tunnel_error(struct ssh_tunnel *t, const char *msg)
{
	if (t->cb)
		t->cb(t, msg, t->ud);
}

static void on_fwd_done(struct ssh_fwd *f, const char *err, void *ud)
{
	struct ssh_tunnel *t = ud;
	for (size_t i = 0; i < t->nfwds; i++) {
		if (t->fwds[i] == f) {
			t->fwds[i] = t->fwds[--t->nfwds];
			break;
		}
	}
	if (err)
		tunnel_error(t, err);
}

static void on_accept(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l, (void)events;
	struct ssh_tunnel *t = ud;
	for (;;) {
		int cfd = accept(fd, NULL, NULL);
		if (cfd < 0)
			return; /* EAGAIN, or a transient accept error: poll tells us again */
		fcntl(cfd, F_SETFD, FD_CLOEXEC);
		struct dc_err err;
		struct ssh_fwd *f = ssh_fwd_open(t->conn, cfd, t->db_host, t->db_port, on_fwd_done, t, &err);
		if (!f) {
			tunnel_error(t, err.msg);
			continue;
		}
		t->fwds = xgrow(t->fwds, &t->capfwds, t->nfwds + 1, sizeof *t->fwds);
		t->fwds[t->nfwds++] = f;
	}
}

static char *runtime_dir(struct dc_err *err)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (!base || !*base || stat(base, &st) != 0 || !S_ISDIR(st.st_mode) || access(base, W_OK) != 0)
		base = "/tmp";
	char *dir = xasprintf("%s/dcops-tunnel.XXXXXX", base);
	if (!mkdtemp(dir)) { /* mkdtemp creates it 0700 */
		dc_err_set(err, "cannot create a private directory in %s: %s", base, strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

struct ssh_tunnel *ssh_tunnel_open(struct ssh_conn *c, const char *db_host, int db_port, int local_port,
				   ssh_tunnel_error_cb cb, void *ud, struct dc_err *err)
{
	if (target_check(db_host, db_port, err) < 0)
		return NULL;
	if (db_port < 1 || db_port > 65535 || local_port < 0 || local_port > 65535) {
		dc_err_set(err, "tunnel ports must be from 1 to 65535 (got %d and %d)", db_port, local_port);
		return NULL;
	}
	char *dir = runtime_dir(err);
	if (!dir)
		return NULL;
	int port = local_port ? local_port : db_port;
	char *path = xasprintf("%s/.s.PGSQL.%d", dir, port);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		dc_err_set(err, "tunnel socket path %s is too long for a Unix socket", path);
		goto fail;
	}
	strcpy(sa.sun_path, path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 64) < 0) {
		dc_err_set(err, "cannot listen on %s: %s", path, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		unlink(path);
		goto fail;
	}
	struct ssh_tunnel *t = xcalloc(1, sizeof *t);
	t->conn = c;
	t->loop = ssh_conn_loop(c);
	t->dir = dir;
	t->path = path;
	t->db_host = xstrdup(db_host);
	t->db_port = db_port;
	t->port = port;
	t->lfd = lfd;
	t->cb = cb;
	t->ud = ud;
	loop_fd_add(t->loop, lfd, LOOP_READ, on_accept, t);
	return t;
fail:
	rmdir(dir);
	free(dir);
	free(path);
	return NULL;
}

void ssh_tunnel_close(struct ssh_tunnel *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nfwds; i++)
		ssh_fwd_close(t->fwds[i]);
	loop_fd_del(t->loop, t->lfd);
	close(t->lfd);
	unlink(t->path);
	rmdir(t->dir);
	free(t->fwds);
	free(t->path);
	free(t->dir);
	free(t->db_host);
	free(t);
}

const char *ssh_tunnel_dir(const struct ssh_tunnel *t)
{
	return t->dir;
}

int ssh_tunnel_port(const struct ssh_tunnel *t)
{
	return t->port;
}

size_t ssh_tunnel_active(const struct ssh_tunnel *t)
{
	return t->nfwds;
}
