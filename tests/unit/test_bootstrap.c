/* test_bootstrap.c: the seeded generator, quickselect medians and the percentile bootstrap of a
 * difference of medians (src/bootstrap.c, docs/formulas.md §8.1).
 *
 * The generator's first outputs are pinned (splitmix64's known first value for seed 0, and
 * xoshiro256** values from an independent Python implementation), so an interval never changes
 * silently between builds. The bootstrap's coverage is measured by simulation: intervals for two
 * samples of one distribution shifted by a known amount must contain the true difference about as
 * often as the confidence level says.
 */
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/bootstrap.h"
#include "trainmon/summary.h"

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

/* a step time around 1 s: a sum of three uniforms (skewed a little by a square) */
static double draw(struct tm_rng *g)
{
	double u = 0;
	for (int i = 0; i < 3; i++)
		u += (double)(tm_rng_next(g) >> 11) / 9007199254740992.0;
	return 1 + 0.01 * u * u;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_rng g;

	/* pinned outputs */
	tm_rng_seed(&g, 0);
	TM_CHECK(&st, g.s[0] == 0xe220a8397b1dcdafu);
	tm_rng_seed(&g, TM_BOOT_SEED);
	TM_CHECK(&st, tm_rng_next(&g) == 0x57e28e0407eb6adeu);
	TM_CHECK(&st, tm_rng_next(&g) == 0xae12aadc7d2056a3u);
	TM_CHECK(&st, tm_rng_next(&g) == 0x007b518906d1df4fu);

	/* below(n): in range, and every value of a small range drawn about equally often */
	size_t hist[7] = { 0 };
	int out_of_range = 0;
	for (int i = 0; i < 70000; i++) {
		uint64_t v = tm_rng_below(&g, 7);
		if (v >= 7)
			out_of_range++;
		else
			hist[v]++;
	}
	TM_CHECK(&st, out_of_range == 0);
	for (int i = 0; i < 7; i++)
		TM_NEAR(&st, (double)hist[i], 10000, 0.05);
	TM_CHECK(&st, tm_rng_below(&g, 1) == 0);

	/* quickselect median == sorted median, for every size 1..120, with many ties */
	double v[120], w[120];
	int bad = 0;
	for (size_t n = 1; n <= 120; n++)
		for (int rep = 0; rep < 20; rep++) {
			for (size_t i = 0; i < n; i++)
				v[i] = w[i] = (double)tm_rng_below(&g, rep % 2 ? 5 : 1000);
			qsort(w, n, sizeof(*w), cmp);
			if (tm_median_select(v, n) != tm_quantile(w, n, 0.5))
				bad++;
		}
	TM_CHECK(&st, bad == 0);
	TM_CHECK(&st, isnan(tm_median_select(v, 0)));

	/* a sample against itself: point 0, interval around it; against itself x 1.1: +10 % */
	double a[60], b[60];
	for (int i = 0; i < 60; i++) {
		a[i] = draw(&g);
		b[i] = a[i] * 1.1;
	}
	struct tm_boot_cfg c = { .resamples = TM_BOOT_RESAMPLES, .seed = TM_BOOT_SEED, .level = 0.95 };
	struct tm_boot_result r, r2;
	tm_boot_median_diff(a, 60, a, 60, &c, &r);
	TM_CHECK(&st, r.diff == 0 && r.rel == 0);
	TM_CHECK(&st, r.rel_lo < 0 && r.rel_hi > 0 && r.diff_lo < 0 && r.diff_hi > 0);
	tm_boot_median_diff(a, 60, b, 60, &c, &r);
	TM_NEAR(&st, r.rel, 0.1, 1e-12);
	TM_CHECK(&st, r.rel_lo > 0 && r.rel_lo < 0.1 && r.rel_hi > 0.1);
	tm_boot_median_diff(a, 60, b, 60, &c, &r2);
	TM_CHECK(&st, memcmp(&r, &r2, sizeof(r)) == 0);       /* same seed, same interval */
	c.resamples = 0;
	tm_boot_median_diff(a, 60, b, 60, &c, &r);
	TM_CHECK(&st, isnan(r.rel_lo) && isnan(r.diff_hi) && r.rel > 0.099);

	/* coverage: 400 pairs of samples (n = 40 and 50) of one distribution, B shifted by +0.002 s,
	 * so the true difference of medians is exactly 0.002: a 90 % interval must hold it in about
	 * 90 % of them (binomial sd 1.5 %; the percentile interval of a median is a little off its
	 * level at small n, Efron & Tibshirani 1993 ch. 13, hence the band 85-97.5 %) */
	c = (struct tm_boot_cfg){ .resamples = 400, .seed = 7, .level = 0.90 };
	int covered = 0;
	double x[40], y[50];
	for (int t = 0; t < 400; t++) {
		for (int i = 0; i < 40; i++)
			x[i] = draw(&g);
		for (int i = 0; i < 50; i++)
			y[i] = draw(&g) + 0.002;
		c.seed = (uint64_t)t;
		tm_boot_median_diff(x, 40, y, 50, &c, &r);
		covered += r.diff_lo <= 0.002 && 0.002 <= r.diff_hi;
	}
	fprintf(stderr, "coverage of the 90 %% interval: %d of 400\n", covered);
	TM_CHECK(&st, covered >= 340 && covered <= 390);
	return tm_test_done(&st, "test_bootstrap");
}
