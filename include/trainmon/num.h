/* num.h: numbers as logs print them (src/num.c). Pure functions of their bytes: no state. */
#ifndef TRAINMON_NUM_H
#define TRAINMON_NUM_H

#include <stddef.h>

/* Parses a number as logs print it: 1.5, 1.249e+03, 1,541,366, nan, inf, -12.71. NAN on failure. */
double tm_parse_num(const char *p, size_t n);
/* The same, times 10^-pow10 applied in decimal (so 1041.6 ms is the double nearest 1.0416 s). */
double tm_parse_num_pow10(const char *p, size_t n, int pow10);
/* The same, where [p, lim) may be read (lim >= p + n: the bytes after the number, say the rest of
 * its line), so that digits are read eight at a time. */
double tm_parse_num_in(const char *p, size_t n, int pow10, const char *lim);
/* The plain decimal at p ([-+]digits[.digits][e[-+]digits], spaces after the e as strtol skips
 * them; at most 15 significant digits and a power of ten within +-22: Clinger's fast path), read
 * up to lim at most: its end, with *v what tm_parse_num_in gives for p[0, end - p) at the same
 * pow10 and lim; NULL when p holds no such decimal (the caller then finds the number's extent
 * and calls tm_parse_num_in). */
const char *tm_num_read(const char *p, const char *lim, int pow10, double *v);

#endif
