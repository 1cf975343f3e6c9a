/*
 * plot.c - the gnuplot driver behind plot.h: the timeline collector,
 * escaping, and one gnuplot process per picture fed through a pipe.
 *
 * Only integers cross the pipe as numbers (bytes, ns, milli-units), so
 * the locale can never turn a decimal point into a comma; gnuplot does
 * the division into GiB and seconds. Every string crosses as a
 * single-quoted gnuplot literal (no backslash escapes, no backquote or
 * macro substitution inside: gnuplot docs, "Strings" and "Substitution").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot.h"
#include "util.h"

#define PLOT_OOM_MARKS 64

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at s (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF) with its code point, or 0. Never reads
 * past a NUL, since a NUL is no continuation byte. */
static int utf8_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	int len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	for (int i = 1; i < len; i++) {
		unsigned char b = s[i];
		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf))
			return 0;
		*cp = (*cp << 6) | (b & 0x3f);
	}
	return len;
}

/*
 * Copy s into dst (size n >= 8) as clean text: valid UTF-8, control
 * characters (C0, DEL, C1) as spaces, at most max_chars characters, a
 * cut shown by "…". Quotes are left alone.
 */
static char *clean_text(char *dst, size_t n, const char *s, size_t max_chars)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0, chars = 0;
	while (*p) {
		uint32_t cp;
		int len = utf8_seq(p, &cp);
		char tmp[4];
		int tl = len;
		if (len == 0) {
			tmp[0] = '?';
			tl = 1;
			len = 1;
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			tmp[0] = ' ';
			tl = 1;
		} else {
			memcpy(tmp, p, (size_t)len);
		}
		/* Keep room for the ellipsis and the NUL. */
		if (chars == max_chars || o + (size_t)tl + sizeof(ellipsis) > n) {
			if (o + sizeof(ellipsis) <= n) {
				memcpy(dst + o, ellipsis, sizeof(ellipsis) - 1);
				o += sizeof(ellipsis) - 1;
			}
			break;
		}
		memcpy(dst + o, tmp, (size_t)tl);
		o += (size_t)tl;
		chars++;
		p += len;
	}
	dst[o] = '\0';
	return dst;
}

/*
 * The gnuplot literal of text: runs of characters other than ' in single
 * quotes, each ' as "\047", joined by the concatenation operator '.':
 * it's -> 'it'."\047".'s'. Neither of gnuplot's own ways works: its
 * scanner misreads a '' escape next to another quote ('''x' is a syntax
 * error in 5.4), and its @macro expander, which runs before the scanner,
 * tracks single quotes by counting every ' on the line, so a ' inside a
 * double-quoted "'" would let a later @name in the text expand. Here
 * every ' on the line delimits a literal, and no double-quoted string
 * holds a backquote. Writes into dst (size n) when dst is non-NULL;
 * returns the length of the literal.
 */
static void put(char *dst, size_t n, size_t *o, const char *str, size_t len)
{
	if (dst && *o + len < n)
		memcpy(dst + *o, str, len);
	*o += len;
}

static size_t quote_lit(char *dst, size_t n, const char *text)
{
	size_t o = 0;
	int open = 0, any = 0;
	for (const char *c = text; *c; c++) {
		if (*c == '\'') {
			if (open)
				put(dst, n, &o, "'", 1);
			put(dst, n, &o, any ? ".\"\\047\"" : "\"\\047\"", any ? 7 : 6);
			open = 0;
		} else {
			if (!open)
				put(dst, n, &o, any ? ".'" : "'", any ? 2 : 1);
			put(dst, n, &o, c, 1);
			open = 1;
		}
		any = 1;
	}
	if (open)
		put(dst, n, &o, "'", 1);
	else if (!any)
		put(dst, n, &o, "''", 2);
	if (dst && n)
		dst[o < n ? o : n - 1] = '\0';
	return o;
}

char *plot_quote(char *buf, size_t n, const char *s, size_t max_chars)
{
	char clean[PLOT_MAX_TEXT * 4 + 8];
	if (n < 32) {
		if (n)
			snprintf(buf, n, "%s", n >= 3 ? "''" : "");
		return buf;
	}
	if (max_chars > PLOT_MAX_TEXT)
		max_chars = PLOT_MAX_TEXT;
	/* Fewer characters until the literal fits (only tiny buffers loop). */
	for (;;) {
		clean_text(clean, sizeof(clean), s, max_chars);
		if (quote_lit(NULL, 0, clean) < n || max_chars == 0)
			break;
		max_chars = max_chars > 8 ? max_chars - max_chars / 8 : max_chars - 1;
	}
	quote_lit(buf, n, clean);
	return buf;
}

/* Send s as a quoted string (see plot_quote). */
static void gp_str(FILE *f, const char *s, size_t max_chars)
{
	char clean[PLOT_MAX_TEXT * 4 + 8];
	char lit[sizeof(clean) * 7 + 4];
	clean_text(clean, sizeof(clean), s, max_chars < PLOT_MAX_TEXT ? max_chars : PLOT_MAX_TEXT);
	quote_lit(lit, sizeof(lit), clean);
	fputs(lit, f);
}

/* Send a path as a quoted string: exact bytes. Paths were checked for
 * control characters by path_ok(). */
static void gp_path(FILE *f, const char *path)
{
	size_t len = quote_lit(NULL, 0, path);
	char *lit = util_xmalloc(len + 1);
	quote_lit(lit, len + 1, path);
	fputs(lit, f);
	free(lit);
}

static int path_ok(const char *path, char **cause)
{
	if (!path || !*path)
		return util_err(cause, UTIL_EINPUT, "empty output path");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return util_err(cause, UTIL_EINPUT,
					"output path has a control character at byte %zu",
					(size_t)(p - (const unsigned char *)path));
	return 0;
}

static const char *mib(char *buf, size_t n, uint64_t bytes)
{
	return util_mib(buf, n, bytes, 0);
}

/* ---- categories: stacking order, colours, legend names ---- */

/* Pseudo categories after the real ones. */
enum {
	ITEM_UNUSED = TRACE_CAT_MAX, /* reserved by the allocator, not handed out */
	ITEM_FREE,                   /* capacity left */
	ITEM_FAILED,                 /* the failed request of an OOM */
	ITEM_MAX
};

/* Bottom to top: what is there from the start first. */
static const int stack_order[] = {
	TRACE_CAT_CONTEXT, TRACE_CAT_WEIGHTS, TRACE_CAT_PROJECTOR, TRACE_CAT_KV,
	TRACE_CAT_COMPUTE, TRACE_CAT_OUTPUT, TRACE_CAT_WORKSPACE, TRACE_CAT_COMM,
	TRACE_CAT_ACTIVATION, TRACE_CAT_OTHER, TRACE_CAT_HOST, TRACE_CAT_CACHE,
	ITEM_UNUSED, ITEM_FREE, ITEM_FAILED,
};

static const char *item_color(int item)
{
	switch (item) {
	case TRACE_CAT_WEIGHTS: return "#1f77b4";
	case TRACE_CAT_KV: return "#ff7f0e";
	case TRACE_CAT_COMPUTE: return "#2ca02c";
	case TRACE_CAT_OUTPUT: return "#9467bd";
	case TRACE_CAT_CONTEXT: return "#8c564b";
	case TRACE_CAT_WORKSPACE: return "#e377c2";
	case TRACE_CAT_COMM: return "#bcbd22";
	case TRACE_CAT_ACTIVATION: return "#17becf";
	case TRACE_CAT_CACHE: return "#c5b0d5";
	case TRACE_CAT_HOST: return "#7f7f7f";
	case TRACE_CAT_PROJECTOR: return "#aec7e8";
	case ITEM_UNUSED: return "#d9d9d9";
	case ITEM_FREE: return "#ffffff";
	case ITEM_FAILED: return "#d62728";
	default: return "#a0a0a0"; /* other */
	}
}

