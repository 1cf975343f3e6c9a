/*
 * fake_cudart.c - a fake CUDA runtime, libcudart.so, that reaches the
 * driver the way the real runtime does since CUDA 11.3 (cuda-interception
 * reference, section 10): dlopen("libcuda.so.1"), dlsym of
 * cuGetProcAddress_v2 on that handle, a probe with an empty symbol, a
 * look-up of cuGetProcAddress itself, then every entry point by base name,
 * cudaVersion and flags (per-thread variants for the _ptsz API). It never
 * links against libcuda and never calls a driver symbol by name.
 *
 * Runtime error codes are returned as the driver's (enough for tests).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include "fakecuda.h"

#define EXPORT __attribute__((visibility("default")))
#define CUDART_VERSION 13000

typedef CUresult (*gpa2_fn)(const char *, void **, int, cuuint64_t, int *);

static struct {
	CUresult (*init)(unsigned int);
	CUresult (*retain)(CUcontext *, CUdevice);
	CUresult (*reset)(CUdevice);
	CUresult (*set_current)(CUcontext);
	CUresult (*alloc)(CUdeviceptr *, size_t);
	CUresult (*free)(CUdeviceptr);
	CUresult (*pitch)(CUdeviceptr *, size_t *, size_t, size_t, unsigned int);
	CUresult (*managed)(CUdeviceptr *, size_t, unsigned int);
	CUresult (*host_alloc)(void **, size_t, unsigned int);
	CUresult (*free_host)(void *);
	CUresult (*mem_info)(size_t *, size_t *);
	CUresult (*alloc_async[2])(CUdeviceptr *, size_t, CUstream);
	CUresult (*free_async[2])(CUdeviceptr, CUstream);
	CUresult (*from_pool[2])(CUdeviceptr *, size_t, CUmemoryPool, CUstream);
	CUresult (*pool_create)(CUmemoryPool *, const CUmemPoolProps *);
	CUresult (*pool_destroy)(CUmemoryPool);
	CUresult (*pool_trim)(CUmemoryPool, size_t);
	CUresult (*default_pool)(CUmemoryPool *, CUdevice);
	CUresult (*stream_create)(CUstream *, unsigned int);
} d;

static gpa2_fn gpa;
static CUresult init_rc = CUDA_ERROR_NOT_INITIALIZED;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread int cur_dev = -1;
static CUcontext primary[16];

static void *get(const char *name, int ver, cuuint64_t flags)
{
	void *p = NULL;
	int st;
	if (gpa(name, &p, ver, flags, &st) != CUDA_SUCCESS)
		return NULL;
	return p;
}

#define GET(field, name, ver, flags) \
	d.field = (__typeof__(d.field))get(name, ver, flags)

static void load(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	gpa2_fn boot = (gpa2_fn)dlsym(h, "cuGetProcAddress_v2");
	if (!boot)
		return;
	void *p = NULL;
	int st;
	boot("", &p, 0, 0, &st); /* the probe the real runtime makes first */
	if (boot("cuGetProcAddress", &p, 12000, 0, &st) != CUDA_SUCCESS || !p)
		return;
	gpa = (gpa2_fn)p;
	GET(init, "cuInit", 2000, 0);
	GET(retain, "cuDevicePrimaryCtxRetain", 7000, 0);
	GET(reset, "cuDevicePrimaryCtxReset", 11000, 0);
	GET(set_current, "cuCtxSetCurrent", 4000, 0);
	GET(alloc, "cuMemAlloc", 3020, 0);
	GET(free, "cuMemFree", 3020, 0);
	GET(pitch, "cuMemAllocPitch", 3020, 0);
	GET(managed, "cuMemAllocManaged", 6000, 0);
	GET(host_alloc, "cuMemHostAlloc", 2020, 0);
	GET(free_host, "cuMemFreeHost", 2000, 0);
	GET(mem_info, "cuMemGetInfo", 3020, 0);
	GET(alloc_async[0], "cuMemAllocAsync", 11020, CU_GET_PROC_ADDRESS_DEFAULT);
	GET(alloc_async[1], "cuMemAllocAsync", 11020, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);
	GET(free_async[0], "cuMemFreeAsync", 11020, CU_GET_PROC_ADDRESS_DEFAULT);
	GET(free_async[1], "cuMemFreeAsync", 11020, CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);
	GET(from_pool[0], "cuMemAllocFromPoolAsync", 11020, CU_GET_PROC_ADDRESS_DEFAULT);
	GET(from_pool[1], "cuMemAllocFromPoolAsync", 11020,
	    CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);
	GET(pool_create, "cuMemPoolCreate", 11020, 0);
	GET(pool_destroy, "cuMemPoolDestroy", 11020, 0);
	GET(pool_trim, "cuMemPoolTrimTo", 11020, 0);
	GET(default_pool, "cuDeviceGetDefaultMemPool", 11020, 0);
	GET(stream_create, "cuStreamCreate", 2000, 0);
	init_rc = d.init ? d.init(0) : CUDA_ERROR_NOT_INITIALIZED;
}

