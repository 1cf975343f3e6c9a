/*
 * llamalog_cpp.c - llama.cpp (and ik_llama.cpp) line shapes: buffer
 * sizes, OOMs, KV totals, layer offload, devices, and a few one-line
 * facts. Sources: see llamalog.c's head.
 */
#include "llamalog_int.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------- llama.cpp: buffers */

/* Category of a buffer line from the words between its name and "buffer". */
static int buffer_cat(const char *kind, const char *func)
{
	if (!*kind)
		return strstr(func, "load_tensors") || strstr(func, "model_load")
		       ? TRACE_CAT_WEIGHTS : TRACE_CAT_OTHER;
	if (strcmp(kind, "model") == 0)
		return TRACE_CAT_WEIGHTS;
	if (strcmp(kind, "compute") == 0)
		return TRACE_CAT_COMPUTE;
	if (strcmp(kind, "output") == 0)
		return TRACE_CAT_OUTPUT;
	/* "KV", forks' "paged KV", and "RS" (recurrent state, the KV of
	 * state-space layers) */
	if (strstr(kind, "KV") || strcmp(kind, "RS") == 0)
		return TRACE_CAT_KV;
	return TRACE_CAT_OTHER;
}

/*
 * Does the load already hold this buffer, so that this line belongs to
 * a new load? Weights and compute buffers are allocated once per device
 * and load; KV may be printed twice per device (SWA models have two
 * caches), host weights once per model file (split GGUFs).
 */


/*
 * "<func>: <NAME> [model|KV|compute|output|RS|...] buffer size = <f> MiB".
 * The words before "buffer size" are walked backwards to the __func__
 * token (the last one ending in ':').
 */
int ll_on_buffer(struct ll *p, char *s, char **cause)
{
	char *bs = strstr(s, "buffer size");
	if (!bs)
		return 1;
	const char *q = ll_skip_sp(bs + 11);
	if (*q != '=')
		return 1;
	/* the words before "buffer", back to the __func__ word (at most 5) */
	const char *w[5];
	size_t wl[5];
	int nw = 0;
	const char *e = bs;
	while (nw < 5) {
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == s)
			break;
		const char *b = e;
		while (b > s && b[-1] != ' ' && b[-1] != '\t')
			b--;
		w[nw] = b;
		wl[nw] = (size_t)(e - b);
		nw++;
		if (e[-1] == ':' || e[-1] == '|')
			break;
		e = b;
	}
	int func = -1; /* index of the __func__ word, if any */
	if (nw > 0 && (w[nw - 1][wl[nw - 1] - 1] == ':' || w[nw - 1][wl[nw - 1] - 1] == '|'))
		func = nw - 1;
	int n_words = func >= 0 ? func : nw; /* name + kind words */
	if (n_words < 1 || n_words > 3)
		return 1;
	char name[48], kind[64] = "", fn[128] = "";
	const char *nm = w[n_words - 1];
	if (wl[n_words - 1] >= sizeof(name))
		return 1;
	ll_copy_span(name, sizeof(name), nm, nm + wl[n_words - 1]);
	int rpc = ll_rpc_dev(p, name, wl[n_words - 1], 0);
	for (const char *c = name; *c && rpc < 0; c++)
		if (!ll_is_word((unsigned char)*c))
			return 1;
	if (n_words > 1)
		ll_copy_span(kind, sizeof(kind), w[n_words - 2], w[0] + wl[0]);
	if (func >= 0)
		ll_copy_span(fn, sizeof(fn), w[func], w[func] + wl[func]);

	uint64_t bytes;
	if (ll_mib(q + 1, &bytes, NULL))
		return ll_bad_size(p, cause, "buffer size =", q + 1);
	int dev = ll_check_dev(p, rpc >= 0 ? rpc : ll_dev_from_name(name));
	if (dev == -2)
		return 0;
	int cat = buffer_cat(kind, fn);
	char label[128];
	if (strstr(name, "_Split"))
		snprintf(label, sizeof(label), "%s", name);
	else
		snprintf(label, sizeof(label), "%s %s", name,
			 *kind ? kind : cat == TRACE_CAT_WEIGHTS ? "model" : "buffer");
	ll_buffer_add(p, dev, cat, bytes, name, label);
	/* llama_kv_cache_init (llama.cpp before 2025-05, ik_llama.cpp, Ollama's
	 * runners) had one cache that every sequence shares */
	if (cat == TRACE_CAT_KV && strncmp(fn, "llama_kv_cache_init", 19) == 0 && !ll_get(ll_cur(p), SK(KV_UNIFIED)))
		ll_set(ll_cur(p), SK(KV_UNIFIED), "true");
	return 0;
}


