/* report_html.h: a run summary as one self-contained HTML page (`trainmon report`, `analyze
 * --format html`): the summary table (report.h's rows: the text report's numbers, not
 * recomputed), inline SVG charts (svg.h) of step time with its regimes and baseline, tokens/s,
 * MFU with the --min-mfu line, loss, and wall-clock views, the events as markers and tables.
 * No script, no external URL: a Content-Security-Policy in the page forbids loading anything,
 * so it reads the same offline, attached to a ticket. Light and dark follow prefers-color-scheme.
 *
 * Call begin once, run once per run (in the order they are to appear), end once. Writes only to
 * the FILE it is given; every text from a log or a file name is escaped (html.h).
 */
#ifndef TRAINMON_REPORT_HTML_H
#define TRAINMON_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "trainmon/anomaly.h"
#include "trainmon/chain.h"
#include "trainmon/run.h"
#include "trainmon/summary.h"
#include "trainmon/svg.h"

struct tm_html_opts {
	int loss_log;              /* loss on a logarithmic axis */
	double min_mfu;            /* fraction drawn as a line on the MFU chart; 0 = none */
	size_t max_points;         /* per series (0: TM_SVG_MAX_POINTS) */
};

/* The page head, its style and a title; names (n of them, borrowed) list the runs to come. */
void tm_report_html_begin(FILE *f, char *const *names, size_t n);
/* Run number i (0-based, the anchor "run<i>"): heading, key figures, charts, summary table,
 * regimes, anomalies and events. Returns the number of charts drawn. */
size_t tm_report_html_run(FILE *f, size_t i, const struct tm_summary *s, const struct tm_run *r,
			  const struct tm_anomalies *a, const struct tm_html_opts *o);
void tm_report_html_end(FILE *f);

/* The hook for chains of jobs (one training run over several Slurm jobs): between begin and end,
 * a section with a wall-clock chart whose shaded ranges are the chain's segments (progress: the
 * chain's curves, e.g. step over time per segment, may be empty; interruptions as markers) and
 * the goodput ledger as a stacked bar (NULL: none). id must be unique in the page. */
void tm_report_html_chain(FILE *f, const char *id, const char *title, const struct tm_svg_series *progress,
			  size_t nprogress, const struct tm_svg_range *segments, size_t nsegments,
			  const struct tm_svg_marker *interruptions, size_t ninterruptions,
			  const struct tm_svg_bar *ledger);

/* Every chain (chain.h) as a section: its segments over the wall clock and its ledger
 * (report_html_chain.c). */
void tm_report_html_chains(FILE *f, const struct tm_chain *chains, size_t n, const struct tm_segment *segs);

#endif
