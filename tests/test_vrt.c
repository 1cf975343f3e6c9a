/*
 * test_vrt.c - the native trace format (trace/vrt.c) and its importer
 * (import/vrt_import.c) on files written here: round trips of every
 * record, damaged files (cut, bad checksum, bad magic, bad payload, too
 * large, newer version), the watermark ordering across threads, device
 * unification by UUID across processes, and --strict; bounded work on
 * hostile files (millions of events at one time stamp, frames declaring
 * far more than they hold); recovery of tail files.
 *
 * Over 800 lines: the format and its importer are tested together, each
 * damage case against the same writer helpers.
 */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "cutest.h"
#include "imp.h"
#include "store.h"
#include "util.h"
#include "vrt.h"
#include "vrt_tail.h"

/* ---- writing test files ---- */

struct tf {
	int fd;
	struct ZSTD_CCtx_s *cc;
	uint8_t raw[1 << 16];
	size_t n;            /* raw bytes of the frame being built */
	uint8_t chunk[1 << 15];
	struct vrt_enc enc;
	int32_t tid;
};

static void tf_open(struct tf *t, const char *name, int pid, int64_t mono, int major)
{
	memset(t, 0, sizeof(*t));
	t->fd = open(cu_tmp(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(t->fd >= 0);
	t->cc = vrt_cctx_new(3);
	CU_ASSERT_FATAL(t->cc != NULL);
	struct vrt_header *h = calloc(1, sizeof(*h));
	h->pid = pid;
	h->ppid = 1;
	h->mono_start_ns = mono;
	h->real_start_ns = 1700000000000000000;
	strcpy(h->hostname, "testhost");
	strcpy(h->session, "s1");
	strcpy(h->shim_version, "test");
	strcpy(h->exe, "/usr/bin/prog");
	memcpy(h->cmdline, "prog\0-x\0y", 9);
	h->cmdline_len = 9;
	uint8_t *buf = malloc(VRT_HEADER_MAX);
	size_t n = vrt_header_encode(buf, VRT_HEADER_MAX, h);
	CU_ASSERT_FATAL(n > 10);
	buf[8] = (uint8_t)major;
	size_t zcap = vrt_frame_bound(n);
	void *z = malloc(zcap);
	CU_ASSERT_FATAL(vrt_write_frame(t->fd, t->cc, buf, n, z, zcap) == 0);
	free(z);
	free(buf);
	free(h);
}

static void tf_frame(struct tf *t, uint64_t no, int64_t wm)
{
	t->n = vrt_put_frame(t->raw, no, wm);
}

static void tf_chunk_begin(struct tf *t, int32_t tid, int64_t base)
{
	t->tid = tid;
	t->enc.buf = t->chunk;
	t->enc.cap = sizeof(t->chunk);
	vrt_enc_reset(&t->enc, base);
}

static void tf_chunk_end(struct tf *t)
{
	t->n += vrt_put_chunk(t->raw + t->n, t->tid, t->enc.base_t, t->enc.len);
	memcpy(t->raw + t->n, t->chunk, t->enc.len);
	t->n += t->enc.len;
}

static void tf_end(struct tf *t, uint64_t events)
{
	t->n += vrt_put_end(t->raw + t->n, events, 0, VRT_END_EXIT);
}

static void tf_flush(struct tf *t)
{
	size_t zcap = vrt_frame_bound(t->n);
	void *z = malloc(zcap);
	CU_ASSERT(vrt_write_frame(t->fd, t->cc, t->raw, t->n, z, zcap) == 0);
	free(z);
	t->n = 0;
}

static void tf_close(struct tf *t)
{
	close(t->fd);
	ZSTD_freeCCtx((ZSTD_CCtx *)t->cc);
}

static void ev(struct tf *t, int64_t time, int api, int dev, uint64_t req, uint64_t size,
	       uint64_t addr)
{
	struct vrt_event e = { .api = (uint16_t)api, .dev = dev, .req = req, .size = size,
			       .addr = addr };
	CU_ASSERT(vrt_enc_event(&t->enc, time, &e) == 0);
}

static void device(struct tf *t, int64_t time, int ord, uint8_t last)
{
	struct vrt_device d = { .ordinal = ord, .total = 24ull << 30 };
	memset(d.uuid, 0x11, 16);
	d.uuid[15] = last;
	snprintf(d.name, sizeof(d.name), "GPU %02x", last);
	CU_ASSERT(vrt_enc_device(&t->enc, time, &d) == 0);
}

static unsigned char *slurp(const char *name, size_t *len)
{
	char *buf = NULL, *cause = NULL;
	CU_ASSERT_FATAL(util_read_file(cu_tmp(name), &buf, len, &cause) == 0);
	return (unsigned char *)buf;
}

static void spit(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(cu_tmp(name), "wb");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(fwrite(data, 1, len, f) == len);
	fclose(f);
}

/* ---- the codec ---- */

static void test_varint(void)
{
	static const uint64_t v[] = { 0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX,
				      (uint64_t)1 << 62, UINT64_MAX };
	uint8_t b[16];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = vrt_put_varint(b, v[i]);
		CU_ASSERT(n >= 1 && n <= 10);
		uint64_t x = 0;
		for (size_t k = 0; k < n; k++)
			x |= (uint64_t)(b[k] & 0x7f) << (7 * k);
		CU_ASSERT_EQUAL(x, v[i]);
		CU_ASSERT_EQUAL(b[n - 1] & 0x80, 0);
	}
	CU_ASSERT_EQUAL(vrt_put_varint(b, 127), 1);
	CU_ASSERT_EQUAL(vrt_put_varint(b, 128), 2);
	static const int64_t z[] = { 0, -1, 1, -64, 63, INT64_MIN, INT64_MAX };
	for (size_t i = 0; i < sizeof(z) / sizeof(z[0]); i++)
		CU_ASSERT_EQUAL(vrt_unzigzag(vrt_zigzag(z[i])), z[i]);
	CU_ASSERT_EQUAL(vrt_zigzag(-1), 1);
	CU_ASSERT_EQUAL(vrt_zigzag(1), 2);
}

static void test_api_table(void)
{
	CU_ASSERT_STRING_EQUAL(vrt_api_name(VRT_API_cuMemAlloc_v2), "cuMemAlloc_v2");
	CU_ASSERT_EQUAL(vrt_api_find("cuMemAllocAsync_ptsz"), VRT_API_cuMemAllocAsync_ptsz);
	CU_ASSERT_EQUAL(vrt_api_kind(VRT_API_cuMemCreate), VRT_K_CREATE);
	CU_ASSERT_EQUAL(vrt_api_kind(VRT_API_cuMemFreeAsync_ptsz), VRT_K_FREE);
	CU_ASSERT_PTR_NULL(vrt_api_name(9999));
	CU_ASSERT_EQUAL(vrt_api_find("cuNoSuch"), 0);
	/* Ids are stable numbers: a stored trace depends on them. */
	CU_ASSERT_EQUAL(VRT_API_cuMemAlloc_v2, 33);
	CU_ASSERT_EQUAL(VRT_API_snapshot, 16);
	/* Minor version 1: graph memory and the handles of other owners. */
	CU_ASSERT_EQUAL(VRT_API_graph_stat, 18);
	CU_ASSERT_EQUAL(VRT_API_cuGraphAddMemAllocNode, 89);
	CU_ASSERT_EQUAL(VRT_API_cuGreenCtxDestroy, 116);
	CU_ASSERT_EQUAL(vrt_api_kind(VRT_API_cuGraphLaunch_ptsz), VRT_K_GRAPH_LAUNCH);
	CU_ASSERT_EQUAL(vrt_api_kind(VRT_API_cuMipmappedArrayCreate), VRT_K_ALLOC);
	CU_ASSERT_EQUAL(vrt_api_kind(VRT_API_cuMemImportFromShareableHandle), VRT_K_IMPORT);
}

/* Write a file with every record kind; read it back field by field. */
static void write_full(const char *name, int with_end)
{
	struct tf t;
	tf_open(&t, name, 4242, 1000000, VRT_VERSION_MAJOR);
	tf_frame(&t, 1, 500);
	tf_chunk_begin(&t, 77, 100);
	device(&t, 100, 1, 0xa1);
	struct vrt_lookup lu = { .via = VRT_VIA_GPA_V2, .version = 11020, .flags = 2,
				 .status = 0, .wrapped = VRT_API_cuMemAllocAsync_ptsz };
	strcpy(lu.symbol, "cuMemAllocAsync");
	CU_ASSERT(vrt_enc_lookup(&t.enc, 110, &lu) == 0);
	CU_ASSERT(vrt_enc_info(&t.enc, 120, "driver_version", "13000") == 0);
	struct vrt_event e = { .api = VRT_API_cuMemAllocFromPoolAsync, .dev = 1, .result = 0,
			       .req = 1000, .size = 4096, .addr = 0x7f0000001000ull,
			       .aux = 0xabc, .stream = 0x55aa };
	CU_ASSERT(vrt_enc_event(&t.enc, 130, &e) == 0);
	/* Size below req, address and stream going down, a failure, host. */
	struct vrt_event e2 = { .api = VRT_API_cuMemAllocHost_v2, .dev = VRT_DEV_HOST,
				.result = 2, .req = UINT64_MAX, .size = 5, .addr = 0x1000,
				.stream = 0x10 };
	CU_ASSERT(vrt_enc_event(&t.enc, 90, &e2) == 0); /* earlier: clamped to 130 */
	tf_chunk_end(&t);
	tf_flush(&t);
	tf_frame(&t, 2, 900);
	if (with_end)
		tf_end(&t, 2);
	tf_flush(&t);
	tf_close(&t);
}

static void test_roundtrip(void)
{
	write_full("full.vrt.zst", 1);
	size_t len;
	unsigned char *data = slurp("full.vrt.zst", &len);
	CU_ASSERT(vrt_sniff(data, len));
	struct vrt_reader *r;
	CU_ASSERT_FATAL(vrt_reader_open(data, len, &r) == 0);
	const struct vrt_header *h = vrt_reader_header(r);
	CU_ASSERT_EQUAL(h->pid, 4242);
	CU_ASSERT_EQUAL(h->mono_start_ns, 1000000);
	CU_ASSERT_STRING_EQUAL(h->exe, "/usr/bin/prog");
	CU_ASSERT_STRING_EQUAL(h->session, "s1");
	CU_ASSERT_EQUAL(h->cmdline_len, 9);
	CU_ASSERT(memcmp(h->cmdline, "prog\0-x\0y", 9) == 0);
	struct vrt_rec rec;
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 1);
	CU_ASSERT_EQUAL(rec.type, VRT_REC_FRAME);
	CU_ASSERT_EQUAL(rec.t_ns, 500);
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 1);
	CU_ASSERT_EQUAL(rec.type, VRT_REC_DEVICE);
	CU_ASSERT_EQUAL(rec.tid, 77);
	CU_ASSERT_EQUAL(rec.t_ns, 100);
	CU_ASSERT_EQUAL(rec.u.dev.ordinal, 1);
	CU_ASSERT_EQUAL(rec.u.dev.uuid[15], 0xa1);
	CU_ASSERT_STRING_EQUAL(rec.u.dev.name, "GPU a1");
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 1);
	CU_ASSERT_EQUAL(rec.type, VRT_REC_LOOKUP);
	CU_ASSERT_STRING_EQUAL(rec.u.lu.symbol, "cuMemAllocAsync");
	CU_ASSERT_EQUAL(rec.u.lu.version, 11020);
	CU_ASSERT_EQUAL(rec.u.lu.flags, 2);
	CU_ASSERT_EQUAL(rec.u.lu.wrapped, VRT_API_cuMemAllocAsync_ptsz);
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 1);
	CU_ASSERT_EQUAL(rec.type, VRT_REC_INFO);
	CU_ASSERT_STRING_EQUAL(rec.u.info.key, "driver_version");
	CU_ASSERT_STRING_EQUAL(rec.u.info.value, "13000");
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 1);
	CU_ASSERT_EQUAL(rec.type, VRT_REC_EVENT);
	CU_ASSERT_EQUAL(rec.t_ns, 130);
	CU_ASSERT_EQUAL(rec.u.ev.api, VRT_API_cuMemAllocFromPoolAsync);
	CU_ASSERT_EQUAL(rec.u.ev.dev, 1);
	CU_ASSERT_EQUAL(rec.u.ev.req, 1000);
	CU_ASSERT_EQUAL(rec.u.ev.size, 4096);
	CU_ASSERT_EQUAL(rec.u.ev.addr, 0x7f0000001000ull);
	CU_ASSERT_EQUAL(rec.u.ev.aux, 0xabc);
	CU_ASSERT_EQUAL(rec.u.ev.stream, 0x55aa);
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 1);
	CU_ASSERT_EQUAL(rec.t_ns, 130);
	CU_ASSERT_EQUAL(rec.u.ev.dev, VRT_DEV_HOST);
	CU_ASSERT_EQUAL(rec.u.ev.result, 2);
	CU_ASSERT_EQUAL(rec.u.ev.req, UINT64_MAX);
	CU_ASSERT_EQUAL(rec.u.ev.size, 5);
	CU_ASSERT_EQUAL(rec.u.ev.addr, 0x1000);
	CU_ASSERT_EQUAL(rec.u.ev.stream, 0x10);
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 1);
	CU_ASSERT_EQUAL(rec.type, VRT_REC_FRAME);
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 1);
	CU_ASSERT_EQUAL(rec.type, VRT_REC_END);
	CU_ASSERT_EQUAL(rec.u.end.events, 2);
	CU_ASSERT_EQUAL(vrt_reader_next(r, &rec), 0);
	struct vrt_status st;
	vrt_reader_status(r, &st);
	CU_ASSERT(st.complete && !st.damaged);
	CU_ASSERT_EQUAL(st.frames, 2);
	CU_ASSERT_EQUAL(st.bytes_used, len);
	CU_ASSERT_EQUAL(st.bytes_dropped, 0);
	vrt_reader_free(r);
	free(data);
}

