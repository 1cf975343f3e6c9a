/*
 * test_kineto.c - PyTorch profiler (Kineto) Chrome trace JSON: the two real
 * fixtures (old and new [memory] args), small traces the test writes (plain
 * and gzipped; fractional ts, unsorted, orphans, OOM, LIFO matching by
 * size), and refusal of what is not a trace with the store unchanged.
 */
#include <sqlite3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "cu_import.h"
#include "cutest.h"
#include "imp.h"
#include "store.h"
#include "util.h"

/* Events never go back in time within a process. */
static int64_t backwards(struct store *st, int64_t tr)
{
	return cu_q1(st, "SELECT count(*) FROM events a JOIN events b ON a.trace_id=b.trace_id AND "
		  "a.pid=b.pid AND a.seq+1=b.seq WHERE a.trace_id=%lld AND b.t_ns<a.t_ns",
		  (long long)tr);
}

static void test_kineto_v100_fixture(void)
{
	struct store *st = cu_store_new("v100.db");
	int64_t tr = 0;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(cu_import(st, cu_data("traces/kineto_trace_v100_rank1_profile_memory_hta.json.gz"),
				     NULL, &tr, &cause), 0);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.memory_events"), 28010);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.cuda_events"), 26770);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.cpu_events"), 1240);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.orphan_frees"), 0);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.total_allocated_end.1"), 4096614400ll);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.total_reserved_end.1"), 12782141440ll);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.total_allocated_start.1"), 4096614400ll);
	struct trace_device *d;
	size_t nd;
	CU_ASSERT_EQUAL(store_devices(st, tr, &d, &nd, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(nd, 2);
	CU_ASSERT_STRING_EQUAL(d[1].name, "Tesla V100-SXM2-32GB");
	CU_ASSERT_EQUAL(d[1].total, 34089730048ull);
	free(d);
	/* 13385 allocs + the level before the window; 13385 frees, all paired */
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_ALLOC), 13386);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_FREE), 13385);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT sum(size) FROM events WHERE trace_id=%lld AND kind=1 AND "
			   "seq>1", (long long)tr), 52469120000ll);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT size FROM events WHERE trace_id=%lld AND seq=1",
			   (long long)tr), 4096614400ll);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(DISTINCT pid) FROM events WHERE trace_id=%lld",
			   (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT pid FROM events WHERE trace_id=%lld", (long long)tr), 783658);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND device<>1",
			   (long long)tr), 0);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT max(t_ns) FROM events WHERE trace_id=%lld", (long long)tr),
			1718465000ll);
	CU_ASSERT_EQUAL(backwards(st, tr), 0);
	/* every free closes an alloc at the same address */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=2 AND "
			   "addr NOT IN (SELECT addr FROM events WHERE trace_id=%lld AND kind=1)",
			   (long long)tr, (long long)tr), 0);
	store_close(st);
}

