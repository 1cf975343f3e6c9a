/*
 * pickle.c - the pickle reader behind pickle.h.
 *
 * Two passes over the bytes. The first (scan) walks the opcodes without
 * building anything: it refuses forbidden or unknown opcodes and cut
 * streams up front, checks memo indices, and marks which memo indices are
 * ever fetched. The second (run) is the stack machine; it keeps a memo
 * entry only if the first pass saw it fetched, which is what lets a
 * consumer that takes records as they complete (pkl_filled_fn) and as
 * they are nested (pkl_attach_fn) run in memory proportional to what is
 * shared rather than to the whole file.
 *
 * Values are fixed-size nodes from slabs with a free list (the snapshot
 * reader creates and drops tens of thousands of small values per MB),
 * reference counted because the memo shares them.
 *
 * Over 800 lines because the two passes share the opcode table and the
 * argument decoding: split, each half would need the other's internals.
 */
#include "pickle.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct pkl_value {
	uint8_t  type;
	uint8_t  frozen;   /* inside another container: may not be filled */
	uint8_t  immortal; /* the static None/True/False */
	uint16_t depth;    /* containers: 1 + deepest item; scalars 0 */
	uint32_t refs;
	union {
		int64_t i;
		double f;
		struct { const char *p; size_t n; } s;
		struct {
			struct pkl_value **v; /* items; a dict stores key, value pairs */
			uint32_t n;           /* slots used */
			uint32_t cap;
			uint64_t id;
			uint64_t count;       /* items ever attached */
		} c;
		struct pkl_value *next;   /* on the free list */
	} u;
};

static struct pkl_value v_none = { .type = PKL_NONE, .immortal = 1 };
static struct pkl_value v_true = { .type = PKL_BOOL, .immortal = 1, .u.i = 1 };
static struct pkl_value v_false = { .type = PKL_BOOL, .immortal = 1, .u.i = 0 };

#define SLAB_N 1024
struct slab {
	struct slab *next;
	struct pkl_value v[SLAB_N];
};

struct pkl_doc {
	const unsigned char *data;
	size_t len;
	struct slab *slabs;
	size_t slab_used;        /* nodes handed out from the newest slab */
	struct pkl_value *free_list;
	size_t cur, peak;        /* heap bytes in use / at most */
	uint64_t next_id;
	struct pkl_value *root;
	unsigned max_depth;
	pkl_attach_fn attach;
	pkl_filled_fn filled;
	void *arg;
	/* parse state */
	struct pkl_value **stack;
	size_t sn, scap;
	size_t *marks;
	size_t mn, mcap;
	uint64_t *used;          /* bit per memo index: fetched somewhere */
	size_t used_words;
	uint32_t *rank;          /* set bits before each word of used[] */
	struct pkl_value **memo; /* one slot per fetched index */
	size_t n_memo;
	size_t mlen;             /* memo length (indices stored so far) */
};

/* ---- opcodes (Lib/pickletools.py) ---- */

enum {
	OP_MARK = 0x28, OP_EMPTY_TUPLE = 0x29, OP_STOP = 0x2e, OP_BINFLOAT = 0x47,
	OP_BININT = 0x4a, OP_BININT1 = 0x4b, OP_BININT2 = 0x4d, OP_NONE = 0x4e,
	OP_BINUNICODE = 0x58, OP_EMPTY_LIST = 0x5d, OP_APPEND = 0x61,
	OP_APPENDS = 0x65, OP_BINGET = 0x68, OP_LONG_BINGET = 0x6a,
	OP_BINPUT = 0x71, OP_LONG_BINPUT = 0x72, OP_SETITEM = 0x73, OP_TUPLE = 0x74,
	OP_SETITEMS = 0x75, OP_EMPTY_DICT = 0x7d, OP_PROTO = 0x80, OP_TUPLE1 = 0x85,
	OP_TUPLE2 = 0x86, OP_TUPLE3 = 0x87, OP_NEWTRUE = 0x88, OP_NEWFALSE = 0x89,
	OP_LONG1 = 0x8a, OP_LONG4 = 0x8b, OP_SHORT_BINUNICODE = 0x8c,
	OP_BINUNICODE8 = 0x8d, OP_MEMOIZE = 0x94, OP_FRAME = 0x95
};

struct opname {
	unsigned char op;
	const char *name;
	int code; /* 1: would import or call Python code */
};

