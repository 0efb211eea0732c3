/* alert_anomaly.c: the anomaly detectors (anomaly_stream.c) as alerts of a followed run.
 *
 * Each new step is fed once to the step-time, loss and grad-norm detectors, and each complete
 * per-rank report once to the straggler detector; their state lives in struct tm_alerts, so it is
 * saved with the other alert machines and a restart goes on where it stopped (nothing is
 * recomputed over the run's steps, and memory per run is the detectors' fixed size). Transitions
 * become alerts: an up-shift of the step time fires step_time_regression and a down-shift back
 * resolves it; a spike fires loss_spike (grad_norm_spike) and the next normal value resolves it;
 * divergence fires when the loss stays up and resolves when it is back at its pre-spike level; a
 * straggler fires after N reports flagging one rank and resolves after N that do not.
 * analyze finds the same anomalies with the same functions (tests/alerts/anomalies.sh).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/alert.h"
#include "alert_int.h"
#include "banned.h"

int tm_alert_is_anomaly(enum tm_alert_kind k)
{
	return k >= TM_AL_STEP_TIME_REGRESSION && k < TM_AL_N;
}

static void emit(tm_alert_fn fn, void *ctx, enum tm_alert_kind k, int firing, double value, double thr,
		 double step, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static void emit(tm_alert_fn fn, void *ctx, enum tm_alert_kind k, int firing, double value, double thr,
		 double step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tm__alert_vemit(fn, ctx, k, firing, value, thr, step, fmt, ap);
	va_end(ap);
}

static void spike_alerts(struct tm_spike_det *d, unsigned ev, int grad, const char *file, double step,
			 tm_alert_fn fn, void *ctx)
{
	enum tm_alert_kind k = grad ? TM_AL_GRAD_NORM_SPIKE : TM_AL_LOSS_SPIKE;
	const char *what = grad ? "grad norm" : "loss";
	if (ev & TM_SPK_NEW)
		emit(fn, ctx, k, 1, d->ep_value, d->ep_ref, d->ep_first, "%s: %s spike at step %.0f: %g against a running mean of %g",
		     file, what, d->ep_first, d->ep_value, d->ep_ref);
	if (ev & TM_SPK_OVER)
		emit(fn, ctx, k, 0, d->ep_value, d->ep_ref, d->ep_first, "%s: %s back near its mean (step %.0f)", file,
		     what, step);
	if (ev & TM_SPK_DIVERGED)
		emit(fn, ctx, TM_AL_DIVERGENCE, 1, d->div_value, d->div_ref, d->div_first,
		     "%s: the loss stayed above its pre-spike mean %g since step %.0f (%g at step %.0f)", file,
		     d->div_ref, d->div_first, d->div_value, step);
	if (ev & TM_SPK_RECOVERED)
		emit(fn, ctx, TM_AL_DIVERGENCE, 0, NAN, d->div_ref, d->div_first,
		     "%s: the loss is back at its pre-spike level (step %.0f)", file, step);
}

/* The slowest rank of a report joins the front of the gauge list (distinct ranks, newest first). */
static void note_worst(struct tm_alert_anomalies *an, int rank, double ratio, uint64_t report)
{
	size_t at = TM_STRAGGLER_GAUGES - 1;
	for (size_t i = 0; i < TM_STRAGGLER_GAUGES; i++)
		if (an->worst[i].rank == rank) {
			at = i;
			break;
		}
	memmove(an->worst + 1, an->worst, at * sizeof(an->worst[0]));
	an->worst[0].rank = rank;
	an->worst[0].ratio = ratio;
	an->worst[0].report = report;
}

int tm_alerts_straggler_gauge(const struct tm_alerts *a, size_t k, int *rank, double *ratio)
{
	const struct tm_alert_anomalies *an = &a->an;
	if (k >= TM_STRAGGLER_GAUGES || an->worst[k].rank < 0 || an->worst[k].report + TM_STRAGGLER_GAUGES < an->reports_seen)
		return 0;
	*rank = an->worst[k].rank;
	*ratio = an->worst[k].ratio;
	return 1;
}

