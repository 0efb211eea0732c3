/* daemon.c: the watch daemon's life: start-up, the loop's callbacks (signals, inotify through
 * watch.c, the tick timer), reload, state saves and shutdown (see daemon.h, docs/design.md).
 *
 * Loop phases: 1. epoll_wait, bounded by the next timer; 2. ready fds in epoll's order: signals
 * (TERM/INT stop, HUP reload, USR1 summaries, CHLD reap), inotify (each event names a file to
 * sync, or asks for a rescan), the metrics server; 3. due timers: the tick (polled directories,
 * draining rotated inodes, stalls, periodic summaries, state saves, metrics), and libcurl's sockets
 * and timer for --alertmanager/--webhook (http.c). Per-file work is in daemon_file.c. Must not: print to stdout/stderr except through the sinks, or exit: errors go
 * back to cmd_watch.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "trainmon/xalloc.h"
#include "banned.h"

/* ---- watch.c's callbacks ---- */

/* A watch on a followed symlink's target fired (wd), or a name matching no glob came or went
 * (wd -1): it may be the target of a followed symlink. */
static void on_other(void *ctx, int wd, uint64_t now)
{
	struct tm_daemon *d = ctx;
	for (size_t i = 0; i < d->nfiles; i++)
		if (wd >= 0 ? d->files[i]->link_wd == wd : d->files[i]->link_wd >= 0)
			tm__daemon_sync_file(d, d->files[i], now);
}

static void on_overflow(void *ctx, uint64_t now)
{
	struct tm_daemon *d = ctx;
	d->st.overflows++;
	tm__sink_note(d, "inotify queue overflow: rescanning every directory");
	tm_watch_scan_all(&d->watch, now);
	for (size_t i = 0; i < d->nfiles; i++)
		tm__daemon_sync_file(d, d->files[i], now);
}

static void on_note(void *ctx, const char *msg)
{
	tm__sink_note(ctx, "%s", msg);
}

/* ---- the view metrics.c renders from ---- */

static size_t view_nfiles(void *ctx)
{
	const struct tm_daemon *d = ctx;
	return d->nfiles;
}

static void view_file(void *ctx, size_t i, struct tm_metrics_file *out)
{
	const struct tm_daemon *d = ctx;
	const struct tm_watched *w = d->files[i];
	*out = (struct tm_metrics_file){ .tail = &w->tail, .sum = &w->sum, .alerts = &w->alerts,
					 .ended_ms = w->ended_ms, .chain = w->chain };
}

/* Called first in every render: the chains are brought up to the lines read (so a scrape never
 * shows a run's new step beside its chain's old figures), then the totals. */
static void view_totals(void *ctx, struct tm_metrics_totals *out)
{
	struct tm_daemon *d = ctx;
	tm__daemon_chains_refresh(d);
	*out = d->st;
	out->ndirs = d->watch.ndirs;
	out->files_waiting = d->files_waiting;
	out->rules = d->rules;
	tm__sinks_totals(d, out);
	out->released_matches = d->released_matches;
	out->notify = d->notify;
	out->chains = tm__daemon_chain_counters(d, &out->nchains);
	out->shard_index = d->cfg->shard.index;
	out->shard_count = d->cfg->shard.count;
}

struct tm_loop *tm_daemon_loop(struct tm_daemon *d)
{
	return &d->loop;
}

void tm_daemon_view(struct tm_daemon *d, struct tm_metrics_view *out)
{
	*out = (struct tm_metrics_view){ .nfiles = view_nfiles, .file = view_file, .totals = view_totals,
					 .note = on_note, .ctx = d };
}

/* ---- tick, reload, signals ---- */

/* Saves: at start after the first scan (synchronously: a state file that cannot be written ends
 * the start with exit 3, as --help says), then in a forked child (state.c) every --state-every
 * and after each drained rotation, and synchronously at exit. While a rotated inode still has
 * bytes not read, the position saved is that inode's (tm_tail_position), so a save at any moment
 * loses nothing to a crash that follows. Later failures are noted, counted and retried at the
 * next interval. */
