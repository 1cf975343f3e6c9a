/*
 * kineto.c - PyTorch profiler / Kineto Chrome trace JSON (format
 * "kineto"): the [memory] instant events that profile_memory=True writes,
 * in .json or .json.gz. Fields and versions from the producer,
 * torch/csrc/autograd/profiler_kineto.cpp, and libkineto's
 * output_json.cpp.
 *
 * Over 800 lines on purpose: the JSON scanner, the version differences and
 * the reconciliation share one event model; split, each part would need
 * the others' internals.
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
 *
 * Bounds: a .json.gz is inflated as it is read, into a window that holds
 * the value being parsed (KINETO_WINDOW to start, at most KINETO_MAX_VALUE
 * for one trace event or top-level value), never the whole text; the
 * inflated size is capped at KINETO_MAX_INFLATED. Memory is the window
 * plus 56 bytes per CUDA memory event kept; time is one pass over the
 * text plus a sort of the kept events (O(n log n)). Processes and
 * devices are bounded by the store (STORE_MAX_PROCESSES,
 * STORE_MAX_DEVICES); the work per process is proportional to its events.
 *
 * Over 800 lines: reading (streaming gzip, the scanner, jansson per event)
 * and writing (pairing, reconciliation) share struct kctx and struct kev;
 * the format is one unit.
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
#define MAX_DEV STORE_MAX_DEVICES
#define KINETO_WINDOW (1u << 20)             /* first inflate window */
#define KINETO_MAX_VALUE (64u << 20)         /* one JSON value in a .gz */
#define KINETO_MAX_INFLATED (16ull << 30)    /* all the text of a .gz */
#define KINETO_MAX_BYTES ((int64_t)1 << 50)  /* |Bytes|, Total Allocated/Reserved */

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
	const char *json;   /* the text read so far: the file, or the inflate window */
	size_t len;
	int gz;
	int eof;            /* json holds the rest of the text */
	uint64_t base;      /* offset in the whole text of json[0] */
	/* .gz input: */
	z_stream zs;
	int zinit;
	const unsigned char *zin;
	size_t zleft;
	char *win;
	size_t wcap;
	uint64_t inflated;
	struct kev *ev;
	size_t n, alloc;
	size_t n_memory, n_cpu, n_other, n_zero;
	json_t *devprops;   /* deviceProperties */
	json_t *dist;       /* distributedInfo */
	uint64_t next_synth;
};

/* ---- gzip, inflated as it is read ---- */

/* Inflate into win[len..wcap). 0, or a negative code with *cause set. */
static int inflate_more(struct kctx *k, char **cause)
{
	z_stream *zs = &k->zs;
	for (;;) {
		if (k->len == k->wcap)
			return 0;
		uInt in_now = k->zleft > 1u << 30 ? 1u << 30 : (uInt)k->zleft;
		uInt out_now = (uInt)(k->wcap - k->len);
		zs->next_in = (Bytef *)k->zin;
		zs->avail_in = in_now;
		zs->next_out = (Bytef *)k->win + k->len;
		zs->avail_out = out_now;
		int rc = inflate(zs, Z_NO_FLUSH);
		size_t used = in_now - zs->avail_in, made = out_now - zs->avail_out;
		k->zin += used;
		k->zleft -= used;
		k->len += made;
		k->inflated += made;
		if (k->inflated > KINETO_MAX_INFLATED)
			return util_err(cause, UTIL_EINPUT, "gzip data inflates past %llu bytes "
					"(KINETO_MAX_INFLATED): refused",
					(unsigned long long)KINETO_MAX_INFLATED);
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow (concatenated files);
			 * anything else after the stream is ignored, as gzip does. */
			if (k->zleft >= 2 && k->zin[0] == 0x1f && k->zin[1] == 0x8b) {
				inflateReset(zs);
				continue;
			}
			k->eof = 1;
			return 0;
		}
		size_t at = (size_t)(k->zin - k->ictx->data);
		if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR ||
		    rc == Z_MEM_ERROR)
			return util_err(cause, UTIL_EINPUT, "gzip data corrupt near compressed byte "
					"%zu: %s", at, zs->msg ? zs->msg : "bad data");
		if (made == 0 && used == 0) /* wants input that is not there */
			return util_err(cause, UTIL_EINPUT, "gzip stream cut at compressed byte %zu",
					at);
		if (made)
			return 0;
	}
}

