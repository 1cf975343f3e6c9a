/*
 * engine.h - plans from llama.cpp itself: vramsim's client of the engine
 * planner process (build/engine/vramsim-engine, sim/engine/planner.c).
 *
 * The planner loads a GGUF with llama.cpp's own loader and scheduler in
 * no_alloc mode on virtual GPUs and answers, per device, the bytes of
 * weights, KV cache and compute reservation llama.cpp would allocate. It
 * runs as a child process (llama.cpp aborts on some bad input; its
 * registry and logger are global; vramsim must work without it), keeps the
 * model loaded while requests change only context settings, and is found
 * in this order: $VRAMSIM_ENGINE; build/engine/vramsim-engine beside the
 * vramsim binary (or one folder up, for sanitizer builds); the install
 * directory. eng_open() fails with a reason when there is none (a build
 * with ENGINE=none): callers then use the formula model and say so.
 */
#ifndef VRAMSIM_ENGINE_H
#define VRAMSIM_ENGINE_H

#include <stdint.h>

#define ENG_MAX_GPUS 16 /* llama_max_devices() of the pinned engine */
#define ENG_MAX_OT 32
#define ENG_UNSET (-999999)

/* Every llama.cpp / Ollama setting that changes memory. Strings are
 * borrowed (not copied) until the call returns; NULL/0/ENG_UNSET = the
 * engine's default (llama-server's). */
struct eng_req {
	const char *model;         /* GGUF path (required) */
	const char *mmproj;        /* --mmproj: a projector GGUF, planned by llama.cpp's clip loader */
	const char *backend;       /* allocation rules, one of ENG_BACKENDS (NULL: "cuda") */
	int n_gpus;                /* 0..ENG_MAX_GPUS */
	uint64_t mem[ENG_MAX_GPUS];      /* total bytes per GPU */
	uint64_t free_mem[ENG_MAX_GPUS]; /* free bytes (0: = total); llama.cpp's default split follows it */
	uint32_t ctx;              /* -c, 0 = the model's training context */
	uint32_t batch, ubatch;    /* -b, -ub */
	uint32_t parallel;         /* -np: n_seq_max */
	const char *flash_attn;    /* "on", "off", "auto" */
	const char *type_k, *type_v; /* -ctk, -ctv: "f16", "q8_0", ... */
	int n_gpu_layers;          /* -ngl; ENG_UNSET = all, as llama-server */
	const char *split_mode;    /* "layer", "none" ("row" is refused: not modelled) */
	int main_gpu;              /* -mg */
	int n_split;               /* -ts: proportions per GPU */
	float split[ENG_MAX_GPUS];
	int n_ot;                  /* -ot REGEX=DEV (DEV: CPU, GPU<i>, CUDA<i>) */
	const char *ot[ENG_MAX_OT];
	int cpu_moe;               /* --cpu-moe */
	int n_cpu_moe;             /* --n-cpu-moe N */
	int no_kv_offload;         /* -nkvo */
	int no_op_offload;         /* --no-op-offload */
	int swa_full;              /* --swa-full */
	int kv_unified;            /* --kv-unified */
	int no_pipeline;           /* --no-pipeline: one scheduler copy, as GPUs without async
				    * compute and events (RPC before llama.cpp PR #18626) or a
				    * build with GGML_SCHED_MAX_COPIES=1 */
	int n_ollama;              /* Ollama's runner: repeating layers per GPU, output on the CPU */
	int ollama_layers[ENG_MAX_GPUS];
	uint64_t fit_margin;       /* eng_fit: bytes to leave free per GPU (--fit-target), 0 = 1 GiB */
	uint32_t fit_min_ctx;      /* eng_fit: --fit-ctx, 0 = 4096 */
};

void eng_req_init(struct eng_req *r);

/* One device of a plan, in bytes. */
struct eng_dev {
	char name[32];     /* as llama.cpp names it: CUDA0, CPU */
	uint64_t weights;  /* model buffers */
	uint64_t kv;       /* KV cache (and recurrent state) */
	uint64_t compute;  /* scheduler compute reservation */
	uint64_t output;   /* logits buffer (host only) */
	int layers;        /* layers the loader assigned here (output layer counts as one) */
};

