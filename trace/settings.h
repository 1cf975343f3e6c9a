/*
 * settings.h - the declared settings of a trace: every key an importer
 * writes and the simulator reads, with its type and meaning, in one
 * table (SETTINGS_TABLE). Writers and readers name a key by its enum
 * (SK(N_CTX) is the string "n_ctx"), so a renamed or missing key is a
 * compile error, not a silently different prediction.
 *
 * Keys built at run time (PyTorch allocator settings, Nsight and Kineto
 * counters, the shim's info records) belong to a declared family: a
 * prefix with its meaning (SETTINGS_FAMILIES).
 *
 * Typed accessors propagate store errors (UTIL_* codes with *cause); an
 * unset value and a value that does not parse as its type are told apart
 * (*set = 0 vs UTIL_EINPUT naming the key and the value).
 */
#ifndef VRAMSIM_SETTINGS_H
#define VRAMSIM_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum settings_type { SETT_INT, SETT_DBL, SETT_SIZE, SETT_STR };
enum { SETT_SIM = 1 };

/* X(ID, "key", type, flags, "meaning"); flags SETT_SIM: the what-if engine
 * (sim/llm.c) reads it, so `show` lists it when the trace lacks it. */
#define SETTINGS_TABLE(X) \
	X(ENGINE, "engine", SETT_STR, 0, "engine that wrote the log (llama.cpp, ik_llama.cpp, ollama)") \
	X(MODEL, "model", SETT_STR, SETT_SIM, "model file the run loaded (-m, base name)") \
	X(MMPROJ, "mmproj", SETT_STR, 0, "multimodal projector file (--mmproj, base name)") \
	X(MMPROJ_NAME, "mmproj.name", SETT_STR, 0, "projector model name (mllama)") \
	X(N_CTX, "n_ctx", SETT_INT, SETT_SIM, "KV cells the context holds, all slots") \
	X(N_CTX_PER_SEQ, "n_ctx_per_seq", SETT_INT, 0, "KV cells per sequence (slot)") \
	X(CTX_SIZE, "ctx_size", SETT_INT, SETT_SIM, "--ctx-size / -c as given on the command line") \
	X(KV_CELLS, "kv_cells", SETT_INT, SETT_SIM, "KV cells from the KV cache init line") \
	X(KV_LAYERS, "kv_layers", SETT_INT, 0, "layers holding KV from the KV cache init line") \
	X(KV_SELF_MIB, "kv_self_mib", SETT_DBL, SETT_SIM, "total KV cache in MiB ('KV self size')") \
	X(N_BATCH, "n_batch", SETT_INT, SETT_SIM, "logical batch (-b)") \
	X(N_UBATCH, "n_ubatch", SETT_INT, SETT_SIM, "micro-batch (-ub)") \
	X(N_SEQ_MAX, "n_seq_max", SETT_INT, SETT_SIM, "parallel sequences the context was built for") \
	X(PARALLEL, "parallel", SETT_INT, SETT_SIM, "parallel slots (-np, OLLAMA_NUM_PARALLEL)") \
	X(FLASH_ATTN, "flash_attn", SETT_INT, SETT_SIM, "flash attention on (1) or off (0)") \
	X(FLASH_ATTN_REQUESTED, "flash_attn_requested", SETT_STR, 0, "flash attention as asked (auto)") \
	X(MLA_ATTN, "mla_attn", SETT_INT, 0, "ik_llama.cpp multi-head latent attention mode") \
	X(FUSED_MOE, "fused_moe", SETT_INT, 0, "ik_llama.cpp fused MoE") \
	X(CAUSAL_ATTN, "causal_attn", SETT_INT, 0, "causal attention") \
	X(KV_UNIFIED, "kv_unified", SETT_STR, 0, "one KV buffer shared by the slots") \
	X(TYPE_K, "type_k", SETT_STR, SETT_SIM, "K cache type (f16, q8_0, ...)") \
	X(TYPE_V, "type_v", SETT_STR, SETT_SIM, "V cache type") \
	X(N_COPIES, "n_copies", SETT_INT, SETT_SIM, "pipeline-parallel copies of the compute graph") \
	X(GRAPH_NODES, "graph_nodes", SETT_INT, 0, "compute graph nodes") \
	X(GRAPH_SPLITS, "graph_splits", SETT_INT, 0, "compute graph splits") \
	X(REPEATING_LAYERS_OFFLOADED, "repeating_layers_offloaded", SETT_INT, 0, \
	  "repeating layers offloaded to GPUs") \
	X(OUTPUT_OFFLOADED, "output_offloaded", SETT_INT, SETT_SIM, "output layer on a GPU (1) or the CPU (0)") \
	X(N_GPU_LAYERS_OFFLOADED, "n_gpu_layers_offloaded", SETT_INT, SETT_SIM, "layers offloaded, output included") \
	X(N_LAYER_TOTAL, "n_layer_total", SETT_INT, SETT_SIM, "layers of the model, output included") \
	X(N_GPU_LAYERS, "n_gpu_layers", SETT_INT, SETT_SIM, "-ngl as given on the command line") \
	X(GPU_DEVICES_FOUND, "gpu_devices_found", SETT_INT, 0, "GPUs the backend found") \
	X(TENSOR_SPLIT, "tensor_split", SETT_STR, SETT_SIM, "-ts proportions, one per device") \
	X(MAIN_GPU, "main_gpu", SETT_INT, 0, "-mg main GPU") \
	X(SPLIT_MODE, "split_mode", SETT_STR, 0, "-sm layer|row|none") \
	X(FIT, "fit", SETT_STR, 0, "--fit as given") \
	X(FIT_TARGET_MIB, "fit_target_mib", SETT_STR, 0, "--fit-target MiB per device as given") \
	X(FIT_MIN_CTX, "fit_min_ctx", SETT_INT, 0, "--fit-ctx: the smallest context --fit may choose") \
	X(FIT_N_CTX, "fit.n_ctx", SETT_INT, 0, "context --fit chose") \
	X(FIT_N_CTX_FROM, "fit.n_ctx_from", SETT_INT, 0, "context before --fit reduced it") \
	X(FIT_RESULT, "fit.result", SETT_STR, 0, "--fit outcome (ok, or why it failed)") \
	X(OVERRIDE_TENSOR, "override_tensor", SETT_STR, 0, "-ot REGEX=DEV rules, ';'-joined") \
	X(N_CPU_MOE, "n_cpu_moe", SETT_INT, 0, "--n-cpu-moe: MoE expert layers kept on the CPU") \
	X(CPU_MOE, "cpu_moe", SETT_INT, 0, "--cpu-moe: every MoE expert on the CPU") \
	X(NO_KV_OFFLOAD, "no_kv_offload", SETT_INT, 0, "--no-kv-offload: KV cache on the host") \
	X(CMDLINE, "cmdline", SETT_INT, 0, "the run's command line was in the log (its options are recorded)") \
	X(TENSORS_OVERRIDDEN, "tensors_overridden", SETT_STR, 0, "tensors a -v log says -ot moved ('buffer type overridden to DEV'): NAME=DEV ';'-joined") \
	X(LLAMA_BUILD, "llama_build", SETT_INT, 0, "llama.cpp build number that wrote the log ('build: N (commit)')") \
	X(GPU_BACKEND, "gpu_backend", SETT_STR, 0, "ggml backend of the GPU buffers (CUDA, ROCm, Vulkan, RPC, Metal, SYCL, ...), '+'-joined when a load mixes them") \
	X(GPU_FREE_MIB, "gpu_free_mib", SETT_STR, 0, "free MiB per GPU as the model loaded ('using device'), ','-joined by index, '?' unknown") \
	X(DEVICE, "device", SETT_STR, 0, "--device list as given") \
	X(NO_MMAP, "no_mmap", SETT_INT, 0, "--no-mmap") \
	X(MLOCK, "mlock", SETT_INT, 0, "--mlock") \
	X(ATTN_MAX_BATCH, "attn_max_batch", SETT_INT, SETT_SIM, "ik_llama.cpp -amb: attention batch cap (MiB)") \
	X(RUN_TIME_REPACK, "run_time_repack", SETT_INT, 0, "ik_llama.cpp -rtr") \
	X(ESTIMATE_ONLY, "estimate_only", SETT_INT, 0, "the log holds an engine's estimate, no buffers") \
	X(OLLAMA_RUNNER, "ollama.runner", SETT_STR, 0, "Ollama runner: llama, ollama engine, llama-server") \
	X(PLAN_ENGINE, "plan.engine", SETT_STR, 0, "engine plan: the llama.cpp build that planned it") \
	X(PLAN_MODEL, "plan.model", SETT_STR, 0, "engine plan: the model planned") \
	X(PLAN_MMPROJ, "plan.mmproj", SETT_STR, 0, "engine plan: the projector planned (a path)") \
	X(PLAN_SCHED_COPIES, "plan.sched_copies", SETT_INT, 0, "engine plan: the scheduler's graph copies") \
	X(PLAN_NO_PIPELINE, "plan.no_pipeline", SETT_INT, 0, "engine plan: planned with --no-pipeline") \
	X(META_ARCH, "meta.arch", SETT_STR, 0, "model architecture") \
	X(META_NAME, "meta.name", SETT_STR, SETT_SIM, "model name (general.name)") \
	X(META_N_LAYER, "meta.n_layer", SETT_INT, SETT_SIM, "repeating layers") \
	X(META_N_EMBD, "meta.n_embd", SETT_INT, SETT_SIM, "embedding width") \
	X(META_N_HEAD, "meta.n_head", SETT_INT, SETT_SIM, "attention heads") \
	X(META_N_HEAD_KV, "meta.n_head_kv", SETT_INT, SETT_SIM, "KV heads") \
	X(META_N_VOCAB, "meta.n_vocab", SETT_INT, SETT_SIM, "vocabulary size") \
	X(META_N_CTX_TRAIN, "meta.n_ctx_train", SETT_INT, SETT_SIM, "trained context") \
	X(META_N_EXPERT, "meta.n_expert", SETT_INT, 0, "experts") \
	X(META_N_EXPERT_USED, "meta.n_expert_used", SETT_INT, 0, "experts used per token") \
	X(META_N_EMBD_HEAD_K, "meta.n_embd_head_k", SETT_INT, 0, "K head width") \
	X(META_N_EMBD_HEAD_V, "meta.n_embd_head_v", SETT_INT, 0, "V head width") \
	X(META_N_FF, "meta.n_ff", SETT_INT, 0, "feed-forward width") \
	X(META_MODEL_TYPE, "meta.model_type", SETT_STR, 0, "model type as printed (70B, ...)") \
	X(META_FTYPE, "meta.ftype", SETT_STR, 0, "file type (Q4_K - Medium, ...)") \
	X(META_FILE_SIZE, "meta.file_size", SETT_SIZE, 0, "model file size in bytes") \
	X(OLLAMA_LAYERS_MODEL, "ollama.layers.model", SETT_INT, SETT_SIM, "Ollama: layers of the model") \
	X(OLLAMA_LAYERS_OFFLOAD, "ollama.layers.offload", SETT_INT, SETT_SIM, "Ollama: layers offloaded") \
	X(OLLAMA_LAYERS_SPLIT, "ollama.layers.split", SETT_STR, SETT_SIM, "Ollama: layers per GPU") \
	X(OLLAMA_LAYERS_REQUESTED, "ollama.layers.requested", SETT_INT, 0, "Ollama: num_gpu asked for") \
	X(OLLAMA_LAYERS_ESTIMATE, "ollama.layers.estimate", SETT_INT, 0, "Ollama: layers its estimate allows") \
	X(OLLAMA_LIBRARY, "ollama.library", SETT_STR, 0, "Ollama: GPU library (cuda_v12, rocm, ...)") \
	X(OLLAMA_SCHED_GPU, "ollama.sched.gpu", SETT_STR, 0, "Ollama scheduler: GPU id") \
	X(OLLAMA_SCHED_TOTAL, "ollama.sched.total", SETT_SIZE, 0, "Ollama scheduler: GPU total bytes") \
	X(OLLAMA_SCHED_AVAILABLE, "ollama.sched.available", SETT_SIZE, 0, "Ollama scheduler: GPU free bytes") \
	X(OLLAMA_TOTAL_MEMORY, "ollama.total_memory", SETT_SIZE, 0, "Ollama: total memory of the load") \
	X(OLLAMA_PS_MODEL, "ollama.ps.model", SETT_STR, 0, "ollama ps: NAME") \
	X(OLLAMA_PS_ID, "ollama.ps.id", SETT_STR, 0, "ollama ps: ID") \
	X(OLLAMA_PS_SIZE, "ollama.ps.size", SETT_SIZE, 0, "ollama ps: SIZE in bytes") \
	X(OLLAMA_PS_PROCESSOR, "ollama.ps.processor", SETT_STR, 0, "ollama ps: PROCESSOR (CPU/GPU split)") \
	X(OLLAMA_LIST_SIZE, "ollama.list.size", SETT_SIZE, 0, "ollama list: SIZE in bytes") \
	X(SYSTEM_TOTAL, "system.total", SETT_SIZE, 0, "host memory total") \
	X(SYSTEM_FREE, "system.free", SETT_SIZE, 0, "host memory free") \
	X(DRIVER_VERSION, "driver_version", SETT_STR, 0, "CUDA driver version") \
	X(CUDA_VERSION, "cuda_version", SETT_STR, 0, "CUDA runtime version")

