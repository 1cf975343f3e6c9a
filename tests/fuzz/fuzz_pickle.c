/*
 * fuzz_pickle.c - the safe pickle reader (pkl_parse) on any bytes, twice:
 * building the whole value tree and walking every value through the
 * accessors, then in streaming mode with attach/filled hooks that take
 * some items (as the torch importer does), so that values freed early
 * are never touched again. Seeds: tests/fuzz/seeds/torch, tests/data
 * pickles.
 */
#include "fuzz.h"
#include "pickle.h"

/* Visit v and everything under it; depth is bounded by the reader's
 * max_depth, so the recursion is too. */
static uint64_t walk(const struct pkl_value *v, unsigned depth)
{
	uint64_t h = (uint64_t)pkl_type(v) + depth;
	int64_t i64;
	double d;
	int b;
	size_t n;
	char buf[16];
	if (pkl_int(v, &i64) == 0)
		h += (uint64_t)i64;
	if (pkl_float(v, &d) == 0 && d == d)
		h += 1;
	if (pkl_bool(v, &b) == 0)
		h += (uint64_t)b;
	const char *s = pkl_str(v, &n);
	if (s && n)
		h += (unsigned char)s[n - 1]; /* the last byte must be readable */
	pkl_str_copy(v, buf, sizeof(buf));
	h += pkl_str_eq(v, "segments") + pkl_id(v) + pkl_count(v);
	size_t len = pkl_len(v);
	if (pkl_type(v) == PKL_DICT) {
		for (size_t k = 0; k < len; k++)
			h += walk(pkl_key(v, k), depth + 1) + walk(pkl_val(v, k), depth + 1);
		if (pkl_get(v, "device_traces") || pkl_get_int(v, "size", &i64) == 0)
			h++;
		if (pkl_key(v, len) || pkl_val(v, len))
			fuzz_fail("dict accessor past the end returned a value", NULL);
	} else {
		for (size_t k = 0; k < len; k++)
			h += walk(pkl_item(v, k), depth + 1);
		if (pkl_item(v, len))
			fuzz_fail("item accessor past the end returned a value", NULL);
	}
	return h;
}

/* Streaming hooks: look at every item, take every other one. */
static int on_attach(void *arg, const struct pkl_value *parent, const struct pkl_value *key,
		     uint64_t index, const struct pkl_value *item, char **cause)
{
	(void)cause;
	*(uint64_t *)arg += walk(item, 0) + walk(key, 0) + pkl_id(parent);
	return index % 2 ? PKL_TAKE : PKL_KEEP;
}

static int on_filled(void *arg, const struct pkl_value *dict, char **cause)
{
	(void)cause;
	*(uint64_t *)arg += pkl_len(dict);
	return pkl_len(dict) % 3 == 0 ? PKL_TAKE : PKL_KEEP;
}

static volatile uint64_t fuzz_pickle_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkl_doc *doc = NULL;
	char *cause = NULL;
	int rc = pkl_parse(data, size, NULL, &doc, &cause);
	if (rc == 0) {
		fuzz_pickle_sink += walk(pkl_root(doc), 0) + pkl_peak_bytes(doc);
		pkl_free(doc);
	} else {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
	}

	uint64_t sum = 0;
	struct pkl_opts o = { .max_depth = 1 + size % 16, .attach = on_attach,
			      .filled = on_filled, .arg = &sum };
	doc = NULL;
	cause = NULL;
	rc = pkl_parse(data, size, &o, &doc, &cause);
	if (rc == 0) {
		fuzz_pickle_sink += walk(pkl_root(doc), 0) + sum;
		pkl_free(doc);
	} else {
		fuzz_check_error(rc, cause, NULL);
		free(cause);
	}
	return 0;
}
