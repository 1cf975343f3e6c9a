/*
 * test_u64map.c - the one hash map (trace/u64map.h) against a brute-force
 * model: every key (0 and UINT64_MAX included), long insert/delete streams
 * that would break a table with tombstones or a wrong backward shift.
 */
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "u64map.h"

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_u64map_model(void)
{
	enum { NK = 512 };
	uint64_t keys[NK], vals[NK];
	uint8_t in[NK] = { 0 };
	uint64_t seed = 88172645463325252ull;
	for (int i = 0; i < NK; i++)
		keys[i] = i == 0 ? 0 : i == 1 ? UINT64_MAX
			: (i & 1) ? (uint64_t)i << 12 /* clustered, aligned addresses */
				  : rnd(&seed);
	struct u64map m = { 0 };
	size_t n = 0;
	CU_ASSERT_FALSE(u64map_get(&m, 5, NULL));
	CU_ASSERT_FALSE(u64map_del(&m, 0, NULL));
	for (int step = 0; step < 200000; step++) {
		int i = (int)(rnd(&seed) % NK);
		uint64_t v = rnd(&seed), got = 0, old = 0;
		switch (rnd(&seed) % 4) {
		case 0:
		case 1:
			CU_ASSERT_EQUAL(u64map_swap(&m, keys[i], v, &old), in[i]);
			if (in[i])
				CU_ASSERT_EQUAL(old, vals[i]);
			n += !in[i];
			in[i] = 1;
			vals[i] = v;
			break;
		case 2:
			CU_ASSERT_EQUAL(u64map_del(&m, keys[i], &got), in[i]);
			if (in[i])
				CU_ASSERT_EQUAL(got, vals[i]);
			n -= in[i];
			in[i] = 0;
			break;
		default:
			CU_ASSERT_EQUAL(u64map_get(&m, keys[i], &got), in[i]);
			if (in[i])
				CU_ASSERT_EQUAL(got, vals[i]);
		}
		CU_ASSERT_EQUAL(u64map_size(&m), n);
	}
	/* Iteration visits each present key once. */
	size_t pos = 0, seen = 0;
	uint64_t k, v;
	while (u64map_next(&m, &pos, &k, &v)) {
		int i = 0;
		while (i < NK && keys[i] != k)
			i++;
		CU_ASSERT_TRUE_FATAL(i < NK);
		CU_ASSERT_TRUE(in[i]);
		CU_ASSERT_EQUAL(v, vals[i]);
		in[i] = 2;
		seen++;
	}
	CU_ASSERT_EQUAL(seen, n);
	u64map_free(&m);
	CU_ASSERT_EQUAL(u64map_size(&m), 0);
	CU_ASSERT_FALSE(u64map_get(&m, keys[2], NULL));
	/* Reusable after free. */
	u64map_put(&m, 0, 7);
	u64map_put(&m, 9, 8);
	CU_ASSERT_TRUE(u64map_get(&m, 0, &v) && v == 7);
	u64map_free(&m);
}

static void test_u64map_many(void)
{
	struct u64map m = { 0 };
	for (uint64_t i = 0; i < 1000000; i++)
		u64map_put(&m, i * 256, i);
	for (uint64_t i = 0; i < 1000000; i += 2)
		CU_ASSERT_TRUE(u64map_del(&m, i * 256, NULL));
	uint64_t v;
	for (uint64_t i = 0; i < 1000000; i++)
		if (u64map_get(&m, i * 256, &v) != (int)(i & 1) || ((i & 1) && v != i))
			CU_FAIL("lookup after deletes");
	CU_ASSERT_EQUAL(u64map_size(&m), 500000);
	u64map_free(&m);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("u64map", NULL, NULL);
	CU_ADD(s, test_u64map_model);
	CU_ADD(s, test_u64map_many);
}

CUTEST_MAIN(register_tests)
