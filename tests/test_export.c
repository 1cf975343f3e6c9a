/*
 * test_export.c - the export module: CSV/JSON rows with the running usage
 * of each event's GPU (checked by hand), the Perfetto trace parsed back,
 * labels from a store, the whole-or-nothing output file, and the diff.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutest.h"
#include "export.h"
#include "store.h"
#include "util.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)


/* Two GPUs of 1 GiB, no context reserve: usage is the sum of live bytes. */
static void config(struct sim_config *c, enum sim_on_oom on_oom)
{
	sim_config_init(c);
	topo_parse("2x1G", &c->topo, NULL);
	c->reserve = 0;
	c->reserve_set = 1;
	c->on_oom = on_oom;
}

/* Export ev[0..n) as fmt into a new string (free it). */
static char *run(const struct trace_event *ev, size_t n, enum export_format fmt,
		 const struct sim_config *c, struct sim_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sim_source *src = sim_source_array(ev, n), *tap = sim_source_array(ev, n);
	struct export_meta m = { .format = fmt, .header = 1, .trace_id = 7,
				 .trace_name = "bad \xff name \"q\"", .topology = "2x1G",
				 .scenario = "as recorded", .model = "exact" };
	char *cause = NULL;
	int rc = export_stream(f, &m, c, src, tap, NULL, res, &cause);
	CU_ASSERT_EQUAL(rc, 0);
	if (cause)
		fprintf(stderr, "export: %s\n", cause);
	free(cause);
	sim_source_free(src);
	sim_source_free(tap);
	fclose(f);
	return buf;
}

static const struct trace_event *sample(size_t *n)
{
	static struct trace_event ev[7];
	ev[0] = cu_event(TRACE_ALLOC, 10, 0, TRACE_CAT_WEIGHTS, 100 * MiB, 0x1000);
	ev[1] = cu_event(TRACE_MARKER, 10, 0, TRACE_CAT_OTHER, 0, 0);         /* no change */
	ev[2] = cu_event(TRACE_ALLOC, 20, 1, TRACE_CAT_KV, 50 * MiB, 0x2000);
	ev[3] = cu_event(TRACE_ALLOC, 30, 0, TRACE_CAT_KV, 25 * MiB, 0x3000);
	ev[4] = cu_event(TRACE_FREE, 40, 0, TRACE_CAT_WEIGHTS, 0, 0x1000);
	ev[5] = cu_event(TRACE_ALLOC, 50, TRACE_DEV_HOST, TRACE_CAT_HOST, 7, 0x4000);
	ev[6] = cu_event(TRACE_FREE, 60, 1, TRACE_CAT_OTHER, 0, 0x9999);     /* unknown: no change */
	ev[4].layer_lo = 3;
	ev[4].layer_hi = 5;
	*n = 7;
	return ev;
}

static void test_format_names(void)
{
	CU_ASSERT_EQUAL(export_format_parse("csv"), EXPORT_CSV);
	CU_ASSERT_EQUAL(export_format_parse("json"), EXPORT_JSON);
	CU_ASSERT_EQUAL(export_format_parse("perfetto"), EXPORT_PERFETTO);
	CU_ASSERT_EQUAL(export_format_parse("CSV"), -1);
	CU_ASSERT_EQUAL(export_format_parse(""), -1);
	CU_ASSERT_EQUAL(export_format_parse(NULL), -1);
}

static void test_csv_rows(void)
{
	size_t n;
	const struct trace_event *ev = sample(&n);
	struct sim_config c;
	struct sim_result res;
	config(&c, SIM_OOM_STOP);
	char *out = run(ev, n, EXPORT_CSV, &c, &res);
	const char *want =
		"t_ns,pid,seq,kind,gpu,category,size,addr,layer_lo,layer_hi,used_gpu,label\n"
		"10,0,10,alloc,0,weights,104857600,4096,,,104857600,\n"
		"10,0,10,marker,0,other,0,,,,104857600,\n"
		"20,0,20,alloc,1,kv,52428800,8192,,,52428800,\n"
		"30,0,30,alloc,0,kv,26214400,12288,,,131072000,\n"
		"40,0,40,free,0,weights,0,4096,3,5,26214400,\n"
		"50,0,50,alloc,,host,7,16384,,,,\n"
		"60,0,60,free,1,other,0,39321,,,52428800,\n";
	CU_ASSERT_STRING_EQUAL(out, want);
	if (strcmp(out, want))
		fprintf(stderr, "got:\n%s", out);
	CU_ASSERT_EQUAL(res.n_events, n);
	free(out);
}

