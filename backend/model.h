/* model.h — the console's picture of the data center: plain rows, no libpq,
 * no curses. The store (store.h) is the only writer; views read.
 *
 * Ownership: the model owns every row and every string in it. A row pointer
 * stays valid until the row is updated or deleted by a later store apply, so
 * views keep ids (not pointers) across loop turns, or re-fetch rows after an
 * on_change callback. All times are Unix seconds (UTC); 0 means "not set".
 * Strings are UTF-8 as the database sent them, NOT sanitised: views must
 * draw them through draw.c, which strips control sequences.
 *
 * Derived fields (marked "derived") are kept current by the model as deltas
 * arrive, at a cost proportional to the changed rows, never the fleet size. */
#ifndef DCOPS_MODEL_H
#define DCOPS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tables the console follows, in full-load order (node before gpu, ...). */
enum dc_table {
	DC_T_SITE, DC_T_RACK, DC_T_PARTITION, DC_T_NODE, DC_T_GPU, DC_T_TENANT,
	DC_T_PROJECT, DC_T_QUOTA, DC_T_JOB, DC_T_INCIDENT, DC_T_INCIDENT_EVENT,
	DC_T_ACTION, DC_T_AUDIT, DC_T_SETTING, DC_T_SHIFT, DC_T_HANDOVER_NOTE, DC_T_DRILL_RUN,
	DC_T_COUNT
};
#define DC_MASK(t) (1u << (t))

enum dc_sched { DC_SCHED_IDLE, DC_SCHED_MIXED, DC_SCHED_ALLOCATED, DC_SCHED_DOWN, DC_SCHED_UNKNOWN };
enum dc_admin { DC_ADMIN_ACTIVE, DC_ADMIN_DRAINING, DC_ADMIN_DRAINED };
enum dc_health { DC_HEALTH_OK, DC_HEALTH_WARN, DC_HEALTH_FAIL };
enum dc_job_state { DC_JOB_PENDING, DC_JOB_RUNNING, DC_JOB_COMPLETED, DC_JOB_FAILED,
	DC_JOB_CANCELLED, DC_JOB_TIMEOUT, DC_JOB_NODE_FAIL };
enum dc_inc_state { DC_INC_TRIGGERED, DC_INC_ACKNOWLEDGED, DC_INC_MITIGATED, DC_INC_RESOLVED };
enum dc_action_status { DC_ACT_PENDING, DC_ACT_APPLIED, DC_ACT_FAILED, DC_ACT_CANCELLED };

/* Text <-> enum, for decoders and views ("allocated", "draining", ...).
 * *_parse returns -1 for an unknown word. */
const char *dc_sched_name(enum dc_sched s);
const char *dc_admin_name(enum dc_admin a);
const char *dc_health_name(enum dc_health h);
const char *dc_job_state_name(enum dc_job_state s);
const char *dc_inc_state_name(enum dc_inc_state s);
const char *dc_action_status_name(enum dc_action_status s);
int dc_sched_parse(const char *s);
int dc_admin_parse(const char *s);
int dc_health_parse(const char *s);
int dc_job_state_parse(const char *s);
int dc_inc_state_parse(const char *s);
int dc_action_status_parse(const char *s);

#define DC_MAX_GPUS_PER_NODE 64

struct dc_site { int64_t id, version; char *code, *name, *timezone; };
struct dc_rack { int64_t id, version; char *name; int row_no, position; double power_cap_kw; };
struct dc_partition { int64_t id, version; char *name, *gpu_model;
	/* derived */
	int nodes, gpus_total, gpus_used, nodes_draining, nodes_drained, nodes_down;
	/* unallocated GPUs on nodes the scheduler can place on (dc_node_schedulable)
	 * and on the others: gpus_used + gpus_free + gpus_out = gpus_total */
	int gpus_free, gpus_out;
	int jobs_running, jobs_pending, gpus_pending;
	int64_t oldest_pending_submit; /* submit time of the oldest pending job, 0 if none */
};
struct dc_gpu;
struct dc_node {
	int64_t id, version;
	char *name, *model, *drain_reason, *drained_by, *health_detail;
	int64_t rack_id, partition_id;
	int slot, gpu_count, power_w;
	enum dc_sched sched;
	enum dc_admin admin;
	enum dc_health health;
	int64_t drained_at, resume_after, last_seen;
	/* derived from the node's GPUs */
	struct dc_gpu **gpus;      /* by gpu idx, gpu_slots of them; NULL when unknown */
	int gpu_slots;
	int gpus_used, util_mean, temp_max, last_xid;
	int64_t last_xid_at;
	int gpus_known, util_sum;  /* behind util_mean */
	/* operator state (005_actions.sql): actions carry the version seen */
	int64_t admin_version, admin_changed_at;
	char *admin_changed_by;
};
/* 64 bytes (one cache line), from a pool of slabs (model.c), not one heap
 * block each: 190,000 of them are the model's largest table. No uuid (the
 * console never shows it; at 190,000 GPUs it was a fifth of the model) and
 * no version (the store keeps the read's watermark; a row read again is
 * recognised by its content). Counters saturate at the type's limit.
 * A GPU row replaced on the same node and idx is copied over the held
 * row: its address stays, its bytes change (the bulk of the churn, with
 * no allocation). */
