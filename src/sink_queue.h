/* sink_queue.h: one output of the watch daemon (--jsonl FILE, or stdout) as a bounded queue of
 * whole records in front of a descriptor that is never allowed to block the loop.
 *
 * Pipes, FIFOs and sockets are made O_NONBLOCK: when the reader lags, the fd is watched for
 * EPOLLOUT and the queue absorbs up to max_bytes; when full, the OLDEST whole records are dropped
 * (a monitoring stream is worth most for its newest alerts and summaries; a record partly written
 * to a pipe is always finished first). A regular file gets each record in one write(); a short or
 * failed write (ENOSPC, EDQUOT, EIO) is cut back with ftruncate, so the file never holds half a
 * record, and the record stays queued for a retry on the tick. A FIFO whose reader went away
 * (EPIPE) is reopened on the tick (ENXIO while there is no reader). Nothing here prints: the
 * counters and last_err are for the caller (sinks.c) to report.
 */
#ifndef TRAINMON_SINK_QUEUE_H
#define TRAINMON_SINK_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/loop.h"

enum tm_sink_queue_kind {
	TM_SQ_STREAM = 1,           /* pipe, FIFO, socket: O_NONBLOCK, EPOLLOUT when full */
	TM_SQ_FILE,                 /* regular file: one write() per record, cut back on a short one */
	TM_SQ_OTHER,                /* terminal or other device: plain writes */
};

struct tm_sink_queue_rec {
	char *p;                    /* owned */
	size_t len;                 /* bytes, '\n' included */
};

struct tm_sink_queue {
	const char *name;           /* borrowed, static: the metrics label ("jsonl", "stdout") */
	const char *path;           /* borrowed from the config; NULL for stdout */
	struct tm_loop *loop;       /* borrowed; outlives the queue */
	int fd;                     /* owned unless path is NULL (stdout); -1 while closed */
	enum tm_sink_queue_kind kind;
	int fifo;                   /* path names a FIFO: reopened when a reader comes back */
	int dead;                   /* stdout's reader went away: records are dropped at once */
	int watching;               /* fd registered in loop for EPOLLOUT */
	int saved_flags;            /* std_fd's fcntl flags before O_NONBLOCK, restored; -1 none */
	int std_fd;                 /* stdout or stderr when path is NULL (not owned) */
	struct tm_sink_queue_rec *q; /* owned ring of cap records from head */
	size_t head, n, cap;
	size_t sent;                /* bytes of q[head] already written (streams only) */
	size_t bytes, max_bytes;    /* bytes queued, and the cap */
	uint64_t written, dropped, dropped_bytes, errors;
	int last_err;               /* errno of the failing write or open, 0 while writes work */
};

/* path "-" or NULL: stdout. max_bytes: the queue's cap. Returns 0 or -errno when the path cannot
 * be opened (a FIFO without a reader is not an error: it is opened on a later tick). */
int tm_sink_queue_open(struct tm_sink_queue *sq, const char *name, const char *path, size_t max_bytes,
		       struct tm_loop *loop);
/* The same on a standard stream (STDOUT_FILENO, or STDERR_FILENO for the daemon's notes): not
 * owned; a pipe's flags are restored at release. Returns 0. */
int tm_sink_queue_open_std(struct tm_sink_queue *sq, const char *name, int fd, size_t max_bytes,
			   struct tm_loop *loop);
/* Queues one whole record (ownership of p moves here) and writes what can be written now. */
void tm_sink_queue_push(struct tm_sink_queue *sq, char *p, size_t len);
/* The tick: reopens a FIFO, retries a regular file after a failed write. */
void tm_sink_queue_tick(struct tm_sink_queue *sq);
/* At exit: writes for at most timeout_ms (ms, CLOCK_MONOTONIC, may block in poll). Returns the
 * records still queued, which then count as dropped. */
size_t tm_sink_queue_drain(struct tm_sink_queue *sq, uint64_t timeout_ms);
/* Frees the queue, closes the fd (not stdout's, whose flags are restored). Zeroed: a no-op. */
void tm_sink_queue_release(struct tm_sink_queue *sq);

#endif
