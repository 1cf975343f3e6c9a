/*
 * cmd_sweep.c - `vramsim sweep`: a grid of what-ifs. With --emit it
 * prints one self-contained `vramsim replay --json` command per scenario,
 * for GNU parallel (also over ssh) or a Slurm job array; without it, it
 * runs them here and prints one line each. vramsim schedules nothing
 * itself: existing engines do that better.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scenario.h"
#include "util.h"

enum { OPT_EMIT = CLI_KEY, OPT_OUT, OPT_MODEL, OPT_AXIS /* + axis index */ };

/* The axes' options, in the order of the axes in cmd_sweep(). */
static const struct cli_opt sweep_opts[] = {
	{ "gpus", OPT_AXIS + 0, "LIST", "GPU sets, ';' between them (e.g. '4x24G;2x24G,1x12G')", NULL },
	{ "ctx", OPT_AXIS + 1, "LIST", "context lengths, ',' between them", NULL },
	{ "parallel", OPT_AXIS + 2, "LIST", "parallel slots", NULL },
	{ "ubatch", OPT_AXIS + 3, "LIST", "micro-batches", NULL },
	{ "split", OPT_AXIS + 4, "LIST", "layer splits, ';' between them", NULL },
	{ "num-gpu", OPT_AXIS + 5, "LIST", "layers on GPUs", NULL },
	{ "kv-type", OPT_AXIS + 6, "LIST", "KV cache types", NULL },
	{ "flash-attn", OPT_AXIS + 7, "LIST", "on, off or on,off", NULL },
	{ "model", OPT_MODEL, "SPEC", "a model never loaded, as for replay --model", NULL },
	{ "emit", OPT_EMIT, NULL, "print one shell command per scenario instead of running it", NULL },
	{ "out", OPT_OUT, "DIR", "with --emit: where the commands write (default sweep-out)",
	  CLI_VAL_DIR },
	{ NULL, 0, NULL, NULL, NULL },
};

#define MAXV 64

struct axis {
	const char *opt;   /* replay option */
	char sep;          /* separator of values */
	char *vals[MAXV];
	int n;
};

static int split_list(struct axis *a, const char *arg, char **cause)
{
	char *copy = util_xstrdup(arg), *save = NULL;
	char sep[2] = { a->sep, 0 };
	for (char *v = strtok_r(copy, sep, &save); v; v = strtok_r(NULL, sep, &save)) {
		if (a->n >= MAXV) {
			free(copy);
			return util_err(cause, UTIL_EINPUT, "%s: more than %d values", a->opt, MAXV);
		}
		a->vals[a->n++] = util_xstrdup(v);
	}
	free(copy);
	return a->n ? 0 : util_err(cause, UTIL_EINPUT, "%s '%s': no values", a->opt, arg);
}

/* Quote s for a POSIX shell: single quotes, ' as '\''. */
static void shq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* A file name for a scenario: its values joined, unsafe bytes as '_'. */
static void name_of(char *buf, size_t n, struct axis *ax, int nax, const int *idx)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int a = 0; a < nax; a++) {
		if (!ax[a].n)
			continue;
		int w = snprintf(buf + off, n - off, "%s%s-%s", off ? "_" : "", ax[a].opt + 2,
				 ax[a].vals[idx[a]]);
		if (w < 0 || (size_t)w >= n - off)
			break;
		off += (size_t)w;
	}
	for (char *p = buf; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '-' && *p != '_' && *p != '.')
			*p = '_';
}

