/*
 * llamalog_int.h - internals shared by the llama.cpp / Ollama log
 * importer's files (not an interface for anything outside import/llamalog*):
 *   llamalog.c        driver: lines, the rule table, load boundaries, output
 *   llamalog_text.c   numbers, sizes and names as the engines print them
 *   llamalog_cpp.c    llama.cpp buffer, OOM, KV, offload and device lines
 *   llamalog_bd.c     llama.cpp memory breakdown table and --fit projection
 *   llamalog_set.c    "key = value" settings and command lines
 *   llamalog_ollama.c Ollama slog lines, `ollama ps`/`list`, nvidia-smi
 *   llamalog_out.c    the traces written, engine identity, the summary
 *
 * Every line matcher has the signature ll_on: it returns 1 when the line
 * is not its own, 0 when it took it, a negative UTIL_* code (with *cause)
 * when the line is its own but malformed. A matcher that adds to a load
 * gets it from ll_load_for(), which applies the load-boundary rule of the
 * matcher's row (llamalog.c, "Load boundaries"); no matcher decides on
 * its own where a load starts.
 */
#ifndef VRAMSIM_LLAMALOG_INT_H
#define VRAMSIM_LLAMALOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "imp.h"
#include "settings.h"

struct ll_rule;
struct ll_slog;

#define LL_MAX_LINE   (64 * 1024)  /* longer lines are skipped with a warning */
#define LL_DETECT_WIN (256 * 1024) /* detect() looks at this much */
#define LL_MAX_DEV    256          /* GPU indices 0..255 */
#define LL_MAX_MIB    8.0e12       /* larger sizes overflow 64-bit bytes */
#define LL_OOM_RESULT 2            /* CUDA_ERROR_OUT_OF_MEMORY */
/* Limits that bound the parser's memory whatever the input (README,
 * "Limits"): loads (= traces) per file, as imp_trace_new allows; buffer
 * lines per file (real logs hold hundreds); `ollama list` rows kept. */
#define LL_MAX_LOADS  64
#define LL_MAX_EVENTS 1000000
#define LL_MAX_LIST   4096
/* compute buffers of one load (one per device and backend): more is a new
 * load, which keeps the repeat check below quadratic cost */
#define LL_MAX_COMPUTE 1024

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
/* Engine markers (per load, and for the whole file in struct ll). Each is
 * set by lines only that engine prints (llamalog.c, engine_of()). */
enum {
	ENG_OLLAMA     = 1 << 0, /* Ollama's slog lines, journal prefix ollama[pid] */
	ENG_IK         = 1 << 1, /* ik_llama.cpp: mla_attn, fused_moe, attn_max_b, c^KV,
				  * kv^T, its -fmoe/-mla/-amb/-rtr options */
	ENG_OL_CGO     = 1 << 2, /* Ollama's llama.cpp runner (ollama_llama_server,
				  * `ollama runner` without --ollama-engine), 2023-2025 */
	ENG_OL_NEW     = 1 << 3, /* Ollama's own engine (ml/backend/ggml, 2025-) */
	ENG_OL_LSERVER = 1 << 4, /* llama-server run by Ollama (0.30+, 2026) */
	ENG_MAINLINE   = 1 << 5  /* mainline-only lines (llama_memory_breakdown_print,
				  * llama_params_fit, llama-server's own command line) */
};

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
	size_t n_bad;         /* lines of ours skipped as unreadable (cut short) */
	char bad_first[160];  /* the first of them: "line: why" */
	int breakdown_host;   /* host row of the breakdown seen */
	unsigned markers;     /* MK_* seen */
	unsigned host;        /* DF_* for host buffers */
	unsigned char dev[LL_MAX_DEV];
	int lay_lo[LL_MAX_DEV], lay_hi[LL_MAX_DEV]; /* stated layer range, -1 */
	double kv_mib;        /* sum of "KV self size" / "size =" lines */
	int kv_lines;
	int row_split;        /* a CUDA_Split buffer was seen */
	unsigned eng;         /* ENG_* markers seen in this load's lines */
	size_t *cidx;         /* indices in ev[] of its compute buffers */
	size_t n_cidx, a_cidx;
	int n_found;          /* GPUs the engine had found while this load ran */
	char ps_id[16];       /* `ollama ps` model id, to find its `ollama list` size */
	uint64_t free_mib[LL_MAX_DEV]; /* `using device ... - N MiB free`, 0: not printed */
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
	unsigned line_eng;        /* ENG_* markers of the line being parsed (ll_load_for) */
	unsigned eng_all;         /* ENG_* era markers of all loads (output) */
	size_t lineno;
	size_t oom_line;          /* line of the last OOM event, 0 if none */
	int last_partial;         /* the line being parsed has no final newline */
	int warned_wrap, warned_dev, warned_long;
	struct ll_listrow *list;
	size_t n_list, a_list;
	const struct ll_rule *rule; /* the row whose matcher runs now */
	size_t n_events;            /* events in all loads */
	char *over;                 /* a limit was passed: the message (malloc'd) */
	int cut;                    /* the failing line was cut short (ll_is_cut) */
	int comment;                /* the line is a '#' comment (see ll_load_for) */
	struct ll_slog *slog;       /* the parsed Ollama slog line, while one runs */
	/* llama.cpp's RPC devices are named by endpoint ("RPC[host:port]"), not
	 * numbered: their index is their order among the "using device" lines */
	char rpc[LL_MAX_DEV][64];
	int n_rpc;
};

