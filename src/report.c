/* report.c: text, JSON and CSV renderings of a run summary (see report.h).
 *
 * The JSON keys are an interface (documented in docs/analyze.md and tested by golden files):
 * add keys, never rename them. Unknown values are null in JSON and "unknown (needs FLAG)" in text.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/appendf.h"
#include "trainmon/report.h"
#include "trainmon/timefmt.h"
#include "trainmon/xalloc.h"
#include "banned.h"

/* Epoch seconds to the millisecond, the resolution the ISO form shows. */
static double epoch_ms(double ts)
{
	return isnan(ts) ? NAN : round(ts * 1000) / 1000;
}

void tm_report_json_time(struct tm_json *j, const char *key, double ts)
{
	char buf[40];
	if (isnan(ts)) {
		tm_json_null(j, key);
		return;
	}
	tm_time_iso(buf, sizeof(buf), ts);
	tm_json_str(j, key, buf);
}

void tm_report_json_time_epoch(struct tm_json *j, const char *key, const char *key_epoch, double ts)
{
	tm_report_json_time(j, key, ts);
	tm_json_num(j, key_epoch, epoch_ms(ts));
}

void tm_fmt_si(char *buf, size_t n, double v, const char *unit)
{
	static const char *const pre[] = { "", " k", " M", " G", " T", " P", " E" };
	if (isnan(v)) {
		snprintf(buf, n, "unknown");
		return;
	}
	int i = 0;
	double a = fabs(v);
	while (a >= 1000 && i < 6)
		a /= 1000, v /= 1000, i++;
	if (*pre[i] || !*unit)
		snprintf(buf, n, "%.4g%s%s", v, pre[i], unit);   /* "1.23 Mtokens/s", "1.23" */
	else
		snprintf(buf, n, "%.4g %s", v, unit);            /* "123.4 tokens/s" */
}

void tm_fmt_duration(char *buf, size_t n, double s)
{
	if (isnan(s)) {
		snprintf(buf, n, "unknown");
		return;
	}
	if (s < 60) {
		snprintf(buf, n, "%.1fs", s);
		return;
	}
	double d = floor(s / 86400);
	s -= d * 86400;
	double h = floor(s / 3600);
	s -= h * 3600;
	double m = floor(s / 60);
	if (d > 0)
		snprintf(buf, n, "%.0fd %02.0fh %02.0fm", d, h, m);
	else
		snprintf(buf, n, "%.0fh %02.0fm", h, m);
}

static void json_val(struct tm_json *j, const char *key, const struct tm_val *v)
{
	tm_json_num(j, key, v->v);
}

static void json_source(struct tm_json *j, const char *key, const struct tm_val *v)
{
	if (isnan(v->v))
		tm_json_null(j, key);
	else
		tm_json_str(j, key, tm_src_name(v->src));
}

void tm_report_json_run(struct tm_json *j, const char *key, const struct tm_summary *s,
			const struct tm_run *r)
{
	tm_json_obj(j, key);
	tm_report_json_fields(j, s, r);
	tm_json_end(j, '}');
}

