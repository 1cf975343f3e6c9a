/*
 * cmd_ls.c - `vramsim ls` and `vramsim show`: what the store holds.
 */
#include <sqlite3.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "settings.h"
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

/* The model profiles (imported GGUF headers) that --profile can name;
 * returns how many. json: a "profiles" array member. */
static int print_profiles(struct store *st, int json)
{
	sqlite3_stmt *s;
	int n = 0;
	if (json)
		printf(",\"profiles\":[");
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT id, name, coalesce(arch, ''), "
			       "coalesce(n_layer, 0), coalesce(n_ctx_train, 0), coalesce(file_size, 0), "
			       "coalesce(source, '') FROM profiles ORDER BY id", -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(s, 0);
			const char *name = (const char *)sqlite3_column_text(s, 1);
			const char *arch = (const char *)sqlite3_column_text(s, 2);
			int64_t nl = sqlite3_column_int64(s, 3), ctx = sqlite3_column_int64(s, 4);
			int64_t size = sqlite3_column_int64(s, 5);
			const char *src = (const char *)sqlite3_column_text(s, 6);
			if (json) {
				printf("%s{\"id\":%" PRId64 ",\"name\":", n ? "," : "", id);
				util_json_str(stdout, name);
				printf(",\"arch\":");
				util_json_str(stdout, arch);
				printf(",\"layers\":%" PRId64 ",\"ctx_train\":%" PRId64 ",\"file_size\":%" PRId64
				       ",\"source\":", nl, ctx, size);
				util_json_str(stdout, src);
				putchar('}');
			} else {
				if (!n)
					printf("\nmodel profiles (GGUF; replay --profile NAME|ID):\n%4s  %-40s "
					       "%-10s %6s %9s  %s\n", "ID", "NAME", "ARCH", "LAYERS", "CTX_TRAIN",
					       "SOURCE");
				/* names come from input: escaped for the terminal */
				char en[256], ea[64], es[1024];
				printf("%4" PRId64 "  %-40s %-10s %6" PRId64 " %9" PRId64 "  %s\n", id,
				       util_term_str(en, sizeof(en), name), util_term_str(ea, sizeof(ea), arch),
				       nl, ctx, util_term_str(es, sizeof(es), src));
			}
			n++;
		}
		sqlite3_finalize(s);
	}
	if (json)
		putchar(']');
	return n;
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
	/* Names come from input: escaped for the terminal, and the columns
	 * as wide as the widest (in characters) escaped name. */
	char **name = util_xcalloc(n + 1, sizeof(*name));
	char **fmt = util_xcalloc(n + 1, sizeof(*fmt));
	char **src = util_xcalloc(n + 1, sizeof(*src));
	size_t wn = 4, wf = 6;
	for (size_t i = 0; i < n && !json; i++) {
		name[i] = util_term_xstr(t[i].name);
		fmt[i] = util_term_xstr(t[i].format);
		src[i] = util_term_xstr(t[i].source ? t[i].source : "");
		if (util_utf8_width(name[i]) > wn)
			wn = util_utf8_width(name[i]);
		if (util_utf8_width(fmt[i]) > wf)
			wf = util_utf8_width(fmt[i]);
	}
	if (json)
		printf("{\"format\":\"vramsim-ls\",\"version\":1,\"traces\":[");
	else if (n)
		printf("%4s  %-*s  %-*s %9s %4s  %s\n", "ID", (int)wn, "NAME", (int)wf, "FORMAT",
		       "EVENTS", "DEVS", "SOURCE");
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
			/* printf pads bytes; pad characters so UTF-8 names align */
			printf("%4" PRId64 "  %s%*s  %s%*s %9" PRId64 " %4zu  %s%s\n", t[i].id, name[i],
			       (int)(wn - util_utf8_width(name[i])), "", fmt[i],
			       (int)(wf - util_utf8_width(fmt[i])), "", t[i].n_events, nd, src[i],
			       t[i].truncated ? " (truncated)" : "");
		}
		free(d);
		free(name[i]);
		free(fmt[i]);
		free(src[i]);
		store_trace_info_clear(&t[i]);
	}
	free(name);
	free(fmt);
	free(src);
	if (json)
		printf("]");
	int np = print_profiles(st, json);
	if (json)
		printf("}\n");
	else if (!n && !np)
		fprintf(stderr, "vramsim: %s holds no trace; run 'vramsim import FILE'\n",
			store_path(st));
	free(t);
	return 0;
}

