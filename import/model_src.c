/*
 * model_src.c - one spec string to one loadable GGUF path (model_src.h).
 */
#include "model_src.h"
#include "gguf_split.h"
#include "gguf_synth.h"
#include "ollama_store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MSRC_MAX_SIZE (1ull << 50)  /* a logical model size past 1 PiB is damage */

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Check a GGUF (all parts) and fill the model's path and size. */
static int check_gguf(const char *path, char **first, uint64_t *size, size_t *n_parts,
		      char **arch, char **cause)
{
	struct gguf_split set;
	int rc = gguf_split_open(path, &set, cause);
	if (rc)
		return rc;
	if (first)
		*first = util_xstrdup(set.parts[0].path);
	if (size)
		*size = set.profile.file_size;
	if (n_parts)
		*n_parts = set.n;
	if (arch)
		*arch = util_xasprintf("%s, %u layers", set.profile.arch[0] ? set.profile.arch
					: "unknown architecture", set.profile.n_layer);
	gguf_split_close(&set);
	return 0;
}

/* ---- the private directory ---- */

static int make_tmpdir(struct msrc *m, char **cause)
{
	const char *t = getenv("TMPDIR");
	char *dir = util_xasprintf("%s/vramsim-model-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		int rc = util_err(cause, UTIL_ERR, "%s: cannot make a private directory: %s", dir,
				  strerror(errno));
		free(dir);
		return rc;
	}
	m->tmpdir = dir;
	return 0;
}

/* Write header bytes as tmpdir/name, then extend the file to size with a
 * hole (ftruncate: no data blocks). */
