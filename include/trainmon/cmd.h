/* cmd.h: the subcommands. Each returns an exit status (TM_EXIT_*); only main.c exits. */
#ifndef TRAINMON_CMD_H
#define TRAINMON_CMD_H

enum {
	TM_EXIT_OK = 0,      /* success */
	TM_EXIT_INPUT = 1,   /* invalid input: rule pack, config, a log with nothing to report, a failed rules test */
	TM_EXIT_USAGE = 2,   /* bad command line */
	TM_EXIT_SYSTEM = 3,  /* I/O, permissions, inotify limits, port in use */
};

int cmd_analyze(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_estimate(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* Help text per command (static). */
const char *cmd_analyze_help(void);
const char *cmd_rules_help(void);
const char *cmd_estimate_help(void);
const char *cmd_watch_help(void);

#endif
