/*
 * sim.c - play events onto virtual GPUs.
 *
 * Live allocations are kept in an address map whose values index a pool
 * of records (device, category, bytes), so a free finds what to give
 * back in O(1) and nothing is allocated per event.
 */
#include "sim.h"
#include "u64map.h"
#include "torchalloc.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define HOST_DEV (-1)

struct rec {
	uint64_t bytes;     /* charged bytes */
	uint64_t asked;     /* allocated (block) bytes */
	int16_t  dev;       /* virtual GPU or HOST_DEV */
	int16_t  cat;
	int16_t  segment;   /* 1: a caching-allocator segment */
	int16_t  released;  /* VMM: handle released */
	int16_t  managed;   /* managed memory tallied apart (not charged) */
	uint32_t maps;      /* VMM: live mappings */
	uint32_t next_free;
	uint32_t block;     /* torch model: the allocator's block id, 0 = none */
	uint32_t inst;      /* torch model: index of that allocator in state.ti */
};

/* torch model: the caching allocator of one process on one GPU (PyTorch
 * keeps one per device in every process), and its reserved and allocated
 * bytes as last folded into the device's counters. */
struct tinst {
	struct torchalloc *a;
	int v;
	uint64_t reserved, allocated;
};

struct state {
	const struct sim_config *cfg;
	struct sim_result *res;
	struct u64map live; /* (pid, addr) -> rec index: ALLOC, SEGMENT_ALLOC */
	struct u64map handles; /* (pid, handle) -> rec index: CREATE */
	struct u64map maps; /* (pid, va) -> handle key */
	struct rec *recs;
	size_t n_recs, alloc_recs;
	uint32_t free_head;     /* 1-based index of a free rec, 0 = none */
	uint8_t has_segments[TOPO_MAX_GPUS + 1];
	/* torch model: allocators by (pid, GPU) */
	struct torchalloc_conf tconf;
	struct tinst *ti;
	size_t n_ti, a_ti;
	struct u64map tmap; /* (pid, GPU) -> index in ti + 1 */
};

static uint64_t key_of(int32_t pid, uint64_t addr)
{
	uint64_t k = addr ^ ((uint64_t)(uint32_t)pid * 0x9E3779B97F4A7C15ull);
	return k ? k : 1;
}

static uint32_t rec_new(struct state *s)
{
	if (s->free_head) {
		uint32_t i = s->free_head;
		s->free_head = s->recs[i - 1].next_free;
		memset(&s->recs[i - 1], 0, sizeof(struct rec));
		return i;
	}
	UTIL_GROW(s->recs, s->n_recs + 1, s->alloc_recs);
	memset(&s->recs[s->n_recs], 0, sizeof(struct rec));
	return (uint32_t)++s->n_recs;
}

static void rec_del(struct state *s, uint32_t i)
{
	s->recs[i - 1].next_free = s->free_head;
	s->free_head = i;
}

static struct sim_dev *dev_of(struct state *s, int v)
{
	return v == HOST_DEV ? &s->res->host : &s->res->dev[v];
}

static void notify(struct state *s, int v, int64_t t)
{
	const struct sim_observer *o = s->cfg->obs;
	if (o && o->change && v != HOST_DEV) {
		struct sim_dev *d = &s->res->dev[v];
		o->change(o->ud, v, t, d->used, d->reserved);
	} else if (o && o->host && v == HOST_DEV) {
		o->host(o->ud, t, s->res->host.used);
	}
}

static void track_peak(struct sim_dev *d, int64_t t)
{
	if (d->total > d->peak) {
		d->peak = d->total;
		d->peak_t = t;
		memcpy(d->peak_used, d->used, sizeof(d->used));
		d->peak_reserved = d->reserved;
	}
}

static void charge(struct sim_dev *d, int cat, uint64_t bytes, int64_t t)
{
	d->used[cat] += bytes;
	d->total += bytes;
	d->reserved += bytes;
	track_peak(d, t);
}

