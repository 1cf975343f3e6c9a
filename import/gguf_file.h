/*
 * gguf_file.h - the GGUF codec (llama.cpp's model format), in one place:
 * the reader turns a file's header into a model profile (hyper-parameters
 * from the metadata and, from the tensor infos, the bytes of every layer
 * by tensor group); the writer (at the end) builds a header. Named
 * gguf_file so it never collides with llama.cpp's own gguf.h.
 *
 * Format: ggml's docs/gguf.md (github.com/ggml-org/ggml), checked against
 * the reader in llama.cpp ggml/src/gguf.cpp. A file is
 *   magic "GGUF", version u32 (1, 2 or 3), tensor count, KV count,
 *   KV pairs (key string, value type u32, value),
 *   tensor infos (name string, n_dims u32, dims[n_dims], ggml type u32,
 *                 offset u64 relative to the data section),
 *   padding to general.alignment (default 32), tensor data.
 * Counts, string lengths, array lengths and dims are u64 in v2 and v3 and
 * u32 in v1. Version 3 files may be big-endian throughout; the reader
 * tells them by the byte order of the version field and reads both.
 *
 * Only the header is read; tensor data is never touched, but every
 * tensor's data range must lie inside the file (a file cut after its
 * header is refused, naming the first tensor whose data is missing).
 * Nothing is allocated that the bytes of the file cannot justify: every
 * count and length is checked against the bytes left before it is used.
 */
#ifndef VRAMSIM_GGUF_FILE_H
#define VRAMSIM_GGUF_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* A ggml tensor type: elements per block and bytes per block. */
struct gguf_file_type {
	const char *name;  /* ggml's type name: "f32", "q4_K", ... */
	uint32_t    blck;  /* elements per block (1 for plain types) */
	uint32_t    size;  /* bytes per block */
};

/*
 * The ggml type with id (the u32 stored in a tensor info), or NULL if the
 * id is unknown or was removed from ggml (4, 5, 31-33, 36-38). The table
 * follows llama.cpp ggml/src/ggml.c type_traits[] and the block structs
 * of ggml/src/ggml-common.h; ids 0..41 (up to Q1_0) are known.
 */
const struct gguf_file_type *gguf_file_type(uint32_t id);

/* 1 if data starts with the magic "GGUF", else 0. */
int gguf_file_has_magic(const unsigned char *data, size_t len);

/* What the header says beyond the profile (for summaries and tests). */
struct gguf_file_info {
	uint32_t version;       /* 1, 2 or 3 */
	int      big_endian;    /* 1: a big-endian file */
	uint64_t n_tensors;
	uint64_t n_kv;
	uint32_t alignment;     /* general.alignment, else 32 */
	uint64_t infos_end;     /* offset just past the last tensor info */
	uint64_t data_offset;   /* start of tensor data: infos_end rounded up
				 * to alignment (= infos_end if no tensors) */
	uint64_t tensor_bytes;  /* sum of all tensors' data sizes */
	int      heads_per_layer; /* head_count or head_count_kv was a
				   * per-layer array: the profile has the max */
	int      ff_per_layer;  /* feed_forward_length was an array: max */
	int      tied_output;   /* tensors but no output.weight: llama.cpp
				 * then uses token_embd for the output */
	/* A split model (llama.cpp gguf-split, llama-arch.cpp LLM_KV_SPLIT_*):
	 * split.no (u16, 0-based), split.count (u16), split.tensors.count
	 * (i32, tensors of all parts). split_count is 0 when the keys are
	 * absent (a whole model in one file). */
	uint32_t split_no, split_count;
	uint64_t split_tensors;
	uint64_t data_end;      /* end of the last tensor's data: the least
				 * size the file may have */
};

