/* report.h: rendering summaries as text, JSON and CSV. Shared by `analyze` and `watch` (its JSON
 * lines summaries carry the same keys as analyze's runs). Writes only to the FILE it is given. */
#ifndef TRAINMON_REPORT_H
#define TRAINMON_REPORT_H

#include <stdio.h>

#include "trainmon/anomaly.h"
#include "trainmon/chain.h"
#include "trainmon/json.h"
#include "trainmon/run.h"
#include "trainmon/summary.h"

/* One run as a JSON object (key NULL inside an array). */
void tm_report_json_run(struct tm_json *j, const char *key, const struct tm_summary *s,
			const struct tm_run *r);
/* The same keys, inside an object the caller opened (watch's JSON lines add type and ts). */
void tm_report_json_fields(struct tm_json *j, const struct tm_summary *s, const struct tm_run *r);
/* One run as readable text. */
void tm_report_text(FILE *f, const struct tm_summary *s, const struct tm_run *r);
/* The per-step series; header once when header is set. */
void tm_report_csv(FILE *f, const struct tm_summary *s, const struct tm_run *r, int header);

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

/* Human formats: "1.23 M", "3d 04h 05m"; "unknown" for NAN. */
void tm_fmt_si(char *buf, size_t n, double v, const char *unit);
void tm_fmt_duration(char *buf, size_t n, double seconds);

#endif
