/*
 * llamalog.c - llama.cpp / Ollama / ik_llama.cpp server logs.
 *
 * These logs give per-device buffer sizes at load time, not an allocation
 * stream (README "Reading logs"). Each buffer line becomes one ALLOC event at
 * t = 1000 ns x its line number, so the order of the log is kept. Engine
 * estimates (Ollama's `offload` line, llama.cpp's `--fit` projection) are
 * stored apart with store_estimate_add(), never as allocations.
 *
 * Sources of the line formats (format strings, not code, are used here):
 *  - ggml-org/llama.cpp src/llama-model.cpp (load_tensors: "%12s model
 *    buffer size = %8.2f MiB", "offloaded %d/%d layers to GPU"),
 *    src/llama-kv-cache*.cpp ("%10s KV buffer size", "size = %7.2f MiB (%6u
 *    cells, %3d layers, %2u/%u seqs), K (%s): ..."), src/llama-context.cpp
 *    ("%10s compute buffer size", "graph nodes", "graph splits",
 *    "pipeline parallelism enabled (n_copies=%d)"), the memory breakdown
 *    table of PR #15860, llama_params_fit_impl of PR #16653, and
 *    ggml/src/ggml-cuda/ggml-cuda.cu ("allocating %.2f MiB on device %d:
 *    cudaMalloc failed: %s"), ggml/src/ggml-alloc.c ("failed to allocate
 *    %s buffer of size %zu").
 *  - ollama/ollama llm/memory.go and llm/server.go (the `offload` estimate
 *    line, `starting llama server cmd=`), format/bytes.go (HumanBytes is
 *    decimal: "GB" = 1e9; HumanBytes2 is binary: "GiB" = 2^30),
 *    ml/backend/ggml (new-engine "model weights"/"kv cache"/"compute graph"
 *    lines), server/sched.go ("updated VRAM based on existing loaded
 *    models").
 *
 * Parsing is unanchored: every pattern is searched anywhere in the line,
 * so syslog, container, timestamp and "# " comment prefixes need no rules
 * of their own, and the __func__ prefix (which changes every year) is
 * never matched literally.
 *
 * A log may hold several model loads; each becomes its own trace. The
 * file is read line by line and the loads are written at the end, because
 * the trace run numbers (0 for one load, 1..n for several) are known only
 * then. Only what will be written is kept: a load that stays empty is
 * reused, and the loads (64), buffer lines and `ollama list` rows are
 * counted as they come (LL_MAX_*), so memory follows the traces, not the
 * input's size.
 *
 * Each line shape is one row of ll_rules[] (below) with one matcher
 * signature (ll_on); the rows run in order until one takes the line.
 * Where a load starts is decided in one section, "Load boundaries": rows
 * declare their marker and its mode, data (a repeated buffer, a second
 * table row for a device, an OOM) is judged there too. A '#' line (a
 * quoted log line or a note) never opens a load of its own.
 *
 * Load segmentation. A llama.cpp load prints, in order: model metadata,
 * weights buffers, context settings with KV (and output) buffers, compute
 * buffers, and at exit the memory breakdown. A new load starts when
 *  - a load-start marker comes after the current load holds buffers:
 *    Ollama's `offload` estimate, `starting llama server`/`starting
 *    runner`, `load request` and scheduler lines, `offloading N repeating
 *    layers`, `ggml_cuda_init: found`, metadata lines, `using device`;
 *  - a marker printed once per load repeats (the `offload` estimate,
 *    `starting llama server`, a llama-server command line, `offloading N
 *    repeating layers`, the breakdown header, the fit header). Model
 *    metadata and `ggml_cuda_init` do not count here: the Ollama server
 *    prints them for its vocab-only load and device discovery, and the
 *    runner again for the same load;
 *  - a buffer repeats or goes back a phase: a second weights buffer for a
 *    GPU, weights after KV or compute, KV after compute, a second compute
 *    buffer of the same name, a second breakdown row for a device;
 *  - an OOM ended the load, or an OOM hits a device whose compute buffer
 *    the load already has (ik_llama PR #235 runs one load per -ub).
 * Lines after an OOM that describe it (the ggml-alloc "failed to allocate
 * CUDA0 buffer of size" companion, "failed to allocate compute buffers")
 * refine that OOM instead of opening a load. A load with no buffer lines
 * still becomes a trace when it has settings or estimates (Ollama's
 * estimate-only loads, `ollama ps` output); a file with no load at all is
 * an input error. ollama-7047's excerpt B (a scheduler line) is therefore
 * its own estimate-only load: the scheduler prints it while sizing up a
 * new request, not during the load before it.
 *
 * Other decisions (README "Reading logs" and "How a what-if is computed"):
 *  - Host buffers (CPU, CPU_Mapped, CPU_REPACK, CUDA_Host, ...) keep their
 *    category on TRACE_DEV_HOST; the buffer name is the event's label.
 *  - Memory breakdown columns become allocations only where the load has
 *    no buffer line for that device and category (buffer lines are more
 *    precise); `unaccounted` is the CUDA context (TRACE_CAT_CONTEXT), and
 *    `total - free` a snapshot, only when the row adds up.
 *  - An OOM is TRACE_OOM with result 2 (CUDA_ERROR_OUT_OF_MEMORY); its
 *    category is compute only when the log says so, else other.
 *  - Device names and totals are machine facts: learnt anywhere in the
 *    file, they go on every load's devices. The devices of a load are the
 *    GPUs it refers to plus the N that ggml_cuda_init found before it.
 *  - `ollama ps`/`ollama list` sizes are decimal (GB = 1e9 bytes), as
 *    format.HumanBytes prints them; Ollama's log sizes are binary.
 */
