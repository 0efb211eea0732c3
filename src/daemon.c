/* daemon.c: the watch daemon's loop and its per-file bookkeeping (see daemon.h, docs/design.md).
 *
 * Loop phases: 1. epoll_wait (timeout: none; the 1 s tick timerfd wakes us); 2. signals
 * (TERM/INT stop, HUP reload, USR1 summaries, CHLD reap); 3. inotify events (each names a file
 * to sync, or asks for a rescan); 4. the tick: polled directories, draining rotated inodes,
 * stalls, periodic summaries, state saves, metrics. Every file sync ends in post_sync(), the one
 * place where new steps and events become summaries, alerts and sink output.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "trainmon/cmd.h"
#include "trainmon/daemon.h"
#include "trainmon/metrics.h"
#include "trainmon/state.h"
#include "trainmon/watchdir.h"
#include "trainmon/xalloc.h"
#include "banned.h"

uint64_t tm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- jobs per file ---- */

static void overlay(struct tm_job *dst, const struct tm_job *src)
{
	for (int p = 0; p < TM_P_N; p++)
		if (!isnan(src->params[p]) && dst->src[p] != TM_SRC_FLAG) {
			dst->params[p] = src->params[p];
			dst->src[p] = TM_SRC_CONFIG;
		}
	if (src->preset && dst->preset_src != TM_SRC_FLAG)
		dst->preset = src->preset, dst->preset_src = TM_SRC_CONFIG;
	if (src->mlp && dst->mlp_src != TM_SRC_FLAG)
		dst->mlp = src->mlp, dst->mlp_src = TM_SRC_CONFIG;
	if (!isnan(src->model_flops) && dst->model_flops_src != TM_SRC_FLAG)
		dst->model_flops = src->model_flops, dst->model_flops_src = TM_SRC_CONFIG;
	if (src->gpu && dst->gpu_src != TM_SRC_FLAG)
		dst->gpu = src->gpu, dst->gpu_src = TM_SRC_CONFIG;
	if (src->dtype_src && dst->dtype_src != TM_SRC_FLAG)
		dst->dtype = src->dtype, dst->dtype_src = TM_SRC_CONFIG;
	if (!isnan(src->peak_tflops) && dst->peak_src != TM_SRC_FLAG)
		dst->peak_tflops = src->peak_tflops, dst->peak_src = TM_SRC_CONFIG;
	if (!isnan(src->target_tokens) && dst->target_src != TM_SRC_FLAG)
		dst->target_tokens = src->target_tokens, dst->target_src = TM_SRC_CONFIG;
}

static void resolve_job(const struct tm_daemon *d, struct tm_watched *w)
{
	w->job = d->cfg->job;
	const char *base = strrchr(w->tail.path, '/');
	base = base ? base + 1 : w->tail.path;
	for (size_t i = 0; i < d->cfg->nfile_jobs; i++)
		if (fnmatch(d->cfg->file_jobs[i].glob, base, 0) == 0 ||
		    fnmatch(d->cfg->file_jobs[i].glob, w->tail.path, 0) == 0)
			overlay(&w->job, &d->cfg->file_jobs[i].job);
}

/* ---- per file ---- */

static int trace_record(void *ctx, const struct tm_record *rec)
{
	struct tm_watched *w = ctx;
	tm__sink_line(w->d, w->tail.path, rec);
	return 0;
}

static void on_alert(void *ctx, const struct tm_alert_event *e)
{
	struct tm_watched *w = ctx;
	tm__sink_alert(w->d, w, e);
}

static void summarize(struct tm_watched *w)
{
	tm_summarize(&w->tail.feed.run, &w->job, &w->sum);
	w->sum_steps = w->tail.feed.run.nsteps;
	w->sum_records = w->tail.feed.m.records;
}

