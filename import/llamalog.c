/*
 * llamalog.c - llama.cpp / Ollama / ik_llama.cpp server logs.
 *
 * These logs give per-device buffer sizes at load time, not an allocation
 * stream (formats.md §4). Each buffer line becomes one ALLOC event at
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
 * whole file is parsed into memory first, because the trace run numbers
 * (0 for one load, 1..n for several) are known only at the end; the memory
 * used is bounded by the file's lines.
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
 * Other decisions (formats.md §4, engines.md §1-2):
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
#include "imp.h"
#include "settings.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LL_MAX_LINE   (64 * 1024)  /* longer lines are skipped with a warning */
#define LL_DETECT_WIN (256 * 1024) /* detect() looks at this much */
#define LL_MAX_DEV    256          /* GPU indices 0..255 */
#define LL_MAX_MIB    8.0e12       /* larger sizes overflow 64-bit bytes */
#define LL_OOM_RESULT 2            /* CUDA_ERROR_OUT_OF_MEMORY */

/* Phases of one llama.cpp load, in the order the engine prints them. A
 * buffer line of an earlier phase than one already seen starts a new load. */
enum { PH_START = 0, PH_WEIGHTS, PH_CTX, PH_COMPUTE, PH_BREAKDOWN };

/* Load-start markers (bit set per load). */
enum {
	MK_OFFLOAD_EST = 1 << 0, /* Ollama `offload` estimate line */
	MK_START       = 1 << 1, /* Ollama `starting llama server`, llama-server cmd */
	MK_CUDA_INIT   = 1 << 2, /* ggml_cuda_init: found N devices */
	MK_OFFLOADING  = 1 << 3, /* offloading N repeating layers to GPU */
	MK_LOADER      = 1 << 4, /* llama_model_loader: loaded meta data */
	MK_FIT         = 1 << 5, /* llama_params_fit_impl: projected ... */
	MK_BREAKDOWN   = 1 << 6, /* memory breakdown table header */
	MK_OTHER       = 1 << 7  /* markers that split only after buffers */
};

/* Per-device flags within one load. */
enum {
	DF_USED = 1,  /* the load refers to this device */
	DF_W    = 2,  /* has a weights buffer line */
	DF_KV   = 4,  /* has a KV buffer line */
	DF_C    = 8,  /* has a compute buffer line */
	DF_OUT  = 16, /* has an output buffer line */
	DF_BD   = 32, /* has a memory breakdown row */
	DF_FIT  = 64  /* has a fit projection row */
};

/* Engines (best guess for the "engine" setting). */
enum { ENG_OLLAMA = 1, ENG_IK = 2 };

struct ll_set {
	char *key;
	char *val;
};

struct ll_est {
	char engine[16];
	int device;
	char key[48];
	uint64_t bytes;
};

struct ll_ev {
	struct trace_event ev;
	char *label; /* buffer name etc., interned at write time */
};

/* One model load: becomes one trace. */
struct ll_load {
	struct ll_ev *ev;
	size_t n_ev, a_ev;
	struct ll_set *set;
	size_t n_set, a_set;
	struct ll_est *est;
	size_t n_est, a_est;
	char *note;           /* "; "-joined notes, or NULL */
	int phase;            /* highest PH_* of its buffer lines */
	int has_buf;          /* an allocation or OOM was seen */
	int ended;            /* an OOM ended it */
	int truncated;        /* the file's last line was cut inside it */
	int breakdown_host;   /* host row of the breakdown seen */
	unsigned markers;     /* MK_* seen */
	unsigned host;        /* DF_* for host buffers */
	unsigned char dev[LL_MAX_DEV];
	int lay_lo[LL_MAX_DEV], lay_hi[LL_MAX_DEV]; /* stated layer range, -1 */
	double kv_mib;        /* sum of "KV self size" / "size =" lines */
	int kv_lines;
	int row_split;        /* a CUDA_Split buffer was seen */
	int n_found;          /* GPUs the engine had found while this load ran */
	char ps_id[16];       /* `ollama ps` model id, to find its `ollama list` size */
};

/* What the whole file says about a device (machine state: carried over
 * from one load to the next). */
struct ll_devinfo {
	char name[96];
	char uuid[48];
	uint64_t total;
};

/* An `ollama list` row. */
struct ll_listrow {
	char id[16];
	uint64_t bytes;
};

struct ll {
	struct imp_ctx *ctx;
	struct ll_load **loads;
	size_t n_loads, a_loads;
	struct ll_load *cur;      /* load receiving lines, NULL: open one on demand */
	struct ll_devinfo dev[LL_MAX_DEV];
	int n_found;              /* ggml_cuda_init: found N (latest) */
	int n_inv;                /* Ollama inventory GPUs seen */
	unsigned engine;          /* ENG_* hints */
	size_t lineno;
	size_t oom_line;          /* line of the last OOM event, 0 if none */
	int last_partial;         /* the line being parsed has no final newline */
	int warned_wrap, warned_dev, warned_long;
	struct ll_listrow *list;
	size_t n_list, a_list;
};

/* ---------------------------------------------------------------- text */

static const char *skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int is_word_char(int c)
{
	return isalnum(c) || c == '_';
}

/* Parse an unsigned decimal integer; 0 or -1 (no digits / overflow). */
static int parse_u64(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	if (end)
		*end = p;
	return 0;
}

/* A signed int in [-1e9, 1e9]. */
static int parse_int(const char *s, long *v, const char **end)
{
	int neg = *s == '-';
	uint64_t u;
	if (parse_u64(s + neg, &u, end) || u > 1000000000u)
		return -1;
	*v = neg ? -(long)u : (long)u;
	return 0;
}

/*
 * Parse a plain decimal "123" or "123.45" (no sign, exponent, inf or nan:
 * strtod would accept those and depends on the locale).
 */
static int parse_dec(const char *s, double *v, const char **end)
{
	const char *p = s;
	uint64_t ip, fp = 0, scale = 1;
	if (parse_u64(p, &ip, &p) || ip > (1ull << 53))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		/* the fraction as an integer over a power of ten: exact for the
		 * 1-2 decimals the engines print */
		for (; isdigit((unsigned char)*p); p++)
			if (scale < 1000000000000ull) {
				fp = fp * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	*v = (double)ip + (double)fp / (double)scale;
	if (end)
		*end = p;
	return 0;
}

static int mib_to_bytes(double mib, uint64_t *bytes)
{
	if (!(mib >= 0) || mib > LL_MAX_MIB)
		return -1;
	*bytes = (uint64_t)llround(mib * 1048576.0);
	return 0;
}

/*
 * "<num> MiB" (or "MB", which llama.cpp's early GGUF era printed for
 * 1024^2 bytes, formats.md §4.1 B) at s, spaces allowed before both.
 */
static int parse_mib(const char *s, uint64_t *bytes, const char **end)
{
	double v;
	s = skip_sp(s);
	if (parse_dec(s, &v, &s))
		return -1;
	s = skip_sp(s);
	if (strncmp(s, "MiB", 3) == 0)
		s += 3;
	else if (strncmp(s, "MB", 2) == 0)
		s += 2;
	else
		return -1;
	if (end)
		*end = s;
	return mib_to_bytes(v, bytes);
}

/*
 * Ollama sizes: HumanBytes2 prints "%.1f GiB|MiB|KiB" or "%d B" (binary);
 * HumanBytes (ollama ps/list) prints "GB|MB|KB" (decimal: ollama/ollama
 * format/bytes.go sets KiloByte = 1000).
 */
static int parse_human(const char *s, uint64_t *bytes, const char **end)
{
	static const struct { const char *unit; double mul; } units[] = {
		{ "TiB", 1099511627776.0 }, { "GiB", 1073741824.0 }, { "MiB", 1048576.0 },
		{ "KiB", 1024.0 }, { "TB", 1e12 }, { "GB", 1e9 }, { "MB", 1e6 },
		{ "KB", 1e3 }, { "kB", 1e3 }, { "B", 1.0 },
	};
	double v;
	s = skip_sp(s);
	if (parse_dec(s, &v, &s))
		return -1;
	s = skip_sp(s);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(units); i++) {
		size_t n = strlen(units[i].unit);
		if (strncmp(s, units[i].unit, n) == 0 && !isalpha((unsigned char)s[n])) {
			double b = v * units[i].mul;
			if (b > 9.0e18)
				return -1;
			*bytes = (uint64_t)llround(b);
			if (end)
				*end = s + n;
			return 0;
		}
	}
	return -1;
}

/* Copy at most n-1 chars of [s, e) into buf. */
static void copy_span(char *buf, size_t n, const char *s, const char *e)
{
	size_t k = (size_t)(e - s);
	if (k >= n)
		k = n - 1;
	memcpy(buf, s, k);
	buf[k] = '\0';
}

