/* cli-actions.c — the script commands for operator actions:
 *   dcops drain NODE... --reason TEXT [--incident ID] [--resume-after DUR]
 *                       [--override] [--expect-version N]...
 *   dcops resume NODE... --reason TEXT [--expect-version N]...
 *   dcops quota set TENANT gpus=N|gpu_hours=N|storage_tb=N... --reason TEXT
 *                       [--expires DUR] [--expect-version N]
 *   dcops incident open|ack|assign|sev|note|link|resolve ...
 *   dcops job cancel|hold|release JOBID --reason TEXT
 *   dcops actions [--pending] [--limit N]
 *   dcops audit [--operator X] [--node N] [--tenant T] [--since DUR] [--limit N]
 * Exit 0 with what was recorded on stdout; 1 with one line on stderr when
 * the database refuses (or cannot be reached); 2 on a usage error. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "commands.h"
#include "db.h"
#include "text.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 10000

/* Every option any of these commands takes; each command lists the ones
 * it accepts by their letters. */
static const struct option cli_opts[] = {
	{ "reason", required_argument, NULL, 'r' },
	{ "incident", required_argument, NULL, 'i' },
	{ "resume-after", required_argument, NULL, 'a' },
	{ "override", no_argument, NULL, 'o' },
	{ "expect-version", required_argument, NULL, 'e' },
	{ "expires", required_argument, NULL, 'x' },
	{ "sev", required_argument, NULL, 's' },
	{ "title", required_argument, NULL, 't' },
	{ "impact", required_argument, NULL, 'I' },
	{ "summary", required_argument, NULL, 'S' },
	{ "node", required_argument, NULL, 'n' },
	{ "tenant", required_argument, NULL, 'T' },
	{ "operator", required_argument, NULL, 'O' },
	{ "since", required_argument, NULL, 'w' },
	{ "pending", no_argument, NULL, 'p' },
	{ "limit", required_argument, NULL, 'l' },
	/* hidden: a caller-made key, so a script (or the fault tests) can
	 * resend a call whose outcome it never saw */
	{ "idempotency-key", required_argument, NULL, 'K' },
	{ 0 },
};

/* How each refusal kind is introduced on the one line a script sees. */
static const char *const refusal_words[] = {
	[ACTIONS_E_FAILED] = "failed",
	[ACTIONS_E_LOST] = "no database",
	[ACTIONS_E_FORBIDDEN] = "not allowed",
	[ACTIONS_E_CONFLICT] = "conflict",
	[ACTIONS_E_UNKNOWN] = "unknown",
	[ACTIONS_E_STATE] = "refused",
	[ACTIONS_E_INVALID] = "invalid",
	[ACTIONS_E_KEY_REUSED] = "refused",
	[ACTIONS_E_BUSY] = "busy, try again",
	[ACTIONS_E_TIMEOUT] = "timed out",
	[ACTIONS_E_READONLY] = "read-only",
};

struct cmd_def {
	const char *name;      /* as shown in messages: "drain", "incident ack" */
	const char *opts;      /* letters of cli_opts it accepts */
	const char *usage;
};

/* Parsed options. Strings point into argv. */
struct cli_args {
	const char *reason, *incident, *resume_after, *expires, *sev, *title, *impact;
	const char *summary, *operator_, *since, *limit, *key;
	bool override, pending;
	const char **expect;   /* --expect-version values */
	size_t n_expect;
	const char **nodes;    /* --node values */
	size_t n_nodes;
	const char **tenants;  /* --tenant values */
	size_t n_tenants;
	char **pos;            /* positional words */
	int n_pos;
};

static void args_free(struct cli_args *a)
{
	free(a->expect);
	free(a->nodes);
	free(a->tenants);
}

static int usage(const struct cmd_def *d, const char *fmt, ...) DC_PRINTF(2, 3);
static int usage(const struct cmd_def *d, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	text_putline(stderr, "dcops %s: %s (usage: dcops %s)", d->name, msg, d->usage);
	return 2;
}

static int refused(const struct cmd_def *d, const struct actions_error *e)
{
	text_putline(stderr, "dcops %s: %s: %s", d->name, refusal_words[e->kind], e->msg);
	return 1;
}

