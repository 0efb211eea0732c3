/* test_downsample.c: downsample.h's LTTB and min/max per bucket: exactly (or at most) the points
 * asked for, the first and last kept, indices ascending, a one-point spike and a one-point dip
 * kept wherever they fall (LTTB: in different buckets), a series no longer than the budget kept whole, small budgets. */
#include <stdlib.h>

#include "tm_test.h"
#include "trainmon/downsample.h"

typedef size_t (*ds_fn)(const double *, const double *, size_t, size_t, size_t *);

static int ascending(const size_t *idx, size_t k)
{
	for (size_t i = 1; i < k; i++)
		if (idx[i] <= idx[i - 1])
			return 0;
	return 1;
}

static int has(const size_t *idx, size_t k, size_t want)
{
	for (size_t i = 0; i < k; i++)
		if (idx[i] == want)
			return 1;
	return 0;
}

/* A noisy flat series of n points with a spike at `up` and a dip at `down`. */
static void series(double *x, double *y, size_t n, size_t up, size_t down)
{
	unsigned s = 12345;
	for (size_t i = 0; i < n; i++) {
		s = s * 1103515245u + 12345u;
		x[i] = (double)i;
		y[i] = 1.0 + (double)(s >> 16 & 0x7fff) / 32768.0 * 0.02;
	}
	y[up] = 100;
	y[down] = -50;
}

static void check_method(struct tm_test_state *st, ds_fn fn, int exact)
{
	size_t n = 1000000, out = 2000;
	double *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y));
	size_t *idx = malloc(out * sizeof(*idx));
	size_t spots[][2] = { { 777777, 123 }, { 1, 999998 }, { 500000, 500001 } };
	for (size_t t = 0; t < sizeof(spots) / sizeof(spots[0]); t++) {
		series(x, y, n, spots[t][0], spots[t][1]);
		size_t k = fn(x, y, n, out, idx);
		TM_CHECK(st, exact ? k == out : k <= out && k >= out - 2);
		TM_CHECK(st, idx[0] == 0 && idx[k - 1] == n - 1);
		TM_CHECK(st, ascending(idx, k));
		TM_CHECK(st, has(idx, k, spots[t][0]));       /* the spike survives */
		/* and the dip; LTTB keeps one point per bucket, so only min/max keeps both a spike
		   and a dip of the same bucket (why the step-time chart uses min/max) */
		if (!exact || t < 2)
			TM_CHECK(st, has(idx, k, spots[t][1]));
	}
	/* no longer than the budget: every point */
	size_t k = fn(x, y, 1500, out, idx);
	TM_CHECK(st, k == 1500 && idx[0] == 0 && idx[1499] == 1499 && ascending(idx, k));
	/* tiny budgets keep the ends */
	k = fn(x, y, 100, 2, idx);
	TM_CHECK(st, k == 2 && idx[0] == 0 && idx[1] == 99);
	k = fn(x, y, 100, 1, idx);
	TM_CHECK(st, k == 1 && idx[0] == 0);
	TM_CHECK(st, fn(x, y, 0, 10, idx) == 0);
	/* budgets just above the minimum */
	for (size_t b = 3; b < 12; b++) {
		series(x, y, 1000, 500, 10);
		k = fn(x, y, 1000, b, idx);
		TM_CHECK(st, k <= b && k >= 2 && idx[0] == 0 && idx[k - 1] == 999 && ascending(idx, k));
		if (exact)
			TM_CHECK(st, k == b);
	}
	free(x);
	free(y);
	free(idx);
}

/* LTTB keeps the shape: on a straight line with one bump, the bump's top is the point kept in
 * its bucket (the largest triangle), as in Steinarsson's Figure 4.5. */
static void check_lttb_shape(struct tm_test_state *st)
{
	double x[100], y[100];
	size_t idx[10];
	for (size_t i = 0; i < 100; i++)
		x[i] = (double)i, y[i] = (double)i * 0.1;
	y[47] = 30;
	size_t k = tm_downsample_lttb(x, y, 100, 10, idx);
	TM_CHECK(st, k == 10);
	TM_CHECK(st, has(idx, k, 47));
}

int main(void)
{
	struct tm_test_state st = { 0 };
	check_method(&st, tm_downsample_lttb, 1);
	check_method(&st, tm_downsample_minmax, 0);
	check_lttb_shape(&st);
	return tm_test_done(&st, "test_downsample");
}
