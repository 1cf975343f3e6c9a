/*
 * test_shim.c - the recording shim (trace/libvramtrace.so) end to end,
 * without a GPU: test programs run over the fake driver and runtime
 * (tests/fake/) with the shim preloaded; each writes what it did
 * (tests/fake/expect.h), and the imported trace must equal it, event for
 * event, thread by thread. Covers direct linking, dlopen + dlsym (both
 * glibc versions) + cuGetProcAddress with versions and flags, a runtime
 * that only uses cuGetProcAddress, another interposer on either side,
 * threads, fork + exec, _exit, SIGKILL, an unwritable output, and (where
 * nvcc built them) programs of the toolkit's real runtime.
 *
 * The fakes and programs are built by tests/shim.mk into $BUILD/fake.
 * Under a sanitizer build the programs are instrumented too, so the
 * sanitizer runtime is preloaded before the shim.
 *
 * Over 800 lines: eighteen end-to-end cases (one per way a program
 * reaches the driver or ends), all on the one run-and-compare harness at
 * the top; the stress and crash cases live in test_shim_stress.c.
 */
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "cutest.h"
#include "imp.h"
#include "store.h"
#include "util.h"
#include "vrt.h"
#include "sim.h"
#include "sim_source.h"
#include "topo.h"

static char fake[1024], shim[1024], preload[2048];

/* Paths of the build ($BUILD, else "build"); the sanitizer runtime this
 * test runs under, which must come first in a child's LD_PRELOAD. */
static int setup(void)
{
	const char *b = getenv("BUILD");
	char cwd[512];
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(fake, sizeof(fake), "%s/%s/fake", cwd, b && *b ? b : "build");
	snprintf(shim, sizeof(shim), "%s/%s/shim/libvramtrace.so", cwd, b && *b ? b : "build");
	snprintf(preload, sizeof(preload), "%s", shim);
	FILE *m = fopen("/proc/self/maps", "r");
	char line[1024];
	while (m && fgets(line, sizeof(line), m)) {
		char *p = strchr(line, '/');
		if (p && strstr(p, "/libasan.so")) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(preload, sizeof(preload), "%s:%s", p, shim);
			break;
		}
	}
	if (m)
		fclose(m);
	return 0;
}

static const char *dir_of(const char *name)
{
	static char d[1024];
	snprintf(d, sizeof(d), "%s", cu_tmp(name));
	cu_sh("rm -rf '%s' && mkdir -p '%s'", d, d);
	return d;
}

/* Run prog (in $BUILD/fake, with args) traced, from dir; extra is more
 * VAR=value words for env. Returns its exit status. */
static int run(const char *dir, const char *extra, const char *prog)
{
	return cu_sh("cd '%s' && env -u CUDA_VISIBLE_DEVICES LD_LIBRARY_PATH='%s' "
		     "LD_PRELOAD='%s' VRAMSIM_OUT='%s/%%e.%%p.vrt.zst' VRAMSIM_FLUSH_MS=20 "
		     "VRAMSIM_SNAPSHOT_MS=0 VRAMSIM_EXPECT='%s/expect' FAKECUDA_DEVICES=1024,2048 "
		     "%s '%s'/%s >out 2>err", dir, fake, preload, dir, dir, extra ? extra : "",
		     fake, prog);
}

