/* compare_report.c: a comparison (compare.h) as text and as JSON.
 *
 * The JSON keys are an interface (docs/compare.md lists them, golden tests pin them): add keys,
 * never rename them. Differences are always B relative to A (B - A, B / A - 1). Unknown values are
 * null in JSON and "unknown (needs FLAG)" in text, as in analyze.
 */
#include <math.h>
#include <string.h>

#include "trainmon/compare.h"
#include "trainmon/report.h"
#include "banned.h"

static double rel(double a, double b)
{
	return isfinite(a) && isfinite(b) && a != 0 ? b / a - 1 : NAN;
}

static double pct(double x)               /* a fraction in percent, without a negative zero */
{
	return 100 * x + 0.0;
}

/* ---- text ---------------------------------------------------------------------------------- */

static void side_text(char *buf, size_t n, const struct tm_val *v, const char *unit)
{
	if (isnan(v->v))
		snprintf(buf, n, "unknown (needs %s)", v->needs ? v->needs : "more input");
	else
		tm_fmt_si(buf, n, v->v, unit);
}

static void pair_line(FILE *f, const char *label, const struct tm_val *a, const struct tm_val *b, const char *unit)
{
	char x[128], y[128];
	side_text(x, sizeof(x), a, unit);
	side_text(y, sizeof(y), b, unit);
	fprintf(f, "  %-13s A %s, B %s", label, x, y);
	double r = rel(a->v, b->v);
	if (!isnan(r))
		fprintf(f, ": B %+.1f%%", pct(r));
	fputc('\n', f);
}

static void step_time_text(FILE *f, const struct tm_comparison *c)
{
	const struct tm_boot_result *st = &c->st;
	if (c->na == 0 || c->nb == 0) {
		fprintf(f, "  step time     unknown (no timed step records in %s)\n",
			c->na == 0 && c->nb == 0 ? "A or B" : c->na == 0 ? "A" : "B");
		return;
	}
	fprintf(f, "  step time     A %.6g s, B %.6g s: medians of %zu and %zu steady step records\n", st->med_a,
		st->med_b, c->na, c->nb);
	if (c->verdict == TM_CMP_UNKNOWN) {
		fprintf(f, "                B %+.1f%%; no interval: needs %d steady step records on each side\n",
			pct(st->rel), TM_CMP_MIN_STEPS);
		return;
	}
	fprintf(f, "                ");
	if (c->verdict == TM_CMP_SLOWER)
		fprintf(f, "B is %.1f%% slower [%.1f, %.1f]", pct(st->rel), pct(st->rel_lo), pct(st->rel_hi));
	else if (c->verdict == TM_CMP_FASTER)
		fprintf(f, "B is %.1f%% faster [%.1f, %.1f]", pct(-st->rel), pct(-st->rel_hi), pct(-st->rel_lo));
	else
		fprintf(f, "no significant difference: B %+.1f%% [%+.1f, %+.1f]", pct(st->rel), pct(st->rel_lo),
			pct(st->rel_hi));
	fprintf(f, ", B - A %+.4g s [%+.4g, %+.4g]\n", st->diff + 0.0, st->diff_lo + 0.0, st->diff_hi + 0.0);
	fprintf(f, "                (%.0f%% percentile bootstrap of the difference of medians, %u resamples, seed %llu)\n",
		100 * c->boot.level, c->boot.resamples, (unsigned long long)c->boot.seed);
	double ka = c->a->s.tokens_per_step.v, kb = c->b->s.tokens_per_step.v;
	if (isfinite(ka) && isfinite(kb) && ka != kb) {
		char x[64], y[64];
		tm_fmt_si(x, sizeof(x), ka, "tokens");
		tm_fmt_si(y, sizeof(y), kb, "tokens");
		fprintf(f, "                the runs' steps differ (A %s, B %s): throughput compares them\n", x, y);
	}
}

static void loss_text(FILE *f, const struct tm_cmp_loss *l)
{
	if (l->n == 0) {
		fprintf(f, "  loss          not compared (needs %s)\n", l->missing ? l->missing : "more input");
		return;
	}
	char lo[64], hi[64], at[64];
	tm_fmt_si(lo, sizeof(lo), l->tokens_lo, "tokens");
	tm_fmt_si(hi, sizeof(hi), l->tokens_hi, "tokens");
	tm_fmt_si(at, sizeof(at), l->max_at_tokens, "tokens");
	fprintf(f, "  loss          aligned by tokens consumed: %zu points of %s from %s to %s, %s interpolated\n", l->n,
		l->at_b ? "B" : "A", lo, hi, l->at_b ? "A" : "B");
	fprintf(f, "                B - A mean %+.4g, mean |B - A| %.4g, max |B - A| %.4g at %s\n", l->mean_diff + 0.0,
		l->mean_abs_diff, l->max_abs_diff, at);
}

