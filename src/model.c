/* model.c: model presets, parameter counts and FLOPs per sequence (docs/formulas.md §2-§4;
 * § below means that file).
 *
 * Key design decision: every count is a sum of integer-valued doubles below 2^53, written in the
 * order of the docs/formulas.md formula, so the §4 parameter counts and the Paxml GPT-3 175B F_seq
 * come out exact.
 * One internal shape (struct dims) resolves the defaults (g = n_h, d_h = h/n_h, k = 1) once; each
 * formula reads only it. Unknown inputs give NAN, never a guess: tm_arch_missing() and the
 * formulas share one list of needs, so they cannot disagree. No I/O, no allocation, no globals.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "trainmon/model.h"
#include "trainmon/appendf.h"
#include "banned.h"

/* §4. gpt3-175b uses V = 51200 (NeMo, NVIDIA's recipes); mistral-7b and the
 * qwen2.5 presets train at s = 4096, NeMo's recipe length (their max context is longer). */
#define GPT2(nm, l, hh, nh)                                                                        \
	{ .name = nm, .layers = l, .hidden = hh, .heads = nh, .ffn = 4 * (hh), .vocab = 50257,    \
	  .seq_len = 1024, .max_pos = 1024, .mlp = TM_MLP_GELU, .norm = TM_NORM_LAYERNORM,        \
	  .tied = 1, .biases = 1 }
#define GPT3(nm, l, hh, nh)                                                                        \
	{ .name = nm, .layers = l, .hidden = hh, .heads = nh, .ffn = 4 * (hh), .vocab = 51200,    \
	  .seq_len = 2048, .max_pos = 2048, .mlp = TM_MLP_GELU, .norm = TM_NORM_LAYERNORM,        \
	  .tied = 1, .biases = 1, .params_form = TM_PARAMS_MEGATRON_P }
#define LLAMA(nm, l, hh, nh, g, f, v, s)                                                           \
	{ .name = nm, .layers = l, .hidden = hh, .heads = nh, .kv_heads = g, .head_dim = 128,     \
	  .ffn = f, .vocab = v, .seq_len = s, .mlp = TM_MLP_SWIGLU, .norm = TM_NORM_RMSNORM }
#define GEMMA2(nm, l, hh, nh, g, dh, f)                                                            \
	{ .name = nm, .layers = l, .hidden = hh, .heads = nh, .kv_heads = g, .head_dim = dh,      \
	  .ffn = f, .vocab = 256000, .seq_len = 8192, .mlp = TM_MLP_GEGLU,                        \
	  .norm = TM_NORM_RMSNORM, .tied = 1, .norms_per_layer = 4 }
#define NEMOTRON4(nm, l, hh, nh, dh, f)                                                            \
	{ .name = nm, .layers = l, .hidden = hh, .heads = nh, .kv_heads = 8, .head_dim = dh,      \
	  .ffn = f, .vocab = 256000, .seq_len = 4096, .mlp = TM_MLP_RELU2,                        \
	  .norm = TM_NORM_LAYERNORM }

