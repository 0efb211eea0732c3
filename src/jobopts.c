/* jobopts.c: job flags and the config file's `job:` section (see jobopts.h).
 *
 * The option table below is the single list of job settings: getopt_long entries, config keys and
 * help lines all come from it. Parsing is strict and every error names the flag or config key.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainmon/gpu.h"
#include "trainmon/io.h"
#include "trainmon/jobopts.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "vocab.h"
#include "banned.h"

enum {
	O_MODEL = TM_OPT_JOB_FIRST, O_LAYERS, O_HIDDEN, O_HEADS, O_KV_HEADS, O_HEAD_DIM, O_FFN, O_VOCAB,
	O_SEQ_LEN, O_GLOBAL_BATCH, O_GPUS, O_MLP, O_MODEL_FLOPS, O_FLOPS_FORMULA, O_CAUSAL, O_NO_CAUSAL,
	O_RECOMPUTE, O_GPU, O_DTYPE, O_PEAK_TFLOPS, O_TARGET_TOKENS, O_BASIS, O_WARMUP, O_END
};

static const struct option longopts[] = {
	{ "model", required_argument, NULL, O_MODEL },
	{ "layers", required_argument, NULL, O_LAYERS },
	{ "hidden", required_argument, NULL, O_HIDDEN },
	{ "heads", required_argument, NULL, O_HEADS },
	{ "kv-heads", required_argument, NULL, O_KV_HEADS },
	{ "head-dim", required_argument, NULL, O_HEAD_DIM },
	{ "ffn", required_argument, NULL, O_FFN },
	{ "vocab", required_argument, NULL, O_VOCAB },
	{ "seq-len", required_argument, NULL, O_SEQ_LEN },
	{ "global-batch", required_argument, NULL, O_GLOBAL_BATCH },
	{ "gpus", required_argument, NULL, O_GPUS },
	{ "mlp", required_argument, NULL, O_MLP },
	{ "model-flops", required_argument, NULL, O_MODEL_FLOPS },
	{ "flops-formula", required_argument, NULL, O_FLOPS_FORMULA },
	{ "causal", no_argument, NULL, O_CAUSAL },
	{ "no-causal", no_argument, NULL, O_NO_CAUSAL },
	{ "recompute", required_argument, NULL, O_RECOMPUTE },
	{ "gpu", required_argument, NULL, O_GPU },
	{ "dtype", required_argument, NULL, O_DTYPE },
	{ "peak-tflops", required_argument, NULL, O_PEAK_TFLOPS },
	{ "target-tokens", required_argument, NULL, O_TARGET_TOKENS },
	{ "basis", required_argument, NULL, O_BASIS },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ NULL, 0, NULL, 0 },
};

const struct option *tm_job_longopts(void) { return longopts; }
size_t tm_job_nlongopts(void) { return sizeof(longopts) / sizeof(longopts[0]) - 1; }

const char *tm_job_help(void)
{
	return
	"Job (flags win over --config, config over what the log prints):\n"
	"  --model PRESET        architecture preset, e.g. gpt3-175b, llama3-8b (trainmon estimate --list)\n"
	"  --layers N --hidden N --heads N --kv-heads N --head-dim N --ffn N --vocab N\n"
	"                        architecture, overriding the preset and the log\n"
	"  --mlp KIND            gelu, swiglu, geglu or relu2 (default: preset, log, else gelu)\n"
	"  --seq-len N           tokens per sequence\n"
	"  --global-batch N      sequences per optimizer step\n"
	"  --gpus N              accelerators in the job\n"
	"  --model-flops X       model FLOPs per sequence (forward+backward), as published tables give it\n"
	"  --flops-formula F     megatron (default), paxml, palm, 6nd or detailed\n"
	"  --causal, --no-causal count half (causal) or all (default) of the attention score matrix\n"
	"  --recompute R         none (default), selective or full: hardware FLOPs (HFU) instead of model FLOPs\n"
	"  --gpu NAME            accelerator for the peak, e.g. h100-sxm, a100, b200, mi300x, tpu-v5p\n"
	"  --dtype D             bf16 (default), fp16, fp8, fp4, tf32, fp32\n"
	"  --peak-tflops X       peak dense TFLOP/s per device, instead of --gpu/--dtype\n"
	"  --target-tokens N     token budget, e.g. 1T, 1e12, 300B (default: train_iters from the log)\n"
	"  --basis B             step time behind tokens/s, MFU and ETA: median (default), last, mean\n"
	"  --warmup N|auto       steps excluded from the statistics (default auto)\n";
}

int tm_parse_quantity(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -1;
	double mult = 1;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mult = 1e3; break;
		case 'M': mult = 1e6; break;
		case 'B': case 'G': mult = 1e9; break;
		case 'T': mult = 1e12; break;
		case 'P': mult = 1e15; break;
		default: return -1;
		}
		end++;
		if (*end)
			return -1;
	}
	*out = v * mult;
	return 0;
}

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

static const char *opt_name(int id)
{
	for (size_t i = 0; longopts[i].name; i++)
		if (longopts[i].val == id)
			return longopts[i].name;
	return "?";
}

static int set_param(struct tm_job *j, int p, const char *arg, enum tm_src_kind src, int id, char *err, size_t n)
{
	double v;
	if (num_arg(opt_name(id), arg, &v, 1, err, n))
		return -1;
	j->params[p] = v;
	j->src[p] = src;
	return 0;
}

int tm_job_option(struct tm_job *j, int id, const char *arg, enum tm_src_kind src, char *err, size_t n)
{
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
	case O_LAYERS: return set_param(j, TM_P_LAYERS, arg, src, id, err, n);
	case O_HIDDEN: return set_param(j, TM_P_HIDDEN, arg, src, id, err, n);
	case O_HEADS: return set_param(j, TM_P_HEADS, arg, src, id, err, n);
	case O_KV_HEADS: return set_param(j, TM_P_KV_HEADS, arg, src, id, err, n);
	case O_HEAD_DIM: return set_param(j, TM_P_HEAD_DIM, arg, src, id, err, n);
	case O_FFN: return set_param(j, TM_P_FFN, arg, src, id, err, n);
	case O_VOCAB: return set_param(j, TM_P_VOCAB, arg, src, id, err, n);
	case O_SEQ_LEN: return set_param(j, TM_P_SEQ_LEN, arg, src, id, err, n);
	case O_GLOBAL_BATCH: return set_param(j, TM_P_GLOBAL_BATCH, arg, src, id, err, n);
	case O_GPUS: return set_param(j, TM_P_GPUS, arg, src, id, err, n);
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
		return 0;
	case O_CAUSAL: j->fo.kappa = 0.5; return 0;
	case O_NO_CAUSAL: j->fo.kappa = 1.0; return 0;
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

/* Applies a `job:` mapping; used by the config loaders of analyze and watch. */
int tm_job_config_apply(struct tm_job *j, const struct tm_ynode *job, const struct tm_src *src,
			struct tm_diag *d)
{
	int errors = 0;
	if (job->type != TM_Y_MAP)
		return tm_diag_error(d, src, job->line, job->col, "'job' must be a mapping, not %s",
				     tm_ytype_name(job->type)), 1;
	for (size_t i = 0; i + 1 < job->n; i += 2) {
		const struct tm_ynode *k = job->kids[i], *v = job->kids[i + 1];
		if (k->type != TM_Y_SCALAR) {
			tm_diag_error(d, src, k->line, k->col, "job: keys must be strings");
			errors++;
			continue;
		}
		char flag[64];
		snprintf(flag, sizeof(flag), "%s", k->str);
		for (char *p = flag; *p; p++)
			if (*p == '_')
				*p = '-';
		int id = -1;
		const char *names[40];
		size_t nn = 0;
		for (size_t o = 0; longopts[o].name; o++) {
			if (strcmp(longopts[o].name, flag) == 0)
				id = longopts[o].val;
			if (nn < 40)
				names[nn++] = longopts[o].name;
		}
		if (id < 0) {
			const char *hint = tm_did_you_mean(flag, names, nn);
			if (hint)
				tm_diag_error(d, src, k->line, k->col, "job: unknown key '%s' (did you mean '%s'?)",
					      k->str, hint);
			else
				tm_diag_error(d, src, k->line, k->col, "job: unknown key '%s'", k->str);
			errors++;
			continue;
		}
		const char *arg = NULL;
		if (v->type == TM_Y_SCALAR)
			arg = v->str;
		if (id == O_CAUSAL || id == O_NO_CAUSAL) {
			if (!arg || (strcmp(arg, "true") && strcmp(arg, "false"))) {
				tm_diag_error(d, src, v->line, v->col, "job: '%s' must be true or false", k->str);
				errors++;
				continue;
			}
			int on = strcmp(arg, "true") == 0;
			j->fo.kappa = (id == O_CAUSAL) == on ? 0.5 : 1.0;
			continue;
		}
		if (!arg) {
			tm_diag_error(d, src, v->line, v->col, "job: '%s' must be a scalar, not %s", k->str,
				      tm_ytype_name(v->type));
			errors++;
			continue;
		}
		char err[256];
		if (tm_job_option(j, id, arg, TM_SRC_CONFIG, err, sizeof(err))) {
			/* "--gpus: ..." reads as "gpus: ..." in a config file */
			tm_diag_error(d, src, v->line, v->col, "job: %s", err + 2);
			errors++;
		}
	}
	return errors;
}

