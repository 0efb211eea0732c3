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
#include "trainmon/run.h"

enum tm_src_kind { TM_SRC_NONE = 0, TM_SRC_DEFAULT, TM_SRC_PRESET, TM_SRC_LOG, TM_SRC_FILENAME,
	TM_SRC_CONFIG, TM_SRC_FLAG, TM_SRC_COMPUTED };
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
