/* remedy.h — from GPU health events to incidents and proposed drains
 * (issue 14): the remediation table and the step that applies a cycle's
 * events to the database.
 *
 * The table (backend/remedy/xid.json, installed under the data directory;
 * the site overrides entries in a file of the same shape):
 *
 *   { "flood": { "window_seconds": 120, "nodes": 4 },
 *     "events": { "xid.79": { "meaning": "GPU has fallen off the bus",
 *                             "action": "drain, reboot the node, then contact support",
 *                             "severity": 3, "drain": true, "jobs_dead": true,
 *                             "auto_drain": false, "incident": true,
 *                             "policy": "xid-fatal" },
 *                 "xid.*": {...}, "ecc_dbe": {...}, "remap_failure": {...},
 *                 "remap_pending": {...}, "nvlink": {...} } }
 *
 * Keys: "xid.N" (N 0..65535), "xid.*" (any Xid the table does not list:
 * required in the base table) and one per counter kind of tel-event.h.
 * An entry new to the table needs "meaning" and "policy"; an override
 * entry of a listed key changes only the fields it names. auto_drain
 * (default false) needs drain. policy: 1-40 of [A-Za-z0-9._-] (it names
 * the actor of an automatic drain, "dcopsd (policy NAME)"); meaning and
 * action: 1-120 / 0-200 characters, no control characters. Unknown keys,
 * wrong types and bad values are errors naming the file, the key and the
 * value; a table with an error is not used (the adapter stops).
 *
 * The cycle: remedy_cycle resolves each event against the table and
 * writes the cycle in one call of dcops.remedy_apply (061_remedy.sql):
 * one incident per node (a flood: one for all its nodes), the jobs and
 * tenants on the node, a timeline entry per new event, the proposed
 * drain, and the opt-in automatic drains through the guard rail. It runs
 * inside the caller's transaction (the telemetry reader's cycle) and
 * never commits or rolls back itself.
 *
 * Ownership: struct remedy is caller storage; remedy_load / remedy_merge
 * fill it with malloc'd rules that remedy_free releases. Rules returned
 * by remedy_find point into it. Events are only read. */
#ifndef DCOPS_REMEDY_H
#define DCOPS_REMEDY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "adapter/telemetry/tel-event.h"
#include "util.h"

#define REMEDY_XID_ANY (-1)        /* the "xid.*" rule's xid */
#define REMEDY_MAX_BYTES (256 * 1024)

struct remedy_rule {
	enum tel_event_kind kind;
	long long xid;             /* TEL_XID: the Xid or REMEDY_XID_ANY; else 0 */
	char *meaning, *action, *policy;
	int severity;              /* 1..5 */
	bool incident;             /* false: the event is recorded, no incident */
	bool drain, jobs_dead, auto_drain;
};

struct remedy {
	struct remedy_rule *rules;
	size_t n, cap;
	int flood_window_s;        /* events of flood_nodes nodes within it: one incident */
	int flood_nodes;
};

struct remedy_stats {
	int events;                /* handed in */
	int ignored;               /* "incident": false */
	int fresh, duplicate, unknown_node;
	int opened, updated, proposed, auto_drained, guard_stopped;
};

/* The base table at table_path (NULL: <datadir>/backend/remedy/xid.json),
 * then, unless override_path is NULL, the site's overrides. */
int remedy_load(struct remedy *r, const char *table_path, const char *override_path, struct dc_err *err);
/* Merges one table's text into r (an empty r: the base table, which must
 * hold "xid.*" and every counter kind; remedy_check says so). name is
 * the file named in errors. On error r is unchanged. */
int remedy_merge(struct remedy *r, const char *text, size_t len, const char *name, bool base,
                 struct dc_err *err);
void remedy_free(struct remedy *r);
/* The rule for an event: its Xid's, else "xid.*"; its counter kind's. */
const struct remedy_rule *remedy_find(const struct remedy *r, const struct tel_event *ev);
/* "xid.79", "ecc_dbe", ...: the rule's key in the table. */
void remedy_key(const struct remedy_rule *rule, char *buf, size_t n);

/* One cycle's events into incidents, inside the caller's transaction on c
 * (as the adapter's role). 0, with st filled; -1 with err (the caller
 * rolls back: nothing of the cycle is kept). */
int remedy_cycle(struct remedy *r, PGconn *c, const struct tel_event *ev, size_t n,
                 struct remedy_stats *st, struct dc_err *err);

#endif
