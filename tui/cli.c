/* cli.c — the script commands' table, the global options, and the
 * command's run inside its profile and tunnel (script.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "script.h"
#include "text.h"
#include "watchdog.h"

const struct option cli_global_opts[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "write-db", required_argument, NULL, 'D' },
	{ "ssh", required_argument, NULL, 's' },
	{ "ssh-accept-new", no_argument, NULL, 'A' },
	{ "theme", required_argument, NULL, 't' },
	{ "relay", required_argument, NULL, 'R' },
	{ "profile", required_argument, NULL, 'p' },
	{ "sites", required_argument, NULL, 'S' },
	{ "config", required_argument, NULL, 'c' },
	{ "readonly", no_argument, NULL, 'r' },
	{ "write", no_argument, NULL, 'w' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

void cli_global_set(struct dc_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'd': o->db = arg; break;
	case 'D': o->write_db = arg; break;
	case 's': o->ssh = arg; break;
	case 'A': o->ssh_accept_new = true; break;
	case 't': o->theme = arg; break;
	case 'R': o->relay = arg; break;
	case 'p': o->profile = arg; break;
	case 'S': o->sites = arg; break;
	case 'c': o->config = arg; break;
	case 'r': o->readonly = true; break;
	case 'w': o->write = true; break;
	case 'q': o->quiet = true; break;
	}
}

static const char *const migrate_read[] = { "--dry-run", "-n", NULL };

static const struct cli_cmd cli_cmds[] = {
	{ .name = "demo", .run = demo_cmd, .local = true,
	  .usage = "demo [--stop | --status | --no-console]",
	  .help = "start the embedded Gwangju data center and open the console" },
	{ .name = "db", .sub = "migrate", .run = migrate_cmd, .writes = true, .read_flags = migrate_read,
	  .usage = "db migrate [--dry-run]",
	  .help = "apply pending schema migrations, each in one transaction" },
	{ .name = "seed", .run = seed_cmd, .writes = true, .own = "config",
	  .usage = "seed [--config FILE] [--seed N] [--scale X] [--force]",
	  .help = "load the fleet, tenants and quotas into an empty database" },
	{ .name = "status", .run = status_cmd, .sites = true, .sites_json = "--json", .db_wait_s = 30,
	  .usage = "status [--json]",
	  .help = "print fleet, queue, tenant and incident counts" },
	{ .name = "drain", .run = actions_drain_cmd, .db_wait_s = 30,
	  .usage = "drain NODE... --reason TEXT [--incident ID] [--resume-after DURATION] [--override] [--expect-version N]...",
	  .help = "ask the adapter to drain nodes (audited; guard rails apply)" },
	{ .name = "resume", .run = actions_resume_cmd, .db_wait_s = 30,
	  .usage = "resume NODE... --reason TEXT [--expect-version N]...",
	  .help = "ask the adapter to resume drained nodes (audited)" },
	{ .name = "quota", .sub = "set", .run = actions_quota_cmd, .db_wait_s = 30,
	  .usage = "quota set TENANT gpus=N|gpu_hours=N|storage_tb=N... --reason TEXT [--expires DURATION]",
	  .help = "change a tenant's quota, optionally until a time (audited)" },
	{ .name = "incident", .run = actions_incident_cmd, .db_wait_s = 30,
	  .usage = "incident open|ack|assign|sev|note|link|resolve ...",
	  .help = "open and work incidents (audited)" },
	{ .name = "job", .run = actions_job_cmd, .db_wait_s = 30,
	  .usage = "job cancel|hold|release JOBID --reason TEXT",
	  .help = "ask the adapter to cancel, hold or release a job (audited)" },
	{ .name = "actions", .run = actions_list_cmd, .db_wait_s = 30,
	  .usage = "actions [--pending] [--limit N]",
	  .help = "list recent operator actions and whether the adapter applied them" },
	{ .name = "audit", .run = actions_audit_cmd, .db_wait_s = 30,
	  .usage = "audit [--operator X] [--node N] [--tenant T] [--since DURATION] [--limit N]",
	  .help = "list audit rows: who did what, why, before and after" },
	{ .name = "shift", .run = report_shift_cmd, .db_wait_s = 30,
	  .usage = "shift start|end",
	  .help = "start or end your on-call shift (audited)" },
	{ .name = "handover", .run = report_handover_cmd, .db_wait_s = 30,
	  .usage = "handover note [--shift ID] TEXT...|--file PATH | handover sign-off SHIFT",
	  .help = "write the outgoing note, or sign off a handover as the incoming operator" },
	{ .name = "report", .sub = "handover", .run = report_cmd, .sites = true, .db_wait_s = 60,
	  .sites_json = "--format=json",
	  .usage = "report handover [--shift ID | --since DURATION] [--format text|md|json]",
	  .help = "the shift handover report from the database" },
	{ .name = "relay", .run = relay_cmd,
	  .usage = "relay [--socket PATH]",
	  .help = "hold the one database link and serve its data to many consoles on a Unix socket" },
	{ .name = "drill", .run = drill_cmd,
	  .usage = "drill list | start NAME [--speed N] | status | stop | report RUN [--format text|md|json]",
	  .help = "run incident drills against a drill, staging or demo database; print scorecards" },
};

const struct cli_cmd *cli_find(int argc, char **argv, bool *usage)
{
	*usage = false;
	for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++) {
		const struct cli_cmd *c = &cli_cmds[i];
		if (strcmp(argv[0], c->name) != 0)
			continue;
		if (c->sub && (argc < 2 || strcmp(argv[1], c->sub) != 0)) {
			fprintf(stderr, "dcops: usage: dcops %s\n", c->usage);
			*usage = true;
			return NULL;
		}
		return c;
	}
	return NULL;
}

/* The global option word w is ("--db", "--db=X"), unless c keeps the name
 * for itself; *val: the text after '=', or NULL. */
