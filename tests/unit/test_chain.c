/* test_chain.c: chains and the goodput ledger over segments built by hand (chain.h), and phase
 * records folded from log lines (run.h): the arithmetic, grouping, and what stays unknown. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tm_test.h"
#include "tm_test_pack.h"
#include "trainmon/chain.h"
#include "trainmon/engine.h"

/* A segment of steps first..last every `every` steps at step_s per step, its first line at t0,
 * training from t0 + startup; saves add save_s after the record of their step. */
static void seg(struct tm_segment *sg, const char *file, double t0, double startup, double first, double last,
		double every, double step_s)
{
	memset(sg, 0, sizeof(*sg));
	sg->file = strdup(file);
	sg->framework_id = 0;
	sg->step_base = 1;
	sg->nsteps = (size_t)((last - first) / every) + 1;
	sg->steps = calloc(sg->nsteps, sizeof(*sg->steps));
	double t = t0 + startup;
	for (size_t i = 0; i < sg->nsteps; i++) {
		t += every * step_s;
		sg->steps[i] = (struct tm_seg_step){ first + (double)i * every, t, step_s, 100 + 10 * i };
	}
	sg->phases = calloc(8, sizeof(*sg->phases));
	sg->first_ts = t0;
	sg->last_ts = t;
	sg->log_interval = every;
	sg->tokens_per_step = 1000;
	sg->tokens_per_s = 1000 / step_s;
	sg->mfu = 0.5;
	sg->gpus = 8;
	sg->target_tokens = 1e7;
	sg->intr.end = TM_END_UNKNOWN;
	sg->intr.last_step = last;
}

static void phase(struct tm_segment *sg, enum tm_phase_kind k, double step, double dur, uint64_t line)
{
	sg->phases[sg->nphases++] = (struct tm_phase){ .kind = k, .step = step, .start_ts = NAN, .end_ts = NAN,
						       .duration_s = dur, .line = line };
}

/* Shifts the records after `line` by s seconds, and the segment's end. */
static void delay_after(struct tm_segment *sg, uint64_t line, double s)
{
	for (size_t i = 0; i < sg->nsteps; i++)
		if (sg->steps[i].line > line)
			sg->steps[i].ts += s;
	sg->last_ts += s;
}

static void fail(struct tm_segment *sg, enum tm_event_kind k, enum tm_int_category c)
{
	sg->intr.end = TM_END_FAILED;
	sg->intr.interrupted = 1;
	sg->intr.has_initiating = 1;
	sg->intr.initiating = k;
	sg->intr.category = c;
}

static double sum_buckets(const struct tm_chain *c)
{
	double s = 0;
	for (int b = 0; b < TM_B_N; b++)
		s += c->bucket[b];
	return s;
}

/* The issue #10 case by hand: 101 runs 1..1230 (save at 1000, 30 s) and fails; 102 starts 2700 s
 * after 101's end, loads 1000 in 60 s, runs 1001..1990 and ends on the time limit. */
