/* daemon.h: `trainmon watch`: follows the log files of directories, keeps one run per file, and
 * turns new lines into alerts, summaries and metrics.
 *
 * One opaque struct owns the daemon; one tm_loop drives it (signals, inotify, a tick timer for
 * polled directories, stalls, summaries and state saves, and the metrics HTTP server's sockets).
 * No logic runs in signal handlers; nothing sleeps. The daemon returns errors to its caller
 * (cmd_watch.c), which prints them and picks the exit status. The loop's phases, in order, are
 * written down in docs/design.md.
 */
#ifndef TRAINMON_DAEMON_H
#define TRAINMON_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trainmon/alert.h"
#include "trainmon/chain.h"
#include "trainmon/diag.h"
#include "trainmon/lines.h"
#include "trainmon/loop.h"
#include "trainmon/metrics.h"
#include "trainmon/notify.h"
#include "trainmon/shard.h"

/* A `files:` entry of the config: job settings for files whose name matches glob. */
struct tm_file_job {
	char *glob;                 /* owned */
	struct tm_job job;          /* flag-level settings for these files */
};

struct tm_watch_cfg {
	char **dirs;                /* borrowed from argv */
	size_t ndirs;
	const char **globs;         /* borrowed from cmd_watch.c's options; default "*.out", "*.log" */
	size_t nglobs;
	int recursive;
	int no_follow_outside;      /* skip symlinks whose target is in no watched directory */
	double poll_s;              /* > 0: poll every directory this often (no inotify) */
	double remote_poll_s;       /* polling period for NFS/Lustre/GPFS directories (auto) */
	int from_end;               /* files present at start with no saved state: skip history */
	const char *state_path;     /* NULL: no state */
	double state_every_s;
	const char *jsonl_path;     /* NULL none, "-" stdout */
	const char *exec_cmd;       /* NULL none */
	size_t exec_max;            /* --exec hooks running at once */
	double exec_timeout_s;      /* s: a hook is killed (its process group) after this */
	size_t sink_queue;          /* bytes: each output's queue while its reader lags */
	double summary_every_s;     /* 0: only final summaries */
	int trace_lines;            /* jsonl: one {"type":"line"} object per line read (tests) */
	int quiet;                  /* no human lines on stdout */
	size_t line_max;
	double rotate_wait_s;
	size_t max_files;
	size_t max_steps;           /* step records kept per run (the newest); 0 = all */
	struct tm_alert_cfg alerts;
	struct tm_job job;          /* flags and config `job:` for every file */
	struct tm_file_job *file_jobs; /* owned, from the config's `files:` */
	size_t nfile_jobs;
	const char **rules;         /* borrowed from cmd_watch.c's options: extra rule paths */
	size_t nrules;
	int no_default_rules;
	const char *config_path;    /* for reloads */
	const char *listen;         /* metrics HTTP "ADDR:PORT" or NULL */
	const char *textfile;       /* node_exporter textfile path or NULL */
	double expire_s;            /* finished runs leave /metrics after this */
	double http_timeout_s;      /* s: deadline for a request header, and idle timeout (5) */
	size_t http_max_conns;      /* HTTP connections at once (64) */
	struct tm_notify_opts notify; /* --alertmanager, --webhook (not changed by SIGHUP) */
	const char *chain, *chain_by, *chain_param; /* as analyze's; borrowed from the options */
	struct tm_chain_opts chains; /* the three checked (tm_chain_opts_set) by cmd_watch.c; its
					strings borrowed from the options (not changed by SIGHUP) */
	struct tm_shard shard;      /* --shard I/N; count 0: every file */
	char **labels;              /* owned array of owned "KEY=VALUE": the config's `labels:` (with
				       notify.label, on every series of /metrics and every alert) */
	size_t nlabels;
};

struct tm_daemon;                   /* src/daemon.h: private to the daemon's files */

/* SIGHUP: rebuilds the config-file parts of cfg (job, files, alerts) with the flags on top;
 * returns the number of errors (then cfg is unchanged). */
typedef int (*tm_daemon_reload_fn)(void *ctx, struct tm_diag *diag);

struct tm_daemon_opts {
	const struct tm_clock *clock;   /* borrowed; NULL: CLOCK_MONOTONIC */
	tm_daemon_reload_fn reload_cfg; /* NULL: SIGHUP reloads the rules only */
	void *reload_ctx;               /* borrowed */
	/* NULL, or called after a sync that read new steps or events (another consumer of the runs,
	 * e.g. `trainmon top`, redraws); now_ms on the loop clock */
	void (*on_change)(void *ctx, uint64_t now_ms);
	void *change_ctx;               /* borrowed */
};

/* What tm_daemon_new() and tm_daemon_start() return besides 0 and -errno (a system error). */
enum { TM_DAEMON_BAD_INPUT = 1,     /* rule packs have errors (they are in the diag) */
       TM_DAEMON_BAD_USAGE = 2 };   /* a setting is malformed (--listen) */

/* Loads the rule packs, appending their diagnostics to diag. Returns 0 with *out (free with
 * tm_daemon_free), TM_DAEMON_BAD_INPUT, or -errno when a pack cannot be read (*out NULL). */
int tm_daemon_new(struct tm_daemon **out, struct tm_watch_cfg *cfg, const struct tm_daemon_opts *o,
		  struct tm_diag *diag);
/* Loads the state, opens the sinks and the loop (signals, inotify, ticks, metrics) and scans the
 * directories. Returns 0, TM_DAEMON_BAD_USAGE or -errno, with the reason in err (no newline,
 * without the "trainmon watch: " prefix). Notes on the way go to stderr, as the daemon's log. */
int tm_daemon_start(struct tm_daemon *d, char *err, size_t errlen);
/* Runs the loop until SIGTERM/SIGINT, then reads what arrived last and saves the state. Returns
 * 0; a failing loop is noted in the log and ends the run like a signal. */
int tm_daemon_run(struct tm_daemon *d);
void tm_daemon_free(struct tm_daemon *d);

/* For a consumer on the daemon's own loop (`trainmon top`): the loop, to add its fds and timers
 * (valid until tm_daemon_free), and the read-only view of the followed files metrics.c renders
 * from (what it hands out is valid until the callback that asked returns). */
struct tm_loop *tm_daemon_loop(struct tm_daemon *d);
void tm_daemon_view(struct tm_daemon *d, struct tm_metrics_view *out);

#endif
