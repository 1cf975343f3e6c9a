/*
 * vrt.h - the native trace format (.vrt.zst): what libvramtrace.so writes
 * and the importer reads. The layout is specified for users in
 * README "The native format"; this header is the whole interface of the encoder and
 * the streaming decoder, shared by the shim (compiled into it) and by
 * libvramsim.a.
 *
 * In short: a file is a sequence of independent zstd frames (each with a
 * checksum and its content size). Frame 0 holds the header (magic,
 * version, process identity). Every later frame starts with a frame
 * record carrying a watermark and holds whole chunks; a chunk is one
 * thread's records, times delta-encoded from the chunk's base. The last
 * frame of a cleanly finished process ends with an END record. No record
 * spans two frames, so a crash loses at most the frame being filled.
 *
 * Rules for this module: it links only libc and libzstd and never aborts
 * (it runs inside other people's processes), so it does not use util.h's
 * x-allocators; errors are returned as VRT_E* codes with a message kept
 * in the reader (vrt_reader_error()).
 *
 * API ids: every intercepted CUDA entry point has a stable number (the
 * VRT_APIS table below); it is the record type of its events in the file
 * and the `api` column of stored events. Numbers never change; new entry
 * points are appended.
 */
#ifndef VRAMSIM_VRT_H
#define VRAMSIM_VRT_H

#include <stddef.h>
#include <stdint.h>

#define VRT_MAGIC          "VRAMSIMT"   /* 8 bytes at the start of frame 0 */
#define VRT_VERSION_MAJOR  1            /* a reader refuses a newer major */
/* Additions a v1 reader can skip; 1 added graph memory and the handles of
 * other owners (API ids 18, 89-116). */
#define VRT_VERSION_MINOR  1

#define VRT_FRAME_TARGET   (64 * 1024)  /* a writer closes a frame near this raw size */
#define VRT_FRAME_MAX      (1024 * 1024)/* a reader refuses larger frames */
#define VRT_REC_MAX        640          /* the largest encoded record */
#define VRT_NAME_MAX       256          /* device names, symbols, info values (with NUL) */
#define VRT_KEY_MAX        64           /* info keys (with NUL) */
#define VRT_PATH_MAX       4096         /* exe path (with NUL) */
#define VRT_CMDLINE_MAX    (32 * 1024)  /* NUL-separated arguments */
#define VRT_MAX_DEVICES    128          /* device ordinals 0..127 */

/* Device values of an event besides ordinals >= 0. */
#define VRT_DEV_HOST     (-1)  /* host memory (pinned, host VMM location) */
#define VRT_DEV_UNKNOWN  (-2)  /* no current context or not knowable */

/* The one CUresult that means memory ran out (cuda.h). */
#define VRT_CUDA_ERROR_OUT_OF_MEMORY 2

/* Error codes (negative, like util.h's: VRT_EINPUT == UTIL_EINPUT). */
enum {
	VRT_ENOMEM = -1,   /* out of memory (UTIL_ERR) */
	VRT_EINPUT = -2,   /* not a native trace / corrupt header (UTIL_EINPUT) */
	VRT_ENEWER = -3    /* written by a newer, incompatible format version */
};

