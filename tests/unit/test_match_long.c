/* test_match_long.c: regexes on long lines (src/match.c). A 25 KB line that a shipped rule
 * matches exhausts PCRE2's default JIT stack; the matcher retries with its own larger stack (then
 * the interpreter) and the match succeeds. A run that fails even so (catastrophic backtracking)
 * is counted, not silent. */
#include "tm_test.h"
#include "trainmon/match.h"

struct hits { size_t n; const char *rule; size_t msg_len; };

static int on_hit(void *ctx, const struct tm_hit *h)
{
	struct hits *c = ctx;
	c->n++;
	c->rule = h->rule->name;
	const char *p;
	size_t n;
	c->msg_len = h->rule->ncaps && tm_hit_group(h, h->rule->caps[0].group, &p, &n) ? n : 0;
	return 0;
}

static int load(struct tm_ruleset *rs, struct tm_diag *d, const char *path, const char *buf)
{
	tm_ruleset_init(rs);
	tm_diag_init(d);
	int rc = path ? tm_ruleset_load(rs, path, d) : tm_ruleset_load_buf(rs, "t.yaml", buf, strlen(buf), d);
	return rc | tm_ruleset_finish(rs, d);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	const char *src = getenv("TM_SOURCE_DIR");
	if (!src)
		return 77;
	char path[4096];
	snprintf(path, sizeof(path), "%s/patterns/failures.yaml", src);
	struct tm_ruleset rs;
	struct tm_diag d;
	TM_CHECK(&st, load(&rs, &d, path, NULL) == 0);

	/* python-exception on an exception class with a 25 KB dotted module path */
	size_t n = 25 * 1024;
	char *line = malloc(n + 64);
	size_t len = 0;
	while (len < n)
		len += (size_t)sprintf(line + len, "m%zu.", len % 10);
	len += (size_t)sprintf(line + len, "ValueError: boom");
	struct tm_matcher m;
	tm_matcher_init(&m, &rs);
	struct hits h = { 0, NULL, 0 };
	TM_CHECK(&st, tm_match_record(&m, line, len, on_hit, &h) == 0);
	TM_CHECK(&st, h.n == 1);
	TM_STREQ(&st, h.rule, "python-exception");
	TM_CHECK(&st, h.msg_len == len);
	TM_CHECK(&st, m.regex_aborted == 0);
	/* the same again: the matcher's JIT stack is reused */
	h.n = 0;
	tm_match_record(&m, line, len, on_hit, &h);
	TM_CHECK(&st, h.n == 1 && m.regex_aborted == 0);
	tm_matcher_release(&m);
	tm_ruleset_release(&rs);
	tm_diag_release(&d);

	/* a rule built here that no stack can save: counted, reads as no match */
	static const char pack[] = "framework: t\nrules:\n"
		"  - name: bad\n    record: event\n    kind: exception\n    regex: '^(?<msg>(a+)+)$'\n"
		"    literal: 'aaaa'\n    samples: {match: ['aaaa']}\n";
	TM_CHECK(&st, load(&rs, &d, NULL, pack) == 0);
	tm_matcher_init(&m, &rs);
	memset(line, 'a', 40);
	line[40] = 'b';
	h.n = 0;
	tm_match_record(&m, line, 41, on_hit, &h);
	TM_CHECK(&st, h.n == 0);
	TM_CHECK(&st, m.regex_aborted == 1);
	tm_match_record(&m, line, 40, on_hit, &h);   /* a line it can match still matches */
	TM_CHECK(&st, h.n == 1 && m.regex_aborted == 1);
	tm_matcher_release(&m);
	tm_ruleset_release(&rs);
	tm_diag_release(&d);
	free(line);
	return tm_test_done(&st, "test_match_long");
}
