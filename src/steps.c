/* steps.c: the column store of step records (see steps.h).
 *
 * Ownership: a struct tm_steps owns its columns' arrays and escape lists; nothing is borrowed.
 * Every allocated column has the same geometry (head free rows, then cap rows), so a row is the
 * same index in each and insertion moves the same rows in all of them.
 *
 * Forms only move towards more bytes (ABSENT -> CONST -> AFFINE -> CODE -> F64, skipping any), each
 * carrying every row's value over; a column never shrinks back (a trim leaves the form as is).
 *
 * A CODE column's k only grows: a value that needs more decimals than the column has rescales
 * every code by 10^d when they all still fit (the rational (base + m) / 10^k is unchanged, and a
 * quotient of exact integers rounds alike at any k), else it is an escape. Escapes are kept
 * sorted by row; past an eighth of the rows the column becomes F64 (escapes cost 16 bytes each,
 * so a CODE column never takes more than 6 bytes a row).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/steps.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define NAN_CODE TM_STEPS_NAN_CODE       /* INT32_MIN: the canonical NaN */
#define ESC_CODE TM_STEPS_ESC_CODE       /* INT32_MIN + 1: the value is in the escape list */
#define M_MAX 0x7ffffffd                 /* |m| of a value's code */
#define K_MAX 22                         /* 10^22 is the largest exact power of ten */
#define EXACT 9007199254740992.0         /* 2^53: integers below it are exact doubles */
#define AFF_MAX 4503599627370496.0       /* 2^52: bound on an AFFINE column's values and a */
#define AFF_D_MAX 1048576.0              /* 2^20: on its d, so d * row stays below 2^52 */

const double tm_steps_p10[K_MAX + 1] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
					1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
#define p10 tm_steps_p10

static const size_t off[TM_SF_N] = {
	offsetof(struct tm_step, step), offsetof(struct tm_step, time_s), offsetof(struct tm_step, consumed),
	offsetof(struct tm_step, loss), offsetof(struct tm_step, global_batch), offsetof(struct tm_step, tflops),
	offsetof(struct tm_step, mfu), offsetof(struct tm_step, tokens_per_s_per_gpu),
	offsetof(struct tm_step, tokens_per_s), offsetof(struct tm_step, samples_per_s),
	offsetof(struct tm_step, ts), offsetof(struct tm_step, grad_norm), 0, 0
};

static uint64_t bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static int same(double a, double b)
{
	return bits(a) == bits(b);
}

/* A column's array, resized as tm_xpages does, with the huge-page hint unless s->small_pages */
static void *pages(const struct tm_steps *s, void *p, size_t old, size_t n)
{
	return s->small_pages ? tm_xpages_small(p, old, n) : tm_xpages(p, old, n);
}

static size_t esize(const struct tm_scol *c)
{
	return c->mode == TM_SCOL_F64 ? sizeof(double) : sizeof(uint32_t);
}

/* The bytes of a column's array: every column has head + cap rows (+ 1: never 0 bytes). */
static size_t col_bytes(const struct tm_scol *c, size_t rows)
{
	return rows * esize(c) + 1;
}

static uint32_t *codes(const struct tm_steps *s, const struct tm_scol *c)
{
	return (uint32_t *)c->mem + s->head;
}

static double *f64s(const struct tm_steps *s, const struct tm_scol *c)
{
	return (double *)c->mem + s->head;
}

void tm_steps_init(struct tm_steps *s)
{
	memset(s, 0, sizeof(*s));
}

void tm_steps_release(struct tm_steps *s)
{
	int small = s->small_pages;      /* properties of the store, not of its rows */
	size_t expect = s->expect;
	for (int f = 0; s->col && f < TM_SF_N; f++) {
		tm_xpages_free(s->col[f].mem, col_bytes(&s->col[f], s->head + s->cap));
		free(s->col[f].esc);
	}
	free(s->col);
	tm_steps_init(s);
	s->small_pages = small;
	s->expect = expect;
}

/* ---- escapes: (row, value) sorted by row ---- */