/* New lines arrived (or the file changed state): alerts, events, final summary. */
static void post_sync(struct tm_daemon *d, struct tm_watched *w, uint64_t now)
{
	const struct tm_run *r = &w->tail.feed.run;
	int new_steps = r->nsteps != w->sum_steps;
	int new_events = w->events_emitted != r->nevents;
	uint64_t events_total = 0;
	for (int k = 0; k < TM_EV_N; k++)
		events_total += r->event_counts[k] - w->alerts.events_seen[k];
	/* a bounded run: keep the newest half when over the cap; the alert cursor moves with it */
	if (d->cfg->max_steps && r->nsteps > d->cfg->max_steps) {
		size_t cursor_before = w->alerts.step_cursor;
		size_t dropped = tm_run_trim(&w->tail.feed.run, d->cfg->max_steps, d->cfg->max_steps / 2);
		w->alerts.step_cursor = cursor_before > dropped ? cursor_before - dropped : 0;
		w->sum_steps = w->sum_steps > dropped ? w->sum_steps - dropped : 0;
		new_steps = 1;
	}
	/* steps and events need the summary now (alerts); other lines (parameters) wait for the tick */
	if (new_steps || new_events || events_total)
		summarize(w);
	tm_alerts_update(&w->alerts, &d->cfg->alerts, r, &w->sum, now, on_alert, w);
	tm__sink_events(d, w);
	if (!w->final_sent && tm_alerts_run_over(&w->alerts)) {
		w->final_sent = 1;
		w->ended_ms = now;
		tm__sink_summary(d, w, w->alerts.finished ? "finished" : "ended");
	}
	if (d->metrics)
		tm_metrics_update(d->metrics, w, now);
}

#define LINK_EVENTS (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

/* A followed symlink: its target may live in a directory we do not watch, so the target's inode
 * gets a watch of its own (link_wd). Retargeting, as we may see it:
 *  1. train.log -> run-1.txt, and link_wd watches run-1.txt's inode;
 *  2. the job restarts: train.log -> run-2.txt (ln -sfn renames a new link over the old one);
 *  3. that directory event makes the tail reopen the path: it now reads run-2.txt's inode.
 * The watch still names run-1.txt, so after step 3 writes to run-2.txt raise no event at all (they
 * were seen only while the tick drained run-1.txt for rotate_wait). So after every reopen the watch
 * is added again through the path, and the old one is removed unless another link shares it
 * (inotify has one wd per inode per instance). A path that stopped being a link drops its watch. */
static void watch_link(struct tm_daemon *d, struct tm_watched *w)
{
	if (d->inofd < 0)
		return;
	struct stat lst;
	int wd = -1;
	if (lstat(w->tail.path, &lst) == 0 && S_ISLNK(lst.st_mode))
		wd = inotify_add_watch(d->inofd, w->tail.path, LINK_EVENTS);
	if (wd < 0)
		wd = -1;
	int old = w->link_wd;
	if (wd == old)
		return;
	w->link_wd = wd;
	for (size_t i = 0; old >= 0 && i < d->nfiles; i++)
		if (d->files[i]->link_wd == old)
			return;
	if (old >= 0)
		inotify_rm_watch(d->inofd, old);
}

void tm__daemon_sync_file(struct tm_daemon *d, struct tm_watched *w, uint64_t now)
{
	uint64_t lines = w->tail.feed.m.records, reopen = w->tail.st.reopen;
	int rc = tm_tail_sync(&w->tail, now);
	if (w->tail.st.reopen != reopen)
		watch_link(d, w);
	d->st.lines += w->tail.feed.m.records - lines;
	if (rc < 0 && !w->err_reported) {
		w->err_reported = 1;
		tm__sink_note(d, "%s: %s (retrying)%s", w->tail.path, strerror(-rc),
			      rc == -EMFILE || rc == -ENFILE ? "; raise the open-file limit (ulimit -n, or "
			      "LimitNOFILE= in the systemd unit) or lower --max-files" : "");
	} else if (rc == 0 && w->err_reported) {
		w->err_reported = 0;
		tm__sink_note(d, "%s: readable again", w->tail.path);
	}
	post_sync(d, w, now);
}

static struct tm_watched *file_find(struct tm_daemon *d, const char *path)
{
	for (size_t i = 0; i < d->nfiles; i++)
		if (strcmp(d->files[i]->tail.path, path) == 0)
			return d->files[i];
	return NULL;
}

