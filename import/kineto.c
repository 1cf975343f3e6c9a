/*
 * kineto.c - PyTorch profiler / Kineto Chrome trace JSON (format
 * "kineto"): the [memory] instant events that profile_memory=True writes,
 * in .json or .json.gz. Fields and versions: reference/formats.md §2
 * (producer: torch/csrc/autograd/profiler_kineto.cpp).
 *
 * Output: one trace. pid = the event's "pid" (the rank's process), else
 * distributedInfo.rank, else 0; devices from deviceProperties (index =
 * ordinal = id, name, totalGlobalMem) and from every CUDA 'Device Id'.
 *   Device Type 1 (c10::DeviceType::CUDA), Bytes > 0   TRACE_ALLOC
 *       addr = Addr, or a synthetic id (1 << 62) + n when the event has
 *       no Addr (2021-era traces); size = Bytes (the rounded block size)
 *   Device Type 1, Bytes < 0   TRACE_FREE, addr = Addr; without Addr the
 *       most recent live allocation of the same size on the same device
 *       (LIFO), said in the trace note
 *   [OutOfMemory]              TRACE_OOM, size = Bytes
 *   Device Type 0 (CPU), other device types, Bytes = 0: skipped, counted
 * Times: t_ns = 1000 x (ts - earliest ts of a CUDA memory event); ts may
 * be fractional. Events are sorted by (pid, ts, Ev Idx, file order): the
 * file is not sorted.
 * Reconciliation at t = 0 (TRACE_ALLOC, before the stream): a free with no
 * earlier alloc frees a block from before the profiler window, so an
 * alloc of its size is added; where the trace has Total Allocated, the
 * rest of the level before the first event (its Total Allocated minus its
 * Bytes, minus those orphans) is one more alloc labelled "allocated
 * before the profiler window".
 * Settings: kineto.total_allocated_end.<dev>, kineto.total_reserved_end.<dev>
 * (the last event's totals), kineto.total_allocated_start.<dev>, and the
 * counts kineto.memory_events, kineto.cuda_events, kineto.cpu_events,
 * kineto.other_events, kineto.orphan_frees.
 *
 * Parsing: jansson parses every value this importer reads. The 50 MB of a
 * profiler trace are mostly kernel and operator events, and jansson builds
 * a tree at about 30 MB/s and 8x the text in memory, so the traceEvents
 * array is walked element by element: a small scanner finds where each
 * element ends (strings and brackets only) and only elements naming
 * "[memory]" or "[OutOfMemory]" are handed to jansson.
 */
#include "u64map.h"
#include "imp.h"
#include "util.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SYNTH_ADDR (1ull << 62) /* first synthetic address */
#define MAX_DEV 4096

/* One CUDA memory event. */
struct kev {
	int64_t  t;         /* ns, absolute until made relative */
	int64_t  evidx;     /* Ev Idx, INT64_MAX if absent */
	uint64_t order;     /* position in the file */
	uint64_t addr;
	int64_t  bytes;
	uint64_t ta, tr;    /* Total Allocated / Reserved after the event */
	int32_t  pid;
	int16_t  dev;
	uint8_t  has_addr, has_totals, oom;
};

struct kctx {
	struct imp_ctx *ictx;
	int64_t trace;
	const char *json;   /* the JSON text (the file or its inflated copy) */
	size_t len;
	int gz;
	struct kev *ev;
	size_t n, alloc;
	size_t n_memory, n_cpu, n_other, n_zero;
	json_t *devprops;   /* deviceProperties */
	json_t *dist;       /* distributedInfo */
	uint64_t next_synth;
};

/* ---- gzip ---- */

