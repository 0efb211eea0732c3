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

#include "literal.h"
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

/* 1 when s[0, n) holds one of field f's alternative literals. */
static int holds_alt(const struct tm_subfield *f, const char *s, size_t n)
{
	for (size_t a = 0; a < f->nalts; a++)
		if (memmem(s, n, f->alts[a].p, f->alts[a].len))
			return 1;
	return 0;
}

/* The offset in lit[0, n) of its byte least counted in count[], ties to the offset `dflt`. */
static size_t rarest(const size_t *count, const char *lit, size_t n, size_t dflt)
{
	size_t best = dflt;
	for (size_t k = 0; k < n; k++)
		if (count[(unsigned char)lit[k]] < count[(unsigned char)lit[best]])
			best = k;
	return best;
}

/* What the match samples teach the field searches (match.c):
 * - a field's prefix is searched for by one of its bytes (memchr), then compared whole: the byte
 *   that the lines this rule matches hold least often is the one to search for ("consumed
 *   samples:" by its 'd', not its 'm', in a Megatron line with twenty 'm's), ties to the byte least
 *   common in logs in general (tm__rare_byte);
 * - a field's alternative literals are a derivation: a sample the field matches without holding
 *   one of them drops them (the field is then searched by its regex alone, as without them). */
static void fields_from_samples(struct tm_rule *r, const struct tm_ynode *list)
{
	size_t count[256] = { 0 };
	for (size_t i = 0; i < list->n; i++) {
		const struct tm_ynode *s = list->kids[i];
		if (s->type != TM_Y_SCALAR)
			continue;
		for (size_t k = 0; k < s->len; k++)
			count[(unsigned char)s->str[k]]++;
		for (size_t j = 0; j < r->nfields; j++) {
			struct tm_subfield *f = &r->fields[j];
			if (f->nalts && !holds_alt(f, s->str, s->len) && re_matches(f->re, s->str, s->len)) {
				tm__alt_literals_free(f->alts, f->nalts);
				f->alts = NULL;
				f->nalts = 0;
				f->alts_start = 0;
			}
		}
	}
	for (size_t j = 0; j < r->nfields; j++) {
		struct tm_subfield *f = &r->fields[j];
		if (f->prefix)
			f->anchor = rarest(count, f->prefix, f->prefix_len, f->anchor);
		for (size_t a = 0; a < f->nalts; a++)
			f->alts[a].anchor = rarest(count, f->alts[a].p, f->alts[a].len, f->alts[a].anchor);
	}
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
		if (want)
			fields_from_samples(r, list);
	}
}
