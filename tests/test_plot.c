/*
 * test_plot.c - the plots stage: gnuplot escaping, the downsampling
 * timeline observer, and every kind of PNG (signature and pixel size),
 * including with hostile names, existing files and a failing gnuplot.
 * Long because it is one test per picture kind and failure; each stands
 * alone.
 *
 * Over 800 lines: cases for every picture kind and the collector, sharing
 * the store fixtures and PNG checks written at the top.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cutest.h"
#include "plot.h"
#include "sim.h"
#include "sim_source.h"
#include "util.h"

#define GB (1ull << 30)
#define MB (1ull << 20)

/* ---- helpers ---- */

/* Width and height from a PNG's IHDR (PNG spec 11.2.2), 0 if it is no
 * PNG: the 8-byte signature, then length, "IHDR", width, height. */
static int png_size(const char *path, unsigned *w, unsigned *h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char b[24];
	FILE *f = fopen(path, "rb");
	*w = *h = 0;
	if (!f)
		return 0;
	size_t n = fread(b, 1, sizeof(b), f);
	fclose(f);
	if (n != sizeof(b) || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
		return 0;
	*w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
	*h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
	return 1;
}

static int file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* No file in the test directory whose name starts with prefix and goes on
 * with ".tmp" (a temporary picture left behind). */
static int no_tmp_left(const char *prefix)
{
	return cu_sh("ls '%s' | grep -q '^%s\\.tmp'", cu_tmpdir(), prefix) != 0;
}

/* A small result: n GPUs of cap bytes with a peak breakdown. */
static void make_result(struct sim_result *r, int n, uint64_t cap)
{
	memset(r, 0, sizeof(*r));
	r->n_dev = n;
	for (int g = 0; g < n; g++) {
		struct sim_dev *d = &r->dev[g];
		d->capacity = cap;
		d->reserve = 450 * MB;
		d->peak_used[TRACE_CAT_CONTEXT] = 450 * MB;
		d->peak_used[TRACE_CAT_WEIGHTS] = 13169 * MB;
		d->peak_used[TRACE_CAT_KV] = 38 * MB + (uint64_t)g * 700 * MB;
		d->peak_used[TRACE_CAT_COMPUTE] = g == 0 ? 985 * MB : 548 * MB;
		for (int c = 0; c < TRACE_CAT_MAX; c++)
			d->peak += d->peak_used[c];
		d->peak_reserved = d->peak - d->reserve;
		d->touched = 1;
	}
	r->t_end = 12 * 1000000000ll;
}

/* Feed a few changes per GPU: load weights, KV, compute, then a spike. */
static void feed_small(const struct sim_observer *o, int n)
{
	uint64_t used[TRACE_CAT_MAX];
	for (int g = 0; g < n; g++) {
		memset(used, 0, sizeof(used));
		int64_t t = (int64_t)g * 100000000;
		used[TRACE_CAT_CONTEXT] = 450 * MB;
		o->change(o->ud, g, t, used, 0);
		used[TRACE_CAT_WEIGHTS] = 13169 * MB;
		o->change(o->ud, g, t + 2000000000, used, used[TRACE_CAT_WEIGHTS]);
		used[TRACE_CAT_KV] = 38 * MB + (uint64_t)g * 700 * MB;
		o->change(o->ud, g, t + 4000000000, used, 0);
		used[TRACE_CAT_COMPUTE] = g == 0 ? 985 * MB : 548 * MB;
		o->change(o->ud, g, t + 5000000000, used, 0);
		used[TRACE_CAT_OUTPUT] = 2 * GB;
		o->change(o->ud, g, t + 8000000000, used, 0);
		used[TRACE_CAT_OUTPUT] = 0;
		o->change(o->ud, g, t + 9000000000, used, 0);
	}
}

static void free_list(char **files, int n)
{
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

/* ---- escaping ---- */

static void test_plot_quote(void)
{
	char buf[4096];
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "abc", 200), "'abc'");
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "it's", 200), "'it'.\"\\047\".'s'");
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "''", 200), "\"\\047\".\"\\047\"");
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "'a'", 200),
			       "\"\\047\".'a'.\"\\047\"");
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), NULL, 200), "''");
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "a\nb\rc\td\x7f", 200), "'a b c d '");
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "`x` @y $z \\", 200), "'`x` @y $z \\'");
	/* Invalid UTF-8 (a lone continuation, an overlong '/', a surrogate,
	 * a cut sequence) becomes '?'; valid UTF-8 passes. */
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82", 200),
			       "'?|?" "?|?" "?" "?|?" "?'");
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "\xc2\xb5s \xe2\x82\xac", 200),
			       "'\xc2\xb5s \xe2\x82\xac'");
	/* C1 controls are controls too. */
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "a\xc2\x85z", 200), "'a z'");
	/* Cut at max characters, with an ellipsis. */
	CU_ASSERT_STRING_EQUAL(plot_quote(buf, sizeof(buf), "abcdefgh", 5), "'abcde\xe2\x80\xa6'");
	/* 10 kB of quotes: cut to PLOT_MAX_TEXT characters, each one escaped. */
	char big[10001];
	memset(big, '\'', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	plot_quote(buf, sizeof(buf), big, 100000);
	size_t len = strlen(buf);
	CU_ASSERT_EQUAL(len, 6 + (PLOT_MAX_TEXT - 1) * 7 + 6);
	CU_ASSERT_EQUAL(strcmp(buf + len - 6, ".'\xe2\x80\xa6'"), 0);
	/* A small buffer still yields a whole literal. */
	char small[40];
	plot_quote(small, sizeof(small), big, 200);
	CU_ASSERT_EQUAL(strncmp(small, "\"\\047\".", 7), 0);
	CU_ASSERT_EQUAL(small[strlen(small) - 1], '\'');
	CU_ASSERT_STRING_EQUAL(plot_quote(small, 10, "abc", 200), "''");
}

