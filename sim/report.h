/*
 * report.h - a replay's result as people and scripts read it: a table in
 * MiB like nvidia-smi, or versioned JSON / CSV with raw bytes (null when
 * unknown). The JSON/CSV schemas change only with REPORT_VERSION.
 */
#ifndef VRAMSIM_REPORT_H
#define VRAMSIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "sim.h"
#include "verdict.h"

#define REPORT_VERSION 1

/* What the report says around the numbers. Everything may be NULL/0. */
struct report_ctx {
	const char *kind;           /* "replay" or "fit": JSON "format" is vramsim-<kind> */
	int64_t trace_id;
	const char *trace_name;
	const char *topology;       /* "4x24G" */
	const char *model;          /* allocator model name */
	const char *scenario;       /* one line: "ctx 32768, parallel 1, ..." */
	const char *const *notes;   /* lines shown under the table / "notes" in JSON */
	int n_notes;
	const char *oom_label;      /* label text of the first OOM's event */
	/* An engine's own estimate per GPU (bytes), shown beside the
	 * prediction; estimate[i] == UINT64_MAX means none for GPU i. */
	const char *estimate_engine;
	const uint64_t *estimate;
	int n_estimate;
	const char *estimate_json;  /* that engine's figures, one JSON object (NULL: none) */
	/* Layers per GPU in the scenario (NULL: unknown). */
	const int *layers;
	/* The verdict with its margin and band (NULL: the plain fits/OOM line). */
	const struct verdict *verdict;
	/* The recorded load beside a prediction: rec[d][category] for
	 * n_rec devices; the report shows prediction - log per GPU and
	 * term (0: none). */
	const uint64_t (*rec)[TRACE_CAT_MAX];
	int n_rec;
	/* The trace holds only an engine's estimate (no allocations): the
	 * JSON verdict names that estimate as its source, and the GPUs'
	 * capacities are the free memory the engine logged. */
	int estimate_only;
};

void report_table(FILE *f, const struct sim_result *r, const struct report_ctx *c);
void report_json(FILE *f, const struct sim_result *r, const struct report_ctx *c);
void report_csv(FILE *f, const struct sim_result *r, const struct report_ctx *c, int header);

/* Short verdict: 1 if every GPU fits (no OOM). */
int report_fits(const struct sim_result *r);

#endif
