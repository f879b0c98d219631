/* db.c — connection-string resolution (conninfo.h) and synchronous
 * connections for script commands and the adapter (db.h, which documents
 * the resolution order). */
#include "db.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "text.h"
#include "watchdog.h"

#define DB_CONNECT_TIMEOUT "2"

/* The standard libpq variables that, when set, mean "the user chose a server". */
static const char *const db_pg_vars[] = {
	"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSERVICEFILE",
};

/* Appends a conninfo value in single quotes, escaping ' and \ as libpq wants. */
static void conn_quote(struct sb *sb, const char *v)
{
	sb_append(sb, "'");
	for (const char *p = v; *p; p++) {
		if (*p == '\'' || *p == '\\')
			sb_append(sb, "\\");
		sb_appendn(sb, p, 1);
	}
	sb_append(sb, "'");
}

/* Copies msg into out as one line: runs of whitespace become one space,
 * leading and trailing whitespace go. */
static void one_line(char *out, size_t n, const char *msg)
{
	size_t o = 0;
	bool space = false;
	for (const char *p = msg; *p && o + 1 < n; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < n)
			out[o++] = ' ';
		space = false;
		out[o++] = *p;
	}
	out[o] = '\0';
}

const char *db_demo_sockdir(void)
{
	static char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/run", dc_vardir());
	return dir;
}

char *db_demo_conninfo(void)
{
	struct sb sb = {0};
	sb_append(&sb, "host=");
	conn_quote(&sb, db_demo_sockdir());
	sb_appendf(&sb, " port=%d dbname=%s", DB_DEMO_PORT, DB_DEMO_DBNAME);
	return sb_take(&sb);
}

/* "Answers" means the server accepts connections on the socket; a missing
 * database still counts, so the operator sees that error at the demo
 * cluster rather than a confusing one from libpq's default server. */
bool db_demo_running(void)
{
	char sock[PATH_MAX + 32];
	snprintf(sock, sizeof sock, "%s/.s.PGSQL.%d", db_demo_sockdir(), DB_DEMO_PORT);
	struct stat st;
	if (stat(sock, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	char port[16];
	snprintf(port, sizeof port, "%d", DB_DEMO_PORT);
	const char *const keys[] = { "host", "port", "dbname", "connect_timeout", NULL };
	const char *const vals[] = { db_demo_sockdir(), port, DB_DEMO_DBNAME, DB_CONNECT_TIMEOUT, NULL };
	return PQpingParams(keys, vals, 0) == PQPING_OK;
}

static bool pg_env_set(void)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(db_pg_vars); i++) {
		const char *v = getenv(db_pg_vars[i]);
		if (v && *v)
			return true;
	}
	return false;
}

char *db_resolve(const struct dc_opts *o, bool *is_demo)
{
	static bool said;
	if (is_demo)
		*is_demo = false;
	if (o && o->db)
		return xstrdup(o->db);
	const char *env = getenv("DCOPS_DB");
	if (env && *env)
		return xstrdup(env);
	if (pg_env_set() || !db_demo_running())
		return xstrdup("");
	if (is_demo)
		*is_demo = true;
	if (!said && !(o && o->quiet))
		text_putline(stderr, "dcops: using the demo cluster at %s (no --db, DCOPS_DB or PG* settings)",
		             db_demo_sockdir());
	said = true;
	return db_demo_conninfo();
}

/* Whether a parsed conninfo names more than one server. */
static bool several_hosts(const PQconninfoOption *opts)
{
	for (const PQconninfoOption *p = opts; p->keyword; p++)
		if (p->val && (strcmp(p->keyword, "host") == 0 || strcmp(p->keyword, "hostaddr") == 0) &&
		    strchr(p->val, ','))
			return true;
	return false;
}

char *db_resolve_write(const struct dc_opts *o, struct dc_err *err)
{
	if (o && o->write_db)
		return xstrdup(o->write_db);
	char *conninfo = db_resolve(o, NULL), *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		dc_err_set(err, "database connection string: %s", perr ? perr : "out of memory");
		PQfreemem(perr);
		free(conninfo);
		return NULL;
	}
	if (!several_hosts(opts)) {
		PQconninfoFree(opts);
		return conninfo;
	}
	/* rebuilt from the parsed keywords, so a URI works as well as key=value */
	struct sb sb = {0};
	for (PQconninfoOption *p = opts; p->keyword; p++) {
		if (!p->val || strcmp(p->keyword, "target_session_attrs") == 0)
			continue;
		sb_appendf(&sb, "%s=", p->keyword);
		conn_quote(&sb, p->val);
		sb_append(&sb, " ");
	}
	const char *want = "read-write";
	for (PQconninfoOption *p = opts; p->keyword; p++)
		if (p->val && strcmp(p->keyword, "target_session_attrs") == 0 && strcmp(p->val, "primary") == 0)
			want = "primary";
	sb_appendf(&sb, "target_session_attrs=%s", want);
	PQconninfoFree(opts);
	free(conninfo);
	return sb_take(&sb);
}

