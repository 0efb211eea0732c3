/* test_sortd.c: tm_sort_doubles gives bit for bit the array glibc's qsort gives with the
 * comparator the statistics used before (stable merge sort: zeros of either sign keep their
 * order), for the shapes step times take: near-equal positives, wide ranges, negatives, zeros of
 * both signs, infinities, duplicates, and arrays below and above the insertion-sort size. */
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/sortd.h"

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double value(uint64_t *s, int shape)
{
	uint64_t r = next(s);
	switch (shape) {
	case 0: return 4.6 + (double)(r % 800) / 10000;             /* step times, few distinct */
	case 1: return ((double)(r % 2000000) - 1e6) * 1e-3;        /* negatives and positives */
	case 2: return r % 4 == 0 ? 0.0 : r % 4 == 1 ? -0.0 : r % 4 == 2 ? INFINITY : -1.5;
	default: {
		double d;
		r &= ~(UINT64_C(0x7ff) << 52) | (UINT64_C(0x7fe) << 52);   /* any finite bits */
		memcpy(&d, &r, sizeof(d));
		return d;
	}
	}
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	uint64_t seed = 88172645463325252ull;
	static const size_t sizes[] = { 0, 1, 2, 63, 64, 65, 1000, 100000 };
	double *a = malloc(100000 * sizeof(*a)), *b = malloc(100000 * sizeof(*b));
	for (int shape = 0; shape < 4; shape++)
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			size_t n = sizes[k];
			for (size_t i = 0; i < n; i++)
				a[i] = b[i] = value(&seed, shape);
			if (n)
				qsort(a, n, sizeof(*a), cmp_double);
			tm_sort_doubles(b, n);
			TM_CHECK(&st, n == 0 || memcmp(a, b, n * sizeof(*a)) == 0);
		}
	/* a NaN: no total order, so qsort's own result */
	double c[100], d[100];
	for (int i = 0; i < 100; i++)
		c[i] = d[i] = i == 50 ? NAN : (double)((i * 37) % 100);
	qsort(c, 100, sizeof(*c), cmp_double);
	tm_sort_doubles(d, 100);
	TM_CHECK(&st, memcmp(c, d, sizeof(c)) == 0);
	/* medians by selection: the sorted array's middle, every size to 200, duplicates included */
	int bad = 0;
	for (int shape = 0; shape < 4; shape++)
		for (size_t n = 1; n <= 200; n++)
			for (int rep = 0; rep < 20; rep++) {
				for (size_t i = 0; i < n; i++)
					a[i] = b[i] = shape == 2 ? (double)(next(&seed) % 3) : value(&seed, shape);
				tm_sort_doubles(a, n);
				double want = n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
				bad += tm_median_doubles(b, n) != want;
			}
	TM_CHECK(&st, bad == 0);
	for (size_t n = 1; n <= 100; n++) {          /* sorted, reversed and constant inputs */
		for (size_t i = 0; i < n; i++)
			a[i] = (double)i, b[i] = (double)(n - i), c[i % 100] = 7;
		TM_CHECK(&st, tm_median_doubles(a, n) == (n % 2 ? (double)(n / 2) : (double)n / 2 - 0.5));
		TM_CHECK(&st, tm_median_doubles(b, n) == (n % 2 ? (double)(n / 2 + 1) : (double)n / 2 + 0.5));
		TM_CHECK(&st, tm_median_doubles(c, n) == 7);
	}
	/* the k-th by selection: the sorted array's k-th, and split around it, for random values, few
	 * distinct ones, sorted, reversed, organ-pipe and constant inputs, at both ends and inside */
	bad = 0;
	static const size_t ssizes[] = { 1, 2, 64, 65, 200, 1000, 100000 };
	for (int shape = 0; shape < 8; shape++)
		for (size_t z = 0; z < sizeof(ssizes) / sizeof(ssizes[0]); z++) {
			size_t n = ssizes[z];
			for (int rep = 0; rep < 6; rep++) {
				size_t k = rep == 0 ? 0 : rep == 1 ? n - 1 : rep == 2 ? n / 2 : next(&seed) % n;
				for (size_t i = 0; i < n; i++)
					b[i] = shape == 4 ? (double)(next(&seed) % 3)
					     : shape == 5 ? (double)i
					     : shape == 6 ? (double)(n - i)
					     : shape == 7 ? (double)(i < n / 2 ? i : n - i)
					     : value(&seed, shape == 2 ? 0 : shape);   /* no zeros of both signs */
				memcpy(a, b, n * sizeof(*a));
				tm_sort_doubles(a, n);
				double got = tm_select_doubles(b, n, k);
				bad += got != a[k] || b[k] != a[k];
				for (size_t i = 0; i < n; i++)
					bad += (i < k && b[i] > b[k]) || (i > k && b[i] < b[k]);
			}
		}
	TM_CHECK(&st, bad == 0);
	for (size_t i = 0; i < 100000; i++)           /* all equal: no round may stall */
		b[i] = 3;
	TM_CHECK(&st, tm_select_doubles(b, 100000, 77777) == 3);
	free(a);
	free(b);
	return tm_test_done(&st, "test_sortd");
}
