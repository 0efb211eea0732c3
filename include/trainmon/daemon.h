/* daemon.h: `trainmon watch`: follows the log files of directories, keeps one run per file, and
 * turns new lines into alerts, summaries and metrics.
 *
 * One struct owns the daemon; one epoll loop drives it (signalfd for TERM/INT/HUP/USR1/CHLD,
 * inotify, a 1 s timerfd tick for polled directories, stalls, summaries and state saves, and the
 * metrics HTTP server's sockets). No logic runs in signal handlers; nothing sleeps. The loop's
 * phases, in order, are written down in docs/design.md.
 */
#ifndef TRAINMON_DAEMON_H
#define TRAINMON_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trainmon/alert.h"
#include "trainmon/rules.h"
#include "trainmon/summary.h"
#include "trainmon/tail.h"

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
	double poll_s;              /* > 0: poll every directory this often (no inotify) */
	double remote_poll_s;       /* polling period for NFS/Lustre/GPFS directories (auto) */
	int from_end;               /* files present at start with no saved state: skip history */
	const char *state_path;     /* NULL: no state */
	double state_every_s;
	const char *jsonl_path;     /* NULL none, "-" stdout */
	const char *exec_cmd;       /* NULL none */
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
};

struct tm_watched {                 /* one followed file */
	struct tm_tail tail;        /* embedded */
	struct tm_alerts alerts;
	struct tm_job job;          /* resolved: cfg->job with the matching `files:` entry on top */
	struct tm_summary sum;      /* last computed (borrows from tail.feed.run) */
	size_t sum_steps;           /* steps when sum was computed */
	uint64_t sum_records;       /* records when sum was computed (dirty when they differ) */
	size_t events_emitted;      /* run->events entries already sent to the sinks */
	uint64_t last_summary_ms;
	uint64_t ended_ms;          /* when the run ended or its file went away; 0 = active */
	int final_sent;
	int err_reported;           /* the current read error was reported */
	int dir;                    /* index of its directory */
	int link_wd;                /* inotify watch on a symlink's target, -1 none */
	struct tm_daemon *d;        /* borrowed: the owner (for the trace hook) */
};

struct tm_wdir {
	char *path;                 /* owned */
	int wd;                     /* inotify watch, -1 when polled */
	int polled;
	int depth;
};

struct tm_daemon_stats {
	uint64_t lines, bytes, truncated, rotations, truncations, read_errors, overflows, alerts;
	uint64_t saves, save_errors, reloads, reload_errors;
};

struct tm_metrics;                  /* metrics.c */

struct tm_daemon {
	struct tm_watch_cfg *cfg;   /* borrowed from cmd_watch.c; outlives the daemon; only SIGHUP's
				       reload_cfg changes it */
	struct tm_ruleset *rules;   /* owned; replaced whole on SIGHUP, never edited */
	int epfd, sigfd, inofd, tickfd;
	struct tm_wdir *dirs;       /* owned */
	size_t ndirs, capdirs;
	struct tm_watched **files;  /* owned array of owned */
	size_t nfiles, capfiles;
	struct tm_saved *saved;     /* owned: state loaded at start, matched to files as found */
	size_t nsaved, capsaved;
	FILE *jsonl;                /* owned unless stdout */
	struct tm_daemon_stats st;
	uint64_t last_save_ms, last_poll_ms;
	int stop;                   /* set by SIGTERM/SIGINT */
	int limit_reported;         /* inotify watch limit warned once */
	struct tm_metrics *metrics; /* owned, NULL without --listen/--textfile */
	/* SIGHUP: rebuilds the config-file parts of cfg (job, files, alerts) with the flags on top;
	 * returns the number of errors (then cfg is unchanged). Set by cmd_watch.c. */
	int (*reload_cfg)(void *ctx, struct tm_diag *diag);
	void *reload_ctx;
	int initial_scan;           /* 1 during the first scan (for --from-end) */
};

/* Loads rules, state, opens the loop and scans the directories. Returns 0, or a TM_EXIT_* code
 * after printing why. */
int tm_daemon_init(struct tm_daemon *d, struct tm_watch_cfg *cfg);
/* Runs until SIGTERM/SIGINT; saves state. Returns a TM_EXIT_* code. */
int tm_daemon_run(struct tm_daemon *d);
void tm_daemon_release(struct tm_daemon *d);

/* Monotonic milliseconds. */
uint64_t tm_now_ms(void);

/* daemon internals shared by its files (daemon*.c, sinks.c) */
void tm__daemon_sync_file(struct tm_daemon *d, struct tm_watched *w, uint64_t now);
void tm__sink_alert(struct tm_daemon *d, struct tm_watched *w, const struct tm_alert_event *e);
void tm__sink_events(struct tm_daemon *d, struct tm_watched *w);
void tm__sink_summary(struct tm_daemon *d, struct tm_watched *w, const char *why);
void tm__sink_line(struct tm_daemon *d, const char *file, const struct tm_record *rec);
void tm__sink_note(struct tm_daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tm__sinks_open(struct tm_daemon *d);
void tm__sinks_close(struct tm_daemon *d);
void tm__reap_children(struct tm_daemon *d);

#endif
