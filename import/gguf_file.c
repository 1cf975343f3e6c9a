/*
 * gguf_file.c - the GGUF codec: the header reader (metadata and tensor
 * infos into a profile) and the header writer.
 *
 * Over 800 lines on purpose: reader and writer share the type tables and
 * the value encoding, and must agree byte for byte; split, they would
 * each need those tables exported.
 *
 * Sources: ggml docs/gguf.md (layout, value types, alignment, versions)
 * and llama.cpp ggml/src/gguf.cpp (what a real loader refuses: version 0
 * and byte-swapped versions, duplicate keys and tensor names, more than
 * GGML_MAX_DIMS = 4 dims, rows that are not whole blocks, alignment that
 * is not a power of two). The reader walks the mapped bytes in place: no
 * copy of the metadata is made, so the only allocation is one small
 * record per tensor, after the tensor count has been checked against the
 * bytes that are left.
 */
#include "gguf_file.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	GGUF_DEFAULT_ALIGNMENT = 32,
	GGUF_MAX_DIMS = 4,   /* GGML_MAX_DIMS */
	GGUF_MAX_DEPTH = 8,  /* arrays of arrays: the spec allows them, no
			      * writer nests deeply; the bound keeps the
			      * recursion shallow */
	SHOW_MAX = 96,       /* bytes of a key or tensor name in messages */
	GGUF_MAX_LAYERS = 1 << 20 /* block_count: far above any model, low
				   * enough that per-layer arrays downstream
				   * stay small */
};

/* ---- ggml tensor types ---- */

/*
 * By id: llama.cpp ggml/include/ggml.h enum ggml_type (ids),
 * ggml/src/ggml.c type_traits[] (blck_size) and the block structs of
 * ggml/src/ggml-common.h (type_size = sizeof(block_*), written here as
 * the sum of the struct's fields; ggml_half is 2 bytes). Holes are ids
 * removed from ggml (Q4_2/Q4_3, the Q4_0_x_x and IQ4_NL_x_x repacks).
 */
#define QK_K 256
static const struct gguf_file_type ggml_types[] = {
	[0]  = { "f32",     1,    4 },
	[1]  = { "f16",     1,    2 },
	[2]  = { "q4_0",    32,   2 + 32 / 2 },                         /* 18 */
	[3]  = { "q4_1",    32,   2 * 2 + 32 / 2 },                     /* 20 */
	[6]  = { "q5_0",    32,   2 + 4 + 32 / 2 },                     /* 22 */
	[7]  = { "q5_1",    32,   2 * 2 + 4 + 32 / 2 },                 /* 24 */
	[8]  = { "q8_0",    32,   2 + 32 },                             /* 34 */
	[9]  = { "q8_1",    32,   2 * 2 + 32 },                         /* 36 */
	[10] = { "q2_K",    QK_K, 2 * 2 + QK_K / 16 + QK_K / 4 },       /* 84 */
	[11] = { "q3_K",    QK_K, 2 + QK_K / 4 + QK_K / 8 + 12 },       /* 110 */
	[12] = { "q4_K",    QK_K, 2 * 2 + 12 + QK_K / 2 },              /* 144 */
	[13] = { "q5_K",    QK_K, 2 * 2 + 12 + QK_K / 2 + QK_K / 8 },   /* 176 */
	[14] = { "q6_K",    QK_K, 2 + QK_K / 16 + 3 * QK_K / 4 },       /* 210 */
	[15] = { "q8_K",    QK_K, 4 + QK_K + QK_K / 16 * 2 },           /* 292 */
	[16] = { "iq2_xxs", QK_K, 2 + QK_K / 8 * 2 },                   /* 66 */
	[17] = { "iq2_xs",  QK_K, 2 + QK_K / 8 * 2 + QK_K / 32 },       /* 74 */
	[18] = { "iq3_xxs", QK_K, 2 + 3 * (QK_K / 8) },                 /* 98 */
	[19] = { "iq1_s",   QK_K, 2 + QK_K / 8 + QK_K / 16 },           /* 50 */
	[20] = { "iq4_nl",  32,   2 + 32 / 2 },                         /* 18 */
	[21] = { "iq3_s",   QK_K, 2 + 13 * (QK_K / 32) + QK_K / 64 },   /* 110 */
	[22] = { "iq2_s",   QK_K, 2 + QK_K / 4 + QK_K / 16 },           /* 82 */
	[23] = { "iq4_xs",  QK_K, 2 + 2 + QK_K / 64 + QK_K / 2 },       /* 136 */
	[24] = { "i8",      1,    1 },
	[25] = { "i16",     1,    2 },
	[26] = { "i32",     1,    4 },
	[27] = { "i64",     1,    8 },
	[28] = { "f64",     1,    8 },
	[29] = { "iq1_m",   QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32 },   /* 56 */
	[30] = { "bf16",    1,    2 },
	[34] = { "tq1_0",   QK_K, 2 + QK_K / 64 + (QK_K - 4 * QK_K / 64) / 5 }, /* 54 */
	[35] = { "tq2_0",   QK_K, 2 + QK_K / 4 },                       /* 66 */
	[39] = { "mxfp4",   32,   1 + 32 / 2 },                         /* 17 */
	[40] = { "nvfp4",   64,   64 / 16 + 64 / 2 },                   /* 36 */
	[41] = { "q1_0",    128,  2 + 128 / 8 },                        /* 18 */
};

const struct gguf_file_type *gguf_file_type(uint32_t id)
{
	if (id >= UTIL_ARRAY_SIZE(ggml_types) || !ggml_types[id].name)
		return NULL;
	return &ggml_types[id];
}

int gguf_file_has_magic(const unsigned char *data, size_t len)
{
	return len >= 4 && memcmp(data, "GGUF", 4) == 0;
}

/* ---- metadata value types (ggml docs/gguf.md, gguf_metadata_value_type) ---- */

enum vtype {
	T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR,
	T_U64, T_I64, T_F64, T_COUNT
};

