/*
 * test_gguf.c - the GGUF header reader and the "gguf" importer: golden
 * values from two real files, files written here in every version and
 * byte order, and damaged files (cut anywhere, absurd counts, unknown
 * types, data past the end) that must fail cleanly with UTIL_EINPUT.
 * Long because it is a table of cases; each test is short and alone.
 *
 * Over 800 lines: the test-local GGUF writer (every version and byte
 * order) sits beside the cases that use it.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutest.h"
#include "gguf_file.h"
#include "imp.h"
#include "store.h"
#include "util.h"

/* ---- a small GGUF writer (the format from ggml docs/gguf.md) ---- */

struct gb {
	unsigned char *b;
	size_t n, cap;
	uint32_t version;  /* 1: 32-bit counts and lengths */
	int be;            /* write big-endian */
};

enum { V_U8 = 0, V_I32 = 5, V_U32 = 4, V_F32 = 6, V_STR = 8, V_ARR = 9, V_U64 = 10 };

static void gb_bytes(struct gb *g, const void *p, size_t n)
{
	UTIL_GROW(g->b, g->n + n, g->cap);
	if (n)
		memcpy(g->b + g->n, p, n);
	g->n += n;
}

static void gb_uint(struct gb *g, uint64_t v, size_t n)
{
	unsigned char tmp[8];
	for (size_t i = 0; i < n; i++)
		tmp[g->be ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
	gb_bytes(g, tmp, n);
}

static void gb_u32(struct gb *g, uint64_t v) { gb_uint(g, v, 4); }
static void gb_u64(struct gb *g, uint64_t v) { gb_uint(g, v, 8); }
static void gb_count(struct gb *g, uint64_t v) { gb_uint(g, v, g->version == 1 ? 4 : 8); }

static void gb_str(struct gb *g, const char *s)
{
	gb_count(g, strlen(s));
	gb_bytes(g, s, strlen(s));
}

static void gb_header(struct gb *g, uint64_t n_tensors, uint64_t n_kv)
{
	gb_bytes(g, "GGUF", 4);
	gb_u32(g, g->version);
	gb_count(g, n_tensors);
	gb_count(g, n_kv);
}

static void gb_kv_str(struct gb *g, const char *k, const char *v)
{
	gb_str(g, k);
	gb_u32(g, V_STR);
	gb_str(g, v);
}

static void gb_kv_u32(struct gb *g, const char *k, uint32_t v)
{
	gb_str(g, k);
	gb_u32(g, V_U32);
	gb_u32(g, v);
}

static void gb_kv_arr_u32(struct gb *g, const char *k, const uint32_t *v, size_t n)
{
	gb_str(g, k);
	gb_u32(g, V_ARR);
	gb_u32(g, V_U32);
	gb_count(g, n);
	for (size_t i = 0; i < n; i++)
		gb_u32(g, v[i]);
}

static void gb_kv_tokens(struct gb *g, size_t n)
{
	gb_str(g, "tokenizer.ggml.tokens");
	gb_u32(g, V_ARR);
	gb_u32(g, V_STR);
	gb_count(g, n);
	for (size_t i = 0; i < n; i++)
		gb_str(g, i % 2 ? "tok" : "<s>");
}

struct tdesc {
	const char *name;
	uint32_t n_dims;
	uint64_t ne[4];
	uint32_t type;
	uint64_t bytes;  /* data bytes (computed by the test, not the reader) */
};

/* Tensor infos with offsets packed at alignment, padding, then data. */
static void gb_tensors(struct gb *g, const struct tdesc *t, size_t n, uint64_t align)
{
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		gb_str(g, t[i].name);
		gb_u32(g, t[i].n_dims);
		for (uint32_t d = 0; d < t[i].n_dims; d++)
			gb_count(g, t[i].ne[d]);
		gb_u32(g, t[i].type);
		gb_u64(g, off);
		off += (t[i].bytes + align - 1) / align * align;
	}
	size_t pad = (size_t)((g->n + align - 1) / align * align - g->n);
	size_t total = pad + (size_t)off;
	UTIL_GROW(g->b, g->n + total, g->cap);
	memset(g->b + g->n, 0xab, total);
	g->n += total;
}

/* The tiny model most tests use: llama-style, 2 blocks, 7 KVs. */
static const struct tdesc tiny_tensors[] = {
	{ "token_embd.weight",       2, { 32, 10 }, 0, 32 * 10 * 4 },
	{ "blk.0.attn_q.weight",     2, { 32, 32 }, 1, 32 * 32 * 2 },
	{ "blk.0.attn_k.weight",     2, { 32, 16 }, 8, 16 * 34 },
	{ "blk.0.ffn_up.weight",     2, { 32, 64 }, 2, 64 * 18 },
	{ "blk.0.ffn_norm.weight",   1, { 32 },     0, 32 * 4 },
	{ "blk.1.attn_q.weight",     2, { 32, 32 }, 30, 32 * 32 * 2 },
	{ "blk.1.ffn_up.weight",     2, { 256, 8 }, 12, 8 * 144 },
	{ "output_norm.weight",      1, { 32 },     0, 32 * 4 },
	{ "output.weight",           2, { 32, 10 }, 0, 32 * 10 * 4 },
};

static void build_tiny(struct gb *g, uint32_t version, int be, uint32_t align)
{
	memset(g, 0, sizeof(*g));
	g->version = version;
	g->be = be;
	size_t nt = UTIL_ARRAY_SIZE(tiny_tensors);
	gb_header(g, nt, align ? 8 : 7);
	gb_kv_tokens(g, 10);
	gb_kv_u32(g, "llama.block_count", 2);
	gb_kv_str(g, "general.architecture", "llama");
	if (align)
		gb_kv_u32(g, "general.alignment", align);
	gb_kv_u32(g, "llama.embedding_length", 32);
	gb_kv_u32(g, "llama.attention.head_count", 4);
	gb_kv_u32(g, "llama.attention.head_count_kv", 2);
	gb_kv_u32(g, "llama.context_length", 128);
	gb_tensors(g, tiny_tensors, nt, align ? align : 32);
}

/* ---- helpers ---- */

static int parse(const void *data, size_t len, struct profile *p, struct gguf_file_info *gi,
		 char **cause)
{
	/* An exact-size copy, so the sanitizer sees any read past the end. */
	unsigned char *copy = util_xmalloc(len ? len : 1);
	memcpy(copy, data, len);
	int rc = gguf_file_read_profile(copy, len, "t.gguf", p, gi, cause);
	free(copy);
	return rc;
}

/* Parse and expect UTIL_EINPUT with a cause holding every given string
 * (the list ends with a null pointer that expect_fail adds). */
