/*
 * shim_wrap_graph.c - wrappers of CUDA graph memory and of memory whose
 * owner is elsewhere: shareable handles, multicast objects, external
 * memory; and mipmapped arrays and green contexts. (The ENTRY pattern and
 * the helpers are in shim_wrap.h.)
 *
 * Graph memory: a memory node added to a graph (explicitly, or by a
 * stream-ordered call captured into it: shim_wrap.c) allocates nothing;
 * the device's graph pool maps physical memory when an executable graph
 * is launched or uploaded, and keeps it, past cuGraphExecDestroy, until
 * cuDeviceGraphMemTrim frees what no running graph uses (CUDA driver API
 * reference, "Graph Management": cuDeviceGraphMemTrim,
 * cuGraphAddMemAllocNode). After a launch, an upload, a trim or an exec
 * destroy the shim records the device's graph memory as the driver counts
 * it (cuDeviceGetGraphMemAttribute, when the driver has it).
 */
#define LWLINK /* the lookup wrappers are named by shim_wrap.c's table */
#include "shim.h"
#include "shim_wrap.h"

#include <stdint.h>

/* ---- graph memory nodes ---- */

typedef CUresult (*f_addalloc)(CUgraphNode *, CUgraph, const CUgraphNode *, size_t,
			       struct cu_mem_alloc_node_params *);
static CUresult do_cuGraphAddMemAllocNode(void *fn, CUgraphNode *node, CUgraph g,
					  const CUgraphNode *deps, size_t ndeps,
					  struct cu_mem_alloc_node_params *p)
{
	BEGIN;
	CUresult r = ((f_addalloc)fn)(node, g, deps, ndeps, p);
	FINISH(rec(VRT_API_cuGraphAddMemAllocNode, r,
		   p ? shim_location_dev(&p->poolProps.location) : VRT_DEV_UNKNOWN,
		   p ? p->bytesize : 0, p ? p->bytesize : 0, r == CUDA_SUCCESS && p ? p->dptr : 0,
		   ptr64(g), 0));
	return r;
}
ENTRY(cuGraphAddMemAllocNode, (CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
			       size_t ndeps, struct cu_mem_alloc_node_params *p),
      (node, g, deps, ndeps, p))

typedef CUresult (*f_addfree)(CUgraphNode *, CUgraph, const CUgraphNode *, size_t, CUdeviceptr);
static CUresult do_cuGraphAddMemFreeNode(void *fn, CUgraphNode *node, CUgraph g,
					 const CUgraphNode *deps, size_t ndeps, CUdeviceptr dptr)
{
	BEGIN;
	CUresult r = ((f_addfree)fn)(node, g, deps, ndeps, dptr);
	FINISH(rec(VRT_API_cuGraphAddMemFreeNode, r, shim_cur_dev(), 0, 0, dptr, ptr64(g), 0));
	return r;
}
ENTRY(cuGraphAddMemFreeNode, (CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
			      size_t ndeps, CUdeviceptr dptr), (node, g, deps, ndeps, dptr))

/*
 * The generic form (CUDA 12.2+): cuGraphAddNode and cuGraphAddNode_v2
 * (which adds edge data) take a CUgraphNodeParams whose type says what
 * node it makes. A memory allocation or free node made this way is the
 * node cuGraphAddMemAllocNode or cuGraphAddMemFreeNode makes (CUDA driver
 * API reference, "Graph Management": cuGraphAddNode; struct
 * CUgraphNodeParams, members alloc and free), so it is recorded as that
 * call. Other node types hold no memory of their own and are not recorded.
 *
 * Not wrapped, by the same reference's rules: cuGraphNodeSetParams and
 * cuGraphExecNodeSetParams cannot change a memory node ("Modifying
 * parameters is not supported for node types CU_GRAPH_NODE_TYPE_MEM_ALLOC
 * and CU_GRAPH_NODE_TYPE_MEM_FREE"; the exec table: "API unsupported");
 * cuGraphClone refuses a graph that holds memory nodes (its note, and the
 * restrictions listed under cuGraphAddMemFreeNode); cuGraphExecUpdate maps
 * nothing (memory is mapped at launch), and the launch after it records
 * the device's reserve (shim_graph_stat) where the driver has the getter.
 * A child graph holding memory nodes must be moved into its parent
 * (CUDA_CHILD_GRAPH_NODE_PARAMS: "Graphs containing memory allocation or
 * memory free nodes must set the ownership to be moved to the parent"),
 * which only cuGraphAddNode can ask; its nodes stay recorded under the
 * child graph, so the importer's model (used without the getter) does not
 * count them in the parent: README, "What remains invisible".
 */
