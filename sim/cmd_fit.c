/*
 * cmd_fit.c - `vramsim fit`: the best that fits. Inverse queries over the
 * what-if: the largest context, the best split, the fewest GPUs, the most
 * layers on GPUs. Each answer is a scenario replayed like `replay` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "scenario.h"
#include "util.h"

enum { OPT_JSON = CLI_KEY, OPT_MAXCTX, OPT_SPLIT, OPT_MINGPU, OPT_MAXLAYERS, OPT_FAIL, OPT_ENGINEFIT };

static const struct cli_opt fit_opts[] = {
	{ "max-ctx", OPT_MAXCTX, NULL, "the largest context per slot (a multiple of 256) that fits", NULL },
	{ "best-split", OPT_SPLIT, NULL, "the layer split that leaves the most headroom on the tightest GPU",
	  NULL },
	{ "min-gpus", OPT_MINGPU, NULL, "the fewest GPUs of the size in --gpus (e.g. 8x24G: up to 8) that fit",
	  NULL },
	{ "max-layers", OPT_MAXLAYERS, NULL, "the most layers on GPUs (Ollama num_gpu, llama.cpp -ngl) that fit",
	  NULL },
	{ "json", OPT_JSON, NULL, "machine-readable output (versioned; raw bytes)", NULL },
	{ "fail-on-oom", OPT_FAIL, NULL, "exit 3 also when the answer is only borderline (nothing\n"
	  "fitting always exits 3)", NULL },
	{ "engine-fit", OPT_ENGINEFIT, NULL, "instead: llama.cpp's own --fit on virtual GPUs, from the engine\n"
	  "(fit --engine-fit MODEL.gguf --gpus SPEC [options of `vramsim plan`])", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static int eval(struct store *st, struct scen *sc, struct sim_result *res, int *n_eval, char **cause)
{
	(*n_eval)++;
	int rc = scen_rebuild(sc, cause);
	return rc ? rc : scen_run(st, sc, NULL, res, cause);
}

static uint64_t min_headroom(const struct sim_result *r, const int *layers)
{
	uint64_t m = UINT64_MAX;
	for (int g = 0; g < r->n_dev; g++)
		if (!layers || layers[g] || r->dev[g].peak) {
			uint64_t h = sim_headroom(&r->dev[g]);
			if (h < m)
				m = h;
		}
	return m == UINT64_MAX ? 0 : m;
}

/* Does every GPU's need at ctx leave margin free? (scen_peaks_vs_ctx,
 * the same sweep the context curve of `plot` draws.) */
static int ctx_fits(struct store *st, struct scen *sc, uint64_t ctx, uint64_t margin, int *fits,
		    int *ne, char **cause)
{
	uint64_t peak[TOPO_MAX_GPUS];
	(*ne)++;
	int rc = scen_peaks_vs_ctx(st, sc, &ctx, 1, peak, cause);
	*fits = 1;
	for (int g = 0; !rc && g < sc->cfg.topo.n; g++)
		if (peak[g] + margin > sc->cfg.topo.capacity[g])
			*fits = 0;
	return rc;
}

/* fit_*: 0 with the answer replayed in res, FIT_NONE when nothing fits
 * (res holds the smallest try), or an error. */
#define FIT_NONE 1

static int fit_max_ctx(struct store *st, struct scen *sc, uint64_t margin, struct sim_result *res,
		       int *ne, int *at_ceiling, uint64_t *bare, char **cause)
{
	uint64_t lo = 0, hi = sc->ld->n_ctx_train ? sc->ld->n_ctx_train : (1u << 20);
	hi = hi / 256 * 256;
	if (hi < 256)
		hi = 256;
	int rc, fits;
	/* The context moves no layers: freeze the scenario's placement. */
	if (!sc->lsc.n_split && !sc->ld->fixed) {
		sc->lsc.n_split = sc->cfg.topo.n;
		for (int g = 0; g < sc->cfg.topo.n; g++)
			sc->lsc.split[g] = sc->layers[g];
	}
	/* Binary search on multiples of 256: memory grows with context. */
	uint64_t a = 1, b = hi / 256;
	while (a <= b) {
		uint64_t mid = (a + b) / 2;
		if ((rc = ctx_fits(st, sc, mid * 256, margin, &fits, ne, cause)))
			return rc;
		if (fits) {
			lo = mid * 256;
			a = mid + 1;
		} else {
			b = mid - 1;
		}
	}
	if (!lo) {
		sc->lsc.ctx = 256;
		int rc2 = eval(st, sc, res, ne, cause);
		return rc2 ? rc2 : FIT_NONE;
	}
	*at_ceiling = lo == hi;
	/* Then the largest that fits with the model's uncertainty band too
	 * (the verdict's own rule), searched below the bare limit. */
	uint64_t lo2 = 0;
	struct verdict vd;
	a = 1;
	b = lo / 256;
	while (a <= b) {
		uint64_t mid = (a + b) / 2;
		sc->lsc.ctx = mid * 256;
		if ((rc = eval(st, sc, res, ne, cause)))
			return rc;
		scen_judge(sc, res, margin, &vd);
		if (vd.kind == VERDICT_FITS) {
			lo2 = mid * 256;
			a = mid + 1;
		} else {
			b = mid - 1;
		}
	}
	*bare = lo;
	sc->lsc.ctx = lo2 ? lo2 : lo;
	return eval(st, sc, res, ne, cause);
}