static void uncharge(struct sim_dev *d, int cat, uint64_t bytes)
{
	d->used[cat] -= bytes < d->used[cat] ? bytes : d->used[cat];
	d->total -= bytes < d->total ? bytes : d->total;
	d->reserved -= bytes < d->reserved ? bytes : d->reserved;
}

/* Map a recorded device to a virtual GPU (or the host). */
static int map_dev(struct state *s, int recorded)
{
	if (recorded < 0)
		return HOST_DEV;
	const struct sim_config *c = s->cfg;
	if (c->n_map > 0) {
		if (recorded < c->n_map && c->device_map[recorded] >= 0)
			return c->device_map[recorded] < c->topo.n ? c->device_map[recorded] : HOST_DEV;
		return HOST_DEV;
	}
	if (recorded >= c->topo.n) {
		s->res->wrapped_devices = 1;
		return recorded % c->topo.n;
	}
	return recorded;
}

/* First use of a GPU: the CUDA context appears. */
static void touch(struct state *s, int v, int recorded, int64_t t)
{
	if (v == HOST_DEV)
		return;
	struct sim_dev *d = &s->res->dev[v];
	if (d->touched)
		return;
	d->touched = 1;
	int measured = recorded >= 0 && recorded < TOPO_MAX_GPUS &&
		       s->cfg->measured_context[recorded];
	d->measured_context = measured;
	if (s->cfg->reserve_set || !measured) {
		d->reserve = s->cfg->reserve;
		charge(d, TRACE_CAT_CONTEXT, d->reserve, t);
		/* The reserve is not an allocator's memory. */
		d->reserved -= d->reserve;
		d->peak_reserved = d->reserved;
		/* Observers see every level the peak can be, the context
		 * alone included (a GPU whose only event fails). */
		notify(s, v, t);
	}
}

static uint64_t model_bytes(const struct sim_config *c, const struct trace_event *ev)
{
	uint64_t b = ev->size;
	if (c->model == SIM_MODEL_CUDA && ev->kind != TRACE_CREATE) {
		uint64_t g = SIM_CUDA_GRANULARITY;
		b = b ? (b + g - 1) / g * g : 0;
	}
	return b;
}

static void record_oom(struct state *s, const struct trace_event *ev, int v, uint64_t bytes,
		       int recorded)
{
	struct sim_result *r = s->res;
	struct sim_dev *d = &r->dev[v];
	d->n_oom++;
	r->n_oom++;
	struct sim_oom o = {
		.t_ns = ev->t_ns, .pid = ev->pid, .seq = ev->seq, .device = v,
		.recorded_device = ev->device, .size = bytes, .category = ev->category,
		.layer_lo = ev->layer_lo, .layer_hi = ev->layer_hi,
		.free = d->capacity > d->total ? d->capacity - d->total : 0,
		.used = d->total, .label = ev->label, .recorded = recorded,
	};
	if (!r->has_oom) {
		r->has_oom = 1;
		r->first_oom = o;
	}
	const struct sim_observer *obs = s->cfg->obs;
	if (obs && obs->oom)
		obs->oom(obs->ud, &o);
}

/*
 * Try to place bytes on v. Returns the device that takes them (v, or
 * HOST_DEV after a spill), or -2 if the allocation is dropped.
 */
static int place(struct state *s, const struct trace_event *ev, int v, uint64_t bytes)
{
	if (v == HOST_DEV)
		return HOST_DEV;
	struct sim_dev *d = &s->res->dev[v];
	if (d->total + bytes <= d->capacity && d->total + bytes >= d->total)
		return v;
	record_oom(s, ev, v, bytes, 0);
	switch (s->cfg->on_oom) {
	case SIM_OOM_SPILL:
		s->res->n_spilled += bytes;
		return HOST_DEV;
	case SIM_OOM_CONTINUE:
		return -2;
	default:
		s->res->stopped = 1;
		return -2;
	}
}