/* A file rotated away while we were stopped: find its inode in the same directory. */
static int find_inode(const char *path, dev_t dev, ino_t ino, char *out, size_t n)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	DIR *dp = opendir(dir);
	if (!dp)
		return 0;
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(dp))) {
		if (de->d_ino != ino)
			continue;
		char full[PATH_MAX];
		struct stat st;
		int k = snprintf(full, sizeof(full), "%s/%s", dir, de->d_name);
		if (k > 0 && (size_t)k < sizeof(full) && stat(full, &st) == 0 && st.st_dev == dev && st.st_ino == ino && S_ISREG(st.st_mode)) {
			snprintf(out, n, "%s", full);
			found = 1;
		}
	}
	closedir(dp);
	return found;
}

/* Applies saved state to a new tail: run, alerts, position (with the rotated-while-away drain). */
static void restore(struct tm_daemon *d, struct tm_watched *w, struct tm_saved *s, uint64_t now)
{
	s->used = 1;
	tm_state_apply_run(s, &w->tail.feed.run);
	w->alerts = s->alerts;
	w->events_emitted = w->tail.feed.run.nevents;
	w->alerts.last_step_ms = w->tail.feed.run.nsteps ? now : 0;
	w->final_sent = tm_alerts_run_over(&w->alerts);
	if (!s->has_pos)
		return;
	int rc = tm_tail_resume_ident(&w->tail, s->dev, s->ino, s->off, s->line, s->marker, s->marker_len, &s->ident, now);
	if (rc == 0)
		return;
	char rotated[PATH_MAX];
	struct stat st;
	int same_inode = stat(w->tail.path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino;
	if (!same_inode && find_inode(w->tail.path, s->dev, s->ino, rotated, sizeof(rotated))) {
		tm__sink_note(d, "%s: rotated while stopped; reading the rest of %s first", w->tail.path, rotated);
		tm_tail_drain_path(&w->tail, rotated, s->off, s->line, now);
	} else if (!same_inode) {
		tm__sink_note(d, "%s: replaced while stopped and the old file is gone: reading the new one "
			      "from the start", w->tail.path);
	} else {
		tm__sink_note(d, "%s: truncated while stopped: reading from the start", w->tail.path);
	}
}

static struct tm_saved *find_saved(struct tm_daemon *d, const char *path)
{
	struct tm_saved *s = NULL;
	for (size_t i = 0; i < d->nsaved; i++)
		if (!d->saved[i].used && strcmp(d->saved[i].path, path) == 0)
			s = &d->saved[i];
	return s;
}

/* A new name for an inode another tail reads: a rotated file whose new name matches a glob too
 * (train.log -> train.1.log, or --glob '*.log*'). As we may see it:
 *  1. tail A follows "train.log" (inode 11) and has read it to offset 9000;
 *  2. it is renamed "train.1.log"; the trainer may still append through its own fd;
 *  3. we hear of "train.1.log" (IN_MOVED_TO, or a poll scan) before or after A saw the rename.
 * Read from 0, "train.1.log" would hand out A's 9000 bytes again, and then A (draining inode 11)
 * and the new tail would both read every append. So A is synced first, which moves inode 11 to
 * its old list if its path names another inode or nothing; then the new tail takes inode 11 over
 * at A's last complete line (A's unfinished line is read again by the new tail, A drops the
 * inode). Returns 1 when taken over, -1 when A still reads the inode under its own name (a hard
 * link: not followed twice), 0 when no other tail has it. */
static int take_over_inode(struct tm_daemon *d, const char *path, struct tm_watched *w, uint64_t now)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	for (size_t i = 0; i < d->nfiles; i++) {
		struct tm_watched *o = d->files[i];
		if (o == w)
			continue;
		struct tm_tail *t = &o->tail;
		if (t->cur.fd >= 0 && t->cur.dev == st.st_dev && t->cur.ino == st.st_ino) {
			tm__daemon_sync_file(d, o, now);
			if (t->cur.fd >= 0 && t->cur.dev == st.st_dev && t->cur.ino == st.st_ino)
				return -1;
		}
		for (size_t k = 0; k < t->nold; k++) {
			struct tm_tail_fd *f = &t->old[k];
			if (f->dev != st.st_dev || f->ino != st.st_ino)
				continue;
			if (!w)
				return 1;
			uint64_t off = tm_lines_offset(&f->lines);
			unsigned char mk[TM_MARKER_LEN];
			size_t n = off < TM_MARKER_LEN ? (size_t)off : TM_MARKER_LEN;
			if (n && pread(f->fd, mk, n, (off_t)(off - n)) != (ssize_t)n)
				return 0;
			if (tm_tail_resume(&w->tail, st.st_dev, st.st_ino, off, f->lines.line, mk, n, now) != 0)
				return 0;
			tm__sink_note(d, "%s: is %s renamed; following it from where that left off", path, t->path);
			close(f->fd);
			tm_lines_release(&f->lines);
			memmove(f, f + 1, (t->nold - k - 1) * sizeof(*f));
			t->nold--;
			return 1;
		}
	}
	return 0;
}

