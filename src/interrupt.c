/* interrupt.c: a segment's ending and its interruption record (interrupt.h).
 *
 * Works on incidents (run.h), not lines: each candidate is an incident of error severity or
 * above in the segment's tail. Hardware and host faults initiate before anything else, because
 * a lost GPU or a killed rank shows first as NCCL timeouts on every other rank, minutes later
 * (the watchdog's timeout), and often as exceptions of the ranks that touched the dead GPU; then
 * the earliest software or network failure; then a bare process death. Categories follow the
 * Llama 3 report's Table 5 (Dubey et al. 2024, "The Llama 3 Herd of Models", §3.3.4), Xid codes
 * NVIDIA's "XID Errors" document. Reads the run, writes only *out; allocates nothing.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "trainmon/interrupt.h"
#include "banned.h"

static const char *const end_names[TM_END_N] = {
	"unknown", "clean", "failed", "time_limit", "cancelled", "preempted", "node_fail",
};

static const char *const cat_names[TM_IC_N] = {
	"faulty_gpu", "gpu_memory", "network", "host", "software_bug", "scheduler", "dependency", "unknown",
};

/* the tail of a segment: candidates end at most this far before its last step record */
#define TAIL_LINES 64
#define TAIL_S 60.0

const char *tm_seg_end_name(enum tm_seg_end e) { return e < TM_END_N ? end_names[e] : "unknown"; }
const char *tm_int_category_name(enum tm_int_category c) { return c < TM_IC_N ? cat_names[c] : "unknown"; }

/* A CUDA out-of-memory is the job's own configuration (batch, sequence, fragmentation): a
 * software bug in Table 5's terms; its "GPU HBM3 memory" row is the hardware's ECC faults. */
enum tm_int_category tm_int_category_of(enum tm_event_kind k)
{
	switch (k) {
	case TM_EV_XID: case TM_EV_GPU_LOST: return TM_IC_FAULTY_GPU;
	case TM_EV_ECC_ERROR: return TM_IC_GPU_MEMORY;
	case TM_EV_NCCL_TIMEOUT: case TM_EV_NCCL_ERROR: return TM_IC_NETWORK;
	case TM_EV_HOST_OOM: case TM_EV_SLURM_NODE_FAIL: return TM_IC_HOST;
	case TM_EV_CUDA_OOM: case TM_EV_EXCEPTION: case TM_EV_NAN_LOSS: case TM_EV_NAN_GRAD_NORM:
	case TM_EV_SEGFAULT: case TM_EV_DATALOADER_DIED:
		return TM_IC_SOFTWARE;
	case TM_EV_SLURM_TIME_LIMIT: case TM_EV_SLURM_CANCELLED: case TM_EV_SLURM_PREEMPTED:
		return TM_IC_SCHEDULER;
	default: return TM_IC_UNKNOWN;
	}
}

static int xid_app(int code) { return code == 13 || code == 31 || code == 43; }
static int xid_memory(int code)
{
	return code == 48 || code == 63 || code == 64 || code == 92 || code == 94 || code == 95;
}

enum tm_int_category tm_int_category_code(enum tm_event_kind k, int code)
{
	if (k != TM_EV_XID || code < 0)
		return tm_int_category_of(k);
	if (code == 79)
		return TM_IC_FAULTY_GPU;
	if (xid_memory(code))
		return TM_IC_GPU_MEMORY;
	if (xid_app(code))
		return TM_IC_SOFTWARE;
	if (code == 74)
		return TM_IC_NETWORK;          /* NVLink: the GPUs' interconnect */
	return TM_IC_FAULTY_GPU;
}

/* An exception that names a failing file system is a dependency (Table 5's "Dependency"). */
static int dependency_msg(const char *m)
{
	static const char *const s[] = { "Stale file handle", "Input/output error", "No space left on device",
					 "Disk quota exceeded", "Read-only file system" };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (strstr(m, s[i]))
			return 1;
	return 0;
}

static int is_teardown(enum tm_event_kind k)
{
	return k == TM_EV_SLURM_TIME_LIMIT || k == TM_EV_SLURM_CANCELLED || k == TM_EV_SLURM_PREEMPTED ||
	       k == TM_EV_TASK_FAILED;
}

/* 0: hardware or host fault, 1: software or network failure, 2: a process death that says
 * nothing of its cause, -1: not a root-cause candidate. */
