/* estimate_text.c: the text report of `trainmon estimate`, and its --list/--list-gpus tables.
 *
 * Prints a computed struct tm__est (estimate.h) as aligned rows: name, value, then the formula or
 * source it came from (docs/formulas.md has each one), or "unknown" and "needs FLAG". Key decision: fixed
 * widths and every printf format a literal (fmt_g parses a small spec), so docs/estimate.md can pin
 * the output byte for byte.
 * It must not compute anything beyond unit conversions and ratios for display; numbers come from
 * estimate_compute.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/gpu.h"
#include "trainmon/model.h"
#include "trainmon/plan.h"
#include "trainmon/summary.h"
#include "estimate.h"
#include "banned.h"

/* Integers with thousands separators (exact below 1e19), others "%.6e". */
static const char *fmt_int(char *buf, size_t n, double v)
{
	if (isnan(v)) {
		snprintf(buf, n, "unknown");
		return buf;
	}
	if (isinf(v)) {
		snprintf(buf, n, "none fits");
		return buf;
	}
	if (v != floor(v) || fabs(v) >= 1e19) {
		snprintf(buf, n, "%.6e", v);
		return buf;
	}
	char digits[32];
	snprintf(digits, sizeof(digits), "%.0f", fabs(v));
	size_t len = strlen(digits), o = 0;
	if (v < 0 && o + 1 < n)
		buf[o++] = '-';
	for (size_t i = 0; i < len && o + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* spec is "%g" or "%.<digits><e|f|g>"; parsed here so every printf format stays a literal. */
static const char *fmt_g(char *buf, size_t n, double v, const char *spec)
{
	int prec = -1;
	char kind = spec[strlen(spec) - 1];
	if (spec[1] == '.')
		prec = (int)strtol(spec + 2, NULL, 10);
	if (isnan(v)) {
		snprintf(buf, n, "unknown");
	} else if (spec[1] == ',') {            /* "%,N": thousands separators, N decimals */
		char ib[48], fb[32];
		int dec = (int)strtol(spec + 2, NULL, 10);
		double r = round(v * pow(10, dec)) / pow(10, dec);
		double ip = trunc(r);
		snprintf(fb, sizeof(fb), "%.*f", dec, fabs(r - ip));
		snprintf(buf, n, "%s%s", fmt_int(ib, sizeof(ib), ip), dec > 0 ? fb + 1 : "");
	} else if (kind == 'e')
		snprintf(buf, n, "%.*e", prec < 0 ? 6 : prec, v);
	else if (kind == 'f')
		snprintf(buf, n, "%.*f", prec < 0 ? 6 : prec, v);
	else if (prec >= 0)
		snprintf(buf, n, "%.*g", prec, v);
	else
		snprintf(buf, n, "%g", v);
	return buf;
}

/* "value  label" row; an unknown value prints "unknown (needs X)" in the label column. */
static void row(const char *name, const char *value, const char *label)
{
	printf("  %-38s %26s  %s\n", name, value, label ? label : "");
}

static void row_val(const char *name, struct tm__est_val v, const char *fmt, const char *unit,
		    const char *label)
{
	char b[64], lb[400];
	if (isnan(v.v)) {
		snprintf(lb, sizeof(lb), "needs %s", v.needs ? v.needs : "more input");
		row(name, "unknown", lb);
		return;
	}
	if (fmt)
		fmt_g(b, sizeof(b), v.v, fmt);
	else
		fmt_int(b, sizeof(b), v.v);
	if (unit && *unit) {
		size_t l = strlen(b);
		snprintf(b + l, sizeof(b) - l, " %s", unit);
	}
	row(name, b, label);
}

static void row_bytes(const char *name, double bytes, const char *needs, const char *label)
{
	char b[64], c[64], lb[400];
	if (isnan(bytes)) {
		snprintf(lb, sizeof(lb), "needs %s", needs ? needs : "more input");
		row(name, "unknown", lb);
		return;
	}
	snprintf(b, sizeof(b), "%s B", fmt_int(c, sizeof(c), round(bytes)));
	snprintf(lb, sizeof(lb), "%9.2f GiB %9.2f GB  %s", bytes / TM_GIB, bytes / 1e9, label ? label : "");
	row(name, b, lb);
}

static const char *mlp_name(enum tm_mlp m)
{
	switch (m) {
	case TM_MLP_GELU: return "GELU";
	case TM_MLP_RELU2: return "squared-ReLU";
	case TM_MLP_SWIGLU: return "SwiGLU";
	case TM_MLP_GEGLU: return "GeGLU";
	default: return "unknown";
	}
}

static void print_model(const struct tm__est_in *in, const struct tm__est *e)
{
	const struct tm_arch *a = &e->arch;
	char b[64];
	if (!e->have_arch) {
		printf("Model: parameter count only (--params); architecture unknown\n");
	} else {
		printf("Model: %s%s\n", a->name ? a->name : "custom architecture",
		       in->job.preset ? " (preset)" : "");
		char q[8][24];
		double dims[8] = { a->layers, a->hidden, a->heads, tm__known(a->kv_heads) ? a->kv_heads : a->heads,
				   tm__known(a->head_dim) ? a->head_dim : a->hidden / a->heads, a->ffn, a->vocab,
				   a->seq_len };
		for (int i = 0; i < 8; i++)
			fmt_g(q[i], sizeof(q[i]), tm__known(dims[i]) ? dims[i] : NAN, "%g");
		printf("  L=%s h=%s n_h=%s g=%s d_h=%s F=%s V=%s s=%s, %s MLP, %s, %s, %s",
		       q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], mlp_name(a->mlp),
		       a->norm == TM_NORM_LAYERNORM ? "LayerNorm" : a->norm == TM_NORM_RMSNORM ? "RMSNorm" : "norm unknown",
		       a->biases ? "biases" : a->qkv_bias ? "q/k/v biases" : "no biases",
		       a->tied > 0 ? "tied LM head" : a->tied == 0 ? "untied LM head" : "tied unknown");
		if (tm__known(a->max_pos))
			printf(", learned positions %g", a->max_pos);
		if (tm__known(a->experts) && a->experts > 1)
			printf(", MoE %g experts top-%g", a->experts, a->topk);
		printf("\n");
		if (e->assumed[0])
			printf("  assumed (custom architecture): %s\n", e->assumed);
	}
	printf("\nParameters\n");
	if (e->have_arch) {
		const char *form = a->params_form == TM_PARAMS_MEGATRON_P ? "Megatron P form (no final norm)"
				   : "general form";
		char lb[160];
		snprintf(lb, sizeof(lb), "exact count, %s", form);
		row("total", fmt_int(b, sizeof(b), e->p_total), lb);
		if (tm__known(a->experts) && a->experts > 1)
			row("active per token (MoE)", fmt_int(b, sizeof(b), e->p_active), "total - L*m*h*F*(E - k): k of E experts per token");
		row("Megatron closed form", fmt_int(b, sizeof(b), e->p_megatron),
		    "12*L*h^2 + 13*L*h + (V+s)*h (Narayanan et al. 2021; assumes F=4h, MHA, biases)");
		row("weights only, untied head", fmt_int(b, sizeof(b), e->p_weights_only),
		    "V*h + s*h + L*(4h^2 + 2hF) + h*V (matrices and embeddings; no biases/norms)");
	}
	row_val("used below (N)", e->params, NULL, NULL, e->params_label);
	if (tm__known(e->params.v)) {
		row_bytes("weights only (inference)", e->weights_only, NULL, e->params_mem != e->params.v ?
			  "total N (all experts) * weight bytes; memory below uses the total" :
			  "N * weight bytes");
	}
	if (e->have_arch && !isnan(e->parts.total)) {
		const struct tm_params_parts *p = &e->parts, *q = &e->parts4;
		double L = a->layers;
		struct { const char *name; double layer, total, wo; } rows[] = {
			{ "token embedding", NAN, p->embedding, q->embedding },
			{ "position embedding", NAN, p->position, q->position },
			{ "attention (q,k,v,o)", p->attention, L * p->attention, L * q->attention },
			{ "MLP", p->mlp, L * p->mlp, L * q->mlp },
			{ "router", p->router, L * p->router, L * q->router },
			{ "norms", p->norms, L * p->norms, L * q->norms },
			{ "layers", p->layer, p->layers, q->layers },
			{ "final norm", NAN, p->final_norm, q->final_norm },
			{ "LM head", NAN, p->lm_head, q->lm_head },
			{ "total", NAN, p->total, q->total },
		};
		char c[64], d[64];
		printf("\n  %-24s %18s %18s %18s\n", "component", "per layer", "exact total", "weights only");
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			if (i == 4 && p->router == 0)
				continue;
			printf("  %-24s %18s %18s %18s%s\n", rows[i].name,
			       isnan(rows[i].layer) ? "-" : fmt_int(b, sizeof(b), rows[i].layer),
			       fmt_int(c, sizeof(c), rows[i].total), fmt_int(d, sizeof(d), rows[i].wo),
			       i == 8 && a->tied > 0 ? "  (exact: tied to the token embedding)" : "");
		}
	}
}

