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
#include "export.h"
#include "plot.h"
#include "sim.h"
#include "scenario.h"
#include "sim_source.h"
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

/* Notes say they are plot's. */
#define note(...) cli_note("plot: " __VA_ARGS__)

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

int plot_no_clock(struct store *st, const struct scen *sc)
{
	/* A recomposed load's events are built, not timed; a log's times
	 * are its line numbers (import/llamalog.c). */
	if (sc->ld || !st || !sc->trace)
		return 1;
	struct store_trace_info ti;
	if (store_trace_get(st, sc->trace, &ti, NULL))
		return 0;
	int synthetic = ti.format && !strcmp(ti.format, "llamalog");
	store_trace_info_clear(&ti);
	return synthetic;
}

/* The scenario's line under a picture's title; says where a replay that
 * stopped at its first OOM stopped. The caller frees it. */
static char *scenario_line(const char *prefix, const struct scen *sc, const struct sim_result *res)
{
	if (res->stopped && res->has_oom)
		return util_xasprintf("%s%s; replay stopped at the first OOM (GPU %d)", prefix,
				      sc->desc, res->first_oom.device);
	return util_xasprintf("%s%s", prefix, sc->desc);
}

/* The scenario replay prints for the same options, then drawn; the
 * pictures' names are printed. */
static int draw(struct store *st, const struct plot_args *a, const char *tl_path,
		const char *bd_path, char **cause)
{
	struct scen sc;
	struct plot_timeline *tl = NULL;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	char **files = NULL, *line = NULL;
	int nf = 0, assumed = 0;
	int rc = export_replay_scen(st, a->ref, &a->so, &sc, &assumed, cause);
	if (rc)
		goto out;
	if (sc.trace && scen_estimate_only(st, sc.trace)) {
		/* empty pictures would read as "nothing used" */
		rc = util_err(cause, UTIL_EINPUT, "trace %lld holds only Ollama's estimate, no allocation "
			      "to draw: `vramsim replay %lld` explains the estimate", (long long)sc.trace,
			      (long long)sc.trace);
		goto out;
	}
	if (assumed)
		note("%d GPU size%s not recorded: assuming 80G (use --gpus)", assumed,
		     assumed > 1 ? "s" : "");
	if (!a->gpus)
		note("GPUs %s, from the recorded devices", sc.topo_str);
	for (int i = 0; i < sc.n_notes; i++)
		note("%s", sc.notes[i]);
	tl = plot_timeline_new(sc.cfg.topo.n);
	if ((rc = scen_run(st, &sc, plot_timeline_observer(tl), res, cause)))
		goto out;
	if (res->wrapped_devices)
		cli_warn("the trace uses more devices than --gpus %s: the extra ones wrap around",
			 sc.topo_str);
	line = scenario_line("", &sc, res);
	struct plot_meta m = { .model = sc.model_name, .topology = sc.topo_str, .scenario = line,
			       .trace_name = sc.trace_name, .no_clock = plot_no_clock(st, &sc) };
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
	scen_clear(&sc);
	free(res);
	free(line);
	return rc;
}

