/* interrupt.c: a segment's ending and its interruption record (interrupt.h).
 *
 * First version: the initiating event is the earliest event of a root-cause kind; NCCL and task
 * failures after it are the cascade, Slurm's lines the teardown.
 */
#include <math.h>
#include <string.h>

#include "trainmon/interrupt.h"
#include "banned.h"

static const char *const end_names[TM_END_N] = {
	"unknown", "clean", "failed", "time_limit", "cancelled", "preempted", "node_fail",
};

static const char *const cat_names[TM_IC_N] = {
	"faulty_gpu", "gpu_memory", "network", "host", "software_bug", "scheduler", "dependency", "unknown",
};

const char *tm_seg_end_name(enum tm_seg_end e) { return e < TM_END_N ? end_names[e] : "unknown"; }
const char *tm_int_category_name(enum tm_int_category c) { return c < TM_IC_N ? cat_names[c] : "unknown"; }

enum tm_int_category tm_int_category_of(enum tm_event_kind k)
{
	switch (k) {
	case TM_EV_XID: case TM_EV_GPU_LOST: case TM_EV_ECC_ERROR: return TM_IC_FAULTY_GPU;
	case TM_EV_CUDA_OOM: return TM_IC_GPU_MEMORY;
	case TM_EV_NCCL_TIMEOUT: case TM_EV_NCCL_ERROR: return TM_IC_NETWORK;
	case TM_EV_HOST_OOM: case TM_EV_SLURM_NODE_FAIL: return TM_IC_HOST;
	case TM_EV_EXCEPTION: case TM_EV_NAN_LOSS: case TM_EV_SEGFAULT: case TM_EV_DATALOADER_DIED:
		return TM_IC_SOFTWARE;
	case TM_EV_SLURM_TIME_LIMIT: case TM_EV_SLURM_CANCELLED: case TM_EV_SLURM_PREEMPTED:
		return TM_IC_SCHEDULER;
	default: return TM_IC_UNKNOWN;
	}
}

static int is_teardown(enum tm_event_kind k)
{
	return k == TM_EV_SLURM_TIME_LIMIT || k == TM_EV_SLURM_CANCELLED || k == TM_EV_SLURM_PREEMPTED ||
	       k == TM_EV_TASK_FAILED || k == TM_EV_CHILD_FAILED;
}

/* Kinds that say what went wrong rather than that something did. */
static int is_root(enum tm_event_kind k)
{
	return !is_teardown(k) && k != TM_EV_SKIPPED_STEP && k != TM_EV_FATAL_SIGNAL;
}

void tm_interrupt_find(const struct tm_run *r, struct tm_interruption *out)
{
	memset(out, 0, sizeof(*out));
	out->category = TM_IC_UNKNOWN;
	out->initiating_ts = NAN;
	out->end_ts = r->last_ts;
	out->last_step = r->nsteps ? r->steps[r->nsteps - 1].step : NAN;
	uint64_t last_step_line = r->nsteps ? r->steps[r->nsteps - 1].line : 0;
	const struct tm_event *first = NULL;
	for (size_t i = 0; i < r->nevents; i++) {
		const struct tm_event *e = &r->events[i];
		if (is_teardown(e->kind)) {
			out->teardown += e->count;
			if (e->kind == TM_EV_SLURM_TIME_LIMIT)
				out->end = TM_END_TIME_LIMIT;
			else if (e->kind == TM_EV_SLURM_CANCELLED && out->end != TM_END_TIME_LIMIT)
				out->end = TM_END_CANCELLED;
			else if (e->kind == TM_EV_SLURM_PREEMPTED)
				out->end = TM_END_PREEMPTED;
			continue;
		}
		if (e->severity < TM_EVS_ERROR || !is_root(e->kind))
			continue;
		if (!first) {
			first = e;
			out->cascade += e->count - 1;
		} else {
			out->cascade += e->count;
		}
		if (e->kind == TM_EV_SLURM_NODE_FAIL)
			out->end = TM_END_NODE_FAIL;
	}
	if (first) {
		out->has_initiating = 1;
		out->initiating = first->kind;
		out->initiating_line = first->line;
		memcpy(out->initiating_msg, first->message, sizeof(out->initiating_msg));
		out->category = tm_int_category_of(first->kind);
		if (out->end == TM_END_UNKNOWN && first->line >= last_step_line)
			out->end = TM_END_FAILED;
	} else if (out->end == TM_END_TIME_LIMIT || out->end == TM_END_CANCELLED || out->end == TM_END_PREEMPTED) {
		out->category = TM_IC_SCHEDULER;
	}
	out->interrupted = out->end != TM_END_UNKNOWN && out->end != TM_END_CLEAN;
}
