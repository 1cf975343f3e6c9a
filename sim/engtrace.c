/*
 * engtrace.c - an engine plan as a trace in the store (see engtrace.h).
 */
#include "engtrace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "settings.h"
#include "util.h"

struct et {
	struct store *st;
	int64_t id;
	int64_t t;
	uint64_t addr;
	char **cause;
};

/* One buffer: an allocation on dev (TRACE_DEV_HOST for the host). */
static int buf(struct et *e, int dev, int cat, int lo, int hi, uint64_t size, const char *label)
{
	if (!size)
		return 0;
	struct trace_event ev;
	trace_event_init(&ev, TRACE_ALLOC, e->t);
	e->t += 1000;
	ev.device = (int16_t)dev;
	ev.category = (int16_t)cat;
	ev.layer_lo = lo;
	ev.layer_hi = hi;
	ev.size = ev.req_size = size;
	ev.addr = e->addr;
	e->addr += (size + 0xfffff) & ~(uint64_t)0xfffff;
	int rc = store_label(e->st, e->id, label, &ev.label, e->cause);
	return rc ? rc : store_event_add(e->st, e->id, &ev, e->cause);
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

int engtrace_save(struct store *st, const char *name, const struct eng_req *r,
		  const struct eng_plan *p, const char *engine, const uint64_t *context,
		  int64_t *id, char **cause)
{
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
		     set(&e, SK(PLAN_MODEL), "%s", r->model) || set(&e, SK(N_CTX), "%u", p->n_ctx) ||
		     set(&e, SK(N_SEQ_MAX), "%u", p->n_seq) || set(&e, SK(N_BATCH), "%u", p->n_batch) ||
		     set(&e, SK(N_UBATCH), "%u", p->n_ubatch) || set(&e, SK(N_LAYER_TOTAL), "%d", p->n_layer + 1) ||
		     set(&e, SK(PLAN_SCHED_COPIES), "%d", p->copies) ||
		     (r->flash_attn && strcmp(r->flash_attn, "auto") ? set(&e, SK(FLASH_ATTN), "%d", !strcmp(r->flash_attn, "on"))
								      : set(&e, SK(FLASH_ATTN_REQUESTED), "auto")) ||
		     (r->n_gpu_layers != ENG_UNSET ? set(&e, SK(N_GPU_LAYERS), "%d", r->n_gpu_layers) : 0) ||
		     set(&e, SK(TYPE_K), "%s", r->type_k ? r->type_k : "f16") ||
		     set(&e, SK(TYPE_V), "%s", r->type_v ? r->type_v : "f16") ? UTIL_ERR : 0;
	/* Layers in llama.cpp's order: the first ones on the host, then GPU 0,
	 * 1, ... (contiguous ranges; the output layer is n_layer). */
	int lo = 0;
	int host_hi = p->host.layers - 1;
	lo = p->host.layers;
	int glo[ENG_MAX_GPUS], ghi[ENG_MAX_GPUS];
	for (int i = 0; i < p->n_gpus; i++) {
		glo[i] = p->gpu[i].layers ? lo : TRACE_LAYER_NONE;
		ghi[i] = p->gpu[i].layers ? lo + p->gpu[i].layers - 1 : TRACE_LAYER_NONE;
		lo += p->gpu[i].layers;
	}
	char label[96];
	for (int i = 0; context && i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s context (measured in a recorded load)", p->gpu[i].name);
		rc = buf(&e, i, TRACE_CAT_CONTEXT, TRACE_LAYER_NONE, TRACE_LAYER_NONE, context[i], label);
	}
	for (int i = 0; i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s model buffer", p->gpu[i].name);
		rc = buf(&e, i, TRACE_CAT_WEIGHTS, glo[i], ghi[i], p->gpu[i].weights, label);
	}
	if (!rc)
		rc = buf(&e, TRACE_DEV_HOST, TRACE_CAT_WEIGHTS, host_hi >= 0 ? 0 : TRACE_LAYER_NONE,
			 host_hi >= 0 ? host_hi : TRACE_LAYER_NONE, p->host.weights, "host model buffers");
	for (int i = 0; i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s KV buffer", p->gpu[i].name);
		rc = buf(&e, i, TRACE_CAT_KV, glo[i], ghi[i], p->gpu[i].kv, label);
	}
	if (!rc)
		rc = buf(&e, TRACE_DEV_HOST, TRACE_CAT_KV, TRACE_LAYER_NONE, TRACE_LAYER_NONE, p->host.kv, "host KV buffer");
	if (!rc)
		rc = buf(&e, TRACE_DEV_HOST, TRACE_CAT_OUTPUT, TRACE_LAYER_NONE, TRACE_LAYER_NONE, p->host.output,
			 "output buffer");
	for (int i = 0; i < p->n_gpus && !rc; i++) {
		snprintf(label, sizeof(label), "%s compute buffer", p->gpu[i].name);
		rc = buf(&e, i, TRACE_CAT_COMPUTE, TRACE_LAYER_NONE, TRACE_LAYER_NONE, p->gpu[i].compute, label);
	}
	if (!rc)
		rc = buf(&e, TRACE_DEV_HOST, TRACE_CAT_COMPUTE, TRACE_LAYER_NONE, TRACE_LAYER_NONE, p->host.compute,
			 "host compute buffer");
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
