/*
 * shim_wrap.c - one wrapper per intercepted driver entry point.
 *
 * Each variant has two entry functions with the driver's signature: the
 * exported one (a program linked with -lcuda calls it; it calls the next
 * definition after the shim, so other interposers still run) and a hidden
 * one that cuGetProcAddress and dlsym hand out (it calls the driver's own
 * function, the one the caller would have got). Both share the do_<name>
 * body, which calls the real function, then records the call: results
 * and errno are passed back untouched, failures are recorded too.
 *
 * Device attribution follows each call's own rule: the current context
 * for cuMemAlloc*, managed, pitch and arrays; prop->location for
 * cuMemCreate; the pool's device for cuMemAllocFromPoolAsync; the
 * stream's device for cuMemAllocAsync and cuMemFreeAsync.
 */
#include "shim.h"
#include "shim_wrap.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* ---- linear device memory ---- */

typedef CUresult (*f_alloc1)(unsigned int *, unsigned int);
static CUresult do_cuMemAlloc(void *fn, unsigned int *dptr, unsigned int n)
{
	BEGIN;
	CUresult r = ((f_alloc1)fn)(dptr, n);
	FINISH(rec(VRT_API_cuMemAlloc, r, shim_cur_dev(), n, n, OUT(r, dptr), 0, 0));
	return r;
}
ENTRY(cuMemAlloc, (unsigned int *dptr, unsigned int n), (dptr, n))

typedef CUresult (*f_alloc2)(CUdeviceptr *, size_t);
static CUresult do_cuMemAlloc_v2(void *fn, CUdeviceptr *dptr, size_t n)
{
	BEGIN;
	CUresult r = ((f_alloc2)fn)(dptr, n);
	FINISH(rec(VRT_API_cuMemAlloc_v2, r, shim_cur_dev(), n, n, OUT(r, dptr), 0, 0));
	return r;
}
ENTRY(cuMemAlloc_v2, (CUdeviceptr *dptr, size_t n), (dptr, n))

typedef CUresult (*f_pitch1)(unsigned int *, unsigned int *, unsigned int, unsigned int,
			     unsigned int);
static CUresult do_cuMemAllocPitch(void *fn, unsigned int *dptr, unsigned int *pitch,
				   unsigned int w, unsigned int h, unsigned int elem)
{
	BEGIN;
	CUresult r = ((f_pitch1)fn)(dptr, pitch, w, h, elem);
	FINISH(rec(VRT_API_cuMemAllocPitch, r, shim_cur_dev(), (uint64_t)w * h,
		   r == CUDA_SUCCESS && pitch ? (uint64_t)*pitch * h : (uint64_t)w * h,
		   OUT(r, dptr), 0, 0));
	return r;
}
ENTRY(cuMemAllocPitch, (unsigned int *dptr, unsigned int *pitch, unsigned int w,
			unsigned int h, unsigned int elem), (dptr, pitch, w, h, elem))

typedef CUresult (*f_pitch2)(CUdeviceptr *, size_t *, size_t, size_t, unsigned int);
static CUresult do_cuMemAllocPitch_v2(void *fn, CUdeviceptr *dptr, size_t *pitch, size_t w,
				      size_t h, unsigned int elem)
{
	BEGIN;
	CUresult r = ((f_pitch2)fn)(dptr, pitch, w, h, elem);
	FINISH(rec(VRT_API_cuMemAllocPitch_v2, r, shim_cur_dev(), (uint64_t)w * h,
		   r == CUDA_SUCCESS && pitch ? (uint64_t)*pitch * h : (uint64_t)w * h,
		   OUT(r, dptr), 0, 0));
	return r;
}
ENTRY(cuMemAllocPitch_v2, (CUdeviceptr *dptr, size_t *pitch, size_t w, size_t h,
			   unsigned int elem), (dptr, pitch, w, h, elem))

typedef CUresult (*f_free1)(unsigned int);
static CUresult do_cuMemFree(void *fn, unsigned int p)
{
	BEGIN;
	CUresult r = ((f_free1)fn)(p);
	FINISH(rec(VRT_API_cuMemFree, r, shim_cur_dev(), 0, 0, p, 0, 0));
	return r;
}
ENTRY(cuMemFree, (unsigned int p), (p))

typedef CUresult (*f_free2)(CUdeviceptr);
static CUresult do_cuMemFree_v2(void *fn, CUdeviceptr p)
{
	BEGIN;
	CUresult r = ((f_free2)fn)(p);
	FINISH(rec(VRT_API_cuMemFree_v2, r, shim_cur_dev(), 0, 0, p, 0, 0));
	return r;
}
ENTRY(cuMemFree_v2, (CUdeviceptr p), (p))

typedef CUresult (*f_managed)(CUdeviceptr *, size_t, unsigned int);
static CUresult do_cuMemAllocManaged(void *fn, CUdeviceptr *dptr, size_t n, unsigned int flags)
{
	BEGIN;
	CUresult r = ((f_managed)fn)(dptr, n, flags);
	FINISH(rec(VRT_API_cuMemAllocManaged, r, shim_cur_dev(), n, n, OUT(r, dptr), flags, 0));
	return r;
}
ENTRY(cuMemAllocManaged, (CUdeviceptr *dptr, size_t n, unsigned int flags), (dptr, n, flags))

