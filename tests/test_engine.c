/*
 * test_engine.c - plans from the pinned llama.cpp on virtual GPUs
 * (sim/engine.h): KV byte-equal to the engine's own CPU plan, weights equal
 * to it plus the CUDA buffer type's documented padding, compute buffers of
 * three architectures pinned on 1, 2 and 4 GPUs, Ollama's placement, MoE
 * experts on the CPU, sliding windows, llama.cpp's --fit, context-only
 * what-ifs reusing the loaded model, and every refusal quoting the engine.
 * The models are header-only GGUFs written here (cu_gguf.h) and
 * tests/data/gguf/stories260K.gguf. Without an engine (make ENGINE=none)
 * the suite says so and runs nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_engine.h"
#include "cu_gguf.h"
#include "cutest.h"
#include "engine.h"
#include "util.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static struct eng *E;
static char M_LLAMA[512], M_GEMMA[512], M_MOE[512];
static struct cu_gguf *T_LLAMA; /* the tensor list of M_LLAMA */

static void req(struct eng_req *r, const char *model, int n_gpus, uint32_t ctx)
{
	eng_req_init(r);
	r->model = model;
	r->n_gpus = n_gpus;
	for (int i = 0; i < n_gpus && i < ENG_MAX_GPUS; i++)
		r->mem[i] = 24 * GiB;
	r->ctx = ctx;
}

static uint64_t sum(const struct eng_plan *p, int what, int with_host)
{
	uint64_t s = 0;
	for (int i = 0; i < p->n_gpus + (with_host ? 1 : 0); i++) {
		const struct eng_dev *d = i < p->n_gpus ? &p->gpu[i] : &p->host;
		s += what == 0 ? d->weights : what == 1 ? d->kv : d->compute;
	}
	return s;
}

static int plan(const struct eng_req *r, struct eng_plan *p)
{
	char *cause = NULL;
	int rc = eng_plan(E, r, p, &cause);
	if (rc)
		fprintf(stderr, "plan %s: %s\n", r->model, cause);
	free(cause);
	return rc;
}

static int plan_cpu(const struct eng_req *r, struct eng_plan *p)
{
	char *cause = NULL;
	int rc = eng_plan_cpu(E, r, p, &cause);
	if (rc)
		fprintf(stderr, "cpu plan %s: %s\n", r->model, cause);
	free(cause);
	return rc;
}

/* KV over all devices equals the engine's own CPU plan, byte for byte:
 * f16 rows are multiples of CUDA's 128-byte alignment and are not padded. */
static void test_kv_equals_cpu(void)
{
	const char *models[] = { M_LLAMA, M_GEMMA, M_MOE, cu_data("gguf/stories260K.gguf") };
	const int gpus[] = { 1, 2, 4 };
	for (size_t m = 0; m < UTIL_ARRAY_SIZE(models); m++) {
		struct eng_req r;
		struct eng_plan cpu, p;
		req(&r, models[m], 0, m == 3 ? 512 : 4096);
		CU_ASSERT_EQUAL_FATAL(plan_cpu(&r, &cpu), 0);
		CU_ASSERT(cpu.host.kv > 0);
		for (size_t g = 0; g < UTIL_ARRAY_SIZE(gpus); g++) {
			req(&r, models[m], gpus[g], m == 3 ? 512 : 4096);
			CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
			CU_ASSERT_EQUAL(sum(&p, 1, 1), cpu.host.kv);
			CU_ASSERT_EQUAL(p.host.kv, 0); /* all layers offloaded: no KV on the host */
			CU_ASSERT(p.gpu[0].kv > 0);
			eng_plan_free(&p);
		}
		eng_plan_free(&cpu);
	}
}

