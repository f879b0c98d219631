/* ssh-session.h — one SSH connection (libssh, non-blocking) driven from the
 * poll loop.
 *
 * Folder map: backend/ssh/ owns every use of libssh: this session (host
 * keys, @revoked, authentication), the database tunnel (ssh-tunnel.h),
 * diagnostics on nodes (ssh-exec.h) and the validation of host names,
 * targets and known_hosts lines (ssh-validate.h). The console, the script
 * commands (through link.h) and the Slurm adapter's runner use it.
 *
 * The session: connect, host key check, authentication, keepalive with a
 * deadline of our own, reconnect with backoff. Never blocks, never prompts:
 * decisions and secrets the operator must give are states (NEEDS_HOSTKEY,
 * NEEDS_PASSPHRASE) answered through this API from a dialog.
 *
 * Names: libssh owns the ssh_session_* names (ssh_session_is_known_server,
 * ...), so this module's prefix is ssh_conn_.
 *
 * Ownership: struct ssh_conn owns its libssh session, its socket (or the
 * transport fd handed to it) and its loop registrations; the strings in
 * struct ssh_conn_opts are copied by ssh_conn_new. Channel users (the tunnel,
 * diagnostics) borrow ssh_conn_session() while the state is UP and must free
 * their channels from their hook when the state leaves UP: the libssh
 * session is freed right after the hooks run. Callbacks run on the loop;
 * they may call any ssh_conn_* function on this conn except ssh_conn_free.
 * Secrets given to ssh_conn_give_secret are copied, used once and wiped.
 *
 * Blocking caveats (libssh's, documented rather than hidden): the host name
 * is resolved with getaddrinfo inside ssh_connect, and the agent is asked
 * over its local socket synchronously. Use a name in /etc/hosts or an
 * address for a bastion whose DNS may hang. */
#ifndef DCOPS_SSH_SESSION_H
#define DCOPS_SSH_SESSION_H

#include <libssh/libssh.h>
#include <stdbool.h>

#include "loop.h"
#include "util.h"

enum ssh_conn_state {
	SSH_CONN_IDLE,             /* not started, or closed by ssh_conn_close */
	SSH_CONN_CONNECTING,       /* TCP connect and key exchange */
	SSH_CONN_NEEDS_HOSTKEY,    /* unknown host key: ssh_conn_answer_hostkey */
	SSH_CONN_AUTHENTICATING,
	SSH_CONN_NEEDS_PASSPHRASE, /* a key's passphrase or the password: ssh_conn_give_secret */
	SSH_CONN_UP,
	SSH_CONN_DOWN,             /* lost or not reachable; retried with backoff if opts.reconnect */
	SSH_CONN_FAILED,           /* refused for a reason an operator must fix; never retried */
};

struct ssh_conn_opts {
	const char *host;                /* required; must pass ssh_validate_host */
	int port;                        /* 0: 22 */
	const char *user;                /* NULL: the local login name */
	const char *const *identities;   /* NULL-terminated; NULL: ~/.ssh/id_ed25519, id_ecdsa, id_rsa */
	const char *known_hosts;         /* NULL: ~/.ssh/known_hosts */
	bool password_auth;              /* ask for a password when keys fail */
	bool process_config;             /* read ~/.ssh/config (off unless the profile opts in) */
	bool accept_new;                 /* record an unknown host key without asking; the state
	                                  * callback's message says so, and the caller logs it */
	bool no_agent;                   /* skip ssh-agent even when SSH_AUTH_SOCK is set */
	bool reconnect;                  /* on DOWN, reconnect after 1, 2, 4 ... 30 s */
	int connect_timeout_ms;          /* 0: 15000 (key exchange and authentication) */
	int keepalive_ms;                /* 0: 3000; a probe when nothing arrived for this long */
	int dead_ms;                     /* 0: 10000; DOWN when nothing arrived for this long */
	bool use_fd;                     /* carry the session over fd (connected, owned from now on) */
	int fd;
};

/* What the NEEDS_HOSTKEY dialog shows; also filled for a refused key. */
struct ssh_conn_hostkey {
	char host[80];         /* "host" or "[host]:port" as known_hosts writes it */
	char type[32];         /* "ssh-ed25519", ... */
	char fingerprint[96];  /* "SHA256:..." */
	char file[512];        /* the known_hosts file checked */
	int line;              /* for a refused key: the line to inspect; 0 when unknown */
	/* "" or what the operator should know beside the question: a
	 * @cert-authority line for this host, which dcops does not honour */
	char note[600];
};

struct ssh_conn;
/* Called on every state change; msg is one line (why DOWN/FAILED, what was
 * recorded, what is asked), never NULL. */
typedef void (*ssh_conn_state_cb)(struct ssh_conn *c, enum ssh_conn_state st, const char *msg, void *ud);
/* A channel user's hook: called on every state change before the state
 * callback (on leaving UP it must free its channels), and with SSH_CONN_UP
 * again after each batch of input while UP (to retry pending channel
 * opens and requests). */
typedef void (*ssh_conn_hook_cb)(struct ssh_conn *c, enum ssh_conn_state st, void *ud);

/* NULL with err when an option is invalid (host, user, missing host). */
struct ssh_conn *ssh_conn_new(struct loop *l, const struct ssh_conn_opts *o, ssh_conn_state_cb cb, void *ud,
			      struct dc_err *err);
void ssh_conn_free(struct ssh_conn *c);

void ssh_conn_start(struct ssh_conn *c);     /* from IDLE, DOWN or FAILED: connect now */
void ssh_conn_reconnect(struct ssh_conn *c); /* drop whatever is there and connect now */
void ssh_conn_close(struct ssh_conn *c);     /* to IDLE; no reconnect */

/* Before libssh's verdict the known_hosts file and the global one
 * (/etc/ssh/ssh_known_hosts) are read for the markers libssh skips
 * (ssh-validate.h): a key a matching "@revoked" line names ends in FAILED
 * ("REVOKED HOST KEY", file and line), never asked, never recorded, even
 * with accept_new; a matching "@cert-authority" line is named in the
 * hostkey's note and trusts nothing.
 *
 * NEEDS_HOSTKEY: yes records the key in the known_hosts file and goes on;
 * no ends in FAILED with the file untouched. */
void ssh_conn_answer_hostkey(struct ssh_conn *c, bool yes);
/* NEEDS_PASSPHRASE: the secret for ssh_conn_prompt(); NULL skips that key
 * (or gives up the password). */
void ssh_conn_give_secret(struct ssh_conn *c, const char *secret);

enum ssh_conn_state ssh_conn_state(const struct ssh_conn *c);
const char *ssh_conn_state_name(enum ssh_conn_state st); /* "UP", "DOWN", ... */
const char *ssh_conn_message(const struct ssh_conn *c);  /* the last state message */
const char *ssh_conn_prompt(const struct ssh_conn *c);   /* NEEDS_PASSPHRASE's question */
const struct ssh_conn_hostkey *ssh_conn_hostkey(const struct ssh_conn *c);
const char *ssh_conn_target(const struct ssh_conn *c);   /* "user@host:port" */

/* For channel users, valid while UP. */
ssh_session ssh_conn_session(struct ssh_conn *c);
struct loop *ssh_conn_loop(struct ssh_conn *c);
void ssh_conn_hook_add(struct ssh_conn *c, ssh_conn_hook_cb cb, void *ud);
void ssh_conn_hook_del(struct ssh_conn *c, ssh_conn_hook_cb cb, void *ud);
/* After writing to a channel: watch the socket for writability while libssh
 * holds unsent bytes. */
void ssh_conn_kick(struct ssh_conn *c);

#endif
