/*
 * vrt.c - encoder and streaming decoder of the native trace format.
 *
 * This file is compiled into the shim as well as libvramsim.a, so it uses
 * only libc and libzstd and never aborts. The layout is described in
 * README "The native format"; zstd frames follow RFC 8878 (the zstd frame format).
 *
 * Over 800 lines in one file: encoder and decoder must agree byte for
 * byte on every record layout, and share the layout tables and checks;
 * the crash-tail reader is apart (vrt_tail.c).
 */
#include "vrt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

/* ---- the API table ---- */

struct api_row {
	const char *name;
	int id, kind;
};

static const struct api_row api_rows[] = {
#define VRT_X_ROW(name, id, kind) { #name, id, kind },
	VRT_APIS(VRT_X_ROW)
#undef VRT_X_ROW
};

static const struct api_row *api_row(int api)
{
	for (size_t i = 0; i < sizeof(api_rows) / sizeof(api_rows[0]); i++)
		if (api_rows[i].id == api)
			return &api_rows[i];
	return NULL;
}

const char *vrt_api_name(int api)
{
	const struct api_row *r = api_row(api);
	return r ? r->name : NULL;
}

int vrt_api_kind(int api)
{
	const struct api_row *r = api_row(api);
	return r ? r->kind : VRT_K_NONE;
}

int vrt_api_find(const char *name)
{
	for (size_t i = 0; i < sizeof(api_rows) / sizeof(api_rows[0]); i++)
		if (strcmp(api_rows[i].name, name) == 0)
			return api_rows[i].id;
	return 0;
}

/* ---- encoding ---- */

size_t vrt_put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static size_t put_str(uint8_t *p, const char *s, size_t max)
{
	size_t n = strnlen(s, max - 1);
	size_t k = vrt_put_varint(p, n);
	memcpy(p + k, s, n);
	return k + n;
}

/* Event field-presence bits (the byte after an event's time delta). */
enum {
	EV_RESULT = 1 << 0,
	EV_REQ    = 1 << 1,
	EV_SIZE   = 1 << 2,  /* size differs from req: zigzag(size - req) */
	EV_ADDR   = 1 << 3,  /* zigzag(addr - previous addr of the chunk) */
	EV_AUX    = 1 << 4,
	EV_STREAM = 1 << 5,  /* zigzag(stream - previous stream of the chunk) */
	EV_DEV    = 1 << 6,  /* zigzag(dev); absent means 0 */
	EV_ALL    = 0x7f
};

void vrt_enc_reset(struct vrt_enc *e, int64_t base_t)
{
	e->len = 0;
	e->base_t = e->last_t = base_t < 0 ? 0 : base_t;
	e->last_addr = e->last_stream = 0;
}

/* Type and time delta, common to every chunk record. */
static size_t put_head(struct vrt_enc *e, uint8_t *p, uint64_t type, int64_t t)
{
	if (t < e->last_t)
		t = e->last_t; /* monotonic clock: only a caller bug lands here */
	size_t n = vrt_put_varint(p, type);
	n += vrt_put_varint(p + n, (uint64_t)(t - e->last_t));
	e->last_t = t;
	return n;
}

int vrt_enc_event(struct vrt_enc *e, int64_t t, const struct vrt_event *ev)
{
	if (e->cap - e->len < VRT_REC_MAX)
		return -1;
	uint8_t *p = e->buf + e->len;
	size_t n = put_head(e, p, ev->api, t);
	uint8_t *mask = p + n++;
	*mask = 0;
	if (ev->dev != 0) {
		*mask |= EV_DEV;
		n += vrt_put_varint(p + n, vrt_zigzag(ev->dev));
	}
	if (ev->result != 0) {
		*mask |= EV_RESULT;
		n += vrt_put_varint(p + n, vrt_zigzag(ev->result));
	}
	if (ev->req != 0) {
		*mask |= EV_REQ;
		n += vrt_put_varint(p + n, ev->req);
	}
	if (ev->size != ev->req) {
		*mask |= EV_SIZE;
		n += vrt_put_varint(p + n, vrt_zigzag((int64_t)(ev->size - ev->req)));
	}
	if (ev->addr != 0) {
		*mask |= EV_ADDR;
		n += vrt_put_varint(p + n, vrt_zigzag((int64_t)(ev->addr - e->last_addr)));
		e->last_addr = ev->addr;
	}
	if (ev->aux != 0) {
		*mask |= EV_AUX;
		n += vrt_put_varint(p + n, ev->aux);
	}
	if (ev->stream != 0) {
		*mask |= EV_STREAM;
		n += vrt_put_varint(p + n, vrt_zigzag((int64_t)(ev->stream - e->last_stream)));
		e->last_stream = ev->stream;
	}
	e->len += n;
	return 0;
}

