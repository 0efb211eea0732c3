/* watch.h: the directories `trainmon watch` follows (watch.c): inotify or polling, glob matching,
 * recursion, and the scans that reconcile after a lost event.
 *
 * Knows directories and names only: a matching file found, created, changed, moved or removed is
 * reported through the file callback given at init, and the caller decides what following it
 * means. Never prints: warnings go to the note callback.
 */
#ifndef TRAINMON_WATCH_H
#define TRAINMON_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "trainmon/loop.h"

struct tm_wdir {
	char *path;                 /* owned */
	int wd;                     /* inotify watch, -1 when polled */
	int polled;
	int depth;                  /* 0 for a directory given on the command line */
	dev_t dev;                  /* the directory's identity when added: a name made again */
	ino_t ino;                  /*   is a new directory */
	int vanished;               /* a scan found it gone: dropped after the scan (depth > 0) */
	char **names;               /* owned array of owned: files named on the command line here */
	size_t nnames;
	int names_only;             /* added for named files only: no globs, no subdirectories */
};

struct tm_watch_cbs {
	/* a name matching a glob was found by a scan or named by an event, under directory dir */
	void (*file)(void *ctx, const char *path, int dir, uint64_t now_ms);
	/* an event on a watch of tm_watch_add_file() (wd), or (wd -1) a name matching no glob was
	 * created, deleted or moved: it may be a followed symlink's target */
	void (*other)(void *ctx, int wd, uint64_t now_ms);
	/* IN_Q_OVERFLOW: events were lost; the caller rescans (tm_watch_scan_all) and syncs */
	void (*overflow)(void *ctx, uint64_t now_ms);
	void (*note)(void *ctx, const char *msg);
	void *ctx;                  /* borrowed */
};

struct tm_watch_opts {
	const char *const *globs;   /* borrowed; outlive the watch */
	size_t nglobs;
	int recursive;              /* follow subdirectories, to depth 16 */
	int poll_all;               /* --poll: no inotify for directories */
};

struct tm_watch {
	struct tm_watch_opts o;
	struct tm_watch_cbs cb;
	struct tm_loop *loop;       /* borrowed; NULL: no inotify at all */
	int inofd;                  /* owned, -1 when inotify is unavailable (every directory polled) */
	struct tm_wdir *dirs;       /* owned */
	size_t ndirs, capdirs;
	int limit_reported;         /* the inotify watch limit was noted once */
};

/* Opens inotify and registers it in loop. Returns 0, or -errno of inotify (the watch then
 * polls every directory and is still usable). */
int tm_watch_init(struct tm_watch *w, struct tm_loop *loop, const struct tm_watch_opts *o,
		  const struct tm_watch_cbs *cb);
void tm_watch_release(struct tm_watch *w);

/* Adds a directory (inotify watch, or polled). Returns its index or -errno. Indices are valid
 * until the next scan or event: removed subdirectories leave the array. */
int tm_watch_add_dir(struct tm_watch *w, const char *path, int depth);
/* A file named on the command line: its directory is watched (added with names_only when it is
 * not watched yet) and that name followed, whatever the globs. Returns the directory's index or
 * -errno. */
int tm_watch_add_named(struct tm_watch *w, const char *path);
int tm_watch_find(const struct tm_watch *w, const char *path);
/* Lists directory di: reports every matching file, adds subdirectories when recursive. */
void tm_watch_scan(struct tm_watch *w, size_t di, uint64_t now_ms);
void tm_watch_scan_all(struct tm_watch *w, uint64_t now_ms);
void tm_watch_scan_polled(struct tm_watch *w, uint64_t now_ms);

/* A watch on one file (a symlink's target): events arrive at cb.other with its wd. Returns the
 * wd, or -1 (no inotify, or it failed). */
int tm_watch_add_file(struct tm_watch *w, const char *path, uint32_t mask);
void tm_watch_rm(struct tm_watch *w, int wd);

int tm_watch_name_matches(const struct tm_watch *w, const char *name);
/* 1 when path lives on a filesystem other machines write (NFS, Lustre, ...): poll it. */
int tm_fs_is_remote(const char *path);

#endif
