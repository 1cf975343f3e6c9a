/*
 * test_pickle.c - the safe pickle reader: every opcode of the subset on
 * hand-written bytes, memo sharing, refusal of code opcodes with their
 * offset, memo and nesting limits, cut streams at every offset, the
 * attach hook, and the real snapshot fixtures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "pickle.h"
#include "pkl_write.h"
#include "util.h"

/* Parse n bytes; returns the doc (or NULL) and leaves the cause in *cause. */
static struct pkl_doc *parse(const void *p, size_t n, char **cause)
{
	struct pkl_doc *d = NULL;
	*cause = NULL;
	int rc = pkl_parse(p, n, NULL, &d, cause);
	if (rc == 0)
		CU_ASSERT_PTR_NULL(*cause);
	return d;
}

#define PARSE(lit, cause) parse(lit, sizeof(lit) - 1, cause)

/* Expect failure with a message containing all of the given parts. */
static void expect_error(const void *p, size_t n, const char *part1, const char *part2)
{
	struct pkl_doc *d = NULL;
	char *cause = NULL;
	int rc = pkl_parse(p, n, NULL, &d, &cause);
	CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cause);
	if (!strstr(cause, part1) || (part2 && !strstr(cause, part2))) {
		fprintf(stderr, "\nunexpected message: %s (wanted '%s' and '%s')\n", cause, part1,
			part2 ? part2 : "");
		CU_FAIL("message");
	}
	free(cause);
	pkl_free(d);
}

#define EXPECT_ERROR(lit, a, b) expect_error(lit, sizeof(lit) - 1, a, b)

static int64_t int_of(const struct pkl_value *v)
{
	int64_t i = -12345;
	CU_ASSERT_EQUAL(pkl_int(v, &i), 0);
	return i;
}

static void test_pickle_scalars(void)
{
	char *cause;
	struct pkl_doc *d = PARSE("\x80\x02N.", &cause);
	CU_ASSERT_EQUAL(pkl_type(pkl_root(d)), PKL_NONE);
	pkl_free(d);

	int b = -1;
	d = PARSE("\x80\x04\x88.", &cause);
	CU_ASSERT(pkl_bool(pkl_root(d), &b) == 0 && b == 1);
	pkl_free(d);
	d = PARSE("\x80\x04\x89.", &cause);
	CU_ASSERT(pkl_bool(pkl_root(d), &b) == 0 && b == 0);
	pkl_free(d);

	struct { const char *p; size_t n; int64_t want; } ints[] = {
		{ "\x80\x02K\xff.", 5, 255 },                       /* BININT1 */
		{ "\x80\x02M\x01\x02.", 6, 0x0201 },                /* BININT2 */
		{ "\x80\x02J\xff\xff\xff\xff.", 8, -1 },            /* BININT is signed */
		{ "\x80\x02J\x00\x00\x00\x80.", 8, INT32_MIN },
		{ "\x80\x02\x8a\x00.", 5, 0 },                      /* LONG1, 0 bytes */
		{ "\x80\x02\x8a\x01\xff.", 6, -1 },
		{ "\x80\x02\x8a\x06\x00\x10\x32\x54\x76\x00.", 11, 0x7654321000ll }, /* address */
		{ "\x80\x02\x8a\x07\x48\x25\xf5\xe5\xb2\x4f\x06.", 12, 1776479641085256ll },
		{ "\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\x00.", 14, INT64_MAX },
		{ "\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\xff.", 14, INT64_MIN },
		{ "\x80\x02\x8b\x02\x00\x00\x00\x34\x12.", 11, 0x1234 }, /* LONG4 */
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ints); i++) {
		d = parse(ints[i].p, ints[i].n, &cause);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_EQUAL(pkl_type(pkl_root(d)), PKL_INT);
		CU_ASSERT_EQUAL(int_of(pkl_root(d)), ints[i].want);
		pkl_free(d);
	}
	/* 9 significant bytes do not fit. */
	EXPECT_ERROR("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.", "byte offset 2",
		     "64 bits");
	EXPECT_ERROR("\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00.", "byte offset 2",
		     "64 bits");

	double f = 0;
	d = PARSE("\x80\x02G\x3f\xf8\x00\x00\x00\x00\x00\x00.", &cause); /* BINFLOAT 1.5 */
	CU_ASSERT(pkl_float(pkl_root(d), &f) == 0 && f == 1.5);
	CU_ASSERT_EQUAL(pkl_type(pkl_root(d)), PKL_FLOAT);
	pkl_free(d);

	const char *strs[][2] = {
		{ "\x80\x04\x8c\x03" "abc.", "abc" },                          /* SHORT_BINUNICODE */
		{ "\x80\x02X\x04\x00\x00\x00" "D:\\x.", "D:\\x" },            /* BINUNICODE */
		{ "\x80\x04\x8d\x02\x00\x00\x00\x00\x00\x00\x00" "ok.", "ok" }, /* BINUNICODE8 */
	};
	size_t lens[] = { 8, 12, 14 };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(strs); i++) {
		d = parse(strs[i][0], lens[i], &cause);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT(pkl_str_eq(pkl_root(d), strs[i][1]));
		char buf[3];
		CU_ASSERT_PTR_NOT_NULL(pkl_str_copy(pkl_root(d), buf, sizeof(buf)));
		CU_ASSERT_EQUAL(strlen(buf), 2); /* cut to fit */
		pkl_free(d);
	}
}

