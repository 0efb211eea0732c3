/* model.h: model architectures, named presets, parameter counts and FLOPs conventions.
 *
 * One source of truth for `analyze` (MFU) and `estimate` (planning). Every formula here restates a
 * section of docs/formulas.md (cited next to each function as §N.M) and is unit-tested against
 * published values. All functions are pure: no I/O, no allocation, no globals. A quantity that
 * cannot be computed because an input is unknown comes back as NAN (never a guessed number);
 * callers report it as unknown and name the missing input with tm_arch_missing().
 */
#ifndef TRAINMON_MODEL_H
#define TRAINMON_MODEL_H

#include <stddef.h>

enum tm_mlp {                 /* MLP kind: how many weight matrices (notation m, gamma of §2.1) */
	TM_MLP_UNKNOWN = 0,
	TM_MLP_GELU,          /* 2 matrices, non-gated (GPT-2/3) */
	TM_MLP_RELU2,         /* 2 matrices, squared ReLU (Nemotron-4) */
	TM_MLP_SWIGLU,        /* 3 matrices, gated (Llama, Mistral, Qwen) */
	TM_MLP_GEGLU,         /* 3 matrices, gated (Gemma-2) */
};

/* The MLP's key as JSON output spells it ("gelu", "relu2", "swiglu", "geglu"), NULL unknown. */
const char *tm_mlp_name(enum tm_mlp m);

enum tm_norm { TM_NORM_UNKNOWN = 0, TM_NORM_LAYERNORM, TM_NORM_RMSNORM };

/* Parameter-count form (§3). The general form adds up the fields of struct tm_arch:
 * attention weights, MLP weights (per expert, plus an h*E router), q/k/v biases (qkv_bias) or
 * GPT-style biases on every linear layer (biases), norms (2h each for LayerNorm with bias, h for
 * RMSNorm, or for an unknown norm), token embedding (doubled when untied), learned position table
 * (max_pos*h) and the final norm. It is the GPT-2 exact count for GPT-2, the LLaMA count for LLaMA,
 * Qwen, Gemma-2, Mistral and Mixtral, and the Nemotron-4 count. TM_PARAMS_MEGATRON_P drops the
 * final norm, as the Megatron paper's P does (the gpt3-* presets). */
enum tm_params_form { TM_PARAMS_GENERAL = 0, TM_PARAMS_MEGATRON_P };

/* A transformer's shape. Every count is a double so formulas need no casts; 0 (or NAN) means
 * unknown. Counts are exact integers below 2^53. */
struct tm_arch {
	const char *name;     /* borrowed: preset name or NULL */
	double layers;        /* L */
	double hidden;        /* h, d_model */
	double heads;         /* n_h, query heads */
	double kv_heads;      /* g, key/value heads (GQA); 0 = same as heads */
	double head_dim;      /* d_h; 0 = hidden / heads */
	double ffn;           /* F, MLP hidden size (per expert for MoE) */
	double vocab;         /* V, as used by the logit GEMM (padded where the source pads) */
	double seq_len;       /* s, training sequence length in tokens */
	double max_pos;       /* learned position embeddings (GPT-2/3: context length); 0 = none (RoPE) */
	enum tm_mlp mlp;
	enum tm_norm norm;
	int tied;             /* 1 input embedding shared with the LM head, 0 untied, -1 unknown */
	int qkv_bias;         /* 1: q/k/v biases (Qwen2.5) */
	int biases;           /* 1: GPT-style biases on every linear layer */
	int norms_per_layer;  /* 2 usually, 4 for Gemma-2; 0 = 2 */
	double experts;       /* E, routed experts; 0 or 1 = dense */
	double topk;          /* k, experts per token */
	/* keep at the end so positional initialisers stay valid: */
	enum tm_params_form params_form; /* which §3 count tm_params_total() uses; 0 = general form */
};

/* Named presets of §4 (lower case, e.g. "gpt3-175b", "llama3.1-405b").
 * Returns a borrowed pointer to static const data, or NULL. */
const struct tm_arch *tm_preset_find(const char *name);
/* i-th preset, NULL past the end (for `--help` and `estimate --list`). */
const struct tm_arch *tm_preset_at(size_t i);