static const char *item_name(int item)
{
	switch (item) {
	case ITEM_UNUSED: return "reserved, unused";
	case ITEM_FREE: return "free";
	case ITEM_FAILED: return "failed request (OOM)";
	default: return trace_cat_name(item);
	}
}

/* Fill density and border colour of a bar segment. */
static const char *item_density(int item)
{
	return item == ITEM_FREE ? "0.0" : item == ITEM_FAILED ? "0.25" : "1.0";
}

static const char *item_border(int item)
{
	return item == ITEM_FREE ? "#909090" : item == ITEM_FAILED ? "#d62728" : "#ffffff";
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t sum_used(const uint64_t *used)
{
	uint64_t s = 0;
	for (int c = 0; c < TRACE_CAT_MAX; c++)
		s = sat_add(s, used[c]);
	return s;
}

/* ---- the timeline collector ---- */

struct tl_dev {
	struct plot_bucket *b;   /* exact points, or dense buckets from origin */
	size_t n, alloc;
	uint64_t width;          /* 0: exact mode */
	int64_t origin;          /* start of bucket 0 (dense mode) */
	int have;                /* a change was seen: cur is valid */
	int64_t last_t;
	uint64_t last_seq;
	uint64_t cur[TRACE_CAT_MAX]; /* state after the last change */
	uint64_t cur_level;
};

struct plot_oom_mark {
	struct sim_oom o;
	uint64_t seq;            /* changes seen before it (x in change-number plots) */
};

struct plot_timeline {
	int n_dev;
	struct tl_dev *dev;
	struct sim_observer obs;
	uint64_t n_changes;      /* over all devices */
	struct plot_oom_mark oom[PLOT_OOM_MARKS];
	int n_oom;
};

/* Halve the number of buckets: pairs (2j, 2j+1) become bucket j of twice
 * the width, which starts where 2j started. */
static void tl_merge(struct tl_dev *d)
{
	size_t j = 0;
	for (size_t i = 0; i < d->n; i += 2, j++) {
		struct plot_bucket m = d->b[i];
		if (i + 1 < d->n) {
			const struct plot_bucket *o = &d->b[i + 1];
			if (o->min < m.min)
				m.min = o->min;
			if (o->max > m.max) {
				m.max = o->max;
				memcpy(m.used, o->used, sizeof(m.used));
			}
		}
		d->b[j] = m;
	}
	d->n = j;
	d->width *= 2;
}

static void tl_set_cur(struct tl_dev *d, int64_t t, uint64_t seq, const uint64_t *used,
		       uint64_t level)
{
	memcpy(d->cur, used, sizeof(d->cur));
	d->cur_level = level;
	d->last_t = t;
	d->last_seq = seq;
	d->have = 1;
}

/* Dense mode: the bucket of t absorbs the new level; buckets between the
 * last one and it open with the level carried over. */
static void tl_dense_add(struct tl_dev *d, int64_t t, uint64_t seq, const uint64_t *used,
			 uint64_t level)
{
	uint64_t off = (uint64_t)t - (uint64_t)d->origin;
	uint64_t k = off / d->width;
	while (k >= PLOT_TIMELINE_BUCKETS) {
		tl_merge(d);
		k = off / d->width;
	}
	if (d->n && k < d->n - 1)
		k = d->n - 1;
	while (d->n <= k) {
		struct plot_bucket *nb = &d->b[d->n];
		nb->t = (int64_t)((uint64_t)d->origin + d->n * d->width);
		nb->seq = seq;
		if (d->have) {
			nb->min = nb->max = d->cur_level;
			memcpy(nb->used, d->cur, sizeof(nb->used));
		} else {
			nb->min = nb->max = level;
			memcpy(nb->used, used, sizeof(nb->used));
		}
		d->n++;
	}
	struct plot_bucket *b = &d->b[k];
	if (level < b->min)
		b->min = level;
	if (level > b->max) {
		b->max = level;
		memcpy(b->used, used, sizeof(b->used));
	}
	tl_set_cur(d, t, seq, used, level);
}

/*
 * Exact mode is full: turn the points into dense buckets whose width is
 * the smallest power of two that fits the span up to t into half the
 * buckets, so at least half are left for what comes.
 */
static void tl_downsample(struct tl_dev *d, int64_t t)
{
	struct plot_bucket *old = d->b;
	size_t n_old = d->n;
	uint64_t span = (uint64_t)t - (uint64_t)old[0].t;
	uint64_t w = 1;
	while (span / w >= PLOT_TIMELINE_BUCKETS / 2)
		w *= 2;
	d->b = util_xmalloc(PLOT_TIMELINE_BUCKETS * sizeof(*d->b));
	d->alloc = PLOT_TIMELINE_BUCKETS;
	d->n = 0;
	d->width = w;
	d->origin = old[0].t;
	d->have = 0;
	for (size_t i = 0; i < n_old; i++)
		tl_dense_add(d, old[i].t, old[i].seq, old[i].used, old[i].max);
	free(old);
}

static void tl_change(void *ud, int dev, int64_t t, const uint64_t *used, uint64_t reserved)
{
	struct plot_timeline *tl = ud;
	(void)reserved; /* capacity is checked against the sum of used[] */
	if (dev < 0 || dev >= tl->n_dev || !used)
		return;
	struct tl_dev *d = &tl->dev[dev];
	uint64_t seq = tl->n_changes++;
	uint64_t level = sum_used(used);
	if (d->have && t < d->last_t)
		t = d->last_t;
	if (d->width == 0) {
		if (d->n < PLOT_TIMELINE_BUCKETS) {
			UTIL_GROW(d->b, d->n + 1, d->alloc);
			struct plot_bucket *b = &d->b[d->n++];
			b->t = t;
			b->seq = seq;
			b->min = b->max = level;
			memcpy(b->used, used, sizeof(b->used));
			tl_set_cur(d, t, seq, used, level);
			return;
		}
		tl_downsample(d, t);
	}
	tl_dense_add(d, t, seq, used, level);
}

static void tl_oom(void *ud, const struct sim_oom *o)
{
	struct plot_timeline *tl = ud;
	if (tl->n_oom < PLOT_OOM_MARKS) {
		tl->oom[tl->n_oom].o = *o;
		tl->oom[tl->n_oom].seq = tl->n_changes;
		tl->n_oom++;
	}
}

struct plot_timeline *plot_timeline_new(int n_dev)
{
	if (n_dev < 1 || n_dev > TOPO_MAX_GPUS)
		return NULL;
	struct plot_timeline *tl = util_xcalloc(1, sizeof(*tl));
	tl->n_dev = n_dev;
	tl->dev = util_xcalloc((size_t)n_dev, sizeof(*tl->dev));
	tl->obs.ud = tl;
	tl->obs.change = tl_change;
	tl->obs.oom = tl_oom;
	return tl;
}

const struct sim_observer *plot_timeline_observer(struct plot_timeline *tl)
{
	return &tl->obs;
}

void plot_timeline_free(struct plot_timeline *tl)
{
	if (!tl)
		return;
	for (int i = 0; i < tl->n_dev; i++)
		free(tl->dev[i].b);
	free(tl->dev);
	free(tl);
}

const struct plot_bucket *plot_timeline_buckets(const struct plot_timeline *tl, int dev,
						size_t *n, uint64_t *width, int64_t *origin)
{
	*n = 0;
	*width = 0;
	*origin = 0;
	if (!tl || dev < 0 || dev >= tl->n_dev || !tl->dev[dev].n)
		return NULL;
	const struct tl_dev *d = &tl->dev[dev];
	*n = d->n;
	*width = d->width;
	*origin = d->width ? d->origin : d->b[0].t;
	return d->b;
}

/* ---- running gnuplot ---- */

/* A picture being drawn: gnuplot writing into tmp, to become path. */
struct gp {
	FILE *f;
	char *tmp;
	char *path;
	struct sigaction old_pipe;
};

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return util_xstrdup(".");
	if (slash == path)
		return util_xstrdup("/");
	return util_xasprintf("%.*s", (int)(slash - path), path);
}

