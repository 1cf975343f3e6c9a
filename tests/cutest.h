/*
 * cutest.h - what every CUnit test program shares: a main() that runs the
 * registered suites verbosely and exits non-zero when any test fails
 * (plain CU_basic_run_tests() exits 0 on failure), and paths to test data.
 *
 * Each tests/test_<module>.c defines
 *     static void register_tests(void) { CU_pSuite s = CU_add_suite(...); ... }
 *     CUTEST_MAIN(register_tests)
 * Tests run from the repository root (tests/run.sh does so).
 */
#ifndef VRAMSIM_CUTEST_H
#define VRAMSIM_CUTEST_H

#include <stdint.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "trace.h"

/* Path of a file under tests/data (static buffer, valid until next call). */
const char *cu_data(const char *name);
/* A fresh empty directory under $TMPDIR for this test program; removed at
 * exit. Returns the same directory on every call. */
const char *cu_tmpdir(void);
/* Path of name inside cu_tmpdir() (static buffer, valid until next call). */
const char *cu_tmp(const char *name);
/* Run a shell command, return its exit status (or -1). */
int cu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A new empty store at cu_tmp(name) (files of an old one removed). */
struct store;
struct store *cu_store_new(const char *name);
/* One integer from an SQL query (printf-style; numbers only in the
 * arguments), with the store's events readable as the table "events";
 * -1 if the query gives no row. */
int64_t cu_q1(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One event as the replay tests build them: seq = t. */
struct trace_event cu_event(int kind, int64_t t, int dev, int cat, uint64_t size, uint64_t addr);

/* Run the tests registered by reg; the process exit status. */
int cu_run(void (*reg)(void));

#define CUTEST_MAIN(reg) \
	int main(void) { return cu_run(reg); }

/* Add a test named after its function. */
#define CU_ADD(suite, fn) CU_add_test((suite), #fn, (fn))

#endif
