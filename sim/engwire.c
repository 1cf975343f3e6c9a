/*
 * engwire.c - the engine planner's line protocol (see engwire.h).
 */
#include "engwire.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int needs_escape(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '%' || c == '=';
}

void engwire_put(FILE *f, const char *key, const char *val)
{
	fprintf(f, " %s=", key);
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (needs_escape(*p))
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
}

void engwire_putf(FILE *f, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	engwire_put(f, key, buf);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode s in place; -1 on a bad escape or an encoded NUL. */
static int decode(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		*w++ = (char)(hi * 16 + lo);
		r += 2;
	}
	*w = '\0';
	return 0;
}

int engwire_split(char *line, char **verb, struct engwire_kv *kv, int max)
{
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	char *save = NULL;
	*verb = strtok_r(line, " ", &save);
	if (!*verb)
		*verb = line;
	int n = 0;
	for (char *tok; (tok = strtok_r(NULL, " ", &save));) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok || n >= max)
			return -1;
		*eq = '\0';
		if (decode(eq + 1) < 0)
			return -1;
		kv[n].key = tok;
		kv[n].val = eq + 1;
		n++;
	}
	return n;
}

const char *engwire_get(const struct engwire_kv *kv, int n, const char *key)
{
	for (int i = n - 1; i >= 0; i--)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].val;
	return NULL;
}