static const struct opname opnames[] = {
	{ 0x28, "MARK", 0 }, { 0x29, "EMPTY_TUPLE", 0 }, { 0x2e, "STOP", 0 },
	{ 0x30, "POP", 0 }, { 0x31, "POP_MARK", 0 }, { 0x32, "DUP", 0 },
	{ 0x42, "BINBYTES", 0 }, { 0x43, "SHORT_BINBYTES", 0 }, { 0x46, "FLOAT", 0 },
	{ 0x47, "BINFLOAT", 0 }, { 0x49, "INT", 0 }, { 0x4a, "BININT", 0 },
	{ 0x4b, "BININT1", 0 }, { 0x4c, "LONG", 0 }, { 0x4d, "BININT2", 0 },
	{ 0x4e, "NONE", 0 }, { 0x50, "PERSID", 1 }, { 0x51, "BINPERSID", 1 },
	{ 0x52, "REDUCE", 1 }, { 0x53, "STRING", 0 }, { 0x54, "BINSTRING", 0 },
	{ 0x55, "SHORT_BINSTRING", 0 }, { 0x56, "UNICODE", 0 }, { 0x58, "BINUNICODE", 0 },
	{ 0x5d, "EMPTY_LIST", 0 }, { 0x61, "APPEND", 0 }, { 0x62, "BUILD", 1 },
	{ 0x63, "GLOBAL", 1 }, { 0x64, "DICT", 0 }, { 0x65, "APPENDS", 0 },
	{ 0x67, "GET", 0 }, { 0x68, "BINGET", 0 }, { 0x69, "INST", 1 },
	{ 0x6a, "LONG_BINGET", 0 }, { 0x6c, "LIST", 0 }, { 0x6f, "OBJ", 1 },
	{ 0x70, "PUT", 0 }, { 0x71, "BINPUT", 0 }, { 0x72, "LONG_BINPUT", 0 },
	{ 0x73, "SETITEM", 0 }, { 0x74, "TUPLE", 0 }, { 0x75, "SETITEMS", 0 },
	{ 0x7d, "EMPTY_DICT", 0 }, { 0x80, "PROTO", 0 }, { 0x81, "NEWOBJ", 1 },
	{ 0x82, "EXT1", 1 }, { 0x83, "EXT2", 1 }, { 0x84, "EXT4", 1 },
	{ 0x85, "TUPLE1", 0 }, { 0x86, "TUPLE2", 0 }, { 0x87, "TUPLE3", 0 },
	{ 0x88, "NEWTRUE", 0 }, { 0x89, "NEWFALSE", 0 }, { 0x8a, "LONG1", 0 },
	{ 0x8b, "LONG4", 0 }, { 0x8c, "SHORT_BINUNICODE", 0 }, { 0x8d, "BINUNICODE8", 0 },
	{ 0x8e, "BINBYTES8", 0 }, { 0x8f, "EMPTY_SET", 0 }, { 0x90, "ADDITEMS", 0 },
	{ 0x91, "FROZENSET", 0 }, { 0x92, "NEWOBJ_EX", 1 }, { 0x93, "STACK_GLOBAL", 1 },
	{ 0x94, "MEMOIZE", 0 }, { 0x95, "FRAME", 0 }, { 0x96, "BYTEARRAY8", 0 },
	{ 0x97, "NEXT_BUFFER", 0 }, { 0x98, "READONLY_BUFFER", 0 },
};

static const struct opname *op_find(unsigned char op)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(opnames); i++)
		if (opnames[i].op == op)
			return &opnames[i];
	return NULL;
}

static const char *op_name(unsigned char op)
{
	const struct opname *o = op_find(op);
	return o ? o->name : "?";
}

static int refuse_op(unsigned char op, size_t at, char **cause)
{
	const struct opname *o = op_find(op);
	if (!o)
		return util_err(cause, UTIL_EINPUT, "byte offset %zu: unknown pickle opcode 0x%02x",
				at, op);
	if (o->code)
		return util_err(cause, UTIL_EINPUT,
				"byte offset %zu: pickle opcode %s (0x%02x) is not allowed: a memory "
				"snapshot holds only plain values and vramsim never runs pickle code",
				at, o->name, op);
	return util_err(cause, UTIL_EINPUT,
			"byte offset %zu: pickle opcode %s (0x%02x) is outside the snapshot subset "
			"(plain dict, list, tuple, str, int, float, bool, None)", at, o->name, op);
}

/* ---- little helpers ---- */

static uint64_t le(const unsigned char *p, size_t n)
{
	uint64_t u = 0;
	for (size_t i = 0; i < n; i++)
		u |= (uint64_t)p[i] << (8 * i);
	return u;
}

static void account(struct pkl_doc *d, size_t add, size_t sub)
{
	d->cur = d->cur + add - sub;
	if (d->cur > d->peak)
		d->peak = d->cur;
}

/* Grow a parse-state array, counting its bytes. */
static void grow(struct pkl_doc *d, void *pp, size_t sz, size_t need, size_t *cap)
{
	if (need <= *cap)
		return;
	size_t old = *cap;
	util_grow(pp, sz, need, cap);
	account(d, *cap * sz, old * sz);
}

/* ---- first pass ---- */

static int need(const unsigned char *d, size_t len, size_t pos, size_t n, size_t at,
		char **cause)
{
	if (n > len - pos)
		return util_err(cause, UTIL_EINPUT,
				"byte offset %zu: %s needs %zu bytes of argument but the pickle "
				"ends %zu bytes later (cut stream)", at, op_name(d[at]), n, len - pos);
	return 0;
}

