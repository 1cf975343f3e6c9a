/*
 * fakecuda.h - declarations shared by the fake CUDA driver
 * (libcuda.so.1), the fake runtime (libcudart.so) and the test programs
 * that run under the shim. Types follow the driver API's public layouts
 * (cuda.h, CUDA 13.0); cuda.h itself is not needed.
 *
 * The fake driver, configured by environment variables:
 *   FAKECUDA_DEVICES="1024,2048"  device totals in MiB (one per device)
 *   CUDA_VISIBLE_DEVICES="1,0"    ordinal -> device (numbers only)
 *   FAKECUDA_DRIVER_VERSION=13000 what cuDriverGetVersion reports
 *   FAKECUDA_CTX_MIB=32           device memory a context costs
 *   FAKECUDA_PERTHREAD=1          cuMemAlloc_v2/cuMemFree_v2 touch only the
 *                                 calling thread's state (tests/bench_shim.c;
 *                                 fake_cuda.c, "per-thread fast path")
 * It allocates no device memory: addresses are numbers, never to be
 * dereferenced; cuMemGetInfo reflects what is allocated; an allocation
 * beyond a device's total fails with CUDA_ERROR_OUT_OF_MEMORY.
 */
#ifndef FAKECUDA_H
#define FAKECUDA_H

#include <stddef.h>
#include <stdint.h>

typedef int CUresult;
typedef int CUdevice;
typedef struct fake_ctx *CUcontext;
typedef struct fake_stream *CUstream;
typedef struct fake_pool *CUmemoryPool;
typedef void *CUarray;
typedef unsigned long long CUdeviceptr;
typedef unsigned long long CUmemGenericAllocationHandle;
typedef uint64_t cuuint64_t;

enum {
	CUDA_SUCCESS = 0,
	CUDA_ERROR_INVALID_VALUE = 1,
	CUDA_ERROR_OUT_OF_MEMORY = 2,
	CUDA_ERROR_NOT_INITIALIZED = 3,
	CUDA_ERROR_INVALID_DEVICE = 101,
	CUDA_ERROR_INVALID_CONTEXT = 201,
	CUDA_ERROR_INVALID_HANDLE = 400,
	CUDA_ERROR_NOT_FOUND = 500,
	CUDA_ERROR_NOT_SUPPORTED = 801
};
enum {
	CU_GET_PROC_ADDRESS_DEFAULT = 0,
	CU_GET_PROC_ADDRESS_LEGACY_STREAM = 1,
	CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM = 2
};
enum {
	CU_GET_PROC_ADDRESS_SUCCESS = 0,
	CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND = 1,
	CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT = 2
};
enum { CU_MEM_LOCATION_TYPE_DEVICE = 1, CU_MEM_LOCATION_TYPE_HOST = 2 };
enum { CU_MEM_ALLOCATION_TYPE_PINNED = 1 };
enum { CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT = 5, CU_MEMPOOL_ATTR_USED_MEM_CURRENT = 7 };
enum { CU_AD_FORMAT_UNSIGNED_INT8 = 0x01, CU_AD_FORMAT_FLOAT = 0x20 };
#define CU_STREAM_LEGACY ((CUstream)0x1)
#define CU_STREAM_PER_THREAD ((CUstream)0x2)

typedef struct { int type; int id; } CUmemLocation;
typedef struct {
	int type;
	int requestedHandleTypes;
	CUmemLocation location;
	void *win32HandleMetaData;
	struct {
		unsigned char compressionType;
		unsigned char gpuDirectRDMACapable;
		unsigned short usage;
		unsigned char reserved[4];
	} allocFlags;
} CUmemAllocationProp;
typedef struct {
	int allocType;
	int handleTypes;
	CUmemLocation location;
	void *win32SecurityAttributes;
	size_t maxSize;
	unsigned short usage;
	unsigned char reserved[54];
} CUmemPoolProps;
typedef struct { CUmemLocation location; int flags; } CUmemAccessDesc;
typedef struct { unsigned int Width, Height; int Format; unsigned int NumChannels; } CUDA_ARRAY_DESCRIPTOR_v1;
typedef struct { size_t Width, Height; int Format; unsigned int NumChannels; } CUDA_ARRAY_DESCRIPTOR;
typedef struct {
	unsigned int Width, Height, Depth; int Format; unsigned int NumChannels, Flags;
} CUDA_ARRAY3D_DESCRIPTOR_v1;
typedef struct {
	size_t Width, Height, Depth; int Format; unsigned int NumChannels, Flags;
} CUDA_ARRAY3D_DESCRIPTOR;
typedef struct { char reserved[64]; } CUipcMemHandle;
typedef struct { unsigned char bytes[16]; } CUuuid;

