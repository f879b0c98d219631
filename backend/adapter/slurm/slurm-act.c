/* slurm-act.c — applies the outbox to Slurm (see slurm-act.h). Strings
 * from the database and from Slurm are data: they reach Slurm as single
 * argv elements and PostgreSQL as parameters, never as a format, a shell
 * word or SQL text. */
#include "slurm-act.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slurm-parse.h"
#include "slurm-snap.h"
#include "ssh/ssh-validate.h"
#include "text.h"

#define ACT_PER_CALL 100
#define ACT_GPUS_MAX 1000000LL             /* sane bounds of a limit */
#define ACT_GPU_MINS_MAX 1000000000000LL
#define ACT_NODE_FORMAT "NodeList:0|,StateComplete:0|,Reason:0"
#define ACT_JOB_FORMAT "%A|%T|%r|%Q"
#define ACT_JOB_ID_MAX 4294967294LL        /* Slurm's job ids are 32-bit, 0xffffffff is NO_VAL */

static const struct {
	const char *name;          /* dcops.action_kind */
	enum slurm_act_kind kind;
} kinds[] = {
	{ "drain", SLURM_ACT_DRAIN },
	{ "resume", SLURM_ACT_RESUME },
	{ "quota_set", SLURM_ACT_QUOTA },
	{ "quota_revert", SLURM_ACT_QUOTA },  /* 005_actions.sql: both apply the same way */
	{ "job_cancel", SLURM_ACT_JOB_CANCEL }, /* 040_job_actions.sql */
	{ "job_hold", SLURM_ACT_JOB_HOLD },
	{ "job_release", SLURM_ACT_JOB_RELEASE },
};

/* ---------------------------------------------------------------- text */

/* Length of the UTF-8 character at s (n bytes left); 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = utf8_decode((const char *)s, n, &cp);
	return cp == 0xfffd && len == 1 ? 0 : len;
}

/* Cuts sb back to at most max bytes at a character boundary (its content
 * is valid UTF-8); true when it cut. */
static bool utf8_cut(struct sb *sb, size_t max)
{
	if (sb->len <= max)
		return false;
	size_t keep = 0;
	for (size_t i = 0; i < sb->len;) {
		size_t len = utf8_len((const unsigned char *)sb->buf + i, sb->len - i);
		if (i + len > max)
			break;
		i += len;
		keep = i;
	}
	sb->len = keep;
	sb->buf[keep] = '\0';
	return true;
}

/* n bytes of s as valid UTF-8 without NUL: other bytes become '?'. Text
 * Slurm prints is kept as data, but PostgreSQL refuses what is not UTF-8. */
static char *utf8_clean(const char *s, size_t n, size_t max)
{
	struct sb sb = {0};
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i);
		if (len == 0 || p[i] == '\0') {
			if (p[i] != '\0')
				sb_append(&sb, "?");
			i++;
			continue;
		}
		sb_appendn(&sb, s + i, len);
		i += len;
	}
	utf8_cut(&sb, max);
	return sb_take(&sb);
}

/* s as Slurm can keep it in a reason (slurm_act_reason). */
static char *reason_clean(const char *s)
{
	struct sb sb = {0};
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	bool space = false;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i);
		bool blank = len == 1 ? p[i] <= ' ' || p[i] == 0x7f
		                      : len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0; /* C1 */
		if (blank) {
			space = sb.len > 0;
			i += len;
			continue;
		}
		if (space)
			sb_append(&sb, " ");
		space = false;
		if (len == 0)
			sb_append(&sb, "?");
		else if (p[i] == '"')
			sb_append(&sb, "'");
		else
			sb_appendn(&sb, s + i, len);
		i += len ? len : 1;
	}
	return sb_take(&sb);
}

char *slurm_act_reason(const char *operator_name, const char *reason)
{
	char *op = reason_clean(operator_name ? operator_name : "");
	char *why = reason_clean(reason ? reason : "");
	struct sb sb = {0};
	sb_appendf(&sb, "dcops %s: %s", op[0] ? op : "unknown", why);
	free(op);
	free(why);
	if (utf8_cut(&sb, SLURM_ACT_REASON_MAX - 3)) {
		while (sb.len > 0 && sb.buf[sb.len - 1] == ' ')
			sb.buf[--sb.len] = '\0';
		sb_append(&sb, "...");
	}
	return sb_take(&sb);
}

static bool blank_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", s[i]))
			return false;
	return true;
}

char *slurm_act_message(const struct slurm_out *o)
{
	const char *s = o->err;
	size_t n = o->err_len;
	if (!s || blank_only(s, n)) {
		s = o->out;
		n = o->out_len;
	}
	if (!s || blank_only(s, n))
		return xasprintf("exit status %d", o->status);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]))
		n--;
	while (n > 0 && strchr(" \t\r\n", *s)) {
		s++;
		n--;
	}
	return utf8_clean(s, n, SLURM_ACT_MSG_MAX);
}

/* ---------------------------------------------------------------- plans */

static int find_kind(const char *name)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return (int)kinds[i].kind;
	return -1;
}

/* params[key] times scale, rounded: SLURM_ACT_KEEP when absent, null or
 * equal to params.previous[key]; zero_clears: 0 is -1. Else a finite
 * number from 0 to max. */
static int limit_param(const cJSON *params, const char *key, double scale, long long max, bool zero_clears,
		int64_t *out, struct dc_err *why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(params, "previous"), key);
	*out = SLURM_ACT_KEEP;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
	    v->valuedouble * scale > (double)max)
		return dc_err_set(why, "params.%s must be a number from 0 to %lld", key, (long long)(max / scale));
	int64_t n = (int64_t)llround(v->valuedouble * scale);
	if (cJSON_IsNumber(prev) && isfinite(prev->valuedouble) && llround(prev->valuedouble * scale) == n)
		return 0;
	*out = n == 0 && zero_clears ? -1 : n;
	return 0;
}

