/*
 * estimate.c - engines' own memory estimators, replayed.
 */
#include "estimate.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OLLAMA_MIN_MEMORY (457ull << 20) /* discover/gpu.go cudaMinimumMemory */
#define LLAMA_FIT_TARGET (1024ull << 20) /* common/fit.cpp default --fit-target */

int est_engine_known(const char *e)
{
	const struct scen_engine *row = scen_engine_find(e);
	return row && row->estimate;
}

const char *est_engine_list(void)
{
	return scen_estimators();
}

/* Ollama's kvCacheBytesPerElement: f16 2, q8_0 1, q4_0 0.5. */
static double ollama_kv_bpe(const char *t)
{
	if (!strcmp(t, "q8_0"))
		return 1.0;
	if (!strcmp(t, "q4_0"))
		return 0.5;
	return 2.0;
}

struct buf {
	char *s;
	size_t n, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = util_xvasprintf(fmt, ap);
	va_end(ap);
	size_t l = strlen(line);
	UTIL_GROW(b->s, b->n + l + 1, b->cap);
	memcpy(b->s + b->n, line, l + 1);
	b->n += l;
	free(line);
}

static double mib(double b)
{
	return b / UTIL_MIB;
}

/* Replay the load with a given layers-per-GPU choice. */
static int replay_with(const struct scen *sc, const int *counts, int ngl, struct sim_result *out,
		       char **cause)
{
	struct llm_scenario l = sc->lsc;
	l.n_split = sc->cfg.topo.n;
	for (int g = 0; g < l.n_split; g++)
		l.split[g] = counts[g];
	l.n_gpu_layers = ngl;
	struct trace_event *ev = NULL;
	size_t n = 0;
	int layers[TOPO_MAX_GPUS];
	int rc = llm_build(sc->ld, &l, &sc->cfg.topo, &ev, &n, layers, NULL, 0, cause);
	if (rc)
		return rc;
	struct sim_config cfg = sc->cfg;
	cfg.obs = NULL;
	cfg.on_oom = SIM_OOM_CONTINUE;
	memset(cfg.measured_context, 0, sizeof(cfg.measured_context));
	sim_events_context(ev, n, cfg.measured_context);
	struct sim_source *src = sim_source_array(ev, n);
	rc = sim_replay(&cfg, src, out, cause);
	sim_source_free(src);
	free(ev);
	return rc;
}

