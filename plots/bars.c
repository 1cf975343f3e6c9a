/*
 * bars.c - the bar pictures (plot.h): breakdown (each GPU at its peak)
 * and compare (recorded vs what-if side by side).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "util.h"

/* ---- bar charts: breakdown and compare ---- */

/* One bar: its segments bottom to top, in bytes. */
struct bar {
	int xc;                       /* centre, milli-units */
	uint64_t seg[GP_ITEM_MAX];
	uint64_t capacity;
	uint64_t used;                /* top of the stack under "free" */
	int failed;                   /* seg[GP_ITEM_FAILED] is drawn from fail_lo */
	uint64_t fail_lo;
	char fail_txt[160];
};

static void bar_fill(struct bar *b, const struct sim_result *res, int g, int xc)
{
	const struct sim_dev *d = &res->dev[g];
	memset(b, 0, sizeof(*b));
	b->xc = xc;
	uint64_t alloc = 0;
	for (int c = 0; c < TRACE_CAT_MAX; c++) {
		b->seg[c] = d->peak_used[c];
		alloc = gp_sat_add(alloc, d->peak_used[c]);
	}
	/* What the allocator held beyond what it handed out (torch); the
	 * context reserve is no allocator's memory (replay.h). */
	uint64_t handed = alloc > d->reserve ? alloc - d->reserve : 0;
	if (d->peak_reserved > handed)
		b->seg[GP_ITEM_UNUSED] = d->peak_reserved - handed;
	b->used = gp_sat_add(alloc, b->seg[GP_ITEM_UNUSED]);
	b->capacity = d->capacity;
	if (d->capacity > b->used)
		b->seg[GP_ITEM_FREE] = d->capacity - b->used;
	if (res->has_oom && res->first_oom.device == g) {
		b->failed = 1;
		b->fail_lo = res->first_oom.used;
		b->seg[GP_ITEM_FAILED] = res->first_oom.size;
		gp_oom_text(b->fail_txt, sizeof(b->fail_txt), &res->first_oom);
	}
}

static int bar_items(const struct bar *bars, int n, int *items)
{
	int k = 0;
	for (size_t s = 0; s < UTIL_ARRAY_SIZE(gp_stack_order); s++) {
		int it = gp_stack_order[s];
		for (int i = 0; i < n; i++)
			if (bars[i].seg[it]) {
				items[k++] = it;
				break;
			}
	}
	return k;
}

/*
 * Send the bars: $bars with one block per item (rows: centre, low, high,
 * half width), $cap (capacity marks), $lab (values inside segments big
 * enough to hold them: bar_px wide, at least 4.5% of the y range tall;
 * with the category's name when the bar is wide enough).
 */
