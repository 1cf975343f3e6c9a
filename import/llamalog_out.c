/*
 * llamalog_out.c - what the log importer writes: each kept load becomes a
 * trace (devices, settings, estimates, events, notes), named by its
 * engine; the one-line summary for the user.
 */
#include "llamalog_int.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned engine_of(const struct ll *p, const struct ll_load *l);

/* After parsing: what only the whole file tells. */
static void finish_load(struct ll *p, struct ll_load *l)
{
	if (l->n_bad) {
		char *n = util_xasprintf("%zu line%s cut short or unreadable (first at %s)",
					 l->n_bad, l->n_bad == 1 ? "" : "s", l->bad_first);
		ll_note(l, n);
		free(n);
	}
	for (int i = 0; i < l->n_found; i++)
		l->dev[i] |= DF_USED;
	/* stated layer ranges go on that device's own weights buffers */
	for (size_t i = 0; i < l->n_ev; i++) {
		struct trace_event *ev = &l->ev[i].ev;
		if (ev->kind != TRACE_ALLOC || ev->category != TRACE_CAT_WEIGHTS || ev->device < 0 ||
		    l->lay_lo[ev->device] < 0 || (l->ev[i].label && strstr(l->ev[i].label, "_Split")))
			continue;
		ev->layer_lo = l->lay_lo[ev->device];
		ev->layer_hi = l->lay_hi[ev->device];
	}
	if (l->ps_id[0]) {
		for (size_t i = 0; i < p->n_list; i++)
			if (strcmp(p->list[i].id, l->ps_id) == 0) {
				ll_set_u64(l, SK(OLLAMA_LIST_SIZE), p->list[i].bytes);
				break;
			}
	}
	/* llama.cpp says "pipeline parallelism enabled" right before the
	 * compute buffer lines when it engages it (llama-context.cpp, 2024 on):
	 * compute buffers on two GPUs or more without it ran one copy */
	int n_compute = 0;
	for (int i = 0; i < LL_MAX_DEV; i++)
		n_compute += (l->dev[i] & DF_C) != 0;
	if (n_compute >= 2 && !ll_get(l, SK(N_COPIES)) && !(engine_of(p, l) & ENG_OL_NEW)) {
		ll_set(l, SK(N_COPIES), "1");
		ll_note(l, "one scheduler copy: compute buffers on several GPUs and no "
			   "\"pipeline parallelism enabled\" line");
	}
	int kv_dev = 0;
	for (int i = 0; i < LL_MAX_DEV; i++)
		kv_dev |= l->dev[i] & DF_KV;
	if (l->kv_lines && !kv_dev && !(l->host & DF_KV))
		ll_note(l, "the KV cache total is logged (kv_self_mib) but not its per-device "
			    "buffers: no KV allocations recorded");
	int n_alloc = 0, n_oom = 0;
	for (size_t i = 0; i < l->n_ev; i++) {
		n_alloc += l->ev[i].ev.kind == TRACE_ALLOC;
		n_oom += l->ev[i].ev.kind == TRACE_OOM;
	}
	/* a load that holds only an engine's estimate is a trace of
	 * estimates: replay explains them rather than replaying nothing */
	if (!n_alloc && !n_oom && l->n_est)
		ll_set(l, SK(ESTIMATE_ONLY), "1");
	if (!n_alloc)
		ll_note(l, n_oom ? "no buffer allocations logged for this load before its OOM"
				  : "no buffer allocations logged for this load: settings and "
				    "estimates only");
}

/*
 * The engine of a load, from the markers of its own lines; a load with
 * none (a few settings, a table) takes the file's. ik_llama.cpp wins over
 * mainline (it prints mainline's lines too); Ollama's slog around a
 * llama.cpp runner or llama-server makes it Ollama's.
 */
#define ENG_OL_ERA (ENG_OL_CGO | ENG_OL_NEW | ENG_OL_LSERVER)
#define ENG_OL_ANY (ENG_OLLAMA | ENG_OL_ERA)
#define ENG_ERA (ENG_IK | ENG_MAINLINE | ENG_OL_ANY)

static unsigned engine_of(const struct ll *p, const struct ll_load *l)
{
	unsigned e = l->eng;
	if (!(e & ENG_ERA))
		e |= p->eng_all; /* nothing of its own: the file's */
	else if ((e & ENG_OL_ANY) && !(e & ENG_OL_ERA))
		e |= p->eng_all & ENG_OL_ERA; /* Ollama, era from the file */
	return e;
}

static const char *engine_name(unsigned e)
{
	if (e & ENG_IK)
		return "ik_llama.cpp";
	if (e & (ENG_OLLAMA | ENG_OL_CGO | ENG_OL_NEW | ENG_OL_LSERVER))
		return "ollama";
	return "llama.cpp";
}

/* Which runner an Ollama load ran on (ollama llm/server.go of each era;
 * README "Ollama's estimate, era by era"): "llama-server"
 * (0.30+), "ollama-engine" (ml/backend/ggml), "llama.cpp-runner" (cgo), or
 * NULL when the log does not say. */
static const char *ollama_runner(unsigned e)
{
	if (!(e & (ENG_OLLAMA | ENG_OL_CGO | ENG_OL_NEW | ENG_OL_LSERVER)))
		return NULL;
	return e & ENG_OL_LSERVER ? "llama-server" : e & ENG_OL_NEW ? "ollama-engine"
		: e & ENG_OL_CGO ? "llama.cpp-runner" : NULL;
}

