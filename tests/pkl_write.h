/*
 * pkl_write.h - a tiny pickle writer for the tests (protocol 2-4 opcodes,
 * as Python's pickler emits them: containers are created empty, filled
 * after a MARK, then nested). Header-only: static functions, each test
 * program includes it. The buffer grows with util_grow; free pw->b.
 */
#ifndef VRAMSIM_TESTS_PKL_WRITE_H
#define VRAMSIM_TESTS_PKL_WRITE_H

#include <stdint.h>
#include <string.h>

#include "util.h"

struct pw {
	unsigned char *b;
	size_t n, alloc;
	unsigned memo; /* MEMOIZE count: the next memo index */
};

static inline void pw_bytes(struct pw *w, const void *p, size_t n)
{
	UTIL_GROW(w->b, w->n + n, w->alloc);
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static inline void pw_op(struct pw *w, unsigned char op)
{
	pw_bytes(w, &op, 1);
}

static inline void pw_le(struct pw *w, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		pw_op(w, (unsigned char)(v >> (8 * i)));
}

static inline void pw_proto(struct pw *w, int proto)
{
	pw_op(w, 0x80);
	pw_op(w, (unsigned char)proto);
}

/* MEMOIZE the top of the stack; returns its memo index. */
static inline unsigned pw_memo(struct pw *w)
{
	pw_op(w, 0x94);
	return w->memo++;
}

static inline void pw_get(struct pw *w, unsigned idx)
{
	if (idx < 256) {
		pw_op(w, 'h');
		pw_op(w, (unsigned char)idx);
	} else {
		pw_op(w, 'j');
		pw_le(w, idx, 4);
	}
}

static inline void pw_int(struct pw *w, int64_t v)
{
	if (v >= 0 && v < 256) {
		pw_op(w, 'K');
		pw_op(w, (unsigned char)v);
	} else if (v >= 0 && v < 65536) {
		pw_op(w, 'M');
		pw_le(w, (uint64_t)v, 2);
	} else if (v >= INT32_MIN && v <= INT32_MAX) {
		pw_op(w, 'J');
		pw_le(w, (uint64_t)v, 4);
	} else {
		pw_op(w, 0x8a);
		pw_op(w, 8);
		pw_le(w, (uint64_t)v, 8);
	}
}

static inline void pw_float(struct pw *w, double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	pw_op(w, 'G');
	for (int i = 7; i >= 0; i--)
		pw_op(w, (unsigned char)(u >> (8 * i)));
}

static inline void pw_str(struct pw *w, const char *s)
{
	size_t n = strlen(s);
	pw_op(w, 0x8c);
	pw_op(w, (unsigned char)n);
	pw_bytes(w, s, n);
}

static inline void pw_bool(struct pw *w, int b)
{
	pw_op(w, b ? 0x88 : 0x89);
}

/* EMPTY_DICT MEMOIZE MARK ... pw_dict_end: SETITEMS */
static inline void pw_dict(struct pw *w)
{
	pw_op(w, '}');
	pw_memo(w);
	pw_op(w, '(');
}

static inline void pw_dict_end(struct pw *w)
{
	pw_op(w, 'u');
}

/* EMPTY_LIST MEMOIZE MARK ... pw_list_end: APPENDS; returns the memo index. */
static inline unsigned pw_list(struct pw *w)
{
	pw_op(w, ']');
	unsigned m = pw_memo(w);
	pw_op(w, '(');
	return m;
}

static inline void pw_list_end(struct pw *w)
{
	pw_op(w, 'e');
}

static inline void pw_stop(struct pw *w)
{
	pw_op(w, '.');
}

/* Key and integer value inside a dict. */
static inline void pw_kv_int(struct pw *w, const char *k, int64_t v)
{
	pw_str(w, k);
	pw_int(w, v);
}

static inline void pw_kv_str(struct pw *w, const char *k, const char *v)
{
	pw_str(w, k);
	pw_str(w, v);
}

/* A frame dict {'filename': f, 'line': l, 'name': n}. */
static inline void pw_frame(struct pw *w, const char *file, int line, const char *name)
{
	pw_dict(w);
	pw_kv_str(w, "filename", file);
	pw_kv_int(w, "line", line);
	pw_kv_str(w, "name", name);
	pw_dict_end(w);
}

#endif
