/*
 * verdict.h - what a replay's numbers mean for the user: fits, borderline,
 * does not fit, or no basis for an answer. Every verdict names the
 * tightest GPU and its headroom, the margin asked for (--margin), and an
 * uncertainty band per GPU derived from the measured error of the model
 * that produced the numbers (sim/model_error.h, written by `make
 * validate`). A GPU whose headroom is within margin + band of its limit
 * makes the verdict "borderline", never "fits".
 */
#ifndef VRAMSIM_VERDICT_H
#define VRAMSIM_VERDICT_H

#include <stdint.h>
#include <stdio.h>

#include "sim.h"

enum verdict_kind { VERDICT_FITS, VERDICT_BORDERLINE, VERDICT_NOFIT, VERDICT_NOBASIS };

/* The model that produced the numbers. */
enum verdict_source {
	VERDICT_SRC_RECORDED,  /* a recorded trace replayed as it ran (identity) */
	VERDICT_SRC_FORMULA,   /* the formula model's what-if (sim/llm.c) */
	VERDICT_SRC_ENGINE,    /* llama.cpp's own plan on virtual GPUs (sim/engrow.h) */
};

struct verdict {
	enum verdict_kind kind;
	enum verdict_source source;
	int tight;                      /* GPU with the least headroom - band, -1 if none */
	int64_t headroom;               /* of the tight GPU: capacity - peak */
	uint64_t margin;                /* --margin */
	uint64_t band[TOPO_MAX_GPUS];   /* +- bytes per GPU */
	int n_dev;
	int lower_bound;                /* some term was not counted (--assume-missing) */
	const char *cite;               /* where the band's error figures come from */
	char unmeasured[96];            /* terms with bytes but no measured error ("" if none):
					 * the band leaves them out and says so */
	char why[256];                  /* VERDICT_NOBASIS: what is missing */
};

/*
 * Judge r. src names the model; margin the headroom asked for;
 * lower_bound 1 when a term was left out (the verdict then says "at
 * least"). An empty replay is VERDICT_NOBASIS.
 */
void verdict_judge(const struct sim_result *r, enum verdict_source src, uint64_t margin,
		   int lower_bound, struct verdict *v);

const char *verdict_kind_name(enum verdict_kind k);   /* "fits", "borderline", ... */
const char *verdict_source_name(enum verdict_source s);

/* "verdict: ..." lines for people (the OOM details stay in the report). */
void verdict_print(FILE *f, const struct verdict *v, const char *topology);
/* The "verdict" JSON object (no trailing comma). */
void verdict_json(FILE *f, const struct verdict *v);

#endif
