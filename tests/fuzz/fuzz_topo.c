/*
 * fuzz_topo.c - sizes and GPU topologies as users type them (--gpus,
 * --reserve): topo_parse_size and topo_parse on any string, and the
 * canonical form topo_format writes must parse back to the same
 * topology. Seeds: tests/fuzz/seeds/topo.
 */
#include "fuzz.h"
#include "topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char *cause = NULL;
	uint64_t b;
	for (int nonzero = 0; nonzero <= 1; nonzero++) {
		int rc = topo_parse_size(s, nonzero, &b, &cause);
		if (rc) {
			fuzz_check_error(rc, cause, NULL);
			free(cause);
			cause = NULL;
		} else if (nonzero && b == 0) {
			fuzz_fail("topo_parse_size(nonzero) gave 0", s);
		}
	}

	static struct topo t, back;
	int rc = topo_parse(s, &t, &cause);
	if (rc) {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
		free(s);
		return 0;
	}
	if (t.n < 1 || t.n > TOPO_MAX_GPUS)
		fuzz_fail("topology with a GPU count out of range", s);
	for (int i = 0; i < t.n; i++)
		if (t.capacity[i] == 0)
			fuzz_fail("topology with a zero-sized GPU", s);
	/* Canonical form: at most TOPO_MAX_GPUS groups of "NNNxSIZE,". */
	static char buf[TOPO_MAX_GPUS * 32];
	topo_format(&t, buf, (int)sizeof(buf));
	if ((rc = topo_parse(buf, &back, &cause)) != 0)
		fuzz_fail("topo_format wrote what topo_parse refuses", cause);
	if (back.n != t.n || memcmp(back.capacity, t.capacity, sizeof(t.capacity[0]) * (size_t)t.n))
		fuzz_fail("topo_format does not round-trip", buf);
	/* A short buffer must be cut, never overrun. */
	char small[8];
	topo_format(&t, small, (int)sizeof(small));
	if (memchr(small, 0, sizeof(small)) == NULL)
		fuzz_fail("topo_format left a short buffer unterminated", s);
	free(s);
	return 0;
}
