/*
 * test_estimate.c - the engines' own estimators (sim/estimate.h) against
 * the estimates Ollama logged in public issues (tests/data/logs), and the
 * seed case of ollama#9471.
 *
 * Inputs are what the log line and the model's public hyper-parameters
 * give; nothing is fitted. Logged sizes carry 0.1 GiB of rounding
 * (format.HumanBytes2), so a figure passes within that rounding plus the
 * stated tolerance of each case.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "estimate.h"
#include "imp.h"
#include "ollama.h"
#include "quant.h"
#include "scenario.h"
#include "store.h"
#include "util.h"

#define GIB 1073741824.0
#define MIB_ (1024.0 * 1024.0)

static uint64_t gib(double g)
{
	return (uint64_t)llround(g * GIB);
}

/* |got - logged| within the log's rounding (0.05 GiB) plus tol (fraction). */
static int near(uint64_t got, double logged_gib, double tol)
{
	double g = (double)got / GIB;
	return fabs(g - logged_gib) <= 0.05 + tol * logged_gib;
}

/* ollama#9181 (v0.5.11): a 70B Q8_0 (81 layers) on 4 GPUs with 22.0 GiB
 * free, num_ctx 64000; logged offload 44, split 11,11,11,11, allocations
 * 21.8 GiB each, required.full 127.4, .partial 87.1, kv 19.5, graph 8.2. */
static void test_9181_llama70b_q8_4gpu(void)
{
	uint64_t lw[80], out, tok;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(quant_llama_sizes("Q8_0", 80, 8192, 64, 8, 28672, 128256, lw, &out,
						     &tok, &cause), 0);
	struct ollama_model m = { .n_layer = 80, .n_embd = 8192, .n_head = 64, .n_head_kv = 8,
			       .n_vocab = 128256, .layer_w = lw, .output_w = out, .token_embd_w = tok };
	struct ollama_input in = { .n_gpu = 4, .min_memory = 457ull << 20, .ctx = 64000, .parallel = 1,
				.batch = 512, .kv_bpe = 2, .num_gpu = -1 };
	for (int g = 0; g < 4; g++)
		in.free[g] = gib(22.0);
	struct ollama_result r;
	CU_ASSERT_EQUAL_FATAL(ollama_estimate(OLLAMA_ERA_05, &m, &in, &r, &cause), 0);
	CU_ASSERT_EQUAL(r.layers, 44);
	CU_ASSERT_EQUAL(r.layers_model, 81);
	for (int g = 0; g < 4; g++) {
		CU_ASSERT_EQUAL(r.split[g], 11);
		CU_ASSERT_TRUE(near(r.alloc[g], 21.8, 0.0));
	}
	CU_ASSERT_TRUE(near(r.kv, 19.5, 0.0));
	CU_ASSERT_TRUE(near(r.graph_partial, 8.2, 0.0));
	CU_ASSERT_TRUE(near(r.vram, 87.1, 0.0));
	CU_ASSERT_TRUE(near(r.total, 127.4, 0.0));
}

/* ollama#8430 (v0.7.x, Ollama engine): gemma3 12B Q4_0 on 11.5 + 4.6 GiB
 * free, num_ctx 24576, num_gpu 49; logged offload 37, split 37,0,
 * required.full 14.9, .partial 11.4, kv 2.0, graph 1.3 / 1.3. Layer
 * weights from the logged totals (repeating 5.6 GiB over 48 blocks,
 * output 1.9 GiB); gemma3: head_dim 256, sliding window 1024, every 6th
 * layer global; projector 806.2 MiB + graph 1.0 GiB (logged); token
 * embeddings (tied output) 1.9 GiB. v0.7.0's spare layer is the largest
 * tensor group - here token_embd - which is why the 4.6 GiB card gets no
 * layer (rick-github's reading in the thread). */
