/*
 * test_store.c - the SQLite trace store: schema, transactions, rows,
 * refusal of foreign and newer files.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cutest.h"
#include "store.h"
#include "util.h"

static struct store *open_new(const char *name)
{
	struct store *st = NULL;
	char *cause = NULL;
	cu_sh("rm -f '%s'*", cu_tmp(name));
	int rc = store_open(cu_tmp(name), STORE_CREATE, &st, &cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	free(cause);
	return st;
}

static void test_store_roundtrip(void)
{
	struct store *st = open_new("rt.db");
	int64_t id, id2, lab;
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, NULL, "a.log", "llamalog", "/x/a.log", 0, &id, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, NULL, "a.log", "llamalog", "/x/a.log", 2, &id2, NULL), 0);
	CU_ASSERT_EQUAL(store_archive(st, id, "a.log", "hello world", 11, NULL), 0);
	struct trace_device d = { .index = 0, .ordinal = 0, .total = 24ull << 30 };
	strcpy(d.name, "RTX 3090");
	CU_ASSERT_EQUAL(store_device_add(st, id, &d, NULL), 0);
	CU_ASSERT_EQUAL(store_setting_set(st, id, "n_ctx", "4096", NULL), 0);
	CU_ASSERT_EQUAL(store_estimate_add(st, id, "ollama", 0, "allocation", 123456, NULL), 0);
	CU_ASSERT_EQUAL(store_label(st, id, "CUDA0 model", &lab, NULL), 0);
	int64_t lab2;
	CU_ASSERT_EQUAL(store_label(st, id, "CUDA0 model", &lab2, NULL), 0);
	CU_ASSERT_EQUAL(lab, lab2);
	for (int i = 0; i < 3; i++) {
		struct trace_event ev;
		trace_event_init(&ev, TRACE_ALLOC, i * 10);
		ev.device = 0;
		ev.size = (uint64_t)(i + 1) << 40; /* beyond 32 bits */
		ev.addr = UINT64_MAX - (uint64_t)i; /* top bit set survives */
		ev.label = lab;
		ev.layer_lo = i;
		ev.layer_hi = i + 1;
		CU_ASSERT_EQUAL(store_event_add(st, id, &ev, NULL), 0);
	}
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);

	struct store_trace_info ti;
	CU_ASSERT_EQUAL(store_trace_get(st, id, &ti, NULL), 0);
	CU_ASSERT_STRING_EQUAL(ti.name, "a.log");
	CU_ASSERT_EQUAL(ti.n_events, 3);
	store_trace_info_clear(&ti);
	CU_ASSERT_EQUAL(store_trace_get(st, id2, &ti, NULL), 0);
	CU_ASSERT_STRING_EQUAL(ti.name, "a.log#2");
	store_trace_info_clear(&ti);

	int64_t r;
	/* newest trace with events: id2 has none */
	CU_ASSERT_EQUAL(store_trace_resolve(st, NULL, &r, NULL), 0);
	CU_ASSERT_EQUAL(r, id);
	CU_ASSERT_EQUAL(store_trace_resolve(st, "a.log", &r, NULL), 0);
	CU_ASSERT_EQUAL(r, id);
	char ref[16];
	snprintf(ref, sizeof(ref), "%lld", (long long)id);
	CU_ASSERT_EQUAL(store_trace_resolve(st, ref, &r, NULL), 0);
	CU_ASSERT_EQUAL(r, id);
	char *cause = NULL;
	CU_ASSERT_EQUAL(store_trace_resolve(st, "nope", &r, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause);
	free(cause);

	struct store_iter *it;
	struct trace_event ev;
	CU_ASSERT_EQUAL(store_iter_open(st, id, -1, &it, NULL), 0);
	int n = 0;
	while (store_iter_next(it, &ev, NULL) == 1) {
		CU_ASSERT_EQUAL(ev.t_ns, n * 10);
		CU_ASSERT_EQUAL(ev.size, (uint64_t)(n + 1) << 40);
		CU_ASSERT_EQUAL(ev.addr, UINT64_MAX - (uint64_t)n);
		CU_ASSERT_EQUAL(ev.layer_lo, n);
		CU_ASSERT_EQUAL(ev.seq, n + 1);
		n++;
	}
	CU_ASSERT_EQUAL(n, 3);
	store_iter_free(it);

	char *v = NULL;
	CU_ASSERT_EQUAL(store_setting_get(st, id, "n_ctx", &v, NULL), 0);
	CU_ASSERT_STRING_EQUAL(v, "4096");
	free(v);
	int64_t iv;
	int set;
	CU_ASSERT_EQUAL(store_setting_int(st, id, "n_ctx", &iv, &set, NULL), 0);
	CU_ASSERT(set && iv == 4096);

	char *fn;
	void *data;
	size_t len;
	CU_ASSERT_EQUAL(store_archive_get(st, id, &fn, &data, &len, NULL), 0);
	CU_ASSERT_EQUAL(len, 11);
	CU_ASSERT(memcmp(data, "hello world", 11) == 0);
	free(fn);
	free(data);
	store_close(st);
}