static uint64_t pad(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* What a GPU buffer type adds to the CPU plan of M_LLAMA's weights: for
 * every tensor on a GPU (all but the token embeddings, which llama.cpp
 * keeps on the host), quantized rows padded to row_pad elements (0: none)
 * and the buffer's alignment instead of the CPU buffer's 32
 * (ggml-cpu TENSOR_ALIGNMENT). */
static uint64_t gpu_extra(uint64_t align, int row_pad)
{
	uint64_t extra = 0;
	for (int i = 0; i < cu_gguf_n_tensors(T_LLAMA); i++) {
		const char *name;
		int type;
		int64_t ne[3];
		cu_gguf_tensor_at(T_LLAMA, i, &name, &type, ne);
		if (strcmp(name, "token_embd.weight") == 0)
			continue;
		uint64_t nb = cu_gguf_nbytes(type, ne[0], ne[1], ne[2]);
		uint64_t rowpad = 0;
		if (row_pad && (type == CU_Q4_K || type == CU_Q6_K) && ne[0] % row_pad)
			rowpad = cu_gguf_nbytes(type, row_pad - ne[0] % row_pad, 1, 1);
		extra += pad(nb + rowpad, align) - pad(nb, 32);
	}
	return extra;
}

/* Weights: the CPU plan plus CUDA's padding of a quantized row to 512
 * elements and 128-byte alignment (ggml-cuda.cu v0.5.0 l. 902-924). */
static void test_weights_cpu_plus_padding(void)
{
	uint64_t extra = gpu_extra(128, 512);
	CU_ASSERT(extra > 0); /* the model has rows of 768 elements: padded */
	struct eng_req r;
	struct eng_plan cpu, p;
	req(&r, M_LLAMA, 0, 4096);
	CU_ASSERT_EQUAL_FATAL(plan_cpu(&r, &cpu), 0);
	const int gpus[] = { 1, 2, 4 };
	for (size_t g = 0; g < UTIL_ARRAY_SIZE(gpus); g++) {
		req(&r, M_LLAMA, gpus[g], 4096);
		CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
		CU_ASSERT_EQUAL(sum(&p, 0, 1), cpu.host.weights + extra);
		CU_ASSERT_EQUAL(p.host.weights, cu_gguf_nbytes(CU_Q4_K, 768, 4096, 0));
		eng_plan_free(&p);
	}
	eng_plan_free(&cpu);
}

/* The method itself: on the engine's CPU device, the no_alloc plan equals
 * byte for byte what llama.cpp allocates for real (tensor data read), for
 * every architecture, with and without flash attention. (The GPU side
 * needs a GPU: not checked here.) */
static void test_no_alloc_equals_real_cpu(void)
{
	const char *models[] = { M_LLAMA, M_GEMMA, M_MOE, cu_data("gguf/stories260K.gguf") };
	const char *fa[] = { "on", "off" };
	for (size_t m = 0; m < UTIL_ARRAY_SIZE(models); m++)
		for (size_t f = 0; f < UTIL_ARRAY_SIZE(fa); f++) {
			struct eng_req r;
			struct eng_plan plan_, real;
			char *cause = NULL;
			req(&r, models[m], 0, 4096);
			r.flash_attn = fa[f];
			r.ubatch = 256;
			CU_ASSERT_EQUAL_FATAL(plan_cpu(&r, &plan_), 0);
			CU_ASSERT_EQUAL_FATAL(eng_plan_real_cpu(E, &r, &real, &cause), 0);
			CU_ASSERT_EQUAL(plan_.host.weights, real.host.weights);
			CU_ASSERT_EQUAL(plan_.host.kv, real.host.kv);
			CU_ASSERT_EQUAL(plan_.host.compute, real.host.compute);
			CU_ASSERT(real.host.compute > 0);
			eng_plan_free(&plan_);
			eng_plan_free(&real);
		}
}

/* Compute reservations, pinned per architecture and GPU count (bytes, as
 * the pinned engine v0.5.0 reserves them; ctx 4096, ubatch 512, flash
 * attention auto). A change of engine, rules or request shows up here.
 * Where they must agree with the CPU plan, they are checked to: with no
 * layer and no op offloaded, the host reserves exactly the CPU plan. */
struct pinned {
	const char *what;
	int gpus;
	uint64_t compute[5]; /* per GPU, then host */
};

static const struct pinned pins[] = {
#include "test_engine_pins.h"
	{ "end", 0, { 0 } },
};

static const char *model_of(const char *what)
{
	return !strcmp(what, "llama") ? M_LLAMA : !strcmp(what, "gemma2") ? M_GEMMA : M_MOE;
}

static void test_compute_pinned(void)
{
	int print = getenv("VRAMSIM_PRINT_PINS") != NULL;
	const char *whats[] = { "llama", "gemma2", "moe" };
	const int gpus[] = { 1, 2, 4 };
	int checked = 0;
	for (size_t w = 0; w < UTIL_ARRAY_SIZE(whats); w++) {
		for (size_t g = 0; g < UTIL_ARRAY_SIZE(gpus); g++) {
			struct eng_req r;
			struct eng_plan p;
			req(&r, model_of(whats[w]), gpus[g], 4096);
			CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
			if (print) {
				printf("\n\t{ \"%s\", %d, {", whats[w], gpus[g]);
				for (int i = 0; i < gpus[g]; i++)
					printf(" %llu,", (unsigned long long)p.gpu[i].compute);
				printf(" %llu } },\n", (unsigned long long)p.host.compute);
			}
			for (size_t k = 0; k < UTIL_ARRAY_SIZE(pins); k++) {
				if (strcmp(pins[k].what, whats[w]) || pins[k].gpus != gpus[g])
					continue;
				for (int i = 0; i < gpus[g]; i++)
					CU_ASSERT_EQUAL(p.gpu[i].compute, pins[k].compute[i]);
				CU_ASSERT_EQUAL(p.host.compute, pins[k].compute[gpus[g]]);
				checked++;
			}
			eng_plan_free(&p);
			/* nothing on the GPUs: the host reserves what the CPU plan does */
			struct eng_plan cpu;
			r.n_gpu_layers = 0;
			r.no_op_offload = 1;
			CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
			CU_ASSERT_EQUAL_FATAL(plan_cpu(&r, &cpu), 0);
			CU_ASSERT_EQUAL(p.host.compute, cpu.host.compute);
			CU_ASSERT_EQUAL(sum(&p, 2, 0), 0);
			eng_plan_free(&p);
			eng_plan_free(&cpu);
		}
	}
	CU_ASSERT_EQUAL(checked, 9);
	CU_ASSERT_EQUAL((int)UTIL_ARRAY_SIZE(pins) - 1, 9);
}

/* A what-if of context settings only reuses the loaded model; KV grows
 * with the context exactly linearly for a model without sliding windows. */
static void test_context_whatif_reuses_model(void)
{
	struct eng_req r;
	struct eng_plan a, b;
	req(&r, M_LLAMA, 2, 4096);
	r.n_gpu_layers = 9; /* a model setting different from the other tests: a fresh load */
	CU_ASSERT_EQUAL_FATAL(plan(&r, &a), 0);
	CU_ASSERT_EQUAL(a.reused, 0);
	r.ctx = 8192;
	r.parallel = 2;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &b), 0);
	CU_ASSERT_EQUAL(b.reused, 1);
	CU_ASSERT_EQUAL(b.n_ctx, 8192);
	CU_ASSERT_EQUAL(b.n_seq, 2);
	CU_ASSERT_EQUAL(sum(&b, 1, 1), 2 * sum(&a, 1, 1));
	CU_ASSERT_EQUAL(sum(&b, 0, 1), sum(&a, 0, 1));
	eng_plan_free(&a);
	eng_plan_free(&b);
}

