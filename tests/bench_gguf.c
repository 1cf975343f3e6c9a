/*
 * bench_gguf.c - the GGUF header reader on worst-case shapes (issue 16):
 * every tensor on its own layer, 300 k and 2^20 - 1 tensors (the most
 * layers a header may have); and a model from hyper-parameters: a 70B
 * Q4_K_M header synthesised, written as a sparse file and checked
 * (msrc_open), beside the floor of writing the same bytes to a file.
 *
 * Each figure is printed beside a floor measured in the same run: the
 * time to sort the same number of (layer, group) records, which any
 * grouping must at least do, so the ratio shows O(n log n) or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "gguf_file.h"
#include "gguf_split.h"
#include "model_src.h"
#include "util.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static double floor_sort(size_t n)
{
	uint64_t *v = util_xmalloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)(n - i) * 5;
	int64_t t0 = util_now_ns();
	qsort(v, n, sizeof(*v), cmp_u64);
	double s = (double)(util_now_ns() - t0) / 1e9;
	free(v);
	return s;
}

static int one(size_t n)
{
	struct gguf_file_writer *w = gguf_file_writer_new();
	gguf_file_put_str(w, "general.architecture", "llama");
	uint64_t ne[1] = { 0 };
	char name[40];
	for (size_t i = n; i-- > 0;) {
		snprintf(name, sizeof(name), "blk.%zu.attn_q.weight", i);
		if (gguf_file_put_tensor(w, name, 1, ne, 0, NULL))
			return 1;
	}
	unsigned char *buf;
	size_t len;
	uint64_t size;
	gguf_file_writer_finish(w, &buf, &len, &size);
	gguf_file_writer_free(w);
	struct profile p;
	char *cause = NULL;
	int64_t t0 = util_now_ns();
	int rc = gguf_file_read_profile(buf, len, "bench.gguf", &p, NULL, &cause);
	double s = (double)(util_now_ns() - t0) / 1e9;
	if (rc) {
		fprintf(stderr, "bench_gguf: %s\n", cause);
		free(cause);
		free(buf);
		return 1;
	}
	printf("gguf header, %7zu tensors on distinct layers (%5.1f MB): %7.3f s"
	       "   floor (sort of %zu records) %.3f s\n", n, len / 1e6, s, n, floor_sort(n));
	profile_clear(&p);
	free(buf);
	return 0;
}

static int synth(void)
{
	const char *spec = "layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,ff=28672,"
			   "ftype=Q4_K_M";
	struct msrc m;
	char *cause = NULL;
	int64_t t0 = util_now_ns();
	if (msrc_open(NULL, spec, NULL, &m, &cause)) {
		fprintf(stderr, "bench_gguf: %s\n", cause);
		free(cause);
		return 1;
	}
	double s = (double)(util_now_ns() - t0) / 1e9;
	struct gguf_split set;
	if (gguf_split_open(m.gguf, &set, NULL))
		return 1;
	const unsigned char *buf = set.parts[0].data;
	size_t len = set.parts[0].len, hdr = (size_t)set.parts[0].info.data_offset;
	char *path = util_xasprintf("%s.copy", m.gguf);
	t0 = util_now_ns();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok = fd >= 0 && write(fd, buf, hdr) == (ssize_t)hdr && ftruncate(fd, (off_t)len) == 0;
	if (fd >= 0)
		close(fd);
	double f = (double)(util_now_ns() - t0) / 1e9;
	unlink(path);
	free(path);
	gguf_split_close(&set);
	printf("--model 70B Q4_K_M: synthesise, write sparse (%.1f MB header, %.1f GB logical), "
	       "check: %.3f s   floor (write the header) %.3f s\n", hdr / 1e6, len / 1e9, s, f);
	msrc_close(&m);
	return !ok;
}

int main(void)
{
	return one(300000) || one((1u << 20) - 1) || synth();
}