/* ----------------------------------------------------------- OOM lines */


/* "allocating %.2f MiB on device %d: cudaMalloc failed: out of memory" */
int ll_on_cuda_oom(struct ll *p, char *s, char **cause)
{
	char *a = strstr(s, "allocating ");
	char *on = a ? strstr(a, " on device ") : NULL;
	if (!on || !strstr(on, "out of memory"))
		return 1;
	uint64_t bytes, d;
	const char *e;
	if (ll_mib(a + 11, &bytes, &e) || ll_skip_sp(e) != ll_skip_sp(on))
		return ll_bad_size(p, cause, "allocating", a + 11);
	if (ll_u64(on + 11, &d, NULL))
		return util_err(cause, UTIL_EINPUT, "%s:%zu: expected a device number after 'on device'",
				p->ctx->path, p->lineno);
	if (d >= LL_MAX_DEV) {
		ll_check_dev(p, -2);
		return 0;
	}
	ll_oom_add(p, (int)d, strstr(s, "compute") ? TRACE_CAT_COMPUTE : TRACE_CAT_OTHER, bytes);
	return 0;
}

/* ggml-alloc: "failed to allocate CUDA0 buffer of size 2434793472". Right
 * after the cudaMalloc line it names the same failure, for a compute
 * graph; alone it is the OOM itself. */
int ll_on_gallocr_oom(struct ll *p, char *s, char **cause)
{
	(void)cause;
	char *f = strstr(s, "failed to allocate ");
	char *of = f ? strstr(f, " buffer of size ") : NULL;
	if (!of)
		return 1;
	char name[48];
	const char *nb = f + 19;
	if (of <= nb || (size_t)(of - nb) >= sizeof(name))
		return 1;
	ll_copy_span(name, sizeof(name), nb, of);
	uint64_t bytes;
	if (ll_u64(of + 16, &bytes, NULL))
		return 1;
	int dev = ll_check_dev(p, ll_dev_from_name(name));
	if (dev == -2)
		return 0;
	struct trace_event *prev = ll_recent_oom(p, 3);
	if (prev && prev->device == dev &&
	    (prev->size > bytes ? prev->size - bytes : bytes - prev->size) <= 1048576) {
		prev->category = TRACE_CAT_COMPUTE;
		return 0;
	}
	ll_oom_add(p, dev, TRACE_CAT_COMPUTE, bytes);
	return 0;
}

/* Lines after an OOM that say what was being allocated. */
int ll_on_oom_context(struct ll *p, char *s, char **cause)
{
	(void)cause;
	int cat = -1;
	if (strstr(s, "failed to allocate compute"))
		cat = TRACE_CAT_COMPUTE;
	else if (strstr(s, "failed to allocate buffer for kv cache"))
		cat = TRACE_CAT_KV;
	else if (strstr(s, "unable to allocate") && strstr(s, "buffer"))
		cat = TRACE_CAT_WEIGHTS;
	if (cat < 0)
		return 1;
	struct trace_event *prev = ll_recent_oom(p, 3);
	if (prev && prev->category == TRACE_CAT_OTHER)
		prev->category = (int16_t)cat;
	return 0;
}

/* ------------------------------------------------ llama.cpp: KV totals */

/* "(f16)" after "K " -> "f16" */
static void kv_type(struct ll_load *l, const char *s, const char *tag, const char *key)
{
	const char *t = strstr(s, tag);
	if (!t)
		return;
	t += strlen(tag);
	const char *e = strchr(t, ')');
	if (!e || e == t || e - t > 15)
		return;
	char b[16];
	ll_copy_span(b, sizeof(b), t, e);
	ll_set(l, key, b);
}

/* Number right before word (" 8192 cells"), or -1. */
static long num_before(const char *s, const char *word)
{
	const char *w = strstr(s, word);
	if (!w)
		return -1;
	const char *b = w;
	while (b > s && isdigit((unsigned char)b[-1]))
		b--;
	long v;
	return b < w && ll_int(b, &v, NULL) == 0 ? v : -1;
}

/*
 * "KV self size  = 656.25 MiB, K (f16): 328.12 MiB, V (f16): 328.12 MiB",
 * ik_llama's "KV self size = 2196.00 MiB, c^KV (f16): 2196.00 MiB", and
 * the newer "size = 1024.00 MiB ( 8192 cells, 32 layers, 1/1 seqs), K
 * (f16): ...". A model with two caches (SWA) prints two such lines: they
 * add up.
 */
