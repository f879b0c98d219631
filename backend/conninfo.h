/* conninfo.h — where the database is, without libpq in the interface, so
 * tui/ can ask too. Implemented in db.c; resolution order documented in db.h.
 *
 * Ownership: returned strings are malloc'd, the caller frees them;
 * db_demo_sockdir returns a static string. */
#ifndef DCOPS_CONNINFO_H
#define DCOPS_CONNINFO_H

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
/* Where writes go: o->write_db; else db_resolve's answer, and when that
 * lists several hosts, with target_session_attrs=read-write (unless it
 * asks for read-write or primary already), so libpq picks the primary and
 * a write is never attempted on a standby. NULL with err when the string
 * cannot be parsed. */
char *db_resolve_write(const struct dc_opts *o, struct dc_err *err);

/* conninfo as "keyword='value' ..." for an operator to read (the console's
 * :db screen): every keyword it sets, passwords left out ("password=(hidden)"
 * says one is there); a string libpq cannot parse is said to be one.
 * malloc'd. */
char *db_conninfo_display(const char *conninfo);

#endif
