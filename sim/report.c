/*
 * report.c - tables, JSON and CSV for replay results.
 */
#include "report.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static double mib(uint64_t b)
{
	return (double)b / UTIL_MIB;
}

/* The terms a llama.cpp breakdown names (vramsim's "context" is its
 * "unaccounted"). */
static const int terms[] = { TRACE_CAT_WEIGHTS, TRACE_CAT_KV, TRACE_CAT_COMPUTE, TRACE_CAT_OUTPUT,
			     TRACE_CAT_CONTEXT, TRACE_CAT_OTHER };

static int64_t term_diff(const struct sim_result *r, const struct report_ctx *c, int g, int cat)
{
	uint64_t got = g < r->n_dev ? r->dev[g].peak_used[cat] : 0;
	return (int64_t)got - (int64_t)c->rec[g][cat];
}

static void attribution_table(FILE *f, const struct sim_result *r, const struct report_ctx *c)
{
	fprintf(f, "\nprediction - recorded load, per GPU and term (MiB):\n%3s", "GPU");
	for (size_t k = 0; k < sizeof(terms) / sizeof(terms[0]); k++)
		fprintf(f, " %10s", terms[k] == TRACE_CAT_CONTEXT ? "context*" : trace_cat_name(terms[k]));
	fputc('\n', f);
	for (int g = 0; g < c->n_rec; g++) {
		fprintf(f, "%3d", g);
		for (size_t k = 0; k < sizeof(terms) / sizeof(terms[0]); k++)
			fprintf(f, " %+10.1f", (double)term_diff(r, c, g, terms[k]) / UTIL_MIB);
		fputc('\n', f);
	}
	fprintf(f, "(*context: CUDA context and what no buffer accounts for, llama.cpp's "
		   "\"unaccounted\"; the replay's reserve where the log does not measure it)\n");
}

int report_fits(const struct sim_result *r)
{
	return !r->has_oom;
}

