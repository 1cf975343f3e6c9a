/*
 * queue.c - binary heap of queue_item.
 */
#include "queue.h"
#include "util.h"

#include <stdlib.h>

struct queue {
	struct queue_item *a;
	size_t n, alloc;
};

struct queue *queue_new(void)
{
	return util_xcalloc(1, sizeof(struct queue));
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	free(q->a);
	free(q);
}

size_t queue_size(const struct queue *q)
{
	return q->n;
}

int queue_cmp(const struct queue_item *a, const struct queue_item *b)
{
	if (a->t_ns != b->t_ns)
		return a->t_ns < b->t_ns ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

void queue_push(struct queue *q, const struct queue_item *it)
{
	UTIL_GROW(q->a, q->n + 1, q->alloc);
	size_t i = q->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (queue_cmp(&q->a[parent], it) <= 0)
			break;
		q->a[i] = q->a[parent];
		i = parent;
	}
	q->a[i] = *it;
}

int queue_pop(struct queue *q, struct queue_item *out)
{
	if (q->n == 0)
		return 0;
	*out = q->a[0];
	struct queue_item last = q->a[--q->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && queue_cmp(&q->a[c + 1], &q->a[c]) < 0)
			c++;
		if (queue_cmp(&last, &q->a[c]) <= 0)
			break;
		q->a[i] = q->a[c];
		i = c;
	}
	if (q->n)
		q->a[i] = last;
	return 1;
}