static void expect_fail_v(const void *data, size_t len, ...)
{
	struct profile p;
	char *cause = NULL;
	int rc = parse(data, len, &p, NULL, &cause);
	CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause);
	CU_ASSERT_EQUAL(p.n_parts, 0);
	CU_ASSERT_PTR_NULL(p.parts);
	va_list ap;
	va_start(ap, len);
	for (const char *want; cause && (want = va_arg(ap, const char *));) {
		if (!strstr(cause, want)) {
			printf("\n  cause '%s' lacks '%s'\n", cause, want);
			CU_FAIL("cause lacks an expected word");
		}
	}
	va_end(ap);
	free(cause);
	profile_clear(&p);
}

#define expect_fail(data, len, ...) \
	expect_fail_v((data), (len), __VA_ARGS__, (const char *)NULL)

static uint64_t part(const struct profile *p, int32_t layer, int group)
{
	for (size_t i = 0; i < p->n_parts; i++)
		if (p->parts[i].layer == layer && p->parts[i].group == group)
			return p->parts[i].bytes;
	return 0;
}

static uint64_t total(const struct profile *p)
{
	uint64_t s = 0;
	for (size_t i = 0; i < p->n_parts; i++)
		s += p->parts[i].bytes;
	return s;
}

static unsigned char *load(const char *name, size_t *len)
{
	char *buf = NULL;
	char *cause = NULL;
	int rc = util_read_file(cu_data(name), &buf, len, &cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	free(cause);
	return (unsigned char *)buf;
}

/* ---- the real files ---- */

static void test_gguf_stories260k(void)
{
	size_t len;
	unsigned char *d = load("gguf/stories260K.gguf", &len);
	struct profile p;
	struct gguf_file_info gi;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(gguf_file_read_profile(d, len, "x/stories260K.gguf", &p, &gi, &cause), 0);
	CU_ASSERT_EQUAL(gi.version, 3);
	CU_ASSERT_EQUAL(gi.big_endian, 0);
	CU_ASSERT_EQUAL(gi.n_tensors, 48);
	CU_ASSERT_EQUAL(gi.n_kv, 19);
	CU_ASSERT_EQUAL(gi.alignment, 32);
	CU_ASSERT_EQUAL(gi.infos_end, 14152);
	CU_ASSERT_EQUAL(gi.data_offset, 14176);
	CU_ASSERT_EQUAL(gi.tensor_bytes, 1171200);
	CU_ASSERT_EQUAL(gi.tensor_bytes, len - gi.data_offset); /* data ends at EOF */
	CU_ASSERT_EQUAL(gi.tied_output, 0);
	CU_ASSERT_STRING_EQUAL(p.arch, "llama");
	CU_ASSERT_STRING_EQUAL(p.name, "llama");  /* general.name */
	CU_ASSERT_EQUAL(p.approx, 0);
	CU_ASSERT_EQUAL(p.n_layer, 5);
	CU_ASSERT_EQUAL(p.n_embd, 64);
	CU_ASSERT_EQUAL(p.n_head, 8);
	CU_ASSERT_EQUAL(p.n_head_kv, 4);
	CU_ASSERT_EQUAL(p.head_dim_k, 8);
	CU_ASSERT_EQUAL(p.head_dim_v, 8);
	CU_ASSERT_EQUAL(p.n_ff, 172);
	CU_ASSERT_EQUAL(p.n_ctx_train, 2048);
	CU_ASSERT_EQUAL(p.n_vocab, 512);
	CU_ASSERT_EQUAL(p.n_expert, 0);
	CU_ASSERT_EQUAL(p.file_size, 1185376);

	/* By hand from the shapes, all F32 (4 bytes): per block wq 64x64,
	 * wk and wv 64x(4 KV heads x 8) = 64x32, wo 64x64, attn_norm 64;
	 * ffn gate/up 64x172, down 172x64, ffn_norm 64. */
	uint64_t attn = (64 * 64 + 64 * 32 + 64 * 32 + 64 * 64 + 64) * 4;
	uint64_t ffn = (3 * 64 * 172 + 64) * 4;
	CU_ASSERT_EQUAL(attn, 49408);
	for (int32_t l = 0; l < 5; l++) {
		CU_ASSERT_EQUAL(part(&p, l, PROFILE_ATTN), attn);
		CU_ASSERT_EQUAL(part(&p, l, PROFILE_FFN), ffn);
		CU_ASSERT_EQUAL(profile_layer_bytes(&p, l), attn + ffn);
	}
	/* token_embd 64x512 on the input layer; output 64x512 + output_norm. */
	CU_ASSERT_EQUAL(part(&p, PROFILE_LAYER_INPUT, PROFILE_OTHER), 64 * 512 * 4);
	CU_ASSERT_EQUAL(part(&p, 5, PROFILE_OTHER), 64 * 512 * 4);
	CU_ASSERT_EQUAL(part(&p, 5, PROFILE_NORM), 64 * 4);
	CU_ASSERT_EQUAL(p.n_parts, 1 + 5 * 2 + 2);
	CU_ASSERT_EQUAL(total(&p), 1171200);
	profile_clear(&p);
	free(cause);

	/* Without general.name the file name names the profile: drop the
	 * key by renaming it (same length) in a copy. */
	unsigned char *c = util_xmalloc(len);
	memcpy(c, d, len);
	unsigned char *k = memmem(c, 14152, "general.name", 12);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	memcpy(k, "general.nome", 12);
	CU_ASSERT_EQUAL(gguf_file_read_profile(c, len, "x/stories260K.gguf", &p, NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(p.name, "stories260K");
	profile_clear(&p);
	free(c);
	free(d);
}

static void test_gguf_vocab_only(void)
{
	size_t len;
	unsigned char *d = load("gguf/ggml-vocab-bert-bge.gguf", &len);
	struct profile p;
	struct gguf_file_info gi;
	CU_ASSERT_EQUAL_FATAL(gguf_file_read_profile(d, len, "ggml-vocab-bert-bge.gguf", &p, &gi, NULL), 0);
	CU_ASSERT_EQUAL(gi.n_tensors, 0);
	CU_ASSERT_EQUAL(gi.n_kv, 20);
	CU_ASSERT_EQUAL(gi.infos_end, len);  /* ends right after the last KV */
	CU_ASSERT_EQUAL(gi.tensor_bytes, 0);
	CU_ASSERT_EQUAL(gi.tied_output, 0);
	CU_ASSERT_STRING_EQUAL(p.arch, "bert");
	CU_ASSERT_STRING_EQUAL(p.name, "bert-bge");
	CU_ASSERT_EQUAL(p.n_vocab, 30522);
	CU_ASSERT_EQUAL(p.n_layer, 12);
	CU_ASSERT_EQUAL(p.n_embd, 384);
	CU_ASSERT_EQUAL(p.n_head, 12);
	CU_ASSERT_EQUAL(p.n_head_kv, 12);    /* no head_count_kv: n_head */
	CU_ASSERT_EQUAL(p.head_dim_k, 384 / 12);
	CU_ASSERT_EQUAL(p.n_ff, 1536);
	CU_ASSERT_EQUAL(p.n_ctx_train, 512);
	CU_ASSERT_EQUAL(p.n_parts, 0);
	profile_clear(&p);
	free(d);
}

/* ---- versions and byte order ---- */

static void check_tiny(const struct profile *p, const struct gguf_file_info *gi)
{
	CU_ASSERT_STRING_EQUAL(p->arch, "llama");
	CU_ASSERT_STRING_EQUAL(p->name, "t");  /* no general.name: "t.gguf" */
	CU_ASSERT_EQUAL(p->n_layer, 2);
	CU_ASSERT_EQUAL(p->n_embd, 32);
	CU_ASSERT_EQUAL(p->n_head, 4);
	CU_ASSERT_EQUAL(p->n_head_kv, 2);
	CU_ASSERT_EQUAL(p->head_dim_k, 8);
	CU_ASSERT_EQUAL(p->n_ctx_train, 128);
	CU_ASSERT_EQUAL(p->n_vocab, 10);
	CU_ASSERT_EQUAL(gi->n_tensors, 9);
	/* f32 token_embd; f16 q + q8_0 k; q4_0 up + f32 norm; bf16 q; q4_K up */
	CU_ASSERT_EQUAL(part(p, PROFILE_LAYER_INPUT, PROFILE_OTHER), 1280);
	CU_ASSERT_EQUAL(part(p, 0, PROFILE_ATTN), 2048 + 544);
	CU_ASSERT_EQUAL(part(p, 0, PROFILE_FFN), 1152 + 128);
	CU_ASSERT_EQUAL(part(p, 1, PROFILE_ATTN), 2048);
	CU_ASSERT_EQUAL(part(p, 1, PROFILE_FFN), 1152);
	CU_ASSERT_EQUAL(part(p, 2, PROFILE_NORM), 128);
	CU_ASSERT_EQUAL(part(p, 2, PROFILE_OTHER), 1280);
	CU_ASSERT_EQUAL(gi->tensor_bytes, 1280 + 2592 + 1280 + 2048 + 1152 + 128 + 1280);
	CU_ASSERT_EQUAL(total(p), gi->tensor_bytes);
}

static void test_gguf_versions(void)
{
	struct { uint32_t v; int be; } cases[] = { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 3, 1 }, { 2, 1 } };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cases); i++) {
		struct gb g;
		build_tiny(&g, cases[i].v, cases[i].be, 0);
		struct profile p;
		struct gguf_file_info gi;
		char *cause = NULL;
		int rc = parse(g.b, g.n, &p, &gi, &cause);
		if (rc)
			printf("\n  v%u be=%d: %s\n", cases[i].v, cases[i].be, cause);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc == 0) {
			CU_ASSERT_EQUAL(gi.version, cases[i].v);
			CU_ASSERT_EQUAL(gi.big_endian, cases[i].be);
			check_tiny(&p, &gi);
		}
		free(cause);
		profile_clear(&p);
		free(g.b);
	}
	/* A v1 file is smaller: 32-bit counts, lengths and dims. */
	struct gb g1, g3;
	build_tiny(&g1, 1, 0, 0);
	build_tiny(&g3, 3, 0, 0);
	CU_ASSERT(g1.n < g3.n);
	free(g1.b);
	free(g3.b);
}

