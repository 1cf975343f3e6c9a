/*
 * cmd_replay.c - `vramsim replay`: does this load fit on those GPUs?
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "estimate.h"
#include "progress.h"
#include "report.h"
#include "scenario.h"
#include "util.h"

static const char help_head[] =
	"usage: vramsim replay [--store DB] [TRACE] --gpus SPEC [what-if options]\n"
	"                      [--engine-estimate E] [--json | --csv [--no-header]]\n"
	"                      [--fail-on-oom] [-q]\n"
	"\n"
	"Replay a stored trace (default: the newest) on virtual GPUs and print, per\n"
	"GPU, capacity, peak, the breakdown by category at the peak, headroom and the\n"
	"first allocation that fails. A llama.cpp/Ollama load is decomposed into\n"
	"layers and recomposed under the what-if options with llama.cpp's rules.\n"
	"\n";

static const char help_tail[] =
	"\noutput options:\n"
	"  --engine-estimate E what engine E would reserve per GPU, beside the prediction,\n"
	"                      and its `ollama ps` SIZE and CPU/GPU split (decimal GB):\n"
	"                      ollama-0.5 (v0.1-v0.6: graph + 457 MiB + spare layer per GPU),\n"
	"                      ollama-0.7 (v0.7-v0.12.10), ollama-layout (v0.11.5+ new memory\n"
	"                      management), ollama-0.30 (llama-server), llama-fit (--fit)\n"
	"  --json, --csv       machine-readable output (versioned; raw bytes)\n"
	"  --no-header         CSV without its header row\n"
	"  --fail-on-oom       exit 3 when the scenario does not fit\n"
	"  --out DIR [-f]      also draw the scenario (vramsim plot --whatif): timeline,\n"
	"                      breakdown, recorded vs what-if, peak against context;\n"
	"                      the PNGs' names go to stderr; -f overwrites\n"
	"  -q, --quiet         no notes on stderr\n"
	"\nexamples:\n"
	"  vramsim replay --gpus 4x24G\n"
	"  vramsim replay --gpus 2x24G,1x12G --ctx 32768 --flash-attn on\n"
	"  vramsim replay --gpus 4x24G --model layers=80,embd=8192,heads=64,kv_heads=8,\\\n"
	"      vocab=128256,ff=28672,size=42.5e9 --engine-estimate ollama-0.5:quant=Q4_K_M,ff=28672\n"
	"\nexit status: 0 ok (fits or not), 1 runtime error, 2 usage or input error,\n"
	"3 does not fit (with --fail-on-oom)\n";

static void tick(void *ud, uint64_t n)
{
	prog_update(ud, n);
}

static void print_help(FILE *f)
{
	fputs(help_head, f);
	fputs(scen_help, f);
	fputs(help_tail, f);
	fputs("\n", f);
	fputs(est_engine_help, f);
}

/* A PyTorch snapshot records what its allocator held at the end
 * (torch.reserved_end.<dev>, from the importer): show it beside the
 * replay's final reserved bytes, per recorded device. */
static void print_reserved_end(FILE *f, struct store *st, const struct scen *sc,
			       const struct sim_result *res)
{
	struct trace_device *devs = NULL;
	size_t n = 0;
	if (!st || sc->ld || store_devices(st, sc->trace, &devs, &n, NULL))
		return;
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
			v = dev;
		if (v < 0 || v >= res->n_dev)
			continue; /* not replayed on one GPU of its own */
		uint64_t sim = res->dev[v].reserved;
		fprintf(f, "GPU %d reserved at end: recorded %.1f MiB, simulated %.1f MiB "
			"(difference %+.1f MiB)%s\n", v, (double)rec / UTIL_MIB, (double)sim / UTIL_MIB,
			((double)sim - (double)rec) / UTIL_MIB,
			res->stopped ? ", replay stopped at the first OOM" : "");
	}
	free(devs);
}

enum { OPT_STORE = 1, OPT_JSON, OPT_CSV, OPT_NOHEADER, OPT_FAIL, OPT_EST };

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "no-header", no_argument, NULL, OPT_NOHEADER },
		{ "fail-on-oom", no_argument, NULL, OPT_FAIL },
		{ "engine-estimate", required_argument, NULL, OPT_EST },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		SCEN_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct scen_opts so;
	scen_opts_init(&so);
	const char *store_opt = NULL, *engine = NULL;
	int json = 0, csv = 0, header = 1, fail_on_oom = 0, c, rc;
	char *cause = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STORE: store_opt = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_CSV: csv = 1; break;
		case OPT_NOHEADER: header = 0; break;
		case OPT_FAIL: fail_on_oom = 1; break;
		case OPT_EST:
			if (!est_engine_known(optarg))
				return cli_usage("replay", "--engine-estimate '%s': expected %s", optarg,
						 est_engine_list());
			engine = optarg;
			break;
		case 'q': cli_quiet = 1; break;
		case 'h': print_help(stdout); return 0;
		default:
			if ((rc = scen_cli_opt("replay", &so, c, optarg)))
				return rc;
		}
	}
	if (json && csv)
		return cli_usage("replay", "--json and --csv exclude each other");
	const char *ref = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return cli_usage("replay", "unexpected argument '%s'", argv[optind]);
	struct store *st = NULL;
	if (!so.model_spec && (rc = cli_open_store(store_opt, STORE_READONLY, &st)))
		return rc;
	if (so.model_spec && ref)
		cli_warn("--model describes the model: TRACE '%s' is ignored", ref);
	struct scen sc;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	rc = scen_prepare(st, ref, &so, &sc, &cause);
	if (!rc) {
		struct store_trace_info ti = { 0 };
		if (sc.trace && !sc.ld)
			store_trace_get(st, sc.trace, &ti, NULL);
		struct prog *pg = prog_start("replay", (uint64_t)ti.n_events);
		struct sim_observer obs = { .ud = pg, .tick = tick };
		rc = scen_run(st, &sc, &obs, res, &cause);
		prog_end(pg);
		store_trace_info_clear(&ti);
	}
	uint64_t est[TOPO_MAX_GPUS];
	char *explain = NULL, *est_json = NULL;
	if (!rc && engine)
		rc = est_run(st, &sc, res, engine, est, &explain, &est_json, &cause);
	if (rc) {
		scen_clear(&sc);
		free(res);
		store_close(st);
		return cli_fail(rc, cause);
	}
	if (res->n_events == 0)
		cli_warn("trace '%s' holds no allocation events: nothing to replay", sc.trace_name);
	char *oom_label = NULL;
	if (res->has_oom && res->first_oom.label && st)
		store_label_text(st, res->first_oom.label, &oom_label, NULL);
	struct report_ctx rc_ = {
		.kind = "replay", .trace_id = sc.trace, .trace_name = sc.trace_name,
		.topology = sc.topo_str, .model = scen_model_name(sc.cfg.model),
		.scenario = sc.desc, .notes = (const char *const *)sc.notes, .n_notes = sc.n_notes,
		.oom_label = oom_label, .estimate_engine = engine, .estimate = engine ? est : NULL,
		.n_estimate = engine ? sc.cfg.topo.n : 0, .estimate_json = est_json, .layers = sc.have_layers ? sc.layers : NULL,
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
	free(explain);
	free(est_json);
	free(oom_label);
	scen_clear(&sc);
	free(res);
	store_close(st);
	return code;
}

const struct cli_cmd cmd_replay_entry = {
	.name = "replay", .fn = cmd_replay,
	.summary = "replay a trace on virtual GPUs: peaks, breakdown, first OOM, what-ifs",
	.help_fn = print_help,
};