/* ---- pinned host memory ---- */

typedef CUresult (*f_host1)(void **, unsigned int);
static CUresult do_cuMemAllocHost(void *fn, void **pp, unsigned int n)
{
	BEGIN;
	CUresult r = ((f_host1)fn)(pp, n);
	FINISH(rec(VRT_API_cuMemAllocHost, r, VRT_DEV_HOST, n, n, OUT(r, pp), 0, 0));
	return r;
}
ENTRY(cuMemAllocHost, (void **pp, unsigned int n), (pp, n))

typedef CUresult (*f_host2)(void **, size_t);
static CUresult do_cuMemAllocHost_v2(void *fn, void **pp, size_t n)
{
	BEGIN;
	CUresult r = ((f_host2)fn)(pp, n);
	FINISH(rec(VRT_API_cuMemAllocHost_v2, r, VRT_DEV_HOST, n, n, OUT(r, pp), 0, 0));
	return r;
}
ENTRY(cuMemAllocHost_v2, (void **pp, size_t n), (pp, n))

typedef CUresult (*f_hostalloc)(void **, size_t, unsigned int);
static CUresult do_cuMemHostAlloc(void *fn, void **pp, size_t n, unsigned int flags)
{
	BEGIN;
	CUresult r = ((f_hostalloc)fn)(pp, n, flags);
	FINISH(rec(VRT_API_cuMemHostAlloc, r, VRT_DEV_HOST, n, n, OUT(r, pp), flags, 0));
	return r;
}
ENTRY(cuMemHostAlloc, (void **pp, size_t n, unsigned int flags), (pp, n, flags))

typedef CUresult (*f_hostfree)(void *);
static CUresult do_cuMemFreeHost(void *fn, void *p)
{
	BEGIN;
	CUresult r = ((f_hostfree)fn)(p);
	FINISH(rec(VRT_API_cuMemFreeHost, r, VRT_DEV_HOST, 0, 0, ptr64(p), 0, 0));
	return r;
}
ENTRY(cuMemFreeHost, (void *p), (p))

typedef CUresult (*f_hostreg)(void *, size_t, unsigned int);
static CUresult do_cuMemHostRegister(void *fn, void *p, size_t n, unsigned int flags)
{
	BEGIN;
	CUresult r = ((f_hostreg)fn)(p, n, flags);
	FINISH(rec(VRT_API_cuMemHostRegister, r, VRT_DEV_HOST, n, n, ptr64(p), flags, 0));
	return r;
}
ENTRY(cuMemHostRegister, (void *p, size_t n, unsigned int flags), (p, n, flags))

static CUresult do_cuMemHostRegister_v2(void *fn, void *p, size_t n, unsigned int flags)
{
	BEGIN;
	CUresult r = ((f_hostreg)fn)(p, n, flags);
	FINISH(rec(VRT_API_cuMemHostRegister_v2, r, VRT_DEV_HOST, n, n, ptr64(p), flags, 0));
	return r;
}
ENTRY(cuMemHostRegister_v2, (void *p, size_t n, unsigned int flags), (p, n, flags))

static CUresult do_cuMemHostUnregister(void *fn, void *p)
{
	BEGIN;
	CUresult r = ((f_hostfree)fn)(p);
	FINISH(rec(VRT_API_cuMemHostUnregister, r, VRT_DEV_HOST, 0, 0, ptr64(p), 0, 0));
	return r;
}
ENTRY(cuMemHostUnregister, (void *p), (p))

/* ---- arrays: bytes from the descriptor ---- */

/* Bytes per element of a CUarray_format (cuda.h CU_AD_FORMAT_*); 0 for
 * block-compressed and video formats, whose size is not per element. */
static uint64_t elem_bytes(int fmt, unsigned int channels)
{
	switch (fmt) {
	case 0x01: case 0x08: return 1ull * channels;              /* (un)signed int8 */
	case 0x02: case 0x09: case 0x10: return 2ull * channels;   /* int16, half */
	case 0x03: case 0x0a: case 0x20: return 4ull * channels;   /* int32, float */
	case 0xc0: case 0xc6: return 1;                            /* [us]norm int8x1 */
	case 0xc1: case 0xc3: case 0xc7: case 0xc9: return 2;      /* int8x2, int16x1 */
	case 0xc2: case 0xc4: case 0xc8: case 0xca: case 0x50: return 4;
	case 0xc5: case 0xcb: return 8;                            /* int16x4 */
	default: return 0;
	}
}

uint64_t shim_array_bytes(uint64_t w, uint64_t h, uint64_t d, int fmt, unsigned int ch)
{
	uint64_t n = elem_bytes(fmt, ch);
	if (__builtin_mul_overflow(n, w, &n) || __builtin_mul_overflow(n, h ? h : 1, &n) ||
	    __builtin_mul_overflow(n, d ? d : 1, &n))
		return UINT64_MAX;
	return n;
}

