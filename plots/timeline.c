/*
 * timeline.c - the timeline collector (plot.h): a replay observer that
 * keeps a bounded, downsampled history of each GPU's level. Pure data:
 * tested without gnuplot.
 */
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "timeline.h"
#include "util.h"

/* ---- the timeline collector ---- */

/* Halve the number of buckets: pairs (2j, 2j+1) become bucket j of twice
 * the width, which starts where 2j started. */
static void tl_merge(struct tl_dev *d)
{
	size_t j = 0;
	for (size_t i = 0; i < d->n; i += 2, j++) {
		struct plot_bucket m = d->b[i];
		if (i + 1 < d->n) {
			const struct plot_bucket *o = &d->b[i + 1];
			if (o->min < m.min)
				m.min = o->min;
			if (o->max > m.max) {
				m.max = o->max;
				memcpy(m.used, o->used, sizeof(m.used));
			}
		}
		d->b[j] = m;
	}
	d->n = j;
	d->width *= 2;
}

static void tl_set_cur(struct tl_dev *d, int64_t t, uint64_t seq, const uint64_t *used,
		       uint64_t level)
{
	memcpy(d->cur, used, sizeof(d->cur));
	d->cur_level = level;
	d->last_t = t;
	d->last_seq = seq;
	d->have = 1;
}

/* Dense mode: the bucket of t absorbs the new level; buckets between the
 * last one and it open with the level carried over. */
static void tl_dense_add(struct tl_dev *d, int64_t t, uint64_t seq, const uint64_t *used,
			 uint64_t level)
{
	uint64_t off = (uint64_t)t - (uint64_t)d->origin;
	uint64_t k = off / d->width;
	while (k >= PLOT_TIMELINE_BUCKETS) {
		tl_merge(d);
		k = off / d->width;
	}
	if (d->n && k < d->n - 1)
		k = d->n - 1;
	while (d->n <= k) {
		struct plot_bucket *nb = &d->b[d->n];
		nb->t = (int64_t)((uint64_t)d->origin + d->n * d->width);
		nb->seq = seq;
		if (d->have) {
			nb->min = nb->max = d->cur_level;
			memcpy(nb->used, d->cur, sizeof(nb->used));
		} else {
			nb->min = nb->max = level;
			memcpy(nb->used, used, sizeof(nb->used));
		}
		d->n++;
	}
	struct plot_bucket *b = &d->b[k];
	if (level < b->min)
		b->min = level;
	if (level > b->max) {
		b->max = level;
		memcpy(b->used, used, sizeof(b->used));
	}
	tl_set_cur(d, t, seq, used, level);
}

/*
 * Exact mode is full: turn the points into dense buckets whose width is
 * the smallest power of two that fits the span up to t into half the
 * buckets, so at least half are left for what comes.
 */
static void tl_downsample(struct tl_dev *d, int64_t t)
{
	struct plot_bucket *old = d->b;
	size_t n_old = d->n;
	uint64_t span = (uint64_t)t - (uint64_t)old[0].t;
	uint64_t w = 1;
	while (span / w >= PLOT_TIMELINE_BUCKETS / 2)
		w *= 2;
	d->b = util_xmalloc(PLOT_TIMELINE_BUCKETS * sizeof(*d->b));
	d->alloc = PLOT_TIMELINE_BUCKETS;
	d->n = 0;
	d->width = w;
	d->origin = old[0].t;
	d->have = 0;
	for (size_t i = 0; i < n_old; i++)
		tl_dense_add(d, old[i].t, old[i].seq, old[i].used, old[i].max);
	free(old);
}

static void tl_change(void *ud, int dev, int64_t t, const uint64_t *used, uint64_t reserved)
{
	struct plot_timeline *tl = ud;
	(void)reserved; /* capacity is checked against the sum of used[] */
	if (dev < 0 || dev >= tl->n_dev || !used)
		return;
	struct tl_dev *d = &tl->dev[dev];
	uint64_t seq = tl->n_changes++;
	uint64_t level = gp_sum_used(used);
	if (d->have && t < d->last_t)
		t = d->last_t;
	if (d->width == 0) {
		if (d->n < PLOT_TIMELINE_BUCKETS) {
			UTIL_GROW(d->b, d->n + 1, d->alloc);
			struct plot_bucket *b = &d->b[d->n++];
			b->t = t;
			b->seq = seq;
			b->min = b->max = level;
			memcpy(b->used, used, sizeof(b->used));
			tl_set_cur(d, t, seq, used, level);
			return;
		}
		tl_downsample(d, t);
	}
	tl_dense_add(d, t, seq, used, level);
}

static void tl_oom(void *ud, const struct sim_oom *o)
{
	struct plot_timeline *tl = ud;
	if (tl->n_oom < PLOT_OOM_MARKS) {
		tl->oom[tl->n_oom].o = *o;
		tl->oom[tl->n_oom].seq = tl->n_changes;
		tl->n_oom++;
	}
}

struct plot_timeline *plot_timeline_new(int n_dev)
{
	if (n_dev < 1 || n_dev > TOPO_MAX_GPUS)
		return NULL;
	struct plot_timeline *tl = util_xcalloc(1, sizeof(*tl));
	tl->n_dev = n_dev;
	tl->dev = util_xcalloc((size_t)n_dev, sizeof(*tl->dev));
	tl->obs.ud = tl;
	tl->obs.change = tl_change;
	tl->obs.oom = tl_oom;
	return tl;
}

const struct sim_observer *plot_timeline_observer(struct plot_timeline *tl)
{
	return &tl->obs;
}

void plot_timeline_free(struct plot_timeline *tl)
{
	if (!tl)
		return;
	for (int i = 0; i < tl->n_dev; i++)
		free(tl->dev[i].b);
	free(tl->dev);
	free(tl);
}

const struct plot_bucket *plot_timeline_buckets(const struct plot_timeline *tl, int dev,
						size_t *n, uint64_t *width, int64_t *origin)
{
	*n = 0;
	*width = 0;
	*origin = 0;
	if (!tl || dev < 0 || dev >= tl->n_dev || !tl->dev[dev].n)
		return NULL;
	const struct tl_dev *d = &tl->dev[dev];
	*n = d->n;
	*width = d->width;
	*origin = d->width ? d->origin : d->b[0].t;
	return d->b;
}

