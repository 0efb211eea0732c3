/* daemon_file.c: the watch daemon's per-file bookkeeping: which job settings a file gets, syncing
 * its tail, restoring saved state, and the races of rotation and renames between followed files.
 *
 * A file is found by watch.c's callback (tm__daemon_file_found) and synced there and on ticks;
 * every sync ends in post_sync(), the one place where new steps and events become summaries,
 * alerts and sink output. Decisions go by (dev, ino), never by path alone (docs/design.md). A
 * file whose open fails with EMFILE/ENFILE waits and is retried on the tick only (no spin).
 * A deleted file is drained for --rotate-wait, closed, its run reported as ended, and then released
 * (tm__daemon_release_files: freed, out of the state file) once --expire has passed for /metrics;
 * a closed file no longer counts against --max-files, and its name made again is a new file.
 * Must not: read the clock (now comes from the loop), print (notes go through the sinks).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "trainmon/xalloc.h"
#include "banned.h"

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

void tm__daemon_resolve_job(const struct tm_daemon *d, struct tm_watched *w)
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

/* rc is the open-file limit (process or system): the file waits for an fd */
static int no_fd(int rc)
{
	return rc == -EMFILE || rc == -ENFILE;
}

static int trace_record(void *ctx, const struct tm_record *rec)
{
	struct tm_watched *w = ctx;
	tm__sink_line(w->d, w->tail.path, rec);
	return 0;
}

void tm__daemon_on_alert(void *ctx, const struct tm_alert_event *e)
{
	struct tm_watched *w = ctx;
	tm__sink_alert(w->d, w, e);
}

void tm__daemon_summarize(struct tm_watched *w)
{
	tm_run_settle(&w->tail.feed.run);   /* the framework, from the file so far */
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
		tm__daemon_summarize(w);
	tm_alerts_update(&w->alerts, &d->cfg->alerts, r, &w->sum, now, tm__daemon_on_alert, w);
	tm__sink_events(d, w);
	if (!w->final_sent && tm_alerts_run_over(&w->alerts)) {
		w->final_sent = 1;
		w->ended_ms = now;
		tm__sink_summary(d, w, w->alerts.finished ? "finished" : "ended");
	}
	if (d->metrics)
		tm_metrics_update(d->metrics, now);
	if (d->o.on_change && (new_steps || new_events || events_total))
		d->o.on_change(d->o.change_ctx, now);
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
static void unwatch_link(struct tm_daemon *d, struct tm_watched *w, int wd)
{
	int old = w->link_wd;
	w->link_wd = wd;
	for (size_t i = 0; old >= 0 && i < d->nfiles; i++)
		if (d->files[i]->link_wd == old)
			return;
	tm_watch_rm(&d->watch, old);
}

static void watch_link(struct tm_daemon *d, struct tm_watched *w)
{
	if (d->watch.inofd < 0)
		return;
	struct stat lst;
	int wd = -1;
	if (lstat(w->tail.path, &lst) == 0 && S_ISLNK(lst.st_mode))
		wd = tm_watch_add_file(&d->watch, w->tail.path, LINK_EVENTS);
	if (wd != w->link_wd)
		unwatch_link(d, w, wd);
}

void tm__daemon_sync_file(struct tm_daemon *d, struct tm_watched *w, uint64_t now)
{
	if (w->fd_wait)
		return;                  /* waits for an fd: tm__daemon_retry_waiting() tries it */
	uint64_t lines = w->tail.feed.m.records, reopen = w->tail.st.reopen;
	w->synced_ms = now;
	size_t nold = w->tail.nold;
	w->syncing = 1;
	int rc = tm_tail_sync(&w->tail, now);
	w->syncing = 0;
	if (nold && !w->tail.nold)
		d->save_wanted = 1;     /* a rotated inode is drained: save at the next tick */
	if (w->tail.st.reopen != reopen)
		watch_link(d, w);
	d->st.lines += w->tail.feed.m.records - lines;
	if (no_fd(rc)) {
		w->fd_wait = 1;          /* one note for all of them, on the tick */
	} else if (rc < 0 && !w->err_reported) {
		w->err_reported = 1;
		tm__sink_note(d, "%s: %s (retrying)", w->tail.path, strerror(-rc));
	} else if (rc == 0 && w->err_reported) {
		w->err_reported = 0;
		tm__sink_note(d, "%s: readable again", w->tail.path);
	}
	post_sync(d, w, now);
	/* bytes left at the read budget: no event will come for them, so a timer due at once reads
	 * on, after the HTTP requests, inotify events and other files that are waiting */
	if (w->tail.more && !d->more_timer)
		d->more_timer = tm_loop_timer_add(&d->loop, 0, 0, tm__daemon_sync_more, d);
}

void tm__daemon_sync_more(void *ctx, uint64_t now)
{
	struct tm_daemon *d = ctx;
	d->more_timer = 0;
	for (size_t i = 0; i < d->nfiles; i++)
		if (d->files[i]->tail.more)
			tm__daemon_sync_file(d, d->files[i], now);
}

static struct tm_watched *file_find(struct tm_daemon *d, const char *path)
{
	for (size_t i = 0; i < d->nfiles; i++)
		if (strcmp(d->files[i]->tail.path, path) == 0)
			return d->files[i];
	return NULL;
}

/* Opens path's directory (its name into dir, path's last component into *base). */
static DIR *open_parent(const char *path, char *dir, size_t n, const char **base)
{
	snprintf(dir, n, "%s", path);
	char *slash = strrchr(dir, '/');
	*base = slash ? path + (slash - dir) + 1 : path;
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, n, ".");
	return opendir(dir);
}

