/*
 * cli.c - shared command-line plumbing.
 */
#include "cli.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_quiet;

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vramsim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	if (cli_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("vramsim: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "vramsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\ntry 'vramsim %s%s--help' for more information\n",
		cmd ? cmd : "", cmd ? " " : "");
	va_end(ap);
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
	int rc = store_open(cli_store_path(opt), flags, st, &cause);
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

void cli_cmd_help(const struct cli_cmd *c, FILE *f)
{
	if (c->help_fn)
		c->help_fn(f);
	else if (c->help)
		fputs(c->help, f);
}
