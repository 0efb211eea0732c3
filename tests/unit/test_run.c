/* test_run.c: step folding in src/run.c, fed through the engine: a rank's repeat of a step is
 * merged, a second record about a step fills what the first lacked, a step that arrives late is
 * inserted in order (counted in out_of_order), and duplicates are counted. */
#include "tm_test.h"
#include "trainmon/engine.h"
#include "tm_test_pack.h"

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	static const char pack[] =
		"framework: x\ngeneric: true\nrules:\n"
		"  - name: it\n    record: step\n    regex: 'step (?<step>\\d+) loss (?<loss>[\\d.]+)'\n"
		"    samples: {match: ['step 3 loss 2.5']}\n"
		"  - name: timer\n    record: step\n    regex: 'step (?<step>\\d+) took (?<step_time_ms>[\\d.]+) ms'\n"
		"    samples: {match: ['step 3 took 812.5 ms']}\n";
	struct tm_ruleset rs;
	struct tm_diag d;
	TM_CHECK(&st, tm_test_pack(&rs, &d, pack) == 0);
	struct tm_feed f;
	tm_feed_init(&f, "x.log", &rs, 0);
	static const char log[] =
		"step 1 loss 4.0\n"
		"step 1 loss 4.0\n"          /* another rank: merged */
		"step 1 took 1000 ms\n"      /* fills step 1's time */
		"step 2 loss 3.5\n"
		"step 4 loss 3.0\n"
		"step 3 loss 3.25\n"         /* late: inserted between 2 and 4 */
		"step 3 took 812.5 ms\n"
		"step 4 took 800 ms\n";
	TM_CHECK(&st, tm_feed_bytes(&f, log, sizeof(log) - 1, 1) == 0);
	const struct tm_run *r = &f.run;
	TM_CHECK(&st, r->nsteps == 4);
	for (size_t i = 0; i < r->nsteps && i < 4; i++)
		TM_NEAR(&st, tm_run_stepf(r, i, TM_SF_STEP), (double)(i + 1), 0);
	if (r->nsteps == 4) {
		TM_NEAR(&st, tm_run_stepf(r, 0, TM_SF_LOSS), 4.0, 0);
		TM_NEAR(&st, tm_run_stepf(r, 0, TM_SF_TIME_S), 1.0, 1e-12);
		TM_CHECK(&st, isnan(tm_run_stepf(r, 1, TM_SF_TIME_S)));      /* nothing said it */
		TM_NEAR(&st, tm_run_stepf(r, 2, TM_SF_LOSS), 3.25, 0);
		TM_NEAR(&st, tm_run_stepf(r, 2, TM_SF_TIME_S), 0.8125, 1e-12);
		TM_NEAR(&st, tm_run_stepf(r, 3, TM_SF_LOSS), 3.0, 0);
		TM_NEAR(&st, tm_run_stepf(r, 3, TM_SF_TIME_S), 0.8, 1e-12);
		TM_CHECK(&st, tm_run_stepline(r, 2) == 6);           /* the late step keeps its own line */
	}
	TM_CHECK(&st, r->out_of_order == 1);
	/* the rank's repeat and the three second records about a step */
	TM_CHECK(&st, r->dup_steps == 4);
	tm_feed_release(&f);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return tm_test_done(&st, "test_run");
}
