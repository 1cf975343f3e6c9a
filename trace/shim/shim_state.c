/*
 * shim_state.c - what the wrappers remember across calls: which devices
 * the trace already describes, the contexts the shim saw created or
 * retained, the memory pools and their devices; and the memory
 * snapshots taken from them.
 *
 * Snapshots use cuMemGetInfo, which needs a current context. The shim
 * never creates one: it pushes a context it saw created (or retained)
 * through its own wrappers, under ctx_mu, and the wrappers that destroy
 * contexts take ctx_mu too, so a context is never pushed while it is
 * being destroyed.
 */
#include "shim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CTX  256
#define MAX_POOL 512   /* power of two */

static atomic_uchar dev_known[VRT_MAX_DEVICES];
static atomic_int driver_noted;
static atomic_int exiting;
static atomic_int exit_armed;

struct ctx_ent {
	CUcontext ctx;
	int dev;
	int primary;
	int refs;   /* retains seen (primary contexts) */
};
static pthread_mutex_t ctx_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ctx_ent ctxs[MAX_CTX];
static int nctx;
/* Last periodic snapshot per device (ctx_mu), to write only changes. */
static uint64_t last_free[VRT_MAX_DEVICES], last_total[VRT_MAX_DEVICES];

struct pool_ent {
	_Atomic(uintptr_t) pool;   /* 0: empty slot; entries are never removed */
	atomic_int dev;
	atomic_int live;
	uint64_t last_res, last_used;  /* pool_mu */
};
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pool_ent pools[MAX_POOL];

/* ---- devices ---- */

int shim_cur_dev(void)
{
	CUdevice d;
	if (shim_real.ctx_get_device && shim_real.ctx_get_device(&d) == CUDA_SUCCESS &&
	    d >= 0 && d < VRT_MAX_DEVICES)
		return d;
	return VRT_DEV_UNKNOWN;
}

int shim_stream_dev(CUstream s)
{
	/* 0, CU_STREAM_LEGACY (1) and CU_STREAM_PER_THREAD (2) belong to the
	 * current context. */
	if ((uintptr_t)s <= 2)
		return shim_cur_dev();
	CUdevice d;
	if (shim_real.stream_get_device && shim_real.stream_get_device(s, &d) == CUDA_SUCCESS &&
	    d >= 0 && d < VRT_MAX_DEVICES)
		return d;
	CUcontext c;
	if (shim_real.stream_get_ctx && shim_real.stream_get_ctx(s, &c) == CUDA_SUCCESS) {
		int k = shim_ctx_dev(c);
		if (k >= 0)
			return k;
	}
	return shim_cur_dev();
}

void shim_note_dev(int d)
{
	if (d < 0 || d >= VRT_MAX_DEVICES)
		return;
	if (atomic_load_explicit(&dev_known[d], memory_order_relaxed) ||
	    atomic_exchange(&dev_known[d], 1))
		return;
	int v;
	if (!atomic_exchange(&driver_noted, 1) && shim_real.driver_version &&
	    shim_real.driver_version(&v) == CUDA_SUCCESS) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d", v);
		shim_rec_info("driver_version", buf);
	}
	struct vrt_device dv;
	memset(&dv, 0, sizeof(dv));
	dv.ordinal = d;
	struct cu_uuid u;
	if (shim_real.dev_get_uuid && shim_real.dev_get_uuid(&u, d) == CUDA_SUCCESS)
		memcpy(dv.uuid, u.bytes, 16);
	if (shim_real.dev_get_name &&
	    shim_real.dev_get_name(dv.name, (int)sizeof(dv.name) - 1, d) != CUDA_SUCCESS)
		dv.name[0] = '\0';
	dv.name[sizeof(dv.name) - 1] = '\0';
	size_t total;
	if (shim_real.dev_total_mem && shim_real.dev_total_mem(&total, d) == CUDA_SUCCESS)
		dv.total = total;
	shim_rec_device(&dv);
}

void shim_record(const struct vrt_event *ev)
{
	shim_note_dev(ev->dev);
	shim_rec_event(ev);
	if (ev->result == CUDA_ERROR_OUT_OF_MEMORY) {
		if (ev->dev >= 0)
			shim_snapshot_dev(ev->dev, VRT_SNAP_OOM);
		shim_flush_sync();
	}
}

