/*
 * fuzz_gguf.c - the GGUF header reader (gguf_file_read_profile) on any bytes,
 * and the "gguf" importer (profile into the store) on every input it
 * accepts. Seeds: tests/fuzz/seeds/gguf (small v1, v2, v3 and big-endian
 * headers with their tensor data) and tests/data/gguf (cut to -max_len).
 */
#include "fuzz.h"
#include "gguf_file.h"
#include "profile.h"

/* The reader's contract on failure: *out left zeroed. */
static void check_zeroed(const struct profile *p, const char *cause)
{
	static const struct profile zero;
	if (memcmp(p, &zero, sizeof(zero)) != 0)
		fuzz_fail("gguf_file_read_profile failed but left *out filled", cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile p;
	struct gguf_file_info gi;
	memset(&p, 0x5a, sizeof(p)); /* the reader must set every byte it promises */
	char *cause = NULL;
	int rc = gguf_file_read_profile(data, size, FUZZ_NAME, &p, &gi, &cause);
	if (rc != 0) {
		fuzz_check_error(rc, cause, FUZZ_NAME);
		check_zeroed(&p, cause);
		free(cause);
		return 0;
	}
	if (cause)
		fuzz_fail("success with a cause set", cause);
	if (gi.version < 1 || gi.version > 3 || gi.data_offset > size ||
	    gi.infos_end > gi.data_offset || (gi.alignment & (gi.alignment - 1)) != 0)
		fuzz_fail("gguf_info out of range", NULL);
	for (size_t i = 0; i < p.n_parts; i++)
		if (p.parts[i].layer < PROFILE_LAYER_INPUT || p.parts[i].layer > (int32_t)p.n_layer ||
		    p.parts[i].group < 0 || p.parts[i].group >= PROFILE_GROUP_MAX)
			fuzz_fail("profile part out of range", NULL);
	profile_clear(&p);
	fuzz_import("gguf", data, size);
	return 0;
}