/* Is script in d? Then *dir = a copy of d. */
static int try_dir(const char *d, const char *script, char **dir)
{
	char *cand = util_xasprintf("%s/%s", d, script);
	int ok = access(cand, R_OK) == 0;
	free(cand);
	if (ok)
		*dir = util_xstrdup(d);
	return ok;
}

/* Where the scripts are: see plot.h. *dir is malloc'd. */
static int find_scripts(const char *script, char **dir, char **cause)
{
	const char *env = getenv("VRAMSIM_PLOTS_DIR");
	if (env && *env) {
		if (try_dir(env, script, dir))
			return 0;
		return util_err(cause, UTIL_ERR, "%s not found in $VRAMSIM_PLOTS_DIR (%s)", script,
				env);
	}
	/* A build tree: ./vramsim, or a sanitizer build one folder down. */
	char exe[4096];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		char *bin = dir_of(exe);
		char *here = util_xasprintf("%s/plots", bin);
		char *up = util_xasprintf("%s/../plots", bin);
		int ok = try_dir(here, script, dir) || try_dir(up, script, dir);
		free(bin);
		free(here);
		free(up);
		if (ok)
			return 0;
	}
#ifdef VRAMSIM_DATADIR
	if (try_dir(VRAMSIM_DATADIR, script, dir))
		return 0;
#endif
	if (try_dir("plots", script, dir))
		return 0;
	return util_err(cause, UTIL_ERR,
			"gnuplot script %s not found (beside the vramsim binary, in the install "
			"directory or in ./plots); set VRAMSIM_PLOTS_DIR", script);
}

static int in_path(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		char *cand = util_xasprintf("%.*s/%s", (int)len, len ? path : ".", name);
		int ok = access(cand, X_OK) == 0;
		free(cand);
		if (ok)
			return 1;
		path += len;
		if (*path == ':')
			path++;
	}
	return 0;
}

/* The gnuplot command line: $VRAMSIM_GNUPLOT or "gnuplot". A single word
 * is looked up here, so a missing gnuplot gets our message rather than
 * the shell's. */
static int gp_command(const char **cmd, char **cause)
{
	const char *env = getenv("VRAMSIM_GNUPLOT");
	*cmd = env && *env ? env : "gnuplot";
	if (strpbrk(*cmd, " \t") == NULL && !in_path(*cmd))
		return util_err(cause, UTIL_ERR, "gnuplot not found: install gnuplot-nox");
	return 0;
}

/* Datablocks and arrays need gnuplot 5.2 (style.md B.4). Checked once per
 * command: "gnuplot 5.4 patchlevel 4". */
static int gp_version_ok(const char *cmd, char **cause)
{
	static char checked[512];
	if (strcmp(checked, cmd) == 0)
		return 0;
	char *line = util_xasprintf("%s --version 2>/dev/null", cmd);
	FILE *p = popen(line, "r");
	free(line);
	if (!p)
		return util_err(cause, UTIL_ERR, "cannot run gnuplot: %s", strerror(errno));
	char buf[128] = "";
	if (!fgets(buf, sizeof(buf), p))
		buf[0] = '\0';
	int st = pclose(p);
	int major = 0, minor = 0;
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return util_err(cause, UTIL_ERR, "gnuplot not found: install gnuplot-nox");
	if (sscanf(buf, "gnuplot %d.%d", &major, &minor) != 2)
		return util_err(cause, UTIL_ERR, "'%s --version' did not say which gnuplot it is", cmd);
	if (major < 5 || (major == 5 && minor < 2))
		return util_err(cause, UTIL_ERR, "gnuplot %d.%d is too old: 5.2 or newer is needed",
				major, minor);
	if (strlen(cmd) < sizeof(checked))
		strcpy(checked, cmd);
	return 0;
}

static int exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

static int target_ok(const char *path, int force, char **cause)
{
	int rc = path_ok(path, cause);
	if (rc)
		return rc;
	if (!force && exists(path))
		return util_err(cause, UTIL_EINPUT, "%s: exists; use -f to overwrite", path);
	return 0;
}

/* Reserve a fresh name beside path; gnuplot will overwrite it. Created
 * with 0666 so the picture gets the user's umask, as any new file. */
static int make_tmp(const char *path, char **tmp, char **cause)
{
	static unsigned counter;
	for (int tries = 0; tries < 100; tries++) {
		char *t = util_xasprintf("%s.tmp%ld.%u", path, (long)getpid(), counter++);
		int fd = open(t, O_WRONLY | O_CREAT | O_EXCL, 0666);
		if (fd >= 0) {
			close(fd);
			*tmp = t;
			return 0;
		}
		int e = errno;
		free(t);
		if (e != EEXIST)
			return util_err(cause, UTIL_ERR, "%s: cannot create: %s", path, strerror(e));
	}
	return util_err(cause, UTIL_ERR, "%s: cannot find a temporary name", path);
}

static void gp_discard(struct gp *g)
{
	if (g->f) {
		pclose(g->f);
		sigaction(SIGPIPE, &g->old_pipe, NULL);
		g->f = NULL;
	}
	if (g->tmp)
		unlink(g->tmp);
	free(g->tmp);
	free(g->path);
	g->tmp = g->path = NULL;
}

/*
 * Start gnuplot drawing a w x h PNG for path: the terminal, the output
 * (a temporary file) and the variables every script may use.
 */
static int gp_begin(struct gp *g, const char *path, int force, int w, int h, const char *script,
		    char **cause)
{
	memset(g, 0, sizeof(*g));
	const char *cmd;
	char *dir = NULL;
	int rc;
	if ((rc = target_ok(path, force, cause)) || (rc = find_scripts(script, &dir, cause)))
		return rc;
	if ((rc = path_ok(dir, cause)) || (rc = gp_command(&cmd, cause)) ||
	    (rc = gp_version_ok(cmd, cause)) || (rc = make_tmp(path, &g->tmp, cause))) {
		free(dir);
		return rc;
	}
	g->path = util_xstrdup(path);
	/* gnuplot may die on a script error; a write to its pipe must then
	 * fail with EPIPE rather than kill us. */
	struct sigaction ign;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &g->old_pipe);
	g->f = popen(cmd, "w");
	if (!g->f) {
		int e = errno;
		sigaction(SIGPIPE, &g->old_pipe, NULL);
		free(dir);
		gp_discard(g);
		return util_err(cause, UTIL_ERR, "cannot run gnuplot: %s", strerror(e));
	}
	fprintf(g->f, "set term pngcairo size %d,%d noenhanced font \"sans,10\"\n", w, h);
	fprintf(g->f, "set encoding utf8\noutfile = ");
	gp_path(g->f, g->tmp);
	fprintf(g->f, "\nset output outfile\nW = %d\nH = %d\nGiB = 1024.0**3\nscript = ", w, h);
	gp_path(g->f, script);
	fprintf(g->f, "\nplotdir = ");
	gp_path(g->f, dir);
	fputc('\n', g->f);
	free(dir);
	return 0;
}