/* ---- snapshots ---- */

static void rec_snap(int dev, size_t fr, size_t total, int reason)
{
	struct vrt_event ev = {
		.api = VRT_API_snapshot, .dev = dev, .req = fr,
		.size = total >= fr ? total - fr : 0, .aux = total, .addr = (uint64_t)reason,
	};
	shim_note_dev(dev);
	shim_rec_event(&ev);
}

/* cuMemGetInfo with ctx pushed (ctx_mu held by the caller). */
static int meminfo_in(CUcontext ctx, size_t *fr, size_t *total)
{
	if (!shim_real.ctx_push || !shim_real.ctx_pop || !shim_real.mem_get_info)
		return -1;
	if (shim_real.ctx_push(ctx) != CUDA_SUCCESS)
		return -1;
	int rc = shim_real.mem_get_info(fr, total) == CUDA_SUCCESS ? 0 : -1;
	CUcontext popped;
	shim_real.ctx_pop(&popped);
	return rc;
}

static void pool_stats_locked(int dev, int reason);

/* Snapshot entry i (ctx_mu held); periodic ones only when changed. */
static void snap_entry(int i, int reason)
{
	size_t fr, total;
	int d = ctxs[i].dev;
	if (meminfo_in(ctxs[i].ctx, &fr, &total))
		return;
	if (reason == VRT_SNAP_PERIODIC && d >= 0 && d < VRT_MAX_DEVICES &&
	    last_free[d] == fr && last_total[d] == total)
		return;
	if (d >= 0 && d < VRT_MAX_DEVICES) {
		last_free[d] = fr;
		last_total[d] = total;
	}
	rec_snap(d, fr, total, reason);
}

void shim_snapshot_dev(int dev, int reason)
{
	/* The calling thread's own context first: no push needed. */
	CUcontext cur = NULL;
	size_t fr, total;
	if (shim_real.ctx_get_current && shim_real.mem_get_info &&
	    shim_real.ctx_get_current(&cur) == CUDA_SUCCESS && cur && shim_cur_dev() == dev) {
		if (shim_real.mem_get_info(&fr, &total) == CUDA_SUCCESS)
			rec_snap(dev, fr, total, reason);
		return;
	}
	pthread_mutex_lock(&ctx_mu);
	for (int i = 0; i < nctx; i++)
		if (ctxs[i].dev == dev) {
			snap_entry(i, reason);
			break;
		}
	pthread_mutex_unlock(&ctx_mu);
}

void shim_snapshot_all(int reason)
{
	if (reason == VRT_SNAP_PERIODIC && atomic_load(&exiting))
		return;
	pthread_mutex_lock(&ctx_mu);
	for (int i = 0; i < nctx; i++) {
		int seen = 0;
		for (int k = 0; k < i; k++)
			seen |= ctxs[k].dev == ctxs[i].dev;
		if (seen)
			continue; /* one snapshot per device */
		snap_entry(i, reason);
		if (shim_real.ctx_push && shim_real.ctx_push(ctxs[i].ctx) == CUDA_SUCCESS) {
			pool_stats_locked(ctxs[i].dev, reason);
			CUcontext popped;
			shim_real.ctx_pop(&popped);
		}
	}
	pthread_mutex_unlock(&ctx_mu);
}

static void exit_snapshot(void)
{
	/* Registered once a context exists, so (being registered after the
	 * runtime's own teardown handlers, usually) it runs while contexts
	 * still live. Stops the periodic snapshots first. */
	atomic_store(&exiting, 1);
	shim_snapshot_all(VRT_SNAP_EXIT);
	shim_flush_sync();
}

void shim_arm_exit_snapshot(void)
{
	if (!atomic_exchange(&exit_armed, 1))
		atexit(exit_snapshot);
}

/* ---- contexts ---- */

static int ctx_find(CUcontext c)
{
	for (int i = 0; i < nctx; i++)
		if (ctxs[i].ctx == c)
			return i;
	return -1;
}

static void ctx_drop(int i)
{
	ctxs[i] = ctxs[--nctx];
}