typedef CUresult (*f_arr1)(CUarray *, const struct cu_array_desc_v1 *);
static CUresult do_cuArrayCreate(void *fn, CUarray *ph, const struct cu_array_desc_v1 *a)
{
	BEGIN;
	CUresult r = ((f_arr1)fn)(ph, a);
	uint64_t n = a ? shim_array_bytes(a->Width, a->Height, 1, a->Format, a->NumChannels) : 0;
	FINISH(rec(VRT_API_cuArrayCreate, r, shim_cur_dev(), n, n, OUT(r, ph), 0, 0));
	return r;
}
ENTRY(cuArrayCreate, (CUarray *ph, const struct cu_array_desc_v1 *a), (ph, a))

typedef CUresult (*f_arr2)(CUarray *, const struct cu_array_desc *);
static CUresult do_cuArrayCreate_v2(void *fn, CUarray *ph, const struct cu_array_desc *a)
{
	BEGIN;
	CUresult r = ((f_arr2)fn)(ph, a);
	uint64_t n = a ? shim_array_bytes(a->Width, a->Height, 1, a->Format, a->NumChannels) : 0;
	FINISH(rec(VRT_API_cuArrayCreate_v2, r, shim_cur_dev(), n, n, OUT(r, ph), 0, 0));
	return r;
}
ENTRY(cuArrayCreate_v2, (CUarray *ph, const struct cu_array_desc *a), (ph, a))

typedef CUresult (*f_arr3d1)(CUarray *, const struct cu_array3d_desc_v1 *);
static CUresult do_cuArray3DCreate(void *fn, CUarray *ph, const struct cu_array3d_desc_v1 *a)
{
	BEGIN;
	CUresult r = ((f_arr3d1)fn)(ph, a);
	uint64_t n = a ? shim_array_bytes(a->Width, a->Height, a->Depth, a->Format,
					  a->NumChannels) : 0;
	FINISH(rec(VRT_API_cuArray3DCreate, r, shim_cur_dev(), n, n, OUT(r, ph), 0, 0));
	return r;
}
ENTRY(cuArray3DCreate, (CUarray *ph, const struct cu_array3d_desc_v1 *a), (ph, a))

typedef CUresult (*f_arr3d2)(CUarray *, const struct cu_array3d_desc *);
static CUresult do_cuArray3DCreate_v2(void *fn, CUarray *ph, const struct cu_array3d_desc *a)
{
	BEGIN;
	CUresult r = ((f_arr3d2)fn)(ph, a);
	uint64_t n = a ? shim_array_bytes(a->Width, a->Height, a->Depth, a->Format,
					  a->NumChannels) : 0;
	FINISH(rec(VRT_API_cuArray3DCreate_v2, r, shim_cur_dev(), n, n, OUT(r, ph), 0, 0));
	return r;
}
ENTRY(cuArray3DCreate_v2, (CUarray *ph, const struct cu_array3d_desc *a), (ph, a))

typedef CUresult (*f_arrfree)(CUarray);
static CUresult do_cuArrayDestroy(void *fn, CUarray a)
{
	BEGIN;
	CUresult r = ((f_arrfree)fn)(a);
	FINISH(rec(VRT_API_cuArrayDestroy, r, shim_cur_dev(), 0, 0, ptr64(a), 0, 0));
	return r;
}
ENTRY(cuArrayDestroy, (CUarray a), (a))

/* ---- stream-ordered allocation ---- */

/* Is s being captured into a graph? Asked before the call (the call does
 * not change it); the _ptsz variants ask the _ptsz queries, whose default
 * stream is the per-thread one. Returns VRT_AUX_CAPTURED with the graph
 * being captured (cuStreamGetCaptureInfo_v2, else _v3; 0 when neither
 * exists and only cuStreamIsCapturing can say), or 0. */
static uint64_t captured(CUstream s, int ptsz)
{
	const struct shim_real *R = &shim_real;
	int st = 0;
	CUgraph g = NULL;
	CUresult r = CUDA_ERROR_INVALID_VALUE;
	if (ptsz && R->capture_info_v2_ptsz)
		r = R->capture_info_v2_ptsz(s, &st, NULL, &g, NULL, NULL);
	else if (R->capture_info_v2)
		r = R->capture_info_v2(s, &st, NULL, &g, NULL, NULL);
	else if (ptsz && R->capture_info_v3_ptsz)
		r = R->capture_info_v3_ptsz(s, &st, NULL, &g, NULL, NULL, NULL);
	else if (R->capture_info_v3)
		r = R->capture_info_v3(s, &st, NULL, &g, NULL, NULL, NULL);
	if (r != CUDA_SUCCESS) {
		CUresult (*q)(CUstream, int *) = ptsz && R->stream_is_capturing_ptsz
							 ? R->stream_is_capturing_ptsz
							 : R->stream_is_capturing;
		g = NULL;
		if (!q || q(s, &st) != CUDA_SUCCESS)
			return 0;
	}
	/* CU_STREAM_CAPTURE_STATUS_ACTIVE (cuda.h CUstreamCaptureStatus) */
	return st == 1 ? VRT_AUX_CAPTURED | (ptr64(g) & ~VRT_AUX_CAPTURED) : 0;
}