/* Managed memory kept apart from VRAM (see replay.h): tallied on its
 * device, never placed, so it neither charges nor fails. */
static int managed_apart(const struct state *s, const struct trace_event *ev)
{
	return ev->category == TRACE_CAT_MANAGED && !s->cfg->managed_as_vram;
}

static void managed_alloc(struct state *s, const struct trace_event *ev)
{
	int v = map_dev(s, ev->device);
	struct sim_dev *d = dev_of(s, v);
	d->managed += ev->size;
	if (d->managed > d->managed_peak)
		d->managed_peak = d->managed;
	d->n_alloc++;
	if (!ev->addr)
		return;
	uint32_t i = rec_new(s);
	struct rec *r = &s->recs[i - 1];
	r->bytes = ev->size;
	r->dev = (int16_t)v;
	r->cat = TRACE_CAT_MANAGED;
	r->managed = 1;
	uint64_t old;
	if (u64map_swap(&s->live, key_of(ev->pid, ev->addr), i, &old)) {
		struct rec *o = &s->recs[old - 1];
		struct sim_dev *od = dev_of(s, o->dev);
		if (o->managed)
			od->managed -= o->bytes < od->managed ? o->bytes : od->managed;
		else
			uncharge(od, o->cat, o->bytes);
		rec_del(s, (uint32_t)old);
		s->res->n_unmatched++;
	}
}

/* A FREE of a managed allocation kept apart; 0 if ev frees something else. */
static int managed_free(struct state *s, const struct trace_event *ev)
{
	uint64_t k = key_of(ev->pid, ev->addr), i;
	if (!ev->addr || !u64map_get(&s->live, k, &i) || !s->recs[i - 1].managed)
		return 0;
	u64map_del(&s->live, k, NULL);
	struct rec *r = &s->recs[i - 1];
	struct sim_dev *d = dev_of(s, r->dev);
	d->managed -= r->bytes < d->managed ? r->bytes : d->managed;
	d->n_free++;
	rec_del(s, (uint32_t)i);
	return 1;
}

static void do_alloc(struct state *s, const struct trace_event *ev, int segment)
{
	int v = map_dev(s, ev->device);
	touch(s, v, ev->device, ev->t_ns);
	uint64_t bytes = model_bytes(s->cfg, ev);
	int cat = ev->category;
	if (v != HOST_DEV && s->has_segments[v] && !segment)
		bytes = 0; /* blocks live inside segments already charged */
	int w = bytes ? place(s, ev, v, bytes) : v;
	if (w == -2)
		return;
	struct sim_dev *d = dev_of(s, w);
	if (bytes)
		charge(d, w == HOST_DEV && v != HOST_DEV ? TRACE_CAT_HOST : cat, bytes, ev->t_ns);
	if (!segment)
		d->allocated += ev->size;
	d->n_alloc++;
	if (ev->addr) {
		uint32_t i = rec_new(s);
		struct rec *r = &s->recs[i - 1];
		r->bytes = bytes;
		r->asked = segment ? 0 : ev->size;
		r->dev = (int16_t)w;
		r->cat = (int16_t)(w == HOST_DEV && v != HOST_DEV ? TRACE_CAT_HOST : cat);
		r->segment = (int16_t)segment;
		uint64_t k = key_of(ev->pid, ev->addr) ^ (segment ? 0x5e65000000000000ull : 0);
		uint64_t old;
		if (u64map_swap(&s->live, k, i, &old)) {
			/* Address reused without a recorded free: give the old back. */
			struct rec *o = &s->recs[old - 1];
			struct sim_dev *od = dev_of(s, o->dev);
			uncharge(od, o->cat, o->bytes);
			od->allocated -= o->asked < od->allocated ? o->asked : od->allocated;
			rec_del(s, (uint32_t)old);
			s->res->n_unmatched++;
		}
	}
	notify(s, w, ev->t_ns);
}

