/*
 * test_sim.c - topology parsing, the event queue, replay accounting and
 * the llama.cpp placement rules, with expectations computed by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "llm.h"
#include "queue.h"
#include "sim.h"
#include "store.h"
#include "topo.h"
#include "util.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void test_topo_sizes(void)
{
	uint64_t b;
	CU_ASSERT_EQUAL(topo_parse_size("24G", 1, &b, NULL), 0);
	CU_ASSERT_EQUAL(b, 24 * GiB);
	CU_ASSERT_EQUAL(topo_parse_size("512MiB", 1, &b, NULL), 0);
	CU_ASSERT_EQUAL(b, 512 * MiB);
	CU_ASSERT_EQUAL(topo_parse_size("1.5g", 1, &b, NULL), 0);
	CU_ASSERT_EQUAL(b, 3 * GiB / 2);
	CU_ASSERT_EQUAL(topo_parse_size("100B", 1, &b, NULL), 0);
	CU_ASSERT_EQUAL(b, 100);
	/* a bare number is no size: 24 is as likely GiB as bytes */
	const char *bad[] = { "", "-1G", "24Q", "G", "0", "1e400G", "nanG", "100", "24" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = NULL;
		CU_ASSERT_EQUAL(topo_parse_size(bad[i], 1, &b, &cause), UTIL_EINPUT);
		CU_ASSERT_PTR_NOT_NULL(cause);
		free(cause);
	}
}

static void test_topo_specs(void)
{
	struct topo t;
	char buf[64];
	CU_ASSERT_EQUAL(topo_parse("4x24G", &t, NULL), 0);
	CU_ASSERT_EQUAL(t.n, 4);
	CU_ASSERT_EQUAL(t.capacity[3], 24 * GiB);
	CU_ASSERT_EQUAL(topo_parse("2x24G,1x12G", &t, NULL), 0);
	CU_ASSERT_EQUAL(t.n, 3);
	CU_ASSERT_EQUAL(t.capacity[2], 12 * GiB);
	CU_ASSERT_STRING_EQUAL(topo_format(&t, buf, sizeof(buf)), "2x24G,1x12G");
	CU_ASSERT_EQUAL(topo_parse("24G", &t, NULL), 0);
	CU_ASSERT_EQUAL(t.n, 1);
	CU_ASSERT_EQUAL(topo_parse("80G,2x24G", &t, NULL), 0);
	CU_ASSERT_STRING_EQUAL(topo_format(&t, buf, sizeof(buf)), "1x80G,2x24G");
	const char *bad[] = { "4x", "0x24G", "4x24Q", "-1x8G", "", "x24G", "4x24G,", "300x1G", "4x0G" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = NULL;
		CU_ASSERT_EQUAL(topo_parse(bad[i], &t, &cause), UTIL_EINPUT);
		CU_ASSERT_PTR_NOT_NULL(cause);
		free(cause);
	}
}

/* Op-script for the queue: push (t,pid,seq) triples, pop all, expect order. */
static void test_queue_order(void)
{
	static const int64_t pushes[][3] = {
		{ 5, 1, 1 }, { 1, 2, 9 }, { 5, 0, 3 }, { 5, 0, 2 }, { 0, 9, 9 }, { 5, 1, 0 }, { 3, 3, 3 },
	};
	static const int64_t expect[][3] = {
		{ 0, 9, 9 }, { 1, 2, 9 }, { 3, 3, 3 }, { 5, 0, 2 }, { 5, 0, 3 }, { 5, 1, 0 }, { 5, 1, 1 },
	};
	struct queue *q = queue_new();
	for (size_t i = 0; i < 7; i++) {
		struct queue_item it = { pushes[i][0], (int32_t)pushes[i][1], pushes[i][2], (uint32_t)i };
		queue_push(q, &it);
	}
	struct queue_item out;
	for (size_t i = 0; i < 7; i++) {
		CU_ASSERT_EQUAL_FATAL(queue_pop(q, &out), 1);
		CU_ASSERT_EQUAL(out.t_ns, expect[i][0]);
		CU_ASSERT_EQUAL(out.pid, expect[i][1]);
		CU_ASSERT_EQUAL(out.seq, expect[i][2]);
	}
	CU_ASSERT_EQUAL(queue_pop(q, &out), 0);
	/* many items come out sorted */
	srand(7);
	for (int i = 0; i < 5000; i++) {
		struct queue_item it = { rand() % 100, rand() % 4, i, 0 };
		queue_push(q, &it);
	}
	struct queue_item prev;
	queue_pop(q, &prev);
	int sorted = 1;
	while (queue_pop(q, &out)) {
		sorted &= queue_cmp(&prev, &out) <= 0;
		prev = out;
	}
	CU_ASSERT(sorted);
	queue_free(q);
}