#include "llamalog_int.h"
#include "progress.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- loads, events */

static void load_free(struct ll_load *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_ev; i++)
		free(l->ev[i].label);
	for (size_t i = 0; i < l->n_set; i++) {
		free(l->set[i].key);
		free(l->set[i].val);
	}
	free(l->ev);
	free(l->cidx);
	free(l->set);
	free(l->est);
	free(l->note);
	free(l);
}

/* A load that holds nothing (it is not written). */
int ll_load_empty(const struct ll_load *l)
{
	if (l->n_ev || l->n_set || l->n_est || l->note || l->n_bad || l->truncated)
		return 0;
	for (int i = 0; i < LL_MAX_DEV; i++)
		if (l->dev[i])
			return 0;
	return 1;
}

/*
 * A new load. The last load is reused when it holds nothing (a marker
 * line with nothing after it), so that only loads that will be written
 * take memory; their number is checked as they open (p->over, reported
 * by the driver after the line), which bounds the parser's memory by
 * what is kept rather than by the input's size.
 */
static struct ll_load *load_new(struct ll *p)
{
	struct ll_load *l;
	if (p->n_loads && ll_load_empty(p->loads[p->n_loads - 1])) {
		l = p->loads[--p->n_loads];
		load_free(l);
	}
	if (p->n_loads >= LL_MAX_LOADS && !p->over)
		p->over = util_xasprintf("more than %d model loads in one file (the limit of one "
					 "import): split the log", LL_MAX_LOADS);
	l = util_xcalloc(1, sizeof(*l));
	for (int i = 0; i < LL_MAX_DEV; i++)
		l->lay_lo[i] = l->lay_hi[i] = -1;
	UTIL_GROW(p->loads, p->n_loads + 1, p->a_loads);
	p->loads[p->n_loads++] = l;
	return l;
}

/* The load that receives data: a new one after an OOM ended the last. */
struct ll_load *ll_cur(struct ll *p)
{
	if (!p->cur || p->cur->ended)
		p->cur = load_new(p);
	if (p->n_found > p->cur->n_found)
		p->cur->n_found = p->n_found;
	return p->cur;
}

