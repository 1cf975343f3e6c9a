/*
 * fuzz_estimate.c - what users type after --engine-estimate: the input is
 * the whole engine string ("ollama-0.5:quant=Q4_K_M,free=11G/4G,...").
 * It runs through estimate_engine_known and estimate_compute_json on a small --model
 * scenario, so every row and every option value the parser lets through
 * reach the estimators (ollama.c, quant.c) and the replay under the
 * engine's own choice of layers. A result must be an error with a cause,
 * or an explanation and a JSON object naming the row. Seeds:
 * tests/fuzz/seeds/estimate.
 */
#include "estimate.h"
#include "fuzz.h"
#include "sim.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	static struct scen sc;
	static struct sim_result res;
	static int ready;
	char *cause = NULL;
	if (!ready) {
		struct scen_opts o;
		scen_opts_init(&o);
		if (scen_opts_gpus(&o, "2x12G", &cause))
			fuzz_fail("the fixed GPUs", cause);
		o.what.ctx = 4096;
		o.model_spec = "layers=8,embd=512,heads=8,kv_heads=2,vocab=1000,ff=1536,size=100M";
		if (scen_prepare(NULL, NULL, &o, &sc, &cause) || scen_run(NULL, &sc, NULL, &res, &cause))
			fuzz_fail("the fixed scenario", cause);
		ready = 1;
	}
	(void)estimate_engine_known(s);
	uint64_t est[TOPO_MAX_GPUS];
	char *ex = NULL, *js = NULL;
	int rc = estimate_compute_json(s, &sc, &res, est, &ex, &js, &cause);
	if (rc) {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
	} else if (!ex || !js || js[0] != '{' || !strstr(js, "\"engine\":\"")) {
		fuzz_fail("an estimate without its explanation or JSON", s);
	}
	free(ex);
	free(js);
	free(s);
	return 0;
}
