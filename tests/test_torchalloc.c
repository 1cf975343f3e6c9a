/*
 * test_torchalloc.c - the PyTorch caching-allocator model (sim/torchalloc.h)
 * and the replay's torch model: op-scripts with reserved/allocated bytes
 * worked out by hand from the rules of CUDACachingAllocator.cpp, the
 * PYTORCH_CUDA_ALLOC_CONF parser, and a real snapshot replayed against its
 * recorded end state.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "u64map.h"
#include "cutest.h"
#include "imp.h"
#include "sim.h"
#include "scenario.h"
#include "sim_source.h"
#include "store.h"
#include "topo.h"
#include "torchalloc.h"
#include "util.h"

#define MiB (1ull << 20)

/* ---- op-scripts ----
 * Steps separated by blanks; sizes in bytes with an optional K, M or G
 * (binary) suffix and decimals ("19.5M"):
 *   L=SIZE        limit for the following mallocs (default: none)
 *   aN=SIZE[/S]   malloc into slot N on stream S (default 0); must succeed
 *   xN=SIZE[/S]   the same, but it must fail (OOM)
 *   fN            free slot N
 *   e             empty_cache
 *   r=SIZE u=SIZE q=SIZE   reserved / allocated / requested bytes now
 *   s=N           segments now          R=N  alloc retries so far
 *   bN=SIZE       block size of slot N
 *   N=M           the last blocks of slots N and M got the same address
 */
#define SLOTS 64

static uint64_t parse_sz(const char *s, const char **end)
{
	char *e;
	double v = strtod(s, &e);
	double m = *e == 'K' ? 1024.0 : *e == 'M' ? 1048576.0 : *e == 'G' ? 1073741824.0 : 1.0;
	if (m > 1.0)
		e++;
	*end = e;
	return (uint64_t)llround(v * m);
}

static char op_msg[256];

/* Run script on a fresh allocator with conf; NULL if every step held. */
static const char *ops(const char *conf, uint64_t total, const char *script)
{
	struct torchalloc_conf c;
	char *cause = NULL;
	if (torchalloc_conf_parse(conf, &c, &cause)) {
		snprintf(op_msg, sizeof(op_msg), "conf '%s': %s", conf, cause);
		free(cause);
		return op_msg;
	}
	struct torchalloc *a = torchalloc_new(&c, total);
	uint32_t slot[SLOTS] = { 0 };
	uint64_t addr[SLOTS] = { 0 }; /* where each slot's last block was */
	uint64_t limit = UINT64_MAX;
	const char *p = script, *err = NULL;
	while (*p && !err) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *step = p, *e;
		char op = *p++;
		long n = -1;
		if (op != 'L' && op != 'e' && op != 'r' && op != 'u' && op != 'q' && op != 's' &&
		    op != 'R') {
			char *ne;
			n = strtol(p, &ne, 10);
			p = ne;
			if (n < 0 || n >= SLOTS) {
				err = "bad slot";
				break;
			}
		}
		struct torchalloc_stats st;
		torchalloc_get_stats(a, &st);
		uint64_t v = 0, want = 0;
		if (*p == '=') {
			want = parse_sz(p + 1, &e);
			p = e;
		}
		switch (op) {
		case 'L': limit = want; break;
		case 'a': case 'x': {
			uint64_t stream = 0, tried = 0;
			if (*p == '/')
				stream = strtoull(p + 1, (char **)&p, 10);
			int rc = torchalloc_malloc(a, want, stream, limit, &slot[n], &tried);
			if (rc != (op == 'x' ? TORCHALLOC_OOM : 0))
				err = op == 'x' ? "expected an OOM" : "unexpected OOM";
			addr[n] = torchalloc_block_addr(a, slot[n]);
			break;
		}
		case 'f': if (torchalloc_free(a, slot[n])) err = "free failed"; slot[n] = 0; break;
		case 'e': torchalloc_empty_cache(a); break;
		case 'r': v = st.reserved; break;
		case 'u': v = st.allocated; break;
		case 'q': v = st.requested; break;
		case 's': v = st.segments; break;
		case 'R': v = st.num_alloc_retries; break;
		case 'b': v = torchalloc_block_size(a, slot[n]); break;
		default:
			if (op >= '0' && op <= '9') {
				long m = (long)want, k = strtol(step, NULL, 10);
				if (m >= SLOTS || k >= SLOTS || !addr[k] || addr[k] != addr[m])
					err = "blocks do not share an address";
			} else {
				err = "unknown step";
			}
		}
		if (!err && strchr("rbuqsR", op) && v != want) {
			snprintf(op_msg, sizeof(op_msg), "%.*s: got %llu (%.4f MiB)",
				 (int)(strcspn(step, " ")), step, (unsigned long long)v,
				 (double)v / (double)MiB);
			err = op_msg;
		} else if (err && err != op_msg) {
			snprintf(op_msg, sizeof(op_msg), "%.*s: %s", (int)(strcspn(step, " ")), step, err);
			err = op_msg;
		}
	}
	torchalloc_delete(a);
	return err;
}

#define OPS(conf, total, script) do { \
	const char *m_ = ops((conf), (total), (script)); \
	if (m_) fprintf(stderr, "\n  %s:%d: %s\n", __FILE__, __LINE__, m_); \
	CU_ASSERT_PTR_NULL(m_); \
} while (0)

/* ---- rounding and pools ---- */

