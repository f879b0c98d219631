/* slurm-scan.c — extents of JSON values and one list element at a time
 * (see slurm-scan.h). Values are cJSON's; this file only walks between
 * them. */
#include "slurm-scan.h"

#include <stdint.h>
#include <string.h>

/* Byte classes for the scan (a table: this loop runs over every byte of
 * hundreds of MB). BARE: the characters of numbers and true/false/null. */
enum { C_BAD, C_BARE, C_BLANK, C_SEP, C_QUOTE, C_OPEN_OBJ, C_OPEN_ARR, C_CLOSE_OBJ, C_CLOSE_ARR };

static unsigned char cls[256];
static unsigned char str_stop[256];   /* '"', '\\' */

static void classes_init(void)
{
	if (cls['{'])
		return;
	for (const char *c = "0123456789+-.eEtrufalsn"; *c; c++)
		cls[(unsigned char)*c] = C_BARE;
	cls[' '] = cls['\t'] = cls['\n'] = cls['\r'] = C_BLANK;
	cls[','] = cls[':'] = C_SEP;
	cls['"'] = C_QUOTE;
	cls['{'] = C_OPEN_OBJ;
	cls['['] = C_OPEN_ARR;
	cls['}'] = C_CLOSE_OBJ;
	cls[']'] = C_CLOSE_ARR;
	str_stop['"'] = str_stop['\\'] = 1;
}

