/* num.c: numbers as logs print them (see num.h).
 *
 * Most are plain decimals ("4659.5", "1.500000E-04", "512"), read in place by Clinger's fast
 * path; the rest (thousands separators, more than 15 digits, exponents past 10^22) go through a
 * cleaned copy and strtod. When the caller says the bytes after the number may be read (an
 * iteration line's fields lie inside the line), the integer and fraction digits are found and
 * converted eight at a time (SWAR): a loop per digit exits where the number ends, a branch the
 * core mispredicts about once a number, and an iteration line has a dozen numbers.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/num.h"
#include "swar.h"
#include "banned.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "num.c reads digits as little-endian words");

static const uint64_t p10i[8] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000 };

static uint64_t load8(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* 0x80 in each byte of x that is not an ASCII digit */
static uint64_t nondigits(uint64_t x)
{
	return tm_swar_in(x, '0' * TM_SWAR_ONES, '9' * TM_SWAR_ONES) ^ TM_SWAR_HIGH;
}

/* The value of the first k (1-8) digit bytes of x, the first in the low byte. */
static uint64_t digits8(uint64_t x, unsigned k)
{
	uint64_t y = (x & (TM_SWAR_ONES * 0x0f)) << (64 - 8 * k);   /* right-aligned: leading zero digits */
	y = (y * 10 + (y >> 8)) & UINT64_C(0x00ff00ff00ff00ff);
	y = (y * 100 + (y >> 16)) & UINT64_C(0x0000ffff0000ffff);
	return (y * 10000 + (y >> 32)) & UINT64_C(0x00000000ffffffff);
}

/* The digits of s[0, end) from s, fewer than 8 and at most end - s: how many (8: too many). */
static unsigned digit_run(const char *s, const char *end, uint64_t *x)
{
	*x = load8(s);
	uint64_t nd = nondigits(*x);
	unsigned k = nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
	return (size_t)(end - s) < k ? (unsigned)(end - s) : k;
}

/* The mantissa of the decimal at s (no sign), up to 7 integer and 7 fraction digits, from words:
 * s + 17 bytes must be readable. 1 with *m (its digits as an integer), *frac (digits after the
 * dot) and *after (the byte after them); 0 when the number has no digit, or 8 in a row. */
static int mantissa8(const char *s, const char *end, uint64_t *m, int *frac, const char **after)
{
	uint64_t x;
	unsigned i = digit_run(s, end, &x);
	if (i == 8)
		return 0;
	uint64_t ip = i ? digits8(x, i) : 0;
	const char *q = s + i;
	if (q == end || *q != '.') {
		*m = ip, *frac = 0, *after = q;
		return i != 0;
	}
	unsigned f = digit_run(q + 1, end, &x);
	if (f == 8 || (i == 0 && f == 0))
		return 0;
	*m = ip * p10i[f] + (f ? digits8(x, f) : 0);
	*frac = (int)f;
	*after = q + 1 + f;
	return 1;
}

/* The mantissa of the decimal at s (no sign), a digit at a time: as mantissa8, up to 15
 * significant digits (m may have wrapped past them: then 0). */
static int mantissa1(const char *s, const char *end, uint64_t *m, int *frac, const char **after)
{
	const char *start = s;
	int digits, seen_dot = 0;
	*m = 0;
	*frac = 0;
	while (s < end && *s == '0')           /* leading zeros: not digits of the mantissa */
		s++;
	const char *d = s;
	while (s < end && (unsigned char)(*s - '0') < 10)
		*m = *m * 10 + (uint64_t)(*s++ - '0');
	digits = (int)(s - d);
	if (s < end && *s == '.') {
		const char *f = ++s;
		seen_dot = 1;
		if (*m == 0)                   /* "0.05": zeros before the first digit only scale */
			while (s < end && *s == '0')
				s++;
		const char *fd = s;
		while (s < end && (unsigned char)(*s - '0') < 10)
			*m = *m * 10 + (uint64_t)(*s++ - '0');
		*frac = (int)(s - f);
		digits += (int)(s - fd);
	}
	*after = s;
	return !(digits > 15 || s == start || (s == start + 1 && seen_dot));
}

/* The exponent at s (after its 'e'): [-+]digits, up to 6 digits, read no further than lim; its
 * end and *x, or NULL. */
static const char *exponent(const char *s, const char *lim, long *x)
{
	int neg = s < lim && *s == '-';
	if (s < lim && (*s == '-' || *s == '+'))
		s++;
	const char *d0 = s;
	long e = 0;
	while (s < lim && *s >= '0' && *s <= '9' && s - d0 < 6)
		e = e * 10 + (*s++ - '0');
	if (s == d0 || (s < lim && *s >= '0' && *s <= '9'))
		return NULL;
	*x = neg ? -e : e;
	return s;
}

/* m * 10^e, with the sign: 1 with *out when exact m (below 2^53) and |e| <= 22 round once, as
 * Clinger's fast path needs; 0 else. */
static int scale(uint64_t m, long e, int neg, double *out)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
				      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	double v = (double)m;
	if (m == 0)
		v = 0;
	else if (e >= 0 && e <= 22)
		v *= p10[e];
	else if (e < 0 && e >= -22)
		v /= p10[-e];
	else
		return 0;
	*out = neg ? -v : v;
	return 1;
}