/* Entry i of a libpq list ("a,b,c"): its start, its length in *len;
 * NULL past its end. */
static const char *list_item(const char *list, int i, size_t *len)
{
	const char *p = list ? list : "";
	for (; i > 0; i--) {
		p = strchr(p, ',');
		if (!p)
			return NULL;
		p++;
	}
	*len = strcspn(p, ",");
	return p;
}

static int list_count(const char *list)
{
	if (!list || !*list)
		return 0;
	int n = 1;
	for (const char *p = list; (p = strchr(p, ',')) != NULL; p++)
		n++;
	return n;
}

/* Whether entry i of list is s; an entry past the list's end is "". */
static bool item_is(const char *list, int i, const char *s)
{
	size_t len = 0;
	const char *p = list_item(list, i, &len);
	return strlen(s) == len && (len == 0 || strncmp(p, s, len) == 0);
}

/* Appends "key='a,b' " of the entries of list that keep[] marks. */
static void list_put(struct sb *sb, const char *key, const char *list, int n, const bool *keep)
{
	struct sb v = {0};
	bool first = true;
	for (int i = 0; i < n; i++) {
		size_t len = 0;
		const char *p = list_item(list, i, &len);
		if (!keep[i] || !p)
			continue;
		if (!first)
			sb_append(&v, ",");
		sb_appendn(&v, p, len);
		first = false;
	}
	char *val = sb_take(&v);
	sb_appendf(sb, "%s=", key);
	conn_quote(sb, val);
	sb_append(sb, " ");
	free(val);
}

/* Appends conninfo's keywords (a keyword string or a URI) as "k='v' ",
 * all but those in skip (NULL-terminated); false when it does not parse.
 * *dropped (when not NULL): whether a skipped keyword had a value. */
static bool conninfo_keep(struct sb *sb, const char *conninfo, const char *const *skip, bool *dropped)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &perr);
	PQfreemem(perr);
	if (!opts)
		return false;
	for (PQconninfoOption *p = opts; p->keyword; p++) {
		bool skipped = !p->val;
		for (const char *const *k = skip; *k && !skipped; k++)
			skipped = strcmp(p->keyword, *k) == 0;
		if (skipped) {
			if (dropped && p->val && p->val[0])
				*dropped = true;
			continue;
		}
		sb_appendf(sb, "%s=", p->keyword);
		conn_quote(sb, p->val);
		sb_append(sb, " ");
	}
	PQconninfoFree(opts);
	return true;
}

char *db_conninfo_drop_server(const char *conninfo, const char *hosts, const char *hostaddrs,
                              const char *ports, const char *host, const char *port)
{
	int nh = list_count(hosts), na = list_count(hostaddrs), np = list_count(ports);
	int n = nh > na ? nh : na;
	if (n < 2 || n > 64 || !host || !*host || (nh && na && nh != na))
		return NULL;
	bool keep[64];
	int kept = 0;
	for (int i = 0; i < n; i++) {
		/* PQhost names the host, else its hostaddr; one port (or an
		 * empty entry: the default) is every host's */
		bool named = nh && !item_is(hosts, i, "") ? item_is(hosts, i, host) : item_is(hostaddrs, i, host);
		bool same_port = np != n || !port || item_is(ports, i, "") || item_is(ports, i, port);
		keep[i] = !(named && same_port);
		kept += keep[i];
	}
	if (kept == 0 || kept == n)
		return NULL;
	struct sb sb = {0};
	static const char *const lists[] = { "host", "hostaddr", "port", NULL };
	if (!conninfo_keep(&sb, conninfo, lists, NULL))
		return NULL;
	if (nh)
		list_put(&sb, "host", hosts, n, keep);
	if (na)
		list_put(&sb, "hostaddr", hostaddrs, n, keep);
	if (np == n)
		list_put(&sb, "port", ports, n, keep);
	else if (np == 1) {
		sb_append(&sb, "port=");
		conn_quote(&sb, ports);
	}
	return sb_take(&sb);
}

/* The value of keyword in opts (PQconninfo of a connection: a service
 * file's and PG* variables' included), or "" when unset; borrowed. */
static const char *opt_val(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *p = opts; p && p->keyword; p++)
		if (strcmp(p->keyword, keyword) == 0)
			return p->val ? p->val : "";
	return "";
}

char *db_conninfo_skip(const char *conninfo, PGconn *hung)
{
	PQconninfoOption *opts = hung ? PQconninfo(hung) : NULL;
	if (!opts)
		return NULL;
	char *next = db_conninfo_drop_server(conninfo, opt_val(opts, "host"), opt_val(opts, "hostaddr"),
	                                     opt_val(opts, "port"), PQhost(hung), PQport(hung));
	PQconninfoFree(opts);
	return next;
}