void tm_report_json_fields(struct tm_json *j, const struct tm_summary *s, const struct tm_run *r)
{
	tm_json_str(j, "file", s->file);
	tm_json_str(j, "framework", s->framework);
	tm_json_str(j, "slurm_job_id", s->slurm_job_id);
	tm_json_num(j, "steps", (double)s->steps);
	tm_json_num(j, "duplicate_step_records", (double)r->dup_steps);
	tm_json_num(j, "steps_not_kept", (double)r->steps_dropped);
	tm_json_num(j, "steps_out_of_order", (double)r->out_of_order);
	tm_json_num(j, "first_step", s->first_step);
	tm_json_num(j, "last_step", s->last_step);
	tm_json_num(j, "warmup_steps", s->warmup_steps);
	tm_json_bool(j, "warmup_auto", s->warmup_auto);
	tm_json_num(j, "step_time_derived_records", (double)s->step_time_derived);
	tm_json_str(j, "step_time_derived_from", s->step_time_how);
	tm_json_str(j, "basis", tm_basis_name(s->basis));
	tm_json_obj(j, "step_time_s");
	tm_json_num(j, "last", s->st.last);
	tm_json_num(j, "median", s->st.median);
	tm_json_num(j, "mean", s->st.mean);
	tm_json_num(j, "min", s->st.min);
	tm_json_num(j, "max", s->st.max);
	tm_json_num(j, "p10", s->st.p10);
	tm_json_num(j, "p90", s->st.p90);
	tm_json_num(j, "n", (double)s->st.n);
	tm_json_end(j, '}');
	json_val(j, "seq_len", &s->seq_len);
	json_val(j, "global_batch_size", &s->global_batch);
	json_val(j, "gpus", &s->gpus);
	json_val(j, "tokens_per_step", &s->tokens_per_step);
	json_val(j, "tokens_per_s", &s->tokens_per_s);
	json_val(j, "tokens_per_s_per_gpu", &s->tokens_per_s_per_gpu);
	json_val(j, "model_flops_per_seq", &s->model_flops_per_seq);
	json_val(j, "model_flops_per_step", &s->model_flops_per_step);
	json_val(j, "tflops_per_gpu", &s->tflops_per_gpu);
	json_val(j, "peak_tflops", &s->peak_tflops);
	json_val(j, "mfu", &s->mfu);
	json_val(j, "tokens_done", &s->tokens_done);
	json_val(j, "target_tokens", &s->target_tokens);
	json_val(j, "eta_s", &s->eta_s);
	json_val(j, "days_to_target", &s->days_to_target);
	tm_json_str(j, "flops_convention", s->convention[0] ? s->convention : NULL);
	tm_json_str(j, "gpu", s->gpu_name);
	tm_json_str(j, "dtype", s->dtype_name);
	tm_json_obj(j, "model");
	json_val(j, "layers", &s->layers);
	json_val(j, "hidden", &s->hidden);
	json_val(j, "heads", &s->heads);
	json_val(j, "kv_heads", &s->kv_heads);
	json_val(j, "ffn", &s->ffn);
	json_val(j, "vocab", &s->vocab);
	tm_json_str(j, "mlp", tm_mlp_name(s->mlp));
	tm_json_end(j, '}');
	tm_json_obj(j, "sources");
	json_source(j, "seq_len", &s->seq_len);
	json_source(j, "global_batch_size", &s->global_batch);
	json_source(j, "gpus", &s->gpus);
	json_source(j, "layers", &s->layers);
	json_source(j, "hidden", &s->hidden);
	json_source(j, "heads", &s->heads);
	json_source(j, "kv_heads", &s->kv_heads);
	json_source(j, "ffn", &s->ffn);
	json_source(j, "vocab", &s->vocab);
	json_source(j, "model_flops_per_seq", &s->model_flops_per_seq);
	json_source(j, "peak_tflops", &s->peak_tflops);
	json_source(j, "target_tokens", &s->target_tokens);
	tm_json_end(j, '}');
	tm_json_obj(j, "unknown");   /* value -> the flag that would supply it */
	const struct { const char *k; const struct tm_val *v; } u[] = {
		{ "step_time_s", &s->step_time }, { "seq_len", &s->seq_len },
		{ "global_batch_size", &s->global_batch }, { "gpus", &s->gpus },
		{ "model_flops_per_seq", &s->model_flops_per_seq }, { "peak_tflops", &s->peak_tflops },
		{ "target_tokens", &s->target_tokens }, { "tokens_done", &s->tokens_done },
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (isnan(u[i].v->v))
			tm_json_str(j, u[i].k, u[i].v->needs ? u[i].v->needs : "");
	tm_json_end(j, '}');
	tm_json_obj(j, "logged");
	tm_json_num(j, "tflops_per_gpu", s->logged.tflops_median);
	tm_json_num(j, "tflops_per_gpu_last", s->logged.tflops_last);
	tm_json_num(j, "mfu", s->logged.mfu_median);
	tm_json_num(j, "mfu_last", s->logged.mfu_last);
	tm_json_num(j, "tokens_per_s_per_gpu", s->logged.tokens_per_s_per_gpu_median);
	tm_json_num(j, "ratio_tflops", s->ratio_tflops);
	tm_json_num(j, "conventions_low", s->conv_lo);
	tm_json_num(j, "conventions_high", s->conv_hi);
	tm_json_bool(j, "disagrees", s->logged_disagrees);
	tm_json_end(j, '}');
	tm_json_obj(j, "params");    /* every job parameter the log printed */
	for (int p = 0; p < TM_P_N; p++) {
		if (p < TM_P_NUM_STRINGS_FROM_HERE && !isnan(r->params[p]))
			tm_json_num(j, tm_param_name(p), r->params[p]);
		else if (p >= TM_P_NUM_STRINGS_FROM_HERE && r->sparams[p])
			tm_json_str(j, tm_param_name(p), r->sparams[p]);
	}
	tm_json_end(j, '}');
	tm_json_obj(j, "event_counts");
	for (int k = 0; k < TM_EV_N; k++)
		if (r->event_counts[k])
			tm_json_num(j, tm_event_kind_name(k), (double)r->event_counts[k]);
	tm_json_end(j, '}');
	tm_json_obj(j, "incident_counts");
	for (int k = 0; k < TM_EV_N; k++)
		if (r->incident_counts[k])
			tm_json_num(j, tm_event_kind_name(k), (double)r->incident_counts[k]);
	tm_json_end(j, '}');
	tm_json_num(j, "skipped_steps", r->skipped_steps);
	tm_json_arr(j, "events");
	for (size_t i = 0; i < r->nevents; i++) {
		const struct tm_event *e = &r->events[i];
		tm_json_obj(j, NULL);
		tm_json_num(j, "line", (double)e->line);
		tm_json_str(j, "kind", tm_event_kind_name(e->kind));
		tm_json_str(j, "severity", tm_ev_severity_name(e->severity));
		tm_json_str(j, "message", e->message);
		tm_json_num(j, "count", (double)e->count);
		tm_json_num(j, "last_line", (double)e->last_line);
		tm_report_json_event_where(j, e);
		tm_json_end(j, '}');
	}
	tm_json_end(j, ']');
	tm_json_num(j, "events_not_listed", (double)r->events_dropped);
	/* wall clock from the lines' time prefixes (or a pack's inline time): ISO 8601 UTC and epoch */
	tm_json_obj(j, "time");
	tm_report_json_time(j, "first", r->first_ts);
	tm_report_json_time(j, "last", r->last_ts);
	tm_json_num(j, "first_epoch", epoch_ms(r->first_ts));
	tm_json_num(j, "last_epoch", epoch_ms(r->last_ts));
	tm_json_num(j, "span_s", epoch_ms(r->last_ts - r->first_ts));
	tm_report_json_time(j, "first_step", r->nsteps ? tm_run_stepf(r, 0, TM_SF_TS) : NAN);
	tm_report_json_time(j, "last_step", r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_TS) : NAN);
	tm_json_end(j, '}');
	/* where the step times came from, and what the output must not claim (docs/analyze.md) */
	tm_json_str(j, "step_time_source", tm_time_src_name(s->step_time_src));
	const struct { const char *k; double v; } src[] = {
		{ "timestamp_resolution_s", s->ts_resolution_s },
		{ "step_time_resolution_s", s->ts_step_resolution_s },
		{ "step_time_gaps", (double)s->step_time_gaps },
		{ "run_mean_step_time_s", s->run_mean_step_time },
	};
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		tm_json_num(j, src[i].k, src[i].v);
	tm_json_str(j, "run_mean_step_time_from", s->run_mean_how);
	tm_json_obj(j, "progress_bars");   /* tqdm records: steps, eval bars, undecided */
	const double bars[] = { (double)r->bar_steps, (double)r->bars_eval, (double)r->bars_undecided };
	static const char *const bar_keys[] = { "step_records", "eval_records", "undecided_records" };
	for (size_t i = 0; i < 3; i++)
		tm_json_num(j, bar_keys[i], bars[i]);
	tm_json_end(j, '}');
	tm_json_str(j, "step_numbers", !r->nsteps ? NULL : s->steps_numbered ? "log" : "records");
	tm_json_num(j, "fallback_records_dropped", (double)r->fallback_dropped);
	tm_json_str(j, "ended", s->ended > TM_END_CLEAN ? tm_seg_end_name(s->ended) : NULL);
	tm_json_num(j, "remaining_at_last_rate_s", s->remaining_s);
	tm_json_num(j, "logged_tflops_per_gpu_max", s->logged_tflops_max);
	tm_json_bool(j, "logged_above_peak", s->logged_implausible);
}

