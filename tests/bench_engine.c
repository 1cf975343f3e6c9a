/*
 * bench_engine.c - `make bench`: the llama.cpp engine planner on a
 * header-only Llama-3-70B-shaped GGUF (80 layers, 8192 wide, Q4_K/Q6_K,
 * 42 GB logical, a few MB on disk): one plan on 4 virtual 24 GiB GPUs
 * including the planner's start, context-only what-ifs on the loaded
 * model, llama.cpp's --fit, a sweep of 100 scenarios, and the planner's
 * peak RSS. Each beside its floor, measured in the same run: the engine's
 * own CPU-only load and plan of the same header in a fresh planner. Each
 * wall time with the CPU time it took (the planner's, vramsim's and this
 * process's): on a machine shared with other work, the second shows what
 * the first would be on an idle one. Figures, not tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cu_gguf.h"
#include "engine.h"
#include "util.h"

static double ms_since(int64_t t0)
{
	return (double)(util_now_ns() - t0) / 1e6;
}

/* CPU time (user + system) of this process and its reaped children, ms:
 * on a machine shared with other work a wall time says as much about the
 * neighbours as about the code, the CPU time it took does not. Every
 * descendant is reaped first (vramsim leaves a killed planner to be
 * reaped later; this process is their subreaper, see main), so its CPU
 * time is counted. */
static double cpu_ms(void)
{
	while (waitpid(-1, NULL, 0) > 0)
		;
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	double us = 0;
	const struct rusage *r[2] = { &self, &kids };
	for (int i = 0; i < 2; i++)
		us += (double)(r[i]->ru_utime.tv_sec + r[i]->ru_stime.tv_sec) * 1e6 +
		      (double)(r[i]->ru_utime.tv_usec + r[i]->ru_stime.tv_usec);
	return us / 1e3;
}

struct fig {
	double wall, cpu; /* ms: best wall time of the runs, least CPU time */
};

static void req70(struct eng_req *r, const char *model, int gpus, uint32_t ctx)
{
	eng_req_init(r);
	r->model = model;
	r->n_gpus = gpus;
	for (int i = 0; i < gpus; i++)
		r->mem[i] = 24ull << 30;
	r->ctx = ctx;
}

/* A fresh planner: start, one request, quit (the planner reaped). Best of
 * 3; *rss its peak. */
static struct fig fresh(const char *model, int cpu, uint64_t *rss)
{
	struct fig best = { 1e18, 1e18 };
	for (int k = 0; k < 3; k++) {
		char *cause = NULL;
		struct eng_req r;
		struct eng_plan p;
		req70(&r, model, cpu ? 0 : 4, 8192);
		int64_t t0 = util_now_ns();
		double c0 = cpu_ms();
		struct eng *e = eng_open(NULL, &cause);
		int rc = e ? (cpu ? eng_plan_cpu(e, &r, &p, &cause) : eng_plan(e, &r, &p, &cause)) : -1;
		if (rc) {
			fprintf(stderr, "bench_engine: %s\n", cause);
			exit(1);
		}
		if (rss)
			*rss = p.peak_rss;
		eng_plan_free(&p);
		eng_close(e);
		double ms = ms_since(t0);
		double c = cpu_ms() - c0;
		if (ms < best.wall)
			best.wall = ms;
		if (c < best.cpu)
			best.cpu = c;
	}
	return best;
}

/* One vramsim command line (vramsim, the planner and the shell), best of
 * n; -1 if it failed. */
static struct fig run_ms(const char *cmd, int n)
{
	struct fig best = { -1, -1 };
	for (int k = 0; k < n; k++) {
		int64_t t0 = util_now_ns();
		double c0 = cpu_ms();
		if (system(cmd) != 0)
			return (struct fig){ -1, -1 };
		double ms = ms_since(t0);
		double c = cpu_ms() - c0;
		if (best.wall < 0 || ms < best.wall)
			best.wall = ms;
		if (best.cpu < 0 || c < best.cpu)
			best.cpu = c;
	}
	return best;
}

/*
 * The same figures through the command line, where the engine plan is a
 * row of the engine table: a whole `vramsim replay MODEL` (vramsim and
 * the planner started, the model loaded, planned and replayed), `fit
 * --max-ctx` over engine plans, and a `vramsim sweep` of 100 scenarios.
 */
