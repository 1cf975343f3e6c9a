/*
 * fitcurve.c - the context curve picture (plot_fitcurve_write, plot.h):
 * peak memory per GPU against context length.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "util.h"

/* ---- fit curve ---- */

static const char *const gpu_colors[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
	"#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79",
};

/* A point's context and its index: sorted as pairs, so no comparator
 * needs a global to see the contexts. */
struct ctx_idx {
	uint64_t ctx;
	int idx;
};

static int by_ctx(const void *a, const void *b)
{
	const struct ctx_idx *x = a, *y = b;
	return x->ctx < y->ctx ? -1 : x->ctx > y->ctx ? 1 : (x->idx > y->idx) - (x->idx < y->idx);
}

/*
 * A log2 context axis only for points spaced by ratios (4k, 8k, 16k...)
 * over a wide range: evenly spaced points on a log axis make linear KV
 * growth look like an explosion.
 */
static int geometric(const uint64_t *ctx, const int *ord, int n)
{
	uint64_t lo = ctx[ord[0]], hi = ctx[ord[n - 1]];
	if (!lo || hi / lo < 8)
		return 0;
	for (int i = 1; i < n; i++) {
		uint64_t a = ctx[ord[i - 1]], b = ctx[ord[i]];
		if (b != a && (double)b / (double)a < 1.5)
			return 0;
	}
	return 1;
}

int plot_fitcurve_write(const uint64_t *ctx, const uint64_t *peak, int n_points, int n_dev,
			const uint64_t *capacity, const struct plot_meta *m, const char *path,
			int force, char **cause)
{
	if (!ctx || !peak || !capacity || n_points < 1 || n_dev < 1 || n_dev > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT,
				"fit curve: expected at least one point and 1 to %d GPUs",
				TOPO_MAX_GPUS);
	struct ctx_idx *pairs = util_xmalloc((size_t)n_points * sizeof(*pairs));
	for (int i = 0; i < n_points; i++)
		pairs[i] = (struct ctx_idx){ ctx[i], i };
	qsort(pairs, (size_t)n_points, sizeof(*pairs), by_ctx);
	int *ord = util_xmalloc((size_t)n_points * sizeof(*ord));
	for (int i = 0; i < n_points; i++)
		ord[i] = pairs[i].idx;
	free(pairs);
	/* Largest context at which every GPU fits. */
	uint64_t fit = 0;
	int any_fit = 0;
	for (int i = 0; i < n_points; i++) {
		int ok = 1;
		for (int d = 0; d < n_dev; d++)
			ok &= peak[(size_t)ord[i] * (size_t)n_dev + (size_t)d] <= capacity[d];
		if (ok) {
			fit = ctx[ord[i]];
			any_fit = 1;
		}
	}
	struct gp g;
	int rc = gp_begin(&g, path, force, 1280, 720, "fitcurve.gp", m ? m->format : PLOT_PNG, cause);
	if (rc) {
		free(ord);
		return rc;
	}
	FILE *f = g.f;
	gp_titles(f, m, "peak memory per GPU against context length", 1280);
	uint64_t ymax = 1, cmin = ctx[ord[0]], cmax = ctx[ord[n_points - 1]];
	fprintf(f, "ND = %d\n", n_dev);
	gp_array_decl(f, "gname", n_dev);
	gp_array_decl(f, "gcol", n_dev);
	for (int d = 0; d < n_dev; d++) {
		char t[32];
		snprintf(t, sizeof(t), "GPU %d", d);
		gp_array_str(f, "gname", d + 1, t, 16);
		gp_array_str(f, "gcol", d + 1, gpu_colors[(size_t)d % UTIL_ARRAY_SIZE(gpu_colors)], 16);
		if (capacity[d] > ymax)
			ymax = capacity[d];
	}
	/* One dashed line per distinct capacity, named after its GPUs. */
	int ncap = 0;
	char (*capn)[96] = util_xcalloc((size_t)n_dev, sizeof(*capn));
	uint64_t *capv = util_xcalloc((size_t)n_dev, sizeof(*capv));
	int *capfirst = util_xcalloc((size_t)n_dev, sizeof(*capfirst));
	for (int d = 0; d < n_dev; d++) {
		int k = 0;
		while (k < ncap && capv[k] != capacity[d])
			k++;
		if (k == ncap) {
			char a[32];
			capv[ncap] = capacity[d];
			capfirst[ncap] = d;
			snprintf(capn[ncap], sizeof(capn[ncap]), "capacity %s MiB: GPU %d",
				 gp_mib(a, sizeof(a), capacity[d]), d);
			ncap++;
		} else {
			size_t l = strlen(capn[k]);
			if (l + 12 < sizeof(capn[k]))
				snprintf(capn[k] + l, sizeof(capn[k]) - l, ",%d", d);
		}
	}
	/* One capacity for all: no GPU list to read. */
	if (ncap == 1)
		*strchr(capn[0], ':') = '\0';
	fprintf(f, "NC = %d\n", ncap);
	gp_array_decl(f, "capv", ncap);
	gp_array_decl(f, "capn", ncap);
	gp_array_decl(f, "capc", ncap);
	for (int k = 0; k < ncap; k++) {
		gp_array_u64(f, "capv", k + 1, capv[k]);
		gp_array_str(f, "capn", k + 1, capn[k], 90);
		gp_array_str(f, "capc", k + 1, ncap == 1 ? "#d62728" :
			     gpu_colors[(size_t)capfirst[k] % UTIL_ARRAY_SIZE(gpu_colors)], 16);
	}
	free(capn);
	free(capv);
	free(capfirst);
	fputs("$fc << EOD\n", f);
	for (int d = 0; d < n_dev; d++) {
		if (d)
			fputs("\n\n", f);
		for (int i = 0; i < n_points; i++) {
			uint64_t p = peak[(size_t)ord[i] * (size_t)n_dev + (size_t)d];
			if (p > ymax)
				ymax = p;
			fprintf(f, "%" PRIu64 " %" PRIu64 "\n", ctx[ord[i]], p);
		}
	}
	fputs("EOD\n", f);
	fprintf(f, "ytop = %" PRIu64 "\nxlo = %" PRIu64 "\nxhi = %" PRIu64 "\nlogx = %d\n", ymax,
		cmin, cmax, geometric(ctx, ord, n_points));
	fprintf(f, "fit_x = %" PRIu64 "\nany_fit = %d\n", fit, any_fit);
	free(ord);
	rc = gp_end(&g, cause);
	if (!rc)
		rc = gp_commit(&g, force, cause);
	return rc;
}

