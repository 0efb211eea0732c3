/* svg.h: charts as inline SVG inside an HTML page, drawn by trainmon itself (no JavaScript, no
 * external file): line and step series over a linear, logarithmic or wall-clock axis, ticks with
 * SI prefixes and units, horizontal reference lines, shaded x-ranges, markers whose <title> is
 * their hover text, and a stacked bar. Used by the HTML report (report_html.c); any page that
 * wants overlaid curves (several runs in one chart) passes several series.
 *
 * Everything the caller passes is borrowed for the call only. Text (titles, labels, names) is
 * escaped here (html.h): callers pass raw bytes. Each series is downsampled to max_points
 * (downsample.h) before it is drawn, and its <path> says how many points it kept of how many
 * (data-points, data-of), so a test can count them. Colours are CSS classes (c0..c6) whose
 * values tm_svg_style() writes: the Okabe-Ito palette, distinguishable with the common colour
 * vision deficiencies (Okabe & Ito 2008, "Color Universal Design"), with a dark variant.
 */
#ifndef TRAINMON_SVG_H
#define TRAINMON_SVG_H

#include <stddef.h>
#include <stdio.h>

#define TM_SVG_COLORS 7

enum tm_svg_kind { TM_SVG_LINE = 0, TM_SVG_STEP };          /* straight segments, or a staircase */
enum tm_svg_ds { TM_SVG_DS_MINMAX = 0, TM_SVG_DS_LTTB };     /* downsample.h's two methods */
enum tm_svg_scale { TM_SVG_LINEAR = 0, TM_SVG_LOG, TM_SVG_TIME };  /* TIME: x in epoch s, UTC */

struct tm_svg_series {
	const char *name;          /* legend and hover text */
	const double *x, *y;       /* n values; x ascending; points with a non-finite x or y (or
				      y <= 0 on a log axis) are left out */
	size_t n;
	enum tm_svg_kind kind;
	enum tm_svg_ds ds;
	int color;                 /* palette index, 0..TM_SVG_COLORS-1 */
	int dashed;
};

struct tm_svg_axis {
	const char *label;         /* "step time", "step", "time (UTC)" */
	const char *unit;          /* "s", "tokens/s", "%"; NULL for none */
	enum tm_svg_scale scale;
	double mul;                /* shown value = value * mul (100 for a fraction shown in %); 0 = 1 */
	int si;                    /* 1: ticks with SI prefixes ("200 k", "500 m") */
	int zero;                  /* 1: the range includes 0 (throughput, MFU) */
	int integer;               /* 1: ticks on whole numbers only (a step axis) */
	double lo, hi;             /* y only: this range when lo < hi (points beyond are cut at the
				      plot's edge); 0, 0: the data's */
};

struct tm_svg_hline {              /* a horizontal reference line across the chart */
	double y;
	const char *label;         /* written at its right end and as hover text */
	int color;
	int dashed;
};

struct tm_svg_marker {             /* an event: a vertical line, or a dot when y is finite */
	double x, y;
	const char *text;          /* hover text (the event's message) */
	const char *cls;           /* CSS class suffix ("critical", "warning", "info", "anomaly") */
};

struct tm_svg_range {              /* a shaded stretch of x (a warm-up, a regime, a segment) */
	double x0, x1;
	const char *text;          /* hover text */
	int shade;                 /* 0: grey; 1..TM_SVG_COLORS: that palette colour, light */
	const char *label;         /* drawn at the top left of the range, or NULL */
};

struct tm_svg_chart {
	const char *id;            /* unique in the page: the figure's id */
	const char *title;
	const char *note;          /* a line under the title, or NULL */
	struct tm_svg_axis x, y;
	const struct tm_svg_series *series;
	size_t nseries;
	const struct tm_svg_hline *hlines;
	size_t nhlines;
	const struct tm_svg_marker *markers;
	size_t nmarkers;
	const struct tm_svg_range *ranges;
	size_t nranges;
	size_t max_points;         /* per series; 0 = TM_SVG_MAX_POINTS */
	int width, height;         /* viewBox; 0 = 960 x 280 */
};

#define TM_SVG_MAX_POINTS 2000
#define TM_SVG_MAX_MARKERS 400     /* markers beyond are counted in the caption, not drawn */

/* Writes <figure class="chart" id=...> with a caption, a legend and the <svg>. Returns the
 * number of series points drawn (0: nothing to draw; the figure then says so). */
size_t tm_svg_chart(FILE *f, const struct tm_svg_chart *c);

/* One horizontal bar split into parts (a goodput ledger: productive, lost to failures, restarts,
 * checkpoints...), each part's width its share of the sum, with a legend of values and shares. */
struct tm_svg_part {
	const char *label;
	double value;              /* >= 0, in the bar's unit */
	int color;                 /* palette index */
};
struct tm_svg_bar {
	const char *id, *title;
	const char *unit;          /* "s", "GPU-h"; values are printed with SI prefixes */
	const struct tm_svg_part *parts;
	size_t nparts;
};
void tm_svg_stacked_bar(FILE *f, const struct tm_svg_bar *b);

/* The CSS the charts need (palette, light and dark), to go inside the page's <style>. */
void tm_svg_style(FILE *f);

/* A tick label: v (already multiplied) with an SI prefix chosen for the axis' largest tick
 * `big` and as many decimals as the tick step needs: "1.5 k", "250 m", "40 %". Exposed for the
 * unit tests and for tables that want the same look. */
void tm_svg_fmt_tick(char *buf, size_t n, double v, double step, double big, int si, const char *unit);

#endif