static int nfiles(const char *dir)
{
	char pat[1100];
	snprintf(pat, sizeof(pat), "%s/*.vrt.zst", dir);
	glob_t g;
	int n = glob(pat, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
	if (n)
		globfree(&g);
	return n;
}

/* Import every native file of dir as one trace into dir/t.db. */
static struct store *import_dir(const char *dir, int64_t *id)
{
	char pat[1100];
	snprintf(pat, sizeof(pat), "%s/*.vrt.zst", dir);
	glob_t g;
	if (glob(pat, 0, NULL, &g) != 0) {
		CU_FAIL("no native trace written");
		return NULL;
	}
	struct store *st;
	char db[1100];
	snprintf(db, sizeof(db), "%s/t.db", dir);
	unlink(db);
	CU_ASSERT_FATAL(store_open(db, STORE_CREATE, &st, NULL) == 0);
	char *cause = NULL;
	int rc = imp_vrt_files(st, g.gl_pathv, (int)g.gl_pathc, NULL, 1, id, &cause);
	if (rc)
		fprintf(stderr, "import: %s\n", cause);
	free(cause);
	globfree(&g);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return st;
}

/* ---- comparing a trace with what the program said it did ---- */

struct xev {
	int pid, tid, dev;   /* dev: physical fake device, -1 host, 99 "x" */
	char kind[16], api[64], label[96];
	unsigned long long size, req, addr, aux, stream;
	int result;
};

struct xlist {
	struct xev *v;
	size_t n, cap;
};

static void xpush(struct xlist *l, const struct xev *e)
{
	UTIL_GROW(l->v, l->n + 1, l->cap);
	l->v[l->n++] = *e;
}

static int cmp_thread(const void *pa, const void *pb)
{
	const struct xev *a = pa, *b = pb;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static void xsort(struct xlist *l)
{
	/* Stable grouping by (pid, tid): insertion order is kept within one. */
	for (size_t i = 1; i < l->n; i++) {
		struct xev k = l->v[i];
		size_t j = i;
		while (j > 0 && cmp_thread(&l->v[j - 1], &k) > 0) {
			l->v[j] = l->v[j - 1];
			j--;
		}
		l->v[j] = k;
	}
}

static void xprint(const char *side, const struct xev *e)
{
	fprintf(stderr, "  %s: pid %d tid %d %s dev %d size %llu req %llu addr %#llx aux %#llx "
		"stream %#llx result %d api %s label '%s'\n", side, e->pid, e->tid, e->kind,
		e->dev, e->size, e->req, e->addr, e->aux, e->stream, e->result, e->api, e->label);
}

static int xsame(const struct xev *a, const struct xev *b)
{
	return a->pid == b->pid && a->tid == b->tid && strcmp(a->kind, b->kind) == 0 &&
	       (a->dev == 99 || b->dev == 99 || a->dev == b->dev) && a->size == b->size &&
	       a->req == b->req && a->addr == b->addr && a->aux == b->aux &&
	       a->stream == b->stream && a->result == b->result && strcmp(a->api, b->api) == 0 &&
	       strcmp(a->label, b->label) == 0;
}

struct xexit {
	int pid, dev;
	long long used;
	unsigned long long total;
};

static void read_expect(const char *dir, struct xlist *l, struct xexit *ex, size_t *nex)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s/expect", dir);
	FILE *f = fopen(path, "r");
	CU_ASSERT_FATAL(f != NULL);
	char line[600];
	*nex = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'X') {
			struct xexit *x = &ex[*nex];
			if (*nex < 16 && sscanf(line, "X %d %d %lld %llu", &x->pid, &x->dev, &x->used,
						&x->total) == 4)
				(*nex)++;
			continue;
		}
		struct xev e;
		memset(&e, 0, sizeof(e));
		char dev[16];
		int used = 0;
		int k = sscanf(line, "E %d %d %15s %15s %llu %llu %llu %llu %llu %d %63s %n", &e.pid,
			       &e.tid, e.kind, dev, &e.size, &e.req, &e.addr, &e.aux, &e.stream,
			       &e.result, e.api, &used);
		CU_ASSERT_FATAL(k >= 11);
		snprintf(e.label, sizeof(e.label), "%s", line + used);
		e.dev = dev[0] == 'x' ? 99 : atoi(dev);
		xpush(l, &e);
	}
	fclose(f);
}

