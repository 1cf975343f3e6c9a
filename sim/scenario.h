/*
 * scenario.h - the what-if options shared by `replay`, `fit` and `sweep`:
 * parse them from the command line and turn a stored trace (or a --model
 * description) into the event stream and configuration of one replay.
 */
#ifndef VRAMSIM_SCENARIO_H
#define VRAMSIM_SCENARIO_H

#include <stdint.h>

#include "engrow.h"
#include "llm.h"
#include "sim.h"
#include "store.h"
#include "verdict.h"

/* Everything a what-if can say, parsed once at the command line into
 * typed fields (scen_opt); scen_prepare only reads them. */
struct scen_opts {
	const char *gpus;          /* --gpus as given (NULL: recorded devices) ... */
	struct topo topo;          /* ... and parsed */
	struct llm_scenario what;  /* --split --num-gpu --main-gpu --ctx --parallel --ubatch
				    * --batch --flash-attn --kv-type; unset = recorded */
	int have_reserve;
	uint64_t reserve;          /* --reserve SIZE */
	enum sim_on_oom on_oom;    /* --on-oom (default stop) */
	enum sim_model model;      /* --alloc (default exact) */
	const char *alloc_conf;    /* --alloc-conf, validated; the torch model reads it */
	int device_map[TOPO_MAX_GPUS]; /* --device-map R=V: [R] = V, -1 unmapped */
	int n_map;                 /* 0: no --device-map */
	const char *device_map_spec;
	const char *profile;       /* --profile NAME|ID: looked up read-only, never stored */
	const char *model_spec;    /* --model: a model description (engine "formula") */
	int raw;                   /* --raw: replay recorded events as they are */
	struct llm_meta meta;      /* --meta */
	int have_meta;
	uint64_t margin;           /* --margin SIZE: headroom a verdict asks for */
	int assume_missing;        /* --assume-missing: answer a lower bound */
	int allow_beyond_train;    /* --allow-ctx-beyond-train */
	int managed_as_vram;       /* --managed-as-vram */
	int rebuild;               /* no option: always the engine's placement, even with
				    * no what-if (tests/validate.c measures it) */
	struct engrow_opts eng;    /* llama.cpp options only the engine plan answers,
				    * --no-engine, --workspace */
};

void scen_opts_init(struct scen_opts *o);

/*
 * The what-if options, one row each: X(code, name, ARG or NULL, help,
 * completion values). The getopt table (SCEN_LONGOPTS), the dispatcher's
 * family (scen_family: --help, man page, completion) and `diff --against`
 * all come from these rows, and so do the SCEN_OPT_* codes: a new option
 * is one row here, its field in struct scen_opts and its case in
 * scen_opt().
 */
