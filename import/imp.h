/*
 * imp.h - the importer interface: every source format (llama.cpp/Ollama
 * logs, GGUF headers, native .vrt.zst traces, PyTorch snapshots, Kineto
 * JSON, Nsight Systems exports) turns one input file into traces in the
 * store. Importers parse; they never simulate.
 *
 * The driver (imp_file) reads the file, picks the format (by --format or
 * by asking each importer's detect()), runs the importer inside one store
 * transaction and rolls back on any error, so a failed import leaves the
 * store as it was.
 */
#ifndef VRAMSIM_IMP_H
#define VRAMSIM_IMP_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* What an importer works with. The driver owns everything in it. */
struct imp_ctx {
	struct store *st;
	const char *path;          /* the input file as the user named it */
	const char *base;          /* its file name without folders */
	const char *name;          /* --name, or NULL: derive from base */
	const unsigned char *data; /* the whole file (mapped, read-only) */
	size_t len;
	int strict;                /* --strict: a truncated input is an error */
	const char *label_rules;   /* --label-rules FILE or NULL */
	int quiet;                 /* -q: no warnings on stderr */
	/* Filled by the importer (through imp_trace_new / imp_warn): */
	int64_t traces[64];        /* ids of the traces created, in order */
	int n_traces;
	int n_warnings;
	int64_t profile_id;        /* a profile stored by this import, 0 if none */
	char *summary;             /* one line for the user (malloc'd), or NULL */
};

/*
 * Create trace number run (1-based; 0 if the file holds one run) for the
 * import, archive the original input with it, and record it in
 * ctx->traces. Returns 0 or a negative code.
 */
int imp_trace_new(struct imp_ctx *ctx, const char *format, int run,
		  int64_t *id, char **cause);

/* Print "vramsim: warning: <path>: <message>" on stderr (unless quiet)
 * and count it. */
void imp_warn(struct imp_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One source format. */
struct imp_format {
	const char *name;  /* --format value: "llamalog", "gguf", "vrt", ... */
	const char *desc;  /* one line for --help */
	/* How sure (0..100) that data is this format; 0 = not it. */
	int (*detect)(const unsigned char *data, size_t len, const char *path);
	/* Import into ctx->st inside the driver's transaction. */
	int (*run)(struct imp_ctx *ctx, char **cause);
};

/* The table of formats, NULL-terminated name. */
extern const struct imp_format imp_formats[];

/* Find a format by name; NULL if unknown. */
const struct imp_format *imp_format_find(const char *name);

/* Options of imp_file(). */
struct imp_opts {
	const char *format;       /* NULL: detect */
	const char *name;         /* trace name or NULL */
	int strict;
	int quiet;
	const char *label_rules;
};

/*
 * The largest input, in bytes, read from a stream or inflated from gzip or
 * zstd (the absolute cap that bounds a decompression bomb; a plain file is
 * mapped whatever its size): IMP_MAX_INPUT, or $VRAMSIM_MAX_INPUT when set
 * (a positive integer).
 */
#define IMP_MAX_INPUT (16ull << 30)
uint64_t imp_max_input(void);

/*
 * Import one file in one transaction. path "-" is standard input; a FIFO
 * or character device is read to its end (opening one never blocks on a
 * missing writer: it reads as empty); gzip and zstd files that no format
 * reads as they are (a .vrt.zst trace, a Kineto .json.gz) are inflated
 * first, up to imp_max_input() bytes. Streams and inflated data go
 * through an unlinked file in $TMPDIR, so memory does not grow with them. On success fills res (the caller
 * frees res->summary) and returns 0. Errors: UTIL_EINPUT (unknown format,
 * empty file, a parse error naming line/offset), UTIL_ERR (I/O, SQLite).
 */
int imp_file(struct store *st, const char *path, const struct imp_opts *o,
	     struct imp_ctx *res, char **cause);

/*
 * What imp_file does once the file is mapped: import data[0..len) (the
 * caller's bytes, read-only, kept alive for the call) in one transaction,
 * with name standing for the path in messages, trace names and the
 * archive. Same results and errors as imp_file; len 0 is the "empty
 * file" error. res->data is NULL on return. Importers that must reopen
 * the input by path (nsys: SQLite opens the file itself) need name to be
 * a real file holding the same bytes.
 */
int imp_buffer(struct store *st, const char *name, const unsigned char *data,
	       size_t len, const struct imp_opts *o, struct imp_ctx *res, char **cause);

/* ---- the importers (one file each under import/; one row each in
 * imp_formats[] in imp.c) ---- */
int imp_vrt_detect(const unsigned char *data, size_t len, const char *path);
int imp_vrt_run(struct imp_ctx *ctx, char **cause);
/*
 * Import several native trace files, one per process of one run (what
 * `vramsim record` collects), as ONE trace, in one transaction: devices
 * are unified by UUID across processes, times count from the earliest
 * event, the files of an exec'd pid form one process. A file without a
 * usable header (a process killed at birth) is skipped with a warning;
 * a truncated one is kept and marks the trace truncated. name may be
 * NULL (named after the first process's executable). On success *trace
 * is the new trace's id. Errors: UTIL_EINPUT (no usable file, a newer
 * format version), UTIL_ERR (I/O, SQLite).
 */
int imp_vrt_files(struct store *st, char **paths, int n, const char *name, int quiet,
		  int64_t *trace, char **cause);
int imp_llamalog_detect(const unsigned char *data, size_t len, const char *path);
int imp_llamalog_run(struct imp_ctx *ctx, char **cause);
int imp_gguf_detect(const unsigned char *data, size_t len, const char *path);
int imp_gguf_run(struct imp_ctx *ctx, char **cause);
int imp_torch_detect(const unsigned char *data, size_t len, const char *path);
int imp_torch_run(struct imp_ctx *ctx, char **cause);
int imp_nsys_detect(const unsigned char *data, size_t len, const char *path);
int imp_nsys_run(struct imp_ctx *ctx, char **cause);
int imp_kineto_detect(const unsigned char *data, size_t len, const char *path);
int imp_kineto_run(struct imp_ctx *ctx, char **cause);

#endif
