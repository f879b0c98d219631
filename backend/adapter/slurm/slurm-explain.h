/* slurm-explain.h — why a pending job waits, in plain words with numbers,
 * from Slurm's pending reason and the rest of the snapshot:
 *   "tenant 한빛랩's quota is 16 GPUs, 16 in use by 2 jobs; this job needs 8 more"
 * One function per reason in a table (AssocGrpGRES, AssocGrpGRESMinutes,
 * AssocGrpGRESRunMinutes, QOSMaxGRESPerUser, Resources, Priority,
 * ReqNodeNotAvail, Dependency, DependencyNeverSatisfied, JobHeldUser,
 * JobHeldAdmin, BeginTime, PartitionDown, PartitionInactive); any other
 * reason gets Slurm's own words.
 *
 * Tenant names (account descriptions), user names, node reasons and
 * dependency strings are copied in as data, never used as formats; the
 * result is NOT sanitised (the console strips control sequences when it
 * draws, as for every string from Slurm).
 *
 * Ownership: returns a malloc'd string the caller frees; never NULL. The
 * snapshot's sets may be NULL (the sentence then says what is unknown). */
#ifndef DCOPS_SLURM_EXPLAIN_H
#define DCOPS_SLURM_EXPLAIN_H

#include <stdint.h>

#include "slurm-snap.h"

/* now: Unix seconds, for "in 42 min" and remaining time limits. */
char *slurm_explain_pending(const struct slurm_snap *s, const struct slurm_job *j, int64_t now);

/* The tenant's display name: the account's description, else its name. */
const char *slurm_tenant_name(const struct slurm_assoc_set *a, const char *account);

#endif
