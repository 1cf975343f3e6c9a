/*
 * torchalloc.c - PyTorch's CUDA caching allocator, re-implemented as a
 * model (see torchalloc.h for what it covers).
 *
 * The behaviour follows pytorch/pytorch c10/cuda/CUDACachingAllocator.cpp
 * at commit 001074d (DeviceCachingAllocator: malloc, get_free_block,
 * alloc_block, should_split, alloc_found_block, free_block,
 * try_merge_blocks, release_available_cached_blocks,
 * release_cached_blocks, garbage_collect_cached_blocks and the
 * ExpandableSegment map/unmap logic) and c10/core/AllocatorConfig.cpp
 * (the configuration parser); the comments name the function each part
 * models. The code is our own: blocks live in one array addressed by
 * 1-based ids, and the two ordered sets PyTorch keeps per pool (free
 * blocks by (stream, size, address); unmapped ranges by (stream,
 * address)) are treaps threaded through the blocks, so every step is
 * O(log n) and a replay of millions of events stays fast.
 *
 * Addresses are the model's own: segments get increasing addresses from
 * a bump pointer (cudaMalloc's real addresses are unknown), which only
 * decides ties between free blocks of equal size.
 *
 * Over 800 lines on purpose: the allocator's functions call each other
 * around shared block and pool state, as in PyTorch's one source file;
 * the treaps and the configuration parser are the only separable parts
 * and are small.
 */
#include "torchalloc.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1ull << 20)
/* DataPtr allocate(): "Tried to allocate more than 1EB memory" is an OOM. */
#define ONE_EXA_BYTE (1ull << 60)
/* Address space for an expandable segment when the device size is unknown. */
#define DEFAULT_DEVICE_TOTAL (1ull << 40)
/* Larger devices are modelled as this large (1 PiB). */
#define MAX_DEVICE_TOTAL (1ull << 50)
/* Where the model's segment addresses start (any nonzero 2 MiB multiple). */
#define VA_BASE (1ull << 40)

enum { T_NONE = 0, T_FREE, T_UNMAPPED };

struct blk {
	uint64_t addr, size;
	uint64_t requested;  /* as asked, while allocated */
	uint64_t stream;
	int64_t  gc_base;    /* pool's get_free_block count when cached (gc_count_base) */
	uint32_t prev, next; /* neighbours in the segment; 0 = none */
	uint32_t l, r;       /* treap children in the tree named by 'tree' */
	uint32_t prio;       /* treap priority; also the free-list link of a dead block */
	uint32_t es;         /* expandable segment index + 1; 0 = a cudaMalloc segment */
	uint8_t  small;      /* pool */
	uint8_t  allocated;
	uint8_t  mapped;     /* always 1 outside expandable segments */
	uint8_t  tree;       /* T_* */
	uint8_t  live;
};

struct pool {
	uint32_t blocks;     /* free mapped blocks by (stream, size, address) */
	uint32_t unmapped;   /* unmapped expandable ranges by (stream, address) */
	int64_t  gc_calls;   /* get_free_blocks_call_count */
	int      small;
	/* In 'blocks': wholly free cudaMalloc segments, and expandable
	 * blocks. Emptying the cache looks at nothing else, so when both are
	 * 0 (an OOM after an OOM) it costs nothing. A cached cudaMalloc
	 * block stays whole or split while cached: its neighbours are
	 * allocated, since free neighbours always merge. */
	uint64_t n_whole, n_es;
};

struct eseg {
	uint64_t base, va_size, page;
	int      live;
};

struct torchalloc {
	struct torchalloc_conf c;
	uint64_t total;       /* device memory (address space of expandable segments) */
	uint64_t allowed;     /* allowed_memory_maximum when a fraction is set */
	int      set_fraction;
	uint64_t limit;       /* of the malloc in progress */
	uint64_t tried;       /* bytes the last failed device allocation wanted */
	struct blk *b;
	size_t   nb, ab;
	uint32_t dead;        /* free list of block ids */
	struct pool pools[2]; /* 0 small, 1 large */
	struct eseg *es;
	size_t   nes, aes;
	uint64_t next_va;
	uint32_t rng;
	struct torchalloc_stats st;
};

#define B(a, i) (&(a)->b[(i) - 1])

/* ---- blocks ---- */

static uint32_t rnd(struct torchalloc *a)
{
	uint32_t x = a->rng; /* xorshift32: deterministic, so replays repeat */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return a->rng = x;
}

static uint32_t blk_new(struct torchalloc *a)
{
	uint32_t id;
	if (a->dead) {
		id = a->dead;
		a->dead = B(a, id)->prio;
	} else {
		UTIL_GROW(a->b, a->nb + 1, a->ab);
		id = (uint32_t)++a->nb;
	}
	memset(B(a, id), 0, sizeof(struct blk));
	B(a, id)->prio = rnd(a);
	B(a, id)->mapped = 1;
	B(a, id)->live = 1;
	return id;
}

static void blk_del(struct torchalloc *a, uint32_t id)
{
	struct blk *b = B(a, id);
	b->live = 0;
	b->prio = a->dead;
	a->dead = id;
}

/* Model address space: cudaMalloc and cuMemAddressReserve stand-in. */
static uint64_t va_take(struct torchalloc *a, uint64_t bytes)
{
	uint64_t at = a->next_va;
	a->next_va += (bytes + TORCHALLOC_ROUND_LARGE - 1) / TORCHALLOC_ROUND_LARGE *
		      TORCHALLOC_ROUND_LARGE;
	return at;
}

/* ---- ordered sets: treaps keyed by (stream, size, addr) or (stream, addr) ---- */

struct key {
	uint64_t stream, size, addr;
};

static struct key key_of(const struct blk *b)
{
	return (struct key){ b->stream, b->size, b->addr };
}

/* Order of k against block b: BlockComparatorSize / BlockComparatorAddress. */
static int kcmp(const struct key *k, const struct blk *b, int byaddr)
{
	if (k->stream != b->stream)
		return k->stream < b->stream ? -1 : 1;
	if (!byaddr && k->size != b->size)
		return k->size < b->size ? -1 : 1;
	if (k->addr != b->addr)
		return k->addr < b->addr ? -1 : 1;
	return 0;
}