static int inflate_all(const unsigned char *in, size_t len, char **out, size_t *olen,
		       size_t limit, char **cause)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return util_err(cause, UTIL_ERR, "zlib: inflateInit2 failed");
	size_t cap = len * 4 + 4096, n = 0, left = len;
	char *buf = util_xmalloc(cap + 1);
	const unsigned char *p = in;
	int rc;
	for (;;) {
		if (n == cap) {
			if (cap >= limit) {
				rc = Z_MEM_ERROR;
				break;
			}
			cap = cap < limit / 2 ? cap * 2 : limit;
			buf = util_xrealloc(buf, cap + 1);
		}
		uInt in_now = left > 1u << 30 ? 1u << 30 : (uInt)left;
		uInt out_now = cap - n > 1u << 30 ? 1u << 30 : (uInt)(cap - n);
		zs.next_in = (Bytef *)p;
		zs.avail_in = in_now;
		zs.next_out = (Bytef *)buf + n;
		zs.avail_out = out_now;
		rc = inflate(&zs, Z_NO_FLUSH);
		int stuck = zs.avail_in == in_now && zs.avail_out == out_now;
		p += in_now - zs.avail_in;
		left -= in_now - zs.avail_in;
		n += out_now - zs.avail_out;
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow (concatenated files);
			 * anything else after the stream is ignored, as gzip does. */
			if (left >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
				inflateReset(&zs);
				continue;
			}
			break;
		}
		if (rc == Z_BUF_ERROR && n == cap)
			continue; /* output full: grow */
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			break;
		if ((left == 0 && n < cap) || stuck) {
			rc = Z_BUF_ERROR; /* wants more input: the file is cut */
			break;
		}
	}
	size_t at = (size_t)(p - in);
	const char *msg = zs.msg ? zs.msg : "bad data";
	char text[128];
	snprintf(text, sizeof(text), "%s", msg);
	inflateEnd(&zs);
	if (rc == Z_STREAM_END) {
		buf[n] = '\0';
		*out = buf;
		*olen = n;
		return 0;
	}
	free(buf);
	if (rc == Z_MEM_ERROR)
		return util_err(cause, UTIL_EINPUT, "gzip data inflates past %zu bytes", limit);
	if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR)
		return util_err(cause, UTIL_EINPUT, "gzip data corrupt near compressed byte %zu: %s",
				at, text);
	return util_err(cause, UTIL_EINPUT, "gzip stream cut at compressed byte %zu", at);
}

/* ---- the scanner: where does a JSON value end? ---- */

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* Past the string starting at p (p[0] == '"'), or NULL if unterminated. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past the value at p, or NULL when it is cut or unbalanced. The value is
 * not checked beyond its extent: jansson checks the values we read. */
static const char *skip_value(const char *p, const char *end)
{
	size_t depth = 0;
	while (p < end) {
		char c = *p;
		if (c == '"') {
			if (!(p = skip_string(p, end)))
				return NULL;
		} else if (c == '{' || c == '[') {
			depth++;
			p++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return p; /* the end of the enclosing container */
			depth--;
			p++;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' ||
					  c == '\t')) {
			return p;
		} else {
			p++;
		}
		if (depth == 0 && (c == '"' || c == '}' || c == ']'))
			return p;
	}
	return depth == 0 ? p : NULL;
}

/* ---- events ---- */

static int err_at(struct kctx *k, const char *p, const char *what, char **cause)
{
	return util_err(cause, UTIL_EINPUT, "byte offset %zu%s: %s", (size_t)(p - k->json),
			k->gz ? " of the inflated JSON" : "", what);
}

static int num_i64(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && fabs(json_real_value(v)) < 9.2e18) {
		*out = (int64_t)json_real_value(v);
		return 0;
	}
	return -1;
}

/* ts (µs, integer or fractional) in ns. Accepted: 0 to 2^62 ns (year
 * 2116 as epoch time), so that differences of two never overflow. */
#define TS_MAX_US ((double)(INT64_MAX / 2000))
static int ts_ns(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t us = json_integer_value(v);
		if (us < 0 || us > INT64_MAX / 2000)
			return -1;
		*out = (int64_t)us * 1000;
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) <= TS_MAX_US) {
		*out = llround(json_real_value(v) * 1000.0);
		return 0;
	}
	return -1;
}

static int32_t event_pid(const struct kctx *k, const json_t *ev)
{
	json_t *p = json_object_get(ev, "pid");
	if (json_is_integer(p) && json_integer_value(p) >= 0 && json_integer_value(p) <= INT32_MAX)
		return (int32_t)json_integer_value(p);
	json_t *rank = json_object_get(k->dist, "rank");
	if (json_is_integer(rank) && json_integer_value(rank) >= 0 &&
	    json_integer_value(rank) <= INT32_MAX)
		return (int32_t)json_integer_value(rank);
	return 0;
}

