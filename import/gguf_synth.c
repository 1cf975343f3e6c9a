/*
 * gguf_synth.c - header-only GGUFs from hyper-parameters.
 *
 * Three sources, all llama.cpp at the v0.5.0 bundle of node-llama-cpp
 * 3.22.1 (facts taken, no code):
 *  - tensor names and shapes: src/models/<arch>.cpp, load_tensors();
 *  - the keys the loader requires: src/llama-model.cpp
 *    llama_model_base::load_hparams() (context_length, embedding_length,
 *    block_count) and each arch's load_arch_hparams()
 *    (attention.layer_norm_rms_epsilon; expert counts for qwen3moe);
 *    the vocabulary: src/llama-vocab.cpp llama_vocab::impl::load(), whose
 *    "llama" (SentencePiece) model needs only tokens (scores and types
 *    optional, written anyway) and looks up the byte token <0x0A>;
 *  - tensor types: src/llama-quant.cpp llama_tensor_get_type() and
 *    llama_tensor_get_type_impl() (the per-category rules of each file
 *    type), tensor_allows_quantization() (only 2-D and 3-D "*weight"
 *    tensors, never norms or the MoE router), tensor_type_fallback()
 *    (rows that are not whole blocks), llama_ftype_get_default_type().
 */
#include "gguf_synth.h"
#include "gguf_file.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GGUF_SYNTH_MAX_SIZE (1ull << 50)  /* 1 PiB: beyond any model */

/* ggml type ids (ggml.h enum ggml_type). */
enum {
	T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8,
	T_Q2_K = 10, T_Q3_K = 11, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_BF16 = 30
};

/* llama_ftype ids (llama.h) of the file types covered. */
enum {
	F_F32 = 0, F_F16 = 1, F_Q4_0 = 2, F_Q4_1 = 3, F_Q8_0 = 7, F_Q5_0 = 8, F_Q5_1 = 9,
	F_Q2_K = 10, F_Q3_K_S = 11, F_Q3_K_M = 12, F_Q3_K_L = 13, F_Q4_K_S = 14, F_Q4_K_M = 15,
	F_Q5_K_S = 16, F_Q5_K_M = 17, F_Q6_K = 18, F_BF16 = 32
};

static const struct {
	const char *name;
	int ftype;
	uint32_t type;  /* llama_ftype_get_default_type() */
} ftypes[] = {
	{ "F32", F_F32, T_F32 },       { "F16", F_F16, T_F16 },       { "BF16", F_BF16, T_BF16 },
	{ "Q4_0", F_Q4_0, T_Q4_0 },    { "Q4_1", F_Q4_1, T_Q4_1 },    { "Q5_0", F_Q5_0, T_Q5_0 },
	{ "Q5_1", F_Q5_1, T_Q5_1 },    { "Q8_0", F_Q8_0, T_Q8_0 },    { "Q2_K", F_Q2_K, T_Q2_K },
	{ "Q3_K_S", F_Q3_K_S, T_Q3_K }, { "Q3_K_M", F_Q3_K_M, T_Q3_K }, { "Q3_K_L", F_Q3_K_L, T_Q3_K },
	{ "Q4_K_S", F_Q4_K_S, T_Q4_K }, { "Q4_K_M", F_Q4_K_M, T_Q4_K }, { "Q5_K_S", F_Q5_K_S, T_Q5_K },
	{ "Q5_K_M", F_Q5_K_M, T_Q5_K }, { "Q6_K", F_Q6_K, T_Q6_K },
};

const char *gguf_synth_ftype_name(int ftype)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ftypes); i++)
		if (ftypes[i].ftype == ftype)
			return ftypes[i].name;
	return NULL;
}

int gguf_synth_ftype_parse(const char *name)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ftypes); i++)
		if (strcasecmp(ftypes[i].name, name) == 0)
			return ftypes[i].ftype;
	return -1;
}