/* What an API does, for the importer. */
enum vrt_kind {
	VRT_K_NONE = 0,
	VRT_K_ALLOC,          /* device (or managed) memory allocated: addr, req, size */
	VRT_K_ALLOC_HOST,     /* pinned host memory allocated or registered */
	VRT_K_FREE,           /* device memory freed: addr */
	VRT_K_FREE_HOST,      /* pinned host memory freed or unregistered: addr */
	VRT_K_CREATE,         /* VMM physical handle created: addr = handle, size */
	VRT_K_RELEASE,        /* VMM handle released: addr = handle */
	VRT_K_MAP,            /* VMM map: addr = va, size, aux = handle, req = offset */
	VRT_K_UNMAP,          /* VMM unmap: addr = va, size */
	VRT_K_RESERVE,        /* VA reserved: addr, size, aux = alignment */
	VRT_K_UNRESERVE,      /* VA freed: addr, size */
	VRT_K_POOL_CREATE,    /* memory pool created: addr = pool, aux = maxSize */
	VRT_K_POOL_DESTROY,   /* memory pool destroyed: addr = pool */
	VRT_K_TRIM,           /* pool trimmed: addr = pool, aux = minBytesToKeep */
	VRT_K_CTX_CREATE,     /* context created: addr = ctx, aux = flags */
	VRT_K_CTX_DESTROY,    /* context destroyed: addr = ctx */
	VRT_K_PRIMARY_RETAIN, /* primary context retained: addr = ctx */
	VRT_K_PRIMARY_RELEASE,/* primary context released */
	VRT_K_PRIMARY_RESET,  /* primary context reset (destroyed) */
	VRT_K_IPC_OPEN,       /* another process's memory mapped: addr, size */
	VRT_K_IPC_CLOSE,      /* IPC mapping closed: addr */
	VRT_K_POOL_QUERY,     /* pool looked up (no event is written for it) */
	VRT_K_SNAPSHOT,       /* cuMemGetInfo: req = free, size = used, aux = total, addr = reason */
	VRT_K_POOL_STAT,      /* pool attributes: addr = pool, size = reserved, aux = used,
				 * req = why (0 after a trim, else a vrt_snap_reason) */
	VRT_K_POOL_ATTR,      /* pool attribute set: addr = pool, req = attribute,
				 * aux = its value (64-bit attributes) */
	/* Graph memory (CUDA graph memory nodes): nothing is allocated when
	 * a node is added or captured; a device's graph pool maps physical
	 * memory when an executable graph is launched (or uploaded) and keeps
	 * it, even past cuGraphExecDestroy, until cuDeviceGraphMemTrim. */
	VRT_K_GRAPH_ALLOC,    /* memory node added: addr = its VA, size, aux = graph */
	VRT_K_GRAPH_FREE,     /* free node added: addr = the VA, aux = graph */
	VRT_K_GRAPH_INST,     /* graph instantiated: addr = exec, aux = graph, req = flags */
	VRT_K_GRAPH_LAUNCH,   /* exec launched or uploaded: addr = exec, stream */
	VRT_K_GRAPH_EXEC_DESTROY, /* exec destroyed: addr = exec */
	VRT_K_GRAPH_DESTROY,  /* graph destroyed: addr = graph */
	VRT_K_GRAPH_TRIM,     /* cuDeviceGraphMemTrim of the event's device */
	VRT_K_GRAPH_STAT,     /* cuDeviceGetGraphMemAttribute: size = reserved, aux = used,
				 * req = reserved high-water, addr = used high-water,
				 * stream = why (a VRT_GRAPH_STAT_* value) */
	/* Memory of another owner, and objects that own none. */
	VRT_K_IMPORT,         /* a shareable handle imported: addr = handle, aux = handle
				 * type; another process's memory: no new bytes */
	VRT_K_EXPORT,         /* a handle exported to a shareable handle: addr = handle */
	VRT_K_MC_CREATE,      /* multicast object: addr = handle, req = size, aux = devices */
	VRT_K_MC_OP,          /* multicast add device / bind / unbind: addr = handle,
				 * size = bytes bound, aux = memory handle or address */
	VRT_K_EXT_IMPORT,     /* external memory imported: addr = object, req = size,
				 * aux = handle type */
	VRT_K_EXT_MAP,        /* its buffer mapped: addr = VA, req = size, aux = object */
	VRT_K_EXT_DESTROY,    /* external memory destroyed: addr = object */
	VRT_K_GREEN_CREATE,   /* green context created: addr = ctx, aux = flags */
	VRT_K_GREEN_DESTROY   /* green context destroyed: addr = ctx */
};

/* Why a graph_stat was taken (its stream field). */
enum { VRT_GRAPH_STAT_LAUNCH = 1, VRT_GRAPH_STAT_TRIM = 2, VRT_GRAPH_STAT_EXEC_DESTROY = 3 };

/* Stream-ordered calls made while their stream was being captured into a
 * CUDA graph carry this bit in aux: they allocate nothing now (the graph's
 * memory exists once it is launched). The rest of aux is the graph being
 * captured (cuStreamGetCaptureInfo), 0 when the driver could not say;
 * files of shim 1 held the pool there. Pool and graph handles never have
 * the bit. */
#define VRT_AUX_CAPTURED (1ull << 63)

/* Why a snapshot was taken (its addr field). */
enum vrt_snap_reason {
	VRT_SNAP_CTX_CREATE = 1,
	VRT_SNAP_CTX_DESTROY = 2,
	VRT_SNAP_OOM = 3,
	VRT_SNAP_PERIODIC = 4,
	VRT_SNAP_EXIT = 5
};

