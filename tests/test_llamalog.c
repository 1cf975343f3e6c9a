/*
 * test_llamalog.c - the llama.cpp / Ollama / ik_llama.cpp log importer:
 * golden totals for every log under tests/data/logs (numbers read off the
 * log text, see tests/data/logs/SOURCES.md), and small files written here
 * for prefixes, line endings, truncation and bad input.
 * Long because it is one golden test per bundled log; each stands alone.
 *
 * Over 800 lines: one golden case per bundled log (each a few lines of
 * numbers read off the log) and the line-class cases; splitting them
 * would split the one table of expected figures.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cutest.h"
#include "imp.h"
#include "store.h"
#include "util.h"

#define MIB 1048576.0

/* ------------------------------------------------------------ helpers */

static struct store *st;   /* the store of the current test */
static struct imp_ctx res; /* the last import's result */
static int n_store;

static void fresh_store(void)
{
	char name[32];
	store_close(st);
	snprintf(name, sizeof(name), "ll%d.db", n_store++);
	cu_sh("rm -f '%s'*", cu_tmp(name));
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(store_open(cu_tmp(name), STORE_CREATE, &st, &cause), 0);
	free(cause);
}

/* Import path into a fresh store; returns the rc, *cause kept if wanted. */
static int import_path(const char *path, int strict, char **cause)
{
	fresh_store();
	struct imp_opts o = { .quiet = 1, .strict = strict };
	free(res.summary);
	memset(&res, 0, sizeof(res));
	return imp_file(st, path, &o, &res, cause);
}

/* Import a fixture that must succeed with n traces. */
static void import_log(const char *name, int n_traces)
{
	char *cause = NULL;
	int rc = import_path(cu_data(name), 0, &cause);
	if (rc)
		fprintf(stderr, "\nimport %s: %s\n", name, cause);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(res.n_traces, n_traces);
	CU_ASSERT_PTR_NOT_NULL(res.summary);
}

/* Write text to a file in the temp dir; returns its path (static). */
static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s", cu_tmp(name));
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(text, 1, len, f);
	fclose(f);
	return path;
}

static int import_text(const char *text, char **cause)
{
	return import_path(write_file("t.log", text, strlen(text)), 0, cause);
}

/* Sum of event sizes (MiB) of trace k (0-based within the import). */
static double sum(int k, int kind, int dev, int cat)
{
	struct store_iter *it;
	struct trace_event ev;
	double s = 0;
	CU_ASSERT_EQUAL_FATAL(store_iter_open(st, res.traces[k], -1, &it, NULL), 0);
	while (store_iter_next(it, &ev, NULL) == 1)
		if (ev.kind == kind && ev.device == dev && (cat < 0 || ev.category == cat))
			s += (double)ev.size / MIB;
	store_iter_free(it);
	return s;
}

static double alloc_mib(int k, int dev, int cat)
{
	return sum(k, TRACE_ALLOC, dev, cat);
}

static int count(int k, int kind)
{
	struct store_iter *it;
	struct trace_event ev;
	int n = 0;
	CU_ASSERT_EQUAL_FATAL(store_iter_open(st, res.traces[k], -1, &it, NULL), 0);
	while (store_iter_next(it, &ev, NULL) == 1)
		n += kind < 0 || ev.kind == kind;
	store_iter_free(it);
	return n;
}

/* The first event of a kind (fails the test when there is none). */
static struct trace_event first(int k, int kind)
{
	struct store_iter *it;
	struct trace_event ev, found;
	int got = 0;
	memset(&found, 0, sizeof(found));
	CU_ASSERT_EQUAL_FATAL(store_iter_open(st, res.traces[k], -1, &it, NULL), 0);
	while (store_iter_next(it, &ev, NULL) == 1)
		if (ev.kind == kind && !got++)
			found = ev;
	store_iter_free(it);
	CU_ASSERT_TRUE(got > 0);
	return found;
}

/* Setting value equals want (want NULL: unset). */
static int setting_is(int k, const char *key, const char *want)
{
	char *v = NULL;
	CU_ASSERT_EQUAL_FATAL(store_setting_get(st, res.traces[k], key, &v, NULL), 0);
	int ok = want ? v && strcmp(v, want) == 0 : v == NULL;
	if (!ok)
		fprintf(stderr, "\nsetting %s = '%s', expected '%s'\n", key, v ? v : "(unset)",
			want ? want : "(unset)");
	free(v);
	return ok;
}

/* An estimate in MiB, or -1 if absent. */
static double estimate_mib(int k, const char *engine, int dev, const char *key)
{
	struct store_estimate *e = NULL;
	size_t n = 0;
	double r = -1;
	CU_ASSERT_EQUAL_FATAL(store_estimates(st, res.traces[k], &e, &n, NULL), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].engine, engine) == 0 && e[i].device == dev &&
		    strcmp(e[i].key, key) == 0)
			r = (double)e[i].bytes / MIB;
	free(e);
	return r;
}

static size_t n_estimates(int k)
{
	struct store_estimate *e = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(store_estimates(st, res.traces[k], &e, &n, NULL), 0);
	free(e);
	return n;
}

/* Devices of trace k; the caller frees. */
static struct trace_device *devices(int k, size_t *n)
{
	struct trace_device *d = NULL;
	CU_ASSERT_EQUAL_FATAL(store_devices(st, res.traces[k], &d, n, NULL), 0);
	return d;
}

static struct store_trace_info info(int k)
{
	struct store_trace_info ti;
	CU_ASSERT_EQUAL_FATAL(store_trace_get(st, res.traces[k], &ti, NULL), 0);
	return ti;
}

static int label_is(int64_t label, const char *want)
{
	char *t = NULL;
	if (store_label_text(st, label, &t, NULL) != 0)
		return 0;
	int ok = t && strcmp(t, want) == 0;
	free(t);
	return ok;
}

#define MIB_EQ(got, want) CU_ASSERT_DOUBLE_EQUAL((got), (want), 0.01)
/* HumanBytes values have 1 decimal: compare to 0.05 of the unit. */
#define GIB_EQ(got_mib, want_gib) CU_ASSERT_DOUBLE_EQUAL((got_mib) / 1024.0, (want_gib), 0.001)

/* ---------------------------------------------------------- fixtures */

static void test_llamalog_ikllama(void)
{
	import_log("logs/ikllama-235-deepseek-r1-15x3090.log", 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "15 GPUs, 4 loads"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "2 OOM"));

	/* RUN 1: compute per GPU, pinned host buffers, no per-device KV */
	CU_ASSERT_EQUAL(count(0, -1), 17);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 4466.00);
	for (int d = 1; d <= 13; d++)
		MIB_EQ(alloc_mib(0, d, TRACE_CAT_COMPUTE), 4465.00);
	MIB_EQ(alloc_mib(0, 14, TRACE_CAT_COMPUTE), 4465.01);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_COMPUTE), 135.01);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_OUTPUT), 0.99);
	MIB_EQ(sum(0, TRACE_ALLOC, 0, TRACE_CAT_KV) + sum(0, TRACE_ALLOC, TRACE_DEV_HOST, TRACE_CAT_KV), 0);
	CU_ASSERT_TRUE(setting_is(0, "n_copies", "4"));
	CU_ASSERT_TRUE(setting_is(0, "kv_self_mib", "2196.00"));
	CU_ASSERT_TRUE(setting_is(0, "type_k", "f16"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "ik_llama.cpp"));
	CU_ASSERT_TRUE(setting_is(0, "n_batch", NULL)); /* "## RUN 2: -b 2048 ... -> OOM" is a note */
	struct store_trace_info ti = info(0);
	CU_ASSERT_EQUAL(ti.run, 1);
	CU_ASSERT_PTR_NOT_NULL(ti.note && strstr(ti.note, "KV"));
	store_trace_info_clear(&ti);
	size_t nd;
	struct trace_device *d = devices(0, &nd);
	CU_ASSERT_EQUAL(nd, 15);
	CU_ASSERT_STRING_EQUAL(d[0].name, "NVIDIA GeForce RTX 3090");
	free(d);

	/* RUN 2 and 3: the OOMs, each ending its load */
	CU_ASSERT_EQUAL(count(1, -1), 1);
	struct trace_event oom = first(1, TRACE_OOM);
	MIB_EQ(oom.size / MIB, 8898.01);
	CU_ASSERT_EQUAL(oom.device, 1);
	CU_ASSERT_EQUAL(oom.result, 2);
	CU_ASSERT_EQUAL(oom.category, TRACE_CAT_OTHER);
	oom = first(2, TRACE_OOM);
	MIB_EQ(oom.size / MIB, 42820.01);
	CU_ASSERT_EQUAL(oom.device, 0);
	CU_ASSERT_TRUE(setting_is(2, "kv_self_mib", "10980.00"));
	CU_ASSERT_EQUAL(count(2, TRACE_ALLOC), 0); /* KV total, no device: nothing invented */
	d = devices(2, &nd);
	CU_ASSERT_EQUAL(nd, 15); /* the 15 GPUs ggml_cuda_init found */
	CU_ASSERT_STRING_EQUAL(d[0].name, "NVIDIA GeForce RTX 3090");
	free(d);

	/* RUN 0: row split */
	CU_ASSERT_EQUAL(count(3, -1), 7);
	MIB_EQ(alloc_mib(3, 0, TRACE_CAT_WEIGHTS), 409.90 + 232453.45);
	MIB_EQ(alloc_mib(3, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS), 289.98);
	MIB_EQ(alloc_mib(3, 0, TRACE_CAT_KV), 2196.00);
	MIB_EQ(alloc_mib(3, 0, TRACE_CAT_COMPUTE), 4349.00);
	MIB_EQ(alloc_mib(3, TRACE_DEV_HOST, TRACE_CAT_COMPUTE), 39.00);
	CU_ASSERT_TRUE(setting_is(3, "n_ctx", "32768"));
	CU_ASSERT_TRUE(setting_is(3, "n_ubatch", "256"));
	CU_ASSERT_TRUE(setting_is(3, "flash_attn", "0"));
	CU_ASSERT_TRUE(setting_is(3, "mla_attn", "2"));
	CU_ASSERT_TRUE(setting_is(3, "n_gpu_layers_offloaded", "62"));
	CU_ASSERT_TRUE(setting_is(3, "n_layer_total", "62"));
	CU_ASSERT_TRUE(setting_is(3, "repeating_layers_offloaded", "61"));
	CU_ASSERT_TRUE(setting_is(3, "output_offloaded", "1"));
	CU_ASSERT_TRUE(setting_is(3, "graph_nodes", "3608"));
	ti = info(3);
	CU_ASSERT_PTR_NOT_NULL(ti.note && strstr(ti.note, "row split"));
	store_trace_info_clear(&ti);
	/* the CUDA_Split buffer: device 0, its own label, no layer range */
	struct store_iter *it;
	struct trace_event ev;
	int split = 0;
	CU_ASSERT_EQUAL_FATAL(store_iter_open(st, res.traces[3], -1, &it, NULL), 0);
	while (store_iter_next(it, &ev, NULL) == 1) {
		if (ev.kind == TRACE_ALLOC && label_is(ev.label, "CUDA_Split")) {
			split++;
			CU_ASSERT_EQUAL(ev.device, 0);
			CU_ASSERT_EQUAL(ev.category, TRACE_CAT_WEIGHTS);
			CU_ASSERT_EQUAL(ev.layer_lo, -1);
			MIB_EQ(ev.size / MIB, 232453.45);
		}
		if (ev.kind == TRACE_ALLOC && ev.category == TRACE_CAT_COMPUTE &&
		    ev.device == TRACE_DEV_HOST)
			CU_ASSERT_TRUE(label_is(ev.label, "CUDA_Host compute"));
	}
	store_iter_free(it);
	CU_ASSERT_EQUAL(split, 1);
}