/* Read every record; return how many events, with the final status. */
static int count_events(const unsigned char *data, size_t len, struct vrt_status *st,
			char *why, size_t whyn)
{
	struct vrt_reader *r;
	int rc = vrt_reader_open(data, len, &r);
	if (rc) {
		snprintf(why, whyn, "%s", vrt_reader_error(r));
		vrt_reader_free(r);
		return rc;
	}
	struct vrt_rec rec;
	int n = 0;
	while (vrt_reader_next(r, &rec) == 1)
		n += rec.type == VRT_REC_EVENT;
	vrt_reader_status(r, st);
	snprintf(why, whyn, "%s", vrt_reader_error(r));
	vrt_reader_free(r);
	return n;
}

/* A file of three data frames with 10 events each, ending in END. */
static size_t write_three(const char *name, size_t *frame2_off)
{
	struct tf t;
	tf_open(&t, name, 1, 0, VRT_VERSION_MAJOR);
	size_t off = 0;
	for (int f = 1; f <= 3; f++) {
		if (f == 3)
			off = (size_t)lseek(t.fd, 0, SEEK_CUR);
		tf_frame(&t, (uint64_t)f, f * 1000);
		tf_chunk_begin(&t, 5, (f - 1) * 1000);
		for (int i = 0; i < 10; i++)
			ev(&t, (f - 1) * 1000 + i, VRT_API_cuMemAlloc_v2, 0, 64, 64,
			   (uint64_t)(f * 100 + i));
		tf_chunk_end(&t);
		if (f == 3)
			tf_end(&t, 30);
		tf_flush(&t);
	}
	tf_close(&t);
	if (frame2_off)
		*frame2_off = off;
	size_t len;
	free(slurp(name, &len));
	return len;
}

