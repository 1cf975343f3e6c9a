/*
 * test_chunk.c - the event chunk codec: round trips of every field,
 * bytes per event, and damaged blobs (never a read past the end).
 */
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "cutest.h"

static struct chunk_enc enc;

static int same(const struct trace_event *a, const struct trace_event *b)
{
	return a->t_ns == b->t_ns && a->kind == b->kind && a->device == b->device &&
	       a->category == b->category && a->api == b->api && a->layer_lo == b->layer_lo &&
	       a->layer_hi == b->layer_hi && a->size == b->size && a->req_size == b->req_size &&
	       a->addr == b->addr && a->aux == b->aux && a->stream == b->stream &&
	       a->result == b->result && a->tid == b->tid && a->label == b->label;
}

static void random_event(struct trace_event *e, unsigned *seed, int64_t t)
{
	*seed = *seed * 1103515245u + 12345u;
	unsigned r = *seed;
	trace_event_init(e, 1 + (int)(r % 14), t);
	e->device = (int16_t)((int)(r >> 4) % 9 - 1);
	e->category = (int16_t)((r >> 8) % TRACE_CAT_MAX);
	e->size = (r & 1) ? (uint64_t)r << (r % 24) : UINT64_MAX - r;
	e->addr = (r & 2) ? 0x7f0000000000ull + ((uint64_t)r << 8) : (uint64_t)r * 0x9E3779B97F4A7C15ull;
	if (r & 4) {
		e->layer_lo = (int32_t)(r % 80);
		e->layer_hi = e->layer_lo + (int32_t)((r >> 3) % 5);
	}
	if (r & 8) {
		e->api = (int16_t)(r % 300) - 10;
		e->req_size = r;
		e->aux = (uint64_t)r << 20;
		e->stream = r & 16 ? 0 : 0xdeadbeefull;
		e->result = (r & 32) ? 2 : -7;
		e->tid = (int32_t)(r >> 12);
		e->label = r % 1000;
	}
}

static void test_chunk_roundtrip(void)
{
	struct trace_event in[CHUNK_MAX], out;
	unsigned seed = 42;
	int64_t t = -5000;
	chunk_begin(&enc, 77);
	for (int i = 0; i < CHUNK_MAX; i++) {
		t += (int64_t)(seed % 3000) - 1000; /* times may go backwards too */
		random_event(&in[i], &seed, t);
		chunk_put(&enc, &in[i]);
	}
	CU_ASSERT_EQUAL(enc.n, CHUNK_MAX);
	CU_ASSERT(enc.len <= sizeof(enc.buf));
	struct chunk_dec d;
	chunk_dec_init(&d, enc.buf, enc.len, enc.n, enc.first_seq, enc.t_first, 1234);
	int i = 0, ok = 1;
	while (chunk_next(&d, &out) == 1) {
		ok &= same(&in[i], &out) && out.seq == 77 + i && out.pid == 1234;
		i++;
	}
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(i, CHUNK_MAX);
}

static void test_chunk_typical_bytes(void)
{
	/* PyTorch-like alloc/free pairs: a few bytes per event */
	chunk_begin(&enc, 1);
	struct trace_event e;
	uint64_t base = 0x7f3a00000000ull;
	for (int i = 0; i < 4000; i++) {
		trace_event_init(&e, i % 2 ? TRACE_FREE : TRACE_ALLOC, 1000000 + i * 350);
		e.device = 0;
		e.category = TRACE_CAT_ACTIVATION;
		e.size = i % 2 ? 0 : 512u << (i % 11);
		e.addr = base + (uint64_t)(i / 2 % 64) * (2 << 20);
		chunk_put(&enc, &e);
	}
	double per = (double)enc.len / enc.n;
	CU_ASSERT(per <= 8.0);
}

static void test_chunk_damaged(void)
{
	unsigned seed = 9;
	struct trace_event e;
	chunk_begin(&enc, 1);
	for (int i = 0; i < 200; i++) {
		random_event(&e, &seed, i * 10);
		chunk_put(&enc, &e);
	}
	/* every cut: fewer events or an error, never a read past the copy */
	int bad = 0;
	for (size_t cut = 0; cut < enc.len; cut += 7) {
		unsigned char *copy = malloc(cut ? cut : 1);
		memcpy(copy, enc.buf, cut);
		struct chunk_dec d;
		chunk_dec_init(&d, copy, cut, enc.n, 1, enc.t_first, 0);
		int r, n = 0;
		while ((r = chunk_next(&d, &e)) == 1)
			n++;
		bad += !(r == -1 && n < enc.n);
		free(copy);
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* garbage: continuation bytes forever */
	unsigned char junk[64];
	memset(junk, 0xff, sizeof(junk));
	struct chunk_dec d;
	chunk_dec_init(&d, junk, sizeof(junk), 10, 1, 0, 0);
	int r;
	while ((r = chunk_next(&d, &e)) == 1)
		;
	CU_ASSERT_EQUAL(r, -1);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("chunk", NULL, NULL);
	CU_ADD(s, test_chunk_roundtrip);
	CU_ADD(s, test_chunk_typical_bytes);
	CU_ADD(s, test_chunk_damaged);
}

CUTEST_MAIN(register_tests)