static void print_flops(const struct tm__est_in *in, const struct tm__est *e)
{
	char b[64], lb[200];
	double B = in->job.params[TM_P_GLOBAL_BATCH];
	printf("\nFLOPs (forward + backward)\n");
	if (e->have_arch) {
		static const char *const names[] = { "megatron (Megatron-LM)", "paxml (NVIDIA DGX Cloud)",
						     "palm (Chowdhery et al.)", "6nd (Kaplan et al.)",
						     "detailed (per operation)" };
		double kap = tm__known(e->fo.kappa) ? e->fo.kappa : 1;
		snprintf(lb, sizeof(lb), "per token, kappa=%g, recompute %s", kap, tm_recompute_name(e->fo.recompute));
		printf("  %-38s %26s  %s\n", "by convention", "", lb);
		for (int f = 0; f < 5; f++) {
			struct tm_flops_opts o = e->fo;
			o.formula = (enum tm_flops_formula)f;
			const char *miss = tm_arch_missing(&e->arch, &o);
			snprintf(lb, sizeof(lb), "needs %s", tm_job_needs(miss));
			row(names[f], fmt_g(b, sizeof(b), e->conv_token[f], "%.6e"), miss ? lb :
			    (int)e->fo.formula == f && !tm__known(in->compute_factor) && !tm__known(in->job.model_flops) &&
			    tm__known(e->f_token.v) && e->f_token.v == e->conv_token[f] ? "<- used" : "");
		}
	}
	printf("  convention used: %s\n", e->convention[0] ? e->convention : "none (inputs missing)");
	row_val("per token", e->f_token, "%.6e", "FLOP", "F_token");
	row_val("  forward", tm__mkval(e->f_token_model / 3, e->f_token.needs), "%.6e", "FLOP",
		"model FLOPs / 3 (backward = 2 x forward)");
	row_val("  backward", tm__mkval(2 * e->f_token_model / 3, e->f_token.needs), "%.6e", "FLOP",
		"2/3 of model FLOPs");
	if (e->fo.recompute && tm__known(e->f_token.v))
		row_val("  recompute (hardware only)", tm__mkval(e->f_token.v - e->f_token_model, NULL), "%.6e",
			"FLOP", e->fo.recompute == 2 ? "one more forward of the layers" :
			"attention core once more");
	row_val("per sequence", e->f_seq, NULL, "FLOP", "F_seq = s * F_token");
	if (tm__known(B))
		row_val("per step", tm__mkval(B * e->f_seq.v, e->f_seq.needs), NULL, "FLOP", "B * F_seq");
	if (e->have_det && (e->fo.formula == TM_FLOPS_DETAILED || in->single_dtype)) {
		const struct tm_flops_detail *d = &e->det;
		printf("\n  %-66s %s\n", "Per-operation forward FLOPs, one sequence (batch 1)", "share of overall");
		struct { const char *name; double v; } rows[] = {
			{ "norm (each)", d->norm }, { "QKV projection", d->qkv },
			{ "attention scores QK^T", d->scores }, { "softmax", d->softmax },
			{ "attention-weighted values", d->pv }, { "output projection", d->out_proj },
			{ "multi-head attention total", d->attention }, { "FFN (GEMMs + activation)", d->ffn },
			{ "one block", d->block }, { "all blocks", d->blocks },
			{ "final norm", d->norm }, { "LM head", d->lm_head },
			{ "forward total", d->forward }, { "backward (2 x forward)", d->backward },
			{ "AdamW step (16 * N, once per step)", d->adamw },
			{ "overall (fwd + bwd + AdamW)", d->total },
		};
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			printf("  %-38s %26s  %.7g\n", rows[i].name, fmt_int(b, sizeof(b), rows[i].v),
			       rows[i].v / d->total);
		printf("  %-38s %26s  %s\n", "overall in TFLOP", fmt_g(b, sizeof(b), d->total / 1e12, "%.4f"),
		       "overall / 1e12 (a count of operations, not a rate)");
	}
}

