/* bootstrap.c: xoshiro256** seeded by splitmix64, quickselect medians, and the percentile
 * bootstrap of a difference of medians (see bootstrap.h; docs/formulas.md §8.1).
 *
 * Each replication draws n_a indices into a and n_b into b with replacement, takes both medians by
 * quickselect (O(n), no sort) and keeps median(b*) - median(a*) and median(b*)/median(a*) - 1; the
 * interval is the (1-level)/2 and (1+level)/2 quantiles of the B values. The generator lives in
 * the caller's struct: no global state, so the result depends only on the inputs and the seed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/bootstrap.h"
#include "trainmon/summary.h"
#include "trainmon/xalloc.h"
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

uint64_t tm_rng_below(struct tm_rng *g, uint64_t n)
{
	/* the draws at or above the largest multiple of n are rejected, so x % n is uniform */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
	do
		x = tm_rng_next(g);
	while (x >= limit);
	return x % n;
}

/* The k-th smallest of v[0..n) (0-based), partially ordering v so that v[0..k) <= v[k] <= v[k+1..n)
 * (Hoare's FIND, 1961). */
static double select_k(double *v, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		ptrdiff_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			break;           /* v[j+1..i) all equal the pivot, k among them */
	}
	return v[k];
}

double tm_median_select(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	if (n % 2)
		return select_k(v, n, n / 2);
	double lo = select_k(v, n, n / 2 - 1);
	double hi = v[n / 2];
	for (size_t i = n / 2 + 1; i < n; i++)
		if (v[i] < hi)
			hi = v[i];
	return lo + (hi - lo) * 0.5;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double median_of_copy(const double *v, size_t n, double *buf)
{
	memcpy(buf, v, n * sizeof(*v));
	return tm_median_select(buf, n);
}

static double resampled_median(struct tm_rng *g, const double *v, size_t n, double *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = v[tm_rng_below(g, n)];
	return tm_median_select(buf, n);
}

void tm_boot_median_diff(const double *a, size_t na, const double *b, size_t nb, const struct tm_boot_cfg *c,
			 struct tm_boot_result *out)
{
	memset(out, 0, sizeof(*out));
	size_t nbuf = na > nb ? na : nb;
	double *buf = tm_xmalloc((nbuf ? nbuf : 1) * sizeof(*buf));
	out->med_a = median_of_copy(a, na, buf);
	out->med_b = median_of_copy(b, nb, buf);
	out->diff = out->med_b - out->med_a;
	out->rel = out->med_a != 0 ? out->med_b / out->med_a - 1 : NAN;
	out->diff_lo = out->diff_hi = out->rel_lo = out->rel_hi = NAN;
	out->resamples = c->resamples;
	if (na == 0 || nb == 0 || c->resamples == 0) {
		free(buf);
		return;
	}
	double *d = tm_xmalloc(c->resamples * sizeof(*d));
	double *r = tm_xmalloc(c->resamples * sizeof(*r));
	struct tm_rng g;
	tm_rng_seed(&g, c->seed);
	size_t nrel = 0;
	for (unsigned i = 0; i < c->resamples; i++) {
		double ma = resampled_median(&g, a, na, buf);
		double mb = resampled_median(&g, b, nb, buf);
		d[i] = mb - ma;
		if (ma != 0)
			r[nrel++] = mb / ma - 1;
	}
	double lo = (1 - c->level) / 2, hi = (1 + c->level) / 2;
	qsort(d, c->resamples, sizeof(*d), cmp_double);
	out->diff_lo = tm_quantile(d, c->resamples, lo);
	out->diff_hi = tm_quantile(d, c->resamples, hi);
	if (nrel == c->resamples) {
		qsort(r, nrel, sizeof(*r), cmp_double);
		out->rel_lo = tm_quantile(r, nrel, lo);
		out->rel_hi = tm_quantile(r, nrel, hi);
	}
	free(d);
	free(r);
	free(buf);
}