static void test_issue10(struct tm_test_state *st)
{
	struct tm_segment s[2];
	seg(&s[0], "slurm-101.out", 1000, 30, 10, 1230, 10, 1.0);
	phase(&s[0], TM_PH_CKPT_SAVE, 1000, 30, 100 + 10 * 99 + 1);
	delay_after(&s[0], 100 + 10 * 99 + 1, 30);
	fail(&s[0], TM_EV_NCCL_TIMEOUT, TM_IC_NETWORK);
	seg(&s[1], "slurm-102.out", s[0].last_ts + 2700, 80, 1010, 1990, 10, 1.0);
	phase(&s[1], TM_PH_CKPT_LOAD, 1000, 60, 50);
	s[1].intr.end = TM_END_TIME_LIMIT;
	s[1].intr.interrupted = 1;
	s[1].intr.category = TM_IC_SCHEDULER;
	struct tm_chain *c;
	char err[200];
	struct tm_chain_opts o = { .by_param = -1, .stall_s = 600 };
	TM_CHECK(st, tm_chains_build(s, 2, &o, &c, err, sizeof(err)) == 1);
	TM_CHECK(st, c[0].nsegs == 2 && c[0].segs[0] == 0 && c[0].by_time);
	TM_STREQ(st, c[0].grouped_by, "resume");
	TM_NEAR(st, c[0].bucket[TM_B_WASTED], 230, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_PRODUCTIVE], 1000 + 990, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_CKPT_SAVE], 30, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_CKPT_LOAD], 60, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_RECOVERY], 2700, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_STARTUP], 30 + 20, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_OTHER], 0, 1e-9);
	TM_NEAR(st, sum_buckets(&c[0]), c[0].wall, 1e-12);
	TM_NEAR(st, c[0].wall, 30 + 1230 + 30 + 2700 + 80 + 990, 1e-12);
	TM_NEAR(st, c[0].goodput, 1990 / c[0].wall, 1e-12);
	TM_NEAR(st, c[0].effective_mfu, 0.5 * c[0].goodput, 1e-12);
	/* every step once: 1..1000 from 101, 1001..1990 from 102 */
	TM_NEAR(st, c[0].tokens_done, 1990 * 1000, 1e-12);
	TM_CHECK(st, c[0].interruptions == 1 && c[0].by_category[TM_IC_NETWORK] == 1);
	TM_NEAR(st, c[0].mttr_s, 2700, 1e-12);
	TM_NEAR(st, c[0].mtbf_s, (s[0].last_ts - s[0].first_ts) + (s[1].last_ts - s[1].first_ts), 1e-12);
	TM_CHECK(st, c[0].ended && isnan(c[0].eta_s));
	TM_NEAR(st, c[0].remaining_s, (1e7 - 1990 * 1000) / 1000, 1e-12);
	TM_NEAR(st, s[0].led.kept_steps, 1000, 0);
	TM_NEAR(st, s[0].led.wasted_steps, 230, 0);
	TM_NEAR(st, s[1].led.recovery_before, 2700, 1e-12);
	tm_chains_free(c, 1);

	/* no times in the second log: the wall-clock buckets are unknown, with the reason; the
	 * ones the framework timed are not */
	s[1].first_ts = s[1].last_ts = NAN;
	for (size_t i = 0; i < s[1].nsteps; i++)
		s[1].steps[i].ts = NAN;
	o.name = "run";
	TM_CHECK(st, tm_chains_build(s, 2, &o, &c, err, sizeof(err)) == 1);
	TM_CHECK(st, !c[0].by_time && isnan(c[0].wall) && c[0].wall_why);
	TM_CHECK(st, isnan(c[0].bucket[TM_B_RECOVERY]) && strstr(c[0].why[TM_B_RECOVERY], "slurm-102.out"));
	TM_CHECK(st, isnan(c[0].bucket[TM_B_OTHER]) && c[0].why[TM_B_OTHER][0]);
	TM_NEAR(st, c[0].bucket[TM_B_WASTED], 230, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_CKPT_LOAD], 60, 1e-12);
	TM_CHECK(st, isnan(c[0].mtbf_s) && c[0].interruptions == 1);
	tm_chains_free(c, 1);
	tm_segment_release(&s[0]);
	tm_segment_release(&s[1]);
}

/* Runs from scratch are never joined; steps that continue a run's are; a second run with the
 * same step numbers is told apart by which one saved the checkpoint loaded. */
