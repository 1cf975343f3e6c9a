/*
 * estimate.c - engines' own memory estimators, era by era, replayed.
 *
 * The Ollama rules below are restated from Ollama's Go sources at the
 * tags named beside each function (github.com/ollama/ollama); the code is
 * ours. This file is longer than most because each era's account (the
 * estimate, the replayed real use under the engine's own choice, the
 * difference per GPU) is printed next to the rules that produce it.
 */
#include "estimate.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OLLAMA_MIN_MEMORY (457ull << 20) /* discover/gpu.go cudaMinimumMemory */
#define LLAMA_FIT_TARGET (1024ull << 20) /* common/fit.cpp default --fit-target */

static uint64_t umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

const char est_engine_help[] =
	"  engine options, after a colon (--engine-estimate ollama-0.5:quant=Q4_K_M,ff=28672):\n"
	"    quant=Q4_K_M|Q8_0|F16  layer sizes from llama.cpp's per-tensor types (llama models)\n"
	"    ff=N                   feed-forward length for quant= (default embd x 3.5)\n"
	"    head_dim=N, head_dim_v=N  key/value head dimension (default embd / heads)\n"
	"    swa=N, swa_period=N    sliding window and global-layer period (gemma3: 1024, 6)\n"
	"    arch=NAME              graph formula: llama, gemma3, gemma2, qwen2, command-r, phi2\n"
	"    projector=SIZE, projector_graph=SIZE  multimodal projector weights and graph\n"
	"    free=SIZE              free memory per GPU as Ollama reads it (default: capacity\n"
	"                           minus the context reserve)\n"
	"    overhead=SIZE          OLLAMA_GPU_OVERHEAD per GPU; batch=N num_batch (512)\n"
	"    num_gpu=N              Ollama's num_gpu request (default automatic; --num-gpu sets\n"
	"                           the runner's -ngl in the replay)\n";

/* Options after "engine:" */
struct est_opts {
	char quant[16], arch[16];
	uint64_t ff, head_k, head_v, swa, swa_period, batch;
	uint64_t projector, projector_graph, free, overhead;
	int have_free;
	int num_gpu;               /* Ollama's num_gpu request; -1 automatic */
};

struct buf_ {
	char *s;
	size_t n, cap;
};

static void bprintf(struct buf_ *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf_ *b, const char *fmt, ...)
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

/* ---- the estimator itself (pure: no store, no replay) ---- */

/* kvCacheBytesPerElement (fs/ggml/ggml.go): f16 2, q8_0 1, q4_0 0.5. */
static double ollama_kv_bpe(const char *t)
{
	if (!strcmp(t, "q8_0"))
		return 1.0;
	if (!strcmp(t, "q4_0"))
		return 0.5;
	return 2.0;
}

static uint32_t head_k(const struct est_model *m)
{
	return m->head_k ? m->head_k : (m->n_head ? m->n_embd / m->n_head : 0);
}

static uint32_t head_v(const struct est_model *m)
{
	return m->head_v ? m->head_v : head_k(m);
}

static const char *arch_of(const struct est_model *m)
{
	return m->arch && *m->arch ? m->arch : "llama";
}

/*
 * v0.5.13 GraphSize: kv = ctx x n_layer x (head_k + head_v) x kv_heads x
 * bytes, one figure split evenly over the layers. v0.7.0+ (v0.11.4):
 * kv[i] per layer, and gemma3's local layers (all but every 6th) hold
 * num_parallel x sliding_window + batch cells.
 */
uint64_t est_ollama_kv_layer(const struct est_model *m, const struct est_input *in, enum est_era era,
			     uint32_t il)
{
	if (in->kv_total)
		return m->n_layer ? in->kv_total / m->n_layer : 0;
	double per_cell = (double)(head_k(m) + head_v(m)) * (double)(m->n_head_kv ? m->n_head_kv : m->n_head);
	if (era == EST_ERA_05) {
		double kv = (double)in->ctx * (double)m->n_layer * per_cell * in->kv_bpe;
		return m->n_layer ? (uint64_t)kv / m->n_layer : 0;
	}
	uint64_t cells = in->ctx;
	uint64_t batch = in->batch < in->ctx ? in->batch : in->ctx;
	if (m->swa && m->swa_period && (il + 1) % m->swa_period != 0)
		cells = (uint64_t)(in->parallel > 0 ? in->parallel : 1) * m->swa + batch;
	return (uint64_t)((double)cells * per_cell * in->kv_bpe);
}

/* Closed forms of GraphSize (fs/ggml/ggml.go at v0.5.13 and v0.11.4), in
 * Go's unsigned integer arithmetic; unknown architectures fall back to
 * (heads / kv_heads) x kv / 6 (llm/memory.go). */
