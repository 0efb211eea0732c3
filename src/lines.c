/* lines.c: the line splitter and record normaliser (see lines.h).
 *
 * Key decision: lines are slices of the read buffer; only a record with an ESC byte is copied (to
 * strip escapes in the fixed scratch buffer), and CRI partial lines into the join buffer. Prefix
 * stripping is a hand-written scanner, not a regex, because it runs on every record: a first-byte
 * dispatch, so a line with no prefix costs a few compares. It must not allocate per line or look
 * past the record.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
	l->yl.last = NAN;
}

void tm_lines_release(struct tm_lines *l)
{
	free(l->buf);
	free(l->scratch);
	free(l->join);
	memset(l, 0, sizeof(*l));
}

void tm_lines_reset(struct tm_lines *l, uint64_t off, uint64_t line_base)
{
	l->len = 0;
	l->off = off;
	l->line = line_base;
	l->skipping = 0;
	l->join_len = 0;
	l->yl.year = 0;
	l->yl.last = NAN;
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

/* ---- collector and logger prefixes ---- */

/* syslog / journald after the time: "host ident[pid]: " (the pid makes it unambiguous: a bare
 * "word word: " could be the message); returns the new position, i when there is none. */
static size_t strip_ident(const char *p, size_t n, size_t i)
{
	size_t j = i;
	while (j < n && j - i < 64 && p[j] != ' ')
		j++;
	if (j == i || j >= n || p[j] != ' ')
		return i;
	size_t k = ++j;
	while (k < n && k - j < 64 && p[k] != ' ' && p[k] != '[')
		k++;
	if (k == j || k >= n || p[k] != '[')
		return i;
	size_t d = ++k;
	while (k < n && p[k] >= '0' && p[k] <= '9')
		k++;
	if (k == d || n - k < 2 || p[k] != ']' || p[k + 1] != ':')
		return i;
	k += 2;
	return k < n && p[k] == ' ' ? k + 1 : k;
}

/* The time a yearless civil time (syslog, glog) has in this stream. */
static double yearless(struct tm_lines *l, struct tm_civil *c)
{
	if (!l->yl.ref_year) {              /* nobody said: this year */
		time_t now = time(NULL);
		struct tm t;
		gmtime_r(&now, &t);
		l->yl.ref_year = t.tm_year + 1900;
		l->yl.ref_mon = t.tm_mon + 1;
	}
	return tm_yearless_resolve(&l->yl, c);
}

struct line_info {                      /* what the physical line's collector prefix said */
	double ts;                      /* NAN none */
	double last;                    /* the last time seen on the line (for '\r' records) */
	const char *cpre;
	size_t cpre_len;
	char stream;
	int partial;                    /* CRI "P": more of this record on the next line */
};

/* Collector prefix of a physical line; returns the bytes to drop. */
static size_t strip_collector(struct tm_lines *l, const char *p, size_t n, struct line_info *li)
{
	struct tm_civil c;
	size_t k;
	if (n < 15)
		return 0;
	unsigned char b = (unsigned char)p[0];
	if (b >= '0' && b <= '9' && p[4] == '-' && p[10] == 'T') {
		k = tm_time_parse_iso(p, n, 1, &c);
		if (!k || (k < n && p[k] != ' '))
			return 0;
		li->ts = tm_time_epoch(&c);
		if (k == n)
			return k;
		k++;
		if (n - k >= 8 && (memcmp(p + k, "stdout ", 7) == 0 || memcmp(p + k, "stderr ", 7) == 0) &&
		    (p[k + 7] == 'F' || p[k + 7] == 'P') && (n - k == 8 || p[k + 8] == ' ')) {
			li->stream = p[k + 3] == 'o' ? 'o' : 'e';
			li->partial = p[k + 7] == 'P';
			return n - k == 8 ? n : k + 9;
		}
		return strip_ident(p, n, k);
	}
	if (p[3] == ' ' && (b == 'J' || b == 'F' || b == 'M' || b == 'A' || b == 'S' || b == 'O' ||
			    b == 'N' || b == 'D')) {
		k = tm_time_parse_syslog(p, n, &c);
		if (!k || (k < n && p[k] != ' '))
			return 0;
		li->ts = yearless(l, &c);
		return k == n ? k : strip_ident(p, n, k + 1);
	}
	return 0;
}

