/* test_anomaly.c: the anomaly detectors on runs made here with fixed seeds (anomaly.h):
 *  - 20 000 steps at 2.00 s with 1 % noise moving to 2.16 s at step 12 000: exactly one
 *    step_time_regression, its change point within one window of 12 000, magnitude 8 % +- 1 %,
 *    and two regimes with their own medians; the same run with no shift, ten seeds: none;
 *  - a save every 1000 steps that adds 30 s: outliers (with the event logged before the step as
 *    their cause), no regression, one regime;
 *  - loss decaying from 10 to 3 over 50 000 steps with 1 % noise and a 4x value at step 30 000:
 *    exactly one loss_spike, at 30 000; ten seeds with no spike: none; a loss that stays high
 *    after the spike: a divergence.
 * Noise is Gaussian from a xorshift generator and Box-Muller, so every run is the same. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tm_test.h"
#include "tm_test_anomaly.h"
#include "trainmon/anomaly.h"

/* Steps 1..n at base seconds (shift from step `at` on, 0 = none), relative noise `noise`. */
static void make_steps(struct tm_run *r, size_t n, double base, double shifted, size_t at, double noise, uint64_t seed)
{
	uint64_t s = seed * 2654435761u + 88172645463325252ull;
	for (size_t i = 1; i <= n; i++) {
		struct tm_step stv, *st = &stv;
		memset(st, 0, sizeof(*st));
		double level = at && i >= at ? shifted : base;
		st->step = (double)i;
		st->time_s = level * (1 + noise * tm_test_gauss(&s));
		st->loss = NAN;
		st->line = (uint32_t)(2 * i);
		tm_run_push_step(r, st);
	}
}

/* The streaming detector (watch's) over the same steps from record `from`: up-shifts, the step
 * of the first one in *at. */
static size_t stream_ups(const struct tm_run *r, size_t from, const struct tm_anomaly_cfg *cfg, double *at)
{
	struct tm_regress_det d;
	tm_regress_init(&d);
	size_t ups = 0;
	*at = NAN;
	for (size_t i = from; i < r->nsteps; i++)
		if (tm_regress_feed(&d, cfg, tm_run_stepf(r, i, TM_SF_STEP), tm_run_stepf(r, i, TM_SF_TIME_S)) & TM_REG_UP)
			if (ups++ == 0)
				*at = d.shift_step;
	tm_regress_release(&d);
	return ups;
}

