/* main.c: argv -> command table -> exit status. The only place that ends the process.
 *
 * A new subcommand is a row here and a cmd_<name>.c file (git's builtin table).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/cmd.h"
#include "banned.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "analyze", cmd_analyze, "summarise training logs: step time, tokens/s, MFU, tokens done, ETA" },
	{ "compare", cmd_compare, "two runs side by side: step time with a confidence interval, loss by tokens" },
	{ "estimate", cmd_estimate, "plan a run: parameters, FLOPs, days, GPU-hours, cost, energy, memory" },
	{ "report", cmd_report, "one self-contained HTML page of analyze's numbers, with charts" },
	{ "rules", cmd_rules, "check, test and list rule packs" },
	{ "top", cmd_top, "a live terminal view of the runs (or of a daemon's /metrics)" },
	{ "watch", cmd_watch, "follow live logs: alerts, summaries, Prometheus metrics" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: trainmon [--version] [--help] COMMAND [ARGS]\n\nCommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("  help CMD   show a command's options\n\n"
	      "Exit status: 0 ok, 1 invalid input (rule pack, config, a log with nothing to report),\n"
	      "2 usage error, 3 system error (I/O, permissions, limits).\n", f);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TM_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return TM_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("trainmon %s\n", TM_VERSION);
		return TM_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return TM_EXIT_OK;
		}
		const struct command *c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "trainmon: unknown command '%s'\n", argv[2]);
			return TM_EXIT_USAGE;
		}
		/* the same text as `trainmon CMD --help`: one source */
		char *help_argv[] = { argv[2], (char *)(uintptr_t)"--help", NULL };
		return c->run(2, help_argv);
	}
	const struct command *c = find(cmd);
	if (!c) {
		fprintf(stderr, "trainmon: unknown command '%s' (see trainmon --help)\n", cmd);
		return TM_EXIT_USAGE;
	}
	int rc = c->run(argc - 1, argv + 1);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "trainmon: error writing output\n");
		return TM_EXIT_SYSTEM;
	}
	return rc;
}
