/* json-skip.c — JSON extents without parsing (see json-skip.h). */
#include "adapter/json-skip.h"

#include <string.h>
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

int jskip_string(const char *t, size_t len, size_t *pos)
{
	classes_init();
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

int jskip_value(const char *t, size_t len, size_t *pos, size_t *count)
{
	classes_init();
	size_t p = jskip_blank(t, len, *pos);
	if (count)
		*count = 0;
	if (p < len && t[p] == '"') {
		int rc = jskip_string(t, len, &p);
		*pos = p;
		return rc;
	}
	if (p >= len || (t[p] != '{' && t[p] != '[')) {
		int rc = skip_bare(t, len, &p);
		*pos = p;
		return rc;
	}
	/* one bit per open bracket: 1 for '{', 0 for '[' */
	uint64_t kind[(JSKIP_DEPTH + 63) / 64] = { 0 };
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
			if (jskip_string(t, len, &p) < 0)
				goto fail;
			continue;
		case C_OPEN_OBJ:
		case C_OPEN_ARR:
			if (depth >= JSKIP_DEPTH)
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

size_t jskip_doc_start(const char *t, size_t len)
{
	size_t p = len >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	return jskip_blank(t, len, p);
}

bool jskip_is_object(const char *text, size_t len)
{
	size_t p = jskip_doc_start(text, len);
	return p < len && text[p] == '{';
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

bool jskip_span_end(const char *t, size_t len, size_t p, size_t *end)
{
	classes_init();
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

