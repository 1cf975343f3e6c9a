/*
 * validate_engine.c - `make validate`, the engine part: how the planner's
 * method compares with what it can be checked against on this machine.
 *  1. no_alloc plans vs real allocations by the same llama.cpp on its CPU
 *     device (tensor data read), per category;
 *  2. KV over 4 virtual GPUs vs the CPU plan (must be byte-equal).
 * Models: tests/data/gguf/stories260K.gguf and header-only GGUFs of a
 * llama-family, a Gemma-2 (sliding window) and an MoE shape (cu_gguf.h).
 * What needs a real GPU (the virtual GPUs' compute against CUDA's) is not
 * here; the bundled logs do not name their GGUFs, so they are not
 * re-planned here either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cu_gguf.h"
#include "engine.h"
#include "util.h"

static double err_pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * ((double)a - (double)b) / (double)b : 0.0;
}

int main(void)
{
	if (!getenv("VRAMSIM_ENGINE") && access("build/engine/vramsim-engine", X_OK) == 0)
		setenv("VRAMSIM_ENGINE", "build/engine/vramsim-engine", 1);
	char *cause = NULL;
	struct eng *e = eng_open(NULL, &cause);
	if (!e) {
		printf("engine: not validated: %s\n", cause);
		free(cause);
		return 0;
	}
	char dir[] = "/tmp/vramsim-validate-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char p_llama[64], p_gemma[64], p_moe[64];
	snprintf(p_llama, sizeof(p_llama), "%s/llama.gguf", dir);
	snprintf(p_gemma, sizeof(p_gemma), "%s/gemma2.gguf", dir);
	snprintf(p_moe, sizeof(p_moe), "%s/moe.gguf", dir);
	if (cu_gguf_llama(p_llama, 8, 768, 2048, 12, 4, 4096, NULL) ||
	    cu_gguf_gemma2(p_gemma, 6, 768, 2048, 4, 2, 256, 4096, NULL) ||
	    cu_gguf_moe(p_moe, 4, 512, 1024, 8, 2, 8, 2, 4096, NULL))
		return 1;
	const char *models[][2] = { { "stories260K", "tests/data/gguf/stories260K.gguf" }, { "llama-shape", p_llama },
				    { "gemma2-swa", p_gemma }, { "moe-shape", p_moe } };
	printf("engine: %s\n", eng_describe(e));
	printf("%-12s %-3s %-8s %14s %14s %8s   %s\n", "model", "fa", "category", "no_alloc plan", "real alloc",
	       "error", "4 GPUs KV = CPU KV");
	int bad = 0;
	for (size_t m = 0; m < UTIL_ARRAY_SIZE(models); m++)
		for (int fa = 0; fa < 2; fa++) {
			struct eng_req r;
			struct eng_plan pl, re, g4;
			eng_req_init(&r);
			r.model = models[m][1];
			r.ctx = 4096;
			r.flash_attn = fa ? "on" : "off";
			if (eng_plan_cpu(e, &r, &pl, &cause) || eng_plan_real_cpu(e, &r, &re, &cause)) {
				printf("%s: %s\n", models[m][0], cause);
				return 1;
			}
			r.n_gpus = 4;
			for (int i = 0; i < 4; i++)
				r.mem[i] = 24ull << 30;
			if (eng_plan(e, &r, &g4, &cause)) {
				printf("%s: %s\n", models[m][0], cause);
				return 1;
			}
			uint64_t kv4 = g4.host.kv;
			for (int i = 0; i < g4.n_gpus; i++)
				kv4 += g4.gpu[i].kv;
			const char *cat[] = { "weights", "kv", "compute" };
			uint64_t a[] = { pl.host.weights, pl.host.kv, pl.host.compute };
			uint64_t b[] = { re.host.weights, re.host.kv, re.host.compute };
			for (int c = 0; c < 3; c++) {
				printf("%-12s %-3s %-8s %14.2f %14.2f %+7.2f%%   %s\n", models[m][0], r.flash_attn, cat[c],
				       a[c] / UTIL_MIB, b[c] / UTIL_MIB, err_pct(a[c], b[c]),
				       c == 1 ? (kv4 == pl.host.kv ? "equal" : "DIFFERENT") : "");
				bad |= a[c] != b[c];
			}
			bad |= kv4 != pl.host.kv;
			eng_plan_free(&pl);
			eng_plan_free(&re);
			eng_plan_free(&g4);
		}
	printf("(MiB) %s\n", bad ? "MISMATCHES above" : "every no_alloc figure equals the real allocation");
	eng_close(e);
	for (size_t m = 1; m < UTIL_ARRAY_SIZE(models); m++)
		unlink(models[m][1]);
	rmdir(dir);
	return 0;
}