/* "123.4 (log)" or "unknown (needs --gpus)" */
static void val_text(char *buf, size_t n, const struct tm_val *v, const char *fmt_unit, int src)
{
	if (isnan(v->v)) {
		snprintf(buf, n, "unknown (needs %s)", v->needs ? v->needs : "more input");
		return;
	}
	char num[64];
	tm_fmt_si(num, sizeof(num), v->v, fmt_unit);
	if (src && v->src != TM_SRC_COMPUTED)
		snprintf(buf, n, "%s (%s)", num, tm_src_name(v->src));
	else
		snprintf(buf, n, "%s", num);
}

static void plain(char *buf, size_t n, const struct tm_val *v)
{
	if (isnan(v->v))
		snprintf(buf, n, "unknown (needs %s)", v->needs ? v->needs : "more input");
	else if (v->src != TM_SRC_COMPUTED)
		snprintf(buf, n, "%.10g (%s)", v->v, tm_src_name(v->src));
	else
		snprintf(buf, n, "%.10g", v->v);
}

int tm_report_failure_only(const struct tm_summary *s, const struct tm_run *r)
{
	return !s->steps && r->nevents && isnan(s->run_mean_step_time);
}

/* Where the step times came from, when it is not the log's own per-step time. */
static void time_source_rows(const struct tm_summary *s, const struct tm_run *r, tm_report_row_fn row, void *ctx)
{
	char v[512];
	if (s->step_time_src == TM_TSRC_TIMESTAMPS) {
		row(ctx, "", "from the step records' wall-clock times over the steps between them, in spans");
		snprintf(v, sizeof(v), "of at least 100x the clock's %g s resolution: +-%.3g s/step (median span)",
			 s->ts_resolution_s, s->ts_step_resolution_s);
		row(ctx, "", v);
	} else if (s->step_time_src == TM_TSRC_TQDM) {
		row(ctx, "", "from the training progress bar's rate (tqdm: a moving average, smoothing 0.3,");
		row(ctx, "", "so single slow steps are spread out and damped)");
	}
	if (s->step_time_gaps) {
		snprintf(v, sizeof(v), "%zu intervals left out: an event in them or over 3x the median (eval, checkpoint)",
			 s->step_time_gaps);
		row(ctx, "", v);
	}
	if (r->bars_undecided) {
		snprintf(v, sizeof(v), "%llu progress-bar records not used: training or eval bar cannot be told "
			 "(no train_iters in the log)", (unsigned long long)r->bars_undecided);
		row(ctx, "note", v);
	}
	if (!isnan(s->run_mean_step_time)) {
		snprintf(v, sizeof(v), "%.6g s/step from the end-of-run summary (%s), evaluations and saves included",
			 s->run_mean_step_time, s->run_mean_how);
		row(ctx, "run mean", v);
	}
}