static void test_kineto_resnet_fixture(void)
{
	struct store *st = cu_store_new("resnet.db");
	int64_t tr = 0;
	CU_ASSERT_EQUAL_FATAL(cu_import(st, cu_data("traces/kineto_trace_resnet50_2021_tbplugin.pt.trace.json.gz"),
				     NULL, &tr, NULL), 0);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.memory_events"), 12838);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.cuda_events"), 8220);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.cpu_events"), 4618);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_ALLOC), 4110);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_FREE), 4110);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT sum(size) FROM events WHERE trace_id=%lld AND kind=1",
			   (long long)tr), 63689511936ll);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT sum(size) FROM events WHERE trace_id=%lld AND kind=2",
			   (long long)tr), 63689511936ll);
	struct store_trace_info ti;
	CU_ASSERT_EQUAL(store_trace_get(st, tr, &ti, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(ti.note && strstr(ti.note, "matched to allocs by size"));
	store_trace_info_clear(&ti);
	/* no Addr: synthetic addresses, each free pairs with one earlier alloc */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=2 AND "
			   "addr NOT IN (SELECT addr FROM events WHERE trace_id=%lld AND kind=1)",
			   (long long)tr, (long long)tr), 0);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(DISTINCT addr) FROM events WHERE trace_id=%lld AND "
			   "kind=1", (long long)tr), 4110);
	CU_ASSERT_EQUAL(backwards(st, tr), 0);
	store_close(st);
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(cu_tmp(name), "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void write_gz(const char *name, const char *text)
{
	gzFile g = gzopen(cu_tmp(name), "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	gzwrite(g, text, (unsigned)strlen(text));
	gzclose(g);
}

#define MEM(ts, extra, args) \
	"{\"ph\": \"i\", \"name\": \"[memory]\", \"pid\": 42, \"tid\": 1, \"ts\": " ts extra \
	", \"args\": {" args "}}"

/* New-form args, unsorted, fractional ts, a free of a pre-window block,
 * CPU and other-device events, a zero-byte event and an OOM. */
static const char new_form[] =
	"{\n \"schemaVersion\": 1, \"distributedInfo\": {\"rank\": 3, \"world_size\": 4},\n"
	" \"deviceProperties\": [{\"id\": 0, \"name\": \"NVIDIA A100\", \"totalGlobalMem\": 42949672960}],\n"
	" \"traceEvents\": [\n"
	"  {\"ph\": \"X\", \"name\": \"aten::empty\", \"ts\": 5, \"dur\": 3, \"args\": {\"x\": [1, {\"y\": \"]}\"}]}},\n"
	"  " MEM("100.75", "", "\"Ev Idx\": 3, \"Device Type\": 1, \"Device Id\": 0, \"Addr\": 1000, "
		 "\"Bytes\": -512, \"Total Allocated\": 2048, \"Total Reserved\": 4096") ",\n"
	"  " MEM("100.5", "", "\"Ev Idx\": 2, \"Device Type\": 1, \"Device Id\": 0, \"Addr\": 1000, "
		 "\"Bytes\": 512, \"Total Allocated\": 2560, \"Total Reserved\": 4096") ",\n"
	"  " MEM("100.25", "", "\"Ev Idx\": 1, \"Device Type\": 1, \"Device Id\": 0, \"Addr\": 2000, "
		 "\"Bytes\": -1024, \"Total Allocated\": 2048, \"Total Reserved\": 4096") ",\n"
	"  " MEM("100.5", "", "\"Ev Idx\": 9, \"Device Type\": 0, \"Device Id\": -1, \"Addr\": 7, "
		 "\"Bytes\": 64") ",\n"
	"  " MEM("100.5", "", "\"Ev Idx\": 10, \"Device Type\": 12, \"Device Id\": 0, \"Addr\": 7, "
		 "\"Bytes\": 64") ",\n"
	"  " MEM("100.5", "", "\"Ev Idx\": 11, \"Device Type\": 1, \"Device Id\": 0, \"Addr\": 7, "
		 "\"Bytes\": 0") ",\n"
	"  {\"ph\": \"i\", \"name\": \"[OutOfMemory]\", \"pid\": 42, \"ts\": 101, \"args\": "
	"{\"Device Type\": 1, \"Device Id\": 0, \"Bytes\": 1073741824, \"Total Allocated\": 2048, "
	"\"Total Reserved\": 4096}}\n"
	" ],\n \"traceName\": \"x\"\n}\n";

static void check_new_form(struct store *st, int64_t tr)
{
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.memory_events"), 7);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.cuda_events"), 4);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.cpu_events"), 1);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.other_events"), 1);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.orphan_frees"), 1);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.total_allocated_start.0"), 3072);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "kineto.total_allocated_end.0"), 2048);
	/* t=0: the orphan's block (1024 at 2000), then the rest of the 3072
	 * bytes before the window; then the sorted stream */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT kind*100000+size FROM events WHERE trace_id=%lld AND seq=1",
			   (long long)tr), 100000 + 1024);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT addr FROM events WHERE trace_id=%lld AND seq=1",
			   (long long)tr), 2000);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT kind*100000+size FROM events WHERE trace_id=%lld AND seq=2",
			   (long long)tr), 100000 + 2048);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT kind*10000000+t_ns FROM events WHERE trace_id=%lld AND seq=3",
			   (long long)tr), 20000000 + 0);   /* free 2000 at 100.25 */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT kind*10000000+t_ns FROM events WHERE trace_id=%lld AND seq=4",
			   (long long)tr), 10000000 + 250); /* alloc 1000 at 100.5 */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT kind*10000000+t_ns FROM events WHERE trace_id=%lld AND seq=5",
			   (long long)tr), 20000000 + 500); /* free 1000 at 100.75 */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND seq=6 AND "
			   "kind=10 AND t_ns=750 AND size=1073741824 AND result<>0", (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld", (long long)tr), 6);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND pid<>42",
			   (long long)tr), 0);
	struct trace_device *d;
	size_t nd;
	CU_ASSERT_EQUAL(store_devices(st, tr, &d, &nd, NULL), 0);
	CU_ASSERT(nd == 1 && strcmp(d[0].name, "NVIDIA A100") == 0);
	free(d);
}