static void test_pickle_containers(void)
{
	char *cause;
	/* FRAME, EMPTY_DICT, MEMOIZE, MARK, SETITEMS, SETITEM, EMPTY_LIST,
	 * APPENDS, APPEND, TUPLE, TUPLE1-3, EMPTY_TUPLE */
	static const char p[] =
		"\x80\x04\x95\x30\x00\x00\x00\x00\x00\x00\x00"
		"}\x94(\x8c\x01l]\x94(K\x01K\x02" "eK\x03" "a"
		"\x8c\x01t(K\x01K\x02K\x03K\x04t"
		"\x8c\x01" "1K\x05\x85\x8c\x01" "2K\x05K\x06\x86\x8c\x01" "3K\x01K\x02K\x03\x87u"
		"\x8c\x01" "e)s.";
	struct pkl_doc *d = parse(p, sizeof(p) - 1, &cause);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	const struct pkl_value *r = pkl_root(d);
	CU_ASSERT_EQUAL(pkl_type(r), PKL_DICT);
	CU_ASSERT_EQUAL(pkl_len(r), 6);
	const struct pkl_value *l = pkl_get(r, "l");
	CU_ASSERT_EQUAL(pkl_type(l), PKL_LIST);
	CU_ASSERT_EQUAL(pkl_len(l), 3);
	CU_ASSERT_EQUAL(int_of(pkl_item(l, 2)), 3);
	CU_ASSERT_EQUAL(pkl_count(l), 3);
	CU_ASSERT_EQUAL(pkl_type(pkl_get(r, "t")), PKL_TUPLE);
	CU_ASSERT_EQUAL(pkl_len(pkl_get(r, "t")), 4);
	CU_ASSERT_EQUAL(pkl_len(pkl_get(r, "1")), 1);
	CU_ASSERT_EQUAL(pkl_len(pkl_get(r, "2")), 2);
	CU_ASSERT_EQUAL(int_of(pkl_item(pkl_get(r, "2"), 1)), 6);
	CU_ASSERT_EQUAL(pkl_len(pkl_get(r, "3")), 3);
	CU_ASSERT_EQUAL(pkl_type(pkl_get(r, "e")), PKL_TUPLE);
	CU_ASSERT_EQUAL(pkl_len(pkl_get(r, "e")), 0);
	CU_ASSERT_PTR_NULL(pkl_get(r, "missing"));
	CU_ASSERT_PTR_NULL(pkl_item(l, 3));
	CU_ASSERT(pkl_str_eq(pkl_key(r, 0), "l"));
	CU_ASSERT_PTR_NOT_NULL(pkl_val(r, 5));
	CU_ASSERT_PTR_NULL(pkl_val(r, 6));
	CU_ASSERT(pkl_id(l) != 0 && pkl_id(l) != pkl_id(r));
	CU_ASSERT_EQUAL(pkl_id(pkl_item(l, 0)), 0);
	pkl_free(d);

	/* A key pickled twice: the last value wins, as in Python. */
	d = PARSE("\x80\x02}(\x8c\x01kK\x01\x8c\x01kK\x02u.", &cause);
	CU_ASSERT_EQUAL(int_of(pkl_get(pkl_root(d), "k")), 2);
	pkl_free(d);
}

