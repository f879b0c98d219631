/* sim-model.h — the simulator's in-memory model, shared by the files of backend/adapter/sim
 * only (not a public header; dcopsd and tests use sim.h).
 *
 * Ownership: struct sim owns every array and every struct sim_job; a job is
 * freed after the tick that ended it has been written. Nodes, GPUs and
 * tenants refer to each other by index into the sim's arrays, never by
 * pointer, so the arrays may be rebuilt by sim_load. */
#ifndef DCOPS_SIM_MODEL_H
#define DCOPS_SIM_MODEL_H

#include "adapter/sim/sim.h"

enum sim_admin { ADMIN_ACTIVE, ADMIN_DRAINING, ADMIN_DRAINED };
enum sim_health { HEALTH_OK, HEALTH_WARN, HEALTH_FAIL };
enum sim_sched { SCHED_IDLE, SCHED_MIXED, SCHED_ALLOCATED, SCHED_DOWN };
enum sim_jstate { JOB_PENDING, JOB_RUNNING, JOB_COMPLETED, JOB_FAILED, JOB_CANCELLED,
                  JOB_TIMEOUT, JOB_NODE_FAIL };

extern const char *const sim_admin_names[];
extern const char *const sim_health_names[];
extern const char *const sim_sched_names[];
extern const char *const sim_jstate_names[];

#define SIM_GPN_MAX 64
/* Host base power (W) of a node in no known partition; partitions take
 * theirs from the accelerator table of sim.c (sim_part.host_w). */
#define SIM_HOST_W 800

struct sim_part {
	int id;
	char *name;
	int gpn;              /* GPUs of a standard (whole) node */
	int ngpus, nstd;      /* GPUs in all, standard nodes */
	int tdp_w, idle_w, host_w;
	double lambda;        /* job arrivals per simulated second, before the cycle */
	double *cum_weight;   /* over tenants homed here, for picking a submitter */
	int *tenants, ntenants;
	/* scheduling scratch, rebuilt each tick: nodes by free GPUs */
	int *bucket[SIM_GPN_MAX + 1];
	int nbucket[SIM_GPN_MAX + 1];
	bool reserve;         /* whole free nodes held for a blocked multi-node job */
	bool blocked;         /* a job already waits for resources this tick */
};

struct sim_node {
	int id;
	char *name;
	int part, row;
	int gpu0, ngpus, nheld;   /* GPUs are gpus[gpu0 .. gpu0 + ngpus) */
	enum sim_admin admin;
	enum sim_health health;
	enum sim_sched sched;
	char *drain_reason, *drained_by, *health_detail;
	double drained_at;        /* wall epoch seconds, 0 = none */
	double repair_at;         /* simulated time the hardware is fixed, 0 = none */
	int power_w;
	double last_seen;
	bool lemon, dirty;
};

struct sim_gpu {
	int id, node;
	struct sim_job *job;
	int util, mem, mem_total, temp, power;
	int w_util, w_mem, w_temp, w_power;   /* values last written */
	long long w_job;                      /* job id last written (0: free) */
	int w_xid;                            /* Xid last written */
	long long sbe, dbe;
	bool remap;
	int xid;
	double xid_at;
	bool dirty;
};

struct sim_tenant {
	int id;
	char *name;
	int project;              /* 0: none */
	int limit;
	double budget, used, used_written;
	int running, pending;     /* GPUs running, jobs pending */
	int home;                 /* partition index */
	bool hoarder;
};

struct sim_job {
	long long id;             /* 0 until reserved (new jobs) */
	int tenant, part;
	int gpus, nnodes;
	enum sim_jstate state, outcome;
	const char *reason;
	double submit_wall, start_wall, end_wall;
	double end_sim;           /* simulated time it ends while running */
	double duration;          /* planned run time, simulated seconds */
	int util, exit_code;
	int *held, nheld;         /* GPU indices */
	char *node_list;
	char *name;               /* NULL: made up from the id when written */
	double time_limit;        /* the wall limit asked for, simulated seconds */
	long long priority;       /* higher starts first; 0 while on hold */
	long long w_priority;     /* priority last written (a job loaded from before 040 has 0) */
	long long seq;            /* submission order, the tie-break between equal priorities */
	bool on_hold;             /* held by an operator (reason JobHeldAdmin) */
	int run_ix;               /* index in sim.run while running */
	bool is_new, dirty;
};

/* What a fault did: the jobs it killed (each once), the GPUs they held,
 * the largest of them, the tenant ids they belonged to, and the GPUs on
 * the nodes it took out of service. */
struct sim_fault_hit {
	int jobs, gpus, largest, gpus_out;
	int *tenants, ntenants;
	long long *job_ids;       /* the killed jobs' ids, njob_ids of them (incident_job) */
	int njob_ids;
};

/* A fault's incident; its severity comes from the database's table
 * (dcops.incident_severity, 032_incident_impact.sql) when it is written. */
struct sim_incident {
	const char *scope;        /* node, leaf, partition: a severity_rule scope */
	double lost_pct;          /* share of the fleet's GPUs out of service */
	struct sim_fault_hit hit; /* owns hit.tenants */
	char *title, *impact, *body;
	int *nodes, nnodes;       /* node ids */
};