/* A PNG starts with these 8 bytes (PNG spec, 5.2 "PNG signature"). */
static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static int png_ok(const char *path)
{
	unsigned char b[8];
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(b, 1, sizeof(b), f);
	fclose(f);
	return n == sizeof(b) && memcmp(b, png_sig, sizeof(b)) == 0;
}

/*
 * Load the script, finish the picture and check it: gnuplot's exit
 * status alone says little (its docs), so also require a PNG in tmp.
 * On failure the temporary file is gone.
 */
static int gp_end(struct gp *g, char **cause)
{
	fprintf(g->f, "load plotdir.'/'.script\nunset output\nquit\n");
	int werr = fflush(g->f) != 0 || ferror(g->f);
	int st = pclose(g->f);
	g->f = NULL;
	sigaction(SIGPIPE, &g->old_pipe, NULL);
	int rc = 0;
	if (st == -1)
		rc = util_err(cause, UTIL_ERR, "%s: lost gnuplot: %s", g->path, strerror(errno));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		rc = util_err(cause, UTIL_ERR, "gnuplot not found: install gnuplot-nox");
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		rc = util_err(cause, UTIL_ERR, "%s: gnuplot failed (%s %d)", g->path,
			      WIFEXITED(st) ? "exit status" : "signal",
			      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	else if (werr)
		rc = util_err(cause, UTIL_ERR, "%s: writing to gnuplot failed", g->path);
	else if (!png_ok(g->tmp))
		rc = util_err(cause, UTIL_ERR, "%s: gnuplot wrote no PNG", g->path);
	if (rc)
		gp_discard(g);
	return rc;
}

/* Put a finished picture in place. Without force, link() refuses an
 * existing target atomically (a file may have appeared since the check). */
static int gp_commit(struct gp *g, int force, char **cause)
{
	int rc = 0;
	if (!force && link(g->tmp, g->path) == 0) {
		unlink(g->tmp);
	} else if (!force && (errno == EEXIST || exists(g->path))) {
		rc = util_err(cause, UTIL_EINPUT, "%s: exists; use -f to overwrite", g->path);
	} else if (rename(g->tmp, g->path) != 0) {
		rc = util_err(cause, UTIL_ERR, "%s: %s", g->path, strerror(errno));
	}
	if (rc)
		unlink(g->tmp);
	free(g->tmp);
	free(g->path);
	g->tmp = g->path = NULL;
	return rc;
}

/* The header lines: title and one line of context, cut to what a w
 * pixels wide picture shows (about 7 px a character at 10 pt). */
static void gp_titles(FILE *f, const struct plot_meta *m, const char *def_title, int w)
{
	char part[4][PLOT_MAX_TEXT * 4 + 8];
	char line[sizeof(part) + 64];
	const char *lab[4] = { "model", "GPUs", "scenario", "trace" };
	const char *val[4] = { NULL, NULL, NULL, NULL };
	if (m) {
		val[0] = m->model;
		val[1] = m->topology;
		val[2] = m->scenario;
		val[3] = m->trace_name;
	}
	size_t o = 0;
	line[0] = '\0';
	for (int i = 0; i < 4; i++) {
		if (!val[i] || !*val[i])
			continue;
		clean_text(part[i], sizeof(part[i]), val[i], 48);
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s: %s", o ? "    " : "",
				      lab[i], part[i]);
	}
	fputs("title_str = ", f);
	gp_str(f, m && m->title && *m->title ? m->title : def_title, (size_t)w / 11);
	fputs("\nsub_str = ", f);
	gp_str(f, line, (size_t)w / 7);
	fputc('\n', f);
}

/* name[k] = str for k = 1..n: gnuplot arrays are 1-based. */
static void gp_array_decl(FILE *f, const char *name, int n)
{
	fprintf(f, "array %s[%d]\n", name, n > 0 ? n : 1);
}

static void gp_array_str(FILE *f, const char *name, int k, const char *s, size_t max)
{
	fprintf(f, "%s[%d] = ", name, k);
	gp_str(f, s, max);
	fputc('\n', f);
}

static void gp_array_u64(FILE *f, const char *name, int k, uint64_t v)
{
	fprintf(f, "%s[%d] = %" PRIu64 "\n", name, k, v);
}

/* The legend items: names, colours, fill densities and borders. */
static void gp_items(FILE *f, const int *items, int n)
{
	fprintf(f, "K = %d\n", n);
	gp_array_decl(f, "iname", n);
	gp_array_decl(f, "icol", n);
	gp_array_decl(f, "idens", n);
	gp_array_decl(f, "ibord", n);
	for (int k = 0; k < n; k++) {
		gp_array_str(f, "iname", k + 1, item_name(items[k]), 40);
		gp_array_str(f, "icol", k + 1, item_color(items[k]), 16);
		fprintf(f, "idens[%d] = %s\n", k + 1, item_density(items[k]));
		gp_array_str(f, "ibord", k + 1, item_border(items[k]), 16);
	}
}

/* ---- timeline ---- */

/* The file for GPU g from a format: the last "%d" in the file name. */
static char *path_for(const char *fmt, int g)
{
	const char *base = strrchr(fmt, '/');
	base = base ? base + 1 : fmt;
	const char *hit = NULL;
	for (const char *p = strstr(base, "%d"); p; p = strstr(p + 1, "%d"))
		hit = p;
	if (hit)
		return util_xasprintf("%.*s%d%s", (int)(hit - fmt), fmt, g, hit + 2);
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return util_xasprintf("%s-gpu%d", fmt, g);
	return util_xasprintf("%.*s-gpu%d%s", (int)(dot - fmt), fmt, g, dot);
}

static int has_gpu_field(const char *fmt)
{
	const char *base = strrchr(fmt, '/');
	return strstr(base ? base + 1 : fmt, "%d") != NULL;
}

/* What one timeline image covers and how its x axis reads. */
struct tl_view {
	int g0, np;            /* GPUs g0 .. g0+np-1 */
	int by_seq;            /* x is the change number: every change at one time */
	int64_t xmin, xmax;    /* ns, or change numbers */
	int64_t xdiv;          /* ns per axis unit */
	const char *xname;
};

static const struct tl_dev *tl_dev_of(const struct plot_timeline *tl, int g)
{
	return g < tl->n_dev ? &tl->dev[g] : NULL;
}

