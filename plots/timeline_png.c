/*
 * timeline_png.c - the timeline picture (plot_timeline_write, plot.h):
 * memory over time per GPU, stacked by category, from a collector.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "timeline.h"
#include "util.h"

/* ---- timeline ---- */

/* The file for GPU g from a format: the last "%d" in the file name. */
static char *path_for(const char *fmt, int g)
{
	const char *base = strrchr(fmt, '/');
	base = base ? base + 1 : fmt;
	const char *hit = NULL;
	for (const char *p = strstr(base, "%d"); p; p = strstr(p + 1, "%d"))
		hit = p;
	if (hit)
		return util_xasprintf("%.*s%d%s", (int)(hit - fmt), fmt, g, hit + 2);
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return util_xasprintf("%s-gpu%d", fmt, g);
	return util_xasprintf("%.*s-gpu%d%s", (int)(dot - fmt), fmt, g, dot);
}

/* A page of GPUs g0..g1: "timeline-gpus16-31.png". */
static char *page_path(const char *fmt, int g0, int g1)
{
	const char *base = strrchr(fmt, '/');
	base = base ? base + 1 : fmt;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return util_xasprintf("%s-gpus%d-%d", fmt, g0, g1);
	return util_xasprintf("%.*s-gpus%d-%d%s", (int)(dot - fmt), fmt, g0, g1, dot);
}

static int has_gpu_field(const char *fmt)
{
	const char *base = strrchr(fmt, '/');
	return strstr(base ? base + 1 : fmt, "%d") != NULL;
}

/* What one timeline image covers and how its x axis reads. */
struct tl_view {
	int g0, np;            /* GPUs g0 .. g0+np-1 */
	int by_seq;            /* x is the change number: every change at one time */
	int64_t xmin, xmax;    /* ns, or change numbers */
	int64_t xdiv;          /* ns per axis unit */
	const char *xname;
};

static const struct tl_dev *tl_dev_of(const struct plot_timeline *tl, int g)
{
	return g < tl->n_dev ? &tl->dev[g] : NULL;
}

static void tl_view_axis(const struct plot_timeline *tl, const struct sim_result *res,
			 int no_clock, struct tl_view *v)
{
	int64_t tmin = 0, tmax = res->t_end, lo = INT64_MAX, hi = INT64_MIN;
	uint64_t smax = 0;
	int any = 0, exact = 1, shared = 0;
	for (int g = v->g0; g < v->g0 + v->np; g++) {
		const struct tl_dev *d = tl_dev_of(tl, g);
		if (!d || !d->n)
			continue;
		any = 1;
		exact &= d->width == 0;
		for (size_t i = 1; i < d->n && !d->width && !shared; i++)
			shared = d->b[i].t == d->b[i - 1].t;
		if (d->b[0].t < lo)
			lo = d->b[0].t;
		if (d->last_t > hi)
			hi = d->last_t;
		if (d->last_seq > smax)
			smax = d->last_seq;
	}
	/* Start at the first change: a log's buffers come at line numbers, and
	 * a recording's first allocation after seconds of start-up. Leave a
	 * twentieth of the span of empty lead-in so the first step shows. */
	if (any)
		tmin = lo;
	if (any && hi > tmax)
		tmax = hi;
	/* A small trace whose changes share times (a log's synthetic clock)
	 * would hide all but the last of them: count changes instead. */
	v->by_seq = !any || no_clock || (exact && (shared || (lo == hi && tmax == lo)));
	if (v->by_seq) {
		v->xmin = 0;
		v->xmax = (int64_t)smax + 1;
		v->xdiv = 1;
		v->xname = no_clock ? "event number (the source has no timestamps)"
				    : "event number (the trace's times do not tell its events apart)";
		return;
	}
	if (any && hi > lo)
		tmin -= (hi - lo) / 20;
	v->xmin = tmin;
	/* Show the state after the last change for a twentieth of the span:
	 * a buffer allocated by the last event is otherwise a zero-width step. */
	v->xmax = tmax + ((tmax - tmin) / 20 > 0 ? (tmax - tmin) / 20 : 1);
	uint64_t span = (uint64_t)v->xmax - (uint64_t)tmin;
	if (span >= 1000000000ull) {
		v->xdiv = 1000000000;
		v->xname = "time (s)";
	} else if (span >= 1000000ull) {
		v->xdiv = 1000000;
		v->xname = "time (ms)";
	} else if (span >= 1000ull) {
		v->xdiv = 1000;
		v->xname = "time (\xc2\xb5s)";
	} else {
		v->xdiv = 1;
		v->xname = "time (ns)";
	}
}