static void save_done(struct tm_daemon *d, int rc)
{
	if (rc < 0) {
		d->st.save_errors++;
		tm__sink_note(d, "%s: cannot save state: %s (retrying)", d->cfg->state_path, strerror(-rc));
	} else {
		d->st.saves++;
	}
}

static struct tm_state_entry *state_entries(struct tm_daemon *d, size_t *n)
{
	struct tm_state_entry *v = tm_xcalloc(d->nfiles + 1, sizeof(*v));
	*n = 0;
	for (size_t i = 0; i < d->nfiles; i++) {
		struct tm_watched *w = d->files[i];
		/* a closed deleted file is final: not saved, a name made again would resume its run; a
		 * closed file rotated away is saved (its last position: see release_files), also when
		 * it closed after the last tick (a save then must not forget it) */
		if (tm__daemon_file_closed(w) && !tm__daemon_rotated_away(w))
			continue;
		tm_state_pos_capture(&w->tail, &w->last_pos);
		v[(*n)++] = (struct tm_state_entry){ .tail = &w->tail, .alerts = &w->alerts, .pos = &w->last_pos };
	}
	return v;
}

/* What the state keeps beside the files: the notifications not delivered yet (owned array of
 * borrowed strings: free x->notes) and the chains' counters, computed now (borrowed). */
static void state_extra(struct tm_daemon *d, struct tm_state_extra *x)
{
	tm_notify_export(d->notify, x);
	tm__daemon_chains_refresh(d);
	const struct tm_chain_counters *c = tm__daemon_chain_counters(d, &x->nchains);
	x->chains = (struct tm_chain_counters *)(uintptr_t)c;   /* only read by the save */
}

/* A save child finished? block: wait for it (at exit). */
static void save_reap(struct tm_daemon *d, int block)
{
	if (d->save_pid <= 0)
		return;
	int rc = tm_state_save_wait(d->save_pid, block);
	if (rc == 1)
		return;
	d->save_pid = -1;
	save_done(d, rc);
}

/* Saves the state: in a forked child (async), or here (at exit). One save at a time: while a
 * child still runs, the next tick tries again. */
static void save_state(struct tm_daemon *d, int async)
{
	if (!d->cfg->state_path)
		return;
	save_reap(d, !async);
	if (d->save_pid > 0)
		return;
	size_t n;
	struct tm_state_entry *v = state_entries(d, &n);
	/* the parked fd makes room for the temp file (and then the directory's fsync), however many
	 * files are open; a save child inherits the room */
	if (d->spare_fd >= 0)
		close(d->spare_fd);
	struct tm_state_extra x;
	state_extra(d, &x);
	int rc = async ? tm_state_save_async_with(d->cfg->state_path, v, n, &x, &d->save_pid)
		       : tm_state_save_with(d->cfg->state_path, v, n, &x);
	d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	free(x.notes);
	free(v);
	d->save_wanted = 0;
	if (rc < 0 || !async)
		save_done(d, rc);
}

static void save_tick(struct tm_daemon *d, uint64_t now)
{
	if (!d->cfg->state_path)
		return;
	save_reap(d, 0);
	if ((double)(now - d->last_save_ms) >= d->cfg->state_every_s * 1000)
		d->save_wanted = 1;
	if (d->save_wanted && d->save_pid <= 0) {
		d->last_save_ms = now;
		save_state(d, 1);
	}
}

/* The tick timer: polled directories, draining rotated inodes, stalls, periodic summaries,
 * state saves, metrics. */