static void test_8430_gemma3_sliding_window(void)
{
	uint64_t lw[48];
	for (int i = 0; i < 48; i++)
		lw[i] = (uint64_t)(5.6 * GIB / 48);
	struct ollama_model m = { .arch = "gemma3", .n_layer = 48, .n_embd = 3840, .n_head = 16,
			       .n_head_kv = 8, .head_k = 256, .head_v = 256, .n_vocab = 262144,
			       .swa = 1024, .swa_period = 6, .layer_w = lw, .output_w = gib(1.9),
			       .token_embd_w = gib(1.9),
			       .projector_w = (uint64_t)(806.2 * MIB_), .projector_graph = gib(1.0),
			       .ollama_engine = 1 };
	struct ollama_input in = { .n_gpu = 2, .free = { gib(11.5), gib(4.6) }, .min_memory = 457ull << 20,
				.ctx = 24576, .parallel = 1, .batch = 512, .kv_bpe = 2, .num_gpu = 49,
				.spare_largest = 1 };
	struct ollama_result r;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(ollama_estimate(OLLAMA_ERA_07, &m, &in, &r, &cause), 0);
	CU_ASSERT_TRUE(near(r.kv, 2.0, 0.0));
	CU_ASSERT_TRUE(near(r.graph_partial, 1.3, 0.0));
	CU_ASSERT_TRUE(near(r.graph_full, 1.3, 0.0));
	CU_ASSERT_EQUAL(r.split[1], 0); /* the 4.6 GiB card gets nothing */
	CU_ASSERT_EQUAL(r.layers, 37);
	CU_ASSERT_TRUE(near(r.vram, 11.4, 0.01));
	CU_ASSERT_TRUE(near(r.total, 14.9, 0.01));
}

/* ollama#8310 / #9311 (v0.5.4 / v0.5.12): llama3.2-vision 11B (mllama, 40
 * blocks) on one GPU, num_ctx 2048; projector 1.8 GiB + graph 2.8 GiB on
 * GPU 0; KV 656.2 MiB and graph 669.5 / 258.5 MiB as logged (mllama's own
 * KV rule is not restated here); blocks from the logged weights.total,
 * which v0.5 logs as blocks + KV (5.5 GiB; "repeating" is that minus the
 * output), output 411.0 MiB. A: 10.6 GiB free -> 34/41,
 * full 11.8, partial 10.5. B: 21.6 GiB free -> 41/41, 11.3 both. */
static void vision_case(double free_gib, int want_layers, double full, double partial)
{
	uint64_t kv = (uint64_t)(656.25 * MIB_), lw[40];
	for (int i = 0; i < 40; i++)
		lw[i] = (uint64_t)((5.5 * GIB - (double)kv) / 40);
	struct ollama_model m = { .arch = "mllama", .n_layer = 40, .n_embd = 4096, .n_head = 32,
			       .n_head_kv = 8, .n_vocab = 128256, .layer_w = lw,
			       .output_w = (uint64_t)(411.0 * MIB_), .projector_w = gib(1.8),
			       .projector_graph = gib(2.8) };
	struct ollama_input in = { .n_gpu = 1, .free = { gib(free_gib) }, .min_memory = 457ull << 20,
				.ctx = 2048, .parallel = 1, .batch = 512, .kv_bpe = 2, .num_gpu = -1,
				.graph_partial = (uint64_t)(669.5 * MIB_),
				.graph_full = (uint64_t)(258.5 * MIB_), .kv_total = kv };
	struct ollama_result r;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(ollama_estimate(OLLAMA_ERA_05, &m, &in, &r, &cause), 0);
	CU_ASSERT_EQUAL(r.layers, want_layers);
	CU_ASSERT_TRUE(near(r.total, full, 0.01));
	CU_ASSERT_TRUE(near(r.vram, partial, 0.01));
}

static void test_8310_9311_vision_projector_gpu0(void)
{
	vision_case(10.6, 34, 11.8, 10.5);
	vision_case(21.6, 41, 11.3, 11.3);
}

