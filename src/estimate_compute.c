/* estimate_compute.c: `trainmon estimate`'s inputs -> one struct tm__est (estimate.h).
 *
 * Parameters and FLOPs come from model.h, time/cost/energy/memory from plan.h; this file picks
 * which inputs feed them (flag > config > preset > stated default for a custom architecture) and
 * calls each formula once. Key decision: a value whose inputs are missing stays NAN and records the
 * flag that would supply it, never a guessed number; where a worked example of docs/estimate.md
 * uses other arithmetic, an option selects it (--compute-factor, --single-dtype-accounting: the
 * single-dtype, weights-only accounting) and the renderers label it.
 * It must not hold formulas of its own beyond unit conversions, print, or exit.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/gpu.h"
#include "trainmon/model.h"
#include "trainmon/plan.h"
#include "trainmon/summary.h"
#include "estimate.h"
#include "trainmon/appendf.h"
#include "banned.h"

/* The architecture: preset, then flags. A custom architecture (no preset) gets stated defaults:
 * F = 4h; GELU -> GPT style (LayerNorm, biases, tied, learned positions of s); gated -> LLaMA style
 * (RMSNorm, no biases, untied); relu2 -> Nemotron-4 style (LayerNorm, untied). */
static void build_arch(const struct tm__est_in *in, struct tm__est *e)
{
	const struct tm_job *j = &in->job;
	const struct tm_arch *p = j->preset;
	struct tm_arch *a = &e->arch;
	e->have_arch = p != NULL || in->arch_flags || tm__known(j->params[TM_P_LAYERS]);
	if (!e->have_arch)
		return;
	size_t pos = 0;
	e->assumed[0] = '\0';
	struct tm_job_arch ja;
	tm_job_arch(j, NULL, &ja);
	*a = ja.a;
	if (!p) {
		if (ja.mlp_src == TM_SRC_DEFAULT)
			tm_appendf(e->assumed, sizeof(e->assumed), &pos, "mlp gelu, ");
		if (ja.ffn.src == TM_SRC_DEFAULT)
			tm_appendf(e->assumed, sizeof(e->assumed), &pos, "ffn 4h, ");
		int gpt = a->mlp == TM_MLP_GELU;
		a->norm = gpt || a->mlp == TM_MLP_RELU2 ? TM_NORM_LAYERNORM : TM_NORM_RMSNORM;
		a->biases = gpt;
		a->tied = gpt;
		if (gpt && tm__known(a->seq_len))
			a->max_pos = a->seq_len;
		tm_appendf(e->assumed, sizeof(e->assumed), &pos, "%s style: %s, %s, %s%s", gpt ? "GPT" : a->mlp == TM_MLP_RELU2 ? "Nemotron-4" : "LLaMA",
		       gpt ? "LayerNorm" : a->mlp == TM_MLP_RELU2 ? "LayerNorm" : "RMSNorm",
		       gpt ? "biases" : "no biases", gpt ? "tied" : "untied",
		       gpt && tm__known(a->seq_len) ? ", learned positions of seq-len" : "");
	}
	if (in->tied >= 0) a->tied = in->tied;
	if (in->norm >= 0) a->norm = (enum tm_norm)in->norm;
	if (in->biases >= 0) a->biases = in->biases;
	if (!isnan(in->max_pos)) a->max_pos = in->max_pos;
	if (tm__known(in->experts)) a->experts = in->experts;
	if (tm__known(in->topk)) a->topk = in->topk;
}