/* Lazy runtime initialisation, as the real runtime's: the device's primary
 * context is retained and made current on first use. */
static CUresult ready(void)
{
	pthread_once(&once, load);
	if (init_rc != CUDA_SUCCESS)
		return init_rc;
	if (cur_dev < 0)
		cur_dev = 0;
	if (!primary[cur_dev]) {
		CUresult r = d.retain(&primary[cur_dev], cur_dev);
		if (r != CUDA_SUCCESS)
			return r;
	}
	return d.set_current(primary[cur_dev]);
}

EXPORT int cudaSetDevice(int dev);
int cudaSetDevice(int dev)
{
	if (dev < 0 || dev >= 16)
		return CUDA_ERROR_INVALID_DEVICE;
	cur_dev = dev;
	return ready();
}

EXPORT int cudaMalloc(void **p, size_t n);
int cudaMalloc(void **p, size_t n)
{
	CUresult r = ready();
	CUdeviceptr a = 0;
	if (r == CUDA_SUCCESS && (r = d.alloc(&a, n)) == CUDA_SUCCESS)
		*p = (void *)(uintptr_t)a;
	return r;
}

EXPORT int cudaFree(void *p);
int cudaFree(void *p)
{
	CUresult r = ready();
	return r != CUDA_SUCCESS || !p ? r : d.free((uintptr_t)p);
}

EXPORT int cudaMallocPitch(void **p, size_t *pitch, size_t w, size_t h);
int cudaMallocPitch(void **p, size_t *pitch, size_t w, size_t h)
{
	CUresult r = ready();
	CUdeviceptr a = 0;
	if (r == CUDA_SUCCESS && (r = d.pitch(&a, pitch, w, h, 4)) == CUDA_SUCCESS)
		*p = (void *)(uintptr_t)a;
	return r;
}

EXPORT int cudaMallocManaged(void **p, size_t n, unsigned int flags);
int cudaMallocManaged(void **p, size_t n, unsigned int flags)
{
	CUresult r = ready();
	CUdeviceptr a = 0;
	if (r == CUDA_SUCCESS && (r = d.managed(&a, n, flags)) == CUDA_SUCCESS)
		*p = (void *)(uintptr_t)a;
	return r;
}

EXPORT int cudaMallocHost(void **p, size_t n);
int cudaMallocHost(void **p, size_t n)
{
	CUresult r = ready();
	return r != CUDA_SUCCESS ? r : d.host_alloc(p, n, 0);
}

EXPORT int cudaFreeHost(void *p);
int cudaFreeHost(void *p)
{
	CUresult r = ready();
	return r != CUDA_SUCCESS ? r : d.free_host(p);
}

EXPORT int cudaMemGetInfo(size_t *fr, size_t *total);
int cudaMemGetInfo(size_t *fr, size_t *total)
{
	CUresult r = ready();
	return r != CUDA_SUCCESS ? r : d.mem_info(fr, total);
}