/* A file rotated away while we were stopped: find its inode in the same directory. */
static int find_inode(const char *path, dev_t dev, ino_t ino, char *out, size_t n)
{
	char dir[PATH_MAX];
	const char *base;
	DIR *dp = open_parent(path, dir, sizeof(dir), &base);
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

/* ---- rotated generations (restart after rotations while stopped) ---- */

/* One file of the directory that is a rotated generation of a base name NAME:
 *   numbered  NAME.N (logrotate's default; NAME.1 newest, a larger N older),
 *   dated     NAME-SUFFIX or NAME.SUFFIX with SUFFIX starting with a digit (dateext:
 *             NAME-20250301, NAME-20250301-1700, NAME.2025-03-01; a later date is newer),
 * either one optionally compressed (.gz .bz2 .xz .zst .lz4 .Z): not readable, skipped with a note.
 * Generation order: by name, not by mtime, when all generations use one scheme: logrotate renames
 * NAME.N to NAME.N+1 on every rotation, and a trainer that keeps its fd appends to an older
 * generation after a newer one was created, so mtimes can disagree with the rotation order; date
 * suffixes are fixed-width and sort as text. Mixed schemes have no name order: then mtime. */
struct gen {
	char *path;                 /* owned */
	char *key;                  /* owned: the suffix after NAME and its separator */
	long num;                   /* numbered: N; dated: -1 */
	struct stat st;
	int compressed;
};

static const char *const COMPRESSED[] = { ".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z" };

/* Classifies name as a generation of base; 0 if it is none. */
static int gen_parse(const char *base, const char *name, struct gen *g)
{
	size_t bl = strlen(base), nl = strlen(name);
	if (nl <= bl + 1 || strncmp(name, base, bl) != 0 || (name[bl] != '.' && name[bl] != '-'))
		return 0;
	char key[NAME_MAX + 1];
	snprintf(key, sizeof(key), "%s", name + bl + 1);
	g->compressed = 0;
	for (size_t i = 0; i < sizeof(COMPRESSED) / sizeof(*COMPRESSED); i++) {
		size_t kl = strlen(key), cl = strlen(COMPRESSED[i]);
		if (kl > cl && strcmp(key + kl - cl, COMPRESSED[i]) == 0) {
			key[kl - cl] = '\0';
			g->compressed = 1;
		}
	}
	if (key[0] < '0' || key[0] > '9')
		return 0;
	char *end;
	long n = strtol(key, &end, 10);
	g->num = *end == '\0' && name[bl] == '.' ? n : -1;
	g->key = tm_xstrdup(key);
	return 1;
}

static int gen_cmp_name(const void *pa, const void *pb)
{
	const struct gen *a = pa, *b = pb;
	if (a->num >= 0 && b->num >= 0)
		return a->num > b->num ? -1 : a->num < b->num;   /* oldest (largest N) first */
	return strcmp(a->key, b->key);
}

static int gen_cmp_mtime(const void *pa, const void *pb)
{
	const struct gen *a = pa, *b = pb;
	if (a->st.st_mtim.tv_sec != b->st.st_mtim.tv_sec)
		return a->st.st_mtim.tv_sec < b->st.st_mtim.tv_sec ? -1 : 1;
	if (a->st.st_mtim.tv_nsec != b->st.st_mtim.tv_nsec)
		return a->st.st_mtim.tv_nsec < b->st.st_mtim.tv_nsec ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* The generations of path in its directory, oldest first. Returns the count (*out owned). */
static size_t gen_list(const char *path, struct gen **out)
{
	char dir[PATH_MAX];
	const char *base;
	*out = NULL;
	DIR *dp = open_parent(path, dir, sizeof(dir), &base);
	if (!dp)
		return 0;
	size_t n = 0, cap = 0, numbered = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		struct gen g;
		char full[PATH_MAX];
		int k = snprintf(full, sizeof(full), "%s/%s", dir, de->d_name);
		if (k < 0 || (size_t)k >= sizeof(full) || !gen_parse(base, de->d_name, &g))
			continue;
		if (stat(full, &g.st) < 0 || !S_ISREG(g.st.st_mode)) {
			free(g.key);
			continue;
		}
		g.path = tm_xstrdup(full);
		numbered += g.num >= 0;
		tm_xgrow((void **)out, &cap, n + 1, sizeof(**out));
		(*out)[n++] = g;
	}
	closedir(dp);
	if (n)
		qsort(*out, n, sizeof(**out), numbered == 0 || numbered == n ? gen_cmp_name : gen_cmp_mtime);
	return n;
}

static void gen_free(struct gen *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].key);
	}
	free(v);
}

