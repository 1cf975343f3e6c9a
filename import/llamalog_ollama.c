/*
 * llamalog_ollama.c - Ollama's server log (Go slog text lines, all eras),
 * `ollama ps` / `ollama list` tables and the nvidia-smi header that users
 * paste beside them. Sources: see llamalog.c's head.
 */
#include "llamalog_int.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

/* ---------------------------------------------------- Ollama (slog) */

struct ll_slog {
	char *key[64];
	char *val[64];
	int n;
	int cut; /* the line was cut short (journalctl) */
};

/*
 * Split "time=… level=INFO source=x.go:1 msg=\"…\" k=v k=\"v w\"" in place
 * (Go slog text handler: values with spaces are quoted with Go escapes).
 */
static int slog_parse(char *s, struct ll_slog *g)
{
	char *t = strstr(s, "time=");
	char *lv = strstr(s, "level=");
	if (!lv || !strstr(lv, "msg="))
		return -1;
	char *c = t && t < lv ? t : lv;
	g->n = 0;
	g->cut = 0;
	while (*c && g->n < 64) {
		while (*c == ' ')
			c++;
		if (!*c)
			break;
		char *k = c;
		if (*c == '"') { /* quoted key: "model layers"=27 */
			k = ++c;
			while (*c && *c != '"')
				c++;
			if (!*c)
				break;
			*c++ = '\0';
		} else {
			while (*c && *c != '=' && *c != ' ')
				c++;
		}
		if (*c != '=') {
			/* journalctl cuts long lines at the terminal's width and
			 * ends them with '>' or an ellipsis: the rest is lost */
			size_t n = strlen(k);
			g->cut = n && (k[n - 1] == '>' || (n >= 3 && strcmp(k + n - 3, "\xe2\x80\xa6") == 0));
			break;
		}
		*c++ = '\0';
		char *v = c, *o = c;
		if (*c == '"') {
			v = o = ++c;
			while (*c && *c != '"') {
				if (*c == '\\' && c[1]) {
					c++;
					*o++ = *c == 'n' ? ' ' : *c == 't' ? ' ' : *c;
					c++;
				} else {
					*o++ = *c++;
				}
			}
			if (*c == '"')
				c++;
		} else {
			while (*c && *c != ' ')
				o++, c++;
		}
		char *next = c;
		if (*next)
			next++;
		*o = '\0';
		g->key[g->n] = k;
		g->val[g->n] = v;
		g->n++;
		c = next;
	}
	return 0;
}

static const char *slog_get(const struct ll_slog *g, const char *key)
{
	for (int i = 0; i < g->n; i++)
		if (strcmp(g->key[i], key) == 0)
			return g->val[i];
	return NULL;
}

static int ollama_size(struct ll *p, const char *key, const char *v, uint64_t *bytes,
		       char **cause)
{
	const char *e;
	if (ll_human(v, bytes, &e) || *ll_skip_sp(e)) {
		if (ll_is_cut(v))
			p->cut = 1;
		return util_err(cause, UTIL_EINPUT,
				"%s:%zu: expected a size like \"1.5 GiB\" for %s, got \"%s\"",
				p->ctx->path, p->lineno, key, v);
	}
	return 0;
}

/* "[22.0 GiB 22.0 GiB]" -> per-device estimates under key. A bare size is
 * an estimate for the whole machine. */
static int ollama_list(struct ll *p, struct ll_load *l, const char *okey, const char *v,
		       const char *key, int host, char **cause)
{
	const char *c = ll_skip_sp(v);
	uint64_t b;
	if (*c != '[') {
		if (ollama_size(p, okey, c, &b, cause))
			return UTIL_EINPUT;
		ll_est_add(l, "ollama", TRACE_DEV_HOST, key, b);
		return 0;
	}
	c++;
	for (int i = 0;; i++) {
		c = ll_skip_sp(c);
		if (*c == ']' || !*c)
			break;
		if (i >= LL_MAX_DEV || ll_human(c, &b, &c)) {
			if (ll_is_cut(c))
				p->cut = 1;
			return util_err(cause, UTIL_EINPUT,
					"%s:%zu: expected a list of sizes like \"[1.5 GiB 2.0 GiB]\" "
					"for %s", p->ctx->path, p->lineno, okey);
		}
		/* library=cpu: the one entry is host memory, not GPU 0 */
		ll_est_add(l, "ollama", host ? TRACE_DEV_HOST : i, key, b);
	}
	return 0;
}