static void test_gguf_bad_magic_and_version(void)
{
	struct gb g;
	build_tiny(&g, 3, 0, 0);
	unsigned char *d = g.b;
	memcpy(d, "GGUX", 4);
	expect_fail(d, g.n, "t.gguf", "not a GGUF file", "'GGUX'");
	expect_fail("GG", 2, "t.gguf", "not a GGUF file");
	expect_fail("", 0, "t.gguf", "not a GGUF file");
	memcpy(d, "GGUF", 4);
	static const unsigned char versions[][4] = {
		{ 0, 0, 0, 0 }, { 4, 0, 0, 0 }, { 0, 0, 0, 4 }, { 0, 0, 1, 0 }, { 0xff, 0xff, 0xff, 0xff },
	};
	static const char *const said[] = { "version 0 ", "version 4 ", "version 4 (big-endian)",
					    "version 256 (big-endian)", "version 4294967295" };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(versions); i++) {
		memcpy(d + 4, versions[i], 4);
		expect_fail(d, g.n, "t.gguf", "byte 4", said[i], "not supported");
	}
	free(g.b);
}

/* ---- damaged files ---- */

/* Every cut of a valid file up to max_cut (each of the first 600 bytes,
 * then every step-th) must fail with UTIL_EINPUT naming the file; a cut
 * after the tensor infos must name a tensor. */
static void cut_everywhere(const unsigned char *d, size_t len, size_t max_cut, size_t step)
{
	struct profile p;
	struct gguf_file_info gi;
	CU_ASSERT_EQUAL_FATAL(parse(d, len, &p, &gi, NULL), 0);
	profile_clear(&p);
	size_t n = 0;
	for (size_t cut = 0; cut < len && cut < max_cut; cut += cut < 600 ? 1 : step, n++) {
		char *cause = NULL;
		int rc = parse(d, cut, &p, NULL, &cause);
		CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
		CU_ASSERT_PTR_NOT_NULL(cause);
		if (rc != UTIL_EINPUT || !cause) {
			printf("\n  cut at %zu: rc %d\n", cut, rc);
			free(cause);
			profile_clear(&p);
			return;
		}
		CU_ASSERT_PTR_NOT_NULL(strstr(cause, "t.gguf: "));
		if (cut >= gi.infos_end && !strstr(cause, "tensor '")) {
			printf("\n  cut at %zu: %s\n", cut, cause);
			CU_FAIL("a cut in the data does not name a tensor");
		}
		free(cause);
		CU_ASSERT_PTR_NULL(p.parts);
	}
	CU_ASSERT(n > 100);
}

static void test_gguf_truncated(void)
{
	size_t len;
	unsigned char *d = load("gguf/stories260K.gguf", &len);
	/* Header, KV keys, values, arrays, tensor infos, padding: every 7th
	 * byte; then the data every 4099th. */
	cut_everywhere(d, len, 14176 + 64, 7);
	cut_everywhere(d, len, len, 4099);
	struct profile p;
	char *cause = NULL;
	CU_ASSERT_EQUAL(parse(d, len - 1, &p, NULL, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "'blk.4.ffn_norm.weight'"));
	CU_ASSERT(cause && strstr(cause, "past the end of the file"));
	free(cause);
	free(d);

	d = load("gguf/ggml-vocab-bert-bge.gguf", &len);
	cut_everywhere(d, len, len, 9973);
	free(d);

	struct gb g;
	build_tiny(&g, 1, 0, 0);
	cut_everywhere(g.b, g.n, g.n, 3);
	free(g.b);
	build_tiny(&g, 3, 1, 64);
	cut_everywhere(g.b, g.n, g.n, 3);
	free(g.b);
}

