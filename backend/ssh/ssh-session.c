/* ssh-session.c — see ssh-session.h.
 *
 * One explicit state machine per connection. The public state says what
 * the operator sees; while AUTHENTICATING an inner step (enum auth_step)
 * walks agent → each identity (probe the public key, load the private key,
 * sign) → password. Every libssh call is non-blocking: SSH_AGAIN means "call
 * again with the same arguments when the socket is ready", so each step
 * re-enters from the fd callback. Once UP, an ssh_event owns the socket's
 * poll handle and ssh_event_dopoll(…, 0) lets libssh read and write,
 * dispatching channel callbacks (the tunnel's and diagnostics'). */
#include "ssh/ssh-session.h"

#include <libssh/callbacks.h>
#include <libssh/server.h> /* ssh_send_keepalive: declared there, usable by clients */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssh/ssh-validate.h"

#define DEFAULT_CONNECT_MS 15000
#define DEFAULT_KEEPALIVE_MS 3000
#define DEFAULT_DEAD_MS 10000
#define BACKOFF_MAX_MS 30000
#define MAX_IDENTITIES 8

enum auth_step {
	AUTH_AGENT,
	AUTH_KEY_PROBE,   /* ssh_userauth_try_publickey with <identity>.pub */
	AUTH_KEY_LOAD,    /* import the private key, asking for a passphrase */
	AUTH_KEY_SIGN,    /* ssh_userauth_publickey */
	AUTH_PASSWORD,
	AUTH_DONE,
};

struct hook {
	ssh_conn_hook_cb cb;
	void *ud;
};

struct ssh_conn {
	struct loop *loop;
	ssh_conn_state_cb cb;
	void *ud;

	/* options, owned copies */
	char *host, *user, *known_hosts;
	int port;
	char *ids[MAX_IDENTITIES];
	size_t nids;
	bool ids_explicit;
	bool password_auth, process_config, accept_new, no_agent, reconnect;
	int connect_ms, keepalive_ms, dead_ms;
	int transport_fd; /* -1 unless opts.use_fd, until handed to libssh */

	enum ssh_conn_state state;
	ssh_session s;
	ssh_event ev;
	struct ssh_callbacks_struct scb;
	int fd;              /* registered with the loop; -1 when none */
	uint64_t t_connect, t_keepalive, t_retry;
	struct ssh_counter_struct rx;  /* libssh counts socket bytes in here */
	uint64_t rx_seen;
	int64_t last_rx_ms;
	int attempt;         /* consecutive failures, for the backoff */

	enum auth_step step;
	size_t id_idx;
	ssh_key pub, priv;
	bool wanted_passphrase;
	char *secret;        /* given by the operator, used once, wiped */
	bool secret_failed;
	struct sb auth_notes;

	struct hook *hooks;
	size_t nhooks, caphooks;

	char target[160];
	char msg[1024];
	char prompt[600];
	struct ssh_conn_hostkey hk;
	char hk_key[8192];   /* the server's key, base64, for the @revoked lines */
};

static void conn_step(struct ssh_conn *c);

static const char *const state_names[] = {
	[SSH_CONN_IDLE] = "IDLE",
	[SSH_CONN_CONNECTING] = "CONNECTING",
	[SSH_CONN_NEEDS_HOSTKEY] = "NEEDS_HOSTKEY",
	[SSH_CONN_AUTHENTICATING] = "AUTHENTICATING",
	[SSH_CONN_NEEDS_PASSPHRASE] = "NEEDS_PASSPHRASE",
	[SSH_CONN_UP] = "UP",
	[SSH_CONN_DOWN] = "DOWN",
	[SSH_CONN_FAILED] = "FAILED",
};

const char *ssh_conn_state_name(enum ssh_conn_state st)
{
	return (size_t)st < DC_ARRAY_LEN(state_names) ? state_names[st] : "?";
}

static char *home_path(const char *rel)
{
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/";
	}
	return xasprintf("%s/%s", home, rel);
}

static char *expand_tilde(const char *p)
{
	if (p[0] == '~' && p[1] == '/')
		return home_path(p + 2);
	return xstrdup(p);
}

static void wipe_secret(struct ssh_conn *c)
{
	if (!c->secret)
		return;
	explicit_bzero(c->secret, strlen(c->secret));
	free(c->secret);
	c->secret = NULL;
}

/* libssh's passphrase hook: never prompt. A key that needs a passphrase we
 * do not hold fails to load, and the state machine asks the operator. */
