/*
 * prog_chain.c - linked with -lcuda, run with another interposer
 * (libchain.so) preloaded before or after the shim: every allocation must
 * be counted once by the interposer, reach the driver once and be
 * recorded once.
 *
 * Usage: prog_chain N
 */
#include <dlfcn.h>

#include "expect.h"
#include "fakecuda.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	int (*count)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "chain_count");
	CHECK(count != NULL);
	CHECK(cuInit(0) == CUDA_SUCCESS);
	CUcontext c;
	CHECK(cuCtxCreate_v2(&c, 0, 0) == CUDA_SUCCESS);
	ex_marker(0, (uintptr_t)c, "cuCtxCreate_v2", "context create");
	ex_snap(0, fakecuda_used(0), 1024ull << 20, "context create");
	for (int i = 0; i < n; i++) {
		CUdeviceptr d;
		CHECK(cuMemAlloc_v2(&d, 100 + (size_t)i) == CUDA_SUCCESS);
		ex_alloc(0, 100 + (unsigned)i, 100 + (unsigned)i, d, "cuMemAlloc_v2");
		CHECK(cuMemFree_v2(d) == CUDA_SUCCESS);
		ex_free(0, 100 + (unsigned)i, d, "cuMemFree_v2");
	}
	CHECK(count("alloc") == n && count("free") == n);
	CHECK(fakecuda_calls("cuMemAlloc_v2") == n && fakecuda_calls("cuMemFree_v2") == n);
	ex_snap(0, fakecuda_used(0), 1024ull << 20, "context destroy");
	CHECK(cuCtxDestroy_v2(c) == CUDA_SUCCESS);
	ex_marker(0, (uintptr_t)c, "cuCtxDestroy_v2", "context destroy");
	return 0;
}
