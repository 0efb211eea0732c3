/* svg_bar.c: a stacked bar of parts of a whole (svg.h), the goodput ledger's shape: where the
 * time of a chain of jobs went. Plain HTML boxes sized in percent, no SVG needed: each box's
 * title says its value and share, and the legend under the bar repeats them for print.
 */
#include <math.h>

#include "trainmon/html.h"
#include "trainmon/report.h"
#include "trainmon/svg.h"
#include "banned.h"

void tm_svg_stacked_bar(FILE *f, const struct tm_svg_bar *b)
{
	double sum = 0;
	for (size_t i = 0; i < b->nparts; i++)
		if (b->parts[i].value > 0)
			sum += b->parts[i].value;
	fputs("<figure class=\"chart stacked\" id=\"", f);
	tm_html_puts(f, b->id);
	fputs("\"><figcaption><span class=\"title\">", f);
	tm_html_puts(f, b->title);
	fputs("</span></figcaption>\n", f);
	if (!(sum > 0)) {
		fputs("<p class=\"empty\">nothing to draw</p></figure>\n", f);
		return;
	}
	char v[64];
	fputs("<div class=\"bar\">", f);
	for (size_t i = 0; i < b->nparts; i++) {
		const struct tm_svg_part *p = &b->parts[i];
		if (!(p->value > 0))
			continue;
		tm_fmt_si(v, sizeof(v), p->value, b->unit ? b->unit : "");
		fprintf(f, "<span class=\"c%d\" style=\"width:%.3f%%\" title=\"", p->color % TM_SVG_COLORS,
			100 * p->value / sum);
		tm_html_printf(f, "%s: %s (%.1f %%)", p->label ? p->label : "", v, 100 * p->value / sum);
		fputs("\"></span>", f);
	}
	fputs("</div>\n<div class=\"barkeys\">", f);
	for (size_t i = 0; i < b->nparts; i++) {
		const struct tm_svg_part *p = &b->parts[i];
		tm_fmt_si(v, sizeof(v), p->value, b->unit ? b->unit : "");
		fprintf(f, "<span class=\"c%d\"><span class=\"box\"></span>", p->color % TM_SVG_COLORS);
		tm_html_printf(f, "%s %s (%.1f %%)", p->label ? p->label : "", v, p->value > 0 ? 100 * p->value / sum : 0.0);
		fputs("</span>", f);
	}
	fputs("</div></figure>\n", f);
}