/* The fake device's physical number from its UUID (...a0 + n). */
static int phys_of(const struct trace_device *d, size_t nd, int index)
{
	if (index == TRACE_DEV_HOST)
		return -1;
	for (size_t i = 0; i < nd; i++) {
		if (d[i].index != index)
			continue;
		size_t n = strlen(d[i].uuid);
		return n >= 2 ? (int)strtol(d[i].uuid + n - 2, NULL, 16) - 0xa0 : -50;
	}
	return -60;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* Read the trace; periodic and exit snapshots go to *side. */
static void read_trace(struct store *st, int64_t id, struct xlist *l, struct xlist *side)
{
	struct trace_device *d = NULL;
	size_t nd = 0;
	CU_ASSERT_FATAL(store_devices(st, id, &d, &nd, NULL) == 0);
	struct store_iter *it;
	CU_ASSERT_FATAL(store_iter_open(st, id, -1, &it, NULL) == 0);
	struct trace_event ev;
	int last_pid = -1;
	int64_t last_t = 0;
	while (store_iter_next(it, &ev, NULL) == 1) {
		/* Each process's events are in time order. */
		if (ev.pid == last_pid)
			CU_ASSERT(ev.t_ns >= last_t);
		last_pid = ev.pid;
		last_t = ev.t_ns;
		struct xev e;
		memset(&e, 0, sizeof(e));
		e.pid = ev.pid;
		e.tid = ev.tid;
		snprintf(e.kind, sizeof(e.kind), "%s", trace_kind_name(ev.kind));
		e.dev = phys_of(d, nd, ev.device);
		e.size = ev.size;
		e.req = ev.req_size;
		e.addr = ev.addr;
		e.aux = ev.aux;
		e.stream = ev.stream;
		e.result = ev.result;
		const char *api = vrt_api_name(ev.api);
		snprintf(e.api, sizeof(e.api), "%s", api ? api : "-");
		char *text = NULL;
		if (ev.label && store_label_text(st, ev.label, &text, NULL) == 0)
			snprintf(e.label, sizeof(e.label), "%s", text);
		else
			snprintf(e.label, sizeof(e.label), "-");
		free(text);
		if (ends_with(e.label, ": periodic") || ends_with(e.label, ": exit") ||
		    strncmp(e.label, "freed ", 6) == 0 || strncmp(e.label, "pool reserve", 12) == 0)
			xpush(side, &e);
		else
			xpush(l, &e);
	}
	store_iter_free(it);
	free(d);
}

/* The trace of dir equals what its programs wrote, event for event. */
static void compare(const char *dir, struct store *st, int64_t id, struct xlist *side_out)
{
	struct xlist want = { 0 }, got = { 0 }, side = { 0 };
	struct xexit ex[16];
	size_t nex;
	read_expect(dir, &want, ex, &nex);
	read_trace(st, id, &got, &side);
	xsort(&want);
	xsort(&got);
	int bad = want.n != got.n;
	size_t first = 0;
	while (first < want.n && first < got.n && xsame(&want.v[first], &got.v[first]))
		first++;
	if (first < want.n || first < got.n)
		bad = 1;
	if (bad) {
		fprintf(stderr, "\n%s: %zu events expected, %zu recorded; first difference at %zu:\n",
			dir, want.n, got.n, first);
		if (first < want.n)
			xprint("want", &want.v[first]);
		if (first < got.n)
			xprint("got ", &got.v[first]);
	}
	CU_ASSERT(!bad);
	CU_ASSERT(want.n > 0);
	/* What a process still held when it ended (exit, exec, kill) is freed
	 * there by the importer, each allocation once (issue 14). */
	for (size_t i = 0; i < want.n; i++) {
		const struct xev *a = &want.v[i];
		if (strcmp(a->kind, "alloc") != 0 || a->dev < 0)
			continue;
		long held = 0, freed = 0;
		for (size_t k = 0; k < want.n; k++) {
			const struct xev *b = &want.v[k];
			if (b->pid == a->pid && b->addr == a->addr && b->dev >= 0)
				held += !strcmp(b->kind, "alloc") - !strcmp(b->kind, "free");
		}
		for (size_t k = 0; k < side.n; k++)
			freed += side.v[k].pid == a->pid && side.v[k].addr == a->addr &&
				 !strcmp(side.v[k].kind, "free") && !strncmp(side.v[k].label, "freed ", 6);
		if (held != freed) {
			fprintf(stderr, "%s: pid %d %#llx: held %ld at the end, freed %ld there\n", dir,
				a->pid, a->addr, held, freed);
			bad = 1;
		}
	}
	CU_ASSERT(!bad);
	/* The exit snapshots the programs announced. */
	for (size_t i = 0; i < nex; i++) {
		int found = 0;
		for (size_t k = 0; k < side.n; k++) {
			const struct xev *e = &side.v[k];
			found |= e->pid == ex[i].pid && e->dev == ex[i].dev &&
				 strcmp(e->label, "snapshot: exit") == 0 &&
				 e->size == (unsigned long long)ex[i].used && e->aux == ex[i].total;
		}
		if (!found)
			fprintf(stderr, "%s: no exit snapshot of device %d with %lld bytes used\n",
				dir, ex[i].dev, ex[i].used);
		CU_ASSERT(found);
	}
	free(want.v);
	free(got.v);
	if (side_out)
		*side_out = side;
	else
		free(side.v);
}

static int truncated(struct store *st, int64_t id)
{
	struct store_trace_info ti;
	CU_ASSERT_FATAL(store_trace_get(st, id, &ti, NULL) == 0);
	int t = ti.truncated;
	store_trace_info_clear(&ti);
	return t;
}

/* The trace's vrt.ended setting ("exit 1, killed 1", ...). */
static int ended_is(struct store *st, int64_t id, const char *want)
{
	char *v = NULL;
	CU_ASSERT_FATAL(store_setting_get(st, id, "vrt.ended", &v, NULL) == 0);
	int same = v && strcmp(v, want) == 0;
	if (!same)
		fprintf(stderr, "vrt.ended is '%s', expected '%s'\n", v ? v : "(unset)", want);
	free(v);
	return same;
}

static void run_and_compare(const char *name, const char *extra, const char *prog,
			    int want_truncated)
{
	const char *dir = dir_of(name);
	int rc = run(dir, extra, prog);
	if (rc != 0)
		cu_sh("cat '%s/err' >&2", dir);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	int64_t id;
	struct store *st = import_dir(dir, &id);
	compare(dir, st, id, NULL);
	CU_ASSERT_EQUAL(truncated(st, id), want_truncated);
	store_close(st);
}

/* ---- the scenarios ---- */

static void test_direct(void)
{
	run_and_compare("direct", NULL, "prog_direct", 0);
}

static void test_visible_devices(void)
{
	/* Ordinals swapped: events still land on the right GPU (by UUID). */
	run_and_compare("visible", "CUDA_VISIBLE_DEVICES=1,0", "prog_direct", 0);
}

static void test_loader(void)
{
	run_and_compare("loader", NULL, "prog_loader traced", 0);
	/* The same checks without the shim: the driver's own pointers. */
	const char *dir = dir_of("loader_plain");
	CU_ASSERT_EQUAL(cu_sh("cd '%s' && LD_LIBRARY_PATH='%s' '%s/prog_loader' untraced", dir,
			      fake, fake), 0);
}

static void test_runtime(void)
{
	run_and_compare("runtime", NULL, "prog_rt", 0);
}

static void test_threads(void)
{
	run_and_compare("threads", NULL, "prog_threads 8 300", 0);
	/* The buffer lock without membarrier (shim_buf.c), as on kernels
	 * that lack it: the same trace. */
	run_and_compare("threads_spin", "VRAMSIM_NO_MEMBARRIER=1", "prog_threads 8 300", 0);
}

static void test_fork_exec(void)
{
	run_and_compare("fork", NULL, "prog_fork", 0);
	const char *dir = cu_tmp("fork");
	/* Parent, first child, second child before its failed exec, after
	 * it, and after its exec. */
	CU_ASSERT_EQUAL(nfiles(dir), 5);
	int64_t id;
	struct store *st = import_dir(dir, &id);
	int32_t *pids;
	size_t np;
	CU_ASSERT_EQUAL(store_pids(st, id, &pids, &np, NULL), 0);
	CU_ASSERT_EQUAL(np, 3);
	free(pids);
	store_close(st);
}

static void test_exit_without_handlers(void)
{
	/* _exit skips every handler: the tail file gives back what the
	 * last frame did not hold, so nothing is missing (not truncated). */
	run_and_compare("exit", NULL, "prog_exit exit", 0);
	int64_t id;
	struct store *st = import_dir(cu_tmp("exit"), &id);
	CU_ASSERT(ended_is(st, id, "killed 1"));
	store_close(st);
}

static void test_sigkill(void)
{
	const char *dir = dir_of("kill");
	char ready[1100];
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	/* Start it, wait until it says it is ready, kill it with SIGKILL. */
	char script[1200];
	snprintf(script, sizeof(script), "%s/kill.sh", dir);
	FILE *sh = fopen(script, "w");
	CU_ASSERT_FATAL(sh != NULL);
	fprintf(sh, "'%s/prog_exit' kill '%s' & p=$!\n"
		"i=0; while [ ! -s '%s' ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done\n"
		"kill -9 $p; wait $p; [ $? = 137 ]\n", fake, ready, ready);
	fclose(sh);
	int rc = cu_sh("cd '%s' && env -u CUDA_VISIBLE_DEVICES LD_LIBRARY_PATH='%s' "
		       "LD_PRELOAD='%s' VRAMSIM_OUT='%s/%%e.%%p.vrt.zst' VRAMSIM_FLUSH_MS=20 "
		       "VRAMSIM_SNAPSHOT_MS=40 VRAMSIM_EXPECT='%s/expect' "
		       "FAKECUDA_DEVICES=1024,2048 sh '%s' >out 2>err", dir, fake, preload, dir,
		       dir, script);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	long long used = -1;
	FILE *f = fopen(ready, "r");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(fscanf(f, "%lld", &used) == 1);
	fclose(f);
	int64_t id;
	struct store *st = import_dir(dir, &id);
	struct xlist side = { 0 };
	compare(dir, st, id, &side);
	CU_ASSERT_EQUAL(truncated(st, id), 0);
	CU_ASSERT(ended_is(st, id, "killed 1"));
	/* Periodic snapshots saw the memory in use while it waited. */
	int found = 0;
	for (size_t i = 0; i < side.n; i++)
		found |= strcmp(side.v[i].label, "snapshot: periodic") == 0 && side.v[i].dev == 1 &&
			 side.v[i].size == (unsigned long long)used;
	CU_ASSERT(found);
	free(side.v);
	store_close(st);
}

/* The program's own file holds exactly what it wrote. */
static void file_is(const char *dir, const char *name, const char *want)
{
	char path[1200], got[64] = "";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(got, 1, sizeof(got) - 1, f) : 0;
	if (f)
		fclose(f);
	got[n] = '\0';
	if (strcmp(got, want) != 0)
		fprintf(stderr, "%s: %zu bytes, not the program's %zu\n", path, n, strlen(want));
	CU_ASSERT_STRING_EQUAL(got, want);
}

/* Programs that close or dup2 over every descriptor, or exec with all of
 * them closed, after the shim opened its file (issue 16): their own
 * files are byte-identical to what they wrote, nothing is lost, and the
 * shim says nothing (it reopened its file by path). */
static void fds_case(const char *name, const char *mode, const char *file)
{
	char prog[64];
	snprintf(prog, sizeof(prog), "prog_fds %s", mode);
	run_and_compare(name, NULL, prog, 0);
	const char *dir = cu_tmp(name);
	file_is(dir, file, "0123456789abcdefghij");
	char err[1200];
	snprintf(err, sizeof(err), "%s/err", dir);
	struct stat sb;
	CU_ASSERT(stat(err, &sb) == 0 && sb.st_size == 0);
	int64_t id;
	struct store *st = import_dir(dir, &id);
	CU_ASSERT(ended_is(st, id, strcmp(mode, "exec") ? "exit 1" : "exit 1, exec 1"));
	store_close(st);
}

static void test_descriptors(void)
{
	fds_case("fds_closeall", "closeall", "data");
	fds_case("fds_dup2", "dup2", "data");
	fds_case("fds_exec", "exec", "data2");
}

/* A library constructor (under glibc's loader lock) calls the driver
 * while the main thread makes its first call through the shim: no shim
 * lock is held across dlopen/dlsym, so both return (issue 14). */
static void test_constructor_deadlock(void)
{
	const char *dir = dir_of("ctor");
	for (int round = 0; round < 3; round++) {
		int rc = cu_sh("cd '%s' && rm -f *.vrt.zst* && env -u CUDA_VISIBLE_DEVICES "
			       "LD_LIBRARY_PATH='%s' LD_PRELOAD='%s' VRAMSIM_OUT='%s/%%e.%%p.vrt.zst' "
			       "FAKECUDA_DEVICES=1024 timeout 30 '%s/prog_ctor' '%s/ctor_lib.so' "
			       ">out 2>err", dir, fake, preload, dir, fake, fake);
		if (rc != 0)
			cu_sh("cat '%s/err' >&2", dir);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		int64_t id;
		struct store *st = import_dir(dir, &id);
		CU_ASSERT_FATAL(st != NULL);
		struct store_iter *it;
		CU_ASSERT_FATAL(store_iter_open(st, id, -1, &it, NULL) == 0);
		struct trace_event ev;
		int allocs = 0;
		while (store_iter_next(it, &ev, NULL) == 1)
			allocs += ev.api == VRT_API_cuMemAlloc_v2;
		store_iter_free(it);
		CU_ASSERT_EQUAL(allocs, 2);
		store_close(st);
	}
}

/* Replay of a trace: the most memory any device held beyond contexts. */
static uint64_t replay_peak(struct store *st, int64_t id)
{
	struct sim_config cfg;
	sim_config_init(&cfg);
	char *cause = NULL;
	CU_ASSERT_FATAL(topo_parse("1x100G", &cfg.topo, &cause) == 0);
	cfg.on_oom = SIM_OOM_CONTINUE;
	struct sim_source *src;
	CU_ASSERT_FATAL(sim_source_store(st, id, &src, &cause) == 0);
	struct sim_result *res = calloc(1, sizeof(*res));
	CU_ASSERT_FATAL(sim_replay(&cfg, src, res, &cause) == 0);
	sim_source_free(src);
	uint64_t peak = 0;
	for (int d = 0; d < res->n_dev; d++) {
		uint64_t p = 0;
		for (int c = 0; c < TRACE_CAT_MAX; c++)
			if (c != TRACE_CAT_CONTEXT)
				p += res->dev[d].peak_used[c];
		if (p > peak)
			peak = p;
	}
	free(res);
	return peak;
}

/* Memory freed by death, not by a call (issue 14): a model swap where the
 * first runner is killed, a VMM pool released with one cuMemUnmap, a
 * stream-ordered pool's reserve, a destroyed context. The replay's peak
 * is what the fake driver had in use. */
static void test_lifetimes(void)
{
	static const char *const modes[] = { "swap", "vmm", "pool", "ctx", "graph", "graphmem",
					     "graphmodel", "graphnode", "graphnodemodel", "managed",
					     "owners" };
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		char name[32];
		snprintf(name, sizeof(name), "life_%s", modes[m]);
		const char *dir = dir_of(name);
		int rc = cu_sh("cd '%s' && env -u CUDA_VISIBLE_DEVICES LD_LIBRARY_PATH='%s' "
			       "LD_PRELOAD='%s' VRAMSIM_OUT='%s/%%e.%%p.vrt.zst' VRAMSIM_SNAPSHOT_MS=0 "
			       "FAKECUDA_DEVICES=1024 '%s/prog_lifetime' %s >out 2>err", dir, fake,
			       preload, dir, fake, modes[m]);
		if (rc != 0)
			cu_sh("cat '%s/err' >&2", dir);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		char outp[1200];
		snprintf(outp, sizeof(outp), "%s/out", dir);
		FILE *f = fopen(outp, "r");
		unsigned long long want = 0;
		CU_ASSERT_FATAL(f && fscanf(f, "peak %llu\n", &want) == 1);
		char apis[1024] = "";
		if (!fgets(apis, sizeof(apis), f) || strncmp(apis, "apis ", 5) != 0)
			apis[0] = '\0';
		fclose(f);
		int64_t id;
		struct store *st = import_dir(dir, &id);
		CU_ASSERT_FATAL(st != NULL);
		/* The calls the program names are in the trace, succeeded. */
		for (char *save = NULL, *w = strtok_r(apis[0] ? apis + 5 : apis, " \n", &save); w;
		     w = strtok_r(NULL, " \n", &save)) {
			int api = vrt_api_find(w), seen = 0;
			struct store_iter *it;
			CU_ASSERT_FATAL(store_iter_open(st, id, -1, &it, NULL) == 0);
			struct trace_event ev;
			while (store_iter_next(it, &ev, NULL) == 1)
				seen |= api && ev.api == api && ev.result == 0;
			store_iter_free(it);
			if (!seen)
				fprintf(stderr, "\n%s: no %s in the trace\n", modes[m], w);
			CU_ASSERT(seen);
		}
		uint64_t got = replay_peak(st, id);
		if (got != want)
			fprintf(stderr, "\n%s: replay peak %llu MiB, the fake driver's %llu MiB\n",
				modes[m], (unsigned long long)(got >> 20), want >> 20);
		CU_ASSERT_EQUAL(got, want);
		store_close(st);
	}
}