static void straggler_alerts(struct tm_alerts *a, const struct tm_alert_cfg *c, const struct tm_run *r,
			     tm_alert_fn fn, void *ctx)
{
	struct tm_alert_anomalies *an = &a->an;
	struct tm_straggler_det *d = &an->straggler;
	if (an->reports_seen < r->reports_dropped)
		an->reports_seen = r->reports_dropped;   /* let go before they were judged */
	for (size_t i = (size_t)(an->reports_seen - r->reports_dropped); i < r->nreports; i++) {
		const struct tm_rank_report *p = &r->reports[i];
		if (p->open)
			break;
		if (p->rank >= 0 && !isnan(p->ratio))
			note_worst(an, p->rank, p->ratio, an->reports_seen);
		an->reports_seen++;
		unsigned ev = tm_straggler_feed(d, p, &c->anomaly);
		if (!ev)
			continue;
		struct tm_alert_event e = { .kind = TM_AL_STRAGGLER, .firing = (ev & TM_STR_FIRE) != 0,
					    .value = d->ratio_sum / d->intervals, .threshold = c->anomaly.straggler_ratio,
					    .step = d->first_step, .rank = d->rank };
		memcpy(e.host, d->host, sizeof(e.host));
		if (e.firing)
			snprintf(e.message, sizeof(e.message),
				 "%s: rank %d%s%s is %.2fx the reference rank for %u reports (steps %.0f..%.0f)", r->file,
				 d->rank, d->host[0] ? " on " : "", d->host, e.value, d->intervals, d->first_step,
				 d->last_step);
		else
			snprintf(e.message, sizeof(e.message), "%s: rank %d back in line after %u slow reports", r->file,
				 d->rank, d->intervals);
		fn(ctx, &e);
	}
}

void tm_alerts_anomalies(struct tm_alerts *a, const struct tm_alert_cfg *c, const struct tm_run *r, size_t from,
			 size_t warmup, tm_alert_fn fn, void *ctx)
{
	struct tm_alert_anomalies *an = &a->an;
	struct tm_spike_params lp, gp;
	tm_spike_params(&lp, &c->anomaly, 0);
	tm_spike_params(&gp, &c->anomaly, 1);
	for (size_t i = from > warmup ? from : warmup; i < r->nsteps; i++) {
		const struct tm_step st_v = tm_run_step(r, i), *st = &st_v;
		unsigned ev = tm_regress_feed(&an->regress, &c->anomaly, st->step, st->time_s);
		const struct tm_regress_det *g = &an->regress;
		if (ev & TM_REG_UP)
			emit(fn, ctx, TM_AL_STEP_TIME_REGRESSION, 1, g->shift_to, g->shift_from, g->shift_step,
			     "%s: step time moved from %.3f s to %.3f s (%+.1f %%) at step %.0f", r->file, g->shift_from,
			     g->shift_to, 100 * (g->shift_to / g->shift_from - 1), g->shift_step);
		if (ev & TM_REG_DOWN)
			emit(fn, ctx, TM_AL_STEP_TIME_REGRESSION, 0, g->shift_to, g->shift_from, g->shift_step,
			     "%s: step time back to %.3f s at step %.0f", r->file, g->shift_to, g->shift_step);
		spike_alerts(&an->loss, tm_spike_feed(&an->loss, &lp, st->step, st->loss), 0, r->file, st->step, fn, ctx);
		spike_alerts(&an->grad, tm_spike_feed(&an->grad, &gp, st->step, st->grad_norm), 1, r->file, st->step,
			     fn, ctx);
	}
	straggler_alerts(a, c, r, fn, ctx);
}

void tm_alerts_reports_restored(struct tm_alerts *a, const struct tm_run *r)
{
	a->an.reports_seen = r->reports_dropped + r->nreports;
	for (size_t k = 0; k < TM_STRAGGLER_GAUGES; k++)
		a->an.worst[k].rank = -1;            /* their report numbers no longer apply */
}
