/* test_straggler.c: the straggler and gradient-norm detectors (anomaly.h), on reports and steps
 * made here with fixed seeds:
 *  - 20 reports in which rank 13 is the slowest at 1.25x for 6 reports in a row (the others a
 *    random rank at 1.00-1.05x): one straggler for rank 13, ratio 1.25, 6 intervals; streamed,
 *    it fires at the Nth of them and resolves after N normal reports;
 *  - the same with rank 13 slow in one report only: none; N = 1 makes that one fire;
 *  - two ranks taking turns at 1.25x: no rank persists, none;
 *  - a grad norm with one 10x value: one grad_norm_spike; zeros (skipped fp16 steps) ignored.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tm_test.h"
#include "tm_test_anomaly.h"
#include "trainmon/anomaly.h"
#include "trainmon/xalloc.h"

/* 20 reports, every 10 steps; rank `slow` at `ratio` for reports [from, from + len). */
static void make_reports(struct tm_run *r, int slow, double ratio, size_t from, size_t len, uint64_t seed)
{
	uint64_t s = seed * 2654435761u + 88172645463325252ull;
	for (size_t i = 0; i < 20; i++) {
		tm_xgrow((void **)&r->reports, &r->capreports, r->nreports + 1, sizeof(*r->reports));
		struct tm_rank_report *p = &r->reports[r->nreports++];
		memset(p, 0, sizeof(*p));
		p->step = (double)(10 * (i + 1));
		p->ts = NAN;
		int hit = i >= from && i < from + len;
		p->rank = hit ? slow : (int)(tm_test_uniform(&s) * 16);
		p->ratio = hit ? ratio : 1 + 0.05 * tm_test_uniform(&s);
		p->ref_s = 2.0;
		p->value_s = 2.0 * p->ratio;
	}
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_anomaly_cfg cfg;
	struct tm_anomalies a;
	tm_test_anomaly_setup(&cfg, &a);

	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct tm_run r;
		tm_run_init(&r, "straggler", NULL, NULL);
		make_reports(&r, 13, 1.25, 4, 6, seed);
		tm_anomalies_find(&a, &r, 0, &cfg);
		TM_CHECK(&st, a.n == 1 && tm_test_count(&a, TM_AN_STRAGGLER) == 1);
		const struct tm_anomaly *an = a.n ? &a.v[0] : NULL;
		TM_CHECK(&st, an && an->rank == 13 && an->intervals == 6);
		TM_NEAR(&st, an ? an->value : NAN, 1.25, 1e-9);
		TM_CHECK(&st, an && an->first_step == 50 && an->last_step == 100);
		/* streamed: fires at the Nth flagged report, resolves after N normal ones */
		struct tm_straggler_det d;
		tm_straggler_init(&d);
		size_t fired = SIZE_MAX, resolved = SIZE_MAX;
		int resolved_rank = -1;
		for (size_t i = 0; i < r.nreports; i++) {
			unsigned ev = tm_straggler_feed(&d, &r.reports[i], &cfg);
			if (ev & TM_STR_FIRE)
				fired = i;
			if (ev & TM_STR_RESOLVE)
				resolved = i, resolved_rank = d.rank;
		}
		TM_CHECK(&st, fired == 4 + cfg.straggler_intervals - 1);
		TM_CHECK(&st, resolved == 4 + 6 + cfg.straggler_intervals - 1);
		TM_CHECK(&st, resolved_rank == 13 && !d.firing);
		tm_run_release(&r);
	}
	/* one slow report: nothing (and with N = 1 it is one) */
	{
		struct tm_run r;
		tm_run_init(&r, "outlier", NULL, NULL);
		make_reports(&r, 13, 1.25, 7, 1, 3);
		tm_anomalies_find(&a, &r, 0, &cfg);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_STRAGGLER) == 0);
		struct tm_anomaly_cfg one = cfg;
		one.straggler_intervals = 1;
		tm_anomalies_find(&a, &r, 0, &one);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_STRAGGLER) == 1 && a.v[0].rank == 13 && a.v[0].intervals == 1);
		tm_run_release(&r);
	}
	/* two ranks taking turns: no rank persists */
	{
		struct tm_run r;
		tm_run_init(&r, "turns", NULL, NULL);
		make_reports(&r, 13, 1.25, 4, 6, 5);
		for (size_t i = 4; i < 10; i += 2)
			r.reports[i].rank = 2;
		tm_anomalies_find(&a, &r, 0, &cfg);
		TM_CHECK(&st, tm_test_count(&a, TM_AN_STRAGGLER) == 0);
		tm_run_release(&r);
	}
	/* grad norm: one 10x value (step 301) among values near 1, and zeros that are skipped steps */
	{
		struct tm_run r;
		tm_run_init(&r, "grad", NULL, NULL);
		uint64_t s = 99;
		for (size_t i = 1; i <= 500; i++) {
			struct tm_step pv, *p = &pv;
			memset(p, 0, sizeof(*p));
			p->step = (double)i;
			p->time_s = NAN;
			p->loss = NAN;
			p->grad_norm = i % 50 == 0 ? 0 : (1 + 0.1 * tm_test_uniform(&s)) * (i == 301 ? 10 : 1);
			tm_run_push_step(&r, p);
		}
		tm_anomalies_find(&a, &r, 0, &cfg);
		TM_CHECK(&st, a.n == 1 && tm_test_count(&a, TM_AN_GRAD_NORM_SPIKE) == 1);
		TM_CHECK(&st, a.n && a.v[0].first_step == 301 && a.v[0].last_step == 301);
		tm_run_release(&r);
	}
	tm_anomalies_release(&a);
	return tm_test_done(&st, "test_straggler");
}
