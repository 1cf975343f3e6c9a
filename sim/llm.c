/*
 * llm.c - decompose a recorded llama.cpp/Ollama load, recompose it under
 * a scenario. See llm.h for the rules and their sources.
 *
 * About 1000 lines, kept as one file on purpose: decomposition and
 * recomposition are the two halves of one model (every quantity
 * llm_decompose derives is consumed by llm_build with the same rule), and
 * splitting them would put the rule and its inverse in different rooms.
 * Loads from descriptions (--model, a profile) live in llm_from.c.
 */
#include "llm.h"
#include "settings.h"
#include "sim_source.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void llm_scenario_init(struct llm_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->n_gpu_layers = -1;
	sc->flash_attn = -1;
	sc->main_gpu = 0;
}

void llm_note(struct llm_load *ld, const char *fmt, ...)
{
	if (ld->n_notes >= (int)UTIL_ARRAY_SIZE(ld->notes))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ld->notes[ld->n_notes++], sizeof(ld->notes[0]), fmt, ap);
	va_end(ap);
}

/* Source: ggml type traits (ggml/src/ggml.c type_traits: block size and
 * type size); KV caches use f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl,
 * q5_0, q5_1. */
double llm_kv_bytes(const char *t)
{
	static const struct {
		const char *name;
		double bytes;
	} types[] = {
		{ "f32", 4.0 }, { "f16", 2.0 }, { "bf16", 2.0 },
		{ "q8_0", 34.0 / 32 }, { "q4_0", 18.0 / 32 }, { "q4_1", 20.0 / 32 },
		{ "iq4_nl", 18.0 / 32 }, { "q5_0", 22.0 / 32 }, { "q5_1", 24.0 / 32 },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(types); i++)
		if (strcmp(types[i].name, t) == 0)
			return types[i].bytes;
	return 0;
}

int llm_assign(uint32_t n_layer, int n_gpu_layers, const double *split, int n,
	       int *first, int *count)
{
	int total = (int)n_layer + 1;
	if (n_gpu_layers < 0 || n_gpu_layers > total)
		n_gpu_layers = total;
	int start = total - n_gpu_layers;
	double sum = 0, cum[TOPO_MAX_GPUS];
	for (int g = 0; g < n; g++)
		sum += split[g] > 0 ? split[g] : 0;
	double acc = 0;
	for (int g = 0; g < n; g++) {
		acc += split[g] > 0 ? split[g] : 0;
		cum[g] = sum > 0 ? acc / sum : (double)(g + 1) / n;
		first[g] = -1;
		count[g] = 0;
	}
	for (int il = start; il < total; il++) {
		/* llama.cpp: upper_bound over the cumulative splits. */
		double x = (double)(il - start) / n_gpu_layers;
		int g = 0;
		while (g < n - 1 && !(cum[g] > x))
			g++;
		if (first[g] < 0)
			first[g] = il;
		count[g]++;
	}
	return start;
}

/*
 * Reading declared settings with a sticky error: the first store or
 * parse failure is kept in r->rc / *r->cause and later reads return
 * their default, so a decomposition reads its settings in plain code and
 * checks r->rc once (before, a NULL cause swallowed store errors and a
 * broken store changed predictions silently).
 */
/* Parse "a,b,c" (or "a b c", "[a b]") into up to max doubles. */
static int parse_list(const char *s, double *out, int max)
{
	int n = 0;
	while (*s && n < max) {
		while (*s && !(isdigit((unsigned char)*s) || *s == '.'))
			s++;
		if (!*s)
			break;
		char *end;
		out[n++] = strtod(s, &end);
		s = end;
	}
	return n;
}

struct dev_sums;
static int profile_layers(const struct profile *p, int start, int total, const struct dev_sums *gpu,
			  const int *gpus, int ng, int *out);

/* Largest-remainder rounding of total into parts proportional to w. */
static void apportion(int total, const double *w, int n, int *out)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += w[i];
	int given = 0;
	double rem[TOPO_MAX_GPUS];
	for (int i = 0; i < n; i++) {
		double x = sum > 0 ? total * w[i] / sum : 0;
		out[i] = (int)floor(x);
		rem[i] = x - out[i];
		given += out[i];
	}
	while (given < total) {
		int best = 0;
		for (int i = 1; i < n; i++)
			if (rem[i] > rem[best])
				best = i;
		out[best]++;
		rem[best] = -1;
		given++;
	}
}

struct dev_sums {
	uint64_t w, kv, comp, out, ctx, other;
	int lay_lo, lay_hi;        /* layers of its weights as logged, -1 if not */
};

/*
 * Layers per recorded GPU from the model's own layer sizes: llama.cpp
 * gives each GPU a contiguous range from the first offloaded layer
 * (start) up to the output layer (total - 1), so walking the profile's
 * layers and closing GPU k's range where its running sum is nearest its
 * logged weights recovers the ranges, even where layers differ in size
 * (dense first layers of a MoE, a large output layer) and division by
 * weights would miscount. 1 when every GPU's range sums to its logged
 * weights within 1% + 64 KiB (the profile is this model), else 0.
 */
static int profile_layers(const struct profile *p, int start, int total, const struct dev_sums *gpu,
			  const int *gpus, int ng, int *out)
{
	int l = start;
	for (int k = 0; k < ng; k++) {
		double want = (double)gpu[gpus[k]].w, acc = 0;
		int n = 0;
		while (l < total - (ng - 1 - k)) { /* leave a layer for each GPU after k */
			double s = (double)profile_layer_bytes(p, l);
			if (k < ng - 1 && n > 0 && fabs(acc + s - want) > fabs(acc - want))
				break;
			acc += s;
			l++;
			n++;
		}
		if (fabs(acc - want) > 0.01 * want + 65536.0) /* + the log's 0.01 MiB rounding */
			return 0;
		out[k] = n;
	}
	return l == total;
}

static double kq_bytes(uint64_t cells, int ubatch, uint32_t n_head)
{
	return (double)cells * ubatch * n_head * 4.0;
}

/* The KQ term of a load: fitted when several loads allowed it. */
static double kq_of(const struct llm_load *ld, uint64_t cells, int ubatch)
{
	if (ld->kq_per_cell_token > 0)
		return ld->kq_per_cell_token * (double)cells * ubatch;
	return kq_bytes(cells, ubatch, ld->n_head);
}

