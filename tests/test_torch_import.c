/*
 * test_torch_import.c - PyTorch memory snapshots into the store: the two
 * real fixtures (counts, totals, reconciliation), every variant of
 * the snapshot format (torch/cuda/memory.py _snapshot, torch/csrc/cuda/
 * memory_snapshot.cpp) built with the test pickle writer, label rules,
 * and refusal of bad input with the store unchanged.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_import.h"
#include "cutest.h"
#include "imp.h"
#include "labels.h"
#include "pkl_write.h"
#include "store.h"
#include "util.h"

/* Import path with label rules (NULL: none); the new trace id in *trace. */
static int import(struct store *st, const char *path, const char *rules, int64_t *trace,
		  char **cause)
{
	struct imp_opts o = { .label_rules = rules };
	return cu_import_opts(st, path, &o, trace, cause);
}

/* Replay alloc/free by address: how many allocations are live at the end;
 * also checks times never go back. */
static int64_t live_at_end(struct store *st, int64_t tr)
{
	struct store_iter *it;
	struct trace_event ev;
	CU_ASSERT_EQUAL_FATAL(store_iter_open(st, tr, -1, &it, NULL), 0);
	int64_t live = 0, prev = 0;
	sqlite3_exec(store_sqlite(st), "CREATE TEMP TABLE IF NOT EXISTS lv(a INTEGER PRIMARY KEY);"
		     "DELETE FROM lv;", NULL, NULL, NULL);
	while (store_iter_next(it, &ev, NULL) == 1) {
		CU_ASSERT(ev.t_ns >= prev);
		prev = ev.t_ns;
		char sql[128];
		if (ev.kind == TRACE_ALLOC) {
			snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO lv VALUES(%lld)",
				 (long long)ev.addr);
			sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL);
		} else if (ev.kind == TRACE_FREE) {
			snprintf(sql, sizeof(sql), "DELETE FROM lv WHERE a=%lld", (long long)ev.addr);
			sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL);
		}
	}
	store_iter_free(it);
	live = cu_q1(st, "SELECT count(*) FROM lv");
	return live;
}

static void test_torch_modern_fixture(void)
{
	struct store *st = cu_store_new("modern.db");
	int64_t tr = 0;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import(st, cu_data("traces/torch_snapshot_modern_cs336_win.pickle"),
				     NULL, &tr, &cause), 0);
	struct trace_device *d;
	size_t nd;
	CU_ASSERT_EQUAL(store_devices(st, tr, &d, &nd, NULL), 0);
	CU_ASSERT_EQUAL(nd, 1);
	free(d);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.segments"), 216);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.trace_entries"), 5163);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reconciled_blocks"), 227);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.orphan_frees"), 2);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.free_requested"), 1721);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reconciled_segments"), 216);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reserved_end.0"), 14180941824ll);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.allocated_end.0"), 1377753600ll);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.max_split_size"), -1);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.expandable_segments"), 0);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.roundup_power2_divisions.1024"), 0);
	/* 1721 allocs + 227 live blocks + 2 orphans; 1721 frees; 216 segments */
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_ALLOC), 1950);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_FREE), 1721);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_SEGMENT_ALLOC), 216);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld", (long long)tr),
			3887);
	/* sizes: ring allocs are requested bytes; t=0 allocs are the live
	 * blocks (rounded) plus the two orphans' freed sizes */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT sum(size) FROM events WHERE trace_id=%lld AND kind=1 AND "
			   "seq>445", (long long)tr), 58890300607ll);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT sum(size) FROM events WHERE trace_id=%lld AND kind=1 AND "
			   "seq<=445", (long long)tr), 1050073088ll + 327680000 + 4);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT sum(size) FROM events WHERE trace_id=%lld AND kind=13",
			   (long long)tr), 14180941824ll);
	/* segments first, then blocks, all at t=0 */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT max(seq) FROM events WHERE trace_id=%lld AND kind=13",
			   (long long)tr), 216);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND seq<=445 "
			   "AND t_ns=0", (long long)tr), 445);
	/* the ring spans about 248 ms of time_us */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT max(t_ns) FROM events WHERE trace_id=%lld", (long long)tr),
			(1776479641333549ll - 1776479641085368ll) * 1000);
	/* every block live at the snapshot is live at the end of the events */
	CU_ASSERT_EQUAL(live_at_end(st, tr), 229);
	/* frames are stored once, as labels; the first alloc's top user frame */
	CU_ASSERT(cu_q1(st, "SELECT count(*) FROM labels WHERE trace_id=%lld", (long long)tr) <
		  cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND label_id IS NOT NULL "
		     "AND label_id>0", (long long)tr));
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events e JOIN labels l ON l.id=e.label_id "
			   "WHERE e.trace_id=%lld AND e.seq=446 AND l.text LIKE "
			   "'%%cs336_basics%%model.py:54:forward'", (long long)tr), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=1 AND "
			   "category<>%d", (long long)tr, TRACE_CAT_ACTIVATION), 0);
	store_close(st);
}

