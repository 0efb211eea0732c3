/* appendf.h: printf at a position of a fixed buffer, for one-line descriptions built in steps. */
#ifndef TRAINMON_APPENDF_H
#define TRAINMON_APPENDF_H

#include <stddef.h>

/* Appends to buf[0..n) at *pos and advances *pos; truncates, buf stays NUL-terminated. */
void tm_appendf(char *buf, size_t n, size_t *pos, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes the message to err[0..n) and returns -1: `return tm_errf(err, n, "bad '%s'", x);`. */
int tm_errf(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
