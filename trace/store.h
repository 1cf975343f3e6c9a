/*
 * store.h - the SQLite trace store: many traces in one file.
 *
 * Layout (documented for users in README.md, "The store"):
 *   traces, archives, processes, devices, events, labels, settings,
 *   estimates, profiles, profile_parts, gguf_headers (v3); traces.n_events
 *   counts each trace's events (v4).
 * The schema version is PRAGMA user_version (STORE_SCHEMA_VERSION); older
 * stores are migrated forward on open, newer ones are refused. The file is
 * marked with PRAGMA application_id so file(1) can tell it apart.
 *
 * Writing: one import is one transaction. Call store_begin(), add traces
 * and their rows, then store_commit(); on any error call store_rollback()
 * and the file is as it was. Readers use WAL and a busy timeout, so a
 * replay can read while another process imports.
 *
 * Events of one process must be added in time order: the store numbers
 * them per process (seq 1, 2, ...) in insertion order and packs them in
 * chunks (trace/chunk.h); replay merges the per-process streams by
 * (time, pid, seq).
 *
 * All functions return 0 or a negative UTIL_E* code with *cause set
 * (see util.h); cause may be NULL.
 */
#ifndef VRAMSIM_STORE_H
#define VRAMSIM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"
#include "profile.h"

#define STORE_SCHEMA_VERSION 4
#define STORE_APPLICATION_ID 0x56524d53 /* "VRMS" */
#define STORE_DEFAULT_PATH "vramsim.db"

/*
 * Bounds of one trace, checked as rows arrive (UTIL_EINPUT, "more than N
 * processes in one trace", "device index I outside 0..N-1"), so no input
 * makes per-process or per-device tables grow without end: distinct
 * processes (pids with events, and process rows) per trace, and device
 * indexes. The README's "Limits" table lists them.
 */
#define STORE_MAX_PROCESSES 65536
#define STORE_MAX_DEVICES   4096
/* Seconds a writer waits for another writer's lock, unless
 * $VRAMSIM_BUSY_TIMEOUT (0..86400) says otherwise. */
#define STORE_BUSY_TIMEOUT_S 300
/* Chunk encoders kept open at once (CHUNK_MAX * CHUNK_EVENT_MAX bytes
 * each); events of more processes interleaved close chunks early. */
#define STORE_OPEN_CHUNKS   64

struct store;

enum {
	STORE_CREATE   = 1, /* create the file if missing */
	STORE_READONLY = 2  /* open read-only (never creates, never migrates) */
};

/*
 * Open (and with STORE_CREATE create) the store at path. Refuses a file
 * that is not SQLite, an SQLite file that is not a vramsim store (has
 * tables but no application id), a store of a newer schema, and a store
 * holding a view, trigger, virtual table or generated column (SQL that
 * vramsim did not put there), with UTIL_EINPUT. Without STORE_READONLY,
 * a store that cannot be written (file read-only, folder not writable)
 * is refused with UTIL_EINPUT saying which; with it, such a store is
 * read (as an immutable file when SQLite cannot create FILE-shm). On success *out owns the connection; close it with
 * store_close().
 */
int store_open(const char *path, int flags, struct store **out, char **cause);
/* Close; NULL-safe. An open transaction is rolled back. */
void store_close(struct store *st);
const char *store_path(const struct store *st);

/* Transactions (one per import). rollback is safe without a transaction. */
int store_begin(struct store *st, char **cause);
int store_commit(struct store *st, char **cause);
void store_rollback(struct store *st);

/* A trace's summary row. Strings are owned by the struct: free with
 * store_trace_info_clear(). */
struct store_trace_info {
	int64_t id;
	char   *name;       /* unique in the store */
	char   *format;     /* importer: "llamalog", "vrt", "torch", ... */
	char   *source;     /* path of the imported file(s) */
	int     run;        /* load index within its source (1..), 0 if single */
	int     truncated;  /* 1: the source ended early (crash, cut log) */
	int64_t created_ns; /* wall clock at import */
	int64_t n_events;
	int64_t profile_id; /* 0 if none */
	char   *note;       /* free text: what the importer could not know */
};
void store_trace_info_clear(struct store_trace_info *ti);