/* The `offload` estimate line, all eras (ollama llm/memory.go
 * MemoryEstimate.LogValue, v0.1 to v0.12; README "Ollama's estimate"). */
static int ollama_offload(struct ll *p, const struct ll_slog *g, char **cause)
{
	static const struct { const char *okey, *key; } sizes[] = {
		{ "memory.required.full", "required.full" },
		{ "memory.required.partial", "required.partial" },
		{ "memory.required.kv", "required.kv" },
		{ "memory.weights.total", "weights.total" },
		{ "memory.weights.repeating", "weights.repeating" },
		{ "memory.weights.nonrepeating", "weights.nonrepeating" },
		{ "memory.graph.full", "graph.full" },
		{ "memory.graph.partial", "graph.partial" },
		{ "projector.weights", "projector.weights" },
		{ "projector.graph", "projector.graph" },
		{ "memory.gpu_overhead", "gpu_overhead" },
		/* v0.1.2x-0.1.3x keys */
		{ "fulloffload", "required.full" },
		{ "partialoffload", "required.partial" },
		{ "required", "required" },
		{ "used", "used" },
		{ "kv", "required.kv" },
		{ "graph", "graph" },
	};
	static const struct { const char *okey, *key; } layers[] = {
		{ "layers.model", SK(OLLAMA_LAYERS_MODEL) },
		{ "layers.offload", SK(OLLAMA_LAYERS_OFFLOAD) },
		{ "layers.split", SK(OLLAMA_LAYERS_SPLIT) },
		{ "layers.requested", SK(OLLAMA_LAYERS_REQUESTED) },
		{ "layers.real", SK(OLLAMA_LAYERS_OFFLOAD) },
		{ "layers.estimate", SK(OLLAMA_LAYERS_ESTIMATE) },
		{ "reallayers", SK(OLLAMA_LAYERS_OFFLOAD) },
		{ "layers", SK(OLLAMA_LAYERS_OFFLOAD) },
	};
	/* parse everything before touching the load */
	uint64_t b[UTIL_ARRAY_SIZE(sizes)];
	int have[UTIL_ARRAY_SIZE(sizes)];
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(sizes); i++) {
		const char *v = slog_get(g, sizes[i].okey);
		have[i] = v != NULL;
		if (v && ollama_size(p, sizes[i].okey, v, &b[i], cause))
			return UTIL_EINPUT;
	}
	struct ll_load *l = ll_load_for(p);
	const char *lib0 = slog_get(g, "library");
	int host = lib0 && strcasecmp(lib0, "cpu") == 0;
	const char *v;
	if ((v = slog_get(g, "memory.required.allocations")) &&
	    ollama_list(p, l, "memory.required.allocations", v, "allocation", host, cause))
		return UTIL_EINPUT;
	if ((v = slog_get(g, "memory.available")) &&
	    ollama_list(p, l, "memory.available", v, "available", host, cause))
		return UTIL_EINPUT;
	if ((v = slog_get(g, "available")) && ollama_list(p, l, "available", v, "available", host, cause))
		return UTIL_EINPUT;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(sizes); i++)
		if (have[i])
			ll_est_add(l, "ollama", TRACE_DEV_HOST, sizes[i].key, b[i]);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(layers); i++)
		if ((v = slog_get(g, layers[i].okey)) && !ll_get(l, layers[i].key))
			ll_set(l, layers[i].key, v);
	const char *lib = slog_get(g, "library");
	const char *msg = slog_get(g, "msg");
	if (lib)
		ll_set(l, SK(OLLAMA_LIBRARY), lib);
	else if (msg && strncmp(msg, "offload to ", 11) == 0)
		ll_set(l, SK(OLLAMA_LIBRARY), msg + 11);
	return 0;
}

/* An Ollama GPU: by name "CUDA3", by a known uuid, else the next index
 * (inventory lines come in device order). */
