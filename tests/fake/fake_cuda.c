/*
 * fake_cuda.c - a fake CUDA driver, libcuda.so.1, for testing the shim
 * without a GPU. It exports the real symbol names, plain and versioned
 * variants at distinct addresses (cuMemAlloc and cuMemAlloc_v2, the
 * _ptsz forms, ...), and answers cuGetProcAddress by the driver's rules
 * (cuda.h, "Driver Entry Point Access"): the newest variant introduced at
 * or before cudaVersion; with the per-thread flag (and not the legacy
 * one) its _ptsz form if there is one; CUDA_SUCCESS with a NULL pointer
 * and a status for an unknown symbol or an insufficient version;
 * CUDA_ERROR_INVALID_VALUE for a version above the driver's. Versions
 * come from the PFN_<name>_v<version> typedefs of cudaTypedefs.h.
 *
 * Devices, contexts (created and primary, a per-thread current-context
 * stack), linear/pitch/managed/host memory, arrays, streams, stream-
 * ordered pools (which keep freed memory reserved until trimmed), VMM
 * handles/reservations/mappings and IPC handles are modelled just enough
 * that cuMemGetInfo reflects what is allocated. See fakecuda.h for the
 * environment variables. Graph memory (graph_*: nodes, executable graphs,
 * the per-device graph pool) and memory of other owners (shareable
 * handles, multicast objects, external memory) are modelled the same
 * way. One file, over 800 lines, because every function shares the one
 * state and the one table cuGetProcAddress answers from. Linked with -Bsymbolic-functions, as the real
 * driver resolves its own symbols internally: the addresses it hands out
 * are its own even when the shim exports the same names.
 */
#include "fakecuda.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))
#define MAXDEV 16
#define GRAN (2ull << 20)  /* VMM granularity */

/* X(name, base, version, per_thread): every exported driver function. */
#define FAKE_FUNCS(X) \
	X(cuInit, cuInit, 2000, 0) \
	X(cuDriverGetVersion, cuDriverGetVersion, 2020, 0) \
	X(cuDeviceGet, cuDeviceGet, 2000, 0) \
	X(cuDeviceGetCount, cuDeviceGetCount, 2000, 0) \
	X(cuDeviceGetName, cuDeviceGetName, 2000, 0) \
	X(cuDeviceGetUuid, cuDeviceGetUuid, 9020, 0) \
	X(cuDeviceGetUuid_v2, cuDeviceGetUuid, 11040, 0) \
	X(cuDeviceTotalMem, cuDeviceTotalMem, 2000, 0) \
	X(cuDeviceTotalMem_v2, cuDeviceTotalMem, 3020, 0) \
	X(cuCtxCreate, cuCtxCreate, 2000, 0) \
	X(cuCtxCreate_v2, cuCtxCreate, 3020, 0) \
	X(cuCtxCreate_v3, cuCtxCreate, 11040, 0) \
	X(cuCtxCreate_v4, cuCtxCreate, 12050, 0) \
	X(cuCtxDestroy, cuCtxDestroy, 2000, 0) \
	X(cuCtxDestroy_v2, cuCtxDestroy, 4000, 0) \
	X(cuCtxGetCurrent, cuCtxGetCurrent, 4000, 0) \
	X(cuCtxSetCurrent, cuCtxSetCurrent, 4000, 0) \
	X(cuCtxGetDevice, cuCtxGetDevice, 2000, 0) \
	X(cuCtxPushCurrent, cuCtxPushCurrent, 2000, 0) \
	X(cuCtxPushCurrent_v2, cuCtxPushCurrent, 4000, 0) \
	X(cuCtxPopCurrent, cuCtxPopCurrent, 2000, 0) \
	X(cuCtxPopCurrent_v2, cuCtxPopCurrent, 4000, 0) \
	X(cuCtxSynchronize, cuCtxSynchronize, 2000, 0) \
	X(cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRetain, 7000, 0) \
	X(cuDevicePrimaryCtxRelease, cuDevicePrimaryCtxRelease, 7000, 0) \
	X(cuDevicePrimaryCtxRelease_v2, cuDevicePrimaryCtxRelease, 11000, 0) \
	X(cuDevicePrimaryCtxReset, cuDevicePrimaryCtxReset, 7000, 0) \
	X(cuDevicePrimaryCtxReset_v2, cuDevicePrimaryCtxReset, 11000, 0) \
	X(cuDevicePrimaryCtxGetState, cuDevicePrimaryCtxGetState, 7000, 0) \
	X(cuMemGetInfo_v2, cuMemGetInfo, 3020, 0) \
	X(cuMemAlloc, cuMemAlloc, 2000, 0) \
	X(cuMemAlloc_v2, cuMemAlloc, 3020, 0) \
	X(cuMemAllocPitch, cuMemAllocPitch, 2000, 0) \
	X(cuMemAllocPitch_v2, cuMemAllocPitch, 3020, 0) \
	X(cuMemFree, cuMemFree, 2000, 0) \
	X(cuMemFree_v2, cuMemFree, 3020, 0) \
	X(cuMemAllocManaged, cuMemAllocManaged, 6000, 0) \
	X(cuMemAllocHost, cuMemAllocHost, 2000, 0) \
	X(cuMemAllocHost_v2, cuMemAllocHost, 3020, 0) \
	X(cuMemHostAlloc, cuMemHostAlloc, 2020, 0) \
	X(cuMemFreeHost, cuMemFreeHost, 2000, 0) \
	X(cuMemHostRegister, cuMemHostRegister, 4000, 0) \
	X(cuMemHostRegister_v2, cuMemHostRegister, 6050, 0) \
	X(cuMemHostUnregister, cuMemHostUnregister, 4000, 0) \
	X(cuMemGetAddressRange_v2, cuMemGetAddressRange, 3020, 0) \
	X(cuArrayCreate, cuArrayCreate, 2000, 0) \
	X(cuArrayCreate_v2, cuArrayCreate, 3020, 0) \
	X(cuArray3DCreate, cuArray3DCreate, 2000, 0) \
	X(cuArray3DCreate_v2, cuArray3DCreate, 3020, 0) \
	X(cuArrayDestroy, cuArrayDestroy, 2000, 0) \
	X(cuStreamCreate, cuStreamCreate, 2000, 0) \
	X(cuStreamDestroy_v2, cuStreamDestroy, 4000, 0) \
	X(cuStreamGetCtx, cuStreamGetCtx, 9020, 0) \
	X(cuStreamGetCtx_ptsz, cuStreamGetCtx, 9020, 1) \
	X(cuStreamGetDevice, cuStreamGetDevice, 12080, 0) \
	X(cuStreamGetDevice_ptsz, cuStreamGetDevice, 12080, 1) \
	X(cuStreamSynchronize, cuStreamSynchronize, 2000, 0) \
	X(cuStreamSynchronize_ptsz, cuStreamSynchronize, 7000, 1) \
	X(cuStreamBeginCapture_v2, cuStreamBeginCapture, 10010, 0) \
	X(cuStreamEndCapture, cuStreamEndCapture, 10000, 0) \
	X(cuStreamIsCapturing, cuStreamIsCapturing, 10000, 0) \
	X(cuStreamIsCapturing_ptsz, cuStreamIsCapturing, 10000, 1) \
	X(cuMemAllocAsync, cuMemAllocAsync, 11020, 0) \
	X(cuMemAllocAsync_ptsz, cuMemAllocAsync, 11020, 1) \
	X(cuMemAllocFromPoolAsync, cuMemAllocFromPoolAsync, 11020, 0) \
	X(cuMemAllocFromPoolAsync_ptsz, cuMemAllocFromPoolAsync, 11020, 1) \
	X(cuMemFreeAsync, cuMemFreeAsync, 11020, 0) \
	X(cuMemFreeAsync_ptsz, cuMemFreeAsync, 11020, 1) \
	X(cuMemPoolCreate, cuMemPoolCreate, 11020, 0) \
	X(cuMemPoolDestroy, cuMemPoolDestroy, 11020, 0) \
	X(cuMemPoolTrimTo, cuMemPoolTrimTo, 11020, 0) \
	X(cuMemPoolGetAttribute, cuMemPoolGetAttribute, 11020, 0) \
	X(cuMemPoolSetAttribute, cuMemPoolSetAttribute, 11020, 0) \
	X(cuMemGetDefaultMemPool, cuMemGetDefaultMemPool, 13000, 0) \
	X(cuMemGetMemPool, cuMemGetMemPool, 13000, 0) \
	X(cuMemSetMemPool, cuMemSetMemPool, 13000, 0) \
	X(cuDeviceGetDefaultMemPool, cuDeviceGetDefaultMemPool, 11020, 0) \
	X(cuDeviceGetMemPool, cuDeviceGetMemPool, 11020, 0) \
	X(cuDeviceSetMemPool, cuDeviceSetMemPool, 11020, 0) \
	X(cuMemGetAllocationGranularity, cuMemGetAllocationGranularity, 10020, 0) \
	X(cuMemCreate, cuMemCreate, 10020, 0) \
	X(cuMemRelease, cuMemRelease, 10020, 0) \
	X(cuMemMap, cuMemMap, 10020, 0) \
	X(cuMemUnmap, cuMemUnmap, 10020, 0) \
	X(cuMemSetAccess, cuMemSetAccess, 10020, 0) \
	X(cuMemAddressReserve, cuMemAddressReserve, 10020, 0) \
	X(cuMemAddressFree, cuMemAddressFree, 10020, 0) \
	X(cuIpcGetMemHandle, cuIpcGetMemHandle, 4010, 0) \
	X(cuIpcOpenMemHandle, cuIpcOpenMemHandle, 4010, 0) \
	X(cuIpcOpenMemHandle_v2, cuIpcOpenMemHandle, 11000, 0) \
	X(cuIpcCloseMemHandle, cuIpcCloseMemHandle, 4010, 0) \
	X(cuStreamGetCaptureInfo_v2, cuStreamGetCaptureInfo, 11030, 0) \
	X(cuGraphCreate, cuGraphCreate, 10000, 0) \
	X(cuGraphDestroy, cuGraphDestroy, 10000, 0) \
	X(cuGraphAddMemAllocNode, cuGraphAddMemAllocNode, 11040, 0) \
	X(cuGraphAddMemFreeNode, cuGraphAddMemFreeNode, 11040, 0) \
	X(cuGraphAddNode, cuGraphAddNode, 12020, 0) \
	X(cuGraphAddNode_v2, cuGraphAddNode, 12030, 0) \
	X(cuGraphInstantiate, cuGraphInstantiate, 10000, 0) \
	X(cuGraphInstantiate_v2, cuGraphInstantiate, 11000, 0) \
	X(cuGraphInstantiateWithFlags, cuGraphInstantiateWithFlags, 11040, 0) \
	X(cuGraphInstantiateWithParams, cuGraphInstantiateWithParams, 12000, 0) \
	X(cuGraphLaunch, cuGraphLaunch, 10000, 0) \
	X(cuGraphUpload, cuGraphUpload, 11010, 0) \
	X(cuGraphExecDestroy, cuGraphExecDestroy, 10000, 0) \
	X(cuDeviceGraphMemTrim, cuDeviceGraphMemTrim, 11040, 0) \
	X(cuDeviceGetGraphMemAttribute, cuDeviceGetGraphMemAttribute, 11040, 0) \
	X(cuMemExportToShareableHandle, cuMemExportToShareableHandle, 10020, 0) \
	X(cuMemImportFromShareableHandle, cuMemImportFromShareableHandle, 10020, 0) \
	X(cuMemGetAllocationPropertiesFromHandle, cuMemGetAllocationPropertiesFromHandle, 10020, 0) \
	X(cuMulticastCreate, cuMulticastCreate, 12010, 0) \
	X(cuMulticastAddDevice, cuMulticastAddDevice, 12010, 0) \
	X(cuMulticastBindMem, cuMulticastBindMem, 12010, 0) \
	X(cuMulticastUnbind, cuMulticastUnbind, 12010, 0) \
	X(cuMipmappedArrayCreate, cuMipmappedArrayCreate, 5000, 0) \
	X(cuMipmappedArrayDestroy, cuMipmappedArrayDestroy, 5000, 0) \
	X(cuImportExternalMemory, cuImportExternalMemory, 10000, 0) \
	X(cuExternalMemoryGetMappedBuffer, cuExternalMemoryGetMappedBuffer, 10000, 0) \
	X(cuDestroyExternalMemory, cuDestroyExternalMemory, 10000, 0) \
	X(cuGreenCtxCreate, cuGreenCtxCreate, 12040, 0) \
	X(cuGreenCtxDestroy, cuGreenCtxDestroy, 12040, 0) \
	X(cuGetExportTable, cuGetExportTable, 3000, 0) \
	X(cuGetProcAddress, cuGetProcAddress, 11030, 0) \
	X(cuGetProcAddress_v2, cuGetProcAddress, 12000, 0)

