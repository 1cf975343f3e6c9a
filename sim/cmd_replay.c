/*
 * cmd_replay.c - `vramsim replay`: does this load fit on those GPUs?
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engrow.h"
#include "estimate.h"
#include "progress.h"
#include "report.h"
#include "scenario.h"
#include "settings.h"
#include "util.h"

enum { OPT_JSON = CLI_KEY, OPT_CSV, OPT_NOHEADER, OPT_FAIL, OPT_EST, OPT_OUT,
       OPT_FORCE = 'f' };

static const struct cli_opt replay_opts[] = {
	{ "engine-estimate", OPT_EST, "E[:K=V,...]", "what engine E would reserve per GPU, beside the\n"
	  "prediction, with its `ollama ps` SIZE and CPU/GPU split (decimal GB):\n"
	  "ollama-0.5 (v0.1-v0.6), ollama-0.7 (v0.7.1-v0.12.10), ollama-0.7.0,\n"
	  "ollama-layout (v0.11.5+ new memory management), ollama-0.30\n"
	  "(llama-server), llama-fit (--fit, 1024 MiB margin); on a log holding\n"
	  "Ollama's own estimate, logged vs emulated; options: see below",
	  "ollama-0.5 ollama-0.7 ollama-0.7.0 ollama-layout ollama-0.30 llama-fit" },
	{ "json", OPT_JSON, NULL, "machine-readable output (versioned; raw bytes)", NULL },
	{ "csv", OPT_CSV, NULL, "the same as CSV", NULL },
	{ "no-header", OPT_NOHEADER, NULL, "CSV without its header row", NULL },
	{ "fail-on-oom", OPT_FAIL, NULL, "exit 3 when the scenario does not fit", NULL },
	{ "out", OPT_OUT, "DIR", "also draw the scenario (as vramsim plot --whatif): timeline,\n"
	  "breakdown, recorded vs what-if, peak against context;\n"
	  "the PNGs' names go to stderr", CLI_VAL_DIR },
	{ "force", OPT_FORCE, NULL, "with --out: overwrite existing pictures", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static void tick(void *ud, uint64_t n)
{
	progress_update(ud, n);
}

/* A PyTorch snapshot records what its allocator held at the end
 * (torch.reserved_end.<dev>, from the importer): show it beside the
 * replay's final reserved bytes, per virtual GPU, summing the recorded
 * devices the replay put on that GPU (the device map, or recorded % GPUs
 * as the replay wraps them) so that both sides count the same memory. */
static void print_reserved_end(FILE *f, struct store *st, const struct scen *sc,
			       const struct sim_result *res)
{
	struct trace_device *devs = NULL;
	size_t n = 0;
	if (!st || sc->ld || res->n_dev <= 0 || store_devices(st, sc->trace, &devs, &n, NULL))
		return;
	uint64_t *rec_sum = util_xcalloc((size_t)res->n_dev, sizeof(*rec_sum));
	int *n_rec = util_xcalloc((size_t)res->n_dev, sizeof(*n_rec));
	for (size_t i = 0; i < n; i++) {
		char key[48];
		int64_t rec;
		int set = 0, dev = devs[i].index, v;
		snprintf(key, sizeof(key), "torch.reserved_end.%d", dev);
		if (store_setting_int(st, sc->trace, key, &rec, &set, NULL) || !set || rec < 0)
			continue;
		if (sc->cfg.n_map > 0)
			v = dev >= 0 && dev < sc->cfg.n_map ? sc->cfg.device_map[dev] : -1;
		else
			v = dev >= 0 ? dev % res->n_dev : -1;
		if (v < 0 || v >= res->n_dev)
			continue; /* not replayed on a GPU */
		rec_sum[v] += (uint64_t)rec;
		n_rec[v]++;
	}
	for (int v = 0; v < res->n_dev; v++) {
		if (!n_rec[v])
			continue;
		uint64_t sim = res->dev[v].reserved;
		fprintf(f, "GPU %d reserved at end: recorded %.1f MiB%s, simulated %.1f MiB "
			"(difference %+.1f MiB)%s\n", v, (double)rec_sum[v] / UTIL_MIB,
			n_rec[v] > 1 ? " (recorded devices on this GPU, summed)" : "",
			(double)sim / UTIL_MIB, ((double)sim - (double)rec_sum[v]) / UTIL_MIB,
			res->stopped ? ", replay stopped at the first OOM" : "");
	}
	free(rec_sum);
	free(n_rec);
	free(devs);
}