static void tl_view_axis(const struct plot_timeline *tl, const struct sim_result *res,
			 struct tl_view *v)
{
	int64_t tmin = 0, tmax = res->t_end, lo = INT64_MAX, hi = INT64_MIN;
	uint64_t smax = 0;
	int any = 0, exact = 1, shared = 0;
	for (int g = v->g0; g < v->g0 + v->np; g++) {
		const struct tl_dev *d = tl_dev_of(tl, g);
		if (!d || !d->n)
			continue;
		any = 1;
		exact &= d->width == 0;
		for (size_t i = 1; i < d->n && !d->width && !shared; i++)
			shared = d->b[i].t == d->b[i - 1].t;
		if (d->b[0].t < lo)
			lo = d->b[0].t;
		if (d->last_t > hi)
			hi = d->last_t;
		if (d->last_seq > smax)
			smax = d->last_seq;
	}
	/* Start at the first change: a log's buffers come at line numbers, and
	 * a recording's first allocation after seconds of start-up. Leave a
	 * twentieth of the span of empty lead-in so the first step shows. */
	if (any)
		tmin = lo;
	if (any && hi > tmax)
		tmax = hi;
	/* A small trace whose changes share times (a log's synthetic clock)
	 * would hide all but the last of them: count changes instead. */
	v->by_seq = !any || (exact && (shared || (lo == hi && tmax == lo)));
	if (v->by_seq) {
		v->xmin = 0;
		v->xmax = (int64_t)smax + 1;
		v->xdiv = 1;
		v->xname = "change number (the trace's times do not tell its changes apart)";
		return;
	}
	if (any && hi > lo)
		tmin -= (hi - lo) / 20;
	v->xmin = tmin;
	/* Show the state after the last change for a twentieth of the span:
	 * a buffer allocated by the last event is otherwise a zero-width step. */
	v->xmax = tmax + ((tmax - tmin) / 20 > 0 ? (tmax - tmin) / 20 : 1);
	uint64_t span = (uint64_t)v->xmax - (uint64_t)tmin;
	if (span >= 1000000000ull) {
		v->xdiv = 1000000000;
		v->xname = "time (s)";
	} else if (span >= 1000000ull) {
		v->xdiv = 1000000;
		v->xname = "time (ms)";
	} else if (span >= 1000ull) {
		v->xdiv = 1000;
		v->xname = "time (\xc2\xb5s)";
	} else {
		v->xdiv = 1;
		v->xname = "time (ns)";
	}
}

/* One data row: x, the cumulative stack of items, the min. */
static void tl_row(FILE *f, int64_t x, const uint64_t *used, uint64_t min, const int *items,
		   int n_items)
{
	uint64_t cum = 0;
	fprintf(f, "%" PRId64, x);
	for (int k = 0; k < n_items; k++) {
		cum = sat_add(cum, used[items[k]]);
		fprintf(f, " %" PRIu64, cum);
	}
	fprintf(f, " %" PRIu64 "\n", min);
}

static void tl_block(FILE *f, const struct tl_dev *d, const struct tl_view *v, const int *items,
		     int n_items)
{
	static const uint64_t zero[TRACE_CAT_MAX];
	if (!d || !d->n) {
		tl_row(f, v->xmin, zero, 0, items, n_items);
		tl_row(f, v->xmax, zero, 0, items, n_items);
		return;
	}
	for (size_t i = 0; i < d->n; i++)
		tl_row(f, v->by_seq ? (int64_t)d->b[i].seq : d->b[i].t, d->b[i].used, d->b[i].min,
		       items, n_items);
	/* The state after the last change lasts to the end of the trace. */
	tl_row(f, v->xmax, d->cur, d->cur_level, items, n_items);
}

static int tl_items(const struct plot_timeline *tl, const struct tl_view *v, int *items)
{
	int n = 0;
	for (size_t s = 0; s < UTIL_ARRAY_SIZE(stack_order); s++) {
		int c = stack_order[s];
		int present = 0;
		if (c >= TRACE_CAT_MAX)
			continue;
		for (int g = v->g0; g < v->g0 + v->np && !present; g++) {
			const struct tl_dev *d = tl_dev_of(tl, g);
			for (size_t i = 0; d && i < d->n && !present; i++)
				present = d->b[i].used[c] != 0;
		}
		if (present)
			items[n++] = c;
	}
	return n;
}

static void tl_panel_text(FILE *f, int k, int g, const struct sim_dev *sd, uint64_t peak)
{
	char a[32], b[32], txt[160];
	snprintf(txt, sizeof(txt), "GPU %d    capacity %s MiB", g,
		 mib(a, sizeof(a), sd->capacity));
	gp_array_str(f, "glab", k, txt, 80);
	if (!sd->capacity)
		snprintf(txt, sizeof(txt), "peak %s MiB", mib(a, sizeof(a), peak));
	else if (peak <= sd->capacity)
		snprintf(txt, sizeof(txt), "peak %s MiB (%.0f%%)    headroom %s MiB",
			 mib(a, sizeof(a), peak), 100.0 * (double)peak / (double)sd->capacity,
			 mib(b, sizeof(b), sd->capacity - peak));
	else
		snprintf(txt, sizeof(txt), "peak %s MiB    over capacity by %s MiB",
			 mib(a, sizeof(a), peak), mib(b, sizeof(b), peak - sd->capacity));
	gp_array_str(f, "gpk", k, txt, 80);
}

static void oom_text(char *buf, size_t n, const struct sim_oom *o)
{
	char a[32], b[32], layer[48] = "";
	if (o->layer_lo >= 0 && o->layer_hi > o->layer_lo)
		snprintf(layer, sizeof(layer), " layers %d-%d", (int)o->layer_lo, (int)o->layer_hi);
	else if (o->layer_lo >= 0)
		snprintf(layer, sizeof(layer), " layer %d", (int)o->layer_lo);
	snprintf(buf, n, "OOM: %s MiB %s%s (free %s MiB)", mib(a, sizeof(a), o->size),
		 trace_cat_name(o->category), layer, mib(b, sizeof(b), o->free));
}

/* x of an OOM: its time, or in change-number plots the changes before it. */
static int64_t oom_x(const struct plot_timeline *tl, const struct tl_view *v,
		     const struct sim_oom *o)
{
	if (!v->by_seq)
		return o->t_ns;
	for (int i = 0; i < tl->n_oom; i++)
		if (tl->oom[i].o.t_ns == o->t_ns && tl->oom[i].o.seq == o->seq &&
		    tl->oom[i].o.pid == o->pid && tl->oom[i].o.device == o->device)
			return (int64_t)tl->oom[i].seq;
	return v->xmax;
}

static void tl_ooms(FILE *f, const struct plot_timeline *tl, const struct sim_result *res,
		    const struct tl_view *v)
{
	int n = 0;
	/* Always a row: gnuplot warns about an empty datablock; panel 0
	 * matches no panel. */
	fputs("$oom << EOD\n0 0 0 0\n", f);
	for (int i = 0; i < tl->n_oom; i++) {
		const struct sim_oom *o = &tl->oom[i].o;
		if (o->device < v->g0 || o->device >= v->g0 + v->np)
			continue;
		fprintf(f, "%d %" PRId64 " %" PRIu64 " %" PRIu64 "\n", o->device - v->g0 + 1,
			oom_x(tl, v, o), o->used, sat_add(o->used, o->size));
		n++;
	}
	fputs("EOD\n", f);
	fprintf(f, "noom = %d\n", n);
	const struct sim_oom *o = &res->first_oom;
	if (res->has_oom && o->device >= v->g0 && o->device < v->g0 + v->np) {
		char txt[200];
		oom_text(txt, sizeof(txt), o);
		fprintf(f, "oom_p = %d\noom_x = %" PRId64 "\noom_lo = %" PRIu64 "\noom_hi = %" PRIu64
			   "\noom_txt = ", o->device - v->g0 + 1, oom_x(tl, v, o), o->used,
			sat_add(o->used, o->size));
		gp_str(f, txt, 120);
		fputc('\n', f);
	} else {
		fputs("oom_p = 0\noom_x = 0\noom_lo = 0\noom_hi = 0\noom_txt = ''\n", f);
	}
}

static uint64_t tl_dev_max(const struct tl_dev *d)
{
	uint64_t m = 0;
	for (size_t i = 0; d && i < d->n; i++)
		if (d->b[i].max > m)
			m = d->b[i].max;
	return m;
}

