/* analysis.h: one finished log analysed the way `analyze` does it, for every command that needs
 * it (`analyze`, `compare`): read to EOF through the engine, summarised under the job, its
 * anomalies found and, when the step time moved between regimes, the summary's basis set to the
 * last regime's median.
 *
 * Also the options every such command shares (rule packs, --framework, --line-max, --config) as one
 * option table, and the setup they need before the first file (config applied, packs loaded).
 * Messages for the user go to the FILE the caller names (a memstream on a pool thread, or stderr):
 * this module never picks a stream itself and never exits.
 */
#ifndef TRAINMON_ANALYSIS_H
#define TRAINMON_ANALYSIS_H

#include <stddef.h>
#include <stdio.h>

#include "trainmon/anomaly.h"
#include "trainmon/engine.h"
#include "trainmon/job.h"
#include "trainmon/opt.h"
#include "trainmon/rules.h"
#include "trainmon/summary.h"

/* What the shared rows set (tm_analysis_opts); zero it, then tm_analysis_input_init. */
struct tm_analysis_input {
	struct tm_strv rules;        /* --rules paths, borrowed from argv or the cli's store */
	int no_default;              /* --no-default-rules */
	const char *framework;       /* --framework, borrowed, or NULL */
	const char *config;          /* --config, borrowed, or NULL */
	size_t line_max;             /* bytes */
};
void tm_analysis_input_init(struct tm_analysis_input *in);
void tm_analysis_input_release(struct tm_analysis_input *in);

/* The shared rows ("Rules:" heading, --rules, --no-default-rules, --framework, --line-max,
 * --config, --help) over struct tm_analysis_input; static data, *n rows, flags only. */
const struct tm_opt *tm_analysis_opts(size_t *n);

/* What every file of one command shares; read-only while files are analysed (on any thread). */
struct tm_analysis_cfg {
	const char *cmd;                        /* "analyze": the prefix of messages */
	const struct tm_ruleset *rs;            /* borrowed */
	const struct tm_job *job;               /* borrowed */
	const struct tm_analysis_input *in;     /* borrowed */
	const struct tm_anomaly_cfg *anomalies; /* borrowed */
	int split;                              /* read a large file in two halves on two threads */
};

/* The setup before the first file, after tm_cli_apply: status is TM_EXIT_OK, or what the config's
 * errors already made it (nothing is loaded then). Loads the packs of in (and the installed ones)
 * into rs, which the caller has initialised, checks --framework, and prints the diagnostics in d
 * (the config's and the packs') to err. Returns a TM_EXIT_* status (cmd.h); on TM_EXIT_OK rs is
 * finished and ready. */
int tm_analysis_load_rules(struct tm_ruleset *rs, const struct tm_analysis_input *in, int status,
			   const char *cmd, struct tm_diag *d, FILE *err);

/* One file's analysis. */
struct tm_analysis {
	struct tm_feed *f;           /* owned; NULL when the file could not be read */
	struct tm_summary s;         /* borrows from f */
	struct tm_anomalies an;      /* owned */
	int failed;                  /* the file could not be read (exit status 3) */
	int nothing;                 /* no step records and no events (exit status 1) */
};

/* Reads path ("-": standard input) and computes everything; messages go to err. Safe to call on
 * several threads at once with one cfg. Release a with tm_analysis_release in any case. */
void tm_analysis_file(struct tm_analysis *a, const struct tm_analysis_cfg *c, const char *path, FILE *err);
void tm_analysis_release(struct tm_analysis *a);

#endif
