/* test_ssh — the SSH backend against real OpenSSH on 127.0.0.1: host keys,
 * authentication, the tunnel (libpq through it, cancel, back-pressure,
 * PermitOpen), the keepalive deadline and reconnect, and diagnostics on a
 * node through the bastion.
 *
 * Run bare (as run.sh does), it re-executes itself under
 * `tests/lib/sshd.sh with-fixtures`, which starts a bastion sshd, a node
 * sshd with the fixture nvidia-smi on its PATH and a TCP PostgreSQL, and
 * stops them on exit. libpq runs in a helper thread (PQcancel and
 * PQconnectdb block); libssh and the loop stay on the main thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"
#include "nvsmi.h"
#include "ssh/ssh-exec.h"
#include "ssh/ssh-session.h"
#include "ssh/ssh-tunnel.h"
#include "util.h"

static struct loop *L;
static int bastion_port, node_port, pg_port;
static const char *key, *key_enc, *top, *bastion_dir, *node_dir, *lib;

/* ---- helpers ---- */

static bool wait_until(bool (*pred)(void *), void *ud, int ms)
{
	int64_t end = dc_mono_ms() + ms;
	while (!pred(ud)) {
		if (dc_mono_ms() > end)
			return false;
		loop_run_once(L, 20);
	}
	return true;
}

struct rec {
	enum ssh_conn_state st;
	char msg[1024];
	int n;
	bool seen_down;
};

static void on_state(struct ssh_conn *c, enum ssh_conn_state st, const char *msg, void *ud)
{
	(void)c;
	struct rec *r = ud;
	r->st = st;
	r->n++;
	if (st == SSH_CONN_DOWN)
		r->seen_down = true;
	snprintf(r->msg, sizeof r->msg, "%s", msg);
	print_message("  ssh: %-16s %s\n", ssh_conn_state_name(st), msg);
}

static bool settled(void *ud)
{
	struct rec *r = ud;
	return r->st == SSH_CONN_UP || r->st == SSH_CONN_FAILED || r->st == SSH_CONN_DOWN ||
	       r->st == SSH_CONN_NEEDS_HOSTKEY || r->st == SSH_CONN_NEEDS_PASSPHRASE;
}

static bool is_down(void *ud)
{
	return ((struct rec *)ud)->st == SSH_CONN_DOWN;
}

static bool is_up(void *ud)
{
	return ((struct rec *)ud)->st == SSH_CONN_UP;
}

static char *path_in_top(const char *name)
{
	return xasprintf("%s/%s", top, name);
}

static char *slurp(const char *path)
{
	char *t = NULL;
	size_t n;
	if (dc_read_file(path, 1u << 20, &t, &n, NULL) < 0)
		return xstrdup("<missing>");
	return t;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* "[127.0.0.1]:port ssh-ed25519 AAAA..." for an instance's host key. */
static char *known_line(const char *dir, int port)
{
	char *pubpath = xasprintf("%s/host_ed25519.pub", dir);
	char *pub = slurp(pubpath);
	char *sp = strchr(pub, ' ');
	sp = sp ? strchr(sp + 1, ' ') : NULL;
	if (sp)
		*sp = '\0'; /* drop the comment */
	char *line = xasprintf("[127.0.0.1]:%d %s\n", port, pub);
	free(pub);
	free(pubpath);
	return line;
}

static void sh(const char *fmt, ...) DC_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static const char *ids_plain[2];
static const char *ids_enc[2];

static struct ssh_conn *bastion(struct rec *r, const char *known_hosts, bool accept_new)
{
	struct ssh_conn_opts o = {
		.host = "127.0.0.1",
		.port = bastion_port,
		.identities = ids_plain,
		.known_hosts = known_hosts,
		.no_agent = true,
		.accept_new = accept_new,
		.keepalive_ms = 500,
		.dead_ms = 2500,
		.connect_timeout_ms = 10000,
	};
	struct dc_err err;
	struct ssh_conn *c = ssh_conn_new(L, &o, on_state, r, &err);
	if (!c)
		fail_msg("%s", err.msg);
	ssh_conn_start(c);
	assert_true(wait_until(settled, r, 15000));
	return c;
}

/* A known_hosts file that already trusts the bastion. */
static char *trusted_known_hosts(void)
{
	char *p = path_in_top("known_trusted");
	char *line = known_line(bastion_dir, bastion_port);
	write_file(p, line);
	free(line);
	return p;
}

/* ---- host keys and authentication ---- */

static char *expected_fingerprint(const char *dir)
{
	char cmd[600], out[256] = "";
	snprintf(cmd, sizeof cmd, "ssh-keygen -l -E sha256 -f %s/host_ed25519.pub", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof out, p));
	pclose(p);
	char *b = strstr(out, "SHA256:");
	assert_non_null(b);
	char *e = strchr(b, ' ');
	return xstrndup(b, e ? (size_t)(e - b) : strlen(b));
}

