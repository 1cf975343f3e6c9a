/*
 * sim_source.c - event sources for replay.
 */
#include "sim_source.h"
#include "queue.h"
#include "topo.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct sim_source {
	/* array mode */
	const struct trace_event *arr;
	size_t n, pos;
	/* store mode: one iterator and one look-ahead event per process */
	struct store_iter **it;
	struct trace_event *head;
	size_t n_it;
	struct queue *q;
	struct trace_event cur;   /* the event sim_source_ref() handed out */
};

struct sim_source *sim_source_array(const struct trace_event *ev, size_t n)
{
	struct sim_source *s = util_xcalloc(1, sizeof(*s));
	s->arr = ev;
	s->n = n;
	return s;
}

static int refill(struct sim_source *s, uint32_t i, char **cause)
{
	int rc = store_iter_next(s->it[i], &s->head[i], cause);
	if (rc == 1) {
		struct queue_item it = { s->head[i].t_ns, s->head[i].pid, s->head[i].seq, i };
		queue_push(s->q, &it);
		return 0;
	}
	return rc;
}

int sim_source_store(struct store *st, int64_t trace, struct sim_source **out,
		     char **cause)
{
	int32_t *pids = NULL;
	size_t np = 0;
	int rc = store_pids(st, trace, &pids, &np, cause);
	if (rc)
		return rc;
	struct sim_source *s = util_xcalloc(1, sizeof(*s));
	s->q = queue_new();
	s->it = util_xcalloc(np ? np : 1, sizeof(*s->it));
	s->head = util_xcalloc(np ? np : 1, sizeof(*s->head));
	s->n_it = np;
	for (size_t i = 0; i < np && !rc; i++) {
		rc = store_iter_open(st, trace, pids[i], &s->it[i], cause);
		if (!rc)
			rc = refill(s, (uint32_t)i, cause);
	}
	free(pids);
	if (rc) {
		sim_source_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int sim_source_next(struct sim_source *s, struct trace_event *ev, char **cause)
{
	if (!s->q) {
		if (s->pos >= s->n)
			return 0;
		*ev = s->arr[s->pos++];
		return 1;
	}
	struct queue_item top;
	if (!queue_pop(s->q, &top))
		return 0;
	*ev = s->head[top.src];
	int rc = refill(s, top.src, cause);
	return rc < 0 ? rc : 1;
}

const struct trace_event *sim_source_ref(struct sim_source *s, int *rc, char **cause)
{
	if (!s->q) {
		*rc = 0;
		return s->pos < s->n ? &s->arr[s->pos++] : NULL;
	}
	*rc = sim_source_next(s, &s->cur, cause);
	return *rc == 1 ? &s->cur : NULL;
}

void sim_source_free(struct sim_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_it; i++)
		store_iter_free(s->it[i]);
	free(s->it);
	free(s->head);
	queue_free(s->q);
	free(s);
}

int sim_source_load(struct store *st, int64_t trace, struct trace_event **out,
		    size_t *n, char **cause)
{
	struct sim_source *s;
	int rc = sim_source_store(st, trace, &s, cause);
	if (rc)
		return rc;
	struct trace_event *arr = NULL, ev;
	size_t cnt = 0, alloc = 0;
	while ((rc = sim_source_next(s, &ev, cause)) == 1) {
		UTIL_GROW(arr, cnt + 1, alloc);
		arr[cnt++] = ev;
	}
	sim_source_free(s);
	if (rc < 0) {
		free(arr);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int sim_source_context(struct store *st, int64_t trace, uint8_t *mask, char **cause)
{
	struct store_event_stat *es = NULL;
	size_t n = 0;
	int rc = store_event_stats(st, trace, &es, &n, cause);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (es[i].category == TRACE_CAT_CONTEXT && es[i].kind == TRACE_ALLOC &&
		    es[i].device >= 0 && es[i].device < TOPO_MAX_GPUS)
			mask[es[i].device] = 1;
	free(es);
	return 0;
}

void sim_source_events_context(const struct trace_event *ev, size_t n, uint8_t *mask)
{
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == TRACE_ALLOC && ev[i].category == TRACE_CAT_CONTEXT &&
		    ev[i].device >= 0 && ev[i].device < TOPO_MAX_GPUS)
			mask[ev[i].device] = 1;
}
