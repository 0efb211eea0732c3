/* svg_axis.c: an axis' ticks and tick labels: 1-2-5 steps on a linear axis, decades (with 2 and 5
 * when there are few) on a log axis, clock-aligned steps (1 s ... 1 week) on a wall-clock axis,
 * read in UTC. Labels carry SI prefixes chosen once per axis, so every tick of an axis has the
 * same prefix and the decimals its step needs ("0.8", "1.0", "1.2"; "200 k", "400 k").
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "svg_int.h"
#include "banned.h"

static double nice_step(double raw)
{
	double mag = pow(10, floor(log10(raw)));
	double norm = raw / mag;
	return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

static void linear(double lo, double hi, size_t want, int widen, int integer, struct tm__svg_ticks *t)
{
	double step = nice_step((hi - lo) / (double)want);
	if (integer && step < 1)
		step = 1;
	t->step = step;
	t->lo = widen ? floor(lo / step) * step : lo;
	t->hi = widen ? ceil(hi / step) * step : hi;
	for (double v = ceil(t->lo / step - 1e-9) * step; v <= t->hi + step * 1e-9 && t->n < TM__SVG_TICKS_MAX; v += step)
		t->v[t->n++] = fabs(v) < step * 1e-9 ? 0 : v;
}

static void logarithmic(double lo, double hi, size_t want, struct tm__svg_ticks *t)
{
	t->lo = lo;
	t->hi = hi;
	if (hi / lo < 10) {              /* less than a decade: linear ticks read fine */
		struct tm__svg_ticks l = { 0 };
		linear(lo, hi, want, 1, 0, &l);
		t->step = l.step;
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i] >= lo && l.v[i] <= hi)
				t->v[t->n++] = l.v[i];
		return;
	}
	int d0 = (int)floor(log10(lo)), d1 = (int)ceil(log10(hi));
	static const double m125[] = { 1, 2, 5 };
	int all = d1 - d0 <= 3;
	for (int d = d0; d <= d1; d++)
		for (size_t k = 0; k < (all ? 3u : 1u) && t->n < TM__SVG_TICKS_MAX; k++) {
			double v = m125[k] * pow(10, d);
			if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
				t->v[t->n++] = v;
		}
}

static void timeaxis(double lo, double hi, size_t want, struct tm__svg_ticks *t)
{
	static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
					10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2419200 };
	double step = steps[sizeof(steps) / sizeof(steps[0]) - 1];
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((hi - lo) / steps[i] <= (double)want) {
			step = steps[i];
			break;
		}
	t->step = step;
	t->lo = lo;
	t->hi = hi;
	for (double v = ceil(lo / step) * step; v <= hi && t->n < TM__SVG_TICKS_MAX; v += step)
		t->v[t->n++] = v;
}

void tm__svg_ticks(const struct tm_svg_axis *a, double lo, double hi, size_t want, int widen,
		   struct tm__svg_ticks *t)
{
	memset(t, 0, sizeof(*t));
	if (!(hi > lo)) {                /* one value: a range around it */
		double pad = lo != 0 ? fabs(lo) * 0.1 : 1;
		if (a->scale == TM_SVG_LOG)
			lo /= 2, hi *= 2;
		else if (a->scale == TM_SVG_TIME)
			lo -= 30, hi += 30;
		else
			lo -= pad, hi += pad;
	}
	if (a->scale == TM_SVG_LOG)
		logarithmic(lo, hi, want, t);
	else if (a->scale == TM_SVG_TIME)
		timeaxis(lo, hi, want, t);
	else
		linear(lo, hi, want, widen, a->integer, t);
}

void tm_svg_fmt_tick(char *buf, size_t n, double v, double step, double big, int si, const char *unit)
{
	static const char *const pre[] = { "n", "\xc2\xb5", "m", "", "k", "M", "G", "T", "P", "E" };
	int e = 0;
	if (si && big > 0) {
		e = (int)floor(log10(big) / 3) * 3;
		e = e < -9 ? -9 : e > 18 ? 18 : e;
	}
	double div = pow(10, e);
	int dec = 0;
	if (step > 0 && step / div < 1)
		dec = (int)ceil(-log10(step / div) - 1e-9);
	if (dec > 2 && e > 0) {          /* a narrow range far from 0 (steps 17061..17064): no prefix */
		e = 0, div = 1, dec = 0;
		if (step > 0 && step < 1)
			dec = (int)ceil(-log10(step) - 1e-9);
	}
	dec = dec > 6 ? 6 : dec;
	double x = v / div;
	if (fabs(x) < 0.5 * pow(10, -dec))
		x = 0;                   /* no "-0" */
	const char *p = pre[e / 3 + 3];
	const char *u = unit ? unit : "";
	snprintf(buf, n, "%.*f%s%s%s", dec, x, *p || *u ? "\xe2\x80\x89" : "", p, u);   /* thin space */
}

void tm__svg_tick_label(const struct tm_svg_axis *a, const struct tm__svg_ticks *t, size_t i, char *buf, size_t n)
{
	double v = t->v[i];
	if (a->scale == TM_SVG_TIME) {
		time_t s = (time_t)v;
		struct tm tmv;
		gmtime_r(&s, &tmv);
		size_t k;
		if (t->step >= 86400)
			k = strftime(buf, n, "%Y-%m-%d", &tmv);
		else if (t->hi - t->lo >= 86400)
			k = strftime(buf, n, "%m-%d %H:%M", &tmv);
		else if (t->step < 60)
			k = strftime(buf, n, "%H:%M:%S", &tmv);
		else
			k = strftime(buf, n, "%H:%M", &tmv);
		if (k == 0 && n)
			buf[0] = '\0';
		return;
	}
	double mul = a->mul != 0 ? a->mul : 1;
	/* a unit on every tick only when it is short ("s", "%"); longer ones are in the axis title */
	const char *unit = a->unit && strlen(a->unit) <= 2 ? a->unit : NULL;
	double big = 0, step = t->step * mul;
	for (size_t k = 0; k < t->n; k++)
		big = fmax(big, fabs(t->v[k] * mul));
	if (a->scale == TM_SVG_LOG && step == 0) {
		/* decades: the step that shows this tick exactly */
		double d = pow(10, floor(log10(v * mul)));
		step = d;
		big = v * mul;       /* log ticks span decades: each its own prefix */
	}
	tm_svg_fmt_tick(buf, n, v * mul, step, big, a->si, unit);
}
