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

/* ---- page-backed arrays (xalloc.h: tm_xpages) ---- */

#define TM_PMD ((size_t)2 << 20)         /* a transparent huge page on x86-64 and 4 KiB arm64 */

static size_t pages_len(size_t n)
{
	return (n + TM_PMD - 1) & ~(TM_PMD - 1);
}

/* A fresh zero-filled mapping of len bytes (a multiple of TM_PMD) on a TM_PMD boundary: map
 * TM_PMD more, then unmap the ends around the aligned middle. */
static void *pages_map(size_t len, int huge)
{
	char *m = mmap(NULL, len + TM_PMD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die_oom(len);
	char *a = (char *)(((uintptr_t)m + TM_PMD - 1) & ~(uintptr_t)(TM_PMD - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + len < m + len + TM_PMD)
		munmap(a + len, (size_t)(m + len + TM_PMD - (a + len)));
#ifdef MADV_HUGEPAGE
	if (huge)
		(void)madvise(a, len, MADV_HUGEPAGE);
#endif
	return a;
}

static void *xpages(void *p, size_t old, size_t n, int huge)
{
	int was_map = p && old >= TM_XPAGES_MIN;
	if (n < TM_XPAGES_MIN) {
		if (!was_map)
			return tm_xrealloc(p, n);
		void *q = tm_xmalloc(n);
		memcpy(q, p, n);
		munmap(p, pages_len(old));
		return q;
	}
	size_t len = pages_len(n);
	if (was_map && pages_len(old) >= len) {
		if (pages_len(old) > len)
			munmap((char *)p + len, pages_len(old) - len);
		return p;
	}
	void *q = pages_map(len, huge);
	if (!p)
		return q;
	if (!was_map) {
		memcpy(q, p, old < n ? old : n);
		free(p);
		return q;
	}
	/* move the old pages (huge ones stay huge) to the start of the new mapping: no copy */
	if (mremap(p, pages_len(old), pages_len(old), MREMAP_MAYMOVE | MREMAP_FIXED, q) == MAP_FAILED) {
		memcpy(q, p, old);
		munmap(p, pages_len(old));
	}
	return q;
}

void *tm_xpages(void *p, size_t old, size_t n)
{
	return xpages(p, old, n, 1);
}

void *tm_xpages_small(void *p, size_t old, size_t n)
{
	return xpages(p, old, n, 0);
}

void tm_xpages_free(void *p, size_t n)
{
	if (!p)
		return;
	if (n < TM_XPAGES_MIN)
		free(p);
	else
		munmap(p, pages_len(n));
}
