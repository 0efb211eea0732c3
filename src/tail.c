/* tail.c: following a file by path (see tail.h).
 *
 * Rename rotation as we may see it:
 *  1. we hold fd A on "train.out" (inode 11) at offset 9000;
 *  2. logrotate renames it "train.out.1"; the trainer may still append through its own fd;
 *  3. a new "train.out" (inode 12) appears, possibly before we look.
 * Events can lag the rename, so nothing is decided from the path alone: on every sync we read the
 * fd we hold to EOF first, then stat the path. A different inode there means A was replaced: A
 * moves to the old list and is drained until rotate_wait passes with no growth (then its
 * unfinished last line is flushed), and the new inode is read from 0. Truncation (copytruncate)
 * is a size below our read position, or, when the file regrew past it before we looked, a change
 * of its identity at that position: the last bytes we read (the marker), the hash of its first
 * bytes (taken as we read them) and of a window before the position. The marker alone is not
 * enough: Megatron's iteration lines share their last 33 bytes, so a regrown log with a line
 * ending at the old position shows the same marker. Each inode has its own line splitter, so a
 * partial line of A is never glued to the first bytes of B.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainmon/fnv.h"
#include "trainmon/tail.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define SYNC_BUDGET (64u << 20)       /* bytes read per inode per sync, so one huge file cannot
					 starve the others; t->more tells the owner it was hit */

static void fd_init(struct tm_tail_fd *f, size_t line_max)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	tm_lines_init(&f->lines, line_max);
}

static void fd_close(struct tm_tail_fd *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

void tm_tail_init(struct tm_tail *t, const char *path, const struct tm_ruleset *rs, size_t line_max,
		  uint64_t rotate_wait_ms)
{
	memset(t, 0, sizeof(*t));
	t->path = tm_xstrdup(path);
	tm_feed_init(&t->feed, path, rs, line_max);
	fd_init(&t->cur, line_max);
	t->rotate_wait_ms = rotate_wait_ms;
	tm_run_name_hints(&t->feed.run, path);
}

void tm_tail_release(struct tm_tail *t)
{
	fd_close(&t->cur);
	tm_lines_release(&t->cur.lines);
	for (size_t i = 0; i < t->nold; i++) {
		fd_close(&t->old[i]);
		tm_lines_release(&t->old[i].lines);
	}
	tm_feed_release(&t->feed);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

static uint64_t read_pos(const struct tm_tail_fd *f)
{
	return f->lines.off + f->lines.len;
}

/* FNV-1a of the len (<= TM_IDENT_WIN) bytes at from. Returns 0, or -1 when fewer could be read. */
static int hash_range(int fd, uint64_t from, size_t len, uint64_t *h)
{
	unsigned char buf[TM_IDENT_WIN];
	ssize_t k = len ? pread(fd, buf, len, (off_t)from) : 0;
	if (k < 0 || (size_t)k != len)
		return -1;
	*h = tm_fnv1a(TM_FNV_BASIS, buf, len);
	return 0;
}

/* The identity of fd's file at position pos, read back from the file. Returns 0 or -1. */
static int ident_at(int fd, uint64_t pos, struct tm_tail_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->head_len = (uint32_t)(pos < TM_IDENT_HEAD ? pos : TM_IDENT_HEAD);
	id->win_len = (uint32_t)(pos < TM_IDENT_WIN ? pos : TM_IDENT_WIN);
	if (hash_range(fd, 0, id->head_len, &id->head_hash) < 0)
		return -1;
	if (pos <= TM_IDENT_HEAD && id->win_len == id->head_len)
		id->win_hash = id->head_hash;      /* the window is the head: one read */
	else if (hash_range(fd, pos - id->win_len, id->win_len, &id->win_hash) < 0)
		return -1;
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME)) {
		id->has_btime = 1;
		id->btime_s = sx.stx_btime.tv_sec;
		id->btime_ns = sx.stx_btime.tv_nsec;
	}
	return 0;
}

/* Does the file now (b) show what was saved (a)? Parts a does not know are not compared. */
static int ident_same(const struct tm_tail_ident *a, const struct tm_tail_ident *b)
{
	if (a->head_len && (a->head_len != b->head_len || a->head_hash != b->head_hash))
		return 0;
	if (a->win_len && (a->win_len != b->win_len || a->win_hash != b->win_hash))
		return 0;
	if (a->has_btime && b->has_btime && (a->btime_s != b->btime_s || a->btime_ns != b->btime_ns))
		return 0;
	return 1;
}

