/* svg.c: one chart as a <figure> holding inline SVG (svg.h). The plot is drawn back to front:
 * shaded ranges, grid and ticks, reference lines, series (downsampled, clipped to the plot),
 * markers on top so their hover text is reachable. Coordinates are written with one decimal: a
 * 2000-point series costs about 30 kB. Only this file knows the layout (margins, font sizes).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/downsample.h"
#include "trainmon/html.h"
#include "trainmon/xalloc.h"
#include "svg_int.h"
#include "banned.h"

#define ML 74.0   /* margins of the plot inside the viewBox */
#define MR 18.0
#define MT 14.0
#define MB 44.0
#define DOTS_MAX 60     /* curves of at most this many points also get a dot per point */

struct frame {                       /* data to viewBox coordinates */
	const struct tm_svg_chart *c;
	struct tm__svg_ticks xt, yt;
	double w, h, pw, ph;
};

static double fx(const struct frame *fr, double x)
{
	double lo = fr->xt.lo, hi = fr->xt.hi;
	if (fr->c->x.scale == TM_SVG_LOG)
		x = log10(x), lo = log10(lo), hi = log10(hi);
	return ML + (x - lo) / (hi - lo) * fr->pw;
}

static double fy(const struct frame *fr, double y)
{
	double lo = fr->yt.lo, hi = fr->yt.hi;
	if (fr->c->y.scale == TM_SVG_LOG)
		y = log10(y), lo = log10(lo), hi = log10(hi);
	return MT + fr->ph - (y - lo) / (hi - lo) * fr->ph;
}

static int usable(const struct tm_svg_axis *a, double v)
{
	return isfinite(v) && (a->scale != TM_SVG_LOG || v > 0);
}

/* The data's extent over every series (and, for y, the reference lines). 0 when nothing. */
static int extent(const struct tm_svg_chart *c, double *x0, double *x1, double *y0, double *y1)
{
	*x0 = *y0 = INFINITY;
	*x1 = *y1 = -INFINITY;
	for (size_t s = 0; s < c->nseries; s++) {
		const struct tm_svg_series *se = &c->series[s];
		for (size_t i = 0; i < se->n; i++) {
			if (!usable(&c->x, se->x[i]) || !usable(&c->y, se->y[i]))
				continue;
			*x0 = fmin(*x0, se->x[i]), *x1 = fmax(*x1, se->x[i]);
			*y0 = fmin(*y0, se->y[i]), *y1 = fmax(*y1, se->y[i]);
		}
	}
	/* a chart of ranges only (a chain's segments) spans them, over an empty y of 0..1 */
	for (size_t i = 0; i < c->nranges; i++)
		if (usable(&c->x, c->ranges[i].x0) && usable(&c->x, c->ranges[i].x1))
			*x0 = fmin(*x0, c->ranges[i].x0), *x1 = fmax(*x1, c->ranges[i].x1);
	if (!(*x0 <= *x1))
		return 0;
	if (!(*y0 <= *y1))
		*y0 = c->y.scale == TM_SVG_LOG ? 1 : 0, *y1 = c->y.scale == TM_SVG_LOG ? 10 : 1;
	for (size_t i = 0; i < c->nhlines; i++)
		if (usable(&c->y, c->hlines[i].y))
			*y0 = fmin(*y0, c->hlines[i].y), *y1 = fmax(*y1, c->hlines[i].y);
	if (c->y.lo < c->y.hi && usable(&c->y, c->y.lo)) {
		*y0 = c->y.lo, *y1 = c->y.hi;
		return 1;
	}
	if (c->y.zero && c->y.scale != TM_SVG_LOG)
		*y0 = fmin(*y0, 0), *y1 = fmax(*y1, 0);
	if (c->y.scale == TM_SVG_LOG)
		*y0 /= 1.1, *y1 *= 1.1;
	else if (*y1 > *y0) {
		/* a margin above and below, never below 0 for data that is not negative */
		double pad = (*y1 - *y0) * 0.04;
		*y1 += pad;
		*y0 = *y0 >= 0 && *y0 - pad < 0 ? 0 : *y0 - pad;
	}
	return 1;
}