static void value_text(char *buf, size_t n, const struct tm_cmp_value *v, int b)
{
	const char *s = b ? v->sb : v->sa;
	double x = b ? v->b : v->a;
	enum tm_src_kind src = b ? v->src_b : v->src_a;
	if (v->sa || v->sb)
		snprintf(buf, n, "%s", s ? s : "unknown");
	else if (isnan(x))
		snprintf(buf, n, "unknown");
	else if (v->printed || src == TM_SRC_COMPUTED || src == TM_SRC_NONE)
		snprintf(buf, n, "%.10g", x);
	else
		snprintf(buf, n, "%.10g (%s)", x, tm_src_name(src));
}

static void values_text(FILE *f, const struct tm_comparison *c)
{
	if (c->ndiffer == 0) {
		fprintf(f, "  job values    the same (%zu compared)\n", c->nvalues);
		return;
	}
	fprintf(f, "  job values    %zu of %zu differ\n", c->ndiffer, c->nvalues);
	for (size_t i = 0; i < c->nvalues; i++) {
		const struct tm_cmp_value *v = &c->values[i];
		if (!v->differs)
			continue;
		char name[64], x[400], y[400];
		snprintf(name, sizeof(name), "%s%s", v->printed ? "log " : "", v->name);
		value_text(x, sizeof(x), v, 0);
		value_text(y, sizeof(y), v, 1);
		fprintf(f, "    %-22s A %s, B %s\n", name, x, y);
	}
}

static void counts_text(FILE *f, const char *label, const uint64_t *a, const uint64_t *b, int n,
			const char *(*name)(int))
{
	int any = 0;
	for (int k = 0; k < n; k++) {
		if (!a[k] && !b[k])
			continue;
		fprintf(f, "  %-13s %s A %llu, B %llu\n", any ? "" : label, name(k), (unsigned long long)a[k],
			(unsigned long long)b[k]);
		any = 1;
	}
	if (!any)
		fprintf(f, "  %-13s none in either\n", label);
}

static const char *event_name(int k)
{
	return tm_event_kind_name((enum tm_event_kind)k);
}

static const char *anomaly_name(int k)
{
	return tm_anomaly_kind_name((enum tm_anomaly_kind)k);
}

static void side_header(FILE *f, const char *which, const struct tm_summary *s)
{
	fprintf(f, "%s  %s (%s", which, s->file, s->framework ? s->framework : "framework unknown");
	if (s->slurm_job_id)
		fprintf(f, ", slurm job %s", s->slurm_job_id);
	fprintf(f, ")\n");
}

