/*
 * engtrace.c - an engine plan as a trace in the store (see engtrace.h).
 */
#include "engtrace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "settings.h"
#include "util.h"

/*
 * The buffers of a plan in llama.cpp's load order, handed one by one to
 * emit (dev, category, layer range, bytes, label): the store writer and
 * the in-memory event list share it, so a kept plan and a re-plan replay
 * alike. context (may be NULL) and workspace (may be NULL) are per-GPU
 * bytes that are not ggml buffers, emitted first.
 */
typedef int (*emit_fn)(void *ud, int dev, int cat, int lo, int hi, uint64_t size, const char *label);

static int plan_buffers(const struct eng_plan *p, const uint64_t *context, const uint64_t *workspace,
			const char *context_what, emit_fn emit, void *ud)
{
	/* Layers in llama.cpp's order: the first ones on the host, then GPU 0,
	 * 1, ... (contiguous ranges; the output layer is n_layer). */
	int host_hi = p->host.layers - 1, lo = p->host.layers, rc = 0;
	int glo[ENG_MAX_GPUS], ghi[ENG_MAX_GPUS];
	for (int i = 0; i < p->n_gpus; i++) {
		glo[i] = p->gpu[i].layers ? lo : TRACE_LAYER_NONE;
		ghi[i] = p->gpu[i].layers ? lo + p->gpu[i].layers - 1 : TRACE_LAYER_NONE;
		lo += p->gpu[i].layers;
	}
	char label[128];
	const int N = TRACE_LAYER_NONE;
	for (int i = 0; context && i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s context (%s)", p->gpu[i].name, context_what);
		rc = emit(ud, i, TRACE_CAT_CONTEXT, N, N, context[i], label);
	}
	for (int i = 0; workspace && i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s cuBLAS workspace", p->gpu[i].name);
		rc = emit(ud, i, TRACE_CAT_WORKSPACE, N, N, workspace[i], label);
	}
	for (int i = 0; i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s model buffer", p->gpu[i].name);
		rc = emit(ud, i, TRACE_CAT_WEIGHTS, glo[i], ghi[i], p->gpu[i].weights, label);
	}
	if (!rc)
		rc = emit(ud, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS, host_hi >= 0 ? 0 : N, host_hi >= 0 ? host_hi : N,
			  p->host.weights, "host model buffers");
	for (int i = 0; i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s KV buffer", p->gpu[i].name);
		rc = emit(ud, i, TRACE_CAT_KV, glo[i], ghi[i], p->gpu[i].kv, label);
	}
	if (!rc)
		rc = emit(ud, TRACE_DEV_HOST, TRACE_CAT_KV, N, N, p->host.kv, "host KV buffer");
	if (!rc)
		rc = emit(ud, TRACE_DEV_HOST, TRACE_CAT_OUTPUT, N, N, p->host.output, "output buffer");
	for (int i = 0; i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s compute buffer", p->gpu[i].name);
		rc = emit(ud, i, TRACE_CAT_COMPUTE, N, N, p->gpu[i].compute, label);
	}
	if (!rc)
		rc = emit(ud, TRACE_DEV_HOST, TRACE_CAT_COMPUTE, N, N, p->host.compute, "host compute buffer");
	/* the projector (--mmproj), loaded by llama-server after the text
	 * model and its context: its weights, then its warmup's compute
	 * reservation, all of it its own category */
	if (p->proj.planned && !rc) {
		int d = p->proj.dev >= 0 && p->proj.dev < p->n_gpus ? p->proj.dev : TRACE_DEV_HOST;
		snprintf(label, sizeof(label), "%s projector (mmproj) weights",
			 d == TRACE_DEV_HOST ? "CPU" : p->gpu[d].name);
		rc = emit(ud, d, TRACE_CAT_PROJECTOR, N, N, p->proj.weights, label);
	}
	for (int i = 0; p->proj.planned && i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s projector (mmproj) compute buffer", p->gpu[i].name);
		rc = emit(ud, i, TRACE_CAT_PROJECTOR, N, N, p->proj.compute[i], label);
	}
	if (p->proj.planned && !rc)
		rc = emit(ud, TRACE_DEV_HOST, TRACE_CAT_PROJECTOR, N, N, p->proj.host_compute,
			  "host projector (mmproj) compute buffer");
	return rc;
}