/* A rotated file read into another tail's run gets a saved position at its end, so that, when it
 * matches a glob too, the scan follows it from there instead of reading its lines a second time. */
static void claim_at_end(struct tm_daemon *d, const char *path, const struct stat *st)
{
	tm_xgrow((void **)&d->saved, &d->capsaved, d->nsaved + 1, sizeof(*d->saved));
	struct tm_saved *s = &d->saved[d->nsaved++];
	memset(s, 0, sizeof(*s));
	s->path = tm_xstrdup(path);
	s->has_pos = 1;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->off = (uint64_t)st->st_size;
	tm_run_init(&s->run, path, NULL, NULL);
	tm_alerts_init(&s->alerts);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		size_t want = s->off < TM_MARKER_LEN ? (size_t)s->off : TM_MARKER_LEN;
		ssize_t k = pread(fd, s->marker, want, (off_t)(s->off - want));
		s->marker_len = k > 0 ? (size_t)k : 0;
		close(fd);
	}
}

/* Rotated while stopped, maybe more than once: the saved inode lives on as `rotated`. Reads, in
 * generation order, the rest of the saved inode from its offset, then every newer generation from
 * 0, oldest first; the live file follows (the tail reads it from 0 on its next sync). As we may
 * see it after two rotations (logrotate, rotate 5):
 *  1. we saved train.log = inode A at offset O and stopped;
 *  2. rotation 1: A -> train.log.1, new B = train.log; rotation 2: A -> .2, B -> .1, new C;
 *  3. so A is train.log.2 (rest from O), B train.log.1 (all of it), C train.log (all of it).
 * A saved inode under a name that is no generation (train.1.log) is read alone, as before. */