int tm_config_load(const char *path, const struct tm_config_section *sections, size_t n, void *ctx,
		   struct tm_diag *d)
{
	char *buf;
	size_t len;
	struct tm_src src = { path, NULL, 0 };
	int rc = tm_read_small_file(path, 4u << 20, &buf, &len);
	if (rc < 0) {
		tm_diag_error(d, &src, 0, 0, "cannot read config: %s", strerror(-rc));
		return rc;
	}
	src.buf = buf;
	src.len = len;
	int empty, errors = 0;
	struct tm_ynode *root = tm_yaml_parse(&src, d, &empty);
	if (!root) {
		free(buf);
		return empty ? 0 : 1;
	}
	if (root->type != TM_Y_MAP) {
		tm_diag_error(d, &src, root->line, root->col, "a config file must be a mapping, not %s",
			      tm_ytype_name(root->type));
		errors++;
	}
	for (size_t i = 0; root->type == TM_Y_MAP && i + 1 < root->n; i += 2) {
		const struct tm_ynode *k = root->kids[i];
		const char *key = k->type == TM_Y_SCALAR ? k->str : "?";
		size_t s;
		for (s = 0; s < n; s++)
			if (strcmp(sections[s].name, key) == 0)
				break;
		if (s < n) {
			if (sections[s].apply)
				errors += sections[s].apply(ctx, root->kids[i + 1], &src, d);
			continue;
		}
		const char *names[16];
		size_t nn = 0;
		for (size_t q = 0; q < n && nn < 16; q++)
			names[nn++] = sections[q].name;
		const char *hint = tm_did_you_mean(key, names, nn);
		if (hint)
			tm_diag_error(d, &src, k->line, k->col, "unknown top-level key '%s' (did you mean '%s'?)", key, hint);
		else
			tm_diag_error(d, &src, k->line, k->col,
				      "unknown top-level key '%s' (expected job, files, watch, alerts, metrics or estimate)", key);
		errors++;
	}
	tm_ynode_free(root);
	free(buf);
	return errors;
}

static int apply_job(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	return tm_job_config_apply(ctx, v, src, d);
}

int tm_job_config_load(struct tm_job *j, const char *path, struct tm_diag *d)
{
	static const struct tm_config_section sections[] = {
		{ "job", apply_job }, { "files", NULL }, { "watch", NULL }, { "alerts", NULL },
		{ "metrics", NULL }, { "estimate", NULL },
	};
	return tm_config_load(path, sections, sizeof(sections) / sizeof(sections[0]), j, d);
}
