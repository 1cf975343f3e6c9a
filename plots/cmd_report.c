/*
 * cmd_report.c - `vramsim report`: one self-contained HTML file to share:
 * the per-GPU table, the verdict with its margin, the breakdown, the
 * timeline and the context curve (gnuplot's svg terminal through the same
 * pipe as the PNGs, its mouse script inside each chart), and the command
 * lines that reproduce it. Nothing in the file is fetched from anywhere.
 *
 * The scenario is the one `vramsim replay` prints for the same options
 * (export_replay_scen), so the report never contradicts the table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "plot.h"
#include "scenario.h"
#include "util.h"

enum { OPT_OUTPUT = 'o', OPT_FORCE = 'f' };

static const struct cli_opt report_opts[] = {
	{ "output", OPT_OUTPUT, "FILE", "the HTML file to write (default report.html); it appears\n"
	  "whole or not at all", CLI_VAL_FILE },
	{ "force", OPT_FORCE, NULL, "overwrite FILE", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

/* Text as HTML: markup characters as entities, control characters
 * escaped (util_term_str), invalid UTF-8 shown as escapes. */
static void html(FILE *f, const char *s)
{
	char *t = util_term_xstr(s ? s : "");
	for (const char *p = t; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*p, f);
		}
	}
	free(t);
}

/* A word as a POSIX shell reads it: bare when safe, else single-quoted. */
static void shell_word(FILE *f, const char *w)
{
	if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		     "-_./=,:+@%") == strlen(w)) {
		html(f, w);
		return;
	}
	fputc('\'', f);
	for (const char *p = w; *p; p++) {
		char one[2] = { *p, 0 };
		html(f, *p == '\'' ? "'\\''" : one);
	}
	fputc('\'', f);
}

/*
 * The command line of cx with its first word replaced by cmd and the
 * report's own options left out: the replay, plot and report that give
 * the same numbers.
 */
static void command_line(FILE *f, const struct cli_ctx *cx, const char *cmd, const char *extra)
{
	fputs("vramsim ", f);
	html(f, cmd);
	for (int i = 1; i < cx->all_argc; i++) {
		const char *a = cx->all_argv[i];
		if (strcmp(cmd, "report")) {
			if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
				i++;
				continue;
			}
			if (!strncmp(a, "--output=", 9) || !strncmp(a, "-o", 2) || !strcmp(a, "-f") ||
			    !strcmp(a, "--force"))
				continue;
		}
		fputc(' ', f);
		shell_word(f, a);
	}
	if (extra)
		fprintf(f, " %s", extra);
	fputc('\n', f);
}

static double mib(uint64_t b)
{
	return (double)b / UTIL_MIB;
}

/* Inline an SVG file made by gnuplot (its XML declaration dropped: the
 * page is HTML). */
static int inline_svg(FILE *f, const char *path, char **cause)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = util_read_file(path, &buf, &len, cause);
	if (rc)
		return rc;
	const char *p = strstr(buf, "<svg");
	fputs("<div class=\"chart\">\n", f);
	fputs(p ? p : "", f);
	fputs("</div>\n", f);
	free(buf);
	return 0;
}

static const char style[] =
	"body{font-family:sans-serif;margin:2em auto;max-width:1320px;color:#1a1a1a}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse}td,th{padding:.25em .7em;text-align:right;"
	"border-bottom:1px solid #eee}th{background:#f4f4f4}td:first-child,th:first-child"
	"{text-align:left}.fits{color:#1b7f1b}.nofit{color:#c62828}pre{background:#f6f6f6;"
	"padding:.8em;overflow-x:auto}.chart svg{max-width:100%;height:auto}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#555}";

