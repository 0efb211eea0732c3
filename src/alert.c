/* alert.c: alert state machines (see alert.h).
 *
 * Per-step values use the run's summary for the constants (model FLOPs per step, GPUs, peak,
 * tokens per step) and each new step's own time, so a slow stretch is seen step by step, not
 * through the median. Steps inside the warm-up are not judged. Nothing here reads a clock: the
 * caller passes now_ms, so tests drive time by hand.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/alert.h"
#include "alert_int.h"
#include "banned.h"

static const char *const names[TM_AL_N] = { "low_mfu", "throughput_drop", "stall", "failure", "finished", "ended",
	"step_time_regression", "straggler", "loss_spike", "divergence", "grad_norm_spike" };

const char *tm_alert_name(enum tm_alert_kind k)
{
	return k < TM_AL_N ? names[k] : "?";
}

void tm_alert_cfg_init(struct tm_alert_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->for_steps = 3;
	c->stall_factor = 10;
	c->stall_floor_s = 300;
	c->failure_min = TM_EVS_ERROR;
	tm_anomaly_cfg_init(&c->anomaly);
}

void tm_alerts_init(struct tm_alerts *a)
{
	memset(a, 0, sizeof(*a));
	tm_regress_init(&a->an.regress);
	tm_spike_init(&a->an.loss);
	tm_spike_init(&a->an.grad);
	tm_straggler_init(&a->an.straggler);
	for (size_t i = 0; i < TM_STRAGGLER_GAUGES; i++)
		a->an.worst[i].rank = -1;
}

void tm_alerts_release(struct tm_alerts *a)
{
	tm_regress_release(&a->an.regress);
	tm_spike_release(&a->an.loss);
	tm_spike_release(&a->an.grad);
}

void tm_alerts_move(struct tm_alerts *to, struct tm_alerts *from)
{
	tm_alerts_release(to);
	*to = *from;
	from->an.regress.x = from->an.regress.s = NULL;
	from->an.loss.ring = from->an.grad.ring = NULL;
}

static void emit(tm_alert_fn fn, void *ctx, enum tm_alert_kind k, int firing, double v, double thr,
		 const char *fmt, ...) __attribute__((format(printf, 7, 8)));

void tm__alert_vemit(tm_alert_fn fn, void *ctx, enum tm_alert_kind k, int firing, double v, double thr, double step,
		     const char *fmt, va_list ap)
{
	struct tm_alert_event e = { .kind = k, .firing = firing, .value = v, .threshold = thr, .step = step, .rank = -1 };
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	fn(ctx, &e);
}

static void emit(tm_alert_fn fn, void *ctx, enum tm_alert_kind k, int firing, double v, double thr,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tm__alert_vemit(fn, ctx, k, firing, v, thr, NAN, fmt, ap);
	va_end(ap);
}

/* One step of a level alert: bad = the value is on the alerting side. */
static void level_step(struct tm_level *l, int bad, double value, double step_s, const struct tm_alert_cfg *c,
		       int *fire, int *resolve)
{
	l->value = value;
	*fire = *resolve = 0;
	if (!l->firing) {
		if (bad) {
			l->streak++;
			l->since_step_s += step_s;
			if (l->streak >= c->for_steps || (c->for_s > 0 && l->since_step_s >= c->for_s)) {
				l->firing = 1;
				l->streak = 0;
				l->since_step_s = 0;
				*fire = 1;
			}
		} else {
			l->streak = 0;
			l->since_step_s = 0;
		}
	} else {
		if (!bad) {
			if (++l->streak >= c->for_steps) {
				l->firing = 0;
				l->streak = 0;
				*resolve = 1;
			}
		} else {
			l->streak = 0;
		}
	}
}