static void test_unknown_key_refused_on_no(void **state)
{
	(void)state;
	char *kh = path_in_top("known_no");
	write_file(kh, "# operators' known hosts\n");
	char *before = slurp(kh);
	struct rec r = { 0 };
	struct ssh_conn *c = bastion(&r, kh, false);
	assert_int_equal(r.st, SSH_CONN_NEEDS_HOSTKEY);
	const struct ssh_conn_hostkey *hk = ssh_conn_hostkey(c);
	char *fp = expected_fingerprint(bastion_dir);
	assert_string_equal(hk->fingerprint, fp);
	assert_string_equal(hk->type, "ssh-ed25519");
	char host[64];
	snprintf(host, sizeof host, "[127.0.0.1]:%d", bastion_port);
	assert_string_equal(hk->host, host);
	assert_string_equal(hk->file, kh);
	assert_non_null(strstr(r.msg, fp));
	ssh_conn_answer_hostkey(c, false);
	assert_int_equal(r.st, SSH_CONN_FAILED);
	assert_non_null(strstr(r.msg, "not accepted"));
	char *after = slurp(kh);
	assert_string_equal(before, after);
	/* a missing file is "not found": asked the same way, not created */
	char *missing = path_in_top("known_missing");
	struct rec r2 = { 0 };
	struct ssh_conn *c2 = bastion(&r2, missing, false);
	assert_int_equal(r2.st, SSH_CONN_NEEDS_HOSTKEY);
	ssh_conn_answer_hostkey(c2, false);
	assert_int_not_equal(access(missing, F_OK), 0);
	ssh_conn_free(c2);
	ssh_conn_free(c);
	free(missing);
	free(before);
	free(after);
	free(fp);
	free(kh);
}

static void test_unknown_key_recorded_on_yes(void **state)
{
	(void)state;
	char *kh = path_in_top("known_yes");
	write_file(kh, "");
	struct rec r = { 0 };
	struct ssh_conn *c = bastion(&r, kh, false);
	assert_int_equal(r.st, SSH_CONN_NEEDS_HOSTKEY);
	ssh_conn_answer_hostkey(c, true);
	assert_true(wait_until(settled, &r, 10000));
	assert_int_equal(r.st, SSH_CONN_UP);
	char *text = slurp(kh);
	char host[64];
	snprintf(host, sizeof host, "[127.0.0.1]:%d ssh-ed25519 ", bastion_port);
	assert_non_null(strstr(text, host));
	ssh_conn_free(c);
	/* the next connection trusts it without asking */
	struct rec r2 = { 0 };
	c = bastion(&r2, kh, false);
	assert_int_equal(r2.st, SSH_CONN_UP);
	ssh_conn_free(c);
	free(text);
	free(kh);
}

static void test_accept_new_records_and_says_so(void **state)
{
	(void)state;
	char *kh = path_in_top("known_accept_new");
	write_file(kh, "");
	struct rec r = { 0 };
	struct ssh_conn *c = bastion(&r, kh, true);
	assert_int_equal(r.st, SSH_CONN_UP);
	char *text = slurp(kh);
	assert_non_null(strstr(text, "ssh-ed25519"));
	ssh_conn_free(c);
	free(text);
	free(kh);
}

static void test_changed_key_refused_with_line(void **state)
{
	(void)state;
	char *other = path_in_top("impostor");
	sh("rm -f %s %s.pub && ssh-keygen -q -t ed25519 -N '' -f %s", other, other, other);
	char *pubpath = xasprintf("%s.pub", other);
	char *pub = slurp(pubpath);
	char *kh = path_in_top("known_changed");
	char *text = xasprintf("# line 1\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake\n"
			       "[127.0.0.1]:%d %s",
			       bastion_port, pub);
	write_file(kh, text);
	struct rec r = { 0 };
	struct ssh_conn *c = bastion(&r, kh, false);
	assert_int_equal(r.st, SSH_CONN_FAILED);
	assert_non_null(strstr(r.msg, "CHANGED"));
	assert_non_null(strstr(r.msg, kh));
	assert_non_null(strstr(r.msg, "line 3"));
	assert_int_equal(ssh_conn_hostkey(c)->line, 3);
	/* no way through: a yes is ignored, a retry is refused again */
	ssh_conn_answer_hostkey(c, true);
	assert_int_equal(r.st, SSH_CONN_FAILED);
	ssh_conn_start(c);
	assert_true(wait_until(settled, &r, 10000));
	assert_int_equal(r.st, SSH_CONN_FAILED);
	char *after = slurp(kh);
	assert_string_equal(text, after);
	ssh_conn_free(c);

	/* a key of another type on record: refused as well */
	char *kh2 = path_in_top("known_other");
	sh("rm -f %s_ec %s_ec.pub && ssh-keygen -q -t ecdsa -N '' -f %s_ec", other, other, other);
	char *ecpath = xasprintf("%s_ec.pub", other);
	char *ec = slurp(ecpath);
	char *text2 = xasprintf("[127.0.0.1]:%d %s", bastion_port, ec);
	write_file(kh2, text2);
	struct rec r2 = { 0 };
	c = bastion(&r2, kh2, false);
	assert_int_equal(r2.st, SSH_CONN_FAILED);
	assert_non_null(strstr(r2.msg, "ANOTHER TYPE"));
	assert_non_null(strstr(r2.msg, "line 1"));
	ssh_conn_free(c);
	free(text2);
	free(ec);
	free(ecpath);
	free(kh2);
	free(after);
	free(text);
	free(kh);
	free(pub);
	free(pubpath);
	free(other);
}