enum {
#define FX_ENUM(name, base, ver, pt) FX_##name,
	FAKE_FUNCS(FX_ENUM)
#undef FX_ENUM
	FX_COUNT
};

/* Calls per exported function (fakecuda_calls), counted in one shard per
 * thread (16 shards, a cache line apart): counting must not make threads
 * share a cache line on every call, which a real driver does not do and
 * which would be charged to the shim in tests/bench_shim.c. */
#define NSHARD 16
static struct { atomic_int n[FX_COUNT]; } __attribute__((aligned(64))) calls[NSHARD];
static atomic_int next_shard;
static __thread int my_shard = -1;

static inline int shard(void)
{
	if (my_shard < 0)
		my_shard = atomic_fetch_add(&next_shard, 1) % NSHARD;
	return my_shard;
}
static int perthread;
/* Under FAKECUDA_PERTHREAD (the bench) a count is a plain load and store,
 * not a locked add: a driver has no such counter, and its cost in the
 * cuCtxGetDevice the shim calls would be charged to the shim. Counts may
 * then miss calls of threads that share a shard (more than 16). */
static inline void hit(int f)
{
	atomic_int *c = &calls[shard()].n[f];
	if (perthread)
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	else
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}
#define HIT(name) hit(FX_##name)

/* ---- state ---- */

struct fake_ctx { int magic, dev, primary, refs, alive; };
struct fake_graph;
struct fake_stream { int magic; CUcontext ctx; int capturing; struct fake_graph *graph; };
struct fake_pool { int magic, dev, alive; uint64_t reserved, used; };
enum { K_LINEAR = 1, K_MANAGED, K_HOST, K_HOSTREG, K_ARRAY, K_ASYNC, K_IPC };
struct alloc { uint64_t addr, size, charged; int dev, kind; struct fake_pool *pool; };
/* dev < 0: no memory of its own to give back (host, imported, multicast);
 * loc: the device the memory is on. */
struct handle { uint64_t id, size; int dev, released, maps, loc; };
struct mapping { uint64_t va, size, handle; };
struct resv { uint64_t va, size; };

#define CTX_MAGIC 0x43545821
#define STREAM_MAGIC 0x53545245
#define POOL_MAGIC 0x504f4f4c

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int initialized, ndev, nvis, driver_version = 13000;
static int vis[MAXDEV];                 /* ordinal -> physical device */
static uint64_t total[MAXDEV], used[MAXDEV], ctx_cost = 32ull << 20;
static uint64_t next_va[MAXDEV], next_low = 0x10000000, next_host = 0x200000000000ull;
static uint64_t next_misc = 0x300000000000ull, next_handle = 0x1000;
static struct fake_ctx primary[MAXDEV];
static struct fake_pool default_pool[MAXDEV];
static struct fake_pool *cur_pool[MAXDEV];
/* Objects the program holds pointers to stay allocated (and reachable). */
static struct fake_ctx **ctxs;
static size_t nctxs, cap_ctxs;
static struct fake_stream **streams;
static size_t nstreams, cap_streams;
static struct fake_pool **pools;
static size_t npools, cap_pools;

#define VEC_PUSH(arr, n, cap, v) do { \
	if (n == cap) { cap = cap ? cap * 2 : 16; arr = realloc(arr, cap * sizeof(*arr)); \
		if (!arr) abort(); } \
	arr[n++] = (v); } while (0)

static struct alloc *allocs;
static size_t nallocs, cap_allocs;
static struct handle *handles;
static size_t nhandles, cap_handles;
static struct mapping *maps;
static size_t nmaps, cap_maps;
static struct resv *resvs;
static size_t nresvs, cap_resvs;

static __thread CUcontext stack[16];
static __thread int depth;

/*
 * Per-thread fast path (FAKECUDA_PERTHREAD=1, for tests/bench_shim.c):
 * cuMemAlloc_v2 takes addresses from the calling thread's own range and
 * keeps up to PT_MAX live allocations in the thread's own table, and
 * cuMemFree_v2 looks there first; neither takes mu nor charges the
 * device, so cuMemGetInfo does not see them. Every other path is as
 * above. Why: with one lock and one table for all threads, two threads
 * calling in a loop spend most of each call passing mu's cache line
 * between cores (or sleeping on it when one is preempted holding it), so
 * the untraced two-thread figure swung 52-223 ns between runs, and the
 * shim's extra work between calls *lowered* that contention: the traced
 * minus untraced difference measured the driver's lock, not the shim.
 */
static CUdeviceptr bump(uint64_t *next, uint64_t n, uint64_t align);
#define PT_MAX 64
static atomic_int pt_threads;
static __thread struct {
	int id;                   /* 0: no range yet */
	int n;
	uint64_t next;
	uint64_t addr[PT_MAX];
} ptl;

static int pt_alloc(CUdeviceptr *out, uint64_t n)
{
	if (ptl.n == PT_MAX)
		return 0; /* the thread holds many: the shared path takes this one */
	if (!ptl.id) {
		ptl.id = atomic_fetch_add(&pt_threads, 1) + 1;
		ptl.next = 0x500000000000ull + ((uint64_t)ptl.id << 36);
	}
	*out = bump(&ptl.next, n, 512);
	ptl.addr[ptl.n++] = *out;
	return 1;
}

static int pt_free(uint64_t addr)
{
	for (int i = ptl.n; i-- > 0;)
		if (ptl.addr[i] == addr) {
			ptl.addr[i] = ptl.addr[--ptl.n];
			return 1;
		}
	return 0;
}

static void configure(void)
{
	const char *s = getenv("FAKECUDA_DEVICES");
	if (!s || !*s)
		s = "1024,2048";
	while (*s && ndev < MAXDEV) {
		char *end;
		unsigned long long mib = strtoull(s, &end, 10);
		if (end == s)
			break;
		total[ndev++] = mib << 20;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',')
			break;
	}
	const char *v = getenv("CUDA_VISIBLE_DEVICES");
	if (v) {
		while (*v && nvis < MAXDEV) {
			char *end;
			long d = strtol(v, &end, 10);
			if (end == v || d < 0 || d >= ndev)
				break;
			vis[nvis++] = (int)d;
			if (*end != ',')
				break;
			v = end + 1;
		}
	} else {
		for (nvis = 0; nvis < ndev; nvis++)
			vis[nvis] = nvis;
	}
	const char *dv = getenv("FAKECUDA_DRIVER_VERSION");
	if (dv && *dv)
		driver_version = atoi(dv);
	const char *pt = getenv("FAKECUDA_PERTHREAD");
	perthread = pt && *pt == '1';
	const char *cc = getenv("FAKECUDA_CTX_MIB");
	if (cc && *cc)
		ctx_cost = strtoull(cc, NULL, 10) << 20;
	for (int i = 0; i < MAXDEV; i++) {
		next_va[i] = 0x700000000000ull + ((uint64_t)i << 40);
		primary[i] = (struct fake_ctx){ CTX_MAGIC, i, 1, 0, 0 };
		default_pool[i] = (struct fake_pool){ POOL_MAGIC, i, 1, 0, 0 };
		cur_pool[i] = &default_pool[i];
	}
}

static void cfg(void)
{
	pthread_once(&once, configure);
}

static int phys(int ordinal)
{
	return ordinal >= 0 && ordinal < nvis ? vis[ordinal] : -1;
}

static CUcontext cur(void)
{
	return depth ? stack[depth - 1] : NULL;
}

static int ctx_ok(CUcontext c)
{
	return c && c->magic == CTX_MAGIC && c->alive;
}

static int charge(int ordinal, uint64_t n)
{
	int p = phys(ordinal);
	if (p < 0)
		return CUDA_ERROR_INVALID_DEVICE;
	if (n > total[p] || used[p] > total[p] - n)
		return CUDA_ERROR_OUT_OF_MEMORY;
	used[p] += n;
	return CUDA_SUCCESS;
}

static void uncharge(int ordinal, uint64_t n)
{
	int p = phys(ordinal);
	if (p >= 0)
		used[p] -= n <= used[p] ? n : used[p];
}

static CUdeviceptr bump(uint64_t *next, uint64_t n, uint64_t align)
{
	uint64_t a = (*next + align - 1) & ~(align - 1);
	*next = a + (n ? n : 1);
	return a;
}

static struct alloc *find_alloc(uint64_t addr, int kind)
{
	for (size_t i = 0; i < nallocs; i++)
		if (allocs[i].addr == addr && (!kind || allocs[i].kind == kind))
			return &allocs[i];
	return NULL;
}

static void drop_alloc(struct alloc *a)
{
	*a = allocs[--nallocs];
}

static void add_alloc(uint64_t addr, uint64_t size, uint64_t charged, int dev, int kind,
		      struct fake_pool *pool)
{
	struct alloc a = { addr, size, charged, dev, kind, pool };
	VEC_PUSH(allocs, nallocs, cap_allocs, a);
}

#define NEED_INIT() do { cfg(); if (!initialized) return CUDA_ERROR_NOT_INITIALIZED; } while (0)
#define NEED_CTX(c) do { NEED_INIT(); c = cur(); if (!ctx_ok(c)) return CUDA_ERROR_INVALID_CONTEXT; } while (0)

/* ---- init, devices ---- */

