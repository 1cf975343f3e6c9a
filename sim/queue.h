/*
 * queue.h - the event queue: a binary min-heap keyed by (time, process,
 * sequence). The key is total: equal times break by pid, then by the
 * per-process sequence number, so a replay of the same input produces
 * the same output byte for byte.
 */
#ifndef VRAMSIM_QUEUE_H
#define VRAMSIM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct simq_item {
	int64_t  t_ns;
	int32_t  pid;
	int64_t  seq;
	uint32_t src;   /* caller's payload: which stream the item came from */
};

struct simq;

/* New empty queue; free with simq_free() (NULL-safe). */
struct simq *simq_new(void);
void simq_free(struct simq *q);
void simq_push(struct simq *q, const struct simq_item *it);
/* Pop the smallest item into *out; returns 1, or 0 if empty. */
int simq_pop(struct simq *q, struct simq_item *out);
size_t simq_size(const struct simq *q);
/* Compare two items by the key: <0, 0, >0. */
int simq_cmp(const struct simq_item *a, const struct simq_item *b);

#endif