static void test_damage(void)
{
	size_t off3, len = write_three("three.vrt.zst", &off3);
	unsigned char *good = slurp("three.vrt.zst", &len);
	struct vrt_status st;
	char why[256];
	CU_ASSERT_EQUAL(count_events(good, len, &st, why, sizeof(why)), 30);
	CU_ASSERT(st.complete && !st.damaged);

	/* Cut inside the last frame: the first two frames survive. */
	CU_ASSERT_EQUAL(count_events(good, len - 5, &st, why, sizeof(why)), 20);
	CU_ASSERT(!st.complete && st.damaged);
	CU_ASSERT_EQUAL(st.frames, 2);
	CU_ASSERT_EQUAL(st.bytes_dropped, len - 5 - off3);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "cut inside a frame"));

	/* A flipped byte in the last frame: its checksum fails, none of its
	 * records comes out. */
	unsigned char *bad = malloc(len);
	memcpy(bad, good, len);
	bad[len - 6] ^= 0x5a;
	CU_ASSERT_EQUAL(count_events(bad, len, &st, why, sizeof(why)), 20);
	CU_ASSERT(st.damaged && !st.complete);
	CU_ASSERT_EQUAL(st.bytes_dropped, len - off3);

	/* Bad magic of the last frame. */
	memcpy(bad, good, len);
	bad[off3] = 0;
	CU_ASSERT_EQUAL(count_events(bad, len, &st, why, sizeof(why)), 20);
	CU_ASSERT(st.damaged);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "magic"));

	/* Junk after END: everything is there, the junk is reported. */
	unsigned char *more = malloc(len + 7);
	memcpy(more, good, len);
	memcpy(more + len, "garbage", 7);
	CU_ASSERT_EQUAL(count_events(more, len + 7, &st, why, sizeof(why)), 30);
	CU_ASSERT(st.complete && st.damaged);
	CU_ASSERT_EQUAL(st.bytes_dropped, 7);

	/* Not a native trace at all. */
	CU_ASSERT_EQUAL(count_events((const unsigned char *)"hello world", 11, &st, why,
				     sizeof(why)), VRT_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "bad magic"));
	CU_ASSERT(!vrt_sniff("hello", 5));
	/* A zstd frame of other content. */
	size_t zn = ZSTD_compressBound(32);
	void *z = malloc(zn);
	zn = ZSTD_compress(z, zn, "0123456789abcdef0123456789abcdef", 32, 1);
	CU_ASSERT(!vrt_sniff(z, zn));
	CU_ASSERT_EQUAL(count_events(z, zn, &st, why, sizeof(why)), VRT_EINPUT);
	/* Every prefix of the file: never a crash, never more than it holds. */
	for (size_t cut = 0; cut <= len; cut++) {
		int n = count_events(good, cut, &st, why, sizeof(why));
		CU_ASSERT(n == VRT_EINPUT || (n >= 0 && n <= 30));
	}
	/* Every single flipped bit of the header and first data frame. */
	for (size_t i = 0; i < off3 && i < 400; i++) {
		memcpy(bad, good, len);
		bad[i] ^= (unsigned char)(1u << (i % 8));
		int n = count_events(bad, len, &st, why, sizeof(why));
		CU_ASSERT(n == VRT_EINPUT || n == VRT_ENEWER || (n >= 0 && n <= 30));
	}
	free(z);
	free(more);
	free(bad);
	free(good);
}

