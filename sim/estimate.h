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

#include "sim.h"
#include "scenario.h"

/* 1 if engine (a name, optionally ":key=value,...") names a known row;
 * the options are checked by estimate_compute (UTIL_EINPUT naming the option). */
int estimate_engine_known(const char *engine);
/* The row names, for messages ("ollama-0.5, ollama-0.7, ..."). */
const char *estimate_engine_list(void);

/*
 * Compute engine's per-GPU reservation into est[0..topo.n) (UINT64_MAX for
 * a GPU the engine would not use) for the scenario sc (with ld set), and
 * write into *explain (malloc'd) the line-by-line account: what the
 * engine reserves, what it would choose, what the load really uses under
 * that choice (replayed), and the difference. res is the replay of sc.
 * engine is a row name with optional ":key=value,..." (estimate_engine_help).
 */
int estimate_compute(const char *engine, const struct scen *sc, const struct sim_result *res,
		uint64_t *est, char **explain, char **cause);

/* Like estimate_compute, and *json (malloc'd) gets the engine's figures as one
 * JSON object: layers, split, allocations, total and `ollama ps`. */
int estimate_compute_json(const char *engine, const struct scen *sc, const struct sim_result *res,
		     uint64_t *est, char **explain, char **json, char **cause);

/*
 * A trace that holds Ollama's own `msg=offload` estimate (engine "ollama"
 * rows of the store): rerun the pre-2025 estimator of engine (ollama-0.5,
 * ollama-0.7, ollama-0.7.0) on what that line logs - free memory per GPU,
 * weights, KV, graph, projector, layers requested - and set each logged
 * figure (layers, split, allocations, required full/partial) beside the
 * emulated one. *explain and *json (may be NULL) are malloc'd; *n_within
 * of *n_figures figures agree to the log's rounding (0.05 GiB) plus 1%.
 * UTIL_EINPUT when the trace holds no such estimate or engine is another row.
 */
int estimate_check_logged(struct store *st, int64_t trace, const char *engine, char **explain,
		     char **json, int *n_within, int *n_figures, char **cause);

/*
 * A trace holding only Ollama's msg=offload estimate (no buffers), as
 * `replay` explains it: what Ollama estimated per GPU and in total, the
 * layers it chose, its `ollama ps`, and the era emulations checked
 * against the line (engine, when not NULL, instead of ollama-0.5 and
 * ollama-0.7). *text and *json (one JSON object) are malloc'd; avail[]
 * and alloc[] (TOPO_MAX_GPUS) get the logged free memory and Ollama's
 * allocation per GPU, *n_gpu their count. UTIL_EINPUT when the trace
 * holds no such estimate.
 */
int estimate_logged_explain(struct store *st, int64_t trace, const char *engine, char **text,
		       char **json, uint64_t *avail, uint64_t *alloc, int *n_gpu, char **cause);

/*
 * What `replay --engine-estimate` prints for a scenario: estimate_compute_json
 * when sc holds a load, estimate_check_logged when its trace (st may be NULL)
 * holds an Ollama estimate line, both when both apply (the JSON object
 * then carries the check as "logged_check"). est[] is UINT64_MAX where
 * nothing is estimated per GPU. UTIL_EINPUT when neither applies.
 */
int estimate_run(struct store *st, const struct scen *sc, const struct sim_result *res, const char *engine,
	    uint64_t *est, char **explain, char **json, char **cause);

/*
 * The rows' entry points, named by scen_engines[] (sim/scenario.c):
 * estimate_compute_json for engine "name[:key=value,...]" of that row.
 * ollama-0.7 and ollama-0.7.0 share estimate_ollama07 (the name chooses the
 * spare layer).
 */
int estimate_ollama05(const char *engine, const struct scen *sc, const struct sim_result *res,
		 uint64_t *est, char **explain, char **json, char **cause);
int estimate_ollama07(const char *engine, const struct scen *sc, const struct sim_result *res,
		 uint64_t *est, char **explain, char **json, char **cause);
int estimate_ollama_layout(const char *engine, const struct scen *sc, const struct sim_result *res,
		      uint64_t *est, char **explain, char **json, char **cause);
int estimate_ollama030(const char *engine, const struct scen *sc, const struct sim_result *res,
		  uint64_t *est, char **explain, char **json, char **cause);
int estimate_llama_fit(const char *engine, const struct scen *sc, const struct sim_result *res,
		  uint64_t *est, char **explain, char **json, char **cause);

/* Help text for the ":key=value" options. */
extern const char estimate_engine_help[];

#endif