static void test_json_rows(void)
{
	size_t n;
	const struct trace_event *ev = sample(&n);
	struct sim_config c;
	struct sim_result res;
	config(&c, SIM_OOM_STOP);
	char *out = run(ev, n, EXPORT_JSON, &c, &res);
	json_error_t err;
	json_t *j = json_loads(out, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "format")), "vramsim-export");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "version")), 1);
	/* invalid UTF-8 in a name becomes U+FFFD; the JSON stays valid */
	json_t *tr = json_object_get(j, "trace");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(tr, "name")), "bad \xef\xbf\xbd name \"q\"");
	json_t *evs = json_object_get(j, "events");
	CU_ASSERT_EQUAL_FATAL(json_array_size(evs), n);
	json_t *e4 = json_array_get(evs, 4);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e4, "kind")), "free");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e4, "used_gpu")), (json_int_t)(25 * MiB));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e4, "layer_hi")), 5);
	json_t *e5 = json_array_get(evs, 5);
	CU_ASSERT_TRUE(json_is_null(json_object_get(e5, "gpu")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(e5, "used_gpu")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(e5, "layer_lo")));
	json_t *peaks = json_object_get(json_object_get(j, "summary"), "peaks");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(peaks, 0), "peak")),
			(json_int_t)(125 * MiB));
	json_decref(j);
	free(out);
}

/* A counter's "[MiB]" value back in bytes: seven decimals of a MiB
 * resolve a tenth of a byte. */
static json_int_t mib_bytes(json_t *v)
{
	return (json_int_t)(json_number_value(v) * 1048576.0 + 0.5);
}

/* Export ev[0..n) as Perfetto under c, parsed back (json_decref it). */
static json_t *perfetto(const struct trace_event *ev, size_t n, const struct sim_config *c,
			int no_clock, struct sim_result *res, char **text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sim_source *src = sim_source_array(ev, n);
	struct export_meta m = { .format = EXPORT_PERFETTO, .trace_id = 7, .trace_name = "p",
				 .topology = "2x1G", .scenario = "as recorded", .model = "exact",
				 .no_clock = no_clock };
	char *cause = NULL;
	CU_ASSERT_EQUAL(export_stream(f, &m, c, src, NULL, NULL, res, &cause), 0);
	free(cause);
	sim_source_free(src);
	fclose(f);
	json_error_t err;
	json_t *j = json_loads(buf, 0, &err);
	if (!j)
		fprintf(stderr, "perfetto: %s\n%s\n", err.text, buf);
	if (text)
		*text = buf;
	else
		free(buf);
	return j;
}