/* `ollama ps` prints decimal GB, whole from 10 up, and rounds the CPU share. */
static void test_ollama_ps_format(void)
{
	char size[32], proc[48];
	ollama_ps(61999999999ull, 34700000000ull, size, sizeof(size), proc, sizeof(proc));
	CU_ASSERT_STRING_EQUAL(size, "61 GB");
	CU_ASSERT_STRING_EQUAL(proc, "44%/56% CPU/GPU");
	ollama_ps(9500000000ull, 9500000000ull, size, sizeof(size), proc, sizeof(proc));
	CU_ASSERT_STRING_EQUAL(size, "9.5 GB");
	CU_ASSERT_STRING_EQUAL(proc, "100% GPU");
	ollama_ps(42000000000ull, 0, size, sizeof(size), proc, sizeof(proc));
	CU_ASSERT_STRING_EQUAL(size, "42 GB");
	CU_ASSERT_STRING_EQUAL(proc, "100% CPU");
}

/* Llama-3.3-70B Q4_K_M from llama.cpp's type rules: `ollama list` shows
 * 42 GB (a6eb4748fd29), i.e. 42e9 <= file < 43e9 bytes. */
static void test_q4km_tensor_sizes(void)
{
	uint64_t lw[80], out, tok, sum = 0;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(quant_llama_sizes("Q4_K_M", 80, 8192, 64, 8, 28672, 128256, lw, &out,
						     &tok, &cause), 0);
	for (int i = 0; i < 80; i++)
		sum += lw[i];
	sum += out + tok;
	CU_ASSERT_TRUE(sum >= 42000000000ull && sum < 43000000000ull);
	CU_ASSERT_TRUE(lw[0] > lw[10]); /* use_more_bits: layer 0 Q6_K parts, layer 10 not */
	CU_ASSERT_EQUAL(lw[0], lw[12]);
	CU_ASSERT_EQUAL(quant_llama_sizes("IQ2_XS", 80, 8192, 64, 8, 28672, 128256, lw, &out, &tok,
					       &cause), UTIL_EINPUT);
	free(cause);
}

/*
 * The seed (ollama#9471): llama3.3:70b Q4_K_M shown as 61 GB, 44%/56%
 * CPU/GPU under v0.5.13. The issue does not say how many GPUs or which
 * context; these two settings reproduce it with the real estimator (see
 * README): 8 GPUs with 4.3 GiB free at the defaults (num_ctx 2048,
 * parallel 1), and 3 GPUs with 11.2 GiB free at num_ctx 20480. The 2
 * GPU / 24 GiB and single-GPU setups do not.
 */
static void seed(int n_gpu, double free_gib, uint64_t ctx, char *size, char *proc)
{
	uint64_t lw[80], out, tok;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(quant_llama_sizes("Q4_K_M", 80, 8192, 64, 8, 28672, 128256, lw, &out,
						     &tok, &cause), 0);
	struct ollama_model m = { .n_layer = 80, .n_embd = 8192, .n_head = 64, .n_head_kv = 8,
			       .n_vocab = 128256, .layer_w = lw, .output_w = out, .token_embd_w = tok };
	struct ollama_input in = { .n_gpu = n_gpu, .min_memory = 457ull << 20, .ctx = ctx, .parallel = 1,
				.batch = 512, .kv_bpe = 2, .num_gpu = -1 };
	for (int g = 0; g < n_gpu; g++)
		in.free[g] = gib(free_gib);
	struct ollama_result r;
	CU_ASSERT_EQUAL_FATAL(ollama_estimate(OLLAMA_ERA_05, &m, &in, &r, &cause), 0);
	ollama_ps(r.total, r.vram, size, 32, proc, 48);
}

