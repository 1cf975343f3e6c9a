/*
 * engrow.c - the engine plan as a row of the engine table (engrow.h).
 */
#include "engrow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engrec.h"
#include "engtrace.h"
#include "model_src.h"
#include "sim.h"
#include "util.h"

struct engrow {
	struct eng *eng;
	struct msrc src;
	struct engrow_opts o;
	uint64_t workspace;
	uint32_t default_ctx;     /* per slot, when --ctx is not given */
	int plans, reused;
	struct eng_plan last;     /* the last plan (its notes) */
	int have_last;
	struct engrec_saved *base; /* a kept plan's settings under every what-if, or NULL */
};

void engrow_set_base(struct engrow *r, const struct engrec_saved *base)
{
	free(r->base);
	r->base = util_xcalloc(1, sizeof(*r->base));
	*r->base = *base;
	/* the rules point into the copy's own storage */
	for (int i = 0; i < base->n_ot; i++)
		r->base->ot[i] = r->base->ot_ + (base->ot[i] - base->ot_);
}

/* The what-if over the kept plan: what sc leaves unset is the base's. */
static struct llm_scenario over_base(const struct engrow *r, const struct llm_scenario *sc, int n_gpus)
{
	struct llm_scenario m = *sc;
	if (!r->base)
		return m;
	const struct llm_scenario *b = &r->base->base;
	if (!m.ctx)
		m.ctx = b->ctx;
	if (m.parallel <= 0)
		m.parallel = b->parallel;
	if (m.batch <= 0)
		m.batch = b->batch;
	if (m.ubatch <= 0)
		m.ubatch = b->ubatch;
	if (m.flash_attn < 0)
		m.flash_attn = b->flash_attn;
	if (m.n_gpu_layers < 0)
		m.n_gpu_layers = b->n_gpu_layers;
	if (!m.n_split && b->n_split && b->n_split == n_gpus) { /* a kept -ts, on as many GPUs */
		m.n_split = b->n_split;
		memcpy(m.split, b->split, sizeof(m.split));
	}
	return m;
}

/*
 * One planner kept between the scenarios of one vramsim run (a sweep, a
 * plot's curves, a diff): a scenario closed hands its planner back, the
 * next one of the same engine takes it, and the planner keeps the model
 * loaded if only context settings change. Closed at exit.
 */
static struct eng *pool_eng;
static char *pool_lib;

static void pool_drop(void)
{
	eng_close(pool_eng);
	free(pool_lib);
	pool_eng = NULL;
	pool_lib = NULL;
}

static struct eng *pool_take(const char *lib, char **cause)
{
	if (pool_eng && (lib ? pool_lib && !strcmp(lib, pool_lib) : !pool_lib)) {
		struct eng *e = pool_eng;
		pool_eng = NULL;
		free(pool_lib);
		pool_lib = NULL;
		return e;
	}
	pool_drop();
	return eng_open(lib, cause);
}

static void pool_give(struct eng *e, const char *lib)
{
	static int registered;
	pool_drop();
	pool_eng = e;
	pool_lib = lib ? util_xstrdup(lib) : NULL;
	if (!registered && atexit(pool_drop) == 0)
		registered = 1;
}

const char *engrow_only_option(const struct engrow_opts *o)
{
	return o->type_k ? "--kv-type-k" : o->type_v ? "--kv-type-v" : o->split_mode ? "--split-mode"
	       : o->backend ? "--backend" : o->mmproj ? "--mmproj" : o->lib ? "--engine-lib"
	       : o->n_ot ? "--override-tensor" : o->cpu_moe ? "--cpu-moe" : o->n_cpu_moe ? "--n-cpu-moe"
	       : o->no_kv_offload ? "--no-kv-offload" : o->no_op_offload ? "--no-op-offload"
	       : o->swa_full ? "--swa-full" : o->kv_unified ? "--kv-unified"
	       : o->no_pipeline ? "--no-pipeline" : NULL;
}

