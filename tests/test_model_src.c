/*
 * test_model_src.c - a model from anything a user has: synthesised
 * headers against published file sizes and llama.cpp's type rules, split
 * GGUFs, a fake Ollama store built here, the store round trip (header in,
 * sparse file out), and hostile manifests, names and headers.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cutest.h"
#include "gguf_file.h"
#include "gguf_split.h"
#include "gguf_synth.h"
#include "imp.h"
#include "model_src.h"
#include "ollama_store.h"
#include "store.h"
#include "util.h"

/* ---- helpers ---- */

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

/* Synthesise spec into a sparse file at path; its profile in *p. */
static uint64_t synth_file(const char *spec, const char *path, struct profile *p,
			   struct gguf_file_info *gi)
{
	struct gguf_synth_params sp;
	char *cause = NULL;
	unsigned char *hdr = NULL;
	size_t len = 0;
	uint64_t size = 0;
	int rc = gguf_synth_parse(spec, &sp, &cause);
	if (rc == 0)
		rc = gguf_synth_build(&sp, &hdr, &len, &size, &cause);
	if (rc)
		printf("\n  %s\n", cause);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	write_file(path, hdr, len);
	CU_ASSERT_EQUAL_FATAL(truncate(path, (off_t)size), 0);
	free(hdr);
	struct gguf_split set;
	CU_ASSERT_EQUAL_FATAL(gguf_split_open(path, &set, NULL), 0);
	*gi = set.parts[0].info;
	*p = set.profile;
	set.profile.parts = NULL;  /* handed to the caller */
	set.profile.n_parts = 0;
	gguf_split_close(&set);
	return size;
}

static int near(double got, double want, double tol)
{
	return got > want * (1 - tol) && got < want * (1 + tol);
}

/* ---- the synthesiser ---- */

/* Llama-3-70B Q4_K_M: 42.52 GB (Hugging Face, bartowski/Meta-Llama-3-70B-
 * Instruct-GGUF, Meta-Llama-3-70B-Instruct-Q4_K_M.gguf). Per layer, the
 * types llama-quant.cpp gives: attn_v and ffn_down Q6_K on "more bits"
 * layers (i < n/8, i >= 7n/8, (i - n/8) % 3 == 2), else attn_v Q5_K (the
 * 70B bump from Q4_K) and ffn_down Q4_K; everything else Q4_K; norms F32. */
static void test_synth_llama70b(void)
{
	struct profile p;
	struct gguf_file_info gi;
	uint64_t size = synth_file("layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,"
				   "ff=28672,ctx_train=131072,ftype=Q4_K_M", cu_tmp("70b.gguf"),
				   &p, &gi);
	CU_ASSERT(near((double)size, 42.52e9, 0.001));
	CU_ASSERT_EQUAL(gi.n_tensors, 3 + 80 * 9);
	CU_ASSERT_EQUAL(p.n_layer, 80);
	CU_ASSERT_EQUAL(p.n_head_kv, 8);
	CU_ASSERT_EQUAL(p.n_vocab, 128256);
	CU_ASSERT_STRING_EQUAL(p.arch, "llama");
	const uint64_t q4k = 144, q5k = 176, q6k = 210, e = 8192, kv = 1024, ff = 28672;
	uint64_t common = 2 * e * 4 + 2 * e * e / 256 * q4k + e * kv / 256 * q4k +
			  2 * e * ff / 256 * q4k;
	uint64_t more = common + e * kv / 256 * q6k + ff * e / 256 * q6k;
	uint64_t less = common + e * kv / 256 * q5k + ff * e / 256 * q4k;
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 0), more);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 9), more);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 10), less);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 11), less);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 12), more);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 70), more);
	/* token_embd Q4_K (input), output Q6_K + output_norm F32 */
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, PROFILE_LAYER_INPUT), 128256 * e / 256 * q4k);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 80), 128256 * e / 256 * q6k + e * 4);
	profile_clear(&p);
	/* The header is a few MB, the data a hole. */
	struct stat sb;
	CU_ASSERT_EQUAL(stat(cu_tmp("70b.gguf"), &sb), 0);
	CU_ASSERT((uint64_t)sb.st_size == size);
	CU_ASSERT((uint64_t)sb.st_blocks * 512 < 16u << 20);
}

/* Other families against their published Q4_K_M sizes (Hugging Face file
 * listings): Llama-3-8B 4.92 GB (bartowski Meta-Llama-3-8B-Instruct),
 * Qwen2.5-7B 4.68 GB (bartowski Qwen2.5-7B-Instruct), Qwen3-8B 5.03 GB
 * (Qwen/Qwen3-8B-GGUF), Qwen3-30B-A3B 18.6 GB (Qwen/Qwen3-30B-A3B-GGUF),
 * gemma-2-9b 5.76 GB (bartowski gemma-2-9b-it), gemma-3-12b 7.30 GB
 * (bartowski google_gemma-3-12b-it), Mixtral-8x7B 28.4 GB (TheBloke
 * Mixtral-8x7B-v0.1-GGUF). Within 1%. */
