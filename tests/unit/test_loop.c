/* test_loop.c: the event loop (src/loop.c) on a fake clock: timers fire in due order and only
 * when due, periodic timers keep their period and do not burst after a jump, cancel works from
 * inside a callback, fd callbacks see a pipe's data, removing an fd inside a callback drops its
 * pending event, signals arrive through the signalfd; and the stall alert driven by a loop tick
 * over fake time. No test sleeps: time moves by hand and passes use timeout 0. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tm_test.h"
#include "trainmon/alert.h"
#include "trainmon/loop.h"

struct fake_clock {
	uint64_t now;           /* ms */
};

static uint64_t fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

struct trace {
	char log[256];          /* one letter per callback, in call order */
	size_t n;
	struct tm_loop *loop;
	uint64_t cancel_id;     /* cancelled by the 'c' timer */
	int del_fd[2];          /* both removed by whichever remover runs first */
};

static void mark(struct trace *t, char c)
{
	if (t->n + 1 < sizeof(t->log))
		t->log[t->n++] = c, t->log[t->n] = '\0';
}

static void timer_a(void *ctx, uint64_t now) { (void)now; mark(ctx, 'a'); }
static void timer_b(void *ctx, uint64_t now) { (void)now; mark(ctx, 'b'); }
static void timer_p(void *ctx, uint64_t now) { (void)now; mark(ctx, 'p'); }

static void timer_c(void *ctx, uint64_t now)
{
	struct trace *t = ctx;
	(void)now;
	mark(t, 'c');
	tm_loop_timer_cancel(t->loop, t->cancel_id);
}

static void fd_read(void *ctx, int fd, uint32_t events)
{
	struct trace *t = ctx;
	char buf[16];
	ssize_t n = read(fd, buf, sizeof(buf));
	mark(t, (events & EPOLLIN) && n > 0 ? buf[0] : '?');
}

static void fd_remover(void *ctx, int fd, uint32_t events)
{
	struct trace *t = ctx;
	(void)events;
	char buf[16];
	if (read(fd, buf, sizeof(buf)) > 0)
		mark(t, 'r');
	tm_loop_del_fd(t->loop, t->del_fd[0]);
	tm_loop_del_fd(t->loop, t->del_fd[1]);
}

static void on_signal(void *ctx, int signo)
{
	mark(ctx, signo == SIGUSR2 ? 's' : '?');
}

static void test_timers(struct tm_test_state *st)
{
	struct fake_clock fc = { 1000 };
	struct tm_clock clock = { fake_now, &fc };
	struct tm_loop l;
	TM_CHECK(st, tm_loop_init(&l, &clock) == 0);
	struct trace t = { .loop = &l };
	tm_loop_timer_add(&l, 300, 0, timer_b, &t);
	tm_loop_timer_add(&l, 100, 0, timer_a, &t);
	tm_loop_timer_add(&l, 250, 250, timer_p, &t);
	TM_CHECK(st, tm_loop_timer_next(&l) == 100);
	TM_CHECK(st, tm_loop_run_once(&l, 0) == 0);          /* nothing due yet */
	TM_STREQ(st, t.log, "");
	fc.now += 99;
	tm_loop_run_once(&l, 0);
	TM_STREQ(st, t.log, "");
	fc.now += 1;                                          /* 100: a */
	TM_CHECK(st, tm_loop_run_once(&l, 0) == 1);
	TM_STREQ(st, t.log, "a");
	fc.now += 200;                                        /* 300: p (due 250) before b (due 300) */
	TM_CHECK(st, tm_loop_run_once(&l, 0) == 2);
	TM_STREQ(st, t.log, "apb");
	fc.now += 200;                                        /* 500: p's second period */
	tm_loop_run_once(&l, 0);
	TM_STREQ(st, t.log, "apbp");
	fc.now += 10000;                                      /* far behind: one firing, no burst */
	tm_loop_run_once(&l, 0);
	TM_STREQ(st, t.log, "apbpp");
	TM_CHECK(st, tm_loop_timer_next(&l) == 250);          /* rescheduled from now */
	tm_loop_run_once(&l, 0);
	TM_STREQ(st, t.log, "apbpp");

	/* a callback cancels a timer due in the same pass, and its own one-shot id is gone */
	t.n = 0;
	t.log[0] = '\0';
	uint64_t c = tm_loop_timer_add(&l, 10, 0, timer_c, &t);
	t.cancel_id = tm_loop_timer_add(&l, 20, 0, timer_a, &t);
	fc.now += 30;
	tm_loop_run_once(&l, 0);
	TM_STREQ(st, t.log, "c");
	TM_CHECK(st, tm_loop_timer_cancel(&l, c) == -ENOENT);
	TM_CHECK(st, tm_loop_timer_cancel(&l, t.cancel_id) == -ENOENT);
	tm_loop_release(&l);
}

