/* ssh-exec.h — run one allow-listed diagnostic on a node, through the
 * bastion, without blocking the loop.
 *
 * Path: a direct-tcpip channel from the bastion to node:22 carries a second
 * SSH session. libssh 0.10 cannot take a channel as a transport, so one end
 * of a socketpair is given to the node's session (SSH_OPTIONS_FD) and the
 * other end is spliced to the channel by an ssh_fwd. The node's session is
 * an ssh_conn like the bastion's: the same host key rules (unknown key →
 * NEEDS_HOSTKEY for the operator, changed → refused) and the same
 * authentication (agent, identities, passphrase asked through the API).
 *
 * Only commands from a table run: the caller names a diagnostic, never a
 * command line. Node and user names are checked with ssh-validate.h before
 * anything is sent. Output is streamed to a callback as it arrives, raw:
 * bytes may include terminal control sequences, which the UI must show
 * inert. A run is cut at its deadline (default 30 s, counted from the
 * command's start) and at its output cap (default 1 MiB). The node runs the
 * command as `timeout -k 2 <deadline> sh -c '<command>'`, so a cut, a
 * cancel or a lost link never leaves it running past the deadline
 * (coreutils' timeout is assumed on nodes).
 *
 * Ownership: struct ssh_exec owns the node session, the channel and the
 * forward; it borrows the bastion ssh_conn and the diagnostic table (both
 * must outlive it). The output callback must not free the run; the done
 * callback is called once, from the loop, and may (should) call
 * ssh_exec_free. */
#ifndef DCOPS_SSH_EXEC_H
#define DCOPS_SSH_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "ssh/ssh-session.h"
#include "util.h"

struct ssh_diag {
	const char *name;    /* menu key: ^[a-z0-9_-]{1,32}$ */
	const char *label;   /* menu text */
	const char *command; /* run by the node's login shell; from config only */
	bool nvsmi_csv;      /* output is NVSMI_QUERY_FIELDS CSV: parse with nvsmi_parse */
};

/* gpu, ecc, xid, slurmd. */
extern const struct ssh_diag ssh_diag_defaults[];
extern const size_t ssh_diag_ndefaults;

/* The table row named name, or NULL with err listing the known names. */
const struct ssh_diag *ssh_diag_find(const struct ssh_diag *table, size_t n, const char *name,
				     struct dc_err *err);
/* Refuses a table with a bad name, an empty command or control bytes in
 * a command (checked when a config file is loaded). */
int ssh_diag_check(const struct ssh_diag *table, size_t n, struct dc_err *err);

struct ssh_exec_opts {
	struct ssh_conn *bastion;       /* must be UP */
	const char *node;               /* validated host name */
	int node_port;                  /* 0: 22 */
	const char *user;               /* NULL: the local login name */
	const char *const *identities;  /* as in ssh_conn_opts */
	const char *known_hosts;
	bool accept_new;
	bool no_agent;
	const struct ssh_diag *table;   /* NULL: ssh_diag_defaults */
	size_t ntable;
	const char *diag;               /* the row to run */
	int deadline_ms;                /* 0: 30000 */
	size_t output_cap;              /* 0: 1 MiB */
};

struct ssh_exec_result {
	int exit_status;       /* -1 when none arrived */
	char exit_signal[32];  /* "" unless killed by a signal */
	bool timed_out;
	bool truncated;        /* output cap reached */
	size_t bytes;          /* output delivered */
	const char *error;     /* NULL, or why it did not run to the end */
};

struct ssh_exec;
struct ssh_exec_cbs {
	/* The node session's state changes (NEEDS_HOSTKEY and NEEDS_PASSPHRASE
	 * are answered on ssh_exec_conn()). May be NULL. */
	void (*state)(struct ssh_exec *x, enum ssh_conn_state st, const char *msg, void *ud);
	void (*output)(struct ssh_exec *x, const char *data, size_t len, bool is_stderr, void *ud);
	void (*done)(struct ssh_exec *x, const struct ssh_exec_result *r, void *ud);
};

/* NULL with err when a name is refused, the diagnostic is unknown or the
 * bastion is not UP. */
struct ssh_exec *ssh_exec_start(struct loop *l, const struct ssh_exec_opts *o, const struct ssh_exec_cbs *cbs,
				void *ud, struct dc_err *err);
struct ssh_conn *ssh_exec_conn(struct ssh_exec *x); /* the node's session */
const struct ssh_diag *ssh_exec_diag(const struct ssh_exec *x);
/* Stops the run: done is called with error "cancelled". */
void ssh_exec_cancel(struct ssh_exec *x);
void ssh_exec_free(struct ssh_exec *x);

#endif
