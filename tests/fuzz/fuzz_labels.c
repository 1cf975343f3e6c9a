/*
 * fuzz_labels.c - --label-rules files (labels_parse) and matching them
 * against stack frames (labels_match). Input: the rules text, then a NUL
 * byte, then frame texts one per line (no NUL: rules only, matched
 * against a fixed stack). The rules text is handed over without a
 * terminating NUL, as a mapped file would be. Seeds: tests/fuzz/seeds/labels.
 */
#include "trace.h"
#include "fuzz.h"
#include "labels.h"

#define MAX_FRAMES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t rules_len = nul ? (size_t)(nul - data) : size;
	struct labels_rules *r = NULL;
	char *cause = NULL;
	int rc = labels_parse((const char *)data, rules_len, FUZZ_NAME, &r, &cause);
	if (rc != 0) {
		fuzz_check_error(rc, cause, FUZZ_NAME);
		free(cause);
		return 0;
	}
	if (cause)
		fuzz_fail("success with a cause set", cause);

	static const char *const fixed[] = {
		"??:0:c10::cuda::CUDACachingAllocator::malloc",
		"/usr/lib/python3/site-packages/torch/nn/modules/linear.py:125:forward",
		"/src/model.py:54:forward",
		"/src/layers.12.attention.py:88:update_kv",
	};
	const char *frames[MAX_FRAMES];
	size_t n = 0;
	char *text = NULL;
	if (nul) {
		text = fuzz_cstr(nul + 1, size - rules_len - 1);
		for (char *p = text; n < MAX_FRAMES;) {
			frames[n++] = p;
			char *eol = strchr(p, '\n');
			if (!eol)
				break;
			*eol = '\0';
			p = eol + 1;
		}
	} else {
		for (; n < UTIL_ARRAY_SIZE(fixed); n++)
			frames[n] = fixed[n];
	}
	struct labels_result res;
	if (labels_match(r, frames, n, &res)) {
		if (res.category < 0 || res.category >= TRACE_CAT_MAX || res.rule < 0 ||
		    (size_t)res.rule >= labels_count(r) || res.layer < TRACE_LAYER_NONE)
			fuzz_fail("labels_match result out of range", NULL);
	}
	/* One frame at a time too: each rule is searched in every frame. */
	for (size_t i = 0; i < n; i++)
		labels_match(r, &frames[i], 1, &res);
	free(text);
	labels_free(r);
	return 0;
}