static void test_bad_payload(void)
{
	/* Valid zstd frames whose payload lies: a chunk longer than the frame,
	 * an unknown record type, a frame without a frame record. */
	static const struct { const char *raw; size_t n; const char *why; } cases[] = {
		{ "F\x01\x00" "C\x01\x00\x7f", 7, "bad chunk header" },
		{ "F\x01\x00" "C\x01\x00\x02\x05\x00", 10, "unknown record type" },
		{ "C\x01\x00\x00", 4, "frame record" },
		{ "F\x01\x00" "Q", 4, "unknown frame record" },
		{ "F\x01\x00" "E\x00\x00\x00" "E\x00\x00\x00", 11, "after the END" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tf t;
		tf_open(&t, "payload.vrt.zst", 1, 0, VRT_VERSION_MAJOR);
		memcpy(t.raw, cases[i].raw, cases[i].n);
		t.n = cases[i].n;
		tf_flush(&t);
		tf_close(&t);
		size_t len;
		unsigned char *d = slurp("payload.vrt.zst", &len);
		struct vrt_status st;
		char why[256];
		CU_ASSERT_EQUAL(count_events(d, len, &st, why, sizeof(why)), 0);
		CU_ASSERT(st.damaged);
		CU_ASSERT_EQUAL(st.frames, 0);
		if (!strstr(why, cases[i].why))
			fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, why, cases[i].why);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, cases[i].why));
		free(d);
	}
}

