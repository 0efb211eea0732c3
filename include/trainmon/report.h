/* report.h: rendering summaries as text, JSON and CSV. Shared by `analyze` and `watch` (its JSON
 * lines summaries carry the same keys as analyze's runs). Writes only to the FILE it is given. */
#ifndef TRAINMON_REPORT_H
#define TRAINMON_REPORT_H

#include <stdio.h>

#include "trainmon/anomaly.h"
#include "trainmon/chain.h"
#include "trainmon/interrupt.h"
#include "trainmon/json.h"
#include "trainmon/run.h"
#include "trainmon/summary.h"

/* One run as a JSON object (key NULL inside an array). */
void tm_report_json_run(struct tm_json *j, const char *key, const struct tm_summary *s,
			const struct tm_run *r);
/* The same keys, inside an object the caller opened (watch's JSON lines add type and ts). */
void tm_report_json_fields(struct tm_json *j, const struct tm_summary *s, const struct tm_run *r);
/* One run as readable text: the file name, tm_report_rows(), then the events. */
void tm_report_text(FILE *f, const struct tm_summary *s, const struct tm_run *r);
/* The summary as key/value rows, in the text report's order and words ("throughput",
 * "1.001 Mtokens/s, 15.64 ktokens/s/GPU"); key "" continues the row above. The one source of
 * the text report's lines and the HTML report's summary table. value is valid during the call. */
typedef void (*tm_report_row_fn)(void *ctx, const char *key, const char *value);
void tm_report_rows(const struct tm_summary *s, const struct tm_run *r, tm_report_row_fn row, void *ctx);
/* One step's tokens/s (CSV's column with t = the logged time; the HTML chart's with
 * tm_summary_step_time) and MFU from the summary's model FLOPs, GPUs and peak, at step time t
 * (seconds); NAN when unknown. */
double tm_report_step_tokens_per_s(const struct tm_summary *s, const struct tm_step *st, double t);
double tm_report_step_mfu(const struct tm_summary *s, const struct tm_step *st, double t);
/* The per-step series; header once when header is set. */
void tm_report_csv(FILE *f, const struct tm_summary *s, const struct tm_run *r, const struct tm_anomalies *an,
		   int header);

/* A run's step-time regimes and anomalies: keys inside the run's JSON object (basis_level: the
 * summary's basis_level), or a text section after tm_report_text() (nothing when there is one
 * regime and no anomaly). */
void tm_report_json_anomalies(struct tm_json *j, const struct tm_anomalies *a, int basis_level);
void tm_report_text_anomalies(FILE *f, const struct tm_anomalies *a);

/* Chains (chain.h), rendered by report_chain.c: text sections after the runs, the `chains` array
 * of analyze's JSON object, and the CSV segments table (header included). */
void tm_report_chains_text(FILE *f, const struct tm_chain *chains, size_t n, const struct tm_segment *segs);
void tm_report_chains_json(struct tm_json *j, const struct tm_chain *chains, size_t n, const struct tm_segment *segs);
void tm_report_chains_csv(FILE *f, const struct tm_chain *chains, size_t n, const struct tm_segment *segs);

/* A time as ISO 8601 UTC under key, null when NAN. */
void tm_report_json_time(struct tm_json *j, const char *key, double ts);
/* The same, and key_epoch: epoch seconds to the millisecond (null / NAN when ts is NAN). */
void tm_report_json_time_epoch(struct tm_json *j, const char *key, const char *key_epoch, double ts);
/* An event's incident fields (time, ranks, host, code): keys inside its JSON object, or text after
 * its kind on its line. Ranks as ranges, "0-3,8"; returns the length written to buf. */
void tm_report_json_event_where(struct tm_json *j, const struct tm_event *e);
void tm_report_text_event_where(FILE *f, const struct tm_event *e);
size_t tm_fmt_ranks(char *buf, size_t n, const struct tm_event *e);
/* A segment's ending and interruption (interrupt.h): an object under key, or text lines (nothing
 * when the log says nothing of its ending). */
void tm_report_json_interruption(struct tm_json *j, const char *key, const struct tm_interruption *it);
void tm_report_text_interruption(FILE *f, const struct tm_interruption *it);
/* The same as key/value rows (the text report's and the HTML summary's one source). */
void tm_report_interruption_rows(const struct tm_interruption *it, tm_report_row_fn row, void *ctx);

/* 1: a log with events and no step record nor run-level step time: its report is its events. */
int tm_report_failure_only(const struct tm_summary *s, const struct tm_run *r);

/* Human formats: "1.23 M", "3d 04h 05m"; "unknown" for NAN. */
void tm_fmt_si(char *buf, size_t n, double v, const char *unit);
void tm_fmt_duration(char *buf, size_t n, double seconds);

#endif
