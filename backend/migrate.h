/* migrate.h — ordered schema migrations from <datadir>/backend/sql/NNN_name.sql.
 *
 * Each file runs in one transaction and is recorded (version, name, sha256,
 * applied_at, applied_by) in dcops.schema_migrations. A file whose checksum
 * differs from the recorded one is refused, naming the file. Concurrent
 * runners serialise on an advisory lock. Safe to re-run. */
#ifndef DCOPS_MIGRATE_H
#define DCOPS_MIGRATE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "util.h"

struct migrate_result {
	int applied;   /* files applied by this run */
	int current;   /* files already applied before */
	double ms;     /* wall time */
};

/* c must be idle (not in a transaction). dry_run writes nothing and counts
 * in res->applied the files it would apply. verbose prints one line per
 * applied (or pending) file on stdout. -1 with a one-line reason in err. */
int migrate_apply(PGconn *c, bool dry_run, bool verbose, struct migrate_result *res,
                  struct dc_err *err);

#endif