static int ollama_gpu(struct ll *p, const char *uuid, const char *name)
{
	/* "CUDA0" names the index; "Tesla T4" does not */
	int dev = name && !strchr(name, ' ') ? ll_dev_from_name(name) : TRACE_DEV_HOST;
	if (dev < 0 && uuid) {
		for (int i = 0; i < LL_MAX_DEV; i++)
			if (strcmp(p->dev[i].uuid, uuid) == 0)
				return i;
		if (p->n_inv >= LL_MAX_DEV)
			return -1;
		dev = p->n_inv;
	}
	if (dev < 0)
		return -1;
	if (dev >= p->n_inv)
		p->n_inv = dev + 1;
	if (uuid)
		snprintf(p->dev[dev].uuid, sizeof(p->dev[dev].uuid), "%s", uuid);
	return dev;
}

/* msg="inference compute" id=GPU-… library=cuda name="…" total="23.7 GiB" */
static int ollama_inventory(struct ll *p, const struct ll_slog *g)
{
	const char *lib = slog_get(g, "library");
	if (lib && strcasecmp(lib, "cpu") == 0)
		return 0;
	const char *name = slog_get(g, "name"), *desc = slog_get(g, "description");
	int dev = ollama_gpu(p, slog_get(g, "id"), name);
	if (dev < 0)
		return 0;
	const char *total = slog_get(g, "total");
	uint64_t b;
	if (total && ll_human(total, &b, NULL) == 0)
		p->dev[dev].total = b;
	if (desc && *desc)
		ll_dev_name(p, dev, desc);
	else if (name && strchr(name, ' '))
		ll_dev_name(p, dev, name);
	ll_use_dev(ll_load_for(p), dev);
	return 0;
}

/* msg="updated VRAM based on existing loaded models" gpu=GPU-… total=…
 * available=…: the scheduler sizing up a new load request. */
static int ollama_sched(struct ll *p, const struct ll_slog *g)
{
	struct ll_load *l = ll_load_for(p);
	const char *gpu = slog_get(g, "gpu"), *total = slog_get(g, "total"),
		   *avail = slog_get(g, "available");
	uint64_t b;
	int dev = -1;
	if (gpu) {
		ll_set(l, SK(OLLAMA_SCHED_GPU), gpu);
		for (int i = 0; i < p->n_inv; i++)
			if (strcmp(p->dev[i].uuid, gpu) == 0)
				dev = i;
	}
	if (total && ll_human(total, &b, NULL) == 0) {
		ll_set_u64(l, SK(OLLAMA_SCHED_TOTAL), b);
		if (dev >= 0) {
			p->dev[dev].total = b;
			ll_use_dev(l, dev);
		}
	}
	if (avail && ll_human(avail, &b, NULL) == 0)
		ll_set_u64(l, SK(OLLAMA_SCHED_AVAILABLE), b);
	return 0;
}

/* New-engine actual sizes: msg="model weights" device=CUDA0 size="4.1 GiB"
 * (also buffer=CUDA0, or backend=/buffer_type= for "compute graph"). */
static int ollama_alloc(struct ll *p, const struct ll_slog *g, int cat, const char *msg,
			char **cause)
{
	const char *name = slog_get(g, "buffer_type");
	if (!name)
		name = slog_get(g, "device");
	if (!name)
		name = slog_get(g, "buffer");
	if (!name)
		name = slog_get(g, "backend");
	const char *size = slog_get(g, "size");
	if (!name || !size)
		return 0;
	uint64_t b;
	if (ollama_size(p, "size", size, &b, cause))
		return UTIL_EINPUT;
	int dev = ll_check_dev(p, ll_dev_from_name(name));
	if (dev == -2 || b == 0)
		return 0;
	char label[96];
	snprintf(label, sizeof(label), "%s %s", name, msg);
	ll_buffer_add(p, dev, cat, b, name, label);
	ll_cur(p)->eng |= ENG_OL_NEW; /* ml/backend/ggml prints these */
	return 0;
}

/* msg=load request="{… GPULayers:37[ID:0 Layers:37(0..36)] …}": the
 * layers each GPU holds, and the load's knobs. */