/* The file name part of a Unix or Windows path. */
static const char *path_base(const char *s)
{
	const char *b = s;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

/*
 * Buffer (or backend) name -> device. GPU names end in their index
 * (CUDA0, ROCm1, Vulkan0, SYCL0); Metal is device 0. CPU*, *_Host and
 * names without an index (BLAS, AMX) are host memory. The _Mapped,
 * _REPACK and _Private suffixes fold into their device (engines.md
 * §1.3). Returns the index, TRACE_DEV_HOST, or -2 for an index too large.
 */
static int dev_from_name(const char *name)
{
	char b[64];
	snprintf(b, sizeof(b), "%s", name);
	static const char *const folds[] = { "_Mapped", "_REPACK", "_Private" };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(folds); i++) {
		size_t n = strlen(b), k = strlen(folds[i]);
		if (n > k && strcmp(b + n - k, folds[i]) == 0)
			b[n - k] = '\0';
	}
	size_t n = strlen(b);
	if (strncmp(b, "CPU", 3) == 0 || (n >= 5 && strcmp(b + n - 5, "_Host") == 0) ||
	    strcmp(b, "Host") == 0)
		return TRACE_DEV_HOST;
	if (strncmp(b, "Metal", 5) == 0)
		return 0;
	size_t d = n;
	while (d > 0 && isdigit((unsigned char)b[d - 1]))
		d--;
	if (d == n || d == 0 || !isalpha((unsigned char)b[d - 1]))
		return TRACE_DEV_HOST;
	uint64_t idx;
	if (n - d > 6 || parse_u64(b + d, &idx, NULL) || idx >= LL_MAX_DEV)
		return -2;
	return (int)idx;
}

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
	free(l->set);
	free(l->est);
	free(l->note);
	free(l);
}

static struct ll_load *load_new(struct ll *p)
{
	struct ll_load *l = util_xcalloc(1, sizeof(*l));
	for (int i = 0; i < LL_MAX_DEV; i++)
		l->lay_lo[i] = l->lay_hi[i] = -1;
	UTIL_GROW(p->loads, p->n_loads + 1, p->a_loads);
	p->loads[p->n_loads++] = l;
	return l;
}

/* The load that receives data: a new one after an OOM ended the last. */
static struct ll_load *cur(struct ll *p)
{
	if (!p->cur || p->cur->ended)
		p->cur = load_new(p);
	if (p->n_found > p->cur->n_found)
		p->cur->n_found = p->n_found;
	return p->cur;
}

/* How a marker decides that a new load begins. */
enum {
	M_BUF,    /* once the current load holds buffers (or ended in an OOM) */
	M_REPEAT, /* that, or the current load has seen the same marker */
	M_ONCE    /* only when the current load has seen it (lines printed
		   * after the buffers of their load: breakdown, fit) */
};

static struct ll_load *mark(struct ll *p, unsigned mk, int mode)
{
	struct ll_load *l = p->cur;
	if (l && ((mode != M_ONCE && l->has_buf) || (mode != M_BUF && (l->markers & mk))))
		p->cur = NULL;
	l = cur(p);
	l->markers |= mk;
	return l;
}

/* Start a new load before adding to it (a repeated buffer, a phase that
 * went backwards). */
static struct ll_load *split(struct ll *p)
{
	p->cur = NULL;
	return cur(p);
}

static void set_kv(struct ll_load *l, const char *key, const char *val)
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

static const char *get_kv(const struct ll_load *l, const char *key)
{
	for (size_t i = 0; i < l->n_set; i++)
		if (strcmp(l->set[i].key, key) == 0)
			return l->set[i].val;
	return NULL;
}

static void set_int(struct ll_load *l, const char *key, long long v)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", v);
	set_kv(l, key, b);
}

static void set_u64(struct ll_load *l, const char *key, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	set_kv(l, key, b);
}

static void add_note(struct ll_load *l, const char *note)
{
	if (l->note && strstr(l->note, note))
		return;
	char *n = l->note ? util_xasprintf("%s; %s", l->note, note) : util_xstrdup(note);
	free(l->note);
	l->note = n;
}

static void use_dev(struct ll_load *l, int dev)
{
	if (dev >= 0 && dev < LL_MAX_DEV)
		l->dev[dev] |= DF_USED;
}

static void add_est(struct ll_load *l, const char *engine, int device, const char *key,
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
	use_dev(l, device);
}

static struct trace_event *add_ev(struct ll *p, struct ll_load *l, int kind, int dev, int cat,
				  uint64_t bytes, const char *label)
{
	UTIL_GROW(l->ev, l->n_ev + 1, l->a_ev);
	struct ll_ev *e = &l->ev[l->n_ev++];
	trace_event_init(&e->ev, kind, (int64_t)p->lineno * 1000);
	e->ev.device = (int16_t)dev;
	e->ev.category = (int16_t)cat;
	e->ev.size = bytes;
	e->label = label ? util_xstrdup(label) : NULL;
	use_dev(l, dev);
	l->has_buf = 1;
	return &e->ev;
}

/* Remember a device name, keeping the most complete one ("NVIDIA GeForce
 * RTX 3090" over the breakdown's "RTX 3090"). */
static void dev_name(struct ll *p, int dev, const char *name)
{
	if (dev < 0 || dev >= LL_MAX_DEV || !*name)
		return;
	if (strlen(name) > strlen(p->dev[dev].name))
		snprintf(p->dev[dev].name, sizeof(p->dev[dev].name), "%s", name);
}

/* A device index from a log line, warning once about absurd ones. */
static int check_dev(struct ll *p, int dev)
{
	if (dev == -2 && !p->warned_dev) {
		p->warned_dev = 1;
		imp_warn(p->ctx, "line %zu: device index beyond %d, line ignored", p->lineno,
			 LL_MAX_DEV - 1);
	}
	return dev;
}

static int bad_size(struct ll *p, char **cause, const char *what)
{
	return util_err(cause, UTIL_EINPUT, "%s:%zu: expected a size in MiB after '%s'",
			p->ctx->path, p->lineno, what);
}

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
static int buffer_repeats(const struct ll_load *l, int dev, int cat, const char *label)
{
	if (cat == TRACE_CAT_WEIGHTS)
		return l->phase >= PH_CTX || (dev >= 0 && (l->dev[dev] & DF_W));
	if (cat == TRACE_CAT_KV)
		return l->phase >= PH_COMPUTE;
	if (cat == TRACE_CAT_COMPUTE) {
		if (l->phase >= PH_BREAKDOWN)
			return 1;
		for (size_t i = 0; i < l->n_ev; i++)
			if (l->ev[i].ev.kind == TRACE_ALLOC &&
			    l->ev[i].ev.category == TRACE_CAT_COMPUTE && l->ev[i].label &&
			    strcmp(l->ev[i].label, label) == 0)
				return 1;
	}
	return 0;
}

static unsigned cat_flag(int cat)
{
	switch (cat) {
	case TRACE_CAT_WEIGHTS: return DF_W;
	case TRACE_CAT_KV: return DF_KV;
	case TRACE_CAT_COMPUTE: return DF_C;
	case TRACE_CAT_OUTPUT: return DF_OUT;
	default: return 0;
	}
}

static int cat_phase(int cat)
{
	switch (cat) {
	case TRACE_CAT_WEIGHTS: return PH_WEIGHTS;
	case TRACE_CAT_COMPUTE: return PH_COMPUTE;
	default: return PH_CTX;
	}
}

/* Record one actual allocation (a buffer line or an Ollama new-engine
 * line) in the right load. */
static void add_buffer(struct ll *p, int dev, int cat, uint64_t bytes, const char *name,
		       const char *label)
{
	struct ll_load *l = cur(p);
	if (buffer_repeats(l, dev, cat, label))
		l = split(p);
	if (strstr(name, "_Split")) {
		/* -sm row: one buffer spread over the GPUs; the log does not
		 * say how, so it is recorded on device 0 (formats.md §4.1 C). */
		dev = 0;
		l->row_split = 1;
		add_note(l, "row split (CUDA_Split) was used: its weights are spread over the "
			    "GPUs in an unknown per-device split and are recorded on device 0");
	}
	add_ev(p, l, TRACE_ALLOC, dev, cat, bytes, label);
	if (dev >= 0)
		l->dev[dev] |= (unsigned char)cat_flag(cat);
	else
		l->host |= cat_flag(cat);
	if (cat_phase(cat) > l->phase)
		l->phase = cat_phase(cat);
}

/*
 * "<func>: <NAME> [model|KV|compute|output|RS|...] buffer size = <f> MiB".
 * The words before "buffer size" are walked backwards to the __func__
 * token (the last one ending in ':').
 */
static int on_buffer(struct ll *p, char *s, char **cause)
{
	char *bs = strstr(s, "buffer size");
	if (!bs)
		return 1;
	const char *q = skip_sp(bs + 11);
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
	copy_span(name, sizeof(name), nm, nm + wl[n_words - 1]);
	for (const char *c = name; *c; c++)
		if (!is_word_char((unsigned char)*c))
			return 1;
	if (n_words > 1)
		copy_span(kind, sizeof(kind), w[n_words - 2], w[0] + wl[0]);
	if (func >= 0)
		copy_span(fn, sizeof(fn), w[func], w[func] + wl[func]);

	uint64_t bytes;
	if (parse_mib(q + 1, &bytes, NULL))
		return bad_size(p, cause, "buffer size =");
	int dev = check_dev(p, dev_from_name(name));
	if (dev == -2)
		return 0;
	int cat = buffer_cat(kind, fn);
	char label[128];
	if (strstr(name, "_Split"))
		snprintf(label, sizeof(label), "%s", name);
	else
		snprintf(label, sizeof(label), "%s %s", name,
			 *kind ? kind : cat == TRACE_CAT_WEIGHTS ? "model" : "buffer");
	add_buffer(p, dev, cat, bytes, name, label);
	return 0;
}

