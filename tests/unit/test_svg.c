/* test_svg.c: the chart module's text (svg.h, html.h): tick labels with SI prefixes and the
 * decimals their step needs; escaping of hostile text (markup, quotes, invalid UTF-8, control
 * bytes) everywhere a chart writes text; a chart's path holds the points it says it holds; a
 * chart with nothing to draw says so; the stacked bar's shares. */
#include <stdlib.h>

#include "tm_test.h"
#include "trainmon/html.h"
#include "trainmon/svg.h"

#define THIN "\xe2\x80\x89"

static char *render(void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, arg);
	fclose(f);
	return buf;
}

static void tick(struct tm_test_state *st, double v, double step, double big, int si, const char *unit, const char *want)
{
	char buf[64];
	tm_svg_fmt_tick(buf, sizeof(buf), v, step, big, si, unit);
	TM_STREQ(st, buf, want);
}

static void check_ticks(struct tm_test_state *st)
{
	tick(st, 200000, 100000, 1200000, 1, NULL, "0.2" THIN "M");
	tick(st, 400000, 200000, 800000, 1, NULL, "400" THIN "k");
	tick(st, 0.5, 0.1, 0.9, 1, "s", "500" THIN "ms");
	tick(st, 1.2, 0.2, 1.4, 1, "s", "1.2" THIN "s");
	tick(st, 1, 0.5, 4, 1, "s", "1.0" THIN "s");
	tick(st, 40, 10, 50, 0, "%", "40" THIN "%");
	tick(st, 0, 5, 35, 0, "%", "0" THIN "%");
	tick(st, -0.0000001, 0.1, 1, 1, NULL, "0.0");          /* never "-0" */
	tick(st, 25, 5, 50, 1, NULL, "25");
	tick(st, 3e-6, 1e-6, 5e-6, 1, "s", "3" THIN "\xc2\xb5s");
}

static void esc(FILE *f, const void *arg)
{
	tm_html_puts(f, arg);
}

static void check_escape(struct tm_test_state *st)
{
	char *o = render(esc, "<script>alert(\"x\" & 'y')</script>");
	TM_STREQ(st, o, "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
	free(o);
	/* invalid UTF-8, C0 and C1 controls become U+FFFD; tab, newline and valid UTF-8 pass */
	o = render(esc, "a\xff" "b\x01" "c\xc2\x85" "d\te\n\xc3\xa9\xe2\x82");
	TM_STREQ(st, o, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd" "d\te\n\xc3\xa9\xef\xbf\xbd");
	free(o);
}

static void chart(FILE *f, const void *arg)
{
	tm_svg_chart(f, arg);
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void check_chart(struct tm_test_state *st)
{
	enum { N = 10000 };
	double *x = malloc(N * sizeof(*x)), *y = malloc(N * sizeof(*y));
	for (size_t i = 0; i < N; i++)
		x[i] = (double)i, y[i] = i == 1234 ? 99 : 1;
	y[5] = NAN;                                        /* unknown: left out */
	struct tm_svg_series se = { .name = "time <\"a\">", .x = x, .y = y, .n = N };
	struct tm_svg_marker mk = { .x = 500, .y = NAN, .text = "NCCL <b>timeout</b> & 'more'", .cls = "critical" };
	struct tm_svg_range rg = { .x0 = 0, .x1 = 3000, .text = "warm-up", .label = "warm<up>" };
	struct tm_svg_hline hl = { .y = 1, .label = "median 1 s" };
	struct tm_svg_chart c = {
		.id = "c1", .title = "Step <time>", .x = { .label = "step", .si = 1 },
		.y = { .label = "step time", .unit = "s", .si = 1 }, .series = &se, .nseries = 1,
		.markers = &mk, .nmarkers = 1, .ranges = &rg, .nranges = 1, .hlines = &hl, .nhlines = 1,
		.max_points = 500,
	};
	char *o = render(chart, &c);
	/* at most 500 of the 9999 finite points, and the path holds as many as it says */
	const char *dp = strstr(o, "data-points=\"");
	size_t said = dp ? strtoul(dp + 13, NULL, 10) : 0;
	TM_CHECK(st, said >= 250 && said <= 500);
	TM_CHECK(st, strstr(o, "data-of=\"9999\"") != NULL);
	const char *d = strstr(o, " d=\"M");
	TM_CHECK(st, d != NULL);
	if (d) {
		size_t l = 0;
		for (const char *p = d + 5; *p && *p != '"'; p++)
			l += *p == 'L';
		TM_CHECK(st, l + 1 == said);
	}
	/* the spike at x = 1234 is drawn: 99 on an axis up to 120 is at y 53 (the top is 14), the
	   rest at the bottom */
	double top = 1e9, bottom = -1e9;
	for (const char *p = d ? d + 5 : ""; *p && *p != '"';) {
		char *end;
		strtod(p, &end);                     /* x */
		double yv = strtod(end, &end);
		top = yv < top ? yv : top;
		bottom = yv > bottom ? yv : bottom;
		p = *end == 'L' ? end + 1 : end;
	}
	TM_CHECK(st, top < 60 && top > 40 && bottom > 200);
	TM_CHECK(st, strstr(o, "NCCL &lt;b&gt;timeout&lt;/b&gt; &amp; &#39;more&#39;") != NULL);
	TM_CHECK(st, strstr(o, "Step &lt;time&gt;") != NULL);
	TM_CHECK(st, strstr(o, "time &lt;&quot;a&quot;&gt;") != NULL);
	TM_CHECK(st, strstr(o, "warm&lt;up&gt;") != NULL);
	TM_CHECK(st, strstr(o, "<b>") == NULL);
	TM_CHECK(st, count(o, "<svg") == 1 && count(o, "</svg>") == 1);
	TM_CHECK(st, count(o, "<g ") == count(o, "</g>"));
	TM_CHECK(st, count(o, "<text") == count(o, "</text>"));
	TM_CHECK(st, strstr(o, "http") == NULL);
	free(o);
	/* nothing finite: the figure says so */
	for (size_t i = 0; i < N; i++)
		y[i] = NAN;
	c.nmarkers = c.nranges = c.nhlines = 0;
	o = render(chart, &c);
	TM_CHECK(st, strstr(o, "nothing to draw") != NULL && strstr(o, "<svg") == NULL);
	free(o);
	/* a log axis leaves out values <= 0 */
	for (size_t i = 0; i < N; i++)
		y[i] = i % 2 ? 10.0 / (double)(i + 1) : 0;
	c.y.scale = TM_SVG_LOG;
	o = render(chart, &c);
	TM_CHECK(st, strstr(o, "data-of=\"5000\"") != NULL);
	free(o);
	free(x);
	free(y);
}

static void bar(FILE *f, const void *arg)
{
	tm_svg_stacked_bar(f, arg);
}

static void check_bar(struct tm_test_state *st)
{
	struct tm_svg_part p[] = { { "productive", 750, 2 }, { "lost <to> failures", 200, 1 }, { "restarts", 50, 3 } };
	struct tm_svg_bar b = { .id = "ledger", .title = "Goodput", .unit = "s", .parts = p, .nparts = 3 };
	char *o = render(bar, &b);
	TM_CHECK(st, strstr(o, "width:75.000%") != NULL && strstr(o, "width:20.000%") != NULL);
	TM_CHECK(st, strstr(o, "lost &lt;to&gt; failures") != NULL);
	free(o);
}

int main(void)
{
	struct tm_test_state st = { 0 };
	check_ticks(&st);
	check_escape(&st);
	check_chart(&st);
	check_bar(&st);
	return tm_test_done(&st, "test_svg");
}