bool slurm_act_is_job(enum slurm_act_kind k)
{
	return k == SLURM_ACT_JOB_CANCEL || k == SLURM_ACT_JOB_HOLD || k == SLURM_ACT_JOB_RELEASE;
}

/* The target of a job action: Slurm's job id in decimal, nothing else (no
 * sign, space, array suffix or leading zero). */
static int job_id_parse(const char *s, int64_t *id, struct dc_err *why)
{
	int64_t v = 0;
	size_t n = s ? strlen(s) : 0;
	bool ok = n >= 1 && n <= 10 && s[0] != '0';
	for (size_t i = 0; ok && i < n; i++) {
		ok = s[i] >= '0' && s[i] <= '9';
		v = v * 10 + (s[i] - '0');
	}
	if (!ok || v > ACT_JOB_ID_MAX)
		return dc_err_set(why, "job id refused: the target is not a Slurm job id (a decimal from 1 to %lld)",
		                  ACT_JOB_ID_MAX);
	*id = v;
	return 0;
}

int slurm_act_plan(const struct slurm_act_item *a, struct slurm_act_plan *p, struct dc_err *why)
{
	memset(p, 0, sizeof *p);
	p->gpus = p->gpu_mins = SLURM_ACT_KEEP;
	int kind = find_kind(a->kind);
	if (kind < 0)
		return dc_err_set(why, "the Slurm adapter cannot apply a '%s' action", a->kind);
	p->kind = (enum slurm_act_kind)kind;
	if (slurm_act_is_job(p->kind))
		return job_id_parse(a->target, &p->job_id, why);
	if (p->kind != SLURM_ACT_QUOTA) {
		struct dc_err bad;
		if (ssh_validate_host(a->target, &bad) < 0)
			return dc_err_set(why, "node name refused: %s", bad.msg);
		p->node = xstrdup(a->target);
		if (p->kind == SLURM_ACT_DRAIN)
			p->reason = slurm_act_reason(a->by, a->reason);
		return 0;
	}
	cJSON *params = cJSON_Parse(a->params ? a->params : "");
	int rc = 0;
	if (!cJSON_IsObject(params))
		rc = dc_err_set(why, "params is not a JSON object");
	else if (limit_param(params, "gpu_limit", 1, ACT_GPUS_MAX, false, &p->gpus, why) < 0 ||
	         limit_param(params, "gpu_hours_budget", 60, ACT_GPU_MINS_MAX, true, &p->gpu_mins, why) < 0)
		rc = -1;
	cJSON_Delete(params);
	return rc;
}

void slurm_act_plan_free(struct slurm_act_plan *p)
{
	free(p->node);
	free(p->reason);
	p->node = p->reason = NULL;
}

/* ---------------------------------------------------------------- argv */

static void cmd_add(struct slurm_act_cmd *cmd, const char *lit)
{
	int n = 0;
	while (cmd->argv[n])
		n++;
	if (n < SLURM_ACT_ARGV_MAX)
		cmd->argv[n] = lit;
}

static void cmd_addf(struct slurm_act_cmd *cmd, const char *fmt, ...) DC_PRINTF(2, 3);
static void cmd_addf(struct slurm_act_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	char tmp[1];
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	char *s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cmd->own[cmd->n_own++] = s;
	cmd_add(cmd, s);
}

static void cmd_where(struct slurm_act_cmd *cmd, const char *key, const char *account, const char *cluster)
{
	cmd_add(cmd, "where");
	cmd_addf(cmd, "%s=%s", key, account);
	if (cluster)
		cmd_addf(cmd, "cluster=%s", cluster);
}

void slurm_act_argv(const struct slurm_act_plan *p, const char *account, const char *cluster,
		struct slurm_act_cmd *cmd)
{
	memset(cmd, 0, sizeof *cmd);
	switch (p->kind) {
	case SLURM_ACT_DRAIN:
	case SLURM_ACT_RESUME:
		cmd_add(cmd, "scontrol");
		cmd_add(cmd, "update");
		cmd_addf(cmd, "NodeName=%s", p->node);
		cmd_add(cmd, p->kind == SLURM_ACT_DRAIN ? "State=DRAIN" : "State=RESUME");
		if (p->kind == SLURM_ACT_DRAIN)
			cmd_addf(cmd, "Reason=%s", p->reason);
		return;
	case SLURM_ACT_JOB_CANCEL:
		/* without -v scancel exits 0 and says nothing about a job it does not know */
		cmd_add(cmd, "scancel");
		cmd_add(cmd, "-v");
		cmd_addf(cmd, "%lld", (long long)p->job_id);
		return;
	case SLURM_ACT_JOB_HOLD:
	case SLURM_ACT_JOB_RELEASE:
		cmd_add(cmd, "scontrol");
		cmd_add(cmd, p->kind == SLURM_ACT_JOB_HOLD ? "hold" : "release");
		cmd_addf(cmd, "%lld", (long long)p->job_id);
		return;
	case SLURM_ACT_QUOTA:
		if (p->gpus == SLURM_ACT_KEEP && p->gpu_mins == SLURM_ACT_KEEP)
			return; /* storage or expiry only: nothing for Slurm */
		cmd_add(cmd, "sacctmgr");
		cmd_add(cmd, "-i");
		cmd_add(cmd, "modify");
		cmd_add(cmd, "account");
		cmd_where(cmd, "name", account, cluster);
		cmd_add(cmd, "set");
		if (p->gpus != SLURM_ACT_KEEP)
			cmd_addf(cmd, "GrpTRES=gres/gpu=%lld", (long long)p->gpus);
		if (p->gpu_mins != SLURM_ACT_KEEP)
			cmd_addf(cmd, "GrpTRESMins=gres/gpu=%lld", (long long)p->gpu_mins);
		return;
	}
}

