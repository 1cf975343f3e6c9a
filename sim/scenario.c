/*
 * scenario.c - what-if options and the preparation of one replay.
 *
 * About 1000 lines: the options (parsed once into typed fields), the
 * engine table (its engine-plan row's work is in engrow.c), the basis
 * checks (what a what-if may ask of a trace) and the preparation that
 * consumes them. They are one job: turning a command line into one
 * replay; each part is a section below.
 */
#include "scenario.h"
#include "cli.h"
#include "engrec.h"
#include "engrow.h"
#include "estimate.h"
#include "settings.h"
#include "sim_source.h"
#include "torchalloc.h"
#include "util.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void scen_opts_init(struct scen_opts *o)
{
	memset(o, 0, sizeof(*o));
	llm_scenario_init(&o->what);
	o->what.main_gpu = -1;
	for (int i = 0; i < TOPO_MAX_GPUS; i++)
		o->device_map[i] = -1;
}

static int pos_int(const char *opt, const char *arg, int min, int max, int *out, char **cause)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (end == arg || *end || v < min || v > max)
		return util_err(cause, UTIL_EINPUT, "%s '%s': expected a whole number from %d to %d",
				opt, arg, min, max);
	*out = (int)v;
	return 0;
}

static int parse_split(const char *s, struct llm_scenario *l, char **cause);
static int parse_devmap(const char *s, struct scen_opts *o, char **cause);

/* A size option ("--reserve 1G"), the option named in the error. */
static int size_opt(const char *opt, const char *arg, uint64_t *out, char **cause)
{
	int rc = topo_parse_size(arg, 0, out, cause);
	if (rc && cause) {
		char *inner = *cause;
		*cause = util_xasprintf("%s %s", opt, inner);
		free(inner);
	}
	return rc;
}

int scen_opts_gpus(struct scen_opts *o, const char *spec, char **cause)
{
	int rc = topo_parse(spec, &o->topo, cause);
	if (!rc)
		o->gpus = spec;
	return rc;
}

int scen_opt(struct scen_opts *o, int c, const char *arg, char **cause)
{
	int v, rc = 0;
	struct llm_scenario *w = &o->what;
	switch (c) {
	case SCEN_OPT_GPUS: rc = scen_opts_gpus(o, arg, cause); break;
	case SCEN_OPT_SPLIT: rc = parse_split(arg, w, cause); break;
	case SCEN_OPT_NUMGPU: rc = pos_int("--num-gpu", arg, 0, LLM_MAX_LAYERS + 1, &w->n_gpu_layers, cause); break;
	case SCEN_OPT_MAINGPU: rc = pos_int("--main-gpu", arg, 0, TOPO_MAX_GPUS - 1, &w->main_gpu, cause); break;
	case SCEN_OPT_CTX:
		if (!(rc = pos_int("--ctx", arg, 1, 1 << 30, &v, cause)))
			w->ctx = (uint64_t)v;
		break;
	case SCEN_OPT_PARALLEL: rc = pos_int("--parallel", arg, 1, 4096, &w->parallel, cause); break;
	case SCEN_OPT_UBATCH: rc = pos_int("--ubatch", arg, 1, 1 << 20, &w->ubatch, cause); break;
	case SCEN_OPT_BATCH: rc = pos_int("--batch", arg, 1, 1 << 20, &w->batch, cause); break;
	case SCEN_OPT_AMB: /* 0 turns the cap off; ik_llama.cpp common.cpp raises 1..127 to 128 */
		if (!(rc = pos_int("--amb", arg, 0, 1 << 30, &v, cause)))
			w->amb = v == 0 ? -1 : v < 128 ? 128 : v;
		break;
	case SCEN_OPT_FA:
		if (!strcmp(arg, "on") || !strcmp(arg, "1"))
			w->flash_attn = 1;
		else if (!strcmp(arg, "off") || !strcmp(arg, "0"))
			w->flash_attn = 0;
		else
			rc = util_err(cause, UTIL_EINPUT, "--flash-attn '%s': expected on or off", arg);
		break;
	case SCEN_OPT_KV:
		if (llm_kv_bytes(arg) == 0 || strlen(arg) >= sizeof(w->kv_type))
			rc = util_err(cause, UTIL_EINPUT, "--kv-type '%s': expected f16, bf16, f32, q8_0, "
				      "q4_0, q4_1, iq4_nl, q5_0 or q5_1", arg);
		else
			snprintf(w->kv_type, sizeof(w->kv_type), "%s", arg);
		break;
	case SCEN_OPT_RESERVE:
		if (!(rc = size_opt("--reserve", arg, &o->reserve, cause)))
			o->have_reserve = 1;
		break;
	case SCEN_OPT_MARGIN: rc = size_opt("--margin", arg, &o->margin, cause); break;
	case SCEN_OPT_ONOOM:
		if (!strcmp(arg, "stop"))
			o->on_oom = SIM_OOM_STOP;
		else if (!strcmp(arg, "continue"))
			o->on_oom = SIM_OOM_CONTINUE;
		else if (!strcmp(arg, "spill"))
			o->on_oom = SIM_OOM_SPILL;
		else
			rc = util_err(cause, UTIL_EINPUT, "--on-oom '%s': expected stop, continue or spill", arg);
		break;
	case SCEN_OPT_ALLOC:
		if (!strcmp(arg, "exact"))
			o->model = SIM_MODEL_EXACT;
		else if (!strcmp(arg, "cuda"))
			o->model = SIM_MODEL_CUDA;
		else if (!strcmp(arg, "torch"))
			o->model = SIM_MODEL_TORCH;
		else
			rc = util_err(cause, UTIL_EINPUT, "--alloc '%s': expected exact, cuda or torch", arg);
		break;
	case SCEN_OPT_ALLOCCONF: {
		struct torchalloc_conf tc;
		char *why = NULL;
		if ((rc = torchalloc_conf_parse(arg, &tc, &why)))
			util_err(cause, rc, "--alloc-conf '%s': %s", arg, why);
		free(why);
		o->alloc_conf = arg;
		break;
	}
	case SCEN_OPT_DEVMAP: rc = parse_devmap(arg, o, cause); break;
	case SCEN_OPT_PROFILE: o->profile = arg; break;
	case SCEN_OPT_MODEL: {
		/* checked here; the formula row's prepare reads it */
		struct llm_load *ld = util_xcalloc(1, sizeof(*ld));
		if (!(rc = llm_from_spec(arg, ld, cause)))
			o->model_spec = arg;
		free(ld);
		break;
	}
	case SCEN_OPT_RAW: o->raw = 1; break;
	case SCEN_OPT_META:
		if (!(rc = llm_meta_parse(arg, &o->meta, cause)))
			o->have_meta = 1;
		break;
	case SCEN_OPT_ASSUME: o->assume_missing = 1; break;
	case SCEN_OPT_BEYOND: o->allow_beyond_train = 1; break;
	case SCEN_OPT_MANAGED: o->managed_as_vram = 1; break;
	case SCEN_OPT_KVK: o->eng.type_k = arg; break;
	case SCEN_OPT_KVV: o->eng.type_v = arg; break;
	case SCEN_OPT_SMODE:
		if (strcmp(arg, "layer") && strcmp(arg, "none") && strcmp(arg, "row"))
			rc = util_err(cause, UTIL_EINPUT, "--split-mode '%s': expected layer, none or row", arg);
		o->eng.split_mode = arg;
		break;
	case SCEN_OPT_OT:
		if (!strchr(arg, '=') || o->eng.n_ot >= ENG_MAX_OT)
			rc = util_err(cause, UTIL_EINPUT, "--override-tensor '%s': expected REGEX=DEV (at most %d)",
				      arg, ENG_MAX_OT);
		else
			o->eng.ot[o->eng.n_ot++] = arg;
		break;
	case SCEN_OPT_CMOE: o->eng.cpu_moe = 1; break;
	case SCEN_OPT_NCMOE: rc = pos_int("--n-cpu-moe", arg, 0, LLM_MAX_LAYERS, &o->eng.n_cpu_moe, cause); break;
	case SCEN_OPT_NKVO: o->eng.no_kv_offload = 1; break;
	case SCEN_OPT_NOOP: o->eng.no_op_offload = 1; break;
	case SCEN_OPT_SWA: o->eng.swa_full = 1; break;
	case SCEN_OPT_UNI: o->eng.kv_unified = 1; break;
	case SCEN_OPT_NOPP: o->eng.no_pipeline = 1; break;
	case SCEN_OPT_MMPROJ: o->eng.mmproj = arg; break;
	case SCEN_OPT_BACKEND:
		if (!eng_backend_known(arg))
			rc = util_err(cause, UTIL_EINPUT, "--backend '%s': expected one of: %s", arg, ENG_BACKENDS);
		o->eng.backend = arg;
		break;
	case SCEN_OPT_LIB: o->eng.lib = arg; break;
	case SCEN_OPT_NOENG: o->eng.off = 1; break;
	case SCEN_OPT_WORKSPACE:
		if (!(rc = size_opt("--workspace", arg, &o->eng.workspace, cause)))
			o->eng.have_workspace = 1;
		break;
	default: return 0;
	}
	return rc ? rc : 1;
}

