/* cmdline.c — line editing, filters, `:` commands and completion. */
#include "cmdline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

void line_set(struct line *l, const char *s)
{
	snprintf(l->buf, sizeof l->buf, "%s", s);
	l->len = strlen(l->buf);
	/* never leave half a character behind a cut */
	while (l->len > 0) {
		size_t start = l->len - 1;
		while (start > 0 && ((unsigned char)l->buf[start] & 0xC0) == 0x80)
			start--;
		uint32_t cp;
		if (utf8_decode(l->buf + start, l->len - start, &cp) == l->len - start)
			break;
		l->len = start;
	}
	l->buf[l->len] = '\0';
}

bool line_insert(struct line *l, uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
		return false;
	char enc[4];
	size_t n = utf8_encode(cp, enc);
	if (l->len + n + 1 > sizeof l->buf)
		return false;
	memcpy(l->buf + l->len, enc, n);
	l->len += n;
	l->buf[l->len] = '\0';
	return true;
}

void line_backspace(struct line *l)
{
	while (l->len > 0) {
		l->len--;
		if (((unsigned char)l->buf[l->len] & 0xC0) != 0x80)
			break;
	}
	l->buf[l->len] = '\0';
}

void line_kill_word(struct line *l)
{
	while (l->len > 0 && l->buf[l->len - 1] == ' ')
		l->len--;
	while (l->len > 0 && l->buf[l->len - 1] != ' ')
		l->len--;
	l->buf[l->len] = '\0';
}

/* Case-insensitive (ASCII) substring search; Hangul has no case. */
static bool contains_ci(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	if (nl == 0)
		return true;
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < nl && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == nl)
			return true;
	}
	return false;
}

static bool prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (tolower((unsigned char)*s) != tolower((unsigned char)*prefix))
			return false;
	return true;
}

static const struct command {
	const char *name;
	const char *aliases[3];
	enum cmd_verb verb;
	enum cmd_arg arg;
	bool arg_required;
	const char *usage;
	const char *help;
} commands[] = {
	{ "nodes", { "n", "node" }, CMD_NODES, ARG_NONE, false,
	  ":nodes", "Nodes view" },
	{ "jobs", { "j", "job" }, CMD_JOBS, ARG_PARTITION, false,
	  ":jobs [PARTITION]", "jobs of a partition (or the queues)" },
	{ "queues", { "queue", "qu" }, CMD_QUEUES, ARG_NONE, false,
	  ":queues", "Queues view" },
	{ "tenants", { "ts" }, CMD_TENANTS, ARG_NONE, false,
	  ":tenants", "Tenants view" },
	{ "tenant", { "t" }, CMD_TENANT, ARG_TENANT, true,
	  ":tenant NAME", "one tenant's quota, budget and jobs" },
	{ "incidents", { "i", "inc" }, CMD_INCIDENTS, ARG_NONE, false,
	  ":incidents", "Incidents view" },
	{ "audit", { "a", "log" }, CMD_AUDIT, ARG_TEXT, false,
	  ":audit [by:WHO] [node:N] [tenant:T] [since:2h] [WORDS]",
	  "Audit view, filtered: who did what, why, before → after" },
	{ "handover", { "ho", "shift" }, CMD_HANDOVER, ARG_NONE, false,
	  ":handover", "Handover view: the shift, open incidents, nodes out, the note" },
	{ "drill", { "drills", "dr" }, CMD_DRILL, ARG_TEXT, false,
	  ":drill [SCENARIO]", "Drills view (on the named scenario)" },
	{ "theme", { "colors" }, CMD_THEME, ARG_THEME, true,
	  ":theme NAME", "switch the colour theme now" },
	{ "quit", { "q", "exit" }, CMD_QUIT, ARG_NONE, false,
	  ":quit", "quit dcops" },
	{ "help", { "h" }, CMD_HELP, ARG_NONE, false,
	  ":help", "the help screen" },
	{ "diag", { "diagnostics" }, CMD_DIAG, ARG_NODE, true,
	  ":diag NODE", "diagnostics on a node over SSH (the same menu as d in a node's detail)" },
	{ "sites", { 0 }, CMD_SITES, ARG_NONE, false,
	  ":sites", "Sites view (with --sites): every site's state, what needs attention first" },
	{ "site", { 0 }, CMD_SITE, ARG_SITE, true,
	  ":site NAME", "make the site NAME current: every view shows it (with --sites)" },
	{ "db", { "link", "conn" }, CMD_DB, ARG_NONE, false,
	  ":db", "the database link: which server the data comes from, primary or standby, where writes go" },
};

static const struct command *command_find(const char *word, size_t n)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(commands); i++) {
		const struct command *c = &commands[i];
		if (strlen(c->name) == n && strncmp(c->name, word, n) == 0)
			return c;
		for (size_t a = 0; a < DC_ARRAY_LEN(c->aliases) && c->aliases[a]; a++)
			if (strlen(c->aliases[a]) == n && strncmp(c->aliases[a], word, n) == 0)
				return c;
	}
	return NULL;
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

