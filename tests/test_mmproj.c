/*
 * test_mmproj.c - a multimodal projector (--mmproj) planned by llama.cpp's
 * own clip loader inside the engine planner (sim/engine/proj.h): its
 * weights land on the first GPU whatever --main-gpu says, clip's count of
 * them equals the engine's own CPU plan of the same file and the tensors
 * the file holds, the GPU's weight buffer is that plus the CUDA buffer
 * type's documented padding, its compute buffer is there (the same as
 * the CPU plan's: the whole vision graph runs on the GPU), flash
 * attention changes it as it must, a context what-if re-uses the loaded
 * model, --fit leaves room for it as llama-server does, and a file that is
 * not a projector is refused quoting clip; and the plans of projectors
 * against the real loads' logs that print them (test_vs_logs). The
 * projectors are header-only GGUFs written here (tests/cu_gguf.h): Gemma 3
 * vision, F16 and Q8_0, of the real model's shape (SigLIP so400m: 27
 * blocks of 1152, 896 px images in 14 px patches, projected to a
 * 2560-wide text model: the gemma-3-4b mmproj), and Qwen3.5-4B's BF16
 * vision projector. Without an engine (make ENGINE=none) the suite says
 * so and runs nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_engine.h"
#include "cu_gguf.h"
#include "cutest.h"
#include "engine.h"
#include "model_error_engine.h"
#include "util.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static struct eng *E;
static char M_TEXT[512], P_F16[512], P_Q8[512], P_QWEN35[512];
static struct cu_gguf *T_F16, *T_Q8, *T_QWEN35; /* the tensor lists of the projectors */

static void req(struct eng_req *r, const char *mmproj, int n_gpus)
{
	eng_req_init(r);
	r->model = M_TEXT;
	r->mmproj = mmproj;
	r->n_gpus = n_gpus;
	for (int i = 0; i < n_gpus && i < ENG_MAX_GPUS; i++)
		r->mem[i] = 24 * GiB;
	r->ctx = 4096;
}

static int plan(const struct eng_req *r, struct eng_plan *p)
{
	char *cause = NULL;
	int rc = eng_plan(E, r, p, &cause);
	if (rc)
		fprintf(stderr, "plan %s + %s: %s\n", r->model, r->mmproj, cause);
	free(cause);
	return rc;
}

static int plan_cpu(const struct eng_req *r, struct eng_plan *p)
{
	char *cause = NULL;
	int rc = eng_plan_cpu(E, r, p, &cause);
	if (rc)
		fprintf(stderr, "cpu plan %s + %s: %s\n", r->model, r->mmproj, cause);
	free(cause);
	return rc;
}

