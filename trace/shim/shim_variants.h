/*
 * shim_variants.h - the table of every driver entry point the shim wraps,
 * alone so that programs outside the shim (tests/gpu/gpa.cu, built by
 * nvcc as C++) can walk it too. Only a macro: no declarations.
 */
#ifndef VRAMSIM_SHIM_VARIANTS_H
#define VRAMSIM_SHIM_VARIANTS_H

/*
 * X(name, base, version, per_thread): every exported variant the shim
 * wraps. base and version are what cuGetProcAddress is asked for (the
 * version is the one in the PFN_<base>_v<version> typedef of
 * cudaTypedefs.h that names this variant); per_thread marks the _ptsz
 * variants chosen with CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM.
 * Each name is also a VRT_API_<name> in vrt.h. Signatures and versions:
 * cuda.h and cudaTypedefs.h of CUDA 13.0 (the driver API reference,
 * docs.nvidia.com/cuda/cuda-driver-api: "Graph Management", "Virtual
 * Memory Management", "Multicast Object Management", "External Resource
 * Interoperability", "Green Contexts").
 */
#define SHIM_VARIANTS(X) \
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
	X(cuArrayCreate, cuArrayCreate, 2000, 0) \
	X(cuArrayCreate_v2, cuArrayCreate, 3020, 0) \
	X(cuArray3DCreate, cuArray3DCreate, 2000, 0) \
	X(cuArray3DCreate_v2, cuArray3DCreate, 3020, 0) \
	X(cuArrayDestroy, cuArrayDestroy, 2000, 0) \
	X(cuMemAllocAsync, cuMemAllocAsync, 11020, 0) \
	X(cuMemAllocAsync_ptsz, cuMemAllocAsync, 11020, 1) \
	X(cuMemAllocFromPoolAsync, cuMemAllocFromPoolAsync, 11020, 0) \
	X(cuMemAllocFromPoolAsync_ptsz, cuMemAllocFromPoolAsync, 11020, 1) \
	X(cuMemFreeAsync, cuMemFreeAsync, 11020, 0) \
	X(cuMemFreeAsync_ptsz, cuMemFreeAsync, 11020, 1) \
	X(cuMemCreate, cuMemCreate, 10020, 0) \
	X(cuMemRelease, cuMemRelease, 10020, 0) \
	X(cuMemMap, cuMemMap, 10020, 0) \
	X(cuMemUnmap, cuMemUnmap, 10020, 0) \
	X(cuMemAddressReserve, cuMemAddressReserve, 10020, 0) \
	X(cuMemAddressFree, cuMemAddressFree, 10020, 0) \
	X(cuMemPoolCreate, cuMemPoolCreate, 11020, 0) \
	X(cuMemPoolDestroy, cuMemPoolDestroy, 11020, 0) \
	X(cuMemPoolTrimTo, cuMemPoolTrimTo, 11020, 0) \
	X(cuCtxCreate, cuCtxCreate, 2000, 0) \
	X(cuCtxCreate_v2, cuCtxCreate, 3020, 0) \
	X(cuCtxCreate_v3, cuCtxCreate, 11040, 0) \
	X(cuCtxCreate_v4, cuCtxCreate, 12050, 0) \
	X(cuCtxDestroy, cuCtxDestroy, 2000, 0) \
	X(cuCtxDestroy_v2, cuCtxDestroy, 4000, 0) \
	X(cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRetain, 7000, 0) \
	X(cuDevicePrimaryCtxRelease, cuDevicePrimaryCtxRelease, 7000, 0) \
	X(cuDevicePrimaryCtxRelease_v2, cuDevicePrimaryCtxRelease, 11000, 0) \
	X(cuDevicePrimaryCtxReset, cuDevicePrimaryCtxReset, 7000, 0) \
	X(cuDevicePrimaryCtxReset_v2, cuDevicePrimaryCtxReset, 11000, 0) \
	X(cuIpcOpenMemHandle, cuIpcOpenMemHandle, 4010, 0) \
	X(cuIpcOpenMemHandle_v2, cuIpcOpenMemHandle, 11000, 0) \
	X(cuIpcCloseMemHandle, cuIpcCloseMemHandle, 4010, 0) \
	X(cuDeviceGetDefaultMemPool, cuDeviceGetDefaultMemPool, 11020, 0) \
	X(cuDeviceGetMemPool, cuDeviceGetMemPool, 11020, 0) \
	X(cuDeviceSetMemPool, cuDeviceSetMemPool, 11020, 0) \
	X(cuMemPoolSetAttribute, cuMemPoolSetAttribute, 11020, 0) \
	X(cuMemGetDefaultMemPool, cuMemGetDefaultMemPool, 13000, 0) \
	X(cuMemGetMemPool, cuMemGetMemPool, 13000, 0) \
	X(cuMemSetMemPool, cuMemSetMemPool, 13000, 0) \
	X(cuGraphAddMemAllocNode, cuGraphAddMemAllocNode, 11040, 0) \
	X(cuGraphAddMemFreeNode, cuGraphAddMemFreeNode, 11040, 0) \
	X(cuGraphAddNode, cuGraphAddNode, 12020, 0) \
	X(cuGraphAddNode_v2, cuGraphAddNode, 12030, 0) \
	X(cuGraphInstantiate, cuGraphInstantiate, 10000, 0) \
	X(cuGraphInstantiate_v2, cuGraphInstantiate, 11000, 0) \
	X(cuGraphInstantiateWithFlags, cuGraphInstantiateWithFlags, 11040, 0) \
	X(cuGraphInstantiateWithParams, cuGraphInstantiateWithParams, 12000, 0) \
	X(cuGraphInstantiateWithParams_ptsz, cuGraphInstantiateWithParams, 12000, 1) \
	X(cuGraphLaunch, cuGraphLaunch, 10000, 0) \
	X(cuGraphLaunch_ptsz, cuGraphLaunch, 10000, 1) \
	X(cuGraphUpload, cuGraphUpload, 11010, 0) \
	X(cuGraphUpload_ptsz, cuGraphUpload, 11010, 1) \
	X(cuGraphExecDestroy, cuGraphExecDestroy, 10000, 0) \
	X(cuGraphDestroy, cuGraphDestroy, 10000, 0) \
	X(cuDeviceGraphMemTrim, cuDeviceGraphMemTrim, 11040, 0) \
	X(cuMemExportToShareableHandle, cuMemExportToShareableHandle, 10020, 0) \
	X(cuMemImportFromShareableHandle, cuMemImportFromShareableHandle, 10020, 0) \
	X(cuMulticastCreate, cuMulticastCreate, 12010, 0) \
	X(cuMulticastAddDevice, cuMulticastAddDevice, 12010, 0) \
	X(cuMulticastBindMem, cuMulticastBindMem, 12010, 0) \
	X(cuMulticastBindAddr, cuMulticastBindAddr, 12010, 0) \
	X(cuMulticastUnbind, cuMulticastUnbind, 12010, 0) \
	X(cuMipmappedArrayCreate, cuMipmappedArrayCreate, 5000, 0) \
	X(cuMipmappedArrayDestroy, cuMipmappedArrayDestroy, 5000, 0) \
	X(cuImportExternalMemory, cuImportExternalMemory, 10000, 0) \
	X(cuExternalMemoryGetMappedBuffer, cuExternalMemoryGetMappedBuffer, 10000, 0) \
	X(cuDestroyExternalMemory, cuDestroyExternalMemory, 10000, 0) \
	X(cuGreenCtxCreate, cuGreenCtxCreate, 12040, 0) \
	X(cuGreenCtxDestroy, cuGreenCtxDestroy, 12040, 0) \
	X(cuGetProcAddress, cuGetProcAddress, 11030, 0) \
	X(cuGetProcAddress_v2, cuGetProcAddress, 12000, 0)

#endif
