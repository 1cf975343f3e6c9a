/*
 * test_nsys.c - Nsight Systems SQLite exports. No public export carries
 * CUDA_GPU_MEMORY_USAGE_EVENTS (Nsight Systems user guide, "SQLite Schema
 * Reference"), so the tests
 * build exports from the documented schema: the 2023.3+ layout
 * (META_DATA_EXPORT, TARGET_INFO_CUDA_DEVICE, streamId) and the 2023.1
 * layout (EXPORT_META_DATA, no TARGET_INFO_CUDA_DEVICE, no stream or pool
 * columns), with and without the memory table, and files that are not
 * exports at all.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_import.h"
#include "cutest.h"
#include "imp.h"
#include "store.h"
#include "util.h"

/* globalPid / globalTid as nsys serialises them: pid in bits 24..47. */
#define GPID(pid) ((1ll << 56) | ((long long)(pid) << 24))
#define GTID(pid, tid) (GPID(pid) | (tid))

static void exec(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = util_xvasprintf(fmt, ap);
	va_end(ap);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "\n%s: %s\n", sql, err);
		CU_FAIL("sql");
	}
	sqlite3_free(err);
	free(sql);
}

static const char common_schema[] =
	"CREATE TABLE StringIds (id INTEGER NOT NULL PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE TARGET_INFO_SESSION_START_TIME (utcEpochNs INTEGER, utcTime TEXT,"
	" localTime TEXT);"
	"CREATE TABLE PROCESSES (globalPid INTEGER, pid INTEGER, name TEXT);"
	"CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (start INTEGER NOT NULL, end INTEGER NOT NULL,"
	" eventClass INTEGER NOT NULL, globalTid INTEGER, correlationId INTEGER,"
	" nameId INTEGER NOT NULL, returnValue INTEGER NOT NULL, callchainId INTEGER);"
	"INSERT INTO StringIds VALUES (1, 'cudaMalloc_v3020'), (2, 'cudaFree_v3020'),"
	" (3, 'cudaHostAlloc_v3020'), (4, 'cudaMallocManaged_v6000'), (5, 'cudaLaunchKernel_v7000');"
	"INSERT INTO TARGET_INFO_SESSION_START_TIME VALUES (1776479641000000000, 'x', 'y');";