static void test_gguf_absurd_counts(void)
{
	struct gb g = { .version = 3 };
	gb_header(&g, 1ull << 62, 0);
	gb_bytes(&g, "padding padding padding", 23);
	expect_fail(g.b, g.n, "4611686018427387904 tensor infos cannot fit");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 1ull << 62);
	gb_kv_u32(&g, "a.b", 1);
	expect_fail(g.b, g.n, "byte 16", "key-value pairs cannot fit");
	free(g.b);

	g = (struct gb){ .version = 3 };   /* key length 2^63 */
	gb_header(&g, 0, 1);
	gb_u64(&g, 1ull << 63);
	gb_bytes(&g, "general.name", 12);
	expect_fail(g.b, g.n, "byte 24", "key 0", "9223372036854775808 bytes does not fit");
	free(g.b);

	g = (struct gb){ .version = 3 };   /* string value length 2^63 */
	gb_header(&g, 0, 1);
	gb_str(&g, "general.name");
	gb_u32(&g, V_STR);
	gb_u64(&g, 1ull << 63);
	gb_bytes(&g, "xxxxxxxx", 8);
	expect_fail(g.b, g.n, "key 0 'general.name'", "does not fit");
	free(g.b);

	static const uint32_t etypes[] = { V_STR, V_U8, V_ARR, V_U64 };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(etypes); i++) {
		g = (struct gb){ .version = 3 };   /* array of 2^60 elements */
		gb_header(&g, 0, 1);
		gb_str(&g, "tokenizer.ggml.tokens");
		gb_u32(&g, V_ARR);
		gb_u32(&g, etypes[i]);
		gb_u64(&g, 1ull << 60);
		gb_bytes(&g, "0123456789abcdef0123456789abcdef", 32);
		expect_fail(g.b, g.n, "key 0 'tokenizer.ggml.tokens'",
			    "array of 1152921504606846976");
		free(g.b);
	}

	g = (struct gb){ .version = 1 };   /* v1: u32 array length */
	gb_header(&g, 0, 1);
	gb_str(&g, "x.y");
	gb_u32(&g, V_ARR);
	gb_u32(&g, V_U32);
	gb_u32(&g, 0xffffffffu);
	gb_u32(&g, 7);
	expect_fail(g.b, g.n, "array of 4294967295 uint32");
	free(g.b);
}

static void test_gguf_nested_arrays(void)
{
	for (int depth = 1; depth <= 10; depth++) {
		struct gb g = { .version = 3 };
		gb_header(&g, 0, 2);
		gb_str(&g, "general.architecture");
		gb_u32(&g, V_STR);
		gb_str(&g, "x");
		gb_str(&g, "x.nested");
		gb_u32(&g, V_ARR);
		for (int d = 1; d < depth; d++) {  /* one array holding the next */
			gb_u32(&g, V_ARR);
			gb_u64(&g, 1);
		}
		gb_u32(&g, V_U8);
		gb_u64(&g, 3);
		gb_bytes(&g, "abc", 3);
		struct profile p;
		char *cause = NULL;
		int rc = parse(g.b, g.n, &p, NULL, &cause);
		if (depth <= 8) {
			CU_ASSERT_EQUAL(rc, 0);
		} else {
			CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
			CU_ASSERT(cause && strstr(cause, "nested more than 8"));
		}
		free(cause);
		profile_clear(&p);
		free(g.b);
	}
}

/* A one-tensor v3 file: model keys, then the tensor info as given. */
static void one_tensor(struct gb *g, const char *name, uint32_t n_dims, const uint64_t *ne,
		       uint32_t type, uint64_t offset, size_t data)
{
	*g = (struct gb){ .version = 3 };
	gb_header(g, 1, 2);
	gb_kv_str(g, "general.architecture", "llama");
	gb_kv_u32(g, "llama.block_count", 1);
	gb_str(g, name);
	gb_u32(g, n_dims);
	for (uint32_t d = 0; d < n_dims; d++)
		gb_u64(g, ne[d]);
	gb_u32(g, type);
	gb_u64(g, offset);
	size_t pad = (32 - g->n % 32) % 32 + data;
	UTIL_GROW(g->b, g->n + pad, g->cap);
	memset(g->b + g->n, 0, pad);
	g->n += pad;
}

static void test_gguf_tensor_errors(void)
{
	struct gb g;
	uint64_t ne[5] = { 64, 4, 1, 1, 1 };
	one_tensor(&g, "blk.0.attn_q.weight", 2, ne, 0, 0, 64 * 4 * 4);
	struct profile p;
	CU_ASSERT_EQUAL(parse(g.b, g.n, &p, NULL, NULL), 0);
	CU_ASSERT_EQUAL(part(&p, 0, PROFILE_ATTN), 1024);
	profile_clear(&p);
	free(g.b);

	one_tensor(&g, "blk.0.attn_q.weight", 2, ne, 0, 0, 64 * 4 * 4 - 1);
	expect_fail(g.b, g.n, "tensor 'blk.0.attn_q.weight'", "1024 bytes", "past the end");
	free(g.b);
	one_tensor(&g, "blk.0.attn_q.weight", 2, ne, 0, 1ull << 63, 1024);
	expect_fail(g.b, g.n, "tensor 'blk.0.attn_q.weight'", "past the end");
	free(g.b);
	one_tensor(&g, "blk.0.attn_q.weight", 2, ne, 0, UINT64_MAX - 31, 1024);
	expect_fail(g.b, g.n, "tensor 'blk.0.attn_q.weight'", "past the end");
	free(g.b);
	one_tensor(&g, "blk.0.attn_q.weight", 2, ne, 0, 16, 2048);
	expect_fail(g.b, g.n, "'blk.0.attn_q.weight'", "offset 16 is not a multiple");
	free(g.b);

	static const uint32_t bad_types[] = { 4, 5, 31, 33, 36, 38, 42, 99, 0xffffffffu };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(bad_types); i++) {
		one_tensor(&g, "blk.0.ffn_up.weight", 2, ne, bad_types[i], 0, 4096);
		char want[48];
		snprintf(want, sizeof(want), "unknown ggml type %u", bad_types[i]);
		expect_fail(g.b, g.n, "tensor 0 'blk.0.ffn_up.weight'", want);
		free(g.b);
	}
	uint64_t ne48[2] = { 48, 2 };
	one_tensor(&g, "blk.0.ffn_up.weight", 2, ne48, 2 /* q4_0 */, 0, 4096);
	expect_fail(g.b, g.n, "'blk.0.ffn_up.weight'", "not a whole number of q4_0 blocks");
	free(g.b);
	one_tensor(&g, "blk.0.x", 5, ne, 0, 0, 4096);
	expect_fail(g.b, g.n, "'blk.0.x'", "5 dimensions");
	free(g.b);
	uint64_t huge[2] = { 1ull << 40, 1ull << 40 };
	one_tensor(&g, "blk.0.x", 2, huge, 0, 0, 4096);
	expect_fail(g.b, g.n, "'blk.0.x'", "elements");
	free(g.b);
	uint64_t neg[2] = { 1ull << 63, 1 };
	one_tensor(&g, "blk.0.x", 2, neg, 0, 0, 4096);
	expect_fail(g.b, g.n, "'blk.0.x'", "dimension 0");
	free(g.b);
	/* A zero dimension is an empty tensor, even beside a huge one. */
	uint64_t zero[3] = { 1ull << 40, 0, 1ull << 40 };
	one_tensor(&g, "blk.0.x", 3, zero, 0, 0, 0);
	CU_ASSERT_EQUAL(parse(g.b, g.n, &p, NULL, NULL), 0);
	CU_ASSERT_EQUAL(total(&p), 0);
	profile_clear(&p);
	free(g.b);
	one_tensor(&g, "blk.1.attn_q.weight", 2, ne, 0, 0, 1024);
	expect_fail(g.b, g.n, "'blk.1.attn_q.weight'", "block 1 but llama.block_count is 1");
	free(g.b);
	one_tensor(&g, "", 2, ne, 0, 0, 1024);
	expect_fail(g.b, g.n, "tensor 0", "empty tensor name");
	free(g.b);

	/* The same name twice */
	g = (struct gb){ .version = 3 };
	gb_header(&g, 2, 0);
	struct tdesc two[2] = { { "a.weight", 1, { 8 }, 0, 32 }, { "a.weight", 1, { 8 }, 0, 32 } };
	gb_tensors(&g, two, 2, 32);
	expect_fail(g.b, g.n, "tensor name 'a.weight' is used twice");
	free(g.b);
}