static void do_free(struct state *s, const struct trace_event *ev, int segment)
{
	uint64_t k = key_of(ev->pid, ev->addr) ^ (segment ? 0x5e65000000000000ull : 0);
	uint64_t i;
	if (!ev->addr || !u64map_del(&s->live, k, &i)) {
		s->res->n_unmatched++;
		return;
	}
	struct rec *r = &s->recs[i - 1];
	struct sim_dev *d = dev_of(s, r->dev);
	uncharge(d, r->cat, r->bytes);
	d->allocated -= r->asked < d->allocated ? r->asked : d->allocated;
	d->n_free++;
	int v = r->dev;
	rec_del(s, (uint32_t)i);
	notify(s, v, ev->t_ns);
}

/* VMM: physical memory lives from CREATE until RELEASE and the last UNMAP. */
static void vmm_maybe_free(struct state *s, uint64_t hk, uint32_t i, int64_t t)
{
	struct rec *r = &s->recs[i - 1];
	if (!r->released || r->maps)
		return;
	struct sim_dev *d = dev_of(s, r->dev);
	uncharge(d, r->cat, r->bytes);
	d->n_free++;
	int v = r->dev;
	u64map_del(&s->handles, hk, NULL);
	rec_del(s, i);
	notify(s, v, t);
}

static void do_vmm(struct state *s, const struct trace_event *ev)
{
	uint64_t i;
	switch (ev->kind) {
	case TRACE_CREATE: {
		int v = map_dev(s, ev->device);
		touch(s, v, ev->device, ev->t_ns);
		uint64_t bytes = model_bytes(s->cfg, ev);
		int w = place(s, ev, v, bytes);
		if (w == -2)
			return;
		struct sim_dev *d = dev_of(s, w);
		charge(d, ev->category, bytes, ev->t_ns);
		d->allocated += bytes;
		d->n_alloc++;
		uint32_t n = rec_new(s);
		s->recs[n - 1].bytes = bytes;
		s->recs[n - 1].dev = (int16_t)w;
		s->recs[n - 1].cat = ev->category;
		u64map_put(&s->handles, key_of(ev->pid, ev->addr), n);
		notify(s, w, ev->t_ns);
		break;
	}
	case TRACE_RELEASE: {
		uint64_t hk = key_of(ev->pid, ev->addr);
		if (!u64map_get(&s->handles, hk, &i)) {
			s->res->n_unmatched++;
			return;
		}
		s->recs[i - 1].released = 1;
		vmm_maybe_free(s, hk, (uint32_t)i, ev->t_ns);
		break;
	}
	case TRACE_MAP: {
		uint64_t hk = key_of(ev->pid, ev->aux);
		if (!u64map_get(&s->handles, hk, &i)) {
			s->res->n_unmatched++;
			return;
		}
		s->recs[i - 1].maps++;
		u64map_put(&s->maps, key_of(ev->pid, ev->addr), ev->aux ? ev->aux : 1);
		break;
	}
	case TRACE_UNMAP: {
		uint64_t h;
		if (!u64map_del(&s->maps, key_of(ev->pid, ev->addr), &h)) {
			s->res->n_unmatched++;
			return;
		}
		uint64_t hk = key_of(ev->pid, h);
		if (!u64map_get(&s->handles, hk, &i))
			return; /* handle gone: mapping outlived a released handle's record */
		if (s->recs[i - 1].maps)
			s->recs[i - 1].maps--;
		vmm_maybe_free(s, hk, (uint32_t)i, ev->t_ns);
		break;
	}
	default:
		break;
	}
}

static void do_oom(struct state *s, const struct trace_event *ev)
{
	int v = map_dev(s, ev->device);
	if (v == HOST_DEV)
		return;
	touch(s, v, ev->device, ev->t_ns);
	struct sim_dev *d = &s->res->dev[v];
	uint64_t bytes = model_bytes(s->cfg, ev);
	if (d->total + bytes > d->capacity) {
		record_oom(s, ev, v, bytes, 1);
		if (s->cfg->on_oom == SIM_OOM_STOP)
			s->res->stopped = 1;
	} else {
		s->res->n_recorded_oom_ok++;
	}
}

