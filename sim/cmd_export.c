/*
 * cmd_export.c - `vramsim export`: a replay as CSV, JSON or a Perfetto
 * trace, for spreadsheets, scripts and ui.perfetto.dev. The work is in
 * export.c; this file parses options and picks the scenario.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export.h"
#include "scenario.h"
#include "util.h"

enum { OPT_FORMAT = CLI_KEY, OPT_NOHEADER, OPT_OUTPUT = 'o', OPT_FORCE = 'f' };

static const struct cli_opt export_opts[] = {
	{ "format", OPT_FORMAT, "F", "csv, json or perfetto (required)", "csv json perfetto" },
	{ "output", OPT_OUTPUT, "FILE", "write FILE instead of standard output; it appears whole\n"
	  "or not at all", CLI_VAL_FILE },
	{ "force", OPT_FORCE, NULL, "overwrite FILE", NULL },
	{ "no-header", OPT_NOHEADER, NULL, "csv without its header row", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

struct args {
	const char *ref, *out;
	int format, header, force;
	struct scen_opts so;
};

static int parse(struct cli_ctx *cx, struct args *a)
{
	const char *arg;
	int c;
	memset(a, 0, sizeof(*a));
	a->format = -1;
	a->header = 1;
	a->so = *cx->whatif;
	a->ref = cx->trace;
	while ((c = cli_next(cx, &arg)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if ((a->format = export_format_parse(arg)) < 0)
				return cli_usage("export", "--format '%s': expected csv, json or perfetto", arg);
			break;
		case OPT_NOHEADER: a->header = 0; break;
		case OPT_OUTPUT: a->out = arg; break;
		case OPT_FORCE: a->force = 1; break;
		}
	}
	if (a->format < 0)
		return cli_usage("export", "say which format: --format csv, json or perfetto");
	if (a->out && !strcmp(a->out, "-"))
		a->out = NULL;
	return 0;
}

/* The scenario replay would print for the same options. */
static int prepare(struct store *st, const struct args *a, struct scen *sc, char **cause)
{
	int assumed = 0;
	int rc = export_replay_scen(st, a->ref, &a->so, sc, &assumed, cause);
	if (!rc && assumed)
		cli_warn("%d GPU%s of unknown size: assuming 80G (use --gpus)", assumed,
			 assumed > 1 ? "s" : "");
	return rc;
}

static int cmd_export(struct cli_ctx *cx)
{
	struct args a;
	int rc = parse(cx, &a);
	if (rc)
		return rc;
	struct store *st = NULL;
	if ((rc = cli_store(cx, &st)))
		return rc;
	char *cause = NULL;
	struct scen sc;
	struct export_out out = { 0 };
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	memset(&sc, 0, sizeof(sc));
	/* Refuse an existing FILE before any work or note. */
	if (a.out)
		rc = export_out_open(&out, a.out, a.force, &cause);
	if (!rc)
		rc = prepare(st, &a, &sc, &cause);
	for (int i = 0; !rc && i < sc.n_notes; i++)
		cli_warn("%s", sc.notes[i]);
	if (!rc)
		rc = export_scen(a.out ? out.f : stdout, a.format, a.header, st, &sc, res, &cause);
	if (!rc && a.out)
		rc = export_out_commit(&out, a.force, &cause);
	export_out_abort(&out);
	if (!rc && res->wrapped_devices)
		cli_warn("the trace uses more devices than %s: the extra ones wrap around", sc.topo_str);
	if (!rc && res->n_events == 0)
		cli_warn("trace '%s' holds no events: nothing to export", sc.trace_name);
	scen_clear(&sc);
	free(res);
	return rc ? cli_fail(rc, cause) : 0;
}

const struct cli_cmd cmd_export_entry = {
	.name = "export",
	.summary = "write a replay as CSV, JSON or a Perfetto trace (ui.perfetto.dev)",
	.usage = "[--store DB] [TRACE] --format csv|json|perfetto\n"
		 "                      [-o FILE [-f]] [--no-header] [what-if options] [-q]",
	.about = "Write the replay of TRACE (default: the newest) for other tools. Without\n"
		 "what-if options: the events as recorded, on --gpus or the recorded GPUs (80G\n"
		 "where the trace does not say), every failing allocation marked and skipped.\n"
		 "With what-if options: the scenario's events, as `vramsim replay` plays them.\n"
		 "\n"
		 "formats:\n"
		 "  csv       one row per event as replayed, with the usage of its GPU after it:\n"
		 "            t_ns,pid,seq,kind,gpu,category,size,addr,layer_lo,layer_hi,used_gpu,label\n"
		 "            (empty: host memory, no layer, no address, no label; bytes, ns)\n"
		 "  json      {\"format\":\"vramsim-export\",\"version\":1,\"trace\":..,\"topology\":..,\n"
		 "            \"events\":[..],\"summary\":..}: the same fields, null for empty\n"
		 "  perfetto  Chrome trace JSON for ui.perfetto.dev: per GPU one track per\n"
		 "            category, memory.used and memory.total (the capacity); host\n"
		 "            memory (pinned and CPU buffers) likewise; all in MiB, as\n"
		 "            nvidia-smi; an instant event at each OOM. A log has no clock:\n"
		 "            its events are 1 ms apart, in the order the log gives\n",
	.opts = export_opts,
	.more = "examples:\n"
		"  vramsim export --format perfetto -o run.json     # open in ui.perfetto.dev\n"
		"  vramsim export --format csv --gpus 2x24G --ctx 32768 > whatif.csv\n"
		"\nexit status: 0 ok, 1 runtime error, 2 usage or input error\n",
	.flags = CLI_STORE_RO | CLI_WHATIF | CLI_TRACE, .fn = cmd_export,
};
