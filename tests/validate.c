/*
 * validate.c - `make validate`, the accuracy harness: for every fixture
 * that holds two loads of one model at different settings, import the
 * log, decompose load A, predict load B's settings with the same rules
 * replay uses, and compare per device and category with what load B's
 * log says. Prints predicted and logged MiB, the relative error, and a
 * summary row. Exits 1 if a comparison misses its bound (3% or 64 MiB
 * for weights and KV, 10% for compute).
 *
 * Facts the logs do not print are passed as --meta would pass them, each
 * with its source; no number here is fitted to the logs.
 *
 * Second part: every bundled load with per-device buffers is rebuilt by
 * the formula model at its own settings on its own GPU count (what any
 * what-if starts from) and compared per GPU and per term with its log,
 * printing the signed difference of each term. The largest relative
 * error per term over both parts is written to the file named by the
 * first argument (sim/model_error.h, committed): the uncertainty band of
 * every verdict cites it (sim/verdict.c).
 */
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imp.h"
#include "llm.h"
#include "sim.h"
#include "scenario.h"
#include "sim_source.h"
#include "store.h"
#include "util.h"

struct cmp {
	const char *what;     /* "compute", "kv" */
	int device;           /* device of load B, -2 = whole model */
	const char *source;   /* where load B's number comes from: "oom" or a setting key */
};

struct vcase {
	const char *log;      /* under tests/data/logs */
	int load_a, load_b;   /* 1-based loads in the log */
	const char *meta;     /* facts about the model and load A not in the log */
	const char *why;      /* their source */
	uint64_t ctx;         /* load B's settings (context per slot, 0 = as A) */
	int ubatch;
	struct cmp cmp[3];
	int n_cmp;
};

static const struct vcase cases[] = {
	{ "ikllama-235-deepseek-r1-15x3090.log", 1, 2, "heads=128,ctx=32768,ubatch=256",
	  "DeepSeek-R1 has 128 attention heads (its config.json); run 1 used -ub 256 --ctx-size 32768 "
	  "(the log's RUN 1 header)", 0, 512,
	  { { "compute", 1, "oom" } }, 1 },
	{ "ikllama-235-deepseek-r1-15x3090.log", 1, 3, "heads=128,ctx=32768,ubatch=256",
	  "as above; run 3 used -ub 512 --ctx-size 163840 (RUN 3 header)", 163840, 512,
	  { { "compute", 0, "oom" }, { "kv", -2, "kv_self_mib" } }, 2 },
};

static double mib(double b)
{
	return b / UTIL_MIB;
}

/* Largest relative error per term, and comparisons behind it. */
static double max_err[TRACE_CAT_MAX];
static int n_err[TRACE_CAT_MAX];

static void count_err(int cat, double err)
{
	if (err > max_err[cat])
		max_err[cat] = err;
	n_err[cat]++;
}

/* Terms compared with a log, in the order printed. */
static const int terms[] = { TRACE_CAT_WEIGHTS, TRACE_CAT_KV, TRACE_CAT_COMPUTE, TRACE_CAT_OUTPUT,
			     TRACE_CAT_CONTEXT, TRACE_CAT_OTHER };

/*
 * Rebuild every load of every bundled log at its own settings and compare
 * per GPU and term; prints the signed differences. Returns loads compared.
 */