static int add_event(struct kctx *k, const json_t *ev, const char *at, char **cause)
{
	const char *name = json_string_value(json_object_get(ev, "name"));
	int oom = name && strcmp(name, "[OutOfMemory]") == 0;
	if (!name || (!oom && strcmp(name, "[memory]") != 0))
		return 0; /* an event that only mentions [memory] */
	k->n_memory++;
	json_t *args = json_object_get(ev, "args");
	int64_t type, dev, bytes;
	if (num_i64(json_object_get(args, "Device Type"), &type) ||
	    num_i64(json_object_get(args, "Bytes"), &bytes))
		return err_at(k, at, "[memory] event without numeric args \"Device Type\" and "
			      "\"Bytes\"", cause);
	if (num_i64(json_object_get(args, "Device Id"), &dev))
		dev = 0;
	if (type == 0) {
		k->n_cpu++;
		return 0;
	}
	if (type != 1) { /* c10::DeviceType: 1 is CUDA */
		k->n_other++;
		return 0;
	}
	if (bytes == 0 && !oom) {
		k->n_zero++;
		return 0;
	}
	if (dev < 0 || dev >= MAX_DEV)
		return err_at(k, at, "CUDA [memory] event with a \"Device Id\" outside 0..4095",
			      cause);
	struct kev e = { .order = k->n, .evidx = INT64_MAX, .bytes = bytes, .dev = (int16_t)dev,
			 .oom = (uint8_t)oom };
	if (ts_ns(json_object_get(ev, "ts"), &e.t))
		return err_at(k, at, "[memory] event without a usable \"ts\"", cause);
	int64_t v;
	if (num_i64(json_object_get(args, "Ev Idx"), &e.evidx) &&
	    num_i64(json_object_get(args, "Profiler Event Index"), &e.evidx))
		e.evidx = INT64_MAX;
	if (num_i64(json_object_get(args, "Addr"), &v) == 0) {
		e.addr = (uint64_t)v;
		e.has_addr = 1;
	}
	int64_t ta, tr;
	if (num_i64(json_object_get(args, "Total Allocated"), &ta) == 0 &&
	    num_i64(json_object_get(args, "Total Reserved"), &tr) == 0 && ta >= 0 && tr >= 0) {
		e.ta = (uint64_t)ta;
		e.tr = (uint64_t)tr;
		e.has_totals = 1;
	}
	e.pid = event_pid(k, ev);
	UTIL_GROW(k->ev, k->n + 1, k->alloc);
	k->ev[k->n++] = e;
	return 0;
}

/* One element of traceEvents at [p, q). */
static int element(struct kctx *k, const char *p, const char *q, char **cause)
{
	size_t n = (size_t)(q - p);
	if (!memmem(p, n, "\"[memory]\"", 10) && !memmem(p, n, "\"[OutOfMemory]\"", 15))
		return 0;
	json_error_t je;
	json_t *ev = json_loadb(p, n, 0, &je);
	if (!ev) {
		char *msg = util_xasprintf("bad JSON in a trace event: %s", je.text);
		int rc = err_at(k, p + (je.position > 0 ? (size_t)je.position : 0), msg, cause);
		free(msg);
		return rc;
	}
	int rc = add_event(k, ev, p, cause);
	json_decref(ev);
	return rc;
}

static int trace_events(struct kctx *k, const char **pp, const char *end, char **cause)
{
	const char *p = *pp;
	if (p >= end || *p != '[')
		return err_at(k, p, "\"traceEvents\" is not an array", cause);
	p = ws(p + 1, end);
	if (p < end && *p == ']') {
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		const char *q = skip_value(p, end);
		if (!q || q == p)
			return err_at(k, p, "expected a trace event (cut file?)", cause);
		int rc = element(k, p, q, cause);
		if (rc)
			return rc;
		p = ws(q, end);
		if (p < end && *p == ']') {
			*pp = p + 1;
			return 0;
		}
		if (p >= end || *p != ',')
			return err_at(k, p, "expected ',' or ']' in \"traceEvents\" (cut file?)",
				      cause);
		p = ws(p + 1, end);
	}
}

