/* cmd_estimate.c: `trainmon estimate`: the planning calculator (docs/estimate.md), exact.
 *
 * This file is the command: flags and the --config `estimate:`/`job:` sections into one struct
 * tm__est_in (estimate.h), then estimate_compute.c computes and estimate_text.c or estimate_json.c
 * renders. Key decision: flags win over the config, so the config is applied first and the flags
 * are replayed after it; `estimate:` keys are exactly the long option names (with '_' for '-').
 * It must not compute or format numbers (the estimate_*.c files do), and never exits (main.c
 * does).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/cmd.h"
#include "trainmon/diag.h"
#include "trainmon/opt.h"
#include "trainmon/model.h"
#include "trainmon/summary.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "estimate.h"
#include "banned.h"

enum {
	O_PARAMS = 2000, O_PARAMS_FORM, O_TOKENS, O_STEPS, O_MFU, O_ACHIEVED, O_STEP_TIME, O_PRICE,
	O_WATTS, O_PUE, O_TP, O_PP, O_DP, O_ZERO, O_FSDP, O_SP, O_MICRO_BATCH, O_MEM_GIB, O_MEM_GB,
	O_MEM_BYTES, O_WEIGHT_BYTES, O_GRAD_BYTES, O_OPTIM_BYTES, O_ACT_BYTES, O_STATE_BYTES,
	O_SINGLE_DTYPE, O_COMPUTE_FACTOR, O_TIED, O_UNTIED, O_NORM, O_BIASES, O_NO_BIASES, O_MAX_POS,
	O_EXPERTS, O_TOPK, O_FORMAT
};

static void in_init(struct tm__est_in *in)
{
	memset(in, 0, sizeof(*in));
	tm_job_init(&in->job);
	in->params = in->tokens = in->steps = in->mfu = in->achieved_tflops = in->step_time = NAN;
	in->price = in->watts = in->pue = in->tp = in->pp = in->dp = in->micro_batch = NAN;
	in->mem_bytes = in->weight_bytes = in->grad_bytes = in->optim_bytes = in->act_bytes = NAN;
	in->state_bytes = in->compute_factor = in->max_pos = in->experts = in->topk = NAN;
	in->params_form = TM_PF_DEFAULT;
	in->tied = in->norm = in->biases = -1;
}

/* ---- options --------------------------------------------------------------------------------- */