static void add_events(struct store *st, int64_t id, int pid, int n)
{
	for (int i = 0; i < n; i++) {
		struct trace_event ev;
		trace_event_init(&ev, TRACE_ALLOC, i);
		ev.pid = pid;
		ev.device = (int16_t)(i % 3);
		ev.category = (int16_t)(i % 5);
		ev.size = 4096;
		ev.addr = (uint64_t)i + 1;
		CU_ASSERT_EQUAL(store_event_add(st, id, &ev, NULL), 0);
	}
}

/* The events of trace id as the store's rows say. */
static int64_t chunk_sum(struct store *st, int64_t id)
{
	return cu_q1(st, "SELECT coalesce(sum(n), 0) FROM event_chunks WHERE trace_id=%lld",
		     (long long)id);
}

/* traces.n_events (schema 4) is the trace's event count: added up over
 * transactions and processes, untouched by a rollback, filled for a store
 * written before it was kept. */
static void test_store_n_events(void)
{
	struct store *st = open_new("ne.db");
	int64_t a, b;
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "a", NULL, "vrt", NULL, 0, &a, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "b", NULL, "vrt", NULL, 0, &b, NULL), 0);
	add_events(st, a, 1, 5000); /* more than a chunk */
	add_events(st, b, 7, 3);
	add_events(st, a, 2, 17);
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT n_events FROM traces WHERE id=%lld", (long long)a), 5017);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT n_events FROM traces WHERE id=%lld", (long long)b), 3);
	/* a second transaction adds to it (record imports a run in steps) */
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	add_events(st, a, 1, 10);
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT n_events FROM traces WHERE id=%lld", (long long)a), 5027);
	/* a rolled-back one does not */
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	add_events(st, b, 7, 10);
	store_rollback(st);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT n_events FROM traces WHERE id=%lld", (long long)b), 3);
	CU_ASSERT_EQUAL(chunk_sum(st, a), 5027);
	CU_ASSERT_EQUAL(chunk_sum(st, b), 3);
	struct store_trace_info ti;
	CU_ASSERT_EQUAL(store_trace_get(st, a, &ti, NULL), 0);
	CU_ASSERT_EQUAL(ti.n_events, 5027);
	store_trace_info_clear(&ti);
	CU_ASSERT_EQUAL(cu_q1(st, "PRAGMA user_version"), 4);
	/* a schema 3 store: the column was left at 0; opening fills it */
	CU_ASSERT_EQUAL(sqlite3_exec(store_sqlite(st), "UPDATE traces SET n_events=0;"
				     " PRAGMA user_version=3", NULL, NULL, NULL), SQLITE_OK);
	store_close(st);
	st = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(cu_tmp("ne.db"), STORE_READONLY, &st, NULL), 0);
	CU_ASSERT_EQUAL(cu_q1(st, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT n_events FROM traces WHERE id=%lld", (long long)a), 5027);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT n_events FROM traces WHERE id=%lld", (long long)b), 3);
	store_close(st);
}

static void test_store_rollback_leaves_nothing(void)
{
	struct store *st = open_new("rb.db");
	int64_t id;
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "x", NULL, "vrt", NULL, 0, &id, NULL), 0);
	store_rollback(st);
	struct store_trace_info *t;
	size_t n;
	CU_ASSERT_EQUAL(store_trace_list(st, &t, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(t);
	/* the name is free again */
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "x", NULL, "vrt", NULL, 0, &id, NULL), 0);
	char *cause = NULL;
	int64_t id2;
	CU_ASSERT_EQUAL(store_trace_new(st, "x", NULL, "vrt", NULL, 0, &id2, &cause), UTIL_EINPUT);
	free(cause);
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);
	store_close(st);
}

