/*
 * amap.h - an open-addressing hash map from 64-bit keys to 64-bit values,
 * for live allocations by address during replay: O(1) per event and no
 * allocation per entry, so 100 million events stream at memory speed.
 * Key 0 is reserved (callers never use address 0 as a key).
 */
#ifndef VRAMSIM_AMAP_H
#define VRAMSIM_AMAP_H

#include <stddef.h>
#include <stdint.h>

struct amap;

struct amap *amap_new(void);
void amap_free(struct amap *m);           /* NULL-safe */
/* Insert or replace. key must not be 0. */
void amap_put(struct amap *m, uint64_t key, uint64_t val);
/* Insert or replace; 1 and the replaced value in *old if key was present. */
int amap_swap(struct amap *m, uint64_t key, uint64_t val, uint64_t *old);
/* 1 and *val if present, else 0. */
int amap_get(const struct amap *m, uint64_t key, uint64_t *val);
/* Remove; 1 and *val (if val) if it was present, else 0. */
int amap_del(struct amap *m, uint64_t key, uint64_t *val);
size_t amap_size(const struct amap *m);
/* Iterate: *pos starts at 0; returns 1 with key/val until 0 at the end. */
int amap_next(const struct amap *m, size_t *pos, uint64_t *key, uint64_t *val);

#endif