static void test_grouping(struct tm_test_state *st)
{
	struct tm_segment s[5];
	seg(&s[0], "a.out", 0, 10, 10, 200, 10, 1);
	seg(&s[1], "b.out", 1000, 10, 10, 90, 10, 1);          /* from scratch again */
	seg(&s[2], "c.out", 2000, 10, 210, 300, 10, 1);        /* continues a.out, no load line */
	seg(&s[3], "d.out", 3000, 10, 10, 500, 10, 1);         /* another run, saves at 400 */
	phase(&s[3], TM_PH_CKPT_SAVE, 400, 5, 100 + 10 * 39 + 1);
	seg(&s[4], "e.out", 4000, 10, 410, 450, 10, 1);        /* loads 400: d.out's, not a.out's */
	phase(&s[4], TM_PH_CKPT_LOAD, 400, 5, 50);
	struct tm_chain *c;
	char err[200];
	struct tm_chain_opts o = { .by_param = -1, .stall_s = 600 };
	/* a fine-tuning run loading step 400 of d.out but numbering its steps from 10 is no resume */
	struct tm_segment ft;
	seg(&ft, "ft.out", 5000, 10, 10, 100, 10, 1);
	phase(&ft, TM_PH_CKPT_LOAD, 400, 5, 50);
	TM_NEAR(st, tm_segment_from_step(&ft), 0, 0);
	TM_CHECK(st, tm_chains_build(&ft, 1, &o, &c, err, sizeof(err)) == 0);
	struct tm_segment pair[2] = { s[3], ft };
	TM_CHECK(st, tm_chains_build(pair, 2, &o, &c, err, sizeof(err)) == 0);
	tm_segment_release(&ft);
	TM_CHECK(st, tm_chains_build(s, 5, &o, &c, err, sizeof(err)) == 2);
	TM_CHECK(st, c[0].nsegs == 2 && c[0].segs[0] == 0 && c[0].segs[1] == 2);
	TM_CHECK(st, c[1].nsegs == 2 && c[1].segs[0] == 3 && c[1].segs[1] == 4);
	TM_STREQ(st, c[0].name, "a");
	tm_chains_free(c, 2);
	/* --chain-by: the first group over the file names (here empty for a-c); no match, no chain */
	o.by_regex = "^(?=[a-c])()";
	TM_CHECK(st, tm_chains_build(s, 5, &o, &c, err, sizeof(err)) == 1);
	TM_CHECK(st, c[0].nsegs == 3 && !strcmp(c[0].grouped_by, "file_regex"));
	tm_chains_free(c, 1);
	o.by_regex = "(";
	TM_CHECK(st, tm_chains_build(s, 5, &o, &c, err, sizeof(err)) == -1 && strstr(err, "--chain-by"));
	for (int i = 0; i < 5; i++)
		tm_segment_release(&s[i]);
}

/* Three segments dying at the same step with the same cause: recurrence 3. A stall is a gap
 * longer than the threshold; segments overlapping in time leave `other` unknown, not negative. */
static void test_recurrence_stall_overlap(struct tm_test_state *st)
{
	struct tm_segment s[3];
	seg(&s[0], "n1.out", 0, 10, 10, 450, 10, 1);
	phase(&s[0], TM_PH_CKPT_SAVE, 400, 5, 100 + 10 * 39 + 1);
	delay_after(&s[0], 100 + 10 * 39 + 1, 5);
	for (int i = 1; i < 3; i++) {
		seg(&s[i], i == 1 ? "n2.out" : "n3.out", s[i - 1].last_ts + 1800, 50, 410, 450, 10, 1);
		phase(&s[i], TM_PH_CKPT_LOAD, 400, 40, 50);
	}
	for (int i = 0; i < 3; i++)
		fail(&s[i], TM_EV_NAN_LOSS, TM_IC_SOFTWARE);
	/* a 700 s hang between two records of n2, and a 12 s evaluation in n3 */
	delay_after(&s[1], 100 + 10 * 1, 700);
	phase(&s[2], TM_PH_EVAL, 430, 12, 100 + 10 * 2 + 1);
	delay_after(&s[2], 100 + 10 * 2 + 1, 12);
	struct tm_chain *c;
	char err[200];
	struct tm_chain_opts o = { .by_param = -1, .stall_s = 600 };
	TM_CHECK(st, tm_chains_build(s, 3, &o, &c, err, sizeof(err)) == 1);
	TM_CHECK(st, c[0].nsegs == 3 && c[0].interruptions == 3 && c[0].recurrence == 3 && c[0].nrecur == 1);
	TM_CHECK(st, c[0].nrecur == 1 && c[0].recur[0].kind == TM_EV_NAN_LOSS && c[0].recur[0].step == 450);
	TM_NEAR(st, c[0].bucket[TM_B_STALL], 700, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_EVAL], 12, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_WASTED], 50 + 50, 1e-12);
	TM_NEAR(st, c[0].bucket[TM_B_OTHER], 0, 1e-9);
	TM_NEAR(st, sum_buckets(&c[0]), c[0].wall, 1e-12);
	TM_NEAR(st, c[0].tokens_done, 450 * 1000, 1e-12);
	tm_chains_free(c, 1);
	/* below the threshold the hang is `other` */
	o.stall_s = 800;
	TM_CHECK(st, tm_chains_build(s, 3, &o, &c, err, sizeof(err)) == 1);
	TM_NEAR(st, c[0].bucket[TM_B_STALL], 0, 0);
	TM_NEAR(st, c[0].bucket[TM_B_OTHER], 700, 1e-12);
	tm_chains_free(c, 1);
	/* the second segment's times overlap the first's: forced into one chain, other is unknown */
	s[1].first_ts -= 4000;
	o.name = "x";
	TM_CHECK(st, tm_chains_build(s, 3, &o, &c, err, sizeof(err)) == 1);
	TM_CHECK(st, isnan(c[0].bucket[TM_B_OTHER]) && strstr(c[0].why[TM_B_OTHER], "exceed the wall time"));
	tm_chains_free(c, 1);
	for (int i = 0; i < 3; i++)
		tm_segment_release(&s[i]);
}

