/* report_anomaly.c: a run's step-time regimes and anomalies (anomaly.h) as JSON keys and text.
 *
 * JSON carries everything (every anomaly, every regime); text lists the regimes when there is
 * more than one and at most TEXT_MAX anomalies, with a count of the rest, so a run with a
 * thousand checkpoint outliers still reads in one screen. Writes only to what it is given.
 */
#include <math.h>
#include <stdio.h>

#include "trainmon/report.h"
#include "banned.h"

#define TEXT_MAX 20

void tm_report_json_anomalies(struct tm_json *j, const struct tm_anomalies *a, int basis_level)
{
	tm_json_bool(j, "basis_last_regime", basis_level);
	tm_json_num(j, "step_time_mad_s", a->mad);
	tm_json_num(j, "ideal_step_time_s", a->ideal_step_time);
	tm_json_arr(j, "step_time_regimes");
	for (size_t i = 0; i < a->nregimes; i++) {
		const struct tm_regime *g = &a->regimes[i];
		tm_json_obj(j, NULL);
		tm_json_num(j, "first_step", g->first_step);
		tm_json_num(j, "last_step", g->last_step);
		tm_json_num(j, "steps", (double)g->n);
		tm_json_num(j, "median_s", g->median);
		tm_json_num(j, "mad_s", g->mad);
		tm_json_end(j, '}');
	}
	tm_json_end(j, ']');
	tm_json_arr(j, "anomalies");
	for (size_t i = 0; i < a->n; i++) {
		const struct tm_anomaly *an = &a->v[i];
		tm_json_obj(j, NULL);
		tm_json_str(j, "kind", tm_anomaly_kind_name(an->kind));
		tm_json_num(j, "first_step", an->first_step);
		tm_json_num(j, "last_step", an->last_step);
		tm_report_json_time_epoch(j, "first_ts", "first_ts_epoch", an->first_ts);
		tm_report_json_time_epoch(j, "last_ts", "last_ts_epoch", an->last_ts);
		tm_json_num(j, "magnitude", an->magnitude);
		tm_json_num(j, "value", an->value);
		tm_json_num(j, "reference", an->reference);
		tm_json_str(j, "cause", an->cause);
		if (an->kind == TM_AN_STRAGGLER) {   /* only here, so other runs' JSON is unchanged */
			tm_json_num(j, "rank", an->rank);
			tm_json_str(j, "host", an->host[0] ? an->host : NULL);
			tm_json_num(j, "intervals", an->intervals);
		}
		tm_json_end(j, '}');
	}
	tm_json_end(j, ']');
}

static void steps_text(char *buf, size_t n, double first, double last)
{
	if (first == last)
		snprintf(buf, n, "step %.0f", first);
	else
		snprintf(buf, n, "steps %.0f..%.0f", first, last);
}

void tm_report_text_anomalies(FILE *f, const struct tm_anomalies *a)
{
	char where[64], v[32], ref[32];
	if (a->nregimes > 1) {
		fprintf(f, "  regimes       %zu step-time levels; tokens/s, MFU and ETA use the last one's median\n",
			a->nregimes);
		for (size_t i = 0; i < a->nregimes; i++) {
			const struct tm_regime *g = &a->regimes[i];
			steps_text(where, sizeof(where), g->first_step, g->last_step);
			tm_fmt_si(v, sizeof(v), g->median, "s");
			fprintf(f, "    %-24s median %s over %zu steps\n", where, v, g->n);
		}
	}
	if (a->n == 0)
		return;
	fprintf(f, "  anomalies     %zu\n", a->n);
	for (size_t i = 0; i < a->n && i < TEXT_MAX; i++) {
		const struct tm_anomaly *an = &a->v[i];
		int loss = an->kind == TM_AN_LOSS_SPIKE || an->kind == TM_AN_DIVERGENCE;
		steps_text(where, sizeof(where), an->first_step, an->last_step);
		if (an->kind == TM_AN_STRAGGLER) {
			fprintf(f, "    %-21s %-18s rank %d%s%s %.2fx the reference rank for %u reports\n",
				tm_anomaly_kind_name(an->kind), where, an->rank, an->host[0] ? " on " : "", an->host,
				an->value, an->intervals);
			continue;
		}
		if (an->kind == TM_AN_GRAD_NORM_SPIKE)
			loss = 2;
		tm_fmt_si(v, sizeof(v), an->value, loss ? "" : "s");
		tm_fmt_si(ref, sizeof(ref), an->reference, loss ? "" : "s");
		fprintf(f, "    %-21s %-18s ", tm_anomaly_kind_name(an->kind), where);
		if (isinf(an->magnitude))
			fprintf(f, "not finite");
		else
			fprintf(f, "%+.1f %%", 100 * an->magnitude);
		fprintf(f, " (%s%s vs %s%s", loss == 2 ? "grad norm " : loss ? "loss " : "", v, loss ? "mean " : "", ref);
		if (an->cause)
			fprintf(f, "; after %s", an->cause);
		fputs(")\n", f);
	}
	if (a->n > TEXT_MAX)
		fprintf(f, "    (%zu more anomalies in --format json)\n", a->n - TEXT_MAX);
}
