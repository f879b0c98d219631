/* filter.c — row filter text and patterns (filter.h). */
#include "filter.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void filter_put(struct filter_text *ft, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	size_t kl = strlen(key), vl = strlen(value);
	/* a value cut short would match wrongly: one that does not fit is left out */
	if (ft->len + 2 + kl + vl >= ft->n)
		return;
	char *p = ft->buf + ft->len;
	*p++ = FILTER_SEP;
	memcpy(p, key, kl);
	p[kl] = '=';
	memcpy(p + kl + 1, value, vl + 1);
	ft->len += 2 + kl + vl;
}

void filter_row_text(char *buf, size_t n, const char *words, const struct filter_field *fs, size_t nf,
                 const void *ud, const void *row)
{
	if (!n)
		return;
	snprintf(buf, n, "%s", words ? words : "");
	/* the words may not contain the separator: it would start a false field */
	for (char *p = buf; (p = strchr(p, FILTER_SEP)); p++)
		*p = ' ';
	struct filter_text ft = { buf, n, strlen(buf) };
	for (size_t i = 0; i < nf; i++)
		fs[i].put(&ft, ud, row);
}

void filter_keys(const struct filter_field *fs, size_t nf, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < nf; i++)
		for (const char *k = fs[i].keys; *k && len < n;) {
			size_t kl = strcspn(k, " ");
			len += (size_t)snprintf(buf + len, n - len, "%s%.*s", len ? ", " : "", (int)kl, k);
			k += kl + (k[kl] == ' ');
		}
}

static bool has_key(const struct filter_field *fs, size_t nf, const char *key, size_t kl)
{
	for (size_t i = 0; i < nf; i++)
		for (const char *k = fs[i].keys; *k;) {
			size_t len = strcspn(k, " ");
			if (len == kl && memcmp(k, key, kl) == 0)
				return true;
			k += len + (k[len] == ' ');
		}
	return false;
}

/* Case-insensitive (ASCII) substring of hay[0..hl); Hangul has no case. */
static bool contains_ci(const char *hay, size_t hl, const char *needle)
{
	size_t nl = strlen(needle);
	if (nl == 0)
		return true;
	for (size_t s = 0; s + nl <= hl; s++) {
		size_t i = 0;
		while (i < nl && tolower((unsigned char)hay[s + i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == nl)
			return true;
	}
	return false;
}

static bool eq_ci(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return false;
	return true;
}

/* One alternative of a term's value against a field's value. */
static bool value_is(const char *want, size_t wl, const char *have, size_t hl)
{
	if (wl && want[wl - 1] == '*')
		return hl >= wl - 1 && eq_ci(want, wl - 1, have, wl - 1);
	return eq_ci(want, wl, have, hl);
}

/* Whether the fields carry key (*known) and one of them has one of vals. */
static bool field_has(const char *fields, const char *key, size_t kl, const char *vals, size_t vl,
                      bool *known)
{
	bool hit = false;
	*known = false;
	for (const char *f = fields; f && *f == FILTER_SEP; f = strchr(f + 1, FILTER_SEP)) {
		const char *k = f + 1, *eq = strchr(k, '='), *end = strchr(k, FILTER_SEP);
		if (!end)
			end = k + strlen(k);
		if (!eq || eq > end || !eq_ci(k, (size_t)(eq - k), key, kl))
			continue;
		*known = true;
		for (const char *v = vals, *stop = vals + vl; v <= stop && !hit;) {
			const char *comma = memchr(v, ',', (size_t)(stop - v));
			size_t len = comma ? (size_t)(comma - v) : (size_t)(stop - v);
			hit = value_is(v, len, eq + 1, (size_t)(end - eq - 1));
			v += len + 1;
		}
	}
	return hit;
}

/* key:value (key lower-case letters, value not empty): the key's length, else 0. */
static size_t field_term(const char *w, size_t wl)
{
	size_t k = 0;
	while (k < wl && ((w[k] >= 'a' && w[k] <= 'z') || w[k] == '_'))
		k++;
	return k > 0 && k + 1 < wl && w[k] == ':' ? k : 0;
}

bool filter_unknown_key(const char *pattern, const struct filter_field *fs, size_t nf, char *key,
                        size_t n)
{
	for (const char *p = pattern; *p;) {
		p += strspn(p, " ");
		size_t wl = strcspn(p, " ");
		bool neg = p[0] == '!';
		size_t kl = wl ? field_term(p + neg, wl - neg) : 0;
		if (kl && !has_key(fs, nf, p + neg, kl)) {
			snprintf(key, n, "%.*s", (int)kl, p + neg);
			return true;
		}
		p += wl;
	}
	return false;
}

void filter_hint(char *buf, size_t n, const char *pattern, const struct filter_field *fs, size_t nf)
{
	char key[64], keys[256];
	size_t len = strlen(buf);
	if (len >= n || !filter_unknown_key(pattern, fs, nf, key, sizeof key))
		return;
	filter_keys(fs, nf, keys, sizeof keys);
	snprintf(buf + len, n - len, " · no field '%s': %s", key, keys);
}

bool filter_match(const char *pattern, const char *text)
{
	if (!text)
		text = "";
	const char *fields = strchr(text, FILTER_SEP);
	size_t words_len = fields ? (size_t)(fields - text) : strlen(text);
	char rest[512];
	size_t rl = 0;
	for (const char *p = pattern; *p;) {
		p += strspn(p, " ");
		size_t wl = strcspn(p, " ");
		if (!wl)
			break;
		bool neg = p[0] == '!';
		size_t kl = field_term(p + neg, wl - neg);
		bool known = false;
		if (kl) {
			const char *v = p + neg + kl + 1;
			bool hit = field_has(fields, p + neg, kl, v, wl - neg - kl - 1, &known);
			if (known && hit == neg)
				return false;
		}
		if (!known && rl + wl + 2 < sizeof rest) {
			if (rl)
				rest[rl++] = ' ';
			memcpy(rest + rl, p, wl);
			rl += wl;
		}
		p += wl;
	}
	rest[rl] = '\0';
	bool negate = rest[0] == '!';
	const char *needle = rest + negate;
	if (!needle[0])
		return true;
	return contains_ci(text, words_len, needle) != negate;
}
