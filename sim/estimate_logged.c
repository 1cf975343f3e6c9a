/*
 * estimate_logged.c - a trace holding Ollama's own msg=offload estimate:
 * the estimator of an era rerun on what the line logs, figure by figure
 * (estimate_check_logged), and what `replay --engine-estimate` prints for a
 * scenario (estimate_run).
 */
#include "estimate.h"
#include "estimate_int.h"
#include "ollama.h"
#include "settings.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct logged {
	uint64_t v[16];
	int have[16];
	uint64_t avail[TOPO_MAX_GPUS], alloc[TOPO_MAX_GPUS];
	int n_avail, n_alloc;
	uint64_t host_avail, host_alloc;  /* a CPU-library line (library=cpu) */
	int have_host;
};

enum { LG_FULL, LG_PARTIAL, LG_KV, LG_WTOTAL, LG_WREP, LG_WNONREP, LG_GFULL, LG_GPARTIAL, LG_PW,
       LG_PG, LG_OVH, LG_N };
static const char *const lg_keys[LG_N] = {
	"required.full", "required.partial", "required.kv", "weights.total", "weights.repeating",
	"weights.nonrepeating", "graph.full", "graph.partial", "projector.weights", "projector.graph",
	"gpu_overhead",
};

static int logged_read(struct store *st, int64_t trace, struct logged *lg, char **cause)
{
	struct store_estimate *e = NULL;
	size_t n = 0;
	memset(lg, 0, sizeof(*lg));
	int rc = store_estimates(st, trace, &e, &n, cause);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].engine, "ollama"))
			continue;
		int d = e[i].device;
		if (d >= 0 && d < TOPO_MAX_GPUS && !strcmp(e[i].key, "available")) {
			lg->avail[d] = e[i].bytes;
			if (d + 1 > lg->n_avail)
				lg->n_avail = d + 1;
		} else if (d >= 0 && d < TOPO_MAX_GPUS && !strcmp(e[i].key, "allocation")) {
			lg->alloc[d] = e[i].bytes;
			if (d + 1 > lg->n_alloc)
				lg->n_alloc = d + 1;
		} else if (d < 0 && !strcmp(e[i].key, "available")) {
			lg->host_avail = e[i].bytes;
			lg->have_host = 1;
		} else if (d < 0 && !strcmp(e[i].key, "allocation")) {
			lg->host_alloc = e[i].bytes;
			lg->have_host = 1;
		}
		for (int k = 0; k < LG_N; k++)
			if (d < 0 && !strcmp(e[i].key, lg_keys[k])) {
				lg->v[k] = e[i].bytes;
				lg->have[k] = 1;
			}
	}
	free(e);
	return 0;
}

static int fig_ok(double got, double logged)
{
	return fabs(got - logged) <= 0.05 * 1073741824.0 + 0.01 * logged;
}