void slurm_act_check_argv(const struct slurm_act_plan *p, const char *account, const char *cluster,
		struct slurm_act_cmd *cmd)
{
	memset(cmd, 0, sizeof *cmd);
	if (slurm_act_is_job(p->kind)) {
		/* -t all: a job that ended stays listed for MinJobAge */
		cmd_add(cmd, "squeue");
		cmd_add(cmd, "-h");
		cmd_add(cmd, "-t");
		cmd_add(cmd, "all");
		cmd_addf(cmd, "--jobs=%lld", (long long)p->job_id);
		cmd_add(cmd, "-o");
		cmd_add(cmd, ACT_JOB_FORMAT);
		return;
	}
	if (p->kind != SLURM_ACT_QUOTA) {
		cmd_add(cmd, "sinfo");
		cmd_add(cmd, "-h");
		cmd_add(cmd, "-N");
		cmd_addf(cmd, "--nodes=%s", p->node);
		cmd_add(cmd, "-O");
		cmd_add(cmd, ACT_NODE_FORMAT);
		return;
	}
	cmd_add(cmd, "sacctmgr");
	cmd_add(cmd, "-n");
	cmd_add(cmd, "-P");
	cmd_add(cmd, "show");
	if (!account) {
		cmd_add(cmd, "account");
		cmd_add(cmd, "format=" SLURM_ACCOUNT_FORMAT);
		return;
	}
	cmd_add(cmd, "assoc");
	cmd_where(cmd, "account", account, cluster);
	cmd_add(cmd, "format=" SLURM_ASSOC_FORMAT);
}

void slurm_act_cmd_free(struct slurm_act_cmd *cmd)
{
	for (int i = 0; i < cmd->n_own; i++)
		free(cmd->own[i]);
	memset(cmd, 0, sizeof *cmd);
}

int slurm_act_account_ok(const char *name, struct dc_err *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > 64)
		return dc_err_set(err, "Slurm account or cluster name must be 1 to 64 bytes");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == 0x7f || strchr(",=\"'\\", c))
			return dc_err_set(err, "Slurm account or cluster name has a character sacctmgr would "
			                       "read as syntax (byte %zu, 0x%02x)", i, c);
	}
	return 0;
}

/* ---------------------------------------------------------------- reading Slurm */

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* "mixed+drain+completing": flags after the base state. */
static void node_state(struct slurm_act_node *n, const char *s, size_t len)
{
	snprintf(n->state, sizeof n->state, "%.*s", (int)len, s);
	for (size_t i = 0, w = 0; i <= len; i++) {
		if (i < len && s[i] != '+')
			continue;
		const char *word = s + w;
		size_t wl = i - w;
		if (word_is(word, wl, "drain"))
			n->drain = true;
		if (word_is(word, wl, "completing") ||
		    (w == 0 && (word_is(word, wl, "allocated") || word_is(word, wl, "mixed"))))
			n->busy = true;
		w = i + 1;
	}
}

int slurm_act_node_parse(const char *out, size_t len, const char *node, struct slurm_act_node *n,
		struct dc_err *err)
{
	memset(n, 0, sizeof *n);
	size_t nl = strlen(node);
	for (size_t at = 0; at < len;) {
		const char *line = out + at;
		const char *end = memchr(line, '\n', len - at);
		size_t ll = end ? (size_t)(end - line) : len - at;
		at += ll + 1;
		const char *bar1 = memchr(line, '|', ll);
		const char *bar2 = bar1 ? memchr(bar1 + 1, '|', ll - (size_t)(bar1 + 1 - line)) : NULL;
		if (!bar2)
			return dc_err_set(err, "sinfo: line '%.40s' is not node|state|reason", line);
		if ((size_t)(bar1 - line) != nl || memcmp(line, node, nl) != 0)
			continue;
		n->found = true;
		node_state(n, bar1 + 1, (size_t)(bar2 - bar1 - 1));
		size_t rl = ll - (size_t)(bar2 + 1 - line);
		/* sinfo prints "none" for no reason */
		n->reason = word_is(bar2 + 1, rl, "none") ? xstrdup("") : utf8_clean(bar2 + 1, rl, 4096);
		return 0;
	}
	n->reason = xstrdup("");
	return 0;
}

void slurm_act_node_free(struct slurm_act_node *n)
{
	free(n->reason);
	n->reason = NULL;
}

bool slurm_act_node_matches(const struct slurm_act_plan *p, const struct slurm_act_node *n)
{
	if (!n->found)
		return false;
	if (p->kind == SLURM_ACT_RESUME)
		return !n->drain;
	return n->drain && strcmp(n->reason, p->reason) == 0;
}

/* squeue's %T of a job that will not run again (COMPLETING: it is ending,
 * which is also how a cancelled running job shows until its nodes let go). */
static const char *const job_ended_states[] = {
	"COMPLETING", "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
	"BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", "SPECIAL_EXIT", "REVOKED",
};

static bool job_state_ended(const char *state)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(job_ended_states); i++)
		if (strcmp(state, job_ended_states[i]) == 0)
			return true;
	return false;
}

