/* commands.h — entry points of the script commands, one per backend module.
 * Each is a dc_cmd_fn (see opts.h); tui/cli.c lists them in its table. */
#ifndef DCOPS_COMMANDS_H
#define DCOPS_COMMANDS_H

#include "opts.h"

int migrate_cmd(const struct dc_opts *o, int argc, char **argv);  /* migrate.c: db migrate */
int status_cmd(const struct dc_opts *o, int argc, char **argv);   /* status.c: status */
int seed_cmd(const struct dc_opts *o, int argc, char **argv);     /* seed.c: seed */
int demo_cmd(const struct dc_opts *o, int argc, char **argv);     /* demo.c: demo */
/* cli-actions.c: operator actions and their trail */
int actions_drain_cmd(const struct dc_opts *o, int argc, char **argv);    /* drain */
int actions_resume_cmd(const struct dc_opts *o, int argc, char **argv);   /* resume */
int actions_quota_cmd(const struct dc_opts *o, int argc, char **argv);    /* quota set */
int actions_incident_cmd(const struct dc_opts *o, int argc, char **argv); /* incident ... */
int actions_job_cmd(const struct dc_opts *o, int argc, char **argv);      /* job cancel|hold|release */
int actions_list_cmd(const struct dc_opts *o, int argc, char **argv);     /* actions */
int actions_audit_cmd(const struct dc_opts *o, int argc, char **argv);    /* audit */
/* cli-report.c: shifts and the handover report */
int report_shift_cmd(const struct dc_opts *o, int argc, char **argv);     /* shift start|end */
int report_handover_cmd(const struct dc_opts *o, int argc, char **argv);  /* handover note|sign-off */
int report_cmd(const struct dc_opts *o, int argc, char **argv);           /* report handover */
/* relay/relay-cmd.c: the relay (relay.h) */
int relay_cmd(const struct dc_opts *o, int argc, char **argv);            /* relay */
/* cli-drill.c: incident drills */
int drill_cmd(const struct dc_opts *o, int argc, char **argv);            /* drill ... */

#endif