int estimate_check_logged(struct store *st, int64_t trace, const char *engine, char **explain,
		     char **json, int *n_within, int *n_figures, char **cause)
{
	char name[32];
	struct estimate_opts o;
	int rc = estimate_opts_parse(engine, name, sizeof(name), &o, cause);
	if (rc)
		return rc;
	struct logged lg;
	if ((rc = logged_read(st, trace, &lg, cause)))
		return rc;
	if (!lg.n_avail)
		return util_err(cause, UTIL_EINPUT, "the trace holds no Ollama estimate line");
	enum ollama_era era;
	int v070 = 0;
	if (!strcmp(name, "ollama-0.5"))
		era = OLLAMA_ERA_05;
	else if (!strcmp(name, "ollama-0.7") || (v070 = !strcmp(name, "ollama-0.7.0")))
		era = OLLAMA_ERA_07;
	else
		return util_err(cause, UTIL_EINPUT, "a logged Ollama estimate is checked against "
				"ollama-0.5, ollama-0.7 or ollama-0.7.0, not %s", name);
	int64_t n_model = 0, req = -1, off = -1;
	int set_m = 0, set_r = 0, set_o = 0;
	if ((rc = settings_int(st, trace, SET_OLLAMA_LAYERS_MODEL, &n_model, &set_m, cause)) ||
	    (rc = settings_int(st, trace, SET_OLLAMA_LAYERS_REQUESTED, &req, &set_r, cause)) ||
	    (rc = settings_int(st, trace, SET_OLLAMA_LAYERS_OFFLOAD, &off, &set_o, cause)))
		return rc;
	if (!lg.n_avail || !set_m || n_model < 2 || n_model > LLM_MAX_LAYERS + 1 || !lg.have[LG_KV] ||
	    !lg.have[LG_WTOTAL] || !lg.have[LG_WNONREP] || !lg.have[LG_GPARTIAL])
		return util_err(cause, UTIL_EINPUT, "the trace holds no complete Ollama estimate line "
				"(memory.available, layers.model, weights, kv, graph)");
	uint32_t nl = (uint32_t)(n_model - 1);
	/* v0.5 logs weights.total as blocks + KV (repeating = total - output);
	 * v0.6.8+ as blocks + output (repeating = blocks) - llm/memory.go LogValue */
	double blocks = era == OLLAMA_ERA_05 ? (double)lg.v[LG_WTOTAL] - (double)lg.v[LG_KV]
					     : (double)lg.v[LG_WREP];
	uint64_t *lw = util_xcalloc(nl, sizeof(uint64_t));
	for (uint32_t i = 0; i < nl; i++)
		lw[i] = blocks > 0 ? (uint64_t)(blocks / nl) : 0;
	struct ollama_model m = {
		.arch = "logged", .n_layer = nl, .n_embd = 1, .n_head = 1, .layer_w = lw,
		.output_w = lg.v[LG_WNONREP], .token_embd_w = lg.v[LG_WNONREP],
		.projector_w = lg.v[LG_PW], .projector_graph = lg.v[LG_PG],
		/* v0.7.1+ logs a graph only for the Ollama engine's projector */
		.ollama_engine = era == OLLAMA_ERA_07 && lg.v[LG_PG] > 0,
	};
	struct ollama_input in = { .n_gpu = lg.n_avail, .min_memory = OLLAMA_MIN_MEMORY,
				   .gpu_overhead = o.overhead ? o.overhead : lg.v[LG_OVH], .ctx = 1,
				   .parallel = 1, .batch = 512, .kv_bpe = 2,
				   .num_gpu = set_r ? (int)req : -1, .spare_largest = v070,
				   .graph_partial = lg.v[LG_GPARTIAL],
				   .graph_full = lg.have[LG_GFULL] ? lg.v[LG_GFULL] : lg.v[LG_GPARTIAL],
				   .kv_total = lg.v[LG_KV] };
	for (int g = 0; g < lg.n_avail; g++)
		in.free[g] = lg.avail[g];
	/* With a sliding window named (swa=, swa_period=), the logged KV total
	 * is spread over the layers in proportion to their cells under the
	 * v0.7+ rule (local layers: parallel x window + batch); else evenly. */
	uint64_t *kvl = NULL;
	int64_t ctx = 0;
	int set_c = 0;
	if ((rc = settings_int(st, trace, SET_CTX_SIZE, &ctx, &set_c, cause)))
		return rc;
	uint64_t period = o.swa_period ? o.swa_period : 6;
	if (o.swa && set_c && ctx > 0 && era == OLLAMA_ERA_07) {
		kvl = util_xcalloc(nl, sizeof(uint64_t));
		uint64_t batch = o.batch < (uint64_t)ctx ? o.batch : (uint64_t)ctx, sum = 0;
		for (uint32_t i = 0; i < nl; i++)
			sum += (i + 1) % period ? o.swa + batch : (uint64_t)ctx;
		for (uint32_t i = 0; i < nl; i++)
			kvl[i] = (uint64_t)((double)lg.v[LG_KV] *
					    (double)((i + 1) % period ? o.swa + batch : (uint64_t)ctx) / (double)sum);
		in.kv_layer = kvl;
	}
	struct ollama_result r;
	rc = ollama_estimate(era, &m, &in, &r, cause);
	free(lw);
	free(kvl);
	if (rc)
		return rc;
	struct estimate_buf b = { 0 }, j = { 0 };
	int within = 0, figs = 0;
	char split[256];
	int set_s = 0;
	if ((rc = settings_str(st, trace, SET_OLLAMA_LAYERS_SPLIT, split, sizeof(split), &set_s, cause)))
		return rc;
	estimate_printf(&b, "\n%s against the estimate this log holds (inputs from the msg=offload line: "
		    "free per GPU, weights, KV, graph, projector; logged GiB are rounded to 0.1;"
		    " layers of equal size, KV %s):\n", name,
		in.kv_layer ? "by the sliding-window rule" : "split evenly (swa= to apply a window)");
	estimate_printf(&b, "  %-26s %12s %12s %9s\n", "figure", "logged", "emulated", "diff");
	estimate_printf(&j, "{\"engine\":\"%s\",\"figures\":[", name);
	if (set_o) {
		figs++;
		within += r.layers == off;
		estimate_printf(&b, "  %-26s %12lld %12d %+9d\n", "layers.offload", (long long)off, r.layers,
			r.layers - (int)off);
		estimate_printf(&j, "{\"figure\":\"layers.offload\",\"logged\":%lld,\"emulated\":%d}", (long long)off,
			r.layers);
	}
	char mine[512] = "";
	for (int g = 0; g < lg.n_avail; g++)
		snprintf(mine + strlen(mine), sizeof(mine) - strlen(mine), "%s%d", g ? "," : "", r.split[g]);
	if (set_s && *split && lg.n_avail > 1) {
		figs++;
		within += !strcmp(split, mine);
		estimate_printf(&b, "  %-26s %12s %12s %9s\n", "layers.split", split, mine,
			strcmp(split, mine) ? "differs" : "same");
	}
	const struct { const char *what; uint64_t logged, got; int have; } f[] = {
		{ "memory.required.full", lg.v[LG_FULL], r.total, lg.have[LG_FULL] },
		{ "memory.required.partial", lg.v[LG_PARTIAL], r.vram, lg.have[LG_PARTIAL] },
	};
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(f); k++) {
		if (!f[k].have)
			continue;
		int ok = fig_ok((double)f[k].got, (double)f[k].logged);
		figs++;
		within += ok;
		estimate_printf(&b, "  %-26s %8.2f GiB %8.2f GiB %+8.2f%%%s\n", f[k].what,
			(double)f[k].logged / 1073741824.0, (double)f[k].got / 1073741824.0,
			f[k].logged ? 100.0 * ((double)f[k].got - (double)f[k].logged) / (double)f[k].logged : 0,
			ok ? "" : "  (beyond rounding + 1%)");
		estimate_printf(&j, ",{\"figure\":\"%s\",\"logged\":%llu,\"emulated\":%llu}", f[k].what,
			(unsigned long long)f[k].logged, (unsigned long long)f[k].got);
	}
	for (int g = 0; g < lg.n_alloc && g < lg.n_avail; g++) {
		int ok = fig_ok((double)r.alloc[g], (double)lg.alloc[g]);
		figs++;
		within += ok;
		char what[40];
		snprintf(what, sizeof(what), "allocation GPU %d", g);
		estimate_printf(&b, "  %-26s %8.2f GiB %8.2f GiB %+8.2f GiB%s\n", what,
			(double)lg.alloc[g] / 1073741824.0, (double)r.alloc[g] / 1073741824.0,
			((double)r.alloc[g] - (double)lg.alloc[g]) / 1073741824.0,
			ok ? "" : "  (beyond rounding + 1%)");
		estimate_printf(&j, ",{\"figure\":\"%s\",\"logged\":%llu,\"emulated\":%llu}", what,
			(unsigned long long)lg.alloc[g], (unsigned long long)r.alloc[g]);
	}
	char size[32], proc[48];
	ollama_ps(r.total, r.vram, size, sizeof(size), proc, sizeof(proc));
	estimate_printf(&b, "  %d of %d figures agree within the log's rounding + 1%%; `ollama ps` would show"
		    " %s, %s\n", within, figs, size, proc);
	estimate_printf(&j, "],\"within\":%d,\"figures_total\":%d", within, figs);
	estimate_ps_json(&j, r.total, r.vram);
	estimate_printf(&j, "}");
	*explain = b.s;
	if (json)
		*json = j.s;
	else
		free(j.s);
	if (n_within)
		*n_within = within;
	if (n_figures)
		*n_figures = figs;
	return 0;
}