static const struct option *global_of(const struct cli_cmd *c, const char *w, const char **val)
{
	*val = NULL;
	if (strncmp(w, "--", 2) != 0)
		return NULL;
	for (const struct option *g = cli_global_opts; g->name; g++) {
		size_t n = strlen(g->name);
		if (strncmp(w + 2, g->name, n) != 0 || (w[2 + n] != '\0' && w[2 + n] != '='))
			continue;
		/* --help after a command is the command's own */
		if (g->val == 'h' || (c->own && strcmp(c->own, g->name) == 0))
			return NULL;
		if (w[2 + n] == '=')
			*val = w + 3 + n;
		return g;
	}
	return NULL;
}

int cli_take_globals(const struct cli_cmd *c, struct dc_opts *o, int *argc, char **argv)
{
	int out = 1;
	bool rest = false;
	for (int i = 1; i < *argc; i++) {
		const char *val;
		const struct option *g = rest ? NULL : global_of(c, argv[i], &val);
		rest = rest || strcmp(argv[i], "--") == 0;
		if (!g) {
			argv[out++] = argv[i];
			continue;
		}
		if (g->has_arg == no_argument && val) {
			fprintf(stderr, "dcops: option '--%s' takes no value (usage: dcops %s)\n", g->name, c->usage);
			return 2;
		}
		if (g->has_arg == required_argument && !val) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "dcops: option '--%s' needs a value (usage: dcops %s)\n", g->name,
				        c->usage);
				return 2;
			}
			val = argv[++i];
		}
		cli_global_set(o, g->val, val);
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

static bool has_flag(int argc, char **argv, const char *const *flags)
{
	for (int i = 1; flags && i < argc && strcmp(argv[i], "--") != 0; i++)
		for (const char *const *f = flags; *f; f++)
			if (strcmp(argv[i], *f) == 0)
				return true;
	return false;
}

/* The command's limit on unanswered database work (db_wait_s, or
 * DCOPS_DB_TIMEOUT seconds, 0 for none) into o, its clock set up. */
static int db_wait(const struct cli_cmd *c, struct dc_opts *o, struct dc_err *err)
{
	int s = c->db_wait_s;
	const char *env = getenv("DCOPS_DB_TIMEOUT");
	if (env && *env) {
		long v;
		if (!dc_parse_long(env, 0, 86400, &v)) {
			char shown[64]; /* the environment's text, inert */
			text_escape_buf(env, shown, sizeof shown);
			return dc_err_set(err, "DCOPS_DB_TIMEOUT=%s: expected whole seconds, 0 (no limit) to 86400",
			                  shown);
		}
		s = (int)v;
	}
	o->db_wait_ms = s * 1000;
	return s > 0 ? watchdog_init("DCOPS_DB_TIMEOUT", err) : 0;
}

int cli_run(const struct cli_cmd *c, const struct dc_opts *o, int argc, char **argv)
{
	if (o->sites && !c->local) {
		if (c->sites)
			return cli_run_sites(c, o, argc, argv);
		fprintf(stderr, "dcops %s: --sites is for the console, status and report handover; "
		        "--profile NAME runs it at one site\n", c->name);
		return 2;
	}
	if (c->sub) {
		argc--;
		argv++;
	}
	if (c->local)
		return c->run(o, argc, argv);
	if (o->relay && c->run != relay_cmd) {
		fprintf(stderr, "dcops %s: --relay is for the console (script commands read the database "
		        "directly; `dcops relay --socket PATH` serves one)\n", c->name);
		return 2;
	}

	char name[32];
	snprintf(name, sizeof name, "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
	struct dc_err err = {{0}};
	struct script *s = script_open(o, &err);
	if (!s) {
		text_putline(stderr, "dcops %s: %s", name, err.msg);
		return 1;
	}
	struct dc_opts eff = *script_opts(s);
	int rc;
	if (c->writes && eff.readonly && !has_flag(argc, argv, c->read_flags)) {
		text_putline(stderr, "dcops %s: read-only: %s", name, dc_readonly_why(&eff));
		rc = 1;
	} else if (db_wait(c, &eff, &err) < 0) {
		text_putline(stderr, "dcops %s: %s", name, err.msg);
		rc = 2;
	} else {
		rc = c->run(&eff, argc, argv);
		/* its connection is closed: the next site's command arms its own */
		watchdog_disarm();
	}
	script_close(s);
	return rc;
}

void cli_usage(FILE *f)
{
	fprintf(f, "usage: dcops [--db CONNINFO] [--write-db CONNINFO] [--ssh USER@HOST[:PORT]] [--ssh-accept-new]\n"
	           "             [--theme NAME] [--profile NAME | --sites NAME,NAME] [--config FILE] [--readonly]\n"
	           "             [--write] [--relay PATH]\n"
	           "             [COMMAND ...]\n\n"
	           "With no command, opens the console. The options may also follow the command;\n"
	           "--write arms writes for one command under a production profile (W in the console);\n"
	           "--write-db names the primary that takes writes when --db is a hot standby;\n"
	           "--relay PATH takes the console's data from `dcops relay` on that socket.\n\n"
	           "Commands:\n");
	for (size_t i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
		fprintf(f, "  dcops %s\n      %s\n", cli_cmds[i].usage, cli_cmds[i].help);
}
