/* idmap.c — see idmap.h. */
#include "idmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

uint64_t idmap_hash(int64_t id)
{
	uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;
	return x ^ (x >> 29);
}

static size_t home(int64_t id, size_t cap)
{
	return (size_t)idmap_hash(id) & (cap - 1);
}

/* A keyless map's tag of id: the hash's top byte (home uses the low bits). */
static uint8_t tag_of(int64_t id)
{
	return (uint8_t)(idmap_hash(id) >> 56);
}

/* The id of occupied slot i. */
static int64_t key_at(const struct idmap *h, size_t i)
{
	return h->key_of ? h->key_of(h->ctx, h->vals[i]) : h->keys[i];
}

void idmap_keyless(struct idmap *h, int64_t (*key_of)(const void *ctx, uint32_t v),
                   const void *ctx)
{
	idmap_free(h);
	h->key_of = key_of;
	h->ctx = ctx;
}

uint32_t *idmap_get(const struct idmap *h, int64_t id)
{
	if (h->cap == 0)
		return NULL;
	if (h->tags) { /* key_of only where the tag matches: 1 in 256 of the others */
		uint8_t tag = tag_of(id);
		for (size_t i = home(id, h->cap);; i = (i + 1) & (h->cap - 1)) {
			if (h->vals[i] == IDMAP_FREE)
				return NULL;
			if (h->tags[i] == tag && h->key_of(h->ctx, h->vals[i]) == id)
				return &h->vals[i];
		}
	}
	for (size_t i = home(id, h->cap);; i = (i + 1) & (h->cap - 1)) {
		if (h->vals[i] == IDMAP_FREE)
			return NULL;
		if (key_at(h, i) == id)
			return &h->vals[i];
	}
}

static size_t cap_for(size_t n)
{
	size_t cap = 16;
	while (cap * 3 < n * 4)
		cap *= 2;
	return cap;
}

/* Stores (id, v) in the first free slot of id's probe run; id is not in h. */
static void place(struct idmap *h, int64_t id, uint32_t v)
{
	size_t i = home(id, h->cap);
	while (h->vals[i] != IDMAP_FREE)
		i = (i + 1) & (h->cap - 1);
	if (h->keys)
		h->keys[i] = id;
	else
		h->tags[i] = tag_of(id);
	h->vals[i] = v;
	h->n++;
}

/* Moves every entry into fresh arrays of cap slots. */
static void rehash(struct idmap *h, size_t cap)
{
	struct idmap old = *h;
	h->cap = cap;
	h->n = 0;
	h->keys = h->key_of ? NULL : xmalloc(cap * sizeof *h->keys);
	h->tags = h->key_of ? xmalloc(cap) : NULL;
	h->vals = xmalloc(cap * sizeof *h->vals);
	memset(h->vals, 0xff, cap * sizeof *h->vals); /* all IDMAP_FREE */
	for (size_t i = 0; i < old.cap; i++)
		if (old.vals[i] != IDMAP_FREE)
			place(h, key_at(&old, i), old.vals[i]);
	free(old.keys);
	free(old.tags);
	free(old.vals);
}

void idmap_put(struct idmap *h, int64_t id, uint32_t v)
{
	uint32_t *p = idmap_get(h, id);
	if (p) {
		*p = v;
		return;
	}
	if ((h->n + 1) * 4 > h->cap * 3)
		rehash(h, h->cap ? h->cap * 2 : 16);
	place(h, id, v);
}

void idmap_del(struct idmap *h, int64_t id)
{
	uint32_t *p = idmap_get(h, id);
	if (!p)
		return;
	size_t mask = h->cap - 1, i = (size_t)(p - h->vals);
	h->vals[i] = IDMAP_FREE;
	h->n--;
	/* backward shift: pull later members of the probe run into the hole */
	for (size_t j = (i + 1) & mask; h->vals[j] != IDMAP_FREE; j = (j + 1) & mask) {
		size_t hj = home(key_at(h, j), h->cap);
		bool movable = (i <= j) ? (hj <= i || hj > j) : (hj <= i && hj > j);
		if (!movable)
			continue;
		if (h->keys)
			h->keys[i] = h->keys[j];
		else
			h->tags[i] = h->tags[j];
		h->vals[i] = h->vals[j];
		h->vals[j] = IDMAP_FREE;
		i = j;
	}
}

void idmap_reserve(struct idmap *h, size_t n)
{
	size_t cap = cap_for(n);
	if (cap > h->cap)
		rehash(h, cap);
}

void idmap_reset(struct idmap *h, size_t want)
{
	size_t cap = cap_for(want);
	if (!want || h->cap < cap || h->cap > 4 * cap) {
		idmap_free(h);
		if (want)
			rehash(h, cap);
		return;
	}
	if (h->n)
		memset(h->vals, 0xff, h->cap * sizeof *h->vals);
	h->n = 0;
}

void idmap_free(struct idmap *h)
{
	free(h->keys);
	free(h->tags);
	free(h->vals);
	*h = (struct idmap){ .key_of = h->key_of, .ctx = h->ctx };
}