/*
 * ik_llama.cpp -amb (--attention-max-batch N, MiB). Rule from
 * ikawrakow/ik_llama.cpp commit e787c00 "Reduce size of compute buffers"
 * (#237, 2025-03-01), unchanged at 8337e4c (2026-08):
 *  - kq_size = n_kv x n_tokens x n_head x 4 B in whole MiB; nothing
 *    changes unless 0 < N < kq_size;
 *  - multi-head latent attention (build_deepseek2.cpp, mla_attn > 0):
 *    n_step = min(ceil(kq_size / N), n_head) steps of
 *    ceil(n_head / n_step) heads each;
 *  - standard attention (llm_build_kqv in src/llama.cpp, later
 *    llama-build-context.cpp): one head per step, and only when K, V and
 *    Q have the same head count (no GQA); otherwise the cap is ignored.
 * The steps run one after another and the graph allocator reuses the
 * step's K*Q buffer, so the compute buffer holds one step's K*Q.
 */
double llm_kq_term(const struct llm_load *ld, uint64_t cells, int ubatch, int amb)
{
	double full = kq_of(ld, cells, ubatch);
	uint64_t kq_mib = (uint64_t)(full / (double)UTIL_MIB);
	if (amb <= 0 || (uint64_t)amb >= kq_mib)
		return full;
	uint64_t n_step = (kq_mib + (uint64_t)amb - 1) / (uint64_t)amb;
	uint32_t h = ld->n_head;
	if (ld->mla) {
		if (!h) /* heads unknown (fitted scaling): an even split */
			return full / (double)n_step;
		if (n_step > h)
			n_step = h;
		uint64_t per = (h + n_step - 1) / n_step;
		return full * (double)per / h;
	}
	if (h && ld->n_head_kv == h)
		return full / h;
	return full; /* GQA or head counts unknown: ik_llama.cpp keeps the whole K*Q */
}

/* The attention cap a scenario runs with: its own, else the recorded one. */
static int scen_amb(const struct llm_load *ld, const struct llm_scenario *sc)
{
	return sc->amb > 0 ? sc->amb : sc->amb < 0 ? 0 : ld->amb;
}

static double logits_bytes(uint32_t n_vocab, int ubatch)
{
	return (double)n_vocab * ubatch * 4.0;
}

/* The run's settings: context cells, slots, batches, flash attention, KV types. */
static void read_run_settings(struct settings_rd *r, struct llm_load *ld)
{
	ld->parallel = (int)settings_rd_int(r, SET_N_SEQ_MAX,
					    settings_rd_int(r, SET_PARALLEL, 1, NULL), NULL);
	if (ld->parallel < 1)
		ld->parallel = 1;
	int64_t cells = settings_rd_int(r, SET_N_CTX, 0, NULL);
	if (!cells)
		cells = settings_rd_int(r, SET_CTX_SIZE, 0, NULL);
	if (!cells)
		cells = settings_rd_int(r, SET_KV_CELLS, 0, NULL);
	ld->cells = (uint64_t)(cells > 0 ? cells : 0);
	ld->ubatch = (int)settings_rd_int(r, SET_N_UBATCH,
					  settings_rd_int(r, SET_N_BATCH, 512, NULL), NULL);
	ld->batch = (int)settings_rd_int(r, SET_N_BATCH, 2048, NULL);
	if (ld->ubatch <= 0)
		ld->ubatch = 512;
	ld->flash_attn = settings_rd_int(r, SET_FLASH_ATTN, 0, NULL) > 0;
	settings_rd_str(r, SET_TYPE_K, ld->type_k, sizeof(ld->type_k), "f16");
	settings_rd_str(r, SET_TYPE_V, ld->type_v, sizeof(ld->type_v), "f16");
	ld->n_copies = (int)settings_rd_int(r, SET_N_COPIES, 1, NULL);
	ld->amb = (int)settings_rd_int(r, SET_ATTN_MAX_BATCH, 0, NULL);
	ld->mla = settings_rd_int(r, SET_MLA_ATTN, 0, NULL) > 0;
}

/* The GGUF profile attached to the trace, or pid when nonzero (a
 * --profile that was resolved but not stored). *have = 0 when none. */
static int load_profile(struct store *st, int64_t trace, int64_t pid, struct profile *p, int *have,
			char **cause)
{
	*have = 0;
	if (!pid) {
		struct store_trace_info ti;
		int rc = store_trace_get(st, trace, &ti, cause);
		if (rc)
			return rc;
		pid = ti.profile_id;
		store_trace_info_clear(&ti);
	}
	if (!pid)
		return 0;
	int rc = store_profile_get(st, pid, p, cause);
	*have = rc == 0;
	return rc;
}

int llm_meta_parse(const char *spec, struct llm_meta *m, char **cause)
{
	memset(m, 0, sizeof(*m));
	char *copy = util_xstrdup(spec), *save = NULL;
	int rc = 0;
	for (char *kv = strtok_r(copy, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '='), *end;
		if (eq && !strncmp(kv, "fa=", 3)) {
			if (!strcmp(eq + 1, "on") || !strcmp(eq + 1, "off")) {
				m->fa = !strcmp(eq + 1, "on") ? 2 : 1;
				continue;
			}
			rc = util_err(cause, UTIL_EINPUT, "--meta '%s': expected fa=on or fa=off", kv);
			break;
		}
		unsigned long v = eq ? strtoul(eq + 1, &end, 10) : 0;
		if (!eq || end == eq + 1 || *end || v == 0 || v > (1ul << 30)) {
			rc = util_err(cause, UTIL_EINPUT, "--meta '%s': expected key=number", kv);
			break;
		}
		*eq = '\0';
		uint32_t *dst = !strcmp(kv, "layers") ? &m->n_layer : !strcmp(kv, "embd") ? &m->n_embd
			: !strcmp(kv, "heads") ? &m->n_head : !strcmp(kv, "kv_heads") ? &m->n_head_kv
			: !strcmp(kv, "vocab") ? &m->n_vocab : !strcmp(kv, "ctx_train") ? &m->n_ctx_train
			: !strcmp(kv, "ctx") ? &m->ctx : !strcmp(kv, "ubatch") ? &m->ubatch
			: NULL;
		if (!dst)
			rc = util_err(cause, UTIL_EINPUT, "--meta: unknown key '%s' (layers, embd, heads, "
				      "kv_heads, vocab, ctx_train, ctx, ubatch, fa)", kv);
		else
			*dst = (uint32_t)v;
	}
	free(copy);
	return rc;
}