/* Decode one JSON value at [p, q) with jansson (any type). */
static json_t *load_value(const char *p, const char *q)
{
	json_error_t je;
	return json_loadb(p, (size_t)(q - p), JSON_DECODE_ANY, &je);
}

/* The top-level object: keys in any order, traceEvents walked in place. */
static int top_level(struct kctx *k, char **cause)
{
	const char *p = k->json, *end = k->json + k->len;
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = ws(p, end);
	if (p >= end || *p != '{')
		return err_at(k, p, "not a Chrome trace: expected a JSON object with "
			      "\"traceEvents\"", cause);
	p = ws(p + 1, end);
	int seen = 0;
	while (p < end && *p != '}') {
		const char *q = (*p == '"') ? skip_string(p, end) : NULL;
		json_t *key = q ? load_value(p, q) : NULL;
		if (!json_is_string(key)) {
			json_decref(key);
			return err_at(k, p, "expected a key string in the top-level object", cause);
		}
		const char *name = json_string_value(key);
		p = ws(q, end);
		if (p >= end || *p != ':') {
			json_decref(key);
			return err_at(k, p, "expected ':' after a key", cause);
		}
		p = ws(p + 1, end);
		int rc = 0;
		if (strcmp(name, "traceEvents") == 0) {
			seen = 1;
			rc = trace_events(k, &p, end, cause);
		} else {
			q = skip_value(p, end);
			if (!q || q == p)
				rc = err_at(k, p, "expected a value (cut file?)", cause);
			else if (strcmp(name, "deviceProperties") == 0 && !k->devprops)
				k->devprops = load_value(p, q);
			else if (strcmp(name, "distributedInfo") == 0 && !k->dist)
				k->dist = load_value(p, q);
			if (rc == 0)
				p = q;
		}
		json_decref(key);
		if (rc)
			return rc;
		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
		else if (p < end && *p != '}')
			return err_at(k, p, "expected ',' or '}' in the top-level object", cause);
	}
	if (p >= end)
		return err_at(k, p, "the top-level object is not closed (cut file?)", cause);
	if (!seen)
		return err_at(k, k->json, "not a Chrome trace: no \"traceEvents\" array", cause);
	return 0;
}

/* ---- writing ---- */

static int cmp_kev(const void *a, const void *b)
{
	const struct kev *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->evidx != y->evidx)
		return x->evidx < y->evidx ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int set_u64(struct kctx *k, const char *key, uint64_t v, char **cause)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return store_setting_set(k->ictx->st, k->trace, key, buf, cause);
}

static int write_devices(struct kctx *k, int *n_dev, char **cause)
{
	int n = 0;
	for (size_t i = 0; i < k->n; i++)
		if (k->ev[i].dev + 1 > n)
			n = k->ev[i].dev + 1;
	size_t np = json_array_size(k->devprops);
	for (size_t i = 0; i < np; i++) {
		json_t *idv = json_object_get(json_array_get(k->devprops, i), "id");
		json_int_t id = json_integer_value(idv);
		if (json_is_integer(idv) && id >= 0 && id < MAX_DEV && id + 1 > n)
			n = (int)id + 1;
	}
	for (int d = 0; d < n; d++) {
		struct trace_device dev = { .index = d, .ordinal = d };
		for (size_t i = 0; i < np; i++) {
			json_t *p = json_array_get(k->devprops, i);
			json_t *idv = json_object_get(p, "id");
			if (!json_is_integer(idv) || json_integer_value(idv) != d)
				continue;
			const char *name = json_string_value(json_object_get(p, "name"));
			if (name)
				snprintf(dev.name, sizeof(dev.name), "%s", name);
			json_int_t mem = json_integer_value(json_object_get(p, "totalGlobalMem"));
			dev.total = mem > 0 ? (uint64_t)mem : 0;
		}
		int rc = store_device_add(k->ictx->st, k->trace, &dev, cause);
		if (rc)
			return rc;
	}
	*n_dev = n;
	return 0;
}

/* Live blocks of one process: by (device, Addr), or LIFO stacks by
 * (device, size) when the trace has no Addr. */
struct pid_state {
	struct u64map addr;   /* (dev, addr) key -> 1 */
	struct u64map head;   /* (dev, size) key -> stack node + 1 */
	uint64_t *node_id;  /* stack nodes: synthetic address ... */
	uint32_t *node_next;/* ... and next node + 1 */
	size_t nn, an_id, an_next;
	uint32_t free_node; /* + 1 */
};

