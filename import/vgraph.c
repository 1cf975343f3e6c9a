/*
 * vgraph.c - graph memory of a process (the rules: vgraph.h).
 */
#include "vgraph.h"

#include <stdlib.h>
#include <string.h>

#include "u64map.h"
#include "util.h"

#define NORD VRT_MAX_DEVICES  /* index of an unknown device */

struct vgraph {
	struct u64map need;      /* graph -> peak bytes of its nodes */
	struct u64map run;       /* graph -> bytes of its nodes not freed in it */
	struct u64map gord;      /* graph -> ordinal of its first node */
	struct u64map nodes;     /* node VA -> bytes */
	struct u64map exec_need; /* executable graph -> bytes */
	struct u64map exec_ord;  /* executable graph -> ordinal | epoch << 32: its memory
				  * is mapped while epoch is its ordinal's (0: never) */
	uint32_t epoch[NORD + 1];   /* a trim starts a new one */
	uint64_t mapped[NORD + 1];
	uint64_t held[NORD + 1];
	int stats;
};

static int ord_of(int dev)
{
	return dev >= 0 && dev < VRT_MAX_DEVICES ? dev : NORD;
}

struct vgraph *vgraph_new(void)
{
	struct vgraph *g = util_xcalloc(1, sizeof(*g));
	vgraph_reset(g);
	return g;
}

void vgraph_reset(struct vgraph *g)
{
	u64map_free(&g->need);
	u64map_free(&g->run);
	u64map_free(&g->gord);
	u64map_free(&g->nodes);
	u64map_free(&g->exec_need);
	u64map_free(&g->exec_ord);
	memset(g->mapped, 0, sizeof(g->mapped));
	memset(g->held, 0, sizeof(g->held));
	for (int o = 0; o <= NORD; o++)
		g->epoch[o] = 1;
	g->stats = 0;
}

void vgraph_free(struct vgraph *g)
{
	if (!g)
		return;
	vgraph_reset(g);
	free(g);
}

void vgraph_set_stats(struct vgraph *g, int stats)
{
	g->stats = stats;
}

uint64_t vgraph_need(const struct vgraph *g, uint64_t graph)
{
	uint64_t v = 0;
	u64map_get(&g->need, graph, &v);
	return v;
}

void vgraph_drop(struct vgraph *g, int ord)
{
	g->held[ord_of(ord)] = 0;
	g->mapped[ord_of(ord)] = 0;
}

/* A memory node of graph `graph`: bytes > 0 allocates va, 0 frees it. */
static void node(struct vgraph *g, uint64_t graph, uint64_t va, uint64_t bytes, int dev)
{
	uint64_t run = 0, need = 0, n;
	u64map_get(&g->run, graph, &run);
	u64map_get(&g->need, graph, &need);
	if (!u64map_get(&g->gord, graph, NULL) && dev >= 0)
		u64map_put(&g->gord, graph, (uint64_t)ord_of(dev));
	if (bytes) {
		run += bytes;
		u64map_put(&g->nodes, va, bytes);
	} else if (u64map_del(&g->nodes, va, &n)) {
		run -= n < run ? n : run;
	}
	u64map_put(&g->run, graph, run);
	u64map_put(&g->need, graph, run > need ? run : need);
}

/* The pool of ord holds bytes: 1 when that is a change. */
static int hold(struct vgraph *g, int ord, uint64_t bytes, int *out_ord, uint64_t *out_bytes)
{
	if (g->held[ord] == bytes)
		return 0;
	g->held[ord] = bytes;
	*out_ord = ord;
	*out_bytes = bytes;
	return 1;
}

/* Executable graph ex is launched or uploaded (launch_ord: the stream's
 * device, for an exec whose graph did not say). */
static int map_exec(struct vgraph *g, uint64_t ex, int launch_ord, int *ord, uint64_t *bytes)
{
	uint64_t eo, need = 0;
	if (!u64map_get(&g->exec_ord, ex, &eo))
		return 0;
	int o = (int)(uint32_t)eo;
	if ((uint32_t)(eo >> 32) == g->epoch[o])
		return 0; /* still mapped */
	if (o == NORD)
		o = launch_ord;
	u64map_get(&g->exec_need, ex, &need);
	u64map_put(&g->exec_ord, ex, (uint64_t)o | (uint64_t)g->epoch[o] << 32);
	g->mapped[o] += need;
	if (g->stats || g->mapped[o] <= g->held[o])
		return 0;
	return hold(g, o, g->mapped[o], ord, bytes);
}

int vgraph_apply(struct vgraph *g, const struct vrt_event *e, int *ord, uint64_t *bytes,
		 const char **why)
{
	int kind = vrt_api_kind(e->api), o = ord_of(e->dev);
	uint64_t graph = e->aux & ~VRT_AUX_CAPTURED, v;
	switch (kind) {
	case VRT_K_ALLOC:
	case VRT_K_FREE:
		/* A captured stream-ordered call: a node of that graph. */
		if ((e->aux & VRT_AUX_CAPTURED) && graph)
			node(g, graph, e->addr, kind == VRT_K_ALLOC ? (e->size ? e->size : 1) : 0,
			     e->dev);
		return 0;
	case VRT_K_GRAPH_ALLOC:
		node(g, e->aux, e->addr, e->size ? e->size : 1, e->dev);
		return 0;
	case VRT_K_GRAPH_FREE:
		node(g, e->aux, e->addr, 0, e->dev);
		return 0;
	case VRT_K_GRAPH_DESTROY:
		u64map_del(&g->need, e->addr, NULL);
		u64map_del(&g->run, e->addr, NULL);
		u64map_del(&g->gord, e->addr, NULL);
		return 0;
	case VRT_K_GRAPH_INST: {
		uint64_t go = (uint64_t)o;
		u64map_get(&g->gord, e->aux, &go);
		u64map_put(&g->exec_need, e->addr, vgraph_need(g, e->aux));
		u64map_put(&g->exec_ord, e->addr, go);
		*why = "graph memory mapped at upload";
		/* cuda.h CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD */
		return (e->req & 2) ? map_exec(g, e->addr, o, ord, bytes) : 0;
	}
	case VRT_K_GRAPH_LAUNCH:
		*why = "graph memory mapped at launch";
		return map_exec(g, e->addr, o, ord, bytes);
	case VRT_K_GRAPH_EXEC_DESTROY: {
		/* Its memory stays in the pool until a trim. */
		uint64_t need = 0;
		u64map_del(&g->exec_need, e->addr, &need);
		if (u64map_del(&g->exec_ord, e->addr, &v)) {
			int eo = (int)(uint32_t)v;
			if ((uint32_t)(v >> 32) == g->epoch[eo])
				g->mapped[eo] -= need < g->mapped[eo] ? need : g->mapped[eo];
		}
		return 0;
	}
	case VRT_K_GRAPH_TRIM:
		g->epoch[o]++; /* every executable graph of o is unmapped */
		g->mapped[o] = 0;
		*why = "graph memory trimmed (cuDeviceGraphMemTrim)";
		return g->stats ? 0 : hold(g, o, 0, ord, bytes);
	case VRT_K_GRAPH_STAT:
		*why = e->stream == VRT_GRAPH_STAT_TRIM ? "graph memory trimmed (cuDeviceGraphMemTrim)"
			: "graph memory reserved (cuDeviceGetGraphMemAttribute)";
		return hold(g, o, e->size, ord, bytes);
	default:
		return 0;
	}
}
