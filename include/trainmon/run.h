/* run.h: what one log (one run) has said so far: its step records, job parameters and events.
 *
 * Fed one rule hit at a time (tm_run_hit is a tm_hit_fn); it copies what it keeps, so records and
 * hits may be freed right after. Steps are keyed by the framework's own step number: a step that
 * every rank prints is kept once. Memory grows with the number of distinct steps (96 bytes each)
 * and a capped event list, never with the file size. Numbers are computed from it by summary.h.
 */
#ifndef TRAINMON_RUN_H
#define TRAINMON_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/match.h"
#include "trainmon/rules.h"

struct tm_step {
	double   step;           /* framework step number */
	double   time_s;         /* seconds per step (interval mean for Megatron); NAN unknown */
	double   consumed;       /* consumed samples so far, NAN unknown */
	double   loss;           /* NAN unknown */
	double   global_batch;   /* sequences per step, NAN unknown */
	double   tflops;         /* logged TFLOP/s per GPU, NAN when not printed */
	double   mfu;            /* logged MFU fraction, NAN when not printed */
	double   tokens_per_s_per_gpu; /* logged, NAN when not printed */
	double   tokens_per_s;   /* logged, whole job, NAN when not printed */
	double   samples_per_s;  /* logged, whole job, NAN when not printed */
	double   ts;             /* wall clock of its line, epoch seconds UTC; NAN unknown */
	uint32_t line;           /* 1-based line of the record (saturates) */
	uint8_t  time_src;       /* enum tm_time_src of time_s: TM_TSRC_LOGGED or TM_TSRC_TQDM when
				    time_s is set here, else TM_TSRC_NONE (summary.h derives the rest) */
};

/* Where a step time came from (`step_time_source`, docs/analyze.md). The first ones are per
 * record; TM_TSRC_SUMMARY is a run-level mean from an end-of-run summary. */
enum tm_time_src {
	TM_TSRC_NONE, TM_TSRC_LOGGED, TM_TSRC_THROUGHPUT, TM_TSRC_TIMESTAMPS, TM_TSRC_TQDM,
	TM_TSRC_SUMMARY, TM_TSRC_N
};
const char *tm_time_src_name(enum tm_time_src s);   /* "logged", ...; NULL for TM_TSRC_NONE */

struct tm_event {
	uint64_t line, last_line;  /* first and last line of a run of the same kind */
	uint64_t count;            /* events folded into this entry */
	enum tm_event_kind kind;
	enum tm_ev_severity severity;
	char message[240];         /* first message, cut to fit */
};

#define TM_RUN_EVENTS_MAX 200