/* A (dev, value) key: the device goes into the top 12 bits; addresses and
 * sizes of one process are below 2^52 in practice, and a collision would
 * only pair a free with the wrong block. */
static uint64_t dkey(int dev, uint64_t v)
{
	return ((uint64_t)dev << 52) ^ v;
}

static void lifo_push(struct pid_state *s, int dev, uint64_t size, uint64_t id)
{
	uint64_t head = 0;
	u64map_get(&s->head, dkey(dev, size), &head);
	uint32_t n;
	if (s->free_node) {
		n = s->free_node - 1;
		s->free_node = s->node_next[n];
	} else {
		UTIL_GROW(s->node_id, s->nn + 1, s->an_id);
		UTIL_GROW(s->node_next, s->nn + 1, s->an_next);
		n = (uint32_t)s->nn++;
	}
	s->node_id[n] = id;
	s->node_next[n] = (uint32_t)head;
	u64map_put(&s->head, dkey(dev, size), n + 1);
}

static int lifo_pop(struct pid_state *s, int dev, uint64_t size, uint64_t *id)
{
	uint64_t head = 0;
	if (!u64map_get(&s->head, dkey(dev, size), &head) || head == 0)
		return 0;
	uint32_t n = (uint32_t)head - 1;
	*id = s->node_id[n];
	if (s->node_next[n])
		u64map_put(&s->head, dkey(dev, size), s->node_next[n]);
	else
		u64map_del(&s->head, dkey(dev, size), NULL);
	s->node_next[n] = s->free_node;
	s->free_node = n + 1;
	return 1;
}

static void pid_state_free(struct pid_state *s)
{
	u64map_free(&s->addr);
	u64map_free(&s->head);
	free(s->node_id);
	free(s->node_next);
	memset(s, 0, sizeof(*s));
}

struct orphan {
	uint64_t addr, size;
	int dev;
	size_t order; /* tie-break: the output must not depend on qsort */
};