static void test_seed_9471(void)
{
	char size[32], proc[48];
	seed(8, 4.3, 2048, size, proc);
	CU_ASSERT_STRING_EQUAL(size, "61 GB");
	CU_ASSERT_STRING_EQUAL(proc, "44%/56% CPU/GPU");
	seed(3, 11.2, 20480, size, proc);
	CU_ASSERT_STRING_EQUAL(size, "61 GB");
	CU_ASSERT_STRING_EQUAL(proc, "44%/56% CPU/GPU");
	seed(2, 23.5, 2048, size, proc);
	CU_ASSERT_STRING_NOT_EQUAL(size, "61 GB");
	seed(1, 47.5, 2048, size, proc); /* the reporter's 48 GB work card: fits */
	CU_ASSERT_STRING_EQUAL(proc, "100% GPU");
}

/*
 * Table-driven: every load in tests/data/logs that holds Ollama's own
 * msg=offload estimate, imported as a user would, and rerun from what
 * that line logs (estimate_check_logged) with the estimator of the Ollama
 * version that wrote it. Every logged figure - layers.offload, the split,
 * required.full/.partial and each GPU's allocation - must agree within
 * the log's 0.1 GiB rounding plus 1%.
 */
static const struct {
	const char *log;
	int load;           /* index among the file's traces */
	const char *engine; /* the era of the Ollama that wrote it */
	int figures;        /* figures the line logs */
} logged_cases[] = {
	{ "logs/ollama-9181-70b-4x22g-64k.log", 0, "ollama-0.5", 8 },            /* v0.5.11 */
	{ "logs/ollama-8310-9311-llama32vision-11b-capacity-pair.log", 0, "ollama-0.5", 4 }, /* v0.5.4 */
	{ "logs/ollama-8310-9311-llama32vision-11b-capacity-pair.log", 1, "ollama-0.5", 4 }, /* v0.5.12 */
	{ "logs/ollama-8430-gemma3-12b-3060-plus-small.log", 0, "ollama-0.7.0:swa=1024", 6 }, /* v0.7.0 */
};

static void test_logged_estimates_table(void)
{
	for (size_t i = 0; i < sizeof(logged_cases) / sizeof(logged_cases[0]); i++) {
		struct store *st = cu_store_new("logged.db");
		struct imp_opts o = { .quiet = 1 };
		struct imp_ctx res;
		memset(&res, 0, sizeof(res));
		char *cause = NULL, *ex = NULL, *js = NULL;
		CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_data(logged_cases[i].log), &o, &res, &cause), 0);
		CU_ASSERT_FATAL(res.n_traces > logged_cases[i].load);
		int within = 0, figs = 0;
		int rc = estimate_check_logged(st, res.traces[logged_cases[i].load], logged_cases[i].engine, &ex,
					  &js, &within, &figs, &cause);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(figs, logged_cases[i].figures);
		if (within != figs)
			fprintf(stderr, "\n%s #%d:%s\n", logged_cases[i].log, logged_cases[i].load, ex);
		CU_ASSERT_EQUAL(within, figs);
		CU_ASSERT_PTR_NOT_NULL(js && strstr(js, "\"figures\":["));
		free(ex);
		free(js);
		/* each other pre-2025 era misses on this load */
		static const char *const eras[] = { "ollama-0.5", "ollama-0.7:swa=1024",
						    "ollama-0.7.0:swa=1024" };
		for (size_t k = 0; k < 3; k++) {
			if (!strncmp(eras[k], logged_cases[i].engine, strlen(logged_cases[i].engine)))
				continue;
			ex = NULL;
			CU_ASSERT_EQUAL(estimate_check_logged(st, res.traces[logged_cases[i].load], eras[k], &ex,
							 NULL, &within, &figs, &cause), 0);
			CU_ASSERT_TRUE(within < figs);
			free(ex);
		}
		free(cause);
		free(res.summary);
		store_close(st);
	}
}

/* The eras differ where Ollama changed: v0.5's estimator on the v0.7.0 log
 * gives the 4.6 GiB card layers (its spare layer is blk.0, not the largest
 * tensor group), so the split no longer matches. */