/* ---- the rule table (llamalog.c) ---- */

/* How a row's line decides that a new load begins (ll_load_for). */
enum {
	M_NONE,   /* never: the line adds to the current load */
	M_BUF,    /* once the current load holds buffers (or ended in an OOM) */
	M_REPEAT, /* that, or the current load has seen the same marker */
	M_ONCE    /* only when the current load has seen it (lines printed
		   * after the buffers of their load: breakdown, fit) */
};

typedef int (*ll_on)(struct ll *p, char *s, char **cause);

/* One line shape. */
struct ll_rule {
	const char *name;   /* for messages and tests */
	const char *needle; /* the line must contain it (a cheap filter); NULL: any */
	ll_on on;
	unsigned mk;        /* MK_* marker the line sets, 0 if none */
	int mode;           /* M_*: the boundary rule of its marker */
};

/* The load a matcher's line goes to, after the boundary rule of the row
 * being run (p->rule). */
struct ll_load *ll_load_for(struct ll *p);
/* The load receiving lines, opening one if none (or the last ended). */
struct ll_load *ll_cur(struct ll *p);
/* Data-driven boundaries (the same section of llamalog.c): the load a
 * buffer, an OOM, or a per-device table row (DF_BD, DF_FIT) goes to. */
struct ll_load *ll_load_for_buffer(struct ll *p, int dev, int cat, const char *label);
struct ll_load *ll_load_for_oom(struct ll *p, int dev);
struct ll_load *ll_load_for_row(struct ll *p, int dev, unsigned df);

/* ---- load contents (llamalog.c) ---- */
void ll_set(struct ll_load *l, const char *key, const char *val);
const char *ll_get(const struct ll_load *l, const char *key);
void ll_set_int(struct ll_load *l, const char *key, long long v);
void ll_set_u64(struct ll_load *l, const char *key, uint64_t v);
void ll_note(struct ll_load *l, const char *note);
void ll_use_dev(struct ll_load *l, int dev);
void ll_est_add(struct ll_load *l, const char *engine, int device, const char *key,
		uint64_t bytes);
struct trace_event *ll_ev_add(struct ll *p, struct ll_load *l, int kind, int dev, int cat,
			      uint64_t bytes, const char *label);
void ll_buffer_add(struct ll *p, int dev, int cat, uint64_t bytes, const char *name,
		   const char *label);
void ll_oom_add(struct ll *p, int dev, int cat, uint64_t bytes);
struct trace_event *ll_recent_oom(struct ll *p, size_t within);
unsigned ll_cat_flag(int cat);
void ll_dev_name(struct ll *p, int dev, const char *name);
int ll_check_dev(struct ll *p, int dev);
/* The "expected a size" error; at: where the size should be (a line cut
 * short there sets p->cut, see ll_is_cut). */
