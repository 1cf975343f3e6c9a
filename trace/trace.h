/*
 * trace.h - the vocabulary every stage shares: events, categories, devices.
 *
 * An event is one allocator action on one device at one time. Importers
 * produce them, the store keeps them as rows, the simulator replays them.
 * Sizes are bytes, times are nanoseconds. The numeric values of the enums
 * below are stored in the SQLite store and in native trace files, so they
 * never change: new values are appended.
 */
#ifndef VRAMSIM_EVENT_H
#define VRAMSIM_EVENT_H

#include <stdint.h>

/* What happened. */
enum trace_kind {
	TRACE_ALLOC    = 1,  /* bytes become owned (linear, async, pinned, a log buffer) */
	TRACE_FREE     = 2,  /* bytes owned by the alloc with the same addr are given back */
	TRACE_CREATE   = 3,  /* VMM physical handle created (cuMemCreate): addr = handle */
	TRACE_RELEASE  = 4,  /* VMM handle released; memory lives on while mapped */
	TRACE_MAP      = 5,  /* VMM handle (aux) mapped at addr */
	TRACE_UNMAP    = 6,  /* VMM range at addr unmapped */
	TRACE_RESERVE  = 7,  /* virtual address range reserved: costs no memory */
	TRACE_UNRESERVE= 8,  /* virtual address range freed */
	TRACE_TRIM     = 9,  /* pool trimmed to aux bytes */
	TRACE_OOM      = 10, /* an allocation of size bytes failed (result != 0) */
	TRACE_SNAPSHOT = 11, /* device memory info: size = used, aux = total */
	TRACE_MARKER   = 12, /* a named point in time (label) */
	TRACE_SEGMENT_ALLOC = 13, /* caching-allocator segment reserved (cudaMalloc) */
	TRACE_SEGMENT_FREE  = 14, /* caching-allocator segment released (cudaFree) */
	TRACE_KIND_MAX
};

/* What the bytes are for. Stored by number; names are the CLI vocabulary. */
enum trace_cat {
	TRACE_CAT_OTHER = 0,
	TRACE_CAT_WEIGHTS,    /* model weights */
	TRACE_CAT_KV,         /* KV cache */
	TRACE_CAT_COMPUTE,    /* compute graph / scratch buffers */
	TRACE_CAT_OUTPUT,     /* output (logits) buffer */
	TRACE_CAT_CONTEXT,    /* CUDA context, modules: memory no API call shows */
	TRACE_CAT_WORKSPACE,  /* cuBLAS/cuDNN workspaces */
	TRACE_CAT_COMM,       /* NCCL / communication buffers */
	TRACE_CAT_ACTIVATION, /* activations, tensors of a training step */
	TRACE_CAT_CACHE,      /* held by a caching allocator but free */
	TRACE_CAT_HOST,       /* pinned host memory */
	TRACE_CAT_PROJECTOR,  /* multimodal projector weights */
	TRACE_CAT_GRAPH,      /* CUDA graph memory: mapped at launch, kept until trimmed */
	TRACE_CAT_MANAGED,    /* managed (unified) memory: device pages only when touched,
			       * so replay keeps it apart from VRAM unless asked */
	TRACE_CAT_MAX
};

/* Device index of host memory (CPU, CUDA_Host, pinned buffers). */
#define TRACE_DEV_HOST (-1)
/* Layer value meaning "no layer". */
#define TRACE_LAYER_NONE (-1)

/*
 * One event. Fields that a source does not know are 0 (or -1 for layers).
 * layer_lo..layer_hi is the inclusive range of model layers the bytes belong
 * to; a ggml weights buffer holding layers 0-39 has lo=0, hi=39; the output
 * layer is n_layer.
 */
struct trace_event {
	int64_t  t_ns;       /* time since the trace started, ns */
	int64_t  seq;        /* order within the process (ties in t_ns) */
	int32_t  pid;        /* process (0 if the source has none) */
	int32_t  tid;        /* thread, 0 if unknown */
	int16_t  kind;       /* enum trace_kind */
	int16_t  device;     /* trace-level device index, or TRACE_DEV_HOST */
	int16_t  category;   /* enum trace_cat */
	int16_t  api;        /* source-specific API id (trace/vrt.h), 0 if none */
	int32_t  layer_lo;   /* first layer, TRACE_LAYER_NONE if none */
	int32_t  layer_hi;   /* last layer (inclusive) */
	uint64_t size;       /* granted bytes (requested if granted unknown) */
	uint64_t req_size;   /* requested bytes, 0 if unknown */
	uint64_t addr;       /* address or handle, 0 if none */
	uint64_t aux;        /* kind-specific: MAP handle, SNAPSHOT total, TRIM target */
	uint64_t stream;     /* stream handle, 0 = default */
	int32_t  result;     /* driver result, 0 = success */
	int64_t  label;      /* store label id, 0 = none */
};

/* A recorded device. */
struct trace_device {
	int      index;      /* trace-level index (0..n-1), events refer to it */
	int32_t  pid;        /* process that saw it (0 if unknown) */
	int      ordinal;    /* ordinal as that process saw it */
	char     uuid[48];   /* "GPU-..." or "" */
	char     name[96];   /* "NVIDIA GeForce RTX 3090" or "" */
	uint64_t total;      /* total bytes, 0 if unknown */
};

/* Names: "alloc", "free", ... and "weights", "kv", ...; "?" if out of range. */
const char *trace_kind_name(int kind);
const char *trace_cat_name(int cat);
/* Parse a category name; returns the enum value or -1. */
int trace_cat_parse(const char *name);

/* Initialise an event: zeroes, layers = none, seq/t as given. */
void trace_event_init(struct trace_event *ev, int kind, int64_t t_ns);

#endif