/* One data row: x, the cumulative stack of items, the min. */
static void tl_row(FILE *f, int64_t x, const uint64_t *used, uint64_t min, const int *items,
		   int n_items)
{
	uint64_t cum = 0;
	fprintf(f, "%" PRId64, x);
	for (int k = 0; k < n_items; k++) {
		cum = gp_sat_add(cum, used[items[k]]);
		fprintf(f, " %" PRIu64, cum);
	}
	fprintf(f, " %" PRIu64 "\n", min);
}

static void tl_block(FILE *f, const struct tl_dev *d, const struct tl_view *v, const int *items,
		     int n_items)
{
	static const uint64_t zero[TRACE_CAT_MAX];
	if (!d || !d->n) {
		tl_row(f, v->xmin, zero, 0, items, n_items);
		tl_row(f, v->xmax, zero, 0, items, n_items);
		return;
	}
	for (size_t i = 0; i < d->n; i++)
		tl_row(f, v->by_seq ? (int64_t)d->b[i].seq : d->b[i].t, d->b[i].used, d->b[i].min,
		       items, n_items);
	/* The state after the last change lasts to the end of the trace. */
	tl_row(f, v->xmax, d->cur, d->cur_level, items, n_items);
}

static int tl_items(const struct plot_timeline *tl, const struct tl_view *v, int *items)
{
	int n = 0;
	for (size_t s = 0; s < UTIL_ARRAY_SIZE(gp_stack_order); s++) {
		int c = gp_stack_order[s];
		int present = 0;
		if (c >= TRACE_CAT_MAX)
			continue;
		for (int g = v->g0; g < v->g0 + v->np && !present; g++) {
			const struct tl_dev *d = tl_dev_of(tl, g);
			for (size_t i = 0; d && i < d->n && !present; i++)
				present = d->b[i].used[c] != 0;
		}
		if (present)
			items[n++] = c;
	}
	return n;
}

static void tl_panel_text(FILE *f, int k, int g, const struct sim_dev *sd, uint64_t peak)
{
	/* As nvidia-smi shows memory: "7869MiB / 24576MiB", then what is
	 * left free at the peak. */
	char a[32], b[32], txt[160];
	snprintf(txt, sizeof(txt), "GPU %d    peak %sMiB / %sMiB", g, gp_mib(a, sizeof(a), peak),
		 gp_mib(b, sizeof(b), sd->capacity));
	gp_array_str(f, "glab", k, txt, 80);
	if (!sd->capacity)
		snprintf(txt, sizeof(txt), "capacity unknown");
	else if (peak <= sd->capacity)
		snprintf(txt, sizeof(txt), "%.0f%% used, %sMiB free at the peak",
			 100.0 * (double)peak / (double)sd->capacity,
			 gp_mib(b, sizeof(b), sd->capacity - peak));
	else
		snprintf(txt, sizeof(txt), "over capacity by %sMiB",
			 gp_mib(b, sizeof(b), peak - sd->capacity));
	gp_array_str(f, "gpk", k, txt, 80);
}

/* x of an OOM: its time, or in change-number plots the changes before it. */
static int64_t oom_x(const struct plot_timeline *tl, const struct tl_view *v,
		     const struct sim_oom *o)
{
	if (!v->by_seq)
		return o->t_ns;
	for (int i = 0; i < tl->n_oom; i++)
		if (tl->oom[i].o.t_ns == o->t_ns && tl->oom[i].o.seq == o->seq &&
		    tl->oom[i].o.pid == o->pid && tl->oom[i].o.device == o->device)
			return (int64_t)tl->oom[i].seq;
	return v->xmax;
}

/* The y of a mark: at most lim (a request too big for the scale is
 * drawn to just above the top, its text saying so). */
static uint64_t clip(uint64_t y, uint64_t lim)
{
	return y > lim ? lim : y;
}

