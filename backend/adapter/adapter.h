/* adapter.h — the one interface dcopsd drives, whatever the data center
 * behind it: the simulator (backend/adapter/sim) or a Slurm cluster
 * (backend/adapter/slurm). dcopsd picks one from adapter_table by name
 * (--adapter sim|slurm), then:
 *
 *   start    build the adapter from the parsed options (no database yet)
 *   attach   after every (re)connect: load what the database holds, so the
 *            first poll diffs against it rather than rewriting everything
 *   apply    apply the operators' queued actions (dcops.actions) in order;
 *            NULL when poll does it inside its own transaction (the sim)
 *   poll     one cycle: read the source, write what changed in one
 *            transaction; returns the milliseconds until the next cycle is
 *            due, or -1 with err (nothing written; the source or the
 *            database is down: dcopsd reports it and backs off)
 *   wait     sleep until the next cycle (an SSH link stays alive meanwhile);
 *            returns early when *stop is set
 *   stop     free everything
 *
 * Folder map: backend/adapter/ owns everything that moves a data
 * center's state into the database and applies the operators' actions:
 * this interface, dcopsd (dcopsd.c), the adapter status report
 * (adapter-status.h), the simulator (sim/: fleet, jobs, faults, drills)
 * the Slurm adapter (slurm/: parsers, command runner, poll cycle,
 * acting side) and the DCGM telemetry it can read beside Slurm
 * (telemetry/: tel.h). SSH lives beside it in backend/ssh/ (ssh-session.h).
 *
 * Ownership: the adapter's state is the adapter's (stop frees it); the
 * connection is dcopsd's, borrowed per call. Options are parsed by the
 * adapter's own parse_opt, which sees every option dcopsd does not know. */
#ifndef DCOPS_ADAPTER_H
#define DCOPS_ADAPTER_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "util.h"

/* What one cycle did, for dcopsd's log and --stats. */
struct adapter_stats {
	long rows;          /* rows inserted, updated or deleted */
	long job_events;    /* jobs arrived, started or ended */
	long faults, actions, incidents, audits;
	double cpu_ms;      /* this process's CPU time for the cycle */
	double child_cpu_ms; /* the commands it ran (Slurm's), waited for */
	int running, pending;
	char detail[160];   /* adapter's own one-line summary, "" when none */
	bool idle;          /* nothing was due: not a cycle (not counted) */
};

struct adapter_ops {
	const char *name;
	const char *usage;   /* the adapter's own options, for --help */
	/* 0 taken, 1 not this adapter's option, -1 bad value (message printed) */
	int (*parse_opt)(void *cfg, const char *opt, const char *val);
	void *(*config_new)(void);
	void (*config_free)(void *cfg);
	void *(*start)(void *cfg, FILE *log, struct dc_err *err);
	int (*attach)(void *st, PGconn *c, struct dc_err *err);
	int (*apply)(void *st, PGconn *c, struct dc_err *err);
	int (*poll)(void *st, PGconn *c, struct adapter_stats *s, struct dc_err *err);
	void (*wait)(void *st, int ms, const volatile sig_atomic_t *stop);
	void (*stop)(void *st);
	int report_s;        /* seconds between status reports */
};

extern const struct adapter_ops adapter_sim, adapter_slurm;
extern const struct adapter_ops *const adapter_table[];

/* The table row named name, NULL when none. */
const struct adapter_ops *adapter_find(const char *name);

#endif
