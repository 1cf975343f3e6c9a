/*
 * llamalog_bd.c - llama.cpp's memory breakdown table (PR #15860, printed
 * at exit) and the --fit projection (llama_params_fit_impl, PR #16653).
 * Both print one row per device after the buffers of their load.
 */
#include "llamalog_int.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* -------------------------------- llama.cpp: memory breakdown (#15860) */

/* The numbers of a breakdown row: digits, spaces and "=+()|" only, and a
 * '-' right before a number (a signed column, see bd_signed). Bit i of
 * *neg: number i had a minus. */
static int breakdown_numbers(const char *s, uint64_t *v, int max, int *n, unsigned *neg)
{
	*n = 0;
	*neg = 0;
	for (const char *c = s; *c;) {
		int minus = *c == '-' && isdigit((unsigned char)c[1]);
		if (minus)
			c++;
		if (isdigit((unsigned char)*c)) {
			if (*n == max || ll_u64(c, &v[*n], &c))
				return -1;
			if (minus)
				*neg |= 1u << *n;
			(*n)++;
		} else if (strchr(" \t=+()|\r", *c)) {
			c++;
		} else {
			return -1;
		}
	}
	return 0;
}

/* One breakdown column as an allocation, unless buffer lines of this load
 * already gave it (they are more precise). */
static void breakdown_alloc(struct ll *p, struct ll_load *l, int dev, int cat, uint64_t mib,
			    const char *name, const char *col)
{
	unsigned have = dev >= 0 ? l->dev[dev] : l->host;
	if (mib == 0 || mib > (uint64_t)LL_MAX_MIB || (have & ll_cat_flag(cat)))
		return;
	char label[96];
	snprintf(label, sizeof(label), "%s %s (breakdown)", name, col);
	ll_ev_add(p, l, TRACE_ALLOC, dev, cat, mib * 1048576, label);
}

/*
 * A column that can go below zero, as a signed MiB figure. llama.cpp
 * computes free and unaccounted in size_t, so a negative result prints
 * as 2^64 - x bytes = 17592186044416 - x MiB (issues #19437, #20858);
 * PR #20858 proposes printing free signed, with a minus. Sizes above
 * 2^43 MiB are read as such a wrap.
 */
