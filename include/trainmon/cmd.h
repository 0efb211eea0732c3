/* cmd.h: the subcommands. Each returns an exit status (TM_EXIT_*); only main.c exits. Each prints
 * its own help for --help (main.c runs `trainmon help CMD` as `trainmon CMD --help`). */
#ifndef TRAINMON_CMD_H
#define TRAINMON_CMD_H

#include "trainmon/opt.h"

enum {
	TM_EXIT_OK = 0,      /* success */
	TM_EXIT_INPUT = 1,   /* invalid input: rule pack, config, a log with nothing to report, a failed rules test */
	TM_EXIT_USAGE = 2,   /* bad command line */
	TM_EXIT_SYSTEM = 3,  /* I/O, permissions, inotify limits, port in use */
};

/* tm_cli_parse, then --help printed on stdout or a bad flag said on stderr as "trainmon CMD: ...
 * (see trainmon help CMD)", CMD being spec->name. Returns -1 to go on, else the exit status
 * (TM_EXIT_OK after --help, TM_EXIT_USAGE); release cli in every case. */
int tm_cmd_parse(struct tm_cli *cli, const struct tm_cmd_spec *spec, int argc, char **argv);

int cmd_analyze(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);   /* analyze's reading, an HTML page out (cmd_analyze.c) */
int cmd_rules(int argc, char **argv);
int cmd_estimate(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
