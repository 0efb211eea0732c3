/* jobopts.h: the job flags shared by `analyze`, `watch` and `estimate` (--model, --gpus, --gpu,
 * --target-tokens, ...) and the same settings from a YAML config file's `job:` mapping.
 *
 * One table drives getopt_long, the config keys (flag name with '_' for '-') and the help text, so
 * the three cannot drift. Values are parsed strictly: "1T", "1e12", "2.5B" are numbers; "12x" is
 * an error naming the flag.
 */
#ifndef TRAINMON_JOBOPTS_H
#define TRAINMON_JOBOPTS_H

#include <getopt.h>
#include <stddef.h>

#include "trainmon/diag.h"
#include "trainmon/summary.h"

#define TM_OPT_JOB_FIRST 1000

/* getopt_long entries for every job flag, terminated by a zero entry. Static const data. */
const struct option *tm_job_longopts(void);
size_t tm_job_nlongopts(void);
/* Help lines for the job flags ("  --gpus N  ..."), static text. */
const char *tm_job_help(void);

/* Applies one flag (id from tm_job_longopts) with source src (TM_SRC_FLAG or TM_SRC_CONFIG).
 * Returns 0, or -1 with a message in err ("--gpus: '12x' is not a number"). */
int tm_job_option(struct tm_job *j, int id, const char *arg, enum tm_src_kind src, char *err, size_t errlen);

struct tm_ynode;

/* One top-level section of the config file and who reads it; apply NULL = known, read by
 * another command (so not an error here). */
struct tm_config_section {
	const char *name;
	int (*apply)(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d);
};

/* Reads a YAML config file and hands each top-level section to its reader; a key that is no
 * section is an error. Returns the number of errors added to d, or -errno when the file cannot
 * be read (also added to d). The one loader behind every command's --config. */
int tm_config_load(const char *path, const struct tm_config_section *sections, size_t n, void *ctx,
		   struct tm_diag *d);

/* Applies a `job:` mapping (source TM_SRC_CONFIG); returns the number of errors. */
int tm_job_config_apply(struct tm_job *j, const struct tm_ynode *job, const struct tm_src *src,
			struct tm_diag *d);

/* --config for analyze and estimate: the `job:` section into j; the other sections are left to
 * their commands. Returns as tm_config_load. */
int tm_job_config_load(struct tm_job *j, const char *path, struct tm_diag *d);

/* Parses a count with an optional SI suffix: "1e12", "1T", "2.5B" (= G), "300M", "64", "8k".
 * Returns 0 or -1. */
int tm_parse_quantity(const char *s, double *out);

#endif