/* ----------------------------------------------------------- OOM lines */

/* The last event of the last load, if it is the OOM of a recent line. */
static struct trace_event *recent_oom(struct ll *p, size_t within)
{
	if (!p->n_loads || !p->oom_line || p->lineno - p->oom_line > within)
		return NULL;
	struct ll_load *l = p->loads[p->n_loads - 1];
	if (!l->n_ev || l->ev[l->n_ev - 1].ev.kind != TRACE_OOM)
		return NULL;
	return &l->ev[l->n_ev - 1].ev;
}

static void add_oom(struct ll *p, int dev, int cat, uint64_t bytes)
{
	struct ll_load *l = cur(p);
	/* An allocation that fails on a device whose compute buffer this load
	 * already has is the next load's (ik_llama PR #235: a run per -ub). */
	if (dev >= 0 && ((l->dev[dev] & DF_C) || l->phase >= PH_BREAKDOWN))
		l = split(p);
	struct trace_event *ev = add_ev(p, l, TRACE_OOM, dev, cat, bytes, NULL);
	ev->result = LL_OOM_RESULT;
	l->ended = 1;
	p->oom_line = p->lineno;
}

/* "allocating %.2f MiB on device %d: cudaMalloc failed: out of memory" */
static int on_cuda_oom(struct ll *p, char *s, char **cause)
{
	char *a = strstr(s, "allocating ");
	char *on = a ? strstr(a, " on device ") : NULL;
	if (!on || !strstr(on, "out of memory"))
		return 1;
	uint64_t bytes, d;
	const char *e;
	if (parse_mib(a + 11, &bytes, &e) || skip_sp(e) != skip_sp(on))
		return bad_size(p, cause, "allocating");
	if (parse_u64(on + 11, &d, NULL))
		return util_err(cause, UTIL_EINPUT, "%s:%zu: expected a device number after 'on device'",
				p->ctx->path, p->lineno);
	if (d >= LL_MAX_DEV) {
		check_dev(p, -2);
		return 0;
	}
	add_oom(p, (int)d, strstr(s, "compute") ? TRACE_CAT_COMPUTE : TRACE_CAT_OTHER, bytes);
	return 0;
}

/* ggml-alloc: "failed to allocate CUDA0 buffer of size 2434793472". Right
 * after the cudaMalloc line it names the same failure, for a compute
 * graph; alone it is the OOM itself. */
static int on_gallocr_oom(struct ll *p, char *s)
{
	char *f = strstr(s, "failed to allocate ");
	char *of = f ? strstr(f, " buffer of size ") : NULL;
	if (!of)
		return 1;
	char name[48];
	const char *nb = f + 19;
	if (of <= nb || (size_t)(of - nb) >= sizeof(name))
		return 1;
	copy_span(name, sizeof(name), nb, of);
	uint64_t bytes;
	if (parse_u64(of + 16, &bytes, NULL))
		return 1;
	int dev = check_dev(p, dev_from_name(name));
	if (dev == -2)
		return 0;
	struct trace_event *prev = recent_oom(p, 3);
	if (prev && prev->device == dev &&
	    (prev->size > bytes ? prev->size - bytes : bytes - prev->size) <= 1048576) {
		prev->category = TRACE_CAT_COMPUTE;
		return 0;
	}
	add_oom(p, dev, TRACE_CAT_COMPUTE, bytes);
	return 0;
}

/* Lines after an OOM that say what was being allocated. */
static int on_oom_context(struct ll *p, const char *s)
{
	int cat = -1;
	if (strstr(s, "failed to allocate compute"))
		cat = TRACE_CAT_COMPUTE;
	else if (strstr(s, "failed to allocate buffer for kv cache"))
		cat = TRACE_CAT_KV;
	else if (strstr(s, "unable to allocate") && strstr(s, "buffer"))
		cat = TRACE_CAT_WEIGHTS;
	if (cat < 0)
		return 1;
	struct trace_event *prev = recent_oom(p, 3);
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
	copy_span(b, sizeof(b), t, e);
	set_kv(l, key, b);
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
	return b < w && parse_int(b, &v, NULL) == 0 ? v : -1;
}

/*
 * "KV self size  = 656.25 MiB, K (f16): 328.12 MiB, V (f16): 328.12 MiB",
 * ik_llama's "KV self size = 2196.00 MiB, c^KV (f16): 2196.00 MiB", and
 * the newer "size = 1024.00 MiB ( 8192 cells, 32 layers, 1/1 seqs), K
 * (f16): ...". A model with two caches (SWA) prints two such lines: they
 * add up.
 */
static int on_kv_total(struct ll *p, char *s, char **cause)
{
	const char *k = strstr(s, "KV self size");
	const char *eq;
	if (k) {
		eq = skip_sp(k + 12);
	} else {
		k = strstr(s, "size = ");
		if (!k || !strstr(k, " cells,"))
			return 1;
		eq = k + 5;
	}
	if (*eq != '=')
		return 1;
	uint64_t bytes;
	if (parse_mib(eq + 1, &bytes, NULL))
		return bad_size(p, cause, "size =");
	struct ll_load *l = cur(p);
	l->kv_mib += (double)bytes / UTIL_MIB;
	l->kv_lines++;
	char b[32];
	snprintf(b, sizeof(b), "%.2f", l->kv_mib);
	set_kv(l, SK(KV_SELF_MIB), b);
	kv_type(l, s, ", K (", SK(TYPE_K));
	kv_type(l, s, ", V (", SK(TYPE_V));
	if (strstr(s, "c^KV (")) {
		kv_type(l, s, "c^KV (", SK(TYPE_K));
		p->engine |= ENG_IK;
	}
	long cells = num_before(s, " cells"), layers = num_before(s, " layers");
	if (cells >= 0)
		set_int(l, SK(KV_CELLS), cells);
	if (layers >= 0)
		set_int(l, SK(KV_LAYERS), layers);
	return 0;
}

/* ------------------------------------- llama.cpp: offload and devices */

static int on_offload(struct ll *p, const char *s)
{
	const char *o;
	uint64_t a, b;
	const char *e;
	if ((o = strstr(s, "offloading ")) && strstr(o, " repeating layers to GPU") &&
	    parse_u64(o + 11, &a, &e) == 0 && strncmp(e, " repeating", 10) == 0) {
		set_u64(mark(p, MK_OFFLOADING, M_REPEAT), SK(REPEATING_LAYERS_OFFLOADED), a);
		return 0;
	}
	if (strstr(s, "offloading non-repeating layers to GPU") ||
	    strstr(s, "offloading output layer to GPU")) {
		set_kv(cur(p), SK(OUTPUT_OFFLOADED), "1");
		return 0;
	}
	if (strstr(s, "offloading output layer to CPU")) {
		set_kv(cur(p), SK(OUTPUT_OFFLOADED), "0");
		return 0;
	}
	if ((o = strstr(s, "offloaded ")) && strstr(o, " layers to GPU") &&
	    parse_u64(o + 10, &a, &e) == 0 && *e == '/' && parse_u64(e + 1, &b, &e) == 0) {
		struct ll_load *l = cur(p);
		set_u64(l, SK(N_GPU_LAYERS_OFFLOADED), a);
		set_u64(l, SK(N_LAYER_TOTAL), b);
		return 0;
	}
	return 1;
}

/* "load_tensors: layer  12 assigned to device CUDA1, is_swa = 0" (-v):
 * the layers each device holds, for the weights events' layer range. */
static int on_layer_assigned(struct ll *p, const char *s)
{
	const char *a = strstr(s, " assigned to device ");
	const char *ly = strstr(s, "layer ");
	if (!a || !ly || ly > a)
		return 1;
	uint64_t layer;
	if (parse_u64(skip_sp(ly + 6), &layer, NULL) || layer > 100000)
		return 1;
	char name[48];
	const char *nb = a + 20, *ne = nb;
	while (is_word_char((unsigned char)*ne))
		ne++;
	if (ne == nb || (size_t)(ne - nb) >= sizeof(name))
		return 1;
	copy_span(name, sizeof(name), nb, ne);
	int dev = check_dev(p, dev_from_name(name));
	if (dev < 0)
		return 0;
	struct ll_load *l = cur(p);
	if (l->has_buf)
		l = mark(p, MK_OTHER, M_BUF);
	if (l->lay_lo[dev] < 0 || (int)layer < l->lay_lo[dev])
		l->lay_lo[dev] = (int)layer;
	if ((int)layer > l->lay_hi[dev])
		l->lay_hi[dev] = (int)layer;
	use_dev(l, dev);
	return 0;
}