int vrt_enc_device(struct vrt_enc *e, int64_t t, const struct vrt_device *d)
{
	if (e->cap - e->len < VRT_REC_MAX)
		return -1;
	uint8_t *p = e->buf + e->len;
	size_t n = put_head(e, p, VRT_REC_DEVICE, t);
	n += vrt_put_varint(p + n, (uint64_t)(d->ordinal < 0 ? 0 : d->ordinal));
	memcpy(p + n, d->uuid, 16);
	n += 16;
	n += vrt_put_varint(p + n, d->total);
	n += put_str(p + n, d->name, VRT_NAME_MAX);
	e->len += n;
	return 0;
}

int vrt_enc_lookup(struct vrt_enc *e, int64_t t, const struct vrt_lookup *lu)
{
	if (e->cap - e->len < VRT_REC_MAX)
		return -1;
	uint8_t *p = e->buf + e->len;
	size_t n = put_head(e, p, VRT_REC_LOOKUP, t);
	n += vrt_put_varint(p + n, (uint64_t)lu->via);
	n += vrt_put_varint(p + n, vrt_zigzag(lu->version));
	n += vrt_put_varint(p + n, lu->flags);
	n += vrt_put_varint(p + n, vrt_zigzag(lu->result));
	n += vrt_put_varint(p + n, vrt_zigzag(lu->status));
	n += vrt_put_varint(p + n, lu->wrapped);
	n += put_str(p + n, lu->symbol, VRT_NAME_MAX);
	e->len += n;
	return 0;
}

int vrt_enc_info(struct vrt_enc *e, int64_t t, const char *key, const char *value)
{
	if (e->cap - e->len < VRT_REC_MAX)
		return -1;
	uint8_t *p = e->buf + e->len;
	size_t n = put_head(e, p, VRT_REC_INFO, t);
	n += put_str(p + n, key, VRT_KEY_MAX);
	n += put_str(p + n, value, VRT_NAME_MAX);
	e->len += n;
	return 0;
}

size_t vrt_put_frame(uint8_t *out, uint64_t frame_no, int64_t watermark)
{
	size_t n = 0;
	out[n++] = 'F';
	n += vrt_put_varint(out + n, frame_no);
	n += vrt_put_varint(out + n, (uint64_t)(watermark < 0 ? 0 : watermark));
	return n;
}

size_t vrt_put_chunk(uint8_t *out, int32_t tid, int64_t base_t, size_t nbytes)
{
	size_t n = 0;
	out[n++] = 'C';
	n += vrt_put_varint(out + n, (uint64_t)(tid < 0 ? 0 : tid));
	n += vrt_put_varint(out + n, (uint64_t)(base_t < 0 ? 0 : base_t));
	n += vrt_put_varint(out + n, nbytes);
	return n;
}

size_t vrt_put_end(uint8_t *out, uint64_t events, uint64_t lost, int reason)
{
	size_t n = 0;
	out[n++] = 'E';
	n += vrt_put_varint(out + n, events);
	n += vrt_put_varint(out + n, lost);
	n += vrt_put_varint(out + n, (uint64_t)reason);
	return n;
}

/* Header tags (type-length-value after magic and version). */
enum {
	H_PID = 1, H_PPID, H_MONO, H_REAL, H_HOST, H_SESSION, H_VERSION, H_EXE, H_CMDLINE
};

static size_t put_tlv(uint8_t *p, unsigned tag, const void *v, size_t n)
{
	size_t k = vrt_put_varint(p, tag);
	k += vrt_put_varint(p + k, n);
	memcpy(p + k, v, n);
	return k + n;
}

static size_t put_tlv_int(uint8_t *p, unsigned tag, uint64_t v)
{
	uint8_t tmp[10];
	return put_tlv(p, tag, tmp, vrt_put_varint(tmp, v));
}

