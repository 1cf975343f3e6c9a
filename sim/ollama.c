/*
 * ollama.c - Ollama's EstimateGPULayers, era by era. The rules are restated
 * from Ollama's Go sources at the tags named beside each function
 * (github.com/ollama/ollama); the code is ours.
 */
#include "ollama.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint64_t umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ---- the estimator itself (pure: no store, no replay) ---- */

/* kvCacheBytesPerElement (fs/ggml/ggml.go): f16 2, q8_0 1, q4_0 0.5. */
double ollama_kv_bpe(const char *t)
{
	if (!strcmp(t, "q8_0"))
		return 1.0;
	if (!strcmp(t, "q4_0"))
		return 0.5;
	return 2.0;
}

static uint32_t head_k(const struct ollama_model *m)
{
	return m->head_k ? m->head_k : (m->n_head ? m->n_embd / m->n_head : 0);
}

static uint32_t head_v(const struct ollama_model *m)
{
	return m->head_v ? m->head_v : head_k(m);
}

static const char *arch_of(const struct ollama_model *m)
{
	return m->arch && *m->arch ? m->arch : "llama";
}

/*
 * v0.5.13 GraphSize: kv = ctx x n_layer x (head_k + head_v) x kv_heads x
 * bytes, one figure split evenly over the layers. v0.7.0+ (v0.11.4):
 * kv[i] per layer, and gemma3's local layers (all but every 6th) hold
 * num_parallel x sliding_window + batch cells.
 */
uint64_t ollama_kv_layer(const struct ollama_model *m, const struct ollama_input *in,
			 enum ollama_era era, uint32_t il)
{
	if (in->kv_layer)
		return il < m->n_layer ? in->kv_layer[il] : 0;
	if (in->kv_total)
		return m->n_layer ? in->kv_total / m->n_layer : 0;
	double per_cell = (double)(head_k(m) + head_v(m)) *
			  (double)(m->n_head_kv ? m->n_head_kv : m->n_head);
	if (era == OLLAMA_ERA_05) {
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
void ollama_graph(const struct ollama_model *m, const struct ollama_input *in, uint64_t kv_total,
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
int ollama_estimate(enum ollama_era era, const struct ollama_model *m,
		    const struct ollama_input *in, struct ollama_result *r, char **cause)
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
		kv_total += ollama_kv_layer(m, in, era, (uint32_t)i);
	if (era == OLLAMA_ERA_05) /* one figure, as Ollama logs it */
		kv_total = ollama_kv_layer(m, in, era, 0) * (uint64_t)n;
	uint64_t gp, gf;
	ollama_graph(m, in, kv_total, &gp, &gf);
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
	uint64_t spare = spare_w + ollama_kv_layer(m, in, era, 0);
	/* v0.7.0 (spare_largest) still charged any projector, weights and
	 * graph, to GPU 0 and kept v0.5's output rule; v0.7.1 split them. */
	int v070 = era == OLLAMA_ERA_07 && in->spare_largest, split_proj = era == OLLAMA_ERA_07 && !v070;
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
		int i = era == OLLAMA_ERA_05 ? k : n - 1 - k;
		ls = m->layer_w[i] + ollama_kv_layer(m, in, era, (uint32_t)i);
		if (in->num_gpu >= 0 && placed >= in->num_gpu) {
			if (era == OLLAMA_ERA_07)
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
		if (era == OLLAMA_ERA_07 && nws == 0)
			overflow += ls;
	}
	int fully = placed >= n;
	if (era == OLLAMA_ERA_05 && !fully)
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

void ollama_ps(uint64_t total, uint64_t vram, char *size, size_t size_n, char *proc, size_t proc_n)
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

