/*
 * timeline.h - internal to plots/: the timeline collector's state, read
 * by the timeline picture (timeline_png.c). Its public face is in plot.h.
 */
#ifndef VRAMSIM_TIMELINE_H
#define VRAMSIM_TIMELINE_H

#include "plot.h"

#define PLOT_OOM_MARKS 64

struct tl_dev {
	struct plot_bucket *b;   /* exact points, or dense buckets from origin */
	size_t n, alloc;
	uint64_t width;          /* 0: exact mode */
	int64_t origin;          /* start of bucket 0 (dense mode) */
	int have;                /* a change was seen: cur is valid */
	int64_t last_t;
	uint64_t last_seq;
	uint64_t cur[TRACE_CAT_MAX]; /* state after the last change */
	uint64_t cur_level;
};

struct plot_oom_mark {
	struct sim_oom o;
	uint64_t seq;            /* changes seen before it (x in change-number plots) */
};

struct plot_timeline {
	int n_dev;
	struct tl_dev *dev;
	struct sim_observer obs;
	uint64_t n_changes;      /* over all devices */
	struct plot_oom_mark oom[PLOT_OOM_MARKS];
	int n_oom;
};

#endif
