/*
 * quant.c - GGUF tensor bytes from hyper-parameters (llama.cpp's rules).
 */
#include "quant.h"
#include "util.h"

#include <string.h>
#include <strings.h>

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

int quant_llama_sizes(const char *quant, uint32_t n_layer, uint32_t embd, uint32_t heads,
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

