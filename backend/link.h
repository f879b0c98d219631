/* link.h — the console's way to the data center through a bastion: one
 * SSH connection (ssh-session.h) carrying the database (ssh-tunnel.h) and
 * the diagnostics run on nodes (ssh-exec.h), behind plain types so tui/
 * never sees libssh.
 *
 * The link composes the settings: `--ssh [user@]host[:port]` over the
 * profile's "ssh" object (host, port, user, identity_file, known_hosts,
 * db_host, db_port, node_host, node_port, read_ssh_config,
 * password_auth). The tunnel's private socket exists from link_new on, so
 * the store is started at once with link_conninfo(): host=<tunnel dir>
 * port=<port> plus what the database conninfo says of dbname, user and
 * the rest (host, hostaddr and port are replaced). While SSH is not UP the
 * store's connections fail fast and it backs off; when SSH comes UP the
 * link tells the store to retry now (link_set_store).
 *
 * Where the database is, as seen from the bastion: the profile's db_host
 * and db_port; else the host of the conninfo (a socket directory there
 * becomes the socket path <dir>/.s.PGSQL.<port> on the bastion, so the
 * embedded demo, which listens on no TCP port, is reached through a local
 * sshd); else 127.0.0.1:5432.
 *
 * Questions: an unknown host key (the bastion's, or a node's during a
 * diagnostic) and a key's passphrase are asked through link_question and
 * answered with link_answer_hostkey / link_give_secret; nothing is ever
 * prompted on the terminal. Only one question is open at a time; the
 * bastion's comes first.
 *
 * Writes: link_writable() is false while a link exists and is not UP; the
 * console disables write actions then (the data it shows is stale).
 *
 * Ownership: struct link owns its SSH connection, its tunnel (directory
 * removed by link_free), its diagnostic table and its runs; it borrows the
 * loop and the store (link_set_store; NULL to forget). Strings returned
 * by link_* functions live until the next loop turn or link_free.
 * struct link_run is owned by the caller from link_run_start until
 * link_run_free (call it from the done callback, or any time after). */
#ifndef DCOPS_LINK_H
#define DCOPS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "util.h"

struct store;

/* Mirrors ssh_conn_state, without libssh. */
enum link_state {
	LINK_OFF,
	LINK_CONNECTING,
	LINK_NEEDS_HOSTKEY,
	LINK_AUTHENTICATING,
	LINK_NEEDS_SECRET,
	LINK_UP,
	LINK_DOWN,
	LINK_FAILED,
};

struct link_opts {
	const char *ssh;                 /* --ssh [user@]host[:port]; wins over the profile's */
	const struct config_ssh *prof;   /* the profile's "ssh" object, or NULL */
	const char *conninfo;            /* the database conninfo (dbname, user, ...), may be NULL */
	const struct config_diag *diags; /* the config's diagnostics; NULL: the defaults */
	size_t ndiags;
	bool accept_new;                 /* --ssh-accept-new: record unknown host keys, logged */
	bool no_agent;                   /* tests: skip ssh-agent */
	bool once;                       /* script commands: DOWN is the end, no reconnect */
	int keepalive_ms;                /* 0: 2000 */
	int dead_ms;                     /* 0: 6000, so SSH DOWN shows within 10 s */
	int diag_deadline_ms;            /* 0: 30000 */
};

struct link;
/* Called after every change of state, question or error; may call any
 * link_* function but link_free. */
typedef void (*link_changed_fn)(void *ud);

/* NULL with err when a name or option is refused (nothing started). */
struct link *link_new(struct loop *l, const struct link_opts *o, link_changed_fn cb, void *ud,
		      struct dc_err *err);
void link_free(struct link *k);
void link_start(struct link *k);
/* Retries a FAILED link (after the operator fixed known_hosts, say). */
void link_retry(struct link *k);
void link_set_store(struct link *k, struct store *s);

/* host=<tunnel dir> port=<port> dbname=... for the store. */
const char *link_conninfo(const struct link *k);
enum link_state link_state(const struct link *k);
/* "UP", "DOWN", "CONNECTING", "needs host key", "needs passphrase", ... */
const char *link_state_name(enum link_state st);
const char *link_target(const struct link *k);    /* "user@host:port" */
const char *link_message(const struct link *k);   /* the last state message */
const char *link_error(const struct link *k);     /* the last refused forward, "" if none */
const char *link_db_target(const struct link *k); /* "127.0.0.1:5432" or a socket path */
bool link_writable(const struct link *k);         /* true when k is NULL or UP */
bool link_accepted_new(const struct link *k);     /* a host key was recorded by --ssh-accept-new */
size_t link_forwards(const struct link *k);       /* open database channels */

/* ---- questions ---- */

enum link_ask { LINK_ASK_NONE, LINK_ASK_HOSTKEY, LINK_ASK_SECRET };

struct link_question {
	enum link_ask kind;
	const void *id;         /* the asking session; changes when another asks */
	char who[96];           /* "bastion kim@bastion:22" or "node gpu-a17" */
	char host[80];          /* HOSTKEY: as known_hosts writes it */
	char type[32];
	char fingerprint[96];   /* "SHA256:..." */
	char file[512];         /* the known_hosts file */
	char prompt[256];       /* SECRET: what is asked */
	char note[600];         /* HOSTKEY: "" or a @cert-authority line dcops ignores */
};

/* The open question (kind NONE when there is none). */
void link_question(const struct link *k, struct link_question *q);
/* Answers the question whose id is id (ignored when it is gone). */
void link_answer_hostkey(struct link *k, const void *id, bool yes);
void link_give_secret(struct link *k, const void *id, const char *secret); /* NULL: skip */

/* ---- diagnostics on a node ---- */

struct link_diag {
	const char *name;   /* "gpu" */
	const char *label;  /* "GPU summary" */
	bool nvsmi_csv;     /* output is the GPU summary CSV (nvsmi.h) */
};
size_t link_diag_count(const struct link *k);
const struct link_diag *link_diag_at(const struct link *k, size_t i);

struct link_run_result {
	int exit_status;        /* -1 when none arrived */
	char exit_signal[32];
	bool timed_out, truncated;
	size_t bytes;
	int64_t ms;             /* from start to end */
	const char *error;      /* NULL, or why it did not run to the end */
};

struct link_run;
struct link_run_cbs {
	/* The node's session: one line of progress ("connecting", a refused key). */
	void (*state)(void *ud, const char *msg);
	/* Raw output as it arrives: may hold control sequences. */
	void (*output)(void *ud, const char *data, size_t len, bool is_stderr);
	void (*done)(void *ud, const struct link_run_result *r);
};

/* Whether node may be named to SSH (a host name, lowercase, no '-' first);
 * -1 with err naming the rule it broke. */
int link_node_check(const struct link *k, const char *node, struct dc_err *err);
/* Runs the diagnostic named diag on node (validated: a node called
 * "-oProxyCommand=..." or "a;b" is refused here). NULL with err when
 * refused, unknown or the link is not UP. */
struct link_run *link_run_start(struct link *k, const char *node, const char *diag,
				const struct link_run_cbs *cbs, void *ud, struct dc_err *err);
const struct link_diag *link_run_diag(const struct link_run *r);
const char *link_run_node(const struct link_run *r);
void link_run_cancel(struct link_run *r);  /* done follows with error "cancelled" */
void link_run_free(struct link_run *r);

#endif