static const char *str_of(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static void test_perfetto(void)
{
	struct trace_event ev[5];
	ev[0] = cu_event(TRACE_ALLOC, 1500, 0, TRACE_CAT_WEIGHTS, 600 * MiB + 3, 0x1000);
	ev[1] = cu_event(TRACE_ALLOC, 2500, 0, TRACE_CAT_KV, 600 * MiB, 0x2000); /* does not fit */
	ev[2] = cu_event(TRACE_FREE, 3000, 0, TRACE_CAT_WEIGHTS, 0, 0x1000);
	ev[3] = cu_event(TRACE_ALLOC, 4000, 1, TRACE_CAT_COMPUTE, 10 * MiB, 0x3000);
	ev[4] = cu_event(TRACE_ALLOC, 4500, TRACE_DEV_HOST, TRACE_CAT_HOST, 3 * MiB / 2, 0x4000);
	struct sim_config c;
	struct sim_result res;
	config(&c, SIM_OOM_CONTINUE);
	char *out = NULL;
	json_t *j = perfetto(ev, 5, &c, 0, &res, &out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(str_of(j, "displayTimeUnit"), "ns");
	CU_ASSERT_STRING_EQUAL(str_of(json_object_get(j, "otherData"), "unit"), "MiB");
	json_t *te = json_object_get(j, "traceEvents"), *e;
	size_t i;
	int names = 0, counters[3] = { 0, 0, 0 }, totals[3] = { 0, 0, 0 }, caps = 0, ooms = 0;
	json_int_t max[3] = { 0, 0, 0 };
	double last_ts[3] = { -1, -1, -1 };
	json_array_foreach(te, i, e) {
		const char *ph = str_of(e, "ph"), *name = str_of(e, "name");
		int pid = (int)json_integer_value(json_object_get(e, "pid"));
		double ts = json_number_value(json_object_get(e, "ts"));
		json_t *args = json_object_get(e, "args");
		CU_ASSERT_FATAL(pid >= 1 && pid <= 3);
		if (!strcmp(ph, "M") && !strcmp(name, "process_name")) {
			const char *want[] = { "GPU 0 (1024 MiB)", "GPU 1 (1024 MiB)",
					       "Host memory (pinned and CPU buffers)" };
			CU_ASSERT_STRING_EQUAL(str_of(args, "name"), want[pid - 1]);
			names++;
		} else if (!strcmp(ph, "C") && strstr(name, " memory.total")) {
			/* the capacity, a track of its own, in MiB */
			CU_ASSERT_EQUAL(json_object_size(args), 1);
			CU_ASSERT_EQUAL(mib_bytes(json_object_get(args, "[MiB]")), (json_int_t)GiB);
			caps++;
		} else if (!strcmp(ph, "C") && strstr(name, " memory.used")) {
			CU_ASSERT_EQUAL(json_object_size(args), 1);
			json_int_t used = mib_bytes(json_object_get(args, "[MiB]"));
			if (used > max[pid - 1])
				max[pid - 1] = used;
			totals[pid - 1]++;
		} else if (!strcmp(ph, "C")) {
			/* the categories: "GPU n" or "Host", each key with its unit */
			char want[16];
			snprintf(want, sizeof(want), "GPU %d", pid - 1);
			CU_ASSERT_STRING_EQUAL(name, pid == 3 ? "Host" : want);
			const char *k;
			json_t *v;
			json_object_foreach(args, k, v)
				CU_ASSERT_PTR_NOT_NULL(strstr(k, " [MiB]"));
			CU_ASSERT_TRUE(ts >= last_ts[pid - 1]);
			last_ts[pid - 1] = ts;
			counters[pid - 1]++;
		} else if (!strcmp(ph, "i")) {
			CU_ASSERT_EQUAL(pid, 1);
			CU_ASSERT_DOUBLE_EQUAL(ts, 2.5, 1e-9);
			CU_ASSERT_EQUAL(mib_bytes(json_object_get(args, "size [MiB]")),
					(json_int_t)(600 * MiB));
			ooms++;
		}
	}
	CU_ASSERT_EQUAL(names, 3);
	CU_ASSERT_EQUAL(ooms, 1);
	/* the context on first use, alloc, the state at the OOM, free */
	CU_ASSERT_EQUAL(counters[0], 4);
	CU_ASSERT_EQUAL(counters[1], 2);
	/* host memory: one change, one sample */
	CU_ASSERT_EQUAL(counters[2], 1);
	CU_ASSERT_EQUAL(totals[0], 4);
	CU_ASSERT_EQUAL(totals[1], 2);
	CU_ASSERT_EQUAL(totals[2], 1);
	CU_ASSERT_EQUAL(caps, 6); /* beside each GPU total, none for the host */
	/* the totals peak where the replay says, to the byte */
	CU_ASSERT_EQUAL(max[0], (json_int_t)res.dev[0].peak);
	CU_ASSERT_EQUAL(max[1], (json_int_t)res.dev[1].peak);
	CU_ASSERT_EQUAL(max[2], (json_int_t)(3 * MiB / 2));
	/* the free leaves weights at 0: the series is still there, at 0;
	 * sizes print as MiB with at most seven decimals */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"ts\":3.000,\"pid\":1,\"tid\":0,\"args\":{\"weights [MiB]\":0}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"weights [MiB]\":600.0000029}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"Host\",\"cat\":\"vram\",\"ph\":\"C\",\"ts\":4.500,\"pid\":3,"
					   "\"tid\":0,\"args\":{\"host [MiB]\":1.5}"));
	json_decref(j);
	free(out);
}

