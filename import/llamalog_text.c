/*
 * llamalog_text.c - numbers, sizes and names as llama.cpp and Ollama print
 * them. Hand-written rather than strtod/strtoull: those accept signs,
 * exponents, inf and nan and depend on the locale.
 */
#include "llamalog_int.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- text */

const char *ll_skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int ll_is_word(int c)
{
	return isalnum(c) || c == '_';
}

/* Parse an unsigned decimal integer; 0 or -1 (no digits / overflow). */
int ll_u64(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	if (end)
		*end = p;
	return 0;
}

/* A signed int in [-1e9, 1e9]. */
int ll_int(const char *s, long *v, const char **end)
{
	int neg = *s == '-';
	uint64_t u;
	if (ll_u64(s + neg, &u, end) || u > 1000000000u)
		return -1;
	*v = neg ? -(long)u : (long)u;
	return 0;
}

/*
 * Parse a plain decimal "123" or "123.45" (no sign, exponent, inf or nan:
 * strtod would accept those and depends on the locale).
 */
int ll_dec(const char *s, double *v, const char **end)
{
	const char *p = s;
	uint64_t ip, fp = 0, scale = 1;
	if (ll_u64(p, &ip, &p) || ip > (1ull << 53))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		/* the fraction as an integer over a power of ten: exact for the
		 * 1-2 decimals the engines print */
		for (; isdigit((unsigned char)*p); p++)
			if (scale < 1000000000000ull) {
				fp = fp * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	*v = (double)ip + (double)fp / (double)scale;
	if (end)
		*end = p;
	return 0;
}

static int ll_mib_bytes(double mib, uint64_t *bytes)
{
	if (!(mib >= 0) || mib > LL_MAX_MIB)
		return -1;
	*bytes = (uint64_t)llround(mib * 1048576.0);
	return 0;
}

/*
 * "<num> MiB" (or "MB", which llama.cpp's early GGUF era printed for
 * 1024^2 bytes: llama.cpp llama_model_loader, 2023) at s, spaces allowed
 * before both.
 */
int ll_mib(const char *s, uint64_t *bytes, const char **end)
{
	double v;
	s = ll_skip_sp(s);
	if (ll_dec(s, &v, &s))
		return -1;
	s = ll_skip_sp(s);
	if (strncmp(s, "MiB", 3) == 0)
		s += 3;
	else if (strncmp(s, "MB", 2) == 0)
		s += 2;
	else
		return -1;
	if (end)
		*end = s;
	return ll_mib_bytes(v, bytes);
}

/*
 * Ollama sizes: HumanBytes2 prints "%.1f GiB|MiB|KiB" or "%d B" (binary);
 * HumanBytes (ollama ps/list) prints "GB|MB|KB" (decimal: ollama/ollama
 * format/bytes.go sets KiloByte = 1000).
 */
int ll_human(const char *s, uint64_t *bytes, const char **end)
{
	static const struct { const char *unit; double mul; } units[] = {
		{ "TiB", 1099511627776.0 }, { "GiB", 1073741824.0 }, { "MiB", 1048576.0 },
		{ "KiB", 1024.0 }, { "TB", 1e12 }, { "GB", 1e9 }, { "MB", 1e6 },
		{ "KB", 1e3 }, { "kB", 1e3 }, { "B", 1.0 },
	};
	double v;
	s = ll_skip_sp(s);
	if (ll_dec(s, &v, &s))
		return -1;
	s = ll_skip_sp(s);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(units); i++) {
		size_t n = strlen(units[i].unit);
		if (strncmp(s, units[i].unit, n) == 0 && !isalpha((unsigned char)s[n])) {
			double b = v * units[i].mul;
			if (b > 9.0e18)
				return -1;
			*bytes = (uint64_t)llround(b);
			if (end)
				*end = s + n;
			return 0;
		}
	}
	return -1;
}

/* Copy at most n-1 chars of [s, e) into buf. */
void ll_copy_span(char *buf, size_t n, const char *s, const char *e)
{
	size_t k = (size_t)(e - s);
	if (k >= n)
		k = n - 1;
	memcpy(buf, s, k);
	buf[k] = '\0';
}

/* The file name part of a Unix or Windows path. */
const char *ll_path_base(const char *s)
{
	const char *b = s;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

/*
 * Buffer (or backend) name -> device. GPU names end in their index
 * (CUDA0, ROCm1, Vulkan0, SYCL0); Metal is device 0. CPU*, *_Host and
 * names without an index (BLAS, AMX) are host memory. The _Mapped,
 * _REPACK and _Private suffixes fold into their device (buffer type names
 * from ggml-cuda.cu ggml_backend_cuda_split_buffer_type and llama.cpp
 * llama-model.cpp). Returns the index, TRACE_DEV_HOST, or -2 for an index too large.
 */
int ll_dev_from_name(const char *name)
{
	char b[64];
	snprintf(b, sizeof(b), "%s", name);
	static const char *const folds[] = { "_Mapped", "_REPACK", "_Private" };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(folds); i++) {
		size_t n = strlen(b), k = strlen(folds[i]);
		if (n > k && strcmp(b + n - k, folds[i]) == 0)
			b[n - k] = '\0';
	}
	size_t n = strlen(b);
	if (strncmp(b, "CPU", 3) == 0 || (n >= 5 && strcmp(b + n - 5, "_Host") == 0) ||
	    strcmp(b, "Host") == 0)
		return TRACE_DEV_HOST;
	if (strncmp(b, "Metal", 5) == 0)
		return 0;
	size_t d = n;
	while (d > 0 && isdigit((unsigned char)b[d - 1]))
		d--;
	if (d == n || d == 0 || !isalpha((unsigned char)b[d - 1]))
		return TRACE_DEV_HOST;
	uint64_t idx;
	if (n - d > 6 || ll_u64(b + d, &idx, NULL) || idx >= LL_MAX_DEV)
		return -2;
	return (int)idx;
}


int ll_fa_value(const char *v)
{
	static const char *const on[] = { "1", "on", "enabled", "true" };
	static const char *const off[] = { "0", "off", "disabled", "false" };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(on); i++)
		if (strcmp(v, on[i]) == 0)
			return 1;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(off); i++)
		if (strcmp(v, off[i]) == 0)
			return 0;
	return -1;
}

void ll_set_fa(struct ll_load *l, const char *v)
{
	int fa = ll_fa_value(v);
	if (fa >= 0)
		ll_set_int(l, SK(FLASH_ATTN), fa);
	else if (strcmp(v, "auto") == 0)
		ll_set(l, SK(FLASH_ATTN_REQUESTED), "auto");
}


int ll_is_cut(const char *v)
{
	static const char *const units[] = { "MiB", "MB", "GiB", "GB", "KiB", "KB", "TiB", "TB" };
	const char *c = ll_skip_sp(v);
	while (isdigit((unsigned char)*c))
		c++;
	if (*c == '.')
		for (c++; isdigit((unsigned char)*c);)
			c++;
	c = ll_skip_sp(c);
	size_t n = strlen(c);
	while (n && (c[n - 1] == '\r' || c[n - 1] == ' '))
		n--;
	if (!n)
		return 1;
	/* a unit's first letters, and nothing after them */
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (n < strlen(units[i]) && strncmp(c, units[i], n) == 0)
			return 1;
	return 0;
}
