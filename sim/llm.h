/*
 * llm.h - what-if for llama.cpp / Ollama loads.
 *
 * A recorded load (a log-derived trace: per-device weights, KV and
 * compute buffers plus the load's settings) is decomposed into per-layer
 * quantities (llm_decompose), then recomposed under a scenario on a new
 * topology by llama.cpp's placement rules (llm_build), giving an event
 * stream for sim_replay(). The rules (from llama.cpp src/llama-model.cpp and
 * src/llama-context.cpp; README "How a what-if is computed"):
 *  - layer split: the offloaded layers are the last n_gpu_layers of
 *    0..n_layer, where layer n_layer is the output layer; layer il goes to
 *    the first GPU g whose cumulative split fraction exceeds
 *    (il - first_offloaded) / n_gpu_layers (llama.cpp llama_model_load);
 *  - KV of layer l lives with layer l (split, not copied); its size scales
 *    with context cells (ctx x parallel) and bytes per element of the KV
 *    type; layers left on the host keep their KV on the host;
 *  - one compute buffer on every GPU holding a layer: without flash
 *    attention its dominant term is the KQ matrix, cells x n_ubatch x
 *    n_head x 4 B; the output GPU adds the logits, n_vocab x n_ubatch x
 *    4 B; the rest grows linearly with n_ubatch. The main GPU's, the
 *    middle GPUs' and the last GPU's buffers are modelled apart, each from
 *    the recorded buffer of the same role;
 *  - ik_llama.cpp's -amb N (attention max batch, MiB) computes K*Q in
 *    steps over the heads once the whole K*Q would exceed N MiB, so the
 *    KQ term is one step's (llm_kq_term below gives the rule and source);
 *  - token embeddings and non-offloaded layers stay in host memory.
 */
#ifndef VRAMSIM_LLM_H
#define VRAMSIM_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"
#include "profile.h"
#include "store.h"
#include "topo.h"

#define LLM_MAX_LAYERS 4096

/* Roles of a GPU's compute buffer. */
enum { LLM_ROLE_MAIN = 0, LLM_ROLE_MID, LLM_ROLE_LAST, LLM_ROLE_SINGLE, LLM_ROLES };

/* A decomposed load. All byte counts at the recorded settings. */
struct llm_load {
	char     model[128];
	uint32_t n_layer;          /* repeating layers; the output layer is n_layer */
	uint32_t n_embd, n_head, n_head_kv, n_vocab, n_ctx_train;
	int      approx;           /* per-layer sizes derived by division */
	int      have_profile;     /* a GGUF profile gave the layer sizes */
	uint64_t layer_w[LLM_MAX_LAYERS + 1]; /* weights per layer; [n_layer] = output */
	uint64_t host_fixed;       /* always on host: token embeddings, ... */
	uint64_t kv_layer;         /* KV bytes of one layer */
	double   kv_per_cell;      /* no KV logged: bytes per cell and layer from the shape */
	uint64_t cells;            /* recorded KV cells (n_ctx, all slots) */
	int      parallel;         /* recorded slots */
	int      ubatch, batch, flash_attn;
	int      amb;              /* ik_llama.cpp -amb: attention K*Q cap in MiB, 0 = none */
	int      mla;              /* ik_llama.cpp -mla mode (0: standard attention) */
	char     type_k[16], type_v[16];
	int      rec_gpus;         /* recorded GPUs holding layers */
	int      rec_layers[TOPO_MAX_GPUS]; /* layers per recorded GPU (output included) */
	int      rec_n_gpu_layers; /* layers offloaded (output included) */
	uint64_t comp_rest[LLM_ROLES]; /* compute minus KQ and logits, per role */
	int      have_role[LLM_ROLES];
	uint64_t comp_host;        /* host compute buffer */
	uint64_t out_host;         /* host output (logits) buffer */
	uint64_t other_gpu;        /* per GPU: buffers of other kinds (projector...) on GPU 0 */
	uint64_t context;          /* measured CUDA context per GPU, 0 if none */
	int      n_copies;         /* pipeline parallel copies (1 if single GPU) */
	/* Fixed layout: the layer count or the weights are unknown, so the
	 * recorded per-device buffers keep their devices and only scale (KV
	 * with cells and type, compute with ctx/ubatch/flash-attn). */
	int      fixed;
	int      fx_n;             /* recorded devices */
	uint64_t fx_w[TOPO_MAX_GPUS], fx_kv[TOPO_MAX_GPUS], fx_other[TOPO_MAX_GPUS];
	uint64_t fx_comp_rest[TOPO_MAX_GPUS]; /* compute minus KQ and logits */
	uint8_t  fx_has_comp[TOPO_MAX_GPUS], fx_holds_out[TOPO_MAX_GPUS];
	uint64_t host_kv;
	/* Compute scaling fitted from several loads of the same model: bytes
	 * per (KV cell x micro-batch token), replacing n_head x 4; 0 = use the
	 * engine's KQ term. */
	double   kq_per_cell_token;
	int      fit_loads;        /* loads the fit used (0: none) */
	int      not_a_load;       /* llm_decompose: the trace holds no model buffers */
	char     notes[8][160];    /* approximations made */
	int      n_notes;
};

