/* anomaly_stream.c: the detectors that judge one value at a time (anomaly.h): loss and
 * gradient-norm spikes with divergence, and stragglers.
 *
 * Each is plain data of a fixed size (a bounded ring, no pointer), so the daemon keeps one per
 * run, saves it in the state file and goes on after a restart where it stopped; analyze feeds
 * the same functions every value of a finished run, so both commands give the same answer.
 * Spikes: PyTorch Lightning's SpikeDetection (lightning/fabric/utilities/spike.py): after
 * `warmup` values, a value that is not finite, or that is worse than the last accepted one and
 * departs from the running mean of the last `window` accepted ones by atol and rtol * mean, is a
 * spike, and a spike is not accepted into the mean.
 */
#include <math.h>
#include <string.h>

#include "trainmon/anomaly.h"
#include "banned.h"

void tm_spike_init(struct tm_spike_det *d)
{
	memset(d, 0, sizeof(*d));
	d->pre = d->div_ref = d->div_value = d->div_step = NAN;
}

void tm_spike_params(struct tm_spike_params *p, const struct tm_anomaly_cfg *c, int grad)
{
	p->window = c->loss_window == 0 ? 1 : c->loss_window > TM_SPIKE_WINDOW_MAX ? TM_SPIKE_WINDOW_MAX : c->loss_window;
	p->warmup = c->loss_warmup;
	p->atol = grad ? NAN : c->loss_atol;
	p->rtol = grad ? c->grad_rtol : c->loss_rtol;
	p->diverge_after = grad ? 0 : c->diverge_after;
	p->diverge_rel = c->diverge_rel;
}

unsigned tm_spike_feed(struct tm_spike_det *d, const struct tm_spike_params *p, double st, double v)
{
	if (isnan(v))
		return 0;
	unsigned ev = 0;
	double mean = d->nring ? d->sum / (double)d->nring : NAN;
	int is_spike = 0;
	if (d->count >= p->warmup && d->nring) {
		if (!isfinite(v))
			is_spike = 1;
		else if (v - d->last > 0)
			is_spike = (isnan(p->atol) || fabs(v - mean) >= fabs(p->atol)) && fabs(v - mean) >= fabs(p->rtol * mean);
	}
	d->count++;
	if (is_spike && d->episode) {                 /* the episode goes on */
		double mag = isfinite(v) ? v / d->ep_ref - 1 : INFINITY;
		d->ep_last = st;
		if (mag > d->ep_mag)
			d->ep_mag = mag, d->ep_value = v;
		ev |= TM_SPK_MORE;
	} else if (is_spike) {
		d->episode = 1;
		d->ep_first = d->ep_last = st;
		d->ep_value = v;
		d->ep_ref = mean;
		d->ep_mag = isfinite(v) ? v / mean - 1 : INFINITY;
		d->pre = mean;
		d->div_first = st;
		d->above = 0;
		ev |= TM_SPK_NEW;
	} else if (d->episode) {
		d->episode = 0;
		ev |= TM_SPK_OVER;
	}
	/* divergence: the loss stays above the pre-spike mean (by diverge_rel) */
	if (p->diverge_after && !isnan(d->pre)) {
		if (v > d->pre * (1 + p->diverge_rel)) {
			if (++d->above == p->diverge_after) {
				d->diverged = 1;
				d->div_ref = d->pre;
				d->div_value = v;
				d->div_step = st;
				d->pre = NAN;
				if (d->episode)
					ev |= TM_SPK_OVER;
				d->episode = 0;
				ev |= TM_SPK_DIVERGED;
			}
		} else {
			d->pre = NAN;                 /* it came back: that spike was only a spike */
		}
	}
	if (d->diverged && !(ev & TM_SPK_DIVERGED) && isfinite(v) && v <= d->div_ref * (1 + p->diverge_rel)) {
		d->diverged = 0;                      /* back at its pre-spike level */
		ev |= TM_SPK_RECOVERED;
	}
	if (is_spike || !isfinite(v))
		return ev;
	if (d->nring == p->window)
		d->sum -= d->ring[d->head];
	else
		d->nring++;
	d->ring[d->head] = v;
	d->sum += v;
	d->head = (uint32_t)((d->head + 1) % p->window);
	d->last = v;
	return ev;
}

void tm_straggler_init(struct tm_straggler_det *d)
{
	memset(d, 0, sizeof(*d));
	d->rank = -1;
	d->first_step = d->last_step = NAN;
}

static void take(struct tm_straggler_det *d, const struct tm_rank_report *p)
{
	d->intervals++;
	d->ratio_sum += p->ratio;
	d->last_step = p->step;
	if (p->host[0])
		memcpy(d->host, p->host, sizeof(d->host));
}

unsigned tm_straggler_feed(struct tm_straggler_det *d, const struct tm_rank_report *p, const struct tm_anomaly_cfg *c)
{
	uint32_t n = c->straggler_intervals ? (uint32_t)c->straggler_intervals : 1;
	int flag = p->rank >= 0 && p->ratio >= c->straggler_ratio;
	if (!d->firing) {
		if (flag && d->streak && p->rank == d->rank) {
			d->streak++;
			take(d, p);
		} else if (flag) {
			d->rank = p->rank;
			d->streak = 1;
			d->intervals = 0;
			d->ratio_sum = 0;
			d->host[0] = 0;
			d->first_step = p->step;
			take(d, p);
		} else {
			d->streak = 0;
			d->rank = -1;
		}
		if (d->streak >= n) {
			d->firing = 1;
			d->ok = 0;
			return TM_STR_FIRE;
		}
		return 0;
	}
	if (flag && p->rank == d->rank) {
		d->ok = 0;
		take(d, p);
		return 0;
	}
	if (++d->ok < n)
		return 0;
	d->firing = 0;
	d->streak = 0;                        /* rank stays: the resolve names it */
	return TM_STR_RESOLVE;
}
