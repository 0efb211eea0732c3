/* fuzz_analyze.c: the whole analyze pipeline (every shipped pack, lines, matcher, run, summary,
 * JSON, text and HTML output) on arbitrary bytes: no crash, no sanitizer report, no hang. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "trainmon/engine.h"
#include "trainmon/report.h"
#include "trainmon/report_html.h"
#include "trainmon/summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	if (tm_ruleset_load(&rs, TM_SOURCE_PATTERNS_DIR, &d) != 0)
		abort();                      /* the shipped packs must load */
	tm_ruleset_finish(&rs, &d);
	struct tm_feed f;
	tm_feed_init(&f, "fuzz.out", &rs, 512);
	tm_feed_bytes(&f, (const char *)data, size, 1);
	struct tm_job job;
	tm_job_init(&job);
	struct tm_summary s;
	tm_summarize(&f.run, &job, &s);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		struct tm_json j;
		tm_json_init(&j, null, 1);
		tm_report_json_run(&j, NULL, &s, &f.run);
		tm_report_text(null, &s, &f.run);
		struct tm_anomaly_cfg acfg;
		struct tm_anomalies an;
		tm_anomaly_cfg_init(&acfg);
		tm_anomalies_init(&an);
		tm_anomalies_find(&an, &f.run, s.warmup_records, &acfg);
		tm_report_json_anomalies(&j, &an, s.basis_level);
		tm_report_text_anomalies(null, &an);
		struct tm_html_opts ho = { .loss_log = size % 2, .min_mfu = 0.3, .max_points = 64 };
		tm_report_html_run(null, 0, &s, &f.run, &an, &ho);
		tm_anomalies_release(&an);
		fclose(null);
	}
	tm_feed_release(&f);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return 0;
}
