/* loop.c: epoll, a signalfd and clock-driven timers behind one tm_loop_run_once() (see loop.h).
 *
 * Timers live in an array sorted by (due, id) and bound epoll_wait's timeout, so the loop's clock
 * alone decides when they fire: a fake clock in a test moves time and a zero-timeout pass fires
 * what is due. A pass runs ready fds first, then due timers, each looked up again by id before
 * its call, so any callback may remove any fd or timer. Must not: print, sleep, or call a
 * callback for an fd or timer removed earlier in the same pass.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "trainmon/loop.h"
#include "trainmon/xalloc.h"
#include "banned.h"

static uint64_t monotonic_ms(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const struct tm_clock monotonic = { monotonic_ms, NULL };

const struct tm_clock *tm_clock_monotonic(void)
{
	return &monotonic;
}

uint64_t tm_clock_now(const struct tm_clock *c)
{
	return c->now_ms(c->ctx);
}

int tm_loop_init(struct tm_loop *l, const struct tm_clock *clock)
{
	memset(l, 0, sizeof(*l));
	l->sigfd = -1;
	l->clock = clock ? clock : &monotonic;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void tm_loop_release(struct tm_loop *l)
{
	if (l->epfd > 0)                  /* > 0: a zeroed loop owns no fd */
		close(l->epfd);
	if (l->sigfd > 0)
		close(l->sigfd);
	free(l->fds);
	free(l->timers);
	memset(l, 0, sizeof(*l));
	l->epfd = l->sigfd = -1;
}

uint64_t tm_loop_now(const struct tm_loop *l)
{
	return tm_clock_now(l->clock);
}

static struct tm_loop_fd *fd_find(struct tm_loop *l, int fd)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd)
			return &l->fds[i];
	return NULL;
}

int tm_loop_add_fd(struct tm_loop *l, int fd, uint32_t events, tm_loop_fd_fn fn, void *ctx)
{
	if (fd_find(l, fd))
		return -EEXIST;
	uint32_t id = ++l->next_fd_id;
	struct epoll_event ev = { .events = events, .data.u32 = id };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	tm_xgrow((void **)&l->fds, &l->capfds, l->nfds + 1, sizeof(*l->fds));
	l->fds[l->nfds++] = (struct tm_loop_fd){ .fd = fd, .id = id, .fn = fn, .ctx = ctx };
	return 0;
}

