/* slurm-keymap.c — see slurm-keymap.h. */
#include "slurm-keymap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void keymap_free(struct keymap *m)
{
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof *m);
}

static size_t slot(const struct keymap *m, uint64_t key)
{
	size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & (m->cap - 1);
	while (m->key[h] && m->key[h] != key)
		h = (h + 1) & (m->cap - 1);
	return h;
}

bool keymap_put(struct keymap *m, uint64_t key, uint64_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct keymap big = { .cap = m->cap ? m->cap * 2 : 1024 };
		big.key = xcalloc(big.cap, sizeof *big.key);
		big.val = xcalloc(big.cap, sizeof *big.val);
		for (size_t i = 0; i < m->cap; i++)
			if (m->key[i]) {
				size_t h = slot(&big, m->key[i]);
				big.key[h] = m->key[i], big.val[h] = m->val[i];
			}
		big.n = m->n;
		keymap_free(m);
		*m = big;
	}
	size_t h = slot(m, key);
	if (m->key[h])
		return false;
	m->key[h] = key, m->val[h] = val;
	m->n++;
	return true;
}

bool keymap_get(const struct keymap *m, uint64_t key, uint64_t *val)
{
	if (!m->cap)
		return false;
	size_t h = slot(m, key);
	if (!m->key[h])
		return false;
	*val = m->val[h];
	return true;
}