static uint32_t default_type(int ftype)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ftypes); i++)
		if (ftypes[i].ftype == ftype)
			return ftypes[i].type;
	return T_F16;
}

static int is_quantized(uint32_t type)
{
	return type != T_F32 && type != T_F16 && type != T_BF16;
}

/* ---- architectures ---- */

enum arch_flags {
	A_QK_NORM   = 1 << 0,  /* attn_q_norm / attn_k_norm per layer (qwen3, gemma3) */
	A_QKV_BIAS  = 1 << 1,  /* attn_{q,k,v}.bias (qwen2) */
	A_POST_NORM = 1 << 2,  /* post_attention_norm, post_ffw_norm (gemma2/3) */
	A_TIED      = 1 << 3,  /* no output.weight: token_embd is the output */
	A_MOE_ONLY  = 1 << 4,  /* every layer is MoE; needs experts */
	A_SWA       = 1 << 5,  /* sliding-window attention keys */
	A_MOE_OK    = 1 << 6,  /* experts=N turns the FFN into ffn_*_exps */
};

static const struct arch {
	const char *name;
	unsigned flags;
	uint32_t swa_window, swa_pattern; /* defaults from load_arch_hparams */
	float rope_base;
} arches[] = {
	{ "llama",    A_MOE_OK, 0, 0, 500000.0f },
	{ "qwen2",    A_QKV_BIAS, 0, 0, 1000000.0f },
	{ "qwen3",    A_QK_NORM, 0, 0, 1000000.0f },
	{ "qwen3moe", A_QK_NORM | A_MOE_ONLY, 0, 0, 1000000.0f },
	{ "gemma2",   A_POST_NORM | A_TIED | A_SWA, 4096, 2, 10000.0f },
	{ "gemma3",   A_QK_NORM | A_POST_NORM | A_TIED | A_SWA, 1024, 6, 1000000.0f },
};

static const struct arch *arch_find(const char *name)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(arches); i++)
		if (strcmp(arches[i].name, name) == 0)
			return &arches[i];
	return NULL;
}

/* ---- the spec ---- */

static int num(const char *k, const char *v, uint64_t max, uint32_t *out, char **cause)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (end == v || *end || errno || x == 0 || x > max || *v == '-')
		return util_err(cause, UTIL_EINPUT, "--model: '%s=%s': expected a number from 1 to %llu",
				k, v, (unsigned long long)max);
	*out = (uint32_t)x;
	return 0;
}

/* "42G", "42.5GB", "40000M", bytes: decimal or binary units as sim's
 * topology sizes read them (G = GiB). */
static int size_arg(const char *k, const char *v, uint64_t *out, char **cause)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	double mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024.0, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024.0 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1024.0 * 1024 * 1024, end++;
	else if (*end == 'T' || *end == 't')
		mul = 1024.0 * 1024 * 1024 * 1024, end++;
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (end == v || *end || errno || !(x > 0) || x * mul > (double)(1ull << 50))
		return util_err(cause, UTIL_EINPUT, "--model: '%s=%s': expected a size such as 42G",
				k, v);
	*out = (uint64_t)(x * mul);
	return 0;
}

