/*
 * torchalloc.h - a model of PyTorch's CUDA caching allocator for one
 * device (the "torch" allocator model of the replay).
 *
 * What it models, from pytorch/pytorch c10/cuda/CUDACachingAllocator.cpp
 * (DeviceCachingAllocator, commit 001074d) and c10/core/AllocatorConfig.cpp
 * (the PYTORCH_CUDA_ALLOC_CONF parser), and PyTorch's "Understanding CUDA
 * Memory Usage" notes (docs/source/torch_cuda_memory.rst):
 *  - requests are rounded up to 512 B (kMinBlockSize), or to the next
 *    1/N division of their power-of-two bracket (roundup_power2_divisions);
 *  - rounded requests of at most 1 MiB use the small pool (2 MiB
 *    segments), the rest the large pool (20 MiB segments below 10 MiB,
 *    above that the request rounded up to 2 MiB);
 *  - free blocks are found best-fit by (stream, size, address): a block
 *    is only reused on the stream it was allocated on;
 *  - a found block is split when the rest is >= 512 B (small pool,
 *    expandable segments) or > 1 MiB (large pool, request below
 *    max_split_size); a freed block merges with its free neighbours in
 *    the same segment only;
 *  - max_split_size_mb: blocks of that size or more are never split; a
 *    smaller request never takes one; a larger request takes one only
 *    if it wastes less than max_non_split_rounding (20 MiB);
 *  - when no cached block fits: (garbage collection if a memory fraction
 *    and garbage_collection_threshold are set) -> cudaMalloc ->
 *    release oversize cached blocks (max_split_size set) and retry ->
 *    release every cached segment that is wholly free and retry -> OOM;
 *  - expandable_segments:True: one growing segment per (pool, stream)
 *    mapped in pages of 2 MiB (small pool) or 20 MiB (large pool); an
 *    empty cache unmaps every wholly free page.
 * Not modelled: CUDA graph private pools, cross-stream uses (recordStream
 * events), the cudaMallocAsync backend.
 *
 * "cudaMalloc" succeeds while the bytes the allocator holds (reserved)
 * plus the new segment or page fit in the caller's limit: the device's
 * memory that is not used by anything else.
 */
#ifndef VRAMSIM_TORCHALLOC_H
#define VRAMSIM_TORCHALLOC_H

#include <stdint.h>

/* Constants of CUDACachingAllocator.cpp. */
#define TORCHALLOC_MIN_BLOCK    512ull          /* kMinBlockSize */
#define TORCHALLOC_SMALL_SIZE   (1ull << 20)    /* kSmallSize: largest small request */
#define TORCHALLOC_SMALL_BUFFER (2ull << 20)    /* kSmallBuffer: small segment, small page */
#define TORCHALLOC_MIN_LARGE    (10ull << 20)   /* kMinLargeAlloc */
#define TORCHALLOC_LARGE_BUFFER (20ull << 20)   /* kLargeBuffer: segment for 1-10 MiB, large page */
#define TORCHALLOC_ROUND_LARGE  (2ull << 20)    /* kRoundLarge */
/* roundup_power2_divisions intervals: [1,2) MiB, [2,4) MiB, ... 32-64 GiB and above
 * (kRoundUpPowerOfTwoIntervals); requests below 1 MiB use the first. */
#define TORCHALLOC_INTERVALS    16

/* Allocator settings (PYTORCH_CUDA_ALLOC_CONF). */
struct torchalloc_conf {
	uint64_t max_split_size;         /* bytes; UINT64_MAX = unlimited (default) */
	uint64_t max_non_split_rounding; /* bytes; default TORCHALLOC_LARGE_BUFFER */
	uint32_t divisions[TORCHALLOC_INTERVALS]; /* 0 or 1: no power-of-two rounding */
	double   gc_threshold;           /* garbage_collection_threshold, 0 = off */
	/* torch.cuda.set_per_process_memory_fraction(); not a PyTorch conf
	 * key but accepted as per_process_memory_fraction:F so that the
	 * garbage collection (which needs it) can be modelled. 0 = unset. */
	double   memory_fraction;
	int      expandable;             /* expandable_segments */
};

/* PyTorch's defaults. */
void torchalloc_conf_init(struct torchalloc_conf *c);

/*
 * Parse a PYTORCH_CUDA_ALLOC_CONF string into *c (initialised to the
 * defaults first): comma-separated key:value pairs, e.g.
 * "expandable_segments:True,max_split_size_mb:128,
 *  roundup_power2_divisions:[256:1,512:2,>:8],garbage_collection_threshold:0.6".
 * Keys that do not change the model (backend:native, pinned_*,
 * release_lock_on_cudamalloc, graph_capture_record_stream_reuse) are
 * checked and ignored. s may be NULL (defaults). Returns 0, or
 * UTIL_EINPUT with *cause naming the key and what was expected.
 */