static void ollama_load_request(struct ll *p, const char *req)
{
	struct ll_load *l = ll_load_for(p);
	static const struct { const char *tag, *key; } knobs[] = {
		{ "KvSize:", SK(N_CTX) }, { "BatchSize:", SK(N_BATCH) }, { "Parallel:", SK(PARALLEL) },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(knobs); i++) {
		const char *t = strstr(req, knobs[i].tag);
		uint64_t v;
		if (t && ll_u64(t + strlen(knobs[i].tag), &v, NULL) == 0)
			ll_set_u64(l, knobs[i].key, v);
	}
	const char *fa = strstr(req, "FlashAttention:");
	if (fa)
		ll_set_fa(l, strncmp(fa + 15, "true", 4) == 0 ? "1" : "0");
	const char *kt = strstr(req, "KvCacheType:");
	if (kt && kt[12] && kt[12] != ' ') {
		char b[16];
		const char *e = kt + 12;
		while (*e && *e != ' ' && *e != '}' && e - (kt + 12) < 15)
			e++;
		ll_copy_span(b, sizeof(b), kt + 12, e);
		ll_set(l, SK(TYPE_K), b);
		ll_set(l, SK(TYPE_V), b);
	}
	for (const char *t = strstr(req, " Layers:"); t; t = strstr(t + 1, " Layers:")) {
		uint64_t n, lo, hi;
		const char *e;
		if (ll_u64(t + 8, &n, &e) || *e != '(' || ll_u64(e + 1, &lo, &e) ||
		    strncmp(e, "..", 2) || ll_u64(e + 2, &hi, NULL) || lo > hi || hi > 100000)
			continue;
		const char *id = t; /* the "ID:x" or "UUID:x" word before */
		while (id > req && id[-1] != ' ' && id[-1] != '[')
			id--;
		char word[64];
		ll_copy_span(word, sizeof(word), id, t);
		const char *colon = strchr(word, ':');
		if (!colon)
			continue;
		uint64_t idx;
		int dev = -1;
		const char *e2;
		if (ll_u64(colon + 1, &idx, &e2) == 0 && !*e2 && idx < LL_MAX_DEV)
			dev = (int)idx;
		else
			for (int i = 0; i < p->n_inv; i++)
				if (strcmp(p->dev[i].uuid, colon + 1) == 0)
					dev = i;
		if (dev < 0)
			continue;
		l->lay_lo[dev] = (int)lo;
		l->lay_hi[dev] = (int)hi;
		ll_use_dev(l, dev);
	}
}

/* msg="starting llama server" cmd="…/ollama_llama_server --model … --ctx-size 8192 …" */
static int slog_start(struct ll *p, char *s, char **cause)
{
	(void)s, (void)cause;
	struct ll_load *l = ll_load_for(p);
	const char *v = slog_get(p->slog, "cmd");
	if (v) {
		/* the runner binary tells the era (ollama llm/server.go):
		 * .../llama-server (0.30+), "ollama runner --ollama-engine"
		 * (own engine), ollama_llama_server or "ollama runner" (cgo
		 * llama.cpp) */
		if (strstr(v, "llama-server"))
			l->eng |= ENG_OL_LSERVER;
		else if (strstr(v, "--ollama-engine"))
			l->eng |= ENG_OL_NEW;
		else if (strstr(v, "ollama_llama_server") || strstr(v, " runner"))
			l->eng |= ENG_OL_CGO;
		ll_args(l, v);
	}
	return 0;
}

static int slog_offload(struct ll *p, char *s, char **cause)
{
	(void)s;
	return ollama_offload(p, p->slog, cause);
}

static int slog_inventory(struct ll *p, char *s, char **cause)
{
	(void)s, (void)cause;
	return ollama_inventory(p, p->slog);
}

static int slog_sched(struct ll *p, char *s, char **cause)
{
	(void)s, (void)cause;
	return ollama_sched(p, p->slog);
}

static int slog_weights(struct ll *p, char *s, char **cause)
{
	(void)s;
	return ollama_alloc(p, p->slog, TRACE_CAT_WEIGHTS, "model weights", cause);
}

static int slog_kv(struct ll *p, char *s, char **cause)
{
	(void)s;
	return ollama_alloc(p, p->slog, TRACE_CAT_KV, "kv cache", cause);
}

static int slog_graph(struct ll *p, char *s, char **cause)
{
	(void)s;
	return ollama_alloc(p, p->slog, TRACE_CAT_COMPUTE, "compute graph", cause);
}

static int slog_total(struct ll *p, char *s, char **cause)
{
	(void)s, (void)cause;
	const char *v = slog_get(p->slog, "size");
	uint64_t b;
	if (v && ll_human(v, &b, NULL) == 0) {
		struct ll_load *l = ll_load_for(p);
		ll_set_u64(l, SK(OLLAMA_TOTAL_MEMORY), b);
		l->eng |= ENG_OL_NEW;
	}
	return 0;
}