static void test_fds(struct tm_test_state *st)
{
	struct fake_clock fc = { 0 };
	struct tm_clock clock = { fake_now, &fc };
	struct tm_loop l;
	TM_CHECK(st, tm_loop_init(&l, &clock) == 0);
	struct trace t = { .loop = &l };
	int p1[2], p2[2];
	TM_CHECK(st, pipe2(p1, O_NONBLOCK) == 0 && pipe2(p2, O_NONBLOCK) == 0);
	TM_CHECK(st, tm_loop_add_fd(&l, p1[0], EPOLLIN, fd_read, &t) == 0);
	TM_CHECK(st, tm_loop_add_fd(&l, p1[0], EPOLLIN, fd_read, &t) == -EEXIST);
	TM_CHECK(st, tm_loop_run_once(&l, 0) == 0);
	TM_CHECK(st, write(p1[1], "x", 1) == 1);
	TM_CHECK(st, tm_loop_run_once(&l, 0) == 1);
	TM_STREQ(st, t.log, "x");
	TM_CHECK(st, tm_loop_run_once(&l, 0) == 0);          /* drained: level-triggered, quiet */

	/* both pipes ready in one pass; whichever runs first removes both: one call only */
	TM_CHECK(st, tm_loop_del_fd(&l, p1[0]) == 0);
	TM_CHECK(st, tm_loop_del_fd(&l, p1[0]) == -ENOENT);
	TM_CHECK(st, tm_loop_add_fd(&l, p1[0], EPOLLIN, fd_remover, &t) == 0);
	TM_CHECK(st, tm_loop_add_fd(&l, p2[0], EPOLLIN, fd_remover, &t) == 0);
	t.n = 0;
	t.log[0] = '\0';
	TM_CHECK(st, write(p1[1], "y", 1) == 1 && write(p2[1], "z", 1) == 1);
	t.del_fd[0] = p1[0];
	t.del_fd[1] = p2[0];
	TM_CHECK(st, tm_loop_run_once(&l, 0) == 1);
	TM_STREQ(st, t.log, "r");
	TM_CHECK(st, l.nfds == 0);

	/* signals through the signalfd */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	TM_CHECK(st, tm_loop_signals(&l, &set, on_signal, &t) == 0);
	TM_CHECK(st, tm_loop_signals(&l, &set, on_signal, &t) == -EBUSY);
	raise(SIGUSR2);
	tm_loop_run_once(&l, 0);
	TM_STREQ(st, t.log, "rs");
	tm_loop_release(&l);
	close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
}

/* ---- the stall alert over fake time, ticked by the loop as the daemon does ---- */

struct stall_ctx {
	struct tm_alerts a;
	struct tm_alert_cfg c;
	struct tm_run r;
	struct tm_summary s;
	int fired, resolved;
};

static void on_alert(void *ctx, const struct tm_alert_event *e)
{
	struct stall_ctx *x = ctx;
	if (e->kind == TM_AL_STALL)
		*(e->firing ? &x->fired : &x->resolved) += 1;
}

static void stall_tick(void *ctx, uint64_t now)
{
	struct stall_ctx *x = ctx;
	tm_alerts_tick(&x->a, &x->c, &x->r, &x->s, now, on_alert, x);
}

static void add_step(struct tm_run *r, double step)
{
	struct tm_step st;
	memset(&st, 0, sizeof(st));
	st.step = step;
	st.time_s = 1.0;
	st.loss = NAN;
	tm_run_push_step(r, &st);
}

static void test_stall(struct tm_test_state *st)
{
	struct fake_clock fc = { 5000 };
	struct tm_clock clock = { fake_now, &fc };
	struct tm_loop l;
	TM_CHECK(st, tm_loop_init(&l, &clock) == 0);
	struct stall_ctx x;
	memset(&x, 0, sizeof(x));
	tm_alert_cfg_init(&x.c);
	x.c.stall_s = 60;
	tm_run_init(&x.r, "x.out", NULL, NULL);
	x.s.tokens_per_step.v = x.s.target_tokens.v = x.s.tokens_done.v = NAN;
	x.s.model_flops_per_step.v = x.s.gpus.v = x.s.peak_tflops.v = NAN;
	tm_alerts_init(&x.a);
	tm_loop_timer_add(&l, 1000, 1000, stall_tick, &x);
	add_step(&x.r, 1);
	tm_alerts_update(&x.a, &x.c, &x.r, &x.s, tm_loop_now(&l), on_alert, &x);
	/* 59 ticks of 1 s: quiet; the 60th: stall fires, once */
	for (int i = 0; i < 59; i++) {
		fc.now += 1000;
		tm_loop_run_once(&l, 0);
	}
	TM_CHECK(st, x.fired == 0);
	fc.now += 1000;
	tm_loop_run_once(&l, 0);
	TM_CHECK(st, x.fired == 1);
	for (int i = 0; i < 30; i++) {
		fc.now += 1000;
		tm_loop_run_once(&l, 0);
	}
	TM_CHECK(st, x.fired == 1 && x.resolved == 0);
	/* a new step resolves it */
	add_step(&x.r, 2);
	tm_alerts_update(&x.a, &x.c, &x.r, &x.s, tm_loop_now(&l), on_alert, &x);
	TM_CHECK(st, x.resolved == 1);
	tm_alerts_release(&x.a);
	tm_run_release(&x.r);
	tm_loop_release(&l);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	test_timers(&st);
	test_fds(&st);
	test_stall(&st);
	return tm_test_done(&st, "test_loop");
}