static int parse_kv(struct gguf_synth_params *p, const char *k, const char *v, char **cause)
{
	static const struct {
		const char *key;
		size_t off;
		uint64_t max;
	} nums[] = {
		{ "layers", offsetof(struct gguf_synth_params, n_layer), 4096 },
		{ "embd", offsetof(struct gguf_synth_params, n_embd), 1u << 20 },
		{ "heads", offsetof(struct gguf_synth_params, n_head), 1u << 16 },
		{ "kv_heads", offsetof(struct gguf_synth_params, n_head_kv), 1u << 16 },
		{ "head_dim", offsetof(struct gguf_synth_params, head_dim), 1u << 16 },
		{ "ff", offsetof(struct gguf_synth_params, n_ff), 1u << 24 },
		/* the largest real vocabulary is 262 k tokens; each one is a
		 * string in the header */
		{ "vocab", offsetof(struct gguf_synth_params, n_vocab), 1u << 20 },
		{ "ctx_train", offsetof(struct gguf_synth_params, n_ctx_train), 1u << 30 },
		{ "experts", offsetof(struct gguf_synth_params, n_expert), 1u << 12 },
		{ "experts_used", offsetof(struct gguf_synth_params, n_expert_used), 1u << 12 },
		{ "expert_ff", offsetof(struct gguf_synth_params, n_ff_exp), 1u << 24 },
		{ "swa", offsetof(struct gguf_synth_params, swa_window), 1u << 30 },
		{ "swa_pattern", offsetof(struct gguf_synth_params, swa_pattern), 1024 },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(nums); i++)
		if (strcmp(k, nums[i].key) == 0)
			return num(k, v, nums[i].max, (uint32_t *)((char *)p + nums[i].off), cause);
	if (strcmp(k, "arch") == 0) {
		if (!arch_find(v))
			return util_err(cause, UTIL_EINPUT, "--model: 'arch=%s': the synthesiser covers "
					"llama, qwen2, qwen3, qwen3moe, gemma2 and gemma3", v);
		snprintf(p->arch, sizeof(p->arch), "%s", v);
		return 0;
	}
	if (strcmp(k, "name") == 0) {
		snprintf(p->name, sizeof(p->name), "%s", v);
		return 0;
	}
	if (strcmp(k, "ftype") == 0) {
		p->ftype = gguf_synth_ftype_parse(v);
		if (p->ftype < 0)
			return util_err(cause, UTIL_EINPUT, "--model: 'ftype=%s': expected one of F32 F16 "
					"BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S "
					"Q4_K_M Q5_K_S Q5_K_M Q6_K", v);
		return 0;
	}
	if (strcmp(k, "size") == 0)
		return size_arg(k, v, &p->size, cause);
	/* Scenario keys of the same option: not part of the model. */
	static const char *const scen[] = { "ctx", "parallel", "ubatch", "fa", "kv" };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(scen); i++)
		if (strcmp(k, scen[i]) == 0)
			return 0;
	return util_err(cause, UTIL_EINPUT, "--model: unknown key '%s' (arch, name, layers, embd, "
			"heads, kv_heads, head_dim, ff, vocab, ctx_train, experts, experts_used, "
			"expert_ff, swa, swa_pattern, ftype, size, ctx, parallel, ubatch, fa, kv)", k);
}

int gguf_synth_parse(const char *spec, struct gguf_synth_params *p, char **cause)
{
	memset(p, 0, sizeof(*p));
	p->ftype = -1;
	char *copy = util_xstrdup(spec), *save = NULL;
	int rc = 0;
	for (char *kv = strtok_r(copy, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq) {
			rc = util_err(cause, UTIL_EINPUT, "--model: '%s': expected key=value", kv);
			break;
		}
		*eq = '\0';
		rc = parse_kv(p, kv, eq + 1, cause);
	}
	free(copy);
	if (rc)
		return rc;
	if (!p->n_layer || !p->n_embd || !p->n_head || !p->n_vocab)
		return util_err(cause, UTIL_EINPUT, "--model needs layers, embd, heads and vocab "
				"(e.g. layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,ftype=Q4_K_M)");
	if (p->ftype < 0 && !p->size)
		return util_err(cause, UTIL_EINPUT, "--model needs ftype (e.g. ftype=Q4_K_M) or size "
				"(the file size, e.g. size=42G: the nearest file type is chosen)");
	return 0;
}

/* ---- tensor types: llama-quant.cpp's rules for the covered types ---- */

/* Per-file counters the quantizer keeps (quantize_state_impl). */
struct qstate {
	const struct gguf_synth_params *p;
	int ftype;
	int is_70b;        /* llama_model type LLM_TYPE_70B */
	int n_attn_v, i_attn_v;
	int i_ffn_down;
	int tied;
};