typedef CUresult (*f_async)(CUdeviceptr *, size_t, CUstream);
static CUresult async_alloc(uint16_t api, int ptsz, void *fn, CUdeviceptr *dptr, size_t n,
			    CUstream s)
{
	BEGIN;
	uint64_t cap = 0;
	BEFORE(cap = captured(s, ptsz));
	CUresult r = ((f_async)fn)(dptr, n, s);
	FINISH(rec(api, r, shim_stream_dev(s), n, n, OUT(r, dptr), cap, ptr64(s)));
	return r;
}
static CUresult do_cuMemAllocAsync(void *fn, CUdeviceptr *dptr, size_t n, CUstream s)
{
	return async_alloc(VRT_API_cuMemAllocAsync, 0, fn, dptr, n, s);
}
static CUresult do_cuMemAllocAsync_ptsz(void *fn, CUdeviceptr *dptr, size_t n, CUstream s)
{
	return async_alloc(VRT_API_cuMemAllocAsync_ptsz, 1, fn, dptr, n, s);
}
ENTRY(cuMemAllocAsync, (CUdeviceptr *dptr, size_t n, CUstream s), (dptr, n, s))
ENTRY(cuMemAllocAsync_ptsz, (CUdeviceptr *dptr, size_t n, CUstream s), (dptr, n, s))

typedef CUresult (*f_frompool)(CUdeviceptr *, size_t, CUmemoryPool, CUstream);
static CUresult pool_alloc(uint16_t api, int ptsz, void *fn, CUdeviceptr *dptr, size_t n,
			   CUmemoryPool pool, CUstream s)
{
	BEGIN;
	uint64_t cap = 0;
	BEFORE(cap = captured(s, ptsz));
	CUresult r = ((f_frompool)fn)(dptr, n, pool, s);
	int dev = VRT_DEV_UNKNOWN;
	/* aux: the pool, or for a captured call the graph (VRT_AUX_CAPTURED). */
	FINISH(dev = shim_pool_dev(pool); if (dev == VRT_DEV_UNKNOWN) dev = shim_stream_dev(s);
	       rec(api, r, dev, n, n, OUT(r, dptr), cap ? cap : ptr64(pool), ptr64(s)));
	return r;
}
static CUresult do_cuMemAllocFromPoolAsync(void *fn, CUdeviceptr *dptr, size_t n,
					   CUmemoryPool pool, CUstream s)
{
	return pool_alloc(VRT_API_cuMemAllocFromPoolAsync, 0, fn, dptr, n, pool, s);
}
static CUresult do_cuMemAllocFromPoolAsync_ptsz(void *fn, CUdeviceptr *dptr, size_t n,
						CUmemoryPool pool, CUstream s)
{
	return pool_alloc(VRT_API_cuMemAllocFromPoolAsync_ptsz, 1, fn, dptr, n, pool, s);
}
ENTRY(cuMemAllocFromPoolAsync, (CUdeviceptr *dptr, size_t n, CUmemoryPool pool, CUstream s),
      (dptr, n, pool, s))
ENTRY(cuMemAllocFromPoolAsync_ptsz, (CUdeviceptr *dptr, size_t n, CUmemoryPool pool,
				     CUstream s), (dptr, n, pool, s))

typedef CUresult (*f_freeasync)(CUdeviceptr, CUstream);
static CUresult async_free(uint16_t api, int ptsz, void *fn, CUdeviceptr p, CUstream s)
{
	BEGIN;
	uint64_t cap = 0;
	BEFORE(cap = captured(s, ptsz));
	CUresult r = ((f_freeasync)fn)(p, s);
	FINISH(rec(api, r, shim_stream_dev(s), 0, 0, p, cap, ptr64(s)));
	return r;
}
static CUresult do_cuMemFreeAsync(void *fn, CUdeviceptr p, CUstream s)
{
	return async_free(VRT_API_cuMemFreeAsync, 0, fn, p, s);
}
static CUresult do_cuMemFreeAsync_ptsz(void *fn, CUdeviceptr p, CUstream s)
{
	return async_free(VRT_API_cuMemFreeAsync_ptsz, 1, fn, p, s);
}
ENTRY(cuMemFreeAsync, (CUdeviceptr p, CUstream s), (p, s))
ENTRY(cuMemFreeAsync_ptsz, (CUdeviceptr p, CUstream s), (p, s))

/* ---- pools ---- */

int shim_location_dev(const struct cu_mem_location *loc)
{
	switch (loc->type) {
	case CU_MEM_LOCATION_TYPE_DEVICE:
		return loc->id >= 0 && loc->id < VRT_MAX_DEVICES ? loc->id : VRT_DEV_UNKNOWN;
	case CU_MEM_LOCATION_TYPE_HOST:
	case CU_MEM_LOCATION_TYPE_HOST_NUMA:
	case CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT:
		return VRT_DEV_HOST;
	default:
		return VRT_DEV_UNKNOWN;
	}
}