static void fill_event(struct trace_event *ev, int64_t t, uint64_t addr, int dev, int cat, int lo, int hi,
		       uint64_t size)
{
	trace_event_init(ev, TRACE_ALLOC, t);
	ev->device = (int16_t)dev;
	ev->category = (int16_t)cat;
	ev->layer_lo = lo;
	ev->layer_hi = hi;
	ev->size = ev->req_size = size;
	ev->addr = addr;
}

struct et {
	struct store *st;
	int64_t id;
	int64_t t;
	uint64_t addr;
	char **cause;
};

/* One buffer into the store (TRACE_DEV_HOST for the host). */
static int buf(void *ud, int dev, int cat, int lo, int hi, uint64_t size, const char *label)
{
	struct et *e = ud;
	if (!size)
		return 0;
	struct trace_event ev;
	fill_event(&ev, e->t, e->addr, dev, cat, lo, hi, size);
	e->t += 1000;
	e->addr += (size + 0xfffff) & ~(uint64_t)0xfffff;
	int rc = store_label(e->st, e->id, label, &ev.label, e->cause);
	return rc ? rc : store_event_add(e->st, e->id, &ev, e->cause);
}

struct el {
	struct trace_event *ev;
	size_t n, cap;
	uint64_t addr;
};

/* One buffer into an event list (labels are store ids: none here). */
static int buf_mem(void *ud, int dev, int cat, int lo, int hi, uint64_t size, const char *label)
{
	struct el *l = ud;
	(void)label;
	if (!size)
		return 0;
	UTIL_GROW(l->ev, l->n + 1, l->cap);
	fill_event(&l->ev[l->n], (int64_t)l->n * 1000, l->addr, dev, cat, lo, hi, size);
	l->n++;
	l->addr += (size + 0xfffff) & ~(uint64_t)0xfffff;
	return 0;
}

void engtrace_events(const struct eng_plan *p, const uint64_t *context, const uint64_t *workspace,
		     struct trace_event **ev, size_t *n)
{
	struct el l = { .addr = 0x7f0000000000ull };
	plan_buffers(p, context, workspace, "the reserve", buf_mem, &l);
	*ev = l.ev;
	*n = l.n;
}