static int cmp_orphan(const void *a, const void *b)
{
	const struct orphan *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Pair allocs and frees of events [i0, i1) (one pid, sorted): give every
 * event its address, and collect frees with no alloc before them. */
static void pair(struct kctx *k, size_t i0, size_t i1, struct orphan **orph, size_t *no,
		 size_t *ao, int *by_size)
{
	struct pid_state s = { 0 };
	for (size_t i = i0; i < i1; i++) {
		struct kev *e = &k->ev[i];
		if (e->oom)
			continue;
		uint64_t size = (uint64_t)(e->bytes < 0 ? -e->bytes : e->bytes);
		if (!e->has_addr) {
			*by_size = 1;
			if (e->bytes > 0) {
				e->addr = k->next_synth++;
				lifo_push(&s, e->dev, size, e->addr);
				continue;
			}
			if (lifo_pop(&s, e->dev, size, &e->addr))
				continue;
			e->addr = k->next_synth++;
		} else if (e->bytes > 0) {
			u64map_put(&s.addr, dkey(e->dev, e->addr), 1);
			continue;
		} else if (u64map_del(&s.addr, dkey(e->dev, e->addr), NULL)) {
			continue;
		}
		UTIL_GROW(*orph, *no + 1, *ao);
		(*orph)[*no] = (struct orphan){ e->addr, size, e->dev, *no };
		(*no)++;
	}
	pid_state_free(&s);
}

static int emit_pid(struct kctx *k, size_t i0, size_t i1, struct orphan *o, size_t no,
		    int64_t label_pre, uint64_t *orphan_bytes, char **cause)
{
	struct trace_event ev;
	int32_t pid = k->ev[i0].pid;
	int rc = store_process_add(k->ictx->st, k->trace, pid, NULL, NULL, 0, cause);
	if (no > 1)
		qsort(o, no, sizeof(*o), cmp_orphan);
	for (size_t i = 0; rc == 0 && i < no; i++) {
		trace_event_init(&ev, TRACE_ALLOC, 0);
		ev.pid = pid;
		ev.device = (int16_t)o[i].dev;
		ev.addr = o[i].addr;
		ev.size = o[i].size;
		ev.category = TRACE_CAT_OTHER;
		ev.label = label_pre;
		orphan_bytes[o[i].dev] += o[i].size;
		rc = store_event_add(k->ictx->st, k->trace, &ev, cause);
	}
	/* The rest of each device's level before its first event. */
	uint8_t *seen = util_xcalloc(MAX_DEV, 1);
	for (size_t i = i0; rc == 0 && i < i1; i++) {
		const struct kev *e = &k->ev[i];
		if (seen[e->dev] || e->oom)
			continue;
		seen[e->dev] = 1;
		if (!e->has_totals)
			continue;
		int64_t before = (int64_t)e->ta - e->bytes - (int64_t)orphan_bytes[e->dev];
		char key[64];
		snprintf(key, sizeof(key), "kineto.total_allocated_start.%d", e->dev);
		rc = set_u64(k, key, (uint64_t)((int64_t)e->ta - e->bytes), cause);
		if (rc || before <= 0)
			continue;
		trace_event_init(&ev, TRACE_ALLOC, 0);
		ev.pid = pid;
		ev.device = e->dev;
		ev.addr = k->next_synth++;
		ev.size = (uint64_t)before;
		ev.label = label_pre;
		rc = store_event_add(k->ictx->st, k->trace, &ev, cause);
	}
	free(seen);
	for (size_t i = i0; rc == 0 && i < i1; i++) {
		const struct kev *e = &k->ev[i];
		uint64_t size = (uint64_t)(e->bytes < 0 ? -e->bytes : e->bytes);
		trace_event_init(&ev, e->oom ? TRACE_OOM : e->bytes > 0 ? TRACE_ALLOC : TRACE_FREE,
				 e->t);
		ev.pid = pid;
		ev.device = e->dev;
		ev.size = size;
		ev.addr = e->oom ? 0 : e->addr;
		ev.category = TRACE_CAT_ACTIVATION;
		if (e->oom) {
			ev.req_size = size;
			ev.result = 2; /* cudaErrorMemoryAllocation */
		}
		rc = store_event_add(k->ictx->st, k->trace, &ev, cause);
	}
	return rc;
}

static int write_totals(struct kctx *k, int n_dev, char **cause)
{
	int rc = 0;
	for (int d = 0; rc == 0 && d < n_dev; d++) {
		const struct kev *last = NULL;
		for (size_t i = 0; i < k->n; i++)
			if (k->ev[i].dev == d && k->ev[i].has_totals)
				last = &k->ev[i];
		if (!last)
			continue;
		char key[64];
		snprintf(key, sizeof(key), "kineto.total_allocated_end.%d", d);
		rc = set_u64(k, key, last->ta, cause);
		snprintf(key, sizeof(key), "kineto.total_reserved_end.%d", d);
		if (rc == 0)
			rc = set_u64(k, key, last->tr, cause);
	}
	return rc;
}

static int write_all(struct kctx *k, char **cause)
{
	int n_dev, by_size = 0, rc;
	size_t n_orphans = 0;
	int64_t label_pre = 0;
	if ((rc = write_devices(k, &n_dev, cause)))
		return rc;
	int64_t t0 = INT64_MAX;
	for (size_t i = 0; i < k->n; i++)
		if (k->ev[i].t < t0)
			t0 = k->ev[i].t;
	for (size_t i = 0; i < k->n; i++)
		k->ev[i].t -= t0;
	if (k->n > 1)
		qsort(k->ev, k->n, sizeof(*k->ev), cmp_kev);
	rc = store_label(k->ictx->st, k->trace, "allocated before the profiler window",
			 &label_pre, cause);
	uint64_t *orphan_bytes = util_xcalloc(MAX_DEV, sizeof(*orphan_bytes));
	for (size_t i = 0; rc == 0 && i < k->n;) {
		size_t j = i;
		while (j < k->n && k->ev[j].pid == k->ev[i].pid)
			j++;
		struct orphan *o = NULL;
		size_t no = 0, ao = 0;
		pair(k, i, j, &o, &no, &ao, &by_size);
		n_orphans += no;
		memset(orphan_bytes, 0, MAX_DEV * sizeof(*orphan_bytes));
		rc = emit_pid(k, i, j, o, no, label_pre, orphan_bytes, cause);
		free(o);
		i = j;
	}
	free(orphan_bytes);
	if (rc == 0)
		rc = write_totals(k, n_dev, cause);
	struct { const char *key; uint64_t v; } counts[] = {
		{ "kineto.memory_events", k->n_memory }, { "kineto.cuda_events", k->n },
		{ "kineto.cpu_events", k->n_cpu },       { "kineto.other_events", k->n_other },
		{ "kineto.orphan_frees", n_orphans },
	};
	for (size_t i = 0; rc == 0 && i < UTIL_ARRAY_SIZE(counts); i++)
		rc = set_u64(k, counts[i].key, counts[i].v, cause);
	if (rc == 0) {
		char *note = util_xasprintf(
			"%zu [memory] events: %zu CUDA imported, %zu CPU and %zu other-device "
			"skipped, %zu with 0 bytes skipped; %zu frees with no alloc in the window "
			"got an alloc at t=0%s",
			k->n_memory, k->n, k->n_cpu, k->n_other, k->n_zero, n_orphans,
			by_size ? "; no Addr in the trace: frees were matched to allocs by size "
				  "(most recent first) and addresses are synthetic" : "");
		rc = store_trace_set(k->ictx->st, k->trace, 0, note, cause);
		free(note);
		k->ictx->summary = util_xasprintf(
			"kineto: %zu [memory] events (%zu CUDA on %d device(s), %zu CPU skipped)%s",
			k->n_memory, k->n, n_dev, k->n_cpu,
			by_size ? ", frees matched by size" : "");
	}
	return rc;
}

/* ---- entry points ---- */

static int looks_like_trace(const char *p, size_t n)
{
	const char *end = p + n;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	size_t look = (size_t)(end - p) < (1u << 20) ? (size_t)(end - p) : 1u << 20;
	return memmem(p, look, "\"traceEvents\"", 13) != NULL;
}

int imp_kineto_detect(const unsigned char *data, size_t len, const char *path)
{
	(void)path;
	if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		/* Inflate the head only. */
		unsigned char out[1 << 16];
		z_stream zs;
		memset(&zs, 0, sizeof(zs));
		if (inflateInit2(&zs, 15 + 16) != Z_OK)
			return 0;
		zs.next_in = (Bytef *)data;
		zs.avail_in = len > 1u << 20 ? 1u << 20 : (uInt)len;
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		inflate(&zs, Z_SYNC_FLUSH);
		size_t n = sizeof(out) - zs.avail_out;
		inflateEnd(&zs);
		return looks_like_trace((const char *)out, n) ? 90 : 0;
	}
	return looks_like_trace((const char *)data, len) ? 90 : 0;
}