static int run(const struct trace_event *ev, size_t n, struct sim_config *cfg, struct sim_result *r)
{
	struct sim_source *s = sim_source_array(ev, n);
	int rc = sim_replay(cfg, s, r, NULL);
	sim_source_free(s);
	return rc;
}

static void test_replay_alloc_free_peak(void)
{
	struct trace_event ev[] = {
		cu_event(TRACE_ALLOC, 1, 0, TRACE_CAT_WEIGHTS, 100 * MiB, 0x1000),
		cu_event(TRACE_ALLOC, 2, 0, TRACE_CAT_ACTIVATION, 50 * MiB, 0x2000),
		cu_event(TRACE_FREE, 3, 0, 0, 0, 0x2000),
		cu_event(TRACE_ALLOC, 4, 0, TRACE_CAT_ACTIVATION, 20 * MiB, 0x3000),
		cu_event(TRACE_FREE, 5, 0, 0, 0, 0xdead), /* unknown */
		cu_event(TRACE_ALLOC, 6, -1, TRACE_CAT_HOST, 7 * MiB, 0x4000),
	};
	struct sim_config cfg;
	sim_config_init(&cfg);
	topo_parse("1G", &cfg.topo, NULL);
	cfg.reserve = 10 * MiB;
	struct sim_result *r = calloc(1, sizeof(*r));
	CU_ASSERT_EQUAL(run(ev, 6, &cfg, r), 0);
	CU_ASSERT_EQUAL(r->dev[0].peak, 160 * MiB);   /* 10 + 100 + 50 */
	CU_ASSERT_EQUAL(r->dev[0].peak_t, 2);
	CU_ASSERT_EQUAL(r->dev[0].peak_used[TRACE_CAT_ACTIVATION], 50 * MiB);
	CU_ASSERT_EQUAL(r->dev[0].total, 130 * MiB);
	CU_ASSERT_EQUAL(r->n_unmatched, 1);
	CU_ASSERT_EQUAL(r->host.peak, 7 * MiB);
	CU_ASSERT_FALSE(r->has_oom);
	/* on 150 MiB the 50 MiB block is the first to fail */
	topo_parse("150M", &cfg.topo, NULL);
	CU_ASSERT_EQUAL(run(ev, 6, &cfg, r), 0);
	CU_ASSERT(r->has_oom);
	CU_ASSERT_EQUAL(r->first_oom.t_ns, 2);
	CU_ASSERT_EQUAL(r->first_oom.size, 50 * MiB);
	CU_ASSERT_EQUAL(r->first_oom.free, 40 * MiB);
	CU_ASSERT(r->stopped);
	/* continue: drops it and goes on; spill: moves it to the host */
	cfg.on_oom = SIM_OOM_CONTINUE;
	CU_ASSERT_EQUAL(run(ev, 6, &cfg, r), 0);
	CU_ASSERT_EQUAL(r->dev[0].peak, 130 * MiB);
	cfg.on_oom = SIM_OOM_SPILL;
	CU_ASSERT_EQUAL(run(ev, 6, &cfg, r), 0);
	CU_ASSERT_EQUAL(r->n_spilled, 50 * MiB);
	CU_ASSERT_EQUAL(r->host.peak, 50 * MiB); /* the spilled block, freed at t=3 */
	free(r);
}

