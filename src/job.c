/* job.c: the job's flags and config keys, and the defaults of struct tm_job (see job.h).
 *
 * The rows below are the single list of job settings: getopt_long entries, `job:` config keys,
 * help lines and man-page entries all come from them through opt.c. Parsing is strict and every
 * error names the flag ("--gpus: '12x' is not a positive number"); a config reader shows the same
 * text as "job: gpus: ...". Aliases are the spellings of the frameworks' own flags.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/job.h"
#include "trainmon/opt.h"
#include "banned.h"

static const char *const src_names[] = { "unknown", "default", "preset", "log", "file name",
	"config", "flag", "computed" };

const char *tm_src_name(enum tm_src_kind s)
{
	return s <= TM_SRC_COMPUTED ? src_names[s] : "?";
}

int tm_basis_parse(const char *s, enum tm_basis *out)
{
	if (strcmp(s, "median") == 0)
		*out = TM_BASIS_MEDIAN;
	else if (strcmp(s, "last") == 0)
		*out = TM_BASIS_LAST;
	else if (strcmp(s, "mean") == 0)
		*out = TM_BASIS_MEAN;
	else
		return -1;
	return 0;
}

const char *tm_basis_name(enum tm_basis b)
{
	return b == TM_BASIS_LAST ? "last" : b == TM_BASIS_MEAN ? "mean" : "median";
}

void tm_job_init(struct tm_job *j)
{
	memset(j, 0, sizeof(*j));
	for (int i = 0; i < TM_P_N; i++)
		j->params[i] = NAN;
	j->model_flops = NAN;
	j->peak_tflops = NAN;
	j->target_tokens = NAN;
	j->warmup = NAN;
	j->fo.formula = TM_FLOPS_MEGATRON;
	j->fo.kappa = 1.0;
	j->dtype = TM_DTYPE_BF16;
}

static struct tm_val known(double v, enum tm_src_kind src)
{
	return (struct tm_val){ .v = v, .src = src };
}

static int have(double v)
{
	return !isnan(v) && v > 0;
}

struct tm_val tm_job_resolve(const struct tm_job *j, const struct tm_run *r, int p, double preset_v,
			     int preset_first, const char *needs)
{
	int flag_preset = j->preset && j->preset_src == TM_SRC_FLAG && have(preset_v);
	if (have(j->params[p]) && j->src[p] == TM_SRC_FLAG)
		return known(j->params[p], TM_SRC_FLAG);
	if (preset_first && flag_preset)
		return known(preset_v, TM_SRC_PRESET);
	if (have(j->params[p]))
		return known(j->params[p], j->src[p] ? j->src[p] : TM_SRC_CONFIG);
	if (preset_first && j->preset && have(preset_v))
		return known(preset_v, TM_SRC_PRESET);
	if (r && have(r->params[p]))
		return known(r->params[p], TM_SRC_LOG);
	if (j->preset && have(preset_v))
		return known(preset_v, TM_SRC_PRESET);
	return (struct tm_val){ .v = NAN, .src = TM_SRC_NONE, .needs = needs };
}

static enum tm_mlp mlp_named(const char *s)
{
	return strcmp(s, "swiglu") == 0 ? TM_MLP_SWIGLU : strcmp(s, "geglu") == 0 ? TM_MLP_GEGLU :
	       strcmp(s, "relu2") == 0 ? TM_MLP_RELU2 : TM_MLP_GELU;
}

void tm_job_arch(const struct tm_job *j, const struct tm_run *r, struct tm_job_arch *out)
{
	const struct tm_arch *p = j->preset;
	struct tm_arch *a = &out->a;
	if (p) {
		*a = *p;
	} else {
		memset(a, 0, sizeof(*a));
		a->tied = -1;
	}
	out->layers = tm_job_resolve(j, r, TM_P_LAYERS, p ? p->layers : NAN, 1, "--layers or --model");
	out->hidden = tm_job_resolve(j, r, TM_P_HIDDEN, p ? p->hidden : NAN, 1, "--hidden or --model");
	out->heads = tm_job_resolve(j, r, TM_P_HEADS, p ? p->heads : NAN, 1, "--heads or --model");
	out->kv_heads = tm_job_resolve(j, r, TM_P_KV_HEADS, p ? (p->kv_heads > 0 ? p->kv_heads : p->heads) : NAN, 1, NULL);
	if (isnan(out->kv_heads.v) && !isnan(out->heads.v))
		out->kv_heads = known(out->heads.v, TM_SRC_DEFAULT);   /* MHA: Megatron's default */
	out->ffn = tm_job_resolve(j, r, TM_P_FFN, p ? p->ffn : NAN, 1, "--ffn or --model");
	if (isnan(out->ffn.v) && !isnan(out->hidden.v))
		out->ffn = known(4 * out->hidden.v, TM_SRC_DEFAULT);   /* Megatron's default 4*hidden */
	out->vocab = tm_job_resolve(j, r, TM_P_VOCAB, p ? p->vocab : NAN, 1, "--vocab or --model");
	struct tm_val hd = tm_job_resolve(j, r, TM_P_HEAD_DIM, NAN, 1, NULL);

	/* MLP kind: flag/config, preset, log, default GELU */
	out->mlp_src = TM_SRC_DEFAULT;
	out->mlp = TM_MLP_GELU;
	if (j->mlp != TM_MLP_UNKNOWN)
		out->mlp = j->mlp, out->mlp_src = j->mlp_src;
	else if (p && p->mlp != TM_MLP_UNKNOWN)
		out->mlp = p->mlp, out->mlp_src = TM_SRC_PRESET;
	else if (r && r->sparams[TM_P_MLP])
		out->mlp = mlp_named(r->sparams[TM_P_MLP]), out->mlp_src = TM_SRC_LOG;

	a->layers = out->layers.v;
	a->hidden = out->hidden.v;
	a->heads = out->heads.v;
	a->kv_heads = out->kv_heads.v;
	if (have(hd.v))
		a->head_dim = hd.v;
	else if (p && out->hidden.src == TM_SRC_PRESET && out->heads.src == TM_SRC_PRESET)
		a->head_dim = p->head_dim;
	else
		a->head_dim = 0;                      /* hidden / heads */
	a->ffn = out->ffn.v;
	a->vocab = out->vocab.v;
	a->seq_len = tm_job_resolve(j, r, TM_P_SEQ_LEN, p ? p->seq_len : NAN, 0, "--seq-len").v;
	a->mlp = out->mlp;
}

