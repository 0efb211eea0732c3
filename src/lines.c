/* lines.c: the line splitter and record normaliser (see lines.h).
 *
 * Key decision: lines are slices of the read buffer; only a record with an ESC byte is copied (to
 * strip escapes in the fixed scratch buffer). Prefix stripping is a hand-written scanner, not a
 * regex, because it runs on every record. It must not allocate or look past the record.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainmon/lines.h"
#include "trainmon/xalloc.h"
#include "banned.h"

void tm_lines_init(struct tm_lines *l, size_t line_max)
{
	memset(l, 0, sizeof(*l));
	l->line_max = line_max ? line_max : TM_LINE_MAX_DEFAULT;
	/* buffers come on first use: an idle followed file costs a few bytes, not a megabyte */
	l->buf = NULL;
	l->cap = 0;
	l->scratch = NULL;
}

void tm_lines_release(struct tm_lines *l)
{
	free(l->buf);
	free(l->scratch);
	memset(l, 0, sizeof(*l));
}

void tm_lines_reset(struct tm_lines *l, uint64_t off, uint64_t line_base)
{
	l->len = 0;
	l->off = off;
	l->line = line_base;
	l->skipping = 0;
}

/* Copies p[0, n) to out without ANSI/VT escape sequences; returns the new length. */
static size_t strip_ansi(const char *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c != 0x1b) {
			out[o++] = (char)c;
			continue;
		}
		if (i + 1 >= n)
			break;
		c = (unsigned char)p[++i];
		if (c == '[') {                  /* CSI: params, intermediates, one final byte */
			while (i + 1 < n && (unsigned char)p[i + 1] >= 0x20 && (unsigned char)p[i + 1] <= 0x3f)
				i++;
			if (i + 1 < n && (unsigned char)p[i + 1] >= 0x40 && (unsigned char)p[i + 1] <= 0x7e)
				i++;
		} else if (c == ']') {           /* OSC: up to BEL or ESC '\' */
			while (i + 1 < n && p[i + 1] != '\a' && p[i + 1] != 0x1b)
				i++;
			if (i + 1 < n && p[i + 1] == '\a')
				i++;
			else if (i + 2 < n && p[i + 2] == '\\')
				i += 2;
		} else if (c == '(' || c == ')') { /* charset designation: one more byte */
			if (i + 1 < n)
				i++;
		}
		/* anything else: a two-byte escape, already skipped */
	}
	return o;
}

static int parse_digits(const char *p, size_t n, size_t *i, int *val)
{
	size_t j = *i;
	int v = 0;
	while (j < n && j - *i < 7 && p[j] >= '0' && p[j] <= '9')
		v = v * 10 + (p[j++] - '0');
	if (j == *i || (j < n && p[j] >= '0' && p[j] <= '9'))
		return 0;
	*i = j;
	*val = v;
	return 1;
}

static int has_prefix(const char *p, size_t n, size_t i, const char *lit)
{
	size_t k = strlen(lit);
	return n - i >= k && memcmp(p + i, lit, k) == 0;
}

/* Strips launcher prefixes; returns how many leading bytes to drop and sets *rank. */
static size_t strip_prefixes(const char *p, size_t n, int *rank)
{
	size_t start = 0;
	for (int round = 0; round < 4; round++) {
		size_t i = start;
		int v;
		while (i < n && p[i] == ' ' && i - start < 8)
			i++;
		if (i < n && p[i] >= '0' && p[i] <= '9' && parse_digits(p, n, &i, &v) &&
		    i + 1 < n && p[i] == ':' && p[i + 1] == ' ') {        /* srun -l: "12: " */
			*rank = v;
			start = i + 2;
			continue;
		}
		i = start;
		if (i < n && p[i] == '[') {                               /* [rank3]: [default3]: */
			size_t j = i + 1;
			if (has_prefix(p, n, j, "rank"))
				j += 4;
			else if (has_prefix(p, n, j, "default"))
				j += 7;
			else
				break;
			if (parse_digits(p, n, &j, &v) && j + 1 < n && p[j] == ']' && p[j + 1] == ':') {
				*rank = v;
				start = j + 2;
				continue;
			}
			break;
		}
		if (i < n && p[i] == '(') {                               /* Ray: "(name, pid=4112) " */
			const char *close = memchr(p + i, ')', n - i < 128 ? n - i : 128);
			if (close && close + 1 < p + n && close[1] == ' ') {
				const char *pid = memmem(p + i, (size_t)(close - (p + i)), ", pid=", 6);
				if (pid) {
					start = (size_t)(close - p) + 2;
					continue;
				}
			}
		}
		break;
	}
	return start;
}

