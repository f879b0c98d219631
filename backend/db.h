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

#include "opts.h"
#include "util.h"

#define DB_DEMO_DBNAME "dcops"
#define DB_DEMO_PORT 5432

/* The demo cluster's socket directory: <dc_vardir()>/run (static string). */
const char *db_demo_sockdir(void);
/* Conninfo for the demo cluster (malloc'd). */
char *db_demo_conninfo(void);
/* True when the demo cluster answers on its socket. */
bool db_demo_running(void);

char *db_resolve(const struct dc_opts *o, bool *is_demo);
/* Connects, sets application_name, client_encoding UTF8, TimeZone UTC and
 * search_path to pg_catalog, dcops. */
PGconn *db_connect(const struct dc_opts *o, const char *application_name, struct dc_err *err);
PGconn *db_connect_str(const char *conninfo, const char *application_name, struct dc_err *err);

/* Runs one command with parameters; on error fills err with the server's
 * message (and SQLSTATE) and returns NULL. The caller PQclear()s. */
PGresult *db_exec(PGconn *c, struct dc_err *err, const char *sql, int nparams,
                  const char *const *params);

#endif
