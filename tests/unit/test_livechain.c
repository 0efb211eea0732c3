/* test_livechain.c: watch's live chains (livechain.h) over runs built by hand: a job's first
 * segment is a chain of one under its own name, the next job's run joins it under that name, the
 * counters take the ledger's highest values (the productive time the resume turns into
 * wasted_progress does not go back), a gone segment stays while its chain needs it, and restored
 * counters go on from where a previous daemon left them; and analyze's segments kept in an arena. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_test.h"
#include "trainmon/livechain.h"
#include "trainmon/xalloc.h"

/* A run of steps first..last every 10 at 1 s per step, its first line at t0 and its first
 * interval's training 50 s later; a checkpoint save (30 s timer) at save_step, a load of
 * load_step (60 s) before the steps. NAN: none. */
static void mkrun(struct tm_run *r, const char *file, double t0, double first, double last, double save_step,
		  double load_step)
{
	tm_run_init(r, file, NULL, NULL);
	r->step_base = 1;
	r->params[TM_P_LOG_INTERVAL] = 10;
	double t = t0 + 50;
	uint32_t line = 100;
	if (!isnan(load_step)) {
		tm_xgrow((void **)&r->phases, &r->capphases, r->nphases + 1, sizeof(*r->phases));
		r->phases[r->nphases++] = (struct tm_phase){ .kind = TM_PH_CKPT_LOAD, .step = load_step, .start_ts = NAN,
							     .end_ts = NAN, .duration_s = 60, .line = 50, .closed = 1 };
		t += 60;
	}
	for (double s = first; s <= last; s += 10) {
		t += 10;
		tm_run_push_step(r, &(struct tm_step){ .step = s, .time_s = 1, .consumed = NAN, .loss = NAN,
					.global_batch = NAN, .tflops = NAN, .mfu = NAN, .tokens_per_s_per_gpu = NAN,
					.tokens_per_s = NAN, .samples_per_s = NAN, .ts = t, .line = line++ });
		if (s == save_step) {
			tm_xgrow((void **)&r->phases, &r->capphases, r->nphases + 1, sizeof(*r->phases));
			r->phases[r->nphases++] = (struct tm_phase){ .kind = TM_PH_CKPT_SAVE, .step = s, .start_ts = NAN,
								     .end_ts = NAN, .duration_s = 30, .line = line++,
								     .closed = 1 };
			t += 30;
		}
	}
	r->first_ts = t0;
	r->last_ts = t;
}

static void mksum(struct tm_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->tokens_per_step.v = 1000;
	s->tokens_per_s.v = s->mfu.v = s->gpus.v = s->target_tokens.v = NAN;
}