static void test_kineto_new_form_plain_and_gz(void)
{
	struct store *st = cu_store_new("new.db");
	int64_t tr = 0;
	char *cause = NULL;
	write_text("new.json", new_form);
	CU_ASSERT_EQUAL_FATAL(cu_import(st, cu_tmp("new.json"), NULL, &tr, &cause), 0);
	check_new_form(st, tr);
	write_gz("new.json.gz", new_form);
	CU_ASSERT_EQUAL_FATAL(cu_import(st, cu_tmp("new.json.gz"), NULL, &tr, &cause), 0);
	check_new_form(st, tr);
	store_close(st);
}

static void test_kineto_old_form_lifo(void)
{
	/* No Addr, no totals, no pid: frees pair with the most recent live
	 * alloc of the same size on the same device; rank is the process. */
	static const char old[] =
		"{\"distributedInfo\": {\"rank\": 5}, \"traceEvents\": [\n"
		"{\"name\": \"[memory]\", \"ts\": 10, \"args\": {\"Device Type\": 1, \"Device Id\": 0, \"Bytes\": 512}},\n"
		"{\"name\": \"[memory]\", \"ts\": 11, \"args\": {\"Device Type\": 1, \"Device Id\": 0, \"Bytes\": 512}},\n"
		"{\"name\": \"[memory]\", \"ts\": 11, \"args\": {\"Device Type\": 1, \"Device Id\": 1, \"Bytes\": 512}},\n"
		"{\"name\": \"[memory]\", \"ts\": 12, \"args\": {\"Device Type\": 1, \"Device Id\": 0, \"Bytes\": -512}},\n"
		"{\"name\": \"[memory]\", \"ts\": 13, \"args\": {\"Device Type\": 1, \"Device Id\": 0, \"Bytes\": -512}},\n"
		"{\"name\": \"[memory]\", \"ts\": 14, \"args\": {\"Device Type\": 1, \"Device Id\": 0, \"Bytes\": -2048}}\n"
		"]}";
	struct store *st = cu_store_new("old.db");
	int64_t tr = 0;
	write_text("old.json", old);
	CU_ASSERT_EQUAL_FATAL(cu_import(st, cu_tmp("old.json"), "kineto", &tr, NULL), 0);
	/* seq 1: the orphan -2048 gets a block at t=0 */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT size FROM events WHERE trace_id=%lld AND seq=1 AND kind=1 "
			   "AND t_ns=0", (long long)tr), 2048);
	/* LIFO: the first free (seq 5) frees the second alloc (seq 3) */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events a JOIN events f ON a.trace_id=f.trace_id "
			   "AND a.addr=f.addr WHERE a.trace_id=%lld AND a.seq=3 AND f.seq=5 AND "
			   "a.device=0", (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events a JOIN events f ON a.trace_id=f.trace_id "
			   "AND a.addr=f.addr WHERE a.trace_id=%lld AND a.seq=2 AND f.seq=6",
			   (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events a JOIN events f ON a.trace_id=f.trace_id "
			   "AND a.addr=f.addr WHERE a.trace_id=%lld AND a.seq=1 AND f.seq=7",
			   (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(DISTINCT addr) FROM events WHERE trace_id=%lld AND "
			   "kind=1", (long long)tr), 4);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT min(pid) FROM events WHERE trace_id=%lld", (long long)tr), 5);
	store_close(st);
}

