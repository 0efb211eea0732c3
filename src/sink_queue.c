/* sink_queue.c: a bounded queue of whole records in front of a descriptor that never blocks the
 * loop (see sink_queue.h for the policy: oldest records dropped when full, one write() per record
 * to a regular file and a short one cut back with ftruncate, FIFOs reopened after EPIPE).
 *
 * Key decision: a record is dropped or written whole, never split across readers or left half in
 * a file. Must not: print, sleep (except tm_sink_queue_drain at exit), or write() to a stream
 * that has not been made O_NONBLOCK.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink_queue.h"
#include "trainmon/xalloc.h"
#include "banned.h"

static void set_err(struct tm_sink_queue *sq, int e)
{
	if (e && e != sq->last_err)
		sq->errors++;           /* a failure that persists over retries counts once */
	sq->last_err = e;
}

static void watch_out(struct tm_sink_queue *sq, int on);

static void close_fd(struct tm_sink_queue *sq)
{
	watch_out(sq, 0);
	if (sq->path && sq->fd >= 0)
		close(sq->fd);
	sq->fd = -1;
}

static void drop_at(struct tm_sink_queue *sq, size_t i)   /* i: 0 (head) or 1 */
{
	size_t a = sq->head % sq->cap, b = (sq->head + i) % sq->cap;
	sq->dropped++;
	sq->dropped_bytes += sq->q[b].len;
	sq->bytes -= sq->q[b].len;
	free(sq->q[b].p);
	if (i)
		sq->q[b] = sq->q[a];    /* keep the partly written head in front */
	else
		sq->sent = 0;
	sq->head = (sq->head + 1) % sq->cap;
	sq->n--;
}

static void pop_written(struct tm_sink_queue *sq)
{
	struct tm_sink_queue_rec *r = &sq->q[sq->head];
	sq->bytes -= r->len;
	free(r->p);
	sq->head = (sq->head + 1) % sq->cap;
	sq->n--;
	sq->sent = 0;
	sq->written++;
}

/* Writes queued records until done or the fd would block. */
static void flush(struct tm_sink_queue *sq)
{
	while (sq->n && sq->fd >= 0) {
		struct tm_sink_queue_rec *r = &sq->q[sq->head];
		ssize_t k = write(sq->fd, r->p + sq->sent, r->len - sq->sent);
		if (k >= 0 && (size_t)k == r->len - sq->sent) {
			pop_written(sq);
			set_err(sq, 0);
			continue;
		}
		if (k >= 0 && sq->kind != TM_SQ_FILE) {
			sq->sent += (size_t)k;  /* a stream takes the rest later */
			continue;
		}
		int e = k >= 0 ? ENOSPC : errno; /* a short write to a file: out of space or quota */
		if (k < 0 && e == EINTR)
			continue;
		if (k > 0) {                     /* cut the half record back off */
			off_t end = lseek(sq->fd, 0, SEEK_CUR);
			if (end >= k && ftruncate(sq->fd, end - k) == 0)
				lseek(sq->fd, end - k, SEEK_SET);
		}
		if (e == EAGAIN || e == EWOULDBLOCK) {
			watch_out(sq, 1);
			return;
		}
		set_err(sq, e);
		if (e == EPIPE) {                /* the reader went away: what it missed of q[head] is lost */
			if (sq->sent)
				drop_at(sq, 0);
			close_fd(sq);
			if (!sq->fifo)
				sq->dead = 1;
			while (sq->dead && sq->n)
				drop_at(sq, 0);
		}
		return;                          /* other errors: retried on the tick */
	}
	if (!sq->n)
		watch_out(sq, 0);
}

static void on_writable(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	flush(ctx);
}

static void watch_out(struct tm_sink_queue *sq, int on)
{
	if (on == sq->watching || !sq->loop || sq->fd < 0)
		return;
	if (on ? tm_loop_add_fd(sq->loop, sq->fd, EPOLLOUT, on_writable, sq) == 0
	       : tm_loop_del_fd(sq->loop, sq->fd) == 0)
		sq->watching = on;
}

/* Opens (or reopens) the path. 0, or -errno; ENXIO for a FIFO without a reader. */
static int open_path(struct tm_sink_queue *sq)
{
	struct stat st;
	sq->fifo = stat(sq->path, &st) == 0 && S_ISFIFO(st.st_mode);
	int fd = open(sq->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		sq->kind = TM_SQ_FILE;
	} else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		sq->kind = TM_SQ_STREAM;
	} else {                                 /* a device: back to blocking writes */
		sq->kind = TM_SQ_OTHER;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	}
	sq->fd = fd;
	sq->dead = 0;
	return 0;
}

