/*
 * bench_budget.c - worst-case inputs of every import format, generated
 * here, imported by the vramsim binary in a child process whose wall time
 * and peak memory (ru_maxrss of wait4) are measured.
 *
 *   bench_budget [VRAMSIM]          `make bench`: print each case with
 *                                   its figures beside a floor (the same
 *                                   format's smallest input, same run)
 *   bench_budget --check [VRAMSIM]  `make check` (tests/cli/budget.sh):
 *                                   fail when an asserted case exits
 *                                   otherwise than expected, says
 *                                   otherwise, or runs past BUDGET_S
 *                                   seconds or BUDGET_MB MiB of memory
 *
 * The bounds (README, "Limits"): BUDGET_MB = 512 MiB resident for any
 * input (x4 under a sanitizer, whose shadow memory and quarantine count),
 * BUDGET_S = 120 s wall time: far above the figures of `make bench`
 * (seconds), generous for a loaded 2-core machine; the point is "bounded",
 * not "fast". The child also runs under a 4 GiB address-space limit (not
 * under a sanitizer), as tests/cli/bad_inputs.sh does.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "pkl_write.h"
#include "store.h"
#include "util.h"

#define BUDGET_MB 512
#define BUDGET_S 120

static char tmpdir[256];

static const char *tmp(const char *name)
{
	static char buf[2][512];
	static int k;
	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

static FILE *xopen(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

/* ---- generators: n scales the case; the floor uses n = 1 ---- */

static void kineto_event(FILE *f, int first, long ts, long pid, int dev, long addr, long bytes)
{
	fprintf(f, "%s{\"ph\": \"i\", \"name\": \"[memory]\", \"ts\": %ld, \"pid\": %ld, \"tid\": 1,"
		" \"args\": {\"Device Type\": 1, \"Device Id\": %d, \"Addr\": %ld, \"Bytes\": %ld}}",
		first ? "" : ",\n", ts, pid, dev, addr, bytes);
}

/* n distinct processes, one alloc and one free each. */
static void gen_kineto_pids(const char *path, long n)
{
	FILE *f = xopen(path);
	fputs("{\"traceEvents\": [\n", f);
	for (long p = 0; p < n; p++) {
		kineto_event(f, p == 0, 10 + p, p, 0, 4096, 512);
		kineto_event(f, 0, 11 + p, p, 0, 4096, -512);
	}
	fputs("]}\n", f);
	fclose(f);
}

/* 4096 devices (deviceProperties and events), n events per device. */
static void gen_kineto_devices(const char *path, long n)
{
	FILE *f = xopen(path);
	int nd = n > 1 ? STORE_MAX_DEVICES : 1;
	fputs("{\"deviceProperties\": [", f);
	for (int d = 0; d < nd; d++)
		fprintf(f, "%s{\"id\": %d, \"name\": \"GPU %d\", \"totalGlobalMem\": 25769803776}",
			d ? ", " : "", d, d);
	fputs("], \"traceEvents\": [\n", f);
	long k = 0;
	for (long i = 0; i < n; i++)
		for (int d = 0; d < nd; d++, k++)
			kineto_event(f, k == 0, 10 + k, 1, d, 4096 + 512 * i, i & 1 ? -512 : 512);
	fputs("]}\n", f);
	fclose(f);
}

/* About 1 MB of gzip that inflates to n MiB: whitespace between events. */
static void gen_kineto_gz_bomb(const char *path, long n)
{
	FILE *f = xopen(path);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_RLE);
	static unsigned char in[1 << 20], out[1 << 16];
	const char *head = "{\"traceEvents\": [{\"name\": \"[memory]\", \"ts\": 1, \"args\": "
			   "{\"Device Type\": 1, \"Device Id\": 0, \"Addr\": 4096, \"Bytes\": 512}},";
	const char *tail = "{\"name\": \"[memory]\", \"ts\": 2, \"args\": {\"Device Type\": 1, "
			   "\"Device Id\": 0, \"Addr\": 4096, \"Bytes\": -512}}]}";
	for (long i = -1; i <= n; i++) {
		size_t len;
		if (i < 0 || i == n) {
			len = strlen(i < 0 ? head : tail);
			memcpy(in, i < 0 ? head : tail, len);
		} else {
			memset(in, ' ', sizeof(in));
			len = sizeof(in);
		}
		zs.next_in = in;
		zs.avail_in = (uInt)len;
		int flush = i == n ? Z_FINISH : Z_NO_FLUSH;
		do {
			zs.next_out = out;
			zs.avail_out = sizeof(out);
			deflate(&zs, flush);
			fwrite(out, 1, sizeof(out) - zs.avail_out, f);
		} while (zs.avail_out == 0);
	}
	deflateEnd(&zs);
	fclose(f);
}