EXPORT int cudaStreamCreate(CUstream *s);
int cudaStreamCreate(CUstream *s)
{
	CUresult r = ready();
	return r != CUDA_SUCCESS ? r : d.stream_create(s, 0);
}

static int malloc_async(int pt, void **p, size_t n, CUstream s)
{
	CUresult r = ready();
	CUdeviceptr a = 0;
	if (r == CUDA_SUCCESS && (r = d.alloc_async[pt](&a, n, s)) == CUDA_SUCCESS)
		*p = (void *)(uintptr_t)a;
	return r;
}

EXPORT int cudaMallocAsync(void **p, size_t n, CUstream s);
int cudaMallocAsync(void **p, size_t n, CUstream s) { return malloc_async(0, p, n, s); }
EXPORT int cudaMallocAsync_ptsz(void **p, size_t n, CUstream s);
int cudaMallocAsync_ptsz(void **p, size_t n, CUstream s) { return malloc_async(1, p, n, s); }

static int free_async(int pt, void *p, CUstream s)
{
	CUresult r = ready();
	return r != CUDA_SUCCESS ? r : d.free_async[pt]((uintptr_t)p, s);
}

EXPORT int cudaFreeAsync(void *p, CUstream s);
int cudaFreeAsync(void *p, CUstream s) { return free_async(0, p, s); }
EXPORT int cudaFreeAsync_ptsz(void *p, CUstream s);
int cudaFreeAsync_ptsz(void *p, CUstream s) { return free_async(1, p, s); }

EXPORT int cudaMallocFromPoolAsync(void **p, size_t n, CUmemoryPool pool, CUstream s);
int cudaMallocFromPoolAsync(void **p, size_t n, CUmemoryPool pool, CUstream s)
{
	CUresult r = ready();
	CUdeviceptr a = 0;
	if (r == CUDA_SUCCESS && (r = d.from_pool[0](&a, n, pool, s)) == CUDA_SUCCESS)
		*p = (void *)(uintptr_t)a;
	return r;
}

EXPORT int cudaDeviceGetDefaultMemPool(CUmemoryPool *pool, int dev);
int cudaDeviceGetDefaultMemPool(CUmemoryPool *pool, int dev)
{
	CUresult r = ready();
	return r != CUDA_SUCCESS ? r : d.default_pool(pool, dev);
}

EXPORT int cudaMemPoolTrimTo(CUmemoryPool pool, size_t keep);
int cudaMemPoolTrimTo(CUmemoryPool pool, size_t keep)
{
	CUresult r = ready();
	return r != CUDA_SUCCESS ? r : d.pool_trim(pool, keep);
}

EXPORT int cudaDeviceReset(void);
int cudaDeviceReset(void)
{
	CUresult r = ready();
	if (r != CUDA_SUCCESS)
		return r;
	r = d.reset(cur_dev);
	primary[cur_dev] = NULL;
	return r;
}

/* cudaGetDriverEntryPoint[ByVersion]: the path PyTorch and NCCL use. */
EXPORT int cudaGetDriverEntryPointByVersion(const char *symbol, void **fn, unsigned int ver,
					    unsigned long long flags, int *status);
int cudaGetDriverEntryPointByVersion(const char *symbol, void **fn, unsigned int ver,
				     unsigned long long flags, int *status)
{
	pthread_once(&once, load);
	if (!gpa)
		return CUDA_ERROR_NOT_INITIALIZED;
	return gpa(symbol, fn, (int)ver, flags, status);
}

EXPORT int cudaGetDriverEntryPoint(const char *symbol, void **fn, unsigned long long flags,
				   int *status);
int cudaGetDriverEntryPoint(const char *symbol, void **fn, unsigned long long flags, int *status)
{
	return cudaGetDriverEntryPointByVersion(symbol, fn, CUDART_VERSION, flags, status);
}