static void test_too_large(void)
{
	/* A frame that decodes beyond VRT_FRAME_MAX is refused, bounded. */
	struct tf t;
	tf_open(&t, "large.vrt.zst", 1, 0, VRT_VERSION_MAJOR);
	tf_close(&t);
	size_t hl;
	unsigned char *head = slurp("large.vrt.zst", &hl);
	size_t big = VRT_FRAME_MAX + 100;
	char *raw = calloc(1, big);
	size_t zcap = ZSTD_compressBound(big);
	unsigned char *file = malloc(hl + zcap);
	memcpy(file, head, hl);
	size_t zn = ZSTD_compress(file + hl, zcap, raw, big, 1);
	CU_ASSERT_FATAL(!ZSTD_isError(zn));
	struct vrt_status st;
	char why[256];
	CU_ASSERT_EQUAL(count_events(file, hl + zn, &st, why, sizeof(why)), 0);
	CU_ASSERT(st.damaged);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "limit"));
	free(file);
	free(raw);
	free(head);
}

static void test_newer_version(void)
{
	struct tf t;
	tf_open(&t, "newer.vrt.zst", 1, 0, VRT_VERSION_MAJOR + 1);
	tf_close(&t);
	size_t len;
	unsigned char *d = slurp("newer.vrt.zst", &len);
	struct vrt_reader *r;
	CU_ASSERT_EQUAL(vrt_reader_open(d, len, &r), VRT_ENEWER);
	CU_ASSERT_PTR_NOT_NULL(strstr(vrt_reader_error(r), "newer"));
	vrt_reader_free(r);
	/* The importer turns it into an input error with the same words. */
	struct store *st;
	cu_sh("rm -f '%s'", cu_tmp("newer.db"));
	CU_ASSERT_FATAL(store_open(cu_tmp("newer.db"), STORE_CREATE, &st, NULL) == 0);
	struct imp_opts o = { 0 };
	struct imp_ctx res;
	char *cause = NULL;
	CU_ASSERT_EQUAL(imp_file(st, cu_tmp("newer.vrt.zst"), &o, &res, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "newer"));
	free(cause);
	store_close(st);
	free(d);
}

/* ---- the importer ---- */

static struct store *fresh_store(const char *name)
{
	struct store *st;
	cu_sh("rm -f '%s'*", cu_tmp(name));
	CU_ASSERT_FATAL(store_open(cu_tmp(name), STORE_CREATE, &st, NULL) == 0);
	return st;
}

static int64_t count_rows(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t n = -1;
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Two processes; the same GPU is ordinal 1 in one and 0 in the other. In
 * process A two threads' chunks come out of time order inside a frame and
 * across frames (up to the watermark). */
static void test_import_merge(void)
{
	struct tf t;
	tf_open(&t, "a.vrt.zst", 100, 1000000, VRT_VERSION_MAJOR);
	tf_frame(&t, 1, 400);
	tf_chunk_begin(&t, 101, 300);           /* thread 101: t 300, 350 */
	device(&t, 300, 1, 0xb0);
	ev(&t, 300, VRT_API_cuMemAlloc_v2, 1, 10, 10, 0x1000);
	ev(&t, 350, VRT_API_cuMemAlloc_v2, 1, 11, 11, 0x2000);
	tf_chunk_end(&t);
	tf_chunk_begin(&t, 102, 200);           /* thread 102: t 200, 420 */
	device(&t, 200, 0, 0xc0);
	ev(&t, 200, VRT_API_cuMemAlloc_v2, 0, 12, 12, 0x3000);
	ev(&t, 420, VRT_API_cuMemAlloc_v2, 0, 13, 13, 0x4000);
	tf_chunk_end(&t);
	tf_flush(&t);
	tf_frame(&t, 2, 900);                   /* 410 arrives after 420 was read */
	tf_chunk_begin(&t, 101, 410);
	ev(&t, 410, VRT_API_cuMemFree_v2, 1, 0, 0, 0x1000);
	tf_chunk_end(&t);
	tf_end(&t, 5);
	tf_flush(&t);
	tf_close(&t);

	tf_open(&t, "b.vrt.zst", 200, 1000100, VRT_VERSION_MAJOR);
	tf_frame(&t, 1, 100);
	tf_chunk_begin(&t, 201, 50);
	device(&t, 50, 0, 0xb0);                /* same GPU as A's ordinal 1 */
	ev(&t, 50, VRT_API_cuMemAlloc_v2, 0, 20, 20, 0x9000);
	tf_chunk_end(&t);
	tf_end(&t, 1);
	tf_flush(&t);
	tf_close(&t);

	struct store *st = fresh_store("merge.db");
	char *paths[2] = { util_xstrdup(cu_tmp("b.vrt.zst")), util_xstrdup(cu_tmp("a.vrt.zst")) };
	int64_t id;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(imp_vrt_files(st, paths, 2, "merged", 1, &id, &cause), 0);
	free(paths[0]);
	free(paths[1]);
	struct trace_device *d;
	size_t nd;
	CU_ASSERT_EQUAL(store_devices(st, id, &d, &nd, NULL), 0);
	CU_ASSERT_EQUAL(nd, 2);
	int ib0 = -1, ic0 = -1;
	for (size_t i = 0; i < nd; i++) {
		if (strstr(d[i].uuid, "b0"))
			ib0 = d[i].index;
		if (strstr(d[i].uuid, "c0"))
			ic0 = d[i].index;
	}
	free(d);
	CU_ASSERT(ib0 >= 0 && ic0 >= 0 && ib0 != ic0);
	CU_ASSERT_EQUAL(count_rows(st, "SELECT count(*) FROM processes"), 2);
	struct store_iter *it;
	struct trace_event e;
	CU_ASSERT_EQUAL(store_iter_open(st, id, 100, &it, NULL), 0);
	/* Process A in time order: 200 (c0) 300 350 (b0) 410 free 420 (c0). */
	static const struct { int64_t t; int kind; uint64_t size; int c0; } want[] = {
		{ 200, TRACE_ALLOC, 12, 1 }, { 300, TRACE_ALLOC, 10, 0 }, { 350, TRACE_ALLOC, 11, 0 },
		{ 410, TRACE_FREE, 10, 0 }, { 420, TRACE_ALLOC, 13, 1 },
	};
	/* Time 0 is the earliest event: B's at 1000100 + 50. */
	int64_t base = 1000150 - 1000000;
	for (size_t i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL_FATAL(store_iter_next(it, &e, NULL), 1);
		CU_ASSERT_EQUAL(e.t_ns, want[i].t - base);
		CU_ASSERT_EQUAL(e.kind, want[i].kind);
		CU_ASSERT_EQUAL(e.size, want[i].size);
		CU_ASSERT_EQUAL(e.device, want[i].c0 ? ic0 : ib0);
	}
	/* What A still held (0x2000, 0x3000, 0x4000) is freed when it ends,
	 * at its last event, on the device of each allocation. */
	uint64_t seen = 0;
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL_FATAL(store_iter_next(it, &e, NULL), 1);
		CU_ASSERT_EQUAL(e.kind, TRACE_FREE);
		CU_ASSERT_EQUAL(e.t_ns, 420 - base);
		CU_ASSERT_EQUAL(e.device, e.addr == 0x2000 ? ib0 : ic0);
		seen |= e.addr;
		char *text = NULL;
		CU_ASSERT(store_label_text(st, e.label, &text, NULL) == 0 && text &&
			  strcmp(text, "freed at process exit") == 0);
		free(text);
	}
	CU_ASSERT_EQUAL(seen, 0x2000 | 0x3000 | 0x4000);
	CU_ASSERT_EQUAL(store_iter_next(it, &e, NULL), 0);
	store_iter_free(it);
	CU_ASSERT_EQUAL(store_iter_open(st, id, 200, &it, NULL), 0);
	CU_ASSERT_EQUAL(store_iter_next(it, &e, NULL), 1);
	CU_ASSERT_EQUAL(e.t_ns, 0);
	CU_ASSERT_EQUAL(e.device, ib0);
	store_iter_free(it);
	struct store_trace_info ti;
	CU_ASSERT_EQUAL(store_trace_get(st, id, &ti, NULL), 0);
	CU_ASSERT_STRING_EQUAL(ti.name, "merged");
	CU_ASSERT_EQUAL(ti.truncated, 0);
	CU_ASSERT_EQUAL(ti.n_events, 6 + 4);
	store_trace_info_clear(&ti);
	store_close(st);
}