static void print_training(const struct tm__est_in *in, const struct tm__est *e)
{
	const struct tm_job *j = &in->job;
	char lb[300], b[64];
	double n = j->params[TM_P_GPUS];
	printf("\nTraining\n");
	row_val("tokens (D)", e->tokens, NULL, NULL, e->tokens_src);
	row_val("Chinchilla-optimal tokens", tm__mkval(e->chinchilla, e->params.needs), NULL, NULL,
		"20 * N (reference, Hoffmann et al.)");
	if (tm__known(e->steps.v))
		row_val("optimizer steps", e->steps, "%.6g", NULL, tm__known(in->steps) ? "--steps" : "D/(B*s)");
	if (tm__known(in->compute_factor)) {
		snprintf(lb, sizeof(lb), "C = k*N*D, k = %g (--compute-factor)",
			 in->compute_factor);
		row_val("train FLOPs", e->train_flops, "%.6e", "FLOP", lb);
		row_val("train FLOPs, corrected", e->train_flops_k6, "%.6e", "FLOP",
			"C = 6*N*D (Kaplan et al. 2020)");
	} else {
		row_val("train FLOPs", e->train_flops, "%.6e", "FLOP", e->adamw_per_step > 0 ?
			"C = D*F_token + steps*AdamW (16 FLOPs per parameter)" : "C = D*F_token");
	}
	if (tm__known(e->peak.v)) {
		if (e->peak_src && strcmp(e->peak_src, "table") == 0)
			snprintf(lb, sizeof(lb), "%s %s dense (--list-gpus table)", j->gpu->name, tm_dtype_name(j->dtype));
		else
			snprintf(lb, sizeof(lb), "%s", e->peak_src);
		row_val("peak per GPU", tm__mkval(e->peak.v / 1e12, NULL), "%g", "TFLOP/s", lb);
	} else {
		row_val("peak per GPU", e->peak, NULL, NULL, NULL);
	}
	if (tm__known(e->tokens_per_s.v)) {
		row_val("tokens/s", e->tokens_per_s, "%,6", NULL, "B*s/t_step");
	}
	row_val("achieved per GPU", tm__mkval(e->rate.v / 1e12, e->rate.needs), "%.6f", "TFLOP/s", e->rate_src);
	const char *mfu_label = e->fo.recompute && !tm__known(in->compute_factor) && !tm__known(j->model_flops) ?
				"HFU: recompute counted (hardware FLOPs)"
					       : "MFU: achieved / peak";
	if (tm__known(e->mfu.v))
		row_val("fraction of peak", tm__mkval(100 * e->mfu.v, NULL), "%.5f", "%", mfu_label);
	else
		row_val("fraction of peak", e->mfu, NULL, NULL, NULL);
	if (tm__known(e->rate_model)) {
		row_val("achieved per GPU, model FLOPs", tm__mkval(e->rate_model / 1e12, NULL), "%.6f", "TFLOP/s",
			"no recompute (MFU numerator)");
		if (tm__known(e->peak.v))
			row_val("MFU (model FLOPs)", tm__mkval(100 * e->rate_model / e->peak.v, NULL), "%.5f", "%", NULL);
	}
	snprintf(lb, sizeof(lb), "t = C/(n*R), n = %s", fmt_g(b, sizeof(b), n, "%g"));
	row_val("time", e->seconds, "%,1", "s", lb);
	row_val("time in days", e->days, "%.5f", "days", "t/86400");
	if (tm__known(in->achieved_tflops) || tm__known(in->step_time)) {
		snprintf(lb, sizeof(lb), "Narayanan et al. 2021 eq. 4: %g*T*P/(n*X)%s", e->eq4_factor,
			 e->eq4_factor == 8 ? ", full recompute" : ", no recompute");
		row_val("time, Megatron formula", tm__mkval(tm_plan_days(e->eq4_seconds.v),
			!tm__known(n) ? "--gpus" : e->tokens.needs ? e->tokens.needs : e->params.needs),
			"%.5f", "days", lb);
	}
	row_val("GPU-hours", e->gpu_hours, "%,2", NULL, "C/(R*3600) = n*t/3600");
	if (tm__known(in->price))
		snprintf(lb, sizeof(lb), "GPU-hours * $%g per GPU-hour", in->price);
	else
		snprintf(lb, sizeof(lb), "GPU-hours * price");
	row_val("cost", e->cost, "%,2", "USD", lb);
	if (tm__known(in->compute_factor)) {
		row_val("GPU-hours, corrected (k = 6)", e->gpu_hours_k6, "%,2", NULL, "6*N*D/(R*3600)");
		row_val("cost, corrected (k = 6)", e->cost_k6, "%,2", "USD", "GPU-hours (k = 6) * price");
	}
	if (tm__known(e->watts.v))
		snprintf(lb, sizeof(lb), "GPU-hours * %g W (%s) / 1000%s%s", e->watts.v, e->watts_src,
			 tm__known(in->pue) ? " * PUE " : ", no PUE (accelerators only, upper bound at TDP)",
			 tm__known(in->pue) ? fmt_g(b, sizeof(b), in->pue, "%g") : "");
	else
		snprintf(lb, sizeof(lb), "GPU-hours * W / 1000");
	row_val("energy", e->energy, "%,2", "kWh", lb);
}

