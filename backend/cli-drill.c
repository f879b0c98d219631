/* cli-drill.c — the drill script commands:
 *   dcops drill list                      scenarios in drills/, checked
 *   dcops drill start NAME [--speed N]    NAME or a path to a .json file
 *   dcops drill status                    injects due events, ends a decided drill
 *   dcops drill stop                      ends the running drill, prints its scorecard
 *   dcops drill report RUN [--format text|md|json]
 * Exit 0; 1 with one line on stderr when refused (or a scenario is
 * invalid); 2 on a usage error. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "commands.h"
#include "db.h"
#include "drill.h"
#include "text.h"

static const char drill_usage[] =
	"drill list | start NAME [--speed N] | status | stop | report RUN [--format text|md|json]";

static int usage(const char *msg)
{
	text_putline(stderr, "dcops drill: %s (usage: dcops %s)", msg, drill_usage);
	return 2;
}

static int fail(const char *sub, const char *msg)
{
	text_putline(stderr, "dcops drill %s: %s", sub, msg);
	return 1;
}

static PGconn *connect_for(const char *sub, const struct dc_opts *o, bool writes)
{
	if (writes && o->readonly) {
		text_putline(stderr, "dcops drill %s: read-only: %s", sub, dc_readonly_why(o));
		return NULL;
	}
	if (writes) {
		struct actions_error e;
		PGconn *c = actions_connect(o, "dcops-drill", &e);
		if (!c)
			fail(sub, e.msg);
		return c;
	}
	struct dc_err err = {{0}};
	PGconn *c = db_connect(o, "dcops-drill", &err);
	if (!c) {
		fail(sub, err.msg);
		return NULL;
	}
	PQclear(PQexec(c, actions_session_sql));
	return c;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_list(const struct dc_opts *o, int argc, char **argv)
{
	(void)o;
	(void)argv;
	if (argc != 1)
		return usage("list takes no arguments");
	DIR *d = opendir(drill_dir());
	if (!d) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot read %s", drill_dir());
		return fail("list", msg);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
			names = xgrow(names, &cap, n + 1, sizeof *names);
			names[n++] = xasprintf("%s/%s", drill_dir(), e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof *names, names_cmp);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct drill_scenario s;
		struct dc_err err = {{0}};
		if (drill_scenario_load(names[i], &s, &err) == 0) {
			int events = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s.spec, "timeline"));
			int expects = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s.spec, "expectations"));
			text_putline(stdout, "%-28s %s (%d %s, %d %s, speed %g)", s.name, s.title, events,
			             text_plural(events, "event", "events"), expects,
			             text_plural(expects, "expectation", "expectations"), s.speed);
			drill_scenario_free(&s);
		} else {
			text_putline(stderr, "dcops drill list: %s", err.msg);
			rc = 1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int cmd_start(const struct dc_opts *o, int argc, char **argv)
{
	static const struct option lo[] = { { "speed", required_argument, NULL, 's' }, { 0 } };
	double speed = 0;
	optind = 0;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		char *end;
		if (ch != 's')
			return usage("unknown option or missing value");
		speed = strtod(optarg, &end);
		if (*end || !*optarg || !(speed > 0 && speed <= 10000))
			return usage("--speed wants a number above 0 and at most 10000");
	}
	if (optind != argc - 1)
		return usage("start names one scenario");
	char *path = drill_scenario_path(argv[optind]);
	struct drill_scenario s;
	struct dc_err err = {{0}};
	int rc = drill_scenario_load(path, &s, &err);
	free(path);
	if (rc != 0)
		return fail("start", err.msg);
	PGconn *c = connect_for("start", o, true);
	int64_t id = 0;
	if (!c)
		rc = 1;
	else if (drill_start(c, &s, speed, &id, &err) != 0)
		rc = fail("start", err.msg);
	else {
		text_putline(stdout, "drill %lld started: %s (speed %g)", (long long)id, s.name,
		             speed > 0 ? speed : s.speed);
		text_putline(stdout, "Briefing: %s", s.briefing);
	}
	PQfinish(c);
	drill_scenario_free(&s);
	return rc;
}

static int print_card(PGconn *c, int64_t id, enum report_format fmt, const char *sub)
{
	cJSON *card = NULL;
	struct dc_err err = {{0}};
	if (drill_scorecard(c, id, &card, &err) != 0)
		return fail(sub, err.msg);
	drill_scorecard_print(stdout, card, fmt);
	cJSON_Delete(card);
	return 0;
}

static int cmd_status(const struct dc_opts *o, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage("status takes no arguments");
	PGconn *c = connect_for("status", o, true);
	if (!c)
		return 1;
	int64_t id;
	bool ended;
	struct dc_err err = {{0}};
	int rc = 0;
	if (drill_tick(c, &id, &ended, &err) != 0)
		rc = fail("status", err.msg);
	else if (id == 0)
		printf("no drill is running\n");
	else {
		if (ended)
			printf("drill %lld has ended: every expectation is decided\n", (long long)id);
		rc = print_card(c, id, REPORT_TEXT, "status");
	}
	PQfinish(c);
	return rc;
}

static int cmd_stop(const struct dc_opts *o, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage("stop takes no arguments");
	PGconn *c = connect_for("stop", o, true);
	if (!c)
		return 1;
	int64_t id;
	struct dc_err err = {{0}};
	int rc = drill_stop(c, &id, &err) != 0 ? fail("stop", err.msg) : print_card(c, id, REPORT_TEXT, "stop");
	PQfinish(c);
	return rc;
}

static int cmd_report(const struct dc_opts *o, int argc, char **argv)
{
	static const struct option lo[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
	enum report_format fmt = REPORT_TEXT;
	optind = 0;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1)
		if (ch != 'f' || report_format_parse(optarg, &fmt) != 0)
			return usage("--format is text, md or json");
	char *end = NULL;
	long long id = optind == argc - 1 ? strtoll(argv[optind], &end, 10) : 0;
	if (id <= 0 || !end || *end)
		return usage("report names one drill run by its id");
	PGconn *c = connect_for("report", o, false);
	if (!c)
		return 1;
	int rc = print_card(c, id, fmt, "report");
	PQfinish(c);
	return rc;
}

static const struct {
	const char *name;
	int (*run)(const struct dc_opts *o, int argc, char **argv);
} subs[] = {
	{ "list", cmd_list }, { "start", cmd_start }, { "status", cmd_status },
	{ "stop", cmd_stop }, { "report", cmd_report },
};

int drill_cmd(const struct dc_opts *o, int argc, char **argv)
{
	if (argc < 2)
		return usage("name a sub-command");
	for (size_t i = 0; i < DC_ARRAY_LEN(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(o, argc - 1, argv + 1);
	return usage("unknown sub-command");
}