/* f now reads at pos (resumed, or started at the end): its identity there, from the file. */
static void ident_start(struct tm_tail_fd *f, uint64_t pos)
{
	if (ident_at(f->fd, pos, &f->id) < 0)
		memset(&f->id, 0, sizeof(f->id));   /* unknown: only the marker is compared */
}

/* The marker: the last bytes read before `pos` of this inode, read back from the file. */
static int marker_at(int fd, uint64_t pos, unsigned char *buf, size_t *n)
{
	size_t want = pos < TM_MARKER_LEN ? (size_t)pos : TM_MARKER_LEN;
	*n = 0;
	if (want == 0)
		return 0;
	ssize_t k = pread(fd, buf, want, (off_t)(pos - want));
	if (k < 0)
		return -errno;
	*n = (size_t)k;
	return 0;
}

/* Reads fd to EOF (or the budget) and hands out complete lines. Returns bytes read or -errno. */
static ssize_t read_fd(struct tm_tail *t, struct tm_tail_fd *f, uint64_t now_ms)
{
	size_t total = 0;
	while (total < SYNC_BUDGET) {
		ssize_t n = tm_lines_read(&f->lines, f->fd);
		if (n == -EAGAIN || n == 0)
			break;
		if (n < 0) {
			t->st.read_errors++;
			return n;
		}
		total += (size_t)n;
		/* keep the last bytes read: the truncation check compares them with the file */
		const unsigned char *end = (const unsigned char *)f->lines.buf + f->lines.len;
		size_t k = (size_t)n < TM_MARKER_LEN ? (size_t)n : TM_MARKER_LEN;
		size_t keep = f->markn + k > TM_MARKER_LEN ? TM_MARKER_LEN - k : f->markn;
		memmove(f->mark, f->mark + f->markn - keep, keep);
		memcpy(f->mark + keep, end - k, k);
		f->markn = keep + k;
		/* and the file's first bytes, hashed as they pass */
		uint64_t at = read_pos(f) - (uint64_t)n;
		if (f->id.head_len < TM_IDENT_HEAD && at == f->id.head_len) {
			size_t h = TM_IDENT_HEAD - f->id.head_len;
			if (h > (size_t)n)
				h = (size_t)n;
			f->id.head_hash = tm_fnv1a(f->id.head_len ? f->id.head_hash : TM_FNV_BASIS, end - n, h);
			f->id.head_len += (uint32_t)h;
		}
		tm_lines_drain(&f->lines, tm_feed_record, &t->feed);
	}
	if (total >= SYNC_BUDGET)
		t->more = 1;
	if (total) {
		/* the window before the new read position, for the truncation check */
		uint64_t pos = read_pos(f);
		f->id.win_len = (uint32_t)(pos < TM_IDENT_WIN ? pos : TM_IDENT_WIN);
		if (hash_range(f->fd, pos - f->id.win_len, f->id.win_len, &f->id.win_hash) < 0)
			f->id.win_len = 0;   /* shrank meanwhile: the next check sees the size */
		f->last_growth_ms = now_ms;
		t->last_data_ms = now_ms;
		t->st.bytes += total;
	}
	return (ssize_t)total;
}

/* Opens a regular file for reading; returns the fd (its stat in *st) or -errno. */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		int e = S_ISREG(st->st_mode) ? errno : EINVAL;
		close(fd);
		return -e;
	}
	return fd;
}

static int open_cur(struct tm_tail *t, uint64_t now_ms)
{
	struct stat st;
	int fd = open_regular(t->path, &st);
	if (fd < 0)
		return fd;
	t->cur.fd = fd;
	t->cur.dev = st.st_dev;
	t->cur.ino = st.st_ino;
	t->cur.last_growth_ms = now_ms;
	t->cur.markn = 0;
	ident_start(&t->cur, 0);
	tm_lines_reset(&t->cur.lines, 0, 0);
	t->gone = 0;
	return 0;
}

/* The position to save in open inode f: after its last complete line, the marker bytes before
 * it and its identity there. */