/* Export of nsys 2023.3+ (schema 3.4+): META_DATA_EXPORT. */
static void make_modern(const char *path, int with_usage)
{
	sqlite3 *db;
	cu_sh("rm -f '%s'", path);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, "%s", common_schema);
	exec(db, "CREATE TABLE META_DATA_EXPORT (name TEXT NOT NULL, value TEXT);"
		 "INSERT INTO META_DATA_EXPORT VALUES ('EXPORT_PRODUCT_VERSION', '2025.5.2.266'),"
		 " ('EXPORT_SCHEMA_VERSION', '3.24.0');"
		 "CREATE TABLE TARGET_INFO_GPU (vmId INTEGER NOT NULL, id INTEGER NOT NULL, name TEXT,"
		 " busLocation TEXT, isDiscrete INTEGER, l2CacheSize INTEGER, totalMemory INTEGER,"
		 " memoryBandwidth INTEGER, clockRate INTEGER, smCount INTEGER, pwGpuId INTEGER,"
		 " uuid TEXT, luid INTEGER, chipName TEXT, cuDevice INTEGER, computeMajor INTEGER,"
		 " computeMinor INTEGER);"
		 "INSERT INTO TARGET_INFO_GPU VALUES (0, 0, 'NVIDIA GeForce RTX 3060', '0000:01:00.0',"
		 " 1, 2359296, 12884377600, 360048000000, 1792000000, 28, 0, 'f5d31907-aaaa', 0,"
		 " 'GA104', 1, 8, 6),"
		 " (0, 1, 'NVIDIA GeForce RTX 3090', '0000:02:00.0', 1, 6291456, 25769803776,"
		 " 936000000000, 1695000000, 82, 1, 'a1b2c3d4-bbbb', 0, 'GA102', 0, 8, 6);"
		 "CREATE TABLE TARGET_INFO_CUDA_DEVICE (gpuId INTEGER, cudaId INTEGER, pid INTEGER);"
		 "INSERT INTO TARGET_INFO_CUDA_DEVICE VALUES (0, 1, 4242), (1, 0, 4242);"
		 "CREATE TABLE ENUM_CUDA_MEM_KIND (id INTEGER NOT NULL PRIMARY KEY, name TEXT, label TEXT);"
		 "INSERT INTO ENUM_CUDA_MEM_KIND VALUES (0, 'CUDA_MEMOPR_MEMORY_KIND_PAGEABLE', 'Pageable'),"
		 " (1, 'CUDA_MEMOPR_MEMORY_KIND_PINNED', 'Pinned'), (2, 'CUDA_MEMOPR_MEMORY_KIND_DEVICE',"
		 " 'Device'), (3, 'CUDA_MEMOPR_MEMORY_KIND_ARRAY', 'Array'),"
		 " (4, 'CUDA_MEMOPR_MEMORY_KIND_MANAGED', 'Managed');"
		 "CREATE TABLE ENUM_CUDA_DEV_MEM_EVENT_OPER (id INTEGER NOT NULL PRIMARY KEY, name TEXT,"
		 " label TEXT);"
		 "INSERT INTO ENUM_CUDA_DEV_MEM_EVENT_OPER VALUES (0, 'CUDA_DEV_MEM_EVENT_OPR_ALLOCATION',"
		 " 'Allocation'), (1, 'CUDA_DEV_MEM_EVENT_OPR_DEALLOCATION', 'Deallocation');"
		 "INSERT INTO PROCESSES VALUES (%lld, 4242, 'python3'), (%lld, 777, 'worker');",
	     GPID(4242), GPID(777));
	/* 3 cudaMalloc + 3 cudaFree (+ a kernel launch) as in the public 2025.5.2 export */
	for (int i = 1; i <= 3; i++)
		exec(db, "INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME VALUES (%d, %d, 0, %lld, %d, 1, 0, 0),"
			 " (%d, %d, 0, %lld, %d, 2, 0, 0)", i * 100, i * 100 + 5, GTID(4242, 1), i,
			 i * 100 + 50, i * 100 + 55, GTID(4242, 1), 10 + i);
	exec(db, "INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME VALUES (150, 160, 0, %lld, 20, 3, 0, 0),"
		 " (160, 170, 0, %lld, 21, 4, 0, 0), (170, 180, 0, %lld, 22, 5, 0, 0),"
		 " (90, 95, 0, %lld, 1, 2, 0, 0)",
	     GTID(4242, 1), GTID(4242, 1), GTID(4242, 1), GTID(777, 9));
	if (with_usage) {
		exec(db, "CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INTEGER NOT NULL,"
			 " globalPid INTEGER NOT NULL, deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL,"
			 " address INTEGER NOT NULL, pc INTEGER NOT NULL, bytes INTEGER NOT NULL,"
			 " memKind INTEGER NOT NULL, memoryOperationType INTEGER NOT NULL, name TEXT,"
			 " correlationId INTEGER, streamId INTEGER, localMemoryPoolAddress INTEGER,"
			 " localMemoryPoolReleaseThreshold INTEGER, localMemoryPoolSize INTEGER,"
			 " localMemoryPoolUtilizedSize INTEGER, importedMemoryPoolAddress INTEGER,"
			 " importedMemoryPoolProcessId INTEGER);");
		/* unsorted; two processes; device, pinned and managed memory */
		exec(db, "INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS (start, globalPid, deviceId, contextId,"
			 " address, pc, bytes, memKind, memoryOperationType, name, correlationId, streamId)"
			 " VALUES"
			 " (300, %lld, 0, 1, 28672, 0, 1048576, 2, 0, NULL, 2, 13),"
			 " (100, %lld, 1, 1, 32768, 0, 2097152, 2, 0, NULL, 1, 0),"
			 " (500, %lld, 0, 1, 28672, 0, 1048576, 2, 1, NULL, 12, 13),"
			 " (200, %lld, 0, 1, 36864, 0, 4096, 1, 0, NULL, 20, 0),"
			 " (250, %lld, 0, 1, 40960, 0, 65536, 4, 0, NULL, 21, 0),"
			 " (150, %lld, 0, 2, 28672, 0, 3145728, 2, 0, 'staticVar', NULL, 0)",
		     GPID(4242), GPID(4242), GPID(4242), GPID(4242), GPID(4242), GPID(777));
	}
	sqlite3_close(db);
}

