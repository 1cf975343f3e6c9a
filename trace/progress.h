/*
 * progress.h - a progress line on stderr for work longer than a second:
 * only when stderr is a terminal, at most six redraws a second, never
 * with -q (cli_quiet). Results stay on stdout, untouched.
 */
#ifndef VRAMSIM_PROGRESS_H
#define VRAMSIM_PROGRESS_H

#include <stdint.h>

struct progress;

/* Start a progress line for what ("replay"); total 0 if unknown.
 * Returns NULL when no progress should be shown (all calls accept NULL). */
struct progress *progress_start(const char *what, uint64_t total);
/* done units so far; cheap when nothing is drawn (checks the clock). */
void progress_update(struct progress *p, uint64_t done);
/* Erase the line and free p. */
void progress_end(struct progress *p);

#endif
