/* daemon.h (src/): the watch daemon's struct and the internals its files share (daemon.c: loop,
 * signals, tick, reload; daemon_file.c: per-file bookkeeping; sinks.c: output).
 *
 * Private to those files: cmd_watch.c sees only include/trainmon/daemon.h; both headers are the
 * one module "daemon" (scripts/check_includes.sh). The daemon owns the loop, the directory watch
 * and the metrics, and hands each a callback or a read-only view, so none of them includes this
 * header.
 */
#ifndef TRAINMON_SRC_DAEMON_H
#define TRAINMON_SRC_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "trainmon/alert.h"
#include "trainmon/daemon.h"
#include "trainmon/livechain.h"
#include "trainmon/loop.h"
#include "trainmon/metrics.h"
#include "trainmon/notify.h"
#include "trainmon/rules.h"
#include "trainmon/runkey.h"
#include "trainmon/state.h"
#include "trainmon/summary.h"
#include "trainmon/tail.h"
#include "sink_exec.h"
#include "sink_queue.h"
#include "watch.h"

struct tm_daemon;

struct tm_watched {                 /* one followed file */
	struct tm_tail tail;        /* embedded */
	struct tm_alerts alerts;
	struct tm_job job;          /* resolved: cfg->job with the matching `files:` entry on top */
	struct tm_summary sum;      /* last computed (borrows from tail.feed.run) */
	size_t sum_steps;           /* steps when sum was computed */
	uint64_t sum_records;       /* records when sum was computed (dirty when they differ) */
	size_t events_emitted;      /* run->events entries already sent to the sinks */
	uint64_t last_summary_ms;   /* ms, loop clock */
	uint64_t ended_ms;          /* ms, loop clock: when the run ended or its file went away; 0 = active */
	int final_sent;
	int err_reported;           /* the current read error was reported */
	int polled;                 /* its directory is polled: a deletion shows only as a name the
				       scan no longer lists, so the tick syncs what the scan missed */
	uint64_t synced_ms;         /* ms, loop clock: the last tm__daemon_sync_file */
	int link_wd;                /* inotify watch on a symlink's target, -1 none */
	int fd_wait;                /* its open failed with EMFILE/ENFILE: only the tick retries it */
	int syncing;                /* inside tm__daemon_sync_file (its tail's hooks may run) */
	int away_checked;           /* closed, and rotated_away was decided */
	int rotated_away;           /* closed, but its last inode lives on under another name in
				       its directory (rotated, not deleted): kept, and saved, so a
				       restart reads the generations made after it (file_closed) */
	size_t fd_resume;           /* 1 + index in d->saved of the position to restore once it opens */
	int fd_from_end;            /* --from-end still to apply once it opens */
	struct tm_state_pos last_pos; /* the position saved last (kept while the path names nothing) */
	const char *chain;          /* its chain's name: borrowed from d->chains until the next
				       tm__daemon_chains_refresh; NULL none (yet) */
	uint64_t chain_records;     /* tail.feed.m.records when its chain segment was made */
	int chain_fresh;            /* its segment was made at least once */
	struct tm_daemon *d;        /* borrowed: the owner (for the trace hook) */
};

struct tm_sink_report {             /* what sinks.c last told on stderr about one sink */
	uint64_t dropped, failures;
	int err;                    /* errno last reported, 0 none */
	uint64_t next_ms;           /* ms, loop clock: no report before this */
};

struct tm_daemon_sinks {            /* sinks.c */
	struct tm_sink_queue out;   /* stdout (human lines, and --jsonl -); zeroed when unused */
	struct tm_sink_queue file;  /* --jsonl FILE; zeroed when unused */
	struct tm_sink_queue err;   /* notes on stderr, while the sinks are open */
	struct tm_sink_queue *jsonl; /* borrowed: &out, &file or NULL */
	struct tm_sink_queue *term; /* borrowed: &out, or NULL with --quiet */
	struct tm_sink_exec exec;   /* --exec; cmd NULL without it */
	struct tm_sink_report rep_out, rep_file, rep_exec;
};

