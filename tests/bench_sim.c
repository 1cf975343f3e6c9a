/*
 * bench_sim.c - throughput of the store and the simulator on a synthetic
 * PyTorch-like trace (many short allocations on 2 devices), beside the
 * floors measured in the same run: a bare SQLite insert loop and a bare
 * SELECT scan. Prints one figure per line; never asserts.
 *
 * usage: bench_sim [N_EVENTS] [STORE_PATH]
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <zstd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imp.h"
#include "llm.h"
#include "plot.h"
#include "vrt.h"
#include "sim.h"
#include "sim_source.h"
#include "store.h"
#include "util.h"

static double secs(int64_t a, int64_t b)
{
	return (double)(b - a) / 1e9;
}

static long rss_mib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

/* The synthetic workload: alloc/free pairs with up to 64 live blocks on
 * each of 2 devices, sizes 512 B .. 16 MiB. Event i is a pure function
 * of i and the running state, so big runs need no array. */
struct gen {
	uint64_t live[2][64];
	uint64_t next;
	unsigned seed;
};

static void gen_next(struct gen *g, int64_t i, struct trace_event *e)
{
	g->seed = g->seed * 1103515245u + 12345u;
	int d = (g->seed >> 8) & 1, slot = (g->seed >> 9) & 63;
	trace_event_init(e, 0, i * 100);
	e->seq = i + 1;
	e->device = (int16_t)d;
	if (g->live[d][slot]) {
		e->kind = TRACE_FREE;
		e->addr = g->live[d][slot];
		g->live[d][slot] = 0;
	} else {
		e->kind = TRACE_ALLOC;
		e->category = TRACE_CAT_ACTIVATION;
		e->size = 512ull << ((g->seed >> 16) & 15);
		e->addr = g->live[d][slot] = (g->next += 1 << 21);
	}
}

/* Write n generated events as a native .vrt.zst file, as the shim would. */
static int write_vrt(const char *path, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	struct ZSTD_CCtx_s *cc = vrt_cctx_new(3);
	size_t cap = 1 << 16;
	uint8_t *raw = util_xmalloc(cap + 4 * VRT_HDR_PIECE_MAX), *chunk = util_xmalloc(cap);
	size_t zcap = vrt_frame_bound(cap + 4 * VRT_HDR_PIECE_MAX);
	void *z = util_xmalloc(zcap);
	struct vrt_header h = { .major = 1, .minor = 0, .pid = 4242, .ppid = 1 };
	snprintf(h.exe, sizeof(h.exe), "/usr/bin/bench");
	size_t hl = vrt_header_encode(raw, cap, &h);
	int rc = vrt_write_frame(fd, cc, raw, hl, z, zcap);
	uint16_t api_alloc = (uint16_t)vrt_api_find("cuMemAlloc_v2");
	uint16_t api_free = (uint16_t)vrt_api_find("cuMemFree_v2");
	struct gen g = { .seed = 1, .next = 0x7f0000000000ull };
	struct vrt_enc enc = { .buf = chunk, .cap = cap };
	uint64_t frame = 1;
	size_t i = 0;
	int64_t t = 0;
	while (!rc && i < n) {
		vrt_enc_reset(&enc, t);
		if (frame == 1) {
			for (int d = 0; d < 2; d++) {
				struct vrt_device dv = { .ordinal = d, .total = 80ull << 30 };
				dv.uuid[0] = (uint8_t)(d + 1);
				snprintf(dv.name, sizeof(dv.name), "Bench GPU %d", d);
				vrt_enc_device(&enc, t, &dv);
			}
		}
		for (; i < n; i++) {
			struct trace_event e;
			gen_next(&g, (int64_t)i, &e);
			struct vrt_event ve = { .api = e.kind == TRACE_ALLOC ? api_alloc : api_free,
						.dev = e.device, .req = e.size, .size = e.size,
						.addr = e.addr };
			if (vrt_enc_event(&enc, e.t_ns, &ve))
				break;
			t = e.t_ns;
		}
		size_t off = vrt_put_frame(raw, frame++, t);
		off += vrt_put_chunk(raw + off, 1, enc.base_t, enc.len);
		memcpy(raw + off, chunk, enc.len);
		off += enc.len;
		if (i == n)
			off += vrt_put_end(raw + off, n, 0, VRT_END_EXIT);
		rc = vrt_write_frame(fd, cc, raw, off, z, zcap);
	}
	ZSTD_freeCCtx((ZSTD_CCtx *)cc);
	free(raw);
	free(chunk);
	free(z);
	close(fd);
	return rc;
}

static long hwm_mib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024;
}

/* n events streamed into a store and replayed from it, in a child process
 * so its peak RSS is its own; and a plot of the first 10M. */
