/*
 * engrow.h - the engine plan as a row of the engine table (scenario.h):
 * a model spec (a GGUF path, ollama:NAME, store:PROFILE, model:KEY=V;
 * import/model_src.h) is loaded once by the llama.cpp planner process
 * (engine.h), and every what-if is a re-plan by llama.cpp itself, turned
 * into events by engtrace.h. The planner keeps the model loaded while
 * only context settings change, so a context search re-plans without
 * re-loading. Runtime costs ggml does not allocate are added per GPU as
 * their own categories: the CUDA context (the replay's --reserve) and
 * cuBLAS's workspace (ENGROW_WORKSPACE unless --workspace says).
 */
#ifndef VRAMSIM_ENGROW_H
#define VRAMSIM_ENGROW_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "trace.h"
#include "llm.h"
#include "store.h"
#include "topo.h"

/*
 * cuBLAS workspace per GPU, the part of the CUDA runtime's memory that is
 * a library's, not the context's: the cuBLAS API reference
 * (cublasSetWorkspace) recommends 32 MiB on Hopper and 4 MiB on earlier
 * architectures; the topology does not say the architecture, so the
 * larger. It is carved out of the 450 MiB default reserve (replay.h:
 * llama.cpp's "unaccounted" per GPU, which holds it), so the default
 * total stays the measured one.
 */
#define ENGROW_WORKSPACE (32ull << 20)

/* The llama.cpp options only the engine can answer (the formula model
 * refuses them). Strings are borrowed from the command line. */
struct engrow_opts {
	const char *type_k, *type_v;  /* --kv-type-k, --kv-type-v */
	const char *split_mode;       /* --split-mode layer|none */
	const char *backend;          /* --backend cuda|rocm */
	const char *mmproj;           /* --mmproj FILE */
	const char *lib;              /* --engine-lib DIR */
	const char *ot[ENG_MAX_OT];   /* --override-tensor REGEX=DEV */
	int n_ot;
	int cpu_moe, n_cpu_moe, no_kv_offload, no_op_offload, swa_full, kv_unified;
	int no_pipeline;              /* --no-pipeline */
	int off;                      /* --no-engine: the formula model even with an engine */
	int have_workspace;
	uint64_t workspace;           /* --workspace SIZE */
};

/* The first engine-only option given ("--cpu-moe"), or NULL. */
const char *engrow_only_option(const struct engrow_opts *o);

/*
 * Does ref name a model rather than a trace? An "ollama:", "store:" or
 * "model:" prefix, or an existing file that starts with the GGUF magic.
 */
int engrow_is_model(const char *ref);

struct engrow;
struct engrec_saved;

/*
 * Open spec with the engine and plan it once at its defaults on topo (to
 * check it and learn its shape): fills ld with what the rest of vramsim
 * reads of a load (name, layers, trained context, per-layer weights from
 * the GGUF's profile) and *out (owned: engrow_close). Returns 0;
 * ENGROW_NONE when no engine can be had (*cause says why: ENGINE=none,
 * --no-engine), so the caller may use the formula model; UTIL_EINPUT for a
 * model or option the engine refuses (quoted).
 */
#define ENGROW_NONE 1
int engrow_open(struct store *st, const char *spec, const struct engrow_opts *o, const struct topo *topo,
		struct llm_load *ld, struct engrow **out, char **cause);

/*
 * Plan every what-if of r over base (a plan kept by `plan --save`,
 * sim/engrec.h): a setting or placement rule the what-if leaves unset is
 * the kept plan's, not llama-server's default. base is copied.
 */
void engrow_set_base(struct engrow *r, const struct engrec_saved *base);

/*
 * Re-plan under sc on topo: the events of the plan (engtrace_events) plus
 * per GPU the workspace (context comes from the replay's reserve),
 * layers[g] per GPU (output layer included), desc in one line. The
 * signature of a row's build (scenario.h).
 */
int engrow_build(void *state, const struct llm_load *ld, const struct llm_scenario *sc,
		 const struct topo *topo, struct trace_event **ev, size_t *n, int *layers, char *desc,
		 size_t desc_n, char **cause);

/* "llama.cpp v0.5.0 (libllama ..., ggml ...)". */
const char *engrow_engine(const struct engrow *r);
/* What the model is and where it came from (model_src.h). */
const char *engrow_model_desc(const struct engrow *r);
/* Plans made and how many reused the loaded model (context-only changes). */
void engrow_stats(const struct engrow *r, int *plans, int *reused);
/* The workspace charged per GPU. */
uint64_t engrow_workspace(const struct engrow *r);
/* The engine's notes on the last plan (warnings), NULL-terminated view. */
int engrow_notes(const struct engrow *r, const char *const **notes);

void engrow_close(void *state);

/*
 * Without the engine: the model's GGUF profile (its exact per-layer
 * weights, from the same spec) as a load for the formula model. desc
 * (malloc'd) says where the model came from.
 */
int engrow_formula_load(struct store *st, const char *spec, const char *mmproj, uint64_t ctx,
			struct llm_load *ld, char **desc, char **cause);

#endif
