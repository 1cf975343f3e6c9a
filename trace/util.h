/*
 * util.h - small helpers shared by every stage of vramsim: checked
 * allocation, heap-allocated error messages and growable arrays.
 *
 * Error convention (one for the whole project): library functions return
 * 0 on success or a negative UTIL_E* code, and where the caller needs to
 * know why, they set *cause to a heap string the caller must free().
 * Only command entry points print, as "vramsim: <context>: <cause>".
 * Messages are lowercase and carry no trailing full stop.
 */
#ifndef VRAMSIM_UTIL_H
#define VRAMSIM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

/* Error codes. Commands map UTIL_EINPUT to exit status 2, the rest to 1. */
enum {
	UTIL_ERR    = -1, /* runtime failure: I/O, SQLite, out of memory */
	UTIL_EINPUT = -2  /* bad input or usage: the user must change something */
};

/* malloc/calloc/realloc/strdup that abort with a message on exhaustion.
 * vramsim is a command-line tool: running out of memory is fatal. (The
 * shim never uses these: it must not abort its host process.) */
void *util_xmalloc(size_t n);
void *util_xcalloc(size_t nmemb, size_t size);
void *util_xrealloc(void *p, size_t n);
char *util_xstrdup(const char *s);
/* printf into a new heap string; the caller frees it. */
char *util_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *util_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * Set *cause (if cause is non-NULL and *cause is NULL) to a formatted
 * message and return code. A cause already set is kept: the innermost
 * failure is the most precise one. Use as `return util_err(cause,
 * UTIL_EINPUT, "line %d: ...", n);`.
 */
int util_err(char **cause, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Grow the array *pp of element size sz so that it holds at least need
 * elements; *alloc is its capacity and is updated. Amortised doubling.
 */
void util_grow(void *pp, size_t sz, size_t need, size_t *alloc);
#define UTIL_GROW(arr, need, alloc) \
	util_grow(&(arr), sizeof(*(arr)), (need), &(alloc))

/* Read a whole file into a new buffer (NUL-terminated; *len excludes the
 * NUL). Returns 0, or UTIL_ERR with *cause naming the file. */
int util_read_file(const char *path, char **buf, size_t *len, char **cause);

/* Monotonic and wall clocks in ns. */
int64_t util_now_ns(void);
int64_t util_wall_ns(void);

/* Format a byte count as MiB with the given decimals into buf (size n). */
const char *util_mib(char *buf, size_t n, uint64_t bytes, int decimals);

/* Write s as a JSON string literal, quoted and escaped; bytes that are
 * not valid UTF-8 become U+FFFD (labels come from any log); NULL writes
 * null. */
void util_json_str(FILE *f, const char *s);

/*
 * The one UTF-8 decoder: the length (1-4) of the valid sequence at s
 * with its code point in *cp (cp may be NULL), or 0 when s does not
 * start one (RFC 3629).
 */
int util_utf8_len(const char *s, uint32_t *cp);
/* Is cp a control character (C0, DEL, C1)? */
int util_is_control(uint32_t cp);

/*
 * s made safe for a terminal into buf (size n, always NUL-terminated,
 * cut at a character boundary): control characters and bytes that are
 * not UTF-8 are written as escapes (\n, \t, \x1b, \u009b), so a name
 * taken from input can neither move the cursor nor change the terminal.
 * Returns buf. util_term_xstr() returns a new string (the caller frees).
 */
char *util_term_str(char *buf, size_t n, const char *s);
char *util_term_xstr(const char *s);
/* Characters (code points; a bad byte counts one) in s: its width in a
 * terminal for the scripts vramsim's names use. */
size_t util_utf8_width(const char *s);

/* The folder of the running executable (malloc'd), NULL if unknown. */
char *util_exe_dir(void);
/*
 * A path of the installed tree found from the running binary, so a tree
 * installed with DESTDIR, or moved, finds its own files: rel is relative
 * to the binary's folder (the Makefile's VRAMSIM_*_REL, "../share/...")
 * or absolute. malloc'd; NULL if the binary's folder is unknown.
 */
char *util_installed_path(const char *rel);

#define UTIL_MIB (1024.0 * 1024.0)
#define UTIL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