/* Phase lines fold into records: start, end and timer of one save are one record; a timer
 * after a step record opens a new one; a load keeps the step it names. */
static void test_phases(struct tm_test_state *st)
{
	static const char pack[] =
		"framework: t\n"
		"rules:\n"
		"  - name: it\n    record: step\n    regex: '^it (?<step>\\d+)'\n"
		"    samples: {match: ['it 1'], nomatch: ['x']}\n"
		"  - name: save\n    record: phase\n    phase: checkpoint_save\n    regex: '^saving at (?<step>\\d+)'\n"
		"    samples: {match: ['saving at 1'], nomatch: ['x']}\n"
		"  - name: saved\n    record: phase\n    phase: checkpoint_save\n    mark: end\n"
		"    regex: '^saved at (?<step>\\d+)'\n    samples: {match: ['saved at 1'], nomatch: ['x']}\n"
		"  - name: timer\n    record: phase\n    phase: checkpoint_save\n    mark: duration\n"
		"    regex: '^save-checkpoint: (?<duration_ms>[\\d.]+)'\n    samples: {match: ['save-checkpoint: 1'], nomatch: ['x']}\n"
		"  - name: load\n    record: phase\n    phase: checkpoint_load\n    regex: '^loading at (?<step>\\d+)'\n"
		"    samples: {match: ['loading at 1'], nomatch: ['x']}\n"
		"  - name: when\n    record: phase\n    phase: time\n    regex: '^now (?<ts>\\S+ \\S+)$'\n"
		"    samples: {match: ['now 2024-01-01 00:00:00'], nomatch: ['x']}\n";
	static const char log[] =
		"now 2024-05-01 10:00:00\n"
		"loading at 1000\n"
		"it 1010\n"
		"saving at 1010\nsaved at 1010\nsave-checkpoint: 30000.0\n"
		"it 1020\n"
		"save-checkpoint: 12.5\n";
	struct tm_ruleset rs;
	struct tm_diag d;
	TM_CHECK(st, tm_test_pack(&rs, &d, pack) == 0);
	struct tm_feed f;
	tm_feed_init(&f, "t.log", &rs, 4096);
	TM_CHECK(st, tm_feed_bytes(&f, log, sizeof(log) - 1, 1) == 0);
	const struct tm_run *r = &f.run;
	TM_CHECK(st, r->nphases == 3);
	TM_NEAR(st, r->first_ts, 1714557600, 0);
	if (r->nphases == 3) {
		TM_CHECK(st, r->phases[0].kind == TM_PH_CKPT_LOAD && r->phases[0].step == 1000);
		TM_CHECK(st, r->phases[1].kind == TM_PH_CKPT_SAVE && r->phases[1].step == 1010 && r->phases[1].closed);
		TM_NEAR(st, tm_phase_seconds(&r->phases[1]), 30, 1e-12);
		/* a timer after the next step record: its own record, at the last step */
		TM_CHECK(st, r->phases[2].step == 1020);
		TM_NEAR(st, r->phases[2].duration_s, 0.0125, 1e-12);
	}
	tm_feed_release(&f);
	tm_ruleset_release(&rs);
	tm_diag_release(&d);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	test_issue10(&st);
	test_grouping(&st);
	test_recurrence_stall_overlap(&st);
	test_phases(&st);
	return tm_test_done(&st, "test_chain");
}
