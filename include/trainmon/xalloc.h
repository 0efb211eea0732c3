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

/* Arrays that may grow to megabytes (a run's step columns, the statistics' copies of its times).
 * Below TM_XPAGES_MIN bytes they are malloc'd; from it on each is a mapping of its own, a whole
 * number of 2 MiB long and on a 2 MiB boundary, hinted for transparent huge pages, so filling it
 * takes a page fault per 2 MiB instead of per 4 KiB (about 15 us each on a virtual machine, where
 * a million step records took 7 700 faults). The caller keeps the size and passes it back:
 * tm_xpages(p, old, n) resizes a block of old bytes (NULL, 0: a new one) to n, keeping the first
 * min(old, n) bytes; tm_xpages_free(p, n) frees a block of n bytes (NULL: nothing). */
#define TM_XPAGES_MIN ((size_t)256 << 10)
void *tm_xpages(void *p, size_t old, size_t n);
void tm_xpages_free(void *p, size_t n);
/* tm_xpages without the huge-page hint: for short-lived arrays well under 2 MiB, whose last huge
 * page would be mostly empty yet resident whole (a split read's chunks). */
void *tm_xpages_small(void *p, size_t old, size_t n);

#endif
