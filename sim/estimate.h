/*
 * estimate.h - what an engine's own estimator would reserve per GPU, to
 * set beside the replay's prediction of real use. The difference is the
 * VRAM a user sees left unused on every card.
 *
 * Engines (formulas: reference/engines.md §1-2, from the engines' sources):
 *  - ollama-0.5: Ollama's EstimateGPULayers up to Aug 2025 (llm/memory.go
 *    at v0.5.13): every GPU given a layer reserves the compute graph, 457
 *    MiB (cudaMinimumMemory) and one spare layer (blk.0 + its KV); layers
 *    go round-robin from the last block down while they fit; KV at 2 B
 *    (f16), 1 B (q8_0), 0.5 B (q4_0) per element; graph from the llama
 *    closed form. It also chooses the split (layers per GPU).
 *  - ollama-layout: Ollama's 2025 layouts (d5a0d8d90): per GPU 457 MiB +
 *    the measured graph + its layers, no spare layer, packed from the last
 *    layer backwards, with a capacity factor searched to spread the layers;
 *    it also chooses the split.
 *  - llama-fit: llama.cpp --fit (common/fit.cpp): projected use is the
 *    real allocation (measured with no_alloc), and every device keeps a
 *    1024 MiB margin (--fit-target).
 */
#ifndef VRAMSIM_ESTIMATE_H
#define VRAMSIM_ESTIMATE_H

#include <stdint.h>

#include "replay.h"
#include "scenario.h"

int est_engine_known(const char *engine);
const char *est_engine_list(void);

/*
 * Compute engine's per-GPU reservation into est[0..topo.n) (UINT64_MAX for
 * a GPU the engine would not use) for the scenario sc (with ld set), and
 * write into *explain (malloc'd) the line-by-line account: what the
 * engine reserves, what it would choose, what the load really uses under
 * that choice (replayed), and the difference. res is the replay of sc.
 */
int est_compute(const char *engine, const struct scen *sc, const struct sim_result *res,
		uint64_t *est, char **explain, char **cause);

/* The estimators, one row each of the engine table (scen_engines[]). */
int est_ollama05(const struct scen *sc, const struct sim_result *res, uint64_t *est,
		 char **explain, char **cause);
int est_ollama_layout(const struct scen *sc, const struct sim_result *res, uint64_t *est,
		      char **explain, char **cause);
int est_llama_fit(const struct scen *sc, const struct sim_result *res, uint64_t *est,
		  char **explain, char **cause);

#endif