void est_ollama_graph(const struct est_model *m, const struct est_input *in, uint64_t kv_total,
		      uint64_t *partial, uint64_t *full)
{
	uint64_t b = in->batch < in->ctx ? in->batch : in->ctx, c = in->ctx;
	uint64_t e = m->n_embd, h = m->n_head, V = m->n_vocab;
	uint64_t hkv = m->n_head_kv ? m->n_head_kv : h, dh = h ? e / h : 0, hk = head_k(m);
	const char *a = arch_of(m);
	uint64_t p = 0, f = 0;
	if (!strcmp(a, "llama")) {
		f = umax(4 * b * (1 + 4 * e + c * (1 + h)), 4 * b * (e + V));
		p = 4 * b * e + umax(4 * b * (1 + e + umax(c, e)) + e * e * 9 / 16 +
						 4 * c * (b * h + dh * hkv),
					 4 * b * (e + V) + e * V * 105 / 128);
	} else if (!strcmp(a, "gemma") || !strcmp(a, "gemma2") || !strcmp(a, "gemma3")) {
		f = umax(4 * b * (e + V), 4 * b * (2 + c + c * h + 2 * e + 2 * hk * h));
		p = umax(4 * e * b + e * V * 105 / 128 + 4 * V * b,
			     4 * b * (2 * e + 1 + 2 * hk * h + c + c * h) + 4 * hk * c * 8 +
				     e * hk * h * 9 / 16);
	} else if (!strcmp(a, "qwen2")) {
		f = umax(4 * b * (e + V), 4 * b * (1 + 2 * e + c + c * h));
		p = umax(4 * b * (e + V) + e * V * 105 / 128,
			     4 * (b * (1 + 2 * e + c * (1 + h)) + e * (1 + c)));
	} else if (!strcmp(a, "command-r")) {
		f = umax(4 * b * (e + V), 4 * b * (2 + 4 * e + c * (1 + h)));
		p = umax(4 * b * (e + V) + e * V * 105 / 128,
			     4 * b * (1 + 2 * e + c * (1 + h)) + 4 * e * c + e * e * 9 / 16);
	} else if (!strcmp(a, "phi2")) {
		f = umax(4 * b * (e + V), 4 * b * (1 + 4 * e + c + c * h));
		p = umax(4 * b * (2 * e + V) + e * V * 105 / 128, 4 * b * (2 + 3 * e + c + c * h));
	}
	if (!p)
		p = (hkv ? h / hkv : 1) * kv_total / 6;
	if (!f)
		f = p;
	if (in->n_gpu > 1) /* "multigpu should always use the partial graph size" */
		f = p;
	*partial = p;
	*full = f;
}

/*
 * EstimateGPULayers (llm/memory.go). Era 0.5 (v0.5.13): the projector
 * (weights + graph) is charged to the first usable GPU; layers 0..n-1 go
 * round-robin over the GPUs with space (index i mod j), a GPU leaving the
 * set once a layer does not fit; unplaced layers are charged at the last
 * block's size. Era 0.7 (v0.7.0..v0.11.4): layers from the last block
 * down, each unplaced layer charged at its own size, only the llama
 * engine's projector weights on GPU 0, the Ollama engine's projector
 * (weights + graph) placed with the output layer. Both: a GPU is usable
 * when free > overhead + GPU-0 extra + graph + 457 MiB + 2 layers, and
 * each usable GPU starts with 457 MiB + one spare layer (blk.0 + kv[0]);
 * the graph is added to every GPU holding a layer; token embeddings are
 * never counted.
 */