/* MiB with seven decimals gives every byte count back, odd ones included
 * (six decimals are a 1.05-byte step: 2830344019 came back one off). */
static void test_perfetto_mib_exact(void)
{
	static const uint64_t sizes[] = { 1, 3, 2830344019ull, (1ull << 20) - 1, 80 * GiB - 1,
					  524288, 1048575 * 7 };
	const size_t n = UTIL_ARRAY_SIZE(sizes);
	struct trace_event ev[2 * UTIL_ARRAY_SIZE(sizes)];
	for (size_t k = 0; k < n; k++) {
		ev[2 * k] = cu_event(TRACE_ALLOC, (int64_t)(2 * k), 0, TRACE_CAT_KV, sizes[k], 0x1000);
		ev[2 * k + 1] = cu_event(TRACE_FREE, (int64_t)(2 * k + 1), 0, TRACE_CAT_KV, 0, 0x1000);
	}
	struct sim_config c;
	struct sim_result res;
	config(&c, SIM_OOM_STOP);
	topo_parse("1x100G", &c.topo, NULL);
	json_t *j = perfetto(ev, 2 * n, &c, 0, &res, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *e;
	size_t i, got = 0;
	int skip = 1; /* the first sample: the context (0 bytes here) on first use */
	json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
		if (strcmp(str_of(e, "name"), "GPU 0 memory.used") || skip-- > 0)
			continue;
		json_int_t b = mib_bytes(json_object_get(json_object_get(e, "args"), "[MiB]"));
		json_int_t want = got % 2 == 0 && got / 2 < n ? (json_int_t)sizes[got / 2] : 0;
		CU_ASSERT_EQUAL(b, want);
		got++;
	}
	CU_ASSERT_EQUAL(got, 2 * n);
	json_decref(j);
}

/* A log's events share made-up times: without a clock the samples are
 * spaced one millisecond per event, in the source's order. */
static void test_perfetto_no_clock(void)
{
	struct trace_event ev[4];
	for (int k = 0; k < 4; k++)
		ev[k] = cu_event(TRACE_ALLOC, 7, k % 2, TRACE_CAT_WEIGHTS, MiB, 0);
	struct sim_config c;
	struct sim_result res;
	config(&c, SIM_OOM_STOP);
	json_t *j = perfetto(ev, 4, &c, 1, &res, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *e;
	size_t i;
	double ts0[4];
	int n0 = 0;
	json_array_foreach(json_object_get(j, "traceEvents"), i, e)
		if (!strcmp(str_of(e, "name"), "GPU 0 memory.used") && n0 < 4)
			ts0[n0++] = json_number_value(json_object_get(e, "ts"));
	/* GPU 0: its context at event 1, the allocations of events 1 and 3 */
	CU_ASSERT_EQUAL_FATAL(n0, 3);
	CU_ASSERT_DOUBLE_EQUAL(ts0[1], 1000.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ts0[2], 3000.0, 1e-9);
	CU_ASSERT(ts0[2] - ts0[0] >= 1.0); /* more than one sample per GPU in 1 us */
	CU_ASSERT_PTR_NOT_NULL(strstr(str_of(json_object_get(j, "otherData"), "time_axis"),
				      "event number"));
	json_decref(j);
	/* with a clock, the recorded times */
	j = perfetto(ev, 4, &c, 0, &res, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_array_foreach(json_object_get(j, "traceEvents"), i, e)
		if (!strcmp(str_of(e, "ph"), "C"))
			CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(e, "ts")), 0.007, 1e-9);
	json_decref(j);
}