/* The bastion's key, "ssh-ed25519 AAAA..." without its comment. */
static char *bastion_key(void)
{
	char *line = known_line(bastion_dir, bastion_port);
	char *hkey = xstrdup(strchr(line, ' ') + 1);
	hkey[strcspn(hkey, "\n")] = '\0';
	free(line);
	return hkey;
}

/* OpenSSH refuses a key a @revoked line names ("REVOKED HOST KEY
 * DETECTED"); libssh skips such lines, so the key looked merely unknown
 * and --ssh-accept-new recorded it. Refused before libssh's verdict, with
 * accept_new or without, whatever pattern names the host; nothing
 * appended. */
static void test_revoked_key_refused(void **state)
{
	(void)state;
	char *hkey = bastion_key();
	char *host = xasprintf("[127.0.0.1]:%d", bastion_port);
	char hashed[256];
	char *cmd = xasprintf("f=$(mktemp) && echo '%s %s' >$f && ssh-keygen -H -f $f >/dev/null 2>&1 && "
	                      "cut -d' ' -f1 $f; rm -f $f $f.old", host, hkey);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(hashed, sizeof hashed, p));
	pclose(p);
	hashed[strcspn(hashed, "\n")] = '\0';
	assert_int_equal(strncmp(hashed, "|1|", 3), 0);
	/* the patterns that name this host: any, wildcards with the port, the
	 * exact [host]:port, in a list, hashed; the trusted line beside it
	 * does not win */
	const char *const pats[] = { "*", "[127.0.0.1]:*", host, "other,[127.0.0.?]:*", hashed };
	for (size_t i = 0; i < DC_ARRAY_LEN(pats); i++) {
		for (int accept = 0; accept < 2; accept++) {
			char *kh = path_in_top("known_revoked");
			char *text = i == 2 ? xasprintf("# ops\n@revoked %s %s old bastion\n%s %s\n", pats[i], hkey, host, hkey)
			                    : xasprintf("# ops\n@revoked %s %s old bastion\n", pats[i], hkey);
			write_file(kh, text);
			struct rec r = { 0 };
			struct ssh_conn *c = bastion(&r, kh, accept);
			print_message("  pattern %s, accept_new %d: %s\n", pats[i], accept, r.msg);
			assert_int_equal(r.st, SSH_CONN_FAILED);
			assert_non_null(strstr(r.msg, "REVOKED HOST KEY"));
			assert_non_null(strstr(r.msg, kh));
			assert_non_null(strstr(r.msg, "line 2"));
			assert_int_equal(ssh_conn_hostkey(c)->line, 2);
			ssh_conn_answer_hostkey(c, true);   /* no question to answer */
			assert_int_equal(r.st, SSH_CONN_FAILED);
			char *after = slurp(kh);
			assert_string_equal(text, after);
			ssh_conn_free(c);
			free(after);
			free(text);
			free(kh);
		}
	}
	/* patterns that do not name it: the key is only unknown */
	const char *const miss[] = { "127.0.0.1", "*,![127.0.0.1]:*", "other" };
	for (size_t i = 0; i < DC_ARRAY_LEN(miss); i++) {
		char *kh = path_in_top("known_revoked_other");
		char *text = xasprintf("@revoked %s %s\n", miss[i], hkey);
		write_file(kh, text);
		struct rec r = { 0 };
		struct ssh_conn *c = bastion(&r, kh, false);
		assert_int_equal(r.st, SSH_CONN_NEEDS_HOSTKEY);
		ssh_conn_free(c);
		free(text);
		free(kh);
	}
	free(cmd);
	free(host);
	free(hkey);
}

/* A @cert-authority line for the host vouches for nothing (dcops does not
 * check host certificates): the key is asked about as unknown, and the
 * question names the line. */
static void test_cert_authority_named_not_trusted(void **state)
{
	(void)state;
	char *hkey = bastion_key();
	char *kh = path_in_top("known_ca");
	char *text = xasprintf("@cert-authority * %s site CA\n", hkey);
	write_file(kh, text);
	struct rec r = { 0 };
	struct ssh_conn *c = bastion(&r, kh, false);
	assert_int_equal(r.st, SSH_CONN_NEEDS_HOSTKEY);
	const char *note = ssh_conn_hostkey(c)->note;
	assert_non_null(strstr(note, kh));
	assert_non_null(strstr(note, "line 1 is a @cert-authority line"));
	assert_non_null(strstr(note, "does not check host certificates"));
	assert_non_null(strstr(r.msg, "@cert-authority"));
	ssh_conn_answer_hostkey(c, false);
	char *after = slurp(kh);
	assert_string_equal(text, after);
	ssh_conn_free(c);
	free(after);
	free(text);
	free(kh);
	free(hkey);
}

