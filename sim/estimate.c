/*
 * estimate.c - engines' own memory estimators, era by era, replayed.
 *
 * Each row turns a scenario into its engine's inputs (ollama.h for the
 * pre-2025 formulas, the 2025 layout and Ollama 0.30+ here), replays the
 * load under the engine's own choice of layers, and prints the estimate,
 * the real use and the difference per GPU. Rules are cited per function
 * (github.com/ollama/ollama at the tags named); the code is ours.
 */
#include "estimate.h"
#include "estimate_int.h"
#include "ollama.h"
#include "quant.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLAMA_FIT_TARGET (1024ull << 20) /* common/fit.cpp default --fit-target */

const char estimate_engine_help[] =
	"  engine options, after a colon (--engine-estimate ollama-0.5:quant=Q4_K_M,ff=28672):\n"
	"    quant=Q4_K_M|Q8_0|F16  layer sizes from llama.cpp's per-tensor types (llama models)\n"
	"    ff=N                   feed-forward length for quant= (default embd x 3.5)\n"
	"    head_dim=N, head_dim_v=N  key/value head dimension (default embd / heads)\n"
	"    swa=N, swa_period=N    sliding window and global-layer period (gemma3: 1024, 6)\n"
	"    arch=NAME              graph formula: llama, gemma3, gemma2, qwen2, command-r, phi2\n"
	"    projector=SIZE, projector_graph=SIZE  multimodal projector weights and graph\n"
	"    free=SIZE[/SIZE...]    free memory per GPU as Ollama reads it, one for all or one\n"
	"                           per GPU (default: capacity minus the context reserve)\n"
	"    overhead=SIZE          OLLAMA_GPU_OVERHEAD per GPU; batch=N num_batch (512)\n"
	"    num_gpu=N              Ollama's num_gpu request (default automatic; --num-gpu sets\n"
	"                           the runner's -ngl in the replay)\n";

void estimate_printf(struct estimate_buf *b, const char *fmt, ...)
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

/* ---- from a scenario to the estimator's inputs ---- */

int estimate_opts_parse(const char *spec, char *name, size_t name_n, struct estimate_opts *o, char **cause)
{
	memset(o, 0, sizeof(*o));
	o->batch = 512;
	o->num_gpu = -1;
	const char *colon = strchr(spec, ':');
	size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);
	if (nl >= name_n)
		nl = name_n - 1;
	memcpy(name, spec, nl);
	name[nl] = '\0';
	if (!colon)
		return 0;
	char *copy = util_xstrdup(colon + 1), *save = NULL;
	int rc = 0;
	for (char *kv = strtok_r(copy, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq) {
			rc = util_err(cause, UTIL_EINPUT, "--engine-estimate: '%s': expected key=value", kv);
			break;
		}
		*eq = '\0';
		const char *k = kv, *v = eq + 1;
		uint64_t *num = !strcmp(k, "ff") ? &o->ff : !strcmp(k, "head_dim") ? &o->head_k
			      : !strcmp(k, "head_dim_v") ? &o->head_v : !strcmp(k, "swa") ? &o->swa
			      : !strcmp(k, "swa_period") ? &o->swa_period : !strcmp(k, "batch") ? &o->batch
			      : NULL;
		uint64_t *size = !strcmp(k, "projector") ? &o->projector
			       : !strcmp(k, "projector_graph") ? &o->projector_graph
			       : !strcmp(k, "overhead") ? &o->overhead : NULL;
		if (num) {
			char *end;
			unsigned long long x = strtoull(v, &end, 10);
			if (end == v || *end || *v == '-' || x == 0 || x > (1u << 30))
				rc = util_err(cause, UTIL_EINPUT, "--engine-estimate: '%s=%s': expected a "
					      "number from 1 to %u", k, v, 1u << 30);
			*num = x;
		} else if (size) {
			if ((rc = topo_parse_size(v, 0, size, cause)))
				break;
		} else if (!strcmp(k, "free")) {
			char *list = util_xstrdup(v), *sv = NULL;
			o->n_free = 0;
			for (char *t = strtok_r(list, "/", &sv); t && !rc; t = strtok_r(NULL, "/", &sv)) {
				if (o->n_free == TOPO_MAX_GPUS)
					rc = util_err(cause, UTIL_EINPUT, "--engine-estimate: free=: more than "
						      "%d sizes", TOPO_MAX_GPUS);
				else
					rc = topo_parse_size(t, 0, &o->free[o->n_free++], cause);
			}
			free(list);
			if (!rc && !o->n_free)
				rc = util_err(cause, UTIL_EINPUT, "--engine-estimate: free=: expected a size "
					      "or sizes separated by '/'");
		} else if (!strcmp(k, "num_gpu")) {
			char *end;
			long x = strtol(v, &end, 10);
			if (end == v || *end || x < 0 || x > LLM_MAX_LAYERS + 1)
				rc = util_err(cause, UTIL_EINPUT, "--engine-estimate: 'num_gpu=%s': expected a "
					      "layer count from 0 to %d", v, LLM_MAX_LAYERS + 1);
			o->num_gpu = (int)x;
		} else if (!strcmp(k, "quant") && strlen(v) < sizeof(o->quant)) {
			snprintf(o->quant, sizeof(o->quant), "%s", v);
		} else if (!strcmp(k, "arch") && strlen(v) < sizeof(o->arch)) {
			snprintf(o->arch, sizeof(o->arch), "%s", v);
		} else {
			rc = util_err(cause, UTIL_EINPUT, "--engine-estimate: unknown option '%s' (quant, "
				      "ff, head_dim, head_dim_v, swa, swa_period, arch, projector, "
				      "projector_graph, free, overhead, batch, num_gpu)", k);
		}
	}
	free(copy);
	if (!rc && !strcmp(o->arch, "gemma3") && o->swa && !o->swa_period)
		o->swa_period = 6; /* gemma3GlobalCacheCount */
	return rc;
}

