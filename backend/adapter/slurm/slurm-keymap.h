/* slurm-keymap.h — internal to backend/adapter/slurm: a map from a
 * non-zero 64-bit key to a 64-bit value, open addressing, grown by
 * doubling. The adapter keeps each row's hash by its key (a job id, a
 * hashed node name) from one committed cycle to the next; the parsers find
 * last cycle's record by its element's hash. Both run over 100,000 keys a
 * cycle, so no allocation per key.
 *
 * Key 0 is the empty slot: callers' keys are never 0 (job ids, and hashes
 * made non-zero). The first value put for a key stays.
 *
 * Ownership: the map owns its arrays; keymap_free gives them back and
 * leaves an empty map (a zeroed struct keymap is one too). */
#ifndef DCOPS_SLURM_KEYMAP_H
#define DCOPS_SLURM_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keymap {
	uint64_t *key, *val;
	size_t n, cap;
};

/* false when the key is there already (its value kept). */
bool keymap_put(struct keymap *m, uint64_t key, uint64_t val);
/* true with *val when the key is there. */
bool keymap_get(const struct keymap *m, uint64_t key, uint64_t *val);
void keymap_free(struct keymap *m);

#endif