static void test_synth_families(void)
{
	static const struct {
		const char *spec;
		double gb;
		uint32_t experts;
		int tied;
	} m[] = {
		{ "layers=32,embd=4096,heads=32,kv_heads=8,vocab=128256,ff=14336,ftype=Q4_K_M", 4.92,
		  0, 0 },
		{ "arch=qwen2,layers=28,embd=3584,heads=28,kv_heads=4,vocab=152064,ff=18944,"
		  "ftype=Q4_K_M", 4.68, 0, 0 },
		{ "arch=qwen3,layers=36,embd=4096,heads=32,kv_heads=8,head_dim=128,vocab=151936,"
		  "ff=12288,ftype=Q4_K_M", 5.03, 0, 0 },
		{ "arch=qwen3moe,layers=48,embd=2048,heads=32,kv_heads=4,head_dim=128,vocab=151936,"
		  "ff=6144,experts=128,experts_used=8,expert_ff=768,ftype=Q4_K_M", 18.6, 128, 0 },
		{ "arch=gemma2,layers=42,embd=3584,heads=16,kv_heads=8,head_dim=256,vocab=256000,"
		  "ff=14336,ftype=Q4_K_M", 5.76, 0, 1 },
		{ "arch=gemma3,layers=48,embd=3840,heads=16,kv_heads=8,head_dim=256,vocab=262144,"
		  "ff=15360,ftype=Q4_K_M", 7.30, 0, 1 },
		{ "layers=32,embd=4096,heads=32,kv_heads=8,vocab=32000,ff=14336,experts=8,"
		  "experts_used=2,ftype=Q4_K_M", 28.4, 8, 0 },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct profile p;
		struct gguf_file_info gi;
		uint64_t size = synth_file(m[i].spec, cu_tmp("fam.gguf"), &p, &gi);
		if (!near((double)size, m[i].gb * 1e9, 0.01))
			printf("\n  %s: %.3f GB, published %.2f GB\n", m[i].spec, size / 1e9, m[i].gb);
		CU_ASSERT(near((double)size, m[i].gb * 1e9, 0.01));
		CU_ASSERT_EQUAL(p.n_expert, m[i].experts);
		CU_ASSERT_EQUAL(gi.tied_output, m[i].tied);
		uint64_t exps = 0;
		for (size_t k = 0; k < p.n_parts; k++)
			if (p.parts[k].group == PROFILE_FFN_EXPS)
				exps += p.parts[k].bytes;
		CU_ASSERT_EQUAL(exps > 0, m[i].experts > 0);
		profile_clear(&p);
		unlink(cu_tmp("fam.gguf"));
	}
}

/* The sliding-window keys, the file-type choice from size=, the rules'
 * F16 and fallback branches, and the refusals. */