/* Draw GPUs v->g0.. into path (not yet in place: see gp_commit). */
static int tl_draw(struct gp *g, const struct plot_timeline *tl, const struct sim_result *res,
		   const struct plot_meta *m, struct tl_view *v, const char *path, int force,
		   char **cause)
{
	int items[TRACE_CAT_MAX];
	int n_items;
	tl_view_axis(tl, res, v);
	n_items = tl_items(tl, v, items);
	if (!n_items)
		items[n_items++] = TRACE_CAT_OTHER; /* an empty trace still gets axes */
	int panel_h = v->np == 1 ? 360 : v->np == 2 ? 300 : 220;
	int h = 56 + v->np * panel_h + 48; /* timeline.gp: top_px, bot_px */
	int rc = gp_begin(g, path, force, 1280, h, "timeline.gp", cause);
	if (rc)
		return rc;
	FILE *f = g->f;
	gp_titles(f, m, "memory over time", 1280);
	gp_items(f, items, n_items);
	/* Change numbers start at 0: leave room for a mark on the first. */
	fprintf(f, "NP = %d\nxdiv = %" PRId64 ".0\nxmin = %" PRId64 "\nxmax = %" PRId64
		   "\nxpad = %s\nxname = ", v->np, v->xdiv, v->xmin, v->xmax, v->by_seq ? "0.5" : "0");
	gp_str(f, v->xname, 80);
	fputc('\n', f);
	gp_array_decl(f, "cap", v->np);
	gp_array_decl(f, "peak", v->np);
	gp_array_decl(f, "ds", v->np);
	gp_array_decl(f, "glab", v->np);
	gp_array_decl(f, "gpk", v->np);
	uint64_t ytop = 0;
	int any_ds = 0;
	for (int k = 0; k < v->np; k++) {
		int gi = v->g0 + k;
		const struct sim_dev *sd = &res->dev[gi];
		const struct tl_dev *d = tl_dev_of(tl, gi);
		uint64_t peak = tl_dev_max(d);
		if (sd->peak > peak)
			peak = sd->peak;
		gp_array_u64(f, "cap", k + 1, sd->capacity);
		gp_array_u64(f, "peak", k + 1, peak);
		fprintf(f, "ds[%d] = %d\n", k + 1, d && d->width ? 1 : 0);
		any_ds |= d && d->width;
		tl_panel_text(f, k + 1, gi, sd, peak);
		if (peak > ytop)
			ytop = peak;
		if (sd->capacity > ytop)
			ytop = sd->capacity;
	}
	for (int i = 0; i < tl->n_oom; i++) {
		const struct sim_oom *o = &tl->oom[i].o;
		if (o->device >= v->g0 && o->device < v->g0 + v->np &&
		    sat_add(o->used, o->size) > ytop)
			ytop = sat_add(o->used, o->size);
	}
	const struct sim_oom *fo = &res->first_oom;
	if (res->has_oom && fo->device >= v->g0 && fo->device < v->g0 + v->np &&
	    sat_add(fo->used, fo->size) > ytop)
		ytop = sat_add(fo->used, fo->size);
	fprintf(f, "ytop = %" PRIu64 "\nany_ds = %d\n", ytop ? ytop : 1, any_ds);
	tl_ooms(f, tl, res, v);
	fputs("$tl << EOD\n", f);
	for (int k = 0; k < v->np; k++) {
		if (k)
			fputs("\n\n", f);
		tl_block(f, tl_dev_of(tl, v->g0 + k), v, items, n_items);
	}
	fputs("EOD\n", f);
	return gp_end(g, cause);
}