void ll_set(struct ll_load *l, const char *key, const char *val)
{
	for (size_t i = 0; i < l->n_set; i++) {
		if (strcmp(l->set[i].key, key) == 0) {
			free(l->set[i].val);
			l->set[i].val = util_xstrdup(val);
			return;
		}
	}
	UTIL_GROW(l->set, l->n_set + 1, l->a_set);
	l->set[l->n_set].key = util_xstrdup(key);
	l->set[l->n_set].val = util_xstrdup(val);
	l->n_set++;
}

const char *ll_get(const struct ll_load *l, const char *key)
{
	for (size_t i = 0; i < l->n_set; i++)
		if (strcmp(l->set[i].key, key) == 0)
			return l->set[i].val;
	return NULL;
}

void ll_set_int(struct ll_load *l, const char *key, long long v)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", v);
	ll_set(l, key, b);
}

void ll_set_u64(struct ll_load *l, const char *key, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	ll_set(l, key, b);
}

void ll_note(struct ll_load *l, const char *note)
{
	if (l->note && strstr(l->note, note))
		return;
	char *n = l->note ? util_xasprintf("%s; %s", l->note, note) : util_xstrdup(note);
	free(l->note);
	l->note = n;
}

void ll_use_dev(struct ll_load *l, int dev)
{
	if (dev >= 0 && dev < LL_MAX_DEV)
		l->dev[dev] |= DF_USED;
}

void ll_est_add(struct ll_load *l, const char *engine, int device, const char *key,
		    uint64_t bytes)
{
	for (size_t i = 0; i < l->n_est; i++) {
		struct ll_est *e = &l->est[i];
		if (e->device == device && strcmp(e->engine, engine) == 0 &&
		    strcmp(e->key, key) == 0) {
			e->bytes = bytes;
			return;
		}
	}
	UTIL_GROW(l->est, l->n_est + 1, l->a_est);
	struct ll_est *e = &l->est[l->n_est++];
	snprintf(e->engine, sizeof(e->engine), "%s", engine);
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->device = device;
	e->bytes = bytes;
	ll_use_dev(l, device);
}

struct trace_event *ll_ev_add(struct ll *p, struct ll_load *l, int kind, int dev, int cat,
				  uint64_t bytes, const char *label)
{
	if (++p->n_events > LL_MAX_EVENTS && !p->over)
		p->over = util_xasprintf("more than %d buffer lines in one file (the limit of "
					 "one import)", LL_MAX_EVENTS);
	UTIL_GROW(l->ev, l->n_ev + 1, l->a_ev);
	struct ll_ev *e = &l->ev[l->n_ev++];
	trace_event_init(&e->ev, kind, (int64_t)p->lineno * 1000);
	e->ev.device = (int16_t)dev;
	e->ev.category = (int16_t)cat;
	e->ev.size = bytes;
	e->label = label ? util_xstrdup(label) : NULL;
	ll_use_dev(l, dev);
	l->has_buf = 1;
	return &e->ev;
}

/* Remember a device name, keeping the most complete one ("NVIDIA GeForce
 * RTX 3090" over the breakdown's "RTX 3090"). */
void ll_dev_name(struct ll *p, int dev, const char *name)
{
	if (dev < 0 || dev >= LL_MAX_DEV || !*name)
		return;
	if (strlen(name) > strlen(p->dev[dev].name))
		snprintf(p->dev[dev].name, sizeof(p->dev[dev].name), "%s", name);
}

/* A device index from a log line, warning once about absurd ones. */
int ll_check_dev(struct ll *p, int dev)
{
	if (dev == -2 && !p->warned_dev) {
		p->warned_dev = 1;
		imp_warn(p->ctx, "line %zu: device index beyond %d, line ignored", p->lineno,
			 LL_MAX_DEV - 1);
	}
	return dev;
}

int ll_bad_size(struct ll *p, char **cause, const char *what, const char *at)
{
	if (ll_is_cut(at))
		p->cut = 1;
	return util_err(cause, UTIL_EINPUT, "%s:%zu: expected a size in MiB after '%s'",
			p->ctx->path, p->lineno, what);
}


