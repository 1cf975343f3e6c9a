/*
 * vgraph.h - what a process's CUDA graph memory holds, from the graph
 * calls of a native trace (trace/vrt.h, VRT_K_GRAPH_*), for the importer
 * (import/vrt_import.c), which turns each change into a labelled free and
 * allocation of category graph.
 *
 * The rule (CUDA driver API reference, "Graph Management":
 * cuDeviceGraphMemTrim, cuGraphAddMemAllocNode): adding a memory node, or
 * capturing a stream-ordered allocation into a graph, allocates nothing; a
 * device's graph pool maps an executable graph's memory when it is
 * launched or uploaded and keeps it, past cuGraphExecDestroy, until
 * cuDeviceGraphMemTrim gives back what no running graph uses. Where the
 * trace has the driver's own count (graph_stat: cuDeviceGetGraphMemAttribute,
 * reserved) that count is what the pool holds. Else a model: a graph needs
 * the peak of its memory nodes in the order they were added (what it frees
 * inside itself is reused, as stream-ordered memory is); each launched
 * executable graph maps its own (no reuse between graphs: an upper bound);
 * a trim gives everything back (launches are taken as complete by then).
 *
 * Devices are the file's ordinals 0..VRT_MAX_DEVICES-1, and
 * VRT_MAX_DEVICES for an unknown one. Ownership: vgraph_new's result is
 * the caller's, freed by vgraph_free (NULL-safe).
 */
#ifndef VRAMSIM_VGRAPH_H
#define VRAMSIM_VGRAPH_H

#include <stdint.h>

#include "vrt.h"

struct vgraph;

struct vgraph *vgraph_new(void);
void vgraph_free(struct vgraph *g);
/* Forget everything (the next process begins). */
void vgraph_reset(struct vgraph *g);
/* stats: the driver counted graph memory in this file (any successful
 * graph_stat): the model is not used. */
void vgraph_set_stats(struct vgraph *g, int stats);

/*
 * Apply one successful call. Returns 1 when the graph pool of ordinal
 * *ord now holds *bytes (a change; *why: the label of the change, a
 * static string), else 0.
 */
int vgraph_apply(struct vgraph *g, const struct vrt_event *e, int *ord, uint64_t *bytes,
		 const char **why);
/* The bytes graph `graph` needs when launched (0 if unknown). */
uint64_t vgraph_need(const struct vgraph *g, uint64_t graph);
/* Ordinal ord's memory was freed otherwise (its context ended). */
void vgraph_drop(struct vgraph *g, int ord);

#endif
