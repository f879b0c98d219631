/* adapter-status.h — how an adapter tells the consoles whether its source
 * (the simulator, Slurm, ...) is reachable: dcops.adapter_report
 * (034_adapter_status.sql) writes adapter.* settings the console follows;
 * its header shows ADAPTER DOWN (and marks the data stale) when the state is
 * down or no report came for 3 intervals. Two sources beside the adapter
 * report under their own names and keys: "telemetry" (060: telemetry.*,
 * TELEMETRY STALE) and "accounting" (084: accounting.*, QUOTAS STALE).
 *
 * Ownership: the caller owns the connection and the strings; nothing is
 * kept between calls. A report is one statement in its own transaction
 * unless the caller has one open. */
#ifndef DCOPS_ADAPTER_STATUS_H
#define DCOPS_ADAPTER_STATUS_H

#include <libpq-fe.h>

#include "util.h"

enum adapter_state { ADAPTER_UP, ADAPTER_DOWN, ADAPTER_STOPPED };

/* Seconds between heartbeats while nothing changes. */
#define ADAPTER_REPORT_S 5

/* error: why the source is down (NULL or "" when up). -1 with err filled
 * when the database refused or is gone. */
int adapter_report(PGconn *c, const char *name, enum adapter_state state, const char *error,
                   int interval_s, struct dc_err *err);

#endif