static const struct tm_arch presets[] = {
	GPT2("gpt2", 12, 768, 12),
	GPT2("gpt2-medium", 24, 1024, 16),
	GPT2("gpt2-large", 36, 1280, 20),
	GPT2("gpt2-xl", 48, 1600, 25),
	GPT3("gpt3-126m", 12, 768, 12),
	GPT3("gpt3-5b", 24, 4096, 32),
	GPT3("gpt3-20b", 44, 6144, 48),
	GPT3("gpt3-40b", 48, 8192, 64),
	GPT3("gpt3-175b", 96, 12288, 96),
	LLAMA("llama2-7b", 32, 4096, 32, 32, 11008, 32000, 4096),
	LLAMA("llama2-13b", 40, 5120, 40, 40, 13824, 32000, 4096),
	LLAMA("llama2-70b", 80, 8192, 64, 8, 28672, 32000, 4096),
	LLAMA("llama3-8b", 32, 4096, 32, 8, 14336, 128256, 8192),
	LLAMA("llama3.1-8b", 32, 4096, 32, 8, 14336, 128256, 8192),
	LLAMA("llama3-70b", 80, 8192, 64, 8, 28672, 128256, 8192),
	LLAMA("llama3.1-70b", 80, 8192, 64, 8, 28672, 128256, 8192),
	LLAMA("llama3.1-405b", 126, 16384, 128, 8, 53248, 128256, 8192),
	LLAMA("mistral-7b", 32, 4096, 32, 8, 14336, 32000, 4096),
	{ .name = "mixtral-8x7b", .layers = 32, .hidden = 4096, .heads = 32, .kv_heads = 8,
	  .head_dim = 128, .ffn = 14336, .vocab = 32000, .seq_len = 4096, .mlp = TM_MLP_SWIGLU,
	  .norm = TM_NORM_RMSNORM, .experts = 8, .topk = 2 },
	{ .name = "mixtral-8x22b", .layers = 56, .hidden = 6144, .heads = 48, .kv_heads = 8,
	  .head_dim = 128, .ffn = 16384, .vocab = 32000, .seq_len = 65536, .mlp = TM_MLP_SWIGLU,
	  .norm = TM_NORM_RMSNORM, .experts = 8, .topk = 2 },
	{ .name = "qwen2.5-7b", .layers = 28, .hidden = 3584, .heads = 28, .kv_heads = 4,
	  .head_dim = 128, .ffn = 18944, .vocab = 152064, .seq_len = 4096, .mlp = TM_MLP_SWIGLU,
	  .norm = TM_NORM_RMSNORM, .qkv_bias = 1 },
	{ .name = "qwen2.5-72b", .layers = 80, .hidden = 8192, .heads = 64, .kv_heads = 8,
	  .head_dim = 128, .ffn = 29568, .vocab = 152064, .seq_len = 4096, .mlp = TM_MLP_SWIGLU,
	  .norm = TM_NORM_RMSNORM, .qkv_bias = 1 },
	GEMMA2("gemma2-2b", 26, 2304, 8, 4, 256, 9216),
	GEMMA2("gemma2-9b", 42, 3584, 16, 8, 256, 14336),
	GEMMA2("gemma2-27b", 46, 4608, 32, 16, 128, 36864),
	NEMOTRON4("nemotron4-15b", 32, 6144, 48, 128, 24576),
	NEMOTRON4("nemotron4-340b", 96, 18432, 96, 192, 73728),
};

const struct tm_arch *tm_preset_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcasecmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

const char *tm_mlp_name(enum tm_mlp m)
{
	switch (m) {
	case TM_MLP_GELU: return "gelu";
	case TM_MLP_RELU2: return "relu2";
	case TM_MLP_SWIGLU: return "swiglu";
	case TM_MLP_GEGLU: return "geglu";
	default: return NULL;
	}
}

const struct tm_arch *tm_preset_at(size_t i)
{
	return i < sizeof(presets) / sizeof(presets[0]) ? &presets[i] : NULL;
}

/* ---- inputs ---------------------------------------------------------------------------------- */

static int known(double x)
{
	return isfinite(x) && x > 0;
}

/* What a computation needs; each bit names one CLI input. */
enum {
	NEED_LAYERS = 1 << 0, NEED_HIDDEN = 1 << 1, NEED_HEADS = 1 << 2, NEED_FFN = 1 << 3,
	NEED_VOCAB = 1 << 4, NEED_SEQ = 1 << 5, NEED_MLP = 1 << 6, NEED_TOPK = 1 << 7,
	NEED_TIED = 1 << 8,
};

static int is_moe(const struct tm_arch *a)
{
	return known(a->experts) && a->experts > 1;
}

/* Inputs the parameter count needs. heads only matters when the attention width is not simply h. */
static unsigned params_needs(const struct tm_arch *a)
{
	unsigned n = NEED_LAYERS | NEED_HIDDEN | NEED_FFN | NEED_VOCAB | NEED_MLP | NEED_TIED;
	if (known(a->kv_heads) || known(a->head_dim))
		n |= NEED_HEADS;
	if (is_moe(a))
		n |= NEED_TOPK;
	return n;
}

static unsigned flops_needs(const struct tm_arch *a, enum tm_flops_formula f)
{
	switch (f) {
	case TM_FLOPS_PAXML:
		return NEED_LAYERS | NEED_HIDDEN | NEED_VOCAB | NEED_SEQ;
	case TM_FLOPS_MEGATRON:
		return (params_needs(a) & ~(unsigned)NEED_TIED) | NEED_SEQ;
	case TM_FLOPS_PALM:
	case TM_FLOPS_6ND:
		return params_needs(a) | NEED_SEQ;
	case TM_FLOPS_DETAILED:
		return (params_needs(a) & ~(unsigned)NEED_TIED) | NEED_SEQ | NEED_HEADS;
	}
	return 0;
}

