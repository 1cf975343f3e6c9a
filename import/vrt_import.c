/*
 * vrt_import.c - native traces (.vrt.zst) written by libvramtrace.so: one
 * file per process, decoded by trace/vrt.c (format: README "The native format").
 *
 * Each file is read twice, streaming (bounded memory: one frame at a
 * time): the first pass collects its devices, first event time and
 * health; then devices of all files are unified by UUID (one trace-level
 * index per GPU, whatever ordinal each process saw it under), the time
 * base becomes the earliest event of all files, and the second pass turns
 * records into events. Threads write their records in chunks, so a frame
 * is not in time order; the second pass holds back events until the
 * frame watermark proves no earlier one can follow, then stores them
 * sorted by (time, thread, order in the thread).
 *
 * Mapping (the driver call -> event): allocations of every kind -> ALLOC
 * (pinned host: device TRACE_DEV_HOST, category host), frees -> FREE
 * (with the size and device of their allocation), an allocation that
 * failed with CUDA_ERROR_OUT_OF_MEMORY -> OOM (any other error is a MARKER
 * "<api> failed" with its CUresult as the result: only that code means the memory ran out); cuMemCreate -> CREATE (addr = handle), cuMemRelease -> RELEASE,
 * cuMemMap -> MAP (aux = handle), cuMemUnmap -> UNMAP, address reserve /
 * free -> RESERVE / UNRESERVE, pool trim -> TRIM (aux = bytes kept),
 * cuMemGetInfo -> SNAPSHOT (size = used, aux = total); contexts, pools,
 * IPC, pool usage and other failed calls -> MARKER with a label. A device
 * the shim could not know is stored as 0. Managed memory is category
 * managed; graph memory (nodes, instantiate, launch, trim: vgraph.h) and
 * memory of other owners (imported handles, multicast objects, external
 * memory: counted by their owner) are described in map_event.
 *
 * Over 800 lines in one file because the two passes, the held-back heap
 * and what dies with a process (exit, kill, context end, one unmap over
 * several mappings, pool and graph reserves) all work on one state, the
 * struct vimp of the import; the graph model has its own file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"
#include "imp.h"
#include "store.h"
#include "u64map.h"
#include "util.h"
#include "vrt.h"
#include "vgraph.h"
#include "vrt_tail.h"

/* Events held back at most; a file whose watermarks never advance (not
 * written by the shim) is then released in time order as it goes. */
#define PEND_MAX (1u << 20)

int imp_vrt_detect(const unsigned char *data, size_t len, const char *path)
{
	(void)path;
	return vrt_sniff(data, len) ? 100 : 0;
}

/* ---- a map from address or handle to what it is ---- */

struct slot {
	uint64_t key, size;
	int16_t dev, cat;
	int16_t ord;     /* live allocations: the file's device ordinal (NORD: host) */
};

#define NORD VRT_MAX_DEVICES   /* devlive[] index of host and unknown devices */

/* Entries kept dense in s[0..n), found through the project's one hash map
 * (key -> index in s): a slot holds more than the map's one uint64 value,
 * and the dense array lets "free all a process held" walk n entries, not
 * a sparse table. Removal moves the last entry into the hole. */
struct amap {
	struct u64map at;
	struct slot *s;
	size_t n, cap;
};

static void map_set(struct amap *m, struct slot v)
{
	uint64_t i;
	if (u64map_get(&m->at, v.key, &i)) {
		m->s[i] = v;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->s = util_xrealloc(m->s, m->cap * sizeof(*m->s));
	}
	m->s[m->n] = v;
	u64map_put(&m->at, v.key, m->n++);
}

static void map_put(struct amap *m, uint64_t key, int dev, int cat, uint64_t size)
{
	map_set(m, (struct slot){ key, size, (int16_t)dev, (int16_t)cat, NORD });
}

/* Remove key, copying its entry to *out; 0 if absent. */
static int map_take(struct amap *m, uint64_t key, struct slot *out)
{
	uint64_t i;
	if (!u64map_del(&m->at, key, &i))
		return 0;
	*out = m->s[i];
	if (i != --m->n) {
		m->s[i] = m->s[m->n];
		u64map_put(&m->at, m->s[i].key, i);
	}
	return 1;
}

static int map_get(const struct amap *m, uint64_t key, struct slot *out)
{
	uint64_t i;
	if (!u64map_get(&m->at, key, &i))
		return 0;
	*out = m->s[i];
	return 1;
}

static void map_clear(struct amap *m)
{
	u64map_free(&m->at);
	free(m->s);
	memset(m, 0, sizeof(*m));
}

/* ---- what a process holds, so that what dies with it is freed ---- */

struct vimp;
static int ord_of(int dev)
{
	return dev >= 0 && dev < VRT_MAX_DEVICES ? dev : NORD;
}

/* What a graph pool holds (import/vgraph.h) is one synthetic allocation
 * per device, category graph, at this key (no device or host address, nor
 * a pool reserve key, has bit 62 alone). */
#define GRAPH_KEY(ord) ((1ull << 62) | (uint64_t)(ord))

/* ---- one input file ---- */

struct vfile {
	const char *path;
	const unsigned char *data;
	size_t len;
	int mapped;                          /* munmap data at the end */
	const unsigned char *tail;           /* <path>.tail, mapped; NULL if none */
	size_t tail_len;
	struct vrt_tail_stats ts;            /* what the tail gave (pass 1) */
	struct vrt_header *hdr;
	struct vrt_device *dev;              /* [VRT_MAX_DEVICES] */
	unsigned char have[VRT_MAX_DEVICES]; /* a DEVICE record was read */
	unsigned char used[VRT_MAX_DEVICES]; /* events refer to the ordinal */
	int16_t index[VRT_MAX_DEVICES];      /* trace-level index */
	int64_t first_t;                     /* earliest event, file time */
	int any;
	struct vrt_status st;
	char why[256];
	uint64_t lost, lookups, wrapped;
	int graph_stats;                     /* the driver counted graph memory (graph_stat) */
	struct imp_ctx *wctx;                /* for warnings */
};

/* An event held back until its frame's watermark passes. */
struct pend {
	int64_t t;
	int32_t tid;
	uint32_t seq;       /* arrival order: a thread's order within a time */
	struct vrt_event ev;
};

