/* anomaly.c: step-time regimes, regressions and outliers, loss spikes and divergence (anomaly.h).
 *
 * Step time: a regime's level is the median of its first `window` steps, its spread the MAD
 * (x1.4826, a robust sigma). A rolling median over `window` steps that stays beyond the band
 * max(k * sigma, min_rel * level) for `persist` steps is a level shift: the change point is the
 * split of the steps around it that best fits two medians (least absolute deviations), and a new
 * regime starts there. A shift up is a step_time_regression. One slow step cannot move a rolling
 * median, so checkpoint and evaluation steps are outliers of their regime, never regressions.
 * Loss and grad norm: PyTorch Lightning's SpikeDetection rule (lightning/fabric/utilities/spike.py)
 * through the streaming detectors of anomaly_stream.c, as are stragglers (the run's per-rank
 * reports), so watch, which keeps those detectors, finds what analyze finds. Applied to
 * the losses the log printed. Per step, a call allocates one array of doubles (the copy a median
 * reorders), and the rows of the timed records when some records have no time; the times
 * themselves are read from the run's step store. On a long run (SPIKES_THREAD_MIN records) the
 * loss and grad-norm searches run on a second thread beside the step-time search: both only read
 * the run, and the spikes' anomalies are put after the step time's, as one thread orders them.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stddef.h>

#include "trainmon/anomaly.h"
#include "trainmon/opt.h"
#include "trainmon/xalloc.h"
#include "trainmon/sortd.h"
#include "banned.h"

#define MAD_TO_SIGMA 1.4826              /* 1 / Phi^-1(3/4): MAD of a normal sample -> sigma */

void tm_anomaly_cfg_init(struct tm_anomaly_cfg *c)
{
	c->window = 50;
	c->k = 3;
	c->min_rel = 0.03;
	c->persist = 0;                  /* 0: the window */
	c->outlier_k = 6;
	c->outlier_rel = 0.10;
	c->loss_window = 10;
	c->loss_warmup = 1;
	c->loss_atol = NAN;
	c->loss_rtol = 2;
	c->diverge_after = 10;
	c->diverge_rel = 0.05;
	c->grad_rtol = 2;
	c->straggler_ratio = 1.15;
	c->straggler_intervals = 3;
}

