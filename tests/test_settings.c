/*
 * test_settings.c - the declared settings table: every setting the
 * importers write for the bundled logs, models and traces is declared;
 * typed reads tell unset from malformed; the what-if engine refuses a
 * malformed setting instead of falling back to a default.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cutest.h"
#include "imp.h"
#include "llm.h"
#include "settings.h"
#include "store.h"
#include "util.h"

static void test_table_keys_unique(void)
{
	CU_ASSERT(settings_count() > 40);
	for (size_t i = 0; i < settings_count(); i++) {
		const struct settings_info *a = settings_info((enum settings_key)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_STRING_EQUAL(a->key, settings_keys[i]);
		CU_ASSERT(a->meaning && a->meaning[0]);
		for (size_t j = i + 1; j < settings_count(); j++)
			CU_ASSERT(strcmp(a->key, settings_keys[j]) != 0);
	}
	CU_ASSERT_STRING_EQUAL(SK(N_CTX), "n_ctx");
	CU_ASSERT_PTR_NULL(settings_meaning("no.such.key"));
	CU_ASSERT_PTR_NOT_NULL(settings_meaning("torch.expandable_segments"));
}

/* Import every bundled input, then look each stored key up in the table. */
static void test_every_written_setting_is_declared(void)
{
	struct store *st = cu_store_new("all.db");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	static const char *const pats[] = { "logs/*.log", "gguf/*.gguf", "traces/*.pickle",
					    "traces/*.json.gz" };
	int files = 0;
	for (size_t p = 0; p < UTIL_ARRAY_SIZE(pats); p++) {
		glob_t g;
		if (glob(cu_data(pats[p]), 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct imp_opts o = { .quiet = 1 };
			struct imp_ctx res;
			memset(&res, 0, sizeof(res));
			char *cause = NULL;
			int rc = imp_file(st, g.gl_pathv[i], &o, &res, &cause);
			if (rc)
				fprintf(stderr, "\n%s: %s\n", g.gl_pathv[i], cause);
			CU_ASSERT_EQUAL(rc, 0);
			free(cause);
			free(res.summary);
			files++;
		}
		globfree(&g);
	}
	CU_ASSERT(files >= 10);
	sqlite3_stmt *s;
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(store_sqlite(st), "SELECT DISTINCT key FROM settings",
						 -1, &s, NULL), SQLITE_OK);
	int keys = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		if (!settings_meaning(k))
			fprintf(stderr, "\nundeclared setting written by an importer: %s\n", k);
		CU_ASSERT_PTR_NOT_NULL(settings_meaning(k));
		keys++;
	}
	sqlite3_finalize(s);
	CU_ASSERT(keys >= 40);
	store_close(st);
}

/* A one-device load with a setting set to value. */
static struct store *load_with(const char *key, const char *value, int64_t *id)
{
	struct store *st = cu_store_new("bad.db");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(store_begin(st, &cause), 0);
	CU_ASSERT_EQUAL_FATAL(store_trace_new(st, "t", NULL, "llamalog", "x.log", 0, id, &cause), 0);
	struct trace_event e;
	trace_event_init(&e, TRACE_ALLOC, 1000);
	e.seq = 1;
	e.device = 0;
	e.category = TRACE_CAT_WEIGHTS;
	e.size = 1u << 30;
	CU_ASSERT_EQUAL_FATAL(store_event_add(st, *id, &e, &cause), 0);
	CU_ASSERT_EQUAL_FATAL(store_setting_set(st, *id, SK(META_N_LAYER), "32", &cause), 0);
	CU_ASSERT_EQUAL_FATAL(store_setting_set(st, *id, key, value, &cause), 0);
	CU_ASSERT_EQUAL_FATAL(store_commit(st, &cause), 0);
	free(cause);
	return st;
}

static void test_typed_reads(void)
{
	int64_t id, v = 0;
	int set = 1;
	char *cause = NULL;
	struct store *st = load_with("n_ctx", "8k", &id);
	CU_ASSERT_EQUAL(settings_int(st, id, SET_N_CTX, &v, &set, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause);
	CU_ASSERT_PTR_NOT_NULL(cause ? strstr(cause, "n_ctx") : NULL);
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(settings_int(st, id, SET_N_UBATCH, &v, &set, &cause), 0);
	CU_ASSERT_EQUAL(set, 0);
	CU_ASSERT_EQUAL(settings_int(st, id, SET_META_N_LAYER, &v, &set, &cause), 0);
	CU_ASSERT_EQUAL(set, 1);
	CU_ASSERT_EQUAL(v, 32);
	char buf[16];
	CU_ASSERT_EQUAL(settings_str(st, id, SET_META_N_LAYER, buf, sizeof(buf), &set, &cause), 0);
	CU_ASSERT_STRING_EQUAL(buf, "32");
	/* the what-if engine no longer falls back to a default on a bad value */
	struct llm_load *ld = util_xcalloc(1, sizeof(*ld));
	CU_ASSERT_EQUAL(llm_decompose(st, id, NULL, ld, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause ? strstr(cause, "n_ctx") : NULL);
	free(cause);
	free(ld);
	store_close(st);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("settings", NULL, NULL);
	CU_ADD(s, test_table_keys_unique);
	CU_ADD(s, test_every_written_setting_is_declared);
	CU_ADD(s, test_typed_reads);
}

CUTEST_MAIN(register_tests)
