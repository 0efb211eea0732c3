/* test_num.c: number parsing as logs print it (src/num.c tm_parse_num): the fast decimal path
 * must give bit-for-bit the double strtod gives, and unit scaling happens in decimal; a decimal
 * read in passing (tm_num_read) ends where the decimal does and has tm_parse_num's value. */
#include <stdint.h>
#include <string.h>

#include "tm_test.h"
#include "trainmon/num.h"

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 1 to maxd random digits into out, a dot anywhere among them or none, sometimes a sign before:
 * how many bytes. */
static size_t signed_digits(uint64_t *seed, char *out, int maxd)
{
	size_t k = 0;
	int nd = 1 + (int)(next(seed) % (uint64_t)maxd), dot = (int)(next(seed) % (uint64_t)(nd + 2));
	if (next(seed) % 5 == 0)
		out[k++] = next(seed) % 2 ? '-' : '+';
	for (int d = 0; d < nd; d++) {
		if (d == dot)
			out[k++] = '.';
		out[k++] = (char)('0' + next(seed) % 10);
	}
	return k;
}

/* Where the decimal at p[0, lim) ends: [-+] digits [. digits] (a digit at least), then
 * [eE] [-+] digits when a digit follows; 0 when there is none. */
static size_t ref_end(const char *p, size_t lim)
{
	size_t i = 0, d = 0;
	if (i < lim && (p[i] == '-' || p[i] == '+'))
		i++;
	for (; i < lim && p[i] >= '0' && p[i] <= '9'; i++)
		d++;
	if (i < lim && p[i] == '.')
		for (i++; i < lim && p[i] >= '0' && p[i] <= '9'; i++)
			d++;
	if (!d)
		return 0;
	size_t j = i + 1;
	if (i < lim && (p[i] == 'e' || p[i] == 'E')) {
		if (j < lim && (p[j] == '-' || p[j] == '+'))
			j++;
		if (j < lim && p[j] >= '0' && p[j] <= '9') {
			while (j < lim && p[j] >= '0' && p[j] <= '9')
				j++;
			i = j;
		}
	}
	return i;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char buf[64];
	uint64_t seed = 88172645463325252ull;
	int mismatches = 0;
	/* 200k random decimals of the shapes logs print: 1-17 digits, a dot anywhere, exponents */
	for (int i = 0; i < 200000; i++) {
		int nd = 1 + (int)(next(&seed) % 17), dot = (int)(next(&seed) % (uint64_t)(nd + 1));
		size_t k = 0;
		if (next(&seed) % 5 == 0)
			buf[k++] = '-';
		for (int d = 0; d < nd; d++) {
			if (d == dot && d > 0)
				buf[k++] = '.';
			buf[k++] = (char)('0' + next(&seed) % 10);
		}
		if (next(&seed) % 3 == 0)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "e%+d", (int)(next(&seed) % 60) - 30);
		buf[k] = '\0';
		double want = strtod(buf, NULL), got = tm_parse_num(buf, k);
		if (memcmp(&want, &got, sizeof(got)) != 0 && !(want == 0 && got == 0)) {
			if (mismatches++ < 5)
				fprintf(stderr, "'%s': strtod %.17g, tm_parse_num %.17g\n", buf, want, got);
		}
	}
	TM_CHECK(&st, mismatches == 0);
	/* leading zeros, a leading or trailing dot, signs, 15 and 16 significant digits after zeros */
	static const char *const odd[] = { ".5", "5.", "007.50", "0.000123", "-0.0", "+3", "000", "0e5", "00.05",
					   "0.000123456789012345", "0.00012345678901234", "100000000000000.5",
					   "123456789012345", "1234567890123456", "-.25", "0.", "0001" };
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		double want = strtod(odd[i], NULL), got = tm_parse_num(odd[i], strlen(odd[i]));
		if (memcmp(&want, &got, sizeof(got)) != 0) {
			fprintf(stderr, "'%s': strtod %.17g, tm_parse_num %.17g\n", odd[i], want, got);
			mismatches++;
		}
	}
	TM_CHECK(&st, mismatches == 0);
	/* log spellings */
	TM_NEAR(&st, tm_parse_num("1,541,366", 9), 1541366, 0);
	TM_NEAR(&st, tm_parse_num("1.249e+03", 9), 1249, 0);
	TM_NEAR(&st, tm_parse_num(" 2e+3 ", 6), 2000, 0);
	TM_NEAR(&st, tm_parse_num("-12.71", 6), -12.71, 0);
	TM_CHECK(&st, isnan(tm_parse_num("N/A", 3)));
	TM_CHECK(&st, isnan(tm_parse_num("nan", 3)));
	TM_CHECK(&st, isinf(tm_parse_num("inf", 3)));
	TM_CHECK(&st, isnan(tm_parse_num("12x", 3)));
	/* read in place: the slice's bounds count, not a NUL after it */
	TM_NEAR(&st, tm_parse_num("4623.6 | throughput", 6), 4623.6, 0);
	TM_NEAR(&st, tm_parse_num("9.997334E+00 |", 12), 9.997334, 0);
	TM_NEAR(&st, tm_parse_num("1.5e-4e", 6), 1.5e-4, 0);
	TM_NEAR(&st, tm_parse_num("45.49 %", 7), 45.49, 0);
	TM_NEAR(&st, tm_parse_num("1_000", 5), 1000, 0);
	TM_NEAR(&st, tm_parse_num_pow10("12\0x", 4, 3), 0.012, 0);   /* a NUL byte ends it */
	TM_CHECK(&st, isnan(tm_parse_num("12 3", 4)));
	TM_CHECK(&st, isnan(tm_parse_num("1.5e", 4)));
	/* read by words (tm_parse_num_in): the same bits as the byte-at-a-time path whatever follows
	 * the number in the line, digits, dots and exponents included */
	{
		static const char tail[] = "0123456789.eE+- |x";
		static const char *const shapes[] = { "4659.5", "1.500000E-04", "512", "0.837", "9.997334E+00",
						      "0", "-12.71", ".5", "5.", "1234567", "12345678", "0.1234567",
						      "0.12345678", "1234567.1234567", "7.", "-.25", "00.05", "+3", ".", "-.",
						      ".e5", "1e5", "12.5e", "0000000.5" };
		char line[128];
		int bad = 0;
		for (int i = 0; i < 100000; i++) {
			size_t k;
			if (i < 24 * 64) {
				k = strlen(shapes[i % 24]);
				memcpy(line, shapes[i % 24], k);
			} else {
				/* 1-15 digits, a dot anywhere or none, sometimes a sign and an exponent */
				k = signed_digits(&seed, line, 15);
				if (next(&seed) % 3 == 0)
					k += (size_t)snprintf(line + k, 16, "E%+03d", (int)(next(&seed) % 40) - 20);
			}
			for (size_t j = k; j < sizeof(line); j++)
				line[j] = tail[next(&seed) % (sizeof(tail) - 1)];
			int pow10 = (int)(next(&seed) % 4);
			char alone[64];
			memcpy(alone, line, k);
			double want = tm_parse_num_pow10(alone, k, pow10);
			double got = tm_parse_num_in(line, k, pow10, line + sizeof(line));
			if (memcmp(&want, &got, sizeof(got)) != 0 && !(isnan(want) && isnan(got))) {
				if (bad++ < 5)
					fprintf(stderr, "'%.*s' (then '%.8s') 10^-%d: alone %.17g, in its line %.17g\n",
						(int)k, line, line + k, pow10, want, got);
			}
		}
		TM_CHECK(&st, bad == 0);
	}
	/* read in passing (tm_num_read): where it reads, the extent is the decimal's whole (digits,
	 * a dot and digits, an exponent with digits: ref_end) and the value tm_parse_num_in's for it;
	 * the bytes after it and the readable end vary (words read, or bytes one at a time) */
	{
		static const char tail[] = "0123456789.eE+- |x";
		char line[48];
		int bad = 0, read = 0;
		for (int i = 0; i < 200000; i++) {
			size_t k = signed_digits(&seed, line, 16);
			if (next(&seed) % 3 == 0)
				k += (size_t)snprintf(line + k, 12, "%c%+0*d", next(&seed) % 2 ? 'e' : 'E',
						      1 + (int)(next(&seed) % 8), (int)(next(&seed) % 40) - 20);
			for (size_t j = k; j < sizeof(line); j++)
				line[j] = next(&seed) % 3 ? ' ' : tail[next(&seed) % (sizeof(tail) - 1)];
			size_t lim = k + (size_t)(next(&seed) % (sizeof(line) - k + 1));
			int pow10 = (int)(next(&seed) % 4);
			double v;
			const char *end = tm_num_read(line, line + lim, pow10, &v);
			if (!end)
				continue;
			read++;
			size_t e = ref_end(line, lim), n = (size_t)(end - line);
			char alone[64];
			memcpy(alone, line, n);
			double want = tm_parse_num_pow10(alone, n, pow10);
			if (n != e || memcmp(&want, &v, sizeof(v)) != 0) {
				if (bad++ < 5)
					fprintf(stderr, "'%.*s' (limit %zu) 10^-%d: read %zu bytes %.17g, want %zu bytes %.17g\n",
						(int)sizeof(line), line, lim, pow10, n, v, e, want);
			}
		}
		TM_CHECK(&st, bad == 0);
		TM_CHECK(&st, read > 100000);   /* a floor: most of the 200 000 are plain decimals read */
		double v;
		TM_CHECK(&st, tm_num_read("4659.5 | throughput per GPU", "4659.5 | throughput per GPU" + 27, 0, &v) &&
			      v == 4659.5);
		TM_CHECK(&st, !tm_num_read("1e 5 and more text after", "1e 5 and more text after" + 24, 0, &v));
		TM_CHECK(&st, !tm_num_read("nan | and more text after", "nan | and more text after" + 25, 0, &v));
	}
	/* unit scaling in decimal: 1041.6 ms is exactly the double nearest 1.0416 s */
	TM_NEAR(&st, tm_parse_num_pow10("1041.6", 6, 3), 1.0416, 0);
	TM_NEAR(&st, tm_parse_num_pow10("4.65e+03", 8, 3), 4.65, 0);
	TM_NEAR(&st, tm_parse_num_pow10("45.49", 5, 2), 0.4549, 0);
	return tm_test_done(&st, "test_num");
}
