/* test_xpages.c: tm_xpages keeps an array's bytes through every change of backing (malloc'd below
 * TM_XPAGES_MIN, a mapping of its own above it: growing into one, growing it by moving its pages,
 * shrinking it in place and shrinking back to malloc), and puts mappings on a 2 MiB boundary
 * (the condition for transparent huge pages); tm_xpages_small the same, without the huge-page
 * hint (read back from /proc/self/smaps: VmFlags "hg" is MADV_HUGEPAGE). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tm_test.h"
#include "trainmon/xalloc.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31u + seed);
}

static int holds(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 31u + seed))
			return 0;
	return 1;
}

static int aligned(const void *p)
{
	return ((uintptr_t)p & (((uintptr_t)2 << 20) - 1)) == 0;
}

/* 1 when the mapping holding p has the huge-page hint, 0 when not, -1 when this kernel cannot
 * say: no transparent huge pages (madvise then fails, and xalloc.c ignores that) or no smaps */
static int hinted(const void *p)
{
	FILE *thp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (!thp)
		return -1;
	fclose(thp);
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[512];
	int in = 0, r = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			r = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return r;
}

static void run(struct tm_test_state *stp, void *(*resize)(void *, size_t, size_t), int huge)
{
	struct tm_test_state st = *stp;
	size_t small = 1000, big = TM_XPAGES_MIN + 12345, bigger = ((size_t)5 << 20) + 7;

	unsigned char *p = resize(NULL, 0, small);                 /* malloc'd */
	fill(p, small, 1);
	p = resize(p, small, small * 3);                           /* realloc */
	TM_CHECK(&st, holds(p, small, 1));
	fill(p, small * 3, 2);
	p = resize(p, small * 3, big);                             /* into a mapping: copied */
	TM_CHECK(&st, aligned(p));
	int h = hinted(p);
	TM_CHECK(&st, h < 0 || h == huge);
	TM_CHECK(&st, holds(p, small * 3, 2));
	fill(p, big, 3);
	p = resize(p, big, bigger);                                /* a larger mapping: pages moved */
	TM_CHECK(&st, aligned(p));
	TM_CHECK(&st, holds(p, big, 3));
	fill(p, bigger, 4);
	p[bigger - 1] = 9;                                         /* the last byte is ours */
	unsigned char *q = resize(p, bigger, bigger - 100);        /* same 2 MiB pages: in place */
	TM_CHECK(&st, q == p);
	p = resize(q, bigger - 100, big);                          /* fewer pages: the tail unmapped */
	TM_CHECK(&st, p == q);
	TM_CHECK(&st, holds(p, big, 4));
	p = resize(p, big, small);                                 /* back to malloc: copied */
	TM_CHECK(&st, holds(p, small, 4));
	tm_xpages_free(p, small);

	unsigned char *z = resize(NULL, 0, bigger);                /* a fresh mapping reads zero */
	size_t nz = 0;
	for (size_t i = 0; i < bigger; i += 4096)
		nz += z[i] != 0;
	TM_CHECK(&st, nz == 0 && aligned(z));
	tm_xpages_free(z, bigger);
	tm_xpages_free(NULL, bigger);                              /* nothing */
	*stp = st;
}

int main(void)
{
	struct tm_test_state st = { 0 };
	run(&st, tm_xpages, 1);
	run(&st, tm_xpages_small, 0);
	return tm_test_done(&st, "test_xpages");
}
