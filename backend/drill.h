/* drill.h — incident drills: scenario files, the drill lifecycle on the
 * database (backend/sql/011_drills.sql) and the scorecard.
 *
 * A scenario is drills/NAME.json:
 *   { "title": "...", "briefing": "...", "seed": 79, "speed": 60,
 *     "running_jobs": [ { "tenant": "...", "gpus": 64, "name": "pretrain-ko-70b",
 *                         "nodes": ["gj-h100-017", ..., "gj-h100-024"] } ],
 *     "timeline": [ { "at": "2m", "kind": "xid", "node": "gj-h100-017",
 *                     "gpu": 3, "xid": 79 }, ... ],
 *     "expectations": [ { "kind": "ack_incident", "event": 0, "within": "5m" }, ... ] }
 * Durations are whole seconds (a number) or "90s", "5m", "1h30m" (scenario
 * time; speed N runs it N times faster than the wall clock).
 * running_jobs (optional, at most DRILL_MAX_JOBS) is the story's premise:
 * the sim adapter starts each job on its nodes (gpus split evenly) when the
 * drill starts, requeueing what held them, so an event kills what the
 * briefing says it does.
 * Event kinds and their fields (sev 1-5 is optional on every event; without
 * it the severity table rates the incident, and the sim raises it by the
 * jobs an event killed):
 *   xid {node, gpu, xid}   leaf_switch {row}   cooling {row, throttle_pct}
 *   storage_degraded {pct} runaway_tenant {tenant, gpus}   power_cap {row, kw}
 * Expectation kinds:
 *   ack_incident {within, event?}     the event's incident acknowledged in time
 *                                     (event: index, default the first event)
 *   drain_nodes {within, nodes | from_event}  every listed node drained in time
 *   no_drain_healthy {}               no drain of a node no event touched
 *   no_quota_cut_below_use {}         no gpu_limit set below running GPUs
 *   handover_note {within}            a handover note written in time
 * Errors name the file, the JSON path and the problem:
 *   "drills/x.json: timeline[3].at: expected a duration like 90s, 5m or
 *    1h30m, got \"soon\"". Files over DRILL_MAX_BYTES or nested deeper than
 *   DRILL_MAX_DEPTH are refused.
 *
 * Scorecard: computed by the server from its own record (dcops.drill_score,
 * backend/sql/012_drill_score.sql) and stored by dcops.drill_end, which
 * takes no scorecard from the client. Its shape (drill_run.scorecard, and
 * `dcops drill report --format json`):
 *   { "drill_id": 7, "scenario": "xid79-h100-job", "title": "...",
 *     "status": "running"|"finished"|"stopped", "result": "pass"|"fail"|"pending",
 *     "speed": 60, "seed": 79, "started_by": "kim",
 *     "started_at": "2025-03-01T00:00:00Z", "ended_at": "...Z"|null,
 *     "met": 2, "missed": 1, "pending": 0,
 *     "expectations": [ { "index": 0, "kind": "ack_incident", "within_s": 300,
 *                         "status": "met"|"missed"|"pending",
 *                         "measured_s": 42|null, "detail": "..." } ],
 *     "wrong_actions": [ { "at_s": 130, "actor": "kim", "action": "drain",
 *                          "target": "gj-h100-002", "why": "..." } ],
 *     "timeline": [ { "at_s": 0, "who": "drill"|ROLE, "what": "..." } ] }
 * Times *_s are wall-clock seconds from the drill's start (or from the
 * event an expectation follows, for measured_s): the injected timeline runs
 * at the drill's speed, but expectation limits (within_s) are the
 * operator's own response time, never compressed. The wall clock is the
 * one time base every drill screen and report shows, said once.
 *
 * Ownership: struct drill_scenario owns its strings and spec (drill_scenario_free).
 * cJSON trees returned through `out` parameters are the caller's to
 * cJSON_Delete. PGconn is borrowed and must be idle (not in a transaction). */
#ifndef DCOPS_DRILL_H
#define DCOPS_DRILL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "util.h"

#define DRILL_MAX_BYTES (64 * 1024)
#define DRILL_MAX_DEPTH 6
#define DRILL_MAX_EVENTS 100
#define DRILL_MAX_EXPECTATIONS 50
#define DRILL_MAX_JOBS 8

struct cJSON;

struct drill_scenario {
	char *name;              /* file name without .json */
	char *title, *briefing;
	int64_t seed;
	double speed;
	struct cJSON *spec;      /* normalised: durations as at_s / within_s */
};

/* The scenarios directory: $DCOPS_DRILLS, else <datadir>/drills. */
const char *drill_dir(void);
/* Loads and validates one file. 0, or -1 with err naming file, path, problem. */
int drill_scenario_load(const char *path, struct drill_scenario *s, struct dc_err *err);
void drill_scenario_free(struct drill_scenario *s);
/* NAME (looked up in drill_dir()) or a path ending in .json. */
char *drill_scenario_path(const char *name_or_path);

/* Starts a drill (speed <= 0: the scenario's); 0 with *id, or -1 with err
 * (a production database is refused naming the setting). */
int drill_start(PGconn *c, const struct drill_scenario *s, double speed, int64_t *id,
                struct dc_err *err);
/* Injects due events of the running drill and the server ends it (status
 * finished, scorecard stored) once every timed expectation is decided or
 * its time is up (dcops.drill_tick). *id: the running drill (0: none);
 * *ended: it ended in this call. */
int drill_tick(PGconn *c, int64_t *id, bool *ended, struct dc_err *err);
/* Ends the running drill as stopped, undecided expectations missed. */
int drill_stop(PGconn *c, int64_t *id, struct dc_err *err);
/* The server's scorecard (dcops.drill_score): the stored one of an ended
 * drill, or a provisional one of a running drill. -1 with err (unknown drill). */
int drill_scorecard(PGconn *c, int64_t id, struct cJSON **out, struct dc_err *err);
/* Renders a scorecard; untrusted strings are escaped for the format. */
void drill_scorecard_print(FILE *f, const struct cJSON *card, enum report_format fmt);

#endif
