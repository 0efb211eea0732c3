/* downsample.h: a few thousand points that look like a million. A chart a thousand pixels wide
 * cannot show more, and a page of a million points is tens of megabytes; both methods keep the
 * first and the last point and keep the shape, so a one-step spike survives.
 *
 * Pure functions over x[0..n) ascending and y[0..n) finite (the caller drops unknown values);
 * they write the indices of the points kept, ascending, into idx (room for `out` entries) and
 * return how many. With n <= out every index is kept. Allocate nothing.
 */
#ifndef TRAINMON_DOWNSAMPLE_H
#define TRAINMON_DOWNSAMPLE_H

#include <stddef.h>

/* Largest-Triangle-Three-Buckets: Sveinn Steinarsson, "Downsampling Time Series for Visual
 * Representation", MSc thesis, University of Iceland, 2013, §4.2. The interior points are cut
 * into out - 2 buckets of equal count; from each, the point that makes the largest triangle
 * with the point kept from the previous bucket and the mean of the next bucket is kept. Exactly
 * min(n, out) points (out >= 3; fewer than 3 keeps the first and last). */
size_t tm_downsample_lttb(const double *x, const double *y, size_t n, size_t out, size_t *idx);

/* The minimum and the maximum of each bucket (of equal count), in x order: every local extreme
 * a bucket holds is kept, so the envelope of the series is exact at bucket resolution (what
 * a pixel column can show). At most min(n, out) points. */
size_t tm_downsample_minmax(const double *x, const double *y, size_t n, size_t out, size_t *idx);

#endif