static void mark_used(struct pkl_doc *d, uint64_t idx)
{
	size_t w = (size_t)(idx / 64);
	if (w >= d->used_words) {
		size_t old = d->used_words;
		grow(d, &d->used, sizeof(*d->used), w + 1, &d->used_words);
		memset(d->used + old, 0, (d->used_words - old) * sizeof(*d->used));
	}
	d->used[w] |= 1ull << (idx % 64);
}

static int is_used(const struct pkl_doc *d, uint64_t idx)
{
	size_t w = (size_t)(idx / 64);
	return w < d->used_words && (d->used[w] >> (idx % 64) & 1);
}

/* Bits set in x (SWAR: the baseline x86-64 target has no popcnt). */
static unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

static size_t memo_slot(const struct pkl_doc *d, uint64_t idx)
{
	size_t w = (size_t)(idx / 64);
	uint64_t below = d->used[w] & ((1ull << (idx % 64)) - 1);
	return d->rank[w] + popcount64(below);
}

/* Argument bytes + 1 of each subset opcode with a fixed-size argument;
 * VAR for the length-prefixed ones; 0 for everything outside the subset. */
#define VAR 100
static const uint8_t oplen[256] = {
	[OP_MARK] = 1, [OP_EMPTY_TUPLE] = 1, [OP_STOP] = 1, [OP_NONE] = 1,
	[OP_EMPTY_LIST] = 1, [OP_APPEND] = 1, [OP_APPENDS] = 1, [OP_SETITEM] = 1,
	[OP_TUPLE] = 1, [OP_SETITEMS] = 1, [OP_EMPTY_DICT] = 1, [OP_TUPLE1] = 1,
	[OP_TUPLE2] = 1, [OP_TUPLE3] = 1, [OP_NEWTRUE] = 1, [OP_NEWFALSE] = 1,
	[OP_MEMOIZE] = 1,
	[OP_PROTO] = 2, [OP_BININT1] = 2, [OP_BINGET] = 2, [OP_BINPUT] = 2,
	[OP_BININT2] = 3,
	[OP_BININT] = 5, [OP_LONG_BINGET] = 5, [OP_LONG_BINPUT] = 5,
	[OP_BINFLOAT] = 9, [OP_FRAME] = 9,
	[OP_LONG1] = VAR, [OP_SHORT_BINUNICODE] = VAR, [OP_LONG4] = VAR,
	[OP_BINUNICODE] = VAR, [OP_BINUNICODE8] = VAR,
};

/* Length of the argument of op at d[pos..] (pos is just past the opcode);
 * refuses anything outside the subset. */
static int arg_len(const unsigned char *d, size_t len, size_t pos, size_t at,
		   size_t *out, char **cause)
{
	int rc;
	size_t k = oplen[d[at]];
	if (k == 0)
		return refuse_op(d[at], at, cause);
	if (k < VAR) {
		k--;
		if (k > len - pos)
			return need(d, len, pos, k, at, cause);
		*out = k;
		return 0;
	}
	switch (d[at]) {
	case OP_LONG1: case OP_SHORT_BINUNICODE:
		if ((rc = need(d, len, pos, 1, at, cause)))
			return rc;
		k = 1 + (size_t)d[pos];
		break;
	case OP_LONG4: case OP_BINUNICODE: {
		if ((rc = need(d, len, pos, 4, at, cause)))
			return rc;
		uint64_t n = le(d + pos, 4);
		if (d[at] == OP_LONG4 && n > INT32_MAX)
			return util_err(cause, UTIL_EINPUT, "byte offset %zu: LONG4 with a negative "
					"length", at);
		k = 4 + (size_t)n;
		break;
	}
	default: { /* BINUNICODE8 */
		if ((rc = need(d, len, pos, 8, at, cause)))
			return rc;
		uint64_t n = le(d + pos, 8);
		if (n > len - pos - 8)
			return util_err(cause, UTIL_EINPUT,
					"byte offset %zu: BINUNICODE8 of %llu bytes but the pickle ends "
					"%zu bytes later (cut stream)", at, (unsigned long long)n,
					len - pos - 8);
		k = 8 + (size_t)n;
		break;
	}
	}
	if ((rc = need(d, len, pos, k, at, cause)))
		return rc;
	*out = k;
	return 0;
}

/* Store at memo index idx in the first pass's bookkeeping (mlen). */
static int scan_put(struct pkl_doc *d, uint64_t idx, size_t at, char **cause)
{
	if (idx > d->mlen)
		return util_err(cause, UTIL_EINPUT,
				"byte offset %zu: memo index %llu is out of range: only %zu entries "
				"stored so far", at, (unsigned long long)idx, d->mlen);
	if (idx == d->mlen)
		d->mlen++;
	return 0;
}

