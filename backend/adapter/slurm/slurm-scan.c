/* slurm-scan.c — extents of JSON values and one list element at a time
 * (see slurm-scan.h). Values are cJSON's; this file only walks between
 * them. */
#include "slurm-scan.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Byte classes for the scan (a table: this loop runs over every byte of
 * hundreds of MB). BARE: the characters of numbers and true/false/null. */
enum { C_BAD, C_BARE, C_BLANK, C_SEP, C_QUOTE, C_OPEN_OBJ, C_OPEN_ARR, C_CLOSE_OBJ, C_CLOSE_ARR };

static unsigned char cls[256];
static unsigned char str_stop[256];   /* '"', '\\' */

/* Filled on first use (the parsers run on one thread). */
static void classes_init(void)
{
	if (cls['{'])
		return;
	for (const char *c = "0123456789+-.eEtrufalsn"; *c; c++)
		cls[(unsigned char)*c] = C_BARE;
	/* cJSON takes every byte up to ' ' for a blank, NUL included */
	for (int c = 0; c <= ' '; c++)
		cls[c] = C_BLANK;
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
	while (p < len && (unsigned char)t[p] <= ' ')
		p++;
	return p;
}

/* 0x80 in exactly the bytes of w that equal b (the carry-free form of
 * the SWAR zero-byte test: no false hits, so any byte order works). */
static inline uint64_t has_byte(uint64_t w, uint64_t b)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t x = w ^ (b * 0x0101010101010101ull);
	return ~(((x & lo7) + lo7) | x | lo7);
}

/* The first byte, in memory order, that has_byte marked. */
static inline size_t first_byte(uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (size_t)__builtin_clzll(m) / 8;
#else
	return (size_t)__builtin_ctzll(m) / 8;
#endif
}

/* The next '"' or '\\' from p, eight bytes at a time while none is in them. */
static size_t string_stop(const char *t, size_t len, size_t p)
{
	while (p + 8 <= len) {
		uint64_t w;
		memcpy(&w, t + p, 8);
		uint64_t m = has_byte(w, '"') | has_byte(w, '\\');
		if (m)
			return p + first_byte(m);
		p += 8;
	}
	while (p < len && !str_stop[(unsigned char)t[p]])
		p++;
	return p;
}

/* Past the string opening at t[p] ('"'); -1 when it does not close or an
 * escape is not JSON's. */
static int skip_string(const char *t, size_t len, size_t *pos)
{
	size_t p = *pos + 1;
	for (;;) {
		p = string_stop(t, len, p);
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
		if (!counting || depth != 1)
			while (p < len && cls[(unsigned char)t[p]] >= C_BARE && cls[(unsigned char)t[p]] <= C_SEP)
				p++;
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

/* Where the root value starts: after a UTF-8 byte order mark and blanks,
 * as cJSON reads it. */
static size_t doc_start(const char *t, size_t len)
{
	size_t p = len >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	return skip_blank(t, len, p);
}

bool slurm_scan_is_object(const char *text, size_t len)
{
	size_t p = doc_start(text, len);
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
/* One object element, only its wanted members parsed; *item is set even
 * on failure (the caller deletes it). */
static int scan_object(const struct slurm_scan_doc *d, const char *t, size_t len, size_t *pos, cJSON **item)
{
	size_t p = skip_blank(t, len, *pos + 1);
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

/* Bit k set when t[k] is a quote, a backslash or a bracket (k < 16). */
static inline unsigned span_marks(const char *t)
{
#if defined(__SSE2__)
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)t);
	__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))), _mm_or_si128(_mm_or_si128(
		_mm_cmpeq_epi8(v, _mm_set1_epi8('{')), _mm_cmpeq_epi8(v, _mm_set1_epi8('}'))),
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('[')), _mm_cmpeq_epi8(v, _mm_set1_epi8(']')))));
	return (unsigned)_mm_movemask_epi8(m);
#else
	unsigned m = 0;
	for (int k = 0; k < 16; k++)
		m |= (unsigned)(str_stop[(unsigned char)t[k]] || cls[(unsigned char)t[k]] >= C_OPEN_OBJ) << k;
	return m;
#endif
}

/* Where the object or array at t[p] ends, by its brackets and strings
 * only: 16 bytes a step, nothing else checked. Whatever it finds is only
 * a candidate: an element is taken on it only when its bytes equal ones
 * parsed before (then they are an element, whole); otherwise the parse
 * reads from p as always. false when nothing closes it. */
static bool span_end(const char *t, size_t len, size_t p, size_t *end)
{
	size_t depth = 0, esc = 0;
	bool in_str = false;
	for (size_t i = p; i < len; i += 16) {
		unsigned m;
		if (i + 16 <= len) {
			m = span_marks(t + i);
		} else {
			char tail[16] = { 0 };
			memcpy(tail, t + i, len - i);
			m = span_marks(tail) & ((1u << (len - i)) - 1);
		}
		for (; m; m &= m - 1) {
			size_t k = i + (size_t)__builtin_ctz(m);
			char c = t[k];
			if (k < esc)
				continue;
			if (in_str) {
				if (c == '"')
					in_str = false;
				else if (c == '\\')
					esc = k + 2;
			} else if (c == '"') {
				in_str = true;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if ((c == '}' || c == ']') && depth && --depth == 0) {
				*end = k + 1;
				return true;
			}
		}
	}
	return false;
}

/* With d->span: the element at t[*pos] has its bytes hashed and offered;
 * true (with *pos past it) when the caller takes it as it was. Anything
 * not taken is parsed (and refused there when broken). */
static bool span_taken(struct slurm_scan_doc *d, const char *t, size_t len, size_t *pos, size_t i)
{
	size_t end = *pos;
	if (*pos < len && (t[*pos] == '{' || t[*pos] == '[') ? !span_end(t, len, *pos, &end)
	                                                    : slurm_scan_skip(t, len, &end, NULL) < 0)
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
	size_t p = skip_blank(t, len, *pos + 1), i = 0;
	int more = 1;
	if (p < len && t[p] == ']') {
		*pos = p + 1;
		d->n = 0;
		return 0;
	}
	for (; more > 0; i++) {
		int rc;
		p = skip_blank(t, len, p);
		*bad_i = i;
		if (d->item_failed) {
			rc = slurm_scan_skip(t, len, &p, NULL);
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
	size_t p = skip_blank(t, len, doc_start(t, len) + 1);
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
		p = skip_blank(t, len, p);
	}
}

static void want_init(struct slurm_scan_doc *d, const char *const *want)
{
	classes_init();
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