/* First missing input among needs, in the documented order, or NULL. */
static const char *first_missing(const struct tm_arch *a, unsigned needs)
{
	if ((needs & NEED_LAYERS) && !known(a->layers))
		return "layers";
	if ((needs & NEED_HIDDEN) && !known(a->hidden))
		return "hidden";
	if ((needs & NEED_HEADS) && !known(a->heads))
		return "heads";
	if ((needs & NEED_FFN) && !known(a->ffn))
		return "ffn";
	if ((needs & NEED_VOCAB) && !known(a->vocab))
		return "vocab";
	if ((needs & NEED_SEQ) && !known(a->seq_len))
		return "seq-len";
	if ((needs & NEED_MLP) && a->mlp == TM_MLP_UNKNOWN)
		return "mlp";
	if ((needs & NEED_TOPK) && !known(a->topk))
		return "topk";
	if ((needs & NEED_TIED) && a->tied < 0)
		return "tied";
	return NULL;
}

static const struct tm_flops_opts default_opts = { .formula = TM_FLOPS_MEGATRON, .kappa = 1 };

static const struct tm_flops_opts *opts_or_default(const struct tm_flops_opts *o)
{
	return o ? o : &default_opts;
}

static double kappa_of(const struct tm_flops_opts *o)
{
	return known(o->kappa) ? o->kappa : 1.0;
}

const char *tm_arch_missing(const struct tm_arch *a, const struct tm_flops_opts *o)
{
	o = opts_or_default(o);
	if (!a)
		return "layers";
	return first_missing(a, flops_needs(a, o->formula));
}

/* The shape with defaults resolved. Widths are computed without dividing when possible, so that
 * MHA counts stay exact whatever h/n_h is. */
struct dims {
	double L, h, n_h, F, V, s, pos;
	double q;        /* n_h*d_h: query and output-projection width */
	double kv;       /* g*d_h: key (and value) width */
	double m;        /* MLP matrices: 2 non-gated, 3 gated */
	double E, k;     /* experts (1 = dense) and experts per token */
	double norm_p;   /* parameters per norm */
	double norms;    /* norms per layer */
};

static struct dims dims_of(const struct tm_arch *a)
{
	struct dims d;
	d.L = a->layers;
	d.h = a->hidden;
	d.n_h = a->heads;
	d.F = a->ffn;
	d.V = a->vocab;
	d.s = a->seq_len;
	d.pos = known(a->max_pos) ? a->max_pos : 0;
	double dh = known(a->head_dim) ? a->head_dim : known(d.n_h) ? d.h / d.n_h : NAN;
	d.q = known(a->head_dim) ? d.n_h * a->head_dim : d.h;
	d.kv = known(a->kv_heads) ? a->kv_heads * dh : d.q;
	d.m = (a->mlp == TM_MLP_SWIGLU || a->mlp == TM_MLP_GEGLU) ? 3 : 2;
	d.E = is_moe(a) ? a->experts : 1;
	d.k = is_moe(a) ? a->topk : 1;
	d.norm_p = a->norm == TM_NORM_LAYERNORM ? 2 * d.h : d.h;
	d.norms = a->norms_per_layer > 0 ? a->norms_per_layer : 2;
	return d;
}

/* ---- parameters (§3) ------------------------------------------------------------------------- */

/* Parameters of one layer with e experts' MLPs. */
static double layer_params(const struct tm_arch *a, const struct dims *d, double e)
{
	double p = 2 * d->h * d->q + 2 * d->h * d->kv;        /* q, o; k, v */
	p += e * d->m * d->h * d->F;                          /* MLP matrices */
	if (a->biases)                                        /* q/k/v, o, up (and gate), down */
		p += (d->q + 2 * d->kv) + d->h + e * ((d->m - 1) * d->F + d->h);
	else if (a->qkv_bias)
		p += d->q + 2 * d->kv;
	p += d->norms * d->norm_p;
	if (d->E > 1)
		p += d->h * d->E;                             /* router */
	return p;
}

