/* slurm-text.c — hostlists, TRES and gres strings (see slurm-text.h). */
#include "slurm-text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 48
#define NAME_MAX_LEN 256

const char *slurm_quote(const char *s, char *buf, size_t cap)
{
	size_t o = 0, i = 0;
	if (cap == 0)
		return buf;
	for (; s && s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[5];
		int w = (c >= 0x20 && c < 0x7f && c != '\\') ? snprintf(tmp, sizeof tmp, "%c", c)
		                                             : snprintf(tmp, sizeof tmp, "\\x%02x", c);
		if (o + (size_t)w + 4 >= cap)
			break;
		memcpy(buf + o, tmp, (size_t)w);
		o += (size_t)w;
	}
	if (s && s[i] && o + 4 <= cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- hostlists ---- */

struct hl {
	const char *whole;       /* for messages */
	size_t max;
	struct slurm_arena *a;
	char **names;            /* xgrow'd, moved into the arena at the end */
	size_t n, cap;
	struct dc_err *err;
};

/* detail: the len bytes at p that are wrong (none when len is 0). */
static int hl_failn(struct hl *h, const char *why, const char *p, size_t len)
{
	char q[QUOTE_MAX * 4 + 8], d[QUOTE_MAX * 4 + 8];
	char *detail = xstrndup(p, len);
	dc_err_set(h->err, "hostlist \"%s\": %s%s", slurm_quote(h->whole, q, sizeof q), why,
		slurm_quote(detail, d, sizeof d));
	free(detail);
	return -1;
}

static int hl_fail(struct hl *h, const char *why, const char *detail)
{
	return hl_failn(h, why, detail, strlen(detail));
}

static int hl_emit(struct hl *h, const char *name, size_t len)
{
	if (h->n >= h->max) {
		char m[32];
		snprintf(m, sizeof m, "%zu", h->max);
		return hl_fail(h, "expands to more than this many names: ", m);
	}
	h->names = xgrow(h->names, &h->cap, h->n + 1, sizeof *h->names);
	h->names[h->n++] = slurm_arena_strndup(h->a, name, len);
	return 0;
}

static int hl_bound(struct hl *h, const char *p, size_t len, int64_t *v)
{
	if (len == 0 || len > SLURM_HOSTLIST_DIGITS)
		return len ? hl_failn(h, "range bound must be 1 to 9 digits: ", p, len)
		           : hl_fail(h, "range bound must be 1 to 9 digits: ", "(empty)");
	int64_t x = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return hl_failn(h, "range bound is not a number: ", p, len);
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return 0;
}

static int hl_expand(struct hl *h, char *buf, size_t blen, const char *expr, size_t elen);

/* One bracket: ranges between open+1 and close, then the rest of the name. */
static int hl_ranges(struct hl *h, char *buf, size_t blen, const char *r, size_t rlen,
		const char *rest, size_t restlen)
{
	if (rlen == 0)
		return hl_fail(h, "empty brackets", "");
	for (size_t s = 0; s <= rlen;) {
		size_t e = s;
		while (e < rlen && r[e] != ',')
			e++;
		const char *dash = memchr(r + s, '-', e - s);
		size_t lolen = dash ? (size_t)(dash - (r + s)) : e - s;
		int64_t lo, hi;
		if (hl_bound(h, r + s, lolen, &lo) < 0)
			return -1;
		hi = lo;
		if (dash && hl_bound(h, dash + 1, (size_t)(r + e - dash - 1), &hi) < 0)
			return -1;
		if (hi < lo) {
			char m[64];
			snprintf(m, sizeof m, "%lld-%lld", (long long)lo, (long long)hi);
			return hl_fail(h, "range goes down: ", m);
		}
		if ((uint64_t)(hi - lo) >= h->max)
			return hl_failn(h, "range too large: ", r + s, e - s);
		for (int64_t v = lo; v <= hi; v++) {
			int w = snprintf(buf + blen, NAME_MAX_LEN - blen, "%0*lld", (int)lolen, (long long)v);
			if (w < 0 || blen + (size_t)w >= NAME_MAX_LEN)
				return hl_fail(h, "a name is longer than 255 bytes", "");
			if (hl_expand(h, buf, blen + (size_t)w, rest, restlen) < 0)
				return -1;
		}
		s = e + 1;
	}
	return 0;
}

/* Appends the names expr (no top-level commas) makes after buf[0..blen). */
static int hl_expand(struct hl *h, char *buf, size_t blen, const char *expr, size_t elen)
{
	const char *open = memchr(expr, '[', elen);
	const char *close = memchr(expr, ']', elen);
	if (!open) {
		if (close)
			return hl_fail(h, "']' without '['", "");
		if (blen + elen >= NAME_MAX_LEN)
			return hl_fail(h, "a name is longer than 255 bytes", "");
		memcpy(buf + blen, expr, elen);
		return hl_emit(h, buf, blen + elen);
	}
	size_t plen = (size_t)(open - expr);
	if (close && close < open)
		return hl_fail(h, "']' without '['", "");
	if (!close)
		return hl_fail(h, "'[' without ']'", "");
	if (memchr(open + 1, '[', (size_t)(close - open - 1)))
		return hl_fail(h, "brackets inside brackets", "");
	if (blen + plen >= NAME_MAX_LEN)
		return hl_fail(h, "a name is longer than 255 bytes", "");
	memcpy(buf + blen, expr, plen);
	return hl_ranges(h, buf, blen + plen, open + 1, (size_t)(close - open - 1), close + 1,
		elen - (size_t)(close + 1 - expr));
}

int slurm_hostlist_expand(const char *s, size_t max, struct slurm_arena *a, char ***out, size_t *n,
		struct dc_err *err)
{
	struct hl h = { .whole = s ? s : "", .max = max, .a = a, .err = err };
	char buf[NAME_MAX_LEN];
	size_t len = s ? strlen(s) : 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < len;) {
		size_t e = i;
		int depth = 0;
		for (; e < len && (depth || s[e] != ','); e++)
			depth += s[e] == '[' ? 1 : s[e] == ']' ? -1 : 0;
		if (e == i || (e + 1 == len && s[e] == ','))
			rc = hl_fail(&h, "empty name between commas", "");
		else
			rc = hl_expand(&h, buf, 0, s + i, e - i);
		i = e + 1;
	}
	if (rc < 0) {
		free(h.names);
		return -1;
	}
	char **arr = slurm_arena_alloc(a, (h.n ? h.n : 1) * sizeof *arr);
	if (h.n)
		memcpy(arr, h.names, h.n * sizeof *arr);
	free(h.names);
	*out = arr;
	*n = h.n;
	return 0;
}

/* ---- TRES ---- */

/* A count with an optional unit (K M G T P, as Slurm prints memory), in
 * units of `unit` bytes' multiple: mem in MB uses base 'M'. */
static int parse_count(const char *p, size_t len, bool mem, int64_t *v)
{
	size_t i = 0;
	int64_t x = 0;
	if (len == 0)
		return -1;
	for (; i < len && isdigit((unsigned char)p[i]); i++) {
		if (x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (p[i] - '0');
	}
	if (i == 0)
		return -1;
	if (i == len) {
		*v = x;
		return 0;
	}
	if (!mem || i + 1 != len)
		return -1;
	static const char units[] = "KMGTP";
	const char *u = strchr(units, toupper((unsigned char)p[i]));
	if (!u || !*u)
		return -1;
	int shift = (int)(u - units) - 1; /* relative to MB */
	if (shift < 0) {
		*v = (x + 1023) / 1024;
		return 0;
	}
	for (int k = 0; k < shift; k++) {
		if (x > INT64_MAX / 1024)
			return -1;
		x *= 1024;
	}
	*v = x;
	return 0;
}

static void copy_type(char *dst, size_t cap, const char *s, size_t len)
{
	if (cap == 0)
		return;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static int tres_fail(struct dc_err *err, const char *what, const char *s, size_t len)
{
	char q[QUOTE_MAX * 4 + 8];
	char *e = xstrndup(s, len);
	dc_err_set(err, "%s \"%s\": not key=count", what, slurm_quote(e, q, sizeof q));
	free(e);
	return -1;
}

int slurm_tres_parse(const char *s, struct slurm_tres *t, struct dc_err *err)
{
	struct slurm_tres r = { -1, -1, -1, -1, -1, "" };
	int64_t untyped = -1, typed = -1;
	size_t len = s ? strlen(s) : 0;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && s[e] != ',')
			e++;
		const char *eq = memchr(s + i, '=', e - i);
		if (!eq)
			return tres_fail(err, "TRES entry", s + i, e - i);
		size_t klen = (size_t)(eq - (s + i));
		const char *k = s + i, *val = eq + 1;
		size_t vlen = (size_t)(s + e - val);
		int64_t v;
		bool is_mem = klen == 3 && memcmp(k, "mem", 3) == 0;
		int known = (klen == 3 && (memcmp(k, "cpu", 3) == 0 || is_mem)) ||
		            (klen == 4 && memcmp(k, "node", 4) == 0) ||
		            (klen == 7 && memcmp(k, "billing", 7) == 0) ||
		            (klen >= 8 && memcmp(k, "gres/gpu", 8) == 0 && (klen == 8 || k[8] == ':'));
		if (known && parse_count(val, vlen, is_mem, &v) < 0)
			return tres_fail(err, "TRES entry", s + i, e - i);
		if (known && k[0] == 'c')
			r.cpu = v;
		else if (is_mem)
			r.mem_mb = v;
		else if (known && k[0] == 'n')
			r.node = v;
		else if (known && k[0] == 'b')
			r.billing = v;
		else if (known && klen == 8)
			untyped = v;
		else if (known) {
			typed = (typed < 0 ? 0 : typed) + v;
			if (!r.gpu_type[0])
				copy_type(r.gpu_type, sizeof r.gpu_type, k + 9, klen - 9);
		}
		i = e + 1;
	}
	r.gpus = untyped >= 0 ? untyped : typed;
	*t = r;
	return 0;
}

/* Splits s at commas outside parentheses; calls fn on each entry. */
static int each_entry(const char *s, int (*fn)(const char *e, size_t len, void *arg), void *arg)
{
	size_t len = s ? strlen(s) : 0;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		int depth = 0;
		for (; e < len && (depth > 0 || s[e] != ','); e++)
			depth += s[e] == '(' ? 1 : s[e] == ')' ? -1 : 0;
		if (e > i && fn(s + i, e - i, arg) < 0)
			return -1;
		i = e + 1;
	}
	return 0;
}

