/*
 * shim.h - internals of libvramtrace.so, the LD_PRELOAD recorder. Not an
 * interface of libvramsim: only trace/shim*.c include it, and the shim is
 * built apart (trace/shim.mk), linked against libc and libzstd only.
 *
 * The shim has these parts:
 *   shim_resolve.c  finding the real driver: the dlsym override (both glibc
 *                   versions), the driver handle, the helper entry points,
 *                   cuGetProcAddress substitution, exec wrappers
 *   shim_wrap.c     one wrapper per intercepted driver entry point and the
 *                   table of them (shim_variants); shim_wrap_graph.c the
 *                   graph memory and other-owner wrappers (shim_wrap.h)
 *   shim_state.c    what the wrappers need to know across calls: devices
 *                   already described, live contexts, memory pools, and
 *                   the cuMemGetInfo / pool snapshots
 *   shim_buf.c      per-thread record buffers in the mapped tail file
 *                   (trace/vrt_tail.h): records survive any death
 *   shim_writer.c   the background writer thread, zstd frames, the output
 *                   file and its descriptor, fork, exec and exit
 *
 * CUDA types are declared here from the driver API's public signatures
 * (cuda.h of CUDA 13.0); cuda.h itself is not needed to build the shim.
 *
 * Ownership: everything is process-global and lives until exit; after a
 * fork the child resets it (shim_writer.c: child_after_fork).
 */
#ifndef VRAMSIM_SHIM_H
#define VRAMSIM_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "vrt.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_VERSION "vramsim-shim 1"

/* ---- CUDA driver API types (layouts from cuda.h) ---- */
typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUstream;
typedef void *CUmemoryPool;
typedef void *CUarray;
typedef unsigned long long CUdeviceptr;
typedef unsigned long long CUmemGenericAllocationHandle;
typedef uint64_t cuuint64_t;

enum {
	CUDA_SUCCESS = 0,
	CUDA_ERROR_INVALID_VALUE = 1,
	CUDA_ERROR_OUT_OF_MEMORY = 2,
	CUDA_ERROR_STUB_LIBRARY = 34
};
enum {
	CU_GET_PROC_ADDRESS_LEGACY_STREAM = 1 << 0,
	CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM = 1 << 1
};
enum { CU_MEM_LOCATION_TYPE_DEVICE = 1, CU_MEM_LOCATION_TYPE_HOST = 2,
       CU_MEM_LOCATION_TYPE_HOST_NUMA = 3, CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT = 4 };
enum { CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT = 5, CU_MEMPOOL_ATTR_USED_MEM_CURRENT = 7 };

struct cu_mem_location { int type; int id; };
struct cu_alloc_prop {               /* CUmemAllocationProp */
	int type;
	int requestedHandleTypes;
	struct cu_mem_location location;
	void *win32HandleMetaData;
	struct {
		unsigned char compressionType;
		unsigned char gpuDirectRDMACapable;
		unsigned short usage;
		unsigned char reserved[4];
	} allocFlags;
};
struct cu_pool_props {               /* CUmemPoolProps */
	int allocType;
	int handleTypes;
	struct cu_mem_location location;
	void *win32SecurityAttributes;
	size_t maxSize;
	unsigned short usage;
	unsigned char reserved[54];
};
struct cu_array_desc_v1 { unsigned int Width, Height; int Format; unsigned int NumChannels; };
struct cu_array_desc { size_t Width, Height; int Format; unsigned int NumChannels; };
struct cu_array3d_desc_v1 {
	unsigned int Width, Height, Depth; int Format; unsigned int NumChannels, Flags;
};
struct cu_array3d_desc {
	size_t Width, Height, Depth; int Format; unsigned int NumChannels, Flags;
};
struct cu_ipc_mem_handle { char reserved[64]; };   /* CUipcMemHandle, passed by value */
typedef void *CUgraph;
typedef void *CUgraphNode;
typedef void *CUgraphExec;
struct cu_mem_access_desc { struct cu_mem_location location; int flags; };
struct cu_mem_alloc_node_params {    /* CUDA_MEM_ALLOC_NODE_PARAMS (v1) */
	struct cu_pool_props poolProps;
	const struct cu_mem_access_desc *accessDescs;
	size_t accessDescCount;
	size_t bytesize;
	CUdeviceptr dptr;                /* out */
};
/* CUgraphNodeParams (CUDA 12.2+, cuGraphAddNode): type, then a 232-byte
 * union at offset 16, 256 bytes in all. */
