/*
 * cmd_ls.c - `vramsim ls` and `vramsim show`: what the store holds.
 */
#include <sqlite3.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

enum { OPT_JSON = CLI_KEY };

static const struct cli_opt ls_opts[] = {
	{ "json", OPT_JSON, NULL, "machine-readable (versioned)", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

/* --json, the only option of ls and show. */
static int want_json(struct cli_ctx *cx)
{
	const char *arg;
	int json = 0;
	while (cli_next(cx, &arg) == OPT_JSON)
		json = 1;
	return json;
}

static int cmd_ls(struct cli_ctx *cx)
{
	int json = want_json(cx), rc;
	if (cx->argc)
		return cli_usage("ls", "unexpected argument '%s'", cx->argv[0]);
	struct store *st;
	if ((rc = cli_store(cx, &st)))
		return rc;
	struct store_trace_info *t = NULL;
	size_t n = 0;
	char *cause = NULL;
	if ((rc = store_trace_list(st, &t, &n, &cause))) {
		return cli_fail(rc, cause);
	}
	if (json)
		printf("{\"format\":\"vramsim-ls\",\"version\":1,\"traces\":[");
	else if (n)
		printf("%4s  %-40s %-9s %9s %4s  %s\n", "ID", "NAME", "FORMAT", "EVENTS", "DEVS",
		       "SOURCE");
	for (size_t i = 0; i < n; i++) {
		struct trace_device *d = NULL;
		size_t nd = 0;
		store_devices(st, t[i].id, &d, &nd, NULL);
		if (json) {
			printf("%s{\"id\":%" PRId64 ",\"name\":", i ? "," : "", t[i].id);
			util_json_str(stdout, t[i].name);
			printf(",\"format\":");
			util_json_str(stdout, t[i].format);
			printf(",\"events\":%" PRId64 ",\"devices\":%zu,\"truncated\":%s,\"source\":",
			       t[i].n_events, nd, t[i].truncated ? "true" : "false");
			util_json_str(stdout, t[i].source);
			printf("}");
		} else {
			printf("%4" PRId64 "  %-40s %-9s %9" PRId64 " %4zu  %s%s\n", t[i].id, t[i].name,
			       t[i].format, t[i].n_events, nd, t[i].source ? t[i].source : "",
			       t[i].truncated ? " (truncated)" : "");
		}
		free(d);
		store_trace_info_clear(&t[i]);
	}
	if (json)
		printf("]}\n");
	else if (!n)
		fprintf(stderr, "vramsim: %s holds no trace; run 'vramsim import FILE'\n",
			store_path(st));
	free(t);
	return 0;
}

/* Settings as "key=value" lines, several per line. */
static void print_settings(struct store *st, int64_t id)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT key, value FROM settings WHERE trace_id=?"
				   " ORDER BY key", -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, id);
	int col = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 1);
		int w = printf("%s%s=%s", col ? "  " : "  settings: ", k, v ? v : "");
		col += w;
		if (col > 80) {
			putchar('\n');
			col = 0;
		}
	}
	if (col)
		putchar('\n');
	sqlite3_finalize(s);
}

static int cmd_show(struct cli_ctx *cx)
{
	const char *ref = cx->trace;
	int json = want_json(cx), rc;
	struct store *st;
	if ((rc = cli_store(cx, &st)))
		return rc;
	char *cause = NULL;
	int64_t id;
	struct store_trace_info ti;
	if ((rc = store_trace_resolve(st, ref, &id, &cause)) ||
	    (rc = store_trace_get(st, id, &ti, &cause))) {
		return cli_fail(rc, cause);
	}
	struct trace_device *d = NULL;
	size_t nd = 0;
	struct store_estimate *e = NULL;
	size_t ne = 0;
	store_devices(st, id, &d, &nd, NULL);
	store_estimates(st, id, &e, &ne, NULL);
	if (json) {
		printf("{\"format\":\"vramsim-show\",\"version\":1,\"id\":%" PRId64 ",\"name\":", id);
		util_json_str(stdout, ti.name);
		printf(",\"source_format\":");
		util_json_str(stdout, ti.format);
		printf(",\"source\":");
		util_json_str(stdout, ti.source);
		printf(",\"events\":%" PRId64 ",\"truncated\":%s,\"devices\":[", ti.n_events,
		       ti.truncated ? "true" : "false");
		for (size_t i = 0; i < nd; i++) {
			printf("%s{\"index\":%d,\"name\":", i ? "," : "", d[i].index);
			util_json_str(stdout, d[i].name);
			printf(",\"uuid\":");
			util_json_str(stdout, d[i].uuid);
			if (d[i].total)
				printf(",\"total\":%" PRIu64 "}", d[i].total);
			else
				printf(",\"total\":null}");
		}
		printf("],\"estimates\":[");
		for (size_t i = 0; i < ne; i++) {
			printf("%s{\"engine\":", i ? "," : "");
			util_json_str(stdout, e[i].engine);
			printf(",\"device\":%d,\"key\":", e[i].device);
			util_json_str(stdout, e[i].key);
			printf(",\"bytes\":%" PRIu64 "}", e[i].bytes);
		}
		printf("]}\n");
	} else {
		printf("trace %" PRId64 " '%s' (%s) from %s\n", id, ti.name, ti.format,
		       ti.source ? ti.source : "?");
		printf("  events: %" PRId64 "%s\n", ti.n_events, ti.truncated ? " (truncated)" : "");
		if (ti.note)
			printf("  note: %s\n", ti.note);
		for (size_t i = 0; i < nd; i++) {
			char mib[32];
			printf("  device %d: %s%s%s  total %s MiB\n", d[i].index,
			       d[i].name[0] ? d[i].name : "(unnamed)", d[i].uuid[0] ? " " : "",
			       d[i].uuid, d[i].total ? util_mib(mib, sizeof(mib), d[i].total, 0) : "?");
		}
		print_settings(st, id);
		for (size_t i = 0; i < ne; i++) {
			char mib[32];
			printf("  estimate %s %s %s: %s MiB\n", e[i].engine,
			       e[i].device < 0 ? "all" : "gpu", e[i].key,
			       util_mib(mib, sizeof(mib), e[i].bytes, 1));
		}
	}
	free(d);
	free(e);
	store_trace_info_clear(&ti);
	return 0;
}

const struct cli_cmd cmd_ls_entry = {
	.name = "ls", .summary = "list the traces in the store",
	.usage = "[--store DB] [--json]",
	.about = "List the traces in the store, oldest first: id, name, format, events,\n"
		 "devices and the source file.\n",
	.opts = ls_opts, .flags = CLI_STORE_RO, .fn = cmd_ls,
};

const struct cli_cmd cmd_show_entry = {
	.name = "show", .summary = "describe one trace: devices, settings, estimates",
	.usage = "[--store DB] [--json] [TRACE]",
	.about = "Describe one trace (default: the newest): its devices, settings, the\n"
		 "engine's own estimates, its profile and event counts by kind.\n",
	.opts = ls_opts, .flags = CLI_STORE_RO | CLI_TRACE, .fn = cmd_show,
};