static int refuse_prompt(const char *prompt, char *buf, size_t len, int echo, int verify, void *ud)
{
	(void)prompt;
	(void)echo;
	(void)verify;
	struct ssh_conn *c = ud;
	if (c->secret && strlen(c->secret) < len) {
		strcpy(buf, c->secret);
		return 0;
	}
	c->wanted_passphrase = true;
	return -1;
}

/* ---- loop registration ---- */

static void on_fd(struct loop *l, int fd, unsigned events, void *ud);

static void watch_fd(struct ssh_conn *c)
{
	if (!c->s)
		return;
	int fd = ssh_get_fd(c->s);
	if (fd < 0)
		return;
	unsigned want = LOOP_READ;
	if (ssh_get_poll_flags(c->s) & SSH_WRITE_PENDING)
		want |= LOOP_WRITE;
	if (c->state == SSH_CONN_NEEDS_HOSTKEY || c->state == SSH_CONN_NEEDS_PASSPHRASE)
		want = 0; /* nothing to do until the operator answers */
	if (c->fd != fd) {
		if (c->fd >= 0)
			loop_fd_del(c->loop, c->fd);
		c->fd = fd;
		loop_fd_add(c->loop, fd, want, on_fd, c);
	} else {
		loop_fd_mod(c->loop, fd, want);
	}
}

void ssh_conn_kick(struct ssh_conn *c)
{
	if (c->state == SSH_CONN_UP)
		watch_fd(c);
}

/* ---- state changes ---- */

static void run_hooks(struct ssh_conn *c)
{
	/* A hook may remove itself or others: walk a snapshot and re-check. */
	size_t n = c->nhooks;
	if (n == 0)
		return;
	struct hook *snap = xmalloc(n * sizeof *snap);
	memcpy(snap, c->hooks, n * sizeof *snap);
	for (size_t i = 0; i < n; i++) {
		bool live = false;
		for (size_t j = 0; j < c->nhooks && !live; j++)
			live = c->hooks[j].cb == snap[i].cb && c->hooks[j].ud == snap[i].ud;
		if (live)
			snap[i].cb(c, c->state, snap[i].ud);
	}
	free(snap);
}

static void set_state(struct ssh_conn *c, enum ssh_conn_state st, const char *fmt, ...) DC_PRINTF(3, 4);
static void set_state(struct ssh_conn *c, enum ssh_conn_state st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof c->msg, fmt, ap);
	va_end(ap);
	c->state = st;
	run_hooks(c);
	if (c->cb)
		c->cb(c, st, c->msg, c->ud);
}

static void drop_keys(struct ssh_conn *c)
{
	ssh_key_free(c->pub);
	ssh_key_free(c->priv);
	c->pub = c->priv = NULL;
}

static void cancel_timers(struct ssh_conn *c)
{
	loop_timer_cancel(c->loop, c->t_connect);
	loop_timer_cancel(c->loop, c->t_keepalive);
	loop_timer_cancel(c->loop, c->t_retry);
	c->t_connect = c->t_keepalive = c->t_retry = 0;
}

/* Frees the libssh session. Hooks have run already (they free channels). */
static void teardown(struct ssh_conn *c)
{
	cancel_timers(c);
	if (c->fd >= 0)
		loop_fd_del(c->loop, c->fd);
	c->fd = -1;
	if (c->ev) {
		ssh_event_remove_session(c->ev, c->s);
		ssh_event_free(c->ev);
		c->ev = NULL;
	}
	if (c->s) {
		if (ssh_is_connected(c->s))
			ssh_disconnect(c->s);
		ssh_free(c->s);
		c->s = NULL;
	}
	drop_keys(c);
	wipe_secret(c);
}

static void on_retry(struct loop *l, void *ud);

/* Ends the attempt: DOWN (transient, maybe retried) or FAILED (final). */
static void finish(struct ssh_conn *c, enum ssh_conn_state st, const char *fmt, ...) DC_PRINTF(3, 4);
static void finish(struct ssh_conn *c, enum ssh_conn_state st, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf - 32, fmt, ap);
	va_end(ap);
	/* Hooks see the new state while the session still exists, so they can
	 * free their channels; then the session goes. */
	c->state = st;
	snprintf(c->msg, sizeof c->msg, "%s", buf);
	run_hooks(c);
	teardown(c);
	if (st == SSH_CONN_DOWN && c->reconnect && c->transport_fd < 0) {
		int64_t delay = 1000;
		for (int i = 0; i < c->attempt && delay < BACKOFF_MAX_MS; i++)
			delay *= 2;
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		c->attempt++;
		c->t_retry = loop_timer_add(c->loop, delay, on_retry, c);
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "; retrying in %d s", (int)(delay / 1000));
	}
	snprintf(c->msg, sizeof c->msg, "%s", buf);
	if (c->cb)
		c->cb(c, st, c->msg, c->ud);
}

