/* timefmt.c: wall-clock time parsers and the ISO formatter (see timefmt.h).
 *
 * Key decision: civil -> epoch by days-from-civil arithmetic, not timegm/mktime: no locale, no
 * TZ, no libc state. The parsers check every byte they read against n and never allocate.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/timefmt.h"
#include "banned.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

double tm_time_epoch(const struct tm_civil *c)
{
	long days = days_from_civil(c->year, c->mon, c->day);
	return (double)days * 86400.0 + c->hour * 3600.0 + c->min * 60.0 + c->sec - c->zone_s;
}

/* exactly k digits at p[*i]; 0 when not */
static int digits(const char *p, size_t n, size_t *i, int k, int *v)
{
	int x = 0;
	if (n - *i < (size_t)k)
		return 0;
	for (int j = 0; j < k; j++) {
		char ch = p[*i + (size_t)j];
		if (ch < '0' || ch > '9')
			return 0;
		x = x * 10 + (ch - '0');
	}
	*i += (size_t)k;
	*v = x;
	return 1;
}

/* "hh:mm:ss[.,frac]" at p[*i] */
static int clock_part(const char *p, size_t n, size_t *i, struct tm_civil *c)
{
	int s;
	if (!digits(p, n, i, 2, &c->hour) || *i >= n || p[*i] != ':' ||
	    !(++*i, digits(p, n, i, 2, &c->min)) || *i >= n || p[*i] != ':' ||
	    !(++*i, digits(p, n, i, 2, &s)))
		return 0;
	if (c->hour > 23 || c->min > 59 || s > 60)
		return 0;
	c->sec = s;
	if (*i + 1 < n && (p[*i] == '.' || p[*i] == ',') && p[*i + 1] >= '0' && p[*i + 1] <= '9') {
		double scale = 0.1;
		for (++*i; *i < n && p[*i] >= '0' && p[*i] <= '9'; ++*i, scale /= 10)
			c->sec += (p[*i] - '0') * scale;
	}
	return 1;
}

size_t tm_time_parse_iso(const char *p, size_t n, int t_only, struct tm_civil *c)
{
	size_t i = 0;
	memset(c, 0, sizeof(*c));
	if (!digits(p, n, &i, 4, &c->year) || i >= n || p[i] != '-' ||
	    !(++i, digits(p, n, &i, 2, &c->mon)) || i >= n || p[i] != '-' ||
	    !(++i, digits(p, n, &i, 2, &c->day)) || i >= n)
		return 0;
	if (c->mon < 1 || c->mon > 12 || c->day < 1 || c->day > 31)
		return 0;
	if (!(p[i] == 'T' || (!t_only && p[i] == ' ')))
		return 0;
	i++;
	if (!clock_part(p, n, &i, c))
		return 0;
	if (i < n && p[i] == 'Z') {
		c->has_zone = 1;
		return i + 1;
	}
	if (i < n && (p[i] == '+' || p[i] == '-')) {
		size_t j = i + 1;
		int h, m = 0;
		if (digits(p, n, &j, 2, &h)) {
			if (j < n && p[j] == ':')
				j++;
			size_t k = j;
			if (!digits(p, n, &k, 2, &m))
				k = j, m = 0;
			if (h <= 14 && m <= 59) {
				c->zone_s = (h * 3600 + m * 60) * (p[i] == '-' ? -1 : 1);
				c->has_zone = 1;
				return k;
			}
		}
	}
	return i;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

size_t tm_time_parse_syslog(const char *p, size_t n, struct tm_civil *c)
{
	memset(c, 0, sizeof(*c));
	if (n < 15 || p[3] != ' ')
		return 0;
	const char *m = NULL;
	for (int k = 0; k < 12 && !m; k++)
		if (memcmp(months + 3 * k, p, 3) == 0)
			m = months + 3 * k;
	if (!m)
		return 0;
	c->mon = (int)(m - months) / 3 + 1;
	size_t i = 4;
	if (p[4] == ' ') {                  /* "Dec  6" */
		i = 5;
		if (!digits(p, n, &i, 1, &c->day))
			return 0;
	} else if (!digits(p, n, &i, 2, &c->day)) {
		return 0;
	}
	if (c->day < 1 || c->day > 31 || i >= n || p[i] != ' ')
		return 0;
	i++;
	return clock_part(p, n, &i, c) ? i : 0;
}

size_t tm_time_parse_glog(const char *p, size_t n, struct tm_civil *c)
{
	size_t i = 0;
	memset(c, 0, sizeof(*c));
	if (!digits(p, n, &i, 2, &c->mon) || !digits(p, n, &i, 2, &c->day) || i >= n || p[i] != ' ')
		return 0;
	if (c->mon < 1 || c->mon > 12 || c->day < 1 || c->day > 31)
		return 0;
	i++;
	return clock_part(p, n, &i, c) ? i : 0;
}

int tm_time_parse_any(const char *p, size_t n, struct tm_civil *c)
{
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	size_t k = tm_time_parse_iso(p, n, 0, c);
	if (!k)
		k = tm_time_parse_syslog(p, n, c);
	if (!k)
		k = tm_time_parse_glog(p, n, c);
	return k && k == n;
}

void tm_time_iso(char *buf, size_t n, double epoch)
{
	double whole = floor(epoch);
	long ms = lround((epoch - whole) * 1000);
	if (ms == 1000)
		whole += 1, ms = 0;
	long days = (long)floor(whole / 86400);
	long sod = (long)(whole - (double)days * 86400);
	/* civil_from_days (H. Hinnant) */
	long z = days + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	if (ms)
		snprintf(buf, n, "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.%03ldZ", y, m, d, sod / 3600, sod / 60 % 60,
			 sod % 60, ms);
	else
		snprintf(buf, n, "%04ld-%02ld-%02ldT%02ld:%02ld:%02ldZ", y, m, d, sod / 3600, sod / 60 % 60, sod % 60);
}

double tm_yearless_resolve(struct tm_yearless *y, struct tm_civil *c)
{
	if (!y->year)
		y->year = y->ref_year - (c->mon > y->ref_mon ? 1 : 0);
	c->year = y->year;
	double t = tm_time_epoch(c);
	if (!isnan(y->last) && t < y->last - 183 * 86400.0) {
		c->year = ++y->year;            /* December -> January */
		t = tm_time_epoch(c);
	}
	y->last = t;
	return t;
}