static void test_pickle_memo_shares(void)
{
	char *cause;
	/* [L, L] where L = [1] is fetched back with BINGET: one object. */
	struct pkl_doc *d = PARSE("\x80\x04]\x94(]\x94K\x01" "ah\x01" "e.", &cause);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	const struct pkl_value *r = pkl_root(d);
	CU_ASSERT_EQUAL(pkl_len(r), 2);
	CU_ASSERT_PTR_EQUAL(pkl_item(r, 0), pkl_item(r, 1));
	CU_ASSERT_EQUAL(pkl_len(pkl_item(r, 0)), 1);
	pkl_free(d);

	/* BINPUT/LONG_BINPUT (protocol 2, the C++ pickler) and LONG_BINGET. */
	d = PARSE("\x80\x02]q\x00(\x8c\x01xr\x01\x00\x00\x00j\x01\x00\x00\x00h\x01" "e.", &cause);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(pkl_len(pkl_root(d)), 3);
	CU_ASSERT_PTR_EQUAL(pkl_item(pkl_root(d), 0), pkl_item(pkl_root(d), 2));
	pkl_free(d);

	EXPECT_ERROR("\x80\x02h\x05.", "byte offset 2", "memo index 5");
	EXPECT_ERROR("\x80\x02K\x01\x94j\x01\x00\x00\x00.", "byte offset 5", "memo index 1");
	EXPECT_ERROR("\x80\x02K\x01q\x03.", "byte offset 4", "memo index 3");
}

static void test_pickle_refuses_code(void)
{
	static const struct { const char *p; size_t n; const char *name; } bad[] = {
		{ "\x80\x02" "cos\nsystem\n.", 14, "GLOBAL" },
		{ "\x80\x04\x8c\x02os\x8c\x06system\x93.", 16, "STACK_GLOBAL" },
		{ "\x80\x02N)R.", 6, "REDUCE" },
		{ "\x80\x02(i__main__\nX\n.", 16, "INST" },
		{ "\x80\x02(No.", 6, "OBJ" },
		{ "\x80\x02N}b.", 6, "BUILD" },
		{ "\x80\x02\x82\x01.", 5, "EXT1" },
		{ "\x80\x02" "P1\n.", 6, "PERSID" },
		{ "\x80\x02NQ.", 5, "BINPERSID" },
		{ "\x80\x02N)\x81.", 6, "NEWOBJ" },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(bad); i++) {
		char *cause = NULL;
		struct pkl_doc *d = NULL;
		CU_ASSERT_EQUAL(pkl_parse(bad[i].p, bad[i].n, NULL, &d, &cause), UTIL_EINPUT);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cause);
		char want[64];
		snprintf(want, sizeof(want), "opcode %s ", bad[i].name);
		CU_ASSERT_PTR_NOT_NULL(strstr(cause, want));
		CU_ASSERT_PTR_NOT_NULL(strstr(cause, "not allowed"));
		CU_ASSERT_PTR_NOT_NULL(strstr(cause, "byte offset "));
		free(cause);
	}
	/* The offset is the opcode's own. */
	EXPECT_ERROR("\x80\x02]K\x01K\x02R.", "byte offset 7", "REDUCE");
	/* Plain values outside the subset and unknown bytes are refused too. */
	EXPECT_ERROR("\x80\x02" "C\x01x.", "byte offset 2", "SHORT_BINBYTES");
	EXPECT_ERROR("\x80\x02\xff.", "byte offset 2", "unknown pickle opcode 0xff");
	EXPECT_ERROR("\x80\x06N.", "byte offset 0", "protocol 6");
	EXPECT_ERROR("\x80\x01N.", "byte offset 0", "protocol 1");
	EXPECT_ERROR("{\"a\": 1}", "byte offset 0", "not a pickle");
	expect_error("", 0, "empty", NULL);
}