int slurm_act_job_parse(const char *out, size_t len, int64_t job_id, struct slurm_act_job *j,
		struct dc_err *err)
{
	memset(j, 0, sizeof *j);
	char want[24];
	int wl = snprintf(want, sizeof want, "%lld", (long long)job_id);
	for (size_t at = 0; at < len;) {
		const char *line = out + at;
		const char *end = memchr(line, '\n', len - at);
		size_t ll = end ? (size_t)(end - line) : len - at;
		at += ll + 1;
		const char *bar1 = memchr(line, '|', ll);
		const char *bar2 = bar1 ? memchr(bar1 + 1, '|', ll - (size_t)(bar1 + 1 - line)) : NULL;
		const char *bar3 = NULL;
		for (const char *q = line + ll; bar2 && q > bar2 + 1 && !bar3; q--)
			if (q[-1] == '|')
				bar3 = q - 1;
		if (!bar3)
			return dc_err_set(err, "squeue: line '%.40s' is not job|state|reason|priority", line);
		if ((size_t)(bar1 - line) != (size_t)wl || memcmp(line, want, (size_t)wl) != 0)
			continue;
		char *state = utf8_clean(bar1 + 1, (size_t)(bar2 - bar1 - 1), sizeof j->state - 1);
		snprintf(j->state, sizeof j->state, "%s", state);
		free(state);
		char *reason = utf8_clean(bar2 + 1, (size_t)(bar3 - bar2 - 1), sizeof j->reason - 1);
		snprintf(j->reason, sizeof j->reason, "%s", reason);
		free(reason);
		char prio[24];
		size_t pl = ll - (size_t)(bar3 + 1 - line);
		snprintf(prio, sizeof prio, "%.*s", (int)(pl < sizeof prio ? pl : sizeof prio - 1), bar3 + 1);
		char *stop;
		j->priority = strtoll(prio, &stop, 10);
		if (prio[0] == '\0' || *stop != '\0' || j->priority < 0)
			return dc_err_set(err, "squeue: job %lld has priority '%.20s', not a number", (long long)job_id,
			                  prio);
		j->found = true;
		return 0;
	}
	return 0;
}

bool slurm_act_job_held(const struct slurm_act_job *j)
{
	return j->found && strcmp(j->state, "PENDING") == 0 &&
	       (strcmp(j->reason, "JobHeldAdmin") == 0 || strcmp(j->reason, "JobHeldUser") == 0 || j->priority == 0);
}

bool slurm_act_job_matches(const struct slurm_act_plan *p, const struct slurm_act_job *j)
{
	if (!j->found)
		return false;
	switch (p->kind) {
	case SLURM_ACT_JOB_CANCEL:
		return job_state_ended(j->state);
	case SLURM_ACT_JOB_HOLD:
		return slurm_act_job_held(j);
	case SLURM_ACT_JOB_RELEASE:
		return !slurm_act_job_held(j);
	default:
		return false;
	}
}

bool slurm_act_limits_match(const struct slurm_act_plan *p, int64_t grp_gpus, int64_t grp_gpu_mins)
{
	return (p->gpus == SLURM_ACT_KEEP || p->gpus == grp_gpus) &&
	       (p->gpu_mins == SLURM_ACT_KEEP || p->gpu_mins == grp_gpu_mins);
}

static bool ascii_caseeq(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && strncasecmp(a, b, strlen(a)) == 0;
}

const char *slurm_act_account(const struct slurm_assoc_set *s, const char *tenant, const char *tenant_en,
		struct dc_err *err)
{
	/* first rule that finds exactly one account wins */
	for (int rule = 0; rule < 3; rule++) {
		const char *hit = NULL;
		int n = 0;
		for (size_t i = 0; i < s->n_accounts; i++) {
			const struct slurm_account *a = &s->accounts[i];
			bool fits = rule == 0   ? strcmp(a->name, tenant) == 0
			            : rule == 1 ? a->description[0] && ascii_caseeq(a->description, tenant)
			                        : tenant_en && tenant_en[0] && ascii_caseeq(a->name, tenant_en);
			if (fits) {
				hit = a->name;
				n++;
			}
		}
		if (n == 1)
			return hit;
		if (n > 1)
			return dc_err_set(err, "%d Slurm accounts fit tenant %s; name the account like the tenant", n,
			                  tenant), NULL;
	}
	dc_err_set(err, "no Slurm account for tenant %s (none named so, described so%s)", tenant,
	           tenant_en && tenant_en[0] ? ", or named like its name_en" : "");
	return NULL;
}

/* ---------------------------------------------------------------- applying */

struct outcome {
	bool ok, sent;
	char *error;             /* failed: why (Slurm's message when it has one) */
	char *note;              /* applied although the command exited non-zero */
	const char *admin_state; /* drain applied: draining or drained */
	cJSON *before, *after;   /* Slurm's state, for the audit */
	cJSON *command;
};

static void outcome_free(struct outcome *o)
{
	free(o->error);
	free(o->note);
	cJSON_Delete(o->before);
	cJSON_Delete(o->after);
	cJSON_Delete(o->command);
}

static cJSON *argv_json(const struct slurm_act_cmd *cmd)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; cmd->argv[i]; i++) {
		char *s = utf8_clean(cmd->argv[i], strlen(cmd->argv[i]), 4096);
		cJSON_AddItemToArray(a, cJSON_CreateString(s));
		free(s);
	}
	return a;
}

/* Runs a read: 0 with *so filled when it exited 0; -1 otherwise (Slurm
 * cannot be read, so nothing may be decided). */
static int run_read(struct slurm_runner *r, const struct slurm_act_cmd *cmd, struct slurm_out *so,
		struct slurm_act_stats *st, struct dc_err *err)
{
	if (slurm_run(r, cmd->argv, so, err) < 0)
		return -1;
	st->slurm_ms += so->ms;
	if (so->status == 0)
		return 0;
	char *msg = slurm_act_message(so);
	dc_err_set(err, "%s: %s", cmd->argv[0], msg);
	free(msg);
	slurm_out_free(so);
	return -1;
}

