/* prefilter.h: which rules a record may match, from literals that every match must contain.
 *
 * A leaf module: it knows rule numbers and literal bytes, not rules. rules.c builds one prefilter
 * per ruleset (tm_ruleset_finish) and owns it; match.c scans each record with it and runs only
 * the candidates' regexes. Built once, read-only after tm_prefilter_done(), so any number of
 * threads may scan with one prefilter, each with its own struct tm_cands.
 */
#ifndef TRAINMON_PREFILTER_H
#define TRAINMON_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

struct tm_prefilter;

/* A scan's candidate set: scratch owned by the caller (one per thread), sized for every rule. */
struct tm_cands {
	uint32_t *seen;               /* owned by the caller, nrules + 1: generation stamp per rule */
	uint32_t gen;                 /* the caller bumps it per record (0 is never current) */
	uint32_t *cand;               /* owned by the caller, nrules + 1: the candidates, unordered */
	int literal_hit;              /* set by a scan: some literal occurred */
	uint32_t *nseen;              /* owned by the caller, one per needle: npos is this record's
					 when nseen is gen */
	size_t *npos;                 /* owned by the caller, one per needle: its first offset */
};

#define TM_NO_NEEDLE UINT32_MAX

/* Building: new, then add every (rule, literal) and mark every rule without a literal, then done.
 * Literal bytes are borrowed and must outlive the prefilter. */
struct tm_prefilter *tm_prefilter_new(size_t nrules);
void tm_prefilter_add(struct tm_prefilter *pf, uint32_t rule, const char *lit, size_t len);
void tm_prefilter_always(struct tm_prefilter *pf, uint32_t rule);
/* A needle: a literal whose first offset in a record the scan notes as it passes (the prefix of
 * a rule's field, so the field is read where the scan saw it instead of searched for again).
 * Returns its number (the same for the same bytes), or TM_NO_NEEDLE for fewer than 5 bytes: a
 * shorter literal would make the scan hash every position instead of every other one. */
uint32_t tm_prefilter_needle(struct tm_prefilter *pf, const char *lit, size_t len);
/* The number of needles: the size of tm_cands' nseen and npos. */
size_t tm_prefilter_needles(const struct tm_prefilter *pf);
void tm_prefilter_done(struct tm_prefilter *pf);
/* tm_prefilter_free(NULL) does nothing. */
void tm_prefilter_free(struct tm_prefilter *pf);

/* Puts into c->cand (each once, under stamp c->gen) every rule one of whose literals occurs in
 * p[0, n), then every rule without a literal; returns their number. Notes the first offset of
 * every needle that occurs (c->nseen, c->npos). */
size_t tm_prefilter_scan(const struct tm_prefilter *pf, struct tm_cands *c, const unsigned char *p, size_t n);

/* Where a literal with a digit could occur in a record whose skeleton (its every digit made '0',
 * the same length; scan_memo.h) is s[0, n): at each offset where the literal's own skeleton
 * occurs in s, and nowhere else. Every literal without a digit occurs in such a record exactly
 * where it occurs in s. Writes the probes (literal, offset) to out, at most max; returns their
 * number, or max + 1 when there are more. */
struct tm_digit_probe {
	const char *lit;              /* borrowed: the literal's bytes */
	uint32_t len, off;
};
size_t tm_prefilter_digit_probes(const struct tm_prefilter *pf, const unsigned char *s, size_t n,
				 struct tm_digit_probe *out, size_t max);

#endif