static void legend(FILE *f, const struct tm_svg_chart *c)
{
	fputs("<div class=\"legend\">", f);
	for (size_t s = 0; s < c->nseries; s++) {
		fprintf(f, "<span class=\"key\"><span class=\"sw c%d%s\"></span>", c->series[s].color % TM_SVG_COLORS,
			c->series[s].dashed ? " dash" : "");
		tm_html_puts(f, c->series[s].name);
		fputs("</span>", f);
	}
	for (size_t i = 0; i < c->nhlines; i++) {
		fprintf(f, "<span class=\"key\"><span class=\"sw c%d dash\"></span>", c->hlines[i].color % TM_SVG_COLORS);
		tm_html_puts(f, c->hlines[i].label);
		fputs("</span>", f);
	}
	/* one key per marker class, in order of first use */
	for (size_t i = 0; i < c->nmarkers && i < TM_SVG_MAX_MARKERS; i++) {
		const char *cls = c->markers[i].cls ? c->markers[i].cls : "info";
		size_t k = 0;
		while (k < i && strcmp(c->markers[k].cls ? c->markers[k].cls : "info", cls) != 0)
			k++;
		if (k < i)
			continue;
		fprintf(f, "<span class=\"key\"><span class=\"mkey mk-");
		tm_html_puts(f, cls);
		fputs("\"></span>", f);
		tm_html_puts(f, cls);
		fputs("</span>", f);
	}
	fputs("</div>\n", f);
}

static void axes(FILE *f, const struct frame *fr)
{
	const struct tm_svg_chart *c = fr->c;
	char buf[64];
	fputs("<g class=\"grid\">", f);
	for (size_t i = 0; i < fr->yt.n; i++)
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", ML, ML + fr->pw,
			fy(fr, fr->yt.v[i]), fy(fr, fr->yt.v[i]));
	fputs("</g>\n<g class=\"axis\">", f);
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", ML, ML + fr->pw, MT + fr->ph, MT + fr->ph);
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", ML, ML, MT, MT + fr->ph);
	for (size_t i = 0; i < fr->yt.n; i++) {
		tm__svg_tick_label(&c->y, &fr->yt, i, buf, sizeof(buf));
		fprintf(f, "<text class=\"yl\" x=\"%.1f\" y=\"%.1f\">", ML - 6, fy(fr, fr->yt.v[i]) + 3.5);
		tm_html_puts(f, buf);
		fputs("</text>", f);
	}
	double last = -1e9;
	for (size_t i = 0; i < fr->xt.n; i++) {
		double x = fx(fr, fr->xt.v[i]);
		tm__svg_tick_label(&c->x, &fr->xt, i, buf, sizeof(buf));
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, MT + fr->ph, MT + fr->ph + 4);
		if (x - last < 7.0 * (double)strlen(buf))    /* labels that would overlap are left out */
			continue;
		last = x;
		/* the labels at the ends stay inside the picture */
		double half = 3.2 * (double)strlen(buf);
		const char *anchor = x + half > fr->w - 2 ? " style=\"text-anchor:end\"" :
				     x - half < 2 ? " style=\"text-anchor:start\"" : "";
		fprintf(f, "<text class=\"xl\" x=\"%.1f\" y=\"%.1f\"%s>", x + (*anchor ? (x - half < 2 ? -2.0 : 2.0) : 0.0),
			MT + fr->ph + 16, anchor);
		tm_html_puts(f, buf);
		fputs("</text>", f);
	}
	/* axis titles, with their units */
	fprintf(f, "<text class=\"xt\" x=\"%.1f\" y=\"%.1f\">", ML + fr->pw / 2, fr->h - 6);
	tm_html_puts(f, c->x.label);
	if (c->x.unit)
		tm_html_printf(f, " (%s)", c->x.unit);
	fprintf(f, "</text><text class=\"yt\" transform=\"translate(14 %.1f) rotate(-90)\">", MT + fr->ph / 2);
	tm_html_puts(f, c->y.label);
	if (c->y.unit)
		tm_html_printf(f, " (%s)", c->y.unit);
	fputs("</text></g>\n", f);
}