/* 1 when trace holds no allocation, only an engine's estimate: the
 * msg=offload line (estimate_only, set by the log importer) or `ollama
 * ps` output. */
/*
 * A trace of estimates: a log that holds only what the engine (Ollama)
 * estimated before the load, no buffer it allocated. Nothing can be
 * replayed, so replay explains the estimate (per GPU, layers, `ollama
 * ps`, the era emulations checked against it) and answers "no basis"
 * for real use - never "fits", never an empty table of zeros.
 */
static int replay_estimates(struct store *st, int64_t trace, const struct scen_opts *so,
			    const char *engine, int json, const char *out_dir)
{
	char *text = NULL, *ej = NULL, *cause = NULL;
	uint64_t avail[TOPO_MAX_GPUS] = { 0 }, alloc[TOPO_MAX_GPUS] = { 0 };
	int n = 0;
	int rc = estimate_logged_explain(st, trace, engine, &text, &ej, avail, alloc, &n, &cause);
	if (rc)
		return cli_fail(rc, cause);
	struct store_trace_info ti = { 0 };
	if ((rc = store_trace_get(st, trace, &ti, &cause))) {
		free(text);
		free(ej);
		return cli_fail(rc, cause);
	}
	char model[160] = "", hint[640];
	int set = 0;
	settings_str(st, trace, SET_MODEL, model, sizeof(model), &set, NULL);
	/* the GPUs as Ollama saw them, for the command the hint suggests */
	char gpus[48];
	int same = 1;
	for (int g = 1; g < n; g++)
		same &= avail[g] == avail[0];
	if (same && n)
		snprintf(gpus, sizeof(gpus), "%dx%.0fG", n, (double)avail[0] / (1024.0 * UTIL_MIB));
	else
		snprintf(gpus, sizeof(gpus), "SPEC");
	int blob = !strncmp(model, "sha256-", 7);
	snprintf(hint, sizeof(hint), "to know real use, import a log of the load itself (the runner's "
		 "'buffer size' lines), or the model's GGUF into a store of its own (vramsim import "
		 "--store m.db MODEL.gguf%s%s%s) and replay it there: vramsim replay --store m.db "
		 "--profile NAME --gpus %s", blob ? "; Ollama keeps it as blobs/" : "", blob ? model : "",
		 blob ? " in its models folder" : "", gpus);
	struct verdict vd;
	memset(&vd, 0, sizeof(vd));
	vd.kind = VERDICT_NOBASIS;
	vd.tight = -1;
	snprintf(vd.why, sizeof(vd.why), "the log holds what Ollama estimated before the load, not "
		 "what the load allocated: real use is not known");
	const char *notes[3];
	int nn = 0;
	char gnote[200];
	if (so->gpus) {
		snprintf(gnote, sizeof(gnote), "--gpus %s had no effect: there is nothing to place on "
			 "them; the GPUs below are the ones Ollama saw", so->gpus);
		notes[nn++] = gnote;
	}
	if (out_dir)
		notes[nn++] = "--out: nothing to draw (no allocations)";
	notes[nn++] = hint;
	if (json) {
		struct sim_result *res = util_xcalloc(1, sizeof(*res));
		int layers[TOPO_MAX_GPUS] = { 0 }, have_layers = 0;
		char split[256] = "";
		int sset = 0;
		settings_str(st, trace, SET_OLLAMA_LAYERS_SPLIT, split, sizeof(split), &sset, NULL);
		for (const char *p = split; sset && *p && have_layers < n; have_layers++) {
			layers[have_layers] = atoi(p);
			p = strchr(p, ',');
			if (!p)
				break;
			p++;
		}
		have_layers = sset && have_layers == n - 1 ? n : 0;
		res->n_dev = n;
		for (int g = 0; g < n; g++)
			res->dev[g].capacity = avail[g];
		char topo[80];
		if (n)
			snprintf(topo, sizeof(topo), "%d GPU%s as Ollama logged them (capacity: their free "
				 "memory)", n, n == 1 ? "" : "s");
		else
			snprintf(topo, sizeof(topo), "no GPU: Ollama's estimate is for the CPU");
		struct report_ctx c = {
			.kind = "replay", .trace_id = trace, .trace_name = ti.name, .topology = topo,
			.model = "exact", .scenario = "an engine's estimate (Ollama msg=offload), no allocations",
			.notes = notes, .n_notes = nn, .estimate_engine = "ollama (logged)",
			.estimate = alloc, .n_estimate = n, .estimate_json = ej,
			.layers = have_layers ? layers : NULL, .verdict = &vd, .estimate_only = 1,
		};
		report_json(stdout, res, &c);
		free(res);
	} else {
		printf("trace %lld '%s': an engine's estimate, no allocations recorded\n",
		       (long long)trace, ti.name);
		fputs(text, stdout);
		putchar('\n');
		for (int i = 0; i < nn; i++)
			printf("note: %s\n", notes[i]);
		printf("\nverdict: no answer for real use: %s\n", vd.why);
	}
	store_trace_info_clear(&ti);
	free(text);
	free(ej);
	return 0;
}

