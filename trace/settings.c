/*
 * settings.c - the declared settings table and its typed accessors.
 */
#include "settings.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTINGS_KEY_(id, key, type, flags, meaning) [SET_##id] = key,
const char settings_keys[SET_COUNT_][SETTINGS_KEY_MAX] = { SETTINGS_TABLE(SETTINGS_KEY_) };
#undef SETTINGS_KEY_

#define SETTINGS_ROW_(id, key, type, flags, meaning) [SET_##id] = { key, type, flags, meaning },
static const struct settings_info rows[SET_COUNT_] = { SETTINGS_TABLE(SETTINGS_ROW_) };
#undef SETTINGS_ROW_

#define SETTINGS_FAM_(id, prefix, meaning) { prefix, meaning },
static const struct { const char *prefix, *meaning; } families[] = {
	SETTINGS_FAMILIES(SETTINGS_FAM_)
};
#undef SETTINGS_FAM_

/* A key longer than SETTINGS_KEY_MAX - 1 would lose its NUL: refuse to build. */
#define SETTINGS_LEN_(id, key, type, flags, meaning) \
	_Static_assert(sizeof(key) <= SETTINGS_KEY_MAX, "setting key too long: " key);
SETTINGS_TABLE(SETTINGS_LEN_)
#undef SETTINGS_LEN_

const struct settings_info *settings_info(enum settings_key k)
{
	return (unsigned)k < SET_COUNT_ ? &rows[k] : NULL;
}

size_t settings_count(void)
{
	return SET_COUNT_;
}

const char *settings_meaning(const char *key)
{
	for (size_t i = 0; i < SET_COUNT_; i++)
		if (strcmp(rows[i].key, key) == 0)
			return rows[i].meaning;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(families); i++)
		if (strncmp(key, families[i].prefix, strlen(families[i].prefix)) == 0)
			return families[i].meaning;
	return NULL;
}

static int get(struct store *st, int64_t trace, enum settings_key k, char **v, char **cause)
{
	*v = NULL;
	return store_setting_get(st, trace, settings_keys[k], v, cause);
}

static int bad(char **cause, enum settings_key k, const char *v, const char *what)
{
	return util_err(cause, UTIL_EINPUT, "setting %s = '%s': expected %s", settings_keys[k], v,
			what);
}

int settings_int(struct store *st, int64_t trace, enum settings_key k, int64_t *out, int *set,
		 char **cause)
{
	char *v, *end;
	*set = 0;
	int rc = get(st, trace, k, &v, cause);
	if (rc || !v)
		return rc;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (end == v || *end || errno)
		rc = bad(cause, k, v, "a whole number");
	else {
		*out = x;
		*set = 1;
	}
	free(v);
	return rc;
}

int settings_dbl(struct store *st, int64_t trace, enum settings_key k, double *out, int *set,
		 char **cause)
{
	char *v, *end;
	*set = 0;
	int rc = get(st, trace, k, &v, cause);
	if (rc || !v)
		return rc;
	double x = strtod(v, &end);
	if (end == v || *end || !isfinite(x))
		rc = bad(cause, k, v, "a number");
	else {
		*out = x;
		*set = 1;
	}
	free(v);
	return rc;
}

int settings_str(struct store *st, int64_t trace, enum settings_key k, char *buf, size_t n,
		 int *set, char **cause)
{
	char *v;
	*set = 0;
	if (n)
		buf[0] = '\0';
	int rc = get(st, trace, k, &v, cause);
	if (rc || !v)
		return rc;
	snprintf(buf, n, "%s", v);
	*set = 1;
	free(v);
	return 0;
}

int64_t settings_rd_int(struct settings_rd *r, enum settings_key k, int64_t dflt, int *set)
{
	int64_t v = 0;
	int got = 0;
	if (!r->rc)
		r->rc = settings_int(r->st, r->trace, k, &v, &got, r->cause);
	got = got && !r->rc;
	if (set)
		*set = got;
	return got ? v : dflt;
}

double settings_rd_dbl(struct settings_rd *r, enum settings_key k, double dflt, int *set)
{
	double v = 0;
	int got = 0;
	if (!r->rc)
		r->rc = settings_dbl(r->st, r->trace, k, &v, &got, r->cause);
	got = got && !r->rc;
	if (set)
		*set = got;
	return got ? v : dflt;
}

const char *settings_rd_str(struct settings_rd *r, enum settings_key k, char *buf, size_t n,
			    const char *dflt)
{
	int got = 0;
	if (n)
		buf[0] = '\0';
	if (!r->rc)
		r->rc = settings_str(r->st, r->trace, k, buf, n, &got, r->cause);
	if (!r->rc && got && n && buf[0])
		return buf;
	snprintf(buf, n, "%s", dflt ? dflt : "");
	return NULL;
}

int settings_set(struct store *st, int64_t trace, enum settings_key k, const char *value,
		 char **cause)
{
	return store_setting_set(st, trace, settings_keys[k], value, cause);
}
