/*
 * cmd_diff.c - `vramsim diff`: two replays on the same GPUs, side by
 * side: two traces under the same what-if options, or one trace under
 * two (--against). The comparison is in export_diff.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export.h"
#include "scenario.h"
#include "util.h"

enum { OPT_JSON = CLI_KEY, OPT_AGAINST };

static const struct cli_opt diff_opts[] = {
	{ "against", OPT_AGAINST, "OPTIONS", "compare A with itself under OPTIONS", NULL },
	{ "json", OPT_JSON, NULL, "machine-readable (versioned; raw bytes, B - A signed)", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

/*
 * Apply the what-if options in the string s to *o. The words are split
 * on blanks into *words (kept: *o points into it; free() it) and parsed
 * with the same option table as the command line.
 */
static int parse_against(const char *s, struct scen_opts *o, char **words, char **cause)
{
	static const struct option opts[] = { SCEN_LONGOPTS { NULL, 0, NULL, 0 } };
	char *buf = *words = util_xstrdup(s), *save = NULL;
	char **av = util_xcalloc(strlen(s) / 2 + 3, sizeof(char *));
	int ac = 0, c, rc = 0;
	av[ac++] = (char *)"vramsim diff --against";
	for (char *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		av[ac++] = w;
	optind = 1;
	while (!rc && (c = getopt_long(ac, av, "", opts, NULL)) != -1) {
		if (c == '?')
			rc = util_err(cause, UTIL_EINPUT, "--against '%s': expected what-if options", s);
		else if ((rc = scen_opt(o, c, optarg, cause)) > 0)
			rc = 0;
		else if (rc == 0)
			rc = util_err(cause, UTIL_EINPUT, "--against '%s': expected what-if options", s);
	}
	if (!rc && optind < ac)
		rc = util_err(cause, UTIL_EINPUT, "--against: unexpected '%s' (give options only)",
			      av[optind]);
	if (!rc && ac == 1)
		rc = util_err(cause, UTIL_EINPUT, "--against needs what-if options, e.g. '--ctx 32768'");
	free(av);
	return rc;
}

/* Without --gpus: A's recorded GPUs, as a spec both sides parse alike. */
static int default_gpus(struct store *st, const char *ref, char *spec, int n, char **cause)
{
	int64_t id;
	struct topo t;
	int assumed = 0;
	int rc = store_trace_resolve(st, ref, &id, cause);
	if (rc || (rc = scen_recorded_topo(st, id, NULL, &t, &assumed, cause)))
		return rc;
	if (assumed)
		cli_warn("%d GPU%s of unknown size in '%s': assuming 80G (use --gpus)", assumed,
			 assumed > 1 ? "s" : "", ref);
	topo_format(&t, spec, n);
	return 0;
}

struct args {
	const char *a, *b, *against;
	int json;
	struct scen_opts so;
};

static int parse(struct cli_ctx *cx, struct args *a)
{
	const char *arg;
	int c;
	memset(a, 0, sizeof(*a));
	a->so = *cx->whatif;
	while ((c = cli_next(cx, &arg)) != -1) {
		switch (c) {
		case OPT_JSON: a->json = 1; break;
		case OPT_AGAINST: a->against = arg; break;
		}
	}
	if (a->so.model_spec)
		return cli_usage("diff", "--model: diff compares stored traces; use replay");
	int want = a->against ? 1 : 2;
	if (cx->argc != want)
		return cli_usage("diff", a->against ? "give one trace with --against" :
				 "give two traces A B, or one trace and --against 'OPTIONS'");
	a->a = cx->argv[0];
	a->b = a->against ? cx->argv[0] : cx->argv[1];
	return 0;
}

static int run(struct store *st, const char *ref, const struct scen_opts *o, struct scen *sc,
	       struct sim_result *res, char **cause)
{
	int rc = scen_prepare(st, ref, o, sc, cause);
	return rc ? rc : scen_run(st, sc, NULL, res, cause);
}

/* B's notes that A has too are said once. */
static int has_note(const struct scen *sc, const char *note)
{
	for (int i = 0; i < sc->n_notes; i++)
		if (!strcmp(sc->notes[i], note))
			return 1;
	return 0;
}

static int cmd_diff(struct cli_ctx *cx)
{
	struct args a;
	int rc = parse(cx, &a);
	if (rc)
		return rc;
	struct scen_opts ob = a.so;
	char *cause = NULL, *words = NULL;
	if (a.against && !(rc = parse_against(a.against, &ob, &words, &cause)) && ob.model_spec)
		rc = util_err(&cause, UTIL_EINPUT, "--against: --model: diff compares stored traces");
	if (rc) {
		cli_usage("diff", "%s", cause);
		free(cause);
		free(words);
		return CLI_USAGE;
	}
	/* A and B may name models (a GGUF file, ollama:, model:): planned by
	 * the engine, no store needed unless one is a trace or store: */
	struct store *st = NULL;
	int need_store = !engrow_is_model(a.a) || !strncmp(a.a, "store:", 6) || !engrow_is_model(a.b) ||
			 !strncmp(a.b, "store:", 6);
	if (need_store && (rc = cli_store(cx, &st))) {
		free(words);
		return rc;
	}
	/* Room for TOPO_MAX_GPUS groups of the longest size. */
	char *spec = util_xcalloc(TOPO_MAX_GPUS, 32);
	struct scen sa, sb;
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	struct sim_result *ra = util_xcalloc(1, sizeof(*ra)), *rb = util_xcalloc(1, sizeof(*rb));
	if (!a.so.gpus && engrow_is_model(a.a))
		rc = util_err(&cause, UTIL_EINPUT, "%s is a model: give --gpus (e.g. --gpus 4x24G)", a.a);
	else if (!a.so.gpus && !(rc = default_gpus(st, a.a, spec, TOPO_MAX_GPUS * 32, &cause)) &&
	    !(rc = scen_opts_gpus(&a.so, spec, &cause)) && !ob.gpus)
		rc = scen_opts_gpus(&ob, spec, &cause);
	if (!rc && !(rc = run(st, a.a, &a.so, &sa, ra, &cause)))
		rc = run(st, a.b, &ob, &sb, rb, &cause);
	for (int i = 0; !rc && i < sa.n_notes; i++)
		cli_warn("%s", sa.notes[i]);
	for (int i = 0; !rc && i < sb.n_notes; i++)
		if (!has_note(&sa, sb.notes[i]))
			cli_warn("B: %s", sb.notes[i]);
	if (!rc) {
		struct export_side xa = { ra, sa.trace, sa.trace_name, sa.topo_str, sa.desc };
		struct export_side xb = { rb, sb.trace, sb.trace_name, sb.topo_str, sb.desc };
		if (a.json)
			export_diff_json(stdout, &xa, &xb);
		else
			export_diff_table(stdout, &xa, &xb);
	}
	scen_clear(&sa);
	scen_clear(&sb);
	free(ra);
	free(rb);
	free(spec);
	free(words);
	return rc ? cli_fail(rc, cause) : 0;
}

const struct cli_cmd cmd_diff_entry = {
	.name = "diff",
	.summary = "compare two replays per GPU and category: two traces, or one under two what-ifs",
	.usage = "[--store DB] A B [--gpus SPEC] [what-if options] [--json] [-q]\n"
		 "       vramsim diff [--store DB] A --against 'OPTIONS' [--gpus SPEC] [what-if options]\n"
		 "                    [--json] [-q]",
	.about = "Replay two traces A and B (ids or names) on the same GPUs with the same\n"
		 "what-if options, or trace A twice, the second time with OPTIONS (what-if\n"
		 "options in one quoted argument, e.g. --against '--ctx 65536 --kv-type q8_0')\n"
		 "added. Print per GPU and category the MiB at each one's peak, B - A, and the\n"
		 "difference of the peaks. A llama.cpp/Ollama load is recomposed as `vramsim\n"
		 "replay` does. Without --gpus both run on A's recorded GPUs (80G where the\n"
		 "trace does not say). A or B may name a model instead (a GGUF file,\n"
		 "ollama:NAME, store:PROFILE, model:KEY=V): llama.cpp's own plan of it\n"
		 "(needs --gpus).\n",
	.opts = diff_opts,
	.more = "examples:\n"
		"  vramsim diff run-a run-b --gpus 2x24G\n"
		"  vramsim diff 3 --against '--ctx 32768' --meta ctx=8192\n"
		"\nexit status: 0 ok, 1 runtime error, 2 usage or input error\n",
	.flags = CLI_STORE_RO | CLI_WHATIF, .fn = cmd_diff,
};