static int cmd_replay(struct cli_ctx *cx)
{
	const struct scen_opts so = *cx->whatif;
	const char *engine = NULL, *out_dir = NULL, *arg;
	int json = 0, csv = 0, header = 1, fail_on_oom = 0, force = 0, c, rc;
	char *cause = NULL;
	while ((c = cli_next(cx, &arg)) != -1) {
		switch (c) {
		case OPT_JSON: json = 1; break;
		case OPT_CSV: csv = 1; break;
		case OPT_NOHEADER: header = 0; break;
		case OPT_FAIL: fail_on_oom = 1; break;
		case OPT_EST:
			if (!estimate_engine_known(arg))
				return cli_usage("replay", "--engine-estimate '%s': expected %s", arg,
						 estimate_engine_list());
			engine = arg;
			break;
		case OPT_OUT:
			if (!*arg)
				return cli_usage("replay", "--out needs a directory");
			out_dir = arg;
			break;
		case OPT_FORCE: force = 1; break;
		}
	}
	if (json && csv)
		return cli_usage("replay", "--json and --csv exclude each other");
	if (out_dir && !cx->draw)
		return cli_usage("replay", "--out: this build cannot draw");
	const char *ref = cx->trace;
	struct store *st = NULL;
	if ((rc = cli_store(cx, &st)))
		return rc;
	int64_t tid = 0;
	if (st && !so.model_spec && !so.profile && !(ref && engrow_is_model(ref)) &&
	    !store_trace_resolve(st, ref, &tid, NULL) &&
	    scen_estimate_only(st, tid)) {
		if (csv)
			return cli_usage("replay", "trace %lld holds only Ollama's estimate, no allocations "
					 "to tabulate: --json carries the estimate", (long long)tid);
		if (scen_what_given(&so.what)) {
			rc = util_err(&cause, UTIL_EINPUT, "trace %lld holds only Ollama's estimate, no "
				      "load to change: a what-if needs the model (import its GGUF and add "
				      "--profile NAME, or --model layers=..,size=..)", (long long)tid);
			return cli_fail(rc, cause);
		}
		return replay_estimates(st, tid, &so, engine, json, out_dir);
	}
	struct scen sc;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	rc = scen_prepare(st, ref, &so, &sc, &cause);
	if (!rc) {
		struct store_trace_info ti = { 0 };
		if (sc.trace && !sc.ld)
			store_trace_get(st, sc.trace, &ti, NULL);
		struct progress *pg = progress_start("replay", (uint64_t)ti.n_events);
		struct sim_observer obs = { .ud = pg, .tick = tick };
		rc = scen_run(st, &sc, &obs, res, &cause);
		progress_end(pg);
		store_trace_info_clear(&ti);
	}
	uint64_t (*rec)[TRACE_CAT_MAX] = util_xcalloc(TOPO_MAX_GPUS, sizeof(*rec));
	int n_rec = 0;
	if (!rc && st)
		rc = scen_recorded_terms(st, &sc, rec, &n_rec, &cause);
	uint64_t est[TOPO_MAX_GPUS];
	char *explain = NULL, *estimate_json = NULL;
	if (!rc && engine)
		rc = estimate_run(st, &sc, res, engine, est, &explain, &estimate_json, &cause);
	if (rc) {
		scen_clear(&sc);
		free(res);
		free(rec);
		return cli_fail(rc, cause);
	}
	if (res->n_events == 0)
		cli_warn("trace '%s' holds no allocation events: nothing to replay", sc.trace_name);
	char *oom_label = NULL;
	if (res->has_oom && res->first_oom.label && st)
		store_label_text(st, res->first_oom.label, &oom_label, NULL);
	struct verdict vd;
	scen_judge(&sc, res, so.margin, &vd);
	struct report_ctx rc_ = {
		.kind = "replay", .trace_id = sc.trace, .trace_name = sc.trace_name,
		.topology = sc.topo_str, .model = scen_model_name(sc.cfg.model),
		.scenario = sc.desc, .notes = (const char *const *)sc.notes, .n_notes = sc.n_notes,
		.oom_label = oom_label, .estimate_engine = engine, .estimate = engine ? est : NULL,
		.n_estimate = engine ? sc.cfg.topo.n : 0, .estimate_json = estimate_json,
		.layers = sc.have_layers ? sc.layers : NULL,
		.verdict = &vd, .rec = (const uint64_t (*)[TRACE_CAT_MAX])rec, .n_rec = n_rec,
	};
	if (json)
		report_json(stdout, res, &rc_);
	else if (csv)
		report_csv(stdout, res, &rc_, header);
	else {
		report_table(stdout, res, &rc_);
		print_reserved_end(stdout, st, &sc, res);
		if (explain)
			fputs(explain, stdout);
	}
	int code = fail_on_oom && res->has_oom ? CLI_NOFIT : 0;
	if (out_dir) {
		/* The pictures draw this very scenario; their names go to
		 * stderr, stdout holds the report (maybe JSON). */
		fflush(stdout);
		int pcode = cx->draw(cx, &sc, out_dir, force);
		if (pcode)
			code = pcode;
	}
	free(explain);
	free(estimate_json);
	free(oom_label);
	free(rec);
	scen_clear(&sc);
	free(res);
	return code;
}

