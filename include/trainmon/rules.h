/* rules.h: rule packs (the YAML files in patterns/) loaded, validated and compiled into one immutable ruleset.
 *
 * A pack names a framework (or is generic: slurm, failures), may give a `detect:` regex, and lists
 * rules. A rule is a PCRE2 regex (JIT-compiled) with a literal prefilter and says what a match
 * yields: a step record, job parameters, or an event of a fixed kind. Named groups carry the
 * values; their names are a fixed vocabulary (tm_field / tm_param below), checked at load time, as
 * are every rule's `samples:`. The format is documented in docs/rules.md (trainmon-rules(5)).
 *
 * Ownership: the ruleset owns everything in it; it is never edited after tm_ruleset_finish() and
 * is replaced whole on reload. Errors go to a struct tm_diag, located in the YAML file.
 */
#ifndef TRAINMON_RULES_H
#define TRAINMON_RULES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "trainmon/diag.h"

enum tm_rec { TM_REC_STEP, TM_REC_PARAM, TM_REC_EVENT, TM_REC_DETECT,
	TM_REC_PHASE,  /* a checkpoint save or load, an evaluation, or a time the log prints (run.h) */
	TM_REC_RANK    /* a per-rank report: the slowest rank of an interval (run.h, tm_rank_report) */
};

/* What a phase rule's line says: `phase:` in YAML. */
enum tm_phase_kind { TM_PH_CKPT_SAVE, TM_PH_CKPT_LOAD, TM_PH_EVAL, TM_PH_TIME, TM_PH_N };
/* `mark:`: the line opens the phase, closes it, or gives its duration (a timer line). */
enum tm_phase_mark { TM_PM_START, TM_PM_END, TM_PM_DURATION };

/* Values a step record carries (after unit scaling: seconds, fractions). */
enum tm_field {
	TM_F_STEP, TM_F_TOTAL_STEPS, TM_F_STEP_TIME, TM_F_LOSS, TM_F_CONSUMED_SAMPLES,
	TM_F_CONSUMED_TOKENS, TM_F_GLOBAL_BATCH, TM_F_TFLOPS, TM_F_MFU, TM_F_TOKENS_PER_S,
	TM_F_TOKENS_PER_S_PER_GPU, TM_F_SAMPLES_PER_S, TM_F_LR, TM_F_GRAD_NORM, TM_F_SKIPPED,
	TM_F_NAN_ITERS,
	TM_F_DURATION,        /* phase rules: seconds the phase took */
	/* a progress bar's rate (tqdm: s/it or it/s; the bar's n is `step`, its total
	 * `total_steps`) and whether its description names training (an empty group: the flag is
	 * that it took part): a training bar's rate is a step time (source tqdm) */
	TM_F_BAR_S_PER_IT, TM_F_BAR_IT_PER_S, TM_F_BAR_TRAIN,
	/* optimizer steps per second as the framework logs it for its interval (mlx-lm It/sec,
	 * OLMo batches_per_second): the step time is its inverse when no time is printed */
	TM_F_STEPS_PER_S,
	/* job values a line prints that no parameter holds as printed; the run keeps them to derive
	 * parameters (tm_run_settle), and param rules may name them too (tm_field_is_job_value):
	 * the sequence length of this step's samples (Megatron-DeepSpeed `actual seqlen`, the last
	 * one counts: curriculum runs change it) and gradient accumulation steps (HF banner) */
	TM_F_ACTUAL_SEQLEN, TM_F_GRAD_ACCUM,
	TM_F_SKIPPED_TOTAL,    /* a running total of skipped steps (DeepSpeed's skipped=K): run.c
				  turns its increase into skipped steps, each counted once */
	/* run-level figures of an end-of-run summary: not a step record */
	TM_F_RUN_RUNTIME, TM_F_RUN_STEPS_PER_S,
	/* rank rules (record: rank): the named rank's time per iteration, the fastest rank and its
	 * time (Megatron's MxRtt/MnRtt), a relative performance score (NVRx: fastest / this rank),
	 * and the headers that open a report of relative scores or of another kind (flags) */
	TM_F_RANK_TIME, TM_F_FAST_RANK, TM_F_FAST_TIME, TM_F_SCORE, TM_F_REPORT_REL, TM_F_REPORT_OTHER,
	TM_F_N
};