#define C(f) offsetof(struct tm_anomaly_cfg, f)
static const struct tm_opt rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Anomalies (config section anomalies:; docs/analyze.md says why the defaults):" },
	{ .kind = TM_OPT_SIZE, .name = "anomaly-window", .arg = "STEPS", .off = C(window), .min = 3, .max = 1e6,
	  .help = "rolling median and baseline window (default 50)" },
	{ .kind = TM_OPT_NUM, .name = "regression-sigmas", .arg = "K", .off = C(k), .max = 1e3,
	  .flags = TM_OPTF_ABOVE_MIN, .help = "a level shift moves the rolling median K robust sigmas (default 3)..." },
	{ .kind = TM_OPT_NUM, .name = "regression-min", .arg = "FRACTION", .off = C(min_rel), .max = 10,
	  .help = "... and at least this fraction of the level (default 0.03)" },
	{ .kind = TM_OPT_SIZE, .name = "regression-steps", .arg = "N", .off = C(persist), .max = 1e6,
	  .help = "... for N steps in a row (default: the window)" },
	{ .kind = TM_OPT_NUM, .name = "outlier-sigmas", .arg = "K", .off = C(outlier_k), .max = 1e3,
	  .flags = TM_OPTF_ABOVE_MIN, .help = "a step K robust sigmas above its regime (default 6)..." },
	{ .kind = TM_OPT_NUM, .name = "outlier-min", .arg = "FRACTION", .off = C(outlier_rel), .max = 1e3,
	  .help = "... and this fraction above its median is an outlier (default 0.10)" },
	{ .kind = TM_OPT_SIZE, .name = "loss-spike-window", .arg = "N", .off = C(loss_window), .min = 1,
	  .max = TM_SPIKE_WINDOW_MAX, .help = "running mean over the last N printed losses (default 10)" },
	{ .kind = TM_OPT_SIZE, .name = "loss-spike-warmup", .arg = "N", .off = C(loss_warmup), .max = 1e9,
	  .help = "printed losses before detection starts (default 1)" },
	{ .kind = TM_OPT_NUM, .name = "loss-spike-atol", .arg = "X", .off = C(loss_atol), .max = HUGE_VAL,
	  .help = "a spike also departs from the mean by X (default: no absolute tolerance)" },
	{ .kind = TM_OPT_NUM, .name = "loss-spike-rtol", .arg = "X", .off = C(loss_rtol), .max = HUGE_VAL,
	  .flags = TM_OPTF_ABOVE_MIN, .help = "... and by X times the mean (default 2)" },
	{ .kind = TM_OPT_SIZE, .name = "divergence-steps", .arg = "N", .off = C(diverge_after), .min = 1, .max = 1e9,
	  .help = "after a spike, N printed losses above the pre-spike mean... (default 10)" },
	{ .kind = TM_OPT_NUM, .name = "divergence-min", .arg = "FRACTION", .off = C(diverge_rel), .max = 1e3,
	  .help = "... by this fraction of it are a divergence (default 0.05)" },
	{ .kind = TM_OPT_NUM, .name = "grad-spike-rtol", .arg = "X", .off = C(grad_rtol), .max = HUGE_VAL,
	  .flags = TM_OPTF_ABOVE_MIN, .help = "a grad norm spike departs from its running mean by X times it (default 2)" },
	{ .kind = TM_OPT_NUM, .name = "straggler-ratio", .arg = "X", .off = C(straggler_ratio), .min = 1, .max = 1e3,
	  .flags = TM_OPTF_ABOVE_MIN, .help = "a rank X times slower than the reference rank is flagged (default 1.15)..." },
	{ .kind = TM_OPT_SIZE, .name = "straggler-intervals", .arg = "N", .off = C(straggler_intervals), .min = 1,
	  .max = 1e6, .help = "... in N reports in a row to fire, and resolves after N without (default 3)" },
};
#undef C

const struct tm_opt *tm_anomaly_opts(size_t *n)
{
	*n = sizeof(rows) / sizeof(rows[0]);
	return rows;
}

const char *tm_anomaly_kind_name(enum tm_anomaly_kind k)
{
	static const char *const names[TM_AN_N] = { "step_time_regression", "step_time_outlier", "loss_spike",
						    "divergence", "grad_norm_spike", "straggler" };
	return k < TM_AN_N ? names[k] : "?";
}

void tm_anomalies_init(struct tm_anomalies *a)
{
	memset(a, 0, sizeof(*a));
	a->median = a->mad = a->ideal_step_time = NAN;
}

void tm_anomalies_release(struct tm_anomalies *a)
{
	free(a->v);
	free(a->regimes);
	tm_anomalies_init(a);
}

/* The records step times are judged on: rows [from, nsteps) of the run with a finite positive
 * time. Their times and step numbers are read from the run's store (inline, tm_steps_get), not
 * copied: only the copies the medians reorder take memory (one array of doubles, `tmp`). */
struct timed {
	const struct tm_run *r;
	size_t from, n;
	size_t *rows;                    /* owned: the row of each, or NULL: from + j (all timed) */
};

static size_t row_of(const struct timed *t, size_t j)
{
	return t->rows ? t->rows[j] : t->from + j;
}

static double x_of(const struct timed *t, size_t j)
{
	return tm_run_stepf(t->r, row_of(t, j), TM_SF_TIME_S);
}

static double s_of(const struct timed *t, size_t j)
{
	return tm_run_stepf(t->r, row_of(t, j), TM_SF_STEP);
}

/* Median of the times of records [lo, lo + n) (n >= 1); tmp has room for n. */
static double median_of(const struct timed *t, size_t lo, size_t n, double *tmp)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = x_of(t, lo + i);
	return tm_median_doubles(tmp, n);
}