static int scan(struct pkl_doc *d, char **cause)
{
	const unsigned char *p = d->data;
	size_t len = d->len, pos = 0;
	if (len == 0)
		return util_err(cause, UTIL_EINPUT, "byte offset 0: empty input, not a pickle");
	if (p[0] != OP_PROTO)
		return util_err(cause, UTIL_EINPUT,
				"byte offset 0: not a pickle of protocol 2 to 5 (expected PROTO 0x80, "
				"found 0x%02x)", p[0]);
	while (pos < len) {
		size_t at = pos++, k = oplen[p[at]];
		int rc;
		if (k > 0 && k < VAR && k - 1 <= len - pos)
			k--;
		else if ((rc = arg_len(p, len, pos, at, &k, cause)))
			return rc;
		switch (p[at]) {
		case OP_PROTO:
			if (p[pos] < 2 || p[pos] > 5)
				return util_err(cause, UTIL_EINPUT,
						"byte offset %zu: pickle protocol %u is not supported "
						"(2 to 5 are)", at, p[pos]);
			break;
		case OP_FRAME: {
			uint64_t n = le(p + pos, 8);
			if (n > len - pos - 8)
				return util_err(cause, UTIL_EINPUT,
						"byte offset %zu: FRAME announces %llu bytes but only %zu "
						"remain (cut stream)", at, (unsigned long long)n,
						len - pos - 8);
			break;
		}
		case OP_MEMOIZE:
			d->mlen++;
			break;
		case OP_BINPUT: case OP_LONG_BINPUT:
			if ((rc = scan_put(d, le(p + pos, k), at, cause)))
				return rc;
			break;
		case OP_BINGET: case OP_LONG_BINGET: {
			uint64_t idx = le(p + pos, k);
			if (idx >= d->mlen)
				return util_err(cause, UTIL_EINPUT,
						"byte offset %zu: memo index %llu is out of range: only "
						"%zu entries stored so far", at,
						(unsigned long long)idx, d->mlen);
			mark_used(d, idx);
			break;
		}
		case OP_STOP:
			return 0;
		default:
			break;
		}
		pos += k;
	}
	return util_err(cause, UTIL_EINPUT,
			"byte offset %zu: the pickle ends without STOP (cut stream)", len);
}

/* Rank table and memo slots for the fetched indices only. */
static void memo_prepare(struct pkl_doc *d)
{
	size_t r = 0, cap = 0;
	grow(d, &d->rank, sizeof(*d->rank), d->used_words + 1, &cap);
	for (size_t w = 0; w < d->used_words; w++) {
		d->rank[w] = (uint32_t)r;
		r += popcount64(d->used[w]);
	}
	d->n_memo = r;
	d->memo = util_xcalloc(r ? r : 1, sizeof(*d->memo));
	account(d, (r ? r : 1) * sizeof(*d->memo), 0);
}

/* ---- values ---- */

static struct pkl_value *node(struct pkl_doc *d, int type)
{
	struct pkl_value *v = d->free_list;
	if (v) {
		d->free_list = v->u.next;
	} else {
		if (!d->slabs || d->slab_used == SLAB_N) {
			struct slab *s = util_xmalloc(sizeof(*s));
			s->next = d->slabs;
			d->slabs = s;
			d->slab_used = 0;
			account(d, sizeof(*s), 0);
		}
		v = &d->slabs->v[d->slab_used++];
	}
	v->type = (uint8_t)type;
	v->frozen = 0;
	v->immortal = 0;
	v->refs = 1;
	if (type >= PKL_TUPLE) {
		v->depth = 1;
		v->u.c.v = NULL;
		v->u.c.n = v->u.c.cap = 0;
		v->u.c.id = ++d->next_id;
		v->u.c.count = 0;
	} else {
		v->depth = 0;
	}
	return v;
}

static void incref(struct pkl_value *v)
{
	if (!v->immortal)
		v->refs++;
}

/* Drop one reference. Recursion depth is bounded by the nesting limit. */
static void decref(struct pkl_doc *d, struct pkl_value *v)
{
	if (!v || v->immortal || --v->refs > 0)
		return;
	if (v->type >= PKL_TUPLE) {
		for (uint32_t i = 0; i < v->u.c.n; i++)
			decref(d, v->u.c.v[i]);
		account(d, 0, (size_t)v->u.c.cap * sizeof(*v->u.c.v));
		free(v->u.c.v);
	}
	v->u.next = d->free_list;
	d->free_list = v;
}

/* Once nested, a container is final: this is what rules out cycles. */
static void freeze(struct pkl_value *v)
{
	if (v && !v->immortal)
		v->frozen = 1;
}

static unsigned vdepth(const struct pkl_value *v)
{
	return v && v->type >= PKL_TUPLE ? v->depth : 0;
}

/* Make room for add more slots in container c. */
static int reserve(struct pkl_doc *d, struct pkl_value *c, size_t add, size_t at,
		   char **cause)
{
	size_t need_n = (size_t)c->u.c.n + add;
	if (need_n > UINT32_MAX)
		return util_err(cause, UTIL_EINPUT,
				"byte offset %zu: a container with more than 2^32 items", at);
	if (need_n <= c->u.c.cap)
		return 0;
	/* The first batch gets exactly its size (most containers get one batch). */
	size_t cap = c->u.c.cap ? (size_t)c->u.c.cap * 2 : need_n;
	if (cap < need_n)
		cap = need_n;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	c->u.c.v = util_xrealloc(c->u.c.v, cap * sizeof(*c->u.c.v));
	account(d, cap * sizeof(*c->u.c.v), (size_t)c->u.c.cap * sizeof(*c->u.c.v));
	c->u.c.cap = (uint32_t)cap;
	return 0;
}