/* Say which compute model the what-if uses (the issue of trust: name it). */
static void note_compute_model(struct llm_load *ld)
{
	if (ld->amb > 0 && !ld->flash_attn) {
		if (ld->mla || (ld->n_head && ld->n_head_kv == ld->n_head))
			llm_note(ld, "compute model: -amb %d caps the K*Q term: above %d MiB it is computed "
				 "in steps of %s (ik_llama.cpp)", ld->amb, ld->amb,
				 ld->mla ? "n_head / ceil(K*Q / amb) heads" : "one head");
		else
			llm_note(ld, "-amb %d has no effect in this model: ik_llama.cpp caps K*Q only for MLA "
				 "or when K, V and Q have the same head count (%s)", ld->amb,
				 ld->n_head ? "this model uses grouped KV heads" : "head counts unknown");
	}
	if (ld->fit_loads)
		return; /* fit_compute() said it */
	if (ld->flash_attn)
		llm_note(ld, "compute model: flash attention on: buffers scale with n_ubatch "
			 "(KQ term only if --flash-attn off)");
	else if (ld->n_head)
		llm_note(ld, "compute model: KQ = cells x n_ubatch x %u heads x 4 B, logits = n_vocab x "
			 "n_ubatch x 4 B on the output GPU, the rest scales with n_ubatch", ld->n_head);
}

static void fixed_layout(struct llm_load *ld, const struct dev_sums *gpu, int max_dev, int out_on_gpu)
{
	ld->fixed = 1;
	ld->fx_n = max_dev + 1;
	double kq = ld->flash_attn ? 0 : llm_kq_term(ld, ld->cells, ld->ubatch, ld->amb);
	double lg = logits_bytes(ld->n_vocab, ld->ubatch);
	int last = -1;
	for (int d = 0; d <= max_dev; d++)
		if (gpu[d].comp)
			last = d;
	for (int d = 0; d <= max_dev; d++) {
		ld->fx_w[d] = gpu[d].w;
		ld->fx_kv[d] = gpu[d].kv;
		ld->fx_other[d] = gpu[d].other + gpu[d].out;
		if (!gpu[d].comp)
			continue;
		ld->fx_has_comp[d] = 1;
		ld->fx_holds_out[d] = out_on_gpu && d == last;
		double c = (double)gpu[d].comp - kq - (ld->fx_holds_out[d] ? lg : 0);
		ld->fx_comp_rest[d] = c > 0 ? (uint64_t)c : 0;
	}
	llm_note(ld, "the log does not give the model's layers: buffers keep their recorded devices "
		 "and only scale (give --meta layers=N or --profile for layer what-ifs)");
}

/*
 * Fit the compute scaling from the other loads of the same model in the
 * store: without flash attention a compute buffer is r x n_ubatch +
 * k x cells x n_ubatch (the KQ matrix), so compute / n_ubatch is linear
 * in cells with the same slope k on every GPU role. k comes from the
 * slopes within each role that has loads at two or more context sizes;
 * it replaces the engine's n_head x 4 B when the log lacks n_head or the
 * model's graph differs (MLA, other attention kernels).
 */
struct fit_pt {
	int role;
	double cells, per_token;  /* x, y */
};

static int role_at(int k, int n)
{
	return n == 1 ? LLM_ROLE_SINGLE : k == 0 ? LLM_ROLE_MAIN : k == n - 1 ? LLM_ROLE_LAST
							 : LLM_ROLE_MID;
}

static void fit_compute(struct settings_rd *r, struct llm_load *ld)
{
	char key[128];
	settings_rd_str(r, SET_MODEL, key, sizeof(key), "");
	if (!key[0])
		settings_rd_str(r, SET_META_NAME, key, sizeof(key), "");
	if (!key[0] || ld->flash_attn)
		return;
	struct store_trace_info *tl = NULL;
	size_t nt = 0;
	if ((r->rc = store_trace_list(r->st, &tl, &nt, r->cause)))
		return;
	struct fit_pt pts[256];
	int np = 0, loads = 0;
	for (size_t i = 0; i < nt && np < 240; i++) {
		struct settings_rd rt_ = { r->st, tl[i].id, 0, r->cause }, *rt = &rt_;
		char k2[128];
		settings_rd_str(rt, SET_MODEL, k2, sizeof(k2), "");
		if (!k2[0])
			settings_rd_str(rt, SET_META_NAME, k2, sizeof(k2), "");
		int64_t cells = settings_rd_int(rt, SET_N_CTX,
						settings_rd_int(rt, SET_CTX_SIZE, 0, NULL), NULL);
		int64_t ub = settings_rd_int(rt, SET_N_UBATCH,
					     settings_rd_int(rt, SET_N_BATCH, 0, NULL), NULL);
		/* a capped K*Q (-amb) is not linear in cells: not a fit point */
		int skip = strcmp(k2, key) || cells <= 0 || ub <= 0 ||
			   settings_rd_int(rt, SET_FLASH_ATTN, 0, NULL) > 0 ||
			   settings_rd_int(rt, SET_ATTN_MAX_BATCH, 0, NULL) > 0;
		if (rt->rc) {
			r->rc = rt->rc;
			break;
		}
		if (skip)
			continue;
		struct trace_event *ev = NULL;
		size_t n = 0;
		if ((r->rc = sim_source_load(r->st, rt->trace, &ev, &n, r->cause)))
			break;
		double comp[TOPO_MAX_GPUS] = { 0 };
		for (size_t e = 0; e < n; e++)
			if (ev[e].kind == TRACE_ALLOC && ev[e].category == TRACE_CAT_COMPUTE &&
			    ev[e].device >= 0 && ev[e].device < TOPO_MAX_GPUS)
				comp[ev[e].device] += (double)ev[e].size;
		free(ev);
		int devs[TOPO_MAX_GPUS], nd = 0;
		for (int d = 0; d < TOPO_MAX_GPUS; d++)
			if (comp[d] > 0)
				devs[nd++] = d;
		for (int k = 0; k < nd && np < 256; k++)
			pts[np++] = (struct fit_pt){ role_at(k, nd), (double)cells, comp[devs[k]] / (double)ub };
		loads += nd > 0;
	}
	for (size_t i = 0; i < nt; i++)
		store_trace_info_clear(&tl[i]);
	free(tl);
	/* slope per role (least squares), averaged over roles weighted by points */
	double ksum = 0;
	int kw = 0;
	for (int role = 0; role < LLM_ROLES; role++) {
		double sx = 0, sy = 0, sxx = 0, sxy = 0;
		int m = 0;
		for (int i = 0; i < np; i++)
			if (pts[i].role == role) {
				sx += pts[i].cells;
				sy += pts[i].per_token;
				sxx += pts[i].cells * pts[i].cells;
				sxy += pts[i].cells * pts[i].per_token;
				m++;
			}
		double den = m * sxx - sx * sx;
		if (m < 2 || den <= 0)
			continue;
		double k = (m * sxy - sx * sy) / den;
		if (k > 0) {
			ksum += k * m;
			kw += m;
		}
	}
	if (r->rc || kw == 0 || loads < 2)
		return;
	ld->kq_per_cell_token = ksum / kw;
	ld->fit_loads = loads;
	llm_note(ld, "compute scaling fitted from %d loads of '%s': %.1f B per KV cell x ubatch token",
	     loads, key, ld->kq_per_cell_token);
}