/* Clinger's fast path: a decimal with at most 15 significant digits and a power of ten within
 * +-22 is an exact integer times an exact power of ten, so one multiplication or division rounds
 * correctly: the same double strtod gives, without its cost. Reads the decimal at s, no further
 * than end ([s, lim) is readable, lim >= end); returns the byte after it, or NULL when the fast
 * path does not apply (the caller uses strtod) or s holds no decimal. An exponent is read as
 * strtol reads it (spaces, a sign, up to 6 digits); one without digits is no decimal. */
static const char *decimal_at(const char *s, const char *end, const char *lim, int pow10, double *out)
{
	int neg = 0, frac;
	uint64_t m;
	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	/* words where 17 bytes may be read; the same m and frac either way (at most 14 digits) */
	if (!(lim - s >= 17 && mantissa8(s, end, &m, &frac, &s)) && !mantissa1(s, end, &m, &frac, &s))
		return NULL;
	long e = -frac - pow10;
	if (s < end && (*s == 'e' || *s == 'E')) {
		const char *q = s + 1;
		while (q < end && (*q == ' ' || (*q >= '\t' && *q <= '\r')))
			q++;
		long x;
		if (!(q = exponent(q, end, &x)))
			return NULL;
		e += x;
		s = q;
	}
	return scale(m, e, neg, out) ? s : NULL;
}

/* The decimal that is all of s[0, end): decimal_at's value, or 0. */
static int fast_decimal(const char *s, const char *end, const char *lim, int pow10, double *out)
{
	return decimal_at(s, end, lim, pow10, out) == end;
}

const char *tm_num_read(const char *p, const char *lim, int pow10, double *v)
{
	if (lim - p >= 17) {
		/* the common case in words, as mantissa8 (a sign, then at most 7 + 1 + 8 bytes read) */
		const char *s = p;
		int neg = *s == '-';
		s += *s == '-' || *s == '+';
		uint64_t x = load8(s), nd = nondigits(x);
		if (!nd)
			goto general;
		unsigned i = (unsigned)__builtin_ctzll(nd) >> 3, f = 0;
		uint64_t m = i ? digits8(x, i) : 0;
		s += i;
		if (*s == '.') {
			x = load8(s + 1), nd = nondigits(x);
			if (!nd)
				goto general;
			f = (unsigned)__builtin_ctzll(nd) >> 3;
			if (f)
				m = m * p10i[f] + digits8(x, f);
			s += 1 + f;
		}
		if (i + f == 0)
			return NULL;
		long e = -(long)f - pow10;
		if ((*s | 0x20) == 'e' && s + 1 < lim) {
			long x10;
			const char *q = exponent(s + 1, lim, &x10);
			if (!q)
				return NULL;
			e += x10;
			s = q;
		}
		return scale(m, e, neg, v) ? s : NULL;
	}
general:;
	const char *end = decimal_at(p, lim, lim, pow10, v);
	if (!end || end - p > 63)                     /* tm_parse_num_in reads 63 bytes in place */
		return NULL;
	for (const char *q = p; q < end; q++)
		if (*q == ' ' || (*q >= '\t' && *q <= '\r'))
			return NULL;                  /* "1e 5": strtol's spaces, not a plain decimal */
	return end;
}

double tm_parse_num_in(const char *p, size_t n, int pow10, const char *lim)
{
	char buf[80];
	size_t k = 0;
	double v;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	/* the common case read in place: a plain decimal, which the copy below would not change
	 * (the fast path accepts no ',' or '_', and the copy keeps 63 bytes) */
	for (k = n; k && (p[k - 1] == ' ' || p[k - 1] == '%'); k--)
		;
	if (n <= 63 && k && fast_decimal(p, p + k, lim, pow10, &v))
		return v;
	k = 0;
	for (size_t i = 0; i < n && k < 63; i++)
		if (p[i] != ',' && p[i] != '_')
			buf[k++] = p[i];
	while (k && (buf[k - 1] == ' ' || buf[k - 1] == '%'))
		k--;
	buf[k] = '\0';
	if (k == 0)
		return NAN;
	size_t len = strlen(buf);                   /* a NUL byte ends the number */
	if (fast_decimal(buf, buf + len, buf + len, pow10, &v))
		return v;
	if (pow10) {
		/* scale in decimal: "1041.6" ms -> "1041.6e-3" s, correctly rounded by strtod */
		char *e = strpbrk(buf, "eE");
		long ex = 0;
		if (e) {
			char *end;
			ex = strtol(e + 1, &end, 10);
			if (*end)
				return NAN;
			k = (size_t)(e - buf);
		}
		snprintf(buf + k, sizeof(buf) - k, "e%ld", ex - pow10);
	}
	char *end;
	v = strtod(buf, &end);
	if (end == buf || *end)
		return NAN;
	return v;
}

double tm_parse_num_pow10(const char *p, size_t n, int pow10)
{
	return tm_parse_num_in(p, n, pow10, p + n);
}

double tm_parse_num(const char *p, size_t n)
{
	return tm_parse_num_pow10(p, n, 0);
}