/* The same request for the same file is answered again without the
 * planner (eng_plan's memo), with the same bytes; a file rewritten under
 * the same name is another model for the memo and for the planner, whose
 * loaded model it must not reuse. */
static void test_memo_and_rewritten_file(void)
{
	const char *x = cu_tmp("memo.gguf");
	CU_ASSERT_EQUAL_FATAL(cu_gguf_llama(x, 8, 768, 2048, 12, 4, 4096, NULL), 0);
	struct eng_req r;
	struct eng_plan a, b, c;
	req(&r, x, 2, 4096);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &a), 0);
	CU_ASSERT_EQUAL(a.memo, 0);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &b), 0);
	CU_ASSERT_EQUAL(b.memo, 1);
	for (int what = 0; what < 3; what++)
		CU_ASSERT_EQUAL(sum(&b, what, 1), sum(&a, what, 1));
	CU_ASSERT_EQUAL(b.gpu[1].layers, a.gpu[1].layers);
	CU_ASSERT_EQUAL_FATAL(cu_gguf_llama(x, 6, 768, 2048, 12, 4, 4096, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &c), 0);
	CU_ASSERT_EQUAL(c.memo, 0);
	CU_ASSERT_EQUAL(c.reused, 0);
	CU_ASSERT_EQUAL(c.n_layer, 6);
	CU_ASSERT(sum(&c, 0, 1) < sum(&a, 0, 1));
	eng_plan_free(&a);
	eng_plan_free(&b);
	eng_plan_free(&c);
}

/* Sliding-window layers keep a window-sized cache unless --swa-full. */
static void test_swa(void)
{
	struct eng_req r;
	struct eng_plan a, b;
	req(&r, M_GEMMA, 2, 8192);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &a), 0);
	r.swa_full = 1;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &b), 0);
	/* 6 layers, 3 of them sliding: the full cache is 6 layers of 8192
	 * cells; the windowed one 3 of 8192 and 3 of far fewer */
	uint64_t full = sum(&b, 1, 1), win = sum(&a, 1, 1);
	CU_ASSERT(win < full);
	CU_ASSERT(win > full / 2);
	eng_plan_free(&a);
	eng_plan_free(&b);
}