/* The index of the first escape at a row >= row. */
static size_t esc_at(const struct tm_scol *c, size_t row)
{
	size_t lo = 0, hi = c->nesc;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->esc[mid].row < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void esc_add(struct tm_scol *c, size_t row, double v)
{
	size_t j = esc_at(c, row);
	tm_xgrow((void **)&c->esc, &c->capesc, c->nesc + 1, sizeof(*c->esc));
	memmove(c->esc + j + 1, c->esc + j, (c->nesc - j) * sizeof(*c->esc));
	c->esc[j] = (struct tm_sesc){ row, v };
	c->nesc++;
}

static void esc_remove(struct tm_scol *c, size_t row)
{
	size_t j = esc_at(c, row);
	if (j < c->nesc && c->esc[j].row == row) {
		memmove(c->esc + j, c->esc + j + 1, (c->nesc - j - 1) * sizeof(*c->esc));
		c->nesc--;
	}
}

/* ---- codes ---- */

static double decode(const struct tm_scol *c, uint32_t code, size_t row)
{
	if (code == NAN_CODE)
		return NAN;
	if (code == ESC_CODE)
		return c->esc[esc_at(c, row)].v;
	return tm__steps_code_value(c, code);
}

/* The integer nearest v * 10^k when it divides back to v's very bits: 1, else 0. */
static int exact_at(double v, unsigned k, int64_t *mv)
{
	double x = v * p10[k];
	if (!(fabs(x) < EXACT))
		return 0;
	*mv = (int64_t)(x + (x < 0 ? -0.5 : 0.5));   /* nearest (a miss is only an escape) */
	return same((double)*mv / p10[k], v);
}

/* The code of v at (base, k) when it decodes to v's very bits: 1, else 0. */
static int try_code(int64_t base, unsigned k, double v, uint32_t *code)
{
	int64_t mv;
	if (!exact_at(v, k, &mv) || mv - base < -M_MAX || mv - base > M_MAX)
		return 0;
	*code = (uint32_t)(int32_t)(mv - base);
	return 1;
}

/* v's code in column c, rescaling c to more decimals when v needs them and every code still
 * fits; a column without a coded value yet takes v as its base. 0: v is an escape. */
static int code_of(const struct tm_steps *s, struct tm_scol *c, double v, uint32_t *code)
{
	if (same(v, NAN)) {
		*code = NAN_CODE;
		return 1;
	}
	if (!isfinite(v))
		return 0;
	if (!c->based) {
		/* no value coded yet: v is the base, at its fewest decimals */
		for (unsigned k = 0; k <= K_MAX && fabs(v * p10[k]) < EXACT; k++) {
			int64_t mv;
			if (exact_at(v, k, &mv)) {
				c->based = 1;
				c->k = (uint8_t)k;
				c->base = mv;
				*code = 0;
				return 1;
			}
		}
		return 0;
	}
	if (try_code(c->base, c->k, v, code))
		return 1;
	int64_t mul = 1;
	for (unsigned k = c->k + 1u; k <= K_MAX; k++) {
		if (mul > INT64_MAX / 10)
			return 0;
		mul *= 10;
		if ((double)c->mmax * (double)mul > M_MAX || fabs((double)c->base * (double)mul) >= EXACT)
			return 0;
		if (!try_code(c->base * mul, k, v, code))
			continue;
		uint32_t *cd = codes(s, c);
		for (size_t i = 0; i < s->n; i++)
			if (cd[i] != NAN_CODE && cd[i] != ESC_CODE)
				cd[i] = (uint32_t)(int32_t)((int64_t)(int32_t)cd[i] * mul);
		c->mmax = (uint32_t)((int64_t)c->mmax * mul);
		c->base *= mul;
		c->k = (uint8_t)k;
		return 1;
	}
	return 0;
}

/* ---- column forms ---- */

static void col_alloc(const struct tm_steps *s, struct tm_scol *c, enum tm_scol_mode mode)
{
	c->mode = (uint8_t)mode;
	c->mem = pages(s, NULL, 0, col_bytes(c, s->head + s->cap));
}

/* A CODE column becomes F64. */
static void to_f64(struct tm_steps *s, struct tm_scol *c)
{
	struct tm_scol old = *c;
	col_alloc(s, c, TM_SCOL_F64);
	double *d = f64s(s, c);
	const uint32_t *cd = codes(s, &old);
	for (size_t i = 0; i < s->n; i++)
		d[i] = decode(&old, cd[i], i);
	tm_xpages_free(old.mem, col_bytes(&old, s->head + s->cap));
	free(old.esc);
	c->esc = NULL;
	c->nesc = c->capesc = 0;
}

static void code_set(struct tm_steps *s, struct tm_scol *c, size_t i, double v);

/* The value of row i in a column without an array. */
static double implicit(const struct tm_scol *c, size_t i)
{
	switch (c->mode) {
	case TM_SCOL_CONST: return c->cval;
	case TM_SCOL_AFFINE: return c->cval + c->d * (double)i;
	default: return NAN;
	}
}

/* A column without an array (ABSENT, CONST, AFFINE) gets one, holding the same values: CODE, or
 * F64 when escapes pass an eighth (code_set). */
static void materialize(struct tm_steps *s, struct tm_scol *c)
{
	struct tm_scol old = *c;
	c->based = 0;
	c->k = 0;
	c->base = 0;
	c->mmax = 0;
	col_alloc(s, c, TM_SCOL_CODE);
	uint32_t *cd = codes(s, c);
	for (size_t i = 0; i < s->n; i++)
		cd[i] = NAN_CODE;
	if (old.mode == TM_SCOL_ABSENT)
		return;
	for (size_t i = 0; i < s->n; i++) {
		double v = implicit(&old, i);
		if (c->mode == TM_SCOL_F64)
			f64s(s, c)[i] = v;
		else
			code_set(s, c, i, v);
	}
}

/* A CONST column of two rows whose second row is set to v: AFFINE when a and d are whole and
 * small enough that every a + d * i below is exact. 1 when it is. */
static int to_affine(struct tm_scol *c, double v)
{
	double a = c->cval, d = v - a;
	if (!(fabs(a) < AFF_MAX && fabs(v) < AFF_MAX && fabs(d) <= AFF_D_MAX) || a != floor(a) || v != floor(v) ||
	    !same(a + d * 0.0, a) || !same(a + d * 1.0, v))
		return 0;
	c->mode = TM_SCOL_AFFINE;
	c->d = d;
	return 1;
}

static void code_set(struct tm_steps *s, struct tm_scol *c, size_t i, double v)
{
	uint32_t *cd = codes(s, c);
	if (cd[i] == ESC_CODE)
		esc_remove(c, i);
	uint32_t code;
	if (!code_of(s, c, v, &code)) {
		cd[i] = ESC_CODE;
		esc_add(c, i, v);
		if (c->nesc >= 16 && c->nesc > s->n / 8)
			to_f64(s, c);
		return;
	}
	cd[i] = code;
	if (code != NAN_CODE) {
		int32_t m = (int32_t)code;
		uint32_t a = (uint32_t)(m < 0 ? -m : m);
		if (a > c->mmax)
			c->mmax = a;
	}
}

void tm_steps_set(struct tm_steps *s, size_t i, enum tm_sf f, double v)
{
	struct tm_scol *c = &s->col[f];
	switch (c->mode) {
	case TM_SCOL_ABSENT:
		if (same(v, NAN))
			return;
		if (s->n == 1) {
			c->mode = TM_SCOL_CONST;
			c->cval = v;
			return;
		}
		materialize(s, c);
		break;
	case TM_SCOL_CONST:
		if (same(v, c->cval))
			return;
		if (s->n == 1) {
			c->cval = v;
			return;
		}
		if (s->n == 2 && i == 1 && to_affine(c, v))
			return;
		materialize(s, c);
		break;
	case TM_SCOL_AFFINE:
		if (fabs(v) < AFF_MAX && same(v, implicit(c, i)))
			return;
		materialize(s, c);
		break;
	case TM_SCOL_F64:
		f64s(s, c)[i] = v;
		return;
	default:
		break;
	}
	if (c->mode == TM_SCOL_F64)
		f64s(s, c)[i] = v;
	else
		code_set(s, c, i, v);
}

double tm__steps_get(const struct tm_steps *s, size_t i, enum tm_sf f)
{
	const struct tm_scol *c = &s->col[f];
	switch (c->mode) {
	case TM_SCOL_CONST: return c->cval;
	case TM_SCOL_AFFINE: return c->cval + c->d * (double)i;
	case TM_SCOL_CODE: return decode(c, codes(s, c)[i], i);
	case TM_SCOL_F64: return f64s(s, c)[i];
	default: return NAN;
	}
}

void tm_steps_row(const struct tm_steps *s, size_t i, struct tm_step *out)
{
	for (int f = 0; f < TM_SF_LINE; f++)
		*(double *)(void *)((char *)out + off[f]) = tm__steps_get(s, i, (enum tm_sf)f);
	double line = tm_steps_get(s, i, TM_SF_LINE), src = tm_steps_get(s, i, TM_SF_TIME_SRC);
	out->line = isnan(line) ? 0 : (uint32_t)line;
	out->time_src = isnan(src) ? 0 : (uint8_t)src;
}

/* Field f of a step as its column holds it. */
static double field_of(const struct tm_step *in, int f)
{
	return f < TM_SF_LINE ? *(const double *)(const void *)((const char *)in + off[f])
	       : f == TM_SF_LINE ? (double)in->line : (double)in->time_src;
}

void tm_steps_put(struct tm_steps *s, size_t i, const struct tm_step *in)
{
	for (int f = 0; f < TM_SF_N; f++)
		tm_steps_set(s, i, (enum tm_sf)f, field_of(in, f));
}

/* ---- rows ---- */

void tm_steps_reserve(struct tm_steps *s, size_t need)
{
	if (need <= s->cap)
		return;
	if (s->cap == 0 && need < s->expect)
		need = s->expect;
	size_t cap = s->cap * 2 > need ? s->cap * 2 : need < 16 ? 16 : need;
	for (int f = 0; s->col && f < TM_SF_N; f++) {
		struct tm_scol *c = &s->col[f];
		if (c->mem)
			c->mem = pages(s, c->mem, col_bytes(c, s->head + s->cap), col_bytes(c, s->head + cap));
	}
	s->cap = cap;
}

/* At least one free row before row 0. */
static void grow_front(struct tm_steps *s)
{
	if (s->head)
		return;
	size_t head = s->n < 16 ? 16 : s->n;
	for (int f = 0; f < TM_SF_N; f++) {
		struct tm_scol *c = &s->col[f];
		if (!c->mem)
			continue;
		char *mem = pages(s, NULL, 0, col_bytes(c, head + s->cap));
		memcpy(mem + head * esize(c), c->mem, s->n * esize(c));   /* head was 0 */
		tm_xpages_free(c->mem, col_bytes(c, s->cap));
		c->mem = mem;
	}
	s->head = head;
}

/* A row appended (i == n), the common case: nothing moves, no escape follows the row, and a CODE
 * or F64 column's new cell takes its code or value in one pass over the columns (not a pass
 * writing NaNs and fourteen calls of tm_steps_set); whatever is not that plain (an escape, a
 * column changing form) goes through tm_steps_set. */
static void append_row(struct tm_steps *s, const struct tm_step *in)
{
	tm_steps_reserve(s, s->n + 1);
	size_t i = s->n++;
	for (int f = 0; f < TM_SF_N; f++) {
		double v = field_of(in, f);
		struct tm_scol *c = &s->col[f];
		if (c->mode == TM_SCOL_F64) {
			f64s(s, c)[i] = v;
			continue;
		}
		if (c->mode == TM_SCOL_CODE) {
			uint32_t code, *cd = codes(s, c);
			cd[i] = NAN_CODE;          /* a rescale in code_of passes over it */
			if (code_of(s, c, v, &code)) {
				cd[i] = code;
				int32_t m = (int32_t)code;
				uint32_t a = code == NAN_CODE ? 0u : (uint32_t)(m < 0 ? -m : m);
				c->mmax = a > c->mmax ? a : c->mmax;
				continue;
			}
		}
		tm_steps_set(s, i, (enum tm_sf)f, v);
	}
}

void tm_steps_insert(struct tm_steps *s, size_t i, const struct tm_step *in)
{
	if (!s->col)
		s->col = tm_xcalloc(TM_SF_N, sizeof(*s->col));   /* every column ABSENT (0) */
	if (i == s->n) {
		append_row(s, in);
		return;
	}
	for (int f = 0; f < TM_SF_N && i < s->n; f++)
		if (s->col[f].mode == TM_SCOL_AFFINE)
			materialize(s, &s->col[f]);      /* the rows after i would move */
	if (i < s->n - i) {
		grow_front(s);
		s->head--;
		s->cap++;
		for (int f = 0; f < TM_SF_N; f++) {
			struct tm_scol *c = &s->col[f];
			if (c->mem) {
				char *p = (char *)c->mem + s->head * esize(c);
				memmove(p, p + esize(c), i * esize(c));
			}
		}
	} else if (i == s->n) {
		tm_steps_reserve(s, s->n + 1);      /* appended: nothing moves */
	} else {
		tm_steps_reserve(s, s->n + 1);
		for (int f = 0; f < TM_SF_N; f++) {
			struct tm_scol *c = &s->col[f];
			if (c->mem) {
				char *p = (char *)c->mem + (s->head + i) * esize(c);
				memmove(p + esize(c), p, (s->n - i) * esize(c));
			}
		}
	}
	s->n++;
	/* the new row holds what its column holds everywhere, NaN in an array, until put */
	for (int f = 0; f < TM_SF_N; f++) {
		struct tm_scol *c = &s->col[f];
		if (c->mode == TM_SCOL_CODE) {
			codes(s, c)[i] = NAN_CODE;
			for (size_t j = c->nesc ? esc_at(c, i) : 0; j < c->nesc; j++)
				c->esc[j].row++;
		} else if (c->mode == TM_SCOL_F64) {
			f64s(s, c)[i] = NAN;
		}
	}
	tm_steps_put(s, i, in);
}

/* Row k's field f of b as the row-by-row append put it in a: tm_steps_row's view (a line or a
 * time source of NaN reads 0) with the line moved by add, saturating. */
static double appended(const struct tm_steps *b, size_t k, enum tm_sf f, uint64_t add)
{
	double v = tm_steps_get(b, k, f);
	if (f != TM_SF_LINE && f != TM_SF_TIME_SRC)
		return v;
	if (isnan(v))
		v = 0;
	if (f == TM_SF_LINE) {
		uint64_t l = (uint64_t)(uint32_t)v + add;
		v = l > UINT32_MAX ? (double)UINT32_MAX : (double)l;
	}
	return v;
}

/* Whether a's column c of field f already holds b's column bc for the m rows appended after a's
 * n0: both without values, the same constant, or one progression (lines moved by add). */
static int continues(const struct tm_scol *c, const struct tm_scol *bc, enum tm_sf f, size_t n0, size_t m,
		     uint64_t add)
{
	int counted = f == TM_SF_LINE || f == TM_SF_TIME_SRC;   /* NaN reads 0 there: no ABSENT */
	double shift = f == TM_SF_LINE ? (double)add : 0;
	if (c->mode == TM_SCOL_ABSENT)
		return bc->mode == TM_SCOL_ABSENT && !counted;
	if (counted && (add >= (uint64_t)1 << 32 || (bc->mode != TM_SCOL_CONST && bc->mode != TM_SCOL_AFFINE) ||
			!(bc->cval + shift + bc->d * (double)(m - 1) <= (double)UINT32_MAX)))
		return 0;                        /* saturated, or a NaN made 0 */
	if (c->mode == TM_SCOL_CONST)
		return bc->mode == TM_SCOL_CONST && same(c->cval, bc->cval + shift);
	if (c->mode == TM_SCOL_AFFINE)
		return bc->mode == TM_SCOL_AFFINE && same(bc->d, c->d) &&
		       same(bc->cval + shift, c->cval + c->d * (double)n0);
	return 0;
}

/* b's column bc carried into a's CODE column c (rows n0 on, a->n already counts them) in one
 * pass: a column of one value (CONST, or ABSENT: NaN) coded once; a CODE column when every code
 * fits at a's base and scale ((base_b + m) / 10^k is (base_a + m + delta) / 10^k, the same
 * rational, so the same double), b's escapes then set value by value. 1 when done, 0 when it
 * does not apply (nothing written). */
static int carry_codes(struct tm_steps *a, struct tm_scol *c, const struct tm_steps *b, const struct tm_scol *bc,
		       enum tm_sf f, size_t n0, uint64_t line_add)
{
	size_t m = b->n;
	if (c->mode == TM_SCOL_CODE && (bc->mode == TM_SCOL_ABSENT || bc->mode == TM_SCOL_CONST) &&
	    f != TM_SF_LINE && f != TM_SF_TIME_SRC) {
		/* one value for every row (a loss that settled, a figure not printed): coded once */
		uint32_t code = NAN_CODE;
		if (bc->mode == TM_SCOL_CONST && !code_of(a, c, bc->cval, &code))
			return 0;                /* an escape: row by row */
		uint32_t *dst = codes(a, c) + n0;
		for (size_t k = 0; k < m; k++)
			dst[k] = code;
		int32_t mc = (int32_t)code;
		uint32_t am = code == NAN_CODE ? 0u : (uint32_t)(mc < 0 ? -mc : mc);
		c->mmax = am > c->mmax ? am : c->mmax;
		return 1;
	}
	if (c->mode != TM_SCOL_CODE || bc->mode != TM_SCOL_CODE || !bc->based || f == TM_SF_TIME_SRC ||
	    (c->based && c->k != bc->k))
		return 0;                        /* a time source of NaN reads 0: appended() */
	int64_t add = 0;
	const uint32_t *src = codes(b, bc);
	if (f == TM_SF_LINE) {                   /* whole, below UINT32_MAX, no NaN (it reads 0) */
		if (bc->k != 0 || line_add >= (uint64_t)1 << 40 ||
		    bc->base + (int64_t)line_add + (int64_t)bc->mmax > (int64_t)UINT32_MAX)
			return 0;
		for (size_t k = 0; k < m; k++)
			if (src[k] == NAN_CODE)
				return 0;
		add = (int64_t)line_add;
	}
	int64_t base = c->based ? c->base : bc->base + add, delta = bc->base + add - base;
	if ((delta < 0 ? -delta : delta) + (int64_t)bc->mmax > M_MAX)
		return 0;
	uint32_t *dst = codes(a, c) + n0, mx = c->mmax;
	for (size_t k = 0; k < m; k++) {
		uint32_t x = src[k];
		int special = x == NAN_CODE || x == ESC_CODE;
		int64_t mv = (int64_t)(int32_t)x + delta;
		uint32_t am = special ? 0u : (uint32_t)(mv < 0 ? -mv : mv);
		dst[k] = special ? NAN_CODE : (uint32_t)(int32_t)mv;
		mx = am > mx ? am : mx;
	}
	c->based = 1;
	c->k = bc->k;
	c->base = base;
	c->mmax = mx;
	for (size_t j = 0; j < bc->nesc; j++)
		tm_steps_set(a, n0 + bc->esc[j].row, f, bc->esc[j].v);
	return 1;
}

void tm_steps_append(struct tm_steps *a, const struct tm_steps *b, uint64_t line_add)
{
	if (!b->n)
		return;
	if (!a->col)
		a->col = tm_xcalloc(TM_SF_N, sizeof(*a->col));
	size_t n0 = a->n, m = b->n;
	int keep[TM_SF_N];
	tm_steps_reserve(a, n0 + m);
	for (int f = 0; f < TM_SF_N; f++) {
		struct tm_scol *c = &a->col[f];
		keep[f] = continues(c, &b->col[f], (enum tm_sf)f, n0, m, line_add);
		if (!keep[f] && c->mode != TM_SCOL_CODE && c->mode != TM_SCOL_F64)
			materialize(a, c);               /* at n0 rows: the new ones follow */
	}
	a->n = n0 + m;
	for (int f = 0; f < TM_SF_N; f++) {
		struct tm_scol *c = &a->col[f];
		const struct tm_scol *bc = &b->col[f];
		if (keep[f] || carry_codes(a, c, b, bc, (enum tm_sf)f, n0, line_add))
			continue;
		for (size_t k = 0; k < m; k++) {        /* NaN until set, as tm_steps_insert leaves them */
			if (c->mode == TM_SCOL_CODE)
				codes(a, c)[n0 + k] = NAN_CODE;
			else
				f64s(a, c)[n0 + k] = NAN;
		}
		/* codes of one scale carry over: (base_b + m) / 10^k is (base_a + m') / 10^k with
		 * m' = base_b + m - base_a, the same rational, so the same double */
		int64_t add = f == TM_SF_LINE ? (int64_t)line_add : 0;   /* lines: whole, so k is 0 */
		int direct = bc->mode == TM_SCOL_CODE && bc->based &&
			     (f != TM_SF_LINE || (bc->k == 0 && line_add < (uint64_t)1 << 40));
		const uint32_t *bcd = direct ? codes(b, bc) : NULL;
		for (size_t k = 0; k < m; k++) {
			size_t row = n0 + k;
			if (direct && c->mode == TM_SCOL_CODE && bcd[k] != NAN_CODE && bcd[k] != ESC_CODE) {
				int64_t mv = bc->base + (int32_t)bcd[k] + add;
				if (!c->based) {
					c->based = 1;
					c->k = bc->k;
					c->base = mv;
				}
				int64_t d = mv - c->base;
				if (c->k == bc->k && d >= -M_MAX && d <= M_MAX &&
				    (f != TM_SF_LINE || mv <= (int64_t)UINT32_MAX)) {
					uint32_t am = (uint32_t)(d < 0 ? -d : d);
					codes(a, c)[row] = (uint32_t)(int32_t)d;
					if (am > c->mmax)
						c->mmax = am;
					continue;
				}
			}
			tm_steps_set(a, row, (enum tm_sf)f, appended(b, k, (enum tm_sf)f, line_add));
		}
	}
}

void tm_steps_drop_front(struct tm_steps *s, size_t d)
{
	if (d > s->n)
		d = s->n;
	for (int f = 0; s->col && f < TM_SF_N; f++) {
		struct tm_scol *c = &s->col[f];
		if (c->mode == TM_SCOL_AFFINE)
			c->cval += c->d * (double)d;     /* whole numbers below 2^52: exact */
		if (c->mem) {
			char *p = (char *)c->mem + s->head * esize(c);
			memmove(p, p + d * esize(c), (s->n - d) * esize(c));
		}
		if (!c->nesc)
			continue;
		size_t j = esc_at(c, d);
		memmove(c->esc, c->esc + j, (c->nesc - j) * sizeof(*c->esc));
		c->nesc -= j;
		for (size_t k = 0; k < c->nesc; k++)
			c->esc[k].row -= d;
	}
	s->n -= d;
}

size_t tm_steps_bytes(const struct tm_steps *s)
{
	size_t b = s->col ? TM_SF_N * sizeof(*s->col) : 0;
	for (int f = 0; s->col && f < TM_SF_N; f++) {
		const struct tm_scol *c = &s->col[f];
		if (c->mem)
			b += (s->head + s->cap) * esize(c);
		b += c->capesc * sizeof(*c->esc);
	}
	return b;
}