/* gnuplot reads every literal back as the text it came from. */
static void test_plot_quote_gnuplot(void)
{
	static const char *const texts[] = {
		"plain", "it's", "'", "''", "'''x'", "a''''b", "x'", "'lead", "trail'",
		"\"; system(\"touch x\"); \"", "`touch y`", "@x", "$d", "\\'\\",
		"\"'\"", "'.'", "%d %s", "\xc2\xb5s \xe2\x82\xac", "\"'@v", "a\"b'@v'@v\"",
		"\\047", "\"\\047\"", "'.\"\\047\".'@v",
	};
	char lit[4096];
	const char *script = cu_tmp("quote.gp"), *out = cu_tmp("quote.out");
	FILE *f = fopen(script, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "set print %s\n", plot_quote(lit, sizeof(lit), out, 200));
	/* A string variable that @v would expand. */
	fprintf(f, "v = 'EXPANDED'\n");
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(texts); i++)
		fprintf(f, "print %s\n", plot_quote(lit, sizeof(lit), texts[i], 200));
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(cu_sh("gnuplot '%s'", script), 0);
	f = fopen(out, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char line[512];
	size_t i = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (i < UTIL_ARRAY_SIZE(texts))
			CU_ASSERT_STRING_EQUAL(line, texts[i]);
		i++;
	}
	fclose(f);
	CU_ASSERT_EQUAL(i, UTIL_ARRAY_SIZE(texts));
	CU_ASSERT(!file_exists("x") && !file_exists("y"));
}

/* ---- the timeline collector ---- */

static void test_timeline_exact(void)
{
	struct plot_timeline *tl = plot_timeline_new(2);
	const struct sim_observer *o = plot_timeline_observer(tl);
	uint64_t used[TRACE_CAT_MAX] = { 0 };
	/* Exactly as many changes as buckets: every one is kept as is,
	 * including two at the same time. */
	for (int i = 0; i < PLOT_TIMELINE_BUCKETS; i++) {
		used[TRACE_CAT_KV] = (uint64_t)(i % 7) * MB;
		used[TRACE_CAT_WEIGHTS] = (uint64_t)i;
		o->change(o->ud, 1, i / 2, used, 0);
	}
	o->change(o->ud, 5, 3, used, 0);  /* not a device: ignored */
	o->change(o->ud, -1, 3, used, 0); /* the host: ignored */
	size_t n;
	uint64_t w;
	int64_t origin;
	const struct plot_bucket *b = plot_timeline_buckets(tl, 1, &n, &w, &origin);
	CU_ASSERT_EQUAL_FATAL(n, PLOT_TIMELINE_BUCKETS);
	CU_ASSERT_EQUAL(w, 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t level = (uint64_t)(i % 7) * MB + i;
		CU_ASSERT_EQUAL(b[i].t, (int64_t)i / 2);
		CU_ASSERT_EQUAL(b[i].min, level);
		CU_ASSERT_EQUAL(b[i].max, level);
		CU_ASSERT_EQUAL(b[i].used[TRACE_CAT_WEIGHTS], i);
		CU_ASSERT_EQUAL(b[i].seq, i);
	}
	CU_ASSERT_PTR_NULL(plot_timeline_buckets(tl, 0, &n, &w, &origin));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(plot_timeline_buckets(tl, 2, &n, &w, &origin));
	/* One more change and it is downsampled. */
	o->change(o->ud, 1, PLOT_TIMELINE_BUCKETS, used, 0);
	plot_timeline_buckets(tl, 1, &n, &w, &origin);
	CU_ASSERT(w > 0);
	CU_ASSERT(n <= PLOT_TIMELINE_BUCKETS);
	plot_timeline_free(tl);
	CU_ASSERT_PTR_NULL(plot_timeline_new(0));
	CU_ASSERT_PTR_NULL(plot_timeline_new(TOPO_MAX_GPUS + 1));
	plot_timeline_free(NULL);
}

/* A deterministic pseudo-random stream (xorshift64). */
static uint64_t rng_state;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct change {
	int64_t t;
	uint64_t level;
};

/* Check every bucket of dev against the definition in plot.h, by brute
 * force over the whole stream. */