/* llama-quant.cpp use_more_bits */
static int more_bits(int i, int n)
{
	return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

static uint32_t blck(uint32_t type)
{
	return gguf_file_type(type)->blck;
}

/* tensor_type_fallback: a row that is not whole blocks of the target. */
static uint32_t fallback(uint64_t ncols, uint32_t t)
{
	if (ncols % blck(t) == 0)
		return t;
	uint32_t r = t;
	switch (t) {
	case T_Q2_K: case T_Q3_K: r = T_Q4_0; break;
	case T_Q4_K: r = T_Q5_0; break;
	case T_Q5_K: r = T_Q5_1; break;
	case T_Q6_K: r = T_Q8_0; break;
	default: break;
	}
	return ncols % blck(r) == 0 ? r : T_F16;
}

enum cat { C_OUTPUT, C_TOKEN_EMBD, C_ATTN_V, C_ATTN_K, C_ATTN_Q, C_ATTN_OUT, C_FFN_DOWN,
	   C_OTHER };

/* tensor_get_category, for the names this module writes. */
static enum cat category(const char *name)
{
	if (strcmp(name, "output.weight") == 0)
		return C_OUTPUT;
	if (strcmp(name, "token_embd.weight") == 0)
		return C_TOKEN_EMBD;
	if (strstr(name, "attn_v.weight"))
		return C_ATTN_V;
	if (strstr(name, "attn_k.weight"))
		return C_ATTN_K;
	if (strstr(name, "attn_q.weight"))
		return C_ATTN_Q;
	if (strstr(name, "attn_output.weight"))
		return C_ATTN_OUT;
	if (strstr(name, "ffn_down"))
		return C_FFN_DOWN;
	return C_OTHER;
}

/* llama_tensor_get_type_impl for the covered file types (no i-quants,
 * no imatrix, no user overrides): the branch each category takes. */
static uint32_t rule(struct qstate *q, const char *name, uint64_t ne0, int layer, uint32_t t)
{
	int f = q->ftype, n_layer = (int)q->p->n_layer;
	uint32_t n_gqa = q->p->n_head / q->p->n_head_kv, n_exp = q->p->n_expert;
	enum cat c = category(name);
	if (c == C_OUTPUT || (q->tied && c == C_TOKEN_EMBD))
		return ne0 % blck(t) != 0 ? T_Q8_0 : t != T_Q8_0 ? T_Q6_K : t;
	switch (c) {
	case C_ATTN_V:
		if (f == F_Q2_K)
			t = n_gqa >= 4 ? T_Q4_K : T_Q3_K;
		else if (f == F_Q3_K_M)
			t = q->i_attn_v < 2 ? T_Q5_K : T_Q4_K;
		else if (f == F_Q3_K_L)
			t = T_Q5_K;
		else if ((f == F_Q4_K_M || f == F_Q5_K_M) && more_bits(q->i_attn_v, q->n_attn_v))
			t = T_Q6_K;
		else if (f == F_Q4_K_S && q->i_attn_v < 4)
			t = T_Q5_K;
		if (q->is_70b && (t == T_Q3_K || t == T_Q4_K))
			t = T_Q5_K;
		if (n_exp == 8)
			t = T_Q8_0;
		q->i_attn_v++;
		return t;
	case C_ATTN_K:
		return n_exp == 8 ? T_Q8_0 : t;
	case C_FFN_DOWN: {
		/* With experts the layer comes from the name; else a counter. */
		int i = n_exp > 1 ? layer : q->i_ffn_down;
		if (f == F_Q2_K)
			t = T_Q3_K;
		else if (f == F_Q3_K_M)
			t = i < n_layer / 16 ? T_Q5_K : T_Q4_K;  /* not Falcon */
		else if (f == F_Q3_K_L)
			t = T_Q5_K;
		else if (f == F_Q4_K_M && more_bits(i, n_layer))
			t = T_Q6_K;
		else if (f == F_Q5_K_M && more_bits(i, n_layer))
			t = T_Q6_K;
		else if (f == F_Q4_K_S && i < n_layer / 8)
			t = T_Q5_K;
		q->i_ffn_down++;
		return t;
	}
	case C_ATTN_OUT:
		if (n_exp == 8) {
			if (f == F_Q2_K || f == F_Q3_K_S || f == F_Q3_K_M || f == F_Q4_K_S || f == F_Q4_K_M)
				t = T_Q5_K;
		} else if (f == F_Q2_K) {
			t = T_Q3_K;
		} else if (f == F_Q3_K_M) {
			t = T_Q4_K;
		} else if (f == F_Q3_K_L) {
			t = T_Q5_K;
		}
		return t;
	default:
		return t;
	}
}

/* llama_tensor_get_type: 1-D tensors, norms and the router keep their
 * converted type (F32 as convert_hf_to_gguf.py writes them); the rest
 * follow the rules when the file type is quantized. */
static uint32_t tensor_type(struct qstate *q, const char *name, uint32_t n_dims,
			    const uint64_t *ne, int layer)
{
	int weight = strlen(name) >= 6 && strcmp(name + strlen(name) - 6, "weight") == 0;
	if (n_dims < 2 || !weight || strstr(name, "_norm.weight") || strstr(name, "ffn_gate_inp"))
		return T_F32;
	uint32_t t = default_type(q->ftype);
	if (!is_quantized(t))
		return t;
	return fallback(ne[0], rule(q, name, ne[0], layer, t));
}

/* ---- the header ---- */

struct build {
	struct gguf_file_writer *w;
	struct qstate q;
	char **cause;
	int rc;
};

static void tensor(struct build *b, int layer, const char *base, uint32_t n_dims, uint64_t ne0,
		   uint64_t ne1, uint64_t ne2)
{
	if (b->rc)
		return;
	char name[96];
	if (layer >= 0)
		snprintf(name, sizeof(name), "blk.%d.%s", layer, base);
	else
		snprintf(name, sizeof(name), "%s", base);
	uint64_t ne[3] = { ne0, ne1, ne2 };
	uint32_t t = tensor_type(&b->q, name, n_dims, ne, layer);
	b->rc = gguf_file_put_tensor(b->w, name, n_dims, ne, t, b->cause);
}

static void key_u32(struct gguf_file_writer *w, const char *arch, const char *key, uint32_t v)
{
	char k[96];
	snprintf(k, sizeof(k), "%s.%s", arch, key);
	gguf_file_put_u32(w, k, v);
}

static void key_f32(struct gguf_file_writer *w, const char *arch, const char *key, float v)
{
	char k[96];
	snprintf(k, sizeof(k), "%s.%s", arch, key);
	gguf_file_put_f32(w, k, v);
}

/* A SentencePiece vocabulary of n tokens: <unk>, <s>, </s>, the 256 byte
 * tokens (the loader looks up <0x0A> for the line feed), then filler. */
static void vocab(struct gguf_file_writer *w, uint32_t n)
{
	char **tok = util_xmalloc(n * sizeof(*tok));
	float *score = util_xmalloc(n * sizeof(*score));
	int32_t *type = util_xmalloc(n * sizeof(*type));
	for (uint32_t i = 0; i < n; i++) {
		if (i < 3) {
			static const char *const special[] = { "<unk>", "<s>", "</s>" };
			tok[i] = util_xstrdup(special[i]);
			type[i] = i == 0 ? 2 : 3;  /* llama_token_type UNKNOWN, CONTROL */
		} else if (i < 3 + 256) {
			tok[i] = util_xasprintf("<0x%02X>", i - 3);
			type[i] = 6;                /* BYTE */
		} else {
			tok[i] = util_xasprintf("t%" PRIu32, i);
			type[i] = 1;                /* NORMAL */
		}
		score[i] = -(float)i;
	}
	gguf_file_put_str(w, "tokenizer.ggml.model", "llama");
	gguf_file_put_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)tok, n);
	gguf_file_put_arr_f32(w, "tokenizer.ggml.scores", score, n);
	gguf_file_put_arr_i32(w, "tokenizer.ggml.token_type", type, n);
	gguf_file_put_u32(w, "tokenizer.ggml.unknown_token_id", 0);
	gguf_file_put_u32(w, "tokenizer.ggml.bos_token_id", 1);
	gguf_file_put_u32(w, "tokenizer.ggml.eos_token_id", 2);
	for (uint32_t i = 0; i < n; i++)
		free(tok[i]);
	free(tok);
	free(score);
	free(type);
}