/* "ggml_cuda_init: found 15 CUDA devices:" and "  Device 0: NVIDIA
 * GeForce RTX 3090, compute capability 8.6, VMM: yes" (ROCm prints
 * "Device 0: AMD Radeon Graphics, gfx1151 (0x1151), VMM: no"). */
static int on_devices(struct ll *p, const char *s)
{
	const char *f = strstr(s, "ggml_cuda_init: found ");
	uint64_t n;
	if (f && parse_u64(f + 22, &n, NULL) == 0) {
		struct ll_load *l = mark(p, MK_CUDA_INIT, M_BUF);
		if (n < LL_MAX_DEV)
			l->n_found = p->n_found = (int)n;
		set_u64(l, SK(GPU_DEVICES_FOUND), n);
		return 0;
	}
	const char *d = strstr(s, "Device ");
	const char *e;
	if (d && (strstr(s, "compute capability") || strstr(s, "VMM:")) &&
	    parse_u64(d + 7, &n, &e) == 0 && e[0] == ':' && e[1] == ' ') {
		const char *c = strchr(e + 2, ',');
		if (!c || n >= LL_MAX_DEV)
			return 0;
		char name[96];
		copy_span(name, sizeof(name), e + 2, c);
		dev_name(p, (int)n, name);
		/* newer builds end the line with ", ID: GPU-<uuid>" */
		const char *id = strstr(c, ", ID: GPU-");
		if (id) {
			const char *ie = id + 6;
			while (*ie && *ie != ',' && *ie != ' ')
				ie++;
			copy_span(p->dev[n].uuid, sizeof(p->dev[n].uuid), id + 6, ie);
			if ((int)n >= p->n_inv)
				p->n_inv = (int)n + 1;
		}
		use_dev(cur(p), (int)n);
		return 0;
	}
	/* "llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce
	 * RTX 4090) - 23500 MiB free" */
	const char *u = strstr(s, "using device ");
	if (u) {
		char name[48];
		const char *nb = u + 13, *ne = nb;
		while (is_word_char((unsigned char)*ne))
			ne++;
		if (ne == nb || (size_t)(ne - nb) >= sizeof(name) || ne[0] != ' ' || ne[1] != '(')
			return 1;
		copy_span(name, sizeof(name), nb, ne);
		int dev = dev_from_name(name);
		const char *close = strchr(ne + 2, ')');
		if (dev < 0 || !close)
			return 1;
		char desc[96];
		copy_span(desc, sizeof(desc), ne + 2, close);
		dev_name(p, dev, desc);
		use_dev(mark(p, MK_OTHER, M_BUF), dev);
		return 0;
	}
	return 1;
}

/* -------------------------------- llama.cpp: memory breakdown (#15860) */

/* The numbers of a breakdown row: digits, spaces and "=+()|" only. */
static int breakdown_numbers(const char *s, uint64_t *v, int max, int *n)
{
	*n = 0;
	for (const char *c = s; *c;) {
		if (isdigit((unsigned char)*c)) {
			if (*n == max || parse_u64(c, &v[*n], &c))
				return -1;
			(*n)++;
		} else if (strchr(" \t=+()|\r", *c)) {
			c++;
		} else {
			return -1;
		}
	}
	return 0;
}

/* One breakdown column as an allocation, unless buffer lines of this load
 * already gave it (they are more precise). */
static void breakdown_alloc(struct ll *p, struct ll_load *l, int dev, int cat, uint64_t mib,
			    const char *name, const char *col)
{
	unsigned have = dev >= 0 ? l->dev[dev] : l->host;
	if (mib == 0 || mib > (uint64_t)LL_MAX_MIB || (have & cat_flag(cat)))
		return;
	char label[96];
	snprintf(label, sizeof(label), "%s %s (breakdown)", name, col);
	add_ev(p, l, TRACE_ALLOC, dev, cat, mib * 1048576, label);
}

/* One parsed breakdown row (MiB; has_* say which columns the row has). */
struct bd_row {
	char name[48];
	char desc[96];
	int has_total, has_free;
	uint64_t total, free_, self, model, context, compute, unacc;
};

/*
 * "- CUDA0 (RTX 4090): 24080 = 9436 + (14193 = 13169 + 38 + 985) + 451"
 * (total = free + (self = model + context + compute) + unaccounted);
 * host rows "- CPU (EPYC 7742): 515628  72 = 0 + 57 + 15" or
 * "| - Host | 78362 = 78278 + 0 + 84 |". Returns 1 if s is not a row.
 */
static int bd_parse(struct ll *p, const char *s, struct bd_row *r, char **cause)
{
	const char *dash = strstr(s, " - ");
	if (!dash)
		return 1;
	const char *nb = dash + 3, *ne = nb;
	while (is_word_char((unsigned char)*ne))
		ne++;
	if (ne == nb || (size_t)(ne - nb) >= sizeof(r->name))
		return 1;
	copy_span(r->name, sizeof(r->name), nb, ne);
	r->desc[0] = '\0';
	const char *c = skip_sp(ne);
	if (*c == '(') {
		const char *close = strchr(c, ')');
		if (!close)
			return 1;
		copy_span(r->desc, sizeof(r->desc), c + 1, close);
		c = close + 1;
	}
	c = skip_sp(c);
	if (*c != ':' && *c != '|')
		return 1;
	uint64_t v[8];
	int n, paren = strchr(c, '(') != NULL;
	if (breakdown_numbers(c + 1, v, 8, &n) || (paren ? n != 7 : n != 4 && n != 5))
		return util_err(cause, UTIL_EINPUT,
				"%s:%zu: expected 'total = free + (self = model + context + compute) "
				"+ unaccounted' in MiB in the memory breakdown row of %s",
				p->ctx->path, p->lineno, r->name);
	for (int i = 0; i < n; i++)
		if (v[i] > (uint64_t)LL_MAX_MIB)
			v[i] = UINT64_MAX; /* wrapped below zero: see bd_sane() */
	const uint64_t *w = v;
	r->has_total = paren || n == 5;
	r->has_free = paren;
	r->total = r->has_total ? *w++ : 0;
	r->free_ = r->has_free ? *w++ : 0;
	r->self = *w++;
	r->model = w[0];
	r->context = w[1];
	r->compute = w[2];
	r->unacc = paren ? w[3] : 0;
	return 0;
}

/* The columns must add up; when they do not, "unaccounted" was computed
 * from a bad free figure and wrapped around below zero (printed as
 * 17592186xxxxxx MiB, formats.md §4.3). */
static int bd_sane(const struct bd_row *r)
{
	return r->total != UINT64_MAX && r->free_ != UINT64_MAX && r->unacc != UINT64_MAX &&
	       r->self != UINT64_MAX && r->free_ <= r->total && r->self <= r->total - r->free_ &&
	       r->unacc <= r->total;
}

/* A GPU row's driver-level columns: unaccounted (the CUDA context) and a
 * used/total snapshot, when the row adds up. */
static void bd_gpu(struct ll *p, struct ll_load *l, int dev, const struct bd_row *r)
{
	if (!bd_sane(r)) {
		if (!p->warned_wrap) {
			p->warned_wrap = 1;
			imp_warn(p->ctx, "line %zu: memory breakdown of %s does not add up "
				 "(unaccounted %s): its free and unaccounted columns are ignored",
				 p->lineno, r->name,
				 r->unacc == UINT64_MAX || r->unacc > r->total
				 ? "wrapped around below zero" : "inconsistent");
		}
		return;
	}
	char label[96];
	snprintf(label, sizeof(label), "%s unaccounted (breakdown)", r->name);
	if (r->unacc)
		add_ev(p, l, TRACE_ALLOC, dev, TRACE_CAT_CONTEXT, r->unacc * 1048576, label);
	struct trace_event *snap = add_ev(p, l, TRACE_SNAPSHOT, dev, TRACE_CAT_OTHER,
					  (r->total - r->free_) * 1048576, NULL);
	snap->aux = r->total * 1048576;
}

static int on_breakdown(struct ll *p, const char *s, char **cause)
{
	if (!strstr(s, "memory_breakdown"))
		return 1;
	if (strstr(s, "memory breakdown")) { /* the table's header */
		mark(p, MK_BREAKDOWN, M_ONCE);
		return 0;
	}
	struct bd_row r;
	int rc = bd_parse(p, s, &r, cause);
	if (rc)
		return rc;
	int dev = check_dev(p, dev_from_name(r.name));
	if (dev == -2)
		return 0;
	struct ll_load *l = cur(p);
	if ((dev >= 0 && (l->dev[dev] & DF_BD)) || (dev < 0 && l->breakdown_host))
		l = split(p); /* a second table without a header line */
	l->markers |= MK_BREAKDOWN;
	l->phase = PH_BREAKDOWN;
	breakdown_alloc(p, l, dev, TRACE_CAT_WEIGHTS, r.model, r.name, "model");
	breakdown_alloc(p, l, dev, TRACE_CAT_KV, r.context, r.name, "context");
	breakdown_alloc(p, l, dev, TRACE_CAT_COMPUTE, r.compute, r.name, "compute");
	if (dev < 0) {
		l->breakdown_host = 1;
		return 0;
	}
	l->dev[dev] |= DF_BD | DF_USED;
	l->has_buf = 1;
	if (r.desc[0])
		dev_name(p, dev, r.desc);
	if (r.has_total && r.total != UINT64_MAX && r.total > 0)
		p->dev[dev].total = r.total * 1048576;
	if (r.has_free)
		bd_gpu(p, l, dev, &r);
	return 0;
}