static void test_synth_keys_and_errors(void)
{
	struct gguf_synth_params sp;
	unsigned char *hdr;
	size_t len;
	uint64_t size;
	CU_ASSERT_EQUAL(gguf_synth_parse("arch=gemma2,layers=4,embd=512,heads=4,vocab=300,"
					 "ftype=f16,ctx=4096,fa=on", &sp, NULL), 0);
	CU_ASSERT_EQUAL(gguf_synth_build(&sp, &hdr, &len, &size, NULL), 0);
	CU_ASSERT_EQUAL(sp.swa_window, 4096);
	CU_ASSERT_EQUAL(sp.swa_pattern, 2);
	CU_ASSERT_PTR_NOT_NULL(memmem(hdr, len, "gemma2.attention.sliding_window", 31));
	CU_ASSERT_PTR_NOT_NULL(memmem(hdr, len, "gemma2.attention.layer_norm_rms_epsilon", 39));
	CU_ASSERT_PTR_NOT_NULL(memmem(hdr, len, "<0x0A>", 6));
	free(hdr);

	/* size= alone: 39.6 GiB (42.52 GB, units as --gpus reads them)
	 * picks Q4_K_M for the 70B shape. */
	CU_ASSERT_EQUAL(gguf_synth_parse("layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,"
					 "ff=28672,size=39.6G", &sp, NULL), 0);
	CU_ASSERT_EQUAL(sp.ftype, -1);
	CU_ASSERT_EQUAL(sp.size, (uint64_t)(39.6 * 1073741824.0));
	CU_ASSERT_EQUAL(gguf_synth_build(&sp, &hdr, &len, &size, NULL), 0);
	CU_ASSERT_STRING_EQUAL(gguf_synth_ftype_name(sp.ftype), "Q4_K_M");
	free(hdr);

	/* embd 896 is not whole Q4_K blocks (Qwen2.5-0.5B): Q5_0 instead, and
	 * the output Q8_0 (llama-quant.cpp tensor_type_fallback). */
	struct profile p;
	struct gguf_file_info gi;
	synth_file("arch=qwen2,layers=24,embd=896,heads=14,kv_heads=2,vocab=151936,ff=4864,"
		   "ftype=Q4_K_M", cu_tmp("q05.gguf"), &p, &gi);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, PROFILE_LAYER_INPUT), 151936ull * 896 / 32 * 22);
	profile_clear(&p);

	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{ "layers=80,embd=8192,heads=64,vocab=128256", "needs ftype" },
		{ "layers=80,heads=64,vocab=128256,ftype=Q4_K_M", "needs layers, embd, heads and vocab" },
		{ "layers=80,embd=8192,heads=64,vocab=128256,ftype=IQ2_XS", "'ftype=IQ2_XS'" },
		{ "layers=8,embd=512,heads=4,vocab=300,ftype=Q8_0,colour=red", "unknown key 'colour'" },
		{ "arch=mamba,layers=8,embd=512,heads=4,vocab=300,ftype=Q8_0", "'arch=mamba'" },
		{ "layers=0,embd=512,heads=4,vocab=300,ftype=Q8_0", "'layers=0'" },
		{ "layers=8,embd=512,heads=4,vocab=2000000,ftype=Q8_0", "'vocab=2000000'" },
		{ "layers=8,embd=512,heads=4,vocab=300,size=lots", "'size=lots'" },
		{ "layers8", "'layers8': expected key=value" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = NULL;
		CU_ASSERT_EQUAL(gguf_synth_parse(bad[i].spec, &sp, &cause), UTIL_EINPUT);
		if (!cause || !strstr(cause, bad[i].msg))
			printf("\n  %s -> %s\n", bad[i].spec, cause ? cause : "(none)");
		CU_ASSERT(cause && strstr(cause, bad[i].msg));
		free(cause);
	}
	static const struct {
		const char *spec, *msg;
	} shape[] = {
		{ "layers=8,embd=500,heads=3,vocab=300,ftype=Q8_0", "does not divide embd=500" },
		{ "layers=8,embd=512,heads=4,kv_heads=3,vocab=300,ftype=Q8_0", "kv_heads=3 must divide" },
		{ "arch=qwen3moe,layers=8,embd=512,heads=4,vocab=300,ftype=Q8_0", "needs experts" },
		{ "arch=qwen2,layers=8,embd=512,heads=4,vocab=300,experts=8,experts_used=2,ftype=Q8_0",
		  "has no experts" },
		{ "layers=8,embd=512,heads=4,vocab=300,swa=128,ftype=Q8_0", "no sliding-window" },
		{ "layers=8,embd=512,heads=4,vocab=100,ftype=Q8_0", "vocab=100 is below 259" },
		{ "layers=8,embd=512,heads=4,head_dim=64,vocab=300,ftype=Q8_0", "head_dim = embd / heads" },
		{ "layers=4096,embd=1048576,heads=1,vocab=300,ff=16777216,ftype=F32", "more than 1 PiB" },
	};
	for (size_t i = 0; i < sizeof(shape) / sizeof(shape[0]); i++) {
		char *cause = NULL;
		CU_ASSERT_EQUAL_FATAL(gguf_synth_parse(shape[i].spec, &sp, NULL), 0);
		CU_ASSERT_EQUAL(gguf_synth_build(&sp, &hdr, &len, &size, &cause), UTIL_EINPUT);
		if (!cause || !strstr(cause, shape[i].msg))
			printf("\n  %s -> %s\n", shape[i].spec, cause ? cause : "(none)");
		CU_ASSERT(cause && strstr(cause, shape[i].msg));
		free(cause);
	}
}

/* ---- split GGUFs ---- */

/* Part no (0-based) of count: tensors [from, to) of a 4-layer model with
 * one 256-element f32 tensor per layer; part 0 has the metadata. Real
 * data bytes (zeros) follow the header. */
static void split_part(const char *path, int no, int count, int from, int to, int total,
		       int wrong_no)
{
	struct gguf_file_writer *w = gguf_file_writer_new();
	if (no == 0) {
		gguf_file_put_str(w, "general.architecture", "llama");
		gguf_file_put_u32(w, "llama.block_count", 4);
		gguf_file_put_u32(w, "llama.embedding_length", 256);
		gguf_file_put_u32(w, "llama.attention.head_count", 4);
	}
	gguf_file_put_u16(w, "split.no", (uint16_t)(wrong_no >= 0 ? wrong_no : no));
	gguf_file_put_u16(w, "split.count", (uint16_t)count);
	gguf_file_put_i32(w, "split.tensors.count", total);
	uint64_t ne[1] = { 256 };
	char name[64];
	for (int i = from; i < to; i++) {
		if (i < 4)
			snprintf(name, sizeof(name), "blk.%d.attn_norm.weight", i);
		else
			snprintf(name, sizeof(name), "output.weight");
		CU_ASSERT_EQUAL(gguf_file_put_tensor(w, name, 1, ne, 0, NULL), 0);
	}
	unsigned char *hdr;
	size_t len;
	uint64_t size;
	gguf_file_writer_finish(w, &hdr, &len, &size);
	gguf_file_writer_free(w);
	write_file(path, hdr, len);
	CU_ASSERT_EQUAL(truncate(path, (off_t)size), 0);
	free(hdr);
}

