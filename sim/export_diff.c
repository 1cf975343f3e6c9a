/*
 * export_diff.c - two replays side by side: per GPU, the bytes of each
 * category at each side's peak and the difference of the peaks. The
 * categories at the peak add up to the peak, so the rows of a GPU
 * explain its peak difference.
 */
#include "export.h"
#include "util.h"

#include <inttypes.h>

/* The GPU g of a side, NULL if that side has fewer GPUs. */
static const struct sim_dev *dev(const struct export_side *s, int g)
{
	return g < s->res->n_dev ? &s->res->dev[g] : NULL;
}

static int max_gpus(const struct export_side *a, const struct export_side *b)
{
	return a->res->n_dev > b->res->n_dev ? a->res->n_dev : b->res->n_dev;
}

static void mib_cell(FILE *f, const struct sim_dev *d, uint64_t v)
{
	if (d)
		fprintf(f, " %10.1f", (double)v / UTIL_MIB);
	else
		fprintf(f, " %10s", "-");
}

static void table_row(FILE *f, int g, const char *what, const struct sim_dev *da, uint64_t a,
		      const struct sim_dev *db, uint64_t b)
{
	fprintf(f, "%3d  %-10s", g, what);
	mib_cell(f, da, a);
	mib_cell(f, db, b);
	if (da && db)
		fprintf(f, " %+10.1f\n", ((double)b - (double)a) / UTIL_MIB);
	else
		fprintf(f, " %10s\n", "-");
}

static void side_line(FILE *f, const char *tag, const struct export_side *s)
{
	fprintf(f, "%s: trace %" PRId64 " '%s' on %s: %s\n", tag, s->trace_id,
		s->trace_name ? s->trace_name : "", s->topology ? s->topology : "?",
		s->scenario ? s->scenario : "");
}

static void oom_line(FILE *f, const char *tag, const struct export_side *s)
{
	const struct sim_result *r = s->res;
	if (!r->has_oom)
		return;
	const struct sim_oom *o = &r->first_oom;
	fprintf(f, "%s does not fit: GPU %d runs out of memory at t=%" PRId64 " ns (%.1f MiB %s, "
		"%.1f MiB free)%s\n", tag, o->device, o->t_ns, (double)o->size / UTIL_MIB,
		trace_cat_name(o->category), (double)o->free / UTIL_MIB,
		r->stopped ? "; its numbers stop there" : "");
}

void export_diff_table(FILE *f, const struct export_side *a, const struct export_side *b)
{
	side_line(f, "A", a);
	side_line(f, "B", b);
	fprintf(f, "\nGPU  Category        A MiB      B MiB    B-A MiB\n");
	for (int g = 0; g < max_gpus(a, b); g++) {
		const struct sim_dev *da = dev(a, g), *db = dev(b, g);
		for (int c = 0; c < TRACE_CAT_MAX; c++) {
			uint64_t va = da ? da->peak_used[c] : 0, vb = db ? db->peak_used[c] : 0;
			if (va || vb)
				table_row(f, g, trace_cat_name(c), da, va, db, vb);
		}
		table_row(f, g, "peak", da, da ? da->peak : 0, db, db ? db->peak : 0);
	}
	if (a->res->host.peak || b->res->host.peak)
		fprintf(f, "host peak     %10.1f %10.1f %+10.1f\n", (double)a->res->host.peak / UTIL_MIB,
			(double)b->res->host.peak / UTIL_MIB,
			((double)b->res->host.peak - (double)a->res->host.peak) / UTIL_MIB);
	oom_line(f, "A", a);
	oom_line(f, "B", b);
}

/* b - a as a JSON number (both below 2^63 in any real trace). */
static void json_delta(FILE *f, uint64_t a, uint64_t b)
{
	if (b >= a)
		fprintf(f, "%" PRIu64, b - a);
	else
		fprintf(f, "-%" PRIu64, a - b);
}

static void json_side(FILE *f, const struct export_side *s)
{
	fprintf(f, "{\"trace\":{\"id\":%" PRId64 ",\"name\":", s->trace_id);
	util_json_str(f, s->trace_name);
	fputs("},\"topology\":", f);
	util_json_str(f, s->topology);
	fputs(",\"scenario\":", f);
	util_json_str(f, s->scenario);
	fprintf(f, ",\"fits\":%s,\"stopped\":%s,\"first_oom\":", s->res->has_oom ? "false" : "true",
		s->res->stopped ? "true" : "false");
	if (s->res->has_oom) {
		const struct sim_oom *o = &s->res->first_oom;
		fprintf(f, "{\"t_ns\":%" PRId64 ",\"gpu\":%d,\"size\":%" PRIu64 ",\"category\":\"%s\","
			"\"free\":%" PRIu64 "}", o->t_ns, o->device, o->size, trace_cat_name(o->category),
			o->free);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\"host_peak\":%" PRIu64 "}", s->res->host.peak);
}

static void json_dev(FILE *f, const struct sim_dev *d)
{
	if (!d) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"capacity\":%" PRIu64 ",\"peak\":%" PRIu64 ",\"peak_breakdown\":{", d->capacity,
		d->peak);
	for (int c = 0; c < TRACE_CAT_MAX; c++)
		fprintf(f, "%s\"%s\":%" PRIu64, c ? "," : "", trace_cat_name(c), d->peak_used[c]);
	fputs("}}", f);
}

void export_diff_json(FILE *f, const struct export_side *a, const struct export_side *b)
{
	fprintf(f, "{\"format\":\"vramsim-diff\",\"version\":%d,\"a\":", EXPORT_VERSION);
	json_side(f, a);
	fputs(",\"b\":", f);
	json_side(f, b);
	fputs(",\"gpus\":[", f);
	for (int g = 0; g < max_gpus(a, b); g++) {
		const struct sim_dev *da = dev(a, g), *db = dev(b, g);
		fprintf(f, "%s{\"index\":%d,\"a\":", g ? "," : "", g);
		json_dev(f, da);
		fputs(",\"b\":", f);
		json_dev(f, db);
		fputs(",\"peak_diff\":", f);
		if (da && db)
			json_delta(f, da->peak, db->peak);
		else
			fputs("null", f);
		fputs(",\"diff\":", f);
		if (da && db) {
			fputc('{', f);
			for (int c = 0; c < TRACE_CAT_MAX; c++) {
				fprintf(f, "%s\"%s\":", c ? "," : "", trace_cat_name(c));
				json_delta(f, da->peak_used[c], db->peak_used[c]);
			}
			fputc('}', f);
		} else {
			fputs("null", f);
		}
		fputc('}', f);
	}
	fputs("],\"host_peak_diff\":", f);
	json_delta(f, a->res->host.peak, b->res->host.peak);
	fputs("}\n", f);
}
