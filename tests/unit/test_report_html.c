/* test_report_html.c: the chains hook of report_html.h: a page with begin, a chain section (its
 * segments shaded on a wall-clock chart, interruptions as markers, the goodput ledger as a stacked
 * bar) and end is whole (every element closed) and holds each part, escaped. The section another
 * module fills must work before that module exists. */
#include <stdlib.h>

#include "tm_test.h"
#include "trainmon/report_html.h"

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

int main(void)
{
	struct tm_test_state st = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char *names[] = { (char *)(unsigned long)"chain <a>" };
	tm_report_html_begin(f, names, 1);
	double t0 = 1741684390;
	struct tm_svg_range seg[] = {
		{ t0, t0 + 3600, "segment 1: job 101 <ok>", 1, "job 101" },
		{ t0 + 4000, t0 + 9000, "segment 2: job 102", 4, "job 102" },
	};
	double x[] = { t0, t0 + 3600, t0 + 4000, t0 + 9000 }, y[] = { 0, 1000, 1000, 2500 };
	struct tm_svg_series prog = { .name = "step", .x = x, .y = y, .n = 4 };
	struct tm_svg_marker intr = { .x = t0 + 3600, .y = NAN, .text = "NCCL timeout & restart", .cls = "critical" };
	struct tm_svg_part parts[] = { { "productive", 8100, 2 }, { "lost to failures", 300, 1 }, { "restart", 400, 3 } };
	struct tm_svg_bar ledger = { .id = "chain0-ledger", .title = "Goodput ledger", .unit = "s", .parts = parts, .nparts = 3 };
	tm_report_html_chain(f, "chain0", "Chain <llama>", &prog, 1, seg, 2, &intr, 1, &ledger);
	tm_report_html_end(f);
	fclose(f);
	TM_CHECK(&st, strstr(buf, "<section class=\"chain\" id=\"chain0\">") != NULL);
	TM_CHECK(&st, strstr(buf, "Chain &lt;llama&gt;") != NULL);
	TM_CHECK(&st, strstr(buf, "id=\"chain0-segments\"") != NULL);
	TM_CHECK(&st, count(buf, "<g class=\"rg rg") == 2);
	TM_CHECK(&st, strstr(buf, "segment 1: job 101 &lt;ok&gt;") != NULL);
	TM_CHECK(&st, strstr(buf, "NCCL timeout &amp; restart") != NULL);
	TM_CHECK(&st, strstr(buf, "id=\"chain0-ledger\"") != NULL);
	TM_CHECK(&st, strstr(buf, "width:92.045%") != NULL);      /* 8100 of 8800 */
	TM_CHECK(&st, count(buf, "<section") == count(buf, "</section>"));
	TM_CHECK(&st, count(buf, "<figure") == count(buf, "</figure>") && count(buf, "<figure") == 2);
	TM_CHECK(&st, count(buf, "<div") == count(buf, "</div>"));
	TM_CHECK(&st, count(buf, "<svg") == count(buf, "</svg>"));
	TM_CHECK(&st, strstr(buf, "</html>") != NULL && strstr(buf, "<script") == NULL);
	free(buf);
	/* no progress curve: the segments alone make the chart */
	buf = NULL;
	f = open_memstream(&buf, &len);
	tm_report_html_chain(f, "chain1", "segments only", NULL, 0, seg, 2, NULL, 0, NULL);
	fclose(f);
	TM_CHECK(&st, count(buf, "<g class=\"rg rg") == 2 && strstr(buf, "nothing to draw") == NULL);
	free(buf);
	return tm_test_done(&st, "test_report_html");
}
