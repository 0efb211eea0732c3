/* match.h: running a ruleset over records.
 *
 * The ruleset's literals form one prefilter: a record is scanned once, and only the rules whose
 * literal occurs in it (plus rules with no literal) run their PCRE2 regex, JIT-compiled.
 * The ruleset is shared and immutable; a matcher holds the per-thread scratch (match data,
 * candidate list) and per-rule match counters. A regex run that exhausts the JIT stack (long
 * lines) is retried with a larger JIT stack, then the interpreter; one that still fails is counted.
 */
#ifndef TRAINMON_MATCH_H
#define TRAINMON_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/prefilter.h"
#include "trainmon/rules.h"

struct tm_scan_memo;

struct tm_hit {
	const struct tm_rule *rule;   /* borrowed from the ruleset */
	const char *subj;             /* borrowed record text */
	size_t len;
	const size_t *ov;             /* borrowed ovector: pairs of offsets, valid during the callback */
	uint32_t npairs;
};

typedef int (*tm_hit_fn)(void *ctx, const struct tm_hit *h);

struct tm_matcher {
	const struct tm_ruleset *rs;  /* borrowed; must outlive the matcher */
	void *md;                     /* owned pcre2_match_data * for rule regexes */
	void *md_sub;                 /* owned pcre2_match_data * for `fields:` sub-regexes */
	struct tm_cands c;            /* owned arrays: the current record's candidate rules */
	struct tm_scan_memo *memo;    /* owned: the prefilter's answers by skeleton, NULL without
					 a prefilter */
	uint64_t *matches;            /* owned, nrules: matches per rule */
	uint64_t regex_runs;          /* regexes run (prefilter passed) */
	uint64_t records;             /* records matched */
	uint64_t literal_records;         /* records holding at least one literal */
	int skip_detect;              /* set by the caller once a run's framework is known */
	void *jit_stack;              /* owned pcre2_jit_stack *, made on the first JIT stack
					 exhaustion (one per matcher, so per thread) */
	void *mctx;                   /* owned pcre2_match_context * using jit_stack, with heap and
					 match limits for the interpreter fallback */
	uint64_t regex_aborted;       /* regex runs that failed other than by not matching (a
					 limit, even after the retries): read as no match */
	int skip_fallback;            /* set by the caller once a framework pack (not a fallback
					 one) has claimed the run: fallback rules no longer run */
	const char *scan_subj;        /* the record the prefilter scanned last (stamp c.gen): its
					 needles' offsets (c.nseen, c.npos) are for these bytes */
	size_t scan_len;
};

void tm_matcher_init(struct tm_matcher *m, const struct tm_ruleset *rs);
void tm_matcher_release(struct tm_matcher *m);

/* The scan memo handed from a matcher done with its records to the next one of the same ruleset
 * (analyze's files, one after another: the next starts with the shapes the last one saw). Take:
 * m's memo, which m no longer has (it scans without one from then on). Adopt: memo (owned from
 * now on) in place of m's own, which is freed; a memo made for another prefilter than m's
 * ruleset's is freed instead. */
struct tm_scan_memo *tm_matcher_take_memo(struct tm_matcher *m);
void tm_matcher_adopt_memo(struct tm_matcher *m, struct tm_scan_memo *memo);

/* Runs every candidate rule on the record, in rule order; calls fn per match. Returns 0 or the
 * callback's non-zero value. */
int tm_match_record(struct tm_matcher *m, const char *p, size_t len, tm_hit_fn fn, void *ctx);

/* Runs a sub-regex (a rule's `fields:` entry) on subj; returns 1 with group g's slice, else 0. */
int tm_match_sub(struct tm_matcher *m, const struct tm_subfield *f, const char *subj, size_t len,
		 const char **out, size_t *outlen);

/* A numeric field's value read in passing: where the field is a shape (a prefix or alternatives,
 * then a class run: src/field_shape.h) and its value a plain decimal (tm_num_read) that is the
 * whole class run, 1 with *v, the value tm_parse_num_in gives for tm_match_sub's slice at pow10;
 * 0 when the field does not match (tm_match_sub would return 0); -1 when this cannot tell (another
 * kind of field, a word such as "nan", a number of another form): tm_match_sub then. */
int tm_match_sub_num(struct tm_matcher *m, const struct tm_subfield *f, const char *subj, size_t len, int pow10,
		     double *v);

/* Group g's slice of a hit; 0 when the group did not participate. */
int tm_hit_group(const struct tm_hit *h, uint32_t g, const char **out, size_t *outlen);

#endif