/*
 * Create a trace row. name may be NULL: a unique name is derived from
 * base (the source's file name) and run ("base", "base#2", ...). The new
 * id is returned in *id. Must be inside a transaction.
 */
int store_trace_new(struct store *st, const char *name, const char *base,
		    const char *format, const char *source, int run,
		    int64_t *id, char **cause);
/* Mark the trace truncated and/or set its note (note may be NULL). */
int store_trace_set(struct store *st, int64_t trace, int truncated,
		    const char *note, char **cause);

/* Archive the original input zstd-compressed (level 3). */
int store_archive(struct store *st, int64_t trace, const char *filename,
		  const void *data, size_t len, char **cause);
/* Fetch an archive back (first one of the trace); *data is malloc'd. */
int store_archive_get(struct store *st, int64_t trace, char **filename,
		      void **data, size_t *len, char **cause);

int store_process_add(struct store *st, int64_t trace, int32_t pid,
		      const char *exe, const char *cmdline, int64_t start_ns,
		      char **cause);
int store_device_add(struct store *st, int64_t trace,
		     const struct trace_device *dev, char **cause);
/* Free-form settings of the run: n_ctx, n_ubatch, flash_attn, type_k, ... */
int store_setting_set(struct store *st, int64_t trace, const char *key,
		      const char *value, char **cause);
/*
 * An engine's own estimate (never an allocation): engine "ollama",
 * device index (TRACE_DEV_HOST for a whole-model figure), key such as
 * "allocation", "graph", "kv", "weights.total", value in bytes.
 */
int store_estimate_add(struct store *st, int64_t trace, const char *engine,
		       int device, const char *key, uint64_t bytes, char **cause);
/* Intern a label (frame text, buffer name) for the trace; *id > 0. */
int store_label(struct store *st, int64_t trace, const char *text,
		int64_t *id, char **cause);
/* Append an event; ev->seq is assigned by the store (insertion order). */
int store_event_add(struct store *st, int64_t trace,
		    const struct trace_event *ev, char **cause);

/* Profiles: store one (returns id), attach one to a trace, read one.
 * Profile names are unique in a store: a second profile named N is
 * stored as "N#2" (then "N#3"...), so --profile N always means the first
 * and every profile can be named. */
int store_profile_add(struct store *st, const struct profile *p,
		      const char *source, int64_t *id, char **cause);
int store_profile_attach(struct store *st, int64_t trace, int64_t profile,
			 char **cause);
/* Read profile id into *p (clear it with profile_clear()). */
int store_profile_get(struct store *st, int64_t profile, struct profile *p,
		      char **cause);
/* Find the newest profile whose name or file equals key; *id = 0 if none. */
int store_profile_find(struct store *st, const char *key, int64_t *id,
		       char **cause);

/*
 * GGUF headers of a profile (schema v3): the bytes of a model file up to
 * its tensor data (metadata and tensor infos), zstd-compressed, with the
 * file's logical size, one row per part of a split model (part 0 for a
 * whole file), so a plan can re-create the file as a sparse copy without
 * the model. put replaces a part's row. get returns the parts in order:
 * *out is a malloc'd array of *n; free it with store_gguf_headers_free().
 * Damaged compressed data is UTIL_ERR naming the store and the part.
 */
struct store_gguf_header {
	int      part;
	char    *filename;      /* the part's file name as imported */
	uint64_t file_size;     /* logical size of the whole part */
	unsigned char *data;    /* the header bytes */
	size_t   len;
};
int store_gguf_header_put(struct store *st, int64_t profile, int part, const char *filename,
			  uint64_t file_size, const void *data, size_t len, char **cause);
