/*
 * prog_rt.c - a program of the runtime API, linked against the fake
 * libcudart.so, which reaches the driver only through dlopen and
 * cuGetProcAddress: the shim must see every allocation through the
 * wrappers it handed out. VMM functions come from
 * cudaGetDriverEntryPoint, as PyTorch and NCCL get them.
 */
#include <dlfcn.h>

#include "expect.h"
#include "fakecuda.h"

int cudaSetDevice(int dev);
int cudaMalloc(void **p, size_t n);
int cudaFree(void *p);
int cudaMallocPitch(void **p, size_t *pitch, size_t w, size_t h);
int cudaMallocManaged(void **p, size_t n, unsigned int flags);
int cudaMallocHost(void **p, size_t n);
int cudaFreeHost(void *p);
int cudaMemGetInfo(size_t *fr, size_t *total);
int cudaStreamCreate(CUstream *s);
int cudaMallocAsync(void **p, size_t n, CUstream s);
int cudaMallocAsync_ptsz(void **p, size_t n, CUstream s);
int cudaFreeAsync(void *p, CUstream s);
int cudaFreeAsync_ptsz(void *p, CUstream s);
int cudaDeviceGetDefaultMemPool(CUmemoryPool *pool, int dev);
int cudaMemPoolTrimTo(CUmemoryPool pool, size_t keep);
int cudaDeviceReset(void);
int cudaGetDriverEntryPoint(const char *symbol, void **fn, unsigned long long flags, int *status);

typedef CUresult (*create_fn)(CUmemGenericAllocationHandle *, size_t, const CUmemAllocationProp *,
			      unsigned long long);
typedef CUresult (*release_fn)(CUmemGenericAllocationHandle);
typedef CUresult (*reserve_fn)(CUdeviceptr *, size_t, size_t, CUdeviceptr, unsigned long long);
typedef CUresult (*map_fn)(CUdeviceptr, size_t, size_t, CUmemGenericAllocationHandle,
			   unsigned long long);
typedef CUresult (*unmap_fn)(CUdeviceptr, size_t);
typedef int (*pool_attr_fn)(CUmemoryPool, int, void *);

#define MiB (1ull << 20)
#define U(p) ((unsigned long long)(uintptr_t)(p))
#define TOTAL1 (2048 * MiB)

/* Test hooks and queries of the fake driver, by dlsym: the program does
 * not link libcuda itself. */
static long long (*used_of)(int);
static CUresult (*get_current)(CUcontext *);
#define fakecuda_used(d) used_of(d)

static void *entry(const char *name)
{
	void *fn = NULL;
	int st = -1;
	CHECK(cudaGetDriverEntryPoint(name, &fn, 0, &st) == 0 && fn && st == 0);
	return fn;
}