static void test_store_refuses_foreign_files(void)
{
	struct store *st = NULL;
	char *cause = NULL;
	FILE *f = fopen(cu_tmp("text.db"), "w");
	fputs("this is not a database at all, just text that is long enough....", f);
	fclose(f);
	CU_ASSERT_EQUAL(store_open(cu_tmp("text.db"), STORE_CREATE, &st, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "not a vramsim store"));
	free(cause);
	cause = NULL;

	sqlite3 *db;
	cu_sh("rm -f '%s'", cu_tmp("other.db"));
	sqlite3_open(cu_tmp("other.db"), &db);
	sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	CU_ASSERT_EQUAL(store_open(cu_tmp("other.db"), STORE_CREATE, &st, &cause), UTIL_EINPUT);
	free(cause);
	cause = NULL;

	/* a store from a newer vramsim */
	st = open_new("newer.db");
	store_close(st);
	sqlite3_open(cu_tmp("newer.db"), &db);
	sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(db);
	CU_ASSERT_EQUAL(store_open(cu_tmp("newer.db"), STORE_CREATE, &st, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "newer"));
	free(cause);
}

static void test_store_profile(void)
{
	struct store *st = open_new("prof.db");
	struct profile p = { 0 };
	strcpy(p.name, "tiny");
	strcpy(p.arch, "llama");
	p.n_layer = 2;
	p.n_embd = 64;
	profile_add(&p, 0, PROFILE_ATTN, 100);
	profile_add(&p, 0, PROFILE_FFN, 200);
	profile_add(&p, 1, PROFILE_ATTN, 100);
	profile_add(&p, 0, PROFILE_ATTN, 5);
	profile_add(&p, 2, PROFILE_OTHER, 1000);
	CU_ASSERT_EQUAL(profile_layer_bytes(&p, 0), 305);
	CU_ASSERT_EQUAL(profile_range_bytes(&p, 0, 2), 1405);
	int64_t id, tid;
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_profile_add(st, &p, "tiny.gguf", &id, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "t", NULL, "llamalog", NULL, 0, &tid, NULL), 0);
	CU_ASSERT_EQUAL(store_profile_attach(st, tid, id, NULL), 0);
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);
	struct profile q;
	CU_ASSERT_EQUAL(store_profile_get(st, id, &q, NULL), 0);
	CU_ASSERT_STRING_EQUAL(q.arch, "llama");
	CU_ASSERT_EQUAL(q.n_embd, 64);
	CU_ASSERT_EQUAL(profile_range_bytes(&q, 0, 2), 1405);
	int64_t found;
	CU_ASSERT_EQUAL(store_profile_find(st, "tiny.gguf", &found, NULL), 0);
	CU_ASSERT_EQUAL(found, id);
	profile_clear(&q);
	/* A second profile of the same name gets its own: tiny#2. */
	int64_t id2, found2;
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_profile_add(st, &p, "other/tiny.gguf", &id2, NULL), 0);
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);
	CU_ASSERT_EQUAL(store_profile_find(st, "tiny", &found, NULL), 0);
	CU_ASSERT_EQUAL(found, id);
	CU_ASSERT_EQUAL(store_profile_find(st, "tiny#2", &found2, NULL), 0);
	CU_ASSERT_EQUAL(found2, id2);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(DISTINCT name) FROM profiles"), 2);
	profile_clear(&p);
	store_close(st);
}

/* Events of more processes than STORE_OPEN_CHUNKS, interleaved, come back
 * whole and in order; past STORE_MAX_PROCESSES pids or a device index past
 * STORE_MAX_DEVICES, the import is refused. */
static void test_store_limits(void)
{
	struct store *st = open_new("limits.db");
	int64_t id;
	char *cause = NULL;
	enum { NP = STORE_OPEN_CHUNKS * 3, NE = 10 };
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "t", NULL, "vrt", NULL, 0, &id, NULL), 0);
	for (int e = 0; e < NE; e++)
		for (int p = 0; p < NP; p++) {
			struct trace_event ev;
			trace_event_init(&ev, TRACE_ALLOC, e * 100 + p);
			ev.pid = p + 1;
			ev.size = (uint64_t)(p * NE + e);
			CU_ASSERT_EQUAL_FATAL(store_event_add(st, id, &ev, NULL), 0);
		}
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);
	for (int p = 0; p < NP; p += 37) {
		struct store_iter *it;
		struct trace_event ev;
		CU_ASSERT_EQUAL_FATAL(store_iter_open(st, id, p + 1, &it, NULL), 0);
		int e = 0;
		while (store_iter_next(it, &ev, NULL) == 1) {
			CU_ASSERT_EQUAL(ev.size, (uint64_t)(p * NE + e));
			CU_ASSERT_EQUAL(ev.seq, e + 1);
			e++;
		}
		CU_ASSERT_EQUAL(e, NE);
		store_iter_free(it);
	}
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "many", NULL, "vrt", NULL, 0, &id, NULL), 0);
	int rc = 0;
	for (int p = 0; p <= STORE_MAX_PROCESSES && !rc; p++) {
		struct trace_event ev;
		trace_event_init(&ev, TRACE_ALLOC, 0);
		ev.pid = p;
		rc = store_event_add(st, id, &ev, &cause);
	}
	CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "more than 65536 processes in one trace"));
	free(cause);
	cause = NULL;
	struct trace_device d = { .index = STORE_MAX_DEVICES };
	CU_ASSERT_EQUAL(store_device_add(st, id, &d, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "device index 4096 outside 0..4095"));
	free(cause);
	store_rollback(st);
	store_close(st);
}