/* Key/value rows, the text report's and the HTML report's one source: key "" continues the row
 * above. v is a scratch buffer for the values. */
void tm_report_rows(const struct tm_summary *s, const struct tm_run *r, tm_report_row_fn row, void *ctx)
{
	char a[128], b[128], c[128], d[128], v[1024];
	size_t n = 0;
	if (s->slurm_job_id)
		snprintf(v, sizeof(v), "%s, slurm job %s", s->framework ? s->framework : "unknown (no rule pack matched; try --framework)",
			 s->slurm_job_id);
	else
		snprintf(v, sizeof(v), "%s", s->framework ? s->framework : "unknown (no rule pack matched; try --framework)");
	row(ctx, "framework", v);
	if (s->steps && s->steps_numbered) {
		snprintf(v, sizeof(v), "%zu step records, steps %.0f..%.0f; warm-up %.0f steps (%s)",
			 s->steps, s->first_step, s->last_step, s->warmup_steps, s->warmup_auto ? "automatic" : "--warmup");
		row(ctx, "steps", v);
	} else if (s->steps) {
		snprintf(v, sizeof(v), "%zu records (the log prints no step numbers; records are counted, not steps); "
			 "warm-up %.0f records (%s)", s->steps, s->warmup_steps, s->warmup_auto ? "automatic" : "--warmup");
		row(ctx, "steps", v);
	}
	if (!isnan(r->first_ts)) {
		tm_time_iso(a, sizeof(a), r->first_ts);
		tm_time_iso(b, sizeof(b), r->last_ts);
		tm_fmt_duration(c, sizeof(c), r->last_ts - r->first_ts);
		snprintf(v, sizeof(v), "%s .. %s, span %s", a, b, c);
		row(ctx, "wall clock", v);
	}
	if (tm_report_failure_only(s, r)) {
		/* a failure-only log: its events are the report; every figure needs steps */
		row(ctx, "steps", "none found: no step time, throughput, MFU, tokens or ETA");
		return;
	}
	if (!s->steps)
		row(ctx, "steps", "none found");
	if (s->st.n && s->basis_level)
		snprintf(v, sizeof(v), "%.6g s median of the last regime (all %zu records: median %.6g, last %.6g, "
			 "mean %.6g, min %.6g, max %.6g)", s->step_time.v, s->st.n, s->st.median, s->st.last,
			 s->st.mean, s->st.min, s->st.max);
	else if (s->st.n)
		snprintf(v, sizeof(v), "%.6g s %s over %zu %s (last %.6g, mean %.6g, min %.6g, max %.6g, p10 %.6g, p90 %.6g)",
			 s->step_time.v, tm_basis_name(s->basis), s->st.n,
			 s->step_time_src == TM_TSRC_TIMESTAMPS ? "spans" : "records", s->st.last, s->st.mean, s->st.min,
			 s->st.max, s->st.p10, s->st.p90);
	else if (s->step_time_src == TM_TSRC_SUMMARY)
		snprintf(v, sizeof(v), "%.6g s mean of the whole run (no per-step time in the log)", s->step_time.v);
	else
		snprintf(v, sizeof(v), "unknown (no timed step records)");
	row(ctx, "step time", v);
	time_source_rows(s, r, row, ctx);
	if (s->step_time_derived) {
		snprintf(v, sizeof(v), "%zu step times derived as %s", s->step_time_derived, s->step_time_how);
		row(ctx, "", v);
	}
	plain(a, sizeof(a), &s->seq_len);
	plain(b, sizeof(b), &s->global_batch);
	plain(c, sizeof(c), &s->gpus);
	snprintf(v, sizeof(v), "seq_len %s, global batch %s, GPUs %s", a, b, c);
	row(ctx, "job", v);
	if (!isnan(s->layers.v) || !isnan(s->hidden.v)) {
		plain(a, sizeof(a), &s->layers);
		plain(b, sizeof(b), &s->hidden);
		plain(c, sizeof(c), &s->heads);
		plain(d, sizeof(d), &s->vocab);
		snprintf(v, sizeof(v), "layers %s, hidden %s, heads %s, vocab %s", a, b, c, d);
		row(ctx, "model", v);
		plain(a, sizeof(a), &s->kv_heads);
		plain(b, sizeof(b), &s->ffn);
		snprintf(v, sizeof(v), "kv_heads %s, ffn %s, mlp %s", a, b, tm_mlp_name(s->mlp) ? tm_mlp_name(s->mlp) : "?");
		row(ctx, "", v);
	}
	val_text(a, sizeof(a), &s->tokens_per_s, "tokens/s", 0);
	val_text(b, sizeof(b), &s->tokens_per_s_per_gpu, "tokens/s/GPU", 0);
	snprintf(v, sizeof(v), "%s, %s", a, b);
	row(ctx, "throughput", v);
	val_text(a, sizeof(a), &s->model_flops_per_seq, "FLOP/sequence", 1);
	row(ctx, "model FLOPs", a);
	if (s->convention[0]) {
		snprintf(v, sizeof(v), "convention: %s", s->convention);
		row(ctx, "", v);
	}
	val_text(a, sizeof(a), &s->tflops_per_gpu, "", 0);
	snprintf(v, sizeof(v), "%s TFLOP/s/GPU", a);
	row(ctx, "achieved", v);
	if (isnan(s->mfu.v))
		snprintf(v, sizeof(v), "unknown (needs %s)", s->mfu.needs ? s->mfu.needs : "more input");
	else
		snprintf(v, sizeof(v), "%.2f%% of %.6g TFLOP/s (%s %s)", 100 * s->mfu.v, s->peak_tflops.v,
			 s->gpu_name ? s->gpu_name : "--peak-tflops", s->dtype_name ? s->dtype_name : "");
	row(ctx, "MFU", v);
	if (!isnan(s->logged.tflops_median) || !isnan(s->logged.mfu_median)) {
		v[0] = '\0';
		if (!isnan(s->logged.tflops_median))
			tm_appendf(v, sizeof(v), &n, "%.6g TFLOP/s/GPU (median)", s->logged.tflops_median);
		if (!isnan(s->ratio_tflops))
			tm_appendf(v, sizeof(v), &n, ", ours/logged %.4f", s->ratio_tflops);
		if (!isnan(s->logged.mfu_median))
			tm_appendf(v, sizeof(v), &n, "%sMFU %.2f%%", isnan(s->logged.tflops_median) ? "" : ", ",
				   100 * s->logged.mfu_median);
		row(ctx, "logged", v);
		if (s->logged_implausible) {
			snprintf(v, sizeof(v), "a logged %.6g TFLOP/s/GPU is above the %.6g dense peak of %s:",
				 s->logged_tflops_max, s->implausible_peak, s->implausible_what);
			row(ctx, "warning", v);
			row(ctx, "", "not a measurement (tiny step times, a wrong FLOP count)");
		}
		if (s->logged_disagrees) {
			snprintf(v, sizeof(v), "the logged TFLOP/s is %.3fx ours: beyond the %.3f-%.3f that causal",
				 1 / s->ratio_tflops, s->conv_lo, s->conv_hi);
			row(ctx, "warning", v);
			row(ctx, "", "halving, the logit GEMM and recompute explain; check the model and GPU count");
		}
	}
	val_text(a, sizeof(a), &s->tokens_done, "tokens", 0);
	row(ctx, "tokens done", a);
	if (!isnan(s->target_tokens.v)) {
		tm_fmt_si(a, sizeof(a), s->target_tokens.v, "tokens");
		tm_fmt_duration(b, sizeof(b), s->eta_s.v);
		tm_fmt_duration(d, sizeof(d), s->remaining_s);
		if (s->ended > TM_END_CLEAN && !isnan(s->remaining_s))
			snprintf(v, sizeof(v), "%s (%s): remaining at %.6g s/step: %s; the run ended (%s)", a,
				 tm_src_name(s->target_tokens.src), s->step_time.v, d, tm_seg_end_name(s->ended));
		else if (isnan(s->days_to_target.v))
			snprintf(v, sizeof(v), "%s (%s): ETA unknown (needs %s)", a,
				 tm_src_name(s->target_tokens.src), s->eta_s.needs ? s->eta_s.needs : "more input");
		else
			snprintf(v, sizeof(v), "%s (%s): ETA %s, %.4g days for the whole target", a,
				 tm_src_name(s->target_tokens.src), b, s->days_to_target.v);
	} else {
		snprintf(v, sizeof(v), "unknown (needs --target-tokens)");
	}
	row(ctx, "target", v);
}

