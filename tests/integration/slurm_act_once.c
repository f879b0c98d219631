/* slurm_act_once — one cycle of the Slurm adapter's acting side against a
 * real database and real Slurm commands, for tests/integration/slurm_act.sh
 * (which builds it against the build's libdcops.a):
 *
 *   slurm_act_once CONNINFO [BINDIR [CLUSTER]]
 *
 * Prints "applied N failed N already N sent N reverts N" and exits 0, or
 * prints the error and exits 1 (the action at hand stays pending); the
 * time spent in Slurm's commands goes to stderr. */
#include <libpq-fe.h>
#include <stdio.h>

#include "adapter/slurm/slurm-act.h"
#include "adapter/slurm/slurm-run.h"

static void log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "slurm_act_once: %s\n", line);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: slurm_act_once CONNINFO [BINDIR [CLUSTER]]\n");
		return 2;
	}
	struct dc_err err;
	struct slurm_runner_opts ro = { .bindir = argc > 2 && argv[2][0] ? argv[2] : NULL };
	struct slurm_runner *r = slurm_runner_new(&ro, &err);
	if (!r) {
		fprintf(stderr, "slurm_act_once: %s\n", err.msg);
		return 1;
	}
	PGconn *c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "slurm_act_once: %s", PQerrorMessage(c));
		PQfinish(c);
		slurm_runner_free(r);
		return 1;
	}
	struct slurm_act_opts o = { .cluster = argc > 3 ? argv[3] : NULL, .log = log_line };
	struct slurm_act_stats st = {0};
	int rc = slurm_act_outbox(r, c, &o, &st, &err);
	printf("applied %d failed %d already %d sent %d reverts %d\n", st.applied, st.failed, st.already, st.sent,
	       st.reverts_queued);
	fprintf(stderr, "slurm_act_once: %.0f ms in Slurm's commands\n", st.slurm_ms);
	if (rc < 0)
		fprintf(stderr, "slurm_act_once: %s\n", err.msg);
	PQfinish(c);
	slurm_runner_free(r);
	return rc < 0 ? 1 : 0;
}
