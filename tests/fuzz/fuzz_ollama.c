/*
 * fuzz_ollama.c - Ollama manifests, params and model names on any bytes
 * (issue 16: manifests are hostile input). The input is parsed as a
 * manifest and as a params blob, and its first line as a model name.
 * On success the results must be what a path may be built from: digests
 * of exactly 64 lowercase hex digits, name parts that cannot leave the
 * models directory. Seeds: tests/fuzz/seeds/ollama.
 */
#include "fuzz.h"
#include "ollama_store.h"

static void check_hex(const char *h, int required)
{
	size_t n = strlen(h);
	if (n == 0 && !required)
		return;
	if (n != 64)
		fuzz_fail("digest of the wrong length", h);
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			fuzz_fail("digest with a character that is not lowercase hex", h);
}

static void check_part(const char *p)
{
	/* "a..b" is a file name like any other; "." or ".." or a '/' are not. */
	if (!*p || p[0] == '.' || strchr(p, '/'))
		fuzz_fail("a name part that could leave the models directory", p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cause = NULL;
	struct ollstore_manifest m;
	int rc = ollstore_manifest_parse((const char *)data, size, FUZZ_NAME, &m, &cause);
	if (rc) {
		fuzz_check_error(rc, cause, FUZZ_NAME);
		free(cause);
		cause = NULL;
	} else {
		if (cause)
			fuzz_fail("success with a cause set", cause);
		check_hex(m.model, 1);
		check_hex(m.projector, 0);
		check_hex(m.params, 0);
		if (m.n_layers < 1 || m.n_layers > OLLAMA_MAX_LAYERS)
			fuzz_fail("layer count out of range", NULL);
	}

	uint32_t ctx;
	rc = ollstore_params_parse((const char *)data, size, FUZZ_NAME, &ctx, &cause);
	if (rc) {
		fuzz_check_error(rc, cause, FUZZ_NAME);
		free(cause);
		cause = NULL;
	} else if (ctx > (1u << 30)) {
		fuzz_fail("num_ctx out of range", NULL);
	}

	char *s = fuzz_cstr(data, size);
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	struct ollstore_ref r;
	rc = ollstore_ref_parse(s, &r, &cause);
	if (rc) {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
	} else {
		check_part(r.host);
		check_part(r.ns);
		check_part(r.name);
		check_part(r.tag);
	}
	free(s);
	return 0;
}
