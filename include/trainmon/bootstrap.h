/* bootstrap.h: a seeded random number generator of our own and the percentile bootstrap of a
 * difference of medians (Efron & Tibshirani 1993, ch. 13; docs/formulas.md §8.1).
 *
 * Deterministic by construction: the generator is xoshiro256** (Blackman & Vigna 2018) seeded
 * through splitmix64 from one 64-bit seed, kept in the caller's struct (no global state, no
 * rand()), so the same inputs, seed and number of resamples give the same interval on every
 * machine. Pure functions otherwise; allocation only for the resample buffers.
 */
#ifndef TRAINMON_BOOTSTRAP_H
#define TRAINMON_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

struct tm_rng {
	uint64_t s[4];               /* xoshiro256** state, never all zero */
};
void tm_rng_seed(struct tm_rng *g, uint64_t seed);
uint64_t tm_rng_next(struct tm_rng *g);
/* Uniform in [0, n), n > 0, without modulo bias (draws past the last whole multiple of n are
 * rejected). */
uint64_t tm_rng_below(struct tm_rng *g, uint64_t n);

/* The median of v[0..n) (n > 0), reordering v (quickselect); the mean of the two middle values
 * when n is even, as tm_quantile(sorted, n, 0.5) gives. */
double tm_median_select(double *v, size_t n);

struct tm_boot_cfg {
	unsigned resamples;          /* B, bootstrap replications (default 2000) */
	uint64_t seed;               /* default TM_BOOT_SEED */
	double level;                /* two-sided confidence level, e.g. 0.95 */
};
#define TM_BOOT_SEED 20260101u
#define TM_BOOT_RESAMPLES 2000u

/* Difference of medians of two independent samples a (n_a) and b (n_b), both > 0: the point
 * values and percentile-bootstrap intervals of median(b) - median(a) and of
 * median(b) / median(a) - 1, each replication resampling a and b with replacement. */
struct tm_boot_result {
	double med_a, med_b;         /* medians of the samples */
	double diff, diff_lo, diff_hi;     /* median(b) - median(a) and its interval */
	double rel, rel_lo, rel_hi;        /* median(b) / median(a) - 1 and its interval (NAN when a
					      median of a is 0) */
	unsigned resamples;          /* B used */
};
void tm_boot_median_diff(const double *a, size_t na, const double *b, size_t nb, const struct tm_boot_cfg *c,
			 struct tm_boot_result *out);

#endif
