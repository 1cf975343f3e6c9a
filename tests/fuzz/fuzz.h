/*
 * fuzz.h - what every libFuzzer target under tests/fuzz/ shares: one
 * in-memory store per fuzzer process, an import of the fuzz input through
 * the real driver (imp_buffer), and the checks that turn a broken contract
 * into a crash libFuzzer reports.
 *
 * Contract checked on every input (util.h, imp.h, the house rules):
 *   - no crash, no sanitizer report, no leak;
 *   - a failure returns UTIL_EINPUT with a non-empty cause that names the
 *     input (hostile bytes are the user's problem, never a runtime error:
 *     UTIL_ERR would make vramsim exit 1 instead of 2);
 *   - a failed import leaves the store as it was (it is emptied before
 *     each input, so "as it was" means: not one row in any table).
 * A successful import is wiped again so the store never grows with the
 * run (libFuzzer's RSS limit would stop a long run otherwise).
 *
 * Everything here is static inline: each target is one translation unit
 * and uses only some of these.
 */
#ifndef VRAMSIM_FUZZ_H
#define VRAMSIM_FUZZ_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imp.h"
#include "store.h"
#include "util.h"

/* The name the input goes by in messages ("FILE: ..."). */
#define FUZZ_NAME "fuzz-input"

/* Print why and abort: libFuzzer saves the input as a crash. */
static inline void fuzz_fail(const char *what, const char *cause)
{
	fprintf(stderr, "fuzz: contract broken: %s: %s\n", what, cause ? cause : "(no cause)");
	abort();
}

/* One SQL statement on the store; any failure is a harness bug. */
static inline void fuzz_sql(struct store *st, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(store_sqlite(st), sql, NULL, NULL, &err) != SQLITE_OK)
		fuzz_fail(sql, err);
	sqlite3_free(err);
}

/* Rows in all tables of the store together: the schema changes with
 * versions, "nothing stored" does not. */
static inline int64_t fuzz_rows(struct store *st)
{
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table'"
			       " AND name NOT LIKE 'sqlite_%'", -1, &s, NULL) != SQLITE_OK)
		fuzz_fail("list tables", sqlite3_errmsg(db));
	int64_t total = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"",
			 (const char *)sqlite3_column_text(s, 0));
		sqlite3_stmt *c = NULL;
		if (sqlite3_prepare_v2(db, sql, -1, &c, NULL) != SQLITE_OK ||
		    sqlite3_step(c) != SQLITE_ROW)
			fuzz_fail(sql, sqlite3_errmsg(db));
		total += sqlite3_column_int64(c, 0);
		sqlite3_finalize(c);
	}
	sqlite3_finalize(s);
	return total;
}

/* The process's store, opened on first use and kept until exit. */
static inline struct store *fuzz_store(void)
{
	static struct store *st;
	if (!st) {
		char *cause = NULL;
		if (store_open(":memory:", STORE_CREATE, &st, &cause) != 0)
			fuzz_fail("store_open(:memory:)", cause);
	}
	return st;
}

/* Delete every row of every table (the schema stays). Foreign keys are
 * off meanwhile so the order of the tables does not matter. */
static inline void fuzz_store_wipe(struct store *st)
{
	fuzz_sql(st, "PRAGMA foreign_keys=OFF");
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(store_sqlite(st),
			       "SELECT name FROM sqlite_master WHERE type='table'"
			       " AND name NOT LIKE 'sqlite_%'", -1, &s, NULL) != SQLITE_OK)
		fuzz_fail("list tables", sqlite3_errmsg(store_sqlite(st)));
	char sql[160];
	while (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"",
			 (const char *)sqlite3_column_text(s, 0));
		fuzz_sql(st, sql);
	}
	sqlite3_finalize(s);
	fuzz_sql(st, "PRAGMA foreign_keys=ON");
}

/* Check a failure's code and message. name is what the message must
 * mention (NULL: any non-empty message will do). */
static inline void fuzz_check_error(int rc, const char *cause, const char *name)
{
	if (rc != UTIL_EINPUT)
		fuzz_fail(rc == UTIL_ERR ? "bad input reported as a runtime error (UTIL_ERR)"
					 : "unexpected return code", cause);
	if (!cause || !*cause)
		fuzz_fail("error without a cause", cause);
	if (name && !strstr(cause, name))
		fuzz_fail("cause does not name the input", cause);
}

/*
 * Import data[0..len) as format (NULL: detect) under the name name
 * through imp_buffer (or imp_file when path is set: importers that
 * reopen the input by path), then check the contract above. Returns the
 * import's code.
 */
static inline int fuzz_import_as(const char *format, const char *name, const char *path,
				 const uint8_t *data, size_t len)
{
	struct store *st = fuzz_store();
	struct imp_opts o = { .format = format, .quiet = 1 };
	struct imp_ctx res;
	char *cause = NULL;
	int rc = path ? imp_file(st, path, &o, &res, &cause)
		      : imp_buffer(st, name, data, len, &o, &res, &cause);
	if (rc == 0) {
		if (cause)
			fuzz_fail("success with a cause set", cause);
		if (res.n_traces == 0 && res.profile_id == 0)
			fuzz_fail("success that stored nothing", res.summary);
		free(res.summary);
		fuzz_store_wipe(st);
		return 0;
	}
	fuzz_check_error(rc, cause, path ? path : name);
	if (fuzz_rows(st) != 0)
		fuzz_fail("a failed import changed the store", cause);
	free(cause);
	return rc;
}

static inline int fuzz_import(const char *format, const uint8_t *data, size_t len)
{
	return fuzz_import_as(format, FUZZ_NAME, NULL, data, len);
}

/* A NUL-terminated copy of data[0..len) (the parsers of user text take C
 * strings); the caller frees it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t len)
{
	char *s = util_xmalloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
