/* alert.h: the alert state machines of one run: low_mfu, throughput_drop, stall, failure,
 * finished, ended, and the anomalies (anomaly.h) as alerts: step_time_regression, straggler,
 * loss_spike, divergence, grad_norm_spike (alert_anomaly.c).
 *
 * Fed the run after each batch of new lines (and the clock on ticks); produces transitions
 * (firing / resolved) through a callback. Level alerts (low_mfu, throughput_drop, stall) fire
 * once and resolve once, with hysteresis: N consecutive steps on the other side of the threshold.
 * One-shot alerts (failure per event kind, finished, ended) fire once per run. The state is
 * plain data so it can be saved and restored: after a restart nothing fires twice.
 */
#ifndef TRAINMON_ALERT_H
#define TRAINMON_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/anomaly.h"
#include "trainmon/run.h"
#include "trainmon/summary.h"

enum tm_alert_kind { TM_AL_LOW_MFU, TM_AL_THROUGHPUT_DROP, TM_AL_STALL, TM_AL_FAILURE, TM_AL_FINISHED,
	TM_AL_ENDED, TM_AL_STEP_TIME_REGRESSION, TM_AL_STRAGGLER, TM_AL_LOSS_SPIKE, TM_AL_DIVERGENCE,
	TM_AL_GRAD_NORM_SPIKE, TM_AL_N };
/* 1 for the alerts an anomaly detector raises (their records carry a step, stragglers a rank). */
int tm_alert_is_anomaly(enum tm_alert_kind k);

const char *tm_alert_name(enum tm_alert_kind k);

struct tm_alert_cfg {
	double min_mfu;          /* fraction; 0 = off */
	unsigned for_steps;      /* consecutive steps below (or above, to resolve); default 3 */
	double for_s;            /* also fire when below for this many seconds of steps; 0 = off */
	double drop;             /* throughput_drop: fraction below the run's median tokens/s; 0 = off */
	double stall_s;          /* seconds without a step; 0 = automatic */
	double stall_factor;     /* automatic: this many median step times ... */
	double stall_floor_s;    /* ... but at least this; default 300 */
	enum tm_ev_severity failure_min; /* events at or above this severity raise `failure` */
	struct tm_anomaly_cfg anomaly;   /* the detectors' settings (the config's anomalies:) */
};

void tm_alert_cfg_init(struct tm_alert_cfg *c);

struct tm_level {                /* a level alert's state */
	int firing;
	uint32_t streak;         /* consecutive steps on the other side */
	double since_step_s;     /* sum of step times in the current below-streak (for_s) */
	double value;            /* last value evaluated */
};

#define TM_STRAGGLER_GAUGES 4         /* ranks in trainmon_run_straggler_ratio */

/* The anomaly detectors of one run, fed each new step and report once (alert_anomaly.c). */
struct tm_alert_anomalies {
	struct tm_regress_det regress;
	struct tm_spike_det loss, grad;
	struct tm_straggler_det straggler;
	uint64_t reports_seen;   /* per-rank reports judged (absolute: counts those the run let go) */
	struct { int rank; double ratio; uint64_t report; } worst[TM_STRAGGLER_GAUGES]; /* the
				    slowest ranks of the last TM_STRAGGLER_GAUGES reports, newest
				    first, distinct, with the report (absolute index) that named them
				    last; rank -1 empty (tm_alerts_straggler_gauge) */
};

struct tm_alerts {
	struct tm_level low_mfu, drop, stall;
	uint8_t failure_fired[TM_EV_N];
	uint8_t finished, ended;
	size_t step_cursor;      /* steps already evaluated */
	uint64_t events_seen[TM_EV_N]; /* event counts already evaluated */
	uint64_t last_step_ms;   /* CLOCK_MONOTONIC ms when the last new step arrived; 0 none */
	struct tm_alert_anomalies an;
};

struct tm_alert_event {
	enum tm_alert_kind kind;
	int firing;              /* 1 firing, 0 resolved */
	double value, threshold; /* NAN when not applicable */
	enum tm_event_kind event_kind; /* for failure */
	enum tm_ev_severity severity;
	double step;             /* anomalies: the step it starts at (a shift's change point) */
	int rank;                /* straggler: the rank, else -1 */
	char host[48];           /* straggler: its host, "" unknown */
	char message[320];
};

typedef void (*tm_alert_fn)(void *ctx, const struct tm_alert_event *e);

void tm_alerts_init(struct tm_alerts *a);
/* Frees the detectors' rings (anomaly.h); init again to reuse. */
void tm_alerts_release(struct tm_alerts *a);
/* *to (released first) takes over *from, rings included; from keeps its other fields, no ring. */
void tm_alerts_move(struct tm_alerts *to, struct tm_alerts *from);
/* After new lines: evaluates new steps and events. s is the run's current summary. */
void tm_alerts_update(struct tm_alerts *a, const struct tm_alert_cfg *c, const struct tm_run *r,
		      const struct tm_summary *s, uint64_t now_ms, tm_alert_fn fn, void *ctx);
/* On a clock tick: stall detection. */
void tm_alerts_tick(struct tm_alerts *a, const struct tm_alert_cfg *c, const struct tm_run *r,
		    const struct tm_summary *s, uint64_t now_ms, tm_alert_fn fn, void *ctx);
/* The anomaly alerts over steps [from, r->nsteps) and the reports not judged yet. */
void tm_alerts_anomalies(struct tm_alerts *a, const struct tm_alert_cfg *c, const struct tm_run *r, size_t from,
			 size_t warmup, tm_alert_fn fn, void *ctx);
/* The k-th rank of trainmon_run_straggler_ratio: 1 with its rank and ratio while one of the last
 * TM_STRAGGLER_GAUGES reports named it slowest, else 0. */
int tm_alerts_straggler_gauge(const struct tm_alerts *a, size_t k, int *rank, double *ratio);
/* The run was restored without its reports (they are not saved): judge new ones from 0. */
void tm_alerts_reports_restored(struct tm_alerts *a, const struct tm_run *r);

/* The run ended (its file is gone, or a terminal event): `ended` unless finished. */
int tm_alerts_run_over(const struct tm_alerts *a);

#endif