static int slog_fa(struct ll *p, char *s, char **cause)
{
	(void)s, (void)cause;
	ll_set(ll_load_for(p), SK(FLASH_ATTN), "1");
	return 0;
}

static int slog_sysmem(struct ll *p, char *s, char **cause)
{
	(void)s, (void)cause;
	const char *v;
	uint64_t b;
	if ((v = slog_get(p->slog, "total")) && ll_human(v, &b, NULL) == 0)
		ll_set_u64(ll_load_for(p), SK(SYSTEM_TOTAL), b);
	if ((v = slog_get(p->slog, "free")) && ll_human(v, &b, NULL) == 0)
		ll_set_u64(ll_load_for(p), SK(SYSTEM_FREE), b);
	return 0;
}

static int slog_load(struct ll *p, char *s, char **cause)
{
	(void)s, (void)cause;
	const char *v = slog_get(p->slog, "request");
	if (!v)
		return 1;
	ollama_load_request(p, v);
	return 0;
}

/* ggml.go: msg="" architecture=… file_type=… name=… */
static int slog_arch(struct ll *p, char *s, char **cause)
{
	(void)s, (void)cause;
	const char *v = slog_get(p->slog, "architecture");
	if (!v)
		return 1;
	struct ll_load *l = ll_load_for(p);
	l->eng |= ENG_OL_NEW;
	ll_set(l, SK(META_ARCH), v);
	if ((v = slog_get(p->slog, "file_type")) && *v)
		ll_set(l, SK(META_FTYPE), v);
	if ((v = slog_get(p->slog, "name")) && *v)
		ll_set(l, SK(META_NAME), v);
	return 0;
}

/*
 * Ollama's messages, by msg= value (a needle ending in '*' is a prefix;
 * NULL: any msg). The mk/mode columns are the load-boundary rule of each
 * (llamalog.c, "Load boundaries").
 */
static const struct ll_rule slog_rules[] = {
	{ "offload estimate", "offload", slog_offload, MK_OFFLOAD_EST, M_REPEAT },
	{ "offload estimate (2024)", "offload to *", slog_offload, MK_OFFLOAD_EST, M_REPEAT },
	{ "runner start", "starting llama server", slog_start, MK_START, M_REPEAT },
	{ "runner start (new engine)", "starting runner", slog_start, MK_START, M_REPEAT },
	{ "GPU inventory", "inference compute", slog_inventory, 0, M_NONE },
	{ "scheduler sizing", "updated VRAM based on existing loaded models", slog_sched,
	  MK_OTHER, M_BUF },
	{ "new-engine weights", "model weights", slog_weights, 0, M_NONE },
	{ "new-engine KV", "kv cache", slog_kv, 0, M_NONE },
	{ "new-engine compute", "compute graph", slog_graph, 0, M_NONE },
	{ "new-engine total", "total memory", slog_total, 0, M_NONE },
	{ "flash attention", "enabling flash attention", slog_fa, 0, M_NONE },
	{ "system memory", "system memory", slog_sysmem, 0, M_NONE },
	{ "load request", "load", slog_load, MK_OTHER, M_BUF },
	{ "model metadata", NULL, slog_arch, MK_OTHER, M_BUF },
};

static int msg_is(const char *msg, const char *needle)
{
	if (!needle)
		return 1;
	size_t n = strlen(needle);
	if (n && needle[n - 1] == '*')
		return strncmp(msg, needle, n - 1) == 0;
	return strcmp(msg, needle) == 0;
}

/* A slog line: parsed on a copy (the parser unquotes in place); never
 * handed on to the llama.cpp rows, since a slog value may hold " = ". */
