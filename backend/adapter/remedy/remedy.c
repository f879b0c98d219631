/* remedy.c — one telemetry cycle's events into incidents: each event
 * resolved against the table here, the cycle written by one call of
 * dcops.remedy_apply (061_remedy.sql) in the caller's transaction. */
#include "remedy.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
	[TEL_XID] = "xid", [TEL_ECC_DBE] = "ecc_dbe", [TEL_REMAP_FAILURE] = "remap_failure",
	[TEL_REMAP_PENDING] = "remap_pending", [TEL_NVLINK] = "nvlink",
};

/* How the event reads on a timeline and in a drain reason. */
static void event_label(const struct tel_event *ev, char *buf, size_t n)
{
	switch (ev->kind) {
	case TEL_XID: snprintf(buf, n, "Xid %lld", ev->code); break;
	case TEL_ECC_DBE: snprintf(buf, n, "ECC double-bit errors +%lld (total %lld)", ev->rise, ev->code); break;
	case TEL_REMAP_FAILURE: snprintf(buf, n, "row remap failure (total %lld)", ev->code); break;
	case TEL_REMAP_PENDING: snprintf(buf, n, "row remap pending (%lld rows)", ev->code); break;
	case TEL_NVLINK: snprintf(buf, n, "NVLink errors +%lld (total %lld)", ev->rise, ev->code); break;
	default: snprintf(buf, n, "event %d", (int)ev->kind); break;
	}
}

static bool event_ok(const struct tel_event *ev)
{
	return ev->node && ev->node[0] && (unsigned)ev->kind < DC_ARRAY_LEN(kind_names) && ev->gpu >= 0 &&
	       ev->gpu < 64;
}

static cJSON *event_json(const struct tel_event *ev, const struct remedy_rule *x)
{
	char label[96];
	event_label(ev, label, sizeof label);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "node", ev->node);
	cJSON_AddNumberToObject(o, "gpu", ev->gpu);
	cJSON_AddStringToObject(o, "uuid", ev->uuid ? ev->uuid : "");
	cJSON_AddStringToObject(o, "kind", kind_names[ev->kind]);
	cJSON_AddNumberToObject(o, "code", (double)ev->code);
	cJSON_AddNumberToObject(o, "rise", (double)(ev->kind == TEL_XID ? 1 : ev->rise));
	cJSON_AddNumberToObject(o, "at", (double)ev->at);
	cJSON_AddStringToObject(o, "label", label);
	cJSON_AddStringToObject(o, "meaning", x->meaning);
	cJSON_AddStringToObject(o, "action", x->action);
	cJSON_AddNumberToObject(o, "sev", x->severity);
	cJSON_AddBoolToObject(o, "drain", x->drain);
	cJSON_AddBoolToObject(o, "jobs_dead", x->jobs_dead);
	cJSON_AddBoolToObject(o, "auto_drain", x->auto_drain);
	cJSON_AddStringToObject(o, "policy", x->policy);
	return o;
}

static int stat_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
}

static int result_read(const char *text, struct remedy_stats *st, struct dc_err *err)
{
	cJSON *o = cJSON_Parse(text);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return dc_err_set(err, "dcops.remedy_apply: unexpected answer");
	}
	st->fresh = stat_of(o, "new");
	st->duplicate = stat_of(o, "duplicate");
	st->unknown_node = stat_of(o, "unknown_node");
	st->opened = stat_of(o, "opened");
	st->updated = stat_of(o, "updated");
	st->proposed = stat_of(o, "proposed");
	st->auto_drained = stat_of(o, "auto_drained");
	st->guard_stopped = stat_of(o, "guard_stopped");
	cJSON_Delete(o);
	return 0;
}

int remedy_cycle(struct remedy *r, PGconn *c, const struct tel_event *ev, size_t n,
                 struct remedy_stats *st, struct dc_err *err)
{
	*st = (struct remedy_stats){ .events = (int)n };
	cJSON *arr = cJSON_CreateArray();
	size_t sent = 0;
	for (size_t i = 0; i < n; i++) {
		const struct remedy_rule *x = event_ok(&ev[i]) ? remedy_find(r, &ev[i]) : NULL;
		if (!x || !x->incident) {
			st->ignored++;
			continue;
		}
		cJSON_AddItemToArray(arr, event_json(&ev[i], x));
		sent++;
	}
	if (!sent) {
		cJSON_Delete(arr);
		return 0;
	}
	char *doc = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	char window[32], nodes[32];
	snprintf(window, sizeof window, "%d seconds", r->flood_window_s);
	snprintf(nodes, sizeof nodes, "%d", r->flood_nodes);
	const char *v[] = { doc, window, nodes };
	PGresult *res = PQexecParams(c, "SELECT dcops.remedy_apply($1::jsonb, $2::interval, $3::integer)::text",
	                             3, NULL, v, NULL, NULL, 0);
	free(doc);
	int rc;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		rc = dc_err_set(err, "dcops.remedy_apply: %.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
		                PQresultErrorMessage(res));
	else
		rc = result_read(PQgetvalue(res, 0, 0), st, err);
	PQclear(res);
	return rc;
}
