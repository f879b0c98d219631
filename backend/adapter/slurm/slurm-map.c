/* slurm-map.c — the state tables (see slurm-map.h for the rules). */
#include "slurm-map.h"

#include <strings.h>

#include "util.h"

static const char *const base_names[] = {
	[SLURM_NODE_UNKNOWN] = "UNKNOWN", [SLURM_NODE_DOWN] = "DOWN",
	[SLURM_NODE_IDLE] = "IDLE", [SLURM_NODE_ALLOCATED] = "ALLOCATED",
	[SLURM_NODE_ERROR] = "ERROR", [SLURM_NODE_MIXED] = "MIXED",
	[SLURM_NODE_FUTURE] = "FUTURE",
};

int slurm_node_base_parse(const char *word)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(base_names); i++)
		if (strcasecmp(word, base_names[i]) == 0)
			return (int)i;
	/* 22.05's long form of ALLOCATED */
	if (strcasecmp(word, "ALLOC") == 0)
		return SLURM_NODE_ALLOCATED;
	return -1;
}

const char *slurm_node_base_name(enum slurm_node_base b)
{
	return (size_t)b < DC_ARRAY_LEN(base_names) ? base_names[b] : "UNKNOWN";
}

static const struct {
	const char *word;
	unsigned flag;
} node_flags[] = {
	{ "DRAIN", SLURM_NF_DRAIN },
	{ "COMPLETING", SLURM_NF_COMPLETING },
	{ "NOT_RESPONDING", SLURM_NF_NOT_RESPONDING },
	{ "NO_RESPOND", SLURM_NF_NOT_RESPONDING },
	{ "FAIL", SLURM_NF_FAIL },
	{ "MAINTENANCE", SLURM_NF_MAINTENANCE },
	{ "MAINT", SLURM_NF_MAINTENANCE },
	{ "RESERVED", SLURM_NF_RESERVED },
	{ "REBOOT_REQUESTED", SLURM_NF_REBOOT_REQUESTED },
	{ "REBOOT_ISSUED", SLURM_NF_REBOOT_ISSUED },
	{ "INVALID_REG", SLURM_NF_INVALID_REG },
	{ "POWERED_DOWN", SLURM_NF_POWERED_DOWN },
	{ "POWERING_DOWN", SLURM_NF_POWERING_DOWN },
	{ "POWER_DOWN", SLURM_NF_POWER_DOWN },
	{ "POWERING_UP", SLURM_NF_POWERING_UP },
	{ "POWER_UP", SLURM_NF_POWER_UP },
	{ "CLOUD", SLURM_NF_CLOUD },
	{ "PLANNED", SLURM_NF_PLANNED },
	{ "DYNAMIC_FUTURE", SLURM_NF_DYNAMIC },
	{ "DYNAMIC_NORM", SLURM_NF_DYNAMIC },
	/* transient request flags Slurm may show; nothing to map */
	{ "RESUME", SLURM_NF_OTHER },
	{ "UNDRAIN", SLURM_NF_OTHER },
	{ "PERFCTRS", SLURM_NF_OTHER },
	{ "BLOCKED", SLURM_NF_OTHER },
	{ "EXTERNAL", SLURM_NF_OTHER },
};

unsigned slurm_node_flag_parse(const char *word)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(node_flags); i++)
		if (strcasecmp(word, node_flags[i].word) == 0)
			return node_flags[i].flag;
	return 0;
}

static const enum dc_sched base_sched[] = {
	[SLURM_NODE_UNKNOWN] = DC_SCHED_UNKNOWN, [SLURM_NODE_DOWN] = DC_SCHED_DOWN,
	[SLURM_NODE_IDLE] = DC_SCHED_IDLE, [SLURM_NODE_ALLOCATED] = DC_SCHED_ALLOCATED,
	[SLURM_NODE_ERROR] = DC_SCHED_DOWN, [SLURM_NODE_MIXED] = DC_SCHED_MIXED,
	[SLURM_NODE_FUTURE] = DC_SCHED_UNKNOWN,
};

#define ANY_BASE (-1)
#define BUSY_BASE (-2) /* ALLOCATED, MIXED, or COMPLETING on any base */

/* First matching row names the node; flags must all be set, base must
 * equal (or be ANY_BASE / BUSY_BASE). */
static const struct {
	unsigned flags;
	int base;
	const char *label;
} labels[] = {
	{ SLURM_NF_INVALID_REG, ANY_BASE, "inval" },
	{ 0, SLURM_NODE_DOWN, "down" },
	{ SLURM_NF_FAIL, ANY_BASE, "fail" },
	{ SLURM_NF_DRAIN, BUSY_BASE, "draining" },
	{ SLURM_NF_DRAIN, ANY_BASE, "drained" },
	{ SLURM_NF_MAINTENANCE, ANY_BASE, "maint" },
	{ SLURM_NF_REBOOT_REQUESTED, ANY_BASE, "reboot" },
	{ SLURM_NF_REBOOT_ISSUED, ANY_BASE, "reboot" },
	{ SLURM_NF_NOT_RESPONDING, ANY_BASE, "not_responding" },
	{ SLURM_NF_POWERED_DOWN, ANY_BASE, "powered_down" },
	{ SLURM_NF_POWERING_DOWN, ANY_BASE, "powered_down" },
	{ SLURM_NF_RESERVED, ANY_BASE, "reserved" },
	{ SLURM_NF_COMPLETING, ANY_BASE, "completing" },
	{ 0, SLURM_NODE_IDLE, "idle" },
	{ 0, SLURM_NODE_MIXED, "mixed" },
	{ 0, SLURM_NODE_ALLOCATED, "allocated" },
	{ 0, SLURM_NODE_FUTURE, "future" },
	{ 0, SLURM_NODE_ERROR, "error" },
	{ 0, ANY_BASE, "unknown" },
};