enum {
	O_MODEL = 1, O_LAYERS, O_HIDDEN, O_HEADS, O_KV_HEADS, O_HEAD_DIM, O_FFN, O_VOCAB, O_SEQ_LEN,
	O_GLOBAL_BATCH, O_GPUS, O_MLP, O_MODEL_FLOPS, O_FLOPS_FORMULA, O_CAUSAL, O_NO_CAUSAL, O_RECOMPUTE,
	O_GPU, O_DTYPE, O_PEAK_TFLOPS, O_TARGET_TOKENS, O_BASIS, O_WARMUP
};

static int num_arg(const char *name, const char *arg, double *out, int positive, char *err, size_t n)
{
	double v;
	if (tm_parse_quantity(arg, &v) || (positive && !(v > 0)) || (!positive && v < 0)) {
		snprintf(err, n, "--%s: '%s' is not a %s number", name, arg, positive ? "positive" : "non-negative");
		return -1;
	}
	*out = v;
	return 0;
}

static int set_param(struct tm_job *j, const struct tm_opt *o, int p, const char *arg, enum tm_src_kind src,
		     char *err, size_t n)
{
	double v;
	if (num_arg(o->name, arg, &v, 1, err, n))
		return -1;
	j->params[p] = v;
	j->src[p] = src;
	return 0;
}