/* ---- the torch model: PyTorch's caching allocator on each GPU ---- */

/* The allocator of process pid on GPU v, made on first use. */
static uint32_t torch_inst(struct state *s, int32_t pid, int v)
{
	uint64_t k = ((uint64_t)(uint32_t)pid << 16 | (uint64_t)v) + 1, i;
	if (u64map_get(&s->tmap, k, &i))
		return (uint32_t)i - 1;
	UTIL_GROW(s->ti, s->n_ti + 1, s->a_ti);
	s->ti[s->n_ti] = (struct tinst){ torchalloc_new(&s->tconf, s->res->dev[v].capacity), v, 0, 0 };
	u64map_put(&s->tmap, k, s->n_ti + 1);
	return (uint32_t)s->n_ti++;
}

/*
 * Fold allocator ti's state into its GPU's counters: the cached bytes
 * (reserved - allocated) show as TRACE_CAT_CACHE, the reserved bytes are
 * allocator-held and count in the total; block bytes by category are
 * charged by the caller. Differences are taken modulo 2^64, which is
 * exact since every counter stays non-negative.
 */
static void torch_settle(struct state *s, uint32_t ti, int64_t t)
{
	struct tinst *x = &s->ti[ti];
	struct torchalloc_stats st;
	torchalloc_get_stats(x->a, &st);
	struct sim_dev *d = &s->res->dev[x->v];
	d->used[TRACE_CAT_CACHE] += (st.reserved - st.allocated) - (x->reserved - x->allocated);
	d->total += st.reserved - x->reserved;
	d->reserved += st.reserved - x->reserved;
	d->allocated += st.allocated - x->allocated;
	x->reserved = st.reserved;
	x->allocated = st.allocated;
	track_peak(d, t);
}

/* What allocator ti may hold: the capacity less everything else on its
 * GPU (context reserve, other processes, memory outside the allocator). */
static uint64_t torch_limit(const struct state *s, uint32_t ti)
{
	const struct sim_dev *d = &s->res->dev[s->ti[ti].v];
	uint64_t other = d->total - s->ti[ti].reserved;
	return d->capacity > other ? d->capacity - other : 0;
}

/* Give back the allocation of record i (a block, or spilled host bytes). */
static int torch_release(struct state *s, uint32_t i, int64_t t)
{
	struct rec *r = &s->recs[i - 1];
	int v = r->dev;
	struct sim_dev *d = dev_of(s, v);
	if (v == HOST_DEV) {
		uncharge(d, r->cat, r->bytes);
		d->allocated -= r->asked < d->allocated ? r->asked : d->allocated;
	} else {
		torchalloc_free(s->ti[r->inst].a, r->block);
		d->used[r->cat] -= r->bytes;
		torch_settle(s, r->inst, t);
	}
	rec_del(s, i);
	return v;
}

/* A failed allocation, after the allocator emptied its cache: the OOM.
 * Returns HOST_DEV (spill) or -2 (dropped). */
static int torch_oom(struct state *s, const struct trace_event *ev, int v, uint64_t tried)
{
	record_oom(s, ev, v, tried, 0);
	switch (s->cfg->on_oom) {
	case SIM_OOM_SPILL:
		return HOST_DEV;
	case SIM_OOM_CONTINUE:
		return -2;
	default:
		s->res->stopped = 1;
		return -2;
	}
}

/* ALLOC: the requested bytes (req_size, else size) go through the
 * allocator on the event's stream; recorded blocks and segments are not
 * used, the model makes its own. */
