/*
 * gnuplot.c - the gnuplot process behind every picture (see gnuplot.h):
 * finding gnuplot and the scripts, the temporary file and its commit,
 * escaping every string that crosses the pipe, and the legend items.
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

#include "gnuplot.h"
#include "util.h"

/* ---- text ---- */

/*
 * Copy s into dst (size n >= 8) as clean text: valid UTF-8, control
 * characters (C0, DEL, C1) as spaces, at most max_chars characters, a
 * cut shown by "…". Quotes are left alone.
 */
char *gp_clean_text(char *dst, size_t n, const char *s, size_t max_chars)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0, chars = 0;
	while (*p) {
		uint32_t cp;
		int len = util_utf8_len((const char *)p, &cp);
		char tmp[4];
		int tl = len;
		if (len == 0) {
			tmp[0] = '?';
			tl = 1;
			len = 1;
		} else if (util_is_control(cp)) {
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
		gp_clean_text(clean, sizeof(clean), s, max_chars);
		if (quote_lit(NULL, 0, clean) < n || max_chars == 0)
			break;
		max_chars = max_chars > 8 ? max_chars - max_chars / 8 : max_chars - 1;
	}
	quote_lit(buf, n, clean);
	return buf;
}

/* Send s as a quoted string (see plot_quote). */
void gp_str(FILE *f, const char *s, size_t max_chars)
{
	char clean[PLOT_MAX_TEXT * 4 + 8];
	char lit[sizeof(clean) * 7 + 4];
	gp_clean_text(clean, sizeof(clean), s, max_chars < PLOT_MAX_TEXT ? max_chars : PLOT_MAX_TEXT);
	quote_lit(lit, sizeof(lit), clean);
	fputs(lit, f);
}

/* Send a path as a quoted string: exact bytes. Paths were checked for
 * control characters by gp_path_ok(). */
void gp_path(FILE *f, const char *path)
{
	size_t len = quote_lit(NULL, 0, path);
	char *lit = util_xmalloc(len + 1);
	quote_lit(lit, len + 1, path);
	fputs(lit, f);
	free(lit);
}

int gp_path_ok(const char *path, char **cause)
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

const char *gp_mib(char *buf, size_t n, uint64_t bytes)
{
	return util_mib(buf, n, bytes, 0);
}

/* ---- categories: stacking order, colours, legend names ---- */

/* Bottom to top: what is there from the start first. */
const int gp_stack_order[GP_N_STACK] = {
	TRACE_CAT_CONTEXT, TRACE_CAT_WEIGHTS, TRACE_CAT_PROJECTOR, TRACE_CAT_KV,
	TRACE_CAT_COMPUTE, TRACE_CAT_OUTPUT, TRACE_CAT_WORKSPACE, TRACE_CAT_COMM,
	TRACE_CAT_ACTIVATION, TRACE_CAT_GRAPH, TRACE_CAT_OTHER, TRACE_CAT_MANAGED, TRACE_CAT_HOST,
	TRACE_CAT_CACHE, GP_ITEM_UNUSED, GP_ITEM_FREE, GP_ITEM_FAILED,
};

const char *gp_item_color(int item)
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
	case TRACE_CAT_GRAPH: return "#98df8a";
	case TRACE_CAT_MANAGED: return "#f7b6d2";
	case GP_ITEM_UNUSED: return "#d9d9d9";
	case GP_ITEM_FREE: return "#ffffff";
	case GP_ITEM_FAILED: return "#d62728";
	default: return "#a0a0a0"; /* other */
	}
}

const char *gp_item_name(int item)
{
	switch (item) {
	case GP_ITEM_UNUSED: return "reserved, unused";
	case GP_ITEM_FREE: return "free";
	case GP_ITEM_FAILED: return "failed request (OOM)";
	/* The names llama.cpp's breakdown uses, beside vramsim's. */
	case TRACE_CAT_KV: return "KV cache (llama.cpp context)";
	case TRACE_CAT_CONTEXT: return "CUDA runtime (unaccounted)";
	default: return trace_cat_name(item);
	}
}

const char *gp_item_short(int item)
{
	return item == TRACE_CAT_KV ? "KV cache" : item == TRACE_CAT_CONTEXT ? "runtime"
	       : gp_item_name(item);
}

/* Fill density and border colour of a bar segment. */
const char *gp_item_density(int item)
{
	return item == GP_ITEM_FREE ? "0.0" : item == GP_ITEM_FAILED ? "0.25" : "1.0";
}