struct cu_graph_node_params {
	int type;                        /* CUgraphNodeType */
	int reserved0[3];
	union {
		long long reserved1[29];
		struct cu_mem_alloc_node_params alloc;  /* CUDA_MEM_ALLOC_NODE_PARAMS_v2 */
		struct { CUdeviceptr dptr; } free;      /* CUDA_MEM_FREE_NODE_PARAMS */
	} u;
	long long reserved2;
};
_Static_assert(sizeof(struct cu_graph_node_params) == 256, "CUgraphNodeParams is 256 bytes");
/* CUgraphNodeType: the memory node types. */
enum { CU_GRAPH_NODE_TYPE_MEM_ALLOC = 10, CU_GRAPH_NODE_TYPE_MEM_FREE = 11 };
typedef void *CUgraphEdgeData_p;     /* const CUgraphEdgeData *, passed through */
struct cu_graph_inst_params {        /* CUDA_GRAPH_INSTANTIATE_PARAMS */
	cuuint64_t flags;
	CUstream hUploadStream;
	CUgraphNode hErrNode_out;
	int result_out;
};
enum { CU_GRAPH_INSTANTIATE_FLAG_UPLOAD = 2 };
/* CUgraphMem_attribute */
enum { CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT = 0, CU_GRAPH_MEM_ATTR_USED_MEM_HIGH = 1,
       CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT = 2, CU_GRAPH_MEM_ATTR_RESERVED_MEM_HIGH = 3 };
struct cu_mc_prop {                  /* CUmulticastObjectProp */
	unsigned int numDevices;
	size_t size;
	unsigned long long handleTypes;
	unsigned long long flags;
};
struct cu_ext_mem_desc {             /* CUDA_EXTERNAL_MEMORY_HANDLE_DESC */
	int type;
	union { int fd; struct { void *handle; const void *name; } win32; const void *nvSciBufObject; }
		handle;
	unsigned long long size;
	unsigned int flags;
	unsigned int reserved[16];
};
struct cu_ext_buf_desc {             /* CUDA_EXTERNAL_MEMORY_BUFFER_DESC */
	unsigned long long offset, size;
	unsigned int flags;
	unsigned int reserved[16];
};
enum { CUDA_ARRAY3D_LAYERED = 0x01 };
struct cu_uuid { unsigned char bytes[16]; };

/* ---- the table of intercepted entry points ---- */

#include "shim_variants.h"

enum shim_variant_id {
#define SHIM_X_ENUM(name, base, ver, pt) SV_##name,
	SHIM_VARIANTS(SHIM_X_ENUM)
#undef SHIM_X_ENUM
	SV_COUNT
};

struct shim_variant {
	const char *name;      /* exported name, "cuMemAllocAsync_ptsz" */
	const char *base;      /* cuGetProcAddress symbol, "cuMemAllocAsync" */
	int version;           /* cudaVersion that introduced this variant */
	int per_thread;        /* a _ptsz variant */
	uint16_t api;          /* VRT_API_<name> */
	void *lookup_wrapper;  /* handed out by cuGetProcAddress / dlsym(handle) */
	void *next;            /* dlsym(RTLD_NEXT, name): what our export calls */
	void *drv;             /* the driver's own function (pointer identity) */
	int next_done;         /* next was looked up (it may be NULL) */
};
extern struct shim_variant shim_variants[SV_COUNT];

/* ---- shim_resolve.c ---- */

/* Real driver helpers the shim itself calls (never the wrappers); NULL
 * where the driver lacks them. */