int engrow_is_model(const char *ref)
{
	if (!ref)
		return 0;
	if (!strncmp(ref, "ollama:", 7) || !strncmp(ref, "store:", 6) || !strncmp(ref, "model:", 6))
		return 1;
	struct stat sb;
	if (stat(ref, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	FILE *f = fopen(ref, "rb");
	char magic[4] = { 0 };
	int is = f && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "GGUF", 4);
	if (f)
		fclose(f);
	return is;
}

/* Shape of the model for the rest of vramsim (estimators, plots, --ctx
 * checks): the GGUF's profile. Without one (an architecture the profile
 * reader does not know), only what the engine's plan says. */
static void shape(const struct msrc *m, struct llm_load *ld)
{
	struct profile p = { 0 };
	char *why = NULL;
	memset(ld, 0, sizeof(*ld));
	if (msrc_profile(m, &p, &why) == 0 && llm_from_profile(&p, 0, ld, NULL) == 0) {
		ld->n_notes = 0; /* the formula's notes are not this row's */
	} else {
		memset(ld, 0, sizeof(*ld));
		snprintf(ld->model, sizeof(ld->model), "%s", p.name[0] ? p.name : "model");
		ld->n_ctx_train = p.n_ctx_train;
		ld->parallel = 1;
	}
	free(why);
	profile_clear(&p);
	ld->rec_gpus = 0; /* no recorded split to keep */
	ld->context = 0;
}

int engrow_open(struct store *st, const char *spec, const struct engrow_opts *o, const struct topo *topo,
		struct llm_load *ld, struct engrow **out, char **cause)
{
	*out = NULL;
	if (o->off)
		return util_err(cause, ENGROW_NONE, "--no-engine");
	if (topo->n > ENG_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "%d GPUs: llama.cpp plans at most %d devices "
				"(llama_max_devices)", topo->n, ENG_MAX_GPUS);
	struct engrow *r = util_xcalloc(1, sizeof(*r));
	/* --mmproj over the model's own projector (an Ollama model's) */
	int rc = msrc_open(st, spec, o->mmproj, &r->src, cause);
	/* r->src owns the projector's path from here (r->o keeps no copy) */
	if (rc) {
		free(r);
		return rc;
	}
	char *why = NULL;
	r->eng = pool_take(o->lib, &why);
	if (!r->eng) {
		/* another engine asked for and refused: an error; none built: the
		 * formula model takes over and says why */
		rc = util_err(cause, o->lib ? UTIL_EINPUT : ENGROW_NONE, "%s", why);
		free(why);
		msrc_close(&r->src);
		free(r);
		return rc;
	}
	r->o = *o;
	r->o.mmproj = NULL;
	r->workspace = o->have_workspace ? o->workspace : ENGROW_WORKSPACE;
	shape(&r->src, ld);
	/* llama-server's default context is 4096 (common/common.h n_ctx, tag
	 * v0.5.0), no more than the trained one; Ollama's params set theirs */
	uint32_t dflt = r->src.num_ctx ? r->src.num_ctx : 4096;
	if (ld->n_ctx_train && dflt > ld->n_ctx_train)
		dflt = ld->n_ctx_train;
	r->default_ctx = dflt;
	ld->cells = dflt;
	*out = r;
	return 0;
}

static const char *fa_name(int fa)
{
	return fa < 0 ? NULL : fa ? "on" : "off";
}

int engrow_build(void *state, const struct llm_load *ld, const struct llm_scenario *sc,
		 const struct topo *topo, struct trace_event **ev, size_t *n, int *layers, char *desc,
		 size_t desc_n, char **cause)
{
	struct engrow *r = state;
	(void)ld;
	*ev = NULL;
	*n = 0;
	struct llm_scenario merged = over_base(r, sc, topo->n);
	sc = &merged;
	const struct engrec_saved *b = r->base;
	if (topo->n > ENG_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "%d GPUs: llama.cpp plans at most %d devices "
				"(llama_max_devices)", topo->n, ENG_MAX_GPUS);
	if (sc->n_split && sc->n_split != topo->n)
		return util_err(cause, UTIL_EINPUT, "--split has %d entries for %d GPUs", sc->n_split, topo->n);
	struct eng_req q;
	eng_req_init(&q);
	q.model = r->src.gguf;
	q.mmproj = r->src.mmproj; /* planned by llama.cpp's clip loader (engine.h) */
	q.backend = r->o.backend ? r->o.backend : b && b->backend[0] ? b->backend : NULL;
	q.n_gpus = topo->n;
	/* llama.cpp's default split follows free memory: what the CUDA
	 * context and the workspace leave */
	uint64_t runtime = sc->reserve + r->workspace;
	for (int g = 0; g < topo->n; g++) {
		q.mem[g] = topo->capacity[g];
		q.free_mem[g] = topo->capacity[g] > runtime ? topo->capacity[g] - runtime : 1;
	}
	uint32_t par = sc->parallel > 0 ? (uint32_t)sc->parallel : 1;
	uint64_t per = sc->ctx ? sc->ctx : r->default_ctx;
	if (per * par > UINT32_MAX)
		return util_err(cause, UTIL_EINPUT, "--ctx %llu x --parallel %u: too large for llama.cpp",
				(unsigned long long)per, par);
	q.ctx = (uint32_t)(per * par); /* llama.cpp's -c counts every slot */
	q.parallel = par;
	q.batch = sc->batch > 0 ? (uint32_t)sc->batch : 0;
	q.ubatch = sc->ubatch > 0 ? (uint32_t)sc->ubatch : 0;
	q.flash_attn = fa_name(sc->flash_attn);
	q.type_k = r->o.type_k ? r->o.type_k : sc->kv_type[0] ? sc->kv_type : b && b->type_k[0] ? b->type_k : NULL;
	q.type_v = r->o.type_v ? r->o.type_v : sc->kv_type[0] ? sc->kv_type : b && b->type_v[0] ? b->type_v : NULL;
	if (sc->n_gpu_layers >= 0)
		q.n_gpu_layers = sc->n_gpu_layers;
	q.split_mode = r->o.split_mode;
	if (sc->main_gpu >= 0)
		q.main_gpu = sc->main_gpu;
	q.n_split = sc->n_split;
	for (int g = 0; g < sc->n_split; g++)
		q.split[g] = (float)sc->split[g];
	q.n_ot = r->o.n_ot;
	for (int i = 0; i < r->o.n_ot; i++)
		q.ot[i] = r->o.ot[i];
	q.cpu_moe = r->o.cpu_moe;
	q.n_cpu_moe = r->o.n_cpu_moe;
	if (b && !q.n_ot && !q.cpu_moe && !q.n_cpu_moe) {
		/* the kept plan's placement rules, unless the what-if gives its own */
		q.n_ot = b->n_ot;
		for (int i = 0; i < b->n_ot; i++)
			q.ot[i] = b->ot[i];
		q.cpu_moe = b->cpu_moe;
		q.n_cpu_moe = b->n_cpu_moe;
	}
	q.no_kv_offload = r->o.no_kv_offload;
	q.no_op_offload = r->o.no_op_offload;
	q.swa_full = r->o.swa_full;
	q.kv_unified = r->o.kv_unified;
	q.no_pipeline = r->o.no_pipeline || (b && b->no_pipeline);
	struct eng_plan p;
	int rc = eng_plan(r->eng, &q, &p, cause);
	if (rc)
		return rc;
	r->plans++;
	r->reused += p.reused;
	uint64_t ws[ENG_MAX_GPUS];
	for (int g = 0; g < p.n_gpus; g++)
		ws[g] = r->workspace;
	engtrace_events(&p, NULL, ws, ev, n);
	int on_gpu = 0;
	for (int g = 0; g < topo->n; g++) {
		layers[g] = g < p.n_gpus ? p.gpu[g].layers : 0;
		on_gpu += layers[g];
	}
	char tag[64];
	snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(eng_describe(r->eng), "("), eng_describe(r->eng));
	tag[strcspn(tag, "\0") - (tag[0] && tag[strlen(tag) - 1] == ' ')] = '\0';
	if (desc)
		snprintf(desc, desc_n, "engine plan (%s): ctx %u (%u slot%s x %llu%s), batch %u, ubatch %u, "
			 "%d of %d layers on GPUs, sched copies %d%s%s", tag, p.n_ctx, p.n_seq,
			 p.n_seq == 1 ? "" : "s", (unsigned long long)per, sc->ctx ? "" : " by default",
			 p.n_batch, p.n_ubatch, on_gpu, p.n_layer + 1, p.copies,
			 p.proj.planned ? "; projector planned by clip on " : "",
			 !p.proj.planned ? "" : p.proj.dev >= 0 && p.proj.dev < p.n_gpus ? p.gpu[p.proj.dev].name : "the CPU");
	if (r->have_last)
		eng_plan_free(&r->last);
	r->last = p;
	r->have_last = 1;
	return 0;
}