#define SCEN_CLI_OPT_(code, name, arg, help, values) { name, code, arg, help, values },
static const struct cli_opt scen_cli_opts[] = {
	SCEN_OPTIONS(SCEN_CLI_OPT_)
	{ NULL, 0, NULL, NULL, NULL },
};

static int family_opt(void *state, int key, const char *arg, char **cause)
{
	int rc = scen_opt(state, key, arg, cause);
	return rc < 0 ? rc : rc ? 0 : util_err(cause, UTIL_EINPUT, "not a what-if option");
}

/* --model, or a TRACE that names a model outside the store (a GGUF
 * path, ollama:, model:): no store needed. */
static int family_storeless(const void *state, const char *trace)
{
	if (((const struct scen_opts *)state)->model_spec != NULL)
		return 1;
	return trace && engrow_is_model(trace) && strncmp(trace, "store:", 6) != 0;
}

const struct cli_family scen_family = {
	.title = "what-if options", .opts = scen_cli_opts, .opt = family_opt,
	.storeless = family_storeless,
};

const char *scen_model_name(enum sim_model m)
{
	return m == SIM_MODEL_CUDA ? "cuda" : m == SIM_MODEL_TORCH ? "torch" : "exact";
}

static void add_note(struct scen *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(struct scen *sc, const char *fmt, ...)
{
	if (sc->n_notes >= (int)UTIL_ARRAY_SIZE(sc->notes))
		return;
	va_list ap;
	va_start(ap, fmt);
	sc->notes[sc->n_notes++] = util_xvasprintf(fmt, ap);
	va_end(ap);
}

static int parse_split(const char *s, struct llm_scenario *l, char **cause)
{
	const char *p = s;
	l->n_split = 0;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p || !(v >= 0) || !isfinite(v))
			return util_err(cause, UTIL_EINPUT, "--split '%s': expected proportions like 3,1,1,1", s);
		if (l->n_split >= TOPO_MAX_GPUS)
			return util_err(cause, UTIL_EINPUT, "--split '%s': too many entries", s);
		l->split[l->n_split++] = v;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return util_err(cause, UTIL_EINPUT, "--split '%s': expected proportions like 3,1,1,1", s);
	}
	double sum = 0;
	for (int i = 0; i < l->n_split; i++)
		sum += l->split[i];
	if (!isfinite(sum))
		return util_err(cause, UTIL_EINPUT, "--split '%s': proportions too large", s);
	if (l->n_split == 0 || sum <= 0)
		return util_err(cause, UTIL_EINPUT, "--split '%s': proportions must not all be zero", s);
	return 0;
}

static int parse_devmap(const char *s, struct scen_opts *o, char **cause)
{
	for (int i = 0; i < TOPO_MAX_GPUS; i++)
		o->device_map[i] = -1;
	o->n_map = 0;
	const char *p = s;
	while (*p) {
		char *end;
		long r = strtol(p, &end, 10);
		if (end == p || *end != '=' || r < 0 || r >= TOPO_MAX_GPUS)
			return util_err(cause, UTIL_EINPUT, "--device-map '%s': expected R=V pairs like 0=1,1=0", s);
		p = end + 1;
		long v = strtol(p, &end, 10);
		if (end == p || v < 0 || v >= TOPO_MAX_GPUS)
			return util_err(cause, UTIL_EINPUT, "--device-map '%s': expected R=V pairs like 0=1,1=0", s);
		o->device_map[r] = (int)v;
		if (r + 1 > o->n_map)
			o->n_map = (int)r + 1;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return util_err(cause, UTIL_EINPUT, "--device-map '%s': expected R=V pairs like 0=1,1=0", s);
	}
	o->device_map_spec = s;
	return 0;
}