/* A file under cu_tmp() refused as a Kineto trace, its name in the message. */
static void refused(struct store *st, const char *name, const char *part)
{
	char *path = util_xstrdup(cu_tmp(name));
	cu_refused(st, path, "kineto", part, name);
	free(path);
}

static void test_kineto_bad_input(void)
{
	struct store *st = cu_store_new("bad.db");
	int64_t tr = 0;
	write_text("ok.json", new_form);
	CU_ASSERT_EQUAL_FATAL(cu_import(st, cu_tmp("ok.json"), NULL, &tr, NULL), 0);
	write_text("array.json", "[1, 2, 3]");
	refused(st, "array.json", "not a Chrome trace");
	write_text("nokey.json", "{\"foo\": {\"traceEvents\": []}}");
	refused(st, "nokey.json", "no \"traceEvents\"");
	write_text("nomem.json", "{\"traceEvents\": [{\"name\": \"x\", \"ts\": 1}]}");
	refused(st, "nomem.json", "no [memory] events");
	write_text("badev.json", "{\"traceEvents\": [{\"name\": \"[memory]\", \"ts\": 1, "
		   "\"args\": {\"Bytes\": 12x}}]}");
	refused(st, "badev.json", "bad JSON in a trace event");
	write_text("noargs.json", "{\"traceEvents\": [{\"name\": \"[memory]\", \"ts\": 1}]}");
	refused(st, "noargs.json", "byte offset 17");
	write_text("nots.json", "{\"traceEvents\": [{\"name\": \"[memory]\", \"args\": "
		   "{\"Device Type\": 1, \"Bytes\": 5}}]}");
	refused(st, "nots.json", "usable \"ts\"");
	/* cut in the middle of traceEvents */
	char cut[400];
	memcpy(cut, new_form, 399);
	cut[399] = '\0';
	write_text("cut.json", cut);
	refused(st, "cut.json", "cut file");
	/* gzip: cut, corrupt, and a gzip of something else */
	write_gz("good.json.gz", new_form);
	char *gz;
	size_t n;
	CU_ASSERT_EQUAL_FATAL(util_read_file(cu_tmp("good.json.gz"), &gz, &n, NULL), 0);
	FILE *f = fopen(cu_tmp("cut.json.gz"), "wb");
	fwrite(gz, 1, n - 12, f);
	fclose(f);
	refused(st, "cut.json.gz", "gzip stream cut");
	for (size_t i = 20; i < 40; i++)
		gz[i] ^= 0x5a;
	f = fopen(cu_tmp("bad.json.gz"), "wb");
	fwrite(gz, 1, n, f);
	fclose(f);
	refused(st, "bad.json.gz", "gzip data corrupt");
	free(gz);
	write_gz("text.gz", "hello, not json");
	refused(st, "text.gz", "not a Chrome trace");
	/* detection */
	CU_ASSERT_EQUAL(imp_kineto_detect((const unsigned char *)new_form, strlen(new_form), "x"), 90);
	CU_ASSERT_EQUAL(imp_kineto_detect((const unsigned char *)"{\"a\": 1}", 8, "x"), 0);
	CU_ASSERT_EQUAL(imp_kineto_detect((const unsigned char *)"\x80\x04}", 3, "x"), 0);
	CU_ASSERT_EQUAL(cu_n_traces(st), 1);
	store_close(st);
}

/* Random byte changes to a small trace, plain and gzipped: an import
 * succeeds or fails with an input error, never crashes. */
