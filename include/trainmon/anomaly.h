/* anomaly.h: what changed in a run that nobody set a threshold for: step-time regimes and
 * regressions, isolated slow steps, loss and gradient-norm spikes, divergence, stragglers.
 *
 * Pure functions over a finished (or growing) run: the caller passes the run and where its
 * warm-up ends; nothing is kept between calls, so analyze and watch get the same answer from the
 * same steps. Every threshold is robust (median and MAD, not mean and standard deviation), so one
 * checkpoint step of +30 s moves nothing, and every default is in tm_anomaly_cfg_init() with the
 * reason for it in docs/analyze.md.
 */
#ifndef TRAINMON_ANOMALY_H
#define TRAINMON_ANOMALY_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/run.h"

struct tm_anomaly_cfg {
	size_t window;         /* steps: rolling median and baseline window (default 50) */
	double k;              /* a level shift is a rolling median beyond k robust sigmas... (3) */
	double min_rel;        /* ... and beyond this fraction of the baseline (0.03) */
	size_t persist;        /* ... for this many consecutive steps (default: window) */
	double outlier_k;      /* one step beyond outlier_k robust sigmas... (6) */
	double outlier_rel;    /* ... and this fraction above the regime's median is an outlier (0.10) */
	/* loss spikes, as PyTorch Lightning's SpikeDetection defines them */
	size_t loss_window;    /* running mean over this many logged losses (10) */
	size_t loss_warmup;    /* logged losses before detection starts (1) */
	double loss_atol;      /* |loss - mean| must reach this too; NAN = no absolute tolerance */
	double loss_rtol;      /* |loss - mean| >= rtol * mean (2) */
	size_t diverge_after;  /* a spike followed by this many losses above the pre-spike mean... (10) */
	double diverge_rel;    /* ... by this fraction of it, is a divergence (0.05) */
	double grad_rtol;      /* grad_norm_spike: Lightning's rule on the grad norm, rtol (2) */
	double straggler_ratio;    /* a rank this much slower than the reference is flagged (1.15)... */
	size_t straggler_intervals; /* ... for N reports in a row to fire, N normal ones to resolve (3) */
};

void tm_anomaly_cfg_init(struct tm_anomaly_cfg *c);
/* The settings as option rows (opt.h) over struct tm_anomaly_cfg, config section `anomalies:`;
 * static data, *n rows. */
struct tm_opt;
const struct tm_opt *tm_anomaly_opts(size_t *n);

enum tm_anomaly_kind {
	TM_AN_STEP_TIME_REGRESSION = 0,  /* the step time moved up to a new level and stayed */
	TM_AN_STEP_TIME_OUTLIER,         /* one step (or a few) far above its regime */
	TM_AN_LOSS_SPIKE,                /* a non-improving loss far above its running mean */
	TM_AN_DIVERGENCE,                /* after a spike, the loss stayed above its pre-spike level */
	TM_AN_GRAD_NORM_SPIKE,           /* the loss rule on the gradient norm */
	TM_AN_STRAGGLER,                 /* one rank slower than the reference for N reports in a row */
	TM_AN_N
};
const char *tm_anomaly_kind_name(enum tm_anomaly_kind k);

struct tm_anomaly {
	enum tm_anomaly_kind kind;
	double first_step, last_step;    /* framework step numbers */
	double first_ts, last_ts;        /* epoch s of those steps' lines; NAN when they have none */
	double magnitude;                /* regression: new/old median - 1; outlier: time/median - 1;
					    spike: loss/mean - 1 (INFINITY when not finite) */
	double value, reference;         /* the time or loss, and what it was compared with */
	const char *cause;               /* static event kind name logged at that step, or NULL */
	/* stragglers: value is the mean ratio over its flagged reports, reference the threshold */
	int rank;                        /* -1 none */
	uint32_t intervals;              /* consecutive reports it persisted (flagged ones) */
	char host[48];                   /* "" unknown */
};

/* A stretch of steps at one step-time level. */
struct tm_regime {
	double first_step, last_step;
	size_t n;                        /* steps with a time */
	double median, mad;              /* seconds; mad unscaled */
};

struct tm_anomalies {
	struct tm_anomaly *v;            /* owned */
	size_t n, cap;
	struct tm_regime *regimes;       /* owned, in step order; one when the level never moved */
	size_t nregimes, capregimes;
	double median, mad;              /* post-warm-up step time over the whole run (NAN: none) */
	double ideal_step_time;          /* mean of the step times <= median + 3 * mad, the "ideal step
					    time" of Google's ml-goodput-measurement (NAN: none) */
};

void tm_anomalies_init(struct tm_anomalies *a);
void tm_anomalies_release(struct tm_anomalies *a);

/* Finds every anomaly of r past its first `warmup` step records (summary.h's warmup_records).
 * Replaces what a held. */
void tm_anomalies_find(struct tm_anomalies *a, const struct tm_run *r, size_t warmup,
		       const struct tm_anomaly_cfg *cfg);