struct dc_gpu {
	int64_t id, node_id, job_id; /* job_id 0 = free */
	int64_t last_xid_at;
	int mem_used_mib, mem_total_mib, power_w;
	int ecc_sbe, ecc_dbe;
	int last_xid; /* 0 = none */
	int16_t idx, util_pct, temp_c;
	bool remap_pending;
	bool metrics_stale; /* telemetry stopped arriving for it (060) */
};
struct dc_tenant {
	int64_t id, version;
	char *name, *name_en, *kind;
	/* derived */
	int gpus_running, jobs_running, jobs_pending;
};
struct dc_project { int64_t id, version, tenant_id; char *name, *programme; int64_t term_start, term_end; };
struct dc_quota {
	int64_t id, version, tenant_id;
	int gpu_limit;
	double gpu_hours_budget, gpu_hours_used, storage_tb, storage_used_tb;
	int64_t term_start, term_end, expires_at;
	int64_t limits_version, limits_changed_at;
	char *limits_changed_by;
	/* 033_tenant_burn.sql: mean GPUs in use over the usage samples of the
	 * last 24 h × 24, and the window's oldest sample (0: no use in it) */
	double burn_gpu_h_day;
	int64_t burn_since;
	/* 045: the limits before a time-boxed change (dcops.quota_before);
	 * -1 when not known */
	int prev_gpu_limit;
	double prev_gpu_hours_budget, prev_storage_tb;
};
struct dc_job {
	int64_t id, version, tenant_id, partition_id;
	char *user_name, *name, *node_list, *reason;
	char *explain;            /* why it pends, in plain words (050_slurm_adapter.sql); "" */
	int gpus, nodes;
	enum dc_job_state state;
	int64_t submit_at, start_at, end_at;
	int64_t time_limit_s;     /* the wall limit asked for, seconds */
	int64_t priority;         /* 040_job_actions.sql: higher starts first; 0 while held */
};
struct dc_incident {
	int64_t id, version, drill_id;
	int sev;
	enum dc_inc_state state;
	char *title, *impact, *summary, *source, *owner;
	/* impact in numbers (032_incident_impact.sql): jobs killed, the
	 * tenants they belonged to, the GPUs they held, the largest of them,
	 * and the GPUs on the nodes taken out of service */
	int jobs_killed, tenants_hit, gpus_killed, largest_job_gpus, gpus_out;
	int64_t opened_at, acknowledged_at, resolved_at, next_update_at;
	int64_t op_version, op_changed_at;
	char *op_changed_by;
	char *nodes, *tenants;    /* linked names (incident_node/_tenant): nodes joined by
	                           * " ", tenants by " · " (never in a tenant's name) */
	char *jobs;               /* the jobs it killed (incident_job, 043): "id:tenant_id:gpus"
	                           * joined by " ", kept after the jobs left dcops.job */
	/* the drain the adapter proposes (061_remedy.sql): nodes nobody has
	 * drained yet, joined by " " ("" when none), the reason naming the
	 * Xid and its meaning, the table's policy; remedy_note: what the
	 * adapter could not do ("auto-drain stopped at the guard rail: ...") */
	char *proposed_drain, *proposed_reason, *proposed_policy, *remedy_note;
};
struct dc_incident_event { int64_t id, version, incident_id, ts; char *actor, *kind, *body; };
struct dc_action {
	int64_t id, version, incident_id;
	char *kind, *target, *params, *reason, *requested_by, *error;
	enum dc_action_status status;
	int64_t requested_at, applied_at;
};
struct dc_audit {
	int64_t id, version, ts, incident_id;
	char *actor, *action, *target, *before, *after, *reason;
};
struct dc_setting { int64_t version; char *key, *value; };
/* Shifts and handover notes (010_handover.sql); ended_at 0 while open. */
/* window_from (045): where the handover window of this shift starts, as
 * the handover report says (dcops.handover_start) */
struct dc_shift { int64_t id, version; char *operator_; int64_t started_at, ended_at, window_from; };
struct dc_handover_note {
	int64_t id, version, shift_id;
	char *author, *body, *signed_off_by;
	int64_t created_at, updated_at, signed_off_at;
};
/* Drills (011_drills.sql): spec and scorecard are jsonb as text ("" when
 * none); the scorecard is the server's, stored when the drill ends. */