static void torch_alloc(struct state *s, const struct trace_event *ev)
{
	uint64_t k = key_of(ev->pid, ev->addr), old;
	if (ev->addr && u64map_del(&s->live, k, &old)) {
		/* Address reused without a recorded free: give the old back. */
		int ov = torch_release(s, (uint32_t)old, ev->t_ns);
		notify(s, ov, ev->t_ns);
		s->res->n_unmatched++;
	}
	int v = map_dev(s, ev->device);
	if (v == HOST_DEV) {
		do_alloc(s, ev, 0);
		return;
	}
	touch(s, v, ev->device, ev->t_ns);
	uint64_t want = ev->req_size ? ev->req_size : ev->size;
	int cat = ev->category, w = v;
	uint32_t id = 0, ti = torch_inst(s, ev->pid, v);
	uint64_t bytes = 0, tried = 0;
	struct torchalloc *a = s->ti[ti].a;
	if (want && torchalloc_malloc(a, want, ev->stream, torch_limit(s, ti), &id, &tried) == 0) {
		bytes = torchalloc_block_size(a, id);
		s->res->dev[v].used[cat] += bytes;
		torch_settle(s, ti, ev->t_ns);
	} else if (want) {
		torch_settle(s, ti, ev->t_ns); /* the cache went back before the failure */
		if ((w = torch_oom(s, ev, v, tried)) == -2) {
			notify(s, v, ev->t_ns);
			return;
		}
		bytes = want;
		cat = TRACE_CAT_HOST;
		s->res->n_spilled += want;
		charge(&s->res->host, cat, want, ev->t_ns);
		s->res->host.allocated += want;
		notify(s, HOST_DEV, ev->t_ns);
	} /* else: PyTorch never calls its allocator for 0 bytes */
	dev_of(s, w)->n_alloc++;
	if (ev->addr) {
		uint32_t i = rec_new(s);
		struct rec *r = &s->recs[i - 1];
		r->bytes = bytes;
		r->asked = bytes;
		r->dev = (int16_t)w;
		r->cat = (int16_t)cat;
		r->block = id;
		r->inst = ti;
		u64map_put(&s->live, k, i);
	}
	notify(s, v, ev->t_ns);
}

static void torch_free(struct state *s, const struct trace_event *ev)
{
	uint64_t i;
	if (!ev->addr || !u64map_del(&s->live, key_of(ev->pid, ev->addr), &i)) {
		s->res->n_unmatched++;
		return;
	}
	int v = torch_release(s, (uint32_t)i, ev->t_ns);
	dev_of(s, v)->n_free++;
	notify(s, v, ev->t_ns);
}

/* A recorded OOM: would the allocator have found the bytes? The probe
 * gives them straight back, since the program went on without them. */
static void torch_probe(struct state *s, const struct trace_event *ev)
{
	int v = map_dev(s, ev->device);
	if (v == HOST_DEV)
		return;
	touch(s, v, ev->device, ev->t_ns);
	uint64_t want = ev->req_size ? ev->req_size : ev->size, tried = 0;
	uint32_t id = 0, ti = torch_inst(s, ev->pid, v);
	int rc = want ? torchalloc_malloc(s->ti[ti].a, want, ev->stream, torch_limit(s, ti), &id,
					  &tried) : 0;
	if (id)
		torchalloc_free(s->ti[ti].a, id);
	torch_settle(s, ti, ev->t_ns);
	notify(s, v, ev->t_ns);
	if (rc == 0) {
		s->res->n_recorded_oom_ok++;
		return;
	}
	record_oom(s, ev, v, tried, 1);
	if (s->cfg->on_oom == SIM_OOM_STOP)
		s->res->stopped = 1;
}

/* The events the torch model handles itself; 0: not one of them. */
static int torch_event(struct state *s, const struct trace_event *ev)
{
	switch (ev->kind) {
	case TRACE_ALLOC: torch_alloc(s, ev); return 1;
	case TRACE_FREE: torch_free(s, ev); return 1;
	case TRACE_OOM: torch_probe(s, ev); return 1;
	case TRACE_SEGMENT_ALLOC: case TRACE_SEGMENT_FREE:
		return 1; /* the recorded allocator's segments: the model makes its own */
	default:
		return 0;
	}
}

