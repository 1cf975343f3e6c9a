/*
 * export.h - a replay written out for other tools, and two replays
 * compared (`vramsim export`, `vramsim diff`).
 *
 * Export streams: rows are written while the replay runs, so a trace of
 * any length needs no more memory than the replay itself. Formats:
 *  - csv: one row per event as replayed, with the running usage of its GPU:
 *    t_ns,pid,seq,kind,gpu,category,size,addr,layer_lo,layer_hi,used_gpu,label
 *    (an empty field is "none": gpu and used_gpu for host memory, layers
 *    for no layer, addr 0, no label).
 *  - json: {"format":"vramsim-export","version":1,"trace":..,"topology":..,
 *    "scenario":..,"events":[{same fields, null for none}],"summary":..}.
 *  - perfetto: Chrome Trace Event Format JSON (see export.c): per GPU a
 *    counter whose series are the categories, its total and its capacity,
 *    host memory the same, all in MiB, and OOM instants. Where the source
 *    has no clock (a log: its order is real, its times are not) samples
 *    are one millisecond apart per event.
 *
 * Ownership: every function borrows its arguments; nothing returned needs
 * freeing except *cause (util.h) and what export_out_* say.
 */
#ifndef VRAMSIM_EXPORT_H
#define VRAMSIM_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "sim.h"
#include "scenario.h"
#include "sim_source.h"
#include "store.h"
#include "topo.h"

#define EXPORT_VERSION 1

enum export_format { EXPORT_CSV = 0, EXPORT_JSON, EXPORT_PERFETTO };

/* "csv", "json" or "perfetto" -> enum value; -1 for anything else. */
int export_format_parse(const char *name);

/*
 * The scenario `vramsim replay` describes for the same options o:
 * scen_prepare(), except that without --gpus a GPU whose size the trace
 * does not record is taken as SCEN_DEFAULT_GPU (counted in *assumed)
 * rather than refused. Exports and pictures draw exactly this scenario,
 * so they never contradict the table replay prints (a llama.cpp/Ollama
 * load is recomposed as it ran, a row split included; the replay stops
 * at the first OOM unless --on-oom says otherwise). Clear *sc with
 * scen_clear() (also after a failure).
 */
int export_replay_scen(struct store *st, const char *ref, const struct scen_opts *o,
		       struct scen *sc, int *assumed, char **cause);

/* What an export says around its rows. Strings may be NULL. */
struct export_meta {
	enum export_format format;
	int header;                /* csv: write the header row */
	int64_t trace_id;          /* 0: none (--model) */
	const char *trace_name;
	const char *topology;      /* "3x24080M" */
	const char *scenario;      /* one line */
	const char *model;         /* allocator model name */
	int no_clock;              /* times are not real: perfetto spaces samples
				    * by event (1 ms each) and says so */
};

/*
 * Replay src under cfg and write it to f as m->format. tap must yield the
 * same events in the same order as src (a second source over the same
 * trace or array): it tells which event each usage change belongs to; it
 * may be NULL for perfetto. st (may be NULL) gives label text. *res
 * receives the replay's result. Returns 0, or a negative code if the
 * replay, a label look-up or a write to f fails (rows written so far
 * stay in f).
 */
int export_stream(FILE *f, const struct export_meta *m, const struct sim_config *cfg,
		  struct sim_source *src, struct sim_source *tap, struct store *st,
		  struct sim_result *res, char **cause);

/* export_stream() of a prepared scenario (scenario.h): its events, or the
 * stored trace streamed twice. */
int export_scen(FILE *f, enum export_format format, int header, struct store *st,
		struct scen *sc, struct sim_result *res, char **cause);

/*
 * An output file that appears whole or not at all: written to a temporary
 * file beside path, renamed into place by export_out_commit(). Without
 * force an existing path is refused (UTIL_EINPUT), atomically (link()).
 */
struct export_out {
	FILE *f;
	char *path, *tmp;
};
/* Open the temporary file. Refuses an existing path early unless force. */
int export_out_open(struct export_out *o, const char *path, int force, char **cause);
/* Flush, close and move into place; the temporary file is gone after. */
int export_out_commit(struct export_out *o, int force, char **cause);
/* Close and remove the temporary file (safe after a failed commit). */
void export_out_abort(struct export_out *o);

/*
 * Compare two replays on the same GPUs (`vramsim diff`): per GPU and
 * category the bytes at each side's peak, the difference B - A, and the
 * difference of the peaks. A GPU only one side has is shown for it alone.
 */
struct export_side {
	const struct sim_result *res;
	int64_t trace_id;
	const char *trace_name;
	const char *topology;
	const char *scenario;
};
void export_diff_table(FILE *f, const struct export_side *a, const struct export_side *b);
void export_diff_json(FILE *f, const struct export_side *a, const struct export_side *b);

#endif
