/* rules_int.h: what the rule-pack loader's files share (rules.c, rules_rule.c, rules_regex.c,
 * rules_samples.c, rules_load.c); not part of the API.
 *
 * One struct tm_rload travels through a pack's loading: the ruleset being filled, the diagnostics
 * and the pack's source text. Errors are counted by d->errors alone (before/after a pack or a
 * rule), so every path that reports an error also makes the pack fail; nothing keeps its own tally.
 */
#ifndef TRAINMON_RULES_INT_H
#define TRAINMON_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/rules.h"
#include "trainmon/yaml.h"

struct tm_rload {
	struct tm_ruleset *rs;      /* borrowed: the ruleset being filled */
	struct tm_diag *d;          /* borrowed: where errors go */
	const struct tm_src *src;   /* borrowed: the pack's text, for located errors */
	unsigned pack;              /* index the pack will have in rs->packs */
};

/* An error at node n (n may be NULL: no position); returns -1. */
int tm__rload_err(struct tm_rload *L, const struct tm_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* n's text, or NULL: n absent, or not a scalar (then an error names `what`). */
const char *tm__rload_scalar(struct tm_rload *L, const struct tm_ynode *n, const char *what);
/* Errors for every key of map not in allowed[0..n) (with a hint) and every non-string key. */
void tm__rload_keys(struct tm_rload *L, const struct tm_ynode *map, const char *const *allowed, size_t n,
		    const char *ctx);

/* rules_regex.c. Compiles scalar n (JIT when available); errors point at the failing character
 * when n's quoting allows. Returns an owned pcre2_code *, or NULL after an error. */
void *tm__re_compile(struct tm_rload *L, const struct tm_ynode *n, const char *what, const char *rule,
		     uint32_t options);
/* `regexes:` list seq compiled into r->re (one regex, see rules_regex.c) with r->caps mapped. */
void tm__re_compile_list(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *seq);
/* Maps re's named groups to r->caps, group numbers + offset; unknown names are errors at `at`. */
void tm__re_map_groups(struct tm_rload *L, struct tm_rule *r, void *re, const struct tm_ynode *at,
		       uint32_t offset);
/* A rule regex p[0, n) (already compiled into r->re) that opens with ^(?!.*?X) is also kept as
 * two: r->veto = X, searched anywhere in a record, and r->fast = ^ and the rest. Where X occurs
 * with no line break before it the rule cannot match, without the scan (.*? tries X at every
 * position up to it); where it does not occur, r->fast gives r->re's answer. Nothing when X
 * holds a capturing group or anything else that would make the two differ (match.c). */
void tm__re_split_veto(struct tm_rload *L, struct tm_rule *r, const char *p, size_t n);
/* A pack's `timestamp:` regex (group `ts`, or its only group) as a sub-regex; NULL after an error. */
struct tm_subfield *tm__pack_timestamp(struct tm_rload *L, const struct tm_ynode *n, const char *pack);
void tm__subfield_free(struct tm_subfield *f);

/* rules_samples.c: checks `samples:` (match/nomatch lists) against r->re and its literals. */
void tm__rule_samples(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *samples);

/* rules_rule.c: one rule mapping, through the key table; appended to L->rs when error-free. */
void tm__rule_load(struct tm_rload *L, const struct tm_ynode *rn);
void tm__rule_add_literal(struct tm_rule *r, char *lit);   /* takes lit (owned; NULL: no-op) */
void tm__rule_release(struct tm_rule *r);
void tm__rule_append(struct tm_ruleset *rs, const struct tm_rule *r);  /* takes r's contents */

#endif
