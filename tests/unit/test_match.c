/* test_match.c: the matcher (src/match.c): the literal prefilter runs only the rules whose literal
 * occurs in a record, a record holding the literal but failing the regex gives no hit, and a JIT
 * match hands out its named groups' slices; the scan memo passes from one matcher to the next. */
#include "tm_test.h"
#include "trainmon/match.h"
#include "trainmon/scan_memo.h"
#include "trainmon/rules.h"
#include "tm_test_pack.h"

struct hits {
	const struct tm_ruleset *rs;
	int n;
	size_t rule[8];             /* rule index of each hit */
	char step[32], loss[32];    /* groups of the last hit */
};

static int on_hit(void *ctx, const struct tm_hit *h)
{
	struct hits *x = ctx;
	if (x->n < 8)
		x->rule[x->n] = (size_t)(h->rule - x->rs->rules);
	x->n++;
	const char *p;
	size_t n;
	x->step[0] = x->loss[0] = '\0';
	for (uint32_t g = 1; g < h->npairs; g++) {
		if (!tm_hit_group(h, g, &p, &n))
			continue;
		/* groups in pattern order: step, then loss */
		char *dst = g == 1 ? x->step : x->loss;
		snprintf(dst, 32, "%.*s", (int)n, p);
	}
	return 0;
}

static void match(struct tm_matcher *m, const char *line, struct hits *x)
{
	memset(x, 0, sizeof(*x));
	x->rs = m->rs;
	tm_match_record(m, line, strlen(line), on_hit, x);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	static const char pack[] =
		"framework: x\ngeneric: true\nrules:\n"
		"  - name: it\n    record: step\n    regex: 'iteration (?<step>\\d+) \\| loss (?<loss>[\\d.]+)'\n"
		"    samples: {match: ['iteration 3 | loss 2.5']}\n"
		"  - name: oom\n    record: event\n    kind: cuda_oom\n    regex: 'CUDA out of memory'\n"
		"    samples: {match: ['CUDA out of memory']}\n";
	struct tm_ruleset rs;
	struct tm_diag d;
	TM_CHECK(&st, tm_test_pack(&rs, &d, pack) == 0);
	TM_CHECK(&st, rs.nrules == 2);
	struct tm_matcher m;
	tm_matcher_init(&m, &rs);
	struct hits x;

	/* neither literal: no regex runs at all */
	match(&m, "loading checkpoint from /ckpt", &x);
	TM_CHECK(&st, x.n == 0);
	TM_CHECK(&st, m.regex_runs == 0);

	/* only the step rule's literal occurs: only its regex runs, and its groups come out */
	match(&m, " iteration 120 | loss 3.25 | lr 1e-4", &x);
	TM_CHECK(&st, x.n == 1 && x.rule[0] == 0);
	TM_STREQ(&st, x.step, "120");
	TM_STREQ(&st, x.loss, "3.25");
	TM_CHECK(&st, m.regex_runs == 1);

	/* the literal is there, the regex does not match: a candidate, but no hit */
	match(&m, "iteration skipped | loss scale lowered", &x);
	TM_CHECK(&st, x.n == 0);
	TM_CHECK(&st, m.regex_runs == 2);

	/* both literals: both rules run, hits in rule order */
	match(&m, "iteration 7 | loss 1.5 then CUDA out of memory", &x);
	TM_CHECK(&st, x.n == 2 && x.rule[0] == 0 && x.rule[1] == 1);
	TM_CHECK(&st, m.regex_runs == 4);
	TM_CHECK(&st, m.matches[0] == 2 && m.matches[1] == 1);

	/* the scan memo handed to the next matcher (analyze's next file): it answers there, with the
	 * same hits; a memo of another ruleset is refused (freed), and the matcher goes on with its own */
	char line[80];
	for (int i = 0; i < 400; i++) {
		snprintf(line, sizeof(line), " iteration %d | loss %d.5 | lr 1e-4 and some more", 100 + i, i % 9);
		match(&m, line, &x);
	}
	TM_CHECK(&st, m.matches[0] == 402);
	struct tm_scan_memo *memo = tm_matcher_take_memo(&m);
	TM_CHECK(&st, memo != NULL && tm_scan_memo_hits(memo) > 200);
	TM_CHECK(&st, m.memo == NULL);
	match(&m, " iteration 9 | loss 1.5 | lr 1e-4 and some more", &x);   /* scanned without it */
	TM_CHECK(&st, x.n == 1 && x.rule[0] == 0);
	struct tm_matcher m2;
	tm_matcher_init(&m2, &rs);
	tm_matcher_adopt_memo(&m2, memo);
	TM_CHECK(&st, m2.memo == memo);
	uint64_t h0 = tm_scan_memo_hits(memo);
	match(&m2, " iteration 777 | loss 4.5 | lr 1e-4 and some more", &x);
	TM_CHECK(&st, x.n == 1 && x.rule[0] == 0);
	TM_STREQ(&st, x.step, "777");
	TM_CHECK(&st, tm_scan_memo_hits(memo) == h0 + 1);   /* answered by what m learnt */
	struct tm_ruleset rs2;
	struct tm_diag d2;
	TM_CHECK(&st, tm_test_pack(&rs2, &d2, pack) == 0);
	struct tm_matcher m3;
	tm_matcher_init(&m3, &rs2);
	tm_matcher_adopt_memo(&m2, tm_matcher_take_memo(&m3));   /* another prefilter: refused */
	TM_CHECK(&st, m2.memo == memo);
	match(&m2, "iteration 7 | loss 1.5 then CUDA out of memory", &x);
	TM_CHECK(&st, x.n == 2 && x.rule[0] == 0 && x.rule[1] == 1);
	tm_matcher_release(&m3);
	tm_diag_release(&d2);
	tm_ruleset_release(&rs2);
	tm_matcher_release(&m2);

	tm_matcher_release(&m);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return tm_test_done(&st, "test_match");
}