static int write_sparse(struct msrc *m, const char *name, const unsigned char *hdr, size_t len,
			uint64_t size, char **path_out, char **cause)
{
	char *path = util_xasprintf("%s/%s", m->tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = 0;
	if (fd < 0) {
		rc = util_err(cause, UTIL_ERR, "%s: cannot create: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	m->files = util_xrealloc(m->files, (size_t)(m->n_files + 1) * sizeof(*m->files));
	m->files[m->n_files++] = path;
	size_t done = 0;
	while (rc == 0 && done < len) {
		ssize_t w = write(fd, hdr + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = util_err(cause, UTIL_ERR, "%s: write: %s", path, strerror(errno));
		else
			done += (size_t)w;
	}
	if (rc == 0 && ftruncate(fd, (off_t)size) != 0)
		rc = util_err(cause, UTIL_ERR, "%s: cannot extend to %llu bytes: %s", path,
			      (unsigned long long)size, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = util_err(cause, UTIL_ERR, "%s: close: %s", path, strerror(errno));
	if (rc == 0 && path_out)
		*path_out = path;
	return rc;
}

/* ---- the sources ---- */

static int from_path(const char *spec, struct msrc *m, char **cause)
{
	size_t parts = 0;
	char *what = NULL;
	int rc = check_gguf(spec, &m->gguf, &m->file_size, &parts, &what, cause);
	if (rc)
		return rc;
	if (parts > 1)
		m->desc = util_xasprintf("%s (%s; split in %zu parts, all found and checked)",
					 m->gguf, what, parts);
	else
		m->desc = util_xasprintf("%s (%s)", m->gguf, what);
	free(what);
	return 0;
}

/*
 * Architectures Ollama runs in its own engine (ml/backend/ggml, its own
 * graph and KV cache) rather than llama.cpp's: OllamaEngineRequired in
 * ollama fs/ggml/ggml.go (the list as of 2026; it grew with every
 * release from gemma3 and mistral3 in v0.6; its bert and nomic-bert rows
 * are embedding models, left out). For those, llama.cpp's plan of the
 * same file is not what Ollama allocates, and the description says so.
 */
static int ollama_engine_arch(const char *what)
{
	static const char *const archs[] = {
		"deepseek2", "deepseekocr", "gemma3", "gemma3n", "gemma4", "gptoss", "gpt-oss",
		"llama4", "mistral3", "mllama", "nemotron_h", "nemotron_h_moe", "olmo3",
		"qwen25vl", "qwen3", "qwen3moe", "qwen35", "qwen35moe", "qwen3next", "qwen3vl",
		"qwen3vlmoe", "glm4moelite", "glmocr", "lfm2", "lfm2moe",
	};
	size_t n = strcspn(what, ",");
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++)
		if (strlen(archs[i]) == n && strncmp(archs[i], what, n) == 0)
			return 1;
	return 0;
}

static int from_ollama(const char *name, struct msrc *m, char **cause)
{
	struct ollstore_model om;
	int rc = ollstore_find(name, &om, cause);
	if (rc)
		return rc;
	char *what = NULL;
	rc = check_gguf(om.model, &m->gguf, &m->file_size, NULL, &what, cause);
	if (rc == 0 && om.projector)
		rc = check_gguf(om.projector, &m->mmproj, NULL, NULL, NULL, cause);
	if (rc == 0) {
		m->num_ctx = om.num_ctx;
		char ctx[48] = "";
		if (om.num_ctx)
			snprintf(ctx, sizeof(ctx), "; num_ctx %u from its params", om.num_ctx);
		char own[160] = "";
		if (ollama_engine_arch(what))
			snprintf(own, sizeof(own), "; Ollama runs %.*s in its own engine, not llama.cpp: this is "
				 "llama.cpp's plan of the same file", (int)strcspn(what, ","), what);
		m->desc = util_xasprintf("ollama:%s = %s (%s; manifest %s%s%s%s)", name, om.ref, what,
					 om.manifest, om.projector ? "; with its vision projector"
					 : "", ctx, own);
	}
	free(what);
	ollstore_model_clear(&om);
	return rc;
}

/* A profile reference: an id, else a name or source path. */
static int find_profile(struct store *st, const char *ref, int64_t *id, char **cause)
{
	char *end;
	errno = 0;
	long long v = strtoll(ref, &end, 10);
	if (*ref && !*end && !errno && v > 0) {
		*id = v;
		return 0;
	}
	int rc = store_profile_find(st, ref, id, cause);
	if (rc == 0 && *id == 0)
		rc = util_err(cause, UTIL_EINPUT, "store:%s: no profile of that id, name or file in "
			      "the store (`vramsim import MODEL.gguf` adds one)", ref);
	return rc;
}

static int from_store(struct store *st, const char *ref, struct msrc *m, char **cause)
{
	if (!st)
		return util_err(cause, UTIL_EINPUT, "store:%s: no store to read the model from", ref);
	int64_t id = 0;
	int rc = find_profile(st, ref, &id, cause);
	struct store_gguf_header *h = NULL;
	size_t n = 0;
	if (rc == 0)
		rc = store_gguf_headers_get(st, id, &h, &n, cause);
	if (rc == 0 && n == 0)
		rc = util_err(cause, UTIL_EINPUT, "store:%s: profile %lld has no GGUF header in the "
			      "store (it came from a log, or from a store before schema 3: import "
			      "the GGUF again)", ref, (long long)id);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (h[i].part != (int)i || h[i].file_size < h[i].len ||
		    h[i].file_size > MSRC_MAX_SIZE)
			rc = util_err(cause, UTIL_EINPUT, "store:%s: the GGUF header of part %d is "
				      "damaged (part number or file size)", ref, h[i].part);
	if (rc == 0)
		rc = make_tmpdir(m, cause);
	char *first = NULL;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* Split parts must be named as llama.cpp looks for them. */
		char *name = n > 1 ? util_xasprintf("model-%05zu-of-%05zu.gguf", i + 1, n)
				   : util_xstrdup("model.gguf");
		char *path = NULL;
		rc = write_sparse(m, name, h[i].data, h[i].len, h[i].file_size, &path, cause);
		if (rc == 0 && i == 0)
			first = path;
		free(name);
	}
	char *what = NULL;
	if (rc == 0)
		rc = check_gguf(first, &m->gguf, &m->file_size, NULL, &what, cause);
	if (rc == 0) {
		/* The name comes from a store file: no control bytes on a terminal. */
		for (char *c = h[0].filename; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		m->sparse = 1;
		m->desc = util_xasprintf("store:%s = profile %lld, %s as imported (%s; header from "
					 "the store, data a hole)", ref, (long long)id,
					 h[0].filename, what);
	}
	free(what);
	store_gguf_headers_free(h, n);
	return rc;
}

static int from_params(const char *spec, struct msrc *m, char **cause)
{
	struct gguf_synth_params p;
	int rc = gguf_synth_parse(spec, &p, cause);
	int chosen = p.ftype < 0;
	unsigned char *hdr = NULL;
	size_t len = 0;
	uint64_t size = 0;
	if (rc == 0)
		rc = gguf_synth_build(&p, &hdr, &len, &size, cause);
	if (rc == 0)
		rc = make_tmpdir(m, cause);
	char *path = NULL;
	if (rc == 0)
		rc = write_sparse(m, "model.gguf", hdr, len, size, &path, cause);
	char *what = NULL;
	if (rc == 0)
		rc = check_gguf(path, &m->gguf, &m->file_size, NULL, &what, cause);
	if (rc == 0) {
		m->sparse = 1;
		m->desc = util_xasprintf("synthesised %s %s header-only GGUF from --model %s (%s; "
					 "%.2f GB logical, %.1f MB header; tensor types by llama.cpp's "
					 "quantizer rules%s)", p.arch, gguf_synth_ftype_name(p.ftype),
					 spec, what, (double)size / 1e9, (double)len / 1e6,
					 chosen ? "; the file type nearest to the size given" : "");
	}
	free(what);
	free(hdr);
	return rc;
}

/* A --model spec: "model:" or key=value pairs that are not a file. */
static int is_params(const char *spec)
{
	struct stat sb;
	return strchr(spec, '=') && stat(spec, &sb) != 0;
}

int msrc_open(struct store *st, const char *spec, const char *mmproj, struct msrc *out,
	      char **cause)
{
	memset(out, 0, sizeof(*out));
	int rc;
	if (starts(spec, "ollama:"))
		rc = from_ollama(spec + 7, out, cause);
	else if (starts(spec, "store:"))
		rc = from_store(st, spec + 6, out, cause);
	else if (starts(spec, "model:"))
		rc = from_params(spec + 6, out, cause);
	else if (is_params(spec))
		rc = from_params(spec, out, cause);
	else
		rc = from_path(spec, out, cause);
	if (rc == 0 && mmproj) {
		char *proj = NULL;
		rc = check_gguf(mmproj, &proj, NULL, NULL, NULL, cause);
		if (rc == 0) {
			char *d = util_xasprintf("%s; projector %s%s", out->desc, proj,
						 out->mmproj ? " (--mmproj, instead of the model's own)"
						 : " (--mmproj)");
			free(out->desc);
			out->desc = d;
			free(out->mmproj);
			out->mmproj = proj;
		}
	}
	if (rc)
		msrc_close(out);
	return rc;
}

int msrc_profile(const struct msrc *m, struct profile *p, char **cause)
{
	struct gguf_split set;
	int rc = gguf_split_open(m->gguf, &set, cause);
	if (rc)
		return rc;
	*p = set.profile; /* the parts move to the caller */
	memset(&set.profile, 0, sizeof(set.profile));
	gguf_split_close(&set);
	return 0;
}

void msrc_close(struct msrc *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n_files; i++) {
		unlink(m->files[i]);
		free(m->files[i]);
	}
	free(m->files);
	if (m->tmpdir)
		rmdir(m->tmpdir);
	free(m->tmpdir);
	free(m->gguf);
	free(m->mmproj);
	free(m->desc);
	memset(m, 0, sizeof(*m));
}
