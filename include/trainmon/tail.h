/* tail.h: following one log file by path, across rotation, truncation and recreation.
 *
 * A tail is identified by its path: whatever inode the path names over time feeds the same run.
 * It reads only complete lines (a partial last line waits for its '\n'), keeps an old inode open
 * after a rename until it stops growing (rotate_wait), and detects truncation by size and by the
 * file's identity at the read position (tm_tail_ident: hashes of its first bytes and of a window
 * before the position, the last bytes read, its birth time), which also catches copytruncate
 * followed by regrowth past the old offset. It never decides by path alone; see tail.c.
 */
#ifndef TRAINMON_TAIL_H
#define TRAINMON_TAIL_H

#include <stdint.h>
#include <sys/types.h>

#include "trainmon/engine.h"

#define TM_MARKER_LEN 32
#define TM_TAIL_OLD_MAX 4
#define TM_IDENT_HEAD 4096          /* bytes: the file's first bytes that are hashed */
#define TM_IDENT_WIN 4096           /* bytes: the window before the position that is hashed */

/* What a file must still show at a read position to be the content read so far. Lines that
 * repeat their last bytes (Megatron's iteration lines share their last 33) cannot fake it: the
 * hashed window spans whole lines with their step numbers, and the head is the file's start. */
struct tm_tail_ident {
	uint64_t head_hash;         /* FNV-1a 64 of the first head_len bytes */
	uint64_t win_hash;          /* FNV-1a 64 of the win_len bytes before the position */
	uint32_t head_len;          /* min(position, TM_IDENT_HEAD); 0 with win_len 0: unknown */
	uint32_t win_len;           /* min(position, TM_IDENT_WIN) */
	int64_t btime_s;            /* birth time (statx), when has_btime */
	uint32_t btime_ns;
	int has_btime;
};

struct tm_tail_fd {                 /* one open inode */
	int fd;                     /* -1 when closed */
	dev_t dev;
	ino_t ino;
	struct tm_lines lines;      /* embedded: this inode's unfinished line stays its own */
	uint64_t last_growth_ms;    /* CLOCK_MONOTONIC ms of the last read that returned data */
	unsigned char mark[TM_MARKER_LEN]; /* the last bytes read (ending at the read position) */
	size_t markn;
	struct tm_tail_ident id;    /* head hashed as read; window hashed at the read position */
};

struct tm_tail_end {                 /* a position in an inode, as tm_tail_position gives it */
	int valid;                   /* 0: none */
	dev_t dev;
	ino_t ino;
	uint64_t off, line;
	unsigned char mark[TM_MARKER_LEN];
	size_t markn;
	struct tm_tail_ident id;
};

struct tm_tail_stats {
	uint64_t bytes, rotations, truncations, read_errors, reopen;
};

struct tm_tail {
	char *path;                          /* owned, as found under a watched directory */
	struct tm_feed feed;                 /* embedded: matcher and run (feed.lines unused) */
	struct tm_tail_fd cur;               /* the inode the path names now (fd -1 if none) */
	struct tm_tail_fd old[TM_TAIL_OLD_MAX]; /* renamed-away inodes still being drained */
	size_t nold;
	uint64_t rotate_wait_ms;             /* keep an old inode this long after its last growth */
	struct tm_tail_stats st;
	int last_errno;                      /* last open/read error, reported once per change */
	int gone;                            /* the path names nothing now */
	int more;                            /* the last sync stopped at its read budget with
						bytes left: the owner syncs again soon */
	struct tm_tail_end end;              /* where the last inode closed was left: the position
						to save when no inode is open, and the inode after
						which generations rotated meanwhile are read (the
						`between` hook, when the path names one again) */
	uint64_t last_data_ms;               /* last time any line arrived */
	/* Called by tm_tail_sync right after the inode the path named (dev, ino) was retired and
	 * before the one it names now is opened: the owner may read generations rotated in
	 * between (tm_tail_adopt_path). NULL: none. */
	void (*between)(void *ctx, struct tm_tail *t, dev_t dev, ino_t ino, uint64_t now_ms);
	/* Called right after that new inode is opened, before it is read: the owner may start it
	 * where another tail left off (tm_tail_resume) when that tail reads it under an old name. */
	void (*opened)(void *ctx, struct tm_tail *t, uint64_t now_ms);
	void *hook_ctx;                      /* borrowed, for both hooks */
};

/* line_max: as tm_lines_init. The tail is not opened yet: call tm_tail_sync(). */
void tm_tail_init(struct tm_tail *t, const char *path, const struct tm_ruleset *rs, size_t line_max,
		  uint64_t rotate_wait_ms);
void tm_tail_release(struct tm_tail *t);

/* Reads everything new: drains old inodes, follows the path to its current inode (rotation,
 * recreation, rename-over, symlink retarget), handles truncation, hands out complete lines.
 * now_ms is CLOCK_MONOTONIC. Returns 0, or -errno of a failed open/read (the tail stays usable
 * and is retried on the next sync). */
int tm_tail_sync(struct tm_tail *t, uint64_t now_ms);

/* Starts the current inode at a saved position: only if it is the same inode (dev, ino), at
 * least off bytes long and its marker bytes match; else it is read from 0 (truncated or
 * replaced while we were away) and 1 is returned. Returns 0 when resumed, 1 when restarted, or
 * -errno. `line` is the number of lines before off (so line numbers continue). */
int tm_tail_resume(struct tm_tail *t, dev_t dev, ino_t ino, uint64_t off, uint64_t line,
		   const unsigned char *marker, size_t marker_len, uint64_t now_ms);
/* The same, and the file must also show the identity id (saved by tm_tail_position) at off:
 * the same head and window hashes, and birth time when both sides know it. id NULL, or one
 * with nothing known (a state file of an older version), checks the marker only. */
int tm_tail_resume_ident(struct tm_tail *t, dev_t dev, ino_t ino, uint64_t off, uint64_t line,
			 const unsigned char *marker, size_t marker_len, const struct tm_tail_ident *id,
			 uint64_t now_ms);

/* Opens path (a rotated generation nobody read), reads it from 0 now and keeps draining it as
 * an old inode, after those already draining. Returns 0 or -errno. */
int tm_tail_adopt_path(struct tm_tail *t, const char *path, uint64_t now_ms);

/* Reads the current inode to EOF and moves it to the drain list (the path is about to name an
 * inode another tail has been reading: see the daemon's take-over). */
void tm_tail_retire(struct tm_tail *t, uint64_t now_ms);

/* Opens the path and starts at its current end (--from-end). Returns 0 or -errno. */
int tm_tail_start_at_end(struct tm_tail *t, uint64_t now_ms);

/* Reads an inode found elsewhere (a file rotated while we were away) from off to its end into
 * this tail's run, then closes it. Returns 0 or -errno. */
int tm_tail_drain_path(struct tm_tail *t, const char *path, uint64_t off, uint64_t line, uint64_t now_ms);

/* The position to save: offset after the last complete line (the start of a CRI record still
 * being joined) of the oldest rotated inode that still has bytes not read, else of the current
 * inode (else, while the path names nothing, of the inode it named last, still draining; else of
 * the last inode closed, drained ones included), its line count, the marker bytes before it and
 * its identity there. Returns 0, or -1 when this tail never had an inode. */
int tm_tail_position(const struct tm_tail *t, dev_t *dev, ino_t *ino, uint64_t *off, uint64_t *line,
		     unsigned char *marker, size_t *marker_len, struct tm_tail_ident *id);

#endif
