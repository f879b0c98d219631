/* slurm-run.h — runs one Slurm command for the adapter: a fixed argument
 * vector, never a shell string built from data.
 *
 * Locally the vector is exec'd as is (posix_spawnp, no shell). On the
 * controller or a login host (--ssh user@host[:port]) it goes over the
 * libssh session code the console uses (same host-key rules: known_hosts,
 * @revoked, no TOFU unless the operator accepted the key), each argument
 * single-quoted for the remote shell and checked for NUL and newlines first,
 * because SSH carries one command string. Every run has a deadline and an
 * output cap; a run past either is killed and reported, never waited for.
 *
 * Ownership: struct slurm_runner is the caller's (slurm_runner_free). A
 * struct slurm_out's buffers are the caller's after a run (slurm_out_free);
 * out and err are NUL-terminated (and may hold NULs before the end: use
 * the lengths). argv and its strings are borrowed for the call only.
 * Blocking: dcopsd is a daemon with no screen to keep alive; a run blocks
 * the adapter for at most the deadline. */
#ifndef DCOPS_SLURM_RUN_H
#define DCOPS_SLURM_RUN_H

#include <signal.h>
#include <stddef.h>

#include "util.h"

struct slurm_runner_opts {
	const char *ssh;          /* NULL: run locally; else user@host[:port] */
	const char *known_hosts;  /* NULL: ~/.ssh/known_hosts (with --ssh) */
	const char *const *identities; /* NULL: the agent and default keys */
	const char *bindir;       /* NULL: PATH; else Slurm's commands are here */
	int timeout_ms;           /* 0: 30,000 */
	size_t max_output;        /* 0: 512 MiB (25,000 nodes of JSON fit) */
};

struct slurm_out {
	char *out, *err;          /* stdout, stderr (stderr capped at 64 kB) */
	size_t out_len, err_len;
	size_t out_cap;           /* out's allocated size (slurm_out_release) */
	int status;               /* exit status; 128+N when killed by signal N */
	double ms;                /* wall time of the run */
};

struct slurm_runner;

/* NULL with err filled when the options are bad or (with ssh) the session
 * cannot be set up; a session that drops later is re-opened by the next run. */
struct slurm_runner *slurm_runner_new(const struct slurm_runner_opts *o, struct dc_err *err);
void slurm_runner_free(struct slurm_runner *r);

/* Runs argv (argv[0] is the command name: sinfo, squeue, sacct, sacctmgr,
 * scontrol, sshare, scancel). 0 when it ran to an exit status (which may be
 * non-zero: look at out->status and out->err); -1 with err filled when it
 * could not be started, timed out or overflowed the cap, or the link is
 * down. On -1, *out holds nothing to free. */
int slurm_run(struct slurm_runner *r, const char *const *argv, struct slurm_out *out,
              struct dc_err *err);
void slurm_out_free(struct slurm_out *o);
/* As slurm_out_free, but out's buffer goes back to r, for the next run's
 * stdout (the runner keeps the largest one): a caller reading squeue's
 * hundreds of MB every cycle reuses one buffer. */
void slurm_out_release(struct slurm_runner *r, struct slurm_out *o);

/* Sleeps ms between polls; with ssh the session's keepalive runs meanwhile,
 * so an idle link is neither dropped nor called dead late. Returns early
 * once *stop (may be NULL) is set. */
void slurm_runner_wait(struct slurm_runner *r, int ms, const volatile sig_atomic_t *stop);

#endif
