/*
 * imp.c - the import driver: map the file, pick the format, run the
 * importer inside one transaction. imp_buffer does all but the mapping so
 * that the fuzz targets can drive every importer from memory.
 */
#include "imp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Detection order matters only for ties; binary formats first. */
const struct imp_format imp_formats[] = {
	{ "vrt", "native vramsim trace (.vrt.zst) written by libvramtrace.so",
	  imp_vrt_detect, imp_vrt_run },
	{ "gguf", "GGUF model header (llama.cpp model file): stores a model profile",
	  imp_gguf_detect, imp_gguf_run },
	{ "torch", "PyTorch CUDA memory snapshot pickle (torch.cuda.memory._dump_snapshot)",
	  imp_torch_detect, imp_torch_run },
	{ "nsys", "Nsight Systems SQLite export with CUDA_GPU_MEMORY_USAGE_EVENTS",
	  imp_nsys_detect, imp_nsys_run },
	{ "kineto", "PyTorch profiler / Kineto Chrome trace JSON (.json, .json.gz) [memory] events",
	  imp_kineto_detect, imp_kineto_run },
	{ "llamalog", "llama.cpp / Ollama / ik_llama.cpp server log (buffer sizes, estimates)",
	  imp_llamalog_detect, imp_llamalog_run },
	{ NULL, NULL, NULL, NULL },
};

const struct imp_format *imp_format_find(const char *name)
{
	for (const struct imp_format *f = imp_formats; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

int imp_trace_new(struct imp_ctx *ctx, const char *format, int run,
		  int64_t *id, char **cause)
{
	if (ctx->n_traces >= (int)UTIL_ARRAY_SIZE(ctx->traces))
		return util_err(cause, UTIL_EINPUT, "%s: more than %zu runs in one file",
				ctx->path, UTIL_ARRAY_SIZE(ctx->traces));
	/* --name names the first run; later runs get name#2, name#3. */
	const char *name = ctx->name;
	char *owned = NULL;
	if (name && run > 1)
		name = owned = util_xasprintf("%s#%d", ctx->name, run);
	int rc = store_trace_new(ctx->st, name, ctx->base, format, ctx->path, run, id, cause);
	free(owned);
	if (rc)
		return rc;
	if ((rc = store_archive(ctx->st, *id, ctx->base, ctx->data, ctx->len, cause)))
		return rc;
	ctx->traces[ctx->n_traces++] = *id;
	return 0;
}

void imp_warn(struct imp_ctx *ctx, const char *fmt, ...)
{
	ctx->n_warnings++;
	if (ctx->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "vramsim: warning: %s: ", ctx->path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int imp_buffer(struct store *st, const char *name, const unsigned char *data,
	       size_t len, const struct imp_opts *o, struct imp_ctx *res, char **cause)
{
	memset(res, 0, sizeof(*res));
	if (len == 0)
		return util_err(cause, UTIL_EINPUT, "%s: empty file, nothing to import", name);
	const struct imp_format *fmt = NULL;
	int rc;
	if (o->format) {
		fmt = imp_format_find(o->format);
		if (!fmt)
			return util_err(cause, UTIL_EINPUT,
					"unknown format '%s' (see 'vramsim import --help')", o->format);
	} else {
		int best = 0;
		for (const struct imp_format *f = imp_formats; f->name; f++) {
			int score = f->detect(data, len, name);
			if (score > best) {
				best = score;
				fmt = f;
			}
		}
		if (!fmt)
			return util_err(cause, UTIL_EINPUT,
					"%s: unknown format: expected a llama.cpp/Ollama log, GGUF, "
					".vrt.zst trace, PyTorch snapshot, Kineto JSON or nsys SQLite export",
					name);
	}
	res->st = st;
	res->path = name;
	res->base = base_name(name);
	res->name = o->name;
	res->data = data;
	res->len = len;
	res->strict = o->strict;
	res->quiet = o->quiet;
	res->label_rules = o->label_rules;
	if ((rc = store_begin(st, cause)) == 0) {
		rc = fmt->run(res, cause);
		if (rc == 0)
			rc = store_commit(st, cause);
		if (rc != 0)
			store_rollback(st);
	}
	/* The bytes are the caller's: res must not outlive them. */
	res->data = NULL;
	if (rc != 0) {
		free(res->summary);
		res->summary = NULL;
		if (cause && !*cause)
			*cause = util_xasprintf("%s: import failed", name);
	}
	return rc;
}

int imp_file(struct store *st, const char *path, const struct imp_opts *o,
	     struct imp_ctx *res, char **cause)
{
	memset(res, 0, sizeof(*res));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return util_err(cause, UTIL_EINPUT, "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return util_err(cause, UTIL_EINPUT, "%s: not a regular file", path);
	}
	/* mmap refuses a zero length; imp_buffer gives the message. */
	if (sb.st_size == 0) {
		close(fd);
		return imp_buffer(st, path, NULL, 0, o, res, cause);
	}
	size_t len = (size_t)sb.st_size;
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return util_err(cause, UTIL_ERR, "%s: mmap: %s", path, strerror(errno));
	int rc = imp_buffer(st, path, map, len, o, res, cause);
	munmap(map, len);
	return rc;
}
