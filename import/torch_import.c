/*
 * torch_import.c - PyTorch CUDA memory snapshots (format "torch"): the
 * pickle written by torch.cuda.memory._dump_snapshot() (a dict with
 * segments, device_traces, allocator_settings, ...) or by the older
 * torch.cuda.memory_snapshot() (a bare list of segments). Structure and
 * version differences from torch/csrc/cuda/Module.cpp,
 * torch/csrc/cuda/memory_snapshot.cpp, torch/cuda/memory.py and the
 * public snapshots bundled in tests/data/traces (SOURCES.md).
 *
 * Over 800 lines on purpose: the snapshot's segments, ring entries and
 * frames are one structure walked together (a block's label needs its
 * segment and its frames); the pickle reader itself is import/pickle.c.
 *
 * Output: one trace, pid 0, one device per device_traces index and per
 * segment 'device' (trace-level index = CUDA ordinal; total unknown: 0).
 *
 * Ring entries become events:
 *   alloc                        TRACE_ALLOC   addr, size = req_size = the
 *                                              entry's size (the *requested*
 *                                              bytes, not the rounded block)
 *   free_completed               TRACE_FREE    addr, size; category and
 *                                              layer of its alloc
 *   free_requested               skipped (counted): memory stays in use
 *                                until free_completed, as MemoryViz does
 *   segment_alloc, segment_map   TRACE_SEGMENT_ALLOC addr, size
 *   segment_free, segment_unmap  TRACE_SEGMENT_FREE  addr, size
 *   oom                          TRACE_OOM     size, aux = device_free,
 *                                              result = 2 (out of memory)
 *   snapshot, annotate           TRACE_MARKER  label "snapshot"/"annotate"
 * Times: t_ns = 1000 x (time_us - earliest time_us); without time_us
 * (2.0/2.1-era files) 1000 x the entry's index in its device list. Within
 * a device, times are made non-decreasing so that ring order (the
 * allocator's order) is kept even where the approximate clock steps back.
 *
 * Reconciliation of the ring with the end state (the ring may have lost
 * its head; recording may have started late), all at t = 0, before the
 * ring's events: per device, first the segments, then the blocks, each
 * sorted by address:
 *   - every end-state segment span not covered by a segment_alloc/map
 *     still live at the end of the ring: TRACE_SEGMENT_ALLOC of that span
 *     (for an ordinary segment: its address and total_size);
 *   - a segment_free/unmap with no segment_alloc/map before it: a
 *     TRACE_SEGMENT_ALLOC of its size at its address;
 *   - every block in state active_allocated or active_pending_free with
 *     no alloc still live at the end of the ring: TRACE_ALLOC with size =
 *     the block's (rounded) size and req_size = its requested size;
 *   - every free_completed with no alloc before it ("orphan"): TRACE_ALLOC
 *     of the freed entry's size at its address.
 * The trace note says how many of each were added.
 *
 * Segment events carry what the torch allocator model needs: ev.stream is
 * the segment's stream and ev.api its pool: 1 small, 2 large, 0 unknown
 * (the pool comes from the end-state segment at the same address).
 * Category: allocations TRACE_CAT_ACTIVATION unless a --label-rules rule
 * matches one of their frames; segments TRACE_CAT_CACHE. Label: the top
 * user frame "FILE:LINE:FUNCTION" (innermost Python frame, a .py file,
 * outside the torch package; C++ frames name .cpp/.h files or '??'),
 * else the innermost Python frame, interned by the store, so each frame
 * text is stored once.
 *
 * Settings: torch.<key> for each allocator_settings key (bools 1/0, dicts
 * flattened as torch.<key>.<subkey>), torch.reserved_end.<dev> (sum of
 * segment total_size at the snapshot), torch.allocated_end.<dev> (sum of
 * active_allocated block sizes), and the counts torch.segments,
 * torch.trace_entries, torch.free_requested, torch.reconciled_blocks
 * (active_allocated blocks without an alloc in the ring),
 * torch.reconciled_pending, torch.reconciled_segments,
 * torch.orphan_frees, torch.orphan_segment_frees; torch.time is
 * "time_us" or "synthetic".
 *
 * Bounds: one process; at most 4096 devices (device_traces lists and
 * segment devices); work per device is its own entries, blocks and
 * segments (found by binary search in arrays sorted by device), so the
 * whole import is O(n log n) in entries, blocks and segments.
 *
 * Memory: the pickle is parsed in streaming mode (pickle.h): each ring
 * entry, block and segment dict is turned into a compact record as soon as
 * it is complete and dropped from the value tree; which list it was in is
 * learnt when the list nests it. Only shared values (keys, frame lists)
 * and the compact records stay in memory: about half the file for the
 * parser and 64 bytes per ring entry.
 *
 * Over 800 lines: record extraction, list resolution and reconciliation
 * all work on the same compact records (struct entry, block, seg).
 */
#include "u64map.h"
#include "imp.h"
#include "labels.h"
#include "pickle.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum act {
	A_ALLOC = 1, A_FREE_REQ, A_FREE, A_SEG_ALLOC, A_SEG_FREE, A_OOM, A_SNAPSHOT,
	A_ANNOTATE, A_OTHER
};

static const struct { const char *name; uint8_t act; } actions[] = {
	{ "alloc", A_ALLOC },             { "free_requested", A_FREE_REQ },
	{ "free_completed", A_FREE },     { "segment_alloc", A_SEG_ALLOC },
	{ "segment_map", A_SEG_ALLOC },   { "segment_free", A_SEG_FREE },
	{ "segment_unmap", A_SEG_FREE },  { "oom", A_OOM },
	{ "snapshot", A_SNAPSHOT },       { "annotate", A_ANNOTATE },
};

/* Where an allocation's bytes are for, from its frames. */
struct tag {
	int64_t label;
	int16_t cat;
	int32_t layer;
};