static uint64_t pad(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* The bytes of every tensor of t, and the CUDA weight buffer of them:
 * each tensor's size plus, for a quantized one whose rows are not a
 * multiple of 512 elements, the padding of one row to it, aligned to 128
 * bytes (ggml-cuda.cu v0.5.0 l. 902-924; the buffer is their sum,
 * ggml-alloc.c alloc_tensor_range). */
static void sizes(const struct cu_gguf *t, uint64_t *bytes, uint64_t *cuda)
{
	*bytes = *cuda = 0;
	for (int i = 0; i < cu_gguf_n_tensors(t); i++) {
		const char *name;
		int type;
		int64_t ne[3];
		cu_gguf_tensor_at(t, i, &name, &type, ne);
		uint64_t nb = cu_gguf_tensor_bytes(t, i), rowpad = 0;
		if (type == CU_Q8_0 && ne[0] % 512)
			rowpad = cu_gguf_nbytes(type, 512 - ne[0] % 512, 1, 1);
		*bytes += nb;
		*cuda += pad(nb + rowpad, 128);
	}
}

/* Weights: clip's count on the first GPU equals the engine's CPU plan of
 * the same file and the file's tensors; the GPU buffer adds CUDA's
 * documented padding (none but alignment for F16, padded rows for Q8_0). */
static void test_weights_equal_cpu(void)
{
	const char *files[] = { P_F16, P_Q8 };
	const struct cu_gguf *lists[] = { T_F16, T_Q8 };
	const int gpus[] = { 1, 2, 4 };
	for (size_t f = 0; f < UTIL_ARRAY_SIZE(files); f++) {
		uint64_t bytes, cuda;
		sizes(lists[f], &bytes, &cuda);
		CU_ASSERT(cuda > bytes);
		struct eng_req r;
		struct eng_plan cpu, p;
		req(&r, files[f], 0);
		CU_ASSERT_EQUAL_FATAL(plan_cpu(&r, &cpu), 0);
		CU_ASSERT(cpu.proj.planned);
		CU_ASSERT_EQUAL(cpu.proj.dev, -1);
		CU_ASSERT_EQUAL(cpu.proj.counted, bytes);
		for (size_t g = 0; g < UTIL_ARRAY_SIZE(gpus); g++) {
			req(&r, files[f], gpus[g]);
			CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
			CU_ASSERT(p.proj.planned);
			CU_ASSERT_EQUAL(p.proj.dev, 0);
			CU_ASSERT_EQUAL(p.proj.counted, cpu.proj.counted);
			CU_ASSERT_EQUAL(p.proj.weights, cuda);
			eng_plan_free(&p);
		}
		eng_plan_free(&cpu);
	}
	uint64_t b16, c16, b8, c8;
	sizes(T_F16, &b16, &c16);
	sizes(T_Q8, &b8, &c8);
	CU_ASSERT(c8 - b8 > c16 - b16); /* Q8_0 rows of 1152 elements are padded to 1536 */
}

/* The compute buffer: on the first GPU, where the whole vision graph runs
 * (the virtual GPU supports what the CPU does), so it equals the engine's
 * CPU plan of the same graph; the host keeps only the input image
 * (896 x 896 x 3 f32). Without flash attention the attention matrices of
 * 4096 patches make it larger. The text model's own buffers do not move. */
static void test_compute_present(void)
{
	const char *fa[] = { "on", "off" };
	uint64_t gpu_c[2] = { 0, 0 };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(fa); i++) {
		struct eng_req r;
		struct eng_plan cpu, p, bare;
		req(&r, P_F16, 2);
		r.flash_attn = fa[i];
		CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
		CU_ASSERT(p.proj.compute[0] > 0);
		CU_ASSERT_EQUAL(p.proj.compute[1], 0);
		CU_ASSERT_EQUAL(p.proj.host_compute, 896ull * 896 * 3 * 4);
		CU_ASSERT_EQUAL(p.proj.flash_attn, !strcmp(fa[i], "on"));
		gpu_c[i] = p.proj.compute[0];
		req(&r, P_F16, 0);
		r.flash_attn = fa[i];
		CU_ASSERT_EQUAL_FATAL(plan_cpu(&r, &cpu), 0);
		CU_ASSERT_EQUAL(p.proj.compute[0], cpu.proj.host_compute);
		req(&r, NULL, 2);
		r.flash_attn = fa[i];
		CU_ASSERT_EQUAL_FATAL(plan(&r, &bare), 0);
		CU_ASSERT_FALSE(bare.proj.planned);
		for (int g = 0; g < 2; g++) {
			CU_ASSERT_EQUAL(bare.gpu[g].weights, p.gpu[g].weights);
			CU_ASSERT_EQUAL(bare.gpu[g].kv, p.gpu[g].kv);
			CU_ASSERT_EQUAL(bare.gpu[g].compute, p.gpu[g].compute);
		}
		eng_plan_free(&p);
		eng_plan_free(&cpu);
		eng_plan_free(&bare);
	}
	/* 16 heads x 4096 x 4096 f32 scores at least */
	CU_ASSERT(gpu_c[1] > gpu_c[0] + 16ull * 4096 * 4096 * 4 / 2);
}

/* llama-server gives clip the first device, not the main GPU: with the
 * whole text model on GPU 1 the projector stays on GPU 0. */
