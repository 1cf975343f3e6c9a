/*
 * fuzz_term.c - names from input shown on a terminal: util_term_str on any
 * bytes must give valid UTF-8 without a single control character (no ESC,
 * CR, C1), cut only at a character boundary, within the buffer, and the
 * same text for the heap variant. Seeds: any file.
 */
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char small[17], *big = util_term_xstr(s);
	util_term_str(small, sizeof(small), s);
	const char *outs[2] = { small, big };
	for (int k = 0; k < 2; k++) {
		for (const char *p = outs[k]; *p;) {
			uint32_t cp;
			int n = util_utf8_len(p, &cp);
			if (!n)
				fuzz_fail("util_term_str wrote invalid UTF-8", s);
			if (util_is_control(cp))
				fuzz_fail("util_term_str let a control character through", s);
			p += n;
		}
	}
	if (strlen(small) >= sizeof(small))
		fuzz_fail("util_term_str overflowed", s);
	if (strncmp(small, big, strlen(small)) != 0)
		fuzz_fail("a cut util_term_str is no prefix of the whole", s);
	free(big);
	free(s);
	return 0;
}