int llm_decompose(struct store *st, int64_t trace, const struct llm_meta *meta,
		  struct llm_load *ld, char **cause)
{
	memset(ld, 0, sizeof(*ld));
	struct trace_event *ev = NULL;
	size_t n = 0;
	int rc = sim_source_load(st, trace, &ev, &n, cause);
	if (rc)
		return rc;
	struct dev_sums gpu[TOPO_MAX_GPUS] = { 0 }, host = { 0 };
	int max_dev = -1;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind != TRACE_ALLOC)
			continue;
		struct dev_sums *d = ev[i].device < 0 ? &host
				     : ev[i].device < TOPO_MAX_GPUS ? &gpu[ev[i].device] : NULL;
		if (!d)
			continue;
		if (ev[i].device > max_dev)
			max_dev = ev[i].device;
		switch (ev[i].category) {
		case TRACE_CAT_WEIGHTS:
			d->w += ev[i].size;
			if (ev[i].layer_lo >= 0 && ev[i].layer_hi >= ev[i].layer_lo) {
				if (!d->lay_hi || ev[i].layer_lo < d->lay_lo - 1)
					d->lay_lo = ev[i].layer_lo + 1;  /* stored +1: 0 = none */
				if (ev[i].layer_hi + 1 > d->lay_hi)
					d->lay_hi = ev[i].layer_hi + 1;
			}
			break;
		case TRACE_CAT_KV: d->kv += ev[i].size; break;
		case TRACE_CAT_COMPUTE: d->comp += ev[i].size; break;
		case TRACE_CAT_OUTPUT: d->out += ev[i].size; break;
		case TRACE_CAT_CONTEXT: d->ctx += ev[i].size; break;
		default: d->other += ev[i].size; break;
		}
	}
	free(ev);

	struct profile prof = { 0 };
	if ((rc = load_profile(st, trace, meta ? meta->profile_id : 0, &prof, &ld->have_profile, cause)))
		return rc;
	struct settings_rd rd = { st, trace, 0, cause }, *r = &rd;
	settings_rd_str(r, SET_MODEL, ld->model, sizeof(ld->model), "");
	if (!ld->model[0])
		settings_rd_str(r, SET_META_NAME, ld->model, sizeof(ld->model),
			  ld->have_profile ? prof.name : "");
	int64_t nl = settings_rd_int(r, SET_META_N_LAYER, 0, NULL);
	if (!nl && ld->have_profile)
		nl = prof.n_layer;
	if (!nl && settings_rd_int(r, SET_N_LAYER_TOTAL, 0, NULL) > 1)
		nl = settings_rd_int(r, SET_N_LAYER_TOTAL, 0, NULL) - 1;
	if (!nl && settings_rd_int(r, SET_OLLAMA_LAYERS_MODEL, 0, NULL) > 1)
		nl = settings_rd_int(r, SET_OLLAMA_LAYERS_MODEL, 0, NULL) - 1;
	ld->n_embd = (uint32_t)settings_rd_int(r, SET_META_N_EMBD,
					       ld->have_profile ? prof.n_embd : 0, NULL);
	ld->n_head = (uint32_t)settings_rd_int(r, SET_META_N_HEAD,
					       ld->have_profile ? prof.n_head : 0, NULL);
	ld->n_head_kv = (uint32_t)settings_rd_int(r, SET_META_N_HEAD_KV,
						  ld->have_profile ? prof.n_head_kv : 0, NULL);
	ld->n_vocab = (uint32_t)settings_rd_int(r, SET_META_N_VOCAB,
						ld->have_profile ? prof.n_vocab : 0, NULL);
	ld->n_ctx_train = (uint32_t)settings_rd_int(r, SET_META_N_CTX_TRAIN,
						    ld->have_profile ? prof.n_ctx_train : 0, NULL);
	if (meta) {
		if (meta->n_layer) nl = meta->n_layer;
		if (meta->n_embd) ld->n_embd = meta->n_embd;
		if (meta->n_head) ld->n_head = meta->n_head;
		if (meta->n_head_kv) ld->n_head_kv = meta->n_head_kv;
		if (meta->n_vocab) ld->n_vocab = meta->n_vocab;
		if (meta->n_ctx_train) ld->n_ctx_train = meta->n_ctx_train;
	}
	read_run_settings(r, ld);
	fit_compute(r, ld);
	if (r->rc) {
		profile_clear(&prof);
		return r->rc;
	}
	if (meta && meta->ctx)
		ld->cells = meta->ctx;
	if (meta && meta->ubatch)
		ld->ubatch = (int)meta->ubatch;
	if (meta && meta->fa)
		ld->flash_attn = meta->fa == 2;

	int gpus[TOPO_MAX_GPUS], ng = 0;
	uint64_t gpu_w = 0;
	for (int d = 0; d <= max_dev; d++) {
		if (gpu[d].w) {
			gpus[ng++] = d;
			gpu_w += gpu[d].w;
		}
	}
	int any_gpu = 0;
	for (int d = 0; d <= max_dev; d++)
		any_gpu |= gpu[d].w || gpu[d].kv || gpu[d].comp;
	/* The CUDA context the log measured (breakdown "unaccounted"). */
	uint64_t ctx_sum = 0;
	int ctx_n = 0;
	for (int d = 0; d <= max_dev; d++)
		if (gpu[d].ctx) {
			ctx_sum += gpu[d].ctx;
			ctx_n++;
		}
	ld->context = ctx_n ? ctx_sum / (uint64_t)ctx_n : 0;
	if (ng == 0 && host.w == 0 && !any_gpu) {
		profile_clear(&prof);
		ld->not_a_load = 1;
		return util_err(cause, UTIL_EINPUT,
				"trace %lld has no model, KV or compute buffers: a what-if needs a "
				"llama.cpp/Ollama load with its 'buffer size' lines (or use --model)",
				(long long)trace);
	}
	if (nl > LLM_MAX_LAYERS)
		nl = 0;
	if (nl <= 0 || ng == 0) {
		profile_clear(&prof);
		fixed_layout(ld, gpu, max_dev, settings_rd_int(r, SET_OUTPUT_OFFLOADED, 1, NULL) != 0);
		ld->host_fixed = host.w;
		ld->host_kv = host.kv;
		ld->comp_host = host.comp;
		ld->out_host = host.out;
		uint64_t kv_total = host.kv;
		for (int d = 0; d <= max_dev; d++)
			kv_total += gpu[d].kv;
		if (!kv_total) {
			/* Only "KV self size" was printed: spread it over the GPUs that
			 * hold buffers, by their weights if known, else evenly. */
			kv_total = (uint64_t)llround(settings_rd_dbl(r, SET_KV_SELF_MIB, 0, NULL) * UTIL_MIB);
			uint64_t wsum = 0;
			int nd = 0;
			for (int d = 0; d <= max_dev; d++) {
				wsum += gpu[d].w;
				nd += gpu[d].w || gpu[d].comp;
			}
			for (int d = 0; d <= max_dev && kv_total && nd; d++)
				if (gpu[d].w || gpu[d].comp)
					ld->fx_kv[d] = wsum ? (uint64_t)((double)kv_total * (double)gpu[d].w / (double)wsum)
							    : kv_total / (uint64_t)nd;
			if (kv_total)
				llm_note(ld, "KV total known but not per device: spread over the GPUs");
		}
		ld->kv_layer = kv_total; /* the whole cache: scaled as one */
		ld->n_layer = nl > 0 ? (uint32_t)nl : 0;
		note_compute_model(ld);
		return r->rc;
	}
	ld->n_layer = (uint32_t)nl;
	int total = (int)nl + 1;
	ld->rec_gpus = ng;

	/* How many layers were offloaded, and which GPU got how many. */
	int ngl = (int)settings_rd_int(r, SET_N_GPU_LAYERS_OFFLOADED, -1, NULL);
	if (ngl < 0)
		ngl = (int)settings_rd_int(r, SET_N_GPU_LAYERS, -1, NULL);
	if (ngl < 0)
		ngl = (int)settings_rd_int(r, SET_OLLAMA_LAYERS_OFFLOAD, -1, NULL);
	if (ngl < 0 || ngl > total)
		ngl = ng ? total : 0;
	ld->rec_n_gpu_layers = ngl;
	char buf[512];
	double split[TOPO_MAX_GPUS] = { 0 };
	int nsplit = 0;
	settings_rd_str(r, SET_TENSOR_SPLIT, buf, sizeof(buf), "");
	if (buf[0])
		nsplit = parse_list(buf, split, TOPO_MAX_GPUS);
	if (!nsplit) {
		settings_rd_str(r, SET_OLLAMA_LAYERS_SPLIT, buf, sizeof(buf), "");
		if (buf[0])
			nsplit = parse_list(buf, split, TOPO_MAX_GPUS);
	}
	int first[TOPO_MAX_GPUS], count[TOPO_MAX_GPUS];
	if (nsplit >= ng && nsplit > 0 && ng > 0) {
		llm_assign(ld->n_layer, ngl, split, nsplit, first, count);
		/* the split lists every device; keep those that got weights */
		for (int k = 0; k < ng; k++)
			ld->rec_layers[k] = gpus[k] < nsplit ? count[gpus[k]] : 0;
	} else if (ng > 0) {
		/* Better data first: the layer ranges the log printed, then the
		 * KV per device (equal per layer, unlike weights: dense first
		 * layers, the output layer), then the weights. */
		int ranged = 1, kv_all = 1, lsum = 0;
		for (int k = 0; k < ng; k++) {
			ranged &= gpu[gpus[k]].lay_hi > 0;
			kv_all &= gpu[gpus[k]].kv > 0;
			if (gpu[gpus[k]].lay_hi > 0)
				lsum += gpu[gpus[k]].lay_hi - gpu[gpus[k]].lay_lo + 1;
		}
		double w[TOPO_MAX_GPUS];
		if (ranged && lsum == ngl) {
			for (int k = 0; k < ng; k++)
				ld->rec_layers[k] = gpu[gpus[k]].lay_hi - gpu[gpus[k]].lay_lo + 1;
		} else if (ng > 1 && ld->have_profile && prof.n_layer == (uint32_t)nl &&
			   profile_layers(&prof, total - ngl, total, gpu, gpus, ng, ld->rec_layers)) {
			llm_note(ld, "layers per recorded GPU matched to the GGUF profile's layer sizes "
				 "(no split in the log)");
		} else if (kv_all && ng > 1) {
			/* repeating layers by KV; the output layer (no KV) on the last */
			int out = settings_rd_int(r, SET_OUTPUT_OFFLOADED, -1, NULL) != 0 && ngl == total;
			for (int k = 0; k < ng; k++)
				w[k] = (double)gpu[gpus[k]].kv;
			apportion(ngl - out, w, ng, ld->rec_layers);
			ld->rec_layers[ng - 1] += out;
			llm_note(ld, "layers per recorded GPU from each GPU's KV cache (no split in the log)");
		} else {
			for (int k = 0; k < ng; k++)
				w[k] = (double)gpu[gpus[k]].w;
			apportion(ngl, w, ng, ld->rec_layers);
			if (ng > 1)
				llm_note(ld, "layers per recorded GPU inferred from weight sizes (no split in the log)");
		}
	}
	int rec_sum = 0;
	for (int k = 0; k < ng; k++)
		rec_sum += ld->rec_layers[k];
	if (rec_sum != ngl && ng > 0) {
		double w[TOPO_MAX_GPUS];
		for (int k = 0; k < ng; k++)
			w[k] = (double)gpu[gpus[k]].w;
		apportion(ngl, w, ng, ld->rec_layers);
	}
	int out_on_gpu = ngl > 0 && (settings_rd_int(r, SET_OUTPUT_OFFLOADED, -1, NULL) != 0 || ngl == total);
	int start = total - ngl;

	/* Per-layer weights. */
	if (ld->have_profile && prof.n_layer != ld->n_layer)
		llm_note(ld, "profile '%s' has %u layers, the load %u: its layer sizes are not used",
		     prof.name, prof.n_layer, ld->n_layer);
	if (ld->have_profile && prof.n_layer == ld->n_layer) {
		for (int l = 0; l <= (int)nl; l++)
			ld->layer_w[l] = profile_layer_bytes(&prof, l);
		ld->host_fixed = profile_layer_bytes(&prof, PROFILE_LAYER_INPUT);
	} else {
		ld->approx = 1;
		double s, out;
		int last = ng - 1;
		int rep_on_gpu = ngl - (out_on_gpu ? 1 : 0);
		if (ng >= 2 && out_on_gpu && ld->rec_layers[last] > 0) {
			uint64_t w_front = gpu_w - gpu[gpus[last]].w;
			int l_front = rec_sum - ld->rec_layers[last];
			s = l_front > 0 ? (double)w_front / l_front : 0;
			out = (double)gpu[gpus[last]].w - s * (ld->rec_layers[last] - 1);
			if (out <= 0) {
				out = s;
				llm_note(ld, "output layer size unknown: taken as one layer");
			}
		} else if (rep_on_gpu > 0 || out_on_gpu) {
			/* One GPU: tell output from layers by parameter counts, with a
			 * dense transformer layer of about 12 x n_embd^2 parameters. */
			double W = (double)gpu_w;
			if (out_on_gpu && ld->n_vocab && ld->n_embd) {
				double p_out = (double)ld->n_vocab * ld->n_embd;
				double p_layer = 12.0 * ld->n_embd * ld->n_embd;
				out = W * p_out / (p_out + rep_on_gpu * p_layer);
				llm_note(ld, "output layer size estimated from n_vocab x n_embd");
			} else {
				out = out_on_gpu ? W / (rep_on_gpu + 1) : 0;
				if (out_on_gpu)
					llm_note(ld, "output layer size unknown: taken as one layer");
			}
			s = rep_on_gpu > 0 ? (W - out) / rep_on_gpu : out;
		} else {
			s = nl ? (double)host.w / nl : 0;
			out = s;
		}
		for (int l = 0; l < (int)nl; l++)
			ld->layer_w[l] = (uint64_t)llround(s);
		ld->layer_w[nl] = (uint64_t)llround(out);
		/* Each recorded GPU's layers from its own total (front GPUs of a
		 * MoE or a model with dense first layers differ): the layers
		 * of GPU k follow those of GPU k-1 from the first offloaded. */
		for (int k = 0, l = start; ng >= 2 && rec_sum == ngl && k < ng; k++) {
			int n_rep = ld->rec_layers[k] - (k == ng - 1 && out_on_gpu ? 1 : 0);
			double rest = (double)gpu[gpus[k]].w - (k == ng - 1 && out_on_gpu ? out : 0);
			for (int j = 0; j < n_rep && rest > 0 && l < (int)nl; j++, l++)
				ld->layer_w[l] = (uint64_t)llround(rest / n_rep);
		}
		double host_layers = 0;
		for (int l = 0; l < start; l++)
			host_layers += (double)ld->layer_w[l];
		ld->host_fixed = host.w > host_layers ? host.w - (uint64_t)host_layers : 0;
		llm_note(ld, "per-layer sizes are an approximation from per-device totals "
			 "(import the GGUF for exact sizes)");
	}
	profile_clear(&prof);

	/* KV cache. */
	uint64_t kv_total = host.kv;
	for (int k = 0; k < ng; k++)
		kv_total += gpu[gpus[k]].kv;
	for (int d = 0; d <= max_dev; d++)
		if (!gpu[d].w)
			kv_total += gpu[d].kv;
	if (!kv_total)
		kv_total = (uint64_t)llround(settings_rd_dbl(r, SET_KV_SELF_MIB, 0, NULL) * UTIL_MIB);
	ld->kv_layer = kv_total / nl;
	if (kv_total && !ld->cells)
		llm_note(ld, "the log does not give n_ctx: KV cannot be rescaled by --ctx");
	if (!kv_total && ld->n_embd && ld->n_head && ld->n_head_kv) {
		/* No KV in the log but the model's shape is known: a context
		 * what-if gets K and V of n_embd / n_head x n_head_kv elements
		 * per cell and layer (llama.cpp llama_kv_cache: n_embd_k_gqa =
		 * n_embd_head_k x n_head_kv), at the recorded cache types. */
		ld->kv_per_cell = ((double)ld->n_embd / ld->n_head) * ld->n_head_kv *
				  (llm_kv_bytes(ld->type_k) + llm_kv_bytes(ld->type_v));
		llm_note(ld, "the log shows no KV cache: a context what-if computes it from the model's "
			 "shape (%u heads, %u KV heads, embd %u)", ld->n_head, ld->n_head_kv, ld->n_embd);
	} else if (!kv_total) {
		llm_note(ld, "the log shows no KV cache buffer: KV is not counted");
	}

	/* Compute buffers by role. */
	int cg[TOPO_MAX_GPUS], nc = 0;
	for (int k = 0; k < ng; k++)
		if (gpu[gpus[k]].comp)
			cg[nc++] = gpus[k];
	double kq = ld->flash_attn ? 0 : llm_kq_term(ld, ld->cells, ld->ubatch, ld->amb);
	double lg = logits_bytes(ld->n_vocab, ld->ubatch);
	if (!ld->flash_attn && !ld->n_head && !ld->kq_per_cell_token && nc)
		llm_note(ld, "n_head unknown: compute buffers scale only with n_ubatch");
	for (int k = 0; k < nc; k++) {
		int role = nc == 1 ? LLM_ROLE_SINGLE
			 : k == 0 ? LLM_ROLE_MAIN : k == nc - 1 ? LLM_ROLE_LAST : LLM_ROLE_MID;
		double c = (double)gpu[cg[k]].comp - kq;
		int holds_out = out_on_gpu && (role == LLM_ROLE_LAST || role == LLM_ROLE_SINGLE);
		if (holds_out)
			c -= lg;
		if (c < 0) {
			if (!ld->have_role[role])
				llm_note(ld, "recorded compute buffer on device %d is smaller than its KQ/logits "
					 "terms: scaled proportionally", cg[k]);
			c = 0;
		}
		if (role == LLM_ROLE_MID && ld->have_role[role])
			ld->comp_rest[role] = (ld->comp_rest[role] + (uint64_t)c) / 2;
		else
			ld->comp_rest[role] = (uint64_t)c;
		ld->have_role[role] = 1;
	}
	if (!nc)
		llm_note(ld, "the log shows no GPU compute buffer: compute is not counted");
	else
		note_compute_model(ld);
	ld->comp_host = host.comp;
	ld->out_host = host.out;
	ld->other_gpu = ng ? gpu[gpus[0]].other : 0;
	return r->rc;
}