static void test_round_size(void)
{
	struct torchalloc_conf c;
	torchalloc_conf_init(&c);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 1), 512);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 512), 512);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 513), 1024);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 1000), 1024);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 5 * MiB + 1), 5 * MiB + 512);
	/* 4 divisions: [4, 8) MiB in 1 MiB steps; [1, 2) MiB in 256 KiB steps */
	CU_ASSERT_EQUAL(torchalloc_conf_parse("roundup_power2_divisions:4", &c, NULL), 0);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 5 * MiB + 1), 6 * MiB);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 6 * MiB), 6 * MiB);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 8 * MiB), 8 * MiB); /* a power of two */
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, MiB + 1), MiB + 256 * 1024);
	/* below 1 MiB the first interval applies: 1200 B is not > 512 x 4 */
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 1200), 1536);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 3000), 3072);   /* [2048, 4096) by 4 */
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 2100), 2560);
	/* list form: up to 256 MiB 1 division, [512 MiB, 1 GiB) 2, above 8 */
	CU_ASSERT_EQUAL(torchalloc_conf_parse("roundup_power2_divisions:[256:1,512:2,>:8]", &c,
					      NULL), 0);
	CU_ASSERT_EQUAL(c.divisions[0], 1);
	CU_ASSERT_EQUAL(c.divisions[8], 1);
	CU_ASSERT_EQUAL(c.divisions[9], 2);
	CU_ASSERT_EQUAL(c.divisions[10], 8);
	CU_ASSERT_EQUAL(c.divisions[15], 8);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 300 * MiB + 1), 300 * MiB + 512);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 600 * MiB + 1), 768 * MiB);
	CU_ASSERT_EQUAL(torchalloc_round_size(&c, 2048 * MiB + 1), 2304 * MiB);
}

/* The example of the PyTorch devlog "When does fragmentation occur in the
 * CUDA caching allocator?" (Edward Yang, docs.pytorch.org/devlogs/eager). */
static void test_devlog_order(void)
{
	/* 8 x 16 MiB, all freed, then 4 x 32 MiB: the 16 MiB segments never
	 * merge, so 4 new 32 MiB segments: 256 MiB */
	OPS(NULL, 0, "a0=16M a1=16M a2=16M a3=16M a4=16M a5=16M a6=16M a7=16M r=128M s=8 "
		     "f0 f1 f2 f3 f4 f5 f6 f7 r=128M u=0 "
		     "a8=32M a9=32M a10=32M a11=32M r=256M u=128M s=12");
	/* reverse order: each 32 MiB block splits into two 16 MiB: 128 MiB */
	OPS(NULL, 0, "a0=32M a1=32M a2=32M a3=32M f0 f1 f2 f3 "
		     "a4=16M a5=16M a6=16M a7=16M a8=16M a9=16M a10=16M a11=16M r=128M u=128M s=4");
}

static void test_expandable(void)
{
	/* 8 x 16 MiB in one growing segment of 20 MiB pages: 128 MiB -> 7 pages */
	OPS("expandable_segments:True", 80ull << 30,
	    "a0=16M a1=16M a2=16M a3=16M a4=16M a5=16M a6=16M a7=16M r=140M u=128M s=1");
	/* freed and reallocated as 4 x 32 MiB: order does not matter any more */
	OPS("expandable_segments:True", 80ull << 30,
	    "a0=16M a1=16M a2=16M a3=16M a4=16M a5=16M a6=16M a7=16M f0 f1 f2 f3 f4 f5 f6 f7 "
	    "a8=32M a9=32M a10=32M a11=32M r=140M 8=0");
	/* empty_cache unmaps whole free pages; a live block pins its page */
	OPS("expandable_segments:True", 80ull << 30,
	    "a0=16M a1=16M a2=16M a3=16M f1 f2 f3 e r=20M u=16M s=1 f0 e r=0 s=0");
	/* small requests: 2 MiB pages of the small pool's own segment */
	OPS("expandable_segments:True", 80ull << 30,
	    "a0=512K a1=512K a2=512K a3=512K a4=512K r=4M s=1 a5=2M r=24M s=2");
	/* a remainder of >= 512 B is split in the large pool too */
	OPS("expandable_segments:True", 80ull << 30, "a0=19.5M b0=19.5M r=20M a1=0.5M r=22M");
	/* one segment per stream */
	OPS("expandable_segments:True", 80ull << 30, "a0=16M/1 a1=16M/2 r=40M s=2 a2=4M/1 r=40M");
	/* the limit applies page by page */
	OPS("expandable_segments:True", 80ull << 30, "L=60M a0=16M a1=16M a2=16M r=60M x3=16M r=60M");
}

static void test_small_pool(void)
{
	/* <= 1 MiB shares 2 MiB segments, split down to 512 B */
	OPS(NULL, 0, "a0=1000 b0=1K u=1K q=1000 r=2M s=1 a1=512K a2=512K a3=1023K r=2M s=1 "
		     "a4=2K r=4M s=2");
	/* exactly 1 MiB is small; one byte more is large (a 20 MiB segment) */
	OPS(NULL, 0, "a0=1M a1=1M r=2M s=1 a2=1048577 r=22M b2=1049088");
	/* a freed small block is reused in place */
	OPS(NULL, 0, "a0=256K a1=256K f0 a2=200K 0=2 r=2M");
}