/* FLOPs conventions, §2.13. */
enum tm_flops_formula {
	TM_FLOPS_MEGATRON = 0, /* §2.1 dense/GQA/SwiGLU/MoE form (default) */
	TM_FLOPS_PAXML,        /* §2.2 s*(72*L*h^2 + 12*L*h*s*kappa + 6*V*h) */
	TM_FLOPS_PALM,         /* §2.6 6*N_nonemb + 12*L*n_h*d_h*s*kappa */
	TM_FLOPS_6ND,          /* §2.10 6*N per token */
	TM_FLOPS_DETAILED,     /* §2.11 per-operation count */
};

struct tm_flops_opts {
	enum tm_flops_formula formula;
	double kappa;          /* 1 = full score matrix (default), 0.5 = causal */
	int recompute;         /* 0 none, 1 selective, 2 full: hardware FLOPs (HFU) only */
	int params_nonemb;     /* 6nd only: 1 = N minus the input embedding and the position table
	                        * (for a tied model that drops the shared matrix too: Kaplan's
	                        * non-embedding N); 0 = N (active parameters for MoE) */
};

/* Notes on struct tm_flops_opts, as model.c reads it:
 *  - kappa 0 (a zeroed struct) or NAN means the default 1.
 *  - recompute: full adds one more forward of the layers (layer FLOPs x 4/3, the logit GEMM is not
 *    recomputed: the 96-form of §2.3); selective counts the attention-core term twice, as
 *    Korthikanti et al. eq. 9 does (72-form with s/(3h) instead of s/(6h)); 6nd has no attention
 *    term, so selective changes nothing there.
 *  - MoE: megatron and paxml count k experts and no router GEMM (Megatron-LM, NeMo: NeMo's tests
 *    pin this); palm and 6nd use the active parameters, router included (torchtitan).
 *  - An unknown MLP kind (TM_MLP_UNKNOWN) is a missing input ("mlp"), never guessed; an unknown
 *    norm counts h parameters per norm (below 1e-5 of N for any real model). */

/* Parses "megatron", "paxml" (alias "gpt3"), "palm", "6nd", "detailed" (case-insensitive);
 * returns 0 or -1. */
int tm_flops_formula_parse(const char *s, enum tm_flops_formula *out);
const char *tm_flops_formula_name(enum tm_flops_formula f);

/* Model FLOPs of one sequence, forward + backward (§2), NAN if an input is missing.
 * With o->recompute != 0 the result is hardware FLOPs (the HFU numerator). o NULL = defaults. */
double tm_flops_per_seq(const struct tm_arch *a, const struct tm_flops_opts *o);

/* "none", "selective", "full" -> 0, 1, 2 (case-insensitive); returns 0 or -1. */
int tm_recompute_parse(const char *s, int *out);
const char *tm_recompute_name(int recompute);

/* The per-operation forward count of one sequence (batch 1), §2.11.
 * GPT-2-like layer generalised: q/k/v and output widths n_h*d_h and g*d_h, m MLP matrices of k
 * experts (plus a 2*s*h*E router GEMM for MoE), 5 FLOPs per activation element and, when gated,
 * 1 more for the gate product. The s^2 terms (scores, softmax, pv) are scaled by kappa. */
struct tm_flops_detail {
	double norm;          /* one norm: (3h + 2)*s */
	double qkv;           /* 2*s*h*(n_h*d_h + 2*g*d_h)   (6*s*h^2 for MHA) */
	double scores;        /* Q K^T: 2*kappa*s^2*n_h*d_h */
	double softmax;       /* 5*kappa*s^2*n_h */
	double pv;            /* P V: 2*kappa*s^2*n_h*d_h */
	double out_proj;      /* 2*s*n_h*d_h*h */
	double attention;     /* qkv + scores + softmax + pv + out_proj (norms not included) */
	double ffn;           /* k*(2*m*s*h*F + 5*s*F [+ s*F gated]) [+ 2*s*h*E router] */
	double block;         /* norms_per_layer*norm + attention + ffn */
	double blocks;        /* L*block */
	double lm_head;       /* 2*s*h*V */
	double forward;       /* blocks + final norm + lm_head */
	double backward;      /* 2*forward */
	double adamw;         /* 16*adamw_params: once per optimizer step, not per sequence */
	double total;         /* forward + backward + adamw: one step at batch 1 */
};
/* Fills *out for a (kappa from o; o NULL = defaults; o->recompute is ignored here). adamw_params is
 * the parameter count the optimizer updates; 0 or NAN = tm_params_total(a) (the single-dtype
 * accounting passes its weights-only count). Returns 0, or -1 with *out all NAN when an input is
 * missing. */