static void fd_position(const struct tm_tail_fd *f, struct tm_tail_end *p)
{
	p->dev = f->dev;
	p->ino = f->ino;
	tm_lines_resume_point(&f->lines, &p->off, &p->line);
	if (marker_at(f->fd, p->off, p->mark, &p->markn) < 0)
		p->markn = 0;
	if (ident_at(f->fd, p->off, &p->id) < 0)
		memset(&p->id, 0, sizeof(p->id));
	p->valid = 1;
}

/* Before f is closed: where it was left, the position tm_tail_position gives once no inode is
 * open (a restart from there reads what was written to that inode after, and every generation
 * rotated after it). */
static void remember_end(struct tm_tail *t, const struct tm_tail_fd *f)
{
	if (f->fd >= 0 && f->ino)        /* ino 0: a drained path whose fstat failed */
		fd_position(f, &t->end);
}

/* The current inode was replaced or removed: keep draining it as an old one. */
static void retire_cur(struct tm_tail *t)
{
	if (t->cur.fd < 0)
		return;
	if (t->nold == TM_TAIL_OLD_MAX) {      /* rotating faster than rotate_wait: the oldest is */
		while (read_fd(t, &t->old[0], t->last_data_ms) > 0)   /* read to its end, */
			;                                                  /* then closed */
		remember_end(t, &t->old[0]);
		tm_lines_finish(&t->old[0].lines, tm_feed_record, &t->feed);
		fd_close(&t->old[0]);
		tm_lines_release(&t->old[0].lines);
		memmove(&t->old[0], &t->old[1], (TM_TAIL_OLD_MAX - 1) * sizeof(t->old[0]));
		t->nold--;
	}
	t->old[t->nold++] = t->cur;              /* moves the fd and the line buffer */
	fd_init(&t->cur, t->cur.lines.line_max);   /* the copy in old[] owns fd and buffers now */
}

/* Truncated in place (copytruncate, or truncate then regrow): restart this inode at 0. */
static int check_truncation(struct tm_tail *t)
{
	struct stat st;
	if (fstat(t->cur.fd, &st) < 0)
		return -errno;
	uint64_t pos = read_pos(&t->cur);
	int truncated = (uint64_t)st.st_size < pos;
	/* The marker is compared at size == pos too:
	 *  1. we read train.out to pos 9000, its end;
	 *  2. the file is truncated and a writer puts exactly 9000 new bytes in before we look;
	 *  3. size equals pos, so neither "size < pos" nor "there is more to read" says anything.
	 * Only the bytes before pos can tell; the pread costs one syscall per sync at EOF. */
	if (!truncated && (uint64_t)st.st_size >= pos && pos > 0) {
		unsigned char now[TM_MARKER_LEN];
		size_t n;
		int rc = marker_at(t->cur.fd, pos, now, &n);
		if (rc < 0)
			return rc;
		size_t m = n < t->cur.markn ? n : t->cur.markn;
		truncated = m && memcmp(now + n - m, t->cur.mark + t->cur.markn - m, m) != 0;
		/* equal last bytes prove little (repetitive lines): the head and window hashes too */
		struct tm_tail_ident id;
		if (!truncated)
			truncated = ident_at(t->cur.fd, pos, &id) < 0 || !ident_same(&t->cur.id, &id);
	}
	if (!truncated)
		return 0;
	t->st.truncations++;
	if (lseek(t->cur.fd, 0, SEEK_SET) < 0)
		return -errno;
	tm_lines_reset(&t->cur.lines, 0, 0);
	t->cur.markn = 0;
	ident_start(&t->cur, 0);
	return 1;
}