int ll_on_kv_total(struct ll *p, char *s, char **cause)
{
	const char *k = strstr(s, "KV self size");
	const char *eq;
	if (k) {
		eq = ll_skip_sp(k + 12);
	} else {
		k = strstr(s, "size = ");
		if (!k || !strstr(k, " cells,"))
			return 1;
		eq = k + 5;
	}
	if (*eq != '=')
		return 1;
	uint64_t bytes;
	if (ll_mib(eq + 1, &bytes, NULL))
		return ll_bad_size(p, cause, "size =", eq + 1);
	struct ll_load *l = ll_load_for(p);
	l->kv_mib += (double)bytes / UTIL_MIB;
	l->kv_lines++;
	char b[32];
	snprintf(b, sizeof(b), "%.2f", l->kv_mib);
	ll_set(l, SK(KV_SELF_MIB), b);
	kv_type(l, s, ", K (", SK(TYPE_K));
	kv_type(l, s, ", V (", SK(TYPE_V));
	if (strstr(s, "c^KV (")) {
		kv_type(l, s, "c^KV (", SK(TYPE_K));
		l->eng |= ENG_IK;
	}
	long cells = num_before(s, " cells"), layers = num_before(s, " layers");
	if (cells >= 0)
		ll_set_int(l, SK(KV_CELLS), cells);
	/* "(4096 cells, 80 layers, 4/1 seqs)": sequences / cache streams, one
	 * stream being a cache all sequences share (llama-kv-cache.cpp l. 301 at
	 * v0.5.0); "( 4096 cells, 80 layers, 4 seqs)", from builds before
	 * streams (llama.cpp PR #14363, July 2025), had only that one */
	const char *sq = strstr(s, " seqs)");
	if (sq && !ll_get(l, SK(KV_UNIFIED))) {
		const char *d = sq;
		while (d > s && isdigit((unsigned char)d[-1]))
			d--;
		int streams = d > s && d[-1] == '/' ? atoi(d) : 1;
		if (d < sq)
			ll_set(l, SK(KV_UNIFIED), streams == 1 ? "true" : "false");
	}
	if (layers >= 0)
		ll_set_int(l, SK(KV_LAYERS), layers);
	return 0;
}

/* ------------------------------------- llama.cpp: offload and devices */

/* "offloading 61 repeating layers to GPU" */
int ll_on_offloading(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *o = strstr(s, "offloading "), *e;
	uint64_t a;
	if (!o || !strstr(o, " repeating layers to GPU") || ll_u64(o + 11, &a, &e) ||
	    strncmp(e, " repeating", 10) != 0)
		return 1;
	ll_set_u64(ll_load_for(p), SK(REPEATING_LAYERS_OFFLOADED), a);
	return 0;
}

/* "offloading output layer to GPU|CPU" (older: "offloading non-repeating
 * layers to GPU") */
int ll_on_output_layer(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *v;
	if (strstr(s, "offloading non-repeating layers to GPU") ||
	    strstr(s, "offloading output layer to GPU"))
		v = "1";
	else if (strstr(s, "offloading output layer to CPU"))
		v = "0";
	else
		return 1;
	ll_set(ll_load_for(p), SK(OUTPUT_OFFLOADED), v);
	return 0;
}

/* "offloaded 62/62 layers to GPU" */
int ll_on_offloaded(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *o = strstr(s, "offloaded "), *e;
	uint64_t a, b;
	if (!o || !strstr(o, " layers to GPU") || ll_u64(o + 10, &a, &e) || *e != '/' ||
	    ll_u64(e + 1, &b, &e))
		return 1;
	struct ll_load *l = ll_load_for(p);
	ll_set_u64(l, SK(N_GPU_LAYERS_OFFLOADED), a);
	ll_set_u64(l, SK(N_LAYER_TOTAL), b);
	return 0;
}

/* "load_tensors: layer  12 assigned to device CUDA1, is_swa = 0" (-v):
 * the layers each device holds, for the weights events' layer range. */
