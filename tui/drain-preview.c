/* drain-preview.c — a drain's blast radius (see drain-preview.h). */
#include "drain-preview.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct job_here {
	int64_t job;
	int gpus;
};

/* Counts one GPU of job on the drained nodes. */
static void count_gpu(struct job_here **v, size_t *n, size_t *cap, int64_t job)
{
	for (size_t k = 0; k < *n; k++)
		if ((*v)[k].job == job) {
			(*v)[k].gpus++;
			return;
		}
	*v = xgrow(*v, cap, *n + 1, sizeof **v);
	(*v)[(*n)++] = (struct job_here){ job, 1 };
}

static struct drain_tenant *tenant_slot(struct drain_preview *p, size_t *cap, int64_t tenant)
{
	for (size_t i = 0; i < p->ntenants; i++)
		if (p->tenants[i].tenant == tenant)
			return &p->tenants[i];
	p->tenants = xgrow(p->tenants, cap, p->ntenants + 1, sizeof *p->tenants);
	p->tenants[p->ntenants] = (struct drain_tenant){ .tenant = tenant };
	return &p->tenants[p->ntenants++];
}

void drain_preview_build(const struct dc_model *m, const int64_t *nodes, size_t n,
                         struct drain_preview *p)
{
	memset(p, 0, sizeof *p);
	struct job_here *jobs = NULL;
	size_t nj = 0, capj = 0;
	for (size_t i = 0; i < n; i++) {
		const struct dc_node *nd = model_node(m, nodes[i]);
		if (!nd)
			continue;
		if (nd->admin != DC_ADMIN_ACTIVE) {
			p->already++;
			continue;
		}
		p->gpus_out += nd->gpu_count;
		for (int g = 0; g < nd->gpu_slots; g++) {
			const struct dc_gpu *gp = model_node_gpu(nd, g);
			if (gp && gp->job_id) {
				p->gpus_busy++;
				count_gpu(&jobs, &nj, &capj, gp->job_id);
			}
		}
	}
	size_t capt = 0;
	for (size_t k = 0; k < nj; k++) {
		const struct dc_job *j = model_get(m, DC_T_JOB, jobs[k].job);
		if (!j)
			continue;
		struct drain_tenant *t = tenant_slot(p, &capt, j->tenant_id);
		p->jobs++;
		t->jobs++;
		t->gpus_here += jobs[k].gpus;
		/* the job's size, not its GPU rows elsewhere: those may not be loaded */
		if (j->gpus > jobs[k].gpus)
			t->gpus_elsewhere += j->gpus - jobs[k].gpus;
	}
	free(jobs);
}

void drain_preview_free(struct drain_preview *p)
{
	free(p->tenants);
	memset(p, 0, sizeof *p);
}