static void graph_node_added(CUresult r, CUgraph g, const struct cu_graph_node_params *p)
{
	if (!p)
		return;
	if (p->type == CU_GRAPH_NODE_TYPE_MEM_ALLOC) {
		const struct cu_mem_alloc_node_params *a = &p->u.alloc;
		rec(VRT_API_cuGraphAddMemAllocNode, r, shim_location_dev(&a->poolProps.location),
		    a->bytesize, a->bytesize, r == CUDA_SUCCESS ? a->dptr : 0, ptr64(g), 0);
	} else if (p->type == CU_GRAPH_NODE_TYPE_MEM_FREE) {
		rec(VRT_API_cuGraphAddMemFreeNode, r, shim_cur_dev(), 0, 0, p->u.free.dptr, ptr64(g),
		    0);
	}
}

typedef CUresult (*f_addnode)(CUgraphNode *, CUgraph, const CUgraphNode *, size_t,
			      struct cu_graph_node_params *);
static CUresult do_cuGraphAddNode(void *fn, CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
				  size_t ndeps, struct cu_graph_node_params *p)
{
	BEGIN;
	CUresult r = ((f_addnode)fn)(node, g, deps, ndeps, p);
	FINISH(graph_node_added(r, g, p));
	return r;
}
ENTRY(cuGraphAddNode, (CUgraphNode *node, CUgraph g, const CUgraphNode *deps, size_t ndeps,
		       struct cu_graph_node_params *p), (node, g, deps, ndeps, p))

typedef CUresult (*f_addnode2)(CUgraphNode *, CUgraph, const CUgraphNode *, CUgraphEdgeData_p,
			       size_t, struct cu_graph_node_params *);
static CUresult do_cuGraphAddNode_v2(void *fn, CUgraphNode *node, CUgraph g,
				     const CUgraphNode *deps, CUgraphEdgeData_p edges, size_t ndeps,
				     struct cu_graph_node_params *p)
{
	BEGIN;
	CUresult r = ((f_addnode2)fn)(node, g, deps, edges, ndeps, p);
	FINISH(graph_node_added(r, g, p));
	return r;
}
ENTRY(cuGraphAddNode_v2, (CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
			  CUgraphEdgeData_p edges, size_t ndeps, struct cu_graph_node_params *p),
      (node, g, deps, edges, ndeps, p))

/* ---- instantiate, launch, upload, destroy, trim ---- */

/* An instantiation: req = flags; with CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD
 * the graph is uploaded (its memory mapped) on stream `up` now. */
static void instantiated(uint16_t api, CUresult r, CUgraphExec *ex, CUgraph g, uint64_t flags,
			 CUstream up)
{
	int dev = (flags & CU_GRAPH_INSTANTIATE_FLAG_UPLOAD) ? shim_stream_dev(up) : shim_cur_dev();
	rec(api, r, dev, flags, 0, OUT(r, ex), ptr64(g), ptr64(up));
	if (r == CUDA_SUCCESS && (flags & CU_GRAPH_INSTANTIATE_FLAG_UPLOAD))
		shim_graph_stat(dev, VRT_GRAPH_STAT_LAUNCH);
}

typedef CUresult (*f_inst)(CUgraphExec *, CUgraph, CUgraphNode *, char *, size_t);
static CUresult inst_log(uint16_t api, void *fn, CUgraphExec *ex, CUgraph g, CUgraphNode *err,
			 char *log, size_t logn)
{
	BEGIN;
	CUresult r = ((f_inst)fn)(ex, g, err, log, logn);
	FINISH(instantiated(api, r, ex, g, 0, NULL));
	return r;
}
static CUresult do_cuGraphInstantiate(void *fn, CUgraphExec *ex, CUgraph g, CUgraphNode *err,
				      char *log, size_t logn)
{
	return inst_log(VRT_API_cuGraphInstantiate, fn, ex, g, err, log, logn);
}
static CUresult do_cuGraphInstantiate_v2(void *fn, CUgraphExec *ex, CUgraph g, CUgraphNode *err,
					 char *log, size_t logn)
{
	return inst_log(VRT_API_cuGraphInstantiate_v2, fn, ex, g, err, log, logn);
}
ENTRY(cuGraphInstantiate, (CUgraphExec *ex, CUgraph g, CUgraphNode *err, char *log,
			   size_t logn), (ex, g, err, log, logn))