double tm_params_total(const struct tm_arch *a)
{
	if (!a || first_missing(a, params_needs(a)))
		return NAN;
	struct dims d = dims_of(a);
	double n = d.L * layer_params(a, &d, d.E);
	n += (a->tied ? 1 : 2) * d.V * d.h + d.pos * d.h;
	if (a->params_form != TM_PARAMS_MEGATRON_P)
		n += d.norm_p;                                /* final norm */
	return n;
}

double tm_params_active(const struct tm_arch *a)
{
	double n = tm_params_total(a);
	if (isnan(n) || !is_moe(a))
		return n;
	struct dims d = dims_of(a);
	double e = d.m * d.h * d.F + (a->biases ? (d.m - 1) * d.F + d.h : 0);
	return n - d.L * e * (d.E - d.k);
}

double tm_params_megatron(const struct tm_arch *a)
{
	if (!a || !known(a->layers) || !known(a->hidden) || !known(a->vocab))
		return NAN;
	double s = known(a->seq_len) ? a->seq_len : a->max_pos;
	if (!known(s))
		return NAN;
	double L = a->layers, h = a->hidden;
	return 12 * L * h * h + 13 * L * h + (a->vocab + s) * h;
}

int tm_params_parts(const struct tm_arch *a, struct tm_params_parts *out)
{
	double total = tm_params_total(a);
	if (isnan(total)) {
		*out = (struct tm_params_parts){ NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
		return -1;
	}
	struct dims d = dims_of(a);
	out->embedding = d.V * d.h;
	out->position = d.pos * d.h;
	out->attention = 2 * d.h * d.q + 2 * d.h * d.kv;
	out->mlp = d.E * d.m * d.h * d.F;
	if (a->biases) {
		out->attention += (d.q + 2 * d.kv) + d.h;
		out->mlp += d.E * ((d.m - 1) * d.F + d.h);
	} else if (a->qkv_bias) {
		out->attention += d.q + 2 * d.kv;
	}
	out->router = d.E > 1 ? d.h * d.E : 0;
	out->norms = d.norms * d.norm_p;
	out->layer = out->attention + out->mlp + out->router + out->norms;
	out->layers = d.L * out->layer;
	out->final_norm = a->params_form == TM_PARAMS_MEGATRON_P ? 0 : d.norm_p;
	out->lm_head = a->tied ? 0 : d.V * d.h;
	out->total = total;
	return 0;
}

int tm_params_parts_weights_only(const struct tm_arch *a, struct tm_params_parts *out)
{
	/* §3 weights only, untied head: V*h + s_ctx*h + L*(4h^2 + 2*h*F) + h*V; attention widths and m
	 * generalised */
	if (!a || first_missing(a, params_needs(a) & ~(unsigned)NEED_TIED)) {
		*out = (struct tm_params_parts){ NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
		return -1;
	}
	struct dims d = dims_of(a);
	double ctx = known(a->max_pos) ? (known(d.s) ? d.s : d.pos) : 0;
	out->embedding = d.V * d.h;
	out->position = ctx * d.h;
	out->attention = 2 * d.h * d.q + 2 * d.h * d.kv;
	out->mlp = d.E * d.m * d.h * d.F;
	out->router = out->norms = out->final_norm = 0;
	out->layer = out->attention + out->mlp;
	out->layers = d.L * out->layer;
	out->lm_head = d.h * d.V;
	out->total = out->embedding + out->position + out->layers + out->lm_head;
	return 0;
}

double tm_params_weights_only(const struct tm_arch *a)
{
	struct tm_params_parts p;
	return tm_params_parts_weights_only(a, &p) == 0 ? p.total : NAN;
}

/* N minus the input embedding (kept if tied) and the position table: PaLM/torchtitan's N (§2.6),
 * active parameters for MoE. */
static double params_palm(const struct tm_arch *a, const struct dims *d)
{
	return tm_params_active(a) - (a->tied ? 0 : d->V * d->h) - d->pos * d->h;
}

/* ---- FLOPs (§2) ------------------------------------------------------------------------------ */

int tm_flops_formula_parse(const char *s, enum tm_flops_formula *out)
{
	static const struct { const char *name; enum tm_flops_formula f; } names[] = {
		{ "megatron", TM_FLOPS_MEGATRON }, { "paxml", TM_FLOPS_PAXML },
		{ "gpt3", TM_FLOPS_PAXML },        { "palm", TM_FLOPS_PALM },
		{ "6nd", TM_FLOPS_6ND },           { "detailed", TM_FLOPS_DETAILED },
	};
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].f;
			return 0;
		}
	}
	return -1;
}