static void test_torch_v20_fixture(void)
{
	struct store *st = cu_store_new("v20.db");
	int64_t tr = 0;
	CU_ASSERT_EQUAL_FATAL(import(st, cu_data("traces/torch_snapshot_v20_block_history_flexgen.pickle"),
				     NULL, &tr, NULL), 0);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.segments"), 176);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.trace_entries"), 1);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reconciled_blocks"), 460);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reserved_end.0"), 11844714496ll);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.allocated_end.0"), 11840159744ll);
	char *v = NULL;
	CU_ASSERT_EQUAL(store_setting_get(st, tr, "torch.time", &v, NULL), 0);
	CU_ASSERT_STRING_EQUAL(v, "synthetic");
	free(v);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_MARKER), 1);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_SEGMENT_ALLOC), 176);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_ALLOC), 460);
	/* blocks have no address: computed from the segment, all distinct and
	 * inside a segment */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(DISTINCT addr) FROM events WHERE trace_id=%lld AND "
			   "kind=1", (long long)tr), 460);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events b WHERE b.trace_id=%lld AND b.kind=1 "
			   "AND NOT EXISTS (SELECT 1 FROM events s WHERE s.trace_id=b.trace_id AND "
			   "s.kind=13 AND b.addr>=s.addr AND b.addr+b.size<=s.addr+s.size)",
			   (long long)tr), 0);
	/* history[0].real_size is the requested size; frames from history */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events e JOIN labels l ON l.id=e.label_id "
			   "WHERE e.trace_id=%lld AND e.kind=1 AND l.text LIKE "
			   "'%%flexgen/pytorch_backend.py:190:allocate'", (long long)tr) > 0, 1);
	store_close(st);
}

/* ---- variants built with the test pickle writer ---- */