static void test_import_truncated(void)
{
	size_t len;
	write_three("t3.vrt.zst", NULL);
	unsigned char *d = slurp("t3.vrt.zst", &len);
	spit("cut.vrt.zst", d, len - 3);
	free(d);
	struct store *st = fresh_store("cut.db");
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_tmp("cut.vrt.zst"), &o, &res, &cause), 0);
	CU_ASSERT_EQUAL(res.n_traces, 1);
	CU_ASSERT(res.n_warnings >= 1);
	free(res.summary);
	struct store_trace_info ti;
	CU_ASSERT_EQUAL(store_trace_get(st, res.traces[0], &ti, NULL), 0);
	CU_ASSERT_EQUAL(ti.truncated, 1);
	CU_ASSERT_EQUAL(ti.n_events, 20 + 20); /* and the 20 freed where the trace ends */
	store_trace_info_clear(&ti);
	/* --strict: an input error, and the store is as it was. */
	o.strict = 1;
	CU_ASSERT_EQUAL(imp_file(st, cu_tmp("cut.vrt.zst"), &o, &res, &cause), UTIL_EINPUT);
	CU_ASSERT(cause && strstr(cause, "truncated"));
	free(cause);
	CU_ASSERT_EQUAL(count_rows(st, "SELECT count(*) FROM traces"), 1);
	store_close(st);
}

/* ---- bounded work on hostile files (issue 16) ---- */

/* Run fn in a child: 0 when it exited 0 within limit_s seconds, 1 when it
 * failed, 2 when it was still running (killed). The limit is generous:
 * it separates O(n log n) from quadratic, not fast from slow. */
static int in_child(void (*fn)(void), int limit_s)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	for (int i = 0; i < limit_s * 10; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 2;
}

#define SAME_T_EVENTS ((1u << 20) + 100000u)

/* More than 2^20 events at one time stamp, in frames whose watermark
 * never moves: each event must cost O(log n), not a sort of everything
 * held (the old importer: quadratic, did not finish). */