/* Job parameters a log can print. Numeric ones are doubles; TM_P_DTYPE.. are strings. */
enum tm_param {
	TM_P_LAYERS, TM_P_HIDDEN, TM_P_HEADS, TM_P_KV_HEADS, TM_P_HEAD_DIM, TM_P_FFN, TM_P_VOCAB,
	TM_P_SEQ_LEN, TM_P_GLOBAL_BATCH, TM_P_MICRO_BATCH, TM_P_GPUS, TM_P_NODES, TM_P_GPUS_PER_NODE,
	TM_P_TRAIN_ITERS, TM_P_TRAIN_SAMPLES, TM_P_LOG_INTERVAL, TM_P_TP, TM_P_PP, TM_P_DP,
	TM_P_NUM_STRINGS_FROM_HERE,
	TM_P_DTYPE = TM_P_NUM_STRINGS_FROM_HERE, TM_P_GPU, TM_P_SLURM_JOB_ID, TM_P_MLP,
	TM_P_SAVE_DIR, TM_P_CHAIN_KEY,  /* what --chain-param can group segments by */
	TM_P_N
};

enum tm_event_kind {
	TM_EV_NCCL_TIMEOUT, TM_EV_NCCL_ERROR, TM_EV_CUDA_OOM, TM_EV_HOST_OOM, TM_EV_SLURM_TIME_LIMIT,
	TM_EV_SLURM_CANCELLED, TM_EV_SLURM_NODE_FAIL, TM_EV_SLURM_PREEMPTED, TM_EV_TASK_FAILED,
	TM_EV_EXCEPTION, TM_EV_NAN_LOSS, TM_EV_SKIPPED_STEP, TM_EV_ECC_ERROR, TM_EV_XID, TM_EV_GPU_LOST,
	TM_EV_SEGFAULT, TM_EV_FATAL_SIGNAL, TM_EV_CHILD_FAILED, TM_EV_DATALOADER_DIED,
	TM_EV_NAN_GRAD_NORM,   /* a non-finite gradient norm (the step is skipped or the run diverges) */
	TM_EV_TRAINING_DONE,   /* the framework says training finished (info: a clean end) */
	TM_EV_N
};

enum tm_ev_severity { TM_EVS_INFO, TM_EVS_WARNING, TM_EVS_ERROR, TM_EVS_CRITICAL };

const char *tm_field_name(enum tm_field f);
int tm_field_is_job_value(enum tm_field f);            /* 1: param rules may capture it too */
const char *tm_param_name(enum tm_param p);
const char *tm_event_kind_name(enum tm_event_kind k);
const char *tm_ev_severity_name(enum tm_ev_severity s);
int tm_param_lookup(const char *name, size_t len);      /* -1 if unknown */
int tm_event_kind_lookup(const char *name);             /* -1 if unknown */
const char *tm_phase_kind_name(enum tm_phase_kind k);

/* Where a named group's value goes. An event rule's `host`, `rank` (a number or a list such as
 * 0-3,8) and `code` (e.g. the Xid number) groups say where the incident happened and what it was. */
enum tm_cap_kind { TM_CAP_FIELD, TM_CAP_PARAM, TM_CAP_MSG, TM_CAP_KEY, TM_CAP_VALUE,
		   TM_CAP_HOST, TM_CAP_RANK, TM_CAP_CODE,
		   TM_CAP_TS       /* group `ts`: the line's time when it has no prefix time */
};