int scen_recorded_topo(struct store *st, int64_t trace, const char *gpus, struct topo *t,
		       int *assumed, char **cause)
{
	*assumed = 0;
	if (gpus)
		return topo_parse(gpus, t, cause);
	struct trace_device *d = NULL;
	size_t nd = 0;
	int rc = store_devices(st, trace, &d, &nd, cause), n = 0;
	if (rc)
		return rc;
	for (size_t i = 0; i < nd; i++)
		if (d[i].index >= n && d[i].index < TOPO_MAX_GPUS)
			n = d[i].index + 1;
	if (!n) {
		/* No device records: as many GPUs as the events use. */
		struct store_event_stat *es = NULL;
		size_t ne = 0;
		if ((rc = store_event_stats(st, trace, &es, &ne, cause))) {
			free(d);
			return rc;
		}
		for (size_t i = 0; i < ne; i++)
			if (es[i].device >= n && es[i].device < TOPO_MAX_GPUS)
				n = es[i].device + 1;
		free(es);
		n = n ? n : 1;
	}
	memset(t, 0, sizeof(*t));
	t->n = n;
	uint8_t known[TOPO_MAX_GPUS] = { 0 };
	for (size_t i = 0; i < nd; i++)
		if (d[i].index >= 0 && d[i].index < n && d[i].total) {
			t->capacity[d[i].index] = d[i].total;
			known[d[i].index] = 1;
		}
	for (int g = 0; g < n; g++)
		if (!known[g]) {
			t->capacity[g] = SCEN_DEFAULT_GPU;
			(*assumed)++;
		}
	free(d);
	return 0;
}

/* --profile NAME|ID to a profile id, reading the store only: a what-if
 * on a read-only store must work, and the answer must not change what
 * later commands see. */
static int find_profile(struct store *st, const char *ref, int64_t *pid, char **cause)
{
	char *end;
	long long id = strtoll(ref, &end, 10);
	int rc = 0;
	*pid = 0;
	if (*end == '\0' && end != ref) {
		struct profile p = { 0 };
		if (id > 0 && store_profile_get(st, id, &p, NULL) == 0) {
			*pid = id;
			profile_clear(&p);
		}
	} else if ((rc = store_profile_find(st, ref, pid, cause))) {
		return rc;
	}
	if (!*pid)
		return util_err(cause, UTIL_EINPUT, "--profile '%s': no such profile in %s "
				"(import the GGUF first; `vramsim ls` lists profiles)", ref, store_path(st));
	return 0;
}

int scen_rebuild(struct scen *sc, char **cause)
{
	sc->identity = 0;
	free(sc->ev);
	sc->ev = NULL;
	sc->n_ev = 0;
	if (!sc->ld)
		return 0;
	sc->lsc.reserve = sc->cfg.reserve;
	int rc = sc->engine->build(sc->state, sc->ld, &sc->lsc, &sc->cfg.topo, &sc->ev, &sc->n_ev,
				   sc->layers, sc->desc, sizeof(sc->desc), cause);
	if (rc)
		return rc;
	memset(sc->cfg.measured_context, 0, sizeof(sc->cfg.measured_context));
	sim_source_events_context(sc->ev, sc->n_ev, sc->cfg.measured_context);
	sc->have_layers = !sc->ld->fixed;
	return 0;
}

static int identity_events(struct store *st, struct scen *sc, char **cause);

int scen_peaks_vs_ctx(struct store *st, struct scen *sc, const uint64_t *ctx, int n,
		      uint64_t *peak, char **cause)
{
	if (!sc->ld)
		return util_err(cause, UTIL_EINPUT, "a context sweep needs a llama.cpp/Ollama load");
	int G = sc->cfg.topo.n, rc = 0;
	struct llm_scenario keep_l = sc->lsc;
	struct sim_config keep_c = sc->cfg;
	if (!sc->lsc.n_split && !sc->ld->fixed) {
		sc->lsc.n_split = G;
		for (int g = 0; g < G; g++)
			sc->lsc.split[g] = sc->layers[g];
	}
	for (int g = 0; g < G; g++)
		sc->cfg.topo.capacity[g] = 1ull << 60;
	sc->cfg.on_oom = SIM_OOM_CONTINUE;
	struct sim_result *r = util_xcalloc(1, sizeof(*r));
	for (int i = 0; i < n && !rc; i++) {
		sc->lsc.ctx = ctx[i];
		if (!(rc = scen_rebuild(sc, cause)) && !(rc = scen_run(st, sc, NULL, r, cause)))
			for (int g = 0; g < G; g++)
				peak[(size_t)i * (size_t)G + (size_t)g] = g < r->n_dev ? r->dev[g].peak : 0;
	}
	free(r);
	sc->lsc = keep_l;
	sc->cfg = keep_c;
	int was_identity = sc->identity;
	int rc2 = scen_rebuild(sc, rc ? NULL : cause);
	if (!rc2 && was_identity)
		rc2 = identity_events(st, sc, rc ? NULL : cause);
	return rc ? rc : rc2;
}

/* ------------------------------------------------------- engine table */

/* The engine plan (engrow.h): a model spec planned by llama.cpp itself. */
static int engine_prepare(struct store *st, int64_t trace, const char *model, const struct scen_opts *o,
			  const struct topo *topo, struct llm_load *ld, void **state, char **cause)
{
	(void)trace;
	if (!model)
		return SCEN_ENGINE_NA;
	struct engrow *r = NULL;
	int rc = engrow_open(st, model, &o->eng, topo, ld, &r, cause);
	*state = r;
	/* a profile alone that came from a log keeps no GGUF header: the
	 * formula model reads the profile itself */
	if (rc == UTIL_EINPUT && !trace && o->meta.profile_id && !engrow_only_option(&o->eng))
		return SCEN_ENGINE_NA;
	return rc == ENGROW_NONE ? SCEN_ENGINE_NA : rc;
}

static const char *engine_describe(const void *state)
{
	return engrow_model_desc(state);
}

/* The formula model (sim/llm.c): a recorded load decomposed into layers,
 * a --model description, or a model spec's GGUF profile. Its state is
 * the model spec's description (malloc'd). */