/* Median absolute deviation from m of the times of records [lo, lo + n); tmp has room for n. */
static double mad_of(const struct timed *t, size_t lo, size_t n, double m, double *tmp)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = fabs(x_of(t, lo + i) - m);
	return tm_median_doubles(tmp, n);
}

/* Sum of |x - median| over the times of records [lo, lo + n). */
static double l1_cost(const struct timed *t, size_t lo, size_t n, double *tmp)
{
	if (n == 0)
		return 0;
	double m = median_of(t, lo, n, tmp), c = 0;
	for (size_t i = 0; i < n; i++)
		c += fabs(x_of(t, lo + i) - m);
	return c;
}

/* The split j in (lo, hi) that best fits records [lo, j) and [j, hi) with a median each. */
static size_t best_split(const struct timed *t, size_t lo, size_t hi, double *tmp)
{
	size_t best = lo + (hi - lo) / 2;
	double bestc = INFINITY;
	for (size_t j = lo + 1; j < hi; j++) {
		double c = l1_cost(t, lo, j - lo, tmp) + l1_cost(t, j, hi - j, tmp);
		if (c < bestc)
			bestc = c, best = j;
	}
	return best;
}

/* The mean of the two middle values of the w times from record lo when the edge splits them: the
 * largest time on the low side and the smallest on the high side (high: above the edge, or with
 * at_edge_high not below it), averaged as a sorted window's middle pair would be. */
static double middle_pair(const struct timed *t, size_t lo, size_t w, double edge, int at_edge_high)
{
	double a = -INFINITY, b = INFINITY;
	for (size_t i = 0; i < w; i++) {
		double x = x_of(t, lo + i);
		if (x > edge || (at_edge_high && x == edge))
			b = x < b ? x : b;
		else
			a = x > a ? x : a;
	}
	return (a + b) / 2;
}

/* Which side of the band [lo_edge, hi_edge] the median of the w times from record lo lies on: 1
 * above, -1 below, 0 within; `above` and `below` count the times beyond each edge (kept by the
 * caller as the window moves, so a record costs O(1)). The median of a sorted window v is v[w/2]
 * (odd w) or (v[w/2-1] + v[w/2]) / 2, and it is above hi_edge exactly when enough values are:
 * with w = 2k, k + 1 values above put both middle values above (the rounded mean of two doubles
 * lies between them), k - 1 or fewer put both at or below. Only with exactly k above is the edge
 * between the middle values, found by a scan (middle_pair): the same double as the sorted window,
 * so the same answer as sorting. Likewise below. */
static int median_side(const struct timed *t, size_t lo, size_t w, size_t above, size_t below, double hi_edge,
		       double lo_edge)
{
	size_t k = w / 2;
	if (w % 2)
		return above > k ? 1 : below > k ? -1 : 0;
	if (above > k || (above == k && middle_pair(t, lo, w, hi_edge, 0) > hi_edge))
		return 1;
	if (below > k || (below == k && middle_pair(t, lo, w, lo_edge, 1) < lo_edge))
		return -1;
	return 0;
}

static struct tm_anomaly *push(struct tm_anomalies *a, enum tm_anomaly_kind kind, double first, double last)
{
	tm_xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v));
	struct tm_anomaly *an = &a->v[a->n++];
	memset(an, 0, sizeof(*an));
	an->kind = kind;
	an->rank = -1;
	an->first_step = first;
	an->last_step = last;
	return an;
}

static void push_regime(struct tm_anomalies *a, const struct timed *t, size_t lo, size_t hi, double *tmp)
{
	tm_xgrow((void **)&a->regimes, &a->capregimes, a->nregimes + 1, sizeof(*a->regimes));
	struct tm_regime *g = &a->regimes[a->nregimes++];
	g->first_step = s_of(t, lo);
	g->last_step = s_of(t, hi - 1);
	g->n = hi - lo;
	if (lo == 0 && hi == t->n && a->nregimes == 1) {
		g->median = a->median;   /* one regime: the run's own, computed already */
		g->mad = a->mad;
		return;
	}
	g->median = median_of(t, lo, hi - lo, tmp);
	g->mad = mad_of(t, lo, hi - lo, g->median, tmp);
}