static int node_read(struct slurm_runner *r, const struct slurm_act_plan *p, struct slurm_act_stats *st,
		struct slurm_act_node *n, struct dc_err *err)
{
	struct slurm_act_cmd cmd;
	struct slurm_out so;
	slurm_act_check_argv(p, NULL, NULL, &cmd);
	int rc = run_read(r, &cmd, &so, st, err);
	slurm_act_cmd_free(&cmd);
	if (rc < 0)
		return -1;
	rc = slurm_act_node_parse(so.out, so.out_len, p->node, n, err);
	slurm_out_free(&so);
	return rc;
}

static cJSON *node_json(const struct slurm_act_node *n)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "found", n->found);
	char *state = utf8_clean(n->state, strlen(n->state), sizeof n->state);
	cJSON_AddStringToObject(j, "state", state);
	cJSON_AddStringToObject(j, "reason", n->reason ? n->reason : "");
	free(state);
	return j;
}

/* Sends cmd; 0 with *msg when it ran: Slurm's message, NULL when it exited
 * 0 with nothing on stderr (scancel and scontrol hold of a job they cannot
 * act on say so on stderr and may still exit 0). */
static int send_cmd(struct slurm_runner *r, const struct slurm_act_cmd *cmd, struct slurm_act_stats *st,
		struct outcome *out, char **msg, struct dc_err *err)
{
	struct slurm_out so;
	*msg = NULL;
	out->command = argv_json(cmd);
	if (slurm_run(r, cmd->argv, &so, err) < 0)
		return -1;
	st->sent++;
	st->slurm_ms += so.ms;
	out->sent = true;
	if (so.status != 0 || (so.err && !blank_only(so.err, so.err_len)))
		*msg = slurm_act_message(&so);
	slurm_out_free(&so);
	return 0;
}

/* Slurm's state after a command decides: applied when it shows the intent
 * (a RESUME of an UNKNOWN+DRAIN node clears the drain and still exits 1),
 * else failed with Slurm's message. */
static void decide(struct outcome *out, bool matches, char *msg, const char *what)
{
	out->ok = matches;
	if (matches)
		out->note = msg;
	else
		out->error = msg ? msg : xasprintf("%s exited 0 but Slurm does not show the change", what);
}

static const char *cmd_name(const struct slurm_act_plan *p)
{
	return p->kind == SLURM_ACT_JOB_CANCEL ? "scancel" : "scontrol";
}

static int apply_node(struct slurm_runner *r, const struct slurm_act_plan *p, struct slurm_act_stats *st,
		struct outcome *out, struct dc_err *err)
{
	struct slurm_act_node n;
	if (node_read(r, p, st, &n, err) < 0)
		return -1;
	out->before = node_json(&n);
	if (!slurm_act_node_matches(p, &n)) {
		slurm_act_node_free(&n);
		struct slurm_act_cmd cmd;
		char *msg;
		slurm_act_argv(p, NULL, NULL, &cmd);
		int rc = send_cmd(r, &cmd, st, out, &msg, err);
		slurm_act_cmd_free(&cmd);
		if (rc < 0 || node_read(r, p, st, &n, err) < 0) {
			free(msg);
			return -1;
		}
		decide(out, slurm_act_node_matches(p, &n), msg, "scontrol");
	} else {
		out->ok = true;
		st->already++;
	}
	out->after = node_json(&n);
	out->admin_state = n.busy ? "draining" : "drained";
	slurm_act_node_free(&n);
	return 0;
}

/* The job as squeue shows it. A job Slurm does not know (or one that ended
 * longer than MinJobAge ago) makes squeue exit 1 with "Invalid job id
 * specified": that is not found, and the command Slurm is then given says
 * why in its own words. */
static int job_read(struct slurm_runner *r, const struct slurm_act_plan *p, struct slurm_act_stats *st,
		struct slurm_act_job *j, struct dc_err *err)
{
	struct slurm_act_cmd cmd;
	struct slurm_out so;
	slurm_act_check_argv(p, NULL, NULL, &cmd);
	int rc = slurm_run(r, cmd.argv, &so, err);
	slurm_act_cmd_free(&cmd);
	if (rc < 0)
		return -1;
	st->slurm_ms += so.ms;
	if (so.status == 0) {
		rc = slurm_act_job_parse(so.out, so.out_len, p->job_id, j, err);
	} else {
		char *msg = slurm_act_message(&so);
		memset(j, 0, sizeof *j);
		if (!strstr(msg, "Invalid job id"))
			rc = dc_err_set(err, "squeue: %s", msg);
		free(msg);
	}
	slurm_out_free(&so);
	return rc;
}

static cJSON *job_json(const struct slurm_act_job *j)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "found", j->found);
	cJSON_AddStringToObject(o, "state", j->state);
	cJSON_AddStringToObject(o, "reason", j->reason);
	cJSON_AddNumberToObject(o, "priority", (double)j->priority);
	return o;
}

/* Why a job action that Slurm took quietly did not take (scontrol exits 0
 * and prints nothing for a job it leaves as it was). */
static char *job_unchanged(const struct slurm_act_plan *p, const struct slurm_act_job *j)
{
	if (!j->found)
		return xasprintf("%s exited 0 but squeue does not know job %lld", cmd_name(p), (long long)p->job_id);
	return xasprintf("%s exited 0 but squeue shows job %lld %s (%s, priority %lld)", cmd_name(p),
	                 (long long)p->job_id, j->state, j->reason, (long long)j->priority);
}

/* Reads the job, sends the command unless Slurm already shows the intent,
 * reads again: a hold of a running job or a cancel of an unknown one is
 * failed with what scontrol or scancel said. */