static void test_pickle_structure_errors(void)
{
	EXPECT_ERROR("\x80\x02K\x01K\x02.", "STOP", "2 values");
	EXPECT_ERROR("\x80\x02K\x01" "a.", "byte offset 4", "APPEND needs 2");
	EXPECT_ERROR("\x80\x02K\x01(K\x02" "e.", "byte offset 7", "APPENDS adds to a int");
	EXPECT_ERROR("\x80\x02}(K\x01u.", "byte offset 6", "odd number");
	EXPECT_ERROR("\x80\x02]e.", "byte offset 3", "without a MARK");
	/* cycles: a list into itself; a list filled after it was nested */
	EXPECT_ERROR("\x80\x02]\x94h\x00" "a.", "byte offset 6", "itself");
	EXPECT_ERROR("\x80\x02]\x94]\x94h\x00" "aa.", "byte offset 9", "already nested");
	/* cut streams name the offset */
	EXPECT_ERROR("\x80\x02\x8c\x09" "abc", "byte offset 2", "cut stream");
	EXPECT_ERROR("\x80\x02N", "byte offset 3", "without STOP");
	EXPECT_ERROR("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.", "byte offset 2",
		     "FRAME announces 255");
}

static void test_pickle_depth_limit(void)
{
	struct pw w = { 0 };
	pw_proto(&w, 4);
	for (int i = 0; i < 100; i++)
		pw_op(&w, ']');
	for (int i = 0; i < 99; i++)
		pw_op(&w, 'a');
	pw_stop(&w);
	expect_error(w.b, w.n, "deeper than 64", NULL);
	/* within a higher limit it parses, and freeing it is fine */
	struct pkl_opts o = { .max_depth = 200 };
	struct pkl_doc *d = NULL;
	CU_ASSERT_EQUAL(pkl_parse(w.b, w.n, &o, &d, NULL), 0);
	pkl_free(d);
	/* a limit above the hard cap is clamped */
	w.n = 2;
	for (int i = 0; i < 2000; i++)
		pw_op(&w, ']');
	for (int i = 0; i < 1999; i++)
		pw_op(&w, 'a');
	pw_stop(&w);
	o.max_depth = 100000;
	char *cause = NULL;
	CU_ASSERT_EQUAL(pkl_parse(w.b, w.n, &o, &d, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "deeper than 1000"));
	free(cause);
	/* MARKs nest too */
	w.n = 2;
	for (int i = 0; i < 70; i++)
		pw_op(&w, '(');
	pw_op(&w, 'N');
	pw_stop(&w);
	expect_error(w.b, w.n, "nested MARKs", NULL);
	free(w.b);
}

/* A small snapshot-shaped pickle with every common opcode. */
static struct pw small_snapshot(void)
{
	struct pw w = { 0 };
	pw_proto(&w, 4);
	pw_dict(&w);
	pw_str(&w, "segments");
	pw_list(&w);
	pw_dict(&w);
	pw_kv_int(&w, "device", 0);
	pw_kv_int(&w, "address", 0x7f0000000000ll);
	pw_kv_int(&w, "total_size", 2097152);
	pw_str(&w, "segment_type");
	pw_str(&w, "small");
	pw_str(&w, "is_expandable");
	pw_bool(&w, 0);
	pw_str(&w, "blocks");
	pw_list(&w);
	pw_list_end(&w);
	pw_dict_end(&w);
	pw_list_end(&w);
	pw_str(&w, "device_traces");
	pw_list(&w);
	pw_list(&w);
	pw_dict(&w);
	pw_kv_str(&w, "action", "alloc");
	pw_kv_int(&w, "time_us", 1776479641085368ll);
	pw_str(&w, "ratio");
	pw_float(&w, 0.5);
	pw_str(&w, "frames");
	unsigned fr = pw_list(&w);
	pw_frame(&w, "model.py", 54, "forward");
	pw_list_end(&w);
	pw_dict_end(&w);
	pw_dict(&w);
	pw_kv_str(&w, "action", "free_completed");
	pw_str(&w, "frames");
	pw_get(&w, fr);
	pw_dict_end(&w);
	pw_list_end(&w);
	pw_list_end(&w);
	pw_dict_end(&w);
	pw_stop(&w);
	return w;
}

