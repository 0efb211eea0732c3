/* test_interrupt.c: interruption records (src/interrupt.c) on runs built by hand: which event
 * initiates (a hardware fault before NCCL timeouts, whatever came first in the log), the cascade
 * and teardown, the category of each kind and Xid code, how a segment ended (clean by the
 * framework's line or by train_iters, time limit, cancel after a failure), and recurrence. */
#include "tm_test.h"
#include "trainmon/interrupt.h"

struct ev { uint64_t line; int rank; enum tm_event_kind k; enum tm_ev_severity s; const char *msg; };

/* A run with steps 1..nsteps on lines 1..nsteps and the events given (in line order). */
static void build(struct tm_run *r, int nsteps, const struct ev *v, size_t n)
{
	tm_run_init(r, "t.log", NULL, NULL);
	for (int i = 1; i <= nsteps; i++) {
		struct tm_step sv, *s = &sv;
		memset(s, 0, sizeof(*s));
		s->step = i;
		s->line = (uint32_t)i;
		s->ts = NAN;
		tm_run_push_step(r, s);
		r->step_line = (uint64_t)i;
	}
	for (size_t i = 0; i < n; i++) {
		tm_run_at(r, v[i].line, v[i].rank, NAN);
		tm_run_event(r, v[i].line, v[i].k, v[i].s, v[i].msg, strlen(v[i].msg));
	}
}

