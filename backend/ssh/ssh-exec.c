/* ssh-exec.c — see ssh-exec.h.
 *
 * States of a run: CONNECTING (the forward and the node's session come up),
 * OPENING (session channel), EXECUTING (exec request), RUNNING (output
 * flows), ENDED (result delivered from a 0 ms timer, so done runs from the
 * loop and not from inside libssh). Channel callbacks consume output at
 * once and only note everything else; teardown happens in step(). */
#include "ssh/ssh-exec.h"

#include <errno.h>
#include <libssh/callbacks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nvsmi.h"
#include "ssh/ssh-tunnel.h"
#include "ssh/ssh-validate.h"
#include "text.h"

#define DEFAULT_DEADLINE_MS 30000
#define DEFAULT_CAP (1u << 20)

const struct ssh_diag ssh_diag_defaults[] = {
	{ "gpu", "GPU summary",
	  "nvidia-smi --query-gpu=" NVSMI_QUERY_FIELDS " --format=csv,noheader,nounits", true },
	{ "ecc", "ECC and row remapping", "nvidia-smi -q -d ECC,ROW_REMAPPER", false },
	{ "xid", "Kernel Xid lines, last hour", "journalctl -k --since -1h --no-pager --grep NVRM", false },
	{ "slurmd", "Scheduler daemon status", "systemctl status slurmd --no-pager", false },
};
const size_t ssh_diag_ndefaults = DC_ARRAY_LEN(ssh_diag_defaults);

enum exec_state { X_CONNECTING, X_OPENING, X_EXECUTING, X_RUNNING, X_ENDED };

struct ssh_exec {
	struct loop *loop;
	struct ssh_conn *bastion, *node;
	struct ssh_fwd *fwd;
	const struct ssh_diag *diag;
	struct ssh_exec_cbs cbs;
	void *ud;
	enum exec_state st;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct ccb;
	int deadline_ms;
	size_t cap;
	uint64_t t_deadline, t_step;
	bool closed;         /* the channel's CLOSE arrived */
	bool stop;           /* cut: deadline, cap or cancel */
	char *command;       /* the table's command under timeout(1) */
	char error[512];
	struct ssh_exec_result res;
};

static void step(struct ssh_exec *x);

static void on_step(struct loop *l, void *ud)
{
	(void)l;
	struct ssh_exec *x = ud;
	x->t_step = 0;
	step(x);
}

static void schedule(struct ssh_exec *x)
{
	if (!x->t_step && x->st != X_ENDED)
		x->t_step = loop_timer_add(x->loop, 0, on_step, x);
}

static void fail(struct ssh_exec *x, const char *msg)
{
	if (!x->error[0])
		snprintf(x->error, sizeof x->error, "%s", msg);
	x->stop = true;
	schedule(x);
}

/* ---- channel callbacks: consume output, note the rest ---- */

static int cb_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr, void *ud)
{
	(void)s, (void)ch;
	struct ssh_exec *x = ud;
	if (x->stop)
		return (int)len; /* discard after the cut */
	size_t n = len;
	if (x->res.bytes + n > x->cap) {
		n = x->cap - x->res.bytes;
		x->res.truncated = true;
		x->stop = true;
		schedule(x);
	}
	if (n && x->cbs.output)
		x->cbs.output(x, data, n, is_stderr != 0, x->ud);
	x->res.bytes += n;
	return (int)len;
}

static void cb_exit_status(ssh_session s, ssh_channel ch, int status, void *ud)
{
	(void)s, (void)ch;
	struct ssh_exec *x = ud;
	x->res.exit_status = status;
}

static void cb_exit_signal(ssh_session s, ssh_channel ch, const char *sig, int core, const char *msg,
			   const char *lang, void *ud)
{
	(void)s, (void)ch, (void)core, (void)msg, (void)lang;
	struct ssh_exec *x = ud;
	snprintf(x->res.exit_signal, sizeof x->res.exit_signal, "%s", sig ? sig : "?");
}

static void cb_close(ssh_session s, ssh_channel ch, void *ud)
{
	(void)s, (void)ch;
	struct ssh_exec *x = ud;
	x->closed = true;
	schedule(x);
}

/* ---- ending ---- */

static void release(struct ssh_exec *x)
{
	loop_timer_cancel(x->loop, x->t_deadline);
	x->t_deadline = 0;
	if (x->ch) {
		ssh_remove_channel_callbacks(x->ch, &x->ccb);
		ssh_channel_free(x->ch);
		x->ch = NULL;
	}
	if (x->node)
		ssh_conn_close(x->node);
	if (x->fwd) {
		ssh_fwd_close(x->fwd);
		x->fwd = NULL;
	}
}