int est_ollama_memory(enum est_era era, const struct est_model *m, const struct est_input *in,
		      struct est_result *r, char **cause)
{
	memset(r, 0, sizeof(*r));
	if (!m->n_layer || !m->layer_w || !m->n_embd || !m->n_head)
		return util_err(cause, UTIL_EINPUT, "the Ollama estimate needs the model's layers, "
				"embedding length and heads");
	if (in->n_gpu < 1 || in->n_gpu > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "the Ollama estimate needs 1 to %d GPUs", TOPO_MAX_GPUS);
	int n = (int)m->n_layer, G = in->n_gpu;
	uint64_t kv_total = 0;
	for (int i = 0; i < n; i++)
		kv_total += est_ollama_kv_layer(m, in, era, (uint32_t)i);
	if (era == EST_ERA_05) /* one figure, as Ollama logs it */
		kv_total = est_ollama_kv_layer(m, in, era, 0) * (uint64_t)n;
	uint64_t gp, gf;
	est_ollama_graph(m, in, kv_total, &gp, &gf);
	if (in->graph_partial)
		gp = in->graph_partial;
	if (in->graph_full)
		gf = G > 1 ? gp : in->graph_full;
	uint64_t gmax = umax(gp, gf), ovh = in->gpu_overhead;
	uint64_t spare_w = m->layer_w[0];
	if (in->spare_largest) { /* v0.7.0: slices.MaxFunc over every tensor group */
		for (int i = 0; i < n; i++)
			spare_w = umax(spare_w, m->layer_w[i]);
		spare_w = umax(umax(spare_w, m->output_w), umax(m->token_embd_w, m->projector_w));
	}
	uint64_t spare = spare_w + est_ollama_kv_layer(m, in, era, 0);
	/* v0.7.0 (spare_largest) still charged any projector, weights and
	 * graph, to GPU 0 and kept v0.5's output rule; v0.7.1 split them. */
	int v070 = era == EST_ERA_07 && in->spare_largest, split_proj = era == EST_ERA_07 && !v070;
	uint64_t gzo = !split_proj ? m->projector_w + m->projector_graph
		     : (m->ollama_engine ? 0 : m->projector_w);
	uint64_t last = m->output_w + (split_proj && m->ollama_engine
				       ? m->projector_w + m->projector_graph : 0);
	int ws[TOPO_MAX_GPUS], nws = 0, placed = 0;
	uint64_t overflow = 0;
	for (int g = 0; g < G; g++) {
		uint64_t z = nws == 0 ? gzo : 0;
		if (in->free[g] < ovh + z + gmax + in->min_memory + 2 * spare)
			continue;
		ws[nws++] = g;
		r->alloc[g] = in->min_memory + spare;
	}
	if (nws)
		r->alloc[ws[0]] += gzo;
	else if (split_proj)
		overflow += gzo;
	uint64_t ls = spare;
	for (int k = 0; k < n; k++) {
		int i = era == EST_ERA_05 ? k : n - 1 - k;
		ls = m->layer_w[i] + est_ollama_kv_layer(m, in, era, (uint32_t)i);
		if (in->num_gpu >= 0 && placed >= in->num_gpu) {
			if (era == EST_ERA_07)
				overflow += ls;
			continue;
		}
		for (int j = nws; j > 0; j--) {
			int x = i % j, g = ws[x];
			if (in->free[g] > ovh + r->alloc[g] + gmax + ls) {
				r->alloc[g] += ls;
				r->split[g]++;
				placed++;
				break;
			}
			memmove(&ws[x], &ws[x + 1], (size_t)(nws - x - 1) * sizeof(int));
			nws--;
		}
		if (era == EST_ERA_07 && nws == 0)
			overflow += ls;
	}
	int fully = placed >= n;
	if (era == EST_ERA_05 && !fully)
		overflow += (uint64_t)(n - placed) * ls; /* the last block's size, as v0.5.13 does */
	if (last > 0 && (split_proj || in->num_gpu < 0 || placed < in->num_gpu)) {
		if (in->num_gpu < 0 || placed < in->num_gpu)
			for (int j = nws; j > 0; j--) {
				int g = ws[placed % j];
				if (in->free[g] > ovh + r->alloc[g] + gmax + last) {
					r->alloc[g] += last;
					r->split[g]++;
					placed++;
					break;
				}
			}
		if (placed < n + 1) {
			fully = 0;
			overflow += last;
		}
	}
	uint64_t vram = 0;
	for (int g = 0; g < G; g++) {
		if (r->split[g] > 0)
			r->alloc[g] += fully ? gf : gp;
		vram += r->alloc[g];
	}
	r->layers = placed;
	r->layers_model = n + 1;
	r->total = vram + overflow;
	r->vram = placed ? vram : 0;
	r->kv = kv_total;
	r->graph_partial = gp;
	r->graph_full = gf;
	r->spare = spare;
	r->output = last;
	r->fully = fully;
	return 0;
}

/* format.HumanBytes: decimal units, whole numbers from 10 up (truncated). */
static void human_bytes(uint64_t b, char *out, size_t n)
{
	static const struct { double mult; const char *unit; } u[] = {
		{ 1e12, "TB" }, { 1e9, "GB" }, { 1e6, "MB" }, { 1e3, "KB" },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(u); i++) {
		if ((double)b < u[i].mult)
			continue;
		double v = (double)b / u[i].mult;
		if (v >= 10 || v == trunc(v))
			snprintf(out, n, "%d %s", (int)v, u[i].unit);
		else
			snprintf(out, n, "%.1f %s", v, u[i].unit);
		return;
	}
	snprintf(out, n, "%llu B", (unsigned long long)b);
}

void est_ollama_ps(uint64_t total, uint64_t vram, char *size, size_t size_n, char *proc, size_t proc_n)
{
	human_bytes(total, size, size_n);
	if (vram == 0)
		snprintf(proc, proc_n, "100%% CPU");
	else if (vram == total)
		snprintf(proc, proc_n, "100%% GPU");
	else if (vram > total || total == 0)
		snprintf(proc, proc_n, "Unknown");
	else {
		int cpu = (int)round((double)(total - vram) / (double)total * 100); /* math.Round */
		snprintf(proc, proc_n, "%d%%/%d%% CPU/GPU", cpu, 100 - cpu);
	}
}