static int tier(const struct tm_event *e)
{
	switch (e->kind) {
	case TM_EV_GPU_LOST: case TM_EV_ECC_ERROR: case TM_EV_HOST_OOM: case TM_EV_SLURM_NODE_FAIL:
		return 0;
	case TM_EV_XID:
		if (e->code == 45)
			return -1;        /* "preemptive cleanup, due to previous errors": an aftermath */
		return xid_app(e->code) ? 1 : 0;
	case TM_EV_CUDA_OOM: case TM_EV_NAN_LOSS: case TM_EV_NAN_GRAD_NORM: case TM_EV_SEGFAULT:
	case TM_EV_DATALOADER_DIED: case TM_EV_EXCEPTION: case TM_EV_NCCL_TIMEOUT: case TM_EV_NCCL_ERROR:
		return 1;
	case TM_EV_TASK_FAILED:
		/* srun's "task N: Terminated": Slurm's SIGTERM, the teardown of something else */
		return strstr(e->message, ": Terminated") ? -1 : 2;
	case TM_EV_FATAL_SIGNAL: case TM_EV_CHILD_FAILED:
		return 2;
	default:
		return -1;
	}
}

static uint32_t count_bits(const uint64_t *set)
{
	uint32_t n = 0;
	for (unsigned w = 0; w < TM_EVENT_RANKS / 64; w++)
		n += (uint32_t)__builtin_popcountll(set[w]);
	return n;
}

/* In the tail: not before the last step record by more than TAIL_LINES lines or TAIL_S s. */
static int in_tail(const struct tm_run *r, const struct tm_event *e)
{
	if (!r->nsteps)
		return 1;
	const struct tm_step last_v = tm_run_step(r, r->nsteps - 1), *last = &last_v;
	if (e->last_line >= last->line)
		return 1;
	if (!isnan(e->last_ts) && !isnan(last->ts))
		return e->last_ts >= last->ts - TAIL_S;
	return e->last_line + TAIL_LINES >= last->line;
}

/* The last step record before line (NAN none). */
static double step_before(const struct tm_run *r, uint64_t line)
{
	/* steps are sorted by step number, and in a segment their lines follow: scan back */
	for (size_t i = r->nsteps; i-- > 0;)
		if (tm_run_stepline(r, i) <= line)
			return tm_run_stepf(r, i, TM_SF_STEP);
	return NAN;
}