static int64_t bd_signed(uint64_t v, int minus)
{
	const uint64_t wrap = 1ull << 44; /* 2^64 bytes in MiB */
	if (minus)
		return v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
	if (v >= wrap / 2 && v < wrap)
		return -(int64_t)(wrap - v);
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* One parsed breakdown row (MiB; has_* say which columns the row has). */
struct bd_row {
	char name[48];
	char desc[96];
	int64_t free_signed, unacc_signed; /* those columns as printed, signed */
	int has_total, has_free;
	uint64_t total, free_, self, model, context, compute, unacc;
};

/*
 * "- CUDA0 (RTX 4090): 24080 = 9436 + (14193 = 13169 + 38 + 985) + 451"
 * (total = free + (self = model + context + compute) + unaccounted);
 * host rows "- CPU (EPYC 7742): 515628  72 = 0 + 57 + 15" or
 * "| - Host | 78362 = 78278 + 0 + 84 |". Returns 1 if s is not a row.
 */
static int bd_parse(struct ll *p, const char *s, struct bd_row *r, char **cause)
{
	const char *dash = strstr(s, " - ");
	if (!dash)
		return 1;
	const char *nb = dash + 3, *ne = nb;
	while (ll_is_word((unsigned char)*ne))
		ne++;
	if (ne == nb || (size_t)(ne - nb) >= sizeof(r->name))
		return 1;
	ll_copy_span(r->name, sizeof(r->name), nb, ne);
	r->desc[0] = '\0';
	const char *c = ll_skip_sp(ne);
	if (*c == '(') {
		/* "(RX 9060 XT (RADV GFX1200))": the matching parenthesis */
		const char *close = c;
		for (int depth = 0; *close; close++)
			if (*close == '(')
				depth++;
			else if (*close == ')' && --depth == 0)
				break;
		if (!*close)
			return 1;
		ll_copy_span(r->desc, sizeof(r->desc), c + 1, close);
		c = close + 1;
	}
	c = ll_skip_sp(c);
	if (*c != ':' && *c != '|')
		return 1;
	uint64_t v[8];
	unsigned neg;
	int n, paren = strchr(c, '(') != NULL;
	if (breakdown_numbers(c + 1, v, 8, &n, &neg) || (paren ? n != 7 : n != 4 && n != 5)) {
		if (n < (paren ? 7 : 4) && !breakdown_numbers(c + 1, v, 8, &n, &neg))
			p->cut = 1; /* the row stops early: cut short */
		return util_err(cause, UTIL_EINPUT,
				"%s:%zu: expected 'total = free + (self = model + context + compute) "
				"+ unaccounted' in MiB in the memory breakdown row of %s",
				p->ctx->path, p->lineno, r->name);
	}
	int64_t sv[8];
	for (int i = 0; i < n; i++) {
		sv[i] = bd_signed(v[i], neg >> i & 1);
		if (v[i] > (uint64_t)LL_MAX_MIB || (neg >> i & 1))
			v[i] = UINT64_MAX; /* below zero: see bd_sane() */
	}
	if (paren) {
		r->free_signed = sv[1];
		r->unacc_signed = sv[6];
	}
	const uint64_t *w = v;
	r->has_total = paren || n == 5;
	r->has_free = paren;
	r->total = r->has_total ? *w++ : 0;
	r->free_ = r->has_free ? *w++ : 0;
	r->self = *w++;
	r->model = w[0];
	r->context = w[1];
	r->compute = w[2];
	r->unacc = paren ? w[3] : 0;
	return 0;
}

/* The columns must add up; when they do not, "unaccounted" was computed
 * from a bad free figure and wrapped around below zero (printed as
 * 17592186xxxxxx MiB: llama.cpp issue #19437, bundled as
 * tests/data/logs/llamacpp-19437-1080ti-wrapped-unaccounted-fit.log). */
static int bd_sane(const struct bd_row *r)
{
	return r->total != UINT64_MAX && r->free_ != UINT64_MAX && r->unacc != UINT64_MAX &&
	       r->self != UINT64_MAX && r->free_ <= r->total && r->self <= r->total - r->free_ &&
	       r->unacc <= r->total;
}

/* A GPU row's driver-level columns: unaccounted (the CUDA context) and a
 * used/total snapshot, when the row adds up. */
static void bd_gpu(struct ll *p, struct ll_load *l, int dev, const struct bd_row *r)
{
	if (!bd_sane(r)) {
		/* keep what the row says, signed, and say what it means */
		char key[96], note[256];
		if (r->unacc_signed < 0) {
			snprintf(key, sizeof(key), "breakdown.unaccounted_mib.%s", r->name);
			ll_set_int(l, key, r->unacc_signed);
			snprintf(note, sizeof(note), "%s: unaccounted is %lld MiB (below zero: the "
				 "engine's buffers exceed what the driver reports used); no CUDA context "
				 "recorded", r->name, (long long)r->unacc_signed);
			ll_note(l, note);
		}
		if (r->free_signed < 0) {
			snprintf(key, sizeof(key), "breakdown.free_mib.%s", r->name);
			ll_set_int(l, key, r->free_signed);
			snprintf(note, sizeof(note), "%s: free is %lld MiB (below zero: about %lld MiB "
				 "spilled over into host memory)", r->name, (long long)r->free_signed,
				 -(long long)r->free_signed);
			ll_note(l, note);
		}
		if (!p->warned_wrap) {
			p->warned_wrap = 1;
			imp_warn(p->ctx, "line %zu: memory breakdown of %s does not add up "
				 "(%s): its free and unaccounted columns are ignored",
				 p->lineno, r->name,
				 r->unacc_signed < 0 ? "unaccounted below zero"
				 : r->free_signed < 0 ? "free below zero" : "inconsistent");
		}
		return;
	}
	char label[96];
	snprintf(label, sizeof(label), "%s unaccounted (breakdown)", r->name);
	if (r->unacc)
		ll_ev_add(p, l, TRACE_ALLOC, dev, TRACE_CAT_CONTEXT, r->unacc * 1048576, label);
	struct trace_event *snap = ll_ev_add(p, l, TRACE_SNAPSHOT, dev, TRACE_CAT_OTHER,
					  (r->total - r->free_) * 1048576, NULL);
	snap->aux = r->total * 1048576;
}

/* "llama_memory_breakdown_print: | memory breakdown [MiB] | total ..." */
int ll_on_bd_header(struct ll *p, char *s, char **cause)
{
	(void)cause;
	if (!strstr(s, "memory_breakdown") || !strstr(s, "memory breakdown"))
		return 1;
	ll_load_for(p);
	return 0;
}

int ll_on_bd_row(struct ll *p, char *s, char **cause)
{
	if (!strstr(s, "memory_breakdown"))
		return 1;
	struct bd_row r;
	int rc = bd_parse(p, s, &r, cause);
	if (rc)
		return rc;
	int dev = ll_check_dev(p, ll_dev_from_name(r.name));
	if (dev == -2)
		return 0;
	/* a second row for a device: a second table without a header line */
	struct ll_load *l = ll_load_for_row(p, dev, DF_BD);
	l->eng |= ENG_MAINLINE;
	l->phase = PH_BREAKDOWN;
	breakdown_alloc(p, l, dev, TRACE_CAT_WEIGHTS, r.model, r.name, "model");
	breakdown_alloc(p, l, dev, TRACE_CAT_KV, r.context, r.name, "context");
	breakdown_alloc(p, l, dev, TRACE_CAT_COMPUTE, r.compute, r.name, "compute");
	if (dev < 0)
		return 0;
	l->has_buf = 1;
	if (r.desc[0])
		ll_dev_name(p, dev, r.desc);
	if (r.has_total && r.total != UINT64_MAX && r.total > 0)
		p->dev[dev].total = r.total * 1048576;
	if (r.has_free)
		bd_gpu(p, l, dev, &r);
	return 0;
}

/* ------------------------------------- llama.cpp: --fit projection */

/* "<num> word" anywhere after s: the number before " used," etc. */
static int num_tagged(const char *s, const char *tag, uint64_t *v)
{
	const char *t = strstr(s, tag);
	if (!t)
		return -1;
	const char *b = t;
	while (b > s && isdigit((unsigned char)b[-1]))
		b--;
	return b < t ? ll_u64(b, v, NULL) : -1;
}

/*
 * "llama_params_fit_impl:   - CUDA0 (NVIDIA GeForce RTX 3090):  24117
 * total,  20903 used,   2870 free vs. target of   1024" and "projected to
 * use 81940 MiB of device memory vs. 95309 MiB of free device memory".
 */
int ll_on_fit_total(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *pr = strstr(s, "projected to use ");
	if (!strstr(s, "params_fit") || !pr)
		return 1;
	uint64_t used, freem;
	const char *e;
	const char *vs = strstr(pr, " vs. ");
	if (ll_mib(pr + 17, &used, &e) || !vs || ll_mib(vs + 5, &freem, NULL))
		return 0;
	struct ll_load *l = ll_load_for(p);
	ll_est_add(l, "llama-fit", TRACE_DEV_HOST, "projected", used);
	ll_est_add(l, "llama-fit", TRACE_DEV_HOST, "free_total", freem);
	return 0;
}

/* "llama_params_fit_impl: projected memory use with initial parameters [MiB]:" */
int ll_on_fit_header(struct ll *p, char *s, char **cause)
{
	(void)cause;
	if (!strstr(s, "params_fit") || !strstr(s, "projected memory use"))
		return 1;
	ll_load_for(p);
	return 0;
}

int ll_on_fit_row(struct ll *p, char *s, char **cause)
{
	(void)cause;
	if (!strstr(s, "params_fit"))
		return 1;
	const char *r = strstr(s, " - ");
	if (!r)
		return 1;
	const char *nb = r + 3, *ne = nb;
	while (ll_is_word((unsigned char)*ne))
		ne++;
	char name[48];
	if (ne == nb || (size_t)(ne - nb) >= sizeof(name))
		return 1;
	ll_copy_span(name, sizeof(name), nb, ne);
	int dev = ll_dev_from_name(name);
	if (dev < 0)
		return 1;
	const char *c = ll_skip_sp(ne);
	if (*c == '(') {
		const char *close = strchr(c, ')');
		if (close) {
			char desc[96];
			ll_copy_span(desc, sizeof(desc), c + 1, close);
			ll_dev_name(p, dev, desc);
		}
	}
	struct ll_load *l = ll_load_for_row(p, dev, DF_FIT);
	l->eng |= ENG_MAINLINE;
	static const struct { const char *tag, *key; } cols[] = {
		{ " total", "total" }, { " used", "used" }, { " free", "free" },
	};
	uint64_t v;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cols); i++)
		if (num_tagged(c, cols[i].tag, &v) == 0 && v <= (uint64_t)LL_MAX_MIB) {
			ll_est_add(l, "llama-fit", dev, cols[i].key, v * 1048576);
			if (strcmp(cols[i].key, "total") == 0 && !p->dev[dev].total)
				p->dev[dev].total = v * 1048576;
		}
	const char *t = strstr(c, "target of ");
	if (t && ll_u64(ll_skip_sp(t + 10), &v, NULL) == 0 && v <= (uint64_t)LL_MAX_MIB)
		ll_est_add(l, "llama-fit", dev, "target", v * 1048576);
	return 0;
}


