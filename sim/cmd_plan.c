/*
 * cmd_plan.c - `vramsim plan`: llama.cpp's own memory plan of a GGUF on
 * virtual GPUs (engine.h), and `vramsim fit --engine-fit`: what
 * `llama-server --fit on` would choose there. Options are llama-server's
 * memory knobs under vramsim's names; the work is in engine.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "engrec.h"
#include "engrow.h"
#include "engtrace.h"
#include "model_src.h"
#include "sim.h"
#include "topo.h"
#include "util.h"

enum {
	O_GPUS = CLI_KEY, O_FREE, O_BACKEND, O_CTX, O_PAR, O_BATCH, O_UBATCH, O_FA, O_KV, O_KVK, O_KVV,
	O_NGL, O_SPLIT, O_SMODE, O_MAIN, O_OT, O_CMOE, O_NCMOE, O_NKVO, O_NOOP, O_SWA, O_UNI, O_NOPP,
	O_OLLAMA, O_CPU, O_FIT, O_FITT, O_FITC, O_LIB, O_JSON, O_MMPROJ, O_ENGFIT, O_SAVE, O_REC, O_MAXCTX, O_RESERVE
};

/* llama-server's memory knobs under vramsim's names (llama.cpp's in brackets). */
static const struct cli_opt plan_opts[] = {
	{ "gpus", O_GPUS, "SPEC", "virtual GPUs, e.g. 4x24G or 2x24G,1x12G (required unless --cpu)", NULL },
	{ "free", O_FREE, "SPEC", "free memory per GPU (default: all); llama.cpp's default split\nfollows it", NULL },
	{ "backend", O_BACKEND, "B", "allocation rules of the GPUs: " ENG_BACKENDS "\n(default cuda; a recorded load's own with --recorded)", ENG_BACKENDS },
	{ "ctx", O_CTX, "N", "context size [-c]; 0: the model's training context", NULL },
	{ "parallel", O_PAR, "N", "sequences [-np]", NULL },
	{ "batch", O_BATCH, "N", "logical batch [-b]", NULL },
	{ "ubatch", O_UBATCH, "N", "physical batch [-ub]", NULL },
	{ "flash-attn", O_FA, "MODE", "flash attention [-fa]: on, off, auto", "on off auto" },
	{ "kv-type", O_KV, "T", "K and V cache type [-ctk/-ctv]: f16, q8_0, q4_0, ...", "f16 q8_0 q4_0 bf16 f32" },
	{ "kv-type-k", O_KVK, "T", "K cache type [-ctk]", "f16 q8_0 q4_0 bf16 f32" },
	{ "kv-type-v", O_KVV, "T", "V cache type [-ctv]", "f16 q8_0 q4_0 bf16 f32" },
	{ "num-gpu", O_NGL, "N", "layers on GPUs [-ngl]; the output layer counts as one", NULL },
	{ "split", O_SPLIT, "A,B,..", "proportions per GPU [-ts]", NULL },
	{ "split-mode", O_SMODE, "M", "layer or none [-sm] (row: refused, not modelled)", "layer none row" },
	{ "main-gpu", O_MAIN, "I", "the GPU of --split-mode none [-mg]", NULL },
	{ "override-tensor", O_OT, "REGEX=DEV", "tensors matching REGEX on DEV [-ot], repeatable;\nDEV: CPU, GPU<i> or CUDA<i>", NULL },
	{ "cpu-moe", O_CMOE, NULL, "all MoE expert tensors on the CPU [--cpu-moe]", NULL },
	{ "n-cpu-moe", O_NCMOE, "N", "the experts of the first N layers on the CPU [--n-cpu-moe]", NULL },
	{ "no-kv-offload", O_NKVO, NULL, "KV cache on the host [-nkvo]", NULL },
	{ "no-op-offload", O_NOOP, NULL, "host weights never computed on a GPU [--no-op-offload]", NULL },
	{ "swa-full", O_SWA, NULL, "full-size sliding-window cache [--swa-full]", NULL },
	{ "kv-unified", O_UNI, NULL, "one KV buffer for all sequences [--kv-unified]", NULL },
	{ "no-pipeline", O_NOPP, NULL, "no pipeline parallelism: one scheduler copy (GPUs without\n"
	  "async compute and events, or GGML_SCHED_MAX_COPIES=1)", NULL },
	{ "ollama-layers", O_OLLAMA, "A,B,..", "Ollama's runner placement: that many repeating layers on\n"
	  "each GPU (the last layers), the output layer on the CPU", NULL },
	{ "cpu", O_CPU, NULL, "plan on the engine's own CPU device only (the reference)", NULL },
	{ "fit", O_FIT, NULL, "run llama.cpp's --fit first (as `fit --engine-fit`)", NULL },
	{ "engine-fit", O_ENGFIT, NULL, "the same as --fit", NULL },
	{ "fit-target", O_FITT, "MIB", "memory --fit leaves free per GPU [--fit-target] (default 1024)", NULL },
	{ "fit-ctx", O_FITC, "N", "smallest context --fit may choose [--fit-ctx] (default 4096)", NULL },
	{ "engine-lib", O_LIB, "DIR", "use the llama.cpp libraries in DIR (same version and ABI as\n"
	  "the pinned engine, else refused before loading anything)", CLI_VAL_DIR },
	{ "mmproj", O_MMPROJ, "FILE", "a multimodal projector, planned by llama.cpp's own clip loader on GPU 0", CLI_VAL_FILE },
	{ "save", O_SAVE, "NAME", "keep the plan in the store as trace NAME (- : named after the\n"
	  "model), for replay, fit, plot, diff, export and sweep", NULL },
	{ "max-ctx", O_MAXCTX, NULL, "vramsim's search on engine plans: the largest context (a\n"
	  "multiple of 256, up to the training context) whose plan fits every GPU\n"
	  "beside --reserve", NULL },
	{ "reserve", O_RESERVE, "SIZE", "CUDA context per GPU for --max-ctx (default 450M, as replay)", NULL },
	{ "recorded", O_REC, "TRACE", "plan under the settings and GPUs a trace in the store recorded\n"
	  "(a llama.cpp/Ollama log of MODEL) and set its buffers beside the plan", NULL },
	{ "json", O_JSON, NULL, "machine-readable output", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static const char plan_about[] =
	"Load MODEL with llama.cpp's own loader and scheduler (the pinned engine; no\n"
	"tensor data read, nothing allocated) on virtual GPUs of the sizes in --gpus,\n"
	"and print per device the bytes llama.cpp plans: weights, KV cache, compute\n"
	"reservation, output buffer. Weights and KV are llama.cpp's own numbers plus\n"
	"the GPU buffer type's padding; the compute reservation is what its scheduler\n"
	"reserves in no_alloc mode (an over-estimate for the last GPU, see README).\n"
	"CUDA's context and library workspaces are not ggml buffers: not in the plan.\n"
	"Unset options take llama-server's defaults, except that llama-server also\n"
	"runs its --fit by default: add --fit to plan what it would then load.\n";

static const char plan_more[] =
	"example:\n  vramsim plan model.gguf --gpus 4x24G --ctx 32768 --flash-attn on\n"
	"  vramsim fit --engine-fit model.gguf --gpus 2x24G\n";

static int parse_u32(const char *s, uint32_t *v, int nonzero)
{
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (*s == '-' || end == s || *end || x > 0xffffffffULL || (nonzero && !x))
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int parse_list(const char *s, float *out, int *n)
{
	*n = 0;
	while (*s) {
		char *end;
		double d = strtod(s, &end);
		if (end == s || d < 0 || *n >= ENG_MAX_GPUS || (*end && *end != ','))
			return -1;
		out[(*n)++] = (float)d;
		s = *end ? end + 1 : end;
	}
	return *n ? 0 : -1;
}

static const char *optname(int c)
{
	for (const struct cli_opt *o = plan_opts; o->name; o++)
		if (o->key == c)
			return o->name;
	return "?";
}

static int topo_bytes(const char *spec, uint64_t *out, int *n, char **cause)
{
	struct topo t;
	int rc = topo_parse(spec, &t, cause);
	if (rc)
		return rc;
	if (t.n > ENG_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "%s: %d GPUs; llama.cpp plans at most %d devices (llama_max_devices)",
				spec, t.n, ENG_MAX_GPUS);
	for (int i = 0; i < t.n; i++)
		out[i] = t.capacity[i];
	*n = t.n;
	return 0;
}

/* The projector's bytes on GPU i (-1: the host), weights and compute. */
static uint64_t proj_on(const struct eng_plan *p, int i)
{
	if (!p->proj.planned)
		return 0;
	return (p->proj.dev == i ? p->proj.weights : 0) + (i < 0 ? p->proj.host_compute : p->proj.compute[i]);
}

static void print_dev(const struct eng_dev *d, uint64_t cap, int host, const struct eng_plan *p, int i)
{
	char w[32], k[32], c[32], o[32], t[32], cp[32], h[32], pj[32];
	uint64_t tot = d->weights + d->kv + d->compute + d->output + proj_on(p, i);
	printf("%-8s %6d %11s %10s %10s %9s", d->name, d->layers, util_mib(w, sizeof(w), d->weights, 2),
	       util_mib(k, sizeof(k), d->kv, 2), util_mib(c, sizeof(c), d->compute, 2),
	       util_mib(o, sizeof(o), d->output, 2));
	if (p->proj.planned)
		printf(" %10s", util_mib(pj, sizeof(pj), proj_on(p, i), 2));
	printf(" %11s", util_mib(t, sizeof(t), tot, 2));
	if (!host)
		printf(" %10s %10s%s", util_mib(cp, sizeof(cp), cap, 0),
		       tot <= cap ? util_mib(h, sizeof(h), cap - tot, 2) : "-",
		       tot <= cap ? "" : "  DOES NOT FIT");
	putchar('\n');
}

static void print_json_dev(const struct eng_dev *d, const char *sep)
{
	printf("{\"name\":");
	util_json_str(stdout, d->name);
	printf(",\"layers\":%d,\"weights\":%llu,\"kv\":%llu,\"compute\":%llu,\"output\":%llu}%s", d->layers,
	       (unsigned long long)d->weights, (unsigned long long)d->kv, (unsigned long long)d->compute,
	       (unsigned long long)d->output, sep);
}

static void print_plan(const struct eng *e, const struct eng_req *r, const char *shown,
		       const struct eng_plan *p, const struct eng_fit *fit, int json)
{
	if (json) {
		printf("{\"format\":\"vramsim-plan\",\"version\":1,\"model\":");
		util_json_str(stdout, shown);
		printf(",\"source\":\"engine plan\",\"engine\":");
		util_json_str(stdout, eng_describe(e));
		if (fit) {
			printf(",\"fit\":{\"status\":%d,\"n_gpu_layers\":%d,\"ctx\":%u,\"split\":[", fit->status,
			       fit->n_gpu_layers, fit->ctx);
			for (int i = 0; i < fit->n_split; i++)
				printf("%s%g", i ? "," : "", (double)fit->split[i]);
			printf("],\"overrides\":[");
			for (int i = 0; i < fit->n_ot; i++) {
				printf(i ? "," : "");
				util_json_str(stdout, fit->ot[i]);
			}
			printf("]}");
		}
		printf(",\"n_ctx\":%u,\"n_seq\":%u,\"n_batch\":%u,\"n_ubatch\":%u,\"sched_copies\":%d,\"n_layer\":%d,"
		       "\"gpus\":[", p->n_ctx, p->n_seq, p->n_batch, p->n_ubatch, p->copies, p->n_layer);
		for (int i = 0; i < p->n_gpus; i++)
			print_json_dev(&p->gpu[i], i + 1 < p->n_gpus ? "," : "");
		printf("],\"host\":");
		print_json_dev(&p->host, "");
		if (p->proj.planned) {
			printf(",\"projector\":{\"file\":");
			util_json_str(stdout, r->mmproj);
			printf(",\"device\":%d,\"weights\":%llu,\"weights_counted\":%llu,\"flash_attn\":%d,"
			       "\"compute\":[", p->proj.dev, (unsigned long long)p->proj.weights,
			       (unsigned long long)p->proj.counted, p->proj.flash_attn);
			for (int i = 0; i < p->n_gpus; i++)
				printf("%s%llu", i ? "," : "", (unsigned long long)p->proj.compute[i]);
			printf("],\"host_compute\":%llu}", (unsigned long long)p->proj.host_compute);
		}
		printf(",\"notes\":[");
		for (int i = 0; i < p->n_notes; i++) {
			printf(i ? "," : "");
			util_json_str(stdout, p->notes[i]);
		}
		printf("]}\n");
		return;
	}
	printf("model:   %s\n", shown);
	printf("source:  engine plan, %s on %d virtual %s GPU%s (no_alloc: nothing read or allocated)\n",
	       eng_describe(e), p->n_gpus, r->backend ? r->backend : "cuda", p->n_gpus == 1 ? "" : "s");
	if (fit) {
		printf("fit:     llama-server --fit on %s: -ngl ", fit->status == 0 ? "would choose" : "finds NO FIT; its last try");
		if (fit->n_gpu_layers < 0)
			printf("all");
		else
			printf("%d", fit->n_gpu_layers);
		printf(" -c %u", fit->ctx);
		float ssum = 0;
		for (int i = 0; i < fit->n_split; i++)
			ssum += fit->split[i];
		if (ssum > 0) {
			printf(" -ts ");
			for (int i = 0; i < fit->n_split; i++)
				printf("%s%g", i ? "," : "", (double)fit->split[i]);
		}
		for (int i = 0; i < fit->n_ot; i++)
			printf(" -ot %s", fit->ot[i]);
		printf("\n");
	}
	int on_gpu = 0;
	for (int i = 0; i < p->n_gpus; i++)
		on_gpu += p->gpu[i].layers;
	printf("context: %u tokens x %u sequence%s, batch %u, ubatch %u; %d of %d layers on GPUs (%d repeating + "
	       "output); sched copies %d%s\n\n", p->n_ctx, p->n_seq, p->n_seq == 1 ? "" : "s", p->n_batch, p->n_ubatch,
	       on_gpu, p->n_layer + 1, p->n_layer, p->copies, p->copies > 1 ? " (pipeline parallelism)" : "");
	printf("%-8s %6s %11s %10s %10s %9s", "device", "layers", "weights", "KV", "compute", "output");
	if (p->proj.planned)
		printf(" %10s", "mmproj");
	printf(" %11s %10s %10s\n", "total", "capacity", "headroom");
	for (int i = 0; i < p->n_gpus; i++)
		print_dev(&p->gpu[i], r->free_mem[i] ? r->free_mem[i] : r->mem[i], 0, p, i);
	print_dev(&p->host, 0, 1, p, -1);
	printf("(MiB; host: every host buffer, pinned or not)\n");
	if (p->proj.planned) {
		char w[32], c[32];
		const char *dev = p->proj.dev >= 0 && p->proj.dev < p->n_gpus ? p->gpu[p->proj.dev].name : "CPU";
		printf("mmproj:  %s, engine plan by llama.cpp's clip loader (tools/mtmd of the same tag, no_alloc): "
		       "weights %s MiB on %s (the first GPU, as llama-server puts it; --main-gpu does not move it), "
		       "its warmup compute buffer %s MiB there, flash attention %s\n", r->mmproj,
		       util_mib(w, sizeof(w), p->proj.weights, 2), dev,
		       util_mib(c, sizeof(c), p->proj.dev >= 0 ? p->proj.compute[p->proj.dev] : p->proj.host_compute, 2),
		       p->proj.flash_attn == 1 ? "on" : p->proj.flash_attn == 0 ? "off" : "not said");
	}
	if (!cli_quiet)
		for (int i = 0; i < p->n_notes; i++)
			printf("engine: %s\n", p->notes[i]);
}

/* --no-pipeline that changed nothing says so (a note of p): llama.cpp
 * would not take pipeline parallelism for these settings anyway. The
 * second plan is a context-only change: the loaded model is reused. */
static void nopp_effect(struct eng *e, const struct eng_req *r, struct eng_plan *p)
{
	struct eng_req q = *r;
	struct eng_plan w;
	char *cause = NULL;
	q.no_pipeline = 0;
	if (eng_plan(e, &q, &w, &cause)) {
		free(cause);
		return;
	}
	if (w.copies == 1) {
		char **notes = realloc(p->notes, (size_t)(p->n_notes + 1) * sizeof(*notes));
		if (notes) {
			p->notes = notes;
			p->notes[p->n_notes++] = util_xstrdup("--no-pipeline had no effect: llama.cpp takes no pipeline "
							      "parallelism here anyway (one GPU, layers or KV on the host, "
							      "tensor overrides, or --split-mode other than layer)");
		}
	}
	eng_plan_free(&w);
}

/* Does every GPU of p hold its buffers beside reserve? */
static int plan_fits(const struct eng_req *r, const struct eng_plan *p, uint64_t reserve)
{
	for (int i = 0; i < p->n_gpus; i++) {
		uint64_t cap = r->free_mem[i] ? r->free_mem[i] : r->mem[i];
		if (p->gpu[i].weights + p->gpu[i].kv + p->gpu[i].compute + proj_on(p, i) + reserve > cap)
			return 0;
	}
	return 1;
}

/*
 * The largest context (a multiple of 256, up to the model's training
 * context) whose engine plan fits, by bisection on plans of the loaded
 * model (a context-only change: each one reuses it). *out is its plan;
 * UTIL_EINPUT when not even 256 fits.
 */
static int search_ctx(struct eng *e, struct eng_req *r, uint64_t reserve, struct eng_plan *out, int *plans,
		      char **cause)
{
	struct eng_plan p;
	r->ctx = 0; /* the training context first: it may fit */
	int rc = eng_plan(e, r, &p, cause);
	(*plans)++;
	if (rc)
		return rc;
	uint32_t hi = p.n_ctx / 256 * 256, lo = 0;
	if (plan_fits(r, &p, reserve)) {
		*out = p;
		return 0;
	}
	eng_plan_free(&p);
	struct eng_plan best = { 0 };
	while (hi - lo > 256) {
		uint32_t mid = (lo + hi) / 2 / 256 * 256;
		r->ctx = mid;
		if ((rc = eng_plan(e, r, &p, cause))) {
			eng_plan_free(&best);
			return rc;
		}
		(*plans)++;
		if (plan_fits(r, &p, reserve)) {
			eng_plan_free(&best);
			best = p;
			lo = mid;
		} else {
			eng_plan_free(&p);
			hi = mid;
		}
	}
	if (!lo) {
		r->ctx = 256;
		if ((rc = eng_plan(e, r, &p, cause)))
			return rc;
		(*plans)++;
		if (!plan_fits(r, &p, reserve)) {
			eng_plan_free(&p);
			return util_err(cause, UTIL_EINPUT, "not even a context of 256 fits on these GPUs "
					"(weights, KV and compute beside a %.0f MiB reserve)", reserve / UTIL_MIB);
		}
		best = p;
	}
	*out = best;
	return 0;
}

static int plan_body(struct cli_ctx *cx, int fit_mode, struct msrc *ms, const char **shown)
{
	const char *cmd = cx->cmd->name;
	struct eng_req r;
	eng_req_init(&r);
	const char *gpus = NULL, *free_spec = NULL, *libdir = NULL, *optarg = NULL, *save = NULL, *recorded = NULL;
	int cpu = 0, fit = fit_mode, json = 0, c, n = 0, max_ctx = 0, nopp_given = 0;
	uint64_t reserve = SIM_DEFAULT_RESERVE;
	uint32_t u = 0;
	float lst[ENG_MAX_GPUS];
	char *cause = NULL;
	while ((c = cli_next(cx, &optarg)) != -1) {
		int bad = 0;
		switch (c) {
		case O_GPUS: gpus = optarg; break;
		case O_FREE: free_spec = optarg; break;
		case O_BACKEND: r.backend = optarg; bad = !eng_backend_known(optarg); break;
		case O_CTX: bad = parse_u32(optarg, &r.ctx, 0); break;
		case O_PAR: bad = parse_u32(optarg, &r.parallel, 1); break;
		case O_BATCH: bad = parse_u32(optarg, &r.batch, 1); break;
		case O_UBATCH: bad = parse_u32(optarg, &r.ubatch, 1); break;
		case O_FA:
			bad = strcmp(optarg, "on") && strcmp(optarg, "off") && strcmp(optarg, "auto");
			r.flash_attn = optarg;
			break;
		case O_KV: r.type_k = r.type_v = optarg; break;
		case O_KVK: r.type_k = optarg; break;
		case O_KVV: r.type_v = optarg; break;
		case O_NGL: bad = parse_u32(optarg, &u, 0); r.n_gpu_layers = (int)u; break;
		case O_SPLIT: bad = parse_list(optarg, r.split, &r.n_split); break;
		case O_SMODE:
			bad = strcmp(optarg, "layer") && strcmp(optarg, "none") && strcmp(optarg, "row");
			r.split_mode = optarg;
			break;
		case O_MAIN: bad = parse_u32(optarg, &u, 0); r.main_gpu = (int)u; break;
		case O_OT:
			bad = !strchr(optarg, '=') || r.n_ot >= ENG_MAX_OT;
			if (!bad)
				r.ot[r.n_ot++] = optarg;
			break;
		case O_CMOE: r.cpu_moe = 1; break;
		case O_NCMOE: bad = parse_u32(optarg, &u, 0); r.n_cpu_moe = (int)u; break;
		case O_NKVO: r.no_kv_offload = 1; break;
		case O_NOOP: r.no_op_offload = 1; break;
		case O_SWA: r.swa_full = 1; break;
		case O_UNI: r.kv_unified = 1; break;
		case O_NOPP: r.no_pipeline = nopp_given = 1; break;
		case O_OLLAMA:
			bad = parse_list(optarg, lst, &n);
			for (int i = 0; !bad && i < n; i++)
				r.ollama_layers[i] = (int)lst[i];
			r.n_ollama = n;
			break;
		case O_CPU: cpu = 1; break;
		case O_FIT: case O_ENGFIT: fit = 1; break;
		case O_FITT: bad = parse_u32(optarg, &u, 0); r.fit_margin = (uint64_t)u << 20; break;
		case O_FITC: bad = parse_u32(optarg, &r.fit_min_ctx, 1); break;
		case O_LIB: libdir = optarg; break;
		case O_MMPROJ: r.mmproj = optarg; break;
		case O_JSON: json = 1; break;
		case O_SAVE: save = optarg; break;
		case O_REC: recorded = optarg; break;
		case O_MAXCTX: max_ctx = 1; break;
		case O_RESERVE: bad = topo_parse_size(optarg, 0, &reserve, NULL) != 0; break;
		}
		if (bad)
			return cli_usage(cmd, "bad value for --%s: %s", optname(c), optarg ? optarg : "");
	}
	if (cx->argc != 1)
		return cli_usage(cmd, "give one MODEL.gguf");
	r.model = *shown = cx->argv[0];
	if (strncmp(r.model, "ollama:", 7) == 0 || strncmp(r.model, "store:", 6) == 0 ||
	    strncmp(r.model, "model:", 6) == 0) {
		/* a model spec (import/model_src.h): resolved to a GGUF here, the
		 * header-only ones removed by plan_run */
		struct store *st = NULL;
		int rc = strncmp(r.model, "store:", 6) == 0 ? cli_store(cx, &st) : 0;
		if (rc)
			return rc;
		if ((rc = msrc_open(st, r.model, r.mmproj, ms, &cause)))
			return cli_fail(rc, cause);
		r.model = ms->gguf;
		r.mmproj = ms->mmproj; /* --mmproj, else an Ollama model's own projector */
	}
	if (cpu && fit)
		return cli_usage(cmd, "--cpu and --fit exclude each other");
	if (!gpus && !cpu && !recorded)
		return cli_usage(cmd, "--gpus is required (e.g. --gpus 2x24G)");
	if (max_ctx && (cpu || fit))
		return cli_usage(cmd, "--max-ctx searches on plans of the virtual GPUs: not with --cpu or --fit");
	if (recorded && (cpu || fit))
		return cli_usage(cmd, "--recorded plans the recorded settings: not with --cpu or --fit");
	if (gpus) {
		int rc = topo_bytes(gpus, r.mem, &r.n_gpus, &cause);
		if (rc)
			return cli_fail(rc, cause);
	}
	if (free_spec) {
		int nf = 0;
		int rc = topo_bytes(free_spec, r.free_mem, &nf, &cause);
		if (rc)
			return cli_fail(rc, cause);
		if (nf != r.n_gpus)
			return cli_usage(cmd, "--free names %d GPUs, --gpus %d", nf, r.n_gpus);
	}
	struct engrec rec;
	if (recorded) {
		struct store *st = NULL;
		int rc = cli_store(cx, &st);
		if (rc)
			return rc;
		if ((rc = engrec_load(st, recorded, &r, &rec, &cause)))
			return cli_fail(rc, cause);
	}
	if (r.n_split && r.n_split != r.n_gpus)
		return cli_usage(cmd, "--split has %d values for %d GPUs", r.n_split, r.n_gpus);
	if (r.n_ollama && r.n_ollama != r.n_gpus)
		return cli_usage(cmd, "--ollama-layers has %d values for %d GPUs", r.n_ollama, r.n_gpus);
	if (cpu)
		r.n_gpus = 0;
	struct eng *e = eng_open(libdir, &cause);
	if (!e) {
		cli_error("%s", cause);
		free(cause);
		cli_error("plan needs the llama.cpp engine; without it use `vramsim replay --model ...` (formula model)");
		return CLI_ERR;
	}
	struct eng_plan p;
	struct eng_fit f;
	int plans = 0;
	int rc = fit ? eng_fit(e, &r, &f, &p, &cause) : cpu ? eng_plan_cpu(e, &r, &p, &cause)
		 : max_ctx ? search_ctx(e, &r, reserve, &p, &plans, &cause)
		 : recorded ? engrec_plan(e, &r, &rec, &p, &cause) : eng_plan(e, &r, &p, &cause);
	if (rc) {
		if (fit)
			eng_fit_free(&f);
		eng_close(e);
		return cli_fail(rc, cause);
	}
	if (save) {
		struct store *st = NULL;
		int64_t id = 0;
		if ((rc = cli_store(cx, &st)) == 0 && st) {
			/* the model as named, a file made absolute: a what-if on the
			 * kept plan re-plans it from anywhere */
			char *abs = engrow_is_model(*shown) && strchr(*shown, ':') == NULL ? realpath(*shown, NULL) : NULL;
			rc = engtrace_save(st, strcmp(save, "-") ? save : NULL, &r, abs ? abs : *shown, &p,
					   eng_describe(e), recorded ? rec.context : NULL, &id, &cause);
			free(abs);
			if (rc)
				rc = cli_fail(rc, cause);
			else if (!cli_quiet)
				fprintf(stderr, "vramsim: plan kept in %s as trace %lld\n", store_path(st), (long long)id);
		}
		if (rc) {
			eng_plan_free(&p);
			if (fit)
				eng_fit_free(&f);
			eng_close(e);
			return rc;
		}
	}
	if (nopp_given && p.copies == 1 && !fit && !cpu)
		nopp_effect(e, &r, &p);
	if (max_ctx && !json)
		printf("max-ctx: the largest context that fits with a %.0f MiB reserve per GPU: %u (%d engine plans)\n",
		       reserve / UTIL_MIB, p.n_ctx, plans);
	print_plan(e, &r, *shown, &p, fit ? &f : NULL, json);
	if (recorded && !json) {
		putchar('\n');
		engrec_print(stdout, &rec, &p);
	}
	eng_plan_free(&p);
	if (fit)
		eng_fit_free(&f);
	eng_close(e);
	return cli_finish_stdout(CLI_OK);
}

static int plan_run(struct cli_ctx *cx, int fit_mode)
{
	struct msrc ms = { 0 };
	const char *shown = NULL;
	int rc = plan_body(cx, fit_mode, &ms, &shown);
	msrc_close(&ms);
	return rc;
}

static int cmd_plan(struct cli_ctx *cx)
{
	return plan_run(cx, 0);
}

static int cmd_engine_fit(struct cli_ctx *cx)
{
	return plan_run(cx, 1);
}

const struct cli_cmd cmd_plan_entry = {
	.name = "plan",
	.summary = "llama.cpp's own memory plan of a GGUF on virtual GPUs (the engine)",
	.usage = "MODEL.gguf --gpus SPEC [options] [--json] [-q]",
	.about = plan_about,
	.opts = plan_opts,
	.more = plan_more,
	.flags = CLI_STORE_RW,
	.fn = cmd_plan,
};

/* `vramsim fit --engine-fit ...`: the entry point routes it here, since
 * its options are plan's, not the what-if family's. */
static const char engine_fit_about[] =
	"llama.cpp's own --fit (common_fit_params) on the virtual GPUs: what\n"
	"`llama-server --fit on` would choose there (layers, split, context,\n"
	"overrides) for what the options leave unset, then the plan of its choice.\n";

const struct cli_cmd cmd_engine_fit_entry = {
	.name = "fit",
	.summary = "llama.cpp's --fit on virtual GPUs",
	.usage = "--engine-fit MODEL.gguf --gpus SPEC [plan options] [--json] [-q]",
	.about = engine_fit_about,
	.opts = plan_opts,
	.more = plan_more,
	.flags = CLI_STORE_RW,
	.fn = cmd_engine_fit,
};
