/*
 * cmd_plot.c - `vramsim plot`: replay a trace as it was recorded and draw
 * its timeline and its per-GPU breakdown at the peak.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "plot.h"
#include "replay.h"
#include "scenario.h"
#include "source.h"
#include "topo.h"
#include "util.h"


enum { OPT_OUT = CLI_KEY, OPT_WHATIF, OPT_FORCE = 'f' };

static const struct cli_opt plot_opts[] = {
	{ "out", OPT_OUT, "DIR", "where to write (default: the current directory; created if\nmissing)",
	  CLI_VAL_DIR },
	{ "force", OPT_FORCE, NULL, "overwrite existing pictures", NULL },
	{ "whatif", OPT_WHATIF, NULL, "draw the scenario even with no other what-if option", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	if (cli_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("vramsim: plot: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The topology: --gpus, else the recorded devices (80G where unknown). */
static int plot_topo(struct store *st, int64_t trace, const char *gpus, struct topo *t,
		     char **cause)
{
	int assumed;
	int rc = scen_recorded_topo(st, trace, gpus, t, &assumed, cause);
	if (!rc && assumed)
		note("%d GPU size%s not recorded: assuming 80G (use --gpus)", assumed,
		     assumed > 1 ? "s" : "");
	return rc;
}

static int replay(struct store *st, int64_t trace, const struct topo *t,
		  const struct sim_observer *obs, struct sim_result *res, char **cause)
{
	struct sim_config cfg;
	struct sim_source *src;
	sim_config_init(&cfg);
	cfg.topo = *t;
	/* Draw the whole run: every failing allocation is marked, none stops it. */
	cfg.on_oom = SIM_OOM_CONTINUE;
	cfg.obs = obs;
	int rc = sim_source_context(st, trace, cfg.measured_context, cause);
	if (rc || (rc = sim_source_store(st, trace, &src, cause)))
		return rc;
	rc = sim_replay(&cfg, src, res, cause);
	sim_source_free(src);
	return rc;
}

static int ensure_dir(const char *dir, char **cause)
{
	struct stat sb;
	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0
		       : util_err(cause, UTIL_EINPUT, "--out %s: not a directory", dir);
	if (mkdir(dir, 0777) != 0)
		return util_err(cause, UTIL_ERR, "--out %s: %s", dir, strerror(errno));
	return 0;
}

static char *model_name(struct store *st, const struct store_trace_info *ti)
{
	struct profile p;
	if (!ti->profile_id || store_profile_get(st, ti->profile_id, &p, NULL) != 0)
		return NULL;
	char *name = p.name[0] ? util_xstrdup(p.name) : NULL;
	profile_clear(&p);
	return name;
}

struct plot_args {
	const char *ref, *gpus, *out;
	int force;
	struct scen_opts so;    /* what-if options; whatif = 1 if any was given */
	int whatif;
};

static int parse(struct cli_ctx *cx, struct plot_args *a)
{
	const char *arg;
	int c;
	memset(a, 0, sizeof(*a));
	a->so = *cx->whatif;
	a->gpus = a->so.gpus;
	a->whatif = cx->n_whatif && !cx->whatif_gpus_only;
	a->ref = cx->trace;
	a->out = ".";
	while ((c = cli_next(cx, &arg)) != -1) {
		switch (c) {
		case OPT_OUT: a->out = arg; break;
		case OPT_FORCE: a->force = 1; break;
		case OPT_WHATIF: a->whatif = 1; break;
		}
	}
	if (!*a->out)
		return cli_usage("plot", "--out needs a directory");
	return 0;
}

