/*
 * vramsim.c - the entry point: a table of subcommands, each defined in the
 * folder of its stage (import/cmd_import.c, sim/cmd_replay.c, ...). It
 * lives in plots/, the last stage, because it is the one piece that
 * reaches every stage; no stage reaches up to it.
 *
 * Any unambiguous prefix of a command name works ("vramsim repl").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "plot.h"
#include "scenario.h"
#include "util.h"

/* The commands, in the order `vramsim --help` lists them. Adding one is
 * a row here and its `cmd_NAME_entry` beside its implementation. */
#define VRAMSIM_COMMANDS                                                        \
	X(record) X(import) X(ls) X(show) X(replay) X(fit) X(plan) X(sweep)     \
	X(merge) X(plot) X(export) X(diff) X(report)

#define X(name) extern const struct cli_cmd cmd_##name##_entry;
VRAMSIM_COMMANDS
#undef X
extern const struct cli_cmd cmd_engine_fit_entry; /* `fit --engine-fit`, below */

static const struct cli_cmd *const commands[] = {
#define X(name) &cmd_##name##_entry,
	VRAMSIM_COMMANDS
#undef X
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vramsim [-V|--version] [-h|--help] COMMAND [ARGS]\n\n"
		   "Where did my VRAM go, and will this model fit on those GPUs?\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'vramsim COMMAND --help' describes one command.\n"
		   "The store is ./vramsim.db unless --store or $VRAMSIM_STORE says otherwise.\n"
		   "Exit status: 0 ok, 1 runtime error, 2 usage or input error,\n"
		   "3 scenario does not fit (with --fail-on-oom); record: the child's status.\n"
		   "'vramsim completion bash|zsh' prints a shell completion script.\n");
}

/*
 * `replay --out DIR [-f]`: replay hands the scenario it replayed, and the
 * plots draw that very scenario. Composed here, at the entry point,
 * because replay (sim/) must not reach up to plots/. The pictures'
 * names go to stderr: stdout holds the report (maybe JSON).
 */
static int draw_scenario(struct cli_ctx *cx, struct scen *sc, const char *dir, int force)
{
	struct store *st;
	char *cause = NULL;
	int rc = cli_store(cx, &st);
	if (rc)
		return rc;
	rc = plot_scenario(st, sc, dir, force, stderr, &cause);
	return rc ? cli_fail(rc, cause) : 0;
}

/* `vramsim completion bash|zsh`: the scripts, from the command table. */
static int completion(int argc, char **argv)
{
	if (argc != 3)
		return cli_usage("completion", "give the shell: bash or zsh");
	return cli_completion(stdout, argv[2], commands, UTIL_ARRAY_SIZE(commands), &scen_family);
}

/* Write text as roff: no-fill, backslashes and leading dots escaped. */
static void roff_text(FILE *f, const char *text)
{
	fputs(".nf\n", f);
	int bol = 1;
	for (const char *p = text; *p; p++) {
		if (bol && (*p == '.' || *p == '\''))
			fputs("\\&", f);
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-')
			fputs("\\-", f);
		else
			fputc(*p, f);
		bol = *p == '\n';
	}
	if (!bol)
		fputc('\n', f);
	fputs(".fi\n", f);
}

/*
 * The man page, generated from the same command table and help texts
 * as --help, so the two never drift apart (`make man` writes vramsim.1).
 */
