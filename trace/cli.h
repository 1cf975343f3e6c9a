/*
 * cli.h - what every subcommand shares: the declarative command entry
 * (its options, store mode, what-if family and TRACE argument), the
 * dispatcher that parses them and does the common prelude (--store, -q,
 * -h, opening the store), help, man page and shell completion generated
 * from the same tables, error printing and exit codes.
 *
 * A command is one `struct cli_cmd` and one function taking a
 * `struct cli_ctx`: adding an option means one row in its table and one
 * `case` in its loop over cli_next(); getopt, --help, the man page and
 * the completion scripts follow from the row.
 *
 * Exit codes (README "Exit status"): 0 ok, 1 runtime error, 2 usage or
 * input error, 3 the scenario does not fit (only with --fail-on-oom);
 * `record` exits with its child's status.
 */
#ifndef VRAMSIM_CLI_H
#define VRAMSIM_CLI_H

#include <stdio.h>

#include "store.h"

enum {
	CLI_OK = 0,
	CLI_ERR = 1,      /* runtime error */
	CLI_USAGE = 2,    /* usage or input error */
	CLI_NOFIT = 3     /* --fail-on-oom and the scenario does not fit */
};

/*
 * One option. key is the short letter ('f' for -f) or, for a long-only
 * option, a code >= CLI_KEY unique within its table. values says what
 * the shell may complete after it: a blank-separated word list, or
 * CLI_VAL_FILE / CLI_VAL_DIR; NULL: nothing.
 */
struct cli_opt {
	const char *name;   /* long name without "--"; NULL ends a table */
	int key;
	const char *arg;    /* the argument's name in help ("DIR"); NULL: a flag */
	const char *help;   /* '\n' starts a continuation line */
	const char *values;
};
#define CLI_KEY 256
#define CLI_VAL_FILE "@file"
#define CLI_VAL_DIR "@dir"

/* What the dispatcher does for a command. */
enum {
	CLI_STORE_RO = 1 << 0,  /* reads the store: --store, opened read-only */
	CLI_STORE_RW = 1 << 1,  /* writes the store: --store, created if missing */
	CLI_WHATIF = 1 << 2,    /* takes the what-if options (struct cli_family) */
	CLI_TRACE = 1 << 3,     /* takes one optional TRACE argument (default newest) */
	CLI_ARGS_REST = 1 << 4  /* options end at the first argument (record -- CMD) */
};

struct cli_ctx;
struct scen;        /* sim/scenario.h: only passed through, never opened here */
struct scen_opts;

/* One subcommand. Its --help text, also its man page section, is built
 * from usage, about, the option tables, more and more_fn. */
struct cli_cmd {
	const char *name;
	const char *summary;          /* one line for `vramsim --help` */
	const char *usage;            /* synopsis after "usage: vramsim NAME " */
	const char *about;            /* what it does, before the options */
	const struct cli_opt *opts;   /* its own options (NULL: none) */
	const char *more;             /* after the options: formats, examples, exit */
	void (*more_fn)(FILE *f);     /* text built at run time, after more */
	unsigned flags;               /* CLI_* above */
	int (*fn)(struct cli_ctx *cx);
};

/*
 * An option family shared by several commands and defined in a higher
 * layer: the what-if options (sim/scenario.c). The entry point hands it
 * to the dispatcher, so trace/ never reaches up to sim/.
 */
struct cli_family {
	const char *title;                 /* "what-if options" */
	const struct cli_opt *opts;
	/* Parse one option into state: 0 or a UTIL_* code with *cause. */
	int (*opt)(void *state, int key, const char *arg, char **cause);
	/* Do state and the TRACE argument (may be NULL) say the command
	 * needs no store (--model, a model file)? */
	int (*storeless)(const void *state, const char *trace);
};

/* What the dispatcher hands a command. */
struct cli_ctx {
	const struct cli_cmd *cmd;
	const char *store_opt;        /* --store DB, NULL: $VRAMSIM_STORE or default */
	const char *trace;            /* CLI_TRACE: the TRACE argument, NULL: newest */
	int argc;                     /* the other arguments */
	char **argv;
	int all_argc;                 /* the whole command line after "vramsim" */
	char **all_argv;
	struct scen_opts *whatif;     /* CLI_WHATIF: the parsed what-if options */
	int n_whatif;                 /* how many what-if options were given */
	int whatif_gpus_only;         /* ... and all of them were --gpus */
	/* replay --out: draw sc's pictures into dir (set by the entry point,
	 * which may reach plots/); NULL where no one can draw. */
	int (*draw)(struct cli_ctx *cx, struct scen *sc, const char *dir, int force);
	/* private to cli.c */
	struct cli_arg { int key; const char *arg; } *opt_;
	int n_opt_, i_opt_;
	struct store *st_;
	int storeless_;
	const struct cli_family *fam_;
};

/*
 * Parse argv (argv[0] is the command's name) by c's tables and run c.
 * Prints usage errors with a "did you mean" where one is close; --help
 * anywhere before "--" prints the help. fam (may be NULL) is the
 * what-if family, whatif its state; draw is copied into the context.
 * Returns the exit status; the store, if opened, is closed.
 */
int cli_run(const struct cli_cmd *c, const struct cli_family *fam, struct scen_opts *whatif,
	    int (*draw)(struct cli_ctx *, struct scen *, const char *, int), int argc, char **argv);

/* Next option of the command's own table, in command-line order:
 * its key, with *arg its argument (NULL for a flag); -1 at the end. */
int cli_next(struct cli_ctx *cx, const char **arg);

/*
 * The store, opened on first use as the command's flags say (read-only
 * or created). Commands call it after their own argument checks, so a
 * usage error never depends on whether the store exists. *st is NULL
 * with no error when the what-if options make the store unnecessary
 * (--model). Returns 0 or the exit status, the error printed. The
 * dispatcher closes it; commands do not.
 */
int cli_store(struct cli_ctx *cx, struct store **st);

/* Write c's help text to f (fam: the what-if family, may be NULL). */
void cli_cmd_help(const struct cli_cmd *c, const struct cli_family *fam, FILE *f);

/* The command named name, or an unambiguous prefix of one; NULL with
 * *ambiguous set when several match. */
const struct cli_cmd *cli_find(const struct cli_cmd *const *cmds, size_t n, const char *name,
			       int *ambiguous);

/* The candidate closest to word (edit distance at most a third of its
 * length, at least 1, or a candidate that starts with word); NULL if none. */
const char *cli_suggest(const char *word, const char *const *cand, size_t n);

/* Completion scripts generated from the command table: shell is
 * "bash" or "zsh". Returns 0, or CLI_USAGE for another shell. */
int cli_completion(FILE *f, const char *shell, const struct cli_cmd *const *cmds, size_t n,
		   const struct cli_family *fam);

/* Print "vramsim: <msg>\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "vramsim: <msg>": a note, silenced by -q. Control characters in every
 * message are escaped (util_term_str). */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a usage error and the hint to run --help; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a library failure (code from util.h) with its cause, free the
 * cause, and return the matching exit code (2 for UTIL_EINPUT, else 1). */
int cli_fail(int code, char *cause);

/* The store path: --store, else $VRAMSIM_STORE, else ./vramsim.db. */
const char *cli_store_path(const char *opt);
/* Open the store; on failure prints and returns the exit code (>0).
 * For commands that open a store the dispatcher does not own (merge). */
int cli_open_store(const char *opt, int flags, struct store **st);

/* Is -q in effect (set by the dispatcher). */
extern int cli_quiet;
/* Write/flush stdout and report a write error (returns exit code). */
int cli_finish_stdout(int rc);

#endif
