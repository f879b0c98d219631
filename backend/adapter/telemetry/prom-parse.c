/* prom-parse.c — see prom-parse.h. The text parser copies one line's
 * name, label names and unescaped values into a scratch buffer (at most
 * the line's length plus a NUL each), so a sample's strings are C strings
 * for the callback without an allocation per sample. */
#include "adapter/telemetry/prom-parse.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


const char *prom_label(const struct prom_sample *s, const char *name)
{
	for (size_t i = 0; i < s->n_labels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

/* ---------------------------------------------------------------- text */

struct line {
	const char *p, *end;   /* the unread rest of the line */
	char *out;             /* scratch: where the next string goes */
	size_t no;
};

/* Character classes, one table lookup a byte (a fleet's answer is
 * hundreds of MB of names). */
enum { C_FIRST = 1, C_DIGIT = 2, C_COLON = 4, C_BLANK = 8 };
static const unsigned char cls[256] = {
	[' '] = C_BLANK, ['\t'] = C_BLANK, ['\r'] = C_BLANK, [':'] = C_COLON, ['_'] = C_FIRST,
	['0'] = C_DIGIT, ['1'] = C_DIGIT, ['2'] = C_DIGIT, ['3'] = C_DIGIT, ['4'] = C_DIGIT,
	['5'] = C_DIGIT, ['6'] = C_DIGIT, ['7'] = C_DIGIT, ['8'] = C_DIGIT, ['9'] = C_DIGIT,
#define L(c) [c] = C_FIRST, [c - 'a' + 'A'] = C_FIRST
	L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'), L('j'), L('k'), L('l'),
	L('m'), L('n'), L('o'), L('p'), L('q'), L('r'), L('s'), L('t'), L('u'), L('v'), L('w'), L('x'),
	L('y'), L('z'),
#undef L
};

static bool is_blank(char c) { return cls[(unsigned char)c] & C_BLANK; }

static void skip_blank(struct line *l)
{
	while (l->p < l->end && is_blank(*l->p))
		l->p++;
}

static int line_fail(const struct line *l, struct dc_err *err, const char *what)
{
	return dc_err_set(err, "line %zu: %s", l->no, what);
}

/* A metric (colon allowed) or label name, copied to the scratch. */
static const char *take_name(struct line *l, bool colon)
{
	unsigned first = C_FIRST | (colon ? C_COLON : 0), rest = first | C_DIGIT;
	if (l->p >= l->end || !(cls[(unsigned char)*l->p] & first))
		return NULL;
	const char *s = l->p;
	while (l->p < l->end && (cls[(unsigned char)*l->p] & rest))
		l->p++;
	char *o = l->out;
	memcpy(o, s, (size_t)(l->p - s));
	o[l->p - s] = '\0';
	l->out += l->p - s + 1;
	return o;
}

/* A quoted label value, unescaped into the scratch. */
static const char *take_value(struct line *l, struct dc_err *err)
{
	if (l->p >= l->end || *l->p != '"')
		return line_fail(l, err, "label value does not start with '\"'"), NULL;
	l->p++;
	char *o = l->out, *w = o;
	/* most values have no escape: one copy up to the closing quote */
	const char *q = memchr(l->p, '"', (size_t)(l->end - l->p));
	if (q && !memchr(l->p, '\\', (size_t)(q - l->p))) {
		memcpy(o, l->p, (size_t)(q - l->p));
		o[q - l->p] = '\0';
		l->out += q - l->p + 1;
		l->p = q + 1;
		return o;
	}
	for (;;) {
		if (l->p >= l->end)
			return line_fail(l, err, "label value not closed with '\"'"), NULL;
		char c = *l->p++;
		if (c == '"')
			break;
		if (c == '\\') {
			if (l->p >= l->end)
				return line_fail(l, err, "label value ends in a lone '\\'"), NULL;
			c = *l->p++;
			c = c == 'n' ? '\n' : c;
			if (c != '\n' && c != '\\' && c != '"')
				*w++ = '\\';   /* an unknown escape stays as written */
		}
		*w++ = c;
	}
	*w = '\0';
	l->out = w + 1;
	return o;
}

/* A blank-delimited token as a C string in the scratch. */
static const char *take_token(struct line *l)
{
	const char *s = l->p;
	while (l->p < l->end && !is_blank(*l->p))
		l->p++;
	if (l->p == s)
		return NULL;
	char *o = l->out;
	memcpy(o, s, (size_t)(l->p - s));
	o[l->p - s] = '\0';
	l->out += l->p - s + 1;
	return o;
}

static int take_labels(struct line *l, struct prom_label *lab, size_t *n, struct dc_err *err)
{
	l->p++; /* '{' */
	for (;;) {
		skip_blank(l);
		if (l->p < l->end && *l->p == '}') {
			l->p++;
			return 0;
		}
		if (*n == PROM_MAX_LABELS)
			return line_fail(l, err, "more than 32 labels");
		const char *name = take_name(l, false);
		if (!name)
			return line_fail(l, err, "label name expected");
		skip_blank(l);
		if (l->p >= l->end || *l->p != '=')
			return line_fail(l, err, "'=' expected after a label name");
		l->p++;
		skip_blank(l);
		const char *val = take_value(l, err);
		if (!val)
			return -1;
		lab[(*n)++] = (struct prom_label){ name, val };
		skip_blank(l);
		if (l->p < l->end && *l->p == ',')
			l->p++;
		else if (l->p >= l->end || *l->p != '}')
			return line_fail(l, err, "',' or '}' expected after a label value");
	}
}

static int parse_number(const char *tok, double *v)
{
	/* plain decimal integers (most DCGM values) without strtod */
	const char *p = tok;
	double d = 0;
	while (*p >= '0' && *p <= '9' && p - tok < 15)
		d = d * 10 + (*p++ - '0');
	if (!*p && p != tok) {
		*v = d;
		return 0;
	}
	errno = 0;
	char *end;
	*v = strtod(tok, &end);
	return *end || end == tok ? -1 : 0;
}

/* An integer of milliseconds: digits (18 at most, no overflow) after an
 * optional '-'. */
static int parse_ms(const char *tok, long long *ts)
{
	bool neg = *tok == '-';
	const char *p = tok + neg;
	long long v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (p - tok - neg >= 18)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p || p == tok + neg)
		return -1;
	*ts = neg ? -v : v;
	return 0;
}

static int parse_line(struct line *l, prom_want_fn want, prom_sample_fn fn, void *ud, struct dc_err *err)
{
	struct prom_label lab[PROM_MAX_LABELS];
	struct prom_sample s = { .labels = lab };
	if (!(s.name = take_name(l, true)))
		return line_fail(l, err, "metric name expected");
	if (want && !want(s.name, ud))
		return 0;
	skip_blank(l);
	if (l->p < l->end && *l->p == '{' && take_labels(l, lab, &s.n_labels, err) < 0)
		return -1;
	skip_blank(l);
	const char *tok = take_token(l);
	if (!tok || parse_number(tok, &s.value) < 0)
		return line_fail(l, err, "sample value is not a number");
	skip_blank(l);
	if ((tok = take_token(l))) {
		long long ts;
		if (parse_ms(tok, &ts) < 0)
			return line_fail(l, err, "timestamp is not an integer of milliseconds");
		s.has_ts = true;
		s.ts_ms = ts;
		skip_blank(l);
		if (l->p < l->end)
			return line_fail(l, err, "text after the timestamp");
	}
	return fn(&s, ud);
}

int prom_text_each(const char *buf, size_t len, prom_want_fn want, prom_sample_fn fn, void *ud,
                   struct dc_err *err)
{
	char *scratch = NULL;
	size_t cap = 0;
	int rc = 0;
	struct line l = { .no = 1 };
	for (const char *p = buf, *end = buf + len; p < end && rc == 0; l.no++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		l.p = p, l.end = le;
		p = nl ? nl + 1 : end;
		skip_blank(&l);
		if (l.p == l.end || *l.p == '#')
			continue;
		/* every string is a part of the line plus its NUL: 2 x the line */
		scratch = xgrow(scratch, &cap, 2 * (size_t)(le - l.p) + 2, 1);
		l.out = scratch;
		rc = parse_line(&l, want, fn, ud, err);
	}
	free(scratch);
	return rc;
}

/* ---------------------------------------------------------------- JSON */

static int json_fail(struct dc_err *err, size_t i, const char *what)
{
	return dc_err_set(err, "prometheus answer: data.result[%zu]: %s", i, what);
}

static int json_sample(const cJSON *it, size_t i, const char *query, prom_sample_fn fn, void *ud,
                       struct dc_err *err)
{
	struct prom_label lab[PROM_MAX_LABELS];
	struct prom_sample s = { .labels = lab, .name = query };
	const cJSON *metric = cJSON_GetObjectItemCaseSensitive(it, "metric");
	if (metric && !cJSON_IsObject(metric))
		return json_fail(err, i, "metric is not an object");
	const cJSON *m;
	cJSON_ArrayForEach(m, metric) {
		if (!cJSON_IsString(m))
			return json_fail(err, i, "a label value is not a string");
		if (strcmp(m->string, "__name__") == 0) {
			s.name = m->valuestring[0] ? m->valuestring : s.name;
			continue;
		}
		if (s.n_labels == PROM_MAX_LABELS)
			return json_fail(err, i, "more than 32 labels");
		lab[s.n_labels++] = (struct prom_label){ m->string, m->valuestring };
	}
	if (!s.name || !s.name[0])
		return json_fail(err, i, "no __name__ label and no query name");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");
	const cJSON *ts = cJSON_GetArrayItem(v, 0), *val = cJSON_GetArrayItem(v, 1);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsNumber(ts) || !cJSON_IsString(val))
		return json_fail(err, i, "value is not [time, \"number\"]");
	if (parse_number(val->valuestring, &s.value) < 0)
		return json_fail(err, i, "value's number does not parse");
	if (isfinite(ts->valuedouble) && fabs(ts->valuedouble) < 1e15) {
		s.has_ts = true;
		s.ts_ms = (int64_t)(ts->valuedouble * 1000.0);
	}
	return fn(&s, ud);
}

