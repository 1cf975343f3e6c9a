/*
 * bench_import_torch.c - throughput and memory of the PyTorch snapshot and
 * Kineto importers: `make bench-import` (run from the repository root).
 *
 * For each fixture (and a synthetic 40 MB snapshot): MB/s of the whole
 * import into a fresh store (parse, reconcile, SQLite rows, the archived
 * copy), counted in input bytes (for .json.gz: the inflated JSON), and
 * the extra peak RSS of a process doing one import over one that does
 * everything but the import (same store, same file mapped and read).
 * Targets (issue): >= 50 MB/s, and for snapshots at most 2x the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "imp.h"
#include "pickle.h"
#include "pkl_write.h"
#include "store.h"
#include "util.h"

static const char *tmpdir(void)
{
	static char dir[] = "/tmp/vramsim-bench-XXXXXX";
	static int made;
	if (!made && mkdtemp(dir))
		made = 1;
	return dir;
}

/* Bytes of JSON text in a .gz file (its inflated size), else the size. */
static size_t text_size(const char *path)
{
	char *buf;
	size_t len, out = 0;
	if (util_read_file(path, &buf, &len, NULL))
		return 0;
	if (len > 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
		gzFile g = gzopen(path, "rb");
		char chunk[1 << 16];
		int n;
		while (g && (n = gzread(g, chunk, sizeof(chunk))) > 0)
			out += (size_t)n;
		if (g)
			gzclose(g);
	} else {
		out = len;
	}
	free(buf);
	return out;
}

/* One import into a new store; 0 or the failing code. */
static int import_once(const char *path, int really)
{
	char db[512];
	snprintf(db, sizeof(db), "%s/bench.db", tmpdir());
	unlink(db);
	struct store *st;
	char *cause = NULL;
	if (store_open(db, STORE_CREATE, &st, &cause))
		return fprintf(stderr, "bench: %s\n", cause), free(cause), 1;
	int rc = 0;
	if (really) {
		struct imp_opts o = { .quiet = 1 };
		struct imp_ctx res;
		rc = imp_file(st, path, &o, &res, &cause);
		if (rc)
			fprintf(stderr, "bench: %s\n", cause);
		else
			free(res.summary);
	} else {
		/* the baseline: the file read once, a transaction begun and dropped */
		char *buf;
		size_t len;
		rc = util_read_file(path, &buf, &len, &cause);
		if (rc == 0)
			free(buf);
		store_begin(st, NULL);
		store_rollback(st);
	}
	free(cause);
	store_close(st);
	return rc;
}

/* Peak RSS in KiB of a child doing one (real or baseline) import. */
static long child_rss(const char *path, int really)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(import_once(path, really) ? 1 : 0);
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return ru.ru_maxrss;
}

/* Seconds of imp_file() alone, into one store opened beforehand. */
static double time_imports(const char *path, int *runs)
{
	char db[512];
	snprintf(db, sizeof(db), "%s/bench.db", tmpdir());
	unlink(db);
	struct store *st;
	if (store_open(db, STORE_CREATE, &st, NULL))
		return -1;
	double secs = 0;
	for (*runs = 0; secs < 1.0 || *runs < 3; (*runs)++) {
		struct imp_opts o = { .quiet = 1 };
		struct imp_ctx res;
		char *cause = NULL;
		int64_t t0 = util_now_ns();
		if (imp_file(st, path, &o, &res, &cause)) {
			fprintf(stderr, "bench: %s\n", cause);
			free(cause);
			store_close(st);
			return -1;
		}
		secs += (double)(util_now_ns() - t0) / 1e9;
		free(res.summary);
	}
	store_close(st);
	return secs;
}

static void bench(const char *label, const char *path)
{
	size_t bytes = text_size(path);
	int runs;
	double secs = time_imports(path, &runs);
	if (secs <= 0)
		return;
	printf("%-50s %7.1f MB %8.1f MB/s", label, bytes / 1e6, bytes * (double)runs / 1e6 / secs);
	long base = child_rss(path, 0), real = child_rss(path, 1);
	if (base > 0 && real > 0)
		printf("   +%6ld KiB = %.2fx", real - base, (real - base) * 1024.0 / (double)bytes);
	printf("\n");
}

/* The pickle reader alone, streaming as the importer does: each trace
 * entry, block and segment is consumed when complete and dropped. */
static int take_filled(void *arg, const struct pkl_value *d, char **cause)
{
	(void)arg;
	(void)cause;
	return pkl_get(d, "action") || pkl_get(d, "state") || pkl_get(d, "blocks")
		? PKL_TAKE : PKL_KEEP;
}

static int take_attached(void *arg, const struct pkl_value *parent, const struct pkl_value *key,
			 uint64_t index, const struct pkl_value *item, char **cause)
{
	(void)arg; (void)parent; (void)key; (void)index; (void)cause;
	return pkl_type(item) == PKL_DICT && pkl_len(item) == 0 ? PKL_TAKE : PKL_KEEP;
}