int cmdline_parse(const char *line, struct cmd_parsed *out, struct dc_err *err)
{
	const char *s = skip_spaces(line);
	if (*s == ':')
		s = skip_spaces(s + 1);
	size_t wn = strcspn(s, " ");
	if (wn == 0)
		return dc_err_set(err, "empty command (try :help)");
	const struct command *c = command_find(s, wn);
	if (!c)
		return dc_err_set(err, "unknown command ':%.*s' (try :help)", (int)wn, s);
	const char *arg = skip_spaces(s + wn);
	size_t an = strlen(arg);
	while (an > 0 && arg[an - 1] == ' ')
		an--;
	if (an && c->arg == ARG_NONE)
		return dc_err_set(err, ":%s takes no argument (usage: %s)", c->name, c->usage);
	if (!an && c->arg_required)
		return dc_err_set(err, ":%s needs an argument (usage: %s)", c->name, c->usage);
	out->verb = c->verb;
	snprintf(out->arg, sizeof out->arg, "%.*s", (int)an, arg);
	return 0;
}

struct cands {
	const char *prefix;
	bool substring;
	char **v;
	size_t n, cap;
};

static void cand_add(void *acc, const char *name)
{
	struct cands *c = acc;
	bool hit = c->substring ? contains_ci(name, c->prefix) : prefix_ci(name, c->prefix);
	if (!hit)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], name) == 0)
			return;
	c->v = xgrow(c->v, &c->cap, c->n + 1, sizeof *c->v);
	c->v[c->n++] = xstrdup(name);
}

static int cand_cmp(const void *a, const void *b)
{
	return text_natcmp(*(char *const *)a, *(char *const *)b);
}

static void cands_free(struct cands *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

static void command_names(void *ud, enum cmd_arg kind, void (*add)(void *acc, const char *name),
                          void *acc)
{
	(void)ud;
	(void)kind;
	for (size_t i = 0; i < DC_ARRAY_LEN(commands); i++)
		add(acc, commands[i].name);
}

/* Common prefix of all candidates, cut back to a whole character. */
static size_t common_prefix(struct cands *c)
{
	size_t n = strlen(c->v[0]);
	for (size_t i = 1; i < c->n; i++) {
		size_t k = 0;
		while (k < n && c->v[i][k] && tolower((unsigned char)c->v[i][k]) ==
		                              tolower((unsigned char)c->v[0][k]))
			k++;
		n = k;
	}
	while (n > 0 && ((unsigned char)c->v[0][n] & 0xC0) == 0x80)
		n--;
	return n;
}

void cmdline_complete(struct line *l, cmd_lister list, void *ud, char *hint, size_t hintsz)
{
	hint[0] = '\0';
	const char *s = skip_spaces(l->buf);
	size_t wn = strcspn(s, " ");
	bool in_arg = s[wn] == ' ';
	const struct command *cmd = in_arg ? command_find(s, wn) : NULL;
	if (in_arg && (!cmd || cmd->arg == ARG_NONE))
		return;
	if (in_arg && cmd->arg == ARG_TEXT) {
		snprintf(hint, hintsz, "%s", cmd->usage);
		return;
	}
	struct cands c = { .prefix = in_arg ? skip_spaces(s + wn) : s };
	cmd_lister lister = in_arg ? list : command_names;
	enum cmd_arg kind = in_arg ? cmd->arg : ARG_NONE;
	lister(ud, kind, cand_add, &c);
	if (c.n == 0 && in_arg) {
		c.substring = true;
		lister(ud, kind, cand_add, &c);
	}
	if (c.n == 0) {
		snprintf(hint, hintsz, "no match");
		return;
	}
	qsort(c.v, c.n, sizeof *c.v, cand_cmp);
	char head[256];
	snprintf(head, sizeof head, "%.*s", in_arg ? (int)wn : 0, s);
	char done[512];
	if (c.n == 1) {
		const struct command *one = in_arg ? NULL : command_find(c.v[0], strlen(c.v[0]));
		snprintf(done, sizeof done, "%s%s%s%s", head, in_arg ? " " : "", c.v[0],
		         one && one->arg != ARG_NONE ? " " : "");
		line_set(l, done);
	} else {
		size_t cp = common_prefix(&c);
		/* substring matches share no typed prefix: keep what was typed */
		if (!c.substring && cp > strlen(c.prefix)) {
			snprintf(done, sizeof done, "%s%s%.*s", head, in_arg ? " " : "", (int)cp, c.v[0]);
			line_set(l, done);
		}
		size_t o = 0;
		for (size_t i = 0; i < c.n && o + 1 < hintsz; i++) {
			int w = snprintf(hint + o, hintsz - o, "%s%s", i ? "  " : "", c.v[i]);
			if (w < 0)
				break;
			o += (size_t)w;
		}
		if (o >= hintsz)
			hint[hintsz - 1] = '\0';
	}
	cands_free(&c);
}

void cmdline_help(struct sb *out)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(commands); i++) {
		const struct command *c = &commands[i];
		sb_appendf(out, "\t%s", c->usage);
		for (size_t a = 0; a < DC_ARRAY_LEN(c->aliases) && c->aliases[a]; a++)
			sb_appendf(out, "%s:%s", a ? " " : " (", c->aliases[a]);
		sb_appendf(out, "%s\t%s\n", c->aliases[0] ? ")" : "", c->help);
	}
}