/* One ring entry, kept until the events are written. */
struct entry {
	int64_t  t;        /* time_us, then t_ns */
	uint64_t addr;     /* oom: device_free */
	uint64_t size;
	uint64_t stream;
	uint64_t list;     /* id of the list holding it (its device list) */
	int64_t  label;
	int32_t  layer;
	uint32_t index;    /* position in that list */
	int16_t  dev;      /* resolved device, -1 until then */
	uint8_t  act;
	uint8_t  has_time;
	int16_t  cat;
	int16_t  api;      /* segment events: pool */
};

/* A segment at the snapshot. */
struct seg {
	uint64_t addr, total, stream, list;
	int64_t  label;
	int      dev, pool;
	int      expandable;
	uint32_t order;    /* tie-break: sorting must not depend on qsort */
};

/* A block at the snapshot (or an allocation added at t = 0). */
struct block {
	uint64_t addr, size, req, list;
	uint64_t id;       /* pkl_id of its dict while it waits for its list */
	int64_t  label;
	int32_t  layer;
	uint32_t index;    /* position in its segment's blocks list */
	int16_t  cat;
	int16_t  dev;
	uint8_t  state;    /* 1 active_allocated, 2 active_pending_free, 0 other */
	uint8_t  has_addr; /* 2.0-era blocks have no address */
	uint32_t order;    /* tie-break: sorting must not depend on qsort */
};

/* A list nested in a list or dict: resolves which list is what. */
struct link {
	uint64_t child, parent, index;
	int key;           /* K_* when the parent is a dict */
};
enum { K_NONE, K_SEGMENTS, K_DEVICE_TRACES, K_HOST_SEGMENTS, K_HOST_TRACES };

struct tctx {
	struct imp_ctx *ictx;
	int64_t trace;
	struct labels_rules *rules;
	struct entry *e;   size_t ne, ae;
	struct seg *s;     size_t ns, as;
	struct block *b;   size_t nb, ab;
	struct link *l;    size_t nl, al;
	struct tag *tags;  size_t ntags, atags;
	struct u64map frames; /* frames list id -> index in tags */
	struct u64map taken;  /* id of a consumed dict -> R_* << 56 | record index */
	struct u64map texts;  /* FNV-1a of a label text -> index in ltext */
	struct ltext { char *text; int64_t id; } *ltext;
	size_t nltext, altext;
	size_t b_open;      /* blocks from here on belong to no segment yet */
	const struct pkl_value *settings; /* allocator_settings, read after the parse */
	int64_t label_snapshot, label_annotate;
};

/* ---- frames -> label, category, layer ---- */

static int frame_text(const struct pkl_value *f, char *buf, size_t n)
{
	char file[600], name[300];
	int64_t line = 0;
	if (!pkl_str_copy(pkl_get(f, "filename"), file, sizeof(file)))
		return -1;
	if (!pkl_str_copy(pkl_get(f, "name"), name, sizeof(name)))
		name[0] = '\0';
	pkl_get_int(f, "line", &line);
	snprintf(buf, n, "%s:%" PRId64 ":%s", file, line, name);
	return 0;
}

/* A Python frame: its file is a .py (or an interactive "<stdin>",
 * "<ipython-input-...>"). C++ frames of a context="all" snapshot name
 * .cpp/.h files ("memory_snapshot.cpp" at line 0) or '??'. */
static int python_frame(const struct pkl_value *f)
{
	size_t n;
	const char *s = pkl_str(pkl_get(f, "filename"), &n);
	if (!s || n == 0)
		return 0;
	return s[0] == '<' || (n >= 3 && memcmp(s + n - 3, ".py", 3) == 0);
}

/* A user frame: a Python frame outside the torch package. */
static int user_frame(const struct pkl_value *f)
{
	size_t n;
	const char *s = pkl_str(pkl_get(f, "filename"), &n);
	if (!python_frame(f))
		return 0;
	for (size_t i = 0; i + 7 <= n; i++)
		if ((s[i] == '/' || s[i] == '\\') && memcmp(s + i + 1, "torch", 5) == 0 &&
		    (s[i + 6] == '/' || s[i + 6] == '\\'))
			return 0;
	return 1;
}

/* store_label() through a cache: thousands of distinct frame lists share a
 * few dozen top frames, and each store lookup is an SQL query. */
static int label_id(struct tctx *t, const char *text, int64_t *id, char **cause)
{
	uint64_t h = 0xcbf29ce484222325ull, i;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	if (u64map_get(&t->texts, h, &i)) {
		if (strcmp(t->ltext[i].text, text) == 0) {
			*id = t->ltext[i].id;
			return 0;
		}
		return store_label(t->ictx->st, t->trace, text, id, cause); /* collision */
	}
	int rc = store_label(t->ictx->st, t->trace, text, id, cause);
	if (rc)
		return rc;
	UTIL_GROW(t->ltext, t->nltext + 1, t->altext);
	t->ltext[t->nltext] = (struct ltext){ util_xstrdup(text), *id };
	u64map_put(&t->texts, h, t->nltext++);
	return 0;
}