static void tl_ooms(FILE *f, const struct plot_timeline *tl, const struct sim_result *res,
		    const struct tl_view *v, uint64_t lim)
{
	int n = 0;
	/* Arrays, not a datablock: gnuplot warns on an empty block and
	 * 5.4.4 crashes on some NaN-only ones (plots/bars.gp). */
	for (int i = 0; i < tl->n_oom; i++) {
		const struct sim_oom *o = &tl->oom[i].o;
		n += o->device >= v->g0 && o->device < v->g0 + v->np;
	}
	gp_array_decl(f, "oomp", n);
	gp_array_decl(f, "oomx", n);
	gp_array_decl(f, "oomy", n);
	n = 0;
	for (int i = 0; i < tl->n_oom; i++) {
		const struct sim_oom *o = &tl->oom[i].o;
		if (o->device < v->g0 || o->device >= v->g0 + v->np)
			continue;
		n++;
		fprintf(f, "oomp[%d] = %d\noomx[%d] = %" PRId64 "\n", n, o->device - v->g0 + 1, n,
			oom_x(tl, v, o));
		gp_array_u64(f, "oomy", n, clip(gp_sat_add(o->used, o->size), lim));
	}
	fprintf(f, "noom = %d\n", n);
	const struct sim_oom *o = &res->first_oom;
	if (res->has_oom && o->device >= v->g0 && o->device < v->g0 + v->np) {
		char txt[200];
		gp_oom_text(txt, sizeof(txt), o);
		if (gp_sat_add(o->used, o->size) > lim)
			snprintf(txt + strlen(txt), sizeof(txt) - strlen(txt), ", off the scale");
		fprintf(f, "oom_p = %d\noom_x = %" PRId64 "\noom_lo = %" PRIu64 "\noom_hi = %" PRIu64
			   "\noom_txt = ", o->device - v->g0 + 1, oom_x(tl, v, o), clip(o->used, lim),
			clip(gp_sat_add(o->used, o->size), lim));
		gp_str(f, txt, 120);
		fputc('\n', f);
	} else {
		fputs("oom_p = 0\noom_x = 0\noom_lo = 0\noom_hi = 0\noom_txt = ''\n", f);
	}
}

static uint64_t tl_dev_max(const struct tl_dev *d)
{
	uint64_t m = 0;
	for (size_t i = 0; d && i < d->n; i++)
		if (d->b[i].max > m)
			m = d->b[i].max;
	return m;
}

/* Draw GPUs v->g0.. into path (not yet in place: see gp_commit). */
static int tl_draw(struct gp *g, const struct plot_timeline *tl, const struct sim_result *res,
		   const struct plot_meta *m, struct tl_view *v, const char *path, int force,
		   char **cause)
{
	int items[TRACE_CAT_MAX];
	int n_items;
	tl_view_axis(tl, res, m && m->no_clock, v);
	n_items = tl_items(tl, v, items);
	if (!n_items)
		items[n_items++] = TRACE_CAT_OTHER; /* an empty trace still gets axes */
	int panel_h = v->np == 1 ? 360 : v->np == 2 ? 300 : 220;
	/* timeline.gp: top_px (the header less 8 px), the panels, bot_px; a
	 * header that wraps makes the picture taller, not the panels smaller. */
	int h = gp_titles(NULL, m, "memory over time", 1280) - 8 + v->np * panel_h + 48;
	int rc = gp_begin(g, path, force, 1280, h, "timeline.gp", m ? m->format : PLOT_PNG, cause);
	if (rc)
		return rc;
	FILE *f = g->f;
	gp_titles(f, m, "memory over time", 1280);
	gp_items(f, items, n_items);
	/* Change numbers start at 0: leave room for a mark on the first. */
	fprintf(f, "NP = %d\nxdiv = %" PRId64 ".0\nxmin = %" PRId64 "\nxmax = %" PRId64
		   "\nxpad = %s\nxname = ", v->np, v->xdiv, v->xmin, v->xmax, v->by_seq ? "0.5" : "0");
	gp_str(f, v->xname, 80);
	fputc('\n', f);
	gp_array_decl(f, "cap", v->np);
	gp_array_decl(f, "peak", v->np);
	gp_array_decl(f, "ds", v->np);
	gp_array_decl(f, "glab", v->np);
	gp_array_decl(f, "gpk", v->np);
	uint64_t peak_max = 0, cap_max = 0, oom_max = 0;
	int any_ds = 0;
	for (int k = 0; k < v->np; k++) {
		int gi = v->g0 + k;
		const struct sim_dev *sd = &res->dev[gi];
		const struct tl_dev *d = tl_dev_of(tl, gi);
		uint64_t peak = tl_dev_max(d);
		if (sd->peak > peak)
			peak = sd->peak;
		gp_array_u64(f, "cap", k + 1, sd->capacity);
		gp_array_u64(f, "peak", k + 1, peak);
		fprintf(f, "ds[%d] = %d\n", k + 1, d && d->width ? 1 : 0);
		any_ds |= d && d->width;
		tl_panel_text(f, k + 1, gi, sd, peak);
		if (peak > peak_max)
			peak_max = peak;
		if (sd->capacity > cap_max)
			cap_max = sd->capacity;
	}
	for (int i = 0; i < tl->n_oom; i++) {
		const struct sim_oom *o = &tl->oom[i].o;
		if (o->device >= v->g0 && o->device < v->g0 + v->np &&
		    gp_sat_add(o->used, o->size) > oom_max)
			oom_max = gp_sat_add(o->used, o->size);
	}
	const struct sim_oom *fo = &res->first_oom;
	if (res->has_oom && fo->device >= v->g0 && fo->device < v->g0 + v->np &&
	    gp_sat_add(fo->used, fo->size) > oom_max)
		oom_max = gp_sat_add(fo->used, fo->size);
	/*
	 * The y scale: up to the capacity, unless what ran is under a
	 * twentieth of it (a tiny trace on an 80G card: zoomed, the
	 * capacity said in text); a failed request more than three times
	 * the rest is drawn to just above the top and labelled "off the
	 * scale" rather than flattening every panel.
	 */
	uint64_t ytop = peak_max > cap_max ? peak_max : cap_max;
	int zoomed = 0;
	if (peak_max && oom_max < cap_max && peak_max < cap_max / 20) {
		ytop = oom_max > peak_max ? oom_max : peak_max;
		zoomed = 1;
	}
	uint64_t lim = UINT64_MAX;
	if (oom_max > ytop) {
		if (oom_max / 3 > ytop) {
			lim = ytop + ytop / 10;
			ytop = lim;
		} else {
			ytop = oom_max;
		}
	}
	fprintf(f, "ytop = %" PRIu64 "\nany_ds = %d\nzoomed = %d\n", ytop ? ytop : 1, any_ds, zoomed);
	tl_ooms(f, tl, res, v, lim);
	/* A replay that stopped at its first OOM: everything after it never
	 * ran, which the panels must say rather than look idle. */
	if (res->stopped && res->has_oom)
		fprintf(f, "stopped = 1\nstop_x = %" PRId64 "\n", oom_x(tl, v, &res->first_oom));
	else
		fputs("stopped = 0\nstop_x = 0\n", f);
	fputs("$tl << EOD\n", f);
	for (int k = 0; k < v->np; k++) {
		if (k)
			fputs("\n\n", f);
		tl_block(f, tl_dev_of(tl, v->g0 + k), v, items, n_items);
	}
	fputs("EOD\n", f);
	return gp_end(g, cause);
}