static void import_same_timestamp(void)
{
	struct tf *t = malloc(sizeof(*t));
	tf_open(t, "same_t.vrt.zst", 77, 5000, VRT_VERSION_MAJOR);
	uint64_t x = 88172645463325252ull, n = 0, fno = 1;
	while (n < SAME_T_EVENTS) {
		tf_frame(t, fno++, 0);
		tf_chunk_begin(t, 1 + (int32_t)(n % 3), 1000);
		while (n < SAME_T_EVENTS && t->enc.cap - t->enc.len > VRT_REC_MAX) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* Frees of unknown addresses: nothing is held at the end. */
			struct vrt_event e = { .api = VRT_API_cuMemFree_v2, .addr = x, .aux = x >> 20 };
			if (vrt_enc_event(&t->enc, 1000, &e) != 0)
				break;
			n++;
		}
		tf_chunk_end(t);
		if (n == SAME_T_EVENTS)
			tf_end(t, n);
		tf_flush(t);
	}
	tf_close(t);
	free(t);
	struct store *st;
	cu_sh("rm -f '%s'*", cu_tmp("same_t.db"));
	if (store_open(cu_tmp("same_t.db"), STORE_CREATE, &st, NULL) != 0)
		_exit(3);
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	char *cause = NULL;
	if (imp_file(st, cu_tmp("same_t.vrt.zst"), &o, &res, &cause) != 0)
		_exit(4);
	struct store_trace_info ti;
	if (store_trace_get(st, res.traces[0], &ti, NULL) != 0 || ti.n_events != SAME_T_EVENTS)
		_exit(5);
	store_close(st);
}

static void test_same_timestamp(void)
{
	CU_ASSERT_EQUAL(in_child(import_same_timestamp, 300), 0);
}

/* Frames that declare far more records than their bytes can hold honestly
 * (a 505 KB file once declared 682 M events): the first such frame is
 * refused as damage, with a message, and nothing of it is stored. */
static void test_declared_ratio(void)
{
	struct tf t;
	tf_open(&t, "bomb.vrt.zst", 78, 5000, VRT_VERSION_MAJOR);
	size_t cap = 200 * 1000, per = 0;
	uint8_t *raw = malloc(cap), *z = malloc(vrt_frame_bound(cap));
	for (int f = 1; f <= 40; f++) {
		size_t n = vrt_put_frame(raw, (uint64_t)f, 1000);
		size_t body = (cap - n - VRT_HDR_PIECE_MAX) / 3 * 3;
		n += vrt_put_chunk(raw + n, 1, 1000, body);
		for (size_t i = 0; i < body; i += 3) {
			raw[n + i] = VRT_API_cuMemFree_v2; /* type, dt 0, no fields */
			raw[n + i + 1] = 0;
			raw[n + i + 2] = 0;
		}
		n += body;
		per = body / 3;
		CU_ASSERT_FATAL(vrt_write_frame(t.fd, t.cc, raw, n, z, vrt_frame_bound(cap)) == 0);
	}
	tf_close(&t);
	free(raw);
	free(z);
	struct stat sb;
	CU_ASSERT(stat(cu_tmp("bomb.vrt.zst"), &sb) == 0 && sb.st_size < 8192);
	struct store *st = fresh_store("bomb.db");
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx res;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(imp_file(st, cu_tmp("bomb.vrt.zst"), &o, &res, &cause), 0);
	struct store_trace_info ti;
	CU_ASSERT_EQUAL(store_trace_get(st, res.traces[0], &ti, NULL), 0);
	/* The first frames fit the budget (VRT_FRAME_MAX plus 256 times the
	 * few KB read); the rest is refused: far fewer than the 40 frames'
	 * 2.6 M events are stored, and the trace says it is truncated. */
	CU_ASSERT(ti.n_events > 0 && (uint64_t)ti.n_events <= 10 * per);
	CU_ASSERT_EQUAL(ti.truncated, 1);
	store_trace_info_clear(&ti);
	free(res.summary);
	/* The reader says why. */
	size_t len;
	unsigned char *d = slurp("bomb.vrt.zst", &len);
	struct vrt_reader *r;
	CU_ASSERT_EQUAL_FATAL(vrt_reader_open(d, len, &r), 0);
	struct vrt_rec rec;
	while (vrt_reader_next(r, &rec) == 1)
		;
	CU_ASSERT(strstr(vrt_reader_error(r), "declare") != NULL);
	vrt_reader_free(r);
	free(d);
	store_close(st);
}

/* ---- tail files (vrt_tail.h) ---- */

struct tcount {
	int events, infos;
	uint64_t sum_req;
};

static int tcount_cb(void *arg, const struct vrt_rec *rec)
{
	struct tcount *c = arg;
	c->events += rec->type == VRT_REC_EVENT;
	c->infos += rec->type == VRT_REC_INFO;
	if (rec->type == VRT_REC_EVENT)
		c->sum_req += rec->u.ev.req;
	return 0;
}

/* Fill slot data at p with n events of req base+i; returns its length. */
static uint32_t slot_events(uint8_t *p, int n, uint64_t base, int64_t t0)
{
	struct vrt_enc e = { .buf = p, .cap = VRT_TAIL_SLOT_DATA };
	vrt_enc_reset(&e, t0);
	for (int i = 0; i < n; i++) {
		struct vrt_event ev = { .api = VRT_API_cuMemAlloc_v2, .req = base + (uint64_t)i,
					.size = base + (uint64_t)i, .addr = 0x1000 * (uint64_t)(i + 1) };
		CU_ASSERT(vrt_enc_event(&e, t0 + i, &ev) == 0);
	}
	return (uint32_t)e.len;
}