static void init(struct tm_sink_queue *sq, const char *name, size_t max_bytes, struct tm_loop *loop)
{
	memset(sq, 0, sizeof(*sq));
	sq->name = name;
	sq->loop = loop;
	sq->max_bytes = max_bytes;
	sq->saved_flags = -1;
	sq->fd = sq->std_fd = -1;
	sq->cap = 64;
	sq->q = tm_xcalloc(sq->cap, sizeof(*sq->q));
}

int tm_sink_queue_open(struct tm_sink_queue *sq, const char *name, const char *path, size_t max_bytes,
		       struct tm_loop *loop)
{
	if (!path || strcmp(path, "-") == 0)
		return tm_sink_queue_open_std(sq, name, STDOUT_FILENO, max_bytes, loop);
	init(sq, name, max_bytes, loop);
	sq->path = path;
	int rc = open_path(sq);
	if (rc == -ENXIO && sq->fifo) {  /* no reader yet: queue, open on a tick */
		set_err(sq, ENXIO);
		return 0;
	}
	return rc;
}

int tm_sink_queue_open_std(struct tm_sink_queue *sq, const char *name, int fd, size_t max_bytes,
			   struct tm_loop *loop)
{
	init(sq, name, max_bytes, loop);
	struct stat st;
	sq->fd = sq->std_fd = fd;
	sq->kind = TM_SQ_OTHER;
	if (fstat(sq->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		sq->kind = TM_SQ_FILE;
	} else if (fstat(sq->fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		sq->kind = TM_SQ_STREAM;
		sq->saved_flags = fcntl(sq->fd, F_GETFL);
		if (sq->saved_flags >= 0)
			fcntl(sq->fd, F_SETFL, sq->saved_flags | O_NONBLOCK);
	}
	return 0;
}

void tm_sink_queue_push(struct tm_sink_queue *sq, char *p, size_t len)
{
	if (sq->n == sq->cap) {                  /* grow the ring, unrolled from head */
		struct tm_sink_queue_rec *q = tm_xcalloc(sq->cap * 2, sizeof(*q));
		for (size_t i = 0; i < sq->n; i++)
			q[i] = sq->q[(sq->head + i) % sq->cap];
		free(sq->q);
		sq->q = q;
		sq->head = 0;
		sq->cap *= 2;
	}
	sq->q[(sq->head + sq->n) % sq->cap] = (struct tm_sink_queue_rec){ p, len };
	sq->n++;
	sq->bytes += len;
	/* over the cap: the oldest whole records go, never the partly written head */
	while (sq->n > (sq->sent ? 1u : 0u) && (sq->bytes > sq->max_bytes || sq->dead))
		drop_at(sq, sq->sent ? 1 : 0);
	/* a blocked stream waits for EPOLLOUT, a failing file for the tick */
	if (!sq->watching && !(sq->kind == TM_SQ_FILE && sq->last_err))
		flush(sq);
}

void tm_sink_queue_tick(struct tm_sink_queue *sq)
{
	if (sq->fd < 0 && sq->path && sq->fifo && !sq->dead) {
		int rc = open_path(sq);
		if (rc < 0)
			set_err(sq, -rc);
	}
	if (!sq->watching)
		flush(sq);
}

static uint64_t mono_ms(void)
{
	return tm_clock_now(tm_clock_monotonic());
}

size_t tm_sink_queue_drain(struct tm_sink_queue *sq, uint64_t timeout_ms)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	if (sq->fd < 0 && sq->fifo && !sq->dead)
		(void)open_path(sq);             /* a reader may have come back */
	watch_out(sq, 0);
	sq->loop = NULL;                         /* the loop is over: poll() here instead */
	for (;;) {
		flush(sq);
		uint64_t now = mono_ms();
		if (!sq->n || sq->fd < 0 || now >= deadline)
			break;
		if (sq->kind == TM_SQ_STREAM) {
			struct pollfd pfd = { .fd = sq->fd, .events = POLLOUT };
			poll(&pfd, 1, (int)(deadline - now < 100 ? deadline - now : 100));
		} else {
			poll(NULL, 0, 100);      /* a full disk: retry every 100 ms */
		}
	}
	size_t left = sq->n;
	while (sq->n)
		drop_at(sq, 0);
	return left;
}

void tm_sink_queue_release(struct tm_sink_queue *sq)
{
	if (!sq->q)
		return;
	while (sq->n)
		drop_at(sq, 0);
	close_fd(sq);
	if (sq->saved_flags >= 0)
		fcntl(sq->std_fd, F_SETFL, sq->saved_flags);
	free(sq->q);
	memset(sq, 0, sizeof(*sq));
	sq->fd = -1;
}