/* A level after a logger time: "[INFO] ", "[I]", "INFO ", "- INFO - ". */
static size_t strip_level(const char *p, size_t n, size_t i, char *level)
{
	static const char *const names[] = { "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL" };
	size_t j = i, open = 0;
	if (j < n && p[j] == '[')
		open = 1, j++;
	else if (n - j >= 2 && p[j] == '-' && p[j + 1] == ' ')
		open = 2, j += 2;
	size_t w = j;
	while (w < n && w - j < 8 && p[w] >= 'A' && p[w] <= 'Z')
		w++;
	size_t len = w - j;
	int ok = open == 1 && len == 1 && strchr("DIWEFC", p[j]);
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && !ok && len > 1; k++)
		ok = strlen(names[k]) == len && memcmp(p + j, names[k], len) == 0;
	if (!ok)
		return i;
	if (open == 1) {
		if (w >= n || p[w] != ']')
			return i;
		w++;
	} else if (open == 2) {
		if (n - w < 3 || memcmp(p + w, " - ", 3) != 0)
			return i;
		w += 2;
	} else if (w >= n || p[w] != ' ') {
		return i;
	}
	*level = p[j] == 'C' ? 'F' : p[j];
	return w < n && p[w] == ' ' ? w + 1 : w;
}

/* Logger prefix of a record (after the launcher's); returns the bytes to drop, sets *ts. */
static size_t strip_logger(struct tm_lines *l, const char *p, size_t n, double *ts, char *level)
{
	struct tm_civil c;
	size_t k;
	if (n < 14)
		return 0;
	unsigned char b = (unsigned char)p[0];
	if (b >= '0' && b <= '9' && p[4] == '-') {  /* "2023-07-25 21:03:17,269 " */
		k = tm_time_parse_iso(p, n, 0, &c);
		if (!k || (k < n && p[k] != ' '))
			return 0;
		*ts = tm_time_epoch(&c);
		return k == n ? k : strip_level(p, n, k + 1, level);
	}
	if (b == '[' && p[1] >= '0' && p[1] <= '9') { /* "[2025-03-11 09:13:10,568581]" */
		k = tm_time_parse_iso(p + 1, n - 1, 0, &c);
		if (!k || k + 1 >= n || p[k + 1] != ']')
			return 0;
		*ts = tm_time_epoch(&c);
		k += 2;
		if (k < n && p[k] == ' ')
			k++;
		return strip_level(p, n, k, level);
	}
	if ((b == 'I' || b == 'W' || b == 'E' || b == 'F') && p[1] >= '0' && p[1] <= '9') {
		/* glog: "I0411 15:03:26.866614 140737350317184 programs.py:366] " */
		k = tm_time_parse_glog(p + 1, n - 1, &c);
		if (!k)
			return 0;
		size_t i = k + 1;
		while (i < n && p[i] == ' ')
			i++;
		size_t d = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == d || i >= n || p[i] != ' ')
			return 0;
		size_t f = ++i;
		while (i < n && i - f < 256 && p[i] != ']' && p[i] != ' ')
			i++;
		if (i == f || i >= n || p[i] != ']')
			return 0;
		*ts = yearless(l, &c);
		*level = (char)b;
		i++;
		return i < n && p[i] == ' ' ? i + 1 : i;
	}
	return 0;
}

static uint16_t short_len(size_t n)
{
	return n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
}

/* What a line may hold, from the searches tm_lines_drain makes once per buffer: without the bit
 * the line certainly has no such byte, and is not searched for it again. */
#define MAY_CR  1u
#define MAY_ESC 2u
#define MAY_ALL (MAY_CR | MAY_ESC)

