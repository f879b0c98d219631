/* ssh-validate.h — checks on every name that reaches an SSH host, user or
 * port, and the parser of `--ssh user@host[:port]`.
 *
 * Names come from the database, config files and the network; nothing may
 * reach libssh (or a remote command line) before passing these checks, so a
 * node called `-oProxyCommand=...` or `a;b` is refused, not interpreted.
 *
 * Ownership: pure functions, no allocation, no global state. Each returns 0
 * when the value is acceptable, or -1 with err (when non-NULL) naming the
 * value (control bytes shown as \xNN) and the rule it broke. */
#ifndef DCOPS_SSH_VALIDATE_H
#define DCOPS_SSH_VALIDATE_H

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

#endif
