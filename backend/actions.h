/* actions.h — operator actions: calls to the SQL functions of
 * backend/sql/005_actions.sql (dcops.drain, dcops.resume, dcops.quota_set,
 * dcops.incident_*) and 040_job_actions.sql (dcops.job_cancel, _hold,
 * _release), their results and refusals, and the audit/outbox
 * queries. Shared by the script commands (cli-actions.c, synchronous) and
 * the console (which sends the same text and parameters asynchronously).
 *
 * A call is built once and may be sent any number of times: it carries a
 * client-made idempotency key, so a resend after a lost connection returns
 * the first outcome (result.replayed) instead of acting twice.
 *
 *   struct actions_call c;
 *   actions_call_init(&c, &err);           random key from /dev/urandom
 *   actions_call_drain(&c, &req);          fills c.q (SQL text + params)
 *   -- console: PQsendQueryParams(conn, c.q.sql, c.q.nparams, NULL,
 *   --          (const char *const *)c.q.params, NULL, NULL, 0), then on
 *   --          its result actions_result_decode() or actions_error_from()
 *   -- scripts: actions_run(&conn, opts, &c, &res, &e)
 *   actions_result_free(&res); actions_call_free(&c);
 *
 * Ownership: request structs borrow their strings for the duration of the
 * builder call only; struct actions_query owns its params (freed by
 * actions_query_free / actions_call_free); q.sql is static text. struct
 * actions_result owns action_ids (actions_result_free). struct
 * actions_error is caller storage. actions_duration_parse and the key
 * helpers are pure apart from reading /dev/urandom. */
#ifndef DCOPS_ACTIONS_H
#define DCOPS_ACTIONS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "util.h"

#define ACTIONS_KEY_LEN 32     /* hex characters in a client-made key */
#define ACTIONS_MAX_PARAMS 8
#define ACTIONS_NO_VERSION (-1) /* "I did not look": skip the version check */
#define ACTIONS_UNCHANGED (-1)  /* quota field left as it is */

/* Run on each connection that makes actions (the console's write
 * connection too): bounded waits, so nothing hangs on a held lock; its
 * third column says whether the server is a hot standby. */
extern const char actions_session_sql[];
/* How long a call whose outcome is unknown (sent, then the connection
 * died) is sent again with its key: long enough for a failover. */
#define ACTIONS_RESEND_MS 30000

enum actions_verb {
	ACTIONS_DRAIN,
	ACTIONS_RESUME,
	ACTIONS_QUOTA_SET,
	ACTIONS_INCIDENT_OPEN,
	ACTIONS_INCIDENT_ACK,
	ACTIONS_INCIDENT_ASSIGN,
	ACTIONS_INCIDENT_SEV,
	ACTIONS_INCIDENT_NOTE,
	ACTIONS_INCIDENT_LINK,
	ACTIONS_INCIDENT_RESOLVE,
	ACTIONS_JOB_CANCEL,
	ACTIONS_JOB_HOLD,
	ACTIONS_JOB_RELEASE,
};

struct actions_query {
	const char *sql;                  /* static text, $n placeholders */
	int nparams;
	char *params[ACTIONS_MAX_PARAMS]; /* owned text; NULL is SQL NULL */
};

struct actions_call {
	enum actions_verb verb;
	char key[ACTIONS_KEY_LEN + 1];
	struct actions_query q;
};

/* drain and resume (resume ignores incident_id, resume_after, override). */
struct actions_nodes_req {
	const char *const *nodes;
	size_t n_nodes;
	const int64_t *expected; /* NULL, or n_nodes admin_versions (ACTIONS_NO_VERSION skips one) */
	const char *reason;
	int64_t incident_id;     /* 0: none */
	int64_t resume_after;    /* unix seconds; 0: none */
	bool override;           /* admins only: pass the partition guard rail */
};

struct actions_quota_req {
	const char *tenant;
	int64_t gpu_limit;       /* ACTIONS_UNCHANGED keeps the current value */
	double gpu_hours;        /* budget; ACTIONS_UNCHANGED keeps it */
	double storage_tb;       /* ACTIONS_UNCHANGED keeps it */
	const char *reason;
	int64_t expires_at;      /* unix seconds; 0: permanent */
	int64_t expected;        /* quota.limits_version seen, or ACTIONS_NO_VERSION */
};

/* Each incident verb uses the fields its SQL function takes. */
struct actions_incident_req {
	int64_t id;              /* all but open */
	int sev;                 /* open, sev */
	const char *text;        /* open: title; sev: reason; note: body; resolve: summary */
	const char *impact;      /* open */
	const char *owner;       /* assign */
	const char *const *nodes;   /* open, link */
	size_t n_nodes;
	const char *const *tenants; /* open, link */
	size_t n_tenants;
	int64_t expected;        /* incident.op_version seen (ack, assign, sev, resolve) */
};

/* job cancel, hold and release (040_job_actions.sql). */
struct actions_job_req {
	int64_t job;
	const char *reason;
};