/* The per-GPU table: as replay prints it, in MiB. */
static void gpu_table(FILE *f, const struct sim_result *r)
{
	int cols[TRACE_CAT_MAX], nc = 0;
	for (int k = 1; k <= TRACE_CAT_MAX; k++) {
		int cat = k % TRACE_CAT_MAX;
		int any = cat == TRACE_CAT_CONTEXT;
		for (int i = 0; i < r->n_dev && !any; i++)
			any = r->dev[i].peak_used[cat] != 0;
		if (any)
			cols[nc++] = cat;
	}
	fputs("<table id=\"gpus\">\n<tr><th>GPU</th><th>capacity MiB</th><th>peak MiB</th>"
	      "<th>peak %</th>", f);
	for (int k = 0; k < nc; k++)
		fprintf(f, "<th>%s MiB</th>", cols[k] == TRACE_CAT_KV ? "KV cache"
			: cols[k] == TRACE_CAT_CONTEXT ? "runtime" : trace_cat_name(cols[k]));
	fputs("<th>headroom MiB</th></tr>\n", f);
	for (int i = 0; i < r->n_dev; i++) {
		const struct sim_dev *d = &r->dev[i];
		fprintf(f, "<tr><td>%d</td><td>%.0f</td><td>%.0f</td><td>%.1f</td>", i, mib(d->capacity),
			mib(d->peak), d->capacity ? 100.0 * (double)d->peak / (double)d->capacity : 0.0);
		for (int k = 0; k < nc; k++)
			fprintf(f, "<td>%.0f</td>", mib(d->peak_used[cols[k]]));
		fprintf(f, "<td>%.0f</td></tr>\n", mib(sim_headroom(d)));
	}
	fputs("</table>\n", f);
}

/* The verdict replay prints (scen_judge): its kind, the tightest GPU's
 * headroom, the band and the model it comes from. */
static void verdict(FILE *f, const struct scen *sc, const struct sim_result *r, uint64_t margin)
{
	struct verdict v;
	scen_judge(sc, r, margin, &v);
	fputs("<h2>Verdict</h2>\n<p id=\"verdict\" class=", f);
	if (v.kind == VERDICT_NOBASIS) {
		fputs("\"nobasis\"><b>No answer</b>: ", f);
		html(f, v.why);
		fputs("</p>\n", f);
		return;
	}
	if (v.kind == VERDICT_NOFIT && r->has_oom) {
		const struct sim_oom *o = &r->first_oom;
		fprintf(f, "\"nofit\"><b>Does not fit</b> on ");
		html(f, sc->topo_str);
		fprintf(f, ": GPU %d runs out of memory allocating %.1f MiB (%s) with %.1f MiB free; "
			"short by %.1f MiB.%s</p>\n", o->device, mib(o->size),
			trace_cat_name(o->category), mib(o->free),
			mib(o->size > o->free ? o->size - o->free : 0),
			r->stopped ? " The replay stopped there: later allocations were not replayed." : "");
		return;
	}
	const struct sim_dev *d = &r->dev[v.tight];
	fprintf(f, "\"%s\"><b>%s</b> on ", v.kind == VERDICT_FITS ? "fits" : "borderline",
		v.kind == VERDICT_FITS ? "Fits" : "Borderline");
	html(f, sc->topo_str);
	fprintf(f, ". Margin: %.0f MiB of headroom on GPU %d, the tightest (%.1f%% of its %.0f MiB "
		"free at its peak), uncertain by +-%.0f MiB from the %s", mib((double)v.headroom),
		v.tight, d->capacity ? 100.0 * (double)v.headroom / (double)d->capacity : 0.0,
		mib(d->capacity), mib((double)v.band[v.tight]), verdict_source_name(v.source));
	if (v.margin)
		fprintf(f, "; %.0f MiB asked to stay free", mib((double)v.margin));
	fputs(" (", f);
	html(f, v.cite);
	fputs(").", f);
	if (v.lower_bound)
		fputs(" <b>A lower bound</b>: a term the trace cannot scale was not counted, so the "
		      "real need is larger.", f);
	fputs("</p>\n", f);
}

struct charts {
	char *dir;
	char **tl;
	int n_tl;
	char *bd, *ctx;
	char *ctx_why;
};

static void charts_clear(struct charts *c)
{
	for (int i = 0; i < c->n_tl; i++) {
		unlink(c->tl[i]);
		free(c->tl[i]);
	}
	free(c->tl);
	if (c->bd)
		unlink(c->bd);
	if (c->ctx)
		unlink(c->ctx);
	free(c->bd);
	free(c->ctx);
	free(c->ctx_why);
	if (c->dir)
		rmdir(c->dir);
	free(c->dir);
}