static void test_large_split(void)
{
	/* 1-10 MiB requests carve up a 20 MiB segment */
	OPS(NULL, 0, "a0=5M a1=5M a2=5M a3=5M r=20M s=1 u=20M a4=5M r=40M s=2");
	/* a remainder of at most 1 MiB stays in the block (large pool) */
	OPS(NULL, 0, "a0=19.5M b0=20M u=20M q=19.5M r=20M");
	OPS(NULL, 0, "a0=6M a1=13M b1=14M r=20M f0 a2=5.5M b2=6M");
	/* >= 10 MiB: a segment of the request rounded to 2 MiB */
	OPS(NULL, 0, "a0=11M r=12M b0=12M a1=10M r=22M");
	/* frees merge with free neighbours in the segment, then serve a
	 * larger request without a new segment */
	OPS(NULL, 0, "a0=5M a1=5M a2=5M a3=5M f1 f2 a4=10M r=20M 4=1");
	/* best fit: the smallest free block that fits, lowest address first */
	OPS(NULL, 0, "a0=30M a1=12M a2=20M a3=12M f0 f2 a4=20M 4=2 r=74M");
}

static void test_streams(void)
{
	/* a cached block is reused only on the stream it was allocated on */
	OPS(NULL, 0, "a0=16M/1 f0 a1=16M/2 r=32M a2=16M/1 2=0 r=32M");
	OPS(NULL, 0, "a0=512K/7 f0 a1=512K/8 r=4M s=2");
}

static void test_max_split(void)
{
	/* blocks >= 64 MiB are never split; a smaller request never takes one */
	OPS("max_split_size_mb:64", 0, "a0=100M f0 a1=50M r=150M s=2 f1 "
	    /* a request >= max_split takes an oversize block within 20 MiB */
	    "a2=90M 2=0 b2=100M r=150M f2 a3=70M r=220M s=3");
	/* without max_split the 100 MiB block is split for 50 MiB */
	OPS(NULL, 0, "a0=100M f0 a1=50M r=100M s=1");
	/* max_non_split_rounding_mb widens the window */
	OPS("max_split_size_mb:64,max_non_split_rounding_mb:40", 0, "a0=100M f0 a1=70M 1=0 r=100M");
	/* release_available_cached_blocks: at the limit, a cached oversize
	 * block big enough goes first, without emptying the cache ... */
	OPS("max_split_size_mb:64", 0, "L=200M a0=130M a1=5M f0 a2=100M r=120M R=0");
	/* ... else the largest ones until the request is covered ... */
	OPS("max_split_size_mb:64", 0, "L=250M a0=70M a1=80M a2=5M f0 f1 a3=120M r=140M R=0");
	/* ... and if they do not cover it, the whole cache goes (a retry) */
	OPS("max_split_size_mb:64", 0, "L=200M a0=100M a1=5M f0 a2=120M r=140M R=1");
}

static void test_oom(void)
{
	/* the cache is released before an OOM: 60 MiB cached, 80 MiB fits */
	OPS(NULL, 0, "L=100M a0=60M f0 a1=80M r=80M R=1 x2=30M r=80M R=2");
	/* a split segment is not released: its free 15 MiB stays */
	OPS(NULL, 0, "L=30M a0=5M r=20M x1=16M r=20M u=5M f0 e r=0 a1=16M r=16M");
	/* the allocator holds nothing it does not need after an OOM */
	OPS(NULL, 0, "L=64M a0=2M a1=30M f1 x2=64M r=20M");
	/* 1 EB or more is refused outright, without emptying the cache */
	OPS(NULL, 0, "L=1G x0=2G a1=1M f1 r=2M x2=1152921504606846976 r=2M");
}

static void test_fraction_gc(void)
{
	/* a memory fraction caps the allocator below the device */
	OPS("per_process_memory_fraction:0.5", 100 * MiB, "a0=40M x1=20M r=40M");
	/* GC off: two cached 30 MiB segments stay, 40 MiB comes on top */
	OPS("per_process_memory_fraction:1.0", 100 * MiB, "a0=30M a1=30M f0 f1 a2=40M r=100M");
	/* GC at 0.5: usage 60 MiB > 50 MiB, both cached blocks are as old as
	 * the average, both go: 40 MiB left */
	OPS("per_process_memory_fraction:1.0,garbage_collection_threshold:0.5", 100 * MiB,
	    "a0=30M a1=30M f0 f1 a2=40M r=40M s=1");
	/* the threshold needs a fraction (as in PyTorch): no GC */
	OPS("garbage_collection_threshold:0.5", 100 * MiB, "a0=30M a1=30M f0 f1 a2=40M r=100M");
	/* GC frees the blocks older than the average: A (cached 5 large-pool
	 * lookups ago) goes, B (1 ago) stays, the split 18 MiB is not a candidate */
	OPS("per_process_memory_fraction:1.0,garbage_collection_threshold:0.5", 100 * MiB,
	    "a0=30M f0 a1=2M/2 a2=2M/2 a3=2M/2 a4=30M/1 f4 a5=40M r=90M s=3");
}

static void test_free_errors(void)
{
	struct torchalloc_conf c;
	torchalloc_conf_init(&c);
	struct torchalloc *a = torchalloc_new(&c, 0);
	uint32_t id, id2;
	uint64_t tried;
	CU_ASSERT_EQUAL(torchalloc_free(a, 0), -1);
	CU_ASSERT_EQUAL(torchalloc_free(a, 99), -1);
	CU_ASSERT_EQUAL(torchalloc_malloc(a, MiB, 0, UINT64_MAX, &id, &tried), 0);
	CU_ASSERT_EQUAL(torchalloc_free(a, id), 0);
	CU_ASSERT_EQUAL(torchalloc_free(a, id), -1); /* twice */
	CU_ASSERT_EQUAL(torchalloc_block_size(a, id), 0);
	CU_ASSERT_EQUAL(torchalloc_malloc(a, 30 * MiB, 0, 10 * MiB, &id2, &tried), TORCHALLOC_OOM);
	CU_ASSERT_EQUAL(tried, 30 * MiB);
	CU_ASSERT_EQUAL(id2, 0);
	struct torchalloc_stats st;
	torchalloc_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.num_ooms, 1);
	CU_ASSERT_EQUAL(st.reserved, 0); /* the small segment went back before the OOM */
	CU_ASSERT_EQUAL(st.peak_reserved, 2 * MiB);
	torchalloc_delete(a);
	torchalloc_delete(NULL);
}

