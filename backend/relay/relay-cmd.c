/* relay-cmd.c — `dcops relay [--socket PATH] [--telemetry-ms N]`: runs a
 * relay (relay.h) on the profile's database until SIGTERM or SIGINT. The
 * socket path is --socket, else --relay, else the profile's "relay";
 * --telemetry-ms paces telemetry: GPU rows and nodes' reports (0: as they
 * come). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "conninfo.h"
#include "loop.h"
#include "relay.h"
#include "text.h"

static void on_stop(struct loop *l, int signo, void *ud)
{
	(void)signo;
	(void)ud;
	loop_stop(l);
}

#define USAGE "dcops relay [--socket PATH] [--telemetry-ms N]"

/* --telemetry-ms N: 0 to RELAY_TELEMETRY_MAX_MS into relay_opts (0: as
 * they come, -1 there); -1 with the message. */
static int telemetry_parse(const char *arg, int *ms)
{
	long v;
	if (!dc_parse_long(arg, 0, RELAY_TELEMETRY_MAX_MS, &v)) {
		text_putline(stderr, "dcops relay: --telemetry-ms '%s': not a whole number of milliseconds from 0 "
		             "(telemetry sent as it comes) to %d", arg, RELAY_TELEMETRY_MAX_MS);
		return -1;
	}
	*ms = v ? (int)v : -1;
	return 0;
}

/* --socket's value (or NULL) and --telemetry-ms's; 1 after --help, -1 on
 * a usage error. */
static int args_parse(int argc, char **argv, const char **path, int *telemetry_ms)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "telemetry-ms", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's') {
			*path = optarg;
			continue;
		}
		if (ch == 't') {
			if (telemetry_parse(optarg, telemetry_ms) < 0)
				return -1;
			continue;
		}
		if (ch == 'h')
			printf("usage: " USAGE "\n");
		else
			fprintf(stderr, "dcops relay: usage: " USAGE "\n");
		return ch == 'h' ? 1 : -1;
	}
	if (optind < argc) {
		text_putline(stderr, "dcops relay: unexpected argument '%s' (usage: " USAGE ")", argv[optind]);
		return -1;
	}
	return 0;
}

int relay_cmd(const struct dc_opts *o, int argc, char **argv)
{
	const char *path = NULL;
	int telemetry_ms = 0;
	int rc = args_parse(argc, argv, &path, &telemetry_ms);
	if (rc)
		return rc < 0 ? 2 : 0;
	if (!path)
		path = o->relay;
	if (!path) {
		fprintf(stderr, "dcops relay: no socket: give --socket PATH or the profile's \"relay\"\n");
		return 2;
	}
	char *conninfo = db_resolve(o, NULL);
	struct loop *l = loop_new();
	struct relay_opts ro = { .conninfo = conninfo, .socket_path = path, .quiet = o->quiet,
		.telemetry_ms = telemetry_ms };
	struct dc_err err = {{0}};
	struct relay *r = relay_new(l, &ro, &err);
	if (!r) {
		text_putline(stderr, "dcops relay: %s", err.msg);
		loop_free(l);
		free(conninfo);
		return 1;
	}
	loop_signal_add(l, SIGTERM, on_stop, NULL);
	loop_signal_add(l, SIGINT, on_stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	relay_start(r);
	loop_run(l);
	relay_free(r);
	loop_free(l);
	free(conninfo);
	return 0;
}