/* Split t into the nodes below k (*l) and the rest (*r). */
static void t_split(struct torchalloc *a, uint32_t t, const struct key *k, int byaddr,
		    uint32_t *l, uint32_t *r)
{
	if (!t) {
		*l = *r = 0;
		return;
	}
	if (kcmp(k, B(a, t), byaddr) > 0) {
		t_split(a, B(a, t)->r, k, byaddr, &B(a, t)->r, r);
		*l = t;
	} else {
		t_split(a, B(a, t)->l, k, byaddr, l, &B(a, t)->l);
		*r = t;
	}
}

static uint32_t t_merge(struct torchalloc *a, uint32_t l, uint32_t r)
{
	if (!l || !r)
		return l ? l : r;
	if (B(a, l)->prio > B(a, r)->prio) {
		B(a, l)->r = t_merge(a, B(a, l)->r, r);
		return l;
	}
	B(a, r)->l = t_merge(a, l, B(a, r)->l);
	return r;
}

static void t_insert(struct torchalloc *a, uint32_t *root, uint32_t id, int byaddr)
{
	struct key k = key_of(B(a, id));
	uint32_t l, r;
	t_split(a, *root, &k, byaddr, &l, &r);
	B(a, id)->l = B(a, id)->r = 0;
	*root = t_merge(a, t_merge(a, l, id), r);
}

static uint32_t t_remove(struct torchalloc *a, uint32_t t, uint32_t id, const struct key *k,
			 int byaddr)
{
	if (!t)
		return 0;
	if (t == id)
		return t_merge(a, B(a, t)->l, B(a, t)->r);
	if (kcmp(k, B(a, t), byaddr) < 0)
		B(a, t)->l = t_remove(a, B(a, t)->l, id, k, byaddr);
	else
		B(a, t)->r = t_remove(a, B(a, t)->r, id, k, byaddr);
	return t;
}

/* Smallest node >= k (strict: > k); 0 if none. */
static uint32_t t_lower(const struct torchalloc *a, uint32_t t, const struct key *k, int byaddr,
			int strict)
{
	uint32_t cand = 0;
	while (t) {
		int c = kcmp(k, B(a, t), byaddr);
		if (c < 0 || (c == 0 && !strict)) {
			cand = t;
			t = B(a, t)->l;
		} else {
			t = B(a, t)->r;
		}
	}
	return cand;
}

/* Largest node < k; 0 if none. */
static uint32_t t_below(const struct torchalloc *a, uint32_t t, const struct key *k, int byaddr)
{
	uint32_t cand = 0;
	while (t) {
		if (kcmp(k, B(a, t), byaddr) > 0) {
			cand = t;
			t = B(a, t)->r;
		} else {
			t = B(a, t)->l;
		}
	}
	return cand;
}

/* Append the nodes of t in order to *v (n used, *cap allocated). */
static void t_collect(const struct torchalloc *a, uint32_t t, uint32_t **v, size_t *n, size_t *cap)
{
	while (t) {
		t_collect(a, B(a, t)->l, v, n, cap);
		UTIL_GROW(*v, *n + 1, *cap);
		(*v)[(*n)++] = t;
		t = B(a, t)->r;
	}
}

static uint32_t t_first(const struct torchalloc *a, uint32_t t)
{
	while (t && B(a, t)->l)
		t = B(a, t)->l;
	return t;
}

/* The pool's set a block belongs to, and moves in and out of it. */
static struct pool *pool_of(struct torchalloc *a, uint32_t id)
{
	return &a->pools[B(a, id)->small ? 0 : 1];
}

/* BlockPool::insert_into_blocks: cache a free block, stamping its age. */
static void count_cached(struct torchalloc *a, struct pool *p, uint32_t id, int64_t d)
{
	const struct blk *b = B(a, id);
	if (b->es)
		p->n_es += (uint64_t)d;
	else if (!b->prev && !b->next)
		p->n_whole += (uint64_t)d;
}

static void cache_insert(struct torchalloc *a, uint32_t id)
{
	struct pool *p = pool_of(a, id);
	B(a, id)->tree = T_FREE;
	B(a, id)->gc_base = p->gc_calls;
	t_insert(a, &p->blocks, id, 0);
	count_cached(a, p, id, 1);
}

static void unmapped_insert(struct torchalloc *a, uint32_t id)
{
	B(a, id)->tree = T_UNMAPPED;
	t_insert(a, &pool_of(a, id)->unmapped, id, 1);
}

static void tree_remove(struct torchalloc *a, uint32_t id)
{
	struct pool *p = pool_of(a, id);
	struct key k = key_of(B(a, id));
	if (B(a, id)->tree == T_FREE) {
		p->blocks = t_remove(a, p->blocks, id, &k, 0);
		count_cached(a, p, id, -1);
	}
	else if (B(a, id)->tree == T_UNMAPPED)
		p->unmapped = t_remove(a, p->unmapped, id, &k, 1);
	B(a, id)->tree = T_NONE;
}

static uint32_t next_in_tree(const struct torchalloc *a, uint32_t root, uint32_t id, int byaddr)
{
	struct key k = key_of(B(a, id));
	return t_lower(a, root, &k, byaddr, 1);
}

/* ---- statistics ---- */

static void add_reserved(struct torchalloc *a, uint64_t bytes)
{
	a->st.reserved += bytes;
	if (a->st.reserved > a->st.peak_reserved)
		a->st.peak_reserved = a->st.reserved;
}

/* Would the device give bytes more? (cudaMalloc / cuMemCreate success) */
static int device_fits(struct torchalloc *a, uint64_t bytes)
{
	if (a->st.reserved <= a->limit && bytes <= a->limit - a->st.reserved)
		return 1;
	a->tried = bytes;
	return 0;
}

/* ---- configuration ---- */

void torchalloc_conf_init(struct torchalloc_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_split_size = UINT64_MAX;
	c->max_non_split_rounding = TORCHALLOC_LARGE_BUFFER;
}

/* ConfigTokenizer: ',', ':', '[' and ']' are tokens of their own; other
 * runs of characters are words; blanks separate nothing and vanish. */