static const char *lib_error(struct ssh_conn *c)
{
	const char *e = c->s ? ssh_get_error(c->s) : NULL;
	return e && *e ? e : "unknown error";
}

/* ---- timers ---- */

static void on_connect_timeout(struct loop *l, void *ud)
{
	(void)l;
	struct ssh_conn *c = ud;
	c->t_connect = 0;
	finish(c, SSH_CONN_DOWN, "%s: no answer within %d s (%s)", c->target, c->connect_ms / 1000,
	       c->state == SSH_CONN_CONNECTING ? "connecting" : "authenticating");
}

static void arm_connect_timer(struct ssh_conn *c)
{
	loop_timer_cancel(c->loop, c->t_connect);
	c->t_connect = loop_timer_add(c->loop, c->connect_ms, on_connect_timeout, c);
}

static void on_keepalive(struct loop *l, void *ud)
{
	struct ssh_conn *c = ud;
	c->t_keepalive = 0;
	/* Bytes are read by whichever libssh call runs (the keepalive itself
	 * collects its reply), so liveness is judged by libssh's own count. */
	if (c->rx.in_bytes != c->rx_seen) {
		c->rx_seen = c->rx.in_bytes;
		c->last_rx_ms = dc_mono_ms();
	}
	int64_t idle = dc_mono_ms() - c->last_rx_ms;
	if (idle >= c->dead_ms) {
		finish(c, SSH_CONN_DOWN, "%s: nothing received for %lld s (keepalive deadline)", c->target,
		       (long long)(idle / 1000));
		return;
	}
	if (idle >= c->keepalive_ms) {
		/* keepalive@openssh.com wants a reply, so silence means a dead
		 * link. In non-blocking mode one call either sends a request or
		 * collects the previous reply; the second call makes sure one
		 * request is in flight after this tick. */
		ssh_send_keepalive(c->s);
		ssh_send_keepalive(c->s);
		watch_fd(c);
	}
	int64_t next = c->keepalive_ms / 2;
	c->t_keepalive = loop_timer_add(l, next > 100 ? next : 100, on_keepalive, c);
}

static void on_retry(struct loop *l, void *ud)
{
	(void)l;
	struct ssh_conn *c = ud;
	c->t_retry = 0;
	ssh_conn_start(c);
}

/* ---- host key ---- */

/* Finds the known_hosts line recording this host, for the message that
 * tells the operator where to look (hashed names are matched by libssh). */
static int known_hosts_line(const char *file, const char *hostname)
{
	char *text = NULL;
	size_t len = 0;
	if (dc_read_file(file, 64u << 20, &text, &len, NULL) < 0)
		return 0;
	int found = 0, lineno = 0;
	for (char *p = text; p && *p && !found;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		struct ssh_knownhosts_entry *e = NULL;
		if (*p && *p != '#' && ssh_known_hosts_parse_line(hostname, p, &e) == SSH_OK)
			found = lineno;
		SSH_KNOWNHOSTS_ENTRY_FREE(e);
		p = nl ? nl + 1 : NULL;
	}
	free(text);
	return found;
}

static int read_hostkey(struct ssh_conn *c)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	if (ssh_get_server_publickey(c->s, &key) < 0)
		return -1;
	snprintf(c->hk.type, sizeof c->hk.type, "%s", ssh_key_type_to_char(ssh_key_type(key)));
	c->hk_key[0] = '\0';
	char *b64 = NULL;
	int rc = ssh_pki_export_pubkey_base64(key, &b64);
	if (rc == SSH_OK)
		snprintf(c->hk_key, sizeof c->hk_key, "%s", b64);
	ssh_string_free_char(b64);
	if (rc == SSH_OK)
		rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
	ssh_key_free(key);
	if (rc < 0)
		return -1;
	char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	if (!fp)
		return -1;
	snprintf(c->hk.fingerprint, sizeof c->hk.fingerprint, "%s", fp);
	ssh_string_free_char(fp);
	return 0;
}

/* snprintf where a long path may cut the text: a cut message still says
 * what happened, and gcc's truncation check has no say over vsnprintf. */