static void free_files(char **files, int n)
{
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

int plot_timeline_write(struct plot_timeline *tl, const struct sim_result *res,
			const struct plot_meta *m, const char *path_fmt, int force,
			char ***files, int *n_files, char **cause)
{
	*files = NULL;
	*n_files = 0;
	if (!tl || !res || !path_fmt)
		return util_err(cause, UTIL_EINPUT, "timeline: nothing to draw");
	if (res->n_dev < 1 || res->n_dev > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "timeline: %d GPUs: expected 1 to %d",
				res->n_dev, TOPO_MAX_GPUS);
	/* One image per GPU when the name says %d; pages of PLOT_MAX_PANELS
	 * panels when there are more GPUs than one image can show. */
	int per_gpu = has_gpu_field(path_fmt);
	int per_page = per_gpu ? 1 : PLOT_MAX_PANELS;
	int n_img = (res->n_dev + per_page - 1) / per_page;
	char **paths = util_xcalloc((size_t)n_img, sizeof(*paths));
	struct gp *gps = util_xcalloc((size_t)n_img, sizeof(*gps));
	int rc = 0, drawn = 0;
	for (int i = 0; i < n_img; i++) {
		paths[i] = per_gpu ? path_for(path_fmt, i)
			   : n_img > 1 ? page_path(path_fmt, i * per_page,
						   i * per_page + per_page - 1 < res->n_dev - 1
						   ? i * per_page + per_page - 1 : res->n_dev - 1)
			   : util_xstrdup(path_fmt);
		if (!rc)
			rc = gp_target_ok(paths[i], force, cause);
	}
	for (int i = 0; i < n_img && !rc; i++, drawn++) {
		int g0 = i * per_page;
		struct tl_view v = { .g0 = g0, .np = res->n_dev - g0 < per_page ? res->n_dev - g0
										 : per_page };
		rc = tl_draw(&gps[i], tl, res, m, &v, paths[i], force, cause);
	}
	if (rc) {
		for (int i = 0; i < drawn; i++)
			gp_discard(&gps[i]);
	}
	for (int i = 0; i < n_img && !rc; i++) {
		rc = gp_commit(&gps[i], force, cause);
		if (rc)
			for (int j = i + 1; j < n_img; j++)
				gp_discard(&gps[j]);
	}
	free(gps);
	if (rc) {
		free_files(paths, n_img);
		return rc;
	}
	*files = paths;
	*n_files = n_img;
	return 0;
}