static void args_push(const char ***v, size_t *n, const char *s, int argc)
{
	if (!*v)
		*v = xcalloc((size_t)argc + 1, sizeof **v);
	(*v)[(*n)++] = s;
}

/* 0, or a usage error's exit status. */
static int args_parse(const struct cmd_def *d, int argc, char **argv, struct cli_args *a)
{
	memset(a, 0, sizeof *a);
	optind = 0; /* GNU: start a fresh scan of this argv */
	opterr = 0;
	int ch, li = -1;
	while ((ch = getopt_long(argc, argv, ":", cli_opts, &li)) != -1) {
		if (ch == '?' && optopt)
			return usage(d, "unknown option '-%c' (a name starting with '-' goes after '--')", optopt);
		if (ch == '?')
			return usage(d, "unknown option '%s'", argv[optind - 1]);
		if (ch == ':')
			return usage(d, "option '%s' needs a value", argv[optind - 1]);
		if (!strchr(d->opts, ch))
			return usage(d, "option '--%s' does not apply here", cli_opts[li].name);
		switch (ch) {
		case 'r': a->reason = optarg; break;
		case 'i': a->incident = optarg; break;
		case 'a': a->resume_after = optarg; break;
		case 'o': a->override = true; break;
		case 'e': args_push(&a->expect, &a->n_expect, optarg, argc); break;
		case 'x': a->expires = optarg; break;
		case 's': a->sev = optarg; break;
		case 't': a->title = optarg; break;
		case 'I': a->impact = optarg; break;
		case 'S': a->summary = optarg; break;
		case 'n': args_push(&a->nodes, &a->n_nodes, optarg, argc); break;
		case 'T': args_push(&a->tenants, &a->n_tenants, optarg, argc); break;
		case 'O': a->operator_ = optarg; break;
		case 'w': a->since = optarg; break;
		case 'p': a->pending = true; break;
		case 'l': a->limit = optarg; break;
		case 'K': a->key = optarg; break;
		default: return usage(d, "unexpected option");
		}
	}
	a->pos = argv + optind;
	a->n_pos = argc - optind;
	return 0;
}

/* A whole decimal number in [lo, hi]; -1 otherwise. */
static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	int64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > hi / 10 || v * 10 > hi - (*s - '0'))
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < lo)
		return -1;
	*out = v;
	return 0;
}

/* A plain decimal amount ("12", "12.5"), no signs or exponents; -1 otherwise. */
static int parse_amount(const char *s, double *out)
{
	size_t digits = 0, dots = 0, len = strlen(s);
	for (const char *p = s; *p; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			return -1;
	}
	if (digits == 0 || dots > 1 || len > 15)
		return -1;
	*out = strtod(s, NULL);
	return 0;
}

/* now + a duration option, or 0 when the option is absent. */
static int parse_deadline(const struct cmd_def *d, const char *opt, const char *v, int64_t *out)
{
	*out = 0;
	if (!v)
		return 0;
	int64_t secs;
	struct dc_err err = {{0}};
	if (actions_duration_parse(v, &secs, &err) != 0)
		return usage(d, "%s: %s", opt, err.msg);
	*out = (int64_t)time(NULL) + secs;
	return 0;
}

static int parse_versions(const struct cmd_def *d, const struct cli_args *a, size_t n, int64_t **out)
{
	*out = NULL;
	if (a->n_expect == 0)
		return 0;
	if (a->n_expect != n)
		return usage(d, "give one --expect-version per node (%zu for %zu)", a->n_expect, n);
	*out = xcalloc(n, sizeof **out);
	for (size_t i = 0; i < n; i++)
		if (parse_int(a->expect[i], 0, INT64_MAX, &(*out)[i]) != 0) {
			free(*out);
			*out = NULL;
			return usage(d, "--expect-version: '%.40s' is not a version number", a->expect[i]);
		}
	return 0;
}

/* actions_call_init, then the caller's --idempotency-key in place of the
 * random one (the server checks its characters). 0, or an exit status. */