int plot_ctx_curve(struct store *st, struct scen *sc, const struct plot_meta *m,
		   const char *path, int force, char **cause)
{
	/* a curve needs a KV cache that scales with the context (scenario.h) */
	if (!sc->ld || !(sc->ld->cells || sc->lsc.ctx))
		return util_err(cause, UTIL_EINPUT, "the context of this trace cannot be varied (not a "
				"llama.cpp/Ollama load)");
	if (!(sc->ld->kv_layer || sc->ld->host_kv || (sc->ld->kv_per_cell > 0 && sc->lsc.ctx)))
		return util_err(cause, UTIL_EINPUT, "the load records no KV cache and no model is "
				"known, so its context cannot be varied (add the GGUF with --profile)");
	/* Peak per GPU against context: 32 points up to the trained
	 * context, or 8x the scenario's context when that is unknown. */
	enum { NPT = 32 };
	uint64_t top = sc->ld->n_ctx_train ? sc->ld->n_ctx_train
		     : 8 * (sc->lsc.ctx ? sc->lsc.ctx : sc->ld->cells / (uint64_t)sc->ld->parallel);
	int G = sc->cfg.topo.n;
	uint64_t *ctx = util_xcalloc(NPT, sizeof(uint64_t));
	uint64_t *peak = util_xcalloc((size_t)NPT * (size_t)G, sizeof(uint64_t));
	/* What each GPU would need, the split frozen, drawn against the real
	 * capacities (scen_peaks_vs_ctx, shared with fit --max-ctx). */
	struct topo real = sc->cfg.topo;
	for (int i = 0; i < NPT; i++)
		ctx[i] = (top * (uint64_t)(i + 1) / NPT + 255) / 256 * 256;
	int rc = scen_peaks_vs_ctx(st, sc, ctx, NPT, peak, cause);
	if (!rc)
		rc = plot_fitcurve_write(ctx, peak, NPT, G, real.capacity, m, path, force, cause);
	free(ctx);
	free(peak);
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
	char *line = NULL;
	int rc = 0;
	tl = plot_timeline_new(sc.cfg.topo.n);
	if ((rc = scen_run(st, &sc, plot_timeline_observer(tl), res, cause)))
		goto out;
	line = scenario_line("", &sc, res);
	struct plot_meta m = { .model = sc.model_name, .topology = sc.topo_str,
			       .scenario = line, .trace_name = sc.trace_name,
			       .no_clock = plot_no_clock(st, &sc) };
	if ((rc = ensure_dir(dir, cause)) ||
	    (rc = plot_timeline_write(tl, res, &m, p_tl, force, &files, &nf, cause)) ||
	    (rc = plot_breakdown_write(res, &m, p_bd, force, cause)))
		goto out;
	for (int i = 0; i < nf; i++)
		fprintf(names, "%s\n", files[i]);
	fprintf(names, "%s\n", p_bd);
	if (sc.trace) {
		/* The load as it ran: what `replay TRACE` prints with no what-if
		 * option, on the recorded GPUs (a row split as it was split). */
		struct scen_opts none;
		struct scen as_run;
		char ref[32];
		int assumed = 0;
		scen_opts_init(&none);
		snprintf(ref, sizeof(ref), "%lld", (long long)sc.trace);
		rc = export_replay_scen(st, ref, &none, &as_run, &assumed, cause);
		if (!rc)
			rc = scen_run(st, &as_run, NULL, rec, cause);
		struct plot_meta mr = m, mw = m;
		mr.topology = util_xstrdup(as_run.topo_str);
		scen_clear(&as_run);
		if (rc) {
			free((char *)mr.topology);
			goto out;
		}
		/* Bar labels are short; the subtitle carries the scenario. */
		mr.bar_label = "as recorded";
		mw.bar_label = "what-if";
		mw.title = "recorded vs what-if: each GPU at its peak";
		char *what = util_xasprintf("what-if %s", line);
		mw.scenario = what;
		rc = plot_compare_write(rec, res, &mr, &mw, p_cmp, force, cause);
		free(what);
		free((char *)mr.topology);
		if (rc)
			goto out;
		fprintf(names, "%s\n", p_cmp);
	}
	if (sc.ld && (sc.ld->cells || sc.lsc.ctx)) {
		/* A curve the load cannot give (its layer count unknown, say)
		 * is said, not fatal: the other pictures stand. */
		struct plot_meta mf = m;
		char *why = NULL;
		mf.scenario = "context per slot swept, other settings as the scenario";
		int crc = plot_ctx_curve(st, &sc, &mf, p_fit, force, &why);
		if (crc == UTIL_EINPUT)
			note("%s not drawn: %s", p_fit, why ? why : "the context cannot be varied");
		else if (crc)
			rc = util_err(cause, crc, "%s", why ? why : "context curve failed");
		else
			fprintf(names, "%s\n", p_fit);
		free(why);
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
	free(line);
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
		if (!(rc = scen_prepare(st, a.ref, &a.so, &sc, &cause)))
			rc = plot_scenario(st, &sc, a.out, a.force, stdout, &cause);
		scen_clear(&sc); /* also what a failed prepare left */
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