/* tests/gpu/run.sh cannot rot: its arguments, and (where nvcc is) that
 * every program it runs on a GPU compiles against the toolkit. */
static void test_gpu_script(void)
{
	const char *dir = dir_of("gpu");
	CU_ASSERT_EQUAL(cu_sh("sh tests/gpu/run.sh --help | grep -q -- --compile-only"), 0);
	CU_ASSERT_EQUAL(cu_sh("sh tests/gpu/run.sh --bogus 2>/dev/null"), 2);
	CU_ASSERT_EQUAL(cu_sh("sh tests/gpu/run.sh --out 2>/dev/null"), 2);
	CU_ASSERT_EQUAL(cu_sh("sh tests/gpu/run.sh --out '%s' 2>/dev/null", dir), 2); /* exists */
	if (cu_sh("command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]") != 0) {
		printf("\n    skipped --compile-only: no nvcc here ");
		return;
	}
	int rc = cu_sh("sh tests/gpu/run.sh --compile-only --out '%s/out' >'%s/log' 2>&1", dir, dir);
	if (rc != 0)
		cu_sh("cat '%s/log' >&2", dir);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(cu_sh("cd '%s/out' && test -x gpa && test -x apis && test -x alloc_static && "
			      "test -x alloc_shared && test -x vmm && test -x pool", dir), 0);
}