int main(void)
{
	/* The runtime retains device 1's primary context on first use. */
	CHECK(cudaSetDevice(1) == 0);
	void *drv = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	CHECK(drv != NULL);
	used_of = (long long (*)(int))dlsym(drv, "fakecuda_used");
	get_current = (CUresult (*)(CUcontext *))dlsym(drv, "cuCtxGetCurrent");
	CHECK(used_of && get_current);
	CUcontext pc;
	CHECK(get_current(&pc) == CUDA_SUCCESS && pc);
	ex_marker(1, U(pc), "cuDevicePrimaryCtxRetain", "primary context retain");
	ex_snap(1, fakecuda_used(1), TOTAL1, "context create");

	void *a, *b, *m, *h, *x, *y;
	size_t pitch;
	CHECK(cudaMalloc(&a, 10 * MiB) == 0);
	ex_alloc(1, 10 * MiB, 10 * MiB, U(a), "cuMemAlloc_v2");
	CHECK(cudaMallocPitch(&b, &pitch, 700, 3) == 0 && pitch == 1024);
	ex_alloc(1, 3072, 2100, U(b), "cuMemAllocPitch_v2");
	CHECK(cudaMallocManaged(&m, MiB, 1) == 0);
	ex("alloc", 1, MiB, MiB, U(m), 1, 0, 0, "cuMemAllocManaged", NULL);
	CHECK(cudaMallocHost(&h, 3 * MiB) == 0);
	ex_alloc(-1, 3 * MiB, 3 * MiB, U(h), "cuMemHostAlloc");

	CUstream s;
	CHECK(cudaStreamCreate(&s) == 0);
	CHECK(cudaMallocAsync(&x, 4 * MiB, s) == 0);
	ex("alloc", 1, 4 * MiB, 4 * MiB, U(x), 0, U(s), 0, "cuMemAllocAsync", NULL);
	CHECK(cudaMallocAsync_ptsz(&y, 5 * MiB, NULL) == 0);
	ex("alloc", 1, 5 * MiB, 5 * MiB, U(y), 0, 0, 0, "cuMemAllocAsync_ptsz", NULL);
	CHECK(cudaFreeAsync_ptsz(y, NULL) == 0);
	ex("free", 1, 5 * MiB, 0, U(y), 0, 0, 0, "cuMemFreeAsync_ptsz", NULL);
	CHECK(cudaFreeAsync(x, s) == 0);
	ex("free", 1, 4 * MiB, 0, U(x), 0, U(s), 0, "cuMemFreeAsync", NULL);
	CUmemoryPool pool;
	CHECK(cudaDeviceGetDefaultMemPool(&pool, 1) == 0);
	CHECK(cudaMemPoolTrimTo(pool, MiB) == 0);
	ex("trim", 1, 0, 0, U(pool), MiB, 0, 0, "cuMemPoolTrimTo", NULL);
	pool_attr_fn attr = (pool_attr_fn)entry("cuMemPoolGetAttribute");
	unsigned long long res = 0, used = 0;
	CHECK(attr(pool, CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &res) == 0 && res == MiB);
	CHECK(attr(pool, CU_MEMPOOL_ATTR_USED_MEM_CURRENT, &used) == 0 && used == 0);
	ex("marker", 1, res, 0, U(pool), used, 0, 0, "pool_stat", "pool usage: trim");

	/* VMM through cudaGetDriverEntryPoint. */
	create_fn mcreate = (create_fn)entry("cuMemCreate");
	release_fn mrelease = (release_fn)entry("cuMemRelease");
	reserve_fn mreserve = (reserve_fn)entry("cuMemAddressReserve");
	map_fn mmap_ = (map_fn)entry("cuMemMap");
	unmap_fn munmap_ = (unmap_fn)entry("cuMemUnmap");
	CUmemAllocationProp prop;
	memset(&prop, 0, sizeof(prop));
	prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = 0;
	CUdeviceptr va;
	CUmemGenericAllocationHandle hd;
	CHECK(mreserve(&va, 8 * MiB, 0, 0, 0) == 0);
	ex("reserve", 1, 8 * MiB, 8 * MiB, va, 0, 0, 0, "cuMemAddressReserve", NULL);
	CHECK(mcreate(&hd, 4 * MiB, &prop, 0) == 0);
	ex("create", 0, 4 * MiB, 4 * MiB, hd, 1, 0, 0, "cuMemCreate", NULL);
	CHECK(mmap_(va + 4 * MiB, 4 * MiB, 0, hd, 0) == 0);
	ex("map", 0, 4 * MiB, 0, va + 4 * MiB, hd, 0, 0, "cuMemMap", NULL);
	CHECK(mrelease(hd) == 0);
	ex("release", 0, 4 * MiB, 0, hd, 0, 0, 0, "cuMemRelease", NULL);
	/* Out of memory through the runtime, then keep going. */
	void *o = NULL;
	CHECK(cudaMalloc(&o, 100ull << 30) == CUDA_ERROR_OUT_OF_MEMORY);
	ex("oom", 1, 100ull << 30, 100ull << 30, 0, 0, 0, CUDA_ERROR_OUT_OF_MEMORY,
	   "cuMemAlloc_v2", NULL);
	ex_snap(1, fakecuda_used(1), TOTAL1, "oom");
	CHECK(munmap_(va + 4 * MiB, 4 * MiB) == 0);
	ex("unmap", 0, 4 * MiB, 0, va + 4 * MiB, 0, 0, 0, "cuMemUnmap", NULL);

	size_t fr = 0, tot = 0;
	CHECK(cudaMemGetInfo(&fr, &tot) == 0 && tot == TOTAL1);
	CHECK(cudaFree(a) == 0);
	ex_free(1, 10 * MiB, U(a), "cuMemFree_v2");
	CHECK(cudaFree(b) == 0);
	ex_free(1, 3072, U(b), "cuMemFree_v2");
	CHECK(cudaFree(m) == 0);
	ex_free(1, MiB, U(m), "cuMemFree_v2");
	CHECK(cudaFreeHost(h) == 0);
	ex_free(-1, 3 * MiB, U(h), "cuMemFreeHost");
	ex_snap(1, fakecuda_used(1), TOTAL1, "context destroy");
	CHECK(cudaDeviceReset() == 0);
	ex_marker(1, U(pc), "cuDevicePrimaryCtxReset_v2", "primary context reset");
	return 0;
}
