/*
 * cli.c - shared command-line plumbing: the dispatcher's prelude, help
 * and completion generated from the option tables, suggestions, errors.
 */
#include "cli.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_quiet;

/* Keys of the options every command shares (not in any command's table;
 * command keys are letters or >= CLI_KEY, family keys likewise). */
enum { KEY_STORE = 255 };

static const struct cli_opt store_opt[] = {
	{ "store", KEY_STORE, "DB", "the store (default ./vramsim.db or $VRAMSIM_STORE)",
	  CLI_VAL_FILE },
	{ NULL, 0, NULL, NULL, NULL },
};
static const struct cli_opt common_opts[] = {
	{ "quiet", 'q', NULL, "no notes or warnings on stderr", NULL },
	{ "help", 'h', NULL, "this help", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

/*
 * Messages quote names from input (trace names, file names, labels): any
 * control character in them is escaped, so input can never move the
 * cursor or rewrite the terminal (ESC sequences).
 */
static void say(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = util_xvasprintf(fmt, ap);
	char *safe = util_term_xstr(msg);
	fprintf(stderr, "%s%s\n", prefix, safe);
	free(safe);
	free(msg);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("vramsim: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	if (cli_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	say("vramsim: warning: ", fmt, ap);
	va_end(ap);
}

void cli_note(const char *fmt, ...)
{
	if (cli_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	say("vramsim: ", fmt, ap);
	va_end(ap);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "vramsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	say(prefix, fmt, ap);
	va_end(ap);
	fprintf(stderr, "try 'vramsim %s%s--help' for more information\n", cmd ? cmd : "",
		cmd ? " " : "");
	return CLI_USAGE;
}

int cli_fail(int code, char *cause)
{
	cli_error("%s", cause ? cause : "unknown error");
	free(cause);
	return code == UTIL_EINPUT ? CLI_USAGE : CLI_ERR;
}

const char *cli_store_path(const char *opt)
{
	if (opt)
		return opt;
	const char *env = getenv("VRAMSIM_STORE");
	return env && *env ? env : STORE_DEFAULT_PATH;
}

int cli_open_store(const char *opt, int flags, struct store **st)
{
	char *cause = NULL;
	const char *path = cli_store_path(opt);
	struct stat sb;
	if (!(flags & STORE_CREATE) && stat(path, &sb) != 0 && errno == ENOENT)
		return cli_fail(UTIL_EINPUT, util_xasprintf(
			"no store at %s: nothing imported yet; make one with "
			"'vramsim import --store %s FILE' (a log, a GGUF, a trace)", path, path));
	int rc = store_open(path, flags, st, &cause);
	if (rc)
		return cli_fail(rc, cause);
	return 0;
}

int cli_finish_stdout(int rc)
{
	/* A report silently cut short by a full disk is worse than an error. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("write error on standard output: %s", strerror(errno));
		return rc ? rc : CLI_ERR;
	}
	return rc;
}

/* ---- help ------------------------------------------------------------ */

enum { HELP_COL = 22 };

static void opt_help_line(FILE *f, const struct cli_opt *o)
{
	int n;
	if (o->key > ' ' && o->key < 127)
		n = fprintf(f, "  -%c, --%s", o->key, o->name);
	else
		n = fprintf(f, "  --%s", o->name);
	if (o->arg)
		n += fprintf(f, " %s", o->arg);
	if (n >= HELP_COL) {
		fputc('\n', f);
		n = 0;
	}
	fprintf(f, "%*s", HELP_COL - n, "");
	for (const char *p = o->help ? o->help : ""; *p; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fprintf(f, "%*s", HELP_COL, "");
	}
	fputc('\n', f);
}

static void opt_help_block(FILE *f, const struct cli_opt *o)
{
	for (; o && o->name; o++)
		opt_help_line(f, o);
}

void cli_cmd_help(const struct cli_cmd *c, const struct cli_family *fam, FILE *f)
{
	fprintf(f, "usage: vramsim %s%s%s\n", c->name, c->usage && *c->usage ? " " : "",
		c->usage ? c->usage : "");
	if (c->about)
		fprintf(f, "\n%s", c->about);
	fputs("\noptions:\n", f);
	if (c->flags & (CLI_STORE_RO | CLI_STORE_RW))
		opt_help_block(f, store_opt);
	opt_help_block(f, c->opts);
	opt_help_block(f, common_opts);
	if ((c->flags & CLI_WHATIF) && fam) {
		fprintf(f, "\n%s:\n", fam->title);
		opt_help_block(f, fam->opts);
	}
	if (c->more)
		fprintf(f, "\n%s", c->more);
	if (c->more_fn)
		c->more_fn(f);
}

/* ---- finding commands and suggestions --------------------------------- */

const struct cli_cmd *cli_find(const struct cli_cmd *const *cmds, size_t n, const char *name,
			       int *ambiguous)
{
	const struct cli_cmd *hit = NULL;
	size_t len = strlen(name);
	*ambiguous = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cmds[i]->name, name) == 0)
			return cmds[i];
		if (len && strncmp(cmds[i]->name, name, len) == 0) {
			if (hit)
				*ambiguous = 1;
			hit = cmds[i];
		}
	}
	return *ambiguous ? NULL : hit;
}

/* Levenshtein distance, capped at cap + 1 (words here are short). */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return cap + 1;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0], best = row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[lb];
}