int ll_on_slog(struct ll *p, char *s, char **cause)
{
	if (!strstr(s, "level=") || !strstr(s, "msg="))
		return 1;
	char *copy = util_xstrdup(s);
	struct ll_slog g;
	int rc = 0;
	const char *msg;
	if (slog_parse(copy, &g) == 0 && (msg = slog_get(&g, "msg"))) {
		p->line_eng |= ENG_OLLAMA;
		const struct ll_rule *outer = p->rule;
		p->slog = &g;
		for (size_t i = 0; i < UTIL_ARRAY_SIZE(slog_rules); i++) {
			if (!msg_is(msg, slog_rules[i].needle))
				continue;
			p->rule = &slog_rules[i];
			rc = slog_rules[i].on(p, copy, cause);
			if (rc <= 0)
				break;
			rc = 0;
		}
		p->rule = outer;
		p->slog = NULL;
		if (g.cut && rc == 0)
			ll_line_cut(p, "journalctl cut it at the terminal's width: use "
				       "journalctl --no-pager -o cat");
	}
	free(copy);
	return rc;
}

/* ------------------------------- `ollama list` / `ollama ps`, nvidia-smi */

static int is_hex_id(const char *t)
{
	if (strlen(t) != 12)
		return 0;
	for (; *t; t++)
		if (!isxdigit((unsigned char)*t))
			return 0;
	return 1;
}

/*
 * "llama3.3:70b  a6eb4748fd29  42 GB  19 seconds ago" (ollama list) and
 * "llama3.3:latest  a6eb4748fd29  61 GB  44%/56% CPU/GPU  4 minutes from
 * now" (ollama ps). Sizes are HumanBytes: decimal GB.
 */
int ll_on_ollama_table(struct ll *p, char *s, char **cause)
{
	(void)cause;
	char buf[512];
	if (strlen(s) >= sizeof(buf))
		return 1;
	snprintf(buf, sizeof(buf), "%s", s);
	char *tok[8];
	int nt = 0;
	char *sv = NULL;
	for (char *t = strtok_r(buf, " \t\r", &sv); t && nt < 8; t = strtok_r(NULL, " \t\r", &sv))
		tok[nt++] = t;
	if (nt < 4 || !is_hex_id(tok[1]))
		return 1;
	char sz[64];
	snprintf(sz, sizeof(sz), "%s %s", tok[2], tok[3]);
	uint64_t bytes;
	const char *e;
	if (ll_human(sz, &bytes, &e) || *e)
		return 1;
	p->line_eng |= ENG_OLLAMA;
	if (nt >= 5 && strchr(tok[4], '%')) {
		struct ll_load *l = ll_load_for(p);
		if (ll_get(l, SK(OLLAMA_PS_MODEL)))
			return 0; /* the first model of the table is the one kept */
		char proc[64];
		int two = nt >= 6 && (strcmp(tok[5], "CPU/GPU") == 0 || strcmp(tok[5], "GPU") == 0 ||
				      strcmp(tok[5], "CPU") == 0);
		snprintf(proc, sizeof(proc), "%s%s%s", tok[4], two ? " " : "", two ? tok[5] : "");
		ll_set(l, SK(OLLAMA_PS_MODEL), tok[0]);
		ll_set(l, SK(OLLAMA_PS_ID), tok[1]);
		ll_set_u64(l, SK(OLLAMA_PS_SIZE), bytes);
		ll_set(l, SK(OLLAMA_PS_PROCESSOR), proc);
		snprintf(l->ps_id, sizeof(l->ps_id), "%s", tok[1]);
		return 0;
	}
	if (p->n_list >= LL_MAX_LIST)
		return 0; /* only a size for `ollama ps` rows to look up */
	UTIL_GROW(p->list, p->n_list + 1, p->a_list);
	snprintf(p->list[p->n_list].id, sizeof(p->list[0].id), "%s", tok[1]);
	p->list[p->n_list].bytes = bytes;
	p->n_list++;
	return 0;
}

/* "| NVIDIA-SMI 550.120   Driver Version: 550.120   CUDA Version: 12.4 |" */
int ll_on_nvidia_smi(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *d = strstr(s, "Driver Version: ");
	if (!strstr(s, "NVIDIA-SMI") || !d)
		return 1;
	struct ll_load *l = ll_load_for(p);
	char b[32];
	const char *e = d + 16;
	while (*e && *e != ' ')
		e++;
	ll_copy_span(b, sizeof(b), d + 16, e);
	ll_set(l, SK(DRIVER_VERSION), b);
	const char *c = strstr(s, "CUDA Version: ");
	if (c) {
		e = c + 14;
		while (*e && *e != ' ')
			e++;
		ll_copy_span(b, sizeof(b), c + 14, e);
		ll_set(l, SK(CUDA_VERSION), b);
	}
	return 0;
}

