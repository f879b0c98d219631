/* cli.h — the table of script commands (`dcops status`, `dcops db migrate`, ...).
 *
 * Ownership: the table is static and const; cli_run borrows argv. */
#ifndef DCOPS_CLI_H
#define DCOPS_CLI_H

#include <stdio.h>

#include "opts.h"

struct cli_cmd {
	const char *name;     /* first word */
	const char *sub;      /* second word, or NULL */
	dc_cmd_fn run;
	const char *usage;
	const char *help;
};

/* Runs the command named by argv[0] (and argv[1] when it has a sub-word).
 * Returns the exit status, or -1 when argv names no command. */
int cli_run(const struct dc_opts *o, int argc, char **argv);
void cli_usage(FILE *f);

#endif