const char *cli_suggest(const char *word, const char *const *cand, size_t n)
{
	size_t len = strlen(word), cap = len / 3 ? len / 3 : 1;
	const char *best = NULL;
	size_t best_d = cap + 1;
	for (size_t i = 0; i < n; i++) {
		if (len >= 2 && strncmp(cand[i], word, len) == 0)
			return cand[i];
		size_t d = edit_distance(word, cand[i], cap);
		if (d < best_d) {
			best_d = d;
			best = cand[i];
		}
	}
	return best;
}

/* ---- parsing ------------------------------------------------------------ */

/* The tables a command's getopt sees, in order. */
struct tables {
	const struct cli_opt *t[4];
	int n;
};

static void tables_of(const struct cli_cmd *c, const struct cli_family *fam, struct tables *tb)
{
	tb->n = 0;
	if (c->flags & (CLI_STORE_RO | CLI_STORE_RW))
		tb->t[tb->n++] = store_opt;
	if (c->opts)
		tb->t[tb->n++] = c->opts;
	tb->t[tb->n++] = common_opts;
	if ((c->flags & CLI_WHATIF) && fam)
		tb->t[tb->n++] = fam->opts;
}

/* The row of key in the tables (NULL: none) and whether it is the family's. */
static const struct cli_opt *row_of(const struct tables *tb, const struct cli_family *fam,
				    int key, int *family)
{
	for (int i = 0; i < tb->n; i++)
		for (const struct cli_opt *o = tb->t[i]; o->name; o++)
			if (o->key == key) {
				*family = fam && tb->t[i] == fam->opts;
				return o;
			}
	return NULL;
}

/* One line for a getopt failure, with the option's name as typed. */
static int bad_option(const struct cli_cmd *c, const struct tables *tb, int k, const char *word)
{
	char name[64];
	size_t n = strcspn(word, "=");
	snprintf(name, sizeof(name), "%.*s", (int)(n < 60 ? n : 60), word);
	if (k == ':')
		return cli_usage(c->name, "option '%s' needs a value", name);
	if (optopt && strncmp(word, "--", 2) == 0)
		return cli_usage(c->name, "option '%s' takes no value", name);
	if (optopt && strncmp(word, "--", 2) != 0) {
		snprintf(name, sizeof(name), "-%c", optopt > ' ' && optopt < 127 ? optopt : '?');
		return cli_usage(c->name, "unknown option '%s'", name);
	}
	/* Unknown or ambiguous long option. */
	const char *cand[128];
	size_t nc = 0, hits = 0;
	char list[256] = "";
	const char *w = name + (name[0] == '-') + (name[1] == '-');
	for (int i = 0; i < tb->n; i++)
		for (const struct cli_opt *o = tb->t[i]; o->name && nc < 128; o++) {
			cand[nc++] = o->name;
			if (*w && strncmp(o->name, w, strlen(w)) == 0 && hits++ < 6) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, "%s--%s", l ? ", " : "", o->name);
			}
		}
	if (hits > 1)
		return cli_usage(c->name, "option '%s' is ambiguous: %s%s", name, list,
				 hits > 6 ? ", ..." : "");
	const char *s = cli_suggest(w, cand, nc);
	if (s)
		return cli_usage(c->name, "unknown option '%s'; did you mean '--%s'?", name, s);
	return cli_usage(c->name, "unknown option '%s'", name);
}

