/*
 * gguf_synth.h - a header-only GGUF for a model never downloaded: from
 * hyper-parameters (the --model key=value syntax) to the bytes of a GGUF
 * header whose tensors have the shapes llama.cpp's loader creates for the
 * architecture and the types llama.cpp's quantizer would give them for
 * the file type (Q4_K_M, ...). The tensor data is never written: the
 * file is the header followed by a hole of the right logical size.
 *
 * Architectures covered (tensor sets from llama.cpp src/models/<arch>.cpp
 * load_tensors, keys from load_arch_hparams, at the v0.5.0 bundle of
 * node-llama-cpp 3.22.1):
 *   llama      Llama 2/3 family; with experts=N, the Mixtral layout
 *              (ffn_{gate,up,down}_exps and the router ffn_gate_inp)
 *   qwen2      Qwen2/2.5 (q/k/v biases)
 *   qwen3      Qwen3 dense (q/k norms, head_dim may differ from embd/heads)
 *   qwen3moe   Qwen3 MoE (experts, experts_used, expert_ff)
 *   gemma2     sliding-window attention every other layer (window 4096)
 *   gemma3     sliding-window attention, 5 local layers per global one
 * File types: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q3_K_M
 * Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K (the i-quants need an
 * importance matrix whose choices a header cannot know; refused).
 */
#ifndef VRAMSIM_GGUF_SYNTH_H
#define VRAMSIM_GGUF_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* What a synthesised model is made of. 0 means "not given". */
struct gguf_synth_params {
	char     arch[16];       /* "llama" if empty */
	char     name[64];       /* general.name; a description if empty */
	uint32_t n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab;
	uint32_t n_ctx_train;    /* default 8192 */
	uint32_t n_expert, n_expert_used, n_ff_exp;
	uint32_t swa_window, swa_pattern; /* gemma2/3: their defaults if 0 */
	int      ftype;          /* llama_ftype, -1: choose from size */
	uint64_t size;           /* size=: the file size to match, or 0 */
};

/*
 * Parse "layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,ftype=Q4_K_M"
 * into *p. Keys: arch, name, layers, embd, heads, kv_heads, head_dim, ff,
 * vocab, ctx_train, experts, experts_used, expert_ff, swa, swa_pattern,
 * ftype, size; and the scenario keys of sim/llm.c's --model (ctx,
 * parallel, ubatch, fa, kv), accepted and left to the scenario.
 * Needs layers, embd, heads and vocab; ftype or size (size alone picks
 * the file type whose synthesised file is nearest to it); defaults:
 * kv_heads = heads, head_dim = embd / heads, ff = embd * 7 / 2 (sim/llm.c's
 * default), ctx_train 8192. Returns 0 or UTIL_EINPUT with *cause
 * (malloc'd) naming the key and what was expected.
 */
int gguf_synth_parse(const char *spec, struct gguf_synth_params *p, char **cause);

/*
 * The header of the model p describes: *buf (malloc'd, the caller frees
 * it) of *len bytes, and the size the whole file must have. If p->ftype
 * is -1 it is chosen from p->size and written back. Returns 0, or
 * UTIL_EINPUT with *cause for a shape the architecture cannot have
 * (heads not dividing embd without head_dim, kv_heads not dividing
 * heads, an MoE architecture without experts, ...).
 */
int gguf_synth_build(struct gguf_synth_params *p, unsigned char **buf, size_t *len,
		     uint64_t *file_size, char **cause);

/* "Q4_K_M" for a llama_ftype this module knows, else NULL; and back
 * (case-insensitive; -1 if unknown). */
const char *gguf_synth_ftype_name(int ftype);
int gguf_synth_ftype_parse(const char *name);

#endif