static void test_first_gpu_not_main(void)
{
	struct eng_req r;
	struct eng_plan p;
	req(&r, P_F16, 2);
	r.split_mode = "none";
	r.main_gpu = 1;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
	CU_ASSERT_EQUAL(p.gpu[0].weights, 0);
	CU_ASSERT(p.gpu[1].weights > 0);
	CU_ASSERT_EQUAL(p.proj.dev, 0);
	CU_ASSERT(p.proj.weights > 0 && p.proj.compute[0] > 0);
	eng_plan_free(&p);
}

/* A context what-if re-uses the loaded text model and the projector's
 * plan: the same projector figures. */
static void test_context_whatif(void)
{
	struct eng_req r;
	struct eng_plan a, b;
	req(&r, P_Q8, 1);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &a), 0);
	r.ctx = 8192;
	CU_ASSERT_EQUAL_FATAL(plan(&r, &b), 0);
	CU_ASSERT_EQUAL(b.reused, 1);
	CU_ASSERT(b.gpu[0].kv > a.gpu[0].kv);
	CU_ASSERT_EQUAL(b.proj.weights, a.proj.weights);
	CU_ASSERT_EQUAL(b.proj.compute[0], a.proj.compute[0]);
	eng_plan_free(&a);
	eng_plan_free(&b);
}

/* llama-server --fit with a projector adds clip's count of its weights
 * and its compute to the fit target of its GPU: on a GPU with room for
 * the projector and half the text model, fit without the projector takes
 * all of the text model, with it less than half. */
static uint64_t used(const struct eng_plan *p)
{
	return p->gpu[0].weights + p->gpu[0].kv + p->gpu[0].compute;
}

static void test_fit_leaves_room(void)
{
	struct eng_req r;
	struct eng_plan whole, p, q;
	struct eng_fit f, g;
	char *cause = NULL;
	req(&r, P_F16, 1);
	CU_ASSERT_EQUAL_FATAL(plan(&r, &whole), 0);
	uint64_t proj = whole.proj.counted + whole.proj.compute[0], text = used(&whole);
	r.mmproj = NULL;
	r.mem[0] = proj + 64 * MiB + text / 2;
	r.fit_margin = 64 * MiB;
	CU_ASSERT_EQUAL_FATAL(eng_fit(E, &r, &f, &p, &cause), 0);
	CU_ASSERT_EQUAL(f.status, 0);
	CU_ASSERT_EQUAL(used(&p), text);
	r.mmproj = P_F16;
	CU_ASSERT_EQUAL_FATAL(eng_fit(E, &r, &g, &q, &cause), 0);
	CU_ASSERT(q.proj.planned);
	CU_ASSERT(used(&q) <= text / 2);
	CU_ASSERT(g.n_gpu_layers >= 0 && g.n_gpu_layers < whole.n_layer + 1);
	eng_fit_free(&f);
	eng_fit_free(&g);
	eng_plan_free(&whole);
	eng_plan_free(&p);
	eng_plan_free(&q);
	free(cause);
}

