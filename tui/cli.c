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
	  .usage = "seed [--config FILE] [--seed N] [--scale X] [--force]",
	  .help = "load the fleet, tenants and quotas into an empty database" },
	{ .name = "status", .run = status_cmd,
	  .usage = "status [--json]",
	  .help = "print fleet, queue, tenant and incident counts" },
	{ .name = "drain", .run = actions_drain_cmd,
	  .usage = "drain NODE... --reason TEXT [--incident ID] [--resume-after DURATION] [--override] [--expect-version N]...",
	  .help = "ask the adapter to drain nodes (audited; guard rails apply)" },
	{ .name = "resume", .run = actions_resume_cmd,
	  .usage = "resume NODE... --reason TEXT [--expect-version N]...",
	  .help = "ask the adapter to resume drained nodes (audited)" },
	{ .name = "quota", .sub = "set", .run = actions_quota_cmd,
	  .usage = "quota set TENANT gpus=N|gpu_hours=N|storage_tb=N... --reason TEXT [--expires DURATION]",
	  .help = "change a tenant's quota, optionally until a time (audited)" },
	{ .name = "incident", .run = actions_incident_cmd,
	  .usage = "incident open|ack|assign|sev|note|link|resolve ...",
	  .help = "open and work incidents (audited)" },
	{ .name = "job", .run = actions_job_cmd,
	  .usage = "job cancel|hold|release JOBID --reason TEXT",
	  .help = "ask the adapter to cancel, hold or release a job (audited)" },
	{ .name = "actions", .run = actions_list_cmd,
	  .usage = "actions [--pending] [--limit N]",
	  .help = "list recent operator actions and whether the adapter applied them" },
	{ .name = "audit", .run = actions_audit_cmd,
	  .usage = "audit [--operator X] [--node N] [--tenant T] [--since DURATION] [--limit N]",
	  .help = "list audit rows: who did what, why, before and after" },
	{ .name = "shift", .run = report_shift_cmd,
	  .usage = "shift start|end",
	  .help = "start or end your on-call shift (audited)" },
	{ .name = "handover", .run = report_handover_cmd,
	  .usage = "handover note [--shift ID] TEXT...|--file PATH | handover sign-off SHIFT",
	  .help = "write the outgoing note, or sign off a handover as the incoming operator" },
	{ .name = "report", .sub = "handover", .run = report_cmd,
	  .usage = "report handover [--shift ID | --since DURATION] [--format text|md|json]",
	  .help = "the shift handover report from the database" },
	{ .name = "drill", .run = drill_cmd,
	  .usage = "drill list | start NAME [--speed N] | status | stop | report RUN [--format text|md|json]",
	  .help = "run incident drills against a drill, staging or demo database; print scorecards" },
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
	fprintf(f, "usage: dcops [--db CONNINFO] [--ssh USER@HOST[:PORT]] [--ssh-accept-new] [--theme NAME]\n"
	           "             [--profile NAME] [--config FILE] [--readonly] [COMMAND ...]\n\n"
	           "With no command, opens the console.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
		fprintf(f, "  dcops %s\n      %s\n", cli_cmds[i].usage, cli_cmds[i].help);
}