static void text_row(void *ctx, const char *key, const char *value)
{
	fprintf(ctx, "  %-13s %s\n", key, value);
}

void tm_report_text_interruption(FILE *f, const struct tm_interruption *it)
{
	tm_report_interruption_rows(it, text_row, f);
}

void tm_report_text(FILE *f, const struct tm_summary *s, const struct tm_run *r)
{
	fprintf(f, "%s\n", s->file);
	tm_report_rows(s, r, text_row, f);
	if (r->nevents == 0) {
		fprintf(f, "  events        none\n");
		return;
	}
	fprintf(f, "  events\n");
	for (size_t i = 0; i < r->nevents; i++) {
		const struct tm_event *e = &r->events[i];
		fprintf(f, "    line %-7llu %-8s %-16s", (unsigned long long)e->line,
			tm_ev_severity_name(e->severity), tm_event_kind_name(e->kind));
		if (e->count > 1)
			fprintf(f, " x%llu (to line %llu)", (unsigned long long)e->count, (unsigned long long)e->last_line);
		tm_report_text_event_where(f, e);
		fprintf(f, " %.160s\n", e->message);
	}
	if (r->events_dropped)
		fprintf(f, "    (%llu more events not listed)\n", (unsigned long long)r->events_dropped);
}

/* Per-step tokens/s: the step's own global batch when it printed one, else the run's. */
double tm_report_step_tokens_per_s(const struct tm_summary *s, const struct tm_step *st, double t)
{
	double b = isfinite(st->global_batch) ? st->global_batch : s->global_batch.v;
	return t > 0 ? b * s->seq_len.v / t : NAN;
}