static void test_seed(void)
{
	struct torchalloc_conf c;
	torchalloc_conf_init(&c);
	struct torchalloc *a = torchalloc_new(&c, 0);
	uint32_t b1, b2, b3;
	uint64_t tried;
	CU_ASSERT_EQUAL(torchalloc_seed_segment(a, 0x100000, 40 * MiB, 0, 0), 0);
	CU_ASSERT_EQUAL(torchalloc_seed_segment(a, 0x100000 + 20 * MiB, 2 * MiB, 0, 1), -1);
	CU_ASSERT_EQUAL(torchalloc_seed_segment(a, 0, 0, 0, 1), -1);
	CU_ASSERT_EQUAL(torchalloc_malloc_at(a, 0x100000 + 10 * MiB, 5 * MiB, 5 * MiB - 100, 0, &b1), 0);
	CU_ASSERT_EQUAL(torchalloc_block_addr(a, b1), 0x100000 + 10 * MiB);
	CU_ASSERT_EQUAL(torchalloc_malloc_at(a, 0x100000 + 12 * MiB, MiB, MiB, 0, &b2), -1);
	CU_ASSERT_EQUAL(torchalloc_malloc_at(a, 0x100000, MiB, MiB, 3, &b2), -1); /* stream */
	/* best fit from the free pieces: 10 MiB before, 25 MiB after */
	CU_ASSERT_EQUAL(torchalloc_malloc(a, 8 * MiB, 0, UINT64_MAX, &b2, &tried), 0);
	CU_ASSERT_EQUAL(torchalloc_block_addr(a, b2), 0x100000);
	CU_ASSERT_EQUAL(torchalloc_free(a, b1), 0);
	CU_ASSERT_EQUAL(torchalloc_malloc(a, 30 * MiB, 0, UINT64_MAX, &b3, &tried), 0);
	CU_ASSERT_EQUAL(torchalloc_block_addr(a, b3), 0x100000 + 8 * MiB);
	struct torchalloc_stats st;
	torchalloc_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.reserved, 40 * MiB);
	CU_ASSERT_EQUAL(st.segments, 1);
	/* the model's own segments come after the seeds; no seeding then */
	CU_ASSERT_EQUAL(torchalloc_malloc(a, 30 * MiB, 0, UINT64_MAX, &b1, &tried), 0);
	CU_ASSERT(torchalloc_block_addr(a, b1) >= 0x100000 + 40 * MiB);
	CU_ASSERT_EQUAL(torchalloc_seed_segment(a, 1ull << 50, 2 * MiB, 0, 1), -1);
	torchalloc_delete(a);
}

/* ---- configuration strings ---- */