static int emit_segment(struct tm_lines *l, const char *p, size_t n, uint64_t line, uint64_t off,
			int truncated, struct line_info *li, unsigned may, tm_record_fn fn, void *ctx)
{
	if (n == 0)
		return 0;
	if ((may & MAY_ESC) && memchr(p, 0x1b, n)) {
		if (!l->scratch)
			l->scratch = tm_xmalloc(l->line_max);
		n = strip_ansi(p, n, l->scratch);
		p = l->scratch;
	}
	struct tm_record r = { .rank = -1, .line = line, .off = off, .truncated = truncated ? 1u : 0u,
			       .ts = li->ts, .cpre = li->cpre, .cpre_len = short_len(li->cpre_len),
			       .stream = li->stream };
	size_t skip = strip_prefixes(p, n, &r.rank);
	double ts = NAN;
	size_t lg = strip_logger(l, p + skip, n - skip, &ts, &r.level);
	if (lg && r.rank < 0)                   /* a logger's prefix in front of a launcher's */
		lg += strip_prefixes(p + skip + lg, n - skip - lg, &r.rank);
	skip += lg;
	if (!isnan(ts))
		li->last = ts;
	if (isnan(r.ts))                    /* the outermost time wins: a collector's has a zone */
		r.ts = li->last;
	r.pre = p;
	r.pre_len = short_len(skip);
	r.p = p + skip;
	r.len = n - skip;
	if (r.len == 0)
		return 0;
	l->records++;
	l->stamped += !isnan(r.ts);
	return fn(ctx, &r);
}

/* Splits p[0, n) on '\r' into records. */
static int emit_records(struct tm_lines *l, const char *p, size_t n, uint64_t line, uint64_t off,
			int truncated, struct line_info *li, unsigned may, tm_record_fn fn, void *ctx)
{
	const char *end = p + n;
	if (!(may & MAY_CR))
		return emit_segment(l, p, n, line, off, truncated, li, may, fn, ctx);
	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		const char *e = cr ? cr : end;
		int rc = emit_segment(l, p, (size_t)(e - p), line, off, truncated, li, may, fn, ctx);
		if (rc)
			return rc;
		p = cr ? cr + 1 : end;
	}
	return 0;
}

/* Appends a CRI partial line's message to the join buffer (cut at line_max). */
static void join_add(struct tm_lines *l, const char *p, size_t n, uint64_t off)
{
	if (!l->join)
		l->join = tm_xmalloc(l->line_max);
	if (!l->join_len) {
		l->join_line = l->line;
		l->join_off = off;
	}
	size_t room = l->line_max - l->join_len;
	if (n > room)
		n = room;
	memcpy(l->join + l->join_len, p, n);
	l->join_len += n;
}

/* One physical line p[0, n) (no '\n') starting at stream offset off: its collector prefix, then
 * split on '\r' into records. may: MAY_* bits (MAY_ALL: not known). */
static int emit_line(struct tm_lines *l, const char *p, size_t n, uint64_t off, int truncated,
		     unsigned may, tm_record_fn fn, void *ctx)
{
	l->line++;
	l->lines++;
	if (truncated)
		l->truncated++;
	struct line_info li = { .ts = NAN, .last = NAN, .cpre = p };
	size_t skip = strip_collector(l, p, n, &li);
	li.cpre_len = skip;
	p += skip;
	n -= skip;
	uint64_t line = l->line;
	if (li.partial || l->join_len) {
		if (!l->join_len)
			l->join_ts = li.ts;
		join_add(l, p, n, off);
		if (li.partial)
			return 0;               /* the record goes on in the next line */
		p = l->join;
		n = l->join_len;
		line = l->join_line;
		off = l->join_off;
		li.ts = l->join_ts;             /* when the record began */
		l->join_len = 0;                /* the buffer stays valid until the next line */
		may = MAY_ALL;                  /* earlier parts were searched as other lines */
	}
	return emit_records(l, p, n, line, off, truncated, &li, may, fn, ctx);
}

/* End of input inside a CRI partial record: hands out what was joined. */
static int flush_join(struct tm_lines *l, tm_record_fn fn, void *ctx)
{
	if (!l->join_len)
		return 0;
	struct line_info li = { .ts = l->join_ts, .last = NAN };
	size_t n = l->join_len;
	l->join_len = 0;
	return emit_records(l, l->join, n, l->join_line, l->join_off, 0, &li, MAY_ALL, fn, ctx);
}

