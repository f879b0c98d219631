/* main.c — parses the global options, then runs a script command or the console. */
#include <getopt.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli.h"

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
#ifdef __GLIBC__
	/* Big arrays (id indexes, row arrays, a full load's staging) from
	 * mmap, always: glibc otherwise raises this threshold after the first
	 * big free and serves the next ones from the heap, where their pages
	 * stay resident after they are freed. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
	struct dc_opts o = { .console = app_run };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "ssh", required_argument, NULL, 's' },
		{ "ssh-accept-new", no_argument, NULL, 'A' },
		{ "theme", required_argument, NULL, 't' },
		{ "profile", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "readonly", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch;
	/* '+': stop at the first word so commands parse their own options. */
	while ((ch = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': o.db = optarg; break;
		case 's': o.ssh = optarg; break;
		case 'A': o.ssh_accept_new = true; break;
		case 't': o.theme = optarg; break;
		case 'p': o.profile = optarg; break;
		case 'c': o.config = optarg; break;
		case 'r': o.readonly = true; break;
		case 'q': o.quiet = true; break;
		case 'h': cli_usage(stdout); return 0;
		default: cli_usage(stderr); return 2;
		}
	}
	if (optind >= argc)
		return app_run(&o);
	int rc = cli_run(&o, argc - optind, argv + optind);
	if (rc == -1) {
		fprintf(stderr, "dcops: unknown command '%s' (dcops --help lists them)\n", argv[optind]);
		return 2;
	}
	return rc;
}