static int num(const char *name, const char *arg, double *out, double lo, double hi, char *err, size_t n)
{
	double v;
	if (tm_parse_quantity(arg, &v) || !(v >= lo) || !(v <= hi)) {
		snprintf(err, n, "--%s: '%s' is not a number from %g to %g", name, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* Applies one of our own options (flag or `estimate:` key). Returns 0 or -1 with err set. */
static int own_option(struct tm__est_in *in, int id, const char *arg, char *err, size_t n)
{
	switch (id) {
	case O_PARAMS: return num("params", arg, &in->params, 1, 1e16, err, n);
	case O_PARAMS_FORM:
		if (strcmp(arg, "general") == 0) in->params_form = TM_PF_GENERAL;
		else if (strcmp(arg, "megatron") == 0) in->params_form = TM_PF_MEGATRON;
		else if (strcmp(arg, "weights-only") == 0 || strcmp(arg, "seed004") == 0)
			in->params_form = TM_PF_WEIGHTS_ONLY;
		else {
			snprintf(err, n, "--params-form: '%s' is not general, megatron or weights-only", arg);
			return -1;
		}
		return 0;
	case O_TOKENS:
		if (strcmp(arg, "chinchilla") == 0) {
			in->tokens_chinchilla = 1;
			in->tokens = NAN;
			return 0;
		}
		in->tokens_chinchilla = 0;
		return num("tokens", arg, &in->tokens, 1, 1e20, err, n);
	case O_STEPS: return num("steps", arg, &in->steps, 1, 1e15, err, n);
	case O_MFU:
		if (num("mfu", arg, &in->mfu, 0, 1, err, n) || in->mfu == 0) {
			snprintf(err, n, "--mfu: '%s' is not a fraction of peak in (0, 1], e.g. 0.4", arg);
			return -1;
		}
		return 0;
	case O_ACHIEVED: return num("achieved-tflops", arg, &in->achieved_tflops, 1e-6, 1e7, err, n);
	case O_STEP_TIME: return num("step-time", arg, &in->step_time, 1e-9, 1e9, err, n);
	case O_PRICE: return num("price-per-gpu-hour", arg, &in->price, 0, 1e9, err, n);
	case O_WATTS: return num("watts", arg, &in->watts, 1e-3, 1e7, err, n);
	case O_PUE: return num("pue", arg, &in->pue, 1, 10, err, n);
	case O_TP: return num("tp", arg, &in->tp, 1, 1e6, err, n);
	case O_PP: return num("pp", arg, &in->pp, 1, 1e6, err, n);
	case O_DP: return num("dp", arg, &in->dp, 1, 1e9, err, n);
	case O_ZERO:
		if (strlen(arg) != 1 || arg[0] < '0' || arg[0] > '3') {
			snprintf(err, n, "--zero: '%s' is not 0, 1, 2 or 3", arg);
			return -1;
		}
		in->zero = arg[0] - '0';
		return 0;
	case O_FSDP: in->zero = 3; return 0;
	case O_SP: in->sp = 1; return 0;
	case O_MICRO_BATCH: return num("micro-batch", arg, &in->micro_batch, 1, 1e9, err, n);
	case O_MEM_GIB:
		if (num("mem-gib", arg, &in->mem_bytes, 1e-6, 1e9, err, n))
			return -1;
		in->mem_bytes *= TM_GIB;
		in->mem_src = "--mem-gib";
		return 0;
	case O_MEM_GB:
		if (num("mem-gb", arg, &in->mem_bytes, 1e-6, 1e9, err, n))
			return -1;
		in->mem_bytes *= 1e9;
		in->mem_src = "--mem-gb";
		return 0;
	case O_MEM_BYTES:
		in->mem_src = "--mem-bytes";
		return num("mem-bytes", arg, &in->mem_bytes, 1, 1e18, err, n);
	case O_WEIGHT_BYTES: return num("weight-bytes", arg, &in->weight_bytes, 0.125, 64, err, n);
	case O_GRAD_BYTES: return num("grad-bytes", arg, &in->grad_bytes, 0.125, 64, err, n);
	case O_OPTIM_BYTES: return num("optim-bytes", arg, &in->optim_bytes, 0.125, 64, err, n);
	case O_ACT_BYTES: return num("act-bytes", arg, &in->act_bytes, 0.125, 64, err, n);
	case O_STATE_BYTES: return num("state-bytes", arg, &in->state_bytes, 0.125, 64, err, n);
	case O_SINGLE_DTYPE: in->single_dtype = 1; return 0;
	case O_COMPUTE_FACTOR: return num("compute-factor", arg, &in->compute_factor, 1e-6, 1e6, err, n);
	case O_TIED: in->tied = 1; in->arch_flags = 1; return 0;
	case O_UNTIED: in->tied = 0; in->arch_flags = 1; return 0;
	case O_NORM:
		if (strcmp(arg, "layernorm") == 0) in->norm = TM_NORM_LAYERNORM;
		else if (strcmp(arg, "rmsnorm") == 0) in->norm = TM_NORM_RMSNORM;
		else {
			snprintf(err, n, "--norm: '%s' is not layernorm or rmsnorm", arg);
			return -1;
		}
		in->arch_flags = 1;
		return 0;
	case O_BIASES: in->biases = 1; in->arch_flags = 1; return 0;
	case O_NO_BIASES: in->biases = 0; in->arch_flags = 1; return 0;
	case O_MAX_POS: in->arch_flags = 1; return num("max-pos", arg, &in->max_pos, 0, 1e9, err, n);
	case O_EXPERTS: in->arch_flags = 1; return num("experts", arg, &in->experts, 1, 1e6, err, n);
	case O_TOPK: in->arch_flags = 1; return num("topk", arg, &in->topk, 1, 1e6, err, n);
	case O_FORMAT:
		if (strcmp(arg, "text") && strcmp(arg, "json")) {
			snprintf(err, n, "--format: '%s' is not text or json", arg);
			return -1;
		}
		in->json = strcmp(arg, "json") == 0;
		return 0;
	}
	snprintf(err, n, "option %d cannot be set here", id);
	return -1;
}

static int est_set(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src, char *err, size_t n)
{
	(void)src;
	if (o->arg == NULL && arg && strcmp(arg, "false") == 0)
		return 0;             /* `fsdp: false` in the config: nothing to do */
	return own_option(base, o->id, arg, err, n);
}

#define E(id_, name_, arg_, help_) { .kind = TM_OPT_CUSTOM, .name = name_, .arg = arg_, .help = help_, .set = est_set, .id = id_ }
#define I(field) offsetof(struct tm__est_in, field)
static const struct tm_opt est_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Model and compute:" },
	E(O_PARAMS, "params", "N", "parameter count when the architecture is unknown (6N per token)"),
	E(O_PARAMS_FORM, "params-form", "F", "general (exact, default), megatron (closed form), weights-only\n"
					      "(untied head, no biases or norms)"),
	E(O_TIED, "tied", NULL, "input and output embeddings share one matrix"),
	E(O_UNTIED, "untied", NULL, "they do not"),
	E(O_NORM, "norm", "KIND", "layernorm or rmsnorm"),
	E(O_BIASES, "biases", NULL, "linear layers have biases"),
	E(O_NO_BIASES, "no-biases", NULL, "they do not"),
	E(O_MAX_POS, "max-pos", "N", "learned position embeddings (0: rotary)"),
	E(O_EXPERTS, "experts", "E", "mixture-of-experts: experts per MoE layer"),
	E(O_TOPK, "topk", "K", "experts each token is routed to\n"
			       "(custom models: GELU means GPT style by default, gated MLPs LLaMA style)"),
	E(O_TOKENS, "tokens", "N|chinchilla", "training tokens (1T, 15e12), or 20 tokens per parameter"),
	E(O_STEPS, "steps", "N", "optimizer steps (tokens = steps * global batch * seq-len)"),
	E(O_COMPUTE_FACTOR, "compute-factor", "K", "train FLOPs = K*N*D instead of F_token*D (Kaplan's 6ND has K = 6)"),
	{ .kind = TM_OPT_HEADING, .help = "Rate and time:" },
	{ .kind = TM_OPT_CUSTOM, .name = "mfu", .arg = "X", .set = est_set, .id = O_MFU, .aliases = "efficiency",
	  .help = "achieved fraction of peak, 0 < X <= 1" },
	E(O_ACHIEVED, "achieved-tflops", "X", "achieved TFLOP/s per GPU, instead of --mfu (X of Narayanan et al.)"),
	E(O_STEP_TIME, "step-time", "S", "measured seconds per step (with --global-batch and --gpus)"),
	E(O_PRICE, "price-per-gpu-hour", "X", "dollars per GPU-hour"),
	E(O_WATTS, "watts", "W", "power per GPU (default: the GPU's TDP)"),
	E(O_PUE, "pue", "X", "facility power usage effectiveness (default none)"),
	{ .kind = TM_OPT_HEADING, .help = "Memory:" },
	E(O_ZERO, "zero", "0|1|2|3", "optimizer/gradient/parameter sharding over the data-parallel size"),
	E(O_FSDP, "fsdp", NULL, "the same as --zero 3"),
	{ .kind = TM_OPT_CUSTOM, .name = "tp", .arg = "N", .set = est_set, .id = O_TP,
	  .aliases = "tensor-model-parallel-size", .help = "tensor-parallel size" },
	{ .kind = TM_OPT_CUSTOM, .name = "pp", .arg = "N", .set = est_set, .id = O_PP,
	  .aliases = "pipeline-model-parallel-size", .help = "pipeline-parallel size" },
	E(O_DP, "dp", "N", "data-parallel size (default gpus/(tp*pp))"),
	E(O_SP, "sequence-parallel", NULL, "activations sharded over tp outside attention and MLP"),
	{ .kind = TM_OPT_CUSTOM, .name = "micro-batch", .arg = "N", .set = est_set, .id = O_MICRO_BATCH,
	  .aliases = "micro-batch-size", .help = "sequences per GPU (default 1)" },
	E(O_MEM_GIB, "mem-gib", "X", "GPU memory in GiB (default: the --gpu table)"),
	E(O_MEM_GB, "mem-gb", "X", "GPU memory in GB"),
	E(O_MEM_BYTES, "mem-bytes", "X", "GPU memory in bytes"),
	E(O_WEIGHT_BYTES, "weight-bytes", "B", "bytes per weight (default 2: bf16)"),
	E(O_GRAD_BYTES, "grad-bytes", "B", "bytes per gradient (default 2)"),
	E(O_OPTIM_BYTES, "optim-bytes", "B", "optimizer bytes per parameter (default 12: fp32 master + AdamW m, v)"),
	E(O_ACT_BYTES, "act-bytes", "B", "bytes per activation element (default 2)"),
	E(O_STATE_BYTES, "state-bytes", "W", "every state in W bytes (weights, grads, m, v; activations)"),
	E(O_SINGLE_DTYPE, "single-dtype-accounting", NULL, "single-dtype memory model: weights-only count, every state and\n"
						      "activation in W = 2 bytes, one tensor per stored activation"),
	{ .kind = TM_OPT_CUSTOM, .name = "seed004-accounting", .set = est_set, .id = O_SINGLE_DTYPE,
	  .flags = TM_OPTF_HIDDEN },     /* the name it had before */
	{ .kind = TM_OPT_HEADING, .help = "Other:" },
	{ .kind = TM_OPT_CONFIG, .name = "config", .arg = "FILE", .off = I(config), .flags = TM_OPTF_NO_CONFIG,
	  .help = "YAML with `job:` keys and an `estimate:` section (these option names)" },
	E(O_FORMAT, "format", "text|json", "output (json: null for unknown values, \"needs\" says why)"),
	{ .kind = TM_OPT_BOOL, .name = "list", .off = I(list), .flags = TM_OPTF_NO_CONFIG, .help = "the model presets" },
	{ .kind = TM_OPT_BOOL, .name = "list-gpus", .off = I(list_gpus), .flags = TM_OPTF_NO_CONFIG,
	  .help = "accelerators with peaks, power and memory" },
	{ .kind = TM_OPT_HELP, .name = "help", .shortc = 'h', .help = "this text" },
};
#undef E
#undef I

static void spec_init(struct tm_cmd_spec *spec, struct tm_opt_group *groups)
{
	groups[0] = (struct tm_opt_group){ est_rows, sizeof(est_rows) / sizeof(est_rows[0]), "estimate" };
	groups[1] = (struct tm_opt_group){ NULL, 0, "job" };
	groups[1].opts = tm_job_opts(&groups[1].nopts);
	*spec = (struct tm_cmd_spec){
		.name = "estimate",
		.usage = "usage: trainmon estimate [OPTIONS]\n"
			 "Plan a run: parameters, FLOPs, training time, GPU-hours, cost, energy, memory per GPU.\n"
			 "Every number is printed with its formula and where it comes from (docs/formulas.md);\n"
			 "unknowns say which flag would supply them.\n",
		.groups = groups,
		.ngroups = 2,
		.epilog = "Exit status: 0 ok, 1 invalid config file, 2 usage error, 3 the config cannot be read.\n",
	};
}

/* Whether the job names any part of the architecture (then a custom model is estimated). */
static int job_has_arch(const struct tm_job *j)
{
	static const int ps[] = { TM_P_LAYERS, TM_P_HIDDEN, TM_P_HEADS, TM_P_KV_HEADS, TM_P_HEAD_DIM,
				  TM_P_FFN, TM_P_VOCAB };     /* seq-len alone is no architecture */
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		if (j->src[ps[i]] != TM_SRC_NONE)
			return 1;
	return j->mlp_src != TM_SRC_NONE;
}

int cmd_estimate(int argc, char **argv)
{
	struct tm_opt_group groups[2];
	struct tm_cmd_spec spec;
	spec_init(&spec, groups);
	struct tm_cli cli;
	struct tm__est_in *in = tm_xcalloc(1, sizeof(*in));
	struct tm__est *e = tm_xcalloc(1, sizeof(*e));
	int rc = TM_EXIT_OK;
	char err[320];
	in_init(in);
	int prc = tm_cmd_parse(&cli, &spec, argc, argv);
	if (prc >= 0) {
		rc = prc;
		goto out;
	}
	if (cli.nargs > 0) {
		fprintf(stderr, "trainmon estimate: unexpected argument '%s' (estimate takes options only)\n",
			cli.args[0]);
		rc = TM_EXIT_USAGE;
		goto out;
	}
	struct tm_diag d;
	tm_diag_init(&d);
	void *const dst[2] = { in, &in->job };
	int arc = tm_cli_apply(&cli, dst, NULL, &d, err, sizeof(err));
	tm_diag_print(&d, stderr);
	tm_diag_release(&d);
	if (arc == -EINVAL) {
		fprintf(stderr, "trainmon estimate: %s\n", err);
		rc = TM_EXIT_USAGE;
		goto out;
	}
	if (arc) {
		rc = arc < 0 ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
		goto out;
	}
	if (in->list || in->list_gpus) {
		if (in->list)
			tm__est_list_presets();
		if (in->list_gpus)
			tm__est_list_gpus();
		goto out;
	}
	in->arch_flags |= job_has_arch(&in->job);
	in->formula_given = in->job.formula_src != TM_SRC_NONE;
	if (isnan(in->params) && !in->job.preset && !in->arch_flags) {
		fprintf(stderr, "trainmon estimate: nothing to estimate: give --model PRESET, the "
			"architecture (--layers --hidden --heads --vocab --seq-len ...) or --params N\n");
		rc = TM_EXIT_USAGE;
		goto out;
	}
	tm__est_compute(in, e);
	if (in->json)
		tm__est_print_json(in, e);
	else
		tm__est_print_text(in, e);
out:
	tm_cli_release(&cli);
	free(e);
	free(in);
	return rc;
}