struct tm_capture {
	uint32_t group;            /* PCRE2 group number */
	enum tm_cap_kind kind;
	int target;                /* enum tm_field or tm_param */
	int pow10;                 /* unit: value * 10^-pow10 (step_time_ms 3, mfu_pct 2) */
};

struct tm_field_shape;

/* An extra regex run on a matched line to pick one more value (`fields:` in YAML). */
struct tm_alt_lit;                 /* src/literal.h */

struct tm_subfield {
	void *re;                  /* owned pcre2_code * */
	uint32_t jit;              /* its slot in the ruleset's JIT states (tm_ruleset_finish), or
				      TM_NO_JIT */
	struct tm_capture cap;     /* group 1 (or the only group) */
	char *prefix;              /* owned literal every match starts with, or NULL: the regex is
	                              then tried anchored at each occurrence instead of scanning */
	size_t prefix_len;
	size_t anchor;             /* offset in prefix of its rarest byte, searched for first */
	struct tm_field_shape *shape; /* owned or NULL: the regex is PREFIX \s* (CLASS+|word...),
				      read after the prefix without PCRE2 (src/field_shape.h) */
	struct tm_alt_lit *alts;   /* owned or NULL (always NULL with a prefix): every match holds one
				      of these literals (src/literal.h), so a record with none of them
				      is not searched */
	size_t nalts;
	int alts_start;            /* 1: every match starts with one of alts: the search starts at
				      the first of them in the record */
	uint32_t needle;           /* the prefilter's number for its prefix (its first offset in a
				      record comes with the record's scan), or TM_NO_NEEDLE: searched */
	struct tm_alt_lit *xalts;  /* owned or NULL: the regex is P(?:A|B..)L then a shape, and these
				      are PAL, PBL... (src/field_shape.h: tm__alt_shape), each a
				      needle where long enough; read with xshape before PCRE2 */
	size_t nxalts;
	struct tm_field_shape *xshape; /* owned with xalts */
	struct tm_fixed_shape *fixed;  /* owned or NULL: the regex is a sequence of byte sets
				      (src/fixed_shape.h), matched without PCRE2 where it may start:
				      offset 0 when anchored, else each occurrence of the prefix */
};

/* `keys:` of a param rule: raw key -> param, optionally a fixed value set when the captured
 * value is true ("bf16: dtype=bf16"). */
struct tm_keymap {
	char *key;                 /* owned */
	int param;
	char *when_true;           /* owned or NULL */
};

/* `values:` of a param rule: a logged string value and what it means ("bfloat16" -> "bf16"). */
struct tm_valmap {
	char *from;                /* owned */
	char *to;                  /* owned */
};

struct tm_rule {
	char *name;                /* owned */
	unsigned pack;             /* index into ruleset->packs */
	enum tm_rec rec;
	void *re;                  /* owned pcre2_code * (JIT-compiled when first run: match.c) */
	uint32_t jit;              /* re's slot in the ruleset's JIT states, or TM_NO_JIT */
	void *veto, *fast;         /* owned, or NULL: re as ^(?!.*?veto)... split in two
				      (rules_int.h: tm__re_split_veto) */
	uint32_t veto_jit, fast_jit;
	char **lits;               /* owned literals; the regex runs only on records holding one */
	size_t *lit_lens;          /* owned, nlits */
	size_t nlits;              /* 0 = no prefilter: the regex runs on every record */
	struct tm_capture *caps;   /* owned */
	size_t ncaps;
	struct tm_subfield *fields;/* owned */
	size_t nfields;
	struct tm_keymap *keys;    /* owned */
	size_t nkeys;
	enum tm_event_kind kind;   /* events */
	enum tm_ev_severity severity;
	int step_base;             /* steps: number of the first step (0 or 1) */
	int attach;                /* steps: the values belong to the last step record (a metric on
				      a line after its step's header, Composer); no new step */
	struct tm_valmap *vals;    /* owned: logged value -> parameter value (`values:`) */
	size_t nvals;
	unsigned line;             /* 1-based line of the rule in its YAML file */
	enum tm_phase_kind phase;  /* phase rules */
	enum tm_phase_mark mark;   /* phase rules (default start) */
	int fallback;              /* 1: its pack is a fallback pack (tm_pack.fallback) */
};

