/* io.c: whole small files (see io.h).
 *
 * The size fstat reports is only a first guess for the buffer: the loop reads until EOF or until
 * one byte past max, so a file that grows, a device with no end and a FIFO are all bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainmon/io.h"
#include "trainmon/xalloc.h"
#include "banned.h"

int tm_read_small_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	size_t cap = S_ISREG(st.st_mode) && (size_t)st.st_size < max ? (size_t)st.st_size + 1 : 4096;
	size_t n = 0;
	char *b = tm_xmalloc(cap + 1);
	for (;;) {
		if (n == cap)
			b = tm_xrealloc(b, (cap *= 2) + 1);
		ssize_t k = read(fd, b + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			close(fd);
			free(b);
			return -e;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			close(fd);
			free(b);
			return -EFBIG;
		}
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}