static void test_gguf_alignment(void)
{
	struct gb g;
	build_tiny(&g, 3, 0, 64);
	struct profile p;
	struct gguf_file_info gi;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(parse(g.b, g.n, &p, &gi, &cause), 0);
	CU_ASSERT_EQUAL(gi.alignment, 64);
	CU_ASSERT_EQUAL(gi.data_offset % 64, 0);
	CU_ASSERT(gi.data_offset >= gi.infos_end && gi.data_offset - gi.infos_end < 64);
	check_tiny(&p, &gi);
	profile_clear(&p);
	free(g.b);

	/* Tensors packed at 32 in a file that says 128 are refused. */
	g = (struct gb){ .version = 3 };
	gb_header(&g, 2, 1);
	gb_kv_u32(&g, "general.alignment", 128);
	struct tdesc two[2] = { { "a.weight", 1, { 8 }, 0, 32 }, { "b.weight", 1, { 8 }, 0, 32 } };
	gb_tensors(&g, two, 2, 32);
	expect_fail(g.b, g.n, "'b.weight'", "offset 32 is not a multiple of the alignment 128");
	free(g.b);

	static const uint32_t bad[] = { 0, 48, 3, 1u << 31 };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(bad); i++) {
		g = (struct gb){ .version = 3 };
		gb_header(&g, 0, 1);
		gb_kv_u32(&g, "general.alignment", bad[i]);
		expect_fail(g.b, g.n, "general.alignment", "not a power of two");
		free(g.b);
	}
	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 1);
	gb_kv_str(&g, "general.alignment", "32");
	expect_fail(g.b, g.n, "'general.alignment'", "type string, expected an unsigned integer");
	free(g.b);
	free(cause);
}

static void test_gguf_keys(void)
{
	/* Wrong types name the key and the type expected. */
	struct gb g = { .version = 3 };
	gb_header(&g, 0, 2);
	gb_kv_str(&g, "llama.block_count", "five");
	gb_kv_str(&g, "general.architecture", "llama");
	expect_fail(g.b, g.n, "key 0 'llama.block_count'", "type string, expected an unsigned integer");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 1);
	gb_kv_u32(&g, "general.architecture", 7);
	expect_fail(g.b, g.n, "'general.architecture'", "type uint32, expected string");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 1);
	gb_kv_u32(&g, "tokenizer.ggml.tokens", 7);
	expect_fail(g.b, g.n, "'tokenizer.ggml.tokens'", "expected an array of strings");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 2);
	gb_kv_str(&g, "general.architecture", "llama");
	gb_str(&g, "llama.context_length");
	gb_u32(&g, V_I32);
	gb_u32(&g, (uint32_t)-5);
	expect_fail(g.b, g.n, "'llama.context_length'", "negative");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 2);
	gb_kv_str(&g, "general.architecture", "llama");
	gb_str(&g, "llama.embedding_length");
	gb_u32(&g, V_U64);
	gb_u64(&g, 1ull << 40);
	expect_fail(g.b, g.n, "'llama.embedding_length'", "out of range");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 2);
	gb_kv_str(&g, "general.architecture", "llama");
	gb_kv_u32(&g, "llama.block_count", 2000000);
	expect_fail(g.b, g.n, "'llama.block_count'", "out of range");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 3);
	gb_kv_str(&g, "general.architecture", "llama");
	gb_kv_u32(&g, "llama.block_count", 2);
	gb_kv_u32(&g, "llama.block_count", 3);
	expect_fail(g.b, g.n, "key 2 'llama.block_count'", "duplicate key");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 1);
	gb_str(&g, "x.y");
	gb_u32(&g, 13);
	gb_u32(&g, 0);
	expect_fail(g.b, g.n, "key 0 'x.y'", "unknown value type 13");
	free(g.b);

	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 1);
	gb_kv_u32(&g, "", 1);
	expect_fail(g.b, g.n, "key 0", "empty key name");
	free(g.b);

	/* Control bytes in a name do not reach the message. */
	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 1);
	gb_kv_u32(&g, "bad\n\033[31mkey", 1);
	g.n -= 2;  /* cut the value */
	expect_fail(g.b, g.n, "'bad??[31mkey'");
	free(g.b);

	/* Per-layer arrays: the max; other integer types; keys in any order;
	 * vocab_size without a token list; expert counts. */
	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 9);
	static const uint32_t heads[] = { 0, 8, 16, 8 }, kv[] = { 0, 2, 4, 2 }, ff[] = { 96, 128, 0, 64 };
	gb_kv_arr_u32(&g, "mix.attention.head_count", heads, 4);
	gb_kv_arr_u32(&g, "mix.attention.head_count_kv", kv, 4);
	gb_kv_arr_u32(&g, "mix.feed_forward_length", ff, 4);
	gb_str(&g, "mix.block_count");
	gb_u32(&g, V_U8);
	gb_bytes(&g, "\x04", 1);
	gb_str(&g, "mix.embedding_length");
	gb_u32(&g, V_U64);
	gb_u64(&g, 256);
	gb_kv_u32(&g, "mix.vocab_size", 1000);
	gb_kv_u32(&g, "mix.expert_count", 8);
	gb_kv_u32(&g, "mix.expert_used_count", 2);
	gb_kv_str(&g, "general.architecture", "mix");
	struct profile p;
	struct gguf_file_info gi;
	CU_ASSERT_EQUAL_FATAL(parse(g.b, g.n, &p, &gi, NULL), 0);
	CU_ASSERT_EQUAL(p.n_layer, 4);
	CU_ASSERT_EQUAL(p.n_embd, 256);
	CU_ASSERT_EQUAL(p.n_head, 16);
	CU_ASSERT_EQUAL(p.n_head_kv, 4);
	CU_ASSERT_EQUAL(p.head_dim_k, 16);
	CU_ASSERT_EQUAL(p.n_ff, 128);
	CU_ASSERT_EQUAL(p.n_vocab, 1000);
	CU_ASSERT_EQUAL(p.n_expert, 8);
	CU_ASSERT_EQUAL(p.n_expert_used, 2);
	CU_ASSERT_EQUAL(gi.heads_per_layer, 1);
	CU_ASSERT_EQUAL(gi.ff_per_layer, 1);
	profile_clear(&p);
	free(g.b);

	/* An array where a single number is meant is refused. */
	g = (struct gb){ .version = 3 };
	gb_header(&g, 0, 2);
	gb_kv_str(&g, "general.architecture", "llama");
	gb_kv_arr_u32(&g, "llama.block_count", heads, 4);
	expect_fail(g.b, g.n, "'llama.block_count'", "type array, expected an unsigned integer");
	free(g.b);
}