/* ------------------------------------- llama.cpp: --fit projection */

/* "<num> word" anywhere after s: the number before " used," etc. */
static int num_tagged(const char *s, const char *tag, uint64_t *v)
{
	const char *t = strstr(s, tag);
	if (!t)
		return -1;
	const char *b = t;
	while (b > s && isdigit((unsigned char)b[-1]))
		b--;
	return b < t ? parse_u64(b, v, NULL) : -1;
}

/*
 * "llama_params_fit_impl:   - CUDA0 (NVIDIA GeForce RTX 3090):  24117
 * total,  20903 used,   2870 free vs. target of   1024" and "projected to
 * use 81940 MiB of device memory vs. 95309 MiB of free device memory".
 */
static int on_fit(struct ll *p, const char *s)
{
	if (!strstr(s, "params_fit"))
		return 1;
	const char *pr = strstr(s, "projected to use ");
	if (pr) {
		uint64_t used, freem;
		const char *e;
		const char *vs = strstr(pr, " vs. ");
		if (parse_mib(pr + 17, &used, &e) || !vs || parse_mib(vs + 5, &freem, NULL))
			return 0;
		struct ll_load *l = cur(p);
		add_est(l, "llama-fit", TRACE_DEV_HOST, "projected", used);
		add_est(l, "llama-fit", TRACE_DEV_HOST, "free_total", freem);
		return 0;
	}
	if (strstr(s, "projected memory use")) {
		mark(p, MK_FIT, M_ONCE);
		return 0;
	}
	const char *r = strstr(s, " - ");
	if (!r)
		return 1;
	const char *nb = r + 3, *ne = nb;
	while (is_word_char((unsigned char)*ne))
		ne++;
	char name[48];
	if (ne == nb || (size_t)(ne - nb) >= sizeof(name))
		return 1;
	copy_span(name, sizeof(name), nb, ne);
	int dev = dev_from_name(name);
	if (dev < 0)
		return 1;
	const char *c = skip_sp(ne);
	if (*c == '(') {
		const char *close = strchr(c, ')');
		if (close) {
			char desc[96];
			copy_span(desc, sizeof(desc), c + 1, close);
			dev_name(p, dev, desc);
		}
	}
	struct ll_load *l = cur(p);
	if (l->dev[dev] & DF_FIT)
		l = split(p);
	l->dev[dev] |= DF_FIT | DF_USED;
	l->markers |= MK_FIT;
	static const struct { const char *tag, *key; } cols[] = {
		{ " total", "total" }, { " used", "used" }, { " free", "free" },
	};
	uint64_t v;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cols); i++)
		if (num_tagged(c, cols[i].tag, &v) == 0 && v <= (uint64_t)LL_MAX_MIB) {
			add_est(l, "llama-fit", dev, cols[i].key, v * 1048576);
			if (strcmp(cols[i].key, "total") == 0 && !p->dev[dev].total)
				p->dev[dev].total = v * 1048576;
		}
	const char *t = strstr(c, "target of ");
	if (t && parse_u64(skip_sp(t + 10), &v, NULL) == 0 && v <= (uint64_t)LL_MAX_MIB)
		add_est(l, "llama-fit", dev, "target", v * 1048576);
	return 0;
}

/* ---------------------------------- llama.cpp: settings and metadata */

static int fa_value(const char *v)
{
	static const char *const on[] = { "1", "on", "enabled", "true" };
	static const char *const off[] = { "0", "off", "disabled", "false" };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(on); i++)
		if (strcmp(v, on[i]) == 0)
			return 1;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(off); i++)
		if (strcmp(v, off[i]) == 0)
			return 0;
	return -1;
}

static void set_fa(struct ll_load *l, const char *v)
{
	int fa = fa_value(v);
	if (fa >= 0)
		set_int(l, SK(FLASH_ATTN), fa);
	else if (strcmp(v, "auto") == 0)
		set_kv(l, SK(FLASH_ATTN_REQUESTED), "auto");
}

enum { V_INT, V_STR, V_SIZE, V_FA };

/* "func: key = value" keys kept as settings. */
static const struct { const char *key, *setting; int type; int meta; } kv_keys[] = {
	{ "n_ctx", SK(N_CTX), V_INT, 0 },
	{ "n_ctx_per_seq", SK(N_CTX_PER_SEQ), V_INT, 0 },
	{ "n_ctx_seq", SK(N_CTX_PER_SEQ), V_INT, 0 },
	{ "n_batch", SK(N_BATCH), V_INT, 0 },
	{ "n_ubatch", SK(N_UBATCH), V_INT, 0 },
	{ "n_seq_max", SK(N_SEQ_MAX), V_INT, 0 },
	{ "flash_attn", SK(FLASH_ATTN), V_FA, 0 },
	{ "mla_attn", SK(MLA_ATTN), V_INT, 0 },
	{ "fused_moe", SK(FUSED_MOE), V_INT, 0 },
	{ "causal_attn", SK(CAUSAL_ATTN), V_INT, 0 },
	{ "kv_unified", SK(KV_UNIFIED), V_STR, 0 },
	{ "arch", SK(META_ARCH), V_STR, 1 },
	{ "general.name", SK(META_NAME), V_STR, 1 },
	{ "n_layer", SK(META_N_LAYER), V_INT, 1 },
	{ "n_embd", SK(META_N_EMBD), V_INT, 1 },
	{ "n_head", SK(META_N_HEAD), V_INT, 1 },
	{ "n_head_kv", SK(META_N_HEAD_KV), V_INT, 1 },
	{ "n_vocab", SK(META_N_VOCAB), V_INT, 1 },
	{ "vocab_size", SK(META_N_VOCAB), V_INT, 1 },
	{ "n_ctx_train", SK(META_N_CTX_TRAIN), V_INT, 1 },
	{ "n_expert", SK(META_N_EXPERT), V_INT, 1 },
	{ "n_expert_used", SK(META_N_EXPERT_USED), V_INT, 1 },
	{ "n_embd_head_k", SK(META_N_EMBD_HEAD_K), V_INT, 1 },
	{ "n_embd_head_v", SK(META_N_EMBD_HEAD_V), V_INT, 1 },
	{ "n_ff", SK(META_N_FF), V_INT, 1 },
	{ "model type", SK(META_MODEL_TYPE), V_STR, 1 },
	{ "model ftype", SK(META_FTYPE), V_STR, 1 },
	{ "file type", SK(META_FTYPE), V_STR, 1 },
	{ "model size", SK(META_FILE_SIZE), V_SIZE, 1 },
	{ "file size", SK(META_FILE_SIZE), V_SIZE, 1 },
};

static void kv_setting(struct ll *p, int i, const char *val)
{
	struct ll_load *l;
	long n;
	const char *e;
	uint64_t bytes;
	if (kv_keys[i].meta) {
		/* model metadata comes before the buffers of its load */
		l = cur(p);
		if (l->has_buf)
			l = mark(p, MK_OTHER, M_BUF);
	} else {
		l = cur(p);
	}
	switch (kv_keys[i].type) {
	case V_INT:
		if (parse_int(val, &n, &e) == 0 && (*e == '\0' || *e == ',' || *e == ' ')) {
			set_int(l, kv_keys[i].setting, n);
			if (strcmp(kv_keys[i].key, "n_seq_max") == 0)
				set_int(l, SK(PARALLEL), n);
		}
		break;
	case V_STR:
		set_kv(l, kv_keys[i].setting, val);
		break;
	case V_SIZE:
		if (parse_human(val, &bytes, NULL) == 0)
			set_u64(l, kv_keys[i].setting, bytes);
		break;
	case V_FA:
		set_fa(l, val);
		break;
	}
	if (strcmp(kv_keys[i].key, "mla_attn") == 0 || strcmp(kv_keys[i].key, "fused_moe") == 0)
		p->engine |= ENG_IK;
}

