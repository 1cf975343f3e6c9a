/*
 * shim_wrap.h - what the wrapper files share (shim_wrap.c: allocation,
 * pools, VMM, contexts, IPC, look-ups; shim_wrap_graph.c: graph memory
 * and the memory of other owners). Internal to the shim, like shim.h.
 *
 * A wrapper is a do_<name>(fn, args...) body that calls the real function
 * fn, then records the call; ENTRY(name, params, args) makes the variant's
 * two entry functions from it: the exported <name> (a program linked with
 * -lcuda calls it; it calls the next definition after the shim, so other
 * interposers still run) and l_<name>, the lookup wrapper cuGetProcAddress
 * and dlsym hand out (it calls the driver's own function). The table of
 * variants (shim_wrap.c) takes the address of every l_<name>: those of
 * shim_wrap_graph.c are declared at the end of this header.
 */
#ifndef VRAMSIM_SHIM_WRAP_H
#define VRAMSIM_SHIM_WRAP_H

#include <errno.h>
#include <stdint.h>

#include "shim.h"

#define EXPAND(...) __VA_ARGS__

/* The two entry functions of a variant; l_<name> has the linkage LWLINK
 * gives it (static unless the file says otherwise). */
#ifndef LWLINK
#define LWLINK static
#endif
#define ENTRY(name, params, args) \
	SHIM_EXPORT CUresult name params; \
	CUresult name params \
	{ \
		void *fn = shim_fn_next(SV_##name); \
		if (!fn) \
			return shim_no_driver(SV_##name); \
		return do_##name(fn, EXPAND args); \
	} \
	LWLINK CUresult l_##name params \
	{ \
		void *fn = shim_fn_drv(SV_##name); \
		if (!fn) \
			return shim_no_driver(SV_##name); \
		return do_##name(fn, EXPAND args); \
	}

/* Around the real call: take the recursion guard, and after recording
 * restore the errno the real call left. */
#define BEGIN int g_ = shim_enter()
#define FINISH(...) \
	do { \
		if (g_) { \
			int e_ = errno; \
			__VA_ARGS__; \
			shim_leave(); \
			errno = e_; \
		} \
	} while (0)
/* Work before the real call must not change the errno it will see. */
#define BEFORE(...) \
	do { \
		if (g_) { \
			int e_ = errno; \
			__VA_ARGS__; \
			errno = e_; \
		} \
	} while (0)

/* An out-parameter's value when the call succeeded, else 0. */
#define OUT(r, p) ((r) == CUDA_SUCCESS && (p) ? (uint64_t)(uintptr_t)*(p) : 0)

/* Record one call event (shim_record). */
static inline void rec(uint16_t api, CUresult r, int dev, uint64_t req, uint64_t size,
		       uint64_t addr, uint64_t aux, uint64_t stream)
{
	struct vrt_event ev = {
		.api = api, .dev = dev, .result = r, .req = req, .size = size,
		.addr = addr, .aux = aux, .stream = stream,
	};
	shim_record(&ev);
}

static inline uint64_t ptr64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Bytes of a w x h x d array of a CUarray_format with ch channels (h, d:
 * 0 counts as 1); 0 for formats whose size is not per element,
 * UINT64_MAX on overflow. */
uint64_t shim_array_bytes(uint64_t w, uint64_t h, uint64_t d, int fmt, unsigned int ch);
/* The device of a CUmemLocation: an ordinal, VRT_DEV_HOST or VRT_DEV_UNKNOWN. */
int shim_location_dev(const struct cu_mem_location *loc);

/* The lookup wrappers of shim_wrap_graph.c. */
struct cu_array3d_desc;
CUresult l_cuGraphAddMemAllocNode(CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
				  size_t ndeps, struct cu_mem_alloc_node_params *p);
CUresult l_cuGraphAddMemFreeNode(CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
				 size_t ndeps, CUdeviceptr dptr);
CUresult l_cuGraphAddNode(CUgraphNode *node, CUgraph g, const CUgraphNode *deps, size_t ndeps,
			  struct cu_graph_node_params *p);
CUresult l_cuGraphAddNode_v2(CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
			     CUgraphEdgeData_p edges, size_t ndeps, struct cu_graph_node_params *p);
CUresult l_cuGraphInstantiate(CUgraphExec *ex, CUgraph g, CUgraphNode *err, char *log,
			      size_t logn);
CUresult l_cuGraphInstantiate_v2(CUgraphExec *ex, CUgraph g, CUgraphNode *err, char *log,
				 size_t logn);
CUresult l_cuGraphInstantiateWithFlags(CUgraphExec *ex, CUgraph g, unsigned long long flags);
CUresult l_cuGraphInstantiateWithParams(CUgraphExec *ex, CUgraph g,
					struct cu_graph_inst_params *p);
CUresult l_cuGraphInstantiateWithParams_ptsz(CUgraphExec *ex, CUgraph g,
					     struct cu_graph_inst_params *p);
CUresult l_cuGraphLaunch(CUgraphExec ex, CUstream s);
CUresult l_cuGraphLaunch_ptsz(CUgraphExec ex, CUstream s);
CUresult l_cuGraphUpload(CUgraphExec ex, CUstream s);
CUresult l_cuGraphUpload_ptsz(CUgraphExec ex, CUstream s);
CUresult l_cuGraphExecDestroy(CUgraphExec ex);
CUresult l_cuGraphDestroy(CUgraph g);
CUresult l_cuDeviceGraphMemTrim(CUdevice dev);
CUresult l_cuMemExportToShareableHandle(void *out, CUmemGenericAllocationHandle h, int type,
					unsigned long long flags);
CUresult l_cuMemImportFromShareableHandle(CUmemGenericAllocationHandle *h, void *os, int type);
CUresult l_cuMulticastCreate(CUmemGenericAllocationHandle *mc, const struct cu_mc_prop *prop);
CUresult l_cuMulticastAddDevice(CUmemGenericAllocationHandle mc, CUdevice dev);
CUresult l_cuMulticastBindMem(CUmemGenericAllocationHandle mc, size_t mcoff,
			      CUmemGenericAllocationHandle mem, size_t memoff, size_t n,
			      unsigned long long flags);
CUresult l_cuMulticastBindAddr(CUmemGenericAllocationHandle mc, size_t mcoff, CUdeviceptr p,
			       size_t n, unsigned long long flags);
CUresult l_cuMulticastUnbind(CUmemGenericAllocationHandle mc, CUdevice dev, size_t mcoff,
			     size_t n);
CUresult l_cuMipmappedArrayCreate(void **ph, const struct cu_array3d_desc *a, unsigned int levels);
CUresult l_cuMipmappedArrayDestroy(void *h);
CUresult l_cuImportExternalMemory(void **ext, const struct cu_ext_mem_desc *d);
CUresult l_cuExternalMemoryGetMappedBuffer(CUdeviceptr *p, void *ext,
					   const struct cu_ext_buf_desc *d);
CUresult l_cuDestroyExternalMemory(void *ext);
CUresult l_cuGreenCtxCreate(void **ctx, void *desc, CUdevice dev, unsigned int flags);
CUresult l_cuGreenCtxDestroy(void *ctx);

#endif
