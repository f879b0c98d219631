/* prom-parse.c — see prom-parse.h. The text parser copies one line's
 * name, label names and unescaped values into a scratch buffer (at most
 * the line's length plus a NUL each), so a sample's strings are C strings
 * for the callback without an allocation per sample. */
#include "adapter/telemetry/prom-parse.h"
#include "adapter/json-skip.h"

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
	char prev[64];         /* the last metric name read, and want's */
	size_t prev_len;       /* answer for it (0: none kept) */
	bool prev_want;
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

/* The line's metric name when it is the last line's (an answer lists a
 * metric's samples together): one compare instead of a byte loop, and
 * want's answer kept. */
static const char *take_prev(struct line *l)
{
	size_t n = l->prev_len;
	if (!n || (size_t)(l->end - l->p) < n || memcmp(l->p, l->prev, n) != 0 ||
	    (l->p + n < l->end && (cls[(unsigned char)l->p[n]] & (C_FIRST | C_COLON | C_DIGIT))))
		return NULL;
	char *o = l->out;
	memcpy(o, l->prev, n);
	o[n] = '\0';
	l->out += n + 1;
	l->p += n;
	return o;
}

static int parse_line(struct line *l, prom_want_fn want, prom_sample_fn fn, void *ud, struct dc_err *err)
{
	struct prom_label lab[PROM_MAX_LABELS];
	struct prom_sample s = { .labels = lab };
	bool wanted;
	if ((s.name = take_prev(l))) {
		wanted = l->prev_want;
	} else if ((s.name = take_name(l, true))) {
		wanted = !want || want(s.name, ud);
		size_t n = strlen(s.name);
		l->prev_len = n < sizeof l->prev ? n : 0;
		memcpy(l->prev, s.name, l->prev_len);
		l->prev_want = wanted;
	} else {
		return line_fail(l, err, "metric name expected");
	}
	if (!wanted)
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

/* The answer is read in one pass, front to back, without a tree of it:
 * the scanner the Slurm adapter reads its big lists with
 * (adapter/slurm/slurm-scan.h) finds where each value ends and checks
 * the structure of the values skipped; data.result[] is read one element
 * at a time, its labels and value copied into a scratch that is reused
 * (a tree of every answer was 88 % of a cycle at 25,000 nodes). Strings
 * with an escape, numbers' rules and the small members (status, error)
 * are still cJSON's, so every value reads as cJSON reads it. */
struct jp {
	const char *t;
	size_t len, p;
	char *scr;             /* one element's strings, NUL-terminated */
	size_t cap, used;
};

static int json_bad(const struct jp *j, struct dc_err *err)
{
	return dc_err_set(err, "prometheus answer: not JSON (near byte %zu)", j->p < j->len ? j->p : j->len);
}

static void json_blank(struct jp *j)
{
	while (j->p < j->len && (unsigned char)j->t[j->p] <= ' ')
		j->p++;
}

static bool json_at(struct jp *j, char c)
{
	json_blank(j);
	return j->p < j->len && j->t[j->p] == c;
}

static int json_skip(struct jp *j)
{
	return jskip_value(j->t, j->len, &j->p, NULL);
}

/* The string at j->p, decoded into the scratch: its offset there, or -1
 * when it is not a JSON string. */
static long json_string(struct jp *j)
{
	size_t s = j->p;
	if (!json_at(j, '"') || (s = j->p, json_skip(j) < 0))
		return -1;
	const char *raw = j->t + s + 1;
	size_t n = j->p - s - 2;
	cJSON *dec = NULL;
	if (memchr(raw, '\\', n)) {
		dec = cJSON_ParseWithLength(j->t + s, j->p - s);
		if (!cJSON_IsString(dec)) {
			cJSON_Delete(dec);
			return -1;
		}
		raw = dec->valuestring;
		n = strlen(raw);
	}
	j->scr = xgrow(j->scr, &j->cap, j->used + n + 1, 1);
	size_t at = j->used;
	memcpy(j->scr + at, raw, n);
	j->scr[at + n] = '\0';
	j->used += n + 1;
	cJSON_Delete(dec);
	return (long)at;
}

/* A member's key and its ':'; the key's offset in the scratch or -1. */
static long json_key(struct jp *j)
{
	long k = json_string(j);
	if (k < 0 || !json_at(j, ':'))
		return -1;
	j->p++;
	json_blank(j);
	return j->p < j->len ? k : -1;
}

/* After a member or element: 1 for ',', 0 for the closer, -1 otherwise. */
static int json_next(struct jp *j, char closer)
{
	json_blank(j);
	if (j->p < j->len && (j->t[j->p] == ',' || j->t[j->p] == closer))
		return j->t[j->p++] == ',';
	return -1;
}

/* A plain decimal of at most 15 digits (a Prometheus time: 1764640800.123)
 * without strtod: the digits are exact in a double and so is a power of
 * ten up to 1e22, and one division rounds once, so this is the double
 * strtod gives. -1: not such a number. */
static int json_decimal(const char *s, double *v)
{
	static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
		1e13, 1e14, 1e15 };
	bool neg = *s == '-';
	const char *p = s + neg;
	int64_t m = 0;
	int digits = 0, frac = -1;
	for (; *p; p++) {
		if (*p == '.' && frac < 0 && digits)
			frac = 0;
		else if (*p >= '0' && *p <= '9' && digits < 15)
			m = m * 10 + (*p - '0'), digits++, frac += frac >= 0;
		else
			return -1;
	}
	if (!digits || frac == 0)
		return -1;
	*v = (double)m / pow10[frac > 0 ? frac : 0];
	*v = neg ? -*v : *v;
	return 0;
}