/* ---- streaming detectors: fed one value at a time (state.c saves them), so watch judges each
 * new step or report once and analyze gets the same answer by feeding them all. Their rings are
 * allocated by the first value they keep: a daemon following 10 000 idle files holds none (13 KB
 * a file before). A detector is owned where it is embedded: _release frees its ring, and a copy
 * shares it (the daemon moves one: tm_alerts_move) ---- */

#define TM_SPIKE_WINDOW_MAX 256          /* bound on loss_window: the ring is part of the state */

/* Lightning's SpikeDetection on one series (loss or grad norm), with divergence after a spike. */
struct tm_spike_det {
	double *ring;                    /* owned: TM_SPIKE_WINDOW_MAX last accepted values, NULL before
					    the first */
	uint32_t nring, head;
	uint64_t count;                  /* finite or not, values seen */
	double sum, last;                /* of the ring; the last accepted value */
	int episode;                     /* a run of consecutive spikes is under way */
	double ep_first, ep_last;        /* its steps */
	double ep_value, ep_ref, ep_mag; /* worst value, the mean before it, value / mean - 1 */
	double pre;                      /* mean before the episode watched for divergence, NAN none */
	uint64_t above;                  /* values above pre * (1 + diverge_rel) since */
	double div_first;                /* first step of that episode */
	int diverged;                    /* a divergence holds: the loss has not come back */
	double div_ref, div_value, div_step;
};

struct tm_spike_params {
	size_t window, warmup;
	double atol, rtol;               /* atol NAN: none */
	size_t diverge_after;            /* 0: no divergence (grad norm) */
	double diverge_rel;
	int skip_zero;                   /* 0 is no value (fp16 runs print a grad norm of 0 for the
					    steps they skip) */
};

/* What one value did (bits). */
enum { TM_SPK_NEW = 1, TM_SPK_MORE = 2, TM_SPK_OVER = 4, TM_SPK_DIVERGED = 8, TM_SPK_RECOVERED = 16 };

void tm_spike_init(struct tm_spike_det *d);
void tm_spike_release(struct tm_spike_det *d);   /* frees the ring; init again to reuse */
/* The loss rule's parameters (grad = 1: the grad norm's, no divergence). */
void tm_spike_params(struct tm_spike_params *p, const struct tm_anomaly_cfg *c, int grad);
/* One printed value at a step (NAN values are skipped: returns 0). */
unsigned tm_spike_feed(struct tm_spike_det *d, const struct tm_spike_params *p, double step, double v);

/* A straggler: the same rank flagged (ratio >= straggler_ratio) in N reports in a row fires;
 * N reports in a row that do not flag it resolve. One report names one rank (its slowest). */
struct tm_straggler_det {
	int firing;
	int rank;                        /* candidate (streak > 0) or firing rank, -1 none */
	uint32_t streak;                 /* consecutive reports flagging rank */
	uint32_t ok;                     /* firing: consecutive reports that did not */
	uint32_t intervals;              /* reports that flagged it in this episode */
	double ratio_sum;                /* of their ratios */
	double first_step, last_step;    /* of the first and last of them */
	char host[48];
};
enum { TM_STR_FIRE = 1, TM_STR_RESOLVE = 2 };

/* Step-time level shifts one step at a time, as tm_anomalies_find finds them: the regime's
 * level is the median of its first `window` values, a rolling median beyond the band for
 * `persist` values is a shift, the change point is the best two-median split around the crossing
 * and the new regime starts there (its values replayed from the ring). Levels are the medians of
 * the ring's part of a regime, not of the whole regime as analyze's are. Off (feeds return 0)
 * when 2 * window + persist does not fit the ring. */
#define TM_REG_RING 512
struct tm_regress_det {
	double *x, *s;                   /* value and step of absolute index i at i % TM_REG_RING: x owned,
					    one block of 2 x TM_REG_RING with s in it; NULL before the
					    first value */
	uint64_t n;                      /* values seen */
	uint64_t lo;                     /* absolute index where the current regime starts */
	double base, band;               /* its level and band, NAN until it has window values */
	double median;                   /* the last rolling median, NAN none */
	double baseline;                 /* while regressed: the level before the up-shift, else NAN */
	uint32_t run;
	int dir;
	double shift_step, shift_from, shift_to; /* the last shift: change point, levels before/after */
	int regressed;                   /* an up-shift holds (no down-shift since) */
};
enum { TM_REG_UP = 1, TM_REG_DOWN = 2 };
void tm_regress_init(struct tm_regress_det *d);
void tm_regress_release(struct tm_regress_det *d);   /* frees the ring; init again to reuse */
/* The ring, allocated if it is not yet (state.c reads values into it). */
void tm_regress_ring(struct tm_regress_det *d);
void tm_spike_ring(struct tm_spike_det *d);
unsigned tm_regress_feed(struct tm_regress_det *d, const struct tm_anomaly_cfg *c, double step, double x);
/* The level steps are judged against (the pre-regression one while regressed), NAN none yet. */
double tm_regress_baseline(const struct tm_regress_det *d);

void tm_straggler_init(struct tm_straggler_det *d);
unsigned tm_straggler_feed(struct tm_straggler_det *d, const struct tm_rank_report *p,
			   const struct tm_anomaly_cfg *c);

#endif
