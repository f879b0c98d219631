/* fuzz_ssh — ssh_validate_host/user/port and ssh_target_parse over one
 * string (the input up to its first NUL).
 * Invariants: what is accepted matches the documented alphabet exactly
 * (checked by a separate, plain reimplementation of each rule), never
 * starts with '-', and a parsed target reassembles into the spec; every
 * message shows hostile bytes escaped (printable ASCII only). */
#include "fuzz.h"

#include "ssh/ssh-validate.h"

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ^[a-z0-9][a-z0-9.-]{0,62}$ without an empty label */
static bool host_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SSH_HOST_MAX || !lower_alnum(s[0]) || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* ^[a-z_][a-z0-9_-]{0,31}$ */
static bool user_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SSH_USER_MAX || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* decimal 1..65535, leading zeros allowed, -1 otherwise */
static long port_value(const char *s)
{
	long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	return v >= 1 ? v : -1;
}

static void check_err(int rc, const struct dc_err *err)
{
	fuzz_check_msg(err->msg, sizeof err->msg, rc < 0);
	fuzz_check_printable(err->msg);
}

static void check_target(const char *s)
{
	struct ssh_target t;
	memset(&t, 0x5a, sizeof t);
	struct dc_err err = { { 0 } };
	int rc = ssh_target_parse(s, &t, &err);
	check_err(rc, &err);
	if (rc < 0)
		return;
	if (!host_ok(t.host) || (t.user[0] && !user_ok(t.user)) || t.port < 1 || t.port > 65535)
		fuzz_fail("target \"%s\" parsed into bad parts", s);
	/* reassemble: [user@]host[:port] */
	size_t un = strlen(t.user), hn = strlen(t.host);
	const char *p = s;
	if (un) {
		if (strncmp(p, t.user, un) != 0 || p[un] != '@')
			fuzz_fail("user \"%s\" is not the spec's", t.user);
		p += un + 1;
	}
	if (strncmp(p, t.host, hn) != 0)
		fuzz_fail("host \"%s\" is not the spec's", t.host);
	p += hn;
	if (*p == '\0' ? t.port != 22 : (*p != ':' || port_value(p + 1) != t.port))
		fuzz_fail("port %d is not the spec's", t.port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct dc_err err = { { 0 } };
	int rc = ssh_validate_host(s, &err);
	check_err(rc, &err);
	if ((rc == 0) != host_ok(s))
		fuzz_fail("host \"%s\": validator says %d", s, rc);

	memset(&err, 0, sizeof err);
	rc = ssh_validate_user(s, &err);
	check_err(rc, &err);
	if ((rc == 0) != user_ok(s))
		fuzz_fail("user \"%s\": validator says %d", s, rc);

	int port = -7;
	memset(&err, 0, sizeof err);
	rc = ssh_validate_port(s, &port, &err);
	check_err(rc, &err);
	if (rc == 0 ? port != port_value(s) : port_value(s) != -1 || port != -7)
		fuzz_fail("port \"%s\": validator says %d (%d)", s, rc, port);

	check_target(s);
	free(s);
	return 0;
}
