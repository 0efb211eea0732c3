/* compare_html.c: a comparison (compare.h) as one self-contained HTML page: the text report (the
 * same numbers, rendered once by compare_report.c) and two inline SVG charts with A and B
 * overlaid: step time by step, and loss by tokens consumed (the alignment the loss comparison
 * uses). No script, no external URL, no web font; light and dark by prefers-color-scheme, the
 * Okabe-Ito colour-blind-safe pair for A and B.
 *
 * Its own small SVG writer, kept here until the shared chart code of the HTML report exists (the
 * lead moves these charts onto it). A series longer than TM_HTML_POINTS is reduced to the min and
 * max of each of TM_HTML_POINTS/2 buckets, so a spike survives and a 1e6-step run stays small.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/compare.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define TM_HTML_POINTS 2000
enum { W = 860, H = 300, ML = 70, MR = 20, MT = 20, MB = 45 };

struct series {
	double *x, *y;               /* owned */
	size_t n;
};

static void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Min and max of each bucket, in x order, when there are more than TM_HTML_POINTS points. */
static void downsample(struct series *s)
{
	if (s->n <= TM_HTML_POINTS)
		return;
	size_t buckets = TM_HTML_POINTS / 2, k = 0;
	for (size_t b = 0; b < buckets; b++) {
		size_t lo = s->n * b / buckets, hi = s->n * (b + 1) / buckets;
		size_t imin = lo, imax = lo;
		for (size_t i = lo; i < hi; i++) {
			if (s->y[i] < s->y[imin])
				imin = i;
			if (s->y[i] > s->y[imax])
				imax = i;
		}
		size_t first = imin < imax ? imin : imax, second = imin < imax ? imax : imin;
		double x1 = s->x[first], y1 = s->y[first], x2 = s->x[second], y2 = s->y[second];
		s->x[k] = x1, s->y[k++] = y1;
		if (second != first)
			s->x[k] = x2, s->y[k++] = y2;
	}
	s->n = k;
}

static void series_steps(struct series *s, const struct tm_analysis *a)
{
	const struct tm_run *r = &a->f->run;
	s->x = tm_xmalloc((r->nsteps + 1) * sizeof(double));
	s->y = tm_xmalloc((r->nsteps + 1) * sizeof(double));
	s->n = 0;
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct tm_step st = tm_run_step(r, i);
		double t = tm_summary_step_time(&st, &a->s, NULL);
		if (isfinite(t)) {
			s->x[s->n] = tm_run_stepf(r, i, TM_SF_STEP);
			s->y[s->n++] = t;
		}
	}
	downsample(s);
}

static void series_loss(struct series *s, const struct tm_analysis *a)
{
	const struct tm_run *r = &a->f->run;
	const char *missing;
	s->x = tm_xmalloc((r->nsteps + 1) * sizeof(double));
	s->y = tm_xmalloc((r->nsteps + 1) * sizeof(double));
	s->n = tm_compare_loss_points(r, &a->s, s->x, s->y, &missing);
	size_t k = 0;                /* a NaN or infinite loss cannot be drawn */
	for (size_t i = 0; i < s->n; i++)
		if (isfinite(s->y[i]))
			s->x[k] = s->x[i], s->y[k++] = s->y[i];
	s->n = k;
	downsample(s);
}