/* Export of nsys 2023.1 (schema 3.1.2): EXPORT_META_DATA, no CUDA device
 * map, no enum tables, a usage table without stream or pool columns. */
static void make_old(const char *path)
{
	sqlite3 *db;
	cu_sh("rm -f '%s'", path);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, "%s", common_schema);
	exec(db, "CREATE TABLE EXPORT_META_DATA (name TEXT NOT NULL, value TEXT);"
		 "INSERT INTO EXPORT_META_DATA VALUES ('EXPORT_PRODUCT_VERSION', '2023.1.2.43'),"
		 " ('EXPORT_SCHEMA_VERSION', '3.1.2');"
		 "CREATE TABLE TARGET_INFO_GPU (vmId INTEGER NOT NULL, id INTEGER NOT NULL, name TEXT,"
		 " totalMemory INTEGER, uuid TEXT, cuDevice INTEGER);"
		 "INSERT INTO TARGET_INFO_GPU VALUES (0, 0, 'NVIDIA GeForce RTX 3090', 25447170048,"
		 " 'u0', 0), (0, 1, 'NVIDIA GeForce RTX 3090', 25447170048, 'u1', 1);"
		 "CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INTEGER NOT NULL,"
		 " globalPid INTEGER NOT NULL, deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL,"
		 " address INTEGER NOT NULL, pc INTEGER NOT NULL, bytes INTEGER NOT NULL,"
		 " memKind INTEGER NOT NULL, memoryOperationType INTEGER NOT NULL, name TEXT NOT NULL,"
		 " correlationId INTEGER NOT NULL);"
		 "INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS VALUES"
		 " (10, %lld, 1, 1, 4096, 0, 20971520, 2, 0, '', 1),"
		 " (20, %lld, 1, 1, 4096, 0, 20971520, 2, 1, '', 11);",
	     GPID(4242), GPID(4242));
	sqlite3_close(db);
}

static void test_nsys_modern_export(void)
{
	char *db = util_xstrdup(cu_tmp("modern.sqlite"));
	make_modern(db, 1);
	struct store *st = cu_store_new("m.db");
	int64_t tr = 0;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(cu_import(st, db, NULL, &tr, &cause), 0); /* detected */
	CU_ASSERT(cu_setting_is(st, tr, "nsys.product_version", "2025.5.2.266"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.schema_version", "3.24.0"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.meta_table", "META_DATA_EXPORT"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.utc_epoch_ns", "1776479641000000000"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.memory_events", "6"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.device_events", "4"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.pinned_events", "1"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.skipped_events", "1"));
	struct trace_device *d;
	size_t nd;
	CU_ASSERT_EQUAL(store_devices(st, tr, &d, &nd, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(nd, 2);
	CU_ASSERT_STRING_EQUAL(d[0].name, "NVIDIA GeForce RTX 3060");
	CU_ASSERT_EQUAL(d[0].total, 12884377600ull);
	CU_ASSERT_EQUAL(d[0].ordinal, 1); /* TARGET_INFO_CUDA_DEVICE */
	CU_ASSERT_STRING_EQUAL(d[0].uuid, "f5d31907-aaaa");
	CU_ASSERT_EQUAL(d[1].ordinal, 0);
	CU_ASSERT_EQUAL(d[1].total, 25769803776ull);
	free(d);
	/* pid 777 first (pid order), then 4242 in time order */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld", (long long)tr), 5);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND pid=777 AND "
			   "t_ns=150 AND size=3145728 AND device=0", (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events a JOIN events b ON a.trace_id=b.trace_id "
			   "AND a.pid=b.pid AND a.seq+1=b.seq WHERE a.trace_id=%lld AND b.t_ns<a.t_ns",
			   (long long)tr), 0);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT group_concat(t_ns, '') FROM (SELECT t_ns FROM events WHERE "
			   "trace_id=%lld AND pid=4242 ORDER BY seq)", (long long)tr), 100200300500ll);
	/* deviceId 1 is the second GPU; pinned memory is host memory */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT device FROM events WHERE trace_id=%lld AND t_ns=100",
			   (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT device*100+category FROM events WHERE trace_id=%lld AND "
			   "t_ns=200", (long long)tr), TRACE_DEV_HOST * 100 + TRACE_CAT_HOST);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT kind*1000+stream FROM events WHERE trace_id=%lld AND "
			   "t_ns=500", (long long)tr), TRACE_FREE * 1000 + 13);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT addr FROM events WHERE trace_id=%lld AND t_ns=500",
			   (long long)tr), 28672);
	/* labels: the API call without its version suffix, else the name */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events e JOIN labels l ON l.id=e.label_id "
			   "WHERE e.trace_id=%lld AND e.t_ns=100 AND l.text='cudaMalloc'",
			   (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events e JOIN labels l ON l.id=e.label_id "
			   "WHERE e.trace_id=%lld AND e.t_ns=500 AND l.text='cudaFree'", (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events e JOIN labels l ON l.id=e.label_id "
			   "WHERE e.trace_id=%lld AND e.t_ns=200 AND l.text='cudaHostAlloc'",
			   (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events e JOIN labels l ON l.id=e.label_id "
			   "WHERE e.trace_id=%lld AND e.pid=777 AND l.text='staticVar'", (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM processes WHERE trace_id=%lld",
			   (long long)tr), 2);
	store_close(st);
	free(db);
}

static void test_nsys_old_export(void)
{
	char *db = util_xstrdup(cu_tmp("old.sqlite"));
	make_old(db);
	struct store *st = cu_store_new("o.db");
	int64_t tr = 0;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(cu_import(st, db, "nsys", &tr, &cause), 0);
	CU_ASSERT(cu_setting_is(st, tr, "nsys.meta_table", "EXPORT_META_DATA"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.schema_version", "3.1.2"));
	CU_ASSERT(cu_setting_is(st, tr, "nsys.device_events", "2"));
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND device=1 AND "
			   "stream=0 AND size=20971520 AND pid=4242", (long long)tr), 2);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=%d",
			   (long long)tr, TRACE_FREE), 1);
	struct trace_device *d;
	size_t nd;
	CU_ASSERT_EQUAL(store_devices(st, tr, &d, &nd, NULL), 0);
	CU_ASSERT(nd == 2 && d[1].ordinal == 1 && d[1].total == 25447170048ull);
	free(d);
	store_close(st);
	free(db);
}