static void drain_chain(struct tm_daemon *d, struct tm_watched *w, const struct tm_saved *s,
			const char *rotated, uint64_t now)
{
	struct gen *g;
	size_t n = gen_list(w->tail.path, &g), at = n;
	for (size_t i = 0; i < n && at == n; i++)
		if (!g[i].compressed && g[i].st.st_dev == s->dev && g[i].st.st_ino == s->ino)
			at = i;
	struct stat st;
	tm__sink_note(d, "%s: rotated while stopped; reading the rest of %s first", w->tail.path, rotated);
	tm_tail_drain_path(&w->tail, rotated, s->off, s->line, now);
	if (stat(rotated, &st) == 0)
		claim_at_end(d, rotated, &st);
	for (size_t i = at + 1; i < n; i++) {
		if (g[i].compressed) {
			tm__sink_note(d, "%s: rotated while stopped; %s is compressed and not read: its lines "
				      "are missing", w->tail.path, g[i].path);
			continue;
		}
		tm__sink_note(d, "%s: rotated while stopped; then reading %s", w->tail.path, g[i].path);
		tm_tail_drain_path(&w->tail, g[i].path, 0, 0, now);
		if (stat(g[i].path, &st) == 0)
			claim_at_end(d, g[i].path, &st);
	}
	gen_free(g, n);
}

/* Some tail reads inode (dev, ino) now, as its current file or one it drains. */
static int inode_followed(const struct tm_daemon *d, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct tm_tail *t = &d->files[i]->tail;
		if (t->cur.fd >= 0 && t->cur.dev == dev && t->cur.ino == ino)
			return 1;
		for (size_t k = 0; k < t->nold; k++)
			if (t->old[k].dev == dev && t->old[k].ino == ino)
				return 1;
	}
	return 0;
}

/* tm_tail's `between` hook: rotated more than once between two syncs of a running daemon. As we
 * may see it (logrotate's numbered scheme, two rotations before inotify's events are handled):
 *  1. we follow train.log = inode A;
 *  2. rotation 1: A -> train.log.1, new B = train.log; rotation 2: A -> .2, B -> .1, new C;
 *  3. the sync finds C at train.log and has just retired A (now train.log.2).
 * B, the generation between A and C, was never open: it is read now from 0 (and drained like a
 * rotated inode), before C. Nothing is done when A is under no generation name (deleted, or
 * renamed to train.1.log) or a generation is read by another tail already (a glob matching it). */
static void read_between(void *ctx, struct tm_tail *t, dev_t dev, ino_t ino, uint64_t now)
{
	struct tm_daemon *d = ((struct tm_watched *)ctx)->d;
	struct gen *g;
	size_t n = gen_list(t->path, &g), at = n;
	for (size_t i = 0; i < n && at == n; i++)
		if (!g[i].compressed && g[i].st.st_dev == dev && g[i].st.st_ino == ino)
			at = i;
	for (size_t i = at + 1; i < n; i++) {
		if (g[i].compressed) {
			tm__sink_note(d, "%s: rotated again before it was read; %s is compressed and not read: "
				      "its lines are missing", t->path, g[i].path);
			continue;
		}
		if (inode_followed(d, g[i].st.st_dev, g[i].st.st_ino))
			continue;
		tm__sink_note(d, "%s: rotated again before it was read; reading %s", t->path, g[i].path);
		int rc = tm_tail_adopt_path(t, g[i].path, now);
		if (rc < 0)
			tm__sink_note(d, "%s: %s", g[i].path, strerror(-rc));
	}
	gen_free(g, n);
}

/* The saved position: resumed, or (rotated while away) the old inode's rest drained first. At the
 * open-file limit the file waits, and the position is restored when it opens (not "truncated").
 * s points into d->saved, which drain_chain may grow: s is not used after it. */
