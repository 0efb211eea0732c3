/* test_match_veto.c: a rule regex opening with ^(?!.*?X) is matched as X searched alone, then the
 * rest (rules_regex.c: tm__re_split_veto; match.c: vetoed). Every record of a generated set must
 * give the hit, the rule and the captured groups the whole regex gives through PCRE2 itself:
 * X absent, present at the start, in the middle, after a line break (the split form is unsure
 * there and must fall back), after a '\r', '\f' or NEL byte, X only as part of a word, and the
 * rule's literal everywhere. Regexes that must not be split (a capturing group in X, a back
 * reference, an option) are checked to be left whole. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/match.h"
#include "trainmon/rules.h"
#include "tm_test_pack.h"

struct got {
	const struct tm_ruleset *rs;
	int hit[8];
	char msg[8][256];
};

static int on_hit(void *ctx, const struct tm_hit *h)
{
	struct got *g = ctx;
	size_t r = (size_t)(h->rule - g->rs->rules);
	const char *p;
	size_t n;
	g->hit[r]++;
	if (tm_hit_group(h, 1, &p, &n))
		snprintf(g->msg[r], sizeof(g->msg[r]), "%.*s", (int)n, p);
	return 0;
}

/* What the whole regex gives: -1 no match, else group 1 into msg. */
static int whole(const void *re, const char *s, size_t n, char *msg, size_t cap)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	msg[0] = '\0';
	if (rc >= 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (rc > 1 && ov[2] != PCRE2_UNSET)
			snprintf(msg, cap, "%.*s", (int)(ov[3] - ov[2]), s + ov[2]);
	}
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : -1;
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(void)
{
	struct tm_test_state st = { 0 };
	static const char pack[] =
		"framework: x\ngeneric: true\nrules:\n"
		"  - name: nan\n    record: event\n    kind: nan_loss\n"
		"    regex: '^(?!.*?\\b(?:iter|step)\\b)(?=.*?\\bloss\\b\\s*[:=]?\\s*(?:nan|inf)\\b)(?<msg>.*)$'\n"
		"    samples: {match: ['loss nan'], nomatch: ['step 3 loss nan']}\n"
		"  - name: cls\n    record: event\n    kind: cuda_oom\n"
		"    regex: '^(?!.*?[]x](?<=\\]|x)(?:ab|c))(?<msg>oom.*)'\n"
		"    samples: {match: ['oom here']}\n"
		"  - name: cap\n    record: event\n    kind: cuda_oom\n"
		"    regex: '^(?!.*?(ab)\\1)(?<msg>OOM.*)'\n"
		"    samples: {match: ['OOM here']}\n"
		"  - name: opt\n    record: event\n    kind: cuda_oom\n"
		"    regex: '^(?!.*?(?i)zz)(?<msg>KILL.*)'\n"
		"    samples: {match: ['KILL here']}\n";
	struct tm_ruleset rs;
	struct tm_diag d;
	TM_CHECK(&st, tm_test_pack(&rs, &d, pack) == 0);
	TM_CHECK(&st, rs.nrules == 4);
	if (rs.nrules != 4)
		return tm_test_done(&st, "test_match_veto");
	TM_CHECK(&st, rs.rules[0].veto && rs.rules[0].fast);      /* split */
	TM_CHECK(&st, rs.rules[1].veto && rs.rules[1].fast);      /* a class holding ']' */
	TM_CHECK(&st, !rs.rules[2].veto && !rs.rules[2].fast);    /* a capture and a back reference */
	TM_CHECK(&st, !rs.rules[3].veto && !rs.rules[3].fast);    /* an option */

	struct tm_matcher m;
	tm_matcher_init(&m, &rs);
	static const char *const parts[] = { "loss", " nan", "loss: inf", "iter", "iteration", " step",
					     "steps", "x", "\n", "\r", "\f", "\v", "\x85", " ", "=", "oom", "]ab",
					     "xc", "]c", "OOM", "abab", "KILL", "ZZ", "zz", "a" };
	size_t np = sizeof(parts) / sizeof(parts[0]);
	uint64_t seed = 0x2545f4914f6cdd1du;
	int bad = 0;
	for (int iter = 0; iter < 30000 && !bad; iter++) {
		char rec[200];
		size_t n = 0, k = next(&seed) % 9;
		for (size_t i = 0; i < k; i++) {
			const char *s = parts[next(&seed) % np];
			size_t l = strlen(s);
			if (n + l >= sizeof(rec))
				break;
			memcpy(rec + n, s, l);
			n += l;
		}
		struct got g;
		memset(&g, 0, sizeof(g));
		g.rs = &rs;
		tm_match_record(&m, rec, n, on_hit, &g);
		for (size_t r = 0; r < rs.nrules && !bad; r++) {
			char want[256];
			int w = whole(rs.rules[r].re, rec, n, want, sizeof(want));
			if ((w > 0) != (g.hit[r] == 1) || (w > 0 && strcmp(want, g.msg[r]) != 0)) {
				bad = 1;
				fprintf(stderr, "rule %zu on '%.*s': whole regex %d '%s', matcher %d '%s'\n", r,
					(int)n, rec, w, want, g.hit[r], g.msg[r]);
			}
		}
	}
	TM_CHECK(&st, !bad);
	tm_matcher_release(&m);
	tm_ruleset_release(&rs);
	tm_diag_release(&d);
	return tm_test_done(&st, "test_match_veto");
}