static void free_files(char **files, int n)
{
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

int plot_timeline_write(struct plot_timeline *tl, const struct sim_result *res,
			const struct plot_meta *m, const char *path_fmt, int force,
			char ***files, int *n_files, char **cause)
{
	*files = NULL;
	*n_files = 0;
	if (!tl || !res || !path_fmt)
		return util_err(cause, UTIL_EINPUT, "timeline: nothing to draw");
	if (res->n_dev < 1 || res->n_dev > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "timeline: %d GPUs: expected 1 to %d",
				res->n_dev, TOPO_MAX_GPUS);
	int per_gpu = has_gpu_field(path_fmt) || res->n_dev > PLOT_MAX_PANELS;
	int n_img = per_gpu ? res->n_dev : 1;
	char **paths = util_xcalloc((size_t)n_img, sizeof(*paths));
	struct gp *gps = util_xcalloc((size_t)n_img, sizeof(*gps));
	int rc = 0, drawn = 0;
	for (int i = 0; i < n_img; i++) {
		paths[i] = per_gpu ? path_for(path_fmt, i) : util_xstrdup(path_fmt);
		if (!rc)
			rc = target_ok(paths[i], force, cause);
	}
	for (int i = 0; i < n_img && !rc; i++, drawn++) {
		struct tl_view v = { .g0 = per_gpu ? i : 0, .np = per_gpu ? 1 : res->n_dev };
		rc = tl_draw(&gps[i], tl, res, m, &v, paths[i], force, cause);
	}
	if (rc) {
		for (int i = 0; i < drawn; i++)
			gp_discard(&gps[i]);
	}
	for (int i = 0; i < n_img && !rc; i++) {
		rc = gp_commit(&gps[i], force, cause);
		if (rc)
			for (int j = i + 1; j < n_img; j++)
				gp_discard(&gps[j]);
	}
	free(gps);
	if (rc) {
		free_files(paths, n_img);
		return rc;
	}
	*files = paths;
	*n_files = n_img;
	return 0;
}

/* ---- bar charts: breakdown and compare ---- */

/* One bar: its segments bottom to top, in bytes. */
struct bar {
	int xc;                       /* centre, milli-units */
	uint64_t seg[ITEM_MAX];
	uint64_t capacity;
	uint64_t used;                /* top of the stack under "free" */
	int failed;                   /* seg[ITEM_FAILED] is drawn from fail_lo */
	uint64_t fail_lo;
	char fail_txt[160];
};

static void bar_fill(struct bar *b, const struct sim_result *res, int g, int xc)
{
	const struct sim_dev *d = &res->dev[g];
	memset(b, 0, sizeof(*b));
	b->xc = xc;
	uint64_t alloc = 0;
	for (int c = 0; c < TRACE_CAT_MAX; c++) {
		b->seg[c] = d->peak_used[c];
		alloc = sat_add(alloc, d->peak_used[c]);
	}
	/* What the allocator held beyond what it handed out (torch); the
	 * context reserve is no allocator's memory (replay.h). */
	uint64_t handed = alloc > d->reserve ? alloc - d->reserve : 0;
	if (d->peak_reserved > handed)
		b->seg[ITEM_UNUSED] = d->peak_reserved - handed;
	b->used = sat_add(alloc, b->seg[ITEM_UNUSED]);
	b->capacity = d->capacity;
	if (d->capacity > b->used)
		b->seg[ITEM_FREE] = d->capacity - b->used;
	if (res->has_oom && res->first_oom.device == g) {
		b->failed = 1;
		b->fail_lo = res->first_oom.used;
		b->seg[ITEM_FAILED] = res->first_oom.size;
		oom_text(b->fail_txt, sizeof(b->fail_txt), &res->first_oom);
	}
}

static uint64_t bar_top(const struct bar *b)
{
	uint64_t top = sat_add(b->used, b->seg[ITEM_FREE]);
	if (b->failed && sat_add(b->fail_lo, b->seg[ITEM_FAILED]) > top)
		top = sat_add(b->fail_lo, b->seg[ITEM_FAILED]);
	return top > b->capacity ? top : b->capacity;
}

static int bar_items(const struct bar *bars, int n, int *items)
{
	int k = 0;
	for (size_t s = 0; s < UTIL_ARRAY_SIZE(stack_order); s++) {
		int it = stack_order[s];
		for (int i = 0; i < n; i++)
			if (bars[i].seg[it]) {
				items[k++] = it;
				break;
			}
	}
	return k;
}

/*
 * Send the bars: $bars with one block per item (rows: centre, low, high,
 * half width), $cap (capacity marks), $lab (values inside segments big
 * enough to hold them: bar_px wide, at least 4.5% of the y range tall;
 * with the category's name when the bar is wide enough).
 */
static void bars_send(FILE *f, const struct bar *bars, int n, int hw, int bar_px)
{
	int items[ITEM_MAX];
	int n_items = bar_items(bars, n, items);
	uint64_t ytop = 1;
	for (int i = 0; i < n; i++)
		if (bar_top(&bars[i]) > ytop)
			ytop = bar_top(&bars[i]);
	gp_items(f, items, n_items);
	fprintf(f, "ytop = %" PRIu64 "\nNB = %d\n$bars << EOD\n", ytop, n);
	for (int k = 0; k < n_items; k++) {
		if (k)
			fputs("\n\n", f);
		for (int i = 0; i < n; i++) {
			const struct bar *b = &bars[i];
			uint64_t lo = 0;
			for (int j = 0; j < k; j++)
				if (items[j] != ITEM_FAILED)
					lo = sat_add(lo, b->seg[items[j]]);
			if (items[k] == ITEM_FAILED)
				lo = b->fail_lo;
			if (!b->seg[items[k]])
				continue;
			fprintf(f, "%d %" PRIu64 " %" PRIu64 " %d\n", b->xc, lo,
				sat_add(lo, b->seg[items[k]]), hw);
		}
	}
	/* The NaN rows keep $cap and $lab non-empty (gnuplot warns otherwise). */
	fputs("EOD\n$cap << EOD\nNaN NaN 0\n", f);
	for (int i = 0; i < n; i++)
		if (bars[i].capacity)
			fprintf(f, "%d %" PRIu64 " %d\n", bars[i].xc - hw, bars[i].capacity, 2 * hw);
	fputs("EOD\n$lab << EOD\nNaN NaN \"\"\n", f);
	for (int i = 0; i < n; i++) {
		const struct bar *b = &bars[i];
		uint64_t lo = 0;
		for (int k = 0; k < n_items; k++) {
			int it = items[k];
			uint64_t s = b->seg[it];
			if (it == ITEM_FAILED)
				continue;
			/* The failed request covers the free part: its label says it. */
			if (it == ITEM_FREE && b->failed) {
				lo = sat_add(lo, s);
				continue;
			}
			if (bar_px >= 48 && s && (double)s >= 0.045 * (double)ytop) {
				char a[32];
				fprintf(f, "%d %" PRIu64 " \"%s%s%s MiB\"\n", b->xc, lo + s / 2,
					bar_px >= 120 ? item_name(it) : "",
					bar_px >= 120 ? " " : "", mib(a, sizeof(a), s));
			}
			lo = sat_add(lo, s);
		}
	}
	fputs("EOD\n", f);
	/* The failed requests, labelled above their box. */
	int nf = 0;
	for (int i = 0; i < n; i++)
		nf += bars[i].failed;
	fprintf(f, "NF = %d\n", nf);
	gp_array_decl(f, "fx", nf);
	gp_array_decl(f, "fy", nf);
	gp_array_decl(f, "ftxt", nf);
	for (int i = 0, j = 0; i < n; i++) {
		if (!bars[i].failed)
			continue;
		j++;
		fprintf(f, "fx[%d] = %d\n", j, bars[i].xc);
		gp_array_u64(f, "fy", j, sat_add(bars[i].fail_lo, bars[i].seg[ITEM_FAILED]));
		gp_array_str(f, "ftxt", j, bars[i].fail_txt, 120);
	}
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Tic labels: xtl[i] on the first line, xtl2[i] under it, at xtp[i]. */
static void tics_send(FILE *f, const char *const *l1, const char *const *l2, const int *pos,
		      int n)
{
	fprintf(f, "NT = %d\n", n);
	gp_array_decl(f, "xtl", n);
	gp_array_decl(f, "xtl2", n);
	gp_array_decl(f, "xtp", n);
	for (int i = 0; i < n; i++) {
		gp_array_str(f, "xtl", i + 1, l1[i], 24);
		gp_array_str(f, "xtl2", i + 1, l2[i], 24);
		fprintf(f, "xtp[%d] = %d\n", i + 1, pos[i]);
	}
}

int plot_breakdown_write(const struct sim_result *res, const struct plot_meta *m,
			 const char *path, int force, char **cause)
{
	if (!res || res->n_dev < 1 || res->n_dev > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "breakdown: expected 1 to %d GPUs",
				TOPO_MAX_GPUS);
	int n = res->n_dev;
	int w = clampi(320 + n * 120, 1000, 4000);
	int bar_px = (w - 320) / n * 6 / 10;
	struct bar *bars = util_xcalloc((size_t)n, sizeof(*bars));
	char (*l1)[32] = util_xcalloc((size_t)n, sizeof(*l1));
	char (*l2)[32] = util_xcalloc((size_t)n, sizeof(*l2));
	const char **p1 = util_xcalloc((size_t)n, sizeof(*p1));
	const char **p2 = util_xcalloc((size_t)n, sizeof(*p2));
	int *pos = util_xcalloc((size_t)n, sizeof(*pos));
	for (int g = 0; g < n; g++) {
		char a[32];
		bar_fill(&bars[g], res, g, g * 1000);
		snprintf(l1[g], sizeof(l1[g]), "GPU %d", g);
		snprintf(l2[g], sizeof(l2[g]), "%s MiB", mib(a, sizeof(a), res->dev[g].capacity));
		p1[g] = l1[g];
		p2[g] = l2[g];
		pos[g] = g * 1000;
	}
	struct gp g;
	int rc = gp_begin(&g, path, force, w, 720, "breakdown.gp", cause);
	if (!rc) {
		gp_titles(g.f, m, "where did my VRAM go: each GPU at its peak", w);
		tics_send(g.f, p1, p2, pos, n);
		fprintf(g.f, "xlo = -600\nxhi = %d\n", (n - 1) * 1000 + 600);
		bars_send(g.f, bars, n, 300, bar_px);
		rc = gp_end(&g, cause);
		if (!rc)
			rc = gp_commit(&g, force, cause);
	}
	free(bars);
	free(l1);
	free(l2);
	free(p1);
	free(p2);
	free(pos);
	return rc;
}

int plot_compare_write(const struct sim_result *recorded, const struct sim_result *whatif,
		       const struct plot_meta *m_rec, const struct plot_meta *m_what,
		       const char *path, int force, char **cause)
{
	if (!recorded || !whatif || recorded->n_dev < 1 || whatif->n_dev < 1 ||
	    recorded->n_dev > TOPO_MAX_GPUS || whatif->n_dev > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "compare: expected 1 to %d GPUs on each side",
				TOPO_MAX_GPUS);
	const char *rname = m_rec && m_rec->scenario && *m_rec->scenario ? m_rec->scenario
									 : "recorded";
	const char *wname = m_what && m_what->scenario && *m_what->scenario ? m_what->scenario
									    : "what-if";
	int ng = recorded->n_dev > whatif->n_dev ? recorded->n_dev : whatif->n_dev;
	int nb = 0;
	struct bar *bars = util_xcalloc((size_t)ng * 2, sizeof(*bars));
	const char **p1 = util_xcalloc((size_t)ng * 2, sizeof(*p1));
	const char **p2 = util_xcalloc((size_t)ng * 2, sizeof(*p2));
	int *pos = util_xcalloc((size_t)ng * 2, sizeof(*pos));
	char (*gl)[32] = util_xcalloc((size_t)ng, sizeof(*gl));
	for (int g = 0; g < ng; g++) {
		snprintf(gl[g], sizeof(gl[g]), "GPU %d", g);
		for (int side = 0; side < 2; side++) {
			const struct sim_result *r = side ? whatif : recorded;
			if (g >= r->n_dev)
				continue;
			int xc = g * 1000 + (side ? 210 : -210);
			bar_fill(&bars[nb], r, g, xc);
			p1[nb] = side ? wname : rname;
			p2[nb] = gl[g];
			pos[nb] = xc;
			nb++;
		}
	}
	int w = clampi(320 + ng * 230, 1000, 4000);
	int bar_px = (w - 320) / ng * 36 / 100;
	struct gp g;
	int rc = gp_begin(&g, path, force, w, 760, "compare.gp", cause);
	if (!rc) {
		char sub[PLOT_MAX_TEXT * 4 + 8];
		struct plot_meta mm = { 0 };
		if (m_what)
			mm = *m_what;
		if (!mm.title)
			mm.title = "recorded vs what-if: each GPU at its peak";
		/* "GPUs: 3x24G -> 4x24G" when the topologies differ. */
		if (m_rec && m_rec->topology && m_what && m_what->topology &&
		    strcmp(m_rec->topology, m_what->topology) != 0) {
			char a[PLOT_MAX_TEXT * 4 + 8], b[PLOT_MAX_TEXT * 4 + 8];
			snprintf(sub, sizeof(sub), "%s -> %s",
				 clean_text(a, sizeof(a), m_rec->topology, 60),
				 clean_text(b, sizeof(b), m_what->topology, 60));
			mm.topology = sub;
		}
		if (!mm.trace_name && m_rec)
			mm.trace_name = m_rec->trace_name;
		if (!mm.model && m_rec)
			mm.model = m_rec->model;
		gp_titles(g.f, &mm, mm.title, w);
		tics_send(g.f, p1, p2, pos, nb);
		fprintf(g.f, "xlo = -600\nxhi = %d\n", (ng - 1) * 1000 + 600);
		bars_send(g.f, bars, nb, 180, bar_px);
		rc = gp_end(&g, cause);
		if (!rc)
			rc = gp_commit(&g, force, cause);
	}
	free(bars);
	free(p1);
	free(p2);
	free(pos);
	free(gl);
	return rc;
}

/* ---- fit curve ---- */

static const char *const gpu_colors[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
	"#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79",
};

static const uint64_t *sort_ctx;

static int by_ctx(const void *a, const void *b)
{
	uint64_t x = sort_ctx[*(const int *)a], y = sort_ctx[*(const int *)b];
	return x < y ? -1 : x > y;
}

int plot_fitcurve_write(const uint64_t *ctx, const uint64_t *peak, int n_points, int n_dev,
			const uint64_t *capacity, const struct plot_meta *m, const char *path,
			int force, char **cause)
{
	if (!ctx || !peak || !capacity || n_points < 1 || n_dev < 1 || n_dev > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT,
				"fit curve: expected at least one point and 1 to %d GPUs",
				TOPO_MAX_GPUS);
	int *ord = util_xmalloc((size_t)n_points * sizeof(*ord));
	for (int i = 0; i < n_points; i++)
		ord[i] = i;
	sort_ctx = ctx;
	qsort(ord, (size_t)n_points, sizeof(*ord), by_ctx);
	sort_ctx = NULL;
	/* Largest context at which every GPU fits. */
	uint64_t fit = 0;
	int any_fit = 0;
	for (int i = 0; i < n_points; i++) {
		int ok = 1;
		for (int d = 0; d < n_dev; d++)
			ok &= peak[(size_t)ord[i] * (size_t)n_dev + (size_t)d] <= capacity[d];
		if (ok) {
			fit = ctx[ord[i]];
			any_fit = 1;
		}
	}
	struct gp g;
	int rc = gp_begin(&g, path, force, 1280, 720, "fitcurve.gp", cause);
	if (rc) {
		free(ord);
		return rc;
	}
	FILE *f = g.f;
	gp_titles(f, m, "peak memory per GPU against context length", 1280);
	uint64_t ymax = 1, cmin = ctx[ord[0]], cmax = ctx[ord[n_points - 1]];
	fprintf(f, "ND = %d\n", n_dev);
	gp_array_decl(f, "gname", n_dev);
	gp_array_decl(f, "gcol", n_dev);
	for (int d = 0; d < n_dev; d++) {
		char t[32];
		snprintf(t, sizeof(t), "GPU %d", d);
		gp_array_str(f, "gname", d + 1, t, 16);
		gp_array_str(f, "gcol", d + 1, gpu_colors[(size_t)d % UTIL_ARRAY_SIZE(gpu_colors)], 16);
		if (capacity[d] > ymax)
			ymax = capacity[d];
	}
	/* One dashed line per distinct capacity, named after its GPUs. */
	int ncap = 0;
	char (*capn)[96] = util_xcalloc((size_t)n_dev, sizeof(*capn));
	uint64_t *capv = util_xcalloc((size_t)n_dev, sizeof(*capv));
	int *capfirst = util_xcalloc((size_t)n_dev, sizeof(*capfirst));
	for (int d = 0; d < n_dev; d++) {
		int k = 0;
		while (k < ncap && capv[k] != capacity[d])
			k++;
		if (k == ncap) {
			char a[32];
			capv[ncap] = capacity[d];
			capfirst[ncap] = d;
			snprintf(capn[ncap], sizeof(capn[ncap]), "capacity %s MiB: GPU %d",
				 mib(a, sizeof(a), capacity[d]), d);
			ncap++;
		} else {
			size_t l = strlen(capn[k]);
			if (l + 12 < sizeof(capn[k]))
				snprintf(capn[k] + l, sizeof(capn[k]) - l, ",%d", d);
		}
	}
	fprintf(f, "NC = %d\n", ncap);
	gp_array_decl(f, "capv", ncap);
	gp_array_decl(f, "capn", ncap);
	gp_array_decl(f, "capc", ncap);
	for (int k = 0; k < ncap; k++) {
		gp_array_u64(f, "capv", k + 1, capv[k]);
		gp_array_str(f, "capn", k + 1, capn[k], 90);
		gp_array_str(f, "capc", k + 1, ncap == 1 ? "#d62728" :
			     gpu_colors[(size_t)capfirst[k] % UTIL_ARRAY_SIZE(gpu_colors)], 16);
	}
	free(capn);
	free(capv);
	free(capfirst);
	fputs("$fc << EOD\n", f);
	for (int d = 0; d < n_dev; d++) {
		if (d)
			fputs("\n\n", f);
		for (int i = 0; i < n_points; i++) {
			uint64_t p = peak[(size_t)ord[i] * (size_t)n_dev + (size_t)d];
			if (p > ymax)
				ymax = p;
			fprintf(f, "%" PRIu64 " %" PRIu64 "\n", ctx[ord[i]], p);
		}
	}
	fputs("EOD\n", f);
	fprintf(f, "ytop = %" PRIu64 "\nxlo = %" PRIu64 "\nxhi = %" PRIu64 "\nlogx = %d\n", ymax,
		cmin, cmax, cmin > 0 && cmax / cmin >= 8);
	fprintf(f, "fit_x = %" PRIu64 "\nany_fit = %d\n", fit, any_fit);
	free(ord);
	rc = gp_end(&g, cause);
	if (!rc)
		rc = gp_commit(&g, force, cause);
	return rc;
}