/* A number as cJSON takes one (its characters, then strtod). */
static int json_number(struct jp *j, double *v)
{
	size_t s = j->p;
	if (json_skip(j) < 0 || j->p - s >= 64)
		return -1;
	char buf[64];
	memcpy(buf, j->t + s, j->p - s);
	buf[j->p - s] = '\0';
	if (strspn(buf, "0123456789+-.eE") != j->p - s)
		return -1;
	if (json_decimal(buf, v) == 0)
		return 0;
	char *end;
	*v = strtod(buf, &end);
	return *end || end == buf ? -1 : 0;
}

struct jsample {
	long name, num;                          /* scratch offsets, -1: none */
	long lab[PROM_MAX_LABELS][2];
	size_t n_labels;
	double ts;
	bool value_ok;
	const char *fail;                        /* the first thing wrong */
};

/* "metric": {label: "value", ...}. -1: not JSON. */
static int json_metric(struct jp *j, struct jsample *s)
{
	if (j->t[j->p] != '{') {
		s->fail = s->fail ? s->fail : "metric is not an object";
		return json_skip(j);
	}
	j->p++;
	if (json_at(j, '}'))
		return j->p++, 0;
	for (int more = 1; more > 0;) {
		long k = json_key(j), v;
		if (k < 0)
			return -1;
		if (j->t[j->p] != '"') {
			s->fail = s->fail ? s->fail : "a label value is not a string";
			if (json_skip(j) < 0)
				return -1;
		} else if ((v = json_string(j)) < 0) {
			return -1;
		} else if (s->fail) {
			/* the element is refused already */
		} else if (strcmp(j->scr + k, "__name__") == 0) {
			s->name = j->scr[v] ? v : s->name;
		} else if (s->n_labels == PROM_MAX_LABELS) {
			s->fail = "more than 32 labels";
		} else {
			s->lab[s->n_labels][0] = k;
			s->lab[s->n_labels++][1] = v;
		}
		if ((more = json_next(j, '}')) < 0)
			return -1;
	}
	return 0;
}

/* "value": [time, "number"]; s->value_ok when it has that shape. */
static int json_value(struct jp *j, struct jsample *s)
{
	if (j->t[j->p] != '[')
		return json_skip(j);
	j->p++;
	if (json_at(j, ']'))
		return j->p++, 0;
	bool shape = true;
	size_t n = 0;
	for (int more = 1; more > 0; n++) {
		json_blank(j);
		char c = j->p < j->len ? j->t[j->p] : '\0';
		int rc;
		if (n == 0 && (c == '-' || (c >= '0' && c <= '9')))
			rc = json_number(j, &s->ts);
		else if (n == 1 && c == '"')
			rc = (s->num = json_string(j)) < 0 ? -1 : 0;
		else
			rc = (shape = false, json_skip(j));
		if (rc < 0 || (more = json_next(j, ']')) < 0)
			return -1;
	}
	s->value_ok = shape && n == 2;
	return 0;
}