/* The server's words in a message: printable ASCII kept, every other byte
 * as \xNN (a message is one inert line, whatever the answer held). */
static void ascii_escape(const char *s, char *out, size_t n)
{
	size_t o = 0;
	for (; *s && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

static int json_error(const cJSON *doc, struct dc_err *err)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "errorType");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "error");
	char t[64], m[300];
	ascii_escape(cJSON_IsString(type) ? type->valuestring : "", t, sizeof t);
	ascii_escape(cJSON_IsString(msg) ? msg->valuestring : "(no message)", m, sizeof m);
	return dc_err_set(err, "prometheus answered an error: %s%s%s", t, t[0] ? ": " : "", m);
}

static int json_walk(const cJSON *doc, const char *query, prom_sample_fn fn, void *ud, struct dc_err *err)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(doc, "status");
	if (!cJSON_IsString(status))
		return dc_err_set(err, "prometheus answer: no \"status\" string");
	if (strcmp(status->valuestring, "success") != 0)
		return json_error(doc, err);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(data, "resultType");
	if (!cJSON_IsString(rt) || strcmp(rt->valuestring, "vector") != 0)
		return dc_err_set(err, "prometheus answer: data.resultType is not \"vector\"");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(data, "result");
	if (!cJSON_IsArray(res))
		return dc_err_set(err, "prometheus answer: data.result is not an array");
	size_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, res) {
		if (!cJSON_IsObject(it))
			return json_fail(err, i, "not an object");
		int rc = json_sample(it, i++, query, fn, ud, err);
		if (rc)
			return rc;
	}
	return 0;
}

int prom_json_each(const char *buf, size_t len, const char *query, prom_sample_fn fn, void *ud,
                   struct dc_err *err)
{
	cJSON *doc = cJSON_ParseWithLength(buf, len);
	if (!doc)
		return dc_err_set(err, "prometheus answer: not JSON (near byte %zu)",
		                  (size_t)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - buf : 0));
	int rc = json_walk(doc, query, fn, ud, err);
	cJSON_Delete(doc);
	return rc;
}