void sim_config_init(struct sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->reserve = SIM_DEFAULT_RESERVE;
}

uint64_t sim_headroom(const struct sim_dev *d)
{
	return d->capacity > d->peak ? d->capacity - d->peak : 0;
}

/* Apply one event to the devices. */
static void apply(struct state *s, const struct trace_event *ev)
{
	if (ev->kind == TRACE_ALLOC && managed_apart(s, ev)) {
		managed_alloc(s, ev);
		return;
	}
	if (ev->kind == TRACE_FREE && managed_free(s, ev))
		return;
	if (s->cfg->model == SIM_MODEL_TORCH && torch_event(s, ev))
		return;
	switch (ev->kind) {
	case TRACE_ALLOC: do_alloc(s, ev, 0); break;
	case TRACE_FREE: do_free(s, ev, 0); break;
	case TRACE_SEGMENT_ALLOC: {
		int v = map_dev(s, ev->device);
		if (v != HOST_DEV)
			s->has_segments[v] = 1;
		do_alloc(s, ev, 1);
		break;
	}
	case TRACE_SEGMENT_FREE: do_free(s, ev, 1); break;
	case TRACE_CREATE: case TRACE_RELEASE: case TRACE_MAP: case TRACE_UNMAP:
		do_vmm(s, ev);
		break;
	case TRACE_OOM: do_oom(s, ev); break;
	case TRACE_SNAPSHOT: {
		int v = map_dev(s, ev->device);
		if (v != HOST_DEV) {
			s->res->dev[v].recorded_used = ev->size;
			s->res->dev[v].recorded_total = ev->aux;
		}
		break;
	}
	default:
		break; /* RESERVE, UNRESERVE, TRIM, MARKER cost nothing */
	}
}

int sim_replay(const struct sim_config *cfg, struct sim_source *src,
	       struct sim_result *res, char **cause)
{
	if (cfg->topo.n < 1 || cfg->topo.n > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "replay needs at least one GPU (--gpus)");
	struct torchalloc_conf tconf;
	torchalloc_conf_init(&tconf);
	if (cfg->model == SIM_MODEL_TORCH) {
		char *why = NULL;
		if (torchalloc_conf_parse(cfg->alloc_conf, &tconf, &why)) {
			int crc = util_err(cause, UTIL_EINPUT, "allocator settings '%s': %s",
					   cfg->alloc_conf, why);
			free(why);
			return crc;
		}
	}
	memset(res, 0, sizeof(*res));
	res->n_dev = cfg->topo.n;
	for (int i = 0; i < cfg->topo.n; i++)
		res->dev[i].capacity = cfg->topo.capacity[i];
	struct state s = { .cfg = cfg, .res = res, .tconf = tconf };
	int rc = 0;
	const struct trace_event *evp;
	while (!res->stopped && (evp = sim_source_ref(src, &rc, cause)) != NULL) {
		res->n_events++;
		res->t_end = evp->t_ns;
		if ((res->n_events & (SIM_TICK - 1)) == 0 && cfg->obs && cfg->obs->tick)
			cfg->obs->tick(cfg->obs->ud, res->n_events);
		if (evp->category < 0 || evp->category >= TRACE_CAT_MAX) {
			struct trace_event fixed = *evp;
			fixed.category = TRACE_CAT_OTHER;
			apply(&s, &fixed);
		} else {
			apply(&s, evp);
		}
	}
	if (res->stopped)
		rc = 0;
	u64map_free(&s.live);
	u64map_free(&s.handles);
	u64map_free(&s.maps);
	free(s.recs);
	for (size_t i = 0; i < s.n_ti; i++)
		torchalloc_delete(s.ti[i].a);
	free(s.ti);
	u64map_free(&s.tmap);
	return rc < 0 ? rc : 0;
}