const char *gp_item_border(int item)
{
	return item == GP_ITEM_FREE ? "#909090" : item == GP_ITEM_FAILED ? "#d62728" : "#ffffff";
}

uint64_t gp_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

uint64_t gp_sum_used(const uint64_t *used)
{
	uint64_t s = 0;
	for (int c = 0; c < TRACE_CAT_MAX; c++)
		s = gp_sat_add(s, used[c]);
	return s;
}

void gp_oom_text(char *buf, size_t n, const struct sim_oom *o)
{
	char a[32], b[32], layer[48] = "";
	if (o->layer_lo >= 0 && o->layer_hi > o->layer_lo)
		snprintf(layer, sizeof(layer), " layers %d-%d", (int)o->layer_lo, (int)o->layer_hi);
	else if (o->layer_lo >= 0)
		snprintf(layer, sizeof(layer), " layer %d", (int)o->layer_lo);
	snprintf(buf, n, "OOM: %s MiB %s%s (free %s MiB)", gp_mib(a, sizeof(a), o->size),
		 trace_cat_name(o->category), layer, gp_mib(b, sizeof(b), o->free));
}

/* ---- running gnuplot ---- */

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

/* Where the scripts are: see plot.h. *dir is malloc'd. The message of
 * a failure names every place looked in. */
static int find_scripts(const char *script, char **dir, char **cause)
{
	const char *env = getenv("VRAMSIM_PLOTS_DIR");
	if (env && *env) {
		if (try_dir(env, script, dir))
			return 0;
		return util_err(cause, UTIL_ERR, "%s not found in $VRAMSIM_PLOTS_DIR (%s)", script,
				env);
	}
	char *cand[5] = { NULL };
	int n = 0;
	/* A build tree: ./vramsim, or a sanitizer build one folder down. */
	char *bin = util_exe_dir();
	if (bin) {
		cand[n++] = util_xasprintf("%s/plots", bin);
		cand[n++] = util_xasprintf("%s/../plots", bin);
		free(bin);
	}
#ifdef VRAMSIM_DATADIR_REL
	/* Installed, found from the binary: works under DESTDIR and when moved. */
	char *rel = util_installed_path(VRAMSIM_DATADIR_REL);
	if (rel)
		cand[n++] = rel;
#endif
#ifdef VRAMSIM_DATADIR
	cand[n++] = util_xstrdup(VRAMSIM_DATADIR);
#endif
	cand[n++] = util_xstrdup("plots");
	int found = 0;
	char tried[2048] = "";
	for (int i = 0; i < n; i++) {
		if (!found && try_dir(cand[i], script, dir))
			found = 1;
		size_t l = strlen(tried);
		snprintf(tried + l, sizeof(tried) - l, "%s%s", l ? ", " : "", cand[i]);
		free(cand[i]);
	}
	if (found)
		return 0;
	return util_err(cause, UTIL_ERR, "gnuplot script %s not found; looked in %s; set "
			"VRAMSIM_PLOTS_DIR to the folder of the *.gp files", script, tried);
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

/* Datablocks and arrays need gnuplot 5.2 (gnuplot 5.2 release notes: "datablocks", "arrays"). Checked once per
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

int gp_target_ok(const char *path, int force, char **cause)
{
	int rc = gp_path_ok(path, cause);
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

void gp_discard(struct gp *g)
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
int gp_begin(struct gp *g, const char *path, int force, int w, int h, const char *script,
	     enum plot_format format, char **cause)
{
	memset(g, 0, sizeof(*g));
	const char *cmd;
	char *dir = NULL;
	int rc;
	if ((rc = gp_target_ok(path, force, cause)) || (rc = find_scripts(script, &dir, cause)))
		return rc;
	if ((rc = gp_path_ok(dir, cause)) || (rc = gp_command(&cmd, cause)) ||
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
	g->format = format;
	if (format == PLOT_SVG)
		fprintf(g->f, "set term svg size %d,%d dynamic mouse standalone noenhanced "
			"font \"sans,10\"\n", w, h);
	else
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

/* An SVG document closes with </svg> (gnuplot writes it last). */
static int svg_ok(const char *path)
{
	char b[64] = "";
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	long n = fseek(f, -16, SEEK_END) == 0 ? (long)fread(b, 1, 16, f) : 0;
	fclose(f);
	b[n > 0 ? n : 0] = '\0';
	return strstr(b, "</svg>") != NULL;
}

/*
 * Load the script, finish the picture and check it: gnuplot's exit
 * status alone says little (its docs), so also require a PNG in tmp.
 * On failure the temporary file is gone.
 */
int gp_end(struct gp *g, char **cause)
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
	else if (g->format == PLOT_PNG ? !png_ok(g->tmp) : !svg_ok(g->tmp))
		rc = util_err(cause, UTIL_ERR, "%s: gnuplot wrote no %s", g->path,
			      g->format == PLOT_PNG ? "PNG" : "SVG");
	if (rc)
		gp_discard(g);
	return rc;
}