static void check_envelope(const struct plot_timeline *tl, int dev, const struct change *ch,
			   size_t n_ch)
{
	size_t n;
	uint64_t w;
	int64_t origin;
	const struct plot_bucket *b = plot_timeline_buckets(tl, dev, &n, &w, &origin);
	CU_ASSERT_FATAL(b != NULL && w > 0);
	CU_ASSERT(n <= PLOT_TIMELINE_BUCKETS);
	CU_ASSERT_EQUAL(origin, ch[0].t);
	/* The buckets reach the last change. */
	CU_ASSERT_EQUAL((uint64_t)(ch[n_ch - 1].t - origin) / w, n - 1);
	size_t j = 0, bad = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t lo = origin + (int64_t)(i * w), hi = lo + (int64_t)w;
		uint64_t mn = UINT64_MAX, mx = 0;
		if (j > 0) /* the level carried in */
			mn = mx = ch[j - 1].level;
		for (; j < n_ch && ch[j].t < hi; j++) {
			if (ch[j].level < mn)
				mn = ch[j].level;
			if (ch[j].level > mx)
				mx = ch[j].level;
		}
		uint64_t stack = 0;
		for (int c = 0; c < TRACE_CAT_MAX; c++)
			stack += b[i].used[c];
		if (b[i].t != lo || b[i].min != mn || b[i].max != mx || stack != mx)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(j, n_ch);
}

static void test_timeline_envelope(void)
{
	/* Times in bursts (many changes at one time, then gaps of all sizes),
	 * levels split over categories. */
	size_t n_ch = 60000;
	struct change *ch = util_xmalloc(n_ch * sizeof(*ch));
	struct plot_timeline *tl = plot_timeline_new(1);
	const struct sim_observer *o = plot_timeline_observer(tl);
	rng_state = 0x9e3779b97f4a7c15ull;
	int64_t t = 1000;
	for (size_t i = 0; i < n_ch; i++) {
		uint64_t r = rng();
		if (r % 4 != 0)
			t += (int64_t)(r >> 40) % (r % 3 == 0 ? 50 : 5000000);
		uint64_t used[TRACE_CAT_MAX] = { 0 };
		used[TRACE_CAT_WEIGHTS] = 4 * GB;
		used[(r >> 8) % TRACE_CAT_MAX] += (r >> 20) % (8 * GB);
		used[TRACE_CAT_KV] += (r >> 3) % GB;
		ch[i].t = t;
		ch[i].level = 0;
		for (int c = 0; c < TRACE_CAT_MAX; c++)
			ch[i].level += used[c];
		o->change(o->ud, 0, t, used, 0);
		/* The bound holds at every moment, not just at the end. */
		if (i % 997 == 0) {
			size_t n;
			uint64_t w;
			int64_t origin;
			plot_timeline_buckets(tl, 0, &n, &w, &origin);
			CU_ASSERT(n <= PLOT_TIMELINE_BUCKETS);
		}
	}
	check_envelope(tl, 0, ch, n_ch);
	plot_timeline_free(tl);
	free(ch);
}

static void test_timeline_bounded(void)
{
	/* 10 million changes: the buckets stay bounded and the envelope of
	 * a known sawtooth comes out exact. */
	struct plot_timeline *tl = plot_timeline_new(2);
	const struct sim_observer *o = plot_timeline_observer(tl);
	uint64_t used[TRACE_CAT_MAX] = { 0 };
	size_t n = 0, most = 0;
	uint64_t w;
	int64_t origin;
	for (int64_t i = 0; i < 10000000; i++) {
		used[TRACE_CAT_ACTIVATION] = (uint64_t)(i % 1000) * MB;
		o->change(o->ud, (int)(i & 1), i * 10, used, 0);
		if ((i & 0xfffff) == 0) {
			plot_timeline_buckets(tl, 0, &n, &w, &origin);
			most = n > most ? n : most;
		}
	}
	const struct plot_bucket *b = plot_timeline_buckets(tl, 0, &n, &w, &origin);
	CU_ASSERT(n <= PLOT_TIMELINE_BUCKETS && most <= PLOT_TIMELINE_BUCKETS);
	CU_ASSERT(n >= PLOT_TIMELINE_BUCKETS / 4);
	/* Device 0 sees even i at t = 10 i with level (i % 1000) MiB; a bucket
	 * wider than 20000 ns spans whole periods: min 0, max 998 MiB. */
	CU_ASSERT_FATAL(w >= 20000);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		if (b[i].min != 0 || b[i].max != 998 * MB ||
		    b[i].used[TRACE_CAT_ACTIVATION] != 998 * MB)
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	plot_timeline_buckets(tl, 1, &n, &w, &origin);
	CU_ASSERT(n <= PLOT_TIMELINE_BUCKETS);
	plot_timeline_free(tl);
}

/* ---- pictures ---- */