static int json_sample(struct jp *j, size_t i, const char *query, prom_sample_fn fn, void *ud,
                       struct dc_err *err)
{
	struct jsample js = { .name = -1, .num = -1 };
	bool metric = false, value = false;
	j->used = 0;
	if (j->t[j->p] != '{')
		return json_skip(j) < 0 ? json_bad(j, err) : json_fail(err, i, "not an object");
	j->p++;
	if (json_at(j, '}'))
		j->p++;
	else
		for (int more = 1; more > 0;) {
			long k = json_key(j);
			int rc;
			/* a key given twice: the first counts, as cJSON finds it */
			if (k >= 0 && !metric && strcmp(j->scr + k, "metric") == 0)
				rc = (metric = true, json_metric(j, &js));
			else if (k >= 0 && !value && strcmp(j->scr + k, "value") == 0)
				rc = (value = true, json_value(j, &js));
			else
				rc = k < 0 ? -1 : json_skip(j);
			if (rc < 0 || (more = json_next(j, '}')) < 0)
				return json_bad(j, err);
		}
	if (js.fail)
		return json_fail(err, i, js.fail);
	struct prom_label lab[PROM_MAX_LABELS];
	for (size_t k = 0; k < js.n_labels; k++)
		lab[k] = (struct prom_label){ j->scr + js.lab[k][0], j->scr + js.lab[k][1] };
	struct prom_sample s = { .labels = lab, .n_labels = js.n_labels,
		.name = js.name >= 0 ? j->scr + js.name : query };
	if (!s.name || !s.name[0])
		return json_fail(err, i, "no __name__ label and no query name");
	if (!js.value_ok)
		return json_fail(err, i, "value is not [time, \"number\"]");
	if (parse_number(j->scr + js.num, &s.value) < 0)
		return json_fail(err, i, "value's number does not parse");
	if (isfinite(js.ts) && fabs(js.ts) < 1e15) {
		s.has_ts = true;
		s.ts_ms = (int64_t)(js.ts * 1000.0);
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

struct jwalk {
	const char *query;
	prom_sample_fn fn;
	void *ud;
};

/* data.result[]: each element to the callback as it is read. */
static int json_result(struct jp *j, const struct jwalk *w, struct dc_err *err)
{
	j->p++;
	if (json_at(j, ']'))
		return j->p++, 0;
	for (size_t i = 0;; i++) {
		json_blank(j);
		if (j->p >= j->len)
			return json_bad(j, err);
		int rc = json_sample(j, i, w->query, w->fn, w->ud, err);
		if (rc)
			return rc;
		int more = json_next(j, ']');
		if (more <= 0)
			return more < 0 ? json_bad(j, err) : 0;
	}
}

/* A member's value parsed by cJSON (the small ones: status, error). */
static int json_keep(struct jp *j, cJSON *tree, const char *key)
{
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(j->t + j->p, j->len - j->p, &end, false);
	if (end && end >= j->t + j->p && end <= j->t + j->len)
		j->p = (size_t)(end - j->t);
	if (!v)
		return -1;
	/* a key given twice: the first counts, as cJSON finds it */
	if (cJSON_GetObjectItemCaseSensitive(tree, key))
		cJSON_Delete(v);
	else
		cJSON_AddItemToObject(tree, key, v);
	return 0;
}

static bool json_is(const cJSON *tree, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(tree, key);
	return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

/* The members of the object at j->p in order: those named in keep[] into
 * tree, the first member named inner (when its value opens with open) at
 * once to read() when ready(tree), else its place in *at (0: none) and
 * *bad when it has another shape; the others only checked. */
struct jmembers {
	const char *const *keep;
	const char *inner;
	char open;
	const char *ready_key, *ready_val;
	int (*read)(struct jp *, const struct jwalk *, struct dc_err *);
	size_t at;
	bool seen, bad, done;
};

static int json_members(struct jp *j, struct jmembers *m, cJSON *tree, const struct jwalk *w, struct dc_err *err)
{
	j->p++;
	if (json_at(j, '}'))
		return j->p++, 0;
	for (int more = 1; more > 0;) {
		long k = json_key(j);
		if (k < 0)
			return json_bad(j, err);
		const char *key = j->scr + k;
		bool kept = false;
		for (const char *const *q = m->keep; *q && !kept; q++)
			kept = strcmp(key, *q) == 0;
		int rc;
		if (!m->seen && strcmp(key, m->inner) == 0) {
			m->seen = true;
			m->bad = j->t[j->p] != m->open;
			if (!m->bad && json_is(tree, m->ready_key, m->ready_val)) {
				m->done = true;
				if ((rc = m->read(j, w, err)) != 0)
					return rc;
			} else {
				m->at = m->bad ? 0 : j->p;
				rc = json_skip(j);
			}
		} else {
			rc = kept ? json_keep(j, tree, key) : json_skip(j);
		}
		j->used = 0;
		if (rc < 0 || (more = json_next(j, '}')) < 0)
			return json_bad(j, err);
	}
	return 0;
}

/* What an answer's members say, in the order the old tree walk said it. */
static int json_inner(struct jp *j, struct jmembers *m, const struct jwalk *w, struct dc_err *err)
{
	if (m->done)
		return 0;
	j->p = m->at;
	return m->read(j, w, err);
}

static int json_data(struct jp *j, const struct jwalk *w, struct dc_err *err)
{
	static const char *const keep[] = { "resultType", NULL };
	struct jmembers m = { .keep = keep, .inner = "result", .open = '[', .ready_key = "resultType",
		.ready_val = "vector", .read = json_result };
	cJSON *tree = cJSON_CreateObject();
	int rc = json_members(j, &m, tree, w, err);
	size_t end = j->p;
	if (rc == 0 && !json_is(tree, "resultType", "vector"))
		rc = dc_err_set(err, "prometheus answer: data.resultType is not \"vector\"");
	else if (rc == 0 && (!m.seen || m.bad))
		rc = dc_err_set(err, "prometheus answer: data.result is not an array");
	else if (rc == 0)
		rc = json_inner(j, &m, w, err);
	cJSON_Delete(tree);
	j->p = end;
	return rc;
}

int prom_json_each(const char *buf, size_t len, const char *query, prom_sample_fn fn, void *ud,
                   struct dc_err *err)
{
	struct jp j = { .t = buf, .len = len };
	struct jwalk w = { query, fn, ud };
	if (!jskip_is_object(buf, len)) {
		/* not an object: cJSON's verdict on it, as before */
		cJSON *doc = cJSON_ParseWithLength(buf, len);
		const char *bad = cJSON_GetErrorPtr();
		cJSON_Delete(doc);
		if (!doc)
			return dc_err_set(err, "prometheus answer: not JSON (near byte %zu)",
			                  (size_t)(bad && bad >= buf ? bad - buf : 0));
		return dc_err_set(err, "prometheus answer: no \"status\" string");
	}
	static const char *const keep[] = { "status", "errorType", "error", NULL };
	struct jmembers m = { .keep = keep, .inner = "data", .open = '{', .ready_key = "status",
		.ready_val = "success", .read = json_data };
	cJSON *tree = cJSON_CreateObject();
	j.p = (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
	json_blank(&j);
	int rc = json_members(&j, &m, tree, &w, err);
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(tree, "status");
	if (rc == 0 && !cJSON_IsString(status))
		rc = dc_err_set(err, "prometheus answer: no \"status\" string");
	else if (rc == 0 && strcmp(status->valuestring, "success") != 0)
		rc = json_error(tree, err);
	else if (rc == 0 && (!m.seen || m.bad))
		rc = dc_err_set(err, "prometheus answer: data.resultType is not \"vector\"");
	else if (rc == 0)
		rc = json_inner(&j, &m, &w, err);
	cJSON_Delete(tree);
	free(j.scr);
	return rc;
}
