/*
 * gnuplot.h - internal to plots/: the gnuplot process plumbing and the
 * drawing vocabulary every picture shares (plot.h is the public header).
 *
 * A picture is drawn as: gp_begin() starts gnuplot on a temporary file
 * beside the target and sets the terminal and common variables; the
 * picture's writer sends its variables, arrays and datablocks; gp_end()
 * loads the picture's script and checks that a PNG came out; gp_commit()
 * renames it into place (or gp_discard() drops it). Only integers cross
 * the pipe as numbers and every string goes through gp_str() (see
 * plot_quote in plot.h).
 */
#ifndef VRAMSIM_GNUPLOT_H
#define VRAMSIM_GNUPLOT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "plot.h"

/* A picture being drawn: gnuplot writing into tmp, to become path. */
struct gp {
	enum plot_format format;
	FILE *f;
	char *tmp;
	char *path;
	struct sigaction old_pipe;
};

/* Start gnuplot drawing a w x h PNG for path with script (a *.gp file
 * found as plot.h says). Refuses an existing path unless force. */
int gp_begin(struct gp *g, const char *path, int force, int w, int h, const char *script,
	     enum plot_format format, char **cause);
/* Load the script, finish, require a PNG. On failure tmp is gone. */
int gp_end(struct gp *g, char **cause);
/* Put the finished picture in place (atomic refusal without force). */
int gp_commit(struct gp *g, int force, char **cause);
/* Drop a picture begun or ended but not committed. */
void gp_discard(struct gp *g);
/* path is a usable output path and (without force) does not exist. */
int gp_target_ok(const char *path, int force, char **cause);
int gp_path_ok(const char *path, char **cause);

/* Strings: clean text (see plot.h), sent as gnuplot literals. */
char *gp_clean_text(char *dst, size_t n, const char *s, size_t max_chars);
void gp_str(FILE *f, const char *s, size_t max_chars);
void gp_path(FILE *f, const char *path);
/* The header for a w pixels wide picture: NTL/tl_str, NSL/sl_str, hdr_px
 * (header.gp), wrapped so that nothing is cut. Returns hdr_px (64 for one
 * title line and two context lines); f NULL: only that. */
int gp_titles(FILE *f, const struct plot_meta *m, const char *def_title, int w);
/* name[k] (1-based gnuplot arrays). */
void gp_array_decl(FILE *f, const char *name, int n);
void gp_array_str(FILE *f, const char *name, int k, const char *s, size_t max);
void gp_array_u64(FILE *f, const char *name, int k, uint64_t v);

/* Legend items: the categories, then these pseudo categories. */
enum {
	GP_ITEM_UNUSED = TRACE_CAT_MAX, /* reserved by the allocator, not handed out */
	GP_ITEM_FREE,                   /* capacity left */
	GP_ITEM_FAILED,                 /* the failed request of an OOM */
	GP_ITEM_MAX
};
/* Stacking order, bottom to top. */
#define GP_N_STACK 15
extern const int gp_stack_order[GP_N_STACK];
const char *gp_item_color(int item);
const char *gp_item_name(int item);
/* The name inside a bar segment: short. */
const char *gp_item_short(int item);
const char *gp_item_density(int item);
const char *gp_item_border(int item);
/* K, iname, icol, idens, ibord for items[0..n-1]. */
void gp_items(FILE *f, const int *items, int n);

/* "OOM: 8898 MiB compute layer 3 (free 120 MiB)". */
void gp_oom_text(char *buf, size_t n, const struct sim_oom *o);
const char *gp_mib(char *buf, size_t n, uint64_t bytes);
uint64_t gp_sat_add(uint64_t a, uint64_t b);
uint64_t gp_sum_used(const uint64_t *used);

#endif
