/*
 * bench_gguf.c - the GGUF header reader on worst-case shapes (issue 16):
 * every tensor on its own layer, 300 k and 2^20 - 1 tensors (the most
 * layers a header may have).
 *
 * Each figure is printed beside a floor measured in the same run: the
 * time to sort the same number of (layer, group) records, which any
 * grouping must at least do, so the ratio shows O(n log n) or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_file.h"
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

int main(void)
{
	return one(300000) || one((1u << 20) - 1);
}
