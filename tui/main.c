/* main.c — parses the global options, reads the config, then runs a script
 * command or the console. */
#include <getopt.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cli.h"
#include "config.h"
#include "text.h"

/* The config file, read before anything connects: one that cannot be
 * read, or a --profile it does not hold, stops dcops here rather than
 * leaving a console or a command without the protection the profile
 * promised (a read-only or production profile). 0, or 1 after the error. */
static int config_read(const struct dc_opts *o, struct config *cfg)
{
	struct dc_err err;
	if (config_load(o->config, cfg, &err) != 0) {
		text_putline(stderr, "dcops: %s; nothing was started", err.msg);
		return 1;
	}
	if (o->profile && !config_profile(cfg, o->profile)) {
		text_putline(stderr, "dcops: --profile %s: no such profile in %s%s; nothing was started", o->profile,
		        cfg->path ? cfg->path : "the config (no $HOME or $XDG_CONFIG_HOME)",
		        cfg->path && access(cfg->path, F_OK) != 0 ? " (the file does not exist)" : "");
		config_free(cfg);
		return 1;
	}
	return 0;
}

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
	int ch;
	/* '+': stop at the first word; cli_take_globals finds the global
	 * options after it, the command parses its own. */
	opterr = 0; /* getopt's own message would print the word raw */
	while ((ch = getopt_long(argc, argv, "+qh", cli_global_opts, NULL)) != -1) {
		if (ch == 'h') {
			cli_usage(stdout);
			return 0;
		}
		if (ch == '?' || ch == ':') {
			text_putline(stderr, "dcops: '%s': unknown option, or one missing its value",
			             argv[optind - 1]);
			cli_usage(stderr);
			return 2;
		}
		cli_global_set(&o, ch, optarg);
	}
	const struct cli_cmd *cmd = NULL;
	int cargc = argc - optind;
	char **cargv = argv + optind;
	if (cargc > 0) {
		bool usage;
		cmd = cli_find(cargc, cargv, &usage);
		if (!cmd && !usage)
			text_putline(stderr, "dcops: unknown command '%s' (dcops --help lists them)", cargv[0]);
		if (!cmd || cli_take_globals(cmd, &o, &cargc, cargv) != 0)
			return 2;
	} else if (o.write) {
		fprintf(stderr, "dcops: --write arms writes for one script command; in the console, W arms them\n");
		return 2;
	}
	struct config cfg;
	if (config_read(&o, &cfg) != 0)
		return 1;
	o.cfg = &cfg;
	/* one time zone for every time shown, console and commands (text.h) */
	text_zone_set(cfg.zone);
	int rc = cmd ? cli_run(cmd, &o, cargc, cargv) : app_run(&o);
	config_free(&cfg);
	return rc;
}