EXPORT CUresult cuInit(unsigned int flags);
CUresult cuInit(unsigned int flags)
{
	HIT(cuInit);
	cfg();
	if (flags)
		return CUDA_ERROR_INVALID_VALUE;
	initialized = 1;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDriverGetVersion(int *v);
CUresult cuDriverGetVersion(int *v)
{
	HIT(cuDriverGetVersion);
	cfg();
	if (!v)
		return CUDA_ERROR_INVALID_VALUE;
	*v = driver_version;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGet(CUdevice *d, int ordinal);
CUresult cuDeviceGet(CUdevice *d, int ordinal)
{
	HIT(cuDeviceGet);
	NEED_INIT();
	if (!d || phys(ordinal) < 0)
		return CUDA_ERROR_INVALID_DEVICE;
	*d = ordinal;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetCount(int *n);
CUresult cuDeviceGetCount(int *n)
{
	HIT(cuDeviceGetCount);
	NEED_INIT();
	*n = nvis;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice d);
CUresult cuDeviceGetName(char *name, int len, CUdevice d)
{
	HIT(cuDeviceGetName);
	NEED_INIT();
	if (!name || len <= 0 || phys(d) < 0)
		return CUDA_ERROR_INVALID_VALUE;
	snprintf(name, (size_t)len, "Fake GPU %d", phys(d));
	return CUDA_SUCCESS;
}

static CUresult uuid_of(CUuuid *u, CUdevice d)
{
	NEED_INIT();
	int p = phys(d);
	if (!u || p < 0)
		return CUDA_ERROR_INVALID_VALUE;
	static const unsigned char base[16] = { 0x56, 0x52, 0x4d, 0x53, 0x00, 0x11, 0x22, 0x33,
						0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x00 };
	memcpy(u->bytes, base, 16);
	u->bytes[15] = (unsigned char)(0xa0 + p);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetUuid(CUuuid *u, CUdevice d);
CUresult cuDeviceGetUuid(CUuuid *u, CUdevice d)
{
	HIT(cuDeviceGetUuid);
	return uuid_of(u, d);
}

EXPORT CUresult cuDeviceGetUuid_v2(CUuuid *u, CUdevice d);
CUresult cuDeviceGetUuid_v2(CUuuid *u, CUdevice d)
{
	HIT(cuDeviceGetUuid_v2);
	return uuid_of(u, d);
}

EXPORT CUresult cuDeviceTotalMem(unsigned int *bytes, CUdevice d);
CUresult cuDeviceTotalMem(unsigned int *bytes, CUdevice d)
{
	HIT(cuDeviceTotalMem);
	NEED_INIT();
	if (!bytes || phys(d) < 0)
		return CUDA_ERROR_INVALID_VALUE;
	*bytes = total[phys(d)] > 0xffffffffu ? 0xffffffffu : (unsigned int)total[phys(d)];
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d);
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d)
{
	HIT(cuDeviceTotalMem_v2);
	NEED_INIT();
	if (!bytes || phys(d) < 0)
		return CUDA_ERROR_INVALID_VALUE;
	*bytes = total[phys(d)];
	return CUDA_SUCCESS;
}

/* ---- contexts ---- */

static CUresult ctx_create(CUcontext *pctx, CUdevice dev)
{
	NEED_INIT();
	if (!pctx)
		return CUDA_ERROR_INVALID_VALUE;
	if (phys(dev) < 0)
		return CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&mu);
	CUresult r = charge(dev, ctx_cost);
	if (r == CUDA_SUCCESS) {
		struct fake_ctx *c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		*c = (struct fake_ctx){ CTX_MAGIC, dev, 0, 1, 1 };
		VEC_PUSH(ctxs, nctxs, cap_ctxs, c);
		if (depth < 16)
			stack[depth++] = c;
		*pctx = c;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuCtxCreate(CUcontext *pctx, unsigned int flags, CUdevice dev);
CUresult cuCtxCreate(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	HIT(cuCtxCreate);
	(void)flags;
	return ctx_create(pctx, dev);
}

EXPORT CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev);
CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	HIT(cuCtxCreate_v2);
	(void)flags;
	return ctx_create(pctx, dev);
}

EXPORT CUresult cuCtxCreate_v3(CUcontext *pctx, void *params, int n, unsigned int flags,
			       CUdevice dev);
CUresult cuCtxCreate_v3(CUcontext *pctx, void *params, int n, unsigned int flags, CUdevice dev)
{
	HIT(cuCtxCreate_v3);
	(void)params;
	(void)n;
	(void)flags;
	return ctx_create(pctx, dev);
}

EXPORT CUresult cuCtxCreate_v4(CUcontext *pctx, void *params, unsigned int flags, CUdevice dev);
CUresult cuCtxCreate_v4(CUcontext *pctx, void *params, unsigned int flags, CUdevice dev)
{
	HIT(cuCtxCreate_v4);
	(void)params;
	(void)flags;
	return ctx_create(pctx, dev);
}

static void unstack(CUcontext c)
{
	int k = 0;
	for (int i = 0; i < depth; i++)
		if (stack[i] != c)
			stack[k++] = stack[i];
	depth = k;
}

static CUresult ctx_destroy(CUcontext c)
{
	NEED_INIT();
	if (!ctx_ok(c) || c->primary)
		return CUDA_ERROR_INVALID_CONTEXT;
	pthread_mutex_lock(&mu);
	c->alive = 0;
	uncharge(c->dev, ctx_cost);
	pthread_mutex_unlock(&mu);
	unstack(c);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxDestroy(CUcontext c);
CUresult cuCtxDestroy(CUcontext c)
{
	HIT(cuCtxDestroy);
	return ctx_destroy(c);
}

EXPORT CUresult cuCtxDestroy_v2(CUcontext c);
CUresult cuCtxDestroy_v2(CUcontext c)
{
	HIT(cuCtxDestroy_v2);
	return ctx_destroy(c);
}

EXPORT CUresult cuCtxGetCurrent(CUcontext *c);
CUresult cuCtxGetCurrent(CUcontext *c)
{
	HIT(cuCtxGetCurrent);
	NEED_INIT();
	if (!c)
		return CUDA_ERROR_INVALID_VALUE;
	*c = cur();
	return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxSetCurrent(CUcontext c);
CUresult cuCtxSetCurrent(CUcontext c)
{
	HIT(cuCtxSetCurrent);
	NEED_INIT();
	if (c && !ctx_ok(c))
		return CUDA_ERROR_INVALID_CONTEXT;
	if (!c) {
		if (depth)
			depth--;
	} else if (depth) {
		stack[depth - 1] = c;
	} else {
		stack[depth++] = c;
	}
	return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxGetDevice(CUdevice *d);
CUresult cuCtxGetDevice(CUdevice *d)
{
	HIT(cuCtxGetDevice);
	CUcontext c;
	NEED_CTX(c);
	if (!d)
		return CUDA_ERROR_INVALID_VALUE;
	*d = c->dev;
	return CUDA_SUCCESS;
}

static CUresult push(CUcontext c)
{
	NEED_INIT();
	if (!ctx_ok(c))
		return CUDA_ERROR_INVALID_CONTEXT;
	if (depth >= 16)
		return CUDA_ERROR_INVALID_VALUE;
	stack[depth++] = c;
	return CUDA_SUCCESS;
}

static CUresult pop(CUcontext *c)
{
	NEED_INIT();
	if (!depth)
		return CUDA_ERROR_INVALID_CONTEXT;
	CUcontext top = stack[--depth];
	if (c)
		*c = top;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxPushCurrent(CUcontext c);
CUresult cuCtxPushCurrent(CUcontext c) { HIT(cuCtxPushCurrent); return push(c); }
EXPORT CUresult cuCtxPushCurrent_v2(CUcontext c);
CUresult cuCtxPushCurrent_v2(CUcontext c) { HIT(cuCtxPushCurrent_v2); return push(c); }
EXPORT CUresult cuCtxPopCurrent(CUcontext *c);
CUresult cuCtxPopCurrent(CUcontext *c) { HIT(cuCtxPopCurrent); return pop(c); }
EXPORT CUresult cuCtxPopCurrent_v2(CUcontext *c);
CUresult cuCtxPopCurrent_v2(CUcontext *c) { HIT(cuCtxPopCurrent_v2); return pop(c); }

EXPORT CUresult cuCtxSynchronize(void);
CUresult cuCtxSynchronize(void)
{
	HIT(cuCtxSynchronize);
	CUcontext c;
	NEED_CTX(c);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev);
CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
{
	HIT(cuDevicePrimaryCtxRetain);
	NEED_INIT();
	if (!pctx || phys(dev) < 0)
		return CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&mu);
	CUresult r = CUDA_SUCCESS;
	struct fake_ctx *c = &primary[dev];
	if (c->refs == 0)
		r = charge(dev, ctx_cost);
	if (r == CUDA_SUCCESS) {
		c->refs++;
		c->alive = 1;
		*pctx = c;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static CUresult primary_release(CUdevice dev, int reset)
{
	NEED_INIT();
	if (phys(dev) < 0)
		return CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&mu);
	struct fake_ctx *c = &primary[dev];
	CUresult r = CUDA_SUCCESS;
	if (!reset && c->refs == 0) {
		r = CUDA_ERROR_INVALID_CONTEXT;
	} else if (c->alive && (reset || --c->refs == 0)) {
		c->refs = 0;
		c->alive = 0;
		uncharge(dev, ctx_cost);
	}
	pthread_mutex_unlock(&mu);
	if (!c->alive)
		unstack(c);
	return r;
}

EXPORT CUresult cuDevicePrimaryCtxRelease(CUdevice dev);
CUresult cuDevicePrimaryCtxRelease(CUdevice dev)
{
	HIT(cuDevicePrimaryCtxRelease);
	return primary_release(dev, 0);
}

EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
	HIT(cuDevicePrimaryCtxRelease_v2);
	return primary_release(dev, 0);
}

EXPORT CUresult cuDevicePrimaryCtxReset(CUdevice dev);
CUresult cuDevicePrimaryCtxReset(CUdevice dev)
{
	HIT(cuDevicePrimaryCtxReset);
	return primary_release(dev, 1);
}

EXPORT CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev);
CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev)
{
	HIT(cuDevicePrimaryCtxReset_v2);
	return primary_release(dev, 1);
}

EXPORT CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int *flags, int *active);
CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int *flags, int *active)
{
	HIT(cuDevicePrimaryCtxGetState);
	NEED_INIT();
	if (phys(dev) < 0 || !flags || !active)
		return CUDA_ERROR_INVALID_VALUE;
	*flags = 0;
	*active = primary[dev].alive;
	return CUDA_SUCCESS;
}

/* ---- memory ---- */

EXPORT CUresult cuMemGetInfo_v2(size_t *fr, size_t *tot);
CUresult cuMemGetInfo_v2(size_t *fr, size_t *tot)
{
	HIT(cuMemGetInfo_v2);
	CUcontext c;
	NEED_CTX(c);
	if (!fr || !tot)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	int p = phys(c->dev);
	*tot = total[p];
	*fr = total[p] - used[p];
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

static CUresult linear(CUdeviceptr *out, uint64_t n, uint64_t charged, int low)
{
	CUcontext c;
	NEED_CTX(c);
	if (!out || n == 0)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	CUresult r = charge(c->dev, charged);
	if (r == CUDA_SUCCESS) {
		*out = bump(low ? &next_low : &next_va[c->dev], n, 512);
		add_alloc(*out, n, charged, c->dev, K_LINEAR, NULL);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static CUresult free_kind(uint64_t addr, int kind)
{
	NEED_INIT();
	pthread_mutex_lock(&mu);
	struct alloc *a = find_alloc(addr, kind);
	CUresult r = CUDA_ERROR_INVALID_VALUE;
	if (a) {
		uncharge(a->dev, a->charged);
		drop_alloc(a);
		r = CUDA_SUCCESS;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemAlloc(unsigned int *dptr, unsigned int n);
CUresult cuMemAlloc(unsigned int *dptr, unsigned int n)
{
	HIT(cuMemAlloc);
	CUdeviceptr a = 0;
	CUresult r = dptr ? linear(&a, n, n, 1) : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS)
		*dptr = (unsigned int)a;
	return r;
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t n);
CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t n)
{
	HIT(cuMemAlloc_v2);
	if (perthread) {
		CUcontext c;
		NEED_CTX(c);
		if (dptr && n && pt_alloc(dptr, n))
			return CUDA_SUCCESS;
	}
	return linear(dptr, n, n, 0);
}

EXPORT CUresult cuMemAllocPitch(unsigned int *dptr, unsigned int *pitch, unsigned int w,
				unsigned int h, unsigned int elem);
CUresult cuMemAllocPitch(unsigned int *dptr, unsigned int *pitch, unsigned int w,
			 unsigned int h, unsigned int elem)
{
	HIT(cuMemAllocPitch);
	if (!dptr || !pitch || (elem != 4 && elem != 8 && elem != 16))
		return CUDA_ERROR_INVALID_VALUE;
	uint64_t p = ((uint64_t)w + 511) & ~511ull;
	CUdeviceptr a = 0;
	CUresult r = linear(&a, p * h, p * h, 1);
	if (r == CUDA_SUCCESS) {
		*dptr = (unsigned int)a;
		*pitch = (unsigned int)p;
	}
	return r;
}

EXPORT CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pitch, size_t w, size_t h,
				   unsigned int elem);
CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pitch, size_t w, size_t h,
			    unsigned int elem)
{
	HIT(cuMemAllocPitch_v2);
	if (!dptr || !pitch || (elem != 4 && elem != 8 && elem != 16))
		return CUDA_ERROR_INVALID_VALUE;
	uint64_t p = ((uint64_t)w + 511) & ~511ull;
	CUresult r = linear(dptr, p * h, p * h, 0);
	if (r == CUDA_SUCCESS)
		*pitch = p;
	return r;
}

EXPORT CUresult cuMemFree(unsigned int p);
CUresult cuMemFree(unsigned int p) { HIT(cuMemFree); return free_kind(p, K_LINEAR); }
EXPORT CUresult cuMemFree_v2(CUdeviceptr p);
CUresult cuMemFree_v2(CUdeviceptr p)
{
	HIT(cuMemFree_v2);
	if (perthread && pt_free(p))
		return CUDA_SUCCESS;
	return free_kind(p, K_LINEAR);
}

EXPORT CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t n, unsigned int flags);
CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t n, unsigned int flags)
{
	HIT(cuMemAllocManaged);
	CUcontext c;
	NEED_CTX(c);
	(void)flags;
	if (!dptr || n == 0)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	/* Managed memory occupies the device only when touched: not charged. */
	*dptr = bump(&next_misc, n, 4096);
	add_alloc(*dptr, n, 0, c->dev, K_LINEAR, NULL);
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

static CUresult host_alloc(void **pp, uint64_t n)
{
	NEED_INIT();
	if (!pp || n == 0)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	uint64_t a = bump(&next_host, n, 4096);
	add_alloc(a, n, 0, -1, K_HOST, NULL);
	pthread_mutex_unlock(&mu);
	*pp = (void *)(uintptr_t)a;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAllocHost(void **pp, unsigned int n);
CUresult cuMemAllocHost(void **pp, unsigned int n) { HIT(cuMemAllocHost); return host_alloc(pp, n); }
EXPORT CUresult cuMemAllocHost_v2(void **pp, size_t n);
CUresult cuMemAllocHost_v2(void **pp, size_t n) { HIT(cuMemAllocHost_v2); return host_alloc(pp, n); }
EXPORT CUresult cuMemHostAlloc(void **pp, size_t n, unsigned int flags);
CUresult cuMemHostAlloc(void **pp, size_t n, unsigned int flags)
{
	HIT(cuMemHostAlloc);
	(void)flags;
	return host_alloc(pp, n);
}
EXPORT CUresult cuMemFreeHost(void *p);
CUresult cuMemFreeHost(void *p) { HIT(cuMemFreeHost); return free_kind((uintptr_t)p, K_HOST); }

static CUresult host_register(void *p, size_t n)
{
	NEED_INIT();
	if (!p || n == 0)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	CUresult r = CUDA_ERROR_INVALID_VALUE;
	if (!find_alloc((uintptr_t)p, K_HOSTREG)) {
		add_alloc((uintptr_t)p, n, 0, -1, K_HOSTREG, NULL);
		r = CUDA_SUCCESS;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemHostRegister(void *p, size_t n, unsigned int flags);
CUresult cuMemHostRegister(void *p, size_t n, unsigned int flags)
{
	HIT(cuMemHostRegister);
	(void)flags;
	return host_register(p, n);
}
EXPORT CUresult cuMemHostRegister_v2(void *p, size_t n, unsigned int flags);
CUresult cuMemHostRegister_v2(void *p, size_t n, unsigned int flags)
{
	HIT(cuMemHostRegister_v2);
	(void)flags;
	return host_register(p, n);
}
EXPORT CUresult cuMemHostUnregister(void *p);
CUresult cuMemHostUnregister(void *p)
{
	HIT(cuMemHostUnregister);
	return free_kind((uintptr_t)p, K_HOSTREG);
}

EXPORT CUresult cuMemGetAddressRange_v2(CUdeviceptr *base, size_t *size, CUdeviceptr p);
CUresult cuMemGetAddressRange_v2(CUdeviceptr *base, size_t *size, CUdeviceptr p)
{
	HIT(cuMemGetAddressRange_v2);
	NEED_INIT();
	CUresult r = CUDA_ERROR_NOT_FOUND;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nallocs; i++) {
		if (p >= allocs[i].addr && p - allocs[i].addr < allocs[i].size) {
			if (base)
				*base = allocs[i].addr;
			if (size)
				*size = allocs[i].size;
			r = CUDA_SUCCESS;
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	return r;
}

/* ---- arrays ---- */

static uint64_t fmt_bytes(int fmt)
{
	switch (fmt) {
	case 0x01: case 0x08: return 1;
	case 0x02: case 0x09: case 0x10: return 2;
	case 0x03: case 0x0a: case 0x20: return 4;
	default: return 0;
	}
}

static CUresult array(CUarray *ph, uint64_t w, uint64_t h, uint64_t d, int fmt, unsigned ch)
{
	CUcontext c;
	NEED_CTX(c);
	uint64_t e = fmt_bytes(fmt);
	if (!ph || !w || !e || (ch != 1 && ch != 2 && ch != 4))
		return CUDA_ERROR_INVALID_VALUE;
	uint64_t n = w * (h ? h : 1) * (d ? d : 1) * e * ch;
	pthread_mutex_lock(&mu);
	CUresult r = charge(c->dev, n);
	if (r == CUDA_SUCCESS) {
		uint64_t a = bump(&next_misc, 64, 64);
		add_alloc(a, 64, n, c->dev, K_ARRAY, NULL);
		*ph = (CUarray)(uintptr_t)a;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuArrayCreate(CUarray *ph, const CUDA_ARRAY_DESCRIPTOR_v1 *a);
CUresult cuArrayCreate(CUarray *ph, const CUDA_ARRAY_DESCRIPTOR_v1 *a)
{
	HIT(cuArrayCreate);
	return a ? array(ph, a->Width, a->Height, 1, a->Format, a->NumChannels)
		 : CUDA_ERROR_INVALID_VALUE;
}
EXPORT CUresult cuArrayCreate_v2(CUarray *ph, const CUDA_ARRAY_DESCRIPTOR *a);
CUresult cuArrayCreate_v2(CUarray *ph, const CUDA_ARRAY_DESCRIPTOR *a)
{
	HIT(cuArrayCreate_v2);
	return a ? array(ph, a->Width, a->Height, 1, a->Format, a->NumChannels)
		 : CUDA_ERROR_INVALID_VALUE;
}
EXPORT CUresult cuArray3DCreate(CUarray *ph, const CUDA_ARRAY3D_DESCRIPTOR_v1 *a);
CUresult cuArray3DCreate(CUarray *ph, const CUDA_ARRAY3D_DESCRIPTOR_v1 *a)
{
	HIT(cuArray3DCreate);
	return a ? array(ph, a->Width, a->Height, a->Depth, a->Format, a->NumChannels)
		 : CUDA_ERROR_INVALID_VALUE;
}
EXPORT CUresult cuArray3DCreate_v2(CUarray *ph, const CUDA_ARRAY3D_DESCRIPTOR *a);
CUresult cuArray3DCreate_v2(CUarray *ph, const CUDA_ARRAY3D_DESCRIPTOR *a)
{
	HIT(cuArray3DCreate_v2);
	return a ? array(ph, a->Width, a->Height, a->Depth, a->Format, a->NumChannels)
		 : CUDA_ERROR_INVALID_VALUE;
}
EXPORT CUresult cuArrayDestroy(CUarray a);
CUresult cuArrayDestroy(CUarray a)
{
	HIT(cuArrayDestroy);
	return free_kind((uintptr_t)a, K_ARRAY);
}

/* ---- streams ---- */

static CUcontext stream_ctx(CUstream s)
{
	if (s == NULL || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD)
		return cur();
	return s->magic == STREAM_MAGIC ? s->ctx : NULL;
}

EXPORT CUresult cuStreamCreate(CUstream *ps, unsigned int flags);
CUresult cuStreamCreate(CUstream *ps, unsigned int flags)
{
	HIT(cuStreamCreate);
	CUcontext c;
	NEED_CTX(c);
	(void)flags;
	if (!ps)
		return CUDA_ERROR_INVALID_VALUE;
	struct fake_stream *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	*s = (struct fake_stream){ STREAM_MAGIC, c, 0, NULL };
	pthread_mutex_lock(&mu);
	VEC_PUSH(streams, nstreams, cap_streams, s);
	pthread_mutex_unlock(&mu);
	*ps = s;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamDestroy_v2(CUstream s);
CUresult cuStreamDestroy_v2(CUstream s)
{
	HIT(cuStreamDestroy_v2);
	NEED_INIT();
	if (!s || s->magic != STREAM_MAGIC)
		return CUDA_ERROR_INVALID_HANDLE;
	s->magic = 0;
	return CUDA_SUCCESS;
}

static CUresult get_ctx(CUstream s, CUcontext *pc)
{
	NEED_INIT();
	CUcontext c = stream_ctx(s);
	if (!pc || !ctx_ok(c))
		return CUDA_ERROR_INVALID_HANDLE;
	*pc = c;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamGetCtx(CUstream s, CUcontext *pc);
CUresult cuStreamGetCtx(CUstream s, CUcontext *pc) { HIT(cuStreamGetCtx); return get_ctx(s, pc); }
EXPORT CUresult cuStreamGetCtx_ptsz(CUstream s, CUcontext *pc);
CUresult cuStreamGetCtx_ptsz(CUstream s, CUcontext *pc) { HIT(cuStreamGetCtx_ptsz); return get_ctx(s, pc); }

static CUresult get_dev(CUstream s, CUdevice *d)
{
	CUcontext c;
	CUresult r = get_ctx(s, &c);
	if (r == CUDA_SUCCESS && d)
		*d = c->dev;
	return d ? r : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuStreamGetDevice(CUstream s, CUdevice *d);
CUresult cuStreamGetDevice(CUstream s, CUdevice *d) { HIT(cuStreamGetDevice); return get_dev(s, d); }
EXPORT CUresult cuStreamGetDevice_ptsz(CUstream s, CUdevice *d);
CUresult cuStreamGetDevice_ptsz(CUstream s, CUdevice *d) { HIT(cuStreamGetDevice_ptsz); return get_dev(s, d); }

EXPORT CUresult cuStreamSynchronize(CUstream s);
CUresult cuStreamSynchronize(CUstream s)
{
	HIT(cuStreamSynchronize);
	CUcontext c;
	return get_ctx(s, &c);
}
EXPORT CUresult cuStreamSynchronize_ptsz(CUstream s);
CUresult cuStreamSynchronize_ptsz(CUstream s)
{
	HIT(cuStreamSynchronize_ptsz);
	CUcontext c;
	return get_ctx(s, &c);
}

/* ---- graph memory ----
 *
 * A graph's memory nodes need the peak of their bytes in the order they
 * were added (what a graph frees inside itself is reused). A device's
 * graph pool maps an executable graph's memory when it is launched or
 * uploaded, and keeps it, past cuGraphExecDestroy, until
 * cuDeviceGraphMemTrim (launches here complete at once, so a trim gives
 * everything back). No reuse between graphs. */

#define GRAPH_MAGIC 0x47524150
#define EXEC_MAGIC 0x45584543
struct gnode { uint64_t va, size; };
struct fake_graph { int magic, dev; struct gnode *n; size_t nn, cap; };
struct fake_exec { int magic, dev, mapped, alive; uint64_t foot; };
static struct fake_exec **execs;
static size_t nexecs, cap_execs;
static struct fake_graph **graphs;
static size_t ngraphs, cap_graphs;
static uint64_t g_reserved[MAXDEV], g_mapped[MAXDEV], g_res_high[MAXDEV], g_used_high[MAXDEV];

static struct fake_graph *graph_new(void)
{
	struct fake_graph *g = calloc(1, sizeof(*g));
	if (!g)
		abort();
	g->magic = GRAPH_MAGIC;
	g->dev = -1;
	VEC_PUSH(graphs, ngraphs, cap_graphs, g);
	return g;
}

/* A node (mu held): size > 0 allocates va on dev, 0 frees it. */
static void graph_add(struct fake_graph *g, uint64_t va, uint64_t size, int dev)
{
	if (!g)
		return;
	if (g->dev < 0 && dev >= 0)
		g->dev = dev;
	struct gnode x = { va, size };
	VEC_PUSH(g->n, g->nn, g->cap, x);
}

static uint64_t graph_foot(const struct fake_graph *g)
{
	uint64_t run = 0, peak = 0;
	for (size_t i = 0; i < g->nn; i++) {
		if (g->n[i].size) {
			run += g->n[i].size;
		} else {
			for (size_t k = 0; k < i; k++)
				if (g->n[k].size && g->n[k].va == g->n[i].va)
					run -= g->n[k].size;
		}
		if (run > peak)
			peak = run;
	}
	return peak;
}

static int graph_ok(struct fake_graph *g)
{
	return g && g->magic == GRAPH_MAGIC;
}

static int exec_ok(struct fake_exec *e)
{
	return e && e->magic == EXEC_MAGIC && e->alive;
}

/* Map an executable graph's memory (mu held). */
static CUresult exec_map(struct fake_exec *e)
{
	if (e->mapped || e->dev < 0)
		return CUDA_SUCCESS;
	int d = e->dev;
	uint64_t need = g_mapped[d] + e->foot;
	if (need > g_reserved[d]) {
		CUresult r = charge(d, need - g_reserved[d]);
		if (r != CUDA_SUCCESS)
			return r;
		g_reserved[d] = need;
	}
	g_mapped[d] = need;
	e->mapped = 1;
	if (g_reserved[d] > g_res_high[d])
		g_res_high[d] = g_reserved[d];
	if (g_mapped[d] > g_used_high[d])
		g_used_high[d] = g_mapped[d];
	return CUDA_SUCCESS;
}

EXPORT CUresult cuGraphCreate(void **pg, unsigned int flags);
CUresult cuGraphCreate(void **pg, unsigned int flags)
{
	HIT(cuGraphCreate);
	NEED_INIT();
	if (!pg || flags)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	*pg = graph_new();
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuGraphDestroy(void *g);
CUresult cuGraphDestroy(void *g)
{
	HIT(cuGraphDestroy);
	NEED_INIT();
	if (!graph_ok(g))
		return CUDA_ERROR_INVALID_VALUE;
	((struct fake_graph *)g)->magic = 0; /* kept allocated: handles stay unique */
	return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamGetCaptureInfo_v2(CUstream s, int *status, cuuint64_t *id, void **graph,
					  const void **deps, size_t *ndeps);
CUresult cuStreamGetCaptureInfo_v2(CUstream s, int *status, cuuint64_t *id, void **graph,
				   const void **deps, size_t *ndeps)
{
	HIT(cuStreamGetCaptureInfo_v2);
	NEED_INIT();
	if (!status)
		return CUDA_ERROR_INVALID_VALUE;
	int cap = s && s != CU_STREAM_LEGACY && s != CU_STREAM_PER_THREAD &&
		  s->magic == STREAM_MAGIC && s->capturing;
	*status = cap;
	if (id)
		*id = cap ? (cuuint64_t)(uintptr_t)s->graph : 0;
	if (graph)
		*graph = cap ? s->graph : NULL;
	if (deps)
		*deps = NULL;
	if (ndeps)
		*ndeps = 0;
	return CUDA_SUCCESS;
}

/* The nodes both ways of adding one make (cuGraphAddMem*Node, cuGraphAddNode). */
static CUresult alloc_node(void **node, void *g, CUDA_MEM_ALLOC_NODE_PARAMS *p)
{
	NEED_INIT();
	if (!node || !graph_ok(g) || !p || !p->bytesize ||
	    p->poolProps.location.type != CU_MEM_LOCATION_TYPE_DEVICE ||
	    phys(p->poolProps.location.id) < 0)
		return CUDA_ERROR_INVALID_VALUE;
	int d = p->poolProps.location.id;
	pthread_mutex_lock(&mu);
	p->dptr = bump(&next_va[d], p->bytesize, 512) | (1ull << 46);
	graph_add(g, p->dptr, p->bytesize, d);
	*node = (void *)(uintptr_t)p->dptr;
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

static CUresult free_node(void **node, void *g, CUdeviceptr dptr)
{
	NEED_INIT();
	if (!node || !graph_ok(g))
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	graph_add(g, dptr, 0, -1);
	*node = (void *)(uintptr_t)(dptr + 1);
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuGraphAddMemAllocNode(void **node, void *g, const void *deps, size_t ndeps,
				       CUDA_MEM_ALLOC_NODE_PARAMS *p);
CUresult cuGraphAddMemAllocNode(void **node, void *g, const void *deps, size_t ndeps,
				CUDA_MEM_ALLOC_NODE_PARAMS *p)
{
	HIT(cuGraphAddMemAllocNode);
	(void)deps;
	(void)ndeps;
	return alloc_node(node, g, p);
}

EXPORT CUresult cuGraphAddMemFreeNode(void **node, void *g, const void *deps, size_t ndeps,
				      CUdeviceptr dptr);
CUresult cuGraphAddMemFreeNode(void **node, void *g, const void *deps, size_t ndeps,
			       CUdeviceptr dptr)
{
	HIT(cuGraphAddMemFreeNode);
	(void)deps;
	(void)ndeps;
	return free_node(node, g, dptr);
}

/* The generic form: memory nodes as above, empty nodes (no memory);
 * other types are not modelled. */
static CUresult any_node(void **node, void *g, CUgraphNodeParams *p)
{
	NEED_INIT();
	if (!p || !node)
		return CUDA_ERROR_INVALID_VALUE;
	switch (p->type) {
	case CU_GRAPH_NODE_TYPE_MEM_ALLOC: return alloc_node(node, g, &p->alloc);
	case CU_GRAPH_NODE_TYPE_MEM_FREE: return free_node(node, g, p->free.dptr);
	case CU_GRAPH_NODE_TYPE_EMPTY:
		if (!graph_ok(g))
			return CUDA_ERROR_INVALID_VALUE;
		*node = (void *)(uintptr_t)0x5;
		return CUDA_SUCCESS;
	default: return CUDA_ERROR_NOT_SUPPORTED;
	}
}

EXPORT CUresult cuGraphAddNode(void **node, void *g, const void *deps, size_t ndeps,
			       CUgraphNodeParams *p);
CUresult cuGraphAddNode(void **node, void *g, const void *deps, size_t ndeps,
			CUgraphNodeParams *p)
{
	HIT(cuGraphAddNode);
	(void)deps;
	(void)ndeps;
	return any_node(node, g, p);
}

EXPORT CUresult cuGraphAddNode_v2(void **node, void *g, const void *deps, const void *edges,
				  size_t ndeps, CUgraphNodeParams *p);
CUresult cuGraphAddNode_v2(void **node, void *g, const void *deps, const void *edges,
			   size_t ndeps, CUgraphNodeParams *p)
{
	HIT(cuGraphAddNode_v2);
	(void)deps;
	(void)edges;
	(void)ndeps;
	return any_node(node, g, p);
}

/* Every instantiate form; upload != 0 maps the memory at once. */
static CUresult instantiate(void **pex, struct fake_graph *g, int upload)
{
	NEED_INIT();
	if (!pex || !graph_ok(g))
		return CUDA_ERROR_INVALID_VALUE;
	struct fake_exec *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	pthread_mutex_lock(&mu);
	*e = (struct fake_exec){ EXEC_MAGIC, g->dev, 0, 1, graph_foot(g) };
	VEC_PUSH(execs, nexecs, cap_execs, e);
	CUresult r = upload ? exec_map(e) : CUDA_SUCCESS;
	pthread_mutex_unlock(&mu);
	*pex = e;
	return r;
}

EXPORT CUresult cuGraphInstantiate(void **pex, void *g, void **err, char *log, size_t n);
CUresult cuGraphInstantiate(void **pex, void *g, void **err, char *log, size_t n)
{
	HIT(cuGraphInstantiate);
	(void)err, (void)log, (void)n;
	return instantiate(pex, g, 0);
}
EXPORT CUresult cuGraphInstantiate_v2(void **pex, void *g, void **err, char *log, size_t n);
CUresult cuGraphInstantiate_v2(void **pex, void *g, void **err, char *log, size_t n)
{
	HIT(cuGraphInstantiate_v2);
	(void)err, (void)log, (void)n;
	return instantiate(pex, g, 0);
}
EXPORT CUresult cuGraphInstantiateWithFlags(void **pex, void *g, unsigned long long flags);
CUresult cuGraphInstantiateWithFlags(void **pex, void *g, unsigned long long flags)
{
	HIT(cuGraphInstantiateWithFlags);
	(void)flags;
	return instantiate(pex, g, 0);
}
EXPORT CUresult cuGraphInstantiateWithParams(void **pex, void *g, CUDA_GRAPH_INSTANTIATE_PARAMS *p);
CUresult cuGraphInstantiateWithParams(void **pex, void *g, CUDA_GRAPH_INSTANTIATE_PARAMS *p)
{
	HIT(cuGraphInstantiateWithParams);
	return instantiate(pex, g, p && (p->flags & CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD));
}

static CUresult launch(struct fake_exec *e)
{
	NEED_INIT();
	pthread_mutex_lock(&mu);
	CUresult r = exec_ok(e) ? exec_map(e) : CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_unlock(&mu);
	return r;
}
EXPORT CUresult cuGraphLaunch(void *e, CUstream s);
CUresult cuGraphLaunch(void *e, CUstream s) { HIT(cuGraphLaunch); (void)s; return launch(e); }
EXPORT CUresult cuGraphUpload(void *e, CUstream s);
CUresult cuGraphUpload(void *e, CUstream s) { HIT(cuGraphUpload); (void)s; return launch(e); }

EXPORT CUresult cuGraphExecDestroy(void *pe);
CUresult cuGraphExecDestroy(void *pe)
{
	HIT(cuGraphExecDestroy);
	NEED_INIT();
	struct fake_exec *e = pe;
	pthread_mutex_lock(&mu);
	CUresult r = exec_ok(e) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS) {
		if (e->mapped) /* the pool keeps the memory until trimmed */
			g_mapped[e->dev] -= e->foot;
		e->alive = 0;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuDeviceGraphMemTrim(CUdevice d);
CUresult cuDeviceGraphMemTrim(CUdevice d)
{
	HIT(cuDeviceGraphMemTrim);
	NEED_INIT();
	if (phys(d) < 0)
		return CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&mu);
	uncharge(d, g_reserved[d]);
	g_reserved[d] = g_mapped[d] = 0;
	for (size_t i = 0; i < nexecs; i++)
		if (execs[i]->dev == d)
			execs[i]->mapped = 0;
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

/* FAKECUDA_NO_GRAPH_ATTR set: a driver without the getter. */
EXPORT CUresult cuDeviceGetGraphMemAttribute(CUdevice d, int attr, void *value);
CUresult cuDeviceGetGraphMemAttribute(CUdevice d, int attr, void *value)
{
	HIT(cuDeviceGetGraphMemAttribute);
	NEED_INIT();
	if (getenv("FAKECUDA_NO_GRAPH_ATTR"))
		return CUDA_ERROR_NOT_SUPPORTED;
	if (phys(d) < 0 || !value || attr < 0 || attr > 3)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	/* cuda.h CUgraphMem_attribute: used current, used high, reserved
	 * current, reserved high. */
	uint64_t v = attr == 0 ? g_mapped[d] : attr == 1 ? g_used_high[d]
		   : attr == 2 ? g_reserved[d] : g_res_high[d];
	pthread_mutex_unlock(&mu);
	memcpy(value, &v, sizeof(v));
	return CUDA_SUCCESS;
}

/* ---- stream-ordered allocation: pools keep freed memory reserved ---- */

static int pool_ok(CUmemoryPool p)
{
	return p && p->magic == POOL_MAGIC && p->alive;
}

static CUresult pool_alloc(CUdeviceptr *dptr, uint64_t n, CUmemoryPool pool, CUstream s)
{
	NEED_INIT();
	CUcontext c = stream_ctx(s);
	if (!ctx_ok(c))
		return CUDA_ERROR_INVALID_CONTEXT;
	if (!dptr || n == 0)
		return CUDA_ERROR_INVALID_VALUE;
	if (s && s != CU_STREAM_LEGACY && s != CU_STREAM_PER_THREAD && s->capturing) {
		/* Captured into a graph: an address for the graph, no memory
		 * now (the graph's memory exists only once it is launched). */
		pthread_mutex_lock(&mu);
		*dptr = bump(&next_va[c->dev], n, 512) | (1ull << 46);
		graph_add(s->graph, *dptr, n, c->dev);
		pthread_mutex_unlock(&mu);
		return CUDA_SUCCESS;
	}
	pthread_mutex_lock(&mu);
	if (!pool)
		pool = cur_pool[c->dev];
	CUresult r = pool_ok(pool) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
	if (r == CUDA_SUCCESS && pool->used + n > pool->reserved) {
		uint64_t grow = pool->used + n - pool->reserved;
		r = charge(pool->dev, grow);
		if (r == CUDA_SUCCESS)
			pool->reserved += grow;
	}
	if (r == CUDA_SUCCESS) {
		pool->used += n;
		*dptr = bump(&next_va[pool->dev], n, 512);
		add_alloc(*dptr, n, 0, pool->dev, K_ASYNC, pool);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

static CUresult pool_free(CUdeviceptr p, CUstream s)
{
	NEED_INIT();
	if (!ctx_ok(stream_ctx(s)))
		return CUDA_ERROR_INVALID_CONTEXT;
	if (s && s != CU_STREAM_LEGACY && s != CU_STREAM_PER_THREAD && s->capturing) {
		pthread_mutex_lock(&mu);
		graph_add(s->graph, p, 0, -1); /* a free node of the graph being captured */
		pthread_mutex_unlock(&mu);
		return CUDA_SUCCESS;
	}
	pthread_mutex_lock(&mu);
	struct alloc *a = find_alloc(p, K_ASYNC);
	CUresult r = CUDA_ERROR_INVALID_VALUE;
	if (a) {
		a->pool->used -= a->size;
		drop_alloc(a);
		r = CUDA_SUCCESS;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemAllocAsync(CUdeviceptr *d, size_t n, CUstream s);
CUresult cuMemAllocAsync(CUdeviceptr *d, size_t n, CUstream s) { HIT(cuMemAllocAsync); return pool_alloc(d, n, NULL, s); }
EXPORT CUresult cuMemAllocAsync_ptsz(CUdeviceptr *d, size_t n, CUstream s);
CUresult cuMemAllocAsync_ptsz(CUdeviceptr *d, size_t n, CUstream s) { HIT(cuMemAllocAsync_ptsz); return pool_alloc(d, n, NULL, s); }
EXPORT CUresult cuMemAllocFromPoolAsync(CUdeviceptr *d, size_t n, CUmemoryPool p, CUstream s);
CUresult cuMemAllocFromPoolAsync(CUdeviceptr *d, size_t n, CUmemoryPool p, CUstream s)
{
	HIT(cuMemAllocFromPoolAsync);
	return p ? pool_alloc(d, n, p, s) : CUDA_ERROR_INVALID_VALUE;
}
EXPORT CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *d, size_t n, CUmemoryPool p, CUstream s);
CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *d, size_t n, CUmemoryPool p, CUstream s)
{
	HIT(cuMemAllocFromPoolAsync_ptsz);
	return p ? pool_alloc(d, n, p, s) : CUDA_ERROR_INVALID_VALUE;
}
EXPORT CUresult cuMemFreeAsync(CUdeviceptr p, CUstream s);
CUresult cuMemFreeAsync(CUdeviceptr p, CUstream s) { HIT(cuMemFreeAsync); return pool_free(p, s); }
EXPORT CUresult cuMemFreeAsync_ptsz(CUdeviceptr p, CUstream s);
CUresult cuMemFreeAsync_ptsz(CUdeviceptr p, CUstream s) { HIT(cuMemFreeAsync_ptsz); return pool_free(p, s); }

EXPORT CUresult cuMemPoolCreate(CUmemoryPool *pp, const CUmemPoolProps *props);
CUresult cuMemPoolCreate(CUmemoryPool *pp, const CUmemPoolProps *props)
{
	HIT(cuMemPoolCreate);
	NEED_INIT();
	if (!pp || !props || props->location.type != CU_MEM_LOCATION_TYPE_DEVICE ||
	    phys(props->location.id) < 0)
		return CUDA_ERROR_INVALID_VALUE;
	struct fake_pool *p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	*p = (struct fake_pool){ POOL_MAGIC, props->location.id, 1, 0, 0 };
	pthread_mutex_lock(&mu);
	VEC_PUSH(pools, npools, cap_pools, p);
	pthread_mutex_unlock(&mu);
	*pp = p;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemPoolDestroy(CUmemoryPool p);
CUresult cuMemPoolDestroy(CUmemoryPool p)
{
	HIT(cuMemPoolDestroy);
	NEED_INIT();
	pthread_mutex_lock(&mu);
	CUresult r = pool_ok(p) && p != &default_pool[p->dev] ? CUDA_SUCCESS
							      : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS) {
		uncharge(p->dev, p->reserved);
		p->reserved = 0;
		p->alive = 0;
		if (cur_pool[p->dev] == p)
			cur_pool[p->dev] = &default_pool[p->dev];
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemPoolTrimTo(CUmemoryPool p, size_t keep);
CUresult cuMemPoolTrimTo(CUmemoryPool p, size_t keep)
{
	HIT(cuMemPoolTrimTo);
	NEED_INIT();
	pthread_mutex_lock(&mu);
	CUresult r = pool_ok(p) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS) {
		uint64_t target = p->used > keep ? p->used : keep;
		if (p->reserved > target) {
			uncharge(p->dev, p->reserved - target);
			p->reserved = target;
		}
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemPoolGetAttribute(CUmemoryPool p, int attr, void *value);
CUresult cuMemPoolGetAttribute(CUmemoryPool p, int attr, void *value)
{
	HIT(cuMemPoolGetAttribute);
	NEED_INIT();
	if (!value)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	CUresult r = pool_ok(p) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS) {
		uint64_t v = attr == CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT ? p->reserved
			   : attr == CU_MEMPOOL_ATTR_USED_MEM_CURRENT ? p->used : 0;
		memcpy(value, &v, sizeof(v));
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pp, CUdevice d);
CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pp, CUdevice d)
{
	HIT(cuDeviceGetDefaultMemPool);
	NEED_INIT();
	if (!pp || phys(d) < 0)
		return CUDA_ERROR_INVALID_DEVICE;
	*pp = &default_pool[d];
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetMemPool(CUmemoryPool *pp, CUdevice d);
CUresult cuDeviceGetMemPool(CUmemoryPool *pp, CUdevice d)
{
	HIT(cuDeviceGetMemPool);
	NEED_INIT();
	if (!pp || phys(d) < 0)
		return CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&mu);
	*pp = cur_pool[d];
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceSetMemPool(CUdevice d, CUmemoryPool p);
CUresult cuDeviceSetMemPool(CUdevice d, CUmemoryPool p)
{
	HIT(cuDeviceSetMemPool);
	NEED_INIT();
	if (phys(d) < 0 || !pool_ok(p) || p->dev != d)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	cur_pool[d] = p;
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

/* Stream capture (cuda.h: CUstreamCaptureStatus NONE 0, ACTIVE 1). */
EXPORT CUresult cuStreamBeginCapture_v2(CUstream s, int mode);
CUresult cuStreamBeginCapture_v2(CUstream s, int mode)
{
	HIT(cuStreamBeginCapture_v2);
	NEED_INIT();
	(void)mode;
	if (!s || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD || s->magic != STREAM_MAGIC)
		return CUDA_ERROR_INVALID_VALUE; /* the legacy stream cannot be captured */
	s->capturing = 1;
	s->graph = graph_new();
	return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamEndCapture(CUstream s, void **graph);
CUresult cuStreamEndCapture(CUstream s, void **graph)
{
	HIT(cuStreamEndCapture);
	NEED_INIT();
	if (!s || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD || s->magic != STREAM_MAGIC ||
	    !s->capturing)
		return CUDA_ERROR_INVALID_VALUE;
	s->capturing = 0;
	if (graph)
		*graph = s->graph;
	s->graph = NULL;
	return CUDA_SUCCESS;
}

static CUresult is_capturing(CUstream s, int *status)
{
	NEED_INIT();
	if (!status)
		return CUDA_ERROR_INVALID_VALUE;
	*status = s && s != CU_STREAM_LEGACY && s != CU_STREAM_PER_THREAD &&
		  s->magic == STREAM_MAGIC && s->capturing;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamIsCapturing(CUstream s, int *status);
CUresult cuStreamIsCapturing(CUstream s, int *status) { HIT(cuStreamIsCapturing); return is_capturing(s, status); }
EXPORT CUresult cuStreamIsCapturing_ptsz(CUstream s, int *status);
CUresult cuStreamIsCapturing_ptsz(CUstream s, int *status) { HIT(cuStreamIsCapturing_ptsz); return is_capturing(s, status); }

/* A pool's attributes: the release threshold (4) is kept, nothing else
 * of the fake depends on it. */
EXPORT CUresult cuMemPoolSetAttribute(CUmemoryPool p, int attr, void *value);
CUresult cuMemPoolSetAttribute(CUmemoryPool p, int attr, void *value)
{
	HIT(cuMemPoolSetAttribute);
	NEED_INIT();
	if (!pool_ok(p) || !value || attr < 1 || attr > 8)
		return CUDA_ERROR_INVALID_VALUE;
	return CUDA_SUCCESS;
}

/* CUDA 13: pools by location and allocation type (pinned, device only). */
static int loc_dev(const CUmemLocation *loc, int type)
{
	if (!loc || loc->type != CU_MEM_LOCATION_TYPE_DEVICE || type != CU_MEM_ALLOCATION_TYPE_PINNED ||
	    phys(loc->id) < 0)
		return -1;
	return loc->id;
}

EXPORT CUresult cuMemGetDefaultMemPool(CUmemoryPool *pp, CUmemLocation *loc, int type);
CUresult cuMemGetDefaultMemPool(CUmemoryPool *pp, CUmemLocation *loc, int type)
{
	HIT(cuMemGetDefaultMemPool);
	NEED_INIT();
	int d = loc_dev(loc, type);
	if (!pp || d < 0)
		return CUDA_ERROR_INVALID_VALUE;
	*pp = &default_pool[d];
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemGetMemPool(CUmemoryPool *pp, CUmemLocation *loc, int type);
CUresult cuMemGetMemPool(CUmemoryPool *pp, CUmemLocation *loc, int type)
{
	HIT(cuMemGetMemPool);
	NEED_INIT();
	int d = loc_dev(loc, type);
	if (!pp || d < 0)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	*pp = cur_pool[d];
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemSetMemPool(CUmemLocation *loc, int type, CUmemoryPool p);
CUresult cuMemSetMemPool(CUmemLocation *loc, int type, CUmemoryPool p)
{
	HIT(cuMemSetMemPool);
	NEED_INIT();
	int d = loc_dev(loc, type);
	if (d < 0 || !pool_ok(p) || p->dev != d)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	cur_pool[d] = p;
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

/* ---- virtual memory management ---- */

EXPORT CUresult cuMemGetAllocationGranularity(size_t *g, const CUmemAllocationProp *prop, int opt);
CUresult cuMemGetAllocationGranularity(size_t *g, const CUmemAllocationProp *prop, int opt)
{
	HIT(cuMemGetAllocationGranularity);
	NEED_INIT();
	(void)opt;
	if (!g || !prop)
		return CUDA_ERROR_INVALID_VALUE;
	*g = GRAN;
	return CUDA_SUCCESS;
}

static struct handle *find_handle(uint64_t id)
{
	for (size_t i = 0; i < nhandles; i++)
		if (handles[i].id == id)
			return &handles[i];
	return NULL;
}

/* Physical memory goes when released and no longer mapped. */
static void handle_maybe_free(struct handle *h)
{
	if (h->released && h->maps == 0) {
		if (h->dev >= 0)
			uncharge(h->dev, h->size);
		*h = handles[--nhandles];
	}
}

EXPORT CUresult cuMemCreate(CUmemGenericAllocationHandle *ph, size_t n,
			    const CUmemAllocationProp *prop, unsigned long long flags);
CUresult cuMemCreate(CUmemGenericAllocationHandle *ph, size_t n,
		     const CUmemAllocationProp *prop, unsigned long long flags)
{
	HIT(cuMemCreate);
	NEED_INIT();
	if (!ph || !prop || flags || n == 0 || n % GRAN)
		return CUDA_ERROR_INVALID_VALUE;
	int dev = -1;
	if (prop->location.type == CU_MEM_LOCATION_TYPE_DEVICE) {
		dev = prop->location.id;
		if (phys(dev) < 0)
			return CUDA_ERROR_INVALID_DEVICE;
	} else if (prop->location.type != CU_MEM_LOCATION_TYPE_HOST) {
		return CUDA_ERROR_INVALID_VALUE;
	}
	pthread_mutex_lock(&mu);
	CUresult r = dev >= 0 ? charge(dev, n) : CUDA_SUCCESS;
	if (r == CUDA_SUCCESS) {
		struct handle h = { next_handle++, n, dev, 0, 0, dev };
		VEC_PUSH(handles, nhandles, cap_handles, h);
		*ph = h.id;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemRelease(CUmemGenericAllocationHandle h);
CUresult cuMemRelease(CUmemGenericAllocationHandle h)
{
	HIT(cuMemRelease);
	NEED_INIT();
	pthread_mutex_lock(&mu);
	struct handle *p = find_handle(h);
	CUresult r = p && !p->released ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS) {
		p->released = 1;
		handle_maybe_free(p);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemAddressReserve(CUdeviceptr *pva, size_t n, size_t align, CUdeviceptr want,
				    unsigned long long flags);
CUresult cuMemAddressReserve(CUdeviceptr *pva, size_t n, size_t align, CUdeviceptr want,
			     unsigned long long flags)
{
	HIT(cuMemAddressReserve);
	NEED_INIT();
	(void)want;
	if (!pva || n == 0 || n % GRAN || flags || (align && (align & (align - 1))))
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	struct resv v = { bump(&next_misc, n, align > GRAN ? align : GRAN), n };
	VEC_PUSH(resvs, nresvs, cap_resvs, v);
	pthread_mutex_unlock(&mu);
	*pva = v.va;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAddressFree(CUdeviceptr va, size_t n);
CUresult cuMemAddressFree(CUdeviceptr va, size_t n)
{
	HIT(cuMemAddressFree);
	NEED_INIT();
	CUresult r = CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nresvs; i++)
		if (resvs[i].va == va && resvs[i].size == n) {
			resvs[i] = resvs[--nresvs];
			r = CUDA_SUCCESS;
			break;
		}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemMap(CUdeviceptr va, size_t n, size_t off, CUmemGenericAllocationHandle h,
			 unsigned long long flags);
CUresult cuMemMap(CUdeviceptr va, size_t n, size_t off, CUmemGenericAllocationHandle h,
		  unsigned long long flags)
{
	HIT(cuMemMap);
	NEED_INIT();
	if (flags || n == 0 || n % GRAN || off % GRAN)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	struct handle *p = find_handle(h);
	int inside = 0;
	for (size_t i = 0; i < nresvs; i++)
		inside |= va >= resvs[i].va && va - resvs[i].va + n <= resvs[i].size;
	CUresult r = p && !p->released && inside && off + n <= p->size ? CUDA_SUCCESS
								       : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS) {
		struct mapping m = { va, n, h };
		VEC_PUSH(maps, nmaps, cap_maps, m);
		p->maps++;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemUnmap(CUdeviceptr va, size_t n);
CUresult cuMemUnmap(CUdeviceptr va, size_t n)
{
	HIT(cuMemUnmap);
	NEED_INIT();
	CUresult r = CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nmaps;) {
		if (maps[i].va >= va && maps[i].va - va < n) {
			struct handle *p = find_handle(maps[i].handle);
			if (p) {
				p->maps--;
				handle_maybe_free(p);
			}
			maps[i] = maps[--nmaps];
			r = CUDA_SUCCESS;
			continue;
		}
		i++;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemSetAccess(CUdeviceptr va, size_t n, const CUmemAccessDesc *d, size_t count);
CUresult cuMemSetAccess(CUdeviceptr va, size_t n, const CUmemAccessDesc *d, size_t count)
{
	HIT(cuMemSetAccess);
	NEED_INIT();
	(void)va;
	(void)n;
	return d && count ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* ---- IPC ---- */

EXPORT CUresult cuIpcGetMemHandle(CUipcMemHandle *h, CUdeviceptr p);
CUresult cuIpcGetMemHandle(CUipcMemHandle *h, CUdeviceptr p)
{
	HIT(cuIpcGetMemHandle);
	NEED_INIT();
	if (!h)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	CUresult r = find_alloc(p, K_LINEAR) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_unlock(&mu);
	memset(h, 0, sizeof(*h));
	memcpy(h->reserved, &p, sizeof(p));
	return r;
}

static CUresult ipc_open(CUdeviceptr *out, CUipcMemHandle h)
{
	CUcontext c;
	NEED_CTX(c);
	CUdeviceptr p;
	memcpy(&p, h.reserved, sizeof(p));
	if (!out)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	struct alloc *a = find_alloc(p, K_LINEAR);
	CUresult r = a ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
	if (a) {
		uint64_t size = a->size;
		*out = bump(&next_misc, size, 512);
		add_alloc(*out, size, 0, c->dev, K_IPC, NULL);
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuIpcOpenMemHandle(CUdeviceptr *out, CUipcMemHandle h, unsigned int flags);
CUresult cuIpcOpenMemHandle(CUdeviceptr *out, CUipcMemHandle h, unsigned int flags)
{
	HIT(cuIpcOpenMemHandle);
	(void)flags;
	return ipc_open(out, h);
}
EXPORT CUresult cuIpcOpenMemHandle_v2(CUdeviceptr *out, CUipcMemHandle h, unsigned int flags);
CUresult cuIpcOpenMemHandle_v2(CUdeviceptr *out, CUipcMemHandle h, unsigned int flags)
{
	HIT(cuIpcOpenMemHandle_v2);
	(void)flags;
	return ipc_open(out, h);
}
EXPORT CUresult cuIpcCloseMemHandle(CUdeviceptr p);
CUresult cuIpcCloseMemHandle(CUdeviceptr p)
{
	HIT(cuIpcCloseMemHandle);
	return free_kind(p, K_IPC);
}

/* ---- entry points ---- */

EXPORT CUresult cuGetExportTable(const void **table, const CUuuid *id);
CUresult cuGetExportTable(const void **table, const CUuuid *id)
{
	HIT(cuGetExportTable);
	(void)id;
	if (table)
		*table = NULL;
	return CUDA_ERROR_NOT_SUPPORTED; /* the private tables are NVIDIA's */
}

/* ---- memory of other owners: shareable handles, multicast, external ---- */

/* The "shareable handle" is the handle's number (an int, as a POSIX fd). */
EXPORT CUresult cuMemExportToShareableHandle(void *out, CUmemGenericAllocationHandle h, int type,
					     unsigned long long flags);
CUresult cuMemExportToShareableHandle(void *out, CUmemGenericAllocationHandle h, int type,
				      unsigned long long flags)
{
	HIT(cuMemExportToShareableHandle);
	NEED_INIT();
	(void)type;
	pthread_mutex_lock(&mu);
	CUresult r = out && !flags && find_handle(h) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_unlock(&mu);
	if (r == CUDA_SUCCESS) {
		int fd = (int)h;
		memcpy(out, &fd, sizeof(fd));
	}
	return r;
}

/* A new handle to the same memory: it costs nothing more. */
EXPORT CUresult cuMemImportFromShareableHandle(CUmemGenericAllocationHandle *ph, void *os,
					       int type);
CUresult cuMemImportFromShareableHandle(CUmemGenericAllocationHandle *ph, void *os, int type)
{
	HIT(cuMemImportFromShareableHandle);
	NEED_INIT();
	(void)type;
	pthread_mutex_lock(&mu);
	struct handle *src = ph ? find_handle((uint64_t)(uintptr_t)os) : NULL;
	CUresult r = src ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS) {
		struct handle h = { next_handle++, src->size, -1, 0, 0, src->loc };
		VEC_PUSH(handles, nhandles, cap_handles, h);
		*ph = h.id;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT CUresult cuMemGetAllocationPropertiesFromHandle(CUmemAllocationProp *prop,
						       CUmemGenericAllocationHandle h);
CUresult cuMemGetAllocationPropertiesFromHandle(CUmemAllocationProp *prop,
						CUmemGenericAllocationHandle h)
{
	HIT(cuMemGetAllocationPropertiesFromHandle);
	NEED_INIT();
	pthread_mutex_lock(&mu);
	struct handle *p = prop ? find_handle(h) : NULL;
	if (p) {
		memset(prop, 0, sizeof(*prop));
		prop->type = CU_MEM_ALLOCATION_TYPE_PINNED;
		prop->location.type = p->loc >= 0 ? CU_MEM_LOCATION_TYPE_DEVICE
						  : CU_MEM_LOCATION_TYPE_HOST;
		prop->location.id = p->loc >= 0 ? p->loc : 0;
	}
	pthread_mutex_unlock(&mu);
	return p ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* A multicast object owns no memory: its members bind theirs. */
EXPORT CUresult cuMulticastCreate(CUmemGenericAllocationHandle *ph, const CUmulticastObjectProp *p);
CUresult cuMulticastCreate(CUmemGenericAllocationHandle *ph, const CUmulticastObjectProp *p)
{
	HIT(cuMulticastCreate);
	NEED_INIT();
	if (!ph || !p || !p->numDevices || !p->size || p->size % GRAN)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	struct handle h = { next_handle++, p->size, -1, 0, 0, -1 };
	VEC_PUSH(handles, nhandles, cap_handles, h);
	*ph = h.id;
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}

static CUresult mc_check(CUmemGenericAllocationHandle mc, CUmemGenericAllocationHandle mem)
{
	NEED_INIT();
	pthread_mutex_lock(&mu);
	CUresult r = find_handle(mc) && (!mem || find_handle(mem)) ? CUDA_SUCCESS
								    : CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_unlock(&mu);
	return r;
}
EXPORT CUresult cuMulticastAddDevice(CUmemGenericAllocationHandle mc, CUdevice d);
CUresult cuMulticastAddDevice(CUmemGenericAllocationHandle mc, CUdevice d)
{
	HIT(cuMulticastAddDevice);
	return phys(d) < 0 ? CUDA_ERROR_INVALID_DEVICE : mc_check(mc, 0);
}
EXPORT CUresult cuMulticastBindMem(CUmemGenericAllocationHandle mc, size_t mcoff,
				   CUmemGenericAllocationHandle mem, size_t memoff, size_t n,
				   unsigned long long flags);
CUresult cuMulticastBindMem(CUmemGenericAllocationHandle mc, size_t mcoff,
			    CUmemGenericAllocationHandle mem, size_t memoff, size_t n,
			    unsigned long long flags)
{
	HIT(cuMulticastBindMem);
	(void)mcoff, (void)memoff, (void)n, (void)flags;
	return mc_check(mc, mem);
}
EXPORT CUresult cuMulticastUnbind(CUmemGenericAllocationHandle mc, CUdevice d, size_t off,
				  size_t n);
CUresult cuMulticastUnbind(CUmemGenericAllocationHandle mc, CUdevice d, size_t off, size_t n)
{
	HIT(cuMulticastUnbind);
	(void)d, (void)off, (void)n;
	return mc_check(mc, 0);
}

/* Every level of a mipmapped array: each extent halves (never below 1). */
EXPORT CUresult cuMipmappedArrayCreate(CUarray *ph, const CUDA_ARRAY3D_DESCRIPTOR *a,
				       unsigned int levels);
CUresult cuMipmappedArrayCreate(CUarray *ph, const CUDA_ARRAY3D_DESCRIPTOR *a, unsigned int levels)
{
	HIT(cuMipmappedArrayCreate);
	CUcontext c;
	NEED_CTX(c);
	uint64_t e = a ? fmt_bytes(a->Format) : 0;
	if (!ph || !e || !levels || levels > 16 || a->Flags)
		return CUDA_ERROR_INVALID_VALUE;
	uint64_t n = 0;
	for (unsigned int l = 0; l < levels; l++) {
		uint64_t w = a->Width >> l, h = a->Height >> l, d = a->Depth >> l;
		n += (w ? w : 1) * (a->Height ? (h ? h : 1) : 1) * (a->Depth ? (d ? d : 1) : 1) *
		     e * a->NumChannels;
	}
	pthread_mutex_lock(&mu);
	CUresult r = charge(c->dev, n);
	if (r == CUDA_SUCCESS) {
		uint64_t addr = bump(&next_misc, 64, 64);
		add_alloc(addr, 64, n, c->dev, K_ARRAY, NULL);
		*ph = (CUarray)(uintptr_t)addr;
	}
	pthread_mutex_unlock(&mu);
	return r;
}
EXPORT CUresult cuMipmappedArrayDestroy(CUarray a);
CUresult cuMipmappedArrayDestroy(CUarray a)
{
	HIT(cuMipmappedArrayDestroy);
	return free_kind((uint64_t)(uintptr_t)a, K_ARRAY);
}

/* External memory belongs to its exporter (Vulkan, another process): a
 * buffer of it costs nothing here, and cuMemFree unmaps it. */
EXPORT CUresult cuImportExternalMemory(void **ext, const CUDA_EXTERNAL_MEMORY_HANDLE_DESC *d);
CUresult cuImportExternalMemory(void **ext, const CUDA_EXTERNAL_MEMORY_HANDLE_DESC *d)
{
	HIT(cuImportExternalMemory);
	CUcontext c;
	NEED_CTX(c);
	if (!ext || !d || !d->size)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	uint64_t a = bump(&next_misc, 64, 64);
	add_alloc(a, d->size, 0, c->dev, K_IPC, NULL);
	pthread_mutex_unlock(&mu);
	*ext = (void *)(uintptr_t)a;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuExternalMemoryGetMappedBuffer(CUdeviceptr *p, void *ext,
						const CUDA_EXTERNAL_MEMORY_BUFFER_DESC *d);
CUresult cuExternalMemoryGetMappedBuffer(CUdeviceptr *p, void *ext,
					 const CUDA_EXTERNAL_MEMORY_BUFFER_DESC *d)
{
	HIT(cuExternalMemoryGetMappedBuffer);
	NEED_INIT();
	pthread_mutex_lock(&mu);
	struct alloc *x = find_alloc((uint64_t)(uintptr_t)ext, K_IPC);
	CUresult r = p && d && x && d->offset + d->size <= x->size ? CUDA_SUCCESS
								     : CUDA_ERROR_INVALID_VALUE;
	if (r == CUDA_SUCCESS) {
		int dev = x->dev;
		*p = bump(&next_misc, d->size, 512);
		add_alloc(*p, d->size, 0, dev, K_LINEAR, NULL);
	}
	pthread_mutex_unlock(&mu);
	return r;
}
EXPORT CUresult cuDestroyExternalMemory(void *ext);
CUresult cuDestroyExternalMemory(void *ext)
{
	HIT(cuDestroyExternalMemory);
	return free_kind((uint64_t)(uintptr_t)ext, K_IPC);
}

/* Green contexts: a share of a device's SMs; no memory of their own here. */
EXPORT CUresult cuGreenCtxCreate(void **ctx, void *desc, CUdevice d, unsigned int flags);
CUresult cuGreenCtxCreate(void **ctx, void *desc, CUdevice d, unsigned int flags)
{
	HIT(cuGreenCtxCreate);
	NEED_INIT();
	(void)desc;
	if (!ctx || phys(d) < 0 || flags != 1 /* CU_GREEN_CTX_DEFAULT_STREAM */)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&mu);
	*ctx = (void *)(uintptr_t)bump(&next_misc, 64, 64);
	pthread_mutex_unlock(&mu);
	return CUDA_SUCCESS;
}
EXPORT CUresult cuGreenCtxDestroy(void *ctx);
CUresult cuGreenCtxDestroy(void *ctx)
{
	HIT(cuGreenCtxDestroy);
	NEED_INIT();
	return ctx ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuGetProcAddress(const char *symbol, void **pfn, int ver, cuuint64_t flags);
EXPORT CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int ver, cuuint64_t flags,
				    int *status);

struct fn_row { const char *name, *base; int version, per_thread; void *fn; };
static const struct fn_row fn_rows[FX_COUNT] = {
#define FX_ROW(name, base, ver, pt) { #name, #base, ver, pt, (void *)name },
	FAKE_FUNCS(FX_ROW)
#undef FX_ROW
};

static CUresult lookup(const char *symbol, void **pfn, int ver, cuuint64_t flags, int *status)
{
	cfg();
	if (!symbol || !pfn)
		return CUDA_ERROR_INVALID_VALUE;
	if (ver > driver_version)
		return CUDA_ERROR_INVALID_VALUE;
	int pt = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) &&
		 !(flags & CU_GET_PROC_ADDRESS_LEGACY_STREAM);
	int found = 0, best = -1, best_pt = -1;
	for (int i = 0; i < FX_COUNT; i++) {
		if (strcmp(fn_rows[i].base, symbol) != 0)
			continue;
		found = 1;
		if (fn_rows[i].version > ver)
			continue;
		int *slot = fn_rows[i].per_thread ? &best_pt : &best;
		if (*slot < 0 || fn_rows[*slot].version < fn_rows[i].version)
			*slot = i;
	}
	int pick = pt && best_pt >= 0 ? best_pt : best;
	*pfn = pick >= 0 ? fn_rows[pick].fn : NULL;
	if (status)
		*status = pick >= 0 ? CU_GET_PROC_ADDRESS_SUCCESS
			: found ? CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
				: CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
	return CUDA_SUCCESS;
}

CUresult cuGetProcAddress(const char *symbol, void **pfn, int ver, cuuint64_t flags)
{
	HIT(cuGetProcAddress);
	return lookup(symbol, pfn, ver, flags, NULL);
}

CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int ver, cuuint64_t flags,
			     int *status)
{
	HIT(cuGetProcAddress_v2);
	return lookup(symbol, pfn, ver, flags, status);
}

/* ---- test hooks ---- */

EXPORT int fakecuda_calls(const char *name)
{
	for (int i = 0; i < FX_COUNT; i++) {
		if (strcmp(fn_rows[i].name, name) != 0)
			continue;
		int n = 0;
		for (int k = 0; k < NSHARD; k++)
			n += atomic_load(&calls[k].n[i]);
		return n;
	}
	return -1;
}

EXPORT void *fakecuda_addr(const char *name)
{
	for (int i = 0; i < FX_COUNT; i++)
		if (strcmp(fn_rows[i].name, name) == 0)
			return fn_rows[i].fn;
	return NULL;
}

EXPORT long long fakecuda_used(int ordinal)
{
	cfg();
	pthread_mutex_lock(&mu);
	int p = phys(ordinal);
	long long u = p >= 0 ? (long long)used[p] : -1;
	pthread_mutex_unlock(&mu);
	return u;
}