/* vramsim never creates a view or trigger: a store holding one is refused
 * before any table is read (a view of event_chunks hung every command). */
static void test_store_refuses_sql(void)
{
	static const char *const evil[] = {
		"DROP TABLE event_chunks; CREATE VIEW event_chunks AS WITH RECURSIVE r(n) AS"
		" (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT 1 AS trace_id, n AS pid,"
		" 1 AS first_seq, 1 AS n, 0 AS t_first, 0 AS t_last, x'' AS data FROM r",
		"CREATE TRIGGER t AFTER INSERT ON traces BEGIN DELETE FROM labels; END",
		"CREATE VIEW v AS SELECT 1",
	};
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		struct store *st = open_new("evil.db");
		store_close(st);
		sqlite3 *db;
		CU_ASSERT_EQUAL_FATAL(sqlite3_open(cu_tmp("evil.db"), &db), SQLITE_OK);
		CU_ASSERT_EQUAL(sqlite3_exec(db, evil[i], NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		for (int ro = 0; ro < 2; ro++) {
			char *cause = NULL;
			CU_ASSERT_EQUAL(store_open(cu_tmp("evil.db"), ro ? STORE_READONLY : 0, &st,
						   &cause), UTIL_EINPUT);
			CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "vramsim reads only plain tables"));
			free(cause);
		}
	}
}

/* A child process holds the store's write lock for hold_s seconds. */
static pid_t hold_lock(const char *path, int hold_s)
{
	int fds[2];
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		sqlite3 *db;
		close(fds[0]);
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		(void)!write(fds[1], "x", 1);
		sleep((unsigned)hold_s);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(0);
	}
	close(fds[1]);
	char c;
	CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1); /* the lock is held */
	close(fds[0]);
	return pid;
}

/* An import that holds the lock for 11 s made a second one fail with
 * "database is locked" after 10 s; now it waits (STORE_BUSY_TIMEOUT_S),
 * and when it gives up, it says why and which variable waits longer. */
static void test_store_busy_timeout(void)
{
	struct store *st = open_new("busy.db");
	store_close(st);
	const char *path = cu_tmp("busy.db");
	char *p = util_xstrdup(path), *cause = NULL;
	unsetenv("VRAMSIM_BUSY_TIMEOUT");
	pid_t pid = hold_lock(p, 11);
	CU_ASSERT_EQUAL(store_open(p, 0, &st, &cause), 0);
	time_t t0 = time(NULL);
	int rc = store_begin(st, &cause);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "\n%s\n", cause);
	CU_ASSERT(time(NULL) - t0 >= 5); /* it did wait for the other writer */
	store_rollback(st);
	store_close(st);
	waitpid(pid, NULL, 0);
	free(cause);
	cause = NULL;

	setenv("VRAMSIM_BUSY_TIMEOUT", "1", 1);
	pid = hold_lock(p, 4);
	CU_ASSERT_EQUAL(store_open(p, 0, &st, &cause), 0);
	CU_ASSERT_EQUAL(store_begin(st, &cause), UTIL_ERR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cause);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "another process is writing to this store"));
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "gave up after 1 s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "VRAMSIM_BUSY_TIMEOUT"));
	store_close(st);
	waitpid(pid, NULL, 0);
	unsetenv("VRAMSIM_BUSY_TIMEOUT");
	free(cause);
	free(p);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("store", NULL, NULL);
	CU_ADD(s, test_store_roundtrip);
	CU_ADD(s, test_store_n_events);
	CU_ADD(s, test_store_rollback_leaves_nothing);
	CU_ADD(s, test_store_refuses_foreign_files);
	CU_ADD(s, test_store_profile);
	CU_ADD(s, test_store_limits);
	CU_ADD(s, test_store_refuses_sql);
	CU_ADD(s, test_store_busy_timeout);
}

CUTEST_MAIN(register_tests)