static void on_done(struct loop *l, void *ud)
{
	(void)l;
	struct ssh_exec *x = ud;
	x->t_step = 0;
	x->res.error = x->error[0] ? x->error : NULL;
	if (x->cbs.done)
		x->cbs.done(x, &x->res, x->ud);
}

static void end(struct ssh_exec *x)
{
	release(x);
	x->st = X_ENDED;
	loop_timer_cancel(x->loop, x->t_step);
	x->t_step = loop_timer_add(x->loop, 0, on_done, x);
}

static void on_deadline(struct loop *l, void *ud)
{
	(void)l;
	struct ssh_exec *x = ud;
	x->t_deadline = 0;
	x->res.timed_out = true;
	char msg[128];
	snprintf(msg, sizeof msg, "cut at its deadline of %.1f s", x->deadline_ms / 1000.0);
	fail(x, msg);
}

/* ---- driving ---- */

static void step(struct ssh_exec *x)
{
	if (x->st == X_ENDED)
		return;
	if (x->stop || x->closed) {
		end(x);
		return;
	}
	ssh_session s = ssh_conn_session(x->node);
	if (!s)
		return; /* still connecting; the node's state callback steps us */
	int rc;
	switch (x->st) {
	case X_CONNECTING:
		x->ch = ssh_channel_new(s);
		if (!x->ch) {
			fail(x, ssh_get_error(s));
			return;
		}
		x->st = X_OPENING;
		/* fall through */
	case X_OPENING:
		rc = ssh_channel_open_session(x->ch);
		if (rc == SSH_AGAIN)
			break;
		if (rc != SSH_OK) {
			fail(x, ssh_get_error(s));
			return;
		}
		ssh_callbacks_init(&x->ccb);
		x->ccb.userdata = x;
		x->ccb.channel_data_function = cb_data;
		x->ccb.channel_exit_status_function = cb_exit_status;
		x->ccb.channel_exit_signal_function = cb_exit_signal;
		x->ccb.channel_close_function = cb_close;
		ssh_set_channel_callbacks(x->ch, &x->ccb);
		x->st = X_EXECUTING;
		x->t_deadline = loop_timer_add(x->loop, x->deadline_ms, on_deadline, x);
		/* fall through */
	case X_EXECUTING:
		rc = ssh_channel_request_exec(x->ch, x->command);
		if (rc == SSH_AGAIN)
			break;
		if (rc != SSH_OK) {
			fail(x, ssh_get_error(s));
			return;
		}
		x->st = X_RUNNING;
		break;
	case X_RUNNING:
	case X_ENDED:
		break;
	}
	ssh_conn_kick(x->node);
}

/* The node bounds the run too: OpenSSH ignores "signal" requests here
 * (they need privilege separation) and a silent command outlives a closed
 * channel, so a cut or a lost link must not leave it running. */
static char *bounded_command(const char *cmd, int deadline_ms)
{
	struct sb sb = { 0 };
	sb_appendf(&sb, "exec timeout -k 2 %d.%03d sh -c '", deadline_ms / 1000, deadline_ms % 1000);
	for (const char *p = cmd; *p; p++) {
		if (*p == '\'')
			sb_append(&sb, "'\\''");
		else
			sb_appendn(&sb, p, 1);
	}
	sb_append(&sb, "'");
	return sb_take(&sb);
}

static void on_node_hook(struct ssh_conn *c, enum ssh_conn_state st, void *ud)
{
	(void)c;
	struct ssh_exec *x = ud;
	if (st == SSH_CONN_UP && (x->st == X_CONNECTING || x->st == X_OPENING || x->st == X_EXECUTING))
		step(x);
	if (st != SSH_CONN_UP && x->ch) {
		/* The session is about to be freed: its channel goes first. */
		ssh_remove_channel_callbacks(x->ch, &x->ccb);
		ssh_channel_free(x->ch);
		x->ch = NULL;
	}
}

static void on_node_state(struct ssh_conn *c, enum ssh_conn_state st, const char *msg, void *ud)
{
	struct ssh_exec *x = ud;
	if (x->st == X_ENDED || st == SSH_CONN_IDLE)
		return;
	if (x->cbs.state)
		x->cbs.state(x, st, msg, x->ud);
	if (st == SSH_CONN_DOWN || st == SSH_CONN_FAILED) {
		if (x->res.exit_status >= 0 || x->res.exit_signal[0])
			x->closed = true; /* the command finished; the link went after */
		else
			fail(x, ssh_conn_message(c));
	}
}