ENTRY(cuGraphInstantiate_v2, (CUgraphExec *ex, CUgraph g, CUgraphNode *err, char *log,
			      size_t logn), (ex, g, err, log, logn))

typedef CUresult (*f_instflags)(CUgraphExec *, CUgraph, unsigned long long);
static CUresult do_cuGraphInstantiateWithFlags(void *fn, CUgraphExec *ex, CUgraph g,
					       unsigned long long flags)
{
	BEGIN;
	CUresult r = ((f_instflags)fn)(ex, g, flags);
	/* Upload needs a stream: only the WithParams form can ask for it. */
	FINISH(instantiated(VRT_API_cuGraphInstantiateWithFlags, r, ex, g,
			    flags & ~(unsigned long long)CU_GRAPH_INSTANTIATE_FLAG_UPLOAD, NULL));
	return r;
}
ENTRY(cuGraphInstantiateWithFlags, (CUgraphExec *ex, CUgraph g, unsigned long long flags),
      (ex, g, flags))

typedef CUresult (*f_instparams)(CUgraphExec *, CUgraph, struct cu_graph_inst_params *);
static CUresult inst_params(uint16_t api, void *fn, CUgraphExec *ex, CUgraph g,
			    struct cu_graph_inst_params *p)
{
	BEGIN;
	CUresult r = ((f_instparams)fn)(ex, g, p);
	FINISH(instantiated(api, r, ex, g, p ? p->flags : 0, p ? p->hUploadStream : NULL));
	return r;
}
static CUresult do_cuGraphInstantiateWithParams(void *fn, CUgraphExec *ex, CUgraph g,
						struct cu_graph_inst_params *p)
{
	return inst_params(VRT_API_cuGraphInstantiateWithParams, fn, ex, g, p);
}
static CUresult do_cuGraphInstantiateWithParams_ptsz(void *fn, CUgraphExec *ex, CUgraph g,
						     struct cu_graph_inst_params *p)
{
	return inst_params(VRT_API_cuGraphInstantiateWithParams_ptsz, fn, ex, g, p);
}
ENTRY(cuGraphInstantiateWithParams, (CUgraphExec *ex, CUgraph g, struct cu_graph_inst_params *p),
      (ex, g, p))
ENTRY(cuGraphInstantiateWithParams_ptsz, (CUgraphExec *ex, CUgraph g,
					  struct cu_graph_inst_params *p), (ex, g, p))

/* Launch and upload both map the graph's memory on the stream's device. */
typedef CUresult (*f_launch)(CUgraphExec, CUstream);
static CUresult launch(uint16_t api, void *fn, CUgraphExec ex, CUstream s)
{
	BEGIN;
	CUresult r = ((f_launch)fn)(ex, s);
	int dev = VRT_DEV_UNKNOWN;
	FINISH(dev = shim_stream_dev(s); rec(api, r, dev, 0, 0, ptr64(ex), 0, ptr64(s));
	       if (r == CUDA_SUCCESS) shim_graph_stat(dev, VRT_GRAPH_STAT_LAUNCH));
	return r;
}
static CUresult do_cuGraphLaunch(void *fn, CUgraphExec ex, CUstream s)
{
	return launch(VRT_API_cuGraphLaunch, fn, ex, s);
}
static CUresult do_cuGraphLaunch_ptsz(void *fn, CUgraphExec ex, CUstream s)
{
	return launch(VRT_API_cuGraphLaunch_ptsz, fn, ex, s);
}
static CUresult do_cuGraphUpload(void *fn, CUgraphExec ex, CUstream s)
{
	return launch(VRT_API_cuGraphUpload, fn, ex, s);
}
static CUresult do_cuGraphUpload_ptsz(void *fn, CUgraphExec ex, CUstream s)
{
	return launch(VRT_API_cuGraphUpload_ptsz, fn, ex, s);
}
ENTRY(cuGraphLaunch, (CUgraphExec ex, CUstream s), (ex, s))
ENTRY(cuGraphLaunch_ptsz, (CUgraphExec ex, CUstream s), (ex, s))
ENTRY(cuGraphUpload, (CUgraphExec ex, CUstream s), (ex, s))
ENTRY(cuGraphUpload_ptsz, (CUgraphExec ex, CUstream s), (ex, s))