static int call_init(const struct cmd_def *d, const struct cli_args *a, struct actions_call *c)
{
	struct dc_err err = {{0}};
	if (a->key && (strlen(a->key) < 8 || strlen(a->key) > ACTIONS_KEY_LEN))
		return usage(d, "--idempotency-key: 8 to %d characters", ACTIONS_KEY_LEN);
	if (actions_call_init(c, &err) != 0) {
		text_putline(stderr, "dcops %s: failed: %s", d->name, err.msg);
		return 1;
	}
	if (a->key)
		snprintf(c->key, sizeof c->key, "%s", a->key);
	return 0;
}

/* Sends the call (one same-key retry on a lost connection); prints the
 * refusal line on failure. 0 or 1. */
static int run_call(const struct cmd_def *d, const struct dc_opts *o, const struct actions_call *c,
                    struct actions_result *res)
{
	if (o->readonly) {
		text_putline(stderr, "dcops %s: read-only: %s", d->name, dc_readonly_why(o));
		return 1;
	}
	PGconn *conn = NULL;
	struct actions_error e;
	int rc = actions_run(&conn, o, c, res, &e);
	PQfinish(conn);
	return rc == 0 ? 0 : refused(d, &e);
}

static void print_recorded(const struct actions_result *res, const char *what)
{
	text_putline(stdout, "%s%s (audit %lld)", res->replayed ? "already recorded by an earlier try: " : "",
	             what, (long long)res->audit_id);
}

/* ---------------------------------------------------------------- drain, resume */

static const struct cmd_def drain_def = {
	"drain", "riaoeK",
	"drain NODE... --reason TEXT [--incident ID] [--resume-after DURATION] [--override] "
	"[--expect-version N]...",
};
static const struct cmd_def resume_def = {
	"resume", "reK", "resume NODE... --reason TEXT [--expect-version N]...",
};

static int nodes_cmd(const struct cmd_def *d, const struct dc_opts *o, int argc, char **argv)
{
	struct cli_args a;
	int64_t *versions = NULL;
	struct actions_nodes_req req = {0};
	int rc = args_parse(d, argc, argv, &a);
	if (rc == 0 && a.n_pos < 1)
		rc = usage(d, "name at least one node");
	if (rc == 0 && !a.reason)
		rc = usage(d, "--reason is required");
	if (rc == 0 && a.incident && parse_int(a.incident, 1, INT64_MAX, &req.incident_id) != 0)
		rc = usage(d, "--incident: '%.40s' is not an incident id", a.incident);
	if (rc == 0)
		rc = parse_deadline(d, "--resume-after", a.resume_after, &req.resume_after);
	if (rc == 0)
		rc = parse_versions(d, &a, (size_t)a.n_pos, &versions);
	if (rc != 0) {
		args_free(&a);
		return rc;
	}
	req.nodes = (const char *const *)a.pos;
	req.n_nodes = (size_t)a.n_pos;
	req.expected = versions;
	req.reason = a.reason;
	req.override = a.override;

	struct actions_call c = {0};
	struct actions_result res;
	rc = call_init(d, &a, &c);
	if (rc == 0) {
		if (d == &drain_def)
			actions_call_drain(&c, &req);
		else
			actions_call_resume(&c, &req);
		rc = run_call(d, o, &c, &res);
	}
	if (rc == 0) {
		struct sb sb = {0};
		sb_appendf(&sb, "%s recorded:", d->name);
		for (size_t i = 0; i < res.n_action_ids && i < req.n_nodes; i++)
			sb_appendf(&sb, "%s %s = action %lld", i ? "," : "", req.nodes[i],
			           (long long)res.action_ids[i]);
		sb_append(&sb, "; pending until the adapter applies it");
		print_recorded(&res, sb.buf);
		sb_free(&sb);
		actions_result_free(&res);
	}
	actions_call_free(&c);
	free(versions);
	args_free(&a);
	return rc;
}

int actions_drain_cmd(const struct dc_opts *o, int argc, char **argv)
{
	return nodes_cmd(&drain_def, o, argc, argv);
}

int actions_resume_cmd(const struct dc_opts *o, int argc, char **argv)
{
	return nodes_cmd(&resume_def, o, argc, argv);
}

/* ---------------------------------------------------------------- quota set */