static int man_page(FILE *f)
{
	fprintf(f, ".TH VRAMSIM 1 \"\" \"vramsim %s\" \"User Commands\"\n", VRAMSIM_VERSION);
	fputs(".SH NAME\nvramsim \\- where did my VRAM go, and will this model fit on those GPUs\n", f);
	fputs(".SH SYNOPSIS\n.B vramsim\n.I COMMAND\n[\\fIOPTIONS\\fR]\n", f);
	fputs(".SH DESCRIPTION\nvramsim records GPU memory allocations of real runs (an LD_PRELOAD shim), "
	      "imports them and other sources (llama.cpp and Ollama logs, GGUF headers, PyTorch "
	      "snapshots, Kineto traces, Nsight Systems exports) into one SQLite store, replays "
	      "them on virtual GPUs under other splits, context lengths and topologies, and draws "
	      "PNG timelines with gnuplot.\n", f);
	fputs(".SH COMMANDS\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		if (!m)
			return CLI_ERR;
		cli_cmd_help(commands[i], &scen_family, m);
		fclose(m);
		fprintf(f, ".SS %s\n%s\n", commands[i]->name, commands[i]->summary);
		roff_text(f, text);
		free(text);
	}
	fputs(".SS completion\nprint a bash or zsh completion script\n.nf\n"
	      "usage: vramsim completion bash|zsh\n.fi\n", f);
	fputs(".SH EXIT STATUS\n.TP\n0\nsuccess (also when a scenario does not fit)\n"
	      ".TP\n1\nruntime error: I/O, SQLite, gnuplot\n"
	      ".TP\n2\nusage or input error; the message names the file, line or argument\n"
	      ".TP\n3\n\\-\\-fail\\-on\\-oom and the scenario does not fit\n"
	      ".PP\n\\fBvramsim record\\fR exits with the recorded command's status.\n", f);
	fputs(".SH ENVIRONMENT\n.TP\nVRAMSIM_STORE\nthe store when \\-\\-store is not given\n"
	      ".TP\nVRAMSIM_OUT\nthe shim's output pattern (%p pid, %e executable, %h host, %t time)\n"
	      ".TP\nVRAMSIM_GNUPLOT\nthe gnuplot command\n", f);
	fputs(".SH FILES\n.TP\n./vramsim.db\nthe default store (SQLite)\n", f);
	fputs(".SH EXAMPLES\n.nf\nvramsim import server.log\nvramsim replay \\-\\-gpus 4x24G "
	      "\\-\\-ctx 32768\nvramsim fit \\-\\-gpus 4x24G \\-\\-max\\-ctx\n"
	      "vramsim record \\-\\- ./train\n.fi\n", f);
	fputs(".SH SEE ALSO\nnvidia\\-smi(1), gnuplot(1), sqlite3(1)\n", f);
	return 0;
}

/* Unknown command: say so, with the closest one. */
static int unknown_command(const char *name, int ambiguous)
{
	const char *names[UTIL_ARRAY_SIZE(commands) + 2];
	size_t n = 0;
	for (; n < UTIL_ARRAY_SIZE(commands); n++)
		names[n] = commands[n]->name;
	names[n++] = "completion";
	names[n++] = "help";
	const char *s = ambiguous ? NULL : cli_suggest(name, names, n);
	if (ambiguous) {
		char list[256] = "";
		size_t len = strlen(name);
		for (size_t i = 0; i < n; i++)
			if (!strncmp(names[i], name, len)) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, "%s%s", l ? ", " : "", names[i]);
			}
		return cli_usage(NULL, "ambiguous command '%s': %s", name, list);
	}
	if (s)
		return cli_usage(NULL, "unknown command '%s'; did you mean '%s'?", name, s);
	return cli_usage(NULL, "unknown command '%s'", name);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			int amb;
			const struct cli_cmd *c = cli_find(commands, UTIL_ARRAY_SIZE(commands), argv[2],
							   &amb);
			if (c) {
				cli_cmd_help(c, &scen_family, stdout);
				return cli_finish_stdout(0);
			}
		}
		usage(stdout);
		return cli_finish_stdout(0);
	}
	if (strcmp(name, "--man") == 0)
		return cli_finish_stdout(man_page(stdout));
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0 ||
	    strcmp(name, "version") == 0) {
		printf("vramsim %s\n", VRAMSIM_VERSION);
		return cli_finish_stdout(0);
	}
	if (strcmp(name, "completion") == 0)
		return cli_finish_stdout(completion(argc, argv));
	int ambiguous;
	const struct cli_cmd *c = cli_find(commands, UTIL_ARRAY_SIZE(commands), name, &ambiguous);
	if (!c)
		return unknown_command(name, ambiguous);
	/* `fit --engine-fit` is llama.cpp's own fit: plan's options, not the what-ifs */
	for (int i = 2; c == &cmd_fit_entry && i < argc && strcmp(argv[i], "--"); i++)
		if (strcmp(argv[i], "--engine-fit") == 0)
			return cli_finish_stdout(cli_run(&cmd_engine_fit_entry, NULL, NULL, NULL, argc - 1, argv + 1));
	struct scen_opts so;
	scen_opts_init(&so);
	return cli_finish_stdout(cli_run(c, &scen_family, &so, draw_scenario, argc - 1, argv + 1));
}