static int ollama05(const struct scen *sc, uint64_t *est, struct buf *b, char **cause)
{
	const struct llm_load *ld = sc->ld;
	const struct llm_scenario *l = &sc->lsc;
	int G = sc->cfg.topo.n;
	uint64_t cells = l->ctx || l->parallel
		? (l->ctx ? l->ctx : ld->cells / (uint64_t)ld->parallel) *
			  (uint64_t)(l->parallel ? l->parallel : ld->parallel)
		: ld->cells;
	double c = (double)cells, e = ld->n_embd, h = ld->n_head, V = ld->n_vocab;
	double hkv = ld->n_head_kv ? ld->n_head_kv : ld->n_head;
	double dh = h > 0 ? e / h : 0;
	double bsz = l->batch ? l->batch : 512;
	if (bsz > c)
		bsz = c;
	const char *kvt = l->kv_type[0] ? l->kv_type : ld->type_k;
	double kv_l = (e && h) ? c * 2.0 * dh * hkv * ollama_kv_bpe(kvt)
			       : (double)llm_kv_layer(ld, l);
	/* GraphSize for llama (fs/ggml/ggml.go at v0.5.13) */
	double full = fmax(4 * bsz * (1 + 4 * e + c * (1 + h)), 4 * bsz * (e + V));
	double partial = 4 * bsz * e +
			 fmax(4 * bsz * (1 + e + fmax(c, e)) + e * e * 9 / 16 + 4 * c * (bsz * h + dh * hkv),
			      4 * bsz * (e + V) + e * V * 105 / 128);
	if (!e || !h || !V) {
		partial = full = (double)llm_compute(ld, l, LLM_ROLE_MAIN, 0);
		bprintf(b, "note: model dimensions unknown: graph taken as the predicted compute buffer\n");
	}
	if (G > 1)
		full = partial;
	double graph_max = fmax(full, partial);
	int nb = (int)ld->n_layer;
	double spare = (double)ld->layer_w[0] + kv_l;
	double alloc[TOPO_MAX_GPUS];
	int counts[TOPO_MAX_GPUS], with_space[TOPO_MAX_GPUS], nws = 0;
	for (int g = 0; g < G; g++) {
		alloc[g] = 0;
		counts[g] = 0;
		double free_b = (double)sc->cfg.topo.capacity[g];
		if (free_b < graph_max + OLLAMA_MIN_MEMORY + 2 * spare)
			continue;
		with_space[nws++] = g;
		alloc[g] = OLLAMA_MIN_MEMORY + spare;
	}
	int placed = 0, limit = l->n_gpu_layers >= 0 ? l->n_gpu_layers : nb + 1;
	double overflow = 0;
	for (int i = nb - 1; i >= 0; i--) {
		double ls = (double)ld->layer_w[i] + kv_l;
		int done = 0;
		for (int j = nws; j > 0 && placed < limit; j--) {
			int idx = i % j, g = with_space[idx];
			if ((double)sc->cfg.topo.capacity[g] > alloc[g] + graph_max + ls) {
				alloc[g] += ls;
				counts[g]++;
				placed++;
				done = 1;
				break;
			}
			memmove(&with_space[idx], &with_space[idx + 1], (size_t)(nws - idx - 1) * sizeof(int));
			nws--;
		}
		if (!done)
			overflow += ls;
	}
	double out_l = (double)ld->layer_w[nb];
	int out_placed = 0;
	if (placed >= nb && placed < limit) {
		for (int j = nws; j > 0; j--) {
			int g = with_space[placed % j];
			if ((double)sc->cfg.topo.capacity[g] > alloc[g] + graph_max + out_l) {
				alloc[g] += out_l;
				counts[g]++;
				placed++;
				out_placed = 1;
				break;
			}
		}
	}
	if (!out_placed)
		overflow += out_l;
	int fully = placed >= nb + 1;
	double graph = fully ? full : partial;
	double vram = 0;
	for (int g = 0; g < G; g++) {
		if (counts[g]) {
			alloc[g] += graph;
			est[g] = (uint64_t)llround(alloc[g]);
			vram += alloc[g];
		} else {
			est[g] = UINT64_MAX;
		}
	}
	double total = vram + overflow + (double)ld->host_fixed;
	/* What the load really uses with Ollama's choice of layers. */
	struct sim_result *real = util_xcalloc(1, sizeof(*real));
	int rc = replay_with(sc, counts, placed, real, cause);
	if (rc) {
		free(real);
		return rc;
	}
	bprintf(b, "\nollama-0.5 estimate, line by line (Ollama's EstimateGPULayers, llm/memory.go):\n");
	bprintf(b, "  context %llu cells, batch %.0f, KV %s: per layer %.1f MiB weights + %.1f MiB KV;"
		   " graph %.1f MiB (%s offload formula)\n", (unsigned long long)cells, bsz, kvt,
		mib((double)ld->layer_w[0]), mib(kv_l), mib(graph),
		G > 1 ? "partial, as on every multi-GPU load" : fully ? "full" : "partial");
	bprintf(b, "%3s %6s %10s %9s %8s %8s %10s | %10s %9s %10s\n", "GPU", "layers", "layers",
		"graph", "minimum", "spare", "estimate", "real use", "unused", "free card");
	bprintf(b, "%3s %6s %10s %9s %8s %8s %10s | %10s %9s %10s\n", "", "", "MiB", "MiB", "MiB",
		"layer", "MiB", "MiB", "MiB", "MiB");
	for (int g = 0; g < G; g++) {
		if (!counts[g]) {
			bprintf(b, "%3d %6d %10s (not used: free memory below graph + 457 MiB + 2 layers)\n",
				g, 0, "-");
			continue;
		}
		double layers_b = alloc[g] - graph - OLLAMA_MIN_MEMORY - spare;
		const struct sim_dev *d = &real->dev[g];
		bprintf(b, "%3d %6d %10.0f %9.0f %8.0f %8.0f %10.0f | %10.0f %9.0f %10.0f\n", g,
			counts[g], mib(layers_b), mib(graph), mib((double)OLLAMA_MIN_MEMORY), mib(spare),
			mib(alloc[g]), mib((double)d->peak), mib(alloc[g] - (double)d->peak),
			mib((double)sim_headroom(d)));
	}
	bprintf(b, "  ollama ps SIZE = GPUs %.1f GiB + on CPU %.1f GiB (layers that did not fit, "
		   "embeddings) = %.1f GiB (%.0f GB as ollama ps prints it), %d%%/%d%% CPU/GPU\n",
		vram / 1073741824.0, (overflow + (double)ld->host_fixed) / 1073741824.0,
		total / 1073741824.0, total / 1e9,
		(int)lround(100.0 * (total - vram) / total), (int)lround(100.0 * vram / total));
	bprintf(b, "  layers on GPUs: %d/%d; Ollama's split:", placed, nb + 1);
	for (int g = 0; g < G; g++)
		bprintf(b, "%s%d", g ? "," : " ", counts[g]);
	bprintf(b, "\n  why cards keep free memory: each GPU with a layer reserves the graph (%.0f MiB),"
		   " 457 MiB and a spare layer (%.0f MiB); the runner allocates a smaller compute buffer"
		   " than the graph on most GPUs and no spare layer, so that memory stays unused\n",
		mib(graph), mib(spare));
	free(real);
	return 0;
}