static void sql(sqlite3 *db, const char *s)
{
	char *err = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", s, err);
		exit(1);
	}
}

/* n rows of CUDA_GPU_MEMORY_USAGE_EVENTS over 4096 devices and up to
 * 65536 processes. */
static void gen_nsys_rows(const char *path, long n)
{
	sqlite3 *db;
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		exit(1);
	sql(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
		"CREATE TABLE META_DATA_EXPORT (name TEXT NOT NULL, value TEXT);"
		"INSERT INTO META_DATA_EXPORT VALUES ('EXPORT_SCHEMA_VERSION', '3.24.0');"
		"CREATE TABLE TARGET_INFO_GPU (vmId INTEGER, id INTEGER, name TEXT, totalMemory INTEGER,"
		" uuid TEXT);"
		"CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INTEGER NOT NULL, globalPid INTEGER"
		" NOT NULL, deviceId INTEGER NOT NULL, address INTEGER NOT NULL, bytes INTEGER NOT NULL,"
		" memKind INTEGER NOT NULL, memoryOperationType INTEGER NOT NULL);");
	int nd = n > 1 ? STORE_MAX_DEVICES : 1;
	long np = n > 1 ? STORE_MAX_PROCESSES : 1;
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "INSERT INTO TARGET_INFO_GPU VALUES (0, ?, 'GPU', 25769803776, ?)",
			   -1, &s, NULL);
	for (int d = 0; d < nd; d++) {
		char uuid[32];
		snprintf(uuid, sizeof(uuid), "GPU-%d", d);
		sqlite3_bind_int(s, 1, d);
		sqlite3_bind_text(s, 2, uuid, -1, SQLITE_TRANSIENT);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db, "INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS VALUES (?,?,?,?,512,2,?)",
			   -1, &s, NULL);
	for (long i = 0; i < n; i++) {
		long pair = i / 2;
		sqlite3_bind_int64(s, 1, i);
		sqlite3_bind_int64(s, 2, (1ll << 56) | ((pair % np) << 24));
		sqlite3_bind_int(s, 3, (int)(pair % nd));
		sqlite3_bind_int64(s, 4, 4096 + 512 * pair);
		sqlite3_bind_int(s, 5, (int)(i & 1));
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	sql(db, "COMMIT");
	sqlite3_close(db);
}

/* A snapshot with 4096 device lists, n alloc/free pairs spread over
 * them, and one segment with a block on each device. */
static void gen_torch_devices(const char *path, long n)
{
	struct pw w = { 0 };
	int nd = n > 1 ? STORE_MAX_DEVICES : 1;
	pw_proto(&w, 4);
	pw_dict(&w);
	pw_str(&w, "segments");
	pw_list(&w);
	for (int d = 0; d < nd; d++) {
		pw_dict(&w);
		pw_kv_int(&w, "device", d);
		pw_kv_int(&w, "address", 1ll << 40);
		pw_kv_int(&w, "total_size", 2 << 20);
		pw_kv_int(&w, "stream", 0);
		pw_kv_str(&w, "segment_type", "large");
		pw_str(&w, "blocks");
		pw_list(&w);
		pw_dict(&w);
		pw_kv_int(&w, "address", 1ll << 40);
		pw_kv_int(&w, "size", 2 << 20);
		pw_kv_int(&w, "requested_size", 2 << 20);
		pw_kv_str(&w, "state", "active_allocated");
		pw_str(&w, "frames");
		pw_list(&w);
		pw_list_end(&w);
		pw_dict_end(&w);
		pw_list_end(&w);
		pw_dict_end(&w);
	}
	pw_list_end(&w);
	pw_str(&w, "device_traces");
	pw_list(&w);
	for (int d = 0; d < nd; d++) {
		pw_list(&w);
		for (long i = d; i < n; i += nd)
			for (int k = 0; k < 2; k++) {
				pw_dict(&w);
				pw_kv_str(&w, "action", k ? "free_completed" : "alloc");
				pw_kv_int(&w, "addr", (1ll << 41) + 512 * i);
				pw_kv_int(&w, "size", 512);
				pw_kv_int(&w, "stream", 0);
				pw_kv_int(&w, "time_us", 1000 + 2 * i + k);
				pw_dict_end(&w);
			}
		pw_list_end(&w);
	}
	pw_list_end(&w);
	pw_dict_end(&w);
	pw_stop(&w);
	FILE *f = xopen(path);
	fwrite(w.b, 1, w.n, f);
	fclose(f);
	free(w.b);
}

