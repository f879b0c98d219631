/* nvsmi.c — see nvsmi.h. */
#include "nvsmi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One field: [b, e) trimmed of spaces and tabs. */
struct field {
	const char *b, *e;
};

static void trim(struct field *f)
{
	while (f->b < f->e && (*f->b == ' ' || *f->b == '\t'))
		f->b++;
	while (f->e > f->b && (f->e[-1] == ' ' || f->e[-1] == '\t' || f->e[-1] == '\r'))
		f->e--;
}

static int field_is(const struct field *f, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(f->e - f->b) == n && memcmp(f->b, s, n) == 0;
}

static int field_na(const struct field *f)
{
	if (f->e - f->b >= 2 && f->b[0] == '[' && f->e[-1] == ']')
		return 1;
	return field_is(f, "N/A") || f->b == f->e;
}

/* A decimal number with an optional known unit after it. Returns 1 and sets
 * *v, 0 when not available, -1 when the text is not a number. */
static int field_num(const struct field *f, double *v)
{
	static const char *const units[] = { "%", "C", "MiB", "W" };
	if (field_na(f))
		return 0;
	char buf[64];
	size_t n = (size_t)(f->e - f->b);
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, f->b, n);
	buf[n] = '\0';
	/* Plain decimals only: strtod alone would take hex, exponents, "inf". */
	size_t i = buf[0] == '-' ? 1 : 0, digits = 0;
	for (; buf[i] >= '0' && buf[i] <= '9'; i++)
		digits++;
	if (buf[i] == '.')
		for (i++; buf[i] >= '0' && buf[i] <= '9'; i++)
			digits++;
	if (digits == 0 || digits > 18)
		return -1;
	char *end;
	double d = strtod(buf, &end);
	if (end != buf + i || !isfinite(d))
		return -1;
	while (*end == ' ')
		end++;
	if (*end) {
		size_t u;
		for (u = 0; u < DC_ARRAY_LEN(units); u++)
			if (strcmp(end, units[u]) == 0)
				break;
		if (u == DC_ARRAY_LEN(units))
			return -1;
	}
	*v = d;
	return 1;
}

static int field_text(const struct field *f, char *dst, size_t cap)
{
	size_t n = (size_t)(f->e - f->b);
	if (n == 0 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)f->b[i] < 0x20 || f->b[i] == 0x7f)
			return -1;
	memcpy(dst, f->b, n);
	dst[n] = '\0';
	return 0;
}

static const char *const field_names[NVSMI_NFIELDS] = {
	"index", "uuid", "name", "temperature.gpu", "utilization.gpu", "memory.used",
	"memory.total", "power.draw", "ecc.errors.uncorrected.volatile.total",
	"retired_pages.pending",
};

/* Integer-valued fields: the column, where it goes, its range. */
static int num_field(const struct field *f, int col, double lo, double hi, long *dst,
		     size_t line, struct dc_err *err)
{
	double d;
	int r = field_num(f, &d);
	if (r < 0 || (r > 0 && (d < lo || d > hi || d != floor(d))))
		return dc_err_set(err, "line %zu: %s is \"%.*s\", not a number from %.0f to %.0f", line,
				  field_names[col], (int)(f->e - f->b > 40 ? 40 : f->e - f->b), f->b, lo, hi);
	*dst = r ? (long)d : -1;
	return 0;
}