static void test_replay_vmm_lifetime(void)
{
	/* create 64 MiB, map it twice, release, unmap once: still live;
	 * unmap the second: gone. Reservations cost nothing. */
	struct trace_event ev[] = {
		cu_event(TRACE_RESERVE, 1, 0, 0, 32 * GiB, 0x7f0000000000ull),
		cu_event(TRACE_CREATE, 2, 0, TRACE_CAT_COMPUTE, 64 * MiB, 0xabc),
		cu_event(TRACE_MAP, 3, 0, 0, 64 * MiB, 0x7f0000000000ull),
		cu_event(TRACE_MAP, 4, 0, 0, 64 * MiB, 0x7f0010000000ull),
		cu_event(TRACE_RELEASE, 5, 0, 0, 0, 0xabc),
		cu_event(TRACE_UNMAP, 6, 0, 0, 64 * MiB, 0x7f0000000000ull),
		cu_event(TRACE_UNMAP, 7, 0, 0, 64 * MiB, 0x7f0010000000ull),
	};
	ev[2].aux = ev[3].aux = 0xabc;
	struct sim_config cfg;
	sim_config_init(&cfg);
	cfg.reserve = 0;
	topo_parse("1G", &cfg.topo, NULL);
	struct sim_result *r = calloc(1, sizeof(*r));
	CU_ASSERT_EQUAL(run(ev, 6, &cfg, r), 0);
	CU_ASSERT_EQUAL(r->dev[0].total, 64 * MiB); /* one mapping left */
	CU_ASSERT_EQUAL(run(ev, 7, &cfg, r), 0);
	CU_ASSERT_EQUAL(r->dev[0].total, 0);
	CU_ASSERT_EQUAL(r->dev[0].peak, 64 * MiB);
	CU_ASSERT_EQUAL(r->n_unmatched, 0);
	free(r);
}

static void test_replay_cuda_model_and_recorded_oom(void)
{
	struct trace_event ev[] = {
		cu_event(TRACE_ALLOC, 1, 0, 0, 1, 0x10),
		cu_event(TRACE_ALLOC, 2, 0, 0, 3 * MiB, 0x20),
		cu_event(TRACE_OOM, 3, 0, TRACE_CAT_COMPUTE, 2 * GiB, 0),
	};
	struct sim_config cfg;
	sim_config_init(&cfg);
	cfg.reserve = 0;
	cfg.model = SIM_MODEL_CUDA;
	topo_parse("1G", &cfg.topo, NULL);
	struct sim_result *r = calloc(1, sizeof(*r));
	CU_ASSERT_EQUAL(run(ev, 3, &cfg, r), 0);
	CU_ASSERT_EQUAL(r->dev[0].peak, 6 * MiB); /* 2 MiB + 4 MiB pages */
	CU_ASSERT(r->has_oom);
	CU_ASSERT(r->first_oom.recorded);
	/* on a bigger GPU the recorded failure would not happen */
	topo_parse("4G", &cfg.topo, NULL);
	CU_ASSERT_EQUAL(run(ev, 3, &cfg, r), 0);
	CU_ASSERT_FALSE(r->has_oom);
	CU_ASSERT_EQUAL(r->n_recorded_oom_ok, 1);
	CU_ASSERT_EQUAL(r->dev[0].peak, 6 * MiB); /* the failed bytes are never kept */
	free(r);
}

static void test_replay_deterministic_reserve_measured(void)
{
	struct trace_event ev[] = {
		cu_event(TRACE_ALLOC, 1, 0, TRACE_CAT_WEIGHTS, 100 * MiB, 0),
		cu_event(TRACE_ALLOC, 2, 1, TRACE_CAT_WEIGHTS, 100 * MiB, 0),
		cu_event(TRACE_ALLOC, 3, 0, TRACE_CAT_CONTEXT, 451 * MiB, 0),
	};
	struct sim_config cfg;
	sim_config_init(&cfg);
	topo_parse("2x1G", &cfg.topo, NULL);
	sim_source_events_context(ev, 3, cfg.measured_context);
	CU_ASSERT(cfg.measured_context[0] && !cfg.measured_context[1]);
	struct sim_result *r = calloc(1, sizeof(*r));
	CU_ASSERT_EQUAL(run(ev, 3, &cfg, r), 0);
	CU_ASSERT_EQUAL(r->dev[0].peak, 551 * MiB);                      /* measured, no default */
	CU_ASSERT_EQUAL(r->dev[1].peak, 100 * MiB + SIM_DEFAULT_RESERVE); /* default reserve */
	/* with 3 devices recorded on 2 GPUs, device 2 wraps onto GPU 0 */
	ev[2].device = 2;
	ev[2].category = TRACE_CAT_WEIGHTS;
	memset(cfg.measured_context, 0, sizeof(cfg.measured_context));
	CU_ASSERT_EQUAL(run(ev, 3, &cfg, r), 0);
	CU_ASSERT(r->wrapped_devices);
	CU_ASSERT_EQUAL(r->dev[0].peak, 551 * MiB + SIM_DEFAULT_RESERVE);
	free(r);
}