size_t vrt_header_encode(uint8_t *out, size_t cap, const struct vrt_header *h)
{
	if (cap < VRT_HEADER_MAX)
		return 0;
	size_t n = 0;
	memcpy(out, VRT_MAGIC, 8);
	n = 8;
	out[n++] = VRT_VERSION_MAJOR;
	out[n++] = VRT_VERSION_MINOR;
	n += put_tlv_int(out + n, H_PID, (uint64_t)(uint32_t)h->pid);
	n += put_tlv_int(out + n, H_PPID, (uint64_t)(uint32_t)h->ppid);
	n += put_tlv_int(out + n, H_MONO, (uint64_t)h->mono_start_ns);
	n += put_tlv_int(out + n, H_REAL, (uint64_t)h->real_start_ns);
	n += put_tlv(out + n, H_HOST, h->hostname, strnlen(h->hostname, VRT_NAME_MAX - 1));
	n += put_tlv(out + n, H_SESSION, h->session, strnlen(h->session, VRT_KEY_MAX - 1));
	n += put_tlv(out + n, H_VERSION, h->shim_version,
		     strnlen(h->shim_version, VRT_KEY_MAX - 1));
	n += put_tlv(out + n, H_EXE, h->exe, strnlen(h->exe, VRT_PATH_MAX - 1));
	size_t cl = h->cmdline_len < VRT_CMDLINE_MAX ? h->cmdline_len : VRT_CMDLINE_MAX - 1;
	n += put_tlv(out + n, H_CMDLINE, h->cmdline, cl);
	return n;
}

struct ZSTD_CCtx_s *vrt_cctx_new(int level)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	if (!cc)
		return NULL;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1))) {
		ZSTD_freeCCtx(cc);
		return NULL;
	}
	return cc;
}

size_t vrt_frame_bound(size_t n)
{
	return ZSTD_compressBound(n);
}

int vrt_write_frame(int fd, struct ZSTD_CCtx_s *cc, const void *raw, size_t n,
		    void *zbuf, size_t zcap)
{
	size_t zn = ZSTD_compress2(cc, zbuf, zcap, raw, n);
	if (ZSTD_isError(zn)) {
		errno = EIO;
		return -1;
	}
	const uint8_t *p = zbuf;
	while (zn > 0) {
		ssize_t w = write(fd, p, zn);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		zn -= (size_t)w;
	}
	return 0;
}

/* ---- decoding ---- */

/* Parser state over one decoded frame. */
struct pstate {
	const uint8_t *b;
	size_t pos, end;
	size_t chunk_end;
	int in_chunk, seen_frame, seen_end;
	int32_t tid;
	int64_t t;
	uint64_t last_addr, last_stream;
};

struct vrt_reader {
	const uint8_t *data;
	size_t len, off;         /* input and the start of the next frame */
	ZSTD_DCtx *dc;
	uint8_t *frame;          /* the current frame, decoded and validated */
	size_t flen;
	size_t frame_off;        /* where it started in the input */
	struct pstate ps;
	int done, saw_end;
	unsigned long long raw_total; /* content sizes the frames declared so far */
	struct vrt_status st;
	struct vrt_header hdr;
	char err[256];
};

/* Times beyond this (~73 years) are corrupt: keeps sums from overflowing. */
#define T_MAX ((int64_t)1 << 61)

