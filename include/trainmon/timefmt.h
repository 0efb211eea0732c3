/* timefmt.h: wall-clock times as logs print them: ISO 8601 / RFC 3339 (with or without 'T',
 * fraction and zone), syslog ("Dec  6 02:35:25", no year), glog ("0411 15:03:26.866614", no year).
 *
 * Key decision: a time without a zone is taken as UTC (a log rarely says its zone and a reader
 * cannot fix it line by line); a time without a year gets one from the caller. Hand-written
 * parsers: no regex, no allocation, no locale, never reading past n bytes.
 */
#ifndef TRAINMON_TIMEFMT_H
#define TRAINMON_TIMEFMT_H

#include <stddef.h>

struct tm_civil {
	int year, mon, day, hour, min;  /* year 0 when the text has none */
	double sec;                     /* with the fraction */
	int zone_s;                     /* offset east of UTC, seconds */
	int has_zone;                   /* 1: the text named a zone ('Z' or +hh:mm) */
};

/* Epoch seconds (UTC) of a civil time, its zone applied; year must be set. */
double tm_time_epoch(const struct tm_civil *c);
/* "2025-01-02T03:04:05[.frac][Z|+hh:mm|+hhmm]"; with t_only the date and time must be joined by
 * 'T', else ' ' also does ("2023-07-25 21:03:17,269"). Returns bytes read, 0 when not one. */
size_t tm_time_parse_iso(const char *p, size_t n, int t_only, struct tm_civil *c);
/* "Dec  6 02:35:25" / "Dec 06 02:35:25[.frac]": bytes read or 0; year left 0. */
size_t tm_time_parse_syslog(const char *p, size_t n, struct tm_civil *c);
/* "0411 15:03:26.866614" (glog after its level letter): bytes read or 0; year left 0. */
size_t tm_time_parse_glog(const char *p, size_t n, struct tm_civil *c);
/* Any of the above at p (the whole of p, trailing blanks allowed): 1 on success. */
int tm_time_parse_any(const char *p, size_t n, struct tm_civil *c);
/* ISO 8601 UTC, "2025-01-02T03:04:05Z" or with milliseconds when the time has a fraction. */
void tm_time_iso(char *buf, size_t n, double epoch);

/* The year of a yearless time, resolved along one file: the reference (the file's last change)
 * gives the year, a month later than the reference's means the year before, and a time going
 * back by more than half a year means the next year (a December -> January wrap). */
struct tm_yearless {
	int ref_year, ref_mon;          /* 0: not set (tm_lines sets it from the clock) */
	int year;                       /* chosen for the last time, 0 none yet */
	double last;                    /* epoch of the last yearless time, NAN none */
};
double tm_yearless_resolve(struct tm_yearless *y, struct tm_civil *c);

#endif
