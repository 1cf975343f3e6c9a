/*
 * model_src.h - a model from anything a user has, as a GGUF file the
 * engine (llama.cpp) can load: one spec string in, a readable path out.
 *
 *   PATH              a GGUF file, or any part of a split one
 *                     (NAME-00001-of-00003.gguf: every part is found and
 *                     checked; the path handed on is part 1's, from which
 *                     llama.cpp finds the others)
 *   ollama:NAME       a model in Ollama's local store (import/ollama.h);
 *                     its projector and num_ctx come along
 *   store:PROFILE     a model imported before (`vramsim import m.gguf`):
 *                     a profile id or name whose GGUF headers the store
 *                     keeps; re-created as sparse files
 *   model:KEY=V,...   hyper-parameters (import/gguf_synth.h); a spec with
 *                     '=' that is not an existing file is read the same
 * Re-created and synthesised files hold the header and then a hole up to
 * the model's logical size (llama.cpp checks tensor offsets against the
 * file size; with no_alloc it never reads the data): a 70B takes a few
 * MB of disk. They live in a private directory (mode 0700) under $TMPDIR
 * (else /tmp) that msrc_close removes.
 */
#ifndef VRAMSIM_MODEL_SRC_H
#define VRAMSIM_MODEL_SRC_H

#include <stdint.h>

#include "store.h"

/* Ownership: every pointer is malloc'd and owned by the struct. */
struct msrc {
	char    *gguf;       /* the path to load (part 1 of a split model) */
	char    *mmproj;     /* the vision projector, or NULL */
	char    *desc;       /* one line: what the model is and where it came from */
	uint32_t num_ctx;    /* the context Ollama's params set, 0 if none */
	uint64_t file_size;  /* logical bytes of the model (all parts) */
	int      sparse;     /* 1: gguf is a header-only copy made here */
	char    *tmpdir;     /* the private directory to remove, or NULL */
	char   **files;      /* files made in tmpdir */
	int      n_files;
};

/*
 * Resolve spec (forms above) with st (may be NULL: then store: specs are
 * refused) and mmproj (a --mmproj path or NULL; it overrides Ollama's
 * projector, and the description says so). Every GGUF is read and
 * checked before it is handed on. Returns 0 with *out filled, or
 * UTIL_EINPUT with *cause (malloc'd) naming the spec, file or key, and
 * for an Ollama name the places looked; UTIL_ERR for I/O. Nothing is
 * written to the store; on error nothing is left in the temp directory.
 */
int msrc_open(struct store *st, const char *spec, const char *mmproj, struct msrc *out,
	      char **cause);

/*
 * The model's profile (per-layer sizes and hyper-parameters) from m's
 * GGUF, for the formula model where the engine is absent. *p is the
 * caller's (profile_clear). 0 or a UTIL_* code with *cause.
 */
int msrc_profile(const struct msrc *m, struct profile *p, char **cause);

/* Remove the files made and free everything. NULL-safe, idempotent. */
void msrc_close(struct msrc *m);

#endif
