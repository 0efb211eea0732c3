/* cmd_estimate.c: placeholder until `trainmon estimate` lands. */
#include <stdio.h>

#include "trainmon/cmd.h"
#include "banned.h"

const char *cmd_estimate_help(void)
{
	return "usage: trainmon estimate [OPTIONS]\n";
}

int cmd_estimate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "trainmon estimate: not implemented yet\n");
	return TM_EXIT_USAGE;
}