static int cmd_sweep(struct cli_ctx *cx)
{
	struct axis ax[] = {
		{ "--gpus", ';', { 0 }, 0 }, { "--ctx", ',', { 0 }, 0 },
		{ "--parallel", ',', { 0 }, 0 }, { "--ubatch", ',', { 0 }, 0 },
		{ "--split", ';', { 0 }, 0 }, { "--num-gpu", ',', { 0 }, 0 },
		{ "--kv-type", ',', { 0 }, 0 }, { "--flash-attn", ',', { 0 }, 0 },
	};
	enum { NAX = sizeof(ax) / sizeof(ax[0]) };
	const char *out = "sweep-out", *model = NULL, *arg;
	int emit = 0, c, rc = 0;
	char *cause = NULL;
	while (!rc && (c = cli_next(cx, &arg)) != -1) {
		if (c >= OPT_AXIS && c < OPT_AXIS + NAX) {
			rc = split_list(&ax[c - OPT_AXIS], arg, &cause);
			continue;
		}
		switch (c) {
		case OPT_EMIT: emit = 1; break;
		case OPT_OUT: out = arg; break;
		case OPT_MODEL: model = arg; break;
		}
	}
	const char *ref = cx->trace;
	if (!rc && !ax[0].n)
		rc = util_err(&cause, UTIL_EINPUT, "--gpus is required (e.g. --gpus '4x24G;2x24G,1x12G')");
	/* Check every value now, so no emitted command can fail on usage. */
	for (int a = 0; !rc && a < NAX; a++) {
		static const int code[NAX] = { SCEN_OPT_GPUS, SCEN_OPT_CTX, SCEN_OPT_PARALLEL,
					       SCEN_OPT_UBATCH, SCEN_OPT_SPLIT, SCEN_OPT_NUMGPU,
					       SCEN_OPT_KV, SCEN_OPT_FA };
		for (int v = 0; !rc && v < ax[a].n; v++) {
			struct scen_opts so;
			scen_opts_init(&so);
			rc = scen_opt(&so, code[a], ax[a].vals[v], &cause);
			rc = rc < 0 ? rc : 0;
			if (!rc && a == 0) {
				struct topo t;
				rc = topo_parse(ax[a].vals[v], &t, &cause);
			}
		}
	}
	char *store_abs = NULL, *trace_name = NULL, *self = NULL;
	int64_t trace = 0;
	struct store *st = NULL;
	int status = 0;
	if (rc) {
		status = cli_usage("sweep", "%s", cause);
		goto out;
	}
	/* TRACE may name a model (a GGUF file, ollama:, store:, model:): every
	 * scenario is then llama.cpp's own plan, the planner kept between them */
	int is_model = !model && engrow_is_model(ref);
	if (is_model) {
		if (!strncmp(ref, "store:", 6)) {
			if ((status = cli_store(cx, &st)))
				goto out;
			store_abs = realpath(store_path(st), NULL);
		}
		/* an emitted command may run elsewhere: the file's absolute path */
		char *abs = strchr(ref, ':') ? NULL : realpath(ref, NULL);
		trace_name = abs ? abs : util_xstrdup(ref);
	} else if (!model) {
		/* Resolve the trace now: an emitted command must not depend on
		 * which trace is newest when it runs. */
		if ((status = cli_store(cx, &st)))
			goto out;
		store_abs = realpath(store_path(st), NULL);
		struct store_trace_info ti;
		if ((rc = store_trace_resolve(st, ref, &trace, &cause)) ||
		    (rc = store_trace_get(st, trace, &ti, &cause))) {
			status = cli_fail(rc, cause);
			cause = NULL;
			goto out;
		}
		trace_name = util_xstrdup(ti.name);
		store_trace_info_clear(&ti);
	}
	/* The emitted commands name this very binary, so they run the same
	 * vramsim wherever the store path is the same. */
	self = realpath("/proc/self/exe", NULL);
	int idx[NAX] = { 0 }, n = 0, n_fit = 0, n_bad = 0;
	for (;;) {
		char name[512];
		name_of(name, sizeof(name), ax, NAX, idx);
		if (emit) {
			printf("mkdir -p ");
			shq(stdout, out);
			printf(" && ");
			shq(stdout, self ? self : "vramsim");
			printf(" replay");
			if (model) {
				printf(" --model ");
				shq(stdout, model);
			} else if (is_model && !st) {
				putchar(' ');
				shq(stdout, trace_name);
			} else {
				printf(" --store ");
				shq(stdout, store_abs ? store_abs : store_path(st));
				putchar(' ');
				shq(stdout, trace_name);
			}
			for (int a = 0; a < NAX; a++)
				if (ax[a].n) {
					printf(" %s ", ax[a].opt);
					shq(stdout, ax[a].vals[idx[a]]);
				}
			printf(" --json -q > ");
			char *path = util_xasprintf("%s/%s.json", out, name);
			shq(stdout, path);
			free(path);
			putchar('\n');
		} else {
			struct scen_opts so;
			scen_opts_init(&so);
			so.model_spec = model;
			static const int code[NAX] = { SCEN_OPT_GPUS, SCEN_OPT_CTX, SCEN_OPT_PARALLEL,
						       SCEN_OPT_UBATCH, SCEN_OPT_SPLIT, SCEN_OPT_NUMGPU,
						       SCEN_OPT_KV, SCEN_OPT_FA };
			for (int a = 0; a < NAX; a++)
				if (ax[a].n)
					scen_opt(&so, code[a], ax[a].vals[idx[a]], NULL);
			struct scen sc;
			struct sim_result *res = util_xcalloc(1, sizeof(*res));
			char *why = NULL;
			int r = scen_prepare(st, trace_name, &so, &sc, &why);
			if (!r)
				r = scen_run(st, &sc, NULL, res, &why);
			if (r) {
				printf("%-48s error: %s\n", name, why ? why : "?");
				free(why);
				n_bad += r == UTIL_EINPUT; /* contradictory or without basis: exit 2 */
			} else {
				struct verdict vd;
				scen_judge(&sc, res, so.margin, &vd);
				n_fit += vd.kind == VERDICT_FITS;
				if (vd.kind == VERDICT_NOBASIS)
					printf("%-48s no answer: %s\n", name, vd.why);
				else
					printf("%-48s %-10s GPU %d headroom %6.0f MiB +-%.0f%s  (%s)\n", name,
					       vd.kind == VERDICT_NOFIT ? "OOM" : verdict_kind_name(vd.kind),
					       vd.tight, (double)vd.headroom / UTIL_MIB,
					       vd.tight >= 0 ? (double)vd.band[vd.tight] / UTIL_MIB : 0.0,
					       vd.lower_bound ? " lower bound" : "", sc.desc);
			}
			scen_clear(&sc);
			free(res);
		}
		n++;
		int a = NAX - 1;
		for (; a >= 0; a--) {
			if (ax[a].n && ++idx[a] < ax[a].n)
				break;
			idx[a] = 0;
		}
		if (a < 0)
			break;
	}
	if (!emit && !cli_quiet)
		fprintf(stderr, "vramsim: sweep: %d scenarios, %d fit\n", n, n_fit);
	if (!emit && n_bad) {
		fprintf(stderr, "vramsim: sweep: %d of %d scenarios refused as input errors (above)\n", n_bad, n);
		status = 2;
	}
out:
	free(cause);
	free(self);
	free(store_abs);
	free(trace_name);
	for (int a = 0; a < NAX; a++)
		for (int v = 0; v < ax[a].n; v++)
			free(ax[a].vals[v]);
	return status;
}