int tm_flops_detail(const struct tm_arch *a, const struct tm_flops_opts *o, double adamw_params,
		    struct tm_flops_detail *out);

/* One line saying what the convention counts, e.g.
 * "megatron: 6*N_mm + 12*kappa*s*n_h*d_h per token, kappa=1 (non-causal), logit GEMM counted,
 *  input embedding not counted, no recompute". Written into buf (always NUL-terminated). */
void tm_flops_describe(const struct tm_arch *a, const struct tm_flops_opts *o, char *buf, size_t n);

/* Parameter count, §3: total and active (MoE); NAN if unknown (layers, hidden, ffn,
 * vocab, mlp, tied = -1, heads when kv_heads or head_dim is set, topk for MoE). Active =
 * total - L*m*h*F*(E - k). The form follows a->params_form. */
double tm_params_total(const struct tm_arch *a);
double tm_params_active(const struct tm_arch *a);
/* Megatron paper closed form 12*L*h^2*(1 + 13/(12h) + (V+s)/(12*L*h)) (Narayanan et al.
 * 2021; §3), computed as
 * 12*L*h^2 + 13*L*h + (V + s)*h with s = seq_len (max_pos when seq_len is unknown); NAN if unknown.
 * It assumes F = 4h, MHA and biases whatever the other fields say. */
double tm_params_megatron(const struct tm_arch *a);

/* The name of the first input a FLOPs formula needs that is unknown, or NULL when all are known.
 * Used to print "unknown (needs --layers)". Checked in this order: "layers", "hidden", "heads"
 * (all formulas but paxml need it only when kv_heads or head_dim is set; detailed always), "ffn",
 * "vocab", "seq-len", then "mlp" (MLP kind unknown; not paxml), "topk" (MoE with k
 * unknown; not paxml), "tied" (tied = -1; palm and 6nd only). o NULL = defaults. */
const char *tm_arch_missing(const struct tm_arch *a, const struct tm_flops_opts *o);

/* The §3 count split by component, for estimate's per-component table. Fields
 * are parameters; per-layer fields are for one layer (all experts). Sums to tm_params_total().
 * Returns 0, or -1 with every field NAN when tm_params_total() is unknown. */
struct tm_params_parts {
	double embedding;     /* V*h token embedding (shared with the LM head when tied) */
	double position;      /* max_pos*h learned position table, 0 with RoPE */
	double attention;     /* per layer: q, k, v, o weights (n_h*d_h and g*d_h widths) + biases */
	double mlp;           /* per layer: E experts' m matrices + biases */
	double router;        /* per layer: h*E for MoE, else 0 */
	double norms;         /* per layer: norms_per_layer norms */
	double layer;         /* attention + mlp + router + norms */
	double layers;        /* L*layer */
	double final_norm;    /* 0 in the Megatron P form */
	double lm_head;       /* V*h when untied, 0 when tied */
	double total;         /* = tm_params_total(a) */
};
int tm_params_parts(const struct tm_arch *a, struct tm_params_parts *out);

/* Weights-only count with an untied head (§3; "seed004" in the names means the GPT-2 XL
 * example of docs/estimate.md that uses it): token embedding V*h, a position table
 * of s*h (s = seq_len, only for models with a learned table, i.e. max_pos set), L*(attention + MLP
 * weight matrices) and an untied LM head h*V whatever a->tied says; no biases, no norms. For
 * GPT-2 XL: 1,637,020,800. NAN if an input is unknown. */
double tm_params_weights_only(const struct tm_arch *a);
/* The same count split like tm_params_parts (biases, norms, router 0; lm_head = V*h). */
int tm_params_parts_weights_only(const struct tm_arch *a, struct tm_params_parts *out);

#endif