void report_table(FILE *f, const struct sim_result *r, const struct report_ctx *c)
{
	char *tname = util_term_xstr(c->trace_name ? c->trace_name : "?");
	fprintf(f, "trace %" PRId64 " '%s' on %s (allocator model %s)\n", c->trace_id, tname,
		c->topology ? c->topology : "?", c->model ? c->model : "exact");
	free(tname);
	if (c->scenario)
		fprintf(f, "scenario: %s\n", c->scenario);
	/* Columns: the categories any GPU holds at its peak (context always),
	 * in enum order with "other" last: an LLM load shows weights, KV,
	 * compute; a PyTorch run activations and the allocator's cache. */
	int cols[TRACE_CAT_MAX], nc = 0;
	for (int k = 1; k <= TRACE_CAT_MAX; k++) {
		int cat = k % TRACE_CAT_MAX; /* other (0) last */
		int any = cat == TRACE_CAT_CONTEXT;
		for (int i = 0; i < r->n_dev && !any; i++)
			any = r->dev[i].peak_used[cat] != 0;
		if (any)
			cols[nc++] = cat;
	}
	fprintf(f, "\n%3s %9s %9s %6s", "GPU", "Capacity", "Peak", "Peak%");
	for (int k = 0; k < nc; k++) {
		char name[16];
		snprintf(name, sizeof(name), "%s", trace_cat_name(cols[k]));
		name[0] = (char)(name[0] - 'a' + 'A');
		/* llama.cpp's breakdown calls the KV cache "context" and the
		 * runtime's own memory "unaccounted" (README "Columns"). */
		if (cols[k] == TRACE_CAT_KV)
			snprintf(name, sizeof(name), "KV cache");
		else if (cols[k] == TRACE_CAT_CONTEXT)
			snprintf(name, sizeof(name), "Runtime");
		fprintf(f, " %10s", name);
	}
	fprintf(f, " %9s%s%s\n", "Headroom", c->layers ? " Layers" : "",
		c->estimate ? "  Estimate  Unused" : "");
	fprintf(f, "%3s %9s %9s %6s", "", "MiB", "MiB", "");
	for (int k = 0; k < nc; k++)
		fprintf(f, " %10s", "MiB");
	fprintf(f, " %9s%s%s\n", "MiB", c->layers ? "       " : "",
		c->estimate ? "       MiB     MiB" : "");
	uint64_t tot_cap = 0, tot_peak = 0;
	for (int i = 0; i < r->n_dev; i++) {
		const struct sim_dev *d = &r->dev[i];
		tot_cap += d->capacity;
		tot_peak += d->peak;
		fprintf(f, "%3d %9.0f %9.0f %5.1f%%", i, mib(d->capacity), mib(d->peak),
			d->capacity ? 100.0 * (double)d->peak / (double)d->capacity : 0.0);
		for (int k = 0; k < nc; k++)
			fprintf(f, " %10.0f", mib(d->peak_used[cols[k]]));
		fprintf(f, " %9.0f", mib(sim_headroom(d)));
		if (c->layers)
			fprintf(f, " %6d", c->layers[i]);
		if (c->estimate && i < c->n_estimate && c->estimate[i] != UINT64_MAX)
			fprintf(f, " %9.0f %7.0f", mib(c->estimate[i]),
				c->estimate[i] > d->peak ? mib(c->estimate[i] - d->peak)
							 : -mib(d->peak - c->estimate[i]));
		if (d->n_oom)
			fprintf(f, "  OOM");
		fputc('\n', f);
	}
	fprintf(f, "%3s %9.0f %9.0f %5.1f%%\n", "all", mib(tot_cap), mib(tot_peak),
		tot_cap ? 100.0 * (double)tot_peak / (double)tot_cap : 0.0);
	const struct sim_dev *h = &r->host;
	if (h->peak) {
		fprintf(f, "host: peak %.0f MiB (", mib(h->peak));
		for (int cat = 0, first = 1; cat < TRACE_CAT_MAX; cat++)
			if (h->peak_used[cat]) {
				fprintf(f, "%s%s %.0f", first ? "" : ", ", trace_cat_name(cat),
					mib(h->peak_used[cat]));
				first = 0;
			}
		fprintf(f, ")\n");
	}
	if (c->n_rec)
		attribution_table(f, r, c);
	if (c->estimate)
		fprintf(f, "estimate: what %s would reserve per GPU; unused = estimate - predicted peak\n",
			c->estimate_engine ? c->estimate_engine : "the engine");
	for (int i = 0; i < c->n_notes; i++)
		fprintf(f, "note: %s\n", c->notes[i]);
	if (r->wrapped_devices)
		fprintf(f, "note: the trace uses more devices than the topology has; "
			   "device N replays on GPU N mod %d\n", r->n_dev);
	if (r->n_spilled)
		fprintf(f, "note: %.0f MiB spilled to host memory (--on-oom spill)\n", mib(r->n_spilled));
	for (int i = 0; i < r->n_dev; i++)
		if (r->dev[i].managed_peak) /* sim/sim.h: kept apart from VRAM */
			fprintf(f, "note: GPU %d: up to %.0f MiB of managed memory, not counted as VRAM "
				"(--managed-as-vram counts it)\n", i, mib(r->dev[i].managed_peak));
	if (r->has_oom) {
		const struct sim_oom *o = &r->first_oom;
		fprintf(f, "\nverdict: DOES NOT FIT: GPU %d runs out of memory at t=%.3f s allocating "
			   "%.1f MiB (%s", o->device, (double)o->t_ns / 1e9, mib(o->size),
			trace_cat_name(o->category));
		if (o->layer_lo >= 0)
			fprintf(f, o->layer_hi > o->layer_lo ? ", layers %d-%d" : ", layer %d", o->layer_lo,
				o->layer_hi);
		if (c->oom_label) {
			char *lab = util_term_xstr(c->oom_label);
			fprintf(f, ", %s", lab);
			free(lab);
		}
		fprintf(f, ") with %.1f MiB free%s\n", mib(o->free),
			o->recorded ? " (the recorded run failed here too)" : "");
	} else if (c->verdict) {
		verdict_print(f, c->verdict, c->topology);
	} else {
		int tight = 0;
		for (int i = 1; i < r->n_dev; i++)
			if (sim_headroom(&r->dev[i]) < sim_headroom(&r->dev[tight]))
				tight = i;
		fprintf(f, "\nverdict: fits on %s; least headroom on GPU %d: %.0f MiB\n",
			c->topology ? c->topology : "these GPUs", tight, mib(sim_headroom(&r->dev[tight])));
	}
}

static void json_breakdown(FILE *f, const uint64_t *used)
{
	fputc('{', f);
	for (int c = 0; c < TRACE_CAT_MAX; c++)
		fprintf(f, "%s\"%s\":%" PRIu64, c ? "," : "", trace_cat_name(c), used[c]);
	fputc('}', f);
}

static void json_opt(FILE *f, uint64_t v, int known)
{
	if (known)
		fprintf(f, "%" PRIu64, v);
	else
		fputs("null", f);
}