typedef CUresult (*f_poolcreate)(CUmemoryPool *, const struct cu_pool_props *);
static CUresult do_cuMemPoolCreate(void *fn, CUmemoryPool *pool, const struct cu_pool_props *pp)
{
	BEGIN;
	CUresult r = ((f_poolcreate)fn)(pool, pp);
	int dev = pp ? shim_location_dev(&pp->location) : VRT_DEV_UNKNOWN;
	FINISH(rec(VRT_API_cuMemPoolCreate, r, dev, 0, 0, OUT(r, pool), pp ? pp->maxSize : 0, 0);
	       if (r == CUDA_SUCCESS && pool) shim_pool_set(*pool, dev, 1));
	return r;
}
ENTRY(cuMemPoolCreate, (CUmemoryPool *pool, const struct cu_pool_props *pp), (pool, pp))

typedef CUresult (*f_pooldestroy)(CUmemoryPool);
static CUresult do_cuMemPoolDestroy(void *fn, CUmemoryPool pool)
{
	BEGIN;
	int dev = VRT_DEV_UNKNOWN;
	BEFORE(dev = shim_pool_dev(pool); shim_pool_destroying(pool));
	CUresult r = ((f_pooldestroy)fn)(pool);
	FINISH(rec(VRT_API_cuMemPoolDestroy, r, dev, 0, 0, ptr64(pool), 0, 0));
	return r;
}
ENTRY(cuMemPoolDestroy, (CUmemoryPool pool), (pool))

typedef CUresult (*f_trim)(CUmemoryPool, size_t);
static CUresult do_cuMemPoolTrimTo(void *fn, CUmemoryPool pool, size_t keep)
{
	BEGIN;
	CUresult r = ((f_trim)fn)(pool, keep);
	FINISH(rec(VRT_API_cuMemPoolTrimTo, r, shim_pool_dev(pool), 0, 0, ptr64(pool), keep, 0);
	       if (r == CUDA_SUCCESS) shim_pool_stat(pool));
	return r;
}
ENTRY(cuMemPoolTrimTo, (CUmemoryPool pool, size_t keep), (pool, keep))

typedef CUresult (*f_getpool)(CUmemoryPool *, CUdevice);
static CUresult do_cuDeviceGetDefaultMemPool(void *fn, CUmemoryPool *pool, CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_getpool)fn)(pool, dev);
	FINISH(if (r == CUDA_SUCCESS && pool) shim_pool_set(*pool, dev, 1));
	return r;
}
ENTRY(cuDeviceGetDefaultMemPool, (CUmemoryPool *pool, CUdevice dev), (pool, dev))

static CUresult do_cuDeviceGetMemPool(void *fn, CUmemoryPool *pool, CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_getpool)fn)(pool, dev);
	FINISH(if (r == CUDA_SUCCESS && pool) shim_pool_set(*pool, dev, 1));
	return r;
}
ENTRY(cuDeviceGetMemPool, (CUmemoryPool *pool, CUdevice dev), (pool, dev))

typedef CUresult (*f_setpool)(CUdevice, CUmemoryPool);
static CUresult do_cuDeviceSetMemPool(void *fn, CUdevice dev, CUmemoryPool pool)
{
	BEGIN;
	CUresult r = ((f_setpool)fn)(dev, pool);
	FINISH(if (r == CUDA_SUCCESS) shim_pool_set(pool, dev, 1));
	return r;
}
ENTRY(cuDeviceSetMemPool, (CUdevice dev, CUmemoryPool pool), (dev, pool))

/* CUDA 13: pools by location (a device's, or the host's). */
typedef CUresult (*f_getpool13)(CUmemoryPool *, struct cu_mem_location *, int);
static CUresult get_pool13(void *fn, CUmemoryPool *pool, struct cu_mem_location *loc, int type)
{
	BEGIN;
	CUresult r = ((f_getpool13)fn)(pool, loc, type);
	FINISH(if (r == CUDA_SUCCESS && pool && loc) shim_pool_set(*pool, shim_location_dev(loc), 1));
	return r;
}
static CUresult do_cuMemGetDefaultMemPool(void *fn, CUmemoryPool *pool,
					  struct cu_mem_location *loc, int type)
{
	return get_pool13(fn, pool, loc, type);
}
static CUresult do_cuMemGetMemPool(void *fn, CUmemoryPool *pool, struct cu_mem_location *loc,
				   int type)
{
	return get_pool13(fn, pool, loc, type);
}
ENTRY(cuMemGetDefaultMemPool, (CUmemoryPool *pool, struct cu_mem_location *loc, int type),
      (pool, loc, type))
ENTRY(cuMemGetMemPool, (CUmemoryPool *pool, struct cu_mem_location *loc, int type),
      (pool, loc, type))

typedef CUresult (*f_setpool13)(struct cu_mem_location *, int, CUmemoryPool);
static CUresult do_cuMemSetMemPool(void *fn, struct cu_mem_location *loc, int type,
				   CUmemoryPool pool)
{
	BEGIN;
	CUresult r = ((f_setpool13)fn)(loc, type, pool);
	FINISH(if (r == CUDA_SUCCESS && loc) shim_pool_set(pool, shim_location_dev(loc), 1));
	return r;
}
ENTRY(cuMemSetMemPool, (struct cu_mem_location *loc, int type, CUmemoryPool pool),
      (loc, type, pool))