static void test_gguf_groups(void)
{
	static const struct tdesc t[] = {
		{ "token_embd.weight",              2, { 8, 4 },    0, 128 },
		{ "token_embd_norm.weight",         1, { 8 },       0, 32 },
		{ "position_embd.weight",           2, { 8, 2 },    0, 64 },
		{ "blk.0.attn_norm.weight",         1, { 8 },       0, 32 },
		{ "blk.0.attn_qkv.weight",          2, { 8, 24 },   0, 768 },
		{ "blk.0.ffn_gate_inp.weight",      2, { 8, 4 },    0, 128 },
		{ "blk.0.ffn_gate_exps.weight",     3, { 32, 16, 4 }, 8, 64 * 34 },
		{ "blk.0.ffn_down_exps.weight",     3, { 16, 8, 4 }, 1, 16 * 8 * 4 * 2 },
		{ "blk.0.ffn_up_shexp.weight",      2, { 8, 16 },   0, 512 },
		{ "blk.0.ffn_gate_inp_shexp.weight", 1, { 8 },      0, 32 },
		{ "blk.0.post_attention_norm.weight", 1, { 8 },     0, 32 },
		{ "blk.0.ssm_a",                    2, { 8, 2 },    0, 64 },
		{ "blk.1.ffn_down_exp.weight",      2, { 8, 4 },    0, 128 },
		{ "blk.1.layer_output_norm.weight", 1, { 8 },       0, 32 },
		{ "blk.x.attn_q.weight",            1, { 8 },       0, 32 },
		{ "output_norm.weight",             1, { 8 },       0, 32 },
		{ "rope_freqs.weight",              1, { 4 },       0, 16 },
	};
	struct gb g = { .version = 3 };
	gb_header(&g, UTIL_ARRAY_SIZE(t), 0);  /* no block_count: from the names */
	gb_tensors(&g, t, UTIL_ARRAY_SIZE(t), 32);
	struct profile p;
	struct gguf_file_info gi;
	char *cause = NULL;
	int rc = parse(g.b, g.n, &p, &gi, &cause);
	if (rc)
		printf("\n  %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(p.arch, "");
	CU_ASSERT_EQUAL(p.n_layer, 2);
	CU_ASSERT_EQUAL(gi.tied_output, 1);
	CU_ASSERT_EQUAL(part(&p, PROFILE_LAYER_INPUT, PROFILE_OTHER), 128 + 64);
	CU_ASSERT_EQUAL(part(&p, 0, PROFILE_NORM), 32 + 32);   /* token_embd_norm, post_attention_norm */
	CU_ASSERT_EQUAL(part(&p, 0, PROFILE_ATTN), 32 + 768);
	CU_ASSERT_EQUAL(part(&p, 0, PROFILE_FFN), 128 + 512 + 32);
	/* q8_0: 32x16x4 = 64 blocks of 34 bytes; f16 16x8x4 */
	CU_ASSERT_EQUAL(part(&p, 0, PROFILE_FFN_EXPS), 64 * 34 + 16 * 8 * 4 * 2);
	CU_ASSERT_EQUAL(part(&p, 0, PROFILE_OTHER), 64);
	CU_ASSERT_EQUAL(part(&p, 1, PROFILE_FFN_EXPS), 128);
	CU_ASSERT_EQUAL(part(&p, 1, PROFILE_NORM), 32);
	/* output layer: "blk.x.attn_q" is no block tensor (group from its
	 * first part, "blk"), rope_freqs, output_norm */
	CU_ASSERT_EQUAL(part(&p, 2, PROFILE_ATTN), 0);
	CU_ASSERT_EQUAL(part(&p, 2, PROFILE_OTHER), 32 + 16);
	CU_ASSERT_EQUAL(part(&p, 2, PROFILE_NORM), 32);
	CU_ASSERT_EQUAL(total(&p), gi.tensor_bytes);
	profile_clear(&p);
	free(cause);
	free(g.b);
}

/* The type table against the sizes listed in the task (bytes per block,
 * elements per block) taken from ggml's block structs. */
static void test_gguf_type_table(void)
{
	static const struct { uint32_t id; uint32_t size, blck; } want[] = {
		{ 0, 4, 1 },     { 1, 2, 1 },     { 2, 18, 32 },   { 3, 20, 32 },   { 6, 22, 32 },
		{ 7, 24, 32 },   { 8, 34, 32 },   { 9, 36, 32 },   { 10, 84, 256 }, { 11, 110, 256 },
		{ 12, 144, 256 }, { 13, 176, 256 }, { 14, 210, 256 }, { 15, 292, 256 },
		{ 16, 66, 256 }, { 17, 74, 256 }, { 18, 98, 256 }, { 19, 50, 256 }, { 20, 18, 32 },
		{ 21, 110, 256 }, { 22, 82, 256 }, { 23, 136, 256 }, { 24, 1, 1 }, { 25, 2, 1 },
		{ 26, 4, 1 },    { 27, 8, 1 },    { 28, 8, 1 },    { 29, 56, 256 }, { 30, 2, 1 },
		{ 34, 54, 256 }, { 35, 66, 256 }, { 39, 17, 32 },  { 40, 36, 64 },  { 41, 18, 128 },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(want); i++) {
		const struct gguf_file_type *t = gguf_file_type(want[i].id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		if (t->size != want[i].size || t->blck != want[i].blck)
			printf("\n  type %u (%s): %u/%u, want %u/%u\n", want[i].id, t->name, t->size,
			       t->blck, want[i].size, want[i].blck);
		CU_ASSERT_EQUAL(t->size, want[i].size);
		CU_ASSERT_EQUAL(t->blck, want[i].blck);
	}
	static const uint32_t holes[] = { 4, 5, 31, 32, 33, 36, 37, 38, 42, 1000, UINT32_MAX };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(holes); i++)
		CU_ASSERT_PTR_NULL(gguf_file_type(holes[i]));
	CU_ASSERT_STRING_EQUAL(gguf_file_type(12)->name, "q4_K");
}

/* ---- the importer ---- */

static int64_t count_rows(struct store *st, const char *table)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	sqlite3_stmt *s;
	int64_t n = -1;
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	return n;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void test_gguf_import(void)
{
	struct store *st = NULL;
	cu_sh("rm -f '%s'*", cu_tmp("imp.db"));
	CU_ASSERT_EQUAL_FATAL(store_open(cu_tmp("imp.db"), STORE_CREATE, &st, NULL), 0);
	int64_t t1, t2, t3;
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "run1", NULL, "llamalog", "a.log", 0, &t1, NULL), 0);
	CU_ASSERT_EQUAL(store_setting_set(st, t1, "model", "/models/stories260K.gguf", NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "run2", NULL, "llamalog", "b.log", 0, &t2, NULL), 0);
	CU_ASSERT_EQUAL(store_setting_set(st, t2, "model", "/models/other.gguf", NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "run3", NULL, "llamalog", "c.log", 0, &t3, NULL), 0);
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);

	CU_ASSERT_EQUAL(imp_gguf_detect((const unsigned char *)"GGUF\3\0\0\0", 8, "x"), 100);
	CU_ASSERT_EQUAL(imp_gguf_detect((const unsigned char *)"GGU", 3, "x"), 0);
	CU_ASSERT_EQUAL(imp_gguf_detect((const unsigned char *)"llama_model_loader", 18, "x"), 0);

	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	char *cause = NULL;
	int rc = imp_file(st, cu_data("gguf/stories260K.gguf"), &o, &res, &cause);
	if (rc)
		printf("\n  %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(res.n_traces, 0);
	CU_ASSERT(res.profile_id > 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.summary);
	char want[300];
	snprintf(want, sizeof(want), "profile %lld 'llama' from stories260K.gguf: llama, 5 layers, "
		 "n_embd 64, 8 heads (4 KV), vocab 512, ctx 2048, 1.1 MiB in 48 tensors; "
		 "attached to trace %lld; header kept in the store (14 KiB)", (long long)res.profile_id, (long long)t1);
	CU_ASSERT_STRING_EQUAL(res.summary, want);
	free(res.summary);

	struct store_trace_info ti;
	CU_ASSERT_EQUAL(store_trace_get(st, t1, &ti, NULL), 0);
	CU_ASSERT_EQUAL(ti.profile_id, res.profile_id);
	store_trace_info_clear(&ti);
	CU_ASSERT_EQUAL(store_trace_get(st, t2, &ti, NULL), 0);
	CU_ASSERT_EQUAL(ti.profile_id, 0);
	store_trace_info_clear(&ti);

	struct profile p, q;
	size_t len;
	unsigned char *d = load("gguf/stories260K.gguf", &len);
	CU_ASSERT_EQUAL(gguf_file_read_profile(d, len, "stories260K.gguf", &p, NULL, NULL), 0);
	CU_ASSERT_EQUAL(store_profile_get(st, res.profile_id, &q, NULL), 0);
	CU_ASSERT_STRING_EQUAL(q.name, p.name);
	CU_ASSERT_EQUAL(q.n_layer, p.n_layer);
	CU_ASSERT_EQUAL(q.n_head_kv, p.n_head_kv);
	CU_ASSERT_EQUAL(q.file_size, p.file_size);
	CU_ASSERT_EQUAL(q.n_parts, p.n_parts);
	for (int32_t l = -1; l <= 5; l++)
		CU_ASSERT_EQUAL(profile_layer_bytes(&q, l), profile_layer_bytes(&p, l));
	profile_clear(&p);
	profile_clear(&q);

	/* --name names the profile; a trace whose meta.name is that name
	 * (the newest one) gets it. */
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_setting_set(st, t3, "meta.name", "bert-bge", NULL), 0);
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);
	rc = imp_file(st, cu_data("gguf/ggml-vocab-bert-bge.gguf"), &o, &res, NULL);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(res.summary && strstr(res.summary, "no tensors (vocabulary only); "
						      "attached to trace"));
	free(res.summary);
	CU_ASSERT_EQUAL(store_trace_get(st, t3, &ti, NULL), 0);
	CU_ASSERT_EQUAL(ti.profile_id, res.profile_id);
	store_trace_info_clear(&ti);
	o.name = "mine";
	rc = imp_file(st, cu_data("gguf/stories260K.gguf"), &o, &res, NULL);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(res.summary && strstr(res.summary, "'mine'"));
	free(res.summary);
	o.name = NULL;
	int64_t n_prof = count_rows(st, "profiles"), n_parts = count_rows(st, "profile_parts");
	CU_ASSERT_EQUAL(n_prof, 3);

	/* Bad input: a clear message with the file name, the store unchanged. */
	write_file(cu_tmp("cut.gguf"), d, 20000);
	memcpy(d, "GGUX", 4);
	write_file(cu_tmp("bad.gguf"), d, 4096);
	free(d);
	rc = imp_file(st, cu_tmp("cut.gguf"), &o, &res, &cause);
	CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "cut.gguf: byte "));
	CU_ASSERT(cause && strstr(cause, "tensor 'token_embd.weight'"));
	free(cause);
	cause = NULL;
	o.format = "gguf";
	rc = imp_file(st, cu_tmp("bad.gguf"), &o, &res, &cause);
	CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "bad.gguf: not a GGUF file"));
	free(cause);
	CU_ASSERT_EQUAL(count_rows(st, "profiles"), n_prof);
	CU_ASSERT_EQUAL(count_rows(st, "profile_parts"), n_parts);
	CU_ASSERT_EQUAL(count_rows(st, "traces"), 3);
	store_close(st);
}