static int rebuild_all(const char *db)
{
	glob_t g;
	if (glob("tests/data/logs/*.log", 0, NULL, &g) != 0)
		return 0;
	int loads = 0;
	printf("\nformula model at the recorded settings, signed difference per GPU and term "
	       "(MiB, predicted - logged):\n%-52s %3s", "load", "GPU");
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(terms); k++)
		printf(" %9s", trace_cat_name(terms[k]));
	printf("\n");
	for (size_t f = 0; f < g.gl_pathc; f++) {
		unlink(db);
		struct store *st;
		char *cause = NULL;
		struct imp_ctx res;
		struct imp_opts io = { .quiet = 1 };
		if (store_open(db, STORE_CREATE, &st, &cause) || imp_file(st, g.gl_pathv[f], &io, &res, &cause)) {
			fprintf(stderr, "validate: %s\n", cause);
			free(cause);
			continue;
		}
		free(res.summary);
		for (int t = 0; t < res.n_traces; t++) {
			struct trace_event *ev = NULL;
			size_t n = 0;
			double logged_b[TOPO_MAX_GPUS][TRACE_CAT_MAX] = { { 0 } };
			int max_dev = -1;
			if (sim_source_load(st, res.traces[t], &ev, &n, NULL))
				continue;
			for (size_t i = 0; i < n; i++)
				if (ev[i].kind == TRACE_ALLOC && ev[i].device >= 0 && ev[i].device < TOPO_MAX_GPUS &&
				    ev[i].category < TRACE_CAT_MAX) {
					logged_b[ev[i].device][ev[i].category] += (double)ev[i].size;
					if (ev[i].device > max_dev)
						max_dev = ev[i].device;
				}
			free(ev);
			if (max_dev < 0)
				continue;
			struct scen_opts o;
			scen_opts_init(&o);
			char spec[32];
			snprintf(spec, sizeof(spec), "%dx1T", max_dev + 1);
			scen_opts_gpus(&o, spec, NULL);
			o.rebuild = 1; /* the formula's placement, not the recorded events */
			char ref[32];
			snprintf(ref, sizeof(ref), "%lld", (long long)res.traces[t]);
			struct scen sc;
			if (scen_prepare(st, ref, &o, &sc, &cause) || !sc.ld) {
				free(cause);
				cause = NULL;
				scen_clear(&sc);
				continue;
			}
			double pred[TOPO_MAX_GPUS][TRACE_CAT_MAX] = { { 0 } };
			for (size_t i = 0; i < sc.n_ev; i++)
				if (sc.ev[i].device >= 0 && sc.ev[i].device < TOPO_MAX_GPUS &&
				    sc.ev[i].category < TRACE_CAT_MAX)
					pred[sc.ev[i].device][sc.ev[i].category] += (double)sc.ev[i].size;
			/* the replay's context: measured per GPU, else the reserve */
			for (int d = 0; d <= max_dev; d++)
				if (!pred[d][TRACE_CAT_CONTEXT] && logged_b[d][TRACE_CAT_CONTEXT])
					pred[d][TRACE_CAT_CONTEXT] = (double)sc.cfg.reserve;
			loads++;
			for (int d = 0; d <= max_dev; d++) {
				printf("%-52.52s %3d", sc.trace_name, d);
				for (size_t k = 0; k < UTIL_ARRAY_SIZE(terms); k++) {
					int c = terms[k];
					double want = logged_b[d][c], got = pred[d][c];
					printf(" %+9.1f", mib(got - want));
					if (want > 0)
						count_err(c, fabs(got - want) / want);
				}
				printf("\n");
			}
			scen_clear(&sc);
		}
		store_close(st);
	}
	globfree(&g);
	return loads;
}

