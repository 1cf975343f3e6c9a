/*
 * vramsim.c - the entry point: a table of subcommands, each defined in the
 * folder of its stage (import/cmd_import.c, sim/cmd_replay.c, ...). It
 * lives in plots/, the last stage, because it is the one piece that
 * reaches every stage; no stage reaches up to it.
 *
 * Any unambiguous prefix of a command name works ("vramsim rep").
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

extern const struct cli_cmd cmd_import_entry;
extern const struct cli_cmd cmd_ls_entry;
extern const struct cli_cmd cmd_show_entry;
extern const struct cli_cmd cmd_replay_entry;
extern const struct cli_cmd cmd_fit_entry;
extern const struct cli_cmd cmd_plot_entry;

static const struct cli_cmd *const commands[] = {
	&cmd_import_entry,
	&cmd_ls_entry,
	&cmd_show_entry,
	&cmd_replay_entry,
	&cmd_fit_entry,
	&cmd_plot_entry,
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
			if (c && c->help) {
				fputs(c->help, stdout);
				return cli_finish_stdout(0);
			}
			if (c) {
				char *av[] = { (char *)c->name, (char *)"--help", NULL };
				return cli_finish_stdout(c->fn(2, av));
			}
		}
		usage(stdout);
		return cli_finish_stdout(0);
	}
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
		if ((strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) && c->help) {
			fputs(c->help, stdout);
			return cli_finish_stdout(0);
		}
	}
	return cli_finish_stdout(c->fn(argc - 1, argv + 1));
}
