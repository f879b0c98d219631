/* ssh-validate.h — checks on every name that reaches an SSH host, user or
 * port, and the parser of `--ssh user@host[:port]`.
 *
 * Names come from the database, config files and the network; nothing may
 * reach libssh (or a remote command line) before passing these checks, so a
 * node called `-oProxyCommand=...` or `a;b` is refused, not interpreted.
 *
 * Ownership: pure functions, no global state, nothing allocated that
 * outlives a call (a hashed known_hosts name is checked by libssh, which
 * allocates and frees inside). The validators return 0 when the value is
 * acceptable, or -1 with err (when non-NULL) naming the value (control
 * bytes shown as \xNN) and the rule it broke. */
#ifndef DCOPS_SSH_VALIDATE_H
#define DCOPS_SSH_VALIDATE_H

#include <stdbool.h>

#include "util.h"

#define SSH_HOST_MAX 63 /* bytes, not counting the NUL */
#define SSH_USER_MAX 32

/* A host: ^[a-z0-9][a-z0-9.-]{0,62}$ with no empty label ("a..b", "a.").
 * Lowercase only: names in the fleet are lowercase, and a mixed-case name
 * is more likely a typo or an attack than a host. IPv4 literals fit. */
int ssh_validate_host(const char *host, struct dc_err *err);

/* A login name: ^[a-z_][a-z0-9_-]{0,31}$ (POSIX portable, no leading '-'). */
int ssh_validate_user(const char *user, struct dc_err *err);

/* A TCP port as text: decimal 1..65535, no sign, no spaces. */
int ssh_validate_port(const char *port, int *out, struct dc_err *err);

struct ssh_target {
	char user[SSH_USER_MAX + 1]; /* "" when the spec names none */
	char host[SSH_HOST_MAX + 1];
	int port;                    /* 22 when the spec names none */
};

/* Parses "[user@]host[:port]" and validates each part. */
int ssh_target_parse(const char *spec, struct ssh_target *out, struct dc_err *err);

/* ---- known_hosts lines, for the markers libssh ignores ----
 * libssh reads "hosts type key" lines only: it skips "@revoked" (so a
 * revoked key looks merely unknown, and --ssh-accept-new would record it)
 * and "@cert-authority" (dcops does not check host certificates). These
 * read them the way OpenSSH does, so ssh-session.c can refuse a revoked
 * key before libssh's verdict and name the CA lines it ignores. */
enum ssh_kh_marker { SSH_KH_NONE, SSH_KH_REVOKED, SSH_KH_CERT_AUTHORITY };

struct ssh_kh_entry {
	enum ssh_kh_marker marker;
	char hosts[1024];   /* "a,b*,!c,[d]:2222" or "|1|salt|hash" */
	char type[64];      /* "ssh-ed25519" */
	char key[8192];     /* base64, as written */
};

/* Splits "[@marker] hosts type key [comment]". 1 for an entry, 0 for a
 * blank or comment line, -1 for one that is malformed (an unknown marker,
 * a missing field, a field longer than its buffer). */
int ssh_kh_parse(const char *line, struct ssh_kh_entry *e);

/* Whether e's hosts name host ("name", or "[name]:port" off port 22), by
 * OpenSSH's rules: comma-separated patterns with '*' and '?', compared
 * without case; a matching "!pattern" excludes the host whatever else
 * matches; "|1|salt|hash" is a hashed name (HMAC-SHA1, checked by libssh). */
bool ssh_kh_match(const struct ssh_kh_entry *e, const char *host);

#endif
