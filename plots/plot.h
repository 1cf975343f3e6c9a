/*
 * plot.h - PNG pictures of a replay, drawn by gnuplot through a pipe.
 *
 * Implemented by: timeline.c (the collector, pure data), timeline_png.c,
 * bars.c (breakdown, compare), fitcurve.c, and gnuplot.c (the process,
 * temporary files, escaping; its internal header gnuplot.h).
 *
 * Four pictures, each a gnuplot script in plots/ fed with inline
 * datablocks ($name << EOD) and variables, then `load`ed:
 *   timeline.gp   memory over time per GPU, stacked by category
 *   breakdown.gp  per-GPU stacked bars at the peak ("where did my VRAM go")
 *   compare.gp    recorded vs what-if peaks, side by side per GPU
 *   fitcurve.gp   peak per GPU against context length
 *
 * Finding gnuplot: the command is "gnuplot" (looked up in PATH) unless
 * $VRAMSIM_GNUPLOT names another one (a shell command line). gnuplot 5.2
 * or newer with the pngcairo terminal is needed; its own messages go to
 * our stderr unchanged.
 *
 * Finding the scripts: $VRAMSIM_PLOTS_DIR if set; else plots/ beside the
 * running executable or in its parent folder (a build tree, and
 * sanitizer builds in build-address-undefined/); else VRAMSIM_DATADIR
 * (where `make install` puts them); else ./plots (tests run from the
 * source tree).
 *
 * Every writer draws into a temporary file beside the target and renames
 * it into place only after gnuplot exited 0 and left a PNG, so a failed
 * plot leaves no half-written picture. An existing target is refused
 * (UTIL_EINPUT "...: exists; use -f to overwrite") unless force is set.
 *
 * Strings in struct plot_meta (and everything else that reaches gnuplot)
 * are treated as hostile: they are sent only inside single-quoted gnuplot
 * strings (see plot_quote), control characters become spaces, invalid
 * UTF-8 becomes '?', and each is cut to at most PLOT_MAX_TEXT characters
 * (less where the picture is narrower). Output paths must not contain
 * control characters (UTIL_EINPUT); their bytes are sent as they are.
 * Numbers cross the pipe as integers only (bytes, ns), so the locale
 * cannot change them.
 *
 * All functions return 0 or a negative UTIL_E* code with *cause set
 * (cause may be NULL): UTIL_EINPUT for a bad path or an existing file,
 * UTIL_ERR for a missing or failing gnuplot, a missing script, or I/O.
 */
#ifndef VRAMSIM_PLOT_H
#define VRAMSIM_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"
#include "sim.h"

/* Most buckets the timeline keeps per device, however long the trace. */
#define PLOT_TIMELINE_BUCKETS 2048
/* Longest text (in characters) sent to gnuplot from a plot_meta field. */
#define PLOT_MAX_TEXT 200
/* A timeline image holds at most this many GPU panels; beyond it the
 * writer draws pages of this many GPUs each. */
#define PLOT_MAX_PANELS 16

/* The file a writer makes: a PNG (pngcairo), or an SVG whose legend
 * entries and coordinates react to the mouse (gnuplot's svg terminal,
 * "mouse standalone": its script inside the file, nothing fetched). */
enum plot_format { PLOT_PNG = 0, PLOT_SVG };

/* Words around a picture. Any field may be NULL; all are copied/escaped,
 * never kept. */
struct plot_meta {
	enum plot_format format; /* PLOT_PNG unless said */
	int no_clock;           /* the source has no timestamps (a log, a recomposed
				 * load): the timeline counts events instead */
	const char *title;      /* headline; a default is used when NULL */
	const char *model;      /* "Llama-3.3-70B Q4_K_M" */
	const char *topology;   /* "4x24G" */
	const char *scenario;   /* "identity", "ctx=65536", ... */
	const char *trace_name; /* store name of the trace */
	const char *bar_label;  /* compare: the bars' name (default: scenario) */
};

/*
 * One bucket of a device's downsampled timeline. The level of a device
 * is the sum of its used[] (what replay checks against capacity; the
 * context reserve included).
 *
 * Exact mode (width 0): one bucket per change, t is the change's time,
 * min == max == the level after it.
 * Downsampled mode (width > 0): bucket i covers [origin + i*width,
 * origin + (i+1)*width) and t is its start; min and max are the lowest
 * and highest level in effect at any moment of that interval: the level
 * carried in from before the interval and the level after every change
 * inside it. Empty intervals are kept (min == max == carried level), so
 * the buckets are dense.
 */
struct plot_bucket {
	int64_t  t;                    /* ns: change time or bucket start */
	uint64_t seq;                  /* number of the first change in it (0..), over all devices */
	uint64_t min, max;             /* level, bytes */
	uint64_t used[TRACE_CAT_MAX];  /* bytes by category when max was reached */
};

/*
 * A timeline collector: an observer (sim/sim.h) that keeps, per
 * device, at most PLOT_TIMELINE_BUCKETS buckets. While a device has seen
 * no more changes than that, every change is its own bucket (exact step
 * shape for small traces); after that the bucket width starts at a power
 * of two ns and doubles (merging neighbours) whenever the time span
 * outgrows the buckets, so memory is O(buckets) and a change costs O(1)
 * amortised, for any number of changes. Changes must come in time order
 * per device (one that goes back in time joins the last bucket).
 * Changes on devices outside 0..n_dev-1 (the host) are ignored. OOM
 * callbacks keep the first 64 failures as markers.
 */
struct plot_timeline;

/* A collector for n_dev (1..TOPO_MAX_GPUS) devices; NULL if out of range.
 * Free with plot_timeline_free(). */