/* Free memory Ollama reads on GPU g: free= (one size for all, or one per
 * GPU), else the capacity less the context reserve the replay charges. */
static int free_of(const struct scen *sc, const struct estimate_opts *o, int g, uint64_t *out, char **cause)
{
	if (o->n_free > 1 && o->n_free != sc->cfg.topo.n)
		return util_err(cause, UTIL_EINPUT, "--engine-estimate: free= gives %d sizes for %d GPUs",
				o->n_free, sc->cfg.topo.n);
	uint64_t cap = sc->cfg.topo.capacity[g];
	*out = o->n_free ? o->free[o->n_free > 1 ? g : 0] : cap > sc->cfg.reserve ? cap - sc->cfg.reserve : 0;
	return 0;
}

/* The load with layer sizes from quant=, when asked (malloc'd copy in
 * *out, or sc->ld itself). */
static int model_load(const struct scen *sc, const struct estimate_opts *o, struct llm_load **own,
		      const struct llm_load **out, char **cause)
{
	*own = NULL;
	*out = sc->ld;
	if (!o->quant[0])
		return 0;
	const struct llm_load *ld = sc->ld;
	struct llm_load *c = util_xcalloc(1, sizeof(*c));
	*c = *ld;
	uint64_t ff = o->ff ? o->ff : (uint64_t)ld->n_embd * 7 / 2;
	int rc = quant_llama_sizes(o->quant, ld->n_layer, ld->n_embd, ld->n_head,
					ld->n_head_kv ? ld->n_head_kv : ld->n_head, (uint32_t)ff,
					ld->n_vocab, c->layer_w, &c->layer_w[ld->n_layer],
					&c->host_fixed, cause);
	if (rc) {
		free(c);
		return rc;
	}
	*own = c;
	*out = c;
	return 0;
}

/* Replay the load ld with a given layers-per-GPU choice. */
static int replay_with(const struct scen *sc, const struct llm_load *ld, const int *counts, int ngl,
		       struct sim_result *out, char **cause)
{
	struct llm_scenario l = sc->lsc;
	l.n_split = sc->cfg.topo.n;
	int any = 0;
	for (int g = 0; g < l.n_split; g++) {
		l.split[g] = counts[g];
		any |= counts[g] > 0;
	}
	if (!any) { /* nothing on GPUs: all on the host */
		l.n_split = 0;
		ngl = 0;
	}
	l.n_gpu_layers = ngl;
	struct trace_event *ev = NULL;
	size_t n = 0;
	int layers[TOPO_MAX_GPUS];
	int rc = llm_build(ld, &l, &sc->cfg.topo, &ev, &n, layers, NULL, 0, cause);
	if (rc)
		return rc;
	struct sim_config cfg = sc->cfg;
	cfg.obs = NULL;
	cfg.on_oom = SIM_OOM_CONTINUE;
	memset(cfg.measured_context, 0, sizeof(cfg.measured_context));
	sim_source_events_context(ev, n, cfg.measured_context);
	struct sim_source *src = sim_source_array(ev, n);
	rc = sim_replay(&cfg, src, out, cause);
	sim_source_free(src);
	free(ev);
	return rc;
}

static uint64_t scen_cells(const struct scen *sc, int *parallel)
{
	const struct llm_load *ld = sc->ld;
	const struct llm_scenario *l = &sc->lsc;
	int par = l->parallel ? l->parallel : (ld->parallel > 0 ? ld->parallel : 1);
	uint64_t ctx = l->ctx ? l->ctx : ld->cells / (uint64_t)(ld->parallel > 0 ? ld->parallel : 1);
	*parallel = par;
	return ctx * (uint64_t)par;
}

