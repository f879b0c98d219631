/* sim-actions.c — applies the operators' intents (dcops.actions, the
 * outbox) in id order, exactly once: the rows are locked FOR UPDATE SKIP
 * LOCKED inside the tick's transaction and marked applied or failed by the
 * same transaction that carries out their effect. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/sim/sim-model.h"

#define SIM_ACTIONS_PER_TICK 200

struct action {
	long long id;
	const char *kind, *target, *reason, *by;
	const cJSON *params;
};

static void result(struct sim *s, long long id, char *error)
{
	struct sim_action_result *r = xcalloc(1, sizeof *r);
	r->id = id;
	r->ok = error == NULL;
	r->error = error;
	sim_vec_push(&s->results, r);
	s->st.actions++;
	sim_log(s, "action %lld %s%s", id, error ? "failed: " : "applied", error ? error : "");
}

/* The nodes an action names: params.nodes, else the target. Fails naming
 * the first unknown node; fills idx (caller frees). */
static char *action_nodes(struct sim *s, const struct action *a, int **idx, int *n)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(a->params, "nodes");
	int count = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 1;
	*idx = xcalloc((size_t)count + 1, sizeof **idx);
	*n = 0;
	for (int i = 0; i < count; i++) {
		const cJSON *it = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, i) : NULL;
		const char *name = it ? cJSON_GetStringValue(it) : a->target;
		if (!name)
			return xasprintf("params.nodes[%d] is not a node name", i);
		int ix = sim_node_by_name(s, name);
		if (ix < 0)
			return xasprintf("unknown node '%s'", name);
		(*idx)[(*n)++] = ix;
	}
	return NULL;
}

static char *apply_drain(struct sim *s, const struct action *a)
{
	int *idx, n;
	char *error = action_nodes(s, a, &idx, &n);
	for (int i = 0; !error && i < n; i++)
		sim_node_set_drain(s, &s->nodes[idx[i]], a->reason, a->by);
	free(idx);
	return error;
}

static char *apply_resume(struct sim *s, const struct action *a)
{
	int *idx, n;
	char *error = action_nodes(s, a, &idx, &n);
	for (int i = 0; !error && i < n; i++) {
		struct sim_node *nd = &s->nodes[idx[i]];
		/* resuming asserts the node is fixed: the operator checked it */
		nd->admin = ADMIN_ACTIVE;
		nd->health = HEALTH_OK;
		nd->repair_at = 0;
		if (nd->sched == SCHED_DOWN)
			nd->sched = SCHED_IDLE;
		free(nd->drain_reason);
		free(nd->drained_by);
		free(nd->health_detail);
		nd->drain_reason = xstrdup("");
		nd->drained_by = xstrdup("");
		nd->health_detail = xstrdup("");
		nd->drained_at = 0;
		nd->dirty = true;
	}
	free(idx);
	return error;
}

/* The tenant: params.tenant_id, else the target as an id or a name. */
static int action_tenant(struct sim *s, const struct action *a)
{
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(a->params, "tenant_id");
	if (cJSON_IsNumber(tid))
		return sim_tenant_index(s, tid->valueint);
	char *end;
	long id = strtol(a->target, &end, 10);
	if (*a->target && !*end)
		return sim_tenant_index(s, (int)id);
	for (int i = 0; i < s->ntenants; i++)
		if (strcmp(s->tenants[i].name, a->target) == 0)
			return i;
	return -1;
}

/* A non-negative number under key, or absent. */
static char *quota_param(const struct action *a, const char *key, char *out, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a->params, key);
	out[0] = '\0';
	if (!v)
		return NULL;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		return xasprintf("params.%s must be a non-negative number", key);
	snprintf(out, n, "%.17g", v->valuedouble);
	return NULL;
}