/*
 * Ollama's 2025 layout (llm/server.go createLayout -> buildLayout ->
 * findBestFit -> greedyFit, commit d5a0d8d90): GPUs by free memory, most
 * first; each GPU that takes a layer reserves 457 MiB and its measured
 * graph; layers are packed from the last one backwards onto as few GPUs
 * as possible; a capacity factor in (0, 1] applied to every GPU is
 * searched (bisection) for the smallest one that still places the most
 * layers, which spreads the layers evenly.
 */
static int greedy_fit(const struct scen *sc, const double *need, int total, const double *graph,
		      const int *order, double factor, int *counts)
{
	int G = sc->cfg.topo.n, placed = 0, layer = total - 1;
	for (int g = 0; g < G; g++)
		counts[g] = 0;
	for (int k = 0; k < G && layer >= 0; k++) {
		int g = order[k];
		double avail = (double)sc->cfg.topo.capacity[g] * factor - (double)OLLAMA_MIN_MEMORY - graph[g];
		double used = 0;
		while (layer >= 0 && used + need[layer] <= avail) {
			used += need[layer--];
			counts[g]++;
			placed++;
		}
	}
	return placed;
}

static int ollama_layout(const struct scen *sc, uint64_t *est, struct buf *b, char **cause)
{
	const struct llm_load *ld = sc->ld;
	int G = sc->cfg.topo.n, total = (int)ld->n_layer + 1;
	if (ld->fixed)
		return util_err(cause, UTIL_EINPUT, "ollama-layout needs the model's layer count "
				"(--meta layers=N or --profile)");
	double *need = util_xcalloc((size_t)total, sizeof(double));
	uint64_t kvl = llm_kv_layer(ld, &sc->lsc);
	for (int l = 0; l < total; l++)
		need[l] = (double)ld->layer_w[l] + (l < (int)ld->n_layer ? (double)kvl : 0);
	/* The graph Ollama measures is the compute buffer of the GPU's role. */
	double graph[TOPO_MAX_GPUS];
	int order[TOPO_MAX_GPUS], counts[TOPO_MAX_GPUS];
	for (int g = 0; g < G; g++) {
		order[g] = g;
		int role = G == 1 ? LLM_ROLE_SINGLE : g == 0 ? LLM_ROLE_MAIN
			 : g == G - 1 ? LLM_ROLE_LAST : LLM_ROLE_MID;
		graph[g] = (double)llm_compute(ld, &sc->lsc, role, role == LLM_ROLE_LAST ||
					       role == LLM_ROLE_SINGLE);
	}
	for (int i = 1; i < G; i++) /* most free memory first, stable */
		for (int j = i; j > 0 && sc->cfg.topo.capacity[order[j]] >
					 sc->cfg.topo.capacity[order[j - 1]]; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	int best = greedy_fit(sc, need, total, graph, order, 1.0, counts);
	double lo = 0, hi = 1;
	for (int it = 0; it < 40; it++) {
		double mid = (lo + hi) / 2;
		if (greedy_fit(sc, need, total, graph, order, mid, counts) >= best)
			hi = mid;
		else
			lo = mid;
	}
	int placed = greedy_fit(sc, need, total, graph, order, hi, counts);
	/* llama.cpp places layers front to back: the split lists GPUs in index
	 * order and the output layer lands on the last GPU holding layers. */
	struct sim_result *real = util_xcalloc(1, sizeof(*real));
	int rc = replay_with(sc, counts, placed, real, cause);
	if (rc) {
		free(real);
		free(need);
		return rc;
	}
	bprintf(b, "\nollama-layout estimate (Ollama 2025: 457 MiB + measured graph + layers per GPU,"
		   " packed from the last layer, capacity factor %.3f):\n", hi);
	bprintf(b, "%3s %6s %10s %9s %10s | %10s %9s\n", "GPU", "layers", "layers", "graph",
		"estimate", "real use", "unused");
	bprintf(b, "%3s %6s %10s %9s %10s | %10s %9s\n", "", "", "MiB", "MiB", "MiB", "MiB", "MiB");
	int first = total - placed;
	for (int g = 0; g < G; g++) {
		if (!counts[g]) {
			est[g] = UINT64_MAX;
			bprintf(b, "%3d %6d (not used)\n", g, 0);
			continue;
		}
		double lb = 0;
		for (int l = first; l < first + counts[g]; l++)
			lb += need[l];
		first += counts[g];
		double e = lb + graph[g] + (double)OLLAMA_MIN_MEMORY;
		est[g] = (uint64_t)llround(e);
		bprintf(b, "%3d %6d %10.0f %9.0f %10.0f | %10.0f %9.0f\n", g, counts[g], mib(lb),
			mib(graph[g]), mib(e), mib((double)real->dev[g].peak),
			mib(e - (double)real->dev[g].peak));
	}
	bprintf(b, "  layers on GPUs: %d/%d; Ollama's split:", placed, total);
	for (int g = 0; g < G; g++)
		bprintf(b, "%s%d", g ? "," : " ", counts[g]);
	bprintf(b, "\n");
	free(real);
	free(need);
	return 0;
}

static int llama_fit(const struct scen *sc, const struct sim_result *res, uint64_t *est,
		     struct buf *b)
{
	int G = sc->cfg.topo.n, ok = 1;
	bprintf(b, "\nllama-fit projection (--fit: measured use, %llu MiB target free per device):\n",
		(unsigned long long)(LLAMA_FIT_TARGET >> 20));
	for (int g = 0; g < G; g++) {
		const struct sim_dev *d = &res->dev[g];
		est[g] = d->peak + LLAMA_FIT_TARGET;
		uint64_t free_b = sim_headroom(d);
		int good = free_b >= LLAMA_FIT_TARGET;
		ok &= good;
		bprintf(b, "  - GPU %d: %.0f total, %.0f used, %.0f free vs. target of %llu%s\n", g,
			mib((double)d->capacity), mib((double)d->peak), mib((double)free_b),
			(unsigned long long)(LLAMA_FIT_TARGET >> 20), good ? "" : "  (fit would move layers off)");
	}
	bprintf(b, "  %s\n", ok ? "fit keeps these parameters" : "fit would reduce ctx or move layers to the host");
	return 0;
}

/* The rows of the engine table (sim/scenario.c scen_engines[]). */
static int finish(struct buf *b, int rc, char **explain)
{
	if (rc) {
		free(b->s);
		return rc;
	}
	*explain = b->s;
	return 0;
}

int est_ollama05(const struct scen *sc, const struct sim_result *res, uint64_t *est,
		 char **explain, char **cause)
{
	struct buf b = { 0 };
	(void)res;
	return finish(&b, ollama05(sc, est, &b, cause), explain);
}

int est_ollama_layout(const struct scen *sc, const struct sim_result *res, uint64_t *est,
		      char **explain, char **cause)
{
	struct buf b = { 0 };
	(void)res;
	return finish(&b, ollama_layout(sc, est, &b, cause), explain);
}

int est_llama_fit(const struct scen *sc, const struct sim_result *res, uint64_t *est,
		  char **explain, char **cause)
{
	struct buf b = { 0 };
	(void)cause;
	return finish(&b, llama_fit(sc, res, est, &b), explain);
}

int est_compute(const char *engine, const struct scen *sc, const struct sim_result *res,
		uint64_t *est, char **explain, char **cause)
{
	const struct scen_engine *row = scen_engine_find(engine);
	if (!row || !row->estimate)
		return util_err(cause, UTIL_EINPUT, "unknown engine '%s': expected %s", engine,
				scen_estimators());
	return row->estimate(sc, res, est, explain, cause);
}