static void cli_figures(const char *model, struct fig floor)
{
	if (access("./vramsim", X_OK) != 0) {
		printf("vramsim CLI: not benchmarked (no ./vramsim)\n");
		return;
	}
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "./vramsim replay '%s' --gpus 4x24G --ctx 8192 -q >/dev/null", model);
	struct fig replay = run_ms(cmd, 3);
	printf("vramsim replay 70B --gpus 4x24G --ctx 8192 (engine row, whole command) %8.1f ms, CPU %.1f ms   "
	       "(floor: engine's own CPU-only load+plan %.1f ms, CPU %.1f ms; target <= 500 ms)\n", replay.wall, replay.cpu,
	       floor.wall, floor.cpu);
	snprintf(cmd, sizeof(cmd), "./vramsim fit --engine-fit '%s' --gpus 2x20G -q >/dev/null", model);
	struct fig efit = run_ms(cmd, 1);
	printf("vramsim fit --engine-fit 70B --gpus 2x20G (whole command) %8.1f ms, CPU %.1f ms   "
	       "(floor: CPU-only load+plan %.1f ms, CPU %.1f ms; target <= 3000 ms)\n", efit.wall, efit.cpu, floor.wall, floor.cpu);
	snprintf(cmd, sizeof(cmd), "./vramsim fit '%s' --gpus 4x24G --max-ctx -q >/tmp/vramsim-bench-fit.txt", model);
	struct fig fit = run_ms(cmd, 1);
	char line[512] = "";
	FILE *f = fopen("/tmp/vramsim-bench-fit.txt", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "engine plans;"))
			break;
	if (f)
		fclose(f);
	unlink("/tmp/vramsim-bench-fit.txt");
	line[strcspn(line, "\n")] = '\0';
	printf("vramsim fit 70B --gpus 4x24G --max-ctx (engine plans) %8.1f ms, CPU %.1f ms   (%s; floor: CPU-only load+plan %.1f ms)\n",
	       fit.wall, fit.cpu, line[0] ? line + (strncmp(line, "note: ", 6) ? 0 : 6) : "?", floor.wall);
	/* 2 topologies x 25 contexts x 2 slot counts, topology outermost */
	size_t k = (size_t)snprintf(cmd, sizeof(cmd), "./vramsim sweep '%s' --gpus '4x24G;2x48G' --parallel 1,2 --ctx ", model);
	for (int c = 0; c < 25 && k < sizeof(cmd); c++)
		k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, "%s%d", c ? "," : "", 256 * (c + 1));
	snprintf(cmd + k, sizeof(cmd) - k, " -q >/dev/null");
	struct fig sweep = run_ms(cmd, 1);
	printf("vramsim sweep 70B, 100 scenarios (engine plans) %8.1f ms, CPU %.1f ms   (%.1f ms each; floor: CPU-only load+plan %.1f ms; "
	       "target <= 30000 ms)\n", sweep.wall, sweep.cpu, sweep.wall / 100, floor.wall);
}

/* CPU time of the open planner (its own count, sent with each plan) and of
 * this process, ms. */