static int wants_help(const struct cli_cmd *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if ((c->flags & CLI_ARGS_REST) && argv[i][0] != '-')
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int cli_run(const struct cli_cmd *c, const struct cli_family *fam, struct scen_opts *whatif,
	    int (*draw)(struct cli_ctx *, struct scen *, const char *, int), int argc, char **argv)
{
	if (!(c->flags & CLI_WHATIF))
		fam = NULL;
	if (wants_help(c, argc, argv)) {
		cli_cmd_help(c, fam, stdout);
		return 0;
	}
	struct tables tb;
	tables_of(c, fam, &tb);
	size_t n = 0;
	for (int i = 0; i < tb.n; i++)
		for (const struct cli_opt *o = tb.t[i]; o->name; o++)
			n++;
	struct option *lo = util_xcalloc(n + 1, sizeof(*lo));
	char *shorts = util_xmalloc(2 * n + 3), *sp = shorts;
	if (c->flags & CLI_ARGS_REST)
		*sp++ = '+';
	*sp++ = ':'; /* ':' for a missing value, so the message can say so */
	n = 0;
	for (int i = 0; i < tb.n; i++)
		for (const struct cli_opt *o = tb.t[i]; o->name; o++) {
			lo[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
						   NULL, o->key };
			if (o->key > ' ' && o->key < 127) {
				*sp++ = (char)o->key;
				if (o->arg)
					*sp++ = ':';
			}
		}
	*sp = '\0';
	struct cli_ctx cx = { .cmd = c, .draw = draw, .fam_ = fam, .all_argc = argc,
			      .all_argv = argv };
	if (fam)
		cx.whatif = whatif;
	int rc = 0, k, gpus_only = 1;
	size_t cap = 0;
	opterr = 0;
	optind = 0; /* 0: glibc re-reads the option string ('+') */
	while (!rc && (k = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		int family = 0;
		const struct cli_opt *row = k == '?' || k == ':' ? NULL : row_of(&tb, fam, k, &family);
		if (!row) {
			rc = bad_option(c, &tb, k, argv[optind - 1] ? argv[optind - 1] : "?");
		} else if (k == 'q' && row == &common_opts[0]) {
			cli_quiet = 1;
		} else if (k == 'h' && row == &common_opts[1]) {
			cli_cmd_help(c, fam, stdout);
			goto out;
		} else if (k == KEY_STORE) {
			cx.store_opt = optarg;
		} else if (family) {
			char *cause = NULL;
			if (fam->opt(whatif, k, optarg, &cause)) {
				rc = cli_usage(c->name, "%s", cause ? cause : "bad value");
				free(cause);
			}
			cx.n_whatif++;
			gpus_only &= strcmp(row->name, "gpus") == 0;
		} else {
			UTIL_GROW(cx.opt_, (size_t)cx.n_opt_ + 1, cap);
			cx.opt_[cx.n_opt_++] = (struct cli_arg){ k, optarg };
		}
	}
	if (rc)
		goto out;
	cx.whatif_gpus_only = cx.n_whatif > 0 && gpus_only;
	cx.argc = argc - optind;
	cx.argv = argv + optind;
	if (c->flags & CLI_TRACE) {
		if (cx.argc > 1) {
			rc = cli_usage(c->name, "unexpected argument '%s'", cx.argv[1]);
			goto out;
		}
		cx.trace = cx.argc ? cx.argv[0] : NULL;
		cx.argc = 0;
	}
	if (fam && fam->storeless && fam->storeless(whatif, cx.trace)) {
		cx.storeless_ = 1;
		if (cx.trace && fam->storeless(whatif, NULL))
			cli_warn("--model describes the model: TRACE '%s' is ignored", cx.trace);
	}
	rc = c->fn(&cx);
	store_close(cx.st_);
out:
	free(cx.opt_);
	free(lo);
	free(shorts);
	return rc;
}

int cli_next(struct cli_ctx *cx, const char **arg)
{
	if (cx->i_opt_ >= cx->n_opt_)
		return -1;
	*arg = cx->opt_[cx->i_opt_].arg;
	return cx->opt_[cx->i_opt_++].key;
}

int cli_store(struct cli_ctx *cx, struct store **st)
{
	*st = cx->st_;
	if (cx->st_ || cx->storeless_)
		return 0;
	unsigned f = cx->cmd->flags;
	if (!(f & (CLI_STORE_RO | CLI_STORE_RW)))
		return cli_usage(cx->cmd->name, "takes no store"); /* a table bug */
	int rc = cli_open_store(cx->store_opt, f & CLI_STORE_RW ? STORE_CREATE : STORE_READONLY,
				&cx->st_);
	*st = cx->st_;
	return rc;
}

/* ---- completion ----------------------------------------------------------- */

/* Every option a command takes, one table after another, calling fn. */
static void each_opt(const struct cli_cmd *c, const struct cli_family *fam,
		     void (*fn)(FILE *, const struct cli_opt *), FILE *f)
{
	struct tables tb;
	tables_of(c, fam, &tb);
	for (int i = 0; i < tb.n; i++)
		for (const struct cli_opt *o = tb.t[i]; o->name; o++)
			fn(f, o);
}

static void bash_word(FILE *f, const struct cli_opt *o)
{
	fprintf(f, " --%s", o->name);
	if (o->key > ' ' && o->key < 127)
		fprintf(f, " -%c", o->key);
}

static void bash_value(FILE *f, const struct cli_opt *o)
{
	if (!o->arg)
		return;
	fprintf(f, "\t\t--%s", o->name);
	if (o->key > ' ' && o->key < 127)
		fprintf(f, "|-%c", o->key);
	if (!o->values)
		fputs(") return ;;\n", f);
	else if (!strcmp(o->values, CLI_VAL_FILE))
		fputs(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", f);
	else if (!strcmp(o->values, CLI_VAL_DIR))
		fputs(") COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", f);
	else
		fprintf(f, ") COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n", o->values);
}

/* Text safe inside a zsh single-quoted _arguments description. */
static void zsh_text(FILE *f, const char *s)
{
	for (; *s && *s != '\n'; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void zsh_value(FILE *f, const struct cli_opt *o)
{
	if (!o->arg)
		return;
	fputs(":", f);
	zsh_text(f, o->arg);
	if (!o->values)
		fputs(": ", f);
	else if (!strcmp(o->values, CLI_VAL_FILE))
		fputs(":_files", f);
	else if (!strcmp(o->values, CLI_VAL_DIR))
		fputs(":_files -/", f);
	else
		fprintf(f, ":(%s)", o->values);
}

static void zsh_spec(FILE *f, const struct cli_opt *o)
{
	fprintf(f, " \\\n\t\t\t'--%s[", o->name);
	zsh_text(f, o->help ? o->help : "");
	fputs("]", f);
	zsh_value(f, o);
	fputs("'", f);
	if (o->key > ' ' && o->key < 127) {
		fprintf(f, " \\\n\t\t\t'-%c[", o->key);
		zsh_text(f, o->help ? o->help : "");
		fputs("]", f);
		zsh_value(f, o);
		fputs("'", f);
	}
}

int cli_completion(FILE *f, const char *shell, const struct cli_cmd *const *cmds, size_t n,
		   const struct cli_family *fam)
{
	if (!strcmp(shell, "bash")) {
		fputs("# bash completion for vramsim; generated by 'vramsim completion bash'\n"
		      "# from the command table: do not edit.\n"
		      "_vramsim() {\n"
		      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
		      "\tCOMPREPLY=()\n"
		      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
		      "\t\tCOMPREPLY=($(compgen -W '", f);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s ", cmds[i]->name);
		fputs("completion help --help --version' -- \"$cur\"))\n\t\treturn\n\tfi\n"
		      "\tcase ${COMP_WORDS[1]} in\n", f);
		for (size_t i = 0; i < n; i++) {
			const struct cli_cmd *c = cmds[i];
			const struct cli_family *fm = c->flags & CLI_WHATIF ? fam : NULL;
			fprintf(f, "\t%s)\n\t\tcase $prev in\n", c->name);
			each_opt(c, fm, bash_value, f);
			fputs("\t\tesac\n\t\tif [[ $cur == -* ]]; then\n\t\t\tCOMPREPLY=($(compgen -W '", f);
			each_opt(c, fm, bash_word, f);
			fputs("' -- \"$cur\"))\n\t\telse\n\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
			      "\t\tfi ;;\n", f);
		}
		fputs("\tcompletion) COMPREPLY=($(compgen -W 'bash zsh' -- \"$cur\")) ;;\n"
		      "\tesac\n}\ncomplete -o filenames -F _vramsim vramsim\n", f);
		return 0;
	}
	if (!strcmp(shell, "zsh")) {
		fputs("#compdef vramsim\n# zsh completion for vramsim; generated by "
		      "'vramsim completion zsh'\n# from the command table: do not edit.\n"
		      "_vramsim() {\n\tlocal -a cmds\n\tcmds=(\n", f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "\t\t'%s:", cmds[i]->name);
			zsh_text(f, cmds[i]->summary);
			fputs("'\n", f);
		}
		fputs("\t\t'completion:print a bash or zsh completion script'\n\t)\n"
		      "\tif (( CURRENT == 2 )); then\n\t\t_describe 'command' cmds\n\t\treturn\n\tfi\n"
		      "\tlocal cmd=$words[2]\n\tshift words\n\t(( CURRENT-- ))\n\tcase $cmd in\n", f);
		for (size_t i = 0; i < n; i++) {
			const struct cli_cmd *c = cmds[i];
			fprintf(f, "\t%s)\n\t\t_arguments -s", c->name);
			each_opt(c, c->flags & CLI_WHATIF ? fam : NULL, zsh_spec, f);
			fputs(" \\\n\t\t\t'*:argument:_files' ;;\n", f);
		}
		fputs("\tcompletion) _arguments '1:shell:(bash zsh)' ;;\n\tesac\n}\n"
		      "_vramsim \"$@\"\n", f);
		return 0;
	}
	return cli_usage("completion", "unknown shell '%s': expected bash or zsh", shell);
}