/* ----------------------------------------------------- load boundaries */

/*
 * Every decision on where a new load starts is taken in this section
 * (the rule is written out in the file's head). Markers: each row of the
 * rule tables names its marker and mode, applied by ll_load_for(). Data:
 * a buffer that repeats or goes back a phase (ll_load_for_buffer), an
 * OOM after the compute buffers (ll_load_for_oom), a second table row for
 * one device (ll_load_for_row), and an OOM ending its load (ll_oom_add).
 */

/* Open a new load for the next data. */
static struct ll_load *ll_split(struct ll *p)
{
	p->cur = NULL;
	return ll_cur(p);
}

struct ll_load *ll_load_for(struct ll *p)
{
	const struct ll_rule *r = p->rule;
	struct ll_load *l = p->cur;
	if (p->comment) {
		/* A '#' line (a quoted log line, or a note) adds to the load
		 * before it and never opens one, except the first: a note
		 * after an OOM or between two runs is no load of its own. */
		if (!l || l->ended)
			l = p->n_loads ? p->loads[p->n_loads - 1] : ll_cur(p);
		if (r)
			l->markers |= r->mk;
		l->eng |= p->line_eng;
		return l;
	}
	if (r && r->mode != M_NONE && l &&
	    ((r->mode != M_ONCE && l->has_buf) || (r->mode != M_BUF && (l->markers & r->mk))))
		p->cur = NULL;
	l = ll_cur(p);
	if (r)
		l->markers |= r->mk;
	l->eng |= p->line_eng;
	return l;
}

static int cat_phase(int cat)
{
	switch (cat) {
	case TRACE_CAT_WEIGHTS: return PH_WEIGHTS;
	case TRACE_CAT_COMPUTE: return PH_COMPUTE;
	default: return PH_CTX;
	}
}

/*
 * Does the load already hold this buffer, so that this line belongs to
 * a new load? Weights and compute buffers are allocated once per device
 * and load; KV may be printed twice per device (SWA models have two
 * caches), host weights once per model file (split GGUFs).
 */
static int buffer_repeats(const struct ll_load *l, int dev, int cat, const char *label)
{
	if (cat == TRACE_CAT_WEIGHTS)
		return l->phase >= PH_CTX || (dev >= 0 && (l->dev[dev] & DF_W));
	if (cat == TRACE_CAT_KV)
		return l->phase >= PH_COMPUTE;
	if (cat == TRACE_CAT_COMPUTE) {
		if (l->phase >= PH_BREAKDOWN || l->n_cidx >= LL_MAX_COMPUTE)
			return 1;
		for (size_t i = 0; i < l->n_cidx; i++) {
			const struct ll_ev *e = &l->ev[l->cidx[i]];
			if (e->label && strcmp(e->label, label) == 0)
				return 1;
		}
	}
	return 0;
}

struct ll_load *ll_load_for_buffer(struct ll *p, int dev, int cat, const char *label)
{
	struct ll_load *l = ll_load_for(p);
	return buffer_repeats(l, dev, cat, label) ? ll_split(p) : l;
}

/* An allocation that fails on a device whose compute buffer this load
 * already has is the next load's (ik_llama PR #235: a run per -ub). */
struct ll_load *ll_load_for_oom(struct ll *p, int dev)
{
	struct ll_load *l = ll_load_for(p);
	if (dev >= 0 && ((l->dev[dev] & DF_C) || l->phase >= PH_BREAKDOWN))
		l = ll_split(p);
	return l;
}

/* A per-device table row (breakdown DF_BD, fit DF_FIT): a second row for
 * the same device is a second table without its header. */
struct ll_load *ll_load_for_row(struct ll *p, int dev, unsigned df)
{
	struct ll_load *l = ll_load_for(p);
	unsigned have = dev >= 0 ? l->dev[dev] : l->host;
	if (have & df)
		l = ll_split(p);
	if (p->rule)
		l->markers |= p->rule->mk;
	if (dev >= 0)
		l->dev[dev] |= (unsigned char)(df | DF_USED);
	else
		l->host |= df;
	return l;
}

