/*
 * sim.h - the discrete-event replay: a stream of events (sim/sim_source.h)
 * played onto virtual GPUs (sim/topo.h), each with a capacity, a context
 * reserve and an allocator model. The first allocation that does not fit
 * is the predicted OOM.
 *
 * Accounting rules:
 *  - ALLOC/FREE: live bytes by (pid, addr); a FREE of an unknown address
 *    is counted in n_unmatched and otherwise ignored. Allocations with
 *    addr 0 (log buffers) are never freed.
 *  - VMM: CREATE charges the handle's bytes; the memory lives until both
 *    RELEASE and the last UNMAP of every mapping of the handle. RESERVE,
 *    UNRESERVE and MAP cost nothing.
 *  - SEGMENT_ALLOC/FREE (a caching allocator's cudaMalloc/cudaFree, as a
 *    PyTorch snapshot records them): with the exact and cuda models, a
 *    device that has segment events is charged its segments (reserved)
 *    rather than its blocks; blocks still count as "allocated".
 *  - OOM events are what the program tried and failed: replay probes
 *    them (a predicted OOM if they do not fit) but never keeps the bytes,
 *    since the recorded program went on without them.
 *  - SNAPSHOT (cuMemGetInfo) is kept as the recorded used/total for
 *    comparison; it is not charged.
 *  - With the torch model, ALLOC/FREE go through one caching allocator per
 *    (process, GPU) (sim/torchalloc.h); recorded segments are ignored;
 *    cached free bytes show as the cache category; an allocation fails
 *    only after the model released its cache, as PyTorch does.
 *  - Host memory (device TRACE_DEV_HOST) is tallied but never OOMs.
 *  - Managed memory (category managed, cuMemAllocManaged) occupies a GPU
 *    only in the pages a kernel touches, and the driver evicts them
 *    rather than fail (CUDA programming guide, "Unified Memory"): it is
 *    tallied apart (sim_dev.managed), never charged nor OOMs, unless
 *    managed_as_vram counts it in full as VRAM of its device.
 *  - Graph memory (category graph) is what the importer says a device's
 *    graph pool holds (import/vrt_import.c): charged like an allocation.
 *  - Each GPU that receives an allocation is charged its reserve (the
 *    CUDA context) from that moment, unless the trace itself carries
 *    context-category allocations for that device (measured overhead).
 */
#ifndef VRAMSIM_REPLAY_H
#define VRAMSIM_REPLAY_H

#include <stdint.h>

#include "trace.h"
#include "sim_source.h"
#include "topo.h"

/* Default per-GPU reserve when the trace does not show the CUDA context:
 * llama.cpp's memory breakdown shows 451-456 MiB "unaccounted" per RTX
 * 4090 (llama.cpp PR #15860) and Ollama reserves 457 MiB per CUDA GPU
 * (discover/gpu.go cudaMinimumMemory). */
#define SIM_DEFAULT_RESERVE (450ull << 20)
/* Driver allocation granularity for the cuda model: cuMemAlloc hands out
 * 2 MiB pages (PyTorch's expandable-segment note: "2MiB currently"). */
#define SIM_CUDA_GRANULARITY (2ull << 20)

enum sim_model {
	SIM_MODEL_EXACT = 0, /* bytes as recorded */
	SIM_MODEL_CUDA,      /* each allocation rounded up to the driver granularity */
	SIM_MODEL_TORCH      /* PyTorch CUDACachingAllocator (sim/torchalloc.h) */
};

enum sim_on_oom {
	SIM_OOM_STOP = 0,    /* stop at the first failing allocation */
	SIM_OOM_CONTINUE,    /* count it, drop the allocation, go on */
	SIM_OOM_SPILL        /* the allocation goes to host memory (partial offload) */
};

/* A failing allocation. */
struct sim_oom {
	int64_t  t_ns;
	int32_t  pid;
	int64_t  seq;
	int      device;     /* virtual GPU */
	int      recorded_device; /* device index in the trace */
	uint64_t size;       /* bytes asked (after the allocator model) */
	int      category;
	int32_t  layer_lo, layer_hi;
	uint64_t free;       /* capacity - used at that moment */
	uint64_t used;
	int64_t  label;      /* store label of the event, 0 if none */
	int      recorded;   /* 1: the trace recorded this failure too */
};