static void test_pickle_cut_everywhere(void)
{
	struct pw w = small_snapshot();
	struct pkl_doc *d = NULL;
	CU_ASSERT_EQUAL_FATAL(pkl_parse(w.b, w.n, NULL, &d, NULL), 0);
	const struct pkl_value *tr = pkl_item(pkl_get(pkl_root(d), "device_traces"), 0);
	CU_ASSERT_EQUAL(pkl_len(tr), 2);
	CU_ASSERT_PTR_EQUAL(pkl_get(pkl_item(tr, 0), "frames"), pkl_get(pkl_item(tr, 1), "frames"));
	pkl_free(d);
	for (size_t n = 0; n < w.n; n++) {
		char *cause = NULL;
		d = NULL;
		int rc = pkl_parse(w.b, n, NULL, &d, &cause);
		CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
		CU_ASSERT_PTR_NULL(d);
		CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "byte offset"));
		free(cause);
	}
	free(w.b);
}

/* Flip bytes of a valid pickle: any outcome but a crash or a leak. */
static void test_pickle_mutations(void)
{
	struct pw w = small_snapshot();
	unsigned char *m = util_xmalloc(w.n);
	unsigned seed = 12345;
	int ok = 0, bad = 0;
	for (int round = 0; round < 3000; round++) {
		memcpy(m, w.b, w.n);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = 2 + (seed >> 8) % (w.n - 2);
			seed = seed * 1103515245u + 12345u;
			m[at] = (unsigned char)(seed >> 16);
		}
		struct pkl_doc *d = NULL;
		char *cause = NULL;
		if (pkl_parse(m, w.n, NULL, &d, &cause) == 0) {
			ok++;
			CU_ASSERT_PTR_NOT_NULL(pkl_root(d));
		} else {
			bad++;
			CU_ASSERT_PTR_NOT_NULL(cause);
		}
		free(cause);
		pkl_free(d);
	}
	CU_ASSERT(ok > 0 && bad > 0);
	free(m);
	free(w.b);
}

struct hook_stats {
	int lists, dict_items, taken;
	uint64_t last_index;
};

static int take_ints(void *arg, const struct pkl_value *parent, const struct pkl_value *key,
		     uint64_t index, const struct pkl_value *item, char **cause)
{
	struct hook_stats *s = arg;
	(void)cause;
	if (pkl_type(parent) == PKL_DICT) {
		CU_ASSERT_PTR_NOT_NULL(key);
		s->dict_items++;
		return PKL_KEEP;
	}
	CU_ASSERT_PTR_NULL(key);
	s->lists++;
	s->last_index = index;
	if (pkl_type(item) == PKL_INT) {
		s->taken++;
		return PKL_TAKE;
	}
	return PKL_KEEP;
}

static int fail_hook(void *arg, const struct pkl_value *parent, const struct pkl_value *key,
		     uint64_t index, const struct pkl_value *item, char **cause)
{
	(void)arg; (void)parent; (void)key; (void)index; (void)item;
	return util_err(cause, UTIL_EINPUT, "the consumer said no");
}

static void test_pickle_attach_hook(void)
{
	/* {'a': [1, 2, 'x', 3]} */
	static const char p[] = "\x80\x04}\x94\x8c\x01" "a]\x94(K\x01K\x02\x8c\x01xK\x03" "es.";
	struct hook_stats s = { 0 };
	struct pkl_opts o = { .attach = take_ints, .arg = &s };
	struct pkl_doc *d = NULL;
	CU_ASSERT_EQUAL_FATAL(pkl_parse(p, sizeof(p) - 1, &o, &d, NULL), 0);
	const struct pkl_value *a = pkl_get(pkl_root(d), "a");
	CU_ASSERT_EQUAL(pkl_len(a), 1);   /* only 'x' was kept */
	CU_ASSERT_EQUAL(pkl_count(a), 4); /* but four were attached */
	CU_ASSERT_EQUAL(s.taken, 3);
	CU_ASSERT_EQUAL(s.last_index, 3);
	CU_ASSERT_EQUAL(s.dict_items, 1);
	pkl_free(d);

	o.attach = fail_hook;
	char *cause = NULL;
	CU_ASSERT_EQUAL(pkl_parse(p, sizeof(p) - 1, &o, &d, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "the consumer said no"));
	free(cause);
}