struct tm_watched *tm_file_touch(struct tm_daemon *d, const char *path, int di, uint64_t now)
{
	struct tm_watched *w = file_find(d, path);
	if (w) {
		/* Rename-over by another followed file (`mv a.log train.log`, both followed): the path
		 * now names the inode a.log's tail was reading. Finish ours, then continue that inode
		 * from where a.log's tail stopped, instead of from 0 (which would count its lines twice). */
		struct stat st;
		if (w->tail.cur.fd >= 0 && stat(path, &st) == 0 &&
		    (st.st_dev != w->tail.cur.dev || st.st_ino != w->tail.cur.ino) &&
		    take_over_inode(d, path, NULL, now) == 1) {
			tm_tail_retire(&w->tail, now);
			take_over_inode(d, path, w, now);
		}
		tm__daemon_sync_file(d, w, now);
		return w;
	}
	struct tm_saved *s = find_saved(d, path);
	int held = s ? 0 : take_over_inode(d, path, NULL, now);
	if (held < 0)
		return NULL;
	if (d->nfiles >= d->cfg->max_files) {
		if (!d->limit_reported)
			tm__sink_note(d, "%s: not followed: --max-files %zu reached", path, d->cfg->max_files);
		d->limit_reported = 1;
		return NULL;
	}
	w = tm_xcalloc(1, sizeof(*w));
	w->d = d;
	w->dir = di;
	w->link_wd = -1;
	tm_tail_init(&w->tail, path, d->rules, d->cfg->line_max, (uint64_t)(d->cfg->rotate_wait_s * 1000));
	tm_alerts_init(&w->alerts);
	resolve_job(d, w);
	if (d->cfg->trace_lines) {
		w->tail.feed.trace = trace_record;
		w->tail.feed.trace_ctx = w;
	}
	tm_xgrow((void **)&d->files, &d->capfiles, d->nfiles + 1, sizeof(*d->files));
	d->files[d->nfiles++] = w;
	watch_link(d, w);
	summarize(w);
	if (s)
		restore(d, w, s, now);
	else if (held)
		take_over_inode(d, path, w, now);
	else if (d->initial_scan && d->cfg->from_end)
		tm_tail_start_at_end(&w->tail, now);
	tm__daemon_sync_file(d, w, now);
	return w;
}

/* ---- loop ---- */

static void rescan_all(struct tm_daemon *d, uint64_t now)
{
	for (size_t i = 0; i < d->ndirs; i++)
		tm_dir_scan(d, i, now);
	for (size_t i = 0; i < d->nfiles; i++)
		tm__daemon_sync_file(d, d->files[i], now);
}