/* The kind of an event logged between step record j-1 and step record j (what the step's time
 * includes), else of a phase begun there (checkpoint_save, evaluation...), or NULL. */
static const char *cause_of(const struct tm_run *r, size_t j)
{
	uint64_t lo = j ? tm_run_stepline(r, j - 1) : 0, hi = tm_run_stepline(r, j);
	for (size_t e = 0; e < r->nevents; e++)
		if (r->events[e].line > lo && r->events[e].line <= hi)
			return tm_event_kind_name(r->events[e].kind);
	for (size_t p = 0; p < r->nphases; p++)
		if (r->phases[p].line > lo && r->phases[p].line <= hi && r->phases[p].kind != TM_PH_TIME)
			return tm_phase_kind_name(r->phases[p].kind);
	return NULL;
}

/* Regimes and regressions over the timed records, then the outliers of each regime; tmp has room
 * for all of them. */
static void step_times(struct tm_anomalies *a, const struct timed *t, const struct tm_anomaly_cfg *cfg,
		       double *tmp)
{
	size_t n = t->n;
	size_t w = cfg->window < 3 ? 3 : cfg->window, persist = cfg->persist ? cfg->persist : w;
	size_t first_regime = a->nregimes;
	size_t lo = 0;
	while (lo < n) {
		size_t nb = n - lo < w ? n - lo : w;
		double base = median_of(t, lo, nb, tmp);
		double sigma = fmax(MAD_TO_SIGMA * mad_of(t, lo, nb, base, tmp), 1e-3 * base);
		double band = fmax(cfg->k * sigma, cfg->min_rel * base);
		size_t found = n, run = 0;
		int dir = 0;
		if (n - lo >= w + persist) {
			double hi_edge = base + band, lo_edge = base - band;
			size_t above = 0, below = 0;
			for (size_t i = lo; i < lo + w - 1; i++)
				above += x_of(t, i) > hi_edge, below += x_of(t, i) < lo_edge;
			for (size_t i = lo + w - 1; i < n; i++) {
				double in = x_of(t, i);
				above += in > hi_edge, below += in < lo_edge;
				if (i >= lo + w) {
					double out = x_of(t, i - w);
					above -= out > hi_edge, below -= out < lo_edge;
				}
				int d = median_side(t, i + 1 - w, w, above, below, hi_edge, lo_edge);
				run = d && d == dir ? run + 1 : d ? 1 : 0;
				dir = d;
				if (run >= persist) {
					found = i;
					break;
				}
			}
		}
		if (found == n) {
			push_regime(a, t, lo, n, tmp);
			break;
		}
		/* the rolling median crosses when half its window is past the change: search there */
		size_t first = found + 1 - persist;
		size_t from = first > lo + w ? first - w : lo + 1, to = first + w / 2 < found ? first + w / 2 : found;
		size_t c = best_split(t, from, to + 1, tmp);
		push_regime(a, t, lo, c, tmp);
		if (dir > 0) {
			struct tm_anomaly *an = push(a, TM_AN_STEP_TIME_REGRESSION, s_of(t, c), s_of(t, n - 1));
			an->reference = a->regimes[a->nregimes - 1].median;
		}
		lo = c;
	}
	/* each regression's level and extent are those of the regime it started */
	for (size_t i = 0; i < a->n; i++) {
		struct tm_anomaly *an = &a->v[i];
		for (size_t g = first_regime; an->kind == TM_AN_STEP_TIME_REGRESSION && g < a->nregimes; g++)
			if (a->regimes[g].first_step == an->first_step) {
				an->last_step = a->regimes[g].last_step;
				an->value = a->regimes[g].median;
				an->magnitude = an->value / an->reference - 1;
			}
	}
	/* outliers: steps far above their own regime (a checkpoint save, an evaluation) */
	size_t g = first_regime;
	for (size_t i = 0; i < n; i++) {
		double si = s_of(t, i), xi = x_of(t, i);
		while (g + 1 < a->nregimes && si > a->regimes[g].last_step)
			g++;
		const struct tm_regime *rg = &a->regimes[g];
		double sigma = fmax(MAD_TO_SIGMA * rg->mad, 1e-3 * rg->median);
		if (!(xi > rg->median + fmax(cfg->outlier_k * sigma, cfg->outlier_rel * rg->median)))
			continue;
		struct tm_anomaly *an = push(a, TM_AN_STEP_TIME_OUTLIER, si, si);
		an->value = xi;
		an->reference = rg->median;
		an->magnitude = xi / rg->median - 1;
		an->cause = cause_of(t->r, row_of(t, i));
	}
}

