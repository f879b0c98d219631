/* report.h — the shift handover report, built from the database in one
 * REPEATABLE READ, READ ONLY snapshot and rendered as text (terminals),
 * Markdown (chat, wiki) or JSON (scripts, the console's Handover view).
 *
 * The window: --shift ID (the shift's start to its end, or now), --since
 * DURATION (now - DURATION to now), else from the previous handover to the
 * latest shift's end or now: the end of the shift that ended in the day
 * before the latest one started, else the start of the rota slot holding
 * that start, so work done before a shift started part-way is in it; with
 * no shift recorded, the rota slot holding now (dcops.handover_span,
 * dcops.rota_window, settings rota.handover_times / rota.timezone).
 *
 * JSON shape (version 1; keys are never removed or renamed within a
 * version, new keys may be added; times are UTC "YYYY-MM-DDTHH:MM:SSZ";
 * *_s are seconds; absent values are null):
 *   { "report": "handover", "version": 1, "generated_at": T,
 *     "timezone": "Asia/Seoul", "utc_offset_s": 32400,
 *     "window": { "start": T, "end": T, "source": "shift"|"since"|"rota",
 *                 "start_kind": "previous_shift"|"rota_slot"|"shift"|"since",
 *                 "prev_shift_id": the shift whose end starts it, or null },
 *     "shift": { "id", "operator", "started_at", "ended_at" } | null,
 *     "on_call": [ ROLE... ],      shift operators overlapping the window,
 *                                  else the roles that acted in it
 *     "open_incidents": [ { "id", "sev", "state", "title", "owner",
 *         "unowned": bool, "opened_at", "age_s", "last_note", "last_note_at",
 *         "next_update_at", "update_overdue": bool, "drill_id" } ],
 *     "incidents_opened": [ { "id", "sev", "state", "title", "opened_at", "drill_id" } ],
 *     "incidents_resolved": [ { "id", "sev", "title", "owner", "resolved_at",
 *         "summary", "drill_id" } ],
 *     "nodes_out": [ { "node", "partition", "admin_state", "sched_state", "health",
 *         "reason", "since", "by", "incident_id" } ],   drained, draining or down now
 *     "actions": [ { "id", "at", "actor", "kind", "target", "status", "reason",
 *         "before": {...}|null, "after": {...}|null, "expires_at", "incident_id",
 *         "drill_id" } ],                    quota kinds carry before/after limits
 *     "quota_temp": [ { "tenant", "before": {...}, "after": {...},
 *         "expires_at" } ],                time-boxed quotas in effect now
 *     "quota_risk": [ { "tenant", "gpu_limit", "gpus_running", "gpu_pct",
 *         "gpu_hours_used", "gpu_hours_budget", "hours_pct",
 *         "burn_gpu_hours_per_day", "burn_since", "pending_blocked",
 *         "pending_blocked_gpus", "days_left", "why": [text...] } ],
 *     "queues": [ { "partition", "pending", "pending_at_start", "oldest_wait_s",
 *         "oldest_wait_s_at_start", "blocked_large", "blocked_large_at_start" } ],
 *     "watch": [ { "node", "xid_incidents", "xids": [int...], "ecc_sbe_delta",
 *         "ecc_dbe_delta", "why" } ],
 *     "ecc_baseline": bool,
 *     "note": { "shift_id", "author", "body", "updated_at", "signed_off_by",
 *         "signed_off_at" } | null }
 *
 * Methods (stated here because the report's figures depend on them):
 *   queues   a job was pending at time T when submit_at <= T and it had
 *            neither started nor ended by T; computed the same way at the
 *            window's start and end, from dcops.job. Blocked large jobs are
 *            pending ones asking for >= REPORT_LARGE_GPUS GPUs.
 *   quota    at risk: pending jobs held by the GPU limit (running GPUs +
 *            the job's GPUs > gpu_limit), gpu_hours_used against the
 *            budget (> 90%), or days left < 7 at the burn of the last 24 h
 *            (quota.burn_gpu_h_day, 033_tenant_burn.sql). A tenant at its
 *            GPU limit with nothing waiting is not at risk. Incidents and
 *            actions of a drill are tagged [DRILL] in text and Markdown.
 *   watch    per node: incidents opened in the window linked to it whose
 *            title names an Xid ("Xid 79"); two or more is repeated. ECC:
 *            counters now minus the shift's start marks (dcops.shift_ecc_mark,
 *            taken by shift_start); without a started shift, no ECC baseline
 *            ("ecc_baseline": false) and only Xids are watched.
 *
 * Times in text and Markdown are in the operator's zone (config
 * "timezone", text.h: KST or UTC), labelled ("12-02 21:04 KST"); JSON
 * keeps UTC, and its "timezone" / "utc_offset_s" stay the site's rota
 * zone (rota.timezone), as in version 1.
 *
 * Untrusted strings (titles, notes, names) are escaped per format by
 * text.h: in text and Markdown, control characters, escape sequences, C1
 * and bidi controls are shown as \x1b or <U+202E>, never passed to a
 * terminal, and Markdown punctuation is backslash-escaped so text cannot
 * add structure; in JSON they are \u escapes.
 *
 * Ownership: report_build returns a cJSON tree the caller cJSON_Delete()s;
 * report_render writes to a caller FILE. The PGconn is borrowed, idle. */
#ifndef DCOPS_REPORT_H
#define DCOPS_REPORT_H

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

#define REPORT_LARGE_GPUS 16

enum report_format { REPORT_TEXT, REPORT_MD, REPORT_JSON };

struct report_window {
	int64_t shift_id;   /* > 0: that shift */
	int64_t since_s;    /* > 0: the last since_s seconds */
};

struct cJSON;

struct cJSON *report_build(PGconn *c, const struct report_window *w, struct dc_err *err);
void report_render(FILE *f, const struct cJSON *report, enum report_format fmt);
/* "text", "md", "json"; -1 when unknown. */
int report_format_parse(const char *s, enum report_format *fmt);

#endif