static int parse_row(struct field *fs, size_t line, struct nvsmi_gpu *g, struct dc_err *err)
{
	long v;
	memset(g, 0, sizeof *g);
	if (field_na(&fs[0]))
		return dc_err_set(err, "line %zu: index is missing", line);
	if (num_field(&fs[0], 0, 0, 4096, &v, line, err) < 0)
		return -1;
	g->index = (int)v;
	if (field_text(&fs[1], g->uuid, sizeof g->uuid) < 0)
		return dc_err_set(err, "line %zu: uuid is empty, too long or has control bytes", line);
	if (field_text(&fs[2], g->name, sizeof g->name) < 0)
		return dc_err_set(err, "line %zu: name is empty, too long or has control bytes", line);
	if (num_field(&fs[3], 3, -100, 200, &v, line, err) < 0)
		return -1;
	g->temp_c = (int)v;
	if (num_field(&fs[4], 4, 0, 100, &v, line, err) < 0)
		return -1;
	g->util_pct = (int)v;
	if (num_field(&fs[5], 5, 0, 1e9, &g->mem_used_mib, line, err) < 0 ||
	    num_field(&fs[6], 6, 0, 1e9, &g->mem_total_mib, line, err) < 0)
		return -1;
	double w;
	int r = field_num(&fs[7], &w);
	if (r < 0 || (r > 0 && (w < 0 || w > 1e5)))
		return dc_err_set(err, "line %zu: power.draw is \"%.*s\", not a wattage", line,
				  (int)(fs[7].e - fs[7].b > 40 ? 40 : fs[7].e - fs[7].b), fs[7].b);
	g->power_w = r ? w : -1;
	if (num_field(&fs[8], 8, 0, 1e15, &g->ecc_uncorrected, line, err) < 0)
		return -1;
	if (field_na(&fs[9]))
		g->pending = -1;
	else if (field_is(&fs[9], "Yes") || field_is(&fs[9], "yes"))
		g->pending = 1;
	else if (field_is(&fs[9], "No") || field_is(&fs[9], "no"))
		g->pending = 0;
	else
		return dc_err_set(err, "line %zu: retired_pages.pending is \"%.*s\", not Yes or No", line,
				  (int)(fs[9].e - fs[9].b > 40 ? 40 : fs[9].e - fs[9].b), fs[9].b);
	if (g->ecc_uncorrected > 0)
		g->problems |= NVSMI_ECC;
	if (g->temp_c >= NVSMI_HOT_C)
		g->problems |= NVSMI_HOT;
	if (g->pending == 1)
		g->problems |= NVSMI_PENDING;
	return 0;
}

/* Splits [b, e) at commas into at most NVSMI_NFIELDS fields; returns the
 * count found (NVSMI_NFIELDS + 1 means "too many"). */
static int split(const char *b, const char *e, struct field *fs)
{
	int n = 0;
	const char *s = b;
	for (const char *p = b;; p++) {
		if (p == e || *p == ',') {
			if (n == NVSMI_NFIELDS)
				return n + 1;
			fs[n] = (struct field){ s, p };
			trim(&fs[n]);
			n++;
			if (p == e)
				return n;
			s = p + 1;
		}
	}
}

int nvsmi_parse(const char *text, size_t len, struct nvsmi_gpu **out, size_t *n, struct dc_err *err)
{
	struct nvsmi_gpu *rows = NULL;
	size_t nrows = 0, cap = 0, line = 0;
	*out = NULL;
	*n = 0;
	if (!text)
		return dc_err_set(err, "no nvidia-smi output");
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		line++;
		if (memchr(p, '\0', (size_t)(le - p))) {
			free(rows);
			return dc_err_set(err, "line %zu: a NUL byte in nvidia-smi output", line);
		}
		struct field whole = { p, le }, fs[NVSMI_NFIELDS];
		trim(&whole);
		p = nl ? nl + 1 : end;
		if (whole.b == whole.e || (line == 1 && whole.e - whole.b >= 5 && memcmp(whole.b, "index", 5) == 0))
			continue;
		int nf = split(whole.b, whole.e, fs);
		if (nf != NVSMI_NFIELDS) {
			free(rows);
			return dc_err_set(err, "line %zu: expected %d comma-separated fields, found %s%d", line,
					  NVSMI_NFIELDS, nf > NVSMI_NFIELDS ? "more than " : "",
					  nf > NVSMI_NFIELDS ? NVSMI_NFIELDS : nf);
		}
		rows = xgrow(rows, &cap, nrows + 1, sizeof *rows);
		if (parse_row(fs, line, &rows[nrows], err) < 0) {
			free(rows);
			return -1;
		}
		nrows++;
	}
	if (nrows == 0)
		return dc_err_set(err, "no GPU rows in nvidia-smi output");
	*out = rows;
	*n = nrows;
	return 0;
}

const char *nvsmi_problem_str(unsigned problems, char *buf, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = { { NVSMI_ECC, "ECC" }, { NVSMI_HOT, "HOT" }, { NVSMI_PENDING, "REMAP PENDING" } };
	size_t o = 0;
	if (cap == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < DC_ARRAY_LEN(names); i++) {
		if (!(problems & names[i].bit))
			continue;
		int w = snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", names[i].name);
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
	return buf;
}