/* ------------------------------------------------ buffers and OOMs */

unsigned ll_cat_flag(int cat)
{
	switch (cat) {
	case TRACE_CAT_WEIGHTS: return DF_W;
	case TRACE_CAT_KV: return DF_KV;
	case TRACE_CAT_COMPUTE: return DF_C;
	case TRACE_CAT_OUTPUT: return DF_OUT;
	default: return 0;
	}
}

/* Record one actual allocation (a buffer line or an Ollama new-engine
 * line) in the right load. */
/* The backend of a GPU buffer name, its leading letters ("CUDA0" and
 * "CUDA_Split": CUDA; "RPC[host:port]": RPC; "Vulkan1": Vulkan), joins the
 * load's gpu_backend, '+' between backends when a load mixes them (a
 * local GPU with RPC workers): the engine plans with that backend's
 * allocation rules. */
static void note_backend(struct ll_load *l, const char *name)
{
	size_t n = 0;
	while (n < 16 && isalpha((unsigned char)name[n]))
		n++;
	if (!n)
		return;
	const char *cur = ll_get(l, SK(GPU_BACKEND));
	for (const char *w = cur; w && *w; w += *w == '+') {
		size_t k = strcspn(w, "+");
		if (k == n && strncmp(w, name, n) == 0)
			return;
		w += k;
	}
	char buf[128];
	snprintf(buf, sizeof(buf), "%s%s%.*s", cur ? cur : "", cur ? "+" : "", (int)n, name);
	ll_set(l, SK(GPU_BACKEND), buf);
}

void ll_buffer_add(struct ll *p, int dev, int cat, uint64_t bytes, const char *name,
		   const char *label)
{
	struct ll_load *l = ll_load_for_buffer(p, dev, cat, label);
	if (dev >= 0)
		note_backend(l, name);
	if (strstr(name, "_Split")) {
		/* -sm row: one buffer spread over the GPUs; the log does not
		 * say how (ggml-cuda.cu split buffer type), so it is recorded on
		 * device 0. */
		dev = 0;
		l->row_split = 1;
		ll_note(l, "row split (CUDA_Split) was used: its weights are spread over the "
			   "GPUs in an unknown per-device split and are recorded on device 0");
	}
	ll_ev_add(p, l, TRACE_ALLOC, dev, cat, bytes, label);
	if (cat == TRACE_CAT_COMPUTE) {
		UTIL_GROW(l->cidx, l->n_cidx + 1, l->a_cidx);
		l->cidx[l->n_cidx++] = l->n_ev - 1;
	}
	if (dev >= 0)
		l->dev[dev] |= (unsigned char)ll_cat_flag(cat);
	else
		l->host |= ll_cat_flag(cat);
	if (cat_phase(cat) > l->phase)
		l->phase = cat_phase(cat);
}

/* The last event of the last load, if it is the OOM of a recent line. */
struct trace_event *ll_recent_oom(struct ll *p, size_t within)
{
	if (!p->n_loads || !p->oom_line || p->lineno - p->oom_line > within)
		return NULL;
	struct ll_load *l = p->loads[p->n_loads - 1];
	if (!l->n_ev || l->ev[l->n_ev - 1].ev.kind != TRACE_OOM)
		return NULL;
	return &l->ev[l->n_ev - 1].ev;
}

/* An OOM ends its load: the next line opens a new one (ll_cur). */
void ll_oom_add(struct ll *p, int dev, int cat, uint64_t bytes)
{
	struct ll_load *l = ll_load_for_oom(p, dev);
	struct trace_event *ev = ll_ev_add(p, l, TRACE_OOM, dev, cat, bytes, NULL);
	ev->result = LL_OOM_RESULT;
	l->ended = 1;
	p->oom_line = p->lineno;
}