static int write_load(struct ll *p, struct ll_load *l, int run, char **cause)
{
	struct store *st = p->ctx->st;
	int64_t id;
	int rc = imp_trace_new(p->ctx, "llamalog", run, &id, cause);
	if (rc)
		return rc;
	for (int i = 0; i < LL_MAX_DEV && !rc; i++) {
		if (!l->dev[i])
			continue;
		struct trace_device d = { .index = i, .ordinal = i, .total = p->dev[i].total };
		snprintf(d.name, sizeof(d.name), "%s", p->dev[i].name);
		snprintf(d.uuid, sizeof(d.uuid), "%s", p->dev[i].uuid);
		rc = store_device_add(st, id, &d, cause);
	}
	if (!rc)
		rc = settings_set(st, id, SET_ENGINE, engine_name(engine_of(p, l)), cause);
	const char *runner = ollama_runner(engine_of(p, l));
	if (!rc && runner)
		rc = settings_set(st, id, SET_OLLAMA_RUNNER, runner, cause);
	for (size_t i = 0; i < l->n_set && !rc; i++)
		rc = store_setting_set(st, id, l->set[i].key, l->set[i].val, cause);
	for (size_t i = 0; i < l->n_est && !rc; i++)
		rc = store_estimate_add(st, id, l->est[i].engine, l->est[i].device, l->est[i].key,
					l->est[i].bytes, cause);
	for (size_t i = 0; i < l->n_ev && !rc; i++) {
		struct trace_event ev = l->ev[i].ev;
		if (l->ev[i].label && (rc = store_label(st, id, l->ev[i].label, &ev.label, cause)))
			break;
		rc = store_event_add(st, id, &ev, cause);
	}
	if (!rc && (l->truncated || l->note))
		rc = store_trace_set(st, id, l->truncated, l->note, cause);
	return rc;
}

/* "2 GPUs, 3 loads; weights 28549.6 MiB, kv 0.0 MiB, compute 0.0 MiB; ..." */
static char *summary(struct ll *p, struct ll_load **keep, size_t n)
{
	double mib[TRACE_CAT_MAX] = { 0 };
	unsigned char gpus[LL_MAX_DEV] = { 0 };
	int n_gpu = 0, n_oom = 0, n_alloc = 0, estimate_ollama = 0, estimate_fit = 0;
	for (size_t k = 0; k < n; k++) {
		struct ll_load *l = keep[k];
		for (int i = 0; i < LL_MAX_DEV; i++)
			if (l->dev[i] && !gpus[i]++)
				n_gpu++;
		for (size_t i = 0; i < l->n_ev; i++) {
			const struct trace_event *ev = &l->ev[i].ev;
			n_oom += ev->kind == TRACE_OOM;
			if (ev->kind == TRACE_ALLOC) {
				n_alloc++;
				if (ev->device >= 0)
					mib[ev->category] += (double)ev->size / UTIL_MIB;
			}
		}
		for (size_t i = 0; i < l->n_est; i++) {
			estimate_ollama |= strcmp(l->est[i].engine, "ollama") == 0;
			estimate_fit |= strcmp(l->est[i].engine, "llama-fit") == 0;
		}
	}
	char *s = util_xasprintf("%d GPU%s, %zu load%s (%s); ", n_gpu, n_gpu == 1 ? "" : "s", n,
				 n == 1 ? "" : "s", engine_name(engine_of(p, keep[0])));
	char *t;
	if (n_alloc)
		t = util_xasprintf("%sGPU weights %.1f MiB, kv %.1f MiB, compute %.1f MiB", s,
				   mib[TRACE_CAT_WEIGHTS], mib[TRACE_CAT_KV], mib[TRACE_CAT_COMPUTE]);
	else
		t = util_xasprintf("%sno allocations", s);
	free(s);
	s = t;
	if (n_oom) {
		t = util_xasprintf("%s; %d OOM", s, n_oom);
		free(s);
		s = t;
	}
	if (estimate_ollama || estimate_fit) {
		t = util_xasprintf("%s; %s%s%s estimate present", s, estimate_ollama ? "ollama" : "",
				   estimate_ollama && estimate_fit ? " and " : "", estimate_fit ? "llama-fit" : "");
		free(s);
		s = t;
	}
	return s;
}

int ll_write_all(struct ll *p, char **cause)
{
	struct ll_load **keep = util_xcalloc(p->n_loads, sizeof(*keep));
	size_t n = 0;
	for (size_t i = 0; i < p->n_loads; i++)
		if (!ll_load_empty(p->loads[i]))
			keep[n++] = p->loads[i];
	if (!n) {
		free(keep);
		return util_err(cause, UTIL_EINPUT, "%s: no llama.cpp/Ollama memory lines found",
				p->ctx->path);
	}
	for (size_t i = 0; i < n; i++)
		p->eng_all |= keep[i]->eng & ENG_ERA;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		finish_load(p, keep[i]);
		rc = write_load(p, keep[i], n == 1 ? 0 : (int)i + 1, cause);
	}
	if (!rc)
		p->ctx->summary = summary(p, keep, n);
	free(keep);
	return rc;
}