/* "<func>: <key> = <value>", key one or two words ("model size"). */
static int on_key_value(struct ll *p, char *s)
{
	char *eq = strstr(s, " = ");
	if (!eq)
		return 1;
	const char *e = eq;
	while (e > s && e[-1] == ' ')
		e--;
	const char *kb = e;
	while (kb > s && kb[-1] != ' ')
		kb--;
	if (kb == e)
		return 1;
	const char *pb = kb; /* word before the key */
	while (pb > s && pb[-1] == ' ')
		pb--;
	if (pb == s)
		return 1;
	if (pb[-1] != ':') { /* two-word key */
		const char *k2 = pb;
		while (k2 > s && k2[-1] != ' ')
			k2--;
		kb = k2;
		pb = k2;
		while (pb > s && pb[-1] == ' ')
			pb--;
		if (pb == s || pb[-1] != ':')
			return 1;
	}
	char key[48];
	if ((size_t)(e - kb) >= sizeof(key))
		return 1;
	copy_span(key, sizeof(key), kb, e);
	char *v = (char *)skip_sp(eq + 3);
	size_t vl = strlen(v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
		v[--vl] = '\0';
	const char *fb = pb; /* the __func__ word */
	while (fb > s && fb[-1] != ' ')
		fb--;
	const char *pm = strstr(fb, "print_meta");
	int meta_func = strncmp(fb, "print_info", 10) == 0 || (pm && pm < pb);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(kv_keys); i++) {
		if (strcmp(kv_keys[i].key, key) == 0 && kv_keys[i].meta == meta_func) {
			kv_setting(p, (int)i, v);
			return 0;
		}
	}
	return 1;
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
	copy_span(b, sizeof(b), t, e);
	set_kv(l, key, b);
}

/* Lines with their own shape: pipeline copies, graph sizes, the KV init
 * summary, flash attention decided at load time. */
static int on_misc(struct ll *p, const char *s)
{
	const char *t;
	uint64_t v;
	if ((t = strstr(s, "(n_copies=")) && parse_u64(t + 10, &v, NULL) == 0) {
		set_u64(cur(p), SK(N_COPIES), v);
		return 0;
	}
	if ((t = strstr(s, "graph nodes")) || (t = strstr(s, "graph splits"))) {
		const char *eq = strchr(t, '=');
		if (eq && parse_u64(skip_sp(eq + 1), &v, NULL) == 0)
			set_u64(cur(p), t[6] == 'n' ? SK(GRAPH_NODES) : SK(GRAPH_SPLITS), v);
		return 0;
	}
	if ((t = strstr(s, "Flash Attention was auto, set to "))) {
		int fa = fa_value(t + 33);
		if (fa >= 0)
			set_int(cur(p), SK(FLASH_ATTN), fa);
		return 0;
	}
	if (strstr(s, "llama_model_loader: loaded meta data")) {
		mark(p, MK_LOADER, M_BUF);
		return 0;
	}
	/* llama_kv_cache_init: kv_size = 8192, offload = 1, type_k = 'f16', ... */
	if (strstr(s, "type_k = '")) {
		struct ll_load *l = cur(p);
		quoted_setting(l, s, "type_k = '", SK(TYPE_K));
		quoted_setting(l, s, "type_v = '", SK(TYPE_V));
		const char *ks = strstr(s, "kv_size = ");
		if (ks && parse_u64(ks + 10, &v, NULL) == 0)
			set_u64(l, SK(KV_CELLS), v);
		return 0;
	}
	/* mllama (vision projector) */
	if ((t = strstr(s, "mllama_model_load: model name:"))) {
		set_kv(cur(p), SK(MMPROJ_NAME), skip_sp(t + 30));
		return 0;
	}
	return 1;
}

/* ------------------------------------------------- command lines */

/* Flags of llama-server (also what Ollama passes to its runner). */
static const struct { const char *lng, *shrt, *key; int type; } flags[] = {
	{ "--ctx-size", "-c", SK(CTX_SIZE), V_INT },
	{ "--batch-size", "-b", SK(N_BATCH), V_INT },
	{ "--ubatch-size", "-ub", SK(N_UBATCH), V_INT },
	{ "--n-gpu-layers", "-ngl", SK(N_GPU_LAYERS), V_INT },
	{ "--gpu-layers", "-ngl", SK(N_GPU_LAYERS), V_INT },
	{ "--tensor-split", "-ts", SK(TENSOR_SPLIT), V_STR },
	{ "--parallel", "-np", SK(PARALLEL), V_INT },
	{ "--flash-attn", "-fa", SK(FLASH_ATTN), V_FA },
	{ "--main-gpu", "-mg", SK(MAIN_GPU), V_INT },
	{ "--cache-type-k", "-ctk", SK(TYPE_K), V_STR },
	{ "--cache-type-v", "-ctv", SK(TYPE_V), V_STR },
	{ "--split-mode", "-sm", SK(SPLIT_MODE), V_STR },
	{ "--model", "-m", SK(MODEL), V_SIZE /* basename */ },
	{ "--mmproj", NULL, SK(MMPROJ), V_SIZE /* basename */ },
	{ "--fit", NULL, SK(FIT), V_STR },
};

/* Parse the flags in the space-separated argument string args. */
static void parse_args(struct ll_load *l, const char *args)
{
	char *buf = util_xstrdup(args);
	char *tok[512];
	int nt = 0;
	char *sv = NULL;
	for (char *t = strtok_r(buf, " \t", &sv); t && nt < 512; t = strtok_r(NULL, " \t", &sv))
		tok[nt++] = t;
	for (int i = 0; i < nt; i++) {
		char *val = NULL;
		char *eq = strchr(tok[i], '=');
		if (tok[i][0] == '-' && tok[i][1] == '-' && eq) { /* --flag=value */
			*eq = '\0';
			val = eq + 1;
		}
		for (size_t f = 0; f < UTIL_ARRAY_SIZE(flags); f++) {
			if (strcmp(tok[i], flags[f].lng) != 0 &&
			    !(flags[f].shrt && strcmp(tok[i], flags[f].shrt) == 0))
				continue;
			if (!val && i + 1 < nt && (tok[i + 1][0] != '-' || isdigit((unsigned char)tok[i + 1][1])))
				val = tok[++i];
			long n;
			const char *e;
			if (flags[f].type == V_FA) {
				/* a bare --flash-attn (Ollama's runner) means on */
				set_fa(l, val ? val : "on");
			} else if (!val) {
				break;
			} else if (flags[f].type == V_INT) {
				if (parse_int(val, &n, &e) == 0 && !*e)
					set_int(l, flags[f].key, n);
			} else if (flags[f].type == V_SIZE) {
				set_kv(l, flags[f].key, path_base(val));
			} else {
				set_kv(l, flags[f].key, val);
			}
			break;
		}
	}
	free(buf);
}

/* A llama.cpp command line in the log: "./build/bin/llama-server -m ...". */
static int on_cmdline(struct ll *p, const char *s)
{
	const char *t = s;
	while (*t) {
		t = skip_sp(t);
		const char *e = t;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		char word[256];
		if (e > t && (size_t)(e - t) < sizeof(word)) {
			copy_span(word, sizeof(word), t, e);
			const char *b = path_base(word);
			if ((strncmp(b, "llama-server", 12) == 0 || strncmp(b, "llama-cli", 9) == 0) &&
			    *skip_sp(e) == '-') {
				parse_args(mark(p, MK_START, M_REPEAT), e);
				return 0;
			}
		}
		t = e;
	}
	return 1;
}

/* ---------------------------------------------------- Ollama (slog) */

struct slog {
	char *key[64];
	char *val[64];
	int n;
};

/*
 * Split "time=… level=INFO source=x.go:1 msg=\"…\" k=v k=\"v w\"" in place
 * (Go slog text handler: values with spaces are quoted with Go escapes).
 */
static int slog_parse(char *s, struct slog *g)
{
	char *t = strstr(s, "time=");
	char *lv = strstr(s, "level=");
	if (!lv || !strstr(lv, "msg="))
		return -1;
	char *c = t && t < lv ? t : lv;
	g->n = 0;
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
		if (*c != '=')
			break;
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

static const char *slog_get(const struct slog *g, const char *key)
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
	if (parse_human(v, bytes, &e) || *skip_sp(e))
		return util_err(cause, UTIL_EINPUT,
				"%s:%zu: expected a size like \"1.5 GiB\" for %s, got \"%s\"",
				p->ctx->path, p->lineno, key, v);
	return 0;
}

/* "[22.0 GiB 22.0 GiB]" -> per-device estimates under key. A bare size is
 * an estimate for the whole machine. */
static int ollama_list(struct ll *p, struct ll_load *l, const char *okey, const char *v,
		       const char *key, char **cause)
{
	const char *c = skip_sp(v);
	uint64_t b;
	if (*c != '[') {
		if (ollama_size(p, okey, c, &b, cause))
			return UTIL_EINPUT;
		add_est(l, "ollama", TRACE_DEV_HOST, key, b);
		return 0;
	}
	c++;
	for (int i = 0;; i++) {
		c = skip_sp(c);
		if (*c == ']' || !*c)
			break;
		if (i >= LL_MAX_DEV || parse_human(c, &b, &c))
			return util_err(cause, UTIL_EINPUT,
					"%s:%zu: expected a list of sizes like \"[1.5 GiB 2.0 GiB]\" "
					"for %s", p->ctx->path, p->lineno, okey);
		add_est(l, "ollama", i, key, b);
	}
	return 0;
}