/* A plugin loaded with RTLD_DEEPBIND binds to the driver before the shim:
 * its calls are recorded all the same, the program unchanged (issue 14). */
static void test_deepbind(void)
{
	if (strstr(preload, "libasan")) {
		/* The sanitizer runtime refuses RTLD_DEEPBIND (it dies: google/
		 * sanitizers issue 611), traced or not. */
		printf("\n    skipped under a sanitizer (it refuses RTLD_DEEPBIND) ");
		return;
	}
	char prog[2200];
	snprintf(prog, sizeof(prog), "prog_deep 6 '%s/libdeep_plugin.so' '%s/libdeep_lazy.so'", fake,
		 fake);
	run_and_compare("deepbind", NULL, prog, 0);
}

static void test_chain(void)
{
	char extra[4400];
	/* Another interposer after the shim, then before it. */
	snprintf(extra, sizeof(extra), "LD_PRELOAD='%s:%s/libchain.so'", preload, fake);
	run_and_compare("chain_after", extra, "prog_chain 20", 0);
	const char *asan = strstr(preload, "libasan") ? preload : NULL;
	char first[1024] = "";
	if (asan)
		snprintf(first, sizeof(first), "%.*s", (int)(strchr(preload, ':') - preload),
			 preload);
	snprintf(extra, sizeof(extra), "LD_PRELOAD='%s%s%s/libchain.so:%s'", first,
		 first[0] ? ":" : "", fake, shim);
	run_and_compare("chain_before", extra, "prog_chain 20", 0);
}