/* ------------------------------------------------------------- lines */

/*
 * The line shapes, tried in this order; the first matcher that takes a
 * line (returns <= 0) ends the search. Order matters only where shapes
 * overlap, said in the last column's comment. needle is a substring the
 * shape always contains (a cheap filter before the matcher runs).
 */
static const struct ll_rule ll_rules[] = {
	/* the breakdown and fit tables first: their rows hold " - NAME (" and
	 * numbers that the buffer and device rows would misread */
	{ "breakdown header", "memory_breakdown", ll_on_bd_header, MK_BREAKDOWN, M_ONCE },
	{ "breakdown row", "memory_breakdown", ll_on_bd_row, MK_BREAKDOWN, M_NONE },
	{ "fit total", "params_fit", ll_on_fit_total, 0, M_NONE },
	{ "fit result", "params_fit", ll_on_fit_result, 0, M_NONE },
	{ "fit header", "params_fit", ll_on_fit_header, MK_FIT, M_ONCE },
	{ "fit row", "params_fit", ll_on_fit_row, MK_FIT, M_NONE },
	{ "buffer size", "buffer size", ll_on_buffer, 0, M_NONE },
	{ "cudaMalloc OOM", "allocating ", ll_on_cuda_oom, 0, M_NONE },
	/* after the cudaMalloc line: it refines that OOM */
	{ "ggml-alloc OOM", "failed to allocate ", ll_on_gallocr_oom, 0, M_NONE },
	{ "OOM context", "allocate", ll_on_oom_context, 0, M_NONE },
	{ "KV total", "size", ll_on_kv_total, 0, M_NONE },
	{ "repeating layers", "offloading ", ll_on_offloading, MK_OFFLOADING, M_REPEAT },
	{ "output layer", "offloading ", ll_on_output_layer, 0, M_NONE },
	{ "layers offloaded", "offloaded ", ll_on_offloaded, 0, M_NONE },
	{ "layer assigned", " assigned to device ", ll_on_layer_assigned, MK_OTHER, M_BUF },
	{ "cuda init", "ggml_cuda_init: found ", ll_on_cuda_init, MK_CUDA_INIT, M_BUF },
	{ "device", "Device ", ll_on_device, 0, M_NONE },
	{ "using device", "using device ", ll_on_using_device, MK_OTHER, M_BUF },
	{ "tensor overridden", ") buffer type overridden to ", ll_on_overridden, 0, M_NONE },
	{ "pipeline copies", "copies", ll_on_n_copies, 0, M_NONE },
	{ "pipeline parallelism", "pipeline parallelism enabled", ll_on_n_copies, 0, M_NONE },
	{ "graph size", "graph ", ll_on_graph, 0, M_NONE },
	{ "flash attention auto", "Flash Attention was auto", ll_on_fa_auto, 0, M_NONE },
	{ "llama.cpp build", "build", ll_on_build, MK_OTHER, M_BUF },
	{ "model loader", "llama_model_loader: loaded meta data", ll_on_loader, MK_LOADER, M_BUF },
	/* before key = value: a dumped GGUF value may contain " = " */
	{ "model loader kv", "llama_model_loader: - kv ", ll_on_loader_kv, 0, M_NONE },
	{ "KV init", "type_k = '", ll_on_kv_init, 0, M_NONE },
	{ "mllama", "mllama_model_load: model name:", ll_on_mllama, 0, M_NONE },
	/* slog before key = value: a slog value may contain " = " */
	{ "Ollama slog", "level=", ll_on_slog, 0, M_NONE },
	{ "model metadata", " = ", ll_on_kv_meta, MK_OTHER, M_BUF },
	{ "context setting", " = ", ll_on_kv_ctx, 0, M_NONE },
	{ "command line", NULL, ll_on_cmdline, MK_START, M_REPEAT },
	{ "ollama ps/list", NULL, ll_on_ollama_table, 0, M_NONE },
	{ "nvidia-smi", "NVIDIA-SMI", ll_on_nvidia_smi, 0, M_NONE },
};

