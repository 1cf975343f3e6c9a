/*
 * fuzz_scenario.c - the what-if options of replay/fit/plot end to end:
 * each line of the input is "OPTION VALUE" (a long option of the what-if
 * family without its dashes, e.g. "gpus 4x24G", "split 3,1",
 * "ctx 32768", "model layers=80,..."), handed to scen_opt as getopt
 * would; then the scenario is prepared from --model (no store) and
 * replayed. This drives topo_parse, llm_from_spec, llm_meta_parse, the
 * split, device-map and --alloc-conf parsers, llm_build and sim_replay
 * with whatever values the parsers let through. Without a model or GPU
 * line a small default is used. Seeds: tests/fuzz/seeds/scenario.
 */
#include <getopt.h>

#include "fuzz.h"
#include "sim.h"
#include "scenario.h"

static const struct option longopts[] = { SCEN_LONGOPTS { NULL, 0, NULL, 0 } };

#define MAX_LINES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct scen_opts o;
	scen_opts_init(&o);
	int rc = 0, lines = 0;
	char *cause = NULL;
	for (char *p = text, *next; p && lines < MAX_LINES && rc >= 0; p = next, lines++) {
		char *eol = strchr(p, '\n');
		next = eol ? eol + 1 : NULL;
		if (eol)
			*eol = '\0';
		char *sp = strchr(p, ' ');
		const char *arg = sp ? sp + 1 : "";
		if (sp)
			*sp = '\0';
		for (const struct option *lo = longopts; lo->name; lo++)
			if (strcmp(lo->name, p) == 0) {
				rc = scen_opt(&o, lo->val, arg, &cause);
				if (rc != 1 && rc != UTIL_EINPUT)
					fuzz_fail("scen_opt: unexpected return code", cause);
				break;
			}
	}
	if (rc < 0) {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
		free(text);
		return 0;
	}
	if (!o.model_spec)
		o.model_spec = "layers=8,embd=512,heads=8,kv_heads=2,vocab=1000,size=100M";
	if (!o.gpus)
		scen_opts_gpus(&o, "2x24G", NULL); /* typed options: parsed, not assigned */

	static struct scen sc;
	static struct sim_result res;
	rc = scen_prepare(NULL, NULL, &o, &sc, &cause);
	if (rc == 0)
		rc = scen_run(NULL, &sc, NULL, &res, &cause);
	if (rc) {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
	} else if (res.n_dev < 1 || res.n_dev > TOPO_MAX_GPUS) {
		fuzz_fail("replay result with a device count out of range", text);
	}
	scen_clear(&sc);
	free(text);
	return 0;
}