static int frames_tag(struct tctx *t, const struct pkl_value *frames, struct tag *out,
		      char **cause)
{
	out->label = 0;
	out->cat = TRACE_CAT_ACTIVATION;
	out->layer = TRACE_LAYER_NONE;
	size_t n = pkl_len(frames);
	if (pkl_type(frames) != PKL_LIST || n == 0)
		return 0;
	uint64_t idx;
	if (u64map_get(&t->frames, pkl_id(frames), &idx)) {
		*out = t->tags[idx];
		return 0;
	}
	/* The innermost user frame names the allocation; else the innermost
	 * Python frame (torch's own); else the first named C++ frame. */
	size_t pick = n;
	for (size_t i = 0; i < n && pick == n; i++)
		if (user_frame(pkl_item(frames, i)))
			pick = i;
	for (size_t i = 0; i < n && pick == n; i++)
		if (python_frame(pkl_item(frames, i)))
			pick = i;
	for (size_t i = 0; i < n && pick == n; i++)
		if (!pkl_str_eq(pkl_get(pkl_item(frames, i), "filename"), "??"))
			pick = i;
	if (pick == n)
		pick = 0;
	char buf[1024];
	int rc;
	if (frame_text(pkl_item(frames, pick), buf, sizeof(buf)) == 0 &&
	    (rc = label_id(t, buf, &out->label, cause)))
		return rc;
	if (t->rules) {
		char **txt = util_xcalloc(n, sizeof(*txt));
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			char fb[1024];
			if (frame_text(pkl_item(frames, i), fb, sizeof(fb)) == 0)
				txt[k++] = util_xstrdup(fb);
		}
		struct labels_result r;
		if (labels_match(t->rules, (const char *const *)txt, k, &r)) {
			out->cat = (int16_t)r.category;
			out->layer = r.layer;
		}
		for (size_t i = 0; i < k; i++)
			free(txt[i]);
		free(txt);
	}
	UTIL_GROW(t->tags, t->ntags + 1, t->atags);
	t->tags[t->ntags] = *out;
	u64map_put(&t->frames, pkl_id(frames), t->ntags++);
	return 0;
}

/* ---- streaming: segments and ring entries as they are completed ---- */

static uint64_t uget(const struct pkl_value *d, const char *key)
{
	int64_t v = 0;
	pkl_get_int(d, key, &v);
	return (uint64_t)v;
}

/* What a consumed dict became, until it is nested in its list. */
enum { R_ENTRY = 1, R_BLOCK, R_SEG };
#define R_TAG(kind, i) ((uint64_t)(kind) << 56 | (uint64_t)(i))

/* A str key and its length. */
struct field {
	const char *name;
	size_t len;
};
#define FIELD(s) { s, sizeof(s) - 1 }

/* The values of keys f[0..n) of dict d in one pass over its pairs (a key
 * pickled twice: the last one wins, as in Python); NULL where absent. */
static void fields(const struct pkl_value *d, const struct field *f, size_t n,
		   const struct pkl_value **out)
{
	for (size_t j = 0; j < n; j++)
		out[j] = NULL;
	for (size_t i = 0; i < pkl_len(d); i++) {
		size_t len;
		const char *k = pkl_str(pkl_key(d, i), &len);
		for (size_t j = 0; k && j < n; j++)
			if (len == f[j].len && memcmp(k, f[j].name, len) == 0)
				out[j] = pkl_val(d, i);
	}
}

static uint64_t uval(const struct pkl_value *v)
{
	int64_t i = 0;
	pkl_int(v, &i);
	return (uint64_t)i;
}

static int take_entry(struct tctx *t, const struct pkl_value *d, char **cause)
{
	enum { ACTION, ADDR, DEVICE_FREE, SIZE, STREAM, TIME, FRAMES, N };
	static const struct field f[N] = {
		FIELD("action"), FIELD("addr"), FIELD("device_free"), FIELD("size"),
		FIELD("stream"), FIELD("time_us"), FIELD("frames"),
	};
	const struct pkl_value *v[N];
	fields(d, f, N, v);
	struct entry e = { .dev = -1, .act = A_OTHER, .layer = TRACE_LAYER_NONE,
			   .cat = TRACE_CAT_ACTIVATION };
	size_t alen;
	const char *a = pkl_str(v[ACTION], &alen);
	for (size_t i = 0; a && i < UTIL_ARRAY_SIZE(actions); i++)
		if (strlen(actions[i].name) == alen && memcmp(a, actions[i].name, alen) == 0)
			e.act = actions[i].act;
	e.addr = uval(v[e.act == A_OOM ? DEVICE_FREE : ADDR]);
	int64_t sz = 0;
	if (v[SIZE] && (pkl_int(v[SIZE], &sz) != 0 || sz < 0))
		return util_err(cause, UTIL_EINPUT, "%s: trace entry %zu: 'size' is not a "
				"non-negative integer", t->ictx->path, t->ne + 1);
	e.size = (uint64_t)sz;
	e.stream = uval(v[STREAM]);
	e.has_time = pkl_int(v[TIME], &e.t) == 0;
	if (e.act == A_ALLOC || e.act == A_FREE || e.act == A_SEG_ALLOC || e.act == A_OOM) {
		struct tag g;
		int rc = frames_tag(t, v[FRAMES], &g, cause);
		if (rc)
			return rc;
		e.label = g.label;
		e.cat = g.cat;
		e.layer = g.layer;
	}
	UTIL_GROW(t->e, t->ne + 1, t->ae);
	u64map_put(&t->taken, pkl_id(d), R_TAG(R_ENTRY, t->ne));
	t->e[t->ne++] = e;
	return PKL_TAKE;
}

static int block_state(const struct pkl_value *b)
{
	const struct pkl_value *s = pkl_get(b, "state");
	return pkl_str_eq(s, "active_allocated") ? 1 : pkl_str_eq(s, "active_pending_free") ? 2 : 0;
}

/* A block dict: taken as soon as it is complete, because one segment can
 * hold hundreds of blocks with ten frames each. */
static int take_block(struct tctx *t, const struct pkl_value *b, char **cause)
{
	struct block k = { .cat = TRACE_CAT_ACTIVATION, .layer = TRACE_LAYER_NONE };
	int64_t a;
	k.size = uget(b, "size");
	k.has_addr = pkl_get_int(b, "address", &a) == 0;
	k.addr = k.has_addr ? (uint64_t)a : 0;
	k.state = (uint8_t)block_state(b);
	if (k.state) {
		/* 2.0-era: history[0] holds the requested size and the frames */
		const struct pkl_value *h = pkl_item(pkl_get(b, "history"), 0);
		const struct pkl_value *frames = pkl_get(b, "frames");
		int64_t req = (int64_t)k.size;
		if (pkl_get_int(b, "requested_size", &req) != 0)
			pkl_get_int(h, "real_size", &req);
		k.req = (uint64_t)req;
		struct tag g;
		int rc = frames_tag(t, frames ? frames : pkl_get(h, "frames"), &g, cause);
		if (rc)
			return rc;
		k.label = g.label;
		k.cat = g.cat;
		k.layer = g.layer;
	}
	k.id = pkl_id(b);
	UTIL_GROW(t->b, t->nb + 1, t->ab);
	u64map_put(&t->taken, pkl_id(b), R_TAG(R_BLOCK, t->nb));
	t->b[t->nb++] = k;
	return PKL_TAKE;
}