static int parse_line(struct ll *p, char *s, char **cause)
{
	p->line_eng = 0;
	if (strstr(s, "ollama[") || strstr(s, "ollama_llama_server"))
		p->line_eng |= ENG_OLLAMA;
	if (strstr(s, "kv^T"))
		ll_cur(p)->eng |= ENG_IK;
	p->comment = *ll_skip_sp(s) == '#';
	int rc = 0;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ll_rules); i++) {
		const struct ll_rule *r = &ll_rules[i];
		if (r->needle && !strstr(s, r->needle))
			continue;
		p->rule = r;
		rc = r->on(p, s, cause);
		p->rule = NULL;
		if (rc <= 0)
			return rc;
	}
	return 0;
}

/*
 * A line that is ours but cannot be read (cut short by a pager, a paste
 * or a full disk; a size with no number): without --strict it is skipped,
 * the rest of the file is kept, and the load it fell in says so (the
 * first such line and how many). A file that ends inside its last line
 * marks that load truncated.
 */
static void bad_line(struct ll *p, const char *why)
{
	const char *w = why ? why : "unreadable";
	size_t pl = strlen(p->ctx->path);
	if (strncmp(w, p->ctx->path, pl) == 0 && w[pl] == ':') {
		w += pl + 1; /* "path:line: what" -> "what" */
		while (*w >= '0' && *w <= '9')
			w++;
		if (*w == ':')
			w = ll_skip_sp(w + 1);
	}
	struct ll_load *l = p->n_loads ? p->loads[p->n_loads - 1] : ll_cur(p);
	if (p->last_partial) {
		imp_warn(p->ctx, "line %zu: the file ends inside this line; ignored", p->lineno);
		l->truncated = 1;
		return;
	}
	imp_warn(p->ctx, "line %zu: cut short (%s); skipped, the rest of the file is kept",
		 p->lineno, w);
	if (!l->n_bad++)
		snprintf(l->bad_first, sizeof(l->bad_first), "line %zu: %s", p->lineno, w);
}

void ll_line_cut(struct ll *p, const char *why)
{
	struct ll_load *l = p->n_loads ? p->loads[p->n_loads - 1] : ll_cur(p);
	imp_warn(p->ctx, "line %zu: cut short (%s); read up to the cut", p->lineno, why);
	if (!l->n_bad++)
		snprintf(l->bad_first, sizeof(l->bad_first), "line %zu: %s", p->lineno, why);
	if (p->ctx->strict && !p->over)
		p->over = util_xasprintf("the line is cut short (%s), which --strict refuses", why);
}

/* Split data into lines (never reading past len: the data is mapped and
 * not NUL-terminated) and parse each. */
