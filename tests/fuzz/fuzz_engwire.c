/*
 * fuzz_engwire.c - the engine planner's line protocol (sim/engwire.h) on
 * any line: engwire_split never overruns or accepts a field without '=',
 * and what engwire_put writes of the fields it parsed parses back to the
 * same fields. Seeds: tests/fuzz/seeds/engwire.
 */
#include <stdio.h>

#include "engwire.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char *verb;
	struct engwire_kv kv[ENGWIRE_MAX_FIELDS], back[ENGWIRE_MAX_FIELDS];
	int n = engwire_split(s, &verb, kv, ENGWIRE_MAX_FIELDS);
	if (n < -1 || n > ENGWIRE_MAX_FIELDS)
		fuzz_fail("engwire_split returned an impossible count", NULL);
	if (n <= 0 || strchr(verb, ' ') || !*verb) {
		free(s);
		return 0;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	fputs(verb, f);
	for (int i = 0; i < n; i++) {
		if (!*kv[i].key || strchr(kv[i].key, '='))
			fuzz_fail("engwire_split gave a bad key", kv[i].key);
		engwire_put(f, kv[i].key, kv[i].val);
	}
	fclose(f);
	char *v2;
	int n2 = engwire_split(buf, &v2, back, ENGWIRE_MAX_FIELDS);
	if (n2 != n || strcmp(v2, verb))
		fuzz_fail("engwire_put does not round-trip (count or verb)", buf);
	for (int i = 0; i < n; i++)
		if (strcmp(back[i].key, kv[i].key) || strcmp(back[i].val, kv[i].val))
			fuzz_fail("engwire_put does not round-trip (field)", buf);
	free(buf);
	free(s);
	return 0;
}
