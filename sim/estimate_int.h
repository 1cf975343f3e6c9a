/*
 * estimate_int.h - what the two files of the estimate module share
 * (estimate.c: the rows; estimate_logged.c: a logged Ollama estimate
 * emulated). Not part of the module's interface (estimate.h).
 */
#ifndef VRAMSIM_ESTIMATE_INT_H
#define VRAMSIM_ESTIMATE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "topo.h"

#define OLLAMA_MIN_MEMORY (457ull << 20) /* discover/gpu.go cudaMinimumMemory */

/* Options after "engine:" */
struct estimate_opts {
	char quant[16], arch[16];
	uint64_t ff, head_k, head_v, swa, swa_period, batch;
	uint64_t projector, projector_graph, overhead;
	uint64_t free[TOPO_MAX_GPUS]; /* free=A[/B/...]: one size, or one per GPU */
	int n_free;
	int num_gpu;               /* Ollama's num_gpu request; -1 automatic */
};

/* A growing text (malloc'd s, owned by whoever takes it). */
struct estimate_buf {
	char *s;
	size_t n, cap;
};

/* Append printf-style text to b. */
void estimate_printf(struct estimate_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Split "name:key=value,..." into name (size name_n) and *o; UTIL_EINPUT
 * naming the option on a bad one. */
int estimate_opts_parse(const char *spec, char *name, size_t name_n, struct estimate_opts *o, char **cause);

/* Append ,"ollama_ps":{...} for a total and its VRAM part. */
void estimate_ps_json(struct estimate_buf *j, uint64_t total, uint64_t vram);

#endif