/* A store trace with labels, one unknown-size device and one event on an
 * unrecorded device: the identity scenario and its CSV labels. */
static void test_store_identity(void)
{
	struct store *st = NULL;
	char *cause = NULL;
	cu_sh("rm -f '%s'*", cu_tmp("ex.db"));
	CU_ASSERT_EQUAL_FATAL(store_open(cu_tmp("ex.db"), STORE_CREATE, &st, &cause), 0);
	int64_t id, lab;
	CU_ASSERT_EQUAL(store_begin(st, NULL), 0);
	CU_ASSERT_EQUAL(store_trace_new(st, "t", "t.log", "test", "t.log", 0, &id, NULL), 0);
	struct trace_device d = { .index = 0, .total = 2 * GiB };
	CU_ASSERT_EQUAL(store_device_add(st, id, &d, NULL), 0);
	CU_ASSERT_EQUAL(store_label(st, id, "a, \"b\"", &lab, NULL), 0);
	struct trace_event e = cu_event(TRACE_ALLOC, 5, 0, TRACE_CAT_WEIGHTS, MiB, 0x10);
	e.label = lab;
	CU_ASSERT_EQUAL(store_event_add(st, id, &e, NULL), 0);
	e = cu_event(TRACE_ALLOC, 6, 2, TRACE_CAT_KV, MiB, 0x20);
	CU_ASSERT_EQUAL(store_event_add(st, id, &e, NULL), 0);
	CU_ASSERT_EQUAL(store_commit(st, NULL), 0);

	struct topo t;
	int assumed = -1;
	CU_ASSERT_EQUAL(scen_recorded_topo(st, id, NULL, &t, &assumed, NULL), 0);
	CU_ASSERT_EQUAL(t.n, 1); /* devices recorded: those are the GPUs */
	CU_ASSERT_EQUAL(t.capacity[0], 2 * GiB);
	CU_ASSERT_EQUAL(assumed, 0);

	struct scen sc;
	struct sim_result res;
	struct scen_opts so;
	scen_opts_init(&so);
	so.raw = 1; /* the events as they are (replay --raw): they wrap */
	char *why = NULL;
	int prc = export_replay_scen(st, "t", &so, &sc, &assumed, &why);
	if (prc)
		fprintf(stderr, "%s\n", why);
	CU_ASSERT_EQUAL_FATAL(prc, 0);
	/* as replay: stop at the first OOM */
	CU_ASSERT_EQUAL(sc.cfg.on_oom, SIM_OOM_STOP);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_EQUAL(export_scen(f, EXPORT_CSV, 0, st, &sc, &res, &cause), 0);
	fclose(f);
	/* default reserve on the GPU; the event on device 2 wraps onto GPU 0 */
	char want[512];
	snprintf(want, sizeof(want),
		 "5,0,1,alloc,0,weights,1048576,16,,,%llu,\"a, \"\"b\"\"\"\n"
		 "6,0,2,alloc,0,kv,1048576,32,,,%llu,\n",
		 SIM_DEFAULT_RESERVE + MiB, SIM_DEFAULT_RESERVE + 2 * MiB);
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(res.wrapped_devices, 1);
	free(buf);
	scen_clear(&sc);
	store_close(st);
}

static int n_files(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq", dir);
	for (int n = 0; n < 10; n++)
		if (cu_sh("%s %d", cmd, n) == 0)
			return n;
	return -1;
}