/* --cpu-moe moves exactly the expert tensors to the host. */
static void test_cpu_moe(void)
{
	struct eng_req r;
	struct eng_plan a, b;
	req(&r, M_MOE, 2, 4096);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &a), 0);
	r.cpu_moe = 1;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &b), 0);
	/* 4 layers x (gate, up: Q4_K 512x1024x8; down: Q6_K 1024x512x8) */
	uint64_t experts = 4 * (2 * cu_gguf_nbytes(CU_Q4_K, 512, 1024, 8) + cu_gguf_nbytes(CU_Q6_K, 1024, 512, 8));
	CU_ASSERT_EQUAL(b.host.weights - a.host.weights, experts);
	CU_ASSERT(sum(&a, 0, 0) - sum(&b, 0, 0) >= experts);
	eng_plan_free(&a);
	eng_plan_free(&b);
}

/* Ollama's runner: 3 + 5 repeating layers on the GPUs, the output layer
 * on the CPU. The output matmul of a large batch then runs on a GPU anyway
 * (op offload: ggml's scheduler gives it to the first GPU), with a copy of
 * output.weight in that GPU's compute buffer; without op offload the copy
 * is gone and the host computes it. A vocabulary of 65536 makes the copy
 * larger than the rest of the compute buffer, as for real models. */
static void test_ollama_placement(void)
{
	const char *big = cu_tmp("bigvocab.gguf");
	CU_ASSERT_EQUAL_FATAL(cu_gguf_llama(big, 8, 768, 2048, 12, 4, 65536, NULL), 0);
	struct eng_req r;
	struct eng_plan a, b, c;
	req(&r, big, 2, 4096);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &a), 0);
	r.n_ollama = 2;
	r.ollama_layers[0] = 3;
	r.ollama_layers[1] = 5;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &b), 0);
	r.no_op_offload = 1;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &c), 0);
	CU_ASSERT_EQUAL(b.gpu[0].layers, 3);
	CU_ASSERT_EQUAL(b.gpu[1].layers, 6); /* 5 + the output slot, whose weight is overridden */
	uint64_t out_w = cu_gguf_nbytes(CU_Q6_K, 768, 65536, 0);
	CU_ASSERT_EQUAL(b.host.weights - a.host.weights, out_w);
	/* the GPUs lose output.weight as CUDA pads it (a 768-element Q6_K row: +256 elements, 128 alignment) */
	CU_ASSERT_EQUAL(sum(&a, 0, 0) - sum(&b, 0, 0), pad(out_w + cu_gguf_nbytes(CU_Q6_K, 256, 1, 0), 128));
	CU_ASSERT(b.gpu[0].compute >= c.gpu[0].compute + out_w);
	CU_ASSERT(c.host.compute > b.host.compute);
	eng_plan_free(&a);
	eng_plan_free(&b);
	eng_plan_free(&c);
}

/* Flash attention with a q8_0 cache: CUDA's kernels convert K and V to f16
 * in the compute buffer, so it grows by at least one f16 layer of K and V. */
static void test_fattn_scratch(void)
{
	struct eng_req r;
	struct eng_plan a, b;
	req(&r, M_LLAMA, 1, 32768);
	r.flash_attn = "on";
	CU_ASSERT_EQUAL_FATAL(plan(&r, &a), 0);
	r.type_k = r.type_v = "q8_0";
	CU_ASSERT_EQUAL_FATAL(plan(&r, &b), 0);
	CU_ASSERT(sum(&b, 1, 1) < sum(&a, 1, 1));
	/* one layer's K in f16: 32768 cells x 4 KV heads x 64 x 2 bytes; the
	 * host (CPU backend: no conversion) stays within a few KiB */
	uint64_t f16_k_layer = 32768ull * 256 * 2;
	CU_ASSERT(b.gpu[0].compute >= a.gpu[0].compute + f16_k_layer);
	CU_ASSERT(b.host.compute - a.host.compute < MiB);
	eng_plan_free(&a);
	eng_plan_free(&b);
}

/* llama.cpp's --fit on GPUs too small for the training context: it
 * shrinks the context; what it chose leaves its margin free on every GPU
 * once, as on a real GPU, the pipeline-parallel compute buffers that do
 * not fit make llama.cpp retry without them; and it equals the plan of
 * the same settings requested directly. */