static const struct tm_anomaly *first_of(const struct tm_anomalies *a, enum tm_anomaly_kind k)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == k)
			return &a->v[i];
	return NULL;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_anomaly_cfg cfg;
	struct tm_anomalies a;
	tm_test_anomaly_setup(&cfg, &a);

	/* a level shift of +8 % at step 12 000 */
	{
		struct tm_run r;
		tm_run_init(&r, "shift", NULL, NULL);
		make_steps(&r, 20000, 2.00, 2.16, 12000, 0.01, 1);
		tm_anomalies_find(&a, &r, 10, &cfg);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_STEP_TIME_REGRESSION) == 1);
		const struct tm_anomaly *g = first_of(&a, TM_AN_STEP_TIME_REGRESSION);
		TM_CHECK(&st, g && fabs(g->first_step - 12000) <= (double)cfg.window);
		TM_NEAR(&st, g ? g->magnitude : NAN, 0.08, 0.125);          /* 8 % +- 1 % */
		TM_CHECK(&st, g && g->last_step == 20000);
		TM_CHECK(&st, a.nregimes == 2);
		double at;
		TM_CHECK(&st, stream_ups(&r, 10, &cfg, &at) == 1 && g && at == g->first_step);
		TM_NEAR(&st, a.nregimes == 2 ? a.regimes[0].median : NAN, 2.00, 0.005);
		TM_NEAR(&st, a.nregimes == 2 ? a.regimes[1].median : NAN, 2.16, 0.005);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_STEP_TIME_OUTLIER) == 0);
		tm_run_release(&r);
	}
	/* no shift, ten seeds: no regression, one regime; the ideal step time is near the median */
	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct tm_run r;
		tm_run_init(&r, "flat", NULL, NULL);
		make_steps(&r, 20000, 2.00, 0, 0, 0.01, seed + 100);
		tm_anomalies_find(&a, &r, 10, &cfg);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_STEP_TIME_REGRESSION) == 0);
		TM_CHECK(&st, a.nregimes == 1);
		TM_NEAR(&st, a.ideal_step_time, 2.00, 0.005);
		double at;
		TM_CHECK(&st, stream_ups(&r, 10, &cfg, &at) == 0);
		tm_run_release(&r);
	}
	/* a save every 1000 steps adds 30 s to the step after it: outliers with their cause */
	{
		struct tm_run r;
		tm_run_init(&r, "checkpoints", NULL, NULL);
		make_steps(&r, 20000, 2.00, 0, 0, 0.01, 7);
		for (size_t i = 1000; i < 20000; i += 1000) {
			tm_steps_set(&r.steps, i, TM_SF_TIME_S, tm_run_stepf(&r, i, TM_SF_TIME_S) + 30);   /* step i+1 (index i) */
			tm_run_event(&r, tm_run_stepline(&r, i) - 1, TM_EV_SKIPPED_STEP, TM_EVS_WARNING, "save", 4);
		}
		tm_anomalies_find(&a, &r, 10, &cfg);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_STEP_TIME_REGRESSION) == 0);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_STEP_TIME_OUTLIER) == 19);
		const struct tm_anomaly *o = first_of(&a, TM_AN_STEP_TIME_OUTLIER);
		TM_CHECK(&st, o && o->first_step == 1001);
		TM_STREQ(&st, o ? o->cause : NULL, "skipped_step");
		TM_NEAR(&st, o ? o->magnitude : NAN, 15, 0.02);              /* (2 + 30) / 2 - 1 */
		TM_CHECK(&st, a.nregimes == 1);
		tm_run_release(&r);
	}
	/* loss: 10 -> 3 over 50 000 steps, 1 % noise, one 4x value at 30 000 */
	for (uint64_t seed = 0; seed <= 10; seed++) {
		struct tm_run r;
		tm_run_init(&r, "loss", NULL, NULL);
		uint64_t s = seed * 7919 + 12345;
		for (size_t i = 1; i <= 50000; i++) {
			struct tm_step pv, *p = &pv;
			memset(p, 0, sizeof(*p));
			p->step = (double)i;
			p->time_s = NAN;
			p->loss = (10 - 7 * (double)i / 50000) * (1 + 0.01 * tm_test_gauss(&s));
			if (seed == 0 && i == 30000)
				p->loss *= 4;
			tm_run_push_step(&r, p);
		}
		tm_anomalies_find(&a, &r, 0, &cfg);
		if (seed == 0) {
			TM_CHECK(&st, tm_test_count(&a, TM_AN_LOSS_SPIKE) == 1);
			const struct tm_anomaly *sp = first_of(&a, TM_AN_LOSS_SPIKE);
			TM_CHECK(&st, sp && sp->first_step == 30000 && sp->last_step == 30000);
			TM_NEAR(&st, sp ? sp->magnitude : NAN, 3, 0.05);
			TM_CHECK(&st, tm_test_count(&a, TM_AN_DIVERGENCE) == 0);
		} else {
			TM_CHECK(&st, tm_test_count(&a, TM_AN_LOSS_SPIKE) == 0);
		}
		tm_run_release(&r);
	}
	/* a spike after which the loss stays up: one spike episode, then a divergence */
	{
		struct tm_run r;
		tm_run_init(&r, "diverge", NULL, NULL);
		for (size_t i = 1; i <= 200; i++) {
			struct tm_step pv, *p = &pv;
			memset(p, 0, sizeof(*p));
			p->step = (double)i;
			p->time_s = NAN;
			p->loss = i < 100 ? 3.0 - 0.001 * (double)i : i == 100 ? 12.0 : 5.0 + 0.01 * (double)i;
			tm_run_push_step(&r, p);
		}
		tm_anomalies_find(&a, &r, 0, &cfg);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_LOSS_SPIKE) == 1);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_DIVERGENCE) == 1);
		const struct tm_anomaly *d = first_of(&a, TM_AN_DIVERGENCE);
		TM_CHECK(&st, d && d->first_step == 100 && d->last_step == 109);
		/* a non-finite loss is always a spike */
		tm_steps_set(&r.steps, 150, TM_SF_LOSS, INFINITY);
		tm_anomalies_find(&a, &r, 0, &cfg);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_LOSS_SPIKE) == 2);
		tm_run_release(&r);
	}
	/* too few steps for a window: one regime, nothing else, no crash */
	{
		struct tm_run r;
		tm_run_init(&r, "short", NULL, NULL);
		make_steps(&r, 7, 1.0, 0, 0, 0.01, 3);
		tm_anomalies_find(&a, &r, 2, &cfg);
		TM_CHECK(&st, a.n == 0 && a.nregimes == 1 && a.regimes[0].n == 5);
		tm_run_release(&r);
	}
	tm_anomalies_release(&a);
	return tm_test_done(&st, "test_anomaly");
}