static const struct cmd_def quota_def = {
	"quota set", "rxeK",
	"quota set TENANT gpus=N|gpu_hours=N|storage_tb=N... --reason TEXT [--expires DURATION] "
	"[--expect-version N]",
};

/* The KEY=VALUE words of `quota set`. */
enum quota_field { QF_GPUS, QF_GPU_HOURS, QF_STORAGE };
static const struct quota_key {
	const char *key;
	enum quota_field field;
} quota_keys[] = {
	{ "gpus", QF_GPUS }, { "gpu_hours", QF_GPU_HOURS }, { "storage_tb", QF_STORAGE },
};

static int quota_word(const char *w, struct actions_quota_req *req)
{
	const char *eq = strchr(w, '=');
	if (!eq)
		return usage(&quota_def, "'%.40s' is not KEY=VALUE (gpus, gpu_hours, storage_tb)", w);
	size_t k = 0;
	while (k < DC_ARRAY_LEN(quota_keys) &&
	       (strlen(quota_keys[k].key) != (size_t)(eq - w) ||
	        strncmp(quota_keys[k].key, w, (size_t)(eq - w)) != 0))
		k++;
	if (k == DC_ARRAY_LEN(quota_keys))
		return usage(&quota_def, "unknown quota key '%.*s' (gpus, gpu_hours, storage_tb)",
		             (int)(eq - w > 40 ? 40 : eq - w), w);
	const char *v = eq + 1;
	int64_t n;
	double amount;
	switch (quota_keys[k].field) {
	case QF_GPUS:
		if (req->gpu_limit != ACTIONS_UNCHANGED || parse_int(v, 0, 1000000, &n) != 0)
			return usage(&quota_def, "gpus: '%.40s' is not a GPU count (or given twice)", v);
		req->gpu_limit = n;
		break;
	case QF_GPU_HOURS:
		if (req->gpu_hours != ACTIONS_UNCHANGED || parse_amount(v, &amount) != 0)
			return usage(&quota_def, "gpu_hours: '%.40s' is not an amount (or given twice)", v);
		req->gpu_hours = amount;
		break;
	case QF_STORAGE:
		if (req->storage_tb != ACTIONS_UNCHANGED || parse_amount(v, &amount) != 0)
			return usage(&quota_def, "storage_tb: '%.40s' is not an amount (or given twice)", v);
		req->storage_tb = amount;
		break;
	}
	return 0;
}

