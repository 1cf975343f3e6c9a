/*
 * test_engrow.c - the engine plan as a row of the engine table
 * (sim/engrow.h, sim/scenario.h): what names a model rather than a trace;
 * the formula model answering from the GGUF's profile when no engine can
 * be had; with the engine, the events of a scenario are llama.cpp's plan
 * (KV and weights equal to eng_plan's) plus the runtime terms; a
 * context-only what-if and a frozen-placement context sweep re-plan the
 * loaded model; the verdict's band is the engine's measured error and
 * names the terms it has none for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_gguf.h"
#include "cutest.h"
#include "engine.h"
#include "model_error_engine.h"
#include "scenario.h"
#include "util.h"

#define MiB (1ull << 20)

static const char *M; /* stories260K */
static int have_engine;

static void test_is_model(void)
{
	CU_ASSERT_TRUE(engrow_is_model("ollama:llama3.3:70b"));
	CU_ASSERT_TRUE(engrow_is_model("store:3"));
	CU_ASSERT_TRUE(engrow_is_model("model:layers=4,embd=64"));
	CU_ASSERT_TRUE(engrow_is_model(M));
	CU_ASSERT_FALSE(engrow_is_model(NULL));
	CU_ASSERT_FALSE(engrow_is_model("server.log"));          /* a trace name */
	CU_ASSERT_FALSE(engrow_is_model(cu_data("logs")));        /* a directory */
	CU_ASSERT_FALSE(engrow_is_model(cu_data("gguf/SOURCES.md"))); /* a file, not GGUF */
}

static void opts(struct scen_opts *so, const char *gpus, uint64_t ctx)
{
	char *cause = NULL;
	scen_opts_init(so);
	CU_ASSERT_EQUAL_FATAL(scen_opts_gpus(so, gpus, &cause), 0);
	so->what.ctx = ctx;
}

static int has_note(const struct scen *sc, const char *s)
{
	for (int i = 0; i < sc->n_notes; i++)
		if (strstr(sc->notes[i], s))
			return 1;
	return 0;
}

/* Bytes of category cat on device dev in sc's events. */
static uint64_t ev_bytes(const struct scen *sc, int dev, int cat)
{
	uint64_t b = 0;
	for (size_t i = 0; i < sc->n_ev; i++)
		if (sc->ev[i].device == dev && sc->ev[i].category == cat && sc->ev[i].kind == TRACE_ALLOC)
			b += sc->ev[i].size;
	return b;
}

/* Runs first: the planner pool is still empty. */
static void test_formula_without_engine(void)
{
	const char *keep = getenv("VRAMSIM_ENGINE");
	char *saved = keep ? util_xstrdup(keep) : NULL;
	setenv("VRAMSIM_ENGINE", "/nonexistent/vramsim-engine", 1);
	struct scen_opts so;
	opts(&so, "2x24G", 512);
	struct scen sc;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(scen_prepare(NULL, M, &so, &sc, &cause), 0);
	CU_ASSERT_FALSE(scen_is_engine_plan(&sc));
	CU_ASSERT_STRING_EQUAL(sc.engine->name, "formula");
	CU_ASSERT_TRUE(has_note(&sc, "no llama.cpp engine plan (no llama.cpp engine planner"));
	CU_ASSERT_EQUAL(sc.ld->n_layer, 5);
	scen_clear(&sc);
	/* an engine-only option has no answer then */
	so.eng.cpu_moe = 1;
	CU_ASSERT_EQUAL(scen_prepare(NULL, M, &so, &sc, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "--cpu-moe needs the llama.cpp engine plan"));
	free(cause);
	scen_clear(&sc);
	if (saved)
		setenv("VRAMSIM_ENGINE", saved, 1);
	else
		unsetenv("VRAMSIM_ENGINE");
	free(saved);
}

static void test_events_are_the_plan(void)
{
	if (!have_engine)
		return;
	struct scen_opts so;
	opts(&so, "2x24G", 512);
	struct scen sc;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(scen_prepare(NULL, M, &so, &sc, &cause), 0);
	CU_ASSERT_TRUE_FATAL(scen_is_engine_plan(&sc));
	struct eng *e = eng_open(NULL, &cause);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	struct eng_req r;
	eng_req_init(&r);
	r.model = M;
	r.n_gpus = 2;
	/* the row tells llama.cpp what the runtime leaves free */
	r.mem[0] = r.mem[1] = 24ull << 30;
	r.free_mem[0] = r.free_mem[1] = (24ull << 30) - SIM_DEFAULT_RESERVE;
	r.ctx = 512;
	r.parallel = 1;
	struct eng_plan p;
	CU_ASSERT_EQUAL_FATAL(eng_plan(e, &r, &p, &cause), 0);
	for (int g = 0; g < 2; g++) {
		CU_ASSERT_EQUAL(ev_bytes(&sc, g, TRACE_CAT_KV), p.gpu[g].kv);
		CU_ASSERT_EQUAL(ev_bytes(&sc, g, TRACE_CAT_WEIGHTS), p.gpu[g].weights);
		CU_ASSERT_EQUAL(ev_bytes(&sc, g, TRACE_CAT_COMPUTE), p.gpu[g].compute);
		CU_ASSERT_EQUAL(ev_bytes(&sc, g, TRACE_CAT_WORKSPACE), ENGROW_WORKSPACE);
		CU_ASSERT_EQUAL(sc.layers[g], p.gpu[g].layers);
	}
	CU_ASSERT_EQUAL(ev_bytes(&sc, TRACE_DEV_HOST, TRACE_CAT_OUTPUT), p.host.output);
	/* the default runtime stays llama.cpp's measured 450 MiB in all */
	CU_ASSERT_EQUAL(sc.cfg.reserve + ENGROW_WORKSPACE, SIM_DEFAULT_RESERVE);
	eng_plan_free(&p);
	eng_close(e);

	/* the verdict is the engine plan's, with its band */
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	CU_ASSERT_EQUAL_FATAL(scen_run(NULL, &sc, NULL, res, &cause), 0);
	struct verdict v;
	scen_judge(&sc, res, 0, &v);
	CU_ASSERT_EQUAL(v.source, VERDICT_SRC_ENGINE);
	CU_ASSERT_EQUAL(v.kind, VERDICT_FITS);
	CU_ASSERT_STRING_EQUAL(verdict_source_name(v.source), "engine plan");
	free(res);
	scen_clear(&sc);
}