static int cmp_block_index(const void *a, const void *b)
{
	const struct block *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int take_segment(struct tctx *t, const struct pkl_value *d, char **cause)
{
	int64_t dev = 0;
	struct seg s = { 0 };
	s.addr = uget(d, "address");
	s.total = uget(d, "total_size");
	s.stream = uget(d, "stream");
	pkl_get_int(d, "device", &dev);
	if (dev < 0 || dev > 4095)
		return util_err(cause, UTIL_EINPUT, "segment at 0x%" PRIx64 " on device %" PRId64
				" (expected 0 to 4095)", s.addr, dev);
	s.dev = (int)dev;
	const struct pkl_value *type = pkl_get(d, "segment_type");
	s.pool = pkl_str_eq(type, "small") ? 1 : pkl_str_eq(type, "large") ? 2 : 0;
	int ex = 0;
	pkl_bool(pkl_get(d, "is_expandable"), &ex);
	s.expandable = ex;
	struct tag g;
	int rc = frames_tag(t, pkl_get(d, "frames"), &g, cause);
	if (rc)
		return rc;
	s.label = g.label;
	s.order = (uint32_t)t->ns;
	UTIL_GROW(t->s, t->ns + 1, t->as);
	u64map_put(&t->taken, pkl_id(d), R_TAG(R_SEG, t->ns));
	t->s[t->ns++] = s;

	/* Its blocks are the records taken since the last segment that went
	 * into its blocks list. They cover the segment in address order;
	 * 2.0-era blocks have no address: the segment's plus the sizes
	 * before. Only allocated blocks are kept. */
	uint64_t list = pkl_id(pkl_get(d, "blocks"));
	size_t n = 0;
	for (size_t i = t->b_open; i < t->nb; i++) {
		if (list && t->b[i].list == list)
			t->b[t->b_open + n++] = t->b[i];
		else /* a stray block (not a snapshot's layout): forget it */
			u64map_del(&t->taken, t->b[i].id, NULL);
	}
	if (n > 1)
		qsort(t->b + t->b_open, n, sizeof(*t->b), cmp_block_index);
	uint64_t at = s.addr;
	size_t keep = t->b_open;
	for (size_t i = t->b_open; i < t->b_open + n; i++) {
		struct block k = t->b[i];
		if (!k.has_addr)
			k.addr = at;
		at = k.addr + k.size;
		k.dev = (int16_t)s.dev;
		k.list = 0; /* now: the segment's, resolved with it */
		k.index = (uint32_t)(t->ns - 1);
		if (k.state)
			t->b[keep++] = k;
	}
	t->nb = t->b_open = keep;
	return PKL_TAKE;
}

static int key_code(const struct pkl_value *key)
{
	return pkl_str_eq(key, "segments") ? K_SEGMENTS
	     : pkl_str_eq(key, "device_traces") ? K_DEVICE_TRACES
	     : pkl_str_eq(key, "host_segments") ? K_HOST_SEGMENTS
	     : pkl_str_eq(key, "host_traces") ? K_HOST_TRACES : K_NONE;
}

/* A dict got its items: ring entries, blocks and segments are read now
 * and dropped from the tree. */
static int on_filled(void *arg, const struct pkl_value *d, char **cause)
{
	/* One pass over the keys: most dicts are frames, and three failed
	 * lookups each would cost more than the rest of the parse. */
	enum { F_ACTION = 1, F_STATE = 2, F_SIZE = 4, F_BLOCKS = 8, F_TOTAL = 16 };
	static const struct { const char *k; size_t n; int f; } keys[] = {
		{ "action", 6, F_ACTION }, { "state", 5, F_STATE }, { "size", 4, F_SIZE },
		{ "blocks", 6, F_BLOCKS }, { "total_size", 10, F_TOTAL },
	};
	struct tctx *t = arg;
	int seen = 0;
	for (size_t i = 0; i < pkl_len(d); i++) {
		size_t n;
		const char *k = pkl_str(pkl_key(d, i), &n);
		for (size_t j = 0; k && j < UTIL_ARRAY_SIZE(keys); j++)
			if (n == keys[j].n && memcmp(k, keys[j].k, n) == 0)
				seen |= keys[j].f;
	}
	if (seen & F_ACTION)
		return take_entry(t, d, cause);
	if ((seen & (F_STATE | F_SIZE)) == (F_STATE | F_SIZE))
		return take_block(t, d, cause);
	if ((seen & (F_BLOCKS | F_TOTAL)) == (F_BLOCKS | F_TOTAL))
		return take_segment(t, d, cause);
	return PKL_KEEP;
}

/* Something was nested: note which list holds each consumed record and
 * which list sits under which key. */
static int on_attach(void *arg, const struct pkl_value *parent, const struct pkl_value *key,
		     uint64_t index, const struct pkl_value *item, char **cause)
{
	struct tctx *t = arg;
	int pt = pkl_type(parent), it = pkl_type(item);
	uint64_t r;
	if (pt == PKL_LIST && it == PKL_DICT && u64map_get(&t->taken, pkl_id(item), &r)) {
		size_t i = (size_t)(r & ((1ull << 56) - 1));
		u64map_del(&t->taken, pkl_id(item), NULL);
		if (index > UINT32_MAX)
			return util_err(cause, UTIL_EINPUT, "a list with more than 2^32 records");
		switch (r >> 56) {
		case R_ENTRY:
			t->e[i].list = pkl_id(parent);
			t->e[i].index = (uint32_t)index;
			break;
		case R_BLOCK:
			if (i >= t->b_open) { /* not yet claimed by a segment */
				t->b[i].list = pkl_id(parent);
				t->b[i].index = (uint32_t)index;
			}
			break;
		default:
			t->s[i].list = pkl_id(parent);
			break;
		}
		return PKL_TAKE;
	}
	if (it == PKL_LIST && (pt == PKL_LIST || key_code(key) != K_NONE)) {
		UTIL_GROW(t->l, t->nl + 1, t->al);
		t->l[t->nl++] = (struct link){ pkl_id(item), pkl_id(parent), index,
					       pt == PKL_DICT ? key_code(key) : K_NONE };
	}
	return PKL_KEEP;
}

/* ---- after the parse: which list is what ---- */

static uint64_t find_link(const struct tctx *t, uint64_t parent, int key)
{
	for (size_t i = 0; i < t->nl; i++)
		if (t->l[i].parent == parent && t->l[i].key == key)
			return t->l[i].child;
	return 0;
}

struct resolved {
	uint64_t seg_list;
	int n_dev;             /* devices: device_traces lists and segment devices */
	size_t n_entries;      /* entries in device_traces */
	size_t n_ignored;      /* entries elsewhere (host_traces, ...) */
	size_t n_segs_ignored; /* segments elsewhere (host_segments) */
};

static int resolve(struct tctx *t, const struct pkl_value *root, struct resolved *r,
		   char **cause)
{
	memset(r, 0, sizeof(*r));
	uint64_t dt = 0;
	if (pkl_type(root) == PKL_LIST) {
		r->seg_list = pkl_id(root); /* torch.cuda.memory_snapshot(): segments only */
	} else if (pkl_type(root) == PKL_DICT) {
		if (!pkl_get(root, "segments"))
			return util_err(cause, UTIL_EINPUT, "not a PyTorch memory snapshot: "
					"the pickled dict has no 'segments'");
		r->seg_list = find_link(t, pkl_id(root), K_SEGMENTS);
		dt = find_link(t, pkl_id(root), K_DEVICE_TRACES);
		t->settings = pkl_get(root, "allocator_settings");
	} else {
		return util_err(cause, UTIL_EINPUT, "not a PyTorch memory snapshot: the pickle "
				"holds a %s, not a dict or a list of segments",
				pkl_type_name(pkl_type(root)));
	}
	/* Device lists: the lists inside device_traces; index = ordinal. */
	struct u64map dev = { 0 };
	for (size_t i = 0; dt && i < t->nl; i++) {
		if (t->l[i].parent != dt || t->l[i].key != K_NONE)
			continue;
		if (t->l[i].index > 4095) {
			u64map_free(&dev);
			return util_err(cause, UTIL_EINPUT, "device_traces has more than 4096 lists");
		}
		u64map_put(&dev, t->l[i].child, t->l[i].index);
		if ((int)t->l[i].index + 1 > r->n_dev)
			r->n_dev = (int)t->l[i].index + 1;
	}
	for (size_t i = 0; i < t->ne; i++) {
		uint64_t d;
		if (u64map_get(&dev, t->e[i].list, &d)) {
			t->e[i].dev = (int16_t)d;
			r->n_entries++;
		} else {
			r->n_ignored++;
		}
	}
	u64map_free(&dev);
	/* Blocks follow their segment (block.index is the segment's record). */
	size_t k = 0;
	for (size_t i = 0; i < t->nb; i++)
		if (t->b[i].index < t->ns && t->s[t->b[i].index].list == r->seg_list)
			t->b[k++] = t->b[i];
	t->nb = k;
	k = 0;
	for (size_t i = 0; i < t->ns; i++) {
		if (t->s[i].list != r->seg_list) {
			r->n_segs_ignored++;
			continue;
		}
		if (t->s[i].dev + 1 > r->n_dev)
			r->n_dev = t->s[i].dev + 1;
		t->s[k++] = t->s[i];
	}
	t->ns = k;
	return 0;
}

/* ---- reconciliation ---- */

static int cmp_entry_ring(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_entry_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_block(const void *a, const void *b)
{
	const struct block *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* qsort() without the empty case (a NULL base is undefined even for 0). */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

struct span {
	uint64_t addr, size;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* What reconciliation adds at t = 0, and its counts. */
struct recon {
	struct block *alloc;  size_t n_alloc, a_alloc;   /* TRACE_ALLOC at 0 */
	struct seg *segs;     size_t n_segs, a_segs;     /* TRACE_SEGMENT_ALLOC at 0 */
	size_t blocks, pending, orphans, seg_orphans, segments, free_requested;
	size_t unknown; /* entries with an action this importer does not know */
};

static void add_alloc(struct recon *r, const struct block *b)
{
	UTIL_GROW(r->alloc, r->n_alloc + 1, r->a_alloc);
	r->alloc[r->n_alloc] = *b;
	r->alloc[r->n_alloc].order = (uint32_t)r->n_alloc;
	r->n_alloc++;
}

static void add_seg(struct recon *r, int dev, uint64_t addr, uint64_t size,
		    const struct seg *like)
{
	UTIL_GROW(r->segs, r->n_segs + 1, r->a_segs);
	struct seg s = { .addr = addr, .total = size, .dev = dev, .order = (uint32_t)r->n_segs };
	if (like) {
		s.stream = like->stream;
		s.pool = like->pool;
		s.label = like->label;
	}
	r->segs[r->n_segs++] = s;
}

/* End-state segment whose span holds addr, or NULL (segs sorted). */
static const struct seg *seg_at(const struct tctx *t, int dev, uint64_t addr)
{
	size_t lo = 0, hi = t->ns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct seg *s = &t->s[mid];
		if (s->dev < dev || (s->dev == dev && s->addr + s->total <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->ns && t->s[lo].dev == dev && t->s[lo].addr <= addr &&
	    addr < t->s[lo].addr + t->s[lo].total)
		return &t->s[lo];
	return NULL;
}

/* Entries of one device [i0, i1) in ring order. */
static void reconcile_device(struct tctx *t, int dev, size_t i0, size_t i1, struct recon *r)
{
	struct u64map live = { 0 }, seglive = { 0 };
	for (size_t i = i0; i < i1; i++) {
		struct entry *e = &t->e[i];
		const struct seg *s;
		uint64_t a;
		switch (e->act) {
		case A_ALLOC:
			u64map_put(&live, e->addr, i);
			break;
		case A_FREE:
			if (u64map_get(&live, e->addr, &a)) {
				/* the free belongs to its alloc's category */
				e->cat = t->e[a].cat;
				e->layer = t->e[a].layer;
				u64map_del(&live, e->addr, NULL);
			} else {
				struct block b = { .addr = e->addr, .size = e->size, .req = e->size,
						   .label = e->label, .cat = e->cat,
						   .layer = e->layer, .dev = (int16_t)dev };
				add_alloc(r, &b);
				r->orphans++;
			}
			break;
		case A_SEG_ALLOC:
			s = seg_at(t, dev, e->addr);
			e->api = (int16_t)(s ? s->pool : 0);
			u64map_put(&seglive, e->addr, e->size);
			break;
		case A_SEG_FREE:
			s = seg_at(t, dev, e->addr);
			e->api = (int16_t)(s ? s->pool : 0);
			if (!u64map_del(&seglive, e->addr, NULL)) {
				add_seg(r, dev, e->addr, e->size, s);
				r->seg_orphans++;
			}
			break;
		case A_FREE_REQ:
			r->free_requested++;
			break;
		case A_OTHER:
			r->unknown++;
			break;
		default:
			break;
		}
	}
	/* Blocks allocated at the snapshot that the ring does not hold live
	 * (t->b and t->s are sorted by device: only this device's range). */
	size_t b0 = 0, b1 = t->nb;
	while (b0 < b1) {
		size_t mid = b0 + (b1 - b0) / 2;
		if (t->b[mid].dev < dev)
			b0 = mid + 1;
		else
			b1 = mid;
	}
	for (size_t i = b0; i < t->nb && t->b[i].dev == dev; i++) {
		if (u64map_get(&live, t->b[i].addr, NULL))
			continue;
		add_alloc(r, &t->b[i]);
		if (t->b[i].state == 1)
			r->blocks++;
		else
			r->pending++;
	}
	/* Segment spans not covered by a live segment_alloc/map of the ring. */
	struct span *sp = util_xmalloc((seglive.n ? seglive.n : 1) * sizeof(*sp));
	size_t nsp = 0, pos = 0;
	while (u64map_next(&seglive, &pos, &sp[nsp].addr, &sp[nsp].size))
		nsp++;
	sort(sp, nsp, sizeof(*sp), cmp_span);
	size_t s0 = 0, s1 = t->ns;
	while (s0 < s1) {
		size_t mid = s0 + (s1 - s0) / 2;
		if (t->s[mid].dev < dev)
			s0 = mid + 1;
		else
			s1 = mid;
	}
	for (size_t i = s0; i < t->ns && t->s[i].dev == dev; i++) {
		const struct seg *s = &t->s[i];
		uint64_t cur = s->addr, end = s->addr + s->total;
		int gap = 0;
		size_t lo = 0, hi = nsp;
		while (lo < hi) { /* first span ending after the segment start */
			size_t mid = lo + (hi - lo) / 2;
			if (sp[mid].addr + sp[mid].size <= s->addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < nsp && sp[j].addr < end; j++) {
			if (sp[j].addr > cur) {
				add_seg(r, dev, cur, sp[j].addr - cur, s);
				gap = 1;
			}
			if (sp[j].addr + sp[j].size > cur)
				cur = sp[j].addr + sp[j].size;
		}
		if (cur < end) {
			add_seg(r, dev, cur, end - cur, s);
			gap = 1;
		}
		r->segments += (size_t)gap;
	}
	free(sp);
	u64map_free(&live);
	u64map_free(&seglive);
}

/* ---- writing ---- */

static int set_u64(struct tctx *t, const char *key, uint64_t v, char **cause)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return store_setting_set(t->ictx->st, t->trace, key, buf, cause);
}

static int scalar_text(const struct pkl_value *v, char *buf, size_t n)
{
	int64_t i;
	double f;
	int b;
	if (pkl_bool(v, &b) == 0)
		snprintf(buf, n, "%d", b);
	else if (pkl_int(v, &i) == 0)
		snprintf(buf, n, "%" PRId64, i);
	else if (pkl_float(v, &f) == 0) {
		/* the shortest text that reads back as the same double */
		snprintf(buf, n, "%.15g", f);
		if (strtod(buf, NULL) != f)
			snprintf(buf, n, "%.17g", f);
	}
	else if (!pkl_str_copy(v, buf, n))
		return -1;
	return 0;
}

static int write_settings(struct tctx *t, char **cause)
{
	const struct pkl_value *s = t->settings;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < pkl_len(s); i++) {
		char key[160], sub[64], val[256], k2[240];
		if (!pkl_str_copy(pkl_key(s, i), key, sizeof(key)))
			continue;
		const struct pkl_value *v = pkl_val(s, i);
		snprintf(k2, sizeof(k2), "torch.%s", key);
		if (scalar_text(v, val, sizeof(val)) == 0) {
			rc = store_setting_set(t->ictx->st, t->trace, k2, val, cause);
			continue;
		}
		for (size_t j = 0; rc == 0 && j < pkl_len(v) && pkl_type(v) == PKL_DICT; j++) {
			if (scalar_text(pkl_key(v, j), sub, sizeof(sub)) ||
			    scalar_text(pkl_val(v, j), val, sizeof(val)))
				continue;
			snprintf(k2, sizeof(k2), "torch.%s.%s", key, sub);
			rc = store_setting_set(t->ictx->st, t->trace, k2, val, cause);
		}
	}
	return rc;
}

static int write_devices(struct tctx *t, int n_dev, char **cause)
{
	for (int d = 0; d < n_dev; d++) {
		struct trace_device dev = { .index = d, .ordinal = d };
		uint64_t reserved = 0, allocated = 0;
		int rc = store_device_add(t->ictx->st, t->trace, &dev, cause);
		for (size_t i = 0; i < t->ns; i++)
			if (t->s[i].dev == d)
				reserved += t->s[i].total;
		for (size_t i = 0; i < t->nb; i++)
			if (t->b[i].dev == d && t->b[i].state == 1)
				allocated += t->b[i].size;
		char key[64];
		snprintf(key, sizeof(key), "torch.reserved_end.%d", d);
		if (rc == 0)
			rc = set_u64(t, key, reserved, cause);
		snprintf(key, sizeof(key), "torch.allocated_end.%d", d);
		if (rc == 0)
			rc = set_u64(t, key, allocated, cause);
		if (rc)
			return rc;
	}
	return 0;
}

static int emit(struct tctx *t, struct trace_event *ev, char **cause)
{
	return store_event_add(t->ictx->st, t->trace, ev, cause);
}

static int write_recon(struct tctx *t, struct recon *r, char **cause)
{
	sort(r->segs, r->n_segs, sizeof(*r->segs), cmp_seg);
	sort(r->alloc, r->n_alloc, sizeof(*r->alloc), cmp_block);
	struct trace_event ev;
	for (size_t i = 0; i < r->n_segs; i++) {
		const struct seg *s = &r->segs[i];
		trace_event_init(&ev, TRACE_SEGMENT_ALLOC, 0);
		ev.device = (int16_t)s->dev;
		ev.category = TRACE_CAT_CACHE;
		ev.addr = s->addr;
		ev.size = ev.req_size = s->total;
		ev.stream = s->stream;
		ev.api = (int16_t)s->pool;
		ev.label = s->label;
		int rc = emit(t, &ev, cause);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < r->n_alloc; i++) {
		const struct block *b = &r->alloc[i];
		trace_event_init(&ev, TRACE_ALLOC, 0);
		ev.device = b->dev;
		ev.category = b->cat;
		ev.layer_lo = ev.layer_hi = b->layer;
		ev.addr = b->addr;
		ev.size = b->size;
		ev.req_size = b->req;
		ev.label = b->label;
		int rc = emit(t, &ev, cause);
		if (rc)
			return rc;
	}
	return 0;
}

static int write_ring(struct tctx *t, size_t n, char **cause)
{
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &t->e[i];
		static const int16_t kinds[] = {
			[A_ALLOC] = TRACE_ALLOC, [A_FREE] = TRACE_FREE,
			[A_SEG_ALLOC] = TRACE_SEGMENT_ALLOC, [A_SEG_FREE] = TRACE_SEGMENT_FREE,
			[A_OOM] = TRACE_OOM, [A_SNAPSHOT] = TRACE_MARKER,
			[A_ANNOTATE] = TRACE_MARKER,
		};
		if (e->act >= UTIL_ARRAY_SIZE(kinds) || !kinds[e->act])
			continue;
		struct trace_event ev;
		trace_event_init(&ev, kinds[e->act], e->t);
		ev.device = e->dev;
		ev.stream = e->stream;
		ev.size = e->size;
		ev.label = e->label;
		switch (e->act) {
		case A_ALLOC:
			ev.req_size = e->size;
			/* fall through */
		case A_FREE:
			ev.addr = e->addr;
			ev.category = e->cat;
			ev.layer_lo = ev.layer_hi = e->layer;
			break;
		case A_SEG_ALLOC: case A_SEG_FREE:
			ev.addr = e->addr;
			ev.category = TRACE_CAT_CACHE;
			ev.api = e->api;
			break;
		case A_OOM:
			ev.req_size = e->size;
			ev.aux = e->addr; /* device_free */
			ev.result = 2;    /* cudaErrorMemoryAllocation */
			ev.category = e->cat;
			break;
		default:
			ev.size = 0;
			ev.label = e->act == A_SNAPSHOT ? t->label_snapshot : t->label_annotate;
			break;
		}
		int rc = emit(t, &ev, cause);
		if (rc)
			return rc;
	}
	return 0;
}

/* Times in ns for the entries (in ring order per device); *has_time says
 * whether every entry had time_us. */
static int ring_times(struct tctx *t, size_t n, int *has_time, char **cause)
{
	int all = n > 0;
	int64_t t0 = INT64_MAX;
	for (size_t i = 0; i < n; i++) {
		all &= t->e[i].has_time;
		if (t->e[i].has_time && t->e[i].t < t0)
			t0 = t->e[i].t;
	}
	int64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &t->e[i];
		int64_t v = (int64_t)e->index * 1000;
		if (all && (__builtin_sub_overflow(e->t, t0, &v) ||
			    __builtin_mul_overflow(v, 1000, &v)))
			return util_err(cause, UTIL_EINPUT, "trace entry %u of device %d: time_us "
					"%" PRId64 " is out of range", e->index, e->dev, e->t);
		if (i > 0 && e->dev == t->e[i - 1].dev && v < prev)
			v = prev; /* keep ring order where the clock steps back */
		e->t = prev = v;
	}
	*has_time = all;
	return 0;
}

static int write_all(struct tctx *t, const struct resolved *rs, char **cause)
{
	/* Device-trace entries first, in ring order per device. */
	size_t n = 0;
	for (size_t i = 0; i < t->ne; i++)
		if (t->e[i].dev >= 0)
			t->e[n++] = t->e[i];
	t->ne = n;
	sort(t->e, n, sizeof(*t->e), cmp_entry_ring);
	sort(t->s, t->ns, sizeof(*t->s), cmp_seg);
	for (size_t i = 0; i < t->nb; i++)
		t->b[i].order = (uint32_t)i; /* equal addresses keep their order */
	sort(t->b, t->nb, sizeof(*t->b), cmp_block);
	struct recon r = { 0 };
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && t->e[j].dev == t->e[i].dev)
			j++;
		reconcile_device(t, t->e[i].dev, i, j, &r);
		i = j;
	}
	/* Devices with segments but no ring (n_dev <= 4096, checked). */
	uint8_t *ringed = util_xcalloc((size_t)rs->n_dev + 1, 1);
	for (size_t i = 0; i < n; i++)
		if (t->e[i].dev >= 0 && t->e[i].dev < rs->n_dev)
			ringed[t->e[i].dev] = 1;
	for (int d = 0; d < rs->n_dev; d++)
		if (!ringed[d])
			reconcile_device(t, d, 0, 0, &r);
	free(ringed);
	int has_time = 0;
	int rc = ring_times(t, n, &has_time, cause);
	sort(t->e, n, sizeof(*t->e), cmp_entry_time);
	if (rc == 0)
		rc = write_devices(t, rs->n_dev, cause);
	if (rc == 0)
		rc = write_recon(t, &r, cause);
	if (rc == 0)
		rc = write_ring(t, n, cause);
	if (rc == 0)
		rc = write_settings(t, cause);
	struct { const char *k; uint64_t v; } counts[] = {
		{ "torch.segments", t->ns },
		{ "torch.trace_entries", rs->n_entries },
		{ "torch.free_requested", r.free_requested },
		{ "torch.reconciled_blocks", r.blocks },
		{ "torch.reconciled_pending", r.pending },
		{ "torch.reconciled_segments", r.segments },
		{ "torch.orphan_frees", r.orphans },
		{ "torch.orphan_segment_frees", r.seg_orphans },
	};
	for (size_t i = 0; rc == 0 && i < UTIL_ARRAY_SIZE(counts); i++)
		rc = set_u64(t, counts[i].k, counts[i].v, cause);
	if (rc == 0)
		rc = store_setting_set(t->ictx->st, t->trace, "torch.time",
				       has_time ? "time_us" : "synthetic", cause);
	if (rc == 0) {
		char *note = util_xasprintf(
			"%zu trace entries on %d device(s)%s; at t=0: %zu segment span(s) reserved "
			"before the ring (%zu segments), %zu allocated and %zu pending-free "
			"block(s) with no alloc in the ring, %zu alloc(s) synthesised for orphan "
			"free_completed, %zu segment(s) for orphan segment frees%s%s",
			rs->n_entries, rs->n_dev,
			has_time ? "" : ", no time_us: 1 us per entry",
			r.n_segs - r.seg_orphans, r.segments, r.blocks, r.pending, r.orphans,
			r.seg_orphans,
			rs->n_ignored ? "; entries outside device_traces ignored" : "",
			rs->n_segs_ignored ? "; host segments ignored" : "");
		rc = store_trace_set(t->ictx->st, t->trace, 0, note, cause);
		free(note);
		t->ictx->summary = util_xasprintf(
			"torch snapshot: %zu segments, %zu trace entries, %d device(s); %zu blocks "
			"and %zu segments live before the ring added at t=0, %zu orphan frees",
			t->ns, rs->n_entries, rs->n_dev, r.blocks + r.pending, r.segments,
			r.orphans);
	}
	if (rc == 0 && r.unknown)
		imp_warn(t->ictx, "%zu trace entries with an unknown action were skipped",
			 r.unknown);
	if (rc == 0 && rs->n_ignored)
		imp_warn(t->ictx, "%zu trace entries outside device_traces were ignored",
			 rs->n_ignored);
	free(r.alloc);
	free(r.segs);
	return rc;
}