static int job_set(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src, char *err, size_t n)
{
	struct tm_job *j = base;
	int id = o->id;
	switch (id) {
	case O_MODEL: {
		const struct tm_arch *a = tm_preset_find(arg);
		if (!a) {
			snprintf(err, n, "--model: unknown preset '%s' (trainmon estimate --list shows them)", arg);
			return -1;
		}
		j->preset = a;
		j->preset_src = src;
		return 0;
	}
	case O_LAYERS: return set_param(j, o, TM_P_LAYERS, arg, src, err, n);
	case O_HIDDEN: return set_param(j, o, TM_P_HIDDEN, arg, src, err, n);
	case O_HEADS: return set_param(j, o, TM_P_HEADS, arg, src, err, n);
	case O_KV_HEADS: return set_param(j, o, TM_P_KV_HEADS, arg, src, err, n);
	case O_HEAD_DIM: return set_param(j, o, TM_P_HEAD_DIM, arg, src, err, n);
	case O_FFN: return set_param(j, o, TM_P_FFN, arg, src, err, n);
	case O_VOCAB: return set_param(j, o, TM_P_VOCAB, arg, src, err, n);
	case O_SEQ_LEN: return set_param(j, o, TM_P_SEQ_LEN, arg, src, err, n);
	case O_GLOBAL_BATCH: return set_param(j, o, TM_P_GLOBAL_BATCH, arg, src, err, n);
	case O_GPUS: return set_param(j, o, TM_P_GPUS, arg, src, err, n);
	case O_MLP:
		if (strcmp(arg, "gelu") == 0) j->mlp = TM_MLP_GELU;
		else if (strcmp(arg, "swiglu") == 0) j->mlp = TM_MLP_SWIGLU;
		else if (strcmp(arg, "geglu") == 0) j->mlp = TM_MLP_GEGLU;
		else if (strcmp(arg, "relu2") == 0) j->mlp = TM_MLP_RELU2;
		else {
			snprintf(err, n, "--mlp: '%s' is not gelu, swiglu, geglu or relu2", arg);
			return -1;
		}
		j->mlp_src = src;
		return 0;
	case O_MODEL_FLOPS:
		if (num_arg("model-flops", arg, &j->model_flops, 1, err, n))
			return -1;
		j->model_flops_src = src;
		return 0;
	case O_FLOPS_FORMULA:
		if (tm_flops_formula_parse(arg, &j->fo.formula)) {
			snprintf(err, n, "--flops-formula: '%s' is not megatron, paxml, palm, 6nd or detailed", arg);
			return -1;
		}
		j->formula_src = src;
		return 0;
	case O_CAUSAL:
	case O_NO_CAUSAL: {
		int on = !arg || strcmp(arg, "false") != 0;   /* a flag, or config true/false */
		j->fo.kappa = (id == O_CAUSAL) == on ? 0.5 : 1.0;
		return 0;
	}
	case O_RECOMPUTE:
		if (tm_recompute_parse(arg, &j->fo.recompute)) {
			snprintf(err, n, "--recompute: '%s' is not none, selective or full", arg);
			return -1;
		}
		return 0;
	case O_GPU: {
		const struct tm_gpu *g = tm_gpu_find(arg);
		if (!g) {
			snprintf(err, n, "--gpu: unknown accelerator '%s' (trainmon estimate --list-gpus shows them)", arg);
			return -1;
		}
		j->gpu = g;
		j->gpu_src = src;
		return 0;
	}
	case O_DTYPE:
		if (tm_dtype_parse(arg, &j->dtype)) {
			snprintf(err, n, "--dtype: '%s' is not fp32, tf32, bf16, fp16, fp8 or fp4", arg);
			return -1;
		}
		j->dtype_src = src;
		return 0;
	case O_PEAK_TFLOPS:
		if (num_arg("peak-tflops", arg, &j->peak_tflops, 1, err, n))
			return -1;
		j->peak_src = src;
		return 0;
	case O_TARGET_TOKENS:
		if (num_arg("target-tokens", arg, &j->target_tokens, 1, err, n))
			return -1;
		j->target_src = src;
		return 0;
	case O_BASIS:
		if (tm_basis_parse(arg, &j->basis)) {
			snprintf(err, n, "--basis: '%s' is not median, last or mean", arg);
			return -1;
		}
		return 0;
	case O_WARMUP:
		if (strcmp(arg, "auto") == 0) {
			j->warmup = NAN;
			return 0;
		}
		return num_arg("warmup", arg, &j->warmup, 0, err, n);
	default:
		snprintf(err, n, "unknown job option %d", id);
		return -1;
	}
}

#define JOB(id_, name_, arg_, help_, aliases_) \
	{ .kind = TM_OPT_CUSTOM, .name = name_, .arg = arg_, .help = help_, .set = job_set, .id = id_, .aliases = aliases_ }