static void test_llamalog_breakdown_15860(void)
{
	import_log("logs/llamacpp-15860-memory-breakdown-3x4090.log", 1);
	CU_ASSERT_EQUAL(res.n_warnings, 0);
	static const double comp[3] = { 985, 548, 548 }, unacc[3] = { 451, 456, 456 },
			    freem[3] = { 9436, 9868, 9868 };
	for (int g = 0; g < 3; g++) {
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_WEIGHTS), 13169);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_KV), 38);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_COMPUTE), comp[g]);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_CONTEXT), unacc[g]);
		MIB_EQ(sum(0, TRACE_SNAPSHOT, g, -1), 24080 - freem[g]);
	}
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS), 0);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_KV), 57);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_COMPUTE), 15);
	CU_ASSERT_EQUAL(count(0, TRACE_SNAPSHOT), 3);
	CU_ASSERT_EQUAL(count(0, -1), 17);
	struct trace_event snap = first(0, TRACE_SNAPSHOT);
	MIB_EQ(snap.aux / MIB, 24080);
	size_t nd;
	struct trace_device *d = devices(0, &nd);
	CU_ASSERT_EQUAL_FATAL(nd, 3);
	for (int g = 0; g < 3; g++) {
		CU_ASSERT_STRING_EQUAL(d[g].name, "RTX 4090");
		MIB_EQ(d[g].total / MIB, 24080);
	}
	free(d);
	CU_ASSERT_TRUE(setting_is(0, "engine", "llama.cpp"));
	struct store_trace_info ti = info(0);
	CU_ASSERT_EQUAL(ti.run, 0);
	store_trace_info_clear(&ti);
}

static void test_llamalog_breakdown_glm46(void)
{
	import_log("logs/llamacpp-bench-glm46-tq1-4x3080.log", 1);
	static const double w[4] = { 15686, 16603, 16608, 15331 }, kv[4] = { 1584, 1296, 1368, 2376 },
			    c[4] = { 967, 396, 396, 652 }, u[4] = { 253, 252, 254, 252 },
			    fr[4] = { 1689, 1633, 1553, 1569 };
	for (int g = 0; g < 4; g++) {
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_WEIGHTS), w[g]);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_KV), kv[g]);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_COMPUTE), c[g]);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_CONTEXT), u[g]);
		MIB_EQ(sum(0, TRACE_SNAPSHOT, g, -1), 20181 - fr[g]);
	}
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS), 78278);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_COMPUTE), 84);
	CU_ASSERT_EQUAL(count(0, -1), 22);
	size_t nd;
	struct trace_device *d = devices(0, &nd);
	CU_ASSERT_EQUAL_FATAL(nd, 4);
	CU_ASSERT_STRING_EQUAL(d[3].name, "RTX 3080");
	MIB_EQ(d[3].total / MIB, 20181);
	free(d);
	/* the run's options, quoted in a "## args:" line without the binary
	 * name, are settings of the load (a '#' line opens none) */
	CU_ASSERT_TRUE(setting_is(0, "type_k", "q4_0"));
	CU_ASSERT_TRUE(setting_is(0, "type_v", "q4_0"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "65536"));
	CU_ASSERT_TRUE(setting_is(0, "parallel", "4"));
	CU_ASSERT_TRUE(setting_is(0, "n_batch", "2048"));
	CU_ASSERT_TRUE(setting_is(0, "n_ubatch", "1024"));
	CU_ASSERT_TRUE(setting_is(0, "flash_attn", "1"));
	CU_ASSERT_TRUE(setting_is(0, "fit_target_mib", "1536"));
}

static void test_llamalog_breakdown_wrap_fit(void)
{
	import_log("logs/llamacpp-minimax-m21-4x3090-breakdown-fit.log", 1);
	/* the wrapped unaccounted column: skipped, warned about once */
	CU_ASSERT_EQUAL(res.n_warnings, 1);
	static const double w[4] = { 12096, 14040, 14040, 10579 }, kv[4] = { 7504, 7504, 7504, 6566 },
			    c[4] = { 1302, 202, 202, 396 };
	for (int g = 0; g < 4; g++) {
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_WEIGHTS), w[g]);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_KV), kv[g]);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_COMPUTE), c[g]);
		MIB_EQ(alloc_mib(0, g, TRACE_CAT_CONTEXT), 0);
	}
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS), 72257);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_COMPUTE), 240);
	/* free + self > total: no snapshot from those columns */
	CU_ASSERT_EQUAL(count(0, TRACE_SNAPSHOT), 0);
	CU_ASSERT_EQUAL(count(0, -1), 14);
	/* the --fit projection, kept apart as an estimate */
	MIB_EQ(estimate_mib(0, "llama-fit", 0, "total"), 24117);
	MIB_EQ(estimate_mib(0, "llama-fit", 0, "used"), 20903);
	MIB_EQ(estimate_mib(0, "llama-fit", 0, "free"), 2870);
	MIB_EQ(estimate_mib(0, "llama-fit", 0, "target"), 1024);
	MIB_EQ(estimate_mib(0, "llama-fit", 3, "used"), 17542);
	MIB_EQ(estimate_mib(0, "llama-fit", TRACE_DEV_HOST, "projected"), 81940);
	MIB_EQ(estimate_mib(0, "llama-fit", TRACE_DEV_HOST, "free_total"), 95309);
	size_t nd;
	struct trace_device *d = devices(0, &nd);
	CU_ASSERT_EQUAL_FATAL(nd, 4);
	CU_ASSERT_STRING_EQUAL(d[0].name, "NVIDIA GeForce RTX 3090");
	MIB_EQ(d[0].total / MIB, 24117);
	MIB_EQ(d[1].total / MIB, 24124);
	free(d);
	/* the llama-server command line in the comment block */
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "120000"));
	CU_ASSERT_TRUE(setting_is(0, "n_batch", "512"));
	CU_ASSERT_TRUE(setting_is(0, "flash_attn", "1"));
	CU_ASSERT_TRUE(setting_is(0, "tensor_split", "1,1,1,1"));
	CU_ASSERT_TRUE(setting_is(0, "n_gpu_layers", "99"));
	CU_ASSERT_TRUE(setting_is(0, "model",
				  "Ex0bit_MiniMax-M2.1-PRISM_MiniMax-M2.1-PRISM-IQ4_NL.gguf"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "llama-fit estimate"));
}

static void test_llamalog_ollama_3078(void)
{
	import_log("logs/ollama-3078-70b-2gpu-buffers.log", 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "2 GPUs, 2 loads"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "weights 28549.6 MiB"));
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 14132.19);
	MIB_EQ(alloc_mib(0, 1, TRACE_CAT_WEIGHTS), 14417.38);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS), 389.81);
	CU_ASSERT_EQUAL(count(0, -1), 3);
	struct trace_event w = first(0, TRACE_ALLOC);
	CU_ASSERT_EQUAL(w.layer_lo, -1); /* the log does not say which layers */
	CU_ASSERT_TRUE(setting_is(0, "n_gpu_layers_offloaded", "81"));
	CU_ASSERT_TRUE(setting_is(0, "n_layer_total", "81"));
	CU_ASSERT_TRUE(setting_is(0, "repeating_layers_offloaded", "80"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "ollama"));
	/* LOAD B: only its offloading line */
	CU_ASSERT_EQUAL(count(1, -1), 0);
	CU_ASSERT_TRUE(setting_is(1, "repeating_layers_offloaded", "65"));
	struct store_trace_info ti = info(1);
	CU_ASSERT_EQUAL(ti.run, 2);
	CU_ASSERT_STRING_EQUAL(ti.name, "ollama-3078-70b-2gpu-buffers.log#2");
	store_trace_info_clear(&ti);
}

static void test_llamalog_ollama_7047(void)
{
	import_log("logs/ollama-7047-2gpu-kv-per-device.log", 2);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_KV), 12800);
	MIB_EQ(alloc_mib(0, 1, TRACE_CAT_KV), 12800);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 429);
	MIB_EQ(alloc_mib(0, 1, TRACE_CAT_COMPUTE), 298);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_COMPUTE), 266.01);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_OUTPUT), 0.14);
	CU_ASSERT_EQUAL(count(0, -1), 6);
	CU_ASSERT_TRUE(setting_is(0, "flash_attn", "1"));
	CU_ASSERT_TRUE(setting_is(0, "kv_self_mib", "25600.00"));
	CU_ASSERT_TRUE(setting_is(0, "type_k", "f16"));
	CU_ASSERT_TRUE(setting_is(0, "type_v", "f16"));
	CU_ASSERT_TRUE(setting_is(0, "graph_splits", "5"));
	/* excerpt B: the scheduler sizing up another load */
	CU_ASSERT_EQUAL(count(1, -1), 0);
	CU_ASSERT_TRUE(setting_is(1, "ollama.sched.gpu", "GPU-43c5178f-58cc-bc56-98c7-a070fe538d85"));
	CU_ASSERT_TRUE(setting_is(1, "ollama.sched.available", "550292685")); /* 524.8 MiB */
}