static void compute_params(const struct tm__est_in *in, struct tm__est *e)
{
	e->p_total = e->p_active = e->p_megatron = e->p_weights_only = NAN;
	(void)tm_params_parts(NULL, &e->parts);
	(void)tm_params_parts_weights_only(NULL, &e->parts4);
	if (e->have_arch) {
		e->p_total = tm_params_total(&e->arch);
		e->p_active = tm_params_active(&e->arch);
		e->p_megatron = tm_params_megatron(&e->arch);
		e->p_weights_only = tm_params_weights_only(&e->arch);
		(void)tm_params_parts(&e->arch, &e->parts);
		(void)tm_params_parts_weights_only(&e->arch, &e->parts4);
	}
	int form = in->params_form;
	if (form == TM_PF_DEFAULT)
		form = in->single_dtype ? TM_PF_WEIGHTS_ONLY : TM_PF_GENERAL;
	const char *miss = e->have_arch ? tm_job_needs(tm_arch_missing(&e->arch, &(struct tm_flops_opts){
		.formula = TM_FLOPS_6ND })) : "--params or --model";
	if (!isnan(in->params)) {
		e->params = tm__mkval(in->params, NULL);
		e->params_label = "--params";
	} else if (form == TM_PF_MEGATRON) {
		e->params = tm__mkval(e->p_megatron, e->have_arch ? "--layers, --hidden, --vocab and --seq-len" : miss);
		e->params_label = "Megatron closed form 12*L*h^2 + 13*L*h + (V+s)*h (Narayanan et al. 2021)";
	} else if (form == TM_PF_WEIGHTS_ONLY) {
		e->params = tm__mkval(e->p_weights_only, miss);
		e->params_label = "weights only, untied head: V*h + s*h + L*(4h^2 + 2hF) + h*V";
	} else {
		int moe = tm__known(e->arch.experts) && e->arch.experts > 1;
		e->params = tm__mkval(moe ? e->p_active : e->p_total, miss);
		e->params_label = moe ? "active (MoE): total - L*m*h*F*(E - k)" : "exact count";
	}
	/* every expert's weights are stored and optimized: memory uses the total for MoE */
	e->params_mem = isnan(in->params) && form == TM_PF_GENERAL ? e->p_total : e->params.v;
}

