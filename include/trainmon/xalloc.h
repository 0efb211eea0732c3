/* xalloc.h: allocation that never returns NULL (git xmalloc). Running out of memory prints the size
 * and aborts: callers skip NULL checks. Running out of fds, watches or disk is an error value,
 * never this. */
#ifndef TRAINMON_XALLOC_H
#define TRAINMON_XALLOC_H

#include <stddef.h>

void *tm_xmalloc(size_t n);
void *tm_xcalloc(size_t nmemb, size_t size);
void *tm_xrealloc(void *p, size_t n);
char *tm_xstrdup(const char *s);
char *tm_xstrndup(const char *s, size_t n);
/* Grows *p (an array of elem-sized items with capacity *cap) to hold at least need items. */
void tm_xgrow(void **p, size_t *cap, size_t need, size_t elem);

#endif