/* llama.cpp layer split, by hand: 80 repeating layers + output = 81. */
static void test_llm_assign_rules(void)
{
	int first[4], count[4];
	double even[4] = { 1, 1, 1, 1 };
	/* all 81 on 4 GPUs: x = il/81; cum .25 .5 .75 1: 21,20,20,20 */
	CU_ASSERT_EQUAL(llm_assign(80, 81, even, 4, first, count), 0);
	CU_ASSERT_EQUAL(count[0], 21);
	CU_ASSERT_EQUAL(count[1], 20);
	CU_ASSERT_EQUAL(count[2], 20);
	CU_ASSERT_EQUAL(count[3], 20);
	CU_ASSERT_EQUAL(first[3], 61);          /* the output layer 80 sits on the last GPU */
	/* -ts 3,1 with 41 layers: cum .75,1: il/41 < .75 -> il <= 30: 31 and 10 */
	double ts[2] = { 3, 1 };
	CU_ASSERT_EQUAL(llm_assign(40, 41, ts, 2, first, count), 0);
	CU_ASSERT_EQUAL(count[0], 31);
	CU_ASSERT_EQUAL(count[1], 10);
	/* num_gpu 10 of 81: the last 10 layers (71..80) are offloaded */
	CU_ASSERT_EQUAL(llm_assign(80, 10, even, 2, first, count), 71);
	CU_ASSERT_EQUAL(first[0], 71);
	CU_ASSERT_EQUAL(count[0] + count[1], 10);
	/* a zero proportion gives a GPU no layer (Ollama 37,0) */
	double z[2] = { 37, 0 };
	CU_ASSERT_EQUAL(llm_assign(48, 37, z, 2, first, count), 12);
	CU_ASSERT_EQUAL(count[0], 37);
	CU_ASSERT_EQUAL(count[1], 0);
}

static void test_llm_kv_and_compute_scaling(void)
{
	struct llm_load ld;
	memset(&ld, 0, sizeof(ld));
	ld.n_layer = 61;
	ld.n_head = 128;
	ld.n_vocab = 0;
	ld.cells = 32768;
	ld.parallel = 1;
	ld.ubatch = 256;
	strcpy(ld.type_k, "f16");
	strcpy(ld.type_v, "f16");
	ld.kv_layer = 36 * MiB;
	/* ik_llama #235 run 1: 4465 MiB on a middle GPU = KQ 4096 MiB + 369 MiB rest */
	ld.comp_rest[LLM_ROLE_MID] = 369 * MiB;
	ld.have_role[LLM_ROLE_MID] = 1;
	struct llm_scenario sc;
	llm_scenario_init(&sc);
	CU_ASSERT_EQUAL(llm_compute(&ld, &sc, LLM_ROLE_MID, 0), 4465 * MiB);
	/* ubatch 512: KQ doubles to 8192, rest to 738 */
	sc.ubatch = 512;
	CU_ASSERT_EQUAL(llm_compute(&ld, &sc, LLM_ROLE_MID, 0), 8930 * MiB);
	/* flash attention drops the KQ term */
	sc.flash_attn = 1;
	CU_ASSERT_EQUAL(llm_compute(&ld, &sc, LLM_ROLE_MID, 0), 738 * MiB);
	/* KV: 4x context, q8_0 instead of f16 (34/32 over 2 bytes) */
	llm_scenario_init(&sc);
	sc.ctx = 131072;
	strcpy(sc.kv_type, "q8_0");
	CU_ASSERT_EQUAL(llm_kv_layer(&ld, &sc), (uint64_t)(36.0 * MiB * 4 * (34.0 / 32) / 2));
	CU_ASSERT_DOUBLE_EQUAL(llm_kv_bytes("q4_0"), 18.0 / 32, 1e-12);
	CU_ASSERT_EQUAL(llm_kv_bytes("q9_9"), 0);
}

