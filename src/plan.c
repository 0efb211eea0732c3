/* plan.c: planning formulas for `trainmon estimate` (see plan.h; docs/formulas.md §1.4-§1.6).
 *
 * Key design decision: this file combines, it does not count. Parameters and FLOPs per sequence
 * come from model.c; here are only the steps from them to time, GPU-hours, cost, energy and bytes
 * per GPU, each one line with its docs/formulas.md section (the § below). Unknown inputs
 * propagate as NAN.
 * It must not print, allocate, read flags or hold state: cmd_estimate.c does all of that.
 */
#include <math.h>

#include "trainmon/plan.h"
#include "banned.h"

static int pos(double x)
{
	return isfinite(x) && x > 0;
}

static double or_default(double x, double def)
{
	return pos(x) ? x : def;
}

/* ---- compute and time ----------------------------------------------------------------------- */

double tm_plan_chinchilla_tokens(double params)
{
	return pos(params) ? TM_PLAN_CHINCHILLA_TOKENS_PER_PARAM * params : NAN;   /* §2.10: D = 20N */
}

double tm_plan_compute_nd(double params, double tokens, double k)
{
	if (!pos(params) || !pos(tokens) || !pos(k))
		return NAN;
	return params * tokens * k;                  /* §1.4 C = 6ND, or k*N*D (--compute-factor) */
}

double tm_plan_train_flops(double flops_per_token, double tokens, double opt_flops_per_step,
			   double steps)
{
	if (!pos(flops_per_token) || !pos(tokens))
		return NAN;
	double c = tokens * flops_per_token;         /* §1.4 C = D * F_token */
	if (pos(opt_flops_per_step)) {
		if (!pos(steps))
			return NAN;
		c += steps * opt_flops_per_step;     /* §2.11 AdamW once per step */
	}
	return c;
}

double tm_plan_rate(double peak_flops, double mfu)
{
	return pos(peak_flops) && pos(mfu) ? peak_flops * mfu : NAN;   /* §1.5 P_peak * MFU */
}

double tm_plan_rate_from_step(double global_batch, double flops_per_seq, double step_s, double gpus)
{
	if (!pos(global_batch) || !pos(flops_per_seq) || !pos(step_s) || !pos(gpus))
		return NAN;
	return global_batch * flops_per_seq / (step_s * gpus);        /* §1.1 X = B*F_seq/(t*n) */
}

double tm_plan_train_seconds(double flops, double gpus, double rate)
{
	if (!pos(flops) || !pos(gpus) || !pos(rate))
		return NAN;
	return flops / (gpus * rate);                /* §1.4 t = C/(n * P_peak * MFU) */
}

double tm_plan_megatron_seconds(double tokens, double params, double gpus, double x, double factor)
{
	if (!pos(tokens) || !pos(params) || !pos(gpus) || !pos(x) || !pos(factor))
		return NAN;
	return factor * tokens * params / (gpus * x); /* §1.4 t ~ 8*T*P/(n*X) (eq. 4) */
}

double tm_plan_days(double seconds)
{
	return pos(seconds) ? seconds / 86400 : NAN;
}

double tm_plan_gpu_hours(double flops, double rate)
{
	if (!pos(flops) || !pos(rate))
		return NAN;
	return flops / (rate * 3600);                /* §1.5 GPU_hours = C/(P_peak*MFU*3600) */
}

double tm_plan_cost(double gpu_hours, double price)
{
	if (!pos(gpu_hours) || !(isfinite(price) && price >= 0))
		return NAN;
	return gpu_hours * price;                    /* §1.5 cost = GPU_hours * price */
}

double tm_plan_energy_kwh(double gpu_hours, double watts, double pue)
{
	if (!pos(gpu_hours) || !pos(watts))
		return NAN;
	/* §1.5 E_J = n*P_avg*t_s = GPU_hours*3600*W; E_kWh = E_J/3.6e6; times a site PUE */
	return gpu_hours * watts / 1000 * or_default(pue, 1);
}

/* ---- memory --------------------------------------------------------------------------------- */

/* Attention widths as model.c resolves them: q = n_h*d_h, kv = g*d_h. */
static void widths(const struct tm_arch *a, double *q, double *kv)
{
	double dh = pos(a->head_dim) ? a->head_dim : a->hidden / a->heads;
	*q = pos(a->head_dim) ? a->heads * a->head_dim : a->hidden;
	*kv = pos(a->kv_heads) ? a->kv_heads * dh : *q;
}