struct tm_run {
	char *file;                  /* owned */
	int framework;               /* pack index, -1 unknown */
	int framework_forced;        /* set by --framework: detectors and other packs' steps ignored */
	int step_base;               /* of the rule that gave the steps */
	struct tm_step *steps;       /* owned, sorted by step; the allocation starts steps_head
					records before it (room for late steps), so grow it only
					through tm_run_push_step */
	size_t nsteps, capsteps;     /* capsteps: records that fit from steps[0] on */
	size_t steps_head;           /* free records before steps[0] */
	uint64_t dup_steps;          /* step records seen again (other ranks, redraws) */
	uint64_t steps_dropped;      /* oldest records let go by tm_run_trim (watch --max-steps) */
	uint64_t out_of_order;       /* step records that arrived after a later step (kept in order) */
	uint64_t self_numbered;      /* step records numbered by us (their line has no step number) */
	double pending[TM_F_N];      /* attach-rule values seen before any step (a split read's second
					half starting between a step's header and its metric lines) */
	int has_pending;
	double consumed_tokens;      /* last logged consumed tokens, NAN unknown */
	double params[TM_P_N];       /* NAN unknown (numeric params) */
	char *sparams[TM_P_N];       /* owned strings for TM_P_DTYPE.. ; NULL unknown */
	uint64_t param_line[TM_P_N]; /* line that gave each param */
	struct tm_event *events;     /* owned, grown on demand up to TM_RUN_EVENTS_MAX entries */
	size_t nevents, capevents;
	uint64_t events_dropped;     /* events not listed (counts stay exact) */
	uint64_t event_counts[TM_EV_N];
	struct tm_matcher *m;        /* borrowed, for `fields:` sub-regexes */
	uint64_t line;               /* line of the record being matched */
	double ts;                   /* that record's time (epoch s), NAN none; set with line */
	double first_ts, last_ts;    /* first and last record time seen, NAN none */
	int rank;                    /* rank label of that record, -1 none */
	int self_rank;               /* rank whose self-numbered step lines are counted; -2 unset */
	const struct tm_ruleset *rs; /* borrowed */
	/* appended for step-time sources (issue 9) */
	double run_runtime_s;        /* end-of-run summary: training runtime (HF train_runtime), NAN */
	double run_steps_per_s;      /* end-of-run summary: steps per second (HF), NAN */
	uint64_t run_summary_line;   /* line of that summary, 0 none */
	uint64_t bars_eval;          /* progress-bar records taken for an eval/other bar, not steps */
	uint64_t bars_undecided;     /* progress-bar records not used: training or eval bar unknown */
	uint64_t fallback_dropped;   /* step records of a fallback pack dropped when a framework pack
					claimed the file */
	uint64_t bar_steps;          /* step records a training progress bar gave */
	double bar_loss;             /* a loss printed without a step number, waiting for the next
					training-bar record (its step), NAN none */
};

void tm_run_init(struct tm_run *r, const char *file, const struct tm_ruleset *rs, struct tm_matcher *m);
void tm_run_release(struct tm_run *r);
/* Pins the framework (pack name); returns -1 if no such pack. */
int tm_run_force_framework(struct tm_run *r, const char *pack);

/* tm_hit_fn: ctx is the struct tm_run. Set r->line, r->rank and r->ts (tm_run_at) before
 * matching each record. */
int tm_run_hit(void *ctx, const struct tm_hit *h);
/* The record about to be matched: its line, rank label and time (NAN none). */
void tm_run_at(struct tm_run *r, uint64_t line, int rank, double ts);

/* Appends a step record (contents unset) after the last and returns it; the caller keeps the
 * order (state.c restoring saved steps). */
struct tm_step *tm_run_push_step(struct tm_run *r);

/* Keeps the newest `keep` step records when there are more than `max` (the daemon's cap on a
 * run's memory; statistics then cover that window). Returns how many were dropped. */
size_t tm_run_trim(struct tm_run *r, size_t max, size_t keep);

/* Appends run b, which read the bytes right after a's (line numbers relative to its start,
 * line_offset = a's line count), as if one run had read both in order. Returns 0, or -1,
 * changing nothing, when only one pass can say what b's lines mean (a different framework, a
 * different rank for self-numbered steps, or steps of b not after a's): the caller then reads
 * b's bytes again into a. */
int tm_run_append(struct tm_run *a, struct tm_run *b, uint64_t line_offset);

/* Adds an event that did not come from a rule (e.g. a NaN loss value). */
void tm_run_event(struct tm_run *r, uint64_t line, enum tm_event_kind k, enum tm_ev_severity s,
		  const char *msg, size_t len);

/* Sets a string parameter if the log has not (the file name's Slurm job id). */
#define TM_SRC_PARAM_FILENAME 1
void tm_run_set_sparam(struct tm_run *r, int param, const char *v, int from_filename);

/* Parses a number as logs print it: 1.5, 1.249e+03, 1,541,366, nan, inf, -12.71. NAN on failure. */
double tm_parse_num(const char *p, size_t n);
/* The same, times 10^-pow10 applied in decimal (so 1041.6 ms is the double nearest 1.0416 s). */
double tm_parse_num_pow10(const char *p, size_t n, int pow10);

#endif