static void test_llm_build_places_buffers(void)
{
	struct llm_load ld;
	memset(&ld, 0, sizeof(ld));
	ld.n_layer = 3;
	for (int l = 0; l < 3; l++)
		ld.layer_w[l] = 100 * MiB;
	ld.layer_w[3] = 50 * MiB;    /* output */
	ld.host_fixed = 30 * MiB;
	ld.kv_layer = 10 * MiB;
	ld.cells = 1024;
	ld.parallel = 1;
	ld.ubatch = 512;
	ld.flash_attn = 1;
	ld.rec_n_gpu_layers = 4;
	strcpy(ld.type_k, "f16");
	strcpy(ld.type_v, "f16");
	for (int r = 0; r < LLM_ROLES; r++) {
		ld.comp_rest[r] = (uint64_t)(r + 1) * MiB;
		ld.have_role[r] = 1;
	}
	struct llm_scenario sc;
	llm_scenario_init(&sc);
	sc.split[0] = 1;
	sc.split[1] = 1;
	sc.n_split = 2;
	struct topo t;
	topo_parse("2x1G", &t, NULL);
	struct trace_event *ev;
	size_t n;
	int layers[2];
	CU_ASSERT_EQUAL_FATAL(llm_build(&ld, &sc, &t, &ev, &n, layers, NULL, 0, NULL), 0);
	/* 4 layers even: cum .5: il/4 < .5 -> layers 0,1 on GPU0; 2,3(out) on GPU1 */
	CU_ASSERT_EQUAL(layers[0], 2);
	CU_ASSERT_EQUAL(layers[1], 2);
	uint64_t w[2] = { 0 }, kv[2] = { 0 }, comp[2] = { 0 }, host = 0;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].device < 0) {
			host += ev[i].size;
			continue;
		}
		if (ev[i].category == TRACE_CAT_WEIGHTS) w[ev[i].device] += ev[i].size;
		if (ev[i].category == TRACE_CAT_KV) kv[ev[i].device] += ev[i].size;
		if (ev[i].category == TRACE_CAT_COMPUTE) comp[ev[i].device] += ev[i].size;
	}
	CU_ASSERT_EQUAL(w[0], 200 * MiB);
	CU_ASSERT_EQUAL(w[1], 150 * MiB);           /* layer 2 + output */
	CU_ASSERT_EQUAL(kv[0], 20 * MiB);
	CU_ASSERT_EQUAL(kv[1], 10 * MiB);           /* the output layer has no KV */
	CU_ASSERT_EQUAL(comp[0], 1 * MiB);          /* main role */
	CU_ASSERT_EQUAL(comp[1], 3 * MiB);          /* last role */
	CU_ASSERT_EQUAL(host, 30 * MiB);
	free(ev);
	/* num_gpu 2: layers 2 and output on GPUs, 0-1 and their KV on the host */
	sc.n_gpu_layers = 2;
	CU_ASSERT_EQUAL_FATAL(llm_build(&ld, &sc, &t, &ev, &n, layers, NULL, 0, NULL), 0);
	host = 0;
	for (size_t i = 0; i < n; i++)
		if (ev[i].device < 0 && ev[i].category != TRACE_CAT_COMPUTE)
			host += ev[i].size;
	CU_ASSERT_EQUAL(host, 30 * MiB + 200 * MiB + 20 * MiB);
	free(ev);
	/* a split with the wrong number of entries, num_gpu above n_layer+1 */
	char *cause = NULL;
	sc.n_gpu_layers = 5;
	CU_ASSERT_EQUAL(llm_build(&ld, &sc, &t, &ev, &n, layers, NULL, 0, &cause), UTIL_EINPUT);
	free(cause);
	cause = NULL;
	sc.n_gpu_layers = -1;
	sc.n_split = 3;
	CU_ASSERT_EQUAL(llm_build(&ld, &sc, &t, &ev, &n, layers, NULL, 0, &cause), UTIL_EINPUT);
	free(cause);
}