static const struct tm_chain_counters *get(const struct tm_livechain *lc, const char *name)
{
	size_t n;
	const struct tm_chain_counters *c = tm_livechain_counters(lc, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	return NULL;
}

static int near(double a, double b) { return fabs(a - b) < 1e-6; }

/* sg holds r's step records, as tm_segment_from_run makes them */
static int same_steps(const struct tm_segment *sg, const struct tm_run *r)
{
	if (sg->nsteps != r->nsteps)
		return 0;
	for (size_t i = 0; i < r->nsteps; i++)
		if (sg->steps[i].step != tm_run_stepf(r, i, TM_SF_STEP) || sg->steps[i].line != tm_run_stepline(r, i) ||
		    !near(sg->steps[i].ts, tm_run_stepf(r, i, TM_SF_TS)))
			return 0;
	return 1;
}

/* tm_segment_refresh copies only new records, and all of them again when the old ones moved */
static void refresh(struct tm_test_state *st, const struct tm_summary *s)
{
	struct tm_run r;
	struct tm_segment sg;
	mkrun(&r, "/logs/r.out", 0, 10, 1000, NAN, NAN);
	tm_segment_from_run(&sg, &r, s, -1);
	TM_CHECK(st, same_steps(&sg, &r));
	for (double x = 1010; x <= 1500; x += 10)              /* appended */
		tm_run_push_step(&r, &(struct tm_step){ .step = x, .time_s = 1, .ts = 5000 + x, .line = (uint32_t)x });
	tm_segment_refresh(&sg, &r, s, -1);
	TM_CHECK(st, same_steps(&sg, &r));
	tm_steps_set(&r.steps, r.nsteps - 3, TM_SF_TS, 42);    /* a late line fills in a recent record */
	tm_segment_refresh(&sg, &r, s, -1);
	TM_CHECK(st, same_steps(&sg, &r));
	tm_run_trim(&r, 100, 50);                               /* the oldest let go */
	tm_segment_refresh(&sg, &r, s, -1);
	TM_CHECK(st, same_steps(&sg, &r) && sg.steps[0].step == tm_run_stepf(&r, 0, TM_SF_STEP));
	tm_segment_release(&sg);
	tm_run_release(&r);
}

/* analyze's segments in an arena: each its records, a block shared while they fit, a new one
 * when not (a segment larger than a block on one of its own); a refresh moves a segment's records
 * to an array of its own and leaves the others where they were */
static void arena(struct tm_test_state *st, const struct tm_summary *s)
{
	struct tm_seg_arena a = { .block = 40 * sizeof(struct tm_seg_step) };
	struct tm_run r[3];
	struct tm_segment sg[3];
	mkrun(&r[0], "/logs/a.out", 0, 10, 1000, NAN, NAN);      /* 100 records: a block of its own */
	mkrun(&r[1], "/logs/b.out", 0, 10, 200, NAN, NAN);       /* 20: a new block */
	mkrun(&r[2], "/logs/c.out", 0, 10, 200, NAN, NAN);       /* 20: after b's in it */
	for (int i = 0; i < 3; i++) {
		tm_segment_from_run_in(&sg[i], &r[i], s, -1, &a);
		TM_CHECK(st, same_steps(&sg[i], &r[i]) && sg[i].steps_in_arena);
	}
	TM_CHECK(st, a.n == 2 && sg[2].steps == sg[1].steps + 20);
	for (double x = 210; x <= 400; x += 10)
		tm_run_push_step(&r[2], &(struct tm_step){ .step = x, .time_s = 1, .ts = 5000 + x, .line = (uint32_t)x });
	tm_segment_refresh(&sg[2], &r[2], s, -1);
	TM_CHECK(st, same_steps(&sg[2], &r[2]) && !sg[2].steps_in_arena);
	TM_CHECK(st, same_steps(&sg[0], &r[0]) && same_steps(&sg[1], &r[1]));
	struct tm_run empty;                                     /* no records: nothing taken */
	tm_run_init(&empty, "/logs/e.out", NULL, NULL);
	struct tm_segment se;
	tm_segment_from_run_in(&se, &empty, s, -1, &a);
	TM_CHECK(st, se.nsteps == 0 && !se.steps_in_arena && a.n == 2);
	tm_segment_release(&se);
	tm_run_release(&empty);
	for (int i = 0; i < 3; i++) {
		tm_segment_release(&sg[i]);
		tm_run_release(&r[i]);
	}
	tm_seg_arena_free(&a);
	TM_CHECK(st, a.n == 0 && a.v == NULL);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_chain_opts o = { .by_param = -1, .stall_s = 300 };
	struct tm_livechain *lc = tm_livechain_new(&o);
	struct tm_summary s;
	mksum(&s);
	refresh(&st, &s);
	arena(&st, &s);
	struct tm_run a, b;
	/* job 101 alone: a chain of one, named after its file; steps 1..1230 all productive so far */
	mkrun(&a, "/logs/slurm-101.out", 1000, 10, 1230, 1000, NAN);
	tm_livechain_update(lc, &a, &a, &s);
	tm_livechain_compute(lc, NULL, NULL);
	TM_STREQ(&st, tm_livechain_chain_of(lc, &a), "slurm-101");
	const struct tm_chain_counters *k = get(lc, "slurm-101");
	TM_CHECK(&st, k && k->segments == 1 && near(k->bucket[TM_B_PRODUCTIVE], 1230) && near(k->bucket[TM_B_WASTED], 0));
	TM_CHECK(&st, k && near(k->tokens, 1230 * 1000.0) && near(k->bucket[TM_B_CKPT_SAVE], 30));
	/* job 102 starts 2700 s later, loads step 1000 and runs to 1100: steps 1001..1230 of 101 were
	 * wasted, and productive (1000 + 100) would go down: its counter holds at 1230 */
	mkrun(&b, "/logs/slurm-102.out", a.last_ts + 2700, 1010, 1100, NAN, 1000);
	tm_livechain_update(lc, &b, &b, &s);
	tm_livechain_compute(lc, NULL, NULL);
	TM_STREQ(&st, tm_livechain_chain_of(lc, &b), "slurm-101");
	k = get(lc, "slurm-101");
	TM_CHECK(&st, k && k->segments == 2 && near(k->bucket[TM_B_WASTED], 230) && near(k->bucket[TM_B_RECOVERY], 2700));
	TM_CHECK(&st, k && near(k->bucket[TM_B_PRODUCTIVE], 1230) && near(k->tokens, 1230 * 1000.0));
	TM_CHECK(&st, k && near(k->bucket[TM_B_CKPT_LOAD], 60));
	TM_CHECK(&st, get(lc, "slurm-102") == NULL);
	/* 102 runs on to 1990: the ledger overtakes the held values */
	tm_run_release(&b);
	mkrun(&b, "/logs/slurm-102.out", a.last_ts + 2700, 1010, 1990, NAN, 1000);
	tm_livechain_update(lc, &b, &b, &s);
	tm_livechain_compute(lc, NULL, NULL);
	k = get(lc, "slurm-101");
	TM_CHECK(&st, k && near(k->bucket[TM_B_PRODUCTIVE], 1990) && near(k->tokens, 1990 * 1000.0));
	/* 101's file goes: its segment stays (the chain's ledger needs it) */
	tm_livechain_gone(lc, &a);
	tm_livechain_update(lc, &b, &b, &s);
	tm_livechain_compute(lc, NULL, NULL);
	k = get(lc, "slurm-101");
	TM_CHECK(&st, k && k->segments == 2 && near(k->bucket[TM_B_WASTED], 230));
	struct tm_chain_counters saved = *k;
	saved.name = tm_xstrdup(k->name);

	/* more files go than are kept for their chains (512): 101's, gone longest, is let go; the
	 * chain keeps its name and its figures, and counts what 102 does next */
	enum { NTINY = 600 };
	struct tm_run *tiny = calloc(NTINY, sizeof(*tiny));
	for (size_t i = 0; i < NTINY; i++) {
		char f[64];
		snprintf(f, sizeof(f), "/logs/tiny-%zu.out", i);
		mkrun(&tiny[i], f, 1e6 + 1e4 * (double)i, 10, 10, NAN, NAN);
		tm_livechain_update(lc, &tiny[i], &tiny[i], &s);
	}
	tm_livechain_compute(lc, NULL, NULL);
	for (size_t i = 0; i < NTINY; i++)
		tm_livechain_gone(lc, &tiny[i]);
	tm_livechain_compute(lc, NULL, NULL);
	tm_livechain_compute(lc, NULL, NULL);
	size_t nc;
	tm_livechain_counters(lc, &nc);
	k = get(lc, "slurm-101");
	TM_CHECK(&st, nc == 1 && k && k->segments == 1 && tm_livechain_chain_of(lc, &b) == k->name);
	TM_CHECK(&st, k && near(k->bucket[TM_B_PRODUCTIVE], 1990) && near(k->bucket[TM_B_WASTED], 230) &&
		      near(k->bucket[TM_B_RECOVERY], 2700) && near(k->tokens, 1990 * 1000.0));
	tm_run_release(&b);
	mkrun(&b, "/logs/slurm-102.out", a.last_ts + 2700, 1010, 2490, NAN, 1000);
	tm_livechain_update(lc, &b, &b, &s);
	tm_livechain_compute(lc, NULL, NULL);
	k = get(lc, "slurm-101");
	TM_CHECK(&st, k && near(k->bucket[TM_B_PRODUCTIVE], 2490) && near(k->tokens, 2490 * 1000.0) &&
		      near(k->bucket[TM_B_WASTED], 230) && near(k->bucket[TM_B_RECOVERY], 2700));
	for (size_t i = 0; i < NTINY; i++)
		tm_run_release(&tiny[i]);
	free(tiny);

	/* a restart: counters restored (as saved before 102 went on), only 101 read again (102 not
	 * yet): nothing goes back */
	tm_run_release(&b);
	mkrun(&b, "/logs/slurm-102.out", a.last_ts + 2700, 1010, 1990, NAN, 1000);
	struct tm_livechain *lc2 = tm_livechain_new(&o);
	tm_livechain_restore(lc2, &saved, 1);
	tm_livechain_update(lc2, &a, &a, &s);
	tm_livechain_compute(lc2, NULL, NULL);
	k = get(lc2, "slurm-101");
	TM_CHECK(&st, k && near(k->bucket[TM_B_PRODUCTIVE], 1990) && near(k->bucket[TM_B_WASTED], 230));
	TM_CHECK(&st, k && near(k->tokens, 1990 * 1000.0) && near(k->bucket[TM_B_RECOVERY], 2700));
	/* and 102 again: the same figures, none counted twice */
	tm_livechain_update(lc2, &b, &b, &s);
	tm_livechain_compute(lc2, NULL, NULL);
	k = get(lc2, "slurm-101");
	TM_CHECK(&st, k && near(k->bucket[TM_B_PRODUCTIVE], 1990) && near(k->bucket[TM_B_WASTED], 230));
	TM_CHECK(&st, k && near(k->bucket[TM_B_RECOVERY], 2700) && near(k->bucket[TM_B_CKPT_SAVE], 30));
	/* a restored chain no file belongs to leaves */
	struct tm_chain_counters other = saved;
	char gone[] = "gone-7";
	other.name = gone;
	tm_livechain_restore(lc2, &other, 1);
	TM_CHECK(&st, get(lc2, "gone-7") != NULL);
	tm_livechain_update(lc2, &b, &b, &s);
	tm_livechain_compute(lc2, NULL, NULL);
	TM_CHECK(&st, get(lc2, "gone-7") == NULL && get(lc2, "slurm-101") != NULL);
	/* a file that has said nothing has no chain */
	struct tm_run e;
	tm_run_init(&e, "/logs/empty.out", NULL, NULL);
	tm_livechain_update(lc2, &e, &e, &s);
	tm_livechain_compute(lc2, NULL, NULL);
	TM_CHECK(&st, tm_livechain_chain_of(lc2, &e) == NULL);

	free(saved.name);
	tm_run_release(&e);
	tm_run_release(&a);
	tm_run_release(&b);
	tm_livechain_free(lc);
	tm_livechain_free(lc2);
	return tm_test_done(&st, "test_livechain");
}