/* Per-step MFU: summary.c's formula (docs/formulas.md §1.1) at this step's time and batch. */
double tm_report_step_mfu(const struct tm_summary *s, const struct tm_step *st, double t)
{
	double b = isfinite(st->global_batch) ? st->global_batch : s->global_batch.v;
	if (!(t > 0) || isnan(s->model_flops_per_seq.v) || !(s->gpus.v > 0) || !(s->peak_tflops.v > 0))
		return NAN;
	return b * s->model_flops_per_seq.v / t / s->gpus.v / 1e12 / s->peak_tflops.v;
}

static void csv_num(FILE *f, double v)
{
	char buf[40];
	if (isnan(v))
		buf[0] = '\0';
	else
		tm_fmt_num(buf, sizeof(buf), v);
	fputs(buf, f);
}

/* The `anomaly` column: the kinds of the anomalies whose steps cover st, ';'-joined. The steps
 * come in ascending order, so a sweep over the anomalies ordered by first step (`order`, with
 * *next the first not started yet) keeps only those still open in `open` (*nopen of them). */
static void csv_anomalies(FILE *f, const struct tm_anomalies *a, const size_t *order, size_t *next,
			  size_t *open, size_t *nopen, double step)
{
	while (*next < a->n && a->v[order[*next]].first_step <= step)
		open[(*nopen)++] = order[(*next)++];
	size_t keep = 0;
	for (size_t k = 0; k < *nopen; k++) {
		const struct tm_anomaly *an = &a->v[open[k]];
		if (an->last_step < step)
			continue;                /* over: dropped */
		if (an->first_step <= step)
			fprintf(f, "%s%s", keep ? ";" : "", tm_anomaly_kind_name(an->kind));
		open[keep++] = open[k];
	}
	*nopen = keep;
}

