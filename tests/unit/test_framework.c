/* test_framework.c: the framework decided from the whole file (tm_run_settle in src/run.c): the
 * pack whose step rules give the most records wins over the one whose line came first; a
 * detector's pack wins when it gives step records, wherever the detector is; the loser's values
 * for the same step numbers fill what the winner's records lack; settling after every chunk (watch)
 * decides as settling once (analyze); a split read whose halves hold two packs' steps refuses to
 * append (the caller reads again in one pass); a reload maps the run and its rivals by name. */
#include "tm_test.h"
#include "trainmon/engine.h"
#include "tm_test_pack.h"

static const char pack_a[] =
	"framework: a\ndetect: 'A-BANNER'\nrules:\n"
	"  - name: it\n    record: step\n    regex: 'a-step (?<step>\\d+) ms (?<step_time_ms>[\\d.]+)'\n"
	"    samples: {match: ['a-step 3 ms 2.5']}\n";
static const char pack_b[] =
	"framework: b\ndetect: 'B-BANNER'\nrules:\n"
	"  - name: it\n    record: step\n    regex: 'b-step (?<step>\\d+) sps (?<samples_per_s>[\\d.]+)'\n"
	"    samples: {match: ['b-step 3 sps 2.5']}\n";

static void load(struct tm_test_state *st, struct tm_ruleset *rs, struct tm_diag *d)
{
	tm_ruleset_init(rs);
	tm_diag_init(d);
	TM_CHECK(st, tm_ruleset_load_buf(rs, "a.yaml", pack_a, strlen(pack_a), d) == 0);
	TM_CHECK(st, tm_ruleset_load_buf(rs, "b.yaml", pack_b, strlen(pack_b), d) == 0);
	TM_CHECK(st, tm_ruleset_finish(rs, d) == 0);
}

/* Feeds log in chunks of `chunk` bytes (0: at once), settling after each when asked. */
static void feed(struct tm_feed *f, const struct tm_ruleset *rs, const char *log, size_t chunk, int settle_each)
{
	tm_feed_init(f, "x.log", rs, 0);
	size_t n = strlen(log);
	if (!chunk)
		chunk = n;
	for (size_t at = 0; at < n; at += chunk) {
		size_t k = n - at < chunk ? n - at : chunk;
		tm_feed_bytes(f, log + at, k, at + k == n);
		if (settle_each)
			tm_run_settle(&f->run);
	}
	tm_run_settle(&f->run);
}