static int set_depth(struct pkl_doc *d, struct pkl_value *c, unsigned child, size_t at,
		     char **cause)
{
	if (child + 1 > c->depth) {
		if (child + 1 > d->max_depth)
			return util_err(cause, UTIL_EINPUT,
					"byte offset %zu: values nested deeper than %u levels",
					at, d->max_depth);
		c->depth = (uint16_t)(child + 1);
	}
	return 0;
}

/*
 * Attach item (and key, for a dict) to parent, taking over the caller's
 * references. On error nothing is taken over.
 */
static int attach(struct pkl_doc *d, struct pkl_value *parent, struct pkl_value *key,
		  struct pkl_value *item, size_t at, char **cause)
{
	const char *what = parent->type == PKL_DICT ? "dict" : "list";
	if (parent->frozen)
		return util_err(cause, UTIL_EINPUT,
				"byte offset %zu: %s adds to a %s that is already nested in "
				"another container or consumed (not a snapshot pickle)", at, op_name(d->data[at]), what);
	if (item == parent || key == parent)
		return util_err(cause, UTIL_EINPUT,
				"byte offset %zu: %s adds a %s to itself (cyclic values are not "
				"supported)", at, op_name(d->data[at]), what);
	unsigned dep = vdepth(item) > vdepth(key) ? vdepth(item) : vdepth(key);
	int rc = set_depth(d, parent, dep, at, cause);
	if (rc)
		return rc;
	if ((rc = reserve(d, parent, key ? 2 : 1, at, cause)))
		return rc;
	freeze(item);
	freeze(key);
	uint64_t index = parent->u.c.count++;
	if (d->attach) {
		rc = d->attach(d->arg, parent, key, index, item, cause);
		if (rc < 0)
			return util_err(cause, rc, "byte offset %zu: import of an item failed", at);
		if (rc == PKL_TAKE) {
			decref(d, key);
			decref(d, item);
			return 0;
		}
	}
	if (key)
		parent->u.c.v[parent->u.c.n++] = key;
	parent->u.c.v[parent->u.c.n++] = item;
	return 0;
}

/* ---- second pass: the stack machine ---- */

static void push(struct pkl_doc *d, struct pkl_value *v)
{
	if (d->sn == d->scap)
		grow(d, &d->stack, sizeof(*d->stack), d->sn + 1, &d->scap);
	d->stack[d->sn++] = v;
}

static int underflow(size_t at, unsigned char op, size_t want, size_t have, char **cause)
{
	return util_err(cause, UTIL_EINPUT,
			"byte offset %zu: %s needs %zu values on the stack, found %zu", at,
			op_name(op), want, have);
}

/* Values above the innermost MARK: what an opcode may pop (Python gives
 * each MARK a fresh stack). */
static size_t avail(const struct pkl_doc *d)
{
	return d->sn - (d->mn ? d->marks[d->mn - 1] : 0);
}

static int pop_mark(struct pkl_doc *d, size_t at, size_t *m, char **cause)
{
	if (d->mn == 0)
		return util_err(cause, UTIL_EINPUT, "byte offset %zu: %s without a MARK", at,
				op_name(d->data[at]));
	*m = d->marks[--d->mn];
	return 0;
}

static int target(struct pkl_doc *d, size_t below, int type, size_t at,
		  struct pkl_value **out, char **cause)
{
	if (below == 0 || below - 1 < (d->mn ? d->marks[d->mn - 1] : 0))
		return util_err(cause, UTIL_EINPUT, "byte offset %zu: %s has nothing to add to",
				at, op_name(d->data[at]));
	struct pkl_value *t = d->stack[below - 1];
	if (t->type != type)
		return util_err(cause, UTIL_EINPUT, "byte offset %zu: %s adds to a %s, not a %s",
				at, op_name(d->data[at]), pkl_type_name(t->type),
				pkl_type_name(type));
	*out = t;
	return 0;
}

/* Offer a dict that received items to the consumer; drop its items if
 * the consumer took them (it stays frozen: nothing more may be added). */
static int filled(struct pkl_doc *d, struct pkl_value *t, size_t at, char **cause)
{
	if (!d->filled)
		return 0;
	int rc = d->filled(d->arg, t, cause);
	if (rc < 0)
		return util_err(cause, rc, "byte offset %zu: import of a dict failed", at);
	if (rc != PKL_TAKE)
		return 0;
	for (uint32_t i = 0; i < t->u.c.n; i++)
		decref(d, t->u.c.v[i]);
	account(d, 0, (size_t)t->u.c.cap * sizeof(*t->u.c.v));
	free(t->u.c.v);
	t->u.c.v = NULL;
	t->u.c.n = t->u.c.cap = 0;
	t->frozen = 1;
	return 0;
}