/*
 * More text after *p: drop what lies before *p, inflate more behind what
 * is kept, move *p to the window's start. 1 if text was added, 0 at the
 * end of the text, or a negative code.
 */
static int need(struct kctx *k, const char **p, char **cause)
{
	if (k->eof)
		return 0;
	size_t drop = (size_t)(*p - k->json), keep = k->len - drop;
	if (drop)
		memmove(k->win, k->win + drop, keep);
	k->base += drop;
	k->len = keep;
	if (keep == k->wcap) {
		/* One value fills the window: grow it, up to the limit. */
		if (k->wcap >= KINETO_MAX_VALUE)
			return util_err(cause, UTIL_EINPUT, "byte offset %llu of the inflated JSON: "
					"a value longer than %u MiB (KINETO_MAX_VALUE): refused",
					(unsigned long long)k->base, KINETO_MAX_VALUE >> 20);
		char *w = realloc(k->win, k->wcap * 2 + 1);
		if (!w)
			return util_err(cause, UTIL_EINPUT, "out of memory for a %zu-byte window",
					k->wcap * 2);
		k->win = w;
		k->wcap *= 2;
	}
	k->json = k->win;
	*p = k->win;
	size_t before = k->len;
	int rc = inflate_more(k, cause);
	if (rc)
		return rc;
	k->win[k->len] = '\0';
	return k->len > before ? 1 : (k->eof ? 0 : 1);
}