static size_t skip_blank(const char *t, size_t len, size_t p)
{
	while (p < len && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r'))
		p++;
	return p;
}

/* Past the string opening at t[p] ('"'); -1 when it does not close or an
 * escape is not JSON's. */
static int skip_string(const char *t, size_t len, size_t *pos)
{
	size_t p = *pos + 1;
	for (;;) {
		while (p < len && !str_stop[(unsigned char)t[p]])
			p++;
		if (p >= len) {
			*pos = p;
			return -1;
		}
		if (t[p] == '"')
			break;
		if (p + 1 >= len || !t[p + 1] || !strchr("\"\\/bfnrtu", t[p + 1])) {
			*pos = p + 1;
			return -1;
		}
		p += 2;
	}
	*pos = p + 1;
	return 0;
}

/* A bare value (number, true, false, null) at t[p]: its characters. */
static int skip_bare(const char *t, size_t len, size_t *pos)
{
	size_t p = *pos;
	while (p < len && cls[(unsigned char)t[p]] == C_BARE)
		p++;
	if (p == *pos)
		return -1;
	*pos = p;
	return 0;
}

int slurm_scan_skip(const char *t, size_t len, size_t *pos, size_t *count)
{
	classes_init();
	size_t p = skip_blank(t, len, *pos);
	if (count)
		*count = 0;
	if (p < len && t[p] == '"') {
		int rc = skip_string(t, len, &p);
		*pos = p;
		return rc;
	}
	if (p >= len || (t[p] != '{' && t[p] != '[')) {
		int rc = skip_bare(t, len, &p);
		*pos = p;
		return rc;
	}
	/* one bit per open bracket: 1 for '{', 0 for '[' */
	uint64_t kind[(SLURM_SCAN_DEPTH + 63) / 64] = { 0 };
	size_t depth = 0, n = 0;
	bool counting = count && t[p] == '[', seen = false;
	do {
		if (p >= len)
			goto fail;
		unsigned char c = cls[(unsigned char)t[p]];
		if (counting && depth == 1 && c != C_BLANK && c != C_CLOSE_ARR) {
			n += t[p] == ',';
			seen = true;
		}
		switch (c) {
		case C_BARE:
		case C_BLANK:
		case C_SEP:
			break;
		case C_QUOTE:
			if (skip_string(t, len, &p) < 0)
				goto fail;
			continue;
		case C_OPEN_OBJ:
		case C_OPEN_ARR:
			if (depth >= SLURM_SCAN_DEPTH)
				goto fail;
			if (c == C_OPEN_OBJ)
				kind[depth / 64] |= (uint64_t)1 << (depth % 64);
			else
				kind[depth / 64] &= ~((uint64_t)1 << (depth % 64));
			depth++;
			break;
		case C_CLOSE_OBJ:
		case C_CLOSE_ARR:
			depth--;
			if (((kind[depth / 64] >> (depth % 64) & 1) != 0) != (c == C_CLOSE_OBJ))
				goto fail;
			break;
		default:
			goto fail;
		}
		p++;
	} while (depth > 0);
	if (count)
		*count = counting && seen ? n + 1 : 0;
	*pos = p;
	return 0;
fail:
	*pos = p;
	return -1;
}

bool slurm_scan_is_object(const char *text, size_t len)
{
	size_t p = skip_blank(text, len, 0);
	return p < len && text[p] == '{';
}

static int bad_json(const char *src, const char *list, size_t i, size_t at, size_t len, struct dc_err *err)
{
	/* cJSON's convention: a fault at the end is reported on the last byte */
	if (at >= len)
		at = len ? len - 1 : 0;
	if (list)
		return dc_err_set(err, "%s: %s[%zu]: not valid JSON (at byte %zu of %zu)", src, list, i, at, len);
	return dc_err_set(err, "%s: not valid JSON (at byte %zu of %zu)", src, at, len);
}

/* One value by cJSON, from t[*pos]; *pos past it, or at the fault. */
static cJSON *parse_value(const char *t, size_t len, size_t *pos)
{
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(t + *pos, len - *pos, &end, false);
	*pos = end && end >= t + *pos && end <= t + len ? (size_t)(end - t) : len;
	return v;
}

static uint32_t key_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void want_add(struct slurm_scan_doc *d, const char *key)
{
	uint32_t h = key_hash(key, strlen(key)) & (SLURM_SCAN_WANT_SLOTS - 1);
	while (d->want[h] && strcmp(d->want[h], key) != 0)
		h = (h + 1) & (SLURM_SCAN_WANT_SLOTS - 1);
	d->want[h] = key;
}

/* The wanted key spelled s[0..n) (raw bytes, no escapes), or NULL. */
static const char *want_find(const struct slurm_scan_doc *d, const char *s, size_t n)
{
	for (uint32_t h = key_hash(s, n) & (SLURM_SCAN_WANT_SLOTS - 1); d->want[h];
	     h = (h + 1) & (SLURM_SCAN_WANT_SLOTS - 1))
		if (strncmp(d->want[h], s, n) == 0 && d->want[h][n] == '\0')
			return d->want[h];
	return NULL;
}

/* The key at t[*pos] ('"'), decoded by cJSON; *pos past it. */
static cJSON *parse_key(const char *t, size_t len, size_t *pos)
{
	if (*pos >= len || t[*pos] != '"')
		return NULL;
	cJSON *k = parse_value(t, len, pos);
	if (k && !cJSON_IsString(k)) {
		cJSON_Delete(k);
		return NULL;
	}
	return k;
}

/* ws ':' ws after a key; -1 at the fault. */
static int colon(const char *t, size_t len, size_t *pos)
{
	size_t p = skip_blank(t, len, *pos);
	if (p >= len || t[p] != ':') {
		*pos = p;
		return -1;
	}
	*pos = skip_blank(t, len, p + 1);
	return 0;
}

/* After a member or element: ',' (1) or the closer (0); -1 otherwise. */
static int next_sep(const char *t, size_t len, size_t *pos, char closer)
{
	size_t p = skip_blank(t, len, *pos);
	*pos = p + 1;
	if (p < len && t[p] == ',')
		return 1;
	if (p < len && t[p] == closer)
		return 0;
	*pos = p;
	return -1;
}

/* The root object's members: the list skipped and counted, the rest
 * parsed into d->root. */
static int scan_root(struct slurm_scan_doc *d, size_t *pos)
{
	const char *t = d->text;
	size_t len = d->len, p = skip_blank(t, len, 0) + 1;
	p = skip_blank(t, len, p);
	if (p < len && t[p] == '}') {
		*pos = p;
		return 0;
	}
	for (;;) {
		cJSON *k = parse_key(t, len, &p);
		if (!k || colon(t, len, &p) < 0) {
			cJSON_Delete(k);
			*pos = p;
			return -1;
		}
		bool is_list = !d->have_list && !cJSON_GetObjectItemCaseSensitive(d->root, d->list_key) &&
			strcmp(k->valuestring, d->list_key) == 0 && p < len && t[p] == '[';
		if (is_list) {
			d->list_at = p;
			if (slurm_scan_skip(t, len, &p, &d->list_n) < 0) {
				cJSON_Delete(k);
				*pos = p;
				return -1;
			}
			d->have_list = true;
		} else {
			cJSON *v = parse_value(t, len, &p);
			if (!v) {
				cJSON_Delete(k);
				*pos = p;
				return -1;
			}
			cJSON_AddItemToObject(d->root, k->valuestring, v);
		}
		cJSON_Delete(k);
		int more = next_sep(t, len, &p, '}');
		if (more <= 0) {
			*pos = p;
			return more;
		}
		p = skip_blank(t, len, p);
	}
}

int slurm_scan_open(struct slurm_scan_doc *d, const char *src, const char *text, size_t len, const char *list_key,
		const char *const *want, struct dc_err *err)
{
	classes_init();
	memset(d, 0, sizeof *d);
	d->text = text;
	d->len = len;
	d->list_key = list_key;
	d->want_all = !want;
	for (size_t i = 0; want && want[i]; i++)
		want_add(d, want[i]);
	d->root = cJSON_CreateObject();
	size_t at = 0;
	if (scan_root(d, &at) < 0) {
		slurm_scan_close(d);
		return bad_json(src, NULL, 0, at, len, err);
	}
	d->pos = d->list_at + 1;
	return 0;
}

/* One object element, only its wanted members parsed. */
static int scan_object(struct slurm_scan_doc *d, size_t *pos, cJSON **item)
{
	const char *t = d->text;
	size_t len = d->len, p = skip_blank(t, len, *pos + 1);
	cJSON *obj = cJSON_CreateObject();
	*item = obj;
	if (p < len && t[p] == '}') {
		*pos = p + 1;
		return 0;
	}
	for (;;) {
		if (p >= len || t[p] != '"') {
			*pos = p;
			return -1;
		}
		size_t k0 = p + 1;
		if (skip_string(t, len, &p) < 0) {
			*pos = p;
			return -1;
		}
		const char *key;
		if (memchr(t + k0, '\\', p - 1 - k0)) {
			size_t kp = k0 - 1;
			cJSON *k = parse_key(t, len, &kp);
			key = k ? want_find(d, k->valuestring, strlen(k->valuestring)) : NULL;
			cJSON_Delete(k);
		} else {
			key = want_find(d, t + k0, p - 1 - k0);
		}
		if (colon(t, len, &p) < 0) {
			*pos = p;
			return -1;
		}
		if (key) {
			cJSON *v = parse_value(t, len, &p);
			if (!v) {
				*pos = p;
				return -1;
			}
			cJSON_AddItemToObjectCS(obj, key, v);
		} else if (slurm_scan_skip(t, len, &p, NULL) < 0) {
			*pos = p;
			return -1;
		}
		int more = next_sep(t, len, &p, '}');
		if (more <= 0) {
			*pos = p;
			return more;
		}
		p = skip_blank(t, len, p);
	}
}

int slurm_scan_next(struct slurm_scan_doc *d, const char *src, cJSON **item, struct dc_err *err)
{
	*item = NULL;
	if (!d->have_list || d->i >= d->list_n)
		return 0;
	const char *t = d->text;
	size_t p = skip_blank(t, d->len, d->pos);
	int rc = 0;
	if (p < d->len && t[p] == '{' && !d->want_all) {
		rc = scan_object(d, &p, item);
	} else {
		*item = parse_value(t, d->len, &p);
		rc = *item ? 0 : -1;
	}
	if (rc == 0 && next_sep(t, d->len, &p, ']') < 0)
		rc = -1;
	if (rc < 0) {
		cJSON_Delete(*item);
		*item = NULL;
		return bad_json(src, d->list_key, d->i, p, d->len, err);
	}
	d->pos = p;
	d->i++;
	return 1;
}

void slurm_scan_close(struct slurm_scan_doc *d)
{
	cJSON_Delete(d->root);
	d->root = NULL;
}
