/* cli.h — the table of script commands (`dcops status`, `dcops db migrate`, ...)
 * and the global options every command takes, before or after its name.
 *
 * Ownership: the tables are static and const; the cli_* functions borrow
 * argv (cli_take_globals reorders it in place). */
#ifndef DCOPS_CLI_H
#define DCOPS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "opts.h"

struct cli_cmd {
	const char *name;     /* first word */
	const char *sub;      /* second word, or NULL */
	dc_cmd_fn run;
	const char *usage;
	const char *help;
	/* starts local things and then the console with the options as given
	 * (demo): no profile or tunnel is applied for it here */
	bool local;
	/* always writes (seed, db migrate) unless one of read_flags is given */
	bool writes;
	const char *const *read_flags;
	/* a global option name this command keeps as its own (seed --config) */
	const char *own;
	/* --sites runs it at each site with per-site sections (cli-sites.c);
	 * sites_json: the option that makes it print JSON, for the combined counts */
	bool sites;
	const char *sites_json;
	/* seconds its database work may take once connected before the
	 * connection is dropped (a server that froze after accepting it);
	 * DCOPS_DB_TIMEOUT overrides; 0: none (migrations, seeds, the relay and
	 * drills run as long as their work takes) */
	int db_wait_s;
};

/* The global options, for getopt_long before the command word. */
extern const struct option cli_global_opts[];
/* Applies one: ch is the option's val, arg its value. */
void cli_global_set(struct dc_opts *o, int ch, const char *arg);

/* The command argv names: NULL when argv[0] is no command; *usage set
 * (and NULL returned) when its sub-word is missing or wrong. */
const struct cli_cmd *cli_find(int argc, char **argv, bool *usage);
/* Takes the global options written after the command's name (up to a
 * "--") out of argv and applies them to o; the command's own options
 * stay. 0, or 2 after a usage line. */
int cli_take_globals(const struct cli_cmd *c, struct dc_opts *o, int *argc, char **argv);
/* Runs c with the profile and tunnel applied (script.h). Exit status. */
int cli_run(const struct cli_cmd *c, const struct dc_opts *o, int argc, char **argv);
/* c at each of o->sites (cli-sites.c). Exit status. */
int cli_run_sites(const struct cli_cmd *c, const struct dc_opts *o, int argc, char **argv);
void cli_usage(FILE *f);

#endif
