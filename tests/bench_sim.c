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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llm.h"
#include "replay.h"
#include "source.h"
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

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/vramsim-bench.db";
	struct trace_event *ev = util_xcalloc(n, sizeof(*ev));
	/* alloc/free pairs with up to 64 live blocks per device */
	uint64_t live[2][64] = { { 0 } };
	uint64_t next = 0x7f0000000000ull;
	unsigned seed = 1;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		int d = (seed >> 8) & 1, slot = (seed >> 9) & 63;
		trace_event_init(&ev[i], 0, (int64_t)i * 100);
		ev[i].seq = (int64_t)i + 1;
		ev[i].device = (int16_t)d;
		if (live[d][slot]) {
			ev[i].kind = TRACE_FREE;
			ev[i].addr = live[d][slot];
			live[d][slot] = 0;
		} else {
			ev[i].kind = TRACE_ALLOC;
			ev[i].category = TRACE_CAT_ACTIVATION;
			ev[i].size = 512ull << ((seed >> 16) & 15);
			ev[i].addr = live[d][slot] = (next += 1 << 21);
		}
	}
	struct sim_config cfg;
	sim_config_init(&cfg);
	topo_parse("2x80G", &cfg.topo, NULL);
	struct sim_result *res = util_xcalloc(1, sizeof(*res));

	int64_t t0 = util_now_ns();
	struct sim_source *src = sim_source_array(ev, n);
	sim_replay(&cfg, src, res, NULL);
	sim_source_free(src);
	int64_t t1 = util_now_ns();
	printf("replay in memory: %.1f M events/s (%zu events)\n", n / secs(t0, t1) / 1e6, n);

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
	printf("peak RSS: %ld MiB\n", rss_mib());
	free(ld);
	free(res);
	free(ev);
	unlink(path);
	unlink(wal);
	return 0;
}