/* ---- llama.cpp tensor sizes by quantisation ---- */

/* Bytes of n values of a ggml type (ggml.c type traits: block bytes / block size). */
static uint64_t qbytes(uint64_t n, const char *t)
{
	if (!strcmp(t, "q4_K"))
		return n / 256 * 144;
	if (!strcmp(t, "q5_K"))
		return n / 256 * 176;
	if (!strcmp(t, "q6_K"))
		return n / 256 * 210;
	if (!strcmp(t, "q8_0"))
		return n / 32 * 34;
	if (!strcmp(t, "f16"))
		return n * 2;
	return n * 4;
}

/* use_more_bits (src/llama-quant.cpp): the first and last eighth of the
 * layers and every third one between get more bits. */
static int more_bits(int i, int n)
{
	return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

int est_llama_tensor_sizes(const char *quant, uint32_t n_layer, uint32_t embd, uint32_t heads,
			   uint32_t kv_heads, uint32_t ff, uint32_t vocab, uint64_t *layer_w,
			   uint64_t *output, uint64_t *token_embd, char **cause)
{
	int q4km = !strcasecmp(quant, "Q4_K_M"), q8 = !strcasecmp(quant, "Q8_0"),
	    f16 = !strcasecmp(quant, "F16");
	if (!q4km && !q8 && !f16)
		return util_err(cause, UTIL_EINPUT, "quant=%s: expected Q4_K_M, Q8_0 or F16", quant);
	if (!heads || !kv_heads || kv_heads > heads || !ff || !vocab || !n_layer)
		return util_err(cause, UTIL_EINPUT, "quant=%s needs layers, embd, heads, kv_heads, ff "
				"and vocab", quant);
	uint64_t e = embd, kvd = (uint64_t)embd / heads * kv_heads, f = ff;
	const char *base = q4km ? "q4_K" : q8 ? "q8_0" : "f16";
	for (uint32_t i = 0; i < n_layer; i++) {
		const char *v = base, *down = base;
		if (q4km) {
			/* attn_v and ffn_down: Q6_K where use_more_bits; a 70B
			 * (80 layers) lifts attn_v's Q4_K to Q5_K (LLM_TYPE_70B) */
			int more = more_bits((int)i, (int)n_layer);
			v = more ? "q6_K" : n_layer == 80 ? "q5_K" : "q4_K";
			down = more ? "q6_K" : "q4_K";
		}
		layer_w[i] = 2 * qbytes(e * e, base) + qbytes(e * kvd, base) + qbytes(e * kvd, v) +
			     2 * qbytes(e * f, base) + qbytes(e * f, down) + 2 * e * 4 /* norms, f32 */;
	}
	/* output.weight: Q6_K unless the file type is Q8_0 or wider */
	*output = qbytes((uint64_t)vocab * e, q4km ? "q6_K" : base) + e * 4;
	*token_embd = qbytes((uint64_t)vocab * e, base);
	return 0;
}

/* ---- from a scenario to the estimator's inputs ---- */

static int opts_parse(const char *spec, char *name, size_t name_n, struct est_opts *o, char **cause)
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
			       : !strcmp(k, "free") ? &o->free : !strcmp(k, "overhead") ? &o->overhead : NULL;
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
			if (size == &o->free)
				o->have_free = 1;
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

/* The load with layer sizes from quant=, when asked (malloc'd copy in
 * *out, or sc->ld itself). */
static int model_load(const struct scen *sc, const struct est_opts *o, struct llm_load **own,
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
	int rc = est_llama_tensor_sizes(o->quant, ld->n_layer, ld->n_embd, ld->n_head,
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
	sim_events_context(ev, n, cfg.measured_context);
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

static void json_u64_array(struct buf_ *j, const char *key, const uint64_t *v, int n)
{
	bprintf(j, ",\"%s\":[", key);
	for (int i = 0; i < n; i++)
		bprintf(j, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
	bprintf(j, "]");
}

static void json_int_array(struct buf_ *j, const char *key, const int *v, int n)
{
	bprintf(j, ",\"%s\":[", key);
	for (int i = 0; i < n; i++)
		bprintf(j, "%s%d", i ? "," : "", v[i]);
	bprintf(j, "]");
}

static void ps_json(struct buf_ *j, uint64_t total, uint64_t vram)
{
	char size[32], proc[48];
	est_ollama_ps(total, vram, size, sizeof(size), proc, sizeof(proc));
	int cpu = 0, gpu = 0;
	if (vram == 0)
		cpu = 100;
	else if (vram >= total)
		gpu = 100;
	else {
		cpu = (int)round((double)(total - vram) / (double)total * 100);
		gpu = 100 - cpu;
	}
	bprintf(j, ",\"ollama_ps\":{\"size_bytes\":%llu,\"size_vram_bytes\":%llu,\"size\":\"%s\","
		   "\"processor\":\"%s\",\"cpu_percent\":%d,\"gpu_percent\":%d}",
		(unsigned long long)total, (unsigned long long)vram, size, proc, cpu, gpu);
}

static int is_ollama_engine_arch(const char *a)
{
	return !strcmp(a, "gemma3") || !strcmp(a, "mistral3") || !strcmp(a, "llama4") ||
	       !strcmp(a, "qwen25vl");
}

static const char *const era_title[] = {
	[EST_ERA_05] = "Ollama v0.1-v0.6, llm/memory.go EstimateGPULayers at v0.5.13",
	[EST_ERA_07] = "Ollama v0.7.0-v0.12.10 (llama engine), llm/memory.go EstimateGPULayers at v0.11.4",
};

/* Pre-2025 eras: the estimate, then the load replayed with Ollama's split. */
static int ollama_era(enum est_era era, int spare_largest, const char *name, const struct scen *sc,
		      const struct est_opts *o, uint64_t *est, struct buf_ *b, struct buf_ *j, char **cause)
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
	struct est_model m = {
		.arch = o->arch[0] ? o->arch : "llama", .n_layer = ld->n_layer, .n_embd = ld->n_embd,
		.n_head = ld->n_head, .n_head_kv = ld->n_head_kv, .n_vocab = ld->n_vocab,
		.head_k = (uint32_t)o->head_k, .head_v = (uint32_t)(o->head_v ? o->head_v : o->head_k),
		.swa = (uint32_t)o->swa, .swa_period = (uint32_t)o->swa_period, .layer_w = ld->layer_w,
		.output_w = ld->layer_w[ld->n_layer], .token_embd_w = ld->host_fixed,
		.projector_w = o->projector, .projector_graph = o->projector_graph,
	};
	m.ollama_engine = era == EST_ERA_07 && is_ollama_engine_arch(m.arch);
	struct est_input in = { .n_gpu = G, .min_memory = OLLAMA_MIN_MEMORY, .gpu_overhead = o->overhead,
				.batch = o->batch, .num_gpu = o->num_gpu,
				.spare_largest = spare_largest };
	in.ctx = scen_cells(sc, &par);
	in.parallel = par;
	const char *kvt = l->kv_type[0] ? l->kv_type : ld->type_k;
	int fa = l->flash_attn >= 0 ? l->flash_attn : ld->flash_attn;
	/* server.go: the KV type applies only with flash attention */
	in.kv_bpe = fa ? ollama_kv_bpe(kvt) : 2.0;
	for (int g = 0; g < G; g++) {
		uint64_t cap = sc->cfg.topo.capacity[g];
		in.free[g] = o->have_free ? o->free : cap > sc->cfg.reserve ? cap - sc->cfg.reserve : 0;
	}
	struct est_result r;
	if ((rc = est_ollama_memory(era, &m, &in, &r, cause))) {
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
	est_ollama_ps(r.total, r.vram, size, sizeof(size), proc, sizeof(proc));
	bprintf(b, "\n%s estimate (%s):\n", name, era_title[era]);
	bprintf(b, "  NumCtx %llu (num_ctx %llu x num_parallel %d), batch %llu, KV %s%s: spare layer"
		   " %.1f MiB (weights %.1f + KV %.1f); graph partial %.1f MiB, full %.1f MiB%s\n",
		(unsigned long long)in.ctx, (unsigned long long)(in.ctx / (uint64_t)par), par,
		(unsigned long long)(in.batch < in.ctx ? in.batch : in.ctx), fa ? kvt : "f16",
		fa || !strcmp(kvt, "f16") ? "" : " (type ignored without flash attention)",
		mib((double)r.spare), mib((double)(r.spare - est_ollama_kv_layer(&m, &in, era, 0))),
		mib((double)est_ollama_kv_layer(&m, &in, era, 0)),
		mib((double)r.graph_partial), mib((double)r.graph_full),
		G > 1 ? " (multi-GPU: partial)" : "");
	if (o->quant[0])
		bprintf(b, "  layer sizes: llama.cpp %s tensor types (blk.0 %.1f MiB, output %.1f MiB, "
			   "token_embd %.1f MiB on the host, not counted)\n", o->quant,
			mib((double)m.layer_w[0]), mib((double)m.output_w), mib((double)m.token_embd_w));
	bprintf(b, "%3s %6s %9s %8s %8s %9s %8s %10s | %10s %9s %10s\n", "GPU", "layers", "free",
		"minimum", "spare", "layers", "graph", "estimate", "real use", "unused", "left free");
	bprintf(b, "%3s %6s %9s %8s %8s %9s %8s %10s | %10s %9s %10s\n", "", "", "MiB", "MiB", "MiB",
		"MiB", "MiB", "MiB", "MiB", "MiB", "MiB");
	uint64_t unused[TOPO_MAX_GPUS] = { 0 };
	for (int g = 0; g < G; g++) {
		const struct sim_dev *d = &real->dev[g];
		if (!r.split[g]) {
			est[g] = UINT64_MAX;
			bprintf(b, "%3d %6d %9.0f (no layer: free below overhead + graph + 457 MiB + 2 "
				   "layers, or none left)\n", g, 0, mib((double)in.free[g]));
			continue;
		}
		est[g] = r.alloc[g];
		uint64_t graph = r.fully ? r.graph_full : r.graph_partial;
		double layers_b = (double)r.alloc[g] - (double)graph - (double)in.min_memory - (double)r.spare;
		unused[g] = r.alloc[g] > d->peak ? r.alloc[g] - d->peak : 0;
		bprintf(b, "%3d %6d %9.0f %8.0f %8.0f %9.0f %8.0f %10.0f | %10.0f %9.0f %10.0f\n", g,
			r.split[g], mib((double)in.free[g]), mib((double)in.min_memory), mib((double)r.spare),
			mib(layers_b), mib((double)graph), mib((double)r.alloc[g]), mib((double)d->peak),
			mib((double)r.alloc[g] - (double)d->peak), mib((double)in.free[g] - (double)d->peak));
	}
	bprintf(b, "  layers.offload %d/%d, layers.split", r.layers, r.layers_model);
	for (int g = 0; g < G; g++)
		bprintf(b, "%s%d", g ? "," : " ", r.split[g]);
	bprintf(b, "; memory.required.partial %.1f GiB, .full %.1f GiB, .kv %.1f GiB\n",
		(double)r.vram / 1073741824.0, (double)r.total / 1073741824.0, (double)r.kv / 1073741824.0);
	bprintf(b, "  ollama ps: SIZE %s  PROCESSOR %s  (%.2f GB = GPUs %.2f GB + CPU %.2f GB;"
		   " GB are decimal, as Ollama prints them)\n", size, proc, (double)r.total / 1e9,
		(double)r.vram / 1e9, (double)(r.total - r.vram) / 1e9);
	bprintf(b, "  not in SIZE: token embeddings (%.1f MiB, on the host), CUDA context\n",
		mib((double)m.token_embd_w));
	if (l->n_gpu_layers >= 0 && o->num_gpu < 0)
		bprintf(b, "  note: --num-gpu %d sets the runner's -ngl for the replay above; Ollama's own"
			   " num_gpu request is automatic here (engine option num_gpu=N to set it)\n",
			l->n_gpu_layers);
	if (par > 1 && !r.fully)
		bprintf(b, "  note: with OLLAMA_NUM_PARALLEL unset, Ollama loads a model that does not fit"
			   " with num_parallel 1 (server/sched.go pickBestPartialFitByLibrary)\n");
	bprintf(b, "  left free = free as Ollama read it - real use (the runner's CUDA context included),"
		   " what nvidia-smi would show free\n");
	bprintf(b, "  unused = estimate - real use: each GPU holding a layer reserves 457 MiB, a spare"
		   " layer and the graph; the runner allocates no spare layer and its own compute buffer\n");
	bprintf(j, "{\"engine\":\"%s\",\"source\":\"%s\",\"layers\":%d,\"layers_model\":%d", name,
		era_title[era], r.layers, r.layers_model);
	json_int_array(j, "split", r.split, G);
	json_u64_array(j, "allocations", r.alloc, G);
	json_u64_array(j, "unused", unused, G);
	bprintf(j, ",\"required_partial\":%llu,\"required_full\":%llu,\"kv\":%llu,\"graph_partial\":%llu,"
		   "\"graph_full\":%llu,\"num_ctx_total\":%llu", (unsigned long long)r.vram,
		(unsigned long long)r.total, (unsigned long long)r.kv, (unsigned long long)r.graph_partial,
		(unsigned long long)r.graph_full, (unsigned long long)in.ctx);
	ps_json(j, r.total, r.vram);
	bprintf(j, "}");
	free(real);
	free(own);
	return 0;
}

static int ollama05(const char *name, const struct scen *sc, const struct sim_result *res,
		    const struct est_opts *o, uint64_t *est, struct buf_ *b, struct buf_ *j, char **cause)
{
	(void)res;
	return ollama_era(EST_ERA_05, 0, name, sc, o, est, b, j, cause);
}

static int ollama07(const char *name, const struct scen *sc, const struct sim_result *res,
		    const struct est_opts *o, uint64_t *est, struct buf_ *b, struct buf_ *j, char **cause)
{
	(void)res;
	return ollama_era(EST_ERA_07, !strcmp(name, "ollama-0.7.0"), name, sc, o, est, b, j, cause);
}

/*
 * Ollama's 2025 layout (llm/server.go createLayout -> buildLayout ->
 * findBestFit -> greedyFit, commit d5a0d8d90, v0.11.5): GPUs by free
 * memory, most first; each GPU that takes a layer reserves 457 MiB and its
 * measured graph; layers are packed from the last one backwards onto as
 * few GPUs as possible; a capacity factor in (0, 1] applied to every GPU
 * is searched (bisection) for the smallest one that still places the most
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

static int ollama_layout(const char *name, const struct scen *sc, const struct sim_result *res,
			 const struct est_opts *o, uint64_t *est, struct buf_ *b, struct buf_ *j,
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
	int G = sc->cfg.topo.n, total = (int)ld->n_layer + 1;
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
		for (int k = i; k > 0 && sc->cfg.topo.capacity[order[k]] >
					 sc->cfg.topo.capacity[order[k - 1]]; k--) {
			int t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
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
	struct sim_result *real = util_xcalloc(1, sizeof(*real));
	if ((rc = replay_with(sc, ld, counts, placed, real, cause))) {
		free(real);
		free(need);
		free(own);
		return rc;
	}
	bprintf(b, "\n%s estimate (Ollama v0.11.5+ new memory management, llm/server.go createLayout at"
		   " d5a0d8d90: 457 MiB + measured graph + layers per GPU, packed from the last layer,"
		   " capacity factor %.3f):\n", name, hi);
	bprintf(b, "%3s %6s %10s %9s %10s | %10s %9s\n", "GPU", "layers", "layers", "graph",
		"estimate", "real use", "unused");
	bprintf(b, "%3s %6s %10s %9s %10s | %10s %9s\n", "", "", "MiB", "MiB", "MiB", "MiB", "MiB");
	/* llama.cpp places layers front to back: the split lists GPUs in index
	 * order and the output layer lands on the last GPU holding layers. */
	int first = total - placed;
	double gpus = 0, cpu_layers = 0;
	uint64_t alloc[TOPO_MAX_GPUS] = { 0 }, unused[TOPO_MAX_GPUS] = { 0 };
	for (int l = 0; l < first; l++)
		cpu_layers += need[l];
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
		est[g] = alloc[g] = (uint64_t)llround(e);
		gpus += lb + graph[g];
		unused[g] = (double)real->dev[g].peak < e ? (uint64_t)llround(e - (double)real->dev[g].peak) : 0;
		bprintf(b, "%3d %6d %10.0f %9.0f %10.0f | %10.0f %9.0f\n", g, counts[g], mib(lb),
			mib(graph[g]), mib(e), mib((double)real->dev[g].peak),
			mib(e - (double)real->dev[g].peak));
	}
	/* llmServer.TotalSize/VRAMSize (v0.12.11): input weights (token
	 * embeddings) + CPU weights, cache and graph + each GPU's weights,
	 * cache and graph; VRAM adds the CPU parts only with no CPU layer. */
	double cpu_graph = (double)real->host.peak_used[TRACE_CAT_COMPUTE];
	double tot = (double)ld->host_fixed + cpu_layers + cpu_graph + gpus;
	double vram = gpus + (placed >= total ? (double)ld->host_fixed + cpu_graph : 0);
	char size[32], proc[48];
	est_ollama_ps((uint64_t)llround(tot), (uint64_t)llround(vram), size, sizeof(size), proc,
		      sizeof(proc));
	bprintf(b, "  layers on GPUs: %d/%d; split:", placed, total);
	for (int g = 0; g < G; g++)
		bprintf(b, "%s%d", g ? "," : " ", counts[g]);
	bprintf(b, "\n  ollama ps: SIZE %s  PROCESSOR %s  (token embeddings %.1f MiB counted, as"
		   " llmServer.TotalSize does; the 457 MiB per GPU is not)\n", size, proc,
		mib((double)ld->host_fixed));
	bprintf(j, "{\"engine\":\"%s\",\"source\":\"Ollama v0.11.5+ llm/server.go createLayout "
		   "(d5a0d8d90, v0.12.11)\",\"layers\":%d,\"layers_model\":%d", name, placed, total);
	json_int_array(j, "split", counts, G);
	json_u64_array(j, "allocations", alloc, G);
	json_u64_array(j, "unused", unused, G);
	ps_json(j, (uint64_t)llround(tot), (uint64_t)llround(vram));
	bprintf(j, "}");
	free(real);
	free(need);
	free(own);
	return 0;
}

/* llama.cpp --fit: every device keeps the fit target free. */
static void fit_lines(const struct scen *sc, const struct sim_result *res, uint64_t *est,
		      struct buf_ *b)
{
	int G = sc->cfg.topo.n, ok = 1;
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
}

static int llama_fit(const char *name, const struct scen *sc, const struct sim_result *res,
		     const struct est_opts *o, uint64_t *est, struct buf_ *b, struct buf_ *j, char **cause)
{
	(void)o;
	(void)cause;
	bprintf(b, "\n%s projection (--fit: measured use, %llu MiB target free per device):\n", name,
		(unsigned long long)(LLAMA_FIT_TARGET >> 20));
	fit_lines(sc, res, est, b);
	bprintf(j, "{\"engine\":\"%s\",\"source\":\"llama.cpp common/fit.cpp --fit-target 1024 MiB\"", name);
	json_u64_array(j, "allocations", est, sc->cfg.topo.n);
	bprintf(j, "}");
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
		     const struct est_opts *o, uint64_t *est, struct buf_ *b, struct buf_ *j, char **cause)
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
	est_ollama_ps(total, vram, size, sizeof(size), proc, sizeof(proc));
	bprintf(b, "\n%s (Ollama v0.30.0+: llama-server, llm/llama_server.go at v0.32.15):\n", name);
	bprintf(b, "  pre-launch PredictServerVRAM = file %.2f GB (tensor bytes; GGUF metadata not modelled)"
		   " + f16 KV %.2f GB (NumCtx %llu) = %.2f GB; no compute buffer, no per-GPU reserve\n",
		(double)file / 1e9, (double)kv / 1e9, (unsigned long long)ctx, (double)(file + kv) / 1e9);
	bprintf(b, "  placement: llama-server --fit (every device keeps %llu MiB free):\n",
		(unsigned long long)(LLAMA_FIT_TARGET >> 20));
	fit_lines(sc, res, est, b);
	bprintf(b, "  ollama ps: SIZE %s  PROCESSOR %s  (the buffers llama-server logs, predicted:"
		   " GPUs %.2f GB, host %.2f GB%s)\n", size, proc, (double)vram / 1e9, (double)host / 1e9,
		all_on_gpu ? "; all layers offloaded, so 100% GPU" : "");
	bprintf(j, "{\"engine\":\"%s\",\"source\":\"Ollama v0.30.0+ llm/llama_server.go PredictServerVRAM,"
		   " MemorySize (v0.32.15)\",\"predicted_vram\":%llu", name,
		(unsigned long long)(file + kv));
	json_u64_array(j, "allocations", est, G);
	ps_json(j, total, vram);
	bprintf(j, "}");
	free(own);
	return 0;
}

/* ---- the engine table ---- */

typedef int (*est_fn)(const char *name, const struct scen *sc, const struct sim_result *res,
		      const struct est_opts *o, uint64_t *est, struct buf_ *b, struct buf_ *j,
		      char **cause);

static const struct {
	const char *name;
	est_fn fn;
} engines[] = {
	{ "ollama-0.5", ollama05 },
	{ "ollama-0.7", ollama07 },
	{ "ollama-0.7.0", ollama07 },
	{ "ollama-layout", ollama_layout },
	{ "ollama-0.30", ollama030 },
	{ "llama-fit", llama_fit },
};

static int find_engine(const char *name)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(engines); i++)
		if (!strcmp(name, engines[i].name))
			return (int)i;
	return -1;
}

