/*
 * prog_direct.c - a program linked directly against libcuda.so.1 (-lcuda)
 * that uses every family the shim records: contexts, linear, pitch,
 * managed, pinned host, arrays, stream-ordered allocations on streams of
 * two devices, an explicit pool, VMM on another device than the current
 * one, IPC, an out-of-memory failure, a failed free, primary contexts.
 * It writes what it did with expect.h, and exits leaving device 0's
 * primary context and one allocation alive (for the exit snapshot).
 */
#include <errno.h>

#include "expect.h"
#include "fakecuda.h"

#define MiB (1ull << 20)
#define U(p) ((unsigned long long)(uintptr_t)(p))

static unsigned long long total_of(int dev)
{
	/* FAKECUDA_DEVICES=1024,2048; CUDA_VISIBLE_DEVICES may reorder them. */
	return ex_phys(dev) == 0 ? 1024 * MiB : 2048 * MiB;
}

int main(void)
{
	CHECK(cuInit(0) == CUDA_SUCCESS);

	CUcontext c0, c1, tmp;
	/* The first recorded call opens the trace file: errno must survive. */
	errno = 4242;
	CHECK(cuCtxCreate_v2(&c0, 0, 0) == CUDA_SUCCESS);
	CHECK(errno == 4242);
	ex_marker(0, U(c0), "cuCtxCreate_v2", "context create");
	ex_snap(0, fakecuda_used(0), total_of(0), "context create");

	CUdeviceptr a, p, m;
	unsigned int a32;
	size_t pitch;
	CHECK(cuMemAlloc_v2(&a, MiB) == CUDA_SUCCESS);
	ex_alloc(0, MiB, MiB, a, "cuMemAlloc_v2");
	CHECK(cuMemAlloc(&a32, 4096) == CUDA_SUCCESS);
	ex_alloc(0, 4096, 4096, a32, "cuMemAlloc");
	CHECK(cuMemAllocPitch_v2(&p, &pitch, 1000, 10, 4) == CUDA_SUCCESS && pitch == 1024);
	ex_alloc(0, 10240, 10000, p, "cuMemAllocPitch_v2");
	CHECK(cuMemAllocManaged(&m, 8192, 1) == CUDA_SUCCESS);
	ex("alloc", 0, 8192, 8192, m, 1, 0, 0, "cuMemAllocManaged", NULL);

	void *h, *h2;
	static char buf[8192];
	CHECK(cuMemAllocHost_v2(&h, 65536) == CUDA_SUCCESS);
	ex_alloc(-1, 65536, 65536, U(h), "cuMemAllocHost_v2");
	CHECK(cuMemHostAlloc(&h2, 4096, 2) == CUDA_SUCCESS);
	ex("alloc", -1, 4096, 4096, U(h2), 2, 0, 0, "cuMemHostAlloc", NULL);
	CHECK(cuMemHostRegister_v2(buf, sizeof(buf), 0) == CUDA_SUCCESS);
	ex_alloc(-1, sizeof(buf), sizeof(buf), U(buf), "cuMemHostRegister_v2");

	CUarray arr, arr3;
	CUDA_ARRAY_DESCRIPTOR ad = { 64, 32, CU_AD_FORMAT_FLOAT, 4 };
	CUDA_ARRAY3D_DESCRIPTOR ad3 = { 16, 16, 4, CU_AD_FORMAT_UNSIGNED_INT8, 1, 0 };
	CHECK(cuArrayCreate_v2(&arr, &ad) == CUDA_SUCCESS);
	ex_alloc(0, 32768, 32768, U(arr), "cuArrayCreate_v2");
	CHECK(cuArray3DCreate_v2(&arr3, &ad3) == CUDA_SUCCESS);
	ex_alloc(0, 1024, 1024, U(arr3), "cuArray3DCreate_v2");

	/* A stream of a context on device 1; device 0's context stays current. */
	CUstream s1;
	CHECK(cuCtxCreate_v2(&c1, 0, 1) == CUDA_SUCCESS);
	ex_marker(1, U(c1), "cuCtxCreate_v2", "context create");
	ex_snap(1, fakecuda_used(1), total_of(1), "context create");
	CHECK(cuStreamCreate(&s1, 0) == CUDA_SUCCESS);
	CHECK(cuCtxPopCurrent_v2(&tmp) == CUDA_SUCCESS && tmp == c1);

	CUdeviceptr x, y, z;
	CHECK(cuMemAllocAsync(&x, MiB, s1) == CUDA_SUCCESS);
	ex("alloc", 1, MiB, MiB, x, 0, U(s1), 0, "cuMemAllocAsync", NULL);
	CHECK(cuMemAllocAsync_ptsz(&y, 2 * MiB, NULL) == CUDA_SUCCESS);
	ex("alloc", 0, 2 * MiB, 2 * MiB, y, 0, 0, 0, "cuMemAllocAsync_ptsz", NULL);

	CUmemPoolProps pp;
	memset(&pp, 0, sizeof(pp));
	pp.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
	pp.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	pp.location.id = 1;
	CUmemoryPool pool;
	CHECK(cuMemPoolCreate(&pool, &pp) == CUDA_SUCCESS);
	ex_marker(1, U(pool), "cuMemPoolCreate", "pool create");
	/* The pool's device (1) wins over the stream's (0: the current context). */
	CHECK(cuMemAllocFromPoolAsync(&z, 3 * MiB, pool, NULL) == CUDA_SUCCESS);
	ex("alloc", 1, 3 * MiB, 3 * MiB, z, U(pool), 0, 0, "cuMemAllocFromPoolAsync", NULL);
	CHECK(cuMemFreeAsync(z, s1) == CUDA_SUCCESS);
	ex("free", 1, 3 * MiB, 0, z, 0, U(s1), 0, "cuMemFreeAsync", NULL);
	CHECK(cuMemPoolTrimTo(pool, 0) == CUDA_SUCCESS);
	ex("trim", 1, 0, 0, U(pool), 0, 0, 0, "cuMemPoolTrimTo", NULL);
	unsigned long long res = 1, used = 1;
	CHECK(cuMemPoolGetAttribute(pool, CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &res) == 0);
	CHECK(cuMemPoolGetAttribute(pool, CU_MEMPOOL_ATTR_USED_MEM_CURRENT, &used) == 0);
	ex("marker", 1, res, 0, U(pool), used, 0, 0, "pool_stat", "pool usage: trim");
	CHECK(cuMemPoolDestroy(pool) == CUDA_SUCCESS);
	ex_marker(1, U(pool), "cuMemPoolDestroy", "pool destroy");
	CHECK(cuMemFreeAsync_ptsz(y, NULL) == CUDA_SUCCESS);
	ex("free", 0, 2 * MiB, 0, y, 0, 0, 0, "cuMemFreeAsync_ptsz", NULL);
	CHECK(cuMemFreeAsync(x, s1) == CUDA_SUCCESS);
	ex("free", 1, MiB, 0, x, 0, U(s1), 0, "cuMemFreeAsync", NULL);

	/* VMM: physical memory on device 1 (prop->location), VA reserved while
	 * device 0 is current; released while mapped, gone at the unmap. */
	CUmemAllocationProp prop;
	memset(&prop, 0, sizeof(prop));
	prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = 1;
	size_t g;
	CHECK(cuMemGetAllocationGranularity(&g, &prop, 0) == CUDA_SUCCESS);
	CUdeviceptr va;
	CUmemGenericAllocationHandle hd;
	CHECK(cuMemAddressReserve(&va, 4 * g, 0, 0, 0) == CUDA_SUCCESS);
	ex("reserve", 0, 4 * g, 4 * g, va, 0, 0, 0, "cuMemAddressReserve", NULL);
	CHECK(cuMemCreate(&hd, 2 * g, &prop, 0) == CUDA_SUCCESS);
	ex("create", 1, 2 * g, 2 * g, hd, 1, 0, 0, "cuMemCreate", NULL);
	CHECK(cuMemMap(va, 2 * g, 0, hd, 0) == CUDA_SUCCESS);
	ex("map", 1, 2 * g, 0, va, hd, 0, 0, "cuMemMap", NULL);
	CHECK(cuMemRelease(hd) == CUDA_SUCCESS);
	ex("release", 1, 2 * g, 0, hd, 0, 0, 0, "cuMemRelease", NULL);
	CHECK(cuMemUnmap(va, 2 * g) == CUDA_SUCCESS);
	ex("unmap", 1, 2 * g, 0, va, 0, 0, 0, "cuMemUnmap", NULL);
	CHECK(cuMemAddressFree(va, 4 * g) == CUDA_SUCCESS);
	ex("unreserve", 0, 4 * g, 0, va, 0, 0, 0, "cuMemAddressFree", NULL);

	CUipcMemHandle ih;
	CUdeviceptr ip;
	CHECK(cuIpcGetMemHandle(&ih, a) == CUDA_SUCCESS);
	CHECK(cuIpcOpenMemHandle_v2(&ip, ih, 1) == CUDA_SUCCESS);
	ex("marker", 0, MiB, 0, ip, 1, 0, 0, "cuIpcOpenMemHandle_v2", "ipc open");
	CHECK(cuIpcCloseMemHandle(ip) == CUDA_SUCCESS);
	ex_marker(0, ip, "cuIpcCloseMemHandle", "ipc close");

	/* Failures are kept: an out-of-memory and a bad free. */
	CUdeviceptr o = 0;
	CHECK(cuMemAlloc_v2(&o, 64ull << 30) == CUDA_ERROR_OUT_OF_MEMORY);
	ex("oom", 0, 64ull << 30, 64ull << 30, 0, 0, 0, CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc_v2",
	   NULL);
	ex_snap(0, fakecuda_used(0), total_of(0), "oom");
	CHECK(cuMemFree_v2(0xdead00) == CUDA_ERROR_INVALID_VALUE);
	ex("marker", 0, 0, 0, 0xdead00, 0, 0, CUDA_ERROR_INVALID_VALUE, "cuMemFree_v2",
	   "cuMemFree_v2 failed");

	CHECK(cuMemFree_v2(a) == CUDA_SUCCESS);
	ex_free(0, MiB, a, "cuMemFree_v2");
	CHECK(cuMemFree(a32) == CUDA_SUCCESS);
	ex_free(0, 4096, a32, "cuMemFree");
	CHECK(cuMemFree_v2(p) == CUDA_SUCCESS);
	ex_free(0, 10240, p, "cuMemFree_v2");
	CHECK(cuMemFree_v2(m) == CUDA_SUCCESS);
	ex_free(0, 8192, m, "cuMemFree_v2");
	CHECK(cuMemFreeHost(h) == CUDA_SUCCESS);
	ex_free(-1, 65536, U(h), "cuMemFreeHost");
	CHECK(cuMemFreeHost(h2) == CUDA_SUCCESS);
	ex_free(-1, 4096, U(h2), "cuMemFreeHost");
	CHECK(cuMemHostUnregister(buf) == CUDA_SUCCESS);
	ex_free(-1, sizeof(buf), U(buf), "cuMemHostUnregister");
	CHECK(cuArrayDestroy(arr) == CUDA_SUCCESS);
	ex_free(0, 32768, U(arr), "cuArrayDestroy");
	CHECK(cuArrayDestroy(arr3) == CUDA_SUCCESS);
	ex_free(0, 1024, U(arr3), "cuArrayDestroy");

	/* Destroying a context: its snapshot comes first. */
	ex_snap(1, fakecuda_used(1), total_of(1), "context destroy");
	CHECK(cuCtxDestroy_v2(c1) == CUDA_SUCCESS);
	ex_marker(1, U(c1), "cuCtxDestroy_v2", "context destroy");
	ex_snap(0, fakecuda_used(0), total_of(0), "context destroy");
	CHECK(cuCtxDestroy_v2(c0) == CUDA_SUCCESS);
	ex_marker(0, U(c0), "cuCtxDestroy_v2", "context destroy");

	CUcontext pc, pc1;
	CHECK(cuDevicePrimaryCtxRetain(&pc, 0) == CUDA_SUCCESS);
	ex_marker(0, U(pc), "cuDevicePrimaryCtxRetain", "primary context retain");
	ex_snap(0, fakecuda_used(0), total_of(0), "context create");
	CHECK(cuCtxSetCurrent(pc) == CUDA_SUCCESS);
	CUdeviceptr leak;
	CHECK(cuMemAlloc_v2(&leak, 5 * MiB) == CUDA_SUCCESS);
	ex_alloc(0, 5 * MiB, 5 * MiB, leak, "cuMemAlloc_v2");

	CHECK(cuDevicePrimaryCtxRetain(&pc1, 1) == CUDA_SUCCESS);
	ex_marker(1, U(pc1), "cuDevicePrimaryCtxRetain", "primary context retain");
	ex_snap(1, fakecuda_used(1), total_of(1), "context create");
	ex_snap(1, fakecuda_used(1), total_of(1), "context destroy");
	CHECK(cuDevicePrimaryCtxRelease_v2(1) == CUDA_SUCCESS);
	ex_marker(1, U(pc1), "cuDevicePrimaryCtxRelease_v2", "primary context release");

	/* The fake saw every variant exactly as called. */
	CHECK(fakecuda_calls("cuMemAlloc_v2") == 3 && fakecuda_calls("cuMemAlloc") == 1);
	CHECK(fakecuda_calls("cuMemAllocAsync_ptsz") == 1 && fakecuda_calls("cuMemAllocAsync") == 1);
	CHECK(fakecuda_calls("cuMemFreeAsync") == 2 && fakecuda_calls("cuMemFreeAsync_ptsz") == 1);
	ex_exit_snap(0, fakecuda_used(0), total_of(0));
	return 0;
}
