/*
 * scenario.h - the what-if options shared by `replay`, `fit` and `sweep`:
 * parse them from the command line and turn a stored trace (or a --model
 * description) into the event stream and configuration of one replay.
 */
#ifndef VRAMSIM_SCENARIO_H
#define VRAMSIM_SCENARIO_H

#include <stdint.h>

#include "llm.h"
#include "replay.h"
#include "store.h"

/* Everything a what-if can say. */
struct scen_opts {
	const char *gpus;          /* --gpus SPEC (NULL: recorded devices) */
	const char *split;         /* --split 3,1,1,1 */
	int num_gpu;               /* --num-gpu N, -1 unset */
	int main_gpu;              /* --main-gpu, 0 */
	uint64_t ctx;              /* --ctx, 0 unset */
	int parallel, ubatch, batch;
	int flash_attn;            /* -1 unset */
	const char *kv_type;       /* --kv-type */
	const char *reserve;       /* --reserve SIZE */
	const char *on_oom;        /* stop|continue|spill */
	const char *alloc_model;   /* exact|cuda|torch */
	const char *alloc_conf;    /* --alloc-conf */
	const char *device_map;    /* --device-map 0=1,1=0 */
	const char *profile;       /* --profile NAME|ID */
	const char *model_spec;    /* --model layers=...,... */
	int raw;                   /* --raw: replay recorded events as they are */
	const char *meta;          /* --meta layers=61,heads=128 */
};

void scen_opts_init(struct scen_opts *o);

/*
 * Handle one getopt_long option of the what-if family: returns 1 if c
 * was one (arg consumed), 0 if not, UTIL_EINPUT with *cause on a bad
 * value. Option codes are SCEN_OPT_* below; add SCEN_LONGOPTS to the
 * command's option table.
 */
enum {
	SCEN_OPT_GPUS = 1000, SCEN_OPT_SPLIT, SCEN_OPT_NUMGPU, SCEN_OPT_MAINGPU, SCEN_OPT_CTX,
	SCEN_OPT_PARALLEL, SCEN_OPT_UBATCH, SCEN_OPT_BATCH, SCEN_OPT_FA, SCEN_OPT_KV,
	SCEN_OPT_RESERVE, SCEN_OPT_ONOOM, SCEN_OPT_ALLOC, SCEN_OPT_ALLOCCONF, SCEN_OPT_DEVMAP,
	SCEN_OPT_PROFILE, SCEN_OPT_MODEL, SCEN_OPT_RAW, SCEN_OPT_META
};
#define SCEN_LONGOPTS \
	{ "gpus", required_argument, NULL, SCEN_OPT_GPUS }, \
	{ "split", required_argument, NULL, SCEN_OPT_SPLIT }, \
	{ "num-gpu", required_argument, NULL, SCEN_OPT_NUMGPU }, \
	{ "main-gpu", required_argument, NULL, SCEN_OPT_MAINGPU }, \
	{ "ctx", required_argument, NULL, SCEN_OPT_CTX }, \
	{ "parallel", required_argument, NULL, SCEN_OPT_PARALLEL }, \
	{ "ubatch", required_argument, NULL, SCEN_OPT_UBATCH }, \
	{ "batch", required_argument, NULL, SCEN_OPT_BATCH }, \
	{ "flash-attn", required_argument, NULL, SCEN_OPT_FA }, \
	{ "kv-type", required_argument, NULL, SCEN_OPT_KV }, \
	{ "reserve", required_argument, NULL, SCEN_OPT_RESERVE }, \
	{ "on-oom", required_argument, NULL, SCEN_OPT_ONOOM }, \
	{ "alloc", required_argument, NULL, SCEN_OPT_ALLOC }, \
	{ "alloc-conf", required_argument, NULL, SCEN_OPT_ALLOCCONF }, \
	{ "device-map", required_argument, NULL, SCEN_OPT_DEVMAP }, \
	{ "profile", required_argument, NULL, SCEN_OPT_PROFILE }, \
	{ "model", required_argument, NULL, SCEN_OPT_MODEL }, \
	{ "raw", no_argument, NULL, SCEN_OPT_RAW }, \
	{ "meta", required_argument, NULL, SCEN_OPT_META }

int scen_opt(struct scen_opts *o, int c, const char *arg, char **cause);

/* scen_opt() for a command's getopt loop: 0 if c was a what-if option
 * and its value is good; else prints the usage error for cmd ("bad
 * option" when c is not a what-if option) and returns exit status 2. */
int scen_cli_opt(const char *cmd, struct scen_opts *o, int c, const char *arg);

/* Help text for the what-if options (shared by replay, fit, sweep). */
extern const char scen_help[];

/* A prepared scenario: owns its events. Free with scen_clear(). */
struct scen {
	struct sim_config cfg;
	struct llm_load *ld;          /* NULL for a raw replay */
	struct llm_scenario lsc;
	struct trace_event *ev;       /* events (what-if); NULL: stream the store */
	size_t n_ev;
	int layers[TOPO_MAX_GPUS];
	int have_layers;
	char desc[512];               /* scenario in one line */
	char topo_str[256];
	char *notes[16];
	int n_notes;
	int64_t trace;                /* 0 with --model */
	char *trace_name;
	char *model_name;
};

/*
 * Prepare the scenario for trace ref (NULL: newest; ignored with
 * --model). st may be NULL with --model. Fills *sc; clear it with
 * scen_clear(). Decomposes llama.cpp/Ollama loads for the what-if
 * unless --raw; other traces replay raw with the device map.
 */
int scen_prepare(struct store *st, const char *ref, const struct scen_opts *o, struct scen *sc,
		 char **cause);
/* Rebuild the events after changing sc->lsc or sc->cfg.topo (fit). */
int scen_rebuild(struct scen *sc, char **cause);
/* Run the replay of sc (from its events or streaming the store). */
int scen_run(struct store *st, struct scen *sc, const struct sim_observer *obs,
	     struct sim_result *res, char **cause);
void scen_clear(struct scen *sc);

/* A GPU whose size a trace does not say: the largest common card. */
#define SCEN_DEFAULT_GPU (80ull << 30)

/*
 * The GPUs to replay a trace on as recorded: --gpus when given, else one
 * per recorded device with its recorded size, SCEN_DEFAULT_GPU where the
 * trace does not say (counted in *assumed), or as many as the events use
 * when the trace records no devices.
 */
int scen_recorded_topo(struct store *st, int64_t trace, const char *gpus, struct topo *t,
		       int *assumed, char **cause);

/* Name of an allocator model. */
const char *scen_model_name(enum sim_model m);

#endif