void tm_compare_text(FILE *f, const struct tm_comparison *c)
{
	const struct tm_summary *a = &c->a->s, *b = &c->b->s;
	side_header(f, "A", a);
	side_header(f, "B", b);
	step_time_text(f, c);
	pair_line(f, "throughput", &a->tokens_per_s, &b->tokens_per_s, "tokens/s");
	pair_line(f, "achieved", &a->tflops_per_gpu, &b->tflops_per_gpu, "TFLOP/s/GPU");
	if (isnan(a->mfu.v) || isnan(b->mfu.v)) {
		pair_line(f, "MFU", &a->mfu, &b->mfu, "");
	} else {
		fprintf(f, "  MFU           A %.2f%%, B %.2f%%: B %+.2f points\n", 100 * a->mfu.v, 100 * b->mfu.v,
			pct(b->mfu.v - a->mfu.v));
	}
	pair_line(f, "tokens done", &a->tokens_done, &b->tokens_done, "tokens");
	loss_text(f, &c->loss);
	values_text(f, c);
	counts_text(f, "events", c->events_a, c->events_b, TM_EV_N, event_name);
	counts_text(f, "anomalies", c->anomalies_a, c->anomalies_b, TM_AN_N, anomaly_name);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static void pair_json(struct tm_json *j, const char *key, const struct tm_val *a, const struct tm_val *b, int points)
{
	tm_json_obj(j, key);
	tm_json_num(j, "a", a->v);
	tm_json_num(j, "b", b->v);
	if (points)
		tm_json_num(j, "diff", b->v - a->v);
	tm_json_num(j, "rel", rel(a->v, b->v));
	tm_json_end(j, '}');
}

static void value_json(struct tm_json *j, const struct tm_cmp_value *v)
{
	tm_json_obj(j, NULL);
	tm_json_str(j, "name", v->name);
	tm_json_str(j, "from", v->printed ? "log_params" : "job");
	if (v->sa || v->sb) {
		tm_json_str(j, "a", v->sa);
		tm_json_str(j, "b", v->sb);
	} else {
		tm_json_num(j, "a", v->a);
		tm_json_num(j, "b", v->b);
		if (isnan(v->a))
			tm_json_null(j, "source_a");
		else
			tm_json_str(j, "source_a", tm_src_name(v->src_a));
		if (isnan(v->b))
			tm_json_null(j, "source_b");
		else
			tm_json_str(j, "source_b", tm_src_name(v->src_b));
	}
	tm_json_bool(j, "differs", v->differs);
	tm_json_end(j, '}');
}

/* {"kind": {"a": n, "b": m}} for the kinds either side has */
static void counts_json(struct tm_json *j, const char *key, const uint64_t *a, const uint64_t *b, int n,
			const char *(*name)(int))
{
	tm_json_obj(j, key);
	for (int k = 0; k < n; k++) {
		if (!a[k] && !b[k])
			continue;
		tm_json_obj(j, name(k));
		tm_json_num(j, "a", (double)a[k]);
		tm_json_num(j, "b", (double)b[k]);
		tm_json_end(j, '}');
	}
	tm_json_end(j, '}');
}

void tm_compare_json(struct tm_json *j, const struct tm_comparison *c)
{
	const struct tm_summary *a = &c->a->s, *b = &c->b->s;
	const struct tm_boot_result *st = &c->st;
	tm_json_obj(j, "step_time");
	tm_json_num(j, "median_a_s", st->med_a);
	tm_json_num(j, "median_b_s", st->med_b);
	tm_json_num(j, "n_a", (double)c->na);
	tm_json_num(j, "n_b", (double)c->nb);
	tm_json_num(j, "diff_s", st->diff);
	tm_json_num(j, "diff_lo_s", st->diff_lo);
	tm_json_num(j, "diff_hi_s", st->diff_hi);
	tm_json_num(j, "rel", st->rel);
	tm_json_num(j, "rel_lo", st->rel_lo);
	tm_json_num(j, "rel_hi", st->rel_hi);
	tm_json_str(j, "verdict", tm_cmp_verdict_name(c->verdict));
	tm_json_str(j, "method", "percentile bootstrap of the difference of medians");
	tm_json_num(j, "level", c->boot.level);
	tm_json_num(j, "resamples", c->verdict == TM_CMP_UNKNOWN ? 0 : (double)c->boot.resamples);
	tm_json_num(j, "seed", (double)c->boot.seed);
	tm_json_end(j, '}');
	pair_json(j, "tokens_per_s", &a->tokens_per_s, &b->tokens_per_s, 0);
	pair_json(j, "tflops_per_gpu", &a->tflops_per_gpu, &b->tflops_per_gpu, 0);
	pair_json(j, "mfu", &a->mfu, &b->mfu, 1);
	pair_json(j, "tokens_done", &a->tokens_done, &b->tokens_done, 0);
	const struct tm_cmp_loss *l = &c->loss;
	tm_json_obj(j, "loss");
	tm_json_str(j, "aligned_by", "tokens");
	tm_json_num(j, "points", (double)l->n);
	tm_json_str(j, "points_of", l->n ? (l->at_b ? "b" : "a") : NULL);
	tm_json_num(j, "losses_a", (double)l->na);
	tm_json_num(j, "losses_b", (double)l->nb);
	tm_json_num(j, "tokens_from", l->tokens_lo);
	tm_json_num(j, "tokens_to", l->tokens_hi);
	tm_json_num(j, "mean_diff", l->mean_diff);
	tm_json_num(j, "mean_abs_diff", l->mean_abs_diff);
	tm_json_num(j, "max_abs_diff", l->max_abs_diff);
	tm_json_num(j, "max_abs_diff_at_tokens", l->max_at_tokens);
	tm_json_str(j, "needs", l->n ? NULL : l->missing);
	tm_json_end(j, '}');
	tm_json_num(j, "values_differing", (double)c->ndiffer);
	tm_json_arr(j, "values");
	for (size_t i = 0; i < c->nvalues; i++)
		value_json(j, &c->values[i]);
	tm_json_end(j, ']');
	counts_json(j, "event_counts", c->events_a, c->events_b, TM_EV_N, event_name);
	counts_json(j, "anomaly_counts", c->anomalies_a, c->anomalies_b, TM_AN_N, anomaly_name);
}
