/*
 * cu_gguf.c - header-only GGUF writer for the engine tests (see cu_gguf.h).
 */
#include "cu_gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CU_ALIGN 32 /* general.alignment default */

enum { GT_U32 = 4, GT_I32 = 5, GT_F32 = 6, GT_BOOL = 7, GT_STRING = 8, GT_ARRAY = 9 };

struct cu_tensor {
	char name[96];
	int type;
	int64_t ne[4];
	int nd;
};

struct cu_gguf {
	char arch[32];
	unsigned char *kv;
	size_t kv_len, kv_cap;
	uint64_t n_kv;
	struct cu_tensor *t;
	int n_t, cap_t;
};

static void put(struct cu_gguf *g, const void *p, size_t n)
{
	if (g->kv_len + n > g->kv_cap) {
		g->kv_cap = (g->kv_len + n) * 2 + 4096;
		g->kv = realloc(g->kv, g->kv_cap);
		if (!g->kv)
			abort();
	}
	memcpy(g->kv + g->kv_len, p, n);
	g->kv_len += n;
}

static void put_u32(struct cu_gguf *g, uint32_t v) { put(g, &v, 4); }
static void put_u64(struct cu_gguf *g, uint64_t v) { put(g, &v, 8); }

static void put_str(struct cu_gguf *g, const char *s)
{
	put_u64(g, strlen(s));
	put(g, s, strlen(s));
}

static void key(struct cu_gguf *g, const char *k, uint32_t type)
{
	put_str(g, k);
	put_u32(g, type);
	g->n_kv++;
}

static void key_str(struct cu_gguf *g, const char *k, const char *v)
{
	key(g, k, GT_STRING);
	put_str(g, v);
}

static void key_u32(struct cu_gguf *g, const char *k, uint32_t v)
{
	key(g, k, GT_U32);
	put_u32(g, v);
}

void cu_gguf_u32(struct cu_gguf *g, const char *k, uint32_t v)
{
	char full[128];
	snprintf(full, sizeof(full), "%s.%s", g->arch, k);
	key_u32(g, full, v);
}

void cu_gguf_f32(struct cu_gguf *g, const char *k, float v)
{
	char full[128];
	snprintf(full, sizeof(full), "%s.%s", g->arch, k);
	key(g, full, GT_F32);
	put(g, &v, 4);
}

void cu_gguf_str(struct cu_gguf *g, const char *k, const char *v)
{
	char full[128];
	snprintf(full, sizeof(full), "%s.%s", g->arch, k);
	key_str(g, full, v);
}

void cu_gguf_bool(struct cu_gguf *g, const char *k, int v)
{
	char full[128];
	unsigned char b = v != 0;
	snprintf(full, sizeof(full), "%s.%s", g->arch, k);
	key(g, full, GT_BOOL);
	put(g, &b, 1);
}

void cu_gguf_f32s(struct cu_gguf *g, const char *k, const float *v, int n)
{
	char full[128];
	snprintf(full, sizeof(full), "%s.%s", g->arch, k);
	key(g, full, GT_ARRAY);
	put_u32(g, GT_F32);
	put_u64(g, (uint64_t)n);
	put(g, v, sizeof(*v) * (size_t)n);
}

struct cu_gguf *cu_gguf_new(const char *arch, int n_vocab)
{
	struct cu_gguf *g = calloc(1, sizeof(*g));
	snprintf(g->arch, sizeof(g->arch), "%s", arch);
	key_str(g, "general.architecture", arch);
	key_str(g, "general.name", "vramsim test header");
	key_u32(g, "general.quantization_version", 2);
	key_str(g, "tokenizer.ggml.model", "llama");
	key(g, "tokenizer.ggml.tokens", GT_ARRAY);
	put_u32(g, GT_STRING);
	put_u64(g, (uint64_t)n_vocab);
	for (int i = 0; i < n_vocab; i++) {
		char s[16];
		if (i == 0)
			strcpy(s, "<unk>");
		else if (i == 1)
			strcpy(s, "<s>");
		else if (i == 2)
			strcpy(s, "</s>");
		else if (i < 3 + 256)
			snprintf(s, sizeof(s), "<0x%02X>", i - 3);
		else
			snprintf(s, sizeof(s), "t%d", i);
		put_str(g, s);
	}
	key(g, "tokenizer.ggml.scores", GT_ARRAY);
	put_u32(g, GT_F32);
	put_u64(g, (uint64_t)n_vocab);
	for (int i = 0; i < n_vocab; i++) {
		float f = -(float)i;
		put(g, &f, 4);
	}
	key(g, "tokenizer.ggml.token_type", GT_ARRAY);
	put_u32(g, GT_I32);
	put_u64(g, (uint64_t)n_vocab);
	for (int i = 0; i < n_vocab; i++) {
		int32_t t = i == 0 ? 2 : i < 3 ? 3 : i < 3 + 256 ? 6 : 1;
		put(g, &t, 4);
	}
	key_u32(g, "tokenizer.ggml.unknown_token_id", 0);
	key_u32(g, "tokenizer.ggml.bos_token_id", 1);
	key_u32(g, "tokenizer.ggml.eos_token_id", 2);
	return g;
}

