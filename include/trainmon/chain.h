/* chain.h: a training run made of several logs (Slurm jobs, pod restarts), each resuming from a
 * checkpoint: the segments grouped into chains, ordered, and each chain's goodput ledger, tokens
 * done (each step once), interruptions, MTBF and MTTR.
 *
 * A struct tm_segment is a compact copy of what a chain needs from one finished run and its
 * summary (the run itself is freed as soon as it is reported). Grouping (chain.c) and the ledger
 * (ledger.c) are pure over segments: no I/O, no printing. Bucket definitions: docs/analyze.md
 * "Chains"; formulas and sources: docs/formulas.md §5.
 */
#ifndef TRAINMON_CHAIN_H
#define TRAINMON_CHAIN_H

#include <stddef.h>

#include "trainmon/interrupt.h"
#include "trainmon/run.h"
#include "trainmon/summary.h"

struct tm_seg_step {
	double step;                 /* framework step number */
	double ts;                   /* epoch s of its line, NAN unknown */
	double time_s;               /* seconds per step (interval mean), NAN unknown */
	uint64_t line;
};

/* What the ledger says about one segment (seconds unless named; NAN unknown). */
struct tm_seg_ledger {
	double from_step;            /* training restarted after this step (a load's step, else the
					step before the first record's interval) */
	double kept_steps, wasted_steps;
	double productive, wasted, startup, ckpt_load, ckpt_save, eval, stall, other;
	double recovery_before;      /* gap from the previous segment's end to this one's start */
	size_t saves;                /* checkpoint saves seen */
};

struct tm_segment {
	char *file;                  /* owned */
	const char *framework;       /* borrowed from the ruleset, or NULL */
	int framework_id;            /* pack index, -1 unknown */
	int step_base;
	struct tm_seg_step *steps;   /* nsteps, sorted by step: owned, or in the tm_seg_arena it was
					made with (steps_in_arena) */
	int steps_in_arena;
	size_t nsteps;
	struct tm_phase *phases;     /* owned copy of the run's, nphases */
	size_t nphases;
	double first_ts, last_ts;    /* first and last line time of the log, NAN none */
	double log_interval;         /* NAN unknown */
	double tokens_per_step;      /* NAN unknown (tokens_needs says which flag supplies it) */
	const char *tokens_needs;    /* static or NULL */
	double tokens_per_s, mfu, gpus, target_tokens;   /* from the summary, NAN unknown */
	char *key;                   /* owned: the value --chain-param groups by, or NULL */
	struct tm_interruption intr; /* how it ended (interrupt.h) */
	struct tm_seg_ledger led;    /* filled by tm_chain_compute() */
};

/* Copies what a chain needs; param: TM_P_* string parameter to key by, -1 none. */
void tm_segment_from_run(struct tm_segment *sg, const struct tm_run *r, const struct tm_summary *s, int param);

/* Where analyze's segments keep their step records: address space reserved 64 MiB at a time, on
 * huge pages, that a segment's records are copied into and never move from. A thousand files'
 * million steps then fault about 16 pages of 2 MiB instead of 8 000 of 4 KiB (a new page costs
 * about 10 us on a virtual machine: 70 % of `analyze`'s page faults over 1 000 files were the
 * segments'). Zeroed = empty. Freed whole, after every segment made with it is released. */
struct tm_seg_block;
struct tm_seg_arena {
	struct tm_seg_block *v;      /* owned */
	size_t n, cap;
	size_t block;                /* bytes a block reserves, 0: 64 MiB (tests: a few records) */
};
/* tm_segment_from_run, its step records in a (NULL: an array of its own). */
void tm_segment_from_run_in(struct tm_segment *sg, const struct tm_run *r, const struct tm_summary *s, int param,
			    struct tm_seg_arena *a);
void tm_seg_arena_free(struct tm_seg_arena *a);
/* The same for a segment made from r before (same file), after r read more lines: the step
 * records it has already are not copied again unless r's changed (trimmed, a late step inserted),
 * so a live run's refresh costs what it read since. */
void tm_segment_refresh(struct tm_segment *sg, const struct tm_run *r, const struct tm_summary *s, int param);
void tm_segment_release(struct tm_segment *sg);
/* The step a segment's training restarted after: the step of the checkpoint it loaded (when below
 * its first step record's), else the step before its first record's interval (step_base - 1
 * from scratch); NAN without either. */
double tm_segment_from_step(const struct tm_segment *sg);