void tm_interrupt_find(const struct tm_run *r, struct tm_interruption *out)
{
	memset(out, 0, sizeof(*out));
	out->category = TM_IC_UNKNOWN;
	out->initiating_ts = NAN;
	out->initiating_step = NAN;
	out->rank = -1;
	out->code = -1;
	out->end_ts = r->last_ts;
	out->last_step = r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP) : NAN;
	uint64_t last_step_line = r->nsteps ? tm_run_stepline(r, r->nsteps - 1) : 0;

	/* what comes after the scheduler's cancel, time limit or preemption is its aftermath */
	uint64_t sched_first = UINT64_MAX;
	for (size_t i = 0; i < r->nevents; i++)
		if (r->events[i].kind == TM_EV_SLURM_TIME_LIMIT || r->events[i].kind == TM_EV_SLURM_CANCELLED ||
		    r->events[i].kind == TM_EV_SLURM_PREEMPTED) {
			sched_first = r->events[i].line;
			break;
		}
	/* the initiating incident: the lowest tier, then the earliest line */
	const struct tm_event *first = NULL;
	int best = 3;
	for (size_t i = 0; i < r->nevents; i++) {
		const struct tm_event *e = &r->events[i];
		int t = tier(e);
		if (t < 0 || e->severity < TM_EVS_ERROR || !in_tail(r, e) || e->line > sched_first)
			continue;
		if (t < best || (t == best && first && e->line < first->line)) {
			best = t;
			first = e;
		}
	}
	/* the cascade, the teardown and how it ended */
	uint64_t ranks[TM_EVENT_RANKS / 64] = { 0 }, cranks[TM_EVENT_RANKS / 64] = { 0 };
	enum tm_seg_end sched = TM_END_UNKNOWN;
	uint64_t sched_line = 0, failure_after_done = 0;
	for (size_t i = 0; i < r->nevents; i++) {
		const struct tm_event *e = &r->events[i];
		if (e->kind == TM_EV_TRAINING_DONE) {
			out->clean_line = e->last_line;
			failure_after_done = 0;
			continue;
		}
		if (is_teardown(e->kind)) {
			out->teardown += e->count;
			if (!out->has_teardown) {
				out->has_teardown = 1;
				out->teardown_line = e->line;
				out->teardown_kind = e->kind;
			}
			enum tm_seg_end s = e->kind == TM_EV_SLURM_TIME_LIMIT ? TM_END_TIME_LIMIT :
					    e->kind == TM_EV_SLURM_PREEMPTED ? TM_END_PREEMPTED :
					    e->kind == TM_EV_SLURM_CANCELLED ? TM_END_CANCELLED : TM_END_UNKNOWN;
			/* a time limit or a preemption says more than a cancel line next to it */
			if (s != TM_END_UNKNOWN && (sched == TM_END_UNKNOWN || sched == TM_END_CANCELLED)) {
				sched = s;
				sched_line = e->line;
			}
			if (e->kind == TM_EV_TASK_FAILED && e->severity >= TM_EVS_ERROR)
				failure_after_done = 1;
			continue;
		}
		if (e->severity < TM_EVS_ERROR || tier(e) < 0)
			continue;
		if (out->clean_line && e->line > out->clean_line)
			failure_after_done = 1;
		/* after it, or begun before it and going on past it (a timeout line that got into the
		 * log before the hardware fault's kernel line) */
		if (!first || e == first || e->last_line < first->line)
			continue;
		out->cascade += e->count;
		out->cascade_incidents++;
		for (unsigned w = 0; w < TM_EVENT_RANKS / 64; w++)
			cranks[w] |= e->ranks[w];
	}
	if (first) {
		out->has_initiating = 1;
		out->initiating = first->kind;
		out->initiating_line = first->line;
		out->initiating_ts = first->ts;
		memcpy(out->initiating_msg, first->message, sizeof(out->initiating_msg));
		memcpy(out->host, first->host, sizeof(out->host));
		out->rank = first->rank;
		out->code = first->code;
		/* its other lines are the cascade when other ranks printed them, else a restatement */
		if (first->nranks > 1)
			out->cascade += first->count - 1;
		out->initiating_step = step_before(r, first->line);
		out->category = best == 2 ? TM_IC_UNKNOWN : tm_int_category_code(first->kind, first->code);
		if (first->kind == TM_EV_EXCEPTION && dependency_msg(first->message))
			out->category = TM_IC_DEPENDENCY;
		/* its lines on other ranks than its first line's are the cascade too */
		uint64_t own[TM_EVENT_RANKS / 64];
		memcpy(own, first->ranks, sizeof(own));
		if (first->rank >= 0 && first->rank < TM_EVENT_RANKS)
			own[first->rank / 64] &= ~((uint64_t)1 << (first->rank % 64));
		for (unsigned w = 0; w < TM_EVENT_RANKS / 64; w++) {
			ranks[w] = first->ranks[w] | cranks[w];
			cranks[w] |= own[w];
		}
	}
	out->cascade_ranks = count_bits(cranks);
	out->ranks = count_bits(ranks);

	/* how it ended: a clean end wins; then the scheduler's word; then a failure */
	double iters = r->params[TM_P_TRAIN_ITERS];
	int reached = r->nsteps && !isnan(iters) && iters > 0 && out->last_step >= iters - (r->step_base == 0);
	int failed_after_last = first && first->last_line >= last_step_line;
	if (out->clean_line && !failure_after_done)
		out->end = TM_END_CLEAN;
	else if (reached && !failed_after_last && sched == TM_END_UNKNOWN)
		out->end = TM_END_CLEAN;
	else if (first && first->kind == TM_EV_SLURM_NODE_FAIL)
		out->end = TM_END_NODE_FAIL;
	else if (sched == TM_END_CANCELLED && first && first->line < sched_line)
		out->end = TM_END_FAILED;             /* Slurm cancelled what had already failed */
	else if (sched != TM_END_UNKNOWN)
		out->end = sched;
	else if (first && failed_after_last)
		out->end = TM_END_FAILED;
	else if (first && out->has_teardown)
		out->end = TM_END_FAILED;
	if (!first && out->end >= TM_END_TIME_LIMIT && out->end <= TM_END_PREEMPTED)
		out->category = TM_IC_SCHEDULER;
	out->interrupted = out->end != TM_END_UNKNOWN && out->end != TM_END_CLEAN;
}

int tm_interrupt_same_cause(const struct tm_interruption *a, const struct tm_interruption *b)
{
	if (!a->has_initiating || !b->has_initiating || a->initiating != b->initiating)
		return 0;
	if (a->code >= 0 && b->code >= 0 && a->code != b->code)
		return 0;
	double sa = !isnan(a->initiating_step) ? a->initiating_step : a->last_step;
	double sb = !isnan(b->initiating_step) ? b->initiating_step : b->last_step;
	if (!isnan(sa) && sa == sb)
		return 1;
	return a->host[0] && strcmp(a->host, b->host) == 0;
}
