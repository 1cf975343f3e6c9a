/*
 * hmap.h - a hash map from uint64 keys to uint64 values (prefix hmap_),
 * for the importers' bookkeeping: live allocations by address, cached
 * frame labels by pickle container id, allocation stacks by size.
 *
 * Open addressing with linear probing and backward-shift deletion, so
 * lookups stay O(1) however many keys are removed. Every uint64 key is
 * allowed. Ownership: the map owns its arrays; a zeroed struct is an
 * empty map; hmap_free() releases it and leaves it empty.
 */
#ifndef VRAMSIM_HMAP_H
#define VRAMSIM_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap {
	uint64_t *k, *v;
	uint8_t *used;
	size_t n, cap;
};

void hmap_free(struct hmap *m);
/* Insert or replace. */
void hmap_put(struct hmap *m, uint64_t key, uint64_t val);
/* 1 and *val (if val) when key is present, else 0. */
int hmap_get(const struct hmap *m, uint64_t key, uint64_t *val);
/* Remove key: 1 if it was present, else 0. */
int hmap_del(struct hmap *m, uint64_t key);
/* Iterate: *pos starts at 0; returns 1 with *key and *val set, 0 at the end.
 * The map must not change during the iteration. */
int hmap_next(const struct hmap *m, size_t *pos, uint64_t *key, uint64_t *val);

#endif