static void test_output_file(void)
{
	const char *dir = cu_tmp("out");
	cu_sh("rm -rf '%s' && mkdir '%s'", dir, dir);
	char *path = util_xasprintf("%s/x.csv", dir);
	struct export_out o;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(export_out_open(&o, path, 0, &cause), 0);
	fputs("one\n", o.f);
	CU_ASSERT_EQUAL(n_files(dir), 1);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0); /* not there until committed */
	CU_ASSERT_EQUAL(export_out_commit(&o, 0, &cause), 0);
	CU_ASSERT_EQUAL(cu_sh("test \"$(cat '%s')\" = one", path), 0);
	CU_ASSERT_EQUAL(n_files(dir), 1);
	/* refused without force, early */
	CU_ASSERT_EQUAL(export_out_open(&o, path, 0, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "exists; use -f"));
	free(cause);
	cause = NULL;
	/* a file that appears meanwhile is kept */
	CU_ASSERT_EQUAL_FATAL(export_out_open(&o, path, 1, &cause), 0);
	fputs("two\n", o.f);
	CU_ASSERT_EQUAL(export_out_commit(&o, 0, &cause), UTIL_EINPUT);
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(cu_sh("test \"$(cat '%s')\" = one", path), 0);
	CU_ASSERT_EQUAL(n_files(dir), 1);
	/* with force it is replaced; an abandoned one leaves nothing */
	CU_ASSERT_EQUAL_FATAL(export_out_open(&o, path, 1, &cause), 0);
	fputs("three\n", o.f);
	CU_ASSERT_EQUAL(export_out_commit(&o, 1, &cause), 0);
	CU_ASSERT_EQUAL(cu_sh("test \"$(cat '%s')\" = three", path), 0);
	CU_ASSERT_EQUAL_FATAL(export_out_open(&o, path, 1, &cause), 0);
	export_out_abort(&o);
	CU_ASSERT_EQUAL(n_files(dir), 1);
	/* a missing directory is the user's mistake */
	char *bad = util_xasprintf("%s/nodir/x.csv", dir);
	CU_ASSERT_EQUAL(export_out_open(&o, bad, 0, &cause), UTIL_EINPUT);
	free(cause);
	free(bad);
	free(path);
}

static void test_diff(void)
{
	struct sim_result *a = util_xcalloc(1, sizeof(*a)), *b = util_xcalloc(1, sizeof(*b));
	a->n_dev = 1;
	b->n_dev = 2;
	a->dev[0].peak = 300 * MiB;
	a->dev[0].peak_used[TRACE_CAT_KV] = 300 * MiB;
	b->dev[0].peak = 100 * MiB;
	b->dev[0].peak_used[TRACE_CAT_KV] = 100 * MiB;
	b->dev[1].peak = 5 * MiB;
	struct export_side sa = { a, 1, "a", "1x1G", "x" }, sb = { b, 2, "b", "2x1G", "y" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	export_diff_json(f, &sa, &sb);
	fclose(f);
	json_error_t err;
	json_t *j = json_loads(buf, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *g0 = json_array_get(json_object_get(j, "gpus"), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(g0, "peak_diff")), -(json_int_t)(200 * MiB));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(g0, "diff"), "kv")),
			-(json_int_t)(200 * MiB));
	json_t *g1 = json_array_get(json_object_get(j, "gpus"), 1);
	CU_ASSERT_TRUE(json_is_null(json_object_get(g1, "a")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(g1, "peak_diff")));
	json_decref(j);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	export_diff_table(f, &sa, &sb);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  0  kv              300.0      100.0     -200.0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  1  peak                -        5.0          -\n"));
	free(buf);
	free(a);
	free(b);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("export", NULL, NULL);
	CU_ADD(s, test_format_names);
	CU_ADD(s, test_csv_rows);
	CU_ADD(s, test_json_rows);
	CU_ADD(s, test_perfetto);
	CU_ADD(s, test_perfetto_no_clock);
	CU_ADD(s, test_perfetto_mib_exact);
	CU_ADD(s, test_store_identity);
	CU_ADD(s, test_output_file);
	CU_ADD(s, test_diff);
}

CUTEST_MAIN(register_tests)