int imp_kineto_run(struct imp_ctx *ctx, char **cause)
{
	struct kctx k = { .ictx = ctx, .next_synth = SYNTH_ADDR };
	char *inflated = NULL;
	int rc = 0;
	if (ctx->len >= 2 && ctx->data[0] == 0x1f && ctx->data[1] == 0x8b) {
		/* deflate expands at most about 1032:1 */
		size_t limit = ctx->len > SIZE_MAX / 1100 ? SIZE_MAX / 2 : ctx->len * 1100;
		rc = inflate_all(ctx->data, ctx->len, &inflated, &k.len, limit, cause);
		k.json = inflated;
		k.gz = 1;
	} else {
		k.json = (const char *)ctx->data;
		k.len = ctx->len;
	}
	if (rc == 0)
		rc = top_level(&k, cause);
	if (rc == 0 && k.n_memory == 0)
		rc = util_err(cause, UTIL_EINPUT, "no [memory] events: record the trace with "
			      "torch.profiler.profile(profile_memory=True)");
	if (rc == 0)
		rc = imp_trace_new(ctx, "kineto", 0, &k.trace, cause);
	if (rc == 0)
		rc = write_all(&k, cause);
	if (rc && cause && *cause) {
		char *c = util_xasprintf("%s: %s", ctx->path, *cause);
		free(*cause);
		*cause = c;
	}
	free(inflated);
	free(k.ev);
	json_decref(k.devprops);
	json_decref(k.dist);
	return rc;
}