/*
 * Against real loads: each bundled log that prints a projector's own
 * lines, planned from a header of the hyper-parameters it prints and the
 * tensor types the converter gives (cu_gguf.h; the type that fits the
 * log's "model size" is named per case). The text model does not move the
 * projector's plan (test_compute_present), so M_TEXT stands in for it.
 * Exact: the tensor count, and clip's count of the weights, which is the
 * tensors' bytes and the log's "model size" to the 0.01 MiB printed (the
 * logs print no weight buffer of their own: the CUDA buffer, padding
 * included, is test_weights_equal_cpu's). Measured: the compute buffers of
 * the warmup image with flash attention enabled, as clip ran; each must
 * fall within the log's rounding (0.005 MiB) plus the engine's projector
 * band (sim/model_error_engine.h), so a band set below what is measured
 * fails here. The plan without flash attention is printed beside them.
 *
 * llamacpp-22790 (llama.cpp deab41ec6 llama-mtmd-cli, one NVIDIA L4,
 * ggml-org's gemma-3-4b-it projector, -fa not given): gemma3, n_embd 1152,
 * n_head 16, n_ff 4304, n_layer 27, projection_dim 2560, image_size 896,
 * patch_size 14, 439 tensors; F16 with the converter's F32 patch kernel
 * (811.79 MiB; an F16 kernel would count 810.50). clip said "flash
 * attention is enabled". Not counted, one more data point: gguf-parser-go
 * issue #44 (a table, not log lines) reports this projector's real compute
 * buffer as 121 MiB with flash attention and 1132 MiB without on a ROCm
 * MI300X; the plan without gives 1132.00.
 *
 * llamacpp-22673 (llama.cpp of PR #22673's era, two CUDA GPUs, Qwen3.5-4B's
 * projector on CUDA0): qwen3vl_merger, n_embd 1024, n_head 16, n_ff 4096,
 * n_layer 24, projection_dim 2560, image_size 768, patch_size 16, 298
 * tensors (no deepstack); BF16 matrices with the converter's F32 patch
 * kernels (644.26 MiB; an F16 file would count 641.26). The warmup image
 * (1472 x 1472, clip's fixed 46x46 tokens for Qwen-VL) does not depend on
 * the --image-min-tokens the log ran with. The quote ends before clip's
 * flash-attention line: CUDA runs flash attention for this head size
 * (64), so -fa auto enables it, and the plan without it (4628.88 MiB) is
 * twenty times the log's 223.30. The CPU compute buffer is not quoted.
 */
static double round_mib(uint64_t b)
{
	return round((double)b / MiB * 100.0) / 100.0;
}

struct log_case {
	const char *log;              /* under tests/data/logs */
	const char *what;
	const char *path;             /* the synthesised projector */
	const struct cu_gguf *t;      /* its tensor list */
	int n_tensors;                /* "n_tensors:" as logged */
	int n_gpus;
	double size, gpu, cpu;        /* MiB as logged: model size, CUDA0 and CPU compute (< 0: not quoted) */
};

static void test_vs_logs(void)
{
	const struct log_case lc[] = {
		{ "llamacpp-22790-gemma3-4b-mmproj-l4.log", "gemma-3-4b mmproj F16, 1x L4", P_F16, T_F16, 439, 1,
		  811.79, 121.25, 9.19 },
		{ "llamacpp-22673-qwen35-4b-mmproj-2gpu.log", "Qwen3.5-4B mmproj BF16, 2 GPUs", P_QWEN35, T_QWEN35,
		  298, 2, 644.26, 223.30, -1 },
	};
	int compared = 0;
	for (size_t c = 0; c < UTIL_ARRAY_SIZE(lc); c++) {
		uint64_t bytes, cuda;
		sizes(lc[c].t, &bytes, &cuda);
		CU_ASSERT_EQUAL(cu_gguf_n_tensors(lc[c].t), lc[c].n_tensors);
		struct eng_req r;
		struct eng_plan p, off;
		req(&r, lc[c].path, lc[c].n_gpus);
		r.flash_attn = "auto";
		CU_ASSERT_EQUAL_FATAL(plan(&r, &p), 0);
		CU_ASSERT_EQUAL(p.proj.dev, 0);        /* "CLIP using CUDA0 backend" */
		CU_ASSERT_EQUAL(p.proj.flash_attn, 1); /* as clip ran */
		CU_ASSERT_EQUAL(p.proj.counted, bytes);
		r.flash_attn = "off";
		CU_ASSERT_EQUAL_FATAL(plan(&r, &off), 0);
		CU_ASSERT_EQUAL(off.proj.flash_attn, 0);
		const struct {
			const char *what;
			uint64_t planned;
			double logged;
		} row[] = {
			{ "model size (clip's count)", p.proj.counted, lc[c].size },
			{ "CUDA0 compute buffer", p.proj.compute[0], lc[c].gpu },
			{ "CPU compute buffer", p.proj.host_compute, lc[c].cpu },
		};
		printf("\n  projector vs %s (%s, flash attention on):", lc[c].log, lc[c].what);
		for (size_t i = 0; i < UTIL_ARRAY_SIZE(row); i++) {
			if (row[i].logged < 0) {
				printf("\n    %-26s not in the log     planned %8.2f MiB", row[i].what,
				       round_mib(row[i].planned));
				continue;
			}
			double got = round_mib(row[i].planned);
			printf("\n    %-26s logged %8.2f MiB  planned %8.2f MiB  %+6.2f%%", row[i].what,
			       row[i].logged, got, 100.0 * (got - row[i].logged) / row[i].logged);
			CU_ASSERT(fabs((double)row[i].planned / MiB - row[i].logged) <=
				  0.005 + MODEL_ERR_ENGINE_PROJECTOR * row[i].logged);
			compared++;
		}
		printf("\n    (flash attention off, not logged) CUDA0 compute planned %.2f MiB",
		       round_mib(off.proj.compute[0]));
		eng_plan_free(&p);
		eng_plan_free(&off);
	}
	printf("\n  projector: %d comparisons against real logs\n", compared);
	CU_ASSERT_EQUAL(compared, MODEL_ERR_ENGINE_PROJECTOR_N);
}