/*
 * Parse the GGUF file in data[0..len) into *out (and *info if not NULL).
 * path names the file in messages and gives the profile its name when
 * the file has no general.name ("dir/m.gguf" -> "m"); it may be NULL.
 *
 * Profile: arch = general.architecture; name = general.name; the numbers
 * from "{arch}.block_count", ".embedding_length",
 * ".attention.head_count" and ".head_count_kv" (an integer or a per-layer
 * array: the max is kept; head_count_kv defaults to head_count),
 * ".attention.key_length" / ".value_length" (default n_embd / n_head),
 * ".context_length", ".expert_count", ".expert_used_count",
 * ".feed_forward_length" (integer or array: max); n_vocab is the length
 * of tokenizer.ggml.tokens, else "{arch}.vocab_size"; unknown ones are 0.
 * Integer keys may have any integer type but must fit in 32 bits; a key
 * of another type is an error naming the key and the type expected.
 * Keys may come in any order. A file without general.architecture gets
 * an empty arch and no hyper-parameters (its tensors still count).
 * n_layer is block_count, or one more than the highest block number in
 * the tensor names when the key is missing; either must be at most 2^20.
 *
 * Parts (layer, group, bytes), one tensor at a time:
 *   blk.N.*                          layer N (N < n_layer, else an error)
 *   token_embd.*, position_embd.*,
 *   token_types.*                    layer PROFILE_LAYER_INPUT, group other
 *   token_embd_norm.*                layer 0: llama.cpp places it with the
 *                                    first repeating layer (llama-arch.cpp)
 *   any other name (output.weight,
 *   output_norm.*, rope_freqs, ...)  layer n_layer, the output layer
 * The group comes from the part of the name after "blk.N." (or the first
 * part), first match wins: attn_* -> attn (its norms too); ffn_*_exps,
 * ffn_*_exp -> ffn_exps (not the shared experts ffn_*_shexp, which are
 * dense) ; other ffn_* -> ffn (ffn_norm, the router ffn_gate_inp too);
 * names holding "norm" -> norm; the rest -> other.
 * Only tensors in the file count: a model without output.weight (tied
 * embeddings) has no output-layer copy of token_embd in the profile,
 * although llama.cpp puts one on the output device; info->tied_output
 * says so.
 *
 * Returns 0, or UTIL_EINPUT with *cause (malloc'd, the caller frees it)
 * naming the file, the byte offset, the key or tensor and what was
 * expected: bad magic, unsupported version, truncation anywhere in the
 * header, counts or lengths larger than the bytes left, an unknown value
 * or ggml type, nesting of arrays deeper than 8, duplicate keys that the
 * profile uses, duplicate tensor names, more than 4 dims, a row length
 * that is not a whole number of blocks, an offset that is not a multiple
 * of the alignment, an alignment that is not a power of two, tensor data
 * past the end of the file. On error *out is left empty (zeroed) and
 * *info untouched. On success *info (if not NULL) is filled and the
 * caller owns out->parts: free them with profile_clear().
 */
int gguf_file_read_profile(const unsigned char *data, size_t len, const char *path,
		      struct profile *out, struct gguf_file_info *info, char **cause);

/* ---- the header writer ----
 *
 * Builds a version-3, little-endian GGUF header (what llama.cpp writes)
 * in memory: KV pairs in the order they are put, then tensor infos whose
 * data offsets are laid out in order, each aligned to general.alignment
 * (32: the writer never puts that key). The tensor data itself is never
 * written: the caller writes the header and sets the file's size to
 * *file_size (ftruncate), which leaves the data region a hole; llama.cpp
 * checks offsets against the file size but, with no_alloc, reads nothing.
 * Keys are not checked for duplicates: the writer's callers are the
 * synthesiser and tests, and the reader refuses what they get wrong.
 */
struct gguf_file_writer;

/* A new, empty writer. Free it with gguf_file_writer_free (NULL-safe). */
struct gguf_file_writer *gguf_file_writer_new(void);
void gguf_file_writer_free(struct gguf_file_writer *w);

/* One KV pair each. Strings are copied; key and strings must be
 * NUL-terminated (GGUF strings themselves carry a length). */
void gguf_file_put_str(struct gguf_file_writer *w, const char *key, const char *v);
void gguf_file_put_u16(struct gguf_file_writer *w, const char *key, uint16_t v);
void gguf_file_put_u32(struct gguf_file_writer *w, const char *key, uint32_t v);
void gguf_file_put_i32(struct gguf_file_writer *w, const char *key, int32_t v);
void gguf_file_put_f32(struct gguf_file_writer *w, const char *key, float v);
void gguf_file_put_bool(struct gguf_file_writer *w, const char *key, int v);
void gguf_file_put_arr_str(struct gguf_file_writer *w, const char *key,
			   const char *const *v, size_t n);
void gguf_file_put_arr_i32(struct gguf_file_writer *w, const char *key,
			   const int32_t *v, size_t n);
void gguf_file_put_arr_f32(struct gguf_file_writer *w, const char *key,
			   const float *v, size_t n);

/*
 * One tensor info: name, ne[0..n_dims) (ne[0] is the row length), ggml
 * type id. Its data offset follows the previous tensor's data, aligned.
 * Returns 0, or UTIL_EINPUT with *cause (malloc'd) for an unknown type,
 * more than 4 dims, or a row that is not a whole number of blocks.
 */
int gguf_file_put_tensor(struct gguf_file_writer *w, const char *name, uint32_t n_dims,
			 const uint64_t *ne, uint32_t type, char **cause);

/* Bytes of tensor data laid out so far (aligned). */
uint64_t gguf_file_writer_data_bytes(const struct gguf_file_writer *w);

/*
 * The header: magic through the padding after the last tensor info, into
 * *buf (malloc'd; the caller frees it) of *len bytes; *file_size is the
 * size the whole file must have (*len plus the data). The writer stays
 * usable (more puts, another finish).
 */
void gguf_file_writer_finish(const struct gguf_file_writer *w, unsigned char **buf,
			     size_t *len, uint64_t *file_size);

#endif
