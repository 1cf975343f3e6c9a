/*
 * fuzz_llm.c - the model descriptions users type: --meta (llm_meta_parse)
 * and --model (llm_from_spec). The same string goes to both. A load made
 * from a spec must hold what its header promises (at most LLM_MAX_LAYERS
 * layers, one recorded GPU holding them all). Seeds: tests/fuzz/seeds/llm.
 */
#include "fuzz.h"
#include "llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char *cause = NULL;
	struct llm_meta m;
	int rc = llm_meta_parse(s, &m, &cause);
	if (rc) {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
		cause = NULL;
	}

	static struct llm_load ld;
	rc = llm_from_spec(s, &ld, &cause);
	if (rc) {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
	} else if (ld.n_layer == 0 || ld.n_layer > LLM_MAX_LAYERS || ld.rec_gpus != 1 ||
		   ld.rec_layers[0] != (int)ld.n_layer + 1 || ld.n_notes < 1) {
		fuzz_fail("llm_from_spec made an inconsistent load", s);
	}
	free(s);
	return 0;
}