/* Lightning's rule on the printed losses (or grad norms; anomaly_stream.c): consecutive spikes
 * are one anomaly; a spike after which the loss stays above the pre-spike mean (by the fraction
 * diverge_rel) for diverge_after values is also a divergence. */
static void spikes(struct tm_anomalies *a, const struct tm_run *r, size_t from, const struct tm_anomaly_cfg *cfg,
		   int grad)
{
	struct tm_spike_params p;
	struct tm_spike_det d;
	tm_spike_params(&p, cfg, grad);
	tm_spike_init(&d);
	size_t spike = SIZE_MAX;         /* index in a->v of the spike episode under way */
	size_t first_spike = SIZE_MAX;   /* ... and of the last episode's first spike */
	for (size_t i = from; i < r->nsteps; i++) {
		double v = tm_run_stepf(r, i, grad ? TM_SF_GRAD_NORM : TM_SF_LOSS), st = tm_run_stepf(r, i, TM_SF_STEP);
		unsigned ev = tm_spike_feed(&d, &p, st, v);
		if (ev & TM_SPK_MORE && spike != SIZE_MAX) {
			struct tm_anomaly *an = &a->v[spike];
			an->last_step = d.ep_last;
			an->magnitude = d.ep_mag;
			an->value = d.ep_value;
		}
		if (ev & TM_SPK_NEW) {
			struct tm_anomaly *an = push(a, grad ? TM_AN_GRAD_NORM_SPIKE : TM_AN_LOSS_SPIKE, st, st);
			an->value = d.ep_value;
			an->reference = d.ep_ref;
			an->magnitude = d.ep_mag;
			spike = first_spike = a->n - 1;
		}
		if (ev & TM_SPK_OVER)
			spike = SIZE_MAX;
		if (ev & TM_SPK_DIVERGED) {
			struct tm_anomaly *dv = push(a, TM_AN_DIVERGENCE, a->v[first_spike].first_step, st);
			dv->value = d.div_value;
			dv->reference = d.div_ref;
			dv->magnitude = d.div_value / d.div_ref - 1;
		}
	}
	tm_spike_release(&d);
}

/* Stragglers over the run's complete per-rank reports (anomaly_stream.c). */
static void stragglers(struct tm_anomalies *a, const struct tm_run *r, const struct tm_anomaly_cfg *cfg)
{
	struct tm_straggler_det d;
	tm_straggler_init(&d);
	size_t open = SIZE_MAX;          /* index in a->v of the episode under way */
	for (size_t i = 0; i < r->nreports; i++) {
		if (r->reports[i].open)
			break;               /* a report still taking lines, and what follows it */
		unsigned ev = tm_straggler_feed(&d, &r->reports[i], cfg);
		if (ev & TM_STR_FIRE) {
			struct tm_anomaly *an = push(a, TM_AN_STRAGGLER, d.first_step, d.last_step);
			an->rank = d.rank;
			an->reference = cfg->straggler_ratio;
			open = a->n - 1;
		}
		if (open != SIZE_MAX) {
			struct tm_anomaly *an = &a->v[open];
			an->last_step = d.last_step;
			an->intervals = d.intervals;
			an->value = d.ratio_sum / d.intervals;
			an->magnitude = an->value - 1;
			memcpy(an->host, d.host, sizeof(an->host));
		}
		if (ev & TM_STR_RESOLVE)
			open = SIZE_MAX;
	}
}