/* The error figures the verdicts cite, as a C header. */
static int write_errors(const char *path, int cases_ab, int loads)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "/*\n * model_error.h - measured error of the formula model, written by `make\n"
		   " * validate` (tests/validate.c) from the bundled logs: %d load-to-load\n"
		   " * predictions and %d loads rebuilt at their own settings. Per term, the\n"
		   " * largest relative error seen and (_N) the comparisons behind it. Do not edit; the\n"
		   " * uncertainty band of every verdict (sim/verdict.c) cites this file.\n */\n"
		   "#ifndef VRAMSIM_MODEL_ERROR_H\n#define VRAMSIM_MODEL_ERROR_H\n\n",
		cases_ab, loads);
	for (int c = 0; c < TRACE_CAT_MAX; c++) {
		char up[32];
		snprintf(up, sizeof(up), "%s", trace_cat_name(c));
		for (char *p = up; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		fprintf(f, "#define MODEL_ERR_FORMULA_%s %.4f\n#define MODEL_ERR_FORMULA_%s_N %d\n", up,
			max_err[c], up, n_err[c]);
	}
	fprintf(f, "#define MODEL_ERR_LOADS %d\n\n#endif\n", loads);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

/* What load B's log says for c. */
static int logged(struct store *st, int64_t trace, const struct cmp *c, double *out)
{
	if (!strcmp(c->source, "oom")) {
		struct trace_event *ev;
		size_t n;
		if (sim_source_load(st, trace, &ev, &n, NULL))
			return -1;
		int found = 0;
		for (size_t i = 0; i < n; i++)
			if (ev[i].kind == TRACE_OOM && ev[i].device == c->device) {
				*out = (double)ev[i].size;
				found = 1;
			}
		free(ev);
		return found ? 0 : -1;
	}
	char *v = NULL;
	store_setting_get(st, trace, c->source, &v, NULL);
	if (!v)
		return -1;
	*out = atof(v) * UTIL_MIB;
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	const char *db = "/tmp/vramsim-validate.db";
	int bad = 0, total = 0;
	double sum_err = 0;
	printf("%-38s %-5s %-8s %6s %12s %12s %8s  %s\n", "fixture", "A->B", "what", "device",
	       "predicted", "logged", "error", "bound");
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct vcase *vc = &cases[k];
		char path[512], wal[600];
		snprintf(path, sizeof(path), "tests/data/logs/%s", vc->log);
		unlink(db);
		snprintf(wal, sizeof(wal), "%s-wal", db);
		unlink(wal);
		struct store *st;
		char *cause = NULL;
		struct imp_ctx res;
		struct imp_opts io = { .quiet = 1 };
		if (store_open(db, STORE_CREATE, &st, &cause) || imp_file(st, path, &io, &res, &cause)) {
			fprintf(stderr, "validate: %s\n", cause);
			return 2;
		}
		free(res.summary);
		if (vc->load_a > res.n_traces || vc->load_b > res.n_traces) {
			fprintf(stderr, "validate: %s: expected loads %d and %d, found %d\n", path,
				vc->load_a, vc->load_b, res.n_traces);
			return 2;
		}
		int64_t ta = res.traces[vc->load_a - 1], tb = res.traces[vc->load_b - 1];
		struct llm_meta meta;
		struct llm_load *ld = util_xcalloc(1, sizeof(*ld));
		if (llm_meta_parse(vc->meta, &meta, &cause) || llm_decompose(st, ta, &meta, ld, &cause)) {
			fprintf(stderr, "validate: %s: %s\n", path, cause);
			return 2;
		}
		struct llm_scenario sc;
		llm_scenario_init(&sc);
		sc.ctx = vc->ctx;
		sc.ubatch = vc->ubatch;
		struct topo topo;
		topo_parse("64x1T", &topo, NULL); /* room for everything: we compare sizes */
		struct trace_event *ev;
		size_t n;
		int layers[TOPO_MAX_GPUS];
		if (llm_build(ld, &sc, &topo, &ev, &n, layers, NULL, 0, &cause)) {
			fprintf(stderr, "validate: %s: %s\n", path, cause);
			return 2;
		}
		for (int i = 0; i < vc->n_cmp; i++) {
			const struct cmp *c = &vc->cmp[i];
			double want, got = 0;
			if (logged(st, tb, c, &want)) {
				fprintf(stderr, "validate: %s load %d: no '%s' to compare\n", path, vc->load_b,
					c->source);
				return 2;
			}
			int cat = trace_cat_parse(c->what);
			if (c->device == -2 && cat == TRACE_CAT_KV)
				got = (double)llm_kv_layer(ld, &sc) * (ld->fixed ? 1 : ld->n_layer);
			else
				for (size_t e = 0; e < n; e++)
					if (ev[e].device == c->device && ev[e].category == cat)
						got += (double)ev[e].size;
			double err = fabs(got - want) / want;
			double bound = cat == TRACE_CAT_COMPUTE ? 0.10 : 0.03;
			int ok = err <= bound || (cat != TRACE_CAT_COMPUTE && fabs(got - want) <= 64 * UTIL_MIB);
			bad += !ok;
			total++;
			count_err(cat, err);
			sum_err += err;
			char dev[16];
			snprintf(dev, sizeof(dev), c->device == -2 ? "all" : "%d", c->device);
			printf("%-38.38s %d->%-2d %-8s %6s %12.2f %12.2f %7.2f%%  %s %s\n", vc->log,
			       vc->load_a, vc->load_b, c->what, dev, mib(got), mib(want), 100 * err,
			       cat == TRACE_CAT_COMPUTE ? "10%" : "3%/64MiB", ok ? "ok" : "MISSED");
		}
		printf("  (%s)\n", vc->why);
		free(ev);
		free(ld);
		store_close(st);
	}
	printf("summary: %d comparisons, mean error %.2f%%, %d outside bounds\n", total,
	       total ? 100 * sum_err / total : 0.0, bad);
	int loads = rebuild_all(db);
	printf("largest relative error per term:");
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(terms); k++)
		printf(" %s %.2f%% (%d)", trace_cat_name(terms[k]), 100 * max_err[terms[k]], n_err[terms[k]]);
	printf("\n");
	unlink(db);
	unlink("/tmp/vramsim-validate.db-wal");
	unlink("/tmp/vramsim-validate.db-shm");
	if (argc > 1) {
		if (write_errors(argv[1], (int)(sizeof(cases) / sizeof(cases[0])), loads)) {
			fprintf(stderr, "validate: cannot write %s\n", argv[1]);
			return 2;
		}
		printf("wrote %s\n", argv[1]);
	}
	return bad ? 1 : 0;
}
