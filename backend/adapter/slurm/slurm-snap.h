/* slurm-snap.h — the Slurm adapter's picture of one cluster: plain structs
 * filled by the parsers (slurm-parse.h) from one poll of each Slurm command,
 * read by the mapping, the pending-job explanations and (later) the adapter's
 * diff against the database. No libpq, no I/O.
 *
 * One set per source, because each source is polled on its own interval:
 *   nodes        sinfo --json (22.05) / scontrol show node --json (23.02+)
 *   partitions   scontrol -o show partition (22.05) / ... --json (23.02+)
 *   jobs         squeue --json (live queue) and sacct --json (ended jobs)
 *   assocs       sacctmgr -P -n show assoc|account (22.05) / --json (23.02+)
 * struct slurm_snap groups the latest set of each for the explanations.
 *
 * Ownership: a set owns every string and array reachable from it; they live
 * in the set's arena and are released together by the set's *_free
 * function, which also resets the set to empty (so a freed set is reusable
 * and freeing twice is harmless). Pointers into a set stay valid until that
 * set is freed. A parser fills a set the caller passes in only on success;
 * on failure the caller's set is untouched (the parser builds a fresh one
 * and frees it). struct slurm_snap does not own its sets: it holds pointers
 * to sets the adapter owns (any may be NULL).
 *
 * Strings are UTF-8 exactly as Slurm printed them (Korean account
 * descriptions, node reasons typed by admins): untrusted data, never
 * sanitised here; whoever displays them sanitises, and nothing formats
 * with them as a format string. Absent strings are "" (never NULL).
 * Times are Unix seconds, 0 when Slurm has none. Counts that Slurm may
 * leave unset are -1 when unset ("infinite" limits are SLURM_INFINITE). */
#ifndef DCOPS_SLURM_SNAP_H
#define DCOPS_SLURM_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define SLURM_INFINITE INT64_MAX

/* Bump allocator for one set's strings and arrays. */
struct slurm_arena {
	struct slurm_chunk *head;
};
void *slurm_arena_alloc(struct slurm_arena *a, size_t n); /* zeroed */
char *slurm_arena_strdup(struct slurm_arena *a, const char *s);
char *slurm_arena_strndup(struct slurm_arena *a, const char *s, size_t n);
void slurm_arena_free(struct slurm_arena *a);

/* The Slurm release that printed a document (from its "meta"), and the
 * JSON shape the parsers used for it. */
enum slurm_shape {
	SLURM_SHAPE_NONE,   /* text output (sacctmgr -P, scontrol -o): no meta */
	SLURM_SHAPE_2205,   /* openapi v0.0.38: plain ints, "state" + "state_flags" */
	SLURM_SHAPE_2302,   /* data_parser v0.0.39: lists of flags, {set,infinite,number} */
	SLURM_SHAPE_2311,   /* data_parser v0.0.40+: job states and exit codes as flag lists */
};
struct slurm_version {
	int major, minor, micro;   /* 0 when not known */
	char release[32];          /* "22.05.8" */
	char data_parser[40];      /* "data_parser/v0.0.40", or the openapi plugin */
	enum slurm_shape shape;
	bool newer_than_tested;    /* later than 24.05: parsed with the 24.05 shape */
};

/* Slurm's node base states and flags, as its JSON spells them. */
enum slurm_node_base {
	SLURM_NODE_UNKNOWN, SLURM_NODE_DOWN, SLURM_NODE_IDLE, SLURM_NODE_ALLOCATED,
	SLURM_NODE_ERROR, SLURM_NODE_MIXED, SLURM_NODE_FUTURE,
};
enum slurm_node_flag {
	SLURM_NF_DRAIN = 1u << 0,
	SLURM_NF_COMPLETING = 1u << 1,
	SLURM_NF_NOT_RESPONDING = 1u << 2,
	SLURM_NF_FAIL = 1u << 3,
	SLURM_NF_MAINTENANCE = 1u << 4,
	SLURM_NF_RESERVED = 1u << 5,
	SLURM_NF_REBOOT_REQUESTED = 1u << 6,
	SLURM_NF_REBOOT_ISSUED = 1u << 7,
	SLURM_NF_INVALID_REG = 1u << 8,
	SLURM_NF_POWERED_DOWN = 1u << 9,
	SLURM_NF_POWERING_DOWN = 1u << 10,
	SLURM_NF_POWER_DOWN = 1u << 11,
	SLURM_NF_POWERING_UP = 1u << 12,
	SLURM_NF_POWER_UP = 1u << 13,
	SLURM_NF_CLOUD = 1u << 14,
	SLURM_NF_PLANNED = 1u << 15,
	SLURM_NF_DYNAMIC = 1u << 16,   /* DYNAMIC_FUTURE or DYNAMIC_NORM */
	SLURM_NF_OTHER = 1u << 17,     /* a flag this table does not know */
};

/* What dcops makes of a node's Slurm state (slurm-map.h): the schema's three
 * columns, plus the finer word the console shows ("maint", "reserved",
 * "fail", "not_responding", ...). */
struct slurm_dcops_node_state {
	enum dc_sched sched;
	enum dc_admin admin;
	enum dc_health health;
	const char *label;   /* static string */
};

struct slurm_node {
	char *name;
	char **partitions;
	size_t n_partitions;
	enum slurm_node_base base;
	unsigned flags;            /* enum slurm_node_flag bits */
	char *state_text;          /* "IDLE+DRAIN", as Slurm's words, for display */
	struct slurm_dcops_node_state dcops;
	char *reason;              /* "" when none */
	char *reason_set_by_user;  /* user name, "" when none */
	int64_t reason_time;
	int gpus;                  /* from gres ("gpu:h100:8(S:0-1)"); 0 when none */
	char *gpu_type;            /* "h100", "" when untyped */
	int gpus_used;             /* from gres_used */
	int cpus, cpus_alloc;      /* cpus_alloc -1 when not reported */
	int64_t real_memory_mb;
	int64_t boot_time;
	char *comment;
	char *reservation;
};

