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
	enum tm_event_kind initiating; /* the earliest root-cause candidate (see tm_interrupt_find) */
	uint64_t initiating_line;
	double initiating_ts;          /* epoch s, NAN unknown */
	char initiating_msg[240];
	uint64_t cascade;              /* follow-on failure lines after the initiating one */
	uint64_t teardown;             /* scheduler/launcher teardown lines */
	enum tm_int_category category;
	double last_step;              /* last step record of the segment, NAN none */
	double end_ts;                 /* time of the last line with a time, NAN unknown */
	/* where and what, from the initiating incident (added with incidents) */
	char host[64];                 /* the host it names, "" unknown */
	int rank;                      /* its lowest rank, -1 unknown */
	int code;                      /* its code (the Xid number), -1 none */
	double initiating_step;        /* the last step record before it, NAN none */
	uint32_t ranks;                /* distinct ranks of the initiating incident and the cascade */
	uint32_t cascade_ranks;        /* distinct ranks the cascade names (0: its lines name none) */
	uint64_t cascade_incidents;    /* incidents in the cascade */
	uint64_t teardown_line;        /* first teardown line, 0 none */
	int has_teardown;
	enum tm_event_kind teardown_kind;
	uint64_t clean_line;           /* the line that says training finished (training_done), 0 none */
};

/* Reads r's events and steps. Candidates are the events of error severity or above in the
 * segment's tail (at or after the last step record, or at most 64 lines / 60 s before it; every
 * event when there is no step), and not after the first Slurm cancel, time limit or preemption
 * line (its aftermath). The initiating event is, in this order: the earliest hardware
 * or host fault (gpu_lost, an Xid other than an application one or 45, ecc_error, host_oom,
 * slurm_node_fail): such a fault is followed by NCCL timeouts on the other ranks, often
 * minutes later; else the earliest software fault or NCCL failure (cuda_oom, nan_loss,
 * nan_grad_norm, segfault, dataloader_died, exception, an application Xid, nccl_timeout,
 * nccl_error); else the earliest process death (fatal_signal, child_failed, task_failed), whose
 * category is unknown. Later failures are the cascade; Slurm's and srun's lines the teardown. */
void tm_interrupt_find(const struct tm_run *r, struct tm_interruption *out);
const char *tm_seg_end_name(enum tm_seg_end e);
const char *tm_int_category_name(enum tm_int_category c);
/* The category an event kind belongs to when it initiates an interruption. */
enum tm_int_category tm_int_category_of(enum tm_event_kind k);
/* The same, knowing the code the line named (an Xid number; -1 none): NVIDIA's "XID Errors"
 * document (docs.nvidia.com/deploy/xid-errors): 79 fallen off the bus -> faulty_gpu; 48, 63, 64,
 * 92, 94, 95 ECC and row-remapping -> gpu_memory; 13, 31, 43 application faults -> software_bug;
 * 74 NVLink -> network; any other -> faulty_gpu. */
enum tm_int_category tm_int_category_code(enum tm_event_kind k, int code);
/* 1 when two interruptions have the same cause: both have an initiating event of the same kind
 * (and the same code when both name one), and it came at the same step or on the same host.
 * For the chains' recurrence count. */
int tm_interrupt_same_cause(const struct tm_interruption *a, const struct tm_interruption *b);

#endif