static void print_memory(const struct tm__est_in *in, const struct tm__est *e)
{
	const struct tm_mem_opts *o = &e->mo;
	char lb[300], b[64];
	static const char *const zero_names[] = { "plain data parallel", "ZeRO-1 (optimizer sharded)",
		"ZeRO-2 (optimizer + gradients sharded)", "ZeRO-3 / FSDP full shard" };
	printf("\nMemory per GPU (%s, dp=%s tp=%g pp=%g, micro-batch %g, %s accounting)\n",
	       zero_names[o->zero], fmt_g(b, sizeof(b), o->dp, "%g"), o->tp, o->pp, o->micro_batch,
	       in->single_dtype ? "single-dtype, weights-only N" :
	       tm__known(in->state_bytes) ? "--state-bytes (every state in one dtype)" :
	       tm__known(in->weight_bytes) || tm__known(in->grad_bytes) || tm__known(in->optim_bytes) ?
	       "bytes per parameter as given" : "mixed-precision AdamW (Rajbhandari et al. 2019)");
	const char *needs = e->mem_needs ? e->mem_needs : e->params.needs;
	snprintf(lb, sizeof(lb), "%g B/param%s", o->weight_bytes, o->zero >= 3 ? " / dp" : "");
	row_bytes("parameters", e->mem.params, needs, lb);
	snprintf(lb, sizeof(lb), "%g B/param%s", o->grad_bytes, o->zero >= 2 ? " / dp" : "");
	row_bytes("gradients", e->mem.grads, needs, lb);
	snprintf(lb, sizeof(lb), "%g B/param%s%s", o->optim_bytes, o->zero >= 1 ? " / dp" : "",
		 in->single_dtype || tm__known(in->state_bytes) ? " (Adam m, v)" :
		 o->optim_bytes == 12 ? " (fp32 master, m, v)" : "");
	row_bytes("optimizer states", e->mem.optimizer, needs, lb);
	row_bytes("model states", e->mem.states, needs, "params + grads + optimizer");
	if (in->single_dtype) {
		snprintf(lb, sizeof(lb), "one tensor per stored activation * %g B, recompute %s", o->act_bytes,
			 tm_recompute_name(o->recompute));
	} else {
		snprintf(lb, sizeof(lb), "Korthikanti L*s*h*(34 + 5*n_h*s/h)%s, recompute %s",
			 o->tp > 1 ? (o->sp ? "/tp (sequence parallel)" : " with tp, no sp") : "",
			 tm_recompute_name(o->recompute));
	}
	row_bytes("activations per sequence", e->mem.act_per_seq, e->mem_act.needs, lb);
	snprintf(lb, sizeof(lb), "per sequence * micro-batch %g", o->micro_batch);
	row_bytes("activations", e->mem.activations, e->mem_act.needs, lb);
	row_bytes("total", e->mem.total, e->mem_total.needs, "model states + activations");
	if (in->single_dtype && !isnan(e->act4.total)) {
		const struct tm_act_single_dtype *a = &e->act4;
		printf("\n  Activations per sequence, elements (one tensor per stored activation)\n");
		printf("  %-38s %26s\n", "norm input, per layer", fmt_int(b, sizeof(b), a->norm));
		printf("  %-38s %26s\n", "q, k, v, per layer", fmt_int(b, sizeof(b), a->qkv));
		printf("  %-38s %26s\n", "scores n_h*s^2, per layer", fmt_int(b, sizeof(b), a->scores));
		printf("  %-38s %26s\n", "attention output, per layer", fmt_int(b, sizeof(b), a->attn_out));
		printf("  %-38s %26s\n", "MLP 2*s*F, per layer", fmt_int(b, sizeof(b), a->mlp));
		printf("  %-38s %26s\n", "all layers", fmt_int(b, sizeof(b), a->layers));
		printf("  %-38s %26s\n", "final norm", fmt_int(b, sizeof(b), a->final_norm));
		printf("  %-38s %26s\n", "logits s*V", fmt_int(b, sizeof(b), a->logits));
		printf("  %-38s %26s\n", "total", fmt_int(b, sizeof(b), a->total));
		if (tm__known(e->mem.act_per_seq))
			printf("  expression: %.4f * batch + %.4f GiB\n", e->mem.act_per_seq / TM_GIB,
			       e->mem.states / TM_GIB);
	}
	printf("\n");
	if (tm__known(e->gpu_mem.v)) {
		snprintf(lb, sizeof(lb), "%s", e->gpu_mem_src);
		if (strcmp(e->gpu_mem_src, "table") == 0)
			snprintf(lb, sizeof(lb), "%s (table)", in->job.gpu->name);
		row_bytes("GPU memory", e->gpu_mem.v, NULL, lb);
	} else {
		row_bytes("GPU memory", NAN, e->gpu_mem.needs, NULL);
	}
	row_val("max micro-batch", e->max_mb, NULL, "sequences", "floor((memory - model states) / activations per sequence)");
	snprintf(lb, sizeof(lb), "ceil(model states %s GB / (memory - activations%s)): states spread "
		 "over all GPUs (ZeRO-3/FSDP)", fmt_g(b, sizeof(b), e->states_unsharded / 1e9, "%.2f"),
		 tm__known(e->mem.activations) ? "" : " unknown, states only");
	row_val("min GPUs", e->min_gpus, NULL, NULL, lb);
	if (tm__known(e->min_gpus.v) && isfinite(e->min_gpus.v) && tm__known(in->price)) {
		snprintf(lb, sizeof(lb), "min GPUs * $%g per GPU-hour", in->price);
		row_val("cost per hour at min GPUs", tm__mkval(e->min_gpus.v * in->price, NULL), "%.2f", "USD/h", lb);
	}
	if (o->zero == 3) {
		printf("\n  FSDP view of Yin et al. 2023 (M_p = N * %g B = %s GB)\n", o->weight_bytes,
		       fmt_g(b, sizeof(b), e->weights_only / 1e9, "%.6g"));
		row_bytes("memory per device M_A", e->fsdp_mem.v, e->fsdp_mem.needs,
			  "6*M_p/N_devices (as the paper writes it)");
		row_bytes("communication per step C_A", e->fsdp_comm.v, e->fsdp_comm.needs, "3*M_p");
		row_val("step FLOPs per GPU", e->step_flops_gpu, "%.6e", "FLOP", "F_token * s * micro-batch");
		row_val("ideal step time", e->ideal_step, "%.6g", "s", "step FLOPs / R");
		row_val("minimum bandwidth", tm__mkval(e->ideal_bw.v / 1e9, e->ideal_bw.needs), "%.4f", "GB/s",
			"C_A / t_step");
	}
}