/* Events by kind ("alloc 17, free 3"); json: an "event_counts" object. */
static void print_event_kinds(struct store *st, int64_t id, int json)
{
	struct store_event_stat *es = NULL;
	size_t ne = 0;
	int64_t by[64] = { 0 };
	if (store_event_stats(st, id, &es, &ne, NULL) == 0)
		for (size_t i = 0; i < ne; i++)
			if (es[i].kind >= 0 && es[i].kind < 64)
				by[es[i].kind] += es[i].n;
	free(es);
	printf(json ? ",\"event_counts\":{" : "  events by kind:");
	int n = 0;
	for (int k = 0; k < 64; k++)
		if (by[k]) {
			if (json)
				printf("%s\"%s\":%" PRId64, n ? "," : "", trace_kind_name(k), by[k]);
			else
				printf("%s %s %" PRId64, n ? "," : "", trace_kind_name(k), by[k]);
			n++;
		}
	printf(json ? "}" : n ? "\n" : " none\n");
}

/* Settings as "key=value" lines, several per line; then the declared
 * settings the what-if engine reads that this load lacks (a missing
 * value is a fallback the user should see). json: the same as an object
 * "settings" and an array "unset". */
static void print_settings(struct store *st, int64_t id, int json)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT key, value FROM settings WHERE trace_id=?"
				   " ORDER BY key", -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, id);
	int col = 0, n = 0;
	uint8_t have[SET_COUNT_] = { 0 };
	int loads = 0; /* any key the what-if engine reads: a model load */
	if (json)
		printf(",\"settings\":{");
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 1);
		for (size_t i = 0; i < SET_COUNT_; i++)
			if (strcmp(settings_keys[i], k) == 0) {
				have[i] = 1;
				loads |= settings_info((enum settings_key)i)->flags & SETT_SIM;
			}
		if (json) {
			printf("%s", n++ ? "," : "");
			util_json_str(stdout, k);
			putchar(':');
			util_json_str(stdout, v ? v : "");
			continue;
		}
		char ek[256], ev[512];
		int w = printf("%s%s=%s", col ? "  " : "  settings: ", util_term_str(ek, sizeof(ek), k),
			       util_term_str(ev, sizeof(ev), v ? v : ""));
		col += w;
		if (col > 80) {
			putchar('\n');
			col = 0;
		}
	}
	sqlite3_finalize(s);
	if (json)
		printf("},\"unset\":[");
	else if (col)
		putchar('\n');
	n = 0;
	for (size_t i = 0; loads && i < SET_COUNT_; i++) {
		const struct settings_info *si = settings_info((enum settings_key)i);
		if (have[i] || !(si->flags & SETT_SIM))
			continue;
		if (json) {
			printf("%s", n++ ? "," : "");
			util_json_str(stdout, si->key);
		} else {
			printf("%s%s", n++ ? ", " : "  not in the log (what-ifs use a fallback): ", si->key);
		}
	}
	if (json)
		putchar(']');
	else if (n)
		putchar('\n');
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
		printf(",\"events\":%" PRId64 ",\"truncated\":%s,\"note\":", ti.n_events,
		       ti.truncated ? "true" : "false");
		if (ti.note)
			util_json_str(stdout, ti.note);
		else
			printf("null");
		if (ti.profile_id)
			printf(",\"profile\":%" PRId64, ti.profile_id);
		else
			printf(",\"profile\":null");
		printf(",\"devices\":[");
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
		putchar(']');
		print_event_kinds(st, id, 1);
		print_settings(st, id, 1);
		printf("}\n");
	} else {
		/* Every name here comes from input: escaped for the terminal. */
		char a[1024], b[256], c[2048];
		printf("trace %" PRId64 " '%s' (%s) from %s\n", id, util_term_str(a, sizeof(a), ti.name),
		       util_term_str(b, sizeof(b), ti.format),
		       util_term_str(c, sizeof(c), ti.source ? ti.source : "?"));
		printf("  events: %" PRId64 "%s\n", ti.n_events, ti.truncated ? " (truncated)" : "");
		print_event_kinds(st, id, 0);
		if (ti.note)
			printf("  note: %s\n", util_term_str(c, sizeof(c), ti.note));
		if (ti.profile_id)
			printf("  profile: %" PRId64 " (attached)\n", ti.profile_id);
		for (size_t i = 0; i < nd; i++) {
			char mib[32];
			printf("  device %d: %s%s%s  total %s MiB\n", d[i].index,
			       util_term_str(a, sizeof(a), d[i].name[0] ? d[i].name : "(unnamed)"),
			       d[i].uuid[0] ? " " : "", util_term_str(b, sizeof(b), d[i].uuid),
			       d[i].total ? util_mib(mib, sizeof(mib), d[i].total, 0) : "?");
		}
		print_settings(st, id, 0);
		for (size_t i = 0; i < ne; i++) {
			char mib[32];
			printf("  estimate %s %s %s: %s MiB\n", util_term_str(a, sizeof(a), e[i].engine),
			       e[i].device < 0 ? "all" : "gpu", util_term_str(b, sizeof(b), e[i].key),
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