/*
 * X(name, id, kind): the API table. Ids below VRT_API_FIRST are record
 * types of other records (device, lookup, info) or pseudo-APIs.
 */
#define VRT_API_FIRST 16
#define VRT_APIS(X) \
	X(snapshot,                       16, VRT_K_SNAPSHOT) \
	X(pool_stat,                      17, VRT_K_POOL_STAT) \
	X(graph_stat,                     18, VRT_K_GRAPH_STAT) \
	X(cuMemAlloc,                     32, VRT_K_ALLOC) \
	X(cuMemAlloc_v2,                  33, VRT_K_ALLOC) \
	X(cuMemAllocPitch,                34, VRT_K_ALLOC) \
	X(cuMemAllocPitch_v2,             35, VRT_K_ALLOC) \
	X(cuMemFree,                      36, VRT_K_FREE) \
	X(cuMemFree_v2,                   37, VRT_K_FREE) \
	X(cuMemAllocManaged,              38, VRT_K_ALLOC) \
	X(cuMemAllocHost,                 39, VRT_K_ALLOC_HOST) \
	X(cuMemAllocHost_v2,              40, VRT_K_ALLOC_HOST) \
	X(cuMemHostAlloc,                 41, VRT_K_ALLOC_HOST) \
	X(cuMemFreeHost,                  42, VRT_K_FREE_HOST) \
	X(cuMemHostRegister,              43, VRT_K_ALLOC_HOST) \
	X(cuMemHostRegister_v2,           44, VRT_K_ALLOC_HOST) \
	X(cuMemHostUnregister,            45, VRT_K_FREE_HOST) \
	X(cuArrayCreate,                  46, VRT_K_ALLOC) \
	X(cuArrayCreate_v2,               47, VRT_K_ALLOC) \
	X(cuArray3DCreate,                48, VRT_K_ALLOC) \
	X(cuArray3DCreate_v2,             49, VRT_K_ALLOC) \
	X(cuArrayDestroy,                 50, VRT_K_FREE) \
	X(cuMemAllocAsync,                51, VRT_K_ALLOC) \
	X(cuMemAllocAsync_ptsz,           52, VRT_K_ALLOC) \
	X(cuMemAllocFromPoolAsync,        53, VRT_K_ALLOC) \
	X(cuMemAllocFromPoolAsync_ptsz,   54, VRT_K_ALLOC) \
	X(cuMemFreeAsync,                 55, VRT_K_FREE) \
	X(cuMemFreeAsync_ptsz,            56, VRT_K_FREE) \
	X(cuMemCreate,                    57, VRT_K_CREATE) \
	X(cuMemRelease,                   58, VRT_K_RELEASE) \
	X(cuMemMap,                       59, VRT_K_MAP) \
	X(cuMemUnmap,                     60, VRT_K_UNMAP) \
	X(cuMemAddressReserve,            61, VRT_K_RESERVE) \
	X(cuMemAddressFree,               62, VRT_K_UNRESERVE) \
	X(cuMemPoolCreate,                63, VRT_K_POOL_CREATE) \
	X(cuMemPoolDestroy,               64, VRT_K_POOL_DESTROY) \
	X(cuMemPoolTrimTo,                65, VRT_K_TRIM) \
	X(cuCtxCreate,                    66, VRT_K_CTX_CREATE) \
	X(cuCtxCreate_v2,                 67, VRT_K_CTX_CREATE) \
	X(cuCtxCreate_v3,                 68, VRT_K_CTX_CREATE) \
	X(cuCtxCreate_v4,                 69, VRT_K_CTX_CREATE) \
	X(cuCtxDestroy,                   70, VRT_K_CTX_DESTROY) \
	X(cuCtxDestroy_v2,                71, VRT_K_CTX_DESTROY) \
	X(cuDevicePrimaryCtxRetain,       72, VRT_K_PRIMARY_RETAIN) \
	X(cuDevicePrimaryCtxRelease,      73, VRT_K_PRIMARY_RELEASE) \
	X(cuDevicePrimaryCtxRelease_v2,   74, VRT_K_PRIMARY_RELEASE) \
	X(cuDevicePrimaryCtxReset,        75, VRT_K_PRIMARY_RESET) \
	X(cuDevicePrimaryCtxReset_v2,     76, VRT_K_PRIMARY_RESET) \
	X(cuIpcOpenMemHandle,             77, VRT_K_IPC_OPEN) \
	X(cuIpcOpenMemHandle_v2,          78, VRT_K_IPC_OPEN) \
	X(cuIpcCloseMemHandle,            79, VRT_K_IPC_CLOSE) \
	X(cuDeviceGetDefaultMemPool,      80, VRT_K_POOL_QUERY) \
	X(cuDeviceGetMemPool,             81, VRT_K_POOL_QUERY) \
	X(cuDeviceSetMemPool,             82, VRT_K_POOL_QUERY) \
	X(cuGetProcAddress,               83, VRT_K_NONE) \
	X(cuGetProcAddress_v2,            84, VRT_K_NONE) \
	X(cuMemPoolSetAttribute,          85, VRT_K_POOL_ATTR) \
	X(cuMemGetDefaultMemPool,         86, VRT_K_POOL_QUERY) \
	X(cuMemGetMemPool,                87, VRT_K_POOL_QUERY) \
	X(cuMemSetMemPool,                88, VRT_K_POOL_QUERY) \
	X(cuGraphAddMemAllocNode,         89, VRT_K_GRAPH_ALLOC) \
	X(cuGraphAddMemFreeNode,          90, VRT_K_GRAPH_FREE) \
	X(cuGraphInstantiate,             91, VRT_K_GRAPH_INST) \
	X(cuGraphInstantiate_v2,          92, VRT_K_GRAPH_INST) \
	X(cuGraphInstantiateWithFlags,    93, VRT_K_GRAPH_INST) \
	X(cuGraphInstantiateWithParams,   94, VRT_K_GRAPH_INST) \
	X(cuGraphInstantiateWithParams_ptsz, 95, VRT_K_GRAPH_INST) \
	X(cuGraphLaunch,                  96, VRT_K_GRAPH_LAUNCH) \
	X(cuGraphLaunch_ptsz,             97, VRT_K_GRAPH_LAUNCH) \
	X(cuGraphUpload,                  98, VRT_K_GRAPH_LAUNCH) \
	X(cuGraphUpload_ptsz,             99, VRT_K_GRAPH_LAUNCH) \
	X(cuGraphExecDestroy,            100, VRT_K_GRAPH_EXEC_DESTROY) \
	X(cuGraphDestroy,                101, VRT_K_GRAPH_DESTROY) \
	X(cuDeviceGraphMemTrim,          102, VRT_K_GRAPH_TRIM) \
	X(cuMemExportToShareableHandle,  103, VRT_K_EXPORT) \
	X(cuMemImportFromShareableHandle,104, VRT_K_IMPORT) \
	X(cuMulticastCreate,             105, VRT_K_MC_CREATE) \
	X(cuMulticastAddDevice,          106, VRT_K_MC_OP) \
	X(cuMulticastBindMem,            107, VRT_K_MC_OP) \
	X(cuMulticastBindAddr,           108, VRT_K_MC_OP) \
	X(cuMulticastUnbind,             109, VRT_K_MC_OP) \
	X(cuMipmappedArrayCreate,        110, VRT_K_ALLOC) \
	X(cuMipmappedArrayDestroy,       111, VRT_K_FREE) \
	X(cuImportExternalMemory,        112, VRT_K_EXT_IMPORT) \
	X(cuExternalMemoryGetMappedBuffer, 113, VRT_K_EXT_MAP) \
	X(cuDestroyExternalMemory,       114, VRT_K_EXT_DESTROY) \
	X(cuGreenCtxCreate,              115, VRT_K_GREEN_CREATE) \
	X(cuGreenCtxDestroy,             116, VRT_K_GREEN_DESTROY)