static void test_logged_wrong_era_differs(void)
{
	struct store *st = cu_store_new("era.db");
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	memset(&res, 0, sizeof(res));
	char *cause = NULL, *ex = NULL;
	CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_data("logs/ollama-8430-gemma3-12b-3060-plus-small.log"), &o,
				       &res, &cause), 0);
	int within = 0, figs = 0;
	CU_ASSERT_EQUAL(estimate_check_logged(st, res.traces[0], "ollama-0.7:swa=1024", &ex, NULL, &within,
					 &figs, &cause), 0);
	CU_ASSERT_TRUE(within < figs);
	free(ex);
	CU_ASSERT_EQUAL(estimate_check_logged(st, res.traces[0], "ollama-layout", &ex, NULL, &within, &figs,
					 &cause), UTIL_EINPUT);
	free(cause);
	free(res.summary);
	store_close(st);
}

/* Every estimator row of the engine table runs on a --model scenario,
 * each gives a per-GPU figure for the GPUs it uses, and the JSON names it. */
static void test_rows_on_model(void)
{
	static const char *const names[] = { "ollama-0.5", "ollama-0.7", "ollama-0.7.0", "ollama-layout",
					     "ollama-0.30", "llama-fit" };
	struct scen_opts so;
	scen_opts_init(&so);
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(scen_opts_gpus(&so, "2x24G", &cause), 0);
	so.what.ctx = 8192;
	so.model_spec = "layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,ff=28672,size=42.5e9B";
	struct scen sc;
	CU_ASSERT_EQUAL_FATAL(scen_prepare(NULL, NULL, &so, &sc, &cause), 0);
	struct sim_result *res = calloc(1, sizeof(*res));
	CU_ASSERT_EQUAL_FATAL(scen_run(NULL, &sc, NULL, res, &cause), 0);
	size_t n = 0;
	for (const struct scen_engine *e = scen_engines; e->name; e++) {
		if (!e->estimate)
			continue;
		CU_ASSERT_FATAL(n < sizeof(names) / sizeof(names[0]));
		CU_ASSERT_STRING_EQUAL(e->name, names[n]);
		n++;
		uint64_t est[TOPO_MAX_GPUS];
		char *ex = NULL, *js = NULL;
		CU_ASSERT_EQUAL(e->estimate(e->name, &sc, res, est, &ex, &js, &cause), 0);
		CU_ASSERT_PTR_NOT_NULL(ex && strstr(ex, e->name));
		CU_ASSERT_TRUE(est[0] != UINT64_MAX && est[0] > 0);
		char want[64];
		snprintf(want, sizeof(want), "{\"engine\":\"%s\"", e->name);
		CU_ASSERT_PTR_NOT_NULL(js && strstr(js, want) == js);
		free(ex);
		free(js);
		CU_ASSERT_TRUE(estimate_engine_known(e->name));
	}
	CU_ASSERT_EQUAL(n, sizeof(names) / sizeof(names[0]));
	CU_ASSERT_FALSE(estimate_engine_known("ollama-9"));
	CU_ASSERT_EQUAL(estimate_compute("ollama-9", &sc, res, NULL, NULL, &cause), UTIL_EINPUT);
	free(cause);
	free(res);
	scen_clear(&sc);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("estimate", NULL, NULL);
	CU_ADD(s, test_9181_llama70b_q8_4gpu);
	CU_ADD(s, test_8430_gemma3_sliding_window);
	CU_ADD(s, test_8310_9311_vision_projector_gpu0);
	CU_ADD(s, test_ollama_ps_format);
	CU_ADD(s, test_q4km_tensor_sizes);
	CU_ADD(s, test_seed_9471);
	CU_ADD(s, test_logged_estimates_table);
	CU_ADD(s, test_logged_wrong_era_differs);
	CU_ADD(s, test_rows_on_model);
}

CUTEST_MAIN(register_tests)
