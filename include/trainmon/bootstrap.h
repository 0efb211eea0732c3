/* bootstrap.h: a seeded random number generator of our own and the percentile bootstrap of a
 * difference of medians (Efron & Tibshirani 1993, ch. 13; docs/formulas.md §9.1).
 *
 * Deterministic by construction: the generator is xoshiro256** (Blackman & Vigna 2018) seeded
 * through splitmix64 from one 64-bit seed, kept in the caller's struct (no global state, no
 * rand()), so the same inputs, seed and number of resamples give the same interval on every
 * machine. A replication's median is drawn directly from the distribution of a resample's order
 * statistics (O(1) after one sort), which is exactly what resampling n values and taking their
 * median would give, so a million-step run costs no more than a short one.
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
/* Uniform in the open interval (0, 1), 53 random bits. */
double tm_rng_uniform(struct tm_rng *g);
/* Gamma(shape, 1) for shape >= 1 (Marsaglia & Tsang 2000). */
double tm_rng_gamma(struct tm_rng *g, double shape);

/* The median of a resample (n draws with replacement) of sorted v[0..n), n > 0: the k-th order
 * statistic of n uniforms is Beta(k, n-k+1), and the next one is the smallest of the n-k uniforms
 * above it; index floor(n*u) maps them onto v. */
double tm_boot_resample_median(struct tm_rng *g, const double *sorted, size_t n);

struct tm_boot_cfg {
	unsigned resamples;          /* B, bootstrap replications (default TM_BOOT_RESAMPLES) */
	uint64_t seed;               /* default TM_BOOT_SEED */
	double level;                /* two-sided confidence level, e.g. 0.95 */
};
#define TM_BOOT_SEED 20260101u
#define TM_BOOT_RESAMPLES 10000u

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
