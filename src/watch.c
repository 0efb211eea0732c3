/* watch.c: which files the daemon follows: directories (inotify, or polled where inotify cannot
 * see remote writers), glob matching, recursion, and the reconcile scan (see watch.h).
 *
 * inotify sees only writes made through this kernel: a Slurm .out on NFS, Lustre or GPFS is
 * written by compute nodes, so such directories (statfs magic) are polled instead, as are all
 * with --poll. A scan lists a directory and reports every matching file: it is the answer to
 * IN_Q_OVERFLOW and to every poll tick, so a lost event can delay a line but never lose it.
 * A removed or moved-away subdirectory is forgotten with everything under it (inotify: IN_IGNORED
 * or IN_MOVE_SELF, or its parent's IN_DELETE; polled: the next scan cannot open it), so churned
 * job directories hold no watch and no memory; one made again under the same name is a new
 * directory (new dev/ino).
 * Must not: know what following a file means (that is the caller's file callback), or print.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "trainmon/xalloc.h"
#include "watch.h"
#include "banned.h"

#define DIR_EVENTS (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | \
		    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* Filesystems whose files other machines write: inotify never hears of those writes. */
int tm_fs_is_remote(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case 0x6969:      /* NFS */
	case 0x0BD00BD0:  /* Lustre */
	case 0x47504653:  /* GPFS */
	case 0xFF534D42:  /* CIFS */
	case 0xFE534D42:  /* SMB2 */
	case 0x65735546:  /* FUSE (sshfs, JuiceFS, ...) */
	case 0x19830326:  /* BeeGFS */
	case 0x00C36400:  /* CephFS */
	case 0x01021997:  /* 9p */
	case 0x5346414F:  /* AFS */
		return 1;
	default:
		return 0;
	}
}

int tm_watch_name_matches(const struct tm_watch *w, const char *name)
{
	for (size_t i = 0; i < w->o.nglobs; i++)
		if (fnmatch(w->o.globs[i], name, 0) == 0)
			return 1;
	return 0;
}

/* name, in directory di: a named file of it, or (unless it holds named files only) a glob's match */
static int dir_matches(const struct tm_watch *w, size_t di, const char *name)
{
	const struct tm_wdir *d = &w->dirs[di];
	for (size_t i = 0; i < d->nnames; i++)
		if (strcmp(d->names[i], name) == 0)
			return 1;
	return !d->names_only && tm_watch_name_matches(w, name);
}

static void free_names(struct tm_wdir *d)
{
	for (size_t i = 0; i < d->nnames; i++)
		free(d->names[i]);
	free(d->names);
}

static void note(struct tm_watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct tm_watch *w, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->cb.note(w->cb.ctx, msg);
}

int tm_watch_find(const struct tm_watch *w, const char *path)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (strcmp(w->dirs[i].path, path) == 0)
			return (int)i;
	return -1;
}

/* Forgets directory i and every directory under it (a removed or moved-away subdirectory): their
 * inotify watches are removed unless another entry shares the wd (a directory renamed within the
 * tree is added under its new name, with the same wd, before its old name's IN_MOVE_SELF). */
static void drop_dir(struct tm_watch *w, size_t di)
{
	char top[PATH_MAX];
	snprintf(top, sizeof(top), "%s", w->dirs[di].path);
	size_t n = strlen(top);
	for (size_t i = 0; i < w->ndirs;) {
		struct tm_wdir *dir = &w->dirs[i];
		if (strcmp(dir->path, top) != 0 && (strncmp(dir->path, top, n) != 0 || dir->path[n] != '/')) {
			i++;
			continue;
		}
		int wd = dir->wd, shared = 0;
		for (size_t k = 0; wd >= 0 && k < w->ndirs; k++)
			shared |= k != i && w->dirs[k].wd == wd;
		if (wd >= 0 && !shared && w->inofd >= 0)
			inotify_rm_watch(w->inofd, wd);
		free(dir->path);
		free_names(dir);
		memmove(dir, dir + 1, (w->ndirs - i - 1) * sizeof(*dir));
		w->ndirs--;
	}
}

/* Drops the subdirectories a scan found gone; directories given on the command line stay (polled
 * until they come back). */
