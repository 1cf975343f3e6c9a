/*
 * chunk.c - event chunk encoding (see chunk.h for the layout).
 */
#include "chunk.h"

#include <string.h>

enum {
	F_KIND = 0x0f, F_LAYERS = 0x10, F_EXTRA = 0x20, F_SAME_SIZE = 0x40, F_SAME_DEVCAT = 0x80
};
enum { X_API = 1, X_REQ = 2, X_AUX = 4, X_STREAM = 8, X_RESULT = 16, X_TID = 32, X_LABEL = 64 };

static unsigned char *put_u(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static unsigned char *put_s(unsigned char *p, int64_t v)
{
	return put_u(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void chunk_begin(struct chunk_enc *e, int64_t first_seq)
{
	e->len = 0;
	e->n = 0;
	e->first_seq = first_seq;
	e->t_first = e->t_last = 0;
	memset(&e->prev, 0, sizeof(e->prev));
}

void chunk_put(struct chunk_enc *e, const struct trace_event *ev)
{
	if (e->n == 0) {
		e->t_first = ev->t_ns;
		e->prev.t_ns = ev->t_ns;
		/* device -1 and category 0: the first event always writes them */
		e->prev.device = INT16_MIN;
	}
	const struct trace_event *pv = &e->prev;
	unsigned char *p = e->buf + e->len, *flags = p++;
	unsigned f = (unsigned)ev->kind & F_KIND;
	p = put_s(p, (int64_t)((uint64_t)ev->t_ns - (uint64_t)pv->t_ns));
	if (ev->device == pv->device && ev->category == pv->category)
		f |= F_SAME_DEVCAT;
	else {
		p = put_u(p, (uint64_t)(uint16_t)(ev->device + 1));
		p = put_u(p, (uint64_t)(uint16_t)ev->category);
	}
	if (ev->size == pv->size && e->n)
		f |= F_SAME_SIZE;
	else
		p = put_u(p, ev->size);
	p = put_s(p, (int64_t)(ev->addr - pv->addr));
	if (ev->layer_lo != TRACE_LAYER_NONE || ev->layer_hi != TRACE_LAYER_NONE) {
		f |= F_LAYERS;
		p = put_u(p, (uint64_t)(uint32_t)(ev->layer_lo + 1));
		p = put_s(p, (int64_t)ev->layer_hi - (int64_t)ev->layer_lo);
	}
	unsigned x = (ev->api ? X_API : 0) | (ev->req_size ? X_REQ : 0) | (ev->aux ? X_AUX : 0) |
		     (ev->stream ? X_STREAM : 0) | (ev->result ? X_RESULT : 0) |
		     (ev->tid ? X_TID : 0) | (ev->label ? X_LABEL : 0);
	if (x) {
		f |= F_EXTRA;
		p = put_u(p, x);
		if (x & X_API) p = put_s(p, ev->api);
		if (x & X_REQ) p = put_u(p, ev->req_size);
		if (x & X_AUX) p = put_u(p, ev->aux);
		if (x & X_STREAM) p = put_u(p, ev->stream);
		if (x & X_RESULT) p = put_s(p, ev->result);
		if (x & X_TID) p = put_s(p, ev->tid);
		if (x & X_LABEL) p = put_u(p, (uint64_t)ev->label);
	}
	*flags = (unsigned char)f;
	e->len = (size_t)(p - e->buf);
	e->n++;
	e->t_last = ev->t_ns;
	e->prev = *ev;
}

void chunk_dec_init(struct chunk_dec *d, const void *blob, size_t len, int n, int64_t first_seq,
		    int64_t t_first, int32_t pid)
{
	d->p = blob;
	d->end = d->p + len;
	d->left = n;
	d->seq = first_seq;
	d->pid = pid;
	memset(&d->prev, 0, sizeof(d->prev));
	d->prev.t_ns = t_first;
}

static int get_u(struct chunk_dec *d, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (d->p >= d->end)
			return -1;
		unsigned char b = *d->p++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static int get_s(struct chunk_dec *d, int64_t *v)
{
	uint64_t u;
	if (get_u(d, &u))
		return -1;
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

int chunk_next(struct chunk_dec *d, struct trace_event *ev)
{
	if (d->left <= 0)
		return 0;
	if (d->p >= d->end)
		return -1;
	unsigned f = *d->p++;
	const struct trace_event *pv = &d->prev;
	uint64_t u;
	int64_t s;
	memset(ev, 0, sizeof(*ev));
	ev->kind = (int16_t)(f & F_KIND);
	if (get_s(d, &s))
		return -1;
	ev->t_ns = (int64_t)((uint64_t)pv->t_ns + (uint64_t)s);
	if (f & F_SAME_DEVCAT) {
		ev->device = pv->device;
		ev->category = pv->category;
	} else {
		if (get_u(d, &u))
			return -1;
		ev->device = (int16_t)((int)(uint16_t)u - 1);
		if (get_u(d, &u))
			return -1;
		ev->category = (int16_t)(uint16_t)u;
	}
	if (f & F_SAME_SIZE)
		ev->size = pv->size;
	else if (get_u(d, &ev->size))
		return -1;
	if (get_s(d, &s))
		return -1;
	ev->addr = pv->addr + (uint64_t)s;
	ev->layer_lo = ev->layer_hi = TRACE_LAYER_NONE;
	if (f & F_LAYERS) {
		if (get_u(d, &u) || get_s(d, &s))
			return -1;
		ev->layer_lo = (int32_t)((uint32_t)u - 1);
		ev->layer_hi = (int32_t)((int64_t)ev->layer_lo + s);
	}
	if (f & F_EXTRA) {
		if (get_u(d, &u))
			return -1;
		unsigned x = (unsigned)u;
		if ((x & X_API) && (get_s(d, &s) || (ev->api = (int16_t)s, 0)))
			return -1;
		if ((x & X_REQ) && get_u(d, &ev->req_size))
			return -1;
		if ((x & X_AUX) && get_u(d, &ev->aux))
			return -1;
		if ((x & X_STREAM) && get_u(d, &ev->stream))
			return -1;
		if ((x & X_RESULT) && (get_s(d, &s) || (ev->result = (int32_t)s, 0)))
			return -1;
		if ((x & X_TID) && (get_s(d, &s) || (ev->tid = (int32_t)s, 0)))
			return -1;
		if ((x & X_LABEL) && (get_u(d, &u) || (ev->label = (int64_t)u, 0)))
			return -1;
	}
	ev->seq = d->seq++;
	ev->pid = d->pid;
	d->left--;
	d->prev = *ev;
	return 1;
}