static void bars_send(FILE *f, const struct bar *bars, int n, int hw, int bar_px)
{
	int items[GP_ITEM_MAX];
	int n_items = bar_items(bars, n, items);
	/* The scale is the bars' own (capacity, what was used); a failed
	 * request more than three times that is cut just above the top and
	 * its label says "off the scale", so it cannot flatten the bars. */
	uint64_t base = 1, fail_top = 0;
	for (int i = 0; i < n; i++) {
		const struct bar *b = &bars[i];
		uint64_t t = gp_sat_add(b->used, b->seg[GP_ITEM_FREE]);
		if (b->capacity > t)
			t = b->capacity;
		if (t > base)
			base = t;
		if (b->failed && gp_sat_add(b->fail_lo, b->seg[GP_ITEM_FAILED]) > fail_top)
			fail_top = gp_sat_add(b->fail_lo, b->seg[GP_ITEM_FAILED]);
	}
	uint64_t lim = fail_top / 3 > base ? base + base / 8 : UINT64_MAX;
	uint64_t ytop = fail_top > base ? (fail_top < lim ? fail_top : lim) : base;
	gp_items(f, items, n_items);
	fprintf(f, "ytop = %" PRIu64 "\nNB = %d\n$bars << EOD\n", ytop, n);
	for (int k = 0; k < n_items; k++) {
		if (k)
			fputs("\n\n", f);
		for (int i = 0; i < n; i++) {
			const struct bar *b = &bars[i];
			uint64_t lo = 0;
			for (int j = 0; j < k; j++)
				if (items[j] != GP_ITEM_FAILED)
					lo = gp_sat_add(lo, b->seg[items[j]]);
			if (items[k] == GP_ITEM_FAILED)
				lo = b->fail_lo;
			if (!b->seg[items[k]])
				continue;
			uint64_t hi = gp_sat_add(lo, b->seg[items[k]]);
			fprintf(f, "%d %" PRIu64 " %" PRIu64 " %d\n", b->xc, lo < lim ? lo : lim,
				hi < lim ? hi : lim, hw);
		}
	}
	fputs("EOD\n", f);
	/*
	 * Capacity marks and values as arrays of labels and arrows, not
	 * datablocks: gnuplot 5.4.4 segfaults on a datablock whose only row
	 * is NaN, and warns on an empty one, so a block is sent only when it
	 * has real rows ($bars always has: every item has a segment).
	 */
	int ncap = 0;
	for (int i = 0; i < n; i++)
		ncap += bars[i].capacity != 0;
	fprintf(f, "NCAP = %d\n", ncap);
	gp_array_decl(f, "capx", ncap);
	gp_array_decl(f, "capy", ncap);
	gp_array_decl(f, "capw", ncap);
	for (int i = 0, j = 0; i < n; i++) {
		if (!bars[i].capacity)
			continue;
		j++;
		fprintf(f, "capx[%d] = %d\ncapw[%d] = %d\n", j, bars[i].xc - hw, j, 2 * hw);
		gp_array_u64(f, "capy", j, bars[i].capacity);
	}
	int nlab = 0;
	char (*labt)[96] = util_xcalloc((size_t)n * GP_ITEM_MAX, sizeof(*labt));
	int *labx = util_xcalloc((size_t)n * GP_ITEM_MAX, sizeof(*labx));
	uint64_t *laby = util_xcalloc((size_t)n * GP_ITEM_MAX, sizeof(*laby));
	for (int i = 0; i < n; i++) {
		const struct bar *b = &bars[i];
		uint64_t lo = 0;
		for (int k = 0; k < n_items; k++) {
			int it = items[k];
			uint64_t s = b->seg[it];
			if (it == GP_ITEM_FAILED)
				continue;
			/* The failed request covers the free part: its label says it. */
			if (it == GP_ITEM_FREE && b->failed) {
				lo = gp_sat_add(lo, s);
				continue;
			}
			if (bar_px >= 48 && s && (double)s >= 0.045 * (double)ytop) {
				char a[32];
				snprintf(labt[nlab], sizeof(labt[nlab]), "%s%s%s MiB",
					 bar_px >= 120 ? gp_item_short(it) : "", bar_px >= 120 ? " " : "",
					 gp_mib(a, sizeof(a), s));
				labx[nlab] = b->xc;
				laby[nlab] = lo + s / 2;
				nlab++;
			}
			lo = gp_sat_add(lo, s);
		}
	}
	fprintf(f, "NLAB = %d\n", nlab);
	gp_array_decl(f, "labx", nlab);
	gp_array_decl(f, "laby", nlab);
	gp_array_decl(f, "labt", nlab);
	for (int i = 0; i < nlab; i++) {
		fprintf(f, "labx[%d] = %d\n", i + 1, labx[i]);
		gp_array_u64(f, "laby", i + 1, laby[i]);
		gp_array_str(f, "labt", i + 1, labt[i], 90);
	}
	free(labt);
	free(labx);
	free(laby);
	/* The failed requests, labelled above their box. */
	int nf = 0;
	for (int i = 0; i < n; i++)
		nf += bars[i].failed;
	fprintf(f, "NF = %d\n", nf);
	gp_array_decl(f, "fx", nf);
	gp_array_decl(f, "fy", nf);
	gp_array_decl(f, "ftxt", nf);
	for (int i = 0, j = 0; i < n; i++) {
		if (!bars[i].failed)
			continue;
		j++;
		fprintf(f, "fx[%d] = %d\n", j, bars[i].xc);
		uint64_t top = gp_sat_add(bars[i].fail_lo, bars[i].seg[GP_ITEM_FAILED]);
		char txt[200];
		snprintf(txt, sizeof(txt), "%s%s", bars[i].fail_txt, top > lim ? ", off the scale" : "");
		gp_array_u64(f, "fy", j, top < lim ? top : lim);
		gp_array_str(f, "ftxt", j, txt, 120);
	}
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Tic labels: xtl[i] on the first line, xtl2[i] under it, at xtp[i]. */
static void tics_send(FILE *f, const char *const *l1, const char *const *l2, const int *pos,
		      int n)
{
	fprintf(f, "NT = %d\n", n);
	gp_array_decl(f, "xtl", n);
	gp_array_decl(f, "xtl2", n);
	gp_array_decl(f, "xtp", n);
	for (int i = 0; i < n; i++) {
		gp_array_str(f, "xtl", i + 1, l1[i], 24);
		gp_array_str(f, "xtl2", i + 1, l2[i], 24);
		fprintf(f, "xtp[%d] = %d\n", i + 1, pos[i]);
	}
}

int plot_breakdown_write(const struct sim_result *res, const struct plot_meta *m,
			 const char *path, int force, char **cause)
{
	if (!res || res->n_dev < 1 || res->n_dev > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "breakdown: expected 1 to %d GPUs",
				TOPO_MAX_GPUS);
	int n = res->n_dev;
	int w = clampi(320 + n * 120, 1000, 4000);
	int bar_px = (w - 320) / n * 6 / 10;
	struct bar *bars = util_xcalloc((size_t)n, sizeof(*bars));
	char (*l1)[32] = util_xcalloc((size_t)n, sizeof(*l1));
	char (*l2)[32] = util_xcalloc((size_t)n, sizeof(*l2));
	const char **p1 = util_xcalloc((size_t)n, sizeof(*p1));
	const char **p2 = util_xcalloc((size_t)n, sizeof(*p2));
	int *pos = util_xcalloc((size_t)n, sizeof(*pos));
	for (int g = 0; g < n; g++) {
		char a[32];
		bar_fill(&bars[g], res, g, g * 1000);
		/* Past 32 bars the names would overlap: every step-th GPU. */
		int step = (n + 31) / 32;
		if (g % step == 0) {
			snprintf(l1[g], sizeof(l1[g]), "GPU %d", g);
			snprintf(l2[g], sizeof(l2[g]), "%s MiB",
				 gp_mib(a, sizeof(a), res->dev[g].capacity));
		}
		p1[g] = l1[g];
		p2[g] = l2[g];
		pos[g] = g * 1000;
	}
	struct gp g;
	int rc = gp_begin(&g, path, force, w, 720, "breakdown.gp", m ? m->format : PLOT_PNG, cause);
	if (!rc) {
		gp_titles(g.f, m, "where did my VRAM go: each GPU at its peak", w);
		tics_send(g.f, p1, p2, pos, n);
		fprintf(g.f, "xlo = -600\nxhi = %d\n", (n - 1) * 1000 + 600);
		bars_send(g.f, bars, n, 300, bar_px);
		rc = gp_end(&g, cause);
		if (!rc)
			rc = gp_commit(&g, force, cause);
	}
	free(bars);
	free(l1);
	free(l2);
	free(p1);
	free(p2);
	free(pos);
	return rc;
}

int plot_compare_write(const struct sim_result *recorded, const struct sim_result *whatif,
		       const struct plot_meta *m_rec, const struct plot_meta *m_what,
		       const char *path, int force, char **cause)
{
	if (!recorded || !whatif || recorded->n_dev < 1 || whatif->n_dev < 1 ||
	    recorded->n_dev > TOPO_MAX_GPUS || whatif->n_dev > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "compare: expected 1 to %d GPUs on each side",
				TOPO_MAX_GPUS);
	const char *rname = m_rec && m_rec->bar_label ? m_rec->bar_label
			    : m_rec && m_rec->scenario && *m_rec->scenario ? m_rec->scenario : "recorded";
	const char *wname = m_what && m_what->bar_label ? m_what->bar_label
			    : m_what && m_what->scenario && *m_what->scenario ? m_what->scenario
			    : "what-if";
	int ng = recorded->n_dev > whatif->n_dev ? recorded->n_dev : whatif->n_dev;
	int nb = 0;
	struct bar *bars = util_xcalloc((size_t)ng * 2, sizeof(*bars));
	const char **p1 = util_xcalloc((size_t)ng * 2, sizeof(*p1));
	const char **p2 = util_xcalloc((size_t)ng * 2, sizeof(*p2));
	int *pos = util_xcalloc((size_t)ng * 2, sizeof(*pos));
	char (*gl)[32] = util_xcalloc((size_t)ng, sizeof(*gl));
	for (int g = 0; g < ng; g++) {
		snprintf(gl[g], sizeof(gl[g]), "GPU %d", g);
		for (int side = 0; side < 2; side++) {
			const struct sim_result *r = side ? whatif : recorded;
			if (g >= r->n_dev)
				continue;
			int xc = g * 1000 + (side ? 210 : -210);
			bar_fill(&bars[nb], r, g, xc);
			/* Past 16 GPUs the names would overlap: every step-th. */
			int named = g % ((ng + 15) / 16) == 0;
			p1[nb] = named ? side ? wname : rname : "";
			p2[nb] = named ? gl[g] : "";
			pos[nb] = xc;
			nb++;
		}
	}
	int w = clampi(320 + ng * 230, 1000, 4000);
	int bar_px = (w - 320) / ng * 36 / 100;
	struct gp g;
	int rc = gp_begin(&g, path, force, w, 760, "compare.gp", m_what ? m_what->format : PLOT_PNG, cause);
	if (!rc) {
		char sub[PLOT_MAX_TEXT * 4 + 8];
		struct plot_meta mm = { 0 };
		if (m_what)
			mm = *m_what;
		if (!mm.title)
			mm.title = "recorded vs what-if: each GPU at its peak";
		/* "GPUs: 3x24G -> 4x24G" when the topologies differ. */
		if (m_rec && m_rec->topology && m_what && m_what->topology &&
		    strcmp(m_rec->topology, m_what->topology) != 0) {
			char a[PLOT_MAX_TEXT * 4 + 8], b[PLOT_MAX_TEXT * 4 + 8];
			snprintf(sub, sizeof(sub), "%s -> %s",
				 gp_clean_text(a, sizeof(a), m_rec->topology, PLOT_MAX_TEXT),
				 gp_clean_text(b, sizeof(b), m_what->topology, PLOT_MAX_TEXT));
			mm.topology = sub;
		}
		if (!mm.trace_name && m_rec)
			mm.trace_name = m_rec->trace_name;
		if (!mm.model && m_rec)
			mm.model = m_rec->model;
		gp_titles(g.f, &mm, mm.title, w);
		tics_send(g.f, p1, p2, pos, nb);
		fprintf(g.f, "xlo = -600\nxhi = %d\n", (ng - 1) * 1000 + 600);
		bars_send(g.f, bars, nb, 180, bar_px);
		rc = gp_end(&g, cause);
		if (!rc)
			rc = gp_commit(&g, force, cause);
	}
	free(bars);
	free(p1);
	free(p2);
	free(pos);
	free(gl);
	return rc;
}