int estimate_run(struct store *st, const struct scen *sc, const struct sim_result *res, const char *engine,
	    uint64_t *est, char **explain, char **json, char **cause)
{
	char *lex = NULL, *ljs = NULL, *lcause = NULL;
	int logged = st && sc->trace &&
		     estimate_check_logged(st, sc->trace, engine, &lex, &ljs, NULL, NULL, &lcause) == 0;
	for (int g = 0; g < TOPO_MAX_GPUS; g++)
		est[g] = UINT64_MAX;
	*explain = NULL;
	*json = NULL;
	if (!sc->ld) {
		if (!logged) {
			int rc = util_err(cause, UTIL_EINPUT, "--engine-estimate needs a llama.cpp/Ollama "
					  "load, a logged Ollama estimate or --model%s%s%s",
					  lcause ? " (" : "", lcause ? lcause : "", lcause ? ")" : "");
			free(lcause);
			return rc;
		}
		*explain = lex;
		*json = ljs;
		return 0;
	}
	free(lcause);
	char *ex = NULL, *js = NULL, *mcause = NULL;
	int rc = estimate_compute_json(engine, sc, res, est, &ex, &js, &mcause);
	if (rc && !logged) {
		*cause = mcause;
		return rc;
	}
	if (rc) { /* the load lacks what the model-based estimate needs; the log has it */
		for (int g = 0; g < TOPO_MAX_GPUS; g++)
			est[g] = UINT64_MAX;
		struct estimate_buf b = { 0 };
		estimate_printf(&b, "\n(%s from the load: %s)%s", engine, mcause, lex);
		free(mcause);
		free(lex);
		*explain = b.s;
		*json = ljs;
		return 0;
	}
	if (!logged) {
		*explain = ex;
		*json = js;
		return 0;
	}
	struct estimate_buf b = { 0 }, j = { 0 };
	estimate_printf(&b, "%s%s", ex, lex);
	size_t l = strlen(js);
	estimate_printf(&j, "%.*s,\"logged_check\":%s}", (int)(l ? l - 1 : 0), js, ljs);
	free(ex);
	free(lex);
	free(js);
	free(ljs);
	*explain = b.s;
	*json = j.s;
	return 0;
}

