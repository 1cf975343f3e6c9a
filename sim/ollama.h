/*
 * ollama.h - Ollama's own memory estimator before 2025 (EstimateGPULayers,
 * llm/memory.go), restated from its rules: what `ollama ps` and the
 * `msg=offload` log line report for a model on given GPUs. Pure: no store,
 * no replay (estimate.h sets it beside the replayed real use).
 *
 * Sizes Ollama prints as GB are decimal (format.HumanBytes); GiB where it
 * prints GiB (HumanBytes2). Sources are cited per function in ollama.c.
 */
#ifndef VRAMSIM_OLLAMA_H
#define VRAMSIM_OLLAMA_H

#include <stddef.h>
#include <stdint.h>

#include "topo.h"

/*
 * What Ollama's EstimateGPULayers reads from a GGUF. Layer sizes are the
 * blk.N tensor bytes; the caller owns layer_w.
 */
struct ollama_model {
	const char *arch;          /* "llama" (default), "gemma3", "gemma2", "gemma",
				    * "qwen2", "command-r", "phi2", others: GQA rule */
	uint32_t n_layer, n_embd, n_head, n_head_kv, n_vocab;
	uint32_t head_k, head_v;   /* key/value head dimension (0: embd / heads) */
	uint32_t swa;              /* sliding window in tokens (0: none) */
	uint32_t swa_period;       /* every swa_period-th layer is global (gemma3: 6) */
	const uint64_t *layer_w;   /* [n_layer] blk.N bytes */
	uint64_t output_w;         /* output + output_norm (token_embd when tied) */
	uint64_t token_embd_w;     /* host only; no era of the estimator counts it */
	uint64_t projector_w, projector_graph; /* multimodal projector */
	int      ollama_engine;    /* 0.7 era: projector goes with the output layer */
};

/* The estimator's inputs besides the model. */
struct ollama_input {
	int      n_gpu;
	uint64_t free[TOPO_MAX_GPUS]; /* free memory per GPU as Ollama reads it */
	uint64_t min_memory;       /* 457 MiB for CUDA/ROCm (discover/gpu.go) */
	uint64_t gpu_overhead;     /* OLLAMA_GPU_OVERHEAD, per GPU */
	uint64_t ctx;              /* the scheduler's NumCtx = num_ctx x num_parallel */
	int      parallel;         /* num_parallel (sliding windows scale with it) */
	uint64_t batch;            /* num_batch (512); the graph uses min(ctx, batch) */
	double   kv_bpe;           /* kvCacheBytesPerElement: f16 2, q8_0 1, q4_0 0.5 */
	int      num_gpu;          /* layers requested, -1: automatic */
	uint64_t graph_partial, graph_full; /* 0: from the closed forms */
	int      spare_largest;    /* v0.7.0 only: the spare layer is the largest tensor group
				    * (blk.N, output, token_embd, projector), reverted in v0.7.1 */
	const uint64_t *kv_layer;  /* [n_layer] KV per layer overriding the rules (a log's), or NULL */
	uint64_t kv_total;         /* 0: from the closed forms; else split evenly over layers
				    * (for architectures without a rule here, e.g. mllama) */
};

/* OLLAMA_ERA_05: v0.1-v0.6 (v0.5.13); OLLAMA_ERA_07: v0.7.0-v0.12.10 (v0.11.4;
 * with spare_largest set, v0.7.0). */
enum ollama_era { OLLAMA_ERA_05 = 0, OLLAMA_ERA_07 };

/* The estimate, as the `msg=offload` line logs it. */
struct ollama_result {
	int      layers;           /* layers.offload (output included) */
	int      layers_model;     /* layers.model = n_layer + 1 */
	int      split[TOPO_MAX_GPUS];     /* layers.split */
	uint64_t alloc[TOPO_MAX_GPUS];     /* memory.required.allocations */
	uint64_t vram;             /* memory.required.partial: `ollama ps` SizeVRAM */
	uint64_t total;            /* memory.required.full: `ollama ps` Size */
	uint64_t kv;               /* memory.required.kv */
	uint64_t graph_partial, graph_full; /* memory.graph.* (after the multi-GPU rule) */
	uint64_t spare;            /* the one-layer buffer reserved on every GPU */
	uint64_t output;           /* output layer (+ Ollama-engine projector) */
	int      fully;            /* every layer and the output on GPUs */
};

/* kvCacheBytesPerElement (fs/ggml/ggml.go): "q8_0" 1, "q4_0" 0.5, else 2 (f16). */
double ollama_kv_bpe(const char *type);

/*
 * Ollama's KV bytes of layer il and its closed-form graph sizes
 * (fs/ggml/ggml.go GraphSize at v0.5.13 / v0.11.4).
 */
uint64_t ollama_kv_layer(const struct ollama_model *m, const struct ollama_input *in,
			 enum ollama_era era, uint32_t il);
void ollama_graph(const struct ollama_model *m, const struct ollama_input *in, uint64_t kv_total,
		  uint64_t *partial, uint64_t *full);

/*
 * Run EstimateGPULayers of era on m and in. Returns 0, or UTIL_EINPUT
 * (why in *cause, malloc'd) for a model without layers or sizes.
 */
int ollama_estimate(enum ollama_era era, const struct ollama_model *m,
		    const struct ollama_input *in, struct ollama_result *r, char **cause);

/*
 * `ollama ps` as Ollama prints it (cmd/cmd.go ListRunningHandler,
 * format.HumanBytes): size "61 GB" (decimal, whole units from 10 up) and
 * processor "44%/56% CPU/GPU", "100% GPU" or "100% CPU".
 */
void ollama_ps(uint64_t total, uint64_t vram, char *size, size_t size_n, char *proc,
	       size_t proc_n);

#endif
