/* summary.h: the numbers of one run: step-time statistics, tokens/s, MFU, tokens done, ETA.
 *
 * Inputs are the run (what the log said) and the job (what flags and config said). Each job value
 * is resolved with its source: flag > config > log > preset > default, and the source is kept for
 * the output. A value whose inputs are unknown stays NAN with `needs` naming the flag that would
 * supply it: never a guessed number. Formulas: docs/formulas.md §1.1 (tokens/s, MFU), §1.3 (ETA,
 * days), §2 via model.h (FLOPs per sequence).
 */
#ifndef TRAINMON_SUMMARY_H
#define TRAINMON_SUMMARY_H

#include <stddef.h>

#include "trainmon/gpu.h"
#include "trainmon/interrupt.h"
#include "trainmon/job.h"
#include "trainmon/model.h"
#include "trainmon/run.h"

struct tm_stats {
	size_t n;                         /* steps in the statistics (after warm-up) */
	double last, median, mean, min, max, p10, p90;
};

struct tm_logged {                        /* the framework's own figures (steady state) */
	double tflops_median, tflops_last;
	double mfu_median, mfu_last;
	double tokens_per_s_per_gpu_median;
};

struct tm_summary {
	const char *file;                 /* borrowed from the run */
	const char *framework;            /* borrowed pack name or NULL */
	size_t steps;                     /* distinct step records */
	double first_step, last_step;     /* framework step numbers, NAN if no steps */
	double warmup_steps;              /* steps excluded from the statistics */
	int warmup_auto;                  /* 1: chosen automatically */
	size_t warmup_records;
	size_t step_time_derived;         /* records whose time came from logged throughput */
	const char *step_time_how;        /* static: how, or NULL */
	struct tm_stats st;               /* step time, seconds */
	enum tm_basis basis;
	int basis_level;                  /* 1: the basis is the median of the run's last step-time
					     regime (tm_summarize_at), not of every step */
	struct tm_val step_time;          /* the basis value */
	struct tm_val layers, hidden, heads, kv_heads, ffn, vocab, mlp_gated;
	struct tm_val seq_len, global_batch, gpus;
	struct tm_val tokens_per_step, tokens_per_s, tokens_per_s_per_gpu;
	struct tm_val model_flops_per_seq, model_flops_per_step, tflops_per_gpu;
	struct tm_val peak_tflops, mfu, tokens_done, target_tokens, eta_s, days_to_target;
	struct tm_logged logged;
	double ratio_tflops;              /* ours / logged, NAN when either is unknown */
	double conv_lo, conv_hi;          /* what other conventions would give, as a fraction of ours:
					     causal halving, no logit GEMM, full recompute (NAN unknown) */
	int logged_disagrees;             /* logged/ours outside [conv_lo, conv_hi] (3 % slack) */
	char convention[320];             /* FLOPs convention used, "" when none */
	const char *gpu_name;             /* borrowed or NULL */
	const char *dtype_name;           /* static or NULL */
	const char *slurm_job_id;         /* borrowed from the run or NULL */
	enum tm_mlp mlp;
	/* where the step times came from (docs/analyze.md, "Where a step time comes from") */
	enum tm_time_src step_time_src;   /* of most records in st; TM_TSRC_SUMMARY: no per-step time,
					     the basis is the summary's run mean; NONE: no time */
	double ts_resolution_s;           /* timestamps: resolution of the lines' times (1, 0.001..) */
	double ts_step_resolution_s;      /* that / the median steps per interval: the +- of a value */
	size_t step_time_gaps;            /* timestamp intervals left out: an event between the two
					     records, or above 3x the median (eval, checkpoint) */
	double run_mean_step_time;        /* s, from an end-of-run summary, NAN; never in st */
	const char *run_mean_how;         /* static: which summary figures gave it, or NULL */
	/* honest output */
	enum tm_seg_end ended;            /* TM_END_UNKNOWN/CLEAN, or how the run ended early: then
					     eta_s is unknown and remaining_s says what is left */
	double remaining_s;               /* s the rest of the target takes at the basis, NAN */
	int logged_implausible;           /* the largest logged TFLOP/s/GPU is above a dense peak */
	double logged_tflops_max;         /* that figure, NAN none */
	double implausible_peak;          /* the peak it exceeds (TFLOP/s) */
	const char *implausible_what;     /* borrowed: the accelerator, or "any accelerator" */
	int steps_numbered;               /* 1: step numbers the log printed; 0: we counted records */
};

/* Step i's time and where it came from (src may be NULL): logged or from a tqdm bar as the run
 * holds it, else derived from a logged throughput, else, when use_ts, from the timestamps of
 * record i-1 and i over the steps between them. NAN when none applies. s: the summary's
 * global batch, seq_len and gpus. */
double tm_step_time_at(const struct tm_run *r, size_t i, const struct tm_summary *s, int use_ts,
		       enum tm_time_src *src);

/* Computes everything; allocates only a temporary sorted copy of the step times. */
void tm_summarize(const struct tm_run *r, const struct tm_job *j, struct tm_summary *s);
/* The same, but with basis median the step time behind tokens/s, MFU and ETA is level (seconds,
 * e.g. the median of the last step-time regime, anomaly.h) when it is finite: a median across two
 * levels describes neither. */
void tm_summarize_at(const struct tm_run *r, const struct tm_job *j, double level, struct tm_summary *s);
/* tm_summarize_at in two halves, for a caller that needs the summary at two levels without
 * computing the step times' statistics twice (they are most of its cost): tm_summary_stats fills
 * what does not depend on the level (the statistics, the logged figures, the job's values),
 * tm_summary_derive the rest from that. tm_summarize_at is the one then the other, so a copy
 * of a struct filled by tm_summary_stats, derived at a level, is tm_summarize_at at that level. */
void tm_summary_stats(const struct tm_run *r, const struct tm_job *j, struct tm_summary *s);
void tm_summary_derive(const struct tm_run *r, const struct tm_job *j, double level, struct tm_summary *s);

/* One step's time as the statistics take it (seconds, NAN unknown): as logged, else derived from
 * the throughput the framework logged for it with the summary's batch, seq_len and GPUs (*how
 * then names the derivation, static text; how may be NULL). s must be a summary of the step's run. */
double tm_summary_step_time(const struct tm_step *st, const struct tm_summary *s, const char **how);

/* Quantile q in [0,1] of sorted v[0..n) with linear interpolation (numpy's default). */
double tm_quantile(const double *v, size_t n, double q);

#endif