static double gib(uint64_t b)
{
	return (double)b / 1073741824.0;
}

int estimate_logged_explain(struct store *st, int64_t trace, const char *engine, char **text,
		       char **json, uint64_t *avail, uint64_t *alloc, int *n_gpu, char **cause)
{
	struct logged lg;
	int rc = logged_read(st, trace, &lg, cause);
	if (rc)
		return rc;
	int64_t n_model = 0, off = -1, req = -1, ctx = 0, ps_size = 0, list_size = 0;
	int set_m = 0, set_o = 0, set_r = 0, set_c = 0, set_s = 0, set_run = 0, set_ps = 0, set_pp = 0,
	    set_pm = 0, set_ls = 0;
	char split[256] = "", runner[64] = "", ps_proc[64] = "", ps_model[128] = "";
	if ((rc = settings_int(st, trace, SET_OLLAMA_LAYERS_MODEL, &n_model, &set_m, cause)) ||
	    (rc = settings_int(st, trace, SET_OLLAMA_LAYERS_OFFLOAD, &off, &set_o, cause)) ||
	    (rc = settings_int(st, trace, SET_OLLAMA_LAYERS_REQUESTED, &req, &set_r, cause)) ||
	    (rc = settings_int(st, trace, SET_CTX_SIZE, &ctx, &set_c, cause)) ||
	    (rc = settings_int(st, trace, SET_OLLAMA_PS_SIZE, &ps_size, &set_ps, cause)) ||
	    (rc = settings_int(st, trace, SET_OLLAMA_LIST_SIZE, &list_size, &set_ls, cause)) ||
	    (rc = settings_str(st, trace, SET_OLLAMA_PS_PROCESSOR, ps_proc, sizeof(ps_proc), &set_pp, cause)) ||
	    (rc = settings_str(st, trace, SET_OLLAMA_PS_MODEL, ps_model, sizeof(ps_model), &set_pm, cause)) ||
	    (rc = settings_str(st, trace, SET_OLLAMA_LAYERS_SPLIT, split, sizeof(split), &set_s, cause)) ||
	    (rc = settings_str(st, trace, SET_OLLAMA_RUNNER, runner, sizeof(runner), &set_run, cause)))
		return rc;
	if (!lg.n_avail && !set_ps && !lg.have_host)
		return util_err(cause, UTIL_EINPUT, "the trace holds no Ollama estimate (no msg=offload "
				"line, no `ollama ps`)");
	if (!lg.n_avail && engine)
		return util_err(cause, UTIL_EINPUT, "--engine-estimate %s: the log holds no msg=offload "
				"line to rerun it on (only `ollama ps`): describe the model with --model to "
				"emulate it", engine);
	struct estimate_buf b = { 0 }, j = { 0 };
	if (lg.n_avail)
		estimate_printf(&b, "Ollama%s%s%s estimated this load before starting it (its msg=offload line); "
			   "the log holds no buffer the load allocated.\n\n", set_run ? " (" : "",
			   set_run ? runner : "", set_run ? ")" : "");
	else if (lg.have_host)
		/* library=cpu: Ollama's estimate is host memory (llm/memory.go
		 * with a CPU GpuInfo), so no GPU figure exists to set beside it */
		estimate_printf(&b, "Ollama%s%s%s estimated this load for the CPU (its msg=offload line names no "
			   "GPU library): %.1f GiB required of %.1f GiB host memory available. No GPU "
			   "memory was estimated, and the log holds no buffer the load allocated.\n\n",
			   set_run ? " (" : "", set_run ? runner : "", set_run ? ")" : "",
			   gib(lg.host_alloc), gib(lg.host_avail));
	else
		estimate_printf(&b, "The log holds Ollama's figures for this load (`ollama ps`%s), not its "
			   "buffers, and no msg=offload line with the inputs of Ollama's estimate.\n\n",
			   set_ls ? ", `ollama list`" : "");
	if (set_ps) {
		/* ollama ps SIZE: Ollama's estimate of the whole load (format.HumanBytes, decimal) */
		estimate_printf(&b, "`ollama ps` in the log: %s%sSIZE %.0f GB, PROCESSOR %s (Ollama's estimate of "
			   "the load, decimal GB)\n", set_pm ? ps_model : "", set_pm ? " " : "",
			   (double)ps_size / 1e9, set_pp ? ps_proc : "?");
		if (set_ls)
			estimate_printf(&b, "`ollama list`: %.0f GB of model file\n", (double)list_size / 1e9);
		if (!lg.n_avail)
			estimate_printf(&b, "Without the offload line the estimate cannot be rerun from the log; "
				   "`replay --model ... --engine-estimate ollama-0.5:...` reproduces it from the "
				   "model's hyper-parameters (README, \"The seed\").\n");
	}
	if (lg.n_avail) {
		estimate_printf(&b, "What Ollama estimated per GPU (GiB as Ollama prints them, rounded to 0.1):\n");
		estimate_printf(&b, "GPU        free   allocation   free - allocation\n");
	}
	estimate_printf(&j, "{\"engine\":\"ollama\",\"runner\":");
	if (set_run && strspn(runner, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_ ") ==
		       strlen(runner))
		estimate_printf(&j, "\"%s\"", runner); /* plain characters only: no escaping needed */
	else
		estimate_printf(&j, "null");
	estimate_printf(&j, ",\"gpus\":[");
	for (int g = 0; g < lg.n_avail; g++) {
		int have = g < lg.n_alloc;
		avail[g] = lg.avail[g];
		alloc[g] = have ? lg.alloc[g] : 0;
		if (have)
			estimate_printf(&b, "%3d %8.1f GiB %8.1f GiB %12.1f GiB\n", g, gib(lg.avail[g]),
				   gib(lg.alloc[g]),
				   gib(lg.avail[g] > lg.alloc[g] ? lg.avail[g] - lg.alloc[g] : 0));
		else
			estimate_printf(&b, "%3d %8.1f GiB            ?                   ?\n", g, gib(lg.avail[g]));
		estimate_printf(&j, "%s{\"index\":%d,\"available\":%llu,\"allocation\":", g ? "," : "", g,
			   (unsigned long long)lg.avail[g]);
		if (have)
			estimate_printf(&j, "%llu}", (unsigned long long)lg.alloc[g]);
		else
			estimate_printf(&j, "null}");
	}
	*n_gpu = lg.n_avail;
	estimate_printf(&j, "],\"layers_model\":");
	if (set_m)
		estimate_printf(&j, "%lld", (long long)n_model);
	else
		estimate_printf(&j, "null");
	estimate_printf(&j, ",\"layers_offload\":");
	if (set_o)
		estimate_printf(&j, "%lld", (long long)off);
	else
		estimate_printf(&j, "null");
	if (set_ps)
		estimate_printf(&j, ",\"logged_ps\":{\"size_bytes\":%lld,\"processor\":\"%s\"}", (long long)ps_size,
			   set_pp && strspn(ps_proc, "0123456789%/ CPUG") == strlen(ps_proc) ? ps_proc : "");
	/* the split as logged: digits and commas only (else null) */
	int split_ok = set_s && split[0] && strspn(split, "0123456789,") == strlen(split);
	estimate_printf(&j, ",\"layers_split\":%s%s%s", split_ok ? "[" : "null", split_ok ? split : "",
		   split_ok ? "]" : "");
	if (set_o && set_m)
		estimate_printf(&b, "layers: %lld of %lld on GPUs%s%s (%s)\n", (long long)off, (long long)n_model,
			   split_ok ? ", split " : "", split_ok ? split : "",
			   set_r && req >= 0 ? "num_gpu as requested" : "Ollama's choice: num_gpu not set");
	if (lg.n_avail)
		estimate_printf(&b, "totals Ollama logged:\n");
	const struct { const char *what, *key; int k; } figs[] = {
		{ "required, all layers on GPUs (full)", "required_full", LG_FULL },
		{ "required, as placed (partial)", "required_partial", LG_PARTIAL },
		{ "weights", "weights_total", LG_WTOTAL },
		{ "KV cache", "kv", LG_KV },
		{ "compute graph (full)", "graph_full", LG_GFULL },
		{ "compute graph (partial)", "graph_partial", LG_GPARTIAL },
		{ "projector weights", "projector_weights", LG_PW },
	};
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(figs); k++) {
		if (!lg.have[figs[k].k])
			continue;
		estimate_printf(&b, "  %-38s %8.1f GiB\n", figs[k].what, gib(lg.v[figs[k].k]));
		estimate_printf(&j, ",\"%s\":%llu", figs[k].key, (unsigned long long)lg.v[figs[k].k]);
	}
	if (set_c && lg.have[LG_KV])
		estimate_printf(&b, "  (KV at num_ctx %lld)\n", (long long)ctx);
	if (lg.have[LG_FULL] && lg.have[LG_PARTIAL]) {
		char size[32], proc[48];
		ollama_ps(lg.v[LG_FULL], lg.v[LG_PARTIAL], size, sizeof(size), proc, sizeof(proc));
		estimate_printf(&b, "`ollama ps` shows this estimate: SIZE %s, PROCESSOR %s (decimal GB)\n", size,
			   proc);
		estimate_ps_json(&j, lg.v[LG_FULL], lg.v[LG_PARTIAL]);
	}
	/* Each era's estimator rerun on the line's inputs. */
	static const char *const eras[] = { "ollama-0.5", "ollama-0.7" };
	const char *only[1] = { engine };
	const char *const *rows = engine ? only : eras;
	int n_rows = !lg.n_avail ? 0 : engine ? 1 : (int)UTIL_ARRAY_SIZE(eras), best = -1, best_w = 0, best_f = 1, nj = 0;
	estimate_printf(&j, ",\"checks\":[");
	for (int i = 0; i < n_rows; i++) {
		char *ex = NULL, *js = NULL, *why = NULL;
		int w = 0, f = 0;
		int crc = estimate_check_logged(st, trace, rows[i], &ex, &js, &w, &f, &why);
		if (crc && engine) { /* the era asked for cannot be checked: say so, exit 2 */
			free(b.s);
			free(j.s);
			if (cause)
				*cause = why;
			else
				free(why);
			return crc;
		}
		if (crc) {
			estimate_printf(&b, "\n%s: not checked: %s\n", rows[i], why ? why : "?");
			free(why);
			continue;
		}
		estimate_printf(&b, "%s", ex);
		estimate_printf(&j, "%s%s", nj++ ? "," : "", js);
		/* the larger share of figures within the log's rounding */
		if (best < 0 || (double)w / (f ? f : 1) > (double)best_w / best_f) {
			best = i;
			best_w = w;
			best_f = f ? f : 1;
		}
		free(ex);
		free(js);
	}
	estimate_printf(&j, "],\"best_era\":");
	if (best >= 0) {
		estimate_printf(&j, "\"%s\"}", rows[best]);
		if (n_rows > 1)
			estimate_printf(&b, "\nThe era that reproduces this line best: %s (%d of %d figures).\n",
				   rows[best], best_w, best_f);
	} else {
		estimate_printf(&j, "null}");
	}
	*text = b.s;
	*json = j.s;
	return 0;
}