int torchalloc_conf_parse(const char *s, struct torchalloc_conf *c, char **cause);

/* The block size a request of size bytes gets (round_size()). */
uint64_t torchalloc_round_size(const struct torchalloc_conf *c, uint64_t size);

struct torchalloc;

/*
 * A new allocator with no memory. device_total sizes the virtual address
 * range of an expandable segment (1 1/8 x the device's memory, as
 * PyTorch reserves) and the memory fraction; 0 means 1 TiB. The conf is
 * copied. Free with torchalloc_delete().
 */
struct torchalloc *torchalloc_new(const struct torchalloc_conf *c, uint64_t device_total);
void torchalloc_delete(struct torchalloc *a);

enum { TORCHALLOC_OOM = 1 };

/*
 * Allocate size (> 0) bytes on stream. limit: the most bytes the
 * allocator may hold at once (device memory not used by anything else).
 * Returns 0 with *id (> 0) naming the block, or TORCHALLOC_OOM after the
 * cached memory was released (as PyTorch does before it raises), with
 * *tried = the segment (or page range) it could not get. A size of 0 is
 * rounded like PyTorch rounds it (512 B), though PyTorch itself never
 * calls the allocator for 0 bytes.
 */
int torchalloc_malloc(struct torchalloc *a, uint64_t size, uint64_t stream, uint64_t limit,
		      uint32_t *id, uint64_t *tried);

/* Free block id. Returns 0, or -1 if id is not an allocated block
 * (nothing changes). */
int torchalloc_free(struct torchalloc *a, uint32_t id);

/* torch.cuda.empty_cache(): release every wholly free segment (unmap
 * every wholly free page of expandable segments). */
void torchalloc_empty_cache(struct torchalloc *a);

/*
 * Warm start from a recorded state (a PyTorch snapshot's segments and
 * blocks), so that a replay continues where the recording began:
 * torchalloc_seed_segment adds an existing cudaMalloc segment, wholly
 * free, at its recorded address; torchalloc_malloc_at allocates a block
 * of exactly size bytes (the recorded block size) at addr inside a free
 * block of the same stream. Neither checks a memory limit. Both return
 * 0 (malloc_at: *id set), or -1 with nothing changed: a zero size, a
 * seed that overlaps another or comes after the model allocated device
 * memory itself, a block that no free block on that stream covers.
 * Expandable segments cannot be seeded.
 */
int torchalloc_seed_segment(struct torchalloc *a, uint64_t addr, uint64_t size,
			    uint64_t stream, int small);
int torchalloc_malloc_at(struct torchalloc *a, uint64_t addr, uint64_t size,
			 uint64_t requested, uint64_t stream, uint32_t *id);

/* Size and (model) address of an allocated block; 0 if id is not one. */
uint64_t torchalloc_block_size(const struct torchalloc *a, uint32_t id);
uint64_t torchalloc_block_addr(const struct torchalloc *a, uint32_t id);

/* One segment as torch.cuda.memory_snapshot() lists it: a cudaMalloc
 * segment, or one contiguous mapped range of an expandable segment. */
struct torchalloc_segment {
	uint64_t addr, size;
	uint64_t allocated;       /* bytes in allocated blocks */
	uint64_t stream;
	uint32_t n_blocks;
	int      small;           /* small pool */
	int      expandable;
};
/* Call fn for every segment, in no particular order. */
void torchalloc_segments(const struct torchalloc *a,
			 void (*fn)(void *ud, const struct torchalloc_segment *seg), void *ud);

/* Counters, as torch.cuda.memory_stats() names them. */
struct torchalloc_stats {
	uint64_t reserved;        /* reserved_bytes: segments (mapped pages) held */
	uint64_t allocated;       /* allocated_bytes: live blocks (rounded sizes) */
	uint64_t requested;       /* requested_bytes: live blocks as asked */
	uint64_t segments;        /* cudaMalloc segments + expandable segments (mapped or not) */
	uint64_t peak_reserved, peak_allocated;
	uint64_t num_device_alloc;   /* cudaMalloc calls and page maps */
	uint64_t num_device_free;    /* cudaFree calls and page unmaps */
	uint64_t num_alloc_retries;  /* mallocs that needed the cache released */
	uint64_t num_ooms;
};
void torchalloc_get_stats(const struct torchalloc *a, struct torchalloc_stats *s);

#endif
