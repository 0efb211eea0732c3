/* interrupt.h: how one segment (one log) ended, and when it did not end cleanly, its interruption
 * record: the initiating event, the cascade after it, the teardown, and a category in the
 * taxonomy of the Llama 3 report (Dubey et al. 2024, "The Llama 3 Herd of Models", §3.3.4,
 * Table 5). Read-only over a finished struct tm_run; allocates nothing. docs/analyze.md says how
 * each event kind is classified.
 */
#ifndef TRAINMON_INTERRUPT_H
#define TRAINMON_INTERRUPT_H

#include <stdint.h>

#include "trainmon/rules.h"
#include "trainmon/run.h"

/* How a segment ended, from the last evidence in its log. */
enum tm_seg_end {
	TM_END_UNKNOWN,     /* no ending evidence (still running, or the log just stops) */
	TM_END_CLEAN,       /* reached its last step / printed a clean exit */
	TM_END_FAILED,      /* a failure event and no later step */
	TM_END_TIME_LIMIT,  /* Slurm DUE TO TIME LIMIT */
	TM_END_CANCELLED,   /* Slurm CANCELLED (by a user or the scheduler) */
	TM_END_PREEMPTED,
	TM_END_NODE_FAIL,
	TM_END_N
};

/* Interruption categories (Llama 3 taxonomy, grouped). */
enum tm_int_category {
	TM_IC_FAULTY_GPU, TM_IC_GPU_MEMORY, TM_IC_NETWORK, TM_IC_HOST, TM_IC_SOFTWARE,
	TM_IC_SCHEDULER, TM_IC_DEPENDENCY, TM_IC_UNKNOWN, TM_IC_N
};

struct tm_interruption {
	enum tm_seg_end end;
	int interrupted;               /* 1: end is neither CLEAN nor UNKNOWN */
	int has_initiating;            /* 0: no root-cause candidate in the log */
	enum tm_event_kind initiating; /* the earliest root-cause candidate */
	uint64_t initiating_line;
	double initiating_ts;          /* epoch s, NAN unknown */
	char initiating_msg[240];
	uint64_t cascade;              /* follow-on failure lines after the initiating one */
	uint64_t teardown;             /* scheduler/launcher teardown lines */
	enum tm_int_category category;
	double last_step;              /* last step record of the segment, NAN none */
	double end_ts;                 /* time of the last line with a time, NAN unknown */
};

void tm_interrupt_find(const struct tm_run *r, struct tm_interruption *out);
const char *tm_seg_end_name(enum tm_seg_end e);
const char *tm_int_category_name(enum tm_int_category c);
/* The category an event kind belongs to when it initiates an interruption. */
enum tm_int_category tm_int_category_of(enum tm_event_kind k);

#endif
