/* io.h: reading a whole small file (a config, a rule pack, the state file) into memory.
 *
 * The one place that does it, so that every loader has the same bound and the same errors. Reads
 * at most `max` bytes whatever the file claims to be (a growing file, /dev/zero, a FIFO) and never
 * leaves errno to the caller: errors are returned as -errno.
 */
#ifndef TRAINMON_IO_H
#define TRAINMON_IO_H

#include <stddef.h>

/* Reads path into *buf (owned by the caller, free(); NUL-terminated, *len bytes before the NUL).
 * Returns 0, or -errno: -EISDIR for a directory, -EFBIG when there are more than max bytes; on
 * error *buf and *len are left untouched. */
int tm_read_small_file(const char *path, size_t max, char **buf, size_t *len);

#endif
