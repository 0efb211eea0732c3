/* xalloc.c: malloc wrappers that abort with the size on failure (see xalloc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/xalloc.h"
#include "banned.h"

static void die_oom(size_t n)
{
	fprintf(stderr, "trainmon: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *tm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
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
