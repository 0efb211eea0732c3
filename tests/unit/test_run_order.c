/* test_run_order.c: step records that arrive out of order (src/run.c). A log in descending order,
 * one in a shuffled order and one with a late block all give the ascending log's step array
 * (sorted, each step once, same values), and the array stays sound across trims and pushes. */
#include "tm_test.h"
#include "trainmon/engine.h"

#define N 5000

static const char pack[] = "framework: t\ndetect: 'took'\nrules:\n"
	"  - name: s\n    record: step\n    regex: 'step (?<step>\\d+) took (?<step_time_s>[0-9.]+) s loss (?<loss>[0-9.]+)'\n"
	"    samples: {match: ['step 1 took 1.5 s loss 2.5']}\n";

/* Feeds one line per step of order[0..n) (each printed twice when dup: a second rank). */
static void feed(struct tm_feed *f, const struct tm_ruleset *rs, const unsigned *order, size_t n, int dup)
{
	tm_feed_init(f, "t.log", rs, 4096);
	char line[128];
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k <= dup; k++) {
			int len = snprintf(line, sizeof(line), "step %u took %u.%u s loss %u.25\n", order[i],
					   1 + order[i] % 3, order[i] % 10, order[i] % 7);
			tm_feed_bytes(f, line, (size_t)len, 0);
		}
	tm_feed_bytes(f, "", 0, 1);
}

/* The steps of b are those of a: same numbers, in order, with the same values. */
static int same_steps(const struct tm_run *a, const struct tm_run *b)
{
	if (a->nsteps != b->nsteps)
		return 0;
	for (size_t i = 0; i < a->nsteps; i++) {
		const struct tm_step xv = tm_run_step(a, i), yv = tm_run_step(b, i), *x = &xv, *y = &yv;
		if (x->step != y->step || x->time_s != y->time_s || x->loss != y->loss)
			return 0;
	}
	return 1;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	tm_ruleset_load_buf(&rs, "t.yaml", pack, sizeof(pack) - 1, &d);
	TM_CHECK(&st, tm_ruleset_finish(&rs, &d) == 0);

	static unsigned asc[N], desc[N], shuf[N], block[N];
	for (unsigned i = 0; i < N; i++) {
		asc[i] = shuf[i] = i + 1;
		desc[i] = N - i;
		block[i] = i < N / 2 ? N / 2 + i + 1 : i - N / 2 + 1;   /* the upper half, then the lower */
	}
	unsigned seed = 12345;
	for (unsigned i = N - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		unsigned j = (seed >> 8) % (i + 1), t = shuf[i];
		shuf[i] = shuf[j];
		shuf[j] = t;
	}

	struct tm_feed ref, f;
	feed(&ref, &rs, asc, N, 0);
	TM_CHECK(&st, ref.run.nsteps == N && ref.run.out_of_order == 0);
	TM_CHECK(&st, tm_run_stepf(&ref.run, 0, TM_SF_STEP) == 1 && tm_run_stepf(&ref.run, N - 1, TM_SF_STEP) == N);

	const unsigned *orders[] = { desc, shuf, block };
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++)
		for (int dup = 0; dup <= 1; dup++) {
			feed(&f, &rs, orders[o], N, dup);
			TM_CHECK(&st, same_steps(&ref.run, &f.run));
			TM_CHECK(&st, f.run.dup_steps == (dup ? (uint64_t)N : 0));
			if (o == 0)
				TM_CHECK(&st, f.run.out_of_order == N - 1);
			if (o == 2)
				TM_CHECK(&st, f.run.out_of_order == N / 2);
			tm_feed_release(&f);
		}

	/* descending, trimmed to the newest half, then more late steps in front and new ones after */
	feed(&f, &rs, desc, N, 0);
	TM_CHECK(&st, tm_run_trim(&f.run, N / 2, N / 4) == N - N / 4);
	TM_CHECK(&st, f.run.nsteps == N / 4 && tm_run_stepf(&f.run, 0, TM_SF_STEP) == N - N / 4 + 1);
	char line[64];
	for (unsigned s = N - N / 4; s > N / 2; s--) {
		int len = snprintf(line, sizeof(line), "step %u took 1.0 s loss 1.0\n", s);
		tm_feed_bytes(&f, line, (size_t)len, 0);
	}
	for (unsigned s = N + 1; s <= N + 100; s++) {
		int len = snprintf(line, sizeof(line), "step %u took 1.0 s loss 1.0\n", s);
		tm_feed_bytes(&f, line, (size_t)len, 0);
	}
	TM_CHECK(&st, f.run.nsteps == N / 2 + 100);
	int sorted = 1;
	for (size_t i = 0; i < f.run.nsteps; i++)
		sorted &= tm_run_stepf(&f.run, i, TM_SF_STEP) == (double)(N / 2 + 1 + i);
	TM_CHECK(&st, sorted);
	tm_feed_release(&f);

	tm_feed_release(&ref);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return tm_test_done(&st, "test_run_order");
}
