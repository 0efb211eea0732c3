/* plan.h: planning formulas for `trainmon estimate`: training compute, time, GPU-hours, cost,
 * energy, memory per GPU, max micro-batch, min GPUs (docs/formulas.md §1.4-§1.6, §2.10; every
 * § below is a section of that file; worked examples in docs/estimate.md).
 *
 * Pure functions over doubles and struct tm_arch: no I/O, no allocation, no globals. Parameters
 * and FLOPs per sequence come from model.h (one source of truth); this file only combines them.
 * An unknown input (NAN, or 0 where a positive value is needed) gives NAN, never a guess; callers
 * name the missing flag.
 */
#ifndef TRAINMON_PLAN_H
#define TRAINMON_PLAN_H

#include "trainmon/model.h"

#define TM_PLAN_CHINCHILLA_TOKENS_PER_PARAM 20.0 /* Hoffmann et al. 2022 (§1.4) */
#define TM_PLAN_KAPLAN_K 6.0                     /* FLOPs per parameter per token (§1.4) */

/* ---- compute and time (§1.4, §1.5) ---------------------------------------------------------- */

/* Chinchilla-optimal tokens 20*N. */
double tm_plan_chinchilla_tokens(double params);
/* C = k*N*D (k = 6 is Kaplan's 6ND; --compute-factor sets another k, e.g. the 1 of a shortcut
 * that counts one FLOP per parameter per token). */
double tm_plan_compute_nd(double params, double tokens, double k);
/* C = D*F_token + steps*opt_flops_per_step. opt_flops_per_step is the optimizer's FLOPs per step
 * (the detailed convention's 16*N AdamW, §2.11) or 0; steps may be NAN when opt_flops is 0. */
double tm_plan_train_flops(double flops_per_token, double tokens, double opt_flops_per_step,
			   double steps);
/* Achieved FLOP/s per GPU R = P_peak * MFU (§1.4). */
double tm_plan_rate(double peak_flops, double mfu);
/* Achieved FLOP/s per GPU from one measured step: X = B*F_seq/(t_step*n) (§1.1). */
double tm_plan_rate_from_step(double global_batch, double flops_per_seq, double step_s, double gpus);
/* t_s = C/(n*R) (§1.4). */
double tm_plan_train_seconds(double flops, double gpus, double rate);
/* Narayanan et al. 2021 eq. 4 (§1.4): t_s = factor*T*P/(n*X), factor 8 with full
 * recompute (2 FLOP/MAC * 4 passes), 6 without. X in FLOP/s per GPU. */
double tm_plan_megatron_seconds(double tokens, double params, double gpus, double x, double factor);
/* seconds / 86400 */
double tm_plan_days(double seconds);
/* GPU-hours = C/(R*3600) (§1.5); equals n*t_s/3600 for the same R. */
double tm_plan_gpu_hours(double flops, double rate);
/* cost = GPU-hours * price per GPU-hour (§1.5). */
double tm_plan_cost(double gpu_hours, double price);
/* E_kWh = GPU-hours * W / 1000 * PUE (= n*P_avg*t_s/3.6e6, §1.5); pue NAN or 0 = 1. */
double tm_plan_energy_kwh(double gpu_hours, double watts, double pue);

/* ---- memory (§1.6) -------------------------------------------------------------------------- */

/* Single-dtype accounting (§1.6; "seed004" in the names means the GPT-2 XL example of
 * docs/estimate.md that uses it): activation count per sequence, in elements:
 *   per layer: norm s*h, q/k/v s*(n_h*d_h + 2*g*d_h) (3*s*h MHA), scores n_h*s^2, attention
 *   output s*h, MLP 2*s*F; plus the final norm s*h and the logits s*V.
 * recompute (trainmon's extension of that accounting): 1 selective = the n_h*s^2 score tensor is
 * recomputed, not stored; 2 full = only each layer's input (s*h) is stored, plus one layer's
 * full set live during its recompute. */
struct tm_act_single_dtype {
	double norm, qkv, scores, attn_out, mlp;  /* one layer, as stored (0 when recomputed) */
	double layer;                             /* stored per layer */
	double layers;                            /* L*layer (+ one full layer under full recompute) */
	double final_norm, logits;
	double total;                             /* elements per sequence */
};
int tm_plan_act_single_dtype(const struct tm_arch *a, int recompute, struct tm_act_single_dtype *out);