static int apply_job(struct slurm_runner *r, const struct slurm_act_plan *p, struct slurm_act_stats *st,
		struct outcome *out, struct dc_err *err)
{
	struct slurm_act_job j;
	if (job_read(r, p, st, &j, err) < 0)
		return -1;
	out->before = job_json(&j);
	if (slurm_act_job_matches(p, &j)) {
		out->ok = true;
		st->already++;
	} else if (p->kind == SLURM_ACT_JOB_HOLD && j.found && strcmp(j.state, "PENDING") != 0) {
		/* scontrol would take it quietly: the job runs on at priority 0,
		 * marked JobHeldAdmin, and a requeue would leave it held */
		out->error = xasprintf("job %lld is %s in Slurm: only a pending job can be held; nothing sent",
		                       (long long)p->job_id, j.state);
	} else {
		struct slurm_act_cmd cmd;
		char *msg;
		slurm_act_argv(p, NULL, NULL, &cmd);
		int rc = send_cmd(r, &cmd, st, out, &msg, err);
		slurm_act_cmd_free(&cmd);
		if (rc < 0 || job_read(r, p, st, &j, err) < 0) {
			free(msg);
			return -1;
		}
		if (!msg && !slurm_act_job_matches(p, &j))
			msg = job_unchanged(p, &j);
		decide(out, slurm_act_job_matches(p, &j), msg, cmd_name(p));
	}
	out->after = job_json(&j);
	return 0;
}

/* The account's own association's limits (-1 when none is set, or when
 * Slurm has no such account: sacctmgr then says so itself when asked to
 * change it, as scontrol does for an unknown node). */
static int limits_read(struct slurm_runner *r, const struct slurm_act_plan *p, const char *account,
		const char *cluster, struct slurm_act_stats *st, int64_t *gpus, int64_t *mins, struct dc_err *err)
{
	struct slurm_act_cmd cmd;
	struct slurm_out so;
	struct slurm_assoc_set set = {0};
	slurm_act_check_argv(p, account, cluster, &cmd);
	int rc = run_read(r, &cmd, &so, st, err);
	slurm_act_cmd_free(&cmd);
	if (rc < 0)
		return -1;
	rc = slurm_parse_assocs(so.out, so.out_len, NULL, 0, &set, err);
	slurm_out_free(&so);
	if (rc < 0)
		return -1;
	const struct slurm_assoc *a = slurm_find_account_assoc(&set, account);
	*gpus = a ? a->grp_gpus : -1;
	*mins = a ? a->grp_gpu_mins : -1;
	slurm_assoc_set_free(&set);
	return 0;
}

/* Slurm's account for the action's tenant into *account; 0 with
 * out->error set when there is none. */
static int account_find(struct slurm_runner *r, const struct slurm_act_plan *p,
		const struct slurm_act_item *a, struct slurm_act_stats *st, struct outcome *out, char **account,
		struct dc_err *err)
{
	struct slurm_act_cmd cmd;
	struct slurm_out so;
	struct slurm_assoc_set set = {0};
	struct dc_err why;
	*account = NULL;
	slurm_act_check_argv(p, NULL, NULL, &cmd);
	int rc = run_read(r, &cmd, &so, st, err);
	slurm_act_cmd_free(&cmd);
	if (rc < 0)
		return -1;
	rc = slurm_parse_assocs("", 0, so.out, so.out_len, &set, err);
	slurm_out_free(&so);
	if (rc < 0)
		return -1;
	const char *name = slurm_act_account(&set, a->target, a->tenant_en, &why);
	if (name && slurm_act_account_ok(name, &why) == 0)
		*account = xstrdup(name);
	else
		out->error = xstrdup(why.msg);
	slurm_assoc_set_free(&set);
	return 0;
}

static cJSON *limits_json(const char *account, int64_t gpus, int64_t mins)
{
	cJSON *j = cJSON_CreateObject();
	char *acc = utf8_clean(account, strlen(account), 256);
	cJSON_AddStringToObject(j, "account", acc);
	free(acc);
	cJSON_AddNumberToObject(j, "grp_tres_gpu", (double)gpus);
	cJSON_AddNumberToObject(j, "grp_tres_mins_gpu", (double)mins);
	return j;
}

/* Reads the limits, sends the change unless Slurm has it, reads again. */
static int quota_limits(struct slurm_runner *r, const struct slurm_act_plan *p, const char *account,
		const char *cluster, struct slurm_act_stats *st, struct outcome *out, struct dc_err *err)
{
	int64_t gpus, mins;
	if (limits_read(r, p, account, cluster, st, &gpus, &mins, err) < 0)
		return -1;
	out->before = limits_json(account, gpus, mins);
	if (slurm_act_limits_match(p, gpus, mins)) {
		out->ok = true;
		st->already++;
	} else {
		struct slurm_act_cmd cmd;
		char *msg;
		slurm_act_argv(p, account, cluster, &cmd);
		int rc = send_cmd(r, &cmd, st, out, &msg, err);
		slurm_act_cmd_free(&cmd);
		if (rc < 0 || limits_read(r, p, account, cluster, st, &gpus, &mins, err) < 0) {
			free(msg);
			return -1;
		}
		decide(out, slurm_act_limits_match(p, gpus, mins), msg, "sacctmgr");
	}
	out->after = limits_json(account, gpus, mins);
	return 0;
}

static int apply_quota(struct slurm_runner *r, const struct slurm_act_plan *p, const struct slurm_act_item *a,
		const struct slurm_act_opts *o, struct slurm_act_stats *st, struct outcome *out, struct dc_err *err)
{
	if (p->gpus == SLURM_ACT_KEEP && p->gpu_mins == SLURM_ACT_KEEP) {
		out->ok = true; /* storage and expiry stay in dcops's tables */
		return 0;
	}
	char *account = NULL;
	struct dc_err why;
	if (a->account && a->account[0]) {
		if (slurm_act_account_ok(a->account, &why) == 0)
			account = xstrdup(a->account);
		else
			out->error = xstrdup(why.msg);
	} else if (account_find(r, p, a, st, out, &account, err) < 0) {
		return -1;
	}
	int rc = account ? quota_limits(r, p, account, o ? o->cluster : NULL, st, out, err) : 0;
	free(account);
	return rc;
}

