/* run.h: what one log (one run) has said so far: its step records, job parameters and events.
 *
 * Fed one rule hit at a time (tm_run_hit is a tm_hit_fn); it copies what it keeps, so records and
 * hits may be freed right after. Steps are keyed by the framework's own step number: a step that
 * every rank prints is kept once. Memory grows with the number of distinct steps (a few bytes
 * per printed field each: steps.h) and a capped event list, never with the file size. Numbers
 * are computed from it by summary.h.
 */
#ifndef TRAINMON_RUN_H
#define TRAINMON_RUN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "trainmon/num.h"
#include "trainmon/match.h"
#include "trainmon/rules.h"
#include "trainmon/steps.h"

/* One incident: lines of one kind that belong together. A line joins the newest incident of its
 * kind when that incident is the last entry, or when no step record came between them and they
 * are at most TM_INCIDENT_GAP_S apart (both lines have a time) or else TM_INCIDENT_GAP_LINES
 * lines: the 8 lines of 4 crashed ranks are one fatal_signal incident with count 8 on 4 ranks. */
#define TM_EVENT_RANKS 1024        /* ranks below this are kept in the set */
#define TM_INCIDENT_GAP_S 300.0
#define TM_INCIDENT_GAP_LINES 64
/* Where a step time came from (`step_time_source`, docs/analyze.md). The first ones are per
 * record; TM_TSRC_SUMMARY is a run-level mean from an end-of-run summary. */
enum tm_time_src {
	TM_TSRC_NONE, TM_TSRC_LOGGED, TM_TSRC_THROUGHPUT, TM_TSRC_TIMESTAMPS, TM_TSRC_TQDM,
	TM_TSRC_SUMMARY, TM_TSRC_N
};
const char *tm_time_src_name(enum tm_time_src s);   /* "logged", ...; NULL for TM_TSRC_NONE */

struct tm_event {
	uint64_t line, last_line;  /* first and last line of the incident */
	uint64_t count;            /* lines folded into this incident */
	enum tm_event_kind kind;
	enum tm_ev_severity severity;
	char message[240];         /* first message, cut to fit */
	double ts, last_ts;        /* epoch s of its first and last line with a time; NAN unknown */
	int code;                  /* the code its first coded line names (Xid number), -1 none */
	int rank;                  /* the first rank its lines came from or name, -1 none */
	uint32_t nranks;           /* distinct ranks in ranks[] */
	uint32_t ranks_beyond;     /* lines naming a rank >= TM_EVENT_RANKS (not in the set) */
	uint64_t ranks[TM_EVENT_RANKS / 64]; /* bitmap of the ranks its lines came from or name */
	char host[64];             /* the first host its lines name, "" none */
	uint32_t nhosts;           /* distinct hosts named: 0, 1, or 2 meaning two or more */
};

#define TM_RUN_EVENTS_MAX 200

/* A checkpoint save or load, an evaluation, or a time the log printed (phase rules, rules.h):
 * what a phase rule's start, end and duration lines said, folded into one record. */
struct tm_phase {
	enum tm_phase_kind kind;
	double step;               /* the step it was at (a load: the step resumed from); NAN unknown */
	double start_ts, end_ts;   /* epoch s of its start and end lines; NAN unknown */
	double duration_s;         /* as the framework timed it (the max across ranks); NAN not printed */
	uint64_t line;             /* first line */
	size_t nsteps_at;          /* step records when it was opened (a timer attaches only before
				      the next step record) */
	int closed;                /* an end line was seen */
};

#define TM_RUN_PHASES_MAX 4096

/* One interval of a per-rank report (rank rules, docs/rules.md): its slowest rank and how much
 * slower it was than the reference rank. Megatron's --log-straggler line names the slowest and
 * the fastest rank (reference: the fastest); NVIDIA resiliency-ext prints relative scores, the
 * fastest rank's time over each rank's (reference: the fastest); rank-prefixed step lines give
 * every rank's time (reference: the median rank). */
enum tm_rank_basis { TM_RB_FASTEST, TM_RB_MEDIAN };
struct tm_rank_report {
	double step;               /* the last step record before it, NAN none */
	double ts;                 /* epoch s of its line, NAN unknown */
	double ratio;              /* slowest rank's time / the reference's; NAN none yet */
	double value_s, ref_s;     /* their seconds per step, NAN when the report gives scores */
	uint32_t line;             /* 1-based line of its first line (saturates) */
	int rank;                  /* the slowest rank, -1 none yet */
	uint32_t nranks;           /* ranks it covered, 0 unknown */
	uint8_t basis;             /* enum tm_rank_basis */
	uint8_t open;              /* 1: score lines may still come (a report is complete once a
				      step record or another report follows it) */
	char host[48];             /* the slowest rank's host, "" unknown */
};

