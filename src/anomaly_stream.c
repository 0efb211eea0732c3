/* anomaly_stream.c: the detectors that judge one value at a time (anomaly.h): loss and
 * gradient-norm spikes with divergence, and stragglers.
 *
 * Each is a little state and a bounded ring, allocated by the first value it keeps, so the daemon
 * keeps one per run at no cost while the run is idle, saves it in the state file and goes on
 * after a restart where it stopped; analyze feeds
 * the same functions every value of a finished run, so both commands give the same answer.
 * Spikes: PyTorch Lightning's SpikeDetection (lightning/fabric/utilities/spike.py): after
 * `warmup` values, a value that is not finite, or that is worse than the last accepted one and
 * departs from the running mean of the last `window` accepted ones by atol and rtol * mean, is a
 * spike, and a spike is not accepted into the mean.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/anomaly.h"
#include "trainmon/sortd.h"
#include "trainmon/xalloc.h"
#include "banned.h"

void tm_spike_init(struct tm_spike_det *d)
{
	memset(d, 0, sizeof(*d));
	d->pre = d->div_ref = d->div_value = d->div_step = NAN;
}

void tm_spike_release(struct tm_spike_det *d)
{
	free(d->ring);
	d->ring = NULL;
}

void tm_spike_ring(struct tm_spike_det *d)
{
	if (!d->ring)
		d->ring = tm_xcalloc(TM_SPIKE_WINDOW_MAX, sizeof(*d->ring));
}

void tm_spike_params(struct tm_spike_params *p, const struct tm_anomaly_cfg *c, int grad)
{
	p->window = c->loss_window == 0 ? 1 : c->loss_window > TM_SPIKE_WINDOW_MAX ? TM_SPIKE_WINDOW_MAX : c->loss_window;
	p->warmup = c->loss_warmup;
	p->atol = grad ? NAN : c->loss_atol;
	p->rtol = grad ? c->grad_rtol : c->loss_rtol;
	p->diverge_after = grad ? 0 : c->diverge_after;
	p->diverge_rel = c->diverge_rel;
	p->skip_zero = grad;
}

unsigned tm_spike_feed(struct tm_spike_det *d, const struct tm_spike_params *p, double st, double v)
{
	if (isnan(v) || (p->skip_zero && v == 0))
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
	tm_spike_ring(d);
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

/* ---- step-time level shifts ---- */

#define MAD_TO_SIGMA 1.4826

void tm_regress_init(struct tm_regress_det *d)
{
	memset(d, 0, sizeof(*d));
	d->base = d->band = d->median = d->baseline = NAN;
	d->shift_step = d->shift_from = d->shift_to = NAN;
}

void tm_regress_release(struct tm_regress_det *d)
{
	free(d->x);
	d->x = d->s = NULL;
}

void tm_regress_ring(struct tm_regress_det *d)
{
	if (!d->x) {
		d->x = tm_xcalloc(2 * (size_t)TM_REG_RING, sizeof(*d->x));
		d->s = d->x + TM_REG_RING;
	}
}

/* Median of the values at absolute indices [from, to); tmp has room for to - from. */
static double ring_median(const struct tm_regress_det *d, uint64_t from, uint64_t to, double *tmp)
{
	size_t n = (size_t)(to - from);
	for (size_t k = 0; k < n; k++)
		tmp[k] = d->x[(from + k) % TM_REG_RING];
	return tm_median_doubles(tmp, n);
}

static double ring_l1(const struct tm_regress_det *d, uint64_t from, uint64_t to, double *tmp)
{
	if (to == from)
		return 0;
	double m = ring_median(d, from, to, tmp), c = 0;
	for (uint64_t k = from; k < to; k++)
		c += fabs(d->x[k % TM_REG_RING] - m);
	return c;
}

static size_t params(const struct tm_anomaly_cfg *c, size_t *persist)
{
	size_t w = c->window < 3 ? 3 : c->window;
	*persist = c->persist ? c->persist : w;
	return w;
}

/* Judges absolute index i of the current regime; returns the change point + 1 of a shift found
 * there (0 none), its direction in *dir. */
static uint64_t judge(struct tm_regress_det *d, const struct tm_anomaly_cfg *c, uint64_t i, int *dir)
{
	size_t persist, w = params(c, &persist);
	double tmp[TM_REG_RING];
	if (i + 1 - d->lo < w)
		return 0;
	if (i + 1 - d->lo == w) {
		d->base = ring_median(d, d->lo, d->lo + w, tmp);
		for (size_t k = 0; k < w; k++)
			tmp[k] = fabs(d->x[(d->lo + k) % TM_REG_RING] - d->base);
		double mad = tm_median_doubles(tmp, w);
		double sigma = fmax(MAD_TO_SIGMA * mad, 1e-3 * d->base);
		d->band = fmax(c->k * sigma, c->min_rel * d->base);
		d->run = 0;
		d->dir = 0;
	}
	double m = ring_median(d, i + 1 - w, i + 1, tmp);
	d->median = m;
	int dd = m > d->base + d->band ? 1 : m < d->base - d->band ? -1 : 0;
	d->run = dd && dd == d->dir ? d->run + 1 : dd ? 1 : 0;
	d->dir = dd;
	if (d->run < persist)
		return 0;
	/* the rolling median crosses when half its window is past the change: search there */
	uint64_t first = i + 1 - persist;
	uint64_t from = first > d->lo + w ? first - w : d->lo + 1, to = first + w / 2 < i ? first + w / 2 : i;
	uint64_t best = from + (to + 1 - from) / 2;
	double bestc = INFINITY;
	for (uint64_t j = from + 1; j < to + 1; j++) {
		double cost = ring_l1(d, from, j, tmp) + ring_l1(d, j, to + 1, tmp);
		if (cost < bestc)
			bestc = cost, best = j;
	}
	*dir = dd;
	return best + 1;
}

unsigned tm_regress_feed(struct tm_regress_det *d, const struct tm_anomaly_cfg *c, double step, double x)
{
	size_t persist, w = params(c, &persist);
	if (!(x > 0) || !isfinite(x) || 2 * w + persist + 2 > TM_REG_RING)
		return 0;
	tm_regress_ring(d);
	d->x[d->n % TM_REG_RING] = x;
	d->s[d->n % TM_REG_RING] = step;
	uint64_t i = d->n++;
	unsigned ev = 0;
	int dir = 0;
	uint64_t cp = judge(d, c, i, &dir);
	while (cp) {
		double tmp[TM_REG_RING];
		uint64_t at = cp - 1;
		d->shift_step = d->s[at % TM_REG_RING];
		d->shift_from = d->base;
		d->shift_to = ring_median(d, at, i + 1, tmp);
		if (dir > 0 && !d->regressed) {
			d->regressed = 1;
			d->baseline = d->shift_from;  /* the level the regression is measured from */
			ev |= TM_REG_UP;
		} else if (dir < 0 && d->regressed) {
			d->regressed = 0;
			d->baseline = NAN;
			ev |= TM_REG_DOWN;
		}
		/* a new regime from the change point: replay its values so far */
		d->lo = at;
		d->base = d->band = NAN;
		d->run = 0;
		d->dir = 0;
		cp = 0;
		for (uint64_t j = at; j <= i && !cp; j++)
			cp = judge(d, c, j, &dir);
	}
	return ev;
}

double tm_regress_baseline(const struct tm_regress_det *d)
{
	return d->regressed ? d->baseline : d->base;
}