static void fmt_into(char *buf, size_t n, const char *fmt, ...) DC_PRINTF(3, 4);
static void fmt_into(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

/* What known_hosts files say of this host beyond what libssh reads. */
struct kh_marks {
	char revoked_file[512];
	int revoked_line;
	char ca_file[512];
	int ca_line;
};

static void marks_scan(const struct ssh_conn *c, const char *file, struct kh_marks *m)
{
	char *text = NULL;
	if (dc_read_file(file, 64u << 20, &text, NULL, NULL) < 0)
		return;  /* absent or unreadable: libssh's verdict stands alone */
	int lineno = 0;
	for (char *p = text; p && *p && !m->revoked_line;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		struct ssh_kh_entry e;
		if (ssh_kh_parse(p, &e) == 1 && e.marker != SSH_KH_NONE && ssh_kh_match(&e, c->hk.host)) {
			/* the key's blob names its type: comparing it alone is exact */
			if (e.marker == SSH_KH_REVOKED && strcmp(e.key, c->hk_key) == 0) {
				snprintf(m->revoked_file, sizeof m->revoked_file, "%s", file);
				m->revoked_line = lineno;
			} else if (e.marker == SSH_KH_CERT_AUTHORITY && !m->ca_line) {
				snprintf(m->ca_file, sizeof m->ca_file, "%s", file);
				m->ca_line = lineno;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	free(text);
}

/* The operator's file, then the global one libssh also trusts. */
static void marks_check(struct ssh_conn *c, struct kh_marks *m)
{
	memset(m, 0, sizeof *m);
	marks_scan(c, c->known_hosts, m);
	char *global = NULL;
	if (ssh_options_get(c->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, &global) != SSH_OK)
		global = NULL;
	if (!m->revoked_line)
		marks_scan(c, global ? global : "/etc/ssh/ssh_known_hosts", m);
	ssh_string_free_char(global);
	if (m->ca_line)
		fmt_into(c->hk.note, sizeof c->hk.note,
		         "%s line %d is a @cert-authority line for this host: dcops does not check host "
		         "certificates, so it vouches for nothing here", m->ca_file, m->ca_line);
}

static void begin_auth(struct ssh_conn *c)
{
	c->step = (c->no_agent || !getenv("SSH_AUTH_SOCK")) ? AUTH_KEY_PROBE : AUTH_AGENT;
	c->id_idx = 0;
	sb_clear(&c->auth_notes);
	set_state(c, SSH_CONN_AUTHENTICATING, "%s: authenticating", c->target);
}

static void check_hostkey(struct ssh_conn *c)
{
	if (read_hostkey(c) < 0) {
		finish(c, SSH_CONN_DOWN, "%s: cannot read the server's host key: %s", c->target, lib_error(c));
		return;
	}
	struct kh_marks m;
	marks_check(c, &m);
	if (m.revoked_line) {
		snprintf(c->hk.file, sizeof c->hk.file, "%s", m.revoked_file);
		c->hk.line = m.revoked_line;
		finish(c, SSH_CONN_FAILED,
		       "%s: REVOKED HOST KEY — the server offers %s %s, which %s line %d marks @revoked; "
		       "refusing (no override)", c->target, c->hk.type, c->hk.fingerprint, m.revoked_file,
		       m.revoked_line);
		return;
	}
	enum ssh_known_hosts_e k = ssh_session_is_known_server(c->s);
	switch (k) {
	case SSH_KNOWN_HOSTS_OK:
		begin_auth(c);
		return;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
	{
		char where[32] = "";
		c->hk.line = known_hosts_line(c->hk.file, c->hk.host);
		if (c->hk.line)
			snprintf(where, sizeof where, " line %d", c->hk.line);
		finish(c, SSH_CONN_FAILED,
		       "%s: HOST KEY %s — the server offers %s %s; refusing (possible man-in-the-middle). "
		       "Inspect %s%s",
		       c->target, k == SSH_KNOWN_HOSTS_CHANGED ? "CHANGED" : "OF ANOTHER TYPE", c->hk.type,
		       c->hk.fingerprint, c->hk.file, where);
		return;
	}
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		if (c->accept_new) {
			if (ssh_session_update_known_hosts(c->s) < 0) {
				finish(c, SSH_CONN_FAILED, "%s: cannot record the host key in %s: %s", c->target,
				       c->hk.file, lib_error(c));
				return;
			}
			begin_auth(c);
			fmt_into(c->msg, sizeof c->msg, "%s: accepted new host key %s %s into %s (--ssh-accept-new)%s%s",
				 c->target, c->hk.type, c->hk.fingerprint, c->hk.file, c->hk.note[0] ? "; " : "",
				 c->hk.note);
			if (c->cb)
				c->cb(c, c->state, c->msg, c->ud);
			return;
		}
		loop_timer_cancel(c->loop, c->t_connect);
		c->t_connect = 0;
		set_state(c, SSH_CONN_NEEDS_HOSTKEY, "%s: unknown host key %s %s — record it in %s?%s%s", c->target,
			  c->hk.type, c->hk.fingerprint, c->hk.file, c->hk.note[0] ? " Note: " : "", c->hk.note);
		watch_fd(c);
		return;
	case SSH_KNOWN_HOSTS_ERROR:
		break;
	}
	finish(c, SSH_CONN_FAILED, "%s: cannot check the host key against %s: %s", c->target, c->hk.file,
	       lib_error(c));
}

void ssh_conn_answer_hostkey(struct ssh_conn *c, bool yes)
{
	if (c->state != SSH_CONN_NEEDS_HOSTKEY)
		return;
	if (!yes) {
		finish(c, SSH_CONN_FAILED, "%s: host key %s not accepted; %s unchanged", c->target,
		       c->hk.fingerprint, c->hk.file);
		return;
	}
	if (ssh_session_update_known_hosts(c->s) < 0) {
		finish(c, SSH_CONN_FAILED, "%s: cannot record the host key in %s: %s", c->target, c->hk.file,
		       lib_error(c));
		return;
	}
	arm_connect_timer(c);
	begin_auth(c);
	conn_step(c);
}

/* ---- authentication ---- */

static void go_up(struct ssh_conn *c)
{
	loop_timer_cancel(c->loop, c->t_connect);
	c->t_connect = 0;
	drop_keys(c);
	wipe_secret(c);
	c->attempt = 0;
	c->ev = ssh_event_new();
	if (!c->ev || ssh_event_add_session(c->ev, c->s) != SSH_OK) {
		finish(c, SSH_CONN_DOWN, "%s: cannot watch the session: %s", c->target, lib_error(c));
		return;
	}
	c->rx_seen = c->rx.in_bytes;
	c->last_rx_ms = dc_mono_ms();
	c->t_keepalive = loop_timer_add(c->loop, c->keepalive_ms / 2, on_keepalive, c);
	set_state(c, SSH_CONN_UP, "%s: connected", c->target);
	watch_fd(c);
}

static void ask_secret(struct ssh_conn *c, const char *fmt, ...) DC_PRINTF(2, 3);
static void ask_secret(struct ssh_conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->prompt, sizeof c->prompt, fmt, ap);
	va_end(ap);
	loop_timer_cancel(c->loop, c->t_connect);
	c->t_connect = 0;
	set_state(c, SSH_CONN_NEEDS_PASSPHRASE, "%s", c->prompt);
	watch_fd(c);
}

void ssh_conn_give_secret(struct ssh_conn *c, const char *secret)
{
	if (c->state != SSH_CONN_NEEDS_PASSPHRASE)
		return;
	wipe_secret(c);
	if (secret) {
		c->secret = xstrdup(secret);
	} else if (c->step == AUTH_PASSWORD) {
		c->step = AUTH_DONE;
	} else {
		sb_appendf(&c->auth_notes, "; %s: passphrase not given", c->ids[c->id_idx]);
		c->id_idx++;
		c->step = AUTH_KEY_PROBE;
	}
	arm_connect_timer(c);
	set_state(c, SSH_CONN_AUTHENTICATING, "%s: authenticating", c->target);
	conn_step(c);
}

static void next_key(struct ssh_conn *c)
{
	drop_keys(c);
	c->id_idx++;
	c->step = AUTH_KEY_PROBE;
}

/* One step of the authentication walk. Returns 1 to go on at once, 0 to
 * wait for the socket (or the operator), -1 when the attempt ended. */
static int auth_step(struct ssh_conn *c)
{
	int rc;
	switch (c->step) {
	case AUTH_AGENT:
		rc = ssh_userauth_agent(c->s, NULL);
		if (rc == SSH_AUTH_AGAIN)
			return 0;
		if (rc == SSH_AUTH_SUCCESS)
			return go_up(c), -1;
		if (rc == SSH_AUTH_ERROR)
			return finish(c, SSH_CONN_DOWN, "%s: agent authentication: %s", c->target, lib_error(c)), -1;
		sb_append(&c->auth_notes, "; agent: no key accepted");
		c->step = AUTH_KEY_PROBE;
		return 1;
	case AUTH_KEY_PROBE: {
		if (c->id_idx >= c->nids) {
			c->step = c->password_auth ? AUTH_PASSWORD : AUTH_DONE;
			return 1;
		}
		const char *path = c->ids[c->id_idx];
		if (access(path, R_OK) != 0) {
			if (c->ids_explicit)
				sb_appendf(&c->auth_notes, "; %s: cannot read", path);
			c->id_idx++;
			return 1;
		}
		if (!c->pub) {
			char *pubpath = xasprintf("%s.pub", path);
			if (ssh_pki_import_pubkey_file(pubpath, &c->pub) != SSH_OK)
				c->pub = NULL;
			free(pubpath);
			if (!c->pub) { /* no .pub beside it: load the key itself */
				c->step = AUTH_KEY_LOAD;
				return 1;
			}
		}
		rc = ssh_userauth_try_publickey(c->s, NULL, c->pub);
		if (rc == SSH_AUTH_AGAIN)
			return 0;
		if (rc == SSH_AUTH_ERROR)
			return finish(c, SSH_CONN_DOWN, "%s: public key probe: %s", c->target, lib_error(c)), -1;
		if (rc == SSH_AUTH_SUCCESS) {
			c->step = AUTH_KEY_LOAD;
			return 1;
		}
		sb_appendf(&c->auth_notes, "; %s: not accepted", path);
		next_key(c);
		return 1;
	}
	case AUTH_KEY_LOAD: {
		const char *path = c->ids[c->id_idx];
		bool had_secret = c->secret != NULL;
		c->wanted_passphrase = false;
		rc = ssh_pki_import_privkey_file(path, c->secret, refuse_prompt, c, &c->priv);
		wipe_secret(c);
		if (rc == SSH_OK) {
			c->step = AUTH_KEY_SIGN;
			return 1;
		}
		c->priv = NULL;
		if (c->wanted_passphrase || had_secret) {
			ask_secret(c, "%sPassphrase for %s", had_secret ? "Wrong passphrase. " : "", path);
			return 0;
		}
		sb_appendf(&c->auth_notes, "; %s: not a private key libssh can read", path);
		next_key(c);
		return 1;
	}
	case AUTH_KEY_SIGN:
		rc = ssh_userauth_publickey(c->s, NULL, c->priv);
		if (rc == SSH_AUTH_AGAIN)
			return 0;
		if (rc == SSH_AUTH_SUCCESS)
			return go_up(c), -1;
		if (rc == SSH_AUTH_ERROR)
			return finish(c, SSH_CONN_DOWN, "%s: public key authentication: %s", c->target, lib_error(c)), -1;
		sb_appendf(&c->auth_notes, "; %s: not accepted", c->ids[c->id_idx]);
		next_key(c);
		return 1;
	case AUTH_PASSWORD:
		if (!c->secret) {
			ask_secret(c, "Password for %s", c->target);
			return 0;
		}
		rc = ssh_userauth_password(c->s, NULL, c->secret);
		if (rc == SSH_AUTH_AGAIN)
			return 0;
		wipe_secret(c);
		if (rc == SSH_AUTH_SUCCESS)
			return go_up(c), -1;
		if (rc == SSH_AUTH_ERROR)
			return finish(c, SSH_CONN_DOWN, "%s: password authentication: %s", c->target, lib_error(c)), -1;
		sb_append(&c->auth_notes, "; password: not accepted");
		c->step = AUTH_DONE;
		return 1;
	case AUTH_DONE:
		break;
	}
	finish(c, SSH_CONN_FAILED, "%s: no credential accepted%s", c->target,
	       c->auth_notes.len ? c->auth_notes.buf : " (no agent, no identity file)");
	return -1;
}

/* ---- driving ---- */

static void conn_step(struct ssh_conn *c)
{
	if (c->state == SSH_CONN_CONNECTING) {
		int rc = ssh_connect(c->s);
		if (rc == SSH_AGAIN) {
			watch_fd(c);
			return;
		}
		if (rc != SSH_OK) {
			finish(c, SSH_CONN_DOWN, "%s: cannot connect: %s", c->target, lib_error(c));
			return;
		}
		check_hostkey(c);
		if (c->state != SSH_CONN_AUTHENTICATING)
			return;
	}
	if (c->state == SSH_CONN_AUTHENTICATING) {
		int r;
		while ((r = auth_step(c)) == 1)
			;
		if (r == 0)
			watch_fd(c);
	}
}

static void on_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)fd;
	struct ssh_conn *c = ud;
	if (c->state == SSH_CONN_NEEDS_HOSTKEY || c->state == SSH_CONN_NEEDS_PASSPHRASE) {
		/* The peer hung up while the operator decides: stop polling a dead
		 * socket; the answer re-registers it and libssh reports the loss. */
		if (events & LOOP_ERROR) {
			loop_fd_del(c->loop, c->fd);
			c->fd = -1;
		}
		return;
	}
	if (c->state != SSH_CONN_UP) {
		conn_step(c);
		return;
	}
	(void)events;
	ssh_event_dopoll(c->ev, 0);
	if (c->state != SSH_CONN_UP)
		return; /* a channel user's callback closed us */
	if (!ssh_is_connected(c->s) || (ssh_get_status(c->s) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
		finish(c, SSH_CONN_DOWN, "%s: connection lost: %s", c->target, lib_error(c));
		return;
	}
	run_hooks(c);
	if (c->state == SSH_CONN_UP)
		watch_fd(c);
}

static int configure(struct ssh_conn *c)
{
	int verbosity = SSH_LOG_NOLOG, port = c->port;
	ssh_session s = c->s;
	if (ssh_options_set(s, SSH_OPTIONS_HOST, c->host) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 ||
	    (c->user && ssh_options_set(s, SSH_OPTIONS_USER, c->user) < 0) ||
	    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, c->known_hosts) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &c->process_config) < 0)
		return -1;
	if (c->transport_fd >= 0) {
		socket_t fd = c->transport_fd;
		if (ssh_options_set(s, SSH_OPTIONS_FD, &fd) < 0)
			return -1;
		c->transport_fd = -2; /* libssh owns it now and closes it in ssh_free */
	}
	memset(&c->rx, 0, sizeof c->rx);
	ssh_set_counters(s, &c->rx, NULL);
	ssh_callbacks_init(&c->scb);
	c->scb.userdata = c;
	c->scb.auth_function = refuse_prompt;
	ssh_set_callbacks(s, &c->scb);
	ssh_set_blocking(s, 0);
	return 0;
}