static void test_context_whatif_reuses(void)
{
	if (!have_engine)
		return;
	struct scen_opts so;
	opts(&so, "2x24G", 512);
	struct scen sc;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(scen_prepare(NULL, M, &so, &sc, &cause), 0);
	int p0, r0, p1, r1;
	engrow_stats(sc.state, &p0, &r0);
	uint64_t kv512 = ev_bytes(&sc, 0, TRACE_CAT_KV);
	sc.lsc.ctx = 1024;
	sc.lsc.flash_attn = 1;
	CU_ASSERT_EQUAL_FATAL(scen_rebuild(&sc, &cause), 0);
	engrow_stats(sc.state, &p1, &r1);
	CU_ASSERT_EQUAL(p1, p0 + 1);
	CU_ASSERT_EQUAL(r1, r0 + 1);  /* the loaded model re-planned */
	CU_ASSERT_EQUAL(ev_bytes(&sc, 0, TRACE_CAT_KV), 2 * kv512);
	/* a context sweep freezes the placement and unbounds the GPUs: every
	 * plan of it reuses the model too */
	uint64_t ctx[3] = { 256, 768, 1536 }, peak[3 * 2];
	CU_ASSERT_EQUAL_FATAL(scen_peaks_vs_ctx(NULL, &sc, ctx, 3, peak, &cause), 0);
	int p2, r2;
	engrow_stats(sc.state, &p2, &r2);
	/* the sweep's 3 plans and the restore: the first frozen placement
	 * (an explicit split) loads the model, every other plan re-plans it;
	 * the restore asks what was asked before the sweep, and the client
	 * answers it again without the planner (eng_plan's memo) */
	CU_ASSERT_EQUAL(p2 - p1, 4);
	CU_ASSERT_EQUAL(r2 - r1, 3);
	CU_ASSERT_TRUE(peak[0] < peak[2] && peak[2] < peak[4]);
	scen_clear(&sc);
}

static void test_engine_band(void)
{
	struct sim_result *r = util_xcalloc(1, sizeof(*r));
	r->n_dev = 1;
	r->n_events = 4;
	r->dev[0].capacity = 1000 * MiB;
	r->dev[0].peak = 800 * MiB;
	r->dev[0].peak_used[TRACE_CAT_WEIGHTS] = 500 * MiB;
	r->dev[0].peak_used[TRACE_CAT_COMPUTE] = 100 * MiB;
	r->dev[0].peak_used[TRACE_CAT_CONTEXT] = 200 * MiB;
	struct verdict v;
	verdict_judge(r, VERDICT_SRC_ENGINE, 0, 0, &v);
	double want = MODEL_ERR_ENGINE_COMPUTE * 100 * MiB + MODEL_ERR_ENGINE_CONTEXT * 200 * MiB +
		      MODEL_ERR_ENGINE_WEIGHTS * 500 * MiB;
	CU_ASSERT_TRUE(v.band[0] >= (uint64_t)want && v.band[0] <= (uint64_t)want + 1);
	CU_ASSERT_EQUAL(v.unmeasured[0], '\0');
	CU_ASSERT_PTR_NOT_NULL(strstr(v.cite, "model_error_engine.h"));
	/* a projector: measured against a real load (model_error_engine.h),
	 * so in the band; the output buffer: no measured error of the engine
	 * plan there, named */
	r->dev[0].peak_used[TRACE_CAT_PROJECTOR] = 10 * MiB;
	verdict_judge(r, VERDICT_SRC_ENGINE, 0, 0, &v);
	CU_ASSERT_EQUAL(v.unmeasured[0], '\0');
	want += MODEL_ERR_ENGINE_PROJECTOR * 10 * MiB;
	CU_ASSERT_TRUE(v.band[0] >= (uint64_t)want && v.band[0] <= (uint64_t)want + 1);
	r->dev[0].peak_used[TRACE_CAT_OUTPUT] = 1 * MiB;
	verdict_judge(r, VERDICT_SRC_ENGINE, 0, 0, &v);
	CU_ASSERT_STRING_EQUAL(v.unmeasured, "output");
	free(r);
}

static void register_tests(void)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s", cu_data("gguf/stories260K.gguf"));
	M = path;
	if (!getenv("VRAMSIM_ENGINE") && access("build/engine/vramsim-engine", X_OK) == 0)
		setenv("VRAMSIM_ENGINE", "build/engine/vramsim-engine", 1);
	char *cause = NULL;
	struct eng *e = eng_open(NULL, &cause);
	have_engine = e != NULL;
	if (!e)
		printf("test_engrow: no engine (%s): the engine tests do nothing\n", cause);
	free(cause);
	eng_close(e);
	CU_pSuite s = CU_add_suite("engrow", NULL, NULL);
	CU_ADD(s, test_is_model);
	CU_ADD(s, test_formula_without_engine);
	CU_ADD(s, test_events_are_the_plan);
	CU_ADD(s, test_context_whatif_reuses);
	CU_ADD(s, test_engine_band);
}

CUTEST_MAIN(register_tests)
