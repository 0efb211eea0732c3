/* svg_int.h: what svg.c and svg_axis.c share: an axis' range and ticks, computed once per chart. */
#ifndef TRAINMON_SVG_INT_H
#define TRAINMON_SVG_INT_H

#include "trainmon/svg.h"

#define TM__SVG_TICKS_MAX 40

struct tm__svg_ticks {
	double lo, hi;                  /* the axis range after rounding to ticks (data units) */
	double v[TM__SVG_TICKS_MAX];    /* tick positions, ascending, within [lo, hi] */
	size_t n;
	double step;                    /* linear and time: the tick step; log: 0 */
};

/* Ticks for data in [lo, hi] (finite, lo <= hi; positive on a log axis), about `want` of them.
 * With widen, a linear axis is widened to whole ticks (y); else, and on a time or a log axis,
 * the range stays the data's (x: the curve fills the width). */
void tm__svg_ticks(const struct tm_svg_axis *a, double lo, double hi, size_t want, int widen,
		   struct tm__svg_ticks *t);
/* The label of tick i. */
void tm__svg_tick_label(const struct tm_svg_axis *a, const struct tm__svg_ticks *t, size_t i, char *buf,
			size_t n);

#endif