void ssh_conn_start(struct ssh_conn *c)
{
	if (c->state != SSH_CONN_IDLE && c->state != SSH_CONN_DOWN && c->state != SSH_CONN_FAILED)
		return;
	teardown(c);
	if (c->transport_fd == -2) {
		set_state(c, SSH_CONN_FAILED, "%s: the forwarded transport is gone; open a new one", c->target);
		return;
	}
	memset(&c->hk, 0, sizeof c->hk);
	if (c->port == 22)
		snprintf(c->hk.host, sizeof c->hk.host, "%s", c->host);
	else
		snprintf(c->hk.host, sizeof c->hk.host, "[%s]:%d", c->host, c->port);
	snprintf(c->hk.file, sizeof c->hk.file, "%s", c->known_hosts);
	c->s = ssh_new();
	if (!c->s || configure(c) < 0) {
		finish(c, SSH_CONN_FAILED, "%s: cannot set up the session: %s", c->target, lib_error(c));
		return;
	}
	set_state(c, SSH_CONN_CONNECTING, "%s: connecting", c->target);
	arm_connect_timer(c);
	conn_step(c);
}

void ssh_conn_reconnect(struct ssh_conn *c)
{
	if (c->state != SSH_CONN_IDLE && c->state != SSH_CONN_DOWN && c->state != SSH_CONN_FAILED)
		finish(c, SSH_CONN_DOWN, "%s: reconnecting", c->target);
	cancel_timers(c);
	c->attempt = 0;
	c->state = SSH_CONN_IDLE;
	ssh_conn_start(c);
}