struct actions_result {
	int64_t *action_ids;     /* dcops.actions rows written (drain/resume/quota) */
	size_t n_action_ids;
	int64_t incident_id;     /* 0 when none */
	int64_t audit_id;
	bool replayed;           /* an earlier send of the same call did the work */
};

/* Why a call did not succeed, from its SQLSTATE (see 005_actions.sql). */
enum actions_refusal {
	ACTIONS_E_FAILED,        /* anything else: a bug or a broken server */
	ACTIONS_E_LOST,          /* the connection went away (retry with the same call) */
	ACTIONS_E_FORBIDDEN,     /* 42501: role, or a guard rail that needs dcops_admin */
	ACTIONS_E_CONFLICT,      /* 40001: changed since seen; message names who and when */
	ACTIONS_E_UNKNOWN,       /* 42704: unknown node, tenant, incident, operator */
	ACTIONS_E_STATE,         /* 55000: already draining, not drained, resolved ... */
	ACTIONS_E_INVALID,       /* 22023 and 22xxx: bad argument, reason too short */
	ACTIONS_E_KEY_REUSED,    /* 23505: idempotency key used for another call */
	ACTIONS_E_BUSY,          /* 55P03: lock_timeout; try again */
	ACTIONS_E_TIMEOUT,       /* 57014: statement_timeout */
	ACTIONS_E_READONLY,      /* 25006: read-only session */
};

struct actions_error {
	enum actions_refusal kind;
	char sqlstate[6];        /* "" when the server gave none */
	char guard[48];          /* the guard setting that refused (DETAIL), or "" */
	char msg[512];           /* one line, made inert by text_escape (text.h) */
};

/* Fills c->key with a fresh random key and clears the query. -1 when
 * /dev/urandom cannot be read. */
int actions_call_init(struct actions_call *c, struct dc_err *err);
void actions_call_drain(struct actions_call *c, const struct actions_nodes_req *r);
void actions_call_resume(struct actions_call *c, const struct actions_nodes_req *r);
void actions_call_quota(struct actions_call *c, const struct actions_quota_req *r);
/* verb is one of ACTIONS_INCIDENT_*. */
void actions_call_incident(struct actions_call *c, enum actions_verb verb,
                           const struct actions_incident_req *r);
/* verb is one of ACTIONS_JOB_*. */
void actions_call_job(struct actions_call *c, enum actions_verb verb, const struct actions_job_req *r);
void actions_call_free(struct actions_call *c);

/* Decodes the one-row result of a call. -1 with err when it is not one. */
int actions_result_decode(const PGresult *r, struct actions_result *out, struct dc_err *err);
void actions_result_free(struct actions_result *res);
/* Classifies a failed result r (NULL: use the connection's error). */
void actions_error_from(struct actions_error *e, const PGconn *c, const PGresult *r);

/* r, actions_session_sql's result on c: 0 when the session may write;
 * -1 with e when it failed, or (ACTIONS_E_READONLY, one line naming the
 * server and what to set) when c is a hot standby, so a write is never
 * attempted there. */
int actions_session_check(const PGconn *c, const PGresult *r, struct actions_error *e);
/* A write session: db_connect_write(o) (the primary: o->write_db, or a
 * multi-host --db made read-write), actions_session_sql, the standby
 * check. NULL with e (ACTIONS_E_LOST when no server answered). */
PGconn *actions_connect(const struct dc_opts *o, const char *application_name, struct actions_error *e);

/* Synchronous: connects through actions_connect when *conn is NULL (and
 * keeps the connection in *conn for the caller to PQfinish), sends the
 * call; when the connection is lost after sending, reconnects and resends
 * the same call (same key: never applied twice) until a server answers or
 * ACTIONS_RESEND_MS has passed. A first connect that fails sends nothing
 * and returns at once. 0, or -1 with e. */
int actions_run(PGconn **conn, const struct dc_opts *o, const struct actions_call *c,
                struct actions_result *res, struct actions_error *e);

/* Recent dcops.actions rows, newest first: id, requested_at (UTC text),
 * requested_by, kind, target, status, reason, error. */
void actions_query_list(struct actions_query *q, bool pending_only, int limit);
struct actions_audit_filter {
	const char *actor;       /* NULL: anyone */
	const char *node;        /* drain/resume of it, diagnostics run on it, or incidents linked to it */
	const char *tenant;      /* its quota changes, or incidents linked to it */
	int64_t since_s;         /* 0: all time; else the last since_s seconds */
	int limit;
};
/* dcops.audit rows, newest first: id, ts (UTC text), actor, client_addr,
 * action, target, reason, before, after (JSON text, "" when NULL). */
void actions_query_audit(struct actions_query *q, const struct actions_audit_filter *f);
void actions_query_free(struct actions_query *q);

/* "30m", "2h", "1d", "1h30m", "1w2d": units w d h m s, each at most once,
 * largest first, no signs, spaces or fractions; total 1 s to 400 days.
 * -1 with err naming the problem. */
int actions_duration_parse(const char *s, int64_t *secs, struct dc_err *err);

#endif
