/* sortd.c: tm_sort_doubles, tm_select_doubles and tm_median_doubles (see sortd.h).
 *
 * Key decision: an LSD radix sort over the IEEE bits mapped to unsigned order (negative numbers
 * inverted, positive ones with the sign bit set), 8 passes of 8 bits, all histograms taken in one
 * pass and passes where every key has the same byte skipped (step times share their high bytes,
 * so most passes are). Radix sorting is stable, so two zeros of different sign, which share one
 * key, keep their input order. Small arrays use insertion sort (stable as well). Without zeros of
 * both signs, equal keys are equal bits, so an unstable sort gives the same array: then an in-place
 * MSD radix sort (American flag) runs instead, with no scratch (a million step times sorted no
 * longer add 8 MB to the peak). No globals.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/sortd.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define SMALL 64

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* binary insertion: each value goes after the equal ones before it (stable) */
static void insertion(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t lo = 0, hi = i;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (x < v[mid])
				hi = mid;
			else
				lo = mid + 1;
		}
		memmove(v + lo + 1, v + lo, (i - lo) * sizeof(*v));
		v[lo] = x;
	}
}

/* the unsigned key of a double: ascending keys are ascending values, both zeros one key */
static uint64_t key_of(double d)
{
	uint64_t u;
	if (d == 0)
		return UINT64_C(1) << 63;
	memcpy(&u, &d, sizeof(u));
	return u >> 63 ? ~u : u | UINT64_C(1) << 63;
}

/* In place: an MSD radix sort (American flag) on the key bytes. Each range starts at the highest
 * byte its keys do not all share (one pass over it finds that, and a range of equal keys stops
 * there), so the bytes step times share cost one pass, not one each. Not stable: the caller has
 * no two equal keys of different bits (no zeros of both signs). */
static void msd(double *v, size_t n)
{
	if (n < SMALL) {
		insertion(v, n);
		return;
	}
	uint64_t all = ~UINT64_C(0), any = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = key_of(v[i]);
		all &= k;
		any |= k;
	}
	uint64_t diff = all ^ any;             /* the bits where keys differ */
	if (!diff)
		return;                         /* every key is equal */
	int b = 7;
	while (!(diff >> (8 * b) & 0xff))
		b--;
	size_t cnt[256] = { 0 };
	for (size_t i = 0; i < n; i++)
		cnt[(key_of(v[i]) >> (8 * b)) & 0xff]++;
	size_t next[256], end[256], sum = 0;
	for (int c = 0; c < 256; c++) {
		next[c] = sum;
		sum += cnt[c];
		end[c] = sum;
	}
	for (int c = 0; c < 256; c++)
		while (next[c] < end[c]) {
			double x = v[next[c]];
			unsigned d = (key_of(x) >> (8 * b)) & 0xff;
			while (d != (unsigned)c) {
				double t = v[next[d]];
				v[next[d]++] = x;
				x = t;
				d = (key_of(x) >> (8 * b)) & 0xff;
			}
			v[next[c]++] = x;
		}
	for (int c = 0; c < 256; c++)
		if (cnt[c] > 1)
			msd(v + end[c] - cnt[c], cnt[c]);
}

/* Stable, with n doubles of scratch: LSD passes from the low byte up. */
static void lsd(double *v, size_t n)
{
	size_t hist[8][256];
	memset(hist, 0, sizeof(hist));
	for (size_t i = 0; i < n; i++) {
		uint64_t k = key_of(v[i]);
		for (int b = 0; b < 8; b++)
			hist[b][(k >> (8 * b)) & 0xff]++;
	}
	/* values travel with their keys (a zero's sign is only in the value) */
	double *tmp = tm_xmalloc(n * sizeof(*tmp));
	double *src = v, *dst = tmp;
	for (int b = 0; b < 8; b++) {
		size_t *h = hist[b], sum = 0;
		if (h[(key_of(v[0]) >> (8 * b)) & 0xff] == n)
			continue;               /* every key has this byte: the pass changes nothing */
		for (int c = 0; c < 256; c++) {
			size_t t = h[c];
			h[c] = sum;
			sum += t;
		}
		for (size_t i = 0; i < n; i++)
			dst[h[(key_of(src[i]) >> (8 * b)) & 0xff]++] = src[i];
		double *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
}

void tm_sort_doubles(double *v, size_t n)
{
	int pos0 = 0, neg0 = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(v[i])) {
			qsort(v, n, sizeof(*v), cmp_double);
			return;
		}
		if (v[i] == 0)
			*(signbit(v[i]) ? &neg0 : &pos0) = 1;
	}
	if (n < SMALL)
		insertion(v, n);
	else if (pos0 && neg0)
		lsd(v, n);                      /* the zeros' order is the input's */
	else
		msd(v, n);                      /* equal keys are equal bits: any order is the one */
}

/* Branch-free Lomuto partition of v[lo, hi): the values below p (with le: not above p) first;
 * returns where the others start. Every value is swapped and the boundary moves by the
 * comparison's result, so a run of random step times costs no mispredicted branch (Hoare's loops
 * mispredict about every other value there, which made a million-value selection take 12 ms). */
static size_t partition(double *v, size_t lo, size_t hi, double p, int le)
{
	size_t j = lo;
	for (size_t i = lo; i < hi; i++) {
		double x = v[i];
		v[i] = v[j];
		v[j] = x;
		j += le ? !(p < x) : x < p;
	}
	return j;
}

static double med3(double a, double b, double c)
{
	return a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
}

/* Quickselect: the range [lo, hi) holding rank k shrinks around a pseudo-median of nine pivot,
 * split three ways (below, equal, above: equal values cannot stall it); after 2 log2(n) rounds
 * without reaching a small range (an input built against the pivot rule) the range is sorted. */
double tm_select_doubles(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n;
	int rounds = 0, limit = 2;
	for (size_t m = n; m > 1; m /= 2)
		limit += 2;
	while (hi - lo > SMALL) {
		if (++rounds > limit) {
			tm_sort_doubles(v + lo, hi - lo);
			return v[k];
		}
		size_t w = hi - lo, e = w / 8;
		double p = med3(med3(v[lo], v[lo + e], v[lo + 2 * e]), med3(v[lo + 3 * e], v[lo + w / 2], v[lo + 5 * e]),
				med3(v[lo + 6 * e], v[lo + 7 * e], v[hi - 1]));
		size_t a = partition(v, lo, hi, p, 0);
		if (k < a) {
			hi = a;
			continue;
		}
		size_t b = partition(v, a, hi, p, 1);
		if (k < b)
			return v[k];            /* equal to the pivot, in place */
		lo = b;
	}
	insertion(v + lo, hi - lo);
	return v[k];
}

double tm_median_doubles(double *v, size_t n)
{
	size_t k = n / 2;
	tm_select_doubles(v, n, k);
	if (n % 2)
		return v[k];
	double below = v[0];                    /* the largest of v[0, k): all <= v[k] */
	for (size_t m = 1; m < k; m++)
		below = v[m] > below ? v[m] : below;
	return (below + v[k]) / 2;
}