void ssh_conn_close(struct ssh_conn *c)
{
	if (c->state == SSH_CONN_IDLE)
		return;
	c->state = SSH_CONN_IDLE;
	run_hooks(c);
	teardown(c);
	snprintf(c->msg, sizeof c->msg, "%s: closed", c->target);
	if (c->cb)
		c->cb(c, SSH_CONN_IDLE, c->msg, c->ud);
}

/* ---- construction ---- */

struct ssh_conn *ssh_conn_new(struct loop *l, const struct ssh_conn_opts *o, ssh_conn_state_cb cb, void *ud,
			      struct dc_err *err)
{
	static const char *const default_ids[] = { "~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa", NULL };
	if (ssh_validate_host(o->host, err) < 0)
		return NULL;
	if (o->user && ssh_validate_user(o->user, err) < 0)
		return NULL;
	if (o->port < 0 || o->port > 65535) {
		dc_err_set(err, "port %d is not from 1 to 65535", o->port);
		return NULL;
	}
	const char *const *ids = o->identities ? o->identities : default_ids;
	size_t nids = 0;
	while (ids[nids])
		nids++;
	if (nids > MAX_IDENTITIES) {
		dc_err_set(err, "%zu identity files given; at most %d", nids, MAX_IDENTITIES);
		return NULL;
	}
	struct ssh_conn *c = xcalloc(1, sizeof *c);
	c->loop = l;
	c->cb = cb;
	c->ud = ud;
	c->host = xstrdup(o->host);
	c->user = o->user ? xstrdup(o->user) : NULL;
	c->port = o->port ? o->port : 22;
	c->known_hosts = o->known_hosts ? expand_tilde(o->known_hosts) : home_path(".ssh/known_hosts");
	for (size_t i = 0; i < nids; i++)
		c->ids[i] = expand_tilde(ids[i]);
	c->nids = nids;
	c->ids_explicit = o->identities != NULL;
	c->password_auth = o->password_auth;
	c->process_config = o->process_config;
	c->accept_new = o->accept_new;
	c->no_agent = o->no_agent;
	c->reconnect = o->reconnect && !o->use_fd;
	c->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_MS;
	c->keepalive_ms = o->keepalive_ms > 0 ? o->keepalive_ms : DEFAULT_KEEPALIVE_MS;
	c->dead_ms = o->dead_ms > 0 ? o->dead_ms : DEFAULT_DEAD_MS;
	c->transport_fd = o->use_fd ? o->fd : -1;
	c->fd = -1;
	c->state = SSH_CONN_IDLE;
	const char *u = c->user;
	struct passwd *pw = u ? NULL : getpwuid(getuid());
	if (!u)
		u = pw ? pw->pw_name : "?";
	snprintf(c->target, sizeof c->target, "%s@%s:%d", u, c->host, c->port);
	snprintf(c->msg, sizeof c->msg, "%s: not connected", c->target);
	return c;
}

