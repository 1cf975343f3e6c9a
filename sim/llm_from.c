/*
 * llm_from.c - loads made from a model description instead of a recorded
 * log: `--model layers=..,embd=..` (hyper-parameters) and a GGUF profile
 * alone. Same struct llm_load as a decomposed log, so llm_build places
 * them by the same rules (llm.h).
 */
#include "llm.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A --model number: 1..max (sizes: a size up to 1 PiB). */
static int spec_num(const char *v, uint64_t *out, uint64_t max, char **cause, const char *key)
{
	if (!max) {
		int rc = topo_parse_size(v, 1, out, cause);
		if (!rc && *out > (1ull << 50))
			rc = util_err(cause, UTIL_EINPUT, "--model: '%s=%s': too large", key, v);
		return rc;
	}
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (end == v || *end || errno || x == 0 || x > max || *v == '-')
		return util_err(cause, UTIL_EINPUT, "--model: '%s=%s': expected a number from 1 to %llu",
				key, v, (unsigned long long)max);
	*out = x;
	return 0;
}

int llm_from_spec(const char *spec, struct llm_load *ld, char **cause)
{
	memset(ld, 0, sizeof(*ld));
	uint64_t layers = 0, embd = 0, heads = 0, kvh = 0, vocab = 0, size = 0, ff = 0;
	uint64_t ctx = 2048, par = 1, ub = 512, fa = 0;
	char kv[16] = "f16";
	char *copy = util_xstrdup(spec), *save = NULL;
	int rc = 0;
	for (char *kvp = strtok_r(copy, ",", &save); kvp && !rc; kvp = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kvp, '=');
		if (!eq) {
			rc = util_err(cause, UTIL_EINPUT, "--model: '%s': expected key=value", kvp);
			break;
		}
		*eq = '\0';
		const char *k = kvp, *v = eq + 1;
		if (!strcmp(k, "layers")) rc = spec_num(v, &layers, LLM_MAX_LAYERS, cause, k);
		else if (!strcmp(k, "embd")) rc = spec_num(v, &embd, 1u << 20, cause, k);
		else if (!strcmp(k, "heads")) rc = spec_num(v, &heads, 1u << 16, cause, k);
		else if (!strcmp(k, "kv_heads")) rc = spec_num(v, &kvh, 1u << 16, cause, k);
		else if (!strcmp(k, "vocab")) rc = spec_num(v, &vocab, 1u << 24, cause, k);
		else if (!strcmp(k, "ff")) rc = spec_num(v, &ff, 1u << 24, cause, k);
		else if (!strcmp(k, "size")) rc = spec_num(v, &size, 0, cause, k);
		else if (!strcmp(k, "ctx")) rc = spec_num(v, &ctx, 1u << 30, cause, k);
		else if (!strcmp(k, "parallel")) rc = spec_num(v, &par, 4096, cause, k);
		else if (!strcmp(k, "ubatch")) rc = spec_num(v, &ub, 1u << 20, cause, k);
		else if (!strcmp(k, "fa")) fa = strcmp(v, "on") == 0 || strcmp(v, "1") == 0;
		else if (!strcmp(k, "kv")) {
			if (llm_kv_bytes(v) == 0)
				rc = util_err(cause, UTIL_EINPUT, "--model: unknown KV type '%s'", v);
			snprintf(kv, sizeof(kv), "%s", v);
		} else if (!strcmp(k, "name")) snprintf(ld->model, sizeof(ld->model), "%s", v);
		else rc = util_err(cause, UTIL_EINPUT, "--model: unknown key '%s' (layers, embd, heads, "
				   "kv_heads, vocab, ff, size, ctx, parallel, ubatch, fa, kv, name)", k);
	}
	free(copy);
	if (rc)
		return rc;
	if (!layers || !embd || !heads || !vocab || !size || layers > LLM_MAX_LAYERS)
		return util_err(cause, UTIL_EINPUT, "--model needs layers, embd, heads, vocab and size "
				"(e.g. layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G)");
	if (!kvh)
		kvh = heads;
	if (kvh > heads || heads > embd)
		return util_err(cause, UTIL_EINPUT, "--model: expected kv_heads <= heads <= embd");
	if (!ff)
		ff = embd * 7 / 2;
	ld->n_layer = (uint32_t)layers;
	ld->n_embd = (uint32_t)embd;
	ld->n_head = (uint32_t)heads;
	ld->n_head_kv = (uint32_t)kvh;
	ld->n_vocab = (uint32_t)vocab;
	ld->approx = 1;
	/* Parameters of a llama-style layer: q,o (embd^2 each), k,v (embd x
	 * embd*kvh/heads each), gate/up/down (3 x embd x ff); embeddings and
	 * output vocab x embd each. Bytes spread evenly over parameters. */
	double p_layer = 2.0 * embd * embd + 2.0 * embd * embd * kvh / heads + 3.0 * embd * ff;
	double p_emb = (double)vocab * embd;
	double bpp = (double)size / (layers * p_layer + 2 * p_emb);
	for (uint64_t l = 0; l < layers; l++)
		ld->layer_w[l] = (uint64_t)llround(p_layer * bpp);
	ld->layer_w[layers] = (uint64_t)llround(p_emb * bpp);
	ld->host_fixed = (uint64_t)llround(p_emb * bpp);
	ld->cells = ctx * par;
	ld->parallel = (int)par;
	ld->ubatch = (int)ub;
	ld->batch = (int)ub;
	ld->flash_attn = (int)fa;
	snprintf(ld->type_k, sizeof(ld->type_k), "%s", kv);
	snprintf(ld->type_v, sizeof(ld->type_v), "%s", kv);
	/* KV per layer = cells x (k + v) x head_dim x kv_heads x bytes */
	ld->kv_layer = (uint64_t)llround((double)ld->cells * 2.0 * (double)(embd / heads) * (double)kvh *
					 llm_kv_bytes(kv));
	ld->rec_gpus = 1;
	ld->rec_n_gpu_layers = (int)layers + 1;
	ld->rec_layers[0] = (int)layers + 1;
	/* Compute: no recording, so only the terms llama.cpp's graph is known
	 * to be dominated by: KQ (via llm_compute) plus per-token activations
	 * of about 4 x (embd + ff) floats per token of the micro-batch. */
	for (int r = 0; r < LLM_ROLES; r++) {
		ld->comp_rest[r] = (uint64_t)(4.0 * (double)(embd + ff) * 4.0 * (double)ub);
		ld->have_role[r] = 1;
	}
	ld->n_copies = 1;
	llm_note(ld, "model described by --model: layer and compute sizes are estimates from "
		 "hyper-parameters, not a recorded load");
	return 0;
}