/* Replay, then draw; the pictures' names are printed. */
static int draw(struct store *st, const struct plot_args *a, const char *tl_path,
		const char *bd_path, char **cause)
{
	int64_t id;
	struct store_trace_info ti;
	int rc = store_trace_resolve(st, a->ref, &id, cause);
	if (rc || (rc = store_trace_get(st, id, &ti, cause)))
		return rc;
	struct topo t;
	struct plot_timeline *tl = NULL;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	char *model = model_name(st, &ti);
	char spec[256];
	char **files = NULL;
	int nf = 0;
	if ((rc = plot_topo(st, id, a->gpus, &t, cause)))
		goto out;
	topo_format(&t, spec, sizeof(spec));
	if (!a->gpus)
		note("GPUs %s, from the recorded devices", spec);
	tl = plot_timeline_new(t.n);
	if ((rc = replay(st, id, &t, plot_timeline_observer(tl), res, cause)))
		goto out;
	if (res->wrapped_devices)
		cli_warn("the trace uses more devices than --gpus %s: the extra ones wrap around",
			 spec);
	struct plot_meta m = { .model = model, .topology = spec, .scenario = "as recorded",
			       .trace_name = ti.name };
	if ((rc = ensure_dir(a->out, cause)) ||
	    (rc = plot_timeline_write(tl, res, &m, tl_path, a->force, &files, &nf, cause)))
		goto out;
	for (int i = 0; i < nf; i++) {
		puts(files[i]);
		free(files[i]);
	}
	free(files);
	if ((rc = plot_breakdown_write(res, &m, bd_path, a->force, cause)))
		goto out;
	puts(bd_path);
out:
	plot_timeline_free(tl);
	free(res);
	free(model);
	store_trace_info_clear(&ti);
	return rc;
}

/*
 * What-if pictures: the scenario's timeline and breakdown, the recorded
 * load beside it on the same GPUs, and (for llama.cpp/Ollama loads) each
 * GPU's peak against the context length.
 */
int plot_scenario(struct store *st, struct scen *scp, const char *dir, int force, FILE *names,
		  char **cause)
{
	struct scen sc = *scp;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	struct sim_result *rec = util_xcalloc(1, sizeof(*rec));
	struct plot_timeline *tl = NULL;
	char **files = NULL;
	int nf = 0;
	char *p_tl = util_xasprintf("%s/whatif-timeline.png", dir);
	char *p_bd = util_xasprintf("%s/whatif-breakdown.png", dir);
	char *p_cmp = util_xasprintf("%s/compare.png", dir);
	char *p_fit = util_xasprintf("%s/ctx-curve.png", dir);
	int rc = 0;
	tl = plot_timeline_new(sc.cfg.topo.n);
	if ((rc = scen_run(st, &sc, plot_timeline_observer(tl), res, cause)))
		goto out;
	struct plot_meta m = { .model = sc.model_name, .topology = sc.topo_str,
			       .scenario = sc.desc, .trace_name = sc.trace_name };
	if ((rc = ensure_dir(dir, cause)) ||
	    (rc = plot_timeline_write(tl, res, &m, p_tl, force, &files, &nf, cause)) ||
	    (rc = plot_breakdown_write(res, &m, p_bd, force, cause)))
		goto out;
	for (int i = 0; i < nf; i++)
		fprintf(names, "%s\n", files[i]);
	fprintf(names, "%s\n", p_bd);
	if (sc.trace) {
		/* The recorded events as they are, on the same GPUs. */
		if ((rc = replay(st, sc.trace, &sc.cfg.topo, NULL, rec, cause)))
			goto out;
		/* Bar labels are short; the subtitle carries the scenario. */
		struct plot_meta mr = m, mw = m;
		mr.scenario = "as recorded";
		mw.scenario = "what-if";
		char *title = util_xasprintf("recorded vs what-if: %s", sc.desc);
		mw.title = title;
		rc = plot_compare_write(rec, res, &mr, &mw, p_cmp, force, cause);
		free(title);
		if (rc)
			goto out;
		fprintf(names, "%s\n", p_cmp);
	}
	if (sc.ld && (sc.ld->cells || sc.lsc.ctx)) {
		/* Peak per GPU against context: 32 points up to the trained
		 * context, or 8x the scenario's context when that is unknown. */
		enum { NPT = 32 };
		uint64_t top = sc.ld->n_ctx_train ? sc.ld->n_ctx_train
			     : 8 * (sc.lsc.ctx ? sc.lsc.ctx : sc.ld->cells / (uint64_t)sc.ld->parallel);
		int G = sc.cfg.topo.n;
		uint64_t *ctx = util_xcalloc(NPT, sizeof(uint64_t));
		uint64_t *peak = util_xcalloc((size_t)NPT * (size_t)G, sizeof(uint64_t));
		/* The curve is what each GPU would need: replay on GPUs too large
		 * to fail (same count, same split), draw the real capacities. */
		struct topo real = sc.cfg.topo;
		if (!sc.lsc.n_split) {
			sc.lsc.n_split = G;
			for (int g = 0; g < G; g++)
				sc.lsc.split[g] = sc.layers[g];
		}
		for (int g = 0; g < G; g++)
			sc.cfg.topo.capacity[g] = 1ull << 60;
		sc.cfg.on_oom = SIM_OOM_CONTINUE;
		for (int i = 0; i < NPT && !rc; i++) {
			ctx[i] = (top * (uint64_t)(i + 1) / NPT + 255) / 256 * 256;
			sc.lsc.ctx = ctx[i];
			if (!(rc = scen_rebuild(&sc, cause)) && !(rc = scen_run(st, &sc, NULL, rec, cause)))
				for (int g = 0; g < G; g++)
					peak[(size_t)i * (size_t)G + (size_t)g] = rec->dev[g].peak;
		}
		if (!rc) {
			struct plot_meta mf = m;
			mf.scenario = "context per slot swept, other settings as the scenario";
			rc = plot_fitcurve_write(ctx, peak, NPT, G, real.capacity, &mf, p_fit,
						 force, cause);
			if (!rc)
				fprintf(names, "%s\n", p_fit);
		}
		free(ctx);
		free(peak);
	}
out:
	for (int i = 0; i < nf; i++)
		free(files[i]);
	free(files);
	plot_timeline_free(tl);
	*scp = sc;
	free(res);
	free(rec);
	free(p_tl);
	free(p_bd);
	free(p_cmp);
	free(p_fit);
	return rc;
}