/* block size and bytes per block (ggml type traits) */
static void traits(int type, int64_t *blck, int64_t *bytes)
{
	switch (type) {
	case CU_F32: *blck = 1; *bytes = 4; break;
	case CU_F16: *blck = 1; *bytes = 2; break;
	case CU_BF16: *blck = 1; *bytes = 2; break;
	case CU_Q8_0: *blck = 32; *bytes = 34; break;
	case CU_Q4_K: *blck = 256; *bytes = 144; break;
	case CU_Q6_K: *blck = 256; *bytes = 210; break;
	default: abort();
	}
}

uint64_t cu_gguf_nbytes(int type, int64_t ne0, int64_t ne1, int64_t ne2)
{
	int64_t blck, bytes;
	traits(type, &blck, &bytes);
	return (uint64_t)(ne0 / blck * bytes) * (uint64_t)(ne1 ? ne1 : 1) * (uint64_t)(ne2 ? ne2 : 1);
}

void cu_gguf_tensor(struct cu_gguf *g, const char *name, int type, int64_t ne0, int64_t ne1, int64_t ne2)
{
	cu_gguf_tensor4(g, name, type, ne0, ne1, ne2, 0);
}

void cu_gguf_tensor4(struct cu_gguf *g, const char *name, int type, int64_t ne0, int64_t ne1, int64_t ne2,
		     int64_t ne3)
{
	if (g->n_t == g->cap_t) {
		g->cap_t = g->cap_t * 2 + 64;
		g->t = realloc(g->t, sizeof(*g->t) * (size_t)g->cap_t);
		if (!g->t)
			abort();
	}
	struct cu_tensor *t = &g->t[g->n_t++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->type = type;
	t->ne[0] = ne0;
	t->ne[1] = ne1;
	t->ne[2] = ne2;
	t->ne[3] = ne3;
	t->nd = ne3 ? 4 : ne2 ? 3 : ne1 ? 2 : 1;
}

uint64_t cu_gguf_tensor_bytes(const struct cu_gguf *g, int i)
{
	const struct cu_tensor *t = &g->t[i];
	return cu_gguf_nbytes(t->type, t->ne[0], t->ne[1], t->ne[2]) * (uint64_t)(t->ne[3] ? t->ne[3] : 1);
}

int cu_gguf_n_tensors(const struct cu_gguf *g)
{
	return g->n_t;
}

void cu_gguf_tensor_at(const struct cu_gguf *g, int i, const char **name, int *type, int64_t ne[3])
{
	*name = g->t[i].name;
	*type = g->t[i].type;
	memcpy(ne, g->t[i].ne, sizeof(*ne) * 3);
}

void cu_gguf_free(struct cu_gguf *g)
{
	if (!g)
		return;
	free(g->kv);
	free(g->t);
	free(g);
}

int cu_gguf_write(struct cu_gguf *g, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	uint32_t version = 3;
	uint64_t nt = (uint64_t)g->n_t;
	fwrite("GGUF", 1, 4, f);
	fwrite(&version, 4, 1, f);
	fwrite(&nt, 8, 1, f);
	fwrite(&g->n_kv, 8, 1, f);
	fwrite(g->kv, 1, g->kv_len, f);
	uint64_t off = 0;
	for (int i = 0; i < g->n_t; i++) {
		const struct cu_tensor *t = &g->t[i];
		uint64_t len = strlen(t->name), ne;
		uint32_t nd = (uint32_t)t->nd, type = (uint32_t)t->type;
		fwrite(&len, 8, 1, f);
		fwrite(t->name, 1, len, f);
		fwrite(&nd, 4, 1, f);
		for (int d = 0; d < t->nd; d++) {
			ne = (uint64_t)t->ne[d];
			fwrite(&ne, 8, 1, f);
		}
		fwrite(&type, 4, 1, f);
		fwrite(&off, 8, 1, f);
		off += cu_gguf_tensor_bytes(g, i);
		off = (off + CU_ALIGN - 1) / CU_ALIGN * CU_ALIGN;
	}
	long pos = ftell(f);
	int bad = ferror(f) | fclose(f);
	uint64_t data = ((uint64_t)pos + CU_ALIGN - 1) / CU_ALIGN * CU_ALIGN;
	if (bad || truncate(path, (off_t)(data + off)) != 0)
		return -1;
	cu_gguf_free(g);
	return 0;
}

static void common_hp(struct cu_gguf *g, int n_layer, int n_embd, int n_ff, int n_head, int n_head_kv)
{
	cu_gguf_u32(g, "context_length", 8192);
	cu_gguf_u32(g, "embedding_length", (uint32_t)n_embd);
	cu_gguf_u32(g, "block_count", (uint32_t)n_layer);
	cu_gguf_u32(g, "feed_forward_length", (uint32_t)n_ff);
	cu_gguf_u32(g, "attention.head_count", (uint32_t)n_head);
	cu_gguf_u32(g, "attention.head_count_kv", (uint32_t)n_head_kv);
	cu_gguf_f32(g, "attention.layer_norm_rms_epsilon", 1e-5f);
}

static int finish(struct cu_gguf *g, const char *path, struct cu_gguf **keep)
{
	if (keep) {
		/* write a copy of the description, hand the original back */
		struct cu_gguf *c = calloc(1, sizeof(*c));
		*c = *g;
		c->kv = malloc(g->kv_len);
		c->t = malloc(sizeof(*g->t) * (size_t)g->n_t);
		memcpy(c->kv, g->kv, g->kv_len);
		memcpy(c->t, g->t, sizeof(*g->t) * (size_t)g->n_t);
		c->kv_cap = g->kv_len;
		c->cap_t = g->n_t;
		*keep = g;
		return cu_gguf_write(c, path);
	}
	return cu_gguf_write(g, path);
}

/* Q4_K for matrices, Q6_K for attn_v/ffn_down/output as llama.cpp's
 * Q4_K_M picks for some layers (here: all), F32 norms. */
int cu_gguf_llama(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int n_head_kv,
		  int n_vocab, struct cu_gguf **keep)
{
	struct cu_gguf *g = cu_gguf_new("llama", n_vocab);
	common_hp(g, n_layer, n_embd, n_ff, n_head, n_head_kv);
	cu_gguf_u32(g, "rope.dimension_count", (uint32_t)(n_embd / n_head));
	cu_gguf_u32(g, "vocab_size", (uint32_t)n_vocab);
	int kv = n_embd / n_head * n_head_kv;
	char nm[96];
	cu_gguf_tensor(g, "token_embd.weight", CU_Q4_K, n_embd, n_vocab, 0);
	for (int i = 0; i < n_layer; i++) {
#define T(suffix, type, a, b) (snprintf(nm, sizeof(nm), "blk.%d." suffix, i), cu_gguf_tensor(g, nm, type, a, b, 0))
		T("attn_norm.weight", CU_F32, n_embd, 0);
		T("attn_q.weight", CU_Q4_K, n_embd, n_embd);
		T("attn_k.weight", CU_Q4_K, n_embd, kv);
		T("attn_v.weight", CU_Q6_K, n_embd, kv);
		T("attn_output.weight", CU_Q4_K, n_embd, n_embd);
		T("ffn_norm.weight", CU_F32, n_embd, 0);
		T("ffn_gate.weight", CU_Q4_K, n_embd, n_ff);
		T("ffn_up.weight", CU_Q4_K, n_embd, n_ff);
		T("ffn_down.weight", CU_Q6_K, n_ff, n_embd);
#undef T
	}
	cu_gguf_tensor(g, "output_norm.weight", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "output.weight", CU_Q6_K, n_embd, n_vocab, 0);
	return finish(g, path, keep);
}

/* Gemma 2: sliding-window attention on every other layer (llama.cpp's
 * gemma2 hparams), tied output embedding. */
int cu_gguf_gemma2(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int n_head_kv,
		   int swa, int n_vocab, struct cu_gguf **keep)
{
	struct cu_gguf *g = cu_gguf_new("gemma2", n_vocab);
	common_hp(g, n_layer, n_embd, n_ff, n_head, n_head_kv);
	int hd = 256;
	cu_gguf_u32(g, "attention.key_length", (uint32_t)hd);
	cu_gguf_u32(g, "attention.value_length", (uint32_t)hd);
	cu_gguf_u32(g, "attention.sliding_window", (uint32_t)swa);
	cu_gguf_f32(g, "attn_logit_softcapping", 50.0f);
	cu_gguf_f32(g, "final_logit_softcapping", 30.0f);
	char nm[96];
	cu_gguf_tensor(g, "token_embd.weight", CU_Q6_K, n_embd, n_vocab, 0);
	for (int i = 0; i < n_layer; i++) {
#define T(suffix, type, a, b) (snprintf(nm, sizeof(nm), "blk.%d." suffix, i), cu_gguf_tensor(g, nm, type, a, b, 0))
		T("attn_norm.weight", CU_F32, n_embd, 0);
		T("attn_q.weight", CU_Q4_K, n_embd, hd * n_head);
		T("attn_k.weight", CU_Q4_K, n_embd, hd * n_head_kv);
		T("attn_v.weight", CU_Q6_K, n_embd, hd * n_head_kv);
		T("attn_output.weight", CU_Q4_K, hd * n_head, n_embd);
		T("post_attention_norm.weight", CU_F32, n_embd, 0);
		T("ffn_norm.weight", CU_F32, n_embd, 0);
		T("ffn_gate.weight", CU_Q4_K, n_embd, n_ff);
		T("ffn_up.weight", CU_Q4_K, n_embd, n_ff);
		T("ffn_down.weight", CU_Q6_K, n_ff, n_embd);
		T("post_ffw_norm.weight", CU_F32, n_embd, 0);
#undef T
	}
	cu_gguf_tensor(g, "output_norm.weight", CU_F32, n_embd, 0, 0);
	return finish(g, path, keep);
}

/* Mixtral-style MoE in the llama architecture: n_expert experts per layer,
 * stacked 3-D expert tensors (ffn_*_exps). */
int cu_gguf_moe(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int n_head_kv,
		int n_expert, int n_used, int n_vocab, struct cu_gguf **keep)
{
	struct cu_gguf *g = cu_gguf_new("llama", n_vocab);
	common_hp(g, n_layer, n_embd, n_ff, n_head, n_head_kv);
	cu_gguf_u32(g, "rope.dimension_count", (uint32_t)(n_embd / n_head));
	cu_gguf_u32(g, "vocab_size", (uint32_t)n_vocab);
	cu_gguf_u32(g, "expert_count", (uint32_t)n_expert);
	cu_gguf_u32(g, "expert_used_count", (uint32_t)n_used);
	int kv = n_embd / n_head * n_head_kv;
	char nm[96];
	cu_gguf_tensor(g, "token_embd.weight", CU_Q4_K, n_embd, n_vocab, 0);
	for (int i = 0; i < n_layer; i++) {
#define T(suffix, type, a, b, c) (snprintf(nm, sizeof(nm), "blk.%d." suffix, i), cu_gguf_tensor(g, nm, type, a, b, c))
		T("attn_norm.weight", CU_F32, n_embd, 0, 0);
		T("attn_q.weight", CU_Q4_K, n_embd, n_embd, 0);
		T("attn_k.weight", CU_Q4_K, n_embd, kv, 0);
		T("attn_v.weight", CU_Q6_K, n_embd, kv, 0);
		T("attn_output.weight", CU_Q4_K, n_embd, n_embd, 0);
		T("ffn_norm.weight", CU_F32, n_embd, 0, 0);
		T("ffn_gate_inp.weight", CU_F32, n_embd, n_expert, 0);
		T("ffn_gate_exps.weight", CU_Q4_K, n_embd, n_ff, n_expert);
		T("ffn_up_exps.weight", CU_Q4_K, n_embd, n_ff, n_expert);
		T("ffn_down_exps.weight", CU_Q6_K, n_ff, n_embd, n_expert);
#undef T
	}
	cu_gguf_tensor(g, "output_norm.weight", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "output.weight", CU_Q6_K, n_embd, n_vocab, 0);
	return finish(g, path, keep);
}

/* The keys every clip vision projector header carries (clip-impl.h KEY_*,
 * tag v0.5.0), a GELU encoder with SigLIP's 0.5 mean and deviation. */
static struct cu_gguf *clip_new(const char *projector, int n_layer, int n_embd, int n_ff, int n_head, int image,
				int patch, int n_embd_text)
{
	struct cu_gguf *g = cu_gguf_new("clip", 0);
	cu_gguf_bool(g, "has_vision_encoder", 1);
	cu_gguf_str(g, "projector_type", projector);
	cu_gguf_bool(g, "use_gelu", 1);
	cu_gguf_u32(g, "vision.image_size", (uint32_t)image);
	cu_gguf_u32(g, "vision.patch_size", (uint32_t)patch);
	cu_gguf_u32(g, "vision.embedding_length", (uint32_t)n_embd);
	cu_gguf_u32(g, "vision.feed_forward_length", (uint32_t)n_ff);
	cu_gguf_u32(g, "vision.block_count", (uint32_t)n_layer);
	cu_gguf_u32(g, "vision.projection_dim", (uint32_t)n_embd_text);
	cu_gguf_u32(g, "vision.attention.head_count", (uint32_t)n_head);
	cu_gguf_f32(g, "vision.attention.layer_norm_epsilon", 1e-6f);
	static const float mean[3] = { 0.5f, 0.5f, 0.5f }, std_[3] = { 0.5f, 0.5f, 0.5f };
	cu_gguf_f32s(g, "vision.image_mean", mean, 3);
	cu_gguf_f32s(g, "vision.image_std", std_, 3);
	return g;
}

/*
 * A Gemma 3 vision projector as llama.cpp's converter writes it
 * (convert_hf_to_gguf.py, Gemma3VisionModel; tensor names and keys of
 * tools/mtmd/clip-impl.h, tag v0.5.0): a SigLIP encoder (patch
 * convolution, learned positions, n_layer pre-norm blocks with biased
 * q/k/v/out and a GELU MLP, a post-norm), then the soft-embedding norm and
 * the input projection to the text model's width. Types as the
 * converter forces them (conversion/gemma.py, Gemma3VisionModel
 * tensor_force_quant, and base.py, tag v0.5.0): the patch kernel and the
 * positions (".embeddings.") F32, the input projection F16, norms and
 * biases F32, the other matrices mat_type. With mat_type F16 that is
 * ggml-org's gemma-3-4b-it mmproj: clip counts 811.79 MiB for it, the
 * figure llama.cpp printed loading it (tests/data/logs/llamacpp-22790-*).
 */
int cu_gguf_mmproj_gemma3(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int image,
			  int patch, int n_embd_text, int mat_type, struct cu_gguf **keep)
{
	struct cu_gguf *g = clip_new("gemma3", n_layer, n_embd, n_ff, n_head, image, patch, n_embd_text);
	int n_pos = (image / patch) * (image / patch);
	cu_gguf_tensor4(g, "v.patch_embd.weight", CU_F32, patch, patch, 3, n_embd);
	cu_gguf_tensor(g, "v.patch_embd.bias", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "v.position_embd.weight", CU_F32, n_embd, n_pos, 0);
	for (int l = 0; l < n_layer; l++) {
		char n[96];
		static const char *const att[] = { "attn_q", "attn_k", "attn_v", "attn_out" };
		for (int a = 0; a < 4; a++) {
			snprintf(n, sizeof(n), "v.blk.%d.%s.weight", l, att[a]);
			cu_gguf_tensor(g, n, mat_type, n_embd, n_embd, 0);
			snprintf(n, sizeof(n), "v.blk.%d.%s.bias", l, att[a]);
			cu_gguf_tensor(g, n, CU_F32, n_embd, 0, 0);
		}
		for (int a = 1; a <= 2; a++) {
			snprintf(n, sizeof(n), "v.blk.%d.ln%d.weight", l, a);
			cu_gguf_tensor(g, n, CU_F32, n_embd, 0, 0);
			snprintf(n, sizeof(n), "v.blk.%d.ln%d.bias", l, a);
			cu_gguf_tensor(g, n, CU_F32, n_embd, 0, 0);
		}
		snprintf(n, sizeof(n), "v.blk.%d.ffn_up.weight", l);
		cu_gguf_tensor(g, n, mat_type, n_embd, n_ff, 0);
		snprintf(n, sizeof(n), "v.blk.%d.ffn_up.bias", l);
		cu_gguf_tensor(g, n, CU_F32, n_ff, 0, 0);
		/* a row that is no whole number of blocks stays F16, as the
		 * converter and llama-quantize fall back */
		snprintf(n, sizeof(n), "v.blk.%d.ffn_down.weight", l);
		cu_gguf_tensor(g, n, n_ff % 32 ? CU_F16 : mat_type, n_ff, n_embd, 0);
		snprintf(n, sizeof(n), "v.blk.%d.ffn_down.bias", l);
		cu_gguf_tensor(g, n, CU_F32, n_embd, 0, 0);
	}
	cu_gguf_tensor(g, "v.post_ln.weight", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "v.post_ln.bias", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "mm.soft_emb_norm.weight", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "mm.input_projection.weight", CU_F16, n_embd_text, n_embd, 0);
	return finish(g, path, keep);
}

/*
 * A Qwen3-VL / Qwen3.5 vision projector as llama.cpp's converter writes
 * it (conversion/qwen3vl.py Qwen3VLVisionModel, base.py; tensor names and
 * keys of tools/mtmd/clip-impl.h, read by clip.cpp's load_tensors and
 * the qwen3vl_merger case, tag v0.5.0): the temporal patch convolution
 * split into two kernels (v.patch_embd.weight, .weight.1) and a bias,
 * learned positions over (image/patch)^2 cells, n_layer pre-norm blocks
 * (fused biased qkv, biased out, LayerNorms, a biased GELU MLP), the
 * merger's norm (v.post_ln) and its two layers over 2x2 merged patches
 * (mm.0: 4*n_embd to 4*n_embd, mm.2: to the text model's width). Types as
 * the converter gives them: the patch kernels F16 in an F16 file, else
 * F32 (MmprojModel.tensor_force_quant), positions and 1-D tensors F32,
 * the other matrices mat_type. No deepstack layers (Qwen3.5).
 */
int cu_gguf_mmproj_qwen3vl(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int image,
			   int patch, int n_embd_text, int mat_type, struct cu_gguf **keep)
{
	struct cu_gguf *g = clip_new("qwen3vl_merger", n_layer, n_embd, n_ff, n_head, image, patch, n_embd_text);
	cu_gguf_u32(g, "vision.spatial_merge_size", 2);
	int n_pos = (image / patch) * (image / patch), kern = mat_type == CU_F16 ? CU_F16 : CU_F32;
	cu_gguf_tensor4(g, "v.patch_embd.weight", kern, patch, patch, 3, n_embd);
	cu_gguf_tensor4(g, "v.patch_embd.weight.1", kern, patch, patch, 3, n_embd);
	cu_gguf_tensor(g, "v.patch_embd.bias", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "v.position_embd.weight", CU_F32, n_embd, n_pos, 0);
	for (int l = 0; l < n_layer; l++) {
		char n[96];
#define T(suffix, type, a, b) (snprintf(n, sizeof(n), "v.blk.%d." suffix, l), cu_gguf_tensor(g, n, type, a, b, 0))
		T("attn_qkv.weight", mat_type, n_embd, 3 * n_embd);
		T("attn_qkv.bias", CU_F32, 3 * n_embd, 0);
		T("attn_out.weight", mat_type, n_embd, n_embd);
		T("attn_out.bias", CU_F32, n_embd, 0);
		T("ln1.weight", CU_F32, n_embd, 0);
		T("ln1.bias", CU_F32, n_embd, 0);
		T("ln2.weight", CU_F32, n_embd, 0);
		T("ln2.bias", CU_F32, n_embd, 0);
		T("ffn_up.weight", mat_type, n_embd, n_ff);
		T("ffn_up.bias", CU_F32, n_ff, 0);
		T("ffn_down.weight", mat_type, n_ff, n_embd);
		T("ffn_down.bias", CU_F32, n_embd, 0);
#undef T
	}
	cu_gguf_tensor(g, "v.post_ln.weight", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "v.post_ln.bias", CU_F32, n_embd, 0, 0);
	cu_gguf_tensor(g, "mm.0.weight", mat_type, 4 * n_embd, 4 * n_embd, 0);
	cu_gguf_tensor(g, "mm.0.bias", CU_F32, 4 * n_embd, 0, 0);
	cu_gguf_tensor(g, "mm.2.weight", mat_type, 4 * n_embd, n_embd_text, 0);
	cu_gguf_tensor(g, "mm.2.bias", CU_F32, n_embd_text, 0, 0);
	return finish(g, path, keep);
}
