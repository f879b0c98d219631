/* slurm-scan.c — extents of JSON values and one list element at a time
 * (see slurm-scan.h). Values are cJSON's; this file only walks between
 * them. */
#include "slurm-scan.h"

#include "adapter/json-skip.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Cheap on purpose: it runs for every key of every element. */
static uint32_t key_hash(const char *s, size_t n)
{
	if (!n)
		return 0;
	return ((uint32_t)n * 31u + (unsigned char)s[0] * 7u + (unsigned char)s[n - 1] * 3u +
		(unsigned char)s[n / 2]) & (SLURM_SCAN_WANT_SLOTS - 1);
}

static void want_add(struct slurm_scan_doc *d, const char *key)
{
	size_t n = strlen(key);
	uint32_t h = key_hash(key, n);
	while (d->want[h] && strcmp(d->want[h], key) != 0)
		h = (h + 1) & (SLURM_SCAN_WANT_SLOTS - 1);
	d->want[h] = key;
	d->want_len[h] = n;
}

/* The wanted key spelled s[0..n) (raw bytes, no escapes), or NULL. */
static const char *want_find(const struct slurm_scan_doc *d, const char *s, size_t n)
{
	for (uint32_t h = key_hash(s, n); d->want[h]; h = (h + 1) & (SLURM_SCAN_WANT_SLOTS - 1))
		if (d->want_len[h] == n && memcmp(d->want[h], s, n) == 0)
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
	size_t p = jskip_blank(t, len, *pos);
	if (p >= len || t[p] != ':') {
		*pos = p;
		return -1;
	}
	*pos = jskip_blank(t, len, p + 1);
	return 0;
}

/* After a member or element: ',' (1) or the closer (0); -1 otherwise. */
static int next_sep(const char *t, size_t len, size_t *pos, char closer)
{
	size_t p = jskip_blank(t, len, *pos);
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
/* One object element, only its wanted members parsed; *item is set even
 * on failure (the caller deletes it). */
static int scan_object(const struct slurm_scan_doc *d, const char *t, size_t len, size_t *pos, cJSON **item)
{
	size_t p = jskip_blank(t, len, *pos + 1);
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
		if (jskip_string(t, len, &p) < 0) {
			*pos = p;
			return -1;
		}
		/* a NUL ends the key as cJSON reads it */
		size_t kn = p - 1 - k0;
		const char *nul = memchr(t + k0, '\0', kn);
		kn = nul ? (size_t)(nul - (t + k0)) : kn;
		const char *key;
		if (memchr(t + k0, '\\', kn)) {
			size_t kp = k0 - 1;
			cJSON *k = parse_key(t, len, &kp);
			key = k ? want_find(d, k->valuestring, strlen(k->valuestring)) : NULL;
			cJSON_Delete(k);
		} else {
			key = want_find(d, t + k0, kn);
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
		} else if (jskip_value(t, len, &p, NULL) < 0) {
			*pos = p;
			return -1;
		}
		int more = next_sep(t, len, &p, '}');
		if (more <= 0) {
			*pos = p;
			return more;
		}
		p = jskip_blank(t, len, p);
	}
}

/* A secret per process: the element hashes are not for anyone to aim
 * at (a job name chosen to make one job's bytes hash as another's). */
static uint64_t hash_seed(void)
{
	static uint64_t seed;
	if (seed)
		return seed;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
		seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 32;
	if (fd >= 0)
		close(fd);
	seed |= 1;
	return seed;
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9E3779B97F4A7C15ull;
	return h ^ (h >> 29);
}

uint64_t slurm_scan_hash(const char *p, size_t n)
{
	/* four lanes, 32 bytes a round: the multiplies do not wait on each
	 * other (this runs over all 250 MB of squeue's output) */
	uint64_t s = hash_seed(), h[4] = { s, s ^ 0xA5A5A5A5A5A5A5A5ull, s + n, ~s };
	size_t i = 0;
	for (; i + 32 <= n; i += 32)
		for (int k = 0; k < 4; k++) {
			uint64_t w;
			memcpy(&w, p + i + 8 * k, 8);
			h[k] = mix(h[k], w);
		}
	uint64_t r = mix(mix(mix(h[0], h[1]), h[2]), h[3]);
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		r = mix(r, w);
	}
	uint64_t tail = 0;
	memcpy(&tail, p + i, n - i);
	r = mix(mix(r, tail), n);
	return r ? r : 1;
}

/* With d->span: the element at t[*pos] has its bytes hashed and offered;
 * true (with *pos past it) when the caller takes it as it was. Anything
 * not taken is parsed (and refused there when broken). */
