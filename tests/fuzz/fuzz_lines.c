/* fuzz_lines.c: property: any chunking of the input gives the same records as one feed, and no
 * record is longer than line_max or contains '\n' or '\r'. The first byte picks the chunk size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trainmon/lines.h"

struct acc {
	char *buf;
	size_t len, cap;
	size_t line_max;
};

static int collect(void *ctx, const struct tm_record *r)
{
	struct acc *a = ctx;
	if (r->len > a->line_max || memchr(r->p, '\n', r->len) || memchr(r->p, '\r', r->len))
		abort();
	size_t need = a->len + r->len + 24;
	if (need > a->cap) {
		a->cap = need * 2;
		a->buf = realloc(a->buf, a->cap);
		if (!a->buf)
			abort();
	}
	a->len += (size_t)snprintf(a->buf + a->len, 24, "%llu:", (unsigned long long)r->line);
	memcpy(a->buf + a->len, r->p, r->len);
	a->len += r->len;
	a->buf[a->len++] = '\n';
	return 0;
}

static void feed(const uint8_t *d, size_t n, size_t chunk, size_t line_max, struct acc *a)
{
	struct tm_lines l;
	tm_lines_init(&l, line_max);
	for (size_t i = 0; i < n; i += chunk)
		tm_lines_feed(&l, (const char *)d + i, i + chunk < n ? chunk : n - i, collect, a);
	tm_lines_finish(&l, collect, a);
	tm_lines_release(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = 1 + data[0] % 37, line_max = 256 + (size_t)data[0] * 3;
	struct acc one = { .line_max = line_max }, many = { .line_max = line_max };
	feed(data + 1, size - 1, size, line_max, &one);
	feed(data + 1, size - 1, chunk, line_max, &many);
	if (one.len != many.len || (one.len && memcmp(one.buf, many.buf, one.len) != 0))
		abort();
	free(one.buf);
	free(many.buf);
	return 0;
}
