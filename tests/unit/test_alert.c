/* test_alert.c: alert state machines (src/alert.c) driven by hand: one fire and one resolve for
 * a low-MFU stretch (hysteresis of for_steps), failure once per kind, stall from the clock,
 * finished at train_iters, and no second firing after the state is copied (a restart). */
#include "tm_test.h"
#include "trainmon/alert.h"

struct log {
	int n;
	struct tm_alert_event e[32];
};

static void rec(void *ctx, const struct tm_alert_event *e)
{
	struct log *l = ctx;
	if (l->n < 32)
		l->e[l->n] = *e;
	l->n++;
}

static void add_step(struct tm_run *r, double step, double t)
{
	struct tm_step st;
	memset(&st, 0, sizeof(st));
	st.step = step;
	st.time_s = t;
	st.loss = NAN;
	tm_run_push_step(r, &st);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_alert_cfg c;
	tm_alert_cfg_init(&c);
	c.min_mfu = 0.40;
	c.for_steps = 3;
	c.stall_s = 60;
	struct tm_run r;
	tm_run_init(&r, "x.out", NULL, NULL);
	r.params[TM_P_TRAIN_ITERS] = 30;
	/* a summary with the constants: F per step chosen so MFU = 0.5 / t (t in s) */
	struct tm_summary s;
	memset(&s, 0, sizeof(s));
	s.model_flops_per_step.v = 0.5 * 10 * 100e12;   /* gpus 10, peak 100 TFLOP/s */
	s.gpus.v = 10;
	s.peak_tflops.v = 100;
	s.tokens_per_step.v = NAN;
	s.target_tokens.v = s.tokens_done.v = NAN;
	struct tm_alerts a;
	tm_alerts_init(&a);
	struct log l = { 0 };
	uint64_t now = 1000;
	/* steps 1-5 at MFU 0.5, 6-10 at 0.25 (2 s), 11-15 back at 0.5 */
	for (int i = 1; i <= 15; i++) {
		add_step(&r, i, i >= 6 && i <= 10 ? 2.0 : 1.0);
		tm_alerts_update(&a, &c, &r, &s, now += 1000, rec, &l);
	}
	TM_CHECK(&st, l.n == 2);
	TM_CHECK(&st, l.e[0].kind == TM_AL_LOW_MFU && l.e[0].firing == 1);
	TM_NEAR(&st, l.e[0].value, 0.25, 1e-12);
	TM_CHECK(&st, l.e[1].kind == TM_AL_LOW_MFU && l.e[1].firing == 0);
	TM_CHECK(&st, strstr(l.e[0].message, "step 8") != NULL);   /* third step below: 6, 7, 8 */
	TM_CHECK(&st, strstr(l.e[1].message, "step 13") != NULL);  /* third step above: 11, 12, 13 */

	/* stall: nothing for 59 s, then 60 s */
	tm_alerts_tick(&a, &c, &r, &s, now + 59000, rec, &l);
	TM_CHECK(&st, l.n == 2);
	tm_alerts_tick(&a, &c, &r, &s, now + 60000, rec, &l);
	TM_CHECK(&st, l.n == 3 && l.e[2].kind == TM_AL_STALL && l.e[2].firing);
	tm_alerts_tick(&a, &c, &r, &s, now + 90000, rec, &l);
	TM_CHECK(&st, l.n == 3);                                   /* fires once */
	add_step(&r, 16, 1.0);
	tm_alerts_update(&a, &c, &r, &s, now += 100000, rec, &l);
	TM_CHECK(&st, l.n == 4 && l.e[3].kind == TM_AL_STALL && !l.e[3].firing);

	/* failure: once per kind, however many lines */
	tm_run_event(&r, 100, TM_EV_NCCL_TIMEOUT, TM_EVS_CRITICAL, "Watchdog caught", 15);
	tm_run_event(&r, 101, TM_EV_NCCL_TIMEOUT, TM_EVS_CRITICAL, "Watchdog caught", 15);
	tm_alerts_update(&a, &c, &r, &s, now += 1000, rec, &l);
	TM_CHECK(&st, l.n == 5 && l.e[4].kind == TM_AL_FAILURE && l.e[4].event_kind == TM_EV_NCCL_TIMEOUT);
	tm_run_event(&r, 102, TM_EV_NCCL_TIMEOUT, TM_EVS_CRITICAL, "Watchdog caught", 15);
	tm_alerts_update(&a, &c, &r, &s, now += 1000, rec, &l);
	TM_CHECK(&st, l.n == 5);
	/* info events (skipped steps) raise nothing */
	tm_run_event(&r, 103, TM_EV_SKIPPED_STEP, TM_EVS_INFO, "skipped", 7);
	tm_alerts_update(&a, &c, &r, &s, now += 1000, rec, &l);
	TM_CHECK(&st, l.n == 5);
	/* a clean end is no failure, whatever the minimum severity */
	c.failure_min = TM_EVS_INFO;
	tm_run_event(&r, 104, TM_EV_TRAINING_DONE, TM_EVS_INFO, "Training completed", 18);
	tm_alerts_update(&a, &c, &r, &s, now += 1000, rec, &l);
	TM_CHECK(&st, l.n == 5);
	c.failure_min = TM_EVS_ERROR;

	/* a restart: the saved state (a copy) says all this happened: nothing fires again */
	struct tm_alerts b = a;
	tm_alerts_update(&b, &c, &r, &s, now += 1000, rec, &l);
	TM_CHECK(&st, l.n == 5);

	/* finished at train_iters (30); ended is then not raised by a later Slurm line */
	for (int i = 17; i <= 30; i++)
		add_step(&r, i, 1.0);
	tm_alerts_update(&b, &c, &r, &s, now += 1000, rec, &l);
	TM_CHECK(&st, l.n == 6 && l.e[5].kind == TM_AL_FINISHED);
	tm_run_event(&r, 200, TM_EV_SLURM_CANCELLED, TM_EVS_CRITICAL, "CANCELLED", 9);
	tm_alerts_update(&b, &c, &r, &s, now += 1000, rec, &l);
	TM_CHECK(&st, l.n == 7 && l.e[6].kind == TM_AL_FAILURE);
	TM_CHECK(&st, tm_alerts_run_over(&b));
	tm_alerts_release(&b);              /* a's rings too: b is a copy, it shares them */
	tm_run_release(&r);
	return tm_test_done(&st, "test_alert");
}