int llm_lower_bound(const struct llm_load *ld, const struct llm_scenario *sc)
{
	int kv = ld->kv_layer || ld->host_kv || (ld->kv_per_cell > 0 && sc->ctx);
	int comp = 0;
	for (int r = 0; r < LLM_ROLES; r++)
		comp |= ld->have_role[r];
	for (int d = 0; d < ld->fx_n; d++) {
		kv |= ld->fx_kv[d] != 0;
		comp |= ld->fx_has_comp[d];
	}
	return !kv || !comp;
}

uint64_t llm_kv_layer(const struct llm_load *ld, const struct llm_scenario *sc)
{
	if (!ld->kv_layer && ld->kv_per_cell > 0 && sc->ctx) {
		/* from the model's shape; only for a context asked for */
		uint64_t par = (uint64_t)(sc->parallel ? sc->parallel : ld->parallel);
		double kv = ld->kv_per_cell * (double)(sc->ctx * par);
		if (sc->kv_type[0]) {
			double old = (llm_kv_bytes(ld->type_k) + llm_kv_bytes(ld->type_v)) / 2;
			double nw = llm_kv_bytes(sc->kv_type);
			if (old > 0 && nw > 0)
				kv = kv * nw / old;
		}
		return (uint64_t)llround(kv);
	}
	double kv = (double)ld->kv_layer;
	uint64_t cells = ld->cells;
	if (sc->ctx || sc->parallel) {
		uint64_t per = sc->ctx ? sc->ctx : (ld->cells / (uint64_t)ld->parallel);
		uint64_t par = (uint64_t)(sc->parallel ? sc->parallel : ld->parallel);
		cells = per * par;
	}
	if (ld->cells && cells != ld->cells)
		kv = kv * (double)cells / (double)ld->cells;
	if (sc->kv_type[0]) {
		double old = (llm_kv_bytes(ld->type_k) + llm_kv_bytes(ld->type_v)) / 2;
		double nw = llm_kv_bytes(sc->kv_type);
		if (old > 0 && nw > 0)
			kv = kv * nw / old;
	}
	return (uint64_t)llround(kv);
}