static const char *const vtype_names[T_COUNT] = {
	"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
	"bool", "string", "array", "uint64", "int64", "float64",
};
/* Bytes of a fixed-size value; 0 for string and array. */
static const uint8_t vtype_size[T_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

static int vtype_is_int(uint32_t t)
{
	return t <= T_I32 || t == T_U64 || t == T_I64;
}

static int vtype_is_signed(uint32_t t)
{
	return t == T_I8 || t == T_I16 || t == T_I32 || t == T_I64;
}

/* ---- the byte reader ---- */

struct rd {
	const unsigned char *data;
	size_t len, pos;
	int be;          /* big-endian file */
	int narrow;      /* v1: counts, lengths and dims are 32-bit */
	const char *path;
	char **cause;
	char ctx[SHOW_MAX + 48]; /* "key 3 'llama.block_count'" or "" */
};

/* Copy a name from the file for a message: control bytes become '?',
 * long names are cut (at a UTF-8 character boundary) and marked "...". */
static void show(char *buf, size_t n, const unsigned char *s, size_t len)
{
	size_t max = n - 4, i;
	for (i = 0; i < len && i < max; i++)
		buf[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
	if (i < len) {
		while (i > 0 && (s[i] & 0xc0) == 0x80)
			i--;
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}

/* Fail with "PATH: byte AT: CONTEXT: message". */
static int rd_err(struct rd *r, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int rd_err(struct rd *r, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = util_xvasprintf(fmt, ap);
	va_end(ap);
	int rc = util_err(r->cause, UTIL_EINPUT, "%s: byte %zu: %s%s%s", r->path, at,
			  r->ctx, r->ctx[0] ? ": " : "", msg);
	free(msg);
	return rc;
}

static size_t rd_left(const struct rd *r)
{
	return r->len - r->pos;
}

static int rd_need(struct rd *r, size_t n, const char *what)
{
	if (rd_left(r) >= n)
		return 0;
	return rd_err(r, r->pos, "file ends inside %s: %zu bytes needed, %zu left", what, n,
		      rd_left(r));
}

/* Unsigned integer of n (1, 2, 4, 8) bytes in the file's byte order. */
static int rd_uint(struct rd *r, size_t n, uint64_t *v, const char *what)
{
	int rc = rd_need(r, n, what);
	if (rc)
		return rc;
	const unsigned char *p = r->data + r->pos;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)p[r->be ? n - 1 - i : i] << (8 * i);
	*v = x;
	r->pos += n;
	return 0;
}

static int rd_u32(struct rd *r, uint32_t *v, const char *what)
{
	uint64_t x;
	int rc = rd_uint(r, 4, &x, what);
	*v = (uint32_t)x;
	return rc;
}

/* A count or length: u32 in v1, u64 after. */
static int rd_count(struct rd *r, uint64_t *v, const char *what)
{
	return rd_uint(r, r->narrow ? 4 : 8, v, what);
}

static int rd_skip(struct rd *r, size_t n, const char *what)
{
	int rc = rd_need(r, n, what);
	if (rc == 0)
		r->pos += n;
	return rc;
}

/* A GGUF string: length, then bytes (no NUL). *s points into the file. */
static int rd_str(struct rd *r, const unsigned char **s, size_t *n, const char *what)
{
	size_t at = r->pos;
	uint64_t len;
	int rc = rd_count(r, &len, what);
	if (rc)
		return rc;
	if (len > rd_left(r))
		return rd_err(r, at, "%s of %" PRIu64 " bytes does not fit in the %zu bytes left",
			      what, len, rd_left(r));
	*s = r->data + r->pos;
	*n = (size_t)len;
	r->pos += (size_t)len;
	return 0;
}

/* Smallest encoding of one value of type t, to bound counts. */
static size_t min_size(const struct rd *r, uint32_t t)
{
	size_t count = r->narrow ? 4 : 8;
	if (t == T_STR)
		return count;
	if (t == T_ARR)
		return 4 + count;
	return vtype_size[t];
}

/* Array header: element type and count, the count checked against the
 * bytes left (so that no loop runs on a count the file cannot hold). */
static int rd_array_head(struct rd *r, uint32_t *et, uint64_t *n)
{
	size_t at = r->pos;
	int rc = rd_u32(r, et, "array element type");
	if (rc)
		return rc;
	if (*et >= T_COUNT)
		return rd_err(r, at, "unknown array element type %" PRIu32 " (0..12 are defined)",
			      *et);
	at = r->pos;
	if ((rc = rd_count(r, n, "array length")))
		return rc;
	size_t min = min_size(r, *et);
	if (*n > rd_left(r) / min)
		return rd_err(r, at, "array of %" PRIu64 " %s values needs at least %zu bytes each, "
			      "%zu bytes left", *n, vtype_names[*et], min, rd_left(r));
	return 0;
}

static int skip_value(struct rd *r, uint32_t t, int depth);

static int skip_array(struct rd *r, int depth)
{
	if (depth >= GGUF_MAX_DEPTH)
		return rd_err(r, r->pos, "arrays nested more than %d deep", GGUF_MAX_DEPTH);
	uint32_t et;
	uint64_t n;
	int rc = rd_array_head(r, &et, &n);
	if (rc)
		return rc;
	if (vtype_size[et])  /* checked by rd_array_head: fits */
		return rd_skip(r, (size_t)n * vtype_size[et], "array");
	for (uint64_t i = 0; i < n && rc == 0; i++)
		rc = skip_value(r, et, depth + 1);
	return rc;
}

static int skip_value(struct rd *r, uint32_t t, int depth)
{
	const unsigned char *s;
	size_t n;
	if (t == T_STR)
		return rd_str(r, &s, &n, "string");
	if (t == T_ARR)
		return skip_array(r, depth);
	return rd_skip(r, vtype_size[t], vtype_names[t]);
}

/* One integer of type t (checked: an integer type) as unsigned. */
static int read_int(struct rd *r, uint32_t t, uint64_t *v)
{
	size_t at = r->pos;
	int rc = rd_uint(r, vtype_size[t], v, vtype_names[t]);
	if (rc)
		return rc;
	unsigned bits = 8u * vtype_size[t];
	if (vtype_is_signed(t) && (*v >> (bits - 1)) & 1)
		return rd_err(r, at, "value is negative, expected a count");
	return 0;
}

static int type_err(struct rd *r, size_t at, uint32_t t, const char *expected)
{
	return rd_err(r, at, "value has type %s, expected %s", vtype_names[t], expected);
}

/* ---- metadata ---- */

/* Keys under "{arch}." that the profile uses. */
enum hkey {
	K_BLOCKS, K_EMBD, K_HEAD, K_HEAD_KV, K_KEY_LEN, K_VAL_LEN, K_VOCAB, K_CTX,
	K_EXPERT, K_EXPERT_USED, K_FF, K_COUNT
};

static const struct {
	const char *suffix;
	int per_layer;  /* may be an array with one value per layer */
} arch_keys[K_COUNT] = {
	[K_BLOCKS]      = { "block_count", 0 },
	[K_EMBD]        = { "embedding_length", 0 },
	[K_HEAD]        = { "attention.head_count", 1 },
	[K_HEAD_KV]     = { "attention.head_count_kv", 1 },
	[K_KEY_LEN]     = { "attention.key_length", 0 },
	[K_VAL_LEN]     = { "attention.value_length", 0 },
	[K_VOCAB]       = { "vocab_size", 0 },
	[K_CTX]         = { "context_length", 0 },
	[K_EXPERT]      = { "expert_count", 0 },
	[K_EXPERT_USED] = { "expert_used_count", 0 },
	[K_FF]          = { "feed_forward_length", 1 },
};

/* What the metadata gave. Strings point into the file. */
struct meta {
	const unsigned char *arch, *name;
	size_t arch_len, name_len;
	int has_arch, has_name, has_align, has_tokens;
	int has_split_no, has_split_count, has_split_tensors;
	uint64_t align, n_tokens, split_no, split_count, split_tensors;
	uint64_t val[K_COUNT];
	int seen[K_COUNT];
	int array[K_COUNT]; /* the value was a per-layer array */
};

static int key_is(const unsigned char *k, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(k, want, n) == 0;
}

/* Which "{arch}.<suffix>" key k is, or -1. */
static int arch_key(const struct meta *m, const unsigned char *k, size_t n)
{
	if (!m->has_arch || n <= m->arch_len + 1 || memcmp(k, m->arch, m->arch_len) != 0 ||
	    k[m->arch_len] != '.')
		return -1;
	for (int i = 0; i < K_COUNT; i++)
		if (key_is(k + m->arch_len + 1, n - m->arch_len - 1, arch_keys[i].suffix))
			return i;
	return -1;
}

static int read_str_value(struct rd *r, uint32_t t, const unsigned char **s, size_t *n)
{
	if (t != T_STR)
		return type_err(r, r->pos, t, "string");
	return rd_str(r, s, n, "string");
}

/* An unsigned integer, or with per_layer an array of them (the max). */
static int read_count_value(struct rd *r, uint32_t t, int per_layer, uint64_t *v,
			    int *was_array)
{
	size_t at = r->pos;
	*was_array = 0;
	if (vtype_is_int(t))
		return read_int(r, t, v);
	if (t != T_ARR || !per_layer)
		return type_err(r, at, t, per_layer ? "an unsigned integer or an array of them"
					 : "an unsigned integer");
	uint32_t et;
	uint64_t n;
	int rc = rd_array_head(r, &et, &n);
	if (rc)
		return rc;
	if (!vtype_is_int(et))
		return rd_err(r, at, "value is an array of %s, expected an array of integers",
			      vtype_names[et]);
	*v = 0;
	*was_array = 1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x;
		if ((rc = read_int(r, et, &x)))
			return rc;
		if (x > *v)
			*v = x;
	}
	return 0;
}

/* tokenizer.ggml.tokens: an array of strings; only its length counts. */
static int read_tokens(struct rd *r, uint32_t t, uint64_t *n)
{
	size_t at = r->pos;
	if (t != T_ARR)
		return type_err(r, at, t, "an array of strings");
	uint32_t et;
	int rc = rd_array_head(r, &et, n);
	if (rc)
		return rc;
	if (et != T_STR)
		return rd_err(r, at, "value is an array of %s, expected an array of strings",
			      vtype_names[et]);
	for (uint64_t i = 0; i < *n && rc == 0; i++)
		rc = skip_value(r, T_STR, 1);
	return rc;
}

static int dup_key(struct rd *r, size_t at)
{
	return rd_err(r, at, "duplicate key");
}

/* Pass 1: the keys that do not depend on the architecture. Returns 1 if
 * the key is not one of them (the caller skips its value). */
static int use_general(struct rd *r, struct meta *m, const unsigned char *k, size_t n,
		       uint32_t t, size_t at)
{
	int was_array;
	if (key_is(k, n, "general.architecture")) {
		if (m->has_arch)
			return dup_key(r, at);
		m->has_arch = 1;
		return read_str_value(r, t, &m->arch, &m->arch_len);
	}
	if (key_is(k, n, "general.name")) {
		if (m->has_name)
			return dup_key(r, at);
		m->has_name = 1;
		return read_str_value(r, t, &m->name, &m->name_len);
	}
	if (key_is(k, n, "general.alignment")) {
		if (m->has_align)
			return dup_key(r, at);
		m->has_align = 1;
		return read_count_value(r, t, 0, &m->align, &was_array);
	}
	static const struct {
		const char *key;
		size_t has, val;
		uint64_t max;
	} split[] = {
		{ "split.no", offsetof(struct meta, has_split_no), offsetof(struct meta, split_no),
		  UINT16_MAX },
		{ "split.count", offsetof(struct meta, has_split_count),
		  offsetof(struct meta, split_count), UINT16_MAX },
		{ "split.tensors.count", offsetof(struct meta, has_split_tensors),
		  offsetof(struct meta, split_tensors), INT32_MAX },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(split); i++) {
		if (!key_is(k, n, split[i].key))
			continue;
		int *has = (int *)((char *)m + split[i].has);
		uint64_t *v = (uint64_t *)((char *)m + split[i].val);
		if (*has)
			return dup_key(r, at);
		*has = 1;
		size_t vat = r->pos;
		int rc = read_count_value(r, t, 0, v, &was_array);
		if (rc == 0 && *v > split[i].max)
			rc = rd_err(r, vat, "value %" PRIu64 " is out of range (at most %" PRIu64 ")",
				    *v, split[i].max);
		return rc;
	}
	if (key_is(k, n, "tokenizer.ggml.tokens")) {
		if (m->has_tokens)
			return dup_key(r, at);
		m->has_tokens = 1;
		return read_tokens(r, t, &m->n_tokens);
	}
	return 1;
}

/* Pass 2: "{arch}.*" keys. Returns 1 for a key it does not use. */
static int use_arch(struct rd *r, struct meta *m, const unsigned char *k, size_t n,
		    uint32_t t, size_t at)
{
	int i = arch_key(m, k, n);
	if (i < 0)
		return 1;
	if (m->seen[i])
		return dup_key(r, at);
	m->seen[i] = 1;
	size_t vat = r->pos;
	uint64_t max = i == K_BLOCKS ? GGUF_MAX_LAYERS : UINT32_MAX;
	int rc = read_count_value(r, t, arch_keys[i].per_layer, &m->val[i], &m->array[i]);
	if (rc == 0 && m->val[i] > max)
		rc = rd_err(r, vat, "value %" PRIu64 " is out of range (at most %" PRIu64 ")",
			    m->val[i], max);
	return rc;
}

/* Walk the n KV pairs from the current position; pass 1 or 2 picks
 * which keys are read (the architecture must be known before its keys
 * can be recognised, and writers may put it anywhere). */
static int walk_kvs(struct rd *r, uint64_t n_kv, struct meta *m, int pass)
{
	int rc = 0;
	for (uint64_t i = 0; i < n_kv && rc == 0; i++) {
		size_t at = r->pos;
		const unsigned char *k;
		size_t kn;
		uint32_t t;
		snprintf(r->ctx, sizeof(r->ctx), "key %" PRIu64, i);
		if ((rc = rd_str(r, &k, &kn, "key name")))
			break;
		if (kn == 0)
			return rd_err(r, at, "empty key name");
		char name[SHOW_MAX];
		show(name, sizeof(name), k, kn);
		snprintf(r->ctx, sizeof(r->ctx), "key %" PRIu64 " '%s'", i, name);
		size_t tat = r->pos;
		if ((rc = rd_u32(r, &t, "value type")))
			break;
		if (t >= T_COUNT)
			return rd_err(r, tat, "unknown value type %" PRIu32 " (0..12 are defined)", t);
		rc = pass == 1 ? use_general(r, m, k, kn, t, at) : use_arch(r, m, k, kn, t, at);
		if (rc == 1)
			rc = skip_value(r, t, 0);
	}
	if (rc == 0)
		r->ctx[0] = '\0';
	return rc;
}

/* ---- tensors ---- */

/* One tensor info; the name points into the file. */
struct tensor {
	const unsigned char *name;
	size_t name_len;
	uint64_t bytes;
	uint64_t offset;
	size_t at;      /* where its info starts, for messages */
};

/* "blk.N.rest": 1 with *layer = N and *rest at "rest"; 0 if the name has
 * no block prefix; -1 if N is GGUF_MAX_LAYERS or more. */
static int blk_index(const unsigned char *s, size_t n, uint64_t *layer, size_t *rest)
{
	if (n < 6 || memcmp(s, "blk.", 4) != 0)
		return 0;
	size_t i = 4;
	uint64_t v = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v >= GGUF_MAX_LAYERS)
			return -1;
		i++;
	}
	if (i == 4 || i >= n || s[i] != '.')
		return 0;
	*layer = v;
	*rest = i + 1;
	return 1;
}