static void tick(void *ctx, uint64_t now)
{
	struct tm_daemon *d = ctx;
	double poll = d->cfg->poll_s > 0 ? d->cfg->poll_s : d->cfg->remote_poll_s;
	int polled = (double)(now - d->last_poll_ms) >= poll * 1000;
	if (polled) {
		d->last_poll_ms = now;
		tm_watch_scan_polled(&d->watch, now);
		tm__daemon_prune_outside(d);
	}
	for (size_t i = 0; i < d->nfiles; i++) {
		struct tm_watched *w = d->files[i];
		/* a polled file the scan did not list was deleted or renamed: the sync tells */
		int unlisted = polled && w->polled && w->synced_ms != now && !tm__daemon_file_closed(w);
		if (w->tail.nold || w->err_reported || (w->tail.gone && !w->ended_ms) || unlisted)
			tm__daemon_sync_file(d, w, now);
		if (w->sum_records != w->tail.feed.m.records)
			tm__daemon_summarize(w);
		tm_alerts_tick(&w->alerts, &d->cfg->alerts, &w->tail.feed.run, &w->sum, now, tm__daemon_on_alert, w);
		if (d->cfg->summary_every_s > 0 && !w->ended_ms && w->tail.feed.run.nsteps &&
		    (double)(now - w->last_summary_ms) >= d->cfg->summary_every_s * 1000 &&
		    w->alerts.last_step_ms > w->last_summary_ms) {
			w->last_summary_ms = now;
			tm__sink_summary(d, w, "periodic");
		}
		if (w->tail.gone && !w->tail.nold && !w->ended_ms) {
			w->ended_ms = now;
			if (!w->final_sent) {
				w->final_sent = 1;
				tm__sink_summary(d, w, "file removed");
			}
		}
	}
	tm__daemon_chains_refresh(d);       /* before files leave: their last lines count */
	tm__daemon_release_files(d, now);
	save_tick(d, now);
	tm__sinks_tick(d, now);
	tm__notify_tick(d);
	if (d->metrics)
		tm_metrics_tick(d->metrics, now);
	tm__daemon_retry_waiting(d, now);   /* last: the parked fds are refilled by now */
}

static void reload(struct tm_daemon *d)
{
	struct tm_diag diag;
	tm_diag_init(&diag);
	struct tm_ruleset *rs = tm_xcalloc(1, sizeof(*rs));
	tm_ruleset_init(rs);
	int errors = tm_ruleset_load_all(rs, d->cfg->rules, d->cfg->nrules, d->cfg->no_default_rules, &diag) != 0;
	if (!errors && d->o.reload_cfg)
		errors += d->o.reload_cfg(d->o.reload_ctx, &diag);
	if (errors || diag.errors) {
		d->st.reload_errors++;
		tm__sink_note(d, "SIGHUP: reload failed; the old rules and config stay in force:");
		tm_diag_print(&diag, stderr);
		tm_ruleset_release(rs);
		free(rs);
		tm_diag_release(&diag);
		return;
	}
	tm_ruleset_finish(rs, &diag);
	/* swap: every run keeps its accumulators; its matcher is rebuilt for the new rules */
	for (size_t i = 0; i < d->nfiles; i++) {
		struct tm_watched *w = d->files[i];
		struct tm_run *r = &w->tail.feed.run;
		tm_matcher_release(&w->tail.feed.m);
		tm_matcher_init(&w->tail.feed.m, rs);
		tm_run_rebind(r, rs);            /* packs mapped by name */
		w->tail.feed.m.skip_detect = r->detected >= 0 || r->framework_forced;
		tm__daemon_resolve_job(d, w);
		tm__daemon_summarize(w);
	}
	tm_ruleset_release(d->rules);
	free(d->rules);
	d->rules = rs;
	free(d->released_matches);         /* like every file's matcher: counted anew */
	d->released_matches = NULL;
	d->st.reloads++;
	tm__sink_note(d, "SIGHUP: reloaded %zu packs and the config", rs->npacks);
	tm_diag_release(&diag);
}

static void on_signal(void *ctx, int signo)
{
	struct tm_daemon *d = ctx;
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		tm_loop_stop(&d->loop);
		break;
	case SIGHUP:
		reload(d);
		break;
	case SIGUSR1:
		for (size_t i = 0; i < d->nfiles; i++) {
			tm__daemon_summarize(d->files[i]);
			tm__sink_summary(d, d->files[i], "SIGUSR1");
		}
		break;
	case SIGCHLD:
		save_reap(d, 0);                 /* before the --exec reaper's waitpid(-1) */
		tm__reap_children(d);
		break;
	default:
		break;
	}
}

/* ---- life ---- */

