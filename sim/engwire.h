/*
 * engwire.h - the line protocol between vramsim and its engine planner
 * process (build/engine/vramsim-engine).
 *
 * One message is one line: a verb, then space-separated key=value fields.
 * Values are percent-encoded (%XX) where they hold a space, '%', '=', a
 * control byte or a non-ASCII byte, so any path fits in a field. Plain C,
 * no allocation in the parser: both sides link this file.
 */
#ifndef VRAMSIM_ENGWIRE_H
#define VRAMSIM_ENGWIRE_H

#include <stdio.h>

#define ENGWIRE_MAX_FIELDS 64

struct engwire_kv {
	char *key;
	char *val;
};

/* Write " key=value" (value encoded) to f. */
void engwire_put(FILE *f, const char *key, const char *val);
/* Write " key=<printf result>" (encoded). */
void engwire_putf(FILE *f, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Split line (modified in place; a trailing newline is dropped) into its
 * verb and up to max fields, decoding values. Returns the number of fields,
 * or -1 when a field has no '=' or a bad escape, or there are more than max. */
int engwire_split(char *line, char **verb, struct engwire_kv *kv, int max);

/* The value of key among n fields, or NULL. */
const char *engwire_get(const struct engwire_kv *kv, int n, const char *key);

#endif