static void test_llamalog_ollama_8310(void)
{
	import_log("logs/ollama-8310-9311-llama32vision-11b-capacity-pair.log", 2);
	/* LOAD A: estimate and actual buffers of the same load */
	GIB_EQ(estimate_mib(0, "ollama", 0, "allocation"), 10.5);
	GIB_EQ(estimate_mib(0, "ollama", 0, "available"), 10.6);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.full"), 11.8);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.partial"), 10.5);
	MIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.kv"), 656.2);
	MIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "weights.nonrepeating"), 411.0);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "projector.weights"), 1.8);
	MIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "graph.partial"), 669.5);
	MIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "gpu_overhead"), 0);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 4325.04);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_KV), 574.22);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_KV), 50.03 + 32.00);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 669.48);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_COMPUTE), 12.01);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_OUTPUT), 0.50);
	CU_ASSERT_EQUAL(count(0, -1), 7);
	CU_ASSERT_TRUE(setting_is(0, "n_ctx", "2048"));
	CU_ASSERT_TRUE(setting_is(0, "n_batch", "512"));
	CU_ASSERT_TRUE(setting_is(0, "n_ubatch", "512"));
	CU_ASSERT_TRUE(setting_is(0, "flash_attn", "0"));
	CU_ASSERT_TRUE(setting_is(0, "parallel", "1"));
	CU_ASSERT_TRUE(setting_is(0, "graph_splits", "49"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "2048"));
	CU_ASSERT_TRUE(setting_is(0, "n_gpu_layers", "34"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.offload", "34"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.model", "41"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.requested", "-1"));
	CU_ASSERT_TRUE(setting_is(0, "model", "sha256-11f274007f093fefeec994a5dbbb33d0733a4feb87f7ab66dcd7c1069fef0068"));
	/* LOAD B: the same model with twice the memory, estimates only */
	CU_ASSERT_EQUAL(count(1, -1), 0);
	GIB_EQ(estimate_mib(1, "ollama", 0, "allocation"), 11.3);
	GIB_EQ(estimate_mib(1, "ollama", 0, "available"), 21.6);
	GIB_EQ(estimate_mib(1, "ollama", TRACE_DEV_HOST, "required.full"), 11.3);
	CU_ASSERT_TRUE(setting_is(1, "n_gpu_layers", "41"));
	CU_ASSERT_TRUE(setting_is(1, "ollama.layers.offload", "41"));
}

static void test_llamalog_ollama_8430(void)
{
	import_log("logs/ollama-8430-gemma3-12b-3060-plus-small.log", 1);
	CU_ASSERT_EQUAL(count(0, -1), 0);
	GIB_EQ(estimate_mib(0, "ollama", 0, "allocation"), 11.4);
	MIB_EQ(estimate_mib(0, "ollama", 1, "allocation"), 0);
	GIB_EQ(estimate_mib(0, "ollama", 0, "available"), 11.5);
	GIB_EQ(estimate_mib(0, "ollama", 1, "available"), 4.6);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.kv"), 2.0);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "graph.full"), 1.3);
	MIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "projector.weights"), 806.2);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "projector.graph"), 1.0);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.full"), 14.9);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.partial"), 11.4);
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.split", "37,0"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.requested", "49"));
	CU_ASSERT_TRUE(setting_is(0, "tensor_split", "37,0"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "24576"));
	CU_ASSERT_TRUE(setting_is(0, "meta.arch", "gemma3"));
	size_t nd;
	struct trace_device *d = devices(0, &nd);
	CU_ASSERT_EQUAL_FATAL(nd, 2);
	CU_ASSERT_STRING_EQUAL(d[0].name, "NVIDIA GeForce RTX 3060");
	CU_ASSERT_STRING_EQUAL(d[1].name, "NVIDIA GeForce RTX 3060");
	free(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "no allocations"));
}

static void test_llamalog_ollama_9181(void)
{
	import_log("logs/ollama-9181-70b-4x22g-64k.log", 1);
	for (int g = 0; g < 4; g++) {
		GIB_EQ(estimate_mib(0, "ollama", g, "allocation"), 21.8);
		GIB_EQ(estimate_mib(0, "ollama", g, "available"), 22.0);
	}
	CU_ASSERT_EQUAL(estimate_mib(0, "ollama", 4, "allocation"), -1);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "graph.full"), 8.2);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.kv"), 19.5);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.full"), 127.4);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.partial"), 87.1);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "weights.total"), 87.3);
	CU_ASSERT_EQUAL(n_estimates(0), 8 + 9);
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.split", "11,11,11,11"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.offload", "44"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.model", "81"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "64000"));
	CU_ASSERT_TRUE(setting_is(0, "flash_attn", "1"));
	CU_ASSERT_TRUE(setting_is(0, "parallel", "1"));
	size_t nd;
	struct trace_device *d = devices(0, &nd);
	CU_ASSERT_EQUAL(nd, 4);
	free(d);
	CU_ASSERT_EQUAL(count(0, -1), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "ollama estimate present"));
}

static void test_llamalog_ollama_9471(void)
{
	import_log("logs/ollama-9471-llama33-70b-61g.log", 1);
	CU_ASSERT_EQUAL(count(0, -1), 0);
	/* ollama ps/list sizes are decimal GB (format.HumanBytes) */
	CU_ASSERT_TRUE(setting_is(0, "ollama.ps.size", "61000000000"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.ps.processor", "44%/56% CPU/GPU"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.ps.model", "llama3.3:latest"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.list.size", "42000000000"));
	CU_ASSERT_TRUE(setting_is(0, "driver_version", "550.120"));
	CU_ASSERT_TRUE(setting_is(0, "cuda_version", "12.4"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "ollama"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.summary, "no allocations"));
}

/* Every shipped log is detected as llamalog and imports. */
static void test_llamalog_detect(void)
{
	static const char *const logs[] = {
		"ikllama-235-deepseek-r1-15x3090.log", "llamacpp-15860-memory-breakdown-3x4090.log",
		"llamacpp-bench-glm46-tq1-4x3080.log", "llamacpp-minimax-m21-4x3090-breakdown-fit.log",
		"ollama-3078-70b-2gpu-buffers.log", "ollama-7047-2gpu-kv-per-device.log",
		"ollama-8310-9311-llama32vision-11b-capacity-pair.log",
		"ollama-8430-gemma3-12b-3060-plus-small.log", "ollama-9181-70b-4x22g-64k.log",
		"ollama-9471-llama33-70b-61g.log",
	};
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		char name[128];
		snprintf(name, sizeof(name), "logs/%s", logs[i]);
		char *buf;
		size_t len;
		CU_ASSERT_EQUAL_FATAL(util_read_file(cu_data(name), &buf, &len, NULL), 0);
		CU_ASSERT_TRUE(imp_llamalog_detect((unsigned char *)buf, len, name) > 0);
		free(buf);
	}
	static const unsigned char gguf[] = "GGUF\3\0\0\0\1\0\0\0 buffer size = 1 MiB";
	CU_ASSERT_EQUAL(imp_llamalog_detect(gguf, sizeof(gguf) - 1, "m.gguf"), 0);
	static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58 };
	CU_ASSERT_EQUAL(imp_llamalog_detect(zstd, sizeof(zstd), "t.vrt.zst"), 0);
	static const char json[] = "{\"traceEvents\": [\"buffer size = 1 MiB\"]}";
	CU_ASSERT_EQUAL(imp_llamalog_detect((const unsigned char *)json, strlen(json), "t.json"), 0);
	static const char prose[] = "hello world\nnothing to see\n";
	CU_ASSERT_EQUAL(imp_llamalog_detect((const unsigned char *)prose, strlen(prose), "a"), 0);
	static const char line[] = "load_tensors:        CUDA0 model buffer size =  3577.56 MiB\n";
	CU_ASSERT_EQUAL(imp_llamalog_detect((const unsigned char *)line, strlen(line), "a"), 80);
	/* never reads past len: the pattern is cut by the length */
	CU_ASSERT_EQUAL(imp_llamalog_detect((const unsigned char *)line, 30, "a"), 0);
}

/* ------------------------------------------------------ synthetic files */

/* The same buffers behind every prefix a log line can carry. */
static void test_llamalog_prefixes(void)
{
	static const char text[] =
		"Mar 12 20:39:31 host ollama[43824]: llm_load_tensors:      CUDA0 buffer size =  100.50 MiB\n"
		"time=2025-09-11T00:42:50.484+02:00 level=INFO source=backend.go:310 msg=\"model weights\" device=CUDA1 size=\"2.0 GiB\"\n"
		"2025-01-05 16:56:12 [pod/ollama-1/ollama] llama_kv_cache_init:      CUDA0 KV buffer size =    64.00 MiB\n"
		"time=2025-09-11T00:42:50.484+02:00 level=INFO source=backend.go:321 msg=\"kv cache\" device=CUDA1 size=\"450.0 MiB\"\n"
		"# llama_context:      CUDA0 compute buffer size =   32.25 MiB\n"
		"I llama_context:  CUDA_Host compute buffer size =    8.00 MiB\n"
		"time=2025-09-11T00:42:50.484+02:00 level=INFO source=backend.go:337 msg=\"compute graph\" device=CPU size=\"5.5 MiB\"\n"
		"# source: https://example.org/not/a/log/line\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL(res.n_traces, 1);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 100.50);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_KV), 64.00);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 32.25);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_COMPUTE), 8.00 + 5.5);
	MIB_EQ(alloc_mib(0, 1, TRACE_CAT_WEIGHTS), 2048);
	MIB_EQ(alloc_mib(0, 1, TRACE_CAT_KV), 450);
	CU_ASSERT_EQUAL(count(0, -1), 7);
	/* times follow line numbers */
	struct trace_event ev = first(0, TRACE_ALLOC);
	CU_ASSERT_EQUAL(ev.t_ns, 1000);
	CU_ASSERT_EQUAL(ev.pid, 0);
	CU_ASSERT_EQUAL(ev.size, 105381888); /* round(100.50 MiB) */
}