/* Families of keys made at run time: X(ID, "prefix", "meaning"). */
#define SETTINGS_FAMILIES(X) \
	X(TORCH, "torch.", "PyTorch allocator settings and snapshot facts (torch_import)") \
	X(NSYS, "nsys.", "Nsight Systems export facts (nsys import)") \
	X(KINETO, "kineto.", "Kineto trace facts (kineto import)") \
	X(VRT, "vrt.", "recording facts of the shim (vrt import)") \
	X(BREAKDOWN, "breakdown.", "llama.cpp memory breakdown figures per device (breakdown.unaccounted_mib.DEV)")

#define SETTINGS_ENUM_(id, key, type, flags, meaning) SET_##id,
enum settings_key { SETTINGS_TABLE(SETTINGS_ENUM_) SET_COUNT_ };
#undef SETTINGS_ENUM_

#define SETTINGS_KEY_MAX 32
/* The keys as char arrays, so SK(ID) is an address constant that static
 * tables can hold. */
extern const char settings_keys[SET_COUNT_][SETTINGS_KEY_MAX];
#define SK(id) (settings_keys[SET_##id])

struct settings_info {
	const char *key;
	enum settings_type type;
	int flags;                 /* SETT_SIM */
	const char *meaning;
};
/* Row of the table for a key. */
const struct settings_info *settings_info(enum settings_key k);
/* Declared key or family for a stored key name: its meaning, or NULL
 * when neither the table nor a family declares it. */
