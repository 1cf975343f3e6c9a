/*
 * scenario.h - the what-if options shared by `replay`, `fit` and `sweep`:
 * parse them from the command line and turn a stored trace (or a --model
 * description) into the event stream and configuration of one replay.
 */
#ifndef VRAMSIM_SCENARIO_H
#define VRAMSIM_SCENARIO_H

#include <stdint.h>

#include "llm.h"
#include "replay.h"
#include "store.h"

/* Everything a what-if can say. */
struct scen_opts {
	const char *gpus;          /* --gpus SPEC (NULL: recorded devices) */
	const char *split;         /* --split 3,1,1,1 */
	int num_gpu;               /* --num-gpu N, -1 unset */
	int main_gpu;              /* --main-gpu, 0 */
	uint64_t ctx;              /* --ctx, 0 unset */
	int parallel, ubatch, batch;
	int flash_attn;            /* -1 unset */
	const char *kv_type;       /* --kv-type */
	const char *reserve;       /* --reserve SIZE */
	const char *on_oom;        /* stop|continue|spill */
	const char *alloc_model;   /* exact|cuda|torch */
	const char *alloc_conf;    /* --alloc-conf */
	const char *device_map;    /* --device-map 0=1,1=0 */
	const char *profile;       /* --profile NAME|ID */
	const char *model_spec;    /* --model layers=...,... */
	int raw;                   /* --raw: replay recorded events as they are */
	const char *meta;          /* --meta layers=61,heads=128 */
};

void scen_opts_init(struct scen_opts *o);

/*
 * Handle one getopt_long option of the what-if family: returns 1 if c
 * was one (arg consumed), 0 if not, UTIL_EINPUT with *cause on a bad
 * value. Option codes are SCEN_OPT_* below; add SCEN_LONGOPTS to the
 * command's option table.
 */
enum {
	SCEN_OPT_GPUS = 1000, SCEN_OPT_SPLIT, SCEN_OPT_NUMGPU, SCEN_OPT_MAINGPU, SCEN_OPT_CTX,
	SCEN_OPT_PARALLEL, SCEN_OPT_UBATCH, SCEN_OPT_BATCH, SCEN_OPT_FA, SCEN_OPT_KV,
	SCEN_OPT_RESERVE, SCEN_OPT_ONOOM, SCEN_OPT_ALLOC, SCEN_OPT_ALLOCCONF, SCEN_OPT_DEVMAP,
	SCEN_OPT_PROFILE, SCEN_OPT_MODEL, SCEN_OPT_RAW, SCEN_OPT_META
};
/*
 * The what-if options, one row each: X(code, name, ARG or NULL, help,
 * completion values). The getopt table (SCEN_LONGOPTS), the dispatcher's
 * family (scen_family: --help, man page, completion) and `diff --against`
 * all come from these rows, so a new option is one row here and one case
 * in scen_opt().
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
	X(SCEN_OPT_RAW, "raw", NULL, "replay the recorded events as they are (no layer what-if)", NULL)

#define SCEN_LONGOPT_(code, name, arg, help, values) \
	{ name, (arg) ? required_argument : no_argument, NULL, code },
#define SCEN_LONGOPTS SCEN_OPTIONS(SCEN_LONGOPT_)

/* The what-if options as a command-line family (trace/cli.h): parsed
 * into a struct scen_opts by the dispatcher for CLI_WHATIF commands. */
struct cli_family;
extern const struct cli_family scen_family;

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
	char *trace_name;
	char *model_name;
};

/*
 * Prepare the scenario for trace ref (NULL: newest; ignored with
 * --model). st may be NULL with --model. Fills *sc; clear it with
 * scen_clear(). Decomposes llama.cpp/Ollama loads for the what-if
 * unless --raw; other traces replay raw with the device map.
 */
int scen_prepare(struct store *st, const char *ref, const struct scen_opts *o, struct scen *sc,
		 char **cause);
/* Rebuild the events after changing sc->lsc or sc->cfg.topo (fit). */
int scen_rebuild(struct scen *sc, char **cause);
/* Run the replay of sc (from its events or streaming the store). */
int scen_run(struct store *st, struct scen *sc, const struct sim_observer *obs,
	     struct sim_result *res, char **cause);
void scen_clear(struct scen *sc);

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
