/*
 * prog_threads.c - N threads x M allocations: each thread makes its
 * device's primary context current (threads alternate between devices 0
 * and 1) and allocates and frees M times, sizes unique per thread. Checks
 * that per-thread buffers lose, duplicate and reorder nothing.
 *
 * Usage: prog_threads N M
 */
#include <pthread.h>

#include "expect.h"
#include "fakecuda.h"

static int m_count;
static CUcontext prim[2];

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg, dev = t % 2;
	CHECK(cuCtxSetCurrent(prim[dev]) == CUDA_SUCCESS);
	for (int i = 0; i < m_count; i++) {
		size_t n = (size_t)(t + 1) * 4096 + (size_t)i;
		CUdeviceptr d;
		CHECK(cuMemAlloc_v2(&d, n) == CUDA_SUCCESS);
		ex_alloc(dev, n, n, d, "cuMemAlloc_v2");
		CHECK(cuMemFree_v2(d) == CUDA_SUCCESS);
		ex_free(dev, n, d, "cuMemFree_v2");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	m_count = argc > 2 ? atoi(argv[2]) : 100;
	CHECK(n > 0 && n <= 64 && m_count >= 0);
	CHECK(cuInit(0) == CUDA_SUCCESS);
	for (int d = 0; d < 2; d++) {
		CHECK(cuDevicePrimaryCtxRetain(&prim[d], d) == CUDA_SUCCESS);
		ex_marker(d, (uintptr_t)prim[d], "cuDevicePrimaryCtxRetain", "primary context retain");
		ex_snap(d, fakecuda_used(d), d ? 2048ull << 20 : 1024ull << 20, "context create");
	}
	pthread_t th[64];
	for (int t = 0; t < n; t++)
		CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
	for (int t = 0; t < n; t++)
		pthread_join(th[t], NULL);
	CHECK(fakecuda_calls("cuMemAlloc_v2") == n * m_count);
	for (int d = 0; d < 2; d++)
		ex_exit_snap(d, fakecuda_used(d), d ? 2048ull << 20 : 1024ull << 20);
	return 0;
}
