/* rules_load.c: rule packs from files and directories, and the one way commands load them all.
 *
 * A directory is read as its *.yaml entries sorted by name; an entry that is not a regular file
 * (a FIFO, a socket, a device) is skipped with a warning and never opened, since opening a FIFO
 * blocks until a writer appears and would stall a SIGHUP reload for ever. A path given by name is
 * read as given, through the bounded reader (io.c), so /dev/zero fails at the size cap. Errors
 * are counted one way (by d->errors); a path that cannot be read is a system error (-errno).
 * Must not print.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainmon/io.h"
#include "trainmon/rules.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define MAX_PACK_BYTES (4u << 20)

static int load_file(struct tm_ruleset *rs, const char *path, struct tm_diag *d)
{
	struct tm_src src = { path, NULL, 0 };
	char *buf;
	size_t len;
	int rc = tm_read_small_file(path, MAX_PACK_BYTES, &buf, &len);
	if (rc < 0) {
		tm_diag_error(d, &src, 0, 0, "cannot read rule pack: %s",
			      rc == -EFBIG ? "larger than 4 MiB" : strerror(-rc));
		return rc;
	}
	rc = tm_ruleset_load_buf(rs, path, buf, len, d);
	free(buf);
	return rc;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml entries of dir as owned "dir/name" paths, sorted; an owned array of *n. */
static char **pack_paths(DIR *dir, const char *path, size_t *n)
{
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	*n = 0;
	while ((de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		tm_xgrow((void **)&names, &cap, *n + 1, sizeof(*names));
		names[(*n)++] = tm_xstrdup(p);
	}
	qsort(names, *n, sizeof(*names), cmpstr);
	return names;
}

/* A directory entry that is not a regular file (after symlinks) is skipped with a warning. */
static int skip_entry(const char *p, struct tm_diag *d)
{
	struct stat st;
	if (stat(p, &st) < 0 || S_ISREG(st.st_mode))
		return 0;             /* load_file reports what stat could not read */
	struct tm_src src = { p, NULL, 0 };
	tm_diag_warn(d, &src, 0, 0, "not a regular file: skipped");
	return 1;
}

int tm_ruleset_load(struct tm_ruleset *rs, const char *path, struct tm_diag *d)
{
	struct stat st;
	struct tm_src src = { path, NULL, 0 };
	if (stat(path, &st) < 0) {
		int e = errno;
		tm_diag_error(d, &src, 0, 0, "cannot read rules: %s", strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(rs, path, d);
	DIR *dir = opendir(path);
	if (!dir) {
		int e = errno;
		tm_diag_error(d, &src, 0, 0, "cannot read rules directory: %s", strerror(e));
		return -e;
	}
	size_t n;
	char **paths = pack_paths(dir, path, &n);
	closedir(dir);
	int errors = 0, sys = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = skip_entry(paths[i], d) ? 0 : load_file(rs, paths[i], d);
		if (rc < 0 && !sys)
			sys = rc;            /* an unreadable pack is a system error, reported as such */
		errors += rc < 0 ? 1 : rc;
		free(paths[i]);
	}
	free(paths);
	return sys ? sys : errors;
}

int tm_ruleset_load_all(struct tm_ruleset *rs, const char *const *paths, size_t n, int no_default,
			struct tm_diag *d)
{
	size_t before = d->errors;
	int sys = 0;
	char buf[PATH_MAX];
	for (size_t i = no_default ? 1 : 0; i <= n; i++) {
		const char *p = i == 0 ? tm_default_patterns_dir(buf, sizeof(buf)) : paths[i - 1];
		int rc = tm_ruleset_load(rs, p, d);
		if (rc < 0 && !sys)
			sys = rc;
	}
	return sys ? sys : (int)(d->errors - before);
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tm_default_patterns_dir(char *buf, size_t n)
{
	const char *env = getenv("TRAINMON_PATTERNS");
	if (env && *env)
		return env;
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k > 0) {
		exe[k] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, n, "%s/../share/trainmon/patterns", exe);
			if (is_dir(buf))
				return buf;
		}
	}
	if (is_dir(TM_SOURCE_PATTERNS_DIR))
		return TM_SOURCE_PATTERNS_DIR;
	return TM_PATTERNS_DIR;
}