/* The `offload` estimate line, all eras (formats.md §4.2 table). */
static int ollama_offload(struct ll *p, const struct slog *g, char **cause)
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
	struct ll_load *l = mark(p, MK_OFFLOAD_EST, M_REPEAT);
	const char *v;
	if ((v = slog_get(g, "memory.required.allocations")) &&
	    ollama_list(p, l, "memory.required.allocations", v, "allocation", cause))
		return UTIL_EINPUT;
	if ((v = slog_get(g, "memory.available")) &&
	    ollama_list(p, l, "memory.available", v, "available", cause))
		return UTIL_EINPUT;
	if ((v = slog_get(g, "available")) && ollama_list(p, l, "available", v, "available", cause))
		return UTIL_EINPUT;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(sizes); i++)
		if (have[i])
			add_est(l, "ollama", TRACE_DEV_HOST, sizes[i].key, b[i]);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(layers); i++)
		if ((v = slog_get(g, layers[i].okey)) && !get_kv(l, layers[i].key))
			set_kv(l, layers[i].key, v);
	const char *lib = slog_get(g, "library");
	const char *msg = slog_get(g, "msg");
	if (lib)
		set_kv(l, SK(OLLAMA_LIBRARY), lib);
	else if (msg && strncmp(msg, "offload to ", 11) == 0)
		set_kv(l, SK(OLLAMA_LIBRARY), msg + 11);
	return 0;
}

/* An Ollama GPU: by name "CUDA3", by a known uuid, else the next index
 * (inventory lines come in device order). */
static int ollama_gpu(struct ll *p, const char *uuid, const char *name)
{
	/* "CUDA0" names the index; "Tesla T4" does not */
	int dev = name && !strchr(name, ' ') ? dev_from_name(name) : TRACE_DEV_HOST;
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
static int ollama_inventory(struct ll *p, const struct slog *g)
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
	if (total && parse_human(total, &b, NULL) == 0)
		p->dev[dev].total = b;
	if (desc && *desc)
		dev_name(p, dev, desc);
	else if (name && strchr(name, ' '))
		dev_name(p, dev, name);
	use_dev(cur(p), dev);
	return 0;
}

/* msg="updated VRAM based on existing loaded models" gpu=GPU-… total=…
 * available=…: the scheduler sizing up a new load request. */
static int ollama_sched(struct ll *p, const struct slog *g)
{
	struct ll_load *l = mark(p, MK_OTHER, M_BUF);
	const char *gpu = slog_get(g, "gpu"), *total = slog_get(g, "total"),
		   *avail = slog_get(g, "available");
	uint64_t b;
	int dev = -1;
	if (gpu) {
		set_kv(l, SK(OLLAMA_SCHED_GPU), gpu);
		for (int i = 0; i < p->n_inv; i++)
			if (strcmp(p->dev[i].uuid, gpu) == 0)
				dev = i;
	}
	if (total && parse_human(total, &b, NULL) == 0) {
		set_u64(l, SK(OLLAMA_SCHED_TOTAL), b);
		if (dev >= 0) {
			p->dev[dev].total = b;
			use_dev(l, dev);
		}
	}
	if (avail && parse_human(avail, &b, NULL) == 0)
		set_u64(l, SK(OLLAMA_SCHED_AVAILABLE), b);
	return 0;
}

/* New-engine actual sizes: msg="model weights" device=CUDA0 size="4.1 GiB"
 * (also buffer=CUDA0, or backend=/buffer_type= for "compute graph"). */
static int ollama_alloc(struct ll *p, const struct slog *g, int cat, const char *msg,
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
	int dev = check_dev(p, dev_from_name(name));
	if (dev == -2 || b == 0)
		return 0;
	char label[96];
	snprintf(label, sizeof(label), "%s %s", name, msg);
	add_buffer(p, dev, cat, b, name, label);
	return 0;
}

/* msg=load request="{… GPULayers:37[ID:0 Layers:37(0..36)] …}": the
 * layers each GPU holds, and the load's knobs. */
static void ollama_load_request(struct ll *p, const char *req)
{
	struct ll_load *l = mark(p, MK_OTHER, M_BUF);
	static const struct { const char *tag, *key; } knobs[] = {
		{ "KvSize:", SK(N_CTX) }, { "BatchSize:", SK(N_BATCH) }, { "Parallel:", SK(PARALLEL) },
	};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(knobs); i++) {
		const char *t = strstr(req, knobs[i].tag);
		uint64_t v;
		if (t && parse_u64(t + strlen(knobs[i].tag), &v, NULL) == 0)
			set_u64(l, knobs[i].key, v);
	}
	const char *fa = strstr(req, "FlashAttention:");
	if (fa)
		set_fa(l, strncmp(fa + 15, "true", 4) == 0 ? "1" : "0");
	const char *kt = strstr(req, "KvCacheType:");
	if (kt && kt[12] && kt[12] != ' ') {
		char b[16];
		const char *e = kt + 12;
		while (*e && *e != ' ' && *e != '}' && e - (kt + 12) < 15)
			e++;
		copy_span(b, sizeof(b), kt + 12, e);
		set_kv(l, SK(TYPE_K), b);
		set_kv(l, SK(TYPE_V), b);
	}
	for (const char *t = strstr(req, " Layers:"); t; t = strstr(t + 1, " Layers:")) {
		uint64_t n, lo, hi;
		const char *e;
		if (parse_u64(t + 8, &n, &e) || *e != '(' || parse_u64(e + 1, &lo, &e) ||
		    strncmp(e, "..", 2) || parse_u64(e + 2, &hi, NULL) || lo > hi || hi > 100000)
			continue;
		const char *id = t; /* the "ID:x" or "UUID:x" word before */
		while (id > req && id[-1] != ' ' && id[-1] != '[')
			id--;
		char word[64];
		copy_span(word, sizeof(word), id, t);
		const char *colon = strchr(word, ':');
		if (!colon)
			continue;
		uint64_t idx;
		int dev = -1;
		const char *e2;
		if (parse_u64(colon + 1, &idx, &e2) == 0 && !*e2 && idx < LL_MAX_DEV)
			dev = (int)idx;
		else
			for (int i = 0; i < p->n_inv; i++)
				if (strcmp(p->dev[i].uuid, colon + 1) == 0)
					dev = i;
		if (dev < 0)
			continue;
		l->lay_lo[dev] = (int)lo;
		l->lay_hi[dev] = (int)hi;
		use_dev(l, dev);
	}
}