enum vrt_api {
#define VRT_X_ENUM(name, id, kind) VRT_API_##name = id,
	VRT_APIS(VRT_X_ENUM)
#undef VRT_X_ENUM
	VRT_API_END
};

/* Name of an API id ("cuMemAlloc_v2"), NULL if unknown. */
const char *vrt_api_name(int api);
/* Its enum vrt_kind (VRT_K_NONE if unknown). */
int vrt_api_kind(int api);
/* The id of a name, 0 if unknown. */
int vrt_api_find(const char *name);

/* Record types inside a chunk besides events (whose type is the API id). */
enum {
	VRT_REC_DEVICE = 1,  /* a device seen by the process */
	VRT_REC_LOOKUP = 2,  /* a cuGetProcAddress / dlsym look-up of a driver symbol */
	VRT_REC_INFO   = 3,  /* key = value (driver version, environment) */
	/* Kinds of decoded records that are not chunk records: */
	VRT_REC_EVENT  = 16, /* an event (rec.api >= VRT_API_FIRST) */
	VRT_REC_FRAME  = 17, /* a frame began: t_ns = its watermark */
	VRT_REC_END    = 18  /* the clean-exit record */
};

/* How a symbol was looked up (vrt_lookup.via). */
enum { VRT_VIA_GPA = 0, VRT_VIA_GPA_V2 = 1, VRT_VIA_DLSYM = 2 };