static void write_file(const char *name, const struct pw *w)
{
	FILE *f = fopen(cu_tmp(name), "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(w->b, 1, w->n, f);
	fclose(f);
}

/* A segment with blocks {size, state[, address]} (has_addr: 2.1+ style). */
struct tblock {
	int64_t size;
	const char *state;
	const char *file; /* frame, or NULL */
};

static void seg(struct pw *w, int dev, int64_t addr, int64_t total, const char *type,
		int expandable, const struct tblock *b, size_t nb, int has_addr)
{
	pw_dict(w);
	pw_kv_int(w, "device", dev);
	pw_kv_int(w, "address", addr);
	pw_kv_int(w, "total_size", total);
	pw_kv_int(w, "stream", 7);
	pw_kv_str(w, "segment_type", type);
	pw_str(w, "is_expandable");
	pw_bool(w, expandable);
	pw_str(w, "blocks");
	pw_list(w);
	int64_t at = addr;
	for (size_t i = 0; i < nb; i++) {
		pw_dict(w);
		if (has_addr)
			pw_kv_int(w, "address", at);
		pw_kv_int(w, "size", b[i].size);
		pw_kv_int(w, "requested_size", b[i].size - 8);
		pw_kv_str(w, "state", b[i].state);
		pw_str(w, "frames");
		pw_list(w);
		if (b[i].file) {
			pw_frame(w, "??", 0, "torch::unwind::unwind()");
			pw_frame(w, b[i].file, 3, "make");
		}
		pw_list_end(w);
		pw_dict_end(w);
		at += b[i].size;
	}
	pw_list_end(w);
	pw_dict_end(w);
}

/* A trace entry; time_us < 0: none. frames: NULL or a file name. */
static void entry(struct pw *w, const char *action, int64_t addr, int64_t size,
		  int64_t time_us, const char *file)
{
	pw_dict(w);
	pw_kv_str(w, "action", action);
	pw_kv_int(w, strcmp(action, "oom") == 0 ? "device_free" : "addr", addr);
	pw_kv_int(w, "size", size);
	pw_kv_int(w, "stream", 0);
	if (time_us >= 0)
		pw_kv_int(w, "time_us", time_us);
	if (file) {
		pw_str(w, "frames");
		pw_list(w);
		pw_frame(w, "??", 0, "c10::cuda::CUDACachingAllocator::malloc");
		pw_frame(w, "/usr/lib/python3/site-packages/torch/nn/modules/module.py", 1500,
			 "_call_impl");
		pw_frame(w, file, 10, "step");
		pw_list_end(w);
	}
	pw_dict_end(w);
}

#define A 0x7f0000000000ll
#define MB (1ll << 20)

static void test_torch_bare_list(void)
{
	/* torch.cuda.memory_snapshot(): a list of segments, all on device 1 */
	struct pw w = { 0 };
	pw_proto(&w, 2);
	pw_list(&w);
	struct tblock b1[] = { { MB, "active_allocated", "a.py" }, { MB, "inactive", NULL } };
	struct tblock b2[] = { { 20 * MB, "active_allocated", "b.py" } };
	seg(&w, 1, A, 2 * MB, "small", 0, b1, 2, 1);
	seg(&w, 1, A + 100 * MB, 20 * MB, "large", 0, b2, 1, 1);
	pw_list_end(&w);
	pw_stop(&w);
	write_file("bare.pickle", &w);
	free(w.b);
	struct store *st = cu_store_new("bare.db");
	int64_t tr = 0;
	char *cause = NULL;
	CU_ASSERT_EQUAL_FATAL(import(st, cu_tmp("bare.pickle"), NULL, &tr, &cause), 0);
	struct trace_device *d;
	size_t nd;
	CU_ASSERT_EQUAL(store_devices(st, tr, &d, &nd, NULL), 0);
	CU_ASSERT_EQUAL(nd, 2); /* never assume device 0 */
	free(d);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reserved_end.1"), 22 * MB);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reserved_end.0"), 0);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.allocated_end.1"), 21 * MB);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.trace_entries"), 0);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_SEGMENT_ALLOC), 2);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_ALLOC), 2);
	/* pool and stream ride on the segment events */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT api FROM events WHERE trace_id=%lld AND kind=13 AND "
			   "addr=%lld", (long long)tr, A), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT api FROM events WHERE trace_id=%lld AND kind=13 AND "
			   "addr=%lld", (long long)tr, A + 100 * MB), 2);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=13 AND "
			   "stream=7 AND device=1", (long long)tr), 2);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT req_size FROM events WHERE trace_id=%lld AND kind=1 AND "
			   "addr=%lld", (long long)tr, A), MB - 8);
	store_close(st);
}