static int parse_all(struct ll *p, char **cause)
{
	const unsigned char *d = p->ctx->data;
	size_t len = p->ctx->len, pos = 0;
	char *line = util_xmalloc(LL_MAX_LINE + 1);
	int rc = 0;
	/* a terminal sees how far a large log is (progress.h: after 1 s) */
	struct progress *pg = p->ctx->quiet ? NULL : progress_start("importing", len);
	size_t next_prog = 1 << 20;
	while (pos < len && rc == 0) {
		if (pos >= next_prog) {
			progress_update(pg, pos);
			next_prog = pos + (1 << 20);
		}
		const unsigned char *nl = memchr(d + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - d) : len;
		size_t n = end - pos;
		p->lineno++;
		p->last_partial = nl == NULL;
		if (n > LL_MAX_LINE) {
			if (!p->warned_long++)
				imp_warn(p->ctx, "line %zu: longer than %d KiB, skipped", p->lineno,
					 LL_MAX_LINE / 1024);
			pos = end + 1;
			continue;
		}
		memcpy(line, d + pos, n);
		while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
			n--;
		/* A shell continuation (" \" at the end, as users paste a long
		 * llama-server or llama-cli command): the next line is part of
		 * this one, so the command's options are read as one command
		 * line. Only a backslash after a blank counts (a Windows path
		 * ending in '\' is not a continuation); messages then name the
		 * last physical line. */
		for (;;) {
			size_t k = n; /* blanks after the backslash, as pasted, are ignored */
			while (k && (line[k - 1] == ' ' || line[k - 1] == '\t'))
				k--;
			if (!nl || k < 2 || line[k - 1] != '\\' || (line[k - 2] != ' ' && line[k - 2] != '\t'))
				break;
			size_t at = end + 1;
			const unsigned char *nl2 = at < len ? memchr(d + at, '\n', len - at) : NULL;
			size_t end2 = nl2 ? (size_t)(nl2 - d) : len;
			if (at >= len || k - 1 + (end2 - at) > LL_MAX_LINE)
				break;
			n = k - 1; /* the backslash; the blank before it separates the words */
			memcpy(line + n, d + at, end2 - at);
			n += end2 - at;
			while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
				n--;
			p->lineno++;
			nl = nl2;
			end = end2;
			p->last_partial = nl == NULL;
		}
		line[n] = '\0';
		/* a NUL inside a line would hide the rest of it from the matchers */
		for (size_t i = 0; i < n; i++)
			if (line[i] == '\0')
				line[i] = ' ';
		char *why = NULL;
		p->cut = 0;
		rc = parse_line(p, line, &why);
		if (rc == UTIL_EINPUT && !p->ctx->strict && (p->cut || p->last_partial)) {
			bad_line(p, why);
			rc = 0;
		} else if (rc) {
			util_err(cause, rc, "%s%s", why ? why : "import failed",
				 p->last_partial ? " (the file ends inside this line: truncated)" : "");
		}
		if (!rc && p->over)
			rc = util_err(cause, UTIL_EINPUT, "%s:%zu: %s", p->ctx->path, p->lineno,
				      p->over);
		free(why);
		pos = end + 1;
	}
	progress_end(pg);
	free(line);
	return rc;
}


int imp_llamalog_run(struct imp_ctx *ctx, char **cause)
{
	struct ll *p = util_xcalloc(1, sizeof(*p));
	p->ctx = ctx;
	int rc = parse_all(p, cause);
	if (!rc)
		rc = ll_write_all(p, cause);
	for (size_t i = 0; i < p->n_loads; i++)
		load_free(p->loads[i]);
	free(p->loads);
	free(p->list);
	free(p->over);
	free(p);
	return rc;
}

/* ------------------------------------------------------------- detect */

int imp_llamalog_detect(const unsigned char *data, size_t len, const char *path)
{
	(void)path;
	size_t n = len < LL_DETECT_WIN ? len : LL_DETECT_WIN;
	if (!n || memchr(data, '\0', n))
		return 0; /* binary: GGUF, zstd, pickle, SQLite */
	size_t i = 0;
	while (i < n && isspace(data[i]))
		i++;
	if (i < n && (data[i] == '{' || data[i] == '['))
		return 0; /* JSON (Kineto, snapshots) */
	static const char *const strong[] = {
		"buffer size =", " MiB on device ", "memory_breakdown", "msg=offload",
		"msg=\"offload to ", "msg=\"starting llama server\"", "msg=\"starting runner\"",
		"msg=\"model weights\"", "msg=\"inference compute\"", "KV self size",
		"msg=\"compute graph\"", "msg=\"kv cache\"",
		"ggml_cuda_init: found", "layers to GPU", "params_fit_impl",
		"llama_model_loader:", "print_info:", "llm_load_print_meta:",
	};
	static const char *const weak[] = { "% CPU/GPU", "% GPU ", "NVIDIA-SMI", "ollama ps",
					    "llama-server -", "llama-cli -" };
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(strong); k++)
		if (memmem(data, n, strong[k], strlen(strong[k])))
			return 80;
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(weak); k++)
		if (memmem(data, n, weak[k], strlen(weak[k])))
			return 40;
	return 0;
}