/* Drops the first n buffered bytes. */
static void consume(struct tm_lines *l, size_t n)
{
	l->off += n;
	l->len -= n;
	if (l->len && n)
		memmove(l->buf, l->buf + n, l->len);
}

/* The offset in buf of the first byte c at or after pos (len: none), from the last search's
 * answer *at when that is still ahead (SIZE_MAX: no search yet): one search serves every line up
 * to the byte. */
static size_t next_byte(const struct tm_lines *l, size_t pos, int c, size_t *at)
{
	if (*at == SIZE_MAX || *at < pos) {
		const char *q = memchr(l->buf + pos, c, l->len - pos);
		*at = q ? (size_t)(q - l->buf) : l->len;
	}
	return *at;
}

/* The MAY_* bits of the line buf[pos, pos + n). */
static unsigned line_may(const struct tm_lines *l, size_t pos, size_t n, size_t *cr_at, size_t *esc_at)
{
	return (next_byte(l, pos, '\r', cr_at) < pos + n ? MAY_CR : 0u) |
	       (next_byte(l, pos, 0x1b, esc_at) < pos + n ? MAY_ESC : 0u);
}

int tm_lines_drain(struct tm_lines *l, tm_record_fn fn, void *ctx)
{
	size_t pos = 0;
	size_t cr_at = SIZE_MAX, esc_at = SIZE_MAX;   /* searched lazily: see next_byte() */
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
			rc = emit_line(l, p, l->line_max, l->off + pos, 1,
				       line_may(l, pos, l->line_max, &cr_at, &esc_at), fn, ctx);
			l->skipping = 1;
			pos = l->len;
			break;
		}
		size_t n = (size_t)(nl - p);
		int cut = n > l->line_max;
		rc = emit_line(l, p, cut ? l->line_max : n, l->off + pos, cut,
			       line_may(l, pos, cut ? l->line_max : n, &cr_at, &esc_at), fn, ctx);
		pos += n + 1;
	}
	consume(l, pos);
	return rc;
}

int tm_lines_finish(struct tm_lines *l, tm_record_fn fn, void *ctx)
{
	int rc = tm_lines_drain(l, fn, ctx);
	if (rc)
		return rc;
	if (l->len && !l->skipping)
		rc = emit_line(l, l->buf, l->len, l->off, 0, MAY_ALL, fn, ctx);
	consume(l, l->len);
	l->skipping = 0;
	return rc ? rc : flush_join(l, fn, ctx);
}

/* The read buffer starts small (line_max + 64 KiB) and grows to TM_READ_CHUNK + line_max the
 * first time a read fills it: a file being caught up on gets large reads, a trickle does not. */
/* The buffer a stream starts with: a line of line_max and a 64 KiB read. */
static size_t small_cap(const struct tm_lines *l)
{
	return l->line_max + 64u * 1024u;
}

static void ensure_room(struct tm_lines *l, int filled)
{
	size_t small = small_cap(l), big = l->line_max + TM_READ_CHUNK;
	size_t want = l->cap == 0 ? small : filled && l->cap < big ? big : l->cap;
	if (want != l->cap) {
		l->buf = tm_xrealloc(l->buf, want);
		l->cap = want;
	}
}

void tm_lines_take_buffer(struct tm_lines *l, char **buf, size_t *cap)
{
	*buf = NULL;
	*cap = 0;
	if (l->len || !l->buf)
		return;
	*buf = l->buf;
	*cap = l->cap;
	l->buf = NULL;
	l->cap = 0;
}

void tm_lines_lend(struct tm_lines *l, char *buf, size_t cap)
{
	if (l->buf || !buf || cap < small_cap(l)) {
		free(buf);                      /* too small for a line of line_max and a read */
		return;
	}
	l->buf = buf;
	l->cap = cap;
	l->read_full = cap > small_cap(l);  /* a grown buffer stays grown */
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