static void big_run(const char *path, size_t n)
{
	pid_t pid = fork();
	if (pid != 0) {
		int st;
		waitpid(pid, &st, 0);
		return;
	}
	unlink(path);
	struct store *st;
	int64_t id;
	if (store_open(path, STORE_CREATE, &st, NULL) || store_begin(st, NULL) ||
	    store_trace_new(st, "big", NULL, "bench", NULL, 0, &id, NULL))
		_exit(1);
	struct gen g = { .seed = 7, .next = 0x7f0000000000ull };
	int64_t t0 = util_now_ns();
	for (size_t i = 0; i < n; i++) {
		struct trace_event e;
		gen_next(&g, (int64_t)i, &e);
		store_event_add(st, id, &e, NULL);
	}
	store_commit(st, NULL);
	int64_t t1 = util_now_ns();
	struct stat sb;
	stat(path, &sb);
	printf("%zuM events into a store: %.2f M events/s, %.1f bytes/event\n", n / 1000000,
	       n / secs(t0, t1) / 1e6, (double)sb.st_size / n);
	struct sim_config cfg;
	sim_config_init(&cfg);
	topo_parse("2x80G", &cfg.topo, NULL);
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	struct sim_source *src;
	t0 = util_now_ns();
	if (sim_source_store(st, id, &src, NULL) == 0) {
		sim_replay(&cfg, src, res, NULL);
		sim_source_free(src);
	}
	t1 = util_now_ns();
	printf("%zuM events replayed streaming from the store: %.2f M events/s, peak RSS %ld MiB\n",
	       n / 1000000, res->n_events / secs(t0, t1) / 1e6, hwm_mib());
	store_close(st);
	free(res);
	unlink(path);
	fflush(stdout);
	_exit(0);
}

/* vramsim plot's work for 10M events: replay with the downsampling
 * observer, then gnuplot, end to end. */
