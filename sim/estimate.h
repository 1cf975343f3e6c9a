/*
 * estimate.h - what an engine's own estimator would reserve per GPU, to
 * set beside the replay's prediction of real use. The difference is the
 * VRAM a user sees left unused on every card.
 *
 * Engines, one row per era (rules from the engines' sources, cited at
 * each function in estimate.c; the code is ours):
 *  - ollama-0.5: EstimateGPULayers as in Ollama v0.1.x-v0.6.x (llm/memory.go
 *    at v0.5.13): every GPU given a layer reserves the compute graph, 457
 *    MiB and one spare layer (blk.0 + its KV); GPU 0 also the projector
 *    (weights + graph); layers go round-robin from block 0 upwards; KV per
 *    layer from head_dim and KV heads; token embeddings are not counted.
 *  - ollama-0.7: the same estimator as changed in v0.7.0 and kept until
 *    v0.12.10 for the llama engine (llm/memory.go at v0.11.4): layers from
 *    the last block down, KV per layer (sliding-window layers of gemma3
 *    hold num_parallel x window + batch cells), the Ollama engine's
 *    projector placed with the output layer.
 *  - ollama-0.7.0: ollama-0.7 with v0.7.0's spare layer, the largest tensor
 *    group of the file (0478d440f, reverted by 3fe74fba4 in v0.7.1).
 *  - ollama-layout: the 2025 "new memory management" (llm/server.go,
 *    d5a0d8d90, v0.11.5; default for all models from v0.12.11): per GPU
 *    457 MiB + the measured graph + its layers, no spare layer, packed from
 *    the last layer backwards, a capacity factor searched to spread them.
 *  - ollama-0.30: Ollama v0.30.0+ runs llama-server (9db4bdbad): before
 *    launch it predicts file size + f16 KV (PredictServerVRAM), llama-server
 *    --fit places the layers, and `ollama ps` sums the buffers it logs.
 *  - llama-fit: llama.cpp --fit (common/fit.cpp): projected use is the
 *    real allocation (measured with no_alloc), and every device keeps a
 *    1024 MiB margin (--fit-target).
 *
 * Sizes Ollama prints as GB are decimal (format.HumanBytes); GiB where it
 * prints GiB (HumanBytes2).
 */
#ifndef VRAMSIM_ESTIMATE_H
#define VRAMSIM_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "replay.h"
#include "scenario.h"

/* 1 if engine (a name, optionally ":key=value,...") names a known row;
 * the options are checked by est_compute (UTIL_EINPUT naming the option). */
int est_engine_known(const char *engine);
/* The row names, for messages ("ollama-0.5, ollama-0.7, ..."). */
const char *est_engine_list(void);

/*
 * What Ollama's EstimateGPULayers reads from a GGUF. Layer sizes are the
 * blk.N tensor bytes; the caller owns layer_w.
 */
struct est_model {
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
struct est_input {
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
	uint64_t kv_total;         /* 0: from the closed forms; else split evenly over layers
				    * (for architectures without a rule here, e.g. mllama) */
};

enum est_era { EST_ERA_05 = 0, EST_ERA_07 };

/* The estimate, as the `msg=offload` line logs it. */
struct est_result {
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

/*
 * Ollama's KV bytes of layer il and its closed-form graph sizes
 * (fs/ggml/ggml.go GraphSize at v0.5.13 / v0.11.4).
 */
uint64_t est_ollama_kv_layer(const struct est_model *m, const struct est_input *in, enum est_era era,
			     uint32_t il);
void est_ollama_graph(const struct est_model *m, const struct est_input *in, uint64_t kv_total,
		      uint64_t *partial, uint64_t *full);

/*
 * Run EstimateGPULayers of era on m and in. Returns 0, or UTIL_EINPUT
 * (why in *cause, malloc'd) for a model without layers or sizes.
 */
int est_ollama_memory(enum est_era era, const struct est_model *m, const struct est_input *in,
		      struct est_result *r, char **cause);

/*
 * `ollama ps` as Ollama prints it (cmd/cmd.go ListRunningHandler,
 * format.HumanBytes): size "61 GB" (decimal, whole units from 10 up) and
 * processor "44%/56% CPU/GPU", "100% GPU" or "100% CPU".
 */
void est_ollama_ps(uint64_t total, uint64_t vram, char *size, size_t size_n, char *proc,
		   size_t proc_n);

/*
 * Tensor bytes of a llama-architecture model quantised as quant ("Q4_K_M",
 * "Q8_0", "F16") under llama.cpp's per-tensor type rules
 * (src/llama-quant.cpp llama_tensor_get_type): layer_w[0..n_layer),
 * *output (output + output_norm), *token_embd. UTIL_EINPUT for another
 * quantisation.
 */
int est_llama_tensor_sizes(const char *quant, uint32_t n_layer, uint32_t embd, uint32_t heads,
			   uint32_t kv_heads, uint32_t ff, uint32_t vocab, uint64_t *layer_w,
			   uint64_t *output, uint64_t *token_embd, char **cause);

/*
 * Compute engine's per-GPU reservation into est[0..topo.n) (UINT64_MAX for
 * a GPU the engine would not use) for the scenario sc (with ld set), and
 * write into *explain (malloc'd) the line-by-line account: what the
 * engine reserves, what it would choose, what the load really uses under
 * that choice (replayed), and the difference. res is the replay of sc.
 * engine is a row name with optional ":key=value,..." (est_engine_help).
 */
int est_compute(const char *engine, const struct scen *sc, const struct sim_result *res,
		uint64_t *est, char **explain, char **cause);

/* Like est_compute, and *json (malloc'd) gets the engine's figures as one
 * JSON object: layers, split, allocations, total and `ollama ps`. */
int est_compute_json(const char *engine, const struct scen *sc, const struct sim_result *res,
		     uint64_t *est, char **explain, char **json, char **cause);

/* Help text for the ":key=value" options. */
extern const char est_engine_help[];

#endif
