/*
 * cmd_import.c - `vramsim import`: turn files into traces in the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "imp.h"
#include "util.h"

static const char help[] =
	"usage: vramsim import [--store DB] [--format F] [--name N] [--strict]\n"
	"                      [--label-rules FILE] [-q] FILE...\n"
	"\n"
	"Import each FILE into the trace store, one transaction per file: a file\n"
	"that fails to import leaves the store as it was. The format is detected\n"
	"from the content unless --format names it.\n"
	"\n"
	"options:\n"
	"  --store DB          the store (default ./vramsim.db or $VRAMSIM_STORE)\n"
	"  --format F          one of the formats below\n"
	"  --name N            name of the trace (a log with several loads gives N, N#2, ...)\n"
	"  --strict            a truncated input is an error (exit 2), not a warning\n"
	"  --label-rules FILE  regex rules that label allocations by stack frame\n"
	"  -q, --quiet         no warnings\n"
	"\n"
	"formats:\n";

static void print_help(FILE *out)
{
	fputs(help, out);
	for (const struct imp_format *f = imp_formats; f->name; f++)
		fprintf(out, "  %-10s %s\n", f->name, f->desc);
	fprintf(out, "\nexample:\n  vramsim import tests/data/logs/ollama-9181-70b-4x22g-64k.log\n");
}

static int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "strict", no_argument, NULL, 'S' },
		{ "label-rules", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct imp_opts o = { 0 };
	const char *store_opt = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'f': o.format = optarg; break;
		case 'n':
			if (!*optarg)
				return cli_usage("import", "--name needs a name");
			o.name = optarg;
			break;
		case 'S': o.strict = 1; break;
		case 'L': o.label_rules = optarg; break;
		case 'q': o.quiet = cli_quiet = 1; break;
		case 'h': print_help(stdout); return 0;
		default: return cli_usage("import", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage("import", "no FILE to import");
	if (o.format && !imp_format_find(o.format))
		return cli_usage("import", "unknown format '%s'", o.format);
	if (o.name && argc - optind > 1)
		return cli_usage("import", "--name takes one FILE at a time");
	struct store *st;
	int rc = cli_open_store(store_opt, STORE_CREATE, &st);
	if (rc)
		return rc;
	int worst = 0;
	for (int i = optind; i < argc; i++) {
		struct imp_ctx res;
		char *cause = NULL;
		int r = imp_file(st, argv[i], &o, &res, &cause);
		if (r) {
			int code = cli_fail(r, cause);
			if (code > worst)
				worst = code;
			continue;
		}
		for (int k = 0; k < res.n_traces; k++) {
			struct store_trace_info ti;
			if (store_trace_get(st, res.traces[k], &ti, NULL) == 0) {
				printf("imported %s as trace %lld '%s' (%lld events%s)\n", argv[i],
				       (long long)ti.id, ti.name, (long long)ti.n_events,
				       ti.truncated ? ", truncated" : "");
				store_trace_info_clear(&ti);
			}
		}
		if (res.summary)
			printf("  %s\n", res.summary);
		free(res.summary);
	}
	if (!worst && !cli_quiet)
		fprintf(stderr, "next: vramsim replay --store %s --gpus 4x24G\n", store_path(st));
	store_close(st);
	return worst;
}

const struct cli_cmd cmd_import_entry = {
	.name = "import",
	.fn = cmd_import,
	.summary = "import logs, GGUF headers, recorded traces, snapshots into the store",
	.help_fn = print_help, /* the format list is generated */
};