/* Move stack[from..sn) into t (a list or dict); step 1 or 2. */
static int attach_run(struct pkl_doc *d, struct pkl_value *t, size_t from, size_t at,
		      char **cause)
{
	int dict = t->type == PKL_DICT;
	if (dict && (d->sn - from) % 2)
		return util_err(cause, UTIL_EINPUT,
				"byte offset %zu: SETITEMS with an odd number of values", at);
	for (size_t i = from; i < d->sn; i += dict ? 2 : 1) {
		struct pkl_value *k = dict ? d->stack[i] : NULL;
		struct pkl_value *v = d->stack[i + (dict ? 1 : 0)];
		int rc = attach(d, t, k, v, at, cause);
		if (rc)
			return rc;
		d->stack[i] = NULL;
		if (dict)
			d->stack[i + 1] = NULL;
	}
	d->sn = from;
	return dict ? filled(d, t, at, cause) : 0;
}

static int make_tuple(struct pkl_doc *d, size_t from, size_t at, char **cause)
{
	size_t n = d->sn - from;
	struct pkl_value *t = node(d, PKL_TUPLE);
	int rc = reserve(d, t, n, at, cause);
	for (size_t i = from; rc == 0 && i < d->sn; i++)
		rc = set_depth(d, t, vdepth(d->stack[i]), at, cause);
	if (rc) {
		decref(d, t);
		return rc;
	}
	for (size_t i = from; i < d->sn; i++) {
		freeze(d->stack[i]);
		t->u.c.v[t->u.c.n++] = d->stack[i];
	}
	t->u.c.count = n;
	d->sn = from;
	push(d, t);
	return 0;
}

static int memo_put(struct pkl_doc *d, uint64_t idx, size_t at, char **cause)
{
	if (avail(d) == 0)
		return underflow(at, d->data[at], 1, 0, cause);
	if (idx == d->mlen)
		d->mlen++;
	if (!is_used(d, idx))
		return 0; /* never fetched: not worth keeping */
	size_t s = memo_slot(d, idx);
	decref(d, d->memo[s]);
	d->memo[s] = d->stack[d->sn - 1];
	incref(d->memo[s]);
	return 0;
}

static int memo_get(struct pkl_doc *d, uint64_t idx, size_t at, char **cause)
{
	struct pkl_value *v = is_used(d, idx) ? d->memo[memo_slot(d, idx)] : NULL;
	if (!v)
		return util_err(cause, UTIL_EINPUT, "byte offset %zu: memo index %llu was never "
				"stored", at, (unsigned long long)idx);
	incref(v);
	push(d, v);
	return 0;
}

static int int_value(struct pkl_doc *d, const unsigned char *p, size_t n, size_t at,
		     char **cause)
{
	/* n bytes of little-endian two's complement (LONG1/LONG4). */
	uint64_t u = 0;
	size_t k = n < 8 ? n : 8;
	u = le(p, k);
	int neg = n > 0 && (p[n - 1] & 0x80);
	if (k > 0 && k < 8 && (p[k - 1] & 0x80))
		u |= ~0ull << (8 * k);
	for (size_t i = 8; i < n; i++)
		if (p[i] != (neg ? 0xff : 0x00))
			goto wide;
	if (n > 8 && (int)(u >> 63) != (neg ? 1 : 0))
		goto wide;
	struct pkl_value *v = node(d, PKL_INT);
	v->u.i = (int64_t)u;
	push(d, v);
	return 0;
wide:
	return util_err(cause, UTIL_EINPUT,
			"byte offset %zu: an integer of %zu bytes does not fit in 64 bits", at, n);
}

static void push_int(struct pkl_doc *d, int64_t i)
{
	struct pkl_value *v = node(d, PKL_INT);
	v->u.i = i;
	push(d, v);
}

static void push_str(struct pkl_doc *d, const unsigned char *p, size_t n)
{
	struct pkl_value *v = node(d, PKL_STR);
	v->u.s.p = (const char *)p;
	v->u.s.n = n;
	push(d, v);
}