static void plot_run(const char *store_path_, size_t n)
{
	pid_t pid = fork();
	if (pid != 0) {
		int st;
		waitpid(pid, &st, 0);
		return;
	}
	struct store *st;
	int64_t id;
	unlink(store_path_);
	if (store_open(store_path_, STORE_CREATE, &st, NULL) || store_begin(st, NULL) ||
	    store_trace_new(st, "plot", NULL, "bench", NULL, 0, &id, NULL))
		_exit(1);
	struct gen g = { .seed = 3, .next = 0x7f0000000000ull };
	for (size_t i = 0; i < n; i++) {
		struct trace_event e;
		gen_next(&g, (int64_t)i, &e);
		store_event_add(st, id, &e, NULL);
	}
	store_commit(st, NULL);
	setenv("VRAMSIM_PLOTS_DIR", "plots", 0);
	struct sim_config cfg;
	sim_config_init(&cfg);
	topo_parse("2x80G", &cfg.topo, NULL);
	struct sim_result *res = util_xcalloc(1, sizeof(*res));
	struct plot_timeline *tl = plot_timeline_new(2);
	cfg.obs = plot_timeline_observer(tl);
	int64_t t0 = util_now_ns();
	struct sim_source *src;
	char **files = NULL;
	int nf = 0;
	char out[] = "/tmp/vramsim-bench-plot.png";
	struct plot_meta m = { .trace_name = "bench" };
	int rc = sim_source_store(st, id, &src, NULL);
	if (!rc) {
		sim_replay(&cfg, src, res, NULL);
		sim_source_free(src);
		rc = plot_timeline_write(tl, res, &m, out, 1, &files, &nf, NULL);
	}
	int64_t t1 = util_now_ns();
	printf("plot of %zuM events (replay + downsampling + gnuplot): %.2f s%s\n", n / 1000000,
	       secs(t0, t1), rc ? " (gnuplot failed)" : "");
	for (int i = 0; i < nf; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	free(files);
	plot_timeline_free(tl);
	store_close(st);
	unlink(store_path_);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/vramsim-bench.db";
	struct trace_event *ev = util_xcalloc(n, sizeof(*ev));
	struct gen g = { .seed = 1, .next = 0x7f0000000000ull };
	for (size_t i = 0; i < n; i++)
		gen_next(&g, (int64_t)i, &ev[i]);
	struct sim_config cfg;
	sim_config_init(&cfg);
	topo_parse("2x80G", &cfg.topo, NULL);
	struct sim_result *res = util_xcalloc(1, sizeof(*res));

	/* Best of three: the first run also pays the page faults of growing
	 * the address map, which a long replay pays once. */
	double best = 0;
	int64_t t0, t1;
	struct sim_source *src;
	for (int r = 0; r < 3; r++) {
		t0 = util_now_ns();
		src = sim_source_array(ev, n);
		sim_replay(&cfg, src, res, NULL);
		sim_source_free(src);
		t1 = util_now_ns();
		if (n / secs(t0, t1) > best)
			best = n / secs(t0, t1);
	}
	printf("replay in memory: %.1f M events/s (%zu events, best of 3)\n", best / 1e6, n);

	unlink(path);
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	struct store *st;
	char *cause = NULL;
	if (store_open(path, STORE_CREATE, &st, &cause)) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	int64_t id;
	t0 = util_now_ns();
	store_begin(st, NULL);
	store_trace_new(st, "bench", NULL, "bench", NULL, 0, &id, NULL);
	for (size_t i = 0; i < n; i++)
		store_event_add(st, id, &ev[i], NULL);
	store_commit(st, NULL);
	t1 = util_now_ns();
	printf("store insert: %.2f M events/s\n", n / secs(t0, t1) / 1e6);

	/* floor: the same rows through a bare prepared INSERT into a plain table */
	sqlite3 *db = store_sqlite(st);
	sqlite3_exec(db, "CREATE TABLE floor(a,b,c,d,e,f,g)", NULL, NULL, NULL);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "INSERT INTO floor VALUES(?,?,?,?,?,?,?)", -1, &s, NULL);
	t0 = util_now_ns();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, ev[i].t_ns);
		sqlite3_bind_int(s, 2, ev[i].kind);
		sqlite3_bind_int(s, 3, ev[i].device);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)ev[i].size);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)ev[i].addr);
		sqlite3_bind_int(s, 6, ev[i].category);
		sqlite3_bind_int64(s, 7, ev[i].seq);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	t1 = util_now_ns();
	sqlite3_finalize(s);
	printf("  floor, bare SQLite insert loop: %.2f M rows/s\n", n / secs(t0, t1) / 1e6);
	sqlite3_prepare_v2(db, "SELECT a, b, c, d, e FROM floor", -1, &s, NULL);
	uint64_t sink = 0;
	t0 = util_now_ns();
	while (sqlite3_step(s) == SQLITE_ROW)
		sink += (uint64_t)sqlite3_column_int64(s, 3);
	t1 = util_now_ns();
	sqlite3_finalize(s);
	double scan_floor = n / secs(t0, t1) / 1e6;
	sqlite3_exec(db, "DROP TABLE floor; VACUUM", NULL, NULL, NULL);
	struct stat sb;
	stat(path, &sb);
	printf("store size: %.1f bytes/event (a SQLite row of the same fields: ~36)\n",
	       (double)sb.st_size / n);

	t0 = util_now_ns();
	if (sim_source_store(st, id, &src, NULL) == 0) {
		sim_replay(&cfg, src, res, NULL);
		sim_source_free(src);
	}
	t1 = util_now_ns();
	printf("replay from the store: %.2f M events/s\n", n / secs(t0, t1) / 1e6);
	printf("  floor, bare SELECT scan of the same rows: %.2f M rows/s%s\n", scan_floor,
	       sink ? "" : " ");

	/* a native file written as the shim writes it, imported */
	const char *vrt = "/tmp/vramsim-bench.vrt.zst";
	if (write_vrt(vrt, n) == 0) {
		struct stat vs;
		stat(vrt, &vs);
		printf("native file: %.2f bytes/event\n", (double)vs.st_size / n);
		struct imp_ctx ir;
		struct imp_opts io = { .quiet = 1 };
		char *why = NULL;
		t0 = util_now_ns();
		int r = imp_file(st, vrt, &io, &ir, &why);
		t1 = util_now_ns();
		if (r)
			printf("native import failed: %s\n", why);
		else
			printf("import native file -> store: %.2f M events/s\n", n / secs(t0, t1) / 1e6);
		free(why);
		free(ir.summary);
		unlink(vrt);
	}

	store_close(st);

	/* fit: scenario evaluations per second for an 80-layer model */
	struct llm_load *ld = util_xcalloc(1, sizeof(*ld));
	llm_from_spec("layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G", ld, NULL);
	struct llm_scenario sc;
	llm_scenario_init(&sc);
	topo_parse("4x24G", &cfg.topo, NULL);
	int layers[TOPO_MAX_GPUS], k = 0;
	t0 = util_now_ns();
	for (; k < 20000; k++) {
		struct trace_event *e;
		size_t m;
		sc.ctx = 256u * (uint64_t)(1 + k % 256);
		llm_build(ld, &sc, &cfg.topo, &e, &m, layers, NULL, 0, NULL);
		src = sim_source_array(e, m);
		sim_replay(&cfg, src, res, NULL);
		sim_source_free(src);
		free(e);
	}
	t1 = util_now_ns();
	printf("fit: %.0f scenarios/s (80-layer model, 4 GPUs, one core)\n", k / secs(t0, t1));
	printf("peak RSS of the runs above: %ld MiB\n", rss_mib());
	size_t big = getenv("BENCH_BIG") ? strtoull(getenv("BENCH_BIG"), NULL, 10) : 100000000;
	if (big) {
		fflush(stdout);
		big_run("/tmp/vramsim-bench-big.db", big);
	}
	fflush(stdout);
	plot_run("/tmp/vramsim-bench-plot.db", 10000000);
	free(ld);
	free(res);
	free(ev);
	unlink(path);
	unlink(wal);
	return 0;
}