/* The whole import. */
struct vimp {
	struct store *st;
	int64_t trace;
	int strict;
	struct trace_device *devs;
	size_t ndev, devcap;
	int64_t base;                        /* monotonic ns of the trace's time 0 */
	struct { char *text; int64_t id; } *lab;
	size_t nlab, labcap;
	char **set_keys;                     /* settings already written */
	size_t nset, setcap;
	uint64_t lookups, wrapped, recovered;
	int64_t events;
	int truncated, processes;
	int ended[4];                        /* files by ending(): exit exec killed truncated */
	int64_t released_t;                  /* time of the last event stored (this file) */
	uint64_t reordered;                  /* events older than that, stored at it */
	/* per process */
	struct amap live, handles, mapped;
	struct u64map devlive[NORD + 1];     /* live allocation addresses by ordinal */
	struct vgraph *g;                    /* graph memory */
	uint64_t unmap_next, unmap_rest;     /* a cuMemUnmap over several mappings */
	struct pend *pend;
	size_t npend, pendcap;
	uint32_t seq;
};

static int file_fail(struct vfile *f, int rc, const char *msg, char **cause)
{
	return util_err(cause, rc == VRT_ENOMEM ? UTIL_ERR : UTIL_EINPUT, "%s: %s", f->path, msg);
}

/* Pass 1 for one record. */
static void scan_rec(struct vfile *f, const struct vrt_rec *rec)
{
	if (rec->type == VRT_REC_DEVICE) {
		int o = rec->u.dev.ordinal;
		f->dev[o] = rec->u.dev;
		f->have[o] = 1;
	} else if (rec->type == VRT_REC_LOOKUP) {
		f->lookups++;
		f->wrapped += rec->u.lu.wrapped != 0;
	} else if (rec->type == VRT_REC_END) {
		f->lost = rec->u.end.lost;
	} else if (rec->type == VRT_REC_EVENT) {
		int k = vrt_api_kind(rec->u.ev.api);
		if (k == VRT_K_NONE || k == VRT_K_POOL_QUERY)
			return;
		if (k == VRT_K_GRAPH_STAT && rec->u.ev.result == 0)
			f->graph_stats = 1;
		if (!f->any || rec->t_ns < f->first_t)
			f->first_t = rec->t_ns;
		f->any = 1;
		int d = rec->u.ev.dev;
		if (d >= 0 && d < VRT_MAX_DEVICES)
			f->used[d] = 1;
	}
}

static int scan_tail_cb(void *arg, const struct vrt_rec *rec)
{
	scan_rec(arg, rec);
	return 0;
}

/* Pass 1: devices, first event, health; the tail's records too. */
static int scan(struct vfile *f, char **cause)
{
	struct vrt_reader *r;
	int rc = vrt_reader_open(f->data, f->len, &r);
	if (rc) {
		rc = file_fail(f, rc, vrt_reader_error(r), cause);
		vrt_reader_free(r);
		return rc;
	}
	f->hdr = util_xmalloc(sizeof(*f->hdr));
	*f->hdr = *vrt_reader_header(r);
	f->dev = util_xcalloc(VRT_MAX_DEVICES, sizeof(*f->dev));
	struct vrt_rec rec;
	while ((rc = vrt_reader_next(r, &rec)) == 1)
		scan_rec(f, &rec);
	vrt_reader_status(r, &f->st);
	snprintf(f->why, sizeof(f->why), "%s", vrt_reader_error(r));
	vrt_reader_free(r);
	if (rc < 0)
		return util_err(cause, UTIL_ERR, "%s: out of memory", f->path);
	if (f->tail) {
		rc = vrt_tail_recover(f->tail, f->tail_len, f->hdr, f->st.last_frame_no, scan_tail_cb,
				      f, &f->ts);
		if (rc == VRT_ENOMEM)
			return util_err(cause, UTIL_ERR, "%s.tail: out of memory", f->path);
	}
	return 0;
}

/* How a file's process ended, for the trace: "exit" or "exec" (END
 * record), "killed" (no END, every record recovered from the tail) or
 * "truncated" (records may be missing). */
static const char *ending(const struct vfile *f)
{
	if (f->st.complete)
		return f->st.end_reason == VRT_END_EXEC ? "exec" : "exit";
	if (f->ts.present && !f->ts.bad_slots && !f->ts.stopped && (!f->st.damaged || f->ts.stage))
		return "killed";
	return "truncated";
}

/* Report a file's health; with --strict a truncated file is an error. */
static int health(struct vimp *vi, struct vfile *f, char **cause)
{
	char msg[768];
	const char *end = ending(f);
	msg[0] = '\0';
	if (f->st.complete && f->st.damaged) {
		imp_warn(f->wctx, "%s; ignored", f->why);
	} else if (!strcmp(end, "killed")) {
		imp_warn(f->wctx, "no END record: the process was killed or ended without exit "
			 "handlers; %llu events recovered from %s.tail%s", (unsigned long long)
			 f->ts.events, f->path, f->st.damaged ? " (with the frame being written)" : "");
	} else if (!strcmp(end, "truncated")) {
		int k = snprintf(msg, sizeof(msg), "trace is truncated: %s; kept %zu complete frames, "
				 "dropped %zu bytes", f->ts.stopped ? "the shim stopped recording (its "
				 "output failed)" : f->st.damaged ? f->why : "no END record and no "
				 "usable tail file", f->st.frames, f->st.bytes_dropped);
		if (f->tail && k > 0 && (size_t)k < sizeof(msg))
			snprintf(msg + k, sizeof(msg) - (size_t)k, "; from %s.tail: %llu events "
				 "recovered%s%s", f->path, (unsigned long long)f->ts.events,
				 f->ts.why[0] ? ", " : "", f->ts.why);
	}
	if (f->st.complete && f->ts.events)
		imp_warn(f->wctx, "%llu events recorded after the END record (other threads, "
			 "before the %s) recovered from %s.tail", (unsigned long long)f->ts.events,
			 end, f->path);
	if (msg[0]) {
		if (vi->strict)
			return util_err(cause, UTIL_EINPUT, "%s: %s", f->path, msg);
		imp_warn(f->wctx, "%s", msg);
		vi->truncated = 1;
	}
	if (f->lost)
		imp_warn(f->wctx, "%llu records were lost while recording (the traced process "
			 "ran out of memory)", (unsigned long long)f->lost);
	vi->recovered += f->ts.events;
	vi->ended[!strcmp(end, "exit") ? 0 : !strcmp(end, "exec") ? 1 : !strcmp(end, "killed") ? 2 : 3]++;
	return 0;
}

