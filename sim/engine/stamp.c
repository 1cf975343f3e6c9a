/*
 * stamp.c - the planner's start-up verdicts, keyed by file identity (see
 * stamp.h).
 *
 * A cache file holds a header line, the key's facts, a line "--" and the
 * value. It is read whole and compared byte for byte with the key just
 * built: a hash picks nothing, so two keys can never be confused.
 */
#include "stamp.h"

#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAMP_HEADER "vramsim-engine start-up cache 1\n"

static void add(struct stamp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct stamp *s, const char *fmt, ...)
{
	if (s->bad)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->key + s->len, sizeof(s->key) - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->key) - s->len)
		s->bad = 1;
	else
		s->len += (size_t)n;
}

void stamp_init(struct stamp *s, const char *kind, const char *scope)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	if (snprintf(s->scope, sizeof(s->scope), "%s", scope ? scope : "") >= (int)sizeof(s->scope))
		s->bad = 1;
	add(s, "kind %s\nscope %s\n", s->kind, s->scope);
}

void stamp_text(struct stamp *s, const char *label, const char *text)
{
	/* one fact per line: a newline in the text would forge another */
	if (strchr(label, '\n') || (text && strchr(text, '\n')))
		s->bad = 1;
	add(s, "%s %s\n", label, text ? text : "(none)");
}

void stamp_file(struct stamp *s, const char *path)
{
	struct stat st;
	if (strchr(path, '\n') || stat(path, &st) != 0) {
		s->bad = 1;
		return;
	}
	add(s, "file %s %llu %llu %lld %lld.%09ld %lld.%09ld\n", path, (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

static int add_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct stamp *s = data;
	/* the executable has an empty name; the vDSO a name that is no path */
	if (info->dlpi_name && info->dlpi_name[0] == '/')
		stamp_file(s, info->dlpi_name);
	return 0;
}

void stamp_loaded(struct stamp *s)
{
	stamp_file(s, "/proc/self/exe");
	dl_iterate_phdr(add_object, s);
}

/* FNV-1a: only spreads scopes over file names */
static uint64_t fnv(const char *p)
{
	uint64_t h = 1469598103934665603ull;
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static int cache_dir(char *out, size_t n)
{
	const char *env = getenv("VRAMSIM_ENGINE_CACHE");
	if (env)
		return *env && snprintf(out, n, "%s", env) < (int)n ? 0 : -1;
	char exe[4096];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k > 0) {
		exe[k] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (access(exe, W_OK) == 0)
				return snprintf(out, n, "%s/cache", exe) < (int)n ? 0 : -1;
		}
	}
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg && *xdg == '/')
		return snprintf(out, n, "%s/vramsim", xdg) < (int)n ? 0 : -1;
	if (home && *home == '/')
		return snprintf(out, n, "%s/.cache/vramsim", home) < (int)n ? 0 : -1;
	return -1;
}

static int cache_path(const struct stamp *s, char *out, size_t n)
{
	char dir[4096];
	if (s->bad || cache_dir(dir, sizeof(dir)) < 0)
		return -1;
	int k = snprintf(out, n, "%s/%s-%016llx", dir, s->kind, (unsigned long long)fnv(s->scope));
	return k > 0 && (size_t)k < n ? 0 : -1;
}

int stamp_get(const struct stamp *s, char *val, size_t n)
{
	char path[4608];
	if (cache_path(s, path, sizeof(path)) < 0)
		return -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	static char buf[STAMP_MAX + 1024];
	size_t got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	size_t hl = strlen(STAMP_HEADER);
	if (got < hl + s->len + 3 || memcmp(buf, STAMP_HEADER, hl) != 0 || memcmp(buf + hl, s->key, s->len) != 0 ||
	    memcmp(buf + hl + s->len, "--\n", 3) != 0)
		return -1;
	const char *v = buf + hl + s->len + 3;
	size_t vl = strcspn(v, "\n");
	if (v[vl] != '\n' || v[vl + 1] != '\0' || vl >= n)
		return -1;
	memcpy(val, v, vl);
	val[vl] = '\0';
	return 0;
}

void stamp_put(const struct stamp *s, const char *val)
{
	char path[4608], tmp[4700];
	if (strchr(val, '\n') || cache_path(s, path, sizeof(path)) < 0)
		return;
	char *slash = strrchr(path, '/');
	*slash = '\0';
	int made = mkdir(path, 0777) == 0 || errno == EEXIST;
	*slash = '/';
	if (!made || snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
		return;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fputs(STAMP_HEADER, f);
	fwrite(s->key, 1, s->len, f);
	fprintf(f, "--\n%s\n", val);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		unlink(tmp);
}