static void test_unwritable(void)
{
	/* The program is unaffected; one warning, then silence. */
	const char *dir = dir_of("unwritable");
	int rc = run(dir, "VRAMSIM_OUT=/nonexistent/dir/%p.vrt.zst", "prog_direct");
	CU_ASSERT_EQUAL(rc, 0);
	char err[1100];
	snprintf(err, sizeof(err), "%s/err", dir);
	CU_ASSERT_EQUAL(cu_sh("[ \"$(grep -c '^vramsim: warning: cannot create' '%s')\" = 1 ]",
			      err), 0);
	CU_ASSERT_EQUAL(cu_sh("[ \"$(grep -c vramsim '%s')\" = 1 ]", err), 0);
}

static void test_disabled(void)
{
	const char *dir = dir_of("disabled");
	CU_ASSERT_EQUAL(run(dir, "VRAMSIM_DISABLE=1", "prog_direct"), 0);
	CU_ASSERT_EQUAL(nfiles(dir), 0);
}

/* ---- the toolkit's real runtime over the fake driver ---- */

struct want_lookup {
	const char *symbol;
	int version;
	uint64_t flags;
	const char *wrapper;
};

/* What the CUDA 13.0 runtime asks for (cuda-interception reference,
 * section 10) and the wrapper that is right for it. */