/* The charts as SVG files in a private temporary folder. */
static int draw_charts(struct store *st, struct scen *sc, struct plot_timeline *tl,
		       const struct sim_result *res, const struct plot_meta *m, struct charts *c,
		       char **cause)
{
	const char *tmp = getenv("TMPDIR");
	c->dir = util_xasprintf("%s/vramsim-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(c->dir)) {
		int e = errno;
		free(c->dir);
		c->dir = NULL;
		return util_err(cause, UTIL_ERR, "cannot make a temporary folder: %s", strerror(e));
	}
	char *p = util_xasprintf("%s/timeline.svg", c->dir);
	int rc = plot_timeline_write(tl, res, m, p, 0, &c->tl, &c->n_tl, cause);
	free(p);
	if (rc)
		return rc;
	c->bd = util_xasprintf("%s/breakdown.svg", c->dir);
	if ((rc = plot_breakdown_write(res, m, c->bd, 0, cause))) {
		free(c->bd);
		c->bd = NULL;
		return rc;
	}
	struct plot_meta mf = *m;
	mf.scenario = "context per slot swept, other settings as the scenario";
	c->ctx = util_xasprintf("%s/ctx-curve.svg", c->dir);
	rc = plot_ctx_curve(st, sc, &mf, c->ctx, 0, &c->ctx_why);
	if (rc) {
		free(c->ctx);
		c->ctx = NULL;
	}
	/* A load whose context cannot vary has no curve: said in the page. */
	return rc == UTIL_EINPUT ? 0 : rc;
}