/* Observer of every change, for plots, exports and progress. Any pointer
 * may be NULL. Callbacks run while an event is applied, after
 * res->n_events has counted it, so res->n_events - 1 is the index of the
 * event (in source order) that caused the change. */
struct sim_observer {
	void *ud;
	/* device's usage changed at t: used[] by category (reserve included as
	 * "context"), reserved = allocator-held bytes (= sum of used for exact). */
	void (*change)(void *ud, int dev, int64_t t_ns, const uint64_t *used, uint64_t reserved);
	void (*oom)(void *ud, const struct sim_oom *o);
	/* host memory (pinned and CPU buffers, spills) changed at t: used[]
	 * by category. The host never OOMs, so it has no oom callback. */
	void (*host)(void *ud, int64_t t_ns, const uint64_t *used);
	/* called every SIM_TICK events with the count so far (progress) */
	void (*tick)(void *ud, uint64_t n_events);
};
#define SIM_TICK 65536

struct sim_config {
	struct topo topo;
	uint64_t reserve;           /* context reserve per GPU, bytes */
	int reserve_set;            /* 1: --reserve given: overrides measured context */
	enum sim_model model;
	enum sim_on_oom on_oom;
	/* recorded device index -> virtual GPU; n_map = 0: identity (and
	 * recorded devices beyond the topology wrap around, with a warning) */
	int device_map[TOPO_MAX_GPUS];
	int n_map;
	const char *alloc_conf;     /* torch model: PYTORCH_CUDA_ALLOC_CONF style */
	int managed_as_vram;        /* 1: managed memory is charged as VRAM (else tallied apart) */
	/* Recorded devices whose context overhead the trace measured (it holds
	 * context-category allocations there): no default reserve for them.
	 * Fill with sim_source_context() or by hand. */
	uint8_t measured_context[TOPO_MAX_GPUS];
	const struct sim_observer *obs;
};

/* Per-device state and outcome. */
struct sim_dev {
	uint64_t capacity;
	uint64_t reserve;             /* context bytes charged (0 until touched) */
	uint64_t used[TRACE_CAT_MAX]; /* live bytes by category now */
	uint64_t total;               /* sum of used[] */
	uint64_t allocated;           /* live block bytes (without cache/reserve) */
	uint64_t reserved;            /* allocator-held bytes */
	uint64_t peak;                /* max of total */
	int64_t  peak_t;
	uint64_t peak_used[TRACE_CAT_MAX]; /* breakdown at the peak */
	uint64_t peak_reserved;
	uint64_t n_alloc, n_free, n_oom;
	uint64_t recorded_used, recorded_total; /* last SNAPSHOT, 0 if none */
	uint64_t managed, managed_peak; /* managed bytes not charged (!managed_as_vram) */
	int      touched;
	int      measured_context;    /* trace has context allocations here */
};

struct sim_result {
	int n_dev;
	struct sim_dev dev[TOPO_MAX_GPUS];
	struct sim_dev host;
	int has_oom;
	struct sim_oom first_oom;
	uint64_t n_oom;
	uint64_t n_events;
	uint64_t n_unmatched;         /* frees of unknown addresses */
	uint64_t n_spilled;           /* bytes moved to host by --on-oom spill */
	uint64_t n_recorded_oom_ok;   /* recorded OOMs that fit here */
	int64_t  t_end;
	int      stopped;             /* replay stopped at the first OOM */
	int      wrapped_devices;     /* recorded devices beyond the topology */
};

/*
 * Replay src under cfg into *res (res needs no initialisation). Returns 0
 * (also when an OOM was predicted: see res->has_oom), or a negative code
 * if the source fails or the configuration is invalid.
 */
int sim_replay(const struct sim_config *cfg, struct sim_source *src,
	       struct sim_result *res, char **cause);

/* Defaults: no GPUs, reserve SIM_DEFAULT_RESERVE, exact, stop. */
void sim_config_init(struct sim_config *cfg);

/* Headroom of device d: capacity - peak (0 if over). */
uint64_t sim_headroom(const struct sim_dev *d);

#endif