static int check_shape(struct gguf_synth_params *p, const struct arch *a, char **cause)
{
	if (!p->n_head_kv)
		p->n_head_kv = p->n_head;
	if (!p->head_dim && p->n_embd % p->n_head)
		return util_err(cause, UTIL_EINPUT, "--model: heads=%" PRIu32 " does not divide "
				"embd=%" PRIu32 " (give head_dim)", p->n_head, p->n_embd);
	if (!p->head_dim)
		p->head_dim = p->n_embd / p->n_head;
	if (p->n_head_kv > p->n_head || p->n_head % p->n_head_kv)
		return util_err(cause, UTIL_EINPUT, "--model: kv_heads=%" PRIu32 " must divide "
				"heads=%" PRIu32, p->n_head_kv, p->n_head);
	if (!strcmp(a->name, "llama") && p->head_dim != p->n_embd / p->n_head)
		return util_err(cause, UTIL_EINPUT, "--model: llama needs head_dim = embd / heads "
				"(llama.cpp refuses another n_rot for it)");
	if (!p->n_ff)
		p->n_ff = p->n_embd * 7 / 2;
	if (!p->n_ctx_train)
		p->n_ctx_train = 8192;
	if ((a->flags & A_MOE_ONLY) && (!p->n_expert || !p->n_expert_used))
		return util_err(cause, UTIL_EINPUT, "--model: arch=%s needs experts and experts_used",
				a->name);
	if (p->n_expert && !(a->flags & (A_MOE_ONLY | A_MOE_OK)))
		return util_err(cause, UTIL_EINPUT, "--model: arch=%s has no experts (MoE: llama or "
				"qwen3moe)", a->name);
	if (p->n_expert && (!p->n_expert_used || p->n_expert_used > p->n_expert))
		return util_err(cause, UTIL_EINPUT, "--model: experts=%" PRIu32 " needs experts_used "
				"from 1 to %" PRIu32, p->n_expert, p->n_expert);
	if (p->n_expert && !p->n_ff_exp)
		p->n_ff_exp = (a->flags & A_MOE_ONLY) ? p->n_ff / p->n_expert_used : p->n_ff;
	if ((p->swa_window || p->swa_pattern) && !(a->flags & A_SWA))
		return util_err(cause, UTIL_EINPUT, "--model: arch=%s has no sliding-window attention "
				"(gemma2, gemma3)", a->name);
	if (a->flags & A_SWA) {
		if (!p->swa_window)
			p->swa_window = a->swa_window;
		if (!p->swa_pattern)
			p->swa_pattern = a->swa_pattern;
	}
	if (p->n_vocab < 3 + 256)
		return util_err(cause, UTIL_EINPUT, "--model: vocab=%" PRIu32 " is below 259 (the "
				"special and byte tokens)", p->n_vocab);
	return 0;
}