static uint64_t scen_cells(const struct llm_load *ld, const struct llm_scenario *sc)
{
	if (!sc->ctx && !sc->parallel)
		return ld->cells;
	uint64_t per = sc->ctx ? sc->ctx : ld->cells / (uint64_t)ld->parallel;
	return per * (uint64_t)(sc->parallel ? sc->parallel : ld->parallel);
}

uint64_t llm_compute(const struct llm_load *ld, const struct llm_scenario *sc, int role,
		     int holds_output)
{
	/* A role the recording lacks borrows the closest one it has. */
	static const int fallback[LLM_ROLES][3] = {
		[LLM_ROLE_MAIN] = { LLM_ROLE_SINGLE, LLM_ROLE_MID, LLM_ROLE_LAST },
		[LLM_ROLE_MID] = { LLM_ROLE_LAST, LLM_ROLE_MAIN, LLM_ROLE_SINGLE },
		[LLM_ROLE_LAST] = { LLM_ROLE_MID, LLM_ROLE_SINGLE, LLM_ROLE_MAIN },
		[LLM_ROLE_SINGLE] = { LLM_ROLE_MAIN, LLM_ROLE_LAST, LLM_ROLE_MID },
	};
	int r = role;
	for (int k = 0; k < 3 && !ld->have_role[r]; k++)
		r = fallback[role][k];
	if (!ld->have_role[r])
		return 0;
	int ub = sc->ubatch ? sc->ubatch : ld->ubatch;
	int fa = sc->flash_attn >= 0 ? sc->flash_attn : ld->flash_attn;
	double c = (double)ld->comp_rest[r] * ub / ld->ubatch;
	if (!fa)
		c += llm_kq_term(ld, scen_cells(ld, sc), ub, scen_amb(ld, sc));
	if (holds_output)
		c += logits_bytes(ld->n_vocab, ub);
	return (uint64_t)llround(c);
}