static int set(struct et *e, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int set(struct et *e, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *v = util_xvasprintf(fmt, ap);
	va_end(ap);
	int rc = store_setting_set(e->st, e->id, key, v, e->cause);
	free(v);
	return rc;
}

/* The placement rules of r that a re-plan needs: -ot, --cpu-moe,
 * --n-cpu-moe, -ts, --free (engrec_saved_plan and `plan --recorded` read
 * them back). */
/* The projector's path, made absolute, so that a what-if on the kept plan
 * re-plans it too (engrec_saved_plan reads it back). */
static int set_projector(struct et *e, const char *mmproj)
{
	char *abs = realpath(mmproj, NULL);
	int rc = set(e, SK(PLAN_MMPROJ), "%s", abs ? abs : mmproj);
	free(abs);
	return rc;
}

static int set_placement(struct et *e, const struct eng_req *r)
{
	int rc = 0;
	if (r->n_ot) {
		size_t len = 1;
		for (int i = 0; i < r->n_ot; i++)
			len += strlen(r->ot[i]) + 1;
		char *ot = util_xcalloc(1, len);
		for (int i = 0; i < r->n_ot; i++) {
			if (i)
				strcat(ot, ";");
			strcat(ot, r->ot[i]);
		}
		rc = set(e, SK(OVERRIDE_TENSOR), "%s", ot);
		free(ot);
	}
	if (!rc && r->cpu_moe)
		rc = set(e, SK(CPU_MOE), "1");
	if (!rc && r->n_cpu_moe > 0)
		rc = set(e, SK(N_CPU_MOE), "%d", r->n_cpu_moe);
	int given = 0;
	for (int i = 0; i < r->n_gpus; i++)
		given |= r->free_mem[i] != 0;
	if (!rc && given) { /* --free, in the unit llama.cpp logs it */
		char fs[ENG_MAX_GPUS * 24] = "";
		size_t k = 0;
		for (int i = 0; i < r->n_gpus && k < sizeof(fs); i++)
			k += (size_t)snprintf(fs + k, sizeof(fs) - k, "%s%llu", i ? "," : "",
					      (unsigned long long)((r->free_mem[i] ? r->free_mem[i] : r->mem[i]) >> 20));
		rc = set(e, SK(GPU_FREE_MIB), "%s", fs);
	}
	if (!rc && r->n_split) {
		char ts[ENG_MAX_GPUS * 16] = "";
		size_t k = 0;
		for (int i = 0; i < r->n_split && k < sizeof(ts); i++)
			k += (size_t)snprintf(ts + k, sizeof(ts) - k, "%s%g", i ? "," : "", (double)r->split[i]);
		rc = set(e, SK(TENSOR_SPLIT), "%s", ts);
	}
	return rc ? UTIL_ERR : 0;
}

int engtrace_save(struct store *st, const char *name, const struct eng_req *r, const char *spec,
		  const struct eng_plan *p, const char *engine, const uint64_t *context,
		  int64_t *id, char **cause)
{
	if (!spec)
		spec = r->model;
	struct et e = { .st = st, .t = 0, .addr = 0x7f0000000000ull, .cause = cause };
	const char *base = strrchr(r->model, '/') ? strrchr(r->model, '/') + 1 : r->model;
	int rc = store_begin(st, cause);
	if (rc)
		return rc;
	rc = store_trace_new(st, name, base, "engine-plan", r->model, 0, &e.id, cause);
	for (int i = 0; i < p->n_gpus && !rc; i++) {
		struct trace_device d = { .index = i, .ordinal = i, .total = r->mem[i] };
		snprintf(d.name, sizeof(d.name), "virtual %s (%s)", p->gpu[i].name, r->backend ? r->backend : "cuda");
		rc = store_device_add(st, e.id, &d, cause);
	}
	if (!rc)
		rc = set(&e, SK(ENGINE), "llama.cpp engine plan") || set(&e, SK(PLAN_ENGINE), "%s", engine) ||
		     set(&e, SK(PLAN_MODEL), "%s", spec) || set(&e, SK(N_CTX), "%u", p->n_ctx) ||
		     set(&e, SK(N_SEQ_MAX), "%u", p->n_seq) || set(&e, SK(N_BATCH), "%u", p->n_batch) ||
		     set(&e, SK(N_UBATCH), "%u", p->n_ubatch) || set(&e, SK(N_LAYER_TOTAL), "%d", p->n_layer + 1) ||
		     set(&e, SK(PLAN_SCHED_COPIES), "%d", p->copies) ||
		     set(&e, SK(GPU_BACKEND), "%s", r->backend ? r->backend : "cuda") ||
		     (r->no_pipeline ? set(&e, SK(PLAN_NO_PIPELINE), "1") : 0) ||
		     (r->flash_attn && strcmp(r->flash_attn, "auto") ? set(&e, SK(FLASH_ATTN), "%d", !strcmp(r->flash_attn, "on"))
								      : set(&e, SK(FLASH_ATTN_REQUESTED), "auto")) ||
		     (r->n_gpu_layers != ENG_UNSET ? set(&e, SK(N_GPU_LAYERS), "%d", r->n_gpu_layers) : 0) ||
		     set(&e, SK(TYPE_K), "%s", r->type_k ? r->type_k : "f16") ||
		     set(&e, SK(TYPE_V), "%s", r->type_v ? r->type_v : "f16") || set_placement(&e, r) ||
		     (r->mmproj ? set(&e, SK(MMPROJ), "%s", strrchr(r->mmproj, '/') ? strrchr(r->mmproj, '/') + 1 : r->mmproj) : 0) ||
		     (r->mmproj ? set_projector(&e, r->mmproj) : 0)
			     ? UTIL_ERR : 0;
	if (!rc)
		rc = plan_buffers(p, context, NULL, "measured in a recorded load", buf, &e);
	if (!rc) {
		char *note = util_xasprintf("engine plan by %s on virtual GPUs (no_alloc); the CUDA context and "
					    "library workspaces are not ggml buffers: %s", engine,
					    context ? "measured in a recorded load where it shows them"
						    : "replay adds --reserve for them");
		rc = store_trace_set(st, e.id, 0, note, cause);
		free(note);
	}
	if (!rc)
		rc = store_commit(st, cause);
	if (rc) {
		store_rollback(st);
		return rc;
	}
	*id = e.id;
	return 0;
}