static int on_slog(struct ll *p, char *s, char **cause)
{
	struct slog g;
	if (slog_parse(s, &g))
		return 1;
	const char *msg = slog_get(&g, "msg");
	if (!msg)
		return 1;
	p->engine |= ENG_OLLAMA;
	const char *v;
	if (strcmp(msg, "offload") == 0 || strncmp(msg, "offload to ", 11) == 0)
		return ollama_offload(p, &g, cause);
	if (strcmp(msg, "starting llama server") == 0 || strcmp(msg, "starting runner") == 0) {
		struct ll_load *l = mark(p, MK_START, M_REPEAT);
		if ((v = slog_get(&g, "cmd")))
			parse_args(l, v);
		return 0;
	}
	if (strcmp(msg, "inference compute") == 0)
		return ollama_inventory(p, &g);
	if (strcmp(msg, "updated VRAM based on existing loaded models") == 0)
		return ollama_sched(p, &g);
	if (strcmp(msg, "model weights") == 0)
		return ollama_alloc(p, &g, TRACE_CAT_WEIGHTS, msg, cause);
	if (strcmp(msg, "kv cache") == 0)
		return ollama_alloc(p, &g, TRACE_CAT_KV, msg, cause);
	if (strcmp(msg, "compute graph") == 0)
		return ollama_alloc(p, &g, TRACE_CAT_COMPUTE, msg, cause);
	if (strcmp(msg, "total memory") == 0) {
		uint64_t b;
		if ((v = slog_get(&g, "size")) && parse_human(v, &b, NULL) == 0)
			set_u64(cur(p), SK(OLLAMA_TOTAL_MEMORY), b);
		return 0;
	}
	if (strcmp(msg, "enabling flash attention") == 0) {
		set_kv(cur(p), SK(FLASH_ATTN), "1");
		return 0;
	}
	if (strcmp(msg, "system memory") == 0) {
		uint64_t b;
		if ((v = slog_get(&g, "total")) && parse_human(v, &b, NULL) == 0)
			set_u64(cur(p), SK(SYSTEM_TOTAL), b);
		if ((v = slog_get(&g, "free")) && parse_human(v, &b, NULL) == 0)
			set_u64(cur(p), SK(SYSTEM_FREE), b);
		return 0;
	}
	if (strcmp(msg, "load") == 0 && (v = slog_get(&g, "request"))) {
		ollama_load_request(p, v);
		return 0;
	}
	if ((v = slog_get(&g, "architecture"))) { /* ggml.go: msg="" architecture=… */
		struct ll_load *l = cur(p);
		if (l->has_buf)
			l = mark(p, MK_OTHER, M_BUF);
		set_kv(l, SK(META_ARCH), v);
		if ((v = slog_get(&g, "file_type")) && *v)
			set_kv(l, SK(META_FTYPE), v);
		if ((v = slog_get(&g, "name")) && *v)
			set_kv(l, SK(META_NAME), v);
		return 0;
	}
	return 1;
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
static int on_ollama_table(struct ll *p, const char *s)
{
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
	if (parse_human(sz, &bytes, &e) || *e)
		return 1;
	p->engine |= ENG_OLLAMA;
	if (nt >= 5 && strchr(tok[4], '%')) {
		struct ll_load *l = cur(p);
		if (get_kv(l, SK(OLLAMA_PS_MODEL)))
			return 0; /* the first model of the table is the one kept */
		char proc[64];
		int two = nt >= 6 && (strcmp(tok[5], "CPU/GPU") == 0 || strcmp(tok[5], "GPU") == 0 ||
				      strcmp(tok[5], "CPU") == 0);
		snprintf(proc, sizeof(proc), "%s%s%s", tok[4], two ? " " : "", two ? tok[5] : "");
		set_kv(l, SK(OLLAMA_PS_MODEL), tok[0]);
		set_kv(l, SK(OLLAMA_PS_ID), tok[1]);
		set_u64(l, SK(OLLAMA_PS_SIZE), bytes);
		set_kv(l, SK(OLLAMA_PS_PROCESSOR), proc);
		snprintf(l->ps_id, sizeof(l->ps_id), "%s", tok[1]);
		return 0;
	}
	UTIL_GROW(p->list, p->n_list + 1, p->a_list);
	snprintf(p->list[p->n_list].id, sizeof(p->list[0].id), "%s", tok[1]);
	p->list[p->n_list].bytes = bytes;
	p->n_list++;
	return 0;
}

/* "| NVIDIA-SMI 550.120   Driver Version: 550.120   CUDA Version: 12.4 |" */
static int on_nvidia_smi(struct ll *p, const char *s)
{
	const char *d = strstr(s, "Driver Version: ");
	if (!strstr(s, "NVIDIA-SMI") || !d)
		return 1;
	struct ll_load *l = cur(p);
	char b[32];
	const char *e = d + 16;
	while (*e && *e != ' ')
		e++;
	copy_span(b, sizeof(b), d + 16, e);
	set_kv(l, SK(DRIVER_VERSION), b);
	const char *c = strstr(s, "CUDA Version: ");
	if (c) {
		e = c + 14;
		while (*e && *e != ' ')
			e++;
		copy_span(b, sizeof(b), c + 14, e);
		set_kv(l, SK(CUDA_VERSION), b);
	}
	return 0;
}

/* ------------------------------------------------------------- lines */

static int parse_line(struct ll *p, char *s, char **cause)
{
	if (strstr(s, "ollama[") || strstr(s, "ollama_llama_server"))
		p->engine |= ENG_OLLAMA;
	if (strstr(s, "kv^T"))
		p->engine |= ENG_IK;
	/* Matchers in turn; each returns 1 when the line is not its own. */
	int rc;
	if ((rc = on_breakdown(p, s, cause)) <= 0 || (rc = on_fit(p, s)) <= 0 ||
	    (rc = on_buffer(p, s, cause)) <= 0 || (rc = on_cuda_oom(p, s, cause)) <= 0 ||
	    (rc = on_gallocr_oom(p, s)) <= 0 || (rc = on_oom_context(p, s)) <= 0 ||
	    (rc = on_kv_total(p, s, cause)) <= 0 || (rc = on_offload(p, s)) <= 0 ||
	    (rc = on_layer_assigned(p, s)) <= 0 || (rc = on_devices(p, s)) <= 0 ||
	    (rc = on_misc(p, s)) <= 0)
		return rc;
	/* slog before key = value: a slog value may contain " = " */
	if (strstr(s, "level=") && strstr(s, "msg=")) {
		char *copy = util_xstrdup(s);
		rc = on_slog(p, copy, cause);
		free(copy);
		return rc < 0 ? rc : 0;
	}
	if ((rc = on_key_value(p, s)) <= 0 || (rc = on_cmdline(p, s)) <= 0 ||
	    (rc = on_ollama_table(p, s)) <= 0 || (rc = on_nvidia_smi(p, s)) <= 0)
		return rc;
	return 0;
}

/* Split data into lines (never reading past len: the data is mapped and
 * not NUL-terminated) and parse each. */
static int parse_all(struct ll *p, char **cause)
{
	const unsigned char *d = p->ctx->data;
	size_t len = p->ctx->len, pos = 0;
	char *line = util_xmalloc(LL_MAX_LINE + 1);
	int rc = 0;
	while (pos < len && rc == 0) {
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
		line[n] = '\0';
		/* a NUL inside a line would hide the rest of it from the matchers */
		for (size_t i = 0; i < n; i++)
			if (line[i] == '\0')
				line[i] = ' ';
		char *why = NULL;
		rc = parse_line(p, line, &why);
		if (rc == UTIL_EINPUT && p->last_partial && !p->ctx->strict) {
			/* the file stops inside its last line: keep what came before */
			imp_warn(p->ctx, "line %zu: the file ends inside this line; ignored", p->lineno);
			if (p->n_loads)
				p->loads[p->n_loads - 1]->truncated = 1;
			rc = 0;
		} else if (rc) {
			util_err(cause, rc, "%s%s", why ? why : "import failed",
				 p->last_partial ? " (the file ends inside this line: truncated)" : "");
		}
		free(why);
		pos = end + 1;
	}
	free(line);
	return rc;
}

/* -------------------------------------------------------------- output */

static int load_empty(const struct ll_load *l)
{
	if (l->n_ev || l->n_set || l->n_est || l->note)
		return 0;
	for (int i = 0; i < LL_MAX_DEV; i++)
		if (l->dev[i])
			return 0;
	return 1;
}

/* After parsing: what only the whole file tells. */
static void finish_load(struct ll *p, struct ll_load *l)
{
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
				set_u64(l, SK(OLLAMA_LIST_SIZE), p->list[i].bytes);
				break;
			}
	}
	int kv_dev = 0;
	for (int i = 0; i < LL_MAX_DEV; i++)
		kv_dev |= l->dev[i] & DF_KV;
	if (l->kv_lines && !kv_dev && !(l->host & DF_KV))
		add_note(l, "the KV cache total is logged (kv_self_mib) but not its per-device "
			    "buffers: no KV allocations recorded");
	int n_alloc = 0, n_oom = 0;
	for (size_t i = 0; i < l->n_ev; i++) {
		n_alloc += l->ev[i].ev.kind == TRACE_ALLOC;
		n_oom += l->ev[i].ev.kind == TRACE_OOM;
	}
	if (!n_alloc)
		add_note(l, n_oom ? "no buffer allocations logged for this load before its OOM"
				  : "no buffer allocations logged for this load: settings and "
				    "estimates only");
}

static const char *engine_name(unsigned e)
{
	return e & ENG_IK ? "ik_llama.cpp" : e & ENG_OLLAMA ? "ollama" : "llama.cpp";
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
		rc = store_setting_set(st, id, SK(ENGINE), engine_name(p->engine), cause);
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
	int n_gpu = 0, n_oom = 0, n_alloc = 0, est_ollama = 0, est_fit = 0;
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
			est_ollama |= strcmp(l->est[i].engine, "ollama") == 0;
			est_fit |= strcmp(l->est[i].engine, "llama-fit") == 0;
		}
	}
	char *s = util_xasprintf("%d GPU%s, %zu load%s (%s); ", n_gpu, n_gpu == 1 ? "" : "s", n,
				 n == 1 ? "" : "s", engine_name(p->engine));
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
	if (est_ollama || est_fit) {
		t = util_xasprintf("%s; %s%s%s estimate present", s, est_ollama ? "ollama" : "",
				   est_ollama && est_fit ? " and " : "", est_fit ? "llama-fit" : "");
		free(s);
		s = t;
	}
	return s;
}

static int write_all(struct ll *p, char **cause)
{
	struct ll_load **keep = util_xcalloc(p->n_loads, sizeof(*keep));
	size_t n = 0;
	for (size_t i = 0; i < p->n_loads; i++)
		if (!load_empty(p->loads[i]))
			keep[n++] = p->loads[i];
	if (!n) {
		free(keep);
		return util_err(cause, UTIL_EINPUT, "%s: no llama.cpp/Ollama memory lines found",
				p->ctx->path);
	}
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

int imp_llamalog_run(struct imp_ctx *ctx, char **cause)
{
	struct ll *p = util_xcalloc(1, sizeof(*p));
	p->ctx = ctx;
	int rc = parse_all(p, cause);
	if (!rc)
		rc = write_all(p, cause);
	for (size_t i = 0; i < p->n_loads; i++)
		load_free(p->loads[i]);
	free(p->loads);
	free(p->list);
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
		"ggml_cuda_init: found", "layers to GPU", "params_fit_impl",
		"llama_model_loader:", "print_info:", "llm_load_print_meta:",
	};
	static const char *const weak[] = { "% CPU/GPU", "% GPU ", "NVIDIA-SMI", "ollama ps" };
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(strong); k++)
		if (memmem(data, n, strong[k], strlen(strong[k])))
			return 80;
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(weak); k++)
		if (memmem(data, n, weak[k], strlen(weak[k])))
			return 40;
	return 0;
}