static int formula_prepare(struct store *st, int64_t trace, const char *model, const struct scen_opts *o,
			   const struct topo *topo, struct llm_load *ld, void **state, char **cause)
{
	(void)topo;
	if (o->model_spec)
		return llm_from_spec(o->model_spec, ld, cause);
	if (!trace && o->meta.profile_id) {
		struct profile p = { 0 };
		int rc = store_profile_get(st, o->meta.profile_id, &p, cause);
		if (!rc)
			rc = llm_from_profile(&p, o->what.ctx, ld, cause);
		profile_clear(&p);
		return rc;
	}
	if (model) {
		char *desc = NULL;
		int rc = engrow_formula_load(st, model, o->eng.mmproj, o->what.ctx, ld, &desc, cause);
		*state = desc;
		return rc;
	}
	int rc = llm_decompose(st, trace, &o->meta, ld, cause);
	return rc && ld->not_a_load ? SCEN_ENGINE_NA : rc;
}

static int formula_build(void *state, const struct llm_load *ld, const struct llm_scenario *sc,
			 const struct topo *topo, struct trace_event **ev, size_t *n, int *layers, char *desc,
			 size_t desc_n, char **cause)
{
	(void)state;
	return llm_build(ld, sc, topo, ev, n, layers, desc, desc_n, cause);
}

static const char *formula_describe(const void *state)
{
	return state;
}