static int has_prefix(const unsigned char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);
	return n >= pn && memcmp(s, p, pn) == 0;
}

static int has_suffix(const unsigned char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);
	return n >= pn && memcmp(s + n - pn, p, pn) == 0;
}

static int contains(const unsigned char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);
	for (size_t i = 0; i + pn <= n; i++)
		if (memcmp(s + i, p, pn) == 0)
			return 1;
	return 0;
}

/* Group of a tensor from its base name (the part before the next '.'). */
static int tensor_group(const unsigned char *s, size_t n)
{
	const unsigned char *dot = memchr(s, '.', n);
	if (dot)
		n = (size_t)(dot - s);
	if (has_prefix(s, n, "attn_"))
		return PROFILE_ATTN;
	if (has_prefix(s, n, "ffn_")) {
		/* Routed experts: ffn_{gate,up,down}_exps (and the older
		 * per-expert "_exp"); shared experts (_shexp) are dense. */
		if (!contains(s, n, "_shexp") && (contains(s, n, "_exps") || has_suffix(s, n, "_exp")))
			return PROFILE_FFN_EXPS;
		return PROFILE_FFN;
	}
	if (contains(s, n, "norm"))
		return PROFILE_NORM;
	return PROFILE_OTHER;
}

/* Layer of a non-block tensor (see gguf_file.h). */
static int32_t top_layer(const unsigned char *s, size_t n, uint32_t n_layer)
{
	const unsigned char *dot = memchr(s, '.', n);
	size_t bn = dot ? (size_t)(dot - s) : n;
	if (key_is(s, bn, "token_embd") || key_is(s, bn, "position_embd") ||
	    key_is(s, bn, "token_types"))
		return PROFILE_LAYER_INPUT;
	if (key_is(s, bn, "token_embd_norm"))
		return 0;
	return (int32_t)n_layer;
}