const char *tm_flops_formula_name(enum tm_flops_formula f)
{
	switch (f) {
	case TM_FLOPS_MEGATRON: return "megatron";
	case TM_FLOPS_PAXML:    return "paxml";
	case TM_FLOPS_PALM:     return "palm";
	case TM_FLOPS_6ND:      return "6nd";
	case TM_FLOPS_DETAILED: return "detailed";
	}
	return "unknown";
}

int tm_recompute_parse(const char *s, int *out)
{
	static const char *const names[] = { "none", "selective", "full" };
	for (int i = 0; s && i < 3; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

const char *tm_recompute_name(int recompute)
{
	switch (recompute) {
	case 0: return "none";
	case 1: return "selective";
	case 2: return "full";
	}
	return "unknown";
}

int tm_flops_detail(const struct tm_arch *a, const struct tm_flops_opts *o, double adamw_params,
		    struct tm_flops_detail *out)
{
	o = opts_or_default(o);
	if (!a || first_missing(a, flops_needs(a, TM_FLOPS_DETAILED))) {
		*out = (struct tm_flops_detail){ NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN,
						  NAN, NAN, NAN, NAN, NAN };
		return -1;
	}
	struct dims d = dims_of(a);
	double kap = kappa_of(o), s = d.s, h = d.h;
	if (!known(adamw_params))
		adamw_params = tm_params_total(a);
	out->norm = (3 * h + 2) * s;
	out->qkv = 2 * s * h * (d.q + 2 * d.kv);
	out->scores = 2 * kap * s * s * d.q;
	out->softmax = 5 * kap * s * s * d.n_h;
	out->pv = 2 * kap * s * s * d.q;
	out->out_proj = 2 * s * d.q * h;
	out->attention = out->qkv + out->scores + out->softmax + out->pv + out->out_proj;
	double act = d.m == 3 ? 6 * s * d.F : 5 * s * d.F;
	out->ffn = d.k * (2 * d.m * s * h * d.F + act) + (d.E > 1 ? 2 * s * h * d.E : 0);
	out->block = d.norms * out->norm + out->attention + out->ffn;
	out->blocks = d.L * out->block;
	out->lm_head = 2 * s * h * d.V;
	out->forward = out->blocks + out->norm + out->lm_head;
	out->backward = 2 * out->forward;
	out->adamw = 16 * adamw_params;
	out->total = out->forward + out->backward + out->adamw;
	return 0;
}

/* Model FLOPs of one sequence split into the layers and the logit GEMM, plus the attention-core
 * part of the layers (what selective recompute counts again). */
struct split {
	double layers, logits, attn_core;
};

static struct split flops_split(const struct tm_arch *a, const struct tm_flops_opts *o)
{
	struct dims d = dims_of(a);
	double kap = kappa_of(o), s = d.s;
	struct split r = { 0, 0, 0 };
	switch (o->formula) {
	case TM_FLOPS_MEGATRON:
		/* §2.1: L*(12*h*(q + kv) + 12*kappa*s*q + 6*m*h*F*k) + 6*h*V per token */
		r.attn_core = s * d.L * (12 * kap * s * d.q);
		r.layers = s * d.L * (12 * d.h * (d.q + d.kv) + 6 * d.m * d.h * d.F * d.k) + r.attn_core;
		r.logits = s * (6 * d.h * d.V);
		break;
	case TM_FLOPS_PAXML:
		/* §2.2: s*(72*L*h^2 + 12*L*h*s*kappa + 6*V*h) */
		r.attn_core = s * (12 * d.L * d.h * s * kap);
		r.layers = s * (72 * d.L * d.h * d.h) + r.attn_core;
		r.logits = s * (6 * d.V * d.h);
		break;
	case TM_FLOPS_PALM:
		/* §2.6: 6*N_nonemb + 12*L*n_h*d_h*s*kappa; N_nonemb always holds the logit matrix */
		r.attn_core = s * (12 * d.L * d.q * s * kap);
		r.logits = s * (6 * d.V * d.h);
		r.layers = s * (6 * params_palm(a, &d)) - r.logits + r.attn_core;
		break;
	case TM_FLOPS_6ND: {
		/* §2.10: 6*N; no attention term, so nothing for selective recompute */
		double n = tm_params_active(a);
		int head = 1;
		if (o->params_nonemb) {
			n -= d.V * d.h + d.pos * d.h;
			head = !a->tied;
		}
		r.logits = head ? s * (6 * d.V * d.h) : 0;
		r.layers = s * (6 * n) - r.logits;
		break;
	}
	case TM_FLOPS_DETAILED: {
		struct tm_flops_detail t;
		(void)tm_flops_detail(a, o, 0, &t);
		r.attn_core = 3 * d.L * (t.scores + t.softmax + t.pv);
		r.logits = 3 * t.lm_head;
		r.layers = 3 * (t.blocks + t.norm);
		break;
	}
	}
	return r;
}

double tm_flops_per_seq(const struct tm_arch *a, const struct tm_flops_opts *o)
{
	o = opts_or_default(o);
	if (!a || first_missing(a, flops_needs(a, o->formula)))
		return NAN;
	struct split r = flops_split(a, o);
	double f = r.layers + r.logits;
	if (o->recompute == 1)
		f += r.attn_core;
	else if (o->recompute == 2)
		f += r.layers / 3;
	return f;
}

/* ---- description ----------------------------------------------------------------------------- */


void tm_flops_describe(const struct tm_arch *a, const struct tm_flops_opts *o, char *buf, size_t n)
{
	size_t pos = 0;
	if (!buf || n == 0)
		return;
	buf[0] = '\0';
	o = opts_or_default(o);
	double kap = kappa_of(o);
	const char *kname = kap == 1 ? "non-causal" : kap == 0.5 ? "causal" : "custom";
	int moe = a && is_moe(a);
	tm_appendf(buf, n, &pos, "%s: ", tm_flops_formula_name(o->formula));
	switch (o->formula) {
	case TM_FLOPS_MEGATRON:
		tm_appendf(buf, n, &pos, "6*N_mm + 12*kappa*s*n_h*d_h per token, kappa=%g (%s), "
		       "logit GEMM counted, input embedding, norms and biases not counted%s", kap, kname,
		       moe ? ", top-k experts without router" : "");
		break;
	case TM_FLOPS_PAXML:
		tm_appendf(buf, n, &pos, "s*(72*L*h^2 + 12*kappa*L*h*s + 6*V*h) per sequence (MHA, F=4h, "
		       "non-gated assumed), kappa=%g (%s), logit GEMM counted, input embedding not counted",
		       kap, kname);
		break;
	case TM_FLOPS_PALM:
		tm_appendf(buf, n, &pos, "6*N + 12*kappa*L*n_h*d_h*s per token, kappa=%g (%s), N = %s "
		       "parameters minus the input embedding (kept if tied) and position table", kap,
		       kname, moe ? "active" : "all");
		break;
	case TM_FLOPS_6ND:
		tm_appendf(buf, n, &pos, "6*N per token, N = %s, no attention term (kappa ignored)",
		       o->params_nonemb ? "parameters minus input embedding and position table"
		       : moe ? "active parameters" : "all parameters");
		break;
	case TM_FLOPS_DETAILED:
		tm_appendf(buf, n, &pos, "per-operation count (norms, QKV, scores, softmax, P*V, output "
		       "projection, MLP and activation, LM head), backward = 2x forward, kappa=%g (%s), "
		       "AdamW not counted", kap, kname);
		break;
	}
	if (a && known(a->vocab) && o->formula != TM_FLOPS_6ND)
		tm_appendf(buf, n, &pos, ", V=%.0f", a->vocab);
	switch (o->recompute) {
	case 1:
		tm_appendf(buf, n, &pos, ", selective recompute (attention core counted twice: hardware "
		       "FLOPs, HFU)");
		break;
	case 2:
		tm_appendf(buf, n, &pos, ", full recompute (layer FLOPs x4/3: hardware FLOPs, HFU)");
		break;
	default:
		tm_appendf(buf, n, &pos, ", no recompute (model FLOPs, MFU)");
		break;
	}
}