struct plot_timeline *plot_timeline_new(int n_dev);
/* The observer to put in sim_config.obs; owned by tl, valid until it is
 * freed. */
const struct sim_observer *plot_timeline_observer(struct plot_timeline *tl);
/* NULL-safe. */
void plot_timeline_free(struct plot_timeline *tl);

/*
 * The buckets of device dev in time order (NULL with *n = 0 when the
 * device saw no change or dev is out of range). *width is 0 in exact mode,
 * else the bucket width in ns; *origin is the start of bucket 0. The
 * array stays owned by tl and changes with the next change. For tests and
 * other renderers.
 */
const struct plot_bucket *plot_timeline_buckets(const struct plot_timeline *tl, int dev,
						size_t *n, uint64_t *width, int64_t *origin);

/*
 * Draw memory over time: per GPU of res (res->n_dev panels) the level
 * stacked by category, the capacity line, the headroom above the peak
 * shaded, the first OOM of res marked and labelled on its GPU ("OOM:
 * 8898 MiB compute") and the other OOMs the observer saw marked. In
 * downsampled panels the stack shows each bucket's maximum and a dotted
 * line its minimum. The x axis is time from 0 (or the earliest change)
 * to res->t_end; when every panel is exact and changes share times (a
 * log's synthetic clock), it counts changes instead, so each step shows.
 * tl is only read.
 *
 * path_fmt: with "%d" in its file name (the last one is replaced by the
 * GPU number; nothing else in the path is interpreted), one PNG per GPU;
 * without, one PNG with one panel per GPU (more than PLOT_MAX_PANELS
 * GPUs: pages of PLOT_MAX_PANELS, named with "-gpus<first>-<last>" before
 * the extension).
 * Every target is checked first and every image drawn before any is
 * renamed into place, so a failure (short of a failing rename) leaves
 * none of them behind. On success
 * *files (malloc'd array of malloc'd paths; the caller frees both) and
 * *n_files list what was written; on failure they are NULL and 0.
 */
int plot_timeline_write(struct plot_timeline *tl, const struct sim_result *res,
			const struct plot_meta *m, const char *path_fmt, int force,
			char ***files, int *n_files, char **cause);

/*
 * Per-GPU stacked bars at the peak: each category of peak_used[], then
 * "reserved, unused" (peak_reserved beyond what the allocator handed out,
 * sum(peak_used) - reserve, as a caching allocator holds) and "free" up to
 * capacity; capacity is
 * marked on each bar; a GPU whose first OOM is in res shows the failed
 * request on top of the bytes used at that moment.
 */
int plot_breakdown_write(const struct sim_result *res, const struct plot_meta *m,
			 const char *path, int force, char **cause);

/*
 * Recorded vs what-if: for each GPU index, the two peak breakdowns as
 * neighbouring bars, each with its own capacity mark (the topologies may
 * differ in count and size). m_rec/m_what's scenario names the bars
 * ("recorded"/"what-if" when NULL); the title comes from m_what.
 */
int plot_compare_write(const struct sim_result *recorded, const struct sim_result *whatif,
		       const struct plot_meta *m_rec, const struct plot_meta *m_what,
		       const char *path, int force, char **cause);

/*
 * Peak bytes per GPU against context length: ctx[n_points] (tokens,
 * any order, drawn sorted), peak[n_points * n_dev] row-major (peak of GPU
 * d at point i is peak[i * n_dev + d]), capacity[n_dev] (bytes, drawn as
 * one dashed line per distinct capacity). n_points >= 1, 1 <= n_dev <=
 * TOPO_MAX_GPUS, else UTIL_EINPUT.
 */
int plot_fitcurve_write(const uint64_t *ctx, const uint64_t *peak, int n_points, int n_dev,
			const uint64_t *capacity, const struct plot_meta *m, const char *path,
			int force, char **cause);

/*
 * Write s as a gnuplot string expression into buf (size n >= 32, else
 * "''"; always NUL-terminated): single-quoted runs joined by '.', each ' as
 * "\047" (it's -> 'it'."\047".'s': gnuplot's own '' escape misparses
 * next to another quote, and its @macro expander counts quotes), control
 * characters as spaces, invalid UTF-8 as '?', cut to max_chars (at most
 * PLOT_MAX_TEXT) characters with "…", fewer if buf is small. Returns buf.
 * Exposed for tests; the writers use it for every string they send.
 */
char *plot_quote(char *buf, size_t n, const char *s, size_t max_chars);

struct scen;
struct store;
/*
 * Draw the prepared scenario sc (as `replay` prepared it) into dir:
 * whatif-timeline.png, whatif-breakdown.png, compare.png (recorded vs
 * what-if, for a stored trace) and ctx-curve.png (llama.cpp/Ollama
 * loads); each file's name is written to names. sc is replayed again
 * and its context swept (it is changed: clear it after). In cmd_plot.c.
 */
int plot_scenario(struct store *st, struct scen *sc, const char *dir, int force, FILE *names,
		  char **cause);

/*
 * Each GPU's peak against the context length for the llama.cpp/Ollama
 * load of sc (32 points up to the trained context), drawn by
 * plot_fitcurve_write() into path. UTIL_EINPUT with *cause when the
 * context of sc cannot be varied. sc is left as it was.
 */
int plot_ctx_curve(struct store *st, struct scen *sc, const struct plot_meta *m,
		   const char *path, int force, char **cause);

/* Are the times of sc's events made up (a log's line numbers, a
 * recomposed load)? Then pictures count events (plot_meta.no_clock). */
int plot_no_clock(struct store *st, const struct scen *sc);

#endif