int tm_tail_sync(struct tm_tail *t, uint64_t now_ms)
{
	int err = 0, rotated = 0;
	t->more = 0;
	/* 1. old inodes: drain, and close those quiet for rotate_wait */
	for (size_t i = 0; i < t->nold;) {
		struct tm_tail_fd *f = &t->old[i];
		ssize_t n = read_fd(t, f, now_ms);
		if (n < 0 || now_ms - f->last_growth_ms >= t->rotate_wait_ms) {
			remember_end(t, f);
			tm_lines_finish(&f->lines, tm_feed_record, &t->feed);
			fd_close(f);
			tm_lines_release(&f->lines);
			memmove(f, f + 1, (t->nold - i - 1) * sizeof(*f));
			t->nold--;
			continue;
		}
		i++;
	}
	/* 2. the inode we hold: truncation, then new data */
	if (t->cur.fd >= 0) {
		int rc = check_truncation(t);
		if (rc < 0)
			err = rc;
		ssize_t n = read_fd(t, &t->cur, now_ms);
		if (n < 0)
			err = (int)n;
	}
	/* 3. what the path names now */
	struct stat st;
	if (stat(t->path, &st) < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR) {
			if (t->cur.fd >= 0)
				retire_cur(t);  /* renamed away or deleted: drain what the fd still gives */
			t->gone = 1;
			return err;
		}
		t->last_errno = e;
		return -e;
	}
	if (t->cur.fd >= 0 && (st.st_dev != t->cur.dev || st.st_ino != t->cur.ino)) {
		read_fd(t, &t->cur, now_ms);    /* the last bytes written before the switch */
		dev_t dev = t->cur.dev;
		ino_t ino = t->cur.ino;
		retire_cur(t);
		t->st.rotations++;
		if (t->between)                  /* generations rotated in between, before the new one */
			t->between(t->hook_ctx, t, dev, ino, now_ms);
		rotated = 1;
	}
	if (t->cur.fd < 0) {
		/* The path named nothing (or we never opened it: restored from state, the generations
		 * read from drain_chain), and names a new inode now: generations may have been rotated
		 * in between, after the inode we followed last. As we may see it:
		 *  1. train.log = A is renamed train.log.1; we see the path gone and drain A;
		 *  2. before our next look: B = train.log is written, renamed, C = train.log made;
		 *  3. we open C: B, between A and C, is read first. */
		const struct tm_tail_fd *last = t->nold ? &t->old[t->nold - 1] : NULL;
		dev_t dev = last ? last->dev : t->end.dev;
		ino_t ino = last ? last->ino : t->end.ino;
		if (!rotated && (last || t->end.valid) && (dev != st.st_dev || ino != st.st_ino)) {
			if (t->between)
				t->between(t->hook_ctx, t, dev, ino, now_ms);
			rotated = 1;
		}
		int rc = open_cur(t, now_ms);
		if (rc < 0) {
			t->last_errno = -rc;
			return rc;
		}
		t->st.reopen++;
		if (rotated && t->opened)
			t->opened(t->hook_ctx, t, now_ms);
		ssize_t n = read_fd(t, &t->cur, now_ms);
		if (n < 0)
			err = (int)n;
	}
	t->last_errno = err ? -err : 0;
	return err;
}

int tm_tail_resume(struct tm_tail *t, dev_t dev, ino_t ino, uint64_t off, uint64_t line,
		   const unsigned char *marker, size_t marker_len, uint64_t now_ms)
{
	return tm_tail_resume_ident(t, dev, ino, off, line, marker, marker_len, NULL, now_ms);
}

