/* sim.h — the embedded data center: an in-memory model of the fleet, the
 * job queue and the tenants, advanced one tick at a time and written back
 * in one transaction per tick (batched statements over parameter arrays).
 *
 * Ownership: sim_new returns a struct sim the caller frees with sim_free.
 * The PGconn is borrowed per call; the sim never keeps a connection.
 * After sim_tick fails the in-memory model may be ahead of the database:
 * call sim_load again (on a working connection) before the next tick.
 * opts.log is borrowed and may be NULL. */
#ifndef DCOPS_SIM_H
#define DCOPS_SIM_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct sim_opts {
	uint64_t seed;     /* 0: 1 */
	double speed;      /* simulated seconds per wall second */
	int tick_ms;       /* wall milliseconds per tick: step = tick_ms * speed */
	double fault_x;    /* multiplies the fault hazard (drills, tests); 0 = 1 */
	FILE *log;         /* incidents, actions, errors; NULL: silent */
};

/* What one tick did; counters are for this tick only. */
struct sim_tick_stats {
	long rows;         /* rows inserted, updated or deleted */
	int arrivals, starts, ends, faults, actions, incidents;
	int running, pending;
};

struct sim;

struct sim *sim_new(const struct sim_opts *o);
void sim_free(struct sim *s);
/* Reads partitions, nodes, GPUs, tenants, quotas and live jobs; repairs
 * allocations that do not add up (a GPU held by a job that is not running). */
int sim_load(struct sim *s, PGconn *c, struct dc_err *err);
/* Advances one step and writes it in one transaction; -1 rolls back. */
int sim_tick(struct sim *s, PGconn *c, struct sim_tick_stats *st, struct dc_err *err);

#endif
