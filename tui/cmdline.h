/* cmdline.h — the `:` command line and the `/` filter line.
 *
 * Both are a struct line edited by the app's input handler. `:` lines are
 * parsed against a const command table (names, aliases, argument kind)
 * into a verb the app executes; Tab completes command names and, after a
 * command, its argument (partitions, tenants, themes) from a lister the
 * app supplies. What a filter line matches is filter.h's (substrings,
 * `!`, and key:value fields).
 *
 * Ownership: all buffers are the caller's; the command table is const. */
#ifndef DCOPS_CMDLINE_H
#define DCOPS_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct line {
	char buf[256];
	size_t len;
};
void line_set(struct line *l, const char *s);
bool line_insert(struct line *l, uint32_t cp);   /* false when full or a control */
void line_backspace(struct line *l);             /* one character */
void line_kill_word(struct line *l);             /* C-w */

enum cmd_verb { CMD_NODES, CMD_JOBS, CMD_QUEUES, CMD_TENANTS, CMD_TENANT, CMD_INCIDENTS,
	CMD_THEME, CMD_QUIT, CMD_HELP, CMD_DIAG, CMD_AUDIT, CMD_HANDOVER, CMD_DRILL,
	CMD_SITES, CMD_SITE, CMD_DB };
enum cmd_arg { ARG_NONE, ARG_PARTITION, ARG_TENANT, ARG_THEME, ARG_NODE, ARG_SITE,
	ARG_TEXT /* free words, not completed */ };

struct cmd_parsed {
	enum cmd_verb verb;
	char arg[256];        /* "" when none given */
};
/* Parses "jobs h100", "tenant (주)딥비전랩스", "q"; -1 with err on an unknown
 * command or a missing/extra argument. */
int cmdline_parse(const char *line, struct cmd_parsed *out, struct dc_err *err);

/* Lists the candidates of an argument kind through add(acc, name). */
typedef void (*cmd_lister)(void *ud, enum cmd_arg kind,
                           void (*add)(void *acc, const char *name), void *acc);
/* Completes l in place (command name, then its argument: prefix matches,
 * else substring matches). With several candidates, extends to their
 * common prefix and lists them in hint ("" otherwise). */
void cmdline_complete(struct line *l, cmd_lister list, void *ud, char *hint, size_t hintsz);

/* Help lines for the commands ("\t:jobs [PARTITION]\tjob list ..."). */
void cmdline_help(struct sb *out);

#endif