static void test_passphrase_asked_through_the_api(void **state)
{
	(void)state;
	char *kh = trusted_known_hosts();
	struct ssh_conn_opts o = {
		.host = "127.0.0.1", .port = bastion_port, .identities = ids_enc,
		.known_hosts = kh, .no_agent = true,
	};
	struct rec r = { 0 };
	struct dc_err err;
	struct ssh_conn *c = ssh_conn_new(L, &o, on_state, &r, &err);
	assert_non_null(c);
	ssh_conn_start(c);
	assert_true(wait_until(settled, &r, 10000));
	assert_int_equal(r.st, SSH_CONN_NEEDS_PASSPHRASE);
	assert_non_null(strstr(ssh_conn_prompt(c), key_enc));
	ssh_conn_give_secret(c, "wrong");
	assert_true(wait_until(settled, &r, 10000));
	assert_int_equal(r.st, SSH_CONN_NEEDS_PASSPHRASE);
	assert_non_null(strstr(ssh_conn_prompt(c), "Wrong passphrase"));
	ssh_conn_give_secret(c, "sesame");
	assert_true(wait_until(settled, &r, 10000));
	assert_int_equal(r.st, SSH_CONN_UP);
	ssh_conn_free(c);
	free(kh);
}

/* ---- the tunnel ---- */

struct pgjob {
	char conninfo[512];
	char direct[512];
	bool cancel;
	atomic_bool done;
	char result[512];
	bool ok;
	int64_t cancel_ms;
};

static char *query_all(PGconn *conn, const char *sql, char *why, size_t cap)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(why, cap, "%s", PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	struct sb sb = { 0 };
	for (int i = 0; i < PQntuples(res); i++)
		for (int j = 0; j < PQnfields(res); j++)
			sb_appendf(&sb, "%s%c", PQgetvalue(res, i, j), j + 1 == PQnfields(res) ? '\n' : '|');
	PQclear(res);
	return sb_take(&sb);
}

static void *pg_thread(void *ud)
{
	struct pgjob *j = ud;
	PGconn *t = PQconnectdb(j->conninfo);
	if (PQstatus(t) != CONNECTION_OK) {
		snprintf(j->result, sizeof j->result, "tunnel connect: %s", PQerrorMessage(t));
		goto out;
	}
	if (j->cancel) {
		int64_t t0 = dc_mono_ms();
		PQsendQuery(t, "select pg_sleep(30)");
		usleep(500 * 1000);
		char errbuf[256];
		PGcancel *cn = PQgetCancel(t);
		int sent = PQcancel(cn, errbuf, sizeof errbuf);
		PQfreeCancel(cn);
		PGresult *res;
		const char *state = "";
		while ((res = PQgetResult(t))) {
			if (PQresultErrorField(res, PG_DIAG_SQLSTATE))
				state = strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "57014") == 0 ? "57014" : "other";
			PQclear(res);
		}
		j->cancel_ms = dc_mono_ms() - t0;
		j->ok = sent && strcmp(state, "57014") == 0;
		snprintf(j->result, sizeof j->result, "cancel sent=%d sqlstate=%s after %lld ms", sent, state,
			 (long long)j->cancel_ms);
		goto out;
	}
	PGconn *d = PQconnectdb(j->direct);
	char why[256] = "";
	/* many rows, and one 4 MB value: several windows and full buffers */
	static const char *const sql[] = {
		"select g, md5(g::text), now() - now() from generate_series(1, 20000) g",
		"select length(string_agg(md5(g::text), '')), md5(string_agg(md5(g::text), '')) "
		"from generate_series(1, 125000) g",
		"select repeat('x', 4000000)",
	};
	j->ok = PQstatus(d) == CONNECTION_OK;
	for (size_t i = 0; j->ok && i < DC_ARRAY_LEN(sql); i++) {
		char *a = query_all(t, sql[i], why, sizeof why), *b = query_all(d, sql[i], why, sizeof why);
		j->ok = a && b && strcmp(a, b) == 0 && strlen(a) > 10;
		if (!j->ok)
			snprintf(j->result, sizeof j->result, "query %zu differs or failed: %.256s", i, why);
		free(a);
		free(b);
	}
	PQfinish(d);
out:
	PQfinish(t);
	atomic_store(&j->done, true);
	return NULL;
}

static bool job_done(void *ud)
{
	return atomic_load(&((struct pgjob *)ud)->done);
}

static void run_pg_job(struct pgjob *j)
{
	pthread_t th;
	atomic_store(&j->done, false);
	assert_int_equal(pthread_create(&th, NULL, pg_thread, j), 0);
	bool finished = wait_until(job_done, j, 60000);
	pthread_join(th, NULL); /* PQconnectdb times out by itself */
	assert_true(finished);
}