static void compute_flops(const struct tm__est_in *in, struct tm__est *e)
{
	const struct tm_job *j = &in->job;
	e->fo = j->fo;
	double s = tm__known(e->arch.seq_len) ? e->arch.seq_len : j->params[TM_P_SEQ_LEN];
	int full = e->fo.recompute == 2;
	e->convention[0] = '\0';
	for (int f = 0; f < 5; f++)
		e->conv_token[f] = NAN;
	if (e->have_arch) {
		for (int f = 0; f < 5; f++) {
			struct tm_flops_opts o = e->fo;
			o.formula = (enum tm_flops_formula)f;
			e->conv_token[f] = tm_flops_per_seq(&e->arch, &o) / e->arch.seq_len;
		}
		double adamw = tm__known(e->params.v) ? e->params.v : 0;
		e->have_det = tm_flops_detail(&e->arch, &e->fo, adamw, &e->det) == 0;
	}
	e->adamw_per_step = 0;
	e->f_seq_model = tm__mkval(NAN, NULL);
	if (tm__known(in->compute_factor)) {
		/* C = k*N*D: --compute-factor replaces the 6 of 6ND (docs/formulas.md §1.4) */
		e->f_token = tm__mkval(tm__known(e->params.v) ? in->compute_factor * e->params.v : NAN, e->params.needs);
		snprintf(e->convention, sizeof(e->convention), "k*N per token with k = %g "
			 "(--compute-factor; Kaplan's 6ND has k = 6), N = %s", in->compute_factor,
			 e->params_label);
		e->f_seq = tm__mkval(tm__known(s) ? e->f_token.v * s : NAN, "--seq-len");
		e->f_seq_model = e->f_seq;
	} else if (tm__known(j->model_flops)) {
		e->f_seq = tm__mkval(j->model_flops, NULL);
		e->f_token = tm__mkval(tm__known(s) ? j->model_flops / s : NAN, "--seq-len");
		e->f_seq_model = e->f_seq;
		snprintf(e->convention, sizeof(e->convention), "model FLOPs per sequence given (--model-flops %s)",
			 tm_src_name(j->model_flops_src));
	} else if (!e->have_arch || (e->fo.formula == TM_FLOPS_6ND && (!isnan(in->params) ||
		   in->params_form > TM_PF_GENERAL || (in->single_dtype && in->params_form == TM_PF_DEFAULT)))) {
		/* only N known (or N chosen explicitly): 6N per token, 8N with full recompute (docs/formulas.md §1.4) */
		if (!e->have_arch && in->formula_given && e->fo.formula != TM_FLOPS_6ND) {
			e->f_token = tm__mkval(NAN, "--layers or --model (only --params known: use --flops-formula 6nd)");
		} else {
			double k = full ? 8 : 6;
			e->f_token = tm__mkval(tm__known(e->params.v) ? k * e->params.v : NAN, e->params.needs);
			snprintf(e->convention, sizeof(e->convention), "6nd: %s*N per token, N = %s, no "
				 "attention term%s", full ? "8" : "6", e->params_label, full ?
				 ", full recompute (8 = 2 FLOP/MAC * 4 passes: hardware FLOPs, HFU)" :
				 ", no recompute (model FLOPs, MFU)");
			e->f_seq_model = tm__mkval(tm__known(s) && tm__known(e->params.v) ?
						    6 * e->params.v * s : NAN, "--seq-len");
		}
		e->f_seq = tm__mkval(tm__known(s) ? e->f_token.v * s : NAN, "--seq-len");
	} else {
		double f = tm_flops_per_seq(&e->arch, &e->fo);
		const char *m = tm_job_needs(tm_arch_missing(&e->arch, &e->fo));
		e->f_seq = tm__mkval(f, m);
		e->f_token = tm__mkval(f / e->arch.seq_len, m);
		struct tm_flops_opts mo = e->fo;
		mo.recompute = 0;
		e->f_seq_model = tm__mkval(tm_flops_per_seq(&e->arch, &mo), m);
		tm_flops_describe(&e->arch, &e->fo, e->convention, sizeof(e->convention));
		if (e->fo.formula == TM_FLOPS_DETAILED && e->have_det)
			e->adamw_per_step = e->det.adamw;    /* docs/formulas.md §2.11: once per step */
	}
}