typedef CUresult (*f_handle)(void *);
static CUresult do_cuGraphExecDestroy(void *fn, CUgraphExec ex)
{
	BEGIN;
	CUresult r = ((f_handle)fn)(ex);
	int dev = VRT_DEV_UNKNOWN;
	FINISH(dev = shim_cur_dev(); rec(VRT_API_cuGraphExecDestroy, r, dev, 0, 0, ptr64(ex), 0, 0);
	       if (r == CUDA_SUCCESS) shim_graph_stat(dev, VRT_GRAPH_STAT_EXEC_DESTROY));
	return r;
}
ENTRY(cuGraphExecDestroy, (CUgraphExec ex), (ex))

static CUresult do_cuGraphDestroy(void *fn, CUgraph g)
{
	BEGIN;
	CUresult r = ((f_handle)fn)(g);
	FINISH(rec(VRT_API_cuGraphDestroy, r, shim_cur_dev(), 0, 0, ptr64(g), 0, 0));
	return r;
}
ENTRY(cuGraphDestroy, (CUgraph g), (g))

typedef CUresult (*f_dev)(CUdevice);
static CUresult do_cuDeviceGraphMemTrim(void *fn, CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_dev)fn)(dev);
	FINISH(rec(VRT_API_cuDeviceGraphMemTrim, r, dev, 0, 0, 0, 0, 0);
	       if (r == CUDA_SUCCESS) shim_graph_stat(dev, VRT_GRAPH_STAT_TRIM));
	return r;
}
ENTRY(cuDeviceGraphMemTrim, (CUdevice dev), (dev))

/* ---- shareable handles and multicast objects (NCCL) ---- */

typedef CUresult (*f_export)(void *, CUmemGenericAllocationHandle, int, unsigned long long);
static CUresult do_cuMemExportToShareableHandle(void *fn, void *out,
						CUmemGenericAllocationHandle h, int type,
						unsigned long long flags)
{
	BEGIN;
	CUresult r = ((f_export)fn)(out, h, type, flags);
	FINISH(rec(VRT_API_cuMemExportToShareableHandle, r, shim_cur_dev(), 0, 0, h,
		   (uint64_t)(unsigned)type, 0));
	return r;
}
ENTRY(cuMemExportToShareableHandle, (void *out, CUmemGenericAllocationHandle h, int type,
				     unsigned long long flags), (out, h, type, flags))

/* An imported handle is memory another process created (and counts):
 * recorded with its device, never as new bytes. */
typedef CUresult (*f_import)(CUmemGenericAllocationHandle *, void *, int);
static CUresult do_cuMemImportFromShareableHandle(void *fn, CUmemGenericAllocationHandle *h,
						  void *os, int type)
{
	BEGIN;
	CUresult r = ((f_import)fn)(h, os, type);
	struct cu_alloc_prop prop;
	int dev = VRT_DEV_UNKNOWN;
	FINISH(if (r == CUDA_SUCCESS && h && shim_real.props_from_handle &&
		   shim_real.props_from_handle(&prop, *h) == CUDA_SUCCESS)
			dev = shim_location_dev(&prop.location);
	       rec(VRT_API_cuMemImportFromShareableHandle, r, dev, 0, 0, OUT(r, h),
		   (uint64_t)(unsigned)type, 0));
	return r;
}
ENTRY(cuMemImportFromShareableHandle, (CUmemGenericAllocationHandle *h, void *os, int type),
      (h, os, type))

typedef CUresult (*f_mccreate)(CUmemGenericAllocationHandle *, const struct cu_mc_prop *);
static CUresult do_cuMulticastCreate(void *fn, CUmemGenericAllocationHandle *mc,
				     const struct cu_mc_prop *prop)
{
	BEGIN;
	CUresult r = ((f_mccreate)fn)(mc, prop);
	FINISH(rec(VRT_API_cuMulticastCreate, r, shim_cur_dev(), prop ? prop->size : 0, 0,
		   OUT(r, mc), prop ? prop->numDevices : 0, 0));
	return r;
}
ENTRY(cuMulticastCreate, (CUmemGenericAllocationHandle *mc, const struct cu_mc_prop *prop),
      (mc, prop))

