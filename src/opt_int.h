/* opt_int.h: what the option driver's files (opt.c, opt_config.c, opt_help.c) share. */
#ifndef TRAINMON_OPT_INT_H
#define TRAINMON_OPT_INT_H

#include "trainmon/opt.h"

/* Whether the row's flag takes a value. */
int tm__opt_takes_arg(const struct tm_opt *o);
/* Parses arg for row o into the struct at base (arg NULL: a flag with no value, i.e. true). */
int tm__opt_set(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src, char *err,
		size_t n);
/* A copy of s that lives as long as the cli. */
const char *tm__cli_keep(struct tm_cli *cli, const char *s);
/* Reads the config file into dst (see tm_cli_apply). */
int tm__config_read(struct tm_cli *cli, const char *path, void *const *dst, void *ctx, struct tm_diag *d);

#endif