static void compute_training(const struct tm__est_in *in, struct tm__est *e)
{
	const struct tm_job *j = &in->job;
	double B = j->params[TM_P_GLOBAL_BATCH], n = j->params[TM_P_GPUS];
	double s = tm__known(e->arch.seq_len) ? e->arch.seq_len : j->params[TM_P_SEQ_LEN];
	e->chinchilla = tm_plan_chinchilla_tokens(e->params.v);
	/* tokens: --tokens, --tokens chinchilla, --target-tokens, or --steps * B * s */
	e->tokens = tm__mkval(NAN, "--tokens (or --steps with --global-batch and --seq-len)");
	e->tokens_src = NULL;
	if (tm__known(in->tokens)) {
		e->tokens = tm__mkval(in->tokens, NULL);
		e->tokens_src = "--tokens";
	} else if (in->tokens_chinchilla) {
		e->tokens = tm__mkval(e->chinchilla, e->params.needs);
		e->tokens_src = "--tokens chinchilla: 20*N";
	} else if (tm__known(j->target_tokens)) {
		e->tokens = tm__mkval(j->target_tokens, NULL);
		e->tokens_src = "--target-tokens";
	} else if (tm__known(in->steps) && tm__known(B) && tm__known(s)) {
		e->tokens = tm__mkval(in->steps * B * s, NULL);
		e->tokens_src = "--steps * --global-batch * seq-len";
	}
	e->steps = tm__mkval(tm__known(in->steps) ? in->steps :
			     tm__known(B) && tm__known(s) && tm__known(e->tokens.v) ? e->tokens.v / (B * s) : NAN,
			     "--steps or --global-batch");
	/* train FLOPs */
	e->train_flops_k6 = e->gpu_hours_k6 = e->cost_k6 = tm__mkval(NAN, NULL);
	if (tm__known(in->compute_factor)) {
		e->train_flops = tm__mkval(tm_plan_compute_nd(e->params.v, e->tokens.v, in->compute_factor),
				   e->params.needs ? e->params.needs : e->tokens.needs);
		e->train_flops_k6 = tm__mkval(tm_plan_compute_nd(e->params.v, e->tokens.v, TM_PLAN_KAPLAN_K), NULL);
	} else {
		double c = tm_plan_train_flops(e->f_token.v, e->tokens.v, e->adamw_per_step, e->steps.v);
		const char *needs = e->f_token.needs ? e->f_token.needs : e->tokens.needs ?
				    e->tokens.needs : "--steps or --global-batch (AdamW runs once per step)";
		e->train_flops = tm__mkval(c, needs);
	}
	/* peak */
	e->peak = tm__mkval(NAN, "--gpu or --peak-tflops");
	e->peak_src = NULL;
	if (tm__known(j->peak_tflops)) {
		e->peak = tm__mkval(j->peak_tflops * 1e12, NULL);
		e->peak_src = "--peak-tflops";
	} else if (j->gpu) {
		double pk = tm_gpu_peak_flops(j->gpu, j->dtype);
		e->peak = tm__mkval(pk > 0 ? pk : NAN, "--peak-tflops (the table has no figure for this dtype)");
		e->peak_src = "table";
	}
	/* achieved rate per GPU */
	e->rate_model = NAN;
	e->rate = tm__mkval(NAN, "--mfu (with --gpu or --peak-tflops), --achieved-tflops or --step-time");
	e->rate_src = NULL;
	if (tm__known(in->achieved_tflops)) {
		e->rate = tm__mkval(in->achieved_tflops * 1e12, NULL);
		e->rate_src = "--achieved-tflops";
	} else if (tm__known(in->step_time)) {
		double x = tm_plan_rate_from_step(B, e->f_seq.v, in->step_time, n);
		e->rate = tm__mkval(x, !tm__known(B) ? "--global-batch" : !tm__known(n) ? "--gpus" :
			    e->f_seq.needs ? e->f_seq.needs : "--seq-len");
		e->rate_src = "B*F_seq/(t_step*n)";
		if (e->fo.recompute)
			e->rate_model = tm_plan_rate_from_step(B, e->f_seq_model.v, in->step_time, n);
	} else if (tm__known(in->mfu)) {
		e->rate = tm__mkval(tm_plan_rate(e->peak.v, in->mfu), e->peak.needs);
		e->rate_src = "peak * MFU";
	}
	e->mfu = tm__mkval(tm__known(in->mfu) && !tm__known(in->achieved_tflops) &&
			   !tm__known(in->step_time) ? in->mfu :
			   tm__known(e->rate.v) && tm__known(e->peak.v) ? e->rate.v / e->peak.v : NAN,
			   tm__known(e->rate.v) ? e->peak.needs : "--mfu, or a rate with --gpu/--peak-tflops");
	e->tokens_per_s = tm__mkval(tm__known(in->step_time) && tm__known(B) && tm__known(s) ?
				     B * s / in->step_time : NAN, NULL);
	/* time, GPU-hours, cost, energy */
	e->seconds = tm__mkval(tm_plan_train_seconds(e->train_flops.v, n, e->rate.v),
		       e->train_flops.needs ? e->train_flops.needs : !tm__known(n) ? "--gpus" : e->rate.needs);
	e->days = tm__mkval(tm_plan_days(e->seconds.v), e->seconds.needs);
	e->gpu_hours = tm__mkval(tm_plan_gpu_hours(e->train_flops.v, e->rate.v),
			 e->train_flops.needs ? e->train_flops.needs : e->rate.needs);
	e->cost = tm__mkval(tm_plan_cost(e->gpu_hours.v, in->price),
		    e->gpu_hours.needs ? e->gpu_hours.needs : "--price-per-gpu-hour");
	e->gpu_hours_k6 = tm__mkval(tm_plan_gpu_hours(e->train_flops_k6.v, e->rate.v), e->rate.needs);
	e->cost_k6 = tm__mkval(tm_plan_cost(e->gpu_hours_k6.v, in->price), "--price-per-gpu-hour");
	e->watts = tm__mkval(NAN, "--watts or --gpu");
	e->watts_src = NULL;
	if (tm__known(in->watts)) {
		e->watts = tm__mkval(in->watts, NULL);
		e->watts_src = "--watts";
	} else if (j->gpu && j->gpu->watts > 0) {
		e->watts = tm__mkval(j->gpu->watts, NULL);
		e->watts_src = "TDP, table";
	}
	e->energy = tm__mkval(tm_plan_energy_kwh(e->gpu_hours.v, e->watts.v, in->pue),
		      e->gpu_hours.needs ? e->gpu_hours.needs : e->watts.needs);
	/* Narayanan eq. 4, when the achieved rate X is given or measured */
	e->eq4_factor = e->fo.recompute == 2 ? 8 : 6;
	e->eq4_seconds = tm__mkval(NAN, NULL);
	if (tm__known(in->achieved_tflops) || tm__known(in->step_time))
		e->eq4_seconds = tm__mkval(tm_plan_megatron_seconds(e->tokens.v, e->params.v, n, e->rate.v,
							    e->eq4_factor), NULL);
}