#define TM_RUN_REPORTS_MAX 4096      /* kept per run; past it the oldest half is let go */
#define TM_RANK_STEP_RANKS 1024      /* ranks whose step times one step collects */

struct tm_run {
	char *file;                  /* owned */
	int framework;               /* pack index, -1 unknown */
	int framework_forced;        /* set by --framework: detectors and other packs' steps ignored */
	int step_base;               /* of the rule that gave the steps */
	struct tm_steps steps;       /* owned, sorted by step; changed only by run.c (read rows with
					tm_run_step, fields with tm_run_stepf) */
	size_t nsteps;               /* steps.n, kept beside it for readers */
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
	uint64_t event_counts[TM_EV_N];  /* lines */
	uint64_t incident_counts[TM_EV_N]; /* incidents (listed or not) */
	uint64_t step_line;          /* line of the last step record accepted (0 none): incidents
					do not span it */
	double skipped_total;        /* last running total of skipped steps (skipped_total), NAN none */
	double skip_since;           /* skipped steps counted since that total (by other lines) */
	double skipped_steps;        /* skipped steps, each counted once: per-interval counts, one per
					OVERFLOW line, and the increases of a running total not
					already counted */
	const char *rec_host;        /* borrowed: the host the record's collector prefix names
					(syslog/journald), valid while it is matched; NULL none */
	size_t rec_host_len;
	struct tm_matcher *m;        /* borrowed, for `fields:` sub-regexes */
	uint64_t line;               /* line of the record being matched */
	double ts;                   /* that record's time (epoch s), NAN none; set with line */
	double first_ts, last_ts;    /* first and last record time seen, NAN none */
	int rank;                    /* rank label of that record, -1 none */
	int self_rank;               /* rank whose self-numbered step lines are counted; -2 unset */
	const struct tm_ruleset *rs; /* borrowed */
	struct tm_phase *phases;     /* owned, in log order, at most TM_RUN_PHASES_MAX */
	size_t nphases, capphases;
	uint64_t phases_dropped;     /* phase records not kept (over the cap) */
	/* appended: the framework decided from the whole file (tm_run_settle, docs/rules.md) */
	int detected;                /* pack of the first `detect:` that fired, -1 none */
	struct tm_run *rivals;       /* owned, nrivals: the step records of packs other than
					framework's, each in a run of its own (steps only) */
	size_t nrivals;
	/* appended: job values kept to derive parameters the log does not print (tm_run_settle) */
	double last_seqlen;          /* the last `actual_seqlen` a line printed, NAN none */
	uint64_t last_seqlen_line;
	double grad_accum;           /* gradient accumulation steps as printed (first), NAN none */
	uint64_t grad_accum_line;
	unsigned derived;            /* bit 1 << param: that param was derived by tm_run_settle */
	/* appended for step-time sources (issue 9) */
	double run_runtime_s;        /* end-of-run summary: training runtime (HF train_runtime), NAN */
	double run_steps_per_s;      /* end-of-run summary: steps per second (HF), NAN */
	uint64_t run_summary_line;   /* line of that summary, 0 none */
	uint64_t bars_eval;          /* progress-bar records taken for an eval/other bar, not steps */
	uint64_t bars_undecided;     /* progress-bar records not used: training or eval bar unknown */
	uint64_t fallback_events;    /* events made by fallback-pack rules' hits (they run until a
					framework pack claims the file; tm_run_append: one pass
					decides) */
	uint64_t bars_unclaimed;     /* a framework pack's progress-bar records passed over before
					the pack claimed the file (tm_run_append: one pass decides) */
	uint64_t fallback_dropped;   /* step records of a fallback pack dropped when a framework pack
					claimed the file */
	uint64_t bar_steps;          /* step records a training progress bar gave */
	double bar_loss;             /* a loss printed without a step number, waiting for the next
					training-bar record (its step), NAN none */
	/* appended for per-rank reports (issue 11, run_rank.c) */
	struct tm_rank_report *reports; /* owned, in log order, at most TM_RUN_REPORTS_MAX */
	size_t nreports, capreports;
	uint64_t reports_dropped;    /* the oldest reports let go at the cap (absolute index of
					reports[0]) */
	int report_mode;             /* 1: score lines belong to a relative report under way */
	double rk_step;              /* rank-prefixed step lines: the step being collected, NAN none */
	double *rk_time;             /* owned, TM_RANK_STEP_RANKS: each rank's time at rk_step, NAN
					none, then (same allocation) the rk_n ranks that gave one, in
					arrival order; allocated at the first rank-prefixed step time */
	uint32_t rk_n;               /* ranks with a time at rk_step */
	double rk_first;             /* the first step collected, NAN none (tm_run_rank_can_append) */
};

#define TM_RUN_RIVALS_MAX 4