struct tm_daemon {
	struct tm_watch_cfg *cfg;   /* borrowed from cmd_watch.c; outlives the daemon; only SIGHUP's
				       reload_cfg changes it */
	struct tm_daemon_opts o;    /* its pointers borrowed from the caller */
	struct tm_loop loop;        /* embedded: epoll, signalfd, timers; its clock is the daemon's */
	struct tm_watch watch;      /* embedded: the directories (inotify or polled) */
	struct tm_ruleset *rules;   /* owned; replaced whole on SIGHUP, never edited */
	struct tm_watched **files;  /* owned array of owned */
	size_t nfiles, capfiles;
	struct tm_saved *saved;     /* owned: state loaded at start, matched to files as found */
	size_t nsaved, capsaved;
	struct tm_daemon_sinks sinks; /* embedded: stdout, --jsonl, --exec */
	struct tm_metrics_totals st; /* self counters (ndirs and rules are filled in for the view) */
	uint64_t last_save_ms, last_poll_ms; /* ms, loop clock */
	int limit_reported;         /* --max-files noted once */
	int spare_fd;               /* owned: parked /dev/null fd, freed for each state save; -1 none */
	size_t files_waiting;       /* files with fd_wait, as of the last tick */
	uint64_t fd_note_due_ms;    /* ms, loop clock: the next waiting-files note waits until then */
	uint64_t more_timer;        /* one-shot timer reading on in files whose sync stopped at the
				       read budget (tail.more), after the loop's other events; 0 none */
	struct tm_metrics *metrics; /* owned, NULL without --listen/--textfile */
	int initial_scan;           /* 1 during the first scan (for --from-end) */
	uint64_t *released_matches; /* owned, rules->nrules: rule matches of released files (NULL
				       none; reset with every file's on SIGHUP) */
	char **outside;             /* owned array of owned: links skipped by --no-follow-outside
				       (noted once each) */
	size_t noutside, capoutside;
	struct tm_notify *notify;   /* owned: --alertmanager, --webhook; NULL without them */
	struct tm_state_extra saved_extra; /* owned: notifications loaded from the state, until start */
	struct tm_livechain *chains; /* owned: the chains of the files' runs (daemon_chain.c) */
	struct tm_chainkey ckey;    /* embedded: --chain, --chain-by: the chain key --shard hashes */
	pid_t save_pid;             /* the state save child running, or -1/0 none */
	int save_wanted;            /* a save is due (interval, or a rotated inode drained) */
};

/* daemon_file.c */
void tm__daemon_file_found(void *ctx, const char *path, int dir, uint64_t now);
void tm__daemon_sync_file(struct tm_daemon *d, struct tm_watched *w, uint64_t now);
/* The more_timer: syncs again every file whose last sync hit the read budget. */
void tm__daemon_sync_more(void *ctx, uint64_t now);
void tm__daemon_summarize(struct tm_watched *w);
void tm__daemon_resolve_job(const struct tm_daemon *d, struct tm_watched *w);
void tm__daemon_claim_rotated(struct tm_daemon *d, uint64_t now);
void tm__daemon_on_alert(void *ctx, const struct tm_alert_event *e);
void tm__daemon_retry_waiting(struct tm_daemon *d, uint64_t now);
int tm__daemon_file_closed(const struct tm_watched *w);
int tm__daemon_rotated_away(struct tm_watched *w);   /* closed, its inode under another name */
void tm__daemon_release_files(struct tm_daemon *d, uint64_t now);
void tm__daemon_prune_outside(struct tm_daemon *d);

/* sinks.c */
void tm__sink_alert(struct tm_daemon *d, struct tm_watched *w, const struct tm_alert_event *e);
void tm__sink_events(struct tm_daemon *d, struct tm_watched *w);
void tm__sink_summary(struct tm_daemon *d, struct tm_watched *w, const char *why);
void tm__sink_line(struct tm_daemon *d, const char *file, const struct tm_record *rec);
void tm__sink_note(struct tm_daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tm__sinks_open(struct tm_daemon *d);
void tm__sinks_close(struct tm_daemon *d);
void tm__reap_children(struct tm_daemon *d);
void tm__sinks_tick(struct tm_daemon *d, uint64_t now);
void tm__sinks_finish(struct tm_daemon *d);
void tm__sinks_totals(const struct tm_daemon *d, struct tm_metrics_totals *out);
char *tm__alert_record(const struct tm_watched *w, const struct tm_alert_event *e);

/* daemon_chain.c */
void tm__daemon_chains_start(struct tm_daemon *d);
void tm__daemon_chains_refresh(struct tm_daemon *d);
void tm__daemon_chains_gone(struct tm_daemon *d, struct tm_watched *w);
const struct tm_chain_counters *tm__daemon_chain_counters(const struct tm_daemon *d, size_t *n);

/* daemon_notify.c */
int tm__notify_start(struct tm_daemon *d, char *err, size_t errlen);
void tm__notify_alert(struct tm_daemon *d, struct tm_watched *w, const struct tm_alert_event *e, const char *rec);
void tm__notify_run_gone(struct tm_daemon *d, struct tm_watched *w);
void tm__notify_tick(struct tm_daemon *d);
void tm__notify_finish(struct tm_daemon *d);

#endif
