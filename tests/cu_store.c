/*
 * cu_store.c - store and event helpers shared by the tests.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>

#include "cutest.h"
#include "store.h"
#include "util.h"

struct store *cu_store_new(const char *name)
{
	struct store *st = NULL;
	cu_sh("rm -f '%s'*", cu_tmp(name));
	CU_ASSERT_EQUAL_FATAL(store_open(cu_tmp(name), STORE_CREATE, &st, NULL), 0);
	return st;
}

int64_t cu_q1(struct store *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = util_xvasprintf(fmt, ap);
	va_end(ap);
	sqlite3_stmt *s;
	int64_t v = -1;
	/* The store packs events in chunks; queries read them as rows. */
	sqlite3_exec(store_sqlite(st), "DROP TABLE IF EXISTS temp.events", NULL, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(store_rows(st, "temp.events", -1, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	free(sql);
	return v;
}

struct trace_event cu_event(int kind, int64_t t, int dev, int cat, uint64_t size, uint64_t addr)
{
	struct trace_event e;
	trace_event_init(&e, kind, t);
	e.seq = t;
	e.device = (int16_t)dev;
	e.category = (int16_t)cat;
	e.size = size;
	e.addr = addr;
	return e;
}