/* The --engine-estimate options, after the examples. */
static void replay_more(FILE *f)
{
	fputs("\n", f);
	fputs(estimate_engine_help, f);
}

const struct cli_cmd cmd_replay_entry = {
	.name = "replay",
	.summary = "replay a trace on virtual GPUs: peaks, breakdown, first OOM, what-ifs",
	.usage = "[--store DB] [TRACE | MODEL] --gpus SPEC [what-if options]\n"
		 "                      [--engine-estimate E] [--json | --csv [--no-header]]\n"
		 "                      [--fail-on-oom] [--out DIR [-f]] [-q]",
	.about = "Replay a stored trace (default: the newest) on virtual GPUs and print, per\n"
		 "GPU, capacity, peak, the breakdown by category at the peak, headroom and the\n"
		 "first allocation that fails. A llama.cpp/Ollama load is decomposed into\n"
		 "layers and recomposed under the what-if options with llama.cpp's rules.\n"
		 "TRACE may name a model instead: a GGUF file (by its magic), ollama:NAME,\n"
		 "store:PROFILE or model:KEY=V; every scenario is then llama.cpp's own plan.\n",
	.opts = replay_opts,
	.more = "examples:\n"
		"  vramsim replay --gpus 4x24G\n"
		"  vramsim replay --gpus 2x24G,1x12G --ctx 32768 --flash-attn on\n"
		"  vramsim replay model.gguf --gpus 4x24G --ctx 32768    # the engine plan\n"
		"  vramsim replay --gpus 4x24G --model layers=80,embd=8192,heads=64,kv_heads=8,\\\n"
		"      vocab=128256,ff=28672,size=42.5e9 --engine-estimate ollama-0.5:quant=Q4_K_M,ff=28672\n"

		"\nexit status: 0 ok (fits or not), 1 runtime error, 2 usage or input error,\n"
		"3 does not fit (with --fail-on-oom)\n",
	.more_fn = replay_more,
	.flags = CLI_STORE_RO | CLI_WHATIF | CLI_TRACE, .fn = cmd_replay,
};