static void json_u64_array(struct estimate_buf *j, const char *key, const uint64_t *v, int n)
{
	estimate_printf(j, ",\"%s\":[", key);
	for (int i = 0; i < n; i++)
		estimate_printf(j, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
	estimate_printf(j, "]");
}

static void json_int_array(struct estimate_buf *j, const char *key, const int *v, int n)
{
	estimate_printf(j, ",\"%s\":[", key);
	for (int i = 0; i < n; i++)
		estimate_printf(j, "%s%d", i ? "," : "", v[i]);
	estimate_printf(j, "]");
}

void estimate_ps_json(struct estimate_buf *j, uint64_t total, uint64_t vram)
{
	char size[32], proc[48];
	ollama_ps(total, vram, size, sizeof(size), proc, sizeof(proc));
	int cpu = 0, gpu = 0;
	if (vram == 0)
		cpu = 100;
	else if (vram >= total)
		gpu = 100;
	else {
		cpu = (int)round((double)(total - vram) / (double)total * 100);
		gpu = 100 - cpu;
	}
	estimate_printf(j, ",\"ollama_ps\":{\"size_bytes\":%llu,\"size_vram_bytes\":%llu,\"size\":\"%s\","
		   "\"processor\":\"%s\",\"cpu_percent\":%d,\"gpu_percent\":%d}",
		(unsigned long long)total, (unsigned long long)vram, size, proc, cpu, gpu);
}

static int is_ollama_engine_arch(const char *a)
{
	return !strcmp(a, "gemma3") || !strcmp(a, "mistral3") || !strcmp(a, "llama4") ||
	       !strcmp(a, "qwen25vl");
}

static const char *const era_title[] = {
	[OLLAMA_ERA_05] = "Ollama v0.1-v0.6, llm/memory.go EstimateGPULayers at v0.5.13",
	[OLLAMA_ERA_07] = "Ollama v0.7.0-v0.12.10 (llama engine), llm/memory.go EstimateGPULayers at v0.11.4",
};

/* Pre-2025 eras: the estimate, then the load replayed with Ollama's split. */
static int ollama_era(enum ollama_era era, int spare_largest, const char *name, const struct scen *sc,
		      const struct estimate_opts *o, uint64_t *est, struct estimate_buf *b, struct estimate_buf *j, char **cause)
{
	if (sc->ld->fixed || !sc->ld->n_layer)
		return util_err(cause, UTIL_EINPUT, "%s needs the model's layer count (--meta layers=N, "
				"--profile or --model)", name);
	struct llm_load *own;
	const struct llm_load *ld;
	int rc = model_load(sc, o, &own, &ld, cause);
	if (rc)
		return rc;
	const struct llm_scenario *l = &sc->lsc;
	int G = sc->cfg.topo.n, par;
	struct ollama_model m = {
		.arch = o->arch[0] ? o->arch : "llama", .n_layer = ld->n_layer, .n_embd = ld->n_embd,
		.n_head = ld->n_head, .n_head_kv = ld->n_head_kv, .n_vocab = ld->n_vocab,
		.head_k = (uint32_t)o->head_k, .head_v = (uint32_t)(o->head_v ? o->head_v : o->head_k),
		.swa = (uint32_t)o->swa, .swa_period = (uint32_t)o->swa_period, .layer_w = ld->layer_w,
		.output_w = ld->layer_w[ld->n_layer], .token_embd_w = ld->host_fixed,
		.projector_w = o->projector, .projector_graph = o->projector_graph,
	};
	m.ollama_engine = era == OLLAMA_ERA_07 && is_ollama_engine_arch(m.arch);
	struct ollama_input in = { .n_gpu = G, .min_memory = OLLAMA_MIN_MEMORY, .gpu_overhead = o->overhead,
				.batch = o->batch, .num_gpu = o->num_gpu,
				.spare_largest = spare_largest };
	in.ctx = scen_cells(sc, &par);
	in.parallel = par;
	const char *kvt = l->kv_type[0] ? l->kv_type : ld->type_k;
	int fa = l->flash_attn >= 0 ? l->flash_attn : ld->flash_attn;
	/* server.go: the KV type applies only with flash attention */
	in.kv_bpe = fa ? ollama_kv_bpe(kvt) : 2.0;
	for (int g = 0; g < G && !rc; g++)
		rc = free_of(sc, o, g, &in.free[g], cause);
	struct ollama_result r;
	if (rc) {
		free(own);
		return rc;
	}
	if ((rc = ollama_estimate(era, &m, &in, &r, cause))) {
		free(own);
		return rc;
	}
	struct sim_result *real = util_xcalloc(1, sizeof(*real));
	if ((rc = replay_with(sc, ld, r.split, r.layers, real, cause))) {
		free(real);
		free(own);
		return rc;
	}
	char size[32], proc[48];
	ollama_ps(r.total, r.vram, size, sizeof(size), proc, sizeof(proc));
	const char *title = spare_largest ? "Ollama v0.7.0, llm/memory.go EstimateGPULayers at v0.7.0:"
					    " the spare layer is the largest tensor group"
					  : era_title[era];
	estimate_printf(b, "\n%s estimate (%s):\n", name, title);
	estimate_printf(b, "  NumCtx %llu (num_ctx %llu x num_parallel %d), batch %llu, KV %s%s: spare layer"
		   " %.1f MiB (weights %.1f + KV %.1f); graph partial %.1f MiB, full %.1f MiB%s\n",
		(unsigned long long)in.ctx, (unsigned long long)(in.ctx / (uint64_t)par), par,
		(unsigned long long)(in.batch < in.ctx ? in.batch : in.ctx), fa ? kvt : "f16",
		fa || !strcmp(kvt, "f16") ? "" : " (type ignored without flash attention)",
		mib((double)r.spare), mib((double)(r.spare - ollama_kv_layer(&m, &in, era, 0))),
		mib((double)ollama_kv_layer(&m, &in, era, 0)),
		mib((double)r.graph_partial), mib((double)r.graph_full),
		G > 1 ? " (multi-GPU: partial)" : "");
	if (o->quant[0])
		estimate_printf(b, "  layer sizes: llama.cpp %s tensor types (blk.0 %.1f MiB, output %.1f MiB, "
			   "token_embd %.1f MiB on the host, not counted); \"real use\" below replays the"
			   " load with these sizes, the table above with the load's own\n", o->quant,
			mib((double)m.layer_w[0]), mib((double)m.output_w), mib((double)m.token_embd_w));
	estimate_printf(b, "%3s %6s %9s %8s %8s %9s %8s %10s | %10s %9s %10s\n", "GPU", "layers", "free",
		"minimum", "spare", "layers", "graph", "estimate", "real use", "unused", "left free");
	estimate_printf(b, "%3s %6s %9s %8s %8s %9s %8s %10s | %10s %9s %10s\n", "", "", "MiB", "MiB", "MiB",
		"MiB", "MiB", "MiB", "MiB", "MiB", "MiB");
	uint64_t unused[TOPO_MAX_GPUS] = { 0 };
	for (int g = 0; g < G; g++) {
		const struct sim_dev *d = &real->dev[g];
		if (!r.split[g]) {
			est[g] = UINT64_MAX;
			estimate_printf(b, "%3d %6d %9.0f (no layer: free below overhead + graph + 457 MiB + 2 "
				   "layers, or none left)\n", g, 0, mib((double)in.free[g]));
			continue;
		}
		est[g] = r.alloc[g];
		uint64_t graph = r.fully ? r.graph_full : r.graph_partial;
		double layers_b = (double)r.alloc[g] - (double)graph - (double)in.min_memory - (double)r.spare;
		unused[g] = r.alloc[g] > d->peak ? r.alloc[g] - d->peak : 0;
		estimate_printf(b, "%3d %6d %9.0f %8.0f %8.0f %9.0f %8.0f %10.0f | %10.0f %9.0f %10.0f\n", g,
			r.split[g], mib((double)in.free[g]), mib((double)in.min_memory), mib((double)r.spare),
			mib(layers_b), mib((double)graph), mib((double)r.alloc[g]), mib((double)d->peak),
			mib((double)r.alloc[g] - (double)d->peak), mib((double)in.free[g] - (double)d->peak));
	}
	estimate_printf(b, "  layers.offload %d/%d, layers.split", r.layers, r.layers_model);
	for (int g = 0; g < G; g++)
		estimate_printf(b, "%s%d", g ? "," : " ", r.split[g]);
	estimate_printf(b, "; memory.required.partial %.1f GiB, .full %.1f GiB, .kv %.1f GiB\n",
		(double)r.vram / 1073741824.0, (double)r.total / 1073741824.0, (double)r.kv / 1073741824.0);
	estimate_printf(b, "  ollama ps: SIZE %s  PROCESSOR %s  (%.2f GB = GPUs %.2f GB + CPU %.2f GB;"
		   " GB are decimal, as Ollama prints them)\n", size, proc, (double)r.total / 1e9,
		(double)r.vram / 1e9, (double)(r.total - r.vram) / 1e9);
	estimate_printf(b, "  not in SIZE: token embeddings (%.1f MiB, on the host), CUDA context\n",
		mib((double)m.token_embd_w));
	if (l->n_gpu_layers >= 0 && o->num_gpu < 0)
		estimate_printf(b, "  note: --num-gpu %d sets the runner's -ngl for the replay above; Ollama's own"
			   " num_gpu request is automatic here (engine option num_gpu=N to set it)\n",
			l->n_gpu_layers);
	if (par > 1 && !r.fully)
		estimate_printf(b, "  note: with OLLAMA_NUM_PARALLEL unset, Ollama loads a model that does not fit"
			   " with num_parallel 1 (server/sched.go pickBestPartialFitByLibrary)\n");
	estimate_printf(b, "  left free = free as Ollama read it - real use (the runner's CUDA context included),"
		   " what nvidia-smi would show free\n");
	estimate_printf(b, "  unused = estimate - real use: each GPU holding a layer reserves 457 MiB, a spare"
		   " layer and the graph; the runner allocates no spare layer and its own compute buffer\n");
	estimate_printf(j, "{\"engine\":\"%s\",\"source\":\"%s\",\"layers\":%d,\"layers_model\":%d", name,
		title, r.layers, r.layers_model);
	json_int_array(j, "split", r.split, G);
	json_u64_array(j, "allocations", r.alloc, G);
	json_u64_array(j, "unused", unused, G);
	estimate_printf(j, ",\"required_partial\":%llu,\"required_full\":%llu,\"kv\":%llu,\"graph_partial\":%llu,"
		   "\"graph_full\":%llu,\"num_ctx_total\":%llu", (unsigned long long)r.vram,
		(unsigned long long)r.total, (unsigned long long)r.kv, (unsigned long long)r.graph_partial,
		(unsigned long long)r.graph_full, (unsigned long long)in.ctx);
	estimate_ps_json(j, r.total, r.vram);
	estimate_printf(j, "}");
	free(real);
	free(own);
	return 0;
}

static int ollama05(const char *name, const struct scen *sc, const struct sim_result *res,
		    const struct estimate_opts *o, uint64_t *est, struct estimate_buf *b, struct estimate_buf *j, char **cause)
{
	(void)res;
	return ollama_era(OLLAMA_ERA_05, 0, name, sc, o, est, b, j, cause);
}

static int ollama07(const char *name, const struct scen *sc, const struct sim_result *res,
		    const struct estimate_opts *o, uint64_t *est, struct estimate_buf *b, struct estimate_buf *j, char **cause)
{
	(void)res;
	return ollama_era(OLLAMA_ERA_07, !strcmp(name, "ollama-0.7.0"), name, sc, o, est, b, j, cause);
}

/*
 * Ollama's 2025 layout (llm/server.go buildLayout -> assignLayers ->
 * findBestFit -> greedyFit at v0.12.11; d5a0d8d90 first in v0.11.5).
 * GPUs sorted by free memory, most first; each keeps 457 MiB + overhead +
 * its measured graph (+ a backoff share after failed loads, 0 here), the
 * rest holds layers (weights + KV, the output layer last). The layers are
 * packed onto as few of the sorted GPUs as hold them all; greedyFit fills
 * from the last of those GPUs backwards, taking layers from the top; a
 * capacity factor on every GPU's space is bisected (to 1e-6) for the
 * smallest that still places as many layers, which evens the split. When
 * not everything fits, the output layer is dropped first.
 */
struct lay {
	int G, order[TOPO_MAX_GPUS];   /* the GPUs in use, sorted */
	double avail[TOPO_MAX_GPUS];   /* space for layers, by sorted position */
	const double *layer;
	int req;                       /* num_gpu, -1 automatic */
};

/* greedyFit: counts[k] layers on sorted GPU k (k < n); returns the sum. */
static int lay_greedy(const struct lay *y, int n, int L, double cap, int req, int *counts)
{
	int dev = n - 1, placed = 0;
	for (int k = 0; k < n; k++)
		counts[k] = 0;
	double space = y->avail[dev] * cap;
	for (int i = L - 1; i >= 0; i--) {
		if (req >= 0 && L - 1 - i >= req)
			break;
		while (y->layer[i] > space) {
			if (--dev < 0)
				return placed;
			space = y->avail[dev] * cap;
		}
		space -= y->layer[i];
		counts[dev]++;
		placed++;
	}
	return placed;
}

/* findBestFit over the first n sorted GPUs (one performance group). */
static int lay_best(const struct lay *y, int n, int L, int force, int *counts)
{
	double lo = 0, hi = y->req >= 0 && force ? 1000 : 1;
	int best = lay_greedy(y, n, L, hi, y->req, counts);
	int tmp[TOPO_MAX_GPUS];
	while (hi - lo > 1e-6) {
		double mid = (lo + hi) / 2;
		if (lay_greedy(y, n, L, mid, y->req, tmp) == best) {
			hi = mid;
			memcpy(counts, tmp, sizeof(int) * (size_t)n);
		} else {
			lo = mid;
		}
	}
	return best;
}

/* assignLayers: fewest GPUs first, then without the output layer. */
static int lay_assign(const struct lay *y, int total, int *counts, int *n_used)
{
	int L = total, sum = 0;
	for (int pass = 0; pass < 2; pass++) {
		int req = y->req < L ? y->req : L;
		struct lay z = *y;
		z.req = req;
		for (int i = 0; i < y->G; i++) {
			for (int k = 0; k < y->G; k++)
				counts[k] = 0;
			sum = lay_best(&z, i + 1, L, i == y->G - 1, counts);
			*n_used = i + 1;
			if (sum == L || sum == req)
				break;
		}
		if (sum == L)
			return sum;
		L--;
	}
	return sum;
}

static int ollama_layout(const char *name, const struct scen *sc, const struct sim_result *res,
			 const struct estimate_opts *o, uint64_t *est, struct estimate_buf *b, struct estimate_buf *j,
			 char **cause)
{
	(void)res;
	if (sc->ld->fixed)
		return util_err(cause, UTIL_EINPUT, "%s needs the model's layer count "
				"(--meta layers=N or --profile)", name);
	struct llm_load *own;
	const struct llm_load *ld;
	int rc = model_load(sc, o, &own, &ld, cause);
	if (rc)
		return rc;
	int G = sc->cfg.topo.n, total = (int)ld->n_layer + 1, n_used = 0;
	double *need = util_xcalloc((size_t)total, sizeof(double));
	uint64_t kvl = llm_kv_layer(ld, &sc->lsc);
	for (int l = 0; l < total; l++)
		need[l] = (double)ld->layer_w[l] + (l < (int)ld->n_layer ? (double)kvl : 0);
	/* The graph Ollama measures is the compute buffer of the GPU's role. */
	double graph[TOPO_MAX_GPUS], freeb[TOPO_MAX_GPUS];
	struct lay y = { .G = G, .layer = need, .req = o->num_gpu };
	for (int g = 0; g < G; g++) {
		y.order[g] = g;
		int role = G == 1 ? LLM_ROLE_SINGLE : g == 0 ? LLM_ROLE_MAIN
			 : g == G - 1 ? LLM_ROLE_LAST : LLM_ROLE_MID;
		graph[g] = (double)llm_compute(ld, &sc->lsc, role, role == LLM_ROLE_LAST ||
					       role == LLM_ROLE_SINGLE);
		uint64_t fb = 0;
		if ((rc = free_of(sc, o, g, &fb, cause))) {
			free(need);
			free(own);
			return rc;
		}
		freeb[g] = (double)fb;
	}
	for (int i = 1; i < G; i++) /* sort.Reverse(ByFreeMemory), kept stable */
		for (int k = i; k > 0 && freeb[y.order[k]] > freeb[y.order[k - 1]]; k--) {
			int t = y.order[k];
			y.order[k] = y.order[k - 1];
			y.order[k - 1] = t;
		}
	for (int k = 0; k < G; k++) {
		int g = y.order[k];
		double keep = (double)OLLAMA_MIN_MEMORY + (double)o->overhead + graph[g];
		y.avail[k] = freeb[g] > keep ? freeb[g] - keep : 0;
	}
	int sorted_counts[TOPO_MAX_GPUS], counts[TOPO_MAX_GPUS] = { 0 };
	int placed = lay_assign(&y, total, sorted_counts, &n_used);
	for (int k = 0; k < n_used; k++)
		counts[y.order[k]] = sorted_counts[k];
	struct sim_result *real = util_xcalloc(1, sizeof(*real));
	if ((rc = replay_with(sc, ld, counts, placed, real, cause))) {
		free(real);
		free(need);
		free(own);
		return rc;
	}
	estimate_printf(b, "\n%s estimate (Ollama v0.11.5+ new memory management, llm/server.go assignLayers"
		   " at v0.12.11: per GPU 457 MiB + measured graph kept, layers packed from the top onto"
		   " as few GPUs as hold them, capacity factor bisected):\n", name);
	estimate_printf(b, "%3s %6s %9s %10s %9s %10s | %10s %9s\n", "GPU", "layers", "free", "layers", "graph",
		"estimate", "real use", "unused");
	estimate_printf(b, "%3s %6s %9s %10s %9s %10s | %10s %9s\n", "", "", "MiB", "MiB", "MiB", "MiB", "MiB", "MiB");
	/* The replay places layers front to back in device order (llama.cpp's
	 * split); Ollama names the layers per device, so with GPUs of unequal
	 * free memory the ranges can differ while the counts agree. */
	int first = total - placed;
	double gpus = 0, cpu_layers = 0;
	uint64_t alloc[TOPO_MAX_GPUS] = { 0 }, unused[TOPO_MAX_GPUS] = { 0 };
	for (int l = 0; l < first; l++)
		cpu_layers += need[l];
	for (int g = 0; g < G; g++) {
		if (!counts[g]) {
			est[g] = UINT64_MAX;
			estimate_printf(b, "%3d %6d %9.0f (not used)\n", g, 0, mib(freeb[g]));
			continue;
		}
		double lb = 0;
		for (int l = first; l < first + counts[g] && l < total; l++)
			lb += need[l];
		first += counts[g];
		double e = lb + graph[g] + (double)OLLAMA_MIN_MEMORY + (double)o->overhead;
		est[g] = alloc[g] = (uint64_t)llround(e);
		gpus += lb + graph[g];
		unused[g] = (double)real->dev[g].peak < e ? (uint64_t)llround(e - (double)real->dev[g].peak) : 0;
		estimate_printf(b, "%3d %6d %9.0f %10.0f %9.0f %10.0f | %10.0f %9.0f\n", g, counts[g], mib(freeb[g]),
			mib(lb), mib(graph[g]), mib(e), mib((double)real->dev[g].peak),
			mib(e - (double)real->dev[g].peak));
	}
	/* llmServer.TotalSize/VRAMSize (v0.12.11): input weights (token
	 * embeddings) + CPU weights, cache and graph + each GPU's weights,
	 * cache and graph; VRAM adds the CPU parts only with no CPU layer. */
	double cpu_graph = (double)real->host.peak_used[TRACE_CAT_COMPUTE];
	double tot = (double)ld->host_fixed + cpu_layers + cpu_graph + gpus;
	double vram = gpus + (placed >= total ? (double)ld->host_fixed + cpu_graph : 0);
	char size[32], proc[48];
	ollama_ps((uint64_t)llround(tot), (uint64_t)llround(vram), size, sizeof(size), proc,
		      sizeof(proc));
	estimate_printf(b, "  layers on GPUs: %d/%d on %d GPU(s); split:", placed, total, n_used);
	for (int g = 0; g < G; g++)
		estimate_printf(b, "%s%d", g ? "," : " ", counts[g]);
	estimate_printf(b, "\n  ollama ps: SIZE %s  PROCESSOR %s  (token embeddings %.1f MiB counted, as"
		   " llmServer.TotalSize does; the 457 MiB per GPU is not)\n", size, proc,
		mib((double)ld->host_fixed));
	estimate_printf(j, "{\"engine\":\"%s\",\"source\":\"Ollama v0.11.5+ llm/server.go assignLayers "
		   "(v0.12.11)\",\"layers\":%d,\"layers_model\":%d,\"gpus_used\":%d", name, placed, total,
		n_used);
	json_int_array(j, "split", counts, G);
	json_u64_array(j, "allocations", alloc, G);
	json_u64_array(j, "unused", unused, G);
	estimate_ps_json(j, (uint64_t)llround(tot), (uint64_t)llround(vram));
	estimate_printf(j, "}");
	free(real);
	free(need);
	free(own);
	return 0;
}

/* llama.cpp --fit: every device keeps the fit target free. */
static void fit_lines(const struct scen *sc, const struct sim_result *res, uint64_t target,
		      uint64_t *est, struct estimate_buf *b)
{
	int G = sc->cfg.topo.n, ok = 1;
	for (int g = 0; g < G; g++) {
		const struct sim_dev *d = &res->dev[g];
		est[g] = d->peak + target;
		uint64_t free_b = sim_headroom(d);
		int good = free_b >= target;
		ok &= good;
		estimate_printf(b, "  - GPU %d: %.0f total, %.0f used, %.0f free vs. target of %.0f%s\n", g,
			mib((double)d->capacity), mib((double)d->peak), mib((double)free_b),
			mib((double)target), good ? "" : "  (fit would move layers off)");
	}
	estimate_printf(b, "  %s\n", ok ? "fit keeps these parameters" : "fit would reduce ctx or move layers to the host");
}

static int llama_fit(const char *name, const struct scen *sc, const struct sim_result *res,
		     const struct estimate_opts *o, uint64_t *est, struct estimate_buf *b, struct estimate_buf *j, char **cause)
{
	(void)o;
	(void)cause;
	estimate_printf(b, "\n%s projection (--fit: measured use, %llu MiB target free per device):\n", name,
		(unsigned long long)(LLAMA_FIT_TARGET >> 20));
	fit_lines(sc, res, LLAMA_FIT_TARGET, est, b);
	estimate_printf(j, "{\"engine\":\"%s\",\"source\":\"llama.cpp common/fit.cpp --fit-target 1024 MiB\"", name);
	json_u64_array(j, "allocations", est, sc->cfg.topo.n);
	estimate_printf(j, "}");
	return 0;
}

/*
 * Ollama v0.30.0+ (9db4bdbad "use llama-server exclusively"): before launch
 * the scheduler predicts PredictServerVRAM = GGUF file size + 2 x n_layer x
 * kv_heads x (embd / heads) x NumCtx x 2 B (llm/llama_server.go at v0.32.15),
 * with NumCtx = num_ctx x num_parallel; llama-server --fit then places the
 * layers, and `ollama ps` is the sum of the buffers llama-server logs
 * (model, KV, compute, output on every device; GPU ones are the VRAM part;
 * 100% GPU when every layer is offloaded) - MemorySize at v0.32.15.
 */
static int ollama030(const char *name, const struct scen *sc, const struct sim_result *res,
		     const struct estimate_opts *o, uint64_t *est, struct estimate_buf *b, struct estimate_buf *j, char **cause)
{
	const struct llm_load *ld = sc->ld;
	if (ld->fixed || !ld->n_layer || !ld->n_head)
		return util_err(cause, UTIL_EINPUT, "%s needs the model's layers and heads (--meta, "
				"--profile or --model)", name);
	struct llm_load *own;
	const struct llm_load *ldq;
	int rc = model_load(sc, o, &own, &ldq, cause);
	if (rc)
		return rc;
	int par;
	uint64_t ctx = scen_cells(sc, &par), file = ldq->host_fixed;
	/* effectiveLlamaServerContext: num_ctx capped at the trained context, x parallel */
	if (ld->n_ctx_train && ctx / (uint64_t)par > ld->n_ctx_train)
		ctx = (uint64_t)ld->n_ctx_train * (uint64_t)par;
	/* a projector raises LLAMA_ARG_FIT_TARGET to projector + 1 GiB, in MiB
	 * rounded up (mmprojFitTargetMiB) */
	uint64_t target = o->projector ? ((o->projector + (1ull << 30) + (1ull << 20) - 1) >> 20) << 20
				       : LLAMA_FIT_TARGET;
	for (uint32_t l = 0; l <= ldq->n_layer; l++)
		file += ldq->layer_w[l];
	uint64_t kvh = ld->n_head_kv ? ld->n_head_kv : ld->n_head;
	uint64_t kv = 2 * (uint64_t)ld->n_layer * kvh * (ld->n_embd / ld->n_head) * ctx * 2;
	uint64_t total = 0, vram = 0;
	int G = sc->cfg.topo.n;
	static const int cats[] = { TRACE_CAT_WEIGHTS, TRACE_CAT_KV, TRACE_CAT_COMPUTE, TRACE_CAT_OUTPUT,
				    TRACE_CAT_PROJECTOR };
	for (int g = 0; g < G; g++)
		for (size_t c = 0; c < UTIL_ARRAY_SIZE(cats); c++)
			vram += res->dev[g].peak_used[cats[c]];
	total = vram;
	uint64_t host = 0;
	for (size_t c = 0; c < UTIL_ARRAY_SIZE(cats); c++)
		host += res->host.peak_used[cats[c]];
	int all_on_gpu = res->host.peak_used[TRACE_CAT_KV] == 0 &&
			 (sc->lsc.n_gpu_layers < 0 || sc->lsc.n_gpu_layers > (int)ld->n_layer);
	if (!all_on_gpu)
		total += host;
	char size[32], proc[48];
	ollama_ps(total, vram, size, sizeof(size), proc, sizeof(proc));
	estimate_printf(b, "\n%s (Ollama v0.30.0+: llama-server, llm/llama_server.go at v0.32.15):\n", name);
	estimate_printf(b, "  pre-launch PredictServerVRAM = file %.2f GB (tensor bytes; GGUF metadata not modelled)"
		   " + f16 KV %.2f GB (NumCtx %llu) = %.2f GB; no compute buffer, no per-GPU reserve\n",
		(double)file / 1e9, (double)kv / 1e9, (unsigned long long)ctx, (double)(file + kv) / 1e9);
	estimate_printf(b, "  placement: llama-server --fit (every device keeps %.0f MiB free):\n",
		mib((double)target));
	fit_lines(sc, res, target, est, b);
	estimate_printf(b, "  ollama ps: SIZE %s  PROCESSOR %s  (the buffers llama-server logs, predicted:"
		   " GPUs %.2f GB, host %.2f GB%s)\n", size, proc, (double)vram / 1e9, (double)host / 1e9,
		all_on_gpu ? "; all layers offloaded, so 100% GPU" : "");
	estimate_printf(j, "{\"engine\":\"%s\",\"source\":\"Ollama v0.30.0+ llm/llama_server.go PredictServerVRAM,"
		   " MemorySize (v0.32.15)\",\"predicted_vram\":%llu", name,
		(unsigned long long)(file + kv));
	json_u64_array(j, "allocations", est, G);
	estimate_ps_json(j, total, vram);
	estimate_printf(j, "}");
	free(own);
	return 0;
}

/* ---- the rows of the engine table ---- */

/*
 * The estimators are rows of the one engine table, scen_engines[] in
 * sim/scenario.c, which holds their names; each row's entry point is
 * generated below from the function that implements it, so a new era is
 * one function here and one row there.
 */
typedef int (*estimate_fn)(const char *name, const struct scen *sc, const struct sim_result *res,
		      const struct estimate_opts *o, uint64_t *est, struct estimate_buf *b, struct estimate_buf *j,
		      char **cause);

/* Parse engine's ":key=value" options, run fn, hand out its account. */
static int run_row(estimate_fn fn, const char *engine, const struct scen *sc, const struct sim_result *res,
		   uint64_t *est, char **explain, char **json, char **cause)
{
	struct estimate_buf b = { 0 }, j = { 0 };
	char name[32];
	struct estimate_opts o;
	int rc = estimate_opts_parse(engine, name, sizeof(name), &o, cause);
	if (!rc)
		rc = fn(name, sc, res, &o, est, &b, &j, cause);
	if (rc) {
		free(b.s);
		free(j.s);
		return rc;
	}
	*explain = b.s;
	if (json)
		*json = j.s;
	else
		free(j.s);
	return 0;
}

#define EST_ROW(entry, fn) \
	int entry(const char *engine, const struct scen *sc, const struct sim_result *res, uint64_t *est, \
		  char **explain, char **json, char **cause) \
	{ \
		return run_row(fn, engine, sc, res, est, explain, json, cause); \
	}
EST_ROW(estimate_ollama05, ollama05)
EST_ROW(estimate_ollama07, ollama07)
EST_ROW(estimate_ollama_layout, ollama_layout)
EST_ROW(estimate_ollama030, ollama030)
EST_ROW(estimate_llama_fit, llama_fit)

/* The estimator row named by engine's part before the colon, or NULL. */
static const struct scen_engine *find_row(const char *engine)
{
	char name[32];
	size_t nl = strcspn(engine, ":");
	if (nl >= sizeof(name))
		return NULL;
	memcpy(name, engine, nl);
	name[nl] = '\0';
	const struct scen_engine *row = scen_engine_find(name);
	return row && row->estimate ? row : NULL;
}

int estimate_engine_known(const char *e)
{
	/* the name only: options are checked, with a precise message, when run */
	return find_row(e) != NULL;
}

const char *estimate_engine_list(void)
{
	static char list[512];
	if (!list[0])
		snprintf(list, sizeof(list), "%s (options after a colon: quant=, ff=, head_dim=, swa=, "
			 "arch=, projector=, free=, ...)", scen_estimators());
	return list;
}

int estimate_compute_json(const char *engine, const struct scen *sc, const struct sim_result *res,
		     uint64_t *est, char **explain, char **json, char **cause)
{
	const struct scen_engine *row = find_row(engine);
	if (!row)
		return util_err(cause, UTIL_EINPUT, "unknown engine '%.*s': expected %s",
				(int)strcspn(engine, ":"), engine, estimate_engine_list());
	return row->estimate(engine, sc, res, est, explain, json, cause);
}

int estimate_compute(const char *engine, const struct scen *sc, const struct sim_result *res,
		uint64_t *est, char **explain, char **cause)
{
	return estimate_compute_json(engine, sc, res, est, explain, NULL, cause);
}