static double open_cpu_ms(const struct eng_plan *p)
{
	struct rusage self;
	getrusage(RUSAGE_SELF, &self);
	return (double)p->cpu_us / 1e3 + (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1e3 +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e3;
}

int main(void)
{
	/* vramsim's planners, orphaned when vramsim exits first, come here
	 * to be reaped and counted */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (!getenv("VRAMSIM_ENGINE") && access("build/engine/vramsim-engine", X_OK) == 0)
		setenv("VRAMSIM_ENGINE", "build/engine/vramsim-engine", 1);
	char *cause = NULL;
	struct eng *e = eng_open(NULL, &cause);
	if (!e) {
		printf("engine: not benchmarked: %s\n", cause);
		free(cause);
		return 0;
	}
	char model[] = "/tmp/vramsim-bench-70b-XXXXXX";
	int fd = mkstemp(model);
	if (fd < 0 || close(fd) || cu_gguf_llama(model, 80, 8192, 28672, 64, 8, 128256, NULL)) {
		fprintf(stderr, "bench_engine: cannot write %s\n", model);
		return 1;
	}
	printf("engine: %s; model: header-only 70B (80 layers, Q4_K/Q6_K, 128256 vocab)\n", eng_describe(e));
	/* the fresh planners are this process's only children while they are
	 * timed (cpu_ms reaps them all) */
	eng_close(e);
	uint64_t rss = 0, rss_cpu = 0;
	struct fig floor = fresh(model, 1, &rss_cpu);
	struct fig plan = fresh(model, 0, &rss);
	if (!(e = eng_open(NULL, &cause))) {
		fprintf(stderr, "bench_engine: %s\n", cause);
		return 1;
	}
	printf("plan on 4x24G incl. planner start   %8.1f ms, CPU %.1f ms   (floor: engine's own CPU-only load+plan, fresh: "
	       "%.1f ms, CPU %.1f ms; target <= 500 ms)\n", plan.wall, plan.cpu, floor.wall, floor.cpu);
	printf("planner peak RSS, 70B plan          %8.1f MiB  (floor: the CPU-only plan: %.1f MiB; target <= 100 MiB)\n",
	       rss / UTIL_MIB, rss_cpu / UTIL_MIB);

	struct eng_req r;
	struct eng_plan p;
	req70(&r, model, 4, 8192);
	if (eng_plan(e, &r, &p, &cause)) {
		fprintf(stderr, "bench_engine: %s\n", cause);
		return 1;
	}
	/* the planner's and this process's CPU time at the last reply */
	double last = open_cpu_ms(&p);
	eng_plan_free(&p);
	const int n_ctx = 20;
	int64_t t0 = util_now_ns();
	double c0 = last;
	for (int i = 0; i < n_ctx; i++) {
		req70(&r, model, 4, 4096u * (uint32_t)(1 + i % 8));
		r.parallel = 1u + (uint32_t)(i % 2);
		r.flash_attn = i % 3 ? "on" : "off";
		if (eng_plan(e, &r, &p, &cause) || !p.reused) {
			fprintf(stderr, "bench_engine: context what-if %d: %s\n", i, cause ? cause : "model not reused");
			return 1;
		}
		last = open_cpu_ms(&p);
		eng_plan_free(&p);
	}
	printf("context-only what-if (model reused) %8.1f ms each, CPU %.1f ms (%d; floor: CPU-only load+plan %.1f ms; "
	       "target <= 50 ms)\n", ms_since(t0) / n_ctx, (last - c0) / n_ctx, n_ctx, floor.wall);

	struct eng_fit f;
	for (int g = 4; g >= 2; g -= 2) {
		/* 4x24G holds it all; on 2x20G llama.cpp must shrink or move layers */
		req70(&r, model, g, 0);
		for (int i = 0; g == 2 && i < 2; i++)
			r.mem[i] = 20ull << 30;
		t0 = util_now_ns();
		c0 = last;
		if (eng_fit(e, &r, &f, &p, &cause)) {
			fprintf(stderr, "bench_engine: fit: %s\n", cause);
			return 1;
		}
		double fit_ms = ms_since(t0);
		last = open_cpu_ms(&p);
		printf("fit --engine-fit on %dx%dG           %8.1f ms, CPU %.1f ms   (-ngl %d -c %u%s; floor: CPU-only load+plan "
		       "%.1f ms, CPU %.1f ms; target <= 3000 ms)\n", g, g == 2 ? 20 : 24, fit_ms, last - c0, f.n_gpu_layers, f.ctx,
		       f.n_ot ? " with overrides" : "", floor.wall, floor.cpu);
		eng_fit_free(&f);
		eng_plan_free(&p);
	}

	/* 100 scenarios: 4 topologies x 25 context settings, grouped by topology
	 * as a sweep orders them (one model load per topology) */
	t0 = util_now_ns();
	c0 = last;
	int done = 0;
	for (int g = 1; g <= 4; g++)
		for (int c = 0; c < 25; c++) {
			req70(&r, model, g == 1 ? 2 : g, 2048u << (c % 5));
			if (g == 1)
				r.mem[0] = r.mem[1] = 48ull << 30;
			r.parallel = 1u + (uint32_t)(c / 5 % 4);
			r.flash_attn = c % 2 ? "on" : "auto";
			if (eng_plan(e, &r, &p, &cause)) {
				fprintf(stderr, "bench_engine: sweep: %s\n", cause);
				return 1;
			}
			last = open_cpu_ms(&p);
			eng_plan_free(&p);
			done++;
		}
	double sweep_ms = ms_since(t0);
	printf("sweep of %d scenarios               %8.1f ms, CPU %.1f ms   (%.1f ms each; floor: CPU-only load+plan %.1f ms; "
	       "target <= 30000 ms)\n", done, sweep_ms, last - c0, sweep_ms / done, floor.wall);
	eng_close(e); /* before the command lines, whose descendants cpu_ms reaps */
	cli_figures(model, floor);
	unlink(model);
	return 0;
}
