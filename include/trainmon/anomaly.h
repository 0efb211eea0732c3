/* anomaly.h: what changed in a run that nobody set a threshold for: step-time regimes and
 * regressions, isolated slow steps, loss spikes and divergence.
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
	TM_AN_N
};
const char *tm_anomaly_kind_name(enum tm_anomaly_kind k);

struct tm_anomaly {
	enum tm_anomaly_kind kind;
	double first_step, last_step;    /* framework step numbers */
	double magnitude;                /* regression: new/old median - 1; outlier: time/median - 1;
					    spike: loss/mean - 1 (INFINITY when not finite) */
	double value, reference;         /* the time or loss, and what it was compared with */
	const char *cause;               /* static event kind name logged at that step, or NULL */
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

#endif
