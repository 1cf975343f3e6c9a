/*
 * u64map.c - the uint64 hash map behind u64map.h.
 */
#include "u64map.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Fibonacci hashing: one multiply, the high bits; aligned, clustered
 * addresses and keys built from (device, size) spread evenly. */
static size_t slot(const struct u64map *m, uint64_t k)
{
	return (size_t)((k * 0x9E3779B97F4A7C15ull) >> m->shift);
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

size_t u64map_size(const struct u64map *m)
{
	return m->n;
}

static void grow(struct u64map *m)
{
	size_t oc = m->cap;
	uint64_t *ok = m->keys, *ov = m->vals;
	m->cap = oc ? oc * 2 : 64;
	m->shift = oc ? m->shift - 1 : 64 - 6;
	m->keys = util_xcalloc(m->cap, sizeof(uint64_t));
	m->vals = util_xmalloc(m->cap * sizeof(uint64_t));
	size_t mask = m->cap - 1;
	for (size_t i = 0; i < oc; i++) {
		if (!ok[i])
			continue;
		size_t j = slot(m, ok[i]);
		while (m->keys[j])
			j = (j + 1) & mask;
		m->keys[j] = ok[i];
		m->vals[j] = ov[i];
	}
	free(ok);
	free(ov);
}

int u64map_swap(struct u64map *m, uint64_t key, uint64_t val, uint64_t *old)
{
	if (!key) {
		int had = m->has_zero;
		if (had && old)
			*old = m->zero_val;
		m->n += !had;
		m->has_zero = 1;
		m->zero_val = val;
		return had;
	}
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	size_t mask = m->cap - 1, i = slot(m, key);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	int had = m->keys[i] != 0;
	if (had && old)
		*old = m->vals[i];
	m->n += !had;
	m->keys[i] = key;
	m->vals[i] = val;
	return had;
}

void u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	u64map_swap(m, key, val, NULL);
}

int u64map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
	if (!key) {
		if (m->has_zero && val)
			*val = m->zero_val;
		return m->has_zero;
	}
	if (!m->cap)
		return 0;
	size_t mask = m->cap - 1, i = slot(m, key);
	while (m->keys[i]) {
		if (m->keys[i] == key) {
			if (val)
				*val = m->vals[i];
			return 1;
		}
		i = (i + 1) & mask;
	}
	return 0;
}

int u64map_del(struct u64map *m, uint64_t key, uint64_t *val)
{
	if (!key) {
		if (!m->has_zero)
			return 0;
		if (val)
			*val = m->zero_val;
		m->has_zero = 0;
		m->n--;
		return 1;
	}
	if (!m->cap)
		return 0;
	size_t mask = m->cap - 1, i = slot(m, key);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	if (!m->keys[i])
		return 0;
	if (val)
		*val = m->vals[i];
	m->n--;
	/* Shift back the rest of the cluster: move j into the hole at i
	 * unless its home slot lies cyclically in (i, j]. */
	for (size_t j = i;;) {
		j = (j + 1) & mask;
		if (!m->keys[j])
			break;
		size_t home = slot(m, m->keys[j]);
		int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	return 1;
}

int u64map_next(const struct u64map *m, size_t *pos, uint64_t *key, uint64_t *val)
{
	/* Position 0 is key 0 (beside the table); table slot i is i + 1. */
	if (*pos == 0) {
		(*pos)++;
		if (m->has_zero) {
			*key = 0;
			*val = m->zero_val;
			return 1;
		}
	}
	while (*pos - 1 < m->cap) {
		size_t i = (*pos)++ - 1;
		if (m->keys[i]) {
			*key = m->keys[i];
			*val = m->vals[i];
			return 1;
		}
	}
	return 0;
}