/* A pool attribute set (the release threshold above all: how much freed
 * memory the pool keeps): recorded, then the pool's reserve. */
typedef CUresult (*f_poolattr)(CUmemoryPool, int, void *);
static CUresult do_cuMemPoolSetAttribute(void *fn, CUmemoryPool pool, int attr, void *value)
{
	BEGIN;
	CUresult r = ((f_poolattr)fn)(pool, attr, value);
	/* Attributes 4-8 are cuuint64_t, 1-3 int (cuda.h CUmemPool_attribute). */
	uint64_t v = 0;
	FINISH(if (value) { if (attr >= 4) memcpy(&v, value, 8); else { int iv; memcpy(&iv, value, 4);
	       v = (uint64_t)(int64_t)iv; } }
	       rec(VRT_API_cuMemPoolSetAttribute, r, shim_pool_dev(pool), (uint64_t)attr, 0,
		   ptr64(pool), v, 0);
	       if (r == CUDA_SUCCESS) shim_pool_stat(pool));
	return r;
}
ENTRY(cuMemPoolSetAttribute, (CUmemoryPool pool, int attr, void *value), (pool, attr, value))

/* ---- virtual memory management ---- */

typedef CUresult (*f_create)(CUmemGenericAllocationHandle *, size_t,
			     const struct cu_alloc_prop *, unsigned long long);
static CUresult do_cuMemCreate(void *fn, CUmemGenericAllocationHandle *h, size_t n,
			       const struct cu_alloc_prop *prop, unsigned long long flags)
{
	BEGIN;
	CUresult r = ((f_create)fn)(h, n, prop, flags);
	FINISH(rec(VRT_API_cuMemCreate, r,
		   prop ? shim_location_dev(&prop->location) : VRT_DEV_UNKNOWN, n, n, OUT(r, h),
		   prop ? (uint64_t)(unsigned)prop->type : 0, 0));
	return r;
}
ENTRY(cuMemCreate, (CUmemGenericAllocationHandle *h, size_t n,
		    const struct cu_alloc_prop *prop, unsigned long long flags),
      (h, n, prop, flags))

typedef CUresult (*f_release)(CUmemGenericAllocationHandle);
static CUresult do_cuMemRelease(void *fn, CUmemGenericAllocationHandle h)
{
	BEGIN;
	CUresult r = ((f_release)fn)(h);
	FINISH(rec(VRT_API_cuMemRelease, r, shim_cur_dev(), 0, 0, h, 0, 0));
	return r;
}
ENTRY(cuMemRelease, (CUmemGenericAllocationHandle h), (h))

typedef CUresult (*f_map)(CUdeviceptr, size_t, size_t, CUmemGenericAllocationHandle,
			  unsigned long long);
static CUresult do_cuMemMap(void *fn, CUdeviceptr va, size_t n, size_t off,
			    CUmemGenericAllocationHandle h, unsigned long long flags)
{
	BEGIN;
	CUresult r = ((f_map)fn)(va, n, off, h, flags);
	FINISH(rec(VRT_API_cuMemMap, r, shim_cur_dev(), off, n, va, h, 0));
	return r;
}
ENTRY(cuMemMap, (CUdeviceptr va, size_t n, size_t off, CUmemGenericAllocationHandle h,
		 unsigned long long flags), (va, n, off, h, flags))

typedef CUresult (*f_unmap)(CUdeviceptr, size_t);
static CUresult do_cuMemUnmap(void *fn, CUdeviceptr va, size_t n)
{
	BEGIN;
	CUresult r = ((f_unmap)fn)(va, n);
	FINISH(rec(VRT_API_cuMemUnmap, r, shim_cur_dev(), n, n, va, 0, 0));
	return r;
}
ENTRY(cuMemUnmap, (CUdeviceptr va, size_t n), (va, n))

typedef CUresult (*f_reserve)(CUdeviceptr *, size_t, size_t, CUdeviceptr, unsigned long long);
static CUresult do_cuMemAddressReserve(void *fn, CUdeviceptr *va, size_t n, size_t align,
				       CUdeviceptr want, unsigned long long flags)
{
	BEGIN;
	CUresult r = ((f_reserve)fn)(va, n, align, want, flags);
	FINISH(rec(VRT_API_cuMemAddressReserve, r, shim_cur_dev(), n, n, OUT(r, va), align, 0));
	return r;
}
ENTRY(cuMemAddressReserve, (CUdeviceptr *va, size_t n, size_t align, CUdeviceptr want,
			    unsigned long long flags), (va, n, align, want, flags))

static CUresult do_cuMemAddressFree(void *fn, CUdeviceptr va, size_t n)
{
	BEGIN;
	CUresult r = ((f_unmap)fn)(va, n);
	FINISH(rec(VRT_API_cuMemAddressFree, r, shim_cur_dev(), n, n, va, 0, 0));
	return r;
}
ENTRY(cuMemAddressFree, (CUdeviceptr va, size_t n), (va, n))