typedef struct {                     /* CUDA_MEM_ALLOC_NODE_PARAMS (v1) */
	CUmemPoolProps poolProps;
	const CUmemAccessDesc *accessDescs;
	size_t accessDescCount;
	size_t bytesize;
	CUdeviceptr dptr;
} CUDA_MEM_ALLOC_NODE_PARAMS;
/* CUgraphNodeParams (cuGraphAddNode, CUDA 12.2+); 256 bytes. */
enum { CU_GRAPH_NODE_TYPE_EMPTY = 5, CU_GRAPH_NODE_TYPE_MEM_ALLOC = 10,
       CU_GRAPH_NODE_TYPE_MEM_FREE = 11 };
typedef struct {
	int type;
	int reserved0[3];
	union {
		long long reserved1[29];
		CUDA_MEM_ALLOC_NODE_PARAMS alloc;
		struct { CUdeviceptr dptr; } free;
	};
	long long reserved2;
} CUgraphNodeParams;
typedef struct {                     /* CUDA_GRAPH_INSTANTIATE_PARAMS */
	cuuint64_t flags;
	CUstream hUploadStream;
	void *hErrNode_out;
	int result_out;
} CUDA_GRAPH_INSTANTIATE_PARAMS;
enum { CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD = 2 };
typedef struct {                     /* CUmulticastObjectProp */
	unsigned int numDevices;
	size_t size;
	unsigned long long handleTypes;
	unsigned long long flags;
} CUmulticastObjectProp;
typedef struct {                     /* CUDA_EXTERNAL_MEMORY_HANDLE_DESC */
	int type;
	union { int fd; struct { void *handle; const void *name; } win32;
		const void *nvSciBufObject; } handle;
	unsigned long long size;
	unsigned int flags;
	unsigned int reserved[16];
} CUDA_EXTERNAL_MEMORY_HANDLE_DESC;
typedef struct {                     /* CUDA_EXTERNAL_MEMORY_BUFFER_DESC */
	unsigned long long offset, size;
	unsigned int flags;
	unsigned int reserved[16];
} CUDA_EXTERNAL_MEMORY_BUFFER_DESC;

/* The driver entry points test programs call by name (link -lcuda). */
CUresult cuInit(unsigned int flags);
CUresult cuDeviceGet(CUdevice *d, int ordinal);
CUresult cuDeviceGetUuid(CUuuid *u, CUdevice d);
CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev);
CUresult cuCtxCreate_v4(CUcontext *pctx, void *params, unsigned int flags, CUdevice dev);
CUresult cuCtxDestroy_v2(CUcontext c);
CUresult cuCtxSetCurrent(CUcontext c);
CUresult cuCtxGetCurrent(CUcontext *c);
CUresult cuCtxPopCurrent_v2(CUcontext *c);
CUresult cuCtxPushCurrent_v2(CUcontext c);
CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev);
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
CUresult cuMemGetInfo_v2(size_t *fr, size_t *total);
CUresult cuMemAlloc(unsigned int *dptr, unsigned int n);
CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t n);
CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pitch, size_t w, size_t h,
			    unsigned int elem);
CUresult cuMemFree(unsigned int p);
CUresult cuMemFree_v2(CUdeviceptr p);
CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t n, unsigned int flags);
CUresult cuMemAllocHost_v2(void **pp, size_t n);
CUresult cuMemHostAlloc(void **pp, size_t n, unsigned int flags);
CUresult cuMemFreeHost(void *p);
CUresult cuMemHostRegister_v2(void *p, size_t n, unsigned int flags);
CUresult cuMemHostUnregister(void *p);
CUresult cuArrayCreate_v2(CUarray *ph, const CUDA_ARRAY_DESCRIPTOR *a);
CUresult cuArray3DCreate_v2(CUarray *ph, const CUDA_ARRAY3D_DESCRIPTOR *a);
CUresult cuArrayDestroy(CUarray a);
CUresult cuStreamCreate(CUstream *ps, unsigned int flags);
CUresult cuMemAllocAsync(CUdeviceptr *d, size_t n, CUstream s);
CUresult cuMemAllocAsync_ptsz(CUdeviceptr *d, size_t n, CUstream s);
CUresult cuMemAllocFromPoolAsync(CUdeviceptr *d, size_t n, CUmemoryPool p, CUstream s);
CUresult cuMemFreeAsync(CUdeviceptr p, CUstream s);
CUresult cuMemFreeAsync_ptsz(CUdeviceptr p, CUstream s);
CUresult cuMemPoolCreate(CUmemoryPool *pp, const CUmemPoolProps *props);
CUresult cuMemPoolDestroy(CUmemoryPool p);
CUresult cuMemPoolTrimTo(CUmemoryPool p, size_t keep);
CUresult cuMemPoolGetAttribute(CUmemoryPool p, int attr, void *value);
CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pp, CUdevice d);
CUresult cuMemPoolSetAttribute(CUmemoryPool p, int attr, void *value);
CUresult cuMemGetDefaultMemPool(CUmemoryPool *pp, CUmemLocation *loc, int type);
CUresult cuMemGetMemPool(CUmemoryPool *pp, CUmemLocation *loc, int type);
CUresult cuMemSetMemPool(CUmemLocation *loc, int type, CUmemoryPool p);
CUresult cuStreamBeginCapture_v2(CUstream s, int mode);
CUresult cuStreamEndCapture(CUstream s, void **graph);
CUresult cuStreamIsCapturing(CUstream s, int *status);
enum { CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4 };
CUresult cuMemGetAllocationGranularity(size_t *g, const CUmemAllocationProp *prop, int opt);
CUresult cuMemCreate(CUmemGenericAllocationHandle *ph, size_t n,
		     const CUmemAllocationProp *prop, unsigned long long flags);