static void test_split(void)
{
	cu_sh("mkdir -p '%s'", cu_tmp("split"));
	char p1[512], p2[512], p3[512];
	snprintf(p1, sizeof(p1), "%s", cu_tmp("split/m-00001-of-00003.gguf"));
	snprintf(p2, sizeof(p2), "%s", cu_tmp("split/m-00002-of-00003.gguf"));
	snprintf(p3, sizeof(p3), "%s", cu_tmp("split/m-00003-of-00003.gguf"));
	split_part(p1, 0, 3, 0, 2, 5, -1);
	split_part(p2, 1, 3, 2, 4, 5, -1);
	split_part(p3, 2, 3, 4, 5, 5, -1);

	unsigned no, count;
	size_t pre;
	CU_ASSERT_EQUAL(gguf_split_name(p2, &no, &count, &pre), 1);
	CU_ASSERT_EQUAL(no, 2);
	CU_ASSERT_EQUAL(count, 3);
	CU_ASSERT_EQUAL(gguf_split_name("m-00000-of-00003.gguf", &no, &count, &pre), 0);
	CU_ASSERT_EQUAL(gguf_split_name("m-00004-of-00003.gguf", &no, &count, &pre), 0);
	CU_ASSERT_EQUAL(gguf_split_name("m.gguf", &no, &count, &pre), 0);

	/* Any part opens the whole model. */
	struct gguf_split set;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(gguf_split_open(p2, &set, &cause), 0);
	CU_ASSERT_EQUAL(set.n, 3);
	CU_ASSERT_STRING_EQUAL(set.parts[0].path, p1);
	CU_ASSERT_EQUAL(set.profile.n_layer, 4);
	for (int l = 0; l < 4; l++)
		CU_ASSERT_EQUAL(profile_layer_bytes(&set.profile, l), 1024);
	CU_ASSERT_EQUAL(profile_layer_bytes(&set.profile, 4), 1024);  /* output */
	gguf_split_close(&set);

	struct msrc m;
	CU_ASSERT_EQUAL_FATAL(msrc_open(NULL, p3, NULL, &m, &cause), 0);
	CU_ASSERT_STRING_EQUAL(m.gguf, p1);
	CU_ASSERT_PTR_NOT_NULL(strstr(m.desc, "split in 3 parts, all found and checked"));
	CU_ASSERT_EQUAL(m.sparse, 0);
	msrc_close(&m);

	/* A part missing: its expected path is named. */
	CU_ASSERT_EQUAL(rename(p3, cu_tmp("split/away.gguf")), 0);
	CU_ASSERT_EQUAL(msrc_open(NULL, p1, NULL, &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "part 3 of 3 of this split model is missing: expected ") &&
		  strstr(cause, "m-00003-of-00003.gguf"));
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(rename(cu_tmp("split/away.gguf"), p3), 0);

	/* A part that says it is another one. */
	split_part(p2, 1, 3, 2, 4, 5, 2);
	CU_ASSERT_EQUAL(gguf_split_open(p1, &set, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "m-00002-of-00003.gguf: split.no 3 of split.count 3, but "
				  "the file is part 2 of 3"));
	free(cause);
	cause = NULL;
	/* Tensor counts that do not add up. */
	split_part(p2, 1, 3, 2, 3, 5, -1);
	CU_ASSERT_EQUAL(gguf_split_open(p1, &set, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "split.tensors.count is 5, but the 3 parts hold 4 tensors"));
	free(cause);
	cause = NULL;
	/* A part under an ordinary name. */
	split_part(cu_tmp("split/plain.gguf"), 0, 3, 0, 2, 5, -1);
	CU_ASSERT_EQUAL(gguf_split_open(cu_tmp("split/plain.gguf"), &set, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "part 1 of a model split in 3, but the name does not end "
				  "in -00001-of-00003.gguf"));
	free(cause);
	cause = NULL;
	/* A part whose name says another part. */
	cu_sh("cp '%s' '%s'", p2, cu_tmp("split/x-00001-of-00003.gguf"));
	CU_ASSERT_EQUAL(gguf_split_open(cu_tmp("split/x-00001-of-00003.gguf"), &set, &cause),
			UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "x-00001-of-00003.gguf: the name says part 1 of 3, the "
				  "file says split.no 2 of split.count 3"));
	free(cause);
	/* A whole model under a split-like name is a whole model: the file
	 * says so (no split.count), as llama.cpp reads it. */
	cu_sh("cp '%s' '%s'", cu_data("gguf/stories260K.gguf"), cu_tmp("split/w-00001-of-00002.gguf"));
	CU_ASSERT_EQUAL(gguf_split_open(cu_tmp("split/w-00001-of-00002.gguf"), &set, NULL), 0);
	CU_ASSERT_EQUAL(set.n, 1);
	gguf_split_close(&set);
	split_part(p2, 1, 3, 2, 4, 5, -1);
}

/* ---- Ollama ---- */

/* 64 times c; four calls may be used at once (one snprintf). */
static const char *hex64(char c)
{
	static char buf[4][65];
	static int k;
	char *b = buf[k++ % 4];
	memset(b, c, 64);
	b[64] = '\0';
	return b;
}

/* A models directory with manifests for "tiny" (model, projector,
 * params, template) and "hf.co/me/x:q4" (model only). */