/* The time of step number `step`'s line (the run's steps are sorted by step: run.c); NAN when
 * it has none or there is no such step. */
static double step_ts(const struct tm_run *r, double step)
{
	size_t lo = 0, hi = r->nsteps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tm_run_stepf(r, mid, TM_SF_STEP) < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nsteps && tm_run_stepf(r, lo, TM_SF_STEP) == step ? tm_run_stepf(r, lo, TM_SF_TS) : NAN;
}

#define SPIKES_THREAD_MIN 65536          /* records: below, a thread costs more than it saves */

struct spike_job {                       /* the loss and grad-norm searches, on their own list */
	struct tm_anomalies out;         /* owned until moved into the caller's */
	const struct tm_run *r;
	size_t from;
	const struct tm_anomaly_cfg *cfg;
};

static void *spike_search(void *arg)
{
	struct spike_job *j = arg;
	spikes(&j->out, j->r, j->from, j->cfg, 0);
	spikes(&j->out, j->r, j->from, j->cfg, 1);
	return NULL;
}

void tm_anomalies_find(struct tm_anomalies *a, const struct tm_run *r, size_t warmup,
		       const struct tm_anomaly_cfg *cfg)
{
	tm_anomalies_release(a);
	size_t from = warmup < r->nsteps ? warmup : r->nsteps;
	struct spike_job sj = { .r = r, .from = from, .cfg = cfg };
	tm_anomalies_init(&sj.out);
	const char *env = getenv("TRAINMON_SPIKES_THREAD_MIN");   /* tests force the thread */
	size_t min = env ? (size_t)strtoull(env, NULL, 10) : SPIKES_THREAD_MIN;
	pthread_t th;
	int threaded = r->nsteps >= min && pthread_create(&th, NULL, spike_search, &sj) == 0;
	struct timed t = { r, from, 0, NULL };
	for (size_t i = from; i < r->nsteps; i++) {
		double x = tm_run_stepf(r, i, TM_SF_TIME_S);
		if (isfinite(x) && x > 0)
			t.n++;
	}
	if (t.n < r->nsteps - from) {
		t.rows = tm_xpages(NULL, 0, (t.n + 1) * sizeof(*t.rows));
		size_t n = 0;
		for (size_t i = from; i < r->nsteps; i++) {
			double x = tm_run_stepf(r, i, TM_SF_TIME_S);
			if (isfinite(x) && x > 0)
				t.rows[n++] = i;
		}
	}
	if (t.n) {
		double *tmp = tm_xpages(NULL, 0, t.n * sizeof(*tmp));
		a->median = median_of(&t, 0, t.n, tmp);
		a->mad = mad_of(&t, 0, t.n, a->median, tmp);
		double sum = 0;
		size_t k = 0;
		for (size_t i = 0; i < t.n; i++) {
			double x = x_of(&t, i);
			if (x <= a->median + 3 * a->mad)
				sum += x, k++;
		}
		a->ideal_step_time = k ? sum / (double)k : NAN;
		step_times(a, &t, cfg, tmp);
		tm_xpages_free(tmp, t.n * sizeof(*tmp));
	}
	if (t.rows)
		tm_xpages_free(t.rows, (t.n + 1) * sizeof(*t.rows));
	if (threaded)
		pthread_join(th, NULL);
	else
		spike_search(&sj);
	if (sj.out.n) {
		tm_xgrow((void **)&a->v, &a->cap, a->n + sj.out.n, sizeof(*a->v));
		memcpy(a->v + a->n, sj.out.v, sj.out.n * sizeof(*a->v));
		a->n += sj.out.n;
	}
	tm_anomalies_release(&sj.out);
	stragglers(a, r, cfg);
	for (size_t i = 0; i < a->n; i++) {
		a->v[i].first_ts = step_ts(r, a->v[i].first_step);
		a->v[i].last_ts = step_ts(r, a->v[i].last_step);
	}
}
