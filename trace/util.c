/*
 * util.c - allocation, error strings, file reading and clocks.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

static void oom(size_t n)
{
	fprintf(stderr, "vramsim: out of memory allocating %zu bytes\n", n);
	abort();
}

void *util_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *util_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb * size);
	return p;
}

void *util_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *util_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = util_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

char *util_xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	char *p = util_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *util_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = util_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int util_err(char **cause, int code, const char *fmt, ...)
{
	if (cause && !*cause) {
		va_list ap;
		va_start(ap, fmt);
		*cause = util_xvasprintf(fmt, ap);
		va_end(ap);
	}
	return code;
}

void util_grow(void *pp, size_t sz, size_t need, size_t *alloc)
{
	void **p = pp;
	if (need <= *alloc)
		return;
	size_t n = *alloc ? *alloc : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2 / sz)
			oom(SIZE_MAX);
		n *= 2;
	}
	*p = util_xrealloc(*p, n * sz);
	*alloc = n;
}

int util_read_file(const char *path, char **buf, size_t *len, char **cause)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return util_err(cause, UTIL_EINPUT, "%s: %s", path, strerror(errno));
	size_t cap = 1 << 16, n = 0;
	char *p = util_xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			p = util_xrealloc(p, cap);
		}
		size_t got = fread(p + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(p);
		return util_err(cause, UTIL_ERR, "%s: read error", path);
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

int64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t util_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *util_mib(char *buf, size_t n, uint64_t bytes, int decimals)
{
	snprintf(buf, n, "%.*f", decimals, (double)bytes / UTIL_MIB);
	return buf;
}

/* RFC 3629 section 4: shortest form only, no surrogates, at most
 * U+10FFFF. Never reads past a NUL, since a NUL is no continuation byte. */
int util_utf8_len(const char *str, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0];
	int n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
		: c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
	unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
	uint32_t v = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
	for (int i = 1; i < n; i++, lo = 0x80, hi = 0xbf) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (cp && n)
		*cp = v;
	return n;
}

int util_is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

char *util_term_str(char *buf, size_t n, const char *s)
{
	size_t o = 0;
	if (!n)
		return buf;
	for (const char *p = s ? s : ""; *p;) {
		uint32_t cp = 0;
		int len = util_utf8_len(p, &cp);
		char tmp[8];
		size_t tl;
		if (!len || util_is_control(cp)) {
			/* A byte that is not text, or one a terminal obeys (ESC
			 * sequences, CR, BS...): shown, never sent. */
			unsigned v = len ? cp : (unsigned char)*p;
			if (len && v == '\t')
				tl = (size_t)snprintf(tmp, sizeof(tmp), "\\t");
			else if (len && v == '\n')
				tl = (size_t)snprintf(tmp, sizeof(tmp), "\\n");
			else
				tl = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", v & 0xff);
			if (!len)
				len = 1;
			else if (cp >= 0x80) /* C1: two bytes */
				tl = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
		} else {
			memcpy(tmp, p, (size_t)len);
			tl = (size_t)len;
		}
		if (o + tl >= n)
			break;
		memcpy(buf + o, tmp, tl);
		o += tl;
		p += len;
	}
	buf[o] = '\0';
	return buf;
}

char *util_term_xstr(const char *s)
{
	size_t n = 5 * (s ? strlen(s) : 0) + 8;
	return util_term_str(util_xmalloc(n), n, s);
}

size_t util_utf8_width(const char *s)
{
	size_t w = 0;
	for (const char *p = s ? s : ""; *p;) {
		int len = util_utf8_len(p, NULL);
		p += len ? len : 1;
		w++;
	}
	return w;
}

void util_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	while (*p) {
		int n = util_utf8_len((const char *)p, NULL);
		if (!n) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, (size_t)n, f);
		p += n;
	}
	fputc('"', f);
}

char *util_exe_dir(void)
{
	char exe[4096];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return util_xstrdup(slash == exe ? "/" : exe);
}

char *util_installed_path(const char *rel)
{
	if (rel[0] == '/')
		return util_xstrdup(rel);
	char *bin = util_exe_dir();
	if (!bin)
		return NULL;
	char *p = util_xasprintf("%s/%s", bin, rel);
	free(bin);
	return p;
}
