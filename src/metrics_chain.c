/* metrics_chain.c: the chains' series on /metrics (metrics_int.h): per chain (label `chain`)
 * productive time, badput by bucket, interruptions by category and tokens, as counters that sum
 * across files and, with `sum by (chain)`, across daemons; and two gauges (segments, recurrence).
 *
 * The values are livechain.c's counters, which only go up (docs/design.md, "Live chains"). A
 * bucket never known (a log without times has no recovery) has no sample, rather than a 0 that
 * would read as "none". Must not: keep anything between scrapes.
 */
#include <math.h>
#include <stdio.h>

#include "trainmon/interrupt.h"
#include "trainmon/json.h"
#include "metrics_int.h"
#include "banned.h"

static void chain_sample(FILE *f, const char *family, const struct tm_chain_counters *c, const char *key,
			 const char *val, double v)
{
	if (isnan(v))
		return;
	char num[40];
	tm_fmt_num(num, sizeof(num), v);
	fprintf(f, "%s{chain=\"", family);
	tm__metrics_label_value(f, c->name);
	fputc('"', f);
	if (key)
		fprintf(f, ",%s=\"%s\"", key, val);
	fprintf(f, "} %s\n", num);
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void tm__metrics_chains(FILE *f, const struct tm_chain_counters *c, size_t n)
{
	if (!n)
		return;
	header(f, "trainmon_chain_productive_seconds_total", "counter",
	       "Seconds of a training run's wall time spent on steps that were kept (the goodput ledger).");
	for (size_t i = 0; i < n; i++)
		chain_sample(f, "trainmon_chain_productive_seconds_total", &c[i], NULL, NULL, c[i].bucket[TM_B_PRODUCTIVE]);
	header(f, "trainmon_chain_badput_seconds_total", "counter",
	       "Seconds of a training run's wall time lost, by bucket of the goodput ledger.");
	for (size_t i = 0; i < n; i++)
		for (int b = TM_B_PRODUCTIVE + 1; b < TM_B_N; b++)
			chain_sample(f, "trainmon_chain_badput_seconds_total", &c[i], "bucket", tm_bucket_name(b),
				     c[i].bucket[b]);
	header(f, "trainmon_chain_interruptions_total", "counter",
	       "Interruptions of a training run (segments that did not end cleanly or on a time limit), by category.");
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < TM_IC_N; k++)
			chain_sample(f, "trainmon_chain_interruptions_total", &c[i], "category", tm_int_category_name(k),
				     (double)c[i].interruptions[k]);
	header(f, "trainmon_chain_tokens_total", "counter",
	       "Tokens a training run has done across its segments, each step once (a step redone after a restart is not counted again).");
	for (size_t i = 0; i < n; i++)
		chain_sample(f, "trainmon_chain_tokens_total", &c[i], NULL, NULL, c[i].tokens);
	header(f, "trainmon_chain_segments", "gauge", "Segments (job logs) of a training run this daemon knows.");
	for (size_t i = 0; i < n; i++)
		chain_sample(f, "trainmon_chain_segments", &c[i], NULL, NULL, (double)c[i].segments);
	header(f, "trainmon_chain_interruption_recurrence", "gauge",
	       "The largest number of a training run's interruptions with the same cause (same kind, at the same step or on the same host).");
	for (size_t i = 0; i < n; i++)
		chain_sample(f, "trainmon_chain_interruption_recurrence", &c[i], NULL, NULL, (double)c[i].recurrence);
}