int store_gguf_headers_get(struct store *st, int64_t profile, struct store_gguf_header **out,
			   size_t *n, char **cause);
void store_gguf_headers_free(struct store_gguf_header *h, size_t n);

/* ---- reading ---- */

/*
 * Resolve a trace reference: NULL means the newest trace that holds
 * events (else the newest trace); otherwise an id
 * ("3") or a name. UTIL_EINPUT if there is none.
 */
int store_trace_resolve(struct store *st, const char *ref, int64_t *id,
			char **cause);
int store_trace_get(struct store *st, int64_t id, struct store_trace_info *ti,
		    char **cause);
/* All traces, oldest first; *out is malloc'd, clear each and free it. */
int store_trace_list(struct store *st, struct store_trace_info **out,
		     size_t *n, char **cause);

/* Devices of a trace ordered by index; *out is malloc'd. */
int store_devices(struct store *st, int64_t trace, struct trace_device **out,
		  size_t *n, char **cause);
/* Processes (pids) of a trace ordered by pid; *out is malloc'd. */
int store_pids(struct store *st, int64_t trace, int32_t **out, size_t *n,
	       char **cause);
/* A recorded process. Strings owned by the array: store_processes_free(). */
struct store_process {
	int32_t pid;
	char   *exe;       /* NULL if unknown */
	char   *cmdline;   /* NULL if unknown */
	int64_t start_ns;  /* wall clock at start, 0 if unknown */
};
int store_processes(struct store *st, int64_t trace, struct store_process **out, size_t *n,
		    char **cause);
void store_processes_free(struct store_process *p, size_t n);

/* A setting's value (malloc'd) or NULL in *value if unset. */
int store_setting_get(struct store *st, int64_t trace, const char *key,
		      char **value, char **cause);
/* Setting as integer; *set = 0 if unset or not a number. */
int store_setting_int(struct store *st, int64_t trace, const char *key,
		      int64_t *value, int *set, char **cause);

/* One estimate row. */
struct store_estimate {
	char     engine[32];
	int      device;
	char     key[48];
	uint64_t bytes;
};
int store_estimates(struct store *st, int64_t trace,
		    struct store_estimate **out, size_t *n, char **cause);
/* Label text by id (malloc'd). */
int store_label_text(struct store *st, int64_t label, char **text,
		     char **cause);

/*
 * Iterate the events of one process of a trace in seq order (pid < 0:
 * all processes in (pid, seq) order). The iterator holds a statement;
 * free it with store_iter_free(). store_iter_next() returns 1 with *ev
 * filled, 0 at the end, or a negative code.
 */
struct store_iter;
int store_iter_open(struct store *st, int64_t trace, int32_t pid,
		    struct store_iter **it, char **cause);
int store_iter_next(struct store_iter *it, struct trace_event *ev,
		    char **cause);
void store_iter_free(struct store_iter *it);

/* Events tallied by (device, category, kind): counts and bytes. */
struct store_event_stat {
	int device, category, kind;
	int64_t n;
	uint64_t bytes;
};
int store_event_stats(struct store *st, int64_t trace, struct store_event_stat **out,
		      size_t *n, char **cause);

/*
 * Events are stored packed (trace/chunk.h). Write them out as one row per
 * event into a new table named table ("temp.events", or "rows.events" of
 * an attached database), of trace (or of every trace if trace < 0), with
 * the columns trace_id, pid, seq, t_ns, tid, kind, device, category, api,
 * layer_lo, layer_hi, size, req_size, addr, aux, stream, result,
 * label_id. For SQL queries, tests and `vramsim export --format sqlite`.
 */
int store_rows(struct store *st, const char *table, int64_t trace, char **cause);

/* Escape hatch for read-only queries in tests and `vramsim show`. The
 * handle stays owned by the store. */
struct sqlite3;
struct sqlite3 *store_sqlite(struct store *st);

#endif
