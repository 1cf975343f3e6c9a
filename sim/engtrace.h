/*
 * engtrace.h - an engine plan (engine.h) as a trace in the store, so that
 * replay, fit, plot, diff, export and sweep work on it as on a recorded
 * load: one allocation per buffer llama.cpp would create, in its load
 * order (weights per device, then KV, the output buffer, then the compute
 * reservations), host buffers on the host.
 */
#ifndef VRAMSIM_ENGTRACE_H
#define VRAMSIM_ENGTRACE_H

#include <stdint.h>

#include "engine.h"
#include "trace.h"
#include "store.h"

/*
 * Write p (planned for r by the engine described by engine) as a new
 * trace named name (NULL: derived from the model's file name), in one
 * transaction: nothing is written on failure. The CUDA context and
 * library workspaces are not ggml buffers: context (may be NULL) holds
 * per GPU what a recorded load of this machine measured for them, written
 * as context allocations first; a GPU without one gets none, and a replay
 * charges its --reserve (documented default 450M, sim/sim.h) as that
 * category. *id is the new trace. 0 or a UTIL_* code.
 * spec is the model as the user named it (a GGUF path, made absolute, or
 * an ollama:/store:/model: spec; NULL: r->model), kept with the settings
 * and placement rules so that a what-if on the trace is re-planned by the
 * engine (sim/engrec.h, engrec_saved_plan).
 */
int engtrace_save(struct store *st, const char *name, const struct eng_req *r, const char *spec,
		  const struct eng_plan *p, const char *engine, const uint64_t *context,
		  int64_t *id, char **cause);

/*
 * The same buffers as an event list for an in-memory replay (the engine
 * row of the engine table, sim/engrow.h): context and workspace (each may
 * be NULL) are per-GPU bytes that are not ggml buffers, emitted first as
 * their own categories. *ev is malloc'd (the caller frees it); events
 * carry no store labels.
 */
void engtrace_events(const struct eng_plan *p, const uint64_t *context, const uint64_t *workspace,
		     struct trace_event **ev, size_t *n);

#endif