static const char *fw(const struct tm_run *r)
{
	return r->framework >= 0 ? r->rs->packs[r->framework].name : "-";
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_ruleset rs;
	struct tm_diag d;
	load(&st, &rs, &d);
	struct tm_feed f;

	/* 1. no detector: b's line comes first, a gives more records; a's step 2 gets b's rate */
	static const char most[] =
		"b-step 2 sps 7.5\n"
		"a-step 1 ms 100\na-step 2 ms 100\na-step 3 ms 100\n"
		"b-step 3 sps 8\n";
	feed(&f, &rs, most, 0, 0);
	TM_CHECK(&st, strcmp(fw(&f.run), "a") == 0);
	TM_CHECK(&st, f.run.nsteps == 3);
	if (f.run.nsteps == 3) {
		TM_CHECK(&st, isnan(tm_run_stepf(&f.run, 0, TM_SF_SAMPLES_PER_S)));
		TM_NEAR(&st, tm_run_stepf(&f.run, 1, TM_SF_SAMPLES_PER_S), 7.5, 0);
		TM_NEAR(&st, tm_run_stepf(&f.run, 2, TM_SF_SAMPLES_PER_S), 8, 0);
		TM_NEAR(&st, tm_run_stepf(&f.run, 2, TM_SF_TIME_S), 0.1, 1e-12);
	}
	tm_feed_release(&f);

	/* 2. a detector late in the file pins its pack, which gives fewer records */
	static const char late[] =
		"a-step 1 ms 100\na-step 2 ms 100\na-step 3 ms 100\n"
		"B-BANNER\n"
		"b-step 10 sps 1\n";
	feed(&f, &rs, late, 0, 0);
	TM_CHECK(&st, strcmp(fw(&f.run), "b") == 0);
	TM_CHECK(&st, f.run.nsteps == 1 && tm_run_stepf(&f.run, 0, TM_SF_STEP) == 10);
	TM_CHECK(&st, f.run.detected >= 0 && strcmp(rs.packs[f.run.detected].name, "b") == 0);
	tm_feed_release(&f);

	/* 3. a detector whose pack gives no step record: the pack that does wins */
	static const char banner_only[] = "A-BANNER\nb-step 1 sps 1\nb-step 2 sps 1\n";
	feed(&f, &rs, banner_only, 0, 0);
	TM_CHECK(&st, strcmp(fw(&f.run), "b") == 0);
	TM_CHECK(&st, f.run.nsteps == 2);
	tm_feed_release(&f);

	/* 4. the lead changes hands while watch settles after every chunk: same end as once */
	static const char seesaw[] =
		"b-step 1 sps 1\nb-step 2 sps 1\n"
		"a-step 1 ms 10\na-step 2 ms 10\na-step 3 ms 10\n"
		"b-step 3 sps 2\nb-step 4 sps 2\n"
		"a-step 4 ms 10\n";
	struct tm_feed g;
	feed(&f, &rs, seesaw, 0, 0);
	feed(&g, &rs, seesaw, 7, 1);
	TM_CHECK(&st, strcmp(fw(&f.run), "b") == 0);     /* 4 records each: b's came first */
	TM_CHECK(&st, strcmp(fw(&g.run), fw(&f.run)) == 0);
	TM_CHECK(&st, f.run.nsteps == 4 && g.run.nsteps == 4);
	for (size_t i = 0; i < f.run.nsteps && i < g.run.nsteps; i++) {
		TM_NEAR(&st, tm_run_stepf(&f.run, i, TM_SF_STEP), tm_run_stepf(&g.run, i, TM_SF_STEP), 0);
		TM_NEAR(&st, tm_run_stepf(&f.run, i, TM_SF_TIME_S), tm_run_stepf(&g.run, i, TM_SF_TIME_S), 0);
		TM_NEAR(&st, tm_run_stepf(&f.run, i, TM_SF_SAMPLES_PER_S), tm_run_stepf(&g.run, i, TM_SF_SAMPLES_PER_S), 0);
	}
	if (f.run.nsteps == 4)
		TM_NEAR(&st, tm_run_stepf(&f.run, 3, TM_SF_TIME_S), 0.01, 1e-12);   /* a's figure beside b's record */
	tm_feed_release(&g);

	/* 5. a split read: the second half holds another pack's steps, so it will not append */
	tm_feed_init(&g, "x.log", &rs, 0);
	tm_feed_bytes(&g, "b-step 9 sps 1\na-step 9 ms 1\n", 30, 1);
	struct tm_feed h;
	tm_feed_init(&h, "x.log", &rs, 0);
	tm_feed_bytes(&h, "a-step 1 ms 1\n", 14, 1);
	TM_CHECK(&st, tm_run_append(&h.run, &g.run, 1) == -1);
	tm_feed_release(&h);
	tm_feed_release(&g);
	tm_feed_release(&f);

	/* 6. a reload (watch's SIGHUP): the packs come in another order; the run and its rivals are
	 * mapped by name and the decision stays */
	feed(&f, &rs, most, 0, 0);
	struct tm_ruleset rs2;
	struct tm_diag d2;
	tm_ruleset_init(&rs2);
	tm_diag_init(&d2);
	TM_CHECK(&st, tm_ruleset_load_buf(&rs2, "b.yaml", pack_b, strlen(pack_b), &d2) == 0);
	TM_CHECK(&st, tm_ruleset_load_buf(&rs2, "a.yaml", pack_a, strlen(pack_a), &d2) == 0);
	TM_CHECK(&st, tm_ruleset_finish(&rs2, &d2) == 0);
	tm_matcher_release(&f.m);
	tm_matcher_init(&f.m, &rs2);
	tm_run_rebind(&f.run, &rs2);
	TM_CHECK(&st, strcmp(fw(&f.run), "a") == 0 && f.run.nrivals == 1);
	TM_CHECK(&st, f.run.nrivals == 1 && strcmp(rs2.packs[f.run.rivals[0].framework].name, "b") == 0);
	tm_feed_bytes(&f, "b-step 7 sps 1\nb-step 8 sps 1\n", 30, 1);  /* b: 4 records, a: 3 */
	tm_run_settle(&f.run);
	TM_CHECK(&st, strcmp(fw(&f.run), "b") == 0 && f.run.nsteps == 4);
	tm_feed_release(&f);
	tm_diag_release(&d2);
	tm_ruleset_release(&rs2);

	/* 7. a forced framework keeps no rival and never switches */
	tm_feed_init(&f, "x.log", &rs, 0);
	TM_CHECK(&st, tm_run_force_framework(&f.run, "a") == 0);
	tm_feed_bytes(&f, banner_only, strlen(banner_only), 1);
	tm_run_settle(&f.run);
	TM_CHECK(&st, strcmp(fw(&f.run), "a") == 0 && f.run.nsteps == 0 && f.run.nrivals == 0);
	tm_feed_release(&f);

	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return tm_test_done(&st, "test_framework");
}