static void tctx_free(struct tctx *t)
{
	labels_free(t->rules);
	free(t->e);
	free(t->s);
	free(t->b);
	free(t->l);
	free(t->tags);
	u64map_free(&t->frames);
	u64map_free(&t->taken);
	u64map_free(&t->texts);
	for (size_t i = 0; i < t->nltext; i++)
		free(t->ltext[i].text);
	free(t->ltext);
}

int imp_torch_detect(const unsigned char *data, size_t len, const char *path)
{
	(void)path;
	if (len < 3 || data[0] != 0x80 || data[1] < 2 || data[1] > 5)
		return 0;
	/* FRAME, or the top-level dict or list, right after PROTO */
	return data[2] == 0x95 || data[2] == '}' || data[2] == ']' ? 90 : 50;
}

int imp_torch_run(struct imp_ctx *ctx, char **cause)
{
	struct tctx t = { .ictx = ctx };
	int rc = 0;
	if (ctx->label_rules && (rc = labels_load(ctx->label_rules, &t.rules, cause)))
		return rc;
	if ((rc = imp_trace_new(ctx, "torch", 0, &t.trace, cause)) == 0)
		rc = store_process_add(ctx->st, t.trace, 0, NULL, NULL, 0, cause);
	if (rc == 0)
		rc = store_label(ctx->st, t.trace, "snapshot", &t.label_snapshot, cause);
	if (rc == 0)
		rc = store_label(ctx->st, t.trace, "annotate", &t.label_annotate, cause);
	struct pkl_doc *doc = NULL;
	struct pkl_opts o = { .attach = on_attach, .filled = on_filled, .arg = &t };
	if (rc == 0)
		rc = pkl_parse(ctx->data, ctx->len, &o, &doc, cause);
	struct resolved rs;
	if (rc == 0)
		rc = resolve(&t, pkl_root(doc), &rs, cause);
	if (rc == 0)
		rc = write_all(&t, &rs, cause);
	pkl_free(doc);
	tctx_free(&t);
	if (rc && cause && *cause && strncmp(*cause, ctx->path, strlen(ctx->path)) != 0) {
		char *c = util_xasprintf("%s: %s", ctx->path, *cause);
		free(*cause);
		*cause = c;
	}
	return rc;
}