int tm_daemon_new(struct tm_daemon **out, struct tm_watch_cfg *cfg, const struct tm_daemon_opts *o,
		  struct tm_diag *diag)
{
	*out = NULL;
	struct tm_daemon *d = tm_xcalloc(1, sizeof(*d));
	d->cfg = cfg;
	if (o)
		d->o = *o;
	d->loop.epfd = d->loop.sigfd = d->watch.inofd = d->spare_fd = -1;
	d->rules = tm_xcalloc(1, sizeof(*d->rules));
	tm_ruleset_init(d->rules);
	size_t errors_before = diag->errors;
	int sys = tm_ruleset_load_all(d->rules, cfg->rules, cfg->nrules, cfg->no_default_rules, diag) < 0;
	if (sys || diag->errors != errors_before) {
		tm_daemon_free(d);
		return sys ? -EIO : TM_DAEMON_BAD_INPUT;
	}
	tm_ruleset_finish(d->rules, diag);
	char err[300];
	if (tm_chainkey_init(&d->ckey, cfg->chain, cfg->chain_by, err, sizeof(err))) {
		tm_diag_error(diag, NULL, 0, 0, "%s", err);
		tm_daemon_free(d);
		return TM_DAEMON_BAD_INPUT;
	}
	*out = d;
	return 0;
}

/* Like snprintf into err, returning -e: the start-up failures below. */
static int fail(int e, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(int e, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -e;
}

int tm_daemon_start(struct tm_daemon *d, char *err, size_t errlen)
{
	struct tm_watch_cfg *cfg = d->cfg;
	if (errlen)
		err[0] = '\0';
	if (cfg->state_path) {
		int k = tm_state_clean_temps(cfg->state_path);
		if (k > 0)
			tm__sink_note(d, "%s: removed %d temp file%s of unfinished saves", cfg->state_path, k,
				      k == 1 ? "" : "s");
		char msg[512];
		int rc = tm_state_load_with(cfg->state_path, &d->saved, &d->nsaved, &d->saved_extra, msg, sizeof(msg));
		d->capsaved = d->nsaved;
		if (rc == -1)
			tm__sink_note(d, "%s; starting without it (files are read from the start)", msg);
		else if (rc < 0)
			tm__sink_note(d, "%s: cannot read state: %s; starting without it", cfg->state_path, strerror(-rc));
	}
	tm__daemon_chains_start(d);          /* before the saved notifications are taken (notify) */
	int rc = tm__sinks_open(d);
	if (rc < 0)
		return fail(-rc, err, errlen, "%s: %s", cfg->jsonl_path, strerror(-rc));
	if (cfg->state_path)
		d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);   /* see save_state() */
	/* one fd per followed file: take the hard open-file limit (the soft default, 1024, is low) */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	signal(SIGPIPE, SIG_IGN);
	rc = tm_loop_init(&d->loop, d->o.clock);
	if (rc == 0)
		rc = tm_loop_signals(&d->loop, &set, on_signal, d);
	if (rc < 0)
		return fail(-rc, err, errlen, "cannot set up the event loop: %s", strerror(-rc));
	struct tm_watch_opts wo = { .globs = cfg->globs, .nglobs = cfg->nglobs, .recursive = cfg->recursive,
				    .poll_all = cfg->poll_s > 0 };
	struct tm_watch_cbs cb = { .file = tm__daemon_file_found, .other = on_other, .overflow = on_overflow,
				   .note = on_note, .ctx = d };
	rc = tm_watch_init(&d->watch, &d->loop, &wo, &cb);
	if (rc < 0)
		tm__sink_note(d, "inotify unavailable (%s): polling every directory", strerror(-rc));
	/* the tick: once a second, or at --poll's period when that is shorter */
	uint64_t period = 1000;
	if (cfg->poll_s > 0 && cfg->poll_s < 1)
		period = (uint64_t)(cfg->poll_s * 1000) ? (uint64_t)(cfg->poll_s * 1000) : 1;
	tm_loop_timer_add(&d->loop, period, period, tick, d);
	rc = tm__notify_start(d, err, errlen);
	if (rc)
		return rc > 0 ? TM_DAEMON_BAD_USAGE : rc;
	if (cfg->listen || cfg->textfile) {
		struct tm_metrics_cfg mc = { .listen = cfg->listen, .textfile = cfg->textfile, .expire_s = cfg->expire_s,
					     .http_timeout_s = cfg->http_timeout_s,
					     .http_max_conns = (unsigned)cfg->http_max_conns };
		const char **labels = tm_xcalloc(cfg->notify.label.n + cfg->nlabels + 1, sizeof(*labels));
		for (size_t i = 0; i < cfg->notify.label.n; i++)
			labels[mc.nlabels++] = cfg->notify.label.v[i];
		for (size_t i = 0; i < cfg->nlabels; i++)
			labels[mc.nlabels++] = cfg->labels[i];
		mc.labels = labels;
		struct tm_metrics_view view;
		tm_daemon_view(d, &view);
		rc = tm_metrics_new(&d->metrics, &mc, &view, &d->loop, err, errlen);
		free(labels);
		if (rc)
			return rc > 0 ? TM_DAEMON_BAD_USAGE : rc;
	}
	uint64_t now = tm_loop_now(&d->loop);
	d->last_save_ms = d->last_poll_ms = now;
	d->initial_scan = 1;
	for (size_t i = 0; i < cfg->ndirs; i++) {
		struct stat st;                  /* a file named: its directory, for that name */
		int named = stat(cfg->dirs[i], &st) == 0 && !S_ISDIR(st.st_mode);
		int di = named ? tm_watch_add_named(&d->watch, cfg->dirs[i]) : tm_watch_add_dir(&d->watch, cfg->dirs[i], 0);
		if (di < 0)
			return fail(-di, err, errlen, "%s: %s", cfg->dirs[i], strerror(-di));
	}
	tm__daemon_claim_rotated(d, now);
	tm_watch_scan_all(&d->watch, now);
	d->initial_scan = 0;
	if (cfg->state_path) {               /* the first save: it must work, or exit 3 */
		size_t n;
		struct tm_state_entry *v = state_entries(d, &n);
		struct tm_state_extra x;
		state_extra(d, &x);
		rc = tm_state_save_with(cfg->state_path, v, n, &x);
		free(x.notes);
		free(v);
		if (rc < 0)
			return fail(-rc, err, errlen, "%s: cannot write the state file: %s", cfg->state_path,
				    strerror(-rc));
		d->st.saves++;
	}
	return 0;
}