void tm_run_init(struct tm_run *r, const char *file, const struct tm_ruleset *rs, struct tm_matcher *m);
void tm_run_release(struct tm_run *r);
/* Pins the framework (pack name); returns -1 if no such pack. */
int tm_run_force_framework(struct tm_run *r, const char *pack);

/* tm_hit_fn: ctx is the struct tm_run. Set r->line, r->rank and r->ts (tm_run_at) before
 * matching each record. */
int tm_run_hit(void *ctx, const struct tm_hit *h);
/* The record about to be matched: its line, rank label and time (NAN none). */
void tm_run_at(struct tm_run *r, uint64_t line, int rank, double ts);

/* Decides the framework from what the whole file said so far and makes its step records the
 * run's: a detector's pack when it gave step records, else the pack whose step rules gave the
 * most (ties: the first to give one). The other packs' values for the same step numbers fill
 * what the winner's records lack (the figures kept beside it). A pure function of the counts, so
 * calling it at any time (watch summarises often, analyze once) gives the same decision. It also
 * derives the job values the log gives only indirectly (a printed value always wins): seq_len
 * from the last `actual_seqlen`, else consumed tokens / consumed samples at the last step when
 * that is a whole number; gpus from the HF banner's total batch / (per-device batch x
 * gradient accumulation) when that is a whole number. */
void tm_run_settle(struct tm_run *r);
/* Points a run (and its rivals) at a reloaded ruleset, mapping packs by name. */
void tm_run_rebind(struct tm_run *r, const struct tm_ruleset *rs);

/* Appends a copy of step record st after the last; the caller keeps the order (state.c restoring
 * saved steps). */
void tm_run_push_step(struct tm_run *r, const struct tm_step *st);

/* Step record i (i < nsteps), unpacked; one field of it (cheaper when one is needed); its line. */
struct tm_step tm_run_step(const struct tm_run *r, size_t i);
static inline double tm_run_stepf(const struct tm_run *r, size_t i, enum tm_sf f)
{
	return tm_steps_get(&r->steps, i, f);
}
static inline uint32_t tm_run_stepline(const struct tm_run *r, size_t i)
{
	double line = tm_steps_get(&r->steps, i, TM_SF_LINE);
	return isnan(line) ? 0 : (uint32_t)line;    /* as tm_steps_row gives it */
}

/* Keeps the newest `keep` step records when there are more than `max` (the daemon's cap on a
 * run's memory; statistics then cover that window). Returns how many were dropped. */
size_t tm_run_trim(struct tm_run *r, size_t max, size_t keep);

/* Appends run b, which read the bytes right after a's (line numbers relative to its start,
 * line_offset = a's line count), as if one run had read both in order. Returns 0, or -1,
 * changing nothing, when only one pass can say what b's lines mean (a different framework, a
 * different rank for self-numbered steps, or steps of b not after a's): the caller then reads
 * b's bytes again into a. */
int tm_run_append(struct tm_run *a, struct tm_run *b, uint64_t line_offset);

/* A rank rule's hit (run_rank.c): f is indexed by enum tm_field (NAN absent); rank and host are
 * the groups' text (NULL absent). */
void tm_run_rank_hit(struct tm_run *r, const double *f, const char *rank, size_t ranklen, const char *host,
		     size_t hostlen);
/* A step record's time as one rank printed it (a launcher prefix named the rank): the ranks of
 * one step make a report with the median rank as reference once a later step arrives. */
void tm_run_rank_step(struct tm_run *r, int rank, double step, double time_s);
/* A step record arrived: the report under way (if any) is complete. */
void tm_run_rank_close(struct tm_run *r);
/* tm_run_append's part for reports: 0 when b's reports can follow a's, -1 when only one pass can
 * tell (a's report or step under way); append moves b's reports to a. */
int tm_run_rank_can_append(const struct tm_run *a, const struct tm_run *b);
void tm_run_rank_append(struct tm_run *a, struct tm_run *b, uint64_t line_offset);

/* Adds an event that did not come from a rule (e.g. a NaN loss value). */
void tm_run_event(struct tm_run *r, uint64_t line, enum tm_event_kind k, enum tm_ev_severity s,
		  const char *msg, size_t len);
/* Where the record about to be matched came from, beyond its rank (tm_run_at): the collector
 * prefix it had (syslog/journald "TIME host ident[pid]: " names the host). Borrowed until the
 * next record. */
void tm_run_at_prefix(struct tm_run *r, const char *cpre, size_t len);
/* Rank set helpers: 1 if rank is in e's set. */
int tm_event_has_rank(const struct tm_event *e, unsigned rank);

/* The duration of a phase record: the framework's timer, else end - start; NAN unknown. */
double tm_phase_seconds(const struct tm_phase *p);

/* Sets a string parameter if the log has not (the file name's Slurm job id). */
#define TM_SRC_PARAM_FILENAME 1
void tm_run_set_sparam(struct tm_run *r, int param, const char *v, int from_filename);

#endif