void shim_ctx_created(CUcontext ctx, int dev)
{
	pthread_mutex_lock(&ctx_mu);
	int i = ctx_find(ctx);
	if (i < 0 && nctx < MAX_CTX) {
		i = nctx++;
		ctxs[i] = (struct ctx_ent){ .ctx = ctx, .dev = dev };
	}
	if (i >= 0)
		snap_entry(i, VRT_SNAP_CTX_CREATE);
	pthread_mutex_unlock(&ctx_mu);
	shim_arm_exit_snapshot();
}

void shim_ctx_destroying(CUcontext ctx)
{
	pthread_mutex_lock(&ctx_mu);
	int i = ctx_find(ctx);
	if (i >= 0) {
		snap_entry(i, VRT_SNAP_CTX_DESTROY);
		ctx_drop(i);
	}
	pthread_mutex_unlock(&ctx_mu);
}

int shim_ctx_dev(CUcontext ctx)
{
	pthread_mutex_lock(&ctx_mu);
	int i = ctx_find(ctx);
	int d = i >= 0 ? ctxs[i].dev : VRT_DEV_UNKNOWN;
	pthread_mutex_unlock(&ctx_mu);
	return d;
}

void shim_primary_retained(CUcontext ctx, int dev)
{
	pthread_mutex_lock(&ctx_mu);
	int i = ctx_find(ctx);
	if (i >= 0) {
		ctxs[i].refs++;
	} else if (nctx < MAX_CTX) {
		i = nctx++;
		ctxs[i] = (struct ctx_ent){ .ctx = ctx, .dev = dev, .primary = 1, .refs = 1 };
		snap_entry(i, VRT_SNAP_CTX_CREATE);
	}
	pthread_mutex_unlock(&ctx_mu);
	shim_arm_exit_snapshot();
}

CUcontext shim_primary_releasing(int dev, int reset)
{
	CUcontext c = NULL;
	pthread_mutex_lock(&ctx_mu);
	for (int i = 0; i < nctx; i++) {
		if (!ctxs[i].primary || ctxs[i].dev != dev)
			continue;
		c = ctxs[i].ctx;
		if (reset || ctxs[i].refs <= 1) {
			snap_entry(i, VRT_SNAP_CTX_DESTROY);
			ctx_drop(i);
		} else {
			ctxs[i].refs--;
		}
		break;
	}
	pthread_mutex_unlock(&ctx_mu);
	return c;
}

/* ---- pools ---- */

static struct pool_ent *pool_slot(uintptr_t p, int insert)
{
	size_t h = (size_t)(((uint64_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 55);
	for (size_t i = 0; i < MAX_POOL; i++) {
		struct pool_ent *e = &pools[(h + i) & (MAX_POOL - 1)];
		uintptr_t q = atomic_load_explicit(&e->pool, memory_order_acquire);
		if (q == p)
			return e;
		if (q == 0) {
			if (!insert)
				return NULL;
			atomic_store_explicit(&e->pool, p, memory_order_release);
			return e;
		}
	}
	return NULL;
}

void shim_pool_set(CUmemoryPool pool, int dev, int live)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool_mu); /* inserts are serialised; lookups are not */
	struct pool_ent *e = pool_slot((uintptr_t)pool, 1);
	if (e) {
		atomic_store(&e->dev, dev);
		atomic_store(&e->live, live);
	}
	pthread_mutex_unlock(&pool_mu);
}

int shim_pool_dev(CUmemoryPool pool)
{
	struct pool_ent *e = pool ? pool_slot((uintptr_t)pool, 0) : NULL;
	return e ? atomic_load(&e->dev) : VRT_DEV_UNKNOWN;
}

void shim_pool_destroying(CUmemoryPool pool)
{
	pthread_mutex_lock(&pool_mu);
	struct pool_ent *e = pool ? pool_slot((uintptr_t)pool, 0) : NULL;
	if (e)
		atomic_store(&e->live, 0);
	pthread_mutex_unlock(&pool_mu);
}

/* One pool's reserved/used bytes (pool_mu held); periodic ones only when
 * changed. reason: 0 after a trim, else the snapshot's. */
