/*
 * gguf_split.c - the parts of a (possibly split) GGUF model, mapped and
 * checked together.
 */
#include "gguf_split.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int gguf_split_name(const char *path, unsigned *no, unsigned *count, size_t *prefix_len)
{
	/* "-00001-of-00003.gguf" is 20 bytes. */
	size_t n = strlen(path);
	if (n < 21)
		return 0;
	const char *s = path + n - 20;
	unsigned a = 0, b = 0;
	for (int i = 0; i < 20; i++) {
		char c = s[i];
		int digit = (i >= 1 && i <= 5) || (i >= 10 && i <= 14);
		if (digit) {
			if (c < '0' || c > '9')
				return 0;
			if (i <= 5)
				a = a * 10 + (unsigned)(c - '0');
			else
				b = b * 10 + (unsigned)(c - '0');
		} else if (c != "-00000-of-00000.gguf"[i]) {
			return 0;
		}
	}
	if (a == 0 || b == 0 || a > b)
		return 0;
	*no = a;
	*count = b;
	*prefix_len = n - 20;
	return 1;
}

static int map_file(const char *path, struct gguf_split_part *p, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return util_err(cause, errno == ENOENT || errno == EACCES ? UTIL_EINPUT : UTIL_ERR,
				"%s: cannot open: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0) {
		int e = errno;
		close(fd);
		return util_err(cause, UTIL_EINPUT, "%s: %s", path,
				S_ISREG(sb.st_mode) && sb.st_size == 0 ? "empty file"
				: S_ISREG(sb.st_mode) ? strerror(e) : "not a regular file");
	}
	void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return util_err(cause, UTIL_ERR, "%s: mmap: %s", path, strerror(errno));
	p->path = util_xstrdup(path);
	p->data = m;
	p->len = (size_t)sb.st_size;
	return 0;
}

static int part_cmp(const void *a, const void *b)
{
	const struct profile_part *x = a, *y = b;
	if (x->layer != y->layer)
		return (x->layer > y->layer) - (x->layer < y->layer);
	return (x->group > y->group) - (x->group < y->group);
}

/* The whole model's profile: part 0's, plus the tensors of the others.
 * A later part has no block_count (gguf-split writes the metadata into
 * the first part only), so the reader put its output tensors at the
 * layer after its own highest block: they move to part 0's n_layer.
 * Sorted and merged in one pass: O(n log n) in parts (issue 16). */
static void merge(struct gguf_split *s, struct profile *ps)
{
	struct profile *p = &s->profile;
	*p = ps[0];
	size_t total = 0;
	for (size_t i = 0; i < s->n; i++)
		total += ps[i].n_parts;
	struct profile_part *v = total ? util_xmalloc(total * sizeof(*v)) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < ps[i].n_parts; j++) {
			v[k] = ps[i].parts[j];
			if (i > 0 && v[k].layer == (int32_t)ps[i].n_layer)
				v[k].layer = (int32_t)p->n_layer;
			k++;
		}
		if (i > 0)
			profile_clear(&ps[i]);
	}
	free(ps[0].parts);
	if (total)
		qsort(v, total, sizeof(*v), part_cmp);
	size_t m = 0;
	for (size_t i = 1; i < total; i++) {
		if (part_cmp(&v[m], &v[i]) == 0)
			v[m].bytes += v[i].bytes;
		else
			v[++m] = v[i];
	}
	p->parts = v;
	p->n_parts = total ? m + 1 : 0;
	p->alloc_parts = total;
	p->file_size = 0;
	for (size_t i = 0; i < s->n; i++)
		p->file_size += s->parts[i].len;
}

/* Read each part's header; check the set. */
static int check_parts(struct gguf_split *s, struct profile *ps, char **cause)
{
	uint64_t tensors = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct gguf_split_part *pt = &s->parts[i];
		int rc = gguf_file_read_profile(pt->data, pt->len, pt->path, &ps[i], &pt->info, cause);
		if (rc)
			return rc;
		uint32_t cnt = pt->info.split_count ? pt->info.split_count : 1;
		if (s->n == 1 && cnt > 1)
			return util_err(cause, UTIL_EINPUT, "%s: part %u of a model split in %u, but "
					"the name does not end in -%05u-of-%05u.gguf, so the other "
					"parts cannot be found", pt->path, pt->info.split_no + 1, cnt,
					pt->info.split_no + 1, cnt);
		if (cnt != s->n || pt->info.split_no != i)
			return util_err(cause, UTIL_EINPUT, "%s: split.no %u of split.count %u, but "
					"the file is part %zu of %zu", pt->path, pt->info.split_no + 1,
					cnt, i + 1, s->n);
		tensors += pt->info.n_tensors;
	}
	uint64_t want = s->parts[0].info.split_tensors;
	if (s->n > 1 && want != tensors)
		return util_err(cause, UTIL_EINPUT, "%s: split.tensors.count is %llu, but the %zu "
				"parts hold %llu tensors", s->parts[0].path, (unsigned long long)want,
				s->n, (unsigned long long)tensors);
	return 0;
}