int est_engine_known(const char *e)
{
	/* the name only: options are checked, with a precise message, when run */
	char name[32];
	size_t nl = strcspn(e, ":");
	if (nl >= sizeof(name))
		return 0;
	memcpy(name, e, nl);
	name[nl] = '\0';
	return find_engine(name) >= 0;
}

const char *est_engine_list(void)
{
	return "ollama-0.5, ollama-0.7, ollama-0.7.0, ollama-layout, ollama-0.30 or llama-fit "
	       "(options after a colon: quant=, ff=, head_dim=, swa=, arch=, projector=, free=, ...)";
}

int est_compute_json(const char *engine, const struct scen *sc, const struct sim_result *res,
		     uint64_t *est, char **explain, char **json, char **cause)
{
	struct buf_ b = { 0 }, j = { 0 };
	char name[32];
	struct est_opts o;
	int rc = opts_parse(engine, name, sizeof(name), &o, cause);
	int k = rc ? -1 : find_engine(name);
	if (!rc && k < 0)
		rc = util_err(cause, UTIL_EINPUT, "unknown engine '%s': expected %s", name, est_engine_list());
	if (!rc)
		rc = engines[k].fn(name, sc, res, &o, est, &b, &j, cause);
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

int est_compute(const char *engine, const struct scen *sc, const struct sim_result *res,
		uint64_t *est, char **explain, char **cause)
{
	return est_compute_json(engine, sc, res, est, explain, NULL, cause);
}