void tm__est_print_text(const struct tm__est_in *in, const struct tm__est *e)
{
	print_model(in, e);
	print_flops(in, e);
	print_training(in, e);
	print_memory(in, e);
}

void tm__est_list_presets(void)
{
	char b[64];
	printf("%-16s %4s %6s %4s %4s %4s %6s %7s %6s %-12s %18s\n", "preset", "L", "h", "n_h", "g",
	       "d_h", "F", "V", "s", "MLP", "parameters");
	const struct tm_arch *p;
	for (size_t i = 0; (p = tm_preset_at(i)) != NULL; i++)
		printf("%-16s %4g %6g %4g %4g %4g %6g %7g %6g %-12s %18s\n", p->name, p->layers, p->hidden,
		       p->heads, tm__known(p->kv_heads) ? p->kv_heads : p->heads,
		       tm__known(p->head_dim) ? p->head_dim : p->hidden / p->heads, p->ffn, p->vocab,
		       p->seq_len, mlp_name(p->mlp), fmt_int(b, sizeof(b), tm_params_total(p)));
}

void tm__est_list_gpus(void)
{
	printf("%-20s %8s %8s %8s %8s %8s %8s %6s %6s\n", "gpu", "fp32", "tf32", "bf16", "fp16", "fp8",
	       "fp4", "W", "GiB");
	const struct tm_gpu *g;
	for (size_t i = 0; (g = tm_gpu_at(i)) != NULL; i++)
		printf("%-20s %8g %8g %8g %8g %8g %8g %6g %6g\n", g->name, g->peak_tflops[TM_DTYPE_FP32],
		       g->peak_tflops[TM_DTYPE_TF32], g->peak_tflops[TM_DTYPE_BF16],
		       g->peak_tflops[TM_DTYPE_FP16], g->peak_tflops[TM_DTYPE_FP8],
		       g->peak_tflops[TM_DTYPE_FP4], g->watts, g->mem_gib);
	printf("TFLOP/s dense per device; 0 = not published. W = TDP; GiB = memory (0 = not a whole number of GiB).\n");
}