int tm_daemon_run(struct tm_daemon *d)
{
	int rc = tm_loop_run(&d->loop);
	if (rc < 0)
		tm__sink_note(d, "epoll_wait: %s", strerror(-rc));
	/* final pass: read what arrived last, then save */
	uint64_t now = tm_loop_now(&d->loop);
	for (size_t i = 0; i < d->nfiles; i++)
		tm__daemon_sync_file(d, d->files[i], now);
	tm__notify_finish(d);                /* before the save: what was delivered is not kept */
	save_state(d, 0);
	tm__sinks_finish(d);
	return 0;
}

void tm_daemon_free(struct tm_daemon *d)
{
	if (!d)
		return;
	save_reap(d, 1);
	for (size_t i = 0; i < d->nfiles; i++) {
		tm_tail_release(&d->files[i]->tail);
		tm_alerts_release(&d->files[i]->alerts);
		free(d->files[i]);
	}
	free(d->files);
	free(d->released_matches);
	for (size_t i = 0; i < d->noutside; i++)
		free(d->outside[i]);
	free(d->outside);
	tm_state_free(d->saved, d->nsaved);
	tm_metrics_free(d->metrics);
	tm_livechain_free(d->chains);
	tm_notify_free(d->notify);
	tm_state_extra_release(&d->saved_extra);
	tm_chainkey_release(&d->ckey);
	if (d->rules) {
		tm_ruleset_release(d->rules);
		free(d->rules);
	}
	tm__sinks_close(d);
	if (d->spare_fd >= 0)
		close(d->spare_fd);
	tm_watch_release(&d->watch);
	tm_loop_release(&d->loop);
	free(d);
}