void tm_alerts_update(struct tm_alerts *a, const struct tm_alert_cfg *c, const struct tm_run *r,
		      const struct tm_summary *s, uint64_t now_ms, tm_alert_fn fn, void *ctx)
{
	const char *file = r->file;
	/* steps */
	if (r->nsteps > a->step_cursor) {
		a->last_step_ms = now_ms;
		if (a->stall.firing) {
			a->stall.firing = 0;
			emit(fn, ctx, TM_AL_STALL, 0, NAN, NAN, "%s: steps again (step %.0f)", file,
			     tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP));
		}
	}
	double f_step = s->model_flops_per_step.v, gpus = s->gpus.v, peak = s->peak_tflops.v;
	double tok_step = s->tokens_per_step.v;
	double base_tps = !isnan(tok_step) && s->st.n ? tok_step / s->st.median : NAN;
	for (size_t i = a->step_cursor; i < r->nsteps; i++) {
		const struct tm_step st_v = tm_run_step(r, i), *st = &st_v;
		if (i < s->warmup_records || !(st->time_s > 0))
			continue;
		int fire, resolve;
		if (c->min_mfu > 0 && !isnan(f_step) && !isnan(gpus) && !isnan(peak)) {
			double mfu = f_step / st->time_s / gpus / (peak * 1e12);
			level_step(&a->low_mfu, mfu < c->min_mfu, mfu, st->time_s, c, &fire, &resolve);
			if (fire)
				emit(fn, ctx, TM_AL_LOW_MFU, 1, mfu, c->min_mfu,
				     "%s: MFU %.1f%% below %.1f%% for %u steps (step %.0f)", file, 100 * mfu,
				     100 * c->min_mfu, c->for_steps, st->step);
			if (resolve)
				emit(fn, ctx, TM_AL_LOW_MFU, 0, mfu, c->min_mfu, "%s: MFU back to %.1f%% (step %.0f)",
				     file, 100 * mfu, st->step);
		}
		if (c->drop > 0 && !isnan(base_tps) && s->st.n >= 2 * (size_t)c->for_steps) {
			double tps = tok_step / st->time_s, thr = (1 - c->drop) * base_tps;
			level_step(&a->drop, tps < thr, tps, st->time_s, c, &fire, &resolve);
			if (fire)
				emit(fn, ctx, TM_AL_THROUGHPUT_DROP, 1, tps, thr,
				     "%s: %.0f tokens/s, more than %.0f%% below the run's median %.0f (step %.0f)", file,
				     tps, 100 * c->drop, base_tps, st->step);
			if (resolve)
				emit(fn, ctx, TM_AL_THROUGHPUT_DROP, 0, tps, thr, "%s: throughput back to %.0f tokens/s",
				     file, tps);
		}
	}
	tm_alerts_anomalies(a, c, r, a->step_cursor, s->warmup_records, fn, ctx);
	a->step_cursor = r->nsteps;
	/* failure events, once per kind */
	for (int k = 0; k < TM_EV_N; k++) {
		if (r->event_counts[k] == a->events_seen[k])
			continue;
		a->events_seen[k] = r->event_counts[k];
		const struct tm_event *e = NULL;
		for (size_t i = r->nevents; i-- > 0;)
			if (r->events[i].kind == (enum tm_event_kind)k) {
				e = &r->events[i];
				break;
			}
		/* a kind fires once per run, however many lines and incidents it has; a clean end
		 * (training_done) is no failure whatever the minimum severity */
		if (!e || e->severity < c->failure_min || a->failure_fired[k] || k == TM_EV_TRAINING_DONE)
			continue;
		a->failure_fired[k] = 1;
		struct tm_alert_event ev = { .kind = TM_AL_FAILURE, .firing = 1, .value = NAN, .threshold = NAN,
					     .event_kind = (enum tm_event_kind)k, .severity = e->severity,
					     .step = NAN, .rank = -1 };
		snprintf(ev.message, sizeof(ev.message), "%s:%llu: %s: %s", file, (unsigned long long)e->line,
			 tm_event_kind_name(k), e->message);
		fn(ctx, &ev);
	}
	/* finished: the last step reached train_iters, or tokens done reached the target */
	if (!a->finished && r->nsteps) {
		double last = tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP);
		double iters = r->params[TM_P_TRAIN_ITERS];
		int done = (!isnan(iters) && iters > 0 && last >= iters) ||
			   (!isnan(s->target_tokens.v) && !isnan(s->tokens_done.v) && s->tokens_done.v >= s->target_tokens.v);
		if (done) {
			a->finished = 1;
			emit(fn, ctx, TM_AL_FINISHED, 1, last, isnan(iters) ? NAN : iters, "%s: finished at step %.0f",
			     file, last);
		}
	}
	/* ended: the scheduler or launcher ended the run before it finished */
	static const enum tm_event_kind terminal[] = { TM_EV_SLURM_TIME_LIMIT, TM_EV_SLURM_CANCELLED,
		TM_EV_SLURM_NODE_FAIL, TM_EV_SLURM_PREEMPTED, TM_EV_CHILD_FAILED, TM_EV_TASK_FAILED };
	if (!a->finished && !a->ended)
		for (size_t i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++)
			if (r->event_counts[terminal[i]]) {
				a->ended = 1;
				emit(fn, ctx, TM_AL_ENDED, 1, r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP) : NAN, NAN,
				     "%s: ended without finishing (%s)%s", file, tm_event_kind_name(terminal[i]),
				     r->nsteps ? "" : ", no steps");
				break;
			}
}

void tm_alerts_tick(struct tm_alerts *a, const struct tm_alert_cfg *c, const struct tm_run *r,
		    const struct tm_summary *s, uint64_t now_ms, tm_alert_fn fn, void *ctx)
{
	if (!r->nsteps || !a->last_step_ms || a->stall.firing || a->finished || a->ended)
		return;
	double limit = c->stall_s;
	if (!(limit > 0)) {
		limit = c->stall_floor_s;
		if (s->st.n && c->stall_factor * s->st.median > limit)
			limit = c->stall_factor * s->st.median;
	}
	double quiet = (double)(now_ms - a->last_step_ms) / 1000.0;
	if (quiet >= limit) {
		a->stall.firing = 1;
		a->stall.value = quiet;
		emit(fn, ctx, TM_AL_STALL, 1, quiet, limit, "%s: no step for %.0f s (limit %.0f s), last step %.0f",
		     r->file, quiet, limit, tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP));
	}
}

int tm_alerts_run_over(const struct tm_alerts *a)
{
	return a->finished || a->ended;
}