/* ---- devices ---- */

static void uuid_text(char *out, size_t n, const uint8_t u[16])
{
	snprintf(out, n, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static int uuid_zero(const uint8_t u[16])
{
	for (int i = 0; i < 16; i++)
		if (u[i])
			return 0;
	return 1;
}

/* One trace-level index per UUID; devices without one are per process. */
static int add_devices(struct vimp *vi, struct vfile *f, char **cause)
{
	for (int o = 0; o < VRT_MAX_DEVICES; o++) {
		f->index[o] = 0;
		if (!f->have[o] && !f->used[o])
			continue;
		struct trace_device d;
		memset(&d, 0, sizeof(d));
		d.pid = f->hdr->pid;
		d.ordinal = o;
		if (f->have[o] && !uuid_zero(f->dev[o].uuid))
			uuid_text(d.uuid, sizeof(d.uuid), f->dev[o].uuid);
		if (f->have[o]) {
			/* Names longer than the store keeps are cut. */
			size_t k = strnlen(f->dev[o].name, sizeof(d.name) - 1);
			memcpy(d.name, f->dev[o].name, k);
			d.name[k] = '\0';
			d.total = f->dev[o].total;
		}
		size_t i = 0;
		if (d.uuid[0])
			while (i < vi->ndev && strcmp(vi->devs[i].uuid, d.uuid) != 0)
				i++;
		else
			i = vi->ndev;
		if (i == vi->ndev) {
			if (vi->ndev >= INT16_MAX)
				return util_err(cause, UTIL_EINPUT, "%s: too many devices", f->path);
			d.index = (int)vi->ndev;
			UTIL_GROW(vi->devs, vi->ndev + 1, vi->devcap);
			vi->devs[vi->ndev++] = d;
			int rc = store_device_add(vi->st, vi->trace, &d, cause);
			if (rc)
				return rc;
		}
		f->index[o] = (int16_t)i;
	}
	return 0;
}

/* ---- events ---- */

static int label(struct vimp *vi, const char *text, int64_t *id, char **cause)
{
	for (size_t i = 0; i < vi->nlab; i++)
		if (strcmp(vi->lab[i].text, text) == 0) {
			*id = vi->lab[i].id;
			return 0;
		}
	int rc = store_label(vi->st, vi->trace, text, id, cause);
	if (rc)
		return rc;
	UTIL_GROW(vi->lab, vi->nlab + 1, vi->labcap);
	vi->lab[vi->nlab].text = util_xstrdup(text);
	vi->lab[vi->nlab++].id = *id;
	return 0;
}

static int setting_once(struct vimp *vi, const char *key, const char *value, char **cause)
{
	for (size_t i = 0; i < vi->nset; i++)
		if (strcmp(vi->set_keys[i], key) == 0)
			return 0;
	UTIL_GROW(vi->set_keys, vi->nset + 1, vi->setcap);
	vi->set_keys[vi->nset++] = util_xstrdup(key);
	return store_setting_set(vi->st, vi->trace, key, value, cause);
}

static const char *reason_name(uint64_t r)
{
	switch (r) {
	case 0: return "trim";
	case VRT_SNAP_CTX_CREATE: return "context create";
	case VRT_SNAP_CTX_DESTROY: return "context destroy";
	case VRT_SNAP_OOM: return "oom";
	case VRT_SNAP_PERIODIC: return "periodic";
	case VRT_SNAP_EXIT: return "exit";
	default: return "other";
	}
}

static const char *marker_name(int kind)
{
	switch (kind) {
	case VRT_K_POOL_CREATE: return "pool create";
	case VRT_K_POOL_DESTROY: return "pool destroy";
	case VRT_K_CTX_CREATE: return "context create";
	case VRT_K_CTX_DESTROY: return "context destroy";
	case VRT_K_PRIMARY_RETAIN: return "primary context retain";
	case VRT_K_PRIMARY_RELEASE: return "primary context release";
	case VRT_K_PRIMARY_RESET: return "primary context reset";
	case VRT_K_IPC_OPEN: return "ipc open";
	case VRT_K_IPC_CLOSE: return "ipc close";
	case VRT_K_POOL_ATTR: return "pool attribute set";
	case VRT_K_GRAPH_ALLOC: return "graph memory node (memory at launch)";
	case VRT_K_GRAPH_FREE: return "graph free node";
	case VRT_K_GRAPH_INST: return "graph instantiate";
	case VRT_K_GRAPH_LAUNCH: return "graph launch";
	case VRT_K_GRAPH_EXEC_DESTROY: return "graph exec destroy (memory kept until trimmed)";
	case VRT_K_GRAPH_DESTROY: return "graph destroy";
	case VRT_K_GRAPH_TRIM: return "graph memory trim";
	case VRT_K_EXPORT: return "handle exported";
	case VRT_K_MC_OP: return "multicast object changed";
	case VRT_K_EXT_IMPORT: return "external memory imported (its exporter's, not counted)";
	case VRT_K_EXT_DESTROY: return "external memory destroyed";
	case VRT_K_GREEN_CREATE: return "green context create";
	case VRT_K_GREEN_DESTROY: return "green context destroy";
	default: return NULL;
	}
}

static int dev_index(const struct vfile *f, int d)
{
	if (d == VRT_DEV_HOST)
		return TRACE_DEV_HOST;
	return d >= 0 && d < VRT_MAX_DEVICES ? f->index[d] : 0;
}

/* A live allocation: in the address map and in its ordinal's set (which
 * a context's end empties at once: amortised O(1) an allocation). */
static void live_put(struct vimp *vi, uint64_t addr, int ord, int dev, int cat, uint64_t size)
{
	struct slot old;
	if (map_take(&vi->live, addr, &old))
		u64map_del(&vi->devlive[old.ord], addr, NULL);
	map_set(&vi->live, (struct slot){ addr, size, (int16_t)dev, (int16_t)cat, (int16_t)ord });
	u64map_put(&vi->devlive[ord], addr, 0);
}

static int live_take(struct vimp *vi, uint64_t addr, struct slot *out)
{
	if (!map_take(&vi->live, addr, out))
		return 0;
	u64map_del(&vi->devlive[out->ord], addr, NULL);
	return 1;
}

/* Fill ev from one call; returns 1 to store it, 0 to skip. */
static int map_event(struct vimp *vi, const struct vfile *f, const struct vrt_event *e,
		     struct trace_event *ev, char *lab, size_t labn)
{
	int kind = vrt_api_kind(e->api), ok = e->result == 0;
	struct slot s;
	lab[0] = '\0';
	ev->api = (int16_t)e->api;
	ev->result = e->result;
	ev->device = (int16_t)dev_index(f, e->dev);
	ev->addr = e->addr;
	ev->aux = e->aux;
	ev->stream = e->stream;
	switch (kind) {
	case VRT_K_ALLOC:
	case VRT_K_ALLOC_HOST:
	case VRT_K_CREATE:
		if (kind == VRT_K_ALLOC && (e->aux & VRT_AUX_CAPTURED)) {
			/* Captured into a graph: nothing is allocated now. */
			ev->kind = TRACE_MARKER;
			ev->size = e->req;
			ev->aux = e->aux & ~VRT_AUX_CAPTURED;
			snprintf(lab, labn, "%s", ok ? "allocation captured into a graph" :
				 "captured allocation failed");
			return 1;
		}
		ev->req_size = e->req;
		if (kind == VRT_K_ALLOC_HOST) {
			ev->device = TRACE_DEV_HOST;
			ev->category = TRACE_CAT_HOST;
		}
		/* Managed memory is on the device only where touched (replay
		 * keeps it apart: sim/sim.h). */
		if (e->api == VRT_API_cuMemAllocManaged)
			ev->category = TRACE_CAT_MANAGED;
		if (!ok && e->result == VRT_CUDA_ERROR_OUT_OF_MEMORY) {
			ev->kind = TRACE_OOM;
			ev->size = e->req;
			return 1;
		}
		if (!ok)
			break; /* another error: a marker with its CUresult, not an OOM */
		ev->size = e->size;
		ev->kind = kind == VRT_K_CREATE ? TRACE_CREATE : TRACE_ALLOC;
		if (kind == VRT_K_CREATE)
			map_put(&vi->handles, e->addr, ev->device, ev->category, e->size);
		else
			live_put(vi, e->addr, ord_of(e->dev), ev->device, ev->category, e->size);
		return 1;
	case VRT_K_FREE:
	case VRT_K_FREE_HOST:
		if (!ok)
			break;
		if (kind == VRT_K_FREE && (e->aux & VRT_AUX_CAPTURED)) {
			ev->kind = TRACE_MARKER;
			ev->aux = e->aux & ~VRT_AUX_CAPTURED;
			snprintf(lab, labn, "free captured into a graph");
			return 1;
		}
		ev->kind = TRACE_FREE;
		if (kind == VRT_K_FREE_HOST) {
			ev->device = TRACE_DEV_HOST;
			ev->category = TRACE_CAT_HOST;
		}
		if (live_take(vi, e->addr, &s)) {
			ev->device = s.dev;
			ev->category = s.cat;
			ev->size = s.size;
		}
		return 1;
	case VRT_K_RELEASE:
		if (!ok)
			break;
		ev->kind = TRACE_RELEASE;
		if (map_take(&vi->handles, e->addr, &s)) {
			ev->device = s.dev;
			ev->size = s.size;
		}
		return 1;
	case VRT_K_MAP:
		if (!ok)
			break;
		ev->kind = TRACE_MAP;
		ev->size = e->size;
		if (map_get(&vi->handles, e->aux, &s))
			ev->device = s.dev;
		map_put(&vi->mapped, e->addr, ev->device, 0, e->size);
		return 1;
	case VRT_K_UNMAP:
		if (!ok)
			break;
		ev->kind = TRACE_UNMAP;
		ev->size = e->size;
		if (map_take(&vi->mapped, e->addr, &s)) {
			ev->device = s.dev;
			/* One cuMemUnmap may cover several mappings (ggml releases
			 * its VMM pool so): the rest become their own UNMAPs. */
			if (s.size && s.size < e->size) {
				ev->size = s.size;
				vi->unmap_next = e->addr + s.size;
				vi->unmap_rest = e->size - s.size;
			}
		}
		return 1;
	case VRT_K_RESERVE:
	case VRT_K_UNRESERVE:
		if (!ok)
			break;
		ev->kind = kind == VRT_K_RESERVE ? TRACE_RESERVE : TRACE_UNRESERVE;
		ev->size = e->size;
		ev->req_size = kind == VRT_K_RESERVE ? e->req : 0;
		return 1;
	case VRT_K_TRIM:
		if (!ok)
			break;
		ev->kind = TRACE_TRIM;
		return 1;
	case VRT_K_SNAPSHOT:
		ev->kind = TRACE_SNAPSHOT;
		ev->size = e->size;
		ev->addr = 0;
		snprintf(lab, labn, "snapshot: %s", reason_name(e->addr));
		return 1;
	case VRT_K_POOL_STAT:
		ev->kind = TRACE_MARKER;
		ev->size = e->size;
		snprintf(lab, labn, "pool usage: %s", reason_name(e->req));
		return 1;
	case VRT_K_GRAPH_STAT:
		ev->kind = TRACE_MARKER;
		ev->size = e->size;
		ev->stream = 0;
		snprintf(lab, labn, "graph memory reserved: after %s", e->stream == VRT_GRAPH_STAT_TRIM ?
			 "trim" : e->stream == VRT_GRAPH_STAT_EXEC_DESTROY ? "exec destroy" : "launch");
		return 1;
	/*
	 * Memory that belongs to another owner is recorded, never counted
	 * again (the rule of IPC mappings: the process that created the
	 * memory counts it): an imported shareable handle is a handle of no
	 * bytes here (so its maps, unmaps and release still pair up), as is a
	 * multicast object (its members bind memory they created), and an
	 * external memory buffer is an allocation of no bytes (freed by
	 * cuMemFree like any other).
	 */
	case VRT_K_IMPORT:
	case VRT_K_MC_CREATE:
		if (!ok)
			break;
		ev->kind = TRACE_CREATE;
		ev->req_size = e->req;
		ev->size = 0;
		map_put(&vi->handles, e->addr, ev->device, ev->category, 0);
		snprintf(lab, labn, "%s", kind == VRT_K_IMPORT ? "imported handle (another process's "
			 "memory: not counted here)" : "multicast object (members bind their memory)");
		return 1;
	case VRT_K_EXT_MAP:
		if (!ok)
			break;
		ev->kind = TRACE_ALLOC;
		ev->req_size = e->req;
		ev->size = 0;
		live_put(vi, e->addr, ord_of(e->dev), ev->device, ev->category, 0);
		snprintf(lab, labn, "external memory mapped (its exporter's: not counted here)");
		return 1;
	default:
		if (!marker_name(kind))
			return 0; /* no event: look-ups, or an API of a newer format */
		if (!ok)
			break;
		ev->kind = TRACE_MARKER;
		ev->size = kind == VRT_K_POOL_ATTR ? e->aux : kind == VRT_K_EXT_IMPORT ? e->req : e->size;
		if (kind == VRT_K_GRAPH_INST)
			ev->size = vgraph_need(vi->g, e->aux);
		snprintf(lab, labn, "%s", e->api == VRT_API_cuGraphUpload ||
			 e->api == VRT_API_cuGraphUpload_ptsz ? "graph upload" : marker_name(kind));
		return 1;
	}
	/* A failed call that is not an allocation: a marker says so. */
	ev->kind = TRACE_MARKER;
	ev->size = kind == VRT_K_ALLOC || kind == VRT_K_ALLOC_HOST || kind == VRT_K_CREATE ? e->req : 0;
	/* The CUresult is the event's result; the label stays one per API. */
	snprintf(lab, labn, "%s failed", vrt_api_name(e->api));
	return 1;
}

/* The held-back events are a binary min-heap on (time, thread, arrival):
 * each event costs O(log n) however many share a time stamp. */
static int pend_less(const struct pend *a, const struct pend *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if (a->tid != b->tid)
		return a->tid < b->tid;
	return a->seq < b->seq;
}

static void pend_push(struct vimp *vi, const struct pend *p)
{
	UTIL_GROW(vi->pend, vi->npend + 1, vi->pendcap);
	size_t i = vi->npend++;
	while (i > 0 && pend_less(p, &vi->pend[(i - 1) / 2])) {
		vi->pend[i] = vi->pend[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	vi->pend[i] = *p;
}

static struct pend pend_pop(struct vimp *vi)
{
	struct pend top = vi->pend[0], last = vi->pend[--vi->npend];
	size_t i = 0, n = vi->npend;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && pend_less(&vi->pend[c + 1], &vi->pend[c]))
			c++;
		if (!pend_less(&vi->pend[c], &last))
			break;
		vi->pend[i] = vi->pend[c];
		i = c;
	}
	if (n)
		vi->pend[i] = last;
	return top;
}

/* Store one event made here (not read from the file) at file time t. */
static int emit(struct vimp *vi, const struct vfile *f, int64_t t, int kind, const struct slot *x,
		uint64_t addr, uint64_t aux, const char *why, char **cause)
{
	struct trace_event ev;
	trace_event_init(&ev, kind, f->hdr->mono_start_ns + t - vi->base);
	ev.pid = f->hdr->pid;
	ev.device = x->dev;
	ev.category = x->cat;
	ev.size = x->size;
	ev.addr = addr;
	ev.aux = aux;
	int rc = label(vi, why, &ev.label, cause);
	if (!rc)
		rc = store_event_add(vi->st, vi->trace, &ev, cause);
	if (!rc)
		vi->events++;
	return rc;
}

/* Free every live allocation of one ordinal (its context ended). */
static int free_ord(struct vimp *vi, const struct vfile *f, int ord, int64_t t, const char *why,
		    char **cause)
{
	struct u64map *m = &vi->devlive[ord];
	int rc = 0;
	vgraph_drop(vi->g, ord); /* the graph pool's memory goes with the rest */
	size_t pos = 0;
	uint64_t addr, unused;
	while (!rc && u64map_next(m, &pos, &addr, &unused)) {
		struct slot x;
		if (map_take(&vi->live, addr, &x))
			rc = emit(vi, f, t, TRACE_FREE, &x, x.key, 0, why, cause);
	}
	u64map_free(m);
	return rc;
}

/* The process (this file's image) ended at t: the driver gives back
 * everything it held. Mappings first, then handles and allocations. */
static int free_all(struct vimp *vi, const struct vfile *f, int64_t t, const char *why,
		    char **cause)
{
	int rc = 0;
	for (size_t i = 0; i < vi->mapped.n && !rc; i++)
		rc = emit(vi, f, t, TRACE_UNMAP, &vi->mapped.s[i], vi->mapped.s[i].key, 0, why, cause);
	for (size_t i = 0; i < vi->handles.n && !rc; i++)
		rc = emit(vi, f, t, TRACE_RELEASE, &vi->handles.s[i], vi->handles.s[i].key, 0, why,
			  cause);
	for (int o = 0; o <= NORD && !rc; o++)
		if (u64map_size(&vi->devlive[o]))
			rc = free_ord(vi, f, o, t, why, cause);
	map_clear(&vi->mapped);
	map_clear(&vi->handles);
	return rc;
}

/* The mappings after the first that one cuMemUnmap covered. */
static int unmap_rest(struct vimp *vi, const struct vfile *f, int64_t t, char **cause)
{
	int rc = 0;
	while (vi->unmap_rest && !rc) {
		struct slot x;
		if (!map_take(&vi->mapped, vi->unmap_next, &x) || !x.size)
			break; /* not contiguous mappings: nothing more is known */
		rc = emit(vi, f, t, TRACE_UNMAP, &x, vi->unmap_next, 0, "cuMemUnmap (same call)",
			  cause);
		vi->unmap_next += x.size;
		vi->unmap_rest = x.size < vi->unmap_rest ? vi->unmap_rest - x.size : 0;
	}
	vi->unmap_rest = 0;
	return rc;
}

/* Pool statistics: what a stream-ordered pool holds beyond what is
 * allocated from it (reserved - used) is memory of the device too, held
 * as cache until the next statistics of that pool. Kept as one synthetic
 * allocation per pool, at the pool's handle with the top bit set (no
 * device or host address has it). */
static int pool_reserve(struct vimp *vi, const struct vfile *f, int64_t t, const struct vrt_event *e,
			char **cause)
{
	uint64_t key = e->addr | (1ull << 63);
	struct slot x;
	int rc = 0;
	if (live_take(vi, key, &x))
		rc = emit(vi, f, t, TRACE_FREE, &x, key, 0, "pool reserve (reserved, not used)", cause);
	if (rc || e->size <= e->aux || e->result != 0)
		return rc;
	x = (struct slot){ key, e->size - e->aux, (int16_t)dev_index(f, e->dev), TRACE_CAT_CACHE,
			   (int16_t)ord_of(e->dev) };
	rc = emit(vi, f, t, TRACE_ALLOC, &x, key, 0, "pool reserve (reserved, not used)", cause);
	if (!rc)
		live_put(vi, key, x.ord, x.dev, x.cat, x.size);
	return rc;
}

/* What a graph call does to graph memory (import/vgraph.h): the pool's
 * synthetic allocation is freed and made again at its new size. */
static int graph_apply(struct vimp *vi, const struct vfile *f, int64_t t, const struct vrt_event *e,
		       char **cause)
{
	int ord;
	uint64_t bytes;
	const char *why = NULL;
	if (!vgraph_apply(vi->g, e, &ord, &bytes, &why))
		return 0;
	uint64_t key = GRAPH_KEY(ord);
	struct slot x;
	int rc = 0;
	if (live_take(vi, key, &x))
		rc = emit(vi, f, t, TRACE_FREE, &x, key, 0, why, cause);
	if (rc || !bytes)
		return rc;
	x = (struct slot){ key, bytes, (int16_t)dev_index(f, ord == NORD ? VRT_DEV_UNKNOWN : ord),
			   TRACE_CAT_GRAPH, (int16_t)ord };
	rc = emit(vi, f, t, TRACE_ALLOC, &x, key, 0, why, cause);
	if (!rc)
		live_put(vi, key, ord, x.dev, x.cat, bytes);
	return rc;
}

/* Store held-back events older than wm (every one with wm = INT64_MAX),
 * and at least the `least` oldest. An event older than one already
 * stored (a file whose watermarks lie) is stored at that time, counted. */
static int release(struct vimp *vi, const struct vfile *f, int64_t wm, size_t least,
		   char **cause)
{
	int rc = 0;
	while (vi->npend && (vi->pend[0].t < wm || least)) {
		if (least)
			least--;
		struct pend p = pend_pop(vi);
		if (p.t < vi->released_t) {
			p.t = vi->released_t;
			vi->reordered++;
		}
		vi->released_t = p.t;
		struct trace_event ev;
		char lab[128];
		int64_t abs_t = f->hdr->mono_start_ns + p.t;
		trace_event_init(&ev, 0, abs_t - vi->base);
		ev.pid = f->hdr->pid;
		ev.tid = p.tid;
		if (!map_event(vi, f, &p.ev, &ev, lab, sizeof(lab)))
			continue;
		if (lab[0] && (rc = label(vi, lab, &ev.label, cause)))
			break;
		if ((rc = store_event_add(vi->st, vi->trace, &ev, cause)))
			break;
		vi->events++;
		int kind = vrt_api_kind(p.ev.api);
		if (vi->unmap_rest)
			rc = unmap_rest(vi, f, p.t, cause);
		else if ((kind == VRT_K_CTX_DESTROY || kind == VRT_K_PRIMARY_RESET) && !p.ev.result)
			rc = free_ord(vi, f, ord_of(p.ev.dev), p.t, kind == VRT_K_CTX_DESTROY ?
				      "freed with its context (cuCtxDestroy)" :
				      "freed with its context (primary context reset)", cause);
		else if (kind == VRT_K_POOL_STAT)
			rc = pool_reserve(vi, f, p.t, &p.ev, cause);
		else if (!p.ev.result)
			rc = graph_apply(vi, f, p.t, &p.ev, cause);
		if (rc)
			break;
	}
	return rc;
}

/* Hold one event back; beyond PEND_MAX the oldest half is stored. */
static int hold(struct vimp *vi, const struct vfile *f, const struct vrt_rec *rec, char **cause)
{
	int rc = 0;
	if (vi->npend >= PEND_MAX)
		rc = release(vi, f, INT64_MIN, PEND_MAX / 2, cause);
	struct pend p = { .t = rec->t_ns, .tid = rec->tid, .seq = vi->seq++, .ev = rec->u.ev };
	pend_push(vi, &p);
	return rc;
}

/* Records recovered from the tail (pass 2). */
struct tail_arg {
	struct vimp *vi;
	struct vfile *f;
	char **cause;
	int rc;
};

static int tail_cb(void *arg, const struct vrt_rec *rec)
{
	struct tail_arg *ta = arg;
	if (rec->type == VRT_REC_INFO)
		ta->rc = setting_once(ta->vi, rec->u.info.key, rec->u.info.value, ta->cause);
	else if (rec->type == VRT_REC_EVENT)
		ta->rc = hold(ta->vi, ta->f, rec, ta->cause);
	return ta->rc ? 1 : 0;
}

/* Pass 2: the events of one file, then those of its tail. */
static int import_file(struct vimp *vi, struct vfile *f, char **cause)
{
	struct vrt_reader *r;
	int rc = vrt_reader_open(f->data, f->len, &r);
	if (rc) {
		rc = file_fail(f, rc, vrt_reader_error(r), cause);
		vrt_reader_free(r);
		return rc;
	}
	struct vrt_rec rec;
	int64_t wm = 0;
	vi->npend = 0;
	vi->released_t = 0;
	vgraph_set_stats(vi->g, f->graph_stats);
	while (rc == 0 && (rc = vrt_reader_next(r, &rec)) == 1) {
		rc = 0;
		switch (rec.type) {
		case VRT_REC_FRAME:
			/* The frame just read ended: what is older than its
			 * watermark is complete. */
			rc = release(vi, f, wm, 0, cause);
			if (rec.t_ns > wm)
				wm = rec.t_ns;
			break;
		case VRT_REC_INFO:
			rc = setting_once(vi, rec.u.info.key, rec.u.info.value, cause);
			break;
		case VRT_REC_EVENT:
			rc = hold(vi, f, &rec, cause);
			break;
		default:
			break;
		}
	}
	vrt_reader_free(r);
	if (rc < 0)
		return rc == VRT_ENOMEM ? util_err(cause, UTIL_ERR, "%s: out of memory", f->path) : rc;
	if (f->tail && f->ts.present) {
		struct vrt_tail_stats ts;
		struct tail_arg ta = { vi, f, cause, 0 };
		rc = vrt_tail_recover(f->tail, f->tail_len, f->hdr, f->st.last_frame_no, tail_cb,
				      &ta, &ts);
		if (ta.rc)
			return ta.rc;
		if (rc == VRT_ENOMEM)
			return util_err(cause, UTIL_ERR, "%s.tail: out of memory", f->path);
	}
	rc = release(vi, f, INT64_MAX, 0, cause);
	/* What the process still held dies with it (exit, exec, kill). */
	if (!rc) {
		const char *end = ending(f);
		rc = free_all(vi, f, vi->released_t, !strcmp(end, "exit") ? "freed at process exit" :
			      !strcmp(end, "exec") ? "freed at exec" : !strcmp(end, "killed") ?
			      "freed when the process was killed" :
			      "freed at the end of a truncated trace", cause);
	}
	if (!rc && vi->reordered)
		imp_warn(f->wctx, "%llu events were older than events before them in the file "
			 "(not written in watermark order); stored at the earlier time",
			 (unsigned long long)vi->reordered);
	vi->reordered = 0;
	return rc;
}

/* ---- files ---- */

static void cmdline_text(const struct vrt_header *h, char *out, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < h->cmdline_len && k + 1 < n; i++)
		out[k++] = h->cmdline[i] ? h->cmdline[i] : ' ';
	out[k] = '\0';
}

/* When a file begins: its first event, else its time 0 (absolute). */
static int64_t file_start(const struct vfile *f)
{
	return f->hdr->mono_start_ns + (f->any ? f->first_t : 0);
}

/* By pid, then by time: the files of one pid (an exec, a failed exec)
 * follow each other. */
static int cmp_file(const void *pa, const void *pb)
{
	const struct vfile *a = pa, *b = pb;
	if (a->hdr->pid != b->hdr->pid)
		return a->hdr->pid < b->hdr->pid ? -1 : 1;
	int64_t x = file_start(a), y = file_start(b);
	if (x != y)
		return x < y ? -1 : 1;
	return strcmp(a->path, b->path);
}

/* Import scanned files (sorted by pid, then start) into vi->trace. */
static int import_all(struct vimp *vi, struct vfile *f, size_t n, char **cause)
{
	int rc = 0;
	int have_base = 0;
	for (size_t i = 0; i < n; i++) {
		if ((rc = health(vi, &f[i], cause)) || (rc = add_devices(vi, &f[i], cause)))
			return rc;
		int64_t t0 = f[i].hdr->mono_start_ns + (f[i].any ? f[i].first_t : 0);
		if (f[i].any && (!have_base || t0 < vi->base)) {
			vi->base = t0;
			have_base = 1;
		}
		vi->lookups += f[i].lookups;
		vi->wrapped += f[i].wrapped;
	}
	if (!have_base)
		vi->base = n ? f[0].hdr->mono_start_ns : 0;
	char *cmd = util_xmalloc(VRT_CMDLINE_MAX);
	for (size_t i = 0; i < n && !rc; i++) {
		/* An exec keeps the pid: its images are one process. */
		if (i == 0 || f[i].hdr->pid != f[i - 1].hdr->pid) {
			cmdline_text(f[i].hdr, cmd, VRT_CMDLINE_MAX);
			rc = store_process_add(vi->st, vi->trace, f[i].hdr->pid, f[i].hdr->exe, cmd,
					       f[i].hdr->mono_start_ns - vi->base, cause);
			vi->processes++;
		}
		if (!rc)
			rc = import_file(vi, &f[i], cause);
		map_clear(&vi->live);
		map_clear(&vi->handles);
		map_clear(&vi->mapped);
		for (int o = 0; o <= NORD; o++)
			u64map_free(&vi->devlive[o]);
		vgraph_reset(vi->g);
	}
	free(cmd);
	char num[32];
	if (!rc && vi->lookups) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)vi->lookups);
		rc = setting_once(vi, "vrt.lookups", num, cause);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)vi->wrapped);
		if (!rc)
			rc = setting_once(vi, "vrt.lookups_wrapped", num, cause);
	}
	if (!rc) {
		/* How the processes ended, and what the tails gave back. */
		static const char *const names[4] = { "exit", "exec", "killed", "truncated" };
		char how[160];
		size_t k = 0;
		how[0] = '\0';
		for (int i = 0; i < 4; i++)
			if (vi->ended[i] && k < sizeof(how))
				k += (size_t)snprintf(how + k, sizeof(how) - k, "%s%s %d", k ? ", " : "",
						      names[i], vi->ended[i]);
		rc = setting_once(vi, "vrt.ended", how, cause);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)vi->recovered);
		if (!rc)
			rc = setting_once(vi, "vrt.recovered_events", num, cause);
	}
	if (!rc && vi->truncated)
		rc = store_trace_set(vi->st, vi->trace, 1, NULL, cause);
	return rc;
}