/* Element count of a tensor, checked against int64 overflow as ggml does. */
static int tensor_shape(struct rd *r, uint64_t *nel, uint64_t *ne0)
{
	size_t at = r->pos;
	uint32_t n_dims;
	int rc = rd_u32(r, &n_dims, "number of dimensions");
	if (rc)
		return rc;
	if (n_dims > GGUF_MAX_DIMS)
		return rd_err(r, at, "%" PRIu32 " dimensions, at most %d are allowed", n_dims,
			      GGUF_MAX_DIMS);
	*nel = 1;
	*ne0 = 1;
	int overflow = 0;
	for (uint32_t d = 0; d < n_dims; d++) {
		uint64_t ne;
		at = r->pos;
		if ((rc = rd_count(r, &ne, "dimension")))
			return rc;
		if (ne > INT64_MAX)
			return rd_err(r, at, "dimension %" PRIu32 " is %" PRIu64 ", more than "
				      "%" PRId64, d, ne, INT64_MAX);
		if (d == 0)
			*ne0 = ne;
		if (ne != 0 && *nel > (uint64_t)INT64_MAX / ne)
			overflow = 1;
		else
			*nel *= ne;
	}
	if (overflow && *nel != 0)
		return rd_err(r, at, "more than %" PRId64 " elements", INT64_MAX);
	if (overflow)
		*nel = 0; /* a zero dimension makes the tensor empty */
	return 0;
}