struct dc_drill_run {
	int64_t id, version, seed;
	char *scenario, *title, *status, *started_by, *ended_by, *spec, *scorecard;
	double speed;
	int64_t started_at, ended_at;
};

/* Whether a job is held, as Slurm reports it (040_job_actions.sql):
 * pending with reason JobHeldAdmin or JobHeldUser. */
bool dc_job_held(const struct dc_job *j);

/* Whether the scheduler can place a job on the node now: active (not
 * draining or drained), not down or unknown, health not failed. The
 * simulator's placement and the partitions' gpus_free use this test. */
bool dc_node_schedulable(const struct dc_node *n);

/* One table's rows: an unordered array of owned row pointers plus an id
 * index. Iterate with model_count/model_row; order is arbitrary and may
 * change on every apply (views keep their own sorted id lists). */
struct dc_model;

struct dc_model *model_new(void);
void model_free(struct dc_model *m);

size_t model_count(const struct dc_model *m, enum dc_table t);
const void *model_row(const struct dc_model *m, enum dc_table t, size_t i);
const void *model_get(const struct dc_model *m, enum dc_table t, int64_t id);
/* Settings are keyed by text; NULL when absent. */
const char *model_setting(const struct dc_model *m, const char *key);

/* Typed conveniences over model_get. */
static inline const struct dc_node *model_node(const struct dc_model *m, int64_t id)
{ return (const struct dc_node *)model_get(m, DC_T_NODE, id); }
static inline const struct dc_tenant *model_tenant(const struct dc_model *m, int64_t id)
{ return (const struct dc_tenant *)model_get(m, DC_T_TENANT, id); }
static inline const struct dc_partition *model_partition(const struct dc_model *m, int64_t id)
{ return (const struct dc_partition *)model_get(m, DC_T_PARTITION, id); }
static inline const struct dc_rack *model_rack(const struct dc_model *m, int64_t id)
{ return (const struct dc_rack *)model_get(m, DC_T_RACK, id); }
/* GPU idx of a node (0 .. gpu_count-1), or NULL when not (yet) known. */
static inline const struct dc_gpu *model_node_gpu(const struct dc_node *n, int idx)
{ return idx >= 0 && idx < n->gpu_slots ? n->gpus[idx] : NULL; }
/* The quota of a tenant (one per tenant), or NULL. */
const struct dc_quota *model_quota_of(const struct dc_model *m, int64_t tenant_id);

/* The nodes of an incident's proposed drain (061_remedy.sql) that are
 * still active here, up to max ids; returns how many. A node drained by
 * any path leaves the proposal in the database too: this covers the
 * moment between the two deltas. */
size_t model_incident_proposal(const struct dc_model *m, const struct dc_incident *i, int64_t *ids,
                               size_t max);

/* The newest node report (max last_seen), for the header's data age. */
int64_t model_newest_report(const struct dc_model *m);
/* Highest version seen in any table (what the store has caught up to). */
int64_t model_version(const struct dc_model *m);
/* Tables still arriving in a first load (DC_MASK bits; 0 once it is
 * whole). The store fills an empty model table by table, parents first,
 * all from one snapshot, so the screen can show what has come; a view
 * marks what depends on a table not here yet instead of showing zeros. */
unsigned model_loading(const struct dc_model *m);
void model_set_loading(struct dc_model *m, unsigned mask);
/* Whether node n's GPUs are still to come in a first load. The store puts
 * a first load's GPU rows in whole node groups (all of a node's rows at
 * once, as they arrive, before the table is whole), so a node with any
 * GPU known has them all: until the GPU table is whole, a node with none
 * is still loading (one with no GPU rows at all, until the end). False
 * outside a first load. */
static inline bool model_node_gpus_loading(const struct dc_model *m, const struct dc_node *n)
{ return (model_loading(m) & DC_MASK(DC_T_GPU)) && n->gpus_known == 0; }

/* Writers: used by the store's decoders and by unit tests.
 * A row is ONE allocation holding the struct and its strings, made by
 * model_row_pack from a template whose string fields point anywhere (the
 * template is only read; NULL strings stay NULL). One block per row instead
 * of one per string is what keeps 25,000 nodes and 100,000 jobs small.
 * model_put takes ownership of a packed row and replaces any row with the
 * same id (freeing it); model_delete frees. Both keep derived fields
 * current. A row whose version the model already holds for that id (a
 * delta read sees again the rows of transactions that were in flight at
 * the last one) is freed and changes nothing: model_put returns false, and
 * nothing is logged or redrawn. Version 0 (rows not from the change feed,
 * in tests) always replaces. GPU rows keep no version: one equal to the
 * held row, byte for byte, is such a re-read. model_row_free frees a packed row (and
 * derived parts). */