/* ---- contexts ---- */

static void ctx_made(uint16_t api, CUresult r, CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	rec(api, r, dev, 0, 0, OUT(r, pctx), flags, 0);
	if (r == CUDA_SUCCESS && pctx)
		shim_ctx_created(*pctx, dev);
}

typedef CUresult (*f_ctx2)(CUcontext *, unsigned int, CUdevice);
static CUresult do_cuCtxCreate(void *fn, CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_ctx2)fn)(pctx, flags, dev);
	FINISH(ctx_made(VRT_API_cuCtxCreate, r, pctx, flags, dev));
	return r;
}
ENTRY(cuCtxCreate, (CUcontext *pctx, unsigned int flags, CUdevice dev), (pctx, flags, dev))

static CUresult do_cuCtxCreate_v2(void *fn, CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_ctx2)fn)(pctx, flags, dev);
	FINISH(ctx_made(VRT_API_cuCtxCreate_v2, r, pctx, flags, dev));
	return r;
}
ENTRY(cuCtxCreate_v2, (CUcontext *pctx, unsigned int flags, CUdevice dev), (pctx, flags, dev))

typedef CUresult (*f_ctx3)(CUcontext *, void *, int, unsigned int, CUdevice);
static CUresult do_cuCtxCreate_v3(void *fn, CUcontext *pctx, void *params, int np,
				  unsigned int flags, CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_ctx3)fn)(pctx, params, np, flags, dev);
	FINISH(ctx_made(VRT_API_cuCtxCreate_v3, r, pctx, flags, dev));
	return r;
}
ENTRY(cuCtxCreate_v3, (CUcontext *pctx, void *params, int np, unsigned int flags,
		       CUdevice dev), (pctx, params, np, flags, dev))

typedef CUresult (*f_ctx4)(CUcontext *, void *, unsigned int, CUdevice);
static CUresult do_cuCtxCreate_v4(void *fn, CUcontext *pctx, void *params, unsigned int flags,
				  CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_ctx4)fn)(pctx, params, flags, dev);
	FINISH(ctx_made(VRT_API_cuCtxCreate_v4, r, pctx, flags, dev));
	return r;
}
ENTRY(cuCtxCreate_v4, (CUcontext *pctx, void *params, unsigned int flags, CUdevice dev),
      (pctx, params, flags, dev))

typedef CUresult (*f_ctxdestroy)(CUcontext);
static CUresult ctx_destroy(uint16_t api, void *fn, CUcontext ctx)
{
	BEGIN;
	int dev = VRT_DEV_UNKNOWN;
	/* Snapshot and forget it while it still exists. */
	BEFORE(dev = shim_ctx_dev(ctx); shim_ctx_destroying(ctx));
	CUresult r = ((f_ctxdestroy)fn)(ctx);
	FINISH(rec(api, r, dev, 0, 0, ptr64(ctx), 0, 0));
	return r;
}
static CUresult do_cuCtxDestroy(void *fn, CUcontext ctx)
{
	return ctx_destroy(VRT_API_cuCtxDestroy, fn, ctx);
}
static CUresult do_cuCtxDestroy_v2(void *fn, CUcontext ctx)
{
	return ctx_destroy(VRT_API_cuCtxDestroy_v2, fn, ctx);
}
ENTRY(cuCtxDestroy, (CUcontext ctx), (ctx))
ENTRY(cuCtxDestroy_v2, (CUcontext ctx), (ctx))

typedef CUresult (*f_retain)(CUcontext *, CUdevice);
static CUresult do_cuDevicePrimaryCtxRetain(void *fn, CUcontext *pctx, CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_retain)fn)(pctx, dev);
	FINISH(rec(VRT_API_cuDevicePrimaryCtxRetain, r, dev, 0, 0, OUT(r, pctx), 0, 0);
	       if (r == CUDA_SUCCESS && pctx) shim_primary_retained(*pctx, dev));
	return r;
}
ENTRY(cuDevicePrimaryCtxRetain, (CUcontext *pctx, CUdevice dev), (pctx, dev))

typedef CUresult (*f_release_dev)(CUdevice);
static CUresult primary_release(uint16_t api, void *fn, CUdevice dev, int reset)
{
	BEGIN;
	CUcontext c = NULL;
	BEFORE(c = shim_primary_releasing(dev, reset));
	CUresult r = ((f_release_dev)fn)(dev);
	FINISH(rec(api, r, dev, 0, 0, ptr64(c), 0, 0));
	return r;
}
static CUresult do_cuDevicePrimaryCtxRelease(void *fn, CUdevice dev)
{
	return primary_release(VRT_API_cuDevicePrimaryCtxRelease, fn, dev, 0);
}
static CUresult do_cuDevicePrimaryCtxRelease_v2(void *fn, CUdevice dev)
{
	return primary_release(VRT_API_cuDevicePrimaryCtxRelease_v2, fn, dev, 0);
}
static CUresult do_cuDevicePrimaryCtxReset(void *fn, CUdevice dev)
{
	return primary_release(VRT_API_cuDevicePrimaryCtxReset, fn, dev, 1);
}
static CUresult do_cuDevicePrimaryCtxReset_v2(void *fn, CUdevice dev)
{
	return primary_release(VRT_API_cuDevicePrimaryCtxReset_v2, fn, dev, 1);
}
ENTRY(cuDevicePrimaryCtxRelease, (CUdevice dev), (dev))
ENTRY(cuDevicePrimaryCtxRelease_v2, (CUdevice dev), (dev))
ENTRY(cuDevicePrimaryCtxReset, (CUdevice dev), (dev))
ENTRY(cuDevicePrimaryCtxReset_v2, (CUdevice dev), (dev))