/* Why a process ended (END record). */
enum { VRT_END_EXIT = 0, VRT_END_EXEC = 1 };

/* One driver call (or snapshot / pool statistics). See enum vrt_kind for
 * what the fields mean per API. */
struct vrt_event {
	uint16_t api;
	int32_t  dev;      /* ordinal, VRT_DEV_HOST or VRT_DEV_UNKNOWN */
	int32_t  result;   /* CUresult */
	uint64_t req;      /* requested bytes */
	uint64_t size;     /* granted bytes */
	uint64_t addr;     /* address or handle */
	uint64_t aux;
	uint64_t stream;
};

struct vrt_device {
	int32_t  ordinal;
	uint8_t  uuid[16];
	uint64_t total;
	char     name[VRT_NAME_MAX];
};

struct vrt_lookup {
	int      via;      /* VRT_VIA_* */
	int32_t  version;  /* cudaVersion asked for (0 for dlsym) */
	uint64_t flags;
	int32_t  result;   /* CUresult of the real call */
	int32_t  status;   /* symbolStatus written, -1 if the caller passed none */
	uint16_t wrapped;  /* API id of the wrapper handed back, 0: passed through */
	char     symbol[VRT_NAME_MAX];
};

struct vrt_info {
	char key[VRT_KEY_MAX];
	char value[VRT_NAME_MAX];
};

/* A decoded record. t_ns counts from the header's mono_start_ns. */
struct vrt_rec {
	int     type;      /* VRT_REC_* */
	int64_t t_ns;
	int32_t tid;       /* 0 for FRAME and END */
	union {
		struct vrt_event  ev;
		struct vrt_device dev;
		struct vrt_lookup lu;
		struct vrt_info   info;
		struct { uint64_t no; } frame;
		struct { uint64_t events, lost; int reason; } end;
	} u;
};

/* The header (frame 0). Strings are NUL-terminated; cmdline holds the
 * arguments separated by NULs, cmdline_len bytes in all. */
struct vrt_header {
	int      major, minor;
	int32_t  pid, ppid;
	int64_t  mono_start_ns;  /* CLOCK_MONOTONIC at the process's time 0 */
	int64_t  real_start_ns;  /* CLOCK_REALTIME at the same moment */
	char     hostname[VRT_NAME_MAX];
	char     session[VRT_KEY_MAX];   /* VRAMSIM_SESSION of the run, "" if none */
	char     shim_version[VRT_KEY_MAX];
	char     exe[VRT_PATH_MAX];
	char     cmdline[VRT_CMDLINE_MAX];
	size_t   cmdline_len;
};

/* ---- encoding (the shim and tests) ---- */

/*
 * A chunk being filled: one thread's records. buf/cap are the caller's;
 * vrt_enc_reset() starts a new chunk whose times count from base_t.
 * The vrt_enc_* appenders write one record at time t (clamped so it never
 * goes backwards) and return 0, or -1 when it does not fit (nothing is
 * written then).
 */
struct vrt_enc {
	uint8_t *buf;
	size_t   len, cap;
	int64_t  base_t, last_t;
	uint64_t last_addr, last_stream;
};
void vrt_enc_reset(struct vrt_enc *e, int64_t base_t);
int vrt_enc_event(struct vrt_enc *e, int64_t t, const struct vrt_event *ev);
int vrt_enc_device(struct vrt_enc *e, int64_t t, const struct vrt_device *d);
int vrt_enc_lookup(struct vrt_enc *e, int64_t t, const struct vrt_lookup *lu);
int vrt_enc_info(struct vrt_enc *e, int64_t t, const char *key, const char *value);

/* Frame-level pieces; each returns the bytes written to out, which must
 * hold VRT_HDR_PIECE_MAX bytes. */
