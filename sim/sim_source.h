/*
 * sim_source.h - where a replay's events come from: a stored trace (its
 * per-process streams merged by the event queue, streaming, so a
 * 100-million-event trace needs no more memory than its process count)
 * or an array in memory (what-if scenarios, tests).
 */
#ifndef VRAMSIM_SOURCE_H
#define VRAMSIM_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"
#include "store.h"

struct sim_source;

/* Merge the processes of a stored trace by (time, pid, seq). */
int sim_source_store(struct store *st, int64_t trace, struct sim_source **out,
		     char **cause);
/* Events from an array in (time, pid, seq) order; the array is borrowed
 * and must outlive the source. */
struct sim_source *sim_source_array(const struct trace_event *ev, size_t n);
/* Next event: 1 with *ev filled, 0 at the end, negative on error. */
int sim_source_next(struct sim_source *s, struct trace_event *ev, char **cause);
/* The same without a copy for arrays: a pointer to the next event, valid
 * until the next call, or NULL with *rc 0 at the end or negative on an
 * error. */
const struct trace_event *sim_source_ref(struct sim_source *s, int *rc, char **cause);
void sim_source_free(struct sim_source *s);

/*
 * Load every event of a trace into memory in replay order. *out is
 * malloc'd (free() it). For traces small enough to transform (logs,
 * what-if inputs); replay of large traces streams with sim_source_store.
 */
int sim_source_load(struct store *st, int64_t trace, struct trace_event **out,
		    size_t *n, char **cause);

/*
 * Mark in mask[] (TOPO_MAX_GPUS entries, zeroed by the caller) the
 * recorded devices that have context-category allocations in the trace
 * (stored trace: trace >= 0; or an array: ev/n).
 */
int sim_source_context(struct store *st, int64_t trace, uint8_t *mask, char **cause);
void sim_source_events_context(const struct trace_event *ev, size_t n, uint8_t *mask);

#endif
