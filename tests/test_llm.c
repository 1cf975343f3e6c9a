/*
 * test_llm.c - the formula model (sim/llm.c) on bundled logs: ik_llama.cpp's
 * attention cap (-amb), read from a recorded load and asked as a what-if.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "imp.h"
#include "llm.h"
#include "profile.h"
#include "store.h"
#include "util.h"

#define MIB ((double)UTIL_MIB)

/* The rule itself, at the settings of the bundled logs. */
static void test_amb_rule(void)
{
	struct llm_load *ld = util_xcalloc(1, sizeof(*ld));
	ld->n_head = 128; /* DeepSeek-R1 (ikllama-237: ctx 163840, ub 1024, -mla 2, -amb 1024) */
	ld->mla = 1;
	/* whole K*Q: 163840 x 1024 x 128 x 4 B = 81920 MiB */
	CU_ASSERT_DOUBLE_EQUAL(llm_kq_term(ld, 163840, 1024, 0) / MIB, 81920.0, 1e-6);
	/* 80 steps of ceil(128 / 80) = 2 heads: 1280 MiB */
	CU_ASSERT_DOUBLE_EQUAL(llm_kq_term(ld, 163840, 1024, 1024) / MIB, 1280.0, 1e-6);
	/* a cap above the whole K*Q changes nothing */
	CU_ASSERT_DOUBLE_EQUAL(llm_kq_term(ld, 4096, 256, 1024) / MIB, 512.0, 1e-6);
	/* standard attention, as many KV heads as heads: one head per step */
	ld->mla = 0;
	ld->n_head_kv = 128;
	CU_ASSERT_DOUBLE_EQUAL(llm_kq_term(ld, 163840, 1024, 1024) / MIB, 640.0, 1e-6);
	/* grouped KV heads: ik_llama.cpp keeps the whole K*Q */
	ld->n_head_kv = 8;
	CU_ASSERT_DOUBLE_EQUAL(llm_kq_term(ld, 163840, 1024, 1024) / MIB, 81920.0, 1e-6);
	free(ld);
}

/* The 237 log's -amb lands in the load the model decomposes. */
static void test_amb_read_from_237(void)
{
	struct store *st = cu_store_new("amb237.db");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct imp_opts io = { .quiet = 1 };
	struct imp_ctx ic;
	memset(&ic, 0, sizeof(ic));
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_data("logs/ikllama-237-mla-amb-fmoe.log"), &io, &ic,
				       &cause), 0);
	free(ic.summary);
	struct llm_meta m;
	CU_ASSERT_EQUAL(llm_meta_parse("heads=128", &m, &cause), 0);
	struct llm_load *ld = util_xcalloc(1, sizeof(*ld));
	CU_ASSERT_EQUAL(llm_decompose(st, 1, &m, ld, &cause), 0);
	CU_ASSERT_EQUAL(ld->amb, 1024);
	CU_ASSERT_EQUAL(ld->mla, 1);
	CU_ASSERT_EQUAL(ld->cells, 163840);
	CU_ASSERT_EQUAL(ld->ubatch, 1024);
	CU_ASSERT_DOUBLE_EQUAL(llm_kq_term(ld, ld->cells, ld->ubatch, ld->amb) / MIB, 1280.0, 1e-6);
	free(ld);
	free(cause);
	store_close(st);
}

/*
 * A recorded load with a compute buffer and -amb: the row-split load of
 * ikllama-235 (RUN 0, -mla 2, ctx 32768, ub 256, CUDA0 compute 4349 MiB)
 * with the "attn_max_b = 1024" line of ikllama-237 added after its
 * context settings. The recorded buffer holds a capped K*Q (1024 MiB of
 * the whole 4096), so the rest is 3325 MiB and a larger context leaves
 * the buffer as it is; without the cap it would grow by 4096 MiB per
 * 32768 cells.
 */
