/*
 * cli.h - what every subcommand shares: the command table entry, error
 * printing with the program's prefix, exit codes, and the --store option.
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

/* One subcommand. Its full --help text (stdout, exit 0), also its man
 * page section, is help, or what help_fn writes when the text is built
 * at run time (a list of formats, shared option blocks). */
struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;   /* one line for `vramsim --help` */
	const char *help;
	void (*help_fn)(FILE *f);
};

/* Write c's help text to f. */
void cli_cmd_help(const struct cli_cmd *c, FILE *f);

/* Print "vramsim: <msg>\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a usage error and the hint to run --help; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a library failure (code from util.h) with its cause, free the
 * cause, and return the matching exit code (2 for UTIL_EINPUT, else 1). */
int cli_fail(int code, char *cause);

/* The store path: --store, else $VRAMSIM_STORE, else ./vramsim.db. */
const char *cli_store_path(const char *opt);
/* Open the store; on failure prints and returns the exit code (>0). */
int cli_open_store(const char *opt, int flags, struct store **st);

/* Is -q in effect (set by the command's own option parsing). */
extern int cli_quiet;
/* Write/flush stdout and report a write error (returns exit code). */
int cli_finish_stdout(int rc);

#endif
