/* watchdir.h: internal interface between watch.c (directories) and daemon.c (files). */
#ifndef TRAINMON_WATCHDIR_H
#define TRAINMON_WATCHDIR_H

#include <stdint.h>

#include "trainmon/daemon.h"

int tm_fs_is_remote(const char *path);
int tm_name_matches(const struct tm_watch_cfg *cfg, const char *name);
int tm_dir_find(const struct tm_daemon *d, const char *path);
int tm_dir_by_wd(const struct tm_daemon *d, int wd);
int tm_dir_add(struct tm_daemon *d, const char *path, int depth);
void tm_dir_scan(struct tm_daemon *d, size_t di, uint64_t now);
/* Finds or starts following path (a matching file under directory di) and syncs it. */
struct tm_watched *tm_file_touch(struct tm_daemon *d, const char *path, int di, uint64_t now);

#endif