static int get_varint(struct pstate *p, size_t end, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (p->pos >= end)
			return -1;
		uint8_t c = p->b[p->pos++];
		if (i == 9 && c > 1)
			return -1;
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static int get_str(struct pstate *p, size_t end, char *out, size_t cap)
{
	uint64_t n;
	if (get_varint(p, end, &n) || n >= cap || n > end - p->pos)
		return -1;
	memcpy(out, p->b + p->pos, (size_t)n);
	out[n] = '\0';
	p->pos += (size_t)n;
	return 0;
}

static int get_i32z(struct pstate *p, size_t end, int32_t *out)
{
	uint64_t v;
	if (get_varint(p, end, &v))
		return -1;
	int64_t s = vrt_unzigzag(v);
	if (s < INT32_MIN || s > INT32_MAX)
		return -1;
	*out = (int32_t)s;
	return 0;
}

static int get_event(struct pstate *p, size_t end, struct vrt_event *ev)
{
	if (p->pos >= end)
		return -1;
	uint8_t mask = p->b[p->pos++];
	uint64_t v;
	if (mask & ~EV_ALL)
		return -1;
	if (mask & EV_DEV) {
		if (get_i32z(p, end, &ev->dev))
			return -1;
	}
	if ((mask & EV_RESULT) && get_i32z(p, end, &ev->result))
		return -1;
	if ((mask & EV_REQ) && get_varint(p, end, &ev->req))
		return -1;
	ev->size = ev->req;
	if (mask & EV_SIZE) {
		if (get_varint(p, end, &v))
			return -1;
		ev->size = ev->req + (uint64_t)vrt_unzigzag(v);
	}
	if (mask & EV_ADDR) {
		if (get_varint(p, end, &v))
			return -1;
		ev->addr = p->last_addr + (uint64_t)vrt_unzigzag(v);
		p->last_addr = ev->addr;
	}
	if ((mask & EV_AUX) && get_varint(p, end, &ev->aux))
		return -1;
	if (mask & EV_STREAM) {
		if (get_varint(p, end, &v))
			return -1;
		ev->stream = p->last_stream + (uint64_t)vrt_unzigzag(v);
		p->last_stream = ev->stream;
	}
	return 0;
}

/* One record inside a chunk. */
static int parse_chunk_rec(struct pstate *p, struct vrt_rec *rec, const char **why)
{
	size_t end = p->chunk_end;
	uint64_t type, dt, v;
	memset(rec, 0, sizeof(*rec));
	if (get_varint(p, end, &type) || get_varint(p, end, &dt)) {
		*why = "record cut short";
		return -1;
	}
	if (dt > (uint64_t)T_MAX || p->t + (int64_t)dt > T_MAX) {
		*why = "time out of range";
		return -1;
	}
	p->t += (int64_t)dt;
	rec->t_ns = p->t;
	rec->tid = p->tid;
	*why = "bad record";
	switch (type) {
	case VRT_REC_DEVICE: {
		struct vrt_device *d = &rec->u.dev;
		rec->type = VRT_REC_DEVICE;
		if (get_varint(p, end, &v) || v >= VRT_MAX_DEVICES)
			return -1;
		d->ordinal = (int32_t)v;
		if (end - p->pos < 16)
			return -1;
		memcpy(d->uuid, p->b + p->pos, 16);
		p->pos += 16;
		if (get_varint(p, end, &d->total) || get_str(p, end, d->name, sizeof(d->name)))
			return -1;
		return 1;
	}
	case VRT_REC_LOOKUP: {
		struct vrt_lookup *lu = &rec->u.lu;
		rec->type = VRT_REC_LOOKUP;
		if (get_varint(p, end, &v) || v > VRT_VIA_DLSYM)
			return -1;
		lu->via = (int)v;
		if (get_i32z(p, end, &lu->version) || get_varint(p, end, &lu->flags) ||
		    get_i32z(p, end, &lu->result) || get_i32z(p, end, &lu->status))
			return -1;
		if (get_varint(p, end, &v) || v > UINT16_MAX)
			return -1;
		lu->wrapped = (uint16_t)v;
		return get_str(p, end, lu->symbol, sizeof(lu->symbol)) ? -1 : 1;
	}
	case VRT_REC_INFO:
		rec->type = VRT_REC_INFO;
		if (get_str(p, end, rec->u.info.key, sizeof(rec->u.info.key)) ||
		    get_str(p, end, rec->u.info.value, sizeof(rec->u.info.value)))
			return -1;
		return 1;
	default:
		if (type < VRT_API_FIRST || type > UINT16_MAX) {
			*why = "unknown record type";
			return -1;
		}
		rec->type = VRT_REC_EVENT;
		rec->u.ev.api = (uint16_t)type;
		return get_event(p, end, &rec->u.ev) ? -1 : 1;
	}
}

/* The next record of a frame: 1, 0 at its end, -1 corrupt (*why says). */
static int parse_next(struct pstate *p, struct vrt_rec *rec, const char **why)
{
	uint64_t a, b, c;
	for (;;) {
		if (p->in_chunk) {
			if (p->pos < p->chunk_end)
				return parse_chunk_rec(p, rec, why);
			p->in_chunk = 0;
		}
		if (p->pos >= p->end) {
			*why = "empty frame";
			return p->seen_frame ? 0 : -1;
		}
		if (p->seen_end) {
			*why = "data after the END record";
			return -1;
		}
		uint8_t tag = p->b[p->pos++];
		memset(rec, 0, sizeof(*rec));
		if (!p->seen_frame) {
			if (tag != 'F' || get_varint(p, p->end, &a) || get_varint(p, p->end, &b) ||
			    b > (uint64_t)T_MAX) {
				*why = "frame does not start with a frame record";
				return -1;
			}
			p->seen_frame = 1;
			rec->type = VRT_REC_FRAME;
			rec->t_ns = (int64_t)b;
			rec->u.frame.no = a;
			return 1;
		}
		if (tag == 'C') {
			if (get_varint(p, p->end, &a) || a > INT32_MAX ||
			    get_varint(p, p->end, &b) || b > (uint64_t)T_MAX ||
			    get_varint(p, p->end, &c) || c > p->end - p->pos) {
				*why = "bad chunk header";
				return -1;
			}
			p->in_chunk = 1;
			p->chunk_end = p->pos + (size_t)c;
			p->tid = (int32_t)a;
			p->t = (int64_t)b;
			p->last_addr = p->last_stream = 0;
			continue;
		}
		if (tag == 'E') {
			if (get_varint(p, p->end, &a) || get_varint(p, p->end, &b) ||
			    get_varint(p, p->end, &c) || c > VRT_END_EXEC) {
				*why = "bad END record";
				return -1;
			}
			p->seen_end = 1;
			rec->type = VRT_REC_END;
			rec->u.end.events = a;
			rec->u.end.lost = b;
			rec->u.end.reason = (int)c;
			return 1;
		}
		*why = "unknown frame record";
		return -1;
	}
}

static void set_err(struct vrt_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(struct vrt_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/*
 * Decode the frame at r->off into r->frame. Returns 0 with *used set, or
 * -1 with r->err describing the damage.
 */
static int decode_frame(struct vrt_reader *r, size_t *used)
{
	const uint8_t *src = r->data + r->off;
	size_t avail = r->len - r->off;
	unsigned long long cs = ZSTD_getFrameContentSize(src, avail);
	if (cs == ZSTD_CONTENTSIZE_ERROR) {
		set_err(r, "byte %zu: bad zstd frame magic", r->off);
		return -1;
	}
	if (cs != ZSTD_CONTENTSIZE_UNKNOWN && cs > VRT_FRAME_MAX) {
		set_err(r, "byte %zu: frame of %llu bytes exceeds the %d-byte limit", r->off, cs,
			VRT_FRAME_MAX);
		return -1;
	}
	/* What the frames declare is checked against the bytes they occupy
	 * before one is decoded: a small file never turns into millions of
	 * records (a 505 KB file once declared 682 M events). The budget is
	 * VRT_RATIO_MAX times the input read so far, plus VRT_FRAME_MAX. */
	size_t zn = ZSTD_findFrameCompressedSize(src, avail);
	if (!ZSTD_isError(zn) && cs != ZSTD_CONTENTSIZE_UNKNOWN &&
	    r->raw_total + cs > (unsigned long long)(r->off + zn) * VRT_RATIO_MAX + VRT_FRAME_MAX) {
		set_err(r, "byte %zu: frames declare %llu bytes of records in %zu bytes of file "
			"(more than %d:1); refused as crafted or corrupt", r->off,
			r->raw_total + cs, r->off + zn, VRT_RATIO_MAX);
		return -1;
	}
	if (cs != ZSTD_CONTENTSIZE_UNKNOWN)
		r->raw_total += cs;
	ZSTD_DCtx_reset(r->dc, ZSTD_reset_session_only);
	ZSTD_inBuffer in = { src, avail, 0 };
	ZSTD_outBuffer out = { r->frame, VRT_FRAME_MAX, 0 };
	for (;;) {
		size_t ret = ZSTD_decompressStream(r->dc, &out, &in);
		if (ZSTD_isError(ret)) {
			set_err(r, "byte %zu: zstd: %s", r->off, ZSTD_getErrorName(ret));
			return -1;
		}
		if (ret == 0)
			break;
		if (out.pos == out.size) {
			set_err(r, "byte %zu: frame exceeds the %d-byte limit", r->off,
				VRT_FRAME_MAX);
			return -1;
		}
		if (in.pos == in.size) {
			set_err(r, "byte %zu: cut inside a frame (%zu bytes present)", r->off,
				avail);
			return -1;
		}
	}
	r->flen = out.pos;
	*used = in.pos;
	return 0;
}

static int parse_header(struct vrt_reader *r)
{
	const uint8_t *b = r->frame;
	size_t n = r->flen;
	struct vrt_header *h = &r->hdr;
	if (n < 10 || memcmp(b, VRT_MAGIC, 8) != 0) {
		set_err(r, "byte 0: not a native vramsim trace (bad magic)");
		return VRT_EINPUT;
	}
	h->major = b[8];
	h->minor = b[9];
	if (h->major > VRT_VERSION_MAJOR) {
		set_err(r, "format version %d.%d is newer than this vramsim reads (%d.x);"
			" import it with a newer vramsim", h->major, h->minor, VRT_VERSION_MAJOR);
		return VRT_ENEWER;
	}
	if (h->major < 1) {
		set_err(r, "byte 8: bad format version %d.%d", h->major, h->minor);
		return VRT_EINPUT;
	}
	struct pstate p = { .b = b, .pos = 10, .end = n };
	while (p.pos < n) {
		uint64_t tag, len, v;
		if (get_varint(&p, n, &tag) || get_varint(&p, n, &len) || len > n - p.pos) {
			set_err(r, "header byte %zu: bad field", p.pos);
			return VRT_EINPUT;
		}
		struct pstate f = { .b = b, .pos = p.pos, .end = p.pos + (size_t)len };
		const char *s = (const char *)b + p.pos;
		size_t sl = (size_t)len;
		int bad = 0;
#define COPY_STR(dst) do { size_t k = sl < sizeof(dst) - 1 ? sl : sizeof(dst) - 1; \
		memcpy(dst, s, k); dst[k] = '\0'; } while (0)
		switch (tag) {
		case H_PID: bad = get_varint(&f, f.end, &v) || v > INT32_MAX; h->pid = (int32_t)v; break;
		case H_PPID: bad = get_varint(&f, f.end, &v) || v > INT32_MAX; h->ppid = (int32_t)v; break;
		case H_MONO: bad = get_varint(&f, f.end, &v) || v > INT64_MAX; h->mono_start_ns = (int64_t)v; break;
		case H_REAL: bad = get_varint(&f, f.end, &v) || v > INT64_MAX; h->real_start_ns = (int64_t)v; break;
		case H_HOST: COPY_STR(h->hostname); break;
		case H_SESSION: COPY_STR(h->session); break;
		case H_VERSION: COPY_STR(h->shim_version); break;
		case H_EXE: COPY_STR(h->exe); break;
		case H_CMDLINE:
			/* NUL-separated: copied as bytes, not as one string. */
			h->cmdline_len = sl < sizeof(h->cmdline) - 1 ? sl : sizeof(h->cmdline) - 1;
			memcpy(h->cmdline, s, h->cmdline_len);
			h->cmdline[h->cmdline_len] = '\0';
			break;
		default: break; /* a newer minor version's field: skip it */
		}
#undef COPY_STR
		if (bad) {
			set_err(r, "header byte %zu: bad value of field %llu", p.pos,
				(unsigned long long)tag);
			return VRT_EINPUT;
		}
		p.pos += (size_t)len;
	}
	return 0;
}

int vrt_reader_open(const void *data, size_t len, struct vrt_reader **out)
{
	struct vrt_reader *r = calloc(1, sizeof(*r));
	*out = r;
	if (!r)
		return VRT_ENOMEM;
	r->data = data;
	r->len = len;
	r->dc = ZSTD_createDCtx();
	r->frame = malloc(VRT_FRAME_MAX);
	if (!r->dc || !r->frame) {
		set_err(r, "out of memory");
		return VRT_ENOMEM;
	}
	/* A writer never needs more than a 1 MiB window (frames are smaller);
	 * refusing larger ones bounds the decoder's memory. */
	ZSTD_DCtx_setParameter(r->dc, ZSTD_d_windowLogMax, 21);
	if (len < 4 || !vrt_sniff(data, len)) {
		set_err(r, "byte 0: not a native vramsim trace (bad magic)");
		r->done = 1;
		return VRT_EINPUT;
	}
	size_t used;
	if (decode_frame(r, &used)) {
		r->done = 1;
		return VRT_EINPUT;
	}
	int rc = parse_header(r);
	if (rc) {
		r->done = 1;
		return rc;
	}
	r->off = used;
	r->st.bytes_used = used;
	r->flen = 0;
	return 0;
}

const struct vrt_header *vrt_reader_header(const struct vrt_reader *r)
{
	return &r->hdr;
}

/* Validate a whole decoded frame before any of its records is handed out. */
static int validate_frame(struct vrt_reader *r)
{
	struct pstate p = { .b = r->frame, .pos = 0, .end = r->flen };
	struct vrt_rec rec;
	const char *why = NULL;
	int rc;
	while ((rc = parse_next(&p, &rec, &why)) == 1)
		;
	if (rc < 0) {
		set_err(r, "byte %zu: frame %zu: %s at payload byte %zu", r->frame_off,
			r->st.frames + 1, why, p.pos);
		return -1;
	}
	return p.seen_end;
}

static void stop_damaged(struct vrt_reader *r)
{
	r->done = 1;
	r->st.damaged = 1;
	r->st.bytes_dropped = r->len - r->off;
}

/* The number in a validated frame's frame record. */
static uint64_t frame_number(const uint8_t *b, size_t n)
{
	struct pstate p = { .b = b, .pos = 1, .end = n };
	uint64_t no = 0;
	return get_varint(&p, n, &no) ? 0 : no;
}

/* Load the next frame; 1 loaded, 0 no more input. */
static int load_frame(struct vrt_reader *r)
{
	if (r->done)
		return 0;
	if (r->saw_end) {
		r->done = 1;
		if (r->off < r->len) {
			r->st.damaged = 1;
			r->st.bytes_dropped = r->len - r->off;
			set_err(r, "byte %zu: %zu bytes after the END record", r->off,
				r->len - r->off);
		}
		return 0;
	}
	for (;;) {
		if (r->off >= r->len) {
			r->done = 1;
			return 0;
		}
		size_t used;
		r->frame_off = r->off;
		if (decode_frame(r, &used)) {
			stop_damaged(r);
			return 0;
		}
		if (r->flen == 0) { /* skippable or empty frame: nothing to read */
			r->off += used;
			r->st.bytes_used = r->off;
			continue;
		}
		int end = validate_frame(r);
		if (end < 0) {
			stop_damaged(r);
			return 0;
		}
		r->off += used;
		r->st.bytes_used = r->off;
		r->st.frames++;
		r->st.last_frame_no = frame_number(r->frame, r->flen);
		r->saw_end = end;
		memset(&r->ps, 0, sizeof(r->ps));
		r->ps.b = r->frame;
		r->ps.end = r->flen;
		return 1;
	}
}

int vrt_reader_next(struct vrt_reader *r, struct vrt_rec *rec)
{
	for (;;) {
		if (r->flen) {
			const char *why;
			int rc = parse_next(&r->ps, rec, &why);
			if (rc == 1) {
				if (rec->type == VRT_REC_END) {
					r->st.complete = 1;
					r->st.end_reason = rec->u.end.reason;
				}
				return 1;
			}
			r->flen = 0; /* validated, so rc is 0 here: the frame is done */
		}
		if (!load_frame(r))
			return 0;
	}
}

int vrt_raw_each(const void *raw, size_t n, int (*cb)(void *arg, const struct vrt_rec *rec),
		 void *arg, const char **why)
{
	struct pstate p = { .b = raw, .pos = 0, .end = n };
	struct vrt_rec rec;
	int rc;
	*why = "";
	while ((rc = parse_next(&p, &rec, why)) == 1)
		;
	if (rc < 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.b = raw;
	p.end = n;
	while (parse_next(&p, &rec, why) == 1)
		if ((rc = cb(arg, &rec)) != 0)
			return rc;
	return 0;
}

void vrt_reader_status(const struct vrt_reader *r, struct vrt_status *st)
{
	*st = r->st;
}

const char *vrt_reader_error(const struct vrt_reader *r)
{
	return r->err;
}

void vrt_reader_free(struct vrt_reader *r)
{
	if (!r)
		return;
	ZSTD_freeDCtx(r->dc);
	free(r->frame);
	free(r);
}

int vrt_sniff(const void *data, size_t len)
{
	static const uint8_t zmagic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	if (len < 4 || memcmp(data, zmagic, 4) != 0)
		return 0;
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	if (!dc)
		return 0;
	ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax, 21);
	uint8_t head[10];
	ZSTD_inBuffer in = { data, len, 0 };
	ZSTD_outBuffer out = { head, sizeof(head), 0 };
	while (out.pos < out.size) {
		size_t ret = ZSTD_decompressStream(dc, &out, &in);
		if (ZSTD_isError(ret) || ret == 0 || in.pos == in.size)
			break;
	}
	ZSTD_freeDCtx(dc);
	return out.pos >= 8 && memcmp(head, VRT_MAGIC, 8) == 0;
}