/* A round step for about n ticks over span (1, 2 or 5 times a power of ten). */
static double tick_step(double span, int n)
{
	double raw = span / n, p = pow(10, floor(log10(raw))), m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void tick_label(char *buf, size_t n, double v)
{
	static const char *const pre[] = { "", "k", "M", "G", "T", "P" };
	int i = 0;
	while (fabs(v) >= 1000 && i < 5)
		v /= 1000, i++;
	snprintf(buf, n, "%.4g%s", v, pre[i]);
}

static void chart(FILE *f, const char *title, const char *xlabel, const char *ylabel, const struct series s[2])
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < s[k].n; i++) {
			x0 = fmin(x0, s[k].x[i]), x1 = fmax(x1, s[k].x[i]);
			y0 = fmin(y0, s[k].y[i]), y1 = fmax(y1, s[k].y[i]);
		}
	fprintf(f, "<figure>\n<figcaption>");
	html_text(f, title);
	fprintf(f, "</figcaption>\n");
	if (!(x0 <= x1)) {
		fprintf(f, "<p class=\"none\">no data in either run</p>\n</figure>\n");
		return;
	}
	if (x1 == x0)
		x1 = x0 + 1;
	if (y1 == y0)
		y0 -= fabs(y0) * 0.05 + 0.5, y1 += fabs(y1) * 0.05 + 0.5;
	double pad = (y1 - y0) * 0.05;
	y0 -= pad, y1 += pad;
	double pw = W - ML - MR, ph = H - MT - MB;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", W, H);
	html_text(f, title);
	fprintf(f, "\">\n<rect class=\"plot\" x=\"%d\" y=\"%d\" width=\"%g\" height=\"%g\"/>\n", ML, MT, pw, ph);
	char lab[32];
	double st = tick_step(x1 - x0, 8);
	for (double t = ceil(x0 / st) * st; t <= x1 + st * 1e-9; t += st) {
		double px = ML + (t - x0) / (x1 - x0) * pw;
		tick_label(lab, sizeof(lab), t);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%g\"/>"
			   "<text class=\"tick\" x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
			px, MT, px, MT + ph, px, MT + ph + 15, lab);
	}
	st = tick_step(y1 - y0, 5);
	for (double t = ceil(y0 / st) * st; t <= y1 + st * 1e-9; t += st) {
		double py = MT + ph - (t - y0) / (y1 - y0) * ph;
		tick_label(lab, sizeof(lab), fabs(t) < st * 1e-9 ? 0 : t);
		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\"/>"
			   "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			ML, py, ML + pw, py, ML - 6, py + 4, lab);
	}
	fprintf(f, "<text class=\"axis\" x=\"%g\" y=\"%d\" text-anchor=\"middle\">", ML + pw / 2, H - 8);
	html_text(f, xlabel);
	fprintf(f, "</text>\n<text class=\"axis\" transform=\"translate(16 %g) rotate(-90)\" text-anchor=\"middle\">",
		MT + ph / 2);
	html_text(f, ylabel);
	fprintf(f, "</text>\n");
	for (int k = 0; k < 2; k++) {
		if (s[k].n == 0)
			continue;
		fprintf(f, "<polyline class=\"run%c\" data-points=\"%zu\" points=\"", k ? 'b' : 'a', s[k].n);
		for (size_t i = 0; i < s[k].n; i++)
			fprintf(f, "%s%.1f,%.1f", i ? " " : "", ML + (s[k].x[i] - x0) / (x1 - x0) * pw,
				MT + ph - (s[k].y[i] - y0) / (y1 - y0) * ph);
		fprintf(f, "\"><title>%c</title></polyline>\n", k ? 'B' : 'A');
	}
	fprintf(f, "<text class=\"runa\" x=\"%g\" y=\"%d\">A</text><text class=\"runb\" x=\"%g\" y=\"%d\">B</text>\n",
		ML + pw - 40, MT + 16, ML + pw - 20, MT + 16);
	fprintf(f, "</svg>\n</figure>\n");
}

void tm_compare_html(FILE *f, const struct tm_comparison *c)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>trainmon compare: ", f);
	html_text(f, c->a->s.file);
	fputs(" vs ", f);
	html_text(f, c->b->s.file);
	fputs("</title>\n<style>\n"
	      ":root { color-scheme: light dark; --fg: #1a1a1a; --bg: #ffffff; --grid: #dddddd; --a: #0072b2; --b: #d55e00; }\n"
	      "@media (prefers-color-scheme: dark) { :root { --fg: #e6e6e6; --bg: #161616; --grid: #3a3a3a; --a: #56b4e9; --b: #e69f00; } }\n"
	      "body { font-family: system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 1.5em; }\n"
	      "pre { font-family: ui-monospace, monospace; font-size: 13px; overflow-x: auto; }\n"
	      "figure { margin: 1em 0; max-width: 960px; } figcaption { font-weight: 600; }\n"
	      "svg { width: 100%; height: auto; } svg text { fill: var(--fg); font-size: 12px; }\n"
	      ".plot { fill: none; stroke: var(--grid); } .grid { stroke: var(--grid); stroke-width: 0.5; }\n"
	      "polyline { fill: none; stroke-width: 1.5; } polyline.runa { stroke: var(--a); } polyline.runb { stroke: var(--b); }\n"
	      "text.runa { fill: var(--a); font-weight: 700; } text.runb { fill: var(--b); font-weight: 700; }\n"
	      "</style>\n</head>\n<body>\n<h1>trainmon compare</h1>\n<pre>", f);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		abort();      /* only when malloc fails */
	tm_compare_text(mem, c);
	fclose(mem);
	html_text(f, text);
	free(text);
	fputs("</pre>\n", f);
	struct series s[2];
	series_steps(&s[0], c->a);
	series_steps(&s[1], c->b);
	chart(f, "Step time by step", "step", "seconds per step", s);
	for (int k = 0; k < 2; k++)
		free(s[k].x), free(s[k].y);
	series_loss(&s[0], c->a);
	series_loss(&s[1], c->b);
	chart(f, "Loss by tokens consumed", "tokens consumed", "loss", s);
	for (int k = 0; k < 2; k++)
		free(s[k].x), free(s[k].y);
	fputs("</body>\n</html>\n", f);
}
