/* lines.h: bytes -> records. Splits a byte stream into lines, each line into '\r'-separated
 * records (progress-bar redraws), strips ANSI escapes and launcher prefixes (srun -l "12: ",
 * torchrun "[rank3]:" / "[default3]:", Ray "(name, pid=N) ").
 *
 * Streaming with one fixed buffer: complete lines are handed out as slices of it, with no copy and
 * no allocation per line; only the unfinished tail is kept for the next read. A line longer than
 * line_max is cut to its first line_max bytes (flagged, counted), the rest skipped to its '\n':
 * the file is never dropped. Bytes are bytes: NUL, invalid UTF-8 and binary junk pass through.
 */
#ifndef TRAINMON_LINES_H
#define TRAINMON_LINES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tm_record {
	const char *p;        /* borrowed; valid only during the callback */
	size_t      len;      /* bytes, no '\n', '\r' */
	uint64_t    line;     /* 1-based physical line number in the stream */
	uint64_t    off;      /* bytes: stream offset of the physical line's first byte */
	int         rank;     /* rank or task label from a stripped prefix, -1 when none */
	unsigned    truncated : 1; /* the physical line was longer than line_max */
};

/* Called per record; a non-zero return stops the drain and is returned from it. */
typedef int (*tm_record_fn)(void *ctx, const struct tm_record *r);

struct tm_lines {
	char    *buf;          /* owned, allocated on first use; [0, len) are bytes not yet handed out */
	size_t   cap, len;
	size_t   line_max;     /* bytes; longer lines are truncated */
	char    *scratch;      /* owned, line_max bytes on first use: ANSI-stripped copy of a record */
	uint64_t off;          /* stream offset of buf[0] */
	uint64_t line;         /* physical lines completed */
	int      skipping;     /* inside an over-long line: dropping bytes up to its '\n' */
	int      read_full;    /* the last read filled the buffer: grow it for the next one */
	/* counters */
	uint64_t lines;        /* physical lines handed out */
	uint64_t records;      /* records handed out */
	uint64_t truncated;    /* lines cut at line_max */
};

#define TM_LINE_MAX_DEFAULT (64u * 1024u)
#define TM_READ_CHUNK (1024u * 1024u)

void tm_lines_init(struct tm_lines *l, size_t line_max);
void tm_lines_release(struct tm_lines *l);
/* Forgets buffered bytes and counters; the stream restarts at offset off, line 1 (+line_base). */
void tm_lines_reset(struct tm_lines *l, uint64_t off, uint64_t line_base);

/* One read(2) into free buffer space: bytes read, 0 at EOF, or -errno. */
ssize_t tm_lines_read(struct tm_lines *l, int fd);
/* The same, reading at most max bytes. */
ssize_t tm_lines_read_max(struct tm_lines *l, int fd, uint64_t max);
/* Hands out every complete line in the buffer. Returns 0 or the callback's non-zero value. */
int tm_lines_drain(struct tm_lines *l, tm_record_fn fn, void *ctx);
/* End of input: also hands out a last line that has no '\n'. */
int tm_lines_finish(struct tm_lines *l, tm_record_fn fn, void *ctx);
/* Copies bytes in (any chunking) and drains: for tests, fuzzers and in-memory input. */
int tm_lines_feed(struct tm_lines *l, const char *p, size_t n, tm_record_fn fn, void *ctx);

/* Stream offset just past the last complete line handed out (what a tailer may save). */
static inline uint64_t tm_lines_offset(const struct tm_lines *l)
{
	return l->off + (l->skipping ? l->len : 0);
}

#endif