static bool busy(enum slurm_node_base base, unsigned flags)
{
	return base == SLURM_NODE_ALLOCATED || base == SLURM_NODE_MIXED || (flags & SLURM_NF_COMPLETING);
}

struct slurm_dcops_node_state slurm_map_node(enum slurm_node_base base, unsigned flags)
{
	struct slurm_dcops_node_state st = { DC_SCHED_UNKNOWN, DC_ADMIN_ACTIVE, DC_HEALTH_OK, "unknown" };
	if ((size_t)base < DC_ARRAY_LEN(base_sched))
		st.sched = base_sched[base];
	if (flags & SLURM_NF_DRAIN)
		st.admin = busy(base, flags) && base != SLURM_NODE_DOWN ? DC_ADMIN_DRAINING : DC_ADMIN_DRAINED;
	if (flags & (SLURM_NF_INVALID_REG | SLURM_NF_FAIL))
		st.health = DC_HEALTH_FAIL;
	else if (base == SLURM_NODE_DOWN || base == SLURM_NODE_ERROR || (flags & SLURM_NF_NOT_RESPONDING))
		st.health = DC_HEALTH_WARN;
	for (size_t i = 0; i < DC_ARRAY_LEN(labels); i++) {
		if ((flags & labels[i].flags) != labels[i].flags)
			continue;
		if (labels[i].base == BUSY_BASE ? !busy(base, flags)
		    : labels[i].base != ANY_BASE && labels[i].base != (int)base)
			continue;
		st.label = labels[i].label;
		break;
	}
	return st;
}

static const struct {
	const char *word;
	enum dc_job_state state;
	bool base;
} job_states[] = {
	{ "PENDING", DC_JOB_PENDING, true },
	{ "RUNNING", DC_JOB_RUNNING, true },
	{ "SUSPENDED", DC_JOB_RUNNING, true },
	{ "COMPLETED", DC_JOB_COMPLETED, true },
	{ "COMPLETE", DC_JOB_COMPLETED, true },
	{ "CANCELLED", DC_JOB_CANCELLED, true },
	{ "FAILED", DC_JOB_FAILED, true },
	{ "TIMEOUT", DC_JOB_TIMEOUT, true },
	{ "NODE_FAIL", DC_JOB_NODE_FAIL, true },
	{ "PREEMPTED", DC_JOB_CANCELLED, true },
	{ "BOOT_FAIL", DC_JOB_NODE_FAIL, true },
	{ "DEADLINE", DC_JOB_TIMEOUT, true },
	{ "OUT_OF_MEMORY", DC_JOB_FAILED, true },
	{ "COMPLETING", DC_JOB_RUNNING, false },
	{ "CONFIGURING", DC_JOB_RUNNING, false },
	{ "RESIZING", DC_JOB_RUNNING, false },
	{ "SIGNALING", DC_JOB_RUNNING, false },
	{ "STAGE_OUT", DC_JOB_RUNNING, false },
	{ "STOPPED", DC_JOB_RUNNING, false },
	{ "POWER_UP_NODE", DC_JOB_RUNNING, false },
	{ "UPDATE_DB", DC_JOB_RUNNING, false },
	{ "REQUEUED", DC_JOB_PENDING, false },
	{ "REQUEUE_HOLD", DC_JOB_PENDING, false },
	{ "REQUEUE_FED", DC_JOB_PENDING, false },
	{ "RESV_DEL_HOLD", DC_JOB_PENDING, false },
	{ "SPECIAL_EXIT", DC_JOB_PENDING, false },
	{ "REVOKED", DC_JOB_CANCELLED, false },
	{ "RECONFIG_FAIL", DC_JOB_FAILED, false },
	{ "LAUNCH_FAILED", DC_JOB_FAILED, false },
};

int slurm_job_state_parse(const char *word, bool *base)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(job_states); i++)
		if (strcasecmp(word, job_states[i].word) == 0) {
			*base = job_states[i].base;
			return (int)job_states[i].state;
		}
	return -1;
}

static const char *const part_names[] = {
	[SLURM_PART_UP] = "UP", [SLURM_PART_DOWN] = "DOWN", [SLURM_PART_DRAIN] = "DRAIN",
	[SLURM_PART_INACTIVE] = "INACTIVE", [SLURM_PART_UNKNOWN] = "UNKNOWN",
};

enum slurm_part_state slurm_part_state_parse(const char *word)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(part_names); i++)
		if (strcasecmp(word, part_names[i]) == 0)
			return (enum slurm_part_state)i;
	return SLURM_PART_UNKNOWN;
}

const char *slurm_part_state_name(enum slurm_part_state s)
{
	return (size_t)s < DC_ARRAY_LEN(part_names) ? part_names[s] : "UNKNOWN";
}
