/* opts.h — the global command-line options every dcops command sees.
 *
 * Ownership: the strings point into argv or the environment and are never
 * freed; struct dc_opts lives in main()'s frame for the whole run. */
#ifndef DCOPS_OPTS_H
#define DCOPS_OPTS_H

#include <stdbool.h>

struct config;

struct dc_opts {
	const char *db;       /* --db CONNINFO (NULL: DCOPS_DB, PG*, demo, libpq defaults) */
	const char *write_db; /* --write-db CONNINFO, or the profile's write_db: where writes go
	                       * when db is a hot standby (NULL: db; db_resolve_write) */
	const char *ssh;      /* --ssh user@host[:port] */
	const char *theme;    /* --theme NAME */
	const char *relay;    /* --relay PATH: the console takes its data from `dcops relay` on
	                       * that socket (else the profile's "relay"; NULL: direct) */
	const char *profile;  /* --profile NAME */
	const char *config;   /* --config FILE (default $XDG_CONFIG_HOME/dcops/config.json) */
	const char *sites;    /* --sites a,b: profiles opened together (tui/site.h); NULL: one */
	/* dcops demo --sites N: each site's conninfo, in --sites order, in place
	 * of profiles' (NULL: the profiles say) */
	const char *const *site_db;
	bool readonly;        /* --readonly, or (script commands) what the profile makes of it */
	const char *readonly_why; /* why readonly is set, for refusal lines; NULL: "--readonly is set" */
	bool write;           /* --write: a script command may write under a production profile
	                       * (what W arms in the console) */
	bool ssh_accept_new;  /* --ssh-accept-new: record an unknown host key without asking (logged) */
	/* Script commands through --ssh (script.c): the bastion (USER@HOST:PORT)
	 * and the database as the bastion sees it; db is then the tunnel's
	 * local end. NULL: direct */
	const char *via_ssh, *via_ssh_db;
	bool quiet;           /* -q: no informational lines on stderr */
	/* Script commands: how long their database work may go unanswered once
	 * connected (db_connect arms watchdog.h with it); 0: no limit */
	int db_wait_ms;
	/* The config file, read by main() before anything connects (a file
	 * that cannot be read stops dcops); never NULL in a command. */
	const struct config *cfg;
	/* Opens the console with these options (tui's app_run, set by main);
	 * lets a backend command such as `demo` end in the console without
	 * backend/ including tui/. */
	int (*console)(const struct dc_opts *o);
};

/* Why writes are refused, for a refusal line. */
static inline const char *dc_readonly_why(const struct dc_opts *o)
{
	return o->readonly_why ? o->readonly_why : "--readonly is set";
}

/* A script command: returns the process exit status (0 ok, 1 refused or
 * failed with a one-line reason on stderr, 2 usage error). argv[0] is the
 * command name. */
typedef int (*dc_cmd_fn)(const struct dc_opts *o, int argc, char **argv);

#endif