/* CRLF line ends and no final newline read the same as LF. */
static void test_llamalog_crlf_no_final_newline(void)
{
	static const char text[] =
		"llm_load_tensors:      CUDA0 buffer size =  1.25 MiB\r\n"
		"llama_new_context_with_model: n_ctx      = 4096\r\n"
		"llama_new_context_with_model:      CUDA0 compute buffer size =   2.50 MiB";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_TRUE(setting_is(0, "n_ctx", "4096"));
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 1.25);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 2.50);
	struct store_trace_info ti = info(0);
	CU_ASSERT_EQUAL(ti.truncated, 0);
	store_trace_info_clear(&ti);
	CU_ASSERT_EQUAL(res.n_warnings, 0);
}

/* The store's trace names, to show a failed import changed nothing. */
static int n_traces_in_store(void)
{
	struct store_trace_info *t = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(store_trace_list(st, &t, &n, NULL), 0);
	for (size_t i = 0; i < n; i++)
		store_trace_info_clear(&t[i]);
	free(t);
	return (int)n;
}

static void test_llamalog_bad_size(void)
{
	static const char text[] =
		"llm_load_tensors:      CUDA0 buffer size =  1.25 MiB\n"
		"llm_load_tensors:      CUDA1 buffer size =  lots MiB\n"
		"llm_load_tensors:      CUDA2 buffer size =  3.00 MiB\n";
	/* a store that already holds a trace */
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_path(cu_data("logs/ollama-3078-70b-2gpu-buffers.log"), 0, &cause), 0);
	CU_ASSERT_EQUAL(n_traces_in_store(), 2);
	const char *path = write_file("bad.log", text, strlen(text));
	struct imp_opts o = { .quiet = 1 };
	struct imp_ctx r;
	int rc = imp_file(st, path, &o, &r, &cause);
	CU_ASSERT_EQUAL(rc, UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cause);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "bad.log:2:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "expected a size in MiB after 'buffer size ='"));
	free(cause);
	CU_ASSERT_EQUAL(n_traces_in_store(), 2);
	/* a bad Ollama size and a bad breakdown row are errors too */
	cause = NULL;
	CU_ASSERT_EQUAL(import_text("time=x level=INFO source=s.go:1 msg=offload "
				    "memory.required.full=\"lots\"\n", &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "t.log:1:"));
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(import_text("llama_memory_breakdown_print: |   - CUDA0 (X)   | 20181 = "
				    "1689 + (18238 = 15686 + abc) + 253 |\n", &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "t.log:1:"));
	free(cause);
}

/* The file stops inside its last line: a warning and a truncated trace,
 * or an error with --strict. */
static void test_llamalog_truncated(void)
{
	static const char text[] =
		"llm_load_tensors:      CUDA0 buffer size = 14132.19 MiB\n"
		"llm_load_tensors:      CUDA1 buffer size = 14417.";
	const char *path = write_file("cut.log", text, strlen(text));
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_path(path, 0, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL(res.n_warnings, 1);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 14132.19);
	CU_ASSERT_EQUAL(count(0, -1), 1);
	struct store_trace_info ti = info(0);
	CU_ASSERT_EQUAL(ti.truncated, 1);
	store_trace_info_clear(&ti);
	cause = NULL;
	CU_ASSERT_EQUAL(import_path(path, 1, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "cut.log:2:"));
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "truncated"));
	free(cause);
	CU_ASSERT_EQUAL(n_traces_in_store(), 0);
}

static void test_llamalog_empty_binary_nothing(void)
{
	char *cause = NULL;
	const char *path = write_file("empty.log", "", 0);
	CU_ASSERT_EQUAL(import_path(path, 0, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "empty.log"));
	free(cause);
	cause = NULL;
	static const unsigned char bin[] = { 0x7f, 'E', 'L', 'F', 0, 0, 1, 0, 0xff, 0x10 };
	path = write_file("bin.dat", (const char *)bin, sizeof(bin));
	CU_ASSERT_EQUAL(import_path(path, 0, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "unknown format"));
	free(cause);
	/* forced onto a file with no log line at all */
	cause = NULL;
	path = write_file("prose.log", "# source: nowhere\nhello\n", 24);
	fresh_store();
	struct imp_opts o = { .quiet = 1, .format = "llamalog" };
	free(res.summary);
	memset(&res, 0, sizeof(res));
	CU_ASSERT_EQUAL(imp_file(st, path, &o, &res, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "no llama.cpp/Ollama memory lines found"));
	free(cause);
	CU_ASSERT_EQUAL(n_traces_in_store(), 0);
}

/* A line beyond 64 KiB is skipped with a warning; the rest is read. */
static void test_llamalog_long_line(void)
{
	size_t n = 70 * 1024;
	const char *tail = "\nllm_load_tensors:      CUDA0 buffer size =  7.00 MiB\n";
	char *text = malloc(n + strlen(tail) + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	static const char head[] = "llm_load_tensors: CUDA9 buffer size = 1.00 MiB ";
	memset(text, 'x', n);
	memcpy(text, head, sizeof(head) - 1);
	strcpy(text + n, tail);
	char *cause = NULL;
	CU_ASSERT_EQUAL(import_text(text, &cause), 0);
	free(cause);
	free(text);
	CU_ASSERT_EQUAL(res.n_warnings, 1);
	CU_ASSERT_EQUAL(count(0, -1), 1);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 7.00);
}

/* Loads: a repeated device starts a new one; a buffer breakdown is not
 * counted twice; OOM companions name a compute buffer. */
static void test_llamalog_segmentation(void)
{
	static const char text[] =
		"load_tensors:        CUDA0 model buffer size =  1000.00 MiB\n"
		"llama_kv_cache:      CUDA0 KV buffer size =   100.00 MiB\n"
		"llama_context:      CUDA0 compute buffer size =   50.00 MiB\n"
		"llama_memory_breakdown_print: | memory breakdown [MiB] | total free self model context compute unaccounted |\n"
		"llama_memory_breakdown_print: |   - CUDA0 (RTX 4090)   | 24080 = 22000 + (1650 = 1000 + 100 + 550) + 430 |\n"
		"load_tensors:        CUDA0 model buffer size =  2000.00 MiB\n"
		"ggml_backend_cuda_buffer_type_alloc_buffer: allocating 300.00 MiB on device 0: cudaMalloc failed: out of memory\n"
		"ggml_gallocr_reserve_n: failed to allocate CUDA0 buffer of size 314572800\n"
		"llama_init_from_model: failed to allocate compute buffers\n"
		"load_tensors:        CUDA0 model buffer size =  3000.00 MiB\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(res.n_traces, 3);
	/* load 1: buffer lines win over the breakdown's model/context/compute */
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 1000);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_KV), 100);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 50);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_CONTEXT), 430);
	MIB_EQ(sum(0, TRACE_SNAPSHOT, 0, -1), 24080 - 22000);
	/* load 2: weights, then one OOM (not two) for a compute buffer */
	MIB_EQ(alloc_mib(1, 0, TRACE_CAT_WEIGHTS), 2000);
	CU_ASSERT_EQUAL(count(1, TRACE_OOM), 1);
	struct trace_event oom = first(1, TRACE_OOM);
	CU_ASSERT_EQUAL(oom.category, TRACE_CAT_COMPUTE);
	MIB_EQ(oom.size / MIB, 300);
	/* load 3: after the OOM */
	MIB_EQ(alloc_mib(2, 0, TRACE_CAT_WEIGHTS), 3000);
	struct store_trace_info ti = info(2);
	CU_ASSERT_EQUAL(ti.run, 3);
	store_trace_info_clear(&ti);
}

/* An Ollama server log: the server's vocab-only metadata block, the
 * estimate and the runner start, then the runner's own device and
 * metadata lines and buffers all make one load; the next request another. */
static void test_llamalog_ollama_runner_sequence(void)
{
	static const char text[] =
		"time=t level=INFO source=server.go:135 msg=\"system memory\" total=\"31.2 GiB\" free=\"20.9 GiB\"\n"
		"llama_model_loader: loaded meta data with 30 key-value pairs and 291 tensors from /b/x\n"
		"print_info: n_layer          = 32\n"
		"llama_model_load: vocab only - skipping tensors\n"
		"time=t level=INFO source=memory.go:356 msg=\"offload to cuda\" layers.requested=-1 "
		"layers.model=33 layers.offload=33 layers.split=\"\" memory.available=\"[22.5 GiB]\" "
		"memory.required.full=\"17.3 GiB\" memory.required.allocations=\"[17.3 GiB]\"\n"
		"time=t level=INFO source=server.go:380 msg=\"starting llama server\" cmd=\"/usr/bin/ollama "
		"runner --model /b/sha256-aa --ctx-size 8192 --batch-size 512 --n-gpu-layers 33 "
		"--parallel 4 --port 1\"\n"
		"ggml_cuda_init: found 1 CUDA devices:\n"
		"  Device 0: NVIDIA GeForce RTX 4090 D, compute capability 8.9, VMM: yes, ID: GPU-620f3fa0-47a8\n"
		"llama_model_loader: loaded meta data with 30 key-value pairs and 291 tensors from /b/x\n"
		"print_info: n_layer          = 32\n"
		"load_tensors: offloading 32 repeating layers to GPU\n"
		"load_tensors: offloading output layer to GPU\n"
		"load_tensors: offloaded 33/33 layers to GPU\n"
		"load_tensors:        CUDA0 model buffer size = 11800.00 MiB\n"
		"load_tensors:   CPU_Mapped model buffer size =   410.98 MiB\n"
		"llama_kv_cache_init:      CUDA0 KV buffer size =  8192.00 MiB\n"
		"llama_init_from_model:      CUDA0 compute buffer size =  4000.00 MiB\n"
		"llama_model_loader: loaded meta data with 40 key-value pairs and 400 tensors from /b/y\n"
		"print_info: n_layer          = 40\n"
		"time=t level=INFO source=memory.go:356 msg=\"offload to cuda\" memory.required.allocations=\"[9.0 GiB]\"\n"
		"time=t level=INFO source=runner.go:925 msg=load request=\"{Operation:commit Parallel:1 "
		"GPULayers:41[ID:GPU-620f3fa0-47a8 Layers:41(0..40)] MainGPU:0}\"\n"
		"load_tensors:        CUDA0 model buffer size =  5000.00 MiB\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(res.n_traces, 2);
	GIB_EQ(estimate_mib(0, "ollama", 0, "allocation"), 17.3);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 11800);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS), 410.98);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_KV), 8192);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 4000);
	CU_ASSERT_TRUE(setting_is(0, "meta.n_layer", "32"));
	CU_ASSERT_TRUE(setting_is(0, "n_gpu_layers", "33"));
	CU_ASSERT_TRUE(setting_is(0, "parallel", "4"));
	CU_ASSERT_TRUE(setting_is(0, "system.total", "33500744909"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "ollama"));
	size_t nd;
	struct trace_device *d = devices(0, &nd);
	CU_ASSERT_EQUAL_FATAL(nd, 1);
	CU_ASSERT_STRING_EQUAL(d[0].name, "NVIDIA GeForce RTX 4090 D");
	CU_ASSERT_STRING_EQUAL(d[0].uuid, "GPU-620f3fa0-47a8");
	free(d);
	GIB_EQ(estimate_mib(1, "ollama", 0, "allocation"), 9.0);
	MIB_EQ(alloc_mib(1, 0, TRACE_CAT_WEIGHTS), 5000);
	CU_ASSERT_TRUE(setting_is(1, "meta.n_layer", "40"));
	struct trace_event w = first(1, TRACE_ALLOC);
	CU_ASSERT_EQUAL(w.layer_lo, 0); /* the load request named its GPU by uuid */
	CU_ASSERT_EQUAL(w.layer_hi, 40);
}

