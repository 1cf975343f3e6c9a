/*
 * u64map.h - a hash map from uint64 keys to uint64 values (prefix u64map_),
 * the one map of the project: live allocations by address during replay
 * (100 million events stream at memory speed), the importers' bookkeeping
 * (frees by address, labels by container id, stacks by size), the store's
 * open chunk per process.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so long alloc/free streams never degrade the table), at most
 * half full. Every uint64 key is allowed (key 0 is kept beside the table).
 * Operations are O(1) expected; no allocation per entry.
 *
 * Ownership: the map owns its arrays; a zeroed struct is an empty map;
 * u64map_free() releases them and leaves the map empty and reusable.
 */
#ifndef VRAMSIM_U64MAP_H
#define VRAMSIM_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys, *vals; /* keys[i] == 0: slot empty */
	size_t cap, n;         /* cap: 0 or a power of two; n counts key 0 too */
	int shift;             /* 64 - log2(cap) */
	int has_zero;
	uint64_t zero_val;
};

void u64map_free(struct u64map *m);
/* Insert or replace. */
void u64map_put(struct u64map *m, uint64_t key, uint64_t val);
/* Insert or replace; 1 and the replaced value in *old (if old) when key
 * was present, else 0. */
int u64map_swap(struct u64map *m, uint64_t key, uint64_t val, uint64_t *old);
/* 1 and *val (if val) when key is present, else 0. */
int u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
/* Remove key: 1 and its value in *val (if val) if it was present, else 0. */
int u64map_del(struct u64map *m, uint64_t key, uint64_t *val);
size_t u64map_size(const struct u64map *m);
/* Iterate: *pos starts at 0; returns 1 with *key and *val set, 0 at the
 * end. The map must not change during the iteration. */
int u64map_next(const struct u64map *m, size_t *pos, uint64_t *key, uint64_t *val);

#endif
