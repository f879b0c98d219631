#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const struct cli_cmd cli_cmds[] = {
	{ .name = "demo", .run = demo_cmd,
	  .usage = "demo [--stop | --status | --no-console]",
	  .help = "start the embedded Gwangju data center and open the console" },
	{ .name = "db", .sub = "migrate", .run = migrate_cmd,
	  .usage = "db migrate [--dry-run]",
	  .help = "apply pending schema migrations, each in one transaction" },
	{ .name = "seed", .run = seed_cmd,
	  .usage = "seed [--config FILE] [--seed N] [--force]",
	  .help = "load the fleet, tenants and quotas into an empty database" },
	{ .name = "status", .run = status_cmd,
	  .usage = "status [--json]",
	  .help = "print fleet, queue, tenant and incident counts" },
};

int cli_run(const struct dc_opts *o, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++) {
		const struct cli_cmd *c = &cli_cmds[i];
		if (strcmp(argv[0], c->name) != 0)
			continue;
		if (!c->sub)
			return c->run(o, argc, argv);
		if (argc < 2 || strcmp(argv[1], c->sub) != 0) {
			fprintf(stderr, "dcops: usage: dcops %s\n", c->usage);
			return 2;
		}
		return c->run(o, argc - 1, argv + 1);
	}
	return -1;
}

void cli_usage(FILE *f)
{
	fprintf(f, "usage: dcops [--db CONNINFO] [--ssh USER@HOST[:PORT]] [--theme NAME]\n"
	           "             [--profile NAME] [--config FILE] [--readonly] [COMMAND ...]\n\n"
	           "With no command, opens the console.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
		fprintf(f, "  dcops %-44s %s\n", cli_cmds[i].usage, cli_cmds[i].help);
}