static void compute_memory(const struct tm__est_in *in, struct tm__est *e)
{
	const struct tm_job *j = &in->job;
	struct tm_mem_opts *o = &e->mo;
	double w = tm__known(in->state_bytes) ? in->state_bytes : in->single_dtype ? 2 : NAN;
	memset(o, 0, sizeof(*o));
	o->weight_bytes = tm__known(in->weight_bytes) ? in->weight_bytes : tm__known(w) ? w : 2;
	o->grad_bytes = tm__known(in->grad_bytes) ? in->grad_bytes : tm__known(w) ? w : 2;
	o->optim_bytes = tm__known(in->optim_bytes) ? in->optim_bytes : tm__known(w) ? 2 * w : 12;
	o->act_bytes = tm__known(in->act_bytes) ? in->act_bytes : tm__known(w) ? w : 2;
	o->zero = in->zero;
	o->tp = tm__known(in->tp) ? in->tp : 1;
	o->pp = tm__known(in->pp) ? in->pp : 1;
	o->sp = in->sp;
	o->recompute = j->fo.recompute;
	o->act_model = in->single_dtype ? TM_ACT_SINGLE_DTYPE : TM_ACT_KORTHIKANTI;
	o->micro_batch = tm__known(in->micro_batch) ? in->micro_batch : 1;
	double n = j->params[TM_P_GPUS];
	o->dp = tm__known(in->dp) ? in->dp : tm__known(n) ? n / (o->tp * o->pp) : NAN;
	e->n_devices = tm__known(n) ? n : tm__known(o->dp) ? o->dp * o->tp * o->pp : NAN;
	e->mem_needs = NULL;
	if (o->zero > 0 && !tm__known(o->dp)) {
		e->mem_needs = "--gpus or --dp (ZeRO shards over the data-parallel size)";
		(void)tm_plan_memory(NULL, NAN, o, &e->mem);
	} else {
		if (!tm__known(o->dp))
			o->dp = 1;
		(void)tm_plan_memory(e->have_arch ? &e->arch : NULL, e->params_mem, o, &e->mem);
	}
	const char *act_needs = !e->have_arch ? "--model or the architecture flags" :
				tm_arch_missing(&e->arch, &(struct tm_flops_opts){ .formula = TM_FLOPS_DETAILED }) ?
				tm_job_needs(tm_arch_missing(&e->arch, &(struct tm_flops_opts){
					.formula = TM_FLOPS_DETAILED })) : "--seq-len";
	if (e->mem_needs)
		act_needs = e->mem_needs;
	else if (e->params.needs)
		act_needs = e->params.needs;
	e->mem_act = tm__mkval(e->mem.activations, act_needs);
	e->mem_total = tm__mkval(e->mem.total, act_needs);
	(void)tm_plan_act_single_dtype(e->have_arch ? &e->arch : NULL, o->recompute, &e->act4);
	/* GPU memory */
	e->gpu_mem = tm__mkval(NAN, "--gpu with a memory figure, --mem-gib or --mem-bytes");
	e->gpu_mem_src = NULL;
	if (tm__known(in->mem_bytes)) {
		e->gpu_mem = tm__mkval(in->mem_bytes, NULL);
		e->gpu_mem_src = in->mem_src;
	} else if (j->gpu && j->gpu->mem_gib > 0) {
		e->gpu_mem = tm__mkval(j->gpu->mem_gib * TM_GIB, NULL);
		e->gpu_mem_src = "table";
	}
	e->max_mb = tm__mkval(tm_plan_max_micro_batch(e->mem.states, e->mem.act_per_seq, e->gpu_mem.v),
		      e->gpu_mem.needs ? e->gpu_mem.needs : act_needs);
	/* min GPUs: the unsharded model states spread over n GPUs (ZeRO-3/FSDP), plus activations */
	struct tm_mem_opts u = *o;
	u.zero = 0;
	u.dp = u.tp = u.pp = 1;
	struct tm_mem um;
	(void)tm_plan_memory(NULL, e->params_mem, &u, &um);
	e->states_unsharded = um.states;
	e->weights_only = tm__known(e->params_mem) ? e->params_mem * o->weight_bytes : NAN;
	e->min_gpus = tm__mkval(tm_plan_min_gpus(um.states, e->mem.activations, e->gpu_mem.v),
			e->params.needs ? e->params.needs : e->gpu_mem.needs);
	/* FSDP view of Yin et al. 2023 (docs/formulas.md §1.6): M_p = N * weight bytes */
	double m_p = e->weights_only;
	e->fsdp_mem = tm__mkval(tm_plan_fsdp_mem(m_p, e->n_devices), "--gpus");
	e->fsdp_comm = tm__mkval(tm_plan_fsdp_comm(m_p), e->params.needs);
	double s = tm__known(e->arch.seq_len) ? e->arch.seq_len : j->params[TM_P_SEQ_LEN];
	e->step_flops_gpu = tm__mkval(tm__known(s) ? e->f_token.v * s * o->micro_batch : NAN, "--seq-len");
	e->ideal_step = tm__mkval(tm__known(e->step_flops_gpu.v) && tm__known(e->rate.v) ?
				  e->step_flops_gpu.v / e->rate.v : NAN,
				  e->step_flops_gpu.needs ? e->step_flops_gpu.needs : e->rate.needs);
	e->ideal_bw = tm__mkval(tm_plan_ideal_bandwidth(e->fsdp_comm.v, e->ideal_step.v), e->ideal_step.needs);
}

void tm__est_compute(const struct tm__est_in *in, struct tm__est *e)
{
	build_arch(in, e);
	compute_params(in, e);
	compute_flops(in, e);
	e->f_token_model = e->f_token.v;
	if (e->fo.recompute && !tm__known(in->compute_factor) && !tm__known(in->job.model_flops)) {
		double s = tm__known(e->arch.seq_len) ? e->arch.seq_len : in->job.params[TM_P_SEQ_LEN];
		e->f_token_model = tm__known(e->f_seq_model.v) && tm__known(s) ? e->f_seq_model.v / s :
				   e->f_token.v * 6 / 8;    /* 6nd: 8N -> 6N */
	}
	compute_training(in, e);
	compute_memory(in, e);
}