static void test_fit(void)
{
	struct eng_req r;
	struct eng_plan p, q;
	struct eng_fit f;
	char *cause = NULL;
	req(&r, M_LLAMA, 2, 0);
	r.mem[0] = r.mem[1] = 96 * MiB;
	r.fit_margin = 16 * MiB;
	r.fit_min_ctx = 512;
	CU_ASSERT_EQUAL_FATAL(eng_fit(E, &r, &f, &p, &cause), 0);
	CU_ASSERT_EQUAL(f.status, 0);
	CU_ASSERT(f.ctx >= 512 && f.ctx < 8192); /* had to shrink the 8192 training context */
	CU_ASSERT(f.n_gpu_layers > 0);
	for (int i = 0; i < 2; i++) {
		uint64_t used = p.gpu[i].weights + p.gpu[i].kv + p.gpu[i].compute;
		CU_ASSERT(used + 16 * MiB <= 96 * MiB);
	}
	struct eng_req d;
	req(&d, M_LLAMA, 2, f.ctx);
	d.mem[0] = d.mem[1] = 96 * MiB;
	d.n_gpu_layers = f.n_gpu_layers < 0 ? ENG_UNSET : f.n_gpu_layers;
	float ss = 0;
	for (int i = 0; i < f.n_split; i++)
		ss += f.split[i];
	if (ss > 0) {
		d.n_split = f.n_split;
		memcpy(d.split, f.split, sizeof(d.split));
	}
	for (int i = 0; i < f.n_ot; i++)
		d.ot[d.n_ot++] = f.ot[i];
	CU_ASSERT_EQUAL_FATAL(plan(&d, &q), 0);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(q.gpu[i].weights, p.gpu[i].weights);
		CU_ASSERT_EQUAL(q.gpu[i].kv, p.gpu[i].kv);
		CU_ASSERT_EQUAL(q.gpu[i].compute, p.gpu[i].compute);
	}
	eng_plan_free(&p);
	eng_plan_free(&q);
	eng_fit_free(&f);
}

/* Pipeline parallelism (4 scheduler copies) where its compute buffers fit;
 * where they do not, the retry without it, saying so. */
static void test_pipeline_retry(void)
{
	struct eng_req r;
	struct eng_plan big, small;
	req(&r, M_LLAMA, 2, 4352);
	r.n_gpu_layers = 9;
	r.n_split = 2;
	r.split[0] = 1;
	r.split[1] = 8;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &big), 0);
	CU_ASSERT_EQUAL(big.copies, 4);
	r.mem[0] = r.mem[1] = 96 * MiB;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &small), 0);
	CU_ASSERT_EQUAL(small.copies, 1);
	CU_ASSERT(small.gpu[1].compute < big.gpu[1].compute);
	CU_ASSERT_EQUAL(small.gpu[1].weights, big.gpu[1].weights);
	int said = 0;
	for (int i = 0; i < small.n_notes; i++)
		said |= strstr(small.notes[i], "retries without pipeline parallelism") != NULL;
	CU_ASSERT(said);
	eng_plan_free(&big);
	eng_plan_free(&small);
}

/* The backends' rows (sim/engine/vdev_rules.c): Vulkan pads no row and aligns
 * to 256; RPC (to CUDA rpc-servers) sizes as CUDA but has no op offload
 * and no pinned host buffer; every backend of ENG_BACKENDS is known to the
 * planner, another is refused naming them. */