#define SCEN_OPTIONS(X) \
	X(SCEN_OPT_GPUS, "gpus", "SPEC", "virtual GPUs: 4x24G, 2x24G,1x12G, 80G (binary units: 24G = 24 GiB)", NULL) \
	X(SCEN_OPT_SPLIT, "split", "P,P,...", "layer split proportions, one per GPU (llama.cpp -ts)", NULL) \
	X(SCEN_OPT_NUMGPU, "num-gpu", "N", "layers on GPUs, the rest on the host (the output layer counts)", NULL) \
	X(SCEN_OPT_MAINGPU, "main-gpu", "I", "GPU that gets the main compute buffer", NULL) \
	X(SCEN_OPT_CTX, "ctx", "N", "context per parallel slot (Ollama num_ctx); KV holds ctx x parallel", NULL) \
	X(SCEN_OPT_PARALLEL, "parallel", "N", "parallel slots (llama.cpp -np, OLLAMA_NUM_PARALLEL)", NULL) \
	X(SCEN_OPT_UBATCH, "ubatch", "N", "micro-batch (-ub)", NULL) \
	X(SCEN_OPT_BATCH, "batch", "N", "logical batch (-b)", NULL) \
	X(SCEN_OPT_AMB, "amb", "MIB", "ik_llama.cpp -amb: attention K*Q computed in steps of at most\nMIB (0: off)", NULL) \
	X(SCEN_OPT_FA, "flash-attn", "on|off", "flash attention", "on off") \
	X(SCEN_OPT_KV, "kv-type", "T", "KV cache type: f16, bf16, f32, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1", \
	  "f16 bf16 f32 q8_0 q4_0 q4_1 iq4_nl q5_0 q5_1") \
	X(SCEN_OPT_RESERVE, "reserve", "SIZE", "CUDA context reserve per GPU (default: measured, else 450M)", NULL) \
	X(SCEN_OPT_ONOOM, "on-oom", "MODE", "after the first failing allocation: stop (default),\ncontinue or spill", \
	  "stop continue spill") \
	X(SCEN_OPT_ALLOC, "alloc", "MODEL", "allocator model: exact, cuda (2 MiB driver granularity),\n" \
	  "torch (PyTorch's caching allocator, its own segments)", "exact cuda torch") \
	X(SCEN_OPT_ALLOCCONF, "alloc-conf", "S", "torch model settings, PYTORCH_CUDA_ALLOC_CONF syntax:\n" \
	  "expandable_segments:True,max_split_size_mb:128,...", NULL) \
	X(SCEN_OPT_DEVMAP, "device-map", "R=V,..", "replay recorded device R on virtual GPU V (raw traces)", NULL) \
	X(SCEN_OPT_PROFILE, "profile", "NAME|ID", "model profile (from an imported GGUF) for exact layer sizes", NULL) \
	X(SCEN_OPT_MODEL, "model", "SPEC", "a model never loaded: layers=80,embd=8192,heads=64,kv_heads=8,\n" \
	  "vocab=128256,size=42G[,ff=,ctx=,parallel=,ubatch=,fa=on,kv=q8_0]", NULL) \
	X(SCEN_OPT_META, "meta", "K=V,...", "facts the log does not print: model layers, embd, heads,\n" \
	  "kv_heads, vocab, ctx_train; the recorded run's ctx (all slots),\n" \
	  "ubatch, fa=on|off (e.g. --meta layers=61,heads=128,ubatch=256)", NULL) \
	X(SCEN_OPT_RAW, "raw", NULL, "replay the recorded events as they are (no layer what-if)", NULL) \
	X(SCEN_OPT_MARGIN, "margin", "SIZE", "headroom each GPU must keep for \"fits\" (like llama.cpp's\n" \
	  "--fit-target); default 0 plus the model's uncertainty band", NULL) \
	X(SCEN_OPT_ASSUME, "assume-missing", NULL, "answer a what-if the trace cannot scale (no KV, no\n" \
	  "compute buffer) as a lower bound, labelled so", NULL) \
	X(SCEN_OPT_BEYOND, "allow-ctx-beyond-train", NULL, "allow --ctx above the model's trained context", NULL) \
	X(SCEN_OPT_MANAGED, "managed-as-vram", NULL, "count managed (unified) memory in full as VRAM of its GPU\n" \
	  "(default: tallied apart, paged in only where touched)", NULL) \
	X(SCEN_OPT_KVK, "kv-type-k", "T", "K cache type only [-ctk] (engine plan)", "f16 bf16 f32 q8_0 q4_0") \
	X(SCEN_OPT_KVV, "kv-type-v", "T", "V cache type only [-ctv] (engine plan)", "f16 bf16 f32 q8_0 q4_0") \
	X(SCEN_OPT_SMODE, "split-mode", "M", "layer or none [-sm] (engine plan; row is refused)", "layer none row") \
	X(SCEN_OPT_OT, "override-tensor", "REGEX=DEV", "tensors matching REGEX on DEV [-ot], repeatable\n" \
	  "(engine plan; DEV: CPU, GPU<i>, CUDA<i>)", NULL) \
	X(SCEN_OPT_CMOE, "cpu-moe", NULL, "all MoE expert tensors on the CPU [--cpu-moe] (engine plan)", NULL) \
	X(SCEN_OPT_NCMOE, "n-cpu-moe", "N", "experts of the first N layers on the CPU (engine plan)", NULL) \
	X(SCEN_OPT_NKVO, "no-kv-offload", NULL, "KV cache on the host [-nkvo] (engine plan)", NULL) \
	X(SCEN_OPT_NOOP, "no-op-offload", NULL, "host weights never computed on a GPU (engine plan)", NULL) \
	X(SCEN_OPT_SWA, "swa-full", NULL, "full-size sliding-window cache [--swa-full] (engine plan)", NULL) \
	X(SCEN_OPT_UNI, "kv-unified", NULL, "one KV buffer for all slots [--kv-unified] (engine plan)", NULL) \
	X(SCEN_OPT_NOPP, "no-pipeline", NULL, "one scheduler copy: GPUs without async compute and events\n" \
	  "(RPC before llama.cpp PR #18626) or GGML_SCHED_MAX_COPIES=1 (engine plan)", NULL) \
	X(SCEN_OPT_MMPROJ, "mmproj", "FILE", "a multimodal projector, planned by llama.cpp's clip loader\n" \
	  "on GPU 0 (engine plan; the formula model does not count it)", "@file") \
	X(SCEN_OPT_BACKEND, "backend", "B", "allocation rules of the virtual GPUs: " ENG_BACKENDS "\n(engine plan; default cuda)", ENG_BACKENDS) \
	X(SCEN_OPT_LIB, "engine-lib", "DIR", "another llama.cpp build of the same ABI (engine plan)", "@dir") \
	X(SCEN_OPT_NOENG, "no-engine", NULL, "the formula model even where the llama.cpp engine can plan", NULL) \
	X(SCEN_OPT_WORKSPACE, "workspace", "SIZE", "cuBLAS workspace per GPU on an engine plan (default 32M,\n" \
	  "cuBLAS's recommendation for Hopper; 4M before it)", NULL)