static void test_torch_cpp_frames_no_time(void)
{
	/* 2.1-era: no time_us, C++ frames, segment_alloc in the ring */
	struct pw w = { 0 };
	pw_proto(&w, 4);
	pw_dict(&w);
	pw_str(&w, "segments");
	pw_list(&w);
	struct tblock b[] = { { 2 * MB, "active_allocated", "x.py" },
			      { 18 * MB, "inactive", NULL } };
	seg(&w, 0, A, 20 * MB, "large", 0, b, 2, 1);
	pw_list_end(&w);
	pw_str(&w, "device_traces");
	pw_list(&w);
	pw_list(&w);
	entry(&w, "segment_alloc", A, 20 * MB, -1, "/home/u/train.py");
	entry(&w, "alloc", A, 2 * MB - 100, -1, "/home/u/train.py");
	entry(&w, "free_requested", A, 2 * MB - 100, -1, "/home/u/train.py");
	entry(&w, "free_completed", A, 2 * MB - 100, -1, "/home/u/train.py");
	entry(&w, "alloc", A, 2 * MB - 100, -1, "/home/u/train.py");
	pw_list_end(&w);
	pw_list_end(&w);
	pw_dict_end(&w);
	pw_stop(&w);
	write_file("cpp.pickle", &w);
	free(w.b);
	struct store *st = cu_store_new("cpp.db");
	int64_t tr = 0;
	CU_ASSERT_EQUAL_FATAL(import(st, cu_tmp("cpp.pickle"), NULL, &tr, NULL), 0);
	/* the segment and the block are in the ring: nothing added at t=0 */
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reconciled_segments"), 0);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reconciled_blocks"), 0);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_SEGMENT_ALLOC), 1);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_ALLOC), 2);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_FREE), 1);
	/* synthetic clock: 1 us per entry of the device list */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT t_ns FROM events WHERE trace_id=%lld AND seq=2",
			   (long long)tr), 1000);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT t_ns FROM events WHERE trace_id=%lld AND seq=4",
			   (long long)tr), 4000);
	/* the ring's segment_alloc knows its pool from the end state */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT api FROM events WHERE trace_id=%lld AND kind=13",
			   (long long)tr), 2);
	/* the label skips C++ and torch frames */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events e JOIN labels l ON l.id=e.label_id "
			   "WHERE e.trace_id=%lld AND e.kind=1 AND l.text='/home/u/train.py:10:step'",
			   (long long)tr), 2);
	CU_ASSERT_EQUAL(live_at_end(st, tr), 1);
	store_close(st);
}

/* A context="all" snapshot: C++ frames with file names (resolved by
 * addr2line) before the Python ones. Every block was labelled
 * "memory_snapshot.cpp:0:..." although user frames follow. */
static void test_torch_cpp_named_frames(void)
{
	struct pw w = { 0 };
	pw_proto(&w, 4);
	pw_dict(&w);
	pw_str(&w, "segments");
	pw_list(&w);
	pw_list_end(&w);
	pw_str(&w, "device_traces");
	pw_list(&w);
	pw_list(&w);
	pw_dict(&w);
	pw_kv_str(&w, "action", "alloc");
	pw_kv_int(&w, "addr", A);
	pw_kv_int(&w, "size", MB);
	pw_kv_int(&w, "stream", 0);
	pw_str(&w, "frames");
	pw_list(&w);
	pw_frame(&w, "memory_snapshot.cpp", 0, "torch::cuda::_record_memory_history");
	pw_frame(&w, "/opt/pytorch/c10/cuda/CUDACachingAllocator.cpp", 0,
		 "c10::cuda::CUDACachingAllocator::Native::DeviceCachingAllocator::malloc");
	pw_frame(&w, "/usr/include/c++/12/bits/std_function.h", 591, "std::function::operator()");
	pw_frame(&w, "/usr/lib/python3/site-packages/torch/nn/modules/linear.py", 116, "forward");
	pw_frame(&w, "/home/u/model.py", 42, "forward");
	pw_frame(&w, "/home/u/train.py", 10, "step");
	pw_list_end(&w);
	pw_dict_end(&w);
	pw_list_end(&w);
	pw_list_end(&w);
	pw_dict_end(&w);
	pw_stop(&w);
	write_file("cppnamed.pickle", &w);
	free(w.b);
	struct store *st = cu_store_new("cppnamed.db");
	int64_t tr = 0;
	CU_ASSERT_EQUAL_FATAL(import(st, cu_tmp("cppnamed.pickle"), NULL, &tr, NULL), 0);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events e JOIN labels l ON l.id=e.label_id "
			   "WHERE e.trace_id=%lld AND e.kind=1 AND l.text='/home/u/model.py:42:forward'",
			   (long long)tr), 1);
	store_close(st);
}

