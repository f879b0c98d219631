/* idmap.h — a hash from row id (int64) to a 32-bit value (a row's slot,
 * a position in a list): open addressing with linear probing and
 * backward-shift deletion, at most 3/4 full. Every id is storable (a free
 * slot is marked by its value, IDMAP_FREE, which is therefore not a value
 * one can store).
 *
 * Two kinds of map:
 *  - keyed (a zeroed struct idmap): keys and values sit in two arrays,
 *    12 bytes a slot;
 *  - keyless (idmap_keyless): the value already leads to its id (a row
 *    slot to the row, a list position to the list entry), so the map keeps
 *    only values and a tag byte (the hash's top byte), 5 bytes a slot, and
 *    asks key_of(ctx, value) when it must compare (only where the tag
 *    matches: a probe past another id costs no visit to its row) or move
 *    an entry. The model indexes 190,000 GPU ids in
 *    1.25 MB instead of 3. key_of must answer for every value stored (the owner
 *    keeps its array current before it puts, and deletes an id while its
 *    value still leads to it).
 *
 * Ownership: the map owns its arrays; idmap_free releases them and leaves
 * an empty map of the same kind. Pointers from idmap_get are valid until
 * the next put, del, reserve or reset. */
#ifndef DCOPS_IDMAP_H
#define DCOPS_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#define IDMAP_FREE UINT32_MAX

struct idmap {
	int64_t *keys;   /* NULL in a keyless map */
	uint8_t *tags;   /* a keyless map's: tag of each occupied slot's id; else NULL */
	uint32_t *vals;
	size_t cap, n;   /* cap is 0 or a power of two */
	int64_t (*key_of)(const void *ctx, uint32_t v); /* set: keyless */
	const void *ctx;
};

/* Makes h an empty keyless map whose ids come from key_of(ctx, value). */
void idmap_keyless(struct idmap *h, int64_t (*key_of)(const void *ctx, uint32_t v),
                   const void *ctx);
/* The id's hash (all 64 bits mixed); a slot is hash & (cap - 1). */
uint64_t idmap_hash(int64_t id);
/* The value stored for id (writable), or NULL. */
uint32_t *idmap_get(const struct idmap *h, int64_t id);
/* Stores v (not IDMAP_FREE) for id, replacing any value it had. */
void idmap_put(struct idmap *h, int64_t id, uint32_t v);
void idmap_del(struct idmap *h, int64_t id);
/* Room for n entries without growing (never shrinks). */
void idmap_reserve(struct idmap *h, size_t n);
/* Empties h and sizes it for about `want` entries: memory is kept when it
 * fits, given back when want is 0 or a quarter would do. */
void idmap_reset(struct idmap *h, size_t want);
void idmap_free(struct idmap *h);

#endif
