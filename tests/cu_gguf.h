/*
 * cu_gguf.h - header-only GGUF files for the engine tests: metadata and
 * tensor infos of a model shape, the data region a hole (sparse file of the
 * full logical size, as llama.cpp checks offsets against the file size).
 * Written from the GGUF v3 specification (ggml docs/gguf.md); a test-local
 * writer, so the tests do not depend on the code they check.
 */
#ifndef VRAMSIM_CU_GGUF_H
#define VRAMSIM_CU_GGUF_H

#include <stdint.h>

/* ggml type ids used by the tests (ggml.h enum ggml_type) */
enum { CU_F32 = 0, CU_F16 = 1, CU_Q8_0 = 8, CU_Q4_K = 12, CU_Q6_K = 14, CU_BF16 = 30 };

struct cu_gguf;

/* A new writer for architecture arch with an SPM vocabulary of n_vocab
 * tokens (byte tokens included) and general.* keys. */
struct cu_gguf *cu_gguf_new(const char *arch, int n_vocab);
/* "<arch>.<key>" = value */
void cu_gguf_u32(struct cu_gguf *g, const char *key, uint32_t v);
void cu_gguf_f32(struct cu_gguf *g, const char *key, float v);
void cu_gguf_str(struct cu_gguf *g, const char *key, const char *v);
void cu_gguf_bool(struct cu_gguf *g, const char *key, int v);
void cu_gguf_f32s(struct cu_gguf *g, const char *key, const float *v, int n);
/* A tensor of up to 3 dimensions (unused ones 0) and ggml type. */
void cu_gguf_tensor(struct cu_gguf *g, const char *name, int type, int64_t ne0, int64_t ne1, int64_t ne2);
/* The same with a 4th dimension (a convolution kernel). */
void cu_gguf_tensor4(struct cu_gguf *g, const char *name, int type, int64_t ne0, int64_t ne1, int64_t ne2,
		     int64_t ne3);
/* Bytes of tensor i as GGUF stores it (no padding), any dimensions. */
uint64_t cu_gguf_tensor_bytes(const struct cu_gguf *g, int i);
/* Bytes of a tensor as GGUF stores it (no padding). */
uint64_t cu_gguf_nbytes(int type, int64_t ne0, int64_t ne1, int64_t ne2);
/* Number of tensors, and tensor i's name, type and shape. */
int cu_gguf_n_tensors(const struct cu_gguf *g);
void cu_gguf_tensor_at(const struct cu_gguf *g, int i, const char **name, int *type, int64_t ne[3]);
/* Write the file and free g; 0 or -1. */
int cu_gguf_write(struct cu_gguf *g, const char *path);
void cu_gguf_free(struct cu_gguf *g);

/* Shapes used by the tests; each writes path and returns 0 or -1.
 * keep (may be NULL) receives the writer, not yet freed, for the tensor list. */
int cu_gguf_llama(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int n_head_kv,
		  int n_vocab, struct cu_gguf **keep);
int cu_gguf_gemma2(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int n_head_kv,
		   int swa, int n_vocab, struct cu_gguf **keep);
/* A Gemma 3 vision projector (clip, projector_type gemma3) for --mmproj. */
int cu_gguf_mmproj_gemma3(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int image,
			  int patch, int n_embd_text, int mat_type, struct cu_gguf **keep);
/* A Qwen3-VL / Qwen3.5 vision projector (clip, projector_type
 * qwen3vl_merger, no deepstack layers) for --mmproj; mat_type F16 or BF16. */
int cu_gguf_mmproj_qwen3vl(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int image,
			   int patch, int n_embd_text, int mat_type, struct cu_gguf **keep);
int cu_gguf_moe(const char *path, int n_layer, int n_embd, int n_ff, int n_head, int n_head_kv,
		int n_expert, int n_used, int n_vocab, struct cu_gguf **keep);

#endif