/* The projector (--mmproj) as llama.cpp's clip loader plans it after the
 * model (sim/engine/proj.h): weights on the first GPU (not --main-gpu),
 * compute reserved per device. */
struct eng_proj {
	int planned;                /* eng_req.mmproj was given and planned */
	int dev;                    /* the GPU holding its weights, -1: the host */
	uint64_t weights;           /* its weight buffer there (the buffer type's padding included) */
	uint64_t counted;           /* clip's own count of the weights (ggml_nbytes, no padding) */
	uint64_t compute[ENG_MAX_GPUS], host_compute; /* compute reservation per device */
	int flash_attn;             /* clip's warmup settled on 1 on, 0 off; -1 not said */
};

struct eng_plan {
	int n_gpus;
	struct eng_dev gpu[ENG_MAX_GPUS];
	struct eng_dev host;        /* every host buffer: CPU, CUDA_Host, repack */
	uint32_t n_ctx, n_seq, n_batch, n_ubatch;
	int copies;                 /* scheduler copies (4 = pipeline parallelism) */
	int n_layer;
	uint64_t model_size;
	int reused;                 /* the loaded model was reused (context-only change) */
	int memo;                   /* the answer to an identical earlier request (same model file),
				     * kept by the client: the planner was not asked again, nothing
				     * was loaded (reused is 1); every other field is that answer's */
	uint64_t peak_rss;          /* the planner process's peak resident set so far, bytes */
	uint64_t cpu_us;            /* the planner process's CPU time so far (user + system), us */
	struct eng_proj proj;       /* the projector, when eng_req.mmproj was given */
	int n_notes;
	char **notes;               /* engine warnings, owned: eng_plan_free() */
};

/* llama.cpp --fit on's choice (common_fit_params). */
struct eng_fit {
	int status;                 /* 0 fits, 1 does not fit */
	int n_gpu_layers;           /* -1 = all */
	uint32_t ctx;
	int n_split;
	float split[ENG_MAX_GPUS];
	int n_ot;
	char **ot;                  /* "REGEX=BUFT", owned: eng_fit_free() */
};

struct eng;

/* The GPU backends whose allocation rules the virtual GPUs know
 * (sim/engine/vdev_rules.c vdev_backends[]; test_engine plans on each). */
#define ENG_BACKENDS "cuda rocm vulkan rpc metal"
/* 1 if name is one of ENG_BACKENDS. */
int eng_backend_known(const char *name);

/* Start the planner. libdir: another llama.cpp build of the same ABI
 * (--engine-lib), NULL for the pinned one. Returns NULL with *cause
 * (UTIL_ERR meaning: none built, none startable, or an engine of another
 * version, refused before loading anything). */
struct eng *eng_open(const char *libdir, char **cause);
/* "llama.cpp v0.5.0 (libllama 0.5.0-dev, ggml 0.25.1 0ad4a86)" */
const char *eng_describe(const struct eng *e);
void eng_close(struct eng *e);

/* Plan r on its virtual GPUs. 0, or UTIL_EINPUT with *cause quoting the
 * engine (a GGUF it rejects, an option it refuses, a topology it cannot
 * represent), or UTIL_ERR (the planner died; it is restarted next call). */
int eng_plan(struct eng *e, const struct eng_req *r, struct eng_plan *out, char **cause);
/* The same model and context on the engine's own CPU device, no GPU: the
 * reference for KV (byte-equal) and weights (equal but for GPU padding). */
int eng_plan_cpu(struct eng *e, const struct eng_req *r, struct eng_plan *out, char **cause);
/* eng_plan_cpu with real allocations (llama.cpp reads the tensor data and
 * allocates): what the no_alloc plans are checked against. */
int eng_plan_real_cpu(struct eng *e, const struct eng_req *r, struct eng_plan *out, char **cause);
/* llama.cpp's --fit on r (settings left unset are the ones it may
 * change), then the plan of what it chose. */
int eng_fit(struct eng *e, const struct eng_req *r, struct eng_fit *fit, struct eng_plan *out, char **cause);

void eng_plan_free(struct eng_plan *p);
void eng_fit_free(struct eng_fit *f);

#endif