/* What the snapshot importer does: consume each segment and trace entry
 * when it is complete, drop the emptied dict when it is nested. */
static int take_filled(void *arg, const struct pkl_value *dict, char **cause)
{
	(void)cause;
	if (!pkl_get(dict, "action") && !pkl_get(dict, "blocks") && !pkl_get(dict, "state"))
		return PKL_KEEP;
	(*(int *)arg)++;
	return PKL_TAKE;
}

static int take_records(void *arg, const struct pkl_value *parent, const struct pkl_value *key,
			uint64_t index, const struct pkl_value *item, char **cause)
{
	(void)arg; (void)key; (void)index; (void)cause;
	if (pkl_type(parent) == PKL_LIST && pkl_type(item) == PKL_DICT && pkl_len(item) == 0)
		return PKL_TAKE;
	return PKL_KEEP;
}

static void test_pickle_fixtures(void)
{
	static const struct { const char *file; size_t segs, entries, blocks; } fx[] = {
		{ "traces/torch_snapshot_modern_cs336_win.pickle", 216, 5163, 455 },
		{ "traces/torch_snapshot_v20_block_history_flexgen.pickle", 176, 1, 463 },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(fx); i++) {
		char *buf;
		size_t len;
		CU_ASSERT_EQUAL_FATAL(util_read_file(cu_data(fx[i].file), &buf, &len, NULL), 0);
		struct pkl_doc *d = NULL;
		char *cause = NULL;
		CU_ASSERT_EQUAL_FATAL(pkl_parse(buf, len, NULL, &d, &cause), 0);
		const struct pkl_value *r = pkl_root(d);
		CU_ASSERT_EQUAL(pkl_len(pkl_get(r, "segments")), fx[i].segs);
		CU_ASSERT_EQUAL(pkl_len(pkl_item(pkl_get(r, "device_traces"), 0)), fx[i].entries);
		pkl_free(d);
		/* Streaming: what is taken is not kept; memory stays under 2x the file. */
		int taken = 0;
		struct pkl_opts o = { .attach = take_records, .filled = take_filled, .arg = &taken };
		CU_ASSERT_EQUAL_FATAL(pkl_parse(buf, len, &o, &d, &cause), 0);
		CU_ASSERT_EQUAL(taken, fx[i].segs + fx[i].entries + fx[i].blocks);
		r = pkl_root(d);
		CU_ASSERT_EQUAL(pkl_len(pkl_get(r, "segments")), 0);
		CU_ASSERT_EQUAL(pkl_count(pkl_get(r, "segments")), fx[i].segs);
		size_t peak = pkl_peak_bytes(d);
		if (peak > 2 * len)
			fprintf(stderr, "\n%s: peak %zu bytes for %zu\n", fx[i].file, peak, len);
		CU_ASSERT(peak <= 2 * len);
		pkl_free(d);
		free(buf);
	}
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("pickle", NULL, NULL);
	CU_ADD(s, test_pickle_scalars);
	CU_ADD(s, test_pickle_containers);
	CU_ADD(s, test_pickle_memo_shares);
	CU_ADD(s, test_pickle_refuses_code);
	CU_ADD(s, test_pickle_structure_errors);
	CU_ADD(s, test_pickle_depth_limit);
	CU_ADD(s, test_pickle_cut_everywhere);
	CU_ADD(s, test_pickle_mutations);
	CU_ADD(s, test_pickle_attach_hook);
	CU_ADD(s, test_pickle_fixtures);
}

CUTEST_MAIN(register_tests)