/* Layer ranges only where the log states them. */
static void test_llamalog_layer_ranges(void)
{
	static const char text[] =
		"load_tensors: layer   0 assigned to device CUDA0, is_swa = 0\n"
		"load_tensors: layer  19 assigned to device CUDA0, is_swa = 0\n"
		"load_tensors: layer  20 assigned to device CUDA1, is_swa = 0\n"
		"load_tensors: layer  32 assigned to device CUDA1, is_swa = 0\n"
		"load_tensors: offloaded 33/33 layers to GPU\n"
		"load_tensors:        CUDA0 model buffer size =  1000.00 MiB\n"
		"load_tensors:        CUDA1 model buffer size =  1100.00 MiB\n"
		"load_tensors:   CPU_Mapped model buffer size =   300.00 MiB\n"
		"time=t level=INFO source=runner.go:1 msg=load request=\"{Operation:commit Parallel:2 "
		"BatchSize:512 FlashAttention:true KvSize:8192 KvCacheType:q8_0 NumThreads:16 "
		"GPULayers:37[ID:0 Layers:37(0..36)] MainGPU:0}\"\n"
		"time=t level=INFO source=backend.go:310 msg=\"model weights\" device=CUDA0 size=\"4.0 GiB\"\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(res.n_traces, 2);
	struct store_iter *it;
	struct trace_event ev;
	int seen = 0;
	CU_ASSERT_EQUAL_FATAL(store_iter_open(st, res.traces[0], -1, &it, NULL), 0);
	while (store_iter_next(it, &ev, NULL) == 1) {
		if (ev.device == 0) {
			CU_ASSERT_EQUAL(ev.layer_lo, 0);
			CU_ASSERT_EQUAL(ev.layer_hi, 19);
		} else if (ev.device == 1) {
			CU_ASSERT_EQUAL(ev.layer_lo, 20);
			CU_ASSERT_EQUAL(ev.layer_hi, 32);
		} else {
			CU_ASSERT_EQUAL(ev.layer_lo, -1);
			CU_ASSERT_TRUE(label_is(ev.label, "CPU_Mapped model"));
		}
		seen++;
	}
	store_iter_free(it);
	CU_ASSERT_EQUAL(seen, 3);
	struct trace_event w = first(1, TRACE_ALLOC);
	CU_ASSERT_EQUAL(w.layer_lo, 0);
	CU_ASSERT_EQUAL(w.layer_hi, 36);
	MIB_EQ(w.size / MIB, 4096);
	CU_ASSERT_TRUE(setting_is(1, "n_ctx", "8192"));
	CU_ASSERT_TRUE(setting_is(1, "parallel", "2"));
	CU_ASSERT_TRUE(setting_is(1, "flash_attn", "1"));
	CU_ASSERT_TRUE(setting_is(1, "type_k", "q8_0"));
}

/* Newer KV line, model metadata, and the settings forms. */
static void test_llamalog_settings(void)
{
	static const char text[] =
		"print_info: arch             = llama\n"
		"print_info: n_ctx_train      = 131072\n"
		"print_info: n_embd           = 8192\n"
		"print_info: n_layer          = 80\n"
		"print_info: n_head           = 64\n"
		"print_info: n_head_kv        = 8\n"
		"print_info: n_expert         = 0\n"
		"print_info: file size   = 39.59 GiB (4.82 BPW) \n"
		"print_info: general.name     = Llama 3.3 70B Instruct\n"
		"print_info: n_vocab          = 128256\n"
		"load_tensors:        CUDA0 model buffer size = 20000.00 MiB\n"
		"llama_context: n_seq_max     = 4\n"
		"llama_context: n_ctx         = 16384\n"
		"llama_context: flash_attn    = auto\n"
		"llama_kv_cache:      CUDA0 KV buffer size =  1280.00 MiB\n"
		"llama_kv_cache: size = 1280.00 MiB (  4096 cells,  80 layers,  4/4 seqs), K (q8_0):  640.00 MiB, V (q4_0):  640.00 MiB\n"
		"llama_context: Flash Attention was auto, set to enabled\n"
		"llama_context:      CUDA0 compute buffer size =   300.00 MiB\n"
		"llama_context: graph nodes  = 2567 (with bs=512), 2487 (with bs=1)\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(res.n_traces, 1);
	CU_ASSERT_TRUE(setting_is(0, "meta.arch", "llama"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_layer", "80"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_embd", "8192"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_head", "64"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_head_kv", "8"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_vocab", "128256"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_ctx_train", "131072"));
	CU_ASSERT_TRUE(setting_is(0, "meta.name", "Llama 3.3 70B Instruct"));
	CU_ASSERT_TRUE(setting_is(0, "meta.file_size", "42509438812")); /* 39.59 GiB */
	CU_ASSERT_TRUE(setting_is(0, "n_seq_max", "4"));
	CU_ASSERT_TRUE(setting_is(0, "parallel", "4"));
	CU_ASSERT_TRUE(setting_is(0, "n_ctx", "16384"));
	CU_ASSERT_TRUE(setting_is(0, "flash_attn", "1"));
	CU_ASSERT_TRUE(setting_is(0, "type_k", "q8_0"));
	CU_ASSERT_TRUE(setting_is(0, "type_v", "q4_0"));
	CU_ASSERT_TRUE(setting_is(0, "kv_cells", "4096"));
	CU_ASSERT_TRUE(setting_is(0, "kv_layers", "80"));
	CU_ASSERT_TRUE(setting_is(0, "kv_self_mib", "1280.00"));
	CU_ASSERT_TRUE(setting_is(0, "graph_nodes", "2567"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "llama.cpp"));
	CU_ASSERT_EQUAL(count(0, TRACE_ALLOC), 3);
}

static void test_llamalog_cleanup(void)
{
	store_close(st);
	st = NULL;
	free(res.summary);
	memset(&res, 0, sizeof(res));
}



/* -------------------------------------- log classes (issue 13.4), real excerpts */

/* journalctl cut the offload line at the terminal's width ('>'): what
 * came before the cut is read, the cut is warned about and noted; the
 * load holds only Ollama's estimate, so the trace says it is one of
 * estimates. --strict refuses the cut line. */
static void test_llamalog_class_journal_cut_10341(void)
{
	import_log("logs/ollama-10341-gemma3-journal-cut.log", 1);
	CU_ASSERT_EQUAL(res.n_warnings, 1);
	CU_ASSERT_EQUAL(count(0, -1), 0);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.full"), 10.3);
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "required.kv"), 608.0 / 1024);
	GIB_EQ(estimate_mib(0, "ollama", 0, "available"), 11.5);
	CU_ASSERT_TRUE(setting_is(0, "estimate_only", "1"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.layers.offload", "49"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "ollama"));
	struct store_trace_info ti = info(0);
	CU_ASSERT_PTR_NOT_NULL(ti.note && strstr(ti.note, "1 line cut short or unreadable "
						     "(first at line 4: journalctl"));
	store_trace_info_clear(&ti);
	char *cause = NULL;
	CU_ASSERT_EQUAL(import_path(cu_data("logs/ollama-10341-gemma3-journal-cut.log"), 1, &cause),
			UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, ".log:4: the line is cut short"));
	free(cause);
}

/* An Ollama runner of the 2025 own-engine era (ollama runner
 * --ollama-engine), CPU only: its options are settings, its estimate
 * (library=cpu) is host memory, not a GPU, and the load is estimate-only. */
static void test_llamalog_class_runner_era_dr14(void)
{
	import_log("logs/ollama-dr14-ollama-engine-cpu.log", 1);
	CU_ASSERT_EQUAL(res.n_warnings, 0);
	CU_ASSERT_TRUE(setting_is(0, "ollama.runner", "ollama-engine"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "ollama"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "8192"));
	CU_ASSERT_TRUE(setting_is(0, "n_batch", "512"));
	CU_ASSERT_TRUE(setting_is(0, "parallel", "2"));
	CU_ASSERT_TRUE(setting_is(0, "no_mmap", "1"));
	CU_ASSERT_TRUE(setting_is(0, "estimate_only", "1"));
	GIB_EQ(estimate_mib(0, "ollama", TRACE_DEV_HOST, "allocation"), 10.5);
	CU_ASSERT_EQUAL(estimate_mib(0, "ollama", 0, "allocation"), -1);
	size_t nd;
	struct trace_device *d = devices(0, &nd);
	CU_ASSERT_EQUAL(nd, 0);
	free(d);
}

/* Ollama's own engine (ml/backend/ggml): "model weights" per buffer, a
 * "compute graph" line (0 B here: nothing allocated, nothing recorded),
 * the runner era from its lines, metadata from msg="" architecture=. */