static struct tm_interruption find(const struct ev *v, size_t n, int nsteps, double train_iters)
{
	struct tm_run r;
	struct tm_interruption it;
	build(&r, nsteps, v, n);
	r.params[TM_P_TRAIN_ITERS] = train_iters;
	tm_interrupt_find(&r, &it);
	tm_run_release(&r);
	return it;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define E TM_EVS_ERROR
#define C TM_EVS_CRITICAL

int main(void)
{
	struct tm_test_state st = { 0, 0 };

	/* categories: kinds and Xid codes (NVIDIA "XID Errors") */
	TM_CHECK(&st, tm_int_category_code(TM_EV_XID, 79) == TM_IC_FAULTY_GPU);
	static const int mem[] = { 48, 63, 64, 92, 94, 95 };
	for (size_t i = 0; i < N(mem); i++)
		TM_CHECK(&st, tm_int_category_code(TM_EV_XID, mem[i]) == TM_IC_GPU_MEMORY);
	TM_CHECK(&st, tm_int_category_code(TM_EV_XID, 13) == TM_IC_SOFTWARE);
	TM_CHECK(&st, tm_int_category_code(TM_EV_XID, 31) == TM_IC_SOFTWARE);
	TM_CHECK(&st, tm_int_category_code(TM_EV_XID, 43) == TM_IC_SOFTWARE);
	TM_CHECK(&st, tm_int_category_code(TM_EV_XID, 74) == TM_IC_NETWORK);
	TM_CHECK(&st, tm_int_category_code(TM_EV_XID, 119) == TM_IC_FAULTY_GPU);
	TM_CHECK(&st, tm_int_category_code(TM_EV_XID, -1) == TM_IC_FAULTY_GPU);
	TM_CHECK(&st, tm_int_category_of(TM_EV_ECC_ERROR) == TM_IC_GPU_MEMORY);
	TM_CHECK(&st, tm_int_category_of(TM_EV_CUDA_OOM) == TM_IC_SOFTWARE);
	TM_CHECK(&st, tm_int_category_of(TM_EV_HOST_OOM) == TM_IC_HOST);
	TM_CHECK(&st, tm_int_category_of(TM_EV_NAN_GRAD_NORM) == TM_IC_SOFTWARE);
	TM_CHECK(&st, tm_int_category_of(TM_EV_NCCL_TIMEOUT) == TM_IC_NETWORK);
	TM_STREQ(&st, tm_int_category_name(TM_IC_FAULTY_GPU), "faulty_gpu");
	TM_STREQ(&st, tm_seg_end_name(TM_END_TIME_LIMIT), "time_limit");

	/* a GPU lost after the first NCCL timeout line is still the initiating event */
	{
		const struct ev v[] = {
			{ 101, 8, TM_EV_NCCL_TIMEOUT, C, "Watchdog caught collective operation timeout" },
			{ 102, -1, TM_EV_GPU_LOST, C, "NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus." },
			{ 103, 9, TM_EV_NCCL_TIMEOUT, C, "Watchdog caught collective operation timeout" },
			{ 104, 10, TM_EV_NCCL_TIMEOUT, C, "Watchdog caught collective operation timeout" },
			{ 105, 3, TM_EV_TASK_FAILED, E, "srun: error: n1: task 3: Aborted" },
		};
		struct tm_interruption it = find(v, N(v), 100, NAN);
		TM_CHECK(&st, it.has_initiating && it.initiating == TM_EV_GPU_LOST);
		TM_CHECK(&st, it.category == TM_IC_FAULTY_GPU && it.end == TM_END_FAILED && it.interrupted);
		TM_CHECK(&st, it.cascade == 3 && it.cascade_ranks == 3 && it.teardown == 1);
		TM_CHECK(&st, it.teardown_kind == TM_EV_TASK_FAILED && it.teardown_line == 105);
		TM_NEAR(&st, it.initiating_step, 100, 0);
	}
	/* software: the earliest of a CUDA OOM and the NCCL timeouts it causes */
	{
		const struct ev v[] = {
			{ 51, 2, TM_EV_CUDA_OOM, C, "torch.OutOfMemoryError: CUDA out of memory." },
			{ 60, 0, TM_EV_NCCL_TIMEOUT, C, "Watchdog caught collective operation timeout" },
		};
		struct tm_interruption it = find(v, N(v), 50, NAN);
		TM_CHECK(&st, it.initiating == TM_EV_CUDA_OOM && it.category == TM_IC_SOFTWARE && it.rank == 2);
		TM_CHECK(&st, it.cascade == 1 && it.end == TM_END_FAILED);
	}
	/* an old error long before the last step is not a candidate; a bare death is unknown */
	{
		const struct ev v[] = {
			{ 3, -1, TM_EV_EXCEPTION, E, "ModuleNotFoundError: No module named 'apex'" },
			{ 201, 5, TM_EV_FATAL_SIGNAL, C, "exitcode  : -9 (pid: 12)" },
		};
		struct tm_interruption it = find(v, N(v), 200, NAN);
		TM_CHECK(&st, it.initiating == TM_EV_FATAL_SIGNAL && it.category == TM_IC_UNKNOWN);
		TM_CHECK(&st, it.initiating_line == 201 && it.end == TM_END_FAILED);
	}
	/* a time limit with no failure: scheduler; a cancel after a failure: failed */
	{
		const struct ev v[] = { { 31, -1, TM_EV_SLURM_TIME_LIMIT, C, "DUE TO TIME LIMIT" } };
		struct tm_interruption it = find(v, N(v), 30, 1000);
		TM_CHECK(&st, !it.has_initiating && it.end == TM_END_TIME_LIMIT && it.category == TM_IC_SCHEDULER);
		TM_CHECK(&st, it.teardown == 1 && it.interrupted);
		const struct ev w[] = {
			{ 31, 1, TM_EV_NAN_LOSS, E, "loss: nan" },
			{ 40, -1, TM_EV_SLURM_CANCELLED, C, "CANCELLED AT 2024-01-01T00:00:00" },
		};
		it = find(w, N(w), 31, NAN);
		TM_CHECK(&st, it.end == TM_END_FAILED && it.initiating == TM_EV_NAN_LOSS);
		/* srun's lines after a time limit are its aftermath, not a cause */
		const struct ev y[] = {
			{ 31, -1, TM_EV_SLURM_TIME_LIMIT, C, "DUE TO TIME LIMIT" },
			{ 32, 0, TM_EV_TASK_FAILED, E, "srun: error: n1: tasks 0-3: Killed" },
			{ 33, 4, TM_EV_NCCL_ERROR, C, "NCCL error: remote process exited" },
		};
		it = find(y, N(y), 30, 1000);
		TM_CHECK(&st, !it.has_initiating && it.end == TM_END_TIME_LIMIT && it.category == TM_IC_SCHEDULER);
		TM_CHECK(&st, it.teardown == 2);
		const struct ev x[] = { { 40, -1, TM_EV_SLURM_CANCELLED, C, "CANCELLED AT 2024-01-01T00:00:00" } };
		it = find(x, N(x), 31, NAN);
		TM_CHECK(&st, it.end == TM_END_CANCELLED && it.category == TM_IC_SCHEDULER);
	}
	/* clean ends: the framework's line, or the last step at train_iters; none: unknown */
	{
		const struct ev v[] = { { 21, -1, TM_EV_TRAINING_DONE, TM_EVS_INFO, "`Trainer.fit` stopped" } };
		struct tm_interruption it = find(v, N(v), 20, NAN);
		TM_CHECK(&st, it.end == TM_END_CLEAN && !it.interrupted && it.clean_line == 21);
		it = find(NULL, 0, 20, 20);
		TM_CHECK(&st, it.end == TM_END_CLEAN);
		it = find(NULL, 0, 19, 20);
		TM_CHECK(&st, it.end == TM_END_UNKNOWN && !it.interrupted);
		const struct ev w[] = {
			{ 21, -1, TM_EV_TRAINING_DONE, TM_EVS_INFO, "Training completed" },
			{ 22, 0, TM_EV_SEGFAULT, C, "Fatal Python error: Segmentation fault" },
		};
		it = find(w, N(w), 20, NAN);
		TM_CHECK(&st, it.end == TM_END_FAILED);            /* it crashed on the way out */
	}
	/* a file system error is a dependency */
	{
		const struct ev v[] = { { 11, 0, TM_EV_EXCEPTION, E, "OSError: [Errno 116] Stale file handle" } };
		struct tm_interruption it = find(v, N(v), 10, NAN);
		TM_CHECK(&st, it.category == TM_IC_DEPENDENCY);
	}
	/* recurrence: same kind at the same step, or on the same host */
	{
		struct tm_interruption a, b;
		memset(&a, 0, sizeof(a));
		a.has_initiating = 1;
		a.initiating = TM_EV_NAN_LOSS;
		a.code = -1;
		a.initiating_step = 1230;
		a.last_step = 1230;
		b = a;
		TM_CHECK(&st, tm_interrupt_same_cause(&a, &b));
		b.initiating_step = b.last_step = 1240;
		TM_CHECK(&st, !tm_interrupt_same_cause(&a, &b));
		strcpy(a.host, "nid001234");
		strcpy(b.host, "nid001234");
		TM_CHECK(&st, tm_interrupt_same_cause(&a, &b));
		b.initiating = TM_EV_CUDA_OOM;
		TM_CHECK(&st, !tm_interrupt_same_cause(&a, &b));
		b.initiating = TM_EV_NAN_LOSS;
		a.code = 79;
		b.code = 48;
		TM_CHECK(&st, !tm_interrupt_same_cause(&a, &b));
		b.has_initiating = 0;
		b.code = 79;
		TM_CHECK(&st, !tm_interrupt_same_cause(&a, &b));
	}
	return tm_test_done(&st, "test_interrupt");
}
