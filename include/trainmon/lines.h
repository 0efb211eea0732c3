/* lines.h: bytes -> records. Splits a byte stream into lines, each line into '\r'-separated
 * records (progress-bar redraws), strips ANSI escapes and the prefixes in front of a line, keeping
 * what they say (time, rank, level, stream), in this order, each kind at most once:
 *   collector  RFC 3339 (kubectl --timestamps, docker -t), CRI ("<ts> stdout F ", P partials joined
 *              with the next line), journald short-iso and syslog / moreutils ts ("Dec  6 02:35:25")
 *              with an optional "host ident[pid]: ";
 *   launcher   srun -l "12: ", torchrun "[rank3]:" / "[default3]:", Ray "(name, pid=N) ";
 *   logger     "2023-07-25 21:03:17,269 ", "[2025-03-11 09:13:10] ", glog "I0411 15:03:26.866614
 *              140737350317184 file.py:366] ", each with a level after it ("[INFO] ", "INFO ").
 * Times without a zone are UTC; syslog and glog times have no year (see timefmt.h).
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

#include "trainmon/timefmt.h"

struct tm_record {
	const char *p;        /* borrowed; valid only during the callback */
	size_t      len;      /* bytes, no '\n', '\r' */
	uint64_t    line;     /* 1-based physical line number in the stream */
	uint64_t    off;      /* bytes: stream offset of the physical line's first byte */
	double      ts;       /* epoch seconds (UTC) from a stripped prefix, NAN when none */
	const char *pre;      /* borrowed: the launcher/logger prefix stripped from this record */
	const char *cpre;     /* borrowed: the collector prefix of its physical line */
	uint16_t    pre_len, cpre_len; /* bytes (prefixes are short: capped by the parsers) */
	int         rank;     /* rank or task label from a stripped prefix, -1 when none */
	char        level;    /* 'D' 'I' 'W' 'E' 'F' from a logger prefix, 0 when none */
	char        stream;   /* 'o' stdout, 'e' stderr (CRI), 0 when not said */
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
	uint64_t stamped;      /* records with a time */
	/* CRI partial lines (P) waiting for their final (F) line */
	char    *join;         /* owned, line_max bytes on first use */
	size_t   join_len;
	uint64_t join_line, join_off;
	double   join_ts;      /* collector time of the record's first part */
	struct tm_yearless yl; /* year of syslog/glog times; set yl.ref_year/ref_mon to pin it */
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
/* The read buffer, handed over once every byte is handed out (len 0; else *buf is NULL): the
 * stream allocates anew if it reads again. For a caller that reads many files one after the
 * other and lends the buffer on (tm_lines_lend): a fresh megabyte per file is 270 page faults. */
void tm_lines_take_buffer(struct tm_lines *l, char **buf, size_t *cap);
/* Before the first read: buf (cap bytes, from malloc) becomes the stream's, to grow or free (or
 * is freed, when the stream has a buffer or cap is below line_max + 64 KiB). */
void tm_lines_lend(struct tm_lines *l, char *buf, size_t cap);
/* Copies bytes in (any chunking) and drains: for tests, fuzzers and in-memory input. */
int tm_lines_feed(struct tm_lines *l, const char *p, size_t n, tm_record_fn fn, void *ctx);

/* Stream offset just past the last complete line handed out (what a tailer may save). */
static inline uint64_t tm_lines_offset(const struct tm_lines *l)
{
	return l->off + (l->skipping ? l->len : 0);
}

/* Where reading must resume to lose nothing: the start of a CRI record still being joined (its
 * partial lines are read again), else tm_lines_offset. *line: lines before that offset. */
static inline void tm_lines_resume_point(const struct tm_lines *l, uint64_t *off, uint64_t *line)
{
	if (l->join_len) {
		*off = l->join_off;
		*line = l->join_line - 1;
	} else {
		*off = tm_lines_offset(l);
		*line = l->line;
	}
}

#endif