int tm_tail_resume_ident(struct tm_tail *t, dev_t dev, ino_t ino, uint64_t off, uint64_t line,
			 const unsigned char *marker, size_t marker_len, const struct tm_tail_ident *id,
			 uint64_t now_ms)
{
	if (t->cur.fd < 0) {
		int rc = open_cur(t, now_ms);
		if (rc < 0)
			return rc;
	}
	struct stat st;
	if (fstat(t->cur.fd, &st) < 0)
		return -errno;
	if (st.st_dev != dev || st.st_ino != ino || (uint64_t)st.st_size < off)
		return 1;
	unsigned char now[TM_MARKER_LEN];
	size_t n;
	struct tm_tail_ident now_id;
	if (marker_at(t->cur.fd, off, now, &n) < 0 || n != marker_len || memcmp(now, marker, n) != 0 ||
	    ident_at(t->cur.fd, off, &now_id) < 0 || (id && !ident_same(id, &now_id))) {
		t->st.truncations++;
		return 1;
	}
	if (lseek(t->cur.fd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	tm_lines_reset(&t->cur.lines, off, line);
	memcpy(t->cur.mark, marker, marker_len);   /* what the truncation check compares against */
	t->cur.markn = marker_len;
	t->cur.id = now_id;
	return 0;
}

void tm_tail_retire(struct tm_tail *t, uint64_t now_ms)
{
	if (t->cur.fd < 0)
		return;
	read_fd(t, &t->cur, now_ms);
	retire_cur(t);
	t->st.rotations++;
}

int tm_tail_start_at_end(struct tm_tail *t, uint64_t now_ms)
{
	if (t->cur.fd < 0) {
		int rc = open_cur(t, now_ms);
		if (rc < 0)
			return rc;
	}
	off_t end = lseek(t->cur.fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	tm_lines_reset(&t->cur.lines, (uint64_t)end, 0);
	t->cur.markn = 0;
	ident_start(&t->cur, (uint64_t)end);
	/* mid-line (the writer is inside a line): skip to the next '\n', never match a fragment */
	char last;
	if (end > 0 && pread(t->cur.fd, &last, 1, end - 1) == 1 && last != '\n')
		t->cur.lines.skipping = 1;
	return 0;
}

int tm_tail_drain_path(struct tm_tail *t, const char *path, uint64_t off, uint64_t line, uint64_t now_ms)
{
	struct tm_tail_fd f;
	fd_init(&f, t->cur.lines.line_max);
	f.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int rc = 0;
	if (f.fd < 0) {
		rc = -errno;
	} else if (lseek(f.fd, (off_t)off, SEEK_SET) < 0) {
		rc = -errno;
	} else {
		struct stat st;
		if (fstat(f.fd, &st) == 0) {     /* its identity, for remember_end */
			f.dev = st.st_dev;
			f.ino = st.st_ino;
		}
		tm_lines_reset(&f.lines, off, line);
		for (;;) {
			ssize_t n = read_fd(t, &f, now_ms);
			if (n <= 0) {
				rc = n < 0 ? (int)n : 0;
				break;
			}
		}
		remember_end(t, &f);
		tm_lines_finish(&f.lines, tm_feed_record, &t->feed);
	}
	fd_close(&f);
	tm_lines_release(&f.lines);
	return rc;
}

int tm_tail_adopt_path(struct tm_tail *t, const char *path, uint64_t now_ms)
{
	struct stat st;
	int fd = open_regular(path, &st);
	if (fd < 0)
		return fd;
	/* through cur, so that it is read and retired exactly as a rotated inode is */
	struct tm_tail_fd keep = t->cur;
	fd_init(&t->cur, keep.lines.line_max);
	t->cur.fd = fd;
	t->cur.dev = st.st_dev;
	t->cur.ino = st.st_ino;
	t->cur.last_growth_ms = now_ms;
	ident_start(&t->cur, 0);
	ssize_t n = read_fd(t, &t->cur, now_ms);
	retire_cur(t);
	t->cur = keep;
	return n < 0 ? (int)n : 0;
}

int tm_tail_position(const struct tm_tail *t, dev_t *dev, ino_t *ino, uint64_t *off, uint64_t *line,
		     unsigned char *marker, size_t *marker_len, struct tm_tail_ident *id)
{
	/* The oldest inode with bytes not read yet: a restart from there drains its rest and then
	 * reads every newer generation from 0 (daemon_file.c, drain_chain), so whatever the old
	 * inodes still held is read at least once after a crash. As we may be saving:
	 *  1. we follow train.log = A; it rotates twice: A -> .2, B -> .1, new C;
	 *  2. A is retired, B adopted (old[]), C is cur; B is not read to its end yet;
	 *  3. saving C's position would lose B's rest to a crash now; saving B's loses nothing.
	 * With every old inode read to its end: the current one (or, when the path names nothing,
	 * the inode it named last). */
	const struct tm_tail_fd *f = t->cur.fd >= 0 ? &t->cur : t->nold ? &t->old[t->nold - 1] : NULL;
	for (size_t i = 0; i < t->nold; i++) {
		struct stat st;
		uint64_t o, l;
		tm_lines_resume_point(&t->old[i].lines, &o, &l);
		if (fstat(t->old[i].fd, &st) == 0 && (uint64_t)st.st_size > o) {
			f = &t->old[i];
			break;
		}
	}
	struct tm_tail_end p = t->end;
	if (f)
		fd_position(f, &p);
	if (!p.valid)
		return -1;
	*dev = p.dev;
	*ino = p.ino;
	*off = p.off;
	*line = p.line;
	memcpy(marker, p.mark, p.markn);
	*marker_len = p.markn;
	*id = p.id;
	return 0;
}