/* One tensor info at the reader's position into *t. */
static int read_tensor(struct rd *r, uint64_t i, uint32_t alignment, struct tensor *t)
{
	t->at = r->pos;
	snprintf(r->ctx, sizeof(r->ctx), "tensor %" PRIu64, i);
	int rc = rd_str(r, &t->name, &t->name_len, "tensor name");
	if (rc)
		return rc;
	if (t->name_len == 0)
		return rd_err(r, t->at, "empty tensor name");
	char name[SHOW_MAX];
	show(name, sizeof(name), t->name, t->name_len);
	snprintf(r->ctx, sizeof(r->ctx), "tensor %" PRIu64 " '%s'", i, name);
	uint64_t nel = 0, ne0 = 0;
	if ((rc = tensor_shape(r, &nel, &ne0)))
		return rc;
	size_t at = r->pos;
	uint32_t type;
	if ((rc = rd_u32(r, &type, "ggml type")))
		return rc;
	const struct gguf_file_type *gt = gguf_file_type(type);
	if (!gt)
		return rd_err(r, at, "unknown ggml type %" PRIu32, type);
	if (ne0 % gt->blck != 0)
		return rd_err(r, at, "row of %" PRIu64 " elements is not a whole number of %s "
			      "blocks (%" PRIu32 " elements each)", ne0, gt->name, gt->blck);
	uint64_t blocks = nel / gt->blck;
	if (blocks > UINT64_MAX / gt->size)
		return rd_err(r, at, "size in bytes does not fit in 64 bits");
	t->bytes = blocks * gt->size;
	at = r->pos;
	if ((rc = rd_uint(r, 8, &t->offset, "data offset")))
		return rc;
	if (t->offset % alignment != 0)
		return rd_err(r, at, "data offset %" PRIu64 " is not a multiple of the alignment "
			      "%" PRIu32, t->offset, alignment);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct tensor *x = *(const struct tensor *const *)a;
	const struct tensor *y = *(const struct tensor *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* Duplicate names would count a tensor twice (ggml refuses them). */
static int check_unique(struct rd *r, struct tensor *ts, uint64_t n)
{
	if (n < 2)
		return 0;
	struct tensor **by = util_xmalloc((size_t)n * sizeof(*by));
	for (uint64_t i = 0; i < n; i++)
		by[i] = &ts[i];
	qsort(by, (size_t)n, sizeof(*by), name_cmp);
	int rc = 0;
	for (uint64_t i = 1; i < n && rc == 0; i++) {
		if (name_cmp(&by[i - 1], &by[i]) != 0)
			continue;
		const struct tensor *t = by[i - 1] > by[i] ? by[i - 1] : by[i];
		char name[SHOW_MAX];
		show(name, sizeof(name), t->name, t->name_len);
		rc = rd_err(r, t->at, "tensor name '%s' is used twice", name);
	}
	free(by);
	return rc;
}

/* Every tensor's data must lie inside the file. */
static int check_ranges(struct rd *r, const struct tensor *ts, uint64_t n, uint64_t data_off,
			uint64_t *data_end)
{
	*data_end = data_off;
	for (uint64_t i = 0; i < n; i++) {
		const struct tensor *t = &ts[i];
		uint64_t start = t->offset > UINT64_MAX - data_off ? UINT64_MAX : data_off + t->offset;
		if (start <= r->len && t->bytes <= r->len - start) {
			if (start + t->bytes > *data_end)
				*data_end = start + t->bytes;
			continue;
		}
		char name[SHOW_MAX];
		show(name, sizeof(name), t->name, t->name_len);
		r->ctx[0] = '\0';
		return rd_err(r, t->at, "tensor '%s': its %" PRIu64 " bytes of data at byte %" PRIu64
			      " lie past the end of the file (%zu bytes): the file is truncated",
			      name, t->bytes, start, r->len);
	}
	return 0;
}

/* Block numbers: the largest one, and each checked against block_count. */
static int check_layers(struct rd *r, const struct tensor *ts, uint64_t n,
			const struct meta *m, uint32_t *n_layer)
{
	uint64_t top = 0;
	int any = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t l;
		size_t rest;
		int b = blk_index(ts[i].name, ts[i].name_len, &l, &rest);
		if (b == 0)
			continue;
		char name[SHOW_MAX];
		show(name, sizeof(name), ts[i].name, ts[i].name_len);
		r->ctx[0] = '\0';
		if (b < 0)
			return rd_err(r, ts[i].at, "tensor '%s': block number out of range (below %d)",
				      name, GGUF_MAX_LAYERS);
		if (m->seen[K_BLOCKS] && l >= m->val[K_BLOCKS])
			return rd_err(r, ts[i].at, "tensor '%s': block %" PRIu64 " but %.*s.block_count "
				      "is %" PRIu64, name, l, (int)m->arch_len, (const char *)m->arch,
				      m->val[K_BLOCKS]);
		if (!any || l > top)
			top = l;
		any = 1;
	}
	*n_layer = m->seen[K_BLOCKS] ? (uint32_t)m->val[K_BLOCKS] : any ? (uint32_t)top + 1 : 0;
	return 0;
}

static int part_cmp(const void *a, const void *b)
{
	const struct profile_part *x = a, *y = b;
	if (x->layer != y->layer)
		return (x->layer > y->layer) - (x->layer < y->layer);
	return (x->group > y->group) - (x->group < y->group);
}

/* One part per (layer, group), summed over its tensors. Sorting and then
 * merging runs keeps this O(n log n) in tensors: profile_add() looks up
 * its part by a linear scan, which made a header with many tensors on
 * distinct layers quadratic (issue 16: 300 k tensors took 29-40 s). */
static void add_parts(struct profile *p, const struct tensor *ts, uint64_t n)
{
	if (n == 0)
		return;
	struct profile_part *v = util_xmalloc((size_t)n * sizeof(*v));
	for (uint64_t i = 0; i < n; i++) {
		uint64_t l;
		size_t rest = 0;
		int32_t layer;
		if (blk_index(ts[i].name, ts[i].name_len, &l, &rest) == 1)
			layer = (int32_t)l;
		else
			layer = top_layer(ts[i].name, ts[i].name_len, p->n_layer);
		int group = layer == PROFILE_LAYER_INPUT ? PROFILE_OTHER
			    : tensor_group(ts[i].name + rest, ts[i].name_len - rest);
		v[i] = (struct profile_part){ .layer = layer, .group = (int16_t)group,
					      .bytes = ts[i].bytes };
	}
	qsort(v, (size_t)n, sizeof(*v), part_cmp);
	size_t k = 0;
	for (size_t i = 1; i < (size_t)n; i++) {
		if (part_cmp(&v[k], &v[i]) == 0)
			v[k].bytes += v[i].bytes;
		else
			v[++k] = v[i];
	}
	/* The profile owns its parts (profile.h); handing over the sorted
	 * array is the same as n profile_add() calls, in a stable order. */
	free(p->parts);
	p->parts = v;
	p->n_parts = k + 1;
	p->alloc_parts = (size_t)n;
}

/* ---- the profile ---- */

static void copy_name(char *dst, size_t n, const unsigned char *s, size_t len)
{
	if (len >= n) {  /* cut at a UTF-8 character boundary */
		len = n - 1;
		while (len > 0 && (s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* "dir/model.gguf" -> "model" */
static void name_from_path(char *dst, size_t n, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t len = strlen(b);
	if (len > 5 && strcmp(b + len - 5, ".gguf") == 0)
		len -= 5;
	copy_name(dst, n, (const unsigned char *)b, len);
}

static void fill_profile(struct profile *p, const struct meta *m, const char *path)
{
	if (m->has_name && m->name_len > 0)
		copy_name(p->name, sizeof(p->name), m->name, m->name_len);
	else
		name_from_path(p->name, sizeof(p->name), path);
	if (m->has_arch)
		copy_name(p->arch, sizeof(p->arch), m->arch, m->arch_len);
	p->n_embd = (uint32_t)m->val[K_EMBD];
	p->n_head = (uint32_t)m->val[K_HEAD];
	p->n_head_kv = m->seen[K_HEAD_KV] ? (uint32_t)m->val[K_HEAD_KV] : p->n_head;
	uint32_t dim = p->n_head ? p->n_embd / p->n_head : 0;
	p->head_dim_k = m->seen[K_KEY_LEN] ? (uint32_t)m->val[K_KEY_LEN] : dim;
	p->head_dim_v = m->seen[K_VAL_LEN] ? (uint32_t)m->val[K_VAL_LEN] : dim;
	p->n_vocab = m->has_tokens ? (uint32_t)m->n_tokens : (uint32_t)m->val[K_VOCAB];
	p->n_ctx_train = (uint32_t)m->val[K_CTX];
	p->n_expert = (uint32_t)m->val[K_EXPERT];
	p->n_expert_used = (uint32_t)m->val[K_EXPERT_USED];
	p->n_ff = (uint32_t)m->val[K_FF];
}

/* Magic, version (and from it the byte order), counts. */
static int read_header(struct rd *r, struct gguf_file_info *gi)
{
	if (!gguf_file_has_magic(r->data, r->len)) {
		char got[16];
		show(got, sizeof(got), r->data, r->len < 4 ? r->len : 4);
		return util_err(r->cause, UTIL_EINPUT, "%s: not a GGUF file: it starts with '%s', "
				"expected 'GGUF'", r->path, got);
	}
	r->pos = 4;
	uint32_t v;
	int rc = rd_u32(r, &v, "version");
	if (rc)
		return rc;
	/* A big-endian file's version reads byte-swapped: 3 -> 0x03000000
	 * (the test llama.cpp's gguf.cpp makes with version & 0xffff). */
	if ((v & 0xffff) == 0 && v != 0) {
		v = __builtin_bswap32(v);
		r->be = 1;
	}
	if (v < 1 || v > 3)
		return rd_err(r, 4, "GGUF version %" PRIu32 "%s is not supported (1, 2 and 3 are)",
			      v, r->be ? " (big-endian)" : "");
	r->narrow = v == 1;
	gi->version = v;
	gi->big_endian = r->be;
	if ((rc = rd_count(r, &gi->n_tensors, "tensor count")) ||
	    (rc = rd_count(r, &gi->n_kv, "key-value count")))
		return rc;
	/* Bound both counts by the smallest encoding of a KV pair (key length,
	 * 1-byte key, type, 1-byte value) and of a tensor info. */
	size_t min_kv = min_size(r, T_STR) + 1 + 4 + 1;
	if (gi->n_kv > rd_left(r) / min_kv)
		return rd_err(r, r->narrow ? 12 : 16, "%" PRIu64 " key-value pairs cannot fit in the "
			      "%zu bytes left", gi->n_kv, rd_left(r));
	return 0;
}

static size_t min_tensor_info(const struct rd *r)
{
	return min_size(r, T_STR) + 1 + 4 + 4 + 8;
}

static int read_alignment(struct rd *r, const struct meta *m, uint32_t *align)
{
	*align = GGUF_DEFAULT_ALIGNMENT;
	if (!m->has_align)
		return 0;
	if (m->align == 0 || m->align > (1u << 30) || (m->align & (m->align - 1)) != 0)
		return util_err(r->cause, UTIL_EINPUT, "%s: key 'general.alignment': %" PRIu64
				" is not a power of two up to 2^30", r->path, m->align);
	*align = (uint32_t)m->align;
	return 0;
}

static int read_tensors(struct rd *r, struct gguf_file_info *gi, struct tensor **out)
{
	*out = NULL;
	uint64_t n = gi->n_tensors;
	if (n > rd_left(r) / min_tensor_info(r))
		return rd_err(r, r->pos, "%" PRIu64 " tensor infos cannot fit in the %zu bytes left",
			      n, rd_left(r));
	struct tensor *ts = n ? util_xcalloc((size_t)n, sizeof(*ts)) : NULL;
	int rc = 0;
	for (uint64_t i = 0; i < n && rc == 0; i++)
		rc = read_tensor(r, i, gi->alignment, &ts[i]);
	r->ctx[0] = '\0';
	if (rc == 0)
		rc = check_unique(r, ts, n);
	if (rc) {
		free(ts);
		return rc;
	}
	gi->infos_end = r->pos;
	gi->data_offset = n ? ((uint64_t)r->pos + gi->alignment - 1) / gi->alignment *
				      gi->alignment
			    : r->pos;
	for (uint64_t i = 0; i < n; i++)
		gi->tensor_bytes += ts[i].bytes;
	*out = ts;
	return 0;
}

/* The split keys come together or not at all (llama.cpp's loader reads
 * split.count and, when it is above 1, requires split.no). */
static int read_split(struct rd *r, const struct meta *m, struct gguf_file_info *gi)
{
	if (!m->has_split_count) {
		if (m->has_split_no)
			return util_err(r->cause, UTIL_EINPUT, "%s: key 'split.no' without "
					"'split.count'", r->path);
		return 0;
	}
	if (m->split_count == 0)
		return util_err(r->cause, UTIL_EINPUT, "%s: key 'split.count' is 0, expected 1 "
				"or more", r->path);
	if (!m->has_split_no || m->split_no >= m->split_count)
		return util_err(r->cause, UTIL_EINPUT, "%s: key 'split.no' is %s, expected a part "
				"number below split.count %" PRIu64, r->path,
				m->has_split_no ? "out of range" : "missing", m->split_count);
	gi->split_no = (uint32_t)m->split_no;
	gi->split_count = (uint32_t)m->split_count;
	gi->split_tensors = m->has_split_tensors ? m->split_tensors : gi->n_tensors;
	return 0;
}

int gguf_file_read_profile(const unsigned char *data, size_t len, const char *path,
		      struct profile *out, struct gguf_file_info *info, char **cause)
{
	struct rd r = { .data = data, .len = len, .path = path ? path : "gguf",
			.cause = cause };
	struct gguf_file_info gi = { 0 };
	struct meta m = { 0 };
	struct tensor *ts = NULL;
	memset(out, 0, sizeof(*out));
	int rc = read_header(&r, &gi);
	size_t kv_start = r.pos;
	if (rc == 0)
		rc = walk_kvs(&r, gi.n_kv, &m, 1);
	if (rc == 0) {
		r.pos = kv_start;
		rc = walk_kvs(&r, gi.n_kv, &m, 2);
	}
	if (rc == 0)
		rc = read_alignment(&r, &m, &gi.alignment);
	if (rc == 0)
		rc = read_tensors(&r, &gi, &ts);
	if (rc == 0)
		rc = check_ranges(&r, ts, gi.n_tensors, gi.data_offset, &gi.data_end);
	if (rc == 0)
		rc = check_layers(&r, ts, gi.n_tensors, &m, &out->n_layer);
	if (rc == 0) {
		fill_profile(out, &m, r.path);
		add_parts(out, ts, gi.n_tensors);
		out->file_size = len;
		gi.heads_per_layer = m.array[K_HEAD] || m.array[K_HEAD_KV];
		gi.ff_per_layer = m.array[K_FF];
		int has_output = 0;
		for (uint64_t i = 0; i < gi.n_tensors; i++)
			has_output |= key_is(ts[i].name, ts[i].name_len, "output.weight");
		gi.tied_output = gi.n_tensors > 0 && !has_output;
		rc = read_split(&r, &m, &gi);
		if (info && rc == 0)
			*info = gi;
	}
	free(ts);
	if (rc)
		profile_clear(out);
	return rc;
}

/* ---- the header writer ---- */

struct gguf_file_writer {
	unsigned char *kv, *ti;     /* encoded KV pairs; encoded tensor infos */
	size_t kv_len, kv_alloc, ti_len, ti_alloc;
	uint64_t n_kv, n_tensors;
	uint64_t data;              /* aligned bytes of data laid out so far */
};

struct gguf_file_writer *gguf_file_writer_new(void)
{
	return util_xcalloc(1, sizeof(struct gguf_file_writer));
}

void gguf_file_writer_free(struct gguf_file_writer *w)
{
	if (!w)
		return;
	free(w->kv);
	free(w->ti);
	free(w);
}

/* Append n bytes to one of the writer's buffers. */
static void w_bytes(unsigned char **buf, size_t *len, size_t *alloc, const void *p, size_t n)
{
	UTIL_GROW(*buf, *len + n, *alloc);
	memcpy(*buf + *len, p, n);
	*len += n;
}

/* Little-endian integer of n bytes. */
static void w_uint(unsigned char **buf, size_t *len, size_t *alloc, uint64_t v, size_t n)
{
	unsigned char b[8];
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	w_bytes(buf, len, alloc, b, n);
}

static void w_str(unsigned char **buf, size_t *len, size_t *alloc, const char *s)
{
	size_t n = strlen(s);
	w_uint(buf, len, alloc, n, 8);
	w_bytes(buf, len, alloc, s, n);
}

#define KV(w) &(w)->kv, &(w)->kv_len, &(w)->kv_alloc

static void w_key(struct gguf_file_writer *w, const char *key, uint32_t type)
{
	w_str(KV(w), key);
	w_uint(KV(w), type, 4);
	w->n_kv++;
}

void gguf_file_put_str(struct gguf_file_writer *w, const char *key, const char *v)
{
	w_key(w, key, T_STR);
	w_str(KV(w), v);
}

void gguf_file_put_u16(struct gguf_file_writer *w, const char *key, uint16_t v)
{
	w_key(w, key, T_U16);
	w_uint(KV(w), v, 2);
}

void gguf_file_put_u32(struct gguf_file_writer *w, const char *key, uint32_t v)
{
	w_key(w, key, T_U32);
	w_uint(KV(w), v, 4);
}

void gguf_file_put_i32(struct gguf_file_writer *w, const char *key, int32_t v)
{
	w_key(w, key, T_I32);
	w_uint(KV(w), (uint32_t)v, 4);
}

static uint32_t f32_bits(float v)
{
	uint32_t b;
	memcpy(&b, &v, sizeof(b));
	return b;
}

void gguf_file_put_f32(struct gguf_file_writer *w, const char *key, float v)
{
	w_key(w, key, T_F32);
	w_uint(KV(w), f32_bits(v), 4);
}

void gguf_file_put_bool(struct gguf_file_writer *w, const char *key, int v)
{
	w_key(w, key, T_BOOL);
	w_uint(KV(w), v ? 1 : 0, 1);
}

static void w_arr_head(struct gguf_file_writer *w, const char *key, uint32_t et, size_t n)
{
	w_key(w, key, T_ARR);
	w_uint(KV(w), et, 4);
	w_uint(KV(w), n, 8);
}

void gguf_file_put_arr_str(struct gguf_file_writer *w, const char *key,
			   const char *const *v, size_t n)
{
	w_arr_head(w, key, T_STR, n);
	for (size_t i = 0; i < n; i++)
		w_str(KV(w), v[i]);
}

void gguf_file_put_arr_i32(struct gguf_file_writer *w, const char *key,
			   const int32_t *v, size_t n)
{
	w_arr_head(w, key, T_I32, n);
	for (size_t i = 0; i < n; i++)
		w_uint(KV(w), (uint32_t)v[i], 4);
}

void gguf_file_put_arr_f32(struct gguf_file_writer *w, const char *key,
			   const float *v, size_t n)
{
	w_arr_head(w, key, T_F32, n);
	for (size_t i = 0; i < n; i++)
		w_uint(KV(w), f32_bits(v[i]), 4);
}

#undef KV

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

int gguf_file_put_tensor(struct gguf_file_writer *w, const char *name, uint32_t n_dims,
			 const uint64_t *ne, uint32_t type, char **cause)
{
	const struct gguf_file_type *gt = gguf_file_type(type);
	if (!gt)
		return util_err(cause, UTIL_EINPUT, "tensor '%s': unknown ggml type %" PRIu32,
				name, type);
	if (n_dims == 0 || n_dims > GGUF_MAX_DIMS)
		return util_err(cause, UTIL_EINPUT, "tensor '%s': %" PRIu32 " dimensions, 1 to %d "
				"are allowed", name, n_dims, GGUF_MAX_DIMS);
	if (ne[0] % gt->blck != 0)
		return util_err(cause, UTIL_EINPUT, "tensor '%s': row of %" PRIu64 " elements is "
				"not a whole number of %s blocks (%" PRIu32 " elements each)", name,
				ne[0], gt->name, gt->blck);
	uint64_t nel = 1;
	for (uint32_t d = 0; d < n_dims; d++) {
		if (ne[d] != 0 && nel > (uint64_t)INT64_MAX / ne[d])
			return util_err(cause, UTIL_EINPUT, "tensor '%s': more than %" PRId64
					" elements", name, INT64_MAX);
		nel *= ne[d];
	}
	uint64_t bytes = nel / gt->blck * gt->size;
	w_str(&w->ti, &w->ti_len, &w->ti_alloc, name);
	w_uint(&w->ti, &w->ti_len, &w->ti_alloc, n_dims, 4);
	for (uint32_t d = 0; d < n_dims; d++)
		w_uint(&w->ti, &w->ti_len, &w->ti_alloc, ne[d], 8);
	w_uint(&w->ti, &w->ti_len, &w->ti_alloc, type, 4);
	w_uint(&w->ti, &w->ti_len, &w->ti_alloc, w->data, 8);
	w->data += align_up(bytes, GGUF_DEFAULT_ALIGNMENT);
	w->n_tensors++;
	return 0;
}

uint64_t gguf_file_writer_data_bytes(const struct gguf_file_writer *w)
{
	return w->data;
}

void gguf_file_writer_finish(const struct gguf_file_writer *w, unsigned char **buf,
			     size_t *len, uint64_t *file_size)
{
	unsigned char *b = NULL;
	size_t n = 0, alloc = 0;
	w_bytes(&b, &n, &alloc, "GGUF", 4);
	w_uint(&b, &n, &alloc, 3, 4);
	w_uint(&b, &n, &alloc, w->n_tensors, 8);
	w_uint(&b, &n, &alloc, w->n_kv, 8);
	if (w->kv_len)
		w_bytes(&b, &n, &alloc, w->kv, w->kv_len);
	if (w->ti_len)
		w_bytes(&b, &n, &alloc, w->ti, w->ti_len);
	size_t padded = (size_t)align_up(n, GGUF_DEFAULT_ALIGNMENT);
	UTIL_GROW(b, padded, alloc);
	memset(b + n, 0, padded - n);
	*buf = b;
	*len = padded;
	*file_size = padded + w->data;
}