enum slurm_part_state { SLURM_PART_UP, SLURM_PART_DOWN, SLURM_PART_DRAIN, SLURM_PART_INACTIVE,
	SLURM_PART_UNKNOWN };

struct slurm_partition {
	char *name;
	char *nodes;               /* hostlist as Slurm printed it */
	char **node_list;          /* expanded */
	size_t n_node_list;
	enum slurm_part_state state;
	char *state_text;
	int total_gpus;            /* gres/gpu in the partition's TRES; -1 unknown */
	int total_nodes, total_cpus;
};

struct slurm_job {
	uint32_t job_id;
	uint32_t array_job_id;     /* 0 when not an array */
	int64_t array_task_id;     /* -1 when none */
	char *array_task_str;      /* pending array's "3-9%2", "" when none */
	uint32_t het_job_id;       /* 0 when not heterogeneous */
	int64_t het_job_offset;    /* -1 when none */
	char *state_text;          /* Slurm's words, "RUNNING+COMPLETING" */
	enum dc_job_state state;
	char *reason;              /* pending/state reason, "" or "None" when none */
	char *state_description;   /* "ReqNodeNotAvail, UnavailableNodes:gj-h100-003" */
	char *account, *user, *partition, *name, *qos, *dependency;
	int gpus;                  /* total over all nodes, from TRES; 0 when none */
	char *gpu_type;            /* "h100" when the TRES names one */
	int node_count;            /* -1 when not known */
	char *nodes;               /* hostlist as Slurm printed it, "" when none */
	char **node_list;          /* expanded */
	size_t n_node_list;
	int64_t submit_time, eligible_time, start_time, end_time;
	int64_t time_limit_min;    /* -1 unset, SLURM_INFINITE unlimited */
	int64_t priority;          /* -1 unset */
	int exit_code;             /* -1 unknown or pending; 22.05's sacct --json
	                            * prints 0 for any normal exit, so there a
	                            * failed job's code is -1 (squeue has it) */
	int exit_signal;           /* 0 none */
	bool held;                 /* priority 0 while pending, or a Held reason */
};

struct slurm_assoc {
	char *account;
	char *user;                /* "" for the account's own association */
	char *partition;           /* "" for any */
	char *parent_account;
	int64_t grp_gpus;          /* GrpTRES gres/gpu; -1 none */
	int64_t grp_gpu_mins;      /* GrpTRESMins gres/gpu; -1 none */
	int64_t grp_gpu_run_mins;  /* GrpTRESRunMins gres/gpu; -1 none */
};

struct slurm_account {
	char *name, *description, *organization;
};

struct slurm_node_set {
	struct slurm_version version;
	struct slurm_node *items;
	size_t n;
	uint64_t *span;            /* per item, its JSON element's hash (slurm_parse_nodes_since); NULL otherwise */
	struct slurm_arena arena;
};
struct slurm_part_set {
	struct slurm_version version;
	struct slurm_partition *items;
	size_t n;
	struct slurm_arena arena;
};
struct slurm_job_set {
	struct slurm_version version;
	struct slurm_job *items;
	size_t n;
	uint64_t *span;            /* per item, its JSON element's hash (slurm_parse_squeue_since); NULL otherwise */
	struct slurm_arena arena;
};
struct slurm_assoc_set {
	struct slurm_version version;
	struct slurm_assoc *items;
	size_t n;
	struct slurm_account *accounts;
	size_t n_accounts;
	/* GPU-minutes used per account, when the adapter knows them (from
	 * accounting); parallel to accounts, -1 unknown. */
	int64_t *gpu_mins_used;
	struct slurm_arena arena;
};

struct slurm_snap {
	const struct slurm_node_set *nodes;
	const struct slurm_part_set *parts;
	const struct slurm_job_set *jobs;      /* squeue: pending and running */
	const struct slurm_assoc_set *assocs;
};

/* *src with every string and array it points to copied into a (another
 * set's arena): nothing of dst then points into src's set. A field added
 * to struct slurm_node or slurm_job that points anywhere is copied here. */
void slurm_node_copy(struct slurm_arena *a, struct slurm_node *dst, const struct slurm_node *src);
void slurm_job_copy(struct slurm_arena *a, struct slurm_job *dst, const struct slurm_job *src);

void slurm_node_set_free(struct slurm_node_set *s);
void slurm_part_set_free(struct slurm_part_set *s);
void slurm_job_set_free(struct slurm_job_set *s);
void slurm_assoc_set_free(struct slurm_assoc_set *s);

/* Lookups, linear (the explanations run for one job at a time). NULL when
 * absent or the set is NULL. */
const struct slurm_node *slurm_find_node(const struct slurm_node_set *s, const char *name);
const struct slurm_partition *slurm_find_part(const struct slurm_part_set *s, const char *name);
const struct slurm_job *slurm_find_job(const struct slurm_job_set *s, uint32_t job_id);
const struct slurm_account *slurm_find_account(const struct slurm_assoc_set *s, const char *name);
/* The account's own association (user "", partition ""). */
const struct slurm_assoc *slurm_find_account_assoc(const struct slurm_assoc_set *s, const char *account);
/* The user's association under the account ("" partition preferred). */
const struct slurm_assoc *slurm_find_user_assoc(const struct slurm_assoc_set *s, const char *account,
		const char *user);

#endif