void ssh_conn_free(struct ssh_conn *c)
{
	if (!c)
		return;
	if (c->state != SSH_CONN_IDLE) {
		c->state = SSH_CONN_IDLE;
		run_hooks(c);
	}
	teardown(c);
	if (c->transport_fd >= 0)
		close(c->transport_fd);
	free(c->host);
	free(c->user);
	free(c->known_hosts);
	for (size_t i = 0; i < c->nids; i++)
		free(c->ids[i]);
	free(c->hooks);
	sb_free(&c->auth_notes);
	free(c);
}

/* ---- accessors and hooks ---- */

enum ssh_conn_state ssh_conn_state(const struct ssh_conn *c)
{
	return c->state;
}

const char *ssh_conn_message(const struct ssh_conn *c)
{
	return c->msg;
}

const char *ssh_conn_prompt(const struct ssh_conn *c)
{
	return c->state == SSH_CONN_NEEDS_PASSPHRASE ? c->prompt : "";
}

const struct ssh_conn_hostkey *ssh_conn_hostkey(const struct ssh_conn *c)
{
	return &c->hk;
}

const char *ssh_conn_target(const struct ssh_conn *c)
{
	return c->target;
}

ssh_session ssh_conn_session(struct ssh_conn *c)
{
	return c->state == SSH_CONN_UP ? c->s : NULL;
}

struct loop *ssh_conn_loop(struct ssh_conn *c)
{
	return c->loop;
}

void ssh_conn_hook_add(struct ssh_conn *c, ssh_conn_hook_cb cb, void *ud)
{
	c->hooks = xgrow(c->hooks, &c->caphooks, c->nhooks + 1, sizeof *c->hooks);
	c->hooks[c->nhooks++] = (struct hook){ cb, ud };
}

void ssh_conn_hook_del(struct ssh_conn *c, ssh_conn_hook_cb cb, void *ud)
{
	for (size_t i = 0; i < c->nhooks; i++) {
		if (c->hooks[i].cb == cb && c->hooks[i].ud == ud) {
			memmove(&c->hooks[i], &c->hooks[i + 1], (c->nhooks - i - 1) * sizeof *c->hooks);
			c->nhooks--;
			return;
		}
	}
}
