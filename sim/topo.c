/*
 * topo.c - size and topology parsing.
 */
#include "topo.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *suffix;
	double mult;
} units[] = {
	{ "", 1.0 }, { "b", 1.0 },
	{ "k", 1024.0 }, { "kb", 1024.0 }, { "kib", 1024.0 },
	{ "m", 1048576.0 }, { "mb", 1048576.0 }, { "mib", 1048576.0 },
	{ "g", 1073741824.0 }, { "gb", 1073741824.0 }, { "gib", 1073741824.0 },
	{ "t", 1099511627776.0 }, { "tb", 1099511627776.0 }, { "tib", 1099511627776.0 },
};

int topo_parse_size(const char *s, int nonzero, uint64_t *bytes, char **cause)
{
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+' || !(isdigit((unsigned char)*p) || *p == '.'))
		return util_err(cause, UTIL_EINPUT,
				"'%s': expected a size like 24G, 512M or 1.5GiB", s);
	errno = 0;
	char *end;
	double v = strtod(p, &end);
	if (errno || end == p || !isfinite(v))
		return util_err(cause, UTIL_EINPUT,
				"'%s': expected a size like 24G, 512M or 1.5GiB", s);
	size_t ulen = strlen(end);
	while (ulen && isspace((unsigned char)end[ulen - 1]))
		ulen--;
	/* "24" is as likely 24 GiB as 24 bytes: say which (B for bytes). */
	if (ulen == 0 && v != 0)
		return util_err(cause, UTIL_EINPUT,
				"'%s': a size needs a unit, e.g. %sM or %sG (B, K, M, G or T; "
				"binary)", s, s, s);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(units); i++) {
		if (strlen(units[i].suffix) == ulen && strncasecmp(end, units[i].suffix, ulen) == 0) {
			double b = v * units[i].mult;
			/* llround() is defined up to 2^63; no GPU comes near it */
			if (b >= 9223372036854775807.0)
				return util_err(cause, UTIL_EINPUT, "'%s': size too large", s);
			if (nonzero && b < 1.0)
				return util_err(cause, UTIL_EINPUT, "'%s': size must be greater than 0", s);
			*bytes = (uint64_t)llround(b);
			return 0;
		}
	}
	return util_err(cause, UTIL_EINPUT,
			"'%s': unknown unit '%.*s' (expected B, K, M, G or T; binary)", s,
			(int)ulen, end);
}

int topo_parse(const char *spec, struct topo *t, char **cause)
{
	memset(t, 0, sizeof(*t));
	if (!spec || !*spec)
		return util_err(cause, UTIL_EINPUT, "empty GPU list: expected e.g. 4x24G or 2x24G,1x12G");
	size_t sl = strlen(spec);
	if (spec[0] == ',' || spec[sl - 1] == ',' || strstr(spec, ",,"))
		return util_err(cause, UTIL_EINPUT, "'%s': empty GPU group: expected e.g. 2x24G,1x12G", spec);
	char *copy = util_xstrdup(spec), *save = NULL;
	int rc = 0;
	for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		long count = 1;
		const char *size = g;
		char *x = strpbrk(g, "xX*");
		if (x) {
			char *end;
			errno = 0;
			count = strtol(g, &end, 10);
			if (end != x || end == g || errno || count < 1) {
				rc = util_err(cause, UTIL_EINPUT,
					      "'%s': in '%s', expected a GPU count of 1 or more before 'x'",
					      g, spec);
				break;
			}
			size = x + 1;
		}
		if (!*size) {
			rc = util_err(cause, UTIL_EINPUT, "'%s': in '%s', expected a size after 'x' (e.g. %ldx24G)",
				      g, spec, count);
			break;
		}
		uint64_t bytes;
		if ((rc = topo_parse_size(size, 1, &bytes, cause))) {
			char *inner = cause ? *cause : NULL;
			if (cause && size[strspn(size, "0123456789.")] == '\0') {
				/* The whole spec with G after every bare number. */
				char *fix = util_xmalloc(2 * sl + 1), *o = fix;
				for (const char *c = spec; *c; c++) {
					*o++ = *c;
					if ((isdigit((unsigned char)*c) || *c == '.') &&
					    (c[1] == ',' || c[1] == '\0'))
						*o++ = 'G';
				}
				*o = '\0';
				*cause = util_xasprintf("--gpus '%s': a size needs a unit: did you mean "
							"'%s'? (B, K, M, G or T; binary)", spec, fix);
				free(fix);
				free(inner);
			} else if (cause) {
				*cause = util_xasprintf("--gpus '%s': %s", spec, inner);
				free(inner);
			}
			break;
		}
		if (count > TOPO_MAX_GPUS - t->n) {
			rc = util_err(cause, UTIL_EINPUT, "'%s': more than %d GPUs", spec, TOPO_MAX_GPUS);
			break;
		}
		for (long i = 0; i < count; i++)
			t->capacity[t->n++] = bytes;
	}
	if (!rc && t->n == 0)
		rc = util_err(cause, UTIL_EINPUT, "'%s': expected e.g. 4x24G or 2x24G,1x12G", spec);
	free(copy);
	return rc;
}

static void fmt_size(char *buf, size_t n, uint64_t b)
{
	/* Always a unit, so the text parses back (topo_parse_size). */
	static const char *const u[] = { "B", "K", "M", "G", "T" };
	int i = 4;
	while (i > 0 && b % (1ull << (10 * i)) != 0)
		i--;
	snprintf(buf, n, "%llu%s", (unsigned long long)(b >> (10 * i)), u[i]);
}

const char *topo_format(const struct topo *t, char *buf, int n)
{
	int off = 0;
	buf[0] = '\0';
	for (int i = 0; i < t->n && off < n;) {
		int j = i;
		while (j < t->n && t->capacity[j] == t->capacity[i])
			j++;
		char sz[32];
		fmt_size(sz, sizeof(sz), t->capacity[i]);
		off += snprintf(buf + off, (size_t)(n - off), "%s%dx%s", i ? "," : "", j - i, sz);
		i = j;
	}
	return buf;
}