static int gz_open(struct kctx *k, char **cause)
{
	memset(&k->zs, 0, sizeof(k->zs));
	if (inflateInit2(&k->zs, 15 + 16) != Z_OK)
		return util_err(cause, UTIL_ERR, "zlib: inflateInit2 failed");
	k->zinit = 1;
	k->gz = 1;
	k->zin = k->ictx->data;
	k->zleft = k->ictx->len;
	k->wcap = KINETO_WINDOW;
	k->win = util_xmalloc(k->wcap + 1);
	k->json = k->win;
	k->len = 0;
	const char *p = k->win;
	int rc = need(k, &p, cause);
	return rc < 0 ? rc : 0;
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
	return util_err(cause, UTIL_EINPUT, "byte offset %llu%s: %s",
			(unsigned long long)(k->base + (uint64_t)(p - k->json)),
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
	json_t *jdev = json_object_get(args, "Device Id");
	if (!jdev || json_is_null(jdev))
		dev = 0;
	else if (num_i64(jdev, &dev))
		return err_at(k, at, "[memory] event with a \"Device Id\" that is not a number in "
			      "range", cause);
	/* |Bytes| up to 2^50 (1 PiB): negating, summing and subtracting
	 * sizes below can then never overflow (-2^63 had no negation). */
	if (bytes < -KINETO_MAX_BYTES || bytes > KINETO_MAX_BYTES)
		return err_at(k, at, "[memory] event with \"Bytes\" outside -2^50..2^50", cause);
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
	json_t *jta = json_object_get(args, "Total Allocated");
	json_t *jtr = json_object_get(args, "Total Reserved");
	if (jta || jtr) {
		/* Present means usable: a huge or negative total is refused, not
		 * silently dropped (it sets the level before the window). */
		if (!jta || !jtr || num_i64(jta, &ta) || num_i64(jtr, &tr) || ta < 0 || tr < 0 ||
		    ta > KINETO_MAX_BYTES || tr > KINETO_MAX_BYTES)
			return err_at(k, at, "[memory] event with \"Total Allocated\" or \"Total "
				      "Reserved\" missing or outside 0..2^50", cause);
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

/* ---- walking the text, reading more as needed ---- */

/* Skip whitespace; *p ends at the next other byte or the end of the text. */
static int ws_more(struct kctx *k, const char **p, char **cause)
{
	for (;;) {
		*p = ws(*p, k->json + k->len);
		if (*p < k->json + k->len)
			return 0;
		int rc = need(k, p, cause);
		if (rc <= 0)
			return rc;
	}
}

/* 1 if the text goes on at p (after reading more if needed), 0 at its end. */
static int at_text(struct kctx *k, const char **p, char **cause)
{
	int rc = ws_more(k, p, cause);
	return rc < 0 ? rc : *p < k->json + k->len;
}

/* *q past the value (skip_value) or string (string != 0) at *p, read
 * whole; NULL when the text ends inside it. */
static int whole(struct kctx *k, const char **p, const char **q, int string, char **cause)
{
	for (;;) {
		const char *end = k->json + k->len;
		*q = string ? skip_string(*p, end) : skip_value(*p, end);
		if ((*q && *q < end) || k->eof)
			return 0;
		int rc = need(k, p, cause);
		if (rc < 0)
			return rc;
	}
}

static int trace_events(struct kctx *k, const char **pp, char **cause)
{
	const char *p = *pp, *q;
	int rc;
	if ((rc = at_text(k, &p, cause)) < 0)
		return rc;
	if (!rc || *p != '[')
		return err_at(k, p, "\"traceEvents\" is not an array", cause);
	p++;
	if ((rc = at_text(k, &p, cause)) < 0)
		return rc;
	if (rc && *p == ']') {
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		if ((rc = ws_more(k, &p, cause)) || (rc = whole(k, &p, &q, 0, cause)))
			return rc;
		if (!q || q == p)
			return err_at(k, p, "expected a trace event (cut file?)", cause);
		if ((rc = element(k, p, q, cause)))
			return rc;
		p = q;
		if ((rc = at_text(k, &p, cause)) < 0)
			return rc;
		if (rc && *p == ']') {
			*pp = p + 1;
			return 0;
		}
		if (!rc || *p != ',')
			return err_at(k, p, "expected ',' or ']' in \"traceEvents\" (cut file?)",
				      cause);
		p++;
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
	const char *p = k->json, *q;
	int rc;
	if (k->len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if ((rc = at_text(k, &p, cause)) < 0)
		return rc;
	if (!rc || *p != '{')
		return err_at(k, p, "not a Chrome trace: expected a JSON object with "
			      "\"traceEvents\"", cause);
	p++;
	int seen = 0;
	for (;;) {
		if ((rc = at_text(k, &p, cause)) < 0)
			return rc;
		if (!rc)
			return err_at(k, p, "the top-level object is not closed (cut file?)", cause);
		if (*p == '}')
			break;
		q = NULL;
		if (*p == '"' && (rc = whole(k, &p, &q, 1, cause)))
			return rc;
		json_t *key = q ? load_value(p, q) : NULL;
		if (!json_is_string(key)) {
			json_decref(key);
			return err_at(k, p, "expected a key string in the top-level object", cause);
		}
		/* The key is copied: reading on may move the window. */
		char *name = util_xstrdup(json_string_value(key));
		json_decref(key);
		p = q;
		if ((rc = at_text(k, &p, cause)) < 0) {
			free(name);
			return rc;
		}
		if (!rc || *p != ':') {
			free(name);
			return err_at(k, p, "expected ':' after a key", cause);
		}
		p++;
		rc = 0;
		if (strcmp(name, "traceEvents") == 0) {
			seen = 1;
			rc = trace_events(k, &p, cause);
		} else if ((rc = ws_more(k, &p, cause)) == 0 &&
			   (rc = whole(k, &p, &q, 0, cause)) == 0) {
			if (!q || q == p)
				rc = err_at(k, p, "expected a value (cut file?)", cause);
			else if (strcmp(name, "deviceProperties") == 0 && !k->devprops)
				k->devprops = load_value(p, q);
			else if (strcmp(name, "distributedInfo") == 0 && !k->dist)
				k->dist = load_value(p, q);
			if (rc == 0)
				p = q;
		}
		free(name);
		if (rc)
			return rc;
		if ((rc = at_text(k, &p, cause)) < 0)
			return rc;
		if (rc && *p == ',')
			p++;
		else if (rc && *p != '}')
			return err_at(k, p, "expected ',' or '}' in the top-level object", cause);
	}
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
	/* deviceProperties by id in one pass (the last entry of an id wins). */
	json_t **props = util_xcalloc(MAX_DEV, sizeof(*props));
	size_t np = json_array_size(k->devprops);
	for (size_t i = 0; i < np; i++) {
		json_t *p = json_array_get(k->devprops, i);
		json_t *idv = json_object_get(p, "id");
		json_int_t id = json_integer_value(idv);
		if (!json_is_integer(idv) || id < 0 || id >= MAX_DEV)
			continue;
		props[id] = p;
		if (id + 1 > n)
			n = (int)id + 1;
	}
	int rc = 0;
	for (int d = 0; d < n && rc == 0; d++) {
		struct trace_device dev = { .index = d, .ordinal = d };
		json_t *p = props[d];
		const char *name = json_string_value(json_object_get(p, "name"));
		if (name)
			snprintf(dev.name, sizeof(dev.name), "%s", name);
		json_int_t mem = json_integer_value(json_object_get(p, "totalGlobalMem"));
		dev.total = mem > 0 ? (uint64_t)mem : 0;
		rc = store_device_add(k->ictx->st, k->trace, &dev, cause);
	}
	free(props);
	*n_dev = n;
	return rc;
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
		    int64_t label_pre, struct u64map *orphan_bytes, char **cause)
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
		uint64_t ob = 0;
		u64map_get(orphan_bytes, (uint64_t)o[i].dev, &ob);
		ob += o[i].size;
		u64map_put(orphan_bytes, (uint64_t)o[i].dev, ob < (1ull << 62) ? ob : 1ull << 62);
		rc = store_event_add(k->ictx->st, k->trace, &ev, cause);
	}
	/* The rest of each device's level before its first event. */
	struct u64map seen = { 0 };
	for (size_t i = i0; rc == 0 && i < i1; i++) {
		const struct kev *e = &k->ev[i];
		if (e->oom || u64map_swap(&seen, (uint64_t)e->dev, 1, NULL))
			continue;
		if (!e->has_totals)
			continue;
		uint64_t ob = 0;
		u64map_get(orphan_bytes, (uint64_t)e->dev, &ob);
		/* ta, |bytes| <= 2^50; ob saturates at 2^62 */
		int64_t before = (int64_t)e->ta - e->bytes - (int64_t)ob;
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
	u64map_free(&seen);
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
	/* The last event with totals of each device, in one pass. */
	size_t *last = util_xcalloc((size_t)n_dev + 1, sizeof(*last));
	for (size_t i = 0; i < k->n; i++)
		if (k->ev[i].has_totals && k->ev[i].dev < n_dev)
			last[k->ev[i].dev] = i + 1;
	int rc = 0;
	for (int d = 0; rc == 0 && d < n_dev; d++) {
		if (!last[d])
			continue;
		const struct kev *e = &k->ev[last[d] - 1];
		char key[64];
		snprintf(key, sizeof(key), "kineto.total_allocated_end.%d", d);
		rc = set_u64(k, key, e->ta, cause);
		snprintf(key, sizeof(key), "kineto.total_reserved_end.%d", d);
		if (rc == 0)
			rc = set_u64(k, key, e->tr, cause);
	}
	free(last);
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
	struct u64map orphan_bytes = { 0 }; /* device -> bytes of this process's orphans */
	for (size_t i = 0; rc == 0 && i < k->n;) {
		size_t j = i;
		while (j < k->n && k->ev[j].pid == k->ev[i].pid)
			j++;
		struct orphan *o = NULL;
		size_t no = 0, ao = 0;
		pair(k, i, j, &o, &no, &ao, &by_size);
		n_orphans += no;
		u64map_free(&orphan_bytes);
		rc = emit_pid(k, i, j, o, no, label_pre, &orphan_bytes, cause);
		free(o);
		i = j;
	}
	u64map_free(&orphan_bytes);
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
		/* Devices that hold events, not the highest id + 1 (a rank's
		 * trace of GPU 1 has devices 0 and 1 in the store). */
		struct u64map used = { 0 };
		for (size_t i = 0; i < k->n; i++)
			u64map_put(&used, (uint64_t)k->ev[i].dev, 1);
		k->ictx->summary = util_xasprintf(
			"kineto: %zu [memory] events (%zu CUDA on %zu device(s), %zu CPU skipped)%s",
			k->n_memory, k->n, u64map_size(&used), k->n_cpu,
			by_size ? ", frees matched by size" : "");
		u64map_free(&used);
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
	int rc = 0;
	if (ctx->len >= 2 && ctx->data[0] == 0x1f && ctx->data[1] == 0x8b) {
		rc = gz_open(&k, cause);
	} else {
		k.json = (const char *)ctx->data;
		k.len = ctx->len;
		k.eof = 1;
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
	if (k.zinit)
		inflateEnd(&k.zs);
	free(k.win);
	free(k.ev);
	json_decref(k.devprops);
	json_decref(k.dist);
	return rc;
}