static void test_llamalog_class_new_engine_11090(void)
{
	import_log("logs/ollama-11090-new-engine-2gpu.log", 1);
	CU_ASSERT_EQUAL(res.n_warnings, 0);
	CU_ASSERT_EQUAL(count(0, TRACE_ALLOC), 3);
	GIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 11.5);
	GIB_EQ(alloc_mib(0, 1, TRACE_CAT_WEIGHTS), 11.9);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS), 680.0);
	CU_ASSERT_EQUAL(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 0);
	CU_ASSERT_TRUE(setting_is(0, "engine", "ollama"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.runner", "ollama-engine"));
	CU_ASSERT_TRUE(setting_is(0, "meta.arch", "mistral3"));
	CU_ASSERT_TRUE(setting_is(0, "meta.name", NULL)); /* name="": no name */
	CU_ASSERT_TRUE(setting_is(0, "n_gpu_layers_offloaded", "41"));
	CU_ASSERT_TRUE(setting_is(0, "output_offloaded", "1"));
	CU_ASSERT_TRUE(setting_is(0, "estimate_only", NULL));
	/* a non-zero compute graph line of the same shape is a compute buffer */
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text("time=2025-07-18T14:50:58.130Z level=INFO source=ggml.go:672 "
					  "msg=\"compute graph\" backend=CUDA1 buffer_type=CUDA1 "
					  "size=\"1.1 GiB\"\n", &cause), 0);
	GIB_EQ(alloc_mib(0, 1, TRACE_CAT_COMPUTE), 1.1);
}

/* A wrapped-around unaccounted column (size_t below zero: 2^44 - x MiB)
 * is kept as its signed value with a note, and a signed "-x" (PR #20858's
 * proposal) reads the same; the --fit result lands in settings; "[skip]"
 * prose lines are nobody's load; mainline is llama.cpp. */
static void test_llamalog_class_wrapped_fit_19437(void)
{
	import_log("logs/llamacpp-19437-1080ti-wrapped-unaccounted-fit.log", 2);
	CU_ASSERT_EQUAL(res.n_warnings, 1);
	CU_ASSERT_TRUE(setting_is(0, "breakdown.unaccounted_mib.CUDA0", "-7539"));
	CU_ASSERT_TRUE(setting_is(0, "fit.n_ctx", "30000"));
	CU_ASSERT_TRUE(setting_is(0, "fit.n_ctx_from", "262144"));
	CU_ASSERT_TRUE(setting_is(0, "fit.result",
				  "failed: n_gpu_layers already set by user to 99, abort"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "llama.cpp"));
	CU_ASSERT_TRUE(setting_is(1, "engine", "llama.cpp"));
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 9814.0);
	CU_ASSERT_EQUAL(alloc_mib(0, 0, TRACE_CAT_CONTEXT), 0);
	struct store_trace_info ti = info(0);
	CU_ASSERT_PTR_NOT_NULL(ti.note && strstr(ti.note, "unaccounted is -7539 MiB"));
	store_trace_info_clear(&ti);
	/* the same row printed signed, and PR #20858's wrapped free column */
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(
		"llama_memory_breakdown_print: |   - CUDA0 (GTX 1080 Ti) | 11165 = 8702 + (10001 =  9814 +     134 +      51) + -7538 |\n"
		"llama_memory_breakdown_print: |   - Vulkan0 (RX 9060 XT (RADV GFX1200)) | 16304 = 17592186039468 + (21233 = 18856 +    1837 +     540) +          17 |\n",
		&cause), 0);
	CU_ASSERT_TRUE(setting_is(0, "breakdown.unaccounted_mib.CUDA0", "-7538"));
	CU_ASSERT_EQUAL_FATAL(res.n_traces, 2); /* one GPU index 0 per row: two tables */
	CU_ASSERT_TRUE(setting_is(1, "breakdown.free_mib.Vulkan0", "-4948"));
	free(cause);
}

/* llama-server command lines with the binary named (a path before it):
 * each is a load of settings; -ot with a quoted regex, --cpu-moe and -ngl
 * land in settings, quotes stripped. */
static void test_llamalog_class_cmdline_20490(void)
{
	import_log("logs/llamacpp-20490-cpu-moe-cmdline.log", 2);
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "32768"));
	CU_ASSERT_TRUE(setting_is(0, "cpu_moe", NULL));
	CU_ASSERT_TRUE(setting_is(1, "override_tensor", ".ffn_.*_exps.=CPU"));
	CU_ASSERT_TRUE(setting_is(1, "cpu_moe", "1"));
	CU_ASSERT_TRUE(setting_is(1, "n_gpu_layers", "0"));
	CU_ASSERT_TRUE(setting_is(1, "model", "Qwen3-Coder-Next-UD-Q4_K_M.gguf"));
	CU_ASSERT_TRUE(setting_is(1, "engine", "llama.cpp"));
}

/*
 * A command pasted with shell continuations (" \" at the end of each line,
 * a prompt before the binary, as in ik_llama.cpp #514) is one command line:
 * its options become settings (they were lost: each physical line alone
 * read as prose). Blanks after the backslash are tolerated; a backslash
 * with no blank before it (a Windows path) and one on the last line join
 * nothing. The buffers and metadata after it are read as before.
 */
