/* watch.c: which files the daemon follows: directories (inotify, or polled where inotify cannot
 * see remote writers), glob matching, recursion, and the reconcile scan.
 *
 * inotify sees only writes made through this kernel: a Slurm .out on NFS, Lustre or GPFS is
 * written by compute nodes, so such directories (statfs magic) are polled instead, as are all
 * with --poll. A scan lists a directory and syncs every matching file: it is the answer to
 * IN_Q_OVERFLOW and to every poll tick, so a lost event can delay a line but never lose it.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "trainmon/daemon.h"
#include "trainmon/watchdir.h"
#include "trainmon/xalloc.h"
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

int tm_name_matches(const struct tm_watch_cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nglobs; i++)
		if (fnmatch(cfg->globs[i], name, 0) == 0)
			return 1;
	return 0;
}

int tm_dir_find(const struct tm_daemon *d, const char *path)
{
	for (size_t i = 0; i < d->ndirs; i++)
		if (strcmp(d->dirs[i].path, path) == 0)
			return (int)i;
	return -1;
}

int tm_dir_by_wd(const struct tm_daemon *d, int wd)
{
	for (size_t i = 0; i < d->ndirs; i++)
		if (d->dirs[i].wd == wd)
			return (int)i;
	return -1;
}

/* Adds a directory (inotify watch, or polled). Returns its index or -errno. */
int tm_dir_add(struct tm_daemon *d, const char *path, int depth)
{
	int i = tm_dir_find(d, path);
	if (i >= 0)
		return i;
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	tm_xgrow((void **)&d->dirs, &d->capdirs, d->ndirs + 1, sizeof(*d->dirs));
	struct tm_wdir *w = &d->dirs[d->ndirs];
	memset(w, 0, sizeof(*w));
	w->path = tm_xstrdup(path);
	w->wd = -1;
	w->depth = depth;
	w->polled = d->cfg->poll_s > 0 || tm_fs_is_remote(path);
	if (!w->polled) {
		w->wd = inotify_add_watch(d->inofd, path, DIR_EVENTS);
		if (w->wd < 0) {
			int e = errno;
			if (e == ENOSPC && !d->limit_reported) {
				d->limit_reported = 1;
				tm__sink_note(d, "%s: inotify watch limit reached (raise the sysctl "
					      "fs.inotify.max_user_watches); polling this directory instead", path);
			} else if (e != ENOSPC) {
				tm__sink_note(d, "%s: cannot watch: %s; polling it instead", path, strerror(e));
			}
			w->polled = 1;
		}
	}
	d->ndirs++;
	return (int)d->ndirs - 1;
}

/* Lists a directory: follows every matching file, adds subdirectories when recursive. */
void tm_dir_scan(struct tm_daemon *d, size_t di, uint64_t now)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", d->dirs[di].path);
	int depth = d->dirs[di].depth;
	DIR *dir = opendir(path);
	if (!dir)
		return;
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
			if (d->cfg->recursive && depth < 16) {
				int ni = tm_dir_add(d, full, depth + 1);
				if (ni >= 0)
					tm_dir_scan(d, (size_t)ni, now);
			}
			continue;
		}
		if (tm_name_matches(d->cfg, de->d_name))
			tm_file_touch(d, full, (int)di, now);
	}
	closedir(dir);
}
