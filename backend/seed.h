/* seed.h — loads the fleet, tenants, projects and quotas into an empty
 * database, from a JSON description (default <datadir>/backend/seed/gwangju.json).
 * Deterministic: the same file and seed number give the same rows.
 *
 * Ownership: seed_load borrows everything; one transaction; on failure
 * nothing is written and err names the file, the JSON path and the problem. */
#ifndef DCOPS_SEED_H
#define DCOPS_SEED_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

struct seed_opts {
	const char *config_path;  /* NULL: the default file */
	uint64_t seed;            /* 0: the file's "seed" */
	double scale;             /* multiplies node counts (25,000-node benches); 0 = 1 */
	bool force;               /* seed even if nodes exist (refused otherwise) */
	/* another site from the same fleet file (the demo's Pangyo): its code and
	 * name, and the word before the first '-' of rack and node prefixes
	 * ("gj-h100" becomes "pg-h100"); NULL: the file's */
	const char *site_code, *site_name, *name_prefix;
};

struct seed_result {
	int nodes, gpus, racks, tenants, projects;
	double ms;
};

/* Returns 1 when the database already has nodes (and !force: nothing done),
 * 0 when seeded, -1 on error. */
int seed_load(PGconn *c, const struct seed_opts *so, struct seed_result *res,
              struct dc_err *err);

#endif