static void test_backend_rules(void)
{
	struct eng_req r;
	struct eng_plan cpu, cuda, vk, rpc;
	req(&r, M_LLAMA, 0, 4096);
	CU_ASSERT_EQUAL_FATAL(plan_cpu(&r, &cpu), 0);
	req(&r, M_LLAMA, 2, 4096);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &cuda), 0);
	r.backend = "vulkan";
	CU_ASSERT_EQUAL_FATAL(plan(&r, &vk), 0);
	r.backend = "rpc";
	CU_ASSERT_EQUAL_FATAL(plan(&r, &rpc), 0);
	CU_ASSERT_STRING_EQUAL(vk.gpu[1].name, "Vulkan1");
	CU_ASSERT_STRING_EQUAL(rpc.gpu[0].name, "RPC0");
	CU_ASSERT_EQUAL(sum(&vk, 0, 1), cpu.host.weights + gpu_extra(256, 0));
	CU_ASSERT(sum(&vk, 0, 0) < sum(&cuda, 0, 0)); /* no row padding */
	CU_ASSERT_EQUAL(sum(&rpc, 0, 1), cpu.host.weights + gpu_extra(128, 512));
	CU_ASSERT_EQUAL(sum(&vk, 1, 1), sum(&cuda, 1, 1)); /* KV: f16 rows, aligned everywhere */
	CU_ASSERT_EQUAL(rpc.copies, 4); /* async and events since PR #18626 */
	eng_plan_free(&cpu);
	eng_plan_free(&cuda);
	eng_plan_free(&vk);
	eng_plan_free(&rpc);

	/* Ollama's placement keeps output.weight on the host: CUDA copies it
	 * into a GPU's compute buffer for large batches (op offload), RPC has
	 * no offload_op and leaves it to the CPU, as CUDA with --no-op-offload */
	const char *big = cu_tmp("bigvocab-rpc.gguf");
	CU_ASSERT_EQUAL_FATAL(cu_gguf_llama(big, 8, 768, 2048, 12, 4, 65536, NULL), 0);
	struct eng_plan off;
	req(&r, big, 2, 4096);
	r.n_ollama = 2;
	r.ollama_layers[0] = 3;
	r.ollama_layers[1] = 5;
	r.backend = "rpc";
	CU_ASSERT_EQUAL_FATAL(plan(&r, &rpc), 0);
	r.backend = NULL;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &cuda), 0);
	r.no_op_offload = 1;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &off), 0);
	uint64_t out_w = cu_gguf_nbytes(CU_Q6_K, 768, 65536, 0);
	CU_ASSERT(cuda.gpu[0].compute + cuda.gpu[1].compute >= rpc.gpu[0].compute + rpc.gpu[1].compute + out_w);
	for (int g = 0; g < 2; g++)
		CU_ASSERT_EQUAL(rpc.gpu[g].compute, off.gpu[g].compute);
	eng_plan_free(&rpc);
	eng_plan_free(&cuda);
	eng_plan_free(&off);

	char *cause = NULL;
	for (const char *w = ENG_BACKENDS; *w; w += strcspn(w, " "), w += *w == ' ') {
		char name[16];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(w, " "), w);
		CU_ASSERT(eng_backend_known(name));
		req(&r, M_LLAMA, 1, 512);
		r.backend = name;
		CU_ASSERT_EQUAL(eng_plan(E, &r, &rpc, &cause), 0);
		if (!cause)
			eng_plan_free(&rpc);
		free(cause);
		cause = NULL;
	}
	CU_ASSERT(!eng_backend_known("sycl") && !eng_backend_known("cud") && !eng_backend_known(""));
	req(&r, M_LLAMA, 1, 512);
	r.backend = "sycl";
	CU_ASSERT_EQUAL(eng_plan(E, &r, &rpc, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "cuda, rocm, vulkan, rpc, metal"));
	free(cause);
	cause = NULL;

	/* Metal: one device; flash attention keeps f16 K/V copies and a
	 * per-workgroup temp buffer beside its result even for an f16 cache
	 * (ggml-metal-ops.cpp extra_kv_f16, extra_tmp), CUDA's vector/MMA
	 * kernels need none for f16 */
	req(&r, M_LLAMA, 2, 512);
	r.backend = "metal";
	CU_ASSERT_EQUAL(eng_plan(E, &r, &rpc, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "metal has 1 device"));
	free(cause);
	struct eng_plan mtl;
	req(&r, M_LLAMA, 1, 65536);
	r.flash_attn = "on";
	CU_ASSERT_EQUAL_FATAL(plan(&r, &cuda), 0);
	r.backend = "metal";
	CU_ASSERT_EQUAL_FATAL(plan(&r, &mtl), 0);
	CU_ASSERT_STRING_EQUAL(mtl.gpu[0].name, "MTL0");
	CU_ASSERT_EQUAL(mtl.gpu[0].kv, cuda.gpu[0].kv);
	/* the flash-attention node alone holds its result (64 x 12 heads x 512
	 * tokens, f32) and f16 copies of K and V (65536 cells x 4 KV heads x
	 * 64 x 2 bytes each): the compute buffer holds at least that */
	CU_ASSERT(mtl.gpu[0].compute >= 64ull * 12 * 512 * 4 + 2ull * 65536 * 256 * 2);
	CU_ASSERT(mtl.gpu[0].compute > cuda.gpu[0].compute);
	eng_plan_free(&cuda);
	eng_plan_free(&mtl);
}

/* --no-pipeline: one scheduler copy where llama.cpp would take pipeline
 * parallelism (every GPU async), the weights and KV unchanged. */