static void test_llm_from_spec(void)
{
	struct llm_load ld;
	char *cause = NULL;
	CU_ASSERT_EQUAL(llm_from_spec("layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G",
				      &ld, NULL), 0);
	CU_ASSERT_EQUAL(ld.n_layer, 80);
	/* KV per layer at 2048 cells, f16: 2048 x 2 x 128 x 8 x 2 B = 8 MiB */
	CU_ASSERT_EQUAL(ld.kv_layer, 8 * MiB);
	uint64_t sum = ld.host_fixed;
	for (int l = 0; l <= 80; l++)
		sum += ld.layer_w[l];
	CU_ASSERT(sum > 42 * GiB - MiB && sum < 42 * GiB + MiB);
	CU_ASSERT_EQUAL(llm_from_spec("layers=80", &ld, &cause), UTIL_EINPUT);
	free(cause);
	cause = NULL;
	CU_ASSERT_EQUAL(llm_from_spec("layers=80,bogus=1", &ld, &cause), UTIL_EINPUT);
	free(cause);
}

/* Three loads of one model at three contexts: the KQ slope is fitted
 * (300 B per cell x token here, not n_head x 4 = 256) and predicts a
 * fourth context exactly. */
static void add_load(struct store *st, int64_t cells, uint64_t compute)
{
	int64_t t;
	char buf[32];
	CU_ASSERT_EQUAL_FATAL(store_trace_new(st, NULL, "m.log", "llamalog", NULL, 0, &t, NULL), 0);
	store_setting_set(st, t, "model", "m", NULL);
	store_setting_set(st, t, "meta.n_layer", "4", NULL);
	store_setting_set(st, t, "meta.n_head", "64", NULL);
	snprintf(buf, sizeof(buf), "%lld", (long long)cells);
	store_setting_set(st, t, "n_ctx", buf, NULL);
	store_setting_set(st, t, "n_ubatch", "512", NULL);
	store_setting_set(st, t, "flash_attn", "0", NULL);
	struct trace_event e = cu_event(TRACE_ALLOC, 1, 0, TRACE_CAT_WEIGHTS, 500 * MiB, 0);
	store_event_add(st, t, &e, NULL);
	e = cu_event(TRACE_ALLOC, 2, 0, TRACE_CAT_COMPUTE, compute, 0);
	store_event_add(st, t, &e, NULL);
}

static void test_llm_compute_fitted_from_loads(void)
{
	struct store *st;
	cu_sh("rm -f '%s'*", cu_tmp("fit.db"));
	CU_ASSERT_EQUAL_FATAL(store_open(cu_tmp("fit.db"), STORE_CREATE, &st, NULL), 0);
	store_begin(st, NULL);
	const uint64_t r = 100000, k = 300, ub = 512;
	add_load(st, 4096, r * ub + k * 4096 * ub);
	add_load(st, 16384, r * ub + k * 16384 * ub);
	add_load(st, 8192, r * ub + k * 8192 * ub);
	store_commit(st, NULL);
	struct llm_load *ld = calloc(1, sizeof(*ld));
	int64_t first;
	CU_ASSERT_EQUAL_FATAL(store_trace_resolve(st, "m.log", &first, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(llm_decompose(st, first, NULL, ld, NULL), 0);
	CU_ASSERT_EQUAL(ld->fit_loads, 3);
	CU_ASSERT_DOUBLE_EQUAL(ld->kq_per_cell_token, 300.0, 1e-6);
	struct llm_scenario sc;
	llm_scenario_init(&sc);
	sc.ctx = 32768;
	CU_ASSERT_EQUAL(llm_compute(ld, &sc, LLM_ROLE_SINGLE, 0), r * ub + k * 32768 * ub);
	free(ld);
	store_close(st);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("topo", NULL, NULL);
	CU_ADD(s, test_topo_sizes);
	CU_ADD(s, test_topo_specs);
	s = CU_add_suite("queue", NULL, NULL);
	CU_ADD(s, test_queue_order);
	s = CU_add_suite("replay", NULL, NULL);
	CU_ADD(s, test_replay_alloc_free_peak);
	CU_ADD(s, test_replay_vmm_lifetime);
	CU_ADD(s, test_replay_cuda_model_and_recorded_oom);
	CU_ADD(s, test_replay_deterministic_reserve_measured);
	s = CU_add_suite("llm", NULL, NULL);
	CU_ADD(s, test_llm_assign_rules);
	CU_ADD(s, test_llm_kv_and_compute_scaling);
	CU_ADD(s, test_llm_build_places_buffers);
	CU_ADD(s, test_llm_from_spec);
	CU_ADD(s, test_llm_compute_fitted_from_loads);
}

CUTEST_MAIN(register_tests)