static char *amb_load_text(void)
{
	char *a = NULL, *b = NULL;
	size_t na, nb;
	CU_ASSERT_EQUAL_FATAL(util_read_file(cu_data("logs/ikllama-235-deepseek-r1-15x3090.log"), &a,
					     &na, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(util_read_file(cu_data("logs/ikllama-237-mla-amb-fmoe.log"), &b, &nb,
					     NULL), 0);
	char *run0 = strstr(a, "## RUN 0");
	char *mla = run0 ? strstr(run0, "mla_attn   = 2\n") : NULL;
	char *amb = strstr(b, "llama_new_context_with_model: attn_max_b");
	char *amb_end = amb ? strchr(amb, '\n') : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(mla);
	CU_ASSERT_PTR_NOT_NULL_FATAL(amb_end);
	mla += strlen("mla_attn   = 2\n");
	size_t n1 = (size_t)(mla - run0), n2 = (size_t)(amb_end + 1 - amb);
	char *out = util_xcalloc(1, n1 + n2 + strlen(mla) + 1);
	memcpy(out, run0, n1);
	memcpy(out + n1, amb, n2);
	strcpy(out + n1 + n2, mla);
	free(a);
	free(b);
	return out;
}

static uint64_t gpu_compute(const struct llm_load *ld, const struct llm_scenario *sc, int dev)
{
	struct topo t = { 0 };
	t.n = 1;
	t.capacity[0] = 1ull << 40;
	struct trace_event *ev = NULL;
	size_t n = 0;
	int layers[TOPO_MAX_GPUS];
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(llm_build(ld, sc, &t, &ev, &n, layers, NULL, 0, &cause), 0);
	uint64_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == TRACE_ALLOC && ev[i].device == dev && ev[i].category == TRACE_CAT_COMPUTE)
			c += ev[i].size;
	free(ev);
	return c;
}

static void test_amb_recorded_load_whatif(void)
{
	struct store *st = cu_store_new("amb235.db");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	char *text = amb_load_text();
	struct imp_opts io = { .quiet = 1 };
	struct imp_ctx ic;
	memset(&ic, 0, sizeof(ic));
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(imp_buffer(st, "run0-amb.log", (const unsigned char *)text, strlen(text),
					 &io, &ic, &cause), 0);
	free(ic.summary);
	free(text);
	struct llm_meta m;
	CU_ASSERT_EQUAL(llm_meta_parse("heads=128,layers=61", &m, &cause), 0);
	struct llm_load *ld = util_xcalloc(1, sizeof(*ld));
	CU_ASSERT_EQUAL_FATAL(llm_decompose(st, 1, &m, ld, &cause), 0);
	CU_ASSERT_EQUAL(ld->amb, 1024);
	CU_ASSERT_EQUAL(ld->mla, 1);
	struct llm_scenario sc;
	llm_scenario_init(&sc);
	/* as recorded: 4349 MiB */
	CU_ASSERT_DOUBLE_EQUAL(gpu_compute(ld, &sc, 0) / MIB, 4349.0, 1e-3);
	/* twice the context: K*Q 8192 MiB in 8 steps of 16 heads = 1024 MiB */
	sc.ctx = 65536;
	CU_ASSERT_DOUBLE_EQUAL(gpu_compute(ld, &sc, 0) / MIB, 4349.0, 1e-3);
	/* a larger cap: 2 steps of 64 heads at ctx 32768 */
	sc.ctx = 0;
	sc.amb = 2048;
	CU_ASSERT_DOUBLE_EQUAL(gpu_compute(ld, &sc, 0) / MIB, 3325.0 + 2048.0, 1e-3);
	/* the cap off: the whole K*Q, 4096 MiB */
	sc.amb = -1;
	CU_ASSERT_DOUBLE_EQUAL(gpu_compute(ld, &sc, 0) / MIB, 3325.0 + 4096.0, 1e-3);
	int noted = 0;
	for (int i = 0; i < ld->n_notes; i++)
		noted |= strstr(ld->notes[i], "-amb 1024 caps the K*Q term") != NULL;
	CU_ASSERT(noted);
	free(ld);
	free(cause);
	store_close(st);
}

/*
 * #13.3: placement starts from the recorded ranges and the model's own
 * layer sizes. stories260K.gguf (tests/data/gguf, the only bundled GGUF
 * with layers) loaded on two GPUs, layers 0-1 on CUDA0 and 2-4 plus the
 * output on CUDA1; the log (written here from the profile, as llama.cpp
 * prints buffer sizes: MiB with 2 decimals) gives no split, no ranges,
 * no KV: the profile's layer sizes recover the ranges, and a what-if on
 * three GPUs places the profile's bytes, not averages.
 */
static void test_profile_placement(void)
{
	struct store *st = cu_store_new("prof.db");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct imp_opts io = { .quiet = 1 };
	struct imp_ctx ic;
	memset(&ic, 0, sizeof(ic));
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_data("gguf/stories260K.gguf"), &io, &ic, &cause), 0);
	free(ic.summary);
	int64_t pid = cu_q1(st, "SELECT MAX(id) FROM profiles");
	struct profile p;
	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(store_profile_get(st, pid, &p, &cause), 0);
	CU_ASSERT_EQUAL_FATAL(p.n_layer, 5);
	double w0 = 0, w1 = 0;
	for (int l = 0; l <= 5; l++)
		*(l < 2 ? &w0 : &w1) += (double)profile_layer_bytes(&p, l);
	char text[1024];
	snprintf(text, sizeof(text),
		 "llm_load_tensors: offloading 5 repeating layers to GPU\n"
		 "llm_load_tensors: offloading non-repeating layers to GPU\n"
		 "llm_load_tensors: offloaded 6/6 layers to GPU\n"
		 "llm_load_tensors:        CPU buffer size = %8.2f MiB\n"
		 "llm_load_tensors:      CUDA0 buffer size = %8.2f MiB\n"
		 "llm_load_tensors:      CUDA1 buffer size = %8.2f MiB\n",
		 (double)profile_layer_bytes(&p, PROFILE_LAYER_INPUT) / MIB, w0 / MIB, w1 / MIB);
	memset(&ic, 0, sizeof(ic));
	CU_ASSERT_EQUAL_FATAL(imp_buffer(st, "stories-2gpu.log", (const unsigned char *)text,
					 strlen(text), &io, &ic, &cause), 0);
	free(ic.summary);
	int64_t trace = cu_q1(st, "SELECT MAX(id) FROM traces");
	struct llm_meta m;
	memset(&m, 0, sizeof(m));
	m.profile_id = pid;
	struct llm_load *ld = util_xcalloc(1, sizeof(*ld));
	CU_ASSERT_EQUAL_FATAL(llm_decompose(st, trace, &m, ld, &cause), 0);
	CU_ASSERT_EQUAL(ld->have_profile, 1);
	CU_ASSERT_EQUAL(ld->rec_gpus, 2);
	CU_ASSERT_EQUAL(ld->rec_layers[0], 2);
	CU_ASSERT_EQUAL(ld->rec_layers[1], 4);
	int noted = 0;
	for (int i = 0; i < ld->n_notes; i++)
		noted |= strstr(ld->notes[i], "matched to the GGUF profile") != NULL;
	CU_ASSERT(noted);
	for (int l = 0; l <= 5; l++)
		CU_ASSERT_EQUAL(ld->layer_w[l], profile_layer_bytes(&p, l));
	/* three GPUs, split 1,2,3: layers 0 | 1-2 | 3-4 + output, the profile's bytes */
	struct llm_scenario sc;
	llm_scenario_init(&sc);
	sc.n_split = 3;
	sc.split[0] = 1, sc.split[1] = 2, sc.split[2] = 3;
	struct topo t = { 0 };
	t.n = 3;
	for (int g = 0; g < 3; g++)
		t.capacity[g] = 1ull << 30;
	struct trace_event *ev = NULL;
	size_t n = 0;
	int layers[TOPO_MAX_GPUS];
	CU_ASSERT_EQUAL_FATAL(llm_build(ld, &sc, &t, &ev, &n, layers, NULL, 0, &cause), 0);
	uint64_t got[3] = { 0 }, want[3] = { 0 };
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == TRACE_ALLOC && ev[i].category == TRACE_CAT_WEIGHTS && ev[i].device >= 0 &&
		    ev[i].device < 3)
			got[ev[i].device] += ev[i].size;
	for (int l = 0, g = 0, k = 0; l <= 5; l++, k++) {
		while (k >= layers[g]) {
			g++;
			k = 0;
		}
		want[g] += profile_layer_bytes(&p, l);
	}
	for (int g = 0; g < 3; g++)
		CU_ASSERT_EQUAL(got[g], want[g]);
	CU_ASSERT_EQUAL(layers[0] + layers[1] + layers[2], 6);
	free(ev);
	free(ld);
	profile_clear(&p);
	free(cause);
	store_close(st);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("llm", NULL, NULL);
	CU_ADD(s, test_amb_rule);
	CU_ADD(s, test_amb_read_from_237);
	CU_ADD(s, test_amb_recorded_load_whatif);
	CU_ADD(s, test_profile_placement);
}

CUTEST_MAIN(register_tests)