/* Two devices, an expandable segment half-mapped in the ring, orphan
 * frees, an OOM, a snapshot marker and allocator settings. */
static struct pw multi_device_snapshot(void)
{
	struct pw w = { 0 };
	pw_proto(&w, 5);
	pw_dict(&w);
	pw_str(&w, "segments");
	pw_list(&w);
	struct tblock b0[] = { { 4 * MB, "active_pending_free", NULL },
			       { 60 * MB, "inactive", NULL } };
	struct tblock b1[] = { { 2 * MB, "active_allocated", NULL } };
	seg(&w, 0, A, 64 * MB, "large", 1, b0, 2, 1); /* expandable, half mapped in the ring */
	seg(&w, 1, A + 512 * MB, 2 * MB, "small", 0, b1, 1, 1);
	pw_list_end(&w);
	pw_str(&w, "device_traces");
	pw_list(&w);
	pw_list(&w); /* device 0 */
	entry(&w, "segment_map", A + 32 * MB, 32 * MB, 1000100, NULL);
	entry(&w, "free_completed", A + 40 * MB, 999, 1000150, "o.py"); /* orphan */
	entry(&w, "segment_unmap", A + 128 * MB, 2 * MB, 1000160, NULL); /* orphan */
	entry(&w, "oom", 12345, 80 * MB, 1000300, "o.py");
	pw_list_end(&w);
	pw_list(&w); /* device 1 */
	entry(&w, "alloc", A + 600 * MB, 512, 1000200, "p.py");
	entry(&w, "snapshot", 0, 0, 1000400, NULL);
	pw_list_end(&w);
	pw_list_end(&w);
	pw_str(&w, "allocator_settings");
	pw_dict(&w);
	pw_str(&w, "expandable_segments");
	pw_bool(&w, 1);
	pw_str(&w, "garbage_collection_threshold");
	pw_float(&w, 0.6);
	pw_dict_end(&w);
	pw_dict_end(&w);
	pw_stop(&w);
	return w;
}

static void test_torch_devices_oom_expandable_orphans(void)
{
	struct pw w = multi_device_snapshot();
	write_file("multi.pickle", &w);
	free(w.b);
	struct store *st = cu_store_new("multi.db");
	int64_t tr = 0;
	CU_ASSERT_EQUAL_FATAL(import(st, cu_tmp("multi.pickle"), NULL, &tr, NULL), 0);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.expandable_segments"), 1);
	char *v = NULL;
	store_setting_get(st, tr, "torch.garbage_collection_threshold", &v, NULL);
	CU_ASSERT_PTR_NOT_NULL(v && strstr(v, "0.6"));
	free(v);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.trace_entries"), 6);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.orphan_frees"), 1);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.orphan_segment_frees"), 1);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reconciled_pending"), 1);
	CU_ASSERT_EQUAL(cu_setting(st, tr, "torch.reconciled_blocks"), 1); /* device 1's block */
	/* expandable segment: the unmapped-in-the-ring first half at t=0 */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=13 AND "
			   "t_ns=0 AND device=0 AND addr=%lld AND size=%lld", (long long)tr, A,
			   32 * MB), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=13 AND "
			   "t_ns=0 AND addr=%lld", (long long)tr, A + 128 * MB), 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=1 AND "
			   "t_ns=0 AND addr=%lld AND size=999", (long long)tr, A + 40 * MB), 1);
	/* oom: size requested, aux = device_free, a failed result */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events WHERE trace_id=%lld AND kind=10 AND "
			   "size=%lld AND aux=12345 AND result<>0 AND device=0", (long long)tr,
			   80 * MB), 1);
	/* two devices merged by time: t from the earliest time_us */
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT device*1000000000+t_ns FROM events WHERE trace_id=%lld "
			   "AND kind=1 AND t_ns>0", (long long)tr), 1000000000ll + 100000);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT count(*) FROM events a JOIN events b ON a.trace_id=b.trace_id "
			   "AND a.seq+1=b.seq WHERE a.trace_id=%lld AND b.t_ns<a.t_ns", (long long)tr),
			0);
	CU_ASSERT_EQUAL(cu_n_kind(st, tr, TRACE_MARKER), 1);
	store_close(st);
}