/* An export whose memory table is a recursive view (refused unread). */
static void gen_nsys_view(const char *path, long n)
{
	(void)n;
	sqlite3 *db;
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		exit(1);
	sql(db, "CREATE TABLE META_DATA_EXPORT(name TEXT, value TEXT);"
		"CREATE VIEW CUDA_GPU_MEMORY_USAGE_EVENTS AS WITH RECURSIVE r(start) AS (SELECT 0"
		" UNION ALL SELECT start + 1 FROM r) SELECT start, 16777216 AS globalPid,"
		" 0 AS deviceId, start AS address, 1 AS bytes, 2 AS memKind,"
		" 0 AS memoryOperationType FROM r");
	sqlite3_close(db);
}

/* A llama.cpp server log of n MiB: one load, then request lines. */
static void gen_llamalog(const char *path, long n)
{
	FILE *f = xopen(path);
	fputs("llm_load_tensors: offloading 80 repeating layers to GPU\n", f);
	for (int d = 0; d < 8; d++)
		fprintf(f, "llm_load_tensors:      CUDA%d buffer size =  4800.00 MiB\n", d);
	long lines = n * 1024 * 1024 / 100;
	for (long i = 0; i < lines; i++)
		fprintf(f, "slot update_slots: id  0 | task %ld | prompt processing progress, "
			"n_past = 512, n_tokens = 512, progress = 0.5\n", i);
	fclose(f);
}

static void put_str(FILE *f, const char *s)
{
	uint64_t n = strlen(s);
	fwrite(&n, 8, 1, f);
	fwrite(s, 1, n, f);
}

/* A GGUF (v3, little-endian) with n F32 tensors of 8 values, each on its
 * own layer: blk.I.attn_q.weight. */
static void gen_gguf(const char *path, long n)
{
	FILE *f = xopen(path);
	uint32_t u32;
	uint64_t u64;
	fwrite("GGUF", 1, 4, f);
	u32 = 3;
	fwrite(&u32, 4, 1, f);
	u64 = (uint64_t)n;
	fwrite(&u64, 8, 1, f);
	u64 = 2;
	fwrite(&u64, 8, 1, f);
	put_str(f, "general.architecture");
	u32 = 8; /* string */
	fwrite(&u32, 4, 1, f);
	put_str(f, "llama");
	put_str(f, "llama.block_count");
	u32 = 4; /* uint32 */
	fwrite(&u32, 4, 1, f);
	u32 = (uint32_t)n;
	fwrite(&u32, 4, 1, f);
	for (long i = 0; i < n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "blk.%ld.attn_q.weight", i);
		put_str(f, name);
		u32 = 1;
		fwrite(&u32, 4, 1, f);
		u64 = 8;
		fwrite(&u64, 8, 1, f);
		u32 = 0; /* F32 */
		fwrite(&u32, 4, 1, f);
		u64 = (uint64_t)i * 32;
		fwrite(&u64, 8, 1, f);
	}
	long at = ftell(f);
	for (; at % 32; at++)
		fputc(0, f);
	static const char zero[32];
	for (long i = 0; i < n; i++)
		fwrite(zero, 1, 32, f);
	fclose(f);
}

/* ---- cases ---- */

struct bcase {
	const char *name;       /* "kineto-pids" */
	const char *file;       /* input name (its extension picks the format) */
	const char *shape;      /* what is worst about it */
	void (*gen)(const char *path, long n);
	long n;
	int status;             /* expected exit status */
	const char *says;       /* expected in stderr (status 2) or NULL */
	int asserted;           /* checked by --check */
};

static const struct bcase cases[] = {
	{ "kineto-pids", "pids.json", "65536 processes (the limit), 2 events each",
	  gen_kineto_pids, STORE_MAX_PROCESSES, 0, NULL, 1 },
	{ "kineto-pids-over", "pids-over.json", "200000 processes, 2 events each",
	  gen_kineto_pids, 200000, 2, "more than 65536 processes in one trace", 1 },
	{ "kineto-devices", "devices.json", "4096 devices, 64 events each",
	  gen_kineto_devices, 64, 0, NULL, 1 },
	{ "kineto-gzip-bomb", "bomb.json.gz", "1 MB of gzip inflating to 1 GiB",
	  gen_kineto_gz_bomb, 1024, 0, NULL, 1 },
	{ "nsys-rows", "rows.sqlite", "500000 rows, 65536 processes, 4096 devices",
	  gen_nsys_rows, 500000, 0, NULL, 1 },
	{ "nsys-view", "view.sqlite", "the memory table a recursive view",
	  gen_nsys_view, 1, 2, "is a view", 1 },
	{ "torch-devices", "devices.pickle", "4096 devices, 400000 ring entries",
	  gen_torch_devices, 200000, 0, NULL, 1 },
	{ "llamalog-16m", "big.log", "16 MiB: one load, then request lines",
	  gen_llamalog, 16, 0, NULL, 1 },
	{ "gguf-tensors", "many.gguf", "300000 tensors on distinct layers",
	  gen_gguf, 300000, 0, NULL, 1 },
};

