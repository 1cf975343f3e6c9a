/*
 * ollama_store.h - a model in Ollama's local store, by the name `ollama run`
 * takes: [HOST/][NAMESPACE/]NAME[:TAG] (defaults registry.ollama.ai,
 * library, latest), e.g. llama3.3:70b or hf.co/bartowski/x:Q4_K_M.
 *
 * Layout (Ollama server/internal/manifest and types/model/name.go, as
 * stored on disk): under the models directory ($OLLAMA_MODELS, else
 * ~/.ollama/models, and for the Linux service /usr/share/ollama/.ollama/
 * models), manifests/HOST/NAMESPACE/NAME/TAG is a JSON manifest whose
 * "layers" each have a mediaType, a digest "sha256:HEX" and a size; the
 * layer's bytes are blobs/sha256-HEX. mediaTypes used here:
 *   application/vnd.ollama.image.model      the GGUF model
 *   application/vnd.ollama.image.projector  the vision projector (GGUF)
 *   application/vnd.ollama.image.params     JSON runtime parameters
 *                                           (num_ctx, ...)
 * Manifests and params are hostile input: bounded in size and checked
 * field by field; names are checked so that no part can leave the
 * models directory.
 */
#ifndef VRAMSIM_OLLAMA_STORE_H
#define VRAMSIM_OLLAMA_STORE_H

#include <stddef.h>
#include <stdint.h>

#define OLLAMA_MAX_MANIFEST (1u << 20) /* bytes; real ones are < 4 KiB */
#define OLLAMA_MAX_PARAMS   (64u << 10)
#define OLLAMA_MAX_LAYERS   256

/* A parsed model name. */
struct ollstore_ref {
	char host[256], ns[128], name[128], tag[128];
};

/* Parse a name (without the "ollama:" prefix). Returns 0 or UTIL_EINPUT
 * naming the part that is empty, too long, or holds a character Ollama
 * names never have (only letters, digits, '_', '-' and '.', not starting
 * with '.'; the host may also hold one ':' port). */
int ollstore_ref_parse(const char *s, struct ollstore_ref *r, char **cause);

/* What a manifest points at: hex digests (64 chars) or "" if absent. */
struct ollstore_manifest {
	char     model[65], projector[65], params[65];
	uint64_t model_size, projector_size, params_size;
	int      n_layers;
};

/* Parse a manifest's bytes; path names it in messages. Returns 0 or
 * UTIL_EINPUT naming the file and the field: not JSON, over the size or
 * layer limits, no model layer, two model or projector layers, a digest
 * that is not "sha256:" and 64 hex digits, a negative or fractional size. */
int ollstore_manifest_parse(const char *data, size_t len, const char *path,
			  struct ollstore_manifest *m, char **cause);

/* Parse a params blob: *num_ctx is its "num_ctx" (0 if absent). */
int ollstore_params_parse(const char *data, size_t len, const char *path, uint32_t *num_ctx,
			char **cause);

/* A model found in the store. Ownership: the strings are malloc'd and
 * owned here; ollstore_model_clear frees them. */
struct ollstore_model {
	char *ref;        /* "registry.ollama.ai/library/llama3.3:70b" */
	char *manifest;   /* path of the manifest used */
	char *model;      /* path of the model blob */
	char *projector;  /* path of the projector blob, or NULL */
	uint32_t num_ctx; /* from the params layer, 0 if none */
};

/*
 * Find name in the models directories (in the order above; $OLLAMA_MODELS
 * alone when it is set, as Ollama does). Returns 0, or UTIL_EINPUT with
 * *cause listing every manifest path looked at when none holds the name,
 * or naming the manifest or blob that is bad (missing, or a size that
 * is not the manifest's: an interrupted pull).
 */
int ollstore_find(const char *name, struct ollstore_model *out, char **cause);
void ollstore_model_clear(struct ollstore_model *m);

#endif