CUresult cuMemRelease(CUmemGenericAllocationHandle h);
CUresult cuMemAddressReserve(CUdeviceptr *pva, size_t n, size_t align, CUdeviceptr want,
			     unsigned long long flags);
CUresult cuMemAddressFree(CUdeviceptr va, size_t n);
CUresult cuMemMap(CUdeviceptr va, size_t n, size_t off, CUmemGenericAllocationHandle h,
		  unsigned long long flags);
CUresult cuMemUnmap(CUdeviceptr va, size_t n);
CUresult cuMemSetAccess(CUdeviceptr va, size_t n, const CUmemAccessDesc *d, size_t count);
CUresult cuIpcGetMemHandle(CUipcMemHandle *h, CUdeviceptr p);
CUresult cuIpcOpenMemHandle_v2(CUdeviceptr *out, CUipcMemHandle h, unsigned int flags);
CUresult cuIpcCloseMemHandle(CUdeviceptr p);
CUresult cuGraphCreate(void **pg, unsigned int flags);
CUresult cuGraphDestroy(void *g);
CUresult cuGraphAddMemAllocNode(void **node, void *g, const void *deps, size_t ndeps,
				CUDA_MEM_ALLOC_NODE_PARAMS *p);
CUresult cuGraphAddMemFreeNode(void **node, void *g, const void *deps, size_t ndeps,
			       CUdeviceptr dptr);
CUresult cuGraphAddNode(void **node, void *g, const void *deps, size_t ndeps,
			CUgraphNodeParams *p);
CUresult cuGraphAddNode_v2(void **node, void *g, const void *deps, const void *edges, size_t ndeps,
			   CUgraphNodeParams *p);
CUresult cuGraphInstantiateWithFlags(void **pex, void *g, unsigned long long flags);
CUresult cuGraphInstantiateWithParams(void **pex, void *g, CUDA_GRAPH_INSTANTIATE_PARAMS *p);
CUresult cuGraphLaunch(void *e, CUstream s);
CUresult cuGraphExecDestroy(void *e);
CUresult cuDeviceGraphMemTrim(CUdevice d);
CUresult cuMemExportToShareableHandle(void *out, CUmemGenericAllocationHandle h, int type,
				      unsigned long long flags);
CUresult cuMemImportFromShareableHandle(CUmemGenericAllocationHandle *ph, void *os, int type);
CUresult cuMulticastCreate(CUmemGenericAllocationHandle *ph, const CUmulticastObjectProp *p);
CUresult cuMulticastAddDevice(CUmemGenericAllocationHandle mc, CUdevice d);
CUresult cuMulticastBindMem(CUmemGenericAllocationHandle mc, size_t mcoff,
			    CUmemGenericAllocationHandle mem, size_t memoff, size_t n,
			    unsigned long long flags);
CUresult cuMulticastUnbind(CUmemGenericAllocationHandle mc, CUdevice d, size_t off, size_t n);
CUresult cuMipmappedArrayCreate(CUarray *ph, const CUDA_ARRAY3D_DESCRIPTOR *a,
				unsigned int levels);
CUresult cuMipmappedArrayDestroy(CUarray a);
CUresult cuImportExternalMemory(void **ext, const CUDA_EXTERNAL_MEMORY_HANDLE_DESC *d);
CUresult cuExternalMemoryGetMappedBuffer(CUdeviceptr *p, void *ext,
					 const CUDA_EXTERNAL_MEMORY_BUFFER_DESC *d);
CUresult cuDestroyExternalMemory(void *ext);
CUresult cuGreenCtxCreate(void **ctx, void *desc, CUdevice d, unsigned int flags);
CUresult cuGreenCtxDestroy(void *ctx);

/* Test hooks of the fake driver (not CUDA): calls made to the exported
 * function named name, its own address, and device usage in bytes. */
int fakecuda_calls(const char *name);
void *fakecuda_addr(const char *name);
long long fakecuda_used(int ordinal);

#endif