static void test_plot_timeline_png(void)
{
	struct sim_result r;
	make_result(&r, 3, 24080 * MB);
	struct plot_timeline *tl = plot_timeline_new(3);
	const struct sim_observer *o = plot_timeline_observer(tl);
	feed_small(o, 3);
	/* An OOM on GPU 1, as replay reports it. */
	struct sim_oom oom = { .t_ns = 7000000000ll, .device = 1, .size = 8898 * MB,
			       .category = TRACE_CAT_COMPUTE, .layer_lo = -1, .layer_hi = -1,
			       .used = 15000 * MB, .free = 9080 * MB };
	o->oom(o->ud, &oom);
	r.has_oom = 1;
	r.first_oom = oom;
	struct plot_meta m = { .model = "Llama-3.3-70B Q4_K_M", .topology = "3x24080M",
			       .scenario = "identity", .trace_name = "llamacpp_3x4090.log" };
	char **files = NULL;
	int nf = 0;
	char *cause = NULL;
	char path[4096];
	snprintf(path, sizeof(path), "%s", cu_tmp("timeline.png"));
	int rc = plot_timeline_write(tl, &r, &m, path, 0, &files, &nf, &cause);
	if (rc)
		fprintf(stderr, "cause: %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(nf, 1);
	CU_ASSERT_STRING_EQUAL(files[0], path);
	unsigned w, h;
	CU_ASSERT(png_size(path, &w, &h));
	CU_ASSERT_EQUAL(w, 1280);
	CU_ASSERT_EQUAL(h, 56 + 3 * 220 + 48);
	CU_ASSERT(no_tmp_left("timeline.png"));
	free_list(files, nf);

	/* One file per GPU when the name has %d (and only there: the % in
	 * the directory is left alone). */
	CU_ASSERT_EQUAL(cu_sh("mkdir -p '%s'", cu_tmp("a%db")), 0);
	snprintf(path, sizeof(path), "%s/tl-gpu%%d.png", cu_tmp("a%db"));
	rc = plot_timeline_write(tl, &r, &m, path, 0, &files, &nf, &cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(nf, 3);
	for (int i = 0; i < nf; i++) {
		char want[4096];
		snprintf(want, sizeof(want), "%s/tl-gpu%d.png", cu_tmp("a%db"), i);
		CU_ASSERT_STRING_EQUAL(files[i], want);
		CU_ASSERT(png_size(want, &w, &h));
		CU_ASSERT_EQUAL(h, 56 + 360 + 48);
	}
	free_list(files, nf);
	plot_timeline_free(tl);
}

static void test_plot_timeline_downsampled(void)
{
	/* A long trace: the buckets, the min line and change-by-change
	 * levels on a 4-GPU topology with one untouched GPU. */
	struct sim_result r;
	make_result(&r, 4, 24 * GB);
	struct plot_timeline *tl = plot_timeline_new(4);
	const struct sim_observer *o = plot_timeline_observer(tl);
	uint64_t used[TRACE_CAT_MAX] = { 0 };
	rng_state = 42;
	for (int64_t i = 0; i < 200000; i++) {
		int g = (int)(i % 3);
		used[TRACE_CAT_CONTEXT] = 450 * MB;
		used[TRACE_CAT_WEIGHTS] = i > 1000 ? 12 * GB : (uint64_t)i * 12 * MB;
		used[TRACE_CAT_ACTIVATION] = i > 1000 ? rng() % (6 * GB) : 0;
		used[TRACE_CAT_CACHE] = i > 1000 ? (uint64_t)(i % 5000) * MB / 2 : 0;
		o->change(o->ud, g, i * 50000, used, 0);
	}
	r.t_end = 200000ll * 50000;
	char **files = NULL;
	int nf = 0;
	char *cause = NULL;
	int rc = plot_timeline_write(tl, &r, NULL, cu_tmp("long.png"), 0, &files, &nf, &cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	unsigned w, h;
	CU_ASSERT(png_size(cu_tmp("long.png"), &w, &h));
	CU_ASSERT_EQUAL(h, 56 + 4 * 220 + 48);
	free_list(files, nf);
	plot_timeline_free(tl);
}

static void test_plot_timeline_same_time(void)
{
	/* A log-derived trace: every change at t = 0. The x axis counts
	 * changes instead, so each step is still visible. */
	struct sim_result r;
	make_result(&r, 1, 24 * GB);
	r.t_end = 0;
	struct plot_timeline *tl = plot_timeline_new(1);
	const struct sim_observer *o = plot_timeline_observer(tl);
	uint64_t used[TRACE_CAT_MAX] = { 0 };
	for (int c = 0; c < 5; c++) {
		used[c] = (uint64_t)(c + 1) * 2 * GB;
		o->change(o->ud, 0, 0, used, 0);
	}
	char **files = NULL;
	int nf = 0;
	int rc = plot_timeline_write(tl, &r, NULL, cu_tmp("same.png"), 0, &files, &nf, NULL);
	CU_ASSERT_EQUAL(rc, 0);
	unsigned w, h;
	CU_ASSERT(png_size(cu_tmp("same.png"), &w, &h));
	free_list(files, nf);
	plot_timeline_free(tl);
}

static void test_plot_breakdown_png(void)
{
	struct sim_result r;
	make_result(&r, 3, 24080 * MB);
	/* GPU 2: a caching allocator holding 3 GiB more than it handed out. */
	r.dev[2].peak_reserved += 3 * GB;
	/* GPU 1 ran out. */
	r.has_oom = 1;
	r.first_oom = (struct sim_oom){ .device = 1, .size = 8898 * MB, .used = 15000 * MB,
					.free = 9080 * MB, .category = TRACE_CAT_COMPUTE,
					.layer_lo = 40, .layer_hi = 79 };
	struct plot_meta m = { .title = "where did my VRAM go?", .topology = "3x24080M" };
	char *cause = NULL;
	int rc = plot_breakdown_write(&r, &m, cu_tmp("breakdown.png"), 0, &cause);
	if (rc)
		fprintf(stderr, "cause: %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	unsigned w, h;
	CU_ASSERT(png_size(cu_tmp("breakdown.png"), &w, &h));
	CU_ASSERT_EQUAL(w, 1000);
	CU_ASSERT_EQUAL(h, 720);
	CU_ASSERT(no_tmp_left("breakdown.png"));
	/* Many GPUs make a wider picture. */
	make_result(&r, 15, 24 * GB);
	rc = plot_breakdown_write(&r, NULL, cu_tmp("breakdown15.png"), 0, &cause);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(png_size(cu_tmp("breakdown15.png"), &w, &h));
	CU_ASSERT_EQUAL(w, 320 + 15 * 120);
}

static void test_plot_compare_png(void)
{
	struct sim_result rec, what;
	make_result(&rec, 3, 24080 * MB);
	make_result(&what, 4, 16 * GB);
	what.has_oom = 1;
	what.first_oom = (struct sim_oom){ .device = 0, .size = 2 * GB, .used = 15 * GB,
					   .free = 1 * GB, .category = TRACE_CAT_KV,
					   .layer_lo = -1, .layer_hi = -1 };
	struct plot_meta mr = { .scenario = "recorded", .topology = "3x24080M",
				.trace_name = "llamacpp" };
	struct plot_meta mw = { .scenario = "what-if 4x16G", .topology = "4x16G" };
	char *cause = NULL;
	int rc = plot_compare_write(&rec, &what, &mr, &mw, cu_tmp("compare.png"), 0, &cause);
	if (rc)
		fprintf(stderr, "cause: %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	unsigned w, h;
	CU_ASSERT(png_size(cu_tmp("compare.png"), &w, &h));
	CU_ASSERT_EQUAL(w, 320 + 4 * 230);
	CU_ASSERT_EQUAL(h, 760);
}

static void test_plot_fitcurve_png(void)
{
	uint64_t ctx[] = { 65536, 4096, 8192, 16384, 32768, 131072 };
	uint64_t cap[3] = { 24 * GB, 24 * GB, 12 * GB };
	uint64_t peak[6 * 3];
	for (int i = 0; i < 6; i++)
		for (int d = 0; d < 3; d++)
			peak[i * 3 + d] = (d == 2 ? 6 : 14) * GB + ctx[i] * (d + 1) * 48 * 1024;
	struct plot_meta m = { .model = "Llama-3.1-8B", .topology = "2x24G,1x12G" };
	char *cause = NULL;
	int rc = plot_fitcurve_write(ctx, peak, 6, 3, cap, &m, cu_tmp("fit.png"), 0, &cause);
	if (rc)
		fprintf(stderr, "cause: %s\n", cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	unsigned w, h;
	CU_ASSERT(png_size(cu_tmp("fit.png"), &w, &h));
	CU_ASSERT_EQUAL(w, 1280);
	CU_ASSERT_EQUAL(h, 720);
	CU_ASSERT_EQUAL(plot_fitcurve_write(ctx, peak, 0, 3, cap, &m, cu_tmp("fit0.png"), 0, &cause),
			UTIL_EINPUT);
	free(cause);
	CU_ASSERT(!file_exists(cu_tmp("fit0.png")));
}

/* ---- hostile input ---- */

static void test_plot_hostile_names(void)
{
	char s1[512], s2[512], s3[512], s4[512];
	/* Each would run a command if it escaped its string. */
	snprintf(s1, sizeof(s1), "\"; system(\"touch %s\"); \"", cu_tmp("x"));
	snprintf(s2, sizeof(s2), "`touch %s`", cu_tmp("y"));
	snprintf(s3, sizeof(s3), "it's'\nsystem('touch %s')\n'", cu_tmp("z"));
	snprintf(s4, sizeof(s4), "'.system('touch %s').'@s1 \\' \r\t\x1b[31m", cu_tmp("w"));
	char *big = util_xmalloc(10240 + 1);
	for (int i = 0; i < 10240; i++)
		big[i] = "a'`\n\"$@;"[i % 9];
	big[10240] = '\0';
	struct plot_meta m = { .title = s1, .model = s2, .topology = s3, .scenario = s4,
			       .trace_name = big };
	struct sim_result r;
	make_result(&r, 2, 24 * GB);
	char *cause = NULL;
	char path[4096];
	/* The output path goes to gnuplot too. */
	snprintf(path, sizeof(path), "%s/it's `touch y` $(touch x).png", cu_tmpdir());
	CU_ASSERT_EQUAL(plot_breakdown_write(&r, &m, path, 0, &cause), 0);
	unsigned w, h;
	CU_ASSERT(png_size(path, &w, &h));
	struct plot_timeline *tl = plot_timeline_new(2);
	feed_small(plot_timeline_observer(tl), 2);
	char **files = NULL;
	int nf = 0;
	CU_ASSERT_EQUAL(plot_timeline_write(tl, &r, &m, cu_tmp("hostile-tl.png"), 0, &files, &nf,
					    &cause), 0);
	free_list(files, nf);
	plot_timeline_free(tl);
	struct plot_meta m2 = m;
	m2.scenario = big; /* a tic label */
	CU_ASSERT_EQUAL(plot_compare_write(&r, &r, &m, &m2, cu_tmp("hostile-cmp.png"), 0, &cause), 0);
	uint64_t ctx[2] = { 1024, 2048 }, peak[4] = { GB, GB, 2 * GB, 2 * GB };
	uint64_t cap[2] = { 8 * GB, 8 * GB };
	CU_ASSERT_EQUAL(plot_fitcurve_write(ctx, peak, 2, 2, cap, &m, cu_tmp("hostile-fit.png"), 0,
					    &cause), 0);
	CU_ASSERT(png_size(cu_tmp("hostile-tl.png"), &w, &h));
	CU_ASSERT(png_size(cu_tmp("hostile-cmp.png"), &w, &h));
	CU_ASSERT(png_size(cu_tmp("hostile-fit.png"), &w, &h));
	const char *const bad[] = { "x", "y", "z", "w" };
	for (size_t i = 0; i < 4; i++) {
		CU_ASSERT(!file_exists(cu_tmp(bad[i])));
		CU_ASSERT(!file_exists(bad[i]));
	}
	free(cause);
	free(big);
	/* A path with a control character is refused before gnuplot runs. */
	cause = NULL;
	snprintf(path, sizeof(path), "%s/a\nb.png", cu_tmpdir());
	CU_ASSERT_EQUAL(plot_breakdown_write(&r, NULL, path, 0, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause);
	free(cause);
	CU_ASSERT(!file_exists(path));
}

static void test_plot_overwrite(void)
{
	struct sim_result r;
	make_result(&r, 1, 24 * GB);
	char *cause = NULL;
	const char *p = cu_tmp("ow.png");
	CU_ASSERT_EQUAL(plot_breakdown_write(&r, NULL, p, 0, &cause), 0);
	struct stat a, b;
	CU_ASSERT_EQUAL(stat(p, &a), 0);
	CU_ASSERT_EQUAL(plot_breakdown_write(&r, NULL, p, 0, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "exists; use -f to overwrite"));
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(stat(p, &b), 0);
	CU_ASSERT_EQUAL(a.st_ino, b.st_ino);
	CU_ASSERT(no_tmp_left("ow.png"));
	/* The timeline refuses too, before drawing anything. */
	struct plot_timeline *tl = plot_timeline_new(1);
	char **files = NULL;
	int nf = 0;
	CU_ASSERT_EQUAL(plot_timeline_write(tl, &r, NULL, p, 0, &files, &nf, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NULL(files);
	CU_ASSERT_EQUAL(nf, 0);
	free(cause);
	cause = NULL;
	/* With force it is replaced. */
	CU_ASSERT_EQUAL(plot_timeline_write(tl, &r, NULL, p, 1, &files, &nf, &cause), 0);
	free_list(files, nf);
	unsigned w, h;
	CU_ASSERT(png_size(p, &w, &h));
	CU_ASSERT_EQUAL(w, 1280);
	plot_timeline_free(tl);
}

static void test_plot_gnuplot_failures(void)
{
	struct sim_result r;
	make_result(&r, 1, 24 * GB);
	char *cause = NULL;
	/* No gnuplot at all. */
	setenv("VRAMSIM_GNUPLOT", "/nonexistent/gnuplot", 1);
	CU_ASSERT_EQUAL(plot_breakdown_write(&r, NULL, cu_tmp("nognu.png"), 0, &cause), UTIL_ERR);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "gnuplot not found: install gnuplot-nox"));
	free(cause);
	cause = NULL;
	CU_ASSERT(!file_exists(cu_tmp("nognu.png")));
	CU_ASSERT(no_tmp_left("nognu.png"));
	/* A gnuplot that fails half way (a broken script): no PNG, no
	 * temporary file. */
	unsetenv("VRAMSIM_GNUPLOT");
	CU_ASSERT_EQUAL(cu_sh("mkdir -p '%s' && printf 'set xrange [0:1]\\nplot nosuchthing(x)\\n' "
			      "> '%s/breakdown.gp'", cu_tmp("broken"), cu_tmp("broken")), 0);
	setenv("VRAMSIM_PLOTS_DIR", cu_tmp("broken"), 1);
	fprintf(stderr, "(a gnuplot error is expected here)\n");
	CU_ASSERT_EQUAL(plot_breakdown_write(&r, NULL, cu_tmp("fail.png"), 0, &cause), UTIL_ERR);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "gnuplot failed"));
	free(cause);
	cause = NULL;
	CU_ASSERT(!file_exists(cu_tmp("fail.png")));
	CU_ASSERT(no_tmp_left("fail.png"));
	/* A missing script. */
	struct plot_timeline *tl = plot_timeline_new(1);
	char **files = NULL;
	int nf = 0;
	CU_ASSERT_EQUAL(plot_timeline_write(tl, &r, NULL, cu_tmp("noscript.png"), 0, &files, &nf,
					    &cause), UTIL_ERR);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "timeline.gp"));
	free(cause);
	plot_timeline_free(tl);
	setenv("VRAMSIM_PLOTS_DIR", "plots", 1);
}

/* ---- with the real replay ---- */

static void test_plot_with_replay(void)
{
	struct trace_event ev[8];
	int n = 0;
	for (int i = 0; i < 3; i++) {
		trace_event_init(&ev[n], TRACE_ALLOC, (int64_t)i * 1000000000);
		ev[n].device = 0;
		ev[n].size = (uint64_t)(i + 1) * 2 * GB;
		ev[n].addr = 0x1000 + (uint64_t)i;
		ev[n].category = i == 0 ? TRACE_CAT_WEIGHTS : TRACE_CAT_KV;
		n++;
	}
	trace_event_init(&ev[n], TRACE_FREE, 4000000000ll);
	ev[n].device = 0;
	ev[n].addr = 0x1001;
	n++;
	trace_event_init(&ev[n], TRACE_ALLOC, 5000000000ll);
	ev[n].device = 0;
	ev[n].size = 30 * GB;
	ev[n].addr = 0x2000;
	ev[n].category = TRACE_CAT_COMPUTE;
	n++;
	struct sim_config cfg;
	sim_config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(topo_parse("24G", &cfg.topo, NULL), 0);
	cfg.on_oom = SIM_OOM_CONTINUE;
	struct plot_timeline *tl = plot_timeline_new(cfg.topo.n);
	cfg.obs = plot_timeline_observer(tl);
	struct sim_source *src = sim_source_array(ev, (size_t)n);
	struct sim_result res;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(sim_replay(&cfg, src, &res, &cause), 0);
	sim_source_free(src);
	CU_ASSERT(res.has_oom);
	size_t nb;
	uint64_t w;
	int64_t origin;
	const struct plot_bucket *b = plot_timeline_buckets(tl, 0, &nb, &w, &origin);
	/* the context on first use, three allocations and a free; the OOM
	 * changes nothing */
	CU_ASSERT_FATAL(nb == 5);
	CU_ASSERT_EQUAL(w, 0);
	CU_ASSERT_EQUAL(b[nb - 1].max, res.dev[0].total);
	char **files = NULL;
	int nf = 0;
	CU_ASSERT_EQUAL(plot_timeline_write(tl, &res, NULL, cu_tmp("replay.png"), 0, &files, &nf,
					    &cause), 0);
	free_list(files, nf);
	CU_ASSERT_EQUAL(plot_breakdown_write(&res, NULL, cu_tmp("replay-bd.png"), 0, &cause), 0);
	unsigned pw, ph;
	CU_ASSERT(png_size(cu_tmp("replay.png"), &pw, &ph));
	CU_ASSERT(png_size(cu_tmp("replay-bd.png"), &pw, &ph));
	plot_timeline_free(tl);
}

/* ---- every picture kind for the scenarios that broke gnuplot ---- */

/* Replay ev on n GPUs of cap bytes (stop at the first OOM, as replay
 * does), collecting the timeline. */
static struct plot_timeline *replay_events(const struct trace_event *ev, size_t n_ev, int n,
					   uint64_t cap, struct sim_result *res)
{
	struct sim_config cfg;
	sim_config_init(&cfg);
	cfg.topo.n = n;
	for (int g = 0; g < n; g++)
		cfg.topo.capacity[g] = cap;
	struct plot_timeline *tl = plot_timeline_new(n);
	cfg.obs = plot_timeline_observer(tl);
	struct sim_source *src = sim_source_array(ev, n_ev);
	char *cause = NULL;
	CU_ASSERT_EQUAL(sim_replay(&cfg, src, res, &cause), 0);
	free(cause);
	sim_source_free(src);
	return tl;
}

/* Draw all four kinds for res and check each PNG has the size asked. */
static void draw_all(const char *name, struct plot_timeline *tl, const struct sim_result *res)
{
	char path[256], *cause = NULL;
	char **files = NULL;
	int nf = 0, rc;
	unsigned w, h;
	snprintf(path, sizeof(path), "%s-tl.png", name);
	rc = plot_timeline_write(tl, res, NULL, cu_tmp(path), 1, &files, &nf, &cause);
	if (rc)
		fprintf(stderr, "%s: %s\n", path, cause);
	CU_ASSERT_EQUAL(rc, 0);
	for (int i = 0; i < nf; i++)
		CU_ASSERT(png_size(files[i], &w, &h) && w >= 640 && h >= 300);
	free_list(files, nf);
	snprintf(path, sizeof(path), "%s-bd.png", name);
	rc = plot_breakdown_write(res, NULL, cu_tmp(path), 1, &cause);
	if (rc)
		fprintf(stderr, "%s: %s\n", path, cause);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(png_size(cu_tmp(path), &w, &h) && w >= 1000 && h >= 700);
	snprintf(path, sizeof(path), "%s-cmp.png", name);
	rc = plot_compare_write(res, res, NULL, NULL, cu_tmp(path), 1, &cause);
	if (rc)
		fprintf(stderr, "%s: %s\n", path, cause);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(png_size(cu_tmp(path), &w, &h) && w >= 1000);
	/* A context curve with the peaks of this result, flat. */
	int G = res->n_dev;
	uint64_t ctx[2] = { 4096, 8192 }, *peak = util_xcalloc(2 * (size_t)G, sizeof(uint64_t));
	uint64_t *cap = util_xcalloc((size_t)G, sizeof(uint64_t));
	for (int g = 0; g < G; g++) {
		peak[g] = peak[G + g] = res->dev[g].peak;
		cap[g] = res->dev[g].capacity;
	}
	snprintf(path, sizeof(path), "%s-fit.png", name);
	rc = plot_fitcurve_write(ctx, peak, 2, G, cap, NULL, cu_tmp(path), 1, &cause);
	if (rc)
		fprintf(stderr, "%s: %s\n", path, cause);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(png_size(cu_tmp(path), &w, &h) && w >= 1000);
	free(peak);
	free(cap);
	CU_ASSERT(no_tmp_left(name));
}

static void alloc_ev(struct trace_event *e, int64_t t, int dev, uint64_t size, uint64_t addr,
		     int cat)
{
	trace_event_init(e, TRACE_ALLOC, t);
	e->device = dev;
	e->size = size;
	e->addr = addr;
	e->category = cat;
}

/*
 * gnuplot 5.4.4 crashed on a "does not fit" picture whose label block held
 * only the NaN row; an empty trace, a first allocation that fails and one
 * huge failed request must all draw.
 */
static void test_plot_hard_scenarios(void)
{
	struct trace_event ev[8];
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	struct plot_timeline *tl;
	/* fits */
	alloc_ev(&ev[0], 0, 0, 8 * GB, 0x1000, TRACE_CAT_WEIGHTS);
	alloc_ev(&ev[1], 1000, 0, 2 * GB, 0x2000, TRACE_CAT_KV);
	tl = replay_events(ev, 2, 1, 24 * GB, res);
	CU_ASSERT(!res->has_oom);
	draw_all("fits", tl, res);
	plot_timeline_free(tl);
	/* the first allocation fails: nothing is ever used */
	alloc_ev(&ev[0], 0, 0, 30 * GB, 0x1000, TRACE_CAT_WEIGHTS);
	tl = replay_events(ev, 1, 1, 24 * GB, res);
	CU_ASSERT(res->has_oom);
	draw_all("first-oom", tl, res);
	plot_timeline_free(tl);
	/* one request dwarfs the rest (1 PiB) */
	alloc_ev(&ev[0], 0, 0, 8 * GB, 0x1000, TRACE_CAT_WEIGHTS);
	alloc_ev(&ev[1], 1000, 1, 2 * GB, 0x2000, TRACE_CAT_KV);
	alloc_ev(&ev[2], 2000, 1, 1ull << 50, 0x3000, TRACE_CAT_COMPUTE);
	tl = replay_events(ev, 3, 2, 24 * GB, res);
	CU_ASSERT(res->has_oom);
	draw_all("huge-oom", tl, res);
	plot_timeline_free(tl);
	/* an empty trace */
	tl = replay_events(ev, 0, 1, 24 * GB, res);
	draw_all("empty", tl, res);
	plot_timeline_free(tl);
	free(res);
}

/* 128 GPUs (the most a topology holds) crashed gnuplot: every kind draws. */
static void test_plot_wide(void)
{
	struct trace_event *ev = util_xcalloc(TOPO_MAX_GPUS, sizeof(*ev));
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	for (int g = 0; g < TOPO_MAX_GPUS; g++)
		alloc_ev(&ev[g], g, g, (uint64_t)(g % 7 + 1) * GB, 0x1000 + (uint64_t)g,
			 TRACE_CAT_WEIGHTS);
	struct plot_timeline *tl = replay_events(ev, TOPO_MAX_GPUS, TOPO_MAX_GPUS, 24 * GB, res);
	draw_all("wide", tl, res);
	plot_timeline_free(tl);
	free(ev);
	free(res);
}

static void register_tests(void)
{
	/* The scripts of this tree, not an installed copy. */
	setenv("VRAMSIM_PLOTS_DIR", "plots", 1);
	unsetenv("VRAMSIM_GNUPLOT");
	CU_pSuite s = CU_add_suite("plot", NULL, NULL);
	CU_ADD(s, test_plot_quote);
	CU_ADD(s, test_plot_quote_gnuplot);
	CU_ADD(s, test_timeline_exact);
	CU_ADD(s, test_timeline_envelope);
	CU_ADD(s, test_timeline_bounded);
	CU_ADD(s, test_plot_timeline_png);
	CU_ADD(s, test_plot_timeline_downsampled);
	CU_ADD(s, test_plot_timeline_same_time);
	CU_ADD(s, test_plot_breakdown_png);
	CU_ADD(s, test_plot_compare_png);
	CU_ADD(s, test_plot_fitcurve_png);
	CU_ADD(s, test_plot_hostile_names);
	CU_ADD(s, test_plot_overwrite);
	CU_ADD(s, test_plot_gnuplot_failures);
	CU_ADD(s, test_plot_with_replay);
	CU_ADD(s, test_plot_hard_scenarios);
	CU_ADD(s, test_plot_wide);
}

CUTEST_MAIN(register_tests)
