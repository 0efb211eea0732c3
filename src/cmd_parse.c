/* cmd_parse.c: what every command does with its command line before its own work: parse it
 * (opt.h), print --help on stdout, or say a bad flag on stderr in the one form they all use. */
#include <stdio.h>

#include "trainmon/cmd.h"
#include "banned.h"

int tm_cmd_parse(struct tm_cli *cli, const struct tm_cmd_spec *spec, int argc, char **argv)
{
	char err[320];
	int rc = tm_cli_parse(cli, spec, argc, argv, err, sizeof(err));
	if (rc > 0)
		tm_cmd_help(spec, stdout);
	else if (rc < 0)
		fprintf(stderr, "trainmon %s: %s (see trainmon help %s)\n", spec->name, err, spec->name);
	return rc == 0 ? -1 : rc > 0 ? TM_EXIT_OK : TM_EXIT_USAGE;
}
