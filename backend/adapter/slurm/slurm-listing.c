/* slurm-listing.c — the text forms Slurm 22.05 leaves (see slurm-listing.h):
 * `scontrol -o show partition` Key=Value words, and the -P listings of
 * sacctmgr and sshare, by header or by the FORMAT order. */
#include "slurm-listing.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm-parse.h"
#include "slurm-text.h"

/* `scontrol -o show partition`: one partition per line, Key=Value words;
 * without -o the words of one partition span lines: each PartitionName=
 * starts a new one either way. */
struct kv {
	const char *name, *nodes, *state, *tres, *cpus, *total_nodes;
};

static int part_from_kv(struct slurm_rd *c, struct kv *kv, struct slurm_partition *p)
{
	int64_t v;
	p->name = slurm_arena_strdup(c->a, kv->name);
	p->nodes = slurm_arena_strdup(c->a, kv->nodes && strcmp(kv->nodes, "(null)") ? kv->nodes : "");
	p->total_cpus = p->total_nodes = -1;
	if (kv->cpus && (v = strtoll(kv->cpus, NULL, 10)) >= 0 && v <= INT32_MAX)
		p->total_cpus = (int)v;
	if (kv->total_nodes && (v = strtoll(kv->total_nodes, NULL, 10)) >= 0 && v <= INT32_MAX)
		p->total_nodes = (int)v;
	return slurm_rd_partition(c, p, kv->tres ? kv->tres : "", kv->state ? kv->state : "");
}

static int part_flush(struct slurm_rd *c, struct kv *kv, struct slurm_rd_grow *g, size_t line)
{
	if (!kv->name)
		return 0;
	snprintf(c->where, sizeof c->where, "line %zu", line);
	struct slurm_partition *p = slurm_rd_grow_next(g);
	if (!p)
		return slurm_rd_fail(c, "", "too many partitions");
	int rc = part_from_kv(c, kv, p);
	memset(kv, 0, sizeof *kv);
	return rc;
}

static void part_kv_set(struct kv *kv, const char *key, const char *val)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "PartitionName", offsetof(struct kv, name) },
		{ "Nodes", offsetof(struct kv, nodes) },
		{ "State", offsetof(struct kv, state) },
		{ "TRES", offsetof(struct kv, tres) },
		{ "TotalCPUs", offsetof(struct kv, cpus) },
		{ "TotalNodes", offsetof(struct kv, total_nodes) },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(keys); i++)
		if (strcmp(key, keys[i].key) == 0)
			*(const char **)((char *)kv + keys[i].off) = val;
}

int slurm_listing_partitions(const char *text, size_t len, struct slurm_part_set *s, struct dc_err *err)
{
	struct slurm_rd c = { .src = "scontrol show partition", .err = err, .a = &s->arena, .shape = SLURM_SHAPE_NONE };
	if (len > SLURM_INPUT_MAX)
		return dc_err_set(err, "%s: output is %zu bytes, more than the %zu allowed", c.src, len,
			SLURM_INPUT_MAX);
	if (memchr(text, '\0', len))
		return dc_err_set(err, "%s: output holds a NUL byte", c.src);
	char *copy = xstrndup(text, len), *p = copy;
	struct slurm_partition *items = NULL;
	struct slurm_rd_grow g = { (void **)&items, 0, 0, sizeof *items };
	struct kv kv = { 0 };
	size_t line = 1, start = 1;
	int rc = 0;
	while (rc == 0) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			line += *p++ == '\n';
		if (!*p)
			break;
		char *tok = p;
		size_t tok_line = line;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (*p) {
			line += *p == '\n';
			*p++ = '\0';
		}
		char *eq = strchr(tok, '=');
		if (!eq) {
			char q[200];
			rc = dc_err_set(err, "%s: line %zu: \"%s\" is not Key=Value", c.src, tok_line,
				slurm_quote(tok, q, sizeof q));
			break;
		}
		*eq = '\0';
		if (strcmp(tok, "PartitionName") == 0) {
			rc = part_flush(&c, &kv, &g, start);
			start = tok_line;
		} else if (!kv.name) {
			rc = dc_err_set(err, "%s: line %zu: expected PartitionName= first", c.src, tok_line);
		}
		part_kv_set(&kv, tok, eq + 1);
	}
	if (rc == 0)
		rc = part_flush(&c, &kv, &g, start);
	s->items = slurm_rd_to_arena(&s->arena, items, g.n, sizeof *items);
	s->n = g.n;
	free(copy);
	return rc;
}

/* sacctmgr and sshare -P (or -p) listings. A header line names the
 * columns ("Par Name" is ParentName, "Descr" the description); without one
 * (-n) the columns are in the FORMAT order of slurm-parse.h. */