/* The goodput ledger's buckets, in output order; they add up to the wall time. */
enum tm_bucket {
	TM_B_PRODUCTIVE, TM_B_STARTUP, TM_B_CKPT_LOAD, TM_B_CKPT_SAVE, TM_B_EVAL, TM_B_WASTED,
	TM_B_RECOVERY, TM_B_STALL, TM_B_OTHER, TM_B_N
};
const char *tm_bucket_name(enum tm_bucket b);

struct tm_recurrence {               /* the same failure again: same initiating kind, same step */
	enum tm_event_kind kind;
	double step;
	size_t count;
};

struct tm_chain {
	char *name;                  /* owned */
	const char *grouped_by;      /* static: "name", "file_regex", "param", "resume" */
	int by_time;                 /* 1: segments ordered by their times, 0: by step numbers */
	size_t *segs;                /* owned: indices into the segment array, in chain order */
	size_t nsegs;
	/* the ledger (seconds; NAN unknown, with the reason in why[]) */
	double wall;
	const char *wall_why;        /* static or NULL */
	double bucket[TM_B_N];
	char why[TM_B_N][120];       /* "" when known */
	double goodput;              /* productive / wall */
	double gpus;                 /* of the last segment that says */
	double mfu, effective_mfu;   /* last segment's MFU; times goodput */
	/* tokens */
	double tokens_done;
	const char *tokens_needs;    /* static or NULL */
	double target_tokens, progress, tokens_per_s;
	int ended;                   /* the last segment has ended (no more steps will come) */
	double eta_s;                /* not ended: remaining / recent rate */
	double remaining_s;          /* ended: remaining at the last rate */
	/* interruptions */
	size_t interruptions;
	size_t by_category[TM_IC_N];
	double mtbf_s, mttr_s;
	size_t recurrence;           /* largest recurrence count (0 without interruptions) */
	struct tm_recurrence *recur; /* owned: groups with count >= 2 */
	size_t nrecur;
};

struct tm_chain_opts {
	const char *name;            /* --chain: all segments one chain; NULL none */
	const char *by_regex;        /* --chain-by: key = first group (or the match) over the file name */
	int by_param;                /* --chain-param: TM_P_* string parameter, -1 none */
	double stall_s;              /* a gap with no step longer than this is a stall (seconds) */
	int singles;                 /* a segment no other joins is a chain of one too (watch: a job's
					first segment has its chain's name before the second comes) */
};

/* --chain, --chain-by and --chain-param checked as one, for analyze and watch alike: at most one
 * given, a --chain-param naming a text parameter, a --chain-by regex that compiles. Sets o's
 * name, by_regex (borrowed from the arguments) and by_param; returns 0, or -1 with the message
 * (no command name, no newline) in err. */
int tm_chain_opts_set(struct tm_chain_opts *o, const char *name, const char *by_regex, const char *param,
		      char *err, size_t errlen);

/* Groups segs[0..n) into chains (only groups of two or more, or all of them with o->name),
 * orders each, and computes it. Returns the number of chains in *out (owned array; free with
 * tm_chains_free), or -1 with a message in err (a --chain-by regex that does not compile). */
long tm_chains_build(struct tm_segment *segs, size_t n, const struct tm_chain_opts *o,
		     struct tm_chain **out, char *err, size_t errlen);
void tm_chains_free(struct tm_chain *c, size_t n);

/* The ledger, tokens and interruptions of one chain whose segs are set and ordered (ledger.c).
 * Fills each segment's led. */
void tm_chain_compute(struct tm_chain *c, struct tm_segment *segs, double stall_s);

/* The largest number of c's interruptions (a time limit is none) that have the same cause as one
 * another (tm_interrupt_same_cause: same kind and code, at the same step or on the same host);
 * 0 without interruptions. *which (may be NULL) gets the index into segs of the latest segment
 * of that group. */
size_t tm_chain_same_cause(const struct tm_chain *c, const struct tm_segment *segs, size_t *which);

/* One chain's counters as `watch` exports them (trainmon_chain_*_total) and its state file keeps
 * them: each the highest value the ledger has given it, so a recomputation that lowers a bucket
 * (productive time that a later segment's resume turns into wasted_progress) never makes a
 * counter go back (docs/design.md, "Live chains"). */
struct tm_chain_counters {
	char *name;                  /* owned */
	double bucket[TM_B_N];       /* s; NAN never known */
	double tokens;               /* tokens done, each step once; NAN never known */
	uint64_t interruptions[TM_IC_N];
	/* gauges of the latest computation (not saved) */
	size_t segments;             /* 0: no followed file is in the chain now */
	size_t recurrence;           /* tm_chain_same_cause */
};

#endif
