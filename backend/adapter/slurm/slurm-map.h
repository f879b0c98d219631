/* slurm-map.h — Slurm's state words onto dcops's states (backend/model.h,
 * backend/sql/001_schema.sql), as tables.
 *
 * Nodes: Slurm's base state (IDLE, MIXED, ALLOCATED, DOWN, ...) and flags
 * (DRAIN, COMPLETING, NOT_RESPONDING, ...) give the three node columns:
 *   sched_state  from the base: IDLE idle, MIXED mixed, ALLOCATED allocated,
 *                DOWN and ERROR down, FUTURE and UNKNOWN unknown;
 *   admin_state  DRAIN with jobs on the node (ALLOCATED or MIXED, or
 *                COMPLETING) draining; DRAIN without them drained (DOWN+DRAIN
 *                too: the drain stays on record); otherwise active;
 *   health       INVALID_REG and FAIL fail; DOWN, ERROR, NOT_RESPONDING warn;
 *                otherwise ok;
 * and one label for the console, first match wins: inval, down (DOWN beats
 * DRAIN: a down node needs fixing, not just resuming), fail, draining,
 * drained, maint, reboot, not_responding, powered_down, reserved, then the
 * base (idle, mixed, allocated, completing, future, error, unknown).
 *
 * Jobs: PENDING pending; RUNNING, SUSPENDED and the in-flight flags
 * (COMPLETING, CONFIGURING, RESIZING, SIGNALING, STAGE_OUT, STOPPED) running
 * (they hold their GPUs); REQUEUED, REQUEUE_HOLD, REQUEUE_FED, SPECIAL_EXIT
 * pending; COMPLETED completed; FAILED and OUT_OF_MEMORY failed;
 * CANCELLED, PREEMPTED, REVOKED cancelled; TIMEOUT and DEADLINE timeout;
 * NODE_FAIL and BOOT_FAIL node_fail.
 *
 * All returned strings are static. */
#ifndef DCOPS_SLURM_MAP_H
#define DCOPS_SLURM_MAP_H

#include <stdbool.h>

#include "slurm-snap.h"

/* Slurm word (case-insensitive) -> base state; -1 when not a base word. */
int slurm_node_base_parse(const char *word);
const char *slurm_node_base_name(enum slurm_node_base b);   /* "IDLE" */
/* Slurm word -> enum slurm_node_flag bit; 0 when unknown. "MAINT" and
 * "MAINTENANCE", "NO_RESPOND" and "NOT_RESPONDING" are the same flag. */
unsigned slurm_node_flag_parse(const char *word);

struct slurm_dcops_node_state slurm_map_node(enum slurm_node_base base, unsigned flags);

/* Slurm job state word -> dcops state; -1 when unknown. *base is true for
 * base states (RUNNING), false for flags (COMPLETING): a list's base wins
 * and a flag only decides when it changes the answer (REQUEUED). */
int slurm_job_state_parse(const char *word, bool *base);

enum slurm_part_state slurm_part_state_parse(const char *word);
const char *slurm_part_state_name(enum slurm_part_state s);

#endif