/* The option codes, one per row (getopt values above any short option). */
#define SCEN_OPT_CODE_(code, name, arg, help, values) code,
enum { SCEN_OPT_BEFORE_ = 999, SCEN_OPTIONS(SCEN_OPT_CODE_) };

#define SCEN_LONGOPT_(code, name, arg, help, values) \
	{ name, (arg) ? required_argument : no_argument, NULL, code },
#define SCEN_LONGOPTS SCEN_OPTIONS(SCEN_LONGOPT_)

/* The what-if options as a command-line family (trace/cli.h): parsed
 * into a struct scen_opts by the dispatcher for CLI_WHATIF commands. */
struct cli_family;
extern const struct cli_family scen_family;

/*
 * Handle one getopt_long option of the what-if family: returns 1 if c
 * was one (arg consumed), 0 if not, UTIL_EINPUT with *cause on a bad
 * value. Option codes are the SCEN_OPT_* of the rows above; add
 * SCEN_LONGOPTS to the command's option table.
 */
int scen_opt(struct scen_opts *o, int c, const char *arg, char **cause);

/* A prepared scenario: owns its events. Free with scen_clear(). */
struct scen {
	struct sim_config cfg;
	struct llm_load *ld;          /* NULL for a raw replay */
	struct llm_scenario lsc;
	struct trace_event *ev;       /* events (what-if); NULL: stream the store */
	size_t n_ev;
	int layers[TOPO_MAX_GPUS];
	int have_layers;
	char desc[512];               /* scenario in one line */
	char topo_str[256];
	char *notes[16];
	int n_notes;
	int64_t trace;                /* 0 with --model */
	const struct scen_engine *engine; /* the predictor row (NULL: raw replay) */
	int identity;                 /* the recorded load's own events (no what-if) */
	int lower_bound;              /* --assume-missing left a term out */
	int64_t profile_id;           /* --profile resolved (not stored) */
	void *state;                  /* the engine row's own (engrow.h), released by scen_clear */
	char *model_ref;              /* TRACE was a model spec (engrow_is_model), else NULL */
	char *trace_name;
	char *model_name;
};

/*
 * Prepare the scenario for trace ref (NULL: newest; ignored with
 * --model). A ref that names a model (engrow_is_model: an ollama:,
 * store: or model: prefix, or an existing GGUF file) is planned by the
 * engine row when the engine can be had, else by the formula model from
 * the GGUF's profile, and the notes say which. st may be NULL with --model. Fills *sc; clear it with
 * scen_clear(). Decomposes llama.cpp/Ollama loads for the what-if
 * unless --raw; other traces replay raw with the device map.
 */
int scen_prepare(struct store *st, const char *ref, const struct scen_opts *o, struct scen *sc,
		 char **cause);
/* Rebuild the events after changing sc->lsc or sc->cfg.topo (fit). */
int scen_rebuild(struct scen *sc, char **cause);
/*
 * Each GPU's peak at n contexts per slot ctx[0..n): peak[i * G + g], G =
 * sc->cfg.topo.n. The scenario's layer placement is frozen (the context
 * does not move layers) and GPUs are replayed as if unbounded, so a peak
 * is what a GPU would need. sc is restored on return. Used by `fit
 * --max-ctx` and the context curve of `plot`, so both agree.
 */
int scen_peaks_vs_ctx(struct store *st, struct scen *sc, const uint64_t *ctx, int n,
		      uint64_t *peak, char **cause);