int ll_on_layer_assigned(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *a = strstr(s, " assigned to device ");
	const char *ly = strstr(s, "layer ");
	if (!a || !ly || ly > a)
		return 1;
	uint64_t layer;
	if (ll_u64(ll_skip_sp(ly + 6), &layer, NULL) || layer > 100000)
		return 1;
	char name[48];
	const char *nb = a + 20, *ne = nb;
	while (ll_is_word((unsigned char)*ne))
		ne++;
	if (ne == nb || (size_t)(ne - nb) >= sizeof(name))
		return 1;
	ll_copy_span(name, sizeof(name), nb, ne);
	int dev = ll_check_dev(p, ll_dev_from_name(name));
	if (dev < 0)
		return 0;
	struct ll_load *l = ll_load_for(p);
	if (l->lay_lo[dev] < 0 || (int)layer < l->lay_lo[dev])
		l->lay_lo[dev] = (int)layer;
	if ((int)layer > l->lay_hi[dev])
		l->lay_hi[dev] = (int)layer;
	ll_use_dev(l, dev);
	return 0;
}

/* "ggml_cuda_init: found 15 CUDA devices:" */
int ll_on_cuda_init(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *f = strstr(s, "ggml_cuda_init: found ");
	uint64_t n;
	if (!f || ll_u64(f + 22, &n, NULL))
		return 1;
	struct ll_load *l = ll_load_for(p);
	if (n < LL_MAX_DEV)
		l->n_found = p->n_found = (int)n;
	ll_set_u64(l, SK(GPU_DEVICES_FOUND), n);
	return 0;
}

/* "  Device 0: NVIDIA GeForce RTX 3090, compute capability 8.6, VMM: yes"
 * (ROCm: "Device 0: AMD Radeon Graphics, gfx1151 (0x1151), VMM: no") */
int ll_on_device(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *d = strstr(s, "Device "), *e;
	uint64_t n;
	if (!d || !(strstr(s, "compute capability") || strstr(s, "VMM:")) ||
	    ll_u64(d + 7, &n, &e) || e[0] != ':' || e[1] != ' ')
		return 1;
	const char *c = strchr(e + 2, ',');
	if (!c || n >= LL_MAX_DEV)
		return 0;
	char name[96];
	ll_copy_span(name, sizeof(name), e + 2, c);
	ll_dev_name(p, (int)n, name);
	/* newer builds end the line with ", ID: GPU-<uuid>" */
	const char *id = strstr(c, ", ID: GPU-");
	if (id) {
		const char *ie = id + 6;
		while (*ie && *ie != ',' && *ie != ' ')
			ie++;
		ll_copy_span(p->dev[n].uuid, sizeof(p->dev[n].uuid), id + 6, ie);
		if ((int)n >= p->n_inv)
			p->n_inv = (int)n + 1;
	}
	ll_use_dev(ll_load_for(p), (int)n);
	return 0;
}

/* The index of RPC device name[0..n) ("RPC[host:port]"): its order among
 * the "using device" lines (add: a new endpoint takes the next index);
 * -1 if name is not one, or is unknown and add is 0. A log that also names
 * numbered GPUs is not resolved here (-1: RPC lines are left unread, as
 * before), since the two orders cannot be told apart from the names. */
int ll_rpc_dev(struct ll *p, const char *name, size_t n, int add)
{
	if (n < 6 || strncmp(name, "RPC[", 4) != 0 || name[n - 1] != ']' || n >= sizeof(p->rpc[0]))
		return -1;
	for (int i = 0; i < p->n_rpc; i++)
		if (strlen(p->rpc[i]) == n && strncmp(p->rpc[i], name, n) == 0)
			return i;
	if (!add || p->n_rpc >= LL_MAX_DEV)
		return -1;
	for (int i = 0; i < LL_MAX_DEV; i++)
		if (p->dev[i].name[0] && strncmp(p->dev[i].name, "RPC[", 4) != 0)
			return -1;
	ll_copy_span(p->rpc[p->n_rpc], sizeof(p->rpc[0]), name, name + n);
	return p->n_rpc++;
}

/* "llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce
 * RTX 4090) - 23500 MiB free", or with the bus id: "... (NVIDIA GeForce
 * RTX 3060) (0000:01:00.0) - 10958 MiB free" */
