/*
 * engrec.h - a recorded load meets the engine: the settings and GPUs of a
 * trace in the store (a llama.cpp/Ollama log, or a plan kept by `plan
 * --save`) become an engine request, and the recorded per-device buffers
 * are set beside the engine's plan of the same settings. Their difference
 * is what the engine does not see on that machine (CUDA context, library
 * workspaces, a different build).
 */
#ifndef VRAMSIM_ENGREC_H
#define VRAMSIM_ENGREC_H

#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "llm.h"
#include "store.h"

/* Recorded bytes per device (GPU 0.., then the host in [ENG_MAX_GPUS]). */
struct engrec {
	int64_t trace;
	char name[128];
	int n_gpus;
	uint64_t weights[ENG_MAX_GPUS + 1], kv[ENG_MAX_GPUS + 1], compute[ENG_MAX_GPUS + 1];
	uint64_t output[ENG_MAX_GPUS + 1], context[ENG_MAX_GPUS + 1];
	int n_layer;         /* the recorded model's repeating layers, 0 if unknown */
	int copies;          /* scheduler copies the load ran (n_copies), 0 if unknown */
	long build;          /* the llama.cpp build that wrote the log, 0 if not printed */
	int fit;             /* the load ran llama.cpp's --fit: engrec_plan runs it again */
	char settings[1024]; /* the recorded settings used, for the report */
	char missing[512];   /* recorded settings that could not be recovered, "" if none */
	char store_[8][32];  /* storage for strings r points into: type_k, type_v, backend */
	char ot_[4096];      /* storage for the recorded -ot rules r->ot points into */
};

/*
 * Resolve ref in st and fill r (only the fields the trace records: GPUs
 * and their sizes, ctx, parallel, batch, ubatch, flash attention, cache
 * types, layers on GPUs, split, -ot rules, --cpu-moe, --n-cpu-moe, the
 * GPUs' free memory at load) and rec. Without a command line, the -ot
 * rules are rebuilt from the tensors a -v log says were overridden. Fields r already has (the command
 * line) win. What the trace cannot supply that the plan depends on (no
 * command line in the log, no free memory) is listed in rec->missing.
 * r points into rec: keep rec alive while r is used. 0, or UTIL_EINPUT
 * when the trace records no GPU.
 */
int engrec_load(struct store *st, const char *ref, struct eng_req *r, struct engrec *rec, char **cause);

/*
 * A plan kept by `plan --save` (sim/engtrace.h): the model spec it was
 * planned from, and its settings and placement rules as the base of a
 * what-if, so that the what-if is re-planned by the engine with only what
 * the user changed changed (sim/engrow.h, engrow_set_base).
 */
struct engrec_saved {
	char spec[1024];            /* the model as named when planned */
	char mmproj[1024];          /* the projector planned with it (a path), or "" */
	struct llm_scenario base;   /* ctx per slot, parallel, batch, ubatch, flash attention, -ngl, split */
	char type_k[16], type_v[16];
	const char *ot[ENG_MAX_OT]; /* point into ot_ */
	int n_ot, cpu_moe, n_cpu_moe;
	char ot_[2048];
	char backend[16];           /* the virtual GPUs' allocation rules ("cuda"), "" if not kept */
	int no_pipeline;            /* planned with --no-pipeline */
};

/* Fill *s from trace (s points into itself: do not copy it while ot is
 * used). 0; ENGREC_NOT_PLAN when the trace is not a kept engine plan or
 * names no model; a UTIL_* code on a store error. */
#define ENGREC_NOT_PLAN 1
int engrec_saved_plan(struct store *st, int64_t trace, struct engrec_saved *s, char **cause);

/*
 * Plan r (filled by engrec_load) with e into *p: where the load ran
 * llama.cpp's --fit (rec->fit), llama.cpp's fit on the recorded free
 * memory first, as the load did (eng_fit), and its choice in
 * rec->settings. Where the load ran one
 * scheduler copy but llama.cpp would run several for these settings
 * (pipeline parallelism), the load's GPUs or build had none (RPC workers
 * before llama.cpp PR #18626; GGML_SCHED_MAX_COPIES=1): r gets
 * no_pipeline, the plan is made again so, and rec->settings says it.
 * 0, or eng_plan's error. p is the caller's: eng_plan_free.
 */
int engrec_plan(struct eng *e, struct eng_req *r, struct engrec *rec, struct eng_plan *p, char **cause);

/* Recorded vs planned per device and category, MiB, to f. */
void engrec_print(FILE *f, const struct engrec *rec, const struct eng_plan *p);

#endif