static void test_llamalog_class_continued_cmdline_514(void)
{
	import_log("logs/llamacpp-ik514-qwen3-30b-a3b-4090-5090.log", 1);
	CU_ASSERT_TRUE(setting_is(0, "model", "Qwen3-30B-A3B-Q4_K_M.gguf"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "16384"));
	CU_ASSERT_TRUE(setting_is(0, "n_gpu_layers", "99"));
	CU_ASSERT_TRUE(setting_is(0, "override_tensor", ".ffn_.*_exps.=CPU"));
	CU_ASSERT_TRUE(setting_is(0, "engine", "llama.cpp"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_layer", "48"));
	CU_ASSERT_DOUBLE_EQUAL(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 135.76, 0.005);
	CU_ASSERT_DOUBLE_EQUAL(alloc_mib(0, 1, TRACE_CAT_KV), 1152.0, 0.005);
	CU_ASSERT_DOUBLE_EQUAL(alloc_mib(0, 1, TRACE_CAT_COMPUTE), 1080.0, 0.005);

	static const char text[] =
		"$ ./build/bin/llama-server \\ \n"
		"    -m /m/x.gguf \\\n"
		"    -c 8192 -ngl 99 \\  \n"
		"    -fa on\n"
		"llama_kv_cache:      CUDA0 KV buffer size =   512.00 MiB\n"
		"-ngl 7 -m C:\\models\\\n"
		"-c 4096 -ngl 10\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(res.n_traces, 3);
	CU_ASSERT_TRUE(setting_is(0, "model", "x.gguf"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "8192"));
	CU_ASSERT_TRUE(setting_is(0, "flash_attn", "1"));
	CU_ASSERT_DOUBLE_EQUAL(alloc_mib(0, 0, TRACE_CAT_KV), 512.0, 0.005);
	CU_ASSERT_TRUE(setting_is(1, "n_gpu_layers", "7")); /* the path's '\\' joins nothing */
	CU_ASSERT_TRUE(setting_is(1, "ctx_size", NULL));
	CU_ASSERT_TRUE(setting_is(2, "n_gpu_layers", "10"));
}

/* ik_llama.cpp's own context lines: mla_attn, attn_max_b (-amb) and
 * fused_moe make the engine ik_llama.cpp and are settings. */
static void test_llamalog_class_ik_237(void)
{
	import_log("logs/ikllama-237-mla-amb-fmoe.log", 1);
	CU_ASSERT_TRUE(setting_is(0, "engine", "ik_llama.cpp"));
	CU_ASSERT_TRUE(setting_is(0, "attn_max_batch", "1024"));
	CU_ASSERT_TRUE(setting_is(0, "mla_attn", "2"));
	CU_ASSERT_TRUE(setting_is(0, "fused_moe", "1"));
	CU_ASSERT_TRUE(setting_is(0, "n_ctx", "163840"));
	CU_ASSERT_TRUE(setting_is(0, "n_ubatch", "1024"));
}

/*
 * Engine identity is per load: a mainline load next to an ik_llama.cpp
 * one keeps its own name (it used to take ik_llama.cpp from the file);
 * Ollama runner eras from the runner's command; options without the
 * binary name (the way users paste them) are a command line, prose with
 * options in it is not, and a '#' note never opens a load.
 */
static void test_llamalog_class_identity_options(void)
{
	static const char text[] =
		"llama_kv_cache_init:      CUDA0 KV buffer size =  1536.00 MiB\n"
		"llama_new_context_with_model: KV self size  = 2196.00 MiB, c^KV (f16): 2196.00 MiB, kv^T: not used\n"
		"ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8898.01 MiB on device 0: cudaMalloc failed: out of memory\n"
		"# note: retried with -c 8192 -ngl 40 = smaller\n"
		"llama_memory_breakdown_print: |   - CUDA0 (RTX 4090) | 24080 = 9436 + (14193 = 13169 + 38 + 985) + 451 |\n"
		"-m \"/models/Qwen 3.gguf\" -ts 3,1 -sm row -ctk q8_0 -ctv q4_0 -fa on -np 2 -ub 256 -b 1024 -c 65536 -ngl 99 -ot blk.1.=CPU -ot blk.2.=CPU -ncmoe 4 -fit on -fitt 1024 -fitc 4096 -nkvo\n"
		"use -c 8192 and -ngl 40 if it does not fit\n"
		"time=x level=INFO source=server.go:1 msg=\"starting llama server\" cmd=\"/usr/lib/ollama/llama-server --model /b/sha256-1 --ctx-size 4096 --n-gpu-layers 20\"\n"
		"time=x level=INFO source=server.go:1 msg=\"starting llama server\" cmd=\"/usr/bin/ollama runner --model /b/sha256-1 --ctx-size 2048\"\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(res.n_traces, 5);
	CU_ASSERT_TRUE(setting_is(0, "engine", "ik_llama.cpp"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", NULL)); /* the note is not a command line */
	CU_ASSERT_TRUE(setting_is(1, "engine", "llama.cpp"));
	CU_ASSERT_TRUE(setting_is(2, "model", "Qwen 3.gguf"));
	CU_ASSERT_TRUE(setting_is(2, "tensor_split", "3,1"));
	CU_ASSERT_TRUE(setting_is(2, "split_mode", "row"));
	CU_ASSERT_TRUE(setting_is(2, "type_k", "q8_0"));
	CU_ASSERT_TRUE(setting_is(2, "type_v", "q4_0"));
	CU_ASSERT_TRUE(setting_is(2, "flash_attn", "1"));
	CU_ASSERT_TRUE(setting_is(2, "parallel", "2"));
	CU_ASSERT_TRUE(setting_is(2, "n_ubatch", "256"));
	CU_ASSERT_TRUE(setting_is(2, "n_batch", "1024"));
	CU_ASSERT_TRUE(setting_is(2, "ctx_size", "65536"));
	CU_ASSERT_TRUE(setting_is(2, "n_gpu_layers", "99"));
	CU_ASSERT_TRUE(setting_is(2, "override_tensor", "blk.1.=CPU;blk.2.=CPU"));
	CU_ASSERT_TRUE(setting_is(2, "n_cpu_moe", "4"));
	CU_ASSERT_TRUE(setting_is(2, "fit", "on"));
	CU_ASSERT_TRUE(setting_is(2, "fit_target_mib", "1024"));
	CU_ASSERT_TRUE(setting_is(2, "fit_min_ctx", "4096"));
	CU_ASSERT_TRUE(setting_is(2, "no_kv_offload", "1"));
	CU_ASSERT_TRUE(setting_is(3, "engine", "ollama"));
	CU_ASSERT_TRUE(setting_is(3, "ollama.runner", "llama-server"));
	CU_ASSERT_TRUE(setting_is(3, "ctx_size", "4096"));
	CU_ASSERT_TRUE(setting_is(4, "ollama.runner", "llama.cpp-runner"));
	CU_ASSERT_TRUE(setting_is(4, "ctx_size", "2048"));
	CU_ASSERT_TRUE(setting_is(0, "ollama.runner", NULL));
}

/* ------------------------------------------------ bounded work (issue 16) */

#if defined(__SANITIZE_ADDRESS__)
#define LL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LL_ASAN 1
#endif
#endif

/* Write n copies of line (plus tail once) to a file; returns its path. */
static const char *write_repeated(const char *name, const char *line, size_t n, const char *tail)
{
	const char *path = cu_tmp(name);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (size_t i = 0; i < n; i++)
		fputs(line, f);
	fputs(tail, f);
	fclose(f);
	return path;
}

/* Peak RSS (KiB) of a child that imports path into a new store; *rc its
 * exit status (0: imported, 2: refused). */
static long import_rss(const char *path_, int *rc)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", path_); /* cu_tmp's buffer is reused */
	pid_t pid = fork();
	if (pid == 0) {
		struct store *s2;
		const char *db = cu_tmp("rss.db");
		unlink(db);
		if (store_open(db, STORE_CREATE, &s2, NULL))
			_exit(1);
		struct imp_opts o = { .quiet = 1 };
		struct imp_ctx r;
		char *cause = NULL;
		int x = imp_file(s2, path, &o, &r, &cause);
		if (x == 0)
			free(r.summary);
		store_close(s2);
		_exit(x == 0 ? 0 : x == UTIL_EINPUT ? 2 : 1);
	}
	int status;
	struct rusage ru;
	CU_ASSERT_FATAL(pid > 0 && wait4(pid, &status, 0, &ru) == pid && WIFEXITED(status));
	*rc = WEXITSTATUS(status);
	return ru.ru_maxrss;
}

/*
 * Memory follows what is kept, not the input's size: 32 MB of Ollama
 * runner-start lines with nothing after them (each opened a load of its
 * own, 2.3 KB apiece, until the end of the file: 0.5 M loads, over 1 GB
 * of RSS before the fix) import as the one load the file holds. The
 * bound is generous (the mapped input and its archived copy are counted
 * too); `make bench` prints the measured figures.
 */
static void test_llamalog_bounded_memory(void)
{
	static const char line[] =
		"time=2025-01-01T00:00:00Z level=INFO source=server.go:1 msg=\"starting llama server\"\n";
	size_t n = 32u * 1000 * 1000 / (sizeof(line) - 1);
	char path[4096];
	snprintf(path, sizeof(path), "%s", write_repeated("big.log", line, n,
			 "llm_load_tensors:      CUDA0 buffer size =  1.25 MiB\n"));
	int rc;
	long kib = import_rss(path, &rc);
	CU_ASSERT_EQUAL(rc, 0);
#ifndef LL_ASAN
	CU_ASSERT_TRUE(kib > 0 && kib < 200 * 1024);
#else
	(void)kib; /* ASan's shadow memory makes RSS no measure of the parser */
#endif
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_path(path, 0, &cause), 0);
	CU_ASSERT_EQUAL(res.n_traces, 1);
	CU_ASSERT_EQUAL(count(0, TRACE_ALLOC), 1);
	free(cause);
	/* loads that are kept are counted as they open: the 65th stops the
	 * import at its line, before 1 M of them take memory */
	static const char kept[] =
		"time=x level=INFO source=server.go:1 msg=\"starting llama server\" cmd=\"x -c 8\"\n";
	snprintf(path, sizeof(path), "%s", write_repeated("many.log", kept, 1000000, ""));
	long kib2 = import_rss(path, &rc);
	CU_ASSERT_EQUAL(rc, 2);
#ifndef LL_ASAN
	CU_ASSERT_TRUE(kib2 > 0 && kib2 < 300 * 1024);
#else
	(void)kib2;
#endif
	cause = NULL;
	CU_ASSERT_EQUAL(import_path(path, 0, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "many.log:65: more than 64 model loads"));
	free(cause);
}

/*
 * A line cut short in the middle of a log (a pager, a paste, a log
 * rotated mid-write) costs that line only: the rest of the file is kept,
 * the load says so; --strict refuses. A value that is wrong rather than
 * cut ("lots MiB") stays an error (test_llamalog_bad_size).
 */
static void test_llamalog_cut_line(void)
{
	static const char text[] =
		"llm_load_tensors:      CUDA0 buffer size = 14132.19 MiB\n"
		"llm_load_tensors:      CUDA1 buffer size = 14417.\n"
		"llm_load_tensors:      CUDA2 buffer size = 100.00 Mi\n"
		"llama_kv_cache_unified:      CUDA0 KV buffer size =  512.00 MiB\n"
		"time=x level=INFO source=server.go:1 msg=\"model weights\" device=CUDA1 size=\"4.1 G\n"
		"llama_context:      CUDA0 compute buffer size =   300.00 MiB\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	CU_ASSERT_EQUAL(res.n_traces, 1);
	CU_ASSERT_EQUAL(res.n_warnings, 3);
	CU_ASSERT_EQUAL(count(0, TRACE_ALLOC), 3);
	struct store_trace_info ti;
	CU_ASSERT_EQUAL_FATAL(store_trace_get(st, res.traces[0], &ti, NULL), 0);
	CU_ASSERT_EQUAL(ti.truncated, 0);
	CU_ASSERT_PTR_NOT_NULL(ti.note && strstr(ti.note, "3 lines cut short or unreadable "
						     "(first at line 2:"));
	store_trace_info_clear(&ti);
	CU_ASSERT_EQUAL(import_path(write_file("t.log", text, strlen(text)), 1, &cause),
			UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "t.log:2: expected a size in MiB"));
	free(cause);
}

/* The "using device" line: a description with its own parentheses
 * ("Intel(R) UHD Graphics") is read whole; builds since late 2025 print
 * the bus id after it (llama.cpp PR #16962's log, build 6934:
 * "(NVIDIA GeForce RTX 4060 Ti) (0000:2b:00.0) - 15001 MiB free";
 * "(unknown id)" on Vulkan), which is not part of the name. Either way
 * the free memory after it is kept. */
static void test_llamalog_device_line(void)
{
	static const struct {
		const char *dev0, *dev1, *name0, *name1, *free_mib;
	} cases[] = {
		{ "Vulkan0 (Intel(R) UHD Graphics) - 8028", "CUDA1 (NVIDIA GeForce RTX 4090 (rev a1)) - 23500",
		  "Intel(R) UHD Graphics", "NVIDIA GeForce RTX 4090 (rev a1)", "8028,23500" },
		{ "CUDA0 (NVIDIA GeForce RTX 4060 Ti) (0000:2b:00.0) - 15001",
		  "CUDA1 (NVIDIA GeForce RTX 3060) (0000:04:00.0) - 11822",
		  "NVIDIA GeForce RTX 4060 Ti", "NVIDIA GeForce RTX 3060", "15001,11822" },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cases); i++) {
		char log[1024];
		snprintf(log, sizeof(log),
			 "llama_model_load_from_file_impl: using device %s MiB free\n"
			 "llama_model_load_from_file_impl: using device %s MiB free\n"
			 "load_tensors:      %.*s model buffer size =  1000.00 MiB\n"
			 "load_tensors:        %.*s model buffer size =   100.00 MiB\n",
			 cases[i].dev0, cases[i].dev1, (int)strcspn(cases[i].dev0, " "), cases[i].dev0,
			 (int)strcspn(cases[i].dev1, " "), cases[i].dev1);
		char *cause = NULL;
		CU_ASSERT_EQUAL_FATAL(import_text(log, &cause), 0);
		free(cause);
		size_t n = 0;
		struct trace_device *d = devices(0, &n);
		CU_ASSERT_TRUE_FATAL(n >= 2);
		CU_ASSERT_STRING_EQUAL(d[0].name, cases[i].name0);
		CU_ASSERT_STRING_EQUAL(d[1].name, cases[i].name1);
		free(d);
		CU_ASSERT_TRUE(setting_is(0, "gpu_free_mib", cases[i].free_mib));
	}
}

/* The loader's GGUF metadata dump ("- kv N: KEY TYPE = VALUE") gives the
 * hyper-parameters where a log has no print_info lines: only the model's
 * own architecture's scalar keys; a print_info line, later, wins. */