struct figures {
	double secs;
	long peak_kb;
	int status;
	off_t size;
};

/* Import path into a fresh store in a child; fills fig; stderr kept in
 * tmp("err"). */
static void run_import(const char *vramsim, const char *path, int limit_as,
		       struct figures *fig)
{
	struct stat sb;
	fig->size = stat(path, &sb) == 0 ? sb.st_size : 0;
	char *store = util_xstrdup(tmp("s.db"));
	char *cmd_err = util_xstrdup(tmp("err"));
	unlink(store);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(cmd_err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int nul = open("/dev/null", O_WRONLY);
		if (fd < 0 || nul < 0)
			_exit(126);
		dup2(nul, 1);
		dup2(fd, 2);
		if (limit_as) {
			struct rlimit rl = { 4ull << 30, 4ull << 30 };
			setrlimit(RLIMIT_AS, &rl);
		}
		execl(vramsim, vramsim, "import", "-q", "--store", store, path, (char *)NULL);
		_exit(127);
	}
	int wst = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	while (wait4(pid, &wst, 0, &ru) < 0 && errno == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fig->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fig->peak_kb = ru.ru_maxrss;
	fig->status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	unlink(store);
	char *side = util_xasprintf("%s-wal", store);
	unlink(side);
	free(side);
	side = util_xasprintf("%s-shm", store);
	unlink(side);
	free(side);
	free(store);
	free(cmd_err);
}

static int err_has(const char *text)
{
	FILE *f = fopen(tmp("err"), "r");
	if (!f)
		return 0;
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

static void show_err(void)
{
	FILE *f = fopen(tmp("err"), "r");
	char buf[1024];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	fprintf(stderr, "    stderr: %s", buf);
}

static void cleanup(void)
{
	char *cmd = util_xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_budget: could not remove %s\n", tmpdir);
	free(cmd);
}

int main(int argc, char **argv)
{
	int check = argc > 1 && strcmp(argv[1], "--check") == 0;
	const char *vramsim = argc > 1 + check ? argv[1 + check] : getenv("VRAMSIM");
	if (!vramsim)
		vramsim = "./vramsim";
	if (access(vramsim, X_OK) != 0) {
		fprintf(stderr, "bench_budget: %s: not an executable vramsim\n", vramsim);
		return 1;
	}
	const char *san = getenv("SANITIZE");
	int sanitized = san && *san;
	const char *only = getenv("BUDGET_CASES"); /* a subset, for debugging */
	long max_kb = (long)BUDGET_MB * 1024 * (sanitized ? 4 : 1);
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/vramsim-budget-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(cleanup);
	int failed = 0;
	if (!check)
		printf("%-17s %-46s %9s %8s %9s %9s %9s  %s\n", "case", "worst-case shape", "input",
		       "time s", "floor s", "peak MiB", "floor MiB", "exit");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *c = &cases[i];
		if (only && !strstr(only, c->name))
			continue;
		if (check && !c->asserted)
			continue;
		char *path = util_xstrdup(tmp(c->file));
		struct figures fig, floor;
		c->gen(path, 1);
		run_import(vramsim, path, !sanitized, &floor);
		c->gen(path, c->n);
		run_import(vramsim, path, !sanitized, &fig);
		const char *why = NULL;
		if (fig.status != c->status)
			why = "unexpected exit status";
		else if (c->says && !err_has(c->says))
			why = "stderr lacks the expected message";
		else if (fig.secs > BUDGET_S)
			why = "over the time budget";
		else if (fig.peak_kb > max_kb)
			why = "over the memory budget";
		if (check) {
			printf("budget: %-17s %6.2f s, %6.1f MiB, exit %d%s%s\n", c->name, fig.secs,
			       fig.peak_kb / 1024.0, fig.status, why ? ": " : "", why ? why : "");
			if (why) {
				failed = 1;
				fprintf(stderr, "budget: %s (%s): %s (expected exit %d%s%s, at most %d s "
					"and %ld MiB)\n", c->name, c->shape, why, c->status,
					c->says ? " saying " : "", c->says ? c->says : "", BUDGET_S,
					max_kb / 1024);
				show_err();
			}
		} else {
			char size[32];
			snprintf(size, sizeof(size), "%.1f MB", (double)fig.size / 1e6);
			printf("%-17s %-46s %9s %8.2f %9.2f %9.1f %9.1f  %d%s%s\n", c->name, c->shape,
			       size, fig.secs, floor.secs, fig.peak_kb / 1024.0,
			       floor.peak_kb / 1024.0, fig.status, why ? " " : "", why ? why : "");
		}
		unlink(path);
		free(path);
	}
	if (!check)
		printf("(floor: the same format's one-event input in the same run; bounds: %d MiB, "
		       "%d s)\n", BUDGET_MB, BUDGET_S);
	return failed;
}