static int emit_segment(struct tm_lines *l, const char *p, size_t n, uint64_t off, int truncated,
			tm_record_fn fn, void *ctx)
{
	if (n == 0)
		return 0;
	if (memchr(p, 0x1b, n)) {
		if (!l->scratch)
			l->scratch = tm_xmalloc(l->line_max);
		n = strip_ansi(p, n, l->scratch);
		p = l->scratch;
	}
	struct tm_record r = { .rank = -1, .line = l->line, .off = off, .truncated = truncated ? 1u : 0u };
	size_t skip = strip_prefixes(p, n, &r.rank);
	r.p = p + skip;
	r.len = n - skip;
	if (r.len == 0)
		return 0;
	l->records++;
	return fn(ctx, &r);
}

/* One physical line p[0, n) (no '\n') starting at stream offset off: split on '\r' into records. */
static int emit_line(struct tm_lines *l, const char *p, size_t n, uint64_t off, int truncated,
		     tm_record_fn fn, void *ctx)
{
	l->line++;
	l->lines++;
	if (truncated)
		l->truncated++;
	const char *end = p + n;
	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		const char *e = cr ? cr : end;
		int rc = emit_segment(l, p, (size_t)(e - p), off, truncated, fn, ctx);
		if (rc)
			return rc;
		p = cr ? cr + 1 : end;
	}
	return 0;
}

/* Drops the first n buffered bytes. */
static void consume(struct tm_lines *l, size_t n)
{
	l->off += n;
	l->len -= n;
	if (l->len && n)
		memmove(l->buf, l->buf + n, l->len);
}

int tm_lines_drain(struct tm_lines *l, tm_record_fn fn, void *ctx)
{
	size_t pos = 0;
	int rc = 0;
	while (pos < l->len && !rc) {
		char *p = l->buf + pos;
		size_t avail = l->len - pos;
		char *nl = memchr(p, '\n', avail);
		if (l->skipping) {          /* rest of a cut line: its head was handed out already */
			if (!nl) {
				pos = l->len;
				break;
			}
			l->skipping = 0;
			pos += (size_t)(nl - p) + 1;
			continue;
		}
		if (!nl) {
			if (avail < l->line_max)
				break;      /* an unfinished line waits for its '\n' */
			rc = emit_line(l, p, l->line_max, l->off + pos, 1, fn, ctx);
			l->skipping = 1;
			pos = l->len;
			break;
		}
		size_t n = (size_t)(nl - p);
		int cut = n > l->line_max;
		rc = emit_line(l, p, cut ? l->line_max : n, l->off + pos, cut, fn, ctx);
		pos += n + 1;
	}
	consume(l, pos);
	return rc;
}

int tm_lines_finish(struct tm_lines *l, tm_record_fn fn, void *ctx)
{
	int rc = tm_lines_drain(l, fn, ctx);
	if (rc || l->len == 0)
		return rc;
	if (!l->skipping)
		rc = emit_line(l, l->buf, l->len, l->off, 0, fn, ctx);
	consume(l, l->len);
	l->skipping = 0;
	return rc;
}

/* The read buffer starts small (line_max + 64 KiB) and grows to TM_READ_CHUNK + line_max the
 * first time a read fills it: a file being caught up on gets large reads, a trickle does not. */
static void ensure_room(struct tm_lines *l, int filled)
{
	size_t small = l->line_max + 64u * 1024u, big = l->line_max + TM_READ_CHUNK;
	size_t want = l->cap == 0 ? small : filled && l->cap < big ? big : l->cap;
	if (want != l->cap) {
		l->buf = tm_xrealloc(l->buf, want);
		l->cap = want;
	}
}

ssize_t tm_lines_read(struct tm_lines *l, int fd)
{
	return tm_lines_read_max(l, fd, UINT64_MAX);
}

ssize_t tm_lines_read_max(struct tm_lines *l, int fd, uint64_t max)
{
	ensure_room(l, l->read_full);
	size_t room = l->cap - l->len;
	if (room > max)
		room = (size_t)max;
	if (room == 0)
		return -ENOBUFS;   /* cannot happen: drain leaves less than line_max */
	for (;;) {
		ssize_t n = read(fd, l->buf + l->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		l->len += (size_t)n;
		l->read_full = (size_t)n == room;
		return n;
	}
}

int tm_lines_feed(struct tm_lines *l, const char *p, size_t n, tm_record_fn fn, void *ctx)
{
	while (n) {
		ensure_room(l, 0);
		size_t room = l->cap - l->len;
		size_t k = n < room ? n : room;
		memcpy(l->buf + l->len, p, k);
		l->len += k;
		p += k;
		n -= k;
		int rc = tm_lines_drain(l, fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}