void *model_row_pack(enum dc_table t, const void *tmpl);
bool model_put(struct dc_model *m, enum dc_table t, void *row);
/* model_put of rows[0..n) in turn (their ownership with it); whether any
 * changed. Faster for a batch in id order: it fetches the rows ahead. */
bool model_put_many(struct dc_model *m, enum dc_table t, void **rows, size_t n);
void model_delete(struct dc_model *m, enum dc_table t, int64_t id);
void model_clear(struct dc_model *m);
void model_row_free(enum dc_table t, void *row);
/* Room for n rows of table t, sized once (a full load knows its counts:
 * no doubling slack, no rehash while it fills). */
void model_reserve(struct dc_model *m, enum dc_table t, size_t n);

/* Drops what the console no longer shows, so a long session stays the
 * size of a fresh one (and its memory bounded whatever the job rate):
 * ended jobs before job_cutoff, ended jobs beyond the ended_jobs newest
 * (by end time), and audit rows beyond the audit newest (once there are
 * twice as many). O(rows log rows) at worst; the store calls it about once
 * a minute. Logged like any delete; returns the DC_MASK of the tables it
 * changed. */
struct dc_keep {
	int64_t job_cutoff;
	size_t ended_jobs, audit;
};
unsigned model_prune(struct dc_model *m, const struct dc_keep *keep);

/* ---- rows on a wire (the relay, backend/relay/) ----
 * A row travels as its struct's bytes, with string pointers and derived
 * fields zeroed, then each string field in table order as a big-endian
 * u32 length (0xFFFFFFFF: NULL, distinct from "") and its bytes. The
 * fixed part is this build's layout, so both ends must be the same build:
 * model_layout_fingerprint hashes every table's size, string fields and
 * offsets. model_row_wire_size is the encoding's length, which
 * model_row_wire_encode writes to out. model_row_wire_decode takes one row
 * from in[0..len) and returns it packed (model_row_pack's one allocation,
 * model_put-ready) with *used its length; NULL and a one-line err naming
 * the string and byte offset when a length runs past len, a string holds
 * a NUL, an enum or bool field holds a value it cannot (named with its
 * offset) or t is no table. */
uint64_t model_layout_fingerprint(void);
/* A row's id; 0 for a table keyed by text (settings). */
int64_t model_row_id(enum dc_table t, const void *row);
size_t model_row_wire_size(enum dc_table t, const void *row);
void model_row_wire_encode(enum dc_table t, const void *row, unsigned char *out);
void *model_row_wire_decode(enum dc_table t, const unsigned char *in, size_t len, size_t *used,
                            char *err, size_t errlen);

/* ---- change log ----
 * Every put and delete appends (table, id) to a ring of the last
 * DC_LOG_CAP changes, numbered
 * by a sequence that only grows. A view remembers model_log_seq() when it
 * last caught up; next time it asks for what changed since. When the ring
 * no longer reaches back that far (or a model_clear came between),
 * model_log_since returns false: rebuild from the whole table. Derived
 * fields are not logged: a node whose GPUs changed shows up as those GPU
 * ids (dc_gpu.node_id names the node), except the node a GPU leaves
 * (moved to another node, or deleted), which is logged as a node change. */
#define DC_LOG_CAP 32768u /* ~3 s of a 25,000-node fleet's churn (9,400 rows/s) */
uint64_t model_log_seq(const struct dc_model *m);
/* Calls fn for each change after `since` to a table in mask, oldest first
 * (an id may repeat). Returns false, calling nothing, when out of reach. */
bool model_log_since(const struct dc_model *m, uint64_t since, unsigned mask,
                     void (*fn)(void *ud, enum dc_table t, int64_t id), void *ud);
/* A reader that cannot rebuild from the tables cheaply (the relay: what
 * it misses it resends whole, a snapshot to every client) holds the log
 * from seq, its model_log_seq() when it last caught up: the ring then
 * doubles rather than overwrite a change after seq, up to max entries
 * (DC_LOG_HOLD_MAX; 16 bytes each; what it grew to, it keeps:
 * the relay's first load, its 100,000 jobs in one batch, makes it 2 MB).
 * Not for a seq before a model_clear: a reload is read whole anyway.
 * Views hold nothing: they rebuild from their table. */
#define DC_LOG_HOLD_MAX (1u << 22) /* ~7 minutes of a 25,000-node fleet's churn, 64 MB */
void model_log_hold(struct dc_model *m, uint64_t seq, size_t max);

#endif
