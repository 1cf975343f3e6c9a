/*
 * profile.h - a model profile: the per-layer sizes and hyper-parameters
 * that let the simulator split a per-device buffer into layers and regroup
 * them on other devices, and scale KV and compute buffers.
 *
 * It comes from a GGUF header (exact) or from a server log's metadata and
 * per-device totals (approximate: approx = 1).
 */
#ifndef VRAMSIM_PROFILE_H
#define VRAMSIM_PROFILE_H

#include <stdint.h>
#include <stddef.h>

/* Tensor groups per layer. Stored by name in the store. */
enum profile_group {
	PROFILE_ATTN = 0,   /* attention weights (q, k, v, o, norms) */
	PROFILE_FFN,        /* dense feed-forward weights */
	PROFILE_FFN_EXPS,   /* MoE expert weights (ffn_*_exps) */
	PROFILE_NORM,       /* norms and other small per-layer tensors */
	PROFILE_OTHER,      /* everything else in a layer */
	PROFILE_GROUP_MAX
};

/* Layer numbers used for non-repeating tensors. */
#define PROFILE_LAYER_INPUT (-1)  /* token embeddings: stay on the host */
/* The output layer (output.weight, output_norm) is layer n_layer. */

/* Bytes of one tensor group in one layer. */
struct profile_part {
	int32_t  layer;   /* PROFILE_LAYER_INPUT, 0..n_layer-1, or n_layer */
	int16_t  group;   /* enum profile_group */
	uint64_t bytes;
};

/*
 * A profile. Unknown numbers are 0. Ownership: parts is heap memory owned
 * by the profile; free it with profile_clear().
 */
struct profile {
	char     name[128];      /* general.name or log model name */
	char     arch[32];       /* general.architecture: "llama", ... */
	int      approx;         /* 1: derived from a log, not a GGUF */
	uint32_t n_layer;        /* repeating blocks */
	uint32_t n_embd;
	uint32_t n_head;
	uint32_t n_head_kv;
	uint32_t head_dim_k;     /* key length per head (n_embd/n_head if absent) */
	uint32_t head_dim_v;
	uint32_t n_vocab;
	uint32_t n_ctx_train;
	uint32_t n_expert;
	uint32_t n_expert_used;
	uint32_t n_ff;
	uint64_t file_size;      /* bytes of the model file, 0 if unknown */
	struct profile_part *parts;
	size_t   n_parts;
	size_t   alloc_parts;
};

/* Names of groups: "attn", "ffn", ... ; and parse back (-1 if unknown). */
const char *profile_group_name(int group);
int profile_group_parse(const char *name);

/* Add bytes to (layer, group), merging with an existing part. */
void profile_add(struct profile *p, int32_t layer, int group, uint64_t bytes);

/* Total bytes of layer (all groups), and of layers lo..hi inclusive. */
uint64_t profile_layer_bytes(const struct profile *p, int32_t layer);
uint64_t profile_range_bytes(const struct profile *p, int32_t lo, int32_t hi);

/* Free parts and zero the struct. NULL-safe. */
void profile_clear(struct profile *p);

#endif
