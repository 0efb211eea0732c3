/* sortd.h: sorting doubles ascending, the order qsort with `a < b ? -1 : a > b` gives; medians.
 *
 * The statistics (summary.c, anomaly.c) sort every step time of a run, a million at a time:
 * qsort through a comparator spent more CPU there than reading the log. Equal values are
 * bit-identical except 0.0 and -0.0, whose order stays the input's (as glibc's stable merge
 * sort keeps it); an array with a NaN (no total order) goes to qsort as before.
 */
#ifndef TRAINMON_SORTD_H
#define TRAINMON_SORTD_H

#include <stddef.h>

/* Sorts v[0, n) ascending. In place, except when v holds both 0.0 and -0.0 (above 64 values: n
 * doubles of scratch, aborting on OOM) or a NaN (qsort). */
void tm_sort_doubles(double *v, size_t n);
/* The median of v[0, n) (n >= 1, no NaN), reordering v: the middle value, or the mean of the two
 * middle ones, as after tm_sort_doubles (0.0 and -0.0 count as equal), in O(n) without sorting:
 * the daemon takes a rolling median of the step times at every step (anomaly_stream.c), and the
 * regime search a median per candidate split (anomaly.c). */
double tm_median_doubles(double *v, size_t n);
/* The k-th smallest of v[0, n) (k < n, no NaN), reordering v so that no value before index k is
 * above it and none after is below it (quickselect, O(n)). */
double tm_select_doubles(double *v, size_t n, size_t k);

#endif
