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

/* now: Unix seconds, for "in 42 min" and remaining time limits. One job:
 * the totals it needs are computed for it alone. */
char *slurm_explain_pending(const struct slurm_snap *s, const struct slurm_job *j, int64_t now);

/* Many jobs of one snapshot (an adapter cycle): each total (GPUs in use per
 * account, user and account tree; free GPUs per partition list; pending
 * jobs ahead per partition list; nodes and jobs by name and id) is
 * computed once, on first need, and shared by every job explained through
 * the cycle; the sentences are those of slurm_explain_pending. The
 * snapshot must not change between new and free; the cycle borrows it. */
struct slurm_explain_cycle;
struct slurm_explain_cycle *slurm_explain_cycle_new(const struct slurm_snap *s, int64_t now);
char *slurm_explain_job(struct slurm_explain_cycle *x, const struct slurm_job *j);
void slurm_explain_cycle_free(struct slurm_explain_cycle *x);

/* The tenant's display name: the account's description, else its name. */
const char *slurm_tenant_name(const struct slurm_assoc_set *a, const char *account);

#endif