/* ---- IPC: another process's memory, mapped here ---- */

typedef CUresult (*f_ipcopen)(CUdeviceptr *, struct cu_ipc_mem_handle, unsigned int);
static CUresult ipc_open(uint16_t api, void *fn, CUdeviceptr *p, struct cu_ipc_mem_handle h,
			 unsigned int flags)
{
	BEGIN;
	CUresult r = ((f_ipcopen)fn)(p, h, flags);
	size_t n = 0;
	CUdeviceptr base;
	FINISH(if (r == CUDA_SUCCESS && p && shim_real.mem_get_range &&
		   shim_real.mem_get_range(&base, &n, *p) != CUDA_SUCCESS) n = 0;
	       rec(api, r, shim_cur_dev(), 0, n, OUT(r, p), flags, 0));
	return r;
}
static CUresult do_cuIpcOpenMemHandle(void *fn, CUdeviceptr *p, struct cu_ipc_mem_handle h,
				      unsigned int flags)
{
	return ipc_open(VRT_API_cuIpcOpenMemHandle, fn, p, h, flags);
}
static CUresult do_cuIpcOpenMemHandle_v2(void *fn, CUdeviceptr *p, struct cu_ipc_mem_handle h,
					 unsigned int flags)
{
	return ipc_open(VRT_API_cuIpcOpenMemHandle_v2, fn, p, h, flags);
}
ENTRY(cuIpcOpenMemHandle, (CUdeviceptr *p, struct cu_ipc_mem_handle h, unsigned int flags),
      (p, h, flags))
ENTRY(cuIpcOpenMemHandle_v2, (CUdeviceptr *p, struct cu_ipc_mem_handle h, unsigned int flags),
      (p, h, flags))

static CUresult do_cuIpcCloseMemHandle(void *fn, CUdeviceptr p)
{
	BEGIN;
	CUresult r = ((f_free2)fn)(p);
	FINISH(rec(VRT_API_cuIpcCloseMemHandle, r, shim_cur_dev(), 0, 0, p, 0, 0));
	return r;
}
ENTRY(cuIpcCloseMemHandle, (CUdeviceptr p), (p))

/* ---- cuGetProcAddress: hand out wrappers ---- */

static void lookup_done(int via, const char *symbol, void **pfn, int ver, cuuint64_t flags,
			CUresult r, const int *status)
{
	uint16_t w = r == CUDA_SUCCESS ? shim_substitute(symbol, pfn, ver, flags) : 0;
	struct vrt_lookup lu = {
		.via = via, .version = ver, .flags = flags, .result = r,
		.status = status && r == CUDA_SUCCESS ? *status : -1, .wrapped = w,
	};
	if (symbol)
		strncpy(lu.symbol, symbol, sizeof(lu.symbol) - 1);
	shim_rec_lookup(&lu);
}

typedef CUresult (*f_gpa)(const char *, void **, int, cuuint64_t);
static CUresult do_cuGetProcAddress(void *fn, const char *symbol, void **pfn, int ver,
				    cuuint64_t flags)
{
	BEGIN;
	CUresult r = ((f_gpa)fn)(symbol, pfn, ver, flags);
	FINISH(lookup_done(VRT_VIA_GPA, symbol, pfn, ver, flags, r, NULL));
	return r;
}
ENTRY(cuGetProcAddress, (const char *symbol, void **pfn, int ver, cuuint64_t flags),
      (symbol, pfn, ver, flags))

typedef CUresult (*f_gpa2)(const char *, void **, int, cuuint64_t, int *);
static CUresult do_cuGetProcAddress_v2(void *fn, const char *symbol, void **pfn, int ver,
				       cuuint64_t flags, int *status)
{
	BEGIN;
	CUresult r = ((f_gpa2)fn)(symbol, pfn, ver, flags, status);
	FINISH(lookup_done(VRT_VIA_GPA_V2, symbol, pfn, ver, flags, r, status));
	return r;
}
ENTRY(cuGetProcAddress_v2, (const char *symbol, void **pfn, int ver, cuuint64_t flags,
			    int *status), (symbol, pfn, ver, flags, status))

/* ---- the table ---- */

struct shim_variant shim_variants[SV_COUNT] = {
#define SHIM_X_ROW(name, base, ver, pt) \
	[SV_##name] = { #name, #base, ver, pt, VRT_API_##name, (void *)l_##name, NULL, NULL, 0 },
	SHIM_VARIANTS(SHIM_X_ROW)
#undef SHIM_X_ROW
};
