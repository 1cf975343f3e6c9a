/*
 * verdict.c - fits / borderline / does not fit / no basis, with margins.
 */
#include "verdict.h"
#include "model_error.h"
#include "model_error_engine.h"
#include "util.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Measured largest relative error of the formula model per term
 * (sim/model_error.h); a term never compared takes the largest error
 * measured on any term, not zero. */
static double formula_err(int cat)
{
	static const struct { double err; int n; } e[TRACE_CAT_MAX] = {
		[TRACE_CAT_OTHER] = { MODEL_ERR_FORMULA_OTHER, MODEL_ERR_FORMULA_OTHER_N },
		[TRACE_CAT_WEIGHTS] = { MODEL_ERR_FORMULA_WEIGHTS, MODEL_ERR_FORMULA_WEIGHTS_N },
		[TRACE_CAT_KV] = { MODEL_ERR_FORMULA_KV, MODEL_ERR_FORMULA_KV_N },
		[TRACE_CAT_COMPUTE] = { MODEL_ERR_FORMULA_COMPUTE, MODEL_ERR_FORMULA_COMPUTE_N },
		[TRACE_CAT_OUTPUT] = { MODEL_ERR_FORMULA_OUTPUT, MODEL_ERR_FORMULA_OUTPUT_N },
		[TRACE_CAT_CONTEXT] = { MODEL_ERR_FORMULA_CONTEXT, MODEL_ERR_FORMULA_CONTEXT_N },
		[TRACE_CAT_PROJECTOR] = { MODEL_ERR_FORMULA_PROJECTOR, MODEL_ERR_FORMULA_PROJECTOR_N },
	};
	if (cat >= 0 && cat < TRACE_CAT_MAX && e[cat].n > 0)
		return e[cat].err;
	double m = 0;
	for (int c = 0; c < TRACE_CAT_MAX; c++)
		if (e[c].n > 0 && e[c].err > m)
			m = e[c].err;
	return m;
}

/* The engine plan's measured error per term (sim/model_error_engine.h);
 * a term never compared is unmeasured (-1): the verdict names it. */
static double engine_err(int cat)
{
	static const struct { double err; int n; } e[TRACE_CAT_MAX] = {
		[TRACE_CAT_WEIGHTS] = { MODEL_ERR_ENGINE_WEIGHTS, MODEL_ERR_ENGINE_WEIGHTS_N },
		[TRACE_CAT_KV] = { MODEL_ERR_ENGINE_KV, MODEL_ERR_ENGINE_KV_N },
		[TRACE_CAT_COMPUTE] = { MODEL_ERR_ENGINE_COMPUTE, MODEL_ERR_ENGINE_COMPUTE_N },
		[TRACE_CAT_OUTPUT] = { MODEL_ERR_ENGINE_OUTPUT, MODEL_ERR_ENGINE_OUTPUT_N },
		[TRACE_CAT_CONTEXT] = { MODEL_ERR_ENGINE_CONTEXT, MODEL_ERR_ENGINE_CONTEXT_N },
		[TRACE_CAT_WORKSPACE] = { MODEL_ERR_ENGINE_WORKSPACE, MODEL_ERR_ENGINE_WORKSPACE_N },
		[TRACE_CAT_PROJECTOR] = { MODEL_ERR_ENGINE_PROJECTOR, MODEL_ERR_ENGINE_PROJECTOR_N },
	};
	return cat >= 0 && cat < TRACE_CAT_MAX && e[cat].n > 0 ? e[cat].err : -1;
}

const char *verdict_kind_name(enum verdict_kind k)
{
	static const char *const n[] = { "fits", "borderline", "does-not-fit", "no-basis" };
	return (unsigned)k < UTIL_ARRAY_SIZE(n) ? n[k] : "?";
}

const char *verdict_source_name(enum verdict_source s)
{
	return s == VERDICT_SRC_RECORDED ? "recorded load" : s == VERDICT_SRC_ENGINE ? "engine plan"
	       : "formula model";
}

