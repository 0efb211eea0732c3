/* test_bootstrap.c: the seeded generator, the resample median drawn from order statistics, and
 * the percentile bootstrap of a difference of medians (src/bootstrap.c, docs/formulas.md §8.1).
 *
 * The generator's first outputs are pinned (splitmix64's known first value for seed 0, and
 * xoshiro256** values from an independent Python implementation), so an interval never changes
 * silently between builds. The direct draw of a resample's median must have the distribution of
 * the median of n values drawn with replacement: exactly (binomial sums) for odd n, and against
 * brute-force resampling for even n. The bootstrap's coverage is measured by simulation:
 * intervals for two samples of one distribution shifted by a known amount must contain the true
 * difference about as often as the confidence level says.
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

/* a step time around 1 s: a sum of three uniforms, squared (a little skewed) */
static double draw(struct tm_rng *g)
{
	double u = 0;
	for (int i = 0; i < 3; i++)
		u += tm_rng_uniform(g);
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

	/* uniform in (0, 1) with mean 1/2; Gamma(4) has mean 4 and variance 4 */
	double sum = 0, sq = 0, mn = 1, mx = 0;
	for (int i = 0; i < 100000; i++) {
		double u = tm_rng_uniform(&g);
		sum += u;
		mn = fmin(mn, u), mx = fmax(mx, u);
	}
	TM_CHECK(&st, mn > 0 && mx < 1);
	TM_NEAR(&st, sum / 100000, 0.5, 0.005);
	sum = 0;
	for (int i = 0; i < 100000; i++) {
		double x = tm_rng_gamma(&g, 4);
		sum += x, sq += x * x;
	}
	TM_NEAR(&st, sum / 100000, 4, 0.01);
	TM_NEAR(&st, sq / 100000 - (sum / 100000) * (sum / 100000), 4, 0.03);

	/* odd n = 7: P(resample median <= v[j]) = P(at least 4 of 7 draws <= v[j]), p = (j+1)/7 */
	const double v7[7] = { 1, 2, 3, 4, 5, 6, 7 };
	size_t hist7[7] = { 0 };
	const int draws = 200000;
	for (int i = 0; i < draws; i++)
		hist7[(size_t)tm_boot_resample_median(&g, v7, 7) - 1]++;
	double cum = 0;
	for (int j = 0; j < 7; j++) {
		double p = (j + 1) / 7.0, exact = 0, binom = 1;    /* binom = C(7, i) */
		for (int i = 0; i <= 7; i++) {
			if (i >= 4)
				exact += binom * pow(p, i) * pow(1 - p, 7 - i);
			binom = binom * (7 - i) / (i + 1);
		}
		cum += (double)hist7[j] / draws;
		TM_CHECK(&st, fabs(cum - exact) < 0.005);       /* sd of a frequency <= 0.0011 */
	}
	/* even n = 6: against brute force (six indices drawn, sorted, the middle two averaged) */
	const double v6[6] = { 1, 2, 4, 8, 16, 32 };
	double direct[64] = { 0 }, brute[64] = { 0 };          /* indexed by 2 * median - 1 */
	for (int i = 0; i < draws; i++) {
		direct[(size_t)(2 * tm_boot_resample_median(&g, v6, 6)) - 1] += 1.0 / draws;
		double r[6];
		for (int k = 0; k < 6; k++)
			r[k] = v6[(size_t)(tm_rng_uniform(&g) * 6)];
		qsort(r, 6, sizeof(*r), cmp);
		brute[(size_t)(r[2] + r[3]) - 1] += 1.0 / draws;
	}
	double worst = 0;
	for (int i = 0; i < 64; i++)
		worst = fmax(worst, fabs(direct[i] - brute[i]));
	TM_CHECK(&st, worst < 0.006);
	const double one[1] = { 3.5 };
	TM_CHECK(&st, tm_boot_resample_median(&g, one, 1) == 3.5);

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
	c = (struct tm_boot_cfg){ .resamples = 1000, .seed = 7, .level = 0.90 };
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