int tm_loop_mod_fd(struct tm_loop *l, int fd, uint32_t events)
{
	struct tm_loop_fd *f = fd_find(l, fd);
	if (!f)
		return -ENOENT;
	struct epoll_event ev = { .events = events, .data.u32 = f->id };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int tm_loop_del_fd(struct tm_loop *l, int fd)
{
	struct tm_loop_fd *f = fd_find(l, fd);
	if (!f)
		return -ENOENT;
	/* the fd may be closed already (then the kernel dropped it from the set by itself) */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*f = l->fds[--l->nfds];
	return 0;
}

/* ---- timers ---- */

static void timer_insert(struct tm_loop *l, const struct tm_loop_timer *t)
{
	tm_xgrow((void **)&l->timers, &l->captimers, l->ntimers + 1, sizeof(*l->timers));
	size_t i = l->ntimers;
	while (i > 0 && (l->timers[i - 1].due_ms > t->due_ms ||
			 (l->timers[i - 1].due_ms == t->due_ms && l->timers[i - 1].id > t->id))) {
		l->timers[i] = l->timers[i - 1];
		i--;
	}
	l->timers[i] = *t;
	l->ntimers++;
}

static int timer_take(struct tm_loop *l, uint64_t id, struct tm_loop_timer *out)
{
	for (size_t i = 0; i < l->ntimers; i++) {
		if (l->timers[i].id != id)
			continue;
		if (out)
			*out = l->timers[i];
		memmove(&l->timers[i], &l->timers[i + 1], (l->ntimers - i - 1) * sizeof(*l->timers));
		l->ntimers--;
		return 0;
	}
	return -ENOENT;
}

uint64_t tm_loop_timer_add(struct tm_loop *l, uint64_t delay_ms, uint64_t period_ms, tm_loop_timer_fn fn,
			   void *ctx)
{
	struct tm_loop_timer t = { .id = ++l->next_timer_id, .due_ms = tm_loop_now(l) + delay_ms,
				   .period_ms = period_ms, .fn = fn, .ctx = ctx };
	timer_insert(l, &t);
	return t.id;
}

int tm_loop_timer_cancel(struct tm_loop *l, uint64_t id)
{
	return timer_take(l, id, NULL);
}

int64_t tm_loop_timer_next(const struct tm_loop *l)
{
	if (!l->ntimers)
		return -1;
	uint64_t now = tm_loop_now(l);
	return l->timers[0].due_ms <= now ? 0 : (int64_t)(l->timers[0].due_ms - now);
}

/* Fires the timers due at now, in due order. Timers added by a callback wait for the next pass
 * (their ids are above last), so a callback that re-adds itself with delay 0 cannot spin here. */
static int run_timers(struct tm_loop *l, uint64_t now)
{
	uint64_t last = l->next_timer_id;
	int ran = 0;
	for (;;) {
		size_t i = 0;
		while (i < l->ntimers && l->timers[i].id > last)
			i++;
		if (i == l->ntimers || l->timers[i].due_ms > now)
			return ran;
		struct tm_loop_timer t;
		timer_take(l, l->timers[i].id, &t);
		if (t.period_ms) {
			struct tm_loop_timer next = t;
			next.due_ms = t.due_ms + t.period_ms > now ? t.due_ms + t.period_ms : now + t.period_ms;
			timer_insert(l, &next);
			last = t.id < last ? last : t.id;
		}
		t.fn(t.ctx, now);
		ran++;
	}
}

/* ---- signals ---- */

static void on_sigfd(void *ctx, int fd, uint32_t events)
{
	struct tm_loop *l = ctx;
	(void)events;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		l->on_signal(l->signal_ctx, (int)si.ssi_signo);
}

int tm_loop_signals(struct tm_loop *l, const sigset_t *set, tm_loop_signal_fn fn, void *ctx)
{
	if (l->sigfd >= 0)
		return -EBUSY;
	if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
		return -errno;
	l->sigfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		return -errno;
	l->on_signal = fn;
	l->signal_ctx = ctx;
	return tm_loop_add_fd(l, l->sigfd, EPOLLIN, on_sigfd, l);
}

/* ---- passes ---- */

static struct tm_loop_fd *fd_by_id(struct tm_loop *l, uint32_t id)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].id == id)
			return &l->fds[i];
	return NULL;
}

int tm_loop_run_once(struct tm_loop *l, int timeout_ms)
{
	int64_t next = tm_loop_timer_next(l);
	if (next >= 0 && (timeout_ms < 0 || next < timeout_ms))
		timeout_ms = next > 24 * 3600 * 1000 ? 24 * 3600 * 1000 : (int)next;
	struct epoll_event evs[16];
	int n = epoll_wait(l->epfd, evs, 16, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int ran = 0;
	for (int i = 0; i < n; i++) {
		struct tm_loop_fd *f = fd_by_id(l, evs[i].data.u32);
		if (!f)
			continue;                 /* removed by an earlier callback of this pass */
		struct tm_loop_fd copy = *f;      /* the array may move under the callback */
		copy.fn(copy.ctx, copy.fd, evs[i].events);
		ran++;
	}
	return ran + run_timers(l, tm_loop_now(l));
}

int tm_loop_run(struct tm_loop *l)
{
	l->stop = 0;
	while (!l->stop) {
		int rc = tm_loop_run_once(l, -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void tm_loop_stop(struct tm_loop *l)
{
	l->stop = 1;
}