static int fit_best_split(struct store *st, struct scen *sc, struct sim_result *res, int *ne,
			  char **cause)
{
	int G = sc->cfg.topo.n, rc;
	if ((rc = eval(st, sc, res, ne, cause)))
		return rc;
	/* Start from the current placement's layer counts and move one layer at
	 * a time from the tightest GPU to the roomiest while the tightest gains. */
	sc->lsc.n_split = G;
	for (int g = 0; g < G; g++)
		sc->lsc.split[g] = sc->layers[g];
	uint64_t best = res->has_oom ? 0 : min_headroom(res, NULL);
	int best_oom = res->has_oom;
	for (int iter = 0; iter < 4 * (int)(sc->ld->n_layer + 1); iter++) {
		int tight = 0, roomy = 0;
		for (int g = 0; g < G; g++) {
			uint64_t hg = sim_headroom(&res->dev[g]);
			if (res->dev[g].n_oom || hg < sim_headroom(&res->dev[tight]))
				tight = res->dev[tight].n_oom ? tight : g;
			if (hg > sim_headroom(&res->dev[roomy]))
				roomy = g;
		}
		if (tight == roomy || sc->lsc.split[tight] <= 0)
			break;
		double saved[TOPO_MAX_GPUS];
		memcpy(saved, sc->lsc.split, sizeof(saved));
		sc->lsc.split[tight] -= 1;
		sc->lsc.split[roomy] += 1;
		if ((rc = eval(st, sc, res, ne, cause)))
			return rc;
		uint64_t h = res->has_oom ? 0 : min_headroom(res, NULL);
		if ((best_oom && !res->has_oom) || (!res->has_oom && h > best)) {
			best = h;
			best_oom = 0;
			continue;
		}
		memcpy(sc->lsc.split, saved, sizeof(saved));
		break;
	}
	return eval(st, sc, res, ne, cause);
}

static int fit_max_layers(struct store *st, struct scen *sc, struct sim_result *res, int *ne,
			  char **cause)
{
	int a = 0, b = (int)sc->ld->n_layer + 1, best = -1, rc;
	while (a <= b) {
		int mid = (a + b) / 2;
		sc->lsc.n_gpu_layers = mid;
		if ((rc = eval(st, sc, res, ne, cause)))
			return rc;
		if (!res->has_oom) {
			best = mid;
			a = mid + 1;
		} else {
			b = mid - 1;
		}
	}
	if (best < 0) {
		sc->lsc.n_gpu_layers = 0;
		rc = eval(st, sc, res, ne, cause);
		return rc ? rc : FIT_NONE;
	}
	sc->lsc.n_gpu_layers = best;
	return eval(st, sc, res, ne, cause);
}

static int fit_min_gpus(struct store *st, struct scen *sc, struct sim_result *res, int *ne,
			char **cause)
{
	struct topo full = sc->cfg.topo;
	for (int n = 1; n <= full.n; n++) {
		sc->cfg.topo.n = n;
		sc->lsc.n_split = 0;
		int rc = fit_best_split(st, sc, res, ne, cause);
		if (rc)
			return rc;
		if (!res->has_oom) {
			topo_format(&sc->cfg.topo, sc->topo_str, sizeof(sc->topo_str));
			return 0;
		}
	}
	topo_format(&sc->cfg.topo, sc->topo_str, sizeof(sc->topo_str));
	return FIT_NONE;
}