/* The file the caller named: its bytes (borrowed or mapped) and header. */
static int open_given(const char *path, const unsigned char *data, size_t len,
		      struct gguf_split_part *g, char **cause)
{
	int rc = 0;
	if (data) {
		g->path = util_xstrdup(path);
		g->data = data;
		g->len = len;
		g->borrowed = 1;
	} else {
		rc = map_file(path, g, cause);
	}
	struct profile p;
	if (rc == 0)
		rc = gguf_file_read_profile(g->data, g->len, g->path, &p, &g->info, cause);
	if (rc == 0)
		profile_clear(&p);
	return rc;
}

static int open_set(const char *path, const unsigned char *data, size_t len,
		    struct gguf_split *out, char **cause)
{
	memset(out, 0, sizeof(*out));
	struct gguf_split_part given = { 0 };
	int rc = open_given(path, data, len, &given, cause);
	uint32_t fcount = given.info.split_count, fno = given.info.split_no + 1;
	unsigned no = 0, count = 0;
	size_t pre = 0;
	int named = gguf_split_name(path, &no, &count, &pre);
	/* Whether this is a split model is the file's to say (llama.cpp
	 * reads split.count); the name only tells where the others are. */
	if (rc == 0 && fcount > 1 && !named)
		rc = util_err(cause, UTIL_EINPUT, "%s: part %u of a model split in %u, but the name "
			      "does not end in -%05u-of-%05u.gguf, so the other parts cannot be "
			      "found", path, fno, fcount, fno, fcount);
	else if (rc == 0 && fcount > 1 && (count != fcount || no != fno))
		rc = util_err(cause, UTIL_EINPUT, "%s: the name says part %u of %u, the file says "
			      "split.no %u of split.count %u", path, no, count, fno, fcount);
	else if (rc == 0 && fcount > GGUF_SPLIT_MAX)
		rc = util_err(cause, UTIL_EINPUT, "%s: %u parts, at most %d are supported", path,
			      fcount, GGUF_SPLIT_MAX);
	size_t n = rc == 0 && fcount > 1 ? fcount : 1;
	out->parts = util_xcalloc(n, sizeof(*out->parts));
	out->n = n;
	if (n == 1 || rc) {
		out->parts[0] = given;
	}
	for (size_t i = 0; rc == 0 && n > 1 && i < n; i++) {
		if (i + 1 == no) {
			out->parts[i] = given;
			continue;
		}
		char *p = util_xasprintf("%.*s-%05zu-of-%05u.gguf", (int)pre, path, i + 1, count);
		if (access(p, F_OK) != 0)
			rc = util_err(cause, UTIL_EINPUT, "%s: part %zu of %u of this split model is "
				      "missing: expected %s", path, i + 1, count, p);
		else
			rc = map_file(p, &out->parts[i], cause);
		free(p);
	}
	/* given is in parts[] now (or, on an early error, in parts[0]);
	 * a part not reached is zeroed and skipped by gguf_split_close. */
	if (rc && n > 1 && out->parts[no - 1].data != given.data) {
		/* The loop stopped before reaching the given part. */
		out->parts[no - 1] = given;
	}
	struct profile *ps = util_xcalloc(n, sizeof(*ps));
	if (rc == 0)
		rc = check_parts(out, ps, cause);
	if (rc == 0) {
		merge(out, ps);
	} else {
		for (size_t i = 0; i < n; i++)
			profile_clear(&ps[i]);
	}
	free(ps);
	return rc;
}

int gguf_split_open(const char *path, struct gguf_split *out, char **cause)
{
	int rc = open_set(path, NULL, 0, out, cause);
	if (rc)
		gguf_split_close(out);
	return rc;
}

int gguf_split_open_mem(const char *path, const unsigned char *data, size_t len,
			struct gguf_split *out, char **cause)
{
	int rc = open_set(path, data, len, out, cause);
	if (rc)
		gguf_split_close(out);
	return rc;
}

void gguf_split_close(struct gguf_split *s)
{
	for (size_t i = 0; s->parts && i < s->n; i++) {
		if (s->parts[i].data && !s->parts[i].borrowed)
			munmap((void *)s->parts[i].data, s->parts[i].len);
		free(s->parts[i].path);
	}
	free(s->parts);
	profile_clear(&s->profile);
	memset(s, 0, sizeof(*s));
}