void verdict_judge(const struct sim_result *r, enum verdict_source src, uint64_t margin,
		   int lower_bound, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->source = src;
	v->margin = margin;
	v->lower_bound = lower_bound;
	v->tight = -1;
	v->n_dev = r->n_dev;
	v->cite = src == VERDICT_SRC_RECORDED
		? "tests/test_identity.c: every bundled load replays to its log exactly"
		: src == VERDICT_SRC_ENGINE
		? "sim/model_error_engine.h: llama.cpp's no_alloc plan vs real allocations: weights and KV "
		  "exact, compute up to +17.65% (GPUs after the first, pipeline parallelism), projector "
		  "exact (2 logs), runtime 1.32% (3 RTX 4090)"
		: "sim/model_error.h (make validate): largest error per term on the bundled logs";
	int64_t best = INT64_MAX;
	uint64_t any = 0;
	for (int g = 0; g < r->n_dev; g++) {
		const struct sim_dev *d = &r->dev[g];
		double b = 0;
		for (int c = 0; src == VERDICT_SRC_FORMULA && c < TRACE_CAT_MAX; c++)
			b += formula_err(c) * (double)d->peak_used[c];
		for (int c = 0; src == VERDICT_SRC_ENGINE && c < TRACE_CAT_MAX; c++) {
			double err = engine_err(c);
			if (err >= 0) {
				b += err * (double)d->peak_used[c];
			} else if (d->peak_used[c] && !strstr(v->unmeasured, trace_cat_name(c))) {
				size_t l = strlen(v->unmeasured);
				snprintf(v->unmeasured + l, sizeof(v->unmeasured) - l, "%s%s", l ? ", " : "",
					 trace_cat_name(c));
			}
		}
		v->band[g] = (uint64_t)ceil(b);
		for (int c = 0; c < TRACE_CAT_MAX; c++)
			if (c != TRACE_CAT_CONTEXT)
				any += d->peak_used[c];
		int64_t head = (int64_t)d->capacity - (int64_t)d->peak;
		int64_t slack = head - (int64_t)v->band[g];
		if (slack < best) {
			best = slack;
			v->tight = g;
			v->headroom = head;
		}
	}
	if (r->has_oom) {
		v->kind = VERDICT_NOFIT;
		v->tight = r->first_oom.device;
		return;
	}
	if (r->n_events == 0 || !any) {
		v->kind = VERDICT_NOBASIS;
		snprintf(v->why, sizeof(v->why), "%s",
			 r->n_events == 0 ? "the trace holds no allocations (only settings or an engine's "
					    "estimate)"
					  : "the trace allocates nothing on a GPU");
		return;
	}
	if (v->tight < 0) {
		v->kind = VERDICT_NOBASIS;
		snprintf(v->why, sizeof(v->why), "no GPU in the scenario");
		return;
	}
	v->kind = best - (int64_t)margin < 0 ? VERDICT_BORDERLINE : VERDICT_FITS;
}

static double mib(double b)
{
	return b / UTIL_MIB;
}

void verdict_print(FILE *f, const struct verdict *v, const char *topology)
{
	const char *on = topology ? topology : "these GPUs";
	switch (v->kind) {
	case VERDICT_NOBASIS:
		fprintf(f, "\nverdict: no answer: %s\n", v->why);
		return;
	case VERDICT_NOFIT:
		return; /* the report prints the OOM */
	case VERDICT_FITS:
		fprintf(f, "\nverdict: fits on %s%s; least headroom on GPU %d: %.0f MiB", on,
			v->lower_bound ? " ONLY AS A LOWER BOUND (a term was not counted: the real "
					 "need is larger)" : "", v->tight, mib((double)v->headroom));
		break;
	case VERDICT_BORDERLINE:
		fprintf(f, "\nverdict: BORDERLINE on %s: GPU %d has %.0f MiB headroom, within its "
			   "uncertainty +-%.0f MiB%s%s", on, v->tight, mib((double)v->headroom),
			mib((double)v->band[v->tight]), v->margin ? " plus the margin asked for" : "",
			v->lower_bound ? " (and a term was not counted: a lower bound)" : "");
		break;
	}
	fprintf(f, " (+-%.0f MiB from the %s", mib((double)v->band[v->tight]),
		verdict_source_name(v->source));
	if (v->margin)
		fprintf(f, "; margin %.0f MiB asked", mib((double)v->margin));
	fprintf(f, ")\nband: %s\n", v->cite);
	if (v->unmeasured[0])
		fprintf(f, "band: unmeasured for %s (no measured error of the %s there): not in the band\n",
			v->unmeasured, verdict_source_name(v->source));
}

void verdict_json(FILE *f, const struct verdict *v)
{
	fprintf(f, "{\"kind\":\"%s\",\"source\":\"%s\",\"tight_gpu\":%d,\"headroom\":%" PRId64
		   ",\"margin\":%" PRIu64 ",\"lower_bound\":%s,\"band\":[",
		verdict_kind_name(v->kind), verdict_source_name(v->source), v->tight, v->headroom,
		v->margin, v->lower_bound ? "true" : "false");
	for (int g = 0; g < v->n_dev; g++)
		fprintf(f, "%s%" PRIu64, g ? "," : "", v->band[g]);
	fputs("],\"band_source\":", f);
	util_json_str(f, v->cite);
	fputs(",\"band_unmeasured\":", f);
	if (v->unmeasured[0])
		util_json_str(f, v->unmeasured);
	else
		fputs("null", f);
	fputs(",\"why\":", f);
	if (v->kind == VERDICT_NOBASIS)
		util_json_str(f, v->why);
	else
		fputs("null", f);
	fputc('}', f);
}