typedef CUresult (*f_mcadd)(CUmemGenericAllocationHandle, CUdevice);
static CUresult do_cuMulticastAddDevice(void *fn, CUmemGenericAllocationHandle mc, CUdevice dev)
{
	BEGIN;
	CUresult r = ((f_mcadd)fn)(mc, dev);
	FINISH(rec(VRT_API_cuMulticastAddDevice, r, dev, 0, 0, mc, 0, 0));
	return r;
}
ENTRY(cuMulticastAddDevice, (CUmemGenericAllocationHandle mc, CUdevice dev), (mc, dev))

typedef CUresult (*f_bindmem)(CUmemGenericAllocationHandle, size_t, CUmemGenericAllocationHandle,
			      size_t, size_t, unsigned long long);
static CUresult do_cuMulticastBindMem(void *fn, CUmemGenericAllocationHandle mc, size_t mcoff,
				      CUmemGenericAllocationHandle mem, size_t memoff, size_t n,
				      unsigned long long flags)
{
	BEGIN;
	CUresult r = ((f_bindmem)fn)(mc, mcoff, mem, memoff, n, flags);
	FINISH(rec(VRT_API_cuMulticastBindMem, r, shim_cur_dev(), mcoff, n, mc, mem, 0));
	return r;
}
ENTRY(cuMulticastBindMem, (CUmemGenericAllocationHandle mc, size_t mcoff,
			   CUmemGenericAllocationHandle mem, size_t memoff, size_t n,
			   unsigned long long flags), (mc, mcoff, mem, memoff, n, flags))

typedef CUresult (*f_bindaddr)(CUmemGenericAllocationHandle, size_t, CUdeviceptr, size_t,
			       unsigned long long);
static CUresult do_cuMulticastBindAddr(void *fn, CUmemGenericAllocationHandle mc, size_t mcoff,
				       CUdeviceptr p, size_t n, unsigned long long flags)
{
	BEGIN;
	CUresult r = ((f_bindaddr)fn)(mc, mcoff, p, n, flags);
	FINISH(rec(VRT_API_cuMulticastBindAddr, r, shim_cur_dev(), mcoff, n, mc, p, 0));
	return r;
}
ENTRY(cuMulticastBindAddr, (CUmemGenericAllocationHandle mc, size_t mcoff, CUdeviceptr p,
			    size_t n, unsigned long long flags), (mc, mcoff, p, n, flags))

typedef CUresult (*f_unbind)(CUmemGenericAllocationHandle, CUdevice, size_t, size_t);
static CUresult do_cuMulticastUnbind(void *fn, CUmemGenericAllocationHandle mc, CUdevice dev,
				     size_t mcoff, size_t n)
{
	BEGIN;
	CUresult r = ((f_unbind)fn)(mc, dev, mcoff, n);
	FINISH(rec(VRT_API_cuMulticastUnbind, r, dev, mcoff, n, mc, 0, 0));
	return r;
}
ENTRY(cuMulticastUnbind, (CUmemGenericAllocationHandle mc, CUdevice dev, size_t mcoff,
			  size_t n), (mc, dev, mcoff, n))

/* ---- mipmapped arrays: every level's bytes ---- */

/* Level l halves each extent (never below 1); a layered array keeps its
 * layer count in Depth (cuda.h CUDA_ARRAY3D_LAYERED). */
static uint64_t mipmap_bytes(const struct cu_array3d_desc *a, unsigned int levels)
{
	uint64_t sum = 0;
	for (unsigned int l = 0; l < levels && l < 64; l++) {
		uint64_t w = a->Width >> l, h = a->Height >> l, d = a->Depth >> l;
		if (a->Flags & CUDA_ARRAY3D_LAYERED)
			d = a->Depth;
		uint64_t n = shim_array_bytes(w ? w : 1, a->Height ? (h ? h : 1) : 0,
					      a->Depth ? (d ? d : 1) : 0, a->Format, a->NumChannels);
		if (n == UINT64_MAX || __builtin_add_overflow(sum, n, &sum))
			return UINT64_MAX;
	}
	return sum;
}