static void handle_inotify(struct tm_daemon *d, uint64_t now)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(d->inofd, buf, sizeof(buf));
		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				d->st.overflows++;
				tm__sink_note(d, "inotify queue overflow: rescanning every directory");
				rescan_all(d, now);
				continue;
			}
			int di = tm_dir_by_wd(d, ev->wd);
			if (di < 0) {
				for (size_t i = 0; i < d->nfiles; i++)
					if (d->files[i]->link_wd == ev->wd)
						tm__daemon_sync_file(d, d->files[i], now);
				continue;
			}
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
				if (ev->mask & IN_IGNORED)
					d->dirs[di].wd = -1, d->dirs[di].polled = 1;
				continue;
			}
			if (!ev->len)
				continue;
			char full[PATH_MAX];
			int k = snprintf(full, sizeof(full), "%s/%s", d->dirs[di].path, ev->name);
			if (k < 0 || (size_t)k >= sizeof(full))
				continue;
			if (ev->mask & IN_ISDIR) {
				if (d->cfg->recursive && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && d->dirs[di].depth < 16) {
					int ni = tm_dir_add(d, full, d->dirs[di].depth + 1);
					if (ni >= 0)
						tm_dir_scan(d, (size_t)ni, now);
				}
				continue;
			}
			if (tm_name_matches(d->cfg, ev->name)) {
				tm_file_touch(d, full, di, now);
			} else if (ev->mask & (IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM)) {
				/* a non-matching name may be the target of a followed symlink */
				for (size_t i = 0; i < d->nfiles; i++)
					if (d->files[i]->link_wd >= 0)
						tm__daemon_sync_file(d, d->files[i], now);
			}
		}
	}
}

static void save_state(struct tm_daemon *d)
{
	if (!d->cfg->state_path)
		return;
	struct tm_state_entry *v = tm_xcalloc(d->nfiles + 1, sizeof(*v));
	for (size_t i = 0; i < d->nfiles; i++) {
		v[i].tail = &d->files[i]->tail;
		v[i].alerts = &d->files[i]->alerts;
	}
	int rc = tm_state_save(d->cfg->state_path, v, d->nfiles);
	free(v);
	if (rc < 0) {
		d->st.save_errors++;
		tm__sink_note(d, "%s: cannot save state: %s", d->cfg->state_path, strerror(-rc));
	} else {
		d->st.saves++;
	}
}

static void tick(struct tm_daemon *d, uint64_t now)
{
	double poll = d->cfg->poll_s > 0 ? d->cfg->poll_s : d->cfg->remote_poll_s;
	if ((double)(now - d->last_poll_ms) >= poll * 1000) {
		d->last_poll_ms = now;
		for (size_t i = 0; i < d->ndirs; i++)
			if (d->dirs[i].polled)
				tm_dir_scan(d, i, now);
	}
	for (size_t i = 0; i < d->nfiles; i++) {
		struct tm_watched *w = d->files[i];
		if (w->tail.nold || w->err_reported || (w->tail.gone && !w->ended_ms))
			tm__daemon_sync_file(d, w, now);
		if (w->sum_records != w->tail.feed.m.records)
			summarize(w);
		tm_alerts_tick(&w->alerts, &d->cfg->alerts, &w->tail.feed.run, &w->sum, now, on_alert, w);
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
	if (d->cfg->state_path && (double)(now - d->last_save_ms) >= d->cfg->state_every_s * 1000) {
		d->last_save_ms = now;
		save_state(d);
	}
	if (d->metrics)
		tm_metrics_tick(d->metrics, d, now);
}

static void reload(struct tm_daemon *d)
{
	struct tm_diag diag;
	tm_diag_init(&diag);
	struct tm_ruleset *rs = tm_xcalloc(1, sizeof(*rs));
	tm_ruleset_init(rs);
	int errors = tm_ruleset_load_all(rs, d->cfg->rules, d->cfg->nrules, d->cfg->no_default_rules, &diag) != 0;
	if (!errors && d->reload_cfg)
		errors += d->reload_cfg(d->reload_ctx, &diag);
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
		const char *fw = r->framework >= 0 ? d->rules->packs[r->framework].name : NULL;
		int nf = -1;
		for (size_t k = 0; fw && k < rs->npacks; k++)
			if (strcmp(rs->packs[k].name, fw) == 0)
				nf = (int)k;
		tm_matcher_release(&w->tail.feed.m);
		tm_matcher_init(&w->tail.feed.m, rs);
		w->tail.feed.m.skip_detect = nf >= 0;
		r->rs = rs;
		r->framework = nf;
		resolve_job(d, w);
		summarize(w);
	}
	tm_ruleset_release(d->rules);
	free(d->rules);
	d->rules = rs;
	d->st.reloads++;
	tm__sink_note(d, "SIGHUP: reloaded %zu packs and the config", rs->npacks);
	tm_diag_release(&diag);
}