/* Korthikanti et al. 2022 (arXiv 2205.05198, §1.6): activation bytes of one layer for b sequences,
 * 16-bit activations, GPT layer (MHA, F = 4h assumed by the constants):
 *   no recompute:  s*b*h*(34 + 5*n_h*s/h) / t            with sequence parallel (sp = 1)
 *                  s*b*h*(10 + 24/t + 5*n_h*s/(h*t))     tensor parallel only (sp = 0)
 *   selective:     the 5*n_h*s/h term is recomputed: s*b*h*34/t, or s*b*h*(10 + 24/t)
 *   full:          2*s*b*h (only the layer input), / t with sequence parallel
 * tp 0 or NAN = 1. NAN if s, h or n_h is unknown. */
double tm_plan_act_korthikanti_layer(const struct tm_arch *a, double micro_batch, double tp, int sp,
				     int recompute);

enum tm_plan_act_model { TM_ACT_KORTHIKANTI = 0, TM_ACT_SINGLE_DTYPE };

struct tm_mem_opts {
	double weight_bytes;  /* per parameter; 0/NAN = 2 (bf16) */
	double grad_bytes;    /* per parameter; 0/NAN = 2 (bf16) */
	double optim_bytes;   /* per parameter; 0/NAN = 12 (fp32 master, m, v: AdamW in fp32) */
	double act_bytes;     /* per activation element (single-dtype model); 0/NAN = 2 */
	int zero;             /* 0 plain DP, 1/2/3 ZeRO stage (3 = FSDP full shard) */
	double dp, tp, pp;    /* parallel sizes; 0/NAN = 1 */
	int sp;               /* sequence parallel with tp (Korthikanti model) */
	int recompute;        /* 0 none, 1 selective, 2 full */
	enum tm_plan_act_model act_model;
	double micro_batch;   /* sequences per GPU per micro-step; 0/NAN = 1 */
};

/* Bytes per GPU. Model states: N/(tp*pp) parameters per GPU, then
 *   params = w*N'/(dp if zero >= 3), grads = g*N'/(dp if zero >= 2), optimizer = o*N'/(dp if zero >= 1)
 * i.e. 16*N unsharded, 4N + 12N/N_d (ZeRO-1), 2N + 14N/N_d (ZeRO-2), 16N/N_d (ZeRO-3/FSDP).
 * Activations: act_per_seq for one sequence on one GPU (Korthikanti: L layers, which is what the
 * first pipeline stage holds under 1F1B, pp micro-batches of L/pp layers; single-dtype: its count *
 * act_bytes, divided by tp), times micro_batch. */
struct tm_mem {
	double params, grads, optimizer;  /* bytes per GPU */
	double states;                    /* params + grads + optimizer */
	double act_per_seq;               /* bytes per GPU for one sequence; NAN if a is NULL/unknown */
	double activations;               /* act_per_seq * micro_batch */
	double total;                     /* states + activations (NAN when activations are) */
};
/* n_params is the count the states are kept for (single-dtype: the weights-only count). a may be
 * NULL (only a parameter count known): activations and total are NAN then. Returns 0, or -1 with
 * everything NAN when n_params is unknown. */
int tm_plan_memory(const struct tm_arch *a, double n_params, const struct tm_mem_opts *o,
		   struct tm_mem *out);

/* Largest micro-batch b with states + b*act_per_seq <= mem_bytes (floor; 0 if even b = 1 does
 * not fit); NAN if unknown. */
double tm_plan_max_micro_batch(double states, double act_per_seq, double mem_bytes);
/* Fewest GPUs n with states_total/n + act_per_gpu <= mem_bytes, i.e. the model states (unsharded
 * total) spread evenly (ZeRO-3/FSDP or TP*PP): ceil(states_total/(mem_bytes - act_per_gpu)).
 * act_per_gpu NAN or 0 = model states only (e.g. ceil(300 GB / 32 GB) = 10).
 * INFINITY when the activations alone do not fit. */
double tm_plan_min_gpus(double states_total, double act_per_gpu, double mem_bytes);

/* Yin et al. 2023's FSDP and DeepSpeed forms, as the paper writes them (§1.6; the FSDP example
 * of docs/estimate.md). M_p = parameter memory in bytes. */
double tm_plan_fsdp_mem(double m_p, double n_devices);   /* M_A = 6*M_p/N_devices */
double tm_plan_deepspeed_mem(double m_p, double dp, double pp, double tp, double n_devices);
                                                                  /* 2*(DP + PP*TP + 1)/N * M_p */
double tm_plan_fsdp_comm(double m_p);                    /* C_A = 3*M_p bytes per step */
/* b_ideal = C_A / t_step in bytes/s (§1.6). */
double tm_plan_ideal_bandwidth(double comm_bytes, double step_seconds);

#endif