static void test_kineto_mutations(void)
{
	struct store *st = cu_store_new("mut.db");
	size_t n = strlen(new_form);
	char *m = util_xmalloc(n + 1);
	unsigned seed = 4242;
	int ok = 0, bad = 0;
	for (int round = 0; round < 300; round++) {
		memcpy(m, new_form, n + 1);
		for (int k = 0; k < 1 + round % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % n;
			seed = seed * 1103515245u + 12345u;
			m[at] = (char)(seed >> 16);
		}
		FILE *f = fopen(cu_tmp("mut.json"), "wb");
		fwrite(m, 1, n, f);
		fclose(f);
		int64_t tr = 0;
		char *cause = NULL;
		int rc = cu_import(st, cu_tmp("mut.json"), "kineto", &tr, &cause);
		CU_ASSERT(rc == 0 || rc == UTIL_EINPUT);
		rc == 0 ? ok++ : bad++;
		free(cause);
	}
	CU_ASSERT(ok > 0 && bad > 0);
	free(m);
	store_close(st);
}

/* "Bytes": -2^63 was negated (undefined behaviour); sizes and totals out
 * of range are refused, not silently dropped. */
static void test_kineto_huge_numbers(void)
{
	static const char *const bad[] = {
		"\"Bytes\": -9223372036854775808",
		"\"Bytes\": 9223372036854775807",
		"\"Bytes\": 512, \"Total Allocated\": 1e300, \"Total Reserved\": 4096",
		"\"Bytes\": 512, \"Total Allocated\": 512, \"Total Reserved\": -1",
		"\"Bytes\": 512, \"Total Allocated\": 512",
		"\"Bytes\": 512, \"Device Id\": 1e300",
	};
	struct store *st = cu_store_new("huge.db");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = util_xasprintf(
			"{\"traceEvents\": [{\"name\": \"[memory]\", \"ts\": 1, \"args\": "
			"{\"Device Type\": 1, %s\"Addr\": 4096, %s}}]}",
			strstr(bad[i], "Device Id") ? "" : "\"Device Id\": 0, ", bad[i]);
		write_text("huge.json", text);
		refused(st, "huge.json", i < 2 ? "\"Bytes\" outside" : i < 5 ? "\"Total Allocated\" or"
			: "\"Device Id\" that is not a number");
		free(text);
	}
	store_close(st);
}

/* The summary names the devices that hold events (a rank's trace of GPU 1
 * said "2 device(s)"). */
static void test_kineto_summary_devices(void)
{
	struct store *st = cu_store_new("sum.db");
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_data("traces/kineto_trace_v100_rank1_profile_memory_hta.json.gz"),
				       &o, &res, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "CUDA on 1 device(s)"));
	free(res.summary);
	store_close(st);
}

/* Run f in a child under an address-space limit of mb MiB; its exit status,
 * or 128 + signal. */
static int limited(size_t mb, void (*f)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { mb << 20, mb << 20 };
		setrlimit(RLIMIT_AS, &rl);
		f();
		_exit(0);
	}
	int wst = 0;
	waitpid(pid, &wst, 0);
	return WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
}

static void import_bomb(void)
{
	struct store *st = NULL;
	char *cause = NULL;
	if (store_open(cu_tmp("bomb.db"), STORE_CREATE, &st, &cause))
		_exit(3);
	int64_t tr;
	int rc = cu_import(st, cu_tmp("bomb.json.gz"), NULL, &tr, &cause);
	store_close(st);
	_exit(rc == 0 ? 0 : rc == UTIL_EINPUT ? 2 : 1);
}

/* About 1 MB of gzip that inflates to 1 GiB (whitespace between two
 * events): it was inflated whole in memory and aborted under a memory
 * limit; now it streams through a small window. */