int ll_on_using_device(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *u = strstr(s, "using device ");
	if (!u)
		return 1;
	char name[48];
	const char *nb = u + 13, *ne = nb;
	if (strncmp(nb, "RPC[", 4) == 0 && (ne = strchr(nb, ']')) && ne[1] == ' ' && ne[2] == '(') {
		/* "using device RPC[10.0.0.2:50052] (RPC[10.0.0.2:50052]) - N MiB free" */
		int dev = ll_rpc_dev(p, nb, (size_t)(ne + 1 - nb), 1);
		if (dev < 0)
			return 1;
		ll_copy_span(name, sizeof(name), nb, ne + 1);
		ll_dev_name(p, dev, name);
		ll_use_dev(ll_load_for(p), dev);
		return 0;
	}
	ne = nb;
	while (ll_is_word((unsigned char)*ne))
		ne++;
	if (ne == nb || (size_t)(ne - nb) >= sizeof(name) || ne[0] != ' ' || ne[1] != '(')
		return 1;
	ll_copy_span(name, sizeof(name), nb, ne);
	int dev = ll_dev_from_name(name);
	/* the description's own parentheses nest: "(Intel(R) UHD Graphics)" */
	const char *close = NULL;
	int depth = 0;
	for (const char *q = ne + 2; *q && !close; q++) {
		if (*q == '(')
			depth++;
		else if (*q == ')' && depth-- == 0)
			close = q;
	}
	if (dev < 0 || !close)
		return 1;
	char desc[96];
	ll_copy_span(desc, sizeof(desc), ne + 2, close);
	ll_dev_name(p, dev, desc);
	struct ll_load *l = ll_load_for(p);
	ll_use_dev(l, dev);
	/* the free memory llama.cpp read at load: its default split follows
	 * it (llama-model.cpp, the tensor_split default); kept per load as
	 * "f0,f1,..." in MiB, '?' for a device without the figure */
	uint64_t fr;
	const char *e = NULL, *after = close + 1;
	/* builds since late 2025 print the device's bus id after its
	 * description: "(NVIDIA GeForce RTX 4060 Ti) (0000:2b:00.0) - 15001
	 * MiB free" (llama.cpp PR #16962's log, build 6934), "(unknown id)"
	 * where the backend has none (Vulkan) */
	if (strncmp(after, " (", 2) == 0 && (e = strchr(after + 2, ')')) != NULL)
		after = e + 1;
	if (strncmp(after, " - ", 3) == 0 && ll_u64(after + 3, &fr, &e) == 0 && fr > 0 &&
	    strncmp(e, " MiB free", 9) == 0) {
		l->free_mib[dev] = fr;
		char buf[LL_MAX_DEV * 8];
		size_t k = 0;
		for (int i = 0; i <= dev && k + 24 < sizeof(buf); i++) {
			if (l->free_mib[i])
				k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%llu", i ? "," : "",
						      (unsigned long long)l->free_mib[i]);
			else
				k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s?", i ? "," : "");
		}
		ll_set(l, SK(GPU_FREE_MIB), buf);
	}
	return 0;
}

/* "tensor blk.3.ffn_up_exps.weight (108 MiB q4_K) buffer type overridden
 * to CPU": printed for every tensor an -ot rule moved, at debug level
 * (llama-model-loader.cpp, tag v0.5.0; llama-model.cpp in 2025 builds),
 * so only -v logs have it. Kept per load as NAME=DEV;... for a re-plan
 * when the command line is not in the log (sim/engrec.c). */
int ll_on_overridden(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *t = strstr(s, "tensor ");
	const char *o = strstr(s, ") buffer type overridden to ");
	if (!t || !o || o < t)
		return 1;
	const char *nb = t + 7, *ne = nb;
	while (*ne && *ne != ' ' && ne < o)
		ne++;
	const char *db = o + 28, *de = db;
	while (ll_is_word((unsigned char)*de))
		de++;
	if (ne == nb || ne[0] != ' ' || ne[1] != '(' || de == db || (size_t)(ne - nb) > 200 || de - db > 40)
		return 1;
	struct ll_load *l = ll_load_for(p);
	const char *old = ll_get(l, SK(TENSORS_OVERRIDDEN));
	char *v = util_xasprintf("%s%s%.*s=%.*s", old ? old : "", old ? ";" : "", (int)(ne - nb), nb,
				 (int)(de - db), db);
	ll_set(l, SK(TENSORS_OVERRIDDEN), v);
	free(v);
	return 0;
}

/* ------------------------------------------------ one-line facts */

/* The scheduler's graph copies: "pipeline parallelism enabled
 * (n_copies=4)" (llama.cpp 2024-2025), "reserve took 1.2 ms, sched copies
 * = 4" (later tags print it at every reserve, llama-context.cpp l. 763 at
 * v0.5.0), or a bare "pipeline parallelism enabled" (those tags again, l.
 * 459): GGML_SCHED_MAX_COPIES, 4 unless the build changed it
 * (ggml/CMakeLists.txt), until a count is printed. */