static void stat_one(struct pool_ent *e, int reason)
{
	uint64_t res = 0, used = 0;
	CUmemoryPool pool = (CUmemoryPool)atomic_load(&e->pool);
	if (!shim_real.pool_get_attr ||
	    shim_real.pool_get_attr(pool, CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &res) != CUDA_SUCCESS ||
	    shim_real.pool_get_attr(pool, CU_MEMPOOL_ATTR_USED_MEM_CURRENT, &used) != CUDA_SUCCESS)
		return;
	if (reason == VRT_SNAP_PERIODIC && res == e->last_res && used == e->last_used)
		return;
	e->last_res = res;
	e->last_used = used;
	struct vrt_event ev = {
		.api = VRT_API_pool_stat, .dev = atomic_load(&e->dev), .req = (uint64_t)reason,
		.addr = (uint64_t)(uintptr_t)pool, .size = res, .aux = used,
	};
	shim_note_dev(ev.dev);
	shim_rec_event(&ev);
}

static void pool_stats_locked(int dev, int reason)
{
	pthread_mutex_lock(&pool_mu);
	for (size_t i = 0; i < MAX_POOL; i++) {
		struct pool_ent *e = &pools[i];
		if (atomic_load(&e->pool) && atomic_load(&e->live) && atomic_load(&e->dev) == dev)
			stat_one(e, reason);
	}
	pthread_mutex_unlock(&pool_mu);
}

void shim_pool_stat(CUmemoryPool pool)
{
	pthread_mutex_lock(&pool_mu);
	struct pool_ent *e = pool ? pool_slot((uintptr_t)pool, 0) : NULL;
	if (e && atomic_load(&e->live))
		stat_one(e, 0);
	pthread_mutex_unlock(&pool_mu);
}

void shim_devices_forget(void)
{
	for (int i = 0; i < VRT_MAX_DEVICES; i++)
		atomic_store(&dev_known[i], 0);
	atomic_store(&driver_noted, 0);
}

void shim_state_reset(void)
{
	/* After fork: the child's new file must describe its devices again,
	 * and the parent's contexts and pools are not the child's. */
	pthread_mutex_init(&ctx_mu, NULL);
	pthread_mutex_init(&pool_mu, NULL);
	shim_devices_forget();
	atomic_store(&exiting, 0);
	nctx = 0;
	memset(last_free, 0, sizeof(last_free));
	memset(last_total, 0, sizeof(last_total));
	for (size_t i = 0; i < MAX_POOL; i++) {
		atomic_store(&pools[i].pool, 0);
		atomic_store(&pools[i].live, 0);
	}
}

/* ---- graph memory ---- */

void shim_graph_stat(int dev, int why)
{
	/* cuda.h CUgraphMem_attribute: values are cuuint64_t. */
	static const int attrs[4] = {
		CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT, CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT,
		CU_GRAPH_MEM_ATTR_RESERVED_MEM_HIGH, CU_GRAPH_MEM_ATTR_USED_MEM_HIGH,
	};
	/*
	 * Reserved bytes last recorded per device, + 1 (0: none yet). A launch
	 * is a hot path (llama.cpp launches a graph per token) and rarely
	 * changes the reserve: after one it costs one getter call and records
	 * nothing unless the reserve moved. Trim and exec destroy always
	 * record. Racing launches can only record a value twice.
	 */
	static _Atomic uint64_t last[VRT_MAX_DEVICES];
	uint64_t v[4];
	if (!shim_real.graph_mem_attr || dev < 0 || dev >= VRT_MAX_DEVICES)
		return;
	if (shim_real.graph_mem_attr(dev, attrs[0], &v[0]) != CUDA_SUCCESS)
		return;
	if (why == VRT_GRAPH_STAT_LAUNCH && atomic_load_explicit(&last[dev], memory_order_relaxed) == v[0] + 1)
		return;
	for (int i = 1; i < 4; i++)
		if (shim_real.graph_mem_attr(dev, attrs[i], &v[i]) != CUDA_SUCCESS)
			return;
	struct vrt_event ev = {
		.api = VRT_API_graph_stat, .dev = dev, .size = v[0], .aux = v[1], .req = v[2],
		.addr = v[3], .stream = (uint64_t)why,
	};
	shim_note_dev(dev);
	shim_rec_event(&ev);
	atomic_store_explicit(&last[dev], v[0] + 1, memory_order_relaxed);
}
