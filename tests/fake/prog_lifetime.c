/*
 * prog_lifetime.c - memory that dies without a free call, for the replay
 * checks of tests/test_shim.c (issue 14): each mode prints the most
 * device memory the fake driver had in use beyond the contexts ("peak N",
 * bytes), which a replay of the trace must reproduce.
 *
 *   swap   an Ollama model swap: a child takes 600 MiB and is killed with
 *          SIGKILL, then another child takes 600 MiB and exits without
 *          freeing (device 0: 1 GiB)
 *   vmm    a VMM pool as ggml keeps one: 4 x 64 MiB mapped side by side,
 *          released with ONE cuMemUnmap, then a 512 MiB allocation
 *   pool   a stream-ordered pool keeps 300 MiB reserved after the free
 *          (trimmed to keep it all), then a 400 MiB allocation
 *   ctx    a context destroyed while holding 300 MiB, then 600 MiB in a
 *          new context
 *   graph  300 MiB allocated while the stream is captured into a graph
 *          (no memory until launched), then 800 MiB; the pool found by
 *          CUDA 13's cuMemGetMemPool, its release threshold set
 *
 * Usage: prog_lifetime swap|vmm|pool|ctx|graph
 */
#include <signal.h>
#include <sys/wait.h>

#include "expect.h"
#include "fakecuda.h"

#define MiB (1024ull * 1024)

static long long base_used;

static CUcontext start(void)
{
	CHECK(cuInit(0) == CUDA_SUCCESS);
	CUcontext c;
	CHECK(cuDevicePrimaryCtxRetain(&c, 0) == CUDA_SUCCESS);
	CHECK(cuCtxSetCurrent(c) == CUDA_SUCCESS);
	base_used = fakecuda_used(0);
	return c;
}

static long long beyond(void)
{
	return fakecuda_used(0) - base_used;
}

static void hold(int n, size_t each)
{
	for (int i = 0; i < n; i++) {
		CUdeviceptr p;
		CHECK(cuMemAlloc_v2(&p, each) == CUDA_SUCCESS);
	}
}

static int swap_child(int die)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		start();
		hold(6, 100 * MiB);
		if (die)
			raise(SIGKILL);
		exit(0); /* holding: the driver frees it all at exit */
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	return st;
}

int main(int argc, char **argv)
{
	CHECK(argc == 2);
	long long peak = 0;
	if (strcmp(argv[1], "swap") == 0) {
		CHECK(WIFSIGNALED(swap_child(1)));
		CHECK(WIFEXITED(swap_child(0)));
		peak = 600 * MiB; /* each child's, one after the other */
	} else if (strcmp(argv[1], "vmm") == 0) {
		start();
		CUdeviceptr va;
		CHECK(cuMemAddressReserve(&va, 256 * MiB, 0, 0, 0) == CUDA_SUCCESS);
		CUmemAllocationProp prop;
		memset(&prop, 0, sizeof(prop));
		prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
		prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
		prop.location.id = 0;
		CUmemGenericAllocationHandle h[4];
		for (int i = 0; i < 4; i++) {
			CHECK(cuMemCreate(&h[i], 64 * MiB, &prop, 0) == CUDA_SUCCESS);
			CHECK(cuMemMap(va + (CUdeviceptr)i * 64 * MiB, 64 * MiB, 0, h[i], 0) ==
			      CUDA_SUCCESS);
		}
		peak = beyond();
		CHECK(cuMemUnmap(va, 256 * MiB) == CUDA_SUCCESS); /* one call, four mappings */
		for (int i = 0; i < 4; i++)
			CHECK(cuMemRelease(h[i]) == CUDA_SUCCESS);
		CHECK(cuMemAddressFree(va, 256 * MiB) == CUDA_SUCCESS);
		hold(1, 512 * MiB);
		if (beyond() > peak)
			peak = beyond();
	} else if (strcmp(argv[1], "pool") == 0) {
		start();
		CUmemoryPool pool;
		CHECK(cuDeviceGetDefaultMemPool(&pool, 0) == CUDA_SUCCESS);
		CUdeviceptr p;
		CHECK(cuMemAllocAsync(&p, 300 * MiB, NULL) == CUDA_SUCCESS);
		CHECK(cuMemFreeAsync(p, NULL) == CUDA_SUCCESS);
		CHECK(cuMemPoolTrimTo(pool, 1024 * MiB) == CUDA_SUCCESS); /* keeps all */
		hold(1, 400 * MiB);
		peak = beyond();
	} else if (strcmp(argv[1], "ctx") == 0) {
		CHECK(cuInit(0) == CUDA_SUCCESS);
		CUcontext c;
		CHECK(cuCtxCreate_v2(&c, 0, 0) == CUDA_SUCCESS);
		hold(3, 100 * MiB);
		CHECK(cuCtxDestroy_v2(c) == CUDA_SUCCESS);
		CHECK(cuCtxCreate_v2(&c, 0, 0) == CUDA_SUCCESS);
		hold(6, 100 * MiB);
		peak = 600 * MiB;
	} else if (strcmp(argv[1], "graph") == 0) {
		start();
		CUmemLocation loc = { CU_MEM_LOCATION_TYPE_DEVICE, 0 };
		CUmemoryPool pool;
		CHECK(cuMemGetMemPool(&pool, &loc, CU_MEM_ALLOCATION_TYPE_PINNED) == CUDA_SUCCESS);
		uint64_t keep = 64 * MiB;
		CHECK(cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &keep) ==
		      CUDA_SUCCESS);
		CUstream s;
		CHECK(cuStreamCreate(&s, 0) == CUDA_SUCCESS);
		CHECK(cuStreamBeginCapture_v2(s, 0) == CUDA_SUCCESS);
		CUdeviceptr g;
		CHECK(cuMemAllocAsync(&g, 300 * MiB, s) == CUDA_SUCCESS);
		void *graph;
		CHECK(cuStreamEndCapture(s, &graph) == CUDA_SUCCESS);
		hold(1, 800 * MiB);
		peak = beyond();
	} else {
		CHECK(!"unknown mode");
	}
	printf("peak %lld\n", peak);
	return 0;
}
