/* drill-list.h — the scenarios of drills/ for the console, without libpq:
 * each file loaded and validated by drill.c, flattened to plain strings
 * (the normalised spec as JSON text, ready for the writer's drill_start).
 *
 * Ownership: drill_list_load returns an array the caller frees with
 * drill_list_free; every string in an entry is owned by it. */
#ifndef DCOPS_DRILL_LIST_H
#define DCOPS_DRILL_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct drill_entry {
	char *name;              /* file name without .json */
	char *title, *briefing;  /* "" when the file did not validate */
	char *spec;              /* normalised scenario JSON; NULL when invalid */
	char *error;             /* the validation error (file, path, problem), or NULL */
	int64_t seed;
	double speed;
	int events, expectations;
};

/* Every drill_dir()/NAME.json, sorted by name; invalid files are listed
 * with their error. -1 with err when the directory cannot be read. */
int drill_list_load(struct drill_entry **out, size_t *n, struct dc_err *err);
void drill_list_free(struct drill_entry *v, size_t n);

#endif
