/* report_html_int.h: what report_html.c and report_html_charts.c share. */
#ifndef TRAINMON_REPORT_HTML_INT_H
#define TRAINMON_REPORT_HTML_INT_H

#include "trainmon/report_html.h"

/* The charts of run i (figure ids "run<i>-..."); a chart without data is named in a note with
 * the flag that would supply it. Returns the number of charts drawn. */
size_t tm__report_html_charts(FILE *f, size_t i, const struct tm_summary *s, const struct tm_run *r,
			      const struct tm_anomalies *a, const struct tm_html_opts *o);

#endif
