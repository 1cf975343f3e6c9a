/*
 * scenario.c - what-if options and the preparation of one replay.
 */
#include "scenario.h"
#include "cli.h"
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
	o->num_gpu = -1;
	o->main_gpu = -1;
	o->flash_attn = -1;
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

int scen_opt(struct scen_opts *o, int c, const char *arg, char **cause)
{
	int v, rc = 0;
	switch (c) {
	case SCEN_OPT_GPUS: o->gpus = arg; break;
	case SCEN_OPT_SPLIT: {
		struct llm_scenario l;
		if (!(rc = parse_split(arg, &l, cause)))
			o->split = arg;
		break;
	}
	case SCEN_OPT_NUMGPU: rc = pos_int("--num-gpu", arg, 0, LLM_MAX_LAYERS + 1, &o->num_gpu, cause); break;
	case SCEN_OPT_MAINGPU: rc = pos_int("--main-gpu", arg, 0, TOPO_MAX_GPUS - 1, &o->main_gpu, cause); break;
	case SCEN_OPT_CTX:
		if (!(rc = pos_int("--ctx", arg, 1, 1 << 30, &v, cause)))
			o->ctx = (uint64_t)v;
		break;
	case SCEN_OPT_PARALLEL: rc = pos_int("--parallel", arg, 1, 4096, &o->parallel, cause); break;
	case SCEN_OPT_UBATCH: rc = pos_int("--ubatch", arg, 1, 1 << 20, &o->ubatch, cause); break;
	case SCEN_OPT_BATCH: rc = pos_int("--batch", arg, 1, 1 << 20, &o->batch, cause); break;
	case SCEN_OPT_FA:
		if (!strcmp(arg, "on") || !strcmp(arg, "1"))
			o->flash_attn = 1;
		else if (!strcmp(arg, "off") || !strcmp(arg, "0"))
			o->flash_attn = 0;
		else
			rc = util_err(cause, UTIL_EINPUT, "--flash-attn '%s': expected on or off", arg);
		break;
	case SCEN_OPT_KV:
		if (llm_kv_bytes(arg) == 0)
			rc = util_err(cause, UTIL_EINPUT, "--kv-type '%s': expected f16, bf16, f32, q8_0, "
				      "q4_0, q4_1, iq4_nl, q5_0 or q5_1", arg);
		o->kv_type = arg;
		break;
	case SCEN_OPT_RESERVE: {
		uint64_t b;
		if (!(rc = topo_parse_size(arg, 0, &b, cause)))
			o->reserve = arg;
		else {
			char *inner = *cause;
			*cause = util_xasprintf("--reserve %s", inner);
			free(inner);
		}
		break;
	}
	case SCEN_OPT_ONOOM:
		if (strcmp(arg, "stop") && strcmp(arg, "continue") && strcmp(arg, "spill"))
			rc = util_err(cause, UTIL_EINPUT, "--on-oom '%s': expected stop, continue or spill", arg);
		o->on_oom = arg;
		break;
	case SCEN_OPT_ALLOC:
		if (strcmp(arg, "exact") && strcmp(arg, "cuda") && strcmp(arg, "torch"))
			rc = util_err(cause, UTIL_EINPUT, "--alloc '%s': expected exact, cuda or torch", arg);
		o->alloc_model = arg;
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
	case SCEN_OPT_DEVMAP: o->device_map = arg; break;
	case SCEN_OPT_PROFILE: o->profile = arg; break;
	case SCEN_OPT_MODEL: o->model_spec = arg; break;
	case SCEN_OPT_RAW: o->raw = 1; break;
	case SCEN_OPT_META: {
		struct llm_meta m;
		if (!(rc = llm_meta_parse(arg, &m, cause)))
			o->meta = arg;
		break;
	}
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

static int family_storeless(const void *state)
{
	return ((const struct scen_opts *)state)->model_spec != NULL;
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

static int parse_devmap(const char *s, struct sim_config *cfg, char **cause)
{
	for (int i = 0; i < TOPO_MAX_GPUS; i++)
		cfg->device_map[i] = -1;
	const char *p = s;
	while (*p) {
		char *end;
		long r = strtol(p, &end, 10);
		if (end == p || *end != '=' || r < 0 || r >= TOPO_MAX_GPUS)
			return util_err(cause, UTIL_EINPUT, "--device-map '%s': expected R=V pairs like 0=1,1=0", s);
		p = end + 1;
		long v = strtol(p, &end, 10);
		if (end == p || v < 0 || v >= cfg->topo.n)
			return util_err(cause, UTIL_EINPUT, "--device-map '%s': GPU %ld is not in --gpus (0..%d)",
					s, v, cfg->topo.n - 1);
		cfg->device_map[r] = (int)v;
		if (r + 1 > cfg->n_map)
			cfg->n_map = (int)r + 1;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return util_err(cause, UTIL_EINPUT, "--device-map '%s': expected R=V pairs like 0=1,1=0", s);
	}
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

static int attach_profile(struct store *st, int64_t trace, const char *ref, char **cause)
{
	int64_t pid = 0;
	char *end;
	long long id = strtoll(ref, &end, 10);
	int rc = 0;
	if (*end == '\0' && end != ref)
		pid = id;
	else if ((rc = store_profile_find(st, ref, &pid, cause)))
		return rc;
	if (!pid)
		return util_err(cause, UTIL_EINPUT, "--profile '%s': no such profile in %s "
				"(import the GGUF first)", ref, store_path(st));
	/* The attachment is part of the store's knowledge: keep it. */
	if ((rc = store_begin(st, cause)))
		return rc;
	if ((rc = store_profile_attach(st, trace, pid, cause)) || (rc = store_commit(st, cause))) {
		store_rollback(st);
		return rc;
	}
	return 0;
}

int scen_rebuild(struct scen *sc, char **cause)
{
	free(sc->ev);
	sc->ev = NULL;
	sc->n_ev = 0;
	if (!sc->ld)
		return 0;
	sc->lsc.reserve = sc->cfg.reserve;
	int rc = llm_build(sc->ld, &sc->lsc, &sc->cfg.topo, &sc->ev, &sc->n_ev, sc->layers,
			   sc->desc, sizeof(sc->desc), cause);
	if (rc)
		return rc;
	memset(sc->cfg.measured_context, 0, sizeof(sc->cfg.measured_context));
	sim_events_context(sc->ev, sc->n_ev, sc->cfg.measured_context);
	sc->have_layers = !sc->ld->fixed;
	return 0;
}

int scen_prepare(struct store *st, const char *ref, const struct scen_opts *o, struct scen *sc,
		 char **cause)
{
	memset(sc, 0, sizeof(*sc));
	sim_config_init(&sc->cfg);
	llm_scenario_init(&sc->lsc);
	int rc = 0;
	if (o->reserve) {
		topo_parse_size(o->reserve, 0, &sc->cfg.reserve, NULL);
		sc->cfg.reserve_set = 1;
	}
	if (o->on_oom)
		sc->cfg.on_oom = !strcmp(o->on_oom, "spill") ? SIM_OOM_SPILL
			       : !strcmp(o->on_oom, "continue") ? SIM_OOM_CONTINUE : SIM_OOM_STOP;
	if (o->alloc_model && !strcmp(o->alloc_model, "cuda"))
		sc->cfg.model = SIM_MODEL_CUDA;
	else if (o->alloc_model && !strcmp(o->alloc_model, "torch"))
		sc->cfg.model = SIM_MODEL_TORCH;
	sc->cfg.alloc_conf = o->alloc_conf;
	if (o->alloc_conf && sc->cfg.model != SIM_MODEL_TORCH)
		return util_err(cause, UTIL_EINPUT, "--alloc-conf configures PyTorch's allocator: "
				"add --alloc torch");

	if (!o->model_spec) {
		if ((rc = store_trace_resolve(st, ref, &sc->trace, cause)))
			return rc;
		struct store_trace_info ti;
		if ((rc = store_trace_get(st, sc->trace, &ti, cause)))
			return rc;
		sc->trace_name = util_xstrdup(ti.name);
		if (ti.truncated)
			add_note(sc, "the trace is truncated: the recorded run ended early");
		store_trace_info_clear(&ti);
		if (o->profile && (rc = attach_profile(st, sc->trace, o->profile, cause)))
			return rc;
	} else {
		sc->trace_name = util_xstrdup("(--model)");
	}
	if (o->gpus)
		rc = topo_parse(o->gpus, &sc->cfg.topo, cause);
	else if (o->model_spec)
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

	int llm_opt = o->split || o->num_gpu >= 0 || o->ctx || o->parallel || o->ubatch || o->batch ||
		      o->flash_attn >= 0 || o->kv_type || o->main_gpu >= 0;
	if (o->model_spec) {
		sc->ld = util_xcalloc(1, sizeof(*sc->ld));
		if ((rc = llm_from_spec(o->model_spec, sc->ld, cause)))
			return rc;
	} else if (!o->raw) {
		sc->ld = util_xcalloc(1, sizeof(*sc->ld));
		char *why = NULL;
		struct llm_meta meta = { 0 };
		if (o->meta)
			llm_meta_parse(o->meta, &meta, NULL);
		if (llm_decompose(st, sc->trace, &meta, sc->ld, &why) != 0) {
			free(sc->ld);
			sc->ld = NULL;
			if (llm_opt) {
				rc = util_err(cause, UTIL_EINPUT, "%s", why ? why : "not a llama.cpp/Ollama load");
				free(why);
				return rc;
			}
			free(why);
		}
	}
	if (sc->ld) {
		struct llm_scenario *l = &sc->lsc;
		l->n_gpu_layers = o->num_gpu;
		l->main_gpu = o->main_gpu;
		l->ctx = o->ctx;
		l->parallel = o->parallel;
		l->ubatch = o->ubatch;
		l->batch = o->batch;
		l->flash_attn = o->flash_attn;
		if (o->kv_type)
			snprintf(l->kv_type, sizeof(l->kv_type), "%s", o->kv_type);
		if (o->split && (rc = parse_split(o->split, l, cause)))
			return rc;
		if (!o->split && !sc->ld->fixed && sc->ld->rec_gpus == sc->cfg.topo.n &&
		    sc->ld->rec_gpus > 1) {
			/* Same GPU count: keep the recorded split. */
			for (int g = 0; g < sc->ld->rec_gpus; g++)
				l->split[g] = sc->ld->rec_layers[g];
			l->n_split = sc->ld->rec_gpus;
		}
		if (o->num_gpu > (int)sc->ld->n_layer + 1)
			return util_err(cause, UTIL_EINPUT, "--num-gpu %d: the model has %u layers plus the "
					"output layer (at most %u)", o->num_gpu, sc->ld->n_layer,
					sc->ld->n_layer + 1);
		uint64_t per = o->ctx;
		if (per && sc->ld->n_ctx_train && per > sc->ld->n_ctx_train)
			add_note(sc, "--ctx %llu is above the model's trained context (%u)",
				 (unsigned long long)per, sc->ld->n_ctx_train);
		if (!sc->cfg.reserve_set && sc->ld->context)
			sc->cfg.reserve = sc->ld->context;
		for (int i = 0; i < sc->ld->n_notes; i++)
			add_note(sc, "%s", sc->ld->notes[i]);
		if ((rc = scen_rebuild(sc, cause)))
			return rc;
		sc->model_name = util_xstrdup(sc->ld->model[0] ? sc->ld->model : sc->trace_name);
	} else {
		if (o->device_map && (rc = parse_devmap(o->device_map, &sc->cfg, cause)))
			return rc;
		if ((rc = sim_source_context(st, sc->trace, sc->cfg.measured_context, cause)))
			return rc;
		snprintf(sc->desc, sizeof(sc->desc), "recorded events as they are%s%s",
			 o->device_map ? ", device map " : "", o->device_map ? o->device_map : "");
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
	free(sc->ld);
	free(sc->ev);
	for (int i = 0; i < sc->n_notes; i++)
		free(sc->notes[i]);
	free(sc->trace_name);
	free(sc->model_name);
	memset(sc, 0, sizeof(*sc));
}