const struct cli_cmd cmd_sweep_entry = {
	.name = "sweep",
	.summary = "a grid of what-ifs, run here or emitted as commands for parallel/Slurm",
	.usage = "[--store DB] [TRACE | MODEL | --model SPEC] --gpus LIST\n"
		 "                     [--ctx LIST] [--parallel LIST] [--ubatch LIST] [--split LIST]\n"
		 "                     [--num-gpu LIST] [--kv-type LIST] [--flash-attn LIST]\n"
		 "                     [--emit [--out DIR]] [-q]",
	.about = "Every combination of the listed values is one scenario. Lists: --gpus and\n"
		 "--split take ';' between values (their values contain commas), the others ','.\n"
		 "Without --emit each scenario is replayed here and summarised in one line.\n"
		 "MODEL (a GGUF file, ollama:NAME, store:PROFILE, model:KEY=V) in place of\n"
		 "TRACE: each scenario is llama.cpp's own plan (the engine plan).\n"
		 "With --emit one shell command per scenario goes to stdout, each writing\n"
		 "DIR/NAME.json (DIR default sweep-out); run them with e.g.\n"
		 "  vramsim sweep ... --emit | parallel -j8           (one machine)\n"
		 "  vramsim sweep ... --emit | parallel -S host1,host2 (over ssh; same store path)\n"
		 "  vramsim sweep ... --emit > jobs.txt; sbatch --array=1-$(wc -l <jobs.txt) run.sh\n"
		 "      (run.sh: eval \"$(sed -n ${SLURM_ARRAY_TASK_ID}p jobs.txt)\")\n",
	.opts = sweep_opts, .flags = CLI_STORE_RO | CLI_TRACE, .fn = cmd_sweep,
};
