/*
 * amap.c - linear probing with backward-shift deletion (no tombstones,
 * so long alloc/free streams never degrade the table).
 */
#include "amap.h"
#include "util.h"

#include <stdlib.h>

struct amap {
	uint64_t *keys;
	uint64_t *vals;
	size_t cap;   /* power of two */
	size_t n;
	int shift;    /* 64 - log2(cap) */
};

/* Fibonacci hashing: one multiply, the high bits; aligned, clustered
 * addresses spread evenly. Half the table stays empty so probe runs are
 * short (deletion shifts entries back, so it walks whole runs). */
#define slot(k, mask) ((size_t)(((k) * 0x9E3779B97F4A7C15ull) >> m->shift) & (mask))

struct amap *amap_new(void)
{
	struct amap *m = util_xcalloc(1, sizeof(*m));
	m->cap = 64;
	m->shift = 64 - 6;
	m->keys = util_xcalloc(m->cap, sizeof(uint64_t));
	m->vals = util_xcalloc(m->cap, sizeof(uint64_t));
	return m;
}

void amap_free(struct amap *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->vals);
	free(m);
}

size_t amap_size(const struct amap *m)
{
	return m->n;
}

static void grow(struct amap *m)
{
	size_t oc = m->cap;
	uint64_t *ok = m->keys, *ov = m->vals;
	m->cap *= 2;
	m->shift--;
	m->keys = util_xcalloc(m->cap, sizeof(uint64_t));
	m->vals = util_xcalloc(m->cap, sizeof(uint64_t));
	m->n = 0;
	for (size_t i = 0; i < oc; i++)
		if (ok[i])
			amap_put(m, ok[i], ov[i]);
	free(ok);
	free(ov);
}

int amap_swap(struct amap *m, uint64_t key, uint64_t val, uint64_t *old)
{
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	size_t mask = m->cap - 1, i = slot(key, mask);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	int had = m->keys[i] != 0;
	if (had)
		*old = m->vals[i];
	else
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return had;
}

void amap_put(struct amap *m, uint64_t key, uint64_t val)
{
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	size_t mask = m->cap - 1, i = slot(key, mask);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

int amap_get(const struct amap *m, uint64_t key, uint64_t *val)
{
	size_t mask = m->cap - 1, i = slot(key, mask);
	while (m->keys[i]) {
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return 1;
		}
		i = (i + 1) & mask;
	}
	return 0;
}

int amap_del(struct amap *m, uint64_t key, uint64_t *val)
{
	size_t mask = m->cap - 1, i = slot(key, mask);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	if (!m->keys[i])
		return 0;
	if (val)
		*val = m->vals[i];
	m->n--;
	/* Shift back the rest of the cluster so lookups never need tombstones. */
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->keys[j])
			break;
		size_t home = slot(m->keys[j], mask);
		/* Move j into the hole at i unless its home lies in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->vals[i] = 0;
	return 1;
}

int amap_next(const struct amap *m, size_t *pos, uint64_t *key, uint64_t *val)
{
	while (*pos < m->cap) {
		size_t i = (*pos)++;
		if (m->keys[i]) {
			*key = m->keys[i];
			*val = m->vals[i];
			return 1;
		}
	}
	return 0;
}
