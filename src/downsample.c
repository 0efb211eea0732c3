/* downsample.c: LTTB and min/max per bucket (downsample.h). Buckets are cut by count, not by x,
 * as Steinarsson does: equal work per bucket, and a gap in x (a restart) costs no bucket.
 * Both keep index 0 and n - 1, so a chart's ends are its data's ends.
 */
#include <math.h>

#include "trainmon/downsample.h"
#include "banned.h"

static size_t keep_all(size_t n, size_t *idx)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	return n;
}

/* The ends only, for out < 3. */
static size_t ends(size_t n, size_t out, size_t *idx)
{
	if (out == 0 || n == 0)
		return 0;
	idx[0] = 0;
	if (out == 1 || n == 1)
		return 1;
	idx[1] = n - 1;
	return 2;
}

size_t tm_downsample_lttb(const double *x, const double *y, size_t n, size_t out, size_t *idx)
{
	if (n <= out)
		return keep_all(n, idx);
	if (out < 3)
		return ends(n, out, idx);
	double every = (double)(n - 2) / (double)(out - 2);
	size_t a = 0, k = 0;
	idx[k++] = 0;
	for (size_t b = 0; b < out - 2; b++) {
		/* the mean of the next bucket (the last point for the last bucket) */
		size_t nlo = (size_t)floor((double)(b + 1) * every) + 1;
		size_t nhi = (size_t)floor((double)(b + 2) * every) + 1;
		if (nhi > n)
			nhi = n;
		if (nlo >= nhi)
			nlo = nhi - 1;
		double mx = 0, my = 0;
		for (size_t i = nlo; i < nhi; i++)
			mx += x[i], my += y[i];
		mx /= (double)(nhi - nlo);
		my /= (double)(nhi - nlo);
		/* this bucket's point with the largest triangle (a, point, mean) */
		size_t lo = (size_t)floor((double)b * every) + 1;
		size_t hi = (size_t)floor((double)(b + 1) * every) + 1;
		if (hi > n - 1)
			hi = n - 1;
		double best = -1;
		size_t pick = lo;
		for (size_t i = lo; i < hi; i++) {
			double area = fabs((x[a] - mx) * (y[i] - y[a]) - (x[a] - x[i]) * (my - y[a]));
			if (area > best)
				best = area, pick = i;
		}
		idx[k++] = pick;
		a = pick;
	}
	idx[k++] = n - 1;
	return k;
}

size_t tm_downsample_minmax(const double *x, const double *y, size_t n, size_t out, size_t *idx)
{
	(void)x;
	if (n <= out)
		return keep_all(n, idx);
	if (out < 4)
		return ends(n, out, idx);
	size_t nb = (out - 2) / 2;              /* buckets of the interior 1..n-2, two points each */
	double every = (double)(n - 2) / (double)nb;
	size_t k = 0;
	idx[k++] = 0;
	for (size_t b = 0; b < nb; b++) {
		size_t lo = (size_t)floor((double)b * every) + 1;
		size_t hi = b + 1 == nb ? n - 1 : (size_t)floor((double)(b + 1) * every) + 1;
		if (lo >= hi)
			continue;
		size_t mn = lo, mx = lo;
		for (size_t i = lo + 1; i < hi; i++) {
			if (y[i] < y[mn])
				mn = i;
			if (y[i] > y[mx])
				mx = i;
		}
		size_t first = mn < mx ? mn : mx, second = mn < mx ? mx : mn;
		idx[k++] = first;
		if (second != first)
			idx[k++] = second;
	}
	idx[k++] = n - 1;
	return k;
}