struct sim_action_result {
	long long id;
	bool ok;
	char *error;
};

/* A growable vector of pointers. */
struct sim_vec {
	void **v;
	size_t n, cap;
};
void sim_vec_push(struct sim_vec *vec, void *p);

struct sim {
	struct sim_opts o;
	struct dc_rng rng;
	double sim_now, wall_now, step;   /* simulated seconds; wall epoch; sim s per tick */
	uint64_t tick;
	struct sim_part *parts;
	int nparts;
	struct sim_node *nodes;
	int nnodes;
	struct sim_gpu *gpus;
	int ngpus;
	struct sim_tenant *tenants;
	int ntenants;
	int *tenant_ix, tenant_ix_len;    /* tenant id → index, -1 */
	struct sim_vec run, pend;         /* struct sim_job * */
	long long job_seq;                /* the last sim_job.seq given */
	struct sim_vec fresh, changed, done;  /* this tick: new, changed, ended jobs */
	struct sim_vec incidents;         /* struct sim_incident * */
	struct sim_vec results;           /* struct sim_action_result * */
	double *usage;                    /* gpu-hours per tenant × partition since last sample */
	double next_sample;
	int telem_period, beat_period;    /* ticks between telemetry / heartbeat passes */
	struct sim_tick_stats st;
	bool warm;                        /* start the first tick with a busy fleet */
	struct sim_drill *drill;          /* sim-drill.c: the running drill's lasting effects */
};

void sim_log(struct sim *s, const char *fmt, ...) DC_PRINTF(2, 3);
int sim_tenant_index(const struct sim *s, int id);
int sim_node_by_name(const struct sim *s, const char *name);

/* sim-jobs.c */
void sim_jobs_calibrate(struct sim *s);
void sim_jobs_end_due(struct sim *s);
void sim_jobs_finish(struct sim *s, struct sim_job *j, enum sim_jstate st, const char *reason,
                     int exit_code);
void sim_jobs_arrive(struct sim *s);
void sim_jobs_schedule(struct sim *s);
void sim_jobs_warm(struct sim *s);
void sim_jobs_accrue(struct sim *s);
void sim_job_free(struct sim_job *j);
/* A drill's premise: tenant ti runs a job of per_node GPUs on each of the
 * nodes (indices), started ran_for simulated seconds ago. What held those
 * GPUs is requeued, and so are the tenant's other jobs its quota would no
 * longer hold; nodes that cannot run jobs (drained, failed, down) are left
 * out. Returns the nodes used. */
int sim_jobs_premise(struct sim *s, int ti, const int *nodes, int n, int per_node, const char *name,
                     double ran_for);
/* Slurm-like priority of a job: fair share (hoarders low) and size; 0 on hold. */
long long sim_job_priority(const struct sim *s, const struct sim_job *j);
/* The pending or running job with this id; NULL if none. */
struct sim_job *sim_job_find(struct sim *s, long long id);
/* Operator actions on a job: NULL, or the error (caller frees). */
char *sim_job_cancel(struct sim *s, struct sim_job *j);
char *sim_job_hold(struct sim *s, struct sim_job *j, bool hold);

/* sim-faults.c */
void sim_faults_inject(struct sim *s);
void sim_nodes_refresh(struct sim *s);
void sim_telemetry(struct sim *s);
void sim_nodes_power(struct sim *s);
void sim_incident_free(struct sim_incident *in);
/* A fault a drill names: the cause of Xid xid (0: the row's leaf switch
 * down) on node, GPU gpu (< 0: any), with the effects a random fault of
 * that cause has on the GPU, the node and its jobs; adds to hit. The drill
 * opened the incident and expects the operator to drain, so neither
 * happens here. */
void sim_fault_named(struct sim *s, int xid, int node, int gpu, struct sim_fault_hit *hit);
/* "2 jobs killed (16 GPUs) of 2 tenants; 1 node auto-drained (8 GPUs)"
 * (caller frees); verb says what became of the nodes. */
char *sim_impact_text(const struct sim_fault_hit *hit, int nodes, const char *verb);
/* The share of the fleet's GPUs on failed or down nodes, in percent. */
double sim_lost_pct(const struct sim *s);

/* sim-drill.c: the running drill's events, inside the tick's transaction
 * (dcops.drill_sim_events). apply: before jobs are reserved ids (a burst
 * of jobs may arrive); telemetry: after sim_telemetry (throttled rows). */
int sim_drill_apply(struct sim *s, PGconn *c, struct dc_err *err);
void sim_drill_telemetry(struct sim *s);
void sim_drill_free(struct sim *s);

/* sim-actions.c: applies pending dcops.actions rows inside the tick's transaction */
int sim_actions_apply(struct sim *s, PGconn *c, struct dc_err *err);
void sim_node_set_drain(struct sim *s, struct sim_node *n, const char *reason, const char *by);

/* sim-write.c */
int sim_write_reserve_ids(struct sim *s, PGconn *c, struct dc_err *err);
int sim_write_tick(struct sim *s, PGconn *c, struct dc_err *err);
int sim_write_telemetry(struct sim *s, PGconn *c, struct dc_err *err);
long sim_write_cmd(PGconn *c, struct dc_err *err, const char *sql, int n,
                   const char *const *p);

#endif
