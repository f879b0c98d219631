/* slurm-act.h — the Slurm adapter's acting side: applies the operators'
 * intents (dcops.actions, the outbox of backend/sql/005_actions.sql) to
 * Slurm in id order, exactly once. The adapter loop calls slurm_act_outbox
 * once per cycle.
 *
 *   drain          scontrol update NodeName=<node> State=DRAIN
 *                           "Reason=dcops <operator>: <reason>"
 *   resume         scontrol update NodeName=<node> State=RESUME
 *   quota_set,     sacctmgr -i modify account where name=<account>
 *   quota_revert     [cluster=<cluster>] set GrpTRES=gres/gpu=<gpu_limit>
 *                    GrpTRESMins=gres/gpu=<gpu_hours_budget x 60>
 *   job_cancel     scancel -v <job id>  (-v: else an unknown job is silent, exit 0)
 *   job_hold       scontrol hold <job id>
 *   job_release    scontrol release <job id>
 * Each is one argument vector (slurm-run.h), never a shell string; the
 * reason is one argument. Node and account names are checked first
 * (ssh_validate_host; an account is Slurm's own name for the tenant; a job
 * id is a decimal from 1 to 2^32-2: dcops.job.id is Slurm's job id).
 *
 * Exactly once: each action is one database transaction that locks its
 * row, reads Slurm's state (sinfo for the node's state and reason, sacctmgr
 * show assoc for the limits, squeue for the job's state, reason and
 * priority), sends the command only when Slurm does not
 * already show the intent, and records the outcome (actions.status and
 * error, the node's or quota's row, one audit row through
 * dcops.adapter_audit) before it commits. An adapter killed after sending
 * and before committing leaves the row pending; the next run finds Slurm
 * already matching and records applied without sending again.
 *
 * Outcomes: applied; failed with Slurm's own message (stderr, else stdout,
 * stored as data: valid UTF-8, no NUL, at most SLURM_ACT_MSG_MAX bytes;
 * whoever displays it sanitises). When Slurm cannot be read or a command
 * cannot run (timeout, controller down, link down) the action stays
 * pending and slurm_act_outbox returns -1: the next cycle tries again.
 *
 * Ownership: the runner and the connection are the caller's and are
 * borrowed for the call; the connection must be idle (no transaction
 * open). Everything returned by the helpers below is the caller's to free
 * with the matching *_free or free(). */
#ifndef DCOPS_SLURM_ACT_H
#define DCOPS_SLURM_ACT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slurm-run.h"
#include "util.h"

#define SLURM_ACT_REASON_MAX 400  /* bytes of the reason Slurm is given */
#define SLURM_ACT_MSG_MAX 2000    /* bytes of Slurm's message kept */
#define SLURM_ACT_ARGV_MAX 12

struct slurm_act_opts {
	const char *cluster;    /* NULL: sacctmgr changes the account on every cluster */
	int max_actions;        /* per call; 0: 100 */
	/* NULL, or called with one line per recorded action, made inert:
	 * "action 12 drain gwj-h100-001: applied" */
	void (*log)(void *arg, const char *line);
	void *log_arg;
};

struct slurm_act_stats {
	int applied, failed;    /* actions recorded by this call */
	int already;            /* of applied: Slurm already showed the intent, nothing sent */
	int sent;               /* commands that change Slurm */
	int reverts_queued;     /* quota_revert rows dcops.quota_revert_due() queued */
	double slurm_ms;        /* wall time in Slurm's commands */
};

/* Queues the reverts of expired time-boxed quotas (dcops.quota_revert_due),
 * then applies up to max_actions pending actions. 0 when every action it
 * took was recorded; -1 with err when the database or Slurm could not be
 * reached (the action at hand stays pending). st may be NULL; counts add. */
int slurm_act_outbox(struct slurm_runner *r, PGconn *c, const struct slurm_act_opts *o,
		struct slurm_act_stats *st, struct dc_err *err);

/* ---- the pure parts, exposed for tests ---- */

/* One actions row as read. */
struct slurm_act_item {
	long long id;
	const char *kind, *target, *params, *reason, *by;  /* params: JSON text */
	const char *tenant_en;  /* quota kinds: the tenant's name_en, "" when none */
	const char *account;    /* quota kinds: tenant.slurm_account (the reading
	                         * side's link), "" when none or no such column */
};

enum slurm_act_kind {
	SLURM_ACT_DRAIN, SLURM_ACT_RESUME, SLURM_ACT_QUOTA,
	SLURM_ACT_JOB_CANCEL, SLURM_ACT_JOB_HOLD, SLURM_ACT_JOB_RELEASE,
};
bool slurm_act_is_job(enum slurm_act_kind k);

/* What an action asks of Slurm, checked. */
struct slurm_act_plan {
	enum slurm_act_kind kind;
	char *node;             /* drain, resume */
	char *reason;           /* drain: what Slurm will store (slurm_act_reason) */
	int64_t gpus;           /* quota: GrpTRES gres/gpu */
	int64_t gpu_mins;       /* quota: GrpTRESMins gres/gpu */
	int64_t job_id;         /* job kinds: Slurm's job id */
};
/* A limit is SLURM_ACT_KEEP when the action does not change it (absent,
 * or equal to params.previous: a quota set changes the GPUs and carries
 * the budget along, which Slurm must not get back as a new limit), -1 to
 * clear it (a GPU-hour budget of 0: the reading side reads Slurm's "no
 * limit" as 0), else the value. */
