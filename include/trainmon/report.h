/* report.h: rendering summaries as text, JSON and CSV. Shared by `analyze` and `watch` (its JSON
 * lines summaries carry the same keys as analyze's runs). Writes only to the FILE it is given. */
#ifndef TRAINMON_REPORT_H
#define TRAINMON_REPORT_H

#include <stdio.h>

#include "trainmon/anomaly.h"
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
void tm_report_csv(FILE *f, const struct tm_summary *s, const struct tm_run *r, int header);

/* A run's step-time regimes and anomalies: keys inside the run's JSON object (basis_level: the
 * summary's basis_level), or a text section after tm_report_text() (nothing when there is one
 * regime and no anomaly). */
void tm_report_json_anomalies(struct tm_json *j, const struct tm_anomalies *a, int basis_level);
void tm_report_text_anomalies(FILE *f, const struct tm_anomalies *a);

/* Human formats: "1.23 M", "3d 04h 05m"; "unknown" for NAN. */
void tm_fmt_si(char *buf, size_t n, double v, const char *unit);
void tm_fmt_duration(char *buf, size_t n, double seconds);

#endif
