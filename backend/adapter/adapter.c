/* adapter.c — the adapter table dcopsd picks from, and the simulator
 * behind the adapter interface (adapter.h): its options, and one sim tick
 * per poll (the sim applies the actions outbox inside its tick's
 * transaction, so it has no separate apply). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/adapter.h"
#include "adapter/sim/sim.h"
#include "text.h"

const struct adapter_ops *const adapter_table[] = { &adapter_sim, &adapter_slurm, NULL };

const struct adapter_ops *adapter_find(const char *name)
{
	for (size_t i = 0; adapter_table[i]; i++)
		if (strcmp(adapter_table[i]->name, name) == 0)
			return adapter_table[i];
	return NULL;
}

static int num(const char *opt, const char *v, double lo, double hi, double *out)
{
	char *end;
	double d = strtod(v, &end);
	if (*end || !*v || d < lo || d > hi) {
		text_putline(stderr, "dcopsd: --%s wants a number in [%g, %g], not '%s'", opt, lo, hi, v);
		return -1;
	}
	*out = d;
	return 0;
}

static void *sim_config_new(void)
{
	struct sim_opts *o = xcalloc(1, sizeof *o);
	*o = (struct sim_opts){ .speed = 1, .tick_ms = 1000, .seed = 1 };
	return o;
}

static int sim_parse_opt(void *cfg, const char *opt, const char *val)
{
	struct sim_opts *o = cfg;
	double d;
	if (strcmp(opt, "speed") == 0)
		return num(opt, val, 0.001, 1e6, &o->speed);
	if (strcmp(opt, "fault-x") == 0)
		return num(opt, val, 0.001, 1e6, &o->fault_x);
	if (strcmp(opt, "tick-ms") == 0) {
		if (num(opt, val, 1, 3600000, &d) < 0)
			return -1;
		o->tick_ms = (int)d;
		return 0;
	}
	if (strcmp(opt, "seed") == 0) {
		if (num(opt, val, 1, 9007199254740992.0, &d) < 0)
			return -1;
		o->seed = (uint64_t)d;
		return 0;
	}
	return 1;
}

struct sim_state {
	struct sim *s;
	int tick_ms;
};

static void *sim_start(void *cfg, FILE *log, struct dc_err *err)
{
	(void)err;
	struct sim_opts o = *(struct sim_opts *)cfg;
	o.log = log;
	struct sim_state *st = xcalloc(1, sizeof *st);
	st->s = sim_new(&o);
	st->tick_ms = o.tick_ms;
	fprintf(log, "dcopsd: sim, speed %g, tick %d ms\n", o.speed, o.tick_ms);
	return st;
}

static int sim_attach(void *st, PGconn *c, struct dc_err *err)
{
	return sim_load(((struct sim_state *)st)->s, c, err);
}

static int sim_poll(void *vst, PGconn *c, struct adapter_stats *as, struct dc_err *err)
{
	struct sim_state *st = vst;
	struct sim_tick_stats t;
	if (sim_tick(st->s, c, &t, err) < 0)
		return -1;
	*as = (struct adapter_stats){
		.rows = t.rows, .job_events = t.arrivals + t.starts + t.ends, .faults = t.faults,
		.actions = t.actions, .incidents = t.incidents, .running = t.running, .pending = t.pending,
	};
	snprintf(as->detail, sizeof as->detail, "+%d jobs, %d started, %d ended, %d faults, %d actions",
		 t.arrivals, t.starts, t.ends, t.faults, t.actions);
	return st->tick_ms;
}

static void sim_wait(void *st, int ms, const volatile sig_atomic_t *stop)
{
	(void)st;
	if (ms <= 0 || *stop)
		return;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

static void sim_stop(void *vst)
{
	struct sim_state *st = vst;
	sim_free(st->s);
	free(st);
}

const struct adapter_ops adapter_sim = {
	.name = "sim",
	.usage = "  sim:   [--speed N] [--tick-ms MS] [--seed N] [--fault-x X]\n",
	.parse_opt = sim_parse_opt, .config_new = sim_config_new, .config_free = free,
	.start = sim_start, .attach = sim_attach, .apply = NULL, .poll = sim_poll, .wait = sim_wait,
	.stop = sim_stop, .report_s = 5,
};