static void conf_bad(const char *s, const char *needle)
{
	struct torchalloc_conf c;
	char *cause = NULL;
	CU_ASSERT_EQUAL(torchalloc_conf_parse(s, &c, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause);
	if (cause && !strstr(cause, needle)) {
		fprintf(stderr, "\n  '%s': cause '%s' lacks '%s'\n", s, cause, needle);
		CU_FAIL("cause");
	}
	free(cause);
	CU_ASSERT_EQUAL(c.max_split_size, UINT64_MAX); /* defaults left on failure */
}

static void test_conf(void)
{
	struct torchalloc_conf c;
	CU_ASSERT_EQUAL(torchalloc_conf_parse(NULL, &c, NULL), 0);
	CU_ASSERT_EQUAL(c.max_split_size, UINT64_MAX);
	CU_ASSERT_EQUAL(c.max_non_split_rounding, 20 * MiB);
	CU_ASSERT_EQUAL(c.expandable, 0);
	CU_ASSERT_EQUAL(torchalloc_conf_parse("", &c, NULL), 0);
	CU_ASSERT_EQUAL(torchalloc_conf_parse("expandable_segments:True,max_split_size_mb:128,"
					      "roundup_power2_divisions:4,"
					      "garbage_collection_threshold:0.6", &c, NULL), 0);
	CU_ASSERT_EQUAL(c.expandable, 1);
	CU_ASSERT_EQUAL(c.max_split_size, 128 * MiB);
	CU_ASSERT_EQUAL(c.divisions[0], 4);
	CU_ASSERT_EQUAL(c.divisions[15], 4);
	CU_ASSERT(fabs(c.gc_threshold - 0.6) < 1e-12);
	/* blanks vanish, a trailing comma is accepted, keys that do not change
	 * the model are checked and ignored */
	CU_ASSERT_EQUAL(torchalloc_conf_parse(" expandable_segments : false , backend:native,"
					      "pinned_num_register_threads:8,"
					      "release_lock_on_cudamalloc:True,", &c, NULL), 0);
	CU_ASSERT_EQUAL(c.expandable, 0);
	CU_ASSERT_EQUAL(torchalloc_conf_parse("roundup_power2_divisions:[1:4,>:0]", &c, NULL), 0);
	CU_ASSERT_EQUAL(c.divisions[0], 4);
	CU_ASSERT_EQUAL(c.divisions[1], 0);
	CU_ASSERT_EQUAL(torchalloc_conf_parse("roundup_power2_divisions:[64:8,128:4]", &c, NULL), 0);
	CU_ASSERT_EQUAL(c.divisions[5], 8);
	CU_ASSERT_EQUAL(c.divisions[6], 8);
	CU_ASSERT_EQUAL(c.divisions[7], 4);
	CU_ASSERT_EQUAL(c.divisions[8], 0);

	conf_bad("foo:1", "unknown key 'foo'");
	conf_bad("max_split_size_mb:10", "max_split_size_mb: 10 is too small");
	conf_bad("max_split_size_mb:1x", "max_split_size_mb: expected a whole number");
	conf_bad("max_split_size_mb:", "max_split_size_mb: expected a whole number, found the end");
	conf_bad("expandable_segments:maybe", "expandable_segments: expected True or False");
	conf_bad("expandable_segments", "expandable_segments: expected ':'");
	conf_bad("garbage_collection_threshold:1.5", "garbage_collection_threshold");
	conf_bad("garbage_collection_threshold:0", "garbage_collection_threshold");
	conf_bad("roundup_power2_divisions:3", "power of 2");
	conf_bad("roundup_power2_divisions:[256:1", "expected ']'");
	conf_bad("roundup_power2_divisions:[300:1]", "not a power of 2");
	conf_bad("roundup_power2_divisions:[256:3]", "power of 2");
	conf_bad("roundup_power2_divisions:[256:1 512:2]", "expected ','");
	conf_bad("backend:cudaMallocAsync", "not modelled");
	conf_bad("expandable_segments:True;max_split_size_mb:64", "expandable_segments");
	conf_bad(":True", "expected a key");
	conf_bad("max_split_size_mb:99999999999999999999999", "too large");
}

/* ---- the replay's torch model ---- */

static struct trace_event mk(int kind, int64_t t, uint64_t addr, uint64_t size, uint64_t stream)
{
	struct trace_event e;
	trace_event_init(&e, kind, t);
	e.seq = t;
	e.device = 0;
	e.addr = addr;
	e.size = size;
	e.stream = stream;
	e.category = TRACE_CAT_ACTIVATION;
	return e;
}

static int replay_events(const struct trace_event *ev, size_t n, const char *gpus, const char *conf,
			 uint64_t reserve, struct sim_result *res, char **cause)
{
	struct sim_config cfg;
	sim_config_init(&cfg);
	cfg.model = SIM_MODEL_TORCH;
	cfg.alloc_conf = conf;
	cfg.reserve = reserve;
	cfg.reserve_set = 1;
	if (topo_parse(gpus, &cfg.topo, cause))
		return UTIL_EINPUT;
	struct sim_source *src = sim_source_array(ev, n);
	int rc = sim_replay(&cfg, src, res, cause);
	sim_source_free(src);
	return rc;
}

static void test_replay_devlog(void)
{
	struct trace_event ev[40];
	size_t n = 0;
	int64_t t = 1;
	/* a recorded segment: ignored, the model makes its own */
	ev[n] = mk(TRACE_SEGMENT_ALLOC, t++, 0x7000000, 512 * MiB, 0);
	ev[n++].category = TRACE_CAT_CACHE;
	for (int i = 0; i < 8; i++)
		ev[n++] = mk(TRACE_ALLOC, t++, 0x1000 + (uint64_t)i, 16 * MiB, 0);
	for (int i = 0; i < 8; i++)
		ev[n++] = mk(TRACE_FREE, t++, 0x1000 + (uint64_t)i, 16 * MiB, 0);
	for (int i = 0; i < 4; i++)
		ev[n++] = mk(TRACE_ALLOC, t++, 0x2000 + (uint64_t)i, 32 * MiB, 0);
	ev[n] = mk(TRACE_ALLOC, t++, 0x3000, 100, 0); /* req_size wins over size */
	ev[n].req_size = 100;
	ev[n++].size = 512;
	ev[n] = mk(TRACE_ALLOC, t++, 0x4000, 3 * MiB, 0); /* host: tallied as recorded */
	ev[n++].device = TRACE_DEV_HOST;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(replay_events(ev, n, "1x80G", NULL, 100 * MiB, res, &cause), 0);
	const struct sim_dev *d = &res->dev[0];
	CU_ASSERT_EQUAL(d->reserved, 256 * MiB + 2 * MiB);
	CU_ASSERT_EQUAL(d->allocated, 128 * MiB + 512);
	CU_ASSERT_EQUAL(d->used[TRACE_CAT_ACTIVATION], 128 * MiB + 512);
	CU_ASSERT_EQUAL(d->used[TRACE_CAT_CACHE], 128 * MiB + 2 * MiB - 512);
	CU_ASSERT_EQUAL(d->used[TRACE_CAT_CONTEXT], 100 * MiB);
	CU_ASSERT_EQUAL(d->total, 100 * MiB + 258 * MiB);
	CU_ASSERT_EQUAL(d->peak, 100 * MiB + 258 * MiB);
	CU_ASSERT_EQUAL(d->n_alloc, 13);
	CU_ASSERT_EQUAL(d->n_free, 8);
	CU_ASSERT_EQUAL(res->host.total, 3 * MiB);
	CU_ASSERT_EQUAL(res->has_oom, 0);
	free(res);
}

static void test_replay_oom(void)
{
	struct trace_event ev[16];
	size_t n = 0;
	ev[n++] = mk(TRACE_ALLOC, 1, 0xa, 100 * MiB, 0);
	ev[n++] = mk(TRACE_FREE, 2, 0xa, 100 * MiB, 0);
	ev[n++] = mk(TRACE_ALLOC, 3, 0xb, 150 * MiB, 0);  /* fits after the cache goes */
	ev[n++] = mk(TRACE_OOM, 4, 0, 40 * MiB, 0);       /* recorded, fits: probed */
	ev[n++] = mk(TRACE_ALLOC, 5, 0xc, 60 * MiB, 0);   /* 150 + 40 cached + 60 > 200 */
	ev[n++] = mk(TRACE_ALLOC, 6, 0xd, 10 * MiB, 0);
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	char *cause = NULL;
	/* 200 MiB GPU (topology sizes are GiB or MiB with suffix) */
	CU_ASSERT_EQUAL_FATAL(replay_events(ev, n, "200M", NULL, 0, res, &cause), 0);
	CU_ASSERT_EQUAL(res->has_oom, 1);
	CU_ASSERT_EQUAL(res->stopped, 1);
	CU_ASSERT_EQUAL(res->n_recorded_oom_ok, 1);
	CU_ASSERT_EQUAL(res->first_oom.size, 60 * MiB);
	CU_ASSERT_EQUAL(res->first_oom.free, 50 * MiB); /* the 40 MiB cache went first */
	CU_ASSERT_EQUAL(res->first_oom.t_ns, 5);
	CU_ASSERT_EQUAL(res->dev[0].reserved, 150 * MiB);
	CU_ASSERT_EQUAL(res->dev[0].peak, 190 * MiB);
	CU_ASSERT_EQUAL(res->n_events, 5);

	/* spill: the bytes go to the host, and the replay goes on */
	struct sim_config cfg;
	sim_config_init(&cfg);
	cfg.model = SIM_MODEL_TORCH;
	cfg.reserve = 0;
	cfg.reserve_set = 1;
	cfg.on_oom = SIM_OOM_SPILL;
	CU_ASSERT_EQUAL_FATAL(topo_parse("200M", &cfg.topo, &cause), 0);
	ev[n++] = mk(TRACE_FREE, 7, 0xc, 60 * MiB, 0);
	struct sim_source *src = sim_source_array(ev, n);
	CU_ASSERT_EQUAL(sim_replay(&cfg, src, res, &cause), 0);
	sim_source_free(src);
	CU_ASSERT_EQUAL(res->stopped, 0);
	CU_ASSERT_EQUAL(res->n_spilled, 60 * MiB);
	CU_ASSERT_EQUAL(res->host.total, 0);          /* freed again at t=7 */
	CU_ASSERT_EQUAL(res->host.peak, 60 * MiB);
	CU_ASSERT_EQUAL(res->dev[0].reserved, 160 * MiB); /* 10 MiB: a 10 MiB segment */
	CU_ASSERT_EQUAL(res->dev[0].allocated, 160 * MiB);
	free(res);
}

/* Each process has its own allocator on each GPU: no reuse of another
 * process's cache, and an OOM empties only the failing process's cache. */
static void test_replay_processes(void)
{
	struct trace_event ev[8];
	size_t n = 0;
	ev[n++] = mk(TRACE_ALLOC, 1, 0xa, 30 * MiB, 0);
	ev[n++] = mk(TRACE_FREE, 2, 0xa, 30 * MiB, 0);
	ev[n] = mk(TRACE_ALLOC, 3, 0xa, 16 * MiB, 0); /* same address, other process */
	ev[n++].pid = 2;
	ev[n] = mk(TRACE_ALLOC, 4, 0xb, 8 * MiB, 0);  /* 30 + 16 + 20: does not fit */
	ev[n++].pid = 2;
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(replay_events(ev, n, "60M", NULL, 0, res, &cause), 0);
	CU_ASSERT_EQUAL(res->has_oom, 1);
	CU_ASSERT_EQUAL(res->first_oom.t_ns, 4);
	CU_ASSERT_EQUAL(res->first_oom.size, 20 * MiB);
	CU_ASSERT_EQUAL(res->dev[0].reserved, 46 * MiB); /* process 1 keeps its cache */
	CU_ASSERT_EQUAL(res->dev[0].used[TRACE_CAT_CACHE], 30 * MiB);
	CU_ASSERT_EQUAL(res->n_unmatched, 0);
	/* one process: the 30 MiB cached block serves both */
	ev[2].pid = ev[3].pid = 0;
	ev[2].addr = 0xc;
	CU_ASSERT_EQUAL_FATAL(replay_events(ev, n, "60M", NULL, 0, res, &cause), 0);
	CU_ASSERT_EQUAL(res->has_oom, 0);
	CU_ASSERT_EQUAL(res->dev[0].reserved, 30 * MiB);
	free(res);
}

static void test_replay_bad_conf(void)
{
	struct trace_event ev = mk(TRACE_ALLOC, 1, 0xa, MiB, 0);
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	char *cause = NULL;
	CU_ASSERT_EQUAL(replay_events(&ev, 1, "1x24G", "max_split_size_mb:64,bogus:1", 0, res, &cause),
			UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause);
	CU_ASSERT_PTR_NOT_NULL(cause ? strstr(cause, "unknown key 'bogus'") : NULL);
	free(cause);
	free(res);

	/* the CLI options: --alloc torch, --alloc-conf checked at once */
	struct scen_opts so;
	scen_opts_init(&so);
	cause = NULL;
	CU_ASSERT_EQUAL(scen_opt(&so, SCEN_OPT_ALLOC, "torch", &cause), 1);
	CU_ASSERT_EQUAL(scen_opt(&so, SCEN_OPT_ALLOC, "jemalloc", &cause), UTIL_EINPUT);
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(scen_opt(&so, SCEN_OPT_ALLOCCONF, "expandable_segments:True", &cause), 1);
	CU_ASSERT_EQUAL(scen_opt(&so, SCEN_OPT_ALLOCCONF, "expandable_segment:True", &cause),
			UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause ? strstr(cause, "--alloc-conf 'expandable_segment:True': "
					      "unknown key 'expandable_segment'") : NULL);
	free(cause);
}

/* ---- acceptance: a real PyTorch snapshot against its recorded end ----
 *
 * torch_snapshot_modern_cs336_win.pickle (tests/data/traces, see NOTICE):
 * one device, 216 segments at the snapshot (13524 MiB reserved), a ring
 * of 5163 entries (1721 alloc/free pairs) and no segment_alloc in it: the
 * recording began after every segment existed. The importer puts those
 * segments and the 227 blocks live before the ring (plus 2 orphan frees)
 * at t = 0.
 *
 * Cold (what `vramsim replay --alloc torch` does: the model makes its own
 * segments): 13436 MiB, 88 MiB less than recorded. Every MiB of it, by
 * segment size (recorded -> model): 20 MiB 25 -> 49 (+480 MiB), 30 MiB
 * 2 -> 4 (+60 MiB), 314 MiB 6 -> 4 (-628 MiB); the 2, 4, 12, 24 and
 * 96 MiB segments agree (8, 4, 75, 96). The recorded allocator had six
 * 314 MiB segments from before the ring began; the ring never needs more
 * than four at once, so the cold model makes four, and the 1-10 MiB
 * requests that the recording carved from the free tails of the other two
 * get 20 MiB segments of their own (plus two 30 MiB ones for requests
 * that fitted there).
 *
 * Warm (the model seeded with the recorded segments and blocks at t = 0,
 * torchalloc_seed_segment/malloc_at): every one of the 1721 allocations
 * of the ring lands at its recorded address, and reserved and allocated
 * at the end equal torch.reserved_end.0 and torch.allocated_end.0 to the
 * byte. So the whole difference is history from before the recording,
 * not a rule the model gets wrong.
 */
#define SNAPSHOT "traces/torch_snapshot_modern_cs336_win.pickle"

struct seg_hist {
	uint64_t n[1024][2]; /* by size in MiB (below 1 GiB) and pool */
	uint64_t other;
};

static void hist_add(void *ud, const struct torchalloc_segment *s)
{
	struct seg_hist *h = ud;
	if (s->size % MiB == 0 && s->size / MiB < 1024)
		h->n[s->size / MiB][s->small ? 1 : 0]++;
	else
		h->other++;
}

static int64_t setting(struct store *st, int64_t trace, const char *key)
{
	int64_t v = -1;
	int set = 0;
	if (store_setting_int(st, trace, key, &v, &set, NULL) || !set)
		return -1;
	return v;
}

/* Drive the allocator with the stored events. warm: seed the t=0 state. */
static void drive(struct store *st, int64_t trace, int warm, struct seg_hist *h,
		  struct torchalloc_stats *out, uint64_t *matched, uint64_t *placed)
{
	struct trace_event *ev = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(sim_source_load(st, trace, &ev, &n, NULL), 0);
	int64_t seeds = setting(st, trace, "torch.reconciled_blocks") +
			setting(st, trace, "torch.reconciled_pending") +
			setting(st, trace, "torch.orphan_frees");
	struct torchalloc_conf c;
	torchalloc_conf_init(&c);
	struct torchalloc *a = torchalloc_new(&c, 80ull << 30);
	struct u64map live = { 0 };
	*matched = *placed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trace_event *e = &ev[i];
		uint32_t id = 0;
		uint64_t tried, want = e->req_size ? e->req_size : e->size, old;
		if (e->kind == TRACE_SEGMENT_ALLOC && warm) {
			CU_ASSERT_EQUAL(torchalloc_seed_segment(a, e->addr, e->size, e->stream,
								e->api == 1), 0);
		} else if (e->kind == TRACE_ALLOC && warm && seeds > 0) {
			seeds--;
			CU_ASSERT_EQUAL(torchalloc_malloc_at(a, e->addr, e->size, want, e->stream, &id), 0);
			u64map_put(&live, e->addr, id);
		} else if (e->kind == TRACE_ALLOC) {
			CU_ASSERT_EQUAL(torchalloc_malloc(a, want, e->stream, UINT64_MAX, &id, &tried), 0);
			(*placed)++;
			*matched += torchalloc_block_addr(a, id) == e->addr;
			u64map_put(&live, e->addr, id);
		} else if (e->kind == TRACE_FREE && u64map_del(&live, e->addr, &old)) {
			CU_ASSERT_EQUAL(torchalloc_free(a, (uint32_t)old), 0);
		}
	}
	torchalloc_get_stats(a, out);
	torchalloc_segments(a, hist_add, h);
	u64map_free(&live);
	torchalloc_delete(a);
	free(ev);
}

