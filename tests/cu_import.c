/*
 * cu_import.c - importer test helpers (see cu_import.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_import.h"
#include "cutest.h"
#include "util.h"

int cu_import_opts(struct store *st, const char *path, const struct imp_opts *o,
		   int64_t *trace, char **cause)
{
	struct imp_opts q = *o;
	q.quiet = 1;
	struct imp_ctx res;
	int rc = imp_file(st, path, &q, &res, cause);
	if (rc == 0) {
		CU_ASSERT_EQUAL(res.n_traces, 1);
		*trace = res.traces[0];
		CU_ASSERT_PTR_NOT_NULL(res.summary);
	}
	free(res.summary);
	return rc;
}

int cu_import(struct store *st, const char *path, const char *format, int64_t *trace,
	      char **cause)
{
	struct imp_opts o = { .format = format };
	return cu_import_opts(st, path, &o, trace, cause);
}

int64_t cu_setting(struct store *st, int64_t tr, const char *key)
{
	int64_t v = -1;
	int set = 0;
	CU_ASSERT_EQUAL(store_setting_int(st, tr, key, &v, &set, NULL), 0);
	if (!set)
		fprintf(stderr, "\nsetting %s is not set\n", key);
	CU_ASSERT(set);
	return v;
}

char *cu_setting_text(struct store *st, int64_t tr, const char *key)
{
	char *v = NULL;
	CU_ASSERT_EQUAL(store_setting_get(st, tr, key, &v, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(v);
	return v;
}

int cu_setting_is(struct store *st, int64_t tr, const char *key, const char *want)
{
	char *v = cu_setting_text(st, tr, key);
	int ok = v && strcmp(v, want) == 0;
	if (!ok)
		fprintf(stderr, "\n%s = %s, expected %s\n", key, v ? v : "(unset)", want);
	free(v);
	return ok;
}

int64_t cu_n_kind(struct store *st, int64_t tr, int kind)
{
	return cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=%d",
		     (long long)tr, kind);
}

size_t cu_n_traces(struct store *st)
{
	struct store_trace_info *t;
	size_t n;
	CU_ASSERT_EQUAL_FATAL(store_trace_list(st, &t, &n, NULL), 0);
	for (size_t i = 0; i < n; i++)
		store_trace_info_clear(&t[i]);
	free(t);
	return n;
}

void cu_refused(struct store *st, const char *path, const char *format, const char *part,
		const char *part2)
{
	size_t before = cu_n_traces(st);
	int64_t events = cu_q1(st, "SELECT count(*) FROM events"), tr = 0;
	char *cause = NULL;
	CU_ASSERT_EQUAL(cu_import(st, path, format, &tr, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cause);
	if (!strstr(cause, part) || (part2 && !strstr(cause, part2))) {
		fprintf(stderr, "\nunexpected: %s (wanted %s)\n", cause, part);
		CU_FAIL("message");
	}
	free(cause);
	CU_ASSERT_EQUAL(cu_n_traces(st), before);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events"), events);
}
