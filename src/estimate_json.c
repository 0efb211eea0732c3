/* estimate_json.c: the --format json report of `trainmon estimate`.
 *
 * One object with the numbers of the text report under fixed keys (docs/estimate.md pins the ones
 * consumers rely on). Key decision: an unknown value is null, never a guess, and the "needs" object
 * names the flag that would supply it, as the text report's "needs" column does.
 * It must not compute anything beyond unit conversions (numbers come from estimate_compute.c), and
 * writes only through tm_json (json.h).
 */
#include <math.h>
#include <stdio.h>

#include "trainmon/json.h"
#include "trainmon/model.h"
#include "trainmon/plan.h"
#include "trainmon/summary.h"
#include "estimate.h"
#include "banned.h"

static void json_needs(struct tm_json *js, const char *key, struct tm__est_val v)
{
	if (isnan(v.v) && v.needs)
		tm_json_str(js, key, v.needs);
}

void tm__est_print_json(const struct tm__est_in *in, const struct tm__est *e)
{
	struct tm_json js;
	tm_json_init(&js, stdout, 1);
	tm_json_obj(&js, NULL);
	tm_json_str(&js, "model", e->have_arch ? (e->arch.name ? e->arch.name : "custom") : NULL);
	tm_json_num(&js, "params", e->params.v);
	tm_json_str(&js, "params_form", e->params_label);
	tm_json_obj(&js, "params_detail");
	tm_json_num(&js, "total", e->p_total);
	tm_json_num(&js, "active", e->p_active);
	tm_json_num(&js, "megatron_closed_form", e->p_megatron);
	tm_json_num(&js, "weights_only_untied", e->p_weights_only);
	tm_json_obj(&js, "components");
	tm_json_num(&js, "token_embedding", e->parts.embedding);
	tm_json_num(&js, "position_embedding", e->parts.position);
	tm_json_num(&js, "attention_per_layer", e->parts.attention);
	tm_json_num(&js, "mlp_per_layer", e->parts.mlp);
	tm_json_num(&js, "router_per_layer", e->parts.router);
	tm_json_num(&js, "norms_per_layer", e->parts.norms);
	tm_json_num(&js, "layers", e->parts.layers);
	tm_json_num(&js, "final_norm", e->parts.final_norm);
	tm_json_num(&js, "lm_head", e->parts.lm_head);
	tm_json_end(&js, '}');
	tm_json_end(&js, '}');
	tm_json_str(&js, "flops_convention", e->convention[0] ? e->convention : NULL);
	tm_json_num(&js, "flops_per_token", e->f_token.v);
	tm_json_num(&js, "forward_flops_per_token", e->f_token_model / 3);
	tm_json_num(&js, "backward_flops_per_token", 2 * e->f_token_model / 3);
	tm_json_num(&js, "recompute_flops_per_token", e->f_token.v - e->f_token_model);
	tm_json_num(&js, "flops_per_seq", e->f_seq.v);
	tm_json_num(&js, "flops_per_step", in->job.params[TM_P_GLOBAL_BATCH] * e->f_seq.v);
	tm_json_obj(&js, "flops_per_token_by_convention");
	for (int f = 0; f < 5; f++)
		tm_json_num(&js, tm_flops_formula_name((enum tm_flops_formula)f), e->conv_token[f]);
	tm_json_end(&js, '}');
	if (e->have_det) {
		tm_json_obj(&js, "flops_detail_forward_per_seq");
		tm_json_num(&js, "norm", e->det.norm);
		tm_json_num(&js, "qkv", e->det.qkv);
		tm_json_num(&js, "scores", e->det.scores);
		tm_json_num(&js, "softmax", e->det.softmax);
		tm_json_num(&js, "pv", e->det.pv);
		tm_json_num(&js, "out_proj", e->det.out_proj);
		tm_json_num(&js, "attention", e->det.attention);
		tm_json_num(&js, "ffn", e->det.ffn);
		tm_json_num(&js, "block", e->det.block);
		tm_json_num(&js, "blocks", e->det.blocks);
		tm_json_num(&js, "lm_head", e->det.lm_head);
		tm_json_num(&js, "forward", e->det.forward);
		tm_json_num(&js, "backward", e->det.backward);
		tm_json_num(&js, "adamw", e->det.adamw);
		tm_json_num(&js, "total", e->det.total);
		tm_json_end(&js, '}');
	}
	tm_json_num(&js, "tokens", e->tokens.v);
	tm_json_num(&js, "steps", e->steps.v);
	tm_json_num(&js, "chinchilla_tokens", e->chinchilla);
	tm_json_num(&js, "train_flops", e->train_flops.v);
	if (tm__known(in->compute_factor)) {
		tm_json_num(&js, "compute_factor", in->compute_factor);
		tm_json_num(&js, "train_flops_corrected_6nd", e->train_flops_k6.v);
		tm_json_num(&js, "gpu_hours_corrected_6nd", e->gpu_hours_k6.v);
		tm_json_num(&js, "cost_corrected_6nd", e->cost_k6.v);
	}
	tm_json_num(&js, "peak_flops_per_gpu", e->peak.v);
	tm_json_num(&js, "achieved_flops_per_gpu", e->rate.v);
	tm_json_num(&js, "mfu", e->mfu.v);
	tm_json_num(&js, "gpus", in->job.params[TM_P_GPUS]);
	tm_json_num(&js, "train_seconds", e->seconds.v);
	tm_json_num(&js, "train_days", e->days.v);
	if (tm__known(in->achieved_tflops) || tm__known(in->step_time))
		tm_json_num(&js, "train_days_megatron_formula", tm_plan_days(e->eq4_seconds.v));
	tm_json_num(&js, "gpu_hours", e->gpu_hours.v);
	tm_json_num(&js, "cost", e->cost.v);
	tm_json_num(&js, "watts", e->watts.v);
	tm_json_num(&js, "energy_kwh", e->energy.v);
	tm_json_obj(&js, "memory_per_gpu_bytes");
	tm_json_num(&js, "params", e->mem.params);
	tm_json_num(&js, "grads", e->mem.grads);
	tm_json_num(&js, "optimizer", e->mem.optimizer);
	tm_json_num(&js, "activations", e->mem.activations);
	tm_json_num(&js, "total", e->mem.total);
	tm_json_end(&js, '}');
	tm_json_num(&js, "activations_per_seq_bytes", e->mem.act_per_seq);
	tm_json_num(&js, "gpu_memory_bytes", e->gpu_mem.v);
	tm_json_num(&js, "max_micro_batch", e->max_mb.v);
	tm_json_num(&js, "min_gpus", isinf(e->min_gpus.v) ? NAN : e->min_gpus.v);
	tm_json_obj(&js, "needs");
	json_needs(&js, "params", e->params);
	json_needs(&js, "flops_per_token", e->f_token);
	json_needs(&js, "tokens", e->tokens);
	json_needs(&js, "train_flops", e->train_flops);
	json_needs(&js, "train_seconds", e->seconds);
	json_needs(&js, "gpu_hours", e->gpu_hours);
	json_needs(&js, "cost", e->cost);
	json_needs(&js, "energy_kwh", e->energy);
	json_needs(&js, "memory_total", e->mem_total);
	json_needs(&js, "max_micro_batch", e->max_mb);
	json_needs(&js, "min_gpus", e->min_gpus);
	tm_json_end(&js, '}');
	tm_json_end(&js, '}');
	fputc('\n', stdout);
}