static void test_no_pipeline(void)
{
	struct eng_req r;
	struct eng_plan pp, one;
	req(&r, M_LLAMA, 2, 4096);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &pp), 0);
	r.no_pipeline = 1;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &one), 0);
	CU_ASSERT_EQUAL(pp.copies, 4);
	CU_ASSERT_EQUAL(one.copies, 1);
	CU_ASSERT(sum(&one, 2, 0) < sum(&pp, 2, 0));
	CU_ASSERT_EQUAL(sum(&one, 0, 1), sum(&pp, 0, 1));
	CU_ASSERT_EQUAL(sum(&one, 1, 1), sum(&pp, 1, 1));
	eng_plan_free(&pp);
	eng_plan_free(&one);
}

/* `vramsim fit --engine-fit` prints what the client's eng_fit found. */
static void test_fit_cli_agrees(void)
{
	struct eng_req r;
	struct eng_plan p;
	struct eng_fit f;
	char *cause = NULL;
	req(&r, M_LLAMA, 2, 0);
	r.mem[0] = r.mem[1] = 96 * MiB;
	r.fit_margin = 16 * MiB;
	r.fit_min_ctx = 512;
	CU_ASSERT_EQUAL_FATAL(eng_fit(E, &r, &f, &p, &cause), 0);
	const char *out = cu_tmp("fit.json");
	const char *bin = getenv("VRAMSIM") ? getenv("VRAMSIM") : "./vramsim";
	CU_ASSERT_EQUAL_FATAL(cu_sh("%s fit --engine-fit %s --gpus 2x96M --fit-target 16 --fit-ctx 512 --json -q > %s",
				    bin, M_LLAMA, out), 0);
	char *buf = NULL, *c2 = NULL;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(util_read_file(out, &buf, &len, &c2), 0);
	char want[128];
	snprintf(want, sizeof(want), "\"fit\":{\"status\":%d,\"n_gpu_layers\":%d,\"ctx\":%u", f.status, f.n_gpu_layers, f.ctx);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, want));
	snprintf(want, sizeof(want), "\"compute\":%llu", (unsigned long long)p.gpu[1].compute);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, want));
	free(buf);
	eng_plan_free(&p);
	eng_fit_free(&f);
}

/* vramsim's own search on engine plans: `plan --max-ctx` finds a context
 * whose plan fits and one step (256) more whose plan does not. */
static void test_max_ctx_search(void)
{
	const char *bin = getenv("VRAMSIM") ? getenv("VRAMSIM") : "./vramsim";
	const char *out = cu_tmp("maxctx.json");
	CU_ASSERT_EQUAL_FATAL(cu_sh("%s plan %s --gpus 2x80M --max-ctx --reserve 0 --json -q > %s", bin, M_LLAMA, out), 0);
	char *buf = NULL, *c2 = NULL;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(util_read_file(out, &buf, &len, &c2), 0);
	const char *k = strstr(buf, "\"n_ctx\":");
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	uint32_t found = (uint32_t)strtoul(k + 8, NULL, 10);
	free(buf);
	CU_ASSERT(found >= 256 && found % 256 == 0 && found < 8192);
	for (int step = 0; step <= 1; step++) {
		struct eng_req r;
		struct eng_plan p;
		req(&r, M_LLAMA, 2, found + 256u * (uint32_t)step);
		r.mem[0] = r.mem[1] = 80 * MiB;
		CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
		int fits = 1;
		for (int i = 0; i < 2; i++)
			fits &= p.gpu[i].weights + p.gpu[i].kv + p.gpu[i].compute <= 80 * MiB;
		CU_ASSERT_EQUAL(fits, !step);
		eng_plan_free(&p);
	}
}