struct shim_real {
	CUresult (*ctx_get_device)(CUdevice *);
	CUresult (*ctx_get_current)(CUcontext *);
	CUresult (*ctx_push)(CUcontext);
	CUresult (*ctx_pop)(CUcontext *);
	CUresult (*mem_get_info)(size_t *, size_t *);
	CUresult (*dev_get_uuid)(struct cu_uuid *, CUdevice);
	CUresult (*dev_get_name)(char *, int, CUdevice);
	CUresult (*dev_total_mem)(size_t *, CUdevice);
	CUresult (*driver_version)(int *);
	CUresult (*stream_get_ctx)(CUstream, CUcontext *);
	CUresult (*stream_get_device)(CUstream, CUdevice *);
	CUresult (*stream_is_capturing)(CUstream, int *);
	CUresult (*stream_is_capturing_ptsz)(CUstream, int *);
	CUresult (*pool_get_attr)(CUmemoryPool, int, void *);
	CUresult (*mem_get_range)(CUdeviceptr *, size_t *, CUdeviceptr);
	CUresult (*graph_mem_attr)(CUdevice, int, void *);
	CUresult (*props_from_handle)(struct cu_alloc_prop *, CUmemGenericAllocationHandle);
	/* cuStreamGetCaptureInfo_v2 and _v3 (v3 adds edge data before the
	 * count), each also _ptsz: the graph a stream is captured into. */
	CUresult (*capture_info_v2)(CUstream, int *, cuuint64_t *, CUgraph *, const CUgraphNode **,
				    size_t *);
	CUresult (*capture_info_v2_ptsz)(CUstream, int *, cuuint64_t *, CUgraph *,
					 const CUgraphNode **, size_t *);
	CUresult (*capture_info_v3)(CUstream, int *, cuuint64_t *, CUgraph *, const CUgraphNode **,
				    const void **, size_t *);
	CUresult (*capture_info_v3_ptsz)(CUstream, int *, cuuint64_t *, CUgraph *,
					 const CUgraphNode **, const void **, size_t *);
};
extern struct shim_real shim_real;

/* Find the driver (already loaded by the program) and resolve the
 * variant table and helpers once. Returns 1 when the driver is known.
 * Cheap after success; retried while the driver is not loaded. */
int shim_driver_ready(void);
/* In a forked child: renew the lock of the driver look-up. */
void shim_resolve_after_fork(void);
/* What an exported wrapper calls: the next definition after the shim
 * (another interposer or the driver), else the driver's own. */
void *shim_fn_next(int v);
/* What a handed-out wrapper calls: the driver's own function. */
void *shim_fn_drv(int v);
/* A wrapper had no function to call: warn once, return the error. */
CUresult shim_no_driver(int v);
/*
 * After a successful look-up that produced *pfn for symbol: replace it
 * with the shim's wrapper when it is the driver's function for a wrapped
 * variant. Returns the wrapper's API id, 0 when passed through.
 */
uint16_t shim_substitute(const char *symbol, void **pfn, int version, uint64_t flags);
/* The real dlsym (resolved on first use). */
void *shim_real_dlsym(void *handle, const char *name);
/* The next definition after the shim of glibc's function name, of
 * version GLIBC_2.34 or else the base version (dlsym, dlopen); NULL if
 * none. Takes the loader lock: never call it holding a shim lock. */
void *shim_next_glibc(const char *name);

/* ---- shim_writer.c ---- */

enum shim_state_e {
	SHIM_IDLE = 0,     /* nothing recorded yet */
	SHIM_ACTIVE = 1,   /* recording */
	SHIM_OFF = 2,      /* disabled: setuid, VRAMSIM_DISABLE, or output failed */
	SHIM_DONE = 3      /* finished (exit or exec); wrappers pass through */
};
/* Initialise configuration from the environment (idempotent). */
void shim_config_init(void);
/* May the calling thread record now? Sets the recursion guard; pair
 * with shim_leave(). Returns 0 when recording is off or already inside
 * a wrapper on this thread. */
int shim_enter(void);
void shim_leave(void);
/* Nanoseconds since the process's time 0 (the trace header's). */
int64_t shim_now(void);
/* Ask the writer thread to sweep soon (buffers are filling up). */
void shim_writer_wake(void);
/* Append records for the calling thread (time = now). */
void shim_rec_event(const struct vrt_event *ev);
void shim_rec_device(const struct vrt_device *d);
void shim_rec_lookup(const struct vrt_lookup *lu);
void shim_rec_info(const char *key, const char *value);
/* Write everything recorded so far, now (OOM). */
void shim_flush_sync(void);
/* Finish the file before exec (END with reason exec); after a failed
 * exec recording resumes into a new file. */