static void metadata(struct gguf_file_writer *w, const struct gguf_synth_params *p,
		     const struct arch *a, int with_vocab)
{
	const char *n = a->name;
	gguf_file_put_str(w, "general.architecture", n);
	char desc[64];
	if (!p->name[0])
		snprintf(desc, sizeof(desc), "synthesised %s %" PRIu32 "L %s", n, p->n_layer,
			 gguf_synth_ftype_name(p->ftype));
	gguf_file_put_str(w, "general.name", p->name[0] ? p->name : desc);
	gguf_file_put_u32(w, "general.file_type", (uint32_t)p->ftype);
	gguf_file_put_u32(w, "general.quantization_version", 2);  /* GGML_QNT_VERSION */
	key_u32(w, n, "block_count", p->n_layer);
	key_u32(w, n, "context_length", p->n_ctx_train);
	key_u32(w, n, "embedding_length", p->n_embd);
	key_u32(w, n, "feed_forward_length", p->n_ff);
	key_u32(w, n, "attention.head_count", p->n_head);
	key_u32(w, n, "attention.head_count_kv", p->n_head_kv);
	key_u32(w, n, "attention.key_length", p->head_dim);
	key_u32(w, n, "attention.value_length", p->head_dim);
	key_u32(w, n, "rope.dimension_count", p->head_dim);
	key_f32(w, n, "rope.freq_base", a->rope_base);
	key_f32(w, n, "attention.layer_norm_rms_epsilon", 1e-6f);
	if (p->n_expert) {
		key_u32(w, n, "expert_count", p->n_expert);
		key_u32(w, n, "expert_used_count", p->n_expert_used);
		if (a->flags & A_MOE_ONLY)
			key_u32(w, n, "expert_feed_forward_length", p->n_ff_exp);
	}
	if (a->flags & A_SWA) {
		key_u32(w, n, "attention.sliding_window", p->swa_window);
		key_u32(w, n, "attention.sliding_window_pattern", p->swa_pattern);
	}
	if (with_vocab)
		vocab(w, p->n_vocab);
}