/* Replayed on one GPU, the two devices of a snapshot share GPU 0: the
 * recorded end state is the sum of both (it printed device 0's alone). */
static void test_torch_multi_device_one_gpu(void)
{
	const char *bin = getenv("VRAMSIM");
	if (!bin)
		return; /* run by `make check`, which sets VRAMSIM */
	struct pw w = multi_device_snapshot();
	write_file("multi1.pickle", &w);
	free(w.b);
	char *db = util_xstrdup(cu_tmp("multi1.db"));
	char *out = util_xstrdup(cu_tmp("multi1.out"));
	cu_sh("rm -f '%s'*", db);
	CU_ASSERT_EQUAL(cu_sh("'%s' import -q --store '%s' '%s' >/dev/null", bin, db,
			      cu_tmp("multi1.pickle")), 0);
	CU_ASSERT_EQUAL(cu_sh("'%s' replay --store '%s' --gpus 80G --alloc torch > '%s'", bin, db,
			      out), 0);
	/* 64 MiB on device 0 and 2 MiB on device 1 */
	CU_ASSERT_EQUAL(cu_sh("grep -q 'GPU 0 reserved at end: recorded 66.0 MiB (recorded devices "
			      "on this GPU, summed)' '%s'", out), 0);
	CU_ASSERT_EQUAL(cu_sh("grep -c 'reserved at end' '%s' | grep -qx 1", out), 0);
	free(db);
	free(out);
}

static void test_torch_label_rules(void)
{
	struct pw w = { 0 };
	pw_proto(&w, 4);
	pw_dict(&w);
	pw_str(&w, "segments");
	pw_list(&w);
	pw_list_end(&w);
	pw_str(&w, "device_traces");
	pw_list(&w);
	pw_list(&w);
	entry(&w, "alloc", A, 100, 10, "/src/kv_cache.py");
	entry(&w, "alloc", A + MB, 100, 20, "/src/layers.12.py");
	entry(&w, "alloc", A + 2 * MB, 100, 30, "/src/other.py");
	pw_list_end(&w);
	pw_list_end(&w);
	pw_dict_end(&w);
	pw_stop(&w);
	write_file("rules.pickle", &w);
	free(w.b);
	FILE *f = fopen(cu_tmp("rules.txt"), "w");
	fputs("# vramsim label rules\n\nkv\tkv_cache\\.py\nweights:$1  layers\\.([0-9]+)\\.py\n"
	      "compute:3 other\n", f);
	fclose(f);
	struct store *st = cu_store_new("rules.db");
	int64_t tr = 0;
	char *why = NULL, *pickle = util_xstrdup(cu_tmp("rules.pickle"));
	char *rules = util_xstrdup(cu_tmp("rules.txt")); /* cu_tmp() reuses its buffer */
	int rc = import(st, pickle, rules, &tr, &why);
	if (rc)
		fprintf(stderr, "\n%s\n", why);
	free(why);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT category*1000+layer_lo FROM events WHERE trace_id=%lld AND "
			   "addr=%lld", (long long)tr, A), TRACE_CAT_KV * 1000 - 1);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT category*1000+layer_lo FROM events WHERE trace_id=%lld AND "
			   "addr=%lld", (long long)tr, A + MB), TRACE_CAT_WEIGHTS * 1000 + 12);
	CU_ASSERT_EQUAL(cu_q1(st, "SELECT category*1000+layer_hi FROM events WHERE trace_id=%lld AND "
			   "addr=%lld", (long long)tr, A + 2 * MB), TRACE_CAT_COMPUTE * 1000 + 3);
	/* a bad rule names its line, exit status 2, nothing imported */
	f = fopen(cu_tmp("bad.txt"), "w");
	fputs("kv kv\nnope x\n", f);
	fclose(f);
	char *cause = NULL;
	size_t before = cu_n_traces(st);
	free(rules);
	rules = util_xstrdup(cu_tmp("bad.txt"));
	CU_ASSERT_EQUAL(import(st, pickle, rules, &tr, &cause), UTIL_EINPUT);
	CU_ASSERT_PTR_NOT_NULL(cause && strstr(cause, "bad.txt:2") && strstr(cause, "nope"));
	free(cause);
	CU_ASSERT_EQUAL(cu_n_traces(st), before);
	free(pickle);
	free(rules);
	store_close(st);
}