/* ---------------------------------------------------------------- recording */

static int sql_ok(PGconn *c, PGresult *res, ExecStatusType want, const char *what, struct dc_err *err)
{
	int rc = 0;
	if (PQresultStatus(res) != want)
		rc = dc_err_set(err, "%s: %s", what, PQerrorMessage(c));
	PQclear(res);
	return rc;
}

static int sql_exec(PGconn *c, const char *sql, const char *what, int n, const char *const *params,
		struct dc_err *err)
{
	return sql_ok(c, PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0), PGRES_COMMAND_OK, what, err);
}

static const char SQL_NODE_DRAINED[] =
	"UPDATE dcops.node n SET admin_state = $2::dcops.admin_state, drain_reason = $3, drained_by = $4, "
	"drained_at = now(), resume_after = (SELECT (a.params->>'resume_after')::timestamptz "
	"FROM dcops.actions a WHERE a.id = $5::bigint) WHERE n.name = $1";
static const char SQL_NODE_RESUMED[] =
	"UPDATE dcops.node n SET admin_state = 'active', drain_reason = NULL, drained_by = NULL, "
	"drained_at = NULL, resume_after = NULL WHERE n.name = $1";
/* quota_set keeps the limits it replaced for its revert (quota_revert_due);
 * a revert leaves none. */
static const char SQL_QUOTA[] =
	"UPDATE dcops.quota x SET "
	"prev_values = CASE WHEN a.kind = 'quota_set' THEN a.params->'previous' END, "
	"gpu_limit = coalesce((a.params->>'gpu_limit')::numeric::integer, x.gpu_limit), "
	"gpu_hours_budget = coalesce((a.params->>'gpu_hours_budget')::numeric, x.gpu_hours_budget), "
	"storage_tb = coalesce((a.params->>'storage_tb')::numeric, x.storage_tb), "
	"expires_at = (a.params->>'expires_at')::timestamptz "
	"FROM dcops.actions a WHERE a.id = $1::bigint AND x.tenant_id::text = a.params->>'tenant_id'";

/* The dcops row the action changes (the node's admin state, the quota).
 * A quota that cannot be written fails the action under a savepoint, so
 * one bad row cannot hold the outbox. */
static int record_effect(PGconn *c, const struct slurm_act_item *a, const struct slurm_act_plan *p,
		struct outcome *out, struct dc_err *err)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", a->id);
	if (slurm_act_is_job(p->kind))
		return 0; /* dcops.job follows Slurm: the next poll reads the job's new state */
	if (p->kind == SLURM_ACT_DRAIN) {
		/* the operator's words, as typed: Slurm's copy carries "dcops
		 * <operator>: " for sinfo -R, which the console shows apart */
		const char *v[] = { a->target, out->admin_state, a->reason, a->by, id };
		return sql_exec(c, SQL_NODE_DRAINED, "recording the drain", 5, v, err);
	}
	if (p->kind == SLURM_ACT_RESUME) {
		const char *v[] = { a->target };
		return sql_exec(c, SQL_NODE_RESUMED, "recording the resume", 1, v, err);
	}
	if (sql_exec(c, "SAVEPOINT slurm_act_quota", "savepoint", 0, NULL, err) < 0)
		return -1;
	const char *v[] = { id };
	PGresult *res = PQexecParams(c, SQL_QUOTA, 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		return 0;
	}
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	out->ok = false;
	out->error = xasprintf("Slurm has the new limits but dcops.quota could not take them: %s",
	                       m ? m : PQerrorMessage(c));
	PQclear(res);
	return sql_exec(c, "ROLLBACK TO SAVEPOINT slurm_act_quota", "rollback to savepoint", 0, NULL, err);
}

static char *json_text(cJSON *j)
{
	return j ? cJSON_PrintUnformatted(j) : NULL;
}

static int record_audit(PGconn *c, const struct slurm_act_item *a, struct outcome *out, struct dc_err *err)
{
	char action[48];
	snprintf(action, sizeof action, "%s.%s", a->kind, out->ok ? "applied" : "failed");
	cJSON *after = out->after ? cJSON_Duplicate(out->after, true) : cJSON_CreateObject();
	cJSON_AddNumberToObject(after, "action_id", (double)a->id);
	cJSON_AddBoolToObject(after, "sent", out->sent);
	if (out->command)
		cJSON_AddItemToObject(after, "command", cJSON_Duplicate(out->command, true));
	if (out->note)
		cJSON_AddStringToObject(after, "slurm_message", out->note);
	char *before = json_text(out->before), *aft = json_text(after);
	const char *v[] = { action, a->target, before, aft, out->ok ? a->reason : out->error };
	int rc = sql_ok(c, PQexecParams(c, "SELECT dcops.adapter_audit($1, left($2, 200), $3::jsonb, $4::jsonb, "
	                                   "left($5, 2000))", 5, NULL, v, NULL, NULL, 0),
	                PGRES_TUPLES_OK, "auditing the action", err);
	cJSON_free(before);
	cJSON_free(aft);
	cJSON_Delete(after);
	return rc;
}