static void test_nsys_refusals(void)
{
	struct store *st = cu_store_new("r.db");
	char *good = util_xstrdup(cu_tmp("good.sqlite"));
	make_modern(good, 1);
	int64_t tr = 0;
	CU_ASSERT_EQUAL_FATAL(cu_import(st, good, NULL, &tr, NULL), 0);

	/* the default export: no memory table, nothing invented */
	char *p = util_xstrdup(cu_tmp("nomem.sqlite"));
	make_modern(p, 0);
	cu_refused(st, p, NULL, "no CUDA_GPU_MEMORY_USAGE_EVENTS table", "--cuda-memory-usage=true");
	cu_refused(st, p, NULL, "4 cudaMalloc* and 4 cudaFree* calls", NULL); /* incl. managed */
	free(p);

	/* an SQLite file that is not an export (detected weakly as nsys) */
	p = util_xstrdup(cu_tmp("other.sqlite"));
	sqlite3 *db;
	cu_sh("rm -f '%s'", p);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &db), SQLITE_OK);
	exec(db, "CREATE TABLE foo(a); INSERT INTO foo VALUES (1);");
	sqlite3_close(db);
	cu_refused(st, p, NULL, "not an Nsight Systems export", "META_DATA_EXPORT");
	free(p);

	/* the store itself is SQLite too */
	p = util_xstrdup(cu_tmp("r.db"));
	cu_refused(st, p, "nsys", "not an Nsight Systems export", NULL);
	free(p);

	/* a usage table that lacks a column */
	p = util_xstrdup(cu_tmp("nocol.sqlite"));
	make_modern(p, 0);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &db), SQLITE_OK);
	exec(db, "CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INTEGER, globalPid INTEGER,"
		 " deviceId INTEGER, address INTEGER, memKind INTEGER, memoryOperationType INTEGER)");
	sqlite3_close(db);
	cu_refused(st, p, NULL, "CUDA_GPU_MEMORY_USAGE_EVENTS has no column bytes", NULL);
	free(p);

	/* not SQLite at all */
	p = util_xstrdup(cu_tmp("text.sqlite"));
	FILE *f = fopen(p, "w");
	fputs("SQLite format 3 is what this text says, but it is not a database at all.\n"
	      "It is long enough to look like a header to a careless reader......\n", f);
	fclose(f);
	cu_refused(st, p, "nsys", "text.sqlite", NULL);
	free(p);

	/* detection */
	char *buf;
	size_t n;
	CU_ASSERT_EQUAL_FATAL(util_read_file(good, &buf, &n, NULL), 0);
	CU_ASSERT_EQUAL(imp_nsys_detect((unsigned char *)buf, n, good), 90);
	free(buf);
	CU_ASSERT_EQUAL_FATAL(util_read_file(cu_tmp("r.db"), &buf, &n, NULL), 0);
	CU_ASSERT_EQUAL(imp_nsys_detect((unsigned char *)buf, n, "r.db"), 5);
	free(buf);
	CU_ASSERT_EQUAL(imp_nsys_detect((const unsigned char *)"hello", 5, "x"), 0);
	CU_ASSERT_EQUAL(cu_n_traces(st), 1);
	store_close(st);
	free(good);
}

