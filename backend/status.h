/* status.h — one consistent snapshot of the site's headline counts: fleet,
 * node states, accelerators, tenants, queue, incidents, report freshness.
 * Used by `dcops status` (status_cmd in commands.h) and by anything else in
 * backend/ that wants the same figures (the demo's placeholder screen).
 *
 * Ownership: status_load fills caller-owned storage; the partition array
 * and the strings inside belong to the struct and are released by
 * status_free. status_json returns a cJSON tree the caller cJSON_Delete()s. */
#ifndef DCOPS_STATUS_H
#define DCOPS_STATUS_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "util.h"

struct status_partition {
	char *name;
	char *gpu_model;
	long long nodes;
	long long accelerators;   /* sum of the nodes' gpu_count */
};

struct status {
	char *site;               /* setting site.name, else the first site row, else "" */
	char *environment;        /* setting environment (or site.environment), else "" */
	long long nodes;
	long long idle, mixed, allocated, down, unknown;   /* sched_state */
	long long draining, drained;                       /* admin_state */
	long long health_warn, health_fail;
	struct status_partition *partitions;               /* by name */
	size_t npartitions;
	long long accelerators;   /* sum of node.gpu_count */
	long long accel_in_use;   /* gpu rows held by a job */
	long long accel_free;     /* not held, on schedulable nodes: what could start now */
	long long accel_out;      /* not held, on drained/draining/down/failed nodes */
	long long tenants;
	long long jobs_running, jobs_pending;
	long long gpus_running, gpus_pending;               /* GPUs held / requested */
	long long incidents_open;
	long long incidents_by_sev[5];                      /* [0] = sev 1 */
	bool has_report;
	double report_age_s;      /* now - max(node.last_seen), when has_report */
	char *as_of;              /* server time of the snapshot, ISO 8601 UTC */
	/* the server that answered (db_server_name) and its database; a hot
	 * standby says so with its replay lag (sql_replay_query) */
	char server[128], database[64];
	char via_ssh[128], via_ssh_db[128]; /* through --ssh: dc_opts.via_ssh*; "" direct */
	bool standby;
	double replay_lag_s;
};

/* Reads everything in one read-only repeatable-read transaction, so the
 * figures agree with each other. Works on an empty migrated database. */
int status_load(PGconn *c, struct status *st, struct dc_err *err);
void status_free(struct status *st);
cJSON *status_json(const struct status *st);

#endif
