/*
 * stamp.h - what the planner works out at every start and may keep for
 * the next: a verdict (the golden self-plan passed; which ggml CPU
 * variant this CPU loads) stored under a key made of the identity of
 * every file the verdict depends on (device, inode, size, modification
 * and change times, in nanoseconds) and of the facts it was drawn from
 * (the CPU's flags, library versions). A rebuilt, replaced, copied or
 * touched library gives another key: the verdict is not found and the
 * work is done again, so nothing is skipped for files it was not made on.
 *
 * Where: $VRAMSIM_ENGINE_CACHE (empty: no cache); else cache/ beside the
 * planner when that folder is writable (build/engine/cache); else
 * $XDG_CACHE_HOME/vramsim, $HOME/.cache/vramsim; else none, and every
 * start does the work. One small file per kind and library folder,
 * replaced atomically (concurrent planners are safe).
 */
#ifndef VRAMSIM_STAMP_H
#define VRAMSIM_STAMP_H

#include <stddef.h>

#define STAMP_MAX 16384

struct stamp {
	char kind[32];       /* "selfcheck", "backends": the file's name */
	char scope[512];     /* the library folder it concerns */
	char key[STAMP_MAX]; /* newline-separated facts */
	size_t len;
	int bad;             /* a fact could not be had or did not fit: no cache */
};

/* Start a key for kind (a short word) about the library folder scope. */
void stamp_init(struct stamp *s, const char *kind, const char *scope);
/* Add a labelled fact. */
void stamp_text(struct stamp *s, const char *label, const char *text);
/* Add a file's identity; a file that cannot be stat'ed spoils the key. */
void stamp_file(struct stamp *s, const char *path);
/* Add every shared object mapped into this process and the executable. */
void stamp_loaded(struct stamp *s);
/* The value stored under exactly this key: 0 and val (size n), or -1. */
int stamp_get(const struct stamp *s, char *val, size_t n);
/* Store val (one line) under this key; failures are silent (no cache). */
void stamp_put(const struct stamp *s, const char *val);

#endif