const char *settings_meaning(const char *key);
/* Number of declared keys (SET_COUNT_). */
size_t settings_count(void);

/*
 * Typed reads. *set = 0 when the trace has no value for k. A value that
 * does not parse as the key's type is UTIL_EINPUT naming key and value;
 * store failures pass through.
 */
int settings_int(struct store *st, int64_t trace, enum settings_key k, int64_t *v, int *set,
		 char **cause);
int settings_dbl(struct store *st, int64_t trace, enum settings_key k, double *v, int *set,
		 char **cause);
/* String into buf (size n, truncated); *set = 0 and buf "" when unset. */
int settings_str(struct store *st, int64_t trace, enum settings_key k, char *buf, size_t n,
		 int *set, char **cause);

/*
 * A reader for many settings of one trace: each read returns the value, or
 * dflt when the trace has none; the first store or parse error is kept in
 * rc/cause and every later read returns its default without touching the
 * store, so a caller reads all it needs and checks rc once. A bad value is
 * never taken as "unset". cause (may be NULL) receives the first error's
 * message, owned by the caller.
 */
struct settings_rd {
	struct store *st;
	int64_t trace;
	int rc;
	char **cause;
};
int64_t settings_rd_int(struct settings_rd *r, enum settings_key k, int64_t dflt, int *set);
double settings_rd_dbl(struct settings_rd *r, enum settings_key k, double dflt, int *set);
/* The value into buf (size n, truncated) and buf returned when it is set
 * and not empty; else buf holds dflt ("" when NULL) and NULL is returned. */
const char *settings_rd_str(struct settings_rd *r, enum settings_key k, char *buf, size_t n,
			    const char *dflt);

/* Write a value (inside the caller's transaction, like store_setting_set). */
int settings_set(struct store *st, int64_t trace, enum settings_key k, const char *value,
		 char **cause);

#endif