static int write_html(FILE *f, const struct cli_ctx *cx, const struct scen *sc,
		      const struct sim_result *res, const struct charts *c, char **cause)
{
	int rc = 0;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>vramsim "
	      "report: ", f);
	html(f, sc->trace_name);
	fputs(" on ", f);
	html(f, sc->topo_str);
	fprintf(f, "</title>\n<style>%s</style>\n</head><body>\n<h1>Where did the VRAM go: ", style);
	html(f, sc->trace_name);
	fputs(" on ", f);
	html(f, sc->topo_str);
	fputs("</h1>\n<dl>\n<dt>trace</dt><dd>", f);
	if (sc->trace)
		fprintf(f, "%" PRId64 " ", sc->trace);
	html(f, sc->trace_name);
	fputs("</dd>\n<dt>model</dt><dd>", f);
	html(f, sc->model_name ? sc->model_name : "(not recorded)");
	fputs("</dd>\n<dt>GPUs</dt><dd>", f);
	html(f, sc->topo_str);
	fputs("</dd>\n<dt>scenario</dt><dd>", f);
	html(f, sc->desc);
	fputs("</dd>\n<dt>computed by</dt><dd>", f);
	html(f, sc->identity || !sc->engine ? "a replay of the recorded allocations, as they ran"
		: sc->engine->about);
	fputs(", allocator model ", f);
	html(f, scen_model_name(sc->cfg.model));
	fprintf(f, " (vramsim %s)</dd>\n</dl>\n", VRAMSIM_VERSION);
	verdict(f, sc, res, cx->whatif->margin);
	fputs("<h2>Per GPU at its peak</h2>\n", f);
	gpu_table(f, res);
	if (sc->n_notes) {
		fputs("<ul>\n", f);
		for (int i = 0; i < sc->n_notes; i++) {
			fputs("<li>", f);
			html(f, sc->notes[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<h2>Breakdown: each GPU at its peak</h2>\n", f);
	if (!rc)
		rc = inline_svg(f, c->bd, cause);
	fputs("<h2>Timeline</h2>\n", f);
	for (int i = 0; i < c->n_tl && !rc; i++)
		rc = inline_svg(f, c->tl[i], cause);
	fputs("<h2>Peak against context length</h2>\n", f);
	if (c->ctx && !rc) {
		rc = inline_svg(f, c->ctx, cause);
	} else {
		fputs("<p>No curve: ", f);
		html(f, c->ctx_why ? c->ctx_why : "the context of this trace cannot be varied");
		fputs("</p>\n", f);
	}
	fputs("<h2>Reproduce</h2>\n<p>With the same store", f);
	if (cx->store_opt) {
		fputs(" (", f);
		html(f, cx->store_opt);
		fputs(")", f);
	}
	fputs(":</p>\n<pre id=\"commands\">", f);
	command_line(f, cx, "replay", NULL);
	command_line(f, cx, "plot", "--out pictures");
	command_line(f, cx, "report", NULL);
	fputs("</pre>\n<p>Mouse over a chart for its coordinates; click a legend entry to hide or "
	      "show its series.</p>\n</body></html>\n", f);
	return rc;
}

static int cmd_report(struct cli_ctx *cx)
{
	const char *out = "report.html", *arg;
	int force = 0, c, rc, assumed = 0;
	while ((c = cli_next(cx, &arg)) != -1) {
		switch (c) {
		case OPT_OUTPUT: out = arg; break;
		case OPT_FORCE: force = 1; break;
		}
	}
	if (!*out || !strcmp(out, "-"))
		return cli_usage("report", "-o needs a file name (the report is one HTML file)");
	struct store *st;
	if ((rc = cli_store(cx, &st)))
		return rc;
	char *cause = NULL;
	struct export_out eo = { 0 };
	struct scen sc;
	struct charts ch = { 0 };
	struct plot_timeline *tl = NULL;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	memset(&sc, 0, sizeof(sc));
	/* Refuse an existing FILE before any work. */
	rc = export_out_open(&eo, out, force, &cause);
	if (!rc)
		rc = export_replay_scen(st, cx->trace, cx->whatif, &sc, &assumed, &cause);
	if (!rc && assumed)
		cli_warn("%d GPU%s of unknown size: assuming 80G (use --gpus)", assumed,
			 assumed > 1 ? "s" : "");
	if (!rc) {
		tl = plot_timeline_new(sc.cfg.topo.n);
		rc = scen_run(st, &sc, plot_timeline_observer(tl), res, &cause);
	}
	char *line = NULL;
	if (!rc) {
		line = res->stopped && res->has_oom
			? util_xasprintf("%s; replay stopped at the first OOM (GPU %d)", sc.desc,
					 res->first_oom.device)
			: util_xstrdup(sc.desc);
		struct plot_meta m = { .format = PLOT_SVG, .model = sc.model_name,
				       .topology = sc.topo_str, .scenario = line,
				       .trace_name = sc.trace_name, .no_clock = plot_no_clock(st, &sc) };
		/* The HTML is written from res before the context sweep
		 * changes sc; the charts are all drawn first. */
		struct sim_result *keep = util_xcalloc(1, sizeof(*keep));
		*keep = *res;
		struct scen view = sc;
		char desc[sizeof(sc.desc)];
		memcpy(desc, sc.desc, sizeof(desc));
		rc = draw_charts(st, &sc, tl, keep, &m, &ch, &cause);
		memcpy(view.desc, desc, sizeof(desc));
		if (!rc)
			rc = write_html(eo.f, cx, &view, keep, &ch, &cause);
		free(keep);
	}
	if (!rc)
		rc = export_out_commit(&eo, force, &cause);
	export_out_abort(&eo);
	charts_clear(&ch);
	plot_timeline_free(tl);
	scen_clear(&sc);
	free(res);
	free(line);
	if (rc)
		return cli_fail(rc, cause);
	puts(out);
	return 0;
}

const struct cli_cmd cmd_report_entry = {
	.name = "report",
	.summary = "one self-contained HTML report: table, verdict, charts, commands",
	.usage = "[--store DB] [TRACE] [what-if options] [-o FILE] [-f] [-q]",
	.about = "Write one HTML file that can be shared as it is (no network, no external\n"
		 "script): the per-GPU table and the verdict with its margin, as `vramsim\n"
		 "replay` prints them for the same options; the breakdown, the timeline and\n"
		 "the context curve as charts drawn by gnuplot's svg terminal (mouse over for\n"
		 "coordinates, click a legend entry to hide its series); the command lines\n"
		 "that reproduce it. The file's name goes to stdout.\n",
	.opts = report_opts,
	.more = "example:\n  vramsim report --gpus 4x24G --ctx 32768 -o 70b-4x24G.html\n",
	.flags = CLI_STORE_RO | CLI_WHATIF | CLI_TRACE, .fn = cmd_report,
};
