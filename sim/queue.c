/*
 * queue.c - binary heap of simq_item.
 */
#include "queue.h"
#include "util.h"

#include <stdlib.h>

struct simq {
	struct simq_item *a;
	size_t n, alloc;
};

struct simq *simq_new(void)
{
	return util_xcalloc(1, sizeof(struct simq));
}

void simq_free(struct simq *q)
{
	if (!q)
		return;
	free(q->a);
	free(q);
}

size_t simq_size(const struct simq *q)
{
	return q->n;
}

int simq_cmp(const struct simq_item *a, const struct simq_item *b)
{
	if (a->t_ns != b->t_ns)
		return a->t_ns < b->t_ns ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

void simq_push(struct simq *q, const struct simq_item *it)
{
	UTIL_GROW(q->a, q->n + 1, q->alloc);
	size_t i = q->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (simq_cmp(&q->a[parent], it) <= 0)
			break;
		q->a[i] = q->a[parent];
		i = parent;
	}
	q->a[i] = *it;
}

int simq_pop(struct simq *q, struct simq_item *out)
{
	if (q->n == 0)
		return 0;
	*out = q->a[0];
	struct simq_item last = q->a[--q->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && simq_cmp(&q->a[c + 1], &q->a[c]) < 0)
			c++;
		if (simq_cmp(&last, &q->a[c]) <= 0)
			break;
		q->a[i] = q->a[c];
		i = c;
	}
	if (q->n)
		q->a[i] = last;
	return 1;
}
