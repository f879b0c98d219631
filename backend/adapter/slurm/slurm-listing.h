/* slurm-listing.h — internal to backend/adapter/slurm: the text forms of
 * Slurm 22.05's output that have no JSON (`scontrol -o show partition`;
 * sacctmgr and sshare -P listings). Used by slurm-parse.c, which decides
 * JSON or text by the first byte; slurm_parse_sshare (slurm-parse.h) lives
 * here too. Rows go into the set's arena; on failure the caller frees the
 * set it was filling. */
#ifndef DCOPS_SLURM_LISTING_H
#define DCOPS_SLURM_LISTING_H

#include <stddef.h>

#include "slurm-read.h"

int slurm_listing_partitions(const char *text, size_t len, struct slurm_part_set *s, struct dc_err *err);
/* c: the context (its src names the command); fill s->items/n or
 * s->accounts/n_accounts. */
int slurm_listing_assocs(struct slurm_rd *c, const char *text, size_t len, struct slurm_assoc_set *s);
int slurm_listing_accounts(struct slurm_rd *c, const char *text, size_t len, struct slurm_assoc_set *s);

#endif
