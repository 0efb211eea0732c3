/* shim.c: LD_PRELOAD failure injection (sqlite's faultsim, jq's inject_errors): the n-th call of
 * one function fails with a chosen errno. Environment: TM_FAIL_FN (read, open, inotify_add_watch),
 * TM_FAIL_N (1-based call number), TM_FAIL_ERRNO (number), TM_FAIL_PATH (optional: only calls
 * on paths containing it count; open only). Counting is per process; single-threaded use.
 * TM_TRUNCATE_PATH: after the first read(2) that returns bytes from a file whose path contains
 * it, that file is truncated to 0 bytes (a copytruncate racing a reader). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

static int should_fail(const char *fn, const char *path)
{
	static long calls;
	const char *want = getenv("TM_FAIL_FN");
	if (!want || strcmp(want, fn) != 0)
		return 0;
	const char *p = getenv("TM_FAIL_PATH");
	if (p && (!path || !strstr(path, p)))
		return 0;
	long n = atol(getenv("TM_FAIL_N") ? getenv("TM_FAIL_N") : "0");
	if (++calls != n)
		return 0;
	errno = atoi(getenv("TM_FAIL_ERRNO") ? getenv("TM_FAIL_ERRNO") : "5");
	return 1;
}

ssize_t read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	if (!real)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (should_fail("read", NULL))
		return -1;
	ssize_t k = real(fd, buf, n);
	static int truncated;
	const char *tp = getenv("TM_TRUNCATE_PATH");
	if (k > 0 && tp && !truncated) {
		char link[64], target[4096];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			if (strstr(target, tp)) {
				truncated = 1;
				if (truncate(target, 0) != 0)
					abort();
			}
		}
	}
	return k;
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	mode_t mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (should_fail("open", path))
		return -1;
	return real(path, flags, mode);
}

int inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	static int (*real)(int, const char *, uint32_t);
	if (!real)
		real = (int (*)(int, const char *, uint32_t))dlsym(RTLD_NEXT, "inotify_add_watch");
	if (should_fail("inotify_add_watch", path))
		return -1;
	return real(fd, path, mask);
}
