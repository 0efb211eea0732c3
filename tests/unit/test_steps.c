/* test_steps.c: the step store (src/steps.c) gives back bit for bit every value set, whatever
 * the values and the order of inserts, sets and trims: printed decimals of 1 to 9 significant
 * digits at exponents -12..12, whole numbers up to 2^53, NaN (and NaN payloads, -NaN), +-inf,
 * -0.0, subnormals, any bits; columns that stay ABSENT or CONST, that become CODE and get more
 * decimals, and that escape until they are F64. A plain array of struct tm_step is the reference. */
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/run.h"
#include "trainmon/steps.h"

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double from_bits(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

static int same(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* A value of kind k: 0 decimals, 1 whole numbers, 2 specials, 3 any bits, 4 mixed (0-3), 6 a
 * logged figure (one decimal near one level; now and then three decimals, which rescale the
 * column, or a value no decimal gives, an escape). */
static double value(uint64_t *s, int k)
{
	uint64_t r = next(s);
	if (k == 4)
		k = (int)(r % 4), r = next(s);
	switch (k) {
	case 0: {
		char buf[64];
		int digits = 1 + (int)(r % 9);
		int ex = (int)(next(s) % 25) - 12;
		double m = (double)(next(s) % 1000000000) / 1e9 * 9 + 1;   /* [1, 10) */
		snprintf(buf, sizeof(buf), "%s%.*fe%d", r & 1024 ? "-" : "", digits - 1, m, ex);
		return strtod(buf, NULL);
	}
	case 1: return (double)(int64_t)(r % (UINT64_C(1) << 53)) * (r & 1 ? -1 : 1);
	case 6: {
		int64_t x = 46500 + (int64_t)(r % 800) - 400;
		uint64_t q = next(s) % 50;
		if (q == 0)
			return 4650.0 + (double)(next(s) % 1000) / 1000;
		if (q == 1)
			return (double)(x % 7 + 1) / 3.0;
		return (double)x / 10;
	}
	case 2: {
		static const uint64_t sp[] = { UINT64_C(0x7ff8000000000000), UINT64_C(0xfff8000000000000),
					       UINT64_C(0x7ff8000000000123), UINT64_C(0x7ff0000000000001),
					       UINT64_C(0x7ff0000000000000), UINT64_C(0xfff0000000000000),
					       UINT64_C(0x8000000000000000), 0, 1, UINT64_C(0x000fffffffffffff),
					       UINT64_C(0x800000000000beef) };
		return from_bits(sp[r % (sizeof(sp) / sizeof(sp[0]))]);
	}
	default: {
		double d = from_bits(r);
		return d;
	}
	}
}

static double field(const struct tm_step *st, int f)
{
	const double *d[] = { &st->step, &st->time_s, &st->consumed, &st->loss, &st->global_batch, &st->tflops,
			      &st->mfu, &st->tokens_per_s_per_gpu, &st->tokens_per_s, &st->samples_per_s,
			      &st->ts, &st->grad_norm };
	if (f == TM_SF_LINE)
		return st->line;
	if (f == TM_SF_TIME_SRC)
		return st->time_src;
	return *d[f];
}

static void set_field(struct tm_step *st, int f, double v)
{
	double *d[] = { &st->step, &st->time_s, &st->consumed, &st->loss, &st->global_batch, &st->tflops,
			&st->mfu, &st->tokens_per_s_per_gpu, &st->tokens_per_s, &st->samples_per_s,
			&st->ts, &st->grad_norm };
	if (f == TM_SF_LINE)
		st->line = (uint32_t)v;
	else if (f == TM_SF_TIME_SRC)
		st->time_src = (uint8_t)v;
	else
		*d[f] = v;
}

/* Column f's kind of values in a test round: -1 always NaN, -2 one constant, 5 a counter (AFFINE
 * while rows are appended), else value()'s. */
struct plan { int kind[TM_SF_N]; double cval[TM_SF_N]; };

/* A random plan; codable: mostly decimals, whole numbers and counters. */
static void random_plan(uint64_t *seed, struct plan *p, int codable)
{
	for (int f = 0; f < TM_SF_N; f++) {
		int r = (int)(next(seed) % 8);
		p->kind[f] = r == 0 ? -1 : r == 1 ? -2 : r == 7 ? 4 : r == 6 ? 5 : r - 2;
		p->cval[f] = value(seed, (int)(next(seed) % 4));
	}
	if (codable)
		for (int f = 0; f < TM_SF_N; f++)
			p->kind[f] = f % 2 ? 0 : f % 4 ? 1 : 5;
}

static void random_row(uint64_t *s, const struct plan *p, struct tm_step *st, uint32_t line)
{
	for (int f = 0; f < TM_SF_LINE; f++)
		set_field(st, f, p->kind[f] == -1 ? NAN : p->kind[f] == -2 ? p->cval[f] :
				 p->kind[f] == 5 ? 2 * (double)line + 5 : value(s, p->kind[f]));
	st->line = line;
	st->time_src = (uint8_t)(p->kind[TM_SF_TIME_SRC] == -2 ? 1 : next(s) % 5);
}

static int check_all(struct tm_test_state *t, const struct tm_steps *s, const struct tm_step *ref, size_t n)
{
	int bad = 0;
	t->checked++;
	if (s->n != n) {
		t->failed++;
		fprintf(stderr, "rows %zu, want %zu\n", s->n, n);
		return 1;
	}
	for (size_t i = 0; i < n && bad < 5; i++) {
		struct tm_step got;
		tm_steps_row(s, i, &got);
		for (int f = 0; f < TM_SF_N; f++) {
			double g = f < TM_SF_LINE ? field(&got, f) : field(&got, f), w = field(&ref[i], f);
			double one = tm_steps_get(s, i, (enum tm_sf)f);
			if (!same(g, w) || !same(one, w)) {
				if (!bad++)
					fprintf(stderr, "row %zu field %d: got %a (get %a), want %a\n", i, f, g, one, w);
			}
		}
	}
	if (bad)
		t->failed++;
	return bad;
}

static void round_trip(struct tm_test_state *t, uint64_t seed, const struct plan *p, size_t nrows)
{
	uint64_t s = seed;
	struct tm_steps st;
	tm_steps_init(&st);
	/* a split read's chunk store: small pages, columns first made for a guessed row count */
	st.small_pages = (int)(seed >> 3 & 1);
	st.expect = seed >> 4 & 1 ? (size_t)(next(&s) % (2 * nrows + 1)) : 0;
	struct tm_step *ref = calloc(nrows + 1, sizeof(*ref));
	size_t n = 0;
	for (size_t r = 0; r < nrows; r++) {
		struct tm_step row;
		random_row(&s, p, &row, (uint32_t)(r + 1));
		uint64_t where = next(&s) % (nrows > 5000 ? 400 : 8);   /* big rounds: mostly appends */
		size_t i = where == 0 ? 0 : where == 1 ? (size_t)(next(&s) % (n + 1)) : n;
		tm_steps_insert(&st, i, &row);
		memmove(ref + i + 1, ref + i, (n - i) * sizeof(*ref));
		ref[i] = row;
		n++;
		if (next(&s) % 4 == 0) {
			/* overwrite one field of some row */
			size_t j = (size_t)(next(&s) % n);
			int f = (int)(next(&s) % TM_SF_LINE);
			double v = p->kind[f] < 0 || p->kind[f] == 5 ? value(&s, 4) : value(&s, p->kind[f]);
			tm_steps_set(&st, j, (enum tm_sf)f, v);
			set_field(&ref[j], f, v);
		}
		if (r == nrows / 2) {
			size_t d = n / 3;
			tm_steps_drop_front(&st, d);
			memmove(ref, ref + d, (n - d) * sizeof(*ref));
			n -= d;
			check_all(t, &st, ref, n);
		}
	}
	check_all(t, &st, ref, n);
	free(ref);
	tm_steps_release(&st);
}

/* A store's expected rows and page kind outlast its rows: a run that drops its records (a
 * fallback's, a restart's) makes its columns again for as many. */
static void expect_kept(struct tm_test_state *t)
{
	struct tm_steps st;
	tm_steps_init(&st);
	st.small_pages = 1;
	st.expect = 70000;
	struct tm_step row = { .step = 1, .time_s = 1.5, .loss = 2.25, .line = 7 }, got;
	for (int round = 0; round < 2; round++) {
		tm_steps_insert(&st, 0, &row);
		TM_CHECK(t, st.cap >= 70000);
		tm_steps_row(&st, 0, &got);
		TM_CHECK(t, same(got.time_s, 1.5) && same(got.loss, 2.25) && got.line == 7);
		tm_steps_release(&st);
		TM_CHECK(t, st.n == 0 && st.cap == 0 && st.expect == 70000 && st.small_pages == 1);
	}
	st.expect = 0;
	tm_steps_insert(&st, 0, &row);
	TM_CHECK(t, st.cap < 70000);
	tm_steps_release(&st);
}

/* Printed step records cost a few bytes each: 4 per varying decimal field, none for constants. */
static void compact(struct tm_test_state *t)
{
	struct tm_steps st;
	tm_steps_init(&st);
	size_t n = 100000;
	tm_steps_reserve(&st, n);
	for (size_t i = 0; i < n; i++) {
		char buf[32];
		struct tm_step row = { .step = (double)(i + 1), .consumed = (double)(i + 1) * 512,
				       .global_batch = 512, .tflops = NAN, .mfu = NAN, .tokens_per_s_per_gpu = NAN,
				       .tokens_per_s = NAN, .samples_per_s = NAN, .line = (uint32_t)(i * 6 + 20),
				       .time_src = 1 };
		snprintf(buf, sizeof(buf), "%.1fe-3", 4600 + (double)(i % 900) / 10);
		row.time_s = strtod(buf, NULL);
		snprintf(buf, sizeof(buf), "%.6E", 2 + 8 * exp(-(double)i / 3000));
		row.loss = strtod(buf, NULL);
		snprintf(buf, sizeof(buf), "%.3f", 0.8 + (double)(i % 200) / 1000);
		row.grad_norm = strtod(buf, NULL);
		row.ts = 1748772000 + (double)i * 4.65;
		tm_steps_insert(&st, i, &row);
	}
	/* step, consumed, line: AFFINE; time, loss, grad norm: CODE; ts has escapes (not decimal) */
	TM_CHECK(t, st.col[TM_SF_STEP].mode == TM_SCOL_AFFINE && st.col[TM_SF_CONSUMED].mode == TM_SCOL_AFFINE);
	TM_CHECK(t, st.col[TM_SF_TIME_S].mode == TM_SCOL_CODE);
	TM_CHECK(t, st.col[TM_SF_LOSS].mode == TM_SCOL_CODE && st.col[TM_SF_GRAD_NORM].mode == TM_SCOL_CODE);
	TM_CHECK(t, st.col[TM_SF_GLOBAL_BATCH].mode == TM_SCOL_CONST && st.col[TM_SF_TFLOPS].mode == TM_SCOL_ABSENT);
	TM_CHECK(t, st.col[TM_SF_TIME_SRC].mode == TM_SCOL_CONST && st.col[TM_SF_LINE].mode == TM_SCOL_AFFINE);
	TM_CHECK(t, tm_steps_bytes(&st) <= n * 8 * 4);
	TM_CHECK(t, st.col[TM_SF_LOSS].nesc == 0 && st.col[TM_SF_TIME_S].nesc == 0);
	tm_steps_release(&st);
}

/* CONST -> CODE -> more decimals -> F64, checked at each stage. */
static void promotion(struct tm_test_state *t)
{
	struct tm_steps st;
	tm_steps_init(&st);
	struct tm_step ref[400];
	size_t n = 0;
	for (size_t i = 0; i < 400; i++) {
		struct tm_step row = { .step = (double)i, .time_s = 1.5, .consumed = NAN, .loss = NAN, .global_batch = NAN,
				       .tflops = NAN, .mfu = NAN, .tokens_per_s_per_gpu = NAN, .tokens_per_s = NAN,
				       .samples_per_s = NAN, .ts = NAN, .grad_norm = NAN, .line = (uint32_t)i };
		if (i >= 100)
			row.time_s = i % 2 ? 1.25 : 0.1;                  /* more decimals: rescale */
		if (i >= 150 && i < 200)
			row.time_s = 1e-7 * (double)i;                   /* 9 digits after the point */
		if (i >= 200)
			row.time_s = 1.0 / 3 * (double)i;                /* not decimal: escapes, then F64 */
		if (i == 10)
			row.time_s = -0.0;
		tm_steps_insert(&st, n, &row);
		ref[n++] = row;
		if (i == 99)
			TM_CHECK(t, st.col[TM_SF_TIME_S].mode == TM_SCOL_CODE);
		if (i == 120)
			TM_CHECK(t, st.col[TM_SF_TIME_S].mode == TM_SCOL_CODE && st.col[TM_SF_TIME_S].k >= 2);
	}
	TM_CHECK(t, st.col[TM_SF_TIME_S].mode == TM_SCOL_F64);
	check_all(t, &st, ref, n);
	/* a constant column with one row set otherwise, then back */
	struct tm_steps c;
	tm_steps_init(&c);
	struct tm_step row = ref[0];
	for (size_t i = 0; i < 50; i++)
		tm_steps_insert(&c, i, &row);
	TM_CHECK(t, c.col[TM_SF_TIME_S].mode == TM_SCOL_CONST);
	tm_steps_set(&c, 7, TM_SF_TIME_S, 2.75);
	TM_CHECK(t, same(tm_steps_get(&c, 7, TM_SF_TIME_S), 2.75) && same(tm_steps_get(&c, 8, TM_SF_TIME_S), 1.5));
	tm_steps_release(&c);
	tm_steps_release(&st);
}

static struct tm_step plain(double step, uint32_t line)
{
	return (struct tm_step){ .step = step, .time_s = NAN, .consumed = NAN, .loss = NAN, .global_batch = NAN,
				 .tflops = NAN, .mfu = NAN, .tokens_per_s_per_gpu = NAN, .tokens_per_s = NAN,
				 .samples_per_s = NAN, .ts = NAN, .grad_norm = NAN, .line = line };
}

/* AFFINE columns through appends, trims, a row set otherwise and an insert before the last. */
static void affine(struct tm_test_state *t)
{
	struct tm_steps st;
	tm_steps_init(&st);
	static struct tm_step ref[3000];
	size_t n = 0;
	for (size_t i = 0; i < 1000; i++) {
		ref[n] = plain(10 + 3 * (double)i, (uint32_t)(7 * i + 1));
		tm_steps_insert(&st, n, &ref[n]);
		n++;
	}
	TM_CHECK(t, st.col[TM_SF_STEP].mode == TM_SCOL_AFFINE && st.col[TM_SF_LINE].mode == TM_SCOL_AFFINE);
	TM_CHECK(t, tm_steps_bytes(&st) == TM_SF_N * sizeof(struct tm_scol));   /* the columns alone */
	tm_steps_drop_front(&st, 100);
	memmove(ref, ref + 100, (n - 100) * sizeof(*ref));
	n -= 100;
	check_all(t, &st, ref, n);
	for (size_t i = 0; i < 500; i++) {
		ref[n] = plain(ref[n - 1].step + 3, ref[n - 1].line + 7);
		tm_steps_insert(&st, n, &ref[n]);
		n++;
	}
	TM_CHECK(t, st.col[TM_SF_STEP].mode == TM_SCOL_AFFINE);
	check_all(t, &st, ref, n);
	/* a step between two others: CODE, the same values */
	struct tm_step mid = plain(ref[500].step + 1, 99);
	tm_steps_insert(&st, 501, &mid);
	memmove(ref + 502, ref + 501, (n - 501) * sizeof(*ref));
	ref[501] = mid;
	n++;
	TM_CHECK(t, st.col[TM_SF_STEP].mode == TM_SCOL_CODE && st.col[TM_SF_LINE].mode == TM_SCOL_CODE);
	check_all(t, &st, ref, n);
	tm_steps_release(&st);
	/* a fraction, -0.0 at row 0, a value past 2^52: never AFFINE, still exact */
	static const double firsts[][3] = { { 0.5, 1.5, 2.5 }, { -0.0, 1, 2 },
					    { 4503599627370496.0, 4503599627370497.0, 4503599627370498.0 } };
	for (size_t k = 0; k < 3; k++) {
		tm_steps_init(&st);
		for (size_t i = 0; i < 3; i++) {
			ref[i] = plain(firsts[k][i], (uint32_t)i);
			tm_steps_insert(&st, i, &ref[i]);
		}
		TM_CHECK(t, st.col[TM_SF_STEP].mode != TM_SCOL_AFFINE);
		check_all(t, &st, ref, 3);
		tm_steps_release(&st);
	}
	/* the last row set otherwise */
	tm_steps_init(&st);
	for (size_t i = 0; i < 10; i++) {
		ref[i] = plain((double)i, (uint32_t)i);
		tm_steps_insert(&st, i, &ref[i]);
	}
	tm_steps_set(&st, 9, TM_SF_STEP, 8.5);
	ref[9].step = 8.5;
	check_all(t, &st, ref, 10);
	tm_steps_release(&st);
}

/* A store of `rows` random rows of plan p, appended in order, lines from line0 on (fields of kind 5
 * then continue a store built from line 1), the first `drop` rows dropped after. */
static void build(struct tm_steps *st, uint64_t seed, const struct plan *p, size_t rows, uint32_t line0,
		  size_t drop)
{
	uint64_t s = seed;
	tm_steps_init(st);
	for (size_t r = 0; r < rows; r++) {
		struct tm_step row;
		random_row(&s, p, &row, line0 + (uint32_t)r);
		tm_steps_insert(st, st->n, &row);
	}
	tm_steps_drop_front(st, drop);
}

/* tm_steps_append gives, bit for bit, what inserting b's rows one by one (their lines moved,
 * saturating) gives: the split read's join. Plans alike and not (codes carried over, constants
 * and progressions kept, or set value by value), lines moved by nothing, by a's length (one
 * progression), and to past UINT32_MAX. */
static void append(struct tm_test_state *t, uint64_t seed)
{
	for (int round = 0; round < 40; round++) {
		struct plan pa, pb;
		random_plan(&seed, &pa, round % 4 == 1);
		if (round % 4 == 2)                      /* logged figures: codes carried over */
			for (int f = 0; f < TM_SF_LINE; f++)
				pa.kind[f] = f % 3 ? 6 : pa.kind[f];
		pb = pa;
		if (round % 4 == 3)                      /* another plan for b */
			for (int f = 0; f < TM_SF_N; f++)
				pb.kind[f] = (int)(next(&seed) % 7) - 2;
		size_t na = round % 5 == 0 ? 0 : 1 + (size_t)(next(&seed) % 2000), nb = 1 + (size_t)(next(&seed) % 2000);
		size_t drop = round % 3 == 0 ? (size_t)(next(&seed) % (nb / 2 + 1)) : 0;
		uint64_t add = round % 6 == 5 ? UINT32_MAX - 500 : round % 2 ? na : 0;
		uint32_t line0 = round % 2 ? 1 : (uint32_t)na + 1;
		uint64_t sa = next(&seed), sb = next(&seed);
		struct tm_steps a, ref, b;
		build(&a, sa, &pa, na, 1, 0);
		build(&ref, sa, &pa, na, 1, 0);
		build(&b, sb, &pb, nb + drop, line0, drop);
		tm_steps_append(&a, &b, add);
		struct tm_step *want = calloc(ref.n + b.n + 1, sizeof(*want));
		for (size_t i = 0; i < ref.n; i++)
			tm_steps_row(&ref, i, &want[i]);
		for (size_t k = 0; k < b.n; k++) {
			struct tm_step row;
			tm_steps_row(&b, k, &row);
			uint64_t l = row.line + add;
			row.line = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
			want[ref.n + k] = row;
		}
		check_all(t, &a, want, ref.n + b.n);
		free(want);
		tm_steps_release(&a);
		tm_steps_release(&ref);
		tm_steps_release(&b);
	}
}

int main(void)
{
	struct tm_test_state t = { 0, 0 };
	append(&t, 0x2545f4914f6cdd1du);
	affine(&t);
	compact(&t);
	promotion(&t);
	expect_kept(&t);
	uint64_t seed = 0x9e3779b97f4a7c15u;
	for (int round = 0; round < 60; round++) {
		struct plan p;
		random_plan(&seed, &p, round % 3 == 0);
		size_t rows = round % 10 == 0 ? 20000 : 1 + (size_t)(next(&seed) % 3000);
		round_trip(&t, next(&seed) | 1, &p, rows);
	}
	return tm_test_done(&t, "test_steps");
}