int ll_on_n_copies(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *t = strstr(s, "(n_copies="), *u = strstr(s, "sched copies = ");
	struct ll_load *l = ll_load_for(p);
	uint64_t v;
	if (t && ll_u64(t + 10, &v, NULL) == 0)
		ll_set_u64(l, SK(N_COPIES), v);
	else if (u && ll_u64(u + 15, &v, NULL) == 0)
		ll_set_u64(l, SK(N_COPIES), v);
	else if (strstr(s, "pipeline parallelism enabled") && !ll_get(l, SK(N_COPIES)))
		ll_set(l, SK(N_COPIES), "4");
	else
		return 1;
	return 0;
}

/* "graph nodes  = 3608", "graph splits = 2" */
int ll_on_graph(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *t = strstr(s, "graph nodes");
	if (!t)
		t = strstr(s, "graph splits");
	if (!t)
		return 1;
	const char *eq = strchr(t, '=');
	uint64_t v;
	if (eq && ll_u64(ll_skip_sp(eq + 1), &v, NULL) == 0)
		ll_set_u64(ll_load_for(p), t[6] == 'n' ? SK(GRAPH_NODES) : SK(GRAPH_SPLITS), v);
	return 0;
}

/* "Flash Attention was auto, set to enabled" */
int ll_on_fa_auto(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *t = strstr(s, "Flash Attention was auto, set to ");
	if (!t)
		return 1;
	int fa = ll_fa_value(t + 33);
	if (fa >= 0)
		ll_set_int(ll_load_for(p), SK(FLASH_ATTN), fa);
	return 0;
}

/* "build: 5192 (e59a5f1e) with cc ... for x86_64-linux-gnu" (common.cpp's
 * common_params_print / the tools' first line) or "main: build = 1234
 * (abc1234)" (older tools): the llama.cpp build that wrote the log, whose
 * buffers the pinned engine may size otherwise (README "Accuracy"). */
int ll_on_build(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *t = s;
	while (*t == ' ' || *t == '\t')
		t++;
	if (strncmp(t, "main: ", 6) == 0)
		t += 6;
	if (strncmp(t, "build: ", 7) != 0 && strncmp(t, "build = ", 8) != 0)
		return 1;
	t += t[5] == ':' ? 7 : 8;
	char *end;
	unsigned long n = strtoul(t, &end, 10);
	if (end == t || strncmp(end, " (", 2) != 0 || n == 0 || n > 1000000)
		return 1;
	ll_set_u64(ll_load_for(p), SK(LLAMA_BUILD), n);
	return 0;
}

/* "llama_model_loader: loaded meta data with 45 key-value pairs": a load
 * starts (its marker row does the rest). */
int ll_on_loader(struct ll *p, char *s, char **cause)
{
	(void)cause;
	if (!strstr(s, "llama_model_loader: loaded meta data"))
		return 1;
	ll_load_for(p);
	return 0;
}

/* "type_k = 'f16'" -> type_k = f16 */
static void quoted_setting(struct ll_load *l, const char *s, const char *tag, const char *key)
{
	const char *t = strstr(s, tag);
	if (!t)
		return;
	t += strlen(tag);
	const char *e = strchr(t, '\'');
	if (!e || e == t || e - t > 15)
		return;
	char b[16];
	ll_copy_span(b, sizeof(b), t, e);
	ll_set(l, key, b);
}

/* llama_kv_cache_init: kv_size = 8192, offload = 1, type_k = 'f16', ... */
int ll_on_kv_init(struct ll *p, char *s, char **cause)
{
	(void)cause;
	if (!strstr(s, "type_k = '"))
		return 1;
	struct ll_load *l = ll_load_for(p);
	quoted_setting(l, s, "type_k = '", SK(TYPE_K));
	quoted_setting(l, s, "type_v = '", SK(TYPE_V));
	const char *ks = strstr(s, "kv_size = ");
	uint64_t v;
	if (ks && ll_u64(ks + 10, &v, NULL) == 0)
		ll_set_u64(l, SK(KV_CELLS), v);
	return 0;
}

/* mllama (vision projector): "mllama_model_load: model name: ..." */
int ll_on_mllama(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *t = strstr(s, "mllama_model_load: model name:");
	if (!t)
		return 1;
	ll_set(ll_load_for(p), SK(MMPROJ_NAME), ll_skip_sp(t + 30));
	return 0;
}
