/* test_rules.c: the rule-pack loader: located errors (PCRE2's own message, exact columns), the
 * derived literal prefilter, samples checking, and matching through the automaton. */
#include "tm_test.h"
#include "trainmon/match.h"
#include "trainmon/rules.h"

static int load(struct tm_ruleset *rs, struct tm_diag *d, const char *text)
{
	tm_ruleset_init(rs);
	tm_diag_init(d);
	int rc = tm_ruleset_load_buf(rs, "t.yaml", text, strlen(text), d);
	if (rc == 0)
		tm_ruleset_finish(rs, d);
	return rc;
}

static int count_hits(void *ctx, const struct tm_hit *h)
{
	(void)h;
	(*(int *)ctx)++;
	return 0;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_ruleset rs;
	struct tm_diag d;

	/* a bad regex: PCRE2's message, column = quote + erroroffset */
	int rc = load(&rs, &d,
		      "framework: x\n"
		      "detect: 'x'\n"
		      "rules:\n"
		      "  - name: it\n"
		      "    record: step\n"
		      "    regex: 'iteration (\\d+'\n"
		      "    samples: {match: [], nomatch: []}\n");
	TM_CHECK(&st, rc == 1);
	TM_CHECK(&st, d.n == 1);
	if (d.n) {
		TM_CHECK(&st, d.v[0].line == 6);
		/* column 12 is the opening quote; PCRE2 reports offset 14, the end of the pattern */
		TM_CHECK(&st, d.v[0].col == 12 + 1 + 14);
		TM_STREQ(&st, d.v[0].msg, "rule 'it': regex: missing closing parenthesis");
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* several errors are all reported: unknown key (with a hint), unknown group, unknown kind */
	rc = load(&rs, &d,
		  "framework: x\n"
		  "generic: true\n"
		  "rules:\n"
		  "  - name: a\n"
		  "    record: step\n"
		  "    regex: 'step (?<stp>\\d+)'\n"
		  "    treshold: 3\n"
		  "    samples: {match: ['step 1']}\n"
		  "  - name: b\n"
		  "    record: event\n"
		  "    kind: nccl_timout\n"
		  "    regex: 'boom'\n"
		  "    samples: {match: ['boom'], nomatch: ['bang']}\n");
	TM_CHECK(&st, rc == 3);
	TM_CHECK(&st, d.n == 3);
	if (d.n == 3) {
		TM_STREQ(&st, d.v[0].msg, "rule 'a': unknown key 'treshold'");
		TM_CHECK(&st, d.v[0].line == 7 && d.v[0].col == 5);
		TM_STREQ(&st, d.v[1].msg, "rule 'a': unknown group name 'stp' (did you mean 'step'?)");
		TM_STREQ(&st, d.v[2].msg, "rule 'b': unknown event kind 'nccl_timout' (did you mean 'nccl_timeout'?)");
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* YAML syntax error: libyaml's message at its mark */
	rc = load(&rs, &d, "framework: x\nrules: [\n  - a\n");
	TM_CHECK(&st, rc >= 1 && d.n >= 1);
	if (d.n)
		TM_CHECK(&st, strncmp(d.v[0].msg, "YAML: ", 6) == 0 && d.v[0].line >= 2);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* samples: a failing match sample is an error at the sample */
	rc = load(&rs, &d,
		  "framework: x\ngeneric: true\nrules:\n"
		  "  - name: a\n    record: event\n    kind: exception\n    regex: 'Error: (?<msg>.*)'\n"
		  "    samples:\n      match: ['ValueError: x', 'no match here']\n      nomatch: ['Error: y']\n");
	TM_CHECK(&st, rc == 2);
	if (d.n == 2) {
		TM_CHECK(&st, d.v[0].line == 9);
		TM_STREQ(&st, d.v[0].msg, "rule 'a': sample does not match: 'no match here'");
		TM_STREQ(&st, d.v[1].msg, "rule 'a': nomatch sample matches: 'Error: y'");
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* derived literals and matching through the automaton */
	rc = load(&rs, &d,
		  "framework: x\ngeneric: true\nrules:\n"
		  "  - name: a\n    record: event\n    kind: cuda_oom\n    regex: 'CUDA out of memory\\. (?<msg>.*)'\n"
		  "    samples: {match: ['CUDA out of memory. Tried']}\n"
		  "  - name: b\n    record: event\n    kind: nccl_error\n    regex: 'NCCL (?:error|failure)'\n"
		  "    samples: {match: ['NCCL error']}\n"
		  "  - name: c\n    record: event\n    kind: xid\n    regex: 'x?yz+w|q'\n"
		  "    samples: {match: ['yzzw', 'q']}\n");
	TM_CHECK(&st, rc == 0);
	TM_CHECK(&st, rs.nrules == 3);
	if (rs.nrules == 3) {
		TM_STREQ(&st, rs.rules[0].nlits ? rs.rules[0].lits[0] : NULL, "CUDA out of memory. ");
		TM_STREQ(&st, rs.rules[1].nlits ? rs.rules[1].lits[0] : NULL, "NCCL ");
		TM_CHECK(&st, rs.rules[2].nlits == 0);    /* top-level alternation: no prefilter */
		struct tm_matcher m;
		tm_matcher_init(&m, &rs);
		int hits = 0;
		const char *l1 = "x RuntimeError: CUDA out of memory. Tried to allocate";
		tm_match_record(&m, l1, strlen(l1), count_hits, &hits);
		TM_CHECK(&st, hits == 1);
		hits = 0;
		const char *l2 = "NCCL error and q";
		tm_match_record(&m, l2, strlen(l2), count_hits, &hits);
		TM_CHECK(&st, hits == 2);
		hits = 0;
		const char *l3 = "nothing";
		tm_match_record(&m, l3, strlen(l3), count_hits, &hits);
		TM_CHECK(&st, hits == 0);
		/* only rules whose literal occurs run a regex; c has none, so it runs on all three */
		TM_CHECK(&st, m.regex_runs == 2 + 2 + 1);
		tm_matcher_release(&m);
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* the shipped packs load cleanly (run from the build tree: TM_SOURCE_DIR set by CTest) */
	const char *src = getenv("TM_SOURCE_DIR");
	if (src) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/patterns", src);
		tm_ruleset_init(&rs);
		tm_diag_init(&d);
		TM_CHECK(&st, tm_ruleset_load(&rs, path, &d) == 0);
		TM_CHECK(&st, d.errors == 0);
		tm_diag_release(&d);
		tm_ruleset_release(&rs);
	}
	return tm_test_done(&st, "test_rules");
}
