/* cmd_estimate.c: `trainmon estimate`: the planning calculator of the seed documents, exact.
 *
 * Parameters and FLOPs come from model.h, time/cost/energy/memory from plan.h; this file only
 * gathers inputs (flags > --config `estimate:`/`job:` > preset > stated default), calls those
 * formulas once, and renders every number with the formula or source it came from. Key decision:
 * a value whose inputs are missing stays NAN (null in JSON) and carries the flag that would supply
 * it, never a guessed number; where a seed document has a slip, options reproduce its arithmetic
 * (--compute-factor 1, --seed004-accounting, --weight-bytes ...) and the output labels it.
 * It must not hold formulas of its own beyond unit conversions, and never exits (main.c does).
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/cmd.h"
#include "trainmon/diag.h"
#include "trainmon/gpu.h"
#include "trainmon/jobopts.h"
#include "trainmon/json.h"
#include "trainmon/model.h"
#include "trainmon/plan.h"
#include "trainmon/summary.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "banned.h"

#define GIB 1073741824.0

enum {
	O_PARAMS = 2000, O_PARAMS_FORM, O_TOKENS, O_STEPS, O_MFU, O_ACHIEVED, O_STEP_TIME, O_PRICE,
	O_WATTS, O_PUE, O_TP, O_PP, O_DP, O_ZERO, O_FSDP, O_SP, O_MICRO_BATCH, O_MEM_GIB, O_MEM_GB,
	O_MEM_BYTES, O_WEIGHT_BYTES, O_GRAD_BYTES, O_OPTIM_BYTES, O_ACT_BYTES, O_STATE_BYTES,
	O_SEED004, O_COMPUTE_FACTOR, O_TIED, O_UNTIED, O_NORM, O_BIASES, O_NO_BIASES, O_MAX_POS,
	O_EXPERTS, O_TOPK, O_CONFIG, O_FORMAT, O_LIST, O_LIST_GPUS, O_HELP
};

static const struct option own_opts[] = {
	{ "params", required_argument, NULL, O_PARAMS },
	{ "params-form", required_argument, NULL, O_PARAMS_FORM },
	{ "tokens", required_argument, NULL, O_TOKENS },
	{ "steps", required_argument, NULL, O_STEPS },
	{ "mfu", required_argument, NULL, O_MFU },
	{ "efficiency", required_argument, NULL, O_MFU },
	{ "achieved-tflops", required_argument, NULL, O_ACHIEVED },
	{ "step-time", required_argument, NULL, O_STEP_TIME },
	{ "price-per-gpu-hour", required_argument, NULL, O_PRICE },
	{ "watts", required_argument, NULL, O_WATTS },
	{ "pue", required_argument, NULL, O_PUE },
	{ "tp", required_argument, NULL, O_TP },
	{ "pp", required_argument, NULL, O_PP },
	{ "dp", required_argument, NULL, O_DP },
	{ "zero", required_argument, NULL, O_ZERO },
	{ "fsdp", no_argument, NULL, O_FSDP },
	{ "sequence-parallel", no_argument, NULL, O_SP },
	{ "micro-batch", required_argument, NULL, O_MICRO_BATCH },
	{ "mem-gib", required_argument, NULL, O_MEM_GIB },
	{ "mem-gb", required_argument, NULL, O_MEM_GB },
	{ "mem-bytes", required_argument, NULL, O_MEM_BYTES },
	{ "weight-bytes", required_argument, NULL, O_WEIGHT_BYTES },
	{ "grad-bytes", required_argument, NULL, O_GRAD_BYTES },
	{ "optim-bytes", required_argument, NULL, O_OPTIM_BYTES },
	{ "act-bytes", required_argument, NULL, O_ACT_BYTES },
	{ "state-bytes", required_argument, NULL, O_STATE_BYTES },
	{ "seed004-accounting", no_argument, NULL, O_SEED004 },
	{ "compute-factor", required_argument, NULL, O_COMPUTE_FACTOR },
	{ "tied", no_argument, NULL, O_TIED },
	{ "untied", no_argument, NULL, O_UNTIED },
	{ "norm", required_argument, NULL, O_NORM },
	{ "biases", no_argument, NULL, O_BIASES },
	{ "no-biases", no_argument, NULL, O_NO_BIASES },
	{ "max-pos", required_argument, NULL, O_MAX_POS },
	{ "experts", required_argument, NULL, O_EXPERTS },
	{ "topk", required_argument, NULL, O_TOPK },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "list", no_argument, NULL, O_LIST },
	{ "list-gpus", no_argument, NULL, O_LIST_GPUS },
	{ "help", no_argument, NULL, O_HELP },
};
#define NOWN (sizeof(own_opts) / sizeof(own_opts[0]))

enum { PF_DEFAULT = -1, PF_GENERAL = 0, PF_MEGATRON, PF_SEED004 };

/* Everything the user said, after flags and config. NAN / -1 = not given. */
struct est_in {
	struct tm_job job;
	double params;
	int params_form;
	double tokens;
	int tokens_chinchilla;
	double steps, mfu, achieved_tflops, step_time, price, watts, pue;
	double tp, pp, dp, micro_batch;
	int zero, sp, seed004, formula_given;
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

static void in_init(struct est_in *in)
{
	memset(in, 0, sizeof(*in));
	tm_job_init(&in->job);
	in->params = in->tokens = in->steps = in->mfu = in->achieved_tflops = in->step_time = NAN;
	in->price = in->watts = in->pue = in->tp = in->pp = in->dp = in->micro_batch = NAN;
	in->mem_bytes = in->weight_bytes = in->grad_bytes = in->optim_bytes = in->act_bytes = NAN;
	in->state_bytes = in->compute_factor = in->max_pos = in->experts = in->topk = NAN;
	in->params_form = PF_DEFAULT;
	in->tied = in->norm = in->biases = -1;
}

static int known(double x)
{
	return isfinite(x) && x > 0;
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
static int own_option(struct est_in *in, int id, const char *arg, char *err, size_t n)
{
	switch (id) {
	case O_PARAMS: return num("params", arg, &in->params, 1, 1e16, err, n);
	case O_PARAMS_FORM:
		if (strcmp(arg, "general") == 0) in->params_form = PF_GENERAL;
		else if (strcmp(arg, "megatron") == 0) in->params_form = PF_MEGATRON;
		else if (strcmp(arg, "seed004") == 0) in->params_form = PF_SEED004;
		else {
			snprintf(err, n, "--params-form: '%s' is not general, megatron or seed004", arg);
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
		in->mem_bytes *= GIB;
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
	case O_SEED004: in->seed004 = 1; return 0;
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

static const char *opt_name(const struct option *lo, int id)
{
	for (size_t i = 0; lo[i].name; i++)
		if (lo[i].val == id)
			return lo[i].name;
	return "?";
}

/* Any id: job flags go to tm_job_option, ours to own_option. */
static int apply(struct est_in *in, const struct option *lo, int id, const char *arg,
		 enum tm_src_kind src, char *err, size_t n)
{
	if (id >= O_PARAMS)
		return own_option(in, id, arg, err, n);
	const char *name = opt_name(lo, id);
	if (strcmp(name, "flops-formula") == 0)
		in->formula_given = 1;
	static const char *const arch[] = { "layers", "hidden", "heads", "kv-heads", "head-dim",
					    "ffn", "vocab", "mlp" };
	for (size_t i = 0; i < sizeof(arch) / sizeof(arch[0]); i++)
		if (strcmp(name, arch[i]) == 0)
			in->arch_flags = 1;
	return tm_job_option(&in->job, id, arg, src, err, n);
}

/* The `estimate:` mapping of a config file: keys are our long option names with '_' for '-';
 * flags (applied later) win. Returns the number of errors added to d. */
static int load_estimate_section(struct est_in *in, const struct option *lo, const char *path,
				 struct tm_diag *d)
{
	char *buf;
	size_t len;
	struct tm_src src = { path, NULL, 0 };
	if (tm_read_small_file(path, 4u << 20, &buf, &len) < 0)
		return 0;   /* tm_job_config_load already reported it */
	src.buf = buf;
	src.len = len;
	int empty, errors = 0;
	struct tm_diag quiet;
	tm_diag_init(&quiet);       /* parse errors were reported by tm_job_config_load */
	struct tm_ynode *root = tm_yaml_parse(&src, &quiet, &empty);
	tm_diag_release(&quiet);
	const struct tm_ynode *est = root && root->type == TM_Y_MAP ? tm_ymap_get(root, "estimate") : NULL;
	if (est && est->type != TM_Y_MAP) {
		tm_diag_error(d, &src, est->line, est->col, "'estimate' must be a mapping, not %s",
			      tm_ytype_name(est->type));
		errors++;
		est = NULL;
	}
	for (size_t i = 0; est && i + 1 < est->n; i += 2) {
		const struct tm_ynode *k = est->kids[i], *v = est->kids[i + 1];
		char key[64], err[256];
		snprintf(key, sizeof(key), "%s", k->type == TM_Y_SCALAR ? k->str : "");
		for (char *p = key; *p; p++)
			if (*p == '_')
				*p = '-';
		int id = -1, has_arg = 0;
		for (size_t o = 0; o < NOWN; o++)
			if (strcmp(own_opts[o].name, key) == 0)
				id = own_opts[o].val, has_arg = own_opts[o].has_arg;
		if (id < 0 || id == O_CONFIG || id == O_LIST || id == O_LIST_GPUS || id == O_HELP) {
			tm_diag_error(d, &src, k->line, k->col, "estimate: unknown key '%s'",
				      k->type == TM_Y_SCALAR ? k->str : "?");
			errors++;
			continue;
		}
		if (v->type != TM_Y_SCALAR) {
			tm_diag_error(d, &src, v->line, v->col, "estimate: '%s' must be a scalar", k->str);
			errors++;
			continue;
		}
		const char *arg = v->str;
		if (has_arg == no_argument) {
			if (strcmp(arg, "true") && strcmp(arg, "false")) {
				tm_diag_error(d, &src, v->line, v->col, "estimate: '%s' must be true or false", k->str);
				errors++;
				continue;
			}
			if (strcmp(arg, "false") == 0)
				continue;
		}
		if (apply(in, lo, id, arg, TM_SRC_CONFIG, err, sizeof(err))) {
			tm_diag_error(d, &src, v->line, v->col, "estimate: %s", err + 2);
			errors++;
		}
	}
	tm_ynode_free(root);
	free(buf);
	return errors;
}

/* ---- the computation --------------------------------------------------------------------------- */

struct val {
	double v;
	const char *needs;    /* static: the flag(s) that would supply an unknown v */
};

static struct val mkval(double v, const char *needs)
{
	struct val r = { v, isnan(v) ? needs : NULL };
	return r;
}

struct est {
	/* model */
	struct tm_arch arch;
	int have_arch;
	char assumed[200];          /* defaults we filled in for a custom architecture */
	double p_total, p_active, p_megatron, p_seed004;
	struct tm_params_parts parts, parts4;
	struct val params;          /* the count used below */
	double params_mem;          /* the count memory is kept for: all experts for MoE */
	const char *params_label;
	/* FLOPs */
	struct tm_flops_opts fo;
	double conv_token[5];       /* per token, each convention, same kappa/recompute */
	struct val f_seq, f_token, f_seq_model;
	double f_token_model;       /* model FLOPs per token (no recompute), for the fwd/bwd split */
	char convention[360];
	struct tm_flops_detail det;
	int have_det;
	double adamw_per_step;      /* detailed convention only, else 0 */
	/* training */
	struct val tokens, steps, train_flops, train_flops_k6, gpu_hours_k6, cost_k6;
	const char *tokens_src;
	double chinchilla;
	struct val peak, rate, mfu;
	const char *peak_src, *rate_src;
	double rate_model;          /* model-FLOPs rate when --step-time and recompute */
	struct val seconds, days, gpu_hours, cost, energy, eq4_seconds, tokens_per_s;
	double eq4_factor;
	struct val watts;
	const char *watts_src;
	/* memory */
	struct tm_mem_opts mo;
	struct tm_mem mem;
	struct val mem_total, mem_act;
	struct tm_act_seed004 act4;
	struct val gpu_mem;
	const char *gpu_mem_src;
	struct val max_mb, min_gpus;
	double states_unsharded, weights_only;
	struct val seed003_mem, seed003_comm, step_flops_gpu, ideal_step, ideal_bw;
	double n_devices;
	const char *mem_needs;
};

static const char *flag_for_missing(const char *m)
{
	if (!m) return "--model";
	if (strcmp(m, "layers") == 0) return "--layers or --model";
	if (strcmp(m, "hidden") == 0) return "--hidden or --model";
	if (strcmp(m, "heads") == 0) return "--heads or --model";
	if (strcmp(m, "ffn") == 0) return "--ffn or --model";
	if (strcmp(m, "vocab") == 0) return "--vocab or --model";
	if (strcmp(m, "seq-len") == 0) return "--seq-len or --model";
	if (strcmp(m, "mlp") == 0) return "--mlp";
	if (strcmp(m, "topk") == 0) return "--topk";
	if (strcmp(m, "tied") == 0) return "--tied or --untied";
	return "--model";
}

/* Appends to buf[0..n) at *pos (truncating; buf stays NUL-terminated). */
__attribute__((format(printf, 4, 5)))
static void assume(char *buf, size_t n, size_t *pos, const char *fmt, ...)
{
	if (*pos >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *pos, n - *pos, fmt, ap);
	va_end(ap);
	if (w > 0)
		*pos += (size_t)w;
}

/* The architecture: preset, then flags. A custom architecture (no preset) gets stated defaults:
 * F = 4h; GELU -> GPT style (LayerNorm, biases, tied, learned positions of s); gated -> LLaMA style
 * (RMSNorm, no biases, untied); relu2 -> Nemotron-4 style (LayerNorm, untied). */
static void build_arch(const struct est_in *in, struct est *e)
{
	const struct tm_job *j = &in->job;
	const struct tm_arch *p = j->preset;
	struct tm_arch *a = &e->arch;
	e->have_arch = p != NULL || in->arch_flags || known(j->params[TM_P_LAYERS]);
	if (!e->have_arch)
		return;
	size_t pos = 0;
	e->assumed[0] = '\0';
	if (p) {
		*a = *p;
	} else {
		memset(a, 0, sizeof(*a));
		a->tied = -1;
	}
	static const int ps[] = { TM_P_LAYERS, TM_P_HIDDEN, TM_P_HEADS, TM_P_KV_HEADS, TM_P_HEAD_DIM,
				  TM_P_FFN, TM_P_VOCAB, TM_P_SEQ_LEN };
	double *fs[] = { &a->layers, &a->hidden, &a->heads, &a->kv_heads, &a->head_dim, &a->ffn,
			 &a->vocab, &a->seq_len };
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		if (known(j->params[ps[i]]))
			*fs[i] = j->params[ps[i]];
	if (p && (known(j->params[TM_P_HIDDEN]) || known(j->params[TM_P_HEADS])) &&
	    !known(j->params[TM_P_HEAD_DIM]))
		a->head_dim = 0;                     /* hidden / heads */
	if (j->mlp != TM_MLP_UNKNOWN)
		a->mlp = j->mlp;
	if (!p) {
		a->name = NULL;
		if (a->mlp == TM_MLP_UNKNOWN) {
			a->mlp = TM_MLP_GELU;
			assume(e->assumed, sizeof(e->assumed), &pos, "mlp gelu, ");
		}
		if (!known(a->ffn) && known(a->hidden)) {
			a->ffn = 4 * a->hidden;
			assume(e->assumed, sizeof(e->assumed), &pos, "ffn 4h, ");
		}
		int gpt = a->mlp == TM_MLP_GELU;
		a->norm = gpt || a->mlp == TM_MLP_RELU2 ? TM_NORM_LAYERNORM : TM_NORM_RMSNORM;
		a->biases = gpt;
		a->tied = gpt;
		if (gpt && known(a->seq_len))
			a->max_pos = a->seq_len;
		assume(e->assumed, sizeof(e->assumed), &pos, "%s style: %s, %s, %s%s", gpt ? "GPT" : a->mlp == TM_MLP_RELU2 ? "Nemotron-4" : "LLaMA",
		       gpt ? "LayerNorm" : a->mlp == TM_MLP_RELU2 ? "LayerNorm" : "RMSNorm",
		       gpt ? "biases" : "no biases", gpt ? "tied" : "untied",
		       gpt && known(a->seq_len) ? ", learned positions of seq-len" : "");
	}
	if (in->tied >= 0) a->tied = in->tied;
	if (in->norm >= 0) a->norm = (enum tm_norm)in->norm;
	if (in->biases >= 0) a->biases = in->biases;
	if (!isnan(in->max_pos)) a->max_pos = in->max_pos;
	if (known(in->experts)) a->experts = in->experts;
	if (known(in->topk)) a->topk = in->topk;
}

static void compute_params(const struct est_in *in, struct est *e)
{
	e->p_total = e->p_active = e->p_megatron = e->p_seed004 = NAN;
	(void)tm_params_parts(NULL, &e->parts);
	(void)tm_params_parts_seed004(NULL, &e->parts4);
	if (e->have_arch) {
		e->p_total = tm_params_total(&e->arch);
		e->p_active = tm_params_active(&e->arch);
		e->p_megatron = tm_params_megatron(&e->arch);
		e->p_seed004 = tm_params_seed004(&e->arch);
		(void)tm_params_parts(&e->arch, &e->parts);
		(void)tm_params_parts_seed004(&e->arch, &e->parts4);
	}
	int form = in->params_form;
	if (form == PF_DEFAULT)
		form = in->seed004 ? PF_SEED004 : PF_GENERAL;
	const char *miss = e->have_arch ? flag_for_missing(tm_arch_missing(&e->arch, &(struct tm_flops_opts){
		.formula = TM_FLOPS_6ND })) : "--params or --model";
	if (!isnan(in->params)) {
		e->params = mkval(in->params, NULL);
		e->params_label = "--params";
	} else if (form == PF_MEGATRON) {
		e->params = mkval(e->p_megatron, e->have_arch ? "--layers, --hidden, --vocab and --seq-len" : miss);
		e->params_label = "Megatron closed form 12*L*h^2 + 13*L*h + (V+s)*h (§3)";
	} else if (form == PF_SEED004) {
		e->params = mkval(e->p_seed004, miss);
		e->params_label = "seed 004 weights only: V*h + s*h + L*(4h^2 + 2hF) + h*V (§3)";
	} else {
		int moe = known(e->arch.experts) && e->arch.experts > 1;
		e->params = mkval(moe ? e->p_active : e->p_total, miss);
		e->params_label = moe ? "active (MoE, §3): total - L*m*h*F*(E - k)" : "exact count (§3)";
	}
	/* every expert's weights are stored and optimized: memory uses the total for MoE */
	e->params_mem = isnan(in->params) && form == PF_GENERAL ? e->p_total : e->params.v;
}

static void compute_flops(const struct est_in *in, struct est *e)
{
	const struct tm_job *j = &in->job;
	e->fo = j->fo;
	double s = known(e->arch.seq_len) ? e->arch.seq_len : j->params[TM_P_SEQ_LEN];
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
		double adamw = known(e->params.v) ? e->params.v : 0;
		e->have_det = tm_flops_detail(&e->arch, &e->fo, adamw, &e->det) == 0;
	}
	e->adamw_per_step = 0;
	e->f_seq_model = mkval(NAN, NULL);
	if (known(in->compute_factor)) {
		/* seed 002: C = N*D*k (TV-05) */
		e->f_token = mkval(known(e->params.v) ? in->compute_factor * e->params.v : NAN, e->params.needs);
		snprintf(e->convention, sizeof(e->convention), "k*N per token with k = %g (seed 002's "
			 "forward_backward_pass_ops; Kaplan's 6ND has k = 6), N = %s", in->compute_factor,
			 e->params_label);
		e->f_seq = mkval(known(s) ? e->f_token.v * s : NAN, "--seq-len");
		e->f_seq_model = e->f_seq;
	} else if (known(j->model_flops)) {
		e->f_seq = mkval(j->model_flops, NULL);
		e->f_token = mkval(known(s) ? j->model_flops / s : NAN, "--seq-len");
		e->f_seq_model = e->f_seq;
		snprintf(e->convention, sizeof(e->convention), "model FLOPs per sequence given (--model-flops %s)",
			 tm_src_name(j->model_flops_src));
	} else if (!e->have_arch || (e->fo.formula == TM_FLOPS_6ND && (!isnan(in->params) ||
		   in->params_form > PF_GENERAL || (in->seed004 && in->params_form == PF_DEFAULT)))) {
		/* only N known (or N chosen explicitly): 6N per token, 8N with full recompute (§1.4) */
		if (!e->have_arch && in->formula_given && e->fo.formula != TM_FLOPS_6ND) {
			e->f_token = mkval(NAN, "--layers or --model (only --params known: use --flops-formula 6nd)");
		} else {
			double k = full ? 8 : 6;
			e->f_token = mkval(known(e->params.v) ? k * e->params.v : NAN, e->params.needs);
			snprintf(e->convention, sizeof(e->convention), "6nd: %s*N per token, N = %s, no "
				 "attention term%s", full ? "8" : "6", e->params_label, full ?
				 ", full recompute (8 = 2 FLOP/MAC * 4 passes: hardware FLOPs, HFU)" :
				 ", no recompute (model FLOPs, MFU)");
			e->f_seq_model = mkval(known(s) && known(e->params.v) ? 6 * e->params.v * s : NAN, "--seq-len");
		}
		e->f_seq = mkval(known(s) ? e->f_token.v * s : NAN, "--seq-len");
	} else {
		double f = tm_flops_per_seq(&e->arch, &e->fo);
		const char *m = flag_for_missing(tm_arch_missing(&e->arch, &e->fo));
		e->f_seq = mkval(f, m);
		e->f_token = mkval(f / e->arch.seq_len, m);
		struct tm_flops_opts mo = e->fo;
		mo.recompute = 0;
		e->f_seq_model = mkval(tm_flops_per_seq(&e->arch, &mo), m);
		tm_flops_describe(&e->arch, &e->fo, e->convention, sizeof(e->convention));
		if (e->fo.formula == TM_FLOPS_DETAILED && e->have_det)
			e->adamw_per_step = e->det.adamw;    /* §2.11: once per optimizer step */
	}
}

static void compute_training(const struct est_in *in, struct est *e)
{
	const struct tm_job *j = &in->job;
	double B = j->params[TM_P_GLOBAL_BATCH], n = j->params[TM_P_GPUS];
	double s = known(e->arch.seq_len) ? e->arch.seq_len : j->params[TM_P_SEQ_LEN];
	e->chinchilla = tm_plan_chinchilla_tokens(e->params.v);
	/* tokens: --tokens, --tokens chinchilla, --target-tokens, or --steps * B * s */
	e->tokens = mkval(NAN, "--tokens (or --steps with --global-batch and --seq-len)");
	e->tokens_src = NULL;
	if (known(in->tokens)) {
		e->tokens = mkval(in->tokens, NULL);
		e->tokens_src = "--tokens";
	} else if (in->tokens_chinchilla) {
		e->tokens = mkval(e->chinchilla, e->params.needs);
		e->tokens_src = "--tokens chinchilla: 20*N";
	} else if (known(j->target_tokens)) {
		e->tokens = mkval(j->target_tokens, NULL);
		e->tokens_src = "--target-tokens";
	} else if (known(in->steps) && known(B) && known(s)) {
		e->tokens = mkval(in->steps * B * s, NULL);
		e->tokens_src = "--steps * --global-batch * seq-len";
	}
	e->steps = mkval(known(in->steps) ? in->steps : known(B) && known(s) && known(e->tokens.v) ?
		     e->tokens.v / (B * s) : NAN, "--steps or --global-batch");
	/* train FLOPs */
	e->train_flops_k6 = e->gpu_hours_k6 = e->cost_k6 = mkval(NAN, NULL);
	if (known(in->compute_factor)) {
		e->train_flops = mkval(tm_plan_compute_nd(e->params.v, e->tokens.v, in->compute_factor),
				   e->params.needs ? e->params.needs : e->tokens.needs);
		e->train_flops_k6 = mkval(tm_plan_compute_nd(e->params.v, e->tokens.v, TM_PLAN_KAPLAN_K), NULL);
	} else {
		double c = tm_plan_train_flops(e->f_token.v, e->tokens.v, e->adamw_per_step, e->steps.v);
		const char *needs = e->f_token.needs ? e->f_token.needs : e->tokens.needs ?
				    e->tokens.needs : "--steps or --global-batch (AdamW runs once per step)";
		e->train_flops = mkval(c, needs);
	}
	/* peak */
	e->peak = mkval(NAN, "--gpu or --peak-tflops");
	e->peak_src = NULL;
	if (known(j->peak_tflops)) {
		e->peak = mkval(j->peak_tflops * 1e12, NULL);
		e->peak_src = "--peak-tflops";
	} else if (j->gpu) {
		double pk = tm_gpu_peak_flops(j->gpu, j->dtype);
		e->peak = mkval(pk > 0 ? pk : NAN, "--peak-tflops (the table has no figure for this dtype)");
		e->peak_src = "table";
	}
	/* achieved rate per GPU */
	e->rate_model = NAN;
	e->rate = mkval(NAN, "--mfu (with --gpu or --peak-tflops), --achieved-tflops or --step-time");
	e->rate_src = NULL;
	if (known(in->achieved_tflops)) {
		e->rate = mkval(in->achieved_tflops * 1e12, NULL);
		e->rate_src = "--achieved-tflops";
	} else if (known(in->step_time)) {
		double x = tm_plan_rate_from_step(B, e->f_seq.v, in->step_time, n);
		e->rate = mkval(x, !known(B) ? "--global-batch" : !known(n) ? "--gpus" :
			    e->f_seq.needs ? e->f_seq.needs : "--seq-len");
		e->rate_src = "B*F_seq/(t_step*n) (§1.1)";
		if (e->fo.recompute)
			e->rate_model = tm_plan_rate_from_step(B, e->f_seq_model.v, in->step_time, n);
	} else if (known(in->mfu)) {
		e->rate = mkval(tm_plan_rate(e->peak.v, in->mfu), e->peak.needs);
		e->rate_src = "peak * MFU (§1.5)";
	}
	e->mfu = mkval(known(in->mfu) && !known(in->achieved_tflops) && !known(in->step_time) ? in->mfu :
		   known(e->rate.v) && known(e->peak.v) ? e->rate.v / e->peak.v : NAN,
		   known(e->rate.v) ? e->peak.needs : "--mfu, or a rate with --gpu/--peak-tflops");
	e->tokens_per_s = mkval(known(in->step_time) && known(B) && known(s) ? B * s / in->step_time : NAN, NULL);
	/* time, GPU-hours, cost, energy */
	e->seconds = mkval(tm_plan_train_seconds(e->train_flops.v, n, e->rate.v),
		       e->train_flops.needs ? e->train_flops.needs : !known(n) ? "--gpus" : e->rate.needs);
	e->days = mkval(tm_plan_days(e->seconds.v), e->seconds.needs);
	e->gpu_hours = mkval(tm_plan_gpu_hours(e->train_flops.v, e->rate.v),
			 e->train_flops.needs ? e->train_flops.needs : e->rate.needs);
	e->cost = mkval(tm_plan_cost(e->gpu_hours.v, in->price),
		    e->gpu_hours.needs ? e->gpu_hours.needs : "--price-per-gpu-hour");
	e->gpu_hours_k6 = mkval(tm_plan_gpu_hours(e->train_flops_k6.v, e->rate.v), e->rate.needs);
	e->cost_k6 = mkval(tm_plan_cost(e->gpu_hours_k6.v, in->price), "--price-per-gpu-hour");
	e->watts = mkval(NAN, "--watts or --gpu");
	e->watts_src = NULL;
	if (known(in->watts)) {
		e->watts = mkval(in->watts, NULL);
		e->watts_src = "--watts";
	} else if (j->gpu && j->gpu->watts > 0) {
		e->watts = mkval(j->gpu->watts, NULL);
		e->watts_src = "TDP, table";
	}
	e->energy = mkval(tm_plan_energy_kwh(e->gpu_hours.v, e->watts.v, in->pue),
		      e->gpu_hours.needs ? e->gpu_hours.needs : e->watts.needs);
	/* Narayanan eq. 4, when the achieved rate X is given or measured */
	e->eq4_factor = e->fo.recompute == 2 ? 8 : 6;
	e->eq4_seconds = mkval(NAN, NULL);
	if (known(in->achieved_tflops) || known(in->step_time))
		e->eq4_seconds = mkval(tm_plan_megatron_seconds(e->tokens.v, e->params.v, n, e->rate.v,
							    e->eq4_factor), NULL);
}

static void compute_memory(const struct est_in *in, struct est *e)
{
	const struct tm_job *j = &in->job;
	struct tm_mem_opts *o = &e->mo;
	double w = known(in->state_bytes) ? in->state_bytes : in->seed004 ? 2 : NAN;
	memset(o, 0, sizeof(*o));
	o->weight_bytes = known(in->weight_bytes) ? in->weight_bytes : known(w) ? w : 2;
	o->grad_bytes = known(in->grad_bytes) ? in->grad_bytes : known(w) ? w : 2;
	o->optim_bytes = known(in->optim_bytes) ? in->optim_bytes : known(w) ? 2 * w : 12;
	o->act_bytes = known(in->act_bytes) ? in->act_bytes : known(w) ? w : 2;
	o->zero = in->zero;
	o->tp = known(in->tp) ? in->tp : 1;
	o->pp = known(in->pp) ? in->pp : 1;
	o->sp = in->sp;
	o->recompute = j->fo.recompute;
	o->act_model = in->seed004 ? TM_ACT_SEED004 : TM_ACT_KORTHIKANTI;
	o->micro_batch = known(in->micro_batch) ? in->micro_batch : 1;
	double n = j->params[TM_P_GPUS];
	o->dp = known(in->dp) ? in->dp : known(n) ? n / (o->tp * o->pp) : NAN;
	e->n_devices = known(n) ? n : known(o->dp) ? o->dp * o->tp * o->pp : NAN;
	e->mem_needs = NULL;
	if (o->zero > 0 && !known(o->dp)) {
		e->mem_needs = "--gpus or --dp (ZeRO shards over the data-parallel size)";
		(void)tm_plan_memory(NULL, NAN, o, &e->mem);
	} else {
		if (!known(o->dp))
			o->dp = 1;
		(void)tm_plan_memory(e->have_arch ? &e->arch : NULL, e->params_mem, o, &e->mem);
	}
	const char *act_needs = !e->have_arch ? "--model or the architecture flags" :
				tm_arch_missing(&e->arch, &(struct tm_flops_opts){ .formula = TM_FLOPS_DETAILED }) ?
				flag_for_missing(tm_arch_missing(&e->arch, &(struct tm_flops_opts){
					.formula = TM_FLOPS_DETAILED })) : "--seq-len";
	if (e->mem_needs)
		act_needs = e->mem_needs;
	else if (e->params.needs)
		act_needs = e->params.needs;
	e->mem_act = mkval(e->mem.activations, act_needs);
	e->mem_total = mkval(e->mem.total, act_needs);
	(void)tm_plan_act_seed004(e->have_arch ? &e->arch : NULL, o->recompute, &e->act4);
	/* GPU memory */
	e->gpu_mem = mkval(NAN, "--gpu with a memory figure, --mem-gib or --mem-bytes");
	e->gpu_mem_src = NULL;
	if (known(in->mem_bytes)) {
		e->gpu_mem = mkval(in->mem_bytes, NULL);
		e->gpu_mem_src = in->mem_src;
	} else if (j->gpu && j->gpu->mem_gib > 0) {
		e->gpu_mem = mkval(j->gpu->mem_gib * GIB, NULL);
		e->gpu_mem_src = "table";
	}
	e->max_mb = mkval(tm_plan_max_micro_batch(e->mem.states, e->mem.act_per_seq, e->gpu_mem.v),
		      e->gpu_mem.needs ? e->gpu_mem.needs : act_needs);
	/* min GPUs: the unsharded model states spread over n GPUs (ZeRO-3/FSDP), plus activations */
	struct tm_mem_opts u = *o;
	u.zero = 0;
	u.dp = u.tp = u.pp = 1;
	struct tm_mem um;
	(void)tm_plan_memory(NULL, e->params_mem, &u, &um);
	e->states_unsharded = um.states;
	e->weights_only = known(e->params_mem) ? e->params_mem * o->weight_bytes : NAN;
	e->min_gpus = mkval(tm_plan_min_gpus(um.states, e->mem.activations, e->gpu_mem.v),
			e->params.needs ? e->params.needs : e->gpu_mem.needs);
	/* seed 003 (FSDP) view: M_p = N * weight bytes */
	double m_p = e->weights_only;
	e->seed003_mem = mkval(tm_plan_seed003_fsdp_mem(m_p, e->n_devices), "--gpus");
	e->seed003_comm = mkval(tm_plan_seed003_fsdp_comm(m_p), e->params.needs);
	double s = known(e->arch.seq_len) ? e->arch.seq_len : j->params[TM_P_SEQ_LEN];
	e->step_flops_gpu = mkval(known(s) ? e->f_token.v * s * o->micro_batch : NAN, "--seq-len");
	e->ideal_step = mkval(known(e->step_flops_gpu.v) && known(e->rate.v) ? e->step_flops_gpu.v / e->rate.v
			  : NAN, e->step_flops_gpu.needs ? e->step_flops_gpu.needs : e->rate.needs);
	e->ideal_bw = mkval(tm_plan_ideal_bandwidth(e->seed003_comm.v, e->ideal_step.v), e->ideal_step.needs);
}

/* ---- text output ----------------------------------------------------------------------------- */

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

static void row_val(const char *name, struct val v, const char *fmt, const char *unit, const char *label)
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
	snprintf(lb, sizeof(lb), "%9.2f GiB %9.2f GB  %s", bytes / GIB, bytes / 1e9, label ? label : "");
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

static void print_model(const struct est_in *in, const struct est *e)
{
	const struct tm_arch *a = &e->arch;
	char b[64];
	if (!e->have_arch) {
		printf("Model: parameter count only (--params); architecture unknown\n");
	} else {
		printf("Model: %s%s\n", a->name ? a->name : "custom architecture",
		       in->job.preset ? " (preset)" : "");
		char q[8][24];
		double dims[8] = { a->layers, a->hidden, a->heads, known(a->kv_heads) ? a->kv_heads : a->heads,
				   known(a->head_dim) ? a->head_dim : a->hidden / a->heads, a->ffn, a->vocab,
				   a->seq_len };
		for (int i = 0; i < 8; i++)
			fmt_g(q[i], sizeof(q[i]), known(dims[i]) ? dims[i] : NAN, "%g");
		printf("  L=%s h=%s n_h=%s g=%s d_h=%s F=%s V=%s s=%s, %s MLP, %s, %s, %s",
		       q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], mlp_name(a->mlp),
		       a->norm == TM_NORM_LAYERNORM ? "LayerNorm" : a->norm == TM_NORM_RMSNORM ? "RMSNorm" : "norm unknown",
		       a->biases ? "biases" : a->qkv_bias ? "q/k/v biases" : "no biases",
		       a->tied > 0 ? "tied LM head" : a->tied == 0 ? "untied LM head" : "tied unknown");
		if (known(a->max_pos))
			printf(", learned positions %g", a->max_pos);
		if (known(a->experts) && a->experts > 1)
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
		snprintf(lb, sizeof(lb), "exact count, §3 %s", form);
		row("total", fmt_int(b, sizeof(b), e->p_total), lb);
		if (known(a->experts) && a->experts > 1)
			row("active per token (MoE)", fmt_int(b, sizeof(b), e->p_active), "total - L*m*h*F*(E - k) (§3)");
		row("Megatron closed form", fmt_int(b, sizeof(b), e->p_megatron),
		    "12*L*h^2 + 13*L*h + (V+s)*h (§3, seed 000; assumes F=4h, MHA, biases)");
		row("seed 004 weights only", fmt_int(b, sizeof(b), e->p_seed004),
		    "V*h + s*h + L*(4h^2 + 2hF) + h*V (§3, seed 004: untied head, no biases/norms)");
	}
	row_val("used below (N)", e->params, NULL, NULL, e->params_label);
	if (known(e->params.v)) {
		row_bytes("weights only (inference)", e->weights_only, NULL, e->params_mem != e->params.v ?
			  "total N (all experts) * weight bytes (§1.6); memory below uses the total" :
			  "N * weight bytes (§1.6)");
	}
	if (e->have_arch && !isnan(e->parts.total)) {
		const struct tm_params_parts *p = &e->parts, *q = &e->parts4;
		double L = a->layers;
		struct { const char *name; double layer, total, seed; } rows[] = {
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
		printf("\n  %-24s %18s %18s %18s\n", "component", "per layer", "exact total", "seed 004 total");
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			if (i == 4 && p->router == 0)
				continue;
			printf("  %-24s %18s %18s %18s%s\n", rows[i].name,
			       isnan(rows[i].layer) ? "-" : fmt_int(b, sizeof(b), rows[i].layer),
			       fmt_int(c, sizeof(c), rows[i].total), fmt_int(d, sizeof(d), rows[i].seed),
			       i == 8 && a->tied > 0 ? "  (exact: tied to the token embedding)" : "");
		}
	}
}

static void print_flops(const struct est_in *in, const struct est *e)
{
	char b[64], lb[200];
	double B = in->job.params[TM_P_GLOBAL_BATCH];
	printf("\nFLOPs (forward + backward)\n");
	if (e->have_arch) {
		static const char *const names[] = { "megatron (§2.1)", "paxml (§2.2)", "palm (§2.6)",
						     "6nd (§2.10)", "detailed (§2.11)" };
		double kap = known(e->fo.kappa) ? e->fo.kappa : 1;
		snprintf(lb, sizeof(lb), "per token, kappa=%g, recompute %s", kap, tm_recompute_name(e->fo.recompute));
		printf("  %-38s %26s  %s\n", "by convention", "", lb);
		for (int f = 0; f < 5; f++) {
			struct tm_flops_opts o = e->fo;
			o.formula = (enum tm_flops_formula)f;
			const char *miss = tm_arch_missing(&e->arch, &o);
			snprintf(lb, sizeof(lb), "needs %s", flag_for_missing(miss));
			row(names[f], fmt_g(b, sizeof(b), e->conv_token[f], "%.6e"), miss ? lb :
			    (int)e->fo.formula == f && !known(in->compute_factor) && !known(in->job.model_flops) &&
			    known(e->f_token.v) && e->f_token.v == e->conv_token[f] ? "<- used" : "");
		}
	}
	printf("  convention used: %s\n", e->convention[0] ? e->convention : "none (inputs missing)");
	row_val("per token", e->f_token, "%.6e", "FLOP", "F_token");
	row_val("  forward", mkval(e->f_token_model / 3, e->f_token.needs), "%.6e", "FLOP",
		"model FLOPs / 3 (backward = 2 x forward)");
	row_val("  backward", mkval(2 * e->f_token_model / 3, e->f_token.needs), "%.6e", "FLOP",
		"2/3 of model FLOPs");
	if (e->fo.recompute && known(e->f_token.v))
		row_val("  recompute (hardware only)", mkval(e->f_token.v - e->f_token_model, NULL), "%.6e",
			"FLOP", e->fo.recompute == 2 ? "one more forward of the layers" :
			"attention core once more");
	row_val("per sequence", e->f_seq, NULL, "FLOP", "F_seq = s * F_token");
	if (known(B))
		row_val("per step", mkval(B * e->f_seq.v, e->f_seq.needs), NULL, "FLOP", "B * F_seq");
	if (e->have_det && (e->fo.formula == TM_FLOPS_DETAILED || in->seed004)) {
		const struct tm_flops_detail *d = &e->det;
		printf("\n  Per-operation forward FLOPs, one sequence (seed 004 table, §2.11)    share of overall\n");
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
		       "(seed 004 divides by 10e12 and prints a value 10x too small, §7)");
	}
}

static void print_training(const struct est_in *in, const struct est *e)
{
	const struct tm_job *j = &in->job;
	char lb[300], b[64];
	double n = j->params[TM_P_GPUS];
	printf("\nTraining\n");
	row_val("tokens (D)", e->tokens, NULL, NULL, e->tokens_src);
	row_val("Chinchilla-optimal tokens", mkval(e->chinchilla, e->params.needs), NULL, NULL,
		"20 * N (reference, Hoffmann et al.)");
	if (known(e->steps.v))
		row_val("optimizer steps", e->steps, "%.6g", NULL, known(in->steps) ? "--steps" : "D/(B*s)");
	if (known(in->compute_factor)) {
		snprintf(lb, sizeof(lb), "C = k*N*D, k = %g (as seed 002 computes it when k = 1)",
			 in->compute_factor);
		row_val("train FLOPs", e->train_flops, "%.6e", "FLOP", lb);
		row_val("train FLOPs, corrected", e->train_flops_k6, "%.6e", "FLOP",
			"C = 6*N*D (Kaplan; seed 002's own reference)");
	} else {
		row_val("train FLOPs", e->train_flops, "%.6e", "FLOP", e->adamw_per_step > 0 ?
			"C = D*F_token + steps*AdamW (§1.4, §2.11)" : "C = D*F_token (§1.4)");
	}
	if (known(e->peak.v)) {
		if (e->peak_src && strcmp(e->peak_src, "table") == 0)
			snprintf(lb, sizeof(lb), "%s %s dense (table, §5)", j->gpu->name, tm_dtype_name(j->dtype));
		else
			snprintf(lb, sizeof(lb), "%s", e->peak_src);
		row_val("peak per GPU", mkval(e->peak.v / 1e12, NULL), "%g", "TFLOP/s", lb);
	} else {
		row_val("peak per GPU", e->peak, NULL, NULL, NULL);
	}
	if (known(e->tokens_per_s.v)) {
		row_val("tokens/s", e->tokens_per_s, "%,6", NULL, "B*s/t_step (§1.1)");
	}
	row_val("achieved per GPU", mkval(e->rate.v / 1e12, e->rate.needs), "%.6f", "TFLOP/s", e->rate_src);
	const char *mfu_label = e->fo.recompute && !known(in->compute_factor) && !known(j->model_flops) ?
				"HFU: recompute counted (hardware FLOPs)"
					       : "MFU: achieved / peak";
	if (known(e->mfu.v))
		row_val("fraction of peak", mkval(100 * e->mfu.v, NULL), "%.5f", "%", mfu_label);
	else
		row_val("fraction of peak", e->mfu, NULL, NULL, NULL);
	if (known(e->rate_model)) {
		row_val("achieved per GPU, model FLOPs", mkval(e->rate_model / 1e12, NULL), "%.6f", "TFLOP/s",
			"no recompute (MFU numerator)");
		if (known(e->peak.v))
			row_val("MFU (model FLOPs)", mkval(100 * e->rate_model / e->peak.v, NULL), "%.5f", "%", NULL);
	}
	snprintf(lb, sizeof(lb), "t = C/(n*R) (§1.4), n = %s", fmt_g(b, sizeof(b), n, "%g"));
	row_val("time", e->seconds, "%,1", "s", lb);
	row_val("time in days", e->days, "%.5f", "days", "t/86400");
	if (known(in->achieved_tflops) || known(in->step_time)) {
		snprintf(lb, sizeof(lb), "Narayanan eq. 4: %g*T*P/(n*X) (seed 000)%s", e->eq4_factor,
			 e->eq4_factor == 8 ? ", full recompute" : ", no recompute");
		row_val("time, Megatron formula", mkval(tm_plan_days(e->eq4_seconds.v),
			!known(n) ? "--gpus" : e->tokens.needs ? e->tokens.needs : e->params.needs),
			"%.5f", "days", lb);
	}
	row_val("GPU-hours", e->gpu_hours, "%,2", NULL, "C/(R*3600) (§1.5) = n*t/3600");
	if (known(in->price))
		snprintf(lb, sizeof(lb), "GPU-hours * $%g per GPU-hour (§1.5)", in->price);
	else
		snprintf(lb, sizeof(lb), "GPU-hours * price (§1.5)");
	row_val("cost", e->cost, "%,2", "USD", lb);
	if (known(in->compute_factor)) {
		row_val("GPU-hours, corrected (k = 6)", e->gpu_hours_k6, "%,2", NULL, "6*N*D/(R*3600)");
		row_val("cost, corrected (k = 6)", e->cost_k6, "%,2", "USD", "GPU-hours (k = 6) * price");
	}
	if (known(e->watts.v))
		snprintf(lb, sizeof(lb), "GPU-hours * %g W (%s) / 1000%s%s", e->watts.v, e->watts_src,
			 known(in->pue) ? " * PUE " : ", no PUE (accelerators only, upper bound at TDP)",
			 known(in->pue) ? fmt_g(b, sizeof(b), in->pue, "%g") : "");
	else
		snprintf(lb, sizeof(lb), "GPU-hours * W / 1000 (§1.5)");
	row_val("energy", e->energy, "%,2", "kWh", lb);
}

static void print_memory(const struct est_in *in, const struct est *e)
{
	const struct tm_mem_opts *o = &e->mo;
	char lb[300], b[64];
	static const char *const zero_names[] = { "plain data parallel", "ZeRO-1 (optimizer sharded)",
		"ZeRO-2 (optimizer + gradients sharded)", "ZeRO-3 / FSDP full shard" };
	printf("\nMemory per GPU (%s, dp=%s tp=%g pp=%g, micro-batch %g, %s accounting)\n",
	       zero_names[o->zero], fmt_g(b, sizeof(b), o->dp, "%g"), o->tp, o->pp, o->micro_batch,
	       in->seed004 ? "seed 004 (every state in one dtype, §1.6)" :
	       known(in->state_bytes) ? "--state-bytes (every state in one dtype)" :
	       known(in->weight_bytes) || known(in->grad_bytes) || known(in->optim_bytes) ?
	       "bytes per parameter as given" : "mixed-precision AdamW (§1.6)");
	const char *needs = e->mem_needs ? e->mem_needs : e->params.needs;
	snprintf(lb, sizeof(lb), "%g B/param%s", o->weight_bytes, o->zero >= 3 ? " / dp" : "");
	row_bytes("parameters", e->mem.params, needs, lb);
	snprintf(lb, sizeof(lb), "%g B/param%s", o->grad_bytes, o->zero >= 2 ? " / dp" : "");
	row_bytes("gradients", e->mem.grads, needs, lb);
	snprintf(lb, sizeof(lb), "%g B/param%s%s", o->optim_bytes, o->zero >= 1 ? " / dp" : "",
		 in->seed004 || known(in->state_bytes) ? " (Adam m, v)" :
		 o->optim_bytes == 12 ? " (fp32 master, m, v)" : "");
	row_bytes("optimizer states", e->mem.optimizer, needs, lb);
	row_bytes("model states", e->mem.states, needs, "params + grads + optimizer");
	if (in->seed004) {
		snprintf(lb, sizeof(lb), "seed 004 count * %g B, recompute %s", o->act_bytes,
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
	if (in->seed004 && !isnan(e->act4.total)) {
		const struct tm_act_seed004 *a = &e->act4;
		printf("\n  Activations per sequence, elements (seed 004 accounting)\n");
		printf("  %-38s %26s\n", "norm input, per layer", fmt_int(b, sizeof(b), a->norm));
		printf("  %-38s %26s\n", "q, k, v, per layer", fmt_int(b, sizeof(b), a->qkv));
		printf("  %-38s %26s\n", "scores n_h*s^2, per layer", fmt_int(b, sizeof(b), a->scores));
		printf("  %-38s %26s\n", "attention output, per layer", fmt_int(b, sizeof(b), a->attn_out));
		printf("  %-38s %26s\n", "MLP 2*s*F, per layer", fmt_int(b, sizeof(b), a->mlp));
		printf("  %-38s %26s\n", "all layers", fmt_int(b, sizeof(b), a->layers));
		printf("  %-38s %26s\n", "final norm", fmt_int(b, sizeof(b), a->final_norm));
		printf("  %-38s %26s\n", "logits s*V", fmt_int(b, sizeof(b), a->logits));
		printf("  %-38s %26s\n", "total", fmt_int(b, sizeof(b), a->total));
		if (known(e->mem.act_per_seq))
			printf("  expression: %.4f * batch + %.4f GiB\n", e->mem.act_per_seq / GIB,
			       e->mem.states / GIB);
	}
	printf("\n");
	if (known(e->gpu_mem.v)) {
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
		 known(e->mem.activations) ? "" : " unknown, states only");
	row_val("min GPUs", e->min_gpus, NULL, NULL, lb);
	if (known(e->min_gpus.v) && isfinite(e->min_gpus.v) && known(in->price)) {
		snprintf(lb, sizeof(lb), "min GPUs * $%g per GPU-hour", in->price);
		row_val("cost per hour at min GPUs", mkval(e->min_gpus.v * in->price, NULL), "%.2f", "USD/h", lb);
	}
	if (o->zero == 3) {
		printf("\n  Seed 003 FSDP view (M_p = N * %g B = %s GB)\n", o->weight_bytes,
		       fmt_g(b, sizeof(b), e->weights_only / 1e9, "%.6g"));
		row_bytes("memory per device M_A", e->seed003_mem.v, e->seed003_mem.needs,
			  "6*M_p/N_devices (seed 003 as written)");
		row_bytes("communication per step C_A", e->seed003_comm.v, e->seed003_comm.needs, "3*M_p");
		row_val("step FLOPs per GPU", e->step_flops_gpu, "%.6e", "FLOP", "F_token * s * micro-batch");
		row_val("ideal step time", e->ideal_step, "%.6g", "s", "step FLOPs / R");
		row_val("minimum bandwidth", mkval(e->ideal_bw.v / 1e9, e->ideal_bw.needs), "%.4f", "GB/s",
			"C_A / t_step (seed 003)");
	}
}

/* ---- JSON output ----------------------------------------------------------------------------- */

static void json_needs(struct tm_json *js, const char *key, struct val v)
{
	if (isnan(v.v) && v.needs)
		tm_json_str(js, key, v.needs);
}

static void print_json(const struct est_in *in, const struct est *e)
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
	tm_json_num(&js, "seed004_weights_only", e->p_seed004);
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
	if (known(in->compute_factor)) {
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
	if (known(in->achieved_tflops) || known(in->step_time))
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

/* ---- lists, help, entry point ------------------------------------------------------------------ */

static void list_presets(void)
{
	char b[64];
	printf("%-16s %4s %6s %4s %4s %4s %6s %7s %6s %-12s %18s\n", "preset", "L", "h", "n_h", "g",
	       "d_h", "F", "V", "s", "MLP", "parameters");
	const struct tm_arch *p;
	for (size_t i = 0; (p = tm_preset_at(i)) != NULL; i++)
		printf("%-16s %4g %6g %4g %4g %4g %6g %7g %6g %-12s %18s\n", p->name, p->layers, p->hidden,
		       p->heads, known(p->kv_heads) ? p->kv_heads : p->heads,
		       known(p->head_dim) ? p->head_dim : p->hidden / p->heads, p->ffn, p->vocab,
		       p->seq_len, mlp_name(p->mlp), fmt_int(b, sizeof(b), tm_params_total(p)));
}

static void list_gpus(void)
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

const char *cmd_estimate_help(void)
{
	return
	"usage: trainmon estimate [OPTIONS]\n"
	"Plan a run: parameters, FLOPs, training time, GPU-hours, cost, energy, memory per GPU.\n"
	"Every number is printed with its formula (REFERENCE.md section); unknowns say which flag\n"
	"would supply them.\n\n"
	"Model and compute:\n"
	"  --params N            parameter count when the architecture is unknown (6N per token)\n"
	"  --params-form F       general (exact, default), megatron (closed form), seed004 (weights only)\n"
	"  --tied, --untied, --norm layernorm|rmsnorm, --biases, --no-biases, --max-pos N,\n"
	"  --experts E, --topk K architecture details for a custom model (GELU: GPT style by default)\n"
	"  --tokens N|chinchilla training tokens (1T, 15e12), or 20 tokens per parameter\n"
	"  --steps N             optimizer steps (tokens = steps * global batch * seq-len)\n"
	"  --compute-factor K    train FLOPs = K*N*D (seed 002 uses K = 1; Kaplan's is 6)\n"
	"Rate and time:\n"
	"  --mfu X, --efficiency X   achieved fraction of peak, 0 < X <= 1\n"
	"  --achieved-tflops X   achieved TFLOP/s per GPU (seed 000's X), instead of --mfu\n"
	"  --step-time S         measured seconds per step (with --global-batch and --gpus)\n"
	"  --price-per-gpu-hour X   dollars per GPU-hour\n"
	"  --watts W, --pue X    power per GPU (default: the GPU's TDP), facility PUE (default none)\n"
	"Memory:\n"
	"  --zero 0|1|2|3, --fsdp    optimizer/gradient/parameter sharding over the data-parallel size\n"
	"  --tp N --pp N --dp N  parallel sizes (dp default: gpus/(tp*pp)); --sequence-parallel\n"
	"  --micro-batch N       sequences per GPU (default 1)\n"
	"  --mem-gib X, --mem-gb X, --mem-bytes X   GPU memory (default: the --gpu table)\n"
	"  --weight-bytes B --grad-bytes B --optim-bytes B --act-bytes B   per parameter / element\n"
	"                        (defaults 2, 2, 12: bf16 weights and grads, fp32 master + AdamW m, v)\n"
	"  --state-bytes W       every state in W bytes (weights, grads, m, v; activations)\n"
	"  --seed004-accounting  seed 004's memory model: its parameter and activation counts, W = 2\n"
	"Other:\n"
	"  --config FILE         YAML with `job:` keys and an `estimate:` section (these option names)\n"
	"  --format text|json    output (json: null for unknown values, \"needs\" says why)\n"
	"  --list, --list-gpus   presets; accelerators with peaks, power and memory\n"
	"Shared job flags (--model, --layers ... --seq-len, --global-batch, --gpus, --flops-formula,\n"
	"--causal, --recompute, --gpu, --dtype, --peak-tflops, ...): trainmon estimate --help\n";
}

static void print_help(void)
{
	fputs(cmd_estimate_help(), stdout);
	fputs("\n", stdout);
	fputs(tm_job_help(), stdout);
	fputs("\nExit status: 0 ok, 1 invalid config file, 2 usage error, 3 the config cannot be read.\n", stdout);
}

struct pending { int id; const char *arg; };

int cmd_estimate(int argc, char **argv)
{
	size_t njob = tm_job_nlongopts();
	struct option *lo = tm_xcalloc(NOWN + njob + 1, sizeof(*lo));
	memcpy(lo, own_opts, sizeof(own_opts));
	memcpy(lo + NOWN, tm_job_longopts(), njob * sizeof(*lo));
	struct pending *pend = tm_xcalloc((size_t)argc + 1, sizeof(*pend));
	size_t npend = 0;
	struct est_in *in = tm_xcalloc(1, sizeof(*in));
	struct est *e = tm_xcalloc(1, sizeof(*e));
	int rc = TM_EXIT_OK, c;
	char err[320];
	in_init(in);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (c == ':')
				fprintf(stderr, "trainmon estimate: option '%s' needs a value\n", bad);
			else if (optopt && !(bad[0] == '-' && bad[1] == '-'))
				fprintf(stderr, "trainmon estimate: unknown option '-%c' (see trainmon help estimate)\n", optopt);
			else
				fprintf(stderr, "trainmon estimate: unknown option '%s' (see trainmon help estimate)\n", bad);
			rc = TM_EXIT_USAGE;
			goto out;
		}
		if (c == 'h' || c == O_HELP) {
			in->help = 1;
		} else if (c == O_CONFIG) {
			in->config = optarg;
		} else if (c == O_LIST) {
			in->list = 1;
		} else if (c == O_LIST_GPUS) {
			in->list_gpus = 1;
		} else {
			pend[npend++] = (struct pending){ c, optarg };
		}
	}
	if (optind < argc) {
		fprintf(stderr, "trainmon estimate: unexpected argument '%s' (estimate takes options only)\n",
			argv[optind]);
		rc = TM_EXIT_USAGE;
		goto out;
	}
	if (in->help) {
		print_help();
		goto out;
	}
	if (in->list || in->list_gpus) {
		if (in->list)
			list_presets();
		if (in->list_gpus)
			list_gpus();
		goto out;
	}
	if (in->config) {
		struct tm_diag d;
		tm_diag_init(&d);
		int r = tm_job_config_load(&in->job, in->config, &d);
		if (r >= 0)
			r += load_estimate_section(in, lo, in->config, &d);
		if (r != 0) {
			tm_diag_print(&d, stderr);
			rc = r < 0 ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
		}
		tm_diag_release(&d);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < npend; i++) {
		if (apply(in, lo, pend[i].id, pend[i].arg, TM_SRC_FLAG, err, sizeof(err))) {
			fprintf(stderr, "trainmon estimate: %s\n", err);
			rc = TM_EXIT_USAGE;
			goto out;
		}
	}
	if (isnan(in->params) && !in->job.preset && !in->arch_flags) {
		fprintf(stderr, "trainmon estimate: nothing to estimate: give --model PRESET, the "
			"architecture (--layers --hidden --heads --vocab --seq-len ...) or --params N\n");
		rc = TM_EXIT_USAGE;
		goto out;
	}
	build_arch(in, e);
	compute_params(in, e);
	compute_flops(in, e);
	e->f_token_model = e->f_token.v;
	if (e->fo.recompute && !known(in->compute_factor) && !known(in->job.model_flops)) {
		double s = known(e->arch.seq_len) ? e->arch.seq_len : in->job.params[TM_P_SEQ_LEN];
		e->f_token_model = known(e->f_seq_model.v) && known(s) ? e->f_seq_model.v / s :
				   e->f_token.v * 6 / 8;    /* 6nd: 8N -> 6N */
	}
	compute_training(in, e);
	compute_memory(in, e);
	if (in->json) {
		print_json(in, e);
	} else {
		print_model(in, e);
		print_flops(in, e);
		print_training(in, e);
		print_memory(in, e);
	}
out:
	free(e);
	free(in);
	free(pend);
	free(lo);
	return rc;
}