/* ---- the header writer ---- */

/* What the writer puts, the reader reads back: keys, types, shapes,
 * offsets, the data size; and it refuses what ggml would. */
static void test_gguf_writer(void)
{
	struct gguf_file_writer *w = gguf_file_writer_new();
	gguf_file_put_str(w, "general.architecture", "llama");
	gguf_file_put_str(w, "general.name", "written");
	gguf_file_put_u32(w, "llama.block_count", 2);
	gguf_file_put_u32(w, "llama.embedding_length", 256);
	gguf_file_put_i32(w, "llama.attention.head_count", 4);
	int32_t kv[2] = { 2, 1 };
	gguf_file_put_arr_i32(w, "llama.attention.head_count_kv", kv, 2);
	gguf_file_put_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	gguf_file_put_bool(w, "general.flag", 1);
	float sc[3] = { 0, -1, -2 };
	gguf_file_put_arr_f32(w, "tokenizer.ggml.scores", sc, 3);
	const char *toks[3] = { "<unk>", "<s>", "</s>" };
	gguf_file_put_arr_str(w, "tokenizer.ggml.tokens", toks, 3);
	gguf_file_put_u16(w, "split.no", 0);
	gguf_file_put_u16(w, "split.count", 1);
	gguf_file_put_i32(w, "split.tensors.count", 4);
	char *cause = NULL;
	uint64_t e1[1] = { 256 }, e2[2] = { 256, 256 }, e3[2] = { 100, 3 };
	CU_ASSERT_EQUAL(gguf_file_put_tensor(w, "blk.0.attn_q.weight", 2, e2, 12, NULL), 0);
	CU_ASSERT_EQUAL(gguf_file_put_tensor(w, "blk.0.attn_norm.weight", 1, e1, 0, NULL), 0);
	CU_ASSERT_EQUAL(gguf_file_put_tensor(w, "blk.1.ffn_up.weight", 2, e2, 14, NULL), 0);
	CU_ASSERT_EQUAL(gguf_file_put_tensor(w, "output.weight", 2, e3, 1, NULL), 0);
	CU_ASSERT_EQUAL(gguf_file_put_tensor(w, "x", 2, e3, 12, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "tensor 'x': row of 100 elements is not a whole number "
				  "of q4_K blocks"));
	free(cause);
	CU_ASSERT_EQUAL(gguf_file_put_tensor(w, "x", 1, e1, 4, NULL), UTIL_EINPUT);
	CU_ASSERT_EQUAL(gguf_file_put_tensor(w, "x", 5, e1, 0, NULL), UTIL_EINPUT);
	/* q4_K 256x256: 256 blocks of 144; f32 256: 1024; q6_K: 256*210;
	 * f16 100x3: 600 -> 608 aligned to 32 */
	uint64_t data = 256 * 144 + 1024 + 256 * 210 + 608;
	CU_ASSERT_EQUAL(gguf_file_writer_data_bytes(w), data);
	unsigned char *buf;
	size_t len;
	uint64_t size;
	gguf_file_writer_finish(w, &buf, &len, &size);
	gguf_file_writer_free(w);
	CU_ASSERT_EQUAL(len % 32, 0);
	CU_ASSERT_EQUAL(size, len + data);
	unsigned char *whole = calloc(1, (size_t)size);
	memcpy(whole, buf, len);
	struct profile p;
	struct gguf_file_info gi;
	CU_ASSERT_EQUAL_FATAL(gguf_file_read_profile(whole, (size_t)size, "w.gguf", &p, &gi, NULL), 0);
	CU_ASSERT_EQUAL(gi.version, 3);
	CU_ASSERT_EQUAL(gi.n_kv, 13);
	CU_ASSERT_EQUAL(gi.n_tensors, 4);
	CU_ASSERT_EQUAL(gi.data_offset, len);
	CU_ASSERT_EQUAL(gi.data_end, size - 8); /* the last tensor's padding */
	CU_ASSERT_EQUAL(gi.split_count, 1);
	CU_ASSERT_EQUAL(gi.split_tensors, 4);
	CU_ASSERT_STRING_EQUAL(p.name, "written");
	CU_ASSERT_EQUAL(p.n_layer, 2);
	CU_ASSERT_EQUAL(p.n_head, 4);
	CU_ASSERT_EQUAL(p.n_head_kv, 2);
	CU_ASSERT_EQUAL(p.n_vocab, 3);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 0), 256 * 144 + 1024);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 1), 256 * 210);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 2), 600);
	profile_clear(&p);
	/* A header alone is a truncated file. */
	CU_ASSERT_EQUAL(gguf_file_read_profile(whole, len, "w.gguf", &p, &gi, NULL), UTIL_EINPUT);
	free(whole);
	free(buf);

	/* Split keys that contradict each other are refused. */
	w = gguf_file_writer_new();
	gguf_file_put_u16(w, "split.no", 3);
	gguf_file_put_u16(w, "split.count", 3);
	gguf_file_writer_finish(w, &buf, &len, &size);
	gguf_file_writer_free(w);
	cause = NULL;
	CU_ASSERT_EQUAL(gguf_file_read_profile(buf, len, "s.gguf", &p, NULL, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "s.gguf: key 'split.no' is out of range, expected a part "
				  "number below split.count 3"));
	free(cause);
	free(buf);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "\ntest_gguf: the worst-case import did not finish in 120 s: "
				  "layer grouping is not O(n log n)\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* Issue 16: a header whose tensors are all on distinct layers (the worst
 * case of the old per-tensor linear merge: 300 k tensors took 29-40 s).
 * 600 k empty tensors, no block_count (so n_layer comes from the names),
 * imported into a store and read back. The alarm is a hang guard far
 * above the expected time, not a timing assertion (make bench measures). */