#define SLURM_ACT_KEEP INT64_MIN
/* 0, or -1 with why naming the bad field (unknown kind, bad node name,
 * params not an object, a negative or non-numeric limit). */
int slurm_act_plan(const struct slurm_act_item *a, struct slurm_act_plan *p, struct dc_err *why);
void slurm_act_plan_free(struct slurm_act_plan *p);

/* "dcops <operator>: <reason>" as Slurm can keep it: control characters
 * (C0, DEL, C1) and runs of white space become one space, ends trimmed,
 * '"' becomes '\'' (scontrol strips a leading and a trailing one), bytes
 * that are not UTF-8 become '?', cut at a character boundary to
 * SLURM_ACT_REASON_MAX bytes ending in "...". */
char *slurm_act_reason(const char *operator_name, const char *reason);

/* A command's argument vector: argv points at literals and at own[]. */
struct slurm_act_cmd {
	const char *argv[SLURM_ACT_ARGV_MAX + 1];
	char *own[SLURM_ACT_ARGV_MAX];
	int n_own;
};
/* The command that applies p; account (quota) must have passed
 * slurm_act_account_ok, cluster may be NULL. */
void slurm_act_argv(const struct slurm_act_plan *p, const char *account, const char *cluster,
		struct slurm_act_cmd *cmd);
void slurm_act_cmd_free(struct slurm_act_cmd *cmd);
/* The read that shows whether Slurm already has the intent:
 *   sinfo -h -N -n <node> -O NodeList:0|,StateComplete:0|,Reason:0
 *   squeue -h -t all --jobs=<id> -o %A|%T|%r|%Q
 *   sacctmgr -n -P show assoc where account=<account> [cluster=<c>] format=...
 *   sacctmgr -n -P show account format=...  (account: NULL, to find it) */
void slurm_act_check_argv(const struct slurm_act_plan *p, const char *account, const char *cluster,
		struct slurm_act_cmd *cmd);

/* A Slurm account or cluster name that may stand in sacctmgr's where
 * clause: 1 to 64 bytes, no white space, control, ',', '=', quote or '\\'. */
int slurm_act_account_ok(const char *name, struct dc_err *err);

/* The node as sinfo shows it (slurm_act_check_argv's output). */
struct slurm_act_node {
	bool found;
	bool drain, busy;       /* DRAIN flag; jobs on it (ALLOCATED, MIXED, COMPLETING) */
	char state[80];         /* "mixed+drain", as Slurm printed it (cut) */
	char *reason;           /* "" when none */
};
int slurm_act_node_parse(const char *out, size_t len, const char *node, struct slurm_act_node *n,
		struct dc_err *err);
void slurm_act_node_free(struct slurm_act_node *n);
/* Does Slurm already show the drain or resume p asks for? A drain needs
 * the DRAIN flag and p's reason; a resume needs no DRAIN flag. */
bool slurm_act_node_matches(const struct slurm_act_plan *p, const struct slurm_act_node *n);

/* The job as squeue shows it (slurm_act_check_argv's output for a job
 * kind: "id|STATE|reason|priority" lines). */
struct slurm_act_job {
	bool found;
	char state[32];         /* PENDING, RUNNING, CANCELLED, ... (cut) */
	char reason[64];        /* JobHeldAdmin, Priority, None, ... (cut) */
	int64_t priority;       /* 0 while held */
};
int slurm_act_job_parse(const char *out, size_t len, int64_t job_id, struct slurm_act_job *j,
		struct dc_err *err);
/* Held as Slurm shows it: pending with reason JobHeldAdmin or JobHeldUser,
 * or priority 0. */
bool slurm_act_job_held(const struct slurm_act_job *j);
/* Does Slurm already show the job action p asks for? cancel: the job has
 * ended (COMPLETING included); hold: held; release: known and not held. */
bool slurm_act_job_matches(const struct slurm_act_plan *p, const struct slurm_act_job *j);

/* Does the account's own association already have p's limits? (-1: none
 * set, as slurm-snap.h reads it) */
bool slurm_act_limits_match(const struct slurm_act_plan *p, int64_t grp_gpus, int64_t grp_gpu_mins);

/* Slurm's account for a tenant without a tenant.slurm_account (one dcops
 * seeded itself), from a `show account` listing (parsed into an assoc
 * set): an account named like the tenant, else the one whose
 * description is the tenant's name (sacctmgr lowercases descriptions, so
 * ASCII case is ignored), else one named like name_en. NULL with err when
 * none or more than one fits. Points into the set. */
struct slurm_assoc_set;
const char *slurm_act_account(const struct slurm_assoc_set *s, const char *tenant,
		const char *tenant_en, struct dc_err *err);

/* Slurm's message from a finished command: stderr, else stdout, trimmed,
 * else "exit status N"; NULs dropped, invalid UTF-8 as '?', capped at
 * SLURM_ACT_MSG_MAX bytes. Caller frees. */
char *slurm_act_message(const struct slurm_out *o);

#endif
