/*
 * selfcheck.c - golden self-plan of a tiny model (see selfcheck.h).
 *
 * The model: llama architecture, 2 layers, 64 wide, 4 heads (2 KV heads),
 * 300 tokens, F32 norms, F16 and Q8_0 matrices (Q8_0 rows of 64 elements
 * exercise CUDA's row padding). Planned at 256 tokens on two virtual CUDA
 * GPUs of 1 GiB. The golden numbers are this plan by llama.cpp v0.5.0 with
 * the rules of vdev.c; a change of either changes them (the engine tests
 * then fail at start: regenerate with VRAMSIM_ENGINE_SELFCHECK=print).
 */
#include "selfcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ggml.h"
#include "gguf.h"
#include "llama.h"
#include "backends.h"
#include "llb.h"
#include "stamp.h"
#include "vdev.h"

/* weights, kv, compute of CUDA0, CUDA1, host */
static const unsigned long long golden[3][3] = {
#include "selfcheck_golden.h"
};

static void add(struct ggml_context *c, struct gguf_context *g, const char *name, enum ggml_type t, int64_t a, int64_t b)
{
	struct ggml_tensor *x = b ? ggml_new_tensor_2d(c, t, a, b) : ggml_new_tensor_1d(c, t, a);
	ggml_set_name(x, name);
	gguf_add_tensor(g, x);
}