static void drop_vanished(struct tm_watch *w)
{
	for (size_t i = 0; i < w->ndirs;) {
		if (w->dirs[i].vanished && w->dirs[i].depth > 0)
			drop_dir(w, i);
		else
			w->dirs[i++].vanished = 0;
	}
}

static int dir_by_wd(const struct tm_watch *w, int wd)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd == wd)
			return (int)i;
	return -1;
}

int tm_watch_add_dir(struct tm_watch *w, const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	int i = tm_watch_find(w, path);
	if (i >= 0 && depth == 0)
		w->dirs[i].names_only = 0;      /* named as a directory too: its globs apply */
	if (i >= 0 && (w->dirs[i].depth == 0 || (w->dirs[i].dev == st.st_dev && w->dirs[i].ino == st.st_ino)))
		return i;
	if (i >= 0)                 /* removed and made again before we heard of the removal */
		drop_dir(w, (size_t)i);
	tm_xgrow((void **)&w->dirs, &w->capdirs, w->ndirs + 1, sizeof(*w->dirs));
	struct tm_wdir *dir = &w->dirs[w->ndirs];
	memset(dir, 0, sizeof(*dir));
	dir->path = tm_xstrdup(path);
	dir->wd = -1;
	dir->depth = depth;
	dir->dev = st.st_dev;
	dir->ino = st.st_ino;
	dir->polled = w->o.poll_all || w->inofd < 0 || tm_fs_is_remote(path);
	if (!dir->polled) {
		dir->wd = inotify_add_watch(w->inofd, path, DIR_EVENTS);
		if (dir->wd < 0) {
			int e = errno;
			if (e == ENOSPC && !w->limit_reported) {
				w->limit_reported = 1;
				note(w, "%s: inotify watch limit reached (raise the sysctl "
					      "fs.inotify.max_user_watches); polling this directory instead", path);
			} else if (e != ENOSPC) {
				note(w, "%s: cannot watch: %s; polling it instead", path, strerror(e));
			}
			dir->polled = 1;
		}
	}
	w->ndirs++;
	return (int)w->ndirs - 1;
}

int tm_watch_add_named(struct tm_watch *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return -ENAMETOOLONG;
	const char *name = slash ? slash + 1 : path;
	if (!*name)
		return -EISDIR;
	int i = tm_watch_find(w, dir), fresh = i < 0;
	if (fresh)
		i = tm_watch_add_dir(w, dir, 0);
	if (i < 0)
		return i;
	struct tm_wdir *d = &w->dirs[i];
	if (fresh)
		d->names_only = 1;
	d->names = tm_xrealloc(d->names, (d->nnames + 1) * sizeof(*d->names));
	d->names[d->nnames++] = tm_xstrdup(name);
	return i;
}

void tm_watch_scan(struct tm_watch *w, size_t di, uint64_t now)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", w->dirs[di].path);
	int depth = w->dirs[di].depth;
	DIR *dir = opendir(path);
	if (!dir) {
		if (errno == ENOENT || errno == ENOTDIR)
			w->dirs[di].vanished = 1;   /* dropped by the caller's drop_vanished() */
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		char full[PATH_MAX];
		int k = snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		if (k < 0 || (size_t)k >= sizeof(full))
			continue;
		int isdir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			isdir = lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
		}
		if (isdir) {
			if (w->o.recursive && depth < 16 && !w->dirs[di].names_only) {
				int ni = tm_watch_add_dir(w, full, depth + 1);
				if (ni >= 0)
					tm_watch_scan(w, (size_t)ni, now);
			}
			continue;
		}
		if (dir_matches(w, di, de->d_name))
			w->cb.file(w->cb.ctx, full, (int)di, now);
	}
	closedir(dir);
}

void tm_watch_scan_all(struct tm_watch *w, uint64_t now)
{
	for (size_t i = 0; i < w->ndirs; i++)
		tm_watch_scan(w, i, now);
	drop_vanished(w);
}

void tm_watch_scan_polled(struct tm_watch *w, uint64_t now)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].polled)
			tm_watch_scan(w, i, now);
	drop_vanished(w);
}