/*
 * The engine table: each way of predicting or estimating a load is a
 * row. A predictor (prepare + build) turns a trace or a --model into a
 * load and a load under a scenario into events; an estimator says what an
 * engine's own estimate would reserve per GPU (replay --engine-estimate).
 * scen_prepare uses the first predictor whose prepare accepts the trace
 * (SCEN_ENGINE_NA: not this row's kind of load).
 */
#define SCEN_ENGINE_NA 1
struct scen;
struct scen_engine {
	const char *name;
	const char *about;
	/* trace: the stored load (0: none); model: a model spec (NULL: none);
	 * *state: the row's own, handed to build and freed by release */
	int (*prepare)(struct store *st, int64_t trace, const char *model, const struct scen_opts *o,
		       const struct topo *topo, struct llm_load *ld, void **state, char **cause);
	int (*build)(void *state, const struct llm_load *ld, const struct llm_scenario *sc,
		     const struct topo *topo, struct trace_event **ev, size_t *n, int *layers, char *desc,
		     size_t desc_n, char **cause);
	void (*release)(void *state);
	/* what the model is and where it came from (a model spec), or NULL */
	const char *(*describe)(const void *state);
	/* engine: the row's name with its ":key=value" options; *json may
	 * be NULL (sim/estimate.h estimate_compute_json) */
	int (*estimate)(const char *engine, const struct scen *sc, const struct sim_result *res,
			uint64_t *est, char **explain, char **json, char **cause);
};
extern const struct scen_engine scen_engines[]; /* ends with a NULL name */
const struct scen_engine *scen_engine_find(const char *name);
/* Was sc planned by the engine row (llama.cpp itself)? */
int scen_is_engine_plan(const struct scen *sc);
/* "a, b or c": the rows that have estimate (for messages and help). */
const char *scen_estimators(void);
/* Parse a --gpus spec into o (for commands that choose GPUs themselves). */
int scen_opts_gpus(struct scen_opts *o, const char *spec, char **cause);
/* Does w change a load (a layer, context or attention what-if)? */
int scen_what_given(const struct llm_scenario *w);
/* Does the trace hold only an engine's estimate (Ollama's `offload` line
 * or `ollama ps`), no allocation? Errors read as 0. */
int scen_estimate_only(struct store *st, int64_t trace);
/* Run the replay of sc (from its events or streaming the store). */
int scen_run(struct store *st, struct scen *sc, const struct sim_observer *obs,
	     struct sim_result *res, char **cause);
void scen_clear(struct scen *sc);

/*
 * Can the load's quantities be scaled for a what-if of this kind? A
 * context what-if needs the KV cache and the context it was made for; a
 * micro-batch or flash-attention what-if needs a compute buffer. Without
 * them: UTIL_EINPUT saying what to add (--profile, --meta), or with
 * --assume-missing 0 and sc->lower_bound set, with a note.
 */
enum { SCEN_SCALE_CTX = 1, SCEN_SCALE_COMPUTE = 2, SCEN_SCALE_KV_ONLY = 4 /* with CTX: the type only */ };
int scen_can_scale(struct scen *sc, const struct scen_opts *o, int what, const char *opt,
		   char **cause);

/*
 * The recorded load's bytes per device and term (rec[d][category],
 * allocations minus frees), *n devices, for setting a prediction beside
 * it. *n = 0 when sc is not a prediction on a stored trace with as many
 * GPUs as the load used (an identity replay is the log itself).
 */
int scen_recorded_terms(struct store *st, const struct scen *sc,
			uint64_t (*rec)[TRACE_CAT_MAX], int *n, char **cause);

/* The verdict on res for sc (its model, its band; margin from --margin). */
void scen_judge(const struct scen *sc, const struct sim_result *res, uint64_t margin,
		struct verdict *v);

/* A GPU whose size a trace does not say: the largest common card. */
#define SCEN_DEFAULT_GPU (80ull << 30)

/*
 * The GPUs to replay a trace on as recorded: --gpus when given, else one
 * per recorded device with its recorded size, SCEN_DEFAULT_GPU where the
 * trace does not say (counted in *assumed), or as many as the events use
 * when the trace records no devices.
 */
int scen_recorded_topo(struct store *st, int64_t trace, const char *gpus, struct topo *t,
		       int *assumed, char **cause);

/* Name of an allocator model. */
const char *scen_model_name(enum sim_model m);

#endif