static int cmd_fit(struct cli_ctx *cx)
{
	const struct scen_opts so = *cx->whatif;
	const char *arg;
	int json = 0, goal = 0, c, rc, fail_on_oom = 0;
	char *cause = NULL;
	while ((c = cli_next(cx, &arg)) != -1) {
		switch (c) {
		case OPT_JSON: json = 1; break;
		case OPT_FAIL: fail_on_oom = 1; break;
		case OPT_ENGINEFIT: /* routed to the engine by the entry point */
			return cli_usage("fit", "--engine-fit: spell the command `fit` in full");
		case OPT_MAXCTX: case OPT_SPLIT: case OPT_MINGPU: case OPT_MAXLAYERS:
			if (goal && goal != c)
				return cli_usage("fit", "give one of --max-ctx, --best-split, --min-gpus, --max-layers");
			goal = c;
			break;
		}
	}
	if (!goal)
		return cli_usage("fit", "say what to find: --max-ctx, --best-split, --min-gpus or --max-layers");
	if (!so.gpus)
		return cli_usage("fit", "--gpus is required (e.g. --gpus 4x24G)");
	const char *ref = cx->trace;
	struct store *st = NULL;
	if ((rc = cli_store(cx, &st)))
		return rc;
	struct scen sc;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	int n_eval = 0;
	int at_ceiling = 0;
	uint64_t bare = 0; /* --max-ctx: the limit without the band */
	rc = scen_prepare(st, ref, &so, &sc, &cause);
	if (!rc && !sc.ld)
		rc = util_err(&cause, UTIL_EINPUT, "fit needs a llama.cpp/Ollama load (or --model); "
			      "this trace has no model buffers");
	/* the largest context needs KV (and compute) that scale with it */
	if (!rc && goal == OPT_MAXCTX)
		rc = scen_can_scale(&sc, &so, SCEN_SCALE_CTX | (sc.ld->flash_attn ? 0 : SCEN_SCALE_COMPUTE),
				    "--max-ctx", &cause);
	if (!rc) {
		switch (goal) {
		case OPT_MAXCTX: rc = fit_max_ctx(st, &sc, so.margin, res, &n_eval, &at_ceiling, &bare, &cause); break;
		case OPT_SPLIT: rc = fit_best_split(st, &sc, res, &n_eval, &cause); break;
		case OPT_MINGPU: rc = fit_min_gpus(st, &sc, res, &n_eval, &cause); break;
		default: rc = fit_max_layers(st, &sc, res, &n_eval, &cause); break;
		}
	}
	int none = rc == FIT_NONE || (!rc && goal == OPT_SPLIT && res->has_oom);
	if (rc == FIT_NONE)
		rc = 0;
	if (rc) {
		scen_clear(&sc);
		free(res);
		return cli_fail(rc, cause);
	}
	struct verdict vd;
	scen_judge(&sc, res, so.margin, &vd);
	char answer[512];
	if (none) {
		switch (goal) {
		case OPT_MAXCTX:
			snprintf(answer, sizeof(answer), "nothing fits: even 256 tokens per slot run out of "
				 "memory on %s", sc.topo_str);
			break;
		case OPT_MINGPU:
			snprintf(answer, sizeof(answer), "nothing fits: not even all %d GPUs of %s", sc.cfg.topo.n,
				 sc.topo_str);
			break;
		case OPT_MAXLAYERS:
			snprintf(answer, sizeof(answer), "nothing fits on %s, not even 0 layers", sc.topo_str);
			break;
		default:
			snprintf(answer, sizeof(answer), "nothing fits: no split of %s holds the load", sc.topo_str);
		}
	} else {
		switch (goal) {
		case OPT_MAXCTX:
			if (vd.kind == VERDICT_FITS && bare != sc.lsc.ctx)
				snprintf(answer, sizeof(answer), "largest context that fits: %llu tokens per slot "
					 "with the uncertainty band kept free (%llu without it)%s",
					 (unsigned long long)sc.lsc.ctx, (unsigned long long)bare,
					 vd.lower_bound ? "; at most: a term was not counted" : "");
			else
				snprintf(answer, sizeof(answer), "largest context that fits: %llu tokens per slot%s",
					 (unsigned long long)sc.lsc.ctx,
					 vd.lower_bound ? " (at most: a term was not counted)" : "");
			break;
		case OPT_MINGPU:
			snprintf(answer, sizeof(answer), "fewest GPUs that fit: %d (%s)", sc.cfg.topo.n, sc.topo_str);
			break;
		case OPT_MAXLAYERS:
			snprintf(answer, sizeof(answer), "most layers on GPUs that fit: %d of %u (--num-gpu %d)",
				 sc.lsc.n_gpu_layers, sc.ld->n_layer + 1, sc.lsc.n_gpu_layers);
			break;
		default: {
			int off = snprintf(answer, sizeof(answer), "best split: --split ");
			for (int g = 0; g < sc.cfg.topo.n && off < (int)sizeof(answer); g++)
				off += snprintf(answer + off, sizeof(answer) - (size_t)off, "%s%d", g ? "," : "",
						sc.layers[g]);
		}
		}
	}
	/* A search that stopped at its ceiling found no limit below it. */
	if (!none && goal == OPT_MAXCTX && at_ceiling)
		sc.notes[sc.n_notes < 16 ? sc.n_notes++ : 15] = util_xasprintf(
			"the search stopped at its ceiling, %s (%llu): more may fit, but the model %s",
			sc.ld->n_ctx_train ? "the model's trained context" : "1,048,576 tokens",
			(unsigned long long)sc.lsc.ctx, sc.ld->n_ctx_train ? "was not trained beyond it"
									  : "does not say its trained context");
	if (!none && goal == OPT_MAXCTX && !sc.ld->n_ctx_train && sc.n_notes < 16)
		sc.notes[sc.n_notes++] = util_xstrdup("the model's trained context is unknown: the "
						      "answer may lie beyond it (--meta ctx_train=N "
						      "or --profile bounds the search)");
	if (scen_is_engine_plan(&sc) && sc.n_notes < 16) {
		int plans, reused;
		engrow_stats(sc.state, &plans, &reused);
		sc.notes[sc.n_notes++] = util_xasprintf("searched over %d llama.cpp engine plans; %d of them "
							"re-planned the loaded model (context-only changes)",
							plans, reused);
	}
	struct report_ctx rctx = {
		.kind = "fit", .trace_id = sc.trace, .trace_name = sc.trace_name,
		.topology = sc.topo_str, .model = scen_model_name(sc.cfg.model), .scenario = sc.desc,
		.notes = (const char *const *)sc.notes, .n_notes = sc.n_notes,
		.layers = sc.layers, .verdict = &vd,
	};
	static const char *const goals[] = { "max-ctx", "best-split", "min-gpus", "max-layers" };
	if (json) {
		/* the answer as fields, then the replay of the scenario chosen */
		printf("{\"format\":\"vramsim-fit-answer\",\"version\":%d,\"goal\":\"%s\",\"found\":%s,"
		       "\"ctx\":", REPORT_VERSION, goals[goal - OPT_MAXCTX], none ? "false" : "true");
		if (sc.lsc.ctx)
			printf("%llu", (unsigned long long)sc.lsc.ctx);
		else
			printf("null");
		if (goal == OPT_MAXCTX)
			printf(",\"ctx_without_band\":%llu", (unsigned long long)bare);
		printf(",\"at_ceiling\":%s,\"n_gpu_layers\":%d,\"gpus\":%d,\"margin\":%llu,\"layers\":[",
		       at_ceiling ? "true" : "false",
		       sc.lsc.n_gpu_layers >= 0 ? sc.lsc.n_gpu_layers : sc.ld->fixed ? -1 : (int)sc.ld->n_layer + 1,
		       sc.cfg.topo.n, (unsigned long long)so.margin);
		for (int g = 0; g < sc.cfg.topo.n; g++)
			printf("%s%d", g ? "," : "", sc.layers[g]);
		printf("],\"split\":[");
		for (int g = 0; g < sc.cfg.topo.n; g++)
			printf("%s%d", g ? "," : "", sc.layers[g]);
		printf("],\"answer\":");
		util_json_str(stdout, answer);
		printf(",\"replay\":");
		report_json(stdout, res, &rctx);
		printf("}\n");
	} else {
		printf("%s\n(%d scenarios evaluated)\n\n", answer, n_eval);
		report_table(stdout, res, &rctx);
	}
	int code = none || (fail_on_oom && vd.kind != VERDICT_FITS) ? CLI_NOFIT : 0;
	scen_clear(&sc);
	free(res);
	return code;
}

const struct cli_cmd cmd_fit_entry = {
	.name = "fit",
	.summary = "the best that fits: largest context, best split, fewest GPUs, most layers",
	.usage = "[--store DB] [TRACE] --gpus SPEC\n"
		 "                   (--max-ctx | --best-split | --min-gpus | --max-layers)\n"
		 "                   [what-if options] [--json] [-q]",
	.about = "Search the what-if space of a llama.cpp/Ollama load (or a --model) for\n"
		 "the goal given, and print the scenario it chose and its per-GPU table.\n"
		 "TRACE may name a model instead (a GGUF file, ollama:NAME, store:PROFILE,\n"
		 "model:KEY=V): then every scenario tried is llama.cpp's own plan.\n",
	.opts = fit_opts,
	.more = "example:\n  vramsim fit --gpus 4x24G --max-ctx\n"
		"  vramsim fit model.gguf --gpus 2x24G --max-ctx     # over engine plans\n",
	.flags = CLI_STORE_RO | CLI_WHATIF | CLI_TRACE, .fn = cmd_fit,
};