/* What the engine refuses is an input error quoting it. */
static void test_refusals(void)
{
	struct eng_req r;
	struct eng_plan p;
	char *cause = NULL;
	req(&r, M_LLAMA, 1, 4096);
	r.flash_attn = "off";
	r.type_v = "q8_0";
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "quantized V cache requires flash_attn"));
	free(cause);
	cause = NULL;

	/* a truncated header: the first 100 bytes of a real GGUF */
	const char *trunc = cu_tmp("trunc.gguf");
	CU_ASSERT_EQUAL_FATAL(cu_sh("head -c 100 %s > %s", cu_data("gguf/stories260K.gguf"), trunc), 0);
	req(&r, trunc, 1, 512);
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, trunc));
	free(cause);
	cause = NULL;

	/* an architecture llama.cpp does not know */
	const char *unk = cu_tmp("unknown-arch.gguf");
	struct cu_gguf *g = cu_gguf_new("vramsim-nonesuch", 300);
	cu_gguf_tensor(g, "token_embd.weight", CU_F32, 64, 300, 0);
	CU_ASSERT_EQUAL_FATAL(cu_gguf_write(g, unk), 0);
	req(&r, unk, 1, 512);
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "unknown model architecture"));
	free(cause);
	cause = NULL;

	req(&r, M_LLAMA, 17, 4096);
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "at most 16"));
	free(cause);
	cause = NULL;

	req(&r, M_LLAMA, 2, 4096);
	r.split_mode = "row";
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "row"));
	free(cause);
	cause = NULL;

	req(&r, M_LLAMA, 2, 4096);
	r.ot[r.n_ot++] = "ffn_up=GPU7";
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "GPU7"));
	free(cause);
	cause = NULL;

	/* a model llama.cpp aborts on (3 query heads over 2 KV heads: a
	 * GGML_ASSERT in its graph): the planner dies, the assertion is quoted
	 * with the file, and the next request gets a fresh planner */
	const char *abrt = cu_tmp("aborts.gguf");
	CU_ASSERT_EQUAL_FATAL(cu_gguf_gemma2(abrt, 2, 768, 2048, 3, 2, 256, 4096, NULL), 0);
	req(&r, abrt, 1, 4096);
	r.flash_attn = "off";
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "GGML_ASSERT"));
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, abrt));
	free(cause);
	cause = NULL;

	/* the planner still answers after all that */
	req(&r, M_LLAMA, 1, 4096);
	CU_ASSERT_EQUAL(plan(&r, &p), 0);
	eng_plan_free(&p);
}

/* Another library folder that is not the same llama.cpp: refused at start. */
static void test_engine_lib_refused(void)
{
	char *cause = NULL;
	struct eng *e = eng_open(cu_tmpdir(), &cause);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, cu_tmpdir()));
	free(cause);
	eng_close(e);
	/* the pinned libraries themselves, named as another folder: accepted
	 * (version and golden self-plan agree) */
	cause = NULL;
	e = eng_open("build/engine/lib", &cause);
	CU_ASSERT_PTR_NOT_NULL(e);
	if (e)
		CU_ASSERT_PTR_NOT_NULL(strstr(eng_describe(e), "from build/engine/lib"));
	free(cause);
	eng_close(e);
}

static void register_tests(void)
{
	E = cu_engine_open("test_engine");
	if (!E)
		return;
	printf("test_engine: %s\n", eng_describe(E));
	snprintf(M_LLAMA, sizeof(M_LLAMA), "%s", cu_tmp("llama.gguf"));
	snprintf(M_GEMMA, sizeof(M_GEMMA), "%s", cu_tmp("gemma2.gguf"));
	snprintf(M_MOE, sizeof(M_MOE), "%s", cu_tmp("moe.gguf"));
	if (cu_gguf_llama(M_LLAMA, 8, 768, 2048, 12, 4, 4096, &T_LLAMA) || cu_gguf_gemma2(M_GEMMA, 6, 768, 2048, 4, 2, 256, 4096, NULL) ||
	    cu_gguf_moe(M_MOE, 4, 512, 1024, 8, 2, 8, 2, 4096, NULL)) {
		printf("test_engine: cannot write the test models\n");
		exit(1);
	}
	CU_pSuite s = CU_add_suite("engine", NULL, NULL);
	CU_ADD(s, test_kv_equals_cpu);
	CU_ADD(s, test_weights_cpu_plus_padding);
	CU_ADD(s, test_no_alloc_equals_real_cpu);
	CU_ADD(s, test_compute_pinned);
	CU_ADD(s, test_context_whatif_reuses_model);
	CU_ADD(s, test_memo_and_rewritten_file);
	CU_ADD(s, test_swa);
	CU_ADD(s, test_cpu_moe);
	CU_ADD(s, test_ollama_placement);
	CU_ADD(s, test_fattn_scratch);
	CU_ADD(s, test_fit);
	CU_ADD(s, test_pipeline_retry);
	CU_ADD(s, test_backend_rules);
	CU_ADD(s, test_no_pipeline);
	CU_ADD(s, test_fit_cli_agrees);
	CU_ADD(s, test_max_ctx_search);
	CU_ADD(s, test_refusals);
	CU_ADD(s, test_engine_lib_refused);
}

CUTEST_MAIN(register_tests)