static void test_tail_recover(void)
{
	size_t len = VRT_TAIL_SLOTS_OFF + 5 * (size_t)VRT_TAIL_SLOT;
	uint8_t *b = calloc(1, len);
	struct vrt_tail_head *h = (struct vrt_tail_head *)b;
	memcpy(h->magic, VRT_TAIL_MAGIC, 8);
	h->version = VRT_TAIL_VERSION;
	h->page = VRT_TAIL_PAGE;
	h->slot_size = VRT_TAIL_SLOT;
	h->pid = 42;
	h->mono_start_ns = 777;
	h->nslots = 5;
	struct vrt_tail_slot *sl[5];
	for (int i = 0; i < 5; i++)
		sl[i] = (struct vrt_tail_slot *)(b + VRT_TAIL_SLOTS_OFF + (size_t)i * VRT_TAIL_SLOT);
	/* Slot 0 (seq 7) was copied into the stage of frame 5 just before the
	 * kill, and not yet emptied: counted once. */
	sl[0]->seq = 7;
	sl[0]->tid = 11;
	sl[0]->base_t = 100;
	sl[0]->len = slot_events((uint8_t *)sl[0] + VRT_TAIL_SLOT_HDR, 2, 1000, 100);
	struct vrt_tail_stage *sg = (struct vrt_tail_stage *)(b + VRT_TAIL_STAGE_OFF);
	struct vrt_tail_ent *ent = (struct vrt_tail_ent *)(b + VRT_TAIL_STAGE_OFF + VRT_TAIL_ENT_OFF);
	uint8_t *d = b + VRT_TAIL_STAGE_DATA_OFF;
	size_t n = vrt_put_frame(d, 5, 50);
	n += vrt_put_chunk(d + n, 11, 100, sl[0]->len);
	memcpy(d + n, (uint8_t *)sl[0] + VRT_TAIL_SLOT_HDR, sl[0]->len);
	n += sl[0]->len;
	sg->state = VRT_TAIL_FILLING;
	sg->frame_no = 5;
	sg->len = n;
	sg->nent = 1;
	ent[0] = (struct vrt_tail_ent){ 0, 7 };
	/* Slot 1: a thread's records since the sweep. */
	sl[1]->tid = 12;
	sl[1]->base_t = 200;
	sl[1]->len = slot_events((uint8_t *)sl[1] + VRT_TAIL_SLOT_HDR, 3, 2000, 200);
	/* Slot 2: garbage; slot 3: a length beyond the slot; slot 4: empty. */
	sl[2]->len = 5;
	memset((uint8_t *)sl[2] + VRT_TAIL_SLOT_HDR, 0xff, 5);
	sl[3]->len = VRT_TAIL_SLOT;
	struct vrt_header hd = { .pid = 42, .mono_start_ns = 777 };
	struct vrt_tail_stats ts;
	struct tcount c = { 0 };
	/* The trace's last complete frame is 4: the stage is frame 5. */
	CU_ASSERT_EQUAL(vrt_tail_recover(b, len, &hd, 4, tcount_cb, &c, &ts), 0);
	CU_ASSERT_EQUAL(c.events, 5);
	CU_ASSERT_EQUAL(c.sum_req, 1000 + 1001 + 2000 + 2001 + 2002);
	CU_ASSERT_EQUAL(ts.events, 5);
	CU_ASSERT_EQUAL(ts.stage, 1);
	CU_ASSERT_EQUAL(ts.slots, 1);
	CU_ASSERT_EQUAL(ts.bad_slots, 2);
	CU_ASSERT(strstr(ts.why, "slot 2") != NULL);
	/* Frame 5 made it to the trace: only slot 1 is new. */
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(vrt_tail_recover(b, len, &hd, 5, tcount_cb, &c, &ts), 0);
	CU_ASSERT_EQUAL(c.events, 3);
	CU_ASSERT_EQUAL(ts.stage, 0);
	/* Emptied after the copy (len 0, seq 8): nothing twice either. */
	sl[0]->len = 0;
	sl[0]->seq = 8;
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(vrt_tail_recover(b, len, &hd, 4, tcount_cb, &c, &ts), 0);
	CU_ASSERT_EQUAL(c.events, 5);
	/* A file cut short: the slots that are there. */
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(vrt_tail_recover(b, VRT_TAIL_SLOTS_OFF + VRT_TAIL_SLOT + 100, &hd, 5,
					 tcount_cb, &c, &ts), 0);
	CU_ASSERT_EQUAL(c.events, 0);
	/* Another process's tail, or not a tail at all. */
	hd.pid = 43;
	CU_ASSERT_EQUAL(vrt_tail_recover(b, len, &hd, 4, tcount_cb, &c, &ts), VRT_EINPUT);
	CU_ASSERT(strstr(ts.why, "another process") != NULL);
	CU_ASSERT_EQUAL(vrt_tail_recover(b, 100, &hd, 4, tcount_cb, &c, &ts), VRT_EINPUT);
	free(b);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("vrt", NULL, NULL);
	CU_ADD(s, test_varint);
	CU_ADD(s, test_api_table);
	CU_ADD(s, test_roundtrip);
	CU_ADD(s, test_damage);
	CU_ADD(s, test_bad_payload);
	CU_ADD(s, test_too_large);
	CU_ADD(s, test_newer_version);
	CU_ADD(s, test_import_merge);
	CU_ADD(s, test_import_truncated);
	CU_ADD(s, test_same_timestamp);
	CU_ADD(s, test_declared_ratio);
	CU_ADD(s, test_tail_recover);
}

CUTEST_MAIN(register_tests)