static void test_labels_parser(void)
{
#define RULES(t, w) { t, sizeof(t) - 1, w }
	static const struct { const char *text; size_t len; const char *want; } bad[] = {
		RULES("kv\n", "r:1: no regular expression"),
		RULES("# c\nnope  x\n", "r:2: unknown category 'nope'"),
		RULES("kv:x  y\n", "r:1: the layer must be a number or $1..$9"),
		RULES("kv:$2  (a)\n", "r:1: the layer names a capture group the regex lacks"),
		RULES("kv  (\n", "r:1: bad regular expression"),
		RULES("kv  a++++\n", "r:1: regular expression has a repetition right after another"),
		RULES("kv  ((a{100}){100}){100}\n", "r:1: regular expression is too large"),
		RULES("kv  a\0b\n", "r:1: a NUL byte"),
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(bad); i++) {
		struct labels_rules *r = NULL;
		char *cause = NULL;
		CU_ASSERT_EQUAL(labels_parse(bad[i].text, bad[i].len, "r", &r, &cause), UTIL_EINPUT);
		CU_ASSERT_PTR_NULL(r);
		if (!cause || !strstr(cause, bad[i].want)) {
			fprintf(stderr, "\n%s: got %s\n", bad[i].want, cause ? cause : "nothing");
			CU_FAIL("message");
		}
		free(cause);
	}
	static const char good[] = "# rules\r\n\n  kv\t[[:alpha:]]+_(x|y)*\\.py\r\n"
				   "weights:$1 blk\\.([0-9]+)\\.\ncompute:7 (a{10}){10}\n";
	struct labels_rules *r = NULL;
	CU_ASSERT_EQUAL_FATAL(labels_parse(good, sizeof(good) - 1, "g", &r, NULL), 0);
	CU_ASSERT_EQUAL(labels_count(r), 3);
	const char *frames[] = { "/a/b.py:1:f", "/m/blk.17.ffn.py:3:g", "/m/abc_x.py:9:h" };
	struct labels_result res;
	CU_ASSERT_EQUAL(labels_match(r, frames, 3, &res), 1);
	CU_ASSERT(res.rule == 0 && res.category == TRACE_CAT_KV && res.layer == TRACE_LAYER_NONE);
	CU_ASSERT_EQUAL(labels_match(r, frames, 2, &res), 1);
	CU_ASSERT(res.rule == 1 && res.category == TRACE_CAT_WEIGHTS && res.layer == 17);
	CU_ASSERT_EQUAL(labels_match(r, frames, 1, &res), 0);
	CU_ASSERT_EQUAL(labels_match(NULL, frames, 3, &res), 0);
	labels_free(r);
	CU_ASSERT_EQUAL(labels_load(cu_tmp("no-such-rules.txt"), &r, NULL), UTIL_EINPUT);
}

static void expect_refused(struct store *st, const char *name, const void *p, size_t n,
			   const char *part)
{
	FILE *f = fopen(cu_tmp(name), "wb");
	fwrite(p, 1, n, f);
	fclose(f);
	char *path = util_xstrdup(cu_tmp(name));
	cu_refused(st, path, "torch", part, name);
	free(path);
}

