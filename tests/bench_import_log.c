/*
 * bench_import_log.c - throughput and peak memory of the llama.cpp /
 * Ollama log importer on generated logs (`make bench`, from the
 * repository root). Each figure is printed beside its floor, measured in
 * the same run: the time to find the lines of the same file (memchr over
 * the mapped bytes), and the peak RSS of a process that maps and reads
 * the file and opens the store without importing.
 *
 * Shapes: a realistic log (one load's lines repeated, with prose between
 * them) and the worst case of issue 16 (runner-start lines that each
 * opened a load: 32 MB took 956 MB of RSS before the fix).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imp.h"
#include "store.h"
#include "util.h"

static char dir[] = "/tmp/vramsim-bench-log-XXXXXX";

static void gen(const char *path, const char *const *lines, size_t n_lines, size_t bytes)
{
	FILE *f = fopen(path, "w");
	size_t w = 0;
	for (size_t i = 0; f && w < bytes; i++) {
		const char *l = lines[i % n_lines];
		fputs(l, f);
		w += strlen(l);
	}
	if (f)
		fclose(f);
}

/* One import (really) or the baseline (map, read, open the store). */
static int once(const char *path, int really)
{
	char db[600];
	snprintf(db, sizeof(db), "%s/b.db", dir);
	unlink(db);
	struct store *st;
	if (store_open(db, STORE_CREATE, &st, NULL))
		return 1;
	int rc = 0;
	if (really) {
		struct imp_opts o = { .quiet = 1 };
		struct imp_ctx res;
		char *cause = NULL;
		rc = imp_file(st, path, &o, &res, &cause);
		if (rc)
			fprintf(stderr, "bench: %s\n", cause);
		else
			free(res.summary);
		free(cause);
	} else {
		int fd = open(path, O_RDONLY);
		struct stat sb;
		if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 0) {
			unsigned char *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			volatile unsigned sum = 0;
			for (off_t i = 0; m != MAP_FAILED && i < sb.st_size; i += 4096)
				sum += m[i];
			if (m != MAP_FAILED)
				munmap(m, (size_t)sb.st_size);
		}
		if (fd >= 0)
			close(fd);
	}
	store_close(st);
	return rc;
}

static long child_rss(const char *path, int really)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(once(path, really) ? 1 : 0);
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return ru.ru_maxrss;
}

/* Seconds to find every line of the file: the floor of any line reader. */
static double scan_secs(const char *path)
{
	char *buf;
	size_t len, n = 0;
	if (util_read_file(path, &buf, &len, NULL))
		return -1;
	int64_t t0 = util_now_ns();
	for (const char *p = buf, *e = buf + len; p < e; n++) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		p = nl ? nl + 1 : e;
	}
	double s = (double)(util_now_ns() - t0) / 1e9;
	free(buf);
	return n ? s : -1;
}

static void bench(const char *label, const char *path)
{
	struct stat sb;
	if (stat(path, &sb))
		return;
	double mb = (double)sb.st_size / 1e6;
	int64_t t0 = util_now_ns();
	if (once(path, 1))
		return;
	double secs = (double)(util_now_ns() - t0) / 1e9;
	double floor_s = scan_secs(path);
	long base = child_rss(path, 0), real = child_rss(path, 1);
	printf("%-44s %6.1f MB %7.1f MB/s (line scan floor %7.1f MB/s)   peak RSS %6ld KiB "
	       "(floor: mapped and read %6ld KiB)\n",
	       label, mb, mb / secs, floor_s > 0 ? mb / floor_s : 0.0, real, base);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char path[600];
	static const char *const real_load[] = {
		"llama_model_loader: loaded meta data with 30 key-value pairs\n",
		"print_info: n_layer          = 80\n",
		"load_tensors: offloading 80 repeating layers to GPU\n",
		"load_tensors:        CUDA0 model buffer size = 19000.00 MiB\n",
		"load_tensors:        CUDA1 model buffer size = 19000.00 MiB\n",
		"llama_kv_cache_unified:      CUDA0 KV buffer size =  1280.00 MiB\n",
		"llama_context:      CUDA0 compute buffer size =   300.00 MiB\n",
		"srv  log_server_r: request: POST /completion 127.0.0.1 200 and some prose\n",
		"slot update_slots: id  0 | task 12 | prompt processing progress, n_past = 512\n",
		"slot update_slots: id  0 | task 12 | prompt processing progress, n_past = 1024\n",
	};
	/* 64 loads' worth of lines, then prose: the load limit is not hit */
	snprintf(path, sizeof(path), "%s/prose.log", dir);
	{
		FILE *f = fopen(path, "w");
		for (size_t i = 0; f && i < 64; i++)
			for (size_t k = 0; k < 7; k++)
				fputs(real_load[k], f);
		for (size_t w = 0; f && w < 64u * 1000 * 1000; w += strlen(real_load[8]))
			fputs(real_load[8], f);
		if (f)
			fclose(f);
	}
	bench("64 loads, then 64 MB of server prose", path);
	static const char *const starts[] = {
		"time=2025-01-01T00:00:00Z level=INFO source=server.go:1 msg=\"starting llama server\"\n",
	};
	snprintf(path, sizeof(path), "%s/starts.log", dir);
	gen(path, starts, 1, 64u * 1000 * 1000);
	FILE *f = fopen(path, "a");
	if (f) {
		fputs(real_load[3], f);
		fclose(f);
	}
	bench("64 MB of Ollama runner-start lines", path);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}
