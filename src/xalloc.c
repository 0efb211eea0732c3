/* xalloc.c: malloc wrappers that abort with the size on failure (see xalloc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trainmon/xalloc.h"
#include "banned.h"

static void die_oom(size_t n)
{
	fprintf(stderr, "trainmon: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

/* A block of TM_HUGE_MIN bytes or more (a column of half a million step records, the statistics'
 * copy of a run's times) asks for transparent huge pages: filling it then takes a page fault
 * every 2 MiB instead of every 4 KiB. A fault costs about 10 us on a virtual machine, where 4 KiB
 * faults were a tenth of analyze's CPU. The whole pages of the block are hinted, not only its
 * 2 MiB-aligned middle: a large block is its own mapping (glibc), and hinting part of it would
 * split the mapping, so that realloc could no longer grow it by mremap. A hint only: where THP is
 * off, or without madvise, nothing changes. */
#define TM_HUGE_MIN (2u << 20)

static void huge_hint(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	if (n < TM_HUGE_MIN)
		return;
	long ps = sysconf(_SC_PAGESIZE);     /* 4 KiB here; 16 or 64 KiB on some arm64 kernels */
	uintptr_t pg = ps > 0 ? (uintptr_t)ps : 4096;
	uintptr_t a = (uintptr_t)p & ~(pg - 1), e = ((uintptr_t)p + n + pg - 1) & ~(pg - 1);
	(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

void *tm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	huge_hint(p, n);
	return p;
}

void *tm_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *tm_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	huge_hint(q, n);
	return q;
}

char *tm_xstrndup(const char *s, size_t n)
{
	char *p = tm_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *tm_xstrdup(const char *s)
{
	return tm_xstrndup(s, strlen(s));
}

void tm_xgrow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	*p = tm_xrealloc(*p, c * elem);
	*cap = c;
}