enum col { COL_ACCOUNT, COL_USER, COL_PARTITION, COL_PARENT, COL_GRPTRES, COL_GRPTRESMINS,
	COL_GRPTRESRUNMINS, COL_DESCR, COL_ORG, COL_RAW, COL_N };
static const char *const col_headers[COL_N] = {
	[COL_ACCOUNT] = "Account", [COL_USER] = "User", [COL_PARTITION] = "Partition",
	[COL_PARENT] = "Par Name", [COL_GRPTRES] = "GrpTRES", [COL_GRPTRESMINS] = "GrpTRESMins",
	[COL_GRPTRESRUNMINS] = "GrpTRESRunMins", [COL_DESCR] = "Descr", [COL_ORG] = "Org",
	[COL_RAW] = "GrpTRESRaw",
};
/* The names format= takes, where the header says it another way. */
static const char *const col_aliases[COL_N] = { [COL_PARENT] = "ParentName", [COL_DESCR] = "Description",
	[COL_ORG] = "Organization" };
#define FIELDS_MAX 64

struct listing {
	int idx[COL_N];          /* field of each column, -1 when absent */
	size_t ncols;
	bool started;            /* past the header, or first line had none */
	int free_text;           /* the column that may itself hold '|', -1 none */
	struct slurm_rd_grow rows;
	int (*row)(struct slurm_rd *, struct listing *, char **f);
};

static const char *field(const struct listing *l, char **f, enum col c)
{
	return l->idx[c] >= 0 ? f[l->idx[c]] : "";
}

static int listing_line(struct slurm_rd *c, char *line, size_t lineno, void *arg)
{
	struct listing *l = arg;
	char *f[FIELDS_MAX + 1];
	size_t n = 0;
	(void)lineno;
	f[n++] = line;
	for (char *p = line; *p; p++)
		if (*p == '|') {
			if (n > FIELDS_MAX)
				return slurm_rd_fail(c, "", "more than 64 fields");
			*p = '\0';
			f[n++] = p + 1;
		}
	if (!l->started) {
		l->started = true;
		for (size_t i = 0; i < n; i++)
			if (strcmp(f[i], "Account") == 0) {
				for (int k = 0; k < COL_N; k++)
					l->idx[k] = -1;
				for (size_t h = 0; h < n; h++)
					for (int k = 0; k < COL_N; k++)
						if (strcmp(f[h], col_headers[k]) == 0 ||
						    (col_aliases[k] && strcmp(f[h], col_aliases[k]) == 0))
							l->idx[k] = (int)h;
				l->ncols = n - (n > 1 && !f[n - 1][0]);
				return 0;
			}
	}
	if (n == l->ncols + 1 && !f[n - 1][0])
		n--;  /* -p ends each line with '|' */
	int ft = l->free_text >= 0 ? l->idx[l->free_text] : -1;
	if (n > l->ncols && ft >= 0) {
		/* rejoin the free text's own '|'s */
		size_t extra = n - l->ncols;
		for (size_t k = 1; k <= extra; k++)
			f[ft + (int)k][-1] = '|';
		for (size_t k = (size_t)ft + 1; k + extra < n; k++)
			f[k] = f[k + extra];
		n = l->ncols;
	}
	if (n != l->ncols) {
		char m[96];
		snprintf(m, sizeof m, "expected %zu fields separated by '|', got %zu", l->ncols, n);
		return slurm_rd_fail(c, "", m);
	}
	return l->row(c, l, f);
}

static int listing_parse(struct slurm_rd *c, const char *text, size_t len, struct listing *l)
{
	return slurm_rd_lines(c, text, len, listing_line, l);
}

static int assoc_row(struct slurm_rd *c, struct listing *l, char **f)
{
	struct slurm_assoc *a = slurm_rd_grow_next(&l->rows);
	if (!a)
		return slurm_rd_fail(c, "", "too many lines");
	a->account = slurm_arena_strdup(c->a, field(l, f, COL_ACCOUNT));
	a->user = slurm_arena_strdup(c->a, field(l, f, COL_USER));
	a->partition = slurm_arena_strdup(c->a, field(l, f, COL_PARTITION));
	a->parent_account = slurm_arena_strdup(c->a, field(l, f, COL_PARENT));
	if (!a->account[0])
		return slurm_rd_fail(c, "Account", "empty");
	if (slurm_rd_tres_gpus(c, "GrpTRES", field(l, f, COL_GRPTRES), &a->grp_gpus) < 0 ||
	    slurm_rd_tres_gpus(c, "GrpTRESMins", field(l, f, COL_GRPTRESMINS), &a->grp_gpu_mins) < 0 ||
	    slurm_rd_tres_gpus(c, "GrpTRESRunMins", field(l, f, COL_GRPTRESRUNMINS), &a->grp_gpu_run_mins) < 0)
		return -1;
	return 0;
}