static void on_transport_done(struct ssh_fwd *f, const char *err, void *ud)
{
	(void)f;
	struct ssh_exec *x = ud;
	x->fwd = NULL;
	if (err && x->st != X_ENDED && x->res.exit_status < 0)
		fail(x, err);
}

const struct ssh_diag *ssh_diag_find(const struct ssh_diag *table, size_t n, const char *name,
				     struct dc_err *err)
{
	struct sb known = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (name && strcmp(table[i].name, name) == 0) {
			sb_free(&known);
			return &table[i];
		}
		sb_appendf(&known, "%s%s", i ? ", " : "", table[i].name);
	}
	char shown[40];
	text_escape_buf(name, shown, sizeof shown);
	dc_err_set(err, "no diagnostic named \"%s\" (known: %s)", shown, known.len ? known.buf : "none");
	sb_free(&known);
	return NULL;
}

int ssh_diag_check(const struct ssh_diag *table, size_t n, struct dc_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *nm = table[i].name;
		size_t len = nm ? strlen(nm) : 0;
		if (len == 0 || len > 32 || strspn(nm, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
			return dc_err_set(err, "diagnostic %zu: the name must be 1 to 32 of a-z 0-9 _ -", i + 1);
		const char *cmd = table[i].command;
		if (!cmd || !*cmd)
			return dc_err_set(err, "diagnostic %s: empty command", nm);
		for (const char *p = cmd; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return dc_err_set(err, "diagnostic %s: control byte 0x%02x in its command", nm,
						  (unsigned char)*p);
	}
	return 0;
}

struct ssh_exec *ssh_exec_start(struct loop *l, const struct ssh_exec_opts *o, const struct ssh_exec_cbs *cbs,
				void *ud, struct dc_err *err)
{
	const struct ssh_diag *table = o->table ? o->table : ssh_diag_defaults;
	size_t nt = o->table ? o->ntable : ssh_diag_ndefaults;
	if (ssh_validate_host(o->node, err) < 0 || (o->user && ssh_validate_user(o->user, err) < 0))
		return NULL;
	if (ssh_diag_check(table, nt, err) < 0)
		return NULL;
	const struct ssh_diag *d = ssh_diag_find(table, nt, o->diag, err);
	if (!d)
		return NULL;
	int port = o->node_port ? o->node_port : 22;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		dc_err_set(err, "socketpair: %s", strerror(errno));
		return NULL;
	}
	struct ssh_exec *x = xcalloc(1, sizeof *x);
	x->loop = l;
	x->bastion = o->bastion;
	x->diag = d;
	x->cbs = *cbs;
	x->ud = ud;
	x->deadline_ms = o->deadline_ms > 0 ? o->deadline_ms : DEFAULT_DEADLINE_MS;
	x->cap = o->output_cap ? o->output_cap : DEFAULT_CAP;
	x->res.exit_status = -1;
	x->st = X_CONNECTING;
	x->command = bounded_command(d->command, x->deadline_ms);
	x->fwd = ssh_fwd_open(o->bastion, sv[1], o->node, port, on_transport_done, x, err);
	if (!x->fwd) {
		close(sv[0]);
		free(x->command);
		free(x);
		return NULL;
	}
	struct ssh_conn_opts co = {
		.host = o->node,
		.port = port,
		.user = o->user,
		.identities = o->identities,
		.known_hosts = o->known_hosts,
		.accept_new = o->accept_new,
		.no_agent = o->no_agent,
		.use_fd = true,
		.fd = sv[0],
	};
	x->node = ssh_conn_new(l, &co, on_node_state, x, err);
	if (!x->node) {
		close(sv[0]);
		ssh_fwd_close(x->fwd);
		free(x->command);
		free(x);
		return NULL;
	}
	ssh_conn_hook_add(x->node, on_node_hook, x);
	ssh_conn_start(x->node);
	return x;
}

struct ssh_conn *ssh_exec_conn(struct ssh_exec *x)
{
	return x->node;
}

const struct ssh_diag *ssh_exec_diag(const struct ssh_exec *x)
{
	return x->diag;
}

void ssh_exec_cancel(struct ssh_exec *x)
{
	if (x->st != X_ENDED)
		fail(x, "cancelled");
}

void ssh_exec_free(struct ssh_exec *x)
{
	if (!x)
		return;
	loop_timer_cancel(x->loop, x->t_step);
	if (x->st != X_ENDED)
		release(x);
	ssh_conn_free(x->node);
	free(x->command);
	free(x);
}