/* A WAL-mode export read while its writer still holds rows in FILE-wal:
 * the import sees them, and so must the archive (it held the main file's
 * bytes, without the rows). */
static void test_nsys_wal_archive(void)
{
	char *path = util_xstrdup(cu_tmp("wal.sqlite"));
	make_modern(path, 1);
	sqlite3 *w;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &w), SQLITE_OK);
	exec(w, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
		" INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS (start, globalPid, deviceId, contextId,"
		" address, pc, bytes, memKind, memoryOperationType) VALUES"
		" (600, %lld, 0, 1, 53248, 0, 8192, 2, 0)", GPID(4242));
	struct store *st = cu_store_new("wal.db");
	int64_t tr = 0;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(cu_import(st, path, "nsys", &tr, &cause), 0);
	CU_ASSERT(cu_setting_is(st, tr, "nsys.memory_events", "7"));
	char *name = NULL;
	void *data = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(store_archive_get(st, tr, &name, &data, &len, NULL), 0);
	sqlite3_close(w);
	/* The archive, written out, is a database holding the seventh row. */
	const char *copy = cu_tmp("wal-archive.sqlite");
	cu_sh("rm -f '%s'*", copy);
	FILE *f = fopen(copy, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	fclose(f);
	sqlite3 *r;
	sqlite3_stmt *s;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(copy, &r), SQLITE_OK);
	int n = -1;
	if (sqlite3_prepare_v2(r, "SELECT count(*) FROM CUDA_GPU_MEMORY_USAGE_EVENTS", -1, &s,
			       NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(r);
	CU_ASSERT_EQUAL(n, 7);
	free(name);
	free(data);
	free(cause);
	store_close(st);
	free(path);
}

/* Exports that carry SQL are refused before it runs; an infinite device
 * size (REAL inf, read by SQLite as INT64_MAX) is refused, not kept. */
static void test_nsys_untrusted(void)
{
	static const char *const evil[] = {
		"ALTER TABLE CUDA_GPU_MEMORY_USAGE_EVENTS RENAME TO m;"
		" CREATE VIEW CUDA_GPU_MEMORY_USAGE_EVENTS AS WITH RECURSIVE r(i) AS (SELECT 1"
		" UNION ALL SELECT i + 1 FROM r) SELECT m.* FROM m, r",
		"CREATE TRIGGER t AFTER INSERT ON StringIds BEGIN DELETE FROM StringIds; END",
		"UPDATE TARGET_INFO_GPU SET totalMemory = 9e999",
	};
	static const char *const want[] = { "is a view", "is a trigger",
					    "expected integer id and totalMemory" };
	struct store *st = cu_store_new("u.db");
	char *p = util_xstrdup(cu_tmp("evil.sqlite"));
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		make_modern(p, 1);
		sqlite3 *db;
		CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &db), SQLITE_OK);
		exec(db, "%s", evil[i]);
		sqlite3_close(db);
		cu_refused(st, p, NULL, want[i], NULL);
	}
	free(p);
	store_close(st);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("nsys", NULL, NULL);
	CU_ADD(s, test_nsys_modern_export);
	CU_ADD(s, test_nsys_old_export);
	CU_ADD(s, test_nsys_refusals);
	CU_ADD(s, test_nsys_wal_archive);
	CU_ADD(s, test_nsys_untrusted);
}

CUTEST_MAIN(register_tests)