static bool span_taken(struct slurm_scan_doc *d, const char *t, size_t len, size_t *pos, size_t i)
{
	size_t end = *pos;
	if (*pos < len && (t[*pos] == '{' || t[*pos] == '[') ? !jskip_span_end(t, len, *pos, &end)
	                                                    : jskip_value(t, len, &end, NULL) < 0)
		return false;
	if (!d->span(d->arg, d->root, i, slurm_scan_hash(t + *pos, end - *pos)))
		return false;
	*pos = end;
	return true;
}

/* The list at t[*pos] ('['): each element to fn, until fn fails; the rest
 * is then only checked. -1 at a fault in the JSON (*pos there, *bad_i its
 * element). */
static int scan_list(struct slurm_scan_doc *d, const char *t, size_t len, size_t *pos, size_t *bad_i,
		slurm_scan_fn *fn, void *arg)
{
	size_t p = jskip_blank(t, len, *pos + 1), i = 0;
	int more = 1;
	if (p < len && t[p] == ']') {
		*pos = p + 1;
		d->n = 0;
		return 0;
	}
	for (; more > 0; i++) {
		int rc;
		p = jskip_blank(t, len, p);
		*bad_i = i;
		if (d->item_failed) {
			rc = jskip_value(t, len, &p, NULL);
		} else if (d->span && span_taken(d, t, len, &p, i)) {
			rc = 0;
		} else {
			cJSON *item = NULL;
			if (p < len && t[p] == '{' && !d->want_all) {
				rc = scan_object(d, t, len, &p, &item);
			} else {
				item = parse_value(t, len, &p);
				rc = item ? 0 : -1;
			}
			if (rc == 0 && fn(arg, d->root, i, item) < 0)
				d->item_failed = true;
			cJSON_Delete(item);
		}
		if (rc < 0 || (more = next_sep(t, len, &p, ']')) < 0) {
			*pos = p;
			return -1;
		}
	}
	d->n = i;
	*pos = p;
	return 0;
}

/* The root object's members in order: the list's elements to fn as they
 * come, the rest parsed into d->root. */
static int scan_root(struct slurm_scan_doc *d, const char *t, size_t len, size_t *pos, bool *in_list, size_t *bad_i,
		slurm_scan_fn *fn, void *arg)
{
	size_t p = jskip_blank(t, len, jskip_doc_start(t, len) + 1);
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
		int rc = 0;
		if (is_list) {
			d->have_list = true;
			d->list_at = p;
			*in_list = true;
			rc = scan_list(d, t, len, &p, bad_i, fn, arg);
			*in_list = rc < 0;
		} else {
			cJSON *v = parse_value(t, len, &p);
			if (v)
				cJSON_AddItemToObject(d->root, k->valuestring, v);
			rc = v ? 0 : -1;
		}
		cJSON_Delete(k);
		int more = rc < 0 ? -1 : next_sep(t, len, &p, '}');
		if (more <= 0) {
			*pos = p;
			return more;
		}
		p = jskip_blank(t, len, p);
	}
}

static void want_init(struct slurm_scan_doc *d, const char *const *want)
{
	size_t n = 0;
	while (want && want[n])
		n++;
	/* a table at most half full; a longer list reads every key */
	d->want_all = !want || n > SLURM_SCAN_WANT_SLOTS / 2;
	for (size_t i = 0; !d->want_all && i < n; i++)
		want_add(d, want[i]);
}

int slurm_scan_run(struct slurm_scan_doc *d, const char *src, const char *text, size_t len, const char *list_key,
		const char *const *want, slurm_scan_fn *fn, void *arg, struct dc_err *err)
{
	return slurm_scan_run_spans(d, src, text, len, list_key, want, NULL, fn, arg, err);
}

int slurm_scan_run_spans(struct slurm_scan_doc *d, const char *src, const char *text, size_t len,
		const char *list_key, const char *const *want, slurm_scan_span_fn *span, slurm_scan_fn *fn, void *arg,
		struct dc_err *err)
{
	memset(d, 0, sizeof *d);
	d->span = span;
	d->arg = arg;
	d->list_key = list_key;
	want_init(d, want);
	d->root = cJSON_CreateObject();
	size_t at = 0, bad_i = 0;
	bool in_list = false;
	if (scan_root(d, text, len, &at, &in_list, &bad_i, fn, arg) < 0) {
		slurm_scan_close(d);
		/* a document cut short is refused as such, wherever it was cut */
		return bad_json(src, in_list && at < len ? list_key : NULL, bad_i, at, len, err);
	}
	return 0;
}

int slurm_scan_again(struct slurm_scan_doc *d, const char *text, size_t len, slurm_scan_fn *fn, void *arg)
{
	size_t p = d->list_at, bad_i = 0;
	d->item_failed = false;
	d->span = NULL;   /* read again: every element parsed */
	if (!d->have_list)
		return 0;
	return scan_list(d, text, len, &p, &bad_i, fn, arg);
}

void slurm_scan_close(struct slurm_scan_doc *d)
{
	cJSON_Delete(d->root);
	d->root = NULL;
}