static void test_snapshot_end_state(void)
{
	if (access(cu_data(SNAPSHOT), R_OK) != 0) {
		fprintf(stderr, "\n  skipped: %s is not there\n", cu_data(SNAPSHOT));
		return;
	}
	char db[1024], out[1024];
	snprintf(db, sizeof(db), "%s", cu_tmp("torch.db"));
	snprintf(out, sizeof(out), "%s", cu_tmp("replay.out"));
	cu_sh("rm -f '%s'", db);
	struct store *st = NULL;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(db, STORE_CREATE, &st, &cause), 0);
	struct imp_opts io = { .format = "torch", .quiet = 1 };
	struct imp_ctx ic;
	int rc = imp_file(st, cu_data(SNAPSHOT), &io, &ic, &cause);
	if (rc)
		fprintf(stderr, "\n  import: %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	free(ic.summary);
	int64_t trace = ic.traces[0];
	int64_t rec_reserved = setting(st, trace, "torch.reserved_end.0");
	int64_t rec_allocated = setting(st, trace, "torch.allocated_end.0");
	CU_ASSERT_EQUAL(rec_reserved, 14180941824);  /* 13524 MiB */
	CU_ASSERT_EQUAL(rec_allocated, 1377753600);

	/* the replay, cold, on a GPU big enough never to release anything */
	struct sim_config cfg;
	sim_config_init(&cfg);
	cfg.model = SIM_MODEL_TORCH;
	CU_ASSERT_EQUAL_FATAL(topo_parse("1x80G", &cfg.topo, NULL), 0);
	struct sim_source *src = NULL;
	CU_ASSERT_EQUAL_FATAL(sim_source_store(st, trace, &src, NULL), 0);
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	CU_ASSERT_EQUAL(sim_replay(&cfg, src, res, &cause), 0);
	sim_source_free(src);
	CU_ASSERT_EQUAL(res->has_oom, 0);
	CU_ASSERT_EQUAL(res->n_unmatched, 0);
	CU_ASSERT_EQUAL((int64_t)res->dev[0].reserved, rec_reserved - 88 * (int64_t)MiB);

	/* the same, driven by hand: where the 88 MiB are */
	struct seg_hist *cold = util_xcalloc(1, sizeof(*cold));
	struct seg_hist *warm = util_xcalloc(1, sizeof(*warm));
	struct torchalloc_stats cs, ws;
	uint64_t matched, placed;
	drive(st, trace, 0, cold, &cs, &matched, &placed);
	CU_ASSERT_EQUAL(cs.reserved, res->dev[0].reserved);
	CU_ASSERT_EQUAL(placed, 1950); /* 227 + 2 at t=0 and the ring's 1721 */
	drive(st, trace, 1, warm, &ws, &matched, &placed);
	CU_ASSERT_EQUAL(placed, 1721);
	CU_ASSERT_EQUAL(matched, 1721);
	CU_ASSERT_EQUAL((int64_t)ws.reserved, rec_reserved);
	CU_ASSERT_EQUAL((int64_t)ws.allocated, rec_allocated);
	/* warm = recorded segment for segment */
	CU_ASSERT_EQUAL(warm->n[2][1], 8);
	CU_ASSERT_EQUAL(warm->n[12][0], 4);
	CU_ASSERT_EQUAL(warm->n[20][0], 25);
	CU_ASSERT_EQUAL(warm->n[24][0], 75);
	CU_ASSERT_EQUAL(warm->n[30][0], 2);
	CU_ASSERT_EQUAL(warm->n[96][0], 96);
	CU_ASSERT_EQUAL(warm->n[314][0], 6);
	CU_ASSERT_EQUAL(warm->other, 0);
	/* cold - warm: +24 x 20 MiB, +2 x 30 MiB, -2 x 314 MiB = -88 MiB */
	int64_t diff = 0;
	for (int s = 0; s < 1024; s++)
		for (int p = 0; p < 2; p++) {
			int64_t d = (int64_t)cold->n[s][p] - (int64_t)warm->n[s][p];
			int64_t expect = p ? 0 : s == 20 ? 24 : s == 30 ? 2 : s == 314 ? -2 : 0;
			diff += d * s;
			CU_ASSERT_EQUAL(d, expect);
		}
	CU_ASSERT_EQUAL(diff, -88);
	CU_ASSERT_EQUAL(cold->other, 0);
	free(cold);
	free(warm);
	free(res);
	store_close(st);

	/* the command prints the comparison */
	const char *bin = getenv("VRAMSIM");
	if (bin) {
		CU_ASSERT_EQUAL(cu_sh("'%s' replay --store '%s' --gpus 80G --alloc torch > '%s'", bin, db,
				      out), 0);
		CU_ASSERT_EQUAL(cu_sh("grep -q 'GPU 0 reserved at end: recorded 13524.0 MiB, simulated "
				      "13436.0 MiB (difference -88.0 MiB)' '%s'", out), 0);
		CU_ASSERT_EQUAL(cu_sh("'%s' replay --store '%s' --gpus 80G --alloc torch "
				      "--alloc-conf nope:1 2> '%s'", bin, db, out), 2);
		CU_ASSERT_EQUAL(cu_sh("grep -q \"unknown key 'nope'\" '%s'", out), 0);
	}
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("torchalloc", NULL, NULL);
	CU_ADD(s, test_round_size);
	CU_ADD(s, test_devlog_order);
	CU_ADD(s, test_expandable);
	CU_ADD(s, test_small_pool);
	CU_ADD(s, test_large_split);
	CU_ADD(s, test_streams);
	CU_ADD(s, test_max_split);
	CU_ADD(s, test_oom);
	CU_ADD(s, test_fraction_gc);
	CU_ADD(s, test_free_errors);
	CU_ADD(s, test_seed);
	CU_ADD(s, test_conf);
	CU_ADD(s, test_replay_devlog);
	CU_ADD(s, test_replay_oom);
	CU_ADD(s, test_replay_processes);
	CU_ADD(s, test_replay_bad_conf);
	CU_ADD(s, test_snapshot_end_state);
}

CUTEST_MAIN(register_tests)