void shim_before_exec(void);
void shim_exec_failed(void);
/* Print "vramsim: warning: <msg>" once per key (a small bitmask). */
void shim_warn_once(unsigned key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum { WARN_OUTPUT = 1, WARN_NODRIVER = 2, WARN_TABLE = 4, WARN_DEEPBIND = 8 };

/* ---- shim_buf.c ---- */

enum { SHIM_REC_EVENT, SHIM_REC_DEVICE, SHIM_REC_LOOKUP, SHIM_REC_INFO };
/* Create <trace_path>.tail (O_EXCL) and map it; 0, or -1 with errno.
 * Already mapped: 0 (the mapping goes on). */
int shim_buf_open(const char *trace_path, int32_t pid, int64_t mono_start);
/* Rename the tail to follow a new trace path (after a failed exec). */
int shim_buf_rename(const char *trace_path);
/* Append one record (kind SHIM_REC_*) for the calling thread, stamped
 * shim_now(); 0, or -1 when it was lost (counted). */
int shim_buf_put(int kind, const void *p, const char *v2);
uint64_t shim_buf_lost(void);
/*
 * Writer only (W.mu held): build frame frame_no in the stage from the
 * slots handed over and (unless full_only) every thread's current slot.
 * *raw, *len: the frame content; *events: events in it; *all: every
 * record was taken (else the frame carries wm_old, not wm_new, and the
 * caller sweeps again; always 0 with full_only). Returns the chunks
 * taken, -1 when nothing is mapped.
 */
int shim_buf_stage(uint64_t frame_no, int64_t wm_old, int64_t wm_new, int full_only,
		   uint64_t *events, int *all, const uint8_t **raw, size_t *len);
/* Append END to the stage; returns the new content length. */
size_t shim_buf_append_end(uint64_t events, uint64_t lost, int reason);
/* Recording stopped (output failed): the tail says so. */
void shim_buf_stopped(void);
/* The stage's frame is written whole: it is no longer needed. */
void shim_buf_stage_done(void);
/* Does any slot hold records? Do other threads have buffers? */
int shim_buf_pending(void);
int shim_buf_others(void);
/* Remove the tail file (when unlink_it and it is still ours). */
void shim_buf_close(int unlink_it);
/* Forget the mapping entirely (failed exec after the tail was removed). */
void shim_buf_drop(void);
void shim_buf_fork_prepare(void);
void shim_buf_fork_parent(void);
void shim_buf_fork_child(void);

/* ---- shim_state.c ---- */

/* Device ordinal of the current context, VRT_DEV_UNKNOWN if none. */
int shim_cur_dev(void);
/* Device a stream belongs to (special handles: the current context). */
int shim_stream_dev(CUstream s);
/* Describe device d in the trace the first time it appears (and the
 * driver version once). Cheap after the first call. */
void shim_note_dev(int d);
/* Record a call event: notes its device, and on an out-of-memory result
 * takes a snapshot of that device and flushes synchronously. */
void shim_record(const struct vrt_event *ev);

/* Contexts the shim saw created or retained (and may push for snapshots). */
void shim_ctx_created(CUcontext ctx, int dev);
void shim_ctx_destroying(CUcontext ctx);          /* snapshot, forget */
int shim_ctx_dev(CUcontext ctx);                  /* VRT_DEV_UNKNOWN if unknown */
void shim_primary_retained(CUcontext ctx, int dev);
CUcontext shim_primary_releasing(int dev, int reset); /* snapshot if last, forget */

/* Memory pools and their devices. */
void shim_pool_set(CUmemoryPool pool, int dev, int live);
int shim_pool_dev(CUmemoryPool pool);
void shim_pool_destroying(CUmemoryPool pool);
/* Record a pool's reserved/used bytes now (after a trim). */
void shim_pool_stat(CUmemoryPool pool);
/* Record a device's graph memory (cuDeviceGetGraphMemAttribute) now,
 * why = VRT_GRAPH_STAT_*; nothing when the driver has no such getter, or
 * after a launch that left the device's reserve as last recorded. */
void shim_graph_stat(int dev, int why);

/* Snapshot one device (reason: enum vrt_snap_reason) or every device
 * that has a live context the shim knows. Never creates a context. */
void shim_snapshot_dev(int dev, int reason);
void shim_snapshot_all(int reason);
/* Register the exit snapshot (atexit, once a context exists). */
void shim_arm_exit_snapshot(void);
/* A new file begins: devices must be described again in it. */
void shim_devices_forget(void);
/* Forget everything after fork (the child's contexts are not usable). */
void shim_state_reset(void);

#endif