static int account_row(struct slurm_rd *c, struct listing *l, char **f)
{
	struct slurm_account *a = slurm_rd_grow_next(&l->rows);
	if (!a)
		return slurm_rd_fail(c, "", "too many lines");
	a->name = slurm_arena_strdup(c->a, field(l, f, COL_ACCOUNT));
	a->organization = slurm_arena_strdup(c->a, field(l, f, COL_ORG));
	a->description = slurm_arena_strdup(c->a, field(l, f, COL_DESCR));
	if (!a->name[0])
		return slurm_rd_fail(c, "Account", "empty");
	return 0;
}

/* sshare: account rows (no user) with the GPU-minutes used. */
struct usage_row {
	char *account;
	int64_t gpu_mins;
};

static int usage_row(struct slurm_rd *c, struct listing *l, char **f)
{
	const char *user = field(l, f, COL_USER), *acct = field(l, f, COL_ACCOUNT);
	if (user[0])
		return 0;
	while (*acct == ' ')
		acct++;   /* sshare indents accounts by depth */
	struct usage_row *u = slurm_rd_grow_next(&l->rows);
	if (!u)
		return slurm_rd_fail(c, "", "too many lines");
	u->account = slurm_arena_strdup(c->a, acct);
	return slurm_rd_tres_gpus(c, "GrpTRESRaw", field(l, f, COL_RAW), &u->gpu_mins);
}

static void listing_init(struct listing *l, void **items, size_t size, const int *order, size_t n,
		int free_text, int (*row)(struct slurm_rd *, struct listing *, char **))
{
	memset(l, 0, sizeof *l);
	for (int k = 0; k < COL_N; k++)
		l->idx[k] = -1;
	for (size_t i = 0; i < n; i++)
		l->idx[order[i]] = (int)i;
	l->ncols = n;
	l->free_text = free_text;
	l->rows = (struct slurm_rd_grow){ items, 0, 0, size };
	l->row = row;
}

int slurm_parse_sshare(const char *text, size_t len, struct slurm_assoc_set *set, struct dc_err *err)
{
	static const int order[] = { COL_ACCOUNT, COL_USER, COL_RAW };
	struct slurm_arena scratch = { 0 };
	struct slurm_rd c = { .src = "sshare", .err = err, .a = &scratch, .shape = SLURM_SHAPE_NONE };
	struct usage_row *rows = NULL;
	struct listing l;
	listing_init(&l, (void **)&rows, sizeof *rows, order, DC_ARRAY_LEN(order), -1, usage_row);
	int rc = listing_parse(&c, text, len, &l);
	if (rc == 0 && l.idx[COL_RAW] < 0)
		rc = dc_err_set(err, "sshare: no GrpTRESRaw column");
	for (size_t i = 0; rc == 0 && i < set->n_accounts; i++) {
		set->gpu_mins_used[i] = -1;
		for (size_t k = 0; k < l.rows.n; k++)
			if (strcmp(rows[k].account, set->accounts[i].name) == 0)
				set->gpu_mins_used[i] = rows[k].gpu_mins;
	}
	free(rows);
	slurm_arena_free(&scratch);
	return rc;
}

int slurm_listing_assocs(struct slurm_rd *c, const char *text, size_t len, struct slurm_assoc_set *s)
{
	static const int order[] = { COL_ACCOUNT, COL_USER, COL_PARTITION, COL_PARENT, COL_GRPTRES,
		COL_GRPTRESMINS, COL_GRPTRESRUNMINS };
	struct slurm_assoc *items = NULL;
	struct listing l;
	listing_init(&l, (void **)&items, sizeof *items, order, DC_ARRAY_LEN(order), -1, assoc_row);
	int rc = listing_parse(c, text, len, &l);
	s->items = slurm_rd_to_arena(&s->arena, items, l.rows.n, sizeof *items);
	s->n = l.rows.n;
	return rc;
}

int slurm_listing_accounts(struct slurm_rd *c, const char *text, size_t len, struct slurm_assoc_set *s)
{
	static const int order[] = { COL_ACCOUNT, COL_ORG, COL_DESCR };
	struct slurm_account *items = NULL;
	struct listing l;
	listing_init(&l, (void **)&items, sizeof *items, order, DC_ARRAY_LEN(order), COL_DESCR, account_row);
	int rc = listing_parse(c, text, len, &l);
	s->accounts = slurm_rd_to_arena(&s->arena, items, l.rows.n, sizeof *items);
	s->n_accounts = l.rows.n;
	return rc;
}