static int cmd_plot(struct cli_ctx *cx)
{
	struct plot_args a;
	int rc = parse(cx, &a);
	if (rc)
		return rc;
	char *cause = NULL;
	const char *sep = a.out[strlen(a.out) - 1] == '/' ? "" : "/";
	char *tl_path = util_xasprintf("%s%stimeline.png", a.out, sep);
	char *bd_path = util_xasprintf("%s%sbreakdown.png", a.out, sep);
	/* Refuse before any work, so neither picture is half done. */
	for (int i = 0; i < 2 && !a.force && !rc; i++)
		if (access(i ? bd_path : tl_path, F_OK) == 0)
			rc = util_err(&cause, UTIL_EINPUT, "%s: exists; use -f to overwrite",
				      i ? bd_path : tl_path);
	struct store *st = NULL;
	if (!rc && (rc = cli_store(cx, &st))) {
		free(tl_path);
		free(bd_path);
		return rc;
	}
	if (!rc && a.whatif) {
		struct scen sc;
		if (!(rc = scen_prepare(st, a.ref, &a.so, &sc, &cause))) {
			rc = plot_scenario(st, &sc, a.out, a.force, stdout, &cause);
			scen_clear(&sc);
		}
	} else if (!rc) {
		rc = draw(st, &a, tl_path, bd_path, &cause);
	}
	free(tl_path);
	free(bd_path);
	return rc ? cli_fail(rc, cause) : 0;
}

const struct cli_cmd cmd_plot_entry = {
	.name = "plot", .summary = "draw a trace's timeline and per-GPU breakdown as PNGs",
	.usage = "[--store DB] [TRACE] [--gpus SPEC] [--out DIR] [-f] [what-if options] [-q]",
	.about = "Replay TRACE (default: the newest) with its recorded events as they are\n"
		 "and draw two PNGs:\n"
		 "  DIR/timeline.png   memory over time, one panel per GPU, stacked by\n"
		 "                     category, with capacity, headroom and any OOM\n"
		 "  DIR/breakdown.png  each GPU at its peak: where the VRAM went\n"
		 "With what-if options other than --gpus (or --whatif), draw the scenario\n"
		 "instead: DIR/whatif-timeline.png, whatif-breakdown.png, compare.png\n"
		 "(recorded vs what-if per GPU) and ctx-curve.png (each GPU's peak against\n"
		 "the context length). --gpus alone: default one per recorded device with\n"
		 "its recorded size, 80G where the trace does not say.\n"
		 "The names of the files written go to stdout.\n",
	.opts = plot_opts,
	.more = "environment:\n"
		"  VRAMSIM_GNUPLOT    the gnuplot command (default: gnuplot from PATH;\n"
		"                     Debian: apt-get install gnuplot-nox)\n"
		"  VRAMSIM_PLOTS_DIR  where the gnuplot scripts (*.gp) are\n"
		"\n"
		"example:\n"
		"  vramsim plot --out plots-70b\n",
	.flags = CLI_STORE_RO | CLI_WHATIF | CLI_TRACE, .fn = cmd_plot,
};