static void vimp_clear(struct vimp *vi)
{
	for (size_t i = 0; i < vi->nlab; i++)
		free(vi->lab[i].text);
	for (size_t i = 0; i < vi->nset; i++)
		free(vi->set_keys[i]);
	free(vi->lab);
	free(vi->set_keys);
	free(vi->devs);
	free(vi->pend);
	map_clear(&vi->live);
	map_clear(&vi->handles);
	map_clear(&vi->mapped);
	for (int o = 0; o <= NORD; o++)
		u64map_free(&vi->devlive[o]);
	vgraph_free(vi->g);
}

/* Map <path>.tail when there is one (a process that did not end cleanly,
 * or other threads recording past an exec). Problems only warn: the
 * trace itself is still imported. */
static void map_tail(struct vfile *f)
{
	if (!f->path)
		return;
	char *tp = util_xasprintf("%s.tail", f->path);
	int fd = open(tp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size <= VRT_TAIL_SLOTS_OFF + (uint64_t)VRT_TAIL_MAX_SLOTS * VRT_TAIL_SLOT) {
		void *m = sb.st_size > 0 ? mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0)
					 : MAP_FAILED;
		if (m != MAP_FAILED) {
			f->tail = m;
			f->tail_len = (size_t)sb.st_size;
		}
	} else if (fd >= 0 || errno != ENOENT) {
		imp_warn(f->wctx, "%s: not usable as a tail file (%s); ignored", tp,
			 fd >= 0 ? "not a regular file of a plausible size" : strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	free(tp);
}

static void vfile_clear(struct vfile *f)
{
	if (f->tail)
		munmap((void *)f->tail, f->tail_len);
	if (f->mapped && f->data)
		munmap((void *)f->data, f->len);
	free(f->hdr);
	free(f->dev);
}

static char *summary(const struct vimp *vi)
{
	char rec[64] = "";
	if (vi->recovered)
		snprintf(rec, sizeof(rec), ", %llu recovered from tail files",
			 (unsigned long long)vi->recovered);
	return util_xasprintf("%d process%s, %lld events on %zu device%s%s%s", vi->processes,
			      vi->processes == 1 ? "" : "es", (long long)vi->events, vi->ndev,
			      vi->ndev == 1 ? "" : "s", rec, vi->truncated ? ", truncated" : "");
}

int imp_vrt_run(struct imp_ctx *ctx, char **cause)
{
	struct vfile f;
	memset(&f, 0, sizeof(f));
	f.path = ctx->path;
	f.data = ctx->data;
	f.len = ctx->len;
	f.wctx = ctx;
	struct vimp vi;
	memset(&vi, 0, sizeof(vi));
	vi.st = ctx->st;
	vi.strict = ctx->strict;
	vi.g = vgraph_new();
	map_tail(&f);
	int rc = scan(&f, cause);
	if (!rc)
		rc = imp_trace_new(ctx, "vrt", 0, &vi.trace, cause);
	if (!rc)
		rc = import_all(&vi, &f, 1, cause);
	if (!rc)
		ctx->summary = summary(&vi);
	vimp_clear(&vi);
	vfile_clear(&f);
	return rc;
}

static int map_file(struct vfile *f, char **cause)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return util_err(cause, UTIL_EINPUT, "%s: %s", f->path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return util_err(cause, UTIL_EINPUT, "%s: not a regular file", f->path);
	}
	f->len = (size_t)sb.st_size;
	if (f->len) {
		void *m = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			close(fd);
			return util_err(cause, UTIL_ERR, "%s: mmap: %s", f->path, strerror(errno));
		}
		f->data = m;
		f->mapped = 1;
	}
	close(fd);
	map_tail(f);
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s && s[1] ? s + 1 : p;
}