/* Write the tiny model to path; 0 or -1. */
static int write_model(const char *path)
{
	enum { N_VOCAB = 300, N_EMBD = 64, N_FF = 128, N_LAYER = 2 };
	struct gguf_context *g = gguf_init_empty();
	gguf_set_val_str(g, "general.architecture", "llama");
	gguf_set_val_u32(g, "llama.context_length", 1024);
	gguf_set_val_u32(g, "llama.embedding_length", N_EMBD);
	gguf_set_val_u32(g, "llama.block_count", N_LAYER);
	gguf_set_val_u32(g, "llama.feed_forward_length", N_FF);
	gguf_set_val_u32(g, "llama.attention.head_count", 4);
	gguf_set_val_u32(g, "llama.attention.head_count_kv", 2);
	gguf_set_val_f32(g, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	gguf_set_val_str(g, "tokenizer.ggml.model", "llama");
	static char names[N_VOCAB][12];
	const char *toks[N_VOCAB];
	float scores[N_VOCAB];
	int32_t types[N_VOCAB];
	for (int i = 0; i < N_VOCAB; i++) {
		if (i < 3)
			snprintf(names[i], sizeof(names[i]), "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
		else if (i < 3 + 256)
			snprintf(names[i], sizeof(names[i]), "<0x%02X>", i - 3);
		else
			snprintf(names[i], sizeof(names[i]), "t%d", i);
		toks[i] = names[i];
		scores[i] = -(float)i;
		types[i] = i == 0 ? 2 : i < 3 ? 3 : i < 3 + 256 ? 6 : 1;
	}
	gguf_set_arr_str(g, "tokenizer.ggml.tokens", toks, N_VOCAB);
	gguf_set_arr_data(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores, N_VOCAB);
	gguf_set_arr_data(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, N_VOCAB);
	struct ggml_init_params ip = { ggml_tensor_overhead() * 32, NULL, true };
	struct ggml_context *c = ggml_init(ip);
	char nm[64];
	add(c, g, "token_embd.weight", GGML_TYPE_F16, N_EMBD, N_VOCAB);
	for (int i = 0; i < N_LAYER; i++) {
#define T(s, t, a, b) (snprintf(nm, sizeof(nm), "blk.%d." s, i), add(c, g, nm, t, a, b))
		T("attn_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
		T("attn_q.weight", GGML_TYPE_Q8_0, N_EMBD, N_EMBD);
		T("attn_k.weight", GGML_TYPE_Q8_0, N_EMBD, N_EMBD / 2);
		T("attn_v.weight", GGML_TYPE_F16, N_EMBD, N_EMBD / 2);
		T("attn_output.weight", GGML_TYPE_Q8_0, N_EMBD, N_EMBD);
		T("ffn_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
		T("ffn_gate.weight", GGML_TYPE_F16, N_EMBD, N_FF);
		T("ffn_up.weight", GGML_TYPE_Q8_0, N_EMBD, N_FF);
		T("ffn_down.weight", GGML_TYPE_F16, N_FF, N_EMBD);
#undef T
	}
	add(c, g, "output_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
	add(c, g, "output.weight", GGML_TYPE_Q8_0, N_EMBD, N_VOCAB);
	int ok = gguf_write_to_file(g, path, true);
	/* the loader checks offsets against the file size: a hole of the data's size */
	const int64_t nt = gguf_get_n_tensors(g);
	size_t end = gguf_get_tensor_offset(g, nt - 1) + gguf_get_tensor_size(g, nt - 1);
	size_t align = gguf_get_alignment(g);
	ok = ok && truncate(path, (off_t)(gguf_get_meta_size(g) + (end + align - 1) / align * align)) == 0;
	ggml_free(c);
	gguf_free(g);
	return ok ? 0 : -1;
}

int selfcheck_run(char *why, size_t n)
{
	char path[] = "/tmp/vramsim-engine-selfcheck-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		snprintf(why, n, "self-check: cannot create a file in /tmp");
		return -1;
	}
	close(fd);
	int rc = -1;
	struct llama_model *m = NULL;
	struct llama_context *ctx = NULL;
	if (write_model(path) < 0) {
		snprintf(why, n, "self-check: cannot write its model");
		goto out;
	}
	const struct vdev_rules *cuda = vdev_rules_find("cuda");
	vdev_configure(0, 1ull << 30, 1ull << 30, cuda);
	vdev_configure(1, 1ull << 30, 1ull << 30, cuda);
	struct llama_model_params mp = llama_model_default_params();
	mp.devices = vdev_list(2);
	mp.no_alloc = true;
	mp.load_mode = LLAMA_LOAD_MODE_NONE;
	struct llama_context_params cp = llama_context_default_params();
	cp.n_ctx = 256;
	cp.n_batch = cp.n_ubatch = 256;
	cp.n_threads = cp.n_threads_batch = 1;
	cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_ENABLED;
	m = llama_model_load_from_file(path, mp);
	ctx = m ? llama_init_from_model(m, cp) : NULL;
	if (!ctx) {
		snprintf(why, n, "self-check: the engine cannot plan its tiny model");
		goto out;
	}
	struct llb_buf b[16];
	const char *err = NULL;
	int nb = llb_breakdown(ctx, b, 16, &err);
	unsigned long long got[3][3] = { { 0 } };
	for (int i = 0; i < nb && i < 16; i++) {
		int slot = ggml_backend_buft_is_host(b[i].buft) ? 2 : vdev_index(ggml_backend_buft_get_device(b[i].buft));
		if (slot < 0 || slot > 2)
			slot = 2;
		got[slot][0] += b[i].model;
		got[slot][1] += b[i].context;
		got[slot][2] += b[i].compute;
	}
	const char *pr = getenv("VRAMSIM_ENGINE_SELFCHECK");
	if (pr && !strcmp(pr, "print"))
		for (int d = 0; d < 3; d++)
			fprintf(stderr, "\t{ %lluu, %lluu, %lluu },\n", got[d][0], got[d][1], got[d][2]);
	static const char *const what[3] = { "weights", "KV", "compute" };
	for (int d = 0; d < 3; d++)
		for (int k = 0; k < 3; k++)
			if (got[d][k] != golden[d][k]) {
				snprintf(why, n, "self-check: %s of %s planned %llu bytes, the pinned engine plans %llu",
					 what[k], d == 2 ? "the host" : d ? "GPU 1" : "GPU 0", got[d][k], golden[d][k]);
				goto out;
			}
	rc = 0;
out:
	if (ctx)
		llama_free(ctx);
	if (m)
		llama_model_free(m);
	unlink(path);
	return rc;
}

int selfcheck_verdict(const char *scope, int *cached, char *why, size_t n)
{
	*cached = 0;
	struct stamp s;
	stamp_init(&s, "selfcheck", scope);
	stamp_text(&s, "tag", ENG_TAG);
	stamp_text(&s, "llama", llama_version());
	stamp_text(&s, "ggml", ggml_version());
	stamp_loaded(&s);
	backends_stamp_host(&s);
	char val[64];
	if (!getenv("VRAMSIM_ENGINE_SELFCHECK") && stamp_get(&s, val, sizeof(val)) == 0 && !strcmp(val, "passed")) {
		*cached = 1;
		return 0;
	}
	if (selfcheck_run(why, n) < 0)
		return -1;
	stamp_put(&s, "passed");
	return 0;
}