static int record(PGconn *c, const struct slurm_act_item *a, const struct slurm_act_plan *p,
		struct outcome *out, struct dc_err *err)
{
	if (out->ok && record_effect(c, a, p, out, err) < 0)
		return -1;
	char id[24];
	snprintf(id, sizeof id, "%lld", a->id);
	const char *v[] = { id, out->ok ? "applied" : "failed", out->ok ? NULL : out->error };
	PGresult *res = PQexecParams(c, "UPDATE dcops.actions SET status = $2::dcops.action_status, error = $3, "
	                                "applied_at = now() WHERE id = $1::bigint AND status = 'pending'",
	                             3, NULL, v, NULL, NULL, 0);
	bool one = PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(res), "1") == 0;
	if (sql_ok(c, res, PGRES_COMMAND_OK, "recording the outcome", err) < 0)
		return -1;
	if (!one)
		return dc_err_set(err, "action %lld was no longer pending when its outcome was recorded", a->id);
	return record_audit(c, a, out, err);
}

/* ---------------------------------------------------------------- the outbox */

/* to_jsonb(t): tenant.slurm_account comes with the reading side's
 * migration; through JSON this reads it where it exists and '' before. */
static const char SQL_NEXT[] =
	"SELECT a.id, a.kind::text, a.target, a.params::text, a.reason, a.requested_by, "
	"coalesce(t.name_en, ''), coalesce(to_jsonb(t)->>'slurm_account', '') FROM dcops.actions a "
	"LEFT JOIN dcops.tenant t ON a.kind IN ('quota_set', 'quota_revert') "
	"AND t.id::text = a.params->>'tenant_id' "
	"WHERE a.status = 'pending' ORDER BY a.id LIMIT 1 FOR UPDATE OF a SKIP LOCKED";

/* "action 12 drain gwj-h100-001: failed: <Slurm's message>", escaped by
 * the script output rule (text.h): the log is read on a terminal. */
static void log_outcome(const struct slurm_act_opts *o, const struct slurm_act_item *a, const struct outcome *out)
{
	if (!o || !o->log)
		return;
	struct sb line = {0};
	sb_appendf(&line, "action %lld %s ", a->id, a->kind);
	text_escape(&line, a->target);
	sb_append(&line, out->ok ? (out->sent ? ": applied" : ": applied (Slurm had it already)") : ": failed: ");
	if (!out->ok)
		text_escape(&line, out->error);
	o->log(o->log_arg, line.buf);
	sb_free(&line);
}

static int apply(struct slurm_runner *r, const struct slurm_act_item *a, const struct slurm_act_opts *o,
		struct slurm_act_stats *st, PGconn *c, struct dc_err *err)
{
	struct slurm_act_plan p;
	struct outcome out = {0};
	struct dc_err why;
	int rc = 0;
	if (slurm_act_plan(a, &p, &why) < 0)
		out.error = xstrdup(why.msg);
	else if (p.kind == SLURM_ACT_QUOTA)
		rc = apply_quota(r, &p, a, o, st, &out, err);
	else if (slurm_act_is_job(p.kind))
		rc = apply_job(r, &p, st, &out, err);
	else
		rc = apply_node(r, &p, st, &out, err);
	if (rc == 0)
		rc = record(c, a, &p, &out, err);
	if (rc == 0) {
		st->applied += out.ok;
		st->failed += !out.ok;
		log_outcome(o, a, &out);
	}
	slurm_act_plan_free(&p);
	outcome_free(&out);
	return rc;
}

/* One action in one transaction: 1 when one was recorded, 0 when none is
 * pending, -1 when it stays pending. */
static int act_next(struct slurm_runner *r, PGconn *c, const struct slurm_act_opts *o,
		struct slurm_act_stats *st, struct dc_err *err)
{
	if (sql_exec(c, "BEGIN", "BEGIN", 0, NULL, err) < 0)
		return -1;
	PGresult *res = PQexec(c, SQL_NEXT);
	int rc;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = dc_err_set(err, "reading the outbox: %s", PQerrorMessage(c));
	} else if (PQntuples(res) == 0) {
		rc = 0;
	} else {
		struct slurm_act_item a = {
			.id = atoll(PQgetvalue(res, 0, 0)), .kind = PQgetvalue(res, 0, 1),
			.target = PQgetvalue(res, 0, 2), .params = PQgetvalue(res, 0, 3),
			.reason = PQgetvalue(res, 0, 4), .by = PQgetvalue(res, 0, 5),
			.tenant_en = PQgetvalue(res, 0, 6), .account = PQgetvalue(res, 0, 7),
		};
		rc = apply(r, &a, o, st, c, err) < 0 ? -1 : 1;
		if (rc < 0) {
			char keep[sizeof err->msg];
			snprintf(keep, sizeof keep, "%s", err->msg);
			dc_err_set(err, "action %lld (%s %s) stays pending: %s", a.id, a.kind, a.target, keep);
		}
	}
	PQclear(res);
	if (rc >= 0 && sql_exec(c, "COMMIT", "COMMIT", 0, NULL, err) < 0)
		rc = -1;
	if (rc < 0)
		PQclear(PQexec(c, "ROLLBACK"));
	return rc;
}

static int queue_reverts(PGconn *c, struct slurm_act_stats *st, struct dc_err *err)
{
	PGresult *res = PQexec(c, "SELECT count(*) FROM dcops.quota_revert_due()");
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		st->reverts_queued += atoi(PQgetvalue(res, 0, 0));
	return sql_ok(c, res, PGRES_TUPLES_OK, "queueing expired quota reverts", err);
}

int slurm_act_outbox(struct slurm_runner *r, PGconn *c, const struct slurm_act_opts *o,
		struct slurm_act_stats *st, struct dc_err *err)
{
	struct slurm_act_stats none = {0};
	if (!st)
		st = &none;
	if (o && o->cluster && slurm_act_account_ok(o->cluster, err) < 0)
		return -1;
	if (queue_reverts(c, st, err) < 0)
		return -1;
	int max = o && o->max_actions > 0 ? o->max_actions : ACT_PER_CALL;
	for (int i = 0; i < max; i++) {
		int rc = act_next(r, c, o, st, err);
		if (rc <= 0)
			return rc;
	}
	return 0;
}