static const char *fake_ollama(void)
{
	const char *dir = cu_tmp("ollama");
	static char d[512];
	snprintf(d, sizeof(d), "%s", dir);
	cu_sh("rm -rf '%s' && mkdir -p '%s/blobs' '%s/manifests/registry.ollama.ai/library/tiny' "
	      "'%s/manifests/hf.co/me/x'", d, d, d, d);
	char path[1024];
	struct stat sb;
	CU_ASSERT_EQUAL_FATAL(stat(cu_data("gguf/stories260K.gguf"), &sb), 0);
	uint64_t msize = (uint64_t)sb.st_size;
	snprintf(path, sizeof(path), "%s/blobs/sha256-%s", d, hex64('a'));
	cu_sh("cp '%s' '%s'", cu_data("gguf/stories260K.gguf"), path);
	CU_ASSERT_EQUAL_FATAL(stat(cu_data("gguf/ggml-vocab-bert-bge.gguf"), &sb), 0);
	uint64_t psize = (uint64_t)sb.st_size;
	snprintf(path, sizeof(path), "%s/blobs/sha256-%s", d, hex64('b'));
	cu_sh("cp '%s' '%s'", cu_data("gguf/ggml-vocab-bert-bge.gguf"), path);
	snprintf(path, sizeof(path), "%s/blobs/sha256-%s", d, hex64('c'));
	write_text(path, "{\"num_ctx\": 4096, \"stop\": [\"<|eot_id|>\"]}");
	char man[2048];
	snprintf(man, sizeof(man),
		 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
		 "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
		 "\"digest\":\"sha256:%s\",\"size\":10},\"layers\":["
		 "{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:%s\",\"size\":%llu},",
		 hex64('d'), hex64('a'), (unsigned long long)msize);
	size_t o = strlen(man);
	snprintf(man + o, sizeof(man) - o,
		 "{\"mediaType\":\"application/vnd.ollama.image.projector\",\"digest\":\"sha256:%s\",\"size\":%llu},",
		 hex64('b'), (unsigned long long)psize);
	o = strlen(man);
	snprintf(man + o, sizeof(man) - o,
		 "{\"mediaType\":\"application/vnd.ollama.image.template\",\"digest\":\"sha256:%s\",\"size\":5},"
		 "{\"mediaType\":\"application/vnd.ollama.image.params\",\"digest\":\"sha256:%s\"}]}",
		 hex64('e'), hex64('c'));
	snprintf(path, sizeof(path), "%s/manifests/registry.ollama.ai/library/tiny/latest", d);
	write_text(path, man);
	snprintf(man, sizeof(man), "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
		 "\"digest\":\"sha256:%s\",\"size\":%llu}]}", hex64('a'), (unsigned long long)msize);
	snprintf(path, sizeof(path), "%s/manifests/hf.co/me/x/q4", d);
	write_text(path, man);
	return d;
}