static void test_gguf_many_layers(void)
{
	enum { N = 600000 };
	struct gguf_file_writer *w = gguf_file_writer_new();
	gguf_file_put_str(w, "general.architecture", "llama");
	uint64_t ne[1] = { 0 };
	char name[32];
	int bad = 0;
	for (int i = N - 1; i >= 0; i--) {  /* reversed: the order must not matter */
		snprintf(name, sizeof(name), "blk.%d.attn_q.weight", i);
		bad += gguf_file_put_tensor(w, name, 1, ne, 0, NULL) != 0;
	}
	CU_ASSERT_EQUAL_FATAL(bad, 0);
	unsigned char *buf;
	size_t len;
	uint64_t size;
	gguf_file_writer_finish(w, &buf, &len, &size);
	gguf_file_writer_free(w);
	signal(SIGALRM, on_alarm);
	alarm(120);
	struct profile p;
	CU_ASSERT_EQUAL_FATAL(gguf_file_read_profile(buf, len, "many.gguf", &p, NULL, NULL), 0);
	CU_ASSERT_EQUAL(p.n_layer, N);
	CU_ASSERT_EQUAL(p.n_parts, N);
	CU_ASSERT_EQUAL(p.parts[0].layer, 0);
	CU_ASSERT_EQUAL(p.parts[N - 1].layer, N - 1);
	profile_clear(&p);

	struct store *st = cu_store_new("many.db");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	char *cause = NULL;
	int rc = imp_buffer(st, "many.gguf", buf, len, &o, &res, &cause);
	if (rc)
		printf("\n  %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	free(res.summary);
	CU_ASSERT_EQUAL(store_profile_get(st, res.profile_id, &p, NULL), 0);
	CU_ASSERT_EQUAL(p.n_parts, N);
	profile_clear(&p);
	alarm(0);
	store_close(st);
	free(buf);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("gguf", NULL, NULL);
	CU_ADD(s, test_gguf_stories260k);
	CU_ADD(s, test_gguf_vocab_only);
	CU_ADD(s, test_gguf_versions);
	CU_ADD(s, test_gguf_bad_magic_and_version);
	CU_ADD(s, test_gguf_truncated);
	CU_ADD(s, test_gguf_absurd_counts);
	CU_ADD(s, test_gguf_nested_arrays);
	CU_ADD(s, test_gguf_tensor_errors);
	CU_ADD(s, test_gguf_alignment);
	CU_ADD(s, test_gguf_keys);
	CU_ADD(s, test_gguf_groups);
	CU_ADD(s, test_gguf_type_table);
	CU_ADD(s, test_gguf_import);
	CU_ADD(s, test_gguf_writer);
	CU_ADD(s, test_gguf_many_layers);
}

CUTEST_MAIN(register_tests)