#define VRT_HDR_PIECE_MAX 40
size_t vrt_put_frame(uint8_t *out, uint64_t frame_no, int64_t watermark);
size_t vrt_put_chunk(uint8_t *out, int32_t tid, int64_t base_t, size_t nbytes);
size_t vrt_put_end(uint8_t *out, uint64_t events, uint64_t lost, int reason);

/* Encode the header payload into out; returns its length or 0 if cap is
 * too small (VRT_HEADER_MAX always suffices). */
#define VRT_HEADER_MAX (VRT_CMDLINE_MAX + VRT_PATH_MAX + 1024)
size_t vrt_header_encode(uint8_t *out, size_t cap, const struct vrt_header *h);

/*
 * Compress n raw bytes into one zstd frame (checksum and content size on,
 * level from vrt_cctx_new) and write it all to fd, retrying short writes
 * and EINTR. zbuf must hold vrt_frame_bound(n) bytes. Returns 0, or -1
 * with errno set (a zstd failure sets EIO).
 */
struct ZSTD_CCtx_s;
struct ZSTD_CCtx_s *vrt_cctx_new(int level);
size_t vrt_frame_bound(size_t n);
int vrt_write_frame(int fd, struct ZSTD_CCtx_s *cc, const void *raw, size_t n,
		    void *zbuf, size_t zcap);

/* Varints (LEB128, 7 bits a byte) and zigzag; exposed for tests. */
size_t vrt_put_varint(uint8_t *p, uint64_t v);
static inline uint64_t vrt_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t vrt_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- decoding ---- */

/*
 * A streaming reader over a file held in memory (mapped by the caller,
 * who keeps it alive until vrt_reader_free). Memory is bounded: one frame
 * (<= VRT_FRAME_MAX) and a zstd context with a 1 MiB window limit.
 * Nothing read from the file is trusted: every length is checked.
 */
struct vrt_reader;

/* Create a reader and decode the header: 0, VRT_ENOMEM, VRT_EINPUT (not a
 * native trace, corrupt header: see vrt_reader_error) or VRT_ENEWER. On
 * error *out is still set (for the message) and must be freed. */
int vrt_reader_open(const void *data, size_t len, struct vrt_reader **out);
const struct vrt_header *vrt_reader_header(const struct vrt_reader *r);

/*
 * The next record: returns 1 with *rec filled, 0 at the end of the usable
 * input (a clean end or a damaged tail: see vrt_reader_status), or
 * VRT_ENOMEM. Records of a frame are only returned once the whole frame
 * has decoded with a good checksum and parsed, so a damaged frame yields
 * none of its records.
 */
int vrt_reader_next(struct vrt_reader *r, struct vrt_rec *rec);

struct vrt_status {
	int    complete;       /* the END record was read */
	int    damaged;        /* decoding stopped at a bad or cut frame */
	size_t frames;         /* complete data frames read (header excluded) */
	uint64_t last_frame_no;/* number of the last complete data frame, 0 if none */
	size_t bytes_used;     /* bytes of complete frames, header included */
	size_t bytes_dropped;  /* bytes after the last complete frame */
	int    end_reason;     /* VRT_END_* when complete */
};
void vrt_reader_status(const struct vrt_reader *r, struct vrt_status *st);
/* The message of the last error or damage ("byte N: ..."), "" if none. */
const char *vrt_reader_error(const struct vrt_reader *r);
void vrt_reader_free(struct vrt_reader *r);

/*
 * Parse raw (uncompressed) frame content: the whole of it is validated
 * first, then cb(arg, rec) gets each record in order (a non-zero return
 * stops and is returned). Returns 0, or -1 with *why set when the content
 * does not parse (cb is then never called). Used for what was recovered
 * from a tail file (vrt_tail.h).
 */
int vrt_raw_each(const void *raw, size_t n, int (*cb)(void *arg, const struct vrt_rec *rec),
		 void *arg, const char **why);

/* Frames may declare at most this many times the bytes of file read so
 * far, plus VRT_FRAME_MAX: what the shim writes stays far below (about
 * 20:1), and it bounds the records a small crafted file can declare. */
#define VRT_RATIO_MAX 256

/* Does data look like a native trace (zstd frame whose content starts
 * with VRT_MAGIC)? Decodes at most a few bytes. */
int vrt_sniff(const void *data, size_t len);

#endif