/* Not a projector, or no file: refused, quoting clip, naming the file. */
static void test_refused(void)
{
	struct eng_req r;
	struct eng_plan p;
	char *cause = NULL;
	req(&r, M_TEXT, 1);
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "projector") && strstr(cause, M_TEXT) && strstr(cause, "no vision or audio encoder"));
	free(cause);
	cause = NULL;
	req(&r, cu_tmp("missing-mmproj.gguf"), 1);
	CU_ASSERT_EQUAL(eng_plan(E, &r, &p, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "missing-mmproj.gguf") && strstr(cause, "No such file"));
	free(cause);
	/* the planner lives on: the next plan works */
	req(&r, P_F16, 1);
	CU_ASSERT_EQUAL(plan(&r, &p), 0);
	eng_plan_free(&p);
}

static void register_tests(void)
{
	E = cu_engine_open("test_mmproj");
	if (!E)
		return;
	snprintf(M_TEXT, sizeof(M_TEXT), "%s", cu_tmp("text.gguf"));
	snprintf(P_F16, sizeof(P_F16), "%s", cu_tmp("mmproj-f16.gguf"));
	snprintf(P_Q8, sizeof(P_Q8), "%s", cu_tmp("mmproj-q8_0.gguf"));
	snprintf(P_QWEN35, sizeof(P_QWEN35), "%s", cu_tmp("mmproj-qwen35-bf16.gguf"));
	if (cu_gguf_llama(M_TEXT, 8, 768, 2048, 12, 4, 4096, NULL) ||
	    cu_gguf_mmproj_gemma3(P_F16, 27, 1152, 4304, 16, 896, 14, 2560, CU_F16, &T_F16) ||
	    cu_gguf_mmproj_gemma3(P_Q8, 27, 1152, 4304, 16, 896, 14, 2560, CU_Q8_0, &T_Q8) ||
	    cu_gguf_mmproj_qwen3vl(P_QWEN35, 24, 1024, 4096, 16, 768, 16, 2560, CU_BF16, &T_QWEN35)) {
		printf("test_mmproj: cannot write the test models\n");
		exit(1);
	}
	CU_pSuite s = CU_add_suite("mmproj", NULL, NULL);
	CU_ADD(s, test_weights_equal_cpu);
	CU_ADD(s, test_compute_present);
	CU_ADD(s, test_first_gpu_not_main);
	CU_ADD(s, test_context_whatif);
	CU_ADD(s, test_fit_leaves_room);
	CU_ADD(s, test_vs_logs);
	CU_ADD(s, test_refused);
}

CUTEST_MAIN(register_tests)