struct gpu_sum {
	int64_t gpus;
	char *type;
	size_t type_cap;
	const char *what;
	struct dc_err *err;
};

/* name[:type...][:count] with the name already checked; colon-separated
 * fields after "gpu", the last numeric one the count. */
static int gpu_fields(struct gpu_sum *g, const char *p, size_t len, const char *whole, size_t wlen)
{
	int64_t count = 1;
	const char *type = NULL;
	size_t tlen = 0;
	while (len > 0) {
		if (*p != ':')
			return tres_fail(g->err, g->what, whole, wlen);
		p++, len--;
		const char *f = p;
		while (len > 0 && *p != ':')
			p++, len--;
		size_t flen = (size_t)(p - f);
		int64_t v;
		if (flen > 0 && isdigit((unsigned char)f[0])) {
			if (parse_count(f, flen, false, &v) < 0 || len > 0)
				return tres_fail(g->err, g->what, whole, wlen);
			count = v;
		} else if (flen > 0 && !(flen == 10 && memcmp(f, "no_consume", 10) == 0)) {
			if (type) /* one type per entry: "gpu:h100:x" is not two */
				return tres_fail(g->err, g->what, whole, wlen);
			type = f;
			tlen = flen;
		} else if (flen == 0) {
			return tres_fail(g->err, g->what, whole, wlen);
		}
	}
	if (count > INT32_MAX || g->gpus > INT32_MAX - count)
		return tres_fail(g->err, g->what, whole, wlen);
	g->gpus += count;
	if (type && g->type_cap && !g->type[0])
		copy_type(g->type, g->type_cap, type, tlen);
	return 0;
}