static void layer(struct build *b, const struct gguf_synth_params *p, const struct arch *a,
		  int i)
{
	uint64_t e = p->n_embd, q = (uint64_t)p->head_dim * p->n_head;
	uint64_t kv = (uint64_t)p->head_dim * p->n_head_kv;
	tensor(b, i, "attn_norm.weight", 1, e, 0, 0);
	tensor(b, i, "attn_q.weight", 2, e, q, 0);
	tensor(b, i, "attn_k.weight", 2, e, kv, 0);
	tensor(b, i, "attn_v.weight", 2, e, kv, 0);
	if (a->flags & A_QKV_BIAS) {
		tensor(b, i, "attn_q.bias", 1, q, 0, 0);
		tensor(b, i, "attn_k.bias", 1, kv, 0, 0);
		tensor(b, i, "attn_v.bias", 1, kv, 0, 0);
	}
	if (a->flags & A_QK_NORM) {
		tensor(b, i, "attn_q_norm.weight", 1, p->head_dim, 0, 0);
		tensor(b, i, "attn_k_norm.weight", 1, p->head_dim, 0, 0);
	}
	tensor(b, i, "attn_output.weight", 2, q, e, 0);
	if (a->flags & A_POST_NORM)
		tensor(b, i, "post_attention_norm.weight", 1, e, 0, 0);
	tensor(b, i, "ffn_norm.weight", 1, e, 0, 0);
	if (p->n_expert) {
		uint64_t f = p->n_ff_exp, x = p->n_expert;
		tensor(b, i, "ffn_gate_inp.weight", 2, e, x, 0);
		tensor(b, i, "ffn_gate_exps.weight", 3, e, f, x);
		tensor(b, i, "ffn_down_exps.weight", 3, f, e, x);
		tensor(b, i, "ffn_up_exps.weight", 3, e, f, x);
	} else {
		tensor(b, i, "ffn_gate.weight", 2, e, p->n_ff, 0);
		tensor(b, i, "ffn_down.weight", 2, p->n_ff, e, 0);
		tensor(b, i, "ffn_up.weight", 2, e, p->n_ff, 0);
	}
	if (a->flags & A_POST_NORM)
		tensor(b, i, "post_ffw_norm.weight", 1, e, 0, 0);
}