static void test_torch_bad_input(void)
{
	struct store *st = cu_store_new("bad.db");
	int64_t tr = 0;
	CU_ASSERT_EQUAL_FATAL(import(st, cu_data("traces/torch_snapshot_v20_block_history_flexgen.pickle"),
				     NULL, &tr, NULL), 0);
	expect_refused(st, "global.pickle", "\x80\x02" "ctorch\nload\n.", 15,
		       "byte offset 2: pickle opcode GLOBAL");
	expect_refused(st, "int.pickle", "\x80\x02K\x05.", 5, "not a PyTorch memory snapshot");
	expect_refused(st, "dict.pickle", "\x80\x02}.", 4, "no 'segments'");
	expect_refused(st, "memo.pickle", "\x80\x02]\x94(h\x07" "e.", 9, "memo index 7");
	/* the real file cut short */
	char *buf;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(util_read_file(cu_data("traces/torch_snapshot_modern_cs336_win.pickle"),
					     &buf, &len, NULL), 0);
	expect_refused(st, "cut.pickle", buf, len / 2, "cut stream");
	/* a forbidden opcode deep inside a real file, after thousands of entries */
	buf[len - 2] = 'R'; /* the top-level SETITEMS */
	expect_refused(st, "reduce.pickle", buf, len, "REDUCE");
	free(buf);
	CU_ASSERT_EQUAL(imp_torch_detect((const unsigned char *)"\x80\x04\x95", 3, "x"), 90);
	CU_ASSERT_EQUAL(imp_torch_detect((const unsigned char *)"{\"a\"", 4, "x"), 0);
	store_close(st);
}

/* Random byte changes to a valid snapshot: every import either succeeds
 * or fails with an input error; never a crash (ASan checks the rest). */
static void test_torch_mutations(void)
{
	struct pw w = multi_device_snapshot();
	struct store *st = cu_store_new("mut.db");
	unsigned seed = 777;
	int ok = 0, bad = 0;
	char *path = util_xstrdup(cu_tmp("mut.pickle"));
	for (int round = 0; round < 400; round++) {
		struct pw m = { 0 };
		pw_bytes(&m, w.b, w.n);
		for (int k = 0; k < 1 + round % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = 3 + (seed >> 8) % (m.n - 3);
			seed = seed * 1103515245u + 12345u;
			m.b[at] = (unsigned char)(seed >> 16);
		}
		FILE *f = fopen(path, "wb");
		fwrite(m.b, 1, m.n, f);
		fclose(f);
		free(m.b);
		char *cause = NULL;
		struct imp_opts o = { .quiet = 1, .format = "torch" };
		struct imp_ctx res;
		int rc = imp_file(st, path, &o, &res, &cause);
		CU_ASSERT(rc == 0 || rc == UTIL_EINPUT);
		if (rc == 0) {
			ok++;
			free(res.summary);
		} else {
			bad++;
			CU_ASSERT_PTR_NOT_NULL(cause);
		}
		free(cause);
	}
	CU_ASSERT(ok > 0 && bad > 0);
	free(path);
	free(w.b);
	store_close(st);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("torch_import", NULL, NULL);
	CU_ADD(s, test_torch_modern_fixture);
	CU_ADD(s, test_torch_v20_fixture);
	CU_ADD(s, test_torch_bare_list);
	CU_ADD(s, test_torch_cpp_frames_no_time);
	CU_ADD(s, test_torch_cpp_named_frames);
	CU_ADD(s, test_torch_multi_device_one_gpu);
	CU_ADD(s, test_torch_devices_oom_expandable_orphans);
	CU_ADD(s, test_torch_label_rules);
	CU_ADD(s, test_labels_parser);
	CU_ADD(s, test_torch_bad_input);
	CU_ADD(s, test_torch_mutations);
}

CUTEST_MAIN(register_tests)