static void push(struct trace_event **ev, size_t *n, size_t *alloc, int kind, int dev, int cat,
		 uint64_t size, int lo, int hi)
{
	if (!size)
		return;
	UTIL_GROW(*ev, *n + 1, *alloc);
	struct trace_event *e = &(*ev)[*n];
	trace_event_init(e, kind, (int64_t)(*n + 1) * 1000);
	e->seq = (int64_t)*n + 1;
	e->device = (int16_t)dev;
	e->category = (int16_t)cat;
	e->size = size;
	e->layer_lo = lo;
	e->layer_hi = hi;
	(*n)++;
}

static void describe(const struct llm_load *ld, const struct llm_scenario *sc, int ngl, int total,
		     const int *count, int G, char *desc, size_t desc_n);

/* Fixed layout: recorded buffers stay on their devices and scale. */
static int build_fixed(const struct llm_load *ld, const struct llm_scenario *sc,
		       const struct topo *topo, struct trace_event **evp, size_t *np, int *layers,
		       char *desc, size_t desc_n, char **cause)
{
	if (sc->n_split || sc->n_gpu_layers >= 0)
		return util_err(cause, UTIL_EINPUT, "--split and --num-gpu need the model's layer count, "
				"which the log does not give: add --meta layers=N or --profile NAME");
	if (topo->n < ld->fx_n)
		return util_err(cause, UTIL_EINPUT, "the load's buffers stay on their %d recorded devices "
				"(its layer count is unknown): give --gpus with at least %d GPUs, or "
				"--meta layers=N to re-split it", ld->fx_n, ld->fx_n);
	double kv_ratio = ld->kv_layer ? (double)llm_kv_layer(ld, sc) / (double)ld->kv_layer : 1.0;
	int ub = sc->ubatch ? sc->ubatch : ld->ubatch;
	struct trace_event *ev = NULL;
	size_t n = 0, alloc = 0;
	push(&ev, &n, &alloc, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS, ld->host_fixed, -1, -1);
	for (int d = 0; d < ld->fx_n; d++) {
		push(&ev, &n, &alloc, TRACE_ALLOC, d, TRACE_CAT_WEIGHTS, ld->fx_w[d], -1, -1);
		push(&ev, &n, &alloc, TRACE_ALLOC, d, TRACE_CAT_OTHER, ld->fx_other[d], -1, -1);
	}
	push(&ev, &n, &alloc, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_KV,
	     (uint64_t)llround((double)ld->host_kv * kv_ratio), -1, -1);
	for (int d = 0; d < ld->fx_n; d++)
		push(&ev, &n, &alloc, TRACE_ALLOC, d, TRACE_CAT_KV,
		     (uint64_t)llround((double)ld->fx_kv[d] * kv_ratio), -1, -1);
	int fa = sc->flash_attn >= 0 ? sc->flash_attn : ld->flash_attn;
	for (int d = 0; d < ld->fx_n; d++) {
		if (!ld->fx_has_comp[d])
			continue;
		double c = (double)ld->fx_comp_rest[d] * ub / ld->ubatch;
		if (!fa)
			c += llm_kq_term(ld, scen_cells(ld, sc), ub, scen_amb(ld, sc));
		if (ld->fx_holds_out[d])
			c += logits_bytes(ld->n_vocab, ub);
		push(&ev, &n, &alloc, TRACE_ALLOC, d, TRACE_CAT_COMPUTE, (uint64_t)llround(c), -1, -1);
		if (ld->context)
			push(&ev, &n, &alloc, TRACE_ALLOC, d, TRACE_CAT_CONTEXT, ld->context, -1, -1);
	}
	push(&ev, &n, &alloc, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_COMPUTE,
	     (uint64_t)llround((double)ld->comp_host * ub / ld->ubatch), -1, -1);
	push(&ev, &n, &alloc, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_OUTPUT, ld->out_host, -1, -1);
	for (int g = 0; g < topo->n; g++)
		layers[g] = 0;
	if (desc)
		describe(ld, sc, -1, 0, NULL, 0, desc, desc_n);
	*evp = ev;
	*np = n;
	return 0;
}