static const struct tm_opt rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Job (flags win over --config, config over what the log prints):" },
	JOB(O_MODEL, "model", "PRESET", "architecture preset, e.g. gpt3-175b, llama3-8b (trainmon estimate --list)", NULL),
	JOB(O_LAYERS, "layers", "N", "transformer layers, overriding the preset and the log", "num-layers"),
	JOB(O_HIDDEN, "hidden", "N", "hidden size", "hidden-size"),
	JOB(O_HEADS, "heads", "N", "attention heads", "num-attention-heads"),
	JOB(O_KV_HEADS, "kv-heads", "N", "key/value heads (grouped-query attention)", "num-query-groups num-key-value-heads"),
	JOB(O_HEAD_DIM, "head-dim", "N", "size of one attention head (default hidden / heads)", "kv-channels"),
	JOB(O_FFN, "ffn", "N", "MLP hidden size", "ffn-hidden-size intermediate-size"),
	JOB(O_VOCAB, "vocab", "N", "vocabulary size (padded, as the embedding has it)", "vocab-size padded-vocab-size"),
	JOB(O_MLP, "mlp", "KIND", "gelu, swiglu, geglu or relu2 (default: preset, log, else gelu)", NULL),
	JOB(O_SEQ_LEN, "seq-len", "N", "tokens per sequence", "seq-length max-seq-len"),
	JOB(O_GLOBAL_BATCH, "global-batch", "N", "sequences per optimizer step", "global-batch-size"),
	JOB(O_GPUS, "gpus", "N", "accelerators in the job", "num-gpus world-size"),
	JOB(O_MODEL_FLOPS, "model-flops", "X", "model FLOPs per sequence (forward+backward), as published tables give it", NULL),
	JOB(O_FLOPS_FORMULA, "flops-formula", "F", "megatron (default), paxml, palm, 6nd or detailed", NULL),
	JOB(O_CAUSAL, "causal", NULL, "count half of the attention score matrix (causal masking)", NULL),
	JOB(O_NO_CAUSAL, "no-causal", NULL, "count all of it (default)", NULL),
	JOB(O_RECOMPUTE, "recompute", "R", "none (default), selective or full: hardware FLOPs (HFU) instead of model FLOPs", NULL),
	JOB(O_GPU, "gpu", "NAME", "accelerator for the peak, e.g. h100-sxm, a100, b200, mi300x, tpu-v5p", NULL),
	JOB(O_DTYPE, "dtype", "D", "bf16 (default), fp16, fp8, fp4, tf32, fp32", NULL),
	JOB(O_PEAK_TFLOPS, "peak-tflops", "X", "peak dense TFLOP/s per device, instead of --gpu/--dtype", NULL),
	JOB(O_TARGET_TOKENS, "target-tokens", "N", "token budget, e.g. 1T, 1e12, 300B (default: train_iters from the log)", NULL),
	JOB(O_BASIS, "basis", "B", "step time behind tokens/s, MFU and ETA: median (default), last, mean", NULL),
	JOB(O_WARMUP, "warmup", "N|auto", "steps excluded from the statistics (default auto)", NULL),
};

const struct tm_opt *tm_job_opts(size_t *n)
{
	*n = sizeof(rows) / sizeof(rows[0]);
	return rows;
}

int tm_job_set(struct tm_job *j, const char *name, const char *arg, enum tm_src_kind src, char *err, size_t n)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].name && strcmp(rows[i].name, name) == 0)
			return job_set(j, &rows[i], arg, src, err, n);
	snprintf(err, n, "--%s: no such job option", name);
	return -1;
}

const char *tm_job_needs(const char *missing)
{
	static const struct { const char *missing, *flag; } table[] = {
		{ "layers", "--layers or --model" }, { "hidden", "--hidden or --model" },
		{ "heads", "--heads or --model" }, { "ffn", "--ffn or --model" },
		{ "vocab", "--vocab or --model" }, { "seq-len", "--seq-len or --model" },
		{ "mlp", "--mlp" }, { "topk", "--topk" }, { "tied", "--tied or --untied" },
	};
	for (size_t i = 0; missing && i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].missing, missing) == 0)
			return table[i].flag;
	return "--model";
}