static const struct want_lookup rt_wants[] = {
	{ "cuMemAlloc", 3020, 0, "cuMemAlloc_v2" },
	{ "cuMemFree", 3020, 0, "cuMemFree_v2" },
	{ "cuMemAllocAsync", 11020, 0, "cuMemAllocAsync" },
	{ "cuMemAllocAsync", 11020, 2, "cuMemAllocAsync_ptsz" },
	{ "cuMemFreeAsync", 11020, 0, "cuMemFreeAsync" },
	{ "cuMemFreeAsync", 11020, 2, "cuMemFreeAsync_ptsz" },
	{ "cuMemAllocFromPoolAsync", 11020, 2, "cuMemAllocFromPoolAsync_ptsz" },
	{ "cuMemAllocManaged", 6000, 0, "cuMemAllocManaged" },
	{ "cuMemHostAlloc", 2020, 0, "cuMemHostAlloc" },
	{ "cuMemFreeHost", 2000, 0, "cuMemFreeHost" },
	{ "cuDevicePrimaryCtxRetain", 7000, 0, "cuDevicePrimaryCtxRetain" },
};

static void check_real(const char *prog)
{
	char bin[1200];
	snprintf(bin, sizeof(bin), "%s/%s", fake, prog);
	if (access(bin, X_OK) != 0) {
		printf("\n  skipped: %s not built (no nvcc when the tests were built)\n", prog);
		return;
	}
	const char *dir = dir_of(prog);
	/* A driver newer than any toolkit: a newer runtime must not refuse it
	 * before its look-up phase. */
	CU_ASSERT_EQUAL_FATAL(run(dir, "FAKECUDA_DRIVER_VERSION=99000", prog), 0);
	char pat[1100];
	snprintf(pat, sizeof(pat), "%s/*.vrt.zst", dir);
	glob_t g;
	CU_ASSERT_FATAL(glob(pat, 0, NULL, &g) == 0 && g.gl_pathc == 1);
	char *data = NULL, *cause = NULL;
	size_t len;
	CU_ASSERT_FATAL(util_read_file(g.gl_pathv[0], &data, &len, &cause) == 0);
	globfree(&g);
	struct vrt_reader *r;
	CU_ASSERT_FATAL(vrt_reader_open(data, len, &r) == 0);
	int seen[sizeof(rt_wants) / sizeof(rt_wants[0])] = { 0 };
	int boot = 0, total = 0, wrong = 0;
	struct vrt_rec rec;
	while (vrt_reader_next(r, &rec) == 1) {
		if (rec.type != VRT_REC_LOOKUP)
			continue;
		const struct vrt_lookup *lu = &rec.u.lu;
		total++;
		if (lu->via == VRT_VIA_DLSYM && strcmp(lu->symbol, "cuGetProcAddress_v2") == 0)
			boot |= lu->wrapped == VRT_API_cuGetProcAddress_v2;
		for (size_t i = 0; i < sizeof(rt_wants) / sizeof(rt_wants[0]); i++) {
			const struct want_lookup *w = &rt_wants[i];
			if (lu->via == VRT_VIA_DLSYM || strcmp(lu->symbol, w->symbol) != 0 ||
			    lu->version != w->version || lu->flags != w->flags)
				continue;
			seen[i] = 1;
			if (lu->result != 0 || lu->wrapped != vrt_api_find(w->wrapper)) {
				fprintf(stderr, "%s: %s %d flags %llu: got wrapper %s\n", prog,
					w->symbol, w->version, (unsigned long long)w->flags,
					lu->wrapped ? vrt_api_name(lu->wrapped) : "(none)");
				wrong++;
			}
		}
	}
	vrt_reader_free(r);
	free(data);
	CU_ASSERT(boot);
	CU_ASSERT(total > 100);
	CU_ASSERT_EQUAL(wrong, 0);
	/* The ones the reference lists are asked for by this runtime. */
	for (size_t i = 0; i < 7; i++) {
		if (!seen[i])
			fprintf(stderr, "%s: never asked for %s %d flags %llu\n", prog,
				rt_wants[i].symbol, rt_wants[i].version,
				(unsigned long long)rt_wants[i].flags);
		CU_ASSERT(seen[i]);
	}
}

