/*
 * vramsim.c - the entry point: a table of subcommands, each defined in the
 * folder of its stage (import/cmd_import.c, sim/cmd_replay.c, ...). It
 * lives in plots/, the last stage, because it is the one piece that
 * reaches every stage; no stage reaches up to it.
 *
 * Any unambiguous prefix of a command name works ("vramsim rep").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

extern const struct cli_cmd cmd_import_entry;
extern const struct cli_cmd cmd_record_entry;
extern const struct cli_cmd cmd_ls_entry;
extern const struct cli_cmd cmd_show_entry;
extern const struct cli_cmd cmd_replay_entry;
extern const struct cli_cmd cmd_fit_entry;
extern const struct cli_cmd cmd_plan_entry;
extern const struct cli_cmd cmd_sweep_entry;
extern const struct cli_cmd cmd_merge_entry;
extern const struct cli_cmd cmd_plot_entry;
extern const struct cli_cmd cmd_export_entry;
extern const struct cli_cmd cmd_diff_entry;

static const struct cli_cmd *const commands[] = {
	&cmd_record_entry,
	&cmd_import_entry,
	&cmd_ls_entry,
	&cmd_show_entry,
	&cmd_replay_entry,
	&cmd_fit_entry,
	&cmd_plan_entry,
	&cmd_sweep_entry,
	&cmd_merge_entry,
	&cmd_plot_entry,
	&cmd_export_entry,
	&cmd_diff_entry,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vramsim [--version] [--help] COMMAND [ARGS]\n\n"
		   "Where did my VRAM go, and will this model fit on those GPUs?\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'vramsim COMMAND --help' describes one command.\n"
		   "The store is ./vramsim.db unless --store or $VRAMSIM_STORE says otherwise.\n"
		   "Exit status: 0 ok, 1 runtime error, 2 usage or input error,\n"
		   "3 scenario does not fit (with --fail-on-oom); record: the child's status.\n");
}

/*
 * `replay --out DIR [-f]`: the replay, then the same scenario drawn by
 * `plot --whatif`. Composed here, at the entry point, because replay
 * (sim/) must not reach up to plots/.
 */
static int replay_with_pictures(const struct cli_cmd *replay, const struct cli_cmd *plot,
				int argc, char **argv)
{
	/* replay's own options that plot does not take (with their argument?) */
	static const struct { const char *opt; int arg; } replay_only[] = {
		{ "--json", 0 }, { "--csv", 0 }, { "--no-header", 0 }, { "--fail-on-oom", 0 },
		{ "--engine-estimate", 1 },
	};
	char **rv = calloc((size_t)argc + 2, sizeof(char *));
	char **pv = calloc((size_t)argc + 3, sizeof(char *));
	if (!rv || !pv) {
		free(rv);
		free(pv);
		return CLI_ERR;
	}
	int rc = 0, pc = 0, quiet = 0;
	pv[pc++] = (char *)"plot";
	pv[pc++] = (char *)"--whatif";
	for (int i = 0, skip; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--out") || !strcmp(a, "-f") || !strcmp(a, "--force") ||
		    !strncmp(a, "--out=", 6)) {
			pv[pc++] = argv[i];
			if (!strcmp(a, "--out") && i + 1 < argc)
				pv[pc++] = argv[++i];
			continue;
		}
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			quiet = 1;
		rv[rc++] = argv[i];
		skip = 0;
		for (size_t k = 0; k < sizeof(replay_only) / sizeof(replay_only[0]); k++)
			if (!strcmp(a, replay_only[k].opt) ||
			    (replay_only[k].arg && !strncmp(a, replay_only[k].opt,
							    strlen(replay_only[k].opt)) &&
			     a[strlen(replay_only[k].opt)] == '='))
				skip = 1 + (replay_only[k].arg && !strchr(a, '='));
		if (skip == 2 && i + 1 < argc)
			rv[rc++] = argv[++i];
		if (!skip && i > 0)
			pv[pc++] = argv[i];
	}
	(void)quiet;
	int code = replay->fn(rc, rv);
	if (code == 0 || code == CLI_NOFIT) {
		fflush(stdout);
		/* Pictures' names go to stderr: stdout holds the report (maybe JSON). */
		int saved = dup(1);
		if (saved >= 0 && dup2(2, 1) >= 0) {
			int pcode = plot->fn(pc, pv);
			fflush(stdout);
			dup2(saved, 1);
			if (pcode)
				code = pcode;
		}
		if (saved >= 0)
			close(saved);
	}
	free(rv);
	free(pv);
	return code;
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
		cli_cmd_help(commands[i], m);
		fclose(m);
		fprintf(f, ".SS %s\n%s\n", commands[i]->name, commands[i]->summary);
		roff_text(f, text);
		free(text);
	}
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

static const struct cli_cmd *find(const char *name, int *ambiguous)
{
	const struct cli_cmd *hit = NULL;
	size_t n = strlen(name);
	*ambiguous = 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
		if (strncmp(commands[i]->name, name, n) == 0) {
			if (hit)
				*ambiguous = 1;
			hit = commands[i];
		}
	}
	return *ambiguous ? NULL : hit;
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
			const struct cli_cmd *c = find(argv[2], &amb);
			if (c) {
				cli_cmd_help(c, stdout);
				return cli_finish_stdout(0);
			}
		}
		usage(stdout);
		return cli_finish_stdout(0);
	}
	if (strcmp(name, "--man") == 0)
		return cli_finish_stdout(man_page(stdout));
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("vramsim %s\n", VRAMSIM_VERSION);
		return cli_finish_stdout(0);
	}
	int ambiguous;
	const struct cli_cmd *c = find(name, &ambiguous);
	if (!c)
		return cli_usage(NULL, "%s command '%s'", ambiguous ? "ambiguous" : "unknown", name);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_cmd_help(c, stdout);
			return cli_finish_stdout(0);
		}
	}
	if (c == &cmd_replay_entry) {
		for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "--out") || !strncmp(argv[i], "--out=", 6))
				return cli_finish_stdout(replay_with_pictures(c, &cmd_plot_entry,
									      argc - 1, argv + 1));
	}
	return cli_finish_stdout(c->fn(argc - 1, argv + 1));
}
