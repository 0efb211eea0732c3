/* loop.h: the event loop of `trainmon watch`: one epoll set, a callback per fd, timers, signals
 * through a signalfd, and an injectable clock.
 *
 * Timers are kept in an array sorted by due time and drive epoll_wait's timeout, so they need no
 * fd of their own; their due times come from the loop's clock only. With a fake clock a test
 * moves time by hand and calls tm_loop_run_once(loop, 0): every timer due by then fires, in due
 * order, without a sleep. Callbacks may add or remove fds and timers, their own included. Errors
 * are -errno; the loop never prints.
 */
#ifndef TRAINMON_LOOP_H
#define TRAINMON_LOOP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct tm_clock {
	uint64_t (*now_ms)(void *ctx);  /* ms; must never go backwards */
	void *ctx;                      /* borrowed; passed to now_ms */
};

/* CLOCK_MONOTONIC in ms (a static object; ctx unused). */
const struct tm_clock *tm_clock_monotonic(void);
uint64_t tm_clock_now(const struct tm_clock *c);

/* fd callback: events are EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP as epoll reported them. */
typedef void (*tm_loop_fd_fn)(void *ctx, int fd, uint32_t events);
/* timer callback: now_ms is the loop clock when the pass started. */
typedef void (*tm_loop_timer_fn)(void *ctx, uint64_t now_ms);
typedef void (*tm_loop_signal_fn)(void *ctx, int signo);

struct tm_loop_fd {                 /* one registered fd */
	int fd;                     /* borrowed: the caller closes it after tm_loop_del_fd() */
	uint32_t id;                /* epoll's data: a stale event after a removal matches nothing */
	tm_loop_fd_fn fn;
	void *ctx;                  /* borrowed */
};

struct tm_loop_timer {
	uint64_t id;                /* > 0, unique for the loop's lifetime */
	uint64_t due_ms;            /* ms on the loop clock */
	uint64_t period_ms;         /* 0: one-shot */
	tm_loop_timer_fn fn;
	void *ctx;                  /* borrowed */
};

struct tm_loop {
	int epfd;                   /* owned */
	int sigfd;                  /* owned, -1 until tm_loop_signals() */
	const struct tm_clock *clock; /* borrowed; outlives the loop */
	struct tm_loop_fd *fds;     /* owned, unordered */
	size_t nfds, capfds;
	struct tm_loop_timer *timers; /* owned, sorted by (due_ms, id) */
	size_t ntimers, captimers;
	uint32_t next_fd_id;
	uint64_t next_timer_id;
	tm_loop_signal_fn on_signal;
	void *signal_ctx;           /* borrowed */
	int stop;                   /* set by tm_loop_stop(): tm_loop_run() returns */
};

/* clock NULL: tm_clock_monotonic(). Returns 0 or -errno (the loop is then released). */
int tm_loop_init(struct tm_loop *l, const struct tm_clock *clock);
/* Closes the epoll fd and the signalfd (not the registered fds). A zeroed loop is a no-op. */
void tm_loop_release(struct tm_loop *l);

uint64_t tm_loop_now(const struct tm_loop *l);

/* events: EPOLLIN and/or EPOLLOUT (level-triggered). -EEXIST when fd is registered already. */
int tm_loop_add_fd(struct tm_loop *l, int fd, uint32_t events, tm_loop_fd_fn fn, void *ctx);
int tm_loop_mod_fd(struct tm_loop *l, int fd, uint32_t events);
/* Safe inside any callback, fd's own included: a pending event for fd is dropped. -ENOENT when
 * fd is not registered. */
int tm_loop_del_fd(struct tm_loop *l, int fd);

/* Fires after delay_ms, then every period_ms (0: once). Returns the timer's id (> 0). A
 * periodic timer that falls behind fires once and is rescheduled from now: no bursts. */
uint64_t tm_loop_timer_add(struct tm_loop *l, uint64_t delay_ms, uint64_t period_ms, tm_loop_timer_fn fn,
			   void *ctx);
/* Returns 0, or -ENOENT for an unknown (or fired one-shot) id. Safe inside any callback. */
int tm_loop_timer_cancel(struct tm_loop *l, uint64_t id);
/* ms until the next timer is due on the loop clock (0 if overdue), or -1 with no timers. */
int64_t tm_loop_timer_next(const struct tm_loop *l);

/* Blocks the signals of set and delivers them through a signalfd to fn, one call per signal.
 * Call once. Returns 0 or -errno. */
int tm_loop_signals(struct tm_loop *l, const sigset_t *set, tm_loop_signal_fn fn, void *ctx);

/* One pass: waits for fds up to timeout_ms (-1: until an fd or the next timer), shortened to the
 * next timer's due time; runs the ready fds' callbacks, then every timer due by the clock.
 * Returns the number of callbacks run, or -errno of epoll_wait (EINTR counts as 0). */
int tm_loop_run_once(struct tm_loop *l, int timeout_ms);
/* Runs passes until tm_loop_stop(). Returns 0 or -errno of a failed pass. */
int tm_loop_run(struct tm_loop *l);
void tm_loop_stop(struct tm_loop *l);

#endif
