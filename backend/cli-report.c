/* cli-report.c — the script commands for shifts and the handover:
 *   dcops shift start|end
 *   dcops handover note [--shift ID] TEXT... | --file PATH (- for stdin)
 *   dcops handover sign-off SHIFT
 *   dcops report handover [--shift ID | --since DURATION] [--format text|md|json]
 * Exit 0 with the outcome on stdout; 1 with one line on stderr when the
 * database refuses or cannot be reached; 2 on a usage error. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "commands.h"
#include "db.h"
#include "report.h"
#include "text.h"

#define NOTE_MAX_BYTES 8000

static int usage(const char *cmd, const char *use, const char *msg)
{
	text_putline(stderr, "dcops %s: %s (usage: dcops %s)", cmd, msg, use);
	return 2;
}

static int refused(const char *cmd, const PGconn *c, const PGresult *r)
{
	struct actions_error e;
	actions_error_from(&e, c, r);
	text_putline(stderr, "dcops %s: %s", cmd, e.msg);
	return 1;
}

static PGconn *connect_for(const char *cmd, const struct dc_opts *o, bool writes)
{
	if (writes && o->readonly) {
		text_putline(stderr, "dcops %s: read-only: %s", cmd, dc_readonly_why(o));
		return NULL;
	}
	if (writes) {
		struct actions_error e;
		PGconn *c = actions_connect(o, "dcops-handover", &e);
		if (!c)
			text_putline(stderr, "dcops %s: %s", cmd, e.msg);
		return c;
	}
	struct dc_err err = {{0}};
	PGconn *c = db_connect(o, "dcops-handover", &err);
	if (!c)
		text_putline(stderr, "dcops %s: %s", cmd, err.msg);
	else
		PQclear(PQexec(c, actions_session_sql));
	return c;
}

/* Runs one shift/handover function; prints its result line. 0 or 1. */
static int call(const char *cmd, const struct dc_opts *o, const char *sql, int n, const char *const *p,
                const char *done_fmt)
{
	PGconn *c = connect_for(cmd, o, true);
	if (!c)
		return 1;
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = refused(cmd, c, r);
	else
		text_putline(stdout, done_fmt, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	PQclear(r);
	PQfinish(c);
	return rc;
}

static bool is_id(const char *s)
{
	if (!s || !*s || strlen(s) > 18)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int report_shift_cmd(const struct dc_opts *o, int argc, char **argv)
{
	static const char use[] = "shift start|end";
	if (argc != 2)
		return usage("shift", use, "wrong number of arguments");
	if (strcmp(argv[1], "start") == 0)
		return call("shift start", o, "SELECT shift_id, audit_id FROM dcops.shift_start()", 0, NULL,
		            "shift %s started (audit %s)");
	if (strcmp(argv[1], "end") == 0)
		return call("shift end", o, "SELECT shift_id, audit_id FROM dcops.shift_end()", 0, NULL,
		            "shift %s ended (audit %s)");
	return usage("shift", use, "unknown sub-command");
}

/* The note's text: the words after the options, or a file (- is stdin). */
static char *note_text(int argc, char **argv, const char *file, struct dc_err *err)
{
	if (file) {
		char *text = NULL;
		size_t len = 0;
		if (strcmp(file, "-") == 0) {
			struct sb sb = {0};
			char buf[4096];
			size_t n;
			while ((n = fread(buf, 1, sizeof buf, stdin)) > 0 && sb.len <= NOTE_MAX_BYTES)
				sb_appendn(&sb, buf, n);
			if (sb.len > NOTE_MAX_BYTES) {
				sb_free(&sb);
				dc_err_set(err, "the note is longer than %d bytes", NOTE_MAX_BYTES);
				return NULL;
			}
			return sb_take(&sb);
		}
		if (dc_read_file(file, NOTE_MAX_BYTES, &text, &len, err) < 0)
			return NULL;
		return text;
	}
	struct sb sb = {0};
	for (int i = 0; i < argc; i++) {
		if (i)
			sb_append(&sb, " ");
		sb_append(&sb, argv[i]);
	}
	return sb_take(&sb);
}

int report_handover_cmd(const struct dc_opts *o, int argc, char **argv)
{
	static const char use[] = "handover note [--shift ID] TEXT...|--file PATH  |  handover sign-off SHIFT";
	if (argc >= 2 && strcmp(argv[1], "sign-off") == 0) {
		if (argc != 3 || !is_id(argv[2]))
			return usage("handover sign-off", use, "give the shift id to sign off");
		const char *p[] = { argv[2] };
		return call("handover sign-off", o,
		            "SELECT shift_id, audit_id FROM dcops.handover_sign_off($1::bigint)", 1, p,
		            "handover of shift %s signed off (audit %s)");
	}
	if (argc < 2 || strcmp(argv[1], "note") != 0)
		return usage("handover", use, "unknown sub-command");
	static const struct option lo[] = {
		{ "shift", required_argument, NULL, 's' }, { "file", required_argument, NULL, 'f' }, { 0 },
	};
	const char *shift = NULL, *file = NULL;
	optind = 0;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc - 1, argv + 1, "+:", lo, NULL)) != -1) {
		if (ch == 's')
			shift = optarg;
		else if (ch == 'f')
			file = optarg;
		else
			return usage("handover note", use, "unknown option or missing value");
	}
	int rest = argc - 1 - optind;
	if (shift && !is_id(shift))
		return usage("handover note", use, "--shift wants a shift id");
	if ((file != NULL) == (rest > 0))
		return usage("handover note", use, "give the note as words or with --file, not both");
	struct dc_err err = {{0}};
	char *text = note_text(rest, argv + 1 + optind, file, &err);
	if (!text) {
		text_putline(stderr, "dcops handover note: %s", err.msg);
		return 1;
	}
	const char *p[] = { shift, text };
	int rc = call("handover note", o,
	              "SELECT shift_id, audit_id FROM dcops.handover_note_set($1::bigint, $2)", 2, p,
	              "handover note of shift %s saved (audit %s)");
	free(text);
	return rc;
}

int report_cmd(const struct dc_opts *o, int argc, char **argv)
{
	static const char use[] = "report handover [--shift ID | --since DURATION] [--format text|md|json]";
	static const struct option lo[] = {
		{ "shift", required_argument, NULL, 's' }, { "since", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' }, { 0 },
	};
	struct report_window w = {0};
	enum report_format fmt = REPORT_TEXT;
	struct dc_err err = {{0}};
	optind = 0;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (!is_id(optarg))
				return usage("report handover", use, "--shift wants a shift id");
			w.shift_id = strtoll(optarg, NULL, 10);
			break;
		case 'w':
			if (actions_duration_parse(optarg, &w.since_s, &err) != 0) {
				text_putline(stderr, "dcops report handover: --since: %s (usage: dcops %s)", err.msg, use);
				return 2;
			}
			break;
		case 'f':
			if (report_format_parse(optarg, &fmt) != 0)
				return usage("report handover", use, "--format is text, md or json");
			break;
		default:
			return usage("report handover", use, "unknown option or missing value");
		}
	}
	if (optind != argc)
		return usage("report handover", use, "unexpected argument");
	if (w.shift_id && w.since_s)
		return usage("report handover", use, "give --shift or --since, not both");
	PGconn *c = connect_for("report handover", o, false);
	if (!c)
		return 1;
	cJSON *rep = report_build(c, &w, &err);
	PQfinish(c);
	if (!rep) {
		text_putline(stderr, "dcops report handover: %s", err.msg);
		return 1;
	}
	report_render(stdout, rep, fmt);
	cJSON_Delete(rep);
	return 0;
}