/* A what-if. Zero / -1 fields keep the recorded value. */
struct llm_scenario {
	int      n_gpu_layers;     /* -1: all layers (n_layer + 1) */
	double   split[TOPO_MAX_GPUS]; /* proportions, n_split == 0: by free memory */
	int      n_split;
	int      main_gpu;         /* compute main role goes here */
	uint64_t ctx;              /* context per slot, 0: recorded */
	int      parallel;         /* 0: recorded */
	int      ubatch;           /* 0: recorded */
	int      batch;            /* 0: recorded */
	int      flash_attn;       /* -1: recorded, 0 off, 1 on */
	char     kv_type[16];      /* "" : recorded; else f16, q8_0, q4_0, ... */
	int      amb;              /* ik_llama.cpp -amb MiB: 0 recorded, > 0 the cap, < 0 off */
	uint64_t reserve;          /* context reserve per GPU (for the default split) */
};

void llm_scenario_init(struct llm_scenario *sc);

/* Model dimensions a user supplies when the log does not print them
 * (--meta heads=128,layers=61); 0 = not given. */
struct llm_meta {
	uint32_t n_layer, n_embd, n_head, n_head_kv, n_vocab, n_ctx_train;
	/* settings of the recorded run: n_ctx (all slots), n_ubatch, flash attention (0 = not given, 1 off, 2 on) */
	uint32_t ctx, ubatch, fa;
	/* a --profile resolved for this replay only (0: the attached one) */
	int64_t profile_id;
};
/* Parse "layers=61,heads=128,kv_heads=..,embd=..,vocab=..,ctx_train=..,
 * ctx=32768,ubatch=256,fa=off". */
int llm_meta_parse(const char *spec, struct llm_meta *m, char **cause);

/*
 * Decompose trace into *ld using its events, settings, attached profile
 * (if any) and meta (may be NULL; it wins over the log). UTIL_EINPUT when
 * the trace holds no llama.cpp/Ollama buffers (why in *cause). A load
 * whose layer count or weights are unknown decomposes in fixed layout.
 */
int llm_decompose(struct store *st, int64_t trace, const struct llm_meta *meta,
		  struct llm_load *ld, char **cause);

/*
 * Build the event stream of ld under sc on topo: *ev is malloc'd (free
 * it), layers[g] receives layers per GPU (output layer included). Also
 * describes the scenario in desc (size n). UTIL_EINPUT for an impossible
 * scenario (split with the wrong number of entries, num_gpu too large).
 */
int llm_build(const struct llm_load *ld, const struct llm_scenario *sc, const struct topo *topo,
	      struct trace_event **ev, size_t *n, int *layers, char *desc, size_t desc_n,
	      char **cause);

/* Bytes per KV element of a ggml type ("f16" 2, "q8_0" 34/32, "q4_0"
 * 18/32, ...); 0 if unknown. */
double llm_kv_bytes(const char *type);

/* Layer assignment: first[g], count[g] of the layers 0..n_layer on each
 * of n GPUs (llama.cpp's rule). Returns index of first offloaded layer. */
int llm_assign(uint32_t n_layer, int n_gpu_layers, const double *split, int n,
	       int *first, int *count);

/* Compute buffer of a GPU with the given role under sc; holds_output adds logits. */
uint64_t llm_compute(const struct llm_load *ld, const struct llm_scenario *sc, int role,
		     int holds_output);
/*
 * The KQ term of a compute buffer at cells x ubatch under amb (MiB, 0 =
 * no cap): the whole K*Q, or one step's when ik_llama.cpp splits it.
 */
double llm_kq_term(const struct llm_load *ld, uint64_t cells, int ubatch, int amb);
/* KV bytes of one layer under sc. */
uint64_t llm_kv_layer(const struct llm_load *ld, const struct llm_scenario *sc);

/*
 * 1 when a build of ld under sc leaves out a term every llama.cpp load
 * allocates: no KV cache recorded and none computable for sc (no model
 * shape, or no --ctx to size it), or no GPU compute buffer recorded. Its
 * predictions are then lower bounds, and a verdict must say so.
 */
int llm_lower_bound(const struct llm_load *ld, const struct llm_scenario *sc);

/* Add an approximation note to ld (printf-style; dropped when full). */
void llm_note(struct llm_load *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- llm_from.c: loads from a model description ---- */

/*
 * Make a load from model hyper-parameters alone, for models never loaded:
 * spec "layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G"
 * (+ optional ff=, ctx=, ctx_train=, parallel=, ubatch=, fa=, kv=). Layer sizes are
 * approximate; notes say so.
 */
int llm_from_spec(const char *spec, struct llm_load *ld, char **cause);

/*
 * Make a load from a model profile alone (a store holding only a GGUF):
 * exact per-layer weights, KV from the shape at ctx cells (0: the
 * server's default), compute estimated from hyper-parameters.
 */
int llm_from_profile(const struct profile *p, uint64_t ctx, struct llm_load *ld, char **cause);

#endif