static void restore_pos(struct tm_daemon *d, struct tm_watched *w, struct tm_saved *s, uint64_t now)
{
	int rc = tm_tail_resume_ident(&w->tail, s->dev, s->ino, s->off, s->line, s->marker, s->marker_len, &s->ident, now);
	if (rc == 0)
		return;
	if (no_fd(rc)) {
		w->fd_wait = 1;
		w->fd_resume = (size_t)(s - d->saved) + 1;   /* an index: d->saved may grow meanwhile */
		/* and what a save writes meanwhile: the position is not lost while the file waits */
		w->last_pos = (struct tm_state_pos){ .valid = 1, .dev = s->dev, .ino = s->ino, .off = s->off,
						     .line = s->line, .marker_len = s->marker_len, .ident = s->ident };
		memcpy(w->last_pos.marker, s->marker, s->marker_len);
		return;
	}
	char rotated[PATH_MAX];
	struct stat st;
	int same_inode = stat(w->tail.path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino;
	if (!same_inode && find_inode(w->tail.path, s->dev, s->ino, rotated, sizeof(rotated))) {
		struct tm_saved copy = *s;   /* the position only: drain_chain may move d->saved */
		drain_chain(d, w, &copy, rotated, now);
	} else if (!same_inode) {
		tm__sink_note(d, "%s: replaced while stopped and the old file is gone: reading the new one "
			      "from the start", w->tail.path);
	} else {
		tm__sink_note(d, "%s: truncated while stopped: reading from the start", w->tail.path);
	}
}

/* Applies saved state to a new tail: run, alerts, position. */
static void restore(struct tm_daemon *d, struct tm_watched *w, struct tm_saved *s, uint64_t now)
{
	s->used = 1;
	tm_state_apply_run(s, &w->tail.feed.run);
	tm_alerts_move(&w->alerts, &s->alerts);
	tm_alerts_reports_restored(&w->alerts, &w->tail.feed.run);   /* reports are not saved */
	w->events_emitted = w->tail.feed.run.nevents;
	w->alerts.last_step_ms = w->tail.feed.run.nsteps ? now : 0;
	w->final_sent = tm_alerts_run_over(&w->alerts);
	if (s->has_pos)
		restore_pos(d, w, s, now);
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
		if (o == w || o->syncing)
			continue;        /* o->syncing: we run inside o's own sync (its hooks) */
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
			uint64_t off, line;
			tm_lines_resume_point(&f->lines, &off, &line);
			unsigned char mk[TM_MARKER_LEN];
			size_t n = off < TM_MARKER_LEN ? (size_t)off : TM_MARKER_LEN;
			if (n && pread(f->fd, mk, n, (off_t)(off - n)) != (ssize_t)n)
				return 0;
			if (tm_tail_resume(&w->tail, st.st_dev, st.st_ino, off, line, mk, n, now) != 0)
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

/* tm_tail's `opened` hook: after a rotation the path names an inode another tail may be reading
 * under its old name (logrotate renaming train.log.1 to train.log.2 while both names are
 * followed): start it where that tail left off instead of reading it again from 0. */
static void opened_rotated(void *ctx, struct tm_tail *t, uint64_t now)
{
	struct tm_watched *w = ctx;
	take_over_inode(w->d, t->path, w, now);
}

/* ---- release ---- */

int tm__daemon_file_closed(const struct tm_watched *w)
{
	return w->tail.gone && w->tail.cur.fd < 0 && !w->tail.nold;
}

/* Frees a followed file: its counters live on in the daemon's totals (metrics counters never go
 * down), its link watch goes unless shared, and it leaves d->files (so the state file too). */
static void release_file(struct tm_daemon *d, struct tm_watched *w)
{
	const struct tm_tail *t = &w->tail;
	d->st.released.bytes += t->st.bytes;
	d->st.released.rotations += t->st.rotations;
	d->st.released.truncations += t->st.truncations;
	d->st.released.read_errors += t->st.read_errors;
	d->st.released_cut += t->cur.lines.truncated;
	const struct tm_matcher *m = &t->feed.m;
	if (m->matches && m->rs == d->rules) {
		if (!d->released_matches)
			d->released_matches = tm_xcalloc(d->rules->nrules + 1, sizeof(uint64_t));
		for (size_t r = 0; r < d->rules->nrules; r++)
			d->released_matches[r] += m->matches[r];
	}
	size_t i = 0;
	while (d->files[i] != w)
		i++;
	memmove(d->files + i, d->files + i + 1, (d->nfiles - i - 1) * sizeof(*d->files));
	d->nfiles--;
	unwatch_link(d, w, -1);
	tm__notify_run_gone(d, w);         /* its alerts still firing in Alertmanager resolve */
	tm__daemon_chains_gone(d, w);      /* its segment stays while a chain needs it */
	tm_tail_release(&w->tail);
	tm_alerts_release(&w->alerts);
	free(w);
	d->limit_reported = 0;             /* a slot is free: the next time the limit is hit is noted */
}

/* On the tick: files deleted, drained for --rotate-wait, closed and reported, whose /metrics series
 * have expired (--expire; at once without metrics), are released. A file rotated away and not
 * made again is kept longer, and saved: as we may see it,
 *  1. train.log (inode X) is renamed train.log.1 and no new train.log comes for a while;
 *  2. X is drained and closed; the daemon is killed (or stopped);
 *  3. a new train.log is written and rotated in turn while it is down.
 * Without X's position in the state, the restart would know nothing of the generation made in 3
 * (now train.log.1 beside X at train.log.2) and skip it. */
#define TM_ROTATED_KEEP_MS (24u * 3600u * 1000u)

int tm__daemon_rotated_away(struct tm_watched *w)
{
	if (!w->away_checked) {          /* once per closing: the directory is read for the inode */
		char other[PATH_MAX];
		w->away_checked = 1;
		tm_state_pos_capture(&w->tail, &w->last_pos);   /* where it was left: tail.end */
		w->rotated_away = w->last_pos.valid && find_inode(w->tail.path, w->last_pos.dev, w->last_pos.ino,
								  other, sizeof(other));
	}
	return w->rotated_away;
}

void tm__daemon_release_files(struct tm_daemon *d, uint64_t now)
{
	uint64_t hold = d->metrics ? (uint64_t)(d->cfg->expire_s * 1000) : 0;
	size_t released = 0;
	for (size_t i = d->nfiles; i-- > 0;) {
		struct tm_watched *w = d->files[i];
		if (!tm__daemon_file_closed(w)) {
			w->away_checked = w->rotated_away = 0;
			continue;
		}
		/* rotated away: kept for a day (or --expire if longer) in case the name comes back */
		uint64_t keep = tm__daemon_rotated_away(w) && hold < TM_ROTATED_KEEP_MS ? TM_ROTATED_KEEP_MS : hold;
		if (w->final_sent && w->ended_ms && now - w->ended_ms >= keep) {
			release_file(d, w);
			released++;
		}
	}
#ifdef __GLIBC__
	/* Each tail's read buffer is line_max + 64 KiB, mostly untouched. Freed in the middle of the
	 * heap, such chunks stay resident in pieces, and the next files' buffers land on other pages:
	 * without this, RSS creeps up to the heap's whole size over a few thousand files. */
	if (released)
		malloc_trim(0);
#endif
}

static int outside_find(const struct tm_daemon *d, const char *path)
{
	for (size_t i = 0; i < d->noutside; i++)
		if (strcmp(d->outside[i], path) == 0)
			return (int)i;
	return -1;
}

static void outside_drop(struct tm_daemon *d, size_t i)
{
	free(d->outside[i]);
	memmove(d->outside + i, d->outside + i + 1, (d->noutside - i - 1) * sizeof(*d->outside));
	d->noutside--;
}

/* --no-follow-outside: 1 when path is a symlink whose resolved target lies in no watched directory
 * (noted once per link; a link that goes away or comes inside is forgotten). */
static int link_outside(struct tm_daemon *d, const char *path)
{
	struct stat lst;
	char target[PATH_MAX], parent[PATH_MAX], dir[PATH_MAX];
	int known = outside_find(d, path);
	int outside = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(path, target);
	if (outside) {
		snprintf(parent, sizeof(parent), "%s", target);
		char *slash = strrchr(parent, '/');
		if (slash)
			slash[slash == parent] = '\0';    /* "/x" -> "/" */
		for (size_t i = 0; outside && i < d->watch.ndirs; i++)
			outside = !(realpath(d->watch.dirs[i].path, dir) && strcmp(dir, parent) == 0);
	}
	if (outside && known < 0) {
		tm__sink_note(d, "%s: not followed: a symlink to %s, outside the watched directories "
			      "(--no-follow-outside)", path, target);
		tm_xgrow((void **)&d->outside, &d->capoutside, d->noutside + 1, sizeof(*d->outside));
		d->outside[d->noutside++] = tm_xstrdup(path);
	} else if (!outside && known >= 0) {
		outside_drop(d, (size_t)known);
	}
	return outside;
}

/* On a poll tick: forgets skipped links that no longer exist (no event will name them). */
void tm__daemon_prune_outside(struct tm_daemon *d)
{
	struct stat lst;
	for (size_t i = d->noutside; i-- > 0;)
		if (lstat(d->outside[i], &lst) < 0)
			outside_drop(d, i);
}

/* --shard: 1 when path is this daemon's share. Its chain key is relative to the directory named
 * on the command line that path lies under (the longest, when they nest), so daemons that mount
 * the tree at different places agree. Decided before any open: another shard's file costs no fd. */
static int mine(const struct tm_daemon *d, const char *path)
{
	if (d->cfg->shard.count <= 1)
		return 1;
	size_t root = 0, plen = strlen(path);
	for (size_t i = 0; i < d->watch.ndirs; i++) {
		const struct tm_wdir *wd = &d->watch.dirs[i];
		size_t n = strlen(wd->path);
		if (wd->depth == 0 && n > root && n < plen && path[n] == '/' && memcmp(wd->path, path, n) == 0)
			root = n;
	}
	char key[4096];
	tm_chainkey_of(&d->ckey, path, root, key, sizeof(key));
	return tm_shard_owns(&d->cfg->shard, key);
}

/* Finds or starts following path (a matching file under directory di) and syncs it: watch.c's
 * file callback. Another shard's file is left alone. */
static struct tm_watched *file_touch(struct tm_daemon *d, const char *path, int di, uint64_t now)
{
	if (!mine(d, path))
		return NULL;
	struct tm_watched *w = file_find(d, path);
	struct tm_tail_end end = { 0 };      /* the old file's, when its name is made again */
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
		/* closed and reported, its name made again: a new file (the old run stays final), which
		 * knows where the old one was left, so that generations rotated in between are read */
		if (!(w->final_sent && tm__daemon_file_closed(w) && stat(path, &st) == 0)) {
			tm__daemon_sync_file(d, w, now);
			return w;
		}
		end = w->tail.end;
		release_file(d, w);
	}
	struct tm_saved *s = find_saved(d, path);
	struct stat st;
	if (!s && stat(path, &st) < 0 && errno == ENOENT)
		return NULL;                   /* created and deleted before we looked: nothing to read */
	if (d->cfg->no_follow_outside && link_outside(d, path))
		return NULL;
	int held = s ? 0 : take_over_inode(d, path, NULL, now);
	if (held < 0)
		return NULL;
	size_t open = 0;
	for (size_t i = 0; i < d->nfiles; i++)
		open += !tm__daemon_file_closed(d->files[i]);
	if (open >= d->cfg->max_files) {
		if (!d->limit_reported)
			tm__sink_note(d, "%s: not followed: --max-files %zu reached", path, d->cfg->max_files);
		d->limit_reported = 1;
		return NULL;
	}
	w = tm_xcalloc(1, sizeof(*w));
	w->d = d;
	w->polled = di >= 0 && (size_t)di < d->watch.ndirs && d->watch.dirs[di].polled;
	w->link_wd = -1;
	tm_tail_init(&w->tail, path, d->rules, d->cfg->line_max, (uint64_t)(d->cfg->rotate_wait_s * 1000));
	w->tail.end = end;
	w->tail.between = read_between;
	w->tail.opened = opened_rotated;
	w->tail.hook_ctx = w;
	tm_alerts_init(&w->alerts);
	tm__daemon_resolve_job(d, w);
	if (d->cfg->trace_lines) {
		w->tail.feed.trace = trace_record;
		w->tail.feed.trace_ctx = w;
	}
	tm_xgrow((void **)&d->files, &d->capfiles, d->nfiles + 1, sizeof(*d->files));
	d->files[d->nfiles++] = w;
	watch_link(d, w);
	tm__daemon_summarize(w);
	if (s)
		restore(d, w, s, now);
	else if (held)
		take_over_inode(d, path, w, now);
	else if (d->initial_scan && d->cfg->from_end)
		w->fd_wait = w->fd_from_end = no_fd(tm_tail_start_at_end(&w->tail, now));
	/* a file new to the state is saved at the next tick, not at the next interval: a crash,
	 * then a rotation of it while we are down, would otherwise leave no trace of it to follow */
	if (!s && !d->initial_scan)
		d->save_wanted = 1;
	tm__daemon_sync_file(d, w, now);
	return w;
}

void tm__daemon_file_found(void *ctx, const char *path, int dir, uint64_t now)
{
	file_touch(ctx, path, dir, now);
}

/* Files rotated while we were stopped, before the first scan:
 *  1. saved file P (inode I, offset O) now names another inode, or nothing;
 *  2. I lives on as R in the same directory ("train.log.1"), and newer generations of P may sit
 *     beside it ("train.log.1" when R is "train.log.2"), any of them maybe matching a glob too;
 *  3. the first scan may reach them before P, in any readdir order.
 * So P is followed first: its restore() reads R from O and the newer generations from 0 into P's
 * run, and gives each a saved position at its current end; if the scan follows one of them, it
 * starts there: the lines they hold are counted once, in P's run, whatever order the scan takes. */
void tm__daemon_claim_rotated(struct tm_daemon *d, uint64_t now)
{
	for (size_t i = 0; i < d->nsaved; i++) {
		if (d->saved[i].used || !d->saved[i].has_pos)
			continue;
		char p[PATH_MAX], dir[PATH_MAX], r[PATH_MAX];
		snprintf(p, sizeof(p), "%s", d->saved[i].path);
		struct stat st;
		if (stat(p, &st) == 0 && st.st_dev == d->saved[i].dev && st.st_ino == d->saved[i].ino)
			continue;                     /* not rotated */
		if (!find_inode(p, d->saved[i].dev, d->saved[i].ino, r, sizeof(r)))
			continue;
		snprintf(dir, sizeof(dir), "%s", p);
		char *slash = strrchr(dir, '/');
		if (!slash)
			continue;
		*slash = '\0';
		int di = tm_watch_find(&d->watch, dir);
		if (di >= 0)
			file_touch(d, p, di, now);   /* P first: drains R and the newer generations */
	}
}


/* Files waiting for an fd (their open failed with EMFILE or ENFILE), on the tick, after the
 * metrics' parked fds were refilled: tried in order until one fails again (the rest would fail
 * too, so a round at the limit costs one open()); a file that opens gets its pending start (a
 * saved position, --from-end) and is synced. One note names the first few and the remedy, at most
 * once a minute while files wait, and one says when none waits any more. */
void tm__daemon_retry_waiting(struct tm_daemon *d, uint64_t now)
{
	size_t waiting = 0, before = d->files_waiting;
	char names[512] = "";
	size_t len = 0;
	for (size_t i = 0; i < d->nfiles; i++) {
		struct tm_watched *w = d->files[i];
		if (w->fd_wait && !waiting) {
			w->fd_wait = 0;
			if (w->fd_resume)
				restore_pos(d, w, &d->saved[w->fd_resume - 1], now);
			else if (w->fd_from_end)
				w->fd_wait = no_fd(tm_tail_start_at_end(&w->tail, now));
			w->fd_resume = w->fd_wait ? w->fd_resume : 0;
			w->fd_from_end = w->fd_wait ? w->fd_from_end : 0;
			tm__daemon_sync_file(d, w, now);
		}
		if (!w->fd_wait)
			continue;
		if (waiting++ < 3 && len < sizeof(names)) {
			int k = snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "", w->tail.path);
			len += k > 0 ? (size_t)k : 0;
		}
	}
	d->files_waiting = waiting;
	if (waiting && now >= d->fd_note_due_ms) {
		d->fd_note_due_ms = now + 60 * 1000;
		tm__sink_note(d, "%zu files wait for a file descriptor (the open-file limit is reached): %s%s; "
			      "retried every second, read as descriptors free up; raise the limit (ulimit -n, or "
			      "LimitNOFILE= in the systemd unit) or lower --max-files", waiting, names,
			      waiting > 3 ? " and others" : "");
	} else if (!waiting && before) {
		d->fd_note_due_ms = now;
		tm__sink_note(d, "every file waiting for a file descriptor is open now");
	}
}