static void ranges(FILE *f, const struct frame *fr)
{
	const struct tm_svg_chart *c = fr->c;
	for (size_t i = 0; i < c->nranges; i++) {
		const struct tm_svg_range *r = &c->ranges[i];
		double x0 = fmax(r->x0, fr->xt.lo), x1 = fmin(r->x1, fr->xt.hi);
		if (!(x1 >= x0) || !usable(&c->x, x0))
			continue;
		double a = fx(fr, x0), b = fx(fr, x1);
		fprintf(f, "<g class=\"rg rg%d\"><title>", r->shade % (TM_SVG_COLORS + 1));
		tm_html_puts(f, r->text);
		fprintf(f, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", a, MT,
			fmax(b - a, 1.0), fr->ph);
		if (r->label && b - a > 40) {
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", a + 4, MT + 11);
			tm_html_puts(f, r->label);
			fputs("</text>", f);
		}
		fputs("</g>\n", f);
	}
}

static void hlines(FILE *f, const struct frame *fr)
{
	const struct tm_svg_chart *c = fr->c;
	for (size_t i = 0; i < c->nhlines; i++) {
		const struct tm_svg_hline *h = &c->hlines[i];
		if (!usable(&c->y, h->y))
			continue;
		double y = fy(fr, h->y);
		fprintf(f, "<g class=\"hl c%d%s\"><title>", h->color % TM_SVG_COLORS, h->dashed ? " dash" : "");
		tm_html_puts(f, h->label);
		fprintf(f, "</title><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", ML, ML + fr->pw, y, y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", ML + fr->pw - 4, y - 4);
		tm_html_puts(f, h->label);
		fputs("</text></g>\n", f);
	}
}

/* One series: finite points, downsampled, as one path. Returns the points drawn. */
static size_t series(FILE *f, const struct frame *fr, const struct tm_svg_series *se, size_t max)
{
	const struct tm_svg_chart *c = fr->c;
	double *x = tm_xmalloc((se->n + 1) * sizeof(*x)), *y = tm_xmalloc((se->n + 1) * sizeof(*y));
	size_t n = 0;
	for (size_t i = 0; i < se->n; i++)
		if (usable(&c->x, se->x[i]) && usable(&c->y, se->y[i]))
			x[n] = se->x[i], y[n] = se->y[i], n++;
	size_t *idx = tm_xmalloc((max + 1) * sizeof(*idx));
	size_t k = se->ds == TM_SVG_DS_LTTB ? tm_downsample_lttb(x, y, n, max, idx)
					    : tm_downsample_minmax(x, y, n, max, idx);
	fprintf(f, "<path class=\"s c%d%s\" data-points=\"%zu\" data-of=\"%zu\" clip-path=\"url(#",
		se->color % TM_SVG_COLORS, se->dashed ? " dash" : "", k, n);
	tm_html_puts(f, c->id);
	fputs("-clip)\" d=\"", f);
	for (size_t j = 0; j < k; j++) {
		double px = fx(fr, x[idx[j]]), ny = fy(fr, y[idx[j]]);
		if (j == 0)
			fprintf(f, "M%.1f %.1f", px, ny);
		else if (se->kind == TM_SVG_STEP)
			fprintf(f, "H%.1fV%.1f", px, ny);
		else
			fprintf(f, "L%.1f %.1f", px, ny);
	}
	fputs("\"><title>", f);
	tm_html_puts(f, se->name);
	fprintf(f, " (%zu points", n);
	if (k < n)
		fprintf(f, ", %zu drawn", k);
	fputs(")</title></path>\n", f);
	/* a few points (a short run logged every N steps; a lone point draws no line) get dots */
	if (k <= DOTS_MAX) {
		fprintf(f, "<g class=\"pts c%d\" clip-path=\"url(#", se->color % TM_SVG_COLORS);
		tm_html_puts(f, c->id);
		fputs("-clip)\">", f);
		for (size_t j = 0; j < k; j++)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"/>", fx(fr, x[idx[j]]), fy(fr, y[idx[j]]),
				k == 1 ? "3.5" : "2.2");
		fputs("</g>\n", f);
	}
	free(idx);
	free(x);
	free(y);
	return k;
}