static void test_ollama(void)
{
	const char *d = fake_ollama();
	setenv("OLLAMA_MODELS", d, 1);
	struct msrc m;
	char *cause = NULL;
	int rc = msrc_open(NULL, "ollama:tiny", NULL, &m, &cause);
	if (rc)
		printf("\n  %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT(strstr(m.gguf, "/blobs/sha256-aaaa") != NULL);
	CU_ASSERT(m.mmproj && strstr(m.mmproj, "/blobs/sha256-bbbb"));
	CU_ASSERT_EQUAL(m.num_ctx, 4096);
	CU_ASSERT(strstr(m.desc, "ollama:tiny = registry.ollama.ai/library/tiny:latest (llama, 5 "
			 "layers; manifest ") != NULL);
	CU_ASSERT(strstr(m.desc, "with its vision projector; num_ctx 4096 from its params") != NULL);
	CU_ASSERT(strstr(m.desc, "own engine") == NULL); /* llama runs on llama.cpp */
	msrc_close(&m);
	/* an architecture Ollama runs in its own engine: the plan says whose it is */
	struct gguf_synth_params sp;
	char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(gguf_synth_parse("arch=gemma3,layers=4,embd=256,heads=4,kv_heads=1,head_dim=64,"
					       "vocab=1024,ftype=Q8_0", &sp, &why), 0);
	unsigned char *hdr = NULL;
	size_t hlen = 0;
	uint64_t fsize = 0;
	CU_ASSERT_EQUAL_FATAL(gguf_synth_build(&sp, &hdr, &hlen, &fsize, &why), 0);
	char blob[1024], man[512];
	snprintf(blob, sizeof(blob), "%s/blobs/sha256-%s", d, hex64('f'));
	FILE *f = fopen(blob, "wb");
	CU_ASSERT_FATAL(f && fwrite(hdr, 1, hlen, f) == hlen && ftruncate(fileno(f), (off_t)fsize) == 0);
	fclose(f);
	free(hdr);
	cu_sh("mkdir -p '%s/manifests/registry.ollama.ai/library/g3'", d);
	snprintf(man, sizeof(man), "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
		 "\"digest\":\"sha256:%s\",\"size\":%llu}]}", hex64('f'), (unsigned long long)fsize);
	snprintf(blob, sizeof(blob), "%s/manifests/registry.ollama.ai/library/g3/latest", d);
	write_text(blob, man);
	CU_ASSERT_EQUAL_FATAL(msrc_open(NULL, "ollama:g3", NULL, &m, &cause), 0);
	CU_ASSERT(strstr(m.desc, "(gemma3, 4 layers; manifest ") != NULL);
	CU_ASSERT(strstr(m.desc, "; Ollama runs gemma3 in its own engine, not llama.cpp: this is llama.cpp's plan "
			 "of the same file)") != NULL);
	msrc_close(&m);
	/* Full names, and --mmproj over the model's own projector. */
	CU_ASSERT_EQUAL(msrc_open(NULL, "ollama:registry.ollama.ai/library/tiny:latest",
				  cu_data("gguf/stories260K.gguf"), &m, NULL), 0);
	CU_ASSERT(m.mmproj && strstr(m.mmproj, "stories260K.gguf"));
	CU_ASSERT(strstr(m.desc, "(--mmproj, instead of the model's own)") != NULL);
	msrc_close(&m);
	CU_ASSERT_EQUAL(msrc_open(NULL, "ollama:hf.co/me/x:q4", NULL, &m, NULL), 0);
	CU_ASSERT_PTR_NULL(m.mmproj);
	CU_ASSERT_EQUAL(m.num_ctx, 0);
	msrc_close(&m);

	/* A name the store does not hold: every place looked. */
	CU_ASSERT_EQUAL(msrc_open(NULL, "ollama:llama3.3:70b", NULL, &m, &cause), UTIL_EINPUT);
	char want[1024];
	snprintf(want, sizeof(want), "looked for:\n  %s/manifests/registry.ollama.ai/library/"
		 "llama3.3/70b", d);
	CU_ASSERT(cause && strstr(cause, "ollama:llama3.3:70b: no such model in Ollama's store"));
	CU_ASSERT(cause && strstr(cause, want));
	free(cause);
	cause = NULL;
	unsetenv("OLLAMA_MODELS");
	char *home = getenv("HOME") ? util_xstrdup(getenv("HOME")) : NULL;
	setenv("HOME", cu_tmp("nohome"), 1);
	CU_ASSERT_EQUAL(msrc_open(NULL, "ollama:vramsim-no-such-model", NULL, &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "/nohome/.ollama/models/manifests/registry.ollama.ai/"
				  "library/vramsim-no-such-model/latest\n  /usr/share/ollama/.ollama/models/"));
	free(cause);
	cause = NULL;
	if (home)
		setenv("HOME", home, 1);
	free(home);
	setenv("OLLAMA_MODELS", d, 1);

	/* Names that could leave the directory never reach the file system. */
	static const char *const names[] = { "../../etc/passwd", "a/../b", "x:", ":tag", "a//b",
					     "h/n/a/b", ".hidden", "tiny:la/test", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct ollstore_ref r;
		CU_ASSERT_EQUAL(ollstore_ref_parse(names[i], &r, &cause), UTIL_EINPUT);
		CU_ASSERT(cause && strstr(cause, "ollama:"));
		free(cause);
		cause = NULL;
	}
	struct ollstore_ref r;
	/* ".." inside a part is a plain name (fuzz seed name-with-dotdot). */
	CU_ASSERT_EQUAL(ollstore_ref_parse("hf.co3..co3.tAwski2Llama-3.2licationol-3.1:4_K_M", &r,
					 NULL), 0);
	CU_ASSERT_STRING_EQUAL(r.name, "hf.co3..co3.tAwski2Llama-3.2licationol-3.1");
	CU_ASSERT_EQUAL(ollstore_ref_parse("localhost:5000/me/m", &r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(r.host, "localhost:5000");
	CU_ASSERT_STRING_EQUAL(r.tag, "latest");

	/* A blob shorter than the manifest says: an interrupted pull. */
	char path[1024];
	snprintf(path, sizeof(path), "%s/blobs/sha256-%s", d, hex64('a'));
	CU_ASSERT_EQUAL(truncate(path, 1000), 0);
	CU_ASSERT_EQUAL(msrc_open(NULL, "ollama:tiny", NULL, &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "1000 bytes, but ") && strstr(cause, "interrupted pull"));
	free(cause);
	cause = NULL;
	unsetenv("OLLAMA_MODELS");
}

/* Manifests as hostile input: the message names the file and field. */
static void test_ollama_manifests(void)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{ "not json", "m.json: line 1: not a JSON manifest" },
		{ "[]", "expected an object with a \"layers\" array" },
		{ "{\"layers\":{}}", "expected an object with a \"layers\" array" },
		{ "{\"layers\":[]}", "no layer of mediaType application/vnd.ollama.image.model" },
		{ "{\"layers\":[1]}", "layers[0]: expected an object" },
		{ "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\"}]}",
		  "layers[0]: expected string fields" },
		{ "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
		  "\"digest\":\"sha256:../../../etc/passwd\"}]}", "layers[0]: digest is not" },
		{ "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
		  "\"digest\":\"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
		  "64 lowercase hex digits" },
		{ "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
		  "\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		  "\"size\":-1}]}", "\"size\" is not a byte count" },
		{ "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
		  "\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},"
		  "{\"mediaType\":\"application/vnd.ollama.image.model\","
		  "\"digest\":\"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}]}",
		  "layers[1]: a second model layer" },
		{ "{\"layers\":[],\"layers\":[]}", "not a JSON manifest" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ollstore_manifest m;
		char *cause = NULL;
		CU_ASSERT_EQUAL(ollstore_manifest_parse(bad[i].json, strlen(bad[i].json), "m.json", &m,
						      &cause), UTIL_EINPUT);
		if (!cause || !strstr(cause, bad[i].msg))
			printf("\n  %s -> %s\n", bad[i].json, cause ? cause : "(none)");
		CU_ASSERT(cause && strstr(cause, bad[i].msg) && strstr(cause, "m.json"));
		free(cause);
	}
	/* Over the size and layer limits. */
	size_t n = OLLAMA_MAX_MANIFEST + 1;
	char *big = util_xmalloc(n);
	memset(big, ' ', n);
	char *cause = NULL;
	struct ollstore_manifest m;
	CU_ASSERT_EQUAL(ollstore_manifest_parse(big, n, "big.json", &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "big.json: manifest of 1048577 bytes, more than 1048576"));
	free(cause);
	cause = NULL;
	size_t o = (size_t)snprintf(big, n, "{\"layers\":[");
	for (int i = 0; i <= OLLAMA_MAX_LAYERS; i++)
		o += (size_t)snprintf(big + o, n - o, "%s{}", i ? "," : "");
	o += (size_t)snprintf(big + o, n - o, "]}");
	CU_ASSERT_EQUAL(ollstore_manifest_parse(big, o, "many.json", &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "many.json: 257 layers, more than 256"));
	free(cause);
	free(big);
	uint32_t ctx;
	cause = NULL;
	CU_ASSERT_EQUAL(ollstore_params_parse("{\"num_ctx\": -5}", 15, "p", &ctx, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "p: \"num_ctx\" is not a context size"));
	free(cause);
	CU_ASSERT_EQUAL(ollstore_params_parse("{\"temperature\": 0.5}", 20, "p", &ctx, NULL), 0);
	CU_ASSERT_EQUAL(ctx, 0);
}

/* ---- the store ---- */

static int64_t rows(struct store *st, const char *table)
{
	return cu_q1(st, "SELECT count(*) FROM %s", table);
}

static int same_prefix(const char *a, const char *b, size_t n)
{
	char *x, *y;
	size_t xl, yl;
	if (util_read_file(a, &x, &xl, NULL) || util_read_file(b, &y, &yl, NULL))
		return 0;
	int same = xl >= n && yl >= n && memcmp(x, y, n) == 0;
	free(x);
	free(y);
	return same;
}

static void test_store_round_trip(void)
{
	struct store *st = cu_store_new("ms.db");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	char *cause = NULL;
	const char *src = cu_data("gguf/stories260K.gguf");
	CU_ASSERT_EQUAL_FATAL(imp_file(st, src, &o, &res, &cause), 0);
	free(res.summary);
	int64_t id = res.profile_id;
	CU_ASSERT_EQUAL(rows(st, "gguf_headers"), 1);

	struct msrc m;
	char ref[32];
	snprintf(ref, sizeof(ref), "store:%lld", (long long)id);
	int rc = msrc_open(st, ref, NULL, &m, &cause);
	if (rc)
		printf("\n  %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(m.sparse, 1);
	struct stat a, b;
	CU_ASSERT_EQUAL(stat(src, &a), 0);
	CU_ASSERT_EQUAL(stat(m.gguf, &b), 0);
	CU_ASSERT_EQUAL(a.st_size, b.st_size);  /* the right logical size */
	CU_ASSERT_EQUAL(b.st_mode & 0777, 0600);
	/* The header byte for byte (14176 bytes: up to the tensor data). */
	CU_ASSERT(same_prefix(src, m.gguf, 14176));
	CU_ASSERT(strstr(m.desc, "profile") && strstr(m.desc, "stories260K.gguf as imported"));
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", m.tmpdir);
	struct stat ds;
	CU_ASSERT_EQUAL(stat(dir, &ds), 0);
	CU_ASSERT_EQUAL(ds.st_mode & 0777, 0700);
	msrc_close(&m);
	CU_ASSERT_NOT_EQUAL(stat(dir, &ds), 0);  /* removed after use */
	/* By name too. */
	CU_ASSERT_EQUAL(msrc_open(st, "store:llama", NULL, &m, NULL), 0);
	msrc_close(&m);

	/* A split model imported from any part keeps a header per part and
	 * comes back as parts llama.cpp can find. */
	test_split();
	CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_tmp("split/m-00002-of-00003.gguf"), &o, &res,
				       &cause), 0);
	CU_ASSERT(strstr(res.summary, "from m-00001-of-00003.gguf") &&
		  strstr(res.summary, "headers of its 3 parts kept in the store"));
	CU_ASSERT(!strstr(res.summary, "tied"));  /* output.weight is in part 3 */
	free(res.summary);
	CU_ASSERT_EQUAL(rows(st, "gguf_headers"), 4);
	snprintf(ref, sizeof(ref), "store:%lld", (long long)res.profile_id);
	CU_ASSERT_EQUAL_FATAL(msrc_open(st, ref, NULL, &m, NULL), 0);
	CU_ASSERT(strstr(m.gguf, "/model-00001-of-00003.gguf") != NULL);
	CU_ASSERT_EQUAL(m.n_files, 3);
	uint64_t sum = 0;
	for (int i = 1; i <= 3; i++) {
		char pn[64];
		struct stat ps;
		snprintf(pn, sizeof(pn), "split/m-%05d-of-00003.gguf", i);
		CU_ASSERT_EQUAL(stat(cu_tmp(pn), &ps), 0);
		sum += (uint64_t)ps.st_size;
	}
	CU_ASSERT_EQUAL(m.file_size, sum);  /* all parts, at their logical sizes */
	msrc_close(&m);

	/* Bad input: the message, and the store unchanged. */
	int64_t np = rows(st, "profiles"), nh = rows(st, "gguf_headers");
	CU_ASSERT_EQUAL(msrc_open(st, "store:nosuch", NULL, &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "store:nosuch: no profile of that id, name or file"));
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(msrc_open(NULL, "store:1", NULL, &m, &cause), UTIL_EINPUT);
	free(cause);
	cause = NULL;
	cu_sh("rm -f '%s'", cu_tmp("split/m-00003-of-00003.gguf"));
	CU_ASSERT_EQUAL(imp_file(st, cu_tmp("split/m-00001-of-00003.gguf"), &o, &res, &cause),
			UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "is missing: expected"));
	free(cause);
	cause = NULL;
	/* A damaged header in the store is refused, not written. */
	sqlite3_exec(store_sqlite(st), "UPDATE gguf_headers SET file_size=10 WHERE part=0", NULL,
		     NULL, NULL);
	snprintf(ref, sizeof(ref), "store:%lld", (long long)id);
	CU_ASSERT_EQUAL(msrc_open(st, ref, NULL, &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "GGUF header of part 0 is damaged"));
	free(cause);
	CU_ASSERT_EQUAL(rows(st, "profiles"), np);
	CU_ASSERT_EQUAL(rows(st, "gguf_headers"), nh);
	store_close(st);
}