int ll_bad_size(struct ll *p, char **cause, const char *what, const char *at);
/* The line was cut short but what came before the cut was read: a
 * warning and a note on the load (--strict: an error after the line). */
void ll_line_cut(struct ll *p, const char *why);

/* A load that holds nothing (it is not written). */
int ll_load_empty(const struct ll_load *l);
/* Write every non-empty load as a trace and set ctx->summary
 * (llamalog_out.c); an input with none is an input error. */
int ll_write_all(struct ll *p, char **cause);

/* ---- text (llamalog_text.c) ---- */
const char *ll_skip_sp(const char *s);
int ll_is_word(int c);
int ll_u64(const char *s, uint64_t *v, const char **end);
int ll_int(const char *s, long *v, const char **end);
int ll_dec(const char *s, double *v, const char **end);
int ll_mib(const char *s, uint64_t *bytes, const char **end);
int ll_human(const char *s, uint64_t *bytes, const char **end);
void ll_copy_span(char *buf, size_t n, const char *s, const char *e);
const char *ll_path_base(const char *s);
int ll_dev_from_name(const char *name);
int ll_rpc_dev(struct ll *p, const char *name, size_t n, int add);
int ll_fa_value(const char *v);
/* Does text at v stop where a size was still being printed ("", "14417.",
 * "1.5 G", "12 Mi"): the line was cut short, not written wrong. */
int ll_is_cut(const char *v);
void ll_set_fa(struct ll_load *l, const char *v);

/* ---- matchers, one per line shape (rows of ll_rules[] in llamalog.c) ---- */
/* llamalog_cpp.c */
int ll_on_buffer(struct ll *p, char *s, char **cause);
int ll_on_cuda_oom(struct ll *p, char *s, char **cause);
int ll_on_gallocr_oom(struct ll *p, char *s, char **cause);
int ll_on_oom_context(struct ll *p, char *s, char **cause);
int ll_on_kv_total(struct ll *p, char *s, char **cause);
int ll_on_offloading(struct ll *p, char *s, char **cause);
int ll_on_output_layer(struct ll *p, char *s, char **cause);
int ll_on_offloaded(struct ll *p, char *s, char **cause);
int ll_on_layer_assigned(struct ll *p, char *s, char **cause);
int ll_on_cuda_init(struct ll *p, char *s, char **cause);
int ll_on_device(struct ll *p, char *s, char **cause);
int ll_on_using_device(struct ll *p, char *s, char **cause);
int ll_on_overridden(struct ll *p, char *s, char **cause);
int ll_on_n_copies(struct ll *p, char *s, char **cause);
int ll_on_graph(struct ll *p, char *s, char **cause);
int ll_on_fa_auto(struct ll *p, char *s, char **cause);
int ll_on_build(struct ll *p, char *s, char **cause);
int ll_on_loader(struct ll *p, char *s, char **cause);
int ll_on_kv_init(struct ll *p, char *s, char **cause);
int ll_on_mllama(struct ll *p, char *s, char **cause);
/* llamalog_bd.c */
int ll_on_bd_header(struct ll *p, char *s, char **cause);
int ll_on_bd_row(struct ll *p, char *s, char **cause);
int ll_on_fit_total(struct ll *p, char *s, char **cause);
int ll_on_fit_header(struct ll *p, char *s, char **cause);
int ll_on_fit_row(struct ll *p, char *s, char **cause);
int ll_on_fit_result(struct ll *p, char *s, char **cause);
/* llamalog_set.c */
int ll_on_kv_meta(struct ll *p, char *s, char **cause);
int ll_on_kv_ctx(struct ll *p, char *s, char **cause);
int ll_on_loader_kv(struct ll *p, char *s, char **cause);
int ll_on_cmdline(struct ll *p, char *s, char **cause);
void ll_args(struct ll_load *l, const char *args);
/* llamalog_ollama.c */
int ll_on_slog(struct ll *p, char *s, char **cause);
int ll_on_ollama_table(struct ll *p, char *s, char **cause);
int ll_on_nvidia_smi(struct ll *p, char *s, char **cause);

#endif