char *db_conninfo_set(const char *conninfo, const char *keyword, const char *value)
{
	struct sb sb = {0};
	const char *const skip[] = { keyword, NULL };
	if (!conninfo_keep(&sb, conninfo, skip, NULL))
		return NULL;
	sb_appendf(&sb, "%s=", keyword);
	conn_quote(&sb, value);
	return sb_take(&sb);
}

char *db_conninfo_display(const char *conninfo)
{
	struct sb sb = {0};
	const char *const secret[] = { "password", "sslpassword", NULL };
	bool pw = false;
	if (!conninfo_keep(&sb, conninfo, secret, &pw)) {
		sb_free(&sb);
		return xstrdup("(a connection string libpq cannot parse)");
	}
	/* a password is there: say so, never what it is */
	if (pw)
		sb_append(&sb, "password=(hidden)");
	char *out = sb_take(&sb);
	size_t n = strlen(out);
	if (n && out[n - 1] == ' ')
		out[n - 1] = '\0';
	if (!out[0]) {
		free(out);
		out = xstrdup("(libpq's defaults)");
	}
	return out;
}

bool db_conn_prefers_standby(PGconn *c)
{
	PQconninfoOption *opts = c ? PQconninfo(c) : NULL;
	bool yes = strcmp(opt_val(opts, "target_session_attrs"), "prefer-standby") == 0 &&
	           (strchr(opt_val(opts, "host"), ',') || strchr(opt_val(opts, "hostaddr"), ','));
	PQconninfoFree(opts);
	return yes;
}

int db_connect_wait_ms(PGconn *c)
{
	PQconninfoOption *opts = c ? PQconninfo(c) : NULL;
	int s = atoi(opt_val(opts, "connect_timeout"));
	PQconninfoFree(opts);
	return s > 0 ? (s < 2 ? 2 : s) * 1000 : DB_CONNECT_WAIT_MS; /* libpq's own floor is 2 s */
}

