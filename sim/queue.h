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

struct queue_item {
	int64_t  t_ns;
	int32_t  pid;
	int64_t  seq;
	uint32_t src;   /* caller's payload: which stream the item came from */
};

struct queue;

/* New empty queue; free with queue_free() (NULL-safe). */
struct queue *queue_new(void);
void queue_free(struct queue *q);
void queue_push(struct queue *q, const struct queue_item *it);
/* Pop the smallest item into *out; returns 1, or 0 if empty. */
int queue_pop(struct queue *q, struct queue_item *out);
size_t queue_size(const struct queue *q);
/* Compare two items by the key: <0, 0, >0. */
int queue_cmp(const struct queue_item *a, const struct queue_item *b);

#endif