static void bench_parse(const char *label, const char *path)
{
	char *buf;
	size_t len, peak = 0;
	if (util_read_file(path, &buf, &len, NULL))
		return;
	struct pkl_opts o = { .attach = take_attached, .filled = take_filled };
	double secs = 0;
	int runs = 0;
	for (; secs < 1.0 || runs < 3; runs++) {
		struct pkl_doc *d;
		int64_t t0 = util_now_ns();
		if (pkl_parse(buf, len, &o, &d, NULL))
			break;
		secs += (double)(util_now_ns() - t0) / 1e9;
		peak = pkl_peak_bytes(d);
		pkl_free(d);
	}
	printf("%-50s %7.1f MB %8.1f MB/s   parser peak %zu KiB = %.2fx\n", label, len / 1e6,
	       len * (double)runs / 1e6 / secs, peak / 1024, (double)peak / (double)len);
	free(buf);
}

/* A snapshot of about mb MB: a few segments, then a ring of alloc/free
 * pairs whose frames lists are shared through the memo, as real ones are,
 * appended in batches of 1000 as Python's pickler does. */
static void synth_snapshot(const char *path, size_t mb)
{
	struct pw w = { 0 };
	pw_proto(&w, 4);
	pw_dict(&w);
	pw_str(&w, "segments");
	pw_list(&w);
	for (int s = 0; s < 64; s++) {
		int64_t base = 0x7f0000000000ll + ((int64_t)s << 26);
		pw_dict(&w);
		pw_kv_int(&w, "device", 0);
		pw_kv_int(&w, "address", base);
		pw_kv_int(&w, "total_size", 1ll << 26);
		pw_kv_int(&w, "stream", 0);
		pw_kv_str(&w, "segment_type", "large");
		pw_str(&w, "blocks");
		pw_list(&w);
		pw_dict(&w);
		pw_kv_int(&w, "address", base);
		pw_kv_int(&w, "size", 1ll << 26);
		pw_kv_str(&w, "state", "inactive");
		pw_dict_end(&w);
		pw_list_end(&w);
		pw_dict_end(&w);
	}
	pw_list_end(&w);
	pw_str(&w, "device_traces");
	pw_list(&w);
	pw_list(&w);
	unsigned frames[16];
	int64_t t = 1776479641000000ll;
	int batch = 0;
	for (size_t i = 0; w.n < mb * 1000000; i++) {
		for (int a = 0; a < 2; a++) {
			pw_dict(&w);
			pw_kv_str(&w, "action", a ? "free_completed" : "alloc");
			pw_kv_int(&w, "addr", 0x7f0000000000ll + (int64_t)(i % 4096) * 4096);
			pw_kv_int(&w, "size", 4096 + (int64_t)(i % 7) * 512);
			pw_kv_int(&w, "stream", 0);
			pw_kv_int(&w, "time_us", t++);
			pw_str(&w, "frames");
			if (i < 16 && a == 0) {
				char file[64];
				frames[i] = pw_list(&w);
				snprintf(file, sizeof(file), "/home/user/project/model_%zu.py", i);
				pw_frame(&w, file, 10, "forward");
				pw_frame(&w, "/home/user/project/train.py", 99, "<module>");
				pw_list_end(&w);
			} else {
				pw_get(&w, frames[i % 16]);
			}
			pw_dict_end(&w);
			if (++batch == 1000) { /* Python appends in batches of 1000 */
				pw_list_end(&w);
				pw_op(&w, '(');
				batch = 0;
			}
		}
	}
	pw_list_end(&w); /* the device's list */
	pw_list_end(&w); /* device_traces */
	pw_dict_end(&w);
	pw_stop(&w);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(w.b, 1, w.n, f);
		fclose(f);
	}
	free(w.b);
}

int main(void)
{
	static const char *fixtures[][2] = {
		{ "torch snapshot, 2026 (495 KB)", "tests/data/traces/torch_snapshot_modern_cs336_win.pickle" },
		{ "torch snapshot, 2.0-era (110 KB)", "tests/data/traces/torch_snapshot_v20_block_history_flexgen.pickle" },
		{ "kineto JSON, V100 2022 (gz)", "tests/data/traces/kineto_trace_v100_rank1_profile_memory_hta.json.gz" },
		{ "kineto JSON, ResNet-50 2021 (gz)", "tests/data/traces/kineto_trace_resnet50_2021_tbplugin.pt.trace.json.gz" },
	};
	printf("%-50s %10s %13s   %s\n", "input (JSON: inflated size)", "size", "import",
	       "peak RSS over baseline, x input");
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(fixtures); i++)
		bench(fixtures[i][0], fixtures[i][1]);
	char path[512];
	snprintf(path, sizeof(path), "%s/synthetic.pickle", tmpdir());
	synth_snapshot(path, 40);
	bench("torch snapshot, synthetic ring (40 MB)", path);
	printf("\npickle reader alone (no store):\n");
	for (size_t i = 0; i < 2; i++)
		bench_parse(fixtures[i][0], fixtures[i][1]);
	bench_parse("torch snapshot, synthetic ring (40 MB)", path);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench.db", tmpdir());
	unlink(path);
	rmdir(tmpdir());
	return 0;
}