int llm_from_profile(const struct profile *p, uint64_t ctx, struct llm_load *ld, char **cause)
{
	memset(ld, 0, sizeof(*ld));
	if (!p->n_layer || p->n_layer > LLM_MAX_LAYERS || !p->n_embd || !p->n_head)
		return util_err(cause, UTIL_EINPUT, "profile '%s' lacks the layer count, width or heads "
				"a load needs", p->name);
	snprintf(ld->model, sizeof(ld->model), "%s", p->name);
	ld->have_profile = 1;
	ld->n_layer = p->n_layer;
	ld->n_embd = p->n_embd;
	ld->n_head = p->n_head;
	ld->n_head_kv = p->n_head_kv ? p->n_head_kv : p->n_head;
	ld->n_vocab = p->n_vocab;
	ld->n_ctx_train = p->n_ctx_train;
	for (uint32_t l = 0; l <= p->n_layer; l++)
		ld->layer_w[l] = profile_layer_bytes(p, (int32_t)l);
	ld->host_fixed = profile_layer_bytes(p, PROFILE_LAYER_INPUT);
	ld->parallel = 1;
	ld->ubatch = 512;   /* llama.cpp's default -ub */
	ld->batch = 2048;   /* and -b */
	snprintf(ld->type_k, sizeof(ld->type_k), "f16");
	snprintf(ld->type_v, sizeof(ld->type_v), "f16");
	/* The load's own settings are the server's defaults; --ctx is a
	 * what-if on top (so "no effect" checks compare alike). */
	uint64_t dflt = p->n_ctx_train && p->n_ctx_train < 4096 ? p->n_ctx_train : 4096;
	if (!ctx)
		llm_note(ld, "no --ctx: %llu tokens (llama-server's default context is 4096)",
		     (unsigned long long)dflt);
	ctx = dflt;
	ld->cells = ctx;
	/* KV per layer: cells x n_head_kv x (head_dim_k + head_dim_v) x 2 B
	 * (f16; llama.cpp llama_kv_cache, n_embd_k_gqa + n_embd_v_gqa). */
	double hk = p->head_dim_k ? p->head_dim_k : (double)p->n_embd / p->n_head;
	double hv = p->head_dim_v ? p->head_dim_v : hk;
	ld->kv_layer = (uint64_t)llround((double)ctx * ld->n_head_kv * (hk + hv) * 2.0);
	ld->rec_gpus = 1;
	ld->rec_n_gpu_layers = (int)p->n_layer + 1;
	ld->rec_layers[0] = (int)p->n_layer + 1;
	/* No recorded compute buffer: the same hyper-parameter estimate as
	 * llm_from_spec (KQ via llm_compute plus activations). */
	double ff = p->n_ff ? p->n_ff : p->n_embd * 7.0 / 2;
	for (int r = 0; r < LLM_ROLES; r++) {
		ld->comp_rest[r] = (uint64_t)(4.0 * (p->n_embd + ff) * 4.0 * ld->ubatch);
		ld->have_role[r] = 1;
	}
	ld->n_copies = 1;
	llm_note(ld, "model from its GGUF profile alone: weights per layer exact, KV from the model's "
		 "shape, compute an estimate from hyper-parameters (no recorded load)");
	return 0;
}