static int tres_per_entry(const char *e, size_t len, void *arg)
{
	struct gpu_sum *g = arg;
	/* "gres/gpu..." (23.02+) or "gres:gpu..." (22.05) */
	if (len < 8 || memcmp(e, "gres", 4) != 0 || (e[4] != '/' && e[4] != ':') ||
	    memcmp(e + 5, "gpu", 3) != 0 || (len > 8 && e[8] != ':'))
		return 0;
	return gpu_fields(g, e + 8, len - 8, e, len);
}

int slurm_tres_per_gpus(const char *s, int *gpus, char *type, size_t type_cap, struct dc_err *err)
{
	if (type_cap)
		type[0] = '\0';
	struct gpu_sum g = { 0, type, type_cap, "TRES request", err };
	if (each_entry(s, tres_per_entry, &g) < 0)
		return -1;
	*gpus = (int)g.gpus;
	return 0;
}

static int gres_entry(const char *e, size_t len, void *arg)
{
	struct gpu_sum *g = arg;
	const char *paren = memchr(e, '(', len);
	size_t body = paren ? (size_t)(paren - e) : len;
	if (paren && e[len - 1] != ')')
		return tres_fail(g->err, g->what, e, len);
	if (body < 3 || memcmp(e, "gpu", 3) != 0 || (body > 3 && e[3] != ':'))
		return 0;
	return gpu_fields(g, e + 3, body - 3, e, len);
}

int slurm_gres_gpus(const char *s, int *gpus, char *type, size_t type_cap, struct dc_err *err)
{
	if (type_cap)
		type[0] = '\0';
	struct gpu_sum g = { 0, type, type_cap, "gres", err };
	if (s && strcmp(s, "(null)") == 0)
		s = "";
	if (each_entry(s, gres_entry, &g) < 0)
		return -1;
	*gpus = (int)g.gpus;
	return 0;
}