int actions_quota_cmd(const struct dc_opts *o, int argc, char **argv)
{
	const struct cmd_def *d = &quota_def;
	struct cli_args a;
	struct actions_quota_req req = {
		.gpu_limit = ACTIONS_UNCHANGED, .gpu_hours = ACTIONS_UNCHANGED,
		.storage_tb = ACTIONS_UNCHANGED, .expected = ACTIONS_NO_VERSION,
	};
	int rc = args_parse(d, argc, argv, &a);
	if (rc == 0 && a.n_pos < 2)
		rc = usage(d, "name a tenant and at least one KEY=VALUE");
	if (rc == 0 && !a.reason)
		rc = usage(d, "--reason is required");
	for (int i = 1; rc == 0 && i < a.n_pos; i++)
		rc = quota_word(a.pos[i], &req);
	if (rc == 0)
		rc = parse_deadline(d, "--expires", a.expires, &req.expires_at);
	if (rc == 0 && a.n_expect > 1)
		rc = usage(d, "--expect-version is given once for a quota");
	if (rc == 0 && a.n_expect == 1 && parse_int(a.expect[0], 0, INT64_MAX, &req.expected) != 0)
		rc = usage(d, "--expect-version: '%.40s' is not a version number", a.expect[0]);
	if (rc != 0) {
		args_free(&a);
		return rc;
	}
	req.tenant = a.pos[0];
	req.reason = a.reason;

	struct actions_call c;
	struct actions_result res;
	rc = call_init(d, &a, &c);
	if (rc != 0) {
		args_free(&a);
		return rc;
	}
	actions_call_quota(&c, &req);
	rc = run_call(d, o, &c, &res);
	if (rc == 0) {
		char what[128];
		snprintf(what, sizeof what, "quota change recorded: action %lld; pending until the adapter "
		         "applies it", res.n_action_ids ? (long long)res.action_ids[0] : 0LL);
		print_recorded(&res, what);
		actions_result_free(&res);
	}
	actions_call_free(&c);
	args_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- incidents */

/* npos: positional words after the sub-command (ID, OWNER, SEV ...);
 * -1: ID then free text, joined. */
static const struct incident_sub {
	struct cmd_def def;
	enum actions_verb verb;
	int npos;
	const char *done;   /* printed as "incident N <done>" */
} incident_subs[] = {
	{ { "incident open", "stInT", "incident open --sev N --title TEXT [--impact TEXT] [--node N]... "
	    "[--tenant T]..." }, ACTIONS_INCIDENT_OPEN, 0, "opened" },
	{ { "incident ack", "e", "incident ack ID [--expect-version N]" },
	  ACTIONS_INCIDENT_ACK, 1, "acknowledged" },
	{ { "incident assign", "e", "incident assign ID OPERATOR [--expect-version N]" },
	  ACTIONS_INCIDENT_ASSIGN, 2, "assigned" },
	{ { "incident sev", "re", "incident sev ID SEV --reason TEXT [--expect-version N]" },
	  ACTIONS_INCIDENT_SEV, 2, "severity changed" },
	{ { "incident note", "", "incident note ID TEXT..." }, ACTIONS_INCIDENT_NOTE, -1, "note added" },
	{ { "incident link", "nT", "incident link ID [--node N]... [--tenant T]..." },
	  ACTIONS_INCIDENT_LINK, 1, "linked" },
	{ { "incident resolve", "Se", "incident resolve ID --summary TEXT [--expect-version N]" },
	  ACTIONS_INCIDENT_RESOLVE, 1, "resolved" },
};

static const struct cmd_def incident_def = {
	"incident", "", "incident open|ack|assign|sev|note|link|resolve ...",
};

/* Fills req from the parsed words; 0 or a usage status. note receives
 * the joined note text (the caller frees it). */
static int incident_req(const struct incident_sub *s, const struct cli_args *a,
                        struct actions_incident_req *req, struct sb *note)
{
	const struct cmd_def *d = &s->def;
	int want = s->npos < 0 ? 2 : s->npos;
	if (s->npos >= 0 ? a->n_pos != want : a->n_pos < want)
		return usage(d, "wrong number of arguments");
	req->expected = ACTIONS_NO_VERSION;
	if (s->verb != ACTIONS_INCIDENT_OPEN && parse_int(a->pos[0], 1, INT64_MAX, &req->id) != 0)
		return usage(d, "'%.40s' is not an incident id", a->pos[0]);
	if (a->n_expect > 1 || (a->n_expect == 1 && parse_int(a->expect[0], 0, INT64_MAX, &req->expected) != 0))
		return usage(d, "--expect-version takes one version number");
	int64_t sev = 0;
	const char *sev_text = s->verb == ACTIONS_INCIDENT_OPEN ? a->sev
	                     : s->verb == ACTIONS_INCIDENT_SEV ? a->pos[1] : NULL;
	if (s->verb == ACTIONS_INCIDENT_OPEN && (!a->sev || !a->title))
		return usage(d, "--sev and --title are required");
	if (sev_text && parse_int(sev_text, 1, 5, &sev) != 0)
		return usage(d, "severity '%.40s' is not 1 to 5", sev_text);
	req->sev = (int)sev;
	switch (s->verb) {
	case ACTIONS_INCIDENT_OPEN:
		req->text = a->title;
		req->impact = a->impact;
		break;
	case ACTIONS_INCIDENT_ASSIGN:
		req->owner = a->pos[1];
		break;
	case ACTIONS_INCIDENT_SEV:
		if (!a->reason)
			return usage(d, "--reason is required");
		req->text = a->reason;
		break;
	case ACTIONS_INCIDENT_NOTE:
		for (int i = 1; i < a->n_pos; i++)
			sb_appendf(note, "%s%s", i > 1 ? " " : "", a->pos[i]);
		req->text = note->buf;
		break;
	case ACTIONS_INCIDENT_LINK:
		if (a->n_nodes + a->n_tenants == 0)
			return usage(d, "give --node or --tenant");
		break;
	case ACTIONS_INCIDENT_RESOLVE:
		if (!a->summary)
			return usage(d, "--summary is required");
		req->text = a->summary;
		break;
	default:
		break;
	}
	req->nodes = a->nodes;
	req->n_nodes = a->n_nodes;
	req->tenants = a->tenants;
	req->n_tenants = a->n_tenants;
	return 0;
}

int actions_incident_cmd(const struct dc_opts *o, int argc, char **argv)
{
	if (argc < 2)
		return usage(&incident_def, "name a sub-command");
	const struct incident_sub *s = NULL;
	for (size_t i = 0; i < DC_ARRAY_LEN(incident_subs); i++)
		if (strcmp(argv[1], incident_subs[i].def.name + strlen("incident ")) == 0)
			s = &incident_subs[i];
	if (!s)
		return usage(&incident_def, "unknown sub-command '%.40s'", argv[1]);
	struct cli_args a;
	struct actions_incident_req req = {0};
	struct sb note = {0};
	int rc = args_parse(&s->def, argc - 1, argv + 1, &a);
	if (rc == 0)
		rc = incident_req(s, &a, &req, &note);
	struct actions_call c = {0};
	struct actions_result res;
	struct dc_err err = {{0}};
	if (rc == 0 && actions_call_init(&c, &err) != 0) {
		text_putline(stderr, "dcops %s: failed: %s", s->def.name, err.msg);
		rc = 1;
	}
	if (rc == 0) {
		actions_call_incident(&c, s->verb, &req);
		rc = run_call(&s->def, o, &c, &res);
	}
	if (rc == 0) {
		char what[96];
		snprintf(what, sizeof what, "incident %lld %s", (long long)res.incident_id, s->done);
		print_recorded(&res, what);
		actions_result_free(&res);
	}
	actions_call_free(&c);
	sb_free(&note);
	args_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- jobs */

static const struct job_sub {
	struct cmd_def def;
	enum actions_verb verb;
	const char *done;   /* printed as "job N <done> = action M" */
} job_subs[] = {
	{ { "job cancel", "rK", "job cancel JOBID --reason TEXT" }, ACTIONS_JOB_CANCEL, "cancel recorded" },
	{ { "job hold", "rK", "job hold JOBID --reason TEXT" }, ACTIONS_JOB_HOLD, "hold recorded" },
	{ { "job release", "rK", "job release JOBID --reason TEXT" }, ACTIONS_JOB_RELEASE, "release recorded" },
};

static const struct cmd_def job_def = { "job", "", "job cancel|hold|release JOBID --reason TEXT" };

int actions_job_cmd(const struct dc_opts *o, int argc, char **argv)
{
	if (argc < 2)
		return usage(&job_def, "name a sub-command");
	const struct job_sub *s = NULL;
	for (size_t i = 0; i < DC_ARRAY_LEN(job_subs); i++)
		if (strcmp(argv[1], job_subs[i].def.name + strlen("job ")) == 0)
			s = &job_subs[i];
	if (!s)
		return usage(&job_def, "unknown sub-command '%.40s'", argv[1]);
	struct cli_args a;
	struct actions_job_req req = {0};
	int rc = args_parse(&s->def, argc - 1, argv + 1, &a);
	if (rc == 0 && a.n_pos != 1)
		rc = usage(&s->def, "name one job id");
	if (rc == 0 && parse_int(a.pos[0], 1, INT64_MAX, &req.job) != 0)
		rc = usage(&s->def, "'%.40s' is not a job id", a.pos[0]);
	if (rc == 0 && !a.reason)
		rc = usage(&s->def, "--reason is required");
	req.reason = a.reason;
	struct actions_call c = {0};
	struct actions_result res;
	if (rc == 0)
		rc = call_init(&s->def, &a, &c);
	if (rc == 0) {
		actions_call_job(&c, s->verb, &req);
		rc = run_call(&s->def, o, &c, &res);
	}
	if (rc == 0) {
		char what[128];
		snprintf(what, sizeof what, "job %lld %s = action %lld; pending until the adapter applies it",
		         (long long)req.job, s->done, (long long)(res.n_action_ids ? res.action_ids[0] : 0));
		print_recorded(&res, what);
		actions_result_free(&res);
	}
	actions_call_free(&c);
	args_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- listings */

static const struct cmd_def list_def = {
	"actions", "pl", "actions [--pending] [--limit N]",
};
static const struct cmd_def audit_def = {
	"audit", "OnTwl", "audit [--operator X] [--node N] [--tenant T] [--since DURATION] [--limit N]",
};

/* Prints each row as tab-separated fields, each made inert (text.h):
 * no field can hold a tab or a newline, so the columns stay columns. */
static void print_rows(const PGresult *r)
{
	struct sb line = {0};
	for (int i = 0; i < PQntuples(r); i++) {
		sb_clear(&line);
		for (int j = 0; j < PQnfields(r); j++) {
			if (j)
				sb_append(&line, "\t");
			text_escape(&line, PQgetvalue(r, i, j));
		}
		printf("%s\n", line.buf);
	}
	sb_free(&line);
}

static int run_listing(const struct cmd_def *d, const struct dc_opts *o, const struct actions_query *q,
                       const char *header)
{
	struct dc_err err = {{0}};
	PGconn *c = db_connect(o, "dcops-actions", &err);
	if (!c) {
		text_putline(stderr, "dcops %s: no database: %s", d->name, err.msg);
		return 1;
	}
	PGresult *r = db_exec(c, &err, q->sql, q->nparams, (const char *const *)q->params);
	if (!r) {
		text_putline(stderr, "dcops %s: failed: %s", d->name, err.msg);
		PQfinish(c);
		return 1;
	}
	printf("%s\n", header);
	print_rows(r);
	PQclear(r);
	PQfinish(c);
	return 0;
}

static int parse_limit(const struct cmd_def *d, const char *v, int *out)
{
	int64_t n = LIST_LIMIT_DEFAULT;
	if (v && parse_int(v, 1, LIST_LIMIT_MAX, &n) != 0)
		return usage(d, "--limit: '%.40s' is not 1 to %d", v, LIST_LIMIT_MAX);
	*out = (int)n;
	return 0;
}

int actions_list_cmd(const struct dc_opts *o, int argc, char **argv)
{
	struct cli_args a;
	int limit = 0;
	int rc = args_parse(&list_def, argc, argv, &a);
	if (rc == 0 && a.n_pos > 0)
		rc = usage(&list_def, "unexpected argument '%.40s'", a.pos[0]);
	if (rc == 0)
		rc = parse_limit(&list_def, a.limit, &limit);
	if (rc == 0) {
		struct actions_query q = {0};
		actions_query_list(&q, a.pending, limit);
		rc = run_listing(&list_def, o, &q,
		                 "id\trequested_at\trequested_by\tkind\ttarget\tstatus\treason\terror");
		actions_query_free(&q);
	}
	args_free(&a);
	return rc;
}

int actions_audit_cmd(const struct dc_opts *o, int argc, char **argv)
{
	struct cli_args a;
	struct actions_audit_filter f = {0};
	int rc = args_parse(&audit_def, argc, argv, &a);
	if (rc == 0 && a.n_pos > 0)
		rc = usage(&audit_def, "unexpected argument '%.40s'", a.pos[0]);
	if (rc == 0 && (a.n_nodes > 1 || a.n_tenants > 1))
		rc = usage(&audit_def, "--node and --tenant are given at most once");
	if (rc == 0)
		rc = parse_limit(&audit_def, a.limit, &f.limit);
	if (rc == 0 && a.since) {
		struct dc_err err = {{0}};
		if (actions_duration_parse(a.since, &f.since_s, &err) != 0)
			rc = usage(&audit_def, "--since: %s", err.msg);
	}
	if (rc == 0) {
		f.actor = a.operator_;
		f.node = a.n_nodes ? a.nodes[0] : NULL;
		f.tenant = a.n_tenants ? a.tenants[0] : NULL;
		struct actions_query q = {0};
		actions_query_audit(&q, &f);
		rc = run_listing(&audit_def, o, &q,
		                 "id\tts\tactor\tclient\taction\ttarget\treason\tbefore\tafter\tsite");
		actions_query_free(&q);
	}
	args_free(&a);
	return rc;
}