struct terr {
	char msg[1024];
	int n;
};

static void on_tunnel_error(struct ssh_tunnel *t, const char *msg, void *ud)
{
	(void)t;
	struct terr *e = ud;
	snprintf(e->msg, sizeof e->msg, "%s", msg);
	e->n++;
	print_message("  tunnel: %s\n", msg);
}

static bool tunnel_failed(void *ud)
{
	return ((struct terr *)ud)->n > 0;
}

static bool tunnel_idle(void *ud)
{
	return ssh_tunnel_active(ud) == 0;
}

static void test_tunnel_query_matches_direct(void **state)
{
	(void)state;
	char *kh = trusted_known_hosts();
	struct rec r = { 0 };
	struct ssh_conn *c = bastion(&r, kh, false);
	assert_int_equal(r.st, SSH_CONN_UP);
	struct terr te = { 0 };
	struct dc_err err;
	struct ssh_tunnel *t = ssh_tunnel_open(c, "127.0.0.1", pg_port, 0, on_tunnel_error, &te, &err);
	if (!t)
		fail_msg("%s", err.msg);
	struct stat st;
	assert_int_equal(stat(ssh_tunnel_dir(t), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	char *sock = xasprintf("%s/.s.PGSQL.%d", ssh_tunnel_dir(t), pg_port);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	struct pgjob j = { 0 };
	snprintf(j.conninfo, sizeof j.conninfo, "host=%s port=%d dbname=postgres connect_timeout=10",
		 ssh_tunnel_dir(t), ssh_tunnel_port(t));
	snprintf(j.direct, sizeof j.direct, "host=127.0.0.1 port=%d dbname=postgres", pg_port);
	run_pg_job(&j);
	print_message("  %s\n", j.result);
	assert_true(j.ok);
	assert_true(wait_until(tunnel_idle, t, 5000)); /* channels closed on EOF */
	assert_int_equal(te.n, 0);

	/* libpq's cancel request opens its own connection: its own channel */
	struct pgjob k = { .cancel = true };
	snprintf(k.conninfo, sizeof k.conninfo, "%s", j.conninfo);
	run_pg_job(&k);
	print_message("  %s\n", k.result);
	assert_true(k.ok);
	assert_true(k.cancel_ms < 10000);

	char *dir = xstrdup(ssh_tunnel_dir(t));
	ssh_tunnel_close(t);
	assert_int_not_equal(access(dir, F_OK), 0); /* socket and directory gone */
	ssh_conn_free(c);
	free(dir);
	free(sock);
	free(kh);
}

/* A client that stops reading while the server's reply is on its way
 * (shutdown(SHUT_RD): the tunnel's next write gets EPIPE, the hang-up it
 * would otherwise see first never comes). The tunnel must end that
 * forward, not die of SIGPIPE: this process keeps SIGPIPE's default, as a
 * console may. */
static void test_client_gone_mid_reply(void **state)
{
	(void)state;
	char *kh = trusted_known_hosts();
	struct rec r = { 0 };
	struct ssh_conn *c = bastion(&r, kh, false);
	assert_int_equal(r.st, SSH_CONN_UP);
	struct terr te = { 0 };
	struct dc_err err;
	struct ssh_tunnel *t = ssh_tunnel_open(c, "127.0.0.1", pg_port, 0, on_tunnel_error, &te, &err);
	assert_non_null(t);
	signal(SIGPIPE, SIG_DFL);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/.s.PGSQL.%d", ssh_tunnel_dir(t), pg_port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	/* SSLRequest: PostgreSQL answers one byte at once */
	const unsigned char ssl_request[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
	assert_int_equal(write(fd, ssl_request, sizeof ssl_request), (ssize_t)sizeof ssl_request);
	assert_int_equal(shutdown(fd, SHUT_RD), 0);
	for (int i = 0; i < 50; i++)
		loop_run_once(L, 20);
	assert_true(wait_until(tunnel_idle, t, 5000)); /* that forward ended */
	close(fd);
	ssh_tunnel_close(t);
	ssh_conn_free(c);
	free(kh);
}

static void test_forward_outside_permitopen(void **state)
{
	(void)state;
	char *kh = trusted_known_hosts();
	struct rec r = { 0 };
	struct ssh_conn *c = bastion(&r, kh, false);
	assert_int_equal(r.st, SSH_CONN_UP);
	struct terr te = { 0 };
	struct dc_err err;
	int forbidden = pg_port == 65000 ? 65001 : 65000;
	struct ssh_tunnel *t = ssh_tunnel_open(c, "127.0.0.1", forbidden, 0, on_tunnel_error, &te, &err);
	assert_non_null(t);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/.s.PGSQL.%d", ssh_tunnel_dir(t), forbidden);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_true(wait_until(tunnel_failed, &te, 5000));
	assert_int_equal(ssh_tunnel_active(t), 0);
	char want[64];
	snprintf(want, sizeof want, "refused a forward to 127.0.0.1:%d", forbidden);
	assert_non_null(strstr(te.msg, want));
	char b;
	assert_int_equal(read(fd, &b, 1), 0); /* the client sees the connection end */
	close(fd);
	assert_int_equal(r.st, SSH_CONN_UP); /* the session itself is fine */
	ssh_tunnel_close(t);
	ssh_conn_free(c);
	free(kh);
}

/* ---- diagnostics on the node ---- */

struct xrec {
	struct sb out;
	size_t nerr;
	bool done;
	struct ssh_exec_result res;
	char error[512];
	int64_t t0, took;
	bool answer_yes;
	int hostkey_asked;
};

static void x_state(struct ssh_exec *x, enum ssh_conn_state st, const char *msg, void *ud)
{
	struct xrec *r = ud;
	print_message("  node: %-16s %s\n", ssh_conn_state_name(st), msg);
	if (st == SSH_CONN_NEEDS_HOSTKEY) {
		r->hostkey_asked++;
		ssh_conn_answer_hostkey(ssh_exec_conn(x), r->answer_yes);
	}
}

static void x_output(struct ssh_exec *x, const char *data, size_t len, bool is_stderr, void *ud)
{
	(void)x;
	struct xrec *r = ud;
	if (is_stderr)
		r->nerr += len;
	else
		sb_appendn(&r->out, data, len);
}

static void x_done(struct ssh_exec *x, const struct ssh_exec_result *res, void *ud)
{
	struct xrec *r = ud;
	r->res = *res;
	snprintf(r->error, sizeof r->error, "%s", res->error ? res->error : "");
	r->res.error = NULL;
	r->done = true;
	r->took = dc_mono_ms() - r->t0;
	print_message("  done: exit %d signal '%s' timed_out %d truncated %d bytes %zu error '%s' (%lld ms)\n",
		      res->exit_status, res->exit_signal, res->timed_out, res->truncated, res->bytes, r->error,
		      (long long)r->took);
	ssh_exec_free(x);
}

static bool x_finished(void *ud)
{
	return ((struct xrec *)ud)->done;
}

static const struct ssh_exec_cbs xcbs = { x_state, x_output, x_done };

static const struct ssh_diag test_table[] = {
	{ "gpu", "GPU summary", "nvidia-smi --query-gpu=" NVSMI_QUERY_FIELDS " --format=csv,noheader,nounits", true },
	{ "hang", "Hangs", "echo started; sleep 47", false },
	{ "esc", "Escapes", "printf 'a\\033[2J\\033]0;pwned\\007b\\r\\n\\233x'; echo oops >&2; exit 3", false },
	{ "big", "Too much", "head -c 3000000 /dev/zero", false },
};

static void run_diag(struct ssh_conn *b, const char *kh, const char *diag, int node, int deadline_ms,
		     struct xrec *r)
{
	struct ssh_exec_opts o = {
		.bastion = b, .node = "127.0.0.1", .node_port = node, .identities = ids_plain,
		.known_hosts = kh, .no_agent = true, .table = test_table, .ntable = DC_ARRAY_LEN(test_table),
		.diag = diag, .deadline_ms = deadline_ms,
	};
	struct dc_err err;
	r->t0 = dc_mono_ms();
	struct ssh_exec *x = ssh_exec_start(L, &o, &xcbs, r, &err);
	if (!x)
		fail_msg("%s", err.msg);
	assert_true(wait_until(x_finished, r, 40000));
}

static struct ssh_conn *up_bastion(struct rec *r)
{
	char *kh = trusted_known_hosts();
	struct ssh_conn *c = bastion(r, kh, false);
	free(kh);
	assert_int_equal(r->st, SSH_CONN_UP);
	return c;
}

static void test_diag_gpu_summary_parsed(void **state)
{
	(void)state;
	struct rec r = { 0 };
	struct ssh_conn *b = up_bastion(&r);
	char *kh = path_in_top("known_node");
	write_file(kh, "");
	/* the node's key is unknown: asked like the bastion's; No refuses */
	struct xrec no = { .answer_yes = false };
	run_diag(b, kh, "gpu", node_port, 0, &no);
	assert_int_equal(no.hostkey_asked, 1);
	assert_non_null(strstr(no.error, "not accepted"));
	assert_int_equal(no.res.exit_status, -1);
	char *text = slurp(kh);
	assert_string_equal(text, "");
	free(text);

	struct xrec x = { .answer_yes = true };
	run_diag(b, kh, "gpu", node_port, 0, &x);
	assert_int_equal(x.hostkey_asked, 1);
	assert_string_equal(x.error, "");
	assert_int_equal(x.res.exit_status, 0);
	struct nvsmi_gpu *g;
	size_t n;
	struct dc_err err;
	assert_int_equal(nvsmi_parse(x.out.buf, x.out.len, &g, &n, &err), 0);
	assert_int_equal(n, 8);
	assert_int_equal(g[2].problems, NVSMI_HOT);
	assert_int_equal(g[3].problems, NVSMI_ECC);
	assert_int_equal(g[4].problems, NVSMI_PENDING);
	free(g);
	sb_free(&x.out);
	/* recorded: the next run is not asked */
	struct xrec again = { .answer_yes = false };
	run_diag(b, kh, "gpu", node_port, 0, &again);
	assert_int_equal(again.hostkey_asked, 0);
	assert_int_equal(again.res.exit_status, 0);
	sb_free(&again.out);
	assert_int_equal(r.st, SSH_CONN_UP);
	ssh_conn_free(b);
	free(kh);
}

static bool no_sleep47(void *ud)
{
	(void)ud;
	return system("pgrep -f '^sleep 47$' >/dev/null") != 0;
}

static void test_diag_hung_is_cut(void **state)
{
	(void)state;
	struct rec r = { 0 };
	struct ssh_conn *b = up_bastion(&r);
	char *kh = path_in_top("known_node");
	struct xrec x = { .answer_yes = true };
	run_diag(b, kh, "hang", node_port, 1500, &x);
	assert_true(x.res.timed_out);
	assert_non_null(strstr(x.error, "deadline"));
	assert_string_equal(x.out.buf, "started\n"); /* output streamed before the cut */
	assert_true(x.took >= 1500 && x.took < 6000);
	assert_true(wait_until(no_sleep47, NULL, 5000)); /* TERM reached the node */
	sb_free(&x.out);
	ssh_conn_free(b);
	free(kh);
}

static void test_diag_output_raw_status_and_cap(void **state)
{
	(void)state;
	struct rec r = { 0 };
	struct ssh_conn *b = up_bastion(&r);
	char *kh = path_in_top("known_node");
	struct xrec x = { .answer_yes = true };
	run_diag(b, kh, "esc", node_port, 0, &x);
	static const char want[] = "a\x1b[2J\x1b]0;pwned\x07" "b\r\n\x9bx";
	assert_int_equal(x.out.len, sizeof want - 1);
	assert_memory_equal(x.out.buf, want, sizeof want - 1); /* intact: the UI makes it inert */
	assert_int_equal(x.nerr, 5);                           /* "oops\n" on stderr */
	assert_int_equal(x.res.exit_status, 3);
	sb_free(&x.out);

	struct xrec big = { .answer_yes = true };
	run_diag(b, kh, "big", node_port, 0, &big);
	assert_true(big.res.truncated);
	assert_int_equal(big.res.bytes, 1u << 20);
	assert_int_equal(big.out.len, 1u << 20);
	sb_free(&big.out);

	/* a node port the bastion does not permit */
	struct xrec refused = { .answer_yes = true };
	run_diag(b, kh, "gpu", bastion_port, 0, &refused);
	char want2[64];
	snprintf(want2, sizeof want2, "refused a forward to 127.0.0.1:%d", bastion_port);
	assert_non_null(strstr(refused.error, want2));
	sb_free(&refused.out);
	ssh_conn_free(b);
	free(kh);
}

static void test_hostile_names_refused(void **state)
{
	(void)state;
	struct rec r = { 0 };
	struct ssh_conn *b = up_bastion(&r);
	static const char *const nodes[] = { "-oProxyCommand=touch /tmp/pwned", "a;b", "n1 && reboot", "$(id)", "" };
	struct dc_err err;
	for (size_t i = 0; i < DC_ARRAY_LEN(nodes); i++) {
		struct ssh_exec_opts o = { .bastion = b, .node = nodes[i], .diag = "gpu" };
		assert_null(ssh_exec_start(L, &o, &xcbs, NULL, &err));
		assert_true(strstr(err.msg, "host name") != NULL);
	}
	struct ssh_exec_opts o = { .bastion = b, .node = "gpu-a17", .user = "-lroot", .diag = "gpu" };
	assert_null(ssh_exec_start(L, &o, &xcbs, NULL, &err));
	assert_non_null(strstr(err.msg, "user name"));
	o = (struct ssh_exec_opts){ .bastion = b, .node = "gpu-a17", .diag = "rm -rf /" };
	assert_null(ssh_exec_start(L, &o, &xcbs, NULL, &err));
	assert_non_null(strstr(err.msg, "no diagnostic named"));
	assert_non_null(strstr(err.msg, "gpu, ecc, xid, slurmd"));
	struct ssh_conn_opts co = { .host = "-oProxyCommand=x" };
	assert_null(ssh_conn_new(L, &co, NULL, NULL, &err));
	struct ssh_tunnel *t = ssh_tunnel_open(b, "a;b", 5432, 0, NULL, NULL, &err);
	assert_null(t);
	assert_int_equal(r.st, SSH_CONN_UP);
	ssh_conn_free(b);
}

/* ---- the link dies and comes back (last: it restarts the bastion) ---- */

static bool client_eof(void *ud)
{
	char b;
	return read(*(int *)ud, &b, 1) == 0;
}

static void test_down_within_deadline_and_reconnect(void **state)
{
	(void)state;
	char *kh = trusted_known_hosts();
	struct ssh_conn_opts o = {
		.host = "127.0.0.1", .port = bastion_port, .identities = ids_plain, .known_hosts = kh,
		.no_agent = true, .reconnect = true, .keepalive_ms = 1000, .dead_ms = 4000,
	};
	struct rec r = { 0 };
	struct dc_err err;
	struct ssh_conn *c = ssh_conn_new(L, &o, on_state, &r, &err);
	assert_non_null(c);
	ssh_conn_start(c);
	assert_true(wait_until(is_up, &r, 10000));
	struct terr te = { 0 };
	struct ssh_tunnel *t = ssh_tunnel_open(c, "127.0.0.1", pg_port, 0, on_tunnel_error, &te, &err);
	assert_non_null(t);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/.s.PGSQL.%d", ssh_tunnel_dir(t), pg_port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	for (int i = 0; i < 20; i++)
		loop_run_once(L, 20);
	assert_int_equal(ssh_tunnel_active(t), 1);

	/* frozen: the TCP connection stays, nothing answers */
	sh("bash %s freeze %s", lib, bastion_dir);
	int64_t t0 = dc_mono_ms();
	assert_true(wait_until(is_down, &r, 12000));
	int64_t took = dc_mono_ms() - t0;
	print_message("  DOWN after %lld ms: %s\n", (long long)took, r.msg);
	assert_true(took <= 10000);
	assert_non_null(strstr(r.msg, "keepalive deadline"));
	assert_true(wait_until(client_eof, &fd, 2000)); /* libpq would see the drop */
	close(fd);
	assert_int_equal(ssh_tunnel_active(t), 0);

	/* killed and restarted on the same port: reconnects by itself */
	sh("bash %s kill %s", lib, bastion_dir);
	char portbuf[16];
	snprintf(portbuf, sizeof portbuf, "%d", bastion_port);
	sh("bash %s start %s %s >/dev/null", lib, bastion_dir, portbuf);
	r.st = SSH_CONN_DOWN;
	assert_true(wait_until(is_up, &r, 40000));
	struct pgjob j = { 0 };
	snprintf(j.conninfo, sizeof j.conninfo, "host=%s port=%d dbname=postgres connect_timeout=10",
		 ssh_tunnel_dir(t), ssh_tunnel_port(t));
	snprintf(j.direct, sizeof j.direct, "host=127.0.0.1 port=%d dbname=postgres", pg_port);
	run_pg_job(&j);
	print_message("  after reconnect: %s\n", j.ok ? "queries match" : j.result);
	assert_true(j.ok);
	ssh_tunnel_close(t);
	ssh_conn_free(c);
	free(kh);
}

static int setup(void **state)
{
	(void)state;
	L = loop_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	loop_free(L);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!getenv("DCOPS_SSH_TEST_ENV")) {
		const char *root = getenv("DCOPS_ROOT");
		char *libpath = xasprintf("%s/tests/lib/sshd.sh", root ? root : ".");
		execlp("bash", "bash", libpath, "with-fixtures", argv[0], (char *)NULL);
		perror("exec bash tests/lib/sshd.sh");
		return 1;
	}
	bastion_port = atoi(getenv("DCOPS_SSH_BASTION_PORT"));
	node_port = atoi(getenv("DCOPS_SSH_NODE_PORT"));
	pg_port = atoi(getenv("DCOPS_PGTCP_PORT"));
	key = getenv("DCOPS_SSH_KEY");
	key_enc = getenv("DCOPS_SSH_KEY_ENC");
	top = getenv("DCOPS_SSH_TOP");
	bastion_dir = getenv("DCOPS_SSH_BASTION_DIR");
	node_dir = getenv("DCOPS_SSH_NODE_DIR");
	lib = getenv("DCOPS_SSH_LIB");
	ids_plain[0] = key;
	ids_enc[0] = key_enc;
	(void)node_dir;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_key_refused_on_no),
		cmocka_unit_test(test_unknown_key_recorded_on_yes),
		cmocka_unit_test(test_accept_new_records_and_says_so),
		cmocka_unit_test(test_changed_key_refused_with_line),
		cmocka_unit_test(test_revoked_key_refused),
		cmocka_unit_test(test_cert_authority_named_not_trusted),
		cmocka_unit_test(test_passphrase_asked_through_the_api),
		cmocka_unit_test(test_tunnel_query_matches_direct),
		cmocka_unit_test(test_client_gone_mid_reply),
		cmocka_unit_test(test_forward_outside_permitopen),
		cmocka_unit_test(test_diag_gpu_summary_parsed),
		cmocka_unit_test(test_diag_hung_is_cut),
		cmocka_unit_test(test_diag_output_raw_status_and_cap),
		cmocka_unit_test(test_hostile_names_refused),
		cmocka_unit_test(test_down_within_deadline_and_reconnect),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