int llm_build(const struct llm_load *ld, const struct llm_scenario *sc, const struct topo *topo,
	      struct trace_event **evp, size_t *np, int *layers, char *desc, size_t desc_n,
	      char **cause)
{
	if (ld->fixed)
		return build_fixed(ld, sc, topo, evp, np, layers, desc, desc_n, cause);
	int G = topo->n, total = (int)ld->n_layer + 1;
	int ngl = sc->n_gpu_layers >= 0 ? sc->n_gpu_layers : ld->rec_n_gpu_layers;
	if (ngl > total)
		return util_err(cause, UTIL_EINPUT, "--num-gpu %d: the model has only %d layers "
				"(%u repeating + output)", ngl, total, ld->n_layer);
	if (sc->n_split && sc->n_split != G)
		return util_err(cause, UTIL_EINPUT, "--split has %d entries but --gpus gives %d GPUs",
				sc->n_split, G);
	double split[TOPO_MAX_GPUS] = { 0 };
	for (int g = 0; g < G; g++) {
		if (sc->n_split)
			split[g] = sc->split[g];
		else /* llama.cpp default: proportional to each device's free memory */
			split[g] = (double)(topo->capacity[g] > sc->reserve ? topo->capacity[g] - sc->reserve : 0);
	}
	int first[TOPO_MAX_GPUS], count[TOPO_MAX_GPUS];
	int start = llm_assign(ld->n_layer, ngl, split, G, first, count);
	uint64_t kvl = llm_kv_layer(ld, sc);
	struct trace_event *ev = NULL;
	size_t n = 0, alloc = 0;
	int holders[TOPO_MAX_GPUS], nh = 0;
	for (int g = 0; g < G; g++) {
		layers[g] = count[g];
		if (count[g])
			holders[nh++] = g;
	}
	/* load_tensors: host weights, then each GPU's slice */
	uint64_t host_w = ld->host_fixed;
	for (int l = 0; l < start; l++)
		host_w += ld->layer_w[l];
	push(&ev, &n, &alloc, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS, host_w, 0, start - 1);
	for (int g = 0; g < G; g++) {
		if (!count[g])
			continue;
		uint64_t w = 0;
		for (int l = first[g]; l < first[g] + count[g]; l++)
			w += ld->layer_w[l];
		push(&ev, &n, &alloc, TRACE_ALLOC, g, TRACE_CAT_WEIGHTS, w, first[g],
		     first[g] + count[g] - 1);
	}
	if (ld->other_gpu && nh)
		push(&ev, &n, &alloc, TRACE_ALLOC, holders[0], TRACE_CAT_OTHER, ld->other_gpu, -1, -1);
	/* KV: one per layer's owner; the output layer has none */
	push(&ev, &n, &alloc, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_KV,
	     kvl * (uint64_t)(start < (int)ld->n_layer ? start : (int)ld->n_layer), 0, start - 1);
	for (int g = 0; g < G; g++) {
		if (!count[g])
			continue;
		int hi = first[g] + count[g] - 1, lo = first[g];
		int rep = (hi >= (int)ld->n_layer ? (int)ld->n_layer - 1 : hi) - lo + 1;
		if (rep > 0)
			push(&ev, &n, &alloc, TRACE_ALLOC, g, TRACE_CAT_KV, kvl * (uint64_t)rep, lo,
			     lo + rep - 1);
	}
	/* compute buffers: main, middle, last */
	int out_gpu = ngl > 0 ? holders[nh - 1] : -1;
	for (int k = 0; k < nh; k++) {
		int g = holders[k];
		int role = nh == 1 ? LLM_ROLE_SINGLE
			 : k == 0 ? LLM_ROLE_MAIN : k == nh - 1 ? LLM_ROLE_LAST : LLM_ROLE_MID;
		if (nh > 1 && sc->main_gpu >= 0 && sc->main_gpu < G && count[sc->main_gpu]) {
			/* --main-gpu moves the main role, the rest keep theirs */
			if (g == sc->main_gpu)
				role = LLM_ROLE_MAIN;
			else if (role == LLM_ROLE_MAIN)
				role = LLM_ROLE_MID;
		}
		int holds_out = g == out_gpu && first[g] + count[g] - 1 == (int)ld->n_layer;
		push(&ev, &n, &alloc, TRACE_ALLOC, g, TRACE_CAT_COMPUTE,
		     llm_compute(ld, sc, role, holds_out), -1, -1);
		if (ld->context)
			push(&ev, &n, &alloc, TRACE_ALLOC, g, TRACE_CAT_CONTEXT, ld->context, -1, -1);
	}
	int ub = sc->ubatch ? sc->ubatch : ld->ubatch;
	push(&ev, &n, &alloc, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_COMPUTE,
	     (uint64_t)llround((double)ld->comp_host * ub / ld->ubatch), -1, -1);
	push(&ev, &n, &alloc, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_OUTPUT, ld->out_host, -1, -1);

	if (desc)
		describe(ld, sc, ngl, total, count, G, desc, desc_n);
	*evp = ev;
	*np = n;
	return 0;
}

static void describe(const struct llm_load *ld, const struct llm_scenario *sc, int ngl, int total,
		     const int *count, int G, char *desc, size_t desc_n)
{
	uint64_t cells = scen_cells(ld, sc);
	int par = sc->parallel ? sc->parallel : ld->parallel;
	int ub = sc->ubatch ? sc->ubatch : ld->ubatch;
	char ctxs[32];
	if (cells)
		snprintf(ctxs, sizeof(ctxs), "%llu", (unsigned long long)(cells / (uint64_t)par));
	else
		snprintf(ctxs, sizeof(ctxs), "unknown");
	int off = snprintf(desc, desc_n, "ctx %s x %d slot%s, ubatch %d, flash-attn %s, kv %s", ctxs,
			   par, par == 1 ? "" : "s", ub,
			   (sc->flash_attn >= 0 ? sc->flash_attn : ld->flash_attn) ? "on" : "off",
			   sc->kv_type[0] ? sc->kv_type : ld->type_k);
	if (scen_amb(ld, sc) > 0 && off > 0 && (size_t)off < desc_n)
		off += snprintf(desc + off, desc_n - (size_t)off, ", amb %d MiB", scen_amb(ld, sc));
	if (!count) {
		snprintf(desc + off, desc_n - (size_t)off, ", recorded placement");
		return;
	}
	off += snprintf(desc + off, desc_n - (size_t)off, ", %d/%d layers on GPUs, split ",
			ngl < 0 ? total : ngl, total);
	for (int g = 0; g < G && off > 0 && (size_t)off < desc_n; g++)
		off += snprintf(desc + off, desc_n - (size_t)off, "%s%d", g ? "," : "", count[g]);
}