void tm_report_csv(FILE *f, const struct tm_summary *s, const struct tm_run *r, const struct tm_anomalies *an,
		   int header)
{
	if (header)
		fputs("file,step,line,step_time_s,tokens_per_s,loss,consumed_samples,global_batch_size,"
		      "logged_tflops_per_gpu,logged_mfu,warmup,ts,ts_epoch,step_time_source,anomaly\n", f);
	size_t na = an ? an->n : 0, next = 0, nopen = 0;
	size_t *order = tm_xcalloc(na + 1, sizeof(*order)), *open = tm_xcalloc(na + 1, sizeof(*open));
	for (size_t k = 0; k < na; k++)
		order[k] = k;
	for (size_t k = 1; k < na; k++)   /* insertion sort: stable, and anomalies come nearly sorted */
		for (size_t m = k; m > 0 && an->v[order[m - 1]].first_step > an->v[order[m]].first_step; m--) {
			size_t t = order[m];
			order[m] = order[m - 1];
			order[m - 1] = t;
		}
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct tm_step st_v = tm_run_step(r, i), *st = &st_v;
		/* file names with commas or quotes are quoted, RFC 4180 */
		if (strpbrk(s->file, ",\"\n")) {
			fputc('"', f);
			for (const char *p = s->file; *p; p++) {
				if (*p == '"')
					fputc('"', f);
				fputc(*p, f);
			}
			fputc('"', f);
		} else {
			fputs(s->file, f);
		}
		fputc(',', f);
		csv_num(f, s->steps_numbered ? st->step : NAN);    /* a count of records is not a step */
		fprintf(f, ",%u,", st->line);
		enum tm_time_src src;
		double t = tm_step_time_at(r, i, s, s->step_time_src == TM_TSRC_TIMESTAMPS, &src);
		csv_num(f, t);
		fputc(',', f);
		csv_num(f, tm_report_step_tokens_per_s(s, st, t));
		fputc(',', f);
		csv_num(f, st->loss);
		fputc(',', f);
		csv_num(f, st->consumed);
		fputc(',', f);
		csv_num(f, st->global_batch);
		fputc(',', f);
		csv_num(f, st->tflops);
		fputc(',', f);
		csv_num(f, st->mfu);
		fprintf(f, ",%d,", st->step < s->first_step + s->warmup_steps && s->warmup_steps > 0 ? 1 : 0);
		if (!isnan(st->ts)) {
			char iso[40];
			tm_time_iso(iso, sizeof(iso), st->ts);
			fputs(iso, f);
		}
		fputc(',', f);
		csv_num(f, epoch_ms(st->ts));
		fputc(',', f);
		if (tm_time_src_name(src))
			fputs(tm_time_src_name(src), f);
		fputc(',', f);
		if (na)
			csv_anomalies(f, an, order, &next, open, &nopen, st->step);
		fputc('\n', f);
	}
	free(order);
	free(open);
}