static void test_real_runtime_static(void)
{
	check_real("rt_real_static");
}

static void test_real_runtime_shared(void)
{
	check_real("rt_real_shared");
}

static int suite_init(void)
{
	if (setup())
		return -1;
	char p[1100];
	snprintf(p, sizeof(p), "%s/prog_direct", fake);
	if (access(shim, R_OK) != 0 || access(p, X_OK) != 0) {
		fprintf(stderr, "test_shim: %s or %s missing (make check builds them)\n", shim, p);
		return -1;
	}
	return 0;
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("shim", suite_init, NULL);
	CU_ADD(s, test_direct);
	CU_ADD(s, test_visible_devices);
	CU_ADD(s, test_loader);
	CU_ADD(s, test_runtime);
	CU_ADD(s, test_threads);
	CU_ADD(s, test_fork_exec);
	CU_ADD(s, test_exit_without_handlers);
	CU_ADD(s, test_sigkill);
	CU_ADD(s, test_chain);
	CU_ADD(s, test_descriptors);
	CU_ADD(s, test_constructor_deadlock);
	CU_ADD(s, test_lifetimes);
	CU_ADD(s, test_deepbind);
	CU_ADD(s, test_gpu_script);
	CU_ADD(s, test_unwritable);
	CU_ADD(s, test_disabled);
	CU_ADD(s, test_real_runtime_static);
	CU_ADD(s, test_real_runtime_shared);
}

CUTEST_MAIN(register_tests)