struct tok {
	const char *p;
	size_t n;
	size_t off;
};

static int is_punct(char ch)
{
	return ch == ',' || ch == ':' || ch == '[' || ch == ']';
}

static size_t tokenize(const char *s, struct tok *t)
{
	size_t n = 0;
	for (size_t i = 0; s[i];) {
		if (isspace((unsigned char)s[i])) {
			i++;
		} else if (is_punct(s[i])) {
			t[n++] = (struct tok){ s + i, 1, i };
			i++;
		} else {
			size_t j = i;
			while (s[j] && !is_punct(s[j]) && !isspace((unsigned char)s[j]))
				j++;
			t[n++] = (struct tok){ s + i, j - i, i };
			i = j;
		}
	}
	return n;
}

static int tok_is(const struct tok *t, const char *w)
{
	return t->n == strlen(w) && memcmp(t->p, w, t->n) == 0;
}

struct cparse {
	const struct tok *t;
	size_t n;
	char **cause;
};

static int tok_word(const struct cparse *cp, size_t i, const char *key, const char *what,
		    char *buf, size_t nbuf)
{
	if (i >= cp->n)
		return util_err(cp->cause, UTIL_EINPUT, "%s: expected %s, found the end", key, what);
	const struct tok *t = &cp->t[i];
	if (t->n >= nbuf || (t->n == 1 && is_punct(t->p[0])))
		return util_err(cp->cause, UTIL_EINPUT, "%s: expected %s, got '%.*s' at offset %zu",
				key, what, (int)(t->n > 40 ? 40 : t->n), t->p, t->off);
	memcpy(buf, t->p, t->n);
	buf[t->n] = '\0';
	return 0;
}

static int expect_punct(const struct cparse *cp, size_t i, char ch, const char *key)
{
	if (i < cp->n && cp->t[i].n == 1 && cp->t[i].p[0] == ch)
		return 0;
	if (i >= cp->n)
		return util_err(cp->cause, UTIL_EINPUT, "%s: expected '%c', found the end", key, ch);
	return util_err(cp->cause, UTIL_EINPUT, "%s: expected '%c' at offset %zu, got '%.*s'", key,
			ch, cp->t[i].off, (int)(cp->t[i].n > 40 ? 40 : cp->t[i].n), cp->t[i].p);
}

/* ConfigTokenizer::toSizeT: digits only. */
static int tok_size(const struct cparse *cp, size_t i, const char *key, uint64_t *v)
{
	char buf[32];
	int rc = tok_word(cp, i, key, "a whole number", buf, sizeof(buf));
	if (rc)
		return rc;
	for (const char *q = buf; *q; q++)
		if (!isdigit((unsigned char)*q))
			return util_err(cp->cause, UTIL_EINPUT, "%s: expected a whole number, got '%s'",
					key, buf);
	errno = 0;
	*v = strtoull(buf, NULL, 10);
	if (errno)
		return util_err(cp->cause, UTIL_EINPUT, "%s: '%s' is too large", key, buf);
	return 0;
}

/* ConfigTokenizer::toBool. */
static int tok_bool(const struct cparse *cp, size_t i, const char *key, int *v)
{
	char buf[16];
	int rc = tok_word(cp, i, key, "True or False", buf, sizeof(buf));
	if (rc)
		return rc;
	if (!strcmp(buf, "True") || !strcmp(buf, "true"))
		*v = 1;
	else if (!strcmp(buf, "False") || !strcmp(buf, "false"))
		*v = 0;
	else
		return util_err(cp->cause, UTIL_EINPUT, "%s: expected True or False, got '%s'", key, buf);
	return 0;
}

