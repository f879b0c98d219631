/* ssh-validate.c — see ssh-validate.h. */
#include "ssh/ssh-validate.h"

#include <ctype.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <string.h>

/* Renders an untrusted value for an error message: printable ASCII as is,
 * anything else as \xNN, cut at 48 bytes so a hostile value cannot flood
 * the message or move the cursor. */
static const char *shown(const char *s, char *buf, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; s[i] && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 48) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int ssh_validate_host(const char *host, struct dc_err *err)
{
	char b[256];
	if (!host || !*host)
		return dc_err_set(err, "empty host name");
	size_t n = strlen(host);
	if (n > SSH_HOST_MAX)
		return dc_err_set(err, "host name \"%s\" is longer than %d characters",
				  shown(host, b, sizeof b), SSH_HOST_MAX);
	if (!is_lower_alnum(host[0]))
		return dc_err_set(err, "host name \"%s\" must start with a lowercase letter or digit",
				  shown(host, b, sizeof b));
	for (size_t i = 0; i < n; i++) {
		char c = host[i];
		if (!is_lower_alnum(c) && c != '.' && c != '-')
			return dc_err_set(err, "host name \"%s\" has a character outside a-z 0-9 . - at position %zu",
					  shown(host, b, sizeof b), i + 1);
		if (c == '.' && (host[i + 1] == '.' || host[i + 1] == '\0'))
			return dc_err_set(err, "host name \"%s\" has an empty label", shown(host, b, sizeof b));
	}
	return 0;
}

int ssh_validate_user(const char *user, struct dc_err *err)
{
	char b[256];
	if (!user || !*user)
		return dc_err_set(err, "empty user name");
	size_t n = strlen(user);
	if (n > SSH_USER_MAX)
		return dc_err_set(err, "user name \"%s\" is longer than %d characters",
				  shown(user, b, sizeof b), SSH_USER_MAX);
	if (!(user[0] == '_' || (user[0] >= 'a' && user[0] <= 'z')))
		return dc_err_set(err, "user name \"%s\" must start with a lowercase letter or _",
				  shown(user, b, sizeof b));
	for (size_t i = 1; i < n; i++) {
		char c = user[i];
		if (!is_lower_alnum(c) && c != '_' && c != '-')
			return dc_err_set(err, "user name \"%s\" has a character outside a-z 0-9 _ - at position %zu",
					  shown(user, b, sizeof b), i + 1);
	}
	return 0;
}

int ssh_validate_port(const char *port, int *out, struct dc_err *err)
{
	char b[256];
	long v = 0;
	if (!port || !*port)
		return dc_err_set(err, "empty port");
	for (const char *p = port; *p; p++) {
		if (*p < '0' || *p > '9' || v > 65535)
			return dc_err_set(err, "port \"%s\" is not a number from 1 to 65535", shown(port, b, sizeof b));
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 65535)
		return dc_err_set(err, "port \"%s\" is not a number from 1 to 65535", shown(port, b, sizeof b));
	if (out)
		*out = (int)v;
	return 0;
}

int ssh_target_parse(const char *spec, struct ssh_target *out, struct dc_err *err)
{
	char b[256];
	struct ssh_target t = { .port = 22 };
	if (!spec || !*spec)
		return dc_err_set(err, "empty --ssh target (expected user@host[:port])");
	const char *host = spec;
	const char *at = strchr(spec, '@');
	if (at) {
		size_t n = (size_t)(at - spec);
		if (n == 0 || n > SSH_USER_MAX)
			return dc_err_set(err, "--ssh target \"%s\": the user part must be 1 to %d characters",
					  shown(spec, b, sizeof b), SSH_USER_MAX);
		memcpy(t.user, spec, n);
		t.user[n] = '\0';
		if (ssh_validate_user(t.user, err) < 0)
			return -1;
		host = at + 1;
	}
	const char *colon = strchr(host, ':');
	size_t hn = colon ? (size_t)(colon - host) : strlen(host);
	if (hn == 0 || hn > SSH_HOST_MAX)
		return dc_err_set(err, "--ssh target \"%s\": the host part must be 1 to %d characters",
				  shown(spec, b, sizeof b), SSH_HOST_MAX);
	memcpy(t.host, host, hn);
	t.host[hn] = '\0';
	if (ssh_validate_host(t.host, err) < 0)
		return -1;
	if (colon && ssh_validate_port(colon + 1, &t.port, err) < 0)
		return -1;
	*out = t;
	return 0;
}

/* ---- known_hosts lines ---- */

/* Copies the next blank-separated field of *p into out; -1 when there is
 * none or it does not fit. */
static int kh_field(const char **p, char *out, size_t cap)
{
	const char *s = *p + strspn(*p, " \t");
	size_t n = strcspn(s, " \t\r\n");
	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = s + n;
	return 0;
}

int ssh_kh_parse(const char *line, struct ssh_kh_entry *e)
{
	static const struct { const char *word; enum ssh_kh_marker m; } markers[] = {
		{ "@revoked", SSH_KH_REVOKED },
		{ "@cert-authority", SSH_KH_CERT_AUTHORITY },
	};
	memset(e, 0, sizeof *e);
	const char *p = line + strspn(line, " \t");
	if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	if (*p == '@') {
		char word[32];
		if (kh_field(&p, word, sizeof word) < 0)
			return -1;
		size_t i = 0;
		while (i < DC_ARRAY_LEN(markers) && strcmp(word, markers[i].word) != 0)
			i++;
		if (i == DC_ARRAY_LEN(markers))
			return -1;
		e->marker = markers[i].m;
	}
	if (kh_field(&p, e->hosts, sizeof e->hosts) < 0 || kh_field(&p, e->type, sizeof e->type) < 0 ||
	    kh_field(&p, e->key, sizeof e->key) < 0)
		return -1;
	return 1;
}

/* '*' any run, '?' any one character; case-insensitive. */
static bool glob_match(const char *pat, size_t plen, const char *s)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
	size_t slen = strlen(s);
	while (si < slen) {
		if (pi < plen && (pat[pi] == '?' ||
		                  tolower((unsigned char)pat[pi]) == tolower((unsigned char)s[si]))) {
			pi++;
			si++;
		} else if (pi < plen && pat[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

/* A hashed name: libssh knows the HMAC, and answers for a whole line. */
static bool hashed_match(const struct ssh_kh_entry *e, const char *host)
{
	char line[sizeof e->hosts + sizeof e->type + sizeof e->key + 4];
	snprintf(line, sizeof line, "%s %s %s", e->hosts, e->type, e->key);
	struct ssh_knownhosts_entry *k = NULL;
	bool yes = ssh_known_hosts_parse_line(host, line, &k) == SSH_OK;
	SSH_KNOWNHOSTS_ENTRY_FREE(k);
	return yes;
}

bool ssh_kh_match(const struct ssh_kh_entry *e, const char *host)
{
	if (e->hosts[0] == '|')
		return hashed_match(e, host);
	bool yes = false;
	for (const char *p = e->hosts; *p;) {
		size_t n = strcspn(p, ",");
		bool neg = *p == '!';
		if (glob_match(p + neg, n - neg, host)) {
			if (neg)
				return false;
			yes = true;
		}
		p += n + (p[n] == ',');
	}
	return yes;
}