/* Put a finished picture in place. Without force, link() refuses an
 * existing target atomically (a file may have appeared since the check). */
int gp_commit(struct gp *g, int force, char **cause)
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

/*
 * The header: a headline and lines of context (model, GPUs, trace; the
 * scenario), wrapped, never cut: a picture shared without its command
 * line must still say what it shows. Widths are in characters for a w
 * pixels wide picture, about 7 px a character at 10 pt and 11 px at the
 * headline's 14 pt. A headline that needs more than two lines at 14 pt
 * is set at 11 pt (about 8.5 px a character). Each field keeps up to
 * GP_MAX_FIELD characters: more is a hostile name, not information.
 */
#define GP_MAX_FIELD 500

struct gp_lines {
	char **v;
	int n;
};

static void lines_add(struct gp_lines *l, const char *s, size_t len)
{
	while (len && s[len - 1] == ' ')
		len--;
	l->v = util_xrealloc(l->v, (size_t)(l->n + 1) * sizeof(*l->v));
	char *c = util_xmalloc(len + 1);
	memcpy(c, s, len);
	c[len] = '\0';
	l->v[l->n++] = c;
}

static void lines_free(struct gp_lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static size_t n_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * Break clean text s into lines of at most width characters at the last
 * space that fits, else after the last '/', ',', ';', '_' or '-' (a path,
 * a list), else inside the word: every character stays. All lines but
 * the last go to l; the last is returned (malloc'd) so a caller can go on
 * filling it.
 */
static char *wrap(struct gp_lines *l, const char *s, size_t width)
{
	if (width < 8)
		width = 8;
	while (*s == ' ')
		s++;
	for (;;) {
		size_t chars = 0, brk = 0, resume = 0;
		const char *p = s;
		while (*p && chars < width) {
			uint32_t cp;
			int n = util_utf8_len(p, &cp);
			if (*p == ' ') {
				brk = (size_t)(p - s);
				resume = brk + 1;
			} else if (strchr("/,;_-", *p)) {
				brk = resume = (size_t)(p - s) + 1;
			}
			p += n > 0 ? n : 1;
			chars++;
		}
		if (!*p) {
			char *last = util_xmalloc((size_t)(p - s) + 1);
			memcpy(last, s, (size_t)(p - s) + 1);
			return last;
		}
		if (*p == ' ')
			brk = resume = (size_t)(p - s);
		if (!brk)
			brk = resume = (size_t)(p - s);
		lines_add(l, s, brk);
		s += resume;
		while (*s == ' ')
			s++;
	}
}

/* Fields "label: value" packed into lines of width: whole fields side by
 * side, four spaces apart, while they fit; a longer one wrapped. */
static void pack(struct gp_lines *l, const char *const *lab, const char *const *val, int n,
		 size_t width)
{
	char *cur = NULL;
	for (int i = 0; i < n; i++) {
		if (!val[i] || !*val[i])
			continue;
		char clean[GP_MAX_FIELD * 4 + 8];
		gp_clean_text(clean, sizeof(clean), val[i], GP_MAX_FIELD);
		char *field = util_xasprintf("%s: %s", lab[i], clean);
		if (cur && n_chars(cur) + 4 + n_chars(field) <= width) {
			char *j = util_xasprintf("%s    %s", cur, field);
			free(cur);
			cur = j;
		} else {
			if (cur)
				lines_add(l, cur, strlen(cur));
			free(cur);
			cur = wrap(l, field, width);
		}
		free(field);
	}
	if (cur && *cur)
		lines_add(l, cur, strlen(cur));
	free(cur);
}

/* Send clean text whole as a gnuplot literal (see quote_lit). */
static void send_lit(FILE *f, const char *clean)
{
	size_t len = quote_lit(NULL, 0, clean);
	char *lit = util_xmalloc(len + 1);
	quote_lit(lit, len + 1, clean);
	fputs(lit, f);
	free(lit);
}

static void send_lines(FILE *f, const char *name, const struct gp_lines *l)
{
	gp_array_decl(f, name, l->n);
	for (int i = 0; i < l->n; i++) {
		fprintf(f, "%s[%d] = ", name, i + 1);
		send_lit(f, l->v[i]);
		fputc('\n', f);
	}
}

/*
 * NTL title lines tl_str[i] in tl_font, tl_px apart; NSL context lines
 * sl_str[i], 16 px apart from sl_y0 px below the top; hdr_px, the
 * header's height (64 px for the usual one title line and two context
 * lines, more when a line wraps). header.gp draws them. Returns hdr_px;
 * with f NULL sends nothing (a picture sized to its header asks first).
 */
int gp_titles(FILE *f, const struct plot_meta *m, const char *def_title, int w)
{
	/* Line 1: what and where (model, GPUs, trace); then the scenario,
	 * the longest field, on lines of its own. */
	const char *lab[4] = { "model", "GPUs", "trace", "scenario" };
	const char *val[4] = { NULL, NULL, NULL, NULL };
	if (m) {
		val[0] = m->model;
		val[1] = m->topology;
		val[2] = m->model && m->trace_name && !strcmp(m->model, m->trace_name) ? NULL
			 : m->trace_name;
		val[3] = m->scenario;
	}
	size_t width = (size_t)w / 7;
	struct gp_lines sub = { 0 }, title = { 0 };
	pack(&sub, lab, val, 3, width);
	pack(&sub, lab + 3, val + 3, 1, width);

	char clean[GP_MAX_FIELD * 4 + 8];
	gp_clean_text(clean, sizeof(clean), m && m->title && *m->title ? m->title : def_title,
		      GP_MAX_FIELD);
	int big = 1;
	char *last = wrap(&title, clean, (size_t)w / 11);
	if (title.n >= 2) {
		lines_free(&title);
		free(last);
		last = wrap(&title, clean, (size_t)w * 2 / 17);
		big = 0;
	}
	lines_add(&title, last, strlen(last));
	free(last);

	int tl_px = big ? 21 : 17;
	int sl_y0 = 18 + (title.n - 1) * tl_px + 22;
	int hdr = sl_y0 + (sub.n > 1 ? sub.n - 1 : 0) * 16 + 8;
	if (hdr < 64)
		hdr = 64;
	if (f) {
		fprintf(f, "NTL = %d\n", title.n);
		send_lines(f, "tl_str", &title);
		fprintf(f, "tl_font = '%s'\ntl_px = %d.0\n", big ? "sans,14" : "sans,11", tl_px);
		fprintf(f, "NSL = %d\n", sub.n);
		send_lines(f, "sl_str", &sub);
		fprintf(f, "sl_y0 = %d.0\nhdr_px = %d.0\n", sl_y0, hdr);
	}
	lines_free(&title);
	lines_free(&sub);
	return hdr;
}

/* name[k] = str for k = 1..n: gnuplot arrays are 1-based. */
void gp_array_decl(FILE *f, const char *name, int n)
{
	fprintf(f, "array %s[%d]\n", name, n > 0 ? n : 1);
}

void gp_array_str(FILE *f, const char *name, int k, const char *s, size_t max)
{
	fprintf(f, "%s[%d] = ", name, k);
	gp_str(f, s, max);
	fputc('\n', f);
}

void gp_array_u64(FILE *f, const char *name, int k, uint64_t v)
{
	fprintf(f, "%s[%d] = %" PRIu64 "\n", name, k, v);
}

/* The legend items: names, colours, fill densities and borders. */
void gp_items(FILE *f, const int *items, int n)
{
	fprintf(f, "K = %d\n", n);
	gp_array_decl(f, "iname", n);
	gp_array_decl(f, "icol", n);
	gp_array_decl(f, "idens", n);
	gp_array_decl(f, "ibord", n);
	for (int k = 0; k < n; k++) {
		gp_array_str(f, "iname", k + 1, gp_item_name(items[k]), 40);
		gp_array_str(f, "icol", k + 1, gp_item_color(items[k]), 16);
		fprintf(f, "idens[%d] = %s\n", k + 1, gp_item_density(items[k]));
		gp_array_str(f, "ibord", k + 1, gp_item_border(items[k]), 16);
	}
}

