/* job.h: what the user said about a job (flags, the config's `job:` section), one owner for it.
 *
 * struct tm_job is the flag/config layer of every job value; summary.c lays it over what the log
 * printed and the preset (flag > config > log > preset > default). The job's option rows are the
 * one list of job flags, shared by analyze, watch and estimate, and the one table of which flag
 * supplies a missing input lives here too, so commands cannot disagree on it.
 */
#ifndef TRAINMON_JOB_H
#define TRAINMON_JOB_H

#include <stddef.h>

#include "trainmon/gpu.h"
#include "trainmon/model.h"
#include "trainmon/provenance.h"
#include "trainmon/run.h"

const char *tm_src_name(enum tm_src_kind s);

enum tm_basis { TM_BASIS_MEDIAN = 0, TM_BASIS_LAST, TM_BASIS_MEAN };
int tm_basis_parse(const char *s, enum tm_basis *out);
const char *tm_basis_name(enum tm_basis b);

/* What the user said about the job, from flags and a config file; applies to every run. */
struct tm_job {
	double params[TM_P_N];            /* numeric params, NAN = not given */
	enum tm_src_kind src[TM_P_N];     /* TM_SRC_FLAG or TM_SRC_CONFIG for given ones */
	const struct tm_arch *preset;     /* borrowed static preset, or NULL */
	enum tm_src_kind preset_src;
	enum tm_mlp mlp;                  /* TM_MLP_UNKNOWN = not given */
	enum tm_src_kind mlp_src;
	double model_flops;               /* per sequence (--model-flops), NAN = not given */
	enum tm_src_kind model_flops_src;
	struct tm_flops_opts fo;
	enum tm_src_kind formula_src;     /* TM_SRC_NONE = --flops-formula not given */
	const struct tm_gpu *gpu;         /* borrowed, or NULL */
	enum tm_src_kind gpu_src;
	enum tm_dtype dtype;
	enum tm_src_kind dtype_src;       /* TM_SRC_NONE = not given */
	double peak_tflops;               /* explicit peak, NAN = from the table */
	enum tm_src_kind peak_src;
	double target_tokens;             /* NAN = not given */
	enum tm_src_kind target_src;
	enum tm_basis basis;
	double warmup;                    /* steps to skip, NAN = automatic */
};

void tm_job_init(struct tm_job *j);

/* A resolved number with where it came from; v is NAN when unknown, then needs names the flag. */
struct tm_val {
	double v;
	enum tm_src_kind src;
	const char *needs;                /* static string, e.g. "--gpus" */
};

/* Resolves job parameter p (TM_P_*): flag, then config, then what the log printed (r may be NULL),
 * then the preset's value preset_v (NAN: none), else unknown with needs. preset_first: a preset
 * given as a flag wins over a config value and the log (architecture fields); 0 for values a run
 * states better than a preset (seq-len, batch). */
struct tm_val tm_job_resolve(const struct tm_job *j, const struct tm_run *r, int p, double preset_v,
			     int preset_first, const char *needs);

/* The job's model architecture, each dimension with its source. */
struct tm_job_arch {
	struct tm_arch a;                 /* for model.h's formulas: the preset (or zeros) with the
					     resolved dimensions; head_dim 0 = hidden / heads */
	struct tm_val layers, hidden, heads, kv_heads, ffn, vocab;
	enum tm_mlp mlp;
	enum tm_src_kind mlp_src;
};

/* The one place an architecture is built from a job: dimensions by tm_job_resolve, then the
 * defaults Megatron itself applies (kv-heads = heads, ffn = 4 * hidden, GELU; source "default");
 * head_dim is the preset's only while hidden and heads are too. seq_len is resolved as a run
 * value. r may be NULL (estimate: no log). */
void tm_job_arch(const struct tm_job *j, const struct tm_run *r, struct tm_job_arch *out);

/* The job flags as option rows (opt.h) for struct tm_job; static data, *n rows. */
struct tm_opt;
const struct tm_opt *tm_job_opts(size_t *n);

/* Applies the job flag `name` (e.g. "gpus") as if given with source src. Returns 0, or -1 with
 * "--gpus: '12x' is not a positive number" in err. */
int tm_job_set(struct tm_job *j, const char *name, const char *arg, enum tm_src_kind src, char *err,
	       size_t errlen);

/* The flag that supplies a missing architecture input, from tm_arch_missing()'s name ("layers",
 * "seq-len", ...; NULL: no architecture at all): static text such as "--layers or --model". */
const char *tm_job_needs(const char *missing);

#endif