/* One inotify event: a name in a watched directory, a directory's own fate, or a file watch. */
static void on_event(struct tm_watch *w, const struct inotify_event *ev, uint64_t now)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		w->cb.overflow(w->cb.ctx, now);
		return;
	}
	int di = dir_by_wd(w, ev->wd);
	if (di < 0) {
		w->cb.other(w->cb.ctx, ev->wd, now);
		return;
	}
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* a subdirectory removed (IN_IGNORED follows IN_DELETE_SELF) or moved away: forgotten,
		 * with what lies under it; made again, its parent's IN_CREATE adds it anew. A directory
		 * named on the command line is polled until it comes back. */
		if (w->dirs[di].depth > 0 && (ev->mask & (IN_IGNORED | IN_MOVE_SELF)))
			drop_dir(w, (size_t)di);
		else if (ev->mask & IN_IGNORED)
			w->dirs[di].wd = -1, w->dirs[di].polled = 1;
		return;
	}
	if (!ev->len)
		return;
	char full[PATH_MAX];
	int k = snprintf(full, sizeof(full), "%s/%s", w->dirs[di].path, ev->name);
	if (k < 0 || (size_t)k >= sizeof(full))
		return;
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & IN_DELETE) {
			/* the parent's word that a subdirectory is gone: forgotten here too, should its own
			 * IN_IGNORED not name the entry (one in a few hundred churned directories kept an
			 * entry whose wd the kernel no longer had); an entry that already follows the
			 * directory now under the name (a new one made since, found by a scan: the inode on
			 * disk is the entry's) is left alone */
			int ci = tm_watch_find(w, full);
			struct stat st;
			if (ci >= 0 && w->dirs[ci].depth > 0 &&
			    (stat(full, &st) < 0 || st.st_dev != w->dirs[ci].dev || st.st_ino != w->dirs[ci].ino))
				drop_dir(w, (size_t)ci);
			return;
		}
		if (w->o.recursive && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && w->dirs[di].depth < 16 &&
		    !w->dirs[di].names_only) {
			int ni = tm_watch_add_dir(w, full, w->dirs[di].depth + 1);
			if (ni >= 0)
				tm_watch_scan(w, (size_t)ni, now);
			drop_vanished(w);
		}
		return;
	}
	if (dir_matches(w, (size_t)di, ev->name))
		w->cb.file(w->cb.ctx, full, di, now);
	else if (ev->mask & (IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM))
		w->cb.other(w->cb.ctx, -1, now);
}

static void on_inotify(void *ctx, int fd, uint32_t events)
{
	struct tm_watch *w = ctx;
	(void)events;
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t now = tm_loop_now(w->loop);
	/* At most a few buffers per pass: the fd is level-triggered, so what is left comes in the next
	 * pass, after the other fds. Reading until EAGAIN let a writer that makes events faster than
	 * their files are synced keep this loop going for ever: scrapes and SIGTERM went unanswered
	 * (bench/scale.sh, 10 000 step lines/s over 100 files). */
	for (int reads = 0; reads < 4; reads++) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			p += sizeof(*ev) + ev->len;
			on_event(w, ev, now);
		}
	}
}

int tm_watch_init(struct tm_watch *w, struct tm_loop *loop, const struct tm_watch_opts *o,
		  const struct tm_watch_cbs *cb)
{
	memset(w, 0, sizeof(*w));
	w->o = *o;
	w->cb = *cb;
	w->loop = loop;
	w->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->inofd < 0)
		return -errno;
	int rc = tm_loop_add_fd(loop, w->inofd, EPOLLIN, on_inotify, w);
	if (rc < 0) {
		close(w->inofd);
		w->inofd = -1;
	}
	return rc;
}

void tm_watch_release(struct tm_watch *w)
{
	if (w->inofd >= 0 && w->loop) {
		tm_loop_del_fd(w->loop, w->inofd);
		close(w->inofd);
	}
	for (size_t i = 0; i < w->ndirs; i++) {
		free(w->dirs[i].path);
		free_names(&w->dirs[i]);
	}
	free(w->dirs);
	memset(w, 0, sizeof(*w));
	w->inofd = -1;
}

int tm_watch_add_file(struct tm_watch *w, const char *path, uint32_t mask)
{
	if (w->inofd < 0)
		return -1;
	int wd = inotify_add_watch(w->inofd, path, mask);
	return wd < 0 ? -1 : wd;
}

void tm_watch_rm(struct tm_watch *w, int wd)
{
	if (w->inofd >= 0 && wd >= 0)
		inotify_rm_watch(w->inofd, wd);
}