typedef CUresult (*f_mipmap)(void **, const struct cu_array3d_desc *, unsigned int);
static CUresult do_cuMipmappedArrayCreate(void *fn, void **ph, const struct cu_array3d_desc *a,
					  unsigned int levels)
{
	BEGIN;
	CUresult r = ((f_mipmap)fn)(ph, a, levels);
	uint64_t n = a ? mipmap_bytes(a, levels) : 0;
	FINISH(rec(VRT_API_cuMipmappedArrayCreate, r, shim_cur_dev(), n, n, OUT(r, ph), levels, 0));
	return r;
}
ENTRY(cuMipmappedArrayCreate, (void **ph, const struct cu_array3d_desc *a, unsigned int levels),
      (ph, a, levels))

static CUresult do_cuMipmappedArrayDestroy(void *fn, void *h)
{
	BEGIN;
	CUresult r = ((f_handle)fn)(h);
	FINISH(rec(VRT_API_cuMipmappedArrayDestroy, r, shim_cur_dev(), 0, 0, ptr64(h), 0, 0));
	return r;
}
ENTRY(cuMipmappedArrayDestroy, (void *h), (h))

/* ---- external memory (Vulkan, D3D, NvSciBuf, another process) ---- */

typedef CUresult (*f_extimport)(void **, const struct cu_ext_mem_desc *);
static CUresult do_cuImportExternalMemory(void *fn, void **ext, const struct cu_ext_mem_desc *d)
{
	BEGIN;
	CUresult r = ((f_extimport)fn)(ext, d);
	FINISH(rec(VRT_API_cuImportExternalMemory, r, shim_cur_dev(), d ? d->size : 0, 0,
		   OUT(r, ext), d ? (uint64_t)(unsigned)d->type : 0, 0));
	return r;
}
ENTRY(cuImportExternalMemory, (void **ext, const struct cu_ext_mem_desc *d), (ext, d))

typedef CUresult (*f_extmap)(CUdeviceptr *, void *, const struct cu_ext_buf_desc *);
static CUresult do_cuExternalMemoryGetMappedBuffer(void *fn, CUdeviceptr *p, void *ext,
						   const struct cu_ext_buf_desc *d)
{
	BEGIN;
	CUresult r = ((f_extmap)fn)(p, ext, d);
	FINISH(rec(VRT_API_cuExternalMemoryGetMappedBuffer, r, shim_cur_dev(), d ? d->size : 0, 0,
		   OUT(r, p), ptr64(ext), 0));
	return r;
}
ENTRY(cuExternalMemoryGetMappedBuffer, (CUdeviceptr *p, void *ext,
					const struct cu_ext_buf_desc *d), (p, ext, d))

static CUresult do_cuDestroyExternalMemory(void *fn, void *ext)
{
	BEGIN;
	CUresult r = ((f_handle)fn)(ext);
	FINISH(rec(VRT_API_cuDestroyExternalMemory, r, shim_cur_dev(), 0, 0, ptr64(ext), 0, 0));
	return r;
}
ENTRY(cuDestroyExternalMemory, (void *ext), (ext))

/* ---- green contexts (CUDA 12.4): a share of a device's SMs ---- */

typedef CUresult (*f_green)(void **, void *, CUdevice, unsigned int);
static CUresult do_cuGreenCtxCreate(void *fn, void **ctx, void *desc, CUdevice dev,
				    unsigned int flags)
{
	BEGIN;
	CUresult r = ((f_green)fn)(ctx, desc, dev, flags);
	FINISH(rec(VRT_API_cuGreenCtxCreate, r, dev, 0, 0, OUT(r, ctx), flags, 0));
	return r;
}
ENTRY(cuGreenCtxCreate, (void **ctx, void *desc, CUdevice dev, unsigned int flags),
      (ctx, desc, dev, flags))

static CUresult do_cuGreenCtxDestroy(void *fn, void *ctx)
{
	BEGIN;
	CUresult r = ((f_handle)fn)(ctx);
	FINISH(rec(VRT_API_cuGreenCtxDestroy, r, shim_cur_dev(), 0, 0, ptr64(ctx), 0, 0));
	return r;
}
ENTRY(cuGreenCtxDestroy, (void *ctx), (ctx))
