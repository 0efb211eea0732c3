/* estimate.h: internals shared by the files of `trainmon estimate`: the inputs (struct tm__est_in,
 * filled by cmd_estimate.c), the result (struct tm__est, filled by estimate_compute.c) and the two
 * renderers (estimate_text.c, estimate_json.c) that read them.
 * Key decision: one plain result struct computed once, so text and JSON print the same numbers and
 * a renderer never recomputes a formula. A value whose inputs are missing is NAN and carries the
 * flag that would supply it (struct tm__est_val).
 * It must not be included outside src/cmd_estimate.c and src/estimate_*.c; it is not API.
 */
#ifndef TRAINMON_ESTIMATE_H
#define TRAINMON_ESTIMATE_H

#include <math.h>
#include <stddef.h>

#include "trainmon/model.h"
#include "trainmon/plan.h"
#include "trainmon/summary.h"

#define TM_GIB 1073741824.0

/* --params-form; default: general, or weights-only (docs/formulas.md §3) with
 * --single-dtype-accounting (§1.6), the accounting of the GPT-2 XL example of docs/estimate.md. */
enum { TM_PF_DEFAULT = -1, TM_PF_GENERAL = 0, TM_PF_MEGATRON, TM_PF_WEIGHTS_ONLY };

/* Everything the user said, after flags and config. NAN / -1 = not given. */
struct tm__est_in {
	struct tm_job job;
	double params;
	int params_form;
	double tokens;
	int tokens_chinchilla;
	double steps, mfu, achieved_tflops, step_time, price, watts, pue;
	double tp, pp, dp, micro_batch;
	int zero, sp, single_dtype, formula_given;
	double mem_bytes;
	const char *mem_src;            /* static text naming the flag */
	double weight_bytes, grad_bytes, optim_bytes, act_bytes, state_bytes;
	double compute_factor;
	int tied, norm, biases;         /* -1 not given */
	double max_pos, experts, topk;
	int arch_flags;                 /* an architecture flag was given */
	int json, list, list_gpus, help;
	const char *config;
};

/* A value and, when it is NAN, the flag(s) that would supply it. */
struct tm__est_val {
	double v;
	const char *needs;    /* static: the flag(s) that would supply an unknown v */
};

static inline int tm__known(double x)
{
	return isfinite(x) && x > 0;
}

static inline struct tm__est_val tm__mkval(double v, const char *needs)
{
	struct tm__est_val r = { v, isnan(v) ? needs : NULL };
	return r;
}

/* Everything `estimate` prints, computed once from struct tm__est_in. */
struct tm__est {
	/* model */
	struct tm_arch arch;
	int have_arch;
	char assumed[200];          /* defaults we filled in for a custom architecture */
	double p_total, p_active, p_megatron, p_weights_only;
	struct tm_params_parts parts, parts4;
	struct tm__est_val params;          /* the count used below */
	double params_mem;          /* the count memory is kept for: all experts for MoE */
	const char *params_label;
	/* FLOPs */
	struct tm_flops_opts fo;
	double conv_token[5];       /* per token, each convention, same kappa/recompute */
	struct tm__est_val f_seq, f_token, f_seq_model;
	double f_token_model;       /* model FLOPs per token (no recompute), for the fwd/bwd split */
	char convention[360];
	struct tm_flops_detail det;
	int have_det;
	double adamw_per_step;      /* detailed convention only, else 0 */
	/* training */
	struct tm__est_val tokens, steps, train_flops, train_flops_k6, gpu_hours_k6, cost_k6;
	const char *tokens_src;
	double chinchilla;
	struct tm__est_val peak, rate, mfu;
	const char *peak_src, *rate_src;
	double rate_model;          /* model-FLOPs rate when --step-time and recompute */
	struct tm__est_val seconds, days, gpu_hours, cost, energy, eq4_seconds, tokens_per_s;
	double eq4_factor;
	struct tm__est_val watts;
	const char *watts_src;
	/* memory */
	struct tm_mem_opts mo;
	struct tm_mem mem;
	struct tm__est_val mem_total, mem_act;
	struct tm_act_single_dtype act4;
	struct tm__est_val gpu_mem;
	const char *gpu_mem_src;
	struct tm__est_val max_mb, min_gpus;
	double states_unsharded, weights_only;
	struct tm__est_val fsdp_mem, fsdp_comm, step_flops_gpu, ideal_step, ideal_bw;
	double n_devices;
	const char *mem_needs;
};

/* Fills *e from *in (e zeroed by the caller); in->job and the flags are only read. */
void tm__est_compute(const struct tm__est_in *in, struct tm__est *e);

/* Renderers: to stdout; text is the default, JSON has null for unknown values and a "needs" map. */
void tm__est_print_text(const struct tm__est_in *in, const struct tm__est *e);
void tm__est_print_json(const struct tm__est_in *in, const struct tm__est *e);
/* --list and --list-gpus tables, to stdout. */
void tm__est_list_presets(void);
void tm__est_list_gpus(void);

#endif
