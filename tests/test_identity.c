/*
 * test_identity.c - identity replay is exact: every bundled log's load
 * that records per-device buffers, replayed with no what-if, gives back
 * its logged per-device weights, KV, compute, output, context and other
 * buffers to the byte, on the recorded devices, whatever its split mode.
 * Table-driven over every file in tests/data/logs; prints one line per
 * load (the figures the README and the report cite).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "imp.h"
#include "scenario.h"
#include "sim_source.h"
#include "store.h"
#include "util.h"

/* Sum of the recorded allocations per device and category. */
struct rec_sums {
	uint64_t b[TOPO_MAX_GPUS][TRACE_CAT_MAX];
	int max_dev;
};

static int recorded(struct store *st, int64_t trace, struct rec_sums *r)
{
	struct trace_event *ev = NULL;
	size_t n = 0;
	memset(r, 0, sizeof(*r));
	r->max_dev = -1;
	if (sim_source_load(st, trace, &ev, &n, NULL))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct trace_event *e = &ev[i];
		if (e->device < 0 || e->device >= TOPO_MAX_GPUS || e->category >= TRACE_CAT_MAX)
			continue;
		if (e->kind == TRACE_ALLOC)
			r->b[e->device][e->category] += e->size;
		else if (e->kind == TRACE_FREE)
			r->b[e->device][e->category] -= e->size;
		if (e->device > r->max_dev)
			r->max_dev = e->device;
	}
	free(ev);
	return 0;
}

static void test_identity_replay_all_logs(void)
{
	glob_t g;
	CU_ASSERT_EQUAL_FATAL(glob(cu_data("logs/*.log"), 0, NULL, &g), 0);
	int loads = 0, exact = 0;
	for (size_t f = 0; f < g.gl_pathc; f++) {
		struct store *st = cu_store_new("id.db");
		CU_ASSERT_PTR_NOT_NULL_FATAL(st);
		struct imp_opts io = { .quiet = 1 };
		struct imp_ctx ic;
		memset(&ic, 0, sizeof(ic));
		char *cause = NULL;
		CU_ASSERT_EQUAL(imp_file(st, g.gl_pathv[f], &io, &ic, &cause), 0);
		free(ic.summary);
		free(cause);
		cause = NULL;
		struct store_trace_info *tl = NULL;
		size_t nt = 0;
		CU_ASSERT_EQUAL(store_trace_list(st, &tl, &nt, NULL), 0);
		for (size_t t = 0; t < nt; t++) {
			struct rec_sums r;
			if (recorded(st, tl[t].id, &r) || r.max_dev < 0)
				continue; /* no per-device buffers */
			struct scen_opts o;
			scen_opts_init(&o);
			/* the GPUs as recorded; sizes only where the log lacks them */
			struct topo rt;
			int assumed = 0;
			CU_ASSERT_EQUAL(scen_recorded_topo(st, tl[t].id, NULL, &rt, &assumed, NULL), 0);
			char spec[32];
			snprintf(spec, sizeof(spec), "%dx1000G", rt.n);
			if (assumed)
				CU_ASSERT_EQUAL(scen_opts_gpus(&o, spec, NULL), 0);
			char ref[32];
			snprintf(ref, sizeof(ref), "%lld", (long long)tl[t].id);
			struct scen sc;
			struct sim_result *res = util_xcalloc(1, sizeof(*res));
			int rc = scen_prepare(st, ref, &o, &sc, &cause);
			if (!rc)
				rc = scen_run(st, &sc, NULL, res, &cause);
			if (rc)
				fprintf(stderr, "\n%s: %s\n", tl[t].name, cause);
			CU_ASSERT_EQUAL(rc, 0);
			free(cause);
			cause = NULL;
			int bad = 0;
			char first[160] = "";
			static const int cats[] = { TRACE_CAT_WEIGHTS, TRACE_CAT_KV, TRACE_CAT_COMPUTE,
						    TRACE_CAT_OUTPUT, TRACE_CAT_CONTEXT, TRACE_CAT_OTHER,
						    TRACE_CAT_PROJECTOR };
			for (int d = 0; !rc && d <= r.max_dev; d++)
				for (size_t c = 0; c < UTIL_ARRAY_SIZE(cats); c++) {
					int k = cats[c];
					uint64_t want = r.b[d][k];
					/* context the log did not measure is the replay's
					 * assumed reserve, not a logged figure */
					if (k == TRACE_CAT_CONTEXT && !want)
						continue;
					uint64_t got = d < res->n_dev ? res->dev[d].peak_used[k] : 0;
					if (got != want) {
						if (!bad++)
							snprintf(first, sizeof(first), "GPU %d %s: logged %llu, "
								 "replayed %llu", d, trace_cat_name(k),
								 (unsigned long long)want,
								 (unsigned long long)got);
					}
				}
			loads++;
			exact += !bad && !rc;
			printf("\n  identity %-58s %2d GPUs  %s%s", tl[t].name, r.max_dev + 1,
			       bad ? "DIFFERS: " : "exact", first);
			CU_ASSERT_EQUAL(bad, 0);
			scen_clear(&sc);
			free(res);
		}
		for (size_t t = 0; t < nt; t++)
			store_trace_info_clear(&tl[t]);
		free(tl);
		store_close(st);
	}
	globfree(&g);
	printf("\n  identity replay: %d of %d loads exact\n", exact, loads);
	CU_ASSERT(loads >= 8);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("identity", NULL, NULL);
	CU_ADD(s, test_identity_replay_all_logs);
}

CUTEST_MAIN(register_tests)