static void handle_signals(struct tm_daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			d->stop = 1;
			break;
		case SIGHUP:
			reload(d);
			break;
		case SIGUSR1:
			for (size_t i = 0; i < d->nfiles; i++) {
				summarize(d->files[i]);
				tm__sink_summary(d, d->files[i], "SIGUSR1");
			}
			break;
		case SIGCHLD:
			tm__reap_children(d);
			break;
		default:
			break;
		}
	}
}

static int add_fd(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Files rotated while we were stopped, before the first scan:
 *  1. saved file P (inode I, offset O) now names another inode, or nothing;
 *  2. I lives on as R in the same directory ("train.log.1"), maybe matching a glob too;
 *  3. the first scan may reach R before P, in any readdir order.
 * So P is followed first (its restore() reads R from O to its end into P's run), and R, if it
 * is followed at all, gets a saved position at its current end: the lines it holds are counted
 * once, in P's run, whatever order the scan takes. */
static void claim_rotated(struct tm_daemon *d, uint64_t now)
{
	for (size_t i = 0; i < d->nsaved; i++) {
		if (d->saved[i].used || !d->saved[i].has_pos)
			continue;
		char p[PATH_MAX], dir[PATH_MAX], r[PATH_MAX];
		snprintf(p, sizeof(p), "%s", d->saved[i].path);
		dev_t dev = d->saved[i].dev;
		ino_t ino = d->saved[i].ino;
		struct stat st;
		if (stat(p, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
			continue;                     /* not rotated */
		if (!find_inode(p, dev, ino, r, sizeof(r)) || stat(r, &st) < 0)
			continue;
		snprintf(dir, sizeof(dir), "%s", p);
		char *slash = strrchr(dir, '/');
		if (!slash)
			continue;
		*slash = '\0';
		int di = tm_dir_find(d, dir);
		if (di < 0)
			continue;
		/* R's own entry: at its end, with an empty run */
		tm_xgrow((void **)&d->saved, &d->capsaved, d->nsaved + 1, sizeof(*d->saved));
		struct tm_saved *s = &d->saved[d->nsaved++];
		memset(s, 0, sizeof(*s));
		s->path = tm_xstrdup(r);
		s->has_pos = 1;
		s->dev = dev;
		s->ino = ino;
		s->off = (uint64_t)st.st_size;
		tm_run_init(&s->run, r, NULL, NULL);
		tm_alerts_init(&s->alerts);
		int fd = open(r, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			size_t want = s->off < TM_MARKER_LEN ? (size_t)s->off : TM_MARKER_LEN;
			ssize_t k = pread(fd, s->marker, want, (off_t)(s->off - want));
			s->marker_len = k > 0 ? (size_t)k : 0;
			close(fd);
		}
		tm_file_touch(d, p, di, now);        /* P first: drains R from its saved offset */
	}
}

int tm_daemon_init(struct tm_daemon *d, struct tm_watch_cfg *cfg)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->epfd = d->sigfd = d->inofd = d->tickfd = -1;
	struct tm_diag diag;
	tm_diag_init(&diag);
	d->rules = tm_xcalloc(1, sizeof(*d->rules));
	tm_ruleset_init(d->rules);
	int sys = tm_ruleset_load_all(d->rules, cfg->rules, cfg->nrules, cfg->no_default_rules, &diag) < 0;
	tm_diag_print(&diag, stderr);
	if (sys || diag.errors) {
		tm_diag_release(&diag);
		return sys ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
	}
	tm_ruleset_finish(d->rules, &diag);
	tm_diag_release(&diag);

	if (cfg->state_path) {
		char err[512];
		int rc = tm_state_load(cfg->state_path, &d->saved, &d->nsaved, err, sizeof(err));
		d->capsaved = d->nsaved;
		if (rc == -1)
			tm__sink_note(d, "%s; starting without it (files are read from the start)", err);
		else if (rc < 0)
			tm__sink_note(d, "%s: cannot read state: %s; starting without it", cfg->state_path, strerror(-rc));
	}
	if (tm__sinks_open(d) < 0) {
		fprintf(stderr, "trainmon watch: %s: %s\n", cfg->jsonl_path, strerror(errno));
		return TM_EXIT_SYSTEM;
	}
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
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	d->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->sigfd < 0 || d->epfd < 0 || d->tickfd < 0) {
		fprintf(stderr, "trainmon watch: cannot set up the event loop: %s\n", strerror(errno));
		return TM_EXIT_SYSTEM;
	}
	if (d->inofd < 0)
		tm__sink_note(d, "inotify unavailable (%s): polling every directory", strerror(errno));
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	if (cfg->poll_s > 0 && cfg->poll_s < 1) {
		long ns = (long)(cfg->poll_s * 1e9);
		its.it_interval = (struct timespec){ 0, ns };
		its.it_value = its.it_interval;
	}
	timerfd_settime(d->tickfd, 0, &its, NULL);
	if (add_fd(d->epfd, d->sigfd) < 0 || add_fd(d->epfd, d->tickfd) < 0 ||
	    (d->inofd >= 0 && add_fd(d->epfd, d->inofd) < 0)) {
		fprintf(stderr, "trainmon watch: epoll: %s\n", strerror(errno));
		return TM_EXIT_SYSTEM;
	}
	if (cfg->listen || cfg->textfile) {
		int rc = tm_metrics_new(&d->metrics, d);
		if (rc)
			return rc;
	}
	uint64_t now = tm_now_ms();
	d->last_save_ms = d->last_poll_ms = now;
	d->initial_scan = 1;
	for (size_t i = 0; i < cfg->ndirs; i++) {
		int di = tm_dir_add(d, cfg->dirs[i], 0);
		if (di < 0) {
			fprintf(stderr, "trainmon watch: %s: %s\n", cfg->dirs[i], strerror(-di));
			return TM_EXIT_SYSTEM;
		}
		if (d->inofd < 0)
			d->dirs[di].polled = 1;
	}
	claim_rotated(d, now);
	for (size_t i = 0; i < d->ndirs; i++)
		tm_dir_scan(d, i, now);
	d->initial_scan = 0;
	return TM_EXIT_OK;
}

int tm_daemon_run(struct tm_daemon *d)
{
	while (!d->stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(d->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tm__sink_note(d, "epoll_wait: %s", strerror(errno));
			break;
		}
		uint64_t now = tm_now_ms();
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == d->sigfd) {
				handle_signals(d);
			} else if (fd == d->inofd) {
				handle_inotify(d, now);
			} else if (fd == d->tickfd) {
				uint64_t ticks;
				if (read(d->tickfd, &ticks, sizeof(ticks)) > 0)
					tick(d, now);
			} else if (d->metrics) {
				tm_metrics_fd(d->metrics, fd);
			}
		}
	}
	/* final pass: read what arrived last, then save */
	uint64_t now = tm_now_ms();
	for (size_t i = 0; i < d->nfiles; i++)
		tm__daemon_sync_file(d, d->files[i], now);
	save_state(d);
	return TM_EXIT_OK;
}

void tm_daemon_release(struct tm_daemon *d)
{
	for (size_t i = 0; i < d->nfiles; i++) {
		tm_tail_release(&d->files[i]->tail);
		free(d->files[i]);
	}
	free(d->files);
	for (size_t i = 0; i < d->ndirs; i++)
		free(d->dirs[i].path);
	free(d->dirs);
	tm_state_free(d->saved, d->nsaved);
	if (d->metrics)
		tm_metrics_free(d->metrics);
	if (d->rules) {
		tm_ruleset_release(d->rules);
		free(d->rules);
	}
	tm__sinks_close(d);
	if (d->epfd >= 0) close(d->epfd);
	if (d->sigfd >= 0) close(d->sigfd);
	if (d->inofd >= 0) close(d->inofd);
	if (d->tickfd >= 0) close(d->tickfd);
	memset(d, 0, sizeof(*d));
}
