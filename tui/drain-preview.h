/* drain-preview.h — what a drain takes out of service, for the drain
 * dialog's blast radius (ops.c).
 *
 * Only the nodes still active count: those already draining or drained
 * are out before this drain. A job counts once, under its tenant, with the
 * GPUs it holds on those nodes (gpus_here, GPU rows whose job_id is the
 * job) and the rest of its size elsewhere (gpus_elsewhere): a 16-GPU job
 * with 8 GPUs in the drained rack is 8 here and 8 elsewhere, so the
 * tenants' gpus_here add up to at most gpus_out. Cost: the nodes' GPU
 * slots and the jobs found there; never a scan of the fleet.
 *
 * Ownership: drain_preview_build fills *p with arrays it allocates;
 * drain_preview_free releases them. The model is only read. */
#ifndef DCOPS_DRAIN_PREVIEW_H
#define DCOPS_DRAIN_PREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct drain_tenant {
	int64_t tenant;
	int jobs, gpus_here, gpus_elsewhere;
};

struct drain_preview {
	int gpus_out;            /* GPUs of the active nodes: what the drain takes */
	int gpus_busy;           /* of those, held by running jobs */
	int already;             /* nodes already draining or drained */
	size_t jobs;             /* jobs with a GPU on the active nodes */
	struct drain_tenant *tenants; /* in order of first appearance */
	size_t ntenants;
};

void drain_preview_build(const struct dc_model *m, const int64_t *nodes, size_t n,
                         struct drain_preview *p);
void drain_preview_free(struct drain_preview *p);

#endif
