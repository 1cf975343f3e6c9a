/*
 * hmap.c - the uint64 hash map behind hmap.h.
 */
#include "hmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64's finaliser: addresses differ mostly in middle bits. */
static size_t slot(const struct hmap *m, uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (size_t)x & (m->cap - 1);
}

void hmap_free(struct hmap *m)
{
	free(m->k);
	free(m->v);
	free(m->used);
	memset(m, 0, sizeof(*m));
}

static size_t find(const struct hmap *m, uint64_t key)
{
	size_t i = slot(m, key);
	while (m->used[i] && m->k[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void grow(struct hmap *m)
{
	struct hmap o = *m;
	m->cap = o.cap ? o.cap * 2 : 64;
	m->n = 0;
	m->k = util_xmalloc(m->cap * sizeof(*m->k));
	m->v = util_xmalloc(m->cap * sizeof(*m->v));
	m->used = util_xcalloc(m->cap, 1);
	for (size_t i = 0; i < o.cap; i++)
		if (o.used[i])
			hmap_put(m, o.k[i], o.v[i]);
	hmap_free(&o);
}

void hmap_put(struct hmap *m, uint64_t key, uint64_t val)
{
	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	size_t i = find(m, key);
	if (!m->used[i]) {
		m->used[i] = 1;
		m->k[i] = key;
		m->n++;
	}
	m->v[i] = val;
}

int hmap_get(const struct hmap *m, uint64_t key, uint64_t *val)
{
	if (!m->cap)
		return 0;
	size_t i = find(m, key);
	if (!m->used[i])
		return 0;
	if (val)
		*val = m->v[i];
	return 1;
}

int hmap_del(struct hmap *m, uint64_t key)
{
	if (!m->cap)
		return 0;
	size_t i = find(m, key);
	if (!m->used[i])
		return 0;
	/* Shift later members of the probe chain back into the hole unless
	 * their home slot lies cyclically in (hole, j]. */
	for (size_t j = i;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->used[j])
			break;
		size_t h = slot(m, m->k[j]);
		int stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (!stays) {
			m->k[i] = m->k[j];
			m->v[i] = m->v[j];
			i = j;
		}
	}
	m->used[i] = 0;
	m->n--;
	return 1;
}

int hmap_next(const struct hmap *m, size_t *pos, uint64_t *key, uint64_t *val)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->used[*pos]) {
			*key = m->k[*pos];
			*val = m->v[*pos];
			(*pos)++;
			return 1;
		}
	}
	return 0;
}