static int build_one(struct gguf_synth_params *p, const struct arch *a, int with_vocab,
		     unsigned char **buf, size_t *len, uint64_t *file_size, char **cause)
{
	struct build b = { .w = gguf_file_writer_new(), .cause = cause };
	b.q = (struct qstate){ .p = p, .ftype = p->ftype, .n_attn_v = (int)p->n_layer,
			       .tied = (a->flags & A_TIED) != 0 };
	/* llama-model.cpp: an 80-layer llama with GQA, or an 80-layer qwen2,
	 * is LLM_TYPE_70B, whose attn_v gets Q5_K instead of Q3_K/Q4_K. */
	b.q.is_70b = p->n_layer == 80 && ((!strcmp(a->name, "llama") && p->n_head != p->n_head_kv) ||
					  !strcmp(a->name, "qwen2"));
	metadata(b.w, p, a, with_vocab);
	tensor(&b, -1, "token_embd.weight", 2, p->n_embd, p->n_vocab, 0);
	for (uint32_t i = 0; i < p->n_layer; i++)
		layer(&b, p, a, (int)i);
	tensor(&b, -1, "output_norm.weight", 1, p->n_embd, 0, 0);
	if (!(a->flags & A_TIED))
		tensor(&b, -1, "output.weight", 2, p->n_embd, p->n_vocab, 0);
	if (b.rc == 0 && gguf_file_writer_data_bytes(b.w) > GGUF_SYNTH_MAX_SIZE)
		b.rc = util_err(cause, UTIL_EINPUT, "--model: the model would hold %llu bytes of "
				"tensors, more than 1 PiB", (unsigned long long)
				gguf_file_writer_data_bytes(b.w));
	if (b.rc == 0)
		gguf_file_writer_finish(b.w, buf, len, file_size);
	gguf_file_writer_free(b.w);
	return b.rc;
}

int gguf_synth_build(struct gguf_synth_params *p, unsigned char **buf, size_t *len,
		     uint64_t *file_size, char **cause)
{
	const struct arch *a = arch_find(p->arch[0] ? p->arch : "llama");
	if (!a)
		return util_err(cause, UTIL_EINPUT, "--model: 'arch=%s' is not covered", p->arch);
	snprintf(p->arch, sizeof(p->arch), "%s", a->name);
	int rc = check_shape(p, a, cause);
	if (rc || p->ftype >= 0)
		return rc ? rc : build_one(p, a, 1, buf, len, file_size, cause);
	/* size= alone: the covered file type whose file is nearest. The
	 * vocabulary is the same bytes in every candidate (and most of the
	 * time): measured once, the candidates are built without it. */
	unsigned char *b;
	size_t n, n_novocab;
	uint64_t fs;
	p->ftype = F_F16;
	if ((rc = build_one(p, a, 1, &b, &n, &fs, cause)))
		return rc;
	free(b);
	if ((rc = build_one(p, a, 0, &b, &n_novocab, &fs, cause)))
		return rc;
	free(b);
	uint64_t vocab_bytes = n - n_novocab;
	int best = -1;
	uint64_t best_d = UINT64_MAX;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ftypes); i++) {
		p->ftype = ftypes[i].ftype;
		if (build_one(p, a, 0, &b, &n, &fs, NULL))
			continue;
		free(b);
		fs += vocab_bytes;
		uint64_t d = fs > p->size ? fs - p->size : p->size - fs;
		if (d < best_d)
			best_d = d, best = ftypes[i].ftype;
	}
	if (best < 0)
		return util_err(cause, UTIL_EINPUT, "--model: no file type fits this shape");
	p->ftype = best;
	return build_one(p, a, 1, buf, len, file_size, cause);
}