static void test_kineto_gzip_bomb(void)
{
	gzFile g = gzopen(cu_tmp("bomb.json.gz"), "wb1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	gzputs(g, "{\"traceEvents\": [{\"name\": \"[memory]\", \"ts\": 1, \"args\": "
		  "{\"Device Type\": 1, \"Device Id\": 0, \"Addr\": 4096, \"Bytes\": 512}},");
	char *spaces = util_xmalloc(1 << 20);
	memset(spaces, ' ', 1 << 20);
	for (int i = 0; i < 1024; i++)
		gzwrite(g, spaces, 1 << 20);
	free(spaces);
	gzputs(g, "{\"name\": \"[memory]\", \"ts\": 2, \"args\": {\"Device Type\": 1, "
		  "\"Device Id\": 0, \"Addr\": 4096, \"Bytes\": -512}}]}");
	gzclose(g);
	cu_sh("rm -f '%s'*", cu_tmp("bomb.db"));
#if defined(__SANITIZE_ADDRESS__)
	int mb = 0; /* ASan reserves terabytes of address space */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	int mb = 0;
#else
	int mb = 512;
#endif
#else
	int mb = 512;
#endif
	int st = mb ? limited((size_t)mb, import_bomb) : limited(1u << 30, import_bomb);
	CU_ASSERT_EQUAL(st, 0);
	cu_sh("rm -f '%s'", cu_tmp("bomb.json.gz"));
}

/* A .gz whose one event is larger than the first inflate window (the
 * window grows), and one whose event is past KINETO_MAX_VALUE (refused). */
static void gz_big_event(const char *name, size_t pad)
{
	gzFile g = gzopen(cu_tmp(name), "wb1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	gzputs(g, "{\"traceEvents\": [{\"name\": \"[memory]\", \"ts\": 1, \"args\": "
		  "{\"Device Type\": 1, \"Device Id\": 0, \"Addr\": 4096, \"Bytes\": 512, "
		  "\"pad\": \"");
	char *a = util_xmalloc(1 << 20);
	memset(a, 'a', 1 << 20);
	for (size_t left = pad; left; left -= left < (1u << 20) ? left : 1u << 20)
		gzwrite(g, a, left < (1u << 20) ? (unsigned)left : 1u << 20);
	free(a);
	gzputs(g, "\"}}, {\"name\": \"[memory]\", \"ts\": 2, \"args\": {\"Device Type\": 1, "
		  "\"Device Id\": 0, \"Addr\": 4096, \"Bytes\": -512}}]}");
	gzclose(g);
}

static void test_kineto_gzip_window(void)
{
	struct store *st = cu_store_new("win.db");
	int64_t tr = 0;
	char *cause = NULL;
	gz_big_event("big.json.gz", 3u << 20);
	CU_ASSERT_EQUAL(cu_import(st, cu_tmp("big.json.gz"), NULL, &tr, &cause), 0);
	free(cause);
	if (tr)
		CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_FREE), 1);
	gz_big_event("huge.json.gz", 65u << 20);
	refused(st, "huge.json.gz", "a value longer than 64 MiB");
	cu_sh("rm -f '%s' '%s'", cu_tmp("big.json.gz"), cu_tmp("huge.json.gz"));
	store_close(st);
}

/* Distinct pids past the store's bound are refused, quickly, and the
 * work per pid no longer touches 4096-entry tables. */
static void test_kineto_many_pids(void)
{
	size_t cap = 80u << 20, n = 0;
	char *text = util_xmalloc(cap);
	n += (size_t)snprintf(text, cap, "{\"traceEvents\": [");
	for (int pid = 0; pid <= STORE_MAX_PROCESSES; pid++)
		n += (size_t)snprintf(text + n, cap - n, "%s{\"name\": \"[memory]\", \"ts\": 1, "
				      "\"pid\": %d, \"args\": {\"Device Type\": 1, \"Device Id\": 0, "
				      "\"Addr\": 4096, \"Bytes\": 512}}", pid ? "," : "", pid);
	snprintf(text + n, cap - n, "]}");
	write_text("pids.json", text);
	free(text);
	struct store *st = cu_store_new("pids.db");
	refused(st, "pids.json", "more than 65536 processes in one trace");
	store_close(st);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("kineto", NULL, NULL);
	CU_ADD(s, test_kineto_v100_fixture);
	CU_ADD(s, test_kineto_resnet_fixture);
	CU_ADD(s, test_kineto_new_form_plain_and_gz);
	CU_ADD(s, test_kineto_old_form_lifo);
	CU_ADD(s, test_kineto_bad_input);
	CU_ADD(s, test_kineto_mutations);
	CU_ADD(s, test_kineto_huge_numbers);
	CU_ADD(s, test_kineto_summary_devices);
	CU_ADD(s, test_kineto_gzip_bomb);
	CU_ADD(s, test_kineto_many_pids);
	CU_ADD(s, test_kineto_gzip_window);
}

CUTEST_MAIN(register_tests)