static void test_llamalog_loader_kv(void)
{
	static const char text[] =
		"llama_model_loader: loaded meta data with 30 key-value pairs and 724 tensors from m.gguf (version GGUF V3 (latest))\n"
		"llama_model_loader: - kv   0:                       general.architecture str              = llama\n"
		"llama_model_loader: - kv   2:                               general.name str              = DeepSeek R1 Distill Llama 70B\n"
		"llama_model_loader: - kv   5:                          llama.block_count u32              = 80\n"
		"llama_model_loader: - kv   6:                       llama.context_length u32              = 131072\n"
		"llama_model_loader: - kv   7:                     llama.embedding_length u32              = 8192\n"
		"llama_model_loader: - kv   8:                  llama.feed_forward_length u32              = 28672\n"
		"llama_model_loader: - kv   9:                 llama.attention.head_count u32              = 64\n"
		"llama_model_loader: - kv  10:              llama.attention.head_count_kv arr[i32,80]      = [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, ...\n"
		"llama_model_loader: - kv  11:                 clip.vision.block_count u32              = 27\n"
		"llama_model_loader: - kv  13:                 llama.attention.key_length u32              = 128\n"
		"llama_model_loader: - kv  16:                           llama.vocab_size u32              = 128256\n"
		"llama_model_loader: - kv  20:                    tokenizer.chat_template str              = {% set a = 1 %}\n"
		"llm_load_print_meta: n_ff             = 28000\n"
		"llm_load_tensors:        CUDA0 model buffer size = 13303.88 MiB\n";
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import_text(text, &cause), 0);
	free(cause);
	CU_ASSERT_EQUAL_FATAL(res.n_traces, 1);
	CU_ASSERT_TRUE(setting_is(0, "meta.arch", "llama"));
	CU_ASSERT_TRUE(setting_is(0, "meta.name", "DeepSeek R1 Distill Llama 70B"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_layer", "80")); /* not clip's 27 */
	CU_ASSERT_TRUE(setting_is(0, "meta.n_ctx_train", "131072"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_embd", "8192"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_head", "64"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_head_kv", NULL)); /* an array: not a scalar */
	CU_ASSERT_TRUE(setting_is(0, "meta.n_embd_head_k", "128"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_vocab", "128256"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_ff", "28000")); /* the printer's value wins */
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 13303.88);
}

/* Ollama's llama.cpp runner (v0.5.x), three RTX 3090, an excerpt without
 * print_info's first lines: the hyper-parameters come from the kv dump,
 * the placement from the runner's command line. */
static void test_llamalog_ollama_8922(void)
{
	import_log("logs/ollama-8922-r1-llama70b-3x3090.log", 1);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_WEIGHTS), 13303.88);
	MIB_EQ(alloc_mib(0, 1, TRACE_CAT_WEIGHTS), 12951.00);
	MIB_EQ(alloc_mib(0, 2, TRACE_CAT_WEIGHTS), 13724.61);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_KV), 864.00);
	MIB_EQ(alloc_mib(0, 1, TRACE_CAT_KV), 864.00);
	MIB_EQ(alloc_mib(0, 2, TRACE_CAT_KV), 832.00);
	MIB_EQ(alloc_mib(0, 0, TRACE_CAT_COMPUTE), 1216.01);
	MIB_EQ(alloc_mib(0, 2, TRACE_CAT_COMPUTE), 1216.02);
	MIB_EQ(alloc_mib(0, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS), 563.62);
	CU_ASSERT_TRUE(setting_is(0, "engine", "ollama"));
	CU_ASSERT_TRUE(setting_is(0, "meta.arch", "llama"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_layer", "80"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_embd", "8192"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_head_kv", "8"));
	CU_ASSERT_TRUE(setting_is(0, "meta.n_vocab", "128256"));
	CU_ASSERT_TRUE(setting_is(0, "meta.ftype", "Q4_K - Medium"));
	CU_ASSERT_TRUE(setting_is(0, "tensor_split", "27,27,27"));
	CU_ASSERT_TRUE(setting_is(0, "n_gpu_layers", "81"));
	CU_ASSERT_TRUE(setting_is(0, "parallel", "4"));
	CU_ASSERT_TRUE(setting_is(0, "ctx_size", "8192"));
	CU_ASSERT_TRUE(setting_is(0, "n_ubatch", "512"));
	CU_ASSERT_TRUE(setting_is(0, "gpu_free_mib", "?,23922,23922"));
	GIB_EQ(estimate_mib(0, "ollama", 0, "available"), 23.5);
	GIB_EQ(estimate_mib(0, "ollama", 2, "allocation"), 15.7);
	CU_ASSERT_TRUE(setting_is(0, "gpu_backend", "CUDA"));
	CU_ASSERT_TRUE(setting_is(0, "n_copies", "4"));
}

/* The GPUs' backend is recorded from their buffer names (the engine plans
 * with its rules), and the scheduler's copies from whichever line a build
 * prints; compute buffers on 2+ GPUs without "pipeline parallelism
 * enabled" ran one copy (the line comes right before them). */
static void test_llamalog_backend_and_copies(void)
{
	static const struct {
		const char *log, *backend, *copies;
	} cases[] = {
		{ "llama_new_context_with_model: pipeline parallelism enabled (n_copies=4)\n"
		  "llama_new_context_with_model:      CUDA0 compute buffer size =   400.01 MiB\n"
		  "llama_new_context_with_model:      CUDA1 compute buffer size =   410.02 MiB\n", "CUDA", "4" },
		{ "llama_context: pipeline parallelism enabled\n"
		  "llama_context:      ROCm0 compute buffer size =   400.01 MiB\n"
		  "llama_context:      ROCm1 compute buffer size =   410.02 MiB\n", "ROCm", "4" },
		{ "llama_context: pipeline parallelism enabled\n"
		  "llama_context:      CUDA0 compute buffer size =   400.01 MiB\n"
		  "llama_context:      CUDA1 compute buffer size =   410.02 MiB\n"
		  "sched_reserve: reserve took 10.52 ms, sched copies = 2\n", "CUDA", "2" },
		{ "llama_model_load_from_file_impl: using device RPC[10.0.0.2:50052] (RPC[10.0.0.2:50052]) - 31491 MiB free\n"
		  "llama_model_load_from_file_impl: using device RPC[10.0.0.3:50052] (RPC[10.0.0.3:50052]) - 31491 MiB free\n"
		  "load_tensors: RPC[10.0.0.2:50052] model buffer size = 18821.56 MiB\n"
		  "load_tensors: RPC[10.0.0.3:50052] model buffer size = 18725.42 MiB\n"
		  "llama_context: RPC[10.0.0.2:50052] compute buffer size =   588.01 MiB\n"
		  "llama_context: RPC[10.0.0.3:50052] compute buffer size =   588.01 MiB\n", "RPC", "1" },
		{ "load_tensors:      Vulkan0 model buffer size =  1013.54 MiB\n"
		  "llama_context:    Vulkan0 compute buffer size =   514.25 MiB\n", "Vulkan", NULL },
		/* a build with two backends (ggml's GGML_BACKEND_DL): mixed */
		{ "load_tensors:      Vulkan0 model buffer size =  1013.54 MiB\n"
		  "load_tensors:        CUDA1 model buffer size =   100.00 MiB\n", "Vulkan+CUDA", NULL },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cases); i++) {
		char *cause = NULL;
		int rc = import_text(cases[i].log, &cause);
		if (rc)
			fprintf(stderr, "\ncase %zu: %s\n", i, cause ? cause : "?");
		free(cause);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_TRUE(setting_is(0, "gpu_backend", cases[i].backend));
		CU_ASSERT_TRUE(setting_is(0, "n_copies", cases[i].copies));
	}
}

/* The llama.cpp build that wrote a log, in both shapes the tools print;
 * a line that only mentions a build is not one. */
static void test_llamalog_build(void)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "build: 5192 (e59a5f1e) with cc (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0 for x86_64-linux-gnu\n", "5192" },
		{ "main: build = 1234 (abc1234)\n", "1234" },
		{ "the build: 12 (x) was fine\n", NULL },
		{ "build: 5192 with cc\n", NULL },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cases); i++) {
		char log[512];
		snprintf(log, sizeof(log), "%sllama_context:      CUDA0 compute buffer size =   400.01 MiB\n", cases[i].line);
		char *cause = NULL;
		CU_ASSERT_EQUAL_FATAL(import_text(log, &cause), 0);
		free(cause);
		CU_ASSERT_TRUE(setting_is(0, "llama_build", cases[i].want));
	}
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("llamalog", NULL, NULL);
	CU_ADD(s, test_llamalog_ikllama);
	CU_ADD(s, test_llamalog_breakdown_15860);
	CU_ADD(s, test_llamalog_breakdown_glm46);
	CU_ADD(s, test_llamalog_breakdown_wrap_fit);
	CU_ADD(s, test_llamalog_ollama_3078);
	CU_ADD(s, test_llamalog_ollama_7047);
	CU_ADD(s, test_llamalog_ollama_8310);
	CU_ADD(s, test_llamalog_ollama_8430);
	CU_ADD(s, test_llamalog_ollama_9181);
	CU_ADD(s, test_llamalog_ollama_9471);
	CU_ADD(s, test_llamalog_detect);
	CU_ADD(s, test_llamalog_prefixes);
	CU_ADD(s, test_llamalog_crlf_no_final_newline);
	CU_ADD(s, test_llamalog_bad_size);
	CU_ADD(s, test_llamalog_truncated);
	CU_ADD(s, test_llamalog_empty_binary_nothing);
	CU_ADD(s, test_llamalog_long_line);
	CU_ADD(s, test_llamalog_segmentation);
	CU_ADD(s, test_llamalog_ollama_runner_sequence);
	CU_ADD(s, test_llamalog_layer_ranges);
	CU_ADD(s, test_llamalog_settings);
	CU_ADD(s, test_llamalog_class_journal_cut_10341);
	CU_ADD(s, test_llamalog_class_runner_era_dr14);
	CU_ADD(s, test_llamalog_class_new_engine_11090);
	CU_ADD(s, test_llamalog_class_wrapped_fit_19437);
	CU_ADD(s, test_llamalog_class_cmdline_20490);
	CU_ADD(s, test_llamalog_class_continued_cmdline_514);
	CU_ADD(s, test_llamalog_class_ik_237);
	CU_ADD(s, test_llamalog_class_identity_options);
	CU_ADD(s, test_llamalog_bounded_memory);
	CU_ADD(s, test_llamalog_cut_line);
	CU_ADD(s, test_llamalog_device_line);
	CU_ADD(s, test_llamalog_loader_kv);
	CU_ADD(s, test_llamalog_ollama_8922);
	CU_ADD(s, test_llamalog_backend_and_copies);
	CU_ADD(s, test_llamalog_build);
	CU_ADD(s, test_llamalog_cleanup);
}

CUTEST_MAIN(register_tests)
