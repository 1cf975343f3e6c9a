/*
 * quant.h - tensor bytes of a GGUF model from its hyper-parameters and
 * quantisation, by llama.cpp's per-tensor type rules, for models whose
 * file is not at hand (a GGUF profile gives exact sizes instead).
 */
#ifndef VRAMSIM_QUANT_H
#define VRAMSIM_QUANT_H

#include <stdint.h>

/*
 * Tensor bytes of a llama-architecture model quantised as quant ("Q4_K_M",
 * "Q8_0", "F16") under llama.cpp's per-tensor type rules
 * (src/llama-quant.cpp llama_tensor_get_type): layer_w[0..n_layer),
 * *output (output + output_norm), *token_embd. UTIL_EINPUT for another
 * quantisation.
 */
int quant_llama_sizes(const char *quant, uint32_t n_layer, uint32_t embd, uint32_t heads,
		      uint32_t kv_heads, uint32_t ff, uint32_t vocab, uint64_t *layer_w,
		      uint64_t *output, uint64_t *token_embd, char **cause);

#endif