static void markers(FILE *f, const struct frame *fr)
{
	const struct tm_svg_chart *c = fr->c;
	for (size_t i = 0; i < c->nmarkers && i < TM_SVG_MAX_MARKERS; i++) {
		const struct tm_svg_marker *m = &c->markers[i];
		if (!usable(&c->x, m->x) || m->x < fr->xt.lo || m->x > fr->xt.hi)
			continue;
		double x = fx(fr, m->x);
		fputs("<g class=\"mk mk-", f);
		tm_html_puts(f, m->cls ? m->cls : "info");
		fputs("\"><title>", f);
		tm_html_puts(f, m->text);
		fputs("</title>", f);
		if (usable(&c->y, m->y) && m->y >= fr->yt.lo && m->y <= fr->yt.hi) {
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>", x, fy(fr, m->y));
		} else {
			/* a wide transparent line catches the pointer; the visible one is thin */
			fprintf(f, "<line class=\"hit\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, MT, MT + fr->ph);
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, MT + 6, MT + fr->ph);
			fprintf(f, "<path d=\"M%.1f %.1fl-4.5 -7h9z\"/>", x, MT + 7);
		}
		fputs("</g>\n", f);
	}
}

size_t tm_svg_chart(FILE *f, const struct tm_svg_chart *c)
{
	struct frame fr = { .c = c };
	fr.w = c->width > 0 ? c->width : 960;
	fr.h = c->height > 0 ? c->height : 280;
	fr.pw = fr.w - ML - MR;
	fr.ph = fr.h - MT - MB;
	size_t max = c->max_points ? c->max_points : TM_SVG_MAX_POINTS;

	fputs("<figure class=\"chart\" id=\"", f);
	tm_html_puts(f, c->id);
	fputs("\"><figcaption><span class=\"title\">", f);
	tm_html_puts(f, c->title);
	fputs("</span>", f);
	if (c->note) {
		fputs(" <span class=\"note\">", f);
		tm_html_puts(f, c->note);
		fputs("</span>", f);
	}
	if (c->nmarkers > TM_SVG_MAX_MARKERS)
		fprintf(f, " <span class=\"note\">(%zu more markers not drawn)</span>", c->nmarkers - TM_SVG_MAX_MARKERS);
	fputs("</figcaption>\n", f);
	double x0, x1, y0, y1;
	if (!extent(c, &x0, &x1, &y0, &y1)) {
		fputs("<p class=\"empty\">nothing to draw</p></figure>\n", f);
		return 0;
	}
	legend(f, c);
	tm__svg_ticks(&c->x, x0, x1, (size_t)(fr.pw / 110), 0, &fr.xt);
	tm__svg_ticks(&c->y, y0, y1, 5, 1, &fr.yt);
	fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", fr.w, fr.h);
	tm_html_puts(f, c->title);
	fputs("\"><defs><clipPath id=\"", f);
	tm_html_puts(f, c->id);
	fprintf(f, "-clip\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n",
		ML, MT - 2, fr.pw, fr.ph + 4);
	ranges(f, &fr);
	axes(f, &fr);
	size_t drawn = 0;
	for (size_t s = 0; s < c->nseries; s++)
		drawn += series(f, &fr, &c->series[s], max);
	hlines(f, &fr);           /* over the curves, so their labels can be read */
	markers(f, &fr);
	fputs("</svg></figure>\n", f);
	return drawn;
}
