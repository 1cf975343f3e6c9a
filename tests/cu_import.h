/*
 * cu_import.h - what the importer tests share (test_kineto.c,
 * test_nsys.c, test_torch_import.c): import a file quietly, read back
 * what landed in the store, and check a refusal left nothing behind.
 * Failures are CUnit assertions in the calling test.
 */
#ifndef VRAMSIM_CU_IMPORT_H
#define VRAMSIM_CU_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "imp.h"
#include "store.h"

/* Import path with options o (quiet forced); on success exactly one new
 * trace, its id in *trace. Returns imp_file's code. */
int cu_import_opts(struct store *st, const char *path, const struct imp_opts *o,
		   int64_t *trace, char **cause);
/* The same with only a format (NULL: detected). */
int cu_import(struct store *st, const char *path, const char *format, int64_t *trace,
	      char **cause);
/* An integer setting of trace tr, asserted to be set (-1 if not). */
int64_t cu_setting(struct store *st, int64_t tr, const char *key);
/* A text setting (free it), asserted to be set (NULL if not). */
char *cu_setting_text(struct store *st, int64_t tr, const char *key);
/* 1 when setting key of tr is want; says what it was otherwise. */
int cu_setting_is(struct store *st, int64_t tr, const char *key, const char *want);
/* Events of kind in trace tr. */
int64_t cu_n_kind(struct store *st, int64_t tr, int kind);
/* Traces in the store. */
size_t cu_n_traces(struct store *st);
/* Importing path as format is refused as bad input (UTIL_EINPUT) with a
 * message holding part (and part2 when not NULL), and the store has no
 * new trace and no new event. */
void cu_refused(struct store *st, const char *path, const char *format, const char *part,
		const char *part2);

#endif