/* A fraction strictly between 0 and 1 (parseGarbageCollectionThreshold). */
static int tok_fraction(const struct cparse *cp, size_t i, const char *key, int one_ok, double *v)
{
	char buf[40], *end;
	int rc = tok_word(cp, i, key, "a number", buf, sizeof(buf));
	if (rc)
		return rc;
	errno = 0;
	*v = strtod(buf, &end);
	if (end == buf || *end || errno || !isfinite(*v) || *v <= 0 || *v > 1 || (*v == 1 && !one_ok))
		return util_err(cp->cause, UTIL_EINPUT, "%s: expected a number in (0, 1%c, got '%s'",
				key, one_ok ? ']' : ')', buf);
	return 0;
}

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static unsigned log2_floor(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

/* parseMaxSplitSize / parseMaxNonSplitRoundingSize: MiB, at least
 * kLargeBuffer (20 MiB); values beyond SIZE_MAX/MiB saturate. */
static int parse_mib(const struct cparse *cp, size_t i, const char *key, uint64_t *bytes)
{
	uint64_t v;
	int rc = tok_size(cp, i, key, &v);
	if (rc)
		return rc;
	if (v < TORCHALLOC_LARGE_BUFFER / MIB)
		return util_err(cp->cause, UTIL_EINPUT, "%s: %llu is too small: at least %llu (MiB)",
				key, (unsigned long long)v,
				(unsigned long long)(TORCHALLOC_LARGE_BUFFER / MIB));
	*bytes = v >= UINT64_MAX / MIB ? UINT64_MAX : v * MIB;
	return 0;
}

/*
 * parseRoundUpPower2Divisions: either one power of two for every interval,
 * or [B:N,...,>:N] where B is the lower bound of an interval in MiB (a
 * power of two), N 0 or a power of two; the first entry also covers the
 * intervals below it, '>' every interval after the last one named.
 */
static int parse_divisions(const struct cparse *cp, size_t *ip, const char *key,
			   struct torchalloc_conf *c)
{
	size_t i = *ip;
	int rc;
	uint64_t v;
	if (i < cp->n && tok_is(&cp->t[i], "[")) {
		int first = 1;
		size_t last = 0;
		for (i++; i < cp->n && !tok_is(&cp->t[i], "]"); i++) {
			const struct tok *bound = &cp->t[i];
			if ((rc = expect_punct(cp, i + 1, ':', key)) || (rc = tok_size(cp, i + 2, key, &v)))
				return rc;
			if (v && !is_pow2(v))
				return util_err(cp->cause, UTIL_EINPUT, "%s: divisions must be 0 or a "
						"power of 2, got %llu", key, (unsigned long long)v);
			if (tok_is(bound, ">")) {
				for (size_t k = last + 1; k < TORCHALLOC_INTERVALS; k++)
					c->divisions[k] = (uint32_t)v;
			} else {
				uint64_t b;
				if ((rc = tok_size(cp, i, key, &b)))
					return rc;
				if (!is_pow2(b))
					return util_err(cp->cause, UTIL_EINPUT, "%s: interval bound %llu is "
							"not a power of 2", key, (unsigned long long)b);
				size_t idx = log2_floor(b);
				if (idx > TORCHALLOC_INTERVALS - 1)
					idx = TORCHALLOC_INTERVALS - 1;
				for (size_t k = 0; first && k < idx; k++)
					c->divisions[k] = (uint32_t)v;
				first = 0;
				c->divisions[idx] = (uint32_t)v;
				last = idx;
			}
			i += 2;
			if (i + 1 < cp->n && !tok_is(&cp->t[i + 1], "]")) {
				if ((rc = expect_punct(cp, i + 1, ',', key)))
					return rc;
				i++;
			}
		}
		if (i >= cp->n)
			return util_err(cp->cause, UTIL_EINPUT, "%s: expected ']' before the end", key);
	} else {
		if ((rc = tok_size(cp, i, key, &v)))
			return rc;
		if (!is_pow2(v))
			return util_err(cp->cause, UTIL_EINPUT, "%s: divisions must be a power of 2, "
					"got %llu", key, (unsigned long long)v);
		for (size_t k = 0; k < TORCHALLOC_INTERVALS; k++)
			c->divisions[k] = (uint32_t)v;
	}
	*ip = i;
	return 0;
}

static const char known_keys[] =
	"expandable_segments, max_split_size_mb, max_non_split_rounding_mb, "
	"roundup_power2_divisions, garbage_collection_threshold, per_process_memory_fraction, "
	"backend, release_lock_on_cudamalloc, pinned_use_cuda_host_register, "
	"pinned_num_register_threads, pinned_use_background_threads, "
	"pinned_reserve_segment_size_mb, graph_capture_record_stream_reuse";

/* One key:value; *ip is on the value's first token, left on its last. */
static int parse_pair(const struct cparse *cp, const char *key, size_t *ip,
		      struct torchalloc_conf *c)
{
	uint64_t v;
	int b;
	if (!strcmp(key, "max_split_size_mb"))
		return parse_mib(cp, *ip, key, &c->max_split_size);
	if (!strcmp(key, "max_non_split_rounding_mb"))
		return parse_mib(cp, *ip, key, &c->max_non_split_rounding);
	if (!strcmp(key, "garbage_collection_threshold"))
		return tok_fraction(cp, *ip, key, 0, &c->gc_threshold);
	if (!strcmp(key, "per_process_memory_fraction"))
		return tok_fraction(cp, *ip, key, 1, &c->memory_fraction);
	if (!strcmp(key, "roundup_power2_divisions"))
		return parse_divisions(cp, ip, key, c);
	if (!strcmp(key, "expandable_segments"))
		return tok_bool(cp, *ip, key, &c->expandable);
	if (!strcmp(key, "release_lock_on_cudamalloc") || !strcmp(key, "pinned_use_cuda_host_register") ||
	    !strcmp(key, "pinned_use_background_threads") ||
	    !strcmp(key, "graph_capture_record_stream_reuse"))
		return tok_bool(cp, *ip, key, &b);
	if (!strcmp(key, "pinned_num_register_threads") || !strcmp(key, "pinned_reserve_segment_size_mb"))
		return tok_size(cp, *ip, key, &v);
	if (!strcmp(key, "backend")) {
		char buf[32];
		int rc = tok_word(cp, *ip, key, "native", buf, sizeof(buf));
		if (rc)
			return rc;
		if (!strcmp(buf, "native"))
			return 0;
		if (!strcmp(buf, "cudaMallocAsync"))
			return util_err(cp->cause, UTIL_EINPUT, "backend:cudaMallocAsync is not "
					"modelled (the torch model is the native caching allocator)");
		return util_err(cp->cause, UTIL_EINPUT, "backend: expected native or "
				"cudaMallocAsync, got '%s'", buf);
	}
	return util_err(cp->cause, UTIL_EINPUT, "unknown key '%s' (known: %s)", key, known_keys);
}

int torchalloc_conf_parse(const char *s, struct torchalloc_conf *c, char **cause)
{
	torchalloc_conf_init(c);
	if (!s)
		return 0;
	struct tok *t = util_xcalloc(strlen(s) + 1, sizeof(*t));
	struct cparse cp = { t, tokenize(s, t), cause };
	int rc = 0;
	for (size_t i = 0; i < cp.n && !rc; i++) {
		char key[64];
		if ((rc = tok_word(&cp, i, "allocator setting", "a key", key, sizeof(key))))
			break;
		if ((rc = expect_punct(&cp, i + 1, ':', key)))
			break;
		i += 2;
		if ((rc = parse_pair(&cp, key, &i, c)))
			break;
		if (i + 1 < cp.n)
			rc = expect_punct(&cp, ++i, ',', key);
	}
	free(t);
	if (rc)
		torchalloc_conf_init(c);
	return rc;
}

/* ---- sizes ---- */

/* roundup_power2_divisions(size): intervals start at 1 MiB; smaller sizes
 * use the first, sizes of 32 GiB and more the last. */
static uint32_t divisions_for(const struct torchalloc_conf *c, uint64_t size)
{
	unsigned lg = log2_floor(size);
	unsigned idx = lg > 20 ? lg - 20 : 0;
	return c->divisions[idx < TORCHALLOC_INTERVALS ? idx : TORCHALLOC_INTERVALS - 1];
}

/* roundup_power2_next_division: e.g. 1200 with 4 divisions of [1024, 2048)
 * -> 1280. */
static uint64_t next_division(uint64_t size, uint32_t div)
{
	if (is_pow2(size))
		return size;
	uint64_t floor2 = 1ull << log2_floor(size);
	uint64_t step = floor2 >> log2_floor(div);
	if (step == 0)
		return floor2 << 1;
	uint64_t low = size & ~(step - 1);
	return low == size ? size : low + step;
}

uint64_t torchalloc_round_size(const struct torchalloc_conf *c, uint64_t size)
{
	if (size < TORCHALLOC_MIN_BLOCK)
		return TORCHALLOC_MIN_BLOCK;
	if (size >= ONE_EXA_BYTE)
		return size; /* refused by malloc before any rounding matters */
	uint32_t div = divisions_for(c, size);
	if (div > 1 && size > TORCHALLOC_MIN_BLOCK * div)
		return next_division(size, div);
	return (size + TORCHALLOC_MIN_BLOCK - 1) / TORCHALLOC_MIN_BLOCK * TORCHALLOC_MIN_BLOCK;
}

/* get_allocation_size: the segment cudaMalloc'd for a rounded request. */
static uint64_t allocation_size(uint64_t size)
{
	if (size <= TORCHALLOC_SMALL_SIZE)
		return TORCHALLOC_SMALL_BUFFER;
	if (size < TORCHALLOC_MIN_LARGE)
		return TORCHALLOC_LARGE_BUFFER;
	return (size + TORCHALLOC_ROUND_LARGE - 1) / TORCHALLOC_ROUND_LARGE * TORCHALLOC_ROUND_LARGE;
}

/* ---- life cycle ---- */

struct torchalloc *torchalloc_new(const struct torchalloc_conf *c, uint64_t device_total)
{
	struct torchalloc *a = util_xcalloc(1, sizeof(*a));
	a->c = *c;
	a->total = device_total ? device_total : DEFAULT_DEVICE_TOTAL;
	if (a->total > MAX_DEVICE_TOTAL)
		a->total = MAX_DEVICE_TOTAL; /* keeps address arithmetic far from overflow */
	if (c->memory_fraction > 0) {
		a->set_fraction = 1;
		a->allowed = (uint64_t)(c->memory_fraction * (double)a->total);
	}
	a->pools[0].small = 1;
	a->next_va = VA_BASE;
	a->rng = 0x9E3779B9u;
	return a;
}

void torchalloc_delete(struct torchalloc *a)
{
	if (!a)
		return;
	free(a->b);
	free(a->es);
	free(a);
}

/* ---- splitting and merging ---- */

static int is_split(const struct torchalloc *a, uint32_t id)
{
	return B(a, id)->prev || B(a, id)->next;
}

/* Block::splice: put x between before and after. */
static void splice(struct torchalloc *a, uint32_t x, uint32_t before, uint32_t after)
{
	if (before)
		B(a, before)->next = x;
	B(a, x)->prev = before;
	if (after)
		B(a, after)->prev = x;
	B(a, x)->next = after;
}

/* try_merge_blocks: dst (in no set) absorbs its neighbour src if that is
 * free and equally mapped. Returns the bytes absorbed. */
static uint64_t try_merge(struct torchalloc *a, uint32_t dst, uint32_t src)
{
	if (!src || B(a, src)->allocated || B(a, src)->mapped != B(a, dst)->mapped)
		return 0;
	tree_remove(a, src);
	struct blk *d = B(a, dst), *s = B(a, src);
	if (d->prev == src) {
		d->addr = s->addr;
		d->prev = s->prev;
		if (d->prev)
			B(a, d->prev)->next = dst;
	} else {
		d->next = s->next;
		if (d->next)
			B(a, d->next)->prev = dst;
	}
	uint64_t n = s->size;
	d->size += n;
	blk_del(a, src);
	return n;
}

/* should_split. */
static int should_split(const struct torchalloc *a, uint32_t id, uint64_t size)
{
	uint64_t rest = B(a, id)->size - size;
	if (B(a, id)->small || a->c.expandable)
		return rest >= TORCHALLOC_MIN_BLOCK;
	return size < a->c.max_split_size && rest > TORCHALLOC_SMALL_SIZE;
}

/* alloc_found_block: hand out size bytes of block id (in no set), the
 * remainder going back to the cache when split. */
static uint32_t alloc_found(struct torchalloc *a, uint32_t id, uint64_t size, uint64_t orig,
			    int split)
{
	if (split) {
		uint32_t rest = id;
		id = blk_new(a);
		struct blk *n = B(a, id), *r = B(a, rest);
		n->addr = r->addr;
		n->size = size;
		n->stream = r->stream;
		n->small = r->small;
		n->es = r->es;
		splice(a, id, r->prev, rest);
		r->addr += size;
		r->size -= size;
		cache_insert(a, rest);
	}
	struct blk *b = B(a, id);
	b->allocated = 1;
	b->requested = orig;
	a->st.allocated += b->size;
	a->st.requested += orig;
	if (a->st.allocated > a->st.peak_allocated)
		a->st.peak_allocated = a->st.allocated;
	return id;
}

/* ---- finding cached memory ---- */

/* The size an expandable block can grow to (get_free_block's expandable_size). */
static uint64_t expandable_size(const struct torchalloc *a, uint32_t id)
{
	uint32_t nx = B(a, id)->next;
	return B(a, id)->size + (nx && !B(a, nx)->mapped ? B(a, nx)->size : 0);
}

static int gc_enabled(const struct torchalloc *a)
{
	return a->set_fraction && a->c.gc_threshold > 0;
}

/* get_free_block: best fit on the stream; takes the block out of the cache. */
static uint32_t get_free_block(struct torchalloc *a, struct pool *p, uint64_t size, uint64_t stream)
{
	if (gc_enabled(a))
		p->gc_calls++;
	struct key k = { stream, size, 0 };
	uint32_t it = t_lower(a, p->blocks, &k, 0, 0);
	if (!it || B(a, it)->stream != stream)
		return 0;
	if (B(a, it)->es) {
		/* Prefer the block whose growable size is smallest. */
		uint32_t nx = next_in_tree(a, p->blocks, it, 0);
		while (B(a, it)->es && nx && B(a, nx)->stream == stream &&
		       expandable_size(a, nx) < expandable_size(a, it)) {
			it = nx;
			nx = next_in_tree(a, p->blocks, nx, 0);
		}
	}
	uint64_t bs = B(a, it)->size, ms = a->c.max_split_size;
	/* Do not return an oversized block for a smaller request ... */
	if (size < ms && bs >= ms)
		return 0;
	/* ... and let a large request round up into one only a little. */
	if (size >= ms && bs - size >= a->c.max_non_split_rounding)
		return 0;
	tree_remove(a, it);
	return it;
}

/* ---- device memory: cudaMalloc segments ---- */

/* release_block: cudaFree a wholly free cudaMalloc segment. */
static void release_block(struct torchalloc *a, uint32_t id)
{
	tree_remove(a, id);
	a->st.reserved -= B(a, id)->size;
	a->st.segments--;
	a->st.num_device_free++;
	blk_del(a, id);
}

/* Can the cache give this block back to the device? Only whole segments
 * of cudaMalloc (expandable memory is unmapped page by page instead). */
static int releasable(const struct torchalloc *a, uint32_t id)
{
	return !B(a, id)->es && !is_split(a, id);
}

/* ---- device memory: expandable segments ---- */

static struct eseg *eseg_of(struct torchalloc *a, uint32_t id)
{
	return &a->es[B(a, id)->es - 1];
}

/* A new expandable segment: address space for 1 1/8 of the device,
 * nothing mapped (ExpandableSegment constructor). */
static uint32_t eseg_new(struct torchalloc *a, struct pool *p, uint64_t stream)
{
	uint64_t page = p->small ? TORCHALLOC_SMALL_BUFFER : TORCHALLOC_LARGE_BUFFER;
	uint64_t space = a->total + a->total / 8;
	uint64_t va = (space + page - 1) / page * page;
	/* A released segment of the same pool leaves its address range free
	 * (cuMemAddressFree): take it again rather than new space. */
	size_t idx = a->nes;
	for (size_t i = 0; i < a->nes; i++)
		if (!a->es[i].live && a->es[i].page == page) {
			idx = i;
			break;
		}
	if (idx == a->nes) {
		UTIL_GROW(a->es, a->nes + 1, a->aes);
		a->es[a->nes++] = (struct eseg){ .base = va_take(a, va), .va_size = va, .page = page };
	}
	a->es[idx].live = 1;
	uint32_t id = blk_new(a);
	struct blk *b = B(a, id);
	b->addr = a->es[idx].base;
	b->size = va;
	b->stream = stream;
	b->small = (uint8_t)p->small;
	b->mapped = 0;
	b->es = (uint32_t)idx + 1;
	unmapped_insert(a, id);
	a->st.segments++;
	return id;
}

static int allocatable(const struct torchalloc *a, uint32_t id)
{
	return id && !B(a, id)->allocated;
}

/* find_expandable_block: the lowest address on the stream where free and
 * unmapped space together hold size bytes, else a new segment. */
static uint32_t find_expandable(struct torchalloc *a, struct pool *p, uint64_t stream, uint64_t size)
{
	struct key k = { stream, 0, 0 };
	for (uint32_t it = t_lower(a, p->unmapped, &k, 1, 0); it && B(a, it)->stream == stream;
	     it = next_in_tree(a, p->unmapped, it, 1)) {
		uint32_t c = it;
		if (allocatable(a, B(a, c)->prev))
			c = B(a, c)->prev;
		uint64_t bytes = 0;
		for (uint32_t w = c; bytes < size && allocatable(a, w); w = B(a, w)->next)
			bytes += B(a, w)->size;
		if (bytes >= size)
			return c;
	}
	return eseg_new(a, p, stream);
}

/* map_block: map the pages under the first size bytes of unmapped block
 * id; the mapped part joins its free neighbours in the cache. */
static int map_block(struct torchalloc *a, uint32_t id, uint64_t size)
{
	struct eseg *e = eseg_of(a, id);
	uint64_t begin = (B(a, id)->addr - e->base) / e->page;
	uint64_t end = (B(a, id)->addr + size - e->base + e->page - 1) / e->page;
	uint64_t bytes = (end - begin) * e->page;
	if (!bytes || !device_fits(a, bytes))
		return 0; /* cuMemCreate failed: the pages made by this call go back */
	tree_remove(a, id);
	B(a, id)->mapped = 1;
	if (bytes < B(a, id)->size) {
		uint32_t rest = blk_new(a);
		struct blk *r = B(a, rest), *b = B(a, id);
		r->addr = b->addr + bytes;
		r->size = b->size - bytes;
		r->stream = b->stream;
		r->small = b->small;
		r->es = b->es;
		r->mapped = 0;
		splice(a, rest, id, b->next);
		unmapped_insert(a, rest);
		B(a, id)->size = bytes;
	}
	try_merge(a, id, B(a, id)->prev);
	try_merge(a, id, B(a, id)->next);
	cache_insert(a, id);
	add_reserved(a, bytes);
	a->st.num_device_alloc++;
	return 1;
}

/* try_allocate_expandable_block: map enough pages to make a free block of
 * size bytes; returns it out of the cache, or 0. */
static uint32_t alloc_expandable(struct torchalloc *a, struct pool *p, uint64_t stream,
				 uint64_t size)
{
	uint32_t c = find_expandable(a, p, stream, size);
	if (!B(a, c)->mapped) {
		uint64_t n = B(a, c)->size < size ? B(a, c)->size : size;
		if (!map_block(a, c, n))
			return 0;
	}
	while (B(a, c)->size < size) {
		uint32_t nc = B(a, c)->next;
		/* free -> unmapped: adjacent free mapped blocks are always merged */
		if (!nc || B(a, nc)->mapped || B(a, nc)->allocated)
			return 0;
		uint64_t want = size - B(a, c)->size;
		if (!map_block(a, nc, want < B(a, nc)->size ? want : B(a, nc)->size))
			return 0;
		c = nc;
	}
	tree_remove(a, c);
	return c;
}

/* unmap_block: unmap the whole pages inside free block id. */
static void unmap_block(struct torchalloc *a, uint32_t id)
{
	struct eseg *e = eseg_of(a, id);
	uint64_t off = B(a, id)->addr - e->base, size = B(a, id)->size;
	uint64_t begin = (off + e->page - 1) / e->page, end = (off + size) / e->page;
	if (begin >= end)
		return;
	uint64_t ustart = e->base + begin * e->page, ubytes = (end - begin) * e->page;
	tree_remove(a, id);
	uint64_t before = ustart - B(a, id)->addr;
	uint64_t after = size - before - ubytes;
	if (before) {
		uint32_t f = blk_new(a);
		struct blk *n = B(a, f), *b = B(a, id);
		*n = (struct blk){ .addr = b->addr, .size = before, .stream = b->stream,
				   .small = b->small, .es = b->es, .mapped = 1, .live = 1,
				   .prio = n->prio };
		splice(a, f, b->prev, id);
		cache_insert(a, f);
	}
	if (after) {
		uint32_t f = blk_new(a);
		struct blk *n = B(a, f), *b = B(a, id);
		*n = (struct blk){ .addr = ustart + ubytes, .size = after, .stream = b->stream,
				   .small = b->small, .es = b->es, .mapped = 1, .live = 1,
				   .prio = n->prio };
		splice(a, f, id, b->next);
		cache_insert(a, f);
	}
	B(a, id)->addr = ustart;
	B(a, id)->size = ubytes;
	B(a, id)->mapped = 0;
	try_merge(a, id, B(a, id)->prev);
	try_merge(a, id, B(a, id)->next);
	unmapped_insert(a, id);
	a->st.reserved -= ubytes;
	a->st.num_device_free++;
}

/* release_expandable_segment: the segment is one unmapped range again. */
static void release_eseg(struct torchalloc *a, uint32_t id)
{
	tree_remove(a, id);
	eseg_of(a, id)->live = 0;
	a->st.segments--;
	blk_del(a, id);
}

/* ---- giving memory back ---- */

/* release_blocks: every wholly free segment of the pool goes back; free
 * expandable memory is unmapped page-wise and an expandable segment with
 * nothing mapped any more is released. */
static void release_pool(struct torchalloc *a, struct pool *p)
{
	if (!p->n_whole && !p->n_es)
		return;
	uint32_t *v = NULL;
	size_t n = 0, cap = 0, nu = 0;
	t_collect(a, p->blocks, &v, &n, &cap);
	/* Releasing a block removes only that block from the set, so the
	 * list stays valid; expandable blocks are unmapped afterwards, since
	 * unmapping adds blocks to the set. */
	for (size_t i = 0; i < n; i++) {
		if (B(a, v[i])->es)
			v[nu++] = v[i];
		else if (!is_split(a, v[i]))
			release_block(a, v[i]);
	}
	for (size_t i = 0; i < nu; i++) {
		uint32_t id = v[i];
		unmap_block(a, id);
		if (!B(a, id)->mapped && !is_split(a, id))
			release_eseg(a, id);
	}
	free(v);
}

/* release_cached_blocks. */
static void release_cached(struct torchalloc *a)
{
	release_pool(a, &a->pools[1]);
	release_pool(a, &a->pools[0]);
}

/* release_available_cached_blocks: with max_split_size set, free one
 * cached oversize block big enough for the request, else the largest
 * ones on the stream until enough is freed. */
static int release_available(struct torchalloc *a, struct pool *p, uint64_t size, uint64_t stream)
{
	uint64_t ms = a->c.max_split_size;
	if (ms == UINT64_MAX)
		return 0;
	struct key k = { stream, size < ms ? ms : size, 0 };
	uint32_t it = t_lower(a, p->blocks, &k, 0, 0);
	if (it && B(a, it)->stream == stream) {
		if (!releasable(a, it))
			return 0;
		release_block(a, it);
		return 1;
	}
	if (it == t_first(a, p->blocks))
		return 0; /* nothing below: empty pool or only other streams */
	uint32_t cur = t_below(a, p->blocks, &k, 0);
	uint64_t freed = 0;
	while (freed < k.size && cur && B(a, cur)->size >= ms && B(a, cur)->stream == stream &&
	       releasable(a, cur)) {
		struct key ck = key_of(B(a, cur));
		uint32_t prev = t_below(a, p->blocks, &ck, 0);
		freed += B(a, cur)->size;
		release_block(a, cur);
		cur = prev;
	}
	return freed >= k.size;
}

/* garbage_collect_cached_blocks: with a memory fraction and a threshold,
 * free wholly free large segments older than the average, again and
 * again, until usage is below threshold x allowed. */
static void garbage_collect(struct torchalloc *a)
{
	struct pool *p = &a->pools[1];
	uint64_t thr = (uint64_t)(a->c.gc_threshold * (double)a->allowed);
	if (a->st.reserved <= thr)
		return;
	uint64_t target = a->st.reserved - thr, reclaimed = 0;
	double total_age = 0;
	uint64_t n = 0;
	for (uint32_t it = t_first(a, p->blocks); it; it = next_in_tree(a, p->blocks, it, 0))
		if (releasable(a, it)) {
			total_age += (double)(p->gc_calls - B(a, it)->gc_base);
			n++;
		}
	int freed = 1;
	while (reclaimed < target && freed && n > 0) {
		double age_thr = total_age / (double)n;
		freed = 0;
		for (uint32_t it = t_first(a, p->blocks), nx; it; it = nx) {
			nx = next_in_tree(a, p->blocks, it, 0);
			double age = (double)(p->gc_calls - B(a, it)->gc_base);
			if (releasable(a, it) && age >= age_thr) {
				freed = 1;
				reclaimed += B(a, it)->size;
				total_age -= age;
				n--;
				release_block(a, it);
			}
		}
	}
}

/* alloc_block: new device memory for the request: a cudaMalloc segment of
 * asize bytes, or pages of an expandable segment. */
static uint32_t alloc_block(struct torchalloc *a, struct pool *p, uint64_t size, uint64_t asize,
			    uint64_t stream, int retry)
{
	if (retry)
		a->st.num_alloc_retries++;
	if (a->set_fraction && (a->st.reserved > a->allowed || asize > a->allowed - a->st.reserved)) {
		a->tried = asize;
		return 0;
	}
	if (a->c.expandable)
		return alloc_expandable(a, p, stream, size);
	if (!device_fits(a, asize))
		return 0;
	uint32_t id = blk_new(a);
	struct blk *b = B(a, id);
	b->addr = va_take(a, asize);
	b->size = asize;
	b->stream = stream;
	b->small = (uint8_t)p->small;
	add_reserved(a, asize);
	a->st.segments++;
	a->st.num_device_alloc++;
	return id;
}

/* ---- the interface ---- */

int torchalloc_malloc(struct torchalloc *a, uint64_t size, uint64_t stream, uint64_t limit,
		      uint32_t *id, uint64_t *tried)
{
	*id = 0;
	if (size >= ONE_EXA_BYTE) {
		a->st.num_ooms++;
		if (tried)
			*tried = size;
		return TORCHALLOC_OOM;
	}
	a->limit = limit;
	a->tried = 0;
	uint64_t rsize = torchalloc_round_size(&a->c, size);
	struct pool *p = &a->pools[rsize <= TORCHALLOC_SMALL_SIZE ? 0 : 1];
	uint64_t asize = allocation_size(rsize);
	uint32_t b = get_free_block(a, p, rsize, stream);
	if (!b) {
		if (gc_enabled(a))
			garbage_collect(a);
		b = alloc_block(a, p, rsize, asize, stream, 0);
		if (!b && release_available(a, p, rsize, stream))
			b = alloc_block(a, p, rsize, asize, stream, 0);
		if (!b) {
			release_cached(a);
			b = alloc_block(a, p, rsize, asize, stream, 1);
		}
	}
	if (!b) {
		a->st.num_ooms++;
		if (tried)
			*tried = a->tried ? a->tried : asize;
		return TORCHALLOC_OOM;
	}
	*id = alloc_found(a, b, rsize, size, should_split(a, b, rsize));
	return 0;
}

int torchalloc_free(struct torchalloc *a, uint32_t id)
{
	if (!id || id > a->nb || !B(a, id)->live || !B(a, id)->allocated)
		return -1;
	struct blk *b = B(a, id);
	b->allocated = 0;
	a->st.allocated -= b->size;
	a->st.requested -= b->requested;
	b->requested = 0;
	/* free_block: merge with free neighbours, back into the cache */
	try_merge(a, id, B(a, id)->prev);
	try_merge(a, id, B(a, id)->next);
	cache_insert(a, id);
	return 0;
}

void torchalloc_empty_cache(struct torchalloc *a)
{
	release_cached(a);
}

uint64_t torchalloc_block_size(const struct torchalloc *a, uint32_t id)
{
	if (!id || id > a->nb || !a->b[id - 1].live || !a->b[id - 1].allocated)
		return 0;
	return a->b[id - 1].size;
}

uint64_t torchalloc_block_addr(const struct torchalloc *a, uint32_t id)
{
	if (!id || id > a->nb || !a->b[id - 1].live || !a->b[id - 1].allocated)
		return 0;
	return a->b[id - 1].addr;
}

void torchalloc_get_stats(const struct torchalloc *a, struct torchalloc_stats *s)
{
	*s = a->st;
}

void torchalloc_segments(const struct torchalloc *a,
			 void (*fn)(void *ud, const struct torchalloc_segment *seg), void *ud)
{
	for (uint32_t h = 1; h <= a->nb; h++) {
		if (!B(a, h)->live || B(a, h)->prev)
			continue;
		struct torchalloc_segment sg = { 0 };
		for (uint32_t id = h; id; id = B(a, id)->next) {
			const struct blk *b = B(a, id);
			if (b->mapped) {
				if (!sg.n_blocks)
					sg = (struct torchalloc_segment){ .addr = b->addr,
						.stream = b->stream, .small = b->small,
						.expandable = b->es != 0 };
				sg.size += b->size;
				sg.allocated += b->allocated ? b->size : 0;
				sg.n_blocks++;
			}
			if (sg.n_blocks && (!b->mapped || !b->next)) {
				fn(ud, &sg);
				sg.n_blocks = 0;
			}
		}
	}
}

/* ---- warm start ---- */

/* The live block holding byte addr, or 0 (a linear scan: seeding happens
 * once per recorded block). */
static uint32_t block_at(const struct torchalloc *a, uint64_t addr, uint64_t size)
{
	for (uint32_t id = 1; id <= a->nb; id++) {
		const struct blk *b = B(a, id);
		if (b->live && addr < b->addr + b->size && b->addr < addr + size)
			return id;
	}
	return 0;
}

int torchalloc_seed_segment(struct torchalloc *a, uint64_t addr, uint64_t size,
			    uint64_t stream, int small)
{
	/* Seeds come before the model's own segments, whose addresses then
	 * start above every seed. */
	if (!size || addr + size < addr || a->st.num_device_alloc || block_at(a, addr, size))
		return -1;
	uint32_t id = blk_new(a);
	struct blk *b = B(a, id);
	b->addr = addr;
	b->size = size;
	b->stream = stream;
	b->small = small ? 1 : 0;
	cache_insert(a, id);
	add_reserved(a, size);
	a->st.segments++;
	if (addr + size > a->next_va)
		a->next_va = (addr + size + TORCHALLOC_ROUND_LARGE - 1) / TORCHALLOC_ROUND_LARGE *
			     TORCHALLOC_ROUND_LARGE;
	return 0;
}

int torchalloc_malloc_at(struct torchalloc *a, uint64_t addr, uint64_t size,
			 uint64_t requested, uint64_t stream, uint32_t *id)
{
	uint32_t f = size ? block_at(a, addr, 1) : 0;
	if (!f || B(a, f)->tree != T_FREE || B(a, f)->stream != stream ||
	    addr + size > B(a, f)->addr + B(a, f)->size || addr + size < addr)
		return -1;
	tree_remove(a, f);
	uint64_t before = addr - B(a, f)->addr;
	if (before) {
		/* the free block keeps the part before addr; f becomes the rest */
		uint32_t h = blk_new(a);
		struct blk *n = B(a, h), *b = B(a, f);
		n->addr = b->addr;
		n->size = before;
		n->stream = b->stream;
		n->small = b->small;
		splice(a, h, b->prev, f);
		b->addr = addr;
		b->size -= before;
		cache_insert(a, h);
	}
	*id = alloc_found(a, f, size, requested, B(a, f)->size > size);
	return 0;
}
