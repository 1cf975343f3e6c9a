/*
 * cmd_import.c - `vramsim import`: turn files into traces in the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	int stdin_uses = 0;
	for (int i = first; i < argc; i++)
		stdin_uses += strcmp(argv[i], "-") == 0;
	if (stdin_uses > 1)
		return cli_usage("import", "'-' (standard input) can be read once only");
	/* A store this import creates is removed again when nothing got in:
	 * a failed first import leaves no empty store behind. */
	struct stat sb;
	char *path = util_xstrdup(cli_store_path(cx->store_opt));
	int existed = stat(path, &sb) == 0;
	struct store *st;
	int rc = cli_store(cx, &st);
	if (rc) {
		free(path);
		return rc;
	}
	int worst = 0, n_ok = 0;
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
		n_ok++;
		for (int k = 0; k < res.n_traces; k++) {
			struct store_trace_info ti;
			if (store_trace_get(st, res.traces[k], &ti, NULL) == 0) {
				printf("imported %s as trace %lld '%s' (%lld events%s)\n",
				       strcmp(argv[i], "-") == 0 ? "stdin" : argv[i],
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
	if (!existed && !n_ok) {
		store_close(cx->st_);
		cx->st_ = NULL;
		static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
		for (size_t k = 0; k < UTIL_ARRAY_SIZE(sfx); k++) {
			char *f = util_xasprintf("%s%s", path, sfx[k]);
			unlink(f);
			free(f);
		}
	}
	free(path);
	return worst;
}

const struct cli_cmd cmd_import_entry = {
	.name = "import",
	.summary = "import logs, GGUF headers, recorded traces, snapshots into the store",
	.usage = "[--store DB] [--format F] [--name N] [--strict]\n"
		 "                      [--label-rules FILE] [-q] FILE...",
	.about = "Import each FILE into the trace store, one transaction per file: a file\n"
		 "that fails to import leaves the store as it was (and a store that this\n"
		 "import would have created is not left behind). The format is detected\n"
		 "from the content unless --format names it. FILE '-' is standard input\n"
		 "(journalctl -u ollama --no-pager | vramsim import -); .gz and .zst files\n"
		 "are inflated first; a FIFO without a writer reads as empty.\n",
	.opts = import_opts,
	.more = "formats:\n",
	.more_fn = print_formats, /* the format list is generated */
	.flags = CLI_STORE_RW, .fn = cmd_import,
};
