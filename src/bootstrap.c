/* bootstrap.c: xoshiro256** seeded by splitmix64, and the percentile bootstrap of a difference of
 * medians (see bootstrap.h; docs/formulas.md §9.1).
 *
 * Each replication draws the median of a resample of a and of b directly from the distribution of
 * uniform order statistics (a Beta variate through two Gamma variates, Marsaglia & Tsang 2000,
 * normals by Box-Muller) and keeps median(b*) - median(a*) and median(b*)/median(a*) - 1; the
 * interval is the (1-level)/2 and (1+level)/2 quantiles of the B values. The generator lives in
 * the caller's struct: no global state, so the result depends only on the inputs and the seed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/bootstrap.h"
#include "trainmon/summary.h"
#include "trainmon/xalloc.h"
#include "trainmon/sortd.h"
#include "banned.h"

/* splitmix64 (Steele, Lea & Flood 2014), the seeding Blackman & Vigna recommend for xoshiro */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void tm_rng_seed(struct tm_rng *g, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		g->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t tm_rng_next(struct tm_rng *g)
{
	uint64_t *s = g->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

double tm_rng_uniform(struct tm_rng *g)
{
	return ((double)(tm_rng_next(g) >> 11) + 0.5) / 9007199254740992.0;    /* (k + 1/2) / 2^53 */
}

static double normal(struct tm_rng *g)
{
	/* Box & Muller 1958, one of the pair */
	return sqrt(-2 * log(tm_rng_uniform(g))) * cos(2 * M_PI * tm_rng_uniform(g));
}

double tm_rng_gamma(struct tm_rng *g, double shape)
{
	/* Marsaglia & Tsang 2000, "A simple method for generating gamma variables", shape >= 1 */
	double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
	for (;;) {
		double x = normal(g), v = 1 + c * x;
		if (v <= 0)
			continue;
		v = v * v * v;
		double u = tm_rng_uniform(g);
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

static size_t index_of(double u, size_t n)
{
	size_t i = (size_t)(u * (double)n);
	return i < n ? i : n - 1;
}

double tm_boot_resample_median(struct tm_rng *g, const double *sorted, size_t n)
{
	/* the k-th smallest of n uniforms is Beta(k, n-k+1) = X / (X + Y), X ~ Gamma(k), Y ~ Gamma(n-k+1)
	 * (David & Nagaraja 2003, Order Statistics, §2.2); resample index i = floor(n*U_i) is monotone
	 * in U_i, so the k-th smallest resampled value is sorted[floor(n*U_(k))] */
	size_t k = (n + 1) / 2;                          /* 1-based: the lower middle */
	double x = tm_rng_gamma(g, (double)k), y = tm_rng_gamma(g, (double)(n - k + 1));
	double u = x / (x + y);
	double lo = sorted[index_of(u, n)];
	if (n % 2)
		return lo;
	/* given U_(k) = u, the other n-k uniforms are uniform on (u, 1) (§2.5): the next order
	 * statistic is their minimum, u + (1-u) * (1 - V^(1/(n-k))) */
	double v = tm_rng_uniform(g);
	double u2 = u + (1 - u) * -expm1(log(v) / (double)(n - k));
	return lo + (sorted[index_of(u2, n)] - lo) * 0.5;
}

static double *sorted_copy(const double *v, size_t n)
{
	double *s = tm_xmalloc((n ? n : 1) * sizeof(*s));
	memcpy(s, v, n * sizeof(*v));
	tm_sort_doubles(s, n);
	return s;
}

void tm_boot_median_diff(const double *a, size_t na, const double *b, size_t nb, const struct tm_boot_cfg *c,
			 struct tm_boot_result *out)
{
	memset(out, 0, sizeof(*out));
	double *sa = sorted_copy(a, na), *sb = sorted_copy(b, nb);
	out->med_a = tm_quantile(sa, na, 0.5);
	out->med_b = tm_quantile(sb, nb, 0.5);
	out->diff = out->med_b - out->med_a;
	out->rel = out->med_a != 0 ? out->med_b / out->med_a - 1 : NAN;
	out->diff_lo = out->diff_hi = out->rel_lo = out->rel_hi = NAN;
	out->resamples = c->resamples;
	if (na == 0 || nb == 0 || c->resamples == 0) {
		free(sa);
		free(sb);
		return;
	}
	double *d = tm_xmalloc(c->resamples * sizeof(*d));
	double *r = tm_xmalloc(c->resamples * sizeof(*r));
	struct tm_rng g;
	tm_rng_seed(&g, c->seed);
	size_t nrel = 0;
	for (unsigned i = 0; i < c->resamples; i++) {
		double ma = tm_boot_resample_median(&g, sa, na);
		double mb = tm_boot_resample_median(&g, sb, nb);
		d[i] = mb - ma;
		if (ma != 0)
			r[nrel++] = mb / ma - 1;
	}
	double lo = (1 - c->level) / 2, hi = (1 + c->level) / 2;
	tm_sort_doubles(d, c->resamples);
	out->diff_lo = tm_quantile(d, c->resamples, lo);
	out->diff_hi = tm_quantile(d, c->resamples, hi);
	if (nrel == c->resamples) {
		tm_sort_doubles(r, nrel);
		out->rel_lo = tm_quantile(r, nrel, lo);
		out->rel_hi = tm_quantile(r, nrel, hi);
	}
	free(d);
	free(r);
	free(sa);
	free(sb);
}
