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
#include <zlib.h>
#include <zstd.h>

#include "progress.h"

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

/* ---- reading the input: files, streams, compressed files ---- */

uint64_t imp_max_input(void)
{
	const char *e = getenv("VRAMSIM_MAX_INPUT");
	char *end;
	if (e && *e) {
		unsigned long long v = strtoull(e, &end, 10);
		if (!*end && v > 0)
			return v;
	}
	return IMP_MAX_INPUT;
}

/* An unlinked temporary file to spool a stream into; -1 and *cause. */
static int spool_open(char **cause)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl = util_xasprintf("%s/vramsim-import-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(tmpl);
	if (fd < 0)
		util_err(cause, UTIL_ERR, "cannot create a temporary file in %s: %s",
			 dir && *dir ? dir : "/tmp", strerror(errno));
	else
		unlink(tmpl);
	free(tmpl);
	return fd;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *b = buf;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static const char *compressed_kind(const unsigned char *d, size_t n)
{
	if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		return "gzip";
	if (n >= 4 && d[0] == 0x28 && d[1] == 0xb5 && d[2] == 0x2f && d[3] == 0xfd)
		return "zstd";
	return NULL;
}

/*
 * Inflate data (gzip, or zstd frames) into an unlinked temporary file and
 * map it. The inflated size is capped at imp_max_input() bytes whatever
 * the ratio (a few KB of zeros inflate to gigabytes), and the error says
 * so. On success *out and *olen are the mapping (munmap it).
 */
static int inflate_to_map(const char *name, const char *kind, const unsigned char *data,
			  size_t len, void **out, size_t *olen, char **cause)
{
	int fd = spool_open(cause);
	if (fd < 0)
		return UTIL_ERR;
	uint64_t cap = imp_max_input(), total = 0;
	size_t chunk = 1 << 20;
	unsigned char *buf = util_xmalloc(chunk);
	struct progress *pg = progress_start("inflating", len);
	int rc = 0;
	if (kind[0] == 'g') {
		z_stream zs;
		memset(&zs, 0, sizeof(zs));
		if (inflateInit2(&zs, 15 + 16) != Z_OK)
			rc = util_err(cause, UTIL_ERR, "zlib: inflateInit2 failed");
		size_t pos = 0;
		while (!rc) {
			uInt in_now = len - pos > (1u << 30) ? 1u << 30 : (uInt)(len - pos);
			zs.next_in = (Bytef *)data + pos;
			zs.avail_in = in_now;
			zs.next_out = buf;
			zs.avail_out = (uInt)chunk;
			int z = inflate(&zs, Z_NO_FLUSH);
			pos += in_now - zs.avail_in;
			size_t made = chunk - zs.avail_out;
			if (z != Z_OK && z != Z_STREAM_END && !(z == Z_BUF_ERROR && made)) {
				rc = util_err(cause, UTIL_EINPUT, "%s: corrupt gzip data after %zu bytes "
					      "(inflated %llu)", name, pos, (unsigned long long)total);
				break;
			}
			total += made;
			if (total > cap) {
				rc = util_err(cause, UTIL_EINPUT, "%s: gzip data inflates past %llu bytes, "
					      "the limit of one input (VRAMSIM_MAX_INPUT)", name,
					      (unsigned long long)cap);
				break;
			}
			if (made && write_all(fd, buf, made)) {
				rc = util_err(cause, UTIL_ERR, "%s: writing the inflated copy: %s", name,
					      strerror(errno));
				break;
			}
			progress_update(pg, pos);
			if (z == Z_STREAM_END) {
				/* concatenated members, as gzip reads them */
				if (pos >= len)
					break;
				inflateReset(&zs);
			} else if (!made && pos >= len) {
				rc = util_err(cause, UTIL_EINPUT, "%s: gzip data ends early (truncated "
					      "after %llu inflated bytes)", name, (unsigned long long)total);
			}
		}
		inflateEnd(&zs);
	} else {
		ZSTD_DStream *zd = ZSTD_createDStream();
		ZSTD_inBuffer in = { data, len, 0 };
		size_t last = 1;
		while (!rc && (in.pos < in.size)) {
			ZSTD_outBuffer ob = { buf, chunk, 0 };
			last = ZSTD_decompressStream(zd, &ob, &in);
			if (ZSTD_isError(last)) {
				rc = util_err(cause, UTIL_EINPUT, "%s: corrupt zstd data: %s", name,
					      ZSTD_getErrorName(last));
				break;
			}
			total += ob.pos;
			if (total > cap) {
				rc = util_err(cause, UTIL_EINPUT, "%s: zstd data inflates past %llu bytes, "
					      "the limit of one input (VRAMSIM_MAX_INPUT)", name,
					      (unsigned long long)cap);
				break;
			}
			if (ob.pos && write_all(fd, buf, ob.pos)) {
				rc = util_err(cause, UTIL_ERR, "%s: writing the inflated copy: %s", name,
					      strerror(errno));
				break;
			}
			progress_update(pg, in.pos);
			if (!ob.pos && in.pos >= in.size)
				break;
		}
		/* frame not finished, or output still pending */
		while (!rc && last != 0) {
			ZSTD_outBuffer ob = { buf, chunk, 0 };
			last = ZSTD_decompressStream(zd, &ob, &in);
			if (ZSTD_isError(last) || (!ob.pos && last != 0)) {
				rc = util_err(cause, UTIL_EINPUT, "%s: zstd data ends early (truncated "
					      "after %llu inflated bytes)", name, (unsigned long long)total);
				break;
			}
			total += ob.pos;
			if (total > cap)
				rc = util_err(cause, UTIL_EINPUT, "%s: zstd data inflates past %llu bytes, "
					      "the limit of one input (VRAMSIM_MAX_INPUT)", name,
					      (unsigned long long)cap);
			else if (ob.pos && write_all(fd, buf, ob.pos))
				rc = util_err(cause, UTIL_ERR, "%s: writing the inflated copy: %s", name,
					      strerror(errno));
		}
		ZSTD_freeDStream(zd);
	}
	progress_end(pg);
	free(buf);
	if (!rc && total == 0)
		rc = util_err(cause, UTIL_EINPUT, "%s: empty file, nothing to import", name);
	if (!rc) {
		void *m = mmap(NULL, (size_t)total, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			rc = util_err(cause, UTIL_ERR, "%s: mmap: %s", name, strerror(errno));
		else {
			*out = m;
			*olen = (size_t)total;
		}
	}
	close(fd);
	return rc;
}

/*
 * Read a stream (stdin, a FIFO, a character device) to its end into an
 * unlinked temporary file, capped at imp_max_input() bytes, and map it.
 * *olen 0 (and no mapping) for an empty stream.
 */
static int spool_stream(int in, const char *name, void **out, size_t *olen, char **cause)
{
	int fd = spool_open(cause);
	if (fd < 0)
		return UTIL_ERR;
	uint64_t cap = imp_max_input(), total = 0;
	size_t chunk = 1 << 20;
	char *buf = util_xmalloc(chunk);
	struct progress *pg = progress_start("reading", 0);
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = util_err(cause, UTIL_EINPUT, "%s: read: %s", name, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > cap) {
			rc = util_err(cause, UTIL_EINPUT, "%s: longer than %llu bytes, the limit of one "
				      "input (VRAMSIM_MAX_INPUT)", name, (unsigned long long)cap);
			break;
		}
		if (write_all(fd, buf, (size_t)n)) {
			rc = util_err(cause, UTIL_ERR, "%s: writing a temporary copy: %s", name,
				      strerror(errno));
			break;
		}
		progress_update(pg, total);
	}
	progress_end(pg);
	free(buf);
	*out = NULL;
	*olen = 0;
	if (!rc && total) {
		void *m = mmap(NULL, (size_t)total, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			rc = util_err(cause, UTIL_ERR, "%s: mmap: %s", name, strerror(errno));
		else {
			*out = m;
			*olen = (size_t)total;
		}
	}
	close(fd);
	return rc;
}

/* Does an importer take data as it is (a .vrt.zst, a Kineto .json.gz)? */
static int raw_format(const unsigned char *data, size_t len, const char *name,
		      const struct imp_opts *o)
{
	if (o->format) {
		const struct imp_format *f = imp_format_find(o->format);
		return f && f->detect(data, len, name) > 0;
	}
	for (const struct imp_format *f = imp_formats; f->name; f++)
		if (f->detect(data, len, name) > 0)
			return 1;
	return 0;
}

/*
 * Open path for reading without ever blocking on a FIFO that has no
 * writer: O_NONBLOCK for the open, cleared afterwards so that reads wait
 * for data as usual (a FIFO with no writer reads as empty).
 */
static int open_input(const char *path, struct stat *sb, char **cause)
{
	if (strcmp(path, "-") == 0) {
		int fd = dup(0);
		if (fd < 0 || fstat(fd, sb) != 0) {
			if (fd >= 0)
				close(fd);
			return util_err(cause, UTIL_EINPUT, "standard input: %s", strerror(errno)), -1;
		}
		return fd;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return util_err(cause, UTIL_EINPUT, "%s: %s", path, strerror(errno)), -1;
	int fl = fcntl(fd, F_GETFL);
	if (fstat(fd, sb) != 0 || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		util_err(cause, UTIL_EINPUT, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(sb->st_mode)) {
		close(fd);
		return util_err(cause, UTIL_EINPUT, "%s: is a directory, not a file to import", path), -1;
	}
	return fd;
}

int imp_file(struct store *st, const char *path, const struct imp_opts *o,
	     struct imp_ctx *res, char **cause)
{
	memset(res, 0, sizeof(*res));
	struct stat sb;
	int fd = open_input(path, &sb, cause);
	if (fd < 0)
		return UTIL_EINPUT;
	const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
	void *map = NULL;
	size_t len = 0;
	int rc = 0;
	if (S_ISREG(sb.st_mode)) {
		/* a file is mapped, whatever its size: the page cache holds it */
		len = (size_t)sb.st_size;
		if (len) {
			map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
			if (map == MAP_FAILED) {
				map = NULL;
				rc = util_err(cause, UTIL_ERR, "%s: mmap: %s", name, strerror(errno));
			}
		}
	} else {
		/* stdin, a FIFO, a pipe, a character device: read to the end */
		rc = spool_stream(fd, name, &map, &len, cause);
	}
	close(fd);
	if (rc)
		return rc;
	/* gzip or zstd that no importer reads as it is: inflate it first */
	const char *kind = map ? compressed_kind(map, len) : NULL;
	if (kind && !raw_format(map, len, name, o)) {
		void *in = NULL;
		size_t ilen = 0;
		char *why = NULL;
		rc = inflate_to_map(name, kind, map, len, &in, &ilen, &why);
		if (rc && o->format) {
			/* --format names an importer: its own message on the
			 * bytes as they are (a corrupt .json.gz for kineto) */
			free(why);
			rc = 0;
		} else {
			munmap(map, len);
			if (rc) {
				if (cause)
					*cause = why;
				else
					free(why);
				return rc;
			}
			map = in;
			len = ilen;
		}
	}
	rc = imp_buffer(st, name, map, len, o, res, cause);
	if (map)
		munmap(map, len);
	return rc;
}
