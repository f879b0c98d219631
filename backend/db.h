/* db.h — where the database is, and synchronous connections for script
 * commands and the adapter (the console uses store.h, never these).
 *
 * Resolution order for the connection string:
 *   1. --db CONNINFO        2. $DCOPS_DB
 *   3. any standard libpq variable (PGHOST, PGHOSTADDR, PGPORT, PGDATABASE,
 *      PGUSER, PGSERVICE, PGSERVICEFILE): libpq's own defaults apply
 *   4. the demo cluster, when it is running (socket in <vardir>/run,
 *      database "dcops"); says so on stderr unless opts->quiet
 *   5. libpq's defaults
 *
 * Ownership: db_resolve returns a malloc'd string the caller frees.
 * db_connect returns a PGconn the caller PQfinish()es; on failure NULL and
 * err says which server and why. */
#ifndef DCOPS_DB_H
#define DCOPS_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "conninfo.h"
#include "util.h"

/* Connects, sets application_name, client_encoding UTF8, TimeZone UTC and
 * search_path to pg_catalog, dcops; o->readonly: default_transaction_read_only
 * too, so the server refuses whatever write a command would attempt. */
PGconn *db_connect(const struct dc_opts *o, const char *application_name, struct dc_err *err);
PGconn *db_connect_str(const char *conninfo, const char *application_name, struct dc_err *err);
/* db_connect to db_resolve_write's server (writes). */
PGconn *db_connect_write(const struct dc_opts *o, const char *application_name, struct dc_err *err);

/* Starts a non-blocking connection (PQconnectStartParams) with UTF8 and
 * server notices silenced from the first byte (they would print raw server
 * text over the screen or beside a one-line refusal). conninfo NULL or ""
 * means libpq's defaults. fallback: application_name only when conninfo
 * sets none (script commands); else it names the connection outright.
 * NULL only when libpq cannot allocate; check PQstatus for CONNECTION_BAD. */
PGconn *db_connect_start(const char *conninfo, const char *application_name, bool fallback);

/* A connection stopped answering (it hangs, rather than refusing or
 * failing, so libpq does not move on by itself; the asynchronous connect
 * has no connect_timeout): conninfo without the server it was on, so the
 * next try starts on the others. hosts, hostaddrs, ports: the lists the
 * connection used (PQconninfo: a service file's or PG* variables'
 * included), host and port: PQhost and PQport of the server that hung.
 * Every other keyword is conninfo's. NULL when the lists name one server,
 * or that server is not in them (malloc'd otherwise). */
char *db_conninfo_drop_server(const char *conninfo, const char *hosts, const char *hostaddrs,
                              const char *ports, const char *host, const char *port);

/* db_conninfo_drop_server with the lists read from hung, the connection
 * that stopped answering (PQconninfo, PQhost, PQport); NULL as there. */
char *db_conninfo_skip(const char *conninfo, PGconn *hung);

/* Names the server a connection went to (or tried), into out: "socket
 * DIR/.s.PGSQL.PORT" or "host:port". */
void db_server_name(const PGconn *c, char *out, size_t n);

/* conninfo (keywords or a URI) with keyword set to value, as a keyword
 * string (malloc'd); NULL when conninfo does not parse. */
char *db_conninfo_set(const char *conninfo, const char *keyword, const char *value);

/* Whether c came from a multi-host string with
 * target_session_attrs=prefer-standby (a standby may be found again). */
bool db_conn_prefers_standby(PGconn *c);

/* How long a connect may hear nothing from a server before it is left for
 * the next one: connect_timeout from c's options (at least 2 s, libpq's
 * floor), else DB_CONNECT_WAIT_MS. */
#define DB_CONNECT_WAIT_MS 5000

/* Over TCP, every connection's defaults (a conninfo's own values win): a
 * server whose host froze or fell off the network (a failover's old
 * primary) is given up in ~20 s, not when TCP gives up (~15 minutes with
 * data unacknowledged, never while waiting for an answer with keepalives
 * off). tcp_user_timeout: sent bytes unacknowledged that long close the
 * connection; keepalives: a connection waiting for an answer probes the
 * server after 5 s of silence, every 5 s, 3 times. This is what lets
 * dcopsd and the script commands, whose calls block, move on to the new
 * primary; the console's reads have their own 3 s clock (store.c). */
#define DB_TCP_KEEPALIVE_IDLE_S "5"
#define DB_TCP_KEEPALIVE_INTERVAL_S "5"
#define DB_TCP_KEEPALIVE_COUNT "3"
#define DB_TCP_USER_TIMEOUT_MS "20000"
int db_connect_wait_ms(PGconn *c);

/* Runs one command with parameters; on error fills err with the server's
 * message (and SQLSTATE) and returns NULL. The caller PQclear()s. */
PGresult *db_exec(PGconn *c, struct dc_err *err, const char *sql, int nparams,
                  const char *const *params);

/* Fills err from a failed result r (or, when r is NULL, from the
 * connection's last error): "what: primary message (SQLSTATE xxxxx)", one
 * line. what may be NULL. Returns -1. Does not PQclear r. */
int db_err_result(struct dc_err *err, const PGconn *c, const PGresult *r, const char *what);

#endif