/* A version-2 store gets the gguf_headers table when opened (v3), and
 * keeps what it held. */
static void test_store_migration(void)
{
	struct store *st = cu_store_new("v2.db");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_data("gguf/stories260K.gguf"), &o, &res, NULL), 0);
	free(res.summary);
	CU_ASSERT_EQUAL(sqlite3_exec(store_sqlite(st), "DROP TABLE gguf_headers; "
				     "PRAGMA user_version=2", NULL, NULL, NULL), SQLITE_OK);
	store_close(st);
	st = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(cu_tmp("v2.db"), 0, &st, NULL), 0);
	CU_ASSERT_EQUAL(cu_q1(st, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(rows(st, "gguf_headers"), 0);
	CU_ASSERT_EQUAL(rows(st, "profiles"), 1);
	/* The old profile has no header: said so, with what to do. */
	struct msrc m;
	char *cause = NULL;
	CU_ASSERT_EQUAL(msrc_open(st, "store:1", NULL, &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "has no GGUF header in the store") &&
		  strstr(cause, "import the GGUF again"));
	free(cause);
	store_close(st);
}

/* ---- every spec form through one call ---- */

static void test_specs(void)
{
	struct msrc m;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(msrc_open(NULL, cu_data("gguf/stories260K.gguf"), NULL, &m, &cause), 0);
	CU_ASSERT_STRING_EQUAL(m.gguf, cu_data("gguf/stories260K.gguf"));
	CU_ASSERT(strstr(m.desc, "(llama, 5 layers)") != NULL);
	CU_ASSERT_EQUAL(m.sparse, 0);
	CU_ASSERT_PTR_NULL(m.tmpdir);
	msrc_close(&m);
	msrc_close(&m);  /* idempotent */

	int rc = msrc_open(NULL, "layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,ff=28672,"
			   "ftype=Q4_K_M", NULL, &m, &cause);
	if (rc)
		printf("\n  %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(m.sparse, 1);
	CU_ASSERT(near((double)m.file_size, 42.52e9, 0.001));
	CU_ASSERT(strstr(m.desc, "synthesised llama Q4_K_M header-only GGUF from --model") != NULL);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", m.tmpdir);
	msrc_close(&m);
	struct stat sb;
	CU_ASSERT_NOT_EQUAL(stat(dir, &sb), 0);
	CU_ASSERT_EQUAL(msrc_open(NULL, "model:arch=gemma3,layers=4,embd=512,heads=4,vocab=300,"
				  "ftype=Q8_0", NULL, &m, NULL), 0);
	msrc_close(&m);

	/* Errors name the spec; nothing is left behind. */
	CU_ASSERT_EQUAL(msrc_open(NULL, "/no/such/model.gguf", NULL, &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "/no/such/model.gguf: cannot open"));
	free(cause);
	cause = NULL;
	write_text(cu_tmp("notgguf.gguf"), "hello, world");
	CU_ASSERT_EQUAL(msrc_open(NULL, cu_tmp("notgguf.gguf"), NULL, &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "notgguf.gguf: not a GGUF file"));
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(msrc_open(NULL, cu_data("gguf/stories260K.gguf"), cu_tmp("notgguf.gguf"),
				  &m, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "notgguf.gguf: not a GGUF file"));
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(msrc_open(NULL, "layers=8,embd=500,heads=3,vocab=300,ftype=Q8_0", NULL, &m,
				  &cause), UTIL_EINPUT);
	free(cause);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("model_src", NULL, NULL);
	CU_ADD_TEST(s, test_synth_llama70b);
	CU_ADD_TEST(s, test_synth_families);
	CU_ADD_TEST(s, test_synth_keys_and_errors);
	CU_ADD_TEST(s, test_split);
	CU_ADD_TEST(s, test_ollama);
	CU_ADD_TEST(s, test_ollama_manifests);
	CU_ADD_TEST(s, test_store_round_trip);
	CU_ADD_TEST(s, test_store_migration);
	CU_ADD_TEST(s, test_specs);
}

CUTEST_MAIN(register_tests)