static PGconn *connect_to(char *conninfo, const struct dc_opts *o, const char *application_name,
                          struct dc_err *err)
{
	PGconn *c = db_connect_str(conninfo, application_name, err);
	free(conninfo);
	if (c && o && o->db_wait_ms > 0)
		watchdog_arm(PQsocket(c), o->db_wait_ms);
	if (!c || !o || !o->readonly)
		return c;
	/* The commands refuse writes themselves; the server refuses any write
	 * one of them might miss. */
	PGresult *r = db_exec(c, err, "SELECT set_config('default_transaction_read_only', 'on', false)", 0, NULL);
	if (!r) {
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

PGconn *db_connect(const struct dc_opts *o, const char *application_name, struct dc_err *err)
{
	return connect_to(db_resolve(o, NULL), o, application_name, err);
}

PGconn *db_connect_write(const struct dc_opts *o, const char *application_name, struct dc_err *err)
{
	char *conninfo = db_resolve_write(o, err);
	return conninfo ? connect_to(conninfo, o, application_name, err) : NULL;
}

void db_server_name(const PGconn *c, char *out, size_t n)
{
	const char *host = PQhost(c);
	const char *port = PQport(c);
	if (!host || !*host)
		host = "(default)";
	if (!port || !*port)
		port = "5432";
	if (host[0] == '/')
		snprintf(out, n, "socket %s/.s.PGSQL.%s", host, port);
	else
		snprintf(out, n, "%s:%s", host, port);
}

/* libpq prints server notices on stderr by default: raw server text (which
 * can quote anything a row holds) on the operator's terminal, and a second
 * line where a script command promises one. */
static void notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* PQconnectdbParams, but with the notice processor installed before the
 * first byte: a server shutting down mid-handshake sends a WARNING that
 * libpq would otherwise print on stderr, beside the one-line refusal. The
 * wait is a blocking poll: script commands, never the console's path. */
PGconn *db_connect_start(const char *conninfo, const char *application_name, bool fallback)
{
	/* Before dbname, so a conninfo that sets them wins (libpq takes the
	 * last value of a keyword): DB_TCP_* (db.h). Unix sockets
	 * ignore them. */
	const char *keys[] = { "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
	                       "dbname", fallback ? "fallback_application_name" : "application_name",
	                       "client_encoding", NULL };
	const char *vals[] = { DB_TCP_KEEPALIVE_IDLE_S, DB_TCP_KEEPALIVE_INTERVAL_S, DB_TCP_KEEPALIVE_COUNT,
	                       DB_TCP_USER_TIMEOUT_MS, conninfo && *conninfo ? conninfo : NULL,
	                       application_name ? application_name : "dcops", "UTF8", NULL };
	PGconn *c = PQconnectStartParams(keys, vals, 1); /* a NULL dbname (no conninfo) is skipped */
	if (c)
		PQsetNoticeProcessor(c, notice_ignore, NULL);
	return c;
}

/* Connects, blocking, without libpq's notices. A server that accepts and
 * then says nothing for db_connect_wait_ms (a hung or SIGSTOPped host:
 * libpq moves on from one that refuses or fails, not from one that hangs,
 * and its asynchronous connect has no connect_timeout) is left out and
 * the others are tried; *hung is set when the last one left hung (the
 * connection is returned, not CONNECTION_OK, for its server's name). */
static PGconn *connect_quietly(const char *conninfo, const char *application_name, bool *hung)
{
	char *rest = NULL; /* conninfo less the servers that hung */
	for (;;) {
		PGconn *c = db_connect_start(rest ? rest : conninfo, application_name, true);
		if (!c)
			break;
		int wait_ms = db_connect_wait_ms(c);
		int64_t heard = dc_mono_ms();
		PostgresPollingStatusType st = PGRES_POLLING_WRITING;
		*hung = false;
		while (PQstatus(c) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
			int left = wait_ms - (int)(dc_mono_ms() - heard);
			if (left <= 0) {
				*hung = true;
				break;
			}
			struct pollfd p = { .fd = PQsocket(c),
			                    .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT };
			int rc = p.fd < 0 ? -1 : poll(&p, 1, left);
			if (rc < 0 && (p.fd < 0 || errno != EINTR))
				break;
			if (rc > 0) {
				st = PQconnectPoll(c);
				heard = dc_mono_ms();
			}
		}
		char *next = *hung ? db_conninfo_skip(rest ? rest : conninfo, c) : NULL;
		if (!next) {
			free(rest);
			return c;
		}
		PQfinish(c);
		free(rest);
		rest = next;
	}
	free(rest);
	return NULL;
}

PGconn *db_connect_str(const char *conninfo, const char *application_name, struct dc_err *err)
{
	bool hung = false;
	PGconn *c = connect_quietly(conninfo, application_name, &hung);
	if (!c) {
		dc_err_set(err, "cannot connect: libpq could not allocate a connection");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		char server[PATH_MAX + 64], msg[400];
		db_server_name(c, server, sizeof server);
		if (hung)
			snprintf(msg, sizeof msg, "no answer in %d s (it accepted the connection, then said nothing)",
			         db_connect_wait_ms(c) / 1000);
		else
			one_line(msg, sizeof msg, PQerrorMessage(c));
		/* libpq 14+ starts with 'connection to server on socket "..." failed: ':
		 * the server is named already, keep only the reason. */
		const char *reason = msg;
		if (strncmp(msg, "connection to server ", 21) == 0 && strstr(msg, " failed: "))
			reason = strstr(msg, " failed: ") + 9;
		const char *db = PQdb(c);
		if (db && *db)
			dc_err_set(err, "cannot connect to database \"%s\" at %s: %s", db, server, reason);
		else   /* the connection string itself was refused */
			dc_err_set(err, "cannot connect: %s", reason);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice_ignore, NULL);
	/* dcops.zone: the zone server messages write their times in (053). */
	const char *zone = text_zone_name();
	PGresult *r = db_exec(c, err, "SELECT set_config('TimeZone', 'UTC', false), "
	                              "set_config('search_path', 'pg_catalog, dcops', false), "
	                              "set_config('dcops.zone', $1, false)",
	                      1, &zone);
	if (!r) {
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

int db_err_result(struct dc_err *err, const PGconn *c, const PGresult *r, const char *what)
{
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[400];
	if (primary) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		char line[360];
		one_line(line, sizeof line, primary);
		snprintf(msg, sizeof msg, "%s (SQLSTATE %s)", line, state ? state : "?????");
	} else if (watchdog_fired()) {
		/* libpq's words would be "server closed the connection unexpectedly" */
		snprintf(msg, sizeof msg, "no answer from the server in %d s (a hung server, or a lock held "
		         "that long; the limit is %s): connection dropped", watchdog_limit_ms() / 1000, watchdog_knob());
	} else {
		one_line(msg, sizeof msg, c ? PQerrorMessage(c) : "no connection");
		if (!msg[0])
			snprintf(msg, sizeof msg, "unexpected result %s",
			         r ? PQresStatus(PQresultStatus(r)) : "(none)");
	}
	if (what)
		return dc_err_set(err, "%s: %s", what, msg);
	return dc_err_set(err, "%s", msg);
}

PGresult *db_exec(PGconn *c, struct dc_err *err, const char *sql, int nparams,
                  const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	db_err_result(err, c, r, NULL);
	PQclear(r);
	return NULL;
}