struct tm_pack {
	char *name;                /* owned: `framework:` */
	char *file;                /* owned: path it was loaded from */
	char *description;         /* owned or NULL */
	int generic;               /* 1: applies to any framework (slurm, failures); no detect */
	struct tm_subfield *ts;    /* owned or NULL: `timestamp:`, the time its step lines print
				      inline (group 1 or `ts`), read when the line has no prefix time */
	int fallback;              /* 1: `fallback: true`: its step records count only while no
				      framework pack has claimed the file (the generic pack) */
};

struct tm_prefilter;           /* the literal prefilter (hashed 4-grams), prefilter.h */

struct tm_ruleset {
	struct tm_pack *packs;     /* owned */
	size_t npacks, cappacks;
	struct tm_rule *rules;     /* owned */
	size_t nrules, caprules;
	struct tm_prefilter *pre;  /* owned; built by tm_ruleset_finish() */
	uint32_t max_groups;       /* largest capture count of any regex, for match data */
	int jit;                   /* 1 when PCRE2's JIT works here (tm_ruleset_finish tries it) */
	/* Each regex is JIT-compiled the first time it runs, not at load (a log uses a handful of the
	 * packs' hundreds of regexes; compiling them all took 7 ms of every start). Its state is
	 * jits[slot]: 0 not yet, 1 JIT, 2 the interpreter. match.c compiles under jit_lock, since
	 * the halves of a split read share the ruleset: the one change a matcher makes to it. */
	_Atomic int *jits;         /* owned, one per regex; NULL before tm_ruleset_finish */
	size_t njits;
	pthread_mutex_t *jit_lock; /* owned */
};

#define TM_NO_JIT UINT32_MAX

void tm_ruleset_init(struct tm_ruleset *rs);
void tm_ruleset_release(struct tm_ruleset *rs);

/* Loads one pack file, or every .yaml file in a directory (sorted by name; entries that are not
 * regular files, such as FIFOs, are skipped with a warning and never opened). Each error is added
 * to d and loading goes on with the next rule and file; returns the number of errors added
 * (0 = ok) or -errno when the path cannot be read (also added to d). */
int tm_ruleset_load(struct tm_ruleset *rs, const char *path, struct tm_diag *d);
/* Loads the default pack directory (tm_default_patterns_dir(), unless no_default) and then each
 * of paths[0..n) with tm_ruleset_load(), going on after errors: the one loader every command and
 * the daemon's start and reload use. Does not call tm_ruleset_finish(). Returns the first -errno
 * of a path that could not be read, else the number of errors it added to d (0 = ok). */
int tm_ruleset_load_all(struct tm_ruleset *rs, const char *const *paths, size_t n, int no_default,
			struct tm_diag *d);
/* Loads from a buffer (tests, fuzzing). */
int tm_ruleset_load_buf(struct tm_ruleset *rs, const char *name, const char *buf, size_t len,
			struct tm_diag *d);
/* Builds the prefilter; call once after loading. Returns 0, or -1 with an error in d. */
int tm_ruleset_finish(struct tm_ruleset *rs, struct tm_diag *d);

/* The default pack directory: $TRAINMON_PATTERNS, else the source tree's patterns/ when running
 * from a build tree, else the one installed beside the binary (../share/trainmon/patterns), else
 * the configured install path. Returns buf, the env value or a static string. */
const char *tm_default_patterns_dir(char *buf, size_t n);

const struct tm_pack *tm_pack_find(const struct tm_ruleset *rs, const char *name);

#endif