int tm_plan_act_single_dtype(const struct tm_arch *a, int recompute, struct tm_act_single_dtype *out)
{
	if (!a || !pos(a->layers) || !pos(a->hidden) || !pos(a->heads) || !pos(a->ffn) ||
	    !pos(a->vocab) || !pos(a->seq_len)) {
		*out = (struct tm_act_single_dtype){ NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
		return -1;
	}
	double s = a->seq_len, h = a->hidden, q, kv;
	widths(a, &q, &kv);
	/* §1.6 single-dtype: L*(s*h + 3*s*h + n_h*s^2 + s*h + 2*s*F) + s*h + s*V elements */
	out->norm = s * h;
	out->qkv = s * (q + 2 * kv);
	out->scores = a->heads * s * s;
	out->attn_out = s * h;
	out->mlp = 2 * s * a->ffn;
	double full = out->norm + out->qkv + out->scores + out->attn_out + out->mlp;
	out->final_norm = s * h;
	out->logits = s * a->vocab;
	if (recompute == 1) {
		out->scores = 0;                     /* recomputed from the stored q and k */
		out->layer = full - a->heads * s * s;
		out->layers = a->layers * out->layer;
	} else if (recompute == 2) {
		out->qkv = out->scores = out->attn_out = out->mlp = 0;   /* out->norm = the input */
		out->layer = s * h;
		out->layers = a->layers * out->layer + full;   /* + the layer being recomputed */
	} else {
		out->layer = full;
		out->layers = a->layers * full;
	}
	out->total = out->layers + out->final_norm + out->logits;
	return 0;
}

double tm_plan_act_korthikanti_layer(const struct tm_arch *a, double micro_batch, double tp, int sp,
				     int recompute)
{
	if (!a || !pos(a->seq_len) || !pos(a->hidden) || !pos(a->heads))
		return NAN;
	double s = a->seq_len, h = a->hidden, n_h = a->heads;
	double b = or_default(micro_batch, 1), t = or_default(tp, 1);
	double sbh = s * b * h;
	if (recompute == 2)
		return sp ? 2 * sbh / t : 2 * sbh;   /* §1.6 full recompute: 2*s*b*h */
	double attn = recompute == 1 ? 0 : 5 * n_h * s / h;   /* selective drops 5as/h */
	if (sp || t == 1)
		return sbh * (34 + attn) / t;        /* §1.6 s*b*h*(34 + 5*n_h*s/h) / t */
	return sbh * (10 + 24 / t + attn / t);       /* Korthikanti eq. 2: TP without SP */
}

int tm_plan_memory(const struct tm_arch *a, double n_params, const struct tm_mem_opts *o,
		   struct tm_mem *out)
{
	static const struct tm_mem_opts defaults = { 0 };
	if (!o)
		o = &defaults;
	if (!pos(n_params)) {
		*out = (struct tm_mem){ NAN, NAN, NAN, NAN, NAN, NAN, NAN };
		return -1;
	}
	double dp = or_default(o->dp, 1), tp = or_default(o->tp, 1), pp = or_default(o->pp, 1);
	double n = n_params / (tp * pp);             /* §1.6 TP/PP divide the model states */
	/* §1.6 16*N unsharded; ZeRO-1 4N + 12N/N_d; ZeRO-2 2N + 14N/N_d; ZeRO-3/FSDP 16N/N_d */
	out->params = or_default(o->weight_bytes, 2) * n / (o->zero >= 3 ? dp : 1);
	out->grads = or_default(o->grad_bytes, 2) * n / (o->zero >= 2 ? dp : 1);
	out->optimizer = or_default(o->optim_bytes, 12) * n / (o->zero >= 1 ? dp : 1);
	out->states = out->params + out->grads + out->optimizer;
	out->act_per_seq = NAN;
	if (a && o->act_model == TM_ACT_SINGLE_DTYPE) {
		struct tm_act_single_dtype act;
		if (tm_plan_act_single_dtype(a, o->recompute, &act) == 0)
			out->act_per_seq = act.total * or_default(o->act_bytes, 2) / tp;   /* §1.6 */
	} else if (a && pos(a->layers)) {
		/* §1.6 Korthikanti, all L layers: the first 1F1B stage holds pp micro-batches of L/pp */
		out->act_per_seq = a->layers * tm_plan_act_korthikanti_layer(a, 1, tp, o->sp, o->recompute);
	}
	out->activations = out->act_per_seq * or_default(o->micro_batch, 1);
	out->total = out->states + out->activations;
	return 0;
}

double tm_plan_max_micro_batch(double states, double act_per_seq, double mem_bytes)
{
	if (!pos(states) || !pos(act_per_seq) || !pos(mem_bytes))
		return NAN;
	if (states >= mem_bytes)
		return 0;
	return floor((mem_bytes - states) / act_per_seq);   /* §1.6 total = act*b + constant */
}

double tm_plan_min_gpus(double states_total, double act_per_gpu, double mem_bytes)
{
	if (!pos(states_total) || !pos(mem_bytes))
		return NAN;
	double room = mem_bytes - (pos(act_per_gpu) ? act_per_gpu : 0);
	if (room <= 0)
		return INFINITY;
	return ceil(states_total / room);            /* e.g. ceil(300/32) = 10 GPUs */
}

double tm_plan_fsdp_mem(double m_p, double n_devices)
{
	return pos(m_p) && pos(n_devices) ? 6 * m_p / n_devices : NAN;   /* §1.6 M_A = 6*M_p/N */
}

double tm_plan_deepspeed_mem(double m_p, double dp, double pp, double tp, double n_devices)
{
	if (!pos(m_p) || !pos(dp) || !pos(pp) || !pos(tp) || !pos(n_devices))
		return NAN;
	return 2 * (dp + pp * tp + 1) / n_devices * m_p;   /* §1.6 M_B = 2*(DP + PP*TP + 1)/N * M_p */
}

double tm_plan_fsdp_comm(double m_p)
{
	return pos(m_p) ? 3 * m_p : NAN;                   /* §1.6 C_A ~ 3*M_p */
}

double tm_plan_ideal_bandwidth(double comm_bytes, double step_seconds)
{
	return pos(comm_bytes) && pos(step_seconds) ? comm_bytes / step_seconds : NAN; /* §1.6 */
}
