/*
 * cmd_import.c - `vramsim import`: turn files into traces in the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "imp.h"
#include "util.h"

enum { OPT_FORMAT = CLI_KEY, OPT_NAME, OPT_STRICT, OPT_RULES };

static const struct cli_opt import_opts[] = {
	{ "format", OPT_FORMAT, "F", "one of the formats below", NULL },
	{ "name", OPT_NAME, "N", "name of the trace (a log with several loads gives N, N#2, ...)", NULL },
	{ "strict", OPT_STRICT, NULL, "a truncated input is an error (exit 2), not a warning", NULL },
	{ "label-rules", OPT_RULES, "FILE", "regex rules that label allocations by stack frame",
	  CLI_VAL_FILE },
	{ NULL, 0, NULL, NULL, NULL },
};

static void print_formats(FILE *out)
{
	for (const struct imp_format *f = imp_formats; f->name; f++)
		fprintf(out, "  %-10s %s\n", f->name, f->desc);
	fprintf(out, "\nexample:\n  vramsim import tests/data/logs/ollama-9181-70b-4x22g-64k.log\n");
}

static int cmd_import(struct cli_ctx *cx)
{
	struct imp_opts o = { 0 };
	const char *arg;
	int c, argc = cx->argc, first = 0;
	char **argv = cx->argv;
	while ((c = cli_next(cx, &arg)) != -1) {
		switch (c) {
		case OPT_FORMAT: o.format = arg; break;
		case OPT_NAME:
			if (!*arg)
				return cli_usage("import", "--name needs a name");
			o.name = arg;
			break;
		case OPT_STRICT: o.strict = 1; break;
		case OPT_RULES: o.label_rules = arg; break;
		}
	}
	o.quiet = cli_quiet;
	if (first >= argc)
		return cli_usage("import", "no FILE to import");
	if (o.format && !imp_format_find(o.format))
		return cli_usage("import", "unknown format '%s'", o.format);
	if (o.name && argc - first > 1)
		return cli_usage("import", "--name takes one FILE at a time");
	struct store *st;
	int rc = cli_store(cx, &st);
	if (rc)
		return rc;
	int worst = 0;
	for (int i = first; i < argc; i++) {
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
	return worst;
}

const struct cli_cmd cmd_import_entry = {
	.name = "import",
	.summary = "import logs, GGUF headers, recorded traces, snapshots into the store",
	.usage = "[--store DB] [--format F] [--name N] [--strict]\n"
		 "                      [--label-rules FILE] [-q] FILE...",
	.about = "Import each FILE into the trace store, one transaction per file: a file\n"
		 "that fails to import leaves the store as it was. The format is detected\n"
		 "from the content unless --format names it.\n",
	.opts = import_opts,
	.more = "formats:\n",
	.more_fn = print_formats, /* the format list is generated */
	.flags = CLI_STORE_RW, .fn = cmd_import,
};
