/* cmd_estimate.c: `trainmon estimate`: the planning calculator (docs/estimate.md), exact.
 *
 * This file is the command: flags and the --config `estimate:`/`job:` sections into one struct
 * tm__est_in (estimate.h), then estimate_compute.c computes and estimate_text.c or estimate_json.c
 * renders. Key decision: flags win over the config, so the config is applied first and the flags
 * are replayed after it; `estimate:` keys are exactly the long option names (with '_' for '-').
 * It must not compute or format numbers (the estimate_*.c files do), and never exits (main.c
 * does).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/cmd.h"
#include "trainmon/diag.h"
#include "trainmon/jobopts.h"
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
		else if (strcmp(arg, "seed004") == 0) in->params_form = TM_PF_SEED004;
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
static int apply(struct tm__est_in *in, const struct option *lo, int id, const char *arg,
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
 * flags (applied later) win. A section reader for tm_config_load(). */
struct est_load {
	struct tm__est_in *in;
	const struct option *lo;
};

static int sec_estimate(void *ctx, const struct tm_ynode *est, const struct tm_src *srcp, struct tm_diag *d)
{
	struct tm__est_in *in = ((struct est_load *)ctx)->in;
	const struct option *lo = ((struct est_load *)ctx)->lo;
	const struct tm_src src = *srcp;
	int errors = 0;
	if (est->type != TM_Y_MAP) {
		tm_diag_error(d, &src, est->line, est->col, "'estimate' must be a mapping, not %s",
			      tm_ytype_name(est->type));
		return 1;
	}
	for (size_t i = 0; i + 1 < est->n; i += 2) {
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
	return errors;
}

static int sec_job(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	return tm_job_config_apply(&((struct est_load *)ctx)->in->job, v, src, d);
}

/* ---- help, entry point ----------------------------------------------------------------------- */

const char *cmd_estimate_help(void)
{
	return
	"usage: trainmon estimate [OPTIONS]\n"
	"Plan a run: parameters, FLOPs, training time, GPU-hours, cost, energy, memory per GPU.\n"
	"Every number is printed with its formula and where it comes from (docs/formulas.md);\n"
	"unknowns say which flag would supply them.\n\n"
	"Model and compute:\n"
	"  --params N            parameter count when the architecture is unknown (6N per token)\n"
	"  --params-form F       general (exact, default), megatron (closed form), seed004 (weights only,\n"
	"                        untied head, no biases or norms)\n"
	"  --tied, --untied, --norm layernorm|rmsnorm, --biases, --no-biases, --max-pos N,\n"
	"  --experts E, --topk K architecture details for a custom model (GELU: GPT style by default)\n"
	"  --tokens N|chinchilla training tokens (1T, 15e12), or 20 tokens per parameter\n"
	"  --steps N             optimizer steps (tokens = steps * global batch * seq-len)\n"
	"  --compute-factor K    train FLOPs = K*N*D instead of F_token*D (Kaplan's 6ND has K = 6)\n"
	"Rate and time:\n"
	"  --mfu X, --efficiency X   achieved fraction of peak, 0 < X <= 1\n"
	"  --achieved-tflops X   achieved TFLOP/s per GPU, instead of --mfu (X of Narayanan et al.)\n"
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
	"  --seed004-accounting  single-dtype memory model: weights-only count, every state and\n"
	"                        activation in W = 2 bytes, one tensor per stored activation\n"
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
	struct tm__est_in *in = tm_xcalloc(1, sizeof(*in));
	struct tm__est *e = tm_xcalloc(1, sizeof(*e));
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
			tm__est_list_presets();
		if (in->list_gpus)
			tm__est_list_gpus();
		goto out;
	}
	if (in->config) {
		struct tm_diag d;
		tm_diag_init(&d);
		static const struct tm_config_section sections[] = {
			{ "job", sec_job }, { "estimate", sec_estimate }, { "files", NULL }, { "watch", NULL },
			{ "alerts", NULL }, { "metrics", NULL },
		};
		struct est_load el = { in, lo };
		int r = tm_config_load(in->config, sections, sizeof(sections) / sizeof(sections[0]), &el, &d);
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
	tm__est_compute(in, e);
	if (in->json)
		tm__est_print_json(in, e);
	else
		tm__est_print_text(in, e);
out:
	free(e);
	free(in);
	free(pend);
	free(lo);
	return rc;
}