/*
 * What --fit decided: "llama_params_fit_impl: context size reduced from
 * 262144 to 30000 -> need 6257 MiB less memory in total", "llama_params_fit:
 * failed to fit params to free device memory: <why>, abort",
 * "... successfully fit params to free device memory" (llama.cpp
 * src/llama.cpp, later common/fit.cpp: common_params_fit_impl).
 */
int ll_on_fit_result(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *t;
	uint64_t from, to;
	const char *e;
	if ((t = strstr(s, "context size reduced from ")) &&
	    ll_u64(t + 26, &from, &e) == 0 && strncmp(e, " to ", 4) == 0 &&
	    ll_u64(e + 4, &to, NULL) == 0) {
		struct ll_load *l = ll_load_for(p);
		ll_set_u64(l, SK(FIT_N_CTX_FROM), from);
		ll_set_u64(l, SK(FIT_N_CTX), to);
		l->eng |= ENG_MAINLINE;
		return 0;
	}
	if ((t = strstr(s, "failed to fit params"))) {
		const char *why = strstr(t, ": ");
		char b[160];
		snprintf(b, sizeof(b), "failed%s%s", why ? ": " : "", why ? why + 2 : "");
		ll_set(ll_load_for(p), SK(FIT_RESULT), b);
		return 0;
	}
	if (strstr(s, "successfully fit params")) {
		ll_set(ll_load_for(p), SK(FIT_RESULT), "ok");
		return 0;
	}
	return 1;
}
