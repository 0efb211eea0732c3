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

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "trainmon/anomaly.h"
#include "trainmon/engine.h"
#include "trainmon/job.h"
#include "trainmon/opt.h"
#include "trainmon/rules.h"
#include "trainmon/summary.h"

/* What the shared rows set (tm_analysis_groups). */
struct tm_analysis_input {
	struct tm_strv rules;        /* --rules paths, borrowed from argv or the cli's store */
	int no_default;              /* --no-default-rules */
	const char *framework;       /* --framework, borrowed, or NULL */
	const char *config;          /* --config, borrowed, or NULL */
	size_t line_max;             /* bytes */
};

/* The shared rows: a "Rules:" heading, --rules, --no-default-rules, --framework, --line-max,
 * --config and --help, over struct tm_analysis_input (tm_analysis_groups). */

/* The option groups every command over finished logs takes after its own (g[0]): g[1] the rows
 * above (flags only), g[2] the job's (config section `job:`), g[3] the anomalies' (`anomalies:`);
 * their destinations are struct tm_analysis_input, tm_job and tm_anomaly_cfg. */
#define TM_ANALYSIS_NGROUPS 4
void tm_analysis_groups(struct tm_opt_group *g);

/* What every file of one command shares; read-only while files are analysed (on any thread). */
/* Read buffers kept between the files one command reads, shared by its pool's threads under a
 * mutex: a file read into a fresh megabyte pays 270 page faults (a third of the CPU over 1 000
 * files of 1 MiB). The files' scan memos are kept the same way: the next file starts with the
 * line shapes the last one taught (scan_memo.h), not with a cold table. */
#define TM_READ_BUFS 16
struct tm_read_bufs {
	pthread_mutex_t mu;
	char *buf[TM_READ_BUFS];     /* owned */
	size_t cap[TM_READ_BUFS];
	size_t n;
	struct tm_scan_memo *memo[TM_READ_BUFS];   /* owned */
	size_t nmemo;
};
void tm_read_bufs_init(struct tm_read_bufs *b);
void tm_read_bufs_release(struct tm_read_bufs *b);

struct tm_analysis_cfg {
	const char *cmd;                        /* "analyze": the prefix of messages */
	const struct tm_ruleset *rs;            /* borrowed */
	const struct tm_job *job;               /* borrowed */
	const struct tm_analysis_input *in;     /* borrowed */
	const struct tm_anomaly_cfg *anomalies; /* borrowed */
	int split;                              /* read a large file in chunks on several threads */
	struct tm_read_bufs *bufs;              /* borrowed, or NULL: each file allocates its own */
};

/* What a command over finished logs sets up before its first file: its job, input options and
 * anomaly settings (defaults, then --config, then the flags) and the rule packs, loaded. */
struct tm_analysis_env {
	struct tm_analysis_input in;
	struct tm_job job;
	struct tm_anomaly_cfg anomalies;
	struct tm_ruleset rs;        /* finished and ready when setup returned TM_EXIT_OK */
	struct tm_diag d;
};
/* Applies cli's config and flags (own: the destination of the command's group 0, see
 * tm_analysis_groups), loads the packs and checks --framework; prints what goes wrong to err as
 * "trainmon CMD: ..." and the diagnostics of the config and the packs. Returns a TM_EXIT_* status
 * (cmd.h). Release e with tm_analysis_env_release in any case. */
int tm_analysis_env_setup(struct tm_analysis_env *e, struct tm_cli *cli, void *own, const char *cmd, FILE *err);
void tm_analysis_env_release(struct tm_analysis_env *e);

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