int imp_vrt_files(struct store *st, char **paths, int n, const char *name, int quiet,
		  int64_t *trace, char **cause)
{
	struct vfile *f = util_xcalloc(n > 0 ? (size_t)n : 1, sizeof(*f));
	struct imp_ctx *w = util_xcalloc(n > 0 ? (size_t)n : 1, sizeof(*w));
	size_t nf = 0;
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		struct vfile *v = &f[nf];
		v->path = paths[i];
		v->wctx = &w[i];
		w[i].path = paths[i];
		w[i].quiet = quiet;
		if ((rc = map_file(v, cause)))
			break;
		char *why = NULL;
		int r = v->len ? scan(v, &why) : util_err(&why, UTIL_EINPUT, "%s: empty", v->path);
		if (r == UTIL_EINPUT && !strstr(why, "newer")) {
			/* A process killed before its header was written. */
			imp_warn(v->wctx, "no usable header (%s); file skipped",
				 why + strlen(v->path) + 2);
			free(why);
			vfile_clear(v);
			memset(v, 0, sizeof(*v));
			continue;
		}
		if (r) {
			rc = r;
			if (cause && !*cause)
				*cause = why;
			else
				free(why);
			break;
		}
		nf++;
	}
	if (!rc && nf == 0)
		rc = util_err(cause, UTIL_EINPUT, "no usable native trace among %d file%s", n,
			      n == 1 ? "" : "s");
	struct vimp vi;
	memset(&vi, 0, sizeof(vi));
	vi.st = st;
	vi.g = vgraph_new();
	if (!rc) {
		qsort(f, nf, sizeof(*f), cmp_file);
		rc = store_begin(st, cause);
		if (!rc) {
			/* The trace is named after the first process of the run. */
			size_t root = 0;
			for (size_t i = 1; i < nf; i++)
				if (f[i].hdr->mono_start_ns < f[root].hdr->mono_start_ns)
					root = i;
			char *src = util_xstrdup(f[0].path);
			for (size_t i = 1; i < nf; i++) {
				char *t = util_xasprintf("%s %s", src, f[i].path);
				free(src);
				src = t;
			}
			rc = store_trace_new(st, name, base_name(f[root].hdr->exe[0] ? f[root].hdr->exe
										  : f[root].path),
					     "vrt", src, 0, &vi.trace, cause);
			free(src);
			for (size_t i = 0; i < nf && !rc; i++)
				rc = store_archive(st, vi.trace, base_name(f[i].path), f[i].data,
						   f[i].len, cause);
			if (!rc)
				rc = import_all(&vi, f, nf, cause);
			if (!rc)
				rc = store_commit(st, cause);
			if (rc)
				store_rollback(st);
		}
	}
	if (!rc)
		*trace = vi.trace;
	vimp_clear(&vi);
	for (size_t i = 0; i < (size_t)n; i++)
		vfile_clear(&f[i]);
	free(f);
	free(w);
	return rc;
}
