/* rules_samples.c: a rule's (or a detect regex's) `samples:` checked when its pack loads.
 *
 * Every `match:` line must match the compiled regex and hold one of the rule's prefilter
 * literals, every `nomatch:` line must not match, so a wrong regex or a wrong literal fails
 * `rules check` instead of silently missing lines. Runs the interpreter (no JIT stack needed);
 * must not print.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "rules_int.h"
#include "banned.h"

static int re_matches(pcre2_code *re, const char *s, size_t n)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static int holds_literal(const struct tm_rule *r, const char *s, size_t n)
{
	for (size_t k = 0; k < r->nlits; k++)
		if (memmem(s, n, r->lits[k], r->lit_lens[k]))
			return 1;
	return r->nlits == 0;
}

void tm__rule_samples(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *samples)
{
	static const char *const allowed[] = { "match", "nomatch" };
	if (samples->type != TM_Y_MAP) {
		tm__rload_err(L, samples, "rule '%s': 'samples' must be a mapping, not %s", r->name,
			      tm_ytype_name(samples->type));
		return;
	}
	char ctx[200];
	snprintf(ctx, sizeof(ctx), "rule '%s': samples: ", r->name);
	tm__rload_keys(L, samples, allowed, 2, ctx);
	for (int want = 1; want >= 0; want--) {
		const struct tm_ynode *list = tm_ymap_get(samples, want ? "match" : "nomatch");
		if (!list)
			continue;
		if (list->type != TM_Y_SEQ) {
			tm__rload_err(L, list, "rule '%s': samples must be a list of strings, not %s", r->name,
				      tm_ytype_name(list->type));
			continue;
		}
		for (size_t i = 0; i < list->n; i++) {
			const struct tm_ynode *s = list->kids[i];
			if (s->type != TM_Y_SCALAR) {
				tm__rload_err(L, s, "rule '%s': a sample must be a string, not %s", r->name,
					      tm_ytype_name(s->type));
				continue;
			}
			if (!r->re)
				continue;
			int got = re_matches(r->re, s->str, s->len);
			if (got != want)
				tm__rload_err(L, s, want ? "rule '%s': sample does not match: '%s'"
							 : "rule '%s': nomatch sample matches: '%s'", r->name, s->str);
			else if (want && !holds_literal(r, s->str, s->len))
				tm__rload_err(L, s, "rule '%s': sample matches but holds no prefilter literal ('%s'%s)",
					      r->name, r->lits[0], r->nlits > 1 ? ", ..." : "");
		}
	}
}