/* One opcode at d->data[at] with its argument at arg (k bytes). */
static int step(struct pkl_doc *d, size_t at, const unsigned char *arg, size_t k,
		char **cause)
{
	unsigned char op = d->data[at];
	struct pkl_value *t;
	size_t m;
	int rc;
	switch (op) {
	case OP_PROTO: case OP_FRAME:
		return 0; /* checked by scan(); a frame only groups bytes */
	case OP_NONE: push(d, &v_none); return 0;
	case OP_NEWTRUE: push(d, &v_true); return 0;
	case OP_NEWFALSE: push(d, &v_false); return 0;
	case OP_BININT1: case OP_BININT2: push_int(d, (int64_t)le(arg, k)); return 0;
	case OP_BININT: push_int(d, (int32_t)(uint32_t)le(arg, 4)); return 0;
	case OP_LONG1: return int_value(d, arg + 1, k - 1, at, cause);
	case OP_LONG4: return int_value(d, arg + 4, k - 4, at, cause);
	case OP_BINFLOAT: {
		uint64_t u = 0; /* big-endian IEEE 754 double */
		for (int i = 0; i < 8; i++)
			u = u << 8 | arg[i];
		struct pkl_value *v = node(d, PKL_FLOAT);
		memcpy(&v->u.f, &u, sizeof(u));
		push(d, v);
		return 0;
	}
	case OP_SHORT_BINUNICODE: push_str(d, arg + 1, k - 1); return 0;
	case OP_BINUNICODE: push_str(d, arg + 4, k - 4); return 0;
	case OP_BINUNICODE8: push_str(d, arg + 8, k - 8); return 0;
	case OP_EMPTY_DICT: push(d, node(d, PKL_DICT)); return 0;
	case OP_EMPTY_LIST: push(d, node(d, PKL_LIST)); return 0;
	case OP_EMPTY_TUPLE: return make_tuple(d, d->sn, at, cause);
	case OP_MARK:
		if (d->mn >= d->max_depth)
			return util_err(cause, UTIL_EINPUT,
					"byte offset %zu: more than %u nested MARKs", at, d->max_depth);
		grow(d, &d->marks, sizeof(*d->marks), d->mn + 1, &d->mcap);
		d->marks[d->mn++] = d->sn;
		return 0;
	case OP_APPEND:
		if (avail(d) < 2)
			return underflow(at, op, 2, avail(d), cause);
		if ((rc = target(d, d->sn - 1, PKL_LIST, at, &t, cause)))
			return rc;
		return attach_run(d, t, d->sn - 1, at, cause);
	case OP_SETITEM:
		if (avail(d) < 3)
			return underflow(at, op, 3, avail(d), cause);
		if ((rc = target(d, d->sn - 2, PKL_DICT, at, &t, cause)))
			return rc;
		return attach_run(d, t, d->sn - 2, at, cause);
	case OP_APPENDS: case OP_SETITEMS:
		if ((rc = pop_mark(d, at, &m, cause)))
			return rc;
		if ((rc = target(d, m, op == OP_APPENDS ? PKL_LIST : PKL_DICT, at, &t, cause)))
			return rc;
		return attach_run(d, t, m, at, cause);
	case OP_TUPLE:
		if ((rc = pop_mark(d, at, &m, cause)))
			return rc;
		return make_tuple(d, m, at, cause);
	case OP_TUPLE1: case OP_TUPLE2: case OP_TUPLE3: {
		size_t n = (size_t)(op - OP_TUPLE1) + 1;
		if (avail(d) < n)
			return underflow(at, op, n, avail(d), cause);
		return make_tuple(d, d->sn - n, at, cause);
	}
	case OP_MEMOIZE: return memo_put(d, d->mlen, at, cause);
	case OP_BINPUT: case OP_LONG_BINPUT: return memo_put(d, le(arg, k), at, cause);
	case OP_BINGET: case OP_LONG_BINGET: return memo_get(d, le(arg, k), at, cause);
	default:
		return refuse_op(op, at, cause); /* unreachable: scan() refused it */
	}
}

static int run(struct pkl_doc *d, char **cause)
{
	size_t pos = 0;
	while (pos < d->len) {
		size_t at = pos++, k = oplen[d->data[at]];
		int rc;
		if (k > 0 && k < VAR && k - 1 <= d->len - pos)
			k--;
		else if ((rc = arg_len(d->data, d->len, pos, at, &k, cause)))
			return rc;
		if (d->data[at] == OP_STOP) {
			if (d->sn != 1 || d->mn != 0)
				return util_err(cause, UTIL_EINPUT,
						"byte offset %zu: STOP leaves %zu values and %zu MARKs on "
						"the stack (expected one value)", at, d->sn, d->mn);
			d->root = d->stack[0];
			d->sn = 0;
			return 0;
		}
		if ((rc = step(d, at, d->data + pos, k, cause)))
			return rc;
		pos += k;
	}
	return util_err(cause, UTIL_EINPUT, "byte offset %zu: the pickle ends without STOP",
			d->len);
}

/* Drop the parse state; what only the memo or the stack held is freed. */
static void end_parse(struct pkl_doc *d)
{
	for (size_t i = 0; i < d->sn; i++)
		decref(d, d->stack[i]);
	for (size_t i = 0; i < d->n_memo; i++)
		decref(d, d->memo[i]);
	free(d->stack);
	free(d->marks);
	free(d->used);
	free(d->rank);
	free(d->memo);
	d->stack = NULL;
	d->marks = NULL;
	d->used = NULL;
	d->rank = NULL;
	d->memo = NULL;
	d->sn = d->n_memo = 0;
}

