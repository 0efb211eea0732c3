/* test_match_threads.c: regexes are JIT-compiled the first time they run (match.c: jit_ready),
 * and the chunks of a split read share the ruleset. Four threads, each with its own
 * matcher, start matching a fresh ruleset at once, every record a first use for some regex in
 * some thread; each must count exactly the hits one thread counts, and every regex that ran must
 * end JIT-compiled where the JIT works. */
#include <pthread.h>
#include <stdatomic.h>

#include "tm_test.h"
#include "trainmon/match.h"
#include "trainmon/rules.h"
#include "tm_test_pack.h"

#define NTHREADS 4
#define NRULES 24

struct worker {
	const struct tm_ruleset *rs;
	atomic_int *go;
	long hits[NRULES];
};

static int on_hit(void *ctx, const struct tm_hit *h)
{
	struct worker *w = ctx;
	w->hits[h->rule - w->rs->rules]++;
	return 0;
}

static void records(struct worker *w, struct tm_matcher *m)
{
	char rec[128];
	for (int round = 0; round < 200; round++)
		for (int r = 0; r < NRULES; r++) {
			int n = snprintf(rec, sizeof(rec), "%d: event%02d value=%d.%d tail", round, (r * 7 + round) % NRULES,
					 round, r);
			tm_match_record(m, rec, (size_t)n, on_hit, w);
		}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct tm_matcher m;
	tm_matcher_init(&m, w->rs);
	while (!atomic_load(w->go))
		;                                 /* start together: first uses collide */
	records(w, &m);
	tm_matcher_release(&m);
	return NULL;
}

int main(void)
{
	struct tm_test_state st = { 0 };
	char pack[8192] = "framework: x\ngeneric: true\nrules:\n";
	for (int r = 0; r < NRULES; r++)
		snprintf(pack + strlen(pack), sizeof(pack) - strlen(pack),
			 "  - name: r%02d\n    record: event\n    kind: cuda_oom\n"
			 "    regex: 'event%02d value=(?<msg>\\d+\\.\\d+)'\n"
			 "    samples: {match: ['event%02d value=1.5']}\n", r, r, r);
	struct tm_ruleset one, shared;
	struct tm_diag d1, d2;
	TM_CHECK(&st, tm_test_pack(&one, &d1, pack) == 0);
	TM_CHECK(&st, tm_test_pack(&shared, &d2, pack) == 0);

	struct worker solo = { .rs = &one };
	struct tm_matcher m;
	tm_matcher_init(&m, &one);
	records(&solo, &m);
	tm_matcher_release(&m);

	atomic_int go = 0;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].rs = &shared;
		w[i].go = &go;
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	atomic_store(&go, 1);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	int same = 1;
	long total = 0;
	for (int i = 0; i < NTHREADS; i++)
		for (int r = 0; r < NRULES; r++)
			same &= w[i].hits[r] == solo.hits[r], total += w[i].hits[r];
	TM_CHECK(&st, same);
	TM_CHECK(&st, total == (long)NTHREADS * 200 * NRULES);
	int compiled = 1;
	for (size_t r = 0; r < shared.nrules; r++)
		compiled &= atomic_load(&shared.jits[shared.rules[r].jit]) == (shared.jit ? 1 : 2);
	TM_CHECK(&st, compiled);
	tm_ruleset_release(&one);
	tm_ruleset_release(&shared);
	tm_diag_release(&d1);
	tm_diag_release(&d2);
	return tm_test_done(&st, "test_match_threads");
}