static char *apply_quota(struct sim *s, PGconn *c, const struct action *a, bool revert,
                         struct dc_err *err, int *rc)
{
	int ti = action_tenant(s, a);
	if (ti < 0)
		return xasprintf("unknown tenant '%s'", a->target);
	char tid[16], lim[32], bud[32], sto[32];
	snprintf(tid, sizeof tid, "%d", s->tenants[ti].id);
	char *bad = NULL;
	if (!revert && ((bad = quota_param(a, "gpu_limit", lim, sizeof lim)) ||
	                (bad = quota_param(a, "gpu_hours_budget", bud, sizeof bud)) ||
	                (bad = quota_param(a, "storage_tb", sto, sizeof sto))))
		return bad;
	if (!revert && !lim[0] && !bud[0] && !sto[0])
		return xstrdup("params name none of gpu_limit, gpu_hours_budget, storage_tb");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(a->params, "expires_at");
	const char *p[] = { tid, lim[0] ? lim : NULL, bud[0] ? bud : NULL, sto[0] ? sto : NULL,
	                    cJSON_GetStringValue(exp) };
	const char *set_sql =
		"UPDATE dcops.quota SET prev_values = jsonb_build_object('gpu_limit', gpu_limit, "
		"'gpu_hours_budget', gpu_hours_budget, 'storage_tb', storage_tb), "
		"gpu_limit = coalesce($2::numeric::int, gpu_limit), "
		"gpu_hours_budget = coalesce($3::numeric, gpu_hours_budget), "
		"storage_tb = coalesce($4::numeric, storage_tb), expires_at = $5::timestamptz "
		"WHERE tenant_id = $1 RETURNING gpu_limit, gpu_hours_budget";
	const char *revert_sql =
		"UPDATE dcops.quota SET gpu_limit = (prev_values->>'gpu_limit')::int, "
		"gpu_hours_budget = (prev_values->>'gpu_hours_budget')::numeric, "
		"storage_tb = (prev_values->>'storage_tb')::numeric, prev_values = NULL, expires_at = NULL "
		"WHERE tenant_id = $1 AND prev_values IS NOT NULL RETURNING gpu_limit, gpu_hours_budget";
	/* A savepoint keeps a bad value (an unparsable expires_at) from failing the tick. */
	PQclear(PQexec(c, "SAVEPOINT quota"));
	PGresult *r = PQexecParams(c, revert ? revert_sql : set_sql, revert ? 1 : 5, NULL, p, NULL,
	                           NULL, 0);
	char *error = NULL;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		error = xasprintf("%s", PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
		                            ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
		                            : PQerrorMessage(c));
		PQclear(PQexec(c, "ROLLBACK TO SAVEPOINT quota"));
	} else if (PQntuples(r) != 1) {
		error = xstrdup(revert ? "no earlier quota to revert to" : "tenant has no quota row");
	} else {
		s->tenants[ti].limit = atoi(PQgetvalue(r, 0, 0));
		s->tenants[ti].budget = atof(PQgetvalue(r, 0, 1));
		s->st.rows++;
	}
	PQclear(r);
	if (PQstatus(c) != CONNECTION_OK)
		*rc = dc_err_set(err, "quota update: %s", PQerrorMessage(c));
	return error;
}

/* job_cancel, job_hold, job_release: the job is params.job_id, else the target. */
static char *apply_job(struct sim *s, const struct action *a)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(a->params, "job_id");
	char *end;
	long long jid = cJSON_IsNumber(id) ? (long long)id->valuedouble : strtoll(a->target, &end, 10);
	struct sim_job *j = jid > 0 ? sim_job_find(s, jid) : NULL;
	if (!j)
		return xasprintf("job %lld is not pending or running (it ended, or never existed)", jid);
	if (strcmp(a->kind, "job_cancel") == 0)
		return sim_job_cancel(s, j);
	return sim_job_hold(s, j, strcmp(a->kind, "job_hold") == 0);
}

static char *apply_one(struct sim *s, PGconn *c, const struct action *a, struct dc_err *err, int *rc)
{
	if (strncmp(a->kind, "job_", 4) == 0)
		return apply_job(s, a);
	if (strcmp(a->kind, "drain") == 0)
		return apply_drain(s, a);
	if (strcmp(a->kind, "resume") == 0)
		return apply_resume(s, a);
	if (strcmp(a->kind, "quota_set") == 0)
		return apply_quota(s, c, a, false, err, rc);
	if (strcmp(a->kind, "quota_revert") == 0)
		return apply_quota(s, c, a, true, err, rc);
	return xasprintf("the sim adapter cannot apply '%s'", a->kind);
}

int sim_actions_apply(struct sim *s, PGconn *c, struct dc_err *err)
{
	/* Time-boxed quotas past their expiry get a quota_revert queued (and
	 * audited) by the database; the read below then applies it this tick. */
	PGresult *q = PQexec(c, "SELECT count(*) FROM dcops.quota_revert_due()");
	if (PQresultStatus(q) != PGRES_TUPLES_OK) {
		dc_err_set(err, "queueing expired quota reverts: %s", PQerrorMessage(c));
		PQclear(q);
		return -1;
	}
	PQclear(q);
	char lim[16];
	snprintf(lim, sizeof lim, "%d", SIM_ACTIONS_PER_TICK);
	const char *p[] = { lim };
	PGresult *r = PQexecParams(c, "SELECT id, kind, target, params::text, reason, requested_by "
	                           "FROM dcops.actions WHERE status = 'pending' ORDER BY id "
	                           "LIMIT $1 FOR UPDATE SKIP LOCKED", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		dc_err_set(err, "reading actions: %s", PQerrorMessage(c));
		PQclear(r);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		cJSON *params = cJSON_Parse(PQgetvalue(r, i, 3));
		struct action a = { .id = atoll(PQgetvalue(r, i, 0)), .kind = PQgetvalue(r, i, 1),
		                    .target = PQgetvalue(r, i, 2), .reason = PQgetvalue(r, i, 4),
		                    .by = PQgetvalue(r, i, 5), .params = params };
		char *error = cJSON_IsObject(params) ? apply_one(s, c, &a, err, &rc)
		                                     : xstrdup("params is not a JSON object");
		result(s, a.id, error);
		cJSON_Delete(params);
	}
	PQclear(r);
	return rc;
}