const char *engrow_engine(const struct engrow *r)
{
	return eng_describe(r->eng);
}

const char *engrow_model_desc(const struct engrow *r)
{
	return r->src.desc;
}

void engrow_stats(const struct engrow *r, int *plans, int *reused)
{
	*plans = r->plans;
	*reused = r->reused;
}

uint64_t engrow_workspace(const struct engrow *r)
{
	return r->workspace;
}

int engrow_notes(const struct engrow *r, const char *const **notes)
{
	if (!r->have_last)
		return 0;
	*notes = (const char *const *)r->last.notes;
	return r->last.n_notes;
}

void engrow_close(void *state)
{
	struct engrow *r = state;
	if (!r)
		return;
	if (r->have_last)
		eng_plan_free(&r->last);
	if (r->eng)
		pool_give(r->eng, r->o.lib);
	msrc_close(&r->src);
	free(r->base);
	free(r);
}

int engrow_formula_load(struct store *st, const char *spec, const char *mmproj, uint64_t ctx,
			struct llm_load *ld, char **desc, char **cause)
{
	struct msrc m;
	int rc = msrc_open(st, spec, mmproj, &m, cause);
	if (rc)
		return rc;
	struct profile p = { 0 };
	rc = msrc_profile(&m, &p, cause);
	if (!rc)
		rc = llm_from_profile(&p, ctx, ld, cause);
	if (!rc && m.mmproj)
		llm_note(ld, "the vision projector %s is not counted by the formula model", m.mmproj);
	if (!rc)
		*desc = util_xstrdup(m.desc);
	profile_clear(&p);
	msrc_close(&m);
	return rc;
}
