/* appendf.c: tm_appendf (see appendf.h). Truncation is silent by design: the callers build
 * descriptions for humans into buffers sized for them. */
#include <stdarg.h>
#include <stdio.h>

#include "trainmon/appendf.h"
#include "banned.h"

void tm_appendf(char *buf, size_t n, size_t *pos, const char *fmt, ...)
{
	if (*pos >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *pos, n - *pos, fmt, ap);
	va_end(ap);
	if (w > 0)
		*pos += (size_t)w;
}

int tm_errf(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}