void report_json(FILE *f, const struct sim_result *r, const struct report_ctx *c)
{
	fprintf(f, "{\"format\":\"vramsim-%s\",\"version\":%d,\"trace\":{\"id\":%" PRId64 ",\"name\":",
		c->kind ? c->kind : "replay", REPORT_VERSION, c->trace_id);
	util_json_str(f, c->trace_name);
	fputs("},\"topology\":", f);
	util_json_str(f, c->topology);
	fputs(",\"allocator_model\":", f);
	util_json_str(f, c->model ? c->model : "exact");
	fputs(",\"scenario\":", f);
	util_json_str(f, c->scenario);
	int fits = c->verdict ? c->verdict->kind == VERDICT_FITS : !r->has_oom;
	fprintf(f, ",\"fits\":%s,\"events\":%" PRIu64 ",\"verdict\":", fits ? "true" : "false",
		r->n_events);
	if (c->verdict && c->estimate_only) {
		/* verdict_json's fields, its source the engine's estimate */
		fputs("{\"kind\":\"no-basis\",\"source\":\"engine estimate\",\"tight_gpu\":-1,"
		      "\"headroom\":0,\"margin\":0,\"lower_bound\":false,\"band\":[],"
		      "\"band_source\":\"none: nothing was replayed\",\"why\":", f);
		util_json_str(f, c->verdict->why);
		fputc('}', f);
	} else if (c->verdict)
		verdict_json(f, c->verdict);
	else
		fputs("null", f);
	fputs(",\"gpus\":[", f);
	for (int i = 0; i < r->n_dev; i++) {
		const struct sim_dev *d = &r->dev[i];
		fprintf(f, "%s{\"index\":%d,\"capacity\":%" PRIu64 ",\"peak\":%" PRIu64
			   ",\"peak_t_ns\":%" PRId64 ",\"headroom\":%" PRIu64 ",\"reserve\":%" PRIu64
			   ",\"peak_reserved\":%" PRIu64 ",\"allocs\":%" PRIu64 ",\"ooms\":%" PRIu64
			   ",\"peak_breakdown\":",
			i ? "," : "", i, d->capacity, d->peak, d->peak_t, sim_headroom(d), d->reserve,
			d->peak_reserved, d->n_alloc, d->n_oom);
		json_breakdown(f, d->peak_used);
		fputs(",\"final_breakdown\":", f);
		json_breakdown(f, d->used);
		fputs(",\"layers\":", f);
		if (c->layers)
			fprintf(f, "%d", c->layers[i]);
		else
			fputs("null", f);
		fputs(",\"recorded_used\":", f);
		json_opt(f, d->recorded_used, d->recorded_total != 0);
		fputs(",\"estimate\":", f);
		int has_est = c->estimate && i < c->n_estimate && c->estimate[i] != UINT64_MAX;
		json_opt(f, has_est ? c->estimate[i] : 0, has_est);
		fputc('}', f);
	}
	fprintf(f, "],\"host\":{\"peak\":%" PRIu64 ",\"peak_breakdown\":", r->host.peak);
	json_breakdown(f, r->host.peak_used);
	fputs("},\"estimate_engine\":", f);
	util_json_str(f, c->estimate ? c->estimate_engine : NULL);
	fputs(",\"engine_estimate\":", f); /* the engine's own figures (estimate.h) */
	fputs(c->estimate_json ? c->estimate_json : "null", f);
	fputs(",\"oom\":", f);
	if (r->has_oom) {
		const struct sim_oom *o = &r->first_oom;
		fprintf(f, "{\"t_ns\":%" PRId64 ",\"gpu\":%d,\"recorded_device\":%d,\"size\":%" PRIu64
			   ",\"category\":\"%s\",\"layer_lo\":%d,\"layer_hi\":%d,\"free\":%" PRIu64
			   ",\"recorded\":%s,\"label\":",
			o->t_ns, o->device, o->recorded_device, o->size, trace_cat_name(o->category),
			o->layer_lo, o->layer_hi, o->free, o->recorded ? "true" : "false");
		util_json_str(f, c->oom_label);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(",\"vs_recorded\":", f);
	if (c->n_rec) {
		fputc('[', f);
		for (int g = 0; g < c->n_rec; g++) {
			fprintf(f, "%s{\"gpu\":%d", g ? "," : "", g);
			for (size_t k = 0; k < sizeof(terms) / sizeof(terms[0]); k++)
				fprintf(f, ",\"%s\":%" PRId64, trace_cat_name(terms[k]),
					term_diff(r, c, g, terms[k]));
			fputc('}', f);
		}
		fputc(']', f);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\"ooms\":%" PRIu64 ",\"spilled\":%" PRIu64 ",\"unmatched_frees\":%" PRIu64
		   ",\"notes\":[", r->n_oom, r->n_spilled, r->n_unmatched);
	for (int i = 0; i < c->n_notes; i++) {
		if (i)
			fputc(',', f);
		util_json_str(f, c->notes[i]);
	}
	fputs("]}\n", f);
}

void report_csv(FILE *f, const struct sim_result *r, const struct report_ctx *c, int header)
{
	if (header) {
		fputs("version,trace,topology,gpu,capacity,peak,headroom,peak_t_ns,layers,estimate,ooms", f);
		for (int k = 0; k < TRACE_CAT_MAX; k++)
			fprintf(f, ",%s", trace_cat_name(k));
		fputc('\n', f);
	}
	for (int i = 0; i < r->n_dev; i++) {
		const struct sim_dev *d = &r->dev[i];
		fprintf(f, "%d,%" PRId64 ",%s,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",",
			REPORT_VERSION, c->trace_id, c->topology ? c->topology : "", i, d->capacity,
			d->peak, sim_headroom(d), d->peak_t);
		if (c->layers)
			fprintf(f, "%d", c->layers[i]);
		fputc(',', f);
		if (c->estimate && i < c->n_estimate && c->estimate[i] != UINT64_MAX)
			fprintf(f, "%" PRIu64, c->estimate[i]);
		fprintf(f, ",%" PRIu64, d->n_oom);
		for (int k = 0; k < TRACE_CAT_MAX; k++)
			fprintf(f, ",%" PRIu64, d->peak_used[k]);
		fputc('\n', f);
	}
}
