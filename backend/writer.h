/* writer.h — the console's write path: operator actions sent on a second,
 * asynchronous libpq connection on the loop (the store's link only reads).
 *
 * One call in flight. writer_send builds the call (actions.h: SQL text,
 * params and a fresh idempotency key), connects on demand (the session
 * gets actions_session_sql: lock_timeout and statement_timeout; with
 * opts.readonly also default_transaction_read_only, so a misbehaving
 * console is refused by the server too), sends it, and reports the
 * outcome once through the callback. A server that is a hot standby is
 * refused at setup (actions_session_check): the call is never sent there.
 * A call that could not connect is given up after WRITER_RETRIES tries;
 * one that was sent and lost its connection before the answer (outcome
 * unknown: the primary may have died in the COMMIT) is resent, SAME key,
 * on new connections every 300 ms until an answer or opts.deadline_ms:
 * the server replays the first outcome, so nothing applies twice, and a
 * failover (a multi-host conninfo with target_session_attrs=read-write)
 * is followed. A call with no answer within opts.deadline_ms drops the
 * connection (PQcancel would block) and counts as lost.
 *
 *   CLOSED -> CONNECTING -> SETUP -> READY -> SENT -> READY ...
 *   any error -> CLOSED (reconnect on the next call or retry)
 *
 * The console's tui/ never sees libpq: requests and results here are
 * plain structs, mapped onto actions.h by writer.c.
 *
 * Ownership: writer_new borrows the loop for the writer's life and copies
 * opts. A request's strings and arrays are borrowed during writer_send
 * only. The result passed to the callback (and its arrays) lives for the
 * duration of the call. writer_free drops a call in flight without
 * calling back. */
#ifndef DCOPS_WRITER_H
#define DCOPS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "util.h"

#define WRITER_RETRIES 2
#define WRITER_KEY_LEN 32
#define WRITER_NO_VERSION (-1)  /* skip the version check for this one */
#define WRITER_UNCHANGED (-1)   /* quota field left as it is */

enum writer_verb {
	WRITER_DRAIN, WRITER_RESUME, WRITER_QUOTA,
	WRITER_INC_OPEN, WRITER_INC_ACK, WRITER_INC_ASSIGN, WRITER_INC_SEV,
	WRITER_INC_NOTE, WRITER_INC_LINK, WRITER_INC_RESOLVE,
	WRITER_JOB_CANCEL, WRITER_JOB_HOLD, WRITER_JOB_RELEASE,
	WRITER_SHIFT_START, WRITER_SHIFT_END, WRITER_NOTE_SET, WRITER_SIGN_OFF,
	WRITER_DRILL_START, WRITER_DRILL_STOP,
};

/* One request; each verb reads the fields its SQL function takes:
 *   drain     nodes, expected (admin_version per node), reason, incident_id, resume_after,
 *             override
 *   resume    nodes, expected, reason
 *   quota     tenant, gpu_limit, gpu_hours, storage_tb, reason, expires_at,
 *             version (limits_version)
 *   inc_open  sev, text (title), impact, nodes, tenants
 *   inc_ack   id, version (op_version)
 *   inc_assign id, owner, version
 *   inc_sev   id, sev, text (reason), version
 *   inc_note  id, text
 *   inc_link  id, nodes, tenants
 *   inc_resolve id, text (summary), version
 *   job_cancel, job_hold, job_release  id (the job), reason
 *   shift_start, shift_end  (nothing: the caller's own shift)
 *   note_set  id (shift; 0: the caller's open shift or the rota's), text (body)
 *   sign_off  id (shift; 0: the latest)
 *   drill_start text (scenario name), spec (normalised scenario JSON), seed, speed
 *   drill_stop id (the running drill) */
struct writer_req {
	enum writer_verb verb;
	const char *const *nodes;
	size_t n_nodes;
	const int64_t *expected;
	const char *const *tenants;
	size_t n_tenants;
	const char *tenant, *reason, *text, *impact, *owner;
	int64_t id, incident_id, resume_after, expires_at, version;
	int sev;
	bool override;          /* drain: admins pass the partition guard rail */
	int64_t gpu_limit;
	double gpu_hours, storage_tb;
	const char *spec;       /* drill_start */
	int64_t seed;
	double speed;
};

enum writer_refusal {
	WRITER_OK,
	WRITER_E_FAILED, WRITER_E_LOST, WRITER_E_FORBIDDEN, WRITER_E_CONFLICT, WRITER_E_UNKNOWN,
	WRITER_E_STATE, WRITER_E_INVALID, WRITER_E_KEY_REUSED, WRITER_E_BUSY, WRITER_E_TIMEOUT,
	WRITER_E_READONLY,
};

struct writer_result {
	enum writer_verb verb;
	enum writer_refusal refusal;  /* WRITER_OK on success */
	char key[WRITER_KEY_LEN + 1]; /* the call's idempotency key */
	const int64_t *action_ids;    /* dcops.actions rows written */
	size_t n_action_ids;
	int64_t incident_id, audit_id;
	int64_t shift_id, drill_id;   /* shift and drill verbs: the row they wrote */
	bool replayed;
	int attempts;                 /* sends made (> 1 after a lost connection) */
	char sqlstate[6];
	char guard[48];               /* the guard setting that refused, or "" */
	char msg[512];                /* the server's one-line message */
};

typedef void (*writer_done_fn)(void *ud, const struct writer_result *r);

struct writer_opts {
	const char *conninfo;         /* the primary's (db_resolve_write); copied */
	bool readonly;
	int deadline_ms;              /* default 12000 (statement_timeout is 10 s) */
};

enum writer_state { WRITER_CLOSED, WRITER_CONNECTING, WRITER_SETUP, WRITER_READY, WRITER_SENT };

struct writer;
struct writer *writer_new(struct loop *l, const struct writer_opts *o);
void writer_free(struct writer *w);
/* Sends r; -1 with err when a call is already in flight or no key can be
 * made. done runs exactly once otherwise, from the loop (never inside
 * writer_send). */
int writer_send(struct writer *w, const struct writer_req *r, writer_done_fn done, void *ud,
                struct dc_err *err);
bool writer_busy(const struct writer *w);
enum writer_state writer_state(const struct writer *w);
/* The idempotency key of the call in flight ("" when none). */
const char *writer_key(const struct writer *w);

/* actions_duration_parse for the console: "30m", "4h", "1d12h". */
int writer_duration_parse(const char *s, int64_t *secs, struct dc_err *err);
/* A short name of a refusal for messages ("refused (role)", "conflict"). */
const char *writer_refusal_name(enum writer_refusal r);

#endif