int pkl_parse(const void *data, size_t len, const struct pkl_opts *opts,
	      struct pkl_doc **out, char **cause)
{
	*out = NULL;
	struct pkl_doc *d = util_xcalloc(1, sizeof(*d));
	d->data = data;
	d->len = len;
	d->max_depth = opts && opts->max_depth ? opts->max_depth : PKL_DEFAULT_MAX_DEPTH;
	if (d->max_depth > PKL_HARD_MAX_DEPTH)
		d->max_depth = PKL_HARD_MAX_DEPTH;
	d->attach = opts ? opts->attach : NULL;
	d->filled = opts ? opts->filled : NULL;
	d->arg = opts ? opts->arg : NULL;
	account(d, sizeof(*d), 0);
	int rc = scan(d, cause);
	if (rc == 0) {
		memo_prepare(d);
		d->mlen = 0;
		rc = run(d, cause);
	}
	end_parse(d);
	if (rc) {
		pkl_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void pkl_free(struct pkl_doc *d)
{
	if (!d)
		return;
	end_parse(d);
	decref(d, d->root);
	/* Item arrays of live values were freed by decref; slabs hold the rest. */
	struct slab *s = d->slabs;
	while (s) {
		struct slab *n = s->next;
		free(s);
		s = n;
	}
	free(d);
}

const struct pkl_value *pkl_root(const struct pkl_doc *d)
{
	return d ? d->root : NULL;
}

size_t pkl_peak_bytes(const struct pkl_doc *d)
{
	return d ? d->peak : 0;
}

/* ---- reading ---- */

int pkl_type(const struct pkl_value *v)
{
	return v ? v->type : -1;
}

const char *pkl_type_name(int type)
{
	static const char *const names[] = { "none", "bool", "int", "float", "str",
					     "tuple", "list", "dict" };
	return type >= 0 && type < (int)UTIL_ARRAY_SIZE(names) ? names[type] : "?";
}

int pkl_int(const struct pkl_value *v, int64_t *out)
{
	if (!v || (v->type != PKL_INT && v->type != PKL_BOOL))
		return -1;
	*out = v->u.i;
	return 0;
}

int pkl_float(const struct pkl_value *v, double *out)
{
	if (v && v->type == PKL_FLOAT) {
		*out = v->u.f;
		return 0;
	}
	if (v && v->type == PKL_INT) {
		*out = (double)v->u.i;
		return 0;
	}
	return -1;
}

int pkl_bool(const struct pkl_value *v, int *out)
{
	if (!v || v->type != PKL_BOOL)
		return -1;
	*out = v->u.i != 0;
	return 0;
}

const char *pkl_str(const struct pkl_value *v, size_t *len)
{
	if (!v || v->type != PKL_STR)
		return NULL;
	if (len)
		*len = v->u.s.n;
	return v->u.s.p;
}

int pkl_str_eq(const struct pkl_value *v, const char *s)
{
	size_t n = strlen(s);
	return v && v->type == PKL_STR && v->u.s.n == n && memcmp(v->u.s.p, s, n) == 0;
}

char *pkl_str_copy(const struct pkl_value *v, char *buf, size_t n)
{
	if (!v || v->type != PKL_STR || n == 0)
		return NULL;
	size_t k = v->u.s.n < n - 1 ? v->u.s.n : n - 1;
	memcpy(buf, v->u.s.p, k);
	buf[k] = '\0';
	return buf;
}

size_t pkl_len(const struct pkl_value *v)
{
	if (!v || v->type < PKL_TUPLE)
		return 0;
	return v->type == PKL_DICT ? v->u.c.n / 2 : v->u.c.n;
}

const struct pkl_value *pkl_item(const struct pkl_value *v, size_t i)
{
	if (!v || (v->type != PKL_LIST && v->type != PKL_TUPLE) || i >= v->u.c.n)
		return NULL;
	return v->u.c.v[i];
}

const struct pkl_value *pkl_key(const struct pkl_value *v, size_t i)
{
	if (!v || v->type != PKL_DICT || i >= v->u.c.n / 2)
		return NULL;
	return v->u.c.v[2 * i];
}

const struct pkl_value *pkl_val(const struct pkl_value *v, size_t i)
{
	if (!v || v->type != PKL_DICT || i >= v->u.c.n / 2)
		return NULL;
	return v->u.c.v[2 * i + 1];
}

const struct pkl_value *pkl_get(const struct pkl_value *dict, const char *key)
{
	if (!dict || dict->type != PKL_DICT)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = dict->u.c.n / 2; i-- > 0;) {
		const struct pkl_value *k = dict->u.c.v[2 * i];
		if (k->type == PKL_STR && k->u.s.n == n && memcmp(k->u.s.p, key, n) == 0)
			return dict->u.c.v[2 * i + 1];
	}
	return NULL;
}

int pkl_get_int(const struct pkl_value *dict, const char *key, int64_t *out)
{
	return pkl_int(pkl_get(dict, key), out);
}

uint64_t pkl_id(const struct pkl_value *v)
{
	return v && v->type >= PKL_TUPLE ? v->u.c.id : 0;
}

uint64_t pkl_count(const struct pkl_value *v)
{
	return v && v->type >= PKL_TUPLE ? v->u.c.count : 0;
}