#define SCEN_ENGINE_ROW "engine"
const struct scen_engine scen_engines[] = {
	{ SCEN_ENGINE_ROW, "llama.cpp's own plan on virtual GPUs, re-planned for every what-if (sim/engrow.c)",
	  engine_prepare, engrow_build, engrow_close, engine_describe, NULL },
	{ "formula", "llama.cpp placement rules over a recorded load or a --model (sim/llm.c)",
	  formula_prepare, formula_build, free, formula_describe, NULL },
	{ "ollama-0.5", "Ollama's EstimateGPULayers, v0.1 to v0.6 (llm/memory.go)", NULL, NULL, NULL, NULL,
	  estimate_ollama05 },
	{ "ollama-0.7", "the same estimator from v0.7.0 to v0.12.10, layers from the last block down",
	  NULL, NULL, NULL, NULL, estimate_ollama07 },
	{ "ollama-0.7.0", "ollama-0.7 with v0.7.0's spare layer (the largest tensor group)", NULL, NULL, NULL,
	  NULL, estimate_ollama07 },
	{ "ollama-layout", "Ollama's 2025 \"new memory management\" layout (v0.11.5+)", NULL, NULL, NULL, NULL,
	  estimate_ollama_layout },
	{ "ollama-0.30", "Ollama v0.30+: llama-server's --fit, file size + f16 KV before launch", NULL,
	  NULL, NULL, NULL, estimate_ollama030 },
	{ "llama-fit", "llama.cpp --fit with its default 1024 MiB target (common/fit.cpp)", NULL, NULL, NULL,
	  NULL, estimate_llama_fit },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

int scen_is_engine_plan(const struct scen *sc)
{
	return sc->engine && !strcmp(sc->engine->name, SCEN_ENGINE_ROW);
}

const struct scen_engine *scen_engine_find(const char *name)
{
	for (const struct scen_engine *e = scen_engines; e->name; e++)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

const char *scen_estimators(void)
{
	static char list[256];
	if (list[0])
		return list;
	int n = 0, k = 0, off = 0;
	for (const struct scen_engine *e = scen_engines; e->name; e++)
		n += e->estimate != NULL;
	for (const struct scen_engine *e = scen_engines; e->name; e++) {
		if (!e->estimate)
			continue;
		k++;
		off += snprintf(list + off, sizeof(list) - (size_t)off, "%s%s",
				k == 1 ? "" : k == n ? " or " : ", ", e->name);
	}
	return list;
}

int scen_recorded_terms(struct store *st, const struct scen *sc,
			uint64_t (*rec)[TRACE_CAT_MAX], int *n, char **cause)
{
	*n = 0;
	if (!sc->ld || sc->identity || !sc->trace)
		return 0;
	struct trace_event *ev = NULL;
	size_t ne = 0;
	int rc = sim_source_load(st, sc->trace, &ev, &ne, cause), max_dev = -1;
	if (rc)
		return rc;
	memset(rec, 0, sizeof(*rec) * TOPO_MAX_GPUS);
	for (size_t i = 0; i < ne; i++) {
		const struct trace_event *e = &ev[i];
		if (e->device < 0 || e->device >= TOPO_MAX_GPUS || e->category >= TRACE_CAT_MAX)
			continue;
		if (e->kind == TRACE_ALLOC)
			rec[e->device][e->category] += e->size;
		else if (e->kind == TRACE_FREE)
			rec[e->device][e->category] -= e->size;
		else
			continue;
		if (e->device > max_dev)
			max_dev = e->device;
	}
	free(ev);
	if (max_dev + 1 == sc->cfg.topo.n)
		*n = max_dev + 1;
	return 0;
}

void scen_judge(const struct scen *sc, const struct sim_result *res, uint64_t margin,
		struct verdict *v)
{
	verdict_judge(res, sc->identity || !sc->ld ? VERDICT_SRC_RECORDED
			   : scen_is_engine_plan(sc) ? VERDICT_SRC_ENGINE : VERDICT_SRC_FORMULA, margin,
		      sc->lower_bound, v);
}

int scen_can_scale(struct scen *sc, const struct scen_opts *o, int what, const char *opt,
		   char **cause)
{
	const struct llm_load *ld = sc->ld;
	if (!ld || scen_is_engine_plan(sc))
		return 0; /* llama.cpp plans every term itself */
	if (what & SCEN_SCALE_CTX) {
		int kv = ld->kv_layer || ld->host_kv;
		int shape = !kv && ld->kv_per_cell > 0 && (what & SCEN_SCALE_KV_ONLY || o->what.ctx ||
							    !strcmp(opt, "--max-ctx"));
		if (shape)
			kv = 1; /* from the model's shape (llm.c) */
		else if (kv && !ld->cells && !(what & SCEN_SCALE_KV_ONLY))
			return util_err(cause, UTIL_EINPUT, "%s: the log shows a KV cache but not the context "
					"it was made for (n_ctx), so it cannot be scaled: give --meta ctx=N "
					"(all slots)", opt);
		if (!kv) {
			if (!o->assume_missing)
				return util_err(cause, UTIL_EINPUT, "%s: the trace records no KV cache and the "
						"model's shape is unknown, so a context cannot be answered: "
						"import the model's GGUF (--profile), or give its shape (--meta "
						"embd=,heads=,kv_heads=), or --assume-missing for a lower bound "
						"without KV", opt);
			if (!sc->lower_bound)
				add_note(sc, "%s: no KV cache recorded: KV is not counted, every figure is "
					 "a lower bound (--assume-missing)", opt);
			sc->lower_bound = 1;
		}
	}
	if (what & SCEN_SCALE_COMPUTE) {
		int comp = 0;
		for (int r = 0; r < LLM_ROLES; r++)
			comp |= ld->have_role[r];
		for (int d = 0; d < ld->fx_n; d++)
			comp |= ld->fx_has_comp[d];
		if (!comp) {
			if (!o->assume_missing)
				return util_err(cause, UTIL_EINPUT, "%s: the trace records no GPU compute buffer "
						"to scale: add a log with the compute buffer lines (llama.cpp "
						"prints them at load), or --assume-missing for a lower bound", opt);
			if (!sc->lower_bound)
				add_note(sc, "%s: no compute buffer recorded: compute is not counted, "
					 "every figure is a lower bound (--assume-missing)", opt);
			sc->lower_bound = 1;
		}
	}
	return 0;
}

/* Per-GPU bytes of an event list (for "no effect"). */
static void dev_totals(const struct trace_event *ev, size_t n, uint64_t *t)
{
	memset(t, 0, sizeof(uint64_t) * (TOPO_MAX_GPUS + 1));
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == TRACE_ALLOC)
			t[ev[i].device >= 0 && ev[i].device < TOPO_MAX_GPUS ? ev[i].device + 1 : 0] +=
				ev[i].size;
}

/*
 * Say which what-if options changed nothing: build the scenario with
 * each given option alone and compare per-device bytes with the build
 * without it.
 */
static void note_no_effect(struct scen *sc, const struct scen_opts *o)
{
	struct llm_scenario base;
	llm_scenario_init(&base);
	base.main_gpu = -1;
	base.reserve = sc->cfg.reserve;
	if (sc->lsc.n_split && !o->what.n_split) { /* the recorded split kept */
		base.n_split = sc->lsc.n_split;
		memcpy(base.split, sc->lsc.split, sizeof(base.split));
	}
	struct trace_event *ev = NULL;
	size_t n = 0;
	int layers[TOPO_MAX_GPUS];
	uint64_t t0[TOPO_MAX_GPUS + 1], t1[TOPO_MAX_GPUS + 1];
	if (sc->engine->build(sc->state, sc->ld, &base, &sc->cfg.topo, &ev, &n, layers, NULL, 0, NULL))
		return;
	dev_totals(ev, n, t0);
	free(ev);
	const struct llm_scenario *w = &o->what;
	static const char *const names[] = { "--ctx", "--parallel", "--ubatch", "--batch", "--flash-attn",
					     "--kv-type", "--main-gpu" };
	for (int k = 0; k < (int)UTIL_ARRAY_SIZE(names); k++) {
		struct llm_scenario one = base;
		int given = 1;
		switch (k) {
		case 0: given = w->ctx != 0; one.ctx = w->ctx; break;
		case 1: given = w->parallel != 0; one.parallel = w->parallel; break;
		case 2: given = w->ubatch != 0; one.ubatch = w->ubatch; break;
		case 3: given = w->batch != 0; one.batch = w->batch; break;
		case 4: given = w->flash_attn >= 0; one.flash_attn = w->flash_attn; break;
		case 5: given = w->kv_type[0] != 0; memcpy(one.kv_type, w->kv_type, sizeof(one.kv_type)); break;
		default: given = w->main_gpu >= 0; one.main_gpu = w->main_gpu; break;
		}
		if (!given)
			continue;
		ev = NULL;
		if (sc->engine->build(sc->state, sc->ld, &one, &sc->cfg.topo, &ev, &n, layers, NULL, 0, NULL))
			continue;
		dev_totals(ev, n, t1);
		free(ev);
		if (!memcmp(t0, t1, sizeof(t0)) && scen_is_engine_plan(sc))
			add_note(sc, "%s had no effect: llama.cpp's plan of this model is the same without it%s",
				 names[k], k == 4 && w->flash_attn > 0 ?
				 " (llama.cpp's default, auto, turns flash attention on where the GPU supports"
				 " it, as these virtual GPUs do)" : "");
		else if (!memcmp(t0, t1, sizeof(t0)))
			add_note(sc, "%s had no effect on the prediction: nothing the load recorded "
				 "depends on it%s", names[k],
				 k == 3 ? " (the logical batch sizes no buffer the formula model knows)" : "");
	}
}

/* Any layer or context what-if given? */
int scen_what_given(const struct llm_scenario *w)
{
	return w->n_split || w->n_gpu_layers >= 0 || w->ctx || w->parallel || w->ubatch || w->batch ||
	       w->flash_attn >= 0 || w->kv_type[0] || w->main_gpu >= 0 || w->amb;
}

int scen_estimate_only(struct store *st, int64_t trace)
{
	int64_t v = 0, ps = 0;
	int set = 0, set_ps = 0;
	struct store_trace_info ti = { 0 };
	if (settings_int(st, trace, SET_ESTIMATE_ONLY, &v, &set, NULL) ||
	    settings_int(st, trace, SET_OLLAMA_PS_SIZE, &ps, &set_ps, NULL) ||
	    !((set && v == 1) || (set_ps && ps > 0)) || store_trace_get(st, trace, &ti, NULL))
		return 0;
	int empty = ti.n_events == 0;
	store_trace_info_clear(&ti);
	return empty;
}

/*
 * A plan kept by `plan --save` knows its model and settings (engrec.h):
 * its what-if is the engine's re-plan over them. 0 when the engine row
 * took it; 1 when it cannot (no engine, the model gone: the note says
 * why, and the formula model answers); 2 when the trace names no model;
 * a UTIL_* code on a store error.
 */
static int replan_kept(struct store *st, const struct scen_opts *o, struct scen *sc, char **cause)
{
	struct engrec_saved *kept = util_xcalloc(1, sizeof(*kept));
	int rc = engrec_saved_plan(st, sc->trace, kept, cause);
	if (rc) {
		free(kept);
		return rc == ENGREC_NOT_PLAN ? 2 : rc;
	}
	const struct scen_engine *row = scen_engine_find(SCEN_ENGINE_ROW);
	struct scen_opts oo = *o;
	oo.meta.profile_id = sc->profile_id;
	if (!oo.eng.mmproj && kept->mmproj[0])
		oo.eng.mmproj = kept->mmproj; /* the kept projector, unless --mmproj names another */
	sc->ld = util_xcalloc(1, sizeof(*sc->ld));
	void *state = NULL;
	char *why = NULL;
	rc = row->prepare(st, 0, kept->spec, &oo, &sc->cfg.topo, sc->ld, &state, &why);
	if (rc == 0) {
		engrow_set_base(state, kept);
		sc->engine = row;
		sc->state = state;
		sc->model_ref = util_xstrdup(kept->spec);
		add_note(sc, "an engine plan kept by `plan --save`: its what-if re-planned by llama.cpp from the "
			 "kept model (%s) and settings", kept->spec);
	} else {
		if (row->release)
			row->release(state);
		free(sc->ld);
		sc->ld = NULL;
		add_note(sc, "an engine plan, its what-if by the formula model: its model %s cannot be re-planned "
			 "by llama.cpp here (%s)", kept->spec, why ? why : "?");
	}
	free(why);
	free(kept);
	return rc == 0 ? 0 : 1;
}

static int prepare_load(struct store *st, const struct scen_opts *o, struct scen *sc, char **cause)
{
	/* An engine plan (engtrace.h) replays as planned; a what-if of it is
	 * the formula model's unless re-planned with `vramsim plan`. */
	char *eng = NULL;
	int is_plan = sc->trace && !o->model_spec &&
		      store_setting_get(st, sc->trace, SK(ENGINE), &eng, NULL) == 0 && eng &&
		      strcmp(eng, "llama.cpp engine plan") == 0;
	free(eng);
	const char *only = engrow_only_option(&o->eng);
	int kept = 2;
	if (is_plan && (scen_what_given(&o->what) || only) && !sc->model_ref) {
		kept = replan_kept(st, o, sc, cause);
		if (kept <= 0)
			return kept; /* re-planned, or a store error */
	}
	if (only && !sc->model_ref)
		return util_err(cause, UTIL_EINPUT, "%s is answered by the llama.cpp engine plan only: give the "
				"model as TRACE (a GGUF path, ollama:NAME, store:PROFILE or model:KEY=V)%s", only,
				is_plan ? ", or re-plan with `vramsim plan`" : "");
	if (is_plan && !scen_what_given(&o->what)) {
		add_note(sc, "an engine plan by llama.cpp, replayed as planned");
		return 0;
	}
	if (is_plan && kept != 1)
		add_note(sc, "an engine plan, its what-if by the formula model: `vramsim plan` re-plans "
			 "it with llama.cpp");
	struct scen_opts oo = *o;
	oo.meta.profile_id = sc->profile_id;
	char *why = NULL, *why_engine = NULL;
	int rc = SCEN_ENGINE_NA;
	for (const struct scen_engine *e = scen_engines; e->name && rc == SCEN_ENGINE_NA; e++) {
		if (!e->prepare)
			continue;
		sc->ld = util_xcalloc(1, sizeof(*sc->ld));
		free(why);
		why = NULL;
		void *state = NULL;
		rc = e->prepare(st, sc->trace, sc->model_ref, &oo, &sc->cfg.topo, sc->ld, &state, &why);
		if (rc == 0) {
			sc->engine = e;
			sc->state = state;
			break;
		}
		if (e->release)
			e->release(state);
		if (rc == SCEN_ENGINE_NA && sc->model_ref && !why_engine && why) {
			why_engine = why;
			why = NULL;
		}
		free(sc->ld);
		sc->ld = NULL;
	}
	if (!rc && sc->model_ref && !scen_is_engine_plan(sc)) {
		if (only)
			rc = util_err(cause, UTIL_EINPUT, "%s needs the llama.cpp engine plan, and there is none: %s",
				      only, why_engine ? why_engine : "?");
		else
			add_note(sc, "the formula model (sim/llm.c) from the GGUF's profile: no llama.cpp engine "
				 "plan (%s)", why_engine ? why_engine : "?");
	}
	if (!rc && sc->engine && sc->engine->describe && sc->engine->describe(sc->state))
		add_note(sc, "model: %s", sc->engine->describe(sc->state));
	if (!rc && scen_is_engine_plan(sc))
		add_note(sc, "engine plan (%s): weights, KV and compute are llama.cpp's own; the CUDA "
			 "context (\"Runtime\": --reserve) and cuBLAS's workspace (--workspace) are added per GPU",
			 engrow_engine(sc->state));
	free(why_engine);
	if (rc == SCEN_ENGINE_NA) {
		if (scen_what_given(&o->what) && sc->trace && scen_estimate_only(st, sc->trace))
			rc = util_err(cause, UTIL_EINPUT, "trace %lld holds only Ollama's estimate, no "
				      "load to change: a what-if needs the model (import its GGUF and add "
				      "--profile NAME, or --model layers=..,size=..)", (long long)sc->trace);
		else if (scen_what_given(&o->what))
			rc = util_err(cause, UTIL_EINPUT, "%s", why ? why : "not a llama.cpp/Ollama load");
		else
			rc = 0; /* replayed raw */
		if (!rc && o->profile)
			add_note(sc, "--profile had no effect: the trace is not a model load");
	} else if (rc) {
		util_err(cause, rc, "%s", why ? why : "cannot read the load");
	}
	free(why);
	return rc;
}

/*
 * No layer or context what-if: the load replays as it ran, from its own
 * events, on the recorded devices (a rebuilt placement would move KV,
 * average the CUDA context over GPUs and put a row split on one device).
 * The rebuild before this gave the description and the layer counts;
 * `fit` and later what-ifs rebuild from the decomposition. Needs a GPU
 * for every recorded device, else the what-if placement stands.
 */
static int identity_events(struct store *st, struct scen *sc, char **cause)
{
	struct trace_event *ev = NULL;
	size_t n = 0;
	int rc = sim_source_load(st, sc->trace, &ev, &n, cause);
	if (rc)
		return rc;
	int max_dev = -1;
	for (size_t i = 0; i < n; i++)
		if (ev[i].device > max_dev)
			max_dev = ev[i].device;
	int n_rec = max_dev + 1;
	struct trace_device *devs = NULL;
	size_t nd = 0;
	if ((rc = store_devices(st, sc->trace, &devs, &nd, cause))) {
		free(ev);
		return rc;
	}
	for (size_t i = 0; i < nd; i++)
		if (devs[i].index + 1 > n_rec)
			n_rec = devs[i].index + 1;
	free(devs);
	if (n_rec != sc->cfg.topo.n) {
		/* another GPU count is a what-if: the layers are placed anew */
		free(ev);
		return 0;
	}
	/* Layer ranges the log did not print: the decomposition's, for a
	 * device holding one weights buffer (OOM messages name them). */
	int lo[TOPO_MAX_GPUS], hi[TOPO_MAX_GPUS], nw[TOPO_MAX_GPUS] = { 0 };
	for (int g = 0; g < TOPO_MAX_GPUS; g++)
		lo[g] = hi[g] = -1;
	for (size_t i = 0; i < sc->n_ev; i++) {
		const struct trace_event *e = &sc->ev[i];
		if (e->category == TRACE_CAT_WEIGHTS && e->device >= 0 && e->device < TOPO_MAX_GPUS) {
			lo[e->device] = e->layer_lo;
			hi[e->device] = e->layer_hi;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == TRACE_ALLOC && ev[i].category == TRACE_CAT_WEIGHTS && ev[i].device >= 0)
			nw[ev[i].device]++;
	for (size_t i = 0; i < n; i++) {
		struct trace_event *e = &ev[i];
		if (e->kind == TRACE_ALLOC && e->category == TRACE_CAT_WEIGHTS && e->device >= 0 &&
		    e->layer_lo < 0 && nw[e->device] == 1) {
			e->layer_lo = lo[e->device];
			e->layer_hi = hi[e->device];
		}
	}
	free(sc->ev);
	sc->ev = ev;
	sc->n_ev = n;
	sc->identity = 1;
	memset(sc->cfg.measured_context, 0, sizeof(sc->cfg.measured_context));
	sim_source_events_context(sc->ev, sc->n_ev, sc->cfg.measured_context);
	static const char pre[] = "as recorded: ";
	size_t dl = strlen(sc->desc);
	if (dl + sizeof(pre) > sizeof(sc->desc))
		dl = sizeof(sc->desc) - sizeof(pre);
	memmove(sc->desc + sizeof(pre) - 1, sc->desc, dl);
	memcpy(sc->desc, pre, sizeof(pre) - 1);
	sc->desc[dl + sizeof(pre) - 1] = '\0';
	return 0;
}

int scen_prepare(struct store *st, const char *ref, const struct scen_opts *o, struct scen *sc,
		 char **cause)
{
	memset(sc, 0, sizeof(*sc));
	sim_config_init(&sc->cfg);
	llm_scenario_init(&sc->lsc);
	int rc = 0;
	if (o->raw && o->model_spec)
		return util_err(cause, UTIL_EINPUT, "--raw replays a recorded trace as it is; --model "
				"describes a model with no recorded events");
	sc->cfg.reserve_set = o->have_reserve;
	if (o->have_reserve)
		sc->cfg.reserve = o->reserve;
	sc->cfg.on_oom = o->on_oom;
	sc->cfg.managed_as_vram = o->managed_as_vram;
	sc->cfg.model = o->model;
	sc->cfg.alloc_conf = o->alloc_conf;
	if (o->alloc_conf && sc->cfg.model != SIM_MODEL_TORCH)
		return util_err(cause, UTIL_EINPUT, "--alloc-conf configures PyTorch's allocator: "
				"add --alloc torch");

	if (!o->model_spec && ref && engrow_is_model(ref)) {
		/* a model, not a trace: planned from its GGUF */
		sc->model_ref = util_xstrdup(ref);
		sc->trace_name = util_xstrdup(ref);
		if (o->profile)
			add_note(sc, "--profile had no effect: %s names the model", ref);
		if (!o->gpus)
			return util_err(cause, UTIL_EINPUT, "%s is a model: give --gpus (e.g. --gpus 4x24G)", ref);
	} else if (!o->model_spec && !ref && o->profile && st &&
		   !store_trace_resolve(st, NULL, &sc->trace, NULL)) {
		;
	} else if (!o->model_spec && !ref && o->profile) {
		/* a store holding only model profiles: the GGUF alone, through
		 * the engine plan when its header is kept (store:), else the
		 * formula model from the profile */
		sc->trace = 0;
		if ((rc = find_profile(st, o->profile, &sc->profile_id, cause)))
			return rc;
		sc->trace_name = util_xasprintf("(profile %s)", o->profile);
		sc->model_ref = util_xasprintf("store:%lld", (long long)sc->profile_id);
		if (!o->gpus)
			return util_err(cause, UTIL_EINPUT, "a model profile alone needs --gpus "
					"(e.g. --gpus 2x24G)");
	}
	if (sc->trace_name) {
		; /* a model or the profile alone */
	} else if (!o->model_spec) {
		if ((rc = store_trace_resolve(st, ref, &sc->trace, cause)))
			return rc;
		struct store_trace_info ti;
		if ((rc = store_trace_get(st, sc->trace, &ti, cause)))
			return rc;
		sc->trace_name = util_xstrdup(ti.name);
		if (ti.truncated)
			add_note(sc, "the trace is truncated: the recorded run ended early");
		store_trace_info_clear(&ti);
		if (o->profile && (rc = find_profile(st, o->profile, &sc->profile_id, cause)))
			return rc;
	} else {
		sc->trace_name = util_xstrdup("(--model)");
		if (o->profile)
			add_note(sc, "--profile had no effect: --model describes the model");
	}
	if (o->gpus)
		sc->cfg.topo = o->topo;
	else if (o->model_spec || !sc->trace)
		rc = util_err(cause, UTIL_EINPUT, "--model needs --gpus (e.g. --gpus 4x24G)");
	else {
		int assumed;
		rc = scen_recorded_topo(st, sc->trace, NULL, &sc->cfg.topo, &assumed, cause);
		if (!rc && assumed)
			rc = util_err(cause, UTIL_EINPUT, "the trace does not record every GPU's size: "
				      "give --gpus (e.g. --gpus 4x24G)");
	}
	if (rc)
		return rc;
	topo_format(&sc->cfg.topo, sc->topo_str, sizeof(sc->topo_str));

	if (!o->raw && (rc = prepare_load(st, o, sc, cause)))
		return rc;
	if (sc->ld) {
		struct llm_scenario *l = &sc->lsc;
		*l = o->what;
		if (!o->what.n_split && !sc->ld->fixed && sc->ld->rec_gpus == sc->cfg.topo.n &&
		    sc->ld->rec_gpus > 1) {
			/* Same GPU count: keep the recorded split. */
			for (int g = 0; g < sc->ld->rec_gpus; g++)
				l->split[g] = sc->ld->rec_layers[g];
			l->n_split = sc->ld->rec_gpus;
		}
		if (o->what.n_gpu_layers > (int)sc->ld->n_layer + 1 && !sc->ld->fixed)
			return util_err(cause, UTIL_EINPUT, "--num-gpu %d: the model has %u layers plus the "
					"output layer (at most %u)", o->what.n_gpu_layers, sc->ld->n_layer,
					sc->ld->n_layer + 1);
		if (o->what.n_split && o->what.n_split != sc->cfg.topo.n)
			return util_err(cause, UTIL_EINPUT, "--split has %d entries but --gpus gives %d GPUs (%s)",
					o->what.n_split, sc->cfg.topo.n, sc->topo_str);
		uint64_t per = o->what.ctx;
		if (per && sc->ld->n_ctx_train && per > sc->ld->n_ctx_train) {
			if (!o->allow_beyond_train)
				return util_err(cause, UTIL_EINPUT, "--ctx %llu is above the model's trained "
						"context (%u): add --allow-ctx-beyond-train to ask anyway",
						(unsigned long long)per, sc->ld->n_ctx_train);
			add_note(sc, "--ctx %llu is above the model's trained context (%u)",
				 (unsigned long long)per, sc->ld->n_ctx_train);
		}
		/* a context moves KV, and the KQ term of compute without flash attention */
		int fa = o->what.flash_attn >= 0 ? o->what.flash_attn : sc->ld->flash_attn;
		if ((o->what.ctx || o->what.parallel) &&
		    (rc = scen_can_scale(sc, o, SCEN_SCALE_CTX | (fa ? 0 : SCEN_SCALE_COMPUTE),
					 o->what.ctx ? "--ctx" : "--parallel", cause)))
			return rc;
		if (o->what.kv_type[0] &&
		    (rc = scen_can_scale(sc, o, SCEN_SCALE_CTX | SCEN_SCALE_KV_ONLY, "--kv-type", cause)))
			return rc;
		if ((o->what.ubatch || o->what.flash_attn >= 0) &&
		    (rc = scen_can_scale(sc, o, SCEN_SCALE_COMPUTE, o->what.ubatch ? "--ubatch"
					 : "--flash-attn", cause)))
			return rc;
		if (!sc->cfg.reserve_set && sc->ld->context)
			sc->cfg.reserve = sc->ld->context;
		if (!sc->cfg.reserve_set && scen_is_engine_plan(sc)) {
			/* the default reserve is llama.cpp's measured "unaccounted"
			 * per GPU, which holds the workspace charged apart */
			uint64_t ws = engrow_workspace(sc->state);
			sc->cfg.reserve = SIM_DEFAULT_RESERVE > ws ? SIM_DEFAULT_RESERVE - ws : 0;
			add_note(sc, "runtime per GPU: CUDA context %.0f MiB and cuBLAS workspace %.0f MiB, the "
				 "450 MiB llama.cpp's breakdown shows unaccounted per GPU (llama.cpp PR #15860) "
				 "split by cuBLAS's recommended workspace; --reserve and --workspace set them",
				 (double)sc->cfg.reserve / UTIL_MIB, (double)ws / UTIL_MIB);
		}
		for (int i = 0; i < sc->ld->n_notes; i++)
			add_note(sc, "%s", sc->ld->notes[i]);
		sc->lower_bound |= llm_lower_bound(sc->ld, &o->what); /* the log lacks KV or compute */
		if ((rc = scen_rebuild(sc, cause)))
			return rc;
		if (sc->trace && !sc->model_ref && !scen_what_given(&o->what) && !o->rebuild &&
		    (rc = identity_events(st, sc, cause)))
			return rc;
		if (scen_what_given(&o->what))
			note_no_effect(sc, o);
		sc->model_name = util_xstrdup(sc->ld->model[0] ? sc->ld->model : sc->trace_name);
	} else {
		if (o->n_map) {
			for (int r = 0; r < o->n_map; r++)
				if (o->device_map[r] >= sc->cfg.topo.n)
					return util_err(cause, UTIL_EINPUT, "--device-map '%s': GPU %d is not in "
							"--gpus (0..%d)", o->device_map_spec, o->device_map[r],
							sc->cfg.topo.n - 1);
			memcpy(sc->cfg.device_map, o->device_map, sizeof(sc->cfg.device_map));
			sc->cfg.n_map = o->n_map;
		}
		if ((rc = sim_source_context(st, sc->trace, sc->cfg.measured_context, cause)))
			return rc;
		snprintf(sc->desc, sizeof(sc->desc), "recorded events as they are%s%s",
			 o->n_map ? ", device map " : "", o->n_map ? o->device_map_spec : "");
	}
	return 0;
}

int scen_run(struct store *st, struct scen *sc, const struct sim_observer *obs,
	     struct sim_result *res, char **cause)
{
	struct sim_source *src;
	int rc;
	if (sc->ld) {
		src = sim_source_array(sc->ev, sc->n_ev);
	} else if ((rc = sim_source_store(st, sc->trace, &src, cause))) {
		return rc;
	}
	sc->cfg.obs = obs;
	rc = sim_replay(&sc->cfg, src, res, cause);
	sim_source_free(src);
	return rc;
}

void scen_clear(struct scen *sc)
{
	if (!sc)
		return;
	if (sc->engine && sc->engine->release)
		sc->engine->release(sc->state);
	free(sc->model_ref);
	free(sc->ld);
	free(sc->ev);
	for (int i = 0; i < sc->n_notes; i++)
		free(sc->notes[i]);
	free(sc->trace_name);
	free(sc->model_name);
	memset(sc, 0, sizeof(*sc));
}
